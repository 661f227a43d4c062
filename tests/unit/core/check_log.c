/* check_log.c -- structured log lines, levels, redaction of every personal
 * data kind, body scrubbing, escaping, one line per write. */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/redact.h"
#include "pwtest.h"

/* 2026-11-26T11:12:23.123Z */
static int64_t fixed_clock(void *ud)
{
	(void)ud;
	return 1795691543123LL;
}

typedef struct cap {
	char *buf;
	size_t len;
	FILE *fp;
	pw_logger_t *lg;
} cap_t;

static void cap_open(cap_t *c, pw_log_level_t lvl, pw_log_format_t fmt)
{
	c->buf = NULL;
	c->fp = open_memstream(&c->buf, &c->len);
	ck_assert_ptr_nonnull(c->fp);
	ck_assert_int_eq(pw_log_new(c->fp, lvl, fmt, &c->lg), PA_OK);
	pw_log_set_clock(c->lg, fixed_clock, NULL);
}

/* Flushes and returns the text so far (owned by c). */
static const char *cap_text(cap_t *c)
{
	fflush(c->fp);
	return c->buf ? c->buf : "";
}

static void cap_close(cap_t *c)
{
	pw_log_destroy(c->lg);
	fclose(c->fp);
	free(c->buf);
}

/* Parses every line as one JSON object; returns the number of lines and
 * the last object (new reference) in *last. */
static size_t parse_lines(const char *text, json_t **last)
{
	size_t n = 0;
	if (last)
		*last = NULL;
	const char *p = text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		ck_assert_msg(nl != NULL, "unterminated line: %s", p);
		json_error_t err;
		json_t *o = json_loadb(p, (size_t)(nl - p), JSON_ALLOW_NUL, &err);
		ck_assert_msg(o && json_is_object(o), "bad JSON line '%.*s': %s",
			      (int)(nl - p), p, err.text);
		if (last) {
			json_decref(*last);
			*last = o;
		} else {
			json_decref(o);
		}
		n++;
		p = nl + 1;
	}
	return n;
}

static pw_redact_t kind_of(const char *s)
{
	static const char *const names[] = {"PUBLIC", "SECRET", "HASH",
					    "PHONE",  "EMAIL",  "ACCOUNT",
					    "UPI",    "NAME"};
	for (int i = 0; i < 8; i++)
		if (strcmp(s, names[i]) == 0)
			return (pw_redact_t)i;
	ck_abort_msg("unknown kind %s", s);
	return PW_RED_PUBLIC;
}

START_TEST(test_log_json_line_has_fields_in_order)
{
	cap_t c;
	cap_open(&c, PW_LOG_INFO, PW_LOG_JSON);
	pw_log(c.lg, PW_LOG_INFO, "payin accepted",
	       PW_KV_STR("order_id", "ORD-1"), PW_KV_STR("topic", "t.cmd"),
	       PW_KV_INT("partition", 3), PW_KV_INT("offset", -1),
	       PW_KV_UINT("big", 18446744073709551615ULL),
	       PW_KV_BOOL("retry", 1), PW_KV_DBL("latency_s", 0.25),
	       PW_KV_ERR(PA_TIMEOUT));
	const char *t = cap_text(&c);
	ck_assert_str_eq(
		t, "{\"ts\":\"2026-11-26T11:12:23.123Z\",\"level\":\"info\","
		   "\"msg\":\"payin accepted\",\"order_id\":\"ORD-1\","
		   "\"topic\":\"t.cmd\",\"partition\":3,\"offset\":-1,"
		   "\"big\":\"18446744073709551615\",\"retry\":true,"
		   "\"latency_s\":0.25,\"err\":\"TIMEOUT\"}\n");
	json_t *o;
	ck_assert_uint_eq(parse_lines(t, &o), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "partition")),
			 3);
	json_decref(o);
	cap_close(&c);
}
END_TEST

