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
#include <unistd.h>

#include "kafkat.h"
#include "pipeline/mockcluster.h"
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
	char path[1024], bin[1024];
	ck_assert_ptr_nonnull(
		pwt_procs_write_file("sandbox.conf", text, path, sizeof path));
	char *argv[] = {(char *)pwt_bin_path("payatom-sandbox", bin, sizeof bin),
			"--config", path, "--port", "0", "--print-port", NULL};
	r->sbx = pwt_proc_spawn("sandbox", argv);
	ck_assert_ptr_nonnull(r->sbx);
	char line[64];
	ck_assert_msg(pwt_proc_first_line(r->sbx, line, sizeof line, 10000),
		      "payatom-sandbox printed no port");
	int port = atoi(line);
	ck_assert_int_gt(port, 0);
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
		/* a SIGKILLed member's partitions move after this */
		"kafka.session.timeout.ms = 6000\n"
		"kafka.heartbeat.interval.ms = 500\n",
		r->brokers, r->group, PARTS);
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
	pwt_procs_dir(tag);
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
	char bin[1024], listen[64];
	snprintf(listen, sizeof listen, "http.listen=127.0.0.1:%d",
		 r->wport[slot]);
	char *argv[32];
	int a = 0;
	argv[a++] = (char *)pwt_bin_path("payatom-worker", bin, sizeof bin);
	argv[a++] = "--config";
	argv[a++] = r->conf;
	argv[a++] = "-o";
	argv[a++] = listen;
	for (size_t i = 0; opts && opts[i] && a < 28; i++) {
		argv[a++] = "-o";
		argv[a++] = (char *)opts[i];
	}
	argv[a] = NULL;
	pwt_proc_t *w = pwt_proc_spawn("worker", argv);
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

