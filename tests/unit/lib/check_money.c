/* check_money.c -- amount parsing and PHP-style printing (spec §2.2, §3.2,
 * §12.1, §12.7). Vectors: tests/data/crypto/money_php.txt (PHP's own
 * printing, made by tests/data/gen/make_vectors.sh). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "payatom/money.h"
#include "pwtest.h"

START_TEST(test_money_parse_and_format_match_php)
{
	char *txt = pwt_read_data("crypto/money_php.txt", NULL);
	ck_assert_ptr_nonnull(txt);
	int n = 0;
	char *save = NULL;
	for (char *ln = strtok_r(txt, "\n", &save); ln;
	     ln = strtok_r(NULL, "\n", &save)) {
		if (ln[0] == '#')
			continue;
		char *raw = ln, *php = strchr(raw, '|');
		ck_assert_ptr_nonnull(php);
		*php++ = '\0';
		char *dp2 = strchr(php, '|');
		ck_assert_ptr_nonnull(dp2);
		*dp2++ = '\0';
		int64_t minor = -1;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_msg(pa_money_parse(raw, strlen(raw), &minor, eb) ==
				      PA_OK,
			      "%s: %s", raw, eb);
		char out[PA_MONEY_STR_MAX];
		pa_money_format_php(minor, out);
		ck_assert_msg(strcmp(out, php) == 0, "%s: php form %s, want %s",
			      raw, out, php);
		pa_money_format_2dp(minor, out);
		ck_assert_msg(strcmp(out, dp2) == 0, "%s: 2dp form %s, want %s",
			      raw, out, dp2);
		n++;
	}
	free(txt);
	ck_assert_int_ge(n, 10);
}
END_TEST

START_TEST(test_money_parse_minor_units)
{
	int64_t m = 0;
	ck_assert_int_eq(pa_money_parse("100", 3, &m, NULL), PA_OK);
	ck_assert_int_eq(m, 10000);
	ck_assert_int_eq(pa_money_parse("12.5", 4, &m, NULL), PA_OK);
	ck_assert_int_eq(m, 1250);
	ck_assert_int_eq(pa_money_parse("0.05", 4, &m, NULL), PA_OK);
	ck_assert_int_eq(m, 5);
	/* length is honoured, no NUL needed */
	ck_assert_int_eq(pa_money_parse("12.50xyz", 5, &m, NULL), PA_OK);
	ck_assert_int_eq(m, 1250);
}
END_TEST

START_TEST(test_money_parse_rejects_malformed)
{
	static const char *bad[] = {"",    "-1",   "+1",    "1e2",  " 1",
				    "1 ",  ".5",   "5.",    "1.234", "1,000",
				    "0x10", "1..2", "1.2.3", "abc",  "\xef\xbc\x91"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t m = 77;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_msg(pa_money_parse(bad[i], strlen(bad[i]), &m, eb) ==
				      PA_VALIDATION,
			      "accepted '%s'", bad[i]);
		ck_assert_int_eq(m, 0);
		ck_assert_str_ne(eb, "");
	}
	int64_t m;
	ck_assert_int_eq(pa_money_parse("1\0", 2, &m, NULL), PA_VALIDATION);
	ck_assert_int_eq(pa_money_parse(NULL, 1, &m, NULL), PA_INVAL);
}
END_TEST

START_TEST(test_money_overflow_is_detected)
{
	int64_t m = 0;
	ck_assert_int_eq(pa_money_parse("92233720368547758.07", 20, &m, NULL),
			 PA_OK);
	ck_assert_int_eq(m, INT64_MAX);
	ck_assert_int_eq(pa_money_parse("92233720368547758.08", 20, &m, NULL),
			 PA_RANGE);
	ck_assert_int_eq(pa_money_parse("92233720368547759", 17, &m, NULL),
			 PA_RANGE);
	ck_assert_int_eq(
		pa_money_parse("99999999999999999999999999", 26, &m, NULL),
		PA_RANGE);
	ck_assert_int_eq(pa_money_from_major(INT64_MAX / 100, &m), PA_OK);
	ck_assert_int_eq(pa_money_from_major(INT64_MAX / 100 + 1, &m),
			 PA_RANGE);
	ck_assert_int_eq(pa_money_from_major(INT64_MIN / 100 - 1, &m),
			 PA_RANGE);
	char out[PA_MONEY_STR_MAX];
	pa_money_format_php(INT64_MIN, out);
	ck_assert_str_eq(out, "-92233720368547758.08");
	pa_money_format_2dp(INT64_MAX, out);
	ck_assert_str_eq(out, "92233720368547758.07");
}
END_TEST

START_TEST(test_money_format_negative_and_zero)
{
	char out[PA_MONEY_STR_MAX];
	pa_money_format_php(-50, out);
	ck_assert_str_eq(out, "-0.5");
	pa_money_format_php(0, out);
	ck_assert_str_eq(out, "0");
	pa_money_format_2dp(-1205, out);
	ck_assert_str_eq(out, "-12.05");
	pa_money_format_2dp(0, out);
	ck_assert_str_eq(out, "0.00");
}
END_TEST

START_TEST(test_money_whole_units)
{
	int64_t major = 0;
	ck_assert(pa_money_is_whole(10000));
	ck_assert(!pa_money_is_whole(10050));
	ck_assert(pa_money_is_whole(0));
	ck_assert_int_eq(pa_money_to_major(10000, &major), PA_OK);
	ck_assert_int_eq(major, 100);
	ck_assert_int_eq(pa_money_to_major(10050, &major), PA_VALIDATION);
}
END_TEST

