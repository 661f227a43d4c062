/* codec_json.c -- plain JSON records checked and shaped by a schema.
 * Owns: the "plain JSON" mapping of the event contract (null/values as is,
 *       ["null",T] unions unwrapped, enums as symbol strings, bytes as
 *       base64, timestamp-millis as integer milliseconds, an ISO-8601 string
 *       accepted on input), defaults, reader-side resolution on JSON.
 * Not here: Avro binary (codec_avro.c), framing (codec.c). */
#include "serde/codec_priv.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serde/avro_schema.h"
#include "serde/schemas.h"

typedef struct conform_ctx {
	int mode;
	char *errbuf;
	char path[512];
} cctx_t;

static pa_err_t conform(const json_t *node, const json_t *in, cctx_t *cx,
			json_t **out);

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

static pa_err_t fail(cctx_t *cx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static pa_err_t fail(cctx_t *cx, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return pa_seterr(cx->errbuf, PA_VALIDATION, "%s: %s",
			 cx->path[0] ? cx->path : "(record)", msg);
}

static const char *jtype(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

/* Path helpers: push ".name" / "[i]" and restore on the way back. */
static size_t push(cctx_t *cx, const char *seg)
{
	size_t old = strlen(cx->path);
	if (old == 0 && seg[0] == '.')
		seg++;
	snprintf(cx->path + old, sizeof cx->path - old, "%s", seg);
	return old;
}

static int b64_ok(const char *s, size_t n)
{
	if (n % 4)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			    (c >= '0' && c <= '9') || c == '+' || c == '/';
		if (c == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '='))
			continue;
		if (!alnum)
			return 0;
	}
	return 1;
}

static size_t b64_decoded_len(const char *s, size_t n)
{
	size_t pad = (n && s[n - 1] == '=') + (n > 1 && s[n - 2] == '=');
	return n / 4 * 3 - pad;
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

static pa_err_t conform_record(const json_t *node, const json_t *in,
			       cctx_t *cx, json_t **out)
{
	if (!json_is_object(in))
		return fail(cx, "expected object, got %s", jtype(in));
	const json_t *fields = json_object_get(node, "fields");
	if (cx->mode == PW__CONFORM_STRICT) {
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)in, key, v)
		{
			size_t i;
			json_t *f;
			int known = 0;
			json_array_foreach(fields, i, f)
				known |= !strcmp(key, json_string_value(
							     json_object_get(f, "name")));
			char sh[96];
			if (!known)
				return fail(cx, "unknown field %s",
					    pw__shown(key, strlen(key), sh,
						      sizeof sh));
		}
	}
	json_t *rec = json_object();
	size_t i;
	json_t *f;
	json_array_foreach(fields, i, f)
	{
		const char *name = json_string_value(json_object_get(f, "name"));
		const json_t *ft = json_object_get(f, "type");
		const json_t *v = json_object_get(in, name);
		char seg[160];
		snprintf(seg, sizeof seg, ".%s", name);
		size_t old = push(cx, seg);
		json_t *cv = NULL;
		pa_err_t err;
		if (v) {
			err = conform(ft, v, cx, &cv);
		} else {
			const json_t *dflt = json_object_get(f, "default");
			if (!dflt) {
				json_decref(rec);
				err = fail(cx, "missing required field");
				cx->path[old] = '\0';
				return err;
			}
			/* Avro: a union's default is of its first branch. */
			if (json_is_array(ft))
				ft = json_array_get(ft, 0);
			int mode = cx->mode;
			cx->mode = PW__CONFORM_READ;
			err = conform(ft, dflt, cx, &cv);
			cx->mode = mode;
		}
		cx->path[old] = '\0';
		if (err) {
			json_decref(rec);
			return err;
		}
		json_object_set_new(rec, name, cv);
	}
	*out = rec;
	return PA_OK;
}

static pa_err_t conform_enum(const json_t *node, const json_t *in, cctx_t *cx,
			     json_t **out)
{
	if (!json_is_string(in))
		return fail(cx, "expected enum symbol, got %s", jtype(in));
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(node, "symbols"), i, s)
	{
		if (json_equal(s, in)) {
			*out = json_incref((json_t *)in);
			return PA_OK;
		}
	}
	const json_t *dflt = json_object_get(node, "default");
	if (cx->mode == PW__CONFORM_READ && dflt) {
		*out = json_incref((json_t *)dflt);
		return PA_OK;
	}
	char sh[96];
	const char *en = json_string_value(json_object_get(node, "name"));
	if (en && strrchr(en, '.'))
		en = strrchr(en, '.') + 1; /* "Product", not its full name */
	if (cx->mode == PW__CONFORM_COMMAND && en)
		return fail(cx, "%s is not a %s symbol",
			    pw__shown(json_string_value(in),
				      json_string_length(in), sh, sizeof sh),
			    en);
	return fail(cx, "unknown symbol %s",
		    pw__shown(json_string_value(in), json_string_length(in), sh,
			      sizeof sh));
}

