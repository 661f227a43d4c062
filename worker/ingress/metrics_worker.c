/* metrics_worker.c -- the worker's metric families (see metrics_worker.h).
 * Owns: family pointers, the last worker counts seen (counters are fed by
 *       the difference), statistics JSON reading.
 * Not here: exposition (core/metrics.c), the HTTP endpoint (opsapi.c). */
#include "ingress/metrics_worker.h"

#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics_process.h"
#include "gateway/gateway_payatom.h"
#include "kafka/worker.h"

struct pw_metrics_worker {
	pw_metrics_t *reg;
	pw_metrics_process_t *proc; /* process_* and payatom_build_info */
	const pw_worker_t *w;
	pw_gateway_t *gw;
	const pw_http_t *http;
	uint64_t seen_too_big, seen_late, seen_half_closed;
	pw_mfamily_t *http_late, *http_half, *http_conns, *refused;
	uint64_t seen_bounded, seen_dropped;
	const pw_merchants_t *ms;
	pw_mfamily_t *commands, *events, *dlq, *gw_req, *gw_dur, *retries,
		*polls, *webhooks, *inflight, *queued, *circuit, *rebalances,
		*p_inflight, *p_uncommitted,
		*txn, *handovers, *lag, *rtt, *gw_load, *orders, *expired, *state_bytes,
		*restore_recs, *restore_left, *store_bytes, *store_rebuilds,
		*store_errors;
	pw_counter_t *wh[PW_WH__COUNT];
	pw_counter_t *c_retries, *c_polls, *c_rebalances, *c_commit, *c_abort,
		*c_drained, *c_hand_tmo;
	pw_gauge_t *g_inflight, *g_queued, *g_gw_sending, *g_gw_waiting,
		*g_live, *g_rest, *g_state_bytes;
	pw_counter_t *c_expired, *c_restore, *c_rebuilds, *c_store_err;
	pw_gauge_t *g_restore_left, *g_store_bytes;
	/* webhooks whose order's status was asked from the gateway first:
	 * unheld, amount, setting */
	pw_mfamily_t *wh_confirm;
	pw_counter_t *c_confirm[3];
	uint64_t seen_confirm[3];
	/* worker counts already added to the counters */
	uint64_t seen_retries, seen_polls, seen_rebalances, seen_commits,
		seen_aborts, seen_drained, seen_hand_tmo, seen_expired,
		seen_restore, seen_rebuilds, seen_store_err;
};

static const char *const wh_names[PW_WH__COUNT] = {
	[PW_WH_VERIFIED] = "verified",
	[PW_WH_HASH_MISMATCH] = "hash_mismatch",
	[PW_WH_MALFORMED] = "malformed",
	[PW_WH_FORBIDDEN] = "forbidden",
	[PW_WH_TOO_LARGE] = "too_large",
	[PW_WH_KAFKA_FAILED] = "kafka_failed",
	[PW_WH_UNKNOWN_MERCHANT] = "unknown_merchant",
	[PW_WH_UNHASHED_AMOUNT] = "unhashed_amount",
	[PW_WH_UNUSABLE] = "unusable",
};

const char *pw_wh_result_name(pw_wh_result_t r)
{
	return (unsigned)r < PW_WH__COUNT ? wh_names[r] : "unknown";
}

/* Adds the growth of a cumulative worker count to a counter. */
static void follow(pw_counter_t *c, uint64_t now, uint64_t *seen)
{
	if (now > *seen)
		pw_counter_add(c, (double)(now - *seen));
	*seen = now;
}

/* Per input topic and partition: in flight and received-but-not-
 * committable records (what lag includes besides what was never fetched),
 * labelled as payatom_consumer_lag is, so the two join. */
static void part_stat(void *ud, const char *topic, int32_t partition,
		      int assigned, int64_t inflight, int64_t uncommitted)
{
	pw_metrics_worker_t *mw = ud;
	char p[16];
	snprintf(p, sizeof p, "%d", (int)partition);
	pw_gauge_set(pw_gauge_get(mw->p_inflight, topic, p), (double)inflight);
	pw_gauge_set(pw_gauge_get(mw->p_uncommitted, topic, p),
		     (double)uncommitted);
	(void)assigned;
}

