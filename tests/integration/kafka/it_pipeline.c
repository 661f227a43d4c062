/* it_pipeline.c -- the worker pipeline end to end on the embedded mock
 * cluster with a scripted in-process gateway: ordering, exactly one
 * terminal outcome per command, duplicates, dead letters, retries,
 * restart from the state changelog, two workers in one group, commands in
 * the three framings. Runs with the worker's codec in Avro single-object
 * mode (no registry) unless a test asks for JSON or a registry.
 * (The same flows against payatom-sandbox: it_worker_sandbox.c.) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "fake_registry.h"
#include "fakegw.h"
#include "kafkat.h"
#include "serde/codec.h"
#include "kafka/mockcluster.h"
#include "kafka/worker.h"
#include "pwtest.h"
#include "store/store.h"

#define PARTS 4

/* How the worker encodes what it publishes (and how the tests send). */
typedef enum env_mode { MODE_AVRO, MODE_JSON } env_mode_t;

typedef struct env {
	env_mode_t mode;
	pw_codec_t *codec; /* the worker's and the test's */
	pw_loop_t *loop;
	pw_mock_t *mock;
	rd_kafka_t *prod;
	pw_worker_opts_t o;
	int events;   /* events seen by the observer */
	int terminal; /* terminal events seen */
	int dlq;
	char group[64];
} env_t;

static void on_event(void *ud, const char *topic, const char *json)
{
	env_t *e = ud;
	if (strcmp(topic, "payatom.dlq") == 0) {
		e->dlq++;
		return;
	}
	e->events++;
	if (strstr(json, "\"terminal\":true"))
		e->terminal++;
}

static void env_init_mode(env_t *e, env_mode_t mode, pw_registry_t *reg)
{
	static int n;
	memset(e, 0, sizeof *e);
	ck_assert_int_eq(pw_loop_new(&e->loop), PA_OK);
	char eb[PA_ERRBUF_SIZE];
	e->mode = mode;
	pw_codec_conf_t cc = {
		.serialization = mode == MODE_JSON ? PW_SER_JSON : PW_SER_AVRO,
		.registry = reg};
	ck_assert_int_eq(pw_codec_new(&cc, &e->codec, eb), PA_OK);
	ck_assert_int_eq(pw_mock_new(1, PARTS, &e->mock, eb), PA_OK);
	pw_worker_opts_default(&e->o);
	const char *topics[] = {
		e->o.topic_cmd_payin,	 e->o.topic_cmd_payout,
		e->o.topic_cmd_complaint, e->o.topic_evt_payment,
		e->o.topic_evt_refund,	 e->o.topic_evt_complaint,
		e->o.topic_evt_report,	 e->o.topic_dlq,
		e->o.topic_int_webhook,	 e->o.topic_int_state};
	for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
		ck_assert_int_eq(pw_mock_topic(e->mock, topics[i]), PA_OK);
	snprintf(e->group, sizeof e->group, "it-pipeline-%d-%d", getpid(),
		 n++);
	e->o.brokers = pw_mock_bootstraps(e->mock);
	e->o.group_id = e->group;
	e->o.poll_first_ms = 50;
	e->o.poll_max_interval_ms = 200;
	e->o.retry_base_ms = 20;
	e->o.retry_max_ms = 100;
	e->o.commit_interval_ms = 100;
	e->o.shutdown_timeout_ms = 5000;
	e->o.on_event = on_event;
	e->o.on_event_ud = e;
	e->o.codec = e->codec;
	/* librdkafka's mock coordinator ends a rebalance that a join started
	 * only after session.timeout.ms - 1 s (rdkafka_mock_cgrp.c), and a
	 * cooperative move takes two: with the 45 s default, partitions a
	 * member gives up had no owner for ~90 s */
	static const pw_kafka_kv_t kafka[] = {{"log_level", "3"},
					      {"session.timeout.ms", "6000"}};
	/* PAYATOM_TEST_GROUP_PROTOCOL=consumer: KIP-848 (the session is the
	 * coordinator's) */
	static const pw_kafka_kv_t kip848[] = {{"log_level", "3"},
					       {"group.protocol", "consumer"}};
	const char *gp = getenv("PAYATOM_TEST_GROUP_PROTOCOL");
	e->o.kafka = gp && !strcmp(gp, "consumer") ? kip848 : kafka;
	e->o.n_kafka = 2;
	e->prod = pwt_producer(e->o.brokers);
}

static void env_init(env_t *e)
{
	env_init_mode(e, MODE_AVRO, NULL);
}

static void env_fini(env_t *e)
{
	rd_kafka_destroy(e->prod);
	pw_mock_destroy(e->mock);
	pw_loop_destroy(e->loop);
	pw_codec_destroy(e->codec);
}

/* A valid PayinCommand record (plain JSON, codec.h). New reference. */
static json_t *payin_rec(const char *oid, long amount)
{
	return json_pack("{s:s s:s s:s s:s s:s s:s s:I s:s s:I}", "type",
			 "payin", "command_id", oid, "merchant", "demo",
			 "order_id", oid, "product", "PAYIN_UPI_P2C_SEAMLESS",
			 "country", "IN", "amount_minor", (json_int_t)amount,
			 "currency", "INR", "created_at",
			 (json_int_t)1764115200000);
}

/* Sends rec (consumed) on topic encoded by codec as schema. */
static void send_rec(env_t *e, pw_codec_t *codec, const char *topic,
		     const char *key, const char *schema, json_t *rec)
{
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_msg(pw_codec_encode(codec, topic, schema, rec, &buf, &len,
				      eb) == PA_OK,
		      "encode: %s", eb);
	pwt_produce(e->prod, topic, key, buf, len);
	free(buf);
	json_decref(rec);
}

static void payin(env_t *e, const char *oid, long amount)
{
	send_rec(e, e->codec, e->o.topic_cmd_payin, oid, "PayinCommand",
		 payin_rec(oid, amount));
}

/* The framing the worker writes in e's mode. */
static const char *out_framing(const env_t *e)
{
	return e->mode == MODE_JSON ? "json" : "single-object";
}

/* Partitions arrive one fetch after another; on a loaded machine a short
 * idle time ends the read between two of them: wait at least 2 s. */
