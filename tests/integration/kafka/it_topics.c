/* it_topics.c -- pw_topics_ensure() at start-up: co-partitioning refused or
 * accepted on librdkafka's mock cluster (always), and on a real Apache
 * Kafka (when PAYATOM_TEST_KAFKA=real, bootstrap in
 * PAYATOM_TEST_BOOTSTRAP; tests/kafka registers the kafka_it_topics twin):
 * topics created from scratch with a compacted state changelog, a state
 * topic with cleanup.policy=delete refused, mismatched partition counts
 * refused, and the changelog really compacted by the broker's cleaner with
 * the latest state of every order surviving (as a restoring worker reads
 * it). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "fakegw.h"
#include "kafkat.h"
#include "orders/state.h"
#include "kafka/topics.h"
#include "kafka/worker.h"
#include "pwtest.h"

static const pw_kafka_kv_t quiet[] = {{"log_level", "3"}};

/* pw_topics_ensure() must succeed; r gets the report. */
static void ensure_ok(const char *bs, const pw_topics_spec_t *s,
		      pw_topics_report_t *r)
{
	char eb[PA_ERRBUF_SIZE] = "";
	pa_err_t err = pw_topics_ensure(bs, quiet, 1, s, r, eb);
	ck_assert_msg(err == PA_OK, "ensure: %s", eb);
}

/* pw_topics_ensure() must refuse with PA_CONFIG and a message containing
 * want; eb (PA_ERRBUF_SIZE) gets the message. */
static void ensure_refused(const char *bs, const pw_topics_spec_t *s,
			   pw_topics_report_t *r, const char *want, char *eb)
{
	eb[0] = '\0';
	ck_assert_int_eq(pw_topics_ensure(bs, quiet, 1, s, r, eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, want), "want: %s\ngot:  %s", want, eb);
}

/* ---- mock cluster ---------------------------------------------------- */

typedef struct mock {
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
} mock_t;

static void mock_start(mock_t *m)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "log_level", "3", NULL, 0);
	m->host = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	ck_assert_ptr_nonnull(m->host);
	m->mc = rd_kafka_mock_cluster_new(m->host, 1);
	ck_assert_ptr_nonnull(m->mc);
}