START_TEST(test_log_level_filter_and_runtime_change)
{
	cap_t c;
	cap_open(&c, PW_LOG_INFO, PW_LOG_JSON);
	pw_logger_t *child;
	ck_assert_int_eq(pw_log_child(c.lg, "poller", &child), PA_OK);
	pw_debug(c.lg, "hidden");
	pw_debug(child, "hidden too");
	ck_assert_str_eq(cap_text(&c), "");
	ck_assert(!pw_log_enabled(child, PW_LOG_DEBUG));
	/* SIGHUP path: one call on the child changes the shared level */
	pw_log_set_level(child, PW_LOG_DEBUG);
	ck_assert_int_eq(pw_log_get_level(c.lg), PW_LOG_DEBUG);
	pw_debug(c.lg, "shown");
	pw_debug(child, "shown too", PW_KV_STR("order_id", "O2"));
	json_t *o;
	ck_assert_uint_eq(parse_lines(cap_text(&c), &o), 2);
	ck_assert_str_eq(json_string_value(json_object_get(o, "component")),
			 "poller");
	ck_assert_str_eq(json_string_value(json_object_get(o, "level")),
			 "debug");
	json_decref(o);
	pw_log_set_level(c.lg, PW_LOG_ERROR);
	pw_warn(child, "dropped");
	pw_error(child, "kept");
	ck_assert_uint_eq(parse_lines(cap_text(&c), NULL), 3);
	pw_log_level_t l;
	ck_assert_int_eq(pw_log_level_parse("WARNING", &l), PA_OK);
	ck_assert_int_eq(l, PW_LOG_WARN);
	ck_assert_int_eq(pw_log_level_parse("verbose", &l), PA_INVAL);
	ck_assert_int_eq(pw_log_level_from_syslog(3), PW_LOG_ERROR);
	ck_assert_int_eq(pw_log_level_from_syslog(4), PW_LOG_WARN);
	ck_assert_int_eq(pw_log_level_from_syslog(6), PW_LOG_INFO);
	ck_assert_int_eq(pw_log_level_from_syslog(7), PW_LOG_DEBUG);
	pw_log_destroy(child);
	cap_close(&c);
}
END_TEST

START_TEST(test_log_redacts_every_personal_kind)
{
	char *text = pwt_read_data("log/redaction.txt", NULL);
	ck_assert_ptr_nonnull(text);
	cap_t c;
	cap_open(&c, PW_LOG_DEBUG, PW_LOG_JSON);
	int cases = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *t1 = strchr(line, '\t');
		char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		ck_assert_msg(t2 != NULL, "bad vector %s", line);
		*t1 = *t2 = '\0';
		const char *in = t1 + 1, *want = t2 + 1;
		pw_redact_t k = kind_of(line);
		char out[256];
		size_t n = pw_redact(k, in, strlen(in), out, sizeof out);
		ck_assert_msg(strcmp(out, want) == 0, "%s('%s') = '%s', want '%s'",
			      line, in, out, want);
		ck_assert_uint_eq(n, strlen(want));
		/* and through a log line */
		pw_log(c.lg, PW_LOG_INFO, "v", PW_KV_REDACT("f", in, k));
		json_t *o;
		parse_lines(cap_text(&c), &o);
		ck_assert_str_eq(json_string_value(json_object_get(o, "f")),
				 want);
		json_decref(o);
		cases++;
	}
	ck_assert_int_ge(cases, 20);
	/* the convenience macros pick the right kind */
	pw_log(c.lg, PW_LOG_INFO, "m", PW_KV_SECRET("secret", "SK-1"),
	       PW_KV_PHONE("phone", "9876543210"),
	       PW_KV_EMAIL("email", "x@y.com"),
	       PW_KV_ACCOUNT("acct", "1234567890"),
	       PW_KV_UPI("upi", "a@okaxis"), PW_KV_HASH("post_hash", "abcd"),
	       PW_KV_SIGNATURE("signature", "abcdef"),
	       PW_KV_NAME("name", "Ravi"));
	json_t *o;
	parse_lines(cap_text(&c), &o);
	ck_assert_str_eq(json_string_value(json_object_get(o, "secret")), "***");
	ck_assert_str_eq(json_string_value(json_object_get(o, "phone")),
			 "********10");
	ck_assert_str_eq(json_string_value(json_object_get(o, "email")),
			 "x***@y***.com");
	ck_assert_str_eq(json_string_value(json_object_get(o, "acct")),
			 "****7890");
	ck_assert_str_eq(json_string_value(json_object_get(o, "upi")),
			 "***@okaxis");
	ck_assert_str_eq(json_string_value(json_object_get(o, "post_hash")),
			 "***(len=4)");
	ck_assert_str_eq(json_string_value(json_object_get(o, "signature")),
			 "***(len=6)");
	ck_assert_str_eq(json_string_value(json_object_get(o, "name")), "R***");
	json_decref(o);
	/* truncated output keeps snprintf semantics */
	char small[4];
	ck_assert_uint_eq(pw_redact(PW_RED_PHONE, "9876543210", 10, small,
				    sizeof small),
			  10);
	ck_assert_str_eq(small, "***");
	cap_close(&c);
	free(text);
}
END_TEST

