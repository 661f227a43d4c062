/* check_headers.c -- the Kafka headers of events and dead letters
 * (kafka/headers.h, docs/events.md "Headers"): the W3C trace context and
 * the configured command headers on events, the order's trace when no
 * command is at hand, the original's headers on dead letters, CloudEvents
 * binary mode, and trace context validation. */
#include <check.h>
#include <string.h>

#include "kafka/headers.h"
#include "pwtest.h"

#define TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
#define TP2 "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static rd_kafka_headers_t *cmd_headers(void)
{
	rd_kafka_headers_t *h = rd_kafka_headers_new(8);
	rd_kafka_header_add(h, "traceparent", -1, TP, -1);
	rd_kafka_header_add(h, "tracestate", -1, "congo=t61rcWkgMzE", -1);
	rd_kafka_header_add(h, "x-tenant", -1, "acme", -1);
	rd_kafka_header_add(h, "x-request-id", -1, "r-1", -1);
	rd_kafka_header_add(h, "x-request-id", -1, "r-2", -1);
	rd_kafka_header_add(h, "authorization", -1, "Bearer s3cr3t", -1);
	rd_kafka_header_add(h, "content-type", -1, "application/json", -1);
	rd_kafka_header_add(h, "ce_id", -1, "cmd-ce-1", -1);
	return h;
}

/* "name=value;" for every header, in order. */
static void flat(const rd_kafka_headers_t *h, char *buf, size_t size)
{
	const char *n;
	const void *v;
	size_t len, used = 0;
	buf[0] = '\0';
	for (size_t i = 0; h && !rd_kafka_header_get_all(h, i, &n, &v, &len); i++)
		used += (size_t)snprintf(buf + used, size - used, "%s=%.*s;", n,
					 (int)len, (const char *)v);
}

static json_t *event(void)
{
	return json_pack("{s:s s:s s:s s:I}", "event_type", "payment",
			 "event_id", "9c1e5a77d2b04f18", "order_id",
			 "ORD0000000001", "occurred_at",
			 (json_int_t)1764000000123LL);
}

START_TEST(test_headers_event_copies_trace_and_configured_headers)
{
	char *copy[] = {"x-request-id", "x-tenant", "x-absent", "traceparent"};
	pw_hdr_conf_t c = {.copy = copy, .n_copy = 4};
	rd_kafka_headers_t *in = cmd_headers();
	json_t *ev = event();
	rd_kafka_headers_t *h = pw_headers_build(&c, in, NULL, ev);
	char got[1024];
	flat(h, got, sizeof got);
	/* never authorization, content-type or the command's ce_* */
	ck_assert_str_eq(got, "traceparent=" TP ";tracestate=congo=t61rcWkgMzE;"
			      "x-request-id=r-1;x-request-id=r-2;"
			      "x-tenant=acme;");
	rd_kafka_headers_destroy(h);
	/* nothing configured: the trace context only */
	c.n_copy = 0;
	h = pw_headers_build(&c, in, NULL, ev);
	flat(h, got, sizeof got);
	ck_assert_str_eq(got, "traceparent=" TP ";tracestate=congo=t61rcWkgMzE;");
	rd_kafka_headers_destroy(h);
	/* no command headers and no trace: no headers at all */
	ck_assert_ptr_null(pw_headers_build(&c, NULL, NULL, ev));
	rd_kafka_headers_destroy(in);
	json_decref(ev);
}
END_TEST

/* A webhook- or poll-driven event carries the trace of the order's
 * command (kept in the order's state); a command's own wins. */
START_TEST(test_headers_event_without_command_takes_order_trace)
{
	pw_hdr_conf_t c = {0};
	json_t *ev = event();
	pw_trace_t tr = {TP2, "rojo=00f067aa0ba902b7"};
	rd_kafka_headers_t *h = pw_headers_build(&c, NULL, &tr, ev);
	char got[1024];
	flat(h, got, sizeof got);
	ck_assert_str_eq(got, "traceparent=" TP2 ";tracestate=rojo=00f067aa0ba902b7;");
	rd_kafka_headers_destroy(h);
	rd_kafka_headers_t *in = cmd_headers();
	h = pw_headers_build(&c, in, &tr, ev);
	flat(h, got, sizeof got);
	ck_assert_ptr_nonnull(strstr(got, "traceparent=" TP ";"));
	rd_kafka_headers_destroy(h);
	rd_kafka_headers_destroy(in);
	/* a stored trace that is not valid is not sent */
	pw_trace_t bad = {"00-xyz", "a=b"};
	ck_assert_ptr_null(pw_headers_build(&c, NULL, &bad, ev));
	json_decref(ev);
}
END_TEST

/* A dead letter follows the events' rule: the trace context and the
 * configured headers, never the others (credentials stay on their topic),
 * never the original's CloudEvents attributes or content-type even when
 * named. */
