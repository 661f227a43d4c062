/* gateway_payatom.c -- the pipeline's gateway on libpayatom.
 * Owns: command record -> typed request, the client on the loop, reply ->
 *       pw_gw_result_t, per-merchant token buckets and circuit breakers,
 *       the cap on calls in flight (max_concurrent) and its wait queue.
 * Not here: retries and polling schedules (process.c), protocol details
 *           (libpayatom api_*.c). */
#include "gateway/gateway_payatom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop_curl.h"
#include "core/redact.h"
#include "payatom/api.h"
#include "payatom/webhook.h"
#include "orders/event.h"

typedef struct mstate {
	double tokens;
	int64_t last_ms;
	int fails;
	int64_t open_until;
	int probing; /* half-open: one probe call in flight */
} mstate_t;

typedef struct gwp {
	pw_gateway_t gw;
	pw_loop_t *loop;
	const pw_merchants_t *ms;
	pw_gwp_opts_t o;
	pa_client_t *cli;
	pw_loop_curl_t *lc;
	mstate_t *mst;
	struct pw_gw_call *calls;
	/* max_concurrent: calls sent, and the calls waiting for a slot
	 * (FIFO), pumped from a zero-delay timer so that a burst of failing
	 * sends never recurses */
	int sending, waiting;
	struct pw_gw_call *wait_head, *wait_tail;
	pw_timer_t *pump;
	int closing;
	char err[PA_ERRBUF_SIZE];
} gwp_t;

enum call_kind {
	K_PAYIN,
	K_PAYOUT,
	K_REFUND,
	K_UTR,
	K_COMPLAINT,
	K_STATUS
};

struct pw_gw_call {
	struct pw_gw_call *next, *prev;
	gwp_t *g;
	int kind;
	size_t midx;
	const pa_merchant_t *m;
	pa_request_t *req; /* until sent; NULL after */
	pa_op_t op;
	pa_call_t *hc;
	pw_timer_t *t;
	pw_gw_cb cb;
	void *ud;
	int64_t start_ms;
	pa_err_t early; /* fail-fast result delivered from a timer */
	int probe;
	int sent;	/* holds one of max_concurrent's slots */
	int queued;	/* in the wait queue */
	/* status polls: the order asked about; the answer must name it */
	char oid[PW_ID_MAX];
	struct pw_gw_call *wnext, *wprev;
};

/* ---- command record -> request -------------------------------------- */

static const char *js(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && *s ? s : NULL;
}

static const char *jcust(const json_t *cmd, const char *k)
{
	return js(json_object_get(cmd, "customer"), k);
}

/* The product table is the schemas' Product enum (event.c): one place
 * maps a product to libpayatom's flow, party, channel or payout mode. */
static pa_err_t build_payin(const pa_merchant_t *m, const pw_order_t *ord,
			    const json_t *cmd, pa_request_t **req, char *eb)
{
	const pw_product_t *pr = pw_product_find(ord->product);
	if (!pr || pr->kind != PW_KIND_PAYIN)
		return pa_seterr(eb, PA_VALIDATION,
				 "product: '%s' is not a payin product",
				 ord->product);
	pa_payin_req_t r = {
		.flow = pr->flow,
		.party = pr->party,
		.channel = pr->channel,
		.order_id = ord->order_id,
		.amount_minor = ord->amount_minor,
		.name = jcust(cmd, "name"),
		.email = jcust(cmd, "email"),
		.phone = jcust(cmd, "phone"),
		.upi_id = js(cmd, "upi_id"),
		.wallet_type = js(cmd, "wallet_type"),
		.pak_wallet = js(cmd, "pak_wallet"),
		.account_number = js(cmd, "account_number"),
		.redirect_url = js(cmd, "redirect_url"),
		.ip = js(cmd, "ip"),
		.latitude = js(cmd, "latitude"),
		.longitude = js(cmd, "longitude"),
		.customer_id = js(cmd, "customer_id"),
	};
	return pa_build_payin(m, &r, req, eb);
}

