/* check_api_report.c -- reconciliation, wallet balance V1/V2, wallet
 * transaction summary, wallet data (spec §10.2, §10.3, §10.5-§10.8), and
 * the robustness of every reply parser against every spec sample. */
#include <dirent.h>
#include <stdio.h>

#include "api_fixture.h"

/* Runs every reply parser over body[0..len) and releases what it built:
 * whatever the input, a parser returns a code and leaks nothing. */
static int run_all_parsers(const char *body, size_t len)
{
	int ok = 0;
	pa_payin_result_t pi;
	pa_payout_result_t po;
	pa_ack_result_t ack;
	pa_complaint_result_t co;
	pa_recon_result_t re;
	pa_wallet_balance_result_t wb;
	pa_wallet_summary_result_t ws;
	pa_wallet_data_result_t wd;
	pa_txn_update_t tu;
	char eb[PA_ERRBUF_SIZE];
	ok += pa_parse_payin(&fx_m, body, len, &pi, eb) == PA_OK;
	pa_payin_result_clear(&pi);
	ok += pa_parse_payout(body, len, &po, eb) == PA_OK;
	pa_payout_result_clear(&po);
	ok += pa_parse_ack(body, len, &ack, eb) == PA_OK;
	pa_ack_result_clear(&ack);
	ok += pa_parse_complaint(body, len, &co, eb) == PA_OK;
	pa_complaint_result_clear(&co);
	ok += pa_parse_recon(&fx_m, body, len, &re, eb) == PA_OK;
	pa_recon_result_clear(&re);
	ok += pa_parse_wallet_balance(&fx_m, body, len, &wb, eb) == PA_OK;
	pa_wallet_balance_result_clear(&wb);
	ok += pa_parse_wallet_summary(body, len, &ws, eb) == PA_OK;
	pa_wallet_summary_result_clear(&ws);
	ok += pa_parse_wallet_data(body, len, &wd, eb) == PA_OK;
	pa_wallet_data_result_clear(&wd);
	ok += pa_parse_status(&fx_m, body, len, &tu, eb) == PA_OK;
	pa_txn_update_clear(&tu);
	return ok;
}

START_TEST(test_api_parsers_survive_every_sample_and_prefix)
{
	char dir[512];
	pwt_data_path("spec", dir, sizeof(dir));
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *de;
	int files = 0;
	while ((de = readdir(d))) {
		size_t nl = strlen(de->d_name);
		if (nl < 6 || strcmp(de->d_name + nl - 5, ".json") != 0)
			continue;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(nl - 5), de->d_name);
		size_t len;
		char *s = fx_spec(name, &len);
		run_all_parsers(s, len);
		/* Every strict prefix that ends before the closing brace is
		 * not JSON: no parser may accept it. */
		const char *end = strrchr(s, '}');
		ck_assert_ptr_nonnull(end);
		for (size_t n = 0; n < (size_t)(end - s); n++) {
			char *cut = malloc(n ? n : 1);
			memcpy(cut, s, n);
			ck_assert_msg(run_all_parsers(cut, n) == 0,
				      "%s: prefix %zu accepted", name, n);
			free(cut);
		}
		free(s);
		files++;
	}
	closedir(d);
	ck_assert_int_ge(files, 50);
}
END_TEST

START_TEST(test_api_recon_request_signature)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE], want[65];
	ck_assert_int_eq(pa_build_recon(&fx_m, PA_OP_RECON_PAYIN, "15-10-2023",
					&req, eb),
			 PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/api/reconcile_polling.php");
	ck_assert_str_eq(pa_request_header(req, "Token"), "recon-token-1");
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "date"), "15-10-2023");
	fx_sha(want, "000000000000", "$S", "15-10-2023", NULL); /* §3.3 */
	ck_assert_str_eq(fx_str(b, "signature"), want);
	ck_assert_int_eq(json_object_size(b), 3);
	json_decref(b);
	pa_request_destroy(req);
	ck_assert_int_eq(pa_build_recon(&fx_m, PA_OP_RECON_PAYOUT,
					"29-02-2024", &req, eb),
			 PA_OK);
	ck_assert_str_eq(req->url,
			 FX_BASE "/payout/api/payout_reconcile_polling.php");
	pa_request_destroy(req);
}
END_TEST

START_TEST(test_api_recon_rejects_bad_dates)
{
	static const char *const bad[] = {"2023-10-15", "15/10/2023",
					  "32-01-2023", "29-02-2023",
					  "15-13-2023", "1-10-2023", "",
					  "15-10-2023 "};
	pa_request_t *req = NULL;
	char eb[PA_ERRBUF_SIZE];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(pa_build_recon(&fx_m, PA_OP_RECON_PAYIN, bad[i],
					     &req, eb) == PA_VALIDATION,
			      "accepted %s", bad[i]);
		fx_assert_field(eb, "date");
	}
	fx_m.recon_token = NULL;
	ck_assert_int_eq(pa_build_recon(&fx_m, PA_OP_RECON_PAYIN, "15-10-2023",
					&req, eb),
			 PA_CONFIG);
	fx_assert_field(eb, "merchant.recon_token");
	ck_assert_ptr_null(req);
}
END_TEST

