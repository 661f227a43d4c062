/* crypto.h -- PayAtom's post_hash container and every hash/signature formula.
 * Owns: seal/open of post_hash (spec §3.1), MD5/SHA-256 builders (§3.2-§3.5),
 *       the V2 canonical-JSON signature (§3.4), constant-time comparison.
 * Not here: which amount string enters a hash (money.h), webhook field
 *           handling (webhook.h). */
#ifndef PAYATOM_CRYPTO_H
#define PAYATOM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PA_MD5_HEX_LEN 32    /* lowercase hex, without NUL */
#define PA_SHA256_HEX_LEN 64 /* lowercase hex, without NUL */

/* A merchant secret. Wiped with OPENSSL_cleanse on destroy; there is no
 * function that prints it (style.md habit 6). */
typedef struct pa_secret pa_secret_t;

/* New secret from len bytes (not NUL-terminated). Trailing '\n'/'\r' are NOT
 * stripped here (the config loader does that for @file values).
 * New (caller frees with pa_secret_destroy()). */
pa_err_t pa_secret_new(const char *key, size_t len, pa_secret_t **out);
/* NULL is a safe no-op. */
void pa_secret_destroy(pa_secret_t *sec);
/* Borrowed (valid until pa_secret_destroy()); for the formula builders. */
const char *pa_secret_bytes(const pa_secret_t *sec, size_t *len);

/* spec §3.1: seal plaintext into base64(iv || HMAC-SHA256(key, ct||iv) || ct)
 * with key = SHA-256(secret) and AES-256-CBC/PKCS#7. iv may be NULL (random
 * 16 bytes from RAND_bytes) or point to 16 bytes (known-answer tests).
 * *out: new NUL-terminated base64 (caller frees with free()). */
pa_err_t pa_seal(const pa_secret_t *sec, const uint8_t *pt, size_t pt_len,
		 const uint8_t iv[16], char **out, char *errbuf);

/* spec §3.1: open a base64 post_hash. Verifies the MAC in constant time
 * BEFORE decrypting. Errors: PA_BASE64 (not base64), PA_SHORT (fewer than
 * 16+32+16 bytes or ciphertext not a multiple of 16), PA_MAC, PA_PADDING.
 * *out: new NUL-terminated plaintext (caller frees with free()), *out_len its
 * length (may be NULL). Not valid unless PA_OK is returned. */
pa_err_t pa_open(const pa_secret_t *sec, const char *b64, size_t b64_len,
		 char **out, size_t *out_len, char *errbuf);

/* Lowercase hex digests of the concatenation of n (pointer, length) parts,
 * written into out (PA_MD5_HEX_LEN+1 / PA_SHA256_HEX_LEN+1 bytes). */
typedef struct pa_part {
	const char *p;
	size_t len;
} pa_part_t;
void pa_md5_hex(const pa_part_t *parts, size_t n, char out[PA_MD5_HEX_LEN + 1]);
void pa_sha256_hex(const pa_part_t *parts, size_t n,
		   char out[PA_SHA256_HEX_LEN + 1]);

/* Constant-time equality of two byte strings (different lengths: 0). */
int pa_const_eq(const void *a, size_t alen, const void *b, size_t blen);

#ifdef __cplusplus
}
#endif
#endif
