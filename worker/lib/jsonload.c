/* jsonload.c -- pa_json_loadb(): JSON text into a Jansson tree, the tree
 * and the verdict of json_loadb(), several times faster.
 * Owns: one recursive-descent pass over the bytes (RFC 8259, as strict as
 *       Jansson 2.14: UTF-8 checked, control characters and lone
 *       surrogates refused, integers that overflow int64 refused, nesting
 *       up to 2048), building the values with Jansson's own constructors.
 * Not here: anything JSON means to a caller (api_*.c, webhook.c, serde).
 *
 * Why: Jansson's lexer reads through a per-character stream with a string
 * buffer that grows byte by byte; on the worker's hot path (a command, two
 * gateway replies and their sealed bodies per payin) it cost ~100,000
 * instructions per kilobyte, a fifth of the worker's CPU
 * (docs/performance.md). The tree stays a Jansson tree: callers do not
 * change. check_jsonload compares both parsers on generated and mutated
 * documents: same accepted inputs, equal trees (key order included). */
#include "payatom/canonjson.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Jansson's JSON_PARSER_MAX_DEPTH. */
#define MAX_DEPTH 2048

typedef struct rd {
	const unsigned char *p, *end, *start;
	size_t flags;
	int depth;
	json_error_t *err;
	char *sbuf; /* decoded strings with escapes or long keys */
	size_t scap;
} rd_t;

static json_t *value(rd_t *r);

/* Jansson's lexer reads one byte past a number or a literal and puts it
 * back; a NUL byte put back is lost (its stream buffer is NUL-terminated):
 * "[1\0]" is [1] there. Done here too, so that both accept the same. */
static void lost_nul(rd_t *r)
{
	if (r->p < r->end && *r->p == '\0')
		r->p++;
}

/* The error, once: Jansson's text, position and code (json_error_code()
 * reads the code from the text's last byte, as Jansson stores it). */
static void *failc(rd_t *r, enum json_error_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void *failc(rd_t *r, enum json_error_code code, const char *fmt, ...)
{
	if (r->err && r->err->text[0] == '\0') {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err->text, sizeof r->err->text - 1, fmt, ap);
		va_end(ap);
		r->err->text[sizeof r->err->text - 1] = (char)code;
		r->err->position = (int)(r->p - r->start);
		int line = 1, col = 1;
		for (const unsigned char *q = r->start; q < r->p; q++) {
			col++;
			if (*q == '\n') {
				line++;
				col = 1;
			}
		}
		r->err->line = line;
		r->err->column = col;
		snprintf(r->err->source, sizeof r->err->source, "<buffer>");
	}
	return NULL;
}

static void ws(rd_t *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
				 *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static json_t *number(rd_t *r);
static int string(rd_t *r, const char **s, size_t *n);
static size_t utf8_len(const unsigned char *p, const unsigned char *end);

/* A syntax error at r->p ("':' expected"...). Jansson reads the token
 * there before it sees that it is not the one wanted, so that token's own
 * error (a number that overflows, a string that is not one, bytes that are
 * not UTF-8) is the one reported; only the first error counts. */
static void *expected(rd_t *r, enum json_error_code code, const char *what)
{
	const unsigned char *at = r->p;
	if (r->p < r->end) {
		if (*r->p == '"') {
			const char *s;
			size_t n;
			r->p++;
			string(r, &s, &n);
		} else if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9')) {
			json_decref(number(r));
		} else if (*r->p >= 0x80 && !utf8_len(r->p, r->end)) {
			failc(r, json_error_invalid_utf8,
			      "unable to decode byte 0x%x", *r->p);
		}
	}
	r->p = at;
	return failc(r, code, "%s", what);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Length of the valid UTF-8 sequence at p (Jansson's rules: no overlong
 * forms, no surrogates, at most U+10FFFF), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

static int put_utf8(rd_t *r, size_t *o, unsigned cp)
{
	unsigned char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	memcpy(r->sbuf + *o, b, n);
	*o += n;
	return 1;
}

static int four_hex(const unsigned char *p, const unsigned char *end,
		    unsigned *v)
{
	if (end - p < 4)
		return 0;
	unsigned x = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);
		if (h < 0)
			return 0;
		x = (x << 4) | (unsigned)h;
	}
	*v = x;
	return 1;
}

/* A string at r->p (after its opening quote). Its decoded bytes (*s, *n)
 * borrowed from the input (no escapes) or r->sbuf. */
