/* it_ingress.c -- ingress/webhook_ingress.c on the embedded mock cluster,
 * driven over real HTTP (libcurl from a helper thread, httpcall.h): a sealed
 * callback is acknowledged only once its record is in payatom.int.webhook,
 * on the partition of the commands with the same key; bad hashes, bodies
 * too large, forbidden clients, unknown merchants and a Kafka that does not
 * answer; no secret nor post_hash in the logs. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "httpcall.h"
#include "kafkat.h"
#include "payatom/sign.h"
#include "kafka/mockcluster.h"
#include "ingress/webhook_ingress.h"
#include "pwtest.h"

#define PARTS 4
#define TOPIC_WH "payatom.int.webhook"
#define TOPIC_CMD "payatom.cmd.payin"
static const char *const SECRET_ALPHA = "alpha-Secret-9f8e7d6c5b4a";
static const char *const SECRET_BETA = "beta-Secret-0a1b2c3d4e5f";

typedef struct env {
	pw_loop_t *loop;
	pw_mock_t *mock;
	pw_merchants_t *ms;
	pw_metrics_t *reg;
	pw_metrics_worker_t *mw;
	pw_http_t *http;
	pw_ingress_t *in;
	FILE *logf;
	char *logbuf;
	size_t loglen;
	pw_logger_t *log;
	char base[64];
} env_t;

/* A transactional.id as an exactly_once worker's kafka.* carries it: the
 * ingress producer must ignore it (it writes outside transactions). */
static const char *kafka_quiet[] = {"log_level", "3", "transactional.id",
				    "it-ingress", NULL};

/* brokers NULL: the mock cluster's; allow/n_allow: the allowlist. */
static void env_init(env_t *e, const char *brokers, char *const *allow,
		     size_t n_allow, int64_t kafka_timeout_ms)
{
	memset(e, 0, sizeof *e);
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_loop_new(&e->loop), PA_OK);
	if (!brokers) {
		ck_assert_int_eq(pw_mock_new(1, PARTS, &e->mock, eb), PA_OK);
		ck_assert_int_eq(pw_mock_topic(e->mock, TOPIC_WH), PA_OK);
		ck_assert_int_eq(pw_mock_topic(e->mock, TOPIC_CMD), PA_OK);
		brokers = pw_mock_bootstraps(e->mock);
	}
	ck_assert_int_eq(pw_merchants_new(&e->ms), PA_OK);
	pa_merchant_t m = {.pid = "PID-A", .base_url = "http://127.0.0.1:9",
			   .api_version = PA_API_V1};
	ck_assert_msg(pw_merchants_add(e->ms, "alpha", &m, SECRET_ALPHA, eb) ==
			      PA_OK,
		      "%s", eb);
	m.pid = "PID-B";
	ck_assert_msg(pw_merchants_add(e->ms, "beta", &m, SECRET_BETA, eb) ==
			      PA_OK,
		      "%s", eb);
	ck_assert_int_eq(pw_metrics_new(&e->reg), PA_OK);
	ck_assert_int_eq(pw_metrics_worker_new(e->reg, &e->mw, eb), PA_OK);
	e->logf = open_memstream(&e->logbuf, &e->loglen);
	ck_assert_ptr_nonnull(e->logf);
	ck_assert_int_eq(pw_log_new(e->logf, PW_LOG_DEBUG, PW_LOG_JSON,
				    &e->log),
			 PA_OK);
	pw_http_opts_t ho = {.max_body = 256 * 1024};
	ck_assert_int_eq(pw_http_new(e->loop, &ho, &e->http, eb), PA_OK);
	snprintf(e->base, sizeof e->base, "http://127.0.0.1:%u",
		 (unsigned)pw_http_port(e->http));
	pw_ingress_opts_t io = {.brokers = brokers,
				.merchants = e->ms,
				.allow = allow,
				.n_allow = n_allow,
				.max_body = 4096,
				.kafka_timeout_ms = kafka_timeout_ms,
				.kafka_kv = kafka_quiet,
				.log = e->log,
				.mw = e->mw};
	ck_assert_msg(pw_ingress_new(e->loop, &io, &e->in, eb) == PA_OK, "%s",
		      eb);
	ck_assert_int_eq(pw_ingress_mount(e->in, e->http), PA_OK);
}

