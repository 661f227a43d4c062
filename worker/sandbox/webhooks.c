/* webhooks.c -- callbacks to the merchant, re-sent until acknowledged.
 * Owns: deliveries in progress (one per status change and copy), their
 *       backoff timers, the libpayatom client that sends them (driven by the
 *       loop through core/loop_curl), the recent-delivery log.
 * Not here: when a status changes (orders.c), the post_hash formula
 *           (formula.c -> lib/sign.c), webhook faults' dice (faults.c).
 *
 * spec §5: POST JSON to the merchant's callback URL on every status change;
 * the merchant answers {"hash_status":..., "acknowledge":"yes"|"no"}; without
 * "yes" the gateway re-sends. Retry schedule NOT FOUND (spec §13): the
 * sandbox re-sends after webhook-retry-ms, doubling up to
 * webhook-retry-max-ms, at most webhook-max-attempts times. Nothing here
 * blocks: sends are asynchronous and waits are timers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/loop_curl.h"
#include "payatom/client.h"
#include "sandbox/sbx_int.h"

#define LOG_MAX 256

struct sbx_wh {
	sbx_t *sbx;
	sbx_order_t *ord;
	uint64_t gen; /* ord->wh_gen this delivery reports */
	char status[32];
	char *body;
	size_t len;
	int bad_hash;
	int attempts;
	pw_timer_t *timer;
	pa_call_t *call;
	sbx_wh_t *prev, *next;
};

typedef struct wh_log {
	char order_id[64];
	char status[32];
	int attempt;
	long http_status;
	int acked;
	int bad_hash;
} wh_log_t;

typedef struct transport {
	pa_client_t *cli;
	pw_loop_curl_t *lc;
	wh_log_t log[LOG_MAX];
	uint64_t nlog; /* total entries written (ring) */
} transport_t;

pa_err_t sbx__wh_init(sbx_t *sbx)
{
	transport_t *tr = calloc(1, sizeof *tr);
	if (!tr)
		return PA_NOMEM;
	pa_client_opts_t o = {0};
	o.total_timeout_ms = (long)sbx->cfg.wh_timeout_ms;
	o.connect_timeout_ms = (long)sbx->cfg.wh_timeout_ms;
	o.max_response_bytes = 64 * 1024;
	o.user_agent = "payatom-sandbox";
	pa_err_t err = pa_client_new(&o, &tr->cli);
	if (!err)
		err = pw_loop_curl_attach(sbx->loop, tr->cli, &tr->lc);
	if (err) {
		pa_client_destroy(tr->cli);
		free(tr);
		return err;
	}
	sbx->wh_transport = tr;
	return PA_OK;
}

static void wh_free(sbx_wh_t *wh)
{
	sbx_t *sbx = wh->sbx;
	transport_t *tr = sbx->wh_transport;
	if (wh->ord->parked == wh)
		wh->ord->parked = NULL;
	if (wh->prev)
		wh->prev->next = wh->next;
	else
		sbx->wh_list = wh->next;
	if (wh->next)
		wh->next->prev = wh->prev;
	pw_timer_cancel(sbx->loop, wh->timer);
	if (wh->call)
		pa_client_cancel(tr->cli, wh->call);
	free(wh->body);
	free(wh);
}

void sbx__wh_cancel_all(sbx_t *sbx)
{
	while (sbx->wh_list)
		wh_free(sbx->wh_list);
}

void sbx__wh_forget(sbx_t *sbx, const sbx_order_t *ord)
{
	sbx_wh_t *wh = sbx->wh_list;
	while (wh) {
		sbx_wh_t *n = wh->next;
		if (wh->ord == ord)
			wh_free(wh);
		wh = n;
	}
}

void sbx__wh_fini(sbx_t *sbx)
{
	transport_t *tr = sbx->wh_transport;
	if (!tr)
		return;
	sbx__wh_cancel_all(sbx);
	pw_loop_curl_detach(tr->lc);
	pa_client_destroy(tr->cli);
	free(tr);
	sbx->wh_transport = NULL;
}

