/* bench_pipeline.c -- the worker end to end: N payin commands through the
 * mock cluster, the worker and a gateway with a given latency, once with
 * the worker's concurrency and once as the sequential consumer
 * (max.inflight.per.partition=1); prints commands/s, command-to-event
 * latencies, the worker's CPU per command and its peak RSS, and the ratio.
 * Owns: the load (closed loop), the latencies, the modes, the table.
 * Not here: the worker process (benchworker.c), spawning and killing
 *           children (benchproc.c), the gateway (payatom-sandbox, or
 *           tests/support/fakegw with --gateway fake).
 *
 * Processes: this driver hosts the mock cluster (librdkafka's, in-process),
 * produces the commands and consumes payatom.evt.payment; the worker runs
 * in a child process of its own (this program again, --role worker), pinned
 * to one CPU, and reports its own getrusage() and VmHWM; with --gateway
 * sandbox, payatom-sandbox is a third process. So the worker's figures
 * exclude the load generator, the brokers and the gateway.
 *
 * Load: closed loop. The driver keeps at most `window` commands produced
 * but not yet accepted (first event seen), window = 2 x the worker's
 * capacity (min(max.inflight, partitions x max.inflight.per.partition)),
 * at least capacity + 64: the worker always has work queued while Kafka's
 * backlog stays small, so latencies are the pipeline's and not a backlog's
 * age. Latency = produce call -> event consumed by the driver.
 * exactly_once (real broker only): an event becomes readable when its
 * transaction commits, up to one commit.interval after it was produced, so
 * the window grows by the commands of one interval at the rate the mode
 * could reach (capacity / gateway latency, at most the target of
 * 5,000/s): without that the driver, not the worker, would bound the rate
 * (window / commit.interval). See txn_room().
 *
 * Kafka: by default the mock cluster, a fresh one per mode. --brokers
 * HOST:PORT uses a real broker instead (tests/bench/run.sh --kafka real
 * starts one with tests/kafka/kafka_harness.py): every mode gets topics of
 * its own, bench-<time>-<pid>-<mode>-<alo|eos>.payatom.*, created by
 * pw_topics_ensure() as payatom-worker does, and groups of its own, so runs
 * never see each other's data. --guarantee exactly_once (real broker only:
 * the mock writes no transaction markers) runs the worker with
 * processing.guarantee=exactly_once and reads events read_committed.
 *
 * Exit status: 0 when every command of every mode reached exactly one
 * terminal event; 1 otherwise; 2 on a setup error; 124 on the global
 * timeout. The performance targets are printed, never judged in the exit
 * status (a shared machine is not a timing oracle). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "benchbin.h"
#include "benchpipe.h"
#include "benchproc.h"
#include "benchworker.h"
#include "core/log.h"
#include "kafkat.h"
#include "serde/codec.h"
#include "kafka/mockcluster.h"
#include "kafka/topics.h"
#include "kafka/worker.h"

#define BENCH_PID "BENCH00001"
#define BENCH_SECRET "bench-secret-key-not-a-real-one"


typedef struct run {
	const pwb_opts_t *o;
	pwb_mode_t *m;
	pw_mock_t *mock;
	pwb_child_t worker;
	pwb_window_t win; /* allocation counts, PAYATOM_BENCH_WINDOW_CMD */
	rd_kafka_t *prod, *cons;
	pw_codec_t *codec;
	long long *t_prod, *t_first;
	unsigned char *flags; /* 1 first event seen, 2 terminal seen */
	long long *lat_acc, *lat_term;
	long n_acc, n_term;
	long produced;
	long long t_last_term;
	char letter; /* order_id prefix of the phase: W (warm-up) or mode */
	long target; /* commands of the phase */
	const char *sandbox_url;
	const char *brokers; /* the mock's or o->brokers */
	long long created_at_ms; /* of the commands: the mode's start */
	char prefix[96];     /* topic prefix; "" on the mock */
	char topic[10][200]; /* k_topics with the prefix */
} run_t;

enum { T_CMD_PAYIN = 0, T_EVT_PAYMENT = 3, T_N = 10 };

static const char *const k_topics[] = {
	"payatom.cmd.payin",   "payatom.cmd.payout",   "payatom.cmd.complaint",
	"payatom.evt.payment", "payatom.evt.refund",   "payatom.evt.complaint",
	"payatom.evt.report",  "payatom.dlq",	       "payatom.int.webhook",
	"payatom.int.state"};
_Static_assert(sizeof k_topics / sizeof *k_topics == T_N, "k_topics");

/* ---- worker child ---------------------------------------------------- */

static int parse_usage(const char *line, pwb_usage_t *u)
{
	memset(u, 0, sizeof *u);
	const char *p = strchr(line, ' ');
	int n = p ? sscanf(p,
			   " cpu_us=%lld user_us=%*d sys_us=%*d rss_kb=%ld "
			   "hwm_kb=%ld inflight_max=%lld done=%lld "
			   "terminal=%lld gw_calls=%lld polls=%lld dlq=%lld "
			   "orders_live=%lld orders_rest=%lld state_kb=%lld",
			   &u->cpu_us, &u->rss_kb, &u->hwm_kb,
			   &u->inflight_max, &u->done, &u->terminal,
			   &u->gw_calls, &u->polls, &u->dlq, &u->orders_live,
			   &u->orders_rest, &u->state_kb)
		  : 0;
	return n >= 9;
}

