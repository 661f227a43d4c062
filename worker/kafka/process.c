/* process.c -- the executor: feeds each unit of work to the order machine
 * (orders/machine.h) and carries out the effects it returns.
 * Owns: the machine's settings for this worker, the state an item is
 *       stepped with (looked up in the order table, or fresh storage), the
 *       gateway calls and their replies, the retry and poll timers, the
 *       decode retry, the worker counters a step moves.
 * Not here: the rules (orders/machine.c), an item's writes and end
 *           (items.c), the orders held (order_table.c), Kafka clients and
 *           offsets (worker.c, commit.c), the gateway protocol
 *           (gateway_payatom.c). */
#include "kafka/worker_int.h"

#include <stdlib.h>
#include <string.h>

#include "orders/event.h"
#include "orders/machine.h"

static int has_merchant(void *ud, const char *merchant)
{
	pw_worker_t *w = ud;
	return w->gw->has_merchant(w->gw, merchant);
}

void pw__machine_conf(pw_worker_t *w)
{
	pw_machine_conf_t *c = &w->mc;
	pw_machine_conf_default(c);
	c->poll_first_ms = w->o.poll_first_ms;
	c->poll_max_interval_ms = w->o.poll_max_interval_ms;
	c->poll_deadline_ms = w->o.poll_deadline_ms;
	c->retry_base_ms = w->o.retry_base_ms;
	c->retry_max_ms = w->o.retry_max_ms;
	c->retry_max_attempts = w->o.retry_max_attempts;
	c->webhook_confirm = w->o.webhook_confirm;
	c->reports = w->o.on_report_request != NULL;
	c->has_merchant = has_merchant;
	c->has_merchant_ud = w;
}

/* ---- the poll timer of an order --------------------------------------- */

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

/* (Re)arms ord's poll timer; a draining worker starts no new poll (the
 * next owner resumes it from the state record). */
static void schedule_poll(pw_worker_t *w, pw_order_t *ord, int64_t in_ms)
{
	if (ord->rt)
		pw_timer_cancel(w->loop, ord->rt);
	ord->rt = NULL;
	if (ord->kind == PW_KIND_COMPLAINT || w->shutting_down)
		return;
	ord->rt = pw_timer_add(w->loop, in_ms < 0 ? 0 : in_ms, poll_due, ord);
}

static void poll_cancel(pw_worker_t *w, pw_order_t *ord)
{
	if (ord->rt) {
		pw_timer_cancel(w->loop, ord->rt);
		ord->rt = NULL;
	}
}

/* ---- carrying out effects ------------------------------------------------ */

static void step(pw_item_t *it, pw_order_t *ord, pw_input_t *in,
		 pw_effects_t *fx);
static void on_reply(void *ud, const pw_gw_result_t *res);
static void on_timer(pw_loop_t *loop, pw_timer_t *t, void *ud);

static void count(pw_worker_t *w, const pw_counts_t *c)
{
	w->st.commands_in += c->commands_in;
	w->st.duplicates_suppressed += c->duplicates_suppressed;
	w->st.terminal_events += c->terminal_events;
	w->st.unresolved += c->unresolved;
	w->st.gw_retries += c->gw_retries;
	w->st.polls += c->polls;
	w->st.webhooks_in += c->webhooks_in;
	w->st.wh_confirm_unheld += c->confirm_unheld;
	w->st.wh_confirm_amount += c->confirm_amount;
	w->st.wh_confirm_setting += c->confirm_setting;
}

/* The gateway call the machine asked for; a call that cannot be made is
 * answered at once (pw_reply_t.sync). */
static void call(pw_item_t *it, pw_call_kind_t kind)
{
	pw_worker_t *w = it->w;
	pw_order_t *ord = it->ord;
	pa_err_t err;
	it->call_kind = (uint8_t)kind;
	if (kind == PW_CALL_STATUS || kind == PW_CALL_CONFIRM) {
		err = w->gw->status(w->gw, ord, on_reply, it, &it->call);
	} else {
		if (kind == PW_CALL_CREATE)
			w->st.gw_calls++;
		err = w->gw->submit(w->gw, ord, it->rec, on_reply, it,
				    &it->call);
	}
	if (err == PA_OK)
		return;
	it->call = NULL;
	pw_reply_t r = {.err = err, .status = PA_STATUS_UNRESOLVED, .raw = "",
			.received_minor = -1, .sync = 1,
			.message = w->gw->last_error(w->gw)};
	pw_effects_t fx;
	pw_effects_init(&fx);
	pw_input_t in = {.kind = PW_INPUT_REPLY, .known = 1, .call = kind,
			 .reply = &r, .attempts = it->attempts};
	step(it, ord, &in, &fx);
}

