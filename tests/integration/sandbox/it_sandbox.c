/* it_sandbox.c -- payatom-sandbox's gateway endpoints, driven by libpayatom's
 * builders, client and parsers against an in-process sandbox on 127.0.0.1:
 * every endpoint's success and error paths and every authentication
 * failure, with the spec's messages. */
#include <time.h>

#include "sbx_harness.h"

static void expect_error(h_t *h, pa_err_t got, pa_err_t want,
			 const char *msg)
{
	ck_assert_msg(got == want, "want %s got %s (%s)", pa_err_name(want),
		      pa_err_name(got), h->body);
	ck_assert_str_eq(h_message(h), msg);
}

/* ---- payin ---------------------------------------------------------- */

START_TEST(test_sandbox_payin_seamless_returns_ref_and_upi_string)
{
	h_t h;
	h_start(&h, 0, "resolve-delay-ms", "60000", NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "ORDSEAM0001", 250, &res), PA_OK);
	ck_assert_uint_eq(strlen(res.ref_code), 64);
	ck_assert_ptr_nonnull(strstr(res.qr_code, "upi://pay?"));
	ck_assert_ptr_nonnull(strstr(res.qr_code, "am=250"));
	ck_assert_str_eq(h_order_status(&h, res.ref_code), "Pending");
	pa_payin_result_clear(&res);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_payin_duplicate_order_id_rejected)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "ORDDUP00001", 100, &res), PA_OK);
	pa_payin_result_clear(&res);
	pa_err_t e = h_payin(&h, &h.m, "ORDDUP00001", 100, &res);
	expect_error(&h, e, PA_DUPLICATE, "Duplicate order_id found");
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_payin_missing_fields_named_as_documented)
{
	h_t h;
	h_start(&h, 0, NULL);
	h_raw(&h, "POST", "/api/request.php",
	      "{\"pid\":\"M1\",\"order_id\":\"ORDMISS0001\",\"name\":\"a\","
	      "\"email\":\"a@b.c\",\"phone\":\"9000000000\",\"upi_id\":\"a@u\"}",
	      NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h_message(&h), "amount is required field");
	h_raw(&h, "POST", "/api/request.php", "{\"amount\":10}", NULL);
	ck_assert_str_eq(h_message(&h), "pid is required field");
	h_raw(&h, "POST", "/api/request.php", "{\"pid\":\"M1\",\"amount\":10}",
	      NULL);
	ck_assert_str_eq(h_message(&h), "order_id is required field");
	h_raw(&h, "POST", "/api/request.php", "{\"pid\":\"M1\",\"amount\":10.5,"
	      "\"order_id\":\"ORD0000001\",\"name\":\"a\",\"email\":\"e\","
	      "\"phone\":\"1\",\"upi_id\":\"u\"}", NULL);
	ck_assert_str_eq(h_message(&h), "amount must be a whole number");
	h_raw(&h, "POST", "/api/request.php", "not json", NULL);
	ck_assert_str_eq(h_message(&h), "Invalid JSON");
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_payin_unknown_pid_and_ip_not_allowed)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	pa_merchant_t bad = h.m;
	bad.pid = "NOPE";
	expect_error(&h, h_payin(&h, &bad, "ORDPID00001", 100, &res), PA_AUTH,
		     "invalid pid");
	pa_merchant_t m2 = h.m; /* M2 allows 10.9.9.9 only */
	m2.pid = "M2";
	expect_error(&h, h_payin(&h, &m2, "ORDIP000001", 100, &res), PA_AUTH,
		     "IP not allowed: 127.0.0.1");
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_payin_hosted_page_approves)
{
	h_t h;
	h_start(&h, 0, "mix", "Pending:1", NULL);
	pa_payin_req_t r = {0};
	r.flow = PA_FLOW_NON_SEAMLESS;
	r.party = PA_PARTY_P2C;
	r.channel = PA_CHANNEL_UPI;
	r.order_id = "ORDHOSTED01";
	r.amount_minor = 50000;
	r.name = "Ravi <b>";
	r.email = "r@example.test";
	r.phone = "9000000000";
	r.redirect_url = "https://merchant.test/back";
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_payin(&h.m, &r, &req, eb), PA_OK);
	ck_assert_int_eq(h_send(&h, req), PA_OK);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(pa_parse_payin(&h.m, h.body, h.body_len, &res, eb),
			 PA_OK);
	ck_assert_uint_eq(strlen(res.hash_value), 64);
	ck_assert_ptr_nonnull(res.payment_link);
	char path[256];
	snprintf(path, sizeof path, "/pay/connect.php?code=%s",
		 res.hash_value);
	h_raw(&h, "GET", path, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_ptr_nonnull(strstr(h.body, "Approve payment"));
	ck_assert_ptr_nonnull(strstr(h.body, "Ravi &lt;b&gt;")); /* escaped */
	char form[200];
	snprintf(form, sizeof form, "code=%s&action=approve", res.hash_value);
	h_raw(&h, "POST", "/pay/connect.php", form,
	      "Content-Type: application/x-www-form-urlencoded", NULL);
	ck_assert_ptr_nonnull(strstr(h.body, ">Approved<"));
	ck_assert_ptr_nonnull(strstr(h.body, "merchant.test/back"));
	ck_assert_str_eq(h_order_status(&h, "ORDHOSTED01"), "Approved");
	h_raw(&h, "GET", "/pay/connect.php?code=deadbeef", NULL, NULL);
	ck_assert_int_eq(h.status, 404);
	/* duplicate on the hosted endpoint: [P]'s spelling */
	ck_assert_int_eq(pa_build_payin(&h.m, &r, &req, eb), PA_OK);
	h_send(&h, req);
	ck_assert_str_eq(h_message(&h), "Duplicate order_id Found");
	pa_payin_result_clear(&res);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_payin_bangladesh_and_pakistan)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_req_t r = {0};
	r.flow = PA_FLOW_SEAMLESS;
	r.party = PA_PARTY_P2P;
	r.channel = PA_CHANNEL_WALLET;
	r.order_id = "ORDBDWAL001";
	r.amount_minor = 100000;
	r.name = "Rahim";
	r.email = "r@example.test";
	r.phone = "01700000000";
	r.wallet_type = "bKash";
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	pa_merchant_t bd = h.m;
	bd.country = PA_COUNTRY_BD;
	ck_assert_msg(pa_build_payin(&bd, &r, &req, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(h_send(&h, req), PA_OK);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(pa_parse_payin(&bd, h.body, h.body_len, &res, eb),
			 PA_OK);
	ck_assert_ptr_nonnull(res.wallet_id);
	pa_payin_result_clear(&res);
	h_raw(&h, "POST", "/api/request.php",
	      "{\"pid\":\"M1\",\"amount\":10,\"order_id\":\"ORDBDBAD01\","
	      "\"name\":\"a\",\"email\":\"e\",\"phone\":\"1\","
	      "\"wallet_type\":\"PayPal\"}", NULL);
	ck_assert_str_eq(h_message(&h),
			 "We support only 'Nagad', 'Rocket', 'bKash'");

	pa_merchant_t pk = h.m;
	pk.country = PA_COUNTRY_PK;
	memset(&r, 0, sizeof r);
	r.flow = PA_FLOW_H2H;
	r.channel = PA_CHANNEL_PAK;
	r.order_id = "ORDPK000001";
	r.amount_minor = 6000;
	r.name = "demo";
	r.email = "demo@example.test";
	r.phone = "9990000000";
	r.pak_wallet = "JAZZCASH";
	r.account_number = "03333333333";
	ck_assert_msg(pa_build_payin(&pk, &r, &req, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(h_send(&h, req), PA_OK);
	ck_assert_int_eq(pa_parse_payin(&pk, h.body, h.body_len, &res, eb),
			 PA_OK);
	ck_assert_str_eq(res.wallet, "JAZZCASH");
	ck_assert_int_eq(res.amount_minor, 6000);
	pa_payin_result_clear(&res);
	/* spec §10.1 messages */
	h_raw(&h, "POST", "/api/request.php",
	      "{\"pid\":\"M1\",\"amount\":60,\"order_id\":\"ORDPK000002\","
	      "\"name\":\"a\",\"email\":\"e\",\"phone\":\"1\","
	      "\"pak_wallet\":\"SADAPAY\",\"account_number\":\"03001\"}", NULL);
	ck_assert_str_eq(h_message(&h),
			 "We support only 'JAZZCASH', 'EASYPAISA'");
	h_raw(&h, "POST", "/api/request.php",
	      "{\"pid\":\"M1\",\"amount\":60,\"order_id\":\"ORDPK000002\","
	      "\"name\":\"a\",\"email\":\"e\",\"phone\":\"1\","
	      "\"pak_wallet\":\"EASYPAISA\"}", NULL);
	ck_assert_str_eq(h_message(&h),
			 "account_number is required when pak_wallet is "
			 "provided");
	h_stop(&h);
}
END_TEST

/* ---- V2 authentication (spec §3.4, §10.3) ---------------------------- */

START_TEST(test_sandbox_v2_signature_and_api_key_checked)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m2, "ORDV2000001", 100, &res), PA_OK);
	ck_assert_ptr_nonnull(res.redirect_url);
	pa_payin_result_clear(&res);
	pa_merchant_t badkey = h.m2;
	badkey.api_key = "wrong-key";
	expect_error(&h, h_payin(&h, &badkey, "ORDV2000002", 100, &res),
		     PA_AUTH, "Invalid API key");
	pa_secret_t *other;
	pa_secret_new("not-the-secret", 14, &other);
	pa_merchant_t badsig = h.m2;
	badsig.secret = other;
	expect_error(&h, h_payin(&h, &badsig, "ORDV2000003", 100, &res),
		     PA_AUTH, "Invalid signature");
	pa_secret_destroy(other);
	h_raw(&h, "POST", "/api/v2/request.php", "{\"pid\":\"M1\"}", NULL);
	ck_assert_int_eq(h.status, 200); /* [I]: V2 errors are HTTP 200 */
	ck_assert_str_eq(h_message(&h), "X-Api-Key header is required");
	h_raw(&h, "POST", "/api/v2/request.php", "{\"pid\":\"M1\"}",
	      "X-Api-Key: " H_APIKEY, NULL);
	ck_assert_str_eq(h_message(&h), "signature not provided");
	h_raw(&h, "POST", "/api/v2/request.php", "{\"signature\":\"x\"}",
	      "X-Api-Key: " H_APIKEY, NULL);
	ck_assert_str_eq(h_message(&h), "pid not provided");
	h_raw(&h, "POST", "/api/v2/request.php",
	      "{\"pid\":\"ZZ\",\"signature\":\"x\"}", "X-Api-Key: " H_APIKEY,
	      NULL);
	ck_assert_str_eq(h_message(&h), "Invalid PID");
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_v2_hosted_payout_and_polling)
{
	h_t h;
	h_start(&h, 0, NULL);
	char eb[PA_ERRBUF_SIZE];
	pa_request_t *req;
	pa_payin_req_t r = {0};
	r.flow = PA_FLOW_NON_SEAMLESS;
	r.party = PA_PARTY_P2P;
	r.channel = PA_CHANNEL_UPI;
	r.order_id = "ORDV2HOST01";
	r.amount_minor = 10000;
	r.name = "Asha";
	r.email = "asha@example.test";
	r.phone = "9000000000";
	r.redirect_url = "https://merchant.test/r";
	r.ip = "203.0.113.7";
	r.latitude = "28.7041";
	r.longitude = "77.1025";
	r.customer_id = "CUST001";
	ck_assert_msg(pa_build_payin(&h.m2, &r, &req, eb) == PA_OK, "%s", eb);
	ck_assert_str_eq(pa_request_header(req, "X-Api-Key"), H_APIKEY);
	ck_assert_int_eq(h_send(&h, req), PA_OK);
	pa_payin_result_t res = {0};
	ck_assert_msg(pa_parse_payin(&h.m2, h.body, h.body_len, &res, eb) ==
			      PA_OK,
		      "%s", h.body);
	ck_assert_uint_eq(strlen(res.hash_value), 64);
	pa_payin_result_clear(&res);
	/* V2 requires the customer fields (spec §8.2 V2) */
	h_raw(&h, "POST", "/pay/v2/request.php",
	      "{\"pid\":\"M1\",\"signature\":\"x\"}", "X-Api-Key: " H_APIKEY,
	      NULL);
	ck_assert_str_eq(h_message(&h), "Invalid signature");

	pa_payout_req_t po = {0};
	po.mode = PA_PAYOUT_UPI;
	po.order_id = "PAYV2000001";
	po.amount_minor = 20000;
	po.upi_id = "meera@upi";
	po.account_holder = "Meera";
	ck_assert_msg(pa_build_payout(&h.m2, &po, &req, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(h_send(&h, req), PA_OK);
	pa_payout_result_t pr = {0};
	ck_assert_msg(pa_parse_payout(h.body, h.body_len, &pr, eb) == PA_OK,
		      "%s", h.body);
	char ref[80];
	snprintf(ref, sizeof ref, "%s", pr.ref_code);
	pa_payout_result_clear(&pr);

	ck_assert_int_eq(h_payin(&h, &h.m2, "ORDV2POLL01", 100, &res), PA_OK);
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payin_result_clear(&res);
	ck_assert_int_eq(pa_build_status(&h.m2, PA_OP_STATUS, ref, &req, eb),
			 PA_OK);
	ck_assert_ptr_nonnull(strstr(req->url, "/api/v2/status_polling.php"));
	ck_assert_int_eq(h_send(&h, req), PA_OK);
	pa_txn_update_t upd = {0};
	ck_assert_msg(pa_parse_status(&h.m2, h.body, h.body_len, &upd, eb) ==
			      PA_OK,
		      "%s", h.body);
	pa_txn_update_clear(&upd);
	h_stop(&h);
}
END_TEST

/* ---- payout --------------------------------------------------------- */

static pa_err_t payout(h_t *h, pa_payout_mode_t mode, const char *oid,
		       int64_t major, pa_payout_result_t *res)
{
	pa_payout_req_t r = {0};
	r.mode = mode;
	r.order_id = oid;
	r.amount_minor = major * 100;
	r.account_no = mode == PA_PAYOUT_WALLET ? "01712345678" : "123456789012";
	r.account_holder = "Meera";
	r.bank = "HDFC";
	r.ifsc = "HDFC0001234";
	r.upi_id = "meera@upi";
	r.wallet_type = "Bkash";
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	pa_merchant_t m = h->m;
	if (mode == PA_PAYOUT_WALLET)
		m.country = PA_COUNTRY_BD;
	ck_assert_msg(pa_build_payout(&m, &r, &req, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(h_send(h, req), PA_OK);
	return pa_parse_payout(h->body, h->body_len, res, eb);
}

START_TEST(test_sandbox_payout_every_mode_and_errors)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payout_result_t res = {0};
	ck_assert_int_eq(payout(&h, PA_PAYOUT_IMPS, "PAYIMPS0001", 500, &res),
			 PA_OK);
	ck_assert_uint_eq(strlen(res.ref_code), 64);
	char ref[80];
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payout_result_clear(&res);
	/* payout status (api.h A2) answers in the payin polling shape */
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_status(&h.m, PA_OP_PAYOUT_STATUS, ref, &req,
					 eb),
			 PA_OK);
	ck_assert_int_eq(h_send(&h, req), PA_OK);
	pa_txn_update_t upd = {0};
	ck_assert_msg(pa_parse_status(&h.m, h.body, h.body_len, &upd, eb) ==
			      PA_OK,
		      "%s", h.body);
	ck_assert_str_eq(upd.order_id, "PAYIMPS0001");
	pa_txn_update_clear(&upd);
	ck_assert_int_eq(payout(&h, PA_PAYOUT_UPI, "PAYUPI00001", 500, &res),
			 PA_OK);
	pa_payout_result_clear(&res);
	ck_assert_int_eq(payout(&h, PA_PAYOUT_WALLET, "PAYWAL00001", 500, &res),
			 PA_OK);
	pa_payout_result_clear(&res);
	expect_error(&h, payout(&h, PA_PAYOUT_UPI, "PAYUPI00001", 5, &res),
		     PA_DUPLICATE, "Duplicate order_id found");
	/* more than the float (1,000,000 by default) */
	expect_error(&h, payout(&h, PA_PAYOUT_UPI, "PAYBIG00001", 2000000,
				&res),
		     PA_GATEWAY, "Insufficient balance");
	h_raw(&h, "POST", "/payout/api/request.php",
	      "{\"pid\":\"M1\",\"payment_mode\":\"cash\",\"order_id\":"
	      "\"PAYCASH0001\",\"amount\":10}", NULL);
	ck_assert_str_eq(h_message(&h), "Invalid payment_mode");
	h_raw(&h, "POST", "/payout/api/request.php",
	      "{\"pid\":\"M1\",\"payment_mode\":\"imps\",\"order_id\":"
	      "\"SHORT\",\"amount\":10}", NULL);
	ck_assert_str_eq(h_message(&h),
			 "order_id must be 10 to 13 alphanumeric characters");
	h_stop(&h);
}
END_TEST

/* ---- status polling, refund, UTR ------------------------------------ */

START_TEST(test_sandbox_status_polling_verified_and_errors)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "APPROVE0001", 1234, &res), PA_OK);
	char ref[80];
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payin_result_clear(&res);
	pa_txn_update_t upd = {0};
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_OK);
	ck_assert_int_eq(upd.status, PA_STATUS_PENDING);
	pa_txn_update_clear(&upd);
	ck_assert(h_wait_status(&h, ref, "Approved"));
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_OK); /* hash verified */
	ck_assert_int_eq(upd.status, PA_STATUS_SUCCEEDED);
	ck_assert_str_eq(upd.received_amount.text, "1234");
	ck_assert_str_eq(upd.order_id, "APPROVE0001");
	pa_txn_update_clear(&upd);
	char fake[65];
	memset(fake, 'a', 64);
	fake[64] = '\0';
	expect_error(&h, h_poll(&h, fake, &upd), PA_NOT_FOUND,
		     "Reference code not found.");
	char body[300];
	snprintf(body, sizeof body,
		 "{\"pid\":\"M1\",\"ref_code\":\"%s\",\"post_hash\":\"AAAA\"}",
		 ref);
	h_raw(&h, "POST", "/api/status_polling.php", body, NULL);
	ck_assert_str_eq(h_message(&h), "Verification Failed");
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_refund_initiated_then_completed)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "APPROVE0002", 300, &res), PA_OK);
	char ref[80];
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payin_result_clear(&res);
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	/* not refundable while Pending */
	ck_assert_int_eq(pa_build_refund(&h.m, ref, 0, &req, eb), PA_OK);
	h_send(&h, req);
	ck_assert_str_eq(h_message(&h),
			 "Refund not allowed for this transaction");
	ck_assert(h_wait_status(&h, ref, "Approved"));
	ck_assert_int_eq(pa_build_refund(&h.m, ref, 10000, &req, eb), PA_OK);
	h_send(&h, req);
	pa_ack_result_t ack = {0};
	ck_assert_int_eq(pa_parse_ack(h.body, h.body_len, &ack, eb), PA_OK);
	pa_ack_result_clear(&ack);
	ck_assert_str_eq(h_order_status(&h, ref), "Refund Initiated");
	ck_assert(h_wait_status(&h, ref, "Refund Completed"));
	pa_txn_update_t upd = {0};
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_OK);
	ck_assert_int_eq(upd.status, PA_STATUS_REFUNDED);
	ck_assert(upd.has_refund_info);
	ck_assert_str_eq(upd.refund.refund_amount.text, "100");
	pa_txn_update_clear(&upd);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_utr_submit_recorded)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "MANUAL00001", 100, &res), PA_OK);
	char ref[80];
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payin_result_clear(&res);
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_utr_submit(&h.m, ref, "MANUAL00001",
					     "412345678901", &req, eb),
			 PA_OK);
	h_send(&h, req);
	pa_ack_result_t ack = {0};
	ck_assert_msg(pa_parse_ack(h.body, h.body_len, &ack, eb) == PA_OK,
		      "%s", h.body);
	pa_ack_result_clear(&ack);
	char p[100];
	snprintf(p, sizeof p, "orders/%s", ref);
	json_t *o = h_ctl(&h, "GET", p, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(o, "utr")),
			 "412345678901");
	json_decref(o);
	/* a post_hash over another UTR does not verify */
	ck_assert_int_eq(pa_build_utr_submit(&h.m, ref, NULL, "999999999999",
					     &req, eb),
			 PA_OK);
	json_t *b = json_loads(req->body, 0, NULL);
	json_object_set_new(b, "utr", json_string("888888888888"));
	char *tampered = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	pa_request_destroy(req);
	h_raw(&h, "POST", "/api/collection_utr.php", tampered, NULL);
	free(tampered);
	ck_assert_str_eq(h_message(&h), "Verification Failed");
	h_stop(&h);
}
END_TEST

