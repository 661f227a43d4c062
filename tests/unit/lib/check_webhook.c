/* check_webhook.c -- callback parse/verify/ack (spec §5, §6, §12.1) against
 * vectors sealed by PayAtom's PHP encrypt() (tests/data/gen/). */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/webhook.h"
#include "pwtest.h"

static pa_secret_t *sec;

static void setup(void)
{
	size_t n;
	char *k = pwt_read_data("webhook/secret.txt", &n);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(pa_secret_new(k, n, &sec), PA_OK);
	free(k);
}

static void teardown(void)
{
	pa_secret_destroy(sec);
	sec = NULL;
}

/* Parses and verifies tests/data/webhook/<name>.json; returns verify's code
 * (or parse's, when parsing fails). upd is left filled for inspection. */
static pa_err_t run(const char *name, pa_amount_pref_t pref,
		    pa_txn_update_t *upd, char *eb)
{
	char path[128];
	size_t len;
	snprintf(path, sizeof(path), "webhook/%s.json", name);
	char *body = pwt_read_data(path, &len);
	ck_assert_msg(body != NULL, "missing %s", path);
	pa_err_t e = pa_webhook_parse((const uint8_t *)body, len, upd, eb);
	free(body);
	if (e)
		return e;
	return pa_txn_update_verify(sec, pref, upd, eb);
}

START_TEST(test_webhook_verifies_php_sealed_callback)
{
	pa_txn_update_t u;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(run("callback_approved", PA_AMOUNT_PREF_RECEIVED, &u,
			     eb),
			 PA_OK);
	ck_assert_int_eq(u.hash_variant, PA_HASH_RECEIVED_AS_SENT);
	ck_assert_str_eq(u.order_id, "ORD1234567890");
	ck_assert_str_eq(u.ref_code, "9f1c2d3e4b5a6978");
	ck_assert_str_eq(u.bank_ref, "412345678901");
	ck_assert_str_eq(u.sender_upi, "payer@okicici");
	ck_assert_int_eq(u.status, PA_STATUS_SUCCEEDED);
	ck_assert_int_eq(u.received_amount.minor, 10000);
	ck_assert_int_eq(u.has_refund_info, 0); /* [] means none */
	ck_assert_int_eq(u.webhook_acknowledged, -1);
	pa_txn_update_clear(&u);
	pa_txn_update_clear(&u); /* twice is safe */
}
END_TEST