START_TEST(test_api_recon_parses_payin_and_payout_samples)
{
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	pa_recon_result_t res;
	char *s = fx_spec("recon_payin_response", &len);
	ck_assert_int_eq(pa_parse_recon(&fx_m, s, len, &res, eb), PA_OK);
	ck_assert_uint_eq(res.n_items, 1);
	ck_assert_str_eq(res.items[0].order_id, "ORDdER123456");
	ck_assert_str_eq(res.items[0].bank_ref, "UTR1d234567890");
	ck_assert_str_eq(res.items[0].order_create_time,
			 "October 15, 2023, 2:30 pm");
	ck_assert_int_eq(res.items[0].status, PA_STATUS_SUCCEEDED);
	/* default: whole units (samples 1000/950, §11) */
	ck_assert_int_eq(res.items[0].amount_requested_minor, 100000);
	ck_assert_int_eq(res.items[0].amount_settled_minor, 95000);
	pa_recon_result_clear(&res);
	fx_m.report_amounts_minor = 1;
	ck_assert_int_eq(pa_parse_recon(&fx_m, s, len, &res, eb), PA_OK);
	ck_assert_int_eq(res.items[0].amount_settled_minor, 950);
	pa_recon_result_clear(&res);
	free(s);
	fx_m.report_amounts_minor = 0;
	s = fx_spec("recon_payout_response", &len);
	ck_assert_int_eq(pa_parse_recon(&fx_m, s, len, &res, eb), PA_OK);
	ck_assert_int_eq(res.items[0].amount_settled_minor, 100000);
	pa_recon_result_clear(&res);
	free(s);
}
END_TEST

START_TEST(test_api_recon_error_replies)
{
	static const struct {
		const char *file;
		pa_err_t want;
	} t[] = {
		{"error_recon_daily_limit", PA_LIMIT},
		{"error_recon_unauthorized_access", PA_AUTH},
		{"error_recon_verification_failed", PA_AUTH},
		{"error_recon_invalid_user", PA_AUTH},
		{"error_recon_missing_parameters", PA_GATEWAY},
		{"error_recon_invalid_date_format", PA_GATEWAY},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		char eb[PA_ERRBUF_SIZE];
		pa_recon_result_t res;
		char *s = fx_spec(t[i].file, &len);
		ck_assert_msg(pa_parse_recon(&fx_m, s, len, &res, eb) ==
				      t[i].want,
			      "%s", t[i].file);
		free(s);
	}
}
END_TEST

START_TEST(test_api_wallet_balance_v1_request)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_wallet_balance(&fx_m, "abc@payatom.in",
						 "hunter2", 7, &req, eb),
			 PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/api/wallet_balance.php");
	ck_assert_str_eq(pa_request_header(req, "Authorization"),
			 "balance-token");
	json_t *b = fx_body(req);
	/* §3.5: md5 of the operator password; the password is not sent */
	ck_assert_str_eq(fx_str(b, "verification_code"),
			 "2ab96390c7dbe3439de74d0c9b0b1767");
	ck_assert_ptr_null(strstr(req->body, "hunter2"));
	json_decref(b);
	pa_request_destroy(req);
	ck_assert_int_eq(pa_build_wallet_balance(&fx_m, "abc@payatom.in", "",
						 0, &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "password");
}
END_TEST

START_TEST(test_api_wallet_balance_v1_reply_accepts_typo)
{
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	pa_wallet_balance_result_t res;
	char *s = fx_spec("wallet_balance_v1_response", &len);
	ck_assert_int_eq(pa_parse_wallet_balance(&fx_m, s, len, &res, eb),
			 PA_OK);
	ck_assert_str_eq(res.operator_name, "Name");
	ck_assert_uint_eq(res.n_accounts, 4);
	ck_assert_str_eq(res.accounts[0].upi, "sample@uoi");
	ck_assert_int_eq(res.accounts[1].limit_volume_minor, 10000000);
	ck_assert_int_eq(res.accounts[2].is_bank, 1);
	ck_assert_str_eq(res.accounts[2].account_number, "34343432323232");
	/* "Account_number" (the sample's typo, §12.14) */
	ck_assert_str_eq(res.accounts[3].account_number, "34343432323233");
	ck_assert_int_eq(res.accounts[3].usage_volume_minor, 120000);
	ck_assert_int_eq(res.has_v2, 0);
	pa_wallet_balance_result_clear(&res);
	free(s);
}
END_TEST

