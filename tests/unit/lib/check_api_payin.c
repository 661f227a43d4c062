/* check_api_payin.c -- payin builders/parsers, UTR submit, status polling,
 * refunds (spec §6-§10.1, api.h assumptions A1-A5). */
#include "api_fixture.h"

static pa_payin_req_t india(void)
{
	pa_payin_req_t r = {0};
	r.flow = PA_FLOW_SEAMLESS;
	r.party = PA_PARTY_P2P;
	r.channel = PA_CHANNEL_UPI;
	r.order_id = "ORD1234567890";
	r.amount_minor = 10000;
	r.name = "Anushk";
	r.email = "anushk@gmail.com";
	r.phone = "9000000000";
	r.upi_id = "payer@okicici";
	return r;
}

START_TEST(test_api_payin_seamless_upi_v1_request)
{
	pa_payin_req_t r = india();
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	ck_assert_int_eq(req->op, PA_OP_PAYIN);
	ck_assert_str_eq(req->method, "POST");
	ck_assert_str_eq(req->url, FX_BASE "/api/request.php");
	ck_assert_str_eq(req->order_id, "ORD1234567890");
	ck_assert_str_eq(pa_request_header(req, "content-type"),
			 "application/json");
	ck_assert_ptr_null(pa_request_header(req, "X-Api-Key"));
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "pid"), "000000000000");
	ck_assert_str_eq(fx_str(b, "order_id"), "ORD1234567890");
	/* spec §2.2: integer whole rupees */
	ck_assert(json_is_integer(json_object_get(b, "amount")));
	ck_assert_int_eq(json_integer_value(json_object_get(b, "amount")), 100);
	ck_assert_str_eq(fx_str(b, "upi_id"), "payer@okicici");
	ck_assert_str_eq(fx_str(b, "phone"), "9000000000");
	ck_assert_ptr_null(json_object_get(b, "signature"));
	json_decref(b);
	pa_request_destroy(req);
	pa_request_destroy(NULL);
}
END_TEST

START_TEST(test_api_payin_nonseamless_method_is_configurable)
{
	pa_payin_req_t r = india();
	r.flow = PA_FLOW_NON_SEAMLESS;
	r.upi_id = NULL; /* not sent on the hosted flow */
	r.redirect_url = "https://shop.example/return";
	pa_request_t *req;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, NULL), PA_OK);
	ck_assert_str_eq(req->method, "POST");
	ck_assert_str_eq(req->url, FX_BASE "/pay/request.php");
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "redirect_url"),
			 "https://shop.example/return");
	ck_assert_ptr_null(json_object_get(b, "upi_id"));
	json_decref(b);
	pa_request_destroy(req);
	fx_m.nonseamless_method = PA_NONSEAMLESS_GET;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, NULL), PA_OK);
	ck_assert_str_eq(req->method, "GET");
	ck_assert_ptr_nonnull(req->body); /* GET with a JSON body (§12.5) */
	pa_request_destroy(req);
	r.channel = PA_CHANNEL_IMPS;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, NULL), PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/pay/request.php");
	pa_request_destroy(req);
}
END_TEST

START_TEST(test_api_payin_v2_signs_body_and_sends_api_key)
{
	fx_v2();
	fx_m.nonseamless_method = PA_NONSEAMLESS_GET; /* ignored by V2 */
	pa_payin_req_t r = india();
	r.flow = PA_FLOW_NON_SEAMLESS;
	r.ip = "203.0.113.9";
	r.latitude = "28.7041";
	r.longitude = "77.1025";
	r.customer_id = "CUST001";
	r.redirect_url = "https://shop.example/return";
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	ck_assert_str_eq(req->method, "POST");
	ck_assert_str_eq(req->url, FX_BASE "/pay/v2/request.php");
	ck_assert_str_eq(pa_request_header(req, "X-Api-Key"),
			 "1111-2222-3333-4444");
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "customer_id"), "CUST001");
	ck_assert_str_eq(fx_str(b, "latitude"), "28.7041");
	fx_assert_v2_signature(b);
	json_decref(b);
	pa_request_destroy(req);
	r.flow = PA_FLOW_SEAMLESS;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/api/v2/request.php");
	pa_request_destroy(req);
}
END_TEST

START_TEST(test_api_payin_v2_requires_customer_fields)
{
	fx_v2();
	pa_payin_req_t r = india();
	r.ip = "203.0.113.9";
	r.latitude = "28.7041";
	r.longitude = "77.1025";
	pa_request_t *req = NULL;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "customer_id");
	ck_assert_ptr_null(req);
	r.customer_id = "CUST001";
	r.ip = NULL;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "ip");
}
END_TEST