/* ---- complaint ------------------------------------------------------ */

START_TEST(test_sandbox_complaint_submit_and_view)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "ORDCMP00001", 100, &res), PA_OK);
	char ref[80];
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payin_result_clear(&res);
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_complaint_submit(&h.m, "ORDCMP00001", ref,
						   "not credited", NULL, &req,
						   eb),
			 PA_OK);
	h_send(&h, req);
	pa_complaint_result_t cr = {0};
	ck_assert_msg(pa_parse_complaint(h.body, h.body_len, &cr, eb) == PA_OK,
		      "%s", h.body);
	char id[32];
	snprintf(id, sizeof id, "%s", cr.complaint_id);
	pa_complaint_result_clear(&cr);
	ck_assert_int_eq(pa_build_complaint_view(&h.m, id, &req, eb), PA_OK);
	h_send(&h, req);
	ck_assert_int_eq(pa_parse_complaint(h.body, h.body_len, &cr, eb),
			 PA_OK);
	ck_assert_str_eq(cr.complaint_id, id);
	ck_assert_str_eq(cr.complaint_status, "Open");
	pa_complaint_result_clear(&cr);
	/* the other documented layout of assumption A4 is accepted too */
	pa_merchant_t alt = h.m;
	alt.complaint_sig = PA_COMPLAINT_SIG_PID_SECRET_ORDER_REF;
	ck_assert_int_eq(pa_build_complaint_view(&alt, id, &req, eb), PA_OK);
	h_send(&h, req);
	ck_assert_int_eq(pa_parse_complaint(h.body, h.body_len, &cr, eb),
			 PA_OK);
	pa_complaint_result_clear(&cr);
	/* a second complaint for the same order is refused */
	ck_assert_int_eq(pa_build_complaint_submit(&h.m, "ORDCMP00001", ref,
						   NULL, NULL, &req, eb),
			 PA_OK);
	h_send(&h, req);
	ck_assert_ptr_nonnull(strstr(h_message(&h), "Complaint already exists"));
	/* wrong token */
	pa_merchant_t bad = h.m;
	bad.complaint_token = "nope";
	ck_assert_int_eq(pa_build_complaint_view(&bad, id, &req, eb), PA_OK);
	h_send(&h, req);
	ck_assert_str_eq(h_message(&h), "Unauthorized Access");
	h_stop(&h);
}
END_TEST

