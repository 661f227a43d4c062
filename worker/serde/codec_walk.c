/* codec_walk.c -- one walk over a plain-JSON record with a schema's plan
 * (codec_plan.h): the checks of the "plain JSON" mapping (codec.h) and
 * the three outputs (conformed tree, JSON text, Avro binary). The rules
 * are those the codec has always applied; check_codec holds the bytes and
 * the error texts to what the conformed tree gives.
 * Owns: the walk, error paths, the JSON text and Avro binary writers.
 * Not here: compiling plans (codec_plan.c), reading Avro (codec_avro.c). */
#include "serde/codec_plan.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path segments kept for an error message; deeper ones are walked but not
 * named (no schema of ours nests this deep). */
#define MAX_PATH 64
/* Records with more fields than this look their values up twice. */
#define MAX_FIELDS 128

/* ---- walking ---------------------------------------------------------- */

typedef struct seg {
	int kind; /* 0 field, 1 index, 2 map key */
	const char *s;
	size_t idx;
} seg_t;

typedef struct wcx {
	int mode;
	pw__plan_out_t what;
	pw__buf_t *b;
	char *errbuf; /* NULL while a union tries its branches quietly */
	int depth;
	seg_t path[MAX_PATH];
} wcx_t;

static pa_err_t walk(const pw__plan_t *p, const json_t *in, wcx_t *cx,
		     json_t **out);

static void push(wcx_t *cx, int kind, const char *s, size_t idx)
{
	if (cx->depth < MAX_PATH)
		cx->path[cx->depth] = (seg_t){kind, s, idx};
	cx->depth++;
}

static void pop(wcx_t *cx)
{
	cx->depth--;
}

/* The path as the codec has always written it: "customer.email",
 * "items[2]", "metadata[key]" (segments of at most 159 bytes). */
static void render(const wcx_t *cx, char *path, size_t size)
{
	size_t len = 0;
	path[0] = '\0';
	int n = cx->depth < MAX_PATH ? cx->depth : MAX_PATH;
	for (int i = 0; i < n && len + 1 < size; i++) {
		const seg_t *s = &cx->path[i];
		char seg[160];
		if (s->kind == 1)
			snprintf(seg, 32, "[%zu]", s->idx);
		else if (s->kind == 2) /* a map's keys are data, not names */
			snprintf(seg, 48, "[key #%zu]", s->idx);
		else
			snprintf(seg, sizeof seg, ".%s", s->s);
		const char *sp = len == 0 && seg[0] == '.' ? seg + 1 : seg;
		snprintf(path + len, size - len, "%s", sp);
		len += strlen(path + len);
	}
}

