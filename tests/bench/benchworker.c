/* benchworker.c -- see benchworker.h. */
#include "benchworker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/loop.h"
#include "fakegw.h"
#include "gateway/gateway_payatom.h"
#include "gateway/merchants.h"
#include "kafka/worker.h"

typedef struct bw {
	pw_loop_t *loop;
	pw_worker_t *w;
	pw_merchants_t *ms; /* sandbox gateway's profiles */
	const pwb_worker_args_t *a;
	pw_timer_t *tick;
	int ready_sent;
	int stopping;
	int stopped;
	uint64_t inflight_max;
} bw_t;

/* VmRSS and VmHWM of this process, kB (0 when unreadable). */
static void mem_kb(long *rss, long *hwm)
{
	char line[256];
	*rss = *hwm = 0;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = strtol(line + 6, NULL, 10);
	}
	fclose(f);
}

static long long tv_us(struct timeval tv)
{
	return (long long)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* One report line: CPU of the whole process (its librdkafka threads
 * included: they are the worker's cost too), memory, counters. */
static void report(bw_t *b, const char *what)
{
	struct rusage ru;
	long rss, hwm;
	pw_worker_stats_t st;
	memset(&st, 0, sizeof st);
	getrusage(RUSAGE_SELF, &ru);
	mem_kb(&rss, &hwm);
	if (b->w)
		pw_worker_stats(b->w, &st);
	long long u = tv_us(ru.ru_utime), s = tv_us(ru.ru_stime);
	dprintf(1,
		"%s cpu_us=%lld user_us=%lld sys_us=%lld rss_kb=%ld "
		"hwm_kb=%ld inflight_max=%llu done=%llu terminal=%llu "
		"gw_calls=%llu polls=%llu dlq=%llu orders_live=%llu "
		"orders_rest=%llu state_kb=%llu\n",
		what, u + s, u, s, rss, hwm,
		(unsigned long long)b->inflight_max,
		(unsigned long long)st.commands_done,
		(unsigned long long)st.terminal_events,
		(unsigned long long)st.gw_calls, (unsigned long long)st.polls,
		(unsigned long long)st.dlq_out,
		(unsigned long long)st.orders_live,
		(unsigned long long)st.orders_at_rest,
		(unsigned long long)(st.state_bytes / 1024));
}

/* Every 10 ms: peak of commands in flight, readiness. Cheap next to the
 * work measured (one stats copy). */
static void on_tick(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	bw_t *b = ud;
	b->tick = NULL;
	pw_worker_stats_t st;
	pw_worker_stats(b->w, &st);
	if (st.inflight > b->inflight_max)
		b->inflight_max = st.inflight;
	if (!b->ready_sent &&
	    st.partitions_assigned >= (uint64_t)b->a->partitions &&
	    st.partitions_restoring == 0 && pw_worker_ready(b->w)) {
		b->ready_sent = 1;
		dprintf(1, "ready partitions=%llu\n",
			(unsigned long long)st.partitions_assigned);
	}
	if (!b->stopped)
		b->tick = pw_timer_add(loop, 10, on_tick, b);
}

static void on_shutdown(void *ud)
{
	bw_t *b = ud;
	b->stopped = 1;
	pw_loop_stop(b->loop);
}

static void stop(bw_t *b)
{
	if (b->stopping)
		return;
	b->stopping = 1;
	pw_loop_unwatch(b->loop, 0);
	pw_worker_shutdown(b->w, on_shutdown, b);
}

static void on_ctl(pw_loop_t *loop, int fd, int events, void *ud)
{
	bw_t *b = ud;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		stop(b); /* the driver went away */
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == 'm')
			report(b, "mark");
		else if (buf[i] == 'q')
			stop(b);
	}
}

static pw_gateway_t *make_gateway(bw_t *b)
{
	const pwb_worker_args_t *a = b->a;
	if (strcmp(a->gateway, "fake") == 0) {
		pwt_fakegw_opts_t go = {
			.latency_ms = a->latency_ms,
			.polls_until_final = 0,
			.final_raw = "Approved",
			.merchant = a->merchant,
		};
		return pwt_fakegw_new(b->loop, &go);
	}
	/* the real adapter (libpayatom's async client) against the sandbox:
	 * one V1 India merchant, polled by ref_code */
	char eb[PA_ERRBUF_SIZE];
	pa_merchant_t pm = {0};
	pm.pid = a->pid;
	pm.api_version = PA_API_V1;
	pm.base_url = a->sandbox_url;
	pm.country = PA_COUNTRY_IN;
	pm.poll_key = PA_POLL_BY_REF_CODE;
	pm.lenient_order_id = 1;
	pw_gateway_t *gw = NULL;
	pw_gwp_opts_t go = {0};
	go.client.connect_timeout_ms = 5000;
	go.client.total_timeout_ms = 30000;
	go.max_concurrent = PW_GATEWAY_MAX_CONCURRENT; /* the worker's default */
	if (pw_merchants_new(&b->ms) != PA_OK ||
	    pw_merchants_add(b->ms, a->merchant, &pm, a->secret, eb) != PA_OK ||
	    pw_gateway_payatom_new(b->loop, b->ms, &go, &gw, eb) != PA_OK) {
		fprintf(stderr, "bench worker: gateway: %s\n", eb);
		return NULL;
	}
	return gw;
}

