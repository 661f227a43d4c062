/* money.c -- amount parsing and PHP-style printing (spec §2.2, §3.2, §12.1).
 * Owns: text <-> minor units, hash amount variants.
 * Not here: which field is hashed (webhook.c), formulas (sign.c). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "payatom/canonjson.h"
#include "payatom/money.h"

pa_err_t pa_money_parse(const char *s, size_t len, int64_t *minor,
			char *errbuf)
{
	if (!minor || (!s && len))
		return pa_seterr(errbuf, PA_INVAL, "money: NULL argument");
	*minor = 0;
	size_t i = 0;
	int64_t major = 0;
	while (i < len && s[i] >= '0' && s[i] <= '9') {
		int d = s[i] - '0';
		if (major > (INT64_MAX / 100 - d) / 10)
			return pa_seterr(errbuf, PA_RANGE,
					 "money: amount too large");
		major = major * 10 + d;
		i++;
	}
	if (i == 0)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "money: amount must start with a digit");
	int64_t frac = 0;
	if (i < len && s[i] == '.') {
		size_t nd = 0;
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9' && nd < 3) {
			frac = frac * 10 + (s[i] - '0');
			nd++;
			i++;
		}
		if (nd == 0 || nd > 2)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "money: need 1 or 2 decimals");
		if (nd == 1)
			frac *= 10;
	}
	if (i != len)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "money: unexpected character at offset %zu",
				 i);
	if (major == INT64_MAX / 100 && frac > INT64_MAX % 100)
		return pa_seterr(errbuf, PA_RANGE, "money: amount too large");
	*minor = major * 100 + frac; /* cannot overflow: checked above */
	return PA_OK;
}

pa_err_t pa_money_from_major(int64_t major, int64_t *minor)
{
	if (major > INT64_MAX / 100 || major < INT64_MIN / 100)
		return PA_RANGE;
	*minor = major * 100;
	return PA_OK;
}

pa_err_t pa_money_to_major(int64_t minor, int64_t *major)
{
	if (minor % 100 != 0)
		return PA_VALIDATION;
	*major = minor / 100;
	return PA_OK;
}

int pa_money_is_whole(int64_t minor)
{
	return minor % 100 == 0;
}

/* |minor| split without overflowing on INT64_MIN */
static void split(int64_t minor, const char **sign, uint64_t *maj,
		  unsigned *frac)
{
	uint64_t a = minor < 0 ? (uint64_t)0 - (uint64_t)minor
			       : (uint64_t)minor;
	*sign = minor < 0 ? "-" : "";
	*maj = a / 100;
	*frac = (unsigned)(a % 100);
}

void pa_money_format_php(int64_t minor, char out[PA_MONEY_STR_MAX])
{
	const char *sign;
	uint64_t maj;
	unsigned frac;
	split(minor, &sign, &maj, &frac);
	if (frac == 0)
		snprintf(out, PA_MONEY_STR_MAX, "%s%" PRIu64, sign, maj);
	else if (frac % 10 == 0)
		snprintf(out, PA_MONEY_STR_MAX, "%s%" PRIu64 ".%u", sign, maj,
			 frac / 10);
	else
		snprintf(out, PA_MONEY_STR_MAX, "%s%" PRIu64 ".%02u", sign, maj,
			 frac);
}

void pa_money_format_2dp(int64_t minor, char out[PA_MONEY_STR_MAX])
{
	const char *sign;
	uint64_t maj;
	unsigned frac;
	split(minor, &sign, &maj, &frac);
	snprintf(out, PA_MONEY_STR_MAX, "%s%" PRIu64 ".%02u", sign, maj, frac);
}

