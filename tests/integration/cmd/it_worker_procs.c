/* it_worker_procs.c -- payatom-worker as separate processes against a
 * payatom-sandbox process, on one Kafka cluster shared by all of them:
 * every product end to end, a worker SIGKILLed mid-stream and restarted, a
 * rebalance with two workers, graceful shutdown, duplicate / out-of-order /
 * bad-hash webhooks, gateway 5xx / hangs / garbage with recovery.
 *
 * One suite, two clusters: by default this program hosts librdkafka's mock
 * cluster (real sockets on 127.0.0.1; the workers connect to it and it
 * outlives them); with PAYATOM_TEST_KAFKA=real it uses the broker at
 * PAYATOM_TEST_BOOTSTRAP (tests/kafka/README.md: CMake registers the
 * kafka_it_worker_procs twin). Each test uses its own topic names and
 * consumer group, so the tests share a real broker.
 *
 * Every test prints one line of counts on stdout ("procs: <test>: ...").
 * Whole suite on the mock: about 2 minutes on 2 cores. */
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kafkat.h"
#include "kafka/mockcluster.h"
#include "procs.h"
#include "pwtest.h"

#define PARTS 4

enum {
	T_CMD_PAYIN,
	T_CMD_PAYOUT,
	T_CMD_COMPLAINT,
	T_EVT_PAYMENT,
	T_EVT_REFUND,
	T_EVT_COMPLAINT,
	T_EVT_REPORT,
	T_DLQ,
	T_INT_WEBHOOK,
	T_INT_STATE,
	T_N
};

static const char *const topic_base[T_N] = {
	"payatom.cmd.payin",	 "payatom.cmd.payout", "payatom.cmd.complaint",
	"payatom.evt.payment",	 "payatom.evt.refund", "payatom.evt.complaint",
	"payatom.evt.report",	 "payatom.dlq",	       "payatom.int.webhook",
	"payatom.int.state"};

/* The sandbox's merchants and the worker's profiles of them. */
typedef struct merchant {
	const char *name, *pid, *secret, *api_key, *country, *version;
} merchant_t;

static const merchant_t merchants[] = {
	{"in1", "PWTIN00001", "pwt-secret-in1-6a2f", "pwt-unused-key-in1",
	 "IN", "v1"},
	{"in2", "PWTIN00002", "pwt-secret-in2-0c9d", "pwt-api-key-in2-77e1",
	 "IN", "v2"},
	{"bd", "PWTBD00001", "pwt-secret-bd-41aa", "pwt-unused-key-bd", "BD",
	 "v1"},
	{"pk", "PWTPK00001", "pwt-secret-pk-93b0", "pwt-unused-key-pk", "PK",
	 "v1"},
};
#define N_MERCHANTS (sizeof merchants / sizeof merchants[0])
#define RECON_TOKEN "pwt-recon-token-1"
#define OPERATOR_KEY "pwt-operator-key-1"

/* ---- a cluster, a sandbox and worker processes ---------------------------- */

typedef struct rig {
	const char *tag;
	int real;
	pw_mock_t *mock;
	char brokers[512];
	char topic[T_N][128];
	char group[128];
	rd_kafka_t *prod;
	pwt_proc_t *sbx;
	char sbx_url[64];
	int wport[3]; /* HTTP ports of worker slots */
	char conf[1024];
	/* consumer of the output topics, records in consumption order */
	rd_kafka_t *tail;
	json_t *recs;
} rig_t;

static int free_port(void)
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

static void create_topics_real(rig_t *r)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", r->brokers, es, sizeof es);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	ck_assert_msg(rk != NULL, "admin client: %s", es);
	rd_kafka_NewTopic_t *nt[T_N];
	for (int i = 0; i < T_N; i++) {
		nt[i] = rd_kafka_NewTopic_new(r->topic[i], PARTS, 1, es,
					      sizeof es);
		ck_assert_ptr_nonnull(nt[i]);
		if (i == T_INT_STATE)
			rd_kafka_NewTopic_set_config(nt[i], "cleanup.policy",
						     "compact");
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, nt, T_N, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)pwt_ms(30000));
	ck_assert_msg(ev != NULL, "CreateTopics timed out");
	const rd_kafka_CreateTopics_result_t *res =
		rd_kafka_event_CreateTopics_result(ev);
	size_t n = 0;
	const rd_kafka_topic_result_t **tr =
		rd_kafka_CreateTopics_result_topics(res, &n);
	for (size_t i = 0; i < n; i++) {
		rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
		ck_assert_msg(!e || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS,
			      "create %s: %s", rd_kafka_topic_result_name(tr[i]),
			      rd_kafka_err2str(e));
	}
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	for (int i = 0; i < T_N; i++)
		rd_kafka_NewTopic_destroy(nt[i]);
	rd_kafka_destroy(rk);
}

static void tail_start(rig_t *r)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", r->brokers, es, sizeof es);
	rd_kafka_conf_set(c, "group.id", "pwt-procs-tail", es, sizeof es);
	rd_kafka_conf_set(c, "enable.auto.commit", "false", es, sizeof es);
	rd_kafka_conf_set(c, "isolation.level", "read_committed", es,
			  sizeof es);
	r->tail = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
	ck_assert_msg(r->tail != NULL, "tail consumer: %s", es);
	rd_kafka_poll_set_consumer(r->tail);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(4 * PARTS);
	int outs[] = {T_EVT_PAYMENT, T_EVT_REFUND, T_EVT_COMPLAINT, T_DLQ};
	for (size_t i = 0; i < sizeof outs / sizeof outs[0]; i++)
		for (int p = 0; p < PARTS; p++)
			rd_kafka_topic_partition_list_add(l, r->topic[outs[i]],
							  p)
				->offset = RD_KAFKA_OFFSET_BEGINNING;
	ck_assert_int_eq(rd_kafka_assign(r->tail, l), 0);
	rd_kafka_topic_partition_list_destroy(l);
	r->recs = json_array();
}

/* Consumes output records for ms milliseconds; returns how many arrived. */
static int tail_poll(rig_t *r, long ms)
{
	int64_t end = pwt_now_ms() + ms;
	int n = 0;
	do {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(r->tail, 50);
		if (!m)
			continue;
		if (!m->err) {
			json_error_t je;
			json_t *v = m->payload ? json_loadb(m->payload, m->len,
							    0, &je)
					       : NULL;
			if (!v)
				v = json_stringn(m->payload ? m->payload : "",
						 m->len);
			const char *t = rd_kafka_topic_name(m->rkt);
			const char *kind = strstr(t, ".dlq")	   ? "dlq"
					   : strstr(t, ".refund")    ? "refund"
					   : strstr(t, ".complaint") ? "complaint"
								     : "payment";
			json_array_append_new(
				r->recs,
				json_pack("{s:s s:s% s:i s:I s:o}", "kind", kind,
					  "key", m->key ? (char *)m->key : "",
					  m->key ? m->key_len : 0, "partition",
					  (int)m->partition, "offset",
					  (json_int_t)m->offset, "value", v));
			n++;
		}
		rd_kafka_message_destroy(m);
	} while (pwt_now_ms() < end);
	return n;
}

