/* formula.c -- the gateway side of every hash and signature, via libpayatom.
 * Owns: which fields enter which formula on the SERVER side (spec §3): the
 *       callback/polling post_hash, the ref_code post_hash check, the
 *       reconciliation, V2 and complaint signatures.
 * Not here: the formulas themselves (lib/sign.c), the primitives
 *           (lib/crypto.c), PHP number formatting (lib/money.c): no second
 *           copy of any of them lives in the sandbox. */
#include <stdlib.h>
#include <string.h>

#include "payatom/crypto.h"
#include "payatom/money.h"
#include "payatom/sign.h"
#include "sandbox/sbx_int.h"

void sbx__amount_text(int64_t minor, char out[32])
{
	char buf[PA_MONEY_STR_MAX];
	pa_money_format_php(minor, buf);
	snprintf(out, 32, "%s", buf);
}

/* spec §3.2 (current form, §12.1): seal(md5(order_id . received_amount .
 * status . secret)), received_amount printed as PHP prints it. `bad` seals
 * the digest of a different status: a well-formed post_hash that opens with
 * the merchant's key but does not match (fault injection, control API). */
char *sbx__post_hash(const sbx_merchant_t *m, const char *order_id,
		     int64_t received_minor, const char *status, int bad)
{
	char amt[32];
	sbx__amount_text(received_minor, amt);
	char *out = NULL;
	if (pa_sign_callback_post_hash(m->secret, pa_part(order_id),
				       pa_part(amt),
				       pa_part(bad ? "Tampered" : status), NULL,
				       &out, NULL))
		return NULL;
	return out;
}

/* spec §3.2, §6, §7: polling / refund (and our UTR submit) requests carry
 * seal(md5(ref_code . pid . secret)). */
int sbx__check_ref_hash(const sbx_merchant_t *m, const char *ref,
			const char *post_hash)
{
	if (!post_hash)
		return 0;
	char md5[PA_MD5_HEX_LEN + 1];
	if (pa_sign_poll_request_md5(m->secret, pa_part(ref), pa_part(m->pid),
				     md5))
		return 0;
	return pa_post_hash_verify(m->secret, post_hash, strlen(post_hash),
				   md5, NULL) == PA_OK;
}

/* spec §3.3: sha256(pid + secret + date), lowercase hex as PHP prints. */
int sbx__check_recon_sig(const sbx_merchant_t *m, const char *date,
			 const char *sig)
{
	if (!sig)
		return 0;
	char hex[PA_SHA256_HEX_LEN + 1];
	if (pa_sign_recon_sha256(m->secret, pa_part(m->pid), pa_part(date),
				 hex))
		return 0;
	return pa_const_eq(hex, PA_SHA256_HEX_LEN, sig, strlen(sig));
}

/* spec §3.4 [I]: signature over the canonical JSON of the body without
 * "signature"; algorithm per --v2-signature (sha256 | hmac). */
int sbx__check_v2_sig(const sbx_t *sbx, const sbx_merchant_t *m,
		      json_t *body)
{
	pa_v2_alg_t alg = strcmp(sbx->cfg.v2_signature, "hmac") == 0
				  ? PA_V2_HMAC_SHA256
				  : PA_V2_SHA256_CONCAT;
	return pa_sign_v2_verify(m->secret, body, alg, NULL) == PA_OK;
}

/* UTR submit (spec §7: NOT FOUND; libpayatom's assumption A1, api.h):
 * post_hash = seal(md5(ref_code . utr . pid . secret)). */
int sbx__check_utr_hash(const sbx_merchant_t *m, const char *ref,
			const char *utr, const char *post_hash)
{
	if (!post_hash)
		return 0;
	size_t slen;
	const char *s = pa_secret_bytes(m->secret, &slen);
	pa_part_t parts[4] = {pa_part(ref), pa_part(utr), pa_part(m->pid),
			      {s, slen}};
	char md5[PA_MD5_HEX_LEN + 1];
	if (pa_md5_hex(parts, 4, md5))
		return 0;
	return pa_post_hash_verify(m->secret, post_hash, strlen(post_hash),
				   md5, NULL) == PA_OK;
}

/* spec §10.4, §13: the complaint formula is NOT FOUND; libpayatom's
 * assumption A4 (api.h, sign.h) has two layouts, both accepted here:
 * sha256(pid . a . b . secret) and sha256(pid . secret . a . b). Submit
 * signs a = order_id, b = ref_code; view signs a = complaint_id, b = "". */
int sbx__check_complaint_sig(const sbx_merchant_t *m, const char *a,
			     const char *b, const char *sig)
{
	if (!sig)
		return 0;
	static const pa_complaint_sig_t layouts[] = {
		PA_COMPLAINT_SIG_PID_ORDER_REF_SECRET,
		PA_COMPLAINT_SIG_PID_SECRET_ORDER_REF};
	for (size_t i = 0; i < 2; i++) {
		char hex[PA_SHA256_HEX_LEN + 1];
		if (pa_sign_complaint_sha256(m->secret, layouts[i],
					     pa_part(m->pid), pa_part(a),
					     pa_part(b), hex) == PA_OK &&
		    pa_const_eq(hex, PA_SHA256_HEX_LEN, sig, strlen(sig)))
			return 1;
	}
	return 0;
}