static json_t *read_topic(env_t *e, const char *topic, int idle_ms,
			  int max_ms)
{
	return pwt_read_topic_codec(e->o.brokers, topic,
				    idle_ms < 2000 ? 2000 : idle_ms, max_ms,
				    e->codec);
}

struct until {
	env_t *e;
	int terminal, dlq;
};

static int reached(void *ud)
{
	struct until *u = ud;
	return u->e->terminal >= u->terminal && u->e->dlq >= u->dlq;
}

static void stop_worker(env_t *e, pw_worker_t *w)
{
	pwt_worker_stop(e->loop, w);
}

/* Per order: events in sequence order, one terminal, unique event ids --
 * but for the answers to repeated commands (docs/events.md "Repeated
 * commands"): an event published again, caused by a command, of a
 * sequence consumers saw already. Returns how many answers there were. */
static int check_events(env_t *e, int orders, int terminal_per_order)
{
	int answers = 0;
	json_t *evs = read_topic(e, e->o.topic_evt_payment, 1500, 20000);
	json_t *seen = json_object(), *last_seq = json_object(),
	       *terms = json_object();
	size_t i;
	json_t *r;
	json_array_foreach(evs, i, r)
	{
		json_t *v = json_object_get(r, "value");
		ck_assert_str_eq(json_string_value(json_object_get(r, "framing")),
				 out_framing(e));
		ck_assert_str_eq(json_string_value(json_object_get(r, "schema")),
				 "PaymentStatusEvent");
		ck_assert_str_eq(json_string_value(json_object_get(v, "direction")),
				 "PAYIN");
		ck_assert_str_eq(json_string_value(json_object_get(v, "currency")),
				 "INR");
		const char *eid =
			json_string_value(json_object_get(v, "event_id"));
		const char *oid =
			json_string_value(json_object_get(v, "order_id"));
		ck_assert_ptr_nonnull(eid);
		json_int_t seq =
			json_integer_value(json_object_get(v, "sequence"));
		if (json_object_get(seen, eid)) {
			/* an answer: the same event again, for a command */
			ck_assert_msg(!strcmp(json_string_value(json_object_get(
						      v, "cause")),
					      "COMMAND"),
				      "event %s published twice", eid);
			ck_assert_int_le(seq, json_integer_value(json_object_get(
						      last_seq, oid)));
			answers++;
			continue;
		}
		json_object_set_new(seen, eid, json_true());
		json_int_t prev =
			json_integer_value(json_object_get(last_seq, oid));
		ck_assert_msg(seq == prev + 1, "order %s: seq %lld after %lld",
			      oid, (long long)seq, (long long)prev);
		json_object_set_new(last_seq, oid, json_integer(seq));
		if (json_is_true(json_object_get(v, "terminal")))
			json_object_set_new(
				terms, oid,
				json_integer(json_integer_value(
						     json_object_get(terms,
								     oid)) +
					     1));
	}
	ck_assert_int_eq(json_object_size(last_seq), orders);
	const char *k;
	json_t *v;
	json_object_foreach(terms, k, v)
		ck_assert_int_eq(json_integer_value(v), terminal_per_order);
	ck_assert_int_eq(json_object_size(terms), orders);
	json_decref(evs);
	json_decref(seen);
	json_decref(last_seq);
	json_decref(terms);
	return answers;
}

START_TEST(test_pipeline_every_payin_reaches_one_terminal_event)
{
	env_t e;
	env_init(&e);
	pwt_fakegw_opts_t go = {.latency_ms = 5, .polls_until_final = 1};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	char oid[32];
	for (int i = 0; i < 200; i++) {
		snprintf(oid, sizeof oid, "ORD%010d", i);
		payin(&e, oid, 10000 + i);
	}
	pwt_flush(e.prod);
	struct until u = {&e, 200, 0};
	ck_assert_msg(pwt_run_until(e.loop, reached, &u, 60000),
		      "only %d terminal events", e.terminal);
	pw_worker_stats_t st;
	pw_worker_stats(w, &st);
	ck_assert_int_eq(pwt_fakegw_total_submits(gw), 200);
	stop_worker(&e, w);
	/* PENDING (accepted) then SUCCEEDED for each order */
	check_events(&e, 200, 1);
	ck_assert_int_eq(e.events, 400);
	env_fini(&e);
}
END_TEST

