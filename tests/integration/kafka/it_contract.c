/* it_contract.c -- the event contract on the embedded mock cluster with
 * the scripted in-process gateway (issue 19 items 1 and 2,
 * docs/events.md): what caused each event (the command, a poll), the
 * command's metadata returned on every event of its order, the trace
 * context and the configured headers copied from the command (also to the
 * poll's event, from the order's state), CloudEvents headers, a dead
 * letter for metadata beyond its bounds with the command's id and headers,
 * and the order's command, metadata and trace restored from the
 * changelog by a new worker. The same on Apache Kafka with the PyPI
 * reader: tests/kafka/contract_headers.py. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fakegw.h"
#include "kafkat.h"
#include "kafka/mockcluster.h"
#include "kafka/worker.h"
#include "serde/codec.h"
#include "pwtest.h"

#define PARTS 4
#define TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
#define TS "congo=t61rcWkgMzE"

typedef struct env {
	pw_codec_t *codec;
	pw_loop_t *loop;
	pw_mock_t *mock;
	rd_kafka_t *prod;
	pw_worker_opts_t o;
	int terminal, dlq;
	char group[64];
} env_t;

static void on_event(void *ud, const char *topic, const char *json)
{
	env_t *e = ud;
	if (!strcmp(topic, e->o.topic_dlq))
		e->dlq++;
	else if (strstr(json, "\"terminal\":true"))
		e->terminal++;
}

static char *copy_headers[] = {"x-tenant"};

static void env_init(env_t *e)
{
	memset(e, 0, sizeof *e);
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_loop_new(&e->loop), PA_OK);
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO};
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
	snprintf(e->group, sizeof e->group, "it-contract-%d", getpid());
	e->o.brokers = pw_mock_bootstraps(e->mock);
	e->o.group_id = e->group;
	e->o.poll_first_ms = 50;
	e->o.poll_max_interval_ms = 200;
	e->o.commit_interval_ms = 100;
	e->o.shutdown_timeout_ms = 5000;
	e->o.on_event = on_event;
	e->o.on_event_ud = e;
	e->o.codec = e->codec;
	e->o.event_headers = copy_headers;
	e->o.n_event_headers = 1;
	e->o.cloudevents = 1;
	e->o.ce_source = "/it-contract";
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
	pw_codec_destroy(e->codec);
}

static void send_payin(env_t *e, const char *oid, const char *cid, json_t *md)
{
	json_t *rec = json_pack("{s:s s:s s:s s:s s:s s:s s:I s:s s:I s:o}",
				"type", "payin", "command_id", cid, "merchant",
				"demo", "order_id", oid, "product",
				"PAYIN_UPI_P2C_SEAMLESS", "country", "IN",
				"amount_minor", (json_int_t)10000, "currency",
				"INR", "created_at", (json_int_t)1764115200000,
				"metadata", md);
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_msg(pw_codec_encode(e->codec, e->o.topic_cmd_payin,
				      "PayinCommand", rec, &buf, &len,
				      eb) == PA_OK, "%s", eb);
	static const char *const hdrs[] = {
		"traceparent", TP, "tracestate", TS, "x-tenant", "acme",
		"authorization", "Bearer s3cr3t", NULL};
	pwt_produce_headers(e->prod, e->o.topic_cmd_payin, oid, buf, len, hdrs);
	free(buf);
	json_decref(rec);
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

/* The value of header name ("" when absent; "*2" when twice). */
static const char *header(const json_t *rec, const char *name)
{
	const char *v = "";
	int n = 0;
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(rec, "headers"), i, h)
	{
		if (!strcmp(json_string_value(json_array_get(h, 0)), name)) {
			v = json_string_value(json_array_get(h, 1));
			n++;
		}
	}
	return n > 1 ? "*2" : v;
}

