/* benchworker.h -- the worker side of the pipeline benchmark: one worker
 * (worker/pipeline API) in its own process, so that its CPU time and peak
 * RSS are its own and not the load generator's, the mock cluster's or the
 * sandbox's.
 * Owns: the child's control protocol (stdin: commands, stdout: reports).
 * Not here: the load, the latencies, the table (bench_pipeline.c).
 *
 * Protocol, one line each way:
 *   child -> "ready ..."   partitions assigned and restored (once)
 *   'm'   -> "mark cpu_us=.. user_us=.. sys_us=.. rss_kb=.. hwm_kb=..
 *             inflight_max=.. done=.. terminal=.. gw_calls=.. polls=..
 *             dlq=.. orders=.."
 *   'q' or EOF -> graceful shutdown, then "final ..." (same fields) and
 *             exit 0. */
#ifndef PWB_BENCHWORKER_H
#define PWB_BENCHWORKER_H

#include <stddef.h>

typedef struct pwb_worker_args {
	const char *brokers;
	const char *group;
	const char *gateway; /* "fake" or "sandbox" */
	const char *sandbox_url;
	const char *merchant;  /* merchant name in the commands */
	const char *pid;       /* sandbox merchant pid */
	const char *secret;    /* sandbox merchant secret (test value) */
	int partitions;
	int latency_ms; /* fake gateway only */
	int max_inflight, per_partition;
	long poll_first_ms;
	int fetch_wait_ms; /* kafka.fetch.wait.max.ms; < 0: librdkafka's */
	int exactly_once;  /* processing.guarantee */
	long commit_interval_ms;
	const char *topic_prefix; /* NULL or "": design.md's names */
} pwb_worker_args_t;

/* The benchmark's name of a worker topic: base ("payatom.cmd.payin") as
 * is without a prefix, else "<prefix>.<base>". Returns buf. */
const char *pwb_topic_name(const char *prefix, const char *base, char *buf,
			   size_t size);

/* Runs the worker until 'q' or EOF on stdin. Returns the exit status. */
int pwb_worker_main(const pwb_worker_args_t *a);

#endif
