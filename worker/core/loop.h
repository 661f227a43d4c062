/* loop.h -- the event loop every program runs on (Redis ae.c's shape).
 * Owns: fd watches (epoll), a min-heap of one-shot timers, the phase order
 *       io -> expired timers -> before_sleep -> epoll_wait(next deadline).
 * Not here: curl (loop_curl.c), Kafka (loop_kafka.c), HTTP (http.c). */
#ifndef PW_LOOP_H
#define PW_LOOP_H

#include <stdint.h>

#include "payatom/error.h"

typedef struct pw_loop pw_loop_t;
typedef struct pw_timer pw_timer_t;

#define PW_READ 0x1
#define PW_WRITE 0x2

typedef void (*pw_io_cb)(pw_loop_t *loop, int fd, int events, void *ud);
typedef void (*pw_timer_cb)(pw_loop_t *loop, pw_timer_t *t, void *ud);
typedef void (*pw_hook_cb)(pw_loop_t *loop, void *ud);

/* New loop (caller frees with pw_loop_destroy()). */
pa_err_t pw_loop_new(pw_loop_t **out);
/* Frees timers still pending (without calling them). NULL is a safe no-op. */
void pw_loop_destroy(pw_loop_t *loop);

/* Watch fd for events (PW_READ|PW_WRITE); replaces an earlier watch of the
 * same fd. events == 0 removes the watch. */
pa_err_t pw_loop_watch(pw_loop_t *loop, int fd, int events, pw_io_cb cb,
		       void *ud);
void pw_loop_unwatch(pw_loop_t *loop, int fd);

/* One-shot timer after ms milliseconds (0 = next iteration).
 * New (owned by the loop; freed after it fires or by pw_timer_cancel()). */
pw_timer_t *pw_timer_add(pw_loop_t *loop, int64_t ms, pw_timer_cb cb, void *ud);
/* Cancels a pending timer. NULL is a safe no-op. Must not be called on a
 * timer whose callback already returned. */
void pw_timer_cancel(pw_loop_t *loop, pw_timer_t *t);

/* Called once per iteration after timers, before blocking. */
void pw_loop_set_before_sleep(pw_loop_t *loop, pw_hook_cb cb, void *ud);

/* Runs until pw_loop_stop(). */
void pw_loop_run(pw_loop_t *loop);
/* One iteration, blocking at most max_wait_ms (-1 = until next deadline). */
void pw_loop_run_once(pw_loop_t *loop, int max_wait_ms);
void pw_loop_stop(pw_loop_t *loop);
/* Monotonic milliseconds, cached per iteration. */
int64_t pw_loop_now(const pw_loop_t *loop);
/* Monotonic ms of the last completed iteration (for /healthz). */
int64_t pw_loop_last_tick(const pw_loop_t *loop);

/* Monotonic ms, uncached. */
int64_t pw_now_ms(void);

#endif
