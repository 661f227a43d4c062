/* process.c -- what the worker does with each unit of work.
 * Owns: commands (create, status check, follow-ups), verified webhooks and
 *       status polls applied to an order: gateway calls and their retries,
 *       transitions, poll scheduling and the polling deadline.
 * Not here: an item's life and outputs (items.c), the orders held
 *           (order_table.c), Kafka clients and offsets (worker.c, commit.c),
 *           the gateway protocol (gateway_payatom.c), event field layout
 *           (orders/event.c). */
#include "kafka/worker_int.h"

#include <stdlib.h>
#include <string.h>

#include "core/redact.h"
#include "orders/event.h"

/* ---- gateway replies --------------------------------------------------- */

static int64_t backoff_ms(pw_worker_t *w, int attempt)
{
	int64_t d = w->o.retry_base_ms;
	for (int i = 1; i < attempt && d < w->o.retry_max_ms; i++)
		d *= 2;
	if (d > w->o.retry_max_ms)
		d = w->o.retry_max_ms;
	/* jitter in [d/2, d] */
	return d / 2 + (int64_t)(pw__rand(w) % (uint64_t)(d / 2 + 1));
}

static void send_command(pw_item_t *it);

static void retry_send(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_item_t *it = ud;
	it->timer = NULL;
	send_command(it);
}

static void learn(pw_order_t *ord, const pw_gw_result_t *res)
{
	if (res->ref_code && *res->ref_code && !ord->ref_code[0])
		snprintf(ord->ref_code, sizeof ord->ref_code, "%s",
			 res->ref_code);
	if (res->received_minor >= 0)
		ord->received_minor = res->received_minor;
}

static void on_submit(void *ud, const pw_gw_result_t *res)
{
	pw_item_t *it = ud;
	pw_worker_t *w = it->w;
	it->call = NULL;
	pw_order_t *ord = it->ord;
	ord->attempts++;
	if (res->err == PA_OK) {
		learn(ord, res);
		ord->phase = PW_PHASE_ACCEPTED;
		pa_status_t st = PA_STATUS_PENDING;
		if (res->raw && *res->raw && res->status != PA_STATUS_UNRESOLVED)
			st = res->status;
		if (!pa_status_is_terminal(st))
			pw__schedule_poll(w, ord, w->o.poll_first_ms);
		pw__transition(it, ord, st, res->raw ? res->raw : "", res->details,
			       NULL);
		return;
	}
	if (res->err == PA_DUPLICATE) {
		/* An earlier attempt reached the gateway (design.md §4):
		 * resolve by polling, never report it as a failure. */
		ord->phase = PW_PHASE_LOOKUP;
		pw__schedule_poll(w, ord, 0);
		if (ord->seq == 0) {
			/* The gateway accepted it before: publish the PENDING
			 * that attempt published, or would have (a replay
			 * after a crash between that event and its state, a
			 * retry whose first attempt arrived). Same sequence,
			 * same event_id; what the poll finds follows as
			 * sequence 2, as it would have -- not as a second
			 * sequence 1. */
			pw__transition(it, ord, PA_STATUS_PENDING, "", NULL, NULL);
			return;
		}
		pw__emit(it, ord, NULL, NULL);
		return;
	}
	if (pa_err_is_retryable(res->err)) {
		w->st.gw_retries++;
		if (ord->attempts < (uint32_t)w->o.retry_max_attempts) {
			it->timer = pw_timer_add(
				w->loop, backoff_ms(w, (int)ord->attempts),
				retry_send, it);
			return;
		}
		/* Cap reached: the request may or may not have arrived. The
		 * poller finds out (by order_id); never abandoned. */
		ord->phase = PW_PHASE_LOOKUP;
		pw__schedule_poll(w, ord, w->o.retry_base_ms);
		pw__emit(it, ord, NULL, NULL);
		return;
	}
	/* A documented rejection: the order does not exist at the gateway.
	 * A terminal FAILED event says so (design decision, README). */
	char reason[384];
	snprintf(reason, sizeof reason, "gateway rejected (%s): %s",
		 pa_err_name(res->err), res->message ? res->message : "");
	pw__transition(it, ord, PA_STATUS_FAILED, res->raw ? res->raw : "",
		       res->details, reason);
}

