/* crypto.h -- PayAtom's post_hash container and the digest primitives.
 * Owns: the merchant secret, seal/open of post_hash (spec §3.1), base64
 *       (strict, and PHP's lenient decoder), MD5/SHA-256/HMAC-SHA256
 *       lowercase-hex builders, constant-time comparison.
 * Not here: the named formulas that say what goes into each digest
 *           (sign.h), which amount string enters a hash (money.h), PHP-style
 *           canonical JSON (canonjson.h), webhook field handling (webhook.h).
 *
 * Thread safety: every function is reentrant; a pa_secret_t may be shared by
 * threads once created (it is never written after pa_secret_new()). */
#ifndef PAYATOM_CRYPTO_H
#define PAYATOM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PA_MD5_HEX_LEN    32 /* lowercase hex, without NUL */
#define PA_SHA256_HEX_LEN 64 /* lowercase hex, without NUL */
#define PA_SEAL_IV_LEN    16 /* spec §3.1: iv(16) */
#define PA_SEAL_MAC_LEN   32 /* spec §3.1: HMAC-SHA256(32) */
/* Smallest decoded blob pa_open() accepts: iv + mac + one AES block. */
#define PA_SEAL_MIN_LEN (PA_SEAL_IV_LEN + PA_SEAL_MAC_LEN + 16)

/**
 * A merchant secret (or any other credential, e.g. an operator password).
 * Holds the raw bytes and the derived AES/HMAC key SHA-256(secret); both are
 * wiped with OPENSSL_cleanse() on destroy. There is deliberately no function
 * that prints it (style.md habit 6).
 */
typedef struct pa_secret pa_secret_t;

/**
 * @brief Creates a secret from @p len bytes at @p key (not NUL-terminated).
 *
 * Trailing '\n'/'\r' are NOT stripped here (the config loader does that for
 * @file values): the bytes are used exactly as given.
 *
 * @param key  secret bytes; must not be NULL.
 * @param len  length in bytes; 0 is refused (an empty merchant secret is a
 *             configuration error, never a real key).
 * @param out  receives the secret: new (caller frees with
 *             pa_secret_destroy()). Not valid unless PA_OK is returned.
 * @returns PA_OK, PA_INVAL (NULL/empty), PA_NOMEM or PA_CRYPTO.
 */
pa_err_t pa_secret_new(const char *key, size_t len, pa_secret_t **out);

/**
 * @brief Wipes and frees a secret. NULL is a safe no-op.
 */
void pa_secret_destroy(pa_secret_t *sec);

/**
 * @brief The raw secret bytes, for the formula builders (sign.h) that append
 * the secret to a digest input.
 *
 * @param len  receives the length (must not be NULL).
 * @returns borrowed (valid until pa_secret_destroy()); do not rely on a NUL
 *          terminator (a secret may contain NUL bytes). NULL (and *len = 0)
 *          when @p sec is NULL.
 */
const char *pa_secret_bytes(const pa_secret_t *sec, size_t *len);

/**
 * @brief Seals @p pt into a post_hash (spec §3.1):
 * base64(iv || HMAC-SHA256(key, ct || iv) || ct), key = SHA-256(secret),
 * ct = AES-256-CBC(key, iv, pt) with PKCS#7 padding. Output is standard
 * base64 with '=' padding and no line breaks (PHP base64_encode()).
 *
 * @param sec     the merchant secret.
 * @param pt      plaintext (any bytes; PayAtom seals a 32-char MD5 hex).
 * @param pt_len  its length (0 allowed: one full padding block).
 * @param iv      NULL: 16 fresh bytes from RAND_bytes(); otherwise 16 bytes
 *                to use (known-answer tests only: never reuse an IV).
 * @param out     new NUL-terminated base64 (caller frees with free()).
 *                Not valid unless PA_OK is returned.
 * @param errbuf  optional, PA_ERRBUF_SIZE bytes.
 * @returns PA_OK, PA_INVAL, PA_NOMEM, PA_CRYPTO.
 */
pa_err_t pa_seal(const pa_secret_t *sec, const uint8_t *pt, size_t pt_len,
		 const uint8_t iv[16], char **out, char *errbuf);

/**
 * @brief Opens a base64 post_hash (spec §3.1).
 *
 * The text is decoded as PHP's non-strict base64_decode() decodes it
 * (pa_base64_decode_php(): padding missing or misplaced, line breaks,
 * spaces, stray characters are all skipped), because that is what the
 * docs' PHP decrypt() is given (spec §3.1, §5); a spelling that decodes to
 * other bytes simply fails the MAC. Order of checks (each has its own
 * error): length at least PA_SEAL_MIN_LEN and ciphertext a
 * multiple of 16 (PA_SHORT), HMAC-SHA256 over ct || iv compared in constant
 * time BEFORE any decryption (PA_MAC), then AES-256-CBC with PKCS#7 unpadding
 * (PA_PADDING). No plaintext is released unless all checks pass.
 *
 * @param b64      the post_hash text; need not be NUL-terminated.
 * @param b64_len  its length.
 * @param out      new NUL-terminated plaintext (caller frees with free()).
 *                 Not valid unless PA_OK is returned.
 * @param out_len  receives the plaintext length; may be NULL.
 * @returns PA_OK, PA_INVAL, PA_SHORT, PA_MAC, PA_PADDING, PA_NOMEM,
 *          PA_CRYPTO.
 */
