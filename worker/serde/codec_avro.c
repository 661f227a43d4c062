/* codec_avro.c -- Avro binary encoding of conformed plain-JSON records.
 * Owns: the binary writer and the bounds-checked binary reader (Avro spec
 *       "Binary Encoding": zig-zag varints, length-prefixed strings/bytes,
 *       blocked arrays/maps, union branch index, enum index).
 * Not here: schema model (avro_schema.c), JSON mapping (codec_json.c),
 *           framing (codec.c).
 * Why not Avro-C's generic values: see avro_schema.h; the tests check that
 * Avro-C and python3-avro read what this writes and vice versa. */
#include "serde/codec_priv.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "serde/avro_schema.h"

/* Nesting deeper than this is not something our schemas produce. */
#define MAX_DEPTH 64
/* A block may announce more items than bytes left only for zero-byte item
 * types (null, empty records); this bounds the work such a block can ask. */
#define MAX_EMPTY_ITEMS 4096

pa_err_t pw__buf_put(pw__buf_t *b, const void *src, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np)
			return PA_NOMEM;
		b->p = np;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, src, n);
	b->len += n;
	return PA_OK;
}

static pa_err_t put_long(pw__buf_t *b, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	uint8_t tmp[10];
	size_t n = 0;
	while (z & ~UINT64_C(0x7f)) {
		tmp[n++] = (uint8_t)((z & 0x7f) | 0x80);
		z >>= 7;
	}
	tmp[n++] = (uint8_t)z;
	return pw__buf_put(b, tmp, n);
}

static pa_err_t put_bytes(pw__buf_t *b, const void *p, size_t n)
{
	pa_err_t err = put_long(b, (int64_t)n);
	return err ? err : pw__buf_put(b, p, n);
}

static pa_err_t put_b64(pw__buf_t *b, const char *s, size_t n, int with_len)
{
	size_t cap = n / 4 * 3 + 3;
	uint8_t *raw = malloc(cap ? cap : 1);
	if (!raw)
		return PA_NOMEM;
	int got = n ? EVP_DecodeBlock(raw, (const unsigned char *)s, (int)n) : 0;
	if (got < 0) {
		free(raw);
		return PA_VALIDATION;
	}
	/* EVP_DecodeBlock counts padding as zero bytes. */
	size_t len = (size_t)got;
	if (n && s[n - 1] == '=')
		len--;
	if (n > 1 && s[n - 2] == '=')
		len--;
	pa_err_t err = with_len ? put_bytes(b, raw, len) : pw__buf_put(b, raw, len);
	free(raw);
	return err;
}

static int64_t symbol_index(const json_t *node, const json_t *val)
{
	size_t i;
	json_t *s;
	json_array_foreach(json_object_get(node, "symbols"), i, s)
	{
		if (json_equal(s, val))
			return (int64_t)i;
	}
	return -1;
}

pa_err_t pw__avro_write(const json_t *node, const json_t *val, pw__buf_t *b,
			char *errbuf)
{
	const char *k = pw_avsc_kind(node);
	pa_err_t err = PA_OK;
	if (!strcmp(k, "union")) {
		size_t i;
		json_t *br;
		json_array_foreach(node, i, br)
		{
			if (pw__json_fits(br, val)) {
				err = put_long(b, (int64_t)i);
				return err ? err : pw__avro_write(br, val, b, errbuf);
			}
		}
		return pa_seterr(errbuf, PA_VALIDATION,
				 "no union branch for a value");
	}
	if (!strcmp(k, "null"))
		return PA_OK;
	if (!strcmp(k, "boolean")) {
		uint8_t c = json_is_true(val);
		return pw__buf_put(b, &c, 1);
	}
	if (!strcmp(k, "int") || !strcmp(k, "long"))
		return put_long(b, json_integer_value(val));
	if (!strcmp(k, "float")) {
		float f = (float)json_number_value(val);
		return pw__buf_put(b, &f, 4); /* little-endian hosts only */
	}
	if (!strcmp(k, "double")) {
		double d = json_number_value(val);
		return pw__buf_put(b, &d, 8);
	}
	if (!strcmp(k, "string"))
		return put_bytes(b, json_string_value(val), json_string_length(val));
	if (!strcmp(k, "bytes") || !strcmp(k, "fixed")) {
		err = put_b64(b, json_string_value(val), json_string_length(val),
			      k[0] == 'b');
		return err == PA_VALIDATION
			       ? pa_seterr(errbuf, err, "bad base64 in bytes")
			       : err;
	}
	if (!strcmp(k, "enum")) {
		int64_t idx = symbol_index(node, val);
		char sh[96];
		if (idx < 0)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "unknown enum symbol %s",
					 pw__shown(json_string_value(val),
						   json_string_length(val), sh,
						   sizeof sh));
		return put_long(b, idx);
	}
	if (!strcmp(k, "array")) {
		size_t n = json_array_size(val), i;
		json_t *v;
		if (n && (err = put_long(b, (int64_t)n)))
			return err;
		json_array_foreach(val, i, v)
		{
			err = pw__avro_write(json_object_get(node, "items"), v, b,
					     errbuf);
			if (err)
				return err;
		}
		return put_long(b, 0);
	}
	if (!strcmp(k, "map")) {
		size_t n = json_object_size(val);
		const char *key;
		json_t *v;
		if (n && (err = put_long(b, (int64_t)n)))
			return err;
		json_object_foreach((json_t *)val, key, v)
		{
			if ((err = put_bytes(b, key, strlen(key))) ||
			    (err = pw__avro_write(json_object_get(node, "values"),
						  v, b, errbuf)))
				return err;
		}
		return put_long(b, 0);
	}
	/* record */
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(node, "fields"), i, f)
	{
		const char *name = json_string_value(json_object_get(f, "name"));
		const json_t *v = json_object_get(val, name);
		if (!v)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "field %s missing", name);
		err = pw__avro_write(json_object_get(f, "type"), v, b, errbuf);
		if (err)
			return err;
	}
	return PA_OK;
}