START_TEST(test_api_payin_order_id_rules)
{
	pa_payin_req_t r = india();
	pa_request_t *req = NULL;
	char eb[PA_ERRBUF_SIZE];
	static const char *const bad[] = {"20", "iaudjeh", "ORD123456",
					  "ORD-1234567890", "ORD 1234567890",
					  "ORD1234567890\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.order_id = bad[i];
		ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb),
				 PA_VALIDATION);
		fx_assert_field(eb, "order_id");
		ck_assert_ptr_nonnull(strstr(eb, "§8.2"));
	}
	r.order_id = "ORD1234567";
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	pa_request_destroy(req);
	/* lenient profile: the doc samples' style passes, junk does not */
	fx_m.lenient_order_id = 1;
	r.order_id = "ORD-12_3";
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	pa_request_destroy(req);
	r.order_id = "ORD 12";
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "order_id");
}
END_TEST

START_TEST(test_api_payin_rejects_paise_and_nonpositive_amounts)
{
	pa_payin_req_t r = india();
	pa_request_t *req = NULL;
	char eb[PA_ERRBUF_SIZE];
	int64_t bad[] = {10050, 1, 0, -10000};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.amount_minor = bad[i];
		ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb),
				 PA_VALIDATION);
		fx_assert_field(eb, "amount");
	}
	ck_assert_ptr_null(req);
}
END_TEST

START_TEST(test_api_payin_required_fields_are_named)
{
	static const char *const fields[] = {"name", "email", "phone",
					     "upi_id"};
	char eb[PA_ERRBUF_SIZE];
	for (size_t i = 0; i < 4; i++) {
		pa_payin_req_t r = india();
		const char **slot[] = {&r.name, &r.email, &r.phone, &r.upi_id};
		pa_request_t *req = NULL;
		*slot[i] = NULL;
		ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb),
				 PA_VALIDATION);
		ck_assert_msg(strncmp(eb, fields[i], strlen(fields[i])) == 0,
			      "%s: %s", fields[i], eb);
		*slot[i] = "not valid value";
		ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb),
				 i == 0 ? PA_OK : PA_VALIDATION);
		pa_request_destroy(req);
	}
}
END_TEST

START_TEST(test_api_payin_bd_wallet_types)
{
	fx_m.country = PA_COUNTRY_BD;
	pa_payin_req_t r = india();
	r.channel = PA_CHANNEL_WALLET;
	r.upi_id = NULL;
	r.wallet_type = "BKASH";
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "wallet_type"), "bKash"); /* canonical */
	json_decref(b);
	pa_request_destroy(req);
	r.wallet_type = "upay"; /* P2C only (§12.8) */
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "wallet_type");
	r.party = PA_PARTY_P2C;
	r.flow = PA_FLOW_NON_SEAMLESS;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "wallet_type"), "Upay");
	json_decref(b);
	pa_request_destroy(req);
	r.wallet_type = NULL;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "wallet_type");
	r.wallet_type = "Bkash2";
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_VALIDATION);
	r.wallet_type = "Nagad";
	r.channel = PA_CHANNEL_UPI;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "channel");
}
END_TEST

START_TEST(test_api_payin_pakistan_h2h)
{
	fx_m.country = PA_COUNTRY_PK;
	fx_v2(); /* no V2 page for Pakistan: V1 form */
	pa_payin_req_t r = {0};
	r.flow = PA_FLOW_H2H;
	r.channel = PA_CHANNEL_PAK;
	r.order_id = "ORD123"; /* the §10.1 sample */
	r.amount_minor = 6000;
	r.name = "demo";
	r.email = "demo123@gmail.com";
	r.phone = "9990000000";
	r.pak_wallet = "jazzcash";
	r.account_number = "03333333333";
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/api/request.php");
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "pak_wallet"), "JAZZCASH");
	ck_assert_str_eq(fx_str(b, "account_number"), "03333333333");
	ck_assert_int_eq(json_integer_value(json_object_get(b, "amount")), 60);
	ck_assert_ptr_null(json_object_get(b, "signature"));
	json_decref(b);
	pa_request_destroy(req);
	static const char *const badacct[] = {"3333333333", "04333333333",
					      "0333333333", "033333333333",
					      "03333a33333"};
	for (size_t i = 0; i < 5; i++) {
		r.account_number = badacct[i];
		ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb),
				 PA_VALIDATION);
		fx_assert_field(eb, "account_number");
	}
	r.account_number = "03333333333";
	r.pak_wallet = "SADAPAY";
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_VALIDATION);
	fx_assert_field(eb, "pak_wallet");
}
END_TEST

