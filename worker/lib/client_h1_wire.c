/* client_h1_wire.c -- URLs, requests and responses of the HTTP/1.1 engine
 * (client_h1.h), without I/O.
 * Owns: URL parsing, request text, the response parser (status line,
 *       headers, Content-Length, chunked and read-until-close bodies, 1xx
 *       skipped, Connection, Retry-After), its size limits.
 * Not here: sockets, TLS, timeouts (client_h1.c). */
#include "client_h1.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Header block of one response, as libcurl's CURL_MAX_HTTP_HEADER. */
#define MAX_HEADER_BYTES (100 * 1024)

/* ---- URLs --------------------------------------------------------------- */

pa_err_t pa__url_parse(const char *url, pa__url_t *u, char *errbuf)
{
	memset(u, 0, sizeof *u);
	const char *p;
	if (!url)
		return pa_seterr(errbuf, PA_INVAL, "no URL");
	if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
		u->port = 80;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		p = url + 8;
		u->tls = 1;
		u->port = 443;
	} else {
		return pa_seterr(errbuf, PA_INVAL,
				 "URL must be http:// or https://");
	}
	for (const char *q = url; *q; q++)
		if ((unsigned char)*q <= 0x20 || *q == 0x7f)
			return pa_seterr(errbuf, PA_INVAL,
					 "URL contains a space or a control "
					 "character");
	size_t alen = strcspn(p, "/?#");
	const char *auth = p, *aend = p + alen;
	if (memchr(auth, '@', alen))
		return pa_seterr(errbuf, PA_INVAL,
				 "URL with credentials is not supported");
	const char *h = auth, *hend;
	if (*h == '[') {
		const char *rb = memchr(h, ']', alen);
		if (!rb)
			return pa_seterr(errbuf, PA_INVAL, "URL: bad IPv6 host");
		h++;
		hend = rb;
		u->ip6 = 1;
		p = rb + 1;
	} else {
		hend = memchr(h, ':', alen);
		if (!hend)
			hend = aend;
		p = hend;
	}
	size_t hl = (size_t)(hend - h);
	if (hl == 0 || hl >= sizeof u->host)
		return pa_seterr(errbuf, PA_INVAL, "URL: bad host");
	for (size_t i = 0; i < hl; i++) {
		unsigned char c = (unsigned char)h[i];
		int ok = isalnum(c) || c == '-' || c == '.' || c == '_' ||
			 (u->ip6 && (c == ':' || c == '%'));
		if (!ok)
			return pa_seterr(errbuf, PA_INVAL, "URL: bad host");
	}
	memcpy(u->host, h, hl);
	u->host[hl] = '\0';
	u->default_port = 1;
	if (p < aend) {
		if (*p != ':' || p + 1 == aend)
			return pa_seterr(errbuf, PA_INVAL, "URL: bad port");
		unsigned long port = 0;
		for (p++; p < aend; p++) {
			if (*p < '0' || *p > '9' || port > 65535)
				return pa_seterr(errbuf, PA_INVAL,
						 "URL: bad port");
			port = port * 10 + (unsigned long)(*p - '0');
		}
		if (port == 0 || port > 65535)
			return pa_seterr(errbuf, PA_INVAL, "URL: bad port");
		u->default_port = port == u->port;
		u->port = (uint16_t)port;
	}
	u->path = aend;
	u->path_len = strcspn(aend, "#");
	return PA_OK;
}

/* ---- requests ----------------------------------------------------------- */

typedef struct obuf {
	char **buf;
	size_t *len, *cap;
	int oom;
} obuf_t;

static void put(obuf_t *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (*o->len + n + 1 > *o->cap) {
		size_t c = *o->cap ? *o->cap : 1024;
		while (c < *o->len + n + 1)
			c *= 2;
		char *nb = realloc(*o->buf, c);
		if (!nb) {
			o->oom = 1;
			return;
		}
		*o->buf = nb;
		*o->cap = c;
	}
	memcpy(*o->buf + *o->len, s, n);
	*o->len += n;
}

static void puts_(obuf_t *o, const char *s)
{
	put(o, s, strlen(s));
}

static int has_header(const struct pa_header *hs, size_t nh, const char *name)
{
	for (size_t i = 0; i < nh; i++)
		if (strcasecmp(hs[i].name, name) == 0)
			return 1;
	return 0;
}