static void send_command(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	char eb[PA_ERRBUF_SIZE] = "";
	w->st.gw_calls++;
	pa_err_t err = w->gw->submit(w->gw, it->ord, it->rec, on_submit, it,
				     &it->call);
	if (err == PA_OK)
		return;
	if (pa_err_is_retryable(err)) {
		it->timer = pw_timer_add(w->loop, backoff_ms(w, 1), retry_send,
					 it);
		return;
	}
	/* The request could not be built: the command is invalid for its
	 * product. Nothing reached the gateway; forget the order. */
	snprintf(eb, sizeof eb, "%s", w->gw->last_error(w->gw));
	pw__order_forget(w, it->ord);
	it->ord = NULL;
	pw__dead_letter(it, "VALIDATION", eb[0] ? eb : pa_strerror(err));
}

/* ---- polling ------------------------------------------------------- */

static void poll_due(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_order_t *ord = ud;
	pw_worker_t *w = ord->owner;
	ord->rt = NULL;
	pw_item_t *it = pw__item_new(w, PW_ITEM_POLL, ord->order_id,
				     strlen(ord->order_id), ord->partition);
	if (!it)
		return;
	pw__item_submit(it);
}

void pw__schedule_poll(pw_worker_t *w, pw_order_t *ord, int64_t in_ms)
{
	if (ord->rt)
		pw_timer_cancel(w->loop, ord->rt);
	ord->rt = NULL;
	if (ord->kind == PW_KIND_COMPLAINT || w->shutting_down)
		return;
	if (in_ms < 0)
		in_ms = 0;
	ord->next_poll_ms = pw__wall_ms() + in_ms;
	ord->rt = pw_timer_add(w->loop, in_ms, poll_due, ord);
}

static int64_t next_poll_in(pw_worker_t *w, pw_order_t *ord)
{
	int64_t d = w->o.poll_first_ms;
	for (uint32_t i = 1; i < ord->polls && d < w->o.poll_max_interval_ms;
	     i++)
		d *= 2;
	return d > w->o.poll_max_interval_ms ? w->o.poll_max_interval_ms : d;
}

static void on_poll(void *ud, const pw_gw_result_t *res)
{
	pw_item_t *it = ud;
	pw_worker_t *w = it->w;
	pw_order_t *ord = it->ord;
	it->call = NULL;
	ord->polls++;
	w->st.polls++;
	int settled = 0;
	if (res->err == PA_OK && res->raw && *res->raw) {
		learn(ord, res);
		if (ord->phase == PW_PHASE_LOOKUP || ord->phase == PW_PHASE_NEW)
			ord->phase = PW_PHASE_ACCEPTED;
		settled = pa_status_is_terminal(res->status) &&
			  res->status != PA_STATUS_UNRESOLVED;
		if (!settled)
			pw__schedule_poll(w, ord, next_poll_in(w, ord));
		else if (ord->rt) {
			pw_timer_cancel(w->loop, ord->rt);
			ord->rt = NULL;
		}
		if (res->status == PA_STATUS_UNRESOLVED) {
			/* an unknown raw status: never guessed, keep
			 * polling, say so when the deadline passes */
			PW_LOG(w, PW_LOG_WARN, "order %s: unknown gateway status",
			       ord->order_id);
			pw__emit(it, ord, NULL, NULL);
			return;
		}
		pw__transition(it, ord, res->status, res->raw, res->details, NULL);
		return;
	}
	if (pw__wall_ms() >= ord->deadline_ms) {
		/* final deadline: reported, never silently dropped */
		pw__transition(it, ord, PA_STATUS_UNRESOLVED, ord->raw_status,
			       NULL, "status polling deadline passed without a "
			       "terminal status");
		return;
	}
	pw__schedule_poll(w, ord, next_poll_in(w, ord));
	pw__emit(it, ord, NULL, NULL);
}

