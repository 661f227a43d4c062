/* check_jsonload.c -- pa_json_loadb() against Jansson's json_loadb(), the
 * parser it stands in for: the same verdict (accepted or refused) and the
 * same tree (values, types, key order, the last of duplicate keys) and
 * the same error code where callers act on it (numeric overflow,
 * duplicate key, NUL, depth) for
 * every flag the project uses, on the repository's JSON documents, on
 * documents generated from the grammar with the edge cases (escapes,
 * surrogates, UTF-8 of every length, numbers at the int64 and double
 * limits, nesting), and on byte-level mutations of both (seeded, so a
 * failure replays; PAYATOM_JSONLOAD_SEED picks another seed). */
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/canonjson.h"
#include "pwtest.h"

static const size_t k_flags[] = {
	0,
	JSON_REJECT_DUPLICATES,
	JSON_DECODE_ANY,
	JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY,
	JSON_ALLOW_NUL,
	JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES,
	JSON_ALLOW_NUL | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
};
#define N_FLAGS (sizeof k_flags / sizeof k_flags[0])

static uint64_t g_rng;

static uint32_t rnd(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return (uint32_t)(g_rng >> 11);
}

static long g_checked, g_accepted;

/* Same tree: json_equal, plus the same key order at every level. */
static int same(const json_t *a, const json_t *b)
{
	if (!json_equal(a, b))
		return 0;
	if (json_is_object(a)) {
		void *ia = json_object_iter((json_t *)a),
		     *ib = json_object_iter((json_t *)b);
		for (; ia && ib; ia = json_object_iter_next((json_t *)a, ia),
				 ib = json_object_iter_next((json_t *)b, ib)) {
			if (json_object_iter_key_len(ia) !=
				    json_object_iter_key_len(ib) ||
			    memcmp(json_object_iter_key(ia),
				   json_object_iter_key(ib),
				   json_object_iter_key_len(ia)) ||
			    !same(json_object_iter_value(ia),
				  json_object_iter_value(ib)))
				return 0;
		}
		return !ia && !ib;
	}
	if (json_is_array(a))
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!same(json_array_get(a, i), json_array_get(b, i)))
				return 0;
	/* json_equal compares reals by value: bit patterns too */
	if (json_is_real(a))
		return memcmp(&(double){json_real_value(a)},
			      &(double){json_real_value(b)}, sizeof(double)) ==
		       0;
	return 1;
}

static void compare(const char *buf, size_t len)
{
	for (size_t f = 0; f < N_FLAGS; f++) {
		json_error_t ej, ep;
		json_t *j = json_loadb(buf, len, k_flags[f], &ej);
		json_t *p = pa_json_loadb(buf, len, k_flags[f], &ep);
		g_checked++;
		if (j)
			g_accepted++;
		if (!j != !p || (j && !same(j, p))) {
			char *dj = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
			char *dp = p ? json_dumps(p, JSON_ENCODE_ANY) : NULL;
			ck_abort_msg("flags 0x%zx, %zu bytes \"%.*s\" (seed "
				     "%llu):\n jansson %s%s\n pa      %s%s",
				     k_flags[f], len, (int)(len > 300 ? 300 : len),
				     buf, (unsigned long long)g_rng,
				     dj ? dj : "refused: ", dj ? "" : ej.text,
				     dp ? dp : "refused: ", dp ? "" : ep.text);
		}
		if (!p)
			ck_assert(ep.text[0] != '\0');
		/* the error codes callers act on are the same */
		static const enum json_error_code acted_on[] = {
			json_error_numeric_overflow, json_error_duplicate_key,
			json_error_null_character, json_error_stack_overflow};
		for (size_t i = 0; !j && i < sizeof acted_on / sizeof *acted_on;
		     i++)
			ck_assert_msg((json_error_code(&ej) == acted_on[i]) ==
					      (json_error_code(&ep) == acted_on[i]),
				      "flags 0x%zx, \"%.*s\": error code %d (%s) "
				      "vs %d (%s)",
				      k_flags[f], (int)(len > 200 ? 200 : len),
				      buf, json_error_code(&ej), ej.text,
				      json_error_code(&ep), ep.text);
		json_decref(j);
		json_decref(p);
	}
}

/* ---- generated documents ---------------------------------------------- */

typedef struct out {
	char *p;
	size_t n, cap;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		o->cap = (o->n + n + 1) * 2;
		o->p = realloc(o->p, o->cap);
		ck_assert_ptr_nonnull(o->p);
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = '\0';
}

