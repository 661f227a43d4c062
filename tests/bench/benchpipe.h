/* benchpipe.h -- what the pipeline benchmark's driver and its report
 * share.
 * Owns: the options of a run and the measured figures of one mode.
 * Not here: measuring (bench_pipeline.c), printing (benchreport.c). */
#ifndef PWB_BENCHPIPE_H
#define PWB_BENCHPIPE_H

typedef struct pwb_opts {
	long commands, seq_commands;
	int latency_ms;
	const char *gateway;
	int partitions;
	int inflight;
	long poll_first_ms;
	long window;
	unsigned timeout_s;
	int pin;
	int resolve_delay_ms;
	int fetch_wait_ms;
	const char *sandbox_bin;
	const char *worker_bin; /* NULL: this program as the worker */
	const char *self;
	int is_short;
	/* Kafka: NULL = librdkafka's mock cluster hosted by the driver (a
	 * fresh one per mode); else an external bootstrap (a real broker),
	 * on which every mode gets topics of its own (topic_prefix) */
	const char *brokers;
	int exactly_once;	 /* processing.guarantee of the worker */
	long commit_interval_ms; /* the worker's commit.interval */
	/* the window grows by the commands of this delay (events held back
	 * until their transaction commits); < 0: commit_interval_ms with
	 * exactly_once, 0 otherwise */
	long window_delay_ms;
	char run_tag[48];	 /* unique per driver run: topics, groups */
	/* how orders settle: 0 poll (poll.first, a status poll per order),
	 * 1 webhook (the sandbox posts its webhook to the worker's listener
	 * on http_port; poll.first 10 min: no poll) */
	int webhook;
	int http_port;
	/* LD_PRELOAD tests/bench/alloccount.c into the worker and print its
	 * heap calls per payin (not for timing: the counting costs CPU) */
	int count_allocs;
	const char *alloc_lib; /* path of libpwb_alloccount.so */
} pwb_opts_t;

typedef struct pwb_usage {
	long long cpu_us;
	long rss_kb, hwm_kb;
	long long inflight_max, done, terminal, gw_calls, polls, dlq;
	long long orders_live, orders_rest, state_kb; /* order state held */
	/* heap calls so far (--count-allocs), all threads */
	unsigned long long allocs, reallocs, frees, alloc_bytes;
} pwb_usage_t;

typedef struct pwb_mode {
	const char *name;
	char letter; /* order_id prefix BC..., BS... */
	long n;
	int per_partition;
	int inflight;
	long window;
	/* results */
	int ok;
	double secs, rate;
	double acc_p50, acc_p99, term_p50, term_p99; /* ms */
	double cpu_us_per_cmd, cpu_util;
	double hwm_mb, rss_mb;
	long long orders_live, orders_rest; /* at the end of the run */
	double state_mb;
	double allocs_per_cmd, frees_per_cmd, alloc_bytes_per_cmd; /* < 0: not counted */
	long long inflight_max;
	long terminal, missing, dup_terminal, undecodable, schema_invalid;
} pwb_mode_t;

/* "poll" or "webhook". */
const char *pwb_path_name(const pwb_opts_t *o);
/* "binary" (payatom-worker, --worker-bin) or "in-process" (pw_worker in
 * this program, run as a child). */
const char *pwb_worker_kind(const pwb_opts_t *o);

/* "mock" or "real" (o->brokers set). */
const char *pwb_broker_name(const pwb_opts_t *o);
/* "at_least_once" or "exactly_once". */
const char *pwb_guarantee_name(const pwb_opts_t *o);

/* The run's settings, as the header of the output. */
void pwb_print_settings(const pwb_opts_t *o, const pwb_mode_t *m, int nm);
/* One row per mode; m[0] is the reference of the ratio column. */
void pwb_print_table(const pwb_mode_t *m, int nm);
/* Back-pressure engaged, the per-partition bound of sequential work. */
void pwb_print_notes(const pwb_opts_t *o, const pwb_mode_t *m, int nm);
/* One machine-readable line per mode ("result mode=... broker=..."),
 * which tests/bench/run.sh --kafka real gathers into its side-by-side
 * table. */
void pwb_print_results(const pwb_opts_t *o, const pwb_mode_t *m, int nm);
/* The targets against m[0] (and m[1]): printed, never judged. */
void pwb_print_targets(const pwb_mode_t *m, int nm);

#endif
