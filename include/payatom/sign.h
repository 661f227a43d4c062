/* sign.h -- every hash and signature formula of the PayAtom API, by name.
 * Owns: the named builders for spec §3.2-§3.5 (webhook/polling/refund MD5s,
 *       reconciliation SHA-256, wallet verification_code, V2 signature,
 *       complaint signature [assumed]), post_hash sealing of those MD5s and
 *       verification of received post_hash values against them.
 * Not here: the AES/HMAC container and digest primitives (crypto.h), amount
 *           texts (money.h), canonical JSON (canonjson.h), which request
 *           field feeds which builder (api_*.c, webhook.c).
 *
 * Conventions: inputs are pa_part_t (pointer + length; pa_part("...") for a C
 * string) concatenated with no separator, exactly as PHP `.` does; the secret
 * is always taken from a pa_secret_t. Hex outputs are lowercase and
 * NUL-terminated; on any failure they hold "" (never a stale hash). Functions
 * return PA_OK, PA_INVAL (NULL secret/out) or PA_CRYPTO unless said
 * otherwise. */
#ifndef PAYATOM_SIGN_H
#define PAYATOM_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "payatom/crypto.h"
#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- MD5 formulas sealed into post_hash (spec §3.2) ---------------------- */

/**
 * @brief Callback (webhook) hash: md5(order_id . amount . status . secret).
 *
 * spec §3.2/§5/§12.1: current docs ([P] Jul-2023, [I]) hash received_amount;
 * the Feb-2023/tecpay form hashes `amount`. Same formula, different amount
 * field: the caller passes the amount TEXT (see pa_money_hash_variants()).
 */
pa_err_t pa_sign_callback_md5(const pa_secret_t *sec, pa_part_t order_id,
			      pa_part_t amount, pa_part_t status,
			      char out[PA_MD5_HEX_LEN + 1]);

/**
 * @brief Status-polling RESPONSE hash (spec §3.2, §6, §12.1): same formula as
 * the callback, md5(order_id . amount . status . secret); verify with
 * received_amount first, then the legacy `amount` field.
 */
pa_err_t pa_sign_poll_response_md5(const pa_secret_t *sec, pa_part_t order_id,
				   pa_part_t amount, pa_part_t status,
				   char out[PA_MD5_HEX_LEN + 1]);

/**
 * @brief Status-polling REQUEST hash: md5(key . pid . secret) (spec §3.2,
 * §6, §12.3). @p key is ref_code (current, [P] Jul-2023 and [I]) or order_id
 * (Feb-2023/tecpay form).
 */
pa_err_t pa_sign_poll_request_md5(const pa_secret_t *sec, pa_part_t key,
				  pa_part_t pid, char out[PA_MD5_HEX_LEN + 1]);

/**
 * @brief Refund request hash: md5(key . pid . secret) (spec §3.2, §7); @p key
 * is ref_code (money.payatom) or order_id (tecpay).
 */
pa_err_t pa_sign_refund_md5(const pa_secret_t *sec, pa_part_t key,
			    pa_part_t pid, char out[PA_MD5_HEX_LEN + 1]);

/* ---- post_hash = base64(seal(md5)) (spec §3.1) ---------------------------- */

/**
 * @brief Seals a 32-char MD5 hex into a post_hash ("seal the md5").
 * @param md5hex  exactly PA_MD5_HEX_LEN lowercase hex characters (PA_INVAL
 *                otherwise).
 * @param iv      NULL for a random IV; 16 bytes only in known-answer tests.
 * @param out     new NUL-terminated base64 (caller frees with free()).
 *                Not valid unless PA_OK is returned.
 * @returns PA_OK, PA_INVAL, PA_NOMEM, PA_CRYPTO.
 */
pa_err_t pa_post_hash_for(const pa_secret_t *sec, const char *md5hex,
			  const uint8_t iv[16], char **out, char *errbuf);

/**
 * @brief post_hash of a status-polling request:
 * seal(md5(key . pid . secret)). @p out as pa_post_hash_for().
 */
pa_err_t pa_sign_poll_request_post_hash(const pa_secret_t *sec, pa_part_t key,
					pa_part_t pid, const uint8_t iv[16],
					char **out, char *errbuf);

/**
 * @brief post_hash of a refund request: seal(md5(key . pid . secret)).
 * @p out as pa_post_hash_for().
 */
pa_err_t pa_sign_refund_post_hash(const pa_secret_t *sec, pa_part_t key,
				  pa_part_t pid, const uint8_t iv[16],
				  char **out, char *errbuf);

/**
 * @brief post_hash of a callback / polling response (what the gateway, or
 * our sandbox, sends): seal(md5(order_id . amount . status . secret)).
 * @p out as pa_post_hash_for().
 */
pa_err_t pa_sign_callback_post_hash(const pa_secret_t *sec, pa_part_t order_id,
				    pa_part_t amount, pa_part_t status,
				    const uint8_t iv[16], char **out,
				    char *errbuf);

/**
 * @brief Opens a received post_hash and compares the plaintext, in constant
 * time, with each of @p n expected MD5 hex strings.
 *
 * @param expect   @p n NUL-terminated hex strings (NULL entries skipped).
 * @param matched  receives the index of the first match; may be NULL.
 * @returns PA_OK on a match; PA_HASH_MISMATCH when the blob opens but
 *          matches none; any pa_open() error (PA_BASE64, PA_SHORT, PA_MAC,
 *          PA_PADDING, ...) otherwise. PA_MAC usually means a wrong secret.
 */
pa_err_t pa_post_hash_verify_any(const pa_secret_t *sec, const char *b64,
				 size_t b64_len, const char *const *expect,
				 size_t n, size_t *matched, char *errbuf);

