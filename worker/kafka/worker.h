/* worker.h -- the payatom-worker pipeline: Kafka commands in, gateway calls,
 * webhooks and polls, normalized events out.
 * Owns: pw_worker_t and its options.
 * Not here: configuration parsing (core/config.c), the gateway adapter
 *           (gateway_payatom.c), the HTTP listener (core/http.c). */
#ifndef PW_WORKER_H
#define PW_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "payatom/error.h"
#include "serde/codec.h"
#include "gateway/gateway.h"

typedef struct pw_worker pw_worker_t;

typedef struct pw_kafka_kv {
	const char *key;
	const char *value;
} pw_kafka_kv_t;

#define PW_DLQ_PAYLOAD_MAX (512 * 1024)
#define PW_DLQ_REFUSED_PAYLOAD 1024

/* What a published record says, as metrics count it: filled by
 * pw_published_of() from the record the worker built. */
typedef struct pw_published {
	char event_type[24]; /* "payment", "refund", ...; "" for a dead
				letter */
	char status[24];     /* events: the normalized status */
	char direction[12];  /* events: "PAYIN", "PAYOUT" or "" */
	char reason[40];     /* dead letters: the DeadLetterReason symbol */
	char source[40];     /* dead letters: the last part of the topic the
				record came from ("payin") */
	int terminal;	     /* events: the order reached its outcome */
	int is_event;	     /* 1 event, 0 dead letter, -1 neither */
} pw_published_t;

typedef struct pw_worker_opts {
	const char *brokers;  /* bootstrap servers; required */
	const char *group_id; /* default "payatom-worker" */
	const char *topic_cmd_payin, *topic_cmd_payout, *topic_cmd_complaint;
	const char *topic_evt_payment, *topic_evt_refund, *topic_evt_complaint;
	const char *topic_evt_report, *topic_dlq;
	const char *topic_int_webhook, *topic_int_state;
	int exactly_once;               /* processing.guarantee */
	int max_inflight;               /* whole worker; default 10000 */
	int max_inflight_per_partition; /* default 1000 */
	int64_t poll_first_ms, poll_max_interval_ms, poll_deadline_ms;
	int64_t retry_base_ms, retry_max_ms;
	int retry_max_attempts;
	/* webhook.confirm: PW_CONFIRM_NONE or PW_CONFIRM_SUCCESS
	 * (orders/machine.h) */
	int webhook_confirm;
	int64_t commit_interval_ms;
	int64_t shutdown_timeout_ms;
	/* A dead letter carries at most this many bytes of the original
	 * record; a longer one is cut, with its length and SHA-256 (the
	 * bounded form). 0 = PW_DLQ_PAYLOAD_MAX. A dead letter or event
	 * Kafka refuses for good anyway is written as a dead letter in
	 * bounded form with PW_DLQ_REFUSED_PAYLOAD bytes. */
	size_t dlq_payload_max;
	/* revoke: how long gateway calls in flight on the revoked partitions
	 * may finish before they are handed over (0: cancel at once) */
	int64_t handover_timeout_ms;
	/* settled orders (at rest) are forgotten this long after they were
	 * created: dropped from memory, a tombstone written to the state
	 * changelog so compaction drops them too. 0 = kept for ever. */
	int64_t state_retention_ms;
	/* state.dir: the local state store's folder (a store per partition
	 * under <state_dir>/<group_id>/); NULL or "": a temporary folder of
	 * the worker's own, removed with it (every assignment restores the
	 * whole changelog). state_store_max_bytes: one store's size cap
	 * (0 = 64 GiB). */
	const char *state_dir;
	int64_t state_store_max_bytes;
	/* exactly_once: how long one transaction call (init, send offsets,
	 * commit, abort) may block the loop; 0 = 30 s */
	int64_t txn_timeout_ms;
	/* Borrowed (must outlive the worker), used from the loop thread only.
	 * Encodes every event and dead letter (serialization=avro: Confluent
	 * with a registry, else single-object; or json) and decodes commands
	 * in any of the three framings. With a registry, pw_worker_new
	 * registers the schemas it writes. NULL: plain JSON as built, commands
	 * read with json_loadb (old tests). The internal webhook topic and the
	 * state changelog are plain JSON either way. */
	pw_codec_t *codec;
	/* Kafka headers of events and dead letters (kafka/headers.h,
	 * docs/events.md): the command headers copied besides the trace
	 * context (events.headers; borrowed, must outlive the worker), and
	 * CloudEvents binary mode (events.cloudevents, its ce_source). */
	char *const *event_headers;
	size_t n_event_headers;
	int cloudevents;
	const char *ce_source;
	const pw_kafka_kv_t *kafka; /* kafka.* pass-through (prefix stripped) */
	size_t n_kafka;
	/* Logger (borrowed); NULL = the process default logger. */
	struct pw_logger *log;
	/* Called when the worker cannot go on (fenced producer, fatal Kafka
	 * error): the owner should stop it. May be NULL. */
	void (*on_fatal)(void *ud);
	void *on_fatal_ud;
	/* librdkafka statistics JSON of the consumer (lag, broker RTT), every
	 * stats_interval_ms (0 = 15000) when set. May be NULL. */
	void (*on_stats)(void *ud, const char *json, size_t len);
	void *on_stats_ud;
	int64_t stats_interval_ms;
	/* Observer for tests and the demo: called for every event record
	 * published (after delivery) with its JSON rendering, whatever the
	 * encoding on the wire. May be NULL (then no JSON rendering is made:
	 * with Avro on the wire it would be a second encoding per event). */
	void (*on_event)(void *ud, const char *topic, const char *json);
	void *on_event_ud;
	/* For metrics: called for every event record and dead letter
	 * published (after delivery) with what it says (pw_published_t).
	 * May be NULL. */
	void (*on_published)(void *ud, const char *topic,
			     const pw_published_t *p);
	void *on_published_ud;
	/* A "report_request" command (any command topic) is handed here and
	 * its offset released at once; the results are published later
	 * (reports/reports.h). NULL: such commands are dead-lettered as an
	 * unknown type. cmd is borrowed for the call. */
	void (*on_report_request)(void *ud, const struct json_t *cmd);
	void *on_report_request_ud;
} pw_worker_opts_t;