static void sandbox_start(rig_t *r, const char *const *extra)
{
	char text[8192];
	size_t n = 0;
	n += (size_t)snprintf(text + n, sizeof text - n,
			      "seed = 11\n"
			      "resolve-delay-ms = 600\n"
			      "hosted-delay-ms = 600\n"
			      "late-delay-ms = 600\n"
			      "refund-delay-ms = 600\n"
			      "webhook-retry-ms = 300\n"
			      "webhook-retry-max-ms = 1000\n"
			      "webhook-max-attempts = 6\n"
			      "webhook-timeout-ms = 2000\n"
			      "hang-max-ms = 1500\n"
			      "max-orders = 100000\n");
	for (size_t i = 0; i < N_MERCHANTS; i++)
		n += (size_t)snprintf(
			text + n, sizeof text - n,
			"merchant = pid=%s,secret=%s,api_key=%s,token=%s,"
			"operator_key=%s,callback=http://127.0.0.1:%d/webhooks/"
			"payatom/%s\n",
			merchants[i].pid, merchants[i].secret,
			merchants[i].api_key, RECON_TOKEN, OPERATOR_KEY,
			r->wport[0], merchants[i].name);
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

/* The worker's config shared by every worker process of the test. */
static void worker_conf(rig_t *r, const char *const *extra)
{
	char text[16384];
	size_t n = 0;
	n += (size_t)snprintf(
		text + n, sizeof text - n,
		"brokers = %s\n"
		"group.id = %s\n"
		"topics.partitions = %d\n"
		"serialization = json\n"
		"log.level = info\n"
		"log.format = json\n"
		"poll.first = 1s\n"
		"poll.max.interval = 2s\n"
		"retry.base = 100ms\n"
		"retry.max = 1s\n"
		"retry.max.attempts = 12\n"
		"breaker.failures = 50\n"
		"breaker.open = 300ms\n"
		"rate.limit.rps = 5000\n"
		"commit.interval = 200ms\n"
		"shutdown.timeout = 5s\n"
		/* the local state store: one folder per test, shared by its
		 * workers (a restart finds its store and checkpoint) */
		"state.dir = %s/state\n"
		"%s",
		r->brokers, r->group, PARTS, pwt_procs_dir(r->tag),
		pwt_group_protocol_conf());
	static const char *const keys[T_N] = {
		"topic.cmd.payin",     "topic.cmd.payout",
		"topic.cmd.complaint", "topic.evt.payment",
		"topic.evt.refund",    "topic.evt.complaint",
		"topic.evt.report",    "topic.dlq",
		"topic.int.webhook",   "topic.int.state"};
	for (int i = 0; i < T_N; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s = %s\n",
				      keys[i], r->topic[i]);
	for (size_t i = 0; i < N_MERCHANTS; i++) {
		const merchant_t *m = &merchants[i];
		n += (size_t)snprintf(
			text + n, sizeof text - n,
			"merchant.%s.pid = %s\n"
			"merchant.%s.secret = %s\n"
			"merchant.%s.base.url = %s\n"
			"merchant.%s.country = %s\n"
			"merchant.%s.api.version = %s\n"
			"merchant.%s.recon.token = %s\n"
			"merchant.%s.complaint.token = %s\n"
			"merchant.%s.bot.api.key = %s\n",
			m->name, m->pid, m->name, m->secret, m->name,
			r->sbx_url, m->name, m->country, m->name, m->version,
			m->name, RECON_TOKEN, m->name, RECON_TOKEN, m->name,
			OPERATOR_KEY);
		if (!strcmp(m->version, "v2"))
			n += (size_t)snprintf(text + n, sizeof text - n,
					      "merchant.%s.api.key = %s\n",
					      m->name, m->api_key);
	}
	for (size_t i = 0; extra && extra[i]; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s\n",
				      extra[i]);
	ck_assert_uint_lt(n, sizeof text - 1);
	ck_assert_ptr_nonnull(
		pwt_procs_write_file("worker.conf", text, r->conf, sizeof r->conf));
}

static void rig_init(rig_t *r, const char *tag, const char *const *sbx_extra,
		     const char *const *worker_extra)
{
	memset(r, 0, sizeof *r);
	r->tag = tag;
	/* kept when the test fails (Check's child exits without cleanup) */
	printf("procs: %s: logs in %s\n", tag, pwt_procs_dir(tag));
	const char *k = getenv("PAYATOM_TEST_KAFKA");
	r->real = k && !strcmp(k, "real");
	/* names unique per run: tests (and reruns) share a real broker */
	char prefix[64];
	snprintf(prefix, sizeof prefix, "%s-%d", tag, (int)getpid());
	for (int i = 0; i < T_N; i++)
		snprintf(r->topic[i], sizeof r->topic[i], "%s.%s", prefix,
			 topic_base[i]);
	snprintf(r->group, sizeof r->group, "pwt-%s", prefix);
	if (r->real) {
		const char *b = getenv("PAYATOM_TEST_BOOTSTRAP");
		ck_assert_msg(b && *b, "PAYATOM_TEST_KAFKA=real needs "
				       "PAYATOM_TEST_BOOTSTRAP");
		snprintf(r->brokers, sizeof r->brokers, "%s", b);
		create_topics_real(r);
	} else {
		char eb[PA_ERRBUF_SIZE];
		ck_assert_int_eq(pw_mock_new(1, PARTS, &r->mock, eb), PA_OK);
		for (int i = 0; i < T_N; i++)
			ck_assert_int_eq(pw_mock_topic(r->mock, r->topic[i]),
					 PA_OK);
		snprintf(r->brokers, sizeof r->brokers, "%s",
			 pw_mock_bootstraps(r->mock));
	}
	for (size_t i = 0; i < sizeof r->wport / sizeof r->wport[0]; i++)
		r->wport[i] = free_port();
	r->prod = pwt_producer(r->brokers);
	sandbox_start(r, sbx_extra);
	worker_conf(r, worker_extra);
	tail_start(r);
}

static void rig_fini(rig_t *r)
{
	pwt_proc_free(r->sbx);
	if (r->tail) {
		rd_kafka_consumer_close(r->tail);
		rd_kafka_destroy(r->tail);
	}
	json_decref(r->recs);
	rd_kafka_destroy(r->prod);
	pw_mock_destroy(r->mock);
	pwt_procs_ok();
}

/* Starts a worker in slot (its HTTP port) with extra -o settings; waits
 * for its start line and for /readyz. */
static pwt_proc_t *worker_start(rig_t *r, int slot, const char *const *opts)
{
	pwt_proc_t *w = pwt_worker_spawn(r->conf, r->wport[slot], opts);
	ck_assert_ptr_nonnull(w);
	char line[2048];
	ck_assert_msg(pwt_proc_wait_log(w, "payatom-worker started", line,
					sizeof line, 20000),
		      "%s did not start (see %s)", pwt_proc_name(w),
		      pwt_proc_err_path(w));
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", r->wport[slot]);
	int64_t end = pwt_now_ms() + pwt_ms(30000);
	long st = 0;
	while (pwt_now_ms() < end && pwt_proc_alive(w) &&
	       (st = pwt_proc_http(NULL, url, NULL, NULL, 2000)) != 200)
		tail_poll(r, 100);
	ck_assert_msg(st == 200, "%s not ready (/readyz %ld)", pwt_proc_name(w),
		      st);
	return w;
}

/* SIGTERM; the exit code and the time it took. */
static int worker_stop(pwt_proc_t *w, long timeout_ms, int64_t *took_ms)
{
	int64_t t0 = pwt_now_ms();
	ck_assert_int_eq(pwt_proc_signal(w, SIGTERM), 0);
	int status = 0;
	ck_assert_msg(pwt_proc_wait(w, timeout_ms, &status),
		      "%s did not exit within %ld ms of SIGTERM",
		      pwt_proc_name(w), pwt_ms(timeout_ms));
	if (took_ms)
		*took_ms = pwt_now_ms() - t0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Does the worker answer on /webhooks/payatom (ingress mounted)? */
static int webhooks_live(rig_t *r, int slot)
{
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/webhooks/payatom/%s",
		 r->wport[slot], merchants[0].name);
	long st = pwt_proc_http(NULL, url, "{}", NULL, 3000);
	return st != 0 && st != 404;
}

/* Value of one sample of the worker's /metrics (exact name with labels),
 * -1 when absent. */
static double worker_metric(rig_t *r, int slot, const char *sample)
{
	return pwt_proc_metric(r->wport[slot], sample);
}

/* Records on a topic so far (the internal webhook topic: verified
 * callbacks on their way to the order's owner). */
static size_t topic_records(rig_t *r, int topic)
{
	json_t *a = pwt_read_topic(r->brokers, r->topic[topic], 1000, 20000);
	size_t n = json_array_size(a);
	json_decref(a);
	return n;
}

#define WH_VERIFIED "payatom_webhooks_received_total{result=\"verified\"}"
#define WH_MISMATCH "payatom_webhooks_received_total{result=\"hash_mismatch\"}"

static json_t *sandbox_get(rig_t *r, const char *path)
{
	char url[256], *body = NULL;
	snprintf(url, sizeof url, "%s%s", r->sbx_url, path);
	long st = pwt_proc_http(NULL, url, NULL, &body, 5000);
	ck_assert_msg(st == 200, "GET %s: %ld", path, st);
	json_error_t je;
	json_t *v = json_loads(body, 0, &je);
	ck_assert_msg(v != NULL, "GET %s: not JSON", path);
	free(body);
	return v;
}

static long sandbox_post(rig_t *r, const char *path, const char *body)
{
	char url[256];
	snprintf(url, sizeof url, "%s%s", r->sbx_url, path);
	return pwt_proc_http("POST", url, body, NULL, 5000);
}

/* Requests the sandbox served on endpoint path (GET /_sandbox/counters). */
static long endpoint_requests(json_t *counters, const char *path)
{
	return (long)json_integer_value(
		json_object_get(json_object_get(counters, "endpoints"), path));
}

static long counter(json_t *counters, const char *group, const char *name)
{
	json_t *g = group ? json_object_get(counters, group) : counters;
	return (long)json_integer_value(json_object_get(g, name));
}

/* ---- commands ------------------------------------------------------------ */

typedef struct product {
	const char *product, *merchant, *currency;
	int payout;
} product_t;

/* Every product of the spec, on the merchant (API generation, country)
 * that offers it. */
static const product_t products[] = {
	{"PAYIN_UPI_P2P_SEAMLESS", "in1", "INR", 0},
	{"PAYIN_UPI_P2C_SEAMLESS", "in1", "INR", 0},
	{"PAYIN_UPI_P2P_NON_SEAMLESS", "in1", "INR", 0},
	{"PAYIN_UPI_P2C_NON_SEAMLESS", "in2", "INR", 0},
	{"PAYIN_IMPS_P2P_NON_SEAMLESS", "in1", "INR", 0},
	{"PAYIN_UPI_P2C_SEAMLESS", "in2", "INR", 0},
	{"PAYIN_WALLET_P2P_SEAMLESS", "bd", "BDT", 0},
	{"PAYIN_WALLET_P2C_SEAMLESS", "bd", "BDT", 0},
	{"PAYIN_WALLET_P2P_NON_SEAMLESS", "bd", "BDT", 0},
	{"PAYIN_WALLET_P2C_NON_SEAMLESS", "bd", "BDT", 0},
	{"PAYIN_PK_H2H", "pk", "PKR", 0},
	{"PAYOUT_IMPS_P2P_SEAMLESS", "in1", "INR", 1},
	{"PAYOUT_UPI_P2C_SEAMLESS", "in1", "INR", 1},
	{"PAYOUT_WALLET_P2C_SEAMLESS", "bd", "BDT", 1},
};
#define N_PRODUCTS (sizeof products / sizeof products[0])

static int is_v2(const char *merchant)
{
	for (size_t i = 0; i < N_MERCHANTS; i++)
		if (!strcmp(merchants[i].name, merchant))
			return !strcmp(merchants[i].version, "v2");
	return 0;
}

/* A payin/payout command with the fields its product needs (spec §4-§6;
 * test data only: the UPI id, account numbers and phone are fake). */
static json_t *order_cmd(const product_t *p, const char *oid, long major)
{
	const char *pr = p->product;
	json_t *c = json_pack(
		"{s:s s:s s:s s:s s:I s:s s:{s:s s:s s:s}}", "type",
		p->payout ? "payout" : "payin", "merchant", p->merchant,
		"order_id", oid, "product", pr, "amount_minor",
		(json_int_t)major * 100, "currency", p->currency, "customer",
		"name", "Asha Rao", "email", "asha.rao@example.com", "phone",
		"9876543210");
	char cid[64];
	snprintf(cid, sizeof cid, "cmd-%s", oid);
	json_object_set_new(c, "command_id", json_string(cid));
	for (size_t i = 0; i < N_MERCHANTS; i++)
		if (!strcmp(merchants[i].name, p->merchant))
			json_object_set_new(c, "country",
					    json_string(merchants[i].country));
	if (strstr(pr, "PAYIN_UPI") && !strstr(pr, "NON_SEAMLESS"))
		json_object_set_new(c, "upi_id", json_string("asha@okaxis"));
	if (strstr(pr, "PAYIN_WALLET"))
		json_object_set_new(c, "wallet_type", json_string("bKash"));
	if (!strcmp(pr, "PAYIN_PK_H2H")) {
		json_object_set_new(c, "pak_wallet", json_string("JAZZCASH"));
		json_object_set_new(c, "account_number",
				    json_string("03331234567"));
	}
	if (!strcmp(pr, "PAYOUT_IMPS_P2P_SEAMLESS")) {
		json_object_set_new(c, "account_no",
				    json_string("123456789012"));
		json_object_set_new(c, "account_holder", json_string("Asha Rao"));
		json_object_set_new(c, "bank", json_string("HDFC Bank"));
		json_object_set_new(c, "ifsc", json_string("HDFC0001234"));
	}
	if (!strcmp(pr, "PAYOUT_UPI_P2C_SEAMLESS")) {
		json_object_set_new(c, "upi_id", json_string("asha@okaxis"));
		json_object_set_new(c, "account_holder", json_string("Asha Rao"));
	}
	if (!strcmp(pr, "PAYOUT_WALLET_P2C_SEAMLESS")) {
		json_object_set_new(c, "account_no", json_string("01712345678"));
		json_object_set_new(c, "wallet_type", json_string("bKash"));
	}
	if (is_v2(p->merchant)) {
		json_object_set_new(c, "ip", json_string("203.0.113.7"));
		json_object_set_new(c, "latitude", json_string("28.7041"));
		json_object_set_new(c, "longitude", json_string("77.1025"));
		json_object_set_new(c, "customer_id", json_string("CUST001"));
		json_object_set_new(c, "redirect_url",
				    json_string("https://shop.example/return"));
	}
	return c;
}

/* Every command carries its id and creation time (schemas/, *_command);
 * a payin/payout also its market. */
static void send_cmd(rig_t *r, int topic, const char *key, json_t *cmd)
{
	const char *type = json_string_value(json_object_get(cmd, "type"));
	if (!json_object_get(cmd, "command_id")) {
		char cid[96];
		snprintf(cid, sizeof cid, "cmd-%s-%s", type ? type : "x", key);
		json_object_set_new(cmd, "command_id", json_string(cid));
	}
	if (!json_object_get(cmd, "created_at"))
		json_object_set_new(cmd, "created_at",
				    json_integer((json_int_t)time(NULL) * 1000));
	char *s = json_dumps(cmd, JSON_COMPACT);
	pwt_produce(r->prod, r->topic[topic], key, s, 0);
	free(s);
	json_decref(cmd);
}

/* n payins on in1 with magic order ids (APPROVE, DECLINE, FAIL, CANCEL in
 * turn: each has one deterministic terminal status). */
static const char *const magic[] = {"APPROVE", "DECLINE", "FAIL", "CANCEL"};
static const char *const magic_status[] = {"SUCCEEDED", "DECLINED", "FAILED",
					   "CANCELLED"};

static void magic_id(int i, char *buf, size_t size)
{
	const char *m = magic[i % 4];
	snprintf(buf, size, "%s%0*d", m, (int)(13 - strlen(m)), i);
}

static const char *expected_status(const char *oid)
{
	for (int i = 0; i < 4; i++)
		if (!strncmp(oid, magic[i], strlen(magic[i])))
			return magic_status[i];
	return NULL;
}

static void send_payins(rig_t *r, int from, int to)
{
	char oid[32];
	for (int i = from; i < to; i++) {
		magic_id(i, oid, sizeof oid);
		send_cmd(r, T_CMD_PAYIN, oid,
			 order_cmd(&products[1], oid, 100 + i % 500));
	}
}

/* ---- what the output topics say ------------------------------------------ */

typedef struct tally {
	int orders;	     /* order ids with an event or a dead letter */
	int one_terminal;    /* orders with exactly one terminal outcome (per
				topic: a refund is an outcome of its own) */
	int multi_terminal;  /* orders with more than one */
	int dup_records;     /* records repeating an event_id seen before */
	int conflicts;	     /* (order, sequence) with two event_ids, or an
				event_id with two (status, sequence) */
	int gaps;	     /* orders whose sequences are not 1..n */
	int regressions;     /* new event_id with a sequence not above the
				previous one of its topic */
	int out_of_step;     /* regressions + duplicate records */
	int dlq;
	int wrong_status;    /* terminal status differs from the magic id's */
	json_t *terminal;    /* order_id -> terminal status */
	char example[64];    /* an order with a conflict or a regression */
} tally_t;

static json_t *order_entry(json_t *per, const char *oid)
{
	json_t *o = json_object_get(per, oid);
	if (!o) {
		o = json_pack("{s:i s:{} s:{} s:i s:{}}", "dlq", 0, "last",
			      "terms", "max", 0, "seqs");
		json_object_set_new(per, oid, o);
	}
	return o;
}

static void bump(json_t *obj, const char *k)
{
	json_object_set_new(obj, k,
			    json_integer(json_integer_value(
						 json_object_get(obj, k)) +
					 1));
}

/* Reads r->recs (consumption order). Payment and refund events of an
 * order share its sequence; each topic is checked on its own for order
 * (strictly increasing as consumed), their union for gaps. */
static void tally(rig_t *r, tally_t *t)
{
	memset(t, 0, sizeof *t);
	t->terminal = json_object();
	json_t *eids = json_object(), *per = json_object();
	size_t i;
	json_t *rec;
	json_array_foreach(r->recs, i, rec)
	{
		const char *kind =
			json_string_value(json_object_get(rec, "kind"));
		json_t *v = json_object_get(rec, "value");
		if (!strcmp(kind, "dlq")) {
			const char *k =
				json_string_value(json_object_get(rec, "key"));
			bump(order_entry(per, k), "dlq");
			t->dlq++;
			continue;
		}
		if (strcmp(kind, "payment") && strcmp(kind, "refund"))
			continue;
		const char *eid =
			json_string_value(json_object_get(v, "event_id"));
		const char *oid =
			json_string_value(json_object_get(v, "order_id"));
		const char *st = json_string_value(json_object_get(v, "status"));
		json_int_t seq =
			json_integer_value(json_object_get(v, "sequence"));
		ck_assert_msg(eid && oid && st && seq > 0,
			      "event without ids at offset %lld",
			      (long long)json_integer_value(
				      json_object_get(rec, "offset")));
		char sig[96];
		snprintf(sig, sizeof sig, "%s|%lld", st, (long long)seq);
		json_t *o = order_entry(per, oid);
		json_t *prev = json_object_get(eids, eid);
		if (prev) {
			t->dup_records++;
			t->out_of_step++;
			if (strcmp(json_string_value(prev), sig))
				t->conflicts++;
			continue;
		}
		json_object_set_new(eids, eid, json_string(sig));
		char sk[24];
		snprintf(sk, sizeof sk, "%lld", (long long)seq);
		json_t *seqs = json_object_get(o, "seqs");
		if (json_object_get(seqs, sk)) {
			t->conflicts++;
			if (!t->example[0])
				snprintf(t->example, sizeof t->example, "%s",
					 oid);
		}
		json_object_set_new(seqs, sk, json_string(eid));
		json_t *last = json_object_get(o, "last");
		json_int_t lk = json_integer_value(json_object_get(last, kind));
		if (seq <= lk) {
			t->out_of_step++;
			t->regressions++;
			if (!t->example[0])
				snprintf(t->example, sizeof t->example, "%s",
					 oid);
		} else {
			json_object_set_new(last, kind, json_integer(seq));
		}
		if (seq > json_integer_value(json_object_get(o, "max")))
			json_object_set_new(o, "max", json_integer(seq));
		if (json_is_true(json_object_get(v, "terminal"))) {
			bump(json_object_get(o, "terms"), kind);
			json_object_set_new(t->terminal, oid, json_string(st));
			const char *want = expected_status(oid);
			if (want && !strcmp(kind, "payment") && strcmp(want, st))
				t->wrong_status++;
		}
	}
	const char *oid;
	json_t *o;
	json_object_foreach(per, oid, o)
	{
		t->orders++;
		json_int_t max = json_integer_value(json_object_get(o, "max"));
		if ((json_int_t)json_object_size(json_object_get(o, "seqs")) !=
		    max)
			t->gaps++;
		json_t *terms = json_object_get(o, "terms");
		json_int_t dlq = json_integer_value(json_object_get(o, "dlq"));
		json_int_t tp = json_integer_value(json_object_get(terms, "payment"));
		json_int_t tr = json_integer_value(json_object_get(terms, "refund"));
		if (tp > 1 || tr > 1 || ((tp || tr) && dlq) || dlq > 1)
			t->multi_terminal++;
		else if (tp || tr || dlq)
			t->one_terminal++;
	}
	json_decref(eids);
	json_decref(per);
}

static void tally_free(tally_t *t)
{
	json_decref(t->terminal);
}

/* Orders (of want) with a terminal outcome so far. */
static int settled(rig_t *r)
{
	tally_t t;
	tally(r, &t);
	int n = t.one_terminal + t.multi_terminal;
	tally_free(&t);
	return n;
}

/* Consumes until want orders settled, or timeout_ms (stretched) passed. */
static int wait_settled(rig_t *r, int want, long timeout_ms)
{
	int64_t end = pwt_now_ms() + pwt_ms(timeout_ms);
	int n = 0;
	while ((n = settled(r)) < want && pwt_now_ms() < end)
		tail_poll(r, 300);
	return n;
}

static const char *ev_str(json_t *rec, const char *k)
{
	return json_string_value(json_object_get(json_object_get(rec, "value"), k));
}

/* ---- 1. every product end to end ------------------------------------------ */

START_TEST(test_procs_every_product_end_to_end)
{
	rig_t r;
	rig_init(&r, "e2e", NULL, NULL);
	pwt_proc_t *w = worker_start(&r, 0, NULL);
	int live = webhooks_live(&r, 0);
	/* each product approved once and declined once */
	char oid[32];
	int n = 0;
	for (size_t i = 0; i < N_PRODUCTS; i++)
		for (int k = 0; k < 2; k++) {
			snprintf(oid, sizeof oid, "%s%02zu%04d",
				 k ? "DECLINE" : "APPROVE", i, n++);
			send_cmd(&r,
				 products[i].payout ? T_CMD_PAYOUT : T_CMD_PAYIN,
				 oid, order_cmd(&products[i], oid, 100 + n));
		}
	pwt_flush(r.prod);
	/* follow-ups driven by the events, as a merchant's service does:
	 * UTR for P2P seamless payins, a refund of an approved payin, a
	 * complaint about a declined one, a status check */
	json_t *sent = json_object();
	int refunds = 0, complaints = 0, utrs = 0, checks = 0;
	int64_t end = pwt_now_ms() + pwt_ms(60000);
	int refund_events = 0, complaint_events = 0;
	for (;;) {
		tail_poll(&r, 300);
		size_t i;
		json_t *rec;
		refund_events = complaint_events = 0;
		json_array_foreach(r.recs, i, rec)
		{
			const char *kind =
				json_string_value(json_object_get(rec, "kind"));
			const char *o = ev_str(rec, "order_id");
			const char *st = ev_str(rec, "status");
			const char *pr = ev_str(rec, "product");
			const char *m = ev_str(rec, "merchant");
			const char *ref = ev_str(rec, "ref_code");
			if (!strcmp(kind, "refund"))
				refund_events++;
			if (!strcmp(kind, "complaint"))
				complaint_events++;
			if (strcmp(kind, "payment") || !o || !st || !pr)
				continue;
			char k[64];
			if (!strcmp(st, "PENDING") && ref &&
			    (!strcmp(pr, "PAYIN_UPI_P2P_SEAMLESS") ||
			     !strcmp(pr, "PAYIN_WALLET_P2P_SEAMLESS")) &&
			    !strncmp(o, "APPROVE", 7)) {
				snprintf(k, sizeof k, "utr:%s", o);
				if (!json_object_get(sent, k)) {
					char utr[32];
					snprintf(utr, sizeof utr, "UTR%s", o + 7);
					send_cmd(&r, T_CMD_PAYIN, o,
						 json_pack("{s:s s:s s:s s:s s:s}",
							   "type", "utr_submit",
							   "merchant", m,
							   "order_id", o,
							   "ref_code", ref, "utr",
							   utr));
					json_object_set_new(sent, k, json_true());
					utrs++;
				}
			}
			if (!strcmp(st, "SUCCEEDED") && !strcmp(m, "in1") &&
			    !strcmp(pr, "PAYIN_UPI_P2C_SEAMLESS") && !refunds) {
				send_cmd(&r, T_CMD_PAYIN, o,
					 json_pack("{s:s s:s s:s s:I s:s}", "type",
						   "refund", "merchant", m,
						   "order_id", o, "amount_minor",
						   (json_int_t)0, "currency",
						   "INR"));
				refunds++;
			}
			if (!strcmp(st, "DECLINED") && !strcmp(m, "in1") &&
			    strstr(pr, "PAYIN") && ref && !complaints) {
				send_cmd(&r, T_CMD_COMPLAINT, o,
					 json_pack("{s:s s:s s:s s:s s:s}", "type",
						   "complaint_submit", "merchant",
						   m, "order_id", o, "ref_code",
						   ref, "description",
						   "customer says the money left "
						   "the account"));
				complaints++;
			}
			if (!strcmp(st, "SUCCEEDED") && !strcmp(m, "bd") &&
			    !checks) {
				send_cmd(&r, T_CMD_PAYIN, o,
					 json_pack("{s:s s:s s:s}", "type",
						   "status_check", "merchant", m,
						   "order_id", o));
				checks++;
			}
		}
		pwt_flush(r.prod);
		if (settled(&r) >= n && refund_events > 0 &&
		    complaint_events > 0)
			break;
		if (pwt_now_ms() > end)
			break;
	}
	tail_poll(&r, 1000); /* anything late (there should be nothing) */
	tally_t t;
	tally(&r, &t);
	json_t *c = sandbox_get(&r, "/_sandbox/counters");
	double verified = worker_metric(&r, 0, WH_VERIFIED);
	size_t applied = live ? topic_records(&r, T_INT_WEBHOOK) : 0;
	printf("procs: e2e: orders %d settled %d dup %d dlq %d refund_events %d "
	       "complaint_events %d utr %d webhooks %s verified %.0f "
	       "int.webhook records %zu sandbox acknowledged %ld "
	       "orders_created %ld\n",
	       n, t.one_terminal, t.dup_records, t.dlq, refund_events,
	       complaint_events, utrs, live ? "live" : "404", verified, applied,
	       counter(c, "webhooks", "acknowledged"),
	       counter(c, NULL, "orders_created"));
	ck_assert_int_eq(t.one_terminal, n);
	ck_assert_int_eq(t.multi_terminal, 0);
	ck_assert_int_eq(t.wrong_status, 0);
	ck_assert_int_eq(t.dup_records, 0);
	ck_assert_int_eq(t.conflicts, 0);
	ck_assert_int_eq(t.gaps, 0);
	ck_assert_int_eq(t.out_of_step, 0);
	ck_assert_int_eq(t.dlq, 0); /* every command was valid */
	ck_assert_int_eq(counter(c, NULL, "orders_created"), n);
	/* what the merchant's app needs next is in the first event */
	json_t *eids = json_object();
	size_t i;
	json_t *rec;
	int links = 0, refunded = 0;
	json_array_foreach(r.recs, i, rec)
	{
		const char *kind = json_string_value(json_object_get(rec, "kind"));
		const char *eid = ev_str(rec, "event_id");
		ck_assert_msg(!json_object_get(eids, eid),
			      "event_id %s on two records", eid);
		json_object_set_new(eids, eid, json_true());
		const char *st = ev_str(rec, "status");
		if (!strcmp(kind, "refund") && !strcmp(st, "REFUNDED"))
			refunded++;
		if (strcmp(kind, "payment") || strcmp(st, "PENDING"))
			continue;
		const char *pr = ev_str(rec, "product");
		if (strstr(pr, "NON_SEAMLESS")) {
			const char *link = ev_str(rec, "payment_link");
			ck_assert_msg(link && strstr(link, "connect.php?code="),
				      "%s: no payment link",
				      ev_str(rec, "order_id"));
			links++;
		} else {
			ck_assert_msg(ev_str(rec, "ref_code") != NULL,
				      "%s: no ref_code", ev_str(rec, "order_id"));
		}
	}
	ck_assert_int_eq(links, 10);
	ck_assert_int_eq(refunded, 1);
	ck_assert_int_eq(complaint_events, 1);
	/* the UTRs reached the gateway */
	ck_assert_int_eq(utrs, 2);
	const char *k;
	json_t *v;
	json_object_foreach(sent, k, v)
	{
		char path[128];
		snprintf(path, sizeof path, "/_sandbox/orders/%s", k + 4);
		json_t *o = sandbox_get(&r, path);
		const char *utr = json_string_value(json_object_get(o, "utr"));
		ck_assert_msg(utr && !strncmp(utr, "UTR", 3), "%s: utr %s", k,
			      utr ? utr : "(none)");
		json_decref(o);
	}
	if (live) { /* the worker's webhook ingress is mounted */
		ck_assert(verified > 0);
		ck_assert_uint_gt(applied, 0);
		ck_assert_int_gt(counter(c, "webhooks", "acknowledged"), 0);
	}
	json_decref(eids);
	json_decref(c);
	tally_free(&t);
	json_decref(sent);
	int64_t took;
	ck_assert_int_eq(worker_stop(w, 20000, &took), 0);
	pwt_proc_free(w);
	rig_fini(&r);
}
END_TEST


/* Commands of a run, smaller where pwt_ms stretches time (sanitizers,
 * valgrind, the real-broker twin). */
static int scaled(int n)
{
	long k = pwt_ms(1000) / 1000;
	return k > 1 ? (int)(n / (k > 4 ? 4 : k)) : n;
}

/* Streams payins [*sent, *sent + step) (bounded by n) and consumes. */
static void stream(rig_t *r, int *sent, int n, int step)
{
	if (*sent < n) {
		int to = *sent + step < n ? *sent + step : n;
		send_payins(r, *sent, to);
		pwt_flush(r->prod);
		*sent = to;
	}
	tail_poll(r, 100);
}

/* Waits until an output record beyond the first `base` arrived: the
 * worker has partitions and works (/readyz also answers 200 while the
 * group is still forming). */
static void wait_working(rig_t *r, size_t base, long timeout_ms)
{
	int64_t end = pwt_now_ms() + pwt_ms(timeout_ms);
	while (json_array_size(r->recs) <= base && pwt_now_ms() < end)
		tail_poll(r, 100);
	ck_assert_msg(json_array_size(r->recs) > base,
		      "no worker output within %ld ms", pwt_ms(timeout_ms));
}

static void print_tally(rig_t *r, const char *test, const tally_t *t,
			int commands)
{
	if (t->example[0]) { /* what went wrong, for the log */
		printf("procs: %s: records of %s:\n", test, t->example);
		size_t i;
		json_t *rec;
		json_array_foreach(r->recs, i, rec)
		{
			if (strcmp(json_string_value(json_object_get(rec, "key")),
				   t->example))
				continue;
			json_t *v = json_object_get(rec, "value");
			printf("  %s p%lld@%lld seq %lld %s %s\n",
			       json_string_value(json_object_get(rec, "kind")),
			       json_integer_value(json_object_get(rec, "partition")),
			       json_integer_value(json_object_get(rec, "offset")),
			       json_integer_value(json_object_get(v, "sequence")),
			       json_string_value(json_object_get(v, "status")),
			       json_string_value(json_object_get(v, "event_id")));
		}
	}
	printf("procs: %s: commands %d orders %d one_terminal %d "
	       "multi_terminal %d lost %d duplicate_records %d conflicts %d "
	       "gaps %d out_of_step %d dead_letters %d\n",
	       test, commands, t->orders, t->one_terminal, t->multi_terminal,
	       commands - t->one_terminal - t->multi_terminal, t->dup_records,
	       t->conflicts, t->gaps, t->out_of_step, t->dlq);
	fflush(stdout);
}

/* ---- 2. SIGKILL mid-stream, restart ---------------------------------------- */

START_TEST(test_procs_sigkill_mid_stream_one_outcome_per_command)
{
	const char *sbx_extra[] = {
		"fault = /api/request.php:latency=uniform:20-80", NULL};
	rig_t r;
	rig_init(&r, "kill", sbx_extra, NULL);
	const int n = scaled(2000), kills = 2;
	int sent = 0;
	pwt_proc_t *w = worker_start(&r, 0, NULL);
	stream(&r, &sent, n, 20);
	wait_working(&r, 0, 30000);
	int at_kill[2] = {0, 0};
	/* 1st kill: a quarter of the orders settled, commands still
	 * arriving; 2nd kill: while the successor catches up (its first
	 * hundred records out) */
	int64_t end = pwt_now_ms() + pwt_ms(60000);
	while ((at_kill[0] = settled(&r)) < n / 4 && pwt_now_ms() < end)
		stream(&r, &sent, n, 25);
	for (int k = 0; k < kills; k++) {
		ck_assert_msg(at_kill[k] > 0 && at_kill[k] < n,
			      "kill %d: %d of %d settled", k + 1, at_kill[k], n);
		pwt_proc_kill(w); /* SIGKILL */
		pwt_proc_free(w);
		/* the successor: same group, same webhook port */
		w = worker_start(&r, 0, NULL);
		if (k + 1 == kills)
			break;
		size_t base = json_array_size(r.recs);
		end = pwt_now_ms() + pwt_ms(60000);
		while (json_array_size(r.recs) < base + 100 &&
		       pwt_now_ms() < end)
			stream(&r, &sent, n, 25);
		at_kill[k + 1] = settled(&r);
	}
	while (sent < n)
		stream(&r, &sent, n, 200);
	int got = wait_settled(&r, n, 120000);
	tail_poll(&r, 1500); /* duplicates arriving late count too */
	tally_t t;
	tally(&r, &t);
	json_t *c = sandbox_get(&r, "/_sandbox/counters");
	long creates = endpoint_requests(c, "/api/request.php");
	long created = counter(c, NULL, "orders_created");
	print_tally(&r, "sigkill", &t, n);
	printf("procs: sigkill: kills %d settled_at_kills %d,%d gateway "
	       "create_requests %ld orders_created %ld repeated_creates %ld\n",
	       kills, at_kill[0], at_kill[1], creates, created, creates - created);
	ck_assert_int_eq(got, n);
	ck_assert_int_eq(t.orders, n);
	ck_assert_int_eq(t.one_terminal, n); /* exactly one outcome each */
	ck_assert_int_eq(t.multi_terminal, 0);
	ck_assert_int_eq(t.wrong_status, 0);
	/* at-least-once: a republished transition carries its event_id */
	ck_assert_int_eq(t.conflicts, 0);
	ck_assert_int_eq(t.gaps, 0);
	ck_assert_int_eq(t.regressions, 0);
	ck_assert_int_eq(t.dlq, 0);
	/* the gateway saw each order once; a repeated create is possible only
	 * for an order in flight at a kill (answered "Duplicate order_id" and
	 * resolved by polling) */
	ck_assert_int_eq(created, n);
	ck_assert_int_le(creates - created, (n - at_kill[0]) + (n - at_kill[1]));
	tally_free(&t);
	json_decref(c);
	ck_assert_int_eq(worker_stop(w, 20000, NULL), 0);
	pwt_proc_free(w);
	rig_fini(&r);
}
END_TEST

/* ---- 3. rebalance: A alone, B joins, A leaves ------------------------------ */

START_TEST(test_procs_rebalance_two_workers_keeps_order)
{
	const char *sbx_extra[] = {
		"fault = /api/request.php:latency=uniform:20-80", NULL};
	rig_t r;
	rig_init(&r, "rebal", sbx_extra, NULL);
	const int n = scaled(900);
	int sent = 0;
	/* commands arrive all along: B joins after a third of them, A leaves
	 * after two thirds, so both happen mid-stream */
	pwt_proc_t *a = worker_start(&r, 0, NULL);
	stream(&r, &sent, n, 15);
	wait_working(&r, 0, 30000);
	while (sent < n / 3)
		stream(&r, &sent, n, 15);
	int at_join = settled(&r);
	pwt_proc_t *b = worker_start(&r, 1, NULL); /* cooperative rebalance */
	while (sent < 2 * n / 3)
		stream(&r, &sent, n, 15);
	int at_leave = settled(&r);
	/* A's revoke when B joined: drained or timed out */
	double drained = worker_metric(&r, 0,
				       "payatom_handovers_total{result=\"drained\"}");
	double hand_tmo = worker_metric(&r, 0,
					"payatom_handovers_total{result=\"timeout\"}");
	int64_t took = 0;
	ck_assert_int_eq(worker_stop(a, 20000, &took), 0); /* A leaves */
	pwt_proc_free(a);
	while (sent < n)
		stream(&r, &sent, n, 15);
	int got = wait_settled(&r, n, 90000);
	tail_poll(&r, 1000);
	tally_t t;
	tally(&r, &t);
	json_t *c = sandbox_get(&r, "/_sandbox/counters");
	long creates = endpoint_requests(c, "/api/request.php");
	print_tally(&r, "rebalance", &t, n);
	printf("procs: rebalance: settled_at_join %d settled_at_leave %d "
	       "leave_ms %lld create_requests %ld orders_created %ld\n",
	       at_join, at_leave, (long long)took, creates,
	       counter(c, NULL, "orders_created"));
	ck_assert_int_lt(at_join, n);
	ck_assert_int_lt(at_leave, n);
	ck_assert_int_eq(got, n);
	ck_assert_int_eq(t.one_terminal, n);
	ck_assert_int_eq(t.multi_terminal, 0);
	ck_assert_int_eq(t.wrong_status, 0);
	/* per order, as consumed: 1, 2, ... never backwards */
	ck_assert_int_eq(t.regressions, 0);
	ck_assert_int_eq(t.conflicts, 0);
	ck_assert_int_eq(t.gaps, 0);
	printf("procs: rebalance: duplicate_records %d (same event_id) "
	       "handovers drained %.0f timeout %.0f repeated_creates %ld\n",
	       t.dup_records, drained, hand_tmo, creates - n);
	/* the gateway holds each order once */
	ck_assert_int_eq(counter(c, NULL, "orders_created"), n);
	/* drained handover: calls in flight at a revoke finish on the old
	 * owner, its results are written before the new owner restores: no
	 * create is sent twice and nothing is published twice */
	ck_assert_int_eq(hand_tmo, 0);
	ck_assert_int_eq(creates, n);
	ck_assert_int_eq(t.dup_records, 0);
	tally_free(&t);
	json_decref(c);
	ck_assert_int_eq(worker_stop(b, 20000, NULL), 0);
	pwt_proc_free(b);
	rig_fini(&r);
}
END_TEST

/* ---- 4. graceful shutdown ------------------------------------------------- */

START_TEST(test_procs_sigterm_finishes_commits_and_exits_zero)
{
	const char *sbx_extra[] = {"fault = /api/request.php:latency=fixed:300",
				   NULL};
	rig_t r;
	rig_init(&r, "term", sbx_extra, NULL);
	const int n = scaled(400);
	int sent = 0;
	pwt_proc_t *w = worker_start(&r, 0, NULL);
	stream(&r, &sent, n, 20);
	wait_working(&r, 0, 30000);
	/* SIGTERM just after the last command: the latest are in flight
	 * (300 ms per create call), earlier ones settled */
	while (sent < n)
		stream(&r, &sent, n, 20);
	int at_term = settled(&r);
	int64_t took = 0;
	/* shutdown.timeout = 5s: exit 0 within it (and a margin) */
	int rc = worker_stop(w, 5000 + 5000, &took);
	pwt_proc_free(w);
	json_t *c1 = sandbox_get(&r, "/_sandbox/counters");
	long creates_at_stop = endpoint_requests(c1, "/api/request.php");
	tail_poll(&r, 500);
	tally_t t1;
	tally(&r, &t1);
	int settled_at_stop = t1.one_terminal;
	tally_free(&t1);
	/* a successor finds the offsets and the state the first one left */
	w = worker_start(&r, 0, NULL);
	int got = wait_settled(&r, n, 90000);
	tail_poll(&r, 1000);
	tally_t t;
	tally(&r, &t);
	json_t *c = sandbox_get(&r, "/_sandbox/counters");
	long creates = endpoint_requests(c, "/api/request.php");
	print_tally(&r, "sigterm", &t, n);
	printf("procs: sigterm: exit %d in %lld ms; settled at SIGTERM %d, at "
	       "exit %d; create_requests at exit %ld, at end %ld; "
	       "orders_created %ld\n",
	       rc, (long long)took, at_term, settled_at_stop, creates_at_stop,
	       creates, counter(c, NULL, "orders_created"));
	ck_assert_int_eq(rc, 0);
	ck_assert_int_lt(at_term, n); /* work was in flight */
	ck_assert_int_eq(got, n);
	ck_assert_int_eq(t.one_terminal, n);
	ck_assert_int_eq(t.multi_terminal, 0);
	ck_assert_int_eq(t.wrong_status, 0);
	ck_assert_int_eq(t.dup_records, 0);
	ck_assert_int_eq(t.out_of_step, 0);
	/* committed offsets and flushed state: no order was created twice
	 * (each create call went out once in all) */
	ck_assert_int_eq(counter(c, NULL, "orders_created"), n);
	/* a create is repeated only when its call was in flight at the revoke
	 * (answered "Duplicate order_id" and resolved by polling) */
	printf("procs: sigterm: repeated_creates %ld\n", creates - n);
	ck_assert_int_eq(creates, n);
	tally_free(&t);
	json_decref(c);
	json_decref(c1);
	ck_assert_int_eq(worker_stop(w, 20000, NULL), 0);
	pwt_proc_free(w);
	rig_fini(&r);
}
END_TEST

/* ---- 5. duplicate, out-of-order and bad-hash webhooks ---------------------- */

START_TEST(test_procs_webhooks_dup_reorder_bad_hash_change_nothing)
{
	const char *sbx_extra[] = {"fault = webhook:dup=1,reorder=1", NULL};
	/* webhooks should settle the orders: polls come late */
	const char *w_extra[] = {"poll.first = 3s", NULL};
	rig_t r;
	rig_init(&r, "hooks", sbx_extra, w_extra);
	pwt_proc_t *w = worker_start(&r, 0, NULL);
	int live = webhooks_live(&r, 0);
	const char *pre[] = {"APPROVE", "DECLINE", "REFUND"};
	const int n = 30;
	char oid[32];
	for (int i = 0; i < n; i++) {
		const char *p = pre[i % 3];
		snprintf(oid, sizeof oid, "%s%0*d", p, (int)(13 - strlen(p)), i);
		send_cmd(&r, T_CMD_PAYIN, oid, order_cmd(&products[1], oid, 100));
	}
	/* stays Pending: the target of a forged webhook */
	send_cmd(&r, T_CMD_PAYIN, "MANUAL0000001",
		 order_cmd(&products[1], "MANUAL0000001", 100));
	pwt_flush(r.prod);
	int got = wait_settled(&r, n, 60000);
	/* with webhooks, the REFUND orders also report their refund */
	int refunded = 0;
	int64_t end = pwt_now_ms() + pwt_ms(live ? 30000 : 0);
	do {
		refunded = 0;
		size_t i;
		json_t *rec;
		json_array_foreach(r.recs, i, rec)
			if (!strcmp(json_string_value(json_object_get(rec, "kind")),
				    "refund") &&
			    !strcmp(ev_str(rec, "status"), "REFUNDED"))
				refunded++;
		if (refunded >= n / 3)
			break;
		tail_poll(&r, 300);
	} while (pwt_now_ms() < end);
	/* a forged webhook: the pending order "Approved", wrong post_hash */
	char *body = NULL, url[256];
	snprintf(url, sizeof url, "%s/_sandbox/orders/MANUAL0000001/payload",
		 r.sbx_url);
	ck_assert_int_eq(pwt_proc_http("POST", url, "{\"bad_hash\":true}",
				       &body, 5000),
			 200);
	json_error_t je;
	json_t *forged = json_loads(body, 0, &je);
	free(body);
	ck_assert_ptr_nonnull(forged);
	json_object_set_new(forged, "status", json_string("Approved"));
	char *fs = json_dumps(forged, JSON_COMPACT);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/webhooks/payatom/%s",
		 r.wport[0], merchants[0].name);
	char *answer = NULL;
	long st = pwt_proc_http("POST", url, fs, &answer, 5000);
	free(fs);
	json_decref(forged);
	/* and the sandbox re-sends an approved order's webhook with a bad
	 * hash */
	char path[128];
	snprintf(path, sizeof path, "/_sandbox/orders/%s/webhook", "APPROVE000000");
	ck_assert_int_eq(sandbox_post(&r, path, "{\"bad_hash\":true}"), 200);
	tail_poll(&r, 3000); /* whatever they would cause */
	tally_t t;
	tally(&r, &t);
	int manual_events = 0;
	size_t i;
	json_t *rec;
	json_t *eids = json_object();
	json_array_foreach(r.recs, i, rec)
	{
		const char *o = ev_str(rec, "order_id");
		if (o && !strcmp(o, "MANUAL0000001"))
			manual_events++;
		/* refunds too: one record per transition */
		const char *eid = ev_str(rec, "event_id");
		ck_assert_msg(!json_object_get(eids, eid),
			      "transition %s published twice", eid);
		json_object_set_new(eids, eid, json_true());
	}
	json_decref(eids);
	json_t *c = sandbox_get(&r, "/_sandbox/counters");
	double verified = worker_metric(&r, 0, WH_VERIFIED);
	double mismatched = worker_metric(&r, 0, WH_MISMATCH);
	size_t applied = live ? topic_records(&r, T_INT_WEBHOOK) : 0;
	print_tally(&r, "webhooks", &t, n);
	printf("procs: webhooks: ingress %s, verified %.0f hash_mismatch %.0f "
	       "int.webhook records %zu; sandbox attempts %ld acknowledged "
	       "%ld dup_faults %ld reorder_faults %ld; refunds reported %d; "
	       "forged webhook answered %ld %s\n",
	       live ? "live" : "404", verified, mismatched, applied,
	       counter(c, "webhooks", "attempts"),
	       counter(c, "webhooks", "acknowledged"),
	       counter(c, "faults", "webhook_dup"),
	       counter(c, "faults", "webhook_reorder"), refunded, st,
	       answer ? answer : "");
	ck_assert_int_eq(got, n);
	ck_assert_int_eq(t.one_terminal, n);
	ck_assert_int_eq(t.multi_terminal, 0);
	ck_assert_int_eq(t.dup_records, 0);
	ck_assert_int_eq(t.conflicts, 0);
	ck_assert_int_eq(t.out_of_step, 0);
	ck_assert_int_eq(t.wrong_status, 0);
	ck_assert_int_eq(t.dlq, 0);
	/* the forged "Approved" changed nothing: PENDING only */
	ck_assert_int_eq(manual_events, 1);
	if (live) {
		ck_assert_int_gt(counter(c, "faults", "webhook_dup"), 0);
		ck_assert_int_gt(counter(c, "webhooks", "acknowledged"), 0);
		ck_assert(verified > 0);
		ck_assert_uint_gt(applied, 0);
		ck_assert(mismatched >= 2); /* forged + the sandbox's bad hash */
		ck_assert_int_eq(refunded, n / 3);
		ck_assert_msg(answer && strstr(answer, "HashMismatch"),
			      "forged webhook answered %ld %s", st,
			      answer ? answer : "");
	}
	free(answer);
	tally_free(&t);
	json_decref(c);
	ck_assert_int_eq(worker_stop(w, 20000, NULL), 0);
	pwt_proc_free(w);
	rig_fini(&r);
}
END_TEST

