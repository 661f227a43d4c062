/* control.c -- the sandbox's own API under /_sandbox/ (JSON in and out).
 * Owns: listing and inspecting orders, forcing a status, emitting or
 *       replaying a webhook (optionally with a wrong hash), refunds, fault
 *       rules at run time, reset, counters, the webhook log.
 * Not here: gateway endpoints (routes.c); the control API is never subject
 *           to fault injection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/money.h"
#include "payatom/webhook.h"
#include "sandbox/sbx_int.h"

#define PREFIX "/_sandbox/"

/* The reference printed by --help (and the README); keep it next to the
 * dispatcher below. */
static const char *const reference[][2] = {
	{"GET  /_sandbox/health", "{\"status\":\"ok\"}"},
	{"GET  /_sandbox/counters",
	 "requests, orders by status, in-flight peak, faults, webhooks, "
	 "per-endpoint requests"},
	{"GET  /_sandbox/merchants", "pids, callback URLs (no secrets)"},
	{"GET  /_sandbox/orders?pid=&status=&limit=", "orders, newest first"},
	{"GET  /_sandbox/orders/ID",
	 "one order (ID = ref_code, order_id or hosted-page code)"},
	{"POST /_sandbox/orders/ID/status",
	 "{\"status\":\"Approved\",\"received_amount\":\"90\"} force a "
	 "status (webhook sent)"},
	{"POST /_sandbox/orders/ID/resolve", "run the next planned step now"},
	{"POST /_sandbox/orders/ID/webhook",
	 "{\"bad_hash\":false,\"copies\":1,\"delay_ms\":0} replay the "
	 "current state"},
	{"POST /_sandbox/orders/ID/payload",
	 "{\"bad_hash\":false} the webhook body, not sent"},
	{"POST /_sandbox/orders/ID/refund", "{\"amount\":\"50\"} start a refund"},
	{"GET  /_sandbox/webhooks", "deliveries pending and the last 256 attempts"},
	{"POST /_sandbox/sink",
	 "a merchant webhook endpoint (callback=self): verifies post_hash, "
	 "acknowledges"},
	{"GET  /_sandbox/sink", "the last 256 webhooks the sink received"},
	{"GET  /_sandbox/faults", "fault rules"},
	{"POST /_sandbox/faults",
	 "{\"replace\":false,\"rules\":[\"ENDPOINT:k=v,..\" or "
	 "{\"endpoint\":..,\"latency\":..,\"5xx\":0.1}]}"},
	{"DELETE /_sandbox/faults", "remove every rule"},
	{"POST /_sandbox/reset",
	 "{\"seed\":N,\"faults\":true} drop orders, webhooks, counters, "
	 "daily limits, the sink's log"},
};

void sbx__control_print(FILE *f)
{
	for (size_t i = 0; i < sizeof reference / sizeof reference[0]; i++)
		fprintf(f, "  %s\n      %s\n", reference[i][0], reference[i][1]);
}

void sbx__reply_json(pw_http_req_t *req, int status, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	if (!s) {
		pw_http_abort(req, 0);
		return;
	}
	pw_http_reply(req, status, "application/json", s, strlen(s));
	free(s);
}

/* ---- webhook sink: a merchant endpoint inside the sandbox ------------- */

#define SINK_MAX 256

typedef struct sink_entry {
	char ts[32];
	char order_id[64];
	char ref_code[65];
	char status[32];
	char received_amount[PA_AMOUNT_TEXT_MAX + 1];
	int hash_ok;
} sink_entry_t;

typedef struct sink {
	sink_entry_t e[SINK_MAX];
	uint64_t n;
} sink_t;

void sbx__control_fini(sbx_t *sbx)
{
	free(sbx->ctl);
	sbx->ctl = NULL;
}

/* spec §5 from the merchant's side: verify with the merchant's secret
 * (found through ref_code), record, answer the documented acknowledgement
 * through libpayatom. */