static pa_err_t fail(wcx_t *cx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static pa_err_t fail(wcx_t *cx, const char *fmt, ...)
{
	if (!cx->errbuf)
		return PA_VALIDATION;
	char msg[200], path[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	render(cx, path, sizeof path);
	return pa_seterr(cx->errbuf, PA_VALIDATION, "%s: %s",
			 path[0] ? path : "(record)", msg);
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

/* Room for n more bytes in b. */
static pa_err_t reserve(pw__buf_t *b, size_t n)
{
	if (b->len + n <= b->cap)
		return PA_OK;
	size_t cap = b->cap ? b->cap * 2 : 512;
	while (cap < b->len + n)
		cap *= 2;
	uint8_t *np = realloc(b->p, cap);
	if (!np)
		return PA_NOMEM;
	b->p = np;
	b->cap = cap;
	return PA_OK;
}

static pa_err_t put(pw__buf_t *b, const void *s, size_t n)
{
	if (reserve(b, n))
		return PA_NOMEM;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return PA_OK;
}

/* A JSON string as Jansson's dumper writes it without JSON_ENSURE_ASCII:
 * '"', '\\' and control characters escaped (\b \f \n \r \t, else \u00XX),
 * everything else (UTF-8 included) as is. */
static pa_err_t put_jstr(pw__buf_t *b, const char *s, size_t n)
{
	if (reserve(b, 6 * n + 2))
		return PA_NOMEM;
	uint8_t *o = b->p + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default: {
			static const char hex[] = "0123456789ABCDEF";
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = (uint8_t)hex[c >> 4];
			*o++ = (uint8_t)hex[c & 15];
		}
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	return PA_OK;
}

static pa_err_t put_jint(pw__buf_t *b, json_int_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%" JSON_INTEGER_FORMAT, v);
	return put(b, tmp, (size_t)n);
}

/* Reals exactly as Jansson prints them (precision, ".0" suffix). */
static pa_err_t put_jreal(pw__buf_t *b, double v)
{
	char tmp[64];
	json_t *r = json_real(v);
	size_t n = r ? json_dumpb(r, tmp, sizeof tmp,
				  JSON_ENCODE_ANY | JSON_COMPACT)
		     : 0;
	json_decref(r);
	return n && n <= sizeof tmp ? put(b, tmp, n) : PA_NOMEM;
}

static pa_err_t put_long(pw__buf_t *b, int64_t v)
{
	if (reserve(b, 10))
		return PA_NOMEM;
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	uint8_t *o = b->p + b->len;
	while (z & ~UINT64_C(0x7f)) {
		*o++ = (uint8_t)((z & 0x7f) | 0x80);
		z >>= 7;
	}
	*o++ = (uint8_t)z;
	b->len = (size_t)(o - b->p);
	return PA_OK;
}

static pa_err_t put_abytes(pw__buf_t *b, const void *p, size_t n)
{
	pa_err_t err = put_long(b, (int64_t)n);
	return err ? err : put(b, p, n);
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

/* Avro bytes/fixed from base64 text (already checked by b64_ok). */
static pa_err_t put_b64(wcx_t *cx, const char *s, size_t n, int with_len)
{
	size_t cap = n / 4 * 3 + 3;
	uint8_t *raw = malloc(cap);
	if (!raw)
		return PA_NOMEM;
	int got = n ? EVP_DecodeBlock(raw, (const unsigned char *)s, (int)n) : 0;
	pa_err_t err;
	if (got < 0) {
		err = pa_seterr(cx->errbuf, PA_VALIDATION, "bad base64 in bytes");
	} else {
		size_t len = (size_t)got - ((n && s[n - 1] == '=') +
					    (n > 1 && s[n - 2] == '='));
		err = with_len ? put_abytes(cx->b, raw, len)
			       : put(cx->b, raw, len);
	}
	free(raw);
	return err;
}

static pa_err_t walk_int(const pw__plan_t *p, const json_t *in, wcx_t *cx,
			 json_t **out)
{
	json_int_t v;
	if (json_is_string(in) && p->ts_ms) {
		int64_t ms;
		if (pw__iso8601_ms(json_string_value(in), &ms))
			return fail(cx, "a string that is not an ISO-8601 "
					"UTC timestamp (%zu bytes)",
				    json_string_length(in));
		v = (json_int_t)ms;
		if (cx->what == PW__OUT_TREE)
			return (*out = json_integer(v)) ? PA_OK : PA_NOMEM;
	} else {
		if (!json_is_integer(in))
			return fail(cx, "expected integer, got %s", jtype(in));
		v = json_integer_value(in);
		if (p->kind == PW__P_INT && (v < INT32_MIN || v > INT32_MAX))
			return fail(cx, "%s out of int range", "integer");
		if (cx->what == PW__OUT_TREE) {
			*out = json_incref((json_t *)in);
			return PA_OK;
		}
	}
	return cx->what == PW__OUT_JSON ? put_jint(cx->b, v)
					: put_long(cx->b, (int64_t)v);
}

static pa_err_t walk_enum(const pw__plan_t *p, const json_t *in, wcx_t *cx,
			  json_t **out)
{
	if (!json_is_string(in))
		return fail(cx, "expected enum symbol, got %s", jtype(in));
	const char *s = json_string_value(in);
	size_t n = json_string_length(in);
	const json_t *sym = NULL;
	size_t i = 0;
	for (; i < p->nsyms; i++)
		if (json_string_length(p->syms[i]) == n &&
		    memcmp(json_string_value(p->syms[i]), s, n) == 0) {
			sym = in;
			break;
		}
	if (!sym && cx->mode == PW__CONFORM_READ && p->enum_dflt) {
		sym = p->enum_dflt;
		for (i = 0; i < p->nsyms && !json_equal(p->syms[i], sym); i++)
			;
	}
	if (!sym) {
		/* never the value's bytes unless it is a name (codec_priv.h) */
		char sh[96];
		pw__shown(s, n, sh, sizeof sh);
		if (cx->mode == PW__CONFORM_COMMAND && p->enum_name)
			return fail(cx, "%s is not a %s symbol", sh,
				    p->enum_name);
		return fail(cx, "unknown symbol %s", sh);
	}
	switch (cx->what) {
	case PW__OUT_TREE: *out = json_incref((json_t *)sym); return PA_OK;
	case PW__OUT_JSON:
		return put_jstr(cx->b, json_string_value(sym),
				json_string_length(sym));
	default: return put_long(cx->b, (int64_t)i);
	}
}

static pa_err_t walk_bytes(const pw__plan_t *p, const json_t *in, wcx_t *cx,
			   json_t **out)
{
	if (!json_is_string(in))
		return fail(cx, "expected base64 string, got %s", jtype(in));
	const char *s = json_string_value(in);
	size_t n = json_string_length(in);
	if (!b64_ok(s, n))
		return fail(cx, "%s is not valid base64", "value");
	if (p->kind == PW__P_FIXED && (json_int_t)b64_decoded_len(s, n) != p->size)
		return fail(cx, "%s has the wrong size", "fixed");
	switch (cx->what) {
	case PW__OUT_TREE: *out = json_incref((json_t *)in); return PA_OK;
	case PW__OUT_JSON: return put_jstr(cx->b, s, n);
	default: return put_b64(cx, s, n, p->kind == PW__P_BYTES);
	}
}

static pa_err_t walk_array(const pw__plan_t *p, const json_t *in, wcx_t *cx,
			   json_t **out)
{
	if (!json_is_array(in))
		return fail(cx, "expected array, got %s", jtype(in));
	size_t n = json_array_size(in);
	json_t *arr = NULL;
	pa_err_t err = PA_OK;
	if (cx->what == PW__OUT_TREE && !(arr = json_array()))
		return PA_NOMEM;
	if (cx->what == PW__OUT_JSON)
		err = put(cx->b, "[", 1);
	else if (cx->what == PW__OUT_AVRO && n)
		err = put_long(cx->b, (int64_t)n);
	for (size_t i = 0; !err && i < n; i++) {
		json_t *cv = NULL;
		if (cx->what == PW__OUT_JSON && i)
			err = put(cx->b, ",", 1);
		push(cx, 1, NULL, i);
		if (!err)
			err = walk(p->items, json_array_get(in, i), cx, &cv);
		pop(cx);
		if (!err && arr && json_array_append_new(arr, cv))
			err = PA_NOMEM;
	}
	if (!err && cx->what != PW__OUT_TREE)
		err = cx->what == PW__OUT_JSON ? put(cx->b, "]", 1)
					       : put_long(cx->b, 0);
	if (err) {
		json_decref(arr);
		return err;
	}
	if (arr)
		*out = arr;
	return PA_OK;
}

static pa_err_t walk_map(const pw__plan_t *p, const json_t *in, wcx_t *cx,
			 json_t **out)
{
	if (!json_is_object(in))
		return fail(cx, "expected object (map), got %s", jtype(in));
	size_t n = json_object_size(in);
	json_t *map = NULL;
	pa_err_t err = PA_OK;
	if (cx->what == PW__OUT_TREE && !(map = json_object()))
		return PA_NOMEM;
	if (cx->what == PW__OUT_JSON)
		err = put(cx->b, "{", 1);
	else if (cx->what == PW__OUT_AVRO && n)
		err = put_long(cx->b, (int64_t)n);
	size_t i = 0;
	for (void *it = json_object_iter((json_t *)in); !err && it;
	     it = json_object_iter_next((json_t *)in, it), i++) {
		const char *key = json_object_iter_key(it);
		json_t *cv = NULL;
		if (cx->what == PW__OUT_JSON) {
			if (i)
				err = put(cx->b, ",", 1);
			if (!err)
				err = put_jstr(cx->b, key,
					       json_object_iter_key_len(it));
			if (!err)
				err = put(cx->b, ":", 1);
		} else if (cx->what == PW__OUT_AVRO) {
			err = put_abytes(cx->b, key, strlen(key));
		}
		push(cx, 2, key, i);
		if (!err)
			err = walk(p->items, json_object_iter_value(it), cx,
				   &cv);
		pop(cx);
		if (!err && map && json_object_set_new(map, key, cv))
			err = PA_NOMEM;
	}
	if (!err && cx->what != PW__OUT_TREE)
		err = cx->what == PW__OUT_JSON ? put(cx->b, "}", 1)
					       : put_long(cx->b, 0);
	if (err) {
		json_decref(map);
		return err;
	}
	if (map)
		*out = map;
	return PA_OK;
}

static pa_err_t walk_record(const pw__plan_t *p, const json_t *in, wcx_t *cx,
			    json_t **out)
{
	if (!json_is_object(in))
		return fail(cx, "expected object, got %s", jtype(in));
	const json_t *vals[MAX_FIELDS];
	int cached = p->nfields <= MAX_FIELDS;
	size_t present = 0;
	for (size_t i = 0; cached && i < p->nfields; i++) {
		vals[i] = json_object_getn(in, p->fields[i].name,
					   p->fields[i].len);
		present += vals[i] != NULL;
	}
	if (cx->mode == PW__CONFORM_STRICT &&
	    (!cached || present != json_object_size(in))) {
		/* an unknown field is named before any field is checked */
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)in, key, v)
		{
			size_t i = 0;
			while (i < p->nfields && strcmp(key, p->fields[i].name))
				i++;
			char sh[96];
			if (i == p->nfields)
				return fail(cx, "unknown field %s",
					    pw__shown(key, strlen(key), sh,
						      sizeof sh));
		}
	}
	json_t *rec = NULL;
	pa_err_t err = PA_OK;
	if (cx->what == PW__OUT_TREE && !(rec = json_object()))
		return PA_NOMEM;
	if (cx->what == PW__OUT_JSON)
		err = put(cx->b, "{", 1);
	for (size_t i = 0; !err && i < p->nfields; i++) {
		const pw__plan_field_t *f = &p->fields[i];
		const json_t *v = cached ? vals[i]
					 : json_object_getn(in, f->name, f->len);
		json_t *cv = NULL;
		if (cx->what == PW__OUT_JSON)
			err = put(cx->b, f->jkey + (i == 0), f->jlen - (i == 0));
		push(cx, 0, f->name, 0);
		if (err) {
		} else if (v) {
			err = walk(f->type, v, cx, &cv);
		} else if (!f->dflt) {
			err = fail(cx, "missing required field");
		} else {
			/* Avro: a union's default is of its first branch, and
			 * is written as that branch */
			int mode = cx->mode;
			cx->mode = PW__CONFORM_READ;
			if (cx->what == PW__OUT_AVRO && f->dtype != f->type)
				err = put_long(cx->b, 0);
			if (!err)
				err = walk(f->dtype, f->dflt, cx, &cv);
			cx->mode = mode;
		}
		pop(cx);
		if (!err && rec && json_object_setn_new_nocheck(rec, f->name,
								f->len, cv))
			err = PA_NOMEM;
	}
	if (!err && cx->what == PW__OUT_JSON)
		err = put(cx->b, "}", 1);
	if (err) {
		json_decref(rec);
		return err;
	}
	if (rec)
		*out = rec;
	return PA_OK;
}

static pa_err_t walk_union(const pw__plan_t *p, const json_t *in, wcx_t *cx,
			   json_t **out)
{
	if (cx->what == PW__OUT_AVRO && p->nonnull > 1) {
		/* the branch index of several candidates is the first branch
		 * the conformed value fits (pw__avro_write): conform first */
		json_t *t = NULL;
		cx->what = PW__OUT_TREE;
		pa_err_t err = walk_union(p, in, cx, &t);
		cx->what = PW__OUT_AVRO;
		if (!err)
			err = pw__avro_write(p->node, t, cx->b, cx->errbuf);
		json_decref(t);
		return err;
	}
	pa_err_t last = PA_VALIDATION;
	int isnull_in = json_is_null(in);
	for (size_t i = 0; i < p->nbr; i++) {
		const pw__plan_t *b = p->br[i];
		if ((b->kind == PW__P_NULL) != isnull_in)
			continue;
		/* with one non-null branch its error is the precise one; with
		 * several, each is tried quietly */
		char *eb = cx->errbuf;
		if (p->nonnull > 1)
			cx->errbuf = NULL;
		size_t mark = cx->b ? cx->b->len : 0;
		last = cx->what == PW__OUT_AVRO ? put_long(cx->b, (int64_t)i)
						: PA_OK;
		if (!last)
			last = walk(b, in, cx, out);
		cx->errbuf = eb;
		if (last == PA_OK)
			return PA_OK;
		if (cx->b)
			cx->b->len = mark;
		if (p->nonnull == 1 || last == PA_NOMEM)
			return last;
	}
	if (p->nonnull == 1 && !isnull_in)
		return last;
	return fail(cx, "no union branch accepts a %s", jtype(in));
}

static pa_err_t walk(const pw__plan_t *p, const json_t *in, wcx_t *cx,
		     json_t **out)
{
	pw__buf_t *b = cx->b;
	switch (p->kind) {
	case PW__P_UNION: return walk_union(p, in, cx, out);
	case PW__P_NULL:
		if (!json_is_null(in))
			return fail(cx, "expected null, got %s", jtype(in));
		if (cx->what == PW__OUT_TREE)
			*out = json_null();
		return cx->what == PW__OUT_JSON ? put(b, "null", 4) : PA_OK;
	case PW__P_BOOL:
		if (!json_is_boolean(in))
			return fail(cx, "expected boolean, got %s", jtype(in));
		if (cx->what == PW__OUT_TREE) {
			*out = json_incref((json_t *)in);
			return PA_OK;
		}
		if (cx->what == PW__OUT_JSON)
			return json_is_true(in) ? put(b, "true", 4)
						: put(b, "false", 5);
		return put(b, json_is_true(in) ? "\1" : "\0", 1);
	case PW__P_INT:
	case PW__P_LONG: return walk_int(p, in, cx, out);
	case PW__P_FLOAT:
	case PW__P_DOUBLE: {
		if (!json_is_number(in))
			return fail(cx, "expected number, got %s", jtype(in));
		double d = json_number_value(in);
		if (cx->what == PW__OUT_TREE)
			return (*out = json_real(d)) ? PA_OK : PA_NOMEM;
		if (cx->what == PW__OUT_JSON)
			return put_jreal(b, d);
		if (p->kind == PW__P_FLOAT) {
			float f = (float)d;
			return put(b, &f, 4); /* little-endian hosts only */
		}
		return put(b, &d, 8);
	}
	case PW__P_STRING:
		if (!json_is_string(in))
			return fail(cx, "expected string, got %s", jtype(in));
		if (cx->what == PW__OUT_TREE) {
			*out = json_incref((json_t *)in);
			return PA_OK;
		}
		return cx->what == PW__OUT_JSON
			       ? put_jstr(b, json_string_value(in),
					  json_string_length(in))
			       : put_abytes(b, json_string_value(in),
					    json_string_length(in));
	case PW__P_BYTES:
	case PW__P_FIXED: return walk_bytes(p, in, cx, out);
	case PW__P_ENUM: return walk_enum(p, in, cx, out);
	case PW__P_ARRAY: return walk_array(p, in, cx, out);
	case PW__P_MAP: return walk_map(p, in, cx, out);
	case PW__P_RECORD: return walk_record(p, in, cx, out);
	}
	return fail(cx, "unsupported schema type %d", (int)p->kind);
}

pa_err_t pw__plan_walk(const pw__plan_t *plan, const json_t *in, int mode,
		       pw__plan_out_t what, pw__buf_t *b, json_t **out,
		       char *errbuf)
{
	if (!plan || !in || (what == PW__OUT_TREE ? !out : !b))
		return pa_seterr(errbuf, PA_INVAL, "no record");
	wcx_t cx = {.mode = mode, .what = what, .b = b, .errbuf = errbuf};
	json_t *tmp = NULL;
	size_t mark = b ? b->len : 0;
	if (out)
		*out = NULL;
	pa_err_t err = walk(plan, in, &cx, out ? out : &tmp);
	if (err && b)
		b->len = mark;
	return err;
}