pa_err_t pa__h1_request(const pa__url_t *u, const char *method,
			const struct pa_header *hs, size_t nh,
			const char *body, size_t body_len, const char *ua,
			char **buf, size_t *len, size_t *cap)
{
	obuf_t o = {buf, len, cap, 0};
	char tmp[320];
	/* one allocation of the size it will have */
	size_t need = strlen(method) + u->path_len + strlen(u->host) +
		      strlen(ua) + body_len + 160;
	for (size_t i = 0; i < nh; i++)
		need += strlen(hs[i].name) + strlen(hs[i].value) + 4;
	if (*len + need > *cap) {
		char *nb = realloc(*buf, *len + need);
		if (!nb)
			return PA_NOMEM;
		*buf = nb;
		*cap = *len + need;
	}
	puts_(&o, method);
	put(&o, " ", 1);
	if (u->path_len == 0 || u->path[0] != '/')
		put(&o, "/", 1);
	put(&o, u->path, u->path_len);
	puts_(&o, " HTTP/1.1\r\nHost: ");
	if (u->ip6)
		put(&o, "[", 1);
	puts_(&o, u->host);
	if (u->ip6)
		put(&o, "]", 1);
	if (!u->default_port) {
		int n = snprintf(tmp, sizeof tmp, ":%u", (unsigned)u->port);
		put(&o, tmp, (size_t)n);
	}
	puts_(&o, "\r\nUser-Agent: ");
	puts_(&o, ua);
	puts_(&o, "\r\nAccept: */*\r\n");
	for (size_t i = 0; i < nh; i++) {
		puts_(&o, hs[i].name);
		put(&o, ": ", 2);
		puts_(&o, hs[i].value);
		put(&o, "\r\n", 2);
	}
	int bodyless = !strcmp(method, "GET") || !strcmp(method, "HEAD") ||
		       !strcmp(method, "DELETE") || !strcmp(method, "OPTIONS");
	if (body_len || !bodyless) {
		if (!strcmp(method, "POST") && body_len &&
		    !has_header(hs, nh, "Content-Type"))
			puts_(&o, "Content-Type: "
				  "application/x-www-form-urlencoded\r\n");
		int n = snprintf(tmp, sizeof tmp, "Content-Length: %zu\r\n",
				 body_len);
		put(&o, tmp, (size_t)n);
	}
	put(&o, "\r\n", 2);
	if (body_len)
		put(&o, body, body_len);
	return o.oom ? PA_NOMEM : PA_OK;
}

/* ---- responses ---------------------------------------------------------- */

enum {
	S_STATUS,
	S_HEADERS,
	S_BODY_LEN,
	S_CHUNK_SIZE,
	S_CHUNK_DATA,
	S_CHUNK_CRLF,
	S_TRAILERS,
	S_BODY_EOF,
	S_DONE,
};

void pa__h1_resp_reset(pa__h1_resp_t *r, size_t max_body, int head)
{
	char *b = r->buf;
	size_t cap = r->cap;
	memset(r, 0, sizeof *r);
	r->buf = b;
	r->cap = cap;
	r->max_body = max_body;
	r->head = head;
	r->clen = -1;
	r->keep_alive = 1;
	r->state = S_STATUS;
}

pa_err_t pa__h1_resp_room(pa__h1_resp_t *r, size_t want)
{
	/* one byte more: the body is handed out NUL-terminated */
	if (r->len + want + 1 <= r->cap)
		return PA_OK;
	size_t c = r->cap ? r->cap * 2 : 1024;
	while (c < r->len + want + 1)
		c *= 2;
	char *nb = realloc(r->buf, c);
	if (!nb)
		return PA_NOMEM;
	r->buf = nb;
	r->cap = c;
	return PA_OK;
}

static int bad(pa__h1_resp_t *r, const char *why)
{
	snprintf(r->why, sizeof r->why, "%s", why);
	return PA__H1_BAD;
}

/* The next line at r->pos (without CRLF or LF): its start and length, or
 * NULL when not complete yet. */
static const char *line(pa__h1_resp_t *r, size_t *n)
{
	char *s = r->buf + r->pos;
	char *nl = memchr(s, '\n', r->len - r->pos);
	if (!nl)
		return NULL;
	size_t l = (size_t)(nl - s);
	r->pos += l + 1;
	r->hdr_bytes += l + 1;
	if (l && s[l - 1] == '\r')
		l--;
	*n = l;
	return s;
}

static int ieq(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b);
	return an == bn && strncasecmp(a, b, an) == 0;
}

/* "close" / "keep-alive" among the comma-separated tokens of v. */
static int has_token(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok);
	for (size_t i = 0; i < n;) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return 1;
	}
	return 0;
}

