/* check_metrics.c -- Prometheus registry: exposition validity (checked by a
 * strict line validator below), histogram math, escaping, ordering,
 * naming rules, bounded cardinality. */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"

/* ---- a strict text-format 0.0.4 validator ----------------------------- */

#define MAXS 4096

typedef struct series {
	char name[128];
	char labels[512]; /* label set as written, without le */
	char le[32];
	double v;
} series_t;

typedef struct vstate {
	char fam[128], type[16];
	int have_help, have_type;
	char seen_fams[64][128];
	size_t nseen;
	series_t s[MAXS];
	size_t ns;
} vstate_t;

static int name_ok(const char *s, size_t n, int colon)
{
	if (n == 0 || isdigit((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		      (colon && s[i] == ':')))
			return 0;
	return 1;
}

static int value_ok(const char *s, double *v)
{
	if (!strcmp(s, "+Inf") || !strcmp(s, "-Inf") || !strcmp(s, "NaN")) {
		*v = !strcmp(s, "NaN") ? NAN : s[0] == '+' ? INFINITY : -INFINITY;
		return 1;
	}
	char *end;
	*v = strtod(s, &end);
	if (end == s || *end || isspace((unsigned char)s[0]))
		return 0;
	/* strtod also takes hex, "inf", "nan": refuse them */
	for (const char *p = s; *p; p++)
		if (!(isdigit((unsigned char)*p) || strchr("+-.eE", *p)))
			return 0;
	return 1;
}

/* Parses {a="x",b="y"} at *pp into canonical text without `le`; le value
 * into le. Returns 0 on a grammar error. */
static int parse_labels(const char **pp, char *out, size_t osz, char *le)
{
	const char *p = *pp;
	size_t on = 0;
	out[0] = le[0] = '\0';
	if (*p != '{')
		return 1;
	p++;
	while (*p != '}') {
		const char *ns = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		size_t nl = (size_t)(p - ns);
		if (!name_ok(ns, nl, 0) || *p != '=' || p[1] != '"')
			return 0;
		p += 2;
		char val[256];
		size_t vl = 0;
		while (*p != '"') {
			if (!*p || *p == '\n')
				return 0;
			if (*p == '\\') {
				if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
					return 0;
				if (vl < sizeof val - 2)
					val[vl++] = *p++;
			}
			if (vl < sizeof val - 1)
				val[vl++] = *p;
			p++;
		}
		val[vl] = '\0';
		p++;
		if (nl == 2 && !strncmp(ns, "le", 2))
			snprintf(le, 32, "%.31s", val);
		else
			on += (size_t)snprintf(out + on, osz - on, "%.*s=%s;",
					       (int)nl, ns, val);
		if (*p == ',')
			p++;
		else if (*p != '}')
			return 0;
	}
	*pp = p + 1;
	return 1;
}

/* NULL when text is valid; otherwise a message naming the line. */
static const char *validate(const char *text, char *msg, size_t msz)
{
	static vstate_t st;
	memset(&st, 0, sizeof st);
	int ln = 0;
#define BAD(...)                                                               \
	do {                                                                   \
		int k_ = snprintf(msg, msz, "line %d: ", ln);                 \
		snprintf(msg + k_, msz - (size_t)k_, __VA_ARGS__);             \
		return msg;                                                    \
	} while (0)
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		ln++;
		if (!nl)
			BAD("no trailing newline");
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)(nl - p), p);
		p = nl + 1;
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
			const char *n = line + 7, *sp = strchr(n, ' ');
			if (!sp || !name_ok(n, (size_t)(sp - n), 1))
				BAD("bad name in %s", line);
			char name[128];
			snprintf(name, sizeof name, "%.*s", (int)(sp - n), n);
			if (line[2] == 'H') {
				for (size_t i = 0; i < st.nseen; i++)
					if (!strcmp(st.seen_fams[i], name))
						BAD("family %s twice", name);
				snprintf(st.seen_fams[st.nseen++], 128, "%s",
					 name);
				snprintf(st.fam, sizeof st.fam, "%s", name);
				st.have_help = 1;
				st.have_type = 0;
				for (const char *h = sp + 1; *h; h++)
					if (*h == '\\' && h[1] != '\\' &&
					    h[1] != 'n')
						BAD("bad escape in HELP");
					else if (*h == '\\')
						h++;
			} else {
				if (!st.have_help || strcmp(name, st.fam))
					BAD("TYPE without HELP for %s", name);
				if (st.have_type)
					BAD("second TYPE for %s", name);
				const char *t = sp + 1;
				if (strcmp(t, "counter") && strcmp(t, "gauge") &&
				    strcmp(t, "histogram"))
					BAD("bad type %s", t);
				snprintf(st.type, sizeof st.type, "%s", t);
				st.have_type = 1;
			}
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			BAD("unexpected line '%s'", line);
		const char *q = line;
		while (isalnum((unsigned char)*q) || *q == '_' || *q == ':')
			q++;
		series_t *s = &st.s[st.ns];
		snprintf(s->name, sizeof s->name, "%.*s", (int)(q - line), line);
		if (!name_ok(line, (size_t)(q - line), 1))
			BAD("bad sample name");
		if (!parse_labels(&q, s->labels, sizeof s->labels, s->le))
			BAD("bad label set in '%s'", line);
		if (*q != ' ')
			BAD("no space before value");
		if (!value_ok(q + 1, &s->v))
			BAD("bad value '%s'", q + 1);
		if (!st.have_type)
			BAD("sample before HELP/TYPE");
		/* which family? */
		int hist = !strcmp(st.type, "histogram");
		char base[128];
		snprintf(base, sizeof base, "%s", s->name);
		const char *suf[] = {"_bucket", "_sum", "_count"};
		int which = -1;
		if (hist)
			for (int i = 0; i < 3; i++) {
				size_t bl = strlen(base), sl = strlen(suf[i]);
				if (bl > sl && !strcmp(base + bl - sl, suf[i])) {
					base[bl - sl] = '\0';
					which = i;
					break;
				}
			}
		if (strcmp(base, st.fam) || (hist && which < 0))
			BAD("sample %s outside family %s", s->name, st.fam);
		if ((which == 0) != (s->le[0] != 0))
			BAD("le only (and always) on _bucket");
		if (!strcmp(st.type, "counter") && !(s->v >= 0))
			BAD("negative counter");
		for (size_t i = 0; i < st.ns; i++)
			if (!strcmp(st.s[i].name, s->name) &&
			    !strcmp(st.s[i].labels, s->labels) &&
			    !strcmp(st.s[i].le, s->le))
				BAD("duplicate series %s", s->name);
		if (++st.ns == MAXS)
			BAD("too many samples for the validator");
	}
	/* histogram math per label set */
	for (size_t i = 0; i < st.ns; i++) {
		series_t *s = &st.s[i];
		size_t bl = strlen(s->name);
		if (bl < 7 || strcmp(s->name + bl - 7, "_bucket") ||
		    (i && !strcmp(st.s[i - 1].name, s->name) &&
		     !strcmp(st.s[i - 1].labels, s->labels)))
			continue; /* only at the first bucket of a set */
		double prev_le = -INFINITY, prev = 0, inf = -1;
		size_t j = i;
		for (; j < st.ns && !strcmp(st.s[j].name, s->name) &&
		       !strcmp(st.s[j].labels, s->labels);
		     j++) {
			double le;
			value_ok(st.s[j].le, &le);
			if (!(le > prev_le))
				BAD("%s{%s}: le not increasing", s->name,
				    s->labels);
			if (st.s[j].v < prev)
				BAD("%s{%s}: buckets not cumulative", s->name,
				    s->labels);
			prev_le = le;
			prev = st.s[j].v;
			if (isinf(le))
				inf = st.s[j].v;
		}
		if (inf < 0)
			BAD("%s{%s}: no +Inf bucket", s->name, s->labels);
		char cname[140];
		snprintf(cname, sizeof cname, "%.*s_count", (int)(bl - 7),
			 s->name);
		int found = 0;
		for (size_t k = 0; k < st.ns; k++)
			if (!strcmp(st.s[k].name, cname) &&
			    !strcmp(st.s[k].labels, s->labels)) {
				found = 1;
				if (st.s[k].v != inf)
					BAD("%s: +Inf %g != _count %g", s->name,
					    inf, st.s[k].v);
			}
		if (!found)
			BAD("%s{%s}: no _count", s->name, s->labels);
	}
	return NULL;
#undef BAD
}

static char *render(pw_metrics_t *reg)
{
	char *out = NULL;
	size_t len = 0;
	ck_assert_int_eq(pw_metrics_render(reg, &out, &len), PA_OK);
	ck_assert_uint_eq(strlen(out), len);
	char msg[512];
	const char *err = validate(out, msg, sizeof msg);
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
		ck_assert_msg(validate(bad[i], msg, sizeof msg) != NULL,
			      "accepted bad[%zu]", i);
	ck_assert_ptr_null(validate("# HELP h h\n# TYPE h histogram\n"
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