static int string(rd_t *r, const char **s, size_t *n)
{
	const unsigned char *b = r->p, *q = b;
	/* the common case: printable ASCII without escapes */
	while (q < r->end && *q != '"' && *q != '\\' && *q >= 0x20 &&
	       *q < 0x80)
		q++;
	if (q < r->end && *q == '"') {
		*s = (const char *)b;
		*n = (size_t)(q - b);
		r->p = q + 1;
		return 1;
	}
	/* escapes or UTF-8: decoded into sbuf (never longer than the text) */
	size_t room = (size_t)(r->end - b) + 1;
	if (room > r->scap) {
		char *nb = realloc(r->sbuf, room);
		if (!nb) {
			failc(r, json_error_out_of_memory, "out of memory");
			return 0;
		}
		r->sbuf = nb;
		r->scap = room;
	}
	size_t o = (size_t)(q - b);
	memcpy(r->sbuf, b, o);
	while (q < r->end) {
		unsigned c = *q;
		if (c == '"') {
			*s = r->sbuf;
			*n = o;
			r->p = q + 1;
			return 1;
		}
		if (c < 0x20) {
			r->p = q;
			failc(r, json_error_invalid_syntax, "control character 0x%x", c);
			return 0;
		}
		if (c >= 0x80) {
			size_t k = utf8_len(q, r->end);
			if (!k) {
				r->p = q;
				failc(r, json_error_invalid_utf8, "unable to decode byte 0x%x", c);
				return 0;
			}
			memcpy(r->sbuf + o, q, k);
			o += k;
			q += k;
			continue;
		}
		if (c != '\\') {
			r->sbuf[o++] = (char)c;
			q++;
			continue;
		}
		if (++q >= r->end)
			break;
		switch (*q) {
		case '"': r->sbuf[o++] = '"'; break;
		case '\\': r->sbuf[o++] = '\\'; break;
		case '/': r->sbuf[o++] = '/'; break;
		case 'b': r->sbuf[o++] = '\b'; break;
		case 'f': r->sbuf[o++] = '\f'; break;
		case 'n': r->sbuf[o++] = '\n'; break;
		case 'r': r->sbuf[o++] = '\r'; break;
		case 't': r->sbuf[o++] = '\t'; break;
		case 'u': {
			unsigned cp, lo;
			if (!four_hex(q + 1, r->end, &cp)) {
				r->p = q;
				failc(r, json_error_invalid_syntax, "invalid escape");
				return 0;
			}
			q += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				/* a high surrogate needs its low half */
				if (r->end - q < 7 || q[1] != '\\' ||
				    q[2] != 'u' ||
				    !four_hex(q + 3, r->end, &lo)) {
					r->p = q;
					failc(r, json_error_invalid_syntax, "invalid Unicode '\\u%04X'", cp);
					return 0;
				}
				if (lo < 0xDC00 || lo > 0xDFFF) {
					r->p = q;
					failc(r, json_error_invalid_syntax, "invalid Unicode '\\u%04X\\u%04X'",
					     cp, lo);
					return 0;
				}
				q += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				r->p = q;
				failc(r, json_error_invalid_syntax, "invalid Unicode '\\u%04X'", cp);
				return 0;
			}
			put_utf8(r, &o, cp);
			break;
		}
		default:
			r->p = q;
			failc(r, json_error_invalid_syntax, "invalid escape");
			return 0;
		}
		q++;
	}
	r->p = r->end;
	failc(r, json_error_premature_end_of_input, "premature end of input");
	return 0;
}

/* A number at r->p: integers as json_integer (int64, an overflow is an
 * error), anything with a fraction or exponent as json_real. */
