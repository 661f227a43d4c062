/* loop_curl.c -- see loop_curl.h. curl's multi_socket model on pw_loop:
 * curl says which fds to watch and when its one timeout is due; the loop
 * reports readiness back through pa_client_socket_action() and expiry
 * through pa_client_timeout_action(), which also deliver the replies.
 * Owns: the set of fds watched for the client, the one timer.
 * Not here: HTTP (lib/client.c), the loop mechanism (loop.c). */
#include "core/loop_curl.h"

#include <stdlib.h>
#include <string.h>

struct pw_loop_curl {
	pw_loop_t *loop;
	pa_client_t *cli;
	pw_timer_t *timer;
	unsigned char *fds; /* fds[fd] = 1 while watched for the client */
	size_t nfds;
	size_t nwatched;
};

static void on_io(pw_loop_t *loop, int fd, int events, void *ud)
{
	(void)loop;
	pw_loop_curl_t *lc = ud;
	int ev = 0;
	if (events & PW_READ)
		ev |= PA_CSELECT_IN;
	if (events & PW_WRITE)
		ev |= PA_CSELECT_OUT;
	if (events & PW_ERROR)
		ev |= PA_CSELECT_ERR;
	pa_client_socket_action(lc->cli, fd, ev);
}

static void mark(pw_loop_curl_t *lc, int fd, int on)
{
	if ((size_t)fd >= lc->nfds) {
		if (!on)
			return;
		size_t n = lc->nfds ? lc->nfds : 64;
		while (n <= (size_t)fd)
			n *= 2;
		unsigned char *f = realloc(lc->fds, n);
		if (!f)
			return; /* detach then misses this fd; curl removes it */
		memset(f + lc->nfds, 0, n - lc->nfds);
		lc->fds = f;
		lc->nfds = n;
	}
	if (lc->fds[fd] != on)
		lc->nwatched += on ? 1 : (size_t)-1;
	lc->fds[fd] = (unsigned char)on;
}

static void on_socket(int fd, int what, void *ud)
{
	pw_loop_curl_t *lc = ud;
	if (what == PA_POLL_REMOVE) {
		pw_loop_unwatch(lc->loop, fd);
		mark(lc, fd, 0);
		return;
	}
	int ev = 0;
	if (what & PA_POLL_IN)
		ev |= PW_READ;
	if (what & PA_POLL_OUT)
		ev |= PW_WRITE;
	if (ev && pw_loop_watch(lc->loop, fd, ev, on_io, lc) == PA_OK)
		mark(lc, fd, 1);
}

static void on_timer_change(long timeout_ms, void *ud);

static void on_timer(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)loop;
	(void)t;
	pw_loop_curl_t *lc = ud;
	lc->timer = NULL; /* freed by the loop after this returns */
	pa_client_timeout_action(lc->cli);
	/* curl calls the timer callback only when its deadline changes; if we
	 * fired a hair before its (sub-millisecond) deadline, nothing changed
	 * and no new timer would come: ask curl directly. */
	long ms = -1;
	if (!lc->timer && pa_client_next_timeout(lc->cli, &ms) == PA_OK &&
	    ms >= 0)
		on_timer_change(ms, lc);
}

/* Called by curl only when its deadline changes: replace our one timer. */
static void on_timer_change(long timeout_ms, void *ud)
{
	pw_loop_curl_t *lc = ud;
	if (lc->timer) {
		pw_timer_cancel(lc->loop, lc->timer);
		lc->timer = NULL;
	}
	if (timeout_ms < 0)
		return;
	/* The loop measures from its cached clock, which may lag real time
	 * when a callback ran long; curl measures from now, in microseconds.
	 * Round up so we do not fire before curl's deadline. */
	int64_t ms = timeout_ms;
	if (ms > 0)
		ms += pw_now_ms() - pw_loop_now(lc->loop) + 1;
	lc->timer = pw_timer_add(lc->loop, ms, on_timer, lc);
}

pa_err_t pw_loop_curl_attach(pw_loop_t *loop, pa_client_t *cli,
			     pw_loop_curl_t **out)
{
	if (!out)
		return PA_INVAL;
	*out = NULL;
	if (!loop || !cli)
		return PA_INVAL;
	pw_loop_curl_t *lc = calloc(1, sizeof *lc);
	if (!lc)
		return PA_NOMEM;
	lc->loop = loop;
	lc->cli = cli;
	pa_client_set_socket_cb(cli, on_socket, lc);
	pa_client_set_timer_cb(cli, on_timer_change, lc);
	*out = lc;
	return PA_OK;
}

void pw_loop_curl_detach(pw_loop_curl_t *lc)
{
	if (!lc)
		return;
	pa_client_set_socket_cb(lc->cli, NULL, NULL);
	pa_client_set_timer_cb(lc->cli, NULL, NULL);
	for (size_t fd = 0; fd < lc->nfds; fd++)
		if (lc->fds[fd])
			pw_loop_unwatch(lc->loop, (int)fd);
	if (lc->timer)
		pw_timer_cancel(lc->loop, lc->timer);
	free(lc->fds);
	free(lc);
}

size_t pw_loop_curl_watched(const pw_loop_curl_t *lc)
{
	return lc ? lc->nwatched : 0;
}