static void env_fini(env_t *e)
{
	pw_http_destroy(e->http);
	pw_ingress_destroy(e->in);
	pw_metrics_worker_destroy(e->mw);
	pw_metrics_destroy(e->reg);
	pw_merchants_destroy(e->ms);
	pw_log_destroy(e->log);
	fclose(e->logf);
	free(e->logbuf);
	pw_mock_destroy(e->mock);
	pw_loop_destroy(e->loop);
}

/* A callback body sealed with secret (spec §5); *post_hash gets the
 * post_hash (new; free()). New (free()). */
static char *callback(const char *secret, const char *oid,
		      const char *amount, const char *status,
		      const char *tamper_amount, char **post_hash)
{
	pa_secret_t *sec;
	ck_assert_int_eq(pa_secret_new(secret, strlen(secret), &sec), PA_OK);
	char eb[PA_ERRBUF_SIZE];
	char *ph = NULL;
	ck_assert_int_eq(pa_sign_callback_post_hash(sec, pa_part(oid),
						    pa_part(amount),
						    pa_part(status), NULL, &ph,
						    eb),
			 PA_OK);
	pa_secret_destroy(sec);
	char *body = malloc(1024);
	snprintf(body, 1024,
		 "{\"order_id\":\"%s\",\"requested_amount\":\"%s\","
		 "\"received_amount\":\"%s\",\"bank_ref\":\"412345678901\","
		 "\"ref_code\":\"RC-%s\",\"status\":\"%s\",\"sender_upi\":"
		 "\"payer@okicici\",\"post_hash\":\"%s\"}",
		 oid, amount, tamper_amount ? tamper_amount : amount, oid,
		 status, ph);
	if (post_hash)
		*post_hash = ph;
	else
		free(ph);
	return body;
}

static void post(env_t *e, const char *path, const char *body,
		 const char *source_ip, pwt_call_t *c)
{
	static char url[256];
	snprintf(url, sizeof url, "%s%s", e->base, path);
	memset(c, 0, sizeof *c);
	c->url = url;
	c->body = body;
	c->source_ip = source_ip;
	ck_assert_msg(pwt_call_run(e->loop, c, 30000), "POST %s: %s", path,
		      c->err);
}

static void expect_ack(const pwt_call_t *c, long status, const char *hs,
		       const char *ack)
{
	char want[128];
	snprintf(want, sizeof want, "{\"hash_status\":\"%s\",\"acknowledge\":"
				    "\"%s\"}",
		 hs, ack);
	ck_assert_int_eq(c->status, status);
	ck_assert_str_eq(c->ctype, "application/json; charset=utf-8");
	ck_assert_str_eq(c->resp, want);
}

static json_t *read_topic(env_t *e, const char *topic)
{
	return pwt_read_topic(pw_mock_bootstraps(e->mock), topic, 1500,
			      (int)pwt_ms(20000));
}

static json_t *find_key(json_t *recs, const char *key)
{
	size_t i;
	json_t *r;
	json_array_foreach(recs, i, r)
	{
		if (!strcmp(json_string_value(json_object_get(r, "key")), key))
			return r;
	}
	return NULL;
}

#define NORD 6