static pa_err_t build_payout(const pa_merchant_t *m, const pw_order_t *ord,
			     const json_t *cmd, pa_request_t **req, char *eb)
{
	pa_payout_req_t r = {
		.order_id = ord->order_id,
		.amount_minor = ord->amount_minor,
		.account_no = js(cmd, "account_no"),
		.account_holder = js(cmd, "account_holder"),
		.bank = js(cmd, "bank"),
		.ifsc = js(cmd, "ifsc"),
		.upi_id = js(cmd, "upi_id"),
		.wallet_type = js(cmd, "wallet_type"),
	};
	if (!r.account_holder)
		r.account_holder = jcust(cmd, "name");
	const pw_product_t *pr = pw_product_find(ord->product);
	if (!pr || pr->kind != PW_KIND_PAYOUT)
		return pa_seterr(eb, PA_VALIDATION,
				 "product: '%s' is not a payout product",
				 ord->product);
	r.mode = pr->payout_mode;
	return pa_build_payout(m, &r, req, eb);
}

static const char *ref_of(const pw_order_t *ord, const json_t *cmd)
{
	const char *r = js(cmd, "ref_code");
	return r ? r : (ord->ref_code[0] ? ord->ref_code : NULL);
}

static pa_err_t build(const pa_merchant_t *m, const pw_order_t *ord,
		      const json_t *cmd, int *kind, pa_request_t **req,
		      char *eb)
{
	const char *type = js(cmd, "type");
	if (!type)
		return pa_seterr(eb, PA_VALIDATION, "type: required");
	if (!strcmp(type, "payin")) {
		*kind = K_PAYIN;
		return build_payin(m, ord, cmd, req, eb);
	}
	if (!strcmp(type, "payout")) {
		*kind = K_PAYOUT;
		return build_payout(m, ord, cmd, req, eb);
	}
	const char *ref = ref_of(ord, cmd);
	if (!strcmp(type, "refund")) {
		*kind = K_REFUND;
		if (!ref)
			return pa_seterr(eb, PA_VALIDATION,
					 "ref_code: unknown for this order");
		json_t *a = json_object_get(cmd, "amount_minor");
		return pa_build_refund(m, ref,
				       json_is_integer(a) ? json_integer_value(a)
							  : 0,
				       req, eb);
	}
	if (!strcmp(type, "utr_submit")) {
		*kind = K_UTR;
		if (!ref)
			return pa_seterr(eb, PA_VALIDATION,
					 "ref_code: unknown for this order");
		return pa_build_utr_submit(m, ref, ord->order_id,
					   js(cmd, "utr"), req, eb);
	}
	if (!strcmp(type, "complaint_submit")) {
		*kind = K_COMPLAINT;
		const char *shot = NULL;
		json_t *shots = json_object_get(cmd, "screenshots");
		if (json_is_array(shots))
			shot = json_string_value(json_array_get(shots, 0));
		else
			shot = js(cmd, "screenshot");
		return pa_build_complaint_submit(m, ord->order_id,
						 js(cmd, "ref_code"),
						 js(cmd, "description"), shot,
						 req, eb);
	}
	if (!strcmp(type, "complaint_status")) {
		*kind = K_COMPLAINT;
		const char *cid = js(cmd, "complaint_id");
		if (!cid)
			cid = ord->ref_code[0] ? ord->ref_code : NULL;
		if (!cid)
			return pa_seterr(eb, PA_VALIDATION,
					 "complaint_id: unknown for this order");
		return pa_build_complaint_view(m, cid, req, eb);
	}
	return pa_seterr(eb, PA_VALIDATION, "type: '%s' is not a gateway call",
			 type);
}

/* ---- rate limit and circuit breaker --------------------------------- */

static size_t midx_of(gwp_t *g, const char *name)
{
	const char *n;
	for (size_t i = 0; i < pw_merchants_count(g->ms); i++) {
		pw_merchants_at(g->ms, i, &n);
		if (!strcmp(n, name))
			return i;
	}
	return (size_t)-1;
}

/* Milliseconds to wait before the call may go (token bucket with the
 * bucket size of one second of calls). */
static int64_t reserve_token(gwp_t *g, mstate_t *s, int64_t now)
{
	double rps = g->o.rate_limit_rps;
	if (rps <= 0)
		return 0;
	if (s->last_ms == 0) {
		s->tokens = rps;
		s->last_ms = now;
	}
	s->tokens += (double)(now - s->last_ms) * rps / 1000.0;
	if (s->tokens > rps)
		s->tokens = rps;
	s->last_ms = now;
	s->tokens -= 1;
	return s->tokens >= 0 ? 0 : (int64_t)(-s->tokens * 1000.0 / rps);
}