static void mock_topics(mock_t *m, const pw_topics_spec_t *s, int parts,
			const char *odd, int odd_parts)
{
	const char *all[] = {s->cmd_payin,   s->cmd_payout,  s->cmd_complaint,
			     s->int_webhook, s->int_state,   s->evt_payment,
			     s->evt_refund,  s->evt_complaint, s->evt_report,
			     s->dlq};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		ck_assert_int_eq(
			rd_kafka_mock_topic_create(
				m->mc, all[i],
				odd && strcmp(all[i], odd) == 0 ? odd_parts
								: parts,
				1),
			RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void mock_stop(mock_t *m)
{
	rd_kafka_mock_cluster_destroy(m->mc);
	rd_kafka_destroy(m->host);
}

static void mock_spec(pw_topics_spec_t *s)
{
	pw_topics_spec_default(s);
	s->create = 0; /* the app creates the mock's topics itself */
	s->timeout_ms = (int)pwt_ms(10000);
}

START_TEST(test_topics_mock_mismatch_refused)
{
	mock_t m;
	mock_start(&m);
	pw_topics_spec_t s;
	mock_spec(&s);
	mock_topics(&m, &s, 12, "payatom.cmd.payout", 6);
	char eb[PA_ERRBUF_SIZE];
	const char *want = "payatom.cmd.payout has 6 partitions but "
			   "payatom.cmd.payin has 12: the command, webhook "
			   "and state topics must be co-partitioned (same "
			   "partition count); see docs/commands.md, Topics";
	ensure_refused(rd_kafka_mock_cluster_bootstraps(m.mc), &s, NULL, want,
		       eb);
	ck_assert_str_eq(eb, want);
	mock_stop(&m);
}
END_TEST

START_TEST(test_topics_mock_state_mismatch_refused)
{
	mock_t m;
	mock_start(&m);
	pw_topics_spec_t s;
	mock_spec(&s);
	mock_topics(&m, &s, 4, "payatom.int.state", 8);
	char eb[PA_ERRBUF_SIZE];
	ensure_refused(rd_kafka_mock_cluster_bootstraps(m.mc), &s, NULL,
		       "payatom.int.state has 8 partitions but "
		       "payatom.cmd.payin has 4",
		       eb);
	mock_stop(&m);
}
END_TEST

START_TEST(test_topics_mock_equal_accepted)
{
	mock_t m;
	mock_start(&m);
	pw_topics_spec_t s;
	mock_spec(&s);
	/* outputs may have any count */
	mock_topics(&m, &s, 4, "payatom.evt.payment", 9);
	pw_topics_report_t r;
	ensure_ok(rd_kafka_mock_cluster_bootstraps(m.mc), &s, &r);
	ck_assert_int_eq(r.partitions, 4);
	ck_assert_int_eq(r.created, 0);
	/* the mock has no DescribeConfigs: cleanup.policy skipped */
	ck_assert_int_eq(r.configs_checked, 0);
	mock_stop(&m);
}
END_TEST

START_TEST(test_topics_mock_missing_refused)
{
	mock_t m;
	mock_start(&m);
	pw_topics_spec_t s;
	mock_spec(&s);
	mock_topics(&m, &s, 4, NULL, 0);
	s.int_webhook = "payatom.int.webhook.absent";
	char eb[PA_ERRBUF_SIZE];
	ensure_refused(rd_kafka_mock_cluster_bootstraps(m.mc), &s, NULL,
		       "topic payatom.int.webhook.absent does not exist and "
		       "topics.create=false: create it (4 partitions like "
		       "payatom.cmd.payin)",
		       eb);
	mock_stop(&m);
}
END_TEST

START_TEST(test_topics_unreachable_fails)
{
	pw_topics_spec_t s;
	mock_spec(&s);
	s.timeout_ms = (int)pwt_ms(1500);
	char eb[PA_ERRBUF_SIZE] = "";
	/* port 1 on loopback: nothing listens */
	ck_assert_int_eq(pw_topics_ensure("127.0.0.1:1", quiet, 1, &s, NULL,
					  eb),
			 PA_KAFKA);
	ck_assert_ptr_nonnull(strstr(eb, "metadata"));
}
END_TEST

/* ---- real Apache Kafka ------------------------------------------------ */

static const char *real_bootstrap(void)
{
	const char *b = getenv("PAYATOM_TEST_BOOTSTRAP");
	ck_assert_msg(b && *b, "PAYATOM_TEST_BOOTSTRAP not set");
	return b;
}

/* Topic names of one test: unique per run, so reruns on one broker do not
 * meet each other's topics. */
typedef struct names {
	char buf[10][96];
} names_t;

static void real_spec(pw_topics_spec_t *s, names_t *n, const char *tag)
{
	static const char *base[] = {
		"cmd.payin",	 "cmd.payout",	  "cmd.complaint",
		"int.webhook",	 "int.state",	  "evt.payment",
		"evt.refund",	 "evt.complaint", "evt.report",
		"dlq"};
	pw_topics_spec_default(s);
	for (int i = 0; i < 10; i++)
		snprintf(n->buf[i], sizeof n->buf[i], "it_topics.%s.%d.%lld.%s",
			 tag, (int)getpid(), (long long)pwt_now_ms(), base[i]);
	const char **dst[] = {&s->cmd_payin,	 &s->cmd_payout,
			      &s->cmd_complaint, &s->int_webhook,
			      &s->int_state,	 &s->evt_payment,
			      &s->evt_refund,	 &s->evt_complaint,
			      &s->evt_report,	 &s->dlq};
	for (int i = 0; i < 10; i++)
		*dst[i] = n->buf[i];
	s->partitions = 3;
	s->replication_factor = 1;
	s->timeout_ms = (int)pwt_ms(30000);
}

static rd_kafka_t *admin_client(void)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", real_bootstrap(), es,
			  sizeof es);
	rd_kafka_conf_set(c, "log_level", "3", NULL, 0);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	ck_assert_ptr_nonnull(rk);
	return rk;
}