/* Every sensitive value of the sample reply; none may survive. */
static const char *const reply_secrets[] = {
	"9000012345",       "9876501234",         "anushk@gmail.com",
	"Anushk Kumar",     "34343432323232",     "55667788990011",
	"payer.one",        "sender.two",         "refund.three",
	"merchant.four",    "0a3f5c9e7b1d2f4a",   "deadbeefcafebabe",
	"SK-DO-NOT-LEAK",   "AK-DO-NOT-LEAK",     "918273",
	"hunter2-pass",     "SanoojAccount",      "sample@uoi",
	"HareeshMenon",     "77665544332211",     "OperatorName",
	"abc@payatom.in",
};

START_TEST(test_log_gateway_body_is_scrubbed)
{
	size_t len;
	char *body = pwt_read_data("log/gateway_reply.json", &len);
	ck_assert_ptr_nonnull(body);
	char *out = NULL;
	ck_assert_int_eq(pw_redact_json(body, len, &out), PA_OK);
	for (size_t i = 0; i < sizeof reply_secrets / sizeof *reply_secrets; i++)
		ck_assert_msg(!strstr(out, reply_secrets[i]), "'%s' in %s",
			      reply_secrets[i], out);
	json_error_t err;
	json_t *o = json_loads(out, 0, &err);
	ck_assert_msg(o != NULL, "%s", err.text);
	/* public data kept, sensitive data replaced by its redacted form */
	ck_assert_str_eq(json_string_value(json_object_get(o, "order_id")),
			 "ORD-7781");
	ck_assert_str_eq(json_string_value(json_object_get(o, "utr")),
			 "412345678901");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "amount")), 60);
	ck_assert(json_is_true(json_object_get(o, "flag")));
	ck_assert_str_eq(json_string_value(json_object_get(o, "phone_number")),
			 "********34");
	ck_assert_str_eq(json_string_value(json_object_get(o, "Account_number")),
			 "****3232");
	ck_assert_str_eq(json_string_value(json_object_get(o, "receiverVPA")),
			 "***@icici");
	ck_assert_str_eq(json_string_value(json_object_get(o, "email")),
			 "a***@g***.com");
	json_t *imps = json_array_get(
		json_object_get(json_object_get(json_object_get(o, "data"),
						"wallets"),
				"imps_upi"),
		0);
	ck_assert_str_eq(json_string_value(json_object_get(imps, "bank")),
			 "hdfc");
	json_decref(o);
	free(out);

	/* through the logger, as a field */
	cap_t c;
	cap_open(&c, PW_LOG_DEBUG, PW_LOG_JSON);
	pw_log(c.lg, PW_LOG_WARN, "gateway reply", PW_KV_BODY("body", body, len));
	const char *t = cap_text(&c);
	for (size_t i = 0; i < sizeof reply_secrets / sizeof *reply_secrets; i++)
		ck_assert_msg(!strstr(t, reply_secrets[i]), "'%s' logged",
			      reply_secrets[i]);
	ck_assert_uint_eq(parse_lines(t, NULL), 1);
	cap_close(&c);
	free(body);
}
END_TEST