/* ---- 5b. forged callbacks: digits shifted between order_id and amount ---- */

/* A merchant the worker knows whose webhooks go to the sandbox's own sink
 * (callback=self): its orders are created "elsewhere" (directly at the
 * gateway), and the only callbacks the worker sees of it are the forged
 * ones the test posts. */
#define EXT_PID "PWTEX00001"
#define EXT_SECRET "pwt-secret-ex-5d1c"

/* A payin created directly at the sandbox (not through Kafka). */
static void sandbox_payin(rig_t *r, const char *oid, int major)
{
	char body[512];
	snprintf(body, sizeof body,
		 "{\"pid\":\"%s\",\"order_id\":\"%s\",\"amount\":%d,"
		 "\"name\":\"Asha Rao\",\"email\":\"asha.rao@example.com\","
		 "\"phone\":\"9876543210\",\"upi_id\":\"asha@okaxis\"}",
		 EXT_PID, oid, major);
	char url[256], *answer = NULL;
	snprintf(url, sizeof url, "%s/api/request.php", r->sbx_url);
	long st = pwt_proc_http("POST", url, body, &answer, 5000);
	ck_assert_msg(st == 200 && answer && strstr(answer, "\"success\""),
		      "sandbox payin %s: %ld %s", oid, st, answer ? answer : "");
	free(answer);
}

