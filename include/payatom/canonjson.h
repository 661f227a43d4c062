/* canonjson.h -- the texts PHP writes for decoded JSON values.
 * Owns: canonical JSON for the V2 signature (spec §3.4 [I]): what the
 *       signer's `ksort($body); json_encode($body)` gives; PHP's string
 *       conversion of a value (what `.` concatenates into a hash, spec
 *       §3.2); jansson's own compact dump into one buffer (pa_json_dump)
 *       and its parse errors without the input's bytes
 *       (pa_json_error_text); a faster json_loadb() (pa_json_loadb,
 *       jsonload.c).
 * Not here: the signature itself (sign.h), digests (crypto.h), which field
 *           enters which hash (webhook.h).
 *
 * The gateway is PHP; the V2 guide (per [I]) signs json_encode() of the body
 * without "signature", keys sorted A→Z. We reproduce what PHP does to a body
 * decoded with json_decode($raw, true) and then ksort()ed:
 *  - the TOP-LEVEL object's keys sorted by byte order (ksort() with its
 *    default flags compares non-numeric string keys byte-wise), compact
 *    ({"a":1,"b":2}); ksort() is not recursive, so nested objects keep
 *    their given order (spec §12.4: the guide's and the integrator's code
 *    sort one level; our request bodies are flat, so both readings sign
 *    them alike);
 *  - an object becomes a list where PHP's array is one: an EMPTY object
 *    is [] (json_decode('{}', true) is an empty array), and a nested
 *    object whose keys are exactly "0","1",...,"n-1" in that order is
 *    written as a list (PHP made them integer keys 0..n-1);
 *  - arrays keep their order;
 *  - strings: `"` `\` `/` escaped as \" \\ \/; \b \f \n \r \t; other bytes
 *    below 0x20 as \u00XX; every non-ASCII code point as lowercase \uXXXX
 *    (UTF-16 surrogate pairs above U+FFFF); 0x7f is kept raw; invalid UTF-8
 *    is refused (PHP's json_encode() fails on it too);
 *  - integers as integers, true/false/null as such (amount:100 stays 100,
 *    amount:"100" stays "100": the JSON type of the body is kept);
 *  - reals as PHP 7.1+ prints them with serialize_precision = -1: shortest
 *    round-trip digits, exponent form (1.0e+25, 1.0e-5) when the decimal
 *    exponent is < -4 or > 16, integral values without ".0" (100.0 -> 100).
 * Refused (PA_UNSUPPORTED): top-level keys PHP would treat as numbers
 * (first byte a digit, sign, '.', or whitespace): ksort() compares those
 * numerically and not transitively against string keys, so no byte order
 * reproduces it; and NaN/Inf (json_encode() fails). Our own request bodies
 * never contain either. Nested keys are not sorted, so any key is fine
 * there. */
#ifndef PAYATOM_CANONJSON_H
#define PAYATOM_CANONJSON_H

#include <stddef.h>