static void puts_(out_t *o, const char *s)
{
	put(o, s, strlen(s));
}

static const char *const k_strings[] = {
	"", "a", "order_id", "ORD0000000001", "Asha Rao", "asha@okaxis",
	"\\\"", "\\\\", "\\/", "\\b\\f\\n\\r\\t", "\\u0041", "\\u00e9",
	"\\u20AC", "\\ud83d\\ude00", "\\uD83D\\uDE00", "\\ud800", "\\udc00",
	"\\ud800\\u0041", "\\u0000", "a\\u0000b", "\\u001f", "\\x", "\\u12",
	"\\uzzzz", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc0\x80",
	"\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff", "\x7f", "\x01",
	"tab\there", "new\nline", "100.00", "\\u00", "\xe0\xa0\x80",
	"\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xe0\x80\xaf",
};
static const char *const k_numbers[] = {
	"0", "-0", "1", "-1", "10000", "9223372036854775807",
	"-9223372036854775808", "9223372036854775808",
	"-9223372036854775809", "99999999999999999999", "0.0", "1.5",
	"-1.5e10", "1e308", "1e309", "-1e309", "1e-400", "2.2250738585072014e-308",
	"1E+2", "1e-2", "0.1e1", "01", "-01", "1.", ".5", "-", "+1", "1e",
	"1e+", "0x10", "1.0e", "123456789012345678901234567890.5",
	"4.9406564584124654e-324", "1.7976931348623157e308", "00", "-.5",
	"1.5E-3",
};

static void gen_value(out_t *o, int depth);

static void gen_string(out_t *o)
{
	puts_(o, "\"");
	int parts = (int)(rnd() % 3);
	for (int i = 0; i < parts; i++)
		puts_(o, k_strings[rnd() % (sizeof k_strings / sizeof *k_strings)]);
	puts_(o, "\"");
}

static void ws(out_t *o)
{
	static const char *const w[] = {"", "", "", " ", "\n", "\t ", "\r\n"};
	puts_(o, w[rnd() % (sizeof w / sizeof *w)]);
}

static void gen_value(out_t *o, int depth)
{
	uint32_t k = rnd() % (depth > 5 ? 6 : 9);
	switch (k) {
	case 0: gen_string(o); break;
	case 1:
	case 2:
		puts_(o, k_numbers[rnd() % (sizeof k_numbers / sizeof *k_numbers)]);
		break;
	case 3: puts_(o, "true"); break;
	case 4: puts_(o, "false"); break;
	case 5: puts_(o, rnd() % 8 ? "null" : "nul"); break;
	case 6:
	case 7: {
		puts_(o, "{");
		int n = (int)(rnd() % 5);
		for (int i = 0; i < n; i++) {
			ws(o);
			if (i)
				puts_(o, ",");
			ws(o);
			/* few key names: duplicates happen */
			static const char *const keys[] = {
				"\"a\"", "\"b\"", "\"amount\"", "\"a\\u0000\"",
				"\"\\u0061\"", "\"\xc3\xa9\""};
			puts_(o, keys[rnd() % (sizeof keys / sizeof *keys)]);
			ws(o);
			puts_(o, ":");
			ws(o);
			gen_value(o, depth + 1);
		}
		if (rnd() % 16 == 0)
			puts_(o, ",");
		puts_(o, "}");
		break;
	}
	default: {
		puts_(o, "[");
		int n = (int)(rnd() % 5);
		for (int i = 0; i < n; i++) {
			if (i)
				puts_(o, ",");
			ws(o);
			gen_value(o, depth + 1);
			ws(o);
		}
		if (rnd() % 16 == 0)
			puts_(o, ",");
		puts_(o, "]");
	}
	}
}

static void mutate(char *p, size_t *n)
{
	static const char bytes[] = "{}[]:,\"\\ u0e.-+\x80\xc3\xff\x00\x1f";
	int edits = 1 + (int)(rnd() % 3);
	for (int e = 0; e < edits && *n; e++) {
		size_t at = rnd() % *n;
		switch (rnd() % 3) {
		case 0: p[at] = bytes[rnd() % (sizeof bytes - 1)]; break;
		case 1: /* delete */
			memmove(p + at, p + at + 1, *n - at - 1);
			(*n)--;
			break;
		default: /* truncate */
			*n = at;
		}
	}
}