static void sandbox_status(rig_t *r, const char *oid, const char *status)
{
	char path[128], body[96];
	snprintf(path, sizeof path, "/_sandbox/orders/%s/status", oid);
	snprintf(body, sizeof body, "{\"status\":\"%s\"}", status);
	ck_assert_int_eq(sandbox_post(r, path, body), 200);
}

/* The genuine sealed callback of the sandbox's order `genuine`, with the
 * last `shift` characters of its order_id moved to the front of its
 * received_amount: md5(order_id . received_amount . status . secret) is
 * the same, so the post_hash still verifies. Posted to the worker; its
 * answer must be HashMatched/yes. *forged_oid gets the new order_id. */
static void post_shifted(rig_t *r, const char *genuine, size_t shift,
			 char *forged_oid, size_t size)
{
	char path[128], *body = NULL, url[256];
	snprintf(url, sizeof url, "%s/_sandbox/orders/%s/payload", r->sbx_url,
		 genuine);
	ck_assert_int_eq(pwt_proc_http("POST", url, "{}", &body, 5000), 200);
	json_error_t je;
	json_t *cb = json_loads(body, 0, &je);
	free(body);
	ck_assert_ptr_nonnull(cb);
	const char *oid = json_string_value(json_object_get(cb, "order_id"));
	const char *amt =
		json_string_value(json_object_get(cb, "received_amount"));
	ck_assert_ptr_nonnull(oid);
	ck_assert_ptr_nonnull(amt);
	size_t n = strlen(oid);
	ck_assert_uint_gt(n, shift);
	snprintf(forged_oid, size, "%.*s", (int)(n - shift), oid);
	char amount[64];
	snprintf(amount, sizeof amount, "%s%s", oid + n - shift, amt);
	json_object_set_new(cb, "order_id", json_string(forged_oid));
	json_object_set_new(cb, "received_amount", json_string(amount));
	char *fs = json_dumps(cb, JSON_COMPACT);
	json_decref(cb);
	snprintf(path, sizeof path, "http://127.0.0.1:%d/webhooks/payatom/ext",
		 r->wport[0]);
	char *answer = NULL;
	long st = pwt_proc_http("POST", path, fs, &answer, 5000);
	printf("procs: forgery: %s's callback as %s with %s: %ld %s\n",
	       genuine, forged_oid, amount, st, answer ? answer : "");
	ck_assert_msg(st == 200 && answer && strstr(answer, "HashMatched") &&
			      strstr(answer, "yes"),
		      "the shifted callback should verify (the scheme's "
		      "weakness): %ld %s",
		      st, answer ? answer : "");
	free(answer);
	free(fs);
}