pw_circuit_t pw_gateway_payatom_circuit(pw_gateway_t *gw, size_t i)
{
	gwp_t *g = gw->impl;
	if (i >= pw_merchants_count(g->ms) || g->o.breaker_failures <= 0)
		return PW_CIRCUIT_CLOSED;
	mstate_t *s = &g->mst[i];
	if (s->fails < g->o.breaker_failures)
		return PW_CIRCUIT_CLOSED;
	return pw_loop_now(g->loop) < s->open_until ? PW_CIRCUIT_OPEN
						    : PW_CIRCUIT_HALF_OPEN;
}

int pw_gateway_payatom_any_closed(pw_gateway_t *gw)
{
	gwp_t *g = gw->impl;
	for (size_t i = 0; i < pw_merchants_count(g->ms); i++)
		if (pw_gateway_payatom_circuit(gw, i) != PW_CIRCUIT_OPEN)
			return 1;
	return pw_merchants_count(g->ms) == 0;
}

static void breaker_result(gwp_t *g, struct pw_gw_call *c, pa_err_t err)
{
	if (g->o.breaker_failures <= 0)
		return;
	mstate_t *s = &g->mst[c->midx];
	if (c->probe)
		s->probing = 0;
	/* only transport-level trouble counts: a rejected order is the
	 * gateway working */
	if (err == PA_OK || !pa_err_is_retryable(err)) {
		s->fails = 0;
		return;
	}
	if (++s->fails >= g->o.breaker_failures)
		s->open_until = pw_loop_now(g->loop) + g->o.breaker_open_ms;
}

/* ---- calls ------------------------------------------------------------ */

static void call_unlink(struct pw_gw_call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->g->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static void wait_unlink(struct pw_gw_call *c)
{
	gwp_t *g = c->g;
	if (c->wprev)
		c->wprev->wnext = c->wnext;
	else
		g->wait_head = c->wnext;
	if (c->wnext)
		c->wnext->wprev = c->wprev;
	else
		g->wait_tail = c->wprev;
	c->wnext = c->wprev = NULL;
	c->queued = 0;
	g->waiting--;
}

static void pump(pw_loop_t *loop, pw_timer_t *t, void *ud);

/* A slot was freed: the waiting calls go from the loop, not from here
 * (call_free runs inside deliveries). */
static void slot_freed(gwp_t *g)
{
	g->sending--;
	if (g->wait_head && !g->pump && !g->closing)
		g->pump = pw_timer_add(g->loop, 0, pump, g);
}

static void call_free(struct pw_gw_call *c)
{
	call_unlink(c);
	if (c->queued)
		wait_unlink(c);
	if (c->t)
		pw_timer_cancel(c->g->loop, c->t);
	if (c->hc)
		pa_client_cancel(c->g->cli, c->hc);
	if (c->sent)
		slot_freed(c->g);
	pa_request_destroy(c->req);
	free(c);
}

static const char *outcome_of(pa_err_t err)
{
	if (err == PA_OK)
		return "success";
	if (err == PA_DUPLICATE)
		return "duplicate";
	return pa_err_is_retryable(err) ? "retryable" : "rejected";
}

static void deliver(struct pw_gw_call *c, pw_gw_result_t *res)
{
	gwp_t *g = c->g;
	breaker_result(g, c, res->err);
	if (g->o.on_call)
		g->o.on_call(g->o.on_call_ud, c->op,
			     outcome_of(res->err),
			     (double)(pw_loop_now(g->loop) - c->start_ms) /
				     1000.0);
	if (!res->raw)
		res->raw = "";
	if (!res->message)
		res->message = "";
	pw_gw_cb cb = c->cb;
	void *ud = c->ud;
	c->hc = NULL;
	call_free(c);
	cb(ud, res);
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v && *v)
		json_object_set_new(o, k, json_string(v));
}

/* Gateway reply bodies the parsers could not read mean "outcome unknown":
 * for a create that is retried (a duplicate then resolves it by polling),
 * for a poll it is simply asked again. Never a failure of the payment. */
static pa_err_t unknown_outcome(pa_err_t err)
{
	return err == PA_PARSE || err == PA_HASH_MISMATCH ? PA_IO : err;
}

