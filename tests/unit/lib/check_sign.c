/* check_sign.c -- the named formulas of spec §3.2-§3.5, PHP-canonical JSON
 * and the V2 signature (§3.4). Vectors: tests/data/sign/ (PayAtom's PHP
 * reference code and PHP json_encode(), made by
 * tests/data/gen/make_vectors.sh). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "payatom/canonjson.h"
#include "payatom/crypto.h"
#include "payatom/sign.h"
#include "pwtest.h"

static pa_secret_t *secret_str(const char *s)
{
	pa_secret_t *sec = NULL;
	ck_assert_int_eq(pa_secret_new(s, strlen(s), &sec), PA_OK);
	return sec;
}

/* Splits a line on '|' in place (empty fields kept). */
static int split_bar(char *ln, char **f, int max)
{
	int n = 0;
	f[n++] = ln;
	for (char *p = ln; *p && n < max; p++)
		if (*p == '|') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

/* ---- spec §3.2-§3.5 formulas against PHP ------------------------------- */

START_TEST(test_sign_formulas_match_php_reference)
{
	char *txt = pwt_read_data("sign/formulas.txt", NULL);
	ck_assert_ptr_nonnull(txt);
	int n = 0, kinds_seen = 0;
	const char *kinds[] = {"callback",
			       "poll_request",
			       "refund",
			       "recon",
			       "wallet_code",
			       "complaint_pid_order_ref_secret",
			       "complaint_pid_secret_order_ref"};
	char *save = NULL;
	for (char *ln = strtok_r(txt, "\n", &save); ln;
	     ln = strtok_r(NULL, "\n", &save)) {
		if (ln[0] == '#')
			continue;
		char *f[8];
		int nf = split_bar(ln, f, 8);
		ck_assert_int_ge(nf, 4);
		const char *kind = f[0], *want = f[nf - 1];
		pa_secret_t *sec = secret_str(f[1]);
		char out[PA_SHA256_HEX_LEN + 1] = "unset";
		pa_err_t err;
		if (!strcmp(kind, "callback")) {
			err = pa_sign_callback_md5(sec, pa_part(f[2]),
						   pa_part(f[3]), pa_part(f[4]),
						   out);
			/* polling response: same formula (spec §3.2) */
			char out2[PA_MD5_HEX_LEN + 1];
			ck_assert_int_eq(pa_sign_poll_response_md5(
						 sec, pa_part(f[2]),
						 pa_part(f[3]), pa_part(f[4]),
						 out2),
					 PA_OK);
			ck_assert_str_eq(out2, want);
		} else if (!strcmp(kind, "poll_request")) {
			err = pa_sign_poll_request_md5(sec, pa_part(f[2]),
						       pa_part(f[3]), out);
		} else if (!strcmp(kind, "refund")) {
			err = pa_sign_refund_md5(sec, pa_part(f[2]),
						 pa_part(f[3]), out);
		} else if (!strcmp(kind, "recon")) {
			err = pa_sign_recon_sha256(sec, pa_part(f[2]),
						   pa_part(f[3]), out);
		} else if (!strcmp(kind, "wallet_code")) {
			err = pa_sign_wallet_verification_code(sec, out);
		} else if (!strcmp(kind, "complaint_pid_order_ref_secret")) {
			err = pa_sign_complaint_sha256(
				sec, PA_COMPLAINT_SIG_PID_ORDER_REF_SECRET,
				pa_part(f[2]), pa_part(f[3]), pa_part(f[4]),
				out);
		} else if (!strcmp(kind, "complaint_pid_secret_order_ref")) {
			err = pa_sign_complaint_sha256(
				sec, PA_COMPLAINT_SIG_PID_SECRET_ORDER_REF,
				pa_part(f[2]), pa_part(f[3]), pa_part(f[4]),
				out);
		} else {
			ck_abort_msg("unknown kind %s", kind);
		}
		ck_assert_int_eq(err, PA_OK);
		ck_assert_msg(strcmp(out, want) == 0, "%s: %s, want %s", kind,
			      out, want);
		for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
			if (!strcmp(kind, kinds[k]))
				kinds_seen |= 1 << k;
		pa_secret_destroy(sec);
		n++;
	}
	free(txt);
	ck_assert_int_ge(n, 15);
	ck_assert_int_eq(kinds_seen, (1 << 7) - 1); /* every formula covered */
}
END_TEST

START_TEST(test_sign_builders_refuse_null_and_clear_output)
{
	char out[PA_SHA256_HEX_LEN + 1];
	strcpy(out, "stale");
	ck_assert_int_eq(pa_sign_callback_md5(NULL, pa_part("a"), pa_part("1"),
					      pa_part("Approved"), out),
			 PA_INVAL);
	ck_assert_str_eq(out, "");
	strcpy(out, "stale");
	ck_assert_int_eq(pa_sign_recon_sha256(NULL, pa_part("p"),
					      pa_part("01-01-2026"), out),
			 PA_INVAL);
	ck_assert_str_eq(out, "");
	pa_secret_t *sec = secret_str("k");
	strcpy(out, "stale");
	ck_assert_int_eq(pa_sign_complaint_sha256(sec, (pa_complaint_sig_t)9,
						  pa_part("p"), pa_part("o"),
						  pa_part("r"), out),
			 PA_INVAL);
	ck_assert_str_eq(out, "");
	pa_secret_destroy(sec);
}
END_TEST

/* ---- post_hash of the formulas ------------------------------------------ */

START_TEST(test_sign_poll_request_post_hash_opens_to_md5)
{
	pa_secret_t *sec = secret_str("merchant-secret-123");
	char *ph = NULL, md5[PA_MD5_HEX_LEN + 1];
	ck_assert_int_eq(pa_sign_poll_request_post_hash(
				 sec, pa_part("a5510c2738c08f8"),
				 pa_part("000000000000"), NULL, &ph, NULL),
			 PA_OK);
	ck_assert_int_eq(pa_sign_poll_request_md5(sec,
						  pa_part("a5510c2738c08f8"),
						  pa_part("000000000000"), md5),
			 PA_OK);
	ck_assert_int_eq(pa_post_hash_verify(sec, ph, strlen(ph), md5, NULL),
			 PA_OK);
	/* the order_id form gives another hash: must not match */
	char other[PA_MD5_HEX_LEN + 1];
	ck_assert_int_eq(pa_sign_poll_request_md5(sec, pa_part("ORD1"),
						  pa_part("000000000000"),
						  other),
			 PA_OK);
	ck_assert_int_eq(pa_post_hash_verify(sec, ph, strlen(ph), other, NULL),
			 PA_HASH_MISMATCH);
	free(ph);
	/* refund post_hash is the same construction */
	ck_assert_int_eq(pa_sign_refund_post_hash(sec,
						  pa_part("a5510c2738c08f8"),
						  pa_part("000000000000"), NULL,
						  &ph, NULL),
			 PA_OK);
	ck_assert_int_eq(pa_post_hash_verify(sec, ph, strlen(ph), md5, NULL),
			 PA_OK);
	free(ph);
	pa_secret_destroy(sec);
}
END_TEST

START_TEST(test_sign_post_hash_for_requires_md5_hex)
{
	pa_secret_t *sec = secret_str("k");
	char *ph = (char *)"x";
	static const char *bad[] = {"", "abc",
				    "5EBE63AD78FB45500461856F4C045DC6",
				    "5ebe63ad78fb45500461856f4c045dc",
				    "5ebe63ad78fb45500461856f4c045dc6a",
				    "5ebe63ad78fb45500461856f4c045dcg"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_eq(pa_post_hash_for(sec, bad[i], NULL, &ph, NULL),
				 PA_INVAL);
		ck_assert_ptr_null(ph);
	}
	ck_assert_int_eq(pa_post_hash_for(sec,
					  "5ebe63ad78fb45500461856f4c045dc6",
					  NULL, &ph, NULL),
			 PA_OK);
	free(ph);
	pa_secret_destroy(sec);
}
END_TEST

START_TEST(test_sign_callback_verify_accepts_every_amount_form)
{
	pa_secret_t *sec = secret_str("merchant-secret-123");
	pa_secret_t *wrong = secret_str("merchant-secret-124");
	pa_part_t oid = pa_part("ORDER2026112601"), st = pa_part("Approved");
	char *ph = NULL, eb[PA_ERRBUF_SIZE];
	size_t var = 99;
	/* gateway hashed PHP-style "100" (spec §3.2 [I]) */
	ck_assert_int_eq(pa_sign_callback_post_hash(sec, oid, pa_part("100"),
						    st, NULL, &ph, NULL),
			 PA_OK);
	ck_assert_int_eq(pa_post_hash_verify_callback(sec, ph, strlen(ph), oid,
						      pa_part("100.00"), st,
						      &var, eb),
			 PA_OK);
	ck_assert_uint_eq(var, 1); /* PHP-style variant */
	ck_assert_int_eq(pa_post_hash_verify_callback(sec, ph, strlen(ph), oid,
						      pa_part("100"), st, &var,
						      eb),
			 PA_OK);
	ck_assert_uint_eq(var, 0); /* as received */
	/* other amount, other status, other order: mismatch */
	ck_assert_int_eq(pa_post_hash_verify_callback(sec, ph, strlen(ph), oid,
						      pa_part("101"), st, &var,
						      eb),
			 PA_HASH_MISMATCH);
	ck_assert_int_eq(pa_post_hash_verify_callback(
				 sec, ph, strlen(ph), oid, pa_part("100"),
				 pa_part("Declined"), &var, eb),
			 PA_HASH_MISMATCH);
	ck_assert_int_eq(pa_post_hash_verify_callback(
				 sec, ph, strlen(ph), pa_part("ORDER2026112602"),
				 pa_part("100"), st, &var, eb),
			 PA_HASH_MISMATCH);
	/* wrong secret: the container itself refuses */
	ck_assert_int_eq(pa_post_hash_verify_callback(wrong, ph, strlen(ph), oid,
						      pa_part("100"), st, &var,
						      eb),
			 PA_MAC);
	ck_assert_int_eq(pa_post_hash_verify_callback(sec, ph, strlen(ph), oid,
						      pa_part(""), st, &var, eb),
			 PA_VALIDATION);
	free(ph);
	/* gateway hashed the two-decimal text, we received "12.5" */
	ck_assert_int_eq(pa_sign_callback_post_hash(sec, oid, pa_part("12.50"),
						    st, NULL, &ph, NULL),
			 PA_OK);
	ck_assert_int_eq(pa_post_hash_verify_callback(sec, ph, strlen(ph), oid,
						      pa_part("12.5"), st, &var,
						      eb),
			 PA_OK);
	ck_assert_uint_eq(var, 1);
	free(ph);
	pa_secret_destroy(sec);
	pa_secret_destroy(wrong);
}
END_TEST

START_TEST(test_sign_callback_verify_json_amount)
{
	pa_secret_t *sec = secret_str("merchant-secret-123");
	pa_part_t oid = pa_part("ORDER2026112601"), st = pa_part("Approved");
	char *ph = NULL;
	size_t var = 99;
	ck_assert_int_eq(pa_sign_callback_post_hash(sec, oid, pa_part("100"),
						    st, NULL, &ph, NULL),
			 PA_OK);
	json_t *amt = json_integer(100);
	ck_assert_int_eq(pa_post_hash_verify_callback_json(
				 sec, ph, strlen(ph), oid, amt, st, &var, NULL),
			 PA_OK);
	ck_assert_uint_eq(var, 0);
	json_decref(amt);
	amt = json_real(100.0);
	ck_assert_int_eq(pa_post_hash_verify_callback_json(
				 sec, ph, strlen(ph), oid, amt, st, &var, NULL),
			 PA_OK);
	json_decref(amt);
	amt = json_string("100.00");
	ck_assert_int_eq(pa_post_hash_verify_callback_json(
				 sec, ph, strlen(ph), oid, amt, st, &var, NULL),
			 PA_OK);
	ck_assert_uint_eq(var, 1);
	json_decref(amt);
	amt = json_integer(99);
	ck_assert_int_eq(pa_post_hash_verify_callback_json(
				 sec, ph, strlen(ph), oid, amt, st, &var, NULL),
			 PA_HASH_MISMATCH);
	json_decref(amt);
	amt = json_true();
	ck_assert_int_eq(pa_post_hash_verify_callback_json(
				 sec, ph, strlen(ph), oid, amt, st, &var, NULL),
			 PA_VALIDATION);
	json_decref(amt);
	ck_assert_int_eq(pa_post_hash_verify_callback_json(
				 sec, ph, strlen(ph), oid, NULL, st, &var, NULL),
			 PA_VALIDATION);
	free(ph);
	pa_secret_destroy(sec);
}
END_TEST

START_TEST(test_sign_verify_any_reports_match_index)
{
	pa_secret_t *sec = secret_str("k");
	char *ph = NULL;
	const char *md5 = "0123456789abcdef0123456789abcdef";
	ck_assert_int_eq(pa_post_hash_for(sec, md5, NULL, &ph, NULL), PA_OK);
	const char *cands[] = {"ffffffffffffffffffffffffffffffff", NULL, md5};
	size_t idx = 99;
	ck_assert_int_eq(pa_post_hash_verify_any(sec, ph, strlen(ph), cands, 3,
						 &idx, NULL),
			 PA_OK);
	ck_assert_uint_eq(idx, 2);
	ck_assert_int_eq(pa_post_hash_verify_any(sec, ph, strlen(ph), cands, 2,
						 &idx, NULL),
			 PA_HASH_MISMATCH);
	/* PHP's base64_decode() skips what is not base64: nothing is left */
	ck_assert_int_eq(pa_post_hash_verify_any(sec, "!!!!", 4, cands, 3, &idx,
						 NULL),
			 PA_SHORT);
	free(ph);
	pa_secret_destroy(sec);
}
END_TEST

/* ---- canonical JSON and V2 signature (spec §3.4) ------------------------- */

START_TEST(test_sign_v2_matches_php_json_encode)
{
	char *txt = pwt_read_data("sign/v2_vectors.jsonl", NULL);
	ck_assert_ptr_nonnull(txt);
	int n = 0;
	char *save = NULL;
	for (char *ln = strtok_r(txt, "\n", &save); ln;
	     ln = strtok_r(NULL, "\n", &save)) {
		json_error_t je;
		json_t *rec = json_loads(ln, 0, &je);
		ck_assert_msg(rec != NULL, "bad vector line: %s", je.text);
		const char *name = json_string_value(json_object_get(rec, "name"));
		json_t *body = json_loads(
			json_string_value(json_object_get(rec, "body")), 0, &je);
		ck_assert_msg(body != NULL, "%s: body: %s", name, je.text);
		json_t *js = json_object_get(rec, "secret");
		pa_secret_t *sec = NULL;
		ck_assert_int_eq(pa_secret_new(json_string_value(js),
					       json_string_length(js), &sec),
				 PA_OK);
		char *canon = NULL, eb[PA_ERRBUF_SIZE] = "";
		ck_assert_msg(pa_canonjson(body, "signature", &canon, NULL,
					   eb) == PA_OK,
			      "%s: %s", name, eb);
		ck_assert_msg(strcmp(canon, json_string_value(json_object_get(
						    rec, "canonical"))) == 0,
			      "%s: canonical\n got %s\nwant %s", name, canon,
			      json_string_value(
				      json_object_get(rec, "canonical")));
		char sig[PA_SHA256_HEX_LEN + 1];
		ck_assert_int_eq(pa_sign_v2(sec, body, PA_V2_SHA256_CONCAT, sig,
					    eb),
				 PA_OK);
		ck_assert_str_eq(sig, json_string_value(
					      json_object_get(rec, "sha256")));
		ck_assert_int_eq(pa_sign_v2(sec, body, PA_V2_HMAC_SHA256, sig,
					    eb),
				 PA_OK);
		ck_assert_str_eq(sig, json_string_value(
					      json_object_get(rec, "hmac")));
		free(canon);
		pa_secret_destroy(sec);
		json_decref(body);
		json_decref(rec);
		n++;
	}
	free(txt);
	ck_assert_int_ge(n, 12);
}
END_TEST

/* spec §3.4: the guide's own worked example, body built in code (not parsed):
 * its PHP/Python/Node samples give 69f9285e... (the printed 280b18e3... is
 * not reproducible, per [I]). */
START_TEST(test_sign_v2_guide_worked_example)
{
	json_t *body = json_pack(
		"{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "pid",
		"your-partner-id", "amount", 100, "redirect_url",
		"https://your-domain.com/return_page", "ip", "your-server-ip",
		"name", "Customer Name", "email", "customer@email.com", "phone",
		"9876543210", "latitude", "28.7041", "longitude", "77.1025",
		"customer_id", "CUST001");
	ck_assert_ptr_nonnull(body);
	pa_secret_t *sec = secret_str("your-secret-key");
	char sig[PA_SHA256_HEX_LEN + 1];
	ck_assert_int_eq(pa_sign_v2(sec, body, PA_V2_SHA256_CONCAT, sig, NULL),
			 PA_OK);
	ck_assert_str_eq(
		sig,
		"69f9285e926f4fb34b96e68b97f73ba0936dbd5b1d88a0d8ac51838fba328f54");
	/* add it to the body: signing again ignores it, verification passes */
	json_object_set_new(body, "signature", json_string(sig));
	char again[PA_SHA256_HEX_LEN + 1];
	ck_assert_int_eq(pa_sign_v2(sec, body, PA_V2_SHA256_CONCAT, again, NULL),
			 PA_OK);
	ck_assert_str_eq(again, sig);
	ck_assert_int_eq(pa_sign_v2_verify(sec, body, PA_V2_SHA256_CONCAT, NULL),
			 PA_OK);
	ck_assert_int_eq(pa_sign_v2_verify(sec, body, PA_V2_HMAC_SHA256, NULL),
			 PA_HASH_MISMATCH);
	/* amount 100 (integer) and "100" (string) sign differently */
	json_object_set_new(body, "amount", json_string("100"));
	ck_assert_int_eq(pa_sign_v2_verify(sec, body, PA_V2_SHA256_CONCAT, NULL),
			 PA_HASH_MISMATCH);
	json_object_set_new(body, "amount", json_integer(100));
	/* uppercase hex is not what PHP's hash() prints */
	for (char *p = sig; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	json_object_set_new(body, "signature", json_string(sig));
	ck_assert_int_eq(pa_sign_v2_verify(sec, body, PA_V2_SHA256_CONCAT, NULL),
			 PA_HASH_MISMATCH);
	json_object_del(body, "signature");
	ck_assert_int_eq(pa_sign_v2_verify(sec, body, PA_V2_SHA256_CONCAT, NULL),
			 PA_VALIDATION);
	json_t *arr = json_array();
	ck_assert_int_eq(pa_sign_v2(sec, arr, PA_V2_SHA256_CONCAT, sig, NULL),
			 PA_INVAL);
	ck_assert_int_eq(pa_sign_v2(sec, body, (pa_v2_alg_t)7, sig, NULL),
			 PA_INVAL);
	json_decref(arr);
	json_decref(body);
	pa_secret_destroy(sec);
}
END_TEST

/* Calls fn(input, php) for each "input|what PHP gave" line of a vector
 * file made by make_vectors.sh (the last '|' splits); returns the count. */
static int each_php_vector(const char *file, void (*fn)(char *, const char *))
{
	char *txt = pwt_read_data(file, NULL);
	ck_assert_msg(txt != NULL, "missing tests/data/%s", file);
	int n = 0;
	char *save = NULL;
	for (char *ln = strtok_r(txt, "\n", &save); ln;
	     ln = strtok_r(NULL, "\n", &save)) {
		if (ln[0] == '#')
			continue;
		char *bar = strrchr(ln, '|');
		ck_assert_ptr_nonnull(bar);
		*bar = '\0';
		fn(ln, bar + 1);
		n++;
	}
	free(txt);
	return n;
}

static void double_matches(char *in, const char *php)
{
	char out[32];
	ck_assert_int_eq(pa_canonjson_double(strtod(in, NULL), out), PA_OK);
	ck_assert_msg(strcmp(out, php) == 0, "%s: got %s, want %s", in, out,
		      php);
}

START_TEST(test_sign_canonjson_doubles_match_php)
{
	ck_assert_int_ge(each_php_vector("sign/php_doubles.txt", double_matches),
			 300);
	char out[32];
	ck_assert_int_eq(pa_canonjson_double(NAN, out), PA_UNSUPPORTED);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(pa_canonjson_double(INFINITY, out), PA_UNSUPPORTED);
}
END_TEST

START_TEST(test_sign_canonjson_refuses_what_php_would_change)
{
	char *out = NULL, eb[PA_ERRBUF_SIZE];
	/* numeric-looking top-level keys: ksort() compares them as numbers */
	static const char *numeric[] = {"{\"0\":1}", "{\"12\":{\"a\":1}}",
					"{\"-1\":1}", "{\" x\":1}", "{\".5\":1}"};
	for (size_t i = 0; i < sizeof numeric / sizeof numeric[0]; i++) {
		json_t *v = json_loads(numeric[i], 0, NULL);
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(pa_canonjson(v, NULL, &out, NULL, eb),
				 PA_UNSUPPORTED);
		ck_assert_ptr_null(out);
		json_decref(v);
	}
	/* invalid UTF-8 (json_encode() fails on it) */
	json_t *v = json_object();
	json_object_set_new(v, "s", json_stringn_nocheck("a\xc3(", 3));
	ck_assert_int_eq(pa_canonjson(v, NULL, &out, NULL, eb), PA_INVAL);
	json_object_set_new(v, "s", json_stringn_nocheck("\xed\xa0\x80", 3));
	ck_assert_int_eq(pa_canonjson(v, NULL, &out, NULL, eb), PA_INVAL);
	json_object_set_new(v, "s", json_stringn_nocheck("\xc0\xaf", 2));
	ck_assert_int_eq(pa_canonjson(v, NULL, &out, NULL, eb), PA_INVAL);
	/* an embedded NUL is a control character: \u0000 */
	json_object_set_new(v, "s", json_stringn("a\0b", 3));
	size_t len = 0;
	ck_assert_int_eq(pa_canonjson(v, NULL, &out, &len, eb), PA_OK);
	ck_assert_str_eq(out, "{\"s\":\"a\\u0000b\"}");
	ck_assert_uint_eq(len, strlen(out));
	free(out);
	json_decref(v);
	/* nesting beyond PHP's depth 512 */
	json_t *deep = json_array();
	for (int i = 0; i < 600; i++) {
		json_t *outer = json_array();
		json_array_append_new(outer, deep);
		deep = outer;
	}
	ck_assert_int_eq(pa_canonjson(deep, NULL, &out, NULL, eb), PA_RANGE);
	json_decref(deep);
	ck_assert_int_eq(pa_canonjson(NULL, NULL, &out, NULL, eb), PA_INVAL);
}
END_TEST

/* spec §3.4, §12.4: ksort() sorts one level; json_encode() writes nested
 * objects as given, or as a list when PHP made their keys 0..n-1. */
START_TEST(test_sign_canonjson_sorts_top_level_only)
{
	static const char *const cases[][2] = {
		{"{\"b\":{\"z\":1,\"a\":2},\"a\":[{\"y\":1,\"x\":2}]}",
		 "{\"a\":[{\"y\":1,\"x\":2}],\"b\":{\"z\":1,\"a\":2}}"},
		{"{\"n\":{\"0\":\"a\",\"1\":\"b\"}}", "{\"n\":[\"a\",\"b\"]}"},
		{"{\"n\":{\"1\":\"a\",\"0\":\"b\"}}",
		 "{\"n\":{\"1\":\"a\",\"0\":\"b\"}}"},
		{"{\"n\":{\"0\":\"a\",\"2\":\"b\"}}",
		 "{\"n\":{\"0\":\"a\",\"2\":\"b\"}}"},
		{"{\"n\":{\"00\":1,\"-1\":2,\" 3\":3}}",
		 "{\"n\":{\"00\":1,\"-1\":2,\" 3\":3}}"},
		{"{\"n\":{\"a\":{}}}", "{\"n\":{\"a\":[]}}"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *v = json_loads(cases[i][0], 0, NULL);
		char *out = NULL;
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(pa_canonjson(v, NULL, &out, NULL, NULL), PA_OK);
		ck_assert_msg(strcmp(out, cases[i][1]) == 0, "%s: got %s",
			      cases[i][0], out);
		free(out);
		json_decref(v);
	}
}
END_TEST

/* spec §3.2: the docs' md5($order_id . $received_amount . ...) takes each
 * value through PHP's string conversion (vectors from PHP itself). */
static void strval_matches(char *raw, const char *php)
{
	json_error_t je;
	json_t *v = json_loads(raw, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	ck_assert_msg(v != NULL, "%s: %s", raw, je.text);
	char num[PA_PHP_NUM_MAX], hex[2 * 64 + 1] = "";
	size_t len = 0;
	const char *t = pa_php_strval(json_is_null(v) ? NULL : v, num, &len);
	ck_assert_uint_lt(len, 64);
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)t[i]);
	ck_assert_msg(strcmp(hex, php) == 0, "%s: got %s, PHP %s", raw, hex,
		      php);
	json_decref(v);
}

START_TEST(test_sign_php_strval_matches_php)
{
	ck_assert_int_ge(each_php_vector("crypto/php_strval.txt", strval_matches),
			 400);
	char num[PA_PHP_NUM_MAX];
	ck_assert_str_eq((pa_php_double_str(INFINITY, num), num), "INF");
	ck_assert_str_eq((pa_php_double_str(-INFINITY, num), num), "-INF");
	ck_assert_str_eq((pa_php_double_str(NAN, num), num), "NAN");
}
END_TEST

START_TEST(test_sign_canonjson_skip_key_only_at_top_level)
{
	json_t *v = json_loads("{\"signature\":\"x\",\"n\":{\"signature\":1}}",
			       0, NULL);
	char *out = NULL;
	ck_assert_int_eq(pa_canonjson(v, "signature", &out, NULL, NULL), PA_OK);
	ck_assert_str_eq(out, "{\"n\":{\"signature\":1}}");
	free(out);
	ck_assert_int_eq(pa_canonjson(v, NULL, &out, NULL, NULL), PA_OK);
	ck_assert_str_eq(out, "{\"n\":{\"signature\":1},\"signature\":\"x\"}");
	free(out);
	json_decref(v);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sign");
	TCase *tc = tcase_create("formulas_spec_3_2_to_3_5");
	tcase_add_test(tc, test_sign_formulas_match_php_reference);
	tcase_add_test(tc, test_sign_builders_refuse_null_and_clear_output);
	suite_add_tcase(s, tc);

	tc = tcase_create("post_hash_spec_3_1_3_2");
	tcase_add_test(tc, test_sign_poll_request_post_hash_opens_to_md5);
	tcase_add_test(tc, test_sign_post_hash_for_requires_md5_hex);
	tcase_add_test(tc, test_sign_callback_verify_accepts_every_amount_form);
	tcase_add_test(tc, test_sign_callback_verify_json_amount);
	tcase_add_test(tc, test_sign_verify_any_reports_match_index);
	suite_add_tcase(s, tc);

	tc = tcase_create("v2_signature_spec_3_4");
	tcase_add_test(tc, test_sign_v2_matches_php_json_encode);
	tcase_add_test(tc, test_sign_v2_guide_worked_example);
	tcase_add_test(tc, test_sign_canonjson_doubles_match_php);
	tcase_add_test(tc, test_sign_canonjson_refuses_what_php_would_change);
	tcase_add_test(tc, test_sign_canonjson_skip_key_only_at_top_level);
	tcase_add_test(tc, test_sign_canonjson_sorts_top_level_only);
	tcase_add_test(tc, test_sign_php_strval_matches_php);
	suite_add_tcase(s, tc);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