static void assert_cloudevent(const json_t *rec)
{
	const json_t *v = json_object_get(rec, "value");
	ck_assert_str_eq(header(rec, "ce_specversion"), "1.0");
	ck_assert_str_eq(header(rec, "ce_id"),
			 json_string_value(json_object_get(v, "event_id")));
	char type[64];
	snprintf(type, sizeof type, "io.payatom.worker.%s",
		 json_string_value(json_object_get(v, "event_type")));
	ck_assert_str_eq(header(rec, "ce_type"), type);
	ck_assert_str_eq(header(rec, "ce_source"), "/it-contract");
	ck_assert_str_eq(header(rec, "content-type"), "application/avro");
	ck_assert_uint_eq(strlen(header(rec, "ce_time")), 24);
	ck_assert_str_eq(header(rec, "ce_subject"),
			 json_string_value(json_object_get(v, "order_id")));
}

START_TEST(test_contract_events_name_their_cause_and_carry_the_command)
{
	env_t e;
	env_init(&e);
	pwt_fakegw_opts_t go = {.latency_ms = 2, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	json_t *md = json_pack("{s:s s:s}", "cart_id", "cart-8812", "channel",
			       "app");
	send_payin(&e, "CTR0000000001", "c-ctr-1", json_incref(md));
	json_t *big = json_object();
	for (int i = 0; i < 21; i++) {
		char k[8];
		snprintf(k, sizeof k, "k%02d", i);
		json_object_set_new(big, k, json_string("v"));
	}
	send_payin(&e, "CTR0000000002", "c-ctr-2", big);
	pwt_flush(e.prod);
	struct until u = {&e, 1, 1};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	stop_worker(&e, w);

	json_t *evs = pwt_read_topic_codec(e.o.brokers, e.o.topic_evt_payment,
					   2000, 20000, e.codec);
	ck_assert_uint_eq(json_array_size(evs), 2);
	size_t i;
	json_t *r;
	int commanded = 0, polled = 0;
	json_array_foreach(evs, i, r)
	{
		json_t *v = json_object_get(r, "value");
		const char *cause = json_string_value(json_object_get(v, "cause"));
		ck_assert_int_eq(json_integer_value(json_object_get(v, "schema_version")), 2);
		ck_assert(json_equal(json_object_get(v, "metadata"), md));
		/* the command's trace on both, also on the poll's event */
		ck_assert_str_eq(header(r, "traceparent"), TP);
		ck_assert_str_eq(header(r, "tracestate"), TS);
		ck_assert_str_eq(header(r, "authorization"), "");
		assert_cloudevent(r);
		if (!strcmp(cause, "COMMAND")) {
			commanded++;
			ck_assert_str_eq(json_string_value(json_object_get(v, "command_id")),
					 "c-ctr-1");
			ck_assert(json_is_null(json_object_get(v, "cause_id")));
			ck_assert_str_eq(header(r, "x-tenant"), "acme");
		} else {
			polled++;
			ck_assert_str_eq(cause, "POLL");
			ck_assert(json_is_null(json_object_get(v, "command_id")));
			ck_assert_str_eq(json_string_value(json_object_get(v, "cause_id")),
					 "CTR0000000001:poll:1");
			/* copied headers belong to the command's own events */
			ck_assert_str_eq(header(r, "x-tenant"), "");
		}
	}
	ck_assert_int_eq(commanded, 1);
	ck_assert_int_eq(polled, 1);
	json_decref(evs);

	json_t *dls = pwt_read_topic_codec(e.o.brokers, e.o.topic_dlq, 2000,
					   20000, e.codec);
	ck_assert_uint_eq(json_array_size(dls), 1);
	r = json_array_get(dls, 0);
	json_t *v = json_object_get(r, "value");
	ck_assert_str_eq(json_string_value(json_object_get(v, "reason")), "MALFORMED");
	ck_assert_str_eq(json_string_value(json_object_get(v, "message")),
			 "metadata: 21 keys, at most 20");
	ck_assert_str_eq(json_string_value(json_object_get(v, "command_id")), "c-ctr-2");
	ck_assert(json_is_null(json_object_get(v, "metadata")));
	ck_assert_str_eq(header(r, "traceparent"), TP);
	ck_assert_str_eq(header(r, "x-tenant"), "acme");
	ck_assert_str_eq(header(r, "authorization"), "");
	assert_cloudevent(r);
	json_decref(dls);

	/* a new worker (another group: every command again) restores the
	 * order's command, metadata and trace from the changelog */
	snprintf(e.group + strlen(e.group), 8, "-b");
	gw = pwt_fakegw_new(e.loop, &go);
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	pw_worker_stats_t st = {0};
	for (int k = 0; k < 1500 && st.commands_done < 2; k++) {
		pw_loop_run_once(e.loop, 20);
		pw_worker_stats(w, &st);
	}
	ck_assert_uint_eq(st.commands_done, 2);
	ck_assert_int_eq(pwt_fakegw_total_submits(gw), 0);
	const pw_order_t *ord = pw_worker_order(w, "CTR0000000001");
	ck_assert_ptr_nonnull(ord);
	ck_assert_ptr_nonnull(ord->ext);
	json_t *ext = json_loads(ord->ext, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(ext, "cid")), "c-ctr-1");
	ck_assert(json_equal(json_object_get(ext, "md"), md));
	ck_assert_str_eq(json_string_value(json_object_get(ext, "tp")), TP);
	ck_assert_str_eq(json_string_value(json_object_get(ext, "ts")), TS);
	json_decref(ext);
	stop_worker(&e, w);
	json_decref(md);
	env_fini(&e);
}
END_TEST

