/* it_oversize.c -- no record stalls a partition (issue 18): a dead letter
 * that Kafka refuses as too large (it carries the original command) is
 * written in bounded form -- the original bytes cut to dlq.payload.max,
 * their length and SHA-256, reason TOO_LARGE -- and when even that is
 * refused the command is counted, logged and its offset released. Either
 * way the later commands of the partition are processed and committed.
 * On the mock cluster the worker's producer limit (kafka.message.max.bytes)
 * plays the topic's; on Apache Kafka (CTest kafka_it_oversize,
 * PAYATOM_TEST_KAFKA=real) the dead-letter topic's max.message.bytes is
 * lowered and the broker itself refuses the record (a delivery report). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "fakegw.h"
#include "kafka/mockcluster.h"
#include "kafka/worker.h"
#include "kafkat.h"
#include "payatom/crypto.h"
#include "pwtest.h"
#include "serde/codec.h"

enum { T_N = 10 };

typedef struct env {
	pw_loop_t *loop;
	pw_mock_t *mock;
	pw_codec_t *codec;
	rd_kafka_t *prod;
	pw_worker_opts_t o;
	int terminal, dlq;
	char group[64];
	char brokers[512];
	char topic[T_N][128];
} env_t;

/* Real broker: the topics (one partition, unique names), the dead-letter
 * topic with max.message.bytes = max_bytes. */
static void create_topics_real(env_t *e, const char *max_bytes)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", e->brokers, es, sizeof es);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	ck_assert_msg(rk != NULL, "admin client: %s", es);
	rd_kafka_NewTopic_t *nt[T_N];
	for (int i = 0; i < T_N; i++) {
		nt[i] = rd_kafka_NewTopic_new(e->topic[i], 1, 1, es, sizeof es);
		ck_assert_ptr_nonnull(nt[i]);
		if (!strcmp(e->topic[i], e->o.topic_dlq))
			rd_kafka_NewTopic_set_config(nt[i], "max.message.bytes",
						     max_bytes);
		if (!strcmp(e->topic[i], e->o.topic_int_state))
			rd_kafka_NewTopic_set_config(nt[i], "cleanup.policy",
						     "compact");
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, nt, T_N, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)pwt_ms(30000));
	ck_assert_msg(ev != NULL, "CreateTopics timed out");
	size_t n = 0;
	const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(
		rd_kafka_event_CreateTopics_result(ev), &n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(!rd_kafka_topic_result_error(tr[i]), "create %s: %s",
			      rd_kafka_topic_result_name(tr[i]),
			      rd_kafka_err2str(rd_kafka_topic_result_error(tr[i])));
	rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	for (int i = 0; i < T_N; i++)
		rd_kafka_NewTopic_destroy(nt[i]);
	rd_kafka_destroy(rk);
}

static void on_event(void *ud, const char *topic, const char *json)
{
	env_t *e = ud;
	if (!strcmp(topic, e->o.topic_dlq))
		e->dlq++;
	else if (strstr(json, "\"terminal\":true"))
		e->terminal++;
}

static void env_init(env_t *e, const char *max_bytes, size_t payload_max)
{
	static int n;
	memset(e, 0, sizeof *e);
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_loop_new(&e->loop), PA_OK);
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO};
	ck_assert_int_eq(pw_codec_new(&cc, &e->codec, eb), PA_OK);
	pw_worker_opts_default(&e->o);
	const char **topics[T_N] = {
		&e->o.topic_cmd_payin,	  &e->o.topic_cmd_payout,
		&e->o.topic_cmd_complaint, &e->o.topic_evt_payment,
		&e->o.topic_evt_refund,	  &e->o.topic_evt_complaint,
		&e->o.topic_evt_report,	  &e->o.topic_dlq,
		&e->o.topic_int_webhook,	  &e->o.topic_int_state};
	snprintf(e->group, sizeof e->group, "it-oversize-%d-%d", getpid(),
		 n++);
	/* names unique per run: reruns may share a real broker */
	for (int i = 0; i < T_N; i++) {
		snprintf(e->topic[i], sizeof e->topic[i], "%s.%s", e->group,
			 *topics[i]);
		*topics[i] = e->topic[i];
	}
	const char *k = getenv("PAYATOM_TEST_KAFKA");
	int real = k && !strcmp(k, "real");
	if (real) {
		const char *b = getenv("PAYATOM_TEST_BOOTSTRAP");
		ck_assert_msg(b && *b, "PAYATOM_TEST_KAFKA=real needs "
				       "PAYATOM_TEST_BOOTSTRAP");
		snprintf(e->brokers, sizeof e->brokers, "%s", b);
		create_topics_real(e, max_bytes);
	} else {
		ck_assert_int_eq(pw_mock_new(1, 1, &e->mock, eb), PA_OK);
		for (int i = 0; i < T_N; i++)
			ck_assert_int_eq(pw_mock_topic(e->mock, e->topic[i]),
					 PA_OK);
		snprintf(e->brokers, sizeof e->brokers, "%s",
			 pw_mock_bootstraps(e->mock));
	}
	e->o.brokers = e->brokers;
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
	e->o.dlq_payload_max = payload_max;
	static pw_kafka_kv_t kafka[2];
	kafka[0] = (pw_kafka_kv_t){"log_level", "3"};
	kafka[1] = (pw_kafka_kv_t){"message.max.bytes", max_bytes};
	e->o.kafka = kafka;
	e->o.n_kafka = real ? 1 : 2; /* real: the broker refuses */
	e->prod = pwt_producer(e->o.brokers);
}