START_TEST(test_api_payin_imps_seamless_unsupported)
{
	pa_payin_req_t r = india();
	r.channel = PA_CHANNEL_IMPS;
	pa_request_t *req = NULL;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, NULL),
			 PA_UNSUPPORTED);
	ck_assert_ptr_null(req);
}
END_TEST

START_TEST(test_api_payin_parses_spec_replies)
{
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	pa_payin_result_t res;
	char *s = fx_spec("payin_seamless_upi_response", &len);
	ck_assert_int_eq(pa_parse_payin(&fx_m, s, len, &res, eb), PA_OK);
	ck_assert_int_eq(strlen(res.ref_code), 64);
	ck_assert(strncmp(res.qr_code, "upi://pay?", 10) == 0);
	ck_assert_ptr_null(res.payment_link);
	pa_payin_result_clear(&res);
	free(s);

	s = fx_spec("payin_v2_seamless_response_intents", &len);
	ck_assert_int_eq(pa_parse_payin(&fx_m, s, len, &res, eb), PA_OK);
	ck_assert_str_eq(res.qr_code, "");
	ck_assert_str_eq(res.receiver_vpa, "banker@okaxis");
	ck_assert(strncmp(res.paytm_intent, "paytmmp://", 10) == 0);
	ck_assert(strncmp(res.phonepe_intent, "phonepe://", 10) == 0);
	ck_assert_int_eq(res.has_amount, 1);
	ck_assert_int_eq(res.amount_minor, 20100);
	ck_assert_ptr_nonnull(res.redirect_url);
	pa_payin_result_clear(&res);
	free(s);

	s = fx_spec("payin_nonseamless_response_ok", &len);
	ck_assert_int_eq(pa_parse_payin(&fx_m, s, len, &res, eb), PA_OK);
	ck_assert_str_eq(res.payment_link,
			 FX_BASE "/pay/connect.php?code=1304d0a5c8e2f1b3a4d5e6"
				 "f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b");
	pa_payin_result_clear(&res);
	free(s);

	s = fx_spec("payin_pk_h2h_response_success", &len);
	ck_assert_int_eq(pa_parse_payin(NULL, s, len, &res, eb), PA_OK);
	ck_assert_str_eq(res.wallet, "JAZZCASH");
	ck_assert_int_eq(res.amount_minor, 6000);
	pa_payin_result_clear(&res);
	pa_payin_result_clear(&res);
	free(s);
}
END_TEST

static void expect_class(const char *file, pa_err_t want, const char *msg)
{
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	pa_payin_result_t res;
	char *s = fx_spec(file, &len);
	ck_assert_msg(pa_parse_payin(&fx_m, s, len, &res, eb) == want, "%s",
		      file);
	ck_assert_msg(strstr(eb, msg) != NULL, "%s: '%s'", file, eb);
	ck_assert_ptr_null(res.json_);
	free(s);
}

START_TEST(test_api_payin_error_replies_are_classified)
{
	expect_class("error_duplicate_order_id_Found", PA_DUPLICATE,
		     "Duplicate order_id Found");
	expect_class("error_pk_duplicate_order_id_found", PA_DUPLICATE,
		     "Duplicate order_id found");
	expect_class("error_pk_invalid_pid_lower", PA_AUTH, "invalid pid");
	expect_class("error_pk_pid_required", PA_GATEWAY,
		     "pid is required field");
	expect_class("error_pk_pak_wallet_unsupported", PA_GATEWAY,
		     "We support only");
	expect_class("error_pk_account_number_required", PA_GATEWAY,
		     "account_number is required");
	expect_class("error_pk_amount_required", PA_GATEWAY, "amount is");
	expect_class("error_pk_order_id_required", PA_GATEWAY, "order_id is");
	expect_class("error_pk_description", PA_GATEWAY, "Error description");
}
END_TEST