static void poll_now(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	pw_order_t *ord = it->ord;
	if (!ord) {
		pw__item_finish(it); /* forgotten meanwhile */
		return;
	}
	if (ord->phase == PW_PHASE_SETTLED && it->kind == PW_ITEM_POLL &&
	    !it->force) {
		pw__item_finish(it);
		return;
	}
	if (pw__wall_ms() >= ord->deadline_ms &&
	    ord->phase != PW_PHASE_SETTLED) {
		pw__transition(it, ord, PA_STATUS_UNRESOLVED, ord->raw_status,
			       NULL, "status polling deadline passed without a "
			       "terminal status");
		return;
	}
	pa_err_t err = w->gw->status(w->gw, ord, on_poll, it, &it->call);
	if (err != PA_OK) {
		pw__schedule_poll(w, ord, next_poll_in(w, ord));
		pw__item_finish(it);
	}
}

/* ---- follow-ups: refund, UTR, complaints ----------------------------- */

static void send_command_or_followup(pw_item_t *it, int followup);

static void retry_followup(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_item_t *it = ud;
	it->timer = NULL;
	send_command_or_followup(it, 1);
}

static void on_followup(void *ud, const pw_gw_result_t *res)
{
	pw_item_t *it = ud;
	pw_order_t *ord = it->ord;
	it->call = NULL;
	if (pa_err_is_retryable(res->err) &&
	    ++it->attempts < it->w->o.retry_max_attempts) {
		it->timer = pw_timer_add(it->w->loop,
					 backoff_ms(it->w, it->attempts),
					 retry_followup, it);
		return;
	}
	if (res->err != PA_OK) {
		char msg[384];
		snprintf(msg, sizeof msg, "%s: %s", pa_err_name(res->err),
			 res->message ? res->message : "");
		pw__dead_letter(it, "GATEWAY_REJECTED", msg);
		return;
	}
	learn(ord, res);
	if (res->raw && *res->raw && res->status != PA_STATUS_UNRESOLVED) {
		/* refund accepted, complaint state: polls follow what is not
		 * settled yet */
		if (!pa_status_is_terminal(res->status) &&
		    ord->kind != PW_KIND_COMPLAINT)
			pw__schedule_poll(it->w, ord, it->w->o.poll_first_ms);
		pw__transition(it, ord, res->status, res->raw, res->details, NULL);
		return;
	}
	/* accepted without a status of its own (UTR submitted): the poller
	 * reports what follows */
	if (ord->kind != PW_KIND_COMPLAINT)
		pw__schedule_poll(it->w, ord, 0);
	pw__emit(it, ord, NULL, NULL);
}

/* ---- entry points ------------------------------------------------------ */

static void send_command_or_followup(pw_item_t *it, int followup)
{
	pw_worker_t *w = it->w;
	pa_err_t err = w->gw->submit(w->gw, it->ord, it->rec,
				     followup ? on_followup : on_submit, it,
				     &it->call);
	if (err == PA_OK)
		return;
	pw__dead_letter(it, "VALIDATION", w->gw->last_error(w->gw));
}

static void start_command(pw_item_t *it);

/* Decoding failed for a retryable reason (schema registry unreachable):
 * decode again later; the item keeps its order's queue and its offset. */
static void retry_decode(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_item_t *it = ud;
	char eb[PA_ERRBUF_SIZE] = "";
	it->timer = NULL;
	free(it->dec_msg);
	it->dec_msg = NULL;
	it->dec_err = pw__decode(it->w, it->topic, it->raw, it->raw_len,
				 &it->rec, eb);
	if (it->dec_err)
		it->dec_msg = strdup(eb);
	else
		it->attempts = 0; /* the gateway's retries count afresh */
	start_command(it);
}

