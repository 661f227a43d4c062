/* client_h1.h -- libpayatom's own HTTP/1.1 engine behind pa_client_t (the
 * default engine; client.c keeps libcurl's for proxies). Internal to
 * libpayatom.
 * Owns: the engine's entry points (client_h1.c) and the wire formats it
 *       reads and writes (client_h1_wire.c: URLs, requests, responses),
 *       which have no I/O and are tested (and fuzzed) alone.
 * Not here: the public API and argument checks (client.c).
 *
 * Why an engine of our own: with a thousand calls in flight libcurl 7.88
 * walks its whole connection cache twice per call (connection reuse and
 * curl_multi_remove_handle) and assembles every request header with its
 * printf; measured on the worker at 1,000 calls in flight it cost ~57 us
 * of CPU per call against ~8 for this engine, and ~10 KB per connection
 * against ~1 (docs/performance.md). */
#ifndef PA_CLIENT_H1_H
#define PA_CLIENT_H1_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/client.h"

/* ---- URLs --------------------------------------------------------------- */

typedef struct pa__url {
	int tls;	/* https */
	char host[256]; /* name or address, IPv6 without brackets */
	int ip6;	/* host is an IPv6 literal */
	uint16_t port;
	int default_port; /* port is the scheme's (Host: without it) */
	const char *path; /* path and query of the URL passed (fragment cut) */
	size_t path_len;  /* 0: "/" */
} pa__url_t;

/* Parses an http:// or https:// URL (scheme case-insensitive; host a name,
 * an IPv4 or a bracketed IPv6 address; optional port; no credentials, no
 * spaces or control characters). u->path points into url. Errors:
 * PA_INVAL with a message. */
pa_err_t pa__url_parse(const char *url, pa__url_t *u, char *errbuf);

/* ---- requests ----------------------------------------------------------- */

/* Appends the request to *buf (grown with realloc; len and cap updated):
 * "METHOD path HTTP/1.1", Host, User-Agent, Accept (any type), the caller's
 * headers (names and values checked by client.c), a Content-Length when
 * there is a body or the method carries one (POST, PUT, PATCH and others
 * but GET, HEAD, DELETE, OPTIONS), a Content-Type
 * application/x-www-form-urlencoded for a POST body without one (what
 * libcurl adds), then the body. Errors: PA_NOMEM. */
pa_err_t pa__h1_request(const pa__url_t *u, const char *method,
			const struct pa_header *hs, size_t nh,
			const char *body, size_t body_len, const char *ua,
			char **buf, size_t *len, size_t *cap);

/* ---- responses ---------------------------------------------------------- */

enum {
	PA__H1_MORE = 0, /* need more bytes */
	PA__H1_DONE,	 /* a whole response (1xx skipped) */
	PA__H1_BAD,	 /* not an HTTP/1.x response: the connection is
			    unusable (curl's "weird server reply") */
	PA__H1_TOO_BIG,	 /* body over max_body */
};

typedef struct pa__h1_resp {
	char *buf; /* bytes read so far; the body is decoded in place */
	size_t len, cap;
	size_t max_body;
	int head; /* the request was HEAD: no body whatever the headers say */
	/* parser state */
	int state;
	size_t pos;	   /* next byte to parse */
	size_t hdr_bytes;  /* header bytes of this response so far */
	long status;	   /* 0 until a status line was read */
	int keep_alive;	   /* the connection may serve another request */
	int chunked;
	int64_t clen;	   /* Content-Length, -1 none */
	long retry_after;  /* seconds, 0 none */
	size_t body_off;   /* the decoded body: buf + body_off, body_len */
	size_t body_len;
	uint64_t chunk_left;
	char why[96]; /* what was wrong with a PA__H1_BAD response */
} pa__h1_resp_t;

/* Starts a response read for a request (head: HEAD). The buffer is kept. */
void pa__h1_resp_reset(pa__h1_resp_t *r, size_t max_body, int head);
/* Makes room for at least want more bytes at buf + len. PA_NOMEM. */
pa_err_t pa__h1_resp_room(pa__h1_resp_t *r, size_t want);
/* Parses what was appended (len grew). PA__H1_*. */
int pa__h1_resp_parse(pa__h1_resp_t *r);
/* The peer closed: PA__H1_DONE when the body runs to the close (neither
 * chunked nor a length), else PA__H1_BAD. */
int pa__h1_resp_eof(pa__h1_resp_t *r);

/* ---- classification (client_class.c) ------------------------------------ */

/* A reply's HTTP status as client.h classifies it (2xx PA_OK, 429, 5xx,
 * 401/403, 408, other PA_HTTP_STATUS). */
pa_err_t pa__classify_status(long status);
/* A libcurl result (CURLcode) as client.h classifies it; too_big: the
 * write callback refused an oversized body. */
pa_err_t pa__classify_curl(int code, int too_big);

/* ---- the engine (client_h1.c) ------------------------------------------ */

typedef struct pa__h1 pa__h1_t;

/* o: the client's options with defaults filled in (copied; its strings
 * must outlive the engine); owner is passed to reply callbacks. */
pa_err_t pa__h1_new(const pa_client_opts_t *o, pa_client_t *owner,
		    pa__h1_t **out);
void pa__h1_destroy(pa__h1_t *h);
void pa__h1_set_socket_cb(pa__h1_t *h, pa_socket_cb cb, void *ud);
void pa__h1_set_timer_cb(pa__h1_t *h, pa_timer_cb cb, void *ud);
/* req checked by client.c. A pa_call_t of this engine is its own call
 * type (opaque to everyone else). */
pa_err_t pa__h1_send(pa__h1_t *h, const pa_request_t *req, pa_reply_cb cb,
		     void *ud, pa_call_t **call_out, char *errbuf);
void pa__h1_cancel(pa__h1_t *h, pa_call_t *call);
pa_err_t pa__h1_socket_action(pa__h1_t *h, int fd, int events);
pa_err_t pa__h1_timeout_action(pa__h1_t *h);
pa_err_t pa__h1_next_timeout(pa__h1_t *h, long *ms);
pa_err_t pa__h1_perform(pa__h1_t *h, int max_wait_ms);
size_t pa__h1_in_flight(const pa__h1_t *h);
void pa__h1_stats(const pa__h1_t *h, pa_client_stats_t *st);

#endif
