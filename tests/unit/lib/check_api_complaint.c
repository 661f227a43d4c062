/* check_api_complaint.c -- complaint submit/view (spec §10.4, api.h A4). */
#include "api_fixture.h"

START_TEST(test_api_complaint_submit_request)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE], want[65];
	ck_assert_int_eq(pa_build_complaint_submit(
				 &fx_m, "ORD1234567890", "9f1c2d3e4b5a6978",
				 "Paid but order not credited", "iVBORw0KGgo=",
				 &req, eb),
			 PA_OK);
	ck_assert_int_eq(req->op, PA_OP_COMPLAINT_SUBMIT);
	ck_assert_str_eq(req->url,
			 FX_BASE "/api/complaint/submit_complaint.php");
	ck_assert_str_eq(pa_request_header(req, "Authorization"),
			 "Bearer complaint-bearer");
	ck_assert_str_eq(req->order_id, "ORD1234567890");
	json_t *b = fx_body(req);
	/* A4 default layout: sha256(pid . order_id . ref_code . secret) */
	fx_sha(want, "000000000000", "ORD1234567890", "9f1c2d3e4b5a6978",
	       "$S");
	ck_assert_str_eq(fx_str(b, "signature"), want);
	/* same field set as the spec sample */
	size_t len;
	char *s = fx_spec("complaint_submit_request", &len);
	json_t *sample = json_loadb(s, len, 0, NULL);
	const char *k;
	json_t *v;
	json_object_foreach(sample, k, v)
		ck_assert_msg(json_object_get(b, k) != NULL, "missing %s", k);
	ck_assert_int_eq(json_object_size(b), json_object_size(sample));
	json_decref(sample);
	free(s);
	json_decref(b);
	pa_request_destroy(req);

	/* layout 1: sha256(pid . secret . order_id . ref_code) */
	fx_m.complaint_sig = PA_COMPLAINT_SIG_PID_SECRET_ORDER_REF;
	ck_assert_int_eq(pa_build_complaint_submit(&fx_m, "ORD1234567890",
						   "9f1c2d3e4b5a6978", NULL,
						   NULL, &req, eb),
			 PA_OK);
	b = fx_body(req);
	char *l1 = NULL;
	{
		char buf[65];
		fx_sha(buf, "000000000000", "$S", "ORD1234567890",
		       "9f1c2d3e4b5a6978");
		l1 = strdup(buf);
	}
	ck_assert_str_eq(fx_str(b, "signature"), l1);
	free(l1);
	json_decref(b);
	pa_request_destroy(req);
	fx_m.complaint_sig = PA_COMPLAINT_SIG_PID_ORDER_REF_SECRET;

	/* optional fields are left out */
	ck_assert_int_eq(pa_build_complaint_submit(&fx_m, "ORD1234567890",
						   "9f1c2d3e4b5a6978", NULL,
						   NULL, &req, eb),
			 PA_OK);
	b = fx_body(req);
	ck_assert_int_eq(json_object_size(b), 4);
	json_decref(b);
	pa_request_destroy(req);
}
END_TEST