START_TEST(test_pipeline_duplicate_commands_call_gateway_once)
{
	env_t e;
	env_init(&e);
	pwt_fakegw_opts_t go = {.latency_ms = 5, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	char oid[32];
	for (int rep = 0; rep < 3; rep++)
		for (int i = 0; i < 50; i++) {
			snprintf(oid, sizeof oid, "DUP%010d", i);
			payin(&e, oid, 5000);
		}
	pwt_flush(e.prod);
	struct until u = {&e, 50, 0};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	/* let the repeats drain too */
	pw_worker_stats_t st;
	for (int i = 0; i < 200; i++) {
		pw_worker_stats(w, &st);
		if (st.commands_done >= 150)
			break;
		pw_loop_run_once(e.loop, 20);
	}
	ck_assert_uint_eq(st.commands_done, 150);
	for (int i = 0; i < 50; i++) {
		snprintf(oid, sizeof oid, "DUP%010d", i);
		ck_assert_int_eq(pwt_fakegw_submits(gw, oid), 1);
	}
	ck_assert_uint_ge(st.duplicates_suppressed, 100);
	stop_worker(&e, w);
	/* the second and third copy of each are answered with the order's
	 * current event (same event_id), never sent to the gateway */
	ck_assert_int_eq(check_events(&e, 50, 1), 100);
	env_fini(&e);
}
END_TEST

/* Stats of w after the loop ran until pred-like cond holds (bounded). */
static pw_worker_stats_t stats_when(env_t *e, pw_worker_t *w,
				    int (*cond)(const pw_worker_stats_t *),
				    long ms)
{
	pw_worker_stats_t st;
	int64_t end = pwt_now_ms() + pwt_ms(ms);
	for (;;) {
		pw_worker_stats(w, &st);
		if (cond(&st) || pwt_now_ms() >= end)
			return st;
		pw_loop_run_once(e->loop, 20);
	}
}

static int rest20(const pw_worker_stats_t *st)
{
	return st->orders_at_rest == 20 && st->orders_live == 0 &&
	       st->commands_done >= 20;
}

static int done40(const pw_worker_stats_t *st)
{
	return st->commands_done >= 40 && st->orders_at_rest == 20 &&
	       st->orders_live == 0;
}

/* Settled orders leave memory for the local store once no work is left on
 * them; the same command sent again still finds them (no second gateway
 * call: the SUCCEEDED event again, the answer of docs/events.md), and a
 * restarted worker restores them from the changelog into its store. */
START_TEST(test_pipeline_settled_orders_rest_and_still_suppress)
{
	env_t e;
	env_init(&e);
	pwt_fakegw_opts_t go = {.latency_ms = 2, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE], oid[32];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	for (int i = 0; i < 20; i++) {
		snprintf(oid, sizeof oid, "REST%06d", i);
		payin(&e, oid, 1000 + i);
	}
	pwt_flush(e.prod);
	struct until u = {&e, 20, 0};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	pw_worker_stats_t st = stats_when(&e, w, rest20, 20000);
	ck_assert_uint_eq(st.orders_at_rest, 20);
	ck_assert_uint_eq(st.orders_live, 0);
	/* at rest = in the local store, not in memory */
	ck_assert_uint_eq(st.state_bytes, 0);
	ck_assert_uint_eq(st.orders_stored, 20);
	ck_assert_uint_gt(st.store_bytes, 0);
	/* a resting order reads back whole */
	const pw_order_t *ord = pw_worker_order(w, "REST000007");
	ck_assert_ptr_nonnull(ord);
	ck_assert_int_eq(ord->amount_minor, 1007);
	ck_assert_int_eq(ord->status, PA_STATUS_SUCCEEDED);
	ck_assert_int_eq(ord->phase, PW_PHASE_SETTLED);
	int events = e.events;
	for (int i = 0; i < 20; i++) {
		snprintf(oid, sizeof oid, "REST%06d", i);
		payin(&e, oid, 1000 + i);
	}
	pwt_flush(e.prod);
	st = stats_when(&e, w, done40, 20000);
	ck_assert_uint_eq(st.commands_done, 40);
	ck_assert_uint_ge(st.duplicates_suppressed, 20);
	ck_assert_uint_eq(st.orders_at_rest, 20); /* back at rest */
	ck_assert_int_eq(pwt_fakegw_total_submits(gw), 20);
	ck_assert_int_eq(e.events, events + 20); /* one answer each */
	stop_worker(&e, w);

	/* a successor (a new group: it reads all 40 commands again, as after
	 * an offset loss) restores the orders at rest and suppresses all */
	snprintf(e.group + strlen(e.group), 8, "-b");
	gw = pwt_fakegw_new(e.loop, &go);
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	st = stats_when(&e, w, done40, 30000);
	ck_assert_msg(st.duplicates_suppressed == 40,
		      "suppressed %llu done %llu at rest %llu live %llu "
		      "submits %d",
		      (unsigned long long)st.duplicates_suppressed,
		      (unsigned long long)st.commands_done,
		      (unsigned long long)st.orders_at_rest,
		      (unsigned long long)st.orders_live,
		      pwt_fakegw_total_submits(gw));
	ck_assert_msg(st.orders_at_rest == 20, "at rest %llu live %llu",
		      (unsigned long long)st.orders_at_rest,
		      (unsigned long long)st.orders_live);
	ck_assert_int_eq(pwt_fakegw_total_submits(gw), 0);
	stop_worker(&e, w);
	/* the creating records are redeliveries (silent), the second copies
	 * are answered again */
	ck_assert_int_eq(check_events(&e, 20, 1), 40);
	env_fini(&e);
}
END_TEST

/* A store whose checkpoint is past the changelog's end (the topic was
 * deleted and made again under the same cluster) is stale: wiped and
 * rebuilt, so an order only the stale store knew is new again. */
START_TEST(test_pipeline_stale_store_is_wiped_and_rebuilt)
{
	env_t e;
	env_init(&e);
	char dir[] = "/tmp/it_pipeline_store.XXXXXX", sd[256];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	e.o.state_dir = dir;
	snprintf(sd, sizeof sd, "%s/%s", dir, e.group);
	char *cid = rd_kafka_clusterid(e.prod, 10000);
	ck_assert_ptr_nonnull(cid);
	for (int p = 0; p < PARTS; p++) {
		/* each partition's store knows PHANTOM0001 (whichever
		 * partition its key lands on) and claims a far checkpoint */
		pw_store_id_t id = {cid, e.o.topic_int_state, p};
		pw_store_t *st;
		char eb[PA_ERRBUF_SIZE];
		ck_assert_int_eq(pw_store_open(sd, &id, 1 << 26, &st, NULL, 0, eb),
				 PA_OK);
		pw_order_t o;
		memset(&o, 0, sizeof o);
		snprintf(o.order_id, sizeof o.order_id, "PHANTOM0001");
		snprintf(o.merchant, sizeof o.merchant, "demo");
		o.phase = PW_PHASE_SETTLED;
		o.status = PA_STATUS_SUCCEEDED;
		o.seq = 2;
		o.partition = p;
		o.created_ms = pwt_now_ms();
		ck_assert_int_eq(pw_store_put(st, "PHANTOM0001", 11, &o), PA_OK);
		ck_assert_int_eq(pw_store_commit(st, 1000000), PA_OK);
		pw_store_close(st);
	}
	rd_kafka_mem_free(e.prod, cid);
	pwt_fakegw_opts_t go = {.latency_ms = 2, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	payin(&e, "PHANTOM0001", 700);
	payin(&e, "REAL0000001", 701);
	pwt_flush(e.prod);
	struct until u = {&e, 2, 0};
	ck_assert_msg(pwt_run_until(e.loop, reached, &u, 60000),
		      "only %d terminal events", e.terminal);
	pw_worker_stats_t st;
	pw_worker_stats(w, &st);
	ck_assert_uint_eq(st.store_rebuilds, PARTS);
	ck_assert_int_eq(pwt_fakegw_submits(gw, "PHANTOM0001"), 1);
	ck_assert_uint_eq(st.duplicates_suppressed, 0);
	stop_worker(&e, w);
	env_fini(&e);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static int expired10(const pw_worker_stats_t *st)
{
	return st->orders_expired >= 10;
}

/* state_retention_ms: settled orders are forgotten, memory and changelog
 * (a tombstone per order); a command for a forgotten order is new again. */
START_TEST(test_pipeline_settled_orders_expire_after_retention)
{
	env_t e;
	env_init(&e);
	e.o.state_retention_ms = 300;
	pwt_fakegw_opts_t go = {.latency_ms = 2, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE], oid[32];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	for (int i = 0; i < 10; i++) {
		snprintf(oid, sizeof oid, "EXP%06d", i);
		payin(&e, oid, 500);
	}
	pwt_flush(e.prod);
	struct until u = {&e, 10, 0};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	pw_worker_stats_t st = stats_when(&e, w, expired10, 20000);
	ck_assert_uint_eq(st.orders_expired, 10);
	ck_assert_uint_eq(st.orders_at_rest, 0);
	ck_assert_uint_eq(st.orders_live, 0);
	ck_assert_ptr_null(pw_worker_order(w, "EXP000003"));
	/* forgotten: the same command is a new order to this worker */
	payin(&e, "EXP000003", 500);
	pwt_flush(e.prod);
	u.terminal = 11;
	ck_assert(pwt_run_until(e.loop, reached, &u, 30000));
	ck_assert_int_eq(pwt_fakegw_submits(gw, "EXP000003"), 2);
	stop_worker(&e, w);
	/* the changelog: every state record of an expired order is followed
	 * by its tombstone */
	json_t *recs = read_topic(&e, e.o.topic_int_state, 1500, 20000);
	json_t *last = json_object();
	size_t i;
	json_t *r;
	int tombstoned3 = 0, revived3 = 0; /* EXP000003, in offset order */
	json_array_foreach(recs, i, r)
	{
		const char *key = json_string_value(json_object_get(r, "key"));
		json_t *v = json_object_get(r, "value");
		json_object_set(last, key, v);
		if (!strcmp(key, "EXP000003")) {
			tombstoned3 |= json_is_null(v);
			revived3 |= tombstoned3 && json_is_object(v);
		}
	}
	for (int k = 0; k < 10; k++) {
		snprintf(oid, sizeof oid, "EXP%06d", k);
		json_t *v = json_object_get(last, oid);
		ck_assert_msg(v != NULL, "%s: no state record", oid);
		if (k != 3)
			ck_assert_msg(json_is_null(v), "%s: no tombstone",
				      oid);
	}
	/* created again after it expired: state records after its
	 * tombstone (it may have expired a second time since) */
	ck_assert(tombstoned3);
	ck_assert(revived3);
	json_decref(last);
	json_decref(recs);
	env_fini(&e);
}
END_TEST

START_TEST(test_pipeline_poison_commands_dead_letter_and_partition_flows)
{
	env_t e;
	env_init(&e);
	pwt_fakegw_opts_t go = {.latency_ms = 1, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	/* same key for poison and good records: one partition */
	const char *k = "POISON0000001";
	pwt_produce(e.prod, e.o.topic_cmd_payin, k, "{not json", 0);
	json_t *r = payin_rec(k, 100);
	json_object_set_new(r, "merchant", json_string("nobody"));
	send_rec(&e, e.codec, e.o.topic_cmd_payin, k, "PayinCommand", r);
	/* no amount: not a PayinCommand (JSON text: Avro cannot carry it) */
	r = payin_rec(k, 100);
	json_object_del(r, "amount_minor");
	char *txt = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	pwt_produce(e.prod, e.o.topic_cmd_payin, k, txt, 0);
	free(txt);
	/* a payout on the payin topic */
	r = payin_rec(k, 100);
	json_object_set_new(r, "type", json_string("payout"));
	json_object_set_new(r, "product",
			    json_string("PAYOUT_IMPS_P2P_SEAMLESS"));
	send_rec(&e, e.codec, e.o.topic_cmd_payin, k, "PayoutCommand", r);
	/* a payout product in a payin */
	r = payin_rec(k, 100);
	json_object_set_new(r, "product",
			    json_string("PAYOUT_IMPS_P2P_SEAMLESS"));
	send_rec(&e, e.codec, e.o.topic_cmd_payin, k, "PayinCommand", r);
	payin(&e, k, 777);
	pwt_flush(e.prod);
	struct until u = {&e, 1, 5};
	ck_assert_msg(pwt_run_until(e.loop, reached, &u, 60000),
		      "terminal %d dlq %d", e.terminal, e.dlq);
	stop_worker(&e, w);
	json_t *dl = read_topic(&e, e.o.topic_dlq, 300, 10000);
	ck_assert_uint_eq(json_array_size(dl), 5);
	const char *want[] = {"UNDECODABLE", "UNKNOWN_MERCHANT", "VALIDATION",
			      "MALFORMED", "UNSUPPORTED_PRODUCT"};
	const char *msg[] = {"undecodable JSON: ", "nobody",
			     "amount_minor", "does not belong on this topic",
			     "is not a payin product"};
	for (size_t i = 0; i < 5; i++) {
		json_t *rec = json_array_get(dl, i);
		ck_assert_str_eq(json_string_value(json_object_get(rec, "framing")),
				 out_framing(&e));
		ck_assert_str_eq(json_string_value(json_object_get(rec, "schema")),
				 "DeadLetter");
		json_t *v = json_object_get(rec, "value");
		ck_assert_str_eq(json_string_value(json_object_get(v, "reason")),
				 want[i]);
		const char *m = json_string_value(json_object_get(v, "message"));
		ck_assert_msg(m && strstr(m, msg[i]), "dlq %zu message: %s", i,
			      m ? m : "(null)");
		ck_assert_str_eq(json_string_value(json_object_get(v, "topic")),
				 e.o.topic_cmd_payin);
		ck_assert_int_eq(json_integer_value(json_object_get(v, "offset")),
				 (json_int_t)i);
		ck_assert_int_eq(strlen(json_string_value(
					 json_object_get(v, "event_id"))),
				 32);
		/* the key and the original bytes, base64 */
		ck_assert_str_eq(json_string_value(json_object_get(v, "key")),
				 "UE9JU09OMDAwMDAwMQ==");
		ck_assert_ptr_nonnull(json_string_value(
			json_object_get(v, "payload")));
	}
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_array_get(dl, 0), "value"),
				 "payload")),
			 "e25vdCBqc29u");
	json_decref(dl);
	env_fini(&e);
}
END_TEST

