/* client.h -- the asynchronous HTTP client of libpayatom (libcurl multi).
 * Owns: sending pa_request_t, connection reuse, timeouts, size limits and the
 *       classification of every reply into success / retryable / fatal.
 *       Hands its sockets and its one timeout to the caller's event loop the
 *       way curl_multi_socket_action does; pa_client_perform() is a blocking
 *       convenience for programs without a loop.
 * Not here: building requests and parsing bodies (api.h: a gateway error
 *           arrives as HTTP 200 and is the parsers' job), the worker's loop
 *           adapter (worker/core/loop_curl.h). Not thread-safe: one client is
 *           used from one thread. */
#ifndef PAYATOM_CLIENT_H
#define PAYATOM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"
#include "payatom/request.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pa_client pa_client_t;
typedef struct pa_call pa_call_t;

typedef struct pa_client_opts {
	long connect_timeout_ms;  /* 0 -> 10000 */
	long total_timeout_ms;    /* whole transfer; 0 -> 30000 */
	size_t max_response_bytes; /* 0 -> 1 MiB (PA_CLIENT_DEFAULT_MAX_BODY) */
	int tls_no_verify;  /* 0 (default) = verify peer and host name */
	const char *ca_file; /* PEM bundle; NULL = system default. Copied. */
	long max_host_connections;  /* per host; 0 = unlimited */
	long max_total_connections; /* 0 = unlimited */
	const char *user_agent; /* NULL -> "libpayatom/0.1". Copied. */
	/* PA_CLIENT_ENGINE_AUTO (0): libpayatom's own HTTP/1.1 engine,
	 * unless a proxy is set in the environment (http_proxy, https_proxy,
	 * HTTPS_PROXY, all_proxy, ALL_PROXY): then libcurl's, which honours
	 * it. _BUILTIN / _CURL: that engine whatever the environment. Both
	 * classify replies as below and pass the same tests. */
	int engine;
} pa_client_opts_t;

#define PA_CLIENT_ENGINE_AUTO 0
#define PA_CLIENT_ENGINE_BUILTIN 1
#define PA_CLIENT_ENGINE_CURL 2

#define PA_CLIENT_DEFAULT_MAX_BODY (1024u * 1024u)

typedef enum pa_outcome {
	PA_OUTCOME_SUCCESS = 0,
	PA_OUTCOME_RETRYABLE,
	PA_OUTCOME_FATAL,
} pa_outcome_t;

/* The result of one call. Classification (err -> outcome):
 *   2xx                                -> PA_OK           SUCCESS
 *   timeout (connect or total), 408    -> PA_TIMEOUT      RETRYABLE
 *   refused, DNS, reset, dropped mid-reply, empty or non-HTTP reply
 *                                      -> PA_CONNECT      RETRYABLE
 *   5xx                                -> PA_HTTP_5XX     RETRYABLE
 *   429                                -> PA_RATE_LIMITED RETRYABLE
 *                     (both: retry_after_s from a Retry-After header)
 *   401, 403                           -> PA_AUTH         FATAL
 *   other 1xx/3xx/4xx (no redirects)   -> PA_HTTP_STATUS  FATAL
 *   body over max_response_bytes       -> PA_TOO_BIG      FATAL
 *   TLS handshake / verification       -> PA_TLS          FATAL
 *   URL curl cannot parse              -> PA_INVAL        FATAL
 *   any other transport error          -> PA_IO           RETRYABLE
 * outcome is always pa_err_is_retryable()/pa_err_is_fatal() of err. */
typedef struct pa_reply {
	pa_err_t err;
	pa_outcome_t outcome;
	long http_status;   /* 0 when no HTTP status line was received */
	const char *body;   /* borrowed (valid until the callback returns);
			       NUL terminated for convenience, but body_len
			       is authoritative; never NULL */
	size_t body_len;
	double total_s;     /* curl's total time of the transfer */
	long retry_after_s; /* Retry-After of a 429/5xx in seconds (an HTTP
			       date is converted), 0 when absent */
	pa_op_t op;              /* copied from the request */
	const char *order_id;    /* copied from the request; borrowed */
	char errmsg[PA_ERRBUF_SIZE]; /* one line, empty on success */
} pa_reply_t;

/* Called once per call that was not cancelled, from inside
 * pa_client_socket_action(), pa_client_timeout_action() or
 * pa_client_perform(). The callback may send new requests and cancel other
 * calls; it must not destroy the client nor drive it (no *_action/perform). */
typedef void (*pa_reply_cb)(pa_client_t *cli, const pa_reply_t *reply,
			    void *ud);