START_TEST(test_webhook_amount_mismatch_acts_on_received_amount)
{
	pa_txn_update_t u;
	int64_t amt;
	ck_assert_int_eq(run("callback_amount_mismatch",
			     PA_AMOUNT_PREF_RECEIVED, &u, NULL),
			 PA_OK);
	ck_assert_int_eq(u.status, PA_STATUS_AMOUNT_MISMATCH);
	ck_assert_int_eq(u.requested_amount.minor, 50000);
	ck_assert(pa_txn_update_amount(&u, &amt));
	ck_assert_int_eq(amt, 45000);
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_accepts_php_printed_decimal_amount)
{
	pa_txn_update_t u;
	ck_assert_int_eq(run("callback_decimal_php_hash",
			     PA_AMOUNT_PREF_RECEIVED, &u, NULL),
			 PA_OK);
	ck_assert_str_eq(u.received_amount.text, "12.50");
	ck_assert_int_eq(u.hash_variant, PA_HASH_RECEIVED_PHP);
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_accepts_older_requested_amount_form)
{
	pa_txn_update_t u;
	ck_assert_int_eq(run("callback_hash_over_requested",
			     PA_AMOUNT_PREF_RECEIVED, &u, NULL),
			 PA_OK);
	ck_assert_int_eq(u.hash_variant, PA_HASH_REQUESTED_AS_SENT);
	ck_assert_int_eq(u.status, PA_STATUS_SUCCEEDED_LATE);
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_accepts_feb2023_amount_field_with_refund_info)
{
	pa_txn_update_t u;
	ck_assert_int_eq(run("poll_refund_initiated_amount_form",
			     PA_AMOUNT_PREF_RECEIVED, &u, NULL),
			 PA_OK);
	ck_assert_int_eq(u.hash_variant, PA_HASH_AMOUNT_AS_SENT);
	ck_assert_int_eq(u.status, PA_STATUS_REFUND_PENDING);
	ck_assert_int_eq(u.webhook_acknowledged, 0);
	ck_assert_str_eq(u.upi_id, "collect@upi");
	ck_assert_int_eq(u.has_refund_info, 1);
	ck_assert_int_eq(u.refund.refund_amount.minor, 10000);
	ck_assert_str_eq(u.refund.refund_status, "Refund Initiated");
	ck_assert_str_eq(u.refund.refund_initiated_time,
			 "February 11, 2023, 4:34 pm");
	ck_assert_str_eq(u.refund.refund_completed_time, "");
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_accepts_numeric_amounts)
{
	pa_txn_update_t u;
	ck_assert_int_eq(run("poll_numeric_amounts", PA_AMOUNT_PREF_RECEIVED,
			     &u, NULL),
			 PA_OK);
	ck_assert_str_eq(u.received_amount.text, "201");
	ck_assert_int_eq(u.received_amount.minor, 20100);
	ck_assert_int_eq(u.webhook_acknowledged, 1);
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_amount_pref_orders_variants)
{
	pa_txn_update_t u;
	/* Both amounts are "100": the preference decides which is reported. */
	ck_assert_int_eq(run("callback_approved", PA_AMOUNT_PREF_REQUESTED, &u,
			     NULL),
			 PA_OK);
	ck_assert_int_eq(u.hash_variant, PA_HASH_REQUESTED_AS_SENT);
	pa_txn_update_clear(&u);
}
END_TEST

/* issue 13: bodies the docs' PHP verifies (sealed by its encrypt(), see
 * tests/data/gen/webhook_vectors.sh) verify here too. */
static void expect_verified(const char *name, pa_hash_variant_t var,
			    int64_t minor)
{
	pa_txn_update_t u;
	char eb[PA_ERRBUF_SIZE] = "";
	int64_t amt = -1;
	ck_assert_msg(run(name, PA_AMOUNT_PREF_RECEIVED, &u, eb) == PA_OK,
		      "%s: %s", name, eb);
	ck_assert_msg(u.hash_variant == var, "%s: verified as %s", name,
		      pa_hash_variant_name(u.hash_variant));
	ck_assert_int_eq(pa_txn_update_usable(&u, NULL), PA_OK);
	if (minor < 0)
		ck_assert_msg(!pa_txn_update_amount(&u, &amt),
			      "%s: acts on %lld", name, (long long)amt);
	else
		ck_assert_msg(pa_txn_update_amount(&u, &amt) && amt == minor,
			      "%s: acts on %lld", name, (long long)amt);
	pa_txn_update_clear(&u);
}

START_TEST(test_webhook_accepts_amount_as_php_float)
{
	expect_verified("callback_float_100_00", PA_HASH_RECEIVED_AS_SENT,
			10000);
	expect_verified("callback_float_500_0", PA_HASH_RECEIVED_AS_SENT,
			50000);
	expect_verified("callback_float_2000_0", PA_HASH_RECEIVED_AS_SENT,
			200000);
	expect_verified("callback_float_exp", PA_HASH_RECEIVED_AS_SENT, 10000);
	expect_verified("callback_float_exp_upper", PA_HASH_RECEIVED_AS_SENT,
			10000);
	expect_verified("callback_float_requested_amount",
			PA_HASH_RECEIVED_AS_SENT, 10000);
	/* 0.30000000000000004 is "0.3" to PHP (precision 14) */
	expect_verified("callback_float_17_digits", PA_HASH_RECEIVED_AS_SENT,
			30);
}
END_TEST