/* The payment statuses published for oid, in sequence order, as
 * "PENDING DECLINED"; *reason (may be NULL) gets the last event's reason
 * (borrowed from r->recs). */
static void statuses_of(rig_t *r, const char *oid, char *out, size_t size,
			const char **reason)
{
	const char *st[16] = {0};
	const char *why[16] = {0};
	size_t i;
	json_t *rec;
	json_array_foreach(r->recs, i, rec)
	{
		if (strcmp(json_string_value(json_object_get(rec, "kind")),
			   "payment"))
			continue;
		const char *o = ev_str(rec, "order_id");
		json_int_t seq = json_integer_value(json_object_get(
			json_object_get(rec, "value"), "sequence"));
		if (!o || strcmp(o, oid) || seq < 1 || seq >= 16)
			continue;
		st[seq] = ev_str(rec, "status");
		why[seq] = ev_str(rec, "reason");
	}
	size_t n = 0;
	out[0] = '\0';
	const char *last = NULL;
	for (int q = 1; q < 16 && st[q]; q++) {
		n += (size_t)snprintf(out + n, size - n, "%s%s", q > 1 ? " " : "",
				      st[q]);
		last = why[q];
		if (n >= size)
			break;
	}
	if (reason)
		*reason = last;
}

/* The cause of oid's event with status st ("" when none). Borrowed. */
static const char *cause_of(rig_t *r, const char *oid, const char *st)
{
	size_t i;
	json_t *rec;
	json_array_foreach(r->recs, i, rec)
	{
		const char *o = ev_str(rec, "order_id");
		const char *s = ev_str(rec, "status");
		const char *c = ev_str(rec, "cause");
		if (o && s && c && !strcmp(o, oid) && !strcmp(s, st))
			return c;
	}
	return "";
}

