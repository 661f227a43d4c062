/* loop.c -- the event loop: epoll fd watches, a min-heap of timers and a
 * before_sleep hook, run in one fixed phase order (see loop.h).
 * Owns: the fd table, the timer heap, the cached clock.
 * Not here: what the callbacks do; curl (loop_curl.c), Kafka (loop_kafka.c),
 *           the HTTP listener (http.c). */
#include "loop.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define MAX_EVENTS 256

struct pw_timer {
	int64_t deadline;
	uint64_t seq; /* insertion order: ties fire first-in first-out */
	size_t idx;   /* position in the heap */
	pw_timer_cb cb;
	void *ud;
};

/* One slot per fd number. gen changes each time the fd is (re)added so that
 * events collected before an unwatch + rewatch in the same iteration are
 * recognised as stale. */
struct watch {
	pw_io_cb cb;
	void *ud;
	int events;
	uint32_t gen;
};

struct pw_loop {
	int epfd;
	struct watch *fds;
	size_t nfds;

	pw_timer_t **heap;
	size_t nheap, capheap;
	uint64_t next_seq;

	pw_hook_cb before_sleep;
	void *before_sleep_ud;

	int64_t now;
	int64_t last_tick;
	int stop;
};

int64_t pw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

pa_err_t pw_loop_new(pw_loop_t **out)
{
	if (!out)
		return PA_INVAL;
	*out = NULL;
	pw_loop_t *loop = calloc(1, sizeof *loop);
	if (!loop)
		return PA_NOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return PA_IO;
	}
	loop->now = pw_now_ms();
	loop->last_tick = loop->now;
	*out = loop;
	return PA_OK;
}

void pw_loop_destroy(pw_loop_t *loop)
{
	if (!loop)
		return;
	for (size_t i = 0; i < loop->nheap; i++)
		free(loop->heap[i]);
	free(loop->heap);
	free(loop->fds);
	close(loop->epfd);
	free(loop);
}

/* ---- fd watches ---- */

static uint32_t to_epoll(int events)
{
	uint32_t ev = 0;
	if (events & PW_READ)
		ev |= EPOLLIN;
	if (events & PW_WRITE)
		ev |= EPOLLOUT;
	return ev;
}

static int grow_fds(pw_loop_t *loop, int fd)
{
	if ((size_t)fd < loop->nfds)
		return 0;
	size_t n = loop->nfds ? loop->nfds : 64;
	while (n <= (size_t)fd)
		n *= 2;
	struct watch *w = realloc(loop->fds, n * sizeof *w);
	if (!w)
		return -1;
	memset(w + loop->nfds, 0, (n - loop->nfds) * sizeof *w);
	loop->fds = w;
	loop->nfds = n;
	return 0;
}

pa_err_t pw_loop_watch(pw_loop_t *loop, int fd, int events, pw_io_cb cb,
		       void *ud)
{
	if (!loop || fd < 0 || (events & ~(PW_READ | PW_WRITE)))
		return PA_INVAL;
	if (events == 0) {
		pw_loop_unwatch(loop, fd);
		return PA_OK;
	}
	if (!cb)
		return PA_INVAL;
	if (grow_fds(loop, fd) != 0)
		return PA_NOMEM;
	struct watch *w = &loop->fds[fd];
	int was = w->cb != NULL;
	struct epoll_event ev = {.events = to_epoll(events)};
	uint32_t gen = was ? w->gen : w->gen + 1;
	ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)gen << 32);
	int rc = epoll_ctl(loop->epfd, was ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd,
			   &ev);
	/* The fd may have been closed and reopened behind our back (the
	 * kernel drops closed fds from the epoll set): retry the other op. */
	if (rc != 0 && was && errno == ENOENT) {
		gen = w->gen + 1;
		ev.data.u64 = (uint64_t)(uint32_t)fd | ((uint64_t)gen << 32);
		rc = epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
	} else if (rc != 0 && !was && errno == EEXIST) {
		rc = epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	if (rc != 0)
		return PA_IO;
	w->cb = cb;
	w->ud = ud;
	w->events = events;
	w->gen = gen;
	return PA_OK;
}

void pw_loop_unwatch(pw_loop_t *loop, int fd)
{
	if (!loop || fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].cb)
		return;
	/* Fails harmlessly (EBADF/ENOENT) when the fd is already closed. */
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->fds[fd].cb = NULL;
	loop->fds[fd].ud = NULL;
	loop->fds[fd].events = 0;
}

/* ---- timer heap (binary min-heap on (deadline, seq)) ---- */

static int before(const pw_timer_t *a, const pw_timer_t *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void heap_set(pw_loop_t *loop, size_t i, pw_timer_t *t)
{
	loop->heap[i] = t;
	t->idx = i;
}

static void sift_up(pw_loop_t *loop, size_t i)
{
	pw_timer_t *t = loop->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(t, loop->heap[parent]))
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void sift_down(pw_loop_t *loop, size_t i)
{
	pw_timer_t *t = loop->heap[i];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const pw_timer_t *best = t;
		if (l < loop->nheap && before(loop->heap[l], best)) {
			m = l;
			best = loop->heap[l];
		}
		if (r < loop->nheap && before(loop->heap[r], best))
			m = r;
		if (m == i)
			break;
		heap_set(loop, i, loop->heap[m]);
		i = m;
	}
	heap_set(loop, i, t);
}

