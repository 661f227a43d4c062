/* eos_rig.h -- the rig of the real-broker guarantee tests (it_eos_real.c,
 * it_alo_real.c, it_leader_kill_real.c): topics on the harness broker, a
 * payatom-sandbox process whose merchant calls the worker back, worker
 * processes started / SIGKILLed / SIGSTOPped / restarted, and a
 * read_committed consumer that tallies the output as it arrives.
 * Owns: the rig (rig_t), the per-order tally (exactly one terminal outcome,
 *       duplicates by event_id and by (order, sequence), sequence order).
 * Not here: spawning and reaping processes (tests/support/procs.h), the
 *           scenarios (the it_*_real.c programs).
 * Included by one translation unit each (static functions); the programs
 * only run with PAYATOM_TEST_KAFKA=real (tests/kafka/README.md) and exit 77
 * (skipped) otherwise. */
#ifndef PWT_EOS_RIG_H
#define PWT_EOS_RIG_H

#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kafkat.h"
#include "procs.h"
#include "pwtest.h"

#define EOS_PARTS 4
#define EOS_SLOTS 3

enum {
	ET_CMD_PAYIN,
	ET_CMD_PAYOUT,
	ET_CMD_COMPLAINT,
	ET_EVT_PAYMENT,
	ET_EVT_REFUND,
	ET_EVT_COMPLAINT,
	ET_EVT_REPORT,
	ET_DLQ,
	ET_INT_WEBHOOK,
	ET_INT_STATE,
	ET_N
};

static const char *const eos_topic_base[ET_N] = {
	"payatom.cmd.payin",   "payatom.cmd.payout",  "payatom.cmd.complaint",
	"payatom.evt.payment", "payatom.evt.refund",  "payatom.evt.complaint",
	"payatom.evt.report",  "payatom.dlq",	      "payatom.int.webhook",
	"payatom.int.state"};
static const char *const eos_topic_key[ET_N] = {
	"topic.cmd.payin",     "topic.cmd.payout",   "topic.cmd.complaint",
	"topic.evt.payment",   "topic.evt.refund",   "topic.evt.complaint",
	"topic.evt.report",    "topic.dlq",	     "topic.int.webhook",
	"topic.int.state"};

/* test data only (the sandbox's merchant; not a real credential) */
#define EOS_MERCHANT "in1"
#define EOS_PID "PWTEOS0001"
#define EOS_SECRET "pwt-eos-secret-5c1e"
#define EOS_API_KEY "pwt-eos-unused-key"

/* Per order: outcomes and what was published for it. */
typedef struct eos_order {
	int terms;	   /* terminal payment events (distinct event_id) */
	int dlq;	   /* dead letters */
	int maxseq;
	unsigned seqs;	   /* bit s: a record with sequence s was seen */
	int records;
} eos_order_t;

typedef struct eos_tally {
	long records;	   /* payment events + dead letters read */
	long dup_eid;	   /* records repeating an event_id seen before */
	long dup_eid_diff; /* ... whose status/sequence differ (conflict) */
	long dup_seq;	   /* a second event_id for an (order, sequence) */
	long regressions;  /* a new event whose sequence is not above the
			      order's highest so far */
	long foreign;	   /* records for orders this test did not send */
	long dlq;
	long wrong_status;
} eos_tally_t;

typedef struct rig {
	const char *tag;
	char brokers[512];
	char topic[ET_N][160];
	char group[160];
	rd_kafka_t *prod;
	pwt_proc_t *sbx;
	char sbx_url[64];
	int wport[EOS_SLOTS];
	char conf[1024];
	rd_kafka_t *tail; /* read_committed */
	json_t *eids;	  /* event_id -> "status|sequence" */
	int n;		  /* orders of the test */
	int fed;	  /* orders sent by the feeder so far */
	long feed_rate;	  /* feeder: orders per second (0: off) */
	/* produces refused by librdkafka as out of the transaction's state
	 * ("Erroneous state"), in the logs of the workers eos_kill_run ran:
	 * a record that missed the transaction its neighbours went into */
	long txn_refused;
	int64_t feed_t0;
	eos_order_t *ord;
	eos_tally_t t;
} rig_t;