/* Consumes until oid's statuses read want, or timeout_ms passed. */
static int wait_statuses(rig_t *r, const char *oid, const char *want,
			 long timeout_ms)
{
	char got[256];
	int64_t end = pwt_now_ms() + pwt_ms(timeout_ms);
	do {
		statuses_of(r, oid, got, sizeof got, NULL);
		if (!strcmp(got, want))
			return 1;
		tail_poll(r, 200);
	} while (pwt_now_ms() < end);
	statuses_of(r, oid, got, sizeof got, NULL);
	printf("procs: forgery: %s: %s, waited for %s\n", oid, got, want);
	return !strcmp(got, want);
}

#define WH_CONFIRM(R) "payatom_webhook_confirmations_total{reason=\"" R "\"}"

/* The webhook hash's weakness, end to end (docs/gateway-fidelity.md): a
 * genuine callback with digits shifted from its order_id into its amount
 * verifies, and the worker acts on it only through the gateway's status
 * API. An order the worker does not hold ends with what the status API
 * says -- DECLINED when the gateway has it declined, UNRESOLVED when the
 * gateway does not know it -- and an order the worker created is not moved
 * by a shifted callback whose amount is not its own. Never SUCCEEDED. */
START_TEST(test_procs_digit_shifted_callbacks_end_with_the_status_api)
{
	const char *sbx_extra[] = {
		"merchant = pid=" EXT_PID ",secret=" EXT_SECRET
		",api_key=pwt-unused-key-ex,token=" RECON_TOKEN
		",operator_key=" OPERATOR_KEY ",callback=self",
		NULL};
	rig_t r;
	rig_init(&r, "forgery", sbx_extra, NULL);
	char base_url[128];
	snprintf(base_url, sizeof base_url, "merchant.ext.base.url = %s",
		 r.sbx_url);
	const char *w_extra[] = {"merchant.ext.pid = " EXT_PID,
				 "merchant.ext.secret = " EXT_SECRET,
				 base_url,
				 "merchant.ext.country = IN",
				 "merchant.ext.api.version = v1",
				 NULL};
	worker_conf(&r, w_extra);
	pwt_proc_t *w = worker_start(&r, 0, NULL);
	if (!webhooks_live(&r, 0)) {
		printf("procs: forgery: webhook ingress not mounted, skipped\n");
		ck_assert_int_eq(worker_stop(w, 20000, NULL), 0);
		pwt_proc_free(w);
		rig_fini(&r);
		return;
	}
	/* at the gateway, created elsewhere: MANUAL000001 declined, three
	 * approved orders whose callbacks the attacker holds */
	sandbox_payin(&r, "MANUAL000001", 2100);
	sandbox_status(&r, "MANUAL000001", "Declined");
	static const char *const genuine[] = {"MANUAL0000012", "MANUAL0000023",
					      "MANUAL0000034"};
	for (int i = 0; i < 3; i++) {
		sandbox_payin(&r, genuine[i], 100);
		sandbox_status(&r, genuine[i], "Approved");
	}
	/* the worker's own order: 500.00, pending at the gateway */
	const product_t ext_p2c = {"PAYIN_UPI_P2C_SEAMLESS", "ext", "INR", 0};
	json_t *cmd = order_cmd(&ext_p2c, "MANUAL000003", 500);
	json_object_set_new(cmd, "country", json_string("IN"));
	send_cmd(&r, T_CMD_PAYIN, "MANUAL000003", cmd);
	pwt_flush(r.prod);
	ck_assert(wait_statuses(&r, "MANUAL000003", "PENDING", 30000));
	/* 1. unknown to the worker, declined at the gateway */
	char forged[3][32];
	post_shifted(&r, genuine[0], 1, forged[0], sizeof forged[0]);
	ck_assert_str_eq(forged[0], "MANUAL000001");
	/* 2. unknown to the worker and to the gateway */
	post_shifted(&r, genuine[1], 1, forged[1], sizeof forged[1]);
	ck_assert_str_eq(forged[1], "MANUAL000002");
	/* 3. the worker's own order, "Approved" with 4100.00 */
	post_shifted(&r, genuine[2], 1, forged[2], sizeof forged[2]);
	ck_assert_str_eq(forged[2], "MANUAL000003");
	int ok1 = wait_statuses(&r, "MANUAL000001", "PENDING DECLINED", 30000);
	int ok2 = wait_statuses(&r, "MANUAL000002", "PENDING UNRESOLVED",
				30000);
	/* the worker's order is still pending: nothing published; then the
	 * gateway declines it and the worker's poll reports that */
	tail_poll(&r, 1500);
	char got3[256];
	statuses_of(&r, "MANUAL000003", got3, sizeof got3, NULL);
	sandbox_status(&r, "MANUAL000003", "Declined");
	int ok3 = wait_statuses(&r, "MANUAL000003", "PENDING DECLINED", 30000);
	const char *why1 = NULL, *why2 = NULL;
	char got1[256], got2[256];
	statuses_of(&r, "MANUAL000001", got1, sizeof got1, &why1);
	statuses_of(&r, "MANUAL000002", got2, sizeof got2, &why2);
	double unheld = worker_metric(&r, 0, WH_CONFIRM("unheld"));
	double amount = worker_metric(&r, 0, WH_CONFIRM("amount"));
	int succeeded = 0;
	size_t i;
	json_t *rec;
	json_array_foreach(r.recs, i, rec)
	{
		const char *st = ev_str(rec, "status");
		const char *o = ev_str(rec, "order_id");
		if (st && !strncmp(st, "SUCCEEDED", 9))
			succeeded++;
		ck_assert_msg(!o || strncmp(o, "MANUAL00000", 11) ||
				      strlen(o) != 13,
			      "an event for %s, whose callbacks went to the "
			      "sandbox's sink",
			      o);
	}
	printf("procs: forgery: MANUAL000001 %s (%s); MANUAL000002 %s (%s); "
	       "MANUAL000003 after its forgery: %s, then %s; confirmations "
	       "unheld %.0f amount %.0f; SUCCEEDED events %d\n",
	       got1, why1 ? why1 : "", got2, why2 ? why2 : "", got3,
	       ok3 ? "PENDING DECLINED" : "?", unheld, amount, succeeded);
	ck_assert(ok1);
	ck_assert(ok2);
	ck_assert(ok3);
	ck_assert_str_eq(got3, "PENDING");
	ck_assert_int_eq(succeeded, 0);
	ck_assert_ptr_nonnull(why2);
	ck_assert_ptr_nonnull(strstr(why2, "does not know this order"));
	/* the PENDING of holding them is the webhook's; what follows is the
	 * status API's answer */
	ck_assert_str_eq(cause_of(&r, "MANUAL000001", "PENDING"), "WEBHOOK");
	ck_assert_str_eq(cause_of(&r, "MANUAL000001", "DECLINED"), "POLL");
	ck_assert_str_eq(cause_of(&r, "MANUAL000002", "UNRESOLVED"), "POLL");
	ck_assert_str_eq(cause_of(&r, "MANUAL000003", "PENDING"), "COMMAND");
	ck_assert(unheld >= 2);
	ck_assert(amount >= 1);
	ck_assert_int_eq(worker_stop(w, 20000, NULL), 0);
	pwt_proc_free(w);
	rig_fini(&r);
}
END_TEST