static void on_render(pw_metrics_t *reg, void *ud)
{
	pw_metrics_worker_t *mw = ud;
	pw_metrics_process_update(mw->proc);
	(void)reg;
	if (mw->http) {
		pw_http_stats_t hs;
		pw_http_get_stats(mw->http, &hs);
		follow(mw->wh[PW_WH_TOO_LARGE], hs.too_big, &mw->seen_too_big);
		follow(pw_counter_of(mw->http_late), hs.late, &mw->seen_late);
		follow(pw_counter_of(mw->http_half), hs.half_closed,
		       &mw->seen_half_closed);
		pw_gauge_set(pw_gauge_of(mw->http_conns),
			     (double)hs.connections);
	}
	if (mw->gw) {
		int sending = 0, waiting = 0;
		pw_gateway_payatom_load(mw->gw, &sending, &waiting);
		pw_gauge_set(mw->g_gw_sending, (double)sending);
		pw_gauge_set(mw->g_gw_waiting, (double)waiting);
	}
	if (mw->gw && mw->ms)
		for (size_t i = 0; i < pw_merchants_count(mw->ms); i++) {
			const char *name = NULL;
			pw_merchants_at(mw->ms, i, &name);
			if (name)
				pw_metrics_worker_circuit(
					mw, name,
					(int)pw_gateway_payatom_circuit(mw->gw,
									i));
		}
	if (!mw->w)
		return;
	pw_worker_stats_t st;
	pw_worker_stats(mw->w, &st);
	follow(mw->c_retries, st.gw_retries, &mw->seen_retries);
	follow(pw_counter_get(mw->refused, "bounded"), st.produce_bounded,
	       &mw->seen_bounded);
	follow(pw_counter_get(mw->refused, "dropped"), st.produce_dropped,
	       &mw->seen_dropped);
	follow(mw->c_polls, st.polls, &mw->seen_polls);
	follow(mw->c_rebalances, st.rebalances, &mw->seen_rebalances);
	follow(mw->c_commit, st.txn_commits, &mw->seen_commits);
	follow(mw->c_abort, st.txn_aborts, &mw->seen_aborts);
	follow(mw->c_drained, st.handovers_drained, &mw->seen_drained);
	follow(mw->c_hand_tmo, st.handover_timeouts, &mw->seen_hand_tmo);
	follow(mw->c_expired, st.orders_expired, &mw->seen_expired);
	follow(mw->c_restore, st.restore_records, &mw->seen_restore);
	follow(mw->c_rebuilds, st.store_rebuilds, &mw->seen_rebuilds);
	follow(mw->c_store_err, st.store_errors, &mw->seen_store_err);
	pw_gauge_set(mw->g_restore_left, (double)st.restore_remaining);
	pw_gauge_set(mw->g_store_bytes, (double)st.store_bytes);
	follow(mw->c_confirm[0], st.wh_confirm_unheld, &mw->seen_confirm[0]);
	follow(mw->c_confirm[1], st.wh_confirm_amount, &mw->seen_confirm[1]);
	follow(mw->c_confirm[2], st.wh_confirm_setting, &mw->seen_confirm[2]);
	pw_gauge_set(mw->g_live, (double)st.orders_live);
	pw_gauge_set(mw->g_rest, (double)st.orders_at_rest);
	pw_gauge_set(mw->g_state_bytes, (double)st.state_bytes);
	pw_gauge_set(mw->g_inflight, (double)st.inflight);
	pw_gauge_set(mw->g_queued, (double)st.queued);
	pw_worker_partitions(mw->w, part_stat, mw);
}

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