static pa_err_t worker_mark(run_t *r, pwb_usage_t *u, char *eb)
{
	pa_err_t err;
	if (r->o->worker_bin) {
		/* the program reports nothing: /proc */
		err = pwb_bin_usage(r->worker.pid, u, eb);
	} else {
		char line[512];
		err = pwb_send(&r->worker, "m", eb);
		if (err == PA_OK)
			err = pwb_expect(&r->worker, "mark ", line,
					 sizeof line, 10000, eb);
		if (err == PA_OK && !parse_usage(line, u))
			err = pa_seterr(eb, PA_PARSE, "bad worker report: %s",
					line);
	}
	pwb_window_allocs(&r->win, u);
	return err;
}

static pa_err_t start_worker_bin(run_t *r, char *eb)
{
	char group[160];
	snprintf(group, sizeof group, "%s-%s-%s", r->o->run_tag, r->m->name,
		 pwb_guarantee_name(r->o));
	const char *topics[T_N];
	for (int i = 0; i < T_N; i++)
		topics[i] = r->topic[i];
	pwb_bin_args_t a = {.o = r->o,
			    .m = r->m,
			    .brokers = r->brokers,
			    .group = group,
			    .topics = r->prefix[0] ? topics : NULL,
			    .sandbox_url = r->sandbox_url,
			    .merchant = "bench",
			    .pid = BENCH_PID,
			    .secret = BENCH_SECRET};
	/* its readiness is proven by the warm-up commands */
	return pwb_bin_spawn(&a, &r->worker, eb);
}

static pa_err_t start_worker(run_t *r, char *eb)
{
	pa_err_t err = pwb_window_prepare(&r->win, r->o, eb);
	if (err != PA_OK)
		return err;
	if (r->o->worker_bin) {
		err = start_worker_bin(r, eb);
		pwb_window_env_done(&r->win);
		return err;
	}
	char inflight[16], per[16], parts[16], lat[16], pf[24], group[128];
	char fw[16], ci[24];
	snprintf(fw, sizeof fw, "%d", r->o->fetch_wait_ms);
	snprintf(ci, sizeof ci, "%ld", r->o->commit_interval_ms);
	snprintf(inflight, sizeof inflight, "%d", r->m->inflight);
	snprintf(per, sizeof per, "%d", r->m->per_partition);
	snprintf(parts, sizeof parts, "%d", r->o->partitions);
	snprintf(lat, sizeof lat, "%d", r->o->latency_ms);
	snprintf(pf, sizeof pf, "%ld", r->o->poll_first_ms);
	snprintf(group, sizeof group, "%s-%s-%s", r->o->run_tag,
		 r->m->name, pwb_guarantee_name(r->o));
	/* PAYATOM_BENCH_WORKER_WRAP: a program the worker runs under (a
	 * profiler: it gets the worker's command line as its arguments) */
	const char *wrap = getenv("PAYATOM_BENCH_WORKER_WRAP");
	char *argv[] = {
		(char *)(wrap && *wrap ? wrap : r->o->self),
		(char *)r->o->self, "--role",	   "worker",
		"--brokers",	    (char *)r->brokers,
		"--guarantee",	    (char *)pwb_guarantee_name(r->o),
		"--commit-interval-ms", ci,
		"--topic-prefix",   r->prefix,
		"--group",	    group,	   "--gateway",
		(char *)r->o->gateway, "--sandbox-url",
		(char *)(r->sandbox_url ? r->sandbox_url : ""),
		"--inflight",	    inflight,	   "--per-partition",
		per,		    "--partitions", parts,
		"--latency-ms",	    lat,	   "--poll-first-ms",
		pf,		    "--fetch-wait-ms", fw, NULL};
	err = pwb_spawn(&r->worker, "worker", wrap && *wrap ? argv : argv + 1,
			r->o->pin ? 0 : -1, eb);
	pwb_window_env_done(&r->win);
	if (err != PA_OK)
		return err;
	char line[256];
	return pwb_expect(&r->worker, "ready", line, sizeof line, 60000, eb);
}

/* ---- Kafka clients of the driver -------------------------------------- */

static rd_kafka_t *new_client(rd_kafka_type_t type, const char *brokers,
			      const char *const kv[], char *eb)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", brokers, NULL, 0);
	rd_kafka_conf_set(c, "log_level", "3", NULL, 0);
	for (int i = 0; kv[i]; i += 2)
		if (rd_kafka_conf_set(c, kv[i], kv[i + 1], es, sizeof es) !=
		    RD_KAFKA_CONF_OK) {
			rd_kafka_conf_destroy(c);
			pa_seterr(eb, PA_CONFIG, "%s: %s", kv[i], es);
			return NULL;
		}
	rd_kafka_t *rk = rd_kafka_new(type, c, es, sizeof es);
	if (!rk)
		pa_seterr(eb, PA_KAFKA, "rd_kafka_new: %s", es);
	return rk;
}