static void start_command(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	char msg[PA_ERRBUF_SIZE] = "";
	pw_cmd_info_t ci;
	if (!it->rec) {
		if (it->dec_err && pa_err_is_retryable(it->dec_err)) {
			if (it->attempts % 20 == 0)
				PW_LOG(w, PW_LOG_WARN,
				       "%s p%d@%lld: %s; decoding again later",
				       w->in_topics[it->topic], it->partition,
				       (long long)it->offset,
				       it->dec_msg ? it->dec_msg : "");
			it->timer = pw_timer_add(w->loop,
						 backoff_ms(w, ++it->attempts),
						 retry_decode, it);
			return;
		}
		const char *reason = pw_codec_dlq_reason(it->dec_err);
		pw__dead_letter(it, reason ? reason : "UNDECODABLE",
				it->dec_msg ? it->dec_msg
				: "payload is not a command record");
		return;
	}
	const char *type = json_string_value(json_object_get(it->rec, "type"));
	if (w->o.on_report_request && type &&
	    !strcmp(type, "report_request")) {
		/* reports.c answers asynchronously: nothing to order */
		w->o.on_report_request(w->o.on_report_request_ud, it->rec);
		pw__item_finish(it);
		return;
	}
	pa_err_t cerr = pw_cmd_check(it->rec, it->topic, &ci, msg);
	if (cerr != PA_OK) {
		pw__dead_letter(it, cerr == PA_UNSUPPORTED ? "UNSUPPORTED_PRODUCT"
						       : "MALFORMED",
			    msg);
		return;
	}
	if (strcmp(ci.order_id, it->key) != 0) {
		pw__dead_letter(it, "KEY_MISMATCH",
				"record key differs from order_id");
		return;
	}
	if (!w->gw->has_merchant(w->gw, ci.merchant)) {
		char nm[80];
		snprintf(msg, sizeof msg, "merchant %s is not configured",
			 pw_redact_name(ci.merchant, nm, sizeof nm));
		pw__dead_letter(it, "UNKNOWN_MERCHANT", msg);
		return;
	}
	w->st.commands_in++;
	char mk[PW_ID_MAX + 16];
	size_t mkl = pw__order_key(ci.kind, it->key, mk, sizeof mk);
	pw_order_t *ord;
	if (ci.op == PW_OP_CREATE) {
		/* redelivered or repeated: never call the gateway twice for
		 * one order (a resting order stays packed: only its key is
		 * looked at) */
		if (pw_hmap_get(w->orders, mk, mkl) ||
		    pw_hmap_get(w->rest, mk, mkl)) {
			w->st.duplicates_suppressed++;
			pw__item_finish(it);
			return;
		}
		ord = pw__order_new(w, it->key, it->klen, it->partition, ci.kind);
		if (!ord) {
			pw__dead_letter(it, "INTERNAL", "out of memory");
			return;
		}
		snprintf(ord->merchant, sizeof ord->merchant, "%s",
			 ci.merchant);
		snprintf(ord->product, sizeof ord->product, "%s", ci.product);
		snprintf(ord->currency, sizeof ord->currency, "%s",
			 ci.currency);
		ord->amount_minor = ci.amount_minor;
		it->ord = ord;
		send_command(it);
		return;
	}
	ord = pw__order_get(w, mk, mkl);
	if (ci.op == PW_OP_STATUS) {
		if (!ord) {
			pw__dead_letter(it, "UNKNOWN_ORDER",
					"status check for an order this worker "
					"never accepted");
			return;
		}
		it->ord = ord;
		poll_now(it);
		return;
	}
	/* follow-up: refund, UTR submission, complaint submit/status */
	if (!ord && ci.kind == PW_KIND_COMPLAINT) {
		ord = pw__order_new(w, it->key, it->klen, it->partition,
				    PW_KIND_COMPLAINT);
		if (ord)
			snprintf(ord->merchant, sizeof ord->merchant, "%s",
				 ci.merchant);
	}
	if (!ord) {
		pw__dead_letter(it, "UNKNOWN_ORDER",
				"follow-up command for an order this worker "
				"never accepted");
		return;
	}
	it->ord = ord;
	send_command_or_followup(it, 1);
}

