/* http.h -- the shared HTTP listener: libmicrohttpd driven by pw_loop.
 * Owns: one MHD daemon in MHD_USE_EPOLL mode (no internal thread) whose epoll
 *       fd is watched by the loop, MHD_get_timeout -> one pw_timer, request
 *       body accumulation with a size cap (413), routing by method + path
 *       prefix, delayed answers (suspend/resume), client IP, connection reset,
 *       the limits against slow or greedy clients (a total deadline per
 *       request, a cap per client address) and answers to clients that
 *       half-closed their side after the request.
 * Not here: what any route answers (sandbox routes.c, worker
 *           webhook_ingress.c, metrics.c), the event loop itself (loop.c).
 *
 * A handler is called once per request, after the whole body arrived. It
 * either answers at once with pw_http_reply() or keeps the request and
 * answers later (from a timer or another event): the connection is then
 * suspended, costing no thread and no polling, and resumed by the reply.
 * Many thousands of requests can be held this way at once.
 *
 * Everything here runs on the loop's thread: call these functions from loop
 * callbacks only, and never pw_http_destroy() from inside a handler. */
#ifndef PW_HTTP_H
#define PW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "payatom/error.h"

typedef struct pw_http pw_http_t;
typedef struct pw_http_req pw_http_req_t;

/* Called once per request, with the complete body. req is borrowed: valid
 * until the handler (or anyone it hands req to) calls pw_http_reply() /
 * pw_http_abort(), or until the abort callback set with
 * pw_http_req_on_abort() runs. */
typedef void (*pw_http_handler)(pw_http_req_t *req, void *ud);
/* Called when a request still waiting for its answer is dropped by the
 * listener (pw_http_destroy()). req must not be used after it returns. */
typedef void (*pw_http_abort_cb)(pw_http_req_t *req, void *ud);

typedef struct pw_http_opts {
	const char *bind_addr;   /* numeric IPv4/IPv6; NULL = "127.0.0.1" */
	uint16_t port;           /* 0 = ephemeral (see pw_http_port()) */
	size_t max_body;         /* bytes; larger bodies get 413; 0 = 64 KiB */
	unsigned conn_limit;     /* max open connections; 0 = 16384 */
	unsigned idle_timeout_s; /* idle keep-alive connections closed; 0 = 60 */
	/* Total time a request's headers and body may take to arrive, counted
	 * from the connection's start (or the previous answer on a kept-alive
	 * connection), not reset by each byte: a client trickling bytes
	 * (slowloris) is closed when it passes. 0 = no deadline. */
	unsigned request_timeout_ms;
	/* Open connections one client address may hold; more are closed as
	 * they are accepted. 0 = no cap. */
	unsigned per_ip_limit;
} pw_http_opts_t;

/* Starts listening (the socket is bound and listening on return) and watches
 * the daemon from loop. New (caller frees with pw_http_destroy(), before the
 * loop). errbuf (PA_ERRBUF_SIZE, may be NULL) gets the reason on failure:
 * PA_INVAL (bad address), PA_IO (bind/listen failed). */
pa_err_t pw_http_new(pw_loop_t *loop, const pw_http_opts_t *opts,
		     pw_http_t **out, char *errbuf);
/* Stops listening; requests still held are dropped (their abort callbacks
 * run first). NULL is a safe no-op. */
void pw_http_destroy(pw_http_t *http);
/* The port actually bound (useful with port 0). */
uint16_t pw_http_port(const pw_http_t *http);

/* Routes requests whose method equals `method` (NULL or "*" = any) and whose
 * path starts with `path_prefix` to cb. The longest matching prefix wins;
 * among equal prefixes the first registered. No route -> 404. Strings are
 * copied. */
pa_err_t pw_http_route(pw_http_t *http, const char *method,
		       const char *path_prefix, pw_http_handler cb, void *ud);

/* --- request accessors (all borrowed, valid as long as req) --- */
const char *pw_http_method(const pw_http_req_t *req);
/* Path without the query string. */
const char *pw_http_path(const pw_http_req_t *req);
/* Query-string argument (URL-decoded) or NULL. */
const char *pw_http_query(const pw_http_req_t *req, const char *key);
/* Request header (case-insensitive name) or NULL. */
const char *pw_http_header(const pw_http_req_t *req, const char *name);
/* The complete body (not NUL-terminated; *len may be 0). */
const uint8_t *pw_http_body(const pw_http_req_t *req, size_t *len);
/* Peer address as numeric text ("127.0.0.1", "::1"). */
const char *pw_http_client_ip(const pw_http_req_t *req);
/* The listener the request came in on. */
pw_http_t *pw_http_of(const pw_http_req_t *req);

/* Per-request pointer for the handler's own use (NULL initially). */
void pw_http_req_set_ud(pw_http_req_t *req, void *ud);
void *pw_http_req_ud(const pw_http_req_t *req);
/* Abort notification for a request the handler keeps (see above). */
void pw_http_req_on_abort(pw_http_req_t *req, pw_http_abort_cb cb, void *ud);

/* Adds a response header for the coming reply (copied). */
pa_err_t pw_http_add_header(pw_http_req_t *req, const char *name,
			    const char *value);
/* Answers req (body copied; content_type may be NULL). From within the
 * handler or later; req is invalid afterwards. */
pa_err_t pw_http_reply(pw_http_req_t *req, int status,
		       const char *content_type, const void *body,
		       size_t len);
/* Answers with a Content-Length of `len` but sends only the first `sent`
 * bytes of body, then closes the connection: a truncated reply as a broken
 * proxy produces it (fault injection). req is invalid afterwards. */
pa_err_t pw_http_reply_truncated(pw_http_req_t *req, int status,
				 const char *content_type, const void *body,
				 size_t len, size_t sent);
/* Closes the connection without an answer; with `reset` the peer sees a TCP
 * RST (SO_LINGER 0) rather than a FIN. req is invalid afterwards. */
void pw_http_abort(pw_http_req_t *req, int reset);

/* Requests whose answer is pending right now, and the highest it has been
 * since the listener started (for the sandbox's in-flight counters). */
typedef struct pw_http_stats {
	uint64_t requests;     /* handlers called */
	uint64_t replies;      /* answers queued */
	uint64_t too_big;      /* 413 answers */
	uint64_t not_found;    /* 404 answers */
	uint64_t late;         /* closed: request not complete in time */
	uint64_t half_closed;  /* answers to clients that shut their side */
	unsigned in_flight;    /* dispatched, not yet answered */
	unsigned in_flight_max;
	unsigned connections;  /* open now */
} pw_http_stats_t;
void pw_http_get_stats(const pw_http_t *http, pw_http_stats_t *st);

#endif
