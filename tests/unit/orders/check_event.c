/* check_event.c -- the records the worker publishes fit their schemas
 * exactly (strict encoding with the codec), gateway details are mapped to
 * schema fields, dead letters are deterministic, the command envelope
 * checks the Product symbols. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "serde/codec.h"
#include "orders/event.h"
#include "serde/schemas.h"
#include "kafka/worker_int.h"

static pw_worker_opts_t opts;
static pw_event_topics_t tp;
static pw_codec_t *codec;

static void setup(void)
{
	pw_worker_opts_default(&opts);
	tp = (pw_event_topics_t){opts.topic_evt_payment, opts.topic_evt_refund,
				 opts.topic_evt_complaint};
	pw_codec_conf_t conf = {.serialization = PW_SER_AVRO};
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_new(&conf, &codec, eb) == PA_OK, "%s", eb);
}

static void teardown(void)
{
	pw_codec_destroy(codec);
}

static pw_order_t order(int kind, pa_status_t st, const char *raw)
{
	pw_order_t o;
	memset(&o, 0, sizeof o);
	strcpy(o.order_id, "ORD0000000001");
	strcpy(o.merchant, "demo");
	strcpy(o.product, kind == PW_KIND_PAYOUT ? "PAYOUT_IMPS_P2P_SEAMLESS"
						 : "PAYIN_UPI_P2C_SEAMLESS");
	strcpy(o.currency, "INR");
	strcpy(o.raw_status, raw);
	o.kind = (uint8_t)kind;
	o.status = (uint8_t)st;
	o.seq = 2;
	o.amount_minor = 10000;
	o.received_minor = -1;
	return o;
}

/* rec encodes strictly as the schema pw_event_schema() names, and decodes
 * back as that schema. */
static void assert_fits(const json_t *rec, const char *want_schema)
{
	const char *schema = pw_event_schema(rec);
	ck_assert_ptr_nonnull(schema);
	ck_assert_str_eq(schema, want_schema);
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_encode(codec, NULL, schema, rec, &buf, &len,
				      eb) == PA_OK,
		      "%s", eb);
	json_t *back;
	const char *name;
	ck_assert_msg(pw_codec_decode(codec, schema, buf, len, &back, &name,
				      eb) == PA_OK,
		      "%s", eb);
	ck_assert_str_eq(name, want_schema);
	json_decref(back);
	free(buf);
}

START_TEST(test_event_payment_fits_schema_with_gateway_details)
{
	pw_order_t o = order(PW_KIND_PAYIN, PA_STATUS_AMOUNT_MISMATCH,
			     "Amount Mismatch");
	o.received_minor = 9000;
	strcpy(o.ref_code, "REF123");
	json_t *det = json_pack(
		"{s:s s:{s:s s:i} s:s s:s s:s s:s s:{s:s s:s s:s}}", "qr_code",
		"upi://pay?pa=x", "intents", "paytm_intent", "paytmmp://x",
		"bogus", 1, "requested_amount", "100.50", "sender_upi",
		"someone@upi", "source", "webhook", "bank_ref", "UTR42",
		"refund_info", "refund_amount", "20", "refund_status",
		"Refund Initiated", "refunded_upi", "someone@upi");
	const char *topic;
	json_t *ev = pw_event_build(&o, PA_STATUS_PENDING, det, NULL, &topic,
				    &tp);
	ck_assert_str_eq(topic, opts.topic_evt_payment);
	assert_fits(ev, PW_SCHEMA_PAYMENT);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "direction")),
			 "PAYIN");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "product")),
			 "PAYIN_UPI_P2C_SEAMLESS");
	ck_assert_str_eq(
		json_string_value(json_object_get(ev, "previous_status")),
		"PENDING");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 ev, "requested_amount_minor")),
			 10050);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 ev, "received_amount_minor")),
			 9000);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(ev, "refund"),
				 "refund_amount_minor")),
			 2000);
	ck_assert_int_eq(json_object_size(json_object_get(ev, "intents")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "ref_code")),
			 "REF123");
	/* personal data and unknown keys are not copied */
	ck_assert_ptr_null(json_object_get(ev, "sender_upi"));
	ck_assert_ptr_null(json_object_get(ev, "source"));
	char *txt = json_dumps(ev, 0);
	ck_assert_ptr_null(strstr(txt, "someone@upi"));
	free(txt);
	json_decref(ev);
	json_decref(det);
}
END_TEST

