/* sign.c -- the named hash/signature formulas of spec §3.2-§3.5.
 * Owns: which parts, in which order, enter each digest; post_hash sealing
 *       and verification of those digests.
 * Not here: the digest and container primitives (crypto.c), amount texts
 *           (money.c), canonical JSON (canonjson.c). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "payatom/canonjson.h"
#include "payatom/money.h"
#include "payatom/sign.h"

static pa_part_t secret_part(const pa_secret_t *sec)
{
	pa_part_t p;
	p.p = pa_secret_bytes(sec, &p.len);
	return p;
}

/* md5(a . b . c . secret) with 2 or 3 leading parts */
static pa_err_t md5_with_secret(const pa_secret_t *sec, const pa_part_t *in,
				size_t n, char out[PA_MD5_HEX_LEN + 1])
{
	if (out)
		out[0] = '\0';
	if (!sec || !out)
		return PA_INVAL;
	pa_part_t parts[4];
	for (size_t i = 0; i < n; i++)
		parts[i] = in[i];
	parts[n] = secret_part(sec);
	return pa_md5_hex(parts, n + 1, out);
}

pa_err_t pa_sign_callback_md5(const pa_secret_t *sec, pa_part_t order_id,
			      pa_part_t amount, pa_part_t status,
			      char out[PA_MD5_HEX_LEN + 1])
{
	const pa_part_t in[] = {order_id, amount, status};
	return md5_with_secret(sec, in, 3, out);
}

pa_err_t pa_sign_poll_response_md5(const pa_secret_t *sec, pa_part_t order_id,
				   pa_part_t amount, pa_part_t status,
				   char out[PA_MD5_HEX_LEN + 1])
{
	return pa_sign_callback_md5(sec, order_id, amount, status, out);
}

pa_err_t pa_sign_poll_request_md5(const pa_secret_t *sec, pa_part_t key,
				  pa_part_t pid, char out[PA_MD5_HEX_LEN + 1])
{
	const pa_part_t in[] = {key, pid};
	return md5_with_secret(sec, in, 2, out);
}

pa_err_t pa_sign_refund_md5(const pa_secret_t *sec, pa_part_t key,
			    pa_part_t pid, char out[PA_MD5_HEX_LEN + 1])
{
	return pa_sign_poll_request_md5(sec, key, pid, out);
}

static int is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

pa_err_t pa_post_hash_for(const pa_secret_t *sec, const char *md5hex,
			  const uint8_t iv[16], char **out, char *errbuf)
{
	if (out)
		*out = NULL;
	if (!sec || !md5hex || !out)
		return pa_seterr(errbuf, PA_INVAL, "post_hash: NULL argument");
	size_t n = strnlen(md5hex, PA_MD5_HEX_LEN + 1);
	if (n != PA_MD5_HEX_LEN || !is_lower_hex(md5hex, n))
		return pa_seterr(errbuf, PA_INVAL,
				 "post_hash: not a 32-char lowercase MD5 hex");
	return pa_seal(sec, (const uint8_t *)md5hex, n, iv, out, errbuf);
}

pa_err_t pa_sign_poll_request_post_hash(const pa_secret_t *sec, pa_part_t key,
					pa_part_t pid, const uint8_t iv[16],
					char **out, char *errbuf)
{
	char md5[PA_MD5_HEX_LEN + 1];
	if (out)
		*out = NULL;
	pa_err_t err = pa_sign_poll_request_md5(sec, key, pid, md5);
	if (err)
		return pa_seterr(errbuf, err, "post_hash: md5 failed");
	err = pa_post_hash_for(sec, md5, iv, out, errbuf);
	OPENSSL_cleanse(md5, sizeof(md5));
	return err;
}

pa_err_t pa_sign_refund_post_hash(const pa_secret_t *sec, pa_part_t key,
				  pa_part_t pid, const uint8_t iv[16],
				  char **out, char *errbuf)
{
	return pa_sign_poll_request_post_hash(sec, key, pid, iv, out, errbuf);
}