static void sink_post(sbx_t *sbx, pw_http_req_t *req)
{
	size_t len;
	const uint8_t *body = pw_http_body(req, &len);
	pa_txn_update_t upd = {0};
	int ok = 0;
	if (pa_webhook_parse(body, len, &upd, NULL) == PA_OK) {
		sbx_order_t *ord = upd.ref_code ? sbx__order_by_ref(
							  sbx, upd.ref_code)
						: NULL;
		ok = ord && pa_txn_update_verify(ord->m->secret,
						 PA_AMOUNT_PREF_RECEIVED, &upd,
						 NULL) == PA_OK;
		if (!sbx->ctl)
			sbx->ctl = calloc(1, sizeof(sink_t));
		sink_t *sk = sbx->ctl;
		if (sk) {
			sink_entry_t *e = &sk->e[sk->n++ % SINK_MAX];
			sbx__log_ts(e->ts);
			snprintf(e->order_id, sizeof e->order_id, "%s",
				 upd.order_id ? upd.order_id : "");
			snprintf(e->ref_code, sizeof e->ref_code, "%s",
				 upd.ref_code ? upd.ref_code : "");
			snprintf(e->status, sizeof e->status, "%s",
				 upd.status_raw ? upd.status_raw : "");
			snprintf(e->received_amount, sizeof e->received_amount,
				 "%s", upd.received_amount.text);
			e->hash_ok = ok;
		}
	}
	pa_txn_update_clear(&upd);
	/* a mismatched hash is not acknowledged: the gateway re-sends */
	const char *ack = pa_webhook_ack_body(ok, ok);
	pw_http_reply(req, 200, PA_WEBHOOK_ACK_CONTENT_TYPE, ack, strlen(ack));
}

static json_t *sink_json(const sbx_t *sbx)
{
	const sink_t *sk = sbx->ctl;
	json_t *a = json_array();
	if (sk) {
		uint64_t first = sk->n > SINK_MAX ? sk->n - SINK_MAX : 0;
		for (uint64_t i = first; i < sk->n; i++) {
			const sink_entry_t *e = &sk->e[i % SINK_MAX];
			json_array_append_new(
				a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}",
					     "received_at", e->ts, "order_id",
					     e->order_id, "ref_code",
					     e->ref_code, "status", e->status,
					     "received_amount",
					     e->received_amount, "hash_status",
					     e->hash_ok ? "Hash Matched"
							: "Hash Mismatch"));
		}
	}
	return json_pack("{s:o}", "received", a);
}

static void err(pw_http_req_t *req, int status, const char *msg)
{
	sbx__reply_json(req, status,
			json_pack("{s:s,s:s}", "status", "error", "message",
				  msg));
}

static sbx_order_t *find(sbx_t *sbx, const char *id)
{
	sbx_order_t *ord = sbx__order_by_ref(sbx, id);
	if (!ord)
		ord = sbx__order_by_hash(sbx, id);
	for (size_t i = 0; !ord && i < sbx->norders; i++)
		if (!strcmp(sbx->orders[i]->order_id, id))
			ord = sbx->orders[i];
	return ord;
}

static json_t *counters_base(sbx_t *sbx);

static json_t *counters(sbx_t *sbx)
{
	json_t *out = counters_base(sbx);
	json_object_set_new(out, "endpoints", sbx__endpoint_counts(sbx));
	return out;
}

static json_t *counters_base(sbx_t *sbx)
{
	const sbx_counters_t *c = &sbx->c;
	pw_http_stats_t hs;
	pw_http_get_stats(sbx->http, &hs);
	json_t *by = json_object();
	for (size_t i = 0; i < sbx->norders; i++) {
		const char *st = sbx->orders[i]->status;
		json_t *n = json_object_get(by, st);
		json_object_set_new(by, st,
				    json_integer(json_integer_value(n) + 1));
	}
	return json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:i,s:i,s:i,s:i,s:o,"
		"s:{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I},"
		"s:{s:I,s:I,s:I,s:I,s:I}}",
		"gateway_requests", (json_int_t)c->gw_requests,
		"control_requests", (json_int_t)c->ctl_requests,
		"orders_created", (json_int_t)c->orders_created,
		"status_changes", (json_int_t)c->status_changes,
		"orders_evicted", (json_int_t)c->orders_evicted, "in_flight",
		(int)hs.in_flight, "in_flight_max", (int)hs.in_flight_max,
		"held", (int)c->held, "held_max", (int)c->held_max,
		"orders_by_status", by, "faults", "latency",
		(json_int_t)c->f_latency, "5xx", (json_int_t)c->f_5xx, "429",
		(json_int_t)c->f_429, "hang", (json_int_t)c->f_hang, "reset",
		(json_int_t)c->f_reset, "malformed", (json_int_t)c->f_malformed,
		"truncated", (json_int_t)c->f_truncated, "bad_hash",
		(json_int_t)c->f_bad_hash, "webhook_dup",
		(json_int_t)c->f_wh_dup, "webhook_reorder",
		(json_int_t)c->f_wh_reorder, "webhook_bad_hash",
		(json_int_t)c->f_wh_bad_hash, "webhooks", "attempts",
		(json_int_t)c->wh_attempts, "acknowledged",
		(json_int_t)c->wh_acked, "not_acknowledged",
		(json_int_t)c->wh_nacked, "failed", (json_int_t)c->wh_failed,
		"given_up", (json_int_t)c->wh_given_up);
}