START_TEST(test_headers_dead_letter_copies_what_events_copy)
{
	char *copy[] = {"x-tenant", "ce_id", "content-type"};
	pw_hdr_conf_t c = {.copy = copy, .n_copy = 3};
	rd_kafka_headers_t *in = cmd_headers();
	json_t *dl = json_pack("{s:s s:s s:I}", "event_type", "dead_letter",
			       "event_id", "d1", "occurred_at", (json_int_t)0);
	rd_kafka_headers_t *h = pw_headers_build(&c, in, NULL, dl);
	char got[1024];
	flat(h, got, sizeof got);
	ck_assert_str_eq(got, "traceparent=" TP ";tracestate=congo=t61rcWkgMzE;"
			      "x-tenant=acme;");
	rd_kafka_headers_destroy(h);
	rd_kafka_headers_destroy(in);
	json_decref(dl);
}
END_TEST

/* CloudEvents Kafka protocol binding, binary mode: ce_* attributes and
 * content-type of the value. */
START_TEST(test_headers_cloudevents_binary_mode)
{
	pw_hdr_conf_t c = {.cloudevents = 1, .ce_source = "/payments/eu-1"};
	json_t *ev = event();
	rd_kafka_headers_t *h = pw_headers_build(&c, NULL, NULL, ev);
	char got[1024];
	flat(h, got, sizeof got);
	ck_assert_str_eq(got, "ce_specversion=1.0;ce_id=9c1e5a77d2b04f18;"
			      "ce_source=/payments/eu-1;"
			      "ce_type=io.payatom.worker.payment;"
			      "ce_time=2025-11-24T16:00:00.123Z;"
			      "ce_subject=ORD0000000001;"
			      "content-type=application/avro;");
	rd_kafka_headers_destroy(h);
	c.json = 1;
	c.ce_source = NULL;
	rd_kafka_headers_t *in = cmd_headers();
	json_t *dl = json_pack("{s:s s:s s:I}", "event_type", "dead_letter",
			       "event_id", "d1", "occurred_at", (json_int_t)0);
	h = pw_headers_build(&c, in, NULL, dl);
	flat(h, got, sizeof got);
	/* the original's ce_id and content-type gave way to the dead
	 * letter's own */
	ck_assert_ptr_nonnull(strstr(got, ";ce_id=d1;ce_source=/payatom-worker;"
					  "ce_type=io.payatom.worker.dead_letter;"
					  "ce_time=1970-01-01T00:00:00.000Z;"
					  "content-type=application/json;"));
	ck_assert_ptr_null(strstr(got, "cmd-ce-1"));
	ck_assert_ptr_null(strstr(got, "ce_subject"));
	rd_kafka_headers_destroy(h);
	rd_kafka_headers_destroy(in);
	json_decref(dl);
	json_decref(ev);
}
END_TEST

/* W3C Trace Context: a traceparent is taken only when well formed (then
 * its tracestate); the last of repeated headers wins. */
START_TEST(test_headers_trace_context_is_validated)
{
	static const char *const bad[] = {
		"00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01", /* case */
		"00-00000000000000000000000000000000-b7ad6b7169203331-01", /* zero id */
		"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", /* zero parent */
		"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", /* version ff */
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",	  /* short */
		"00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", /* separator */
	};
	char parent[PW_TRACEPARENT_MAX + 1], state[PW_TRACESTATE_MAX + 1];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		rd_kafka_headers_t *h = rd_kafka_headers_new(2);
		rd_kafka_header_add(h, "traceparent", -1, bad[i], -1);
		rd_kafka_header_add(h, "tracestate", -1, "a=b", -1);
		pw_headers_trace(h, parent, state);
		ck_assert_msg(!*parent && !*state, "accepted %s", bad[i]);
		rd_kafka_headers_destroy(h);
	}
	rd_kafka_headers_t *h = rd_kafka_headers_new(4);
	rd_kafka_header_add(h, "traceparent", -1, TP2, -1);
	rd_kafka_header_add(h, "traceparent", -1, TP, -1);
	char longstate[PW_TRACESTATE_MAX + 2];
	memset(longstate, 'a', sizeof longstate - 1);
	longstate[sizeof longstate - 1] = '\0';
	rd_kafka_header_add(h, "tracestate", -1, longstate, -1);
	pw_headers_trace(h, parent, state);
	ck_assert_str_eq(parent, TP);
	ck_assert_str_eq(state, ""); /* 513 characters: over the limit */
	rd_kafka_headers_destroy(h);
	char buf[64];
	ck_assert_str_eq(pw_headers_ce_type("refund", buf, sizeof buf),
			 "io.payatom.worker.refund");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("headers");
	TCase *tc = tcase_create("headers");
	tcase_add_test(tc, test_headers_event_copies_trace_and_configured_headers);
	tcase_add_test(tc, test_headers_event_without_command_takes_order_trace);
	tcase_add_test(tc, test_headers_dead_letter_copies_what_events_copy);
	tcase_add_test(tc, test_headers_cloudevents_binary_mode);
	tcase_add_test(tc, test_headers_trace_context_is_validated);
	suite_add_tcase(s, tc);
	return pwt_run_suite(s);
}