/* The last record of topic whose value's order_id is oid (new
 * reference), and how many there were. */
static json_t *last_of(env_t *e, const char *topic, const char *oid, int *n)
{
	json_t *all = pwt_read_topic_codec(e->o.brokers, topic, 2000, 20000,
					   e->codec);
	json_t *last = NULL;
	*n = 0;
	size_t i;
	json_t *r;
	json_array_foreach(all, i, r)
	{
		const char *o = json_string_value(
			json_object_get(json_object_get(r, "value"), "order_id"));
		if (o && !strcmp(o, oid)) {
			json_decref(last);
			last = json_incref(r);
			(*n)++;
		}
	}
	json_decref(all);
	return last;
}

static void send_create(env_t *e, int payout, const char *oid,
			const char *cid, long amount)
{
	json_t *rec = json_pack("{s:s s:s s:s s:s s:s s:s s:I s:s s:I s:{s:s}}",
				"type", payout ? "payout" : "payin",
				"command_id", cid, "merchant", "demo",
				"order_id", oid, "product",
				payout ? "PAYOUT_IMPS_P2P_SEAMLESS"
				       : "PAYIN_UPI_P2C_SEAMLESS",
				"country", "IN", "amount_minor",
				(json_int_t)amount, "currency", "INR",
				"created_at", (json_int_t)pwt_now_ms(),
				"metadata", "cart_id", "cart-1");
	const char *topic = payout ? e->o.topic_cmd_payout : e->o.topic_cmd_payin;
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_msg(pw_codec_encode(e->codec, topic,
				      payout ? "PayoutCommand" : "PayinCommand",
				      rec, &buf, &len, eb) == PA_OK, "%s", eb);
	pwt_produce(e->prod, topic, oid, buf, len);
	free(buf);
	json_decref(rec);
}

/* docs/events.md "Repeated commands", end to end for a payin and a
 * payout: the same content sent again (a retry with a new command_id) is
 * answered with the order's current event -- same event_id, caused by the
 * new command, no second gateway call; other content reusing the order_id
 * is a dead letter ORDER_ID_CONFLICT naming the field; a new worker
 * reading every command again from the start (as after a crash) stays
 * silent. */
