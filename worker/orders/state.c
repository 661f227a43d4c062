/* state.c -- the state record of one order and its transitions.
 * Owns: transition rule, event ids, changelog encoding, the packed form of
 *       a settled order at rest.
 * Not here: status vocabulary (lib/status.c), where records live (worker.c). */
#include "orders/state.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/crypto.h"

static void copy(char *dst, size_t size, const char *src)
{
	if (!src)
		src = "";
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int pw_order_apply(pw_order_t *ord, pa_status_t st, const char *raw)
{
	if ((pa_status_t)ord->status == st && ord->seq > 0) {
		/* Same status again (webhook re-send, a poll agreeing with a
		 * webhook): nothing new. */
		return 0;
	}
	if (ord->seq > 0 && !pa_status_can_move((pa_status_t)ord->status, st))
		return 0;
	ord->prev = ord->seq > 0 ? ord->status : PW_PREV_NONE;
	ord->status = (uint8_t)st;
	copy(ord->raw_status, sizeof ord->raw_status, raw);
	ord->seq++;
	if (pa_status_is_terminal(st) || st == PA_STATUS_UNRESOLVED)
		ord->phase = PW_PHASE_SETTLED; /* UNRESOLVED: given up */
	else if (ord->phase == PW_PHASE_SETTLED)
		ord->phase = PW_PHASE_ACCEPTED; /* reopened: refund pending */
	return 1;
}

void pw_event_id(const pw_order_t *ord, uint32_t seq, pa_status_t st,
		 char out[PW_EVENT_ID_LEN + 1])
{
	char seqs[16], full[PA_SHA256_HEX_LEN + 1];
	int n = snprintf(seqs, sizeof seqs, "%u", seq);
	const char *sn = pa_status_name(st);
	/* a complaint about an order shares its order_id and counts its own
	 * sequence: its kind keeps the ids apart from the order's events */
	int cmp = ord->kind == PW_KIND_COMPLAINT;
	pa_part_t parts[] = {
		{"payatom-event|v1|", 17},
		{"complaint|", cmp ? 10u : 0u},
		{ord->merchant, strlen(ord->merchant)},
		{"|", 1},
		{ord->order_id, strlen(ord->order_id)},
		{"|", 1},
		{seqs, (size_t)n},
		{"|", 1},
		{sn, strlen(sn)},
	};
	pa_sha256_hex(parts, sizeof parts / sizeof parts[0], full);
	memcpy(out, full, PW_EVENT_ID_LEN);
	out[PW_EVENT_ID_LEN] = '\0';
}

static const char *kinds[] = {"payin", "payout", "complaint"};

const char *pw_kind_name(pw_kind_t k)
{
	return (unsigned)k < 3 ? kinds[k] : "unknown";
}

/* ---- the order's ext (state.h) --------------------------------------- */

/* The text ext is kept as: what pw_order_encode writes and what
 * json_dumps of pw_order_to_json writes for it agree byte for byte. */
#define EXT_DUMP (JSON_COMPACT | JSON_ENSURE_ASCII)

pa_err_t pw_order_set_ext(pw_order_t *o, const json_t *ext)
{
	char *txt = NULL;
	if (ext && !json_is_object(ext))
		return PA_INVAL;
	if (ext && json_object_size(ext) && !(txt = json_dumps(ext, EXT_DUMP)))
		return PA_NOMEM;
	free(o->ext);
	o->ext = txt;
	return PA_OK;
}

json_t *pw_order_ext(const pw_order_t *o)
{
	json_t *j = o->ext ? json_loads(o->ext, 0, NULL) : NULL;
	if (json_is_object(j))
		return j;
	json_decref(j);
	return json_object();
}

void pw_order_release(pw_order_t *o)
{
	free(o->ext);
	o->ext = NULL;
}

pa_err_t pw_order_copy(pw_order_t *dst, const pw_order_t *src)
{
	*dst = *src;
	if (src->ext && !(dst->ext = strdup(src->ext)))
		return PA_NOMEM;
	return PA_OK;
}

json_t *pw_order_to_json(const pw_order_t *o)
{
	json_t *j = json_pack("{si s:s s:s s:s s:s s:s s:s s:s s:s s:i s:i s:i s:I"
			 " s:I s:i s:i s:i s:I s:I s:I}",
			 "v", 1, "kind", pw_kind_name((pw_kind_t)o->kind),
			 "order_id", o->order_id, "merchant", o->merchant,
			 "ref_code", o->ref_code, "raw", o->raw_status,
			 "product", o->product, "currency", o->currency,
			 "status", pa_status_name((pa_status_t)o->status),
			 "phase", (int)o->phase, "seq", (int)o->seq, "prev",
			 o->prev == PW_PREV_NONE ? -1 : (int)o->prev, "amount",
			 (json_int_t)o->amount_minor, "received",
			 (json_int_t)o->received_minor, "attempts",
			 (int)o->attempts, "polls", (int)o->polls, "partition",
			 (int)o->partition, "created", (json_int_t)o->created_ms,
			 "next_poll", (json_int_t)o->next_poll_ms, "deadline",
			 (json_int_t)o->deadline_ms);
	if (j && o->ext) {
		json_t *ext = json_loads(o->ext, 0, NULL);
		if (ext)
			json_object_set_new(j, "ext", ext);
	}
	return j;
}

/* ---- direct changelog encoding (pw_order_encode) ---- */

typedef struct enc {
	char *p;
	size_t len, cap;
	int over; /* cap (the worst case, computed up front) was too small */
} enc_t;

static void put(enc_t *e, const char *s, size_t n)
{
	if (e->len + n >= e->cap) {
		e->over = 1;
		return;
	}
	memcpy(e->p + e->len, s, n);
	e->len += n;
}

/* Length of the UTF-8 sequence starting with byte c, 0 when c cannot
 * start one (jansson's utf8_check_first). */
static size_t utf8_first(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c < 0xC2 || c > 0xF4) /* continuation, overlong 2-byte, > U+10FFFF */
		return 0;
	return c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Decodes the sequence s[0..n) (n from utf8_first); -1 when it is not
 * valid: bad continuation, overlong, surrogate or above U+10FFFF (the
 * rules of jansson's utf8_check_full). */
static int32_t utf8_decode(const unsigned char *s, size_t n)
{
	int32_t v = n == 2 ? s[0] & 0x1F : n == 3 ? s[0] & 0x0F : s[0] & 0x07;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) ||
	    (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
		return -1;
	return v;
}

/* A JSON string as jansson dumps it with JSON_ENSURE_ASCII: \" \\ \b \f
 * \n \r \t, other controls and all non-ASCII as \uXXXX (surrogate pairs
 * above U+FFFF), '/' and DEL as they are. 0 when s is not valid UTF-8. */
static int put_str(enc_t *e, const char *str)
{
	static const char hx[] = "0123456789ABCDEF"; /* jansson: %04X */
	const unsigned char *s = (const unsigned char *)str;
	put(e, "\"", 1);
	while (*s) {
		const unsigned char *run = s;
		while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
			s++;
		put(e, (const char *)run, (size_t)(s - run));
		if (!*s)
			break;
		size_t n = utf8_first(*s);
		if (!n)
			return 0;
		for (size_t i = 1; i < n; i++)
			if (!s[i])
				return 0;
		int32_t cp = n == 1 ? *s : utf8_decode(s, n);
		if (cp < 0)
			return 0;
		s += n;
		const char *esc = NULL;
		switch (cp) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		}
		if (esc) {
			put(e, esc, 2);
			continue;
		}
		int32_t units[2] = {cp, -1};
		if (cp > 0xFFFF) {
			cp -= 0x10000;
			units[0] = 0xD800 | (cp >> 10);
			units[1] = 0xDC00 | (cp & 0x3FF);
		}
		for (int u = 0; u < 2 && units[u] >= 0; u++) {
			char b[6] = {'\\', 'u', hx[(units[u] >> 12) & 15],
				     hx[(units[u] >> 8) & 15],
				     hx[(units[u] >> 4) & 15], hx[units[u] & 15]};
			put(e, b, 6);
		}
	}
	put(e, "\"", 1);
	return 1;
}

static void put_int(enc_t *e, long long v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%lld", v);
	put(e, b, (size_t)n);
}

char *pw_order_encode(const pw_order_t *o, size_t *len)
{
	*len = 0;
	const char *strs[] = {o->order_id, o->merchant, o->ref_code,
			      o->raw_status, o->product, o->currency};
	/* worst case: 6 output bytes per input byte (\u00XX), 20 integers,
	 * the keys and punctuation */
	size_t cap = 512;
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		cap += 6 * strlen(strs[i]) + 2;
	if (o->ext) /* already JSON text: written as it is */
		cap += strlen(o->ext) + 8;
	enc_t e = {malloc(cap), 0, cap, 0};
	if (!e.p)
		return NULL;
	/* field order and types of pw_order_to_json() */
	int ok = 1;
	put(&e, "{\"v\":1,\"kind\":", 14);
	ok &= put_str(&e, pw_kind_name((pw_kind_t)o->kind));
	put(&e, ",\"order_id\":", 12);
	ok &= put_str(&e, o->order_id);
	put(&e, ",\"merchant\":", 12);
	ok &= put_str(&e, o->merchant);
	put(&e, ",\"ref_code\":", 12);
	ok &= put_str(&e, o->ref_code);
	put(&e, ",\"raw\":", 7);
	ok &= put_str(&e, o->raw_status);
	put(&e, ",\"product\":", 11);
	ok &= put_str(&e, o->product);
	put(&e, ",\"currency\":", 12);
	ok &= put_str(&e, o->currency);
	put(&e, ",\"status\":", 10);
	ok &= put_str(&e, pa_status_name((pa_status_t)o->status));
	const struct {
		const char *key;
		long long v;
	} nums[] = {
		{",\"phase\":", (int)o->phase},
		{",\"seq\":", (int)o->seq},
		{",\"prev\":", o->prev == PW_PREV_NONE ? -1 : (int)o->prev},
		{",\"amount\":", (json_int_t)o->amount_minor},
		{",\"received\":", (json_int_t)o->received_minor},
		{",\"attempts\":", (int)o->attempts},
		{",\"polls\":", (int)o->polls},
		{",\"partition\":", (int)o->partition},
		{",\"created\":", (json_int_t)o->created_ms},
		{",\"next_poll\":", (json_int_t)o->next_poll_ms},
		{",\"deadline\":", (json_int_t)o->deadline_ms},
	};
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		put(&e, nums[i].key, strlen(nums[i].key));
		put_int(&e, nums[i].v);
	}
	if (o->ext) {
		put(&e, ",\"ext\":", 7);
		put(&e, o->ext, strlen(o->ext));
	}
	put(&e, "}", 1);
	if (!ok || e.over) {
		free(e.p);
		return NULL;
	}
	e.p[e.len] = '\0';
	*len = e.len;
	return e.p;
}