pa_err_t pw_metrics_worker_new(pw_metrics_t *reg, pw_metrics_worker_t **out,
			       char *errbuf)
{
	if (!reg || !out)
		return pa_seterr(errbuf, PA_INVAL,
				 "pw_metrics_worker_new: NULL argument");
	*out = NULL;
	pw_metrics_worker_t *mw = calloc(1, sizeof *mw);
	if (!mw)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	mw->reg = reg;
	struct {
		pw_mfamily_t **fam;
		pw_metric_type_t type;
		const char *name, *help;
		const char *const *labels;
	} defs[] = {
		{&mw->commands, PW_METRIC_COUNTER, "payatom_commands_total",
		 "Commands that reached a terminal outcome, by command type and "
		 "outcome (final status, or dead_letter)",
		 L("type", "outcome")},
		{&mw->events, PW_METRIC_COUNTER,
		 "payatom_events_published_total",
		 "Normalized events published, by event type and status",
		 L("type", "status")},
		{&mw->dlq, PW_METRIC_COUNTER, "payatom_dlq_records_total",
		 "Records written to the dead-letter topic, by reason",
		 L("reason")},
		{&mw->gw_req, PW_METRIC_COUNTER,
		 "payatom_gateway_requests_total",
		 "Gateway HTTP calls, by operation and outcome",
		 L("operation", "outcome")},
		{&mw->gw_dur, PW_METRIC_HISTOGRAM,
		 "payatom_gateway_request_duration_seconds",
		 "Gateway HTTP call duration in seconds, by operation",
		 L("operation")},
		{&mw->retries, PW_METRIC_COUNTER, "payatom_retries_total",
		 "Gateway calls retried after a retryable failure", NULL},
		{&mw->polls, PW_METRIC_COUNTER, "payatom_polls_total",
		 "Status polls sent", NULL},
		{&mw->webhooks, PW_METRIC_COUNTER,
		 "payatom_webhooks_received_total",
		 "Gateway webhooks received, by verification result",
		 L("result")},
		{&mw->wh_confirm, PW_METRIC_COUNTER,
		 "payatom_webhook_confirmations_total",
		 "Verified webhooks not published at their word: the order's "
		 "status was asked from the gateway's status API and its answer "
		 "published, by reason (unheld: an order this worker did not "
		 "create; amount: the received amount does not line up with the "
		 "order; setting: webhook.confirm=success)",
		 L("reason")},
		{&mw->inflight, PW_METRIC_GAUGE, "payatom_inflight",
		 "Commands, webhooks and polls in progress in this worker",
		 NULL},
		{&mw->queued, PW_METRIC_GAUGE, "payatom_queued_keys",
		 "Order keys with work waiting behind an earlier item", NULL},
		{&mw->p_inflight, PW_METRIC_GAUGE, "payatom_partition_inflight",
		 "Records being worked on, per input topic and partition",
		 L("topic", "partition")},
		{&mw->p_uncommitted, PW_METRIC_GAUGE,
		 "payatom_partition_uncommitted",
		 "Records received whose offset cannot be committed yet "
		 "(lowest unfinished offset rule), per input topic and "
		 "partition",
		 L("topic", "partition")},
		{&mw->circuit, PW_METRIC_GAUGE, "payatom_circuit_state",
		 "Gateway circuit breaker per merchant, one series per state "
		 "(closed, half_open, open): 1 for the state it is in, 0 for "
		 "the others",
		 L("merchant", "state")},
		{&mw->gw_load, PW_METRIC_GAUGE, "payatom_gateway_calls",
		 "Gateway HTTP calls: sent and awaiting the reply (state "
		 "\"inflight\"), or waiting for a slot of "
		 "gateway.max.concurrent (state \"waiting\")",
		 L("state")},
		{&mw->orders, PW_METRIC_GAUGE, "payatom_orders",
		 "Orders whose state this worker holds: in memory, being worked "
		 "on or unsettled (state \"live\"), settled in the local state "
		 "store (state \"at_rest\")",
		 L("state")},
		{&mw->state_bytes, PW_METRIC_GAUGE, "payatom_state_bytes",
		 "Bytes of the live order records held in memory (not the "
		 "index; settled orders are in the local store)",
		 NULL},
		{&mw->store_bytes, PW_METRIC_GAUGE, "payatom_state_store_bytes",
		 "Disk bytes in use by the local state stores of the owned "
		 "partitions (state.dir)",
		 NULL},
		{&mw->restore_recs, PW_METRIC_COUNTER,
		 "payatom_restore_records_total",
		 "State changelog records restored into the local stores", NULL},
		{&mw->restore_left, PW_METRIC_GAUGE,
		 "payatom_restore_remaining_records",
		 "Changelog records left to restore (0 when no partition "
		 "restores; /readyz says \"restoring\" until then)",
		 NULL},
		{&mw->store_rebuilds, PW_METRIC_COUNTER,
		 "payatom_state_store_rebuilds_total",
		 "Local stores wiped and rebuilt from the changelog (corrupt, "
		 "stale, foreign, or not synced before a machine restart)",
		 NULL},
		{&mw->store_errors, PW_METRIC_COUNTER,
		 "payatom_state_store_errors_total",
		 "Reads of the local state store that failed (the order is "
		 "treated as unknown; the gateway's duplicate check resolves "
		 "a create)",
		 NULL},
		{&mw->expired, PW_METRIC_COUNTER, "payatom_orders_expired_total",
		 "Settled orders forgotten after state.retention (tombstoned)",
		 NULL},
		{&mw->http_late, PW_METRIC_COUNTER,
		 "payatom_http_requests_late_total",
		 "Connections closed because a request's headers and body did "
		 "not arrive within http.request.timeout",
		 NULL},
		{&mw->http_half, PW_METRIC_COUNTER,
		 "payatom_http_half_closed_answers_total",
		 "Answers written to clients that had shut their sending side",
		 NULL},
		{&mw->http_conns, PW_METRIC_GAUGE, "payatom_http_connections",
		 "Open connections of the HTTP listener", NULL},
		{&mw->refused, PW_METRIC_COUNTER, "payatom_produce_refused_total",
		 "Records Kafka refused for good (too large, invalid): written "
		 "as a bounded dead letter (outcome \"bounded\"), or dropped "
		 "with the offset released (outcome \"dropped\")",
		 L("outcome")},
		{&mw->rebalances, PW_METRIC_COUNTER, "payatom_rebalances_total",
		 "Consumer group rebalances seen", NULL},
		{&mw->txn, PW_METRIC_COUNTER, "payatom_transactions_total",
		 "Kafka transactions (exactly_once), by result", L("result")},
		{&mw->handovers, PW_METRIC_COUNTER, "payatom_handovers_total",
		 "Revokes that waited for gateway calls in flight: drained, or "
		 "timeout (calls left were cancelled)",
		 L("result")},
		{&mw->lag, PW_METRIC_GAUGE, "payatom_consumer_lag",
		 "Consumer lag in records per assigned partition (librdkafka "
		 "statistics)",
		 L("topic", "partition")},
		{&mw->rtt, PW_METRIC_GAUGE, "payatom_broker_rtt_seconds",
		 "Average broker round-trip time in seconds (librdkafka "
		 "statistics)",
		 L("broker")},
	};
	for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
		pa_err_t err = pw_metrics_register(
			reg, defs[i].type, defs[i].name, defs[i].help,
			defs[i].labels, NULL, 0, 0, defs[i].fam, errbuf);
		if (err) {
			free(mw);
			return err;
		}
	}
	for (int r = 0; r < PW_WH__COUNT; r++) {
		/* every result shows from the start (0), so rate() and the
		 * hash-mismatch alert see the first increase */
		mw->wh[r] = pw_counter_get(mw->webhooks, wh_names[r]);
	}
	mw->c_retries = pw_counter_of(mw->retries);
	mw->c_polls = pw_counter_of(mw->polls);
	mw->c_rebalances = pw_counter_of(mw->rebalances);
	mw->c_commit = pw_counter_get(mw->txn, "commit");
	mw->c_abort = pw_counter_get(mw->txn, "abort");
	mw->c_drained = pw_counter_get(mw->handovers, "drained");
	mw->c_hand_tmo = pw_counter_get(mw->handovers, "timeout");
	mw->g_inflight = pw_gauge_of(mw->inflight);
	mw->g_queued = pw_gauge_of(mw->queued);
	mw->g_live = pw_gauge_get(mw->orders, "live");
	mw->g_rest = pw_gauge_get(mw->orders, "at_rest");
	mw->g_state_bytes = pw_gauge_of(mw->state_bytes);
	mw->c_expired = pw_counter_of(mw->expired);
	mw->c_restore = pw_counter_of(mw->restore_recs);
	mw->c_rebuilds = pw_counter_of(mw->store_rebuilds);
	mw->c_store_err = pw_counter_of(mw->store_errors);
	mw->g_restore_left = pw_gauge_of(mw->restore_left);
	mw->g_store_bytes = pw_gauge_of(mw->store_bytes);
	static const char *const why[3] = {"unheld", "amount", "setting"};
	for (int i = 0; i < 3; i++)
		mw->c_confirm[i] = pw_counter_get(mw->wh_confirm, why[i]);
	mw->g_gw_sending = pw_gauge_get(mw->gw_load, "inflight");
	mw->g_gw_waiting = pw_gauge_get(mw->gw_load, "waiting");
	if (pw_metrics_process_new(reg, &mw->proc, errbuf) != PA_OK) {
		free(mw);
		return PA_INVAL;
	}
	pw_metrics_on_render(reg, on_render, mw);
	*out = mw;
	return PA_OK;
}