START_TEST(test_webhook_pending_without_received_amount_hashes_empty)
{
	/* PHP concatenates null (and an absent key) as "": no amount */
	expect_verified("callback_pending_received_null",
			PA_HASH_RECEIVED_AS_SENT, -1);
	expect_verified("callback_pending_received_absent",
			PA_HASH_RECEIVED_AS_SENT, -1);
}
END_TEST

START_TEST(test_webhook_numeric_order_id_hashes_its_digits)
{
	pa_txn_update_t u;
	ck_assert_int_eq(run("callback_numeric_order_id",
			     PA_AMOUNT_PREF_RECEIVED, &u, NULL),
			 PA_OK);
	ck_assert_str_eq(u.order_id, "12345");
	ck_assert_int_eq(pa_txn_update_usable(&u, NULL), PA_OK);
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_reads_post_hash_as_php_base64_decode)
{
	static const char *const forms[] = {
		"callback_post_hash_unpadded", "callback_post_hash_chunked",
		"callback_post_hash_spaces", "callback_post_hash_inner_equals",
		"callback_post_hash_stray_char"};
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
		expect_verified(forms[i], PA_HASH_RECEIVED_AS_SENT, 10000);
}
END_TEST

START_TEST(test_webhook_refuses_hash_over_amount_when_received_differs)
{
	/* api.h D1: the docs' PHP accepts this; the hash does not cover the
	 * received_amount we act on, and the refusal says so */
	pa_txn_update_t u;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(run("callback_amount_form_received_differs",
			     PA_AMOUNT_PREF_RECEIVED, &u, eb),
			 PA_UNHASHED_AMOUNT);
	ck_assert_ptr_nonnull(strstr(eb, "received_amount"));
	ck_assert_int_eq(u.hash_variant, PA_HASH_NONE);
	pa_txn_update_clear(&u);
	/* the same with no amount field at all: PHP concatenates "" */
	ck_assert_int_eq(run("callback_hash_over_no_amount",
			     PA_AMOUNT_PREF_RECEIVED, &u, eb),
			 PA_UNHASHED_AMOUNT);
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_verified_without_order_id_is_not_usable)
{
	/* api.h D3: verifies as in PHP (hash over ""), cannot be applied */
	pa_txn_update_t u;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(run("callback_no_order_id", PA_AMOUNT_PREF_RECEIVED,
			     &u, NULL),
			 PA_OK);
	ck_assert_int_eq(pa_txn_update_usable(&u, eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "order_id"));
	pa_txn_update_clear(&u);
}
END_TEST

static void expect_mismatch(const char *name)
{
	pa_txn_update_t u;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(run(name, PA_AMOUNT_PREF_RECEIVED, &u, eb) ==
			      PA_HASH_MISMATCH,
		      "%s verified", name);
	ck_assert_int_eq(u.hash_variant, PA_HASH_NONE);
	ck_assert_int_gt(strlen(eb), 0);
	pa_txn_update_clear(&u);
}

START_TEST(test_webhook_rejects_tampered_amount)
{
	expect_mismatch("callback_tampered_amount");
}
END_TEST

START_TEST(test_webhook_rejects_tampered_status)
{
	expect_mismatch("callback_tampered_status");
}
END_TEST

START_TEST(test_webhook_rejects_tampered_order_id)
{
	expect_mismatch("callback_tampered_order_id");
}
END_TEST

START_TEST(test_webhook_rejects_tampered_mac)
{
	expect_mismatch("callback_tampered_mac");
}
END_TEST

START_TEST(test_webhook_rejects_other_merchants_secret)
{
	expect_mismatch("callback_wrong_secret");
}
END_TEST

START_TEST(test_webhook_rejects_received_amount_outside_the_hash)
{
	expect_mismatch("callback_unhashed_received_amount");
}
END_TEST