pa_err_t pa_sign_callback_post_hash(const pa_secret_t *sec, pa_part_t order_id,
				    pa_part_t amount, pa_part_t status,
				    const uint8_t iv[16], char **out,
				    char *errbuf)
{
	char md5[PA_MD5_HEX_LEN + 1];
	if (out)
		*out = NULL;
	pa_err_t err = pa_sign_callback_md5(sec, order_id, amount, status, md5);
	if (err)
		return pa_seterr(errbuf, err, "post_hash: md5 failed");
	err = pa_post_hash_for(sec, md5, iv, out, errbuf);
	OPENSSL_cleanse(md5, sizeof(md5));
	return err;
}

pa_err_t pa_post_hash_verify_any(const pa_secret_t *sec, const char *b64,
				 size_t b64_len, const char *const *expect,
				 size_t n, size_t *matched, char *errbuf)
{
	if (matched)
		*matched = 0;
	if (!sec || (!expect && n))
		return pa_seterr(errbuf, PA_INVAL, "verify: NULL argument");
	char *pt = NULL;
	size_t pt_len = 0;
	pa_err_t err = pa_open(sec, b64, b64_len, &pt, &pt_len, errbuf);
	if (err)
		return err;
	err = pa_seterr(errbuf, PA_HASH_MISMATCH,
			"verify: post_hash does not match");
	for (size_t i = 0; i < n; i++) {
		if (expect[i] &&
		    pa_const_eq(pt, pt_len, expect[i], strlen(expect[i]))) {
			if (matched)
				*matched = i;
			err = PA_OK;
			break;
		}
	}
	OPENSSL_cleanse(pt, pt_len);
	free(pt);
	return err;
}

pa_err_t pa_post_hash_verify(const pa_secret_t *sec, const char *b64,
			     size_t b64_len, const char *expect_hex,
			     char *errbuf)
{
	const char *e[] = {expect_hex};
	return pa_post_hash_verify_any(sec, b64, b64_len, e, 1, NULL, errbuf);
}

/* Opens b64 once and tries md5(order_id . amt[i] . status . secret). */
static pa_err_t verify_callback_variants(const pa_secret_t *sec,
					 const char *b64, size_t b64_len,
					 pa_part_t order_id,
					 char amt[][PA_MONEY_STR_MAX], size_t n,
					 pa_part_t status, size_t *variant,
					 char *errbuf)
{
	char md5[PA_MONEY_VARIANTS_MAX][PA_MD5_HEX_LEN + 1];
	const char *expect[PA_MONEY_VARIANTS_MAX];
	if (n == 0)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "verify: amount is empty, too long or not "
				 "a string/number");
	for (size_t i = 0; i < n; i++) {
		pa_err_t err = pa_sign_callback_md5(sec, order_id, pa_part(amt[i]),
						    status, md5[i]);
		if (err)
			return pa_seterr(errbuf, err, "verify: md5 failed");
		expect[i] = md5[i];
	}
	pa_err_t err = pa_post_hash_verify_any(sec, b64, b64_len, expect, n,
					       variant, errbuf);
	OPENSSL_cleanse(md5, sizeof(md5));
	return err;
}

pa_err_t pa_post_hash_verify_callback(const pa_secret_t *sec, const char *b64,
				      size_t b64_len, pa_part_t order_id,
				      pa_part_t amount, pa_part_t status,
				      size_t *variant, char *errbuf)
{
	char amt[PA_MONEY_VARIANTS_MAX][PA_MONEY_STR_MAX];
	if (variant)
		*variant = 0;
	if (!sec)
		return pa_seterr(errbuf, PA_INVAL, "verify: NULL secret");
	size_t n = pa_money_hash_variants(amount.p, amount.len, amt,
					  PA_MONEY_VARIANTS_MAX);
	return verify_callback_variants(sec, b64, b64_len, order_id, amt, n,
					status, variant, errbuf);
}

pa_err_t pa_post_hash_verify_callback_json(const pa_secret_t *sec,
					   const char *b64, size_t b64_len,
					   pa_part_t order_id,
					   const json_t *amount,
					   pa_part_t status, size_t *variant,
					   char *errbuf)
{
	char amt[PA_MONEY_VARIANTS_MAX][PA_MONEY_STR_MAX];
	if (variant)
		*variant = 0;
	if (!sec)
		return pa_seterr(errbuf, PA_INVAL, "verify: NULL secret");
	size_t n = pa_money_hash_variants_json(amount, amt,
					       PA_MONEY_VARIANTS_MAX);
	return verify_callback_variants(sec, b64, b64_len, order_id, amt, n,
					status, variant, errbuf);
}