START_TEST(test_log_non_json_body_is_scrubbed_as_text)
{
	size_t len;
	char *html = pwt_read_data("log/error_page.html", &len);
	ck_assert_ptr_nonnull(html);
	char *out = NULL;
	ck_assert_int_eq(pw_redact_json(html, len, &out), PA_OK);
	ck_assert_msg(!strstr(out, "anushk@gmail.com") &&
			      !strstr(out, "9000012345") &&
			      !strstr(out, "sample@") &&
			      !strstr(out, "SK-DO-NOT-LEAK"),
		      "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "500 Internal Server Error"));
	ck_assert_ptr_nonnull(strstr(out, "a***@g***.com"));
	ck_assert_ptr_nonnull(strstr(out, "phone=********45"));
	ck_assert_ptr_nonnull(strstr(out, "***@okaxis"));
	ck_assert_ptr_nonnull(strstr(out, "order_id=ORD-7781"));
	free(out);
	free(html);
}
END_TEST

START_TEST(test_log_escapes_and_keeps_json_valid)
{
	cap_t c;
	cap_open(&c, PW_LOG_DEBUG, PW_LOG_JSON);
	const char nasty[] = "q\"b\\n\nt\tc\x01 \xc3\xa9 end";
	pw_log(c.lg, PW_LOG_INFO, "line\nbreak \"quoted\"",
	       PW_KV_STR("v", nasty), PW_KV_STR("k\"ey", "x"),
	       PW_KV_STRN("bin", "a\0b\xff\xfe", 5),
	       PW_KV_STR("nullv", NULL), PW_KV_DBL("nan", 0.0 / 0.0));
	json_t *o;
	const char *t = cap_text(&c);
	ck_assert_uint_eq(parse_lines(t, &o), 1);
	ck_assert_str_eq(json_string_value(json_object_get(o, "msg")),
			 "line\nbreak \"quoted\"");
	ck_assert_str_eq(json_string_value(json_object_get(o, "v")), nasty);
	ck_assert_str_eq(json_string_value(json_object_get(o, "k\"ey")), "x");
	/* NUL kept as \u0000, invalid UTF-8 -> U+FFFD */
	json_t *bin = json_object_get(o, "bin");
	ck_assert_uint_eq(json_string_length(bin), 2 + 1 + 3 + 3);
	ck_assert_int_eq(memcmp(json_string_value(bin), "a\0b\xef\xbf\xbd", 6),
			 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "nullv")), "");
	ck_assert_str_eq(json_string_value(json_object_get(o, "nan")), "NaN");
	ck_assert_ptr_nonnull(strstr(t, "\\u0001"));
	json_decref(o);
	cap_close(&c);
}
END_TEST

START_TEST(test_log_text_format_for_humans)
{
	cap_t c;
	cap_open(&c, PW_LOG_INFO, PW_LOG_TEXT);
	pw_logger_t *child;
	ck_assert_int_eq(pw_log_child(c.lg, "http", &child), PA_OK);
	pw_log(child, PW_LOG_WARN, "webhook rejected",
	       PW_KV_STR("order_id", "O-9"), PW_KV_STR("reason", "hash mismatch"),
	       PW_KV_INT("status", 200), PW_KV_PHONE("phone", "9876543210"));
	ck_assert_str_eq(cap_text(&c),
			 "2026-11-26T11:12:23.123Z WARN  [http] webhook rejected "
			 "order_id=O-9 reason=\"hash mismatch\" status=200 "
			 "phone=********10\n");
	pw_warn(child, "two\nlines", PW_KV_STR("k", "a\nb"));
	ck_assert_ptr_nonnull(strstr(cap_text(&c), "[http] two\\nlines k=\"a\\nb\"\n"));
	pw_log_set_format(c.lg, PW_LOG_JSON);
	pw_info(child, "now json");
	ck_assert_ptr_nonnull(strstr(cap_text(&c), "{\"ts\""));
	pw_log_destroy(child);
	cap_close(&c);
}
END_TEST