/* Causation and metadata (schema_version 2): a command's event names it,
 * a webhook's or poll's names its own id instead, a deadline's none; every
 * event of the order returns the metadata of its command; the records
 * still fit their schemas. */
START_TEST(test_event_carries_its_cause_and_the_order_metadata)
{
	pw_order_t o = order(PW_KIND_PAYIN, PA_STATUS_PENDING, "Pending");
	json_t *ext = json_pack("{s:s s:{s:s s:s}}", "cid", "c-1", "md",
				"cart_id", "cart-8812", "channel", "app");
	ck_assert_int_eq(pw_order_set_ext(&o, ext), PA_OK);
	const char *topic;
	struct {
		pw_order_t o;
		pw_cause_t c;
		const char *schema, *cmd, *cause, *cid;
	} cases[] = {
		{o, {PW_CAUSE_COMMAND, "c-1", NULL}, PW_SCHEMA_PAYMENT, "c-1",
		 "COMMAND", NULL},
		{o, {PW_CAUSE_WEBHOOK, NULL, "payatom.int.webhook:3:1234"},
		 PW_SCHEMA_PAYMENT, NULL, "WEBHOOK", "payatom.int.webhook:3:1234"},
		{o, {PW_CAUSE_POLL, NULL, "ORD0000000001:poll:2"},
		 PW_SCHEMA_PAYMENT, NULL, "POLL", "ORD0000000001:poll:2"},
		{o, {PW_CAUSE_DEADLINE, NULL, NULL}, PW_SCHEMA_PAYMENT, NULL,
		 "DEADLINE", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *ev = pw_event_build(&cases[i].o, -1, NULL, NULL, &topic,
					    &tp);
		pw_event_add_cause(ev, &cases[i].o, &cases[i].c);
		assert_fits(ev, cases[i].schema);
		const char *cmd = json_string_value(json_object_get(ev, "command_id"));
		if (cases[i].cmd)
			ck_assert_str_eq(cmd, cases[i].cmd);
		else
			ck_assert(json_is_null(json_object_get(ev, "command_id")));
		ck_assert_str_eq(json_string_value(json_object_get(ev, "cause")),
				 cases[i].cause);
		if (cases[i].cid)
			ck_assert_str_eq(json_string_value(json_object_get(ev, "cause_id")),
					 cases[i].cid);
		else
			ck_assert(json_is_null(json_object_get(ev, "cause_id")));
		ck_assert(json_equal(json_object_get(ev, "metadata"),
				     json_object_get(ext, "md")));
		json_decref(ev);
	}
	/* a refund event keeps the refund command's id from its details */
	pw_order_t r = order(PW_KIND_PAYIN, PA_STATUS_REFUND_PENDING,
			     "Refund Initiated");
	pw_order_copy(&r, &o);
	r.status = PA_STATUS_REFUND_PENDING;
	json_t *det = json_pack("{s:s}", "command_id", "c-refund-1");
	json_t *ev = pw_event_build(&r, PA_STATUS_SUCCEEDED, det, NULL, &topic, &tp);
	pw_cause_t wh = {PW_CAUSE_WEBHOOK, NULL, "payatom.int.webhook:0:9"};
	pw_event_add_cause(ev, &r, &wh);
	assert_fits(ev, PW_SCHEMA_REFUND);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "command_id")),
			 "c-refund-1");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "cause")), "WEBHOOK");
	json_decref(ev);
	json_decref(det);
	pw_order_release(&r);
	/* no ext: metadata null, cause OTHER when unknown */
	pw_order_release(&o);
	ev = pw_event_build(&o, -1, NULL, NULL, &topic, &tp);
	pw_event_add_cause(ev, &o, NULL);
	assert_fits(ev, PW_SCHEMA_PAYMENT);
	ck_assert(json_is_null(json_object_get(ev, "metadata")));
	ck_assert_str_eq(json_string_value(json_object_get(ev, "cause")), "OTHER");
	json_decref(ev);
	/* a dead letter: the command's metadata when within bounds, else
	 * the order's for a follow-up */
	json_t *rec = json_pack("{s:s s:s s:{s:s}}", "order_id", "ORD1",
				"command_id", "c-9", "metadata", "k", "v");
	json_t *dl = pw_dead_letter_build("t", 0, 1, "ORD1", 4, "x", 1,
					  "VALIDATION", NULL, "m", rec);
	assert_fits(dl, PW_SCHEMA_DEAD_LETTER);
	ck_assert_str_eq(json_string_value(json_object_get(dl, "command_id")), "c-9");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(dl, "metadata"), "k")), "v");
	json_decref(dl);
	json_object_set_new(rec, "metadata", json_pack("{s:i}", "k", 1));
	dl = pw_dead_letter_build("t", 0, 1, "ORD1", 4, "x", 1, "VALIDATION",
				  NULL, "m", rec);
	ck_assert_ptr_null(json_object_get(dl, "metadata"));
	ck_assert_int_eq(pw_order_set_ext(&o, ext), PA_OK);
	pw_dead_letter_add_order(dl, &o);
	assert_fits(dl, PW_SCHEMA_DEAD_LETTER);
	ck_assert(json_equal(json_object_get(dl, "metadata"),
			     json_object_get(ext, "md")));
	json_decref(dl);
	json_decref(rec);
	pw_order_release(&o);
	json_decref(ext);
}
END_TEST