/* ---- 6. gateway 5xx, hangs and garbage ------------------------------------ */

START_TEST(test_procs_gateway_faults_recover_one_outcome_each)
{
	const char *sbx_extra[] = {
		"fault = /api/request.php:5xx=0.3,malformed=0.1,hang=0.05",
		"fault = /api/status_polling.php:5xx=0.2,truncated=0.05,hang=0.03",
		NULL};
	rig_t r;
	rig_init(&r, "faults", sbx_extra, NULL);
	pwt_proc_t *w = worker_start(&r, 0, NULL);
	const int n = scaled(200);
	send_payins(&r, 0, n);
	pwt_flush(r.prod);
	int got = wait_settled(&r, n, 120000);
	tail_poll(&r, 1000);
	tally_t t;
	tally(&r, &t);
	json_t *c = sandbox_get(&r, "/_sandbox/counters");
	print_tally(&r, "faults", &t, n);
	printf("procs: faults: injected 5xx %ld malformed %ld truncated %ld "
	       "hang %ld; create_requests %ld orders_created %ld\n",
	       counter(c, "faults", "5xx"), counter(c, "faults", "malformed"),
	       counter(c, "faults", "truncated"), counter(c, "faults", "hang"),
	       endpoint_requests(c, "/api/request.php"),
	       counter(c, NULL, "orders_created"));
	ck_assert_int_gt(counter(c, "faults", "5xx"), 0);
	ck_assert_int_gt(counter(c, "faults", "malformed"), 0);
	ck_assert_int_gt(counter(c, "faults", "hang"), 0);
	ck_assert_int_eq(got, n);
	ck_assert_int_eq(t.one_terminal, n);
	ck_assert_int_eq(t.multi_terminal, 0);
	/* recovered: each order ends as its magic id says, not FAILED by a
	 * fault */
	ck_assert_int_eq(t.wrong_status, 0);
	ck_assert_int_eq(t.dup_records, 0);
	ck_assert_int_eq(t.out_of_step, 0);
	ck_assert_int_eq(counter(c, NULL, "orders_created"), n);
	tally_free(&t);
	json_decref(c);
	ck_assert_int_eq(worker_stop(w, 20000, NULL), 0);
	pwt_proc_free(w);
	rig_fini(&r);
}
END_TEST

