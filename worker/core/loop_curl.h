/* loop_curl.h -- runs a libpayatom client (pa_client_t) on a pw_loop.
 * Owns: the binding: client socket callback -> pw_loop_watch, client timer
 *       callback -> one pw_timer re-armed when the deadline changes, expiry
 *       -> pa_client_timeout_action (curl's ephiperfifo.c pattern).
 * Not here: HTTP itself (lib/client.c), the loop (loop.c). */
#ifndef PW_LOOP_CURL_H
#define PW_LOOP_CURL_H

#include "core/loop.h"
#include "payatom/client.h"

typedef struct pw_loop_curl pw_loop_curl_t;

/* Binds cli to loop: installs the client's socket and timer callbacks (do
 * not set them yourself afterwards). Attach before the first
 * pa_client_send. New (caller frees with pw_loop_curl_detach()); loop and
 * cli are borrowed and must outlive the binding.
 * Errors: PA_INVAL, PA_NOMEM. */
pa_err_t pw_loop_curl_attach(pw_loop_t *loop, pa_client_t *cli,
			     pw_loop_curl_t **out);
/* Unbinds: clears the client's callbacks, stops watching every fd the
 * client asked for, cancels the timer. Call it before pa_client_destroy()
 * (it touches the client). NULL is a safe no-op. */
void pw_loop_curl_detach(pw_loop_curl_t *lc);

/* Number of fds currently watched for the client (for tests/metrics). */
size_t pw_loop_curl_watched(const pw_loop_curl_t *lc);

#endif