static void on_reply(pa_client_t *cli, const pa_reply_t *rep, void *ud)
{
	struct pw_gw_call *c = ud;
	const pa_merchant_t *m = c->m;
	char eb[PA_ERRBUF_SIZE] = "";
	pw_gw_result_t res = {.err = rep->err, .received_minor = -1};
	json_t *details = NULL;
	c->hc = NULL;
	if (rep->err != PA_OK) {
		res.message = rep->errmsg;
		deliver(c, &res);
		return;
	}
	switch (c->kind) {
	case K_PAYIN: {
		pa_payin_result_t pr;
		res.err = unknown_outcome(
			pa_parse_payin(m, rep->body, rep->body_len, &pr, eb));
		if (res.err == PA_OK) {
			details = json_object();
			res.ref_code = pr.ref_code;
			set_str(details, "payment_link", pr.payment_link);
			set_str(details, "qr_code", pr.qr_code);
			set_str(details, "wallet_id", pr.wallet_id);
			set_str(details, "redirect_url", pr.redirect_url);
			set_str(details, "receiver_vpa", pr.receiver_vpa);
			if (pr.paytm_intent || pr.phonepe_intent) {
				json_t *in = json_object();
				set_str(in, "paytm", pr.paytm_intent);
				set_str(in, "phonepe", pr.phonepe_intent);
				json_object_set_new(details, "intents", in);
			}
			res.details = details;
			res.message = eb;
			deliver(c, &res);
			pa_payin_result_clear(&pr);
			json_decref(details);
			return;
		}
		break;
	}
	case K_PAYOUT: {
		pa_payout_result_t pr;
		res.err = unknown_outcome(
			pa_parse_payout(rep->body, rep->body_len, &pr, eb));
		if (res.err == PA_OK) {
			res.ref_code = pr.ref_code;
			deliver(c, &res);
			pa_payout_result_clear(&pr);
			return;
		}
		break;
	}
	case K_REFUND:
	case K_UTR: {
		pa_ack_result_t ar;
		res.err = pa_parse_ack(rep->body, rep->body_len, &ar, eb);
		if (res.err == PA_OK) {
			if (c->kind == K_REFUND) {
				/* spec §7: followed by polling statuses
				 * Refund Initiated -> Refund Completed */
				res.raw = "Refund Initiated";
				res.status = PA_STATUS_REFUND_PENDING;
			}
			deliver(c, &res);
			pa_ack_result_clear(&ar);
			return;
		}
		break;
	}
	case K_COMPLAINT: {
		pa_complaint_result_t cr;
		res.err = pa_parse_complaint(rep->body, rep->body_len, &cr, eb);
		if (res.err == PA_OK) {
			res.ref_code = cr.complaint_id;
			res.raw = cr.complaint_status ? cr.complaint_status
						      : "Submitted";
			res.status = pa_status_from_raw(res.raw,
							strlen(res.raw));
			if (res.status == PA_STATUS_UNRESOLVED)
				res.status = PA_STATUS_PENDING;
			details = json_object();
			set_str(details, "complaint_id", cr.complaint_id);
			set_str(details, "complaint_status",
				cr.complaint_status);
			res.details = details;
			deliver(c, &res);
			pa_complaint_result_clear(&cr);
			json_decref(details);
			return;
		}
		break;
	}
	case K_STATUS: {
		pa_txn_update_t upd;
		res.err = unknown_outcome(
			pa_parse_status(m, rep->body, rep->body_len, &upd, eb));
		if (res.err == PA_OK &&
		    (upd.order_id_len != strlen(c->oid) ||
		     memcmp(upd.order_id, c->oid, upd.order_id_len) != 0)) {
			/* an answer about another order (a ref_code that is
			 * not this order's, or a confused gateway) says
			 * nothing about this one: as an unreadable answer */
			pa_txn_update_clear(&upd);
			res.err = PA_IO;
			snprintf(eb, sizeof eb,
				 "status answer names another order_id");
		}
		if (res.err == PA_OK) {
			res.status = upd.status;
			res.raw = upd.status_raw;
			res.ref_code = upd.ref_code;
			int64_t amt;
			if (upd.received_amount.valid &&
			    pa_txn_update_amount(&upd, &amt))
				res.received_minor = amt;
			details = json_object();
			set_str(details, "bank_ref", upd.bank_ref);
			set_str(details, "source", "poll");
			if (upd.has_refund_info) {
				json_t *ri = json_object();
				set_str(ri, "refund_status",
					upd.refund.refund_status);
				set_str(ri, "refund_initiated_time",
					upd.refund.refund_initiated_time);
				set_str(ri, "refund_completed_time",
					upd.refund.refund_completed_time);
				if (upd.refund.refund_amount.valid)
					json_object_set_new(
						ri, "refund_amount_minor",
						json_integer(
							upd.refund.refund_amount
								.minor));
				json_object_set_new(details, "refund_info", ri);
			}
			res.details = details;
			deliver(c, &res);
			pa_txn_update_clear(&upd);
			json_decref(details);
			return;
		}
		break;
	}
	}
	res.message = eb;
	deliver(c, &res);
}