static const char *const k_months[] = {"Jan", "Feb", "Mar", "Apr",
				       "May", "Jun", "Jul", "Aug",
				       "Sep", "Oct", "Nov", "Dec"};

/* Retry-After: delay-seconds or an IMF-fixdate ("Sun, 06 Nov 1994
 * 08:49:37 GMT"), as seconds from now (at least 1 for a date to come). */
static long retry_after(const char *v, size_t n)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return 0;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (tmp[0] >= '0' && tmp[0] <= '9') {
		char *end;
		long s = strtol(tmp, &end, 10);
		return *end == '\0' && s > 0 ? s : 0;
	}
	char mon[4];
	int d, y, hh, mm, ss;
	if (sscanf(tmp, "%*3s, %2d %3s %4d %2d:%2d:%2d GMT", &d, mon, &y, &hh,
		   &mm, &ss) != 6)
		return 0;
	struct tm tm = {.tm_mday = d, .tm_year = y - 1900, .tm_hour = hh,
			.tm_min = mm, .tm_sec = ss, .tm_mon = -1};
	for (int i = 0; i < 12; i++)
		if (strcmp(mon, k_months[i]) == 0)
			tm.tm_mon = i;
	if (tm.tm_mon < 0)
		return 0;
	long delta = (long)(timegm(&tm) - time(NULL));
	return delta > 0 ? delta : 0;
}

static int header(pa__h1_resp_t *r, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	if (!colon)
		return PA__H1_MORE; /* not a header line: ignored, as curl does */
	size_t nl = (size_t)(colon - s);
	const char *v = colon + 1;
	size_t vl = n - nl - 1;
	while (vl && (*v == ' ' || *v == '\t')) {
		v++;
		vl--;
	}
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		vl--;
	if (ieq(s, nl, "Content-Length")) {
		if (vl == 0 || vl > 18)
			return bad(r, "bad Content-Length");
		int64_t x = 0;
		for (size_t i = 0; i < vl; i++) {
			if (v[i] < '0' || v[i] > '9')
				return bad(r, "bad Content-Length");
			x = x * 10 + (v[i] - '0');
		}
		if (r->clen >= 0 && r->clen != x)
			return bad(r, "conflicting Content-Length headers");
		r->clen = x;
	} else if (ieq(s, nl, "Transfer-Encoding")) {
		/* chunked must be the last coding; anything else runs to the
		 * close (RFC 9112 6.3) */
		size_t e = vl;
		while (e && v[e - 1] != ',' && v[e - 1] != ' ')
			e--;
		r->chunked = ieq(v + e, vl - e, "chunked");
		if (!r->chunked)
			r->keep_alive = 0;
	} else if (ieq(s, nl, "Connection")) {
		if (has_token(v, vl, "close"))
			r->keep_alive = 0;
		else if (has_token(v, vl, "keep-alive"))
			r->keep_alive = 1;
	} else if (ieq(s, nl, "Retry-After")) {
		r->retry_after = retry_after(v, vl);
	}
	return PA__H1_MORE;
}

/* The headers ended: how the body is framed. */
static int body_start(pa__h1_resp_t *r)
{
	r->body_off = r->pos;
	r->body_len = 0;
	if (r->head || r->status == 204 || r->status == 304) {
		r->state = S_DONE;
		return PA__H1_DONE;
	}
	if (r->chunked) {
		r->clen = -1;
		r->state = S_CHUNK_SIZE;
		return PA__H1_MORE;
	}
	if (r->clen >= 0) {
		if ((uint64_t)r->clen > r->max_body)
			return PA__H1_TOO_BIG;
		r->state = S_BODY_LEN;
		return PA__H1_MORE;
	}
	/* neither: the body runs to the close */
	r->keep_alive = 0;
	r->state = S_BODY_EOF;
	return PA__H1_MORE;
}

/* Moves decoded chunk bytes at r->pos down to the end of the body. */
static void take(pa__h1_resp_t *r, size_t n)
{
	char *dst = r->buf + r->body_off + r->body_len;
	if (dst != r->buf + r->pos)
		memmove(dst, r->buf + r->pos, n);
	r->body_len += n;
	r->pos += n;
}