START_TEST(test_pipeline_transient_failures_retry_and_rejections_fail)
{
	env_t e;
	env_init_mode(&e, MODE_JSON, NULL); /* the one JSON-mode flow */
	pwt_fakegw_opts_t go = {.latency_ms = 2,
				.polls_until_final = 0,
				.fail_first_submits = 2,
				.reject_amount_minor = 666};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	payin(&e, "RETRY00000001", 100);
	payin(&e, "REJECT0000001", 666);
	pwt_flush(e.prod);
	struct until u = {&e, 2, 0};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	ck_assert_int_eq(pwt_fakegw_submits(gw, "RETRY00000001"), 3);
	stop_worker(&e, w);
	json_t *evs = read_topic(&e, e.o.topic_evt_payment, 300, 10000);
	int failed = 0, ok = 0;
	size_t i;
	json_t *r;
	json_array_foreach(evs, i, r)
	{
		json_t *v = json_object_get(r, "value");
		ck_assert_str_eq(json_string_value(json_object_get(r, "framing")),
				 "json");
		const char *st =
			json_string_value(json_object_get(v, "status"));
		if (!strcmp(st, "FAILED")) {
			failed++;
			ck_assert_str_eq(json_string_value(json_object_get(
						 v, "order_id")),
					 "REJECT0000001");
			ck_assert_ptr_nonnull(strstr(
				json_string_value(json_object_get(v, "reason")),
				"invalid pid"));
		}
		if (!strcmp(st, "SUCCEEDED"))
			ok++;
	}
	ck_assert_int_eq(failed, 1);
	ck_assert_int_eq(ok, 1);
	json_decref(evs);
	env_fini(&e);
}
END_TEST

