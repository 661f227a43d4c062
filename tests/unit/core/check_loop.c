/* check_loop.c -- the event loop: timer order, cancel, zero delay, fd
 * readiness, the before_sleep hook and heap correctness under load. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "pwtest.h"

struct rec {
	int64_t fired[16];
	int ids[16];
	int n;
	pw_loop_t *loop;
};

struct tid {
	struct rec *r;
	int id;
};

static void rec_cb(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)t;
	struct tid *x = ud;
	ck_assert_int_lt(x->r->n, 16);
	x->r->ids[x->r->n] = x->id;
	x->r->fired[x->r->n] = pw_now_ms();
	x->r->n++;
	(void)loop;
}

/* Runs iterations until cond_n events recorded or the deadline passes. */
static void run_until(pw_loop_t *loop, const int *n, int want, long ms)
{
	int64_t end = pw_now_ms() + pwt_ms(ms);
	while (*n < want && pw_now_ms() < end)
		pw_loop_run_once(loop, 50);
}

START_TEST(test_loop_timers_fire_in_deadline_order)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	struct rec r = {0};
	struct tid a = {&r, 1}, b = {&r, 2}, c = {&r, 3}, d = {&r, 4};
	/* delays count from the loop's cached clock (loop.h) */
	int64_t start = pw_loop_now(loop);
	ck_assert_ptr_nonnull(pw_timer_add(loop, 60, rec_cb, &c));
	ck_assert_ptr_nonnull(pw_timer_add(loop, 20, rec_cb, &a));
	ck_assert_ptr_nonnull(pw_timer_add(loop, 40, rec_cb, &b));
	ck_assert_ptr_nonnull(pw_timer_add(loop, 60, rec_cb, &d));
	run_until(loop, &r.n, 4, 2000);
	ck_assert_int_eq(r.n, 4);
	ck_assert_int_eq(r.ids[0], 1);
	ck_assert_int_eq(r.ids[1], 2);
	ck_assert_int_eq(r.ids[2], 3); /* equal deadlines: first added first */
	ck_assert_int_eq(r.ids[3], 4);
	/* never early */
	ck_assert_int_ge(r.fired[0] - start, 20);
	ck_assert_int_ge(r.fired[1] - start, 40);
	ck_assert_int_ge(r.fired[2] - start, 60);
	ck_assert_uint_eq(pw_loop_timer_count(loop), 0);
	pw_loop_destroy(loop);
}
END_TEST

START_TEST(test_loop_cancelled_timer_never_fires)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	struct rec r = {0};
	struct tid a = {&r, 1}, b = {&r, 2}, c = {&r, 3};
	pw_timer_t *ta = pw_timer_add(loop, 10, rec_cb, &a);
	pw_timer_add(loop, 20, rec_cb, &b);
	pw_timer_t *tc = pw_timer_add(loop, 5, rec_cb, &c);
	pw_timer_cancel(loop, ta);
	pw_timer_cancel(loop, tc);
	pw_timer_cancel(loop, NULL); /* safe no-op */
	ck_assert_uint_eq(pw_loop_timer_count(loop), 1);
	run_until(loop, &r.n, 1, 2000);
	pw_loop_run_once(loop, 30);
	ck_assert_int_eq(r.n, 1);
	ck_assert_int_eq(r.ids[0], 2);
	/* a pending timer is freed by destroy without being called */
	pw_timer_add(loop, 100000, rec_cb, &a);
	pw_loop_destroy(loop);
	ck_assert_int_eq(r.n, 1);
}
END_TEST

struct rearm {
	int count;
	int iterations_seen[4];
	int iter;
};

static void zero_cb(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)t;
	struct rearm *z = ud;
	z->iterations_seen[z->count++] = z->iter;
	if (z->count < 3)
		pw_timer_add(loop, 0, zero_cb, z);
}

static void count_iter(pw_loop_t *loop, void *ud)
{
	(void)loop;
	((struct rearm *)ud)->iter++;
}

START_TEST(test_loop_zero_delay_timer_runs_next_iteration)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	struct rearm z = {0};
	pw_loop_set_before_sleep(loop, count_iter, &z);
	pw_timer_add(loop, 0, zero_cb, &z);
	int64_t start = pw_now_ms();
	/* max_wait large: a due timer must not let epoll block */
	pw_loop_run_once(loop, 5000);
	ck_assert_int_eq(z.count, 1);
	pw_loop_run_once(loop, 5000);
	pw_loop_run_once(loop, 5000);
	ck_assert_int_eq(z.count, 3);
	/* a re-added zero timer waits for the next iteration */
	ck_assert_int_eq(z.iterations_seen[0], 0);
	ck_assert_int_eq(z.iterations_seen[1], 1);
	ck_assert_int_eq(z.iterations_seen[2], 2);
	ck_assert_int_lt(pw_now_ms() - start, pwt_ms(1000));
	pw_loop_destroy(loop);
}
END_TEST