START_TEST(test_api_wallet_balance_v2)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_wallet_balance_v2(&fx_m, &req, eb),
			 PA_UNSUPPORTED);
	fx_v2();
	ck_assert_int_eq(pa_build_wallet_balance_v2(&fx_m, &req, eb), PA_OK);
	ck_assert_int_eq(req->op, PA_OP_WALLET_BALANCE_V2);
	ck_assert_str_eq(req->url, FX_BASE "/api/v2/wallet_balance.php");
	ck_assert_str_eq(pa_request_header(req, "Content-Type"),
			 "application/json; charset=utf-8");
	ck_assert_str_eq(pa_request_header(req, "X-Api-Key"),
			 "1111-2222-3333-4444");
	json_t *b = fx_body(req);
	ck_assert_int_eq(json_object_size(b), 2);
	fx_assert_v2_signature(b);
	json_decref(b);
	pa_request_destroy(req);

	size_t len;
	pa_wallet_balance_result_t res;
	char *s = fx_spec("wallet_balance_v2_response", &len);
	ck_assert_int_eq(pa_parse_wallet_balance(&fx_m, s, len, &res, eb),
			 PA_OK);
	ck_assert_int_eq(res.has_v2, 1);
	ck_assert_str_eq(res.message, "Balance fetched successfully");
	ck_assert_int_eq(res.payin_balance_minor, 2500000);
	ck_assert_int_eq(res.payout_balance_minor, 1850000);
	ck_assert_int_eq(res.payin_matured_balance_minor, 2200000);
	pa_wallet_balance_result_clear(&res);
	free(s);
}
END_TEST

START_TEST(test_api_wallet_balance_v2_errors)
{
	static const struct {
		const char *file;
		pa_err_t want;
	} t[] = {
		{"error_v2_balance_pid_not_provided", PA_GATEWAY},
		{"error_v2_balance_signature_not_provided", PA_GATEWAY},
		{"error_v2_balance_invalid_signature", PA_AUTH},
		{"error_v2_balance_invalid_pid", PA_AUTH},
		{"error_v2_balance_ip_not_allowed", PA_AUTH},
		{"error_v2_balance_x_api_key_required", PA_AUTH},
		{"error_v2_balance_invalid_api_key", PA_AUTH},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		char eb[PA_ERRBUF_SIZE];
		pa_wallet_balance_result_t res;
		char *s = fx_spec(t[i].file, &len);
		ck_assert_msg(pa_parse_wallet_balance(&fx_m, s, len, &res,
						      eb) == t[i].want,
			      "%s", t[i].file);
		ck_assert(strncmp(eb, "gateway: ", 9) == 0);
		free(s);
	}
}
END_TEST