START_TEST(test_pipeline_restart_restores_state_and_suppresses_replays)
{
	env_t e;
	env_init(&e);
	pwt_fakegw_opts_t go = {.latency_ms = 2, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	char oid[32];
	for (int i = 0; i < 40; i++) {
		snprintf(oid, sizeof oid, "RST%010d", i);
		payin(&e, oid, 100);
	}
	pwt_flush(e.prod);
	struct until u = {&e, 40, 0};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	stop_worker(&e, w);
	int events_before = e.events;

	/* A new worker in a new group sees every command again (as after
	 * an offset loss): the restored state must suppress all of them. */
	snprintf(e.group + strlen(e.group), 8, "-b");
	gw = pwt_fakegw_new(e.loop, &go);
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	pw_worker_stats_t st = {0};
	for (int i = 0; i < 1500 && st.commands_done < 40; i++) {
		pw_loop_run_once(e.loop, 20);
		pw_worker_stats(w, &st);
	}
	ck_assert_uint_eq(st.commands_done, 40);
	ck_assert_int_eq(pwt_fakegw_total_submits(gw), 0);
	ck_assert_uint_eq(st.duplicates_suppressed, 40);
	stop_worker(&e, w);
	ck_assert_int_eq(e.events, events_before);
	check_events(&e, 40, 1);
	env_fini(&e);
}
END_TEST

START_TEST(test_pipeline_two_workers_share_the_group)
{
	env_t e;
	env_init(&e);
	pwt_fakegw_opts_t go = {.latency_ms = 3, .polls_until_final = 1};
	pw_gateway_t *gw1 = pwt_fakegw_new(e.loop, &go);
	pw_gateway_t *gw2 = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w1, *w2;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw1, &w1, eb), PA_OK);
	char oid[32];
	for (int i = 0; i < 100; i++) {
		snprintf(oid, sizeof oid, "TWO%010d", i);
		payin(&e, oid, 100);
	}
	pwt_flush(e.prod);
	/* the second member joins mid-stream: a cooperative rebalance */
	for (int i = 0; i < 10; i++)
		pw_loop_run_once(e.loop, 20);
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw2, &w2, eb), PA_OK);
	for (int i = 100; i < 200; i++) {
		snprintf(oid, sizeof oid, "TWO%010d", i);
		payin(&e, oid, 100);
	}
	pwt_flush(e.prod);
	struct until u = {&e, 200, 0};
	ck_assert_msg(pwt_run_until(e.loop, reached, &u, 90000),
		      "terminal %d", e.terminal);
	pw_worker_stats_t s1, s2;
	pw_worker_stats(w1, &s1);
	pw_worker_stats(w2, &s2);
	ck_assert_uint_gt(s2.partitions_assigned, 0);
	ck_assert_uint_gt(s1.partitions_assigned, 0);
	stop_worker(&e, w1);
	stop_worker(&e, w2);
	check_events(&e, 200, 1);
	env_fini(&e);
}
END_TEST

/* A second member joins while the first owns every partition and has
 * gateway calls in flight: the group really moves half the partitions
 * (librdkafka >= 2.x's mock coordinator rebalances like a broker). Every
 * partition keeps being processed after the move (none is left with no
 * owner, nor paused for good by the handover), and the drained handover
 * lets the calls in flight return on the first member, so no order is
 * created twice across the two. */