START_TEST(test_contract_repeated_creates_are_answered_once_settled)
{
	env_t e;
	env_init(&e);
	pwt_fakegw_opts_t go = {.latency_ms = 2, .polls_until_final = 0};
	pw_gateway_t *gw = pwt_fakegw_new(e.loop, &go);
	pw_worker_t *w;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	static const struct {
		int payout;
		const char *oid;
	} orders[] = {{0, "RPT0000000001"}, {1, "RPT0000000002"}};
	for (size_t k = 0; k < 2; k++)
		send_create(&e, orders[k].payout, orders[k].oid, "c-first", 10000);
	pwt_flush(e.prod);
	struct until u = {&e, 2, 0};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	char first_id[2][64];
	for (size_t k = 0; k < 2; k++) {
		int n;
		json_t *r = last_of(&e, e.o.topic_evt_payment, orders[k].oid, &n);
		ck_assert_int_eq(n, 2); /* PENDING, then SUCCEEDED */
		snprintf(first_id[k], sizeof first_id[k], "%s",
			 json_string_value(json_object_get(json_object_get(r, "value"),
							   "event_id")));
		json_decref(r);
		/* the retry of a caller that missed the answer */
		send_create(&e, orders[k].payout, orders[k].oid, "c-retry", 10000);
		/* another payment reusing the order_id */
		send_create(&e, orders[k].payout, orders[k].oid, "c-other", 20000);
	}
	pwt_flush(e.prod);
	u = (struct until){&e, 4, 2};
	ck_assert(pwt_run_until(e.loop, reached, &u, 60000));
	for (size_t k = 0; k < 2; k++) {
		ck_assert_int_eq(pwt_fakegw_submits(gw, orders[k].oid), 1);
		int n;
		json_t *r = last_of(&e, e.o.topic_evt_payment, orders[k].oid, &n);
		ck_assert_int_eq(n, 3);
		json_t *v = json_object_get(r, "value");
		ck_assert_str_eq(json_string_value(json_object_get(v, "event_id")),
				 first_id[k]);
		ck_assert_str_eq(json_string_value(json_object_get(v, "status")),
				 "SUCCEEDED");
		ck_assert_str_eq(json_string_value(json_object_get(v, "previous_status")),
				 "PENDING");
		ck_assert_int_eq(json_integer_value(json_object_get(v, "sequence")), 2);
		ck_assert_str_eq(json_string_value(json_object_get(v, "cause")), "COMMAND");
		ck_assert_str_eq(json_string_value(json_object_get(v, "command_id")),
				 "c-retry");
		ck_assert_str_eq(json_string_value(json_object_get(
					 json_object_get(v, "metadata"), "cart_id")),
				 "cart-1");
		json_decref(r);
		r = last_of(&e, e.o.topic_dlq, orders[k].oid, &n);
		ck_assert_int_eq(n, 1);
		v = json_object_get(r, "value");
		ck_assert_str_eq(json_string_value(json_object_get(v, "reason")),
				 "ORDER_ID_CONFLICT");
		char want[128];
		snprintf(want, sizeof want,
			 "order_id %s is known with other content: "
			 "amount_minor differs", orders[k].oid);
		ck_assert_str_eq(json_string_value(json_object_get(v, "message")), want);
		ck_assert_str_eq(json_string_value(json_object_get(v, "command_id")),
				 "c-other");
		json_decref(r);
	}
	stop_worker(&e, w);

	/* a new worker in a new group reads every command again from the
	 * start, as after losing its offsets: no gateway call, no event, the
	 * creates silent, the repeat answered again, the conflict again */
	int before_terminal = e.terminal, before_dlq = e.dlq;
	snprintf(e.group + strlen(e.group), 8, "-b");
	gw = pwt_fakegw_new(e.loop, &go);
	ck_assert_int_eq(pw_worker_new(e.loop, &e.o, gw, &w, eb), PA_OK);
	pw_worker_stats_t st = {0};
	for (int k = 0; k < 1500 && st.commands_done < 6; k++) {
		pw_loop_run_once(e.loop, 20);
		pw_worker_stats(w, &st);
	}
	ck_assert_uint_eq(st.commands_done, 6);
	ck_assert_int_eq(pwt_fakegw_total_submits(gw), 0);
	stop_worker(&e, w);
	ck_assert_int_eq(e.terminal - before_terminal, 2);
	ck_assert_int_eq(e.dlq - before_dlq, 2);
	printf("contract: repeated creates: payin and payout answered with "
	       "their SUCCEEDED events (%s, %s), conflicts dead-lettered, 1 "
	       "gateway create each\n",
	       first_id[0], first_id[1]);
	env_fini(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("contract");
	TCase *tc = tcase_create("contract");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_contract_events_name_their_cause_and_carry_the_command);
	tcase_add_test(tc, test_contract_repeated_creates_are_answered_once_settled);
	suite_add_tcase(s, tc);
	return pwt_run_suite(s);
}