/* A command that created an order leaves in its state what later events
 * return or carry (docs/events.md): its command_id, its metadata, its
 * trace context (the events of the order's webhooks and polls carry it). */
static void keep_command(pw_item_t *it, pw_order_t *ord)
{
	if (it->kind != PW_ITEM_CMD || !it->rec || ord->ext)
		return;
	char tp[PW_TRACEPARENT_MAX + 1], ts[PW_TRACESTATE_MAX + 1];
	pw_headers_trace(it->hdrs, tp, ts);
	pw_cmd_src_t src = {it->topic, it->partition, it->offset};
	if (pw_order_keep_command(ord, it->rec, &src, tp, ts) != PA_OK)
		PW_LOG(it->w, PW_LOG_WARN, "order %s: no memory for its "
					   "command's metadata and trace",
		       ord->order_id);
}

/* What caused the event it publishes for ord (docs/events.md): the
 * command, the webhook record, the order's n-th poll (also the status
 * request a webhook not taken at its word made: the gateway's answer is
 * what is published), or the deadline (UNRESOLVED once it passed; before
 * it, UNRESOLVED is a poll's answer: the gateway does not know an order
 * only a webhook named). The ids go into buf. */
static pw_cause_t cause_of(const pw_item_t *it, const pw_order_t *ord,
			   char *buf, size_t size)
{
	pw_cause_t c = {PW_CAUSE_OTHER, NULL, NULL};
	if (it->kind == PW_ITEM_CMD) {
		c.kind = PW_CAUSE_COMMAND;
		c.command_id = json_string_value(json_object_get(it->rec,
								 "command_id"));
	} else if (it->kind == PW_ITEM_WEBHOOK &&
		   it->call_kind != PW_CALL_CONFIRM) {
		c.kind = PW_CAUSE_WEBHOOK;
		snprintf(buf, size, "%s:%d:%lld", it->w->in_topics[PW_IN_WEBHOOK],
			 (int)it->partition, (long long)it->offset);
		c.id = buf;
	} else if (ord->status == PA_STATUS_UNRESOLVED &&
		   pw__wall_ms() >= ord->deadline_ms) {
		c.kind = PW_CAUSE_DEADLINE; /* the worker gave up polling */
	} else {
		c.kind = PW_CAUSE_POLL;
		snprintf(buf, size, "%s:poll:%u", ord->order_id, ord->polls);
		c.id = buf;
	}
	return c;
}

/* A follow-up the gateway accepted: its step writes the state, with no
 * dead letter (the answer to its call, not the call itself). */
static int followup_accepted(const pw_item_t *it, const pw_effects_t *fx)
{
	if (it->kind != PW_ITEM_CMD || it->call_kind != PW_CALL_FOLLOWUP ||
	    !it->rec)
		return 0;
	int save = 0;
	for (int i = 0; i < fx->n; i++) {
		if (fx->fx[i].kind == PW_FX_DEAD_LETTER ||
		    fx->fx[i].kind == PW_FX_CALL || fx->fx[i].repeat)
			return 0;
		save |= fx->fx[i].kind == PW_FX_SAVE;
	}
	return save;
}

/* Carries out fx (a step of it on ord, which is it->ord or fresh storage
 * the step initialised) in its order, then clears it. */
