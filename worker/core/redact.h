/* redact.h -- how secrets and personal data look in logs and dumps.
 * Owns: the redaction kinds and their rules, the JSON/free-text scrubbers
 *       used on gateway bodies, the sensitive-key list.
 * Not here: log line formatting (log.c), config secrets storage (config.c).
 *
 * Rules (style.md habit 6; issue 6 "never printed in clear"):
 *   PUBLIC   as is
 *   SECRET   "***"                       secret keys, API keys, tokens,
 *                                        passwords, verification codes
 *   HASH     "***(len=N)"                post_hash, signature, hash_value,
 *                                        qr_code (it embeds the payee VPA)
 *   PHONE    every digit but the last 2 masked, length kept: "********10";
 *            fewer than 6 digits -> "***"
 *   EMAIL    "a***@g***.com" (first letter of local part and domain, last
 *            label kept); no '@' -> "***"
 *   ACCOUNT  "****" + last 4 characters; 6 characters or fewer -> "***"
 *   UPI      "***@handle" (the PSP handle kept); no '@' -> "***"
 *   NAME     first character + "***" (person and account-holder names)
 * Every function is thread-safe (no shared state). */
#ifndef PW_REDACT_H
#define PW_REDACT_H

#include <stddef.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pw_redact {
	PW_RED_PUBLIC,
	PW_RED_SECRET,
	PW_RED_HASH,
	PW_RED_PHONE,
	PW_RED_EMAIL,
	PW_RED_ACCOUNT,
	PW_RED_UPI,
	PW_RED_NAME,
} pw_redact_t;

/* Writes the redacted form of s[0..len) to out (NUL-terminated when size >
 * 0, truncated to fit). Returns the full length it needed, as snprintf.
 * The output is never longer than len + 16. */
size_t pw_redact(pw_redact_t kind, const char *s, size_t len, char *out,
		 size_t size);

/* The kind for a JSON/form key (case-insensitive): "secret_key" -> SECRET,
 * "phone_number" -> PHONE, "receiverVPA" -> UPI, ... PUBLIC when the key is
 * not known to be sensitive. */
pw_redact_t pw_redact_kind_for_key(const char *key);

/* Scrubs a JSON document: every value under a sensitive key (at any depth,
 * strings and numbers) is replaced by its redacted string. A body that is
 * not JSON goes through pw_redact_text(). *out is new (caller frees with
 * free()), NUL-terminated, not valid unless PA_OK is returned. */
pa_err_t pw_redact_json(const char *json, size_t len, char **out);

/* Scrubs free text (HTML error pages, form bodies): e-mail addresses and
 * anything with '@' -> EMAIL/UPI rules, runs of 6+ digits -> PHONE rule,
 * "key=value" pairs with a sensitive key -> that key's rule. *out is new
 * (caller frees with free()). */
pa_err_t pw_redact_text(const char *s, size_t len, char **out);

/* A value from a record named in an error text (merchant, product): shown
 * as 'value' when it looks like a name -- a letter, then up to 63 of
 * A-Z a-z 0-9 _ . - (so no phone number, e-mail, UPI id or full name
 * passes) -- else as "a value of N bytes that is not a name". Writes buf
 * (NUL-terminated) and returns it. */
const char *pw_redact_name(const char *s, char *buf, size_t size);
/* 1 when pw_redact_name() would show s. */
int pw_redact_is_name(const char *s);

#ifdef __cplusplus
}
#endif
#endif
