/* loop.h -- the event loop every program runs on (Redis ae.c's shape).
 * Owns: fd watches (epoll), a min-heap of one-shot timers, the phase order
 *       io -> expired timers -> before_sleep -> epoll_wait(next deadline).
 * Not here: curl (loop_curl.c), Kafka (loop_kafka.c), HTTP (http.c). */
#ifndef PW_LOOP_H
#define PW_LOOP_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"

typedef struct pw_loop pw_loop_t;
typedef struct pw_timer pw_timer_t;

#define PW_READ 0x1
#define PW_WRITE 0x2
/* Reported (never requested) with the others on EPOLLERR/EPOLLHUP. */
#define PW_ERROR 0x4

typedef void (*pw_io_cb)(pw_loop_t *loop, int fd, int events, void *ud);
typedef void (*pw_timer_cb)(pw_loop_t *loop, pw_timer_t *t, void *ud);
typedef void (*pw_hook_cb)(pw_loop_t *loop, void *ud);

/* New loop (caller frees with pw_loop_destroy()). */
pa_err_t pw_loop_new(pw_loop_t **out);
/* Frees timers still pending (without calling them). NULL is a safe no-op. */
void pw_loop_destroy(pw_loop_t *loop);

/* Watch fd for events (PW_READ|PW_WRITE); replaces an earlier watch of the
 * same fd. events == 0 removes the watch. The callback gets the ready subset
 * (PW_READ and PW_WRITE both set, plus PW_ERROR, on error or hang-up).
 * Errors: PA_INVAL (fd < 0, bad events), PA_NOMEM, PA_IO (epoll_ctl). */
pa_err_t pw_loop_watch(pw_loop_t *loop, int fd, int events, pw_io_cb cb,
		       void *ud);
/* Removes a watch; an fd that is not watched (or already closed) is a safe
 * no-op. Events already collected for fd in this iteration are dropped. */
void pw_loop_unwatch(pw_loop_t *loop, int fd);

/* One-shot timer after ms milliseconds (0 or negative = next iteration),
 * measured from pw_loop_now(). Timers fire in deadline order; equal deadlines
 * fire in the order they were added. A timer added from a timer callback
 * never fires in the same timer phase.
 * New (owned by the loop; freed after it fires or by pw_timer_cancel()).
 * NULL on out of memory or bad arguments. */
pw_timer_t *pw_timer_add(pw_loop_t *loop, int64_t ms, pw_timer_cb cb, void *ud);
/* Cancels a pending timer. NULL is a safe no-op. Must not be called on a
 * timer whose callback already started (it is freed when it fires). */
void pw_timer_cancel(pw_loop_t *loop, pw_timer_t *t);

/* Called once per iteration after timers, before blocking. */
void pw_loop_set_before_sleep(pw_loop_t *loop, pw_hook_cb cb, void *ud);

/* Number of pending timers. */
size_t pw_loop_timer_count(const pw_loop_t *loop);

/* Runs iterations until pw_loop_stop() (which may be called from any
 * callback; the current iteration completes). */
void pw_loop_run(pw_loop_t *loop);
/* One iteration: epoll_wait (at most until the next timer deadline, and at
 * most max_wait_ms; -1 = no extra bound) -> io callbacks -> expired timers
 * -> before_sleep. */
void pw_loop_run_once(pw_loop_t *loop, int max_wait_ms);
void pw_loop_stop(pw_loop_t *loop);
/* Monotonic milliseconds, cached per iteration. */
int64_t pw_loop_now(const pw_loop_t *loop);
/* Monotonic ms of the last completed iteration (for /healthz). */
int64_t pw_loop_last_tick(const pw_loop_t *loop);

/* Monotonic ms, uncached. */
int64_t pw_now_ms(void);

#endif