pa_err_t pw_order_from_json(const json_t *j, pw_order_t *o)
{
	const char *kind = NULL, *oid = NULL, *m = NULL, *rc = "", *raw = "",
		   *prod = "", *cur = "", *st = NULL;
	int v = 0, phase = 0, seq = 0, prev = -1, att = 0, polls = 0, part = 0;
	json_int_t amt = 0, rcv = -1, created = 0, np = 0, dl = 0;
	json_error_t err;
	memset(o, 0, sizeof *o);
	if (!j || json_unpack_ex((json_t *)j, &err, 0,
				 "{s:i s:s s:s s:s s?s s?s s?s s?s s:s s?i s:i"
				 " s?i s?I s?I s?i s?i s?i s?I s?I s?I}",
				 "v", &v, "kind", &kind, "order_id", &oid,
				 "merchant", &m, "ref_code", &rc, "raw", &raw,
				 "product", &prod, "currency", &cur, "status",
				 &st, "phase", &phase, "seq", &seq, "prev", &prev,
				 "amount",
				 &amt, "received", &rcv, "attempts", &att,
				 "polls", &polls, "partition", &part, "created",
				 &created, "next_poll", &np, "deadline",
				 &dl) != 0)
		return PA_PARSE;
	if (v != 1)
		return PA_PARSE;
	pa_status_t s;
	if (pa_status_from_name(st, &s) != PA_OK)
		return PA_PARSE;
	int k = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(kind, kinds[i]) == 0)
			k = i;
	if (k < 0 || strlen(oid) >= sizeof o->order_id)
		return PA_PARSE;
	copy(o->order_id, sizeof o->order_id, oid);
	copy(o->merchant, sizeof o->merchant, m);
	copy(o->ref_code, sizeof o->ref_code, rc);
	copy(o->raw_status, sizeof o->raw_status, raw);
	copy(o->product, sizeof o->product, prod);
	copy(o->currency, sizeof o->currency, cur);
	o->kind = (uint8_t)k;
	o->phase = (uint8_t)phase;
	o->status = (uint8_t)s;
	o->seq = (uint32_t)seq;
	o->prev = prev >= 0 && prev < PA__STATUS_COUNT ? (uint8_t)prev
						       : PW_PREV_NONE;
	o->attempts = (uint32_t)att;
	o->polls = (uint32_t)polls;
	o->partition = part;
	o->amount_minor = amt;
	o->received_minor = rcv;
	o->created_ms = created;
	o->next_poll_ms = np;
	o->deadline_ms = dl;
	o->restored = 1;
	json_t *ext = json_object_get(j, "ext");
	if (ext && (!json_is_object(ext) || pw_order_set_ext(o, ext) != PA_OK))
		return PA_PARSE;
	return PA_OK;
}