#include <jansson.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Writes the PHP-canonical JSON text of @p v (see file comment).
 *
 * @param v         any JSON value (usually the request body object).
 * @param skip_key  when not NULL and @p v is an object, this top-level key
 *                  is left out (the V2 "signature" field is never signed).
 * @param out       new NUL-terminated text (caller frees with free()).
 *                  Not valid unless PA_OK is returned.
 * @param out_len   receives strlen(*out); may be NULL.
 * @param errbuf    optional, PA_ERRBUF_SIZE bytes.
 * @returns PA_OK, PA_INVAL (NULL v/out, invalid UTF-8), PA_UNSUPPORTED
 *          (numeric-looking key, NaN/Inf), PA_RANGE (nesting deeper than
 *          512, PHP's json_encode depth limit), PA_NOMEM.
 */
pa_err_t pa_canonjson(const json_t *v, const char *skip_key, char **out,
		      size_t *out_len, char *errbuf);

/**
 * @brief Writes @p d as PHP's json_encode() prints a float (see file
 * comment) into @p out.
 * @param out  at least 32 bytes; NUL-terminated.
 * @returns PA_OK, or PA_UNSUPPORTED for NaN/Inf (out is then "").
 */
pa_err_t pa_canonjson_double(double d, char out[32]);

/** Size of a buffer for PHP's text of a number (NUL included). */
#define PA_PHP_NUM_MAX 32

/**
 * @brief Writes @p d as PHP's string conversion prints a float -- what
 * `$a . $float` and (string)$float give with the default precision = 14:
 * 14 significant digits, no trailing zeros, exponent form with 'E' when
 * the decimal exponent is < -4 or >= 14: 100.0 -> "100", 0.1 + 0.2 ->
 * "0.3", 1e14 -> "1.0E+14", 1e-5 -> "1.0E-5", -0.0 -> "-0"; INF, -INF,
 * NAN as PHP spells them.
 * @param out  PA_PHP_NUM_MAX bytes; NUL-terminated.
 * @returns PA_OK (PA_INTERNAL only if the text would not fit).
 */
pa_err_t pa_php_double_str(double d, char out[PA_PHP_NUM_MAX]);

/**
 * @brief PHP's string conversion of a value json_decode($body, true) gave:
 * what the docs' `md5($order_id . $received_amount . ...)` concatenates
 * (spec §3.2). A string as it is (it may hold NUL bytes: see @p len); an
 * integer as its digits; a real as pa_php_double_str(); true "1"; false,
 * null and NULL (an absent key: PHP reads it as null) ""; an array or
 * object "Array" (PHP warns and writes that).
 * @param v    the value, or NULL for an absent key.
 * @param num  PA_PHP_NUM_MAX bytes the text of a number is written to.
 * @param len  receives the text's length (must not be NULL).
 * @returns the text: borrowed from @p v (a string: valid while v lives),
 *          from @p num, or static. Never NULL; NUL-terminated.
 */
const char *pa_php_strval(const json_t *v, char num[PA_PHP_NUM_MAX],
			  size_t *len);

/**
 * @brief json_dumps(@p j, @p flags), written into one buffer of
 * @p first_cap bytes (json_dumpb) instead of jansson's string that doubles
 * from 16 bytes: one allocation when it fits. A first buffer that was too
 * small is wiped before it is freed (bodies carry personal data).
 * @param len  gets the length (0 on failure).
 * @returns a new NUL-terminated string (caller frees), or NULL when @p j is
 * NULL, the output is empty, or out of memory.
 */
char *pa_json_dump(const json_t *j, size_t flags, size_t first_cap,
		   size_t *len);

/**
 * @brief json_loadb(), faster: the same inputs accepted and refused, the
 * same tree (values, key order, last of duplicate keys unless
 * JSON_REJECT_DUPLICATES), the same flags (JSON_REJECT_DUPLICATES,
 * JSON_DECODE_ANY, JSON_DISABLE_EOF_CHECK, JSON_DECODE_INT_AS_REAL,
 * JSON_ALLOW_NUL). @p error (may be NULL) gets a message in Jansson's words
 * (without its " near '...'": see pa_json_error_text), the line and column
 * (1-based, in bytes) and byte position of the error, and the code
 * json_error_code() reads.
 * @returns a new reference (caller json_decref()s), or NULL.
 */
json_t *pa_json_loadb(const char *buf, size_t len, size_t flags,
		      json_error_t *error);

/**
 * @brief jansson's parse error without the input's bytes: json_error_t's
 * text ends in " near '<the bytes at the error>'", which may be a phone
 * number or a UPI id, so that part is cut and the position given instead:
 * "control character 0x9 at byte 14 (line 1, column 14)".
 * @param buf  @p size bytes; always NUL-terminated.
 * @returns buf.
 */
const char *pa_json_error_text(const json_error_t *je, char *buf,
			       size_t size);

#ifdef __cplusplus
}
#endif
#endif