static void heap_remove(pw_loop_t *loop, pw_timer_t *t)
{
	size_t i = t->idx;
	assert(i < loop->nheap && loop->heap[i] == t);
	loop->nheap--;
	if (i == loop->nheap)
		return;
	heap_set(loop, i, loop->heap[loop->nheap]);
	if (i > 0 && before(loop->heap[i], loop->heap[(i - 1) / 2]))
		sift_up(loop, i);
	else
		sift_down(loop, i);
}

pw_timer_t *pw_timer_add(pw_loop_t *loop, int64_t ms, pw_timer_cb cb, void *ud)
{
	if (!loop || !cb)
		return NULL;
	if (loop->nheap == loop->capheap) {
		size_t n = loop->capheap ? loop->capheap * 2 : 64;
		pw_timer_t **h = realloc(loop->heap, n * sizeof *h);
		if (!h)
			return NULL;
		loop->heap = h;
		loop->capheap = n;
	}
	pw_timer_t *t = malloc(sizeof *t);
	if (!t)
		return NULL;
	t->deadline = loop->now + (ms > 0 ? ms : 0);
	t->seq = loop->next_seq++;
	t->cb = cb;
	t->ud = ud;
	heap_set(loop, loop->nheap++, t);
	sift_up(loop, t->idx);
	return t;
}

void pw_timer_cancel(pw_loop_t *loop, pw_timer_t *t)
{
	if (!loop || !t)
		return;
	heap_remove(loop, t);
	free(t);
}

size_t pw_loop_timer_count(const pw_loop_t *loop)
{
	return loop ? loop->nheap : 0;
}

/* Fires every timer due at the cached now, in (deadline, seq) order. Timers
 * added by a callback carry seq >= limit and wait for the next iteration, so
 * a timer that re-adds itself with 0 ms cannot starve io. */
static void run_timers(pw_loop_t *loop)
{
	uint64_t limit = loop->next_seq;
	while (loop->nheap > 0) {
		pw_timer_t *t = loop->heap[0];
		if (t->deadline > loop->now || t->seq >= limit)
			break;
		heap_remove(loop, t);
		pw_timer_cb cb = t->cb;
		void *ud = t->ud;
		/* Freed after the call: the callback receives a pointer it may
		 * compare with one it stored, never one it may cancel. */
		cb(loop, t, ud);
		free(t);
	}
}

/* ms until the first timer is due: 0 when one is already due, -1 without
 * timers; bounded by max_wait_ms when that is >= 0. */
static int wait_ms(const pw_loop_t *loop, int max_wait_ms)
{
	int64_t ms = -1;
	if (loop->nheap > 0) {
		ms = loop->heap[0]->deadline - pw_now_ms();
		if (ms < 0)
			ms = 0;
		if (ms > 24 * 3600 * 1000)
			ms = 24 * 3600 * 1000;
	}
	if (max_wait_ms >= 0 && (ms < 0 || ms > max_wait_ms))
		ms = max_wait_ms;
	return (int)ms;
}

static void run_io(pw_loop_t *loop, const struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		if ((size_t)fd >= loop->nfds)
			continue;
		struct watch *w = &loop->fds[fd];
		if (!w->cb || w->gen != gen)
			continue; /* unwatched (or replaced) earlier this pass */
		int got = 0;
		if (evs[i].events & EPOLLIN)
			got |= PW_READ;
		if (evs[i].events & EPOLLOUT)
			got |= PW_WRITE;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			got |= PW_READ | PW_WRITE | PW_ERROR;
		got &= w->events | PW_ERROR;
		if (got)
			w->cb(loop, fd, got, w->ud);
	}
}

void pw_loop_run_once(pw_loop_t *loop, int max_wait_ms)
{
	struct epoll_event evs[MAX_EVENTS];
	int n = epoll_wait(loop->epfd, evs, MAX_EVENTS,
			   wait_ms(loop, max_wait_ms));
	loop->now = pw_now_ms();
	if (n > 0)
		run_io(loop, evs, n);
	run_timers(loop);
	if (loop->before_sleep)
		loop->before_sleep(loop, loop->before_sleep_ud);
	loop->last_tick = pw_now_ms();
}

void pw_loop_run(pw_loop_t *loop)
{
	loop->stop = 0;
	while (!loop->stop)
		pw_loop_run_once(loop, -1);
}

void pw_loop_stop(pw_loop_t *loop)
{
	if (loop)
		loop->stop = 1;
}

void pw_loop_set_before_sleep(pw_loop_t *loop, pw_hook_cb cb, void *ud)
{
	if (!loop)
		return;
	loop->before_sleep = cb;
	loop->before_sleep_ud = ud;
}

int64_t pw_loop_now(const pw_loop_t *loop)
{
	return loop->now;
}

int64_t pw_loop_last_tick(const pw_loop_t *loop)
{
	return loop->last_tick;
}