START_TEST(test_event_first_payout_event_has_no_previous_status)
{
	pw_order_t o = order(PW_KIND_PAYOUT, PA_STATUS_PENDING, "Pending");
	o.seq = 1;
	const char *topic;
	json_t *ev = pw_event_build(&o, -1, NULL, "why", &topic, &tp);
	assert_fits(ev, PW_SCHEMA_PAYMENT);
	ck_assert_ptr_null(json_object_get(ev, "previous_status"));
	ck_assert_str_eq(json_string_value(json_object_get(ev, "direction")),
			 "PAYOUT");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "reason")),
			 "why");
	ck_assert_int_eq(json_integer_value(json_object_get(ev, "sequence")),
			 1);
	json_decref(ev);
}
END_TEST

START_TEST(test_event_refund_uses_refund_schema)
{
	pw_order_t o = order(PW_KIND_PAYIN, PA_STATUS_REFUNDED,
			     "Refund Completed");
	/* as gateway_payatom.c gives it: refund_info, amount in minor */
	json_t *det = json_pack("{s:{s:I s:s s:s}}", "refund_info",
				"refund_amount_minor", (json_int_t)2500,
				"refund_status", "Refund Completed",
				"refund_completed_time", "May 2, 2026");
	const char *topic;
	json_t *ev = pw_event_build(&o, PA_STATUS_SUCCEEDED, det, NULL, &topic,
				    &tp);
	ck_assert_str_eq(topic, opts.topic_evt_refund);
	assert_fits(ev, PW_SCHEMA_REFUND);
	ck_assert_int_eq(json_integer_value(json_object_get(ev, "amount_minor")),
			 2500);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(ev, "refund"), "completed_at")),
			 "May 2, 2026");
	ck_assert_ptr_null(json_object_get(ev, "direction"));
	ck_assert_ptr_null(json_object_get(ev, "product"));
	ck_assert(json_is_true(json_object_get(ev, "terminal")));
	json_decref(ev);
	json_decref(det);
}
END_TEST

