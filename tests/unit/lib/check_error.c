/* check_error.c -- the error list: names, messages, classes. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/error.h"

START_TEST(test_error_every_code_has_name_and_message)
{
	for (int e = 0; e < PA__ERR_COUNT; e++) {
		ck_assert_ptr_nonnull(pa_strerror((pa_err_t)e));
		ck_assert_int_gt(strlen(pa_err_name((pa_err_t)e)), 0);
		/* a code is never both retryable and fatal */
		ck_assert(!(pa_err_is_retryable((pa_err_t)e) &&
			    pa_err_is_fatal((pa_err_t)e)));
	}
	ck_assert_str_eq(pa_strerror((pa_err_t)9999), "unknown error");
}
END_TEST

START_TEST(test_error_classes_follow_design)
{
	ck_assert(!pa_err_is_fatal(PA_OK) && !pa_err_is_retryable(PA_OK));
	ck_assert(pa_err_is_retryable(PA_TIMEOUT));
	ck_assert(pa_err_is_retryable(PA_CONNECT));
	ck_assert(pa_err_is_retryable(PA_HTTP_5XX));
	ck_assert(pa_err_is_retryable(PA_RATE_LIMITED));
	ck_assert(pa_err_is_fatal(PA_VALIDATION));
	ck_assert(pa_err_is_fatal(PA_MAC));
	ck_assert(pa_err_is_fatal(PA_GATEWAY));
	ck_assert_str_eq(pa_err_name(PA_MAC), "MAC");
}
END_TEST

START_TEST(test_error_seterr_formats_and_returns_code)
{
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_seterr(eb, PA_VALIDATION, "field %s", "amount"),
			 PA_VALIDATION);
	ck_assert_str_eq(eb, "field amount");
	ck_assert_int_eq(pa_seterr(NULL, PA_INVAL, "x"), PA_INVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("error");
	TCase *tc = tcase_create("list");
	tcase_add_test(tc, test_error_every_code_has_name_and_message);
	tcase_add_test(tc, test_error_classes_follow_design);
	tcase_add_test(tc, test_error_seterr_formats_and_returns_code);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