static void apply_webhook(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	const char *merchant = json_string_value(json_object_get(it->rec,
								 "merchant"));
	json_t *cb = json_object_get(it->rec, "callback");
	const char *raw = json_string_value(json_object_get(cb, "status"));
	if (!merchant || !json_is_object(cb) || !raw) {
		pw__dead_letter(it, "MALFORMED", "internal webhook record lacks "
					     "merchant, callback or status");
		return;
	}
	w->st.webhooks_in++;
	pw_order_t *ord = pw__order_get(w, it->key, it->klen);
	if (!ord) {
		/* A verified callback for an order we hold no state for
		 * (created elsewhere, or state lost): publish it anyway. */
		ord = pw__order_new(w, it->key, it->klen, it->partition,
				    PW_KIND_PAYIN);
		if (!ord) {
			pw__dead_letter(it, "INTERNAL", "out of memory");
			return;
		}
		snprintf(ord->merchant, sizeof ord->merchant, "%s", merchant);
		ord->phase = PW_PHASE_ACCEPTED;
		pa_status_t first = pa_status_from_raw(raw, strlen(raw));
		if (first != PA_STATUS_PENDING &&
		    first != PA_STATUS_UNRESOLVED) {
			/* Every accepted order's history starts with PENDING
			 * as sequence 1 (the acceptance event). When the state
			 * was lost (a crash between an event and its state
			 * record) that event exists already: publish it again
			 * -- same sequence, same event_id -- so this webhook
			 * becomes sequence 2 instead of a second sequence 1. */
			it->ord = ord;
			it->again = 1;
			pw__transition(it, ord, PA_STATUS_PENDING, "", NULL, NULL);
			return;
		}
	}
	it->ord = ord;
	pa_status_t st = pa_status_from_raw(raw, strlen(raw));
	pw_gw_result_t res = {.err = PA_OK, .status = st, .raw = raw,
			      .received_minor = -1};
	res.ref_code = json_string_value(json_object_get(cb, "ref_code"));
	json_t *rm = json_object_get(it->rec, "received_minor");
	if (json_is_integer(rm))
		res.received_minor = json_integer_value(rm);
	learn(ord, &res);
	if (ord->phase == PW_PHASE_LOOKUP || ord->phase == PW_PHASE_NEW)
		ord->phase = PW_PHASE_ACCEPTED;
	if (st == PA_STATUS_UNRESOLVED) {
		PW_LOG(w, PW_LOG_WARN, "order %s: webhook with unknown status",
		       ord->order_id);
		pw__emit(it, ord, NULL, NULL);
		return;
	}
	if (pa_status_is_terminal(st) && ord->rt) {
		pw_timer_cancel(w->loop, ord->rt);
		ord->rt = NULL;
	}
	json_t *details = json_object();
	const char *keys[] = {"bank_ref", "sender_upi", "refund_info",
			      "requested_amount", "received_amount"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(cb, keys[i]);
		if (v)
			json_object_set(details, keys[i], v);
	}
	json_object_set_new(details, "source", json_string("webhook"));
	pw__transition(it, ord, st, raw, details, NULL);
	json_decref(details);
}

void pw__item_start(pw_item_t *it)
{
	if (it->dead) {
		pw__item_finish(it);
		return;
	}
	switch (it->kind) {
	case PW_ITEM_CMD:
		start_command(it);
		return;
	case PW_ITEM_WEBHOOK:
		apply_webhook(it);
		return;
	case PW_ITEM_POLL:
		it->ord = pw__order_get(it->w, it->key, it->klen);
		poll_now(it);
		return;
	}
}