START_TEST(test_event_complaint_status_is_normalized)
{
	static const struct {
		pa_status_t st;
		const char *raw, *want;
	} cases[] = {
		{PA_STATUS_PENDING, "Complaint Submitted", "SUBMITTED"},
		{PA_STATUS_PENDING, "Under Review", "IN_REVIEW"},
		{PA_STATUS_SUCCEEDED, "Resolved", "RESOLVED"},
		{PA_STATUS_DECLINED, "Rejected by bank", "REJECTED"},
		{PA_STATUS_FAILED, "", "FAILED"},
		{PA_STATUS_UNRESOLVED, "???", "UNRESOLVED"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pw_order_t o = order(PW_KIND_COMPLAINT, cases[i].st,
				     cases[i].raw);
		o.currency[0] = '\0';
		json_t *det = json_pack("{s:s}", "complaint_id", "CMP-9");
		const char *topic;
		json_t *ev = pw_event_build(&o, -1, det, NULL, &topic, &tp);
		ck_assert_str_eq(topic, opts.topic_evt_complaint);
		assert_fits(ev, PW_SCHEMA_COMPLAINT);
		ck_assert_str_eq(
			json_string_value(json_object_get(ev, "status")),
			cases[i].want);
		ck_assert_str_eq(json_string_value(json_object_get(
					 ev, "complaint_id")),
				 "CMP-9");
		json_decref(ev);
		json_decref(det);
	}
}
END_TEST

START_TEST(test_event_dead_letter_fits_schema_and_id_is_deterministic)
{
	json_t *rec = json_pack("{s:s s:s}", "order_id", "ORD1", "merchant",
				"demo");
	json_t *a = pw_dead_letter_build("payatom.cmd.payin", 3, 42, "ORD1", 4,
					 "\x01\x02", 2, "UNKNOWN_SCHEMA",
					 "NOT_FOUND", "fingerprint 0x1", rec);
	json_t *b = pw_dead_letter_build("payatom.cmd.payin", 3, 42, "ORD1", 4,
					 "\x01\x02", 2, "UNKNOWN_SCHEMA",
					 "NOT_FOUND", "fingerprint 0x1", rec);
	json_t *c = pw_dead_letter_build("payatom.cmd.payin", 3, 43, "ORD1", 4,
					 NULL, 0, "MALFORMED", NULL, "m", NULL);
	assert_fits(a, PW_SCHEMA_DEAD_LETTER);
	assert_fits(c, PW_SCHEMA_DEAD_LETTER);
	const char *ia = json_string_value(json_object_get(a, "event_id"));
	ck_assert_int_eq(strlen(ia), 32);
	ck_assert_str_eq(ia, json_string_value(json_object_get(b, "event_id")));
	ck_assert_str_ne(ia, json_string_value(json_object_get(c, "event_id")));
	ck_assert_str_eq(json_string_value(json_object_get(a, "payload")),
			 "AQI=");
	ck_assert_str_eq(json_string_value(json_object_get(a, "key")),
			 "T1JEMQ==");
	ck_assert_str_eq(json_string_value(json_object_get(a, "order_id")),
			 "ORD1");
	ck_assert_str_eq(json_string_value(json_object_get(a, "error_name")),
			 "NOT_FOUND");
	ck_assert(json_is_null(json_object_get(c, "error_name")));
	/* no record: the key (commands are keyed by order_id) */
	ck_assert_str_eq(json_string_value(json_object_get(c, "order_id")),
			 "ORD1");
	json_t *d = pw_dead_letter_build("t", 0, 1, "a b", 3, NULL, 0,
					 "MALFORMED", NULL, "m", NULL);
	ck_assert(json_is_null(json_object_get(d, "order_id")));
	json_decref(d);
	ck_assert_str_eq(json_string_value(json_object_get(c, "payload")), "");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(rec);
}
END_TEST

static pa_err_t check(const char *type, const char *product,
		      const char *country, const char *currency, int topic,
		      pw_cmd_info_t *ci, char *eb)
{
	json_t *cmd = json_pack("{s:s s:s s:s s:s s:I}", "type", type,
				"merchant", "demo", "order_id", "ORD1",
				"product", product, "amount_minor",
				(json_int_t)100);
	if (country)
		json_object_set_new(cmd, "country", json_string(country));
	if (currency)
		json_object_set_new(cmd, "currency", json_string(currency));
	pa_err_t err = pw_cmd_check(cmd, topic, ci, eb);
	json_decref(cmd);
	return err;
}

START_TEST(test_event_cmd_check_takes_schema_products)
{
	pw_cmd_info_t ci;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(check("payin", "PAYIN_WALLET_P2P_SEAMLESS", "BD",
			       "BDT", PW_IN_PAYIN, &ci, eb),
			 PA_OK);
	ck_assert_ptr_nonnull(ci.prod);
	ck_assert_int_eq(ci.prod->channel, PA_CHANNEL_WALLET);
	ck_assert_int_eq(ci.prod->flow, PA_FLOW_SEAMLESS);
	ck_assert_int_eq(ci.prod->party, PA_PARTY_P2P);
	/* currency defaults to the product's */
	ck_assert_int_eq(check("payout", "PAYOUT_UPI_P2C_SEAMLESS", NULL, NULL,
			       PW_IN_PAYOUT, &ci, eb),
			 PA_OK);
	ck_assert_str_eq(ci.currency, "INR");
	ck_assert_int_eq(ci.prod->payout_mode, PA_PAYOUT_UPI);
	ck_assert_int_eq(check("payin", "PAYOUT_UPI_P2C_SEAMLESS", NULL, NULL,
			       PW_IN_PAYIN, &ci, eb),
			 PA_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(eb, "not a payin product"));
	ck_assert_int_eq(check("payin", "UNKNOWN", NULL, NULL, PW_IN_PAYIN,
			       &ci, eb),
			 PA_UNSUPPORTED);
	ck_assert_int_eq(check("payin", "IN_UPI_P2C_SEAMLESS", NULL, NULL,
			       PW_IN_PAYIN, &ci, eb),
			 PA_UNSUPPORTED);
	ck_assert_int_eq(check("payin", "PAYIN_PK_H2H", "IN", NULL,
			       PW_IN_PAYIN, &ci, eb),
			 PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "country"));
	ck_assert_int_eq(check("payin", "PAYIN_PK_H2H", "PK", "INR",
			       PW_IN_PAYIN, &ci, eb),
			 PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "currency"));
}
END_TEST

