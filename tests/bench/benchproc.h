/* benchproc.h -- child processes of the pipeline benchmark.
 * Owns: starting a child with a control pipe (its stdin) and a report pipe
 *       (its stdout), CPU pinning, reading the child's report lines with a
 *       timeout, and killing every child on exit, failure or signal.
 * Not here: what the children do (benchworker.c, payatom-sandbox), the
 *           measurements (bench_pipeline.c). */
#ifndef PWB_BENCHPROC_H
#define PWB_BENCHPROC_H

#include <stddef.h>
#include <sys/types.h>

#include "payatom/error.h"

typedef struct pwb_child {
	pid_t pid;   /* 0 when not running */
	int ctl_fd;  /* write end of the child's stdin; -1 when closed */
	int rep_fd;  /* read end of the child's stdout */
	char buf[4096];
	size_t len;  /* bytes buffered from rep_fd, not yet returned */
	char name[32];
} pwb_child_t;

/* Installs the process-wide cleanup: SIGINT/SIGTERM/SIGALRM/SIGHUP kill
 * every registered child and exit 3; atexit does the same. alarm_s > 0
 * arms the global timeout. */
void pwb_guard_install(unsigned alarm_s);

/* Pins the calling process (and threads it creates later) to cpu;
 * no-op returning PA_OK when cpu < 0. */
pa_err_t pwb_pin(int cpu, char *errbuf);

/* Starts argv[0] (a path) with argv; its stdin and stdout are pipes kept
 * in c, its stderr is inherited; the child is pinned to cpu (cpu < 0:
 * inherited affinity) and dies with this process (PR_SET_PDEATHSIG).
 * The child is registered for pwb_guard_install()'s cleanup. */
pa_err_t pwb_spawn(pwb_child_t *c, const char *name, char *const argv[],
		   int cpu, char *errbuf);

/* Reads one report line (without the newline) into line, waiting at most
 * timeout_ms. PA_TIMEOUT, PA_IO (child closed its stdout: it exited). */
pa_err_t pwb_read_line(pwb_child_t *c, char *line, size_t size,
		       long timeout_ms, char *errbuf);

/* Reads lines until one starts with prefix (others are echoed to stderr
 * with the child's name); errors as pwb_read_line(). */
pa_err_t pwb_expect(pwb_child_t *c, const char *prefix, char *line,
		    size_t size, long timeout_ms, char *errbuf);

/* Writes s to the child's stdin. */
pa_err_t pwb_send(pwb_child_t *c, const char *s, char *errbuf);

/* Waits up to timeout_ms for the child to exit, then SIGKILLs it; closes
 * the pipes. *status (may be NULL) gets the wait status. Safe on a child
 * that never started. */
void pwb_reap(pwb_child_t *c, long timeout_ms, int *status);

/* Starts argv[0] (a path) with argv in the background, in a process group
 * of its own, stdin, stdout and stderr inherited; registered for pwb_guard_install()'s cleanup and
 * killed with this process. *pid: the child. */
pa_err_t pwb_run_bg(char *const argv[], pid_t *pid, char *errbuf);

/* Sends sig to a pwb_run_bg() child's process group, waits up to timeout_ms for it to
 * exit (then SIGKILLs it). Returns its exit status (128 + signal when
 * killed), -1 for no child. */
int pwb_stop_bg(pid_t pid, int sig, long timeout_ms);

/* Monotonic microseconds. */
long long pwb_now_us(void);

#endif