/* ---- reader ----------------------------------------------------------- */

typedef struct rd {
	const uint8_t *p;
	size_t len, off;
	int depth;
	char *errbuf;
	char path[512];
} rd_t;

static pa_err_t bad(rd_t *r, const char *what)
{
	return pa_seterr(r->errbuf, PA_PARSE,
			 "undecodable Avro at byte %zu (%s): %s", r->off,
			 r->path[0] ? r->path : "record", what);
}

static pa_err_t get_long(rd_t *r, int64_t *v)
{
	uint64_t z = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (r->off >= r->len)
			return bad(r, "truncated varint");
		uint8_t c = r->p[r->off++];
		if (shift == 63 && (c & 0x7e))
			return bad(r, "varint overflows 64 bits");
		z |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
			return PA_OK;
		}
	}
	return bad(r, "varint longer than 10 bytes");
}

static pa_err_t get_len(rd_t *r, size_t *n)
{
	int64_t v;
	pa_err_t err = get_long(r, &v);
	if (err)
		return err;
	if (v < 0)
		return bad(r, "negative length");
	if ((uint64_t)v > r->len - r->off)
		return bad(r, "length exceeds the bytes left");
	*n = (size_t)v;
	return PA_OK;
}

static pa_err_t rd_value(const json_t *node, rd_t *r, json_t **out);

static size_t rpush(rd_t *r, const char *seg)
{
	size_t old = strlen(r->path);
	snprintf(r->path + old, sizeof r->path - old, "%s%s",
		 (old && seg[0] != '[') ? "." : "", seg);
	return old;
}

/* Array and map blocks: count, (negative count: byte size), items. */
static pa_err_t rd_blocks(const json_t *node, rd_t *r, int is_map,
			  json_t *coll)
{
	const json_t *sub = json_object_get(node, is_map ? "values" : "items");
	size_t total = 0;
	for (;;) {
		int64_t count;
		pa_err_t err = get_long(r, &count);
		if (err)
			return err;
		if (count == 0)
			return PA_OK;
		if (count < 0) {
			int64_t size;
			if (count == INT64_MIN)
				return bad(r, "bad block count");
			count = -count;
			if ((err = get_long(r, &size)))
				return err;
			if (size < 0 || (uint64_t)size > r->len - r->off)
				return bad(r, "block size exceeds the bytes left");
		}
		if ((uint64_t)count > r->len - r->off + MAX_EMPTY_ITEMS ||
		    total + (size_t)count > r->len + MAX_EMPTY_ITEMS)
			return bad(r, "block count exceeds the bytes left");
		total += (size_t)count;
		for (int64_t i = 0; i < count; i++) {
			char seg[96];
			json_t *v = NULL;
			char *key = NULL;
			if (is_map) {
				size_t n;
				if ((err = get_len(r, &n)))
					return err;
				key = strndup((const char *)r->p + r->off, n);
				if (!key)
					return PA_NOMEM;
				r->off += n;
				/* by position: a map's keys are data */
				snprintf(seg, sizeof seg, "[key #%zu]",
					 json_object_size(coll));
			} else {
				snprintf(seg, sizeof seg, "[%lld]",
					 (long long)(json_array_size(coll)));
			}
			size_t old = rpush(r, seg);
			err = rd_value(sub, r, &v);
			r->path[old] = '\0';
			if (!err && is_map &&
			    json_object_set_new(coll, key, v) != 0)
				err = bad(r, "map key is not UTF-8");
			else if (!err && !is_map)
				json_array_append_new(coll, v);
			free(key);
			if (err)
				return err;
		}
	}
}

