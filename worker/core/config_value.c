/* config_value.c -- the value grammar of config maps.
 * Owns: integer, duration, size, bool and enum parsing with bounds, the
 *       edit distance behind "did you mean", key -> env variable names.
 * Not here: where values come from (config.c, config_env.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"

/* ---- value parsers ---------------------------------------------------- */

/* Parses leading decimal digits of s into *v; returns the end or NULL on
 * no digits / overflow. */
static const char *parse_digits(const char *s, uint64_t *v)
{
	uint64_t acc = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (acc > (UINT64_MAX - d) / 10)
			return NULL;
		acc = acc * 10 + d;
		p++;
	}
	if (p == s)
		return NULL;
	*v = acc;
	return p;
}

pa_err_t pw_cfg_parse_int(const char *s, int64_t *out)
{
	int neg = 0;
	uint64_t v;
	if (!s || !out)
		return PA_INVAL;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	const char *e = parse_digits(s, &v);
	if (!e || *e)
		return PA_INVAL;
	if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
		return PA_RANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return PA_OK;
}

static pa_err_t scaled(const char *s, const char *const *units,
		       const uint64_t *mult, int64_t *out)
{
	uint64_t v;
	if (!s || !out)
		return PA_INVAL;
	const char *e = parse_digits(s, &v);
	if (!e)
		return PA_INVAL;
	for (size_t i = 0; units[i]; i++) {
		if (strcasecmp(e, units[i]) != 0)
			continue;
		if (v > (uint64_t)INT64_MAX / mult[i])
			return PA_RANGE;
		*out = (int64_t)(v * mult[i]);
		return PA_OK;
	}
	return PA_INVAL;
}

pa_err_t pw_cfg_parse_duration_ms(const char *s, int64_t *out)
{
	static const char *const u[] = {"", "ms", "s", "m", "h", "d", NULL};
	static const uint64_t m[] = {1, 1, 1000, 60000, 3600000, 86400000};
	return scaled(s, u, m, out);
}

pa_err_t pw_cfg_parse_size(const char *s, int64_t *out)
{
	static const char *const u[] = {"",   "b",  "k",   "kb",  "kib",
					"m",  "mb", "mib", "g",   "gb",
					"gib", NULL};
	static const uint64_t K = 1024, M = 1024 * 1024, G = 1024 * 1024 * 1024;
	static const uint64_t m[] = {1, 1, K, K, K, M, M, M, G, G, G};
	return scaled(s, u, m, out);
}

pa_err_t pw_cfg_parse_bool(const char *s, int *out)
{
	static const char *const t[] = {"true", "yes", "on", "1"};
	static const char *const f[] = {"false", "no", "off", "0"};
	if (!s || !out)
		return PA_INVAL;
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, t[i]) == 0)
			return *out = 1, PA_OK;
		if (strcasecmp(s, f[i]) == 0)
			return *out = 0, PA_OK;
	}
	return PA_INVAL;
}

int pw_cfg_enum_index(const char *allowed, const char *s)
{
	if (!allowed || !s)
		return -1;
	size_t n = strlen(s);
	int idx = 0;
	for (const char *p = allowed;; idx++) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && memcmp(p, s, n) == 0)
			return idx;
		if (!bar)
			return -1;
		p = bar + 1;
	}
}

size_t pw_cfg_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = malloc((lb + 1) * sizeof *row);
	if (!row)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

const char *pw_cfg_env_name(const char *key, char *buf, size_t size)
{
	int n = snprintf(buf, size, "PAYATOM_%s", key);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return buf;
	}
	for (char *p = buf; *p; p++)
		*p = *p == '.' || *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	return buf;
}

/* Validates text for entry e. Message (without origin) into errbuf. */
pa_err_t pw__cfg_check_value(const pw_cfg_entry_t *e, const char *key,
			     const char *text, char *errbuf)
{
	int64_t v = 0;
	pa_err_t rc = PA_OK;
	const char *what = NULL;
	switch (e->type) {
	case PW_CFG_STR:
	case PW_CFG_LIST:
		return PA_OK;
	case PW_CFG_BOOL: {
		int b;
		if (pw_cfg_parse_bool(text, &b) != PA_OK)
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: '%s' is not a boolean "
					 "(true|false|yes|no|on|off|1|0)",
					 key, text);
		return PA_OK;
	}
	case PW_CFG_ENUM:
		if (pw_cfg_enum_index(e->allowed, text) < 0)
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: '%s' is not one of %s", key,
					 (e->flags & PW_CFG_SECRET) ? "***" : text,
					 e->allowed);
		return PA_OK;
	case PW_CFG_INT:
		rc = pw_cfg_parse_int(text, &v);
		what = "an integer";
		break;
	case PW_CFG_DURATION_MS:
		rc = pw_cfg_parse_duration_ms(text, &v);
		what = "a duration (e.g. 250ms, 30s, 5m, 24h, 7d; plain = ms)";
		break;
	case PW_CFG_SIZE:
		rc = pw_cfg_parse_size(text, &v);
		what = "a size (e.g. 512, 64k, 1m, 2g; k = 1024)";
		break;
	}
	if (rc == PA_RANGE)
		return pa_seterr(errbuf, PA_CONFIG, "%s: '%s' is too large", key,
				 text);
	if (rc != PA_OK)
		return pa_seterr(errbuf, PA_CONFIG, "%s: '%s' is not %s", key,
				 text, what);
	if (e->min == 0 && e->max == 0)
		return PA_OK;
	const char *unit = e->type == PW_CFG_DURATION_MS ? "ms"
			   : e->type == PW_CFG_SIZE      ? " bytes"
							 : "";
	if (v < e->min)
		return pa_seterr(errbuf, PA_CONFIG,
				 "%s: %s is below the minimum %lld%s", key, text,
				 (long long)e->min, unit);
	if (v > e->max)
		return pa_seterr(errbuf, PA_CONFIG,
				 "%s: %s is above the maximum %lld%s", key, text,
				 (long long)e->max, unit);
	return PA_OK;
}