struct io {
	int reads;
	int writes;
	char buf[8];
	int order[8];
	int norder;
	int *phase;
};

static void io_cb(pw_loop_t *loop, int fd, int events, void *ud)
{
	(void)loop;
	struct io *x = ud;
	if (events & PW_READ) {
		ck_assert_int_eq(read(fd, x->buf, sizeof x->buf), 3);
		x->reads++;
	}
	if (events & PW_WRITE)
		x->writes++;
}

START_TEST(test_loop_fd_readiness_dispatched)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct io x = {0};
	ck_assert_int_eq(pw_loop_watch(loop, p[0], PW_READ, io_cb, &x), PA_OK);
	pw_loop_run_once(loop, 10);
	ck_assert_int_eq(x.reads, 0); /* nothing written yet */
	ck_assert_int_eq(write(p[1], "abc", 3), 3);
	pw_loop_run_once(loop, pwt_ms(1000));
	ck_assert_int_eq(x.reads, 1);
	ck_assert_int_eq(memcmp(x.buf, "abc", 3), 0);
	/* write readiness on the write end */
	ck_assert_int_eq(pw_loop_watch(loop, p[1], PW_WRITE, io_cb, &x), PA_OK);
	pw_loop_run_once(loop, pwt_ms(1000));
	ck_assert_int_eq(x.writes, 1);
	/* unwatched: no more callbacks */
	pw_loop_unwatch(loop, p[1]);
	ck_assert_int_eq(pw_loop_watch(loop, p[0], 0, io_cb, &x), PA_OK);
	ck_assert_int_eq(write(p[1], "abc", 3), 3);
	pw_loop_run_once(loop, 20);
	ck_assert_int_eq(x.reads, 1);
	ck_assert_int_eq(x.writes, 1);
	/* bad arguments */
	ck_assert_int_eq(pw_loop_watch(loop, -1, PW_READ, io_cb, &x), PA_INVAL);
	ck_assert_int_eq(pw_loop_watch(loop, p[0], 0x10, io_cb, &x), PA_INVAL);
	close(p[0]);
	close(p[1]);
	pw_loop_destroy(loop);
}
END_TEST

struct pair {
	pw_loop_t *loop;
	int fds[2];
	int calls;
};

static void unwatch_other(pw_loop_t *loop, int fd, int events, void *ud)
{
	(void)events;
	struct pair *p = ud;
	p->calls++;
	pw_loop_unwatch(loop, fd == p->fds[0] ? p->fds[1] : p->fds[0]);
}

START_TEST(test_loop_unwatch_in_callback_drops_pending_events)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	int a[2], b[2];
	ck_assert_int_eq(pipe(a), 0);
	ck_assert_int_eq(pipe(b), 0);
	struct pair p = {loop, {a[0], b[0]}, 0};
	ck_assert_int_eq(pw_loop_watch(loop, a[0], PW_READ, unwatch_other, &p),
			 PA_OK);
	ck_assert_int_eq(pw_loop_watch(loop, b[0], PW_READ, unwatch_other, &p),
			 PA_OK);
	/* both readable in the same epoll batch: the first callback removes
	 * the other watch, whose collected event must not be delivered */
	ck_assert_int_eq(write(a[1], "x", 1), 1);
	ck_assert_int_eq(write(b[1], "x", 1), 1);
	pw_loop_run_once(loop, pwt_ms(1000));
	ck_assert_int_eq(p.calls, 1);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
	pw_loop_destroy(loop);
}
END_TEST

START_TEST(test_loop_watch_survives_fd_closed_behind_its_back)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct io x = {0};
	ck_assert_int_eq(pw_loop_watch(loop, p[0], PW_READ, io_cb, &x), PA_OK);
	/* replace the watch (same fd, other events): a modify */
	ck_assert_int_eq(
		pw_loop_watch(loop, p[0], PW_READ | PW_WRITE, io_cb, &x),
		PA_OK);
	ck_assert_int_eq(pw_loop_watch(loop, p[0], PW_READ, io_cb, &x), PA_OK);
	/* closed without unwatch, the number reused by a new pipe */
	int old = p[0];
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(p[0], old);
	ck_assert_int_eq(pw_loop_watch(loop, p[0], PW_READ, io_cb, &x), PA_OK);
	ck_assert_int_eq(write(p[1], "abc", 3), 3);
	pw_loop_run_once(loop, pwt_ms(1000));
	ck_assert_int_eq(x.reads, 1);
	close(p[0]);
	close(p[1]);
	pw_loop_destroy(loop);
}
END_TEST

