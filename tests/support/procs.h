/* procs.h -- child processes for multi-process tests: the worker, the
 * sandbox and anything else from build/bin, started, signalled, killed and
 * always reaped within bounded times.
 * Owns: a per-program run directory (each child's stdout and stderr go to
 *       files there), the table of live children, reaping them at exit
 *       (also when a Check assertion fails: it exits), dumping the tail of
 *       their logs when the program did not finish cleanly; a blocking
 *       loopback HTTP call for talking to the children (made by
 *       httpcall.c, pwt_call_blocking).
 * Not here: what the children are (the tests), Kafka (kafkat.h). */
#ifndef PWT_PROCS_H
#define PWT_PROCS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct pwt_proc pwt_proc_t;

/* Creates the run directory (under $TMPDIR or /tmp; name shows tag) once
 * per process and registers the exit handler. Idempotent. Returns the
 * directory (borrowed). */
const char *pwt_procs_dir(const char *tag);

/* Marks the program's run as clean: at exit the run directory is removed
 * (unless PAYATOM_TEST_KEEP is set) and no log tails are printed. */
void pwt_procs_ok(void);

/* Starts argv[0] (a path) with argv (NULL-terminated); name labels its
 * files <dir>/<name>.<n>.out|.err. The child dies with this process
 * (PR_SET_PDEATHSIG) and is reaped at exit. New (caller frees with
 * pwt_proc_free(), which kills it first if it still runs); NULL when
 * fork failed. */
pwt_proc_t *pwt_proc_spawn(const char *name, char *const argv[]);

pid_t pwt_proc_pid(const pwt_proc_t *p);
const char *pwt_proc_name(const pwt_proc_t *p);
/* Path of the child's stderr / stdout file. Borrowed. */
const char *pwt_proc_err_path(const pwt_proc_t *p);
const char *pwt_proc_out_path(const pwt_proc_t *p);

/* Waits (timeout_ms stretched by pwt_ms) for the first complete line of
 * the child's stdout; copies it without the newline. Returns 1, or 0 on
 * timeout or when the child exited first. */
int pwt_proc_first_line(pwt_proc_t *p, char *buf, size_t size,
			long timeout_ms);
/* Waits (stretched) for a line of the child's stderr containing needle
 * (from the beginning of the file); copies that line. Returns 1, or 0 on
 * timeout or exit. */
int pwt_proc_wait_log(pwt_proc_t *p, const char *needle, char *buf,
		      size_t size, long timeout_ms);
/* Lines of the child's stderr containing needle so far. */
int pwt_proc_count_log(pwt_proc_t *p, const char *needle);

/* Sends sig (no-op once reaped). Returns 0 or -1. */
int pwt_proc_signal(pwt_proc_t *p, int sig);
/* Waits (stretched) for the child to exit and reaps it. Returns 1 when it
 * exited; *status (if not NULL) gets the wait status. */
int pwt_proc_wait(pwt_proc_t *p, long timeout_ms, int *status);
/* 1 while the child has not been reaped and still runs. */
int pwt_proc_alive(pwt_proc_t *p);
/* SIGKILL and reap (bounded; a no-op when already reaped). */
void pwt_proc_kill(pwt_proc_t *p);
/* Kills (if running), reaps and frees. NULL is a safe no-op. */
void pwt_proc_free(pwt_proc_t *p);

/* Writes text to <dir>/<name>; the path goes into path. Returns path, or
 * NULL on failure. */
const char *pwt_procs_write_file(const char *name, const char *text,
				 char *path, size_t size);

/* One blocking HTTP request to a loopback child (libcurl): method NULL =
 * GET (POST when body is set). Returns the HTTP status (0 when no answer
 * within timeout_ms, stretched); *resp (if not NULL) gets the body, new
 * (caller frees with free()). */
long pwt_proc_http(const char *method, const char *url, const char *body,
		   char **resp, long timeout_ms);

/* Starts build/bin/payatom-worker --config conf -o
 * http.listen=127.0.0.1:port, then -o opt for each of opts (NULL-ended, at
 * most 12), named "worker". NULL when it cannot be started. */
pwt_proc_t *pwt_worker_spawn(const char *conf, int port,
			     const char *const *opts);

/* Writes conf_text to sandbox.conf in the run directory and starts
 * build/bin/payatom-sandbox on it on a free port (--print-port), named
 * "sandbox"; *port gets the port. NULL (and *port 0) when it did not
 * start or printed no port within 10 s. */
pwt_proc_t *pwt_sandbox_spawn(const char *conf_text, int *port);

/* The sum of the samples named name (exactly, or name{labels}; a full
 * sample "name{l=\"v\"}" selects one) in the /metrics of the process
 * listening on 127.0.0.1:port; -1 when /metrics does not answer or has no
 * such sample. */
double pwt_proc_metric(int port, const char *name);

/* The worker.conf lines of the consumer group protocol the tests run:
 * PAYATOM_TEST_GROUP_PROTOCOL=consumer (KIP-848: session and heartbeat are
 * broker settings, tests/kafka/kafka_harness.py sets them to 6 s / 0.5 s)
 * or the classic protocol with the same 6 s session (a SIGKILLed member's
 * partitions move after it). Static storage. */
const char *pwt_group_protocol_conf(void);

#endif