/* ---- 7. the local state store ------------------------------------------- */

/* Records of topic not yet committed by the group (end offsets minus
 * committed offsets, all partitions); -1 when Kafka does not answer. */
static int64_t group_lag(rig_t *r, int topic)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	if (rd_kafka_conf_set(c, "bootstrap.servers", r->brokers, es,
			      sizeof es) ||
	    rd_kafka_conf_set(c, "group.id", r->group, es, sizeof es)) {
		rd_kafka_conf_destroy(c);
		return -1;
	}
	rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
	if (!k)
		return -1;
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(PARTS);
	for (int p = 0; p < PARTS; p++)
		rd_kafka_topic_partition_list_add(l, r->topic[topic], p);
	int64_t lag = -1;
	if (!rd_kafka_committed(k, l, 10000)) {
		lag = 0;
		for (int p = 0; p < PARTS; p++) {
			int64_t lo, hi;
			if (rd_kafka_query_watermark_offsets(
				    k, r->topic[topic], p, &lo, &hi, 10000)) {
				lag = -1;
				break;
			}
			int64_t at = l->elems[p].offset < 0 ? 0
							    : l->elems[p].offset;
			lag += hi - at;
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(k);
	return lag;
}

/* Consumes until the group committed every command, bounded. */
static void wait_committed(rig_t *r, long timeout_ms)
{
	int64_t end = pwt_now_ms() + pwt_ms(timeout_ms), lag = -1;
	while ((lag = group_lag(r, T_CMD_PAYIN)) != 0 && pwt_now_ms() < end)
		tail_poll(r, 300);
	ck_assert_msg(lag == 0, "commands not all committed: lag %lld",
		      (long long)lag);
}

/* Waits until w restored every partition (its log: "state pN: restored
 * R records ..."); /readyz answers 200 before the first assignment too. */
static void wait_restored(rig_t *r, pwt_proc_t *w)
{
	int64_t end = pwt_now_ms() + pwt_ms(60000);
	while (pwt_proc_count_log(w, ": restored ") < PARTS &&
	       pwt_now_ms() < end && pwt_proc_alive(w))
		tail_poll(r, 200);
	ck_assert_msg(pwt_proc_count_log(w, ": restored ") >= PARTS,
		      "%s restored %d of %d partitions (see %s)",
		      pwt_proc_name(w), pwt_proc_count_log(w, ": restored "),
		      PARTS, pwt_proc_err_path(w));
}

/* The first APPROVE order (settled SUCCEEDED): refunded below. */
static void refund_first(rig_t *r, char *oid, size_t size)
{
	magic_id(0, oid, size);
	send_cmd(r, T_CMD_PAYIN, oid,
		 json_pack("{s:s s:s s:s s:I s:s}", "type", "refund",
			   "merchant", "in1", "order_id", oid, "amount_minor",
			   (json_int_t)0, "currency", "INR"));
	pwt_flush(r->prod);
}

static int refund_events(rig_t *r, const char *oid)
{
	int n = 0;
	size_t i;
	json_t *rec;
	json_array_foreach(r->recs, i, rec)
	{
		const char *kind = json_string_value(json_object_get(rec, "kind"));
		const char *key = json_string_value(json_object_get(rec, "key"));
		n += kind && key && !strcmp(kind, "refund") && !strcmp(key, oid);
	}
	return n;
}

/* Issue 16: settled orders live in the local store (state.dir). A worker
 * SIGKILLed after its orders settled restarts from its store and
 * checkpoint: it restores only the tail, loses no transition, and every
 * create sent again (orders only on disk) is suppressed -- no gateway
 * create repeated; a refund still finds its order's ref_code. Then a
 * corrupt store: wiped, rebuilt from the changelog, still suppressing. */
START_TEST(test_procs_store_restart_restores_only_the_tail)
{
	rig_t r;
	rig_init(&r, "store", NULL, NULL);
	const int n = scaled(1000);
	int sent = 0;
	pwt_proc_t *w = worker_start(&r, 0, NULL);
	while (sent < n)
		stream(&r, &sent, n, 200);
	ck_assert_int_eq(wait_settled(&r, n, 120000), n);
	wait_committed(&r, 60000);
	size_t state_recs = topic_records(&r, T_INT_STATE);
	tail_poll(&r, 1000); /* a commit tick: stores and checkpoints */
	pwt_proc_kill(w);    /* SIGKILL */
	pwt_proc_free(w);

	w = worker_start(&r, 0, NULL);
	wait_restored(&r, w);
	double tail_restored =
		worker_metric(&r, 0, "payatom_restore_records_total");
	double at_rest = worker_metric(&r, 0, "payatom_orders{state=\"at_rest\"}");
	send_payins(&r, 0, n); /* every create again: all on disk only */
	char oid[32];
	refund_first(&r, oid, sizeof oid);
	wait_committed(&r, 60000);
	int64_t end = pwt_now_ms() + pwt_ms(30000);
	while (refund_events(&r, oid) == 0 && pwt_now_ms() < end)
		tail_poll(&r, 200);
	tail_poll(&r, 1000); /* anything published late counts too */
	tally_t t;
	tally(&r, &t);
	json_t *c = sandbox_get(&r, "/_sandbox/counters");
	long creates = endpoint_requests(c, "/api/request.php");
	long refunds = endpoint_requests(c, "/api/refund.php");
	printf("procs: store: orders %d state_records %zu "
	       "restored_after_sigkill %.0f at_rest %.0f create_requests %ld "
	       "repeated_creates %ld refund_requests %ld refund_events %d\n",
	       n, state_recs, tail_restored, at_rest, creates, creates - n,
	       refunds, refund_events(&r, oid));
	print_tally(&r, "store", &t, n);
	/* only the tail after the checkpoint: at most a commit interval's
	 * records, far fewer than the changelog holds */
	ck_assert_msg(tail_restored >= 0 && tail_restored < state_recs / 4.0,
		      "restored %.0f of %zu records", tail_restored,
		      state_recs);
	ck_assert_msg(at_rest >= n - 1, "at rest %.0f of %d", at_rest, n);
	ck_assert_int_eq(creates, n); /* 0 repeated gateway creates */
	ck_assert_int_eq(t.one_terminal, n); /* 0 lost transitions */
	ck_assert_int_eq(t.conflicts, 0);
	ck_assert_int_eq(t.gaps, 0);
	ck_assert_int_eq(refunds, 1); /* the ref_code came from the store */
	ck_assert_int_ge(refund_events(&r, oid), 1);
	tally_free(&t);
	json_decref(c);
	ck_assert_int_eq(worker_stop(w, 20000, NULL), 0);
	pwt_proc_free(w);

	/* a corrupt store (both meta pages overwritten) */
	char path[1024];
	snprintf(path, sizeof path, "%s/state/%s/%s-0/data.mdb",
		 pwt_procs_dir(r.tag), r.group, r.topic[T_INT_STATE]);
	FILE *f = fopen(path, "r+b");
	ck_assert_msg(f != NULL, "no store at %s", path);
	char junk[8192];
	memset(junk, 0x5A, sizeof junk);
	ck_assert_uint_eq(fwrite(junk, 1, sizeof junk, f), sizeof junk);
	fclose(f);
	w = worker_start(&r, 0, NULL);
	wait_restored(&r, w);
	double rebuilds =
		worker_metric(&r, 0, "payatom_state_store_rebuilds_total");
	double restored = worker_metric(&r, 0, "payatom_restore_records_total");
	send_payins(&r, 0, n);
	pwt_flush(r.prod);
	wait_committed(&r, 60000);
	c = sandbox_get(&r, "/_sandbox/counters");
	creates = endpoint_requests(c, "/api/request.php");
	printf("procs: store: corrupt store: rebuilds %.0f restored %.0f "
	       "create_requests %ld\n",
	       rebuilds, restored, creates);
	ck_assert_msg(rebuilds >= 1, "rebuilds %.0f", rebuilds);
	ck_assert_msg(restored > tail_restored, "restored %.0f", restored);
	ck_assert_int_eq(creates, n);
	json_decref(c);
	ck_assert_int_eq(worker_stop(w, 20000, NULL), 0);
	pwt_proc_free(w);
	rig_fini(&r);
}
END_TEST

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* counts survive a failing test */
	Suite *s = suite_create("worker_procs");
	/* one tcase per behaviour; PWT_ONLY=<part of a name> runs only the
	 * matching ones */
	const struct {
		const char *name;
		const TTest *t;
	} all[] = {
		{"end_to_end", test_procs_every_product_end_to_end},
		{"sigkill", test_procs_sigkill_mid_stream_one_outcome_per_command},
		{"rebalance", test_procs_rebalance_two_workers_keeps_order},
		{"sigterm", test_procs_sigterm_finishes_commits_and_exits_zero},
		{"webhooks",
		 test_procs_webhooks_dup_reorder_bad_hash_change_nothing},
		{"forgery",
		 test_procs_digit_shifted_callbacks_end_with_the_status_api},
		{"gateway_faults",
		 test_procs_gateway_faults_recover_one_outcome_each},
		{"store", test_procs_store_restart_restores_only_the_tail},
	};
	const char *only = getenv("PWT_ONLY");
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (only && !strstr(all[i].name, only))
			continue;
		TCase *tc = tcase_create(all[i].name);
		tcase_set_timeout(tc, 300);
		tcase_add_test(tc, all[i].t);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