/* ---- reconciliation (spec §10.5, §10.6) ------------------------------ */

static void today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%d-%m-%Y", &tm);
}

START_TEST(test_sandbox_recon_payin_lists_todays_orders)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "APPROVE0003", 700, &res), PA_OK);
	char ref[80];
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payin_result_clear(&res);
	ck_assert(h_wait_status(&h, ref, "Approved"));
	char d[11];
	today(d);
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_recon(&h.m, PA_OP_RECON_PAYIN, d, &req, eb),
			 PA_OK);
	h_send(&h, req);
	pa_recon_result_t rr = {0};
	ck_assert_int_eq(pa_parse_recon(&h.m, h.body, h.body_len, &rr, eb),
			 PA_OK);
	ck_assert_uint_eq(rr.n_items, 1);
	ck_assert_str_eq(rr.items[0].order_id, "APPROVE0003");
	ck_assert_int_eq(rr.items[0].amount_settled_minor, 70000);
	ck_assert_int_eq(rr.items[0].status, PA_STATUS_SUCCEEDED);
	pa_recon_result_clear(&rr);
	/* errors: names of the doc's "Error Responses" */
	h_raw(&h, "POST", "/api/reconcile_polling.php",
	      "{\"pid\":\"M1\",\"date\":\"01-01-2024\",\"signature\":\"x\"}",
	      NULL);
	ck_assert_str_eq(h_message(&h), "Unauthorized Access");
	h_raw(&h, "POST", "/api/reconcile_polling.php", "{\"pid\":\"M1\"}",
	      "Token: tok-1", NULL);
	ck_assert_str_eq(h_message(&h), "Missing Parameters");
	h_raw(&h, "POST", "/api/reconcile_polling.php",
	      "{\"pid\":\"XX\",\"date\":\"01-01-2024\",\"signature\":\"x\"}",
	      "Token: tok-1", NULL);
	ck_assert_str_eq(h_message(&h), "Invalid User");
	h_raw(&h, "POST", "/api/reconcile_polling.php",
	      "{\"pid\":\"M1\",\"date\":\"2024-01-01\",\"signature\":\"x\"}",
	      "Token: tok-1", NULL);
	ck_assert_str_eq(h_message(&h), "Invalid Date Format");
	h_raw(&h, "POST", "/api/reconcile_polling.php",
	      "{\"pid\":\"M1\",\"date\":\"01-01-2024\",\"signature\":\"x\"}",
	      "Token: tok-1", NULL);
	ck_assert_str_eq(h_message(&h), "Verification Failed");
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_recon_payout_daily_limit_of_ten)
{
	h_t h;
	h_start(&h, 0, NULL);
	char d[11];
	today(d);
	char eb[PA_ERRBUF_SIZE];
	for (int i = 0; i < 10; i++) {
		pa_request_t *req;
		ck_assert_int_eq(pa_build_recon(&h.m, PA_OP_RECON_PAYOUT, d,
						&req, eb),
				 PA_OK);
		h_send(&h, req);
		pa_recon_result_t rr = {0};
		ck_assert_msg(pa_parse_recon(&h.m, h.body, h.body_len, &rr,
					     eb) == PA_OK,
			      "call %d: %s", i + 1, h.body);
		pa_recon_result_clear(&rr);
	}
	pa_request_t *req;
	ck_assert_int_eq(pa_build_recon(&h.m, PA_OP_RECON_PAYOUT, d, &req, eb),
			 PA_OK);
	h_send(&h, req);
	pa_recon_result_t rr = {0};
	ck_assert_int_eq(pa_parse_recon(&h.m, h.body, h.body_len, &rr, eb),
			 PA_LIMIT);
	ck_assert_str_eq(h_message(&h),
			 "Daily limit of 10 requests reached for this pid");
	/* payin reconciliation has no such limit; reset clears the count */
	json_decref(h_ctl(&h, "POST", "reset", "{}"));
	ck_assert_int_eq(pa_build_recon(&h.m, PA_OP_RECON_PAYOUT, d, &req, eb),
			 PA_OK);
	h_send(&h, req);
	ck_assert_int_eq(pa_parse_recon(&h.m, h.body, h.body_len, &rr, eb),
			 PA_OK);
	pa_recon_result_clear(&rr);
	h_stop(&h);
}
END_TEST