static void env_fini(env_t *e)
{
	rd_kafka_destroy(e->prod);
	pw_mock_destroy(e->mock);
	pw_loop_destroy(e->loop);
	pw_codec_destroy(e->codec);
}

/* A payin whose customer.name is name_len bytes and, when bad, whose
 * product no worker knows: a dead letter carrying all of it. */
static char *command(const char *oid, size_t name_len, int bad)
{
	char *name = malloc(name_len + 1);
	memset(name, 'n', name_len);
	name[name_len] = '\0';
	json_t *r = json_pack(
		"{s:s s:s s:s s:s s:s s:s s:I s:s s:{s:s s:s s:s} s:I}",
		"type", "payin", "command_id", oid, "merchant", "demo",
		"order_id", oid, "product",
		bad ? "PAYIN_MOON" : "PAYIN_UPI_P2C_SEAMLESS", "country", "IN",
		"amount_minor", (json_int_t)100000, "currency", "INR",
		"customer", "name", name, "email", "a@example.com", "phone",
		"9000000000", "created_at", (json_int_t)1764115200000);
	char *txt = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	free(name);
	return txt;
}

static int shutdown_done;
static void on_shutdown(void *ud)
{
	*(int *)ud = 1;
}
static int flag_set(void *ud)
{
	return *(int *)ud;
}

struct until {
	env_t *e;
	int terminal, dlq;
	pw_worker_t *w;
	uint64_t dropped;
};
static int reached(void *ud)
{
	struct until *u = ud;
	pw_worker_stats_t st;
	pw_worker_stats(u->w, &st);
	return u->e->terminal >= u->terminal && u->e->dlq >= u->dlq &&
	       st.produce_dropped >= u->dropped;
}

/* The group's committed offset of partition 0 of topic. */
static int64_t committed(env_t *e, const char *topic)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", e->o.brokers, es, sizeof es);
	rd_kafka_conf_set(c, "group.id", e->group, es, sizeof es);
	rd_kafka_t *k = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
	ck_assert_ptr_nonnull(k);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, 0);
	ck_assert_int_eq(rd_kafka_committed(k, l, 10000), 0);
	int64_t off = l->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(k);
	return off;
}

/* Runs: a 30 KB bad command (dead letter ~40 KB, over the 20 KB limit),
 * then a good one on the same partition. */
static void run(env_t *e, struct until *u, pw_worker_t **wp, size_t big)
{
	pwt_fakegw_opts_t go = {.latency_ms = 1, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e->loop, &go);
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e->loop, &e->o, gw, wp, eb), PA_OK);
	char *bad = command("OVERSIZE000001", big, 1);
	char *good = command("OVERSIZE000002", 10, 0);
	pwt_produce(e->prod, e->o.topic_cmd_payin, "OVERSIZE000001", bad, 0);
	pwt_produce(e->prod, e->o.topic_cmd_payin, "OVERSIZE000002", good, 0);
	pwt_flush(e->prod);
	free(bad);
	free(good);
	u->e = e;
	u->w = *wp;
	ck_assert_msg(pwt_run_until(e->loop, reached, u, 60000),
		      "terminal %d dlq %d", e->terminal, e->dlq);
	/* commits flow on: both offsets, bounded */
	int64_t end = pwt_now_ms() + pwt_ms(20000);
	while (pwt_now_ms() < end) {
		pw_loop_run_once(e->loop, 50);
		pw_worker_stats_t st;
		pw_worker_stats(*wp, &st);
		if (st.inflight == 0 && st.commits >= 2)
			break;
	}
	shutdown_done = 0;
	pw_worker_shutdown(*wp, on_shutdown, &shutdown_done);
	ck_assert(pwt_run_until(e->loop, flag_set, &shutdown_done, 20000));
}