struct phases {
	int seq[16];
	int n;
	int hooks;
	int wfd;
};

static void phase_io(pw_loop_t *loop, int fd, int events, void *ud)
{
	(void)loop;
	(void)events;
	struct phases *ph = ud;
	char b[8];
	ck_assert_int_gt(read(fd, b, sizeof b), 0);
	if (ph->n < 16)
		ph->seq[ph->n++] = 'i';
}

static void phase_timer(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)loop;
	(void)t;
	struct phases *ph = ud;
	if (ph->n < 16)
		ph->seq[ph->n++] = 't';
}

static void phase_hook(pw_loop_t *loop, void *ud)
{
	(void)loop;
	struct phases *ph = ud;
	ph->hooks++;
	if (ph->n < 16)
		ph->seq[ph->n++] = 'b';
}

START_TEST(test_loop_before_sleep_once_per_iteration_after_io_and_timers)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct phases ph = {0};
	pw_loop_set_before_sleep(loop, phase_hook, &ph);
	ck_assert_int_eq(pw_loop_watch(loop, p[0], PW_READ, phase_io, &ph),
			 PA_OK);
	pw_timer_add(loop, 0, phase_timer, &ph);
	ck_assert_int_eq(write(p[1], "x", 1), 1);
	pw_loop_run_once(loop, pwt_ms(1000));
	ck_assert_int_eq(ph.n, 3);
	ck_assert_int_eq(ph.seq[0], 'i');
	ck_assert_int_eq(ph.seq[1], 't');
	ck_assert_int_eq(ph.seq[2], 'b');
	for (int i = 0; i < 5; i++)
		pw_loop_run_once(loop, 0);
	ck_assert_int_eq(ph.hooks, 6);
	close(p[0]);
	close(p[1]);
	pw_loop_destroy(loop);
}
END_TEST

static void stop_cb(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)t;
	(*(int *)ud)++;
	pw_loop_stop(loop);
}

START_TEST(test_loop_run_returns_after_stop)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	int n = 0;
	pw_timer_add(loop, 10, stop_cb, &n);
	pw_loop_run(loop);
	ck_assert_int_eq(n, 1);
	ck_assert_int_ge(pw_loop_last_tick(loop), pw_loop_now(loop));
	pw_loop_destroy(loop);
}
END_TEST

struct many {
	int64_t *deadlines;
	pw_timer_t **timers;
	int64_t last;
	int fired;
	int bad;
	int cancelled;
};

struct many_item {
	struct many *m;
	int64_t key;
	int cancelled;
};

static void many_cb(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)loop;
	(void)t;
	struct many_item *it = ud;
	if (it->cancelled || it->key < it->m->last)
		it->m->bad++;
	it->m->last = it->key;
	it->m->fired++;
}

START_TEST(test_loop_many_random_timers_fire_sorted)
{
	enum { N = 10000 };
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	struct many m = {0};
	struct many_item *items = calloc(N, sizeof *items);
	pw_timer_t **ts = calloc(N, sizeof *ts);
	ck_assert_ptr_nonnull(items);
	srand(12345);
	for (int i = 0; i < N; i++) {
		items[i].m = &m;
		/* deadlines spread over 0..199 ms, many ties */
		int64_t ms = rand() % 200;
		items[i].key = ms;
		ts[i] = pw_timer_add(loop, ms, many_cb, &items[i]);
		ck_assert_ptr_nonnull(ts[i]);
	}
	/* cancel every third timer: exercises removal from the middle */
	int cancelled = 0;
	for (int i = 0; i < N; i += 3) {
		pw_timer_cancel(loop, ts[i]);
		items[i].cancelled = 1;
		cancelled++;
	}
	ck_assert_uint_eq(pw_loop_timer_count(loop), (size_t)(N - cancelled));
	run_until(loop, &m.fired, N - cancelled, 5000);
	ck_assert_int_eq(m.fired, N - cancelled);
	ck_assert_int_eq(m.bad, 0);
	ck_assert_uint_eq(pw_loop_timer_count(loop), 0);
	free(items);
	free(ts);
	pw_loop_destroy(loop);
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{"timers", test_loop_timers_fire_in_deadline_order},
		{"cancel", test_loop_cancelled_timer_never_fires},
		{"zero_delay", test_loop_zero_delay_timer_runs_next_iteration},
		{"fd", test_loop_fd_readiness_dispatched},
		{"fd_unwatch", test_loop_unwatch_in_callback_drops_pending_events},
		{"fd_reuse", test_loop_watch_survives_fd_closed_behind_its_back},
		{"phases",
		 test_loop_before_sleep_once_per_iteration_after_io_and_timers},
		{"stop", test_loop_run_returns_after_stop},
		{"heap", test_loop_many_random_timers_fire_sorted},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loop_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
