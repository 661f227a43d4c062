/* canonjson.c -- the texts PHP writes: json_encode() of a decoded body (the
 * V2 canonical JSON, spec §3.4) and the string conversion of a value.
 * Owns: top-level key sorting, PHP string escaping, PHP float printing
 *       (php_gcvt for json_encode and for (string)).
 * Not here: the V2 signature (sign.c), which field enters which hash
 *           (webhook.c). Rules: include/payatom/canonjson.h. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "payatom/canonjson.h"

#define CJ_MAX_DEPTH 512 /* PHP json_encode() default depth */

typedef struct cj_buf {
	char *p;
	size_t len, cap;
	int oom;
} cj_buf_t;

static void put(cj_buf_t *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->cap - b->len < n + 1) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len < n + 1) {
			if (cap > SIZE_MAX / 2) {
				b->oom = 1;
				return;
			}
			cap *= 2;
		}
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void putc_(cj_buf_t *b, char c)
{
	put(b, &c, 1);
}

/* Next code point of strict UTF-8 (no overlongs, surrogates or > U+10FFFF);
 * returns its byte length, 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, min = 0x80, c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, min = 0x800, c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static void put_u(cj_buf_t *b, unsigned u)
{
	char e[8];
	snprintf(e, sizeof(e), "\\u%04x", u & 0xffff);
	put(b, e, 6);
}

static pa_err_t put_string(cj_buf_t *b, const char *s, size_t n, char *errbuf)
{
	const unsigned char *u = (const unsigned char *)s;
	putc_(b, '"');
	size_t i = 0;
	while (i < n) {
		unsigned cp;
		size_t k = utf8_next(u + i, n - i, &cp);
		if (!k)
			return pa_seterr(errbuf, PA_INVAL,
					 "canonjson: invalid UTF-8 at byte %zu",
					 i);
		i += k;
		switch (cp) {
		case '"': put(b, "\\\"", 2); continue;
		case '\\': put(b, "\\\\", 2); continue;
		case '/': put(b, "\\/", 2); continue;
		case '\b': put(b, "\\b", 2); continue;
		case '\f': put(b, "\\f", 2); continue;
		case '\n': put(b, "\\n", 2); continue;
		case '\r': put(b, "\\r", 2); continue;
		case '\t': put(b, "\\t", 2); continue;
		default: break;
		}
		if (cp < 0x20) {
			put_u(b, cp);
		} else if (cp < 0x80) {
			putc_(b, (char)cp);
		} else if (cp < 0x10000) {
			put_u(b, cp);
		} else {
			cp -= 0x10000;
			put_u(b, 0xd800 | (cp >> 10));
			put_u(b, 0xdc00 | (cp & 0x3ff));
		}
	}
	putc_(b, '"');
	return PA_OK;
}

/* php_gcvt() of PHP's main/snprintf.c for a finite d: the digits of d
 * rounded to ndigit significant digits (shortest: the fewest digits that
 * read back as d, zend_dtoa mode 0), trailing zeros dropped; exponent form
 * ("1.0e+25", "1.0E-5") when the decimal point position decpt = e + 1 is
 * below -3 or above ndigit. %.*e is correctly rounded (ties to even, as
 * zend_dtoa), so its digits are PHP's. */
static pa_err_t php_gcvt(double d, int ndigit, int shortest, char expc,
			 char out[PA_PHP_NUM_MAX])
{
	out[0] = '\0';
	if (!isfinite(d))
		return PA_UNSUPPORTED;
	char sci[40];
	if (shortest) {
		for (int prec = 0; prec < 17; prec++) {
			snprintf(sci, sizeof(sci), "%.*e", prec, d);
			if (strtod(sci, NULL) == d)
				break;
		}
	} else {
		snprintf(sci, sizeof(sci), "%.*e", ndigit - 1, d);
	}
	/* sci = [-]D[.DDD]e(+|-)XX */
	const char *p = sci;
	int neg = *p == '-';
	if (neg)
		p++;
	char dig[24];
	size_t nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p != '.' && nd < sizeof(dig) - 1)
			dig[nd++] = *p;
	dig[nd] = '\0';
	int e = *p == 'e' ? atoi(p + 1) : 0;
	while (nd > 1 && dig[nd - 1] == '0') /* %.*e may leave zeros */
		dig[--nd] = '\0';
	const char *sg = neg ? "-" : "";
	int w;
	if (e < -4 || e + 1 > ndigit) {
		w = snprintf(out, PA_PHP_NUM_MAX, "%s%c.%s%c%c%d", sg, dig[0],
			     nd > 1 ? dig + 1 : "0", expc, e < 0 ? '-' : '+',
			     e < 0 ? -e : e);
	} else if (e < 0) {
		w = snprintf(out, PA_PHP_NUM_MAX, "%s0.%.*s%s", sg, -e - 1,
			     "0000", dig);
	} else if ((size_t)e + 1 >= nd) {
		w = snprintf(out, PA_PHP_NUM_MAX, "%s%s%.*s", sg, dig,
			     (int)((size_t)e + 1 - nd), "0000000000000000");
	} else {
		w = snprintf(out, PA_PHP_NUM_MAX, "%s%.*s.%s", sg, e + 1, dig,
			     dig + e + 1);
	}
	return (w > 0 && w < PA_PHP_NUM_MAX) ? PA_OK : PA_INTERNAL;
}

