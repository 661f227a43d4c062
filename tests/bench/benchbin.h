/* benchbin.h -- the worker measured from outside: payatom-worker itself as
 * the benchmark's worker, and the tools that look at a worker over the
 * measured window (heap-call counters, a profiler attached by pid).
 * Owns: the program's command line for a mode, its CPU and memory from
 *       /proc, a free listening port for the webhook path, the window
 *       command (PAYATOM_BENCH_WINDOW_CMD), the allocation counter file.
 * Not here: the load and the figures (bench_pipeline.c), the in-process
 *           worker (benchworker.c), spawning (benchproc.c). */
#ifndef PWB_BENCHBIN_H
#define PWB_BENCHBIN_H

#include <sys/types.h>

#include "benchpipe.h"
#include "benchproc.h"
#include "payatom/error.h"

/* What one payatom-worker run of a mode needs. Borrowed. */
typedef struct pwb_bin_args {
	const pwb_opts_t *o;
	const pwb_mode_t *m;
	const char *brokers;
	const char *group;
	/* topic names by config key order of pwb_bin_topic_keys, or NULL
	 * for the default names */
	const char *const *topics;
	const char *sandbox_url;
	const char *merchant, *pid, *secret; /* the sandbox merchant */
} pwb_bin_args_t;

/* The config keys of the ten topics, in bench_pipeline.c's k_topics
 * order. Borrowed (static). */
extern const char *const pwb_bin_topic_keys[10];

/* Starts o->worker_bin with the mode's settings as -o key=value (no
 * file), pinned to cpu 0 unless o->pin is 0; under
 * PAYATOM_BENCH_WORKER_WRAP when set (a profiler: the wrapper gets the
 * program and its arguments; its pid is then the wrapper's). */
pa_err_t pwb_bin_spawn(const pwb_bin_args_t *a, pwb_child_t *c, char *errbuf);

/* CPU (utime + stime of every thread, clock ticks) and VmRSS/VmHWM of
 * pid from /proc. Counters the program does not expose stay 0. */
pa_err_t pwb_bin_usage(pid_t pid, pwb_usage_t *u, char *errbuf);

/* A TCP port on 127.0.0.1 free right now (bound and released), for the
 * worker's listener; 0 on failure. */
int pwb_free_port(void);

/* ---- the measured window ---------------------------------------------- */

typedef struct pwb_window {
	pid_t tool;  /* PAYATOM_BENCH_WINDOW_CMD while it runs, else 0 */
	int alloc_fd; /* the counter file (--count-allocs), else -1 */
	char alloc_path[64];
	void *counts; /* its mapping (pwb_alloc_counts_t) */
} pwb_window_t;

/* Before the worker starts: with o->count_allocs, makes the counter file
 * and sets LD_PRELOAD and PWB_ALLOC_FILE for the next child only (call
 * pwb_window_env_done() once it is spawned). */
pa_err_t pwb_window_prepare(pwb_window_t *w, const pwb_opts_t *o,
			    char *errbuf);
void pwb_window_env_done(pwb_window_t *w);

/* Adds the heap-call counts so far to u (no-op without counting). */
void pwb_window_allocs(const pwb_window_t *w, pwb_usage_t *u);

/* At the start of the measured window: runs PAYATOM_BENCH_WINDOW_CMD (if
 * set) with sh -c and PWB_PID=<worker pid> in its environment, e.g.
 *   perf stat -e raw_syscalls:sys_enter -p $PWB_PID
 *   perf record -g -o /tmp/w.data -p $PWB_PID
 *   strace -c -f -p $PWB_PID
 * pwb_window_end() sends it SIGINT and waits for it (at most 60 s). */
void pwb_window_begin(pwb_window_t *w, pid_t worker);
void pwb_window_end(pwb_window_t *w);

/* Unmaps and removes the counter file; stops a tool still running. */
void pwb_window_close(pwb_window_t *w);

#endif