/* ---- direct changelog decoding (pw_order_decode) ---- */

typedef struct dec {
	const char *p, *end;
} dec_t;

static int lit(dec_t *d, const char *s, size_t n)
{
	if ((size_t)(d->end - d->p) < n || memcmp(d->p, s, n) != 0)
		return 0;
	d->p += n;
	return 1;
}

/* A string without escapes or non-ASCII into dst (size bytes); 0 when it
 * has any (jansson decodes those) or does not fit. */
static int str_plain(dec_t *d, char *dst, size_t size)
{
	if (d->p >= d->end || *d->p != '"')
		return 0;
	const char *s = ++d->p;
	while (d->p < d->end && *d->p != '"') {
		unsigned char c = (unsigned char)*d->p;
		if (c == '\\' || c < 0x20 || c >= 0x80)
			return 0;
		d->p++;
	}
	size_t n = (size_t)(d->p - s);
	if (d->p >= d->end || n >= size)
		return 0;
	memcpy(dst, s, n);
	dst[n] = '\0';
	d->p++;
	return 1;
}

static int num(dec_t *d, int64_t *out)
{
	int neg = d->p < d->end && *d->p == '-';
	if (neg)
		d->p++;
	const char *s = d->p;
	uint64_t v = 0;
	while (d->p < d->end && *d->p >= '0' && *d->p <= '9' && v < (1ull << 59))
		v = v * 10 + (uint64_t)(*d->p++ - '0');
	if (d->p == s || d->p - s > 18)
		return 0;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 1;
}