START_TEST(test_ingress_acks_after_record_is_in_kafka)
{
	env_t e;
	env_init(&e, NULL, NULL, 0, 0);
	char oid[NORD][32];
	for (int i = 0; i < NORD; i++) {
		snprintf(oid[i], sizeof oid[i], "ORD-ING-%d", i);
		/* beta's secret: found by trying every merchant */
		char *body = callback(SECRET_BETA, oid[i], "100.50", "Approved",
				      NULL, NULL);
		pwt_call_t c;
		post(&e, "/webhooks/payatom", body, NULL, &c);
		expect_ack(&c, 200, "HashMatched", "yes");
		pwt_call_free(&c);
		free(body);
		pw_ingress_stats_t st;
		pw_ingress_get_stats(e.in, &st);
		ck_assert_uint_eq(st.results[PW_WH_VERIFIED], (unsigned)i + 1);
		ck_assert_uint_eq(st.pending, 0);
	}
	/* the same keys as commands, from a producer like our users' */
	rd_kafka_t *p = pwt_producer(pw_mock_bootstraps(e.mock));
	for (int i = 0; i < NORD; i++)
		pwt_produce(p, TOPIC_CMD, oid[i], "{}", 0);
	pwt_flush(p);
	rd_kafka_destroy(p);
	json_t *wh = read_topic(&e, TOPIC_WH);
	json_t *cmd = read_topic(&e, TOPIC_CMD);
	ck_assert_uint_eq(json_array_size(wh), NORD);
	int parts_seen[PARTS] = {0};
	for (int i = 0; i < NORD; i++) {
		json_t *r = find_key(wh, oid[i]);
		json_t *c = find_key(cmd, oid[i]);
		ck_assert_ptr_nonnull(r);
		ck_assert_ptr_nonnull(c);
		int part = (int)json_integer_value(json_object_get(r, "partition"));
		ck_assert_int_eq(part, (int)json_integer_value(
					       json_object_get(c, "partition")));
		parts_seen[part] = 1;
		json_t *v = json_object_get(r, "value");
		ck_assert_int_eq(json_integer_value(json_object_get(v, "v")), 1);
		ck_assert_str_eq(json_string_value(json_object_get(v, "merchant")),
				 "beta");
		ck_assert_int_eq(json_integer_value(
					 json_object_get(v, "received_minor")),
				 10050);
		ck_assert(json_integer_value(json_object_get(v, "received_at")) >
			  1700000000000LL);
		json_t *cb = json_object_get(v, "callback");
		ck_assert_str_eq(json_string_value(json_object_get(cb, "status")),
				 "Approved");
		ck_assert_str_eq(json_string_value(json_object_get(cb, "order_id")),
				 oid[i]);
		ck_assert_ptr_nonnull(json_object_get(cb, "ref_code"));
		ck_assert_ptr_nonnull(json_object_get(cb, "bank_ref"));
	}
	int distinct = 0;
	for (int i = 0; i < PARTS; i++)
		distinct += parts_seen[i];
	ck_assert_int_ge(distinct, 2); /* the comparison meant something */
	json_decref(wh);
	json_decref(cmd);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_VERIFIED) == NORD);
	env_fini(&e);
}
END_TEST

START_TEST(test_ingress_merchant_path_selects_profile)
{
	env_t e;
	env_init(&e, NULL, NULL, 0, 0);
	char *body = callback(SECRET_BETA, "ORD-PATH-1", "500", "Declined",
			      NULL, NULL);
	pwt_call_t c;
	post(&e, "/webhooks/payatom/alpha", body, NULL, &c);
	expect_ack(&c, 200, "HashMismatch", "no"); /* only alpha tried */
	pwt_call_free(&c);
	post(&e, "/webhooks/payatom/beta", body, NULL, &c);
	expect_ack(&c, 200, "HashMatched", "yes");
	pwt_call_free(&c);
	post(&e, "/webhooks/payatom/nobody", body, NULL, &c);
	expect_ack(&c, 404, "HashMismatch", "no");
	pwt_call_free(&c);
	post(&e, "/webhooks/payatomx", body, NULL, &c);
	ck_assert_int_eq(c.status, 404);
	pwt_call_free(&c);
	free(body);
	json_t *wh = read_topic(&e, TOPIC_WH);
	ck_assert_uint_eq(json_array_size(wh), 1);
	json_t *v = json_object_get(json_array_get(wh, 0), "value");
	ck_assert_str_eq(json_string_value(json_object_get(v, "merchant")),
			 "beta");
	json_decref(wh);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_UNKNOWN_MERCHANT) ==
		  1);
	env_fini(&e);
}
END_TEST