START_TEST(test_pipeline_rebalance_moves_partitions_mid_stream)
{
	env_t e;
	env_init(&e);
	pwt_fakegw_opts_t go = {.latency_ms = 400, .polls_until_final = 1};
	pw_gateway_t *gw1 = pwt_fakegw_new(e.loop, &go);
	pw_gateway_t *gw2 = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w1, *w2;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw1, &w1, eb), PA_OK);
	char oid[32];
	for (int i = 0; i < 100; i++) {
		snprintf(oid, sizeof oid, "MOV%010d", i);
		payin(&e, oid, 100);
	}
	pwt_flush(e.prod);
	/* the first member owns all partitions and is working */
	struct until first = {&e, 5, 0};
	ck_assert_msg(pwt_run_until(e.loop, reached, &first, 60000),
		      "terminal %d", e.terminal);
	pw_worker_stats_t s1, s2;
	pw_worker_stats(w1, &s1);
	ck_assert_uint_eq(s1.partitions_assigned, 4);
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw2, &w2, eb), PA_OK);
	/* commands keep arriving (20/s, each call 400 ms) until the group has
	 * moved partitions (seconds: the mock ends a round session.timeout.ms
	 * - 1 s after the join), so calls are in flight on the partitions the
	 * first member gives up, however slow the run */
	int sent = 100;
	int64_t end = pwt_now_ms() + pwt_ms(60000);
	do {
		for (int k = 0; k < 2 && sent < 960; k++, sent++) {
			snprintf(oid, sizeof oid, "MOV%010d", sent);
			payin(&e, oid, 100);
		}
		pwt_flush(e.prod);
		for (int k = 0; k < 5; k++)
			pw_loop_run_once(e.loop, 20);
		pw_worker_stats(w2, &s2);
	} while (s2.partitions_assigned == 0 && pwt_now_ms() < end);
	/* 40 more flow to both members */
	for (int total = sent + 40; sent < total; sent++) {
		snprintf(oid, sizeof oid, "MOV%010d", sent);
		payin(&e, oid, 100);
	}
	pwt_flush(e.prod);
	struct until u = {&e, sent, 0};
	int ok = pwt_run_until(e.loop, reached, &u, 120000);
	pw_worker_stats(w1, &s1);
	pw_worker_stats(w2, &s2);
	int sub1 = pwt_fakegw_total_submits(gw1), sub2 = pwt_fakegw_total_submits(gw2);
	printf("rebalance mid-stream: terminal %d of %d; member 1: partitions "
	       "%llu, creates %d, handovers drained %llu timeout %llu; member "
	       "2: partitions %llu, creates %d\n",
	       e.terminal, sent, (unsigned long long)s1.partitions_assigned, sub1,
	       (unsigned long long)s1.handovers_drained,
	       (unsigned long long)s1.handover_timeouts,
	       (unsigned long long)s2.partitions_assigned, sub2);
	fflush(stdout);
	ck_assert_msg(ok, "only %d of %d terminal after the rebalance",
		      e.terminal, sent);
	ck_assert_uint_gt(s1.partitions_assigned, 0);
	ck_assert_uint_gt(s2.partitions_assigned, 0);
	ck_assert_uint_eq(s1.partitions_assigned + s2.partitions_assigned, 4);
	ck_assert_uint_gt(s2.commands_done, 0);
	ck_assert_uint_ge(s1.handovers_drained, 1);
	ck_assert_uint_eq(s1.handover_timeouts, 0);
	ck_assert_int_eq(sub1 + sub2, sent); /* no order created twice */
	stop_worker(&e, w1);
	stop_worker(&e, w2);
	check_events(&e, sent, 1);
	env_fini(&e);
}
END_TEST

static pw_registry_t *registry_client(pwt_registry_t *fr)
{
	pw_registry_conf_t rc = {.url = pwt_registry_url(fr),
				 .timeout_ms = 5000,
				 .auto_register = 1};
	pw_registry_t *reg;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_msg(pw_registry_new(&rc, &reg, eb) == PA_OK, "%s", eb);
	return reg;
}

/* Single-object (no registry), Confluent (registry) and JSON commands are
 * all accepted; garbage bytes and an unknown fingerprint are dead-lettered
 * with the codec's reason and message. The worker has a registry: what it
 * writes is Confluent-framed. */
START_TEST(test_pipeline_commands_accepted_in_every_framing)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	ck_assert_ptr_nonnull(fr);
	pw_registry_t *wreg = registry_client(fr), *sreg = registry_client(fr);
	env_t e;
	env_init_mode(&e, MODE_AVRO, wreg);
	char eb[PA_ERRBUF_SIZE];
	pw_codec_t *so, *cf;
	pw_codec_conf_t c1 = {.serialization = PW_SER_AVRO};
	pw_codec_conf_t c2 = {.serialization = PW_SER_AVRO, .registry = sreg};
	ck_assert_int_eq(pw_codec_new(&c1, &so, eb), PA_OK);
	ck_assert_int_eq(pw_codec_new(&c2, &cf, eb), PA_OK);
	pwt_fakegw_opts_t go = {.latency_ms = 2, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	ck_assert_msg(pw_worker_new(e.loop, &e.o, gw, &w, eb) == PA_OK, "%s",
		      eb);
	/* the subjects it writes were registered at startup: the three
	 * event topics, the DLQ, reports, and corrections on evt.payment */
	ck_assert_uint_eq(pwt_registry_schemas(fr), 6);
	const char *cmd = e.o.topic_cmd_payin;
	send_rec(&e, so, cmd, "FRMSO0000001", "PayinCommand",
		 payin_rec("FRMSO0000001", 100));
	send_rec(&e, cf, cmd, "FRMCF0000001", "PayinCommand",
		 payin_rec("FRMCF0000001", 200));
	json_t *r = payin_rec("FRMJS0000001", 300);
	char *txt = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	pwt_produce(e.prod, cmd, "FRMJS0000001", txt, 0);
	free(txt);
	static const uint8_t garbage[] = {0x07, 0x01, 0x02, 0x03};
	pwt_produce(e.prod, cmd, "FRMBAD000001", garbage, sizeof garbage);
	uint8_t unk[16] = {0xC3, 0x01};
	memset(unk + 2, 0x11, 8);
	memset(unk + 10, 0x02, 6);
	pwt_produce(e.prod, cmd, "FRMUNK000001", unk, sizeof unk);
	pwt_flush(e.prod);
	struct until u = {&e, 3, 2};
	ck_assert_msg(pwt_run_until(e.loop, reached, &u, 60000),
		      "terminal %d dlq %d", e.terminal, e.dlq);
	ck_assert_int_eq(pwt_fakegw_submits(gw, "FRMSO0000001"), 1);
	ck_assert_int_eq(pwt_fakegw_submits(gw, "FRMCF0000001"), 1);
	ck_assert_int_eq(pwt_fakegw_submits(gw, "FRMJS0000001"), 1);
	stop_worker(&e, w);

	json_t *evs = read_topic(&e, e.o.topic_evt_payment, 300, 10000);
	/* PENDING (accepted), then SUCCEEDED, per order */
	ck_assert_uint_eq(json_array_size(evs), 6);
	size_t i;
	json_array_foreach(evs, i, r)
	{
		ck_assert_str_eq(json_string_value(json_object_get(r, "framing")),
				 "confluent");
		json_t *v = json_object_get(r, "value");
		const char *oid =
			json_string_value(json_object_get(v, "order_id"));
		json_int_t amt =
			json_integer_value(json_object_get(v, "amount_minor"));
		ck_assert_int_eq(amt, !strcmp(oid, "FRMSO0000001")   ? 100
				      : !strcmp(oid, "FRMCF0000001") ? 200
								     : 300);
		ck_assert_str_eq(json_string_value(json_object_get(v, "product")),
				 "PAYIN_UPI_P2C_SEAMLESS");
	}
	json_decref(evs);
	json_t *dl = read_topic(&e, e.o.topic_dlq, 300, 10000);
	ck_assert_uint_eq(json_array_size(dl), 2);
	json_array_foreach(dl, i, r)
	{
		ck_assert_str_eq(json_string_value(json_object_get(r, "framing")),
				 "confluent");
		json_t *v = json_object_get(r, "value");
		const char *key = json_string_value(json_object_get(v, "key"));
		const char *reason =
			json_string_value(json_object_get(v, "reason"));
		const char *msg =
			json_string_value(json_object_get(v, "message"));
		const char *en =
			json_string_value(json_object_get(v, "error_name"));
		if (!strcmp(key, "RlJNQkFEMDAwMDAx")) { /* FRMBAD000001 */
			ck_assert_str_eq(reason, "UNDECODABLE");
			ck_assert_str_eq(en, "PARSE");
			ck_assert_ptr_nonnull(strstr(msg, "unknown framing (first "
							  "byte 0x07"));
			ck_assert_str_eq(json_string_value(json_object_get(
						 v, "payload")),
					 "BwECAw==");
		} else {
			ck_assert_str_eq(key, "RlJNVU5LMDAwMDAx");
			ck_assert_str_eq(reason, "UNKNOWN_SCHEMA");
			ck_assert_str_eq(en, "NOT_FOUND");
			ck_assert_ptr_nonnull(
				strstr(msg, "fingerprint 0x1111111111111111"));
		}
	}
	json_decref(dl);
	pw_codec_destroy(so);
	pw_codec_destroy(cf);
	env_fini(&e);
	pw_registry_destroy(wreg);
	pw_registry_destroy(sreg);
	pwt_registry_stop(fr);
}
END_TEST

