/* check_metrics.c -- Prometheus registry: exposition validity (checked by
 * the strict validator of tests/support/promcheck.c), histogram math,
 * escaping, ordering, naming rules, bounded cardinality. */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "promcheck.h"

static char *render(pw_metrics_t *reg)
{
	char *out = NULL;
	size_t len = 0;
	ck_assert_int_eq(pw_metrics_render(reg, &out, &len), PA_OK);
	ck_assert_uint_eq(strlen(out), len);
	char msg[512];
	const char *err = pwt_promcheck(out, msg, sizeof msg);
	ck_assert_msg(err == NULL, "%s\n---\n%s", err, out);
	return out;
}

/* ---- the validator itself must reject what it should ----------------- */

START_TEST(test_metrics_validator_rejects_bad_exposition)
{
	const char *bad[] = {
		"x_total 1\n",                                     /* no HELP */
		"# HELP x_total h\n# TYPE x_total counter\nx_total{a=\"b} 1\n",
		"# HELP x_total h\n# TYPE x_total counter\nx_total -1\n",
		"# HELP x h\n# TYPE x gauge\nx 1",                 /* no \n */
		"# HELP x h\n# TYPE x gauge\nx{a=\"\\q\"} 1\n",
		"# HELP x h\n# TYPE x gauge\nx 1\nx 2\n",
		"# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
		"h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
		"# HELP h h\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
		"h_sum 1\nh_count 3\n",
		"# HELP x h\n# TYPE x gauge\ny 1\n",
	};
	char msg[256];
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(pwt_promcheck(bad[i], msg, sizeof msg) != NULL,
			      "accepted bad[%zu]", i);
	ck_assert_ptr_null(pwt_promcheck("# HELP h h\n# TYPE h histogram\n"
				    "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"}"
				    " 2\nh_sum 3.5\nh_count 2\n",
				    msg, sizeof msg));
}
END_TEST

/* ---- behaviour -------------------------------------------------------- */

START_TEST(test_metrics_exposition_is_valid)
{
	pw_metrics_t *reg;
	ck_assert_int_eq(pw_metrics_new(&reg), PA_OK);
	pw_mfamily_t *req = pw_metrics_counter(
		reg, "payatom_gateway_requests_total", "Gateway requests",
		(const char *[]){"operation", "outcome", NULL});
	pw_mfamily_t *inflight = pw_metrics_gauge(
		reg, "payatom_inflight", "Commands in flight",
		(const char *[]){"partition", NULL});
	pw_mfamily_t *lat = pw_metrics_histogram(
		reg, "payatom_gateway_latency_seconds", "Gateway latency",
		(const char *[]){"operation", NULL}, NULL, 0);
	pw_mfamily_t *reb = pw_metrics_counter(reg, "payatom_rebalances_total",
					       "Rebalances", NULL);
	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_nonnull(inflight);
	ck_assert_ptr_nonnull(lat);
	ck_assert_ptr_nonnull(reb);
	pw_counter_t *ok = pw_counter_get(req, "payin", "ok");
	ck_assert_ptr_eq(ok, pw_counter_get(req, "payin", "ok"));
	for (int i = 0; i < 5; i++)
		pw_counter_inc(ok);
	pw_counter_add(pw_counter_get(req, "payout", "http_5xx"), 2);
	pw_gauge_set(pw_gauge_get(inflight, "0"), 7);
	pw_gauge_dec(pw_gauge_get(inflight, "1"));
	pw_histogram_observe(pw_histogram_get(lat, "payin"), 0.042);
	pw_histogram_observe(pw_histogram_get(lat, "status"), 31);
	char *out = render(reg);
	ck_assert_ptr_nonnull(strstr(
		out, "payatom_gateway_requests_total{operation=\"payin\","
		     "outcome=\"ok\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(out, "# TYPE payatom_gateway_latency_seconds "
					  "histogram\n"));
	ck_assert_ptr_nonnull(strstr(out, "payatom_inflight{partition=\"1\"} -1\n"));
	/* an unlabelled family shows its sample from the start */
	ck_assert_ptr_nonnull(strstr(out, "payatom_rebalances_total 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "# HELP payatom_rebalances_total "
					  "Rebalances\n"));
	free(out);
	pw_metrics_destroy(reg);
}
END_TEST