pa_err_t pa_sign_recon_sha256(const pa_secret_t *sec, pa_part_t pid,
			      pa_part_t date, char out[PA_SHA256_HEX_LEN + 1])
{
	if (out)
		out[0] = '\0';
	if (!sec || !out)
		return PA_INVAL;
	const pa_part_t parts[] = {pid, secret_part(sec), date};
	return pa_sha256_hex(parts, 3, out);
}

pa_err_t pa_sign_wallet_verification_code(const pa_secret_t *password,
					  char out[PA_MD5_HEX_LEN + 1])
{
	if (out)
		out[0] = '\0';
	if (!password || !out)
		return PA_INVAL;
	const pa_part_t parts[] = {secret_part(password)};
	return pa_md5_hex(parts, 1, out);
}

pa_err_t pa_sign_v2(const pa_secret_t *sec, const json_t *body,
		    pa_v2_alg_t alg, char out[PA_SHA256_HEX_LEN + 1],
		    char *errbuf)
{
	if (out)
		out[0] = '\0';
	if (!sec || !out || !json_is_object(body))
		return pa_seterr(errbuf, PA_INVAL,
				 "v2 signature: need a secret and a JSON "
				 "object");
	if (alg != PA_V2_SHA256_CONCAT && alg != PA_V2_HMAC_SHA256)
		return pa_seterr(errbuf, PA_INVAL,
				 "v2 signature: unknown algorithm %d", (int)alg);
	char *canon = NULL;
	size_t clen = 0;
	pa_err_t err = pa_canonjson(body, "signature", &canon, &clen, errbuf);
	if (err)
		return err;
	pa_part_t sp = secret_part(sec);
	const pa_part_t parts[] = {{canon, clen}, sp};
	if (alg == PA_V2_SHA256_CONCAT)
		err = pa_sha256_hex(parts, 2, out);
	else
		err = pa_hmac_sha256_hex(sp.p, sp.len, parts, 1, out);
	if (err)
		pa_seterr(errbuf, err, "v2 signature: digest failed");
	free(canon);
	return err;
}

pa_err_t pa_sign_v2_verify(const pa_secret_t *sec, const json_t *body,
			   pa_v2_alg_t alg, char *errbuf)
{
	const json_t *sig = json_is_object(body)
				    ? json_object_get(body, "signature")
				    : NULL;
	if (!json_is_string(sig))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "v2 signature: no \"signature\" string");
	char want[PA_SHA256_HEX_LEN + 1];
	pa_err_t err = pa_sign_v2(sec, body, alg, want, errbuf);
	if (err)
		return err;
	if (!pa_const_eq(want, PA_SHA256_HEX_LEN, json_string_value(sig),
			 json_string_length(sig)))
		return pa_seterr(errbuf, PA_HASH_MISMATCH,
				 "v2 signature: mismatch");
	return PA_OK;
}

pa_err_t pa_sign_complaint_sha256(const pa_secret_t *sec,
				  pa_complaint_sig_t layout, pa_part_t pid,
				  pa_part_t order_id, pa_part_t ref_code,
				  char out[PA_SHA256_HEX_LEN + 1])
{
	if (out)
		out[0] = '\0';
	if (!sec || !out)
		return PA_INVAL;
	pa_part_t s = secret_part(sec);
	switch (layout) {
	case PA_COMPLAINT_SIG_PID_ORDER_REF_SECRET: {
		const pa_part_t parts[] = {pid, order_id, ref_code, s};
		return pa_sha256_hex(parts, 4, out);
	}
	case PA_COMPLAINT_SIG_PID_SECRET_ORDER_REF: {
		const pa_part_t parts[] = {pid, s, order_id, ref_code};
		return pa_sha256_hex(parts, 4, out);
	}
	}
	return PA_INVAL;
}
