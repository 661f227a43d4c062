/* codec_json.c -- plain JSON helpers of the codec.
 * Owns: ISO-8601 timestamps of the "plain JSON" mapping, how values are
 *       shown in error texts (pw__shown), the reading mode of a schema,
 *       the unknown-type error, the union branch test of the Avro writer,
 *       pw__json_conform (a plan walk).
 * Not here: the mapping's rules and the walk (codec_walk.c), Avro binary
 *           (codec_avro.c), framing (codec.c). */
#include "serde/codec_priv.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serde/avro_schema.h"
#include "serde/codec_plan.h"
#include "serde/schemas.h"

const char *pw__shown(const char *s, size_t n, char *buf, size_t size)
{
	int name = s && n > 0 && n <= 64 &&
		   ((s[0] >= 'A' && s[0] <= 'Z') ||
		    (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_');
	for (size_t i = 1; name && i < n; i++)
		name = (s[i] >= 'A' && s[i] <= 'Z') ||
		       (s[i] >= 'a' && s[i] <= 'z') ||
		       (s[i] >= '0' && s[i] <= '9') || s[i] == '_';
	if (name)
		snprintf(buf, size, "\"%.*s\"", (int)n, s);
	else
		snprintf(buf, size, "a value of %zu bytes that is not a name",
			 s ? n : 0);
	return buf;
}

static int two(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return 0;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 1;
}

pa_err_t pw__iso8601_ms(const char *s, int64_t *ms)
{
	int y1, y2, mo, d, h, mi, sec;
	if (strlen(s) < 19 || !two(s, &y1) || !two(s + 2, &y2) || s[4] != '-' ||
	    !two(s + 5, &mo) || s[7] != '-' || !two(s + 8, &d) ||
	    (s[10] != 'T' && s[10] != ' ') || !two(s + 11, &h) ||
	    s[13] != ':' || !two(s + 14, &mi) || s[16] != ':' ||
	    !two(s + 17, &sec))
		return PA_VALIDATION;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60)
		return PA_VALIDATION;
	const char *p = s + 19;
	int frac = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
		if (digits == 0)
			return PA_VALIDATION;
		for (; digits < 3; digits++)
			frac *= 10;
	}
	int off = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (!two(p + 1, &oh) || p[3] != ':' || !two(p + 4, &om))
			return PA_VALIDATION;
		off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return PA_VALIDATION; /* a zone is required: no local time */
	}
	if (*p)
		return PA_VALIDATION;
	struct tm tm = {0};
	tm.tm_year = y1 * 100 + y2 - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	time_t t = timegm(&tm);
	*ms = ((int64_t)t - (int64_t)off * 60) * 1000 + frac;
	return PA_OK;
}

pa_err_t pw__json_conform(const struct pw__plan *plan, const json_t *in,
			  int mode, json_t **out, char *errbuf)
{
	return pw__plan_walk(plan, in, mode, PW__OUT_TREE, NULL, out, errbuf);
}

int pw__json_fits(const json_t *node, const json_t *val)
{
	const char *k = pw_avsc_kind(node);
	switch (json_typeof(val)) {
	case JSON_NULL: return !strcmp(k, "null");
	case JSON_TRUE:
	case JSON_FALSE: return !strcmp(k, "boolean");
	case JSON_INTEGER:
		return !strcmp(k, "int") || !strcmp(k, "long") ||
		       !strcmp(k, "float") || !strcmp(k, "double");
	case JSON_REAL: return !strcmp(k, "float") || !strcmp(k, "double");
	case JSON_STRING:
		if (!strcmp(k, "enum")) {
			size_t i;
			json_t *s;
			json_array_foreach(json_object_get(node, "symbols"), i,
					   s) if (json_equal(s, val)) return 1;
			return 0;
		}
		return !strcmp(k, "string") || !strcmp(k, "bytes") ||
		       !strcmp(k, "fixed");
	case JSON_ARRAY: return !strcmp(k, "array");
	case JSON_OBJECT: return !strcmp(k, "map") || !strcmp(k, "record");
	}
	return 0;
}

/* Commands are read with enums strict (PW__CONFORM_COMMAND), events with
 * Avro's resolution to the enum default. */
int pw__read_mode(const pw_avsc_t *s)
{
	const char *n = pw_avsc_fullname(s);
	size_t l = strlen(n);
	return l > 7 && !strcmp(n + l - 7, "Command") ? PW__CONFORM_COMMAND
						       : PW__CONFORM_READ;
}

/* "type": "payn" names no schema: say which values there are. */
pa_err_t pw__unknown_type(const char *field, const char *value,
			  char *errbuf)
{
	char list[400] = "", sh[96];
	size_t n = 0;
	const char *f, *v, *sch;
	for (size_t i = 0; pw_schemas_discriminator(i, &f, &v, &sch) == PA_OK;
	     i++)
		if (!strcmp(f, field) && n < sizeof list)
			n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
					      n ? ", " : "", v);
	return pa_seterr(errbuf, PA_VALIDATION,
			 "%s: %s is not a record type; expected one of: %s",
			 field, pw__shown(value, strlen(value), sh, sizeof sh),
			 list);
}