START_TEST(test_ingress_bad_hash_answers_mismatch_and_produces_nothing)
{
	env_t e;
	env_init(&e, NULL, NULL, 0, 0);
	/* sealed over 100, claims 1000 received */
	char *body = callback(SECRET_ALPHA, "ORD-BAD-1", "100", "Approved",
			      "1000", NULL);
	pwt_call_t c;
	post(&e, "/webhooks/payatom", body, NULL, &c);
	expect_ack(&c, 200, "HashMismatch", "no");
	pwt_call_free(&c);
	free(body);
	/* a stranger's secret */
	body = callback("not-our-secret", "ORD-BAD-2", "100", "Approved", NULL,
			NULL);
	post(&e, "/webhooks/payatom", body, NULL, &c);
	expect_ack(&c, 200, "HashMismatch", "no");
	pwt_call_free(&c);
	free(body);
	post(&e, "/webhooks/payatom", "{\"order_id\":", NULL, &c);
	expect_ack(&c, 400, "HashMismatch", "no");
	pwt_call_free(&c);
	json_t *wh = read_topic(&e, TOPIC_WH);
	ck_assert_uint_eq(json_array_size(wh), 0);
	json_decref(wh);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_HASH_MISMATCH) == 2);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_MALFORMED) == 1);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_VERIFIED) == 0);
	env_fini(&e);
}
END_TEST

START_TEST(test_ingress_oversized_body_gets_413)
{
	env_t e;
	env_init(&e, NULL, NULL, 0, 0);
	char *big = malloc(8192 + 1);
	memset(big, ' ', 8192);
	big[8192] = '\0';
	big[0] = '{';
	big[8191] = '}';
	pwt_call_t c;
	post(&e, "/webhooks/payatom", big, NULL, &c);
	expect_ack(&c, 413, "HashMismatch", "no"); /* the ingress limit */
	pwt_call_free(&c);
	free(big);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_TOO_LARGE) == 1);
	/* over the listener's own limit: it answers before the route */
	size_t huge_len = 300 * 1024;
	char *huge = malloc(huge_len + 1);
	memset(huge, ' ', huge_len);
	huge[huge_len] = '\0';
	post(&e, "/webhooks/payatom", huge, NULL, &c);
	ck_assert_int_eq(c.status, 413);
	pwt_call_free(&c);
	free(huge);
	pw_metrics_worker_set_http(e.mw, e.http);
	char *text = NULL;
	ck_assert_int_eq(pw_metrics_render(e.reg, &text, NULL), PA_OK);
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_webhooks_received_total{result=\"too_large\"} 2\n"));
	free(text);
	pw_metrics_worker_set_http(e.mw, NULL);
	env_fini(&e);
}
END_TEST

START_TEST(test_ingress_forbidden_ip_gets_403)
{
	env_t e;
	char *allow[] = {"127.0.0.1/32", "::1", "10.0.0.0/8"};
	env_init(&e, NULL, allow, 3, 0);
	ck_assert_int_eq(pw_ingress_ip_allowed(e.in, "127.0.0.1"), 1);
	ck_assert_int_eq(pw_ingress_ip_allowed(e.in, "10.200.3.4"), 1);
	ck_assert_int_eq(pw_ingress_ip_allowed(e.in, "11.0.0.1"), 0);
	ck_assert_int_eq(pw_ingress_ip_allowed(e.in, "::1"), 1);
	ck_assert_int_eq(pw_ingress_ip_allowed(e.in, "::2"), 0);
	ck_assert_int_eq(pw_ingress_ip_allowed(e.in, "bogus"), 0);
	char *body = callback(SECRET_ALPHA, "ORD-IP-1", "100", "Approved",
			      NULL, NULL);
	pwt_call_t c;
	post(&e, "/webhooks/payatom", body, "127.0.0.2", &c);
	expect_ack(&c, 403, "HashMismatch", "no");
	pwt_call_free(&c);
	post(&e, "/webhooks/payatom", body, "127.0.0.1", &c);
	expect_ack(&c, 200, "HashMatched", "yes");
	pwt_call_free(&c);
	free(body);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_FORBIDDEN) == 1);
	env_fini(&e);
}
END_TEST