json_t *sbx__wh_payload(const sbx_order_t *ord, int bad_hash)
{
	char req[32], rec[32];
	sbx__amount_text(ord->amount_minor, req);
	sbx__amount_text(ord->received_minor, rec);
	char *ph = sbx__post_hash(ord->m, ord->order_id, ord->received_minor,
				  ord->status, bad_hash);
	json_t *o = json_object();
	json_object_set_new(o, "order_id", json_string(ord->order_id));
	json_object_set_new(o, "requested_amount", json_string(req));
	json_object_set_new(o, "received_amount", json_string(rec));
	json_object_set_new(o, "bank_ref", json_string(ord->bank_ref));
	json_object_set_new(o, "ref_code", json_string(ord->ref_code));
	json_object_set_new(o, "status", json_string(ord->status));
	json_object_set_new(o, "post_hash", json_string(ph ? ph : ""));
	json_object_set_new(o, "sender_upi", json_string(ord->sender_upi));
	if (ord->refund)
		json_object_set_new(o, "refund_info", sbx__refund_info(ord));
	free(ph);
	return o;
}

static void log_add(transport_t *tr, const sbx_wh_t *wh, long http_status,
		    int acked)
{
	wh_log_t *l = &tr->log[tr->nlog++ % LOG_MAX];
	snprintf(l->order_id, sizeof l->order_id, "%s", wh->ord->order_id);
	snprintf(l->status, sizeof l->status, "%s", wh->status);
	l->attempt = wh->attempts;
	l->http_status = http_status;
	l->acked = acked;
	l->bad_hash = wh->bad_hash;
}

static void send_now(sbx_wh_t *wh);

static void on_timer(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	sbx_wh_t *wh = ud;
	(void)loop;
	(void)t;
	wh->timer = NULL;
	if (wh->ord->parked == wh)
		wh->ord->parked = NULL;
	send_now(wh);
}

void sbx__wh_release(sbx_t *sbx, sbx_wh_t *wh, int64_t ms)
{
	pw_timer_cancel(sbx->loop, wh->timer);
	wh->timer = pw_timer_add(sbx->loop, ms, on_timer, wh);
}

/* spec §5 [P]: only {"acknowledge":"yes"} (with HTTP 2xx) stops re-sends. */
static int is_ack(const pa_reply_t *r)
{
	if (r->err != PA_OK)
		return 0;
	json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
	const char *a = json_string_value(json_object_get(j, "acknowledge"));
	int yes = a && strcasecmp(a, "yes") == 0;
	json_decref(j);
	return yes;
}

static void on_reply(pa_client_t *cli, const pa_reply_t *r, void *ud)
{
	sbx_wh_t *wh = ud;
	sbx_t *sbx = wh->sbx;
	sbx_order_t *ord = wh->ord;
	(void)cli;
	wh->call = NULL;
	int acked = is_ack(r);
	log_add(sbx->wh_transport, wh, r->http_status, acked);
	char ts[32];
	if (sbx->cfg.log_requests)
		sbx__log_ts(ts);
	if (sbx->cfg.log_requests)
		fprintf(stderr,
			"{\"ts\":\"%s\",\"webhook\":\"%s\",\"status\":\"%s\",\"attempt\":%d,"
			"\"http_status\":%ld,\"acknowledged\":%s,\"error\":\"%s\"}\n",
			ts, ord->ref_code, wh->status, wh->attempts, r->http_status,
			acked ? "true" : "false", pa_err_name(r->err));
	if (acked) {
		sbx->c.wh_acked++;
		ord->webhooks_acked++;
		/* an ack of an older status does not acknowledge the current
		 * one (polling's webhook_acknowledged, spec §5) */
		if (wh->gen == ord->wh_gen && !wh->bad_hash)
			ord->webhook_acknowledged = 1;
		wh_free(wh);
		return;
	}
	if (r->err == PA_OK)
		sbx->c.wh_nacked++;
	else
		sbx->c.wh_failed++;
	if (wh->attempts >= sbx->cfg.wh_max_attempts) {
		sbx->c.wh_given_up++;
		wh_free(wh);
		return;
	}
	int64_t d = sbx->cfg.wh_retry_ms;
	for (int i = 1; i < wh->attempts && d < sbx->cfg.wh_retry_max_ms; i++)
		d *= 2;
	if (d > sbx->cfg.wh_retry_max_ms)
		d = sbx->cfg.wh_retry_max_ms;
	wh->timer = pw_timer_add(sbx->loop, d, on_timer, wh);
}