START_TEST(test_metrics_histogram_buckets_cumulative)
{
	pw_metrics_t *reg;
	ck_assert_int_eq(pw_metrics_new(&reg), PA_OK);
	const double b[] = {0.1, 0.5, 1};
	pw_mfamily_t *f = pw_metrics_histogram(reg, "t_seconds", "t", NULL, b,
					       3);
	pw_histogram_t *h = pw_histogram_of(f);
	/* le is inclusive: 0.1 lands in the 0.1 bucket */
	const double obs[] = {0.05, 0.1, 0.3, 0.5, 0.7, 2, 100};
	for (size_t i = 0; i < sizeof obs / sizeof *obs; i++)
		pw_histogram_observe(h, obs[i]);
	pw_histogram_observe(h, NAN); /* ignored */
	ck_assert_uint_eq(pw_histogram_count(h), 7);
	ck_assert_double_eq_tol(pw_metric_value(h), 103.65, 1e-9);
	char *out = render(reg);
	ck_assert_str_eq(out, "# HELP t_seconds t\n"
			      "# TYPE t_seconds histogram\n"
			      "t_seconds_bucket{le=\"0.1\"} 2\n"
			      "t_seconds_bucket{le=\"0.5\"} 4\n"
			      "t_seconds_bucket{le=\"1\"} 5\n"
			      "t_seconds_bucket{le=\"+Inf\"} 7\n"
			      "t_seconds_sum 103.65\n"
			      "t_seconds_count 7\n");
	free(out);
	/* default buckets: 0.005 .. 30 seconds */
	ck_assert_uint_eq(pw_metrics_seconds_nbuckets, 12);
	ck_assert_double_eq(pw_metrics_seconds_buckets[0], 0.005);
	ck_assert_double_eq(pw_metrics_seconds_buckets[11], 30);
	pw_metrics_destroy(reg);
}
END_TEST

