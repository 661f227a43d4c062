/* topics.h -- the worker's Kafka topics at start-up: create what is missing
 * (when allowed), then check co-partitioning and the state changelog's
 * compaction, refusing to start with a clear message otherwise.
 * Owns: pw_topics_ensure(), the topic settings the worker creates with.
 * Not here: topic names and defaults (config_worker.c), the embedded mock
 *           cluster (mockcluster.c), producing/consuming (worker.c). */
#ifndef PW_TOPICS_H
#define PW_TOPICS_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"
#include "kafka/worker.h" /* pw_kafka_kv_t */

struct pw_logger;

/* Settings of a created payatom.int.state (before spec->state_config):
 * a compacted changelog whose segments roll hourly and are cleaned once
 * 10 % of the log is dirty, so a restore reads little more than one
 * record per order. Never segment.bytes (Kafka 4.x: >= 1 MiB anyway). */
#define PW_TOPICS_STATE_SEGMENT_MS "3600000"
#define PW_TOPICS_STATE_DIRTY_RATIO "0.1"
#define PW_TOPICS_STATE_MIN_LAG_MS "60000"
/* Created payatom.int.webhook: delete policy, 7 days retention. */
#define PW_TOPICS_WEBHOOK_RETENTION_MS "604800000"

typedef struct pw_topics_spec {
	/* co-partitioned: same partition count required */
	const char *cmd_payin, *cmd_payout, *cmd_complaint;
	const char *int_webhook, *int_state;
	/* outputs: any partition count; NULL entries are skipped */
	const char *evt_payment, *evt_refund, *evt_complaint, *evt_report;
	const char *dlq;
	int create;             /* topics.create: create missing ones */
	int partitions;         /* of created topics (topics.partitions) */
	int replication_factor; /* of created topics; -1 = broker default */
	int timeout_ms;         /* whole call; 0 = 30000 */
	/* Extra topic configs of a created state topic, applied after the
	 * defaults above (tests: small segment.ms). May be NULL. */
	const pw_kafka_kv_t *state_config;
	size_t n_state_config;
	struct pw_logger *log; /* borrowed; NULL = process default */
} pw_topics_spec_t;

typedef struct pw_topics_report {
	int partitions;      /* partition count of the co-partitioned set */
	int created;         /* topics this call created */
	int configs_checked; /* 1 when DescribeConfigs answered (not on the
				mock cluster) */
	char state_cleanup_policy[32]; /* "" when not checked */
	char webhook_cleanup_policy[32];
} pw_topics_report_t;

/* Fills spec with the topic names of design.md §2, create=1, 12
 * partitions, replication factor -1, 30 s timeout. */
void pw_topics_spec_default(pw_topics_spec_t *spec);

/* Run once at start-up (blocks up to spec->timeout_ms) on a temporary
 * client built from bootstraps and the kafka.* pass-through pairs (security
 * settings included). With spec->create, creates missing topics
 * (TOPIC_ALREADY_EXISTS is fine); then validates every topic:
 *  - all exist (PA_CONFIG naming the missing one otherwise);
 *  - cmd.payin/payout/complaint, int.webhook and int.state have the same
 *    partition count (PA_CONFIG: "<t> has N partitions but <payin> has M:
 *    ... co-partitioned ...");
 *  - int.state's cleanup.policy is exactly "compact"; int.webhook's has no
 *    "compact" (compaction would drop webhooks before they are applied).
 *    Skipped with a debug note where the cluster does not support
 *    DescribeConfigs (librdkafka's mock cluster).
 * Unreachable brokers: PA_KAFKA. report may be NULL. */
pa_err_t pw_topics_ensure(const char *bootstraps, const pw_kafka_kv_t *kafka,
			  size_t n_kafka, const pw_topics_spec_t *spec,
			  pw_topics_report_t *report, char *errbuf);

#endif