static void send_now(sbx_wh_t *wh)
{
	sbx_t *sbx = wh->sbx;
	transport_t *tr = sbx->wh_transport;
	struct pa_header h[1] = {
		{(char *)"Content-Type", (char *)"application/json"}};
	pa_request_t req;
	memset(&req, 0, sizeof req);
	req.method = (char *)"POST";
	req.url = wh->ord->m->callback;
	req.headers = h;
	req.n_headers = 1;
	req.body = wh->body;
	req.body_len = wh->len;
	snprintf(req.order_id, sizeof req.order_id, "%s", wh->ord->order_id);
	wh->attempts++;
	sbx->c.wh_attempts++;
	wh->ord->webhooks_sent++;
	if (pa_client_send(tr->cli, &req, on_reply, wh, &wh->call) != PA_OK) {
		sbx->c.wh_failed++;
		wh_free(wh);
	}
}

sbx_wh_t *sbx__wh_emit(sbx_t *sbx, sbx_order_t *ord, int bad_hash,
		       int64_t extra_delay_ms)
{
	if (!ord->m->callback[0] || !sbx->wh_transport)
		return NULL;
	sbx_wh_t *wh = calloc(1, sizeof *wh);
	if (!wh)
		return NULL;
	json_t *p = sbx__wh_payload(ord, bad_hash);
	wh->body = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (!wh->body) {
		free(wh);
		return NULL;
	}
	wh->len = strlen(wh->body);
	wh->sbx = sbx;
	wh->ord = ord;
	wh->gen = ord->wh_gen;
	wh->bad_hash = bad_hash;
	snprintf(wh->status, sizeof wh->status, "%s", ord->status);
	wh->next = sbx->wh_list;
	if (sbx->wh_list)
		sbx->wh_list->prev = wh;
	sbx->wh_list = wh;
	/* Always from a timer: the caller may be inside a request handler or
	 * another delivery's callback. */
	wh->timer = pw_timer_add(sbx->loop, extra_delay_ms, on_timer, wh);
	return wh;
}

json_t *sbx__wh_list_json(const sbx_t *sbx)
{
	const transport_t *tr = sbx->wh_transport;
	json_t *o = json_object();
	json_t *pend = json_array();
	for (const sbx_wh_t *wh = sbx->wh_list; wh; wh = wh->next) {
		json_t *e = json_object();
		json_object_set_new(e, "order_id",
				    json_string(wh->ord->order_id));
		json_object_set_new(e, "status", json_string(wh->status));
		json_object_set_new(e, "attempts", json_integer(wh->attempts));
		json_array_append_new(pend, e);
	}
	json_object_set_new(o, "pending", pend);
	json_t *log = json_array();
	if (tr) {
		uint64_t first = tr->nlog > LOG_MAX ? tr->nlog - LOG_MAX : 0;
		for (uint64_t i = first; i < tr->nlog; i++) {
			const wh_log_t *l = &tr->log[i % LOG_MAX];
			json_t *e = json_object();
			json_object_set_new(e, "order_id",
					    json_string(l->order_id));
			json_object_set_new(e, "status", json_string(l->status));
			json_object_set_new(e, "attempt",
					    json_integer(l->attempt));
			json_object_set_new(e, "http_status",
					    json_integer(l->http_status));
			json_object_set_new(e, "acknowledged",
					    json_boolean(l->acked));
			json_object_set_new(e, "bad_hash",
					    json_boolean(l->bad_hash));
			json_array_append_new(log, e);
		}
	}
	json_object_set_new(o, "log", log);
	return o;
}