static void execute(pw_item_t *it, pw_order_t *ord, pw_effects_t *fx)
{
	pw_worker_t *w = it->w;
	json_t *ev = NULL;
	const char *topic = NULL;
	int writing = 0;
	int keep_followup = followup_accepted(it, fx);
	count(w, &fx->counts);
	if (fx->n && fx->fx[fx->n - 1].kind == PW_FX_AGAIN)
		it->again = 1;
	for (int i = 0; i < fx->n; i++) {
		const pw_effect_t *e = &fx->fx[i];
		switch (e->kind) {
		case PW_FX_HOLD:
			ord = pw__order_hold(w, ord);
			if (!ord) {
				json_decref(ev);
				pw__dead_letter(it, "INTERNAL", "out of memory");
				pw_effects_clear(fx);
				return;
			}
			it->ord = ord;
			keep_command(it, ord);
			break;
		case PW_FX_PUBLISH: {
			const pw_event_topics_t tp = {w->o.topic_evt_payment,
						      w->o.topic_evt_refund,
						      w->o.topic_evt_complaint};
			char cid[PW_ID_MAX + 160];
			if (e->repeat) {
				/* the answer to a repeated create: the
				 * current event again, caused by this
				 * command; no state change to write */
				json_t *d = pw_order_event_details(ord);
				ev = pw_event_build(
					ord, e->prev_status, d,
					json_string_value(json_object_get(
						d, "reason")),
					&topic, &tp);
				json_decref(d);
				pw_cause_t cause = cause_of(it, ord, cid,
							    sizeof cid);
				pw_event_add_cause(ev, ord, &cause);
				pw__emit(it, NULL, ev, topic);
				ev = NULL;
				writing = 1;
				break;
			}
			ev = pw_event_build(ord, e->prev_status, e->details,
					    e->text, &topic, &tp);
			pw_cause_t cause = cause_of(it, ord, cid, sizeof cid);
			pw_event_add_cause(ev, ord, &cause);
			/* what an answer to a repeated create needs again */
			if (pw_order_keep_event(ord, ev) != PA_OK)
				PW_LOG(w, PW_LOG_WARN, "order %s: no memory for "
						       "its event's details",
				       ord->order_id);
			break;
		}
		case PW_FX_SAVE:
			if (keep_followup) { /* known again by its command_id */
				pw_cmd_src_t src = {it->topic, it->partition,
						    it->offset};
				if (pw_order_keep_followup(ord, it->rec, &src) !=
				    PA_OK)
					PW_LOG(w, PW_LOG_WARN,
					       "order %s: no memory to keep "
					       "its follow-up",
					       ord->order_id);
			}
			pw__emit(it, ord, ev, topic);
			ev = NULL;
			writing = 1;
			break;
		case PW_FX_DEAD_LETTER:
			pw__dead_letter(it, e->reason, e->text);
			writing = 1;
			break;
		case PW_FX_POLL:
			schedule_poll(w, ord, e->in_ms);
			break;
		case PW_FX_POLL_CANCEL:
			poll_cancel(w, ord);
			break;
		case PW_FX_FORGET:
			pw__order_forget(w, ord);
			it->ord = ord = NULL;
			break;
		case PW_FX_REPORT:
			w->o.on_report_request(w->o.on_report_request_ud,
					       it->rec);
			break;
		case PW_FX_LOG:
			PW_LOG(w, PW_LOG_WARN, "order %s: %s",
			       ord ? ord->order_id : it->key, e->text);
			break;
		case PW_FX_CALL: {
			pw_call_kind_t k = e->call;
			pw_effects_clear(fx);
			call(it, k);
			return;
		}
		case PW_FX_RETRY:
			it->call_kind = (uint8_t)e->call;
			it->attempts++;
			it->timer = pw_timer_add(w->loop, e->in_ms, on_timer, it);
			break;
		case PW_FX_DONE:
		case PW_FX_AGAIN:
			if (!writing)
				pw__item_finish(it);
			break;
		}
	}
	pw_effects_clear(fx);
}

static void step(pw_item_t *it, pw_order_t *ord, pw_input_t *in,
		 pw_effects_t *fx)
{
	pw_order_t fresh;
	if (!in->known) {
		/* the step may initialise it (PW_FX_HOLD) */
		memset(&fresh, 0, sizeof fresh);
		ord = &fresh;
	}
	in->now_ms = pw__wall_ms();
	in->rand = pw__rand(it->w);
	in->partition = it->partition;
	in->key = it->key;
	in->klen = it->klen;
	pw_order_step(&it->w->mc, ord, in, fx);
	execute(it, ord, fx);
}

static void on_reply(void *ud, const pw_gw_result_t *res)
{
	pw_item_t *it = ud;
	it->call = NULL;
	pw_reply_t r = {.err = res->err, .status = res->status,
			.raw = res->raw, .ref_code = res->ref_code,
			.details = res->details,
			.received_minor = res->received_minor,
			.message = res->message};
	pw_effects_t fx;
	pw_effects_init(&fx);
	pw_input_t in = {.kind = PW_INPUT_REPLY, .known = 1,
			 .call = (pw_call_kind_t)it->call_kind, .reply = &r,
			 .attempts = it->attempts};
	step(it, it->ord, &in, &fx);
}

/* ---- commands ------------------------------------------------------------- */