START_TEST(test_money_from_json_types)
{
	int64_t m = 0;
	json_t *v = json_integer(100);
	ck_assert_int_eq(pa_money_from_json(v, &m, NULL), PA_OK);
	ck_assert_int_eq(m, 10000);
	json_decref(v);
	v = json_string("12.50");
	ck_assert_int_eq(pa_money_from_json(v, &m, NULL), PA_OK);
	ck_assert_int_eq(m, 1250);
	json_decref(v);
	v = json_real(12.5);
	ck_assert_int_eq(pa_money_from_json(v, &m, NULL), PA_OK);
	ck_assert_int_eq(m, 1250);
	json_decref(v);
	v = json_real(0.07); /* not exact in binary, still 2 decimals */
	ck_assert_int_eq(pa_money_from_json(v, &m, NULL), PA_OK);
	ck_assert_int_eq(m, 7);
	json_decref(v);
	v = json_real(12.345);
	ck_assert_int_eq(pa_money_from_json(v, &m, NULL), PA_VALIDATION);
	json_decref(v);
	v = json_integer(-1);
	ck_assert_int_eq(pa_money_from_json(v, &m, NULL), PA_VALIDATION);
	json_decref(v);
	v = json_integer(INT64_MAX);
	ck_assert_int_eq(pa_money_from_json(v, &m, NULL), PA_RANGE);
	json_decref(v);
	v = json_true();
	ck_assert_int_eq(pa_money_from_json(v, &m, NULL), PA_VALIDATION);
	json_decref(v);
	ck_assert_int_eq(pa_money_from_json(NULL, &m, NULL), PA_INVAL);
}
END_TEST

/* Runs pa_money_hash_variants() and compares with the expected list. */
static void expect_variants(size_t n, char got[][PA_MONEY_STR_MAX],
			    const char *const *want, size_t wn)
{
	ck_assert_uint_eq(n, wn);
	for (size_t i = 0; i < wn; i++)
		ck_assert_str_eq(got[i], want[i]);
}

START_TEST(test_money_hash_variants_cover_documented_forms)
{
	char v[PA_MONEY_VARIANTS_MAX][PA_MONEY_STR_MAX];
	const char *w1[] = {"100.00", "100"};
	expect_variants(pa_money_hash_variants("100.00", 6, v, 4), v, w1, 2);
	const char *w2[] = {"100", "100.00"};
	expect_variants(pa_money_hash_variants("100", 3, v, 4), v, w2, 2);
	const char *w3[] = {"12.5", "12.50"};
	expect_variants(pa_money_hash_variants("12.5", 4, v, 4), v, w3, 2);
	const char *w4[] = {"100.0", "100", "100.00"};
	expect_variants(pa_money_hash_variants("100.0", 5, v, 4), v, w4, 3);
	/* not an amount: only as received */
	const char *w5[] = {"N/A"};
	expect_variants(pa_money_hash_variants("N/A", 3, v, 4), v, w5, 1);
	/* capacity, empty, NUL inside, too long */
	expect_variants(pa_money_hash_variants("100.00", 6, v, 1), v, w1, 1);
	ck_assert_uint_eq(pa_money_hash_variants("", 0, v, 4), 0);
	ck_assert_uint_eq(pa_money_hash_variants("1\0", 2, v, 4), 0);
	char longtxt[PA_MONEY_STR_MAX + 1];
	memset(longtxt, '1', sizeof longtxt);
	ck_assert_uint_eq(pa_money_hash_variants(longtxt, sizeof longtxt, v, 4),
			  0);
}
END_TEST

START_TEST(test_money_hash_variants_from_json)
{
	char v[PA_MONEY_VARIANTS_MAX][PA_MONEY_STR_MAX];
	json_t *j = json_integer(100);
	const char *w1[] = {"100", "100.00"};
	expect_variants(pa_money_hash_variants_json(j, v, 4), v, w1, 2);
	json_decref(j);
	j = json_real(12.5);
	const char *w2[] = {"12.5", "12.50"};
	expect_variants(pa_money_hash_variants_json(j, v, 4), v, w2, 2);
	json_decref(j);
	j = json_string("12.50");
	const char *w3[] = {"12.50", "12.5"};
	expect_variants(pa_money_hash_variants_json(j, v, 4), v, w3, 2);
	json_decref(j);
	j = json_null();
	ck_assert_uint_eq(pa_money_hash_variants_json(j, v, 4), 0);
	json_decref(j);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("money");
	TCase *tc = tcase_create("parse_format");
	tcase_add_test(tc, test_money_parse_and_format_match_php);
	tcase_add_test(tc, test_money_parse_minor_units);
	tcase_add_test(tc, test_money_parse_rejects_malformed);
	tcase_add_test(tc, test_money_overflow_is_detected);
	tcase_add_test(tc, test_money_format_negative_and_zero);
	tcase_add_test(tc, test_money_whole_units);
	tcase_add_test(tc, test_money_from_json_types);
	suite_add_tcase(s, tc);
	tc = tcase_create("hash_variants_spec_12_1");
	tcase_add_test(tc, test_money_hash_variants_cover_documented_forms);
	tcase_add_test(tc, test_money_hash_variants_from_json);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