/* pw_order_encode()'s exact layout; 0 when buf is anything else. */
static int decode_direct(const char *buf, size_t len, pw_order_t *o)
{
	dec_t d = {buf, buf + len};
	char kind[16], st[32];
	if (!lit(&d, "{\"v\":1,\"kind\":", 14) ||
	    !str_plain(&d, kind, sizeof kind))
		return 0;
	static const struct {
		const char *key;
		size_t off, cap;
	} strs[] = {
#define S(k, f) {",\"" k "\":", offsetof(pw_order_t, f), sizeof(((pw_order_t *)0)->f)}
		S("order_id", order_id), S("merchant", merchant),
		S("ref_code", ref_code), S("raw", raw_status),
		S("product", product), S("currency", currency),
#undef S
	};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		if (!lit(&d, strs[i].key, strlen(strs[i].key)) ||
		    !str_plain(&d, (char *)o + strs[i].off, strs[i].cap))
			return 0;
	if (!lit(&d, ",\"status\":", 10) || !str_plain(&d, st, sizeof st))
		return 0;
	static const char *const keys[] = {
		",\"phase\":",	",\"seq\":",	 ",\"prev\":",
		",\"amount\":",	",\"received\":", ",\"attempts\":",
		",\"polls\":",	",\"partition\":", ",\"created\":",
		",\"next_poll\":", ",\"deadline\":"};
	enum { N_KEYS = sizeof keys / sizeof keys[0] };
	int64_t v[N_KEYS];
	for (size_t i = 0; i < N_KEYS; i++)
		if (!lit(&d, keys[i], strlen(keys[i])) || !num(&d, &v[i]))
			return 0;
	/* the ext object as pw_order_encode wrote it: up to the record's
	 * closing brace (jansson reads anything else) */
	const char *ext = NULL;
	size_t ext_len = 0;
	if (lit(&d, ",\"ext\":", 7)) {
		ext = d.p;
		ext_len = (size_t)(d.end - d.p) - 1;
		if (ext_len < 2 || ext[0] != '{' || ext[ext_len - 1] != '}' ||
		    memchr(ext, 0, ext_len))
			return 0;
		d.p += ext_len;
	}
	if (!lit(&d, "}", 1) || d.p != d.end)
		return 0;
	pa_status_t s;
	int k = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(kind, kinds[i]) == 0)
			k = i;
	if (k < 0 || pa_status_from_name(st, &s) != PA_OK || !o->order_id[0])
		return 0;
	for (int i = 0; i < 8; i++)
		if (i != 3 && i != 4 && (v[i] < INT32_MIN || v[i] > INT32_MAX))
			return 0; /* the int fields: jansson would refuse */
	o->kind = (uint8_t)k;
	o->status = (uint8_t)s;
	o->phase = (uint8_t)v[0];
	o->seq = (uint32_t)v[1];
	o->prev = v[2] >= 0 && v[2] < PA__STATUS_COUNT ? (uint8_t)v[2]
						       : PW_PREV_NONE;
	o->amount_minor = v[3];
	o->received_minor = v[4];
	o->attempts = (uint32_t)v[5];
	o->polls = (uint32_t)v[6];
	o->partition = (int32_t)v[7];
	o->created_ms = v[8];
	o->next_poll_ms = v[9];
	o->deadline_ms = v[10];
	o->restored = 1;
	if (ext) {
		if (!(o->ext = malloc(ext_len + 1)))
			return 0;
		memcpy(o->ext, ext, ext_len);
		o->ext[ext_len] = '\0';
	}
	return 1;
}