static json_t *number(rd_t *r)
{
	const unsigned char *b = r->p, *q = b;
	int real = 0, ok = 0;
	/* Jansson reads the byte after what it takes, and its stream checks
	 * UTF-8 as it reads: a bad byte there is recorded as the error (the
	 * first one counts, so it is the one reported even for a number that
	 * overflows), though a number read whole is still returned */
#define DIGIT(q) ((q) < r->end && *(q) >= '0' && *(q) <= '9')
	if (q < r->end && *q == '-')
		q++;
	if (!DIGIT(q))
		goto out;
	if (*q == '0') {
		q++;
		if (DIGIT(q))
			goto out;
	} else {
		while (DIGIT(q))
			q++;
	}
	if (q < r->end && *q == '.') {
		real = 1;
		q++;
		if (!DIGIT(q))
			goto out;
		while (DIGIT(q))
			q++;
	}
	if (q < r->end && (*q == 'e' || *q == 'E')) {
		real = 1;
		q++;
		if (q < r->end && (*q == '+' || *q == '-'))
			q++;
		if (!DIGIT(q))
			goto out;
		while (DIGIT(q))
			q++;
	}
	ok = 1;
#undef DIGIT
out:
	if (q < r->end && *q >= 0x80 && !utf8_len(q, r->end)) {
		r->p = q;
		failc(r, json_error_invalid_utf8, "unable to decode byte 0x%x",
		      *q);
		r->p = b;
	}
	if (!ok)
		return failc(r, json_error_invalid_syntax, "invalid token");
	if (!real && !(r->flags & JSON_DECODE_INT_AS_REAL)) {
		json_int_t v = 0;
		int neg = *b == '-';
		const unsigned char *d = b + neg;
		for (; d < q; d++) {
			int dg = *d - '0';
			/* accumulate negatively: INT64_MIN fits */
			if (v < (LLONG_MIN + dg) / 10) {
				r->p = b;
				return failc(r, json_error_numeric_overflow, neg ? "too big negative integer"
						   : "too big integer");
			}
			v = v * 10 - dg;
		}
		if (!neg) {
			if (v == LLONG_MIN) {
				r->p = b;
				return failc(r, json_error_numeric_overflow, "too big integer");
			}
			v = -v;
		}
		r->p = q;
		lost_nul(r);
		json_t *j = json_integer(v);
		return j ? j : failc(r, json_error_out_of_memory, "out of memory");
	}
	/* strtod needs a terminated copy (as Jansson's saved text is) */
	size_t n = (size_t)(q - b);
	char tmp[128];
	char *t = n < sizeof tmp ? tmp : malloc(n + 1);
	if (!t)
		return failc(r, json_error_out_of_memory, "out of memory");
	memcpy(t, b, n);
	t[n] = '\0';
	errno = 0;
	double d = strtod(t, NULL);
	int overflow = errno == ERANGE && (d > 1.0 || d < -1.0);
	if (t != tmp)
		free(t);
	if (overflow) {
		r->p = b;
		return failc(r, json_error_numeric_overflow, "real number overflow");
	}
	r->p = q;
	lost_nul(r);
	json_t *j = json_real(d);
	return j ? j : failc(r, json_error_out_of_memory, "out of memory");
}

static json_t *object(rd_t *r)
{
	json_t *o = json_object();
	if (!o)
		return failc(r, json_error_out_of_memory, "out of memory");
	r->p++; /* '{' */
	ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return o;
	}
	for (;;) {
		ws(r);
		if (r->p >= r->end || *r->p != '"') {
			json_decref(o);
			return r->p >= r->end
				       ? failc(r,
					       json_error_premature_end_of_input,
					       "premature end of input")
				       : expected(r, json_error_invalid_syntax,
						  "string or '}' expected");
		}
		r->p++;
		const char *k;
		size_t kl;
		if (!string(r, &k, &kl)) {
			json_decref(o);
			return NULL;
		}
		if (memchr(k, '\0', kl)) {
			json_decref(o);
			return failc(r, json_error_null_byte_in_key, "NUL byte in object key not supported");
		}
		/* the key outlives the next string only as a copy when it
		 * lives in sbuf */
		char kbuf[256];
		char *kheap = NULL;
		if (k == r->sbuf) {
			if (kl < sizeof kbuf) {
				memcpy(kbuf, k, kl);
				k = kbuf;
			} else if ((kheap = malloc(kl))) {
				memcpy(kheap, k, kl);
				k = kheap;
			} else {
				json_decref(o);
				return failc(r, json_error_out_of_memory, "out of memory");
			}
		}
		if ((r->flags & JSON_REJECT_DUPLICATES) &&
		    json_object_getn(o, k, kl)) {
			free(kheap);
			json_decref(o);
			return failc(r, json_error_duplicate_key, "duplicate object key");
		}
		ws(r);
		if (r->p >= r->end || *r->p != ':') {
			free(kheap);
			json_decref(o);
			return expected(r, json_error_invalid_syntax, "':' expected");
		}
		r->p++;
		ws(r);
		json_t *v = value(r);
		if (!v || json_object_setn_new_nocheck(o, k, kl, v) != 0) {
			free(kheap);
			json_decref(o);
			return v ? failc(r, json_error_out_of_memory, "out of memory") : NULL;
		}
		free(kheap);
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '}') {
			r->p++;
			return o;
		}
		json_decref(o);
		return expected(r, json_error_invalid_syntax, "'}' expected");
	}
}