START_TEST(test_api_wallet_summary)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_wallet_summary(&fx_m, "1234567890",
						 "action_date", "31-12-2023",
						 &req, eb),
			 PA_OK);
	ck_assert_str_eq(req->url, FX_BASE "/bot/api_v2/account_deposit.php");
	ck_assert_str_eq(pa_request_header(req, "Api-Key"), "abc123xyz789");
	json_t *got = fx_body(req);
	size_t len;
	char *s = fx_spec("wallet_summary_request", &len);
	json_t *want = json_loadb(s, len, 0, NULL);
	ck_assert(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	free(s);
	pa_request_destroy(req);
	ck_assert_int_eq(pa_build_wallet_summary(&fx_m, "1234567890", "date",
						 "31-12-2023", &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "filter_date_type");
	ck_assert_int_eq(pa_build_wallet_summary(&fx_m, "1234567890", "c_date",
						 "2023-12-31", &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "filter_date");
	ck_assert_int_eq(pa_build_wallet_summary(&fx_m, NULL, "c_date",
						 "31-12-2023", &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "account_number");

	pa_wallet_summary_result_t res;
	s = fx_spec("wallet_summary_response", &len);
	ck_assert_int_eq(pa_parse_wallet_summary(s, len, &res, eb), PA_OK);
	ck_assert_uint_eq(res.n_groups, 2);
	for (size_t i = 0; i < res.n_groups; i++) {
		if (strcmp(res.groups[i].key, "success") == 0) {
			ck_assert_int_eq(res.groups[i].transaction_count, 3);
			ck_assert_int_eq(res.groups[i].received_amount_minor,
					 150000);
		} else {
			ck_assert_str_eq(res.groups[i].key, "pending");
			ck_assert_int_eq(res.groups[i].request_amount_minor,
					 20000);
		}
	}
	pa_wallet_summary_result_clear(&res);
	free(s);
}
END_TEST

START_TEST(test_api_wallet_summary_errors)
{
	static const struct {
		const char *file;
		pa_err_t want;
	} t[] = {
		{"error_wallet_summary_api_key_missing", PA_AUTH},
		{"error_wallet_summary_api_key_invalid", PA_AUTH},
		{"error_wallet_summary_filter_date_type_missing", PA_GATEWAY},
		{"error_wallet_summary_filter_date_missing", PA_GATEWAY},
		{"error_wallet_summary_unsupported_filter_type", PA_GATEWAY},
		{"error_wallet_summary_invalid_filter_date_format", PA_GATEWAY},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		pa_wallet_summary_result_t res;
		char *s = fx_spec(t[i].file, &len);
		ck_assert_msg(pa_parse_wallet_summary(s, len, &res, NULL) ==
				      t[i].want,
			      "%s", t[i].file);
		free(s);
	}
}
END_TEST

START_TEST(test_api_wallet_data)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_wallet_data(&fx_m, &req, eb), PA_OK);
	ck_assert_str_eq(req->method, "GET");
	ck_assert_str_eq(req->url, FX_BASE "/bot/api_v2/account_status.php");
	ck_assert_ptr_null(req->body);
	ck_assert_str_eq(pa_request_header(req, "Api-Key"), "abc123xyz789");
	pa_request_destroy(req);
	fx_m.bot_api_key = NULL;
	ck_assert_int_eq(pa_build_wallet_data(&fx_m, &req, eb), PA_CONFIG);

	size_t len;
	pa_wallet_data_result_t res;
	char *s = fx_spec("wallet_data_response", &len);
	ck_assert_int_eq(pa_parse_wallet_data(s, len, &res, eb), PA_OK);
	ck_assert_int_eq(res.active_count, 2);
	ck_assert_int_eq(res.inactive_count, 1);
	ck_assert_uint_eq(res.n_accounts, 3);
	ck_assert_str_eq(res.accounts[0].usage_volume, "2500"); /* usage_volum */
	ck_assert_str_eq(res.accounts[0].limit_volume, "100000");
	ck_assert_int_eq(res.accounts[0].available_limit, 97500);
	ck_assert_int_eq(res.accounts[1].has_available_limit, 0); /* null */
	ck_assert_ptr_null(res.accounts[1].upi);
	ck_assert_str_eq(res.accounts[1].phone_number, "01712345678");
	ck_assert_int_eq(res.accounts[2].active, 0);
	ck_assert_int_eq(res.accounts[2].has_available_limit, 1);
	pa_wallet_data_result_clear(&res);
	free(s);
	const char *bad = "{\"status\":\"success\",\"data\":[]}";
	ck_assert_int_eq(pa_parse_wallet_data(bad, strlen(bad), &res, eb),
			 PA_PARSE);
	fx_assert_field(eb, "data");
}
END_TEST

START_TEST(test_api_report_requests_match_spec_samples)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_recon(&fx_m, PA_OP_RECON_PAYIN, "15-10-2023",
					&req, eb),
			 PA_OK);
	fx_assert_same_keys(req, "recon_payin_request");
	pa_request_destroy(req);
	ck_assert_int_eq(pa_build_wallet_balance(&fx_m, "abc@payatom.in", "pw",
						 2, &req, eb),
			 PA_OK);
	fx_assert_same_keys(req, "wallet_balance_v1_request");
	pa_request_destroy(req);
	fx_v2();
	ck_assert_int_eq(pa_build_wallet_balance_v2(&fx_m, &req, eb), PA_OK);
	fx_assert_same_keys(req, "wallet_balance_v2_request");
	pa_request_destroy(req);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_report");
	TCase *r = tcase_create("reconciliation");
	tcase_add_checked_fixture(r, fx_setup, fx_teardown);
	tcase_add_test(r, test_api_recon_request_signature);
	tcase_add_test(r, test_api_recon_rejects_bad_dates);
	tcase_add_test(r, test_api_recon_parses_payin_and_payout_samples);
	tcase_add_test(r, test_api_recon_error_replies);
	suite_add_tcase(s, r);
	TCase *w = tcase_create("wallets");
	tcase_add_checked_fixture(w, fx_setup, fx_teardown);
	tcase_add_test(w, test_api_wallet_balance_v1_request);
	tcase_add_test(w, test_api_wallet_balance_v1_reply_accepts_typo);
	tcase_add_test(w, test_api_wallet_balance_v2);
	tcase_add_test(w, test_api_wallet_balance_v2_errors);
	tcase_add_test(w, test_api_wallet_summary);
	tcase_add_test(w, test_api_wallet_summary_errors);
	tcase_add_test(w, test_api_wallet_data);
	tcase_add_test(w, test_api_report_requests_match_spec_samples);
	suite_add_tcase(s, w);
	TCase *rb = tcase_create("robustness");
	tcase_add_checked_fixture(rb, fx_setup, fx_teardown);
	tcase_add_test(rb, test_api_parsers_survive_every_sample_and_prefix);
	suite_add_tcase(s, rb);
	return fx_run(s);
}
