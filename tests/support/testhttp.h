/* testhttp.h -- a small scripted HTTP/1.1 server on 127.0.0.1 for tests.
 * Owns: one listening socket on an ephemeral loopback port served by one
 *       thread (poll, many connections, keep-alive, pipelining), per-path
 *       scripted behaviours (reply, delay, hang, drop, drop mid-reply,
 *       garbage, oversized body, echo), counters and a record of requests.
 *       A TLS ClientHello is answered with a plain "400" and a close, as
 *       a plain HTTP server does (clients see a TLS handshake failure).
 * Not here: TLS; request bodies with chunked transfer encoding (requests
 *           must carry Content-Length or no body). */
#ifndef PWT_TESTHTTP_H
#define PWT_TESTHTTP_H

#include <stddef.h>

typedef struct pwt_http pwt_http_t;

typedef enum pwt_http_kind {
	PWT_HTTP_REPLY = 0, /* status + body (+ extra headers) */
	PWT_HTTP_ECHO,      /* status + the request body as reply body */
	PWT_HTTP_HANG,      /* read the request, never answer */
	PWT_HTTP_DROP,      /* close as soon as the request is read */
	PWT_HTTP_DROP_MID,  /* headers announcing the body, half of it, close */
	PWT_HTTP_GARBAGE,   /* non-HTTP bytes, then close */
} pwt_http_kind_t;

typedef struct pwt_http_behaviour {
	pwt_http_kind_t kind;
	int status;       /* 0 -> 200 */
	const char *body; /* copied; NULL -> empty */
	size_t body_len;  /* 0 -> strlen(body) */
	size_t fill_len;  /* > 0: the body is fill_len bytes of 'x' instead */
	int chunked;      /* body sent chunked, without Content-Length */
	int delay_ms;     /* wait this long before acting */
	int close;        /* "Connection: close" and close after the reply */
	const char *extra_headers; /* raw "Name: v\r\n" lines; copied */
} pwt_http_behaviour_t;

/* Starts the server thread. New (caller frees with pwt_http_stop()); NULL on
 * failure. Every path answers 200 "ok" until routed otherwise. */
pwt_http_t *pwt_http_start(void);
/* Stops the thread, closes every connection, frees. NULL is a safe no-op. */
void pwt_http_stop(pwt_http_t *srv);

/* Closes every idle keep-alive connection (as a load balancer's idle
 * timeout does); returns once done. */
void pwt_http_close_idle(pwt_http_t *srv);

int pwt_http_port(const pwt_http_t *srv);
/* "http://127.0.0.1:<port><path>" into buf; returns buf. */
const char *pwt_http_url(const pwt_http_t *srv, const char *path, char *buf,
			 size_t size);

/* Scripts the answer for requests whose path (query string excluded) equals
 * path; path "*" sets the default. Replaces an earlier route of the same
 * path. Thread-safe. Returns 0, or -1 when out of memory. */
int pwt_http_route(pwt_http_t *srv, const char *path,
		   const pwt_http_behaviour_t *b);

/* Counters since start (thread-safe). */
size_t pwt_http_connections(pwt_http_t *srv); /* accepted */
size_t pwt_http_requests(pwt_http_t *srv);    /* fully read requests */
size_t pwt_http_open_connections(pwt_http_t *srv);

/* A recorded request (the first 4096 are kept). */
typedef struct pwt_http_request {
	char method[16];
	char path[512];   /* with the query string */
	char *headers;    /* raw header block without the request line, NUL
			     terminated */
	char *body;       /* body_len bytes, NUL terminated */
	size_t body_len;
} pwt_http_request_t;

/* Copies recorded request i (0 = first) into *out. Returns 0, or -1 when
 * there is no such request. New (caller frees with
 * pwt_http_request_free()). */
int pwt_http_request_at(pwt_http_t *srv, size_t i, pwt_http_request_t *out);
void pwt_http_request_free(pwt_http_request_t *req);
/* Value of header name (case-insensitive) into buf, trimmed. Returns buf,
 * or NULL when absent. */
const char *pwt_http_header(const pwt_http_request_t *req, const char *name,
			    char *buf, size_t size);

#endif
