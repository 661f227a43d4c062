/* metrics_worker.h -- the worker's Prometheus metric families, in one place.
 * Owns: registration of every payatom_* family on a pw_metrics_t, the
 *       render hook that refreshes counters/gauges from pw_worker_stats(),
 *       reading librdkafka statistics JSON (consumer lag, broker RTT),
 *       counting published events/dead letters from the worker's observer.
 * Not here: the registry and exposition (core/metrics.c), the /metrics
 *           endpoint (opsapi.c), what the worker counts (worker.c).
 *
 * Families (names used by helm/payatom-worker/templates/prometheusrule.yaml
 * are marked *):
 *   payatom_commands_total{type,outcome}          terminal outcome per command
 *   payatom_events_published_total{type,status}
 *   payatom_dlq_records_total{reason}            *
 *   payatom_gateway_requests_total{operation,outcome}
 *   payatom_gateway_request_duration_seconds{operation}   histogram
 *   payatom_retries_total, payatom_polls_total
 *   payatom_webhooks_received_total{result}      * (pw_wh_result_t)
 *   payatom_inflight, payatom_queued_keys         gauges (whole worker)
 *   payatom_circuit_state{merchant,state}        * enum: 1 for the current state
 *                                                  (closed|half_open|open)
 *   payatom_rebalances_total
 *   payatom_transactions_total{result}            commit | abort
 *   payatom_consumer_lag{topic,partition}        * from statistics
 *   payatom_broker_rtt_seconds{broker}             from statistics (avg)
 *
 * Everything runs on the loop thread (the registry is not thread-safe):
 * hand librdkafka's stats_cb JSON over to the loop before calling
 * pw_metrics_worker_on_stats() if the callback runs elsewhere (with the
 * queues served by pw_kq_attach, stats_cb runs on the loop already). */
#ifndef PW_METRICS_WORKER_H
#define PW_METRICS_WORKER_H

#include <stddef.h>

#include "core/http.h"
#include "core/metrics.h"
#include "payatom/error.h"
#include "payatom/request.h"
#include "gateway/gateway.h"
#include "gateway/merchants.h"

typedef struct pw_metrics_worker pw_metrics_worker_t;
struct pw_worker;

/* Results of one webhook request (label result of
 * payatom_webhooks_received_total). */
typedef enum pw_wh_result {
	PW_WH_VERIFIED,         /* hash matched, Kafka took it */
	PW_WH_HASH_MISMATCH,    /* post_hash did not verify */
	PW_WH_MALFORMED,        /* not a callback body */
	PW_WH_FORBIDDEN,        /* client IP not in webhook.allow.ips */
	PW_WH_TOO_LARGE,        /* body over the ingress limit */
	PW_WH_KAFKA_FAILED,     /* verified, but Kafka did not take it */
	PW_WH_UNKNOWN_MERCHANT, /* /webhooks/payatom/<name> not configured */
	PW_WH_UNHASHED_AMOUNT,  /* hash over `amount`, received_amount differs
				 * (PA_UNHASHED_AMOUNT, api.h D1) */
	PW_WH_UNUSABLE,         /* verified, but no order_id/status to act on
				 * (pa_txn_update_usable, api.h D3) */
	PW_WH__COUNT
} pw_wh_result_t;

/* "verified", "hash_mismatch", ... Borrowed (static). */
const char *pw_wh_result_name(pw_wh_result_t r);

/* Registers every family on reg (borrowed: must outlive the result) and
 * installs the render hook (pw_metrics_on_render). New (caller frees with
 * pw_metrics_worker_destroy()). Errors: PA_NOMEM, PA_INVAL (reg NULL or a
 * family already registered, with its name in errbuf). */
pa_err_t pw_metrics_worker_new(pw_metrics_t *reg, pw_metrics_worker_t **out,
			       char *errbuf);
/* Removes the render hook. NULL is a safe no-op. */
void pw_metrics_worker_destroy(pw_metrics_worker_t *mw);

/* The worker whose pw_worker_stats() the render hook reads (borrowed; NULL
 * detaches: call it before pw_worker_destroy()). Counters follow the
 * worker's cumulative counts (retries, polls, rebalances, transactions);
 * gauges its current in-flight and queued-key counts. */
void pw_metrics_worker_set_worker(pw_metrics_worker_t *mw,
				  const struct pw_worker *w);

/* The worker's HTTP listener (borrowed; NULL detaches, before
 * pw_http_destroy()): bodies over its max_body are answered 413 by the
 * listener before the webhook route sees them; the render hook adds them
 * to payatom_webhooks_received_total{result="too_large"} (the listener
 * takes POST bodies only for webhooks). */
void pw_metrics_worker_set_http(pw_metrics_worker_t *mw, const pw_http_t *http);

/* The PayAtom gateway (gateway_payatom.h) and its merchant set, both
 * borrowed: the render hook sets payatom_circuit_state{merchant,state} from
 * pw_gateway_payatom_circuit(). NULL detaches (before the gateway goes). */
void pw_metrics_worker_set_gateway(pw_metrics_worker_t *mw, pw_gateway_t *gw,
				   const pw_merchants_t *ms);

/* The gateway's call observer (pw_gwp_opts_t.on_call, ud = mw):
 * payatom_gateway_requests_total{operation,outcome} and the duration
 * histogram; operation is pa_op_name() in lower case ("payin"). */
void pw_metrics_worker_on_gateway_call(void *ud, pa_op_t op,
				       const char *outcome, double seconds);

/* librdkafka statistics (statistics.interval.ms; the stats_cb's json and
 * json_len): sets payatom_consumer_lag{topic,partition} from
 * topics.*.partitions.*.consumer_lag (partitions this client consumes:
 * consumer_lag >= 0, the internal partition -1 skipped) and
 * payatom_broker_rtt_seconds{broker=nodename} from brokers.*.rtt.avg (µs;
 * logical brokers (nodeid < 0) and brokers with no sample skipped).
 * Errors: PA_PARSE (not a JSON object). */
pa_err_t pw_metrics_worker_on_stats(pw_metrics_worker_t *mw, const char *json,
				    size_t len);

/* The worker's event observer (pw_worker_opts_t.on_event; chain it from
 * yours): an event record counts payatom_events_published_total{type=
 * event_type,status}, and when "terminal" also payatom_commands_total{type=
 * direction,outcome=status}; a dead letter (no event_type, a reason)
 * counts payatom_dlq_records_total{reason} and payatom_commands_total{
 * type=<last part of the source topic>,outcome="dead_letter"}. ud is the
 * pw_metrics_worker_t. Records that are not JSON objects are ignored. */
void pw_metrics_worker_on_event(void *ud, const char *topic,
				const char *json);

/* Direct updates, for the modules that own the measured thing. */
void pw_metrics_worker_webhook(pw_metrics_worker_t *mw, pw_wh_result_t r);
void pw_metrics_worker_gateway(pw_metrics_worker_t *mw, const char *operation,
			       const char *outcome, double seconds);
/* state: 0 closed, 1 half-open, 2 open; sets the three series of the
 * merchant (payatom_circuit_state{merchant,state}). */
void pw_metrics_worker_circuit(pw_metrics_worker_t *mw, const char *merchant,
			       int state);

/* Current value of payatom_webhooks_received_total{result=r} (tests,
 * summaries). */
double pw_metrics_worker_webhooks(const pw_metrics_worker_t *mw,
				  pw_wh_result_t r);

#endif