START_TEST(test_jsonload_generated_documents_as_jansson)
{
	const char *seed = getenv("PAYATOM_JSONLOAD_SEED");
	g_rng = seed ? strtoull(seed, NULL, 10) : 0x9E3779B97F4A7C15ULL;
	if (!g_rng)
		g_rng = 1;
	out_t o = {0};
	/* fewer under sanitizers and valgrind (pwt_ms stretches there) */
	int n = pwt_ms(1000) > 1000 ? 2000 : 40000;
	for (int i = 0; i < n; i++) {
		o.n = 0;
		puts_(&o, "");
		if (rnd() % 4)
			ws(&o);
		gen_value(&o, 0);
		if (rnd() % 8 == 0)
			puts_(&o, rnd() % 2 ? " x" : " ");
		compare(o.p, o.n);
		char *m = malloc(o.n + 1);
		memcpy(m, o.p, o.n + 1);
		size_t mn = o.n;
		mutate(m, &mn);
		compare(m, mn);
		free(m);
	}
	free(o.p);
	/* both kinds were exercised, not one */
	ck_assert_int_gt(g_accepted, g_checked / 10);
	ck_assert_int_lt(g_accepted, g_checked * 9 / 10);
}
END_TEST

START_TEST(test_jsonload_edge_documents_as_jansson)
{
	static const char *const docs[] = {
		"", " ", "{", "}", "[", "{}", "[]", "{} ", "{}x", "[1,]",
		"{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "{\"a\":1 \"b\":2}",
		"{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":3}", "\"x\"", "1",
		"true", "truex", "true1", "[true1]", "[tru]", "[nulll]",
		"[\"a\",\"b\"]", "\xef\xbb\xbf{}", "{\"a\":\"\\u0000\"}",
		"{\"\\u0000\":1}", "[\"\\ud834\\udd1e\"]", "[\"\\ud834\"]",
		"[\"\\udd1e\"]", "[\"\\ud834\\u0041\"]", "[-]", "[1e5]",
		"[1E-5]", "[1.0]", "[-0.0]", "[0]", "[-0]",
		"{\"a\":[{\"b\":[{\"c\":null}]}]}", "[\"\x7f\"]",
		"[\"\xed\x9f\xbf\"]", "[\"\xee\x80\x80\"]", "\x00", "[\"a\x00\"]",
		"[1]\x00", "{\"a\":1}\n\n", "[1 2]", "[[]]]", "[\"\\\"\"]",
	};
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
		compare(docs[i], strlen(docs[i]) + (docs[i][0] == '\0' && i > 3));
	/* nesting at and over the limit */
	for (int depth = 2046; depth <= 2050; depth++) {
		char *d = malloc(2 * (size_t)depth + 1);
		memset(d, '[', (size_t)depth);
		memset(d + depth, ']', (size_t)depth);
		compare(d, 2 * (size_t)depth);
		free(d);
	}
	/* a long number and a long string */
	out_t o = {0};
	puts_(&o, "[0.");
	for (int i = 0; i < 700; i++)
		puts_(&o, "1");
	puts_(&o, ",\"");
	for (int i = 0; i < 3000; i++)
		puts_(&o, i % 7 ? "x" : "\\u00e9");
	puts_(&o, "\"]");
	compare(o.p, o.n);
	free(o.p);
}
END_TEST

/* Every JSON document in tests/data, whole and cut at forty places. */
static void walk_dir(const char *dir, int *files)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		size_t l = strlen(e->d_name);
		if (e->d_type == DT_DIR) {
			walk_dir(path, files);
			continue;
		}
		if (l < 5 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		static char buf[1 << 20];
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		(*files)++;
		compare(buf, n);
		size_t step = n / 40 > 10 ? n / 40 : 10;
		for (size_t cut = 0; cut < n; cut += step)
			compare(buf, cut);
	}
	closedir(d);
}

START_TEST(test_jsonload_repository_documents_as_jansson)
{
	char dir[4096];
	pwt_data_path("", dir, sizeof dir);
	int files = 0;
	walk_dir(dir, &files);
	ck_assert_int_gt(files, 20);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("jsonload");
	TCase *tc = tcase_create("as_jansson");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_jsonload_edge_documents_as_jansson);
	tcase_add_test(tc, test_jsonload_repository_documents_as_jansson);
	tcase_add_test(tc, test_jsonload_generated_documents_as_jansson);
	suite_add_tcase(s, tc);
	return pwt_run_suite(s);
}
