/* httpcall.h -- one blocking HTTP request (libcurl easy) made from a helper
 * thread while the calling thread runs a pw_loop, so a test can talk to a
 * listener served by that loop and see everything a real client sees
 * (status, Content-Type, body), from a chosen loopback source address;
 * or the same request on the calling thread (pwt_call_blocking).
 * Not here: the server side (testhttp.h is a scripted server). */
#ifndef PWT_HTTPCALL_H
#define PWT_HTTPCALL_H

#include <stddef.h>

#include "core/loop.h"

typedef struct pwt_call {
	/* in */
	const char *method;    /* NULL = GET, or POST when body is set */
	const char *url;
	const char *body;      /* NULL = none */
	size_t body_len;       /* 0 = strlen(body) */
	const char *source_ip; /* local address to bind ("127.0.0.2"); NULL */
	/* out */
	long status;        /* 0 when no HTTP answer */
	char ctype[128];    /* Content-Type of the answer, "" when none */
	char *resp;         /* NUL-terminated body (new; pwt_call_free) */
	size_t resp_len;
	char err[256];      /* curl's message when status is 0 */
} pwt_call_t;

/* Runs c from a thread and loop iterations here until it finished or
 * timeout_ms (stretched by pwt_ms) passed. Returns 1 when an HTTP answer
 * arrived. */
int pwt_call_run(pw_loop_t *loop, pwt_call_t *c, long timeout_ms);
/* The same request made on this thread, for servers that do not run on a
 * loop of the caller's (child processes): blocks until the answer or
 * timeout_ms (stretched by pwt_ms). Returns 1 when an HTTP answer arrived;
 * c->resp is set either way (pwt_call_free). */
int pwt_call_blocking(pwt_call_t *c, long timeout_ms);
/* Frees c->resp. */
void pwt_call_free(pwt_call_t *c);

#endif