START_TEST(test_api_payin_rejects_malformed_replies)
{
	static const char *const bad[] = {
		"", "{", "[]", "{\"status\":\"success\"}",
		"{\"ref_code\":\"x\"}",
		"{\"status\":\"success\",\"ref_code\":\"x\",\"amount\":\"1.234\"}",
		"{\"status\":\"ok\",\"hash_value\":\"../../evil\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pa_payin_result_t res;
		ck_assert_msg(pa_parse_payin(&fx_m, bad[i], strlen(bad[i]),
					     &res, NULL) == PA_PARSE,
			      "accepted %s", bad[i]);
		ck_assert_ptr_null(res.json_);
	}
}
END_TEST

START_TEST(test_api_payment_link_strips_trailing_slash)
{
	char *link;
	fx_m.base_url = "https://gw.example.test/";
	ck_assert_int_eq(pa_payment_link(&fx_m, "abc123", &link, NULL), PA_OK);
	ck_assert_str_eq(link,
			 "https://gw.example.test/pay/connect.php?code=abc123");
	free(link);
	ck_assert_int_eq(pa_payment_link(&fx_m, "a&b=c", &link, NULL),
			 PA_PARSE);
	ck_assert_int_eq(pa_payment_link(&fx_m, "", &link, NULL), PA_PARSE);
}
END_TEST

START_TEST(test_api_status_request_post_hash)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_status(&fx_m, PA_OP_STATUS,
					 "9f1c2d3e4b5a6978", &req, eb),
			 PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/api/status_polling.php");
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "ref_code"), "9f1c2d3e4b5a6978");
	ck_assert_ptr_null(json_object_get(b, "order_id"));
	/* §3.2: md5(ref_code . pid . secret) */
	fx_assert_post_hash(b, "9f1c2d3e4b5a6978", "000000000000", NULL);
	json_decref(b);
	pa_request_destroy(req);

	fx_m.poll_key = PA_POLL_BY_ORDER_ID; /* §12.3 older form */
	ck_assert_int_eq(pa_build_status(&fx_m, PA_OP_STATUS, "ORD1234567890",
					 &req, eb),
			 PA_OK);
	ck_assert_str_eq(req->order_id, "ORD1234567890");
	b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "order_id"), "ORD1234567890");
	fx_assert_post_hash(b, "ORD1234567890", "000000000000", NULL);
	json_decref(b);
	pa_request_destroy(req);

	fx_m.poll_key = PA_POLL_BY_REF_CODE;
	ck_assert_int_eq(pa_build_status(&fx_m, PA_OP_PAYOUT_STATUS, "abc",
					 &req, eb),
			 PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/payout/api/status_polling.php");
	ck_assert_int_eq(req->op, PA_OP_PAYOUT_STATUS);
	pa_request_destroy(req);

	fx_v2();
	ck_assert_int_eq(pa_build_status(&fx_m, PA_OP_STATUS, "abc", &req, eb),
			 PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/api/v2/status_polling.php");
	ck_assert_ptr_nonnull(pa_request_header(req, "X-Api-Key"));
	b = fx_body(req);
	ck_assert_ptr_null(json_object_get(b, "signature")); /* [I] */
	json_decref(b);
	pa_request_destroy(req);

	ck_assert_int_eq(pa_build_status(&fx_m, PA_OP_STATUS, "", &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "ref_code");
	ck_assert_int_eq(pa_build_status(&fx_m, PA_OP_PAYIN, "x", &req, eb),
			 PA_INVAL);
}
END_TEST

START_TEST(test_api_status_reply_is_verified)
{
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	pa_txn_update_t u;
	char *s = pwt_read_data("webhook/poll_numeric_amounts.json", &len);
	ck_assert_int_eq(pa_parse_status(&fx_m, s, len, &u, eb), PA_OK);
	ck_assert_str_eq(u.ref_code, "5c0ffee1");
	ck_assert_int_eq(u.status, PA_STATUS_SUCCEEDED);
	pa_txn_update_clear(&u);
	free(s);
	/* the doc sample prints post_hash as "...": never verifies */
	s = fx_spec("status_poll_response_refund_initiated", &len);
	ck_assert_int_eq(pa_parse_status(&fx_m, s, len, &u, eb),
			 PA_HASH_MISMATCH);
	ck_assert_ptr_null(u.json_);
	free(s);
	s = fx_spec("error_reference_code_not_found", &len);
	ck_assert_int_eq(pa_parse_status(&fx_m, s, len, &u, eb), PA_NOT_FOUND);
	free(s);
}
END_TEST

START_TEST(test_api_status_doc_sample_parses)
{
	size_t len;
	pa_txn_update_t u;
	char *s = fx_spec("status_poll_response_refund_initiated", &len);
	ck_assert_int_eq(pa_webhook_parse((const uint8_t *)s, len, &u, NULL),
			 PA_OK);
	ck_assert_int_eq(u.status, PA_STATUS_REFUND_PENDING);
	ck_assert_int_eq(u.amount.minor, 200000);
	ck_assert_int_eq(u.webhook_acknowledged, 0);
	ck_assert_int_eq(u.has_refund_info, 1);
	ck_assert_int_eq(u.refund.refund_amount.minor, 10000);
	pa_txn_update_clear(&u);
	free(s);
}
END_TEST

START_TEST(test_api_refund_request)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_refund(&fx_m, "9f1c2d3e4b5a6978", 0, &req,
					 eb),
			 PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/api/refund.php");
	json_t *b = fx_body(req);
	ck_assert_ptr_null(json_object_get(b, "amount")); /* full refund */
	fx_assert_post_hash(b, "9f1c2d3e4b5a6978", "000000000000", NULL);
	json_decref(b);
	pa_request_destroy(req);
	ck_assert_int_eq(pa_build_refund(&fx_m, "9f1c2d3e4b5a6978", 10000,
					 &req, eb),
			 PA_OK);
	b = fx_body(req);
	ck_assert_int_eq(json_integer_value(json_object_get(b, "amount")), 100);
	json_decref(b);
	pa_request_destroy(req);
	ck_assert_int_eq(pa_build_refund(&fx_m, "9f1c2d3e4b5a6978", 10001,
					 &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "amount");
}
END_TEST

START_TEST(test_api_utr_submit_request)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_utr_submit(&fx_m, "9f1c2d3e4b5a6978",
					     "ORD1234567890", "412345678901",
					     &req, eb),
			 PA_OK);
	ck_assert_int_eq(req->op, PA_OP_UTR_SUBMIT);
	ck_assert_str_eq(req->url, FX_BASE "/api/collection_utr.php");
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "utr"), "412345678901");
	/* A1: md5(ref_code . utr . pid . secret) */
	fx_assert_post_hash(b, "9f1c2d3e4b5a6978", "412345678901",
			    "000000000000");
	json_decref(b);
	pa_request_destroy(req);
	ck_assert_int_eq(pa_build_utr_submit(&fx_m, "9f1c2d3e4b5a6978", NULL,
					     "4123-45", &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "utr");
	ck_assert_int_eq(pa_build_utr_submit(&fx_m, "9f1c2d3e4b5a6978", NULL,
					     "12345", &req, eb),
			 PA_VALIDATION);
}
END_TEST