pa_err_t pw_order_decode(const void *buf, size_t len, pw_order_t *o)
{
	memset(o, 0, sizeof *o);
	if (buf && decode_direct(buf, len, o))
		return PA_OK;
	memset(o, 0, sizeof *o);
	json_error_t je;
	json_t *j = buf ? json_loadb(buf, len, 0, &je) : NULL;
	pa_err_t err = pw_order_from_json(j, o);
	json_decref(j);
	return err;
}

/* ---- orders at rest --------------------------------------------------- */

enum { REST_OID, REST_MERCHANT, REST_REF, REST_RAW, REST_PRODUCT, REST_N };

struct pw_order_rest {
	int64_t amount_minor, received_minor, created_ms, next_poll_ms,
		deadline_ms;
	int32_t partition;
	uint32_t seq, attempts, polls;
	uint32_t ext_len;    /* 0: no ext */
	uint8_t kind, phase, status, restored, prev;
	char currency[4];
	uint8_t len[REST_N]; /* each < 256: the fields are shorter */
	char s[];	     /* the REST_N strings, then ext, each NUL terminated */
};

/* The fields copied as they are, in both directions. */
#define REST_SCALARS(X)                                                        \
	X(amount_minor) X(received_minor) X(created_ms) X(next_poll_ms)       \
	X(deadline_ms) X(partition) X(seq) X(attempts) X(polls) X(kind)       \
	X(phase) X(status) X(restored) X(prev)

/* The string fields, in REST_* order: where each is in pw_order_t and its
 * capacity there. */
#define STR_FIELD(f) {offsetof(pw_order_t, f), sizeof(((pw_order_t *)0)->f)}
static const struct {
	size_t off, cap;
} rest_str[REST_N] = {STR_FIELD(order_id), STR_FIELD(merchant),
		      STR_FIELD(ref_code), STR_FIELD(raw_status),
		      STR_FIELD(product)};
#undef STR_FIELD

/* the largest packed record without an ext: every string at its capacity */
_Static_assert(sizeof(pw_order_rest_t) + PW_ID_MAX + 32 + PW_REF_MAX + 40 +
			       40 <=
		       PW_ORDER_PACKED_MAX,
	       "PW_ORDER_PACKED_MAX too small");

size_t pw_order_packed_size(const pw_order_t *o)
{
	size_t total = sizeof(pw_order_rest_t);
	for (int i = 0; i < REST_N; i++)
		total += strnlen((const char *)o + rest_str[i].off,
				 rest_str[i].cap - 1) +
			 1;
	size_t ext_len = o->ext ? strlen(o->ext) : 0;
	if (ext_len > UINT32_MAX - 1)
		return 0;
	return total + (ext_len ? ext_len + 1 : 0);
}