/* Harness variables; returns 0 when this is not the real-broker run. */
static inline int eos_real(void)
{
	const char *k = getenv("PAYATOM_TEST_KAFKA");
	return k && !strcmp(k, "real");
}

static inline long eos_env_long(const char *name, long dflt)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

static inline int eos_free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t l = sizeof a;
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &l), 0);
	close(s);
	return ntohs(a.sin_port);
}

/* The worker's topics, as pw_topics_ensure would make them (equal partition
 * counts, the state changelog compacted), replication rf. */
static inline void eos_create_topics(rig_t *r, int rf)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", r->brokers, es, sizeof es);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	ck_assert_msg(rk != NULL, "admin client: %s", es);
	rd_kafka_NewTopic_t *nt[ET_N];
	for (int i = 0; i < ET_N; i++) {
		nt[i] = rd_kafka_NewTopic_new(r->topic[i], EOS_PARTS, rf, es,
					      sizeof es);
		ck_assert_ptr_nonnull(nt[i]);
		if (i == ET_INT_STATE)
			rd_kafka_NewTopic_set_config(nt[i], "cleanup.policy",
						     "compact");
		if (rf > 1)
			rd_kafka_NewTopic_set_config(nt[i],
						     "min.insync.replicas", "2");
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, nt, ET_N, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)pwt_ms(30000));
	ck_assert_msg(ev != NULL, "CreateTopics timed out");
	size_t n = 0;
	const rd_kafka_topic_result_t **tr =
		rd_kafka_CreateTopics_result_topics(
			rd_kafka_event_CreateTopics_result(ev), &n);
	for (size_t i = 0; i < n; i++) {
		rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
		ck_assert_msg(!e || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS,
			      "create %s: %s", rd_kafka_topic_result_name(tr[i]),
			      rd_kafka_err2str(e));
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	for (int i = 0; i < ET_N; i++)
		rd_kafka_NewTopic_destroy(nt[i]);
	rd_kafka_destroy(rk);
}