START_TEST(test_api_ack_reply)
{
	pa_ack_result_t a;
	const char *ok = "{\"status\":\"success\",\"message\":\"UTR saved\"}";
	ck_assert_int_eq(pa_parse_ack(ok, strlen(ok), &a, NULL), PA_OK);
	ck_assert_str_eq(a.message, "UTR saved");
	pa_ack_result_clear(&a);
	const char *bad = "{\"status\":\"error\",\"message\":\"Invalid PID\"}";
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_parse_ack(bad, strlen(bad), &a, eb), PA_AUTH);
	ck_assert_str_eq(eb, "gateway: Invalid PID");
}
END_TEST

START_TEST(test_api_merchant_profile_is_checked)
{
	char eb[PA_ERRBUF_SIZE];
	pa_request_t *req = NULL;
	pa_payin_req_t r = india();
	fx_m.pid = "";
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_CONFIG);
	fx_assert_field(eb, "merchant.pid");
	fx_m.pid = "000000000000";
	fx_m.base_url = "gw.example.test";
	ck_assert_int_eq(pa_merchant_check(&fx_m, eb), PA_CONFIG);
	fx_assert_field(eb, "merchant.base_url");
	fx_m.base_url = FX_BASE;
	fx_m.api_version = PA_API_V2;
	ck_assert_int_eq(pa_merchant_check(&fx_m, eb), PA_CONFIG);
	fx_assert_field(eb, "merchant.api_key");
	ck_assert_ptr_null(req);
	ck_assert_str_eq(pa_op_name(PA_OP_WALLET_DATA), "WALLET_DATA");
	ck_assert_str_eq(pa_op_name((pa_op_t)99), "UNKNOWN");
}
END_TEST