const char *pwb_topic_name(const char *prefix, const char *base, char *buf,
			   size_t size)
{
	if (prefix && *prefix)
		snprintf(buf, size, "%s.%s", prefix, base);
	else
		snprintf(buf, size, "%s", base);
	return buf;
}

int pwb_worker_main(const pwb_worker_args_t *a)
{
	bw_t b;
	char eb[PA_ERRBUF_SIZE];
	memset(&b, 0, sizeof b);
	b.a = a;
	if (pw_loop_new(&b.loop) != PA_OK)
		return 2;
	pw_gateway_t *gw = make_gateway(&b);
	if (!gw) {
		pw_merchants_destroy(b.ms);
		pw_loop_destroy(b.loop);
		return 2;
	}
	pw_worker_opts_t o;
	pw_worker_opts_default(&o);
	o.brokers = a->brokers;
	o.group_id = a->group;
	o.max_inflight = a->max_inflight;
	o.max_inflight_per_partition = a->per_partition;
	o.poll_first_ms = a->poll_first_ms;
	o.poll_max_interval_ms = 1000;
	o.poll_deadline_ms = 600000;
	o.retry_base_ms = 50;
	o.retry_max_ms = 1000;
	o.commit_interval_ms = a->commit_interval_ms;
	o.exactly_once = a->exactly_once;
	/* on a real broker the driver made this run's topics */
	char tn[10][200];
	const char **slot[10] = {
		&o.topic_cmd_payin,   &o.topic_cmd_payout,
		&o.topic_cmd_complaint, &o.topic_evt_payment,
		&o.topic_evt_refund,  &o.topic_evt_complaint,
		&o.topic_evt_report,  &o.topic_dlq,
		&o.topic_int_webhook, &o.topic_int_state};
	for (int i = 0; i < 10; i++)
		*slot[i] = pwb_topic_name(a->topic_prefix, *slot[i], tn[i],
					  sizeof tn[i]);
	o.shutdown_timeout_ms = 10000;
	/* librdkafka's mock broker answers a fetch only when
	 * fetch.wait.max.ms has passed (a real broker answers as soon as
	 * fetch.min.bytes arrived): with the default 500 ms every command
	 * would wait for it. The driver sets it (kafka.* pass-through). */
	char fw[16];
	snprintf(fw, sizeof fw, "%d", a->fetch_wait_ms);
	pw_kafka_kv_t kafka[12] = {{"log_level", "3"}};
	size_t nk = 1;
	if (a->fetch_wait_ms >= 0)
		kafka[nk++] = (pw_kafka_kv_t){"fetch.wait.max.ms", fw};
	/* librdkafka debug contexts of the worker's clients, for looking
	 * into a slow run (e.g. "fetch,consumer"); logs go to stderr */
	const char *dbg = getenv("PAYATOM_BENCH_KAFKA_DEBUG");
	if (dbg && *dbg) {
		kafka[0].value = "7";
		kafka[nk++] = (pw_kafka_kv_t){"debug", dbg};
	}
	/* extra kafka.* pairs "k=v,k=v" (PAYATOM_BENCH_KAFKA), for measuring
	 * a librdkafka setting's cost without rebuilding */
	char xbuf[512] = "";
	const char *x = getenv("PAYATOM_BENCH_KAFKA");
	if (x && *x)
		snprintf(xbuf, sizeof xbuf, "%s", x);
	for (char *sv = NULL, *t = strtok_r(xbuf, ",", &sv);
	     t && nk < sizeof kafka / sizeof kafka[0];
	     t = strtok_r(NULL, ",", &sv)) {
		char *eq = strchr(t, '=');
		if (!eq)
			continue;
		*eq = '\0';
		kafka[nk++] = (pw_kafka_kv_t){t, eq + 1};
	}
	o.kafka = kafka;
	o.n_kafka = nk;
	if (pw_worker_new(b.loop, &o, gw, &b.w, eb) != PA_OK) {
		fprintf(stderr, "bench worker: %s\n", eb);
		gw->destroy(gw);
		pw_merchants_destroy(b.ms);
		pw_loop_destroy(b.loop);
		return 2;
	}
	if (pw_loop_watch(b.loop, 0, PW_READ, on_ctl, &b) != PA_OK) {
		pw_worker_destroy(b.w);
		pw_merchants_destroy(b.ms);
		pw_loop_destroy(b.loop);
		return 2;
	}
	b.tick = pw_timer_add(b.loop, 10, on_tick, &b);
	pw_loop_run(b.loop);
	if (b.tick)
		pw_timer_cancel(b.loop, b.tick);
	report(&b, "final");
	pw_worker_destroy(b.w);
	b.w = NULL;
	pw_merchants_destroy(b.ms);
	pw_loop_destroy(b.loop);
	return 0;
}