START_TEST(test_webhook_missing_post_hash_is_mismatch)
{
	const char *b = "{\"order_id\":\"ORD1234567890\",\"status\":"
			"\"Approved\",\"received_amount\":\"100\"}";
	pa_txn_update_t u;
	ck_assert_int_eq(pa_webhook_parse((const uint8_t *)b, strlen(b), &u,
					  NULL),
			 PA_OK);
	ck_assert_int_eq(
		pa_txn_update_verify(sec, PA_AMOUNT_PREF_RECEIVED, &u, NULL),
		PA_HASH_MISMATCH);
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_rejects_oversized_body)
{
	size_t n = PA_WEBHOOK_MAX_BODY + 1;
	char *b = malloc(n);
	memset(b, ' ', n);
	b[0] = '{';
	b[n - 1] = '}';
	pa_txn_update_t u;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_webhook_parse((const uint8_t *)b, n, &u, eb),
			 PA_TOO_BIG);
	ck_assert_ptr_null(u.json_);
	free(b);
}
END_TEST

START_TEST(test_webhook_rejects_what_php_cannot_decode)
{
	/* json_decode() gives null for each: the docs' PHP never verifies
	 * them either */
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2,3]",
		"\"a string\"",
		"{\"order_id\":\"ORD1234567890\"",
		"{\"a\":\"\\ud800\"}",
		"\xef\xbb\xbf{}",
		"{\"a\":\"\xc3(\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pa_txn_update_t u;
		char eb[PA_ERRBUF_SIZE];
		ck_assert_msg(pa_webhook_parse((const uint8_t *)bad[i],
					       strlen(bad[i]), &u,
					       eb) == PA_PARSE,
			      "accepted: %s", bad[i]);
		ck_assert_ptr_null(u.json_);
	}
	/* a raw NUL byte */
	const char nul[] = "{\"order_id\":\"O\0\",\"status\":\"Approved\"}";
	pa_txn_update_t u;
	ck_assert_int_eq(pa_webhook_parse((const uint8_t *)nul,
					  sizeof(nul) - 1, &u, NULL),
			 PA_PARSE);
	/* 511 levels of nesting decode in PHP, 512 do not */
	for (int levels = 511; levels <= 512; levels++) {
		char b[4096];
		int o = snprintf(b, sizeof b, "{\"x\":");
		for (int i = 1; i < levels; i++)
			b[o++] = '[';
		b[o++] = '1';
		for (int i = 1; i < levels; i++)
			b[o++] = ']';
		b[o++] = '}';
		ck_assert_int_eq(pa_webhook_parse((const uint8_t *)b,
						  (size_t)o, &u, NULL),
				 levels == 511 ? PA_OK : PA_PARSE);
		pa_txn_update_clear(&u);
	}
	/* numbers PHP reads as floats and jansson cannot hold (api.h D4) */
	static const char *const range[] = {
		"{\"received_amount\":99999999999999999999}",
		"{\"received_amount\":1e400}",
	};
	for (size_t i = 0; i < 2; i++)
		ck_assert_int_eq(pa_webhook_parse((const uint8_t *)range[i],
						  strlen(range[i]), &u, NULL),
				 PA_PARSE);
}
END_TEST

/* Fields are read as PHP reads them: nothing that is not hashed (or is
 * hashed but odd) makes the body fail to parse. */