START_TEST(test_api_complaint_validation)
{
	pa_request_t *req = NULL;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_complaint_submit(&fx_m, "ORD1234567890", "",
						   NULL, NULL, &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "ref_code");
	ck_assert_int_eq(pa_build_complaint_submit(&fx_m, NULL, "abc", NULL,
						   NULL, &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "order_id");
	ck_assert_int_eq(pa_build_complaint_submit(&fx_m, "ORD1234567890",
						   "abc", NULL, "not base64!",
						   &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "screenshot_images");
	fx_m.complaint_token = NULL;
	ck_assert_int_eq(pa_build_complaint_submit(&fx_m, "ORD1234567890",
						   "abc", NULL, NULL, &req,
						   eb),
			 PA_CONFIG);
	fx_assert_field(eb, "merchant.complaint_token");
	ck_assert_ptr_null(req);
}
END_TEST

START_TEST(test_api_complaint_view_request)
{
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE], want[65];
	ck_assert_int_eq(pa_build_complaint_view(&fx_m, "CMP000123", &req, eb),
			 PA_OK);
	ck_assert_int_eq(req->op, PA_OP_COMPLAINT_VIEW);
	ck_assert_str_eq(req->url, FX_BASE "/api/complaint/view_complaint.php");
	json_t *b = fx_body(req);
	ck_assert_str_eq(fx_str(b, "complaint_id"), "CMP000123");
	fx_sha(want, "000000000000", "CMP000123", "$S", NULL);
	ck_assert_str_eq(fx_str(b, "signature"), want);
	json_decref(b);
	pa_request_destroy(req);
	fx_m.complaint_sig = PA_COMPLAINT_SIG_PID_SECRET_ORDER_REF;
	ck_assert_int_eq(pa_build_complaint_view(&fx_m, "CMP000123", &req, eb),
			 PA_OK);
	b = fx_body(req);
	fx_sha(want, "000000000000", "$S", "CMP000123", NULL);
	ck_assert_str_eq(fx_str(b, "signature"), want);
	json_decref(b);
	pa_request_destroy(req);
	ck_assert_int_eq(pa_build_complaint_view(&fx_m, "", &req, eb),
			 PA_VALIDATION);
	fx_assert_field(eb, "complaint_id");
}
END_TEST

START_TEST(test_api_complaint_replies)
{
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	pa_complaint_result_t res;
	char *s = fx_spec("complaint_submit_response_assumed", &len);
	ck_assert_int_eq(pa_parse_complaint(s, len, &res, eb), PA_OK);
	ck_assert_str_eq(res.complaint_id, "CMP000123");
	ck_assert_str_eq(res.message, "Complaint submitted");
	pa_complaint_result_clear(&res);
	free(s);
	const char *nested = "{\"status\":\"success\",\"data\":{"
			     "\"complaint_reference_id\":\"C9\","
			     "\"complaint_status\":\"Open\"}}";
	ck_assert_int_eq(pa_parse_complaint(nested, strlen(nested), &res, eb),
			 PA_OK);
	ck_assert_str_eq(res.complaint_id, "C9");
	ck_assert_str_eq(res.complaint_status, "Open");
	pa_complaint_result_clear(&res);
	const char *err = "{\"status\":\"error\",\"message\":\"Invalid "
			  "signature\"}";
	ck_assert_int_eq(pa_parse_complaint(err, strlen(err), &res, eb),
			 PA_AUTH);
}
END_TEST

START_TEST(test_api_classify_every_documented_message)
{
	static const struct {
		const char *msg;
		pa_err_t want;
	} t[] = {
		{"Duplicate order_id found", PA_DUPLICATE},
		{"Duplicate order_id Found", PA_DUPLICATE},
		{"Reference code not found.", PA_NOT_FOUND},
		{"Daily limit reached for this pid", PA_LIMIT},
		{"Invalid PID", PA_AUTH},
		{"invalid pid", PA_AUTH},
		{"Invalid signature", PA_AUTH},
		{"X-Api-Key header is required", PA_AUTH},
		{"Invalid API key", PA_AUTH},
		{"Api-Key header missing", PA_AUTH},
		{"Invalid or unauthorized Api-Key", PA_AUTH},
		{"IP not allowed: 203.0.113.7", PA_AUTH},
		{"pid is required field", PA_GATEWAY},
		{"Invalid Filter Date Format", PA_GATEWAY},
		{"", PA_GATEWAY},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(pa_api_classify_message(t[i].msg,
						      strlen(t[i].msg)) ==
				      t[i].want,
			      "%s", t[i].msg);
	ck_assert_int_eq(pa_api_classify_message(NULL, 0), PA_GATEWAY);
	/* length-bounded: "Invalid PID" cut to "Invalid P" is not auth */
	ck_assert_int_eq(pa_api_classify_message("Invalid PID", 9),
			 PA_GATEWAY);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api_complaint");
	TCase *c = tcase_create("complaint");
	tcase_add_checked_fixture(c, fx_setup, fx_teardown);
	tcase_add_test(c, test_api_complaint_submit_request);
	tcase_add_test(c, test_api_complaint_validation);
	tcase_add_test(c, test_api_complaint_view_request);
	tcase_add_test(c, test_api_complaint_replies);
	suite_add_tcase(s, c);
	TCase *e = tcase_create("error_messages");
	tcase_add_test(e, test_api_classify_every_documented_message);
	suite_add_tcase(s, e);
	return fx_run(s);
}
