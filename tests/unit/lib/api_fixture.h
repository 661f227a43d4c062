/* api_fixture.h -- merchant profiles and request inspection shared by the
 * check_api_*.c programs (header-only: each program includes it once). */
#ifndef API_FIXTURE_H
#define API_FIXTURE_H

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/payatom.h"
#include "pwtest.h"

#define FX_BASE "https://gw.example.test"

static pa_secret_t *fx_sec;
static pa_merchant_t fx_m;

static inline void fx_setup(void)
{
	size_t n;
	char *k = pwt_read_data("webhook/secret.txt", &n);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(pa_secret_new(k, n, &fx_sec), PA_OK);
	free(k);
	memset(&fx_m, 0, sizeof(fx_m));
	fx_m.pid = "000000000000";
	fx_m.secret = fx_sec;
	fx_m.api_version = PA_API_V1;
	fx_m.base_url = FX_BASE;
	fx_m.country = PA_COUNTRY_IN;
	fx_m.recon_token = "recon-token-1";
	fx_m.bot_api_key = "abc123xyz789";
	fx_m.complaint_token = "complaint-bearer";
	fx_m.balance_token = "balance-token";
}

static inline void fx_v2(void)
{
	fx_m.api_version = PA_API_V2;
	fx_m.api_key = "1111-2222-3333-4444";
}

static inline void fx_teardown(void)
{
	pa_secret_destroy(fx_sec);
	fx_sec = NULL;
}

/* The request body as JSON. New reference (json_decref). */
static inline json_t *fx_body(const pa_request_t *req)
{
	ck_assert_ptr_nonnull(req->body);
	ck_assert_uint_eq(req->body_len, strlen(req->body));
	json_t *j = json_loads(req->body, 0, NULL);
	ck_assert_ptr_nonnull(j);
	return j;
}

static inline const char *fx_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	ck_assert_msg(json_is_string(v), "body.%s not a string", k);
	return json_string_value(v);
}

/* post_hash of body opens (with the merchant secret) to md5(parts . secret). */
static inline void fx_assert_post_hash(json_t *b, const char *a, const char *c,
				const char *d)
{
	const char *ph = fx_str(b, "post_hash");
	char *plain = NULL;
	size_t plen, slen;
	ck_assert_int_eq(pa_open(fx_sec, ph, strlen(ph), &plain, &plen, NULL),
			 PA_OK);
	const char *s = pa_secret_bytes(fx_sec, &slen);
	pa_part_t p[4] = {{a, strlen(a)}, {c, strlen(c)}, {d, d ? strlen(d) : 0},
			  {s, slen}};
	char md5[PA_MD5_HEX_LEN + 1];
	if (d) {
		pa_md5_hex(p, 4, md5);
	} else {
		p[2] = p[3];
		pa_md5_hex(p, 3, md5);
	}
	ck_assert_str_eq(plain, md5);
	free(plain);
}

/* sha256 of the parts a, b, c, d (NULL ends early) where "$S" stands for
 * the merchant secret: fx_sha(out, "pid", "$S", "date", NULL). */
static inline void fx_sha(char out[PA_SHA256_HEX_LEN + 1], const char *a,
			  const char *b, const char *c, const char *d)
{
	const char *in[4] = {a, b, c, d};
	pa_part_t p[4];
	size_t n = 0, slen;
	const char *s = pa_secret_bytes(fx_sec, &slen);
	for (; n < 4 && in[n]; n++)
		p[n] = strcmp(in[n], "$S") == 0 ? (pa_part_t){s, slen}
						: pa_part(in[n]);
	pa_sha256_hex(p, n, out);
}

/* body.signature == pa_sign_v2(body without signature). */
static inline void fx_assert_v2_signature(json_t *b)
{
	char want[65];
	json_t *copy = json_deep_copy(b);
	const char *got = fx_str(b, "signature");
	json_object_del(copy, "signature");
	ck_assert_int_eq(pa_sign_v2(fx_sec, copy, fx_m.v2_alg, want,
				    NULL),
			 PA_OK);
	ck_assert_str_eq(got, want);
	json_decref(copy);
}

/* Reads tests/data/spec/<name>.json. New (free()). */
static inline char *fx_spec(const char *name, size_t *len)
{
	char path[512];
	int n = snprintf(path, sizeof(path), "spec/%s.json", name);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	char *s = pwt_read_data(path, len);
	ck_assert_msg(s != NULL, "missing %s", path);
	return s;
}

/* The built body has exactly the keys of the spec sample <name>. */
static inline void fx_assert_same_keys(const pa_request_t *req,
				       const char *name)
{
	size_t len;
	char *s = fx_spec(name, &len);
	json_t *want = json_loadb(s, len, 0, NULL);
	json_t *got = fx_body(req);
	const char *k;
	json_t *v;
	ck_assert_ptr_nonnull(want);
	json_object_foreach(want, k, v)
		ck_assert_msg(json_object_get(got, k) != NULL,
			      "%s: built body lacks %s", name, k);
	json_object_foreach(got, k, v)
		ck_assert_msg(json_object_get(want, k) != NULL,
			      "%s: built body has extra %s", name, k);
	json_decref(want);
	json_decref(got);
	free(s);
}

/* Asserts errbuf names the field first: "<field>: ...". */
#define fx_assert_field(eb, field)                                             \
	ck_assert_msg(strncmp((eb), field ": ", strlen(field ": ")) == 0,      \
		      "errbuf '%s' does not name %s", (eb), field)

static inline int fx_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