/* n copies of the UTF-8 character c. New (caller frees). */
static char *repeat(const char *c, size_t n)
{
	size_t cl = strlen(c);
	char *s = malloc(cl * n + 1);
	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * cl, c, cl);
	s[cl * n] = '\0';
	return s;
}

static pa_err_t check_meta(json_t *meta, char *eb)
{
	json_t *cmd = json_pack("{s:s s:s s:s s:s s:I s:o}", "type", "payin",
				"merchant", "demo", "order_id", "ORD1",
				"product", "PAYIN_UPI_P2C_SEAMLESS",
				"amount_minor", (json_int_t)100, "metadata",
				meta);
	pw_cmd_info_t ci;
	pa_err_t err = pw_cmd_check(cmd, PW_IN_PAYIN, &ci, eb);
	json_decref(cmd);
	return err;
}

/* metadata bounds (docs/events.md): 20 keys, keys of 1-40 characters,
 * values of at most 500, counted in code points; a message names the key
 * and the bound, never the value. */
START_TEST(test_event_cmd_check_bounds_metadata)
{
	char eb[PA_ERRBUF_SIZE] = "";
	json_t *m = json_object();
	for (int i = 0; i < PW_META_MAX_KEYS; i++) {
		char k[16];
		snprintf(k, sizeof k, "k%d", i);
		json_object_set_new(m, k, json_string("v"));
	}
	ck_assert_int_eq(check_meta(json_incref(m), eb), PA_OK);
	json_object_set_new(m, "one_more", json_string("v"));
	ck_assert_int_eq(check_meta(m, eb), PA_VALIDATION);
	ck_assert_str_eq(eb, "metadata: 21 keys, at most 20");

	char *k40 = repeat("\xc3\xa9", 40), *k41 = repeat("k", 41); /* é: 2 bytes */
	char *v500 = repeat("\xe0\xa4\xb9", 500); /* ह: 3 bytes */
	char *v501 = repeat("x", 501);
	ck_assert_int_eq(check_meta(json_pack("{s:s}", k40, v500), eb), PA_OK);
	ck_assert_int_eq(check_meta(json_pack("{s:s}", k41, "v"), eb),
			 PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "is 41 characters, keys have 1 to 40"));
	ck_assert_int_eq(check_meta(json_pack("{s:s}", "", "v"), eb),
			 PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "is 0 characters"));
	ck_assert_int_eq(check_meta(json_pack("{s:s}", "note", v501), eb),
			 PA_VALIDATION);
	ck_assert_str_eq(eb, "metadata.note: value of 501 characters, at most 500");
	ck_assert_ptr_null(strstr(eb, "xxx"));
	ck_assert_int_eq(check_meta(json_pack("{s:i}", "n", 1), eb),
			 PA_VALIDATION);
	ck_assert_str_eq(eb, "metadata.n: expected a string");
	ck_assert_int_eq(check_meta(json_null(), eb), PA_OK);
	ck_assert_int_eq(check_meta(json_string("x"), eb), PA_VALIDATION);
	free(k40);
	free(k41);
	free(v500);
	free(v501);
}
END_TEST