size_t pw_order_pack_to(const pw_order_t *o, void *buf, size_t cap)
{
	size_t n = pw_order_packed_size(o);
	if (!n || n > cap)
		return 0;
	pw_order_rest_t *r = buf;
#define TO(f) r->f = o->f;
	REST_SCALARS(TO)
#undef TO
	memcpy(r->currency, o->currency, sizeof r->currency);
	char *p = r->s;
	for (int i = 0; i < REST_N; i++) {
		const char *str = (const char *)o + rest_str[i].off;
		size_t len = strnlen(str, rest_str[i].cap - 1);
		r->len[i] = (uint8_t)len;
		memcpy(p, str, len);
		p[len] = '\0';
		p += len + 1;
	}
	size_t ext_len = o->ext ? strlen(o->ext) : 0;
	r->ext_len = (uint32_t)ext_len;
	if (ext_len)
		memcpy(p, o->ext, ext_len + 1);
	return n;
}

pw_order_rest_t *pw_order_pack(const pw_order_t *o, size_t *size)
{
	size_t n = pw_order_packed_size(o);
	pw_order_rest_t *r = n ? malloc(n) : NULL;
	if (!r || pw_order_pack_to(o, r, n) != n) {
		free(r);
		return NULL;
	}
	if (size)
		*size = n;
	return r;
}

pa_err_t pw_order_unpack_bytes(const void *buf, size_t len, pw_order_t *o)
{
	_Alignas(pw_order_rest_t) char tmp[PW_ORDER_PACKED_MAX];
	if (len < sizeof(pw_order_rest_t))
		return PA_PARSE;
	/* store pages are 2-byte aligned: a copy (on the heap when an ext
	 * makes it longer than the common record) */
	char *heap = len > sizeof tmp ? malloc(len) : NULL;
	if (len > sizeof tmp && !heap)
		return PA_NOMEM;
	char *al = heap ? heap : tmp;
	memcpy(al, buf, len);
	const pw_order_rest_t *r = (const pw_order_rest_t *)(void *)al;
	/* the strings follow offsetof(s); the size counts sizeof *r (as
	 * pw_order_rest_size does) */
	pa_err_t err = PA_PARSE;
	size_t off = 0;
	for (int i = 0; i < REST_N; i++) {
		if (r->len[i] >= rest_str[i].cap)
			goto out;
		off += (size_t)r->len[i] + 1;
		if (sizeof *r + off > len || r->s[off - 1] != '\0')
			goto out;
	}
	if (r->ext_len) {
		if ((size_t)r->ext_len + 1 > len - sizeof *r - off ||
		    r->s[off + r->ext_len] != '\0' ||
		    memchr(r->s + off, 0, r->ext_len))
			goto out;
		off += (size_t)r->ext_len + 1;
	}
	if (sizeof *r + off != len ||
	    memchr(r->currency, 0, sizeof r->currency) == NULL)
		goto out;
	err = pw_order_unpack(r, o);
out:
	free(heap);
	return err;
}

pa_err_t pw_order_unpack(const pw_order_rest_t *r, pw_order_t *o)
{
	memset(o, 0, sizeof *o);
#define FROM(f) o->f = r->f;
	REST_SCALARS(FROM)
#undef FROM
	memcpy(o->currency, r->currency, sizeof o->currency);
	const char *p = r->s;
	for (int i = 0; i < REST_N; i++) {
		char *dst = (char *)o + rest_str[i].off;
		memcpy(dst, p, r->len[i]); /* len < cap: packed from one */
		dst[r->len[i]] = '\0';
		p += r->len[i] + 1;
	}
	if (r->ext_len && !(o->ext = malloc((size_t)r->ext_len + 1)))
		return PA_NOMEM;
	if (r->ext_len)
		memcpy(o->ext, p, (size_t)r->ext_len + 1);
	return PA_OK;
}

int32_t pw_order_rest_partition(const pw_order_rest_t *r)
{
	return r->partition;
}

int64_t pw_order_rest_created_ms(const pw_order_rest_t *r)
{
	return r->created_ms;
}

size_t pw_order_rest_size(const pw_order_rest_t *r)
{
	size_t n = sizeof *r;
	for (int i = 0; i < REST_N; i++)
		n += (size_t)r->len[i] + 1;
	return n + (r->ext_len ? (size_t)r->ext_len + 1 : 0);
}