static void send_now(struct pw_gw_call *c)
{
	gwp_t *g = c->g;
	pa_err_t err = pa_client_send(g->cli, c->req, on_reply, c, &c->hc);
	if (err != PA_OK) {
		pw_gw_result_t res = {.err = err,
				      .received_minor = -1,
				      .message = pa_client_last_error(g->cli)};
		deliver(c, &res);
		return;
	}
	c->sent = 1;
	g->sending++;
	/* the client has its own copy: the request (body, headers) is not
	 * held for the whole call (a thousand calls in flight held 3 MB) */
	c->op = c->req->op;
	pa_request_destroy(c->req);
	c->req = NULL;
}

static void pump(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)loop;
	(void)t;
	gwp_t *g = ud;
	g->pump = NULL;
	while (g->wait_head && g->sending < g->o.max_concurrent) {
		struct pw_gw_call *c = g->wait_head;
		wait_unlink(c);
		send_now(c);
	}
}

static void fire(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)loop;
	(void)t;
	struct pw_gw_call *c = ud;
	gwp_t *g = c->g;
	c->t = NULL;
	if (c->early != PA_OK) {
		pw_gw_result_t res = {.err = c->early,
				      .received_minor = -1,
				      .message = "circuit open: gateway "
						 "failing, call not sent"};
		deliver(c, &res);
		return;
	}
	if (g->o.max_concurrent > 0 &&
	    (g->sending >= g->o.max_concurrent || g->wait_head)) {
		c->queued = 1;
		c->wprev = g->wait_tail;
		if (g->wait_tail)
			g->wait_tail->wnext = c;
		else
			g->wait_head = c;
		g->wait_tail = c;
		g->waiting++;
		return;
	}
	send_now(c);
}

/* Queues req for merchant midx: fails fast while the circuit is open,
 * waits for a token, then sends. Takes ownership of req. */
static pa_err_t start(gwp_t *g, size_t midx, const pa_merchant_t *m,
		      int kind, pa_request_t *req, pw_gw_cb cb, void *ud,
		      pw_gw_call_t **out)
{
	struct pw_gw_call *c = calloc(1, sizeof *c);
	if (!c) {
		pa_request_destroy(req);
		return PA_NOMEM;
	}
	c->g = g;
	c->kind = kind;
	c->midx = midx;
	c->m = m;
	c->req = req;
	c->op = req->op;
	c->cb = cb;
	c->ud = ud;
	c->start_ms = pw_loop_now(g->loop);
	c->next = g->calls;
	if (g->calls)
		g->calls->prev = c;
	g->calls = c;
	int64_t delay = 0;
	mstate_t *s = &g->mst[midx];
	pw_circuit_t cs = pw_gateway_payatom_circuit(&g->gw, midx);
	if (cs == PW_CIRCUIT_OPEN || (cs == PW_CIRCUIT_HALF_OPEN && s->probing)) {
		c->early = PA_BUSY;
	} else {
		if (cs == PW_CIRCUIT_HALF_OPEN) {
			s->probing = 1;
			c->probe = 1;
		}
		delay = reserve_token(g, s, c->start_ms);
	}
	c->t = pw_timer_add(g->loop, delay, fire, c);
	*out = c;
	return PA_OK;
}

static pa_err_t gw_submit(pw_gateway_t *gw, const pw_order_t *ord,
			  const json_t *cmd, pw_gw_cb cb, void *ud,
			  pw_gw_call_t **out)
{
	gwp_t *g = gw->impl;
	g->err[0] = '\0';
	size_t midx = midx_of(g, ord->merchant);
	const pa_merchant_t *m = pw_merchants_at(g->ms, midx, NULL);
	char nm[80];
	if (!m)
		return pa_seterr(g->err, PA_VALIDATION,
				 "merchant %s is not configured",
				 pw_redact_name(ord->merchant, nm, sizeof nm));
	pa_request_t *req = NULL;
	int kind = K_PAYIN;
	pa_err_t err = build(m, ord, cmd, &kind, &req, g->err);
	if (err != PA_OK)
		return err;
	return start(g, midx, m, kind, req, cb, ud, out);
}