/* Every Product symbol of the schemas (but UNKNOWN) is in the table, with
 * the direction its name says. */
START_TEST(test_event_product_table_matches_schema)
{
	size_t idx;
	ck_assert_int_eq(pw_schemas_find("PayinCommand", &idx), PA_OK);
	const char *txt;
	size_t len;
	ck_assert_int_eq(pw_schemas_get(idx, NULL, &txt, &len), PA_OK);
	json_t *s = json_loadb(txt, len, 0, NULL);
	ck_assert_ptr_nonnull(s);
	json_t *syms = NULL, *f;
	size_t i;
	json_array_foreach(json_object_get(s, "fields"), i, f)
		if (!strcmp(json_string_value(json_object_get(f, "name")),
			    "product"))
			syms = json_object_get(json_object_get(f, "type"),
					       "symbols");
	ck_assert_uint_gt(json_array_size(syms), 10);
	json_array_foreach(syms, i, f)
	{
		const char *n = json_string_value(f);
		const pw_product_t *p = pw_product_find(n);
		if (!strcmp(n, "UNKNOWN")) {
			ck_assert_ptr_null(p);
			continue;
		}
		ck_assert_msg(p != NULL, "%s missing", n);
		ck_assert_int_eq(p->kind, strncmp(n, "PAYOUT_", 7) == 0
						  ? PW_KIND_PAYOUT
						  : PW_KIND_PAYIN);
		ck_assert_uint_lt(strlen(n), sizeof((pw_order_t *)0)->product);
	}
	json_decref(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("event");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_event_payment_fits_schema_with_gateway_details);
	tcase_add_test(tc, test_event_first_payout_event_has_no_previous_status);
	tcase_add_test(tc, test_event_refund_uses_refund_schema);
	tcase_add_test(tc, test_event_complaint_status_is_normalized);
	tcase_add_test(tc,
		       test_event_dead_letter_fits_schema_and_id_is_deterministic);
	tcase_add_test(tc, test_event_cmd_check_takes_schema_products);
	tcase_add_test(tc, test_event_cmd_check_bounds_metadata);
	tcase_add_test(tc, test_event_carries_its_cause_and_the_order_metadata);
	tcase_add_test(tc, test_event_product_table_matches_schema);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