START_TEST(test_ingress_rejects_bad_allowlist_entry)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	pw_merchants_t *ms;
	ck_assert_int_eq(pw_merchants_new(&ms), PA_OK);
	pa_merchant_t m = {.pid = "P", .base_url = "http://127.0.0.1:9",
			   .api_version = PA_API_V1};
	ck_assert_int_eq(pw_merchants_add(ms, "alpha", &m, SECRET_ALPHA, NULL),
			 PA_OK);
	const char *bad[] = {"10.0.0.0/33", "300.1.1.1", "::1/129", "1.2.3.4/",
			     "host.example"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *allow[] = {(char *)bad[i]};
		pw_ingress_opts_t io = {.brokers = "127.0.0.1:9",
					.merchants = ms,
					.allow = allow,
					.n_allow = 1,
					.kafka_kv = kafka_quiet};
		pw_ingress_t *in = NULL;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_int_eq(pw_ingress_new(loop, &io, &in, eb), PA_CONFIG);
		ck_assert_ptr_nonnull(strstr(eb, bad[i]));
		ck_assert_ptr_null(in);
	}
	pw_merchants_destroy(ms);
	pw_loop_destroy(loop);
}
END_TEST

/* A loopback port nothing listens on. */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t l = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &l);
	close(fd);
	return ntohs(a.sin_port);
}

START_TEST(test_ingress_kafka_unavailable_answers_no)
{
	env_t e;
	char brokers[64];
	snprintf(brokers, sizeof brokers, "127.0.0.1:%d", closed_port());
	env_init(&e, brokers, NULL, 0, 1500);
	char *body = callback(SECRET_ALPHA, "ORD-DOWN-1", "100", "Approved",
			      NULL, NULL);
	pwt_call_t c;
	int64_t t0 = pwt_now_ms();
	post(&e, "/webhooks/payatom", body, NULL, &c);
	expect_ack(&c, 503, "HashMatched", "no");
	/* not before message.timeout.ms */
	ck_assert_int_ge(pwt_now_ms() - t0, 1400);
	pwt_call_free(&c);
	free(body);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_KAFKA_FAILED) == 1);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_VERIFIED) == 0);
	env_fini(&e);
}
END_TEST

static int has_pending(void *ud)
{
	pw_ingress_stats_t st;
	pw_ingress_get_stats(ud, &st);
	return st.pending > 0;
}

/* An ingress whose Kafka never answers (60 s timeout) holding one verified
 * callback whose client gave up waiting. */
static void start_waiting(env_t *e, const char *oid)
{
	char brokers[64];
	snprintf(brokers, sizeof brokers, "127.0.0.1:%d", closed_port());
	env_init(e, brokers, NULL, 0, 60000);
	char *body = callback(SECRET_ALPHA, oid, "100", "Approved", NULL, NULL);
	pwt_call_t c;
	char url[128];
	snprintf(url, sizeof url, "%s/webhooks/payatom", e->base);
	memset(&c, 0, sizeof c);
	c.url = url;
	c.body = body;
	ck_assert_int_eq(pwt_call_run(e->loop, &c, 700), 0); /* no answer */
	pwt_call_free(&c);
	free(body);
	ck_assert(has_pending(e->in));
}

START_TEST(test_ingress_request_dropped_while_waiting)
{
	env_t e;
	start_waiting(&e, "ORD-DROP-1");
	/* the listener goes first: the held request is dropped (abort
	 * callback), then the ingress frees what waits for Kafka */
	pw_http_destroy(e.http);
	e.http = NULL;
	pw_ingress_stats_t st;
	pw_ingress_get_stats(e.in, &st);
	ck_assert_uint_eq(st.pending, 1);
	ck_assert_uint_eq(st.results[PW_WH_KAFKA_FAILED], 0);
	env_fini(&e);
}
END_TEST

START_TEST(test_ingress_destroy_answers_waiting_requests)
{
	env_t e;
	start_waiting(&e, "ORD-STOP-1");
	pw_ingress_destroy(e.in); /* answers 503 / no */
	e.in = NULL;
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_KAFKA_FAILED) == 1);
	env_fini(&e);
}
END_TEST

static int kafka_down(void *ud)
{
	pw_ingress_stats_t st;
	pw_ingress_get_stats(ud, &st);
	return st.kafka_down;
}

/* Every broker down: one verified callback waits for Kafka, the next ones
 * are answered 503 / "no" at once (not after message.timeout.ms), so the
 * gateway's retries cannot hold every connection of the listener. */
