/* config_worker.c -- the worker's config map (one table, style.md habit 14).
 * Owns: every worker key, its default, bounds and description; --help, the
 *       README reference and values.schema.json are generated from here.
 * Not here: the machinery (config.c), what the values do (the rooms: kafka/, gateway/, …). */
#include "config_worker.h"

#include <stddef.h>

#define W(f) offsetof(pw_worker_conf_t, f)
#define M(f) offsetof(pw_merchant_conf_t, f)
#define SEC PW_CFG_SECRET
#define SECF (PW_CFG_SECRET | PW_CFG_FILE_OK)
#define DAY (24LL * 3600 * 1000)

static const pw_cfg_entry_t worker_entries[] = {
	PW_CFG_E("brokers", PW_CFG_STR, "", 0, 0, W(brokers), 0, NULL,
		 "Kafka bootstrap servers; empty starts librdkafka's mock "
		 "cluster in-process"),
	PW_CFG_E("group.id", PW_CFG_STR, "payatom-worker", 0, 0, W(group_id),
		 0, NULL, "Consumer group of the command topics"),
	PW_CFG_E("topic.cmd.payin", PW_CFG_STR, "payatom.cmd.payin", 0, 0,
		 W(topic_cmd_payin), 0, NULL, "Payin command topic"),
	PW_CFG_E("topic.cmd.payout", PW_CFG_STR, "payatom.cmd.payout", 0, 0,
		 W(topic_cmd_payout), 0, NULL, "Payout command topic"),
	PW_CFG_E("topic.cmd.complaint", PW_CFG_STR, "payatom.cmd.complaint", 0,
		 0, W(topic_cmd_complaint), 0, NULL, "Complaint command topic"),
	PW_CFG_E("topic.evt.payment", PW_CFG_STR, "payatom.evt.payment", 0, 0,
		 W(topic_evt_payment), 0, NULL,
		 "Normalized payment status events"),
	PW_CFG_E("topic.evt.refund", PW_CFG_STR, "payatom.evt.refund", 0, 0,
		 W(topic_evt_refund), 0, NULL, "Refund events"),
	PW_CFG_E("topic.evt.complaint", PW_CFG_STR, "payatom.evt.complaint", 0,
		 0, W(topic_evt_complaint), 0, NULL, "Complaint events"),
	PW_CFG_E("topic.evt.report", PW_CFG_STR, "payatom.evt.report", 0, 0,
		 W(topic_evt_report), 0, NULL,
		 "Reconciliation, balance and correction report events"),
	PW_CFG_E("dlq.payload.max", PW_CFG_SIZE, "512k", 1024,
		 16 * 1024 * 1024, W(dlq_payload_max), 0, NULL,
		 "Bytes of the original record a dead letter carries; a longer "
		 "record is cut, with its length and SHA-256 (payload_length, "
		 "payload_sha256). Keep (size x 4/3 + 2k) under the DLQ "
		 "topic's max.message.bytes"),
	PW_CFG_E("topic.dlq", PW_CFG_STR, "payatom.dlq", 0, 0, W(topic_dlq), 0,
		 NULL, "Dead letters: unprocessable commands with a reason"),
	PW_CFG_E("topic.int.webhook", PW_CFG_STR, "payatom.int.webhook", 0, 0,
		 W(topic_int_webhook), 0, NULL,
		 "Internal co-partitioned topic of verified webhooks"),
	PW_CFG_E("topic.int.state", PW_CFG_STR, "payatom.int.state", 0, 0,
		 W(topic_int_state), 0, NULL,
		 "Internal compacted order-state changelog"),
	PW_CFG_E("topics.create", PW_CFG_BOOL, "true", 0, 0, W(topics_create),
		 0, NULL, "Create missing topics at start-up"),
	PW_CFG_E("topics.partitions", PW_CFG_INT, "12", 1, 10000,
		 W(topics_partitions), 0, NULL,
		 "Partitions of topics the worker creates (all equal, for "
		 "co-partitioning)"),
	PW_CFG_E("topics.replication.factor", PW_CFG_INT, "-1", -1, 32767,
		 W(topics_replication_factor), 0, NULL,
		 "Replication factor of topics the worker creates (-1 = the "
		 "broker's default.replication.factor)"),
	PW_CFG_E("processing.guarantee", PW_CFG_ENUM, "at_least_once", 0, 0,
		 W(processing_guarantee), 0, "at_least_once|exactly_once",
		 "exactly_once = events, state and offsets in one Kafka "
		 "transaction per batch"),
	PW_CFG_E("max.inflight", PW_CFG_INT, "10000", 1, 1000000,
		 W(max_inflight), 0, NULL,
		 "Commands in progress at once; when full, partitions pause"),
	PW_CFG_E("max.inflight.per.partition", PW_CFG_INT, "1000", 1, 1000000,
		 W(max_inflight_per_partition), 0, NULL,
		 "Commands in progress per partition (1 = sequential)"),
	PW_CFG_E("serialization", PW_CFG_ENUM, "avro", 0, 0, W(serialization),
		 0, "avro|json", "Encoding of published events"),
	PW_CFG_E("schema.registry.url", PW_CFG_STR, "", 0, 0,
		 W(schema_registry_url), 0, NULL,
		 "Schema Registry URL; empty = Avro single-object encoding"),
	PW_CFG_E("schema.registry.basic.auth", PW_CFG_STR, NULL, 0, 0,
		 W(schema_registry_basic_auth), SECF, NULL,
		 "Schema Registry credentials user:password"),
	PW_CFG_E("schema.registry.subject.strategy", PW_CFG_ENUM, "auto", 0, 0,
		 W(schema_registry_subject_strategy), 0,
		 "auto|topic|topic_record",
		 "Registry subjects: topic = <topic>-value (TopicNameStrategy); "
		 "topic_record = <topic>-<record full name>; auto = topic for "
		 "each topic's main record, topic_record for records sharing "
		 "a topic (follow-up commands, corrections)"),
	PW_CFG_E("schema.registry.auto.register", PW_CFG_BOOL, "true", 0, 0,
		 W(schema_registry_auto_register), 0, NULL,
		 "Register the worker's schemas at start-up; false = only look "
		 "them up (read-only registry credentials): a subject without "
		 "our schema stops the start"),
	PW_CFG_E("schema.registry.use.latest.version", PW_CFG_BOOL, "false", 0,
		 0, W(schema_registry_use_latest_version), 0, NULL,
		 "Write with each subject's latest registered version instead "
		 "of the worker's own schema (needs auto.register=false); a "
		 "latest version that cannot read our records stops the start"),
	PW_CFG_E("schema.registry.ca.location", PW_CFG_STR, "", 0, 0,
		 W(schema_registry_ca_location), 0, NULL,
		 "CA bundle file for the Schema Registry's TLS"),
	PW_CFG_E("events.headers", PW_CFG_LIST, "", 0, 0, W(events_headers), 0,
		 NULL,
		 "Comma-separated command headers copied to every event and "
		 "dead letter the command causes, besides traceparent and "
		 "tracestate (always copied)"),
	PW_CFG_E("events.cloudevents", PW_CFG_BOOL, "false", 0, 0,
		 W(events_cloudevents), 0, NULL,
		 "Add CloudEvents binary-mode headers (ce_specversion, ce_id = "
		 "event_id, ce_type, ce_source, ce_time, ce_subject, "
		 "content-type) to every event and dead letter"),
	PW_CFG_E("events.cloudevents.source", PW_CFG_STR, "/payatom-worker", 0,
		 0, W(events_cloudevents_source), 0, NULL,
		 "CloudEvents ce_source of what this worker publishes (a URI "
		 "reference)"),
	PW_CFG_E("http.listen", PW_CFG_STR, "0.0.0.0:8080", 0, 0,
		 W(http_listen), 0, NULL,
		 "Address:port of the webhook, metrics and health listener"),
	PW_CFG_E("http.max.body", PW_CFG_SIZE, "64k", 1024, 16 * 1024 * 1024,
		 W(http_max_body), 0, NULL, "Largest accepted request body"),
	PW_CFG_E("http.request.timeout", PW_CFG_DURATION_MS, "10s", 100,
		 3600 * 1000, W(http_request_timeout_ms), 0, NULL,
		 "Total time a request's headers and body may take to arrive, "
		 "counted from the connection's start or the previous answer "
		 "(not reset by each byte: a client sending slowly is closed)"),
	PW_CFG_E("http.max.connections.per.ip", PW_CFG_INT, "128", 0, 1000000,
		 W(http_max_conns_per_ip), 0, NULL,
		 "Open connections one client address may hold (0 = no cap); "
		 "raise it when a proxy or load balancer connects for all "
		 "clients"),
	PW_CFG_E("webhook.allow.ips", PW_CFG_LIST, "", 0, 0,
		 W(webhook_allow_ips), 0, NULL,
		 "Comma-separated addresses/CIDRs allowed to post webhooks; "
		 "empty = any"),
	PW_CFG_E("webhook.confirm", PW_CFG_ENUM, "none", 0, 0,
		 W(webhook_confirm), 0, "none|success",
		 "success = a paid status a webhook reports (Approved, Late "
		 "Approved, Amount Mismatch) is published only once the "
		 "gateway's status API confirms it: one more gateway call per "
		 "order a webhook settles; none = such a webhook is believed "
		 "when its received amount lines up with the order "
		 "(docs/gateway-fidelity.md)"),
	PW_CFG_E("log.level", PW_CFG_ENUM, "info", 0, 0, W(log_level), 0,
		 "debug|info|warn|error", "Minimum level written to the log "
		 "(SIGHUP reloads it)"),
	PW_CFG_E("log.format", PW_CFG_ENUM, "json", 0, 0, W(log_format), 0,
		 "json|text", "json = one object per line; text for humans"),
	PW_CFG_E("poll.first", PW_CFG_DURATION_MS, "30s", 1000, DAY,
		 W(poll_first_ms), 0, NULL,
		 "First status poll after a command is accepted (or an order "
		 "reopened, e.g. by a refund)"),
	PW_CFG_E("poll.max.interval", PW_CFG_DURATION_MS, "5m", 1000, DAY,
		 W(poll_max_interval_ms), 0, NULL,
		 "Longest interval between polls (backing off)"),
	PW_CFG_E("poll.deadline", PW_CFG_DURATION_MS, "24h", 60000, 30 * DAY,
		 W(poll_deadline_ms), 0, NULL,
		 "After this an unfinished order is reported UNRESOLVED "
		 "(a reopened order counts from its reopening)"),
	PW_CFG_E("retry.base", PW_CFG_DURATION_MS, "500ms", 10, 3600000,
		 W(retry_base_ms), 0, NULL,
		 "First retry delay of a retryable failure (doubles, jittered)"),
	PW_CFG_E("retry.max", PW_CFG_DURATION_MS, "60s", 10, 3600000,
		 W(retry_max_ms), 0, NULL, "Longest retry delay"),
	PW_CFG_E("retry.max.attempts", PW_CFG_INT, "8", 1, 1000,
		 W(retry_max_attempts), 0, NULL,
		 "Attempts before a retryable failure becomes final"),
	PW_CFG_E("breaker.failures", PW_CFG_INT, "5", 1, 1000,
		 W(breaker_failures), 0, NULL,
		 "Consecutive gateway failures that open a merchant's circuit"),
	PW_CFG_E("breaker.open", PW_CFG_DURATION_MS, "30s", 100, 3600000,
		 W(breaker_open_ms), 0, NULL,
		 "How long an open circuit waits before a trial call"),
	PW_CFG_E("rate.limit.rps", PW_CFG_INT, "50", 1, 100000,
		 W(rate_limit_rps), 0, NULL,
		 "Gateway calls per second per merchant (default for profiles)"),
	PW_CFG_E("gateway.max.concurrent", PW_CFG_INT, "1000", 1, 100000,
		 W(gateway_max_concurrent), 0, NULL,
		 "Gateway calls in flight at once, all merchants; more wait in "
		 "order (each one in flight holds a connection: ~12 KB, more "
		 "with TLS)"),
	PW_CFG_E("shutdown.timeout", PW_CFG_DURATION_MS, "25s", 0, 3600000,
		 W(shutdown_timeout_ms), 0, NULL,
		 "SIGTERM: time to finish in-flight work before handing it "
		 "back"),
	PW_CFG_E("handover.timeout", PW_CFG_DURATION_MS, "10s", 0, 600000,
		 W(handover_timeout_ms), 0, NULL,
		 "Rebalance: time the gateway calls in flight on revoked "
		 "partitions get to finish before the partitions are handed "
		 "over (0 = cancel them, the new owner resolves them)"),
	PW_CFG_E("state.retention", PW_CFG_DURATION_MS, "400d", 0, 3650 * DAY,
		 W(state_retention_ms), 0, NULL,
		 "Settled orders are forgotten this long after their creation "
		 "(the local state store and, by a tombstone, the compacted "
		 "changelog); a command for a forgotten order counts as new and "
		 "the gateway's duplicate check resolves it. Default: 400 days, "
		 "over a year of refunds and disputes (docs/state-store.md). "
		 "0 = never"),
	PW_CFG_E("state.dir", PW_CFG_STR, "/tmp/payatom-worker", 0, 0,
		 W(state_dir), 0, NULL,
		 "Folder of the local state store: one LMDB store per owned "
		 "partition under state.dir/group.id/, a cache of the "
		 "changelog restored from its checkpoint (a persistent volume "
		 "keeps restarts short; docs/state-store.md)"),
	PW_CFG_E("state.store.max.bytes", PW_CFG_SIZE, "64g", 1 << 20,
		 1LL << 42, W(state_store_max_bytes), 0, NULL,
		 "Largest size of one partition's store (address space, not "
		 "memory; the file grows as it fills: ~500 bytes an order)"),
	PW_CFG_E("reports.schedule", PW_CFG_DURATION_MS, "0", 0, 7 * DAY,
		 W(reports_schedule_ms), 0, NULL,
		 "Interval of scheduled reconciliation/balance reports; 0 = off"),
	PW_CFG_E("commit.interval", PW_CFG_DURATION_MS, "1s", 10, 600000,
		 W(commit_interval_ms), 0, NULL,
		 "How often consumed offsets are committed"),
};

