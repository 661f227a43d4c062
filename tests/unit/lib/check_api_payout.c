/* check_api_payout.c -- payouts: India IMPS/UPI, Bangladesh wallets
 * (spec §8.4, §8.7, §9.6, api.h A6). */
#include "api_fixture.h"

static pa_payout_req_t imps(void)
{
	pa_payout_req_t r = {0};
	r.mode = PA_PAYOUT_IMPS;
	r.order_id = "PAYOUT123456";
	r.amount_minor = 50000;
	r.account_no = "50100012341234";
	r.account_holder = "Receiver Name";
	r.bank = "HDFC Bank";
	r.ifsc = "HDFC0001234";
	return r;
}

START_TEST(test_api_payout_imps_request_matches_spec_sample)
{
	pa_payout_req_t r = imps();
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_OK);
	ck_assert_int_eq(req->op, PA_OP_PAYOUT);
	ck_assert_str_eq(req->url, FX_BASE "/payout/api/request.php");
	ck_assert_str_eq(req->order_id, "PAYOUT123456");
	json_t *got = fx_body(req);
	size_t len;
	char *s = fx_spec("payout_imps_request", &len);
	json_t *want = json_loadb(s, len, 0, NULL);
	ck_assert_msg(json_equal(got, want), "body %s", req->body);
	json_decref(got);
	json_decref(want);
	free(s);
	pa_request_destroy(req);
}
END_TEST

START_TEST(test_api_payout_order_id_is_10_to_13_alphanumeric)
{
	pa_payout_req_t r = imps();
	pa_request_t *req = NULL;
	char eb[PA_ERRBUF_SIZE];
	static const char *const bad[] = {"PAYOUT1234", "PAYOUT12345678",
					  "PAYOUT_12345", "123456789"};
	r.order_id = bad[0] + 1; /* 9 chars */
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_VALIDATION);
	ck_assert_str_eq(eb, "order_id: must be 10-13 alphanumeric "
			     "characters (spec §8.4)");
	for (size_t i = 1; i < 4; i++) {
		r.order_id = bad[i];
		ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb),
				 PA_VALIDATION);
		fx_assert_field(eb, "order_id");
	}
	r.order_id = bad[0]; /* exactly 10 */
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_OK);
	pa_request_destroy(req);
	r.order_id = "PAYOUT1234567"; /* exactly 13 */
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_OK);
	pa_request_destroy(req);
}
END_TEST

START_TEST(test_api_payout_imps_account_formats)
{
	char eb[PA_ERRBUF_SIZE];
	pa_request_t *req = NULL;
	static const char *const bad_ifsc[] = {"HDFC1001234", "HDFC000123",
					       "hdfc0001234", "HD1C0001234",
					       "HDFC0001234X", "HDFC000-234"};
	for (size_t i = 0; i < 6; i++) {
		pa_payout_req_t r = imps();
		r.ifsc = bad_ifsc[i];
		ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb),
				 PA_VALIDATION);
		fx_assert_field(eb, "ifsc");
	}
	static const char *const bad_acct[] = {"12345678", "1234567890123456789",
					       "5010001234123X", ""};
	for (size_t i = 0; i < 4; i++) {
		pa_payout_req_t r = imps();
		r.account_no = bad_acct[i];
		ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb),
				 PA_VALIDATION);
		fx_assert_field(eb, "account_no");
	}
	pa_payout_req_t r = imps();
	r.bank = NULL;
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "bank");
	r = imps();
	r.account_holder = "";
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "account_holder");
	r = imps();
	r.amount_minor = 50050;
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "amount");
	ck_assert_ptr_null(req);
}
END_TEST

START_TEST(test_api_payout_upi_request)
{
	pa_payout_req_t r = {0};
	r.mode = PA_PAYOUT_UPI;
	r.order_id = "PAYOUT123456";
	r.amount_minor = 10000;
	r.account_holder = "Receiver Name";
	r.upi_id = "receiver@okaxis";
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_OK);
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "payment_mode"), "upi");
	ck_assert_str_eq(fx_str(b, "upi_id"), "receiver@okaxis");
	ck_assert_ptr_null(json_object_get(b, "ifsc"));
	json_decref(b);
	pa_request_destroy(req);
	r.upi_id = "receiver";
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "upi_id");
}
END_TEST

START_TEST(test_api_payout_v2_signs_and_uses_v2_path)
{
	fx_v2();
	pa_payout_req_t r = imps();
	pa_request_t *req;
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, NULL), PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/payout/api/v2/request.php");
	ck_assert_str_eq(pa_request_header(req, "X-Api-Key"),
			 "1111-2222-3333-4444");
	json_t *b = fx_body(req);
	fx_assert_v2_signature(b);
	json_decref(b);
	pa_request_destroy(req);
}
END_TEST

START_TEST(test_api_payout_bd_wallet)
{
	fx_m.country = PA_COUNTRY_BD;
	pa_payout_req_t r = {0};
	r.mode = PA_PAYOUT_WALLET;
	r.order_id = "PAYOUT123456";
	r.amount_minor = 50000;
	r.account_no = "01712345678";
	r.wallet_type = "bkash";
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_OK);
	json_t *got = fx_body(req);
	size_t len;
	char *s = fx_spec("payout_bd_wallet_request", &len);
	json_t *want = json_loadb(s, len, 0, NULL);
	ck_assert_msg(json_equal(got, want), "body %s", req->body);
	json_decref(got);
	json_decref(want);
	free(s);
	pa_request_destroy(req);
	r.wallet_type = "Upay"; /* not listed for payouts (§9.6) */
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "wallet_type");
	r.wallet_type = "Nagad";
	r.account_no = "02712345678";
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "account_no");
	/* modes are per country */
	r = imps();
	ck_assert_int_eq(pa_build_payout(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "payment_mode");
}
END_TEST

START_TEST(test_api_payout_replies)
{
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	pa_payout_result_t res;
	char *s = fx_spec("payout_response_assumed", &len);
	ck_assert_int_eq(pa_parse_payout(s, len, &res, eb), PA_OK);
	ck_assert_str_eq(res.ref_code, "7d3f0c9b2a1e");
	pa_payout_result_clear(&res);
	free(s);
	s = fx_spec("error_duplicate_order_id_Found", &len);
	ck_assert_int_eq(pa_parse_payout(s, len, &res, eb), PA_DUPLICATE);
	free(s);
	const char *noref = "{\"status\":\"success\"}";
	ck_assert_int_eq(pa_parse_payout(noref, strlen(noref), &res, eb),
			 PA_PARSE);
	fx_assert_field(eb, "ref_code");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_payout");
	TCase *b = tcase_create("build");
	tcase_add_checked_fixture(b, fx_setup, fx_teardown);
	tcase_add_test(b, test_api_payout_imps_request_matches_spec_sample);
	tcase_add_test(b, test_api_payout_upi_request);
	tcase_add_test(b, test_api_payout_v2_signs_and_uses_v2_path);
	tcase_add_test(b, test_api_payout_bd_wallet);
	suite_add_tcase(s, b);
	TCase *v = tcase_create("validation");
	tcase_add_checked_fixture(v, fx_setup, fx_teardown);
	tcase_add_test(v, test_api_payout_order_id_is_10_to_13_alphanumeric);
	tcase_add_test(v, test_api_payout_imps_account_formats);
	suite_add_tcase(s, v);
	TCase *p = tcase_create("replies");
	tcase_add_checked_fixture(p, fx_setup, fx_teardown);
	tcase_add_test(p, test_api_payout_replies);
	suite_add_tcase(s, p);
	return fx_run(s);
}