START_TEST(test_api_requests_match_spec_samples)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	pa_payin_req_t r = india();
	r.flow = PA_FLOW_NON_SEAMLESS;
	r.upi_id = NULL;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	fx_assert_same_keys(req, "payin_p2p_nonseamless_upi_request");
	pa_request_destroy(req);
	r.channel = PA_CHANNEL_IMPS;
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	fx_assert_same_keys(req, "payin_p2p_nonseamless_imps_request");
	pa_request_destroy(req);

	fx_m.country = PA_COUNTRY_BD;
	r.channel = PA_CHANNEL_WALLET;
	r.wallet_type = "bKash";
	ck_assert_int_eq(pa_build_payin(&fx_m, &r, &req, eb), PA_OK);
	fx_assert_same_keys(req, "payin_bd_nonseamless_wallet_request");
	pa_request_destroy(req);

	/* Pakistan: the §10.1 sample body exactly */
	fx_m.country = PA_COUNTRY_PK;
	fx_m.pid = "09xxxxx";
	pa_payin_req_t pk = {0};
	pk.flow = PA_FLOW_H2H;
	pk.channel = PA_CHANNEL_PAK;
	pk.order_id = "ORD123";
	pk.amount_minor = 6000;
	pk.name = "demo";
	pk.email = "demo123@gmail.com";
	pk.phone = "9990000000";
	pk.pak_wallet = "JAZZCASH";
	pk.account_number = "03333333333";
	ck_assert_int_eq(pa_build_payin(&fx_m, &pk, &req, eb), PA_OK);
	size_t len;
	char *s = fx_spec("payin_pk_h2h_request", &len);
	json_t *want = json_loadb(s, len, 0, NULL);
	json_t *got = fx_body(req);
	ck_assert_msg(json_equal(got, want), "%s", req->body);
	json_decref(want);
	json_decref(got);
	free(s);
	pa_request_destroy(req);
	fx_m.pid = "000000000000";

	ck_assert_int_eq(pa_build_status(&fx_m, PA_OP_STATUS, "abc", &req, eb),
			 PA_OK);
	fx_assert_same_keys(req, "status_poll_request");
	pa_request_destroy(req);
	ck_assert_int_eq(pa_build_refund(&fx_m, "abc", 10000, &req, eb), PA_OK);
	fx_assert_same_keys(req, "refund_request");
	pa_request_destroy(req);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_payin");
	TCase *b = tcase_create("build");
	tcase_add_checked_fixture(b, fx_setup, fx_teardown);
	tcase_add_test(b, test_api_payin_seamless_upi_v1_request);
	tcase_add_test(b, test_api_payin_nonseamless_method_is_configurable);
	tcase_add_test(b, test_api_payin_v2_signs_body_and_sends_api_key);
	tcase_add_test(b, test_api_payin_imps_seamless_unsupported);
	tcase_add_test(b, test_api_payin_pakistan_h2h);
	tcase_add_test(b, test_api_payment_link_strips_trailing_slash);
	tcase_add_test(b, test_api_merchant_profile_is_checked);
	tcase_add_test(b, test_api_requests_match_spec_samples);
	suite_add_tcase(s, b);
	TCase *v = tcase_create("validation");
	tcase_add_checked_fixture(v, fx_setup, fx_teardown);
	tcase_add_test(v, test_api_payin_v2_requires_customer_fields);
	tcase_add_test(v, test_api_payin_order_id_rules);
	tcase_add_test(v, test_api_payin_rejects_paise_and_nonpositive_amounts);
	tcase_add_test(v, test_api_payin_required_fields_are_named);
	tcase_add_test(v, test_api_payin_bd_wallet_types);
	suite_add_tcase(s, v);
	TCase *p = tcase_create("replies");
	tcase_add_checked_fixture(p, fx_setup, fx_teardown);
	tcase_add_test(p, test_api_payin_parses_spec_replies);
	tcase_add_test(p, test_api_payin_error_replies_are_classified);
	tcase_add_test(p, test_api_payin_rejects_malformed_replies);
	tcase_add_test(p, test_api_ack_reply);
	suite_add_tcase(s, p);
	TCase *st = tcase_create("status_refund_utr");
	tcase_add_checked_fixture(st, fx_setup, fx_teardown);
	tcase_add_test(st, test_api_status_request_post_hash);
	tcase_add_test(st, test_api_status_reply_is_verified);
	tcase_add_test(st, test_api_status_doc_sample_parses);
	tcase_add_test(st, test_api_refund_request);
	tcase_add_test(st, test_api_utr_submit_request);
	suite_add_tcase(s, st);
	return fx_run(s);
}