static json_t *faults_json(sbx_t *sbx)
{
	json_t *a = json_array();
	for (int i = 0; i < sbx->nfaults; i++)
		json_array_append_new(a, sbx_fault_to_json(&sbx->faults[i]));
	return json_pack("{s:o}", "faults", a);
}

/* A rule from {"endpoint":..., "latency":..., "5xx":0.1, ...} or from
 * {"spec":"ENDPOINT:k=v,..."}: both go through sbx_fault_parse(). */
static pa_err_t rule_from_json(json_t *r, sbx_fault_t *f, char *eb)
{
	const char *spec = json_string_value(json_object_get(r, "spec"));
	if (spec)
		return sbx_fault_parse(spec, f, eb);
	const char *ep = json_string_value(json_object_get(r, "endpoint"));
	if (!ep)
		return pa_seterr(eb, PA_CONFIG, "rule needs endpoint or spec");
	char buf[1024];
	size_t n = (size_t)snprintf(buf, sizeof buf, "%s:", ep);
	const char *k;
	json_t *v;
	int first = 1;
	json_object_foreach(r, k, v)
	{
		if (!strcmp(k, "endpoint") || n >= sizeof buf)
			continue;
		char val[64];
		if (json_is_string(v))
			snprintf(val, sizeof val, "%s", json_string_value(v));
		else if (json_is_number(v))
			snprintf(val, sizeof val, "%.17g",
				 json_number_value(v));
		else
			return pa_seterr(eb, PA_CONFIG, "%s: bad value", k);
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s=%s",
				      first ? "" : ",", k, val);
		first = 0;
	}
	if (n >= sizeof buf)
		return pa_seterr(eb, PA_CONFIG, "rule too long");
	return sbx_fault_parse(buf, f, eb);
}

static void set_faults(sbx_t *sbx, pw_http_req_t *req, json_t *body)
{
	json_t *rules = json_object_get(body, "rules");
	if (!json_is_array(rules)) {
		err(req, 400, "expected {\"rules\":[...], \"replace\":bool}");
		return;
	}
	int replace = json_is_true(json_object_get(body, "replace"));
	sbx_fault_t tmp[SBX_MAX_FAULTS];
	int n = 0;
	if (!replace) {
		memcpy(tmp, sbx->faults, (size_t)sbx->nfaults * sizeof tmp[0]);
		n = sbx->nfaults;
	}
	size_t i;
	json_t *r;
	json_array_foreach(rules, i, r)
	{
		char eb[PA_ERRBUF_SIZE] = "";
		sbx_fault_t f;
		pa_err_t e = json_is_string(r)
				     ? sbx_fault_parse(json_string_value(r), &f,
						       eb)
				     : rule_from_json(r, &f, eb);
		if (e) {
			err(req, 400, eb);
			return;
		}
		int slot = n;
		for (int j = 0; j < n; j++)
			if (!strcmp(tmp[j].endpoint, f.endpoint))
				slot = j; /* same endpoint: replaced */
		if (slot == SBX_MAX_FAULTS) {
			err(req, 400, "too many fault rules");
			return;
		}
		tmp[slot] = f;
		if (slot == n)
			n++;
	}
	memcpy(sbx->faults, tmp, (size_t)n * sizeof tmp[0]);
	sbx->nfaults = n;
	sbx__reply_json(req, 200, faults_json(sbx));
}

