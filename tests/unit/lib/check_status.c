/* check_status.c -- the normalized status model (spec §4, status.h). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/status.h"
#include "pwtest.h"

/* Calls fn(fields..., line) for every non-comment line of a data file. */
static char *load(const char *name)
{
	char *s = pwt_read_data(name, NULL);
	ck_assert_msg(s != NULL, "missing tests/data/%s", name);
	return s;
}

START_TEST(test_status_maps_every_documented_string)
{
	char *s = load("status/raw_statuses.txt");
	int n = 0;
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char *bar = strrchr(line, '|');
		ck_assert_ptr_nonnull(bar);
		pa_status_t want;
		ck_assert_int_eq(pa_status_from_name(bar + 1, &want), PA_OK);
		pa_status_t got =
			pa_status_from_raw(line, (size_t)(bar - line));
		ck_assert_msg(got == want, "'%.*s' -> %s, want %s",
			      (int)(bar - line), line, pa_status_name(got),
			      bar + 1);
		n++;
	}
	ck_assert_int_ge(n, 30);
	free(s);
}
END_TEST

START_TEST(test_status_exact_strings_are_length_bounded)
{
	/* "Approved" followed by more bytes than len says. */
	ck_assert_int_eq(pa_status_from_raw("ApprovedXYZ", 8),
			 PA_STATUS_SUCCEEDED);
	ck_assert_int_eq(pa_status_from_raw("Approved", 7),
			 PA_STATUS_UNRESOLVED);
	ck_assert_int_eq(pa_status_from_raw("Appr\0ved", 8),
			 PA_STATUS_UNRESOLVED);
	ck_assert_int_eq(pa_status_from_raw(NULL, 0), PA_STATUS_UNRESOLVED);
}
END_TEST

START_TEST(test_status_names_roundtrip)
{
	for (int i = 0; i < PA__STATUS_COUNT; i++) {
		pa_status_t back;
		ck_assert_int_eq(
			pa_status_from_name(pa_status_name((pa_status_t)i),
					    &back),
			PA_OK);
		ck_assert_int_eq(back, i);
	}
	pa_status_t x;
	ck_assert_int_eq(pa_status_from_name("Approved", &x), PA_INVAL);
	ck_assert_str_eq(pa_status_name(PA_STATUS_EXPIRED), "EXPIRED");
}
END_TEST

START_TEST(test_status_terminal_and_paid_predicates)
{
	static const struct {
		pa_status_t st;
		int terminal, paid;
	} t[] = {
		{PA_STATUS_INITIATED, 0, 0},	   {PA_STATUS_PENDING, 0, 0},
		{PA_STATUS_SUCCEEDED, 1, 1},	   {PA_STATUS_SUCCEEDED_LATE, 1, 1},
		{PA_STATUS_DECLINED, 1, 0},	   {PA_STATUS_FAILED, 1, 0},
		{PA_STATUS_EXPIRED, 1, 0},	   {PA_STATUS_UNMATCHED, 1, 0},
		{PA_STATUS_AMOUNT_MISMATCH, 1, 1}, {PA_STATUS_CANCELLED, 1, 0},
		{PA_STATUS_REFUND_PENDING, 0, 0},  {PA_STATUS_REFUNDED, 1, 0},
		{PA_STATUS_UNRESOLVED, 0, 0},
	};
	ck_assert_int_eq(sizeof(t) / sizeof(t[0]), PA__STATUS_COUNT);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_msg(pa_status_is_terminal(t[i].st) == t[i].terminal,
			      "terminal(%s)", pa_status_name(t[i].st));
		ck_assert_msg(pa_status_is_paid(t[i].st) == t[i].paid,
			      "paid(%s)", pa_status_name(t[i].st));
	}
}
END_TEST

START_TEST(test_status_transitions_follow_spec_table)
{
	char *s = load("status/transitions.txt");
	int n = 0;
	for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		char from[32], to[32];
		int want;
		if (line[0] == '#')
			continue;
		ck_assert_int_eq(sscanf(line, "%31s %31s %d", from, to, &want),
				 3);
		pa_status_t f, t;
		ck_assert_int_eq(pa_status_from_name(from, &f), PA_OK);
		ck_assert_int_eq(pa_status_from_name(to, &t), PA_OK);
		ck_assert_msg(pa_status_can_move(f, t) == want,
			      "%s -> %s should be %d", from, to, want);
		n++;
	}
	ck_assert_int_ge(n, 40);
	free(s);
}
END_TEST

START_TEST(test_status_final_states_never_move_back)
{
	/* No state reached after a gateway answer leads back to INITIATED or
	 * PENDING, and the absorbing states go nowhere. */
	for (int f = 0; f < PA__STATUS_COUNT; f++) {
		ck_assert(!pa_status_can_move((pa_status_t)f,
					      PA_STATUS_INITIATED));
		ck_assert(!pa_status_can_move((pa_status_t)f, (pa_status_t)f));
		if (f != PA_STATUS_INITIATED && f != PA_STATUS_UNRESOLVED)
			ck_assert_msg(!pa_status_can_move((pa_status_t)f,
							  PA_STATUS_PENDING),
				      "%s -> PENDING",
				      pa_status_name((pa_status_t)f));
		if (f == PA_STATUS_FAILED || f == PA_STATUS_CANCELLED ||
		    f == PA_STATUS_REFUNDED)
			for (int t = 0; t < PA__STATUS_COUNT; t++)
				ck_assert(!pa_status_can_move((pa_status_t)f,
							      (pa_status_t)t));
	}
	ck_assert(!pa_status_can_move((pa_status_t)99, PA_STATUS_PENDING));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("status");
	TCase *raw = tcase_create("raw_strings");
	tcase_add_test(raw, test_status_maps_every_documented_string);
	tcase_add_test(raw, test_status_exact_strings_are_length_bounded);
	tcase_add_test(raw, test_status_names_roundtrip);
	suite_add_tcase(s, raw);
	TCase *pred = tcase_create("predicates");
	tcase_add_test(pred, test_status_terminal_and_paid_predicates);
	suite_add_tcase(s, pred);
	TCase *tr = tcase_create("transitions");
	tcase_add_test(tr, test_status_transitions_follow_spec_table);
	tcase_add_test(tr, test_status_final_states_never_move_back);
	suite_add_tcase(s, tr);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