static pa_err_t gw_status(pw_gateway_t *gw, const pw_order_t *ord,
			  pw_gw_cb cb, void *ud, pw_gw_call_t **out)
{
	gwp_t *g = gw->impl;
	g->err[0] = '\0';
	size_t midx = midx_of(g, ord->merchant);
	const pa_merchant_t *m = pw_merchants_at(g->ms, midx, NULL);
	char nm[80];
	if (!m)
		return pa_seterr(g->err, PA_VALIDATION,
				 "merchant %s is not configured",
				 pw_redact_name(ord->merchant, nm, sizeof nm));
	/* No ref_code yet (a hosted-page payin, or a send whose reply was
	 * lost): ask by order_id, the older documented key (spec §12.3). */
	pa_merchant_t by_oid = *m;
	const char *key = ord->ref_code;
	if (!ord->ref_code[0] || m->poll_key == PA_POLL_BY_ORDER_ID) {
		by_oid.poll_key = PA_POLL_BY_ORDER_ID;
		key = ord->order_id;
	}
	pa_request_t *req = NULL;
	pa_err_t err = pa_build_status(
		&by_oid,
		ord->kind == PW_KIND_PAYOUT ? PA_OP_PAYOUT_STATUS : PA_OP_STATUS,
		key, &req, g->err);
	if (err != PA_OK)
		return err;
	err = start(g, midx, m, K_STATUS, req, cb, ud, out);
	if (err == PA_OK)
		snprintf((*out)->oid, sizeof (*out)->oid, "%s", ord->order_id);
	return err;
}

static void gw_cancel(pw_gateway_t *gw, pw_gw_call_t *c)
{
	if (c->probe)
		c->g->mst[c->midx].probing = 0;
	call_free(c);
}

static int gw_has_merchant(pw_gateway_t *gw, const char *name)
{
	gwp_t *g = gw->impl;
	return pw_merchants_find(g->ms, name) != NULL;
}

static const char *gw_last_error(pw_gateway_t *gw)
{
	return ((gwp_t *)gw->impl)->err;
}

void pw_gateway_payatom_load(pw_gateway_t *gw, int *sending, int *waiting)
{
	gwp_t *g = gw->impl;
	if (sending)
		*sending = g->sending;
	if (waiting)
		*waiting = g->waiting;
}

static void gw_destroy(pw_gateway_t *gw)
{
	gwp_t *g = gw->impl;
	g->closing = 1;
	if (g->pump)
		pw_timer_cancel(g->loop, g->pump);
	while (g->calls)
		call_free(g->calls);
	pw_loop_curl_detach(g->lc);
	pa_client_destroy(g->cli);
	free(g->mst);
	free(g);
}

pa_err_t pw_gateway_payatom_new(pw_loop_t *loop, const pw_merchants_t *ms,
				const pw_gwp_opts_t *o, pw_gateway_t **out,
				char *errbuf)
{
	gwp_t *g = calloc(1, sizeof *g);
	if (!g)
		return PA_NOMEM;
	g->loop = loop;
	g->ms = ms;
	g->o = *o;
	g->mst = calloc(pw_merchants_count(ms) + 1, sizeof *g->mst);
	pa_err_t err = g->mst ? pa_client_new(&o->client, &g->cli) : PA_NOMEM;
	if (err == PA_OK)
		err = pw_loop_curl_attach(loop, g->cli, &g->lc);
	if (err != PA_OK) {
		pa_client_destroy(g->cli);
		free(g->mst);
		free(g);
		return pa_seterr(errbuf, err, "gateway client: %s",
				 pa_strerror(err));
	}
	g->gw.submit = gw_submit;
	g->gw.status = gw_status;
	g->gw.cancel = gw_cancel;
	g->gw.has_merchant = gw_has_merchant;
	g->gw.last_error = gw_last_error;
	g->gw.destroy = gw_destroy;
	g->gw.impl = g;
	*out = &g->gw;
	return PA_OK;
}