START_TEST(test_metrics_label_values_escaped)
{
	pw_metrics_t *reg;
	ck_assert_int_eq(pw_metrics_new(&reg), PA_OK);
	pw_mfamily_t *f = pw_metrics_counter(
		reg, "e_total", "help with \\ backslash\nand newline",
		(const char *[]){"v", NULL});
	pw_counter_inc(pw_counter_get(f, "q\"uote\\back\nnl"));
	pw_counter_inc(pw_counter_get(f, ""));
	pw_counter_inc(pw_counter_get(f, "é utf8"));
	char *out = render(reg);
	ck_assert_ptr_nonnull(
		strstr(out, "# HELP e_total help with \\\\ backslash\\nand newline\n"));
	ck_assert_ptr_nonnull(
		strstr(out, "e_total{v=\"q\\\"uote\\\\back\\nnl\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "e_total{v=\"\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "e_total{v=\"é utf8\"} 1\n"));
	free(out);
	pw_metrics_destroy(reg);
}
END_TEST

/* Whole values print as integers ("50", not "5e+01"), up to 2^53; others
 * as the shortest text that reads back exactly. */
START_TEST(test_metrics_whole_numbers_print_as_integers)
{
	pw_metrics_t *reg;
	ck_assert_int_eq(pw_metrics_new(&reg), PA_OK);
	pw_mfamily_t *c = pw_metrics_counter(reg, "n_total", "n",
					     (const char *[]){"v", NULL});
	pw_mfamily_t *g = pw_metrics_gauge(reg, "g", "g",
					   (const char *[]){"v", NULL});
	pw_counter_add(pw_counter_get(c, "fifty"), 50);
	pw_counter_add(pw_counter_get(c, "million"), 1234567);
	pw_counter_add(pw_counter_get(c, "big"), 9007199254740992.0);
	pw_gauge_set(pw_gauge_get(g, "quarter"), 0.25);
	pw_gauge_set(pw_gauge_get(g, "neg"), -300);
	pw_gauge_set(pw_gauge_get(g, "zero"), -0.0);
	pw_gauge_set(pw_gauge_get(g, "huge"), 1e300);
	char *out = render(reg);
	ck_assert_ptr_nonnull(strstr(out, "n_total{v=\"fifty\"} 50\n"));
	ck_assert_ptr_nonnull(strstr(out, "n_total{v=\"million\"} 1234567\n"));
	ck_assert_ptr_nonnull(
		strstr(out, "n_total{v=\"big\"} 9007199254740992\n"));
	ck_assert_ptr_nonnull(strstr(out, "g{v=\"quarter\"} 0.25\n"));
	ck_assert_ptr_nonnull(strstr(out, "g{v=\"neg\"} -300\n"));
	ck_assert_ptr_nonnull(strstr(out, "g{v=\"zero\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "g{v=\"huge\"} 1e+300\n"));
	ck_assert_ptr_null(strstr(out, "e+01"));
	free(out);
	pw_metrics_destroy(reg);
}
END_TEST

START_TEST(test_metrics_output_order_is_stable)
{
	pw_metrics_t *reg;
	ck_assert_int_eq(pw_metrics_new(&reg), PA_OK);
	pw_mfamily_t *b = pw_metrics_gauge(reg, "b_gauge", "b",
					   (const char *[]){"k", NULL});
	pw_mfamily_t *a = pw_metrics_counter(reg, "a_total", "a",
					     (const char *[]){"k", NULL});
	pw_gauge_set(pw_gauge_get(b, "z"), 1);
	pw_gauge_set(pw_gauge_get(b, "a"), 2);
	pw_gauge_set(pw_gauge_get(b, "m"), 3);
	pw_counter_inc(pw_counter_get(a, "x"));
	char *o1 = render(reg);
	ck_assert_str_eq(o1, "# HELP a_total a\n# TYPE a_total counter\n"
			     "a_total{k=\"x\"} 1\n"
			     "# HELP b_gauge b\n# TYPE b_gauge gauge\n"
			     "b_gauge{k=\"a\"} 2\nb_gauge{k=\"m\"} 3\n"
			     "b_gauge{k=\"z\"} 1\n");
	/* children found after sorting are still the same objects */
	pw_gauge_inc(pw_gauge_get(b, "z"));
	char *o2 = render(reg);
	ck_assert_ptr_nonnull(strstr(o2, "b_gauge{k=\"z\"} 2\n"));
	free(o1);
	free(o2);
	pw_metrics_destroy(reg);
}
END_TEST

START_TEST(test_metrics_refuses_bad_names)
{
	pw_metrics_t *reg;
	pw_mfamily_t *f;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_metrics_new(&reg), PA_OK);
	ck_assert_int_eq(pw_metrics_register(reg, PW_METRIC_COUNTER, "c",
					     "h", NULL, NULL, 0, 0, &f, eb),
			 PA_INVAL);
	ck_assert_msg(strstr(eb, "must end in _total"), "%s", eb);
	ck_assert_int_eq(pw_metrics_register(reg, PW_METRIC_GAUGE, "g_total",
					     "h", NULL, NULL, 0, 0, &f, eb),
			 PA_INVAL);
	ck_assert_ptr_null(pw_metrics_gauge(reg, "1bad", "h", NULL));
	ck_assert_ptr_null(pw_metrics_gauge(reg, "bad-name", "h", NULL));
	ck_assert_ptr_null(pw_metrics_gauge(reg, "g", "h",
					    (const char *[]){"__x", NULL}));
	ck_assert_ptr_null(pw_metrics_gauge(reg, "g", "h",
					    (const char *[]){"a:b", NULL}));
	ck_assert_ptr_null(pw_metrics_gauge(
		reg, "g", "h", (const char *[]){"a", "a", NULL}));
	ck_assert_ptr_null(pw_metrics_histogram(
		reg, "h_seconds", "h", (const char *[]){"le", NULL}, NULL, 0));
	const double dec[] = {1, 0.5};
	ck_assert_ptr_null(
		pw_metrics_histogram(reg, "h_seconds", "h", NULL, dec, 2));
	ck_assert_ptr_nonnull(pw_metrics_gauge(reg, "ns:g", "h", NULL));
	ck_assert_ptr_null(pw_metrics_gauge(reg, "ns:g", "h", NULL)); /* twice */
	/* wrong label count or type: NULL child, and updates accept NULL */
	pw_mfamily_t *two = pw_metrics_counter(
		reg, "two_total", "h", (const char *[]){"a", "b", NULL});
	ck_assert_ptr_null(pw_counter_get(two, "only-one"));
	ck_assert_ptr_null(pw_gauge_get(two, "x", "y"));
	pw_counter_inc(NULL);
	pw_gauge_set(NULL, 1);
	pw_histogram_observe(NULL, 1);
	char *out = render(reg);
	free(out);
	pw_metrics_destroy(reg);
	pw_metrics_destroy(NULL);
}
END_TEST

START_TEST(test_metrics_cardinality_is_bounded)
{
	pw_metrics_t *reg;
	pw_mfamily_t *f;
	ck_assert_int_eq(pw_metrics_new(&reg), PA_OK);
	ck_assert_int_eq(pw_metrics_register(reg, PW_METRIC_COUNTER,
					     "per_order_total", "h",
					     (const char *[]){"order", NULL},
					     NULL, 0, 3, &f, NULL),
			 PA_OK);
	char v[16];
	for (int i = 0; i < 10; i++) {
		snprintf(v, sizeof v, "o%d", i);
		pw_counter_inc(pw_counter_get(f, v));
	}
	pw_counter_inc(pw_counter_get(f, "o1")); /* existing child */
	char *out = render(reg);
	ck_assert_ptr_nonnull(strstr(out, "per_order_total{order=\"o1\"} 2\n"));
	ck_assert_ptr_nonnull(
		strstr(out, "per_order_total{order=\"_overflow\"} 7\n"));
	ck_assert_ptr_null(strstr(out, "o5"));
	free(out);
	/* long label values are cut, so two long values may share a child */
	pw_mfamily_t *g = pw_metrics_gauge(reg, "long_g", "h",
					   (const char *[]){"k", NULL});
	char a[300], b[300];
	memset(a, 'a', 299);
	a[299] = '\0';
	memcpy(b, a, sizeof b);
	b[298] = 'b';
	ck_assert_ptr_eq(pw_gauge_get(g, a), pw_gauge_get(g, b));
	pw_metrics_destroy(reg);
}
END_TEST

START_TEST(test_metrics_counters_only_go_up)
{
	pw_metrics_t *reg;
	ck_assert_int_eq(pw_metrics_new(&reg), PA_OK);
	pw_counter_t *c = pw_counter_of(pw_metrics_counter(reg, "c_total", "h",
							   NULL));
	pw_counter_add(c, 1.5);
	pw_counter_add(c, -1);
	pw_counter_add(c, NAN);
	ck_assert_double_eq(pw_metric_value(c), 1.5);
	pw_gauge_t *g = pw_gauge_of(pw_metrics_gauge(reg, "g", "h", NULL));
	pw_gauge_set(g, INFINITY);
	char *out = render(reg);
	ck_assert_ptr_nonnull(strstr(out, "c_total 1.5\n"));
	ck_assert_ptr_nonnull(strstr(out, "g +Inf\n"));
	free(out);
	pw_metrics_destroy(reg);
}
END_TEST

static void refresh(pw_metrics_t *reg, void *ud)
{
	(void)reg;
	pw_gauge_set(ud, 42);
}

START_TEST(test_metrics_render_hook_refreshes_gauges)
{
	pw_metrics_t *reg;
	ck_assert_int_eq(pw_metrics_new(&reg), PA_OK);
	pw_gauge_t *lag = pw_gauge_get(
		pw_metrics_gauge(reg, "payatom_consumer_lag", "lag",
				 (const char *[]){"topic", "partition", NULL}),
		"payatom.cmd.payin", "0");
	pw_metrics_on_render(reg, refresh, lag);
	char *out = render(reg);
	ck_assert_ptr_nonnull(strstr(
		out, "payatom_consumer_lag{topic=\"payatom.cmd.payin\","
		     "partition=\"0\"} 42\n"));
	free(out);
	pw_metrics_destroy(reg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *fmt = tcase_create("exposition");
	tcase_add_test(fmt, test_metrics_validator_rejects_bad_exposition);
	tcase_add_test(fmt, test_metrics_exposition_is_valid);
	tcase_add_test(fmt, test_metrics_label_values_escaped);
	tcase_add_test(fmt, test_metrics_whole_numbers_print_as_integers);
	tcase_add_test(fmt, test_metrics_output_order_is_stable);
	tcase_add_test(fmt, test_metrics_render_hook_refreshes_gauges);
	suite_add_tcase(s, fmt);
	TCase *math = tcase_create("values");
	tcase_add_test(math, test_metrics_histogram_buckets_cumulative);
	tcase_add_test(math, test_metrics_counters_only_go_up);
	suite_add_tcase(s, math);
	TCase *reg = tcase_create("registry");
	tcase_add_test(reg, test_metrics_refuses_bad_names);
	tcase_add_test(reg, test_metrics_cardinality_is_bounded);
	suite_add_tcase(s, reg);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