static pa_err_t open_clients(run_t *r, char *eb)
{
	const char *brokers = r->brokers;
	/* exactly_once: the driver sees an event only once its transaction
	 * committed, like every downstream reader */
	const char *const ckv[] = {
		"group.id", "bench-reader", "enable.auto.commit", "false",
		"fetch.wait.max.ms", "10", "fetch.error.backoff.ms", "10",
		"isolation.level",
		r->o->exactly_once ? "read_committed" : "read_uncommitted",
		NULL};
	/* like our users' producers: idempotent, murmur2 partitioner */
	r->prod = pwt_producer(brokers);
	r->cons = new_client(RD_KAFKA_CONSUMER, brokers, ckv, eb);
	if (!r->cons)
		return PA_KAFKA;
	rd_kafka_poll_set_consumer(r->cons);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(r->o->partitions);
	for (int p = 0; p < r->o->partitions; p++)
		rd_kafka_topic_partition_list_add(l, r->topic[T_EVT_PAYMENT], p)
			->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_resp_err_t kerr = rd_kafka_assign(r->cons, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (kerr)
		return pa_seterr(eb, PA_KAFKA, "assign: %s",
				 rd_kafka_err2str(kerr));
	pw_codec_conf_t cc = {.serialization = PW_SER_JSON};
	return pw_codec_new(&cc, &r->codec, eb);
}

/* ---- load and events -------------------------------------------------- */

static void produce_one(run_t *r)
{
	char oid[32], cmd[768];
	long i = r->produced;
	snprintf(oid, sizeof oid, "B%c%09ld", r->letter, i);
	/* India UPI P2C seamless payin of a test customer (example.com,
	 * reserved test values); whole amounts 100..149: no sandbox magic
	 * value (x900..x909); created_at is required by PayinCommand (the
	 * real payatom-worker validates it, --worker-bin) */
	snprintf(cmd, sizeof cmd,
		 "{\"type\":\"payin\",\"merchant\":\"bench\",\"order_id\":"
		 "\"%s\",\"command_id\":\"cmd-%s\","
		 "\"product\":\"PAYIN_UPI_P2C_SEAMLESS\",\"country\":\"IN\","
		 "\"amount_minor\":%ld,\"currency\":\"INR\","
		 "\"customer\":{\"name\":\"Bench Customer\","
		 "\"email\":\"bench@example.com\",\"phone\":\"9000000000\"},"
		 "\"upi_id\":\"bench@upi\",\"created_at\":%lld}",
		 oid, oid, 10000 + (i % 50) * 100, r->created_at_ms);
	pwt_produce(r->prod, r->topic[T_CMD_PAYIN], oid, cmd, 0);
	r->t_prod[i] = pwb_now_us();
	r->produced++;
}

static long order_index(run_t *r, const char *oid)
{
	if (!oid || oid[0] != 'B' || oid[1] != r->letter)
		return -1;
	char *end;
	long i = strtol(oid + 2, &end, 10);
	if (*end || i < 0 || i >= r->produced)
		return -1;
	return i;
}

static void on_event(run_t *r, const rd_kafka_message_t *msg)
{
	long long now = pwb_now_us();
	char eb[PA_ERRBUF_SIZE];
	json_t *rec = NULL;
	if (pw_codec_decode(r->codec, "PaymentStatusEvent", msg->payload,
			    msg->len, &rec, NULL, eb) != PA_OK) {
		/* Not a valid PaymentStatusEvent: counted and reported (a
		 * contract bug), but a JSON event still tells whether the
		 * order reached a terminal status. */
		if (r->m->schema_invalid++ == 0)
			fprintf(stderr,
				"bench: %s: event is not a valid "
				"PaymentStatusEvent: %s\n",
				r->m->name, eb);
		json_error_t je;
		rec = pw_codec_detect(msg->payload, msg->len) ==
				      PW_FRAMING_JSON
			      ? json_loadb(msg->payload, msg->len, 0, &je)
			      : NULL;
		if (!rec) {
			r->m->undecodable++;
			return;
		}
	}
	long i = order_index(
		r, json_string_value(json_object_get(rec, "order_id")));
	int terminal = json_is_true(json_object_get(rec, "terminal"));
	json_decref(rec);
	if (i < 0)
		return;
	if (!(r->flags[i] & 1)) {
		r->flags[i] |= 1;
		r->t_first[i] = now;
		r->lat_acc[r->n_acc++] = now - r->t_prod[i];
	}
	if (terminal) {
		if (r->flags[i] & 2) {
			r->m->dup_terminal++;
			return;
		}
		r->flags[i] |= 2;
		r->lat_term[r->n_term++] = now - r->t_prod[i];
		r->t_last_term = now;
	}
}

static int drain_events(run_t *r, int wait_ms)
{
	int got = 0;
	rd_kafka_message_t *m = rd_kafka_consumer_poll(r->cons, wait_ms);
	while (m) {
		if (!m->err)
			on_event(r, m);
		else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			fprintf(stderr, "bench: consume: %s\n",
				rd_kafka_message_errstr(m));
		rd_kafka_message_destroy(m);
		if (++got >= 1000)
			break;
		m = rd_kafka_consumer_poll(r->cons, 0);
	}
	return got;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static double pct_ms(long long *v, long n, double p)
{
	if (n == 0)
		return 0;
	long k = (long)(p * (double)(n - 1) + 0.5);
	return (double)v[k] / 1000.0;
}

/* Runs the load until every command has a terminal event, or no event came
 * for stall_ms. Returns 1 when complete. */
static int drive(run_t *r, long long deadline_us)
{
	const long stall_us = 60 * 1000000L;
	long long last_progress = pwb_now_us();
	long seen = 0;
	while (r->n_term < r->target) {
		long long now = pwb_now_us();
		if (now > deadline_us || now - last_progress > stall_us)
			return 0;
		while (r->produced < r->target &&
		       r->produced - r->n_acc < r->m->window)
			produce_one(r);
		rd_kafka_poll(r->prod, 0);
		int room = r->produced < r->target &&
			   r->produced - r->n_acc < r->m->window;
		drain_events(r, room ? 0 : 5);
		if (r->n_acc + r->n_term != seen) {
			seen = r->n_acc + r->n_term;
			last_progress = pwb_now_us();
		}
	}
	return 1;
}

/* ---- one mode ---------------------------------------------------------- */

static void run_free(run_t *r)
{
	if (r->worker.pid)
		pwb_reap(&r->worker, 0, NULL);
	if (r->cons) {
		rd_kafka_consumer_close(r->cons);
		rd_kafka_destroy(r->cons);
	}
	if (r->prod)
		rd_kafka_destroy(r->prod);
	pw_codec_destroy(r->codec);
	pw_mock_destroy(r->mock);
	pwb_window_close(&r->win);
	free(r->t_prod);
	free(r->t_first);
	free(r->flags);
	free(r->lat_acc);
	free(r->lat_term);
}

/* A fresh mock cluster per mode, or on a real broker topics of this mode
 * alone (made the way payatom-worker makes them, pw_topics_ensure): no
 * state, offsets or events carried over from another mode or run. */
static pa_err_t make_topics(run_t *r, char *eb)
{
	const pwb_opts_t *o = r->o;
	if (o->brokers)
		snprintf(r->prefix, sizeof r->prefix, "%s-%s-%s", o->run_tag,
			 r->m->name,
			 o->exactly_once ? "eos" : "alo");
	for (int i = 0; i < T_N; i++)
		pwb_topic_name(r->prefix, k_topics[i], r->topic[i],
			       sizeof r->topic[i]);
	if (!o->brokers) {
		pa_err_t err = pw_mock_new(1, o->partitions, &r->mock, eb);
		for (int i = 0; err == PA_OK && i < T_N; i++)
			err = pw_mock_topic(r->mock, r->topic[i]);
		if (err == PA_OK)
			r->brokers = pw_mock_bootstraps(r->mock);
		return err;
	}
	r->brokers = o->brokers;
	pw_topics_spec_t ts;
	pw_topics_spec_default(&ts);
	const char **names[T_N] = {
		&ts.cmd_payin,	 &ts.cmd_payout,    &ts.cmd_complaint,
		&ts.evt_payment, &ts.evt_refund,    &ts.evt_complaint,
		&ts.evt_report,	 &ts.dlq,	    &ts.int_webhook,
		&ts.int_state};
	for (int i = 0; i < T_N; i++)
		*names[i] = r->topic[i];
	ts.create = 1;
	ts.partitions = o->partitions;
	static const pw_kafka_kv_t quiet[] = {{"log_level", "3"}};
	pw_topics_report_t rep;
	pa_err_t err = pw_topics_ensure(o->brokers, quiet, 1, &ts, &rep, eb);
	if (err == PA_OK && rep.partitions != o->partitions)
		err = pa_seterr(eb, PA_CONFIG,
				"%s has %d partitions, not %d (topics left "
				"from another run?)",
				r->topic[T_CMD_PAYIN], rep.partitions,
				o->partitions);
	return err;
}

static int run_mode(const pwb_opts_t *o, pwb_mode_t *m, const char *sandbox_url,
		    long long deadline_us)
{
	char eb[PA_ERRBUF_SIZE] = "";
	run_t r;
	memset(&r, 0, sizeof r);
	r.o = o;
	r.m = m;
	r.sandbox_url = sandbox_url;
	r.worker.ctl_fd = r.worker.rep_fd = -1;
	r.win.alloc_fd = -1;
	r.created_at_ms = (long long)time(NULL) * 1000;
	m->missing = m->n; /* until measured */
	long warm = 2L * o->partitions;
	size_t n = (size_t)(m->n > warm ? m->n : warm);
	r.t_prod = calloc(n, sizeof *r.t_prod);
	r.t_first = calloc(n, sizeof *r.t_first);
	r.flags = calloc(n, 1);
	r.lat_acc = calloc(n, sizeof *r.lat_acc);
	r.lat_term = calloc(n, sizeof *r.lat_term);
	if (!r.t_prod || !r.t_first || !r.flags || !r.lat_acc ||
	    !r.lat_term) {
		fprintf(stderr, "bench: out of memory\n");
		run_free(&r);
		return 0;
	}
	pa_err_t err = make_topics(&r, eb);
	if (err == PA_OK)
		err = open_clients(&r, eb);
	if (err == PA_OK)
		err = start_worker(&r, eb);
	pwb_usage_t u0, u1, uf;
	if (err != PA_OK) {
		fprintf(stderr, "bench: %s: setup: %s\n", m->name, eb);
		run_free(&r);
		return 0;
	}
	/* Warm-up, not measured: the worker's producer learns the output
	 * topics' metadata on first use (about 1 s per topic on the mock
	 * cluster), which would otherwise weigh on the first commands. */
	r.letter = 'W';
	r.target = warm;
	if (!drive(&r, deadline_us)) {
		fprintf(stderr, "bench: %s: warm-up commands did not finish\n",
			m->name);
		run_free(&r);
		return 0;
	}
	long long settle = pwb_now_us() + 300000;
	while (pwb_now_us() < settle)
		drain_events(&r, 20);
	r.produced = r.n_acc = r.n_term = 0;
	r.t_last_term = 0;
	memset(r.flags, 0, n);
	r.letter = m->letter;
	r.target = m->n;
	if (worker_mark(&r, &u0, eb) != PA_OK) {
		fprintf(stderr, "bench: %s: %s\n", m->name, eb);
		run_free(&r);
		return 0;
	}
	pwb_window_begin(&r.win, r.worker.pid);
	fprintf(stderr, "bench: %s: %ld commands, window %ld ...\n", m->name,
		m->n, m->window);
	long long t0 = pwb_now_us();
	int complete = drive(&r, deadline_us);
	long long t1 = r.t_last_term ? r.t_last_term : pwb_now_us();
	err = worker_mark(&r, &u1, eb);
	if (err != PA_OK)
		fprintf(stderr, "bench: %s: %s\n", m->name, eb);
	pwb_window_end(&r.win);
	/* late duplicates of terminal events would show here */
	long long drain_end = pwb_now_us() + 300000;
	while (pwb_now_us() < drain_end)
		drain_events(&r, 20);
	char line[512];
	memset(&uf, 0, sizeof uf);
	if (o->worker_bin) {
		/* graceful SIGTERM; VmHWM was read at the last mark */
		uf = u1;
		kill(r.worker.pid, SIGTERM);
	} else if (pwb_send(&r.worker, "q", eb) == PA_OK &&
	    pwb_expect(&r.worker, "final ", line, sizeof line, 30000, eb) ==
		    PA_OK)
		parse_usage(line, &uf);
	else
		fprintf(stderr, "bench: %s: no final report: %s\n", m->name,
			eb);
	int status = 0;
	pwb_reap(&r.worker, 15000, &status);

	m->terminal = r.n_term;
	m->missing = m->n - r.n_term;
	m->secs = (double)(t1 - t0) / 1e6;
	m->rate = m->secs > 0 ? (double)r.n_term / m->secs : 0;
	qsort(r.lat_acc, (size_t)r.n_acc, sizeof *r.lat_acc, cmp_ll);
	qsort(r.lat_term, (size_t)r.n_term, sizeof *r.lat_term, cmp_ll);
	m->acc_p50 = pct_ms(r.lat_acc, r.n_acc, 0.50);
	m->acc_p99 = pct_ms(r.lat_acc, r.n_acc, 0.99);
	m->term_p50 = pct_ms(r.lat_term, r.n_term, 0.50);
	m->term_p99 = pct_ms(r.lat_term, r.n_term, 0.99);
	if (u1.cpu_us && r.n_term) {
		m->cpu_us_per_cmd = (double)(u1.cpu_us - u0.cpu_us) /
				    (double)r.n_term;
		m->cpu_util = (double)(u1.cpu_us - u0.cpu_us) /
			      (double)(t1 - t0);
	}
	m->allocs_per_cmd = m->frees_per_cmd = m->alloc_bytes_per_cmd = -1;
	if (o->count_allocs && r.n_term) {
		double nt = (double)r.n_term;
		m->allocs_per_cmd = (double)(u1.allocs + u1.reallocs -
					     u0.allocs - u0.reallocs) / nt;
		m->frees_per_cmd = (double)(u1.frees - u0.frees) / nt;
		m->alloc_bytes_per_cmd =
			(double)(u1.alloc_bytes - u0.alloc_bytes) / nt;
	}
	long hwm = uf.hwm_kb ? uf.hwm_kb : u1.hwm_kb;
	m->hwm_mb = (double)hwm / 1024.0;
	m->rss_mb = (double)u1.rss_kb / 1024.0;
	m->inflight_max = uf.inflight_max ? uf.inflight_max : u1.inflight_max;
	m->orders_live = u1.orders_live;
	m->orders_rest = u1.orders_rest;
	m->state_mb = (double)u1.state_kb / 1024.0;
	m->ok = complete && m->missing == 0 && m->dup_terminal == 0 &&
		m->undecodable == 0;
	if (!complete)
		fprintf(stderr,
			"bench: %s: stopped with %ld of %ld terminal events "
			"(produced %ld, first events %ld; worker done=%lld "
			"terminal=%lld dlq=%lld)\n",
			m->name, r.n_term, m->n, r.produced, r.n_acc, u1.done,
			u1.terminal, u1.dlq);
	if (u1.dlq)
		fprintf(stderr, "bench: %s: %lld dead letters\n", m->name,
			u1.dlq);
	run_free(&r);
	return m->ok;
}

/* ---- sandbox --------------------------------------------------------- */

static pa_err_t start_sandbox(const pwb_opts_t *o, pwb_child_t *c, char *url,
			      size_t size, char *eb)
{
	char fault[64], delay[16], merchant[192];
	snprintf(fault, sizeof fault, "*:latency=fixed:%d", o->latency_ms);
	snprintf(delay, sizeof delay, "%d", o->resolve_delay_ms);
	/* webhook path: the gateway posts each order's webhook to the
	 * worker's listener, as in production; poll path: no webhooks */
	int n = snprintf(merchant, sizeof merchant, "pid=%s,secret=%s",
			 BENCH_PID, BENCH_SECRET);
	if (o->webhook)
		snprintf(merchant + n, sizeof merchant - (size_t)n,
			 ",callback=http://127.0.0.1:%d/webhooks/payatom/bench",
			 o->http_port);
	char *argv[] = {(char *)o->sandbox_bin,
			"--port",
			"0",
			"--print-port",
			"--seed",
			"1",
			"--mix",
			"Approved:1",
			"--resolve-delay-ms",
			delay,
			"--order-id-rules",
			"lenient",
			"--merchant",
			merchant,
			"--fault",
			fault,
			NULL};
	/* the sandbox shares the driver's CPU (inherited affinity) */
	pa_err_t err = pwb_spawn(c, "sandbox", argv, -1, eb);
	if (err != PA_OK)
		return err;
	char line[64];
	err = pwb_read_line(c, line, sizeof line, 10000, eb);
	if (err != PA_OK)
		return err;
	int port = atoi(line);
	if (port <= 0)
		return pa_seterr(eb, PA_PARSE, "sandbox printed '%s'", line);
	snprintf(url, size, "http://127.0.0.1:%d", port);
	return PA_OK;
}

/* ---- main ------------------------------------------------------------ */

/* Commands of --window-delay-ms (default: one commit.interval with
 * exactly_once, else 0) at the mode's reachable rate, min(cap x 1000 /
 * latency_ms, 5000) per second (file header). */
static long txn_room(const pwb_opts_t *o, int cap)
{
	long delay_ms = o->window_delay_ms >= 0 ? o->window_delay_ms
			: o->exactly_once	? o->commit_interval_ms
						: 0;
	double rate = o->latency_ms > 0 ? (double)cap * 1000.0 / o->latency_ms
					: 5000.0;
	if (rate > 5000.0)
		rate = 5000.0;
	return (long)(rate * (double)delay_ms / 1000.0);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_pipeline [--short] [--commands N] "
		"[--seq-commands N]\n"
		"         [--latency-ms MS] [--gateway fake|sandbox] "
		"[--partitions P]\n"
		"         [--inflight N] [--poll-first-ms MS] [--window N]\n"
		"         [--fetch-wait-ms MS] [--resolve-delay-ms MS] "
		"[--sandbox-bin PATH]\n         "
		"[--timeout-s S] [--no-pin]\n"
		"         [--brokers HOST:PORT]  (a real broker instead of the "
		"in-process mock cluster)\n"
		"         [--guarantee at_least_once|exactly_once]  "
		"(exactly_once: --brokers only)\n"
		"         [--commit-interval-ms MS]  (the worker's "
		"commit.interval, default 1000)\n"
		"         [--window-delay-ms MS]  (window + commands of MS; "
		"default commit.interval\n"
		"                                  with exactly_once, else 0)\n"
		"         [--worker-bin PATH/payatom-worker]  (the real program, "
		"sandbox gateway only)\n"
		"         [--path poll|webhook]  (how orders settle: a status "
		"poll at poll.first, or\n"
		"                                the sandbox's webhook to the "
		"worker's listener: --worker-bin only)\n"
		"         [--count-allocs]  (heap calls per payin, counted by "
		"libpwb_alloccount.so;\n"
		"                            slows the worker: not for "
		"timing)\n"
		"environment: PAYATOM_BENCH_WORKER_WRAP=PROGRAM (the worker runs "
		"under it),\n"
		"         PAYATOM_BENCH_WINDOW_CMD='perf stat -p $PWB_PID ...' "
		"(runs over the measured\n"
		"         window, SIGINT at its end)\n"
		"defaults: 100000 commands (sequential mode: 2000), 50 ms, "
		"gateway sandbox, 12 partitions,\n"
		"max.inflight 1000, poll.first 200 ms, timeout 900 s; "
		"--short: 5000 and 200 commands.\n");
}

enum {
	O_COMMANDS = 256, O_SEQ, O_LATENCY, O_GATEWAY, O_PARTS, O_INFLIGHT,
	O_POLLFIRST, O_WINDOW, O_TIMEOUT, O_NOPIN, O_SHORT, O_RESOLVE,
	O_SBXBIN, O_ROLE, O_BROKERS, O_GROUP, O_PERPART, O_SBXURL, O_FETCHWAIT, O_WORKERBIN, O_GUARANTEE,
	O_COMMITIV, O_TOPICPREFIX, O_WINDOWDELAY, O_PATH, O_ALLOCS, O_HELP
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"commands", 1, 0, O_COMMANDS},
		{"seq-commands", 1, 0, O_SEQ},
		{"latency-ms", 1, 0, O_LATENCY},
		{"gateway", 1, 0, O_GATEWAY},
		{"partitions", 1, 0, O_PARTS},
		{"inflight", 1, 0, O_INFLIGHT},
		{"poll-first-ms", 1, 0, O_POLLFIRST},
		{"window", 1, 0, O_WINDOW},
		{"timeout-s", 1, 0, O_TIMEOUT},
		{"no-pin", 0, 0, O_NOPIN},
		{"short", 0, 0, O_SHORT},
		{"resolve-delay-ms", 1, 0, O_RESOLVE},
		{"sandbox-bin", 1, 0, O_SBXBIN},
		{"role", 1, 0, O_ROLE},
		{"brokers", 1, 0, O_BROKERS},
		{"group", 1, 0, O_GROUP},
		{"per-partition", 1, 0, O_PERPART},
		{"sandbox-url", 1, 0, O_SBXURL},
		{"fetch-wait-ms", 1, 0, O_FETCHWAIT},
		{"worker-bin", 1, 0, O_WORKERBIN},
		{"guarantee", 1, 0, O_GUARANTEE},
		{"commit-interval-ms", 1, 0, O_COMMITIV},
		{"topic-prefix", 1, 0, O_TOPICPREFIX},
		{"window-delay-ms", 1, 0, O_WINDOWDELAY},
		{"path", 1, 0, O_PATH},
		{"count-allocs", 0, 0, O_ALLOCS},
		{"help", 0, 0, O_HELP},
		{0, 0, 0, 0}};
	pwb_opts_t o = {.commands = -1, .seq_commands = -1, .latency_ms = 50,
		    .gateway = "sandbox", .partitions = 12, .inflight = 1000,
		    .poll_first_ms = 200, .timeout_s = 900, .pin = 1,
		    .resolve_delay_ms = 100, .fetch_wait_ms = 10,
		    .commit_interval_ms = 1000, .window_delay_ms = -1};
	pwb_worker_args_t wa = {.group = "bench", .merchant = "bench",
				.pid = BENCH_PID, .secret = BENCH_SECRET,
				.per_partition = 1000};
	const char *role = "driver";
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_COMMANDS: o.commands = atol(optarg); break;
		case O_SEQ: o.seq_commands = atol(optarg); break;
		case O_LATENCY: o.latency_ms = atoi(optarg); break;
		case O_GATEWAY: o.gateway = optarg; break;
		case O_PARTS: o.partitions = atoi(optarg); break;
		case O_INFLIGHT: o.inflight = atoi(optarg); break;
		case O_POLLFIRST: o.poll_first_ms = atol(optarg); break;
		case O_WINDOW: o.window = atol(optarg); break;
		case O_TIMEOUT: o.timeout_s = (unsigned)atol(optarg); break;
		case O_NOPIN: o.pin = 0; break;
		case O_SHORT: o.is_short = 1; break;
		case O_RESOLVE: o.resolve_delay_ms = atoi(optarg); break;
		case O_SBXBIN: o.sandbox_bin = optarg; break;
		case O_ROLE: role = optarg; break;
		case O_BROKERS: wa.brokers = o.brokers = optarg; break;
		case O_GUARANTEE:
			if (strcmp(optarg, "exactly_once") == 0)
				o.exactly_once = 1;
			else if (strcmp(optarg, "at_least_once") != 0) {
				usage(stderr);
				return 2;
			}
			break;
		case O_COMMITIV: o.commit_interval_ms = atol(optarg); break;
		case O_TOPICPREFIX: wa.topic_prefix = optarg; break;
		case O_WINDOWDELAY: o.window_delay_ms = atol(optarg); break;
		case O_GROUP: wa.group = optarg; break;
		case O_PERPART: wa.per_partition = atoi(optarg); break;
		case O_SBXURL: wa.sandbox_url = optarg; break;
		case O_FETCHWAIT: o.fetch_wait_ms = atoi(optarg); break;
		case O_WORKERBIN: o.worker_bin = optarg; break;
		case O_PATH:
			if (strcmp(optarg, "webhook") == 0)
				o.webhook = 1;
			else if (strcmp(optarg, "poll") != 0) {
				usage(stderr);
				return 2;
			}
			break;
		case O_ALLOCS: o.count_allocs = 1; break;
		case O_HELP: usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (strcmp(role, "worker") == 0) {
		wa.gateway = o.gateway;
		wa.partitions = o.partitions;
		wa.latency_ms = o.latency_ms;
		wa.max_inflight = o.inflight;
		wa.poll_first_ms = o.poll_first_ms;
		wa.fetch_wait_ms = o.fetch_wait_ms;
		wa.exactly_once = o.exactly_once;
		wa.commit_interval_ms = o.commit_interval_ms;
		return pwb_worker_main(&wa);
	}
	if (o.commands < 0)
		o.commands = o.is_short ? 5000 : 100000;
	if (o.seq_commands < 0)
		o.seq_commands = o.is_short ? 200 : 2000;
	if (o.seq_commands > o.commands)
		o.seq_commands = o.commands;
	if (o.commands <= 0 || o.partitions <= 0 || o.inflight <= 0 ||
	    o.latency_ms < 0 || o.poll_first_ms < 0 ||
	    o.commit_interval_ms < 10 ||
	    (strcmp(o.gateway, "fake") && strcmp(o.gateway, "sandbox"))) {
		usage(stderr);
		return 2;
	}
	if (o.worker_bin && strcmp(o.gateway, "sandbox") != 0) {
		fprintf(stderr, "bench: --worker-bin needs --gateway sandbox\n");
		return 2;
	}
	if (o.webhook && !o.worker_bin) {
		/* the in-process worker has no HTTP listener */
		fprintf(stderr, "bench: --path webhook needs --worker-bin\n");
		return 2;
	}
	if (o.exactly_once && !o.brokers) {
		/* librdkafka 2.0.2's mock cluster writes no transaction
		 * markers: read_committed readers would never see an event */
		fprintf(stderr, "bench: --guarantee exactly_once needs "
				"--brokers (a real broker)\n");
		return 2;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		o.pin = 0;
	/* topics and groups of this run alone on a shared broker */
	snprintf(o.run_tag, sizeof o.run_tag, "bench-%ld-%d",
		 (long)time(NULL), (int)getpid());

	char self[4096];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
	if (sl <= 0) {
		fprintf(stderr, "bench: cannot find /proc/self/exe\n");
		return 2;
	}
	self[sl] = '\0';
	o.self = self;
	char sbx_default[4200], alloc_lib[4200];
	char *slash = strrchr(self, '/');
	if (!o.sandbox_bin) {
		snprintf(sbx_default, sizeof sbx_default, "%.*s/payatom-sandbox",
			 (int)(slash - self), self);
		o.sandbox_bin = sbx_default;
	}
	snprintf(alloc_lib, sizeof alloc_lib, "%.*s/libpwb_alloccount.so",
		 (int)(slash - self), self);
	o.alloc_lib = alloc_lib;
	if (o.webhook && (o.http_port = pwb_free_port()) == 0) {
		fprintf(stderr, "bench: no free port for the worker's "
				"listener\n");
		return 2;
	}

	/* the driver's own pw_topics_ensure() (real broker): warnings only */
	pw_log_set_level(pw_log_default(), PW_LOG_WARN);
	pwb_guard_install(o.timeout_s);
	char eb[PA_ERRBUF_SIZE];
	if (o.pin && pwb_pin(1, eb) != PA_OK) {
		fprintf(stderr, "bench: %s (continuing unpinned)\n", eb);
		o.pin = 0;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	pwb_mode_t modes[2];
	memset(modes, 0, sizeof modes);
	int cap = o.inflight < o.partitions * 1000 ? o.inflight
						  : o.partitions * 1000;
	modes[0] = (pwb_mode_t){.name = "concurrent", .letter = 'C',
			    .n = o.commands, .per_partition = 1000,
			    .inflight = o.inflight};
	modes[0].window = o.window ? o.window
				   : (cap < 64 ? cap + 64 : 2 * cap) +
					     txn_room(&o, cap);
	int nm = 1;
	if (o.seq_commands > 0) {
		cap = o.partitions < o.inflight ? o.partitions : o.inflight;
		modes[1] = (pwb_mode_t){.name = "sequential", .letter = 'S',
				    .n = o.seq_commands, .per_partition = 1,
				    .inflight = o.inflight,
				    .window = (cap < 64 ? cap + 64 : 2 * cap) +
					      txn_room(&o, cap)};
		nm = 2;
	}
	pwb_print_settings(&o, modes, nm);

	pwb_child_t sbx;
	memset(&sbx, 0, sizeof sbx);
	sbx.ctl_fd = sbx.rep_fd = -1;
	char url[64] = "";
	if (strcmp(o.gateway, "sandbox") == 0 &&
	    start_sandbox(&o, &sbx, url, sizeof url, eb) != PA_OK) {
		fprintf(stderr, "bench: sandbox: %s\n", eb);
		pwb_reap(&sbx, 0, NULL);
		return 2;
	}
	long long deadline = pwb_now_us() + (long long)o.timeout_s * 1000000;
	int ok = 1;
	for (int i = 0; i < nm; i++)
		ok &= run_mode(&o, &modes[i], url[0] ? url : NULL, deadline);
	if (sbx.pid)
		kill(sbx.pid, SIGTERM);
	pwb_reap(&sbx, 5000, NULL);
	pwb_print_table(modes, nm);
	pwb_print_results(&o, modes, nm);
	pwb_print_notes(&o, modes, nm);
	pwb_print_targets(modes, nm);
	for (int i = 0; i < nm; i++)
		if (!modes[i].ok)
			printf("FAILED: %s: %ld of %ld commands without a "
			       "terminal event, %ld duplicate terminal events, "
			       "%ld undecodable events\n",
			       modes[i].name, modes[i].missing, modes[i].n,
			       modes[i].dup_terminal, modes[i].undecodable);
	for (int i = 0; i < nm; i++)
		if (modes[i].schema_invalid)
			printf("WARNING: %s: %ld events were not valid "
			       "PaymentStatusEvent records (read as plain "
			       "JSON)\n",
			       modes[i].name, modes[i].schema_invalid);
	if (ok)
		printf("every command reached exactly one terminal event\n");
	return ok ? 0 : 1;
}