/* Creates topic (independently of the code under test). */
static void create_topic(const char *topic, int parts, const char *policy)
{
	char es[256];
	rd_kafka_t *rk = admin_client();
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_NewTopic_t *nt =
		rd_kafka_NewTopic_new(topic, parts, 1, es, sizeof es);
	ck_assert_ptr_nonnull(nt);
	if (policy)
		rd_kafka_NewTopic_set_config(nt, "cleanup.policy", policy);
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)pwt_ms(20000));
	ck_assert_ptr_nonnull(ev);
	size_t n = 0;
	const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(
		rd_kafka_event_CreateTopics_result(ev), &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(!rd_kafka_topic_result_error(tr[0]), "create %s: %s",
		      topic, rd_kafka_topic_result_error_string(tr[0]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

/* Value of config key of topic, read with DescribeConfigs; "" if absent. */
static void describe(const char *topic, const char *key, char *out,
		     size_t size)
{
	rd_kafka_t *rk = admin_client();
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_ConfigResource_t *cr =
		rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
	rd_kafka_DescribeConfigs(rk, &cr, 1, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)pwt_ms(20000));
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(rd_kafka_event_error(ev), 0);
	size_t n = 0, cn = 0;
	const rd_kafka_ConfigResource_t **res =
		rd_kafka_DescribeConfigs_result_resources(
			rd_kafka_event_DescribeConfigs_result(ev), &n);
	ck_assert_uint_eq(n, 1);
	const rd_kafka_ConfigEntry_t **ce =
		rd_kafka_ConfigResource_configs(res[0], &cn);
	out[0] = '\0';
	for (size_t i = 0; i < cn; i++)
		if (strcmp(rd_kafka_ConfigEntry_name(ce[i]), key) == 0)
			snprintf(out, size, "%s",
				 rd_kafka_ConfigEntry_value(ce[i])
					 ? rd_kafka_ConfigEntry_value(ce[i])
					 : "");
	rd_kafka_event_destroy(ev);
	rd_kafka_ConfigResource_destroy(cr);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

START_TEST(test_topics_real_create_from_scratch)
{
	pw_topics_spec_t s;
	names_t n;
	real_spec(&s, &n, "scratch");
	pw_topics_report_t r;
	ensure_ok(real_bootstrap(), &s, &r);
	ck_assert_int_eq(r.created, 10);
	ck_assert_int_eq(r.partitions, 3);
	ck_assert_int_eq(r.configs_checked, 1);
	ck_assert_str_eq(r.state_cleanup_policy, "compact");
	/* the broker's own view, read independently */
	char v[64];
	describe(s.int_state, "cleanup.policy", v, sizeof v);
	ck_assert_str_eq(v, "compact");
	describe(s.int_state, "segment.ms", v, sizeof v);
	ck_assert_str_eq(v, PW_TOPICS_STATE_SEGMENT_MS);
	describe(s.int_state, "min.cleanable.dirty.ratio", v, sizeof v);
	ck_assert_str_eq(v, PW_TOPICS_STATE_DIRTY_RATIO);
	describe(s.int_webhook, "cleanup.policy", v, sizeof v);
	ck_assert_str_eq(v, "delete");
	describe(s.int_webhook, "retention.ms", v, sizeof v);
	ck_assert_str_eq(v, PW_TOPICS_WEBHOOK_RETENTION_MS);
	/* a second start (another pod) finds them and creates nothing */
	ensure_ok(real_bootstrap(), &s, &r);
	ck_assert_int_eq(r.created, 0);
	ck_assert_int_eq(r.partitions, 3);
	/* and validate-only mode accepts them too */
	s.create = 0;
	ensure_ok(real_bootstrap(), &s, &r);
	printf("it_topics: created 10 topics, state cleanup.policy=%s\n",
	       r.state_cleanup_policy);
}
END_TEST

START_TEST(test_topics_real_state_delete_refused)
{
	pw_topics_spec_t s;
	names_t n;
	real_spec(&s, &n, "delpol");
	create_topic(s.int_state, 3, "delete");
	char eb[PA_ERRBUF_SIZE], want[256];
	snprintf(want, sizeof want,
		 "%s has cleanup.policy=delete: the state changelog must be "
		 "compacted (cleanup.policy=compact",
		 s.int_state);
	ensure_refused(real_bootstrap(), &s, NULL, want, eb);
}
END_TEST

START_TEST(test_topics_real_webhook_compact_refused)
{
	pw_topics_spec_t s;
	names_t n;
	real_spec(&s, &n, "whcompact");
	create_topic(s.int_webhook, 3, "compact");
	char eb[PA_ERRBUF_SIZE];
	ensure_refused(real_bootstrap(), &s, NULL,
		       "has cleanup.policy=compact: the webhook topic must not "
		       "be compacted",
		       eb);
}
END_TEST

START_TEST(test_topics_real_mismatch_refused)
{
	pw_topics_spec_t s;
	names_t n;
	real_spec(&s, &n, "mismatch");
	/* an existing payout topic with 6 partitions; the rest created
	 * with 3 */
	create_topic(s.cmd_payout, 6, NULL);
	char eb[PA_ERRBUF_SIZE], want[512];
	pw_topics_report_t r;
	snprintf(want, sizeof want,
		 "%s has 6 partitions but %s has 3: the command, webhook and "
		 "state topics must be co-partitioned (same partition count); "
		 "see docs/commands.md, Topics",
		 s.cmd_payout, s.cmd_payin);
	ensure_refused(real_bootstrap(), &s, &r, want, eb);
	ck_assert_str_eq(eb, want);
	ck_assert_int_eq(r.created, 9);
}
END_TEST

START_TEST(test_topics_real_missing_validate_only_refused)
{
	pw_topics_spec_t s;
	names_t n;
	real_spec(&s, &n, "absent");
	s.create = 0;
	char eb[PA_ERRBUF_SIZE], want[256];
	snprintf(want, sizeof want,
		 "topic %s does not exist and topics.create=false",
		 s.cmd_payin);
	ensure_refused(real_bootstrap(), &s, NULL, want, eb);
}
END_TEST

/* Roll segments by time (segment.bytes < 1 MiB is refused by Kafka 4.x)
 * and let the cleaner take any dirt at once. */
static const pw_kafka_kv_t fast_compaction[] = {
	{"segment.ms", "300"},
	{"min.cleanable.dirty.ratio", "0.01"},
	{"min.compaction.lag.ms", "0"}};

#define KEYS 8
#define VERSIONS 15

static void order_version(pw_order_t *o, int key, int v)
{
	memset(o, 0, sizeof *o);
	snprintf(o->order_id, sizeof o->order_id, "ORD-%d", key);
	snprintf(o->merchant, sizeof o->merchant, "m1");
	snprintf(o->product, sizeof o->product, "upi_p2c");
	snprintf(o->currency, sizeof o->currency, "INR");
	snprintf(o->ref_code, sizeof o->ref_code, "REF-%d", key);
	o->kind = PW_KIND_PAYIN;
	o->seq = (uint32_t)v;
	o->polls = (uint32_t)v;
	o->attempts = 1;
	o->amount_minor = 10000 + key;
	o->received_minor = -1;
	o->created_ms = 1764000000000LL;
	int last = v == VERSIONS;
	o->status = last ? PA_STATUS_SUCCEEDED : PA_STATUS_PENDING;
	o->phase = last ? PW_PHASE_SETTLED : PW_PHASE_ACCEPTED;
	snprintf(o->raw_status, sizeof o->raw_status, "%s",
		 last ? "Approved" : "Pending");
}

static void produce_order(rd_kafka_t *p, const char *topic,
			  const pw_order_t *o)
{
	json_t *j = pw_order_to_json(o);
	char *s = json_dumps(j, JSON_COMPACT);
	pwt_produce(p, topic, o->order_id, s, strlen(s));
	free(s);
	json_decref(j);
}

/* Records of our KEYS orders in the topic now; *max_per_key gets the most
 * versions any one key still has. Restores like the worker: the last
 * record of a key wins. */
static int read_state(const char *bs, const char *topic,
		      pw_order_t latest[KEYS], int *max_per_key)
{
	json_t *recs = pwt_read_topic(bs, topic, 700, 8000);
	int count[KEYS] = {0}, total = 0;
	size_t i;
	json_t *r;
	memset(latest, 0, sizeof(pw_order_t) * KEYS);
	json_array_foreach(recs, i, r)
	{
		int k;
		const char *key = json_string_value(json_object_get(r, "key"));
		if (!key || sscanf(key, "ORD-%d", &k) != 1 || k < 0 ||
		    k >= KEYS)
			continue;
		pw_order_t o;
		ck_assert_int_eq(
			pw_order_from_json(json_object_get(r, "value"), &o),
			PA_OK);
		latest[k] = o;
		count[k]++;
		total++;
	}
	json_decref(recs);
	*max_per_key = 0;
	for (int k = 0; k < KEYS; k++)
		if (count[k] > *max_per_key)
			*max_per_key = count[k];
	return total;
}

/* A segment rolls only when a record arrives after segment.ms: one
 * tombstone of a key nobody uses into every partition (a restoring worker
 * deletes nothing with it). */
static void roll_segments(rd_kafka_t *p, const char *topic, int partitions)
{
	for (int part = 0; part < partitions; part++) {
		char key[32];
		snprintf(key, sizeof key, "filler-%d", part);
		ck_assert_int_eq(
			rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
					  RD_KAFKA_V_PARTITION(part),
					  RD_KAFKA_V_KEY(key, strlen(key)),
					  RD_KAFKA_V_VALUE(NULL, 0),
					  RD_KAFKA_V_END),
			RD_KAFKA_RESP_ERR_NO_ERROR);
	}
}

START_TEST(test_topics_real_state_compacted)
{
	pw_topics_spec_t s;
	names_t n;
	real_spec(&s, &n, "compaction");
	s.state_config = fast_compaction;
	s.n_state_config = 3;
	ensure_ok(real_bootstrap(), &s, NULL);
	const char *bs = real_bootstrap();
	rd_kafka_t *p = pwt_producer(bs);
	pw_order_t o;
	for (int v = 1; v <= VERSIONS; v++)
		for (int k = 0; k < KEYS; k++) {
			order_version(&o, k, v);
			produce_order(p, s.int_state, &o);
		}
	pwt_flush(p);
	const int produced = KEYS * VERSIONS;
	pw_order_t latest[KEYS];
	int max_per_key = VERSIONS, total = produced, rounds = 0;
	int64_t deadline = pwt_now_ms() + pwt_ms(60000);
	/* keep rolling segments until the cleaner has run */
	while (max_per_key > 1 && pwt_now_ms() < deadline) {
		usleep(400 * 1000);
		roll_segments(p, s.int_state, s.partitions);
		pwt_flush(p);
		total = read_state(bs, s.int_state, latest, &max_per_key);
		rounds++;
	}
	printf("it_topics: compaction: %d order records produced (%d keys x "
	       "%d versions), %d left after the cleaner (%d reads)\n",
	       produced, KEYS, VERSIONS, total, rounds);
	ck_assert_msg(max_per_key == 1,
		      "cleaner did not compact in time: a key still has %d "
		      "versions",
		      max_per_key);
	ck_assert_int_eq(total, KEYS);
	/* a restored worker sees exactly the latest state of each order */
	for (int k = 0; k < KEYS; k++) {
		order_version(&o, k, VERSIONS);
		ck_assert_str_eq(latest[k].order_id, o.order_id);
		ck_assert_uint_eq(latest[k].seq, VERSIONS);
		ck_assert_int_eq(latest[k].status, PA_STATUS_SUCCEEDED);
		ck_assert_int_eq(latest[k].phase, PW_PHASE_SETTLED);
		ck_assert_str_eq(latest[k].raw_status, "Approved");
		ck_assert_int_eq(latest[k].amount_minor, o.amount_minor);
		ck_assert_str_eq(latest[k].ref_code, o.ref_code);
	}
	rd_kafka_destroy(p);
}
END_TEST

/* ---- a worker restored from the compacted changelog ------------------ */

typedef struct wenv {
	pw_loop_t *loop;
	int events, terminal;
} wenv_t;

static void on_event(void *ud, const char *topic, const char *json)
{
	wenv_t *we = ud;
	(void)topic;
	we->events++;
	if (strstr(json, "\"terminal\":true"))
		we->terminal++;
}

static int terminal_reached(void *ud)
{
	return ((wenv_t *)ud)->terminal >= KEYS;
}

static int flag_set(void *ud)
{
	return *(int *)ud;
}

static void set_flag(void *ud)
{
	*(int *)ud = 1;
}

static pw_worker_t *start_worker(wenv_t *we, const pw_topics_spec_t *s,
				 pw_worker_opts_t *o, const char *group,
				 pw_gateway_t *gw)
{
	pw_worker_opts_default(o);
	o->brokers = real_bootstrap();
	o->group_id = group;
	o->topic_cmd_payin = s->cmd_payin;
	o->topic_cmd_payout = s->cmd_payout;
	o->topic_cmd_complaint = s->cmd_complaint;
	o->topic_int_webhook = s->int_webhook;
	o->topic_int_state = s->int_state;
	o->topic_evt_payment = s->evt_payment;
	o->topic_evt_refund = s->evt_refund;
	o->topic_evt_complaint = s->evt_complaint;
	o->topic_evt_report = s->evt_report;
	o->topic_dlq = s->dlq;
	o->poll_first_ms = 50;
	o->poll_max_interval_ms = 200;
	o->retry_base_ms = 20;
	o->retry_max_ms = 100;
	o->commit_interval_ms = 100;
	o->shutdown_timeout_ms = 5000;
	o->kafka = quiet;
	o->n_kafka = 1;
	o->on_event = on_event;
	o->on_event_ud = we;
	pw_worker_t *w = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_worker_new(we->loop, o, gw, &w, eb) == PA_OK, "%s",
		      eb);
	return w;
}

static void stop_worker(wenv_t *we, pw_worker_t *w)
{
	int done = 0;
	pw_worker_shutdown(w, set_flag, &done);
	ck_assert(pwt_run_until(we->loop, flag_set, &done, 20000));
	pw_worker_destroy(w);
}

START_TEST(test_topics_real_worker_restores_compacted_state)
{
	pw_topics_spec_t s;
	names_t n;
	real_spec(&s, &n, "restore");
	s.partitions = 2;
	s.state_config = fast_compaction;
	s.n_state_config = 3;
	ensure_ok(real_bootstrap(), &s, NULL);
	const char *bs = real_bootstrap();
	wenv_t we = {0};
	ck_assert_int_eq(pw_loop_new(&we.loop), PA_OK);
	char group[96];
	snprintf(group, sizeof group, "it-topics-%d-a", (int)getpid());

	/* worker A: every order accepted (PENDING), then Approved by a
	 * poll: several state versions per order */
	pwt_fakegw_opts_t go = {.latency_ms = 2, .polls_until_final = 1};
	pw_gateway_t *gw = pwt_fakegw_new(we.loop, &go);
	pw_worker_opts_t o;
	pw_worker_t *w = start_worker(&we, &s, &o, group, gw);
	rd_kafka_t *p = pwt_producer(bs);
	for (int k = 0; k < KEYS; k++) {
		char oid[32], cmd[512];
		snprintf(oid, sizeof oid, "ORD-%d", k);
		snprintf(cmd, sizeof cmd,
			 "{\"type\":\"payin\",\"merchant\":\"demo\","
			 "\"order_id\":\"%s\",\"product\":"
			 "\"PAYIN_UPI_P2C_SEAMLESS\",\"amount_minor\":%d,"
			 "\"currency\":\"INR\"}",
			 oid, 10000 + k);
		pwt_produce(p, s.cmd_payin, oid, cmd, 0);
	}
	pwt_flush(p);
	ck_assert_msg(pwt_run_until(we.loop, terminal_reached, &we, 60000),
		      "only %d terminal events", we.terminal);
	stop_worker(&we, w);
	int events_a = we.events;

	pw_order_t latest[KEYS];
	int max_per_key = 0;
	int before = read_state(bs, s.int_state, latest, &max_per_key);
	ck_assert_msg(max_per_key > 1, "only %d state version per order",
		      max_per_key);
	int total = before, rounds = 0;
	int64_t deadline = pwt_now_ms() + pwt_ms(60000);
	while (max_per_key > 1 && pwt_now_ms() < deadline) {
		usleep(400 * 1000);
		roll_segments(p, s.int_state, s.partitions);
		pwt_flush(p);
		total = read_state(bs, s.int_state, latest, &max_per_key);
		rounds++;
	}
	printf("it_topics: worker state: %d records for %d orders, %d after "
	       "the cleaner (%d reads)\n",
	       before, KEYS, total, rounds);
	ck_assert_msg(max_per_key == 1, "not compacted in time (%d)",
		      max_per_key);
	for (int k = 0; k < KEYS; k++) {
		ck_assert_int_eq(latest[k].status, PA_STATUS_SUCCEEDED);
		ck_assert_int_eq(latest[k].phase, PW_PHASE_SETTLED);
	}

	/* worker B, a new group: sees every command again (as after an
	 * offset loss) and must answer all of them from the restored,
	 * compacted state: no gateway call, no event */
	snprintf(group, sizeof group, "it-topics-%d-b", (int)getpid());
	gw = pwt_fakegw_new(we.loop, &go);
	w = start_worker(&we, &s, &o, group, gw);
	pw_worker_stats_t st = {0};
	int64_t until = pwt_now_ms() + pwt_ms(60000);
	while (st.commands_done < KEYS && pwt_now_ms() < until) {
		pw_loop_run_once(we.loop, 20);
		pw_worker_stats(w, &st);
	}
	ck_assert_uint_eq(st.commands_done, KEYS);
	ck_assert_uint_eq(st.duplicates_suppressed, KEYS);
	ck_assert_int_eq(pwt_fakegw_total_submits(gw), 0);
	stop_worker(&we, w);
	ck_assert_int_eq(we.events, events_a);
	rd_kafka_destroy(p);
	pw_loop_destroy(we.loop);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("topics");
	struct {
		const char *name;
		const TTest *t;
		int real;
		int timeout;
	} tc[] = {
		{"mock_mismatch_refused", test_topics_mock_mismatch_refused, 0,
		 30},
		{"mock_state_mismatch_refused",
		 test_topics_mock_state_mismatch_refused, 0, 30},
		{"mock_equal_accepted", test_topics_mock_equal_accepted, 0, 30},
		{"mock_missing_refused", test_topics_mock_missing_refused, 0,
		 30},
		{"unreachable_fails", test_topics_unreachable_fails, 0, 30},
		{"real_create_from_scratch",
		 test_topics_real_create_from_scratch, 1, 90},
		{"real_state_delete_refused",
		 test_topics_real_state_delete_refused, 1, 90},
		{"real_webhook_compact_refused",
		 test_topics_real_webhook_compact_refused, 1, 90},
		{"real_mismatch_refused", test_topics_real_mismatch_refused, 1,
		 90},
		{"real_missing_validate_only_refused",
		 test_topics_real_missing_validate_only_refused, 1, 90},
		{"real_state_compacted", test_topics_real_state_compacted, 1,
		 150},
		{"real_worker_restores_compacted_state",
		 test_topics_real_worker_restores_compacted_state, 1, 240},
	};
	const char *k = getenv("PAYATOM_TEST_KAFKA");
	int real = k && strcmp(k, "real") == 0;
	if (!real)
		printf("it_topics: PAYATOM_TEST_KAFKA unset: real-broker "
		       "cases run in kafka_it_topics\n");
	for (size_t i = 0; i < sizeof tc / sizeof tc[0]; i++) {
		if (tc[i].real && !real)
			continue;
		TCase *c = tcase_create(tc[i].name);
		tcase_set_timeout(c, (double)pwt_ms(tc[i].timeout));
		tcase_add_test(c, tc[i].t);
		suite_add_tcase(s, c);
	}
	return s;
}

int main(void)
{
	return pwt_run_suite(suite());
}