pa_err_t pa_canonjson_double(double d, char out[32])
{
	/* json_encode(): serialize_precision = -1, php_gcvt(d, 17, 'e') in
	 * mode 0 */
	return php_gcvt(d, 17, 1, 'e', out);
}

pa_err_t pa_php_double_str(double d, char out[PA_PHP_NUM_MAX])
{
	if (isnan(d) || isinf(d)) { /* php_gcvt's own spelling */
		snprintf(out, PA_PHP_NUM_MAX, "%s",
			 isnan(d) ? "NAN" : d < 0 ? "-INF" : "INF");
		return PA_OK;
	}
	/* (string)$float: precision = 14, php_gcvt(d, 14, 'E') in mode 2 */
	return php_gcvt(d, 14, 0, 'E', out);
}

const char *pa_php_strval(const json_t *v, char num[PA_PHP_NUM_MAX],
			  size_t *len)
{
	const char *t = "";
	num[0] = '\0';
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_STRING:
		*len = json_string_length(v);
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(num, PA_PHP_NUM_MAX, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		t = num;
		break;
	case JSON_REAL:
		pa_php_double_str(json_real_value(v), num);
		t = num;
		break;
	case JSON_TRUE:
		t = "1";
		break;
	case JSON_OBJECT: /* json_decode(.., true) makes both arrays */
	case JSON_ARRAY:
		t = "Array";
		break;
	case JSON_FALSE:
	case JSON_NULL:
		break;
	}
	*len = strlen(t);
	return t;
}

/* PHP turns numeric-looking keys into integers (then sorts and encodes them
 * differently): refuse anything that could be one (canonjson.h). */
static int key_is_phpish_number(const char *k, size_t n)
{
	if (n == 0)
		return 0;
	unsigned char c = (unsigned char)k[0];
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	       c == ' ' || (c >= '\t' && c <= '\r');
}

typedef struct cj_key {
	const char *k;
	size_t n;
	json_t *v;
} cj_key_t;

static int key_cmp(const void *a, const void *b)
{
	const cj_key_t *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->k, y->k, n);
	if (c)
		return c;
	return x->n < y->n ? -1 : x->n > y->n;
}

static pa_err_t put_value(cj_buf_t *b, const json_t *v, const char *skip,
			  int depth, char *errbuf);

/* Key i of a nested object is what PHP makes the integer i into: "0",
 * "1", ... (json_decode() turns canonical decimal keys into integers). */
static int key_is_index(const char *k, size_t n, size_t i)
{
	char want[24];
	int w = snprintf(want, sizeof(want), "%zu", i);
	return w > 0 && (size_t)w == n && memcmp(want, k, n) == 0;
}

/* spec §3.4, §12.4: the signer ksort()s the decoded body, which sorts the
 * TOP level only; json_encode() writes nested objects in their given
 * order -- or as a list when their keys are exactly 0..n-1 in order
 * (json_decode made them a packed array). */
static pa_err_t put_object(cj_buf_t *b, const json_t *v, const char *skip,
			   int depth, char *errbuf)
{
	size_t n = json_object_size(v), m = 0;
	int top = depth == 0, list = 1;
	cj_key_t *keys = calloc(n ? n : 1, sizeof(*keys));
	if (!keys)
		return pa_seterr(errbuf, PA_NOMEM, "canonjson: out of memory");
	const char *k;
	size_t kl;
	json_t *val;
	pa_err_t err = PA_OK;
	json_object_keylen_foreach((json_t *)v, k, kl, val)
	{
		if (top && skip && strlen(skip) == kl &&
		    memcmp(skip, k, kl) == 0)
			continue;
		if (top && key_is_phpish_number(k, kl)) {
			err = pa_seterr(errbuf, PA_UNSUPPORTED,
					"canonjson: numeric-looking top-level "
					"key (PHP's ksort() would compare it "
					"as a number)");
			goto out;
		}
		list = list && key_is_index(k, kl, m);
		keys[m].k = k;
		keys[m].n = kl;
		keys[m].v = val;
		m++;
	}
	if (m == 0) { /* PHP: json_decode('{}', true) is [] */
		put(b, "[]", 2);
		goto out;
	}
	if (top)
		qsort(keys, m, sizeof(*keys), key_cmp);
	else if (list) {
		putc_(b, '[');
		for (size_t i = 0; i < m && !err; i++) {
			if (i)
				putc_(b, ',');
			err = put_value(b, keys[i].v, NULL, depth + 1, errbuf);
		}
		putc_(b, ']');
		goto out;
	}
	putc_(b, '{');
	for (size_t i = 0; i < m && !err; i++) {
		if (i)
			putc_(b, ',');
		err = put_string(b, keys[i].k, keys[i].n, errbuf);
		putc_(b, ':');
		if (!err)
			err = put_value(b, keys[i].v, NULL, depth + 1, errbuf);
	}
	putc_(b, '}');
out:
	free(keys);
	return err;
}