/* ---- wallet reports ------------------------------------------------- */

START_TEST(test_sandbox_wallet_balance_v1_and_v2)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "APPROVE0004", 900, &res), PA_OK);
	char ref[80];
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payin_result_clear(&res);
	ck_assert(h_wait_status(&h, ref, "Approved"));
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_wallet_balance(&h.m, "op@sandbox.test",
						 "pw-1", 4, &req, eb),
			 PA_OK);
	h_send(&h, req);
	pa_wallet_balance_result_t wb = {0};
	ck_assert_msg(pa_parse_wallet_balance(&h.m, h.body, h.body_len, &wb,
					      eb) == PA_OK,
		      "%s", h.body);
	ck_assert_uint_ge(wb.n_accounts, 1);
	pa_wallet_balance_result_clear(&wb);
	ck_assert_int_eq(pa_build_wallet_balance(&h.m, "op@sandbox.test",
						 "wrong", 5, &req, eb),
			 PA_OK);
	h_send(&h, req);
	ck_assert_str_eq(h_message(&h), "Verification Failed");

	ck_assert_int_eq(pa_build_wallet_balance_v2(&h.m2, &req, eb), PA_OK);
	h_send(&h, req);
	ck_assert_int_eq(pa_parse_wallet_balance(&h.m2, h.body, h.body_len,
						 &wb, eb),
			 PA_OK);
	ck_assert(wb.has_v2);
	ck_assert_int_eq(wb.payin_balance_minor, 90000);
	pa_wallet_balance_result_clear(&wb);
	/* spec §10.3: this endpoint alone answers with HTTP codes */
	h_raw(&h, "POST", "/api/v2/wallet_balance.php", "{\"pid\":\"M1\"}",
	      NULL);
	ck_assert_int_eq(h.status, 401);
	ck_assert_str_eq(h_message(&h), "X-Api-Key header is required");
	h_raw(&h, "POST", "/api/v2/wallet_balance.php", "{\"pid\":\"M1\"}",
	      "X-Api-Key: " H_APIKEY, NULL);
	ck_assert_int_eq(h.status, 400);
	ck_assert_str_eq(h_message(&h), "signature not provided");
	h_raw(&h, "POST", "/api/v2/wallet_balance.php",
	      "{\"pid\":\"M1\",\"signature\":\"00\"}", "X-Api-Key: " H_APIKEY,
	      NULL);
	ck_assert_int_eq(h.status, 401);
	ck_assert_str_eq(h_message(&h), "Invalid signature");
	h_raw(&h, "POST", "/api/v2/wallet_balance.php",
	      "{\"pid\":\"M2\",\"signature\":\"00\"}", "X-Api-Key: k2", NULL);
	ck_assert_int_eq(h.status, 403);
	ck_assert_str_eq(h_message(&h), "IP not allowed: 127.0.0.1");
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_wallet_summary_and_data)
{
	h_t h;
	h_start(&h, 0, NULL);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "APPROVE0005", 400, &res), PA_OK);
	char ref[80];
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payin_result_clear(&res);
	ck_assert(h_wait_status(&h, ref, "Approved"));
	ck_assert_int_eq(h_payin(&h, &h.m, "MANUAL00002", 50, &res), PA_OK);
	pa_payin_result_clear(&res);
	char d[11];
	today(d);
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_wallet_summary(&h.m, "ACCM1", "c_date", d,
						 &req, eb),
			 PA_OK);
	h_send(&h, req);
	pa_wallet_summary_result_t ws = {0};
	ck_assert_int_eq(pa_parse_wallet_summary(h.body, h.body_len, &ws, eb),
			 PA_OK);
	ck_assert_uint_eq(ws.n_groups, 2);
	for (size_t i = 0; i < ws.n_groups; i++) {
		if (!strcmp(ws.groups[i].key, "success"))
			ck_assert_int_eq(ws.groups[i].received_amount_minor,
					 40000);
		else
			ck_assert_str_eq(ws.groups[i].key, "pending");
		ck_assert_int_eq(ws.groups[i].transaction_count, 1);
	}
	pa_wallet_summary_result_clear(&ws);
	h_raw(&h, "POST", "/bot/api_v2/account_deposit.php",
	      "{\"account_number\":\"ACCM1\",\"filter_date_type\":\"x\","
	      "\"filter_date\":\"01-01-2024\"}", "Api-Key: op-1", NULL);
	ck_assert_int_eq(h.status, 401);
	ck_assert_str_eq(h_message(&h), "Un Supported Filter Type");
	h_raw(&h, "POST", "/bot/api_v2/account_deposit.php", "{}", NULL);
	ck_assert_int_eq(h.status, 401);
	ck_assert_str_eq(h_message(&h), "Api-Key header missing");
	h_raw(&h, "POST", "/bot/api_v2/account_deposit.php", "{}",
	      "Api-Key: bad", NULL);
	ck_assert_str_eq(h_message(&h), "Invalid or unauthorized Api-Key");

	ck_assert_int_eq(pa_build_wallet_data(&h.m, &req, eb), PA_OK);
	h_send(&h, req);
	pa_wallet_data_result_t wd = {0};
	ck_assert_msg(pa_parse_wallet_data(h.body, h.body_len, &wd, eb) ==
			      PA_OK,
		      "%s", h.body);
	ck_assert_int_eq(wd.active_count, 1);
	ck_assert_str_eq(wd.accounts[0].usage_volume, "400");
	pa_wallet_data_result_clear(&wd);
	h_stop(&h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("payin");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sandbox_payin_seamless_returns_ref_and_upi_string);
	tcase_add_test(tc, test_sandbox_payin_duplicate_order_id_rejected);
	tcase_add_test(tc, test_sandbox_payin_missing_fields_named_as_documented);
	tcase_add_test(tc, test_sandbox_payin_unknown_pid_and_ip_not_allowed);
	tcase_add_test(tc, test_sandbox_payin_hosted_page_approves);
	tcase_add_test(tc, test_sandbox_payin_bangladesh_and_pakistan);
	suite_add_tcase(s, tc);
	tc = tcase_create("v2");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sandbox_v2_signature_and_api_key_checked);
	tcase_add_test(tc, test_sandbox_v2_hosted_payout_and_polling);
	suite_add_tcase(s, tc);
	tc = tcase_create("payout");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sandbox_payout_every_mode_and_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("status");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sandbox_status_polling_verified_and_errors);
	tcase_add_test(tc, test_sandbox_refund_initiated_then_completed);
	tcase_add_test(tc, test_sandbox_utr_submit_recorded);
	suite_add_tcase(s, tc);
	tc = tcase_create("reports");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sandbox_complaint_submit_and_view);
	tcase_add_test(tc, test_sandbox_recon_payin_lists_todays_orders);
	tcase_add_test(tc, test_sandbox_recon_payout_daily_limit_of_ten);
	tcase_add_test(tc, test_sandbox_wallet_balance_v1_and_v2);
	tcase_add_test(tc, test_sandbox_wallet_summary_and_data);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
