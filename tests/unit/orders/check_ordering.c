/* check_ordering.c -- per-key gating and the lowest unfinished offset. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"
#include "orders/ordering.h"

struct item {
	pw_qlink_t link; /* first: items are cast from links */
	int id;
};

START_TEST(test_ordering_same_key_runs_one_at_a_time_in_order)
{
	pw_gate_t *g;
	ck_assert_int_eq(pw_gate_new(&g), PA_OK);
	struct item it[5];
	int run;
	for (int i = 0; i < 5; i++) {
		it[i].id = i;
		ck_assert_int_eq(pw_gate_push(g, "ORD1", 4, &it[i].link, &run),
				 PA_OK);
		ck_assert_int_eq(run, i == 0);
	}
	/* a different key is independent */
	struct item other = {.id = 99};
	ck_assert_int_eq(pw_gate_push(g, "ORD2", 4, &other.link, &run), PA_OK);
	ck_assert_int_eq(run, 1);
	ck_assert_uint_eq(pw_gate_keys(g), 2);
	for (int i = 1; i < 5; i++) {
		struct item *nx = (struct item *)pw_gate_done(g, "ORD1", 4);
		ck_assert_ptr_nonnull(nx);
		ck_assert_int_eq(nx->id, i);
	}
	ck_assert_ptr_null(pw_gate_done(g, "ORD1", 4));
	ck_assert_ptr_null(pw_gate_done(g, "ORD2", 4));
	ck_assert_uint_eq(pw_gate_keys(g), 0);
	/* the key is free again */
	ck_assert_int_eq(pw_gate_push(g, "ORD1", 4, &it[0].link, &run), PA_OK);
	ck_assert_int_eq(run, 1);
	pw_gate_destroy(g);
}
END_TEST

START_TEST(test_ordering_commit_position_is_lowest_unfinished)
{
	pw_offtrack_t t;
	pw_offtrack_init(&t);
	ck_assert_int_eq(pw_offtrack_position(&t), -1);
	for (int64_t o = 10; o < 20; o++)
		ck_assert_int_eq(pw_offtrack_add(&t, o), PA_OK);
	ck_assert_int_eq(pw_offtrack_position(&t), 10);
	/* finishing out of order does not move past the lowest unfinished */
	ck_assert_int_eq(pw_offtrack_done(&t, 15), PA_OK);
	ck_assert_int_eq(pw_offtrack_done(&t, 11), PA_OK);
	ck_assert_int_eq(pw_offtrack_position(&t), 10);
	ck_assert_int_eq(pw_offtrack_done(&t, 10), PA_OK);
	ck_assert_int_eq(pw_offtrack_position(&t), 12);
	ck_assert_int_eq(pw_offtrack_done(&t, 99), PA_NOT_FOUND);
	for (int64_t o = 12; o < 20; o++)
		pw_offtrack_done(&t, o);
	ck_assert_int_eq(pw_offtrack_position(&t), 20);
	ck_assert_uint_eq(pw_offtrack_pending(&t), 0);
	pw_offtrack_free(&t);
}
END_TEST

START_TEST(test_ordering_offtrack_grows_and_survives_rewind)
{
	pw_offtrack_t t;
	pw_offtrack_init(&t);
	/* gaps (compacted or transactional control records) are fine */
	for (int64_t o = 0; o < 5000; o += 2)
		ck_assert_int_eq(pw_offtrack_add(&t, o), PA_OK);
	for (int64_t o = 4998; o >= 2; o -= 2)
		ck_assert_int_eq(pw_offtrack_done(&t, o), PA_OK);
	ck_assert_int_eq(pw_offtrack_position(&t), 0);
	ck_assert_int_eq(pw_offtrack_done(&t, 0), PA_OK);
	ck_assert_int_eq(pw_offtrack_position(&t), 4999);
	/* a rewind (seek back) starts afresh */
	ck_assert_int_eq(pw_offtrack_add(&t, 100), PA_OK);
	ck_assert_int_eq(pw_offtrack_position(&t), 100);
	ck_assert_uint_eq(pw_offtrack_pending(&t), 1);
	pw_offtrack_free(&t);
}
END_TEST

static int count_and_delete_odd(const char *k, size_t kl, void *v, void *ud)
{
	(*(int *)ud)++;
	return ((intptr_t)v & 1) ? PW_HMAP_DELETE : PW_HMAP_NEXT;
}

START_TEST(test_hmap_put_get_delete_walk)
{
	pw_hmap_t *m;
	ck_assert_int_eq(pw_hmap_new(&m), PA_OK);
	char k[32];
	for (intptr_t i = 0; i < 10000; i++) {
		int n = snprintf(k, sizeof k, "order-%ld", (long)i);
		ck_assert_int_eq(pw_hmap_put(m, k, (size_t)n, (void *)(i + 1),
					     NULL),
				 PA_OK);
	}
	ck_assert_uint_eq(pw_hmap_count(m), 10000);
	void *old;
	ck_assert_int_eq(pw_hmap_put(m, "order-7", 7, (void *)5, &old), PA_OK);
	ck_assert_ptr_eq(old, (void *)8);
	ck_assert_ptr_eq(pw_hmap_get(m, "order-7", 7), (void *)5);
	ck_assert_ptr_null(pw_hmap_get(m, "order-", 6));
	ck_assert_ptr_eq(pw_hmap_del(m, "order-7", 7), (void *)5);
	ck_assert_ptr_null(pw_hmap_get(m, "order-7", 7));
	int seen = 0;
	pw_hmap_walk(m, count_and_delete_odd, &seen);
	ck_assert_int_eq(seen, 9999);
	ck_assert_uint_eq(pw_hmap_count(m), 4999); /* even values; order-7 gone */
	ck_assert_ptr_eq(pw_hmap_get(m, "order-1", 7), (void *)2);
	ck_assert_ptr_null(pw_hmap_get(m, "order-2", 7));
	pw_hmap_destroy(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ordering");
	TCase *tc = tcase_create("gate");
	tcase_add_test(tc, test_ordering_same_key_runs_one_at_a_time_in_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("offsets");
	tcase_add_test(tc, test_ordering_commit_position_is_lowest_unfinished);
	tcase_add_test(tc, test_ordering_offtrack_grows_and_survives_rewind);
	suite_add_tcase(s, tc);
	tc = tcase_create("hmap");
	tcase_add_test(tc, test_hmap_put_get_delete_walk);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