/* A Confluent record whose schema id the worker must fetch while the
 * registry is down is not dead-lettered: it waits (and its order with it)
 * while other orders flow. */
START_TEST(test_pipeline_registry_outage_retries_instead_of_dead_letter)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	ck_assert_ptr_nonnull(fr);
	pw_registry_t *wreg = registry_client(fr), *sreg = registry_client(fr);
	env_t e;
	env_init_mode(&e, MODE_AVRO, wreg);
	e.o.shutdown_timeout_ms = 500; /* the waiting item is handed back */
	char eb[PA_ERRBUF_SIZE];
	pw_codec_t *cf;
	pw_codec_conf_t c2 = {.serialization = PW_SER_AVRO, .registry = sreg};
	ck_assert_int_eq(pw_codec_new(&c2, &cf, eb), PA_OK);
	/* registered (and cached by the sender) before the outage */
	uint8_t *buf;
	size_t len;
	json_t *r = payin_rec("OUTAGE000001", 100);
	ck_assert_int_eq(pw_codec_encode(cf, e.o.topic_cmd_payin,
					 "PayinCommand", r, &buf, &len, eb),
			 PA_OK);
	json_decref(r);
	pwt_fakegw_opts_t go = {.latency_ms = 2, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	pwt_registry_stop(fr);
	pwt_produce(e.prod, e.o.topic_cmd_payin, "OUTAGE000001", buf, len);
	free(buf);
	/* single-object needs no registry */
	pw_codec_t *so;
	pw_codec_conf_t c1 = {.serialization = PW_SER_AVRO};
	ck_assert_int_eq(pw_codec_new(&c1, &so, eb), PA_OK);
	/* same order: queued behind it */
	send_rec(&e, so, e.o.topic_cmd_payin, "OUTAGE000001", "PayinCommand",
		 payin_rec("OUTAGE000001", 100));
	send_rec(&e, so, e.o.topic_cmd_payin, "OTHER0000001", "PayinCommand",
		 payin_rec("OTHER0000001", 100));
	pw_codec_destroy(so);
	pwt_flush(e.prod);
	struct until u = {&e, 1, 0};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	for (int i = 0; i < 50; i++)
		pw_loop_run_once(e.loop, 20);
	pw_worker_stats_t st;
	pw_worker_stats(w, &st);
	ck_assert_int_eq(e.dlq, 0);
	ck_assert_int_eq(e.terminal, 1);
	ck_assert_int_eq(pwt_fakegw_submits(gw, "OTHER0000001"), 1);
	ck_assert_int_eq(pwt_fakegw_submits(gw, "OUTAGE000001"), 0);
	ck_assert_uint_eq(st.commands_done, 1);
	ck_assert_uint_eq(st.dlq_out, 0);
	stop_worker(&e, w);
	pw_codec_destroy(cf);
	env_fini(&e);
	pw_registry_destroy(wreg);
	pw_registry_destroy(sreg);
}
END_TEST

/* A registry refusing one of the event schemas (409: incompatible with
 * the subject's history) stops the worker at startup, naming it. */
START_TEST(test_pipeline_refused_schema_is_a_startup_error)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	ck_assert_ptr_nonnull(fr);
	pw_registry_t *reg = registry_client(fr);
	int32_t id;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(
		pw_registry_register(
			reg, "payatom.evt.refund-value",
			"{\"type\":\"record\",\"name\":\"RefundStatusEvent\","
			"\"namespace\":\"io.payatom.worker\",\"fields\":["
			"{\"name\":\"order_id\",\"type\":\"int\"}]}",
			&id, eb),
		PA_OK);
	env_t e;
	env_init_mode(&e, MODE_AVRO, reg);
	pwt_fakegw_opts_t go = {.latency_ms = 2};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w = NULL;
	eb[0] = '\0';
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb),
			 PA_VALIDATION);
	ck_assert_ptr_null(w);
	ck_assert_msg(strstr(eb, "RefundStatusEvent") &&
			      strstr(eb, "payatom.evt.refund-value"),
		      "%s", eb);
	gw->destroy(gw);
	env_fini(&e);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

