/* webhook_ingress.h -- POST /webhooks/payatom: verified gateway callbacks
 * into Kafka, acknowledged only once Kafka has them (design.md §2, spec §5).
 * Owns: the webhook route, the IP allowlist, verification against the
 *       merchant profiles, a dedicated idempotent producer (acks=all,
 *       murmur2_random: a callback lands on the partition of the commands
 *       with the same order_id) for payatom.int.webhook, and the requests
 *       held until their delivery report.
 * Not here: applying callbacks to orders (process.c apply_webhook, which
 *           reads the record below), the listener (core/http.c), parsing
 *           and verifying a callback (lib/webhook.c), profiles
 *           (merchants.c).
 *
 * Per request:
 *   client IP not in the allowlist      403  HashMismatch/no  forbidden
 *   /webhooks/payatom/<unknown name>    404  HashMismatch/no  unknown_merchant
 *   body over max_body                  413  HashMismatch/no  too_large
 *      (over the listener's max_body the listener answers 413 itself,
 *       before this module sees the request: not counted here)
 *   not a callback (pa_webhook_parse)   400  HashMismatch/no  malformed
 *      (no JSON object to PHP's json_decode either, or api.h D4)
 *   no merchant secret verifies         200  HashMismatch/no  hash_mismatch
 *   hash over `amount`, received_amount 200  HashMismatch/no  unhashed_amount
 *      differs (PA_UNHASHED_AMOUNT, api.h D1: refused on purpose)
 *   verified, no order_id or status     200  HashMatched/no   unusable
 *      to act on (pa_txn_update_usable, api.h D3)
 *   verified, Kafka acknowledged        200  HashMatched/yes  verified
 *   verified, Kafka failed / timed out  503  HashMatched/no   kafka_failed
 *   other method than POST              405
 * Bodies are pa_webhook_ack_body() texts with Content-Type
 * "application/json; charset=utf-8". A bad hash answers 200 as spec §5's
 * PHP sample does (the gateway re-sends on acknowledge "no" in any case);
 * a Kafka failure answers 503 so that proxies and the gateway's logs see a
 * server-side failure, and the gateway re-sends.
 *
 * So a body the docs' PHP verifier accepts is never answered 400 (bar D4,
 * numbers PHP's json_encode() cannot write); tests/differential proves it.
 *
 * Record on the topic (key = order_id as the hash covers it, i.e. PHP's
 * text: a numeric order_id is its digits; compact JSON):
 *   {"v":1,"merchant":NAME,"callback":<the body's JSON object>,
 *    "received_minor":<pa_txn_update_amount(), absent when none>,
 *    "received_at":<Unix ms>}
 *
 * Logs (component "webhook"): order_id, merchant, result; post_hash and
 * secrets never (the post_hash only as PW_KV_HASH, i.e. redacted). */
#ifndef PW_WEBHOOK_INGRESS_H
#define PW_WEBHOOK_INGRESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/http.h"
#include "core/log.h"
#include "core/loop.h"
#include "payatom/error.h"
#include "gateway/merchants.h"
#include "ingress/metrics_worker.h"

typedef struct pw_ingress pw_ingress_t;

/* The route served ("/webhooks/payatom" and "/webhooks/payatom/<name>"). */
#define PW_INGRESS_PATH "/webhooks/payatom"

typedef struct pw_ingress_opts {
	const char *brokers; /* bootstrap servers; required */
	const char *topic;   /* NULL = "payatom.int.webhook" */
	const pw_merchants_t *merchants; /* borrowed; at least one */
	/* webhook.allow.ips: IPs and CIDRs (v4 or v6; "10.0.0.0/8",
	 * "2001:db8::/32", "127.0.0.1"); n_allow 0 = every client. The
	 * strings are read during pw_ingress_new() only. */
	char *const *allow;
	size_t n_allow;
	size_t max_body;           /* 0 = PA_WEBHOOK_MAX_BODY */
	int64_t kafka_timeout_ms;  /* message.timeout.ms; 0 = 10000 */
	/* kafka.* pass-through (SASL, TLS, ...) applied before the settings
	 * this module needs (idempotence, acks=all, murmur2_random, timeout,
	 * linger.ms=1, no transactional.id), which win. May be NULL. */
	const pw_config_t *kafka_cfg;
	/* Further librdkafka pairs: key, value, ..., NULL. May be NULL. */
	const char *const *kafka_kv;
	pw_logger_t *log;         /* parent logger (borrowed); NULL = default */
	pw_metrics_worker_t *mw;  /* counters (borrowed); may be NULL */
} pw_ingress_opts_t;

/* Creates the producer (its main queue served from loop) and parses the
 * allowlist. New (caller frees with pw_ingress_destroy()). Errors:
 * PA_INVAL (missing brokers/merchants), PA_CONFIG (bad allowlist entry or
 * Kafka property; named in errbuf), PA_NOMEM, PA_IO. */
pa_err_t pw_ingress_new(pw_loop_t *loop, const pw_ingress_opts_t *opts,
			pw_ingress_t **out, char *errbuf);

/* Routes PW_INGRESS_PATH (any method; non-POST gets 405) on http to in.
 * http is borrowed. Routes cannot be removed: destroy the listener first
 * (it drops held requests through their abort callbacks), or destroy in
 * first only when the loop will not serve the listener again before
 * pw_http_destroy() (held requests are then answered 503). */
pa_err_t pw_ingress_mount(pw_ingress_t *in, pw_http_t *http);

/* Answers every request still waiting for Kafka with 503/acknowledge "no",
 * purges the producer and frees everything. The metrics (opts.mw) and the
 * logger must still be alive. NULL is a safe no-op. */
void pw_ingress_destroy(pw_ingress_t *in);

/* Counts since creation, by result (index pw_wh_result_t), and requests
 * waiting for their delivery report now. */
typedef struct pw_ingress_stats {
	uint64_t results[PW_WH__COUNT];
	unsigned pending;
	int producer_fatal; /* librdkafka raised a fatal error */
	int kafka_down;     /* every broker down, none answered since */
} pw_ingress_stats_t;
void pw_ingress_get_stats(const pw_ingress_t *in, pw_ingress_stats_t *st);

/* 1 unless the producer hit a fatal error (for /readyz). */
int pw_ingress_ok(const pw_ingress_t *in);

/* 1 when ip (numeric text) is allowed by the allowlist (tests). */
int pw_ingress_ip_allowed(const pw_ingress_t *in, const char *ip);

#endif
