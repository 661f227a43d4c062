/* ctl.h -- internals shared by the files of payatom-ctl.
 * Owns: exit codes, the small option parser every subcommand uses, the
 *       Kafka/codec settings common to send, tail and dlq, the subcommand
 *       entry points.
 * Not here: what the subcommands do (ctl_mock.c: mock-cluster; ctl_kafka.c:
 *           send; ctl_read.c: tail, dlq show; ctl_replay.c: dlq replay;
 *           payatom-ctl.c: the command table and dispatch, schemas,
 *           check-config, config-doc). */
#ifndef PW_CTL_H
#define PW_CTL_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdio.h>

#include "core/config.h"
#include "serde/codec.h"
#include "serde/registry.h"

/* Exit codes of every subcommand. */
enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2 };

/* One option of a subcommand: long name without "--" (NULL ends the
 * table), short letter or 0, whether it takes a value. */
typedef struct ctl_opt {
	const char *lng;
	char shrt;
	int has_arg;
} ctl_opt_t;

/* Iterates over argv[first..argc): options anywhere (GNU style:
 * "--opt V", "--opt=V", "-o V", "-oV"), "--" ends options, a lone "-" is
 * a positional argument (stdin). */
typedef struct ctl_args {
	int argc;
	char **argv;
	int i;
	int only_pos;
	const char *cmd;        /* "tail", "dlq show" (for messages) */
	const ctl_opt_t *opts;
} ctl_args_t;

enum { CTL_ARG_END = -1, CTL_ARG_POS = -2, CTL_ARG_BAD = -3 };

void ctl_args_init(ctl_args_t *a, const char *cmd, const ctl_opt_t *opts,
		   int argc, char **argv, int first);
/* Index of the option in opts (>= 0, *val its value or NULL), CTL_ARG_POS
 * (*val the argument), CTL_ARG_END, or CTL_ARG_BAD after printing why
 * (unknown option with the nearest valid one, missing value) on stderr. */
int ctl_args_next(ctl_args_t *a, const char **val);

/* "payatom-ctl CMD: message (see payatom-ctl CMD --help)" on stderr;
 * returns CTL_USAGE. */
int ctl_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "payatom-ctl CMD: message" on stderr; returns CTL_FAIL. */
int ctl_fail(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parses a decimal integer (whole string) within [min, max]. 0 on
 * success. */
int ctl_parse_long(const char *s, long min, long max, long *out);
/* The same for the value of option --opt: on failure prints a usage error
 * naming the option and the range, returns CTL_USAGE; 0 on success. */
int ctl_opt_long(const char *cmd, const char *opt, const char *v, long min,
		 long max, long *out);

/* Settings shared by send, tail and dlq show: from the command line, the
 * environment (PAYATOM_BOOTSTRAP) and optionally a worker config file
 * (--config: brokers, kafka.*, serialization, schema.registry.*, topic
 * names). */
#define CTL_MAX_X 32
typedef struct ctl_kafka {
	const char *cmd;
	const char *bootstrap;     /* -b, else PAYATOM_BOOTSTRAP, else config */
	const char *registry_url;  /* --registry */
	const char *config_file;   /* --config */
	const char *serialization; /* --serialization (send only) */
	const char *schemas_dir;   /* --schemas-dir: older writer schemas */
	const char *x[CTL_MAX_X];  /* -X prop=value, librdkafka properties */
	size_t nx;
	/* built by ctl_kafka_open(): */
	pw_config_t *cfg;          /* NULL without --config */
	pw_registry_t *reg;
	pw_codec_t *codec;
} ctl_kafka_t;

/* Handles the options common to the Kafka subcommands. Returns 1 when the
 * option was one of them (val consumed), 0 when not, CTL_ARG_BAD after an
 * error message. name is the long name ctl_args_next() matched. */
int ctl_kafka_opt(ctl_kafka_t *k, const char *name, const char *val);
/* The ctl_opt_t entries of ctl_kafka_opt(), to append to a table. */
#define CTL_KAFKA_OPTS                                                         \
	{"bootstrap", 'b', 1}, {"registry", 0, 1}, {"config", 0, 1},          \
		{"property", 'X', 1}, {"schemas-dir", 0, 1}

/* Loads the config (if any), creates the registry client and the codec.
 * Prints the error and returns CTL_FAIL (or CTL_USAGE when no bootstrap is
 * known) on failure. */
int ctl_kafka_open(ctl_kafka_t *k, int need_bootstrap);
/* New librdkafka conf with bootstrap, kafka.* of the config and -X pairs
 * applied; NULL after printing the error. */
rd_kafka_conf_t *ctl_kafka_conf(ctl_kafka_t *k);
/* Topic name of a worker config key ("topic.dlq") honouring --config, or
 * def. Borrowed. */
const char *ctl_kafka_topic(const ctl_kafka_t *k, const char *key,
			    const char *def);
void ctl_kafka_close(ctl_kafka_t *k);

/* The worker's topics (topic.cmd.*, topic.evt.*, topic.dlq, topic.int.*):
 * how many, and the name of topic i from cfg when given (topic.* keys),
 * else the worker's default. Borrowed (static, or valid until
 * pw_config_destroy(cfg)). */
size_t ctl_worker_topic_count(void);
const char *ctl_worker_topic(const pw_config_t *cfg, size_t i);
/* Loads a worker config file as the worker does (file < PAYATOM_*
 * environment) and finalizes it. New (caller frees with
 * pw_config_destroy()); NULL after printing the error as "payatom-ctl
 * CMD: ...". */
pw_config_t *ctl_load_worker_config(const char *cmd, const char *file);

/* An idempotent producer with the worker's partitioner (murmur2_random,
 * so a key lands where Java producers put it), message.timeout.ms =
 * timeout_ms and dr as its delivery report callback. New (caller frees
 * with rd_kafka_destroy()); NULL after printing the error. */
rd_kafka_t *ctl_kafka_producer(ctl_kafka_t *k, long timeout_ms,
			       void (*dr)(rd_kafka_t *,
					  const rd_kafka_message_t *, void *));

/* Called for each record ctl_read_topic() reads (borrowed for the call);
 * CTL_OK to go on, anything else stops the read and is returned. */
typedef int (*ctl_record_fn)(void *ud, const rd_kafka_message_t *msg);
/* Reads topic without a consumer group, each partition from its low to
 * its high watermark as they are when it starts (so it ends by itself),
 * in offset order per partition. part >= 0: only that partition, from
 * offset first to last (inclusive; last < 0: to the end); exact: the one
 * record at part:first must exist (else an error naming what the
 * partition holds). CTL_OK, or CTL_FAIL after printing why (also on
 * SIGINT/SIGTERM and after timeout_ms). */
int ctl_read_topic(ctl_kafka_t *k, const char *topic, long part,
		   int64_t first, int64_t last, int exact, long timeout_ms,
		   ctl_record_fn fn, void *ud);

/* The help text common to the Kafka subcommands. */
void ctl_kafka_help(FILE *fp);

/* Set by SIGINT/SIGTERM (the process's one signal flag). */
int ctl_stopping(void);
void ctl_catch_signals(void);

int ctl_mock_cluster(int argc, char **argv);
int ctl_send(int argc, char **argv);
int ctl_tail(int argc, char **argv);
/* A command of a group ("dlq show", "dlq replay") gets argv from the
 * group's name: argv[1] is the action, its options start at argv[2]. */
int ctl_dlq_show(int argc, char **argv);
/* `dlq replay` (ctl_replay.c). */
int ctl_dlq_replay(int argc, char **argv);

#endif