START_TEST(test_oversize_dead_letter_written_in_bounded_form)
{
	env_t e;
	env_init(&e, "20000", 100000);
	struct until u = {.terminal = 1, .dlq = 1};
	pw_worker_t *w;
	char *bad = command("OVERSIZE000001", 30000, 1);
	size_t bad_len = strlen(bad);
	char sha[PA_SHA256_HEX_LEN + 1];
	pa_part_t part = {bad, bad_len};
	pa_sha256_hex(&part, 1, sha);
	run(&e, &u, &w, 30000);
	pw_worker_stats_t st;
	pw_worker_stats(w, &st);
	ck_assert_uint_eq(st.produce_bounded, 1);
	ck_assert_uint_eq(st.produce_dropped, 0);
	pw_worker_destroy(w);
	json_t *dl = pwt_read_topic_codec(e.o.brokers, e.o.topic_dlq, 2000,
					  20000, e.codec);
	ck_assert_uint_eq(json_array_size(dl), 1); /* exactly one outcome */
	json_t *v = json_object_get(json_array_get(dl, 0), "value");
	ck_assert_str_eq(json_string_value(json_object_get(v, "reason")),
			 "TOO_LARGE");
	ck_assert_str_eq(json_string_value(json_object_get(v, "error_name")),
			 "KAFKA_REFUSED");
	ck_assert_int_eq(json_integer_value(json_object_get(v, "payload_length")),
			 (json_int_t)bad_len);
	ck_assert_str_eq(json_string_value(json_object_get(v, "payload_sha256")),
			 sha);
	size_t plen;
	uint8_t *pl;
	const char *b64 = json_string_value(json_object_get(v, "payload"));
	ck_assert_int_eq(pa_base64_decode(b64, strlen(b64), &pl, &plen, NULL),
			 PA_OK);
	ck_assert_uint_eq(plen, 1024);
	ck_assert(memcmp(pl, bad, 1024) == 0); /* its beginning */
	free(pl);
	const char *m = json_string_value(json_object_get(v, "message"));
	ck_assert_ptr_nonnull(strstr(m, "refused by Kafka"));
	ck_assert_ptr_nonnull(strstr(m, "VALIDATION")); /* what it was */
	ck_assert_str_eq(json_string_value(json_object_get(v, "order_id")),
			 "OVERSIZE000001");
	json_decref(dl);
	free(bad);
	ck_assert_int_eq(committed(&e, e.o.topic_cmd_payin), 2);
	env_fini(&e);
}
END_TEST

START_TEST(test_oversize_refused_twice_is_dropped_and_offset_released)
{
	env_t e;
	/* the bounded form (1 KiB payload, base64 and fields) is over 1 KB */
	env_init(&e, "1000", 100000);
	struct until u = {.terminal = 1, .dlq = 0, .dropped = 1};
	pw_worker_t *w;
	run(&e, &u, &w, 30000);
	pw_worker_stats_t st;
	pw_worker_stats(w, &st);
	ck_assert_uint_eq(st.produce_bounded, 1);
	ck_assert_uint_eq(st.produce_dropped, 1);
	ck_assert_uint_eq(st.dlq_out, 0);
	pw_worker_destroy(w);
	ck_assert_int_eq(committed(&e, e.o.topic_cmd_payin), 2);
	env_fini(&e);
}
END_TEST

/* A record longer than dlq.payload.max is carried in bounded form from
 * the start, with its own reason: nothing is refused. */
START_TEST(test_oversize_dead_letter_payload_capped_by_dlq_payload_max)
{
	env_t e;
	env_init(&e, "1000000", 2000);
	struct until u = {.terminal = 1, .dlq = 1};
	pw_worker_t *w;
	char *bad = command("OVERSIZE000001", 30000, 1);
	size_t bad_len = strlen(bad);
	run(&e, &u, &w, 30000);
	pw_worker_stats_t st;
	pw_worker_stats(w, &st);
	ck_assert_uint_eq(st.produce_bounded, 0);
	pw_worker_destroy(w);
	json_t *dl = pwt_read_topic_codec(e.o.brokers, e.o.topic_dlq, 2000,
					  20000, e.codec);
	ck_assert_uint_eq(json_array_size(dl), 1);
	json_t *v = json_object_get(json_array_get(dl, 0), "value");
	ck_assert_str_eq(json_string_value(json_object_get(v, "reason")),
			 "VALIDATION");
	ck_assert_int_eq(json_integer_value(json_object_get(v, "payload_length")),
			 (json_int_t)bad_len);
	const char *b64 = json_string_value(json_object_get(v, "payload"));
	size_t plen;
	uint8_t *pl;
	ck_assert_int_eq(pa_base64_decode(b64, strlen(b64), &pl, &plen, NULL),
			 PA_OK);
	ck_assert_uint_eq(plen, 2000);
	ck_assert(memcmp(pl, bad, 2000) == 0);
	free(pl);
	free(bad);
	json_decref(dl);
	ck_assert_int_eq(committed(&e, e.o.topic_cmd_payin), 2);
	env_fini(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oversize");
	TCase *tc = tcase_create("mock");
	tcase_set_timeout(tc, 200);
	tcase_add_test(tc, test_oversize_dead_letter_written_in_bounded_form);
	tcase_add_test(tc,
		       test_oversize_refused_twice_is_dropped_and_offset_released);
	tcase_add_test(tc,
		       test_oversize_dead_letter_payload_capped_by_dlq_payload_max);
	suite_add_tcase(s, tc);
	return pwt_run_suite(s);
}