START_TEST(test_ingress_kafka_down_holds_one_request)
{
	env_t e;
	start_waiting(&e, "ORD-HOLD-1");
	ck_assert_msg(pwt_run_until(e.loop, kafka_down, e.in, 20000),
		      "the producer never said every broker is down");
	for (int i = 0; i < 3; i++) {
		char oid[32];
		snprintf(oid, sizeof oid, "ORD-FAST-%d", i);
		char *body = callback(SECRET_ALPHA, oid, "100", "Approved",
				      NULL, NULL);
		pwt_call_t c;
		/* held ones wait 60 s (message.timeout.ms); 30 s is "at once" */
		post(&e, "/webhooks/payatom", body, NULL, &c);
		expect_ack(&c, 503, "HashMatched", "no");
		pwt_call_free(&c);
		free(body);
	}
	pw_ingress_stats_t st;
	pw_ingress_get_stats(e.in, &st);
	ck_assert_uint_eq(st.pending, 1);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_KAFKA_FAILED) == 3);
	ck_assert(pw_metrics_worker_webhooks(e.mw, PW_WH_VERIFIED) == 0);
	env_fini(&e);
}
END_TEST

START_TEST(test_ingress_logs_hold_no_secret_nor_post_hash)
{
	env_t e;
	env_init(&e, NULL, NULL, 0, 0);
	char *ph_good = NULL, *ph_bad = NULL;
	char *good = callback(SECRET_ALPHA, "ORD-LOG-1", "250", "Approved",
			      NULL, &ph_good);
	char *bad = callback(SECRET_BETA, "ORD-LOG-2", "250", "Approved", "2500",
			     &ph_bad);
	pwt_call_t c;
	post(&e, "/webhooks/payatom", good, NULL, &c);
	expect_ack(&c, 200, "HashMatched", "yes");
	pwt_call_free(&c);
	post(&e, "/webhooks/payatom", bad, NULL, &c);
	expect_ack(&c, 200, "HashMismatch", "no");
	pwt_call_free(&c);
	fflush(e.logf);
	ck_assert_ptr_nonnull(e.logbuf);
	/* the ingress did log both, with the order ids */
	ck_assert_ptr_nonnull(strstr(e.logbuf, "webhook acknowledged"));
	ck_assert_ptr_nonnull(strstr(e.logbuf, "webhook hash mismatch"));
	ck_assert_ptr_nonnull(strstr(e.logbuf, "ORD-LOG-2"));
	const char *never[] = {SECRET_ALPHA, SECRET_BETA, ph_good, ph_bad,
			       "payer@okicici"};
	for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
		ck_assert_msg(strstr(e.logbuf, never[i]) == NULL,
			      "log holds '%s':\n%s", never[i], e.logbuf);
	/* not even a prefix of a post_hash */
	char pfx[17];
	snprintf(pfx, sizeof pfx, "%s", ph_bad);
	ck_assert_ptr_null(strstr(e.logbuf, pfx));
	free(ph_good);
	free(ph_bad);
	free(good);
	free(bad);
	env_fini(&e);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ingress");
	TCase *t = tcase_create("spec5_callback_ack");
	tcase_set_timeout(t, 240);
	tcase_add_test(t, test_ingress_acks_after_record_is_in_kafka);
	tcase_add_test(t, test_ingress_merchant_path_selects_profile);
	tcase_add_test(t, test_ingress_bad_hash_answers_mismatch_and_produces_nothing);
	tcase_add_test(t, test_ingress_logs_hold_no_secret_nor_post_hash);
	suite_add_tcase(s, t);
	TCase *g = tcase_create("guards");
	tcase_set_timeout(g, 120);
	tcase_add_test(g, test_ingress_oversized_body_gets_413);
	tcase_add_test(g, test_ingress_forbidden_ip_gets_403);
	tcase_add_test(g, test_ingress_rejects_bad_allowlist_entry);
	suite_add_tcase(s, g);
	TCase *k = tcase_create("kafka_unavailable");
	tcase_set_timeout(k, 120);
	tcase_add_test(k, test_ingress_kafka_unavailable_answers_no);
	tcase_add_test(k, test_ingress_request_dropped_while_waiting);
	tcase_add_test(k, test_ingress_destroy_answers_waiting_requests);
	tcase_add_test(k, test_ingress_kafka_down_holds_one_request);
	suite_add_tcase(s, k);
	return s;
}

int main(void)
{
	return pwt_run_suite(suite());
}