int pa__h1_resp_parse(pa__h1_resp_t *r)
{
	for (;;) {
		const char *s;
		size_t n, avail = r->len - r->pos;
		switch (r->state) {
		case S_STATUS:
			if (!(s = line(r, &n))) {
				if (avail >= 5 && memcmp(r->buf + r->pos,
							 "HTTP/", 5) != 0)
					return bad(r, "not an HTTP response");
				return r->hdr_bytes + avail > MAX_HEADER_BYTES
					       ? bad(r, "status line too long")
					       : PA__H1_MORE;
			}
			if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 ||
			    (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
			    !isdigit((unsigned char)s[9]) ||
			    !isdigit((unsigned char)s[10]) ||
			    !isdigit((unsigned char)s[11]) ||
			    (n > 12 && s[12] != ' '))
				return bad(r, "bad status line");
			r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 +
				    (s[11] - '0');
			r->keep_alive = s[7] == '1';
			r->state = S_HEADERS;
			continue;
		case S_HEADERS:
			if (!(s = line(r, &n)))
				return r->hdr_bytes + avail > MAX_HEADER_BYTES
					       ? bad(r, "header block too large")
					       : PA__H1_MORE;
			if (r->hdr_bytes > MAX_HEADER_BYTES)
				return bad(r, "header block too large");
			if (n == 0) {
				if (r->status >= 100 && r->status < 200) {
					/* an interim response: the real one
					 * follows */
					r->status = 0;
					r->clen = -1;
					r->chunked = 0;
					r->retry_after = 0;
					r->hdr_bytes = 0;
					r->state = S_STATUS;
					continue;
				}
				int rc = body_start(r);
				if (rc != PA__H1_MORE)
					return rc;
				continue;
			}
			if (s[0] == ' ' || s[0] == '\t')
				continue; /* obsolete line folding: ignored */
			if (header(r, s, n) != PA__H1_MORE)
				return PA__H1_BAD;
			continue;
		case S_BODY_LEN: {
			uint64_t want = (uint64_t)r->clen - r->body_len;
			size_t k = avail < want ? avail : (size_t)want;
			take(r, k);
			if (r->body_len == (uint64_t)r->clen) {
				r->state = S_DONE;
				return PA__H1_DONE;
			}
			return PA__H1_MORE;
		}
		case S_CHUNK_SIZE: {
			if (!(s = line(r, &n)))
				return avail > 1024 ? bad(r, "bad chunk size")
						    : PA__H1_MORE;
			uint64_t sz = 0;
			size_t i = 0;
			for (; i < n && isxdigit((unsigned char)s[i]); i++) {
				if (sz >> 56)
					return bad(r, "bad chunk size");
				int c = s[i];
				sz = sz * 16 + (uint64_t)(c <= '9' ? c - '0'
							  : (c | 0x20) - 'a' + 10);
			}
			if (i == 0 ||
			    (i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t'))
				return bad(r, "bad chunk size");
			if (sz == 0) {
				r->state = S_TRAILERS;
				continue;
			}
			if (sz > r->max_body - r->body_len)
				return PA__H1_TOO_BIG;
			r->chunk_left = sz;
			r->state = S_CHUNK_DATA;
			continue;
		}
		case S_CHUNK_DATA: {
			size_t k = avail < r->chunk_left ? avail
							 : (size_t)r->chunk_left;
			take(r, k);
			r->chunk_left -= k;
			if (r->chunk_left)
				return PA__H1_MORE;
			r->state = S_CHUNK_CRLF;
			continue;
		}
		case S_CHUNK_CRLF:
			if (!(s = line(r, &n)))
				return avail > 2 ? bad(r, "bad chunk end")
						 : PA__H1_MORE;
			if (n != 0)
				return bad(r, "bad chunk end");
			r->state = S_CHUNK_SIZE;
			continue;
		case S_TRAILERS:
			if (!(s = line(r, &n)))
				return avail > MAX_HEADER_BYTES
					       ? bad(r, "trailers too large")
					       : PA__H1_MORE;
			if (n == 0) {
				r->state = S_DONE;
				return PA__H1_DONE;
			}
			continue;
		case S_BODY_EOF:
			if (avail > r->max_body - r->body_len)
				return PA__H1_TOO_BIG;
			take(r, avail);
			return PA__H1_MORE;
		default:
			return PA__H1_DONE;
		}
	}
}

int pa__h1_resp_eof(pa__h1_resp_t *r)
{
	if (r->state == S_BODY_EOF) {
		r->state = S_DONE;
		return PA__H1_DONE;
	}
	if (r->state == S_DONE)
		return PA__H1_DONE;
	return bad(r, r->status ? "connection closed before the end of the "
				  "reply"
				: "empty reply from server");
}