pa_err_t pa_open(const pa_secret_t *sec, const char *b64, size_t b64_len,
		 char **out, size_t *out_len, char *errbuf);

/**
 * @brief Standard base64 (RFC 4648 §4 alphabet, '=' padding, no line breaks),
 * as PHP base64_encode().
 *
 * @param out      new NUL-terminated text (caller frees with free()).
 *                 Not valid unless PA_OK is returned.
 * @param out_len  receives strlen(*out); may be NULL.
 * @returns PA_OK, PA_INVAL, PA_NOMEM, PA_RANGE (input too large).
 */
pa_err_t pa_base64_encode(const uint8_t *in, size_t len, char **out,
			  size_t *out_len);

/**
 * @brief Strict base64 decode: what PHP's base64_encode() writes and
 * nothing else.
 *
 * The text length must be a multiple of 4, only the standard alphabet is
 * allowed, '=' only as one or two final padding characters, unused bits of
 * the last group must be zero, and no whitespace (not even a trailing
 * newline) is tolerated. For a received post_hash use
 * pa_base64_decode_php() (pa_open() does).
 *
 * @param out      new buffer (caller frees with free()), NUL-terminated for
 *                 convenience (the NUL is not counted in *out_len).
 *                 Not valid unless PA_OK is returned.
 * @param out_len  receives the decoded length; must not be NULL.
 * @returns PA_OK, PA_INVAL, PA_BASE64, PA_NOMEM.
 */
pa_err_t pa_base64_decode(const char *in, size_t len, uint8_t **out,
			  size_t *out_len, char *errbuf);

/**
 * @brief Decodes as PHP's base64_decode($text) without $strict does -- the
 * decoder the docs' webhook and polling code runs on a post_hash (spec
 * §3.1, §5). Every byte outside the standard alphabet is skipped ('='
 * anywhere, whitespace and line breaks, '-' and '_', anything else); the
 * remaining characters are packed six bits each into bytes, and the bits of
 * a last byte they do not fill are dropped. Never fails on content.
 *
 * @param out      new buffer (caller frees with free()), NUL-terminated for
 *                 convenience (the NUL is not counted in *out_len).
 *                 Not valid unless PA_OK is returned.
 * @param out_len  receives the decoded length; must not be NULL.
 * @returns PA_OK, PA_INVAL (NULL out/out_len, or in NULL with len > 0),
 *          PA_NOMEM.
 */
pa_err_t pa_base64_decode_php(const char *in, size_t len, uint8_t **out,
			      size_t *out_len);

/** One piece of a digest input: @p len bytes at @p p (not NUL-terminated). */
typedef struct pa_part {
	const char *p;
	size_t len;
} pa_part_t;

/** A pa_part_t over a NUL-terminated string (NULL gives an empty part). */
static inline pa_part_t pa_part(const char *s)
{
	pa_part_t part = {s ? s : "", s ? strlen(s) : 0};
	return part;
}

/**
 * @brief Lowercase hex digests of the concatenation of @p n parts (PHP
 * `md5($a . $b . ...)` / `hash('sha256', ...)`), written into @p out.
 *
 * @param out  PA_MD5_HEX_LEN+1 / PA_SHA256_HEX_LEN+1 bytes; NUL-terminated.
 *             On failure it holds the empty string, so that a comparison
 *             against a received hash can never succeed by accident.
 * @returns PA_OK, PA_INVAL (parts NULL with n > 0), PA_CRYPTO.
 */
pa_err_t pa_md5_hex(const pa_part_t *parts, size_t n,
		    char out[PA_MD5_HEX_LEN + 1]);
pa_err_t pa_sha256_hex(const pa_part_t *parts, size_t n,
		       char out[PA_SHA256_HEX_LEN + 1]);

/**
 * @brief Lowercase hex HMAC-SHA256 with key @p key (PHP
 * `hash_hmac('sha256', $data, $key)`) over the concatenation of @p n parts.
 * @returns PA_OK, PA_INVAL, PA_CRYPTO; @p out as for pa_sha256_hex().
 */
pa_err_t pa_hmac_sha256_hex(const void *key, size_t key_len,
			    const pa_part_t *parts, size_t n,
			    char out[PA_SHA256_HEX_LEN + 1]);

/**
 * @brief Constant-time equality of two byte strings (CRYPTO_memcmp). Strings
 * of different lengths are unequal (the length itself is not secret).
 * @returns 1 when equal, 0 otherwise.
 */
int pa_const_eq(const void *a, size_t alen, const void *b, size_t blen);

#ifdef __cplusplus
}
#endif
#endif