/* Fills opts with the defaults (topic names of design.md, schedule of
 * the poller, limits). */
void pw_worker_opts_default(pw_worker_opts_t *opts);

/* New worker on loop with gw (takes ownership of gw on success; on failure
 * the caller still owns it). Connects to Kafka and joins the group; work
 * starts as the loop runs. New (caller frees with pw_worker_destroy()). */
pa_err_t pw_worker_new(pw_loop_t *loop, const pw_worker_opts_t *opts,
		       pw_gateway_t *gw, pw_worker_t **out, char *errbuf);

/* Graceful stop: stop fetching, finish in-flight work until the deadline,
 * flush, commit, leave the group. *done is called when finished (from the
 * loop). */
void pw_worker_shutdown(pw_worker_t *w, void (*done)(void *ud), void *ud);
/* NULL is a safe no-op. Abrupt if pw_worker_shutdown() did not finish. */
void pw_worker_destroy(pw_worker_t *w);

typedef struct pw_worker_stats {
	uint64_t commands_in, commands_done, duplicates_suppressed;
	uint64_t events_out, state_out, dlq_out;
	uint64_t gw_calls, gw_retries, polls, webhooks_in;
	uint64_t rebalances, commits, txn_commits, txn_aborts;
	uint64_t inflight, queued;
	uint64_t partitions_assigned, partitions_restoring;
	uint64_t terminal_events, unresolved;
	/* verified webhooks not published at their word: the order's status
	 * was asked from the gateway first (orders/machine.c webhook()) --
	 * an order the worker did not create, a received amount that does
	 * not line up with the order, webhook.confirm=success */
	uint64_t wh_confirm_unheld, wh_confirm_amount, wh_confirm_setting;
	/* revokes that waited for gateway calls in flight: all returned, or
	 * handover.timeout came with calls left (cancelled) */
	uint64_t handovers_drained, handover_timeouts;
	/* order state: live records in memory, settled ones in the local
	 * store (at rest), and the bytes of the live records (not the map's
	 * keys) */
	uint64_t orders_live, orders_at_rest, state_bytes;
	/* the local state store: orders held (live ones too), disk bytes in
	 * use, changelog records restored, records left to restore (by the
	 * watermark), stores wiped and rebuilt, read errors */
	uint64_t orders_stored, store_bytes, restore_records;
	uint64_t restore_remaining, store_rebuilds, store_errors;
	uint64_t orders_expired; /* forgotten after state_retention_ms */
	uint64_t txn_commit_retries; /* commits retried after a timeout */
	/* records Kafka refused for good: written as a bounded dead letter,
	 * or dropped (the bounded form refused too, or a state record) with
	 * the offset released */
	uint64_t produce_bounded, produce_dropped;
} pw_worker_stats_t;

void pw_worker_stats(const pw_worker_t *w, pw_worker_stats_t *st);
/* Calls fn for every input topic (commands, webhooks; topic borrowed) of
 * every partition number the worker has owned: inflight (records of that
 * topic and partition being worked on), uncommitted (records received
 * whose offset is not committable yet) and whether it is assigned now (0:
 * the numbers are 0 and stay, so gauges fall back after a revoke). */
typedef void (*pw_part_stat_fn)(void *ud, const char *topic,
				int32_t partition, int assigned,
				int64_t inflight, int64_t uncommitted);
void pw_worker_partitions(const pw_worker_t *w, pw_part_stat_fn fn, void *ud);

/* 1 when partitions are assigned (or the group is idle waiting) and the
 * producer is healthy. */
int pw_worker_ready(const pw_worker_t *w);

/* Fills *p from an event or dead-letter record (borrowed): an event has
 * an event_type other than "dead_letter"; a dead letter a reason.
 * Anything else gives is_event -1. */
void pw_published_of(const struct json_t *rec, pw_published_t *p);

/* Publishes rec (borrowed; serialized before return) to topic with key,
 * outside any command's transaction and ordering (reports). Delivery is
 * best effort: a failed delivery is logged. on_event sees it once it is
 * queued. Errors: PA_BUSY (producer queue full), PA_KAFKA, PA_NOMEM. */
pa_err_t pw_worker_publish(pw_worker_t *w, const char *topic, const char *key,
			   const struct json_t *rec);
/* The order this worker holds for order_id (payin or payout), or NULL.
 * Borrowed (valid until the loop runs again or the next call: a settled
 * order at rest is unpacked into one copy the worker keeps). */
const pw_order_t *pw_worker_order(pw_worker_t *w, const char *order_id);
/* Polls order_id's status now, through the order's gate like a poll timer
 * does, even when the order is settled (a reconciliation saw it move).
 * PA_NOT_FOUND when the worker does not hold it. */
pa_err_t pw_worker_poll_now(pw_worker_t *w, const char *order_id);

#endif