static const pw_cfg_entry_t merchant_entries[] = {
	PW_CFG_E("pid", PW_CFG_STR, NULL, 0, 0, M(pid), PW_CFG_REQUIRED, NULL,
		 "Merchant PID issued by PayAtom"),
	PW_CFG_E("secret", PW_CFG_STR, NULL, 0, 0, M(secret),
		 SECF | PW_CFG_REQUIRED, NULL,
		 "Secret key (post_hash, signatures, AES payloads)"),
	PW_CFG_E("api.key", PW_CFG_STR, NULL, 0, 0, M(api_key), SECF, NULL,
		 "V2 API key sent as X-Api-Key"),
	PW_CFG_E("api.version", PW_CFG_ENUM, "v1", 0, 0, M(api_version), 0,
		 "v1|v2", "Gateway API generation"),
	/* spec: hosts are never given (placeholders only), so no default */
	PW_CFG_E("base.url", PW_CFG_STR, NULL, 0, 0, M(base_url),
		 PW_CFG_REQUIRED, NULL, "Gateway base URL (https://<domain>)"),
	PW_CFG_E("country", PW_CFG_ENUM, "IN", 0, 0, M(country), 0, "IN|BD|PK",
		 "Country of the merchant account"),
	PW_CFG_E("products", PW_CFG_LIST, "", 0, 0, M(products), 0, NULL,
		 "Comma-separated products enabled; empty = all of the country"),
	PW_CFG_E("rate.limit.rps", PW_CFG_INT, "0", 0, 100000,
		 M(rate_limit_rps), 0, NULL,
		 "Gateway calls per second; 0 = the worker's rate.limit.rps"),
	PW_CFG_E("recon.token", PW_CFG_STR, NULL, 0, 0, M(recon_token), SECF,
		 NULL, "Token header of the reconciliation APIs"),
	PW_CFG_E("bot.api.key", PW_CFG_STR, NULL, 0, 0, M(bot_api_key), SECF,
		 NULL, "Operator Api-Key of the wallet/bot APIs"),
	PW_CFG_E("complaint.token", PW_CFG_STR, NULL, 0, 0,
		 M(complaint_token), SECF, NULL,
		 "Bearer token of the complaint APIs"),
	PW_CFG_E("wallet.token", PW_CFG_STR, NULL, 0, 0, M(wallet_token), SEC,
		 NULL, "Authorization token of the wallet balance API"),
	PW_CFG_E("wallet.email", PW_CFG_STR, "", 0, 0, M(wallet_email),
		 PW_CFG_PII, NULL,
		 "Operator e-mail of the P2P wallet balance API (redacted in "
		 "logs)"),
	PW_CFG_E("wallet.password", PW_CFG_STR, NULL, 0, 0,
		 M(wallet_password), SECF, NULL,
		 "Operator password of the P2P wallet balance API"),
	PW_CFG_E("sign.mode", PW_CFG_ENUM, "sha256", 0, 0, M(sign_mode), 0,
		 "sha256|hmac", "V2 request signature scheme"),
	PW_CFG_E("poll.key", PW_CFG_ENUM, "ref_code", 0, 0, M(poll_key), 0,
		 "ref_code|order_id",
		 "Identifier used by status polling (older accounts: order_id)"),
};

static const pw_cfg_table_t merchant_table = {
	.name = "merchant",
	.entries = merchant_entries,
	.n_entries = sizeof merchant_entries / sizeof merchant_entries[0],
	.struct_size = sizeof(pw_merchant_conf_t),
	.tmpl_name_offset = PW_CFG_NO_FIELD,
};

static const pw_cfg_table_t worker_table = {
	.name = "worker",
	.entries = worker_entries,
	.n_entries = sizeof worker_entries / sizeof worker_entries[0],
	.struct_size = sizeof(pw_worker_conf_t),
	.tmpl_prefix = "merchant",
	.tmpl = &merchant_table,
	.tmpl_name_offset = M(name),
	.passthrough_prefix = "kafka",
};

const pw_cfg_table_t *pw_config_worker_table(void)
{
	return &worker_table;
}

const pw_cfg_table_t *const *pw_config_all_tables(size_t *n)
{
	static const pw_cfg_table_t *const all[] = {&worker_table};
	if (n)
		*n = sizeof all / sizeof all[0];
	return all;
}