/* Requests the sandbox served on endpoint path (the "endpoints" counters). */
static long sandbox_endpoint_count(json_t *counters, const char *path)
{
	json_t *eps = json_object_get(counters, "endpoints");
	json_t *v = json_object_get(eps, path);
	if (json_is_object(v)) {
		json_t *n = json_object_get(v, "requests");
		if (!n)
			n = json_object_get(v, "count");
		return (long)json_integer_value(n);
	}
	if (json_is_array(eps)) {
		size_t i;
		json_t *e;
		json_array_foreach(eps, i, e)
		{
			const char *p = json_string_value(
				json_object_get(e, "path"));
			if (p && !strcmp(p, path))
				return (long)json_integer_value(
					json_object_get(e, "requests"));
		}
	}
	return (long)json_integer_value(v);
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

static void send_cmd(rig_t *r, int topic, const char *key, json_t *cmd)
{
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
	int orders;	     /* order ids with a payment event or dead letter */
	int one_terminal;    /* orders with exactly one terminal outcome */
	int multi_terminal;  /* orders with more than one */
	int dup_records;     /* records repeating an event_id seen before */
	int conflicts;	     /* (order, sequence) with two event_ids, or an
				event_id with two (status, sequence) */
	int gaps;	     /* orders whose sequences are not 1..n */
	int regressions;     /* new event with a lower sequence than before */
	int out_of_step;     /* records not exactly previous + 1 */
	int dlq;
	int webhook_events;  /* events a webhook caused */
	int wrong_status;    /* terminal status differs from the magic id's */
	json_t *terminal;    /* order_id -> terminal status */
} tally_t;

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
			json_t *o = json_object_get(per, k);
			if (!o) {
				o = json_pack("{s:i s:i s:i s:{}}", "max", 0,
					      "terms", 0, "dlq", 0, "seqs");
				json_object_set_new(per, k, o);
			}
			json_object_set_new(
				o, "dlq",
				json_integer(json_integer_value(
						     json_object_get(o, "dlq")) +
					     1));
			t->dlq++;
			continue;
		}
		if (strcmp(kind, "payment"))
			continue;
		const char *eid =
			json_string_value(json_object_get(v, "event_id"));
		const char *oid =
			json_string_value(json_object_get(v, "order_id"));
		const char *st = json_string_value(json_object_get(v, "status"));
		json_int_t seq =
			json_integer_value(json_object_get(v, "sequence"));
		ck_assert_msg(eid && oid && st, "event without ids: %s",
			      json_dumps(v, JSON_COMPACT));
		const char *src =
			json_string_value(json_object_get(v, "source"));
		char sig[96];
		snprintf(sig, sizeof sig, "%s|%lld", st, (long long)seq);
		json_t *o = json_object_get(per, oid);
		if (!o) {
			o = json_pack("{s:i s:i s:i s:{}}", "max", 0, "terms", 0,
				      "dlq", 0, "seqs");
			json_object_set_new(per, oid, o);
		}
		json_int_t max = json_integer_value(json_object_get(o, "max"));
		json_t *prev = json_object_get(eids, eid);
		if (prev) {
			t->dup_records++;
			t->out_of_step++;
			if (strcmp(json_string_value(prev), sig))
				t->conflicts++;
			continue;
		}
		if (src && !strcmp(src, "webhook"))
			t->webhook_events++;
		json_object_set_new(eids, eid, json_string(sig));
		char sk[24];
		snprintf(sk, sizeof sk, "%lld", (long long)seq);
		json_t *seqs = json_object_get(o, "seqs");
		if (json_object_get(seqs, sk))
			t->conflicts++;
		json_object_set_new(seqs, sk, json_string(eid));
		if (seq != max + 1)
			t->out_of_step++;
		if (seq <= max)
			t->regressions++;
		else
			json_object_set_new(o, "max", json_integer(seq));
		if (json_is_true(json_object_get(v, "terminal"))) {
			json_object_set_new(
				o, "terms",
				json_integer(json_integer_value(json_object_get(
						     o, "terms")) +
					     1));
			json_object_set_new(t->terminal, oid, json_string(st));
			const char *want = expected_status(oid);
			if (want && strcmp(want, st))
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
		json_int_t outcomes =
			json_integer_value(json_object_get(o, "terms")) +
			json_integer_value(json_object_get(o, "dlq"));
		if (outcomes == 1)
			t->one_terminal++;
		else if (outcomes > 1)
			t->multi_terminal++;
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
	printf("procs: e2e: orders %d settled %d dup %d dlq %d refund_events %d "
	       "complaint_events %d utr %d webhook_events %d webhooks %s "
	       "sandbox orders_created %lld\n",
	       n, t.one_terminal, t.dup_records, t.dlq, refund_events,
	       complaint_events, utrs, t.webhook_events,
	       live ? "live" : "404", (long long)json_integer_value(
					  json_object_get(c, "orders_created")));
	ck_assert_int_eq(t.one_terminal, n);
	ck_assert_int_eq(t.multi_terminal, 0);
	ck_assert_int_eq(t.wrong_status, 0);
	ck_assert_int_eq(t.dup_records, 0);
	ck_assert_int_eq(t.conflicts, 0);
	ck_assert_int_eq(t.gaps, 0);
	ck_assert_int_eq(t.out_of_step, 0);
	ck_assert_int_eq(t.dlq, 0); /* every command was valid */
	ck_assert_int_eq(json_integer_value(json_object_get(c, "orders_created")),
			 n);
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
		ck_assert_int_gt(t.webhook_events, 0);
		ck_assert_int_gt(json_integer_value(json_object_get(
					 json_object_get(c, "webhooks"),
					 "acknowledged")),
				 0);
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

static void unused_yet(void) { (void)wait_settled; (void)send_payins; (void)sandbox_endpoint_count; (void)sandbox_post; }
int main(void)
{
	unused_yet();
	Suite *s = suite_create("worker_procs");
	TCase *tc = tcase_create("procs");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_procs_every_product_end_to_end);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