/* A real with at most two decimals, non-negative, in range. */
static pa_err_t real_to_minor(double x, int64_t *minor)
{
	if (!isfinite(x) || x < 0)
		return PA_VALIDATION;
	double m = x * 100.0;
	if (m >= 9.0e18)
		return PA_RANGE;
	double r = nearbyint(m);
	if (fabs(m - r) > 1e-6 * (r > 1.0 ? r : 1.0))
		return PA_VALIDATION;
	*minor = (int64_t)r;
	return PA_OK;
}

pa_err_t pa_money_from_json(const struct json_t *v, int64_t *minor,
			    char *errbuf)
{
	if (!v || !minor)
		return pa_seterr(errbuf, PA_INVAL, "money: NULL argument");
	*minor = 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return pa_money_parse(json_string_value(v), json_string_length(v),
				      minor, errbuf);
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		if (i < 0)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "money: negative amount");
		if (pa_money_from_major((int64_t)i, minor))
			return pa_seterr(errbuf, PA_RANGE,
					 "money: amount too large");
		return PA_OK;
	}
	case JSON_REAL: {
		pa_err_t err = real_to_minor(json_real_value(v), minor);
		if (err)
			return pa_seterr(errbuf, err,
					 "money: real amount is negative, "
					 "too large or has more than 2 "
					 "decimals");
		return PA_OK;
	}
	default:
		return pa_seterr(errbuf, PA_VALIDATION,
				 "money: amount must be a string or number");
	}
}

static size_t add_variant(char out[][PA_MONEY_STR_MAX], size_t n, size_t max,
			  const char *s, size_t len)
{
	if (n >= max || len == 0 || len >= PA_MONEY_STR_MAX ||
	    memchr(s, '\0', len))
		return n;
	for (size_t i = 0; i < n; i++)
		if (strlen(out[i]) == len && memcmp(out[i], s, len) == 0)
			return n;
	memcpy(out[n], s, len);
	out[n][len] = '\0';
	return n + 1;
}

/* raw first, then the forms computed from minor (when known) */
static size_t variants(const char *raw, size_t len, int have_minor,
		       int64_t minor, char out[][PA_MONEY_STR_MAX], size_t max)
{
	size_t n = add_variant(out, 0, max, raw, len);
	if (have_minor) {
		char t[PA_MONEY_STR_MAX];
		pa_money_format_php(minor, t);
		n = add_variant(out, n, max, t, strlen(t));
		pa_money_format_2dp(minor, t);
		n = add_variant(out, n, max, t, strlen(t));
	}
	return n;
}

size_t pa_money_hash_variants(const char *raw, size_t len,
			      char out[][PA_MONEY_STR_MAX], size_t max)
{
	if (!raw || !out || len == 0 || len >= PA_MONEY_STR_MAX ||
	    memchr(raw, '\0', len))
		return 0;
	int64_t minor = 0;
	int ok = pa_money_parse(raw, len, &minor, NULL) == PA_OK;
	return variants(raw, len, ok, minor, out, max);
}

size_t pa_money_hash_variants_json(const struct json_t *v,
				   char out[][PA_MONEY_STR_MAX], size_t max)
{
	if (!v || !out)
		return 0;
	char t[PA_MONEY_STR_MAX];
	int64_t minor = 0;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return pa_money_hash_variants(json_string_value(v),
					      json_string_length(v), out, max);
	case JSON_INTEGER: {
		/* PHP concatenation of an int prints its decimal text */
		json_int_t i = json_integer_value(v);
		snprintf(t, sizeof(t), "%" JSON_INTEGER_FORMAT, i);
		int ok = i >= 0 && pa_money_from_major((int64_t)i, &minor) ==
					   PA_OK;
		return variants(t, strlen(t), ok, minor, out, max);
	}
	case JSON_REAL: {
		/* PHP concatenation of a float: precision = 14, "12.5", "100" */
		size_t n;
		const char *txt = pa_php_strval(v, t, &n);
		int ok = pa_money_parse(txt, n, &minor, NULL) == PA_OK;
		return variants(txt, n, ok, minor, out, max);
	}
	default:
		return 0;
	}
}