static pa_err_t rd_record(const json_t *node, rd_t *r, json_t **out)
{
	json_t *rec = json_object();
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(node, "fields"), i, f)
	{
		const char *name = json_string_value(json_object_get(f, "name"));
		json_t *v = NULL;
		size_t old = rpush(r, name);
		pa_err_t err = rd_value(json_object_get(f, "type"), r, &v);
		r->path[old] = '\0';
		if (err) {
			json_decref(rec);
			return err;
		}
		json_object_set_new(rec, name, v);
	}
	*out = rec;
	return PA_OK;
}

static pa_err_t rd_value(const json_t *node, rd_t *r, json_t **out)
{
	const char *k = pw_avsc_kind(node);
	pa_err_t err;
	if (++r->depth > MAX_DEPTH)
		return bad(r, "nesting too deep");
	if (!strcmp(k, "union")) {
		int64_t idx;
		if ((err = get_long(r, &idx)))
			goto out;
		if (idx < 0 || (size_t)idx >= json_array_size(node)) {
			err = bad(r, "union branch index out of range");
			goto out;
		}
		err = rd_value(json_array_get(node, (size_t)idx), r, out);
	} else if (!strcmp(k, "null")) {
		*out = json_null();
		err = PA_OK;
	} else if (!strcmp(k, "boolean")) {
		if (r->off >= r->len) {
			err = bad(r, "truncated boolean");
		} else if (r->p[r->off] > 1) {
			err = bad(r, "boolean byte is not 0 or 1");
		} else {
			*out = json_boolean(r->p[r->off++]);
			err = PA_OK;
		}
	} else if (!strcmp(k, "int") || !strcmp(k, "long")) {
		int64_t v;
		if (!(err = get_long(r, &v))) {
			if (k[0] == 'i' && (v < INT32_MIN || v > INT32_MAX))
				err = bad(r, "int out of range");
			else
				*out = json_integer(v);
		}
	} else if (!strcmp(k, "float") || !strcmp(k, "double")) {
		size_t n = k[0] == 'f' ? 4 : 8;
		if (r->len - r->off < n) {
			err = bad(r, "truncated floating point");
		} else {
			double d;
			if (n == 4) {
				float f;
				memcpy(&f, r->p + r->off, 4);
				d = f;
			} else {
				memcpy(&d, r->p + r->off, 8);
			}
			r->off += n;
			*out = json_real(d);
			err = *out ? PA_OK : bad(r, "NaN or infinity");
		}
	} else if (!strcmp(k, "string")) {
		size_t n;
		if (!(err = get_len(r, &n))) {
			*out = json_stringn((const char *)r->p + r->off, n);
			r->off += n;
			if (!*out)
				err = bad(r, "string is not valid UTF-8");
		}
	} else if (!strcmp(k, "bytes") || !strcmp(k, "fixed")) {
		size_t n;
		if (k[0] == 'f') {
			n = (size_t)json_integer_value(json_object_get(node, "size"));
			err = n > r->len - r->off ? bad(r, "truncated fixed")
						  : PA_OK;
		} else {
			err = get_len(r, &n);
		}
		if (!err) {
			char *b64 = malloc(4 * ((n + 2) / 3) + 1);
			if (!b64) {
				err = PA_NOMEM;
			} else {
				EVP_EncodeBlock((unsigned char *)b64,
						r->p + r->off, (int)n);
				r->off += n;
				*out = json_string(b64);
				free(b64);
			}
		}
	} else if (!strcmp(k, "enum")) {
		int64_t idx;
		const json_t *syms = json_object_get(node, "symbols");
		if (!(err = get_long(r, &idx))) {
			if (idx < 0 || (size_t)idx >= json_array_size(syms))
				err = bad(r, "enum index out of range");
			else
				*out = json_incref(
					json_array_get(syms, (size_t)idx));
		}
	} else if (!strcmp(k, "array") || !strcmp(k, "map")) {
		json_t *coll = k[0] == 'a' ? json_array() : json_object();
		err = rd_blocks(node, r, k[0] == 'm', coll);
		if (err)
			json_decref(coll);
		else
			*out = coll;
	} else {
		err = rd_record(node, r, out);
	}
out:
	r->depth--;
	return err;
}

pa_err_t pw__avro_read(const json_t *node, const uint8_t *p, size_t len,
		       json_t **out, char *errbuf)
{
	if (!node || (!p && len) || !out)
		return pa_seterr(errbuf, PA_INVAL, "no input");
	rd_t r = {.p = p, .len = len, .errbuf = errbuf};
	json_t *v = NULL;
	*out = NULL;
	pa_err_t err = rd_value(node, &r, &v);
	if (err)
		return err;
	if (r.off != r.len) {
		json_decref(v);
		return pa_seterr(errbuf, PA_PARSE,
				 "undecodable Avro: %zu trailing bytes after "
				 "the record (byte %zu of %zu)",
				 r.len - r.off, r.off, r.len);
	}
	*out = v;
	return PA_OK;
}