START_TEST(test_log_long_lines_and_body_cut)
{
	cap_t c;
	cap_open(&c, PW_LOG_INFO, PW_LOG_JSON);
	size_t n = 20000;
	char *big = malloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	pw_info(c.lg, "big", PW_KV_STR("field", big));
	json_t *o;
	ck_assert_uint_eq(parse_lines(cap_text(&c), &o), 1);
	ck_assert_uint_eq(json_string_length(json_object_get(o, "field")), n);
	json_decref(o);
	/* a body longer than 4 KiB is cut and says so */
	big[0] = '"';
	big[n - 1] = '"';
	pw_info(c.lg, "body", PW_KV_BODY("body", big, n));
	ck_assert_uint_eq(parse_lines(cap_text(&c), &o), 2);
	const char *b = json_string_value(json_object_get(o, "body"));
	ck_assert_uint_lt(strlen(b), 4200);
	ck_assert_ptr_nonnull(strstr(b, "...(+"));
	json_decref(o);
	free(big);
	cap_close(&c);
}
END_TEST

#define THREADS 4
#define LINES 200

static void *writer(void *ud)
{
	pw_logger_t *lg = ud;
	for (int i = 0; i < LINES; i++)
		pw_info(lg, "from a thread", PW_KV_INT("i", i),
			PW_KV_STR("pad", "...................................."));
	return NULL;
}

START_TEST(test_log_lines_never_interleave)
{
	cap_t c;
	cap_open(&c, PW_LOG_INFO, PW_LOG_JSON);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer, c.lg), 0);
	/* level changes while threads log are safe */
	pw_log_set_level(c.lg, PW_LOG_INFO);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	ck_assert_uint_eq(parse_lines(cap_text(&c), NULL), THREADS * LINES);
	cap_close(&c);

	/* a stream with a file descriptor takes the write(2) path */
	FILE *tf = tmpfile();
	ck_assert_ptr_nonnull(tf);
	pw_logger_t *lg;
	ck_assert_int_eq(pw_log_new(tf, PW_LOG_INFO, PW_LOG_JSON, &lg), PA_OK);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer, lg), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	long size = ftell(tf);
	ck_assert_int_gt(size, 0);
	rewind(tf);
	char *all = calloc(1, (size_t)size + 1);
	ck_assert_uint_eq(fread(all, 1, (size_t)size, tf), (size_t)size);
	ck_assert_uint_eq(parse_lines(all, NULL), THREADS * LINES);
	free(all);
	pw_log_destroy(lg);
	fclose(tf);
}
END_TEST