static inline void eos_tail_start(rig_t *r)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", r->brokers, es, sizeof es);
	rd_kafka_conf_set(c, "group.id", "pwt-eos-tail", es, sizeof es);
	rd_kafka_conf_set(c, "enable.auto.commit", "false", es, sizeof es);
	rd_kafka_conf_set(c, "isolation.level", "read_committed", es,
			  sizeof es);
	r->tail = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
	ck_assert_msg(r->tail != NULL, "tail consumer: %s", es);
	rd_kafka_poll_set_consumer(r->tail);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(2 * EOS_PARTS);
	int outs[] = {ET_EVT_PAYMENT, ET_DLQ};
	for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
		for (int p = 0; p < EOS_PARTS; p++)
			rd_kafka_topic_partition_list_add(l, r->topic[outs[i]],
							  p)
				->offset = RD_KAFKA_OFFSET_BEGINNING;
	ck_assert_int_eq(rd_kafka_assign(r->tail, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	r->eids = json_object();
}

/* ---- orders: magic ids with one deterministic outcome each --------------- */

static const char *const eos_magic[] = {"APPROVE", "DECLINE", "FAIL",
					"CANCEL"};
static const char *const eos_magic_status[] = {"SUCCEEDED", "DECLINED",
					       "FAILED", "CANCELLED"};

static inline void eos_oid(int i, char *buf, size_t size)
{
	const char *m = eos_magic[i % 4];
	snprintf(buf, size, "%s%0*d", m, (int)(13 - strlen(m)), i);
}

/* Index of a test order id, or -1. */
static inline int eos_oid_index(const rig_t *r, const char *oid)
{
	if (!oid)
		return -1;
	for (int k = 0; k < 4; k++) {
		size_t l = strlen(eos_magic[k]);
		if (!strncmp(oid, eos_magic[k], l)) {
			char *end = NULL;
			long i = strtol(oid + l, &end, 10);
			if (end && !*end && i >= 0 && i < r->n && i % 4 == k)
				return (int)i;
		}
	}
	return -1;
}

static inline void eos_send(rig_t *r, int from, int to)
{
	char oid[32], cid[48];
	for (int i = from; i < to; i++) {
		eos_oid(i, oid, sizeof oid);
		snprintf(cid, sizeof cid, "cmd-%s", oid);
		/* schemas/payin_command.avsc (test data only: fake UPI
		 * id, e-mail and phone) */
		json_t *c = json_pack(
			"{s:s s:s s:s s:s s:s s:s s:I s:s s:s s:I "
			"s:{s:s s:s s:s}}",
			"type", "payin", "command_id", cid, "merchant",
			EOS_MERCHANT, "order_id", oid, "product",
			"PAYIN_UPI_P2C_SEAMLESS", "country", "IN",
			"amount_minor", (json_int_t)(100 + i % 500) * 100,
			"currency", "INR", "upi_id", "asha@okaxis", "created_at",
			(json_int_t)time(NULL) * 1000, "customer", "name",
			"Asha Rao",
			"email", "asha.rao@example.com", "phone", "9876543210");
		char *s = json_dumps(c, JSON_COMPACT);
		pwt_produce(r->prod, r->topic[ET_CMD_PAYIN], oid, s, 0);
		free(s);
		json_decref(c);
	}
	pwt_flush(r->prod);
}

/* ---- the read_committed tally -------------------------------------------- */

static inline void eos_record(rig_t *r, rd_kafka_message_t *m)
{
	const char *t = rd_kafka_topic_name(m->rkt);
	json_error_t je;
	json_t *v = m->payload ? json_loadb(m->payload, m->len, 0, &je) : NULL;
	r->t.records++;
	if (!strcmp(t, r->topic[ET_DLQ])) {
		char key[64] = "";
		if (m->key && m->key_len < sizeof key)
			memcpy(key, m->key, m->key_len), key[m->key_len] = 0;
		int i = eos_oid_index(r, key);
		r->t.dlq++;
		if (i < 0)
			r->t.foreign++;
		else
			r->ord[i].dlq++;
		json_decref(v);
		return;
	}
	const char *eid = json_string_value(json_object_get(v, "event_id"));
	const char *oid = json_string_value(json_object_get(v, "order_id"));
	const char *st = json_string_value(json_object_get(v, "status"));
	int seq = (int)json_integer_value(json_object_get(v, "sequence"));
	int i = eos_oid_index(r, oid);
	if (!eid || !st || i < 0) {
		r->t.foreign++;
		json_decref(v);
		return;
	}
	eos_order_t *o = &r->ord[i];
	o->records++;
	char sig[96];
	snprintf(sig, sizeof sig, "%s|%d", st, seq);
	json_t *prev = json_object_get(r->eids, eid);
	if (prev) {
		r->t.dup_eid++;
		if (strcmp(json_string_value(prev), sig))
			r->t.dup_eid_diff++;
		json_decref(v);
		return;
	}
	json_object_set_new(r->eids, eid, json_string(sig));
	if (seq >= 0 && seq < 32 && (o->seqs & (1u << seq))) {
		r->t.dup_seq++;
		if (getenv("PAYATOM_EOS_DEBUG") && r->t.dup_seq <= 5)
			printf("%s: another event for %s sequence %d: %.*s\n",
			       r->tag, oid, seq, (int)m->len,
			       (const char *)m->payload);
	}
	if (seq >= 0 && seq < 32)
		o->seqs |= 1u << seq;
	if (seq <= o->maxseq)
		r->t.regressions++;
	else
		o->maxseq = seq;
	if (json_is_true(json_object_get(v, "terminal"))) {
		o->terms++;
		if (strcmp(st, eos_magic_status[i % 4]))
			r->t.wrong_status++;
	}
	json_decref(v);
}

/* The feeder: sends orders [fed, n) at feed_rate per second from
 * feed_t0, as a stream the test's kills and rebalances land in. */
static inline void eos_feed(rig_t *r)
{
	if (r->feed_rate <= 0 || r->fed >= r->n)
		return;
	int64_t due = (pwt_now_ms() - r->feed_t0) * r->feed_rate / 1000;
	int to = due < r->n ? (int)due : r->n;
	if (to > r->fed) {
		eos_send(r, r->fed, to);
		r->fed = to;
	}
}

static inline void eos_feed_start(rig_t *r, long rate)
{
	r->feed_rate = rate;
	r->feed_t0 = pwt_now_ms();
	r->fed = 0;
	eos_feed(r);
}

/* The feeder from order `from` on (what came before was sent already). */
static inline void eos_feed_from(rig_t *r, int from, long rate)
{
	r->feed_rate = rate;
	r->feed_t0 = pwt_now_ms() - (int64_t)from * 1000 / rate;
	r->fed = from;
	eos_feed(r);
}

/* Consumes output records for ms milliseconds (feeding meanwhile);
 * returns how many arrived. */
static inline int eos_poll(rig_t *r, long ms)
{
	int64_t end = pwt_now_ms() + ms;
	int n = 0;
	do {
		eos_feed(r);
		rd_kafka_message_t *m = rd_kafka_consumer_poll(r->tail, 20);
		if (!m)
			continue;
		if (!m->err) {
			eos_record(r, m);
			n++;
		}
		rd_kafka_message_destroy(m);
	} while (pwt_now_ms() < end);
	return n;
}

/* Orders with at least one outcome; *multi gets those with more. */
static inline int eos_settled(const rig_t *r, int *multi)
{
	int s = 0, mu = 0;
	for (int i = 0; i < r->n; i++) {
		int out = r->ord[i].terms + r->ord[i].dlq;
		s += out > 0;
		mu += out > 1;
	}
	if (multi)
		*multi = mu;
	return s;
}

/* Consumes until every order settled or timeout_ms (stretched) passed. */
static inline int eos_wait_settled(rig_t *r, long timeout_ms)
{
	int64_t end = pwt_now_ms() + pwt_ms(timeout_ms);
	int s;
	while ((s = eos_settled(r, NULL)) < r->n && pwt_now_ms() < end)
		eos_poll(r, 250);
	return s;
}

/* ---- sandbox and workers ------------------------------------------------- */

/* The sandbox: one merchant whose callback is the worker in slot 0,
 * gateway latency, orders resolving after a delay (webhook + poll). */
static inline void eos_sandbox_start(rig_t *r, const char *const *extra)
{
	char text[4096];
	size_t n = (size_t)snprintf(
		text, sizeof text,
		"seed = 7\n"
		"resolve-delay-ms = 500\n"
		"webhook-retry-ms = 300\n"
		"webhook-retry-max-ms = 2000\n"
		"webhook-max-attempts = 8\n"
		"webhook-timeout-ms = 2000\n"
		"max-orders = 400000\n"
		"log-requests = 1\n"
		"fault = /:latency=uniform:5-40\n"
		"merchant = pid=%s,secret=%s,api_key=%s,callback=http://"
		"127.0.0.1:%d/webhooks/payatom/%s\n",
		EOS_PID, EOS_SECRET, EOS_API_KEY, r->wport[0], EOS_MERCHANT);
	for (size_t i = 0; extra && extra[i]; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s\n",
				      extra[i]);
	ck_assert_uint_lt(n, sizeof text - 1);
	int port = 0;
	r->sbx = pwt_sandbox_spawn(text, &port);
	ck_assert_ptr_nonnull(r->sbx);
	ck_assert_msg(port > 0, "payatom-sandbox printed no port");
	snprintf(r->sbx_url, sizeof r->sbx_url, "http://127.0.0.1:%d", port);
}

static inline void eos_worker_conf(rig_t *r, const char *guarantee,
			    const char *const *extra)
{
	char text[8192];
	size_t n = (size_t)snprintf(
		text, sizeof text,
		"brokers = %s\n"
		"group.id = %s\n"
		"processing.guarantee = %s\n"
		"topics.partitions = %d\n"
		"serialization = json\n"
		"log.level = info\n"
		"log.format = json\n"
		"poll.first = 2s\n"
		"poll.max.interval = 3s\n"
		"retry.base = 100ms\n"
		"retry.max = 1s\n"
		"retry.max.attempts = 20\n"
		"breaker.failures = 1000\n"
		"breaker.open = 300ms\n"
		"rate.limit.rps = 20000\n"
		"commit.interval = 200ms\n"
		"shutdown.timeout = 5s\n"
		"%s"
		"merchant.%s.pid = %s\n"
		"merchant.%s.secret = %s\n"
		"merchant.%s.base.url = %s\n"
		"merchant.%s.country = IN\n"
		"merchant.%s.api.version = v1\n",
		r->brokers, r->group, guarantee, EOS_PARTS,
		pwt_group_protocol_conf(), EOS_MERCHANT,
		EOS_PID, EOS_MERCHANT, EOS_SECRET, EOS_MERCHANT, r->sbx_url,
		EOS_MERCHANT, EOS_MERCHANT);
	for (int i = 0; i < ET_N; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s = %s\n",
				      eos_topic_key[i], r->topic[i]);
	for (size_t i = 0; extra && extra[i]; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s\n",
				      extra[i]);
	ck_assert_uint_lt(n, sizeof text - 1);
	ck_assert_ptr_nonnull(pwt_procs_write_file("worker.conf", text, r->conf,
						   sizeof r->conf));
}

/* rf: replication factor of the topics (1 on a single broker). */
static inline void eos_rig_init(rig_t *r, const char *tag, int n, int rf,
			 const char *guarantee,
			 const char *const *sbx_extra,
			 const char *const *worker_extra)
{
	memset(r, 0, sizeof *r);
	r->tag = tag;
	pwt_procs_dir(tag);
	const char *b = getenv("PAYATOM_TEST_BOOTSTRAP");
	ck_assert_msg(b && *b, "PAYATOM_TEST_KAFKA=real needs "
			       "PAYATOM_TEST_BOOTSTRAP");
	snprintf(r->brokers, sizeof r->brokers, "%s", b);
	char prefix[64];
	snprintf(prefix, sizeof prefix, "%s-%d", tag, (int)getpid());
	for (int i = 0; i < ET_N; i++)
		snprintf(r->topic[i], sizeof r->topic[i], "%s.%s", prefix,
			 eos_topic_base[i]);
	snprintf(r->group, sizeof r->group, "pwt-%s", prefix);
	eos_create_topics(r, rf);
	for (int i = 0; i < EOS_SLOTS; i++)
		r->wport[i] = eos_free_port();
	r->n = n;
	r->ord = calloc((size_t)n, sizeof *r->ord);
	ck_assert_ptr_nonnull(r->ord);
	r->prod = pwt_producer(r->brokers);
	eos_sandbox_start(r, sbx_extra);
	eos_worker_conf(r, guarantee, worker_extra);
	eos_tail_start(r);
}

static inline void eos_rig_fini(rig_t *r)
{
	pwt_proc_free(r->sbx);
	if (r->tail) {
		rd_kafka_consumer_close(r->tail);
		rd_kafka_destroy(r->tail);
	}
	json_decref(r->eids);
	free(r->ord);
	rd_kafka_destroy(r->prod);
	pwt_procs_ok();
}

static inline long eos_readyz(rig_t *r, int slot, long timeout_ms)
{
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", r->wport[slot]);
	return pwt_proc_http(NULL, url, NULL, NULL, timeout_ms);
}

/* Starts a worker in slot (its HTTP port) with extra -o settings; waits
 * for its start line and /readyz 200, consuming output meanwhile. */
static inline pwt_proc_t *eos_worker_start(rig_t *r, int slot,
				    const char *const *opts)
{
	pwt_proc_t *w = pwt_worker_spawn(r->conf, r->wport[slot], opts);
	ck_assert_ptr_nonnull(w);
	char line[2048];
	int64_t end = pwt_now_ms() + pwt_ms(30000);
	while (!pwt_proc_wait_log(w, "payatom-worker started", line,
				  sizeof line, 200) &&
	       pwt_proc_alive(w) && pwt_now_ms() < end)
		eos_poll(r, 100);
	ck_assert_msg(pwt_proc_count_log(w, "payatom-worker started") > 0,
		      "%s did not start (see %s)", pwt_proc_name(w),
		      pwt_proc_err_path(w));
	long st = 0;
	while (pwt_now_ms() < end && pwt_proc_alive(w) &&
	       (st = eos_readyz(r, slot, 2000)) != 200)
		eos_poll(r, 100);
	ck_assert_msg(st == 200, "%s not ready (/readyz %ld)", pwt_proc_name(w),
		      st);
	return w;
}

/* SIGTERM (unless it exited already) and reap; the exit code. */
static inline int eos_worker_stop(pwt_proc_t *w, long timeout_ms)
{
	if (pwt_proc_alive(w))
		ck_assert_int_eq(pwt_proc_signal(w, SIGTERM), 0);
	int status = 0;
	ck_assert_msg(pwt_proc_wait(w, timeout_ms, &status),
		      "%s did not exit within %ld ms of SIGTERM",
		      pwt_proc_name(w), pwt_ms(timeout_ms));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A random duration in [lo, hi] ms (rand(), seeded by the test). */
static inline long eos_rand_ms(long lo, long hi)
{
	return lo + (long)(rand() % (int)(hi - lo + 1));
}

/* Runs "$PAYATOM_TEST_KAFKA_HARNESS <args>" as a child process (so the
 * test keeps consuming and polling meanwhile); the caller waits for it. */
static inline pwt_proc_t *eos_harness(const char *args)
{
	const char *h = getenv("PAYATOM_TEST_KAFKA_HARNESS");
	ck_assert_msg(h && *h, "PAYATOM_TEST_KAFKA_HARNESS not set");
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "%s %s", h, args);
	char *argv[] = {"/bin/sh", "-c", cmd, NULL};
	pwt_proc_t *p = pwt_proc_spawn("harness", argv);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Runs a harness command to its end (bounded), consuming meanwhile;
 * returns its exit code; out (if set) gets the first stdout line. */
static inline int eos_harness_run(rig_t *r, const char *args, long timeout_ms,
				  char *out, size_t size)
{
	pwt_proc_t *p = eos_harness(args);
	int64_t end = pwt_now_ms() + pwt_ms(timeout_ms);
	while (pwt_proc_alive(p) && pwt_now_ms() < end)
		eos_poll(r, 100);
	int st = 0;
	ck_assert_msg(pwt_proc_wait(p, 1000, &st), "harness %s: no exit", args);
	if (out && !pwt_proc_first_line(p, out, size, 1000))
		*out = 0;
	pwt_proc_free(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Records in topic's partitions as a read_uncommitted reader sees them
 * (aborted transactions included), read to the end (bounded). */
static inline long eos_count_uncommitted(rig_t *r, const char *topic)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", r->brokers, es, sizeof es);
	rd_kafka_conf_set(c, "group.id", "pwt-eos-uncommitted", es, sizeof es);
	rd_kafka_conf_set(c, "enable.auto.commit", "false", es, sizeof es);
	rd_kafka_conf_set(c, "enable.partition.eof", "true", es, sizeof es);
	rd_kafka_conf_set(c, "isolation.level", "read_uncommitted", es,
			  sizeof es);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
	ck_assert_msg(rk != NULL, "%s", es);
	rd_kafka_poll_set_consumer(rk);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(EOS_PARTS);
	for (int p = 0; p < EOS_PARTS; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	ck_assert_int_eq(rd_kafka_assign(rk, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	long n = 0;
	int eofs = 0;
	int64_t end = pwt_now_ms() + pwt_ms(30000);
	while (eofs < EOS_PARTS && pwt_now_ms() < end) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			eofs++;
		else if (!m->err)
			n++;
		rd_kafka_message_destroy(m);
	}
	ck_assert_int_eq(eofs, EOS_PARTS);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return n;
}

/* Sum of the samples of a metric (every label set, or one full sample)
 * on the worker in slot's /metrics; -1 when it does not answer or has
 * none. */
static inline double eos_metric(rig_t *r, int slot, const char *name)
{
	return pwt_proc_metric(r->wport[slot], name);
}

/* Gateway create calls the sandbox logged (log-requests = 1). */
static inline long eos_creates(rig_t *r)
{
	return pwt_proc_count_log(r->sbx, "\"path\":\"/api/request.php\"");
}

static inline json_t *eos_sandbox_counters(rig_t *r)
{
	char url[256], *body = NULL;
	snprintf(url, sizeof url, "%s/_sandbox/counters", r->sbx_url);
	long st = pwt_proc_http(NULL, url, NULL, &body, 5000);
	ck_assert_msg(st == 200, "GET /_sandbox/counters: %ld", st);
	json_error_t je;
	json_t *v = json_loads(body, 0, &je);
	free(body);
	ck_assert_ptr_nonnull(v);
	return v;
}

static inline long eos_jint(json_t *o, const char *a, const char *b)
{
	json_t *v = json_object_get(o, a);
	if (b)
		v = json_object_get(v, b);
	return (long)json_integer_value(v);
}

static inline unsigned eos_seed(void)
{
	unsigned s = (unsigned)eos_env_long("PAYATOM_EOS_SEED", 0);
	if (!s)
		s = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(s);
	return s;
}

/* N payins sent as a stream (PAYATOM_EOS_RATE per second), kills SIGKILLs
 * at random moments, a restart after each. Shared by the exactly-once and
 * at-least-once runs; returns the wall time. A kill comes 0.3-6 s after the
 * incarnation made visible progress (an order settled since it started; at
 * most 60 s of waiting for that), so every kill hits a worker in the middle
 * of its work while commands still arrive. opts: the worker's -o. */
static inline int64_t eos_kill_run(rig_t *r, int kills, int *done_kills,
			const char *const *opts)
{
	int64_t t0 = pwt_now_ms();
	/* a stream of rate orders/s (default 300: 20,000 over ~67 s) */
	eos_feed_start(r, eos_env_long("PAYATOM_EOS_RATE", 300));
	pwt_proc_t *w = eos_worker_start(r, 0, opts);
	int64_t end_feed;
	int k = 0;
	for (; k < kills; k++) {
		int base = eos_settled(r, NULL);
		int64_t wait_end = pwt_now_ms() + 60000;
		while (eos_settled(r, NULL) == base && base < r->n &&
		       pwt_now_ms() < wait_end && pwt_proc_alive(w))
			eos_poll(r, 100);
		int64_t at = pwt_now_ms() + eos_rand_ms(300, 6000);
		while (pwt_now_ms() < at && pwt_proc_alive(w))
			eos_poll(r, 100);
		ck_assert_msg(pwt_proc_alive(w), "worker died by itself (%s)",
			      pwt_proc_err_path(w));
		int settled = eos_settled(r, NULL);
		ck_assert_int_eq(pwt_proc_signal(w, SIGKILL), 0);
		ck_assert(pwt_proc_wait(w, 5000, NULL));
		r->txn_refused += pwt_proc_count_log(w, "Erroneous state");
		pwt_proc_free(w);
		printf("%s: kill %d at %.1f s (settled %d of %d)\n", r->tag,
		       k + 1, (double)(pwt_now_ms() - t0) / 1000, settled,
		       r->n);
		fflush(stdout);
		w = eos_worker_start(r, 0, opts);
	}
	*done_kills = k;
	printf("%s: %d of %d orders sent when the last kill came\n", r->tag,
	       r->fed, r->n);
	end_feed = pwt_now_ms() + pwt_ms(300000);
	while (r->fed < r->n && pwt_now_ms() < end_feed)
		eos_poll(r, 100);
	ck_assert_int_eq(r->fed, r->n);
	eos_wait_settled(r, (long)eos_env_long("PAYATOM_EOS_SETTLE_MS", 240000));
	/* anything late: a duplicate would come now */
	eos_poll(r, 3000);
	ck_assert_int_eq(eos_worker_stop(w, 20000), 0);
	r->txn_refused += pwt_proc_count_log(w, "Erroneous state");
	pwt_proc_free(w);
	eos_poll(r, 2000);
	return pwt_now_ms() - t0;
}

/* One test case of these programs: its name (CK_RUN_CASE), its test and
 * its timeout in seconds. */
typedef struct eos_case {
	const char *name;
	const TTest *test;
	int timeout_s;
} eos_case_t;

/* Check's main for these programs: exit 77 (CTest SKIP_RETURN_CODE) unless
 * the harness runs us against a real broker. cases ends with a NULL name. */
static inline int eos_main(const char *name, const eos_case_t *cases)
{
	if (!eos_real()) {
		printf("%s: needs PAYATOM_TEST_KAFKA=real (run through "
		       "tests/kafka: ctest -L kafka); skipped\n",
		       name);
		return 77;
	}
	Suite *s = suite_create(name);
	for (int i = 0; cases[i].name; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_set_timeout(tc, cases[i].timeout_s);
		tcase_add_test(tc, cases[i].test);
		suite_add_tcase(s, tc);
	}
	return pwt_run_suite(s);
}

#endif