/* exactly_once on the mock cluster: the mock writes no transaction markers
 * and keeps no transactional offsets, so this proves the call sequence
 * (init, begin, produce, send_offsets, commit) runs and the outcome is the
 * same; the guarantee itself is proven on Apache Kafka (tests/kafka). */
START_TEST(test_pipeline_exactly_once_call_sequence_on_mock)
{
	env_t e;
	env_init(&e);
	e.o.exactly_once = 1;
	pwt_fakegw_opts_t go = {.latency_ms = 3, .polls_until_final = 1};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_msg(pw_worker_new(e.loop, &e.o, gw, &w, eb) == PA_OK, "%s",
		      eb);
	char oid[32];
	for (int i = 0; i < 100; i++) {
		snprintf(oid, sizeof oid, "EOS%010d", i);
		payin(&e, oid, 100);
	}
	pwt_flush(e.prod);
	struct until u = {&e, 100, 0};
	ck_assert_msg(pwt_run_until(e.loop, reached, &u, 60000),
		      "terminal %d", e.terminal);
	pw_worker_stats_t st;
	pw_worker_stats(w, &st);
	ck_assert_uint_gt(st.txn_commits, 0);
	ck_assert_uint_eq(st.txn_aborts, 0);
	stop_worker(&e, w);
	check_events(&e, 100, 1);
	env_fini(&e);
}
END_TEST

/* Kafka protocol ApiKey of EndTxn (librdkafka's rdkafka_protocol.h is not
 * installed). */
#define APIKEY_END_TXN 26

static void note_fatal(void *ud)
{
	(*(int *)ud)++;
}

/* exactly_once: a commit that times out (the transaction coordinator keeps
 * answering "loading" longer than the commit may block) is resumed at the
 * next tick by calling commit_transaction alone, as librdkafka requires --
 * not by sending the offsets again, which the committing transaction
 * refuses and which used to end the worker. */
START_TEST(test_pipeline_exactly_once_commit_timeout_is_resumed)
{
	env_t e;
	env_init(&e);
	e.o.exactly_once = 1;
	e.o.txn_timeout_ms = 1000;
	int fatal = 0;
	e.o.on_fatal = note_fatal;
	e.o.on_fatal_ud = &fatal;
	pwt_fakegw_opts_t go = {.latency_ms = 3, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE], oid[32];
	ck_assert_msg(pw_worker_new(e.loop, &e.o, gw, &w, eb) == PA_OK, "%s",
		      eb);
	for (int i = 0; i < 20; i++) {
		snprintf(oid, sizeof oid, "EOT%010d", i);
		payin(&e, oid, 100);
	}
	pwt_flush(e.prod);
	struct until u = {&e, 20, 0};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	/* the next commits meet a coordinator that answers "loading" about
	 * twice as long as one commit call may wait (librdkafka retries
	 * every retry.backoff.ms, 100 ms) */
	rd_kafka_mock_cluster_t *mc = pw_mock_cluster(e.mock);
	rd_kafka_resp_err_t errs[20];
	for (size_t i = 0; i < 20; i++)
		errs[i] = RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS;
	rd_kafka_mock_push_request_errors_array(mc, APIKEY_END_TXN, 20, errs);
	for (int i = 20; i < 40; i++) {
		snprintf(oid, sizeof oid, "EOT%010d", i);
		payin(&e, oid, 100);
	}
	pwt_flush(e.prod);
	u.terminal = 40;
	ck_assert_msg(pwt_run_until(e.loop, reached, &u, 60000),
		      "terminal %d", e.terminal);
	pw_worker_stats_t st;
	pw_worker_stats(w, &st);
	int64_t end = pwt_now_ms() + pwt_ms(20000);
	while (st.txn_commit_retries == 0 && pwt_now_ms() < end) {
		pw_loop_run_once(e.loop, 20);
		pw_worker_stats(w, &st);
	}
	ck_assert_uint_ge(st.txn_commit_retries, 1);
	/* work goes on after it, in transactions that commit */
	uint64_t commits = st.txn_commits;
	for (int i = 40; i < 50; i++) {
		snprintf(oid, sizeof oid, "EOT%010d", i);
		payin(&e, oid, 100);
	}
	pwt_flush(e.prod);
	u.terminal = 50;
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	end = pwt_now_ms() + pwt_ms(20000);
	while (st.txn_commits <= commits && pwt_now_ms() < end) {
		pw_loop_run_once(e.loop, 20);
		pw_worker_stats(w, &st);
	}
	ck_assert_uint_gt(st.txn_commits, commits);
	ck_assert_int_eq(fatal, 0);
	ck_assert_uint_eq(st.txn_aborts, 0);
	stop_worker(&e, w);
	check_events(&e, 50, 1);
	env_fini(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("mock");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_pipeline_every_payin_reaches_one_terminal_event);
	tcase_add_test(tc, test_pipeline_duplicate_commands_call_gateway_once);
	tcase_add_test(tc, test_pipeline_settled_orders_rest_and_still_suppress);
	tcase_add_test(tc, test_pipeline_settled_orders_expire_after_retention);
	tcase_add_test(tc, test_pipeline_stale_store_is_wiped_and_rebuilt);
	tcase_add_test(tc,
		       test_pipeline_poison_commands_dead_letter_and_partition_flows);
	tcase_add_test(tc,
		       test_pipeline_transient_failures_retry_and_rejections_fail);
	tcase_add_test(tc,
		       test_pipeline_restart_restores_state_and_suppresses_replays);
	tcase_add_test(tc, test_pipeline_two_workers_share_the_group);
	tcase_add_test(tc, test_pipeline_rebalance_moves_partitions_mid_stream);
	tcase_add_test(tc, test_pipeline_commands_accepted_in_every_framing);
	tcase_add_test(tc,
		       test_pipeline_registry_outage_retries_instead_of_dead_letter);
	tcase_add_test(tc, test_pipeline_refused_schema_is_a_startup_error);
	tcase_add_test(tc, test_pipeline_exactly_once_call_sequence_on_mock);
	tcase_add_test(tc, test_pipeline_exactly_once_commit_timeout_is_resumed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