static json_t *array(rd_t *r)
{
	json_t *a = json_array();
	if (!a)
		return failc(r, json_error_out_of_memory, "out of memory");
	r->p++; /* '[' */
	ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return a;
	}
	for (;;) {
		ws(r);
		json_t *v = value(r);
		if (!v || json_array_append_new(a, v) != 0) {
			json_decref(a);
			return v ? failc(r, json_error_out_of_memory, "out of memory") : NULL;
		}
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == ']') {
			r->p++;
			return a;
		}
		json_decref(a);
		return expected(r, json_error_invalid_syntax, "']' expected");
	}
}

static json_t *literal(rd_t *r, const char *word, json_t *v)
{
	size_t n = strlen(word);
	const unsigned char *q = r->p;
	/* Jansson reads a run of letters as one token */
	while (q < r->end && ((*q | 0x20) >= 'a' && (*q | 0x20) <= 'z'))
		q++;
	if (q < r->end && *q >= 0x80 && !utf8_len(q, r->end)) {
		/* read ahead and recorded, as after a number */
		const unsigned char *at = r->p;
		r->p = q;
		failc(r, json_error_invalid_utf8, "unable to decode byte 0x%x",
		      *q);
		r->p = at;
	}
	if ((size_t)(q - r->p) != n || memcmp(r->p, word, n) != 0)
		return failc(r, json_error_invalid_syntax, "invalid token");
	r->p = q;
	lost_nul(r);
	return v;
}

static json_t *value(rd_t *r)
{
	if (r->p >= r->end)
		return failc(r, json_error_invalid_syntax, "unexpected token");
	switch (*r->p) {
	case '{':
	case '[': {
		if (++r->depth > MAX_DEPTH)
			return failc(r, json_error_stack_overflow, "maximum parsing depth reached");
		json_t *v = *r->p == '{' ? object(r) : array(r);
		r->depth--;
		return v;
	}
	case '"': {
		r->p++;
		const char *s;
		size_t n;
		if (!string(r, &s, &n))
			return NULL;
		/* a key with NUL is refused in object() whatever the flags */
		if (!(r->flags & JSON_ALLOW_NUL) && memchr(s, '\0', n))
			return failc(r, json_error_null_character,
				     "\\u0000 is not allowed without "
				     "JSON_ALLOW_NUL");
		json_t *v = json_stringn_nocheck(s, n);
		return v ? v : failc(r, json_error_out_of_memory, "out of memory");
	}
	case 't': return literal(r, "true", json_true());
	case 'f': return literal(r, "false", json_false());
	case 'n': return literal(r, "null", json_null());
	default:
		if (*r->p == '-' || (*r->p >= '0' && *r->p <= '9'))
			return number(r);
		if (*r->p >= 0x80 && !utf8_len(r->p, r->end))
			return failc(r, json_error_invalid_utf8, "unable to decode byte 0x%x", *r->p);
		return failc(r, json_error_invalid_syntax, "invalid token");
	}
}

json_t *pa_json_loadb(const char *buf, size_t len, size_t flags,
		      json_error_t *error)
{
	rd_t r = {.p = (const unsigned char *)buf,
		  .end = (const unsigned char *)buf + len,
		  .start = (const unsigned char *)buf,
		  .flags = flags,
		  .err = error};
	if (error) {
		error->text[0] = '\0';
		error->position = 0;
	}
	if (!buf) {
		failc(&r, json_error_invalid_argument, "wrong arguments");
		return NULL;
	}
	ws(&r);
	if (!(flags & JSON_DECODE_ANY) &&
	    (r.p >= r.end || (*r.p != '[' && *r.p != '{'))) {
		/* Jansson reads the first token before it looks at what it
		 * is: its own error (an overflowing number, a bad string)
		 * comes first */
		expected(&r, json_error_invalid_syntax, "'[' or '{' expected");
		free(r.sbuf);
		return NULL;
	}
	json_t *v = value(&r);
	if (v && !(flags & JSON_DISABLE_EOF_CHECK)) {
		ws(&r);
		if (r.p < r.end) {
			json_decref(v);
			v = expected(&r, json_error_end_of_input_expected,
				     "end of file expected");
		}
	}
	free(r.sbuf);
	return v;
}