void pw_metrics_worker_destroy(pw_metrics_worker_t *mw)
{
	if (!mw)
		return;
	pw_metrics_on_render(mw->reg, NULL, NULL);
	pw_metrics_process_destroy(mw->proc);
	free(mw);
}

void pw_metrics_worker_set_worker(pw_metrics_worker_t *mw,
				  const struct pw_worker *w)
{
	if (mw)
		mw->w = w;
}

void pw_metrics_worker_set_http(pw_metrics_worker_t *mw, const pw_http_t *http)
{
	if (!mw)
		return;
	mw->http = http;
	mw->seen_too_big = 0; /* what it refused so far counts too */
}

void pw_metrics_worker_set_gateway(pw_metrics_worker_t *mw, pw_gateway_t *gw,
				   const pw_merchants_t *ms)
{
	if (!mw)
		return;
	mw->gw = gw;
	mw->ms = gw ? ms : NULL;
}

void pw_metrics_worker_on_gateway_call(void *ud, pa_op_t op,
				       const char *outcome, double seconds)
{
	char name[32];
	const char *s = pa_op_name(op);
	size_t i = 0;
	for (; s[i] && i < sizeof name - 1; i++)
		name[i] = (char)tolower((unsigned char)s[i]);
	name[i] = '\0';
	pw_metrics_worker_gateway(ud, name, outcome, seconds);
}

