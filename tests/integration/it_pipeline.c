/* it_pipeline.c -- the worker pipeline end to end on the embedded mock
 * cluster with a scripted in-process gateway: ordering, exactly one
 * terminal outcome per command, duplicates, dead letters, retries,
 * restart from the state changelog, two workers in one group.
 * (The same flows against payatom-sandbox: it_worker_sandbox.c.) */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakegw.h"
#include "kafkat.h"
#include "pipeline/mockcluster.h"
#include "pipeline/worker.h"
#include "pwtest.h"

#define PARTS 4

typedef struct env {
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

static void env_init(env_t *e)
{
	static int n;
	memset(e, 0, sizeof *e);
	ck_assert_int_eq(pw_loop_new(&e->loop), PA_OK);
	char eb[PA_ERRBUF_SIZE];
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
	static const pw_kafka_kv_t kafka[] = {{"log_level", "3"}};
	e->o.kafka = kafka;
	e->o.n_kafka = 1;
	e->prod = pwt_producer(e->o.brokers);
}

static void env_fini(env_t *e)
{
	rd_kafka_destroy(e->prod);
	pw_mock_destroy(e->mock);
	pw_loop_destroy(e->loop);
}

static void payin(env_t *e, const char *oid, long amount)
{
	char buf[512];
	snprintf(buf, sizeof buf,
		 "{\"type\":\"payin\",\"merchant\":\"demo\",\"order_id\":\"%s\","
		 "\"product\":\"IN_UPI_P2C_SEAMLESS\",\"amount_minor\":%ld,"
		 "\"currency\":\"INR\"}",
		 oid, amount);
	pwt_produce(e->prod, e->o.topic_cmd_payin, oid, buf, 0);
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

static int done_flag;
static void shutdown_done(void *ud)
{
	*(int *)ud = 1;
}

static int flag_set(void *ud)
{
	return *(int *)ud;
}

static void stop_worker(env_t *e, pw_worker_t *w)
{
	done_flag = 0;
	pw_worker_shutdown(w, shutdown_done, &done_flag);
	ck_assert(pwt_run_until(e->loop, flag_set, &done_flag, 20000));
	pw_worker_destroy(w);
}

/* Per order: events in sequence order, one terminal, unique event ids. */
static void check_events(env_t *e, int orders, int terminal_per_order)
{
	json_t *evs = pwt_read_topic(e->o.brokers, e->o.topic_evt_payment, 500,
				     20000);
	json_t *seen = json_object(), *last_seq = json_object(),
	       *terms = json_object();
	size_t i;
	json_t *r;
	json_array_foreach(evs, i, r)
	{
		json_t *v = json_object_get(r, "value");
		const char *eid =
			json_string_value(json_object_get(v, "event_id"));
		const char *oid =
			json_string_value(json_object_get(v, "order_id"));
		ck_assert_ptr_nonnull(eid);
		ck_assert_msg(!json_object_get(seen, eid),
			      "event %s published twice", eid);
		json_object_set_new(seen, eid, json_true());
		json_int_t seq =
			json_integer_value(json_object_get(v, "sequence"));
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
	check_events(&e, 50, 1);
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
	pwt_produce(e.prod, e.o.topic_cmd_payin, k,
		    "{\"type\":\"payin\",\"merchant\":\"nobody\",\"order_id\":"
		    "\"POISON0000001\",\"product\":\"X\",\"amount_minor\":100}",
		    0);
	pwt_produce(e.prod, e.o.topic_cmd_payin, k,
		    "{\"type\":\"payin\",\"merchant\":\"demo\",\"order_id\":"
		    "\"POISON0000001\",\"product\":\"X\"}",
		    0);
	pwt_produce(e.prod, e.o.topic_cmd_payin, k,
		    "{\"type\":\"payout\",\"merchant\":\"demo\",\"order_id\":"
		    "\"POISON0000001\",\"product\":\"X\",\"amount_minor\":1}",
		    0);
	payin(&e, k, 777);
	pwt_flush(e.prod);
	struct until u = {&e, 1, 4};
	ck_assert_msg(pwt_run_until(e.loop, reached, &u, 60000),
		      "terminal %d dlq %d", e.terminal, e.dlq);
	stop_worker(&e, w);
	json_t *dl = pwt_read_topic(e.o.brokers, e.o.topic_dlq, 300, 10000);
	ck_assert_uint_eq(json_array_size(dl), 4);
	const char *want[] = {"UNDECODABLE", "UNKNOWN_MERCHANT", "MALFORMED",
			      "MALFORMED"};
	for (size_t i = 0; i < 4; i++) {
		json_t *v = json_object_get(json_array_get(dl, i), "value");
		ck_assert_str_eq(json_string_value(json_object_get(v, "reason")),
				 want[i]);
		ck_assert_str_eq(json_string_value(json_object_get(v, "topic")),
				 e.o.topic_cmd_payin);
		ck_assert_int_eq(json_integer_value(json_object_get(v, "offset")),
				 (json_int_t)i);
		ck_assert_ptr_nonnull(json_string_value(
			json_object_get(v, "payload_base64")));
	}
	json_decref(dl);
	env_fini(&e);
}
END_TEST

START_TEST(test_pipeline_transient_failures_retry_and_rejections_fail)
{
	env_t e;
	env_init(&e);
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
	json_t *evs = pwt_read_topic(e.o.brokers, e.o.topic_evt_payment, 300,
				     10000);
	int failed = 0, ok = 0;
	size_t i;
	json_t *r;
	json_array_foreach(evs, i, r)
	{
		json_t *v = json_object_get(r, "value");
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

int main(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("mock");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_pipeline_every_payin_reaches_one_terminal_event);
	tcase_add_test(tc, test_pipeline_duplicate_commands_call_gateway_once);
	tcase_add_test(tc,
		       test_pipeline_poison_commands_dead_letter_and_partition_flows);
	tcase_add_test(tc,
		       test_pipeline_transient_failures_retry_and_rejections_fail);
	tcase_add_test(tc,
		       test_pipeline_restart_restores_state_and_suppresses_replays);
	tcase_add_test(tc, test_pipeline_two_workers_share_the_group);
	tcase_add_test(tc, test_pipeline_exactly_once_call_sequence_on_mock);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