/* Admits it (a command) and steps it with its order's state. */
static void start_command(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	pw_effects_t fx;
	pw_effects_init(&fx);
	pw_admit_in_t ai = {.rec = it->rec, .dec_err = it->dec_err,
			    .dec_reason = pw_codec_dlq_reason(it->dec_err),
			    .dec_msg = it->dec_msg, .topic = it->topic,
			    .key = it->key, .klen = it->klen,
			    .attempts = it->attempts, .rand = pw__rand(w)};
	pw_cmd_info_t ci;
	if (!pw_order_admit(&w->mc, &ai, &ci, &fx)) {
		if (fx.fx[fx.n - 1].kind == PW_FX_RETRY &&
		    it->attempts % 20 == 0)
			PW_LOG(w, PW_LOG_WARN,
			       "%s p%d@%lld: %s; decoding again later",
			       w->in_topics[it->topic], it->partition,
			       (long long)it->offset,
			       it->dec_msg ? it->dec_msg : "");
		execute(it, NULL, &fx);
		return;
	}
	char mk[PW_ID_MAX + 16];
	size_t mkl = pw_order_key(ci.kind, it->key, mk, sizeof mk);
	pw_input_t in = {.kind = PW_INPUT_COMMAND, .rec = it->rec, .ci = &ci,
			 .src = {it->topic, it->partition, it->offset}};
	pw_order_t peek, *ord;
	if (ci.op == PW_OP_CREATE &&
	    (ord = pw__order_peek(w, mk, mkl, &peek)) != NULL) {
		/* a repeated create is answered from the state as it is: a
		 * settled order at rest is not unpacked into the table for
		 * it. Should the rules ever change it, the step is simply
		 * made again on the live state (it is a pure function). */
		pw_effects_t probe = fx;
		in.known = 1;
		in.now_ms = pw__wall_ms();
		in.rand = pw__rand(w);
		in.partition = it->partition;
		in.key = it->key;
		in.klen = it->klen;
		pw_order_step(&w->mc, ord, &in, &probe);
		pw_order_release(&peek);
		if (probe.n == 1 && probe.fx[0].kind == PW_FX_DONE &&
		    !probe.owned) {
			execute(it, NULL, &probe);
			return;
		}
		pw_effects_clear(&probe);
	}
	ord = pw__order_get(w, mk, mkl);
	in.known = ord != NULL;
	if (ord)
		it->ord = ord;
	step(it, ord, &in, &fx);
}

/* Decoding failed for a retryable reason (schema registry unreachable):
 * decode again; the item kept its order's queue and its offset. */
static void retry_decode(pw_item_t *it)
{
	char eb[PA_ERRBUF_SIZE] = "";
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

static void on_timer(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_item_t *it = ud;
	it->timer = NULL;
	if (it->kind == PW_ITEM_CMD && !it->rec) {
		retry_decode(it);
		return;
	}
	pw_effects_t fx;
	pw_effects_init(&fx);
	pw_input_t in = {.kind = PW_INPUT_RETRY, .known = 1,
			 .call = (pw_call_kind_t)it->call_kind,
			 .attempts = it->attempts};
	step(it, it->ord, &in, &fx);
}

/* ---- entry points ---------------------------------------------------------- */

void pw__item_start(pw_item_t *it)
{
	if (it->dead) {
		pw__item_finish(it);
		return;
	}
	if (it->kind == PW_ITEM_CMD) {
		start_command(it);
		return;
	}
	pw_effects_t fx;
	pw_effects_init(&fx);
	pw_input_t in = {.kind = it->kind == PW_ITEM_WEBHOOK ? PW_INPUT_WEBHOOK
							     : PW_INPUT_POLL,
			 .rec = it->rec, .force = it->force};
	pw_order_t *ord = pw__order_get(it->w, it->key, it->klen);
	in.known = ord != NULL;
	it->ord = ord;
	step(it, ord, &in, &fx);
}

void pw__order_resume(pw_worker_t *w, pw_order_t *ord, int64_t now_ms)
{
	pw_effects_t fx;
	pw_effects_init(&fx);
	pw_input_t in = {.kind = PW_INPUT_RESUME, .known = 1, .now_ms = now_ms,
			 .rand = pw__rand(w), .partition = ord->partition};
	pw_order_step(&w->mc, ord, &in, &fx);
	for (int i = 0; i < fx.n; i++)
		if (fx.fx[i].kind == PW_FX_POLL)
			schedule_poll(w, ord, fx.fx[i].in_ms);
	pw_effects_clear(&fx);
}