/* Poll interest passed to the socket callback (values equal curl's
 * CURL_POLL_*): watch fd for reading / writing / both, or stop watching. */
#define PA_POLL_IN 1
#define PA_POLL_OUT 2
#define PA_POLL_INOUT 3
#define PA_POLL_REMOVE 4
/* Readiness passed to pa_client_socket_action() (curl's CURL_CSELECT_*). */
#define PA_CSELECT_IN 1
#define PA_CSELECT_OUT 2
#define PA_CSELECT_ERR 4

typedef void (*pa_socket_cb)(int fd, int what, void *ud);
/* timeout_ms: -1 = no timer needed (delete it); 0 = call
 * pa_client_timeout_action() as soon as possible; > 0 = after that many ms.
 * Called only when the deadline changes (CURLMOPT_TIMERFUNCTION). Must not
 * call back into the client. */
typedef void (*pa_timer_cb)(long timeout_ms, void *ud);

/* New client (caller frees with pa_client_destroy()). opts may be NULL for
 * all defaults; it is copied. *out not valid unless PA_OK is returned.
 * Errors: PA_INVAL, PA_NOMEM, PA_INTERNAL (curl could not start). */
pa_err_t pa_client_new(const pa_client_opts_t *opts, pa_client_t **out);
/* Aborts every call still in flight without calling its callback, closes
 * connections. Must not be called from a reply callback. NULL is a safe
 * no-op. */
void pa_client_destroy(pa_client_t *cli);

/* Starts a request. Everything needed is copied from req (URL, method,
 * headers, body, order_id): req may be freed on return. Header names and
 * values must not contain CR or LF, names no ':' (one "name: value" line
 * at most 4 KiB); method NULL means GET without a body and
 * POST with one. cb is called exactly once unless the call is cancelled.
 * *call_out (optional; borrowed, valid until cb is entered or
 * pa_client_cancel() returns) identifies the call for cancelling.
 * Errors: PA_INVAL (URL not http:// or https://, bad method or header),
 * PA_NOMEM, PA_INTERNAL.
 * On error cb is never called. Details: pa_client_last_error().
 * The client's copies of header values, body and reply are wiped when the
 * call ends (they carry credentials and personal data); the client never
 * logs. */
pa_err_t pa_client_send(pa_client_t *cli, const pa_request_t *req,
			pa_reply_cb cb, void *ud, pa_call_t **call_out);
/* Aborts an in-flight call; its callback is never called. call must be
 * valid (see pa_client_send). NULL is a safe no-op. */
void pa_client_cancel(pa_client_t *cli, pa_call_t *call);

/* Event-loop integration (curl's multi_socket model). Set both callbacks
 * before the first send, then call the actions when the loop sees
 * readiness or the timer expires. Replies are delivered from inside them. */
void pa_client_set_socket_cb(pa_client_t *cli, pa_socket_cb cb, void *ud);
void pa_client_set_timer_cb(pa_client_t *cli, pa_timer_cb cb, void *ud);
/* events: PA_CSELECT_* bits seen on fd. Errors: PA_INTERNAL (curl). */
pa_err_t pa_client_socket_action(pa_client_t *cli, int fd, int events);
pa_err_t pa_client_timeout_action(pa_client_t *cli);
/* curl's current deadline (curl_multi_timeout): *ms = -1 none, 0 now, > 0
 * in that many ms. For loops that poll instead of using the timer cb. */
pa_err_t pa_client_next_timeout(pa_client_t *cli, long *ms);

/* Blocking convenience (do not mix with the callbacks above on one client):
 * drives transfers, waits at most max_wait_ms for activity, delivers the
 * replies that completed. Returns PA_OK or PA_INTERNAL. */
pa_err_t pa_client_perform(pa_client_t *cli, int max_wait_ms);

/* Calls in flight (sent, neither delivered nor cancelled). */
size_t pa_client_in_flight(const pa_client_t *cli);

typedef struct pa_client_stats {
	uint64_t sent;        /* pa_client_send successes */
	uint64_t completed;   /* callbacks delivered */
	uint64_t cancelled;
	uint64_t new_connections; /* connections opened (not reused) */
} pa_client_stats_t;
void pa_client_get_stats(const pa_client_t *cli, pa_client_stats_t *st);

/* Message of the last failed pa_client_new/send/action. Borrowed (valid
 * until the next call on cli); "" when none. */
const char *pa_client_last_error(const pa_client_t *cli);

#ifdef __cplusplus
}
#endif
#endif
