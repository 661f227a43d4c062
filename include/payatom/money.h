/* money.h -- amounts as integer minor units, printed as the gateway prints.
 * Owns: pa_money_t, parsing gateway amounts (int, "100", "100.00", "12.5"),
 *       PHP-style formatting for hashes (spec §3.2, §12.1), whole-unit checks.
 * Not here: which field's amount enters which hash (webhook.c, api_*.c). */
#ifndef PAYATOM_MONEY_H
#define PAYATOM_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Amount in minor units (paise, poisha, paisa: 1/100 of INR/BDT/PKR). */
typedef struct pa_money {
	int64_t minor;
	char currency[4]; /* "INR", "BDT", "PKR"; "" when unknown */
} pa_money_t;

#define PA_MONEY_STR_MAX 32

/* Parse a decimal amount ("100", "100.00", "12.5", "0.05") into minor units.
 * At most 2 decimals; rejects signs, exponents, spaces, empty. */
pa_err_t pa_money_parse(const char *s, size_t len, int64_t *minor,
			char *errbuf);
/* Format like PHP prints a number that entered a string concatenation:
 * 10000 -> "100", 1250 -> "12.5", 1205 -> "12.05" (spec §3.2 [I]). */
void pa_money_format_php(int64_t minor, char out[PA_MONEY_STR_MAX]);
/* Format with exactly two decimals: 10000 -> "100.00". */
void pa_money_format_2dp(int64_t minor, char out[PA_MONEY_STR_MAX]);
/* 1 when minor is a whole number of major units (India: "Integer amount in
 * Indian rupees", spec §2.2). */
int pa_money_is_whole(int64_t minor);

#ifdef __cplusplus
}
#endif
#endif