/* ---- librdkafka statistics ------------------------------------------- */

static void stats_topics(pw_metrics_worker_t *mw, json_t *topics)
{
	const char *tname;
	json_t *t;
	json_object_foreach(topics, tname, t)
	{
		const char *pname;
		json_t *p;
		json_object_foreach(json_object_get(t, "partitions"), pname, p)
		{
			json_t *lag = json_object_get(p, "consumer_lag");
			json_t *id = json_object_get(p, "partition");
			/* -1 is librdkafka's internal UA partition; a lag of
			 * -1 means "not consumed by this client" */
			if (!json_is_integer(lag) || !json_is_integer(id) ||
			    json_integer_value(id) < 0 ||
			    json_integer_value(lag) < 0)
				continue;
			char part[24];
			snprintf(part, sizeof part, "%lld",
				 (long long)json_integer_value(id));
			pw_gauge_set(pw_gauge_get(mw->lag, tname, part),
				     (double)json_integer_value(lag));
		}
	}
}

static void stats_brokers(pw_metrics_worker_t *mw, json_t *brokers)
{
	const char *bname;
	json_t *b;
	json_object_foreach(brokers, bname, b)
	{
		json_t *rtt = json_object_get(b, "rtt");
		json_t *avg = json_object_get(rtt, "avg");
		json_t *cnt = json_object_get(rtt, "cnt");
		json_t *id = json_object_get(b, "nodeid");
		/* logical brokers (GroupCoordinator, nodeid -1) repeat a real
		 * one; no sample in the window: keep the last value */
		if ((json_is_integer(id) && json_integer_value(id) < 0) ||
		    !json_is_integer(avg) ||
		    (json_is_integer(cnt) && json_integer_value(cnt) == 0))
			continue;
		/* "nodename" is host:port; the key adds "/id" */
		const char *name = json_string_value(
			json_object_get(b, "nodename"));
		if (!name || !*name)
			name = bname;
		pw_gauge_set(pw_gauge_get(mw->rtt, name),
			     (double)json_integer_value(avg) / 1e6);
	}
}