static void reset(sbx_t *sbx, json_t *body)
{
	sbx__orders_clear(sbx);
	memset(&sbx->c, 0, sizeof sbx->c);
	sbx__endpoint_counts_clear(sbx);
	sbx__control_fini(sbx); /* the sink's log */
	sbx->complaint_seq = 0;
	for (int i = 0; i < sbx->nmerchants; i++)
		sbx->merchants[i].recon_calls = 0;
	json_t *seed = json_object_get(body, "seed");
	uint64_t s = json_is_integer(seed) ? (uint64_t)json_integer_value(seed)
					   : sbx->cfg.seed;
	sbx->cfg.seed = s;
	sbx_rng_seed(&sbx->rng_orders, s);
	sbx_rng_seed(&sbx->rng_faults, s ^ 0x5bd1e995ULL);
	sbx_rng_seed(&sbx->rng_wh, s ^ 0x27d4eb2fULL);
	if (json_is_true(json_object_get(body, "faults")))
		sbx->nfaults = 0;
}

static void order_action(sbx_t *sbx, pw_http_req_t *req, sbx_order_t *ord,
			 const char *action, json_t *body)
{
	if (!strcmp(action, "status")) {
		const char *st = json_string_value(json_object_get(body,
								   "status"));
		if (!st || !sbx__status_known(st)) {
			err(req, 400, "unknown status");
			return;
		}
		pw_timer_cancel(sbx->loop, ord->timer);
		ord->timer = NULL;
		snprintf(ord->plan, sizeof ord->plan, "%s", st);
		json_t *ra = json_object_get(body, "received_amount");
		if (ra) {
			int64_t minor;
			if (pa_money_from_json(ra, &minor, NULL)) {
				err(req, 400, "bad received_amount");
				return;
			}
			ord->received_minor = minor;
			ord->received_forced = 1;
		}
		if (!strcmp(st, "Refund Initiated")) {
			sbx__order_refund(sbx, ord, ord->received_minor);
		} else {
			if (!strcmp(st, "Refund Completed")) {
				ord->refund = 1;
				ord->refund_minor = ord->received_minor;
				snprintf(ord->refund_status,
					 sizeof ord->refund_status, "%s", st);
			}
			sbx__order_set_status(sbx, ord, st);
		}
	} else if (!strcmp(action, "webhook")) {
		/* Re-send the current state: replay, copies, wrong hash. */
		int bad = json_is_true(json_object_get(body, "bad_hash"));
		json_int_t copies = json_integer_value(
			json_object_get(body, "copies"));
		json_int_t delay = json_integer_value(
			json_object_get(body, "delay_ms"));
		if (copies < 1)
			copies = 1;
		if (copies > 100 || delay < 0) {
			err(req, 400, "copies 1..100, delay_ms >= 0");
			return;
		}
		if (!ord->m->callback[0]) {
			err(req, 409, "merchant has no callback URL");
			return;
		}
		for (json_int_t i = 0; i < copies; i++)
			sbx__wh_emit(sbx, ord, bad, delay);
	} else if (!strcmp(action, "resolve")) {
		/* skip the wait: the next planned step happens now */
		if (!sbx__order_step_now(sbx, ord)) {
			err(req, 409, "nothing planned for this order");
			return;
		}
	} else if (!strcmp(action, "refund")) {
		int64_t minor = ord->received_minor;
		json_t *a = json_object_get(body, "amount");
		if (a && pa_money_from_json(a, &minor, NULL)) {
			err(req, 400, "bad amount");
			return;
		}
		sbx__order_refund(sbx, ord, minor);
	} else if (!strcmp(action, "payload")) {
		/* the webhook body as it would be sent now */
		sbx__reply_json(req, 200,
				sbx__wh_payload(ord, json_is_true(json_object_get(
							     body, "bad_hash"))));
		return;
	} else {
		err(req, 404, "unknown order action");
		return;
	}
	sbx__reply_json(req, 200, sbx__order_json(ord));
}

