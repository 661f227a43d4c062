/* check_webhook_trust.c -- orders/webhook_trust.h: reading a verified
 * webhook record, the order_id = key rule, and which received amounts line
 * up with an order (docs/gateway-fidelity.md, the digit-shift forgery). */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "orders/webhook_trust.h"
#include "pwtest.h"

static json_t *rec(const char *oid, const char *status, json_int_t received)
{
	json_t *r = json_pack("{s:s s:{s:s s:s}}", "merchant", "demo",
			      "callback", "order_id", oid, "status", status);
	if (received >= 0)
		json_object_set_new(r, "received_minor",
				    json_integer(received));
	return r;
}

START_TEST(test_webhook_trust_reads_the_record_of_its_key)
{
	pw_wh_t wh;
	const char *msg = NULL;
	json_t *r = rec("ORD1234", "Late Approved", 10000);
	ck_assert_ptr_null(pw_wh_read(r, "ORD1234", 7, &wh, &msg));
	ck_assert_str_eq(wh.merchant, "demo");
	ck_assert_str_eq(wh.raw, "Late Approved");
	ck_assert_int_eq(wh.status, PA_STATUS_SUCCEEDED_LATE);
	ck_assert_int_eq(wh.received, 10000);
	/* a prefix or an extension of the key is another order */
	ck_assert_str_eq(pw_wh_read(r, "ORD123", 6, &wh, &msg),
			 "KEY_MISMATCH");
	ck_assert_str_eq(pw_wh_read(r, "ORD12345", 8, &wh, &msg),
			 "KEY_MISMATCH");
	ck_assert_str_eq(msg, "webhook record key differs from its order_id");
	json_decref(r);
	/* no received amount; a numeric order_id is its digits */
	r = json_pack("{s:s s:{s:I s:s}}", "merchant", "demo", "callback",
		      "order_id", (json_int_t)-12, "status", "Pending");
	ck_assert_ptr_null(pw_wh_read(r, "-12", 3, &wh, &msg));
	ck_assert_int_eq(wh.received, -1);
	json_decref(r);
	/* a NUL byte inside the order_id counts */
	r = json_pack("{s:s s:{s:s# s:s}}", "merchant", "demo", "callback",
		      "order_id", "AB\0C", (int)4, "status", "Pending");
	ck_assert_ptr_null(pw_wh_read(r, "AB\0C", 4, &wh, &msg));
	ck_assert_str_eq(pw_wh_read(r, "AB", 2, &wh, &msg), "KEY_MISMATCH");
	json_decref(r);
	/* what the ingress never writes */
	r = json_pack("{s:s s:{s:s}}", "merchant", "demo", "callback",
		      "order_id", "ORD1");
	ck_assert_str_eq(pw_wh_read(r, "ORD1", 4, &wh, &msg), "MALFORMED");
	json_decref(r);
}
END_TEST

START_TEST(test_webhook_trust_received_amount_lines_up_with_the_order)
{
	pw_order_t ord;
	memset(&ord, 0, sizeof ord);
	ord.amount_minor = 10000; /* 100.00 requested */
	ord.received_minor = -1;
	ord.seq = 1;
	ord.status = PA_STATUS_PENDING;
	static const struct {
		pa_status_t st;
		int64_t received;
		int want;
	} cases[] = {
		{PA_STATUS_SUCCEEDED, 10000, 1},
		{PA_STATUS_SUCCEEDED, 510000, 0}, /* ORD1234 + 5100 */
		{PA_STATUS_SUCCEEDED, -1, 0},
		{PA_STATUS_SUCCEEDED, 9999, 0},
		{PA_STATUS_SUCCEEDED_LATE, 10000, 1},
		{PA_STATUS_AMOUNT_MISMATCH, 9900, 0}, /* always asked */
		{PA_STATUS_AMOUNT_MISMATCH, 10000, 0},
		{PA_STATUS_REFUND_PENDING, 10000, 1},
		{PA_STATUS_REFUNDED, 510000, 0},
		{PA_STATUS_PENDING, -1, 1},
		{PA_STATUS_PENDING, 0, 1},
		{PA_STATUS_PENDING, 500, 0},
		{PA_STATUS_DECLINED, 0, 1},
		{PA_STATUS_DECLINED, 5, 0},
		{PA_STATUS_EXPIRED, -1, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pw_wh_t wh = {.status = cases[i].st,
			      .received = cases[i].received};
		ck_assert_msg(pw_wh_lines_up(&ord, &wh) == cases[i].want,
			      "case %zu: %s with %lld", i,
			      pa_status_name(cases[i].st),
			      (long long)cases[i].received);
	}
	/* a refund is of the amount received, once known */
	ord.received_minor = 9900;
	pw_wh_t wh = {.status = PA_STATUS_REFUNDED, .received = 9900};
	ck_assert_int_eq(pw_wh_lines_up(&ord, &wh), 1);
	wh.received = 10000;
	ck_assert_int_eq(pw_wh_lines_up(&ord, &wh), 0);
}
END_TEST

START_TEST(test_webhook_trust_orders_created_here_and_moves)
{
	pw_order_t ord;
	memset(&ord, 0, sizeof ord);
	ck_assert_int_eq(pw_order_created_here(&ord), 0);
	ck_assert_int_eq(pw_order_would_move(&ord, PA_STATUS_SUCCEEDED), 1);
	ord.amount_minor = 1;
	ck_assert_int_eq(pw_order_created_here(&ord), 1);
	ord.seq = 2;
	ord.status = PA_STATUS_SUCCEEDED;
	ck_assert_int_eq(pw_order_would_move(&ord, PA_STATUS_SUCCEEDED), 0);
	ck_assert_int_eq(pw_order_would_move(&ord, PA_STATUS_DECLINED), 0);
	ck_assert_int_eq(pw_order_would_move(&ord, PA_STATUS_REFUND_PENDING),
			 1);
}
END_TEST

START_TEST(test_webhook_trust_details_are_the_callback_fields)
{
	json_t *r = json_pack("{s:s s:{s:s s:s s:s s:s s:s}}", "merchant",
			      "demo", "callback", "order_id", "ORD1", "status",
			      "Approved", "bank_ref", "B1", "ref_code", "R1",
			      "received_amount", "100");
	pw_wh_t wh;
	const char *msg;
	ck_assert_ptr_null(pw_wh_read(r, "ORD1", 4, &wh, &msg));
	json_t *d = pw_wh_details(&wh);
	ck_assert_str_eq(json_string_value(json_object_get(d, "bank_ref")),
			 "B1");
	ck_assert_str_eq(
		json_string_value(json_object_get(d, "received_amount")),
		"100");
	ck_assert_str_eq(json_string_value(json_object_get(d, "source")),
			 "webhook");
	ck_assert_ptr_null(json_object_get(d, "ref_code"));
	json_decref(d);
	json_decref(r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("webhook_trust");
	TCase *t = tcase_create("rules");
	tcase_add_test(t, test_webhook_trust_reads_the_record_of_its_key);
	tcase_add_test(t,
		       test_webhook_trust_received_amount_lines_up_with_the_order);
	tcase_add_test(t, test_webhook_trust_orders_created_here_and_moves);
	tcase_add_test(t, test_webhook_trust_details_are_the_callback_fields);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pwt_run_suite(suite());
}