static pa_err_t put_value(cj_buf_t *b, const json_t *v, const char *skip,
			  int depth, char *errbuf)
{
	char num[40];
	if (depth > CJ_MAX_DEPTH)
		return pa_seterr(errbuf, PA_RANGE, "canonjson: nesting too deep");
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return put_object(b, v, skip, depth, errbuf);
	case JSON_ARRAY: {
		putc_(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				putc_(b, ',');
			pa_err_t err = put_value(b, json_array_get(v, i), NULL,
						 depth + 1, errbuf);
			if (err)
				return err;
		}
		putc_(b, ']');
		return PA_OK;
	}
	case JSON_STRING:
		return put_string(b, json_string_value(v), json_string_length(v),
				  errbuf);
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		put(b, num, strlen(num));
		return PA_OK;
	case JSON_REAL:
		if (pa_canonjson_double(json_real_value(v), num))
			return pa_seterr(errbuf, PA_UNSUPPORTED,
					 "canonjson: NaN or Inf");
		put(b, num, strlen(num));
		return PA_OK;
	case JSON_TRUE:
		put(b, "true", 4);
		return PA_OK;
	case JSON_FALSE:
		put(b, "false", 5);
		return PA_OK;
	case JSON_NULL:
		put(b, "null", 4);
		return PA_OK;
	}
	return pa_seterr(errbuf, PA_INTERNAL, "canonjson: unknown JSON type");
}

pa_err_t pa_canonjson(const json_t *v, const char *skip_key, char **out,
		      size_t *out_len, char *errbuf)
{
	if (!out)
		return pa_seterr(errbuf, PA_INVAL, "canonjson: NULL out");
	*out = NULL;
	if (!v)
		return pa_seterr(errbuf, PA_INVAL, "canonjson: NULL value");
	cj_buf_t b = {0};
	put(&b, "", 0); /* always have a buffer, even for empty output */
	pa_err_t err = put_value(&b, v, skip_key, 0, errbuf);
	if (!err && b.oom)
		err = pa_seterr(errbuf, PA_NOMEM, "canonjson: out of memory");
	if (err) {
		free(b.p);
		return err;
	}
	*out = b.p;
	if (out_len)
		*out_len = b.len;
	return PA_OK;
}

char *pa_json_dump(const json_t *j, size_t flags, size_t first_cap,
		   size_t *len)
{
	size_t cap = first_cap > 1 ? first_cap : 2;
	*len = 0;
	char *s = j ? malloc(cap) : NULL;
	size_t n = s ? json_dumpb(j, s, cap - 1, flags) : 0;
	if (n >= cap - 1) { /* did not fit: n is the size it needs */
		OPENSSL_cleanse(s, cap - 1);
		free(s);
		cap = n + 1;
		s = malloc(cap);
		if (s && json_dumpb(j, s, n, flags) != n)
			n = 0;
	}
	if (!s || !n) {
		if (s)
			OPENSSL_cleanse(s, cap - 1);
		free(s);
		return NULL;
	}
	s[n] = '\0';
	*len = n;
	return s;
}

const char *pa_json_error_text(const json_error_t *je, char *buf, size_t size)
{
	if (!buf || !size)
		return buf;
	if (!je) {
		snprintf(buf, size, "undecodable JSON");
		return buf;
	}
	/* jansson appends " near '<token>'" or " near end of file" */
	size_t keep = strnlen(je->text, sizeof je->text);
	const char *near = strstr(je->text, " near ");
	if (near)
		keep = (size_t)(near - je->text);
	/* "invalid Unicode escape '\\u12x4'" quotes input too */
	if (!strncmp(je->text, "invalid Unicode", 15)) {
		const char *q = strstr(je->text, " '");
		if (q && (size_t)(q - je->text) < keep)
			keep = (size_t)(q - je->text);
	}
	snprintf(buf, size, "%.*s at byte %d (line %d, column %d)",
		 (int)keep, je->text, je->position, je->line, je->column);
	return buf;
}