static pa_err_t conform_union(const json_t *node, const json_t *in, cctx_t *cx,
			      json_t **out)
{
	size_t i, nonnull = 0;
	json_t *b;
	json_array_foreach(node, i, b)
	{
		if (strcmp(pw_avsc_kind(b), "null") != 0)
			nonnull++;
	}
	pa_err_t last = PA_VALIDATION;
	json_array_foreach(node, i, b)
	{
		int isnull = !strcmp(pw_avsc_kind(b), "null");
		if (isnull != json_is_null(in))
			continue;
		/* With one non-null branch its error is the precise one; with
		 * several, try each quietly. */
		char *eb = cx->errbuf;
		if (nonnull > 1)
			cx->errbuf = NULL;
		last = conform(b, in, cx, out);
		cx->errbuf = eb;
		if (last == PA_OK || nonnull == 1)
			return last;
	}
	if (nonnull == 1 && !json_is_null(in))
		return last;
	return fail(cx, "no union branch accepts a %s", jtype(in));
}

static pa_err_t conform(const json_t *node, const json_t *in, cctx_t *cx,
			json_t **out)
{
	const char *k = pw_avsc_kind(node);
	if (!strcmp(k, "union"))
		return conform_union(node, in, cx, out);
	if (!strcmp(k, "null")) {
		if (!json_is_null(in))
			return fail(cx, "expected null, got %s", jtype(in));
		*out = json_null();
		return PA_OK;
	}
	if (!strcmp(k, "boolean")) {
		if (!json_is_boolean(in))
			return fail(cx, "expected boolean, got %s", jtype(in));
		*out = json_incref((json_t *)in);
		return PA_OK;
	}
	if (!strcmp(k, "int") || !strcmp(k, "long")) {
		if (json_is_string(in) && pw_avsc_is_timestamp_millis(node)) {
			int64_t ms;
			if (pw__iso8601_ms(json_string_value(in), &ms))
				return fail(cx, "a string that is not an "
						"ISO-8601 UTC timestamp (%zu "
						"bytes)",
					    json_string_length(in));
			*out = json_integer(ms);
			return PA_OK;
		}
		if (!json_is_integer(in))
			return fail(cx, "expected integer, got %s", jtype(in));
		json_int_t v = json_integer_value(in);
		if (k[0] == 'i' && (v < INT32_MIN || v > INT32_MAX))
			return fail(cx, "%s out of int range", "integer");
		*out = json_incref((json_t *)in);
		return PA_OK;
	}
	if (!strcmp(k, "float") || !strcmp(k, "double")) {
		if (!json_is_number(in))
			return fail(cx, "expected number, got %s", jtype(in));
		*out = json_real(json_number_value(in));
		return PA_OK;
	}
	if (!strcmp(k, "string")) {
		if (!json_is_string(in))
			return fail(cx, "expected string, got %s", jtype(in));
		*out = json_incref((json_t *)in);
		return PA_OK;
	}
	if (!strcmp(k, "bytes") || !strcmp(k, "fixed")) {
		if (!json_is_string(in))
			return fail(cx, "expected base64 string, got %s",
				    jtype(in));
		const char *s = json_string_value(in);
		size_t n = json_string_length(in);
		if (!b64_ok(s, n))
			return fail(cx, "%s is not valid base64", "value");
		if (k[0] == 'f' &&
		    (json_int_t)b64_decoded_len(s, n) !=
			    json_integer_value(json_object_get(node, "size")))
			return fail(cx, "%s has the wrong size", "fixed");
		*out = json_incref((json_t *)in);
		return PA_OK;
	}
	if (!strcmp(k, "enum"))
		return conform_enum(node, in, cx, out);
	if (!strcmp(k, "array")) {
		if (!json_is_array(in))
			return fail(cx, "expected array, got %s", jtype(in));
		json_t *arr = json_array();
		size_t i;
		json_t *v;
		json_array_foreach(in, i, v)
		{
			json_t *cv;
			char seg[32];
			snprintf(seg, sizeof seg, "[%zu]", i);
			size_t old = push(cx, seg);
			pa_err_t err = conform(json_object_get(node, "items"), v,
					       cx, &cv);
			cx->path[old] = '\0';
			if (err) {
				json_decref(arr);
				return err;
			}
			json_array_append_new(arr, cv);
		}
		*out = arr;
		return PA_OK;
	}
	if (!strcmp(k, "map")) {
		if (!json_is_object(in))
			return fail(cx, "expected object (map), got %s",
				    jtype(in));
		json_t *map = json_object();
		const char *key;
		json_t *v;
		size_t nth = 0;
		json_object_foreach((json_t *)in, key, v)
		{
			json_t *cv;
			char seg[48];
			/* by position: a map's keys are data, not names */
			snprintf(seg, sizeof seg, "[key #%zu]", nth++);
			size_t old = push(cx, seg);
			pa_err_t err = conform(json_object_get(node, "values"),
					       v, cx, &cv);
			cx->path[old] = '\0';
			if (err) {
				json_decref(map);
				return err;
			}
			json_object_set_new(map, key, cv);
		}
		*out = map;
		return PA_OK;
	}
	if (!strcmp(k, "record") || !strcmp(k, "error"))
		return conform_record(node, in, cx, out);
	return fail(cx, "unsupported schema type %s", k);
}

pa_err_t pw__json_conform(const json_t *node, const json_t *in, int mode,
			  json_t **out, char *errbuf)
{
	if (!node || !in || !out)
		return pa_seterr(errbuf, PA_INVAL, "no record");
	cctx_t cx = {.mode = mode, .errbuf = errbuf};
	*out = NULL;
	return conform(node, in, &cx, out);
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
