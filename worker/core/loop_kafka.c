/* loop_kafka.c -- a librdkafka queue as a readable fd in the event loop.
 * librdkafka writes one byte to our pipe when the queue goes from empty to
 * non-empty; we drain the pipe, then let the owner serve the queue. */
#include "core/loop_kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pw_kq {
	pw_loop_t *loop;
	rd_kafka_queue_t *q;
	pw_kq_cb cb;
	void *ud;
	int fds[2];
	pw_timer_t *again;
};

static void serve(pw_kq_t *kq);

static void again_cb(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_kq_t *kq = ud;
	kq->again = NULL;
	serve(kq);
}

static void serve(pw_kq_t *kq)
{
	if (kq->cb(kq->q, kq->ud) && !kq->again)
		kq->again = pw_timer_add(kq->loop, 0, again_cb, kq);
}

static void readable(pw_loop_t *loop, int fd, int events, void *ud)
{
	char buf[256];
	while (read(fd, buf, sizeof buf) > 0)
		;
	serve(ud);
}

pa_err_t pw_kq_attach(pw_loop_t *loop, rd_kafka_queue_t *q, pw_kq_cb cb,
		      void *ud, pw_kq_t **out)
{
	pw_kq_t *kq = calloc(1, sizeof *kq);
	if (!kq)
		return PA_NOMEM;
	if (pipe2(kq->fds, O_NONBLOCK | O_CLOEXEC) != 0) {
		free(kq);
		return PA_IO;
	}
	kq->loop = loop;
	kq->q = q;
	kq->cb = cb;
	kq->ud = ud;
	pa_err_t err = pw_loop_watch(loop, kq->fds[0], PW_READ, readable, kq);
	if (err != PA_OK) {
		close(kq->fds[0]);
		close(kq->fds[1]);
		free(kq);
		return err;
	}
	rd_kafka_queue_io_event_enable(q, kq->fds[1], "1", 1);
	*out = kq;
	pw_kq_kick(kq);
	return PA_OK;
}

void pw_kq_kick(pw_kq_t *kq)
{
	if (!kq->again)
		kq->again = pw_timer_add(kq->loop, 0, again_cb, kq);
}

void pw_kq_detach(pw_kq_t *kq)
{
	if (!kq)
		return;
	rd_kafka_queue_io_event_enable(kq->q, -1, NULL, 0);
	pw_loop_unwatch(kq->loop, kq->fds[0]);
	if (kq->again)
		pw_timer_cancel(kq->loop, kq->again);
	close(kq->fds[0]);
	close(kq->fds[1]);
	free(kq);
}

void pw_kafka_log_line(pw_logger_t *lg, const rd_kafka_t *rk, int level,
		       const char *fac, const char *buf,
		       const char *const *secrets)
{
	pw_log_level_t lvl = pw_log_level_from_syslog(level);
	if (!pw_log_enabled(lg, lvl))
		return;
	char text[1024];
	snprintf(text, sizeof text, "%s", buf ? buf : "");
	for (size_t i = 0; secrets && secrets[i]; i++) {
		size_t vl = strlen(secrets[i]);
		if (!vl)
			continue;
		for (char *p = strstr(text, secrets[i]); p;
		     p = strstr(p + vl, secrets[i]))
			memset(p, '*', vl);
	}
	pw_log(lg, lvl, "librdkafka", PW_KV_STR("component", "librdkafka"),
	       PW_KV_STR("client", rk ? rd_kafka_name(rk) : ""),
	       PW_KV_STR("facility", fac ? fac : ""),
	       PW_KV_BODY("text", text, strlen(text)));
}
