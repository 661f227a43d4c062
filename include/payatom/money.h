/* money.h -- amounts as integer minor units, printed as the gateway prints.
 * Owns: pa_money_t, parsing gateway amounts (int, "100", "100.00", "12.5"),
 *       PHP-style formatting for hashes (spec §3.2, §12.1), whole-unit checks,
 *       the list of amount texts a received hash may have been built from.
 * Not here: which field's amount enters which hash (webhook.c, api_*.c),
 *           the hash formulas (sign.h).
 *
 * Units: spec §2.2 / §12.7 disagree on whether integer amounts are whole
 * units (India "Integer amount in Indian rupees") or the "smallest currency
 * unit" (reconciliation, V2 balance). This module only converts between text
 * and minor units (1/100); the caller decides which a JSON integer means. */
#ifndef PAYATOM_MONEY_H
#define PAYATOM_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct json_t; /* jansson */

/** Amount in minor units (paise, poisha, paisa: 1/100 of INR/BDT/PKR). */
typedef struct pa_money {
	int64_t minor;
	char currency[4]; /* "INR", "BDT", "PKR"; "" when unknown */
} pa_money_t;

/** Size of every amount text buffer below (NUL included). */
#define PA_MONEY_STR_MAX 32
/** Largest number of texts pa_money_hash_variants() can produce. */
#define PA_MONEY_VARIANTS_MAX 4

/**
 * @brief Parses a decimal amount ("100", "100.00", "12.5", "0.05") into
 * minor units.
 *
 * Accepted: one or more digits, optionally '.' and one or two digits.
 * Refused (PA_VALIDATION): empty, signs, exponents, spaces, ".5", "5.",
 * more than two decimals (we never round money). PA_RANGE when the value
 * does not fit int64_t minor units.
 *
 * @param s      text, need not be NUL-terminated.
 * @param minor  receives the amount; not valid unless PA_OK is returned.
 */
pa_err_t pa_money_parse(const char *s, size_t len, int64_t *minor,
			char *errbuf);

/**
 * @brief Reads an amount from a JSON value as the gateway sends it: a string
 * (parsed as pa_money_parse()), an integer (taken as whole major units, i.e.
 * 100 -> 10000 minor: the hashed text of integer 100 is "100"), or a real
 * with at most two decimals (12.5 -> 1250).
 * @returns PA_OK, PA_INVAL (NULL), PA_VALIDATION (wrong type/format,
 *          negative), PA_RANGE (overflow).
 */
pa_err_t pa_money_from_json(const struct json_t *v, int64_t *minor,
			    char *errbuf);

/**
 * @brief Minor units from whole major units (100 -> 10000).
 * @returns PA_OK or PA_RANGE on overflow.
 */
pa_err_t pa_money_from_major(int64_t major, int64_t *minor);

/**
 * @brief Whole major units of @p minor (10000 -> 100).
 * @returns PA_OK, or PA_VALIDATION when @p minor has a fractional part (India
 *          sends integer rupees only, spec §2.2).
 */
pa_err_t pa_money_to_major(int64_t minor, int64_t *major);

/**
 * @brief Formats like PHP prints a number that entered a string
 * concatenation: no forced decimals, no trailing zeros.
 * 10000 -> "100", 1250 -> "12.5", 1205 -> "12.05", -50 -> "-0.5"
 * (spec §3.2 [I], §12.1).
 */
void pa_money_format_php(int64_t minor, char out[PA_MONEY_STR_MAX]);

/** @brief Formats with exactly two decimals: 10000 -> "100.00". */
void pa_money_format_2dp(int64_t minor, char out[PA_MONEY_STR_MAX]);

/**
 * @brief 1 when @p minor is a whole number of major units (India: "Integer
 * amount in Indian rupees", spec §2.2), else 0.
 */
int pa_money_is_whole(int64_t minor);

/**
 * @brief The amount texts a received hash may have been computed from.
 *
 * spec §3.2, §12.1, §12.7: the docs disagree on how the hashed amount is
 * printed (PHP prints "100" for 100.00, [I]; the wire may carry "100.00" or
 * the integer 100). Verification must accept every documented variant, so
 * the webhook/polling code tries each text returned here and accepts the
 * first that matches: pa_post_hash_verify_callback() (sign.h) does exactly
 * that with one pa_open().
 *
 * Order, without duplicates: the text exactly as received (when it fits and
 * has no NUL); the PHP-style form ("100", "12.5"); the two-decimal form
 * ("100.00", "12.50"). When @p raw is not a valid amount only the raw text
 * is returned (a hash can still have been built from it).
 *
 * @param raw  the amount text as received (e.g. received_amount).
 * @param out  @p max buffers of PA_MONEY_STR_MAX bytes.
 * @param max  capacity of @p out; PA_MONEY_VARIANTS_MAX is always enough.
 * @returns number of texts written (0 when raw is empty, too long or
 *          contains a NUL, or max is 0).
 */
size_t pa_money_hash_variants(const char *raw, size_t len,
			      char out[][PA_MONEY_STR_MAX], size_t max);

/**
 * @brief pa_money_hash_variants() for a JSON value: a string is used as is;
 * an integer as its decimal text ("100"); a real as PHP prints it in a
 * concatenation (12.5 -> "12.5"); then the PHP-style and two-decimal forms.
 * @returns number of texts written (0 for other types or NULL).
 */
size_t pa_money_hash_variants_json(const struct json_t *v,
				   char out[][PA_MONEY_STR_MAX], size_t max);

#ifdef __cplusplus
}
#endif
#endif