START_TEST(test_webhook_reads_odd_fields_as_php_does)
{
	static const struct {
		const char *body, *order_id, *status, *received;
		int usable;
	} c[] = {
		{"{\"status\":\"Approved\",\"post_hash\":\"x\"}", "",
		 "Approved", "", 0},
		{"{\"order_id\":\"O1\",\"post_hash\":\"x\"}", "O1", "", "", 0},
		{"{\"order_id\":42,\"status\":\"Approved\"}", "42", "Approved",
		 "", 1},
		{"{\"order_id\":4.5,\"status\":\"Approved\"}", "4.5", "Approved",
		 "", 0},
		{"{\"order_id\":[],\"status\":1}", "Array", "1", "", 0},
		{"{\"order_id\":true,\"status\":\"Approved\"}", "1", "Approved",
		 "", 0},
		{"{\"order_id\":\"O\",\"status\":\"Approved\",\"received_amount\":"
		 "{}}",
		 "O", "Approved", "Array", 1},
		{"{\"order_id\":\"O\",\"status\":\"Approved\",\"refund_info\":"
		 "\"x\",\"webhook_acknowledged\":\"yes\"}",
		 "O", "Approved", "", 1},
		/* the last of two equal keys counts, as in PHP */
		{"{\"order_id\":\"O\",\"order_id\":\"P\",\"status\":\"Pending\"}",
		 "P", "Pending", "", 1},
		{"{\"order_id\":\"O\",\"status\":\"Approved\",\"received_amount\":"
		 "1.0e+2}",
		 "O", "Approved", "100", 1},
		{"{\"order_id\":\"O\",\"status\":\"Approved\",\"received_amount\":"
		 "false}",
		 "O", "Approved", "", 1},
		{"{\"order_id\":\"\",\"status\":\"Approved\"}", "", "Approved", "",
		 0},
		{"{\"order_id\":\"O\",\"status\":\"\"}", "O", "", "", 0},
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		pa_txn_update_t u;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_msg(pa_webhook_parse((const uint8_t *)c[i].body,
					       strlen(c[i].body), &u,
					       eb) == PA_OK,
			      "%s: %s", c[i].body, eb);
		ck_assert_str_eq(u.order_id, c[i].order_id);
		ck_assert_str_eq(u.status_raw, c[i].status);
		ck_assert_str_eq(u.received_amount.text, c[i].received);
		ck_assert_msg((pa_txn_update_usable(&u, eb) == PA_OK) ==
				      c[i].usable,
			      "%s: usable %s", c[i].body, eb);
		if (!c[i].usable)
			ck_assert(strstr(eb, "order_id") ||
				  strstr(eb, "status"));
		pa_txn_update_clear(&u);
	}
	/* a long amount is still hashed as sent; it is no amount */
	char b[300];
	snprintf(b, sizeof b,
		 "{\"order_id\":\"O\",\"status\":\"Approved\","
		 "\"received_amount\":\"%0100d\"}",
		 7);
	pa_txn_update_t u;
	ck_assert_int_eq(pa_webhook_parse((const uint8_t *)b, strlen(b), &u,
					  NULL),
			 PA_OK);
	ck_assert_uint_eq(u.received_amount.text_len, 100);
	ck_assert_int_eq(u.received_amount.valid, 0);
	pa_txn_update_clear(&u);
	/* "\u0000" inside a string is a byte of the text (PHP keeps it) */
	const char *z = "{\"order_id\":\"O\\u0000P\",\"status\":\"Approved\"}";
	ck_assert_int_eq(pa_webhook_parse((const uint8_t *)z, strlen(z), &u,
					  NULL),
			 PA_OK);
	ck_assert_uint_eq(u.order_id_len, 3);
	ck_assert_int_eq(pa_txn_update_usable(&u, NULL), PA_PARSE);
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_body_is_length_bounded)
{
	/* Valid JSON followed by bytes outside len: only len counts. */
	const char *b = "{\"order_id\":\"ORD1234567890\",\"status\":\"Pending\"}"
			"GARBAGE";
	pa_txn_update_t u;
	ck_assert_int_eq(pa_webhook_parse((const uint8_t *)b, strlen(b) - 7,
					  &u, NULL),
			 PA_OK);
	ck_assert_int_eq(u.status, PA_STATUS_PENDING);
	pa_txn_update_clear(&u);
}
END_TEST