static void list_orders(sbx_t *sbx, pw_http_req_t *req)
{
	const char *pid = pw_http_query(req, "pid");
	const char *st = pw_http_query(req, "status");
	const char *lim = pw_http_query(req, "limit");
	size_t limit = lim ? (size_t)strtoul(lim, NULL, 10) : 1000;
	json_t *a = json_array();
	/* newest first */
	for (size_t i = sbx->norders; i-- > 0 && json_array_size(a) < limit;) {
		const sbx_order_t *o = sbx->orders[i];
		if ((pid && strcmp(o->m->pid, pid)) ||
		    (st && strcmp(o->status, st)))
			continue;
		json_array_append_new(a, sbx__order_json(o));
	}
	sbx__reply_json(req, 200,
			json_pack("{s:I,s:o}", "total",
				  (json_int_t)sbx->norders, "orders", a));
}

static void ctl_handle(pw_http_req_t *req, void *ud)
{
	sbx_t *sbx = ud;
	sbx->c.ctl_requests++;
	const char *path = pw_http_path(req) + strlen(PREFIX);
	const char *method = pw_http_method(req);
	int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	size_t blen;
	const uint8_t *raw = pw_http_body(req, &blen);
	if (post && !strcmp(path, "sink")) {
		sink_post(sbx, req);
		return;
	}
	json_t *body = blen ? json_loadb((const char *)raw, blen, 0, NULL)
			    : json_object();
	if (!json_is_object(body)) {
		json_decref(body);
		err(req, 400, "body must be a JSON object");
		return;
	}
	if (get && !strcmp(path, "health")) {
		sbx__reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
	} else if (get && !strcmp(path, "counters")) {
		sbx__reply_json(req, 200, counters(sbx));
	} else if (get && !strcmp(path, "sink")) {
		sbx__reply_json(req, 200, sink_json(sbx));
	} else if (get && !strcmp(path, "webhooks")) {
		sbx__reply_json(req, 200, sbx__wh_list_json(sbx));
	} else if (get && !strcmp(path, "faults")) {
		sbx__reply_json(req, 200, faults_json(sbx));
	} else if (post && !strcmp(path, "faults")) {
		set_faults(sbx, req, body);
	} else if (!strcmp(method, "DELETE") && !strcmp(path, "faults")) {
		sbx->nfaults = 0;
		sbx__reply_json(req, 200, faults_json(sbx));
	} else if (post && !strcmp(path, "reset")) {
		reset(sbx, body);
		sbx__reply_json(req, 200, json_pack("{s:s}", "status", "ok"));
	} else if (get && !strcmp(path, "merchants")) {
		json_t *a = json_array();
		for (int i = 0; i < sbx->nmerchants; i++) {
			const sbx_merchant_t *m = &sbx->merchants[i];
			json_array_append_new(
				a, json_pack("{s:s,s:s,s:b,s:i}", "pid", m->pid,
					     "callback", m->callback, "v2",
					     m->api_key[0] != 0, "allowed_ips",
					     m->nips));
		}
		sbx__reply_json(req, 200, json_pack("{s:o}", "merchants", a));
	} else if (get && !strcmp(path, "orders")) {
		list_orders(sbx, req);
	} else if (!strncmp(path, "orders/", 7)) {
		char id[96];
		const char *rest = path + 7;
		const char *slash = strchr(rest, '/');
		size_t il = slash ? (size_t)(slash - rest) : strlen(rest);
		sbx_order_t *ord = NULL;
		if (il && il < sizeof id) {
			memcpy(id, rest, il);
			id[il] = '\0';
			ord = find(sbx, id);
		}
		if (!ord)
			err(req, 404, "order not found");
		else if (!slash && get)
			sbx__reply_json(req, 200, sbx__order_json(ord));
		else if (slash && post)
			order_action(sbx, req, ord, slash + 1, body);
		else
			err(req, 405, "method not allowed");
	} else {
		err(req, 404, "unknown control endpoint");
	}
	json_decref(body);
}

pa_err_t sbx__control_install(sbx_t *sbx)
{
	return pw_http_route(sbx->http, NULL, PREFIX, ctl_handle, sbx);
}