START_TEST(test_log_key_rules_cover_gateway_fields)
{
	struct {
		const char *key;
		pw_redact_t kind;
	} v[] = {
		{"secret_key", PW_RED_SECRET},    {"X-Api-Key", PW_RED_SECRET},
		{"recon_token", PW_RED_SECRET},   {"wallet_password", PW_RED_SECRET},
		{"verification_code", PW_RED_SECRET},
		{"post_hash", PW_RED_HASH},       {"signature", PW_RED_HASH},
		{"qr_code", PW_RED_HASH},         {"phone", PW_RED_PHONE},
		{"customer_phone", PW_RED_PHONE}, {"email", PW_RED_EMAIL},
		{"account_no", PW_RED_ACCOUNT},   {"Account_number", PW_RED_ACCOUNT},
		{"upi", PW_RED_UPI},              {"receiverVPA", PW_RED_UPI},
		{"refunded_upi", PW_RED_UPI},     {"name", PW_RED_NAME},
		{"order_id", PW_RED_PUBLIC},      {"ref_code", PW_RED_PUBLIC},
		{"amount", PW_RED_PUBLIC},        {"status", PW_RED_PUBLIC},
		{"utr", PW_RED_PUBLIC},           {"bank", PW_RED_PUBLIC},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		ck_assert_msg(pw_redact_kind_for_key(v[i].key) == v[i].kind,
			      "%s -> %d", v[i].key,
			      pw_redact_kind_for_key(v[i].key));
}
END_TEST

START_TEST(test_log_default_logger_and_null_safety)
{
	pw_log_destroy(NULL);
	pw_log_destroy(pw_log_default());
	ck_assert_ptr_nonnull(pw_log_default());
	ck_assert_int_eq(pw_log_get_level(NULL), PW_LOG_INFO);
	/* below the default level: nothing is written anywhere */
	pw_debug(NULL, "not printed");
	ck_assert_str_eq(pw_log_level_name(PW_LOG_ERROR), "error");
	char *out = NULL;
	ck_assert_int_eq(pw_redact_json("", 0, &out), PA_OK);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(pw_redact_json(NULL, 3, &out), PA_INVAL);
}
END_TEST

/* xorshift: deterministic pseudo-random bytes, no global rand() state */
static uint32_t next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

START_TEST(test_log_scrubbers_survive_any_input)
{
	/* inputs that grow when redacted: empty sensitive values */
	char *out = NULL;
	const char grow[] = "hash=&hash=&hash=&pin=&a@b.c a@b.c";
	ck_assert_int_eq(pw_redact_text(grow, sizeof grow - 1, &out), PA_OK);
	ck_assert_str_eq(out, "hash=***(len=0)&hash=***(len=0)&hash=***(len=0)"
			      "&pin=***&a***@b***.c a***@b***.c");
	free(out);
	/* random bytes biased towards the characters the scanners act on */
	static const char alphabet[] = "ab@.=&\"{}:,0123456789 \n\\\xc3\xff";
	uint32_t seed = 0x9e3779b9u;
	char buf[512];
	for (int round = 0; round < 2000; round++) {
		size_t n = next_rand(&seed) % sizeof buf;
		for (size_t i = 0; i < n; i++)
			buf[i] = alphabet[next_rand(&seed) %
					  (sizeof alphabet - 1)];
		ck_assert_int_eq(pw_redact_json(buf, n, &out), PA_OK);
		ck_assert_ptr_nonnull(out);
		free(out);
		ck_assert_int_eq(pw_redact_text(buf, n, &out), PA_OK);
		free(out);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("log");
	TCase *fmt = tcase_create("format");
	tcase_add_test(fmt, test_log_json_line_has_fields_in_order);
	tcase_add_test(fmt, test_log_escapes_and_keeps_json_valid);
	tcase_add_test(fmt, test_log_text_format_for_humans);
	tcase_add_test(fmt, test_log_long_lines_and_body_cut);
	suite_add_tcase(s, fmt);
	TCase *lvl = tcase_create("levels");
	tcase_add_test(lvl, test_log_level_filter_and_runtime_change);
	tcase_add_test(lvl, test_log_default_logger_and_null_safety);
	tcase_add_test(lvl, test_log_lines_never_interleave);
	suite_add_tcase(s, lvl);
	TCase *red = tcase_create("redaction");
	tcase_add_test(red, test_log_redacts_every_personal_kind);
	tcase_add_test(red, test_log_gateway_body_is_scrubbed);
	tcase_add_test(red, test_log_non_json_body_is_scrubbed_as_text);
	tcase_add_test(red, test_log_key_rules_cover_gateway_fields);
	tcase_add_test(red, test_log_scrubbers_survive_any_input);
	suite_add_tcase(s, red);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