START_TEST(test_webhook_error_reply_is_classified)
{
	size_t len;
	char *b = pwt_read_data("spec/error_reference_code_not_found.json",
				&len);
	pa_txn_update_t u;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_webhook_parse((const uint8_t *)b, len, &u, eb),
			 PA_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(eb, "Reference code not found."));
	free(b);
}
END_TEST

START_TEST(test_webhook_ack_bodies_are_documented_json)
{
	for (int m = 0; m < 2; m++)
		for (int a = 0; a < 2; a++) {
			const char *s = pa_webhook_ack_body(m, a);
			json_t *j = json_loads(s, 0, NULL);
			ck_assert_ptr_nonnull(j);
			ck_assert_str_eq(
				json_string_value(
					json_object_get(j, "hash_status")),
				m ? "HashMatched" : "HashMismatch");
			ck_assert_str_eq(json_string_value(json_object_get(
						 j, "acknowledge")),
					 a ? "yes" : "no");
			ck_assert_int_eq(json_object_size(j), 2);
			json_decref(j);
		}
	ck_assert_str_eq(pa_webhook_ack_body(1, 1),
			 "{\"hash_status\":\"HashMatched\",\"acknowledge\":"
			 "\"yes\"}");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("webhook");
	TCase *v = tcase_create("verify");
	tcase_add_checked_fixture(v, setup, teardown);
	tcase_add_test(v, test_webhook_verifies_php_sealed_callback);
	tcase_add_test(v, test_webhook_amount_mismatch_acts_on_received_amount);
	tcase_add_test(v, test_webhook_accepts_php_printed_decimal_amount);
	tcase_add_test(v, test_webhook_accepts_older_requested_amount_form);
	tcase_add_test(v,
		       test_webhook_accepts_feb2023_amount_field_with_refund_info);
	tcase_add_test(v, test_webhook_accepts_numeric_amounts);
	tcase_add_test(v, test_webhook_amount_pref_orders_variants);
	suite_add_tcase(s, v);
	TCase *php = tcase_create("php_fidelity_issue_13");
	tcase_add_checked_fixture(php, setup, teardown);
	tcase_add_test(php, test_webhook_accepts_amount_as_php_float);
	tcase_add_test(php,
		       test_webhook_pending_without_received_amount_hashes_empty);
	tcase_add_test(php, test_webhook_numeric_order_id_hashes_its_digits);
	tcase_add_test(php, test_webhook_reads_post_hash_as_php_base64_decode);
	tcase_add_test(php,
		       test_webhook_refuses_hash_over_amount_when_received_differs);
	tcase_add_test(php, test_webhook_verified_without_order_id_is_not_usable);
	suite_add_tcase(s, php);
	TCase *t = tcase_create("tampering");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_webhook_rejects_tampered_amount);
	tcase_add_test(t, test_webhook_rejects_tampered_status);
	tcase_add_test(t, test_webhook_rejects_tampered_order_id);
	tcase_add_test(t, test_webhook_rejects_tampered_mac);
	tcase_add_test(t, test_webhook_rejects_other_merchants_secret);
	tcase_add_test(t, test_webhook_missing_post_hash_is_mismatch);
	tcase_add_test(t,
		       test_webhook_rejects_received_amount_outside_the_hash);
	suite_add_tcase(s, t);
	TCase *p = tcase_create("parse");
	tcase_add_test(p, test_webhook_rejects_oversized_body);
	tcase_add_test(p, test_webhook_rejects_what_php_cannot_decode);
	tcase_add_test(p, test_webhook_reads_odd_fields_as_php_does);
	tcase_add_test(p, test_webhook_body_is_length_bounded);
	tcase_add_test(p, test_webhook_error_reply_is_classified);
	suite_add_tcase(s, p);
	TCase *a = tcase_create("ack");
	tcase_add_test(a, test_webhook_ack_bodies_are_documented_json);
	suite_add_tcase(s, a);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