/** @brief pa_post_hash_verify_any() with one expected hash. */
pa_err_t pa_post_hash_verify(const pa_secret_t *sec, const char *b64,
			     size_t b64_len, const char *expect_hex,
			     char *errbuf);

/**
 * @brief Verifies a callback / polling-response post_hash, trying every
 * documented text of the amount (spec §3.2, §12.1, §12.7): the text as
 * received, PHP-style ("100", "12.5") and two-decimal ("100.00"), via
 * pa_money_hash_variants(). The post_hash is opened once.
 *
 * @param amount   the amount text as received (received_amount; call again
 *                 with the legacy `amount` field if that fails).
 * @param variant  receives the index of the matching variant (0 = as
 *                 received); may be NULL.
 * @returns as pa_post_hash_verify_any(); PA_VALIDATION when @p amount gives
 *          no candidate (empty, too long, NUL inside).
 */
pa_err_t pa_post_hash_verify_callback(const pa_secret_t *sec, const char *b64,
				      size_t b64_len, pa_part_t order_id,
				      pa_part_t amount, pa_part_t status,
				      size_t *variant, char *errbuf);

/**
 * @brief pa_post_hash_verify_callback() for an amount that arrived as a JSON
 * value (a polling answer may carry received_amount as a number, spec §3.2):
 * candidates from pa_money_hash_variants_json() (integer 100 -> "100",
 * "100.00"; real 12.5 -> "12.5", "12.50"; string as received first).
 * @returns as pa_post_hash_verify_callback(); PA_VALIDATION also for a JSON
 *          type that is not a string or number (or NULL).
 */
pa_err_t pa_post_hash_verify_callback_json(const pa_secret_t *sec,
					   const char *b64, size_t b64_len,
					   pa_part_t order_id,
					   const json_t *amount,
					   pa_part_t status, size_t *variant,
					   char *errbuf);

/* ---- SHA-256 signatures ---------------------------------------------------- */

/**
 * @brief Reconciliation signature (payin and payout, spec §3.3, §10.5,
 * §10.6): sha256_hex(pid . secret . date), @p date as sent ("DD-MM-YYYY").
 */
pa_err_t pa_sign_recon_sha256(const pa_secret_t *sec, pa_part_t pid,
			      pa_part_t date, char out[PA_SHA256_HEX_LEN + 1]);

/**
 * @brief P2P Accounts Wallet Balance verification_code (spec §3.5, §10.2):
 * md5(password), the operator's password held as a pa_secret_t.
 */
pa_err_t pa_sign_wallet_verification_code(const pa_secret_t *password,
					  char out[PA_MD5_HEX_LEN + 1]);

/** V2 signature algorithm (spec §3.4, §12.4: unresolved until the guide is
 * seen; configurable per merchant). */
typedef enum pa_v2_alg {
	/** sha256_hex(canonical_json + secret): [I]'s reading of the guide;
	 * reproduces the guide's PHP/Python/Node samples. The default. */
	PA_V2_SHA256_CONCAT = 0,
	/** hash_hmac('sha256', canonical_json, secret): the "HMAC signature"
	 * wording of the V2 wallet-balance page. */
	PA_V2_HMAC_SHA256 = 1,
} pa_v2_alg_t;

/**
 * @brief V2 request signature (spec §3.4): over pa_canonjson() of @p body
 * with its top-level "signature" member left out (it is never signed), so
 * the body may already carry one.
 *
 * @param body  a JSON object (PA_INVAL otherwise).
 * @returns PA_OK, PA_INVAL, PA_UNSUPPORTED, PA_RANGE, PA_NOMEM, PA_CRYPTO.
 */
pa_err_t pa_sign_v2(const pa_secret_t *sec, const json_t *body,
		    pa_v2_alg_t alg, char out[PA_SHA256_HEX_LEN + 1],
		    char *errbuf);

/**
 * @brief Checks the "signature" member of a received V2 body (sandbox side)
 * against pa_sign_v2(); comparison is constant time and case-sensitive
 * (lowercase hex).
 * @returns PA_OK, PA_HASH_MISMATCH, PA_VALIDATION (no string "signature"),
 *          or a pa_sign_v2() error.
 */
pa_err_t pa_sign_v2_verify(const pa_secret_t *sec, const json_t *body,
			   pa_v2_alg_t alg, char *errbuf);

/**
 * Complaint signature layout. ASSUMPTION: the complaint page's "SIGNATURE
 * GENERATION" section is NOT FOUND (spec §3.5, §10.4, §13). Following the
 * closest documented pattern, a SHA-256 over the request's own identifying
 * fields (like reconciliation, §3.3) with the secret appended last as in
 * every post_hash MD5 (§3.2). The other order (secret after pid, literally
 * the reconciliation layout) is selectable. Make it configurable per
 * merchant and say so in the docs; the sandbox uses the same builder.
 */
typedef enum pa_complaint_sig {
	/** sha256_hex(pid . order_id . ref_code . secret) - default */
	PA_COMPLAINT_SIG_PID_ORDER_REF_SECRET = 0,
	/** sha256_hex(pid . secret . order_id . ref_code) - recon-like */
	PA_COMPLAINT_SIG_PID_SECRET_ORDER_REF = 1,
} pa_complaint_sig_t;

/**
 * @brief Complaint submit signature (ASSUMED formula, see pa_complaint_sig_t).
 * @returns PA_OK, PA_INVAL (also for an unknown layout), PA_CRYPTO.
 */
pa_err_t pa_sign_complaint_sha256(const pa_secret_t *sec,
				  pa_complaint_sig_t layout, pa_part_t pid,
				  pa_part_t order_id, pa_part_t ref_code,
				  char out[PA_SHA256_HEX_LEN + 1]);

#ifdef __cplusplus
}
#endif
#endif