pa_err_t pw_metrics_worker_on_stats(pw_metrics_worker_t *mw, const char *json,
				    size_t len)
{
	if (!mw || !json)
		return PA_INVAL;
	json_error_t je;
	json_t *root = json_loadb(json, len, 0, &je);
	if (!json_is_object(root)) {
		json_decref(root);
		return PA_PARSE;
	}
	stats_topics(mw, json_object_get(root, "topics"));
	stats_brokers(mw, json_object_get(root, "brokers"));
	json_decref(root);
	return PA_OK;
}

/* ---- events and dead letters ----------------------------------------- */

void pw_metrics_worker_published(void *ud, const char *topic,
				 const pw_published_t *p)
{
	pw_metrics_worker_t *mw = ud;
	if (!mw || !p)
		return;
	if (p->is_event > 0) {
		const char *status = p->status[0] ? p->status : "unknown";
		pw_counter_inc(pw_counter_get(mw->events, p->event_type, status));
		if (p->terminal) {
			/* the command type: Direction PAYIN/PAYOUT as the
			 * lower-case type of the command ("payin") */
			char lc[16];
			size_t i = 0;
			for (; p->direction[i] && i + 1 < sizeof lc; i++)
				lc[i] = (char)tolower(
					(unsigned char)p->direction[i]);
			lc[i] = '\0';
			pw_counter_inc(pw_counter_get(
				mw->commands, p->direction[0] ? lc : p->event_type,
				status));
		}
	} else if (p->is_event == 0) {
		pw_counter_inc(pw_counter_get(mw->dlq, p->reason));
		/* the command type is the last part of the source topic */
		const char *src = p->source;
		if (!src[0]) {
			const char *dot = topic ? strrchr(topic, '.') : NULL;
			src = dot ? dot + 1 : topic ? topic : "unknown";
		}
		pw_counter_inc(pw_counter_get(mw->commands, src, "dead_letter"));
	}
}

void pw_metrics_worker_on_event(void *ud, const char *topic, const char *json)
{
	if (!ud || !json)
		return;
	json_error_t je;
	json_t *ev = json_loads(json, 0, &je);
	if (json_is_object(ev)) {
		pw_published_t p;
		pw_published_of(ev, &p);
		pw_metrics_worker_published(ud, topic, &p);
	}
	json_decref(ev);
}

/* ---- direct updates -------------------------------------------------- */

void pw_metrics_worker_webhook(pw_metrics_worker_t *mw, pw_wh_result_t r)
{
	if (mw && (unsigned)r < PW_WH__COUNT)
		pw_counter_inc(mw->wh[r]);
}

void pw_metrics_worker_gateway(pw_metrics_worker_t *mw, const char *operation,
			       const char *outcome, double seconds)
{
	if (!mw || !operation || !outcome)
		return;
	pw_counter_inc(pw_counter_get(mw->gw_req, operation, outcome));
	pw_histogram_observe(pw_histogram_get(mw->gw_dur, operation), seconds);
}

/* Prometheus' enum convention (as kube-state-metrics' *_status_phase and
 * OpenMetrics' StateSet): every state is a series, the current one is 1,
 * so `payatom_circuit_state{state="open"} == 1` selects open circuits and
 * a dashboard can show the state by name. */
void pw_metrics_worker_circuit(pw_metrics_worker_t *mw, const char *merchant,
			       int state)
{
	static const char *const names[] = {"closed", "half_open", "open"};
	if (!mw || !merchant)
		return;
	for (int i = 0; i < 3; i++)
		pw_gauge_set(pw_gauge_get(mw->circuit, merchant, names[i]),
			     i == state);
}

double pw_metrics_worker_webhooks(const pw_metrics_worker_t *mw,
				  pw_wh_result_t r)
{
	if (!mw || (unsigned)r >= PW_WH__COUNT)
		return 0;
	return pw_metric_value(mw->wh[r]);
}
