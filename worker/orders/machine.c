/* machine.c -- the order rules as a pure function (machine.h).
 * Owns: admission of commands, the step of one order by one input, the
 *       poll schedule, retry backoff, the well-formedness of effect lists.
 * Not here: carrying effects out (kafka/process.c), the transition rule
 *           of statuses (state.c pw_order_apply, lib/status.c), event
 *           fields (event.c), reading a webhook record and whether it
 *           lines up with its order (webhook_trust.c). */
#include "orders/machine.h"
#include "orders/machine_int.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/redact.h"
#include "orders/webhook_trust.h"

#define DEADLINE_REASON                                                        \
	"status polling deadline passed without a terminal status"

void pw_machine_conf_default(pw_machine_conf_t *c)
{
	memset(c, 0, sizeof *c);
	c->poll_first_ms = 30000;
	c->poll_max_interval_ms = 300000;
	c->poll_deadline_ms = 24LL * 3600 * 1000;
	c->retry_base_ms = 500;
	c->retry_max_ms = 60000;
	c->retry_max_attempts = 8;
}

/* ---- effects ---------------------------------------------------------- */

void pw_effects_init(pw_effects_t *fx)
{
	memset(fx, 0, sizeof *fx);
}

void pw_effects_clear(pw_effects_t *fx)
{
	json_decref(fx->owned);
	fx->owned = NULL;
	fx->n = 0;
	fx->used = 0;
	memset(&fx->counts, 0, sizeof fx->counts);
}

static pw_effect_t *add(pw_effects_t *fx, pw_fx_kind_t kind)
{
	assert(fx->n < PW_FX_MAX);
	pw_effect_t *e = &fx->fx[fx->n++];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->prev_status = -1;
	return e;
}

/* A copy of the formatted text in fx's buffer (cut to what is left). */
static const char *text(pw_effects_t *fx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *text(pw_effects_t *fx, const char *fmt, ...)
{
	char *p = fx->buf + fx->used;
	size_t left = sizeof fx->buf - fx->used;
	assert(left > 0);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(p, left, fmt, ap);
	va_end(ap);
	size_t w = n < 0 ? 0 : (size_t)n >= left ? left - 1 : (size_t)n;
	p[w] = '\0';
	fx->used += w + 1;
	return p;
}

static void end(pw_effects_t *fx, pw_fx_kind_t kind)
{
	add(fx, kind);
}

static void call(pw_effects_t *fx, pw_call_kind_t k)
{
	add(fx, PW_FX_CALL)->call = k;
}

static void retry(pw_effects_t *fx, pw_call_kind_t k, int64_t in_ms)
{
	pw_effect_t *e = add(fx, PW_FX_RETRY);
	e->call = k;
	e->in_ms = in_ms;
}

static void dead_letter(pw_effects_t *fx, const char *reason,
			const char *msg)
{
	pw_effect_t *e = add(fx, PW_FX_DEAD_LETTER);
	e->reason = reason;
	e->text = text(fx, "%s", msg ? msg : "");
	end(fx, PW_FX_DONE);
}

pw_effect_t *pw__fx_add(pw_effects_t *fx, pw_fx_kind_t kind)
{
	return add(fx, kind);
}

void pw__fx_dead_letter(pw_effects_t *fx, const char *reason, const char *msg)
{
	dead_letter(fx, reason, msg);
}

/* The state as it is, written (it learned something, or a duplicate
 * status came: keeps learned fields durable); then done. */
static void save_done(pw_effects_t *fx)
{
	add(fx, PW_FX_SAVE);
	end(fx, PW_FX_DONE);
}

int64_t pw_machine_backoff(const pw_machine_conf_t *c, int attempt,
			   uint64_t rand)
{
	int64_t d = c->retry_base_ms;
	for (int i = 1; i < attempt && d < c->retry_max_ms; i++)
		d *= 2;
	if (d > c->retry_max_ms)
		d = c->retry_max_ms;
	/* jitter in [d/2, d] */
	return d / 2 + (int64_t)(rand % (uint64_t)(d / 2 + 1));
}

/* ---- the order --------------------------------------------------------- */

size_t pw_order_key(int kind, const char *oid, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s",
			 kind == PW_KIND_COMPLAINT ? "complaint:" : "", oid);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

/* A new order for the input's key (the caller's storage, zeroed). */
static void order_init(const pw_machine_conf_t *c, pw_order_t *ord,
		       const pw_input_t *in, int kind, const char *merchant,
		       pw_effects_t *fx)
{
	size_t n = in->klen < sizeof ord->order_id ? in->klen
						   : sizeof ord->order_id - 1;
	memset(ord, 0, sizeof *ord);
	memcpy(ord->order_id, in->key, n);
	ord->kind = (uint8_t)kind;
	ord->partition = in->partition;
	ord->received_minor = -1;
	ord->created_ms = in->now_ms;
	ord->deadline_ms = in->now_ms + c->poll_deadline_ms;
	snprintf(ord->merchant, sizeof ord->merchant, "%s",
		 merchant ? merchant : "");
	add(fx, PW_FX_HOLD);
}

static void learn(pw_order_t *ord, const char *ref_code, int64_t received)
{
	if (ref_code && *ref_code && !ord->ref_code[0])
		snprintf(ord->ref_code, sizeof ord->ref_code, "%s", ref_code);
	if (received >= 0)
		ord->received_minor = received;
}

/* The poll timer fires in in_ms (the order's next poll). Complaints are
 * followed by their own commands, never polled. */
static void schedule(pw_order_t *ord, int64_t now, int64_t in_ms,
		     pw_effects_t *fx)
{
	if (ord->kind == PW_KIND_COMPLAINT)
		return;
	if (in_ms < 0)
		in_ms = 0;
	ord->next_poll_ms = now + in_ms;
	add(fx, PW_FX_POLL)->in_ms = in_ms;
}

static int64_t next_poll_in(const pw_machine_conf_t *c, const pw_order_t *ord)
{
	int64_t d = c->poll_first_ms;
	for (uint32_t i = 1; i < ord->polls && d < c->poll_max_interval_ms;
	     i++)
		d *= 2;
	return d > c->poll_max_interval_ms ? c->poll_max_interval_ms : d;
}

/* A status observed: an event when it is a real transition, the state
 * record either way (it keeps learned fields durable). */
static void observe(const pw_machine_conf_t *c, int64_t now, pw_order_t *ord,
		    pa_status_t st, const char *raw, const json_t *details,
		    const char *reason, pw_effects_t *fx)
{
	int prev = ord->seq > 0 ? (int)ord->status : -1;
	int was_settled = ord->phase == PW_PHASE_SETTLED;
	char rawc[sizeof ord->raw_status];
	snprintf(rawc, sizeof rawc, "%s", raw ? raw : "");
	if (!pw_order_apply(ord, st, rawc)) {
		fx->counts.duplicates_suppressed++;
		add(fx, PW_FX_SAVE);
		return;
	}
	/* UNRESOLVED after the deadline is the order's outcome too: it is
	 * reported, and an operator or reconciliation takes over */
	if (pa_status_is_terminal(st) || st == PA_STATUS_UNRESOLVED)
		fx->counts.terminal_events++;
	if (st == PA_STATUS_UNRESOLVED)
		fx->counts.unresolved++;
	if (was_settled && ord->phase != PW_PHASE_SETTLED) {
		/* reopened (a refund of a settled order, days later): polled
		 * like a new order, with a deadline of its own */
		ord->polls = 0;
		ord->deadline_ms = now + c->poll_deadline_ms;
	}
	pw_effect_t *e = add(fx, PW_FX_PUBLISH);
	e->prev_status = prev;
	e->details = details;
	e->text = reason;
	add(fx, PW_FX_SAVE);
}

/* observe(), then `fin` (DONE, or AGAIN). */
static void transition(const pw_machine_conf_t *c, int64_t now,
		       pw_order_t *ord, pa_status_t st, const char *raw,
		       const json_t *details, const char *reason,
		       pw_effects_t *fx, pw_fx_kind_t fin)
{
	observe(c, now, ord, st, raw, details, reason, fx);
	end(fx, fin);
}

static void deadline_passed(const pw_machine_conf_t *c, pw_order_t *ord,
			    const pw_input_t *in, pw_effects_t *fx)
{
	transition(c, in->now_ms, ord, PA_STATUS_UNRESOLVED, ord->raw_status,
		   NULL, DEADLINE_REASON, fx, PW_FX_DONE);
}

/* ---- admission ----------------------------------------------------------- */

int pw_order_admit(const pw_machine_conf_t *c, const pw_admit_in_t *in,
		   pw_cmd_info_t *ci, pw_effects_t *fx)
{
	char msg[PA_ERRBUF_SIZE] = "";
	if (!in->rec) {
		if (in->dec_err && pa_err_is_retryable(in->dec_err)) {
			/* the schema registry is unreachable: decode again
			 * later; the command keeps its place and offset */
			int64_t in_ms = pw_machine_backoff(c, in->attempts + 1,
							   in->rand);
			retry(fx, PW_CALL_CREATE, in_ms);
			return 0;
		}
		dead_letter(fx, in->dec_reason ? in->dec_reason : "UNDECODABLE",
			    in->dec_msg ? in->dec_msg
					: "payload is not a command record");
		return 0;
	}
	const char *type = json_string_value(json_object_get(in->rec, "type"));
	if (c->reports && type && !strcmp(type, "report_request")) {
		/* reports.c answers asynchronously: nothing to order */
		add(fx, PW_FX_REPORT);
		end(fx, PW_FX_DONE);
		return 0;
	}
	pa_err_t cerr = pw_cmd_check(in->rec, in->topic, ci, msg);
	if (cerr != PA_OK) {
		dead_letter(fx, cerr == PA_UNSUPPORTED ? "UNSUPPORTED_PRODUCT"
						       : "MALFORMED",
			    msg);
		return 0;
	}
	if (strcmp(ci->order_id, in->key) != 0) {
		dead_letter(fx, "KEY_MISMATCH",
			    "record key differs from order_id");
		return 0;
	}
	if (c->has_merchant && !c->has_merchant(c->has_merchant_ud,
						ci->merchant)) {
		char nm[80];
		snprintf(msg, sizeof msg, "merchant %s is not configured",
			 pw_redact_name(ci->merchant, nm, sizeof nm));
		dead_letter(fx, "UNKNOWN_MERCHANT", msg);
		return 0;
	}
	fx->counts.commands_in++;
	return 1;
}

/* ---- steps --------------------------------------------------------------- */

/* A status poll now: by the poll timer (a settled order is left alone
 * unless forced) or by a status check command (cmd: always). */
static void poll_now(const pw_machine_conf_t *c, pw_order_t *ord,
		     const pw_input_t *in, int cmd,
		     pw_effects_t *fx)
{
	if (!in->known) {
		end(fx, PW_FX_DONE); /* forgotten meanwhile */
		return;
	}
	if (ord->phase == PW_PHASE_SETTLED && !cmd && !in->force) {
		end(fx, PW_FX_DONE);
		return;
	}
	if (in->now_ms >= ord->deadline_ms && ord->phase != PW_PHASE_SETTLED) {
		deadline_passed(c, ord, in, fx);
		return;
	}
	call(fx, PW_CALL_STATUS);
}

static void command(const pw_machine_conf_t *c, pw_order_t *ord,
		    const pw_input_t *in, pw_effects_t *fx)
{
	const pw_cmd_info_t *ci = in->ci;
	if (ci->op == PW_OP_CREATE) {
		/* never call the gateway twice for one order (answer.c) */
		if (in->known) {
			pw__order_repeated(ord, in, fx);
			return;
		}
		order_init(c, ord, in, ci->kind, ci->merchant, fx);
		snprintf(ord->product, sizeof ord->product, "%s", ci->product);
		snprintf(ord->currency, sizeof ord->currency, "%s",
			 ci->currency);
		ord->amount_minor = ci->amount_minor;
		call(fx, PW_CALL_CREATE);
		return;
	}
	if (ci->op == PW_OP_STATUS) {
		if (!in->known) {
			dead_letter(fx, "UNKNOWN_ORDER",
				    "status check for an order this worker "
				    "never accepted");
			return;
		}
		poll_now(c, ord, in, 1, fx);
		return;
	}
	/* follow-up: refund, UTR submission, complaint submit/status */
	if (!in->known && ci->kind == PW_KIND_COMPLAINT) {
		order_init(c, ord, in, PW_KIND_COMPLAINT, ci->merchant, fx);
	} else if (!in->known) {
		dead_letter(fx, "UNKNOWN_ORDER",
			    "follow-up command for an order this worker "
			    "never accepted");
		return;
	} else if (pw__order_repeated(ord, in, fx)) {
		return; /* seen before: answered, not sent again (answer.c) */
	}
	call(fx, PW_CALL_FOLLOWUP);
}

/* ---- webhooks ------------------------------------------------------------ */

/* A verified webhook is acted on at its word only for an order the worker
 * created, with a received amount that lines up with it; every other one
 * is a hint: the order's status is asked from the gateway's status API
 * (our own authenticated request) and its answer is what gets published
 * (webhook_trust.h says why). */

#define UNHELD_REASON                                                          \
	"a webhook named an order this worker did not create: its status is "  \
	"asked from the gateway's status API"
#define NOT_FOUND_REASON                                                       \
	"the gateway's status API does not know this order, which only a "     \
	"webhook named"

/* A verified webhook for an order the worker holds no state for (created
 * elsewhere, a forgery, or state lost in a crash): held, PENDING published
 * as the order's sequence 1 (after a lost state, the same event again:
 * same sequence, same event_id), and polled at once, by order_id (nothing
 * of the callback is learned, its ref_code included). What the callback
 * says is not published: the poll's answer is. */
static void unheld(const pw_machine_conf_t *c, pw_order_t *ord,
		   const pw_input_t *in, const char *merchant,
		   pw_effects_t *fx)
{
	order_init(c, ord, in, PW_KIND_PAYIN, merchant, fx);
	ord->phase = PW_PHASE_LOOKUP;
	fx->counts.confirm_unheld++;
	add(fx, PW_FX_LOG)->text = "webhook for an order this worker did not "
				   "create: asking the gateway's status API";
	schedule(ord, in->now_ms, 0, fx);
	transition(c, in->now_ms, ord, PA_STATUS_PENDING, "", NULL,
		   UNHELD_REASON, fx, PW_FX_DONE);
}

static void webhook(const pw_machine_conf_t *c, pw_order_t *ord,
		    const pw_input_t *in, pw_effects_t *fx)
{
	pw_wh_t wh;
	const char *msg = NULL;
	const char *bad = pw_wh_read(in->rec, in->key, in->klen, &wh, &msg);
	if (bad) {
		dead_letter(fx, bad, msg);
		return;
	}
	fx->counts.webhooks_in++;
	if (!in->known) {
		unheld(c, ord, in, wh.merchant, fx);
		return;
	}
	pa_status_t st = wh.status;
	if (st == PA_STATUS_UNRESOLVED) {
		/* nothing of it is learned: its fields are not vouched for */
		add(fx, PW_FX_LOG)->text = "webhook with unknown status";
		end(fx, PW_FX_DONE);
		return;
	}
	int moves = pw_order_would_move(ord, st);
	uint8_t *why = NULL;
	if (!pw_order_created_here(ord))
		why = &fx->counts.confirm_unheld;
	else if (!pw_wh_lines_up(ord, &wh))
		why = &fx->counts.confirm_amount;
	else if (c->webhook_confirm == PW_CONFIRM_SUCCESS &&
		 pa_status_is_paid(st) && moves)
		why = &fx->counts.confirm_setting;
	if (why && !moves) {
		/* it would change nothing, and what it carries is not
		 * learned */
		end(fx, PW_FX_DONE);
		return;
	}
	if (why) {
		/* the status API's answer wins (on_confirm) */
		(*why)++;
		if (why == &fx->counts.confirm_amount)
			add(fx, PW_FX_LOG)->text =
				"webhook's received amount does not line up "
				"with the order: asking the gateway's status "
				"API";
		call(fx, PW_CALL_CONFIRM);
		return;
	}
	learn(ord, json_string_value(json_object_get(wh.cb, "ref_code")),
	      wh.received);
	if (ord->phase == PW_PHASE_LOOKUP || ord->phase == PW_PHASE_NEW)
		ord->phase = PW_PHASE_ACCEPTED;
	int was_settled = ord->phase == PW_PHASE_SETTLED;
	json_decref(fx->owned);
	fx->owned = pw_wh_details(&wh);
	observe(c, in->now_ms, ord, st, wh.raw, fx->owned, NULL, fx);
	/* The poll stops when the order settles, not when a webhook names
	 * a terminal status: a stale one (Late Approved replayed after
	 * Refund Initiated) is suppressed and the order still needs its
	 * poll. An order a webhook reopens (Refund Initiated after
	 * Approved) is polled until it settles again. */
	if (ord->phase == PW_PHASE_SETTLED)
		add(fx, PW_FX_POLL_CANCEL);
	else if (was_settled)
		schedule(ord, in->now_ms, c->poll_first_ms, fx);
	end(fx, PW_FX_DONE);
}

static void on_submit(const pw_machine_conf_t *c, pw_order_t *ord,
		      const pw_input_t *in, pw_effects_t *fx)
{
	const pw_reply_t *res = in->reply;
	if (res->sync) {
		if (pa_err_is_retryable(res->err)) {
			retry(fx, PW_CALL_CREATE,
			      pw_machine_backoff(c, 1, in->rand));
			return;
		}
		/* The request could not be built: the command is invalid for
		 * its product. Nothing reached the gateway; forget the
		 * order. */
		add(fx, PW_FX_FORGET);
		dead_letter(fx, "VALIDATION",
			    res->message && *res->message
				    ? res->message
				    : pa_strerror(res->err));
		return;
	}
	ord->attempts++;
	if (res->err == PA_OK) {
		learn(ord, res->ref_code, res->received_minor);
		ord->phase = PW_PHASE_ACCEPTED;
		pa_status_t st = PA_STATUS_PENDING;
		if (res->raw && *res->raw && res->status != PA_STATUS_UNRESOLVED)
			st = res->status;
		if (!pa_status_is_terminal(st))
			schedule(ord, in->now_ms, c->poll_first_ms, fx);
		transition(c, in->now_ms, ord, st, res->raw ? res->raw : "",
			   res->details, NULL, fx, PW_FX_DONE);
		return;
	}
	if (res->err == PA_DUPLICATE) {
		/* An earlier attempt reached the gateway (design.md §4):
		 * resolve by polling, never report it as a failure. */
		ord->phase = PW_PHASE_LOOKUP;
		schedule(ord, in->now_ms, 0, fx);
		if (ord->seq == 0) {
			/* The gateway accepted it before: publish the PENDING
			 * that attempt published, or would have (a replay
			 * after a crash between that event and its state, a
			 * retry whose first attempt arrived). Same sequence,
			 * same event_id; what the poll finds follows as
			 * sequence 2, as it would have -- not as a second
			 * sequence 1. */
			transition(c, in->now_ms, ord, PA_STATUS_PENDING, "",
				   NULL, NULL, fx, PW_FX_DONE);
			return;
		}
		save_done(fx);
		return;
	}
	if (pa_err_is_retryable(res->err)) {
		fx->counts.gw_retries++;
		if (ord->attempts < (uint32_t)c->retry_max_attempts) {
			retry(fx, PW_CALL_CREATE,
			      pw_machine_backoff(c, (int)ord->attempts,
						 in->rand));
			return;
		}
		/* Cap reached: the request may or may not have arrived. The
		 * poller finds out (by order_id); never abandoned. */
		ord->phase = PW_PHASE_LOOKUP;
		schedule(ord, in->now_ms, c->retry_base_ms, fx);
		save_done(fx);
		return;
	}
	/* A documented rejection: the order does not exist at the gateway.
	 * A terminal FAILED event says so (design decision, README). */
	const char *reason = text(fx, "gateway rejected (%s): %s",
				  pa_err_name(res->err),
				  res->message ? res->message : "");
	transition(c, in->now_ms, ord, PA_STATUS_FAILED,
		   res->raw ? res->raw : "", res->details, reason, fx,
		   PW_FX_DONE);
}

static void on_poll(const pw_machine_conf_t *c, pw_order_t *ord,
		    const pw_input_t *in, pw_effects_t *fx)
{
	const pw_reply_t *res = in->reply;
	if (res->sync) {
		schedule(ord, in->now_ms, next_poll_in(c, ord), fx);
		end(fx, PW_FX_DONE);
		return;
	}
	ord->polls++;
	fx->counts.polls++;
	if (res->err == PA_OK && res->raw && *res->raw) {
		learn(ord, res->ref_code, res->received_minor);
		if (ord->phase == PW_PHASE_LOOKUP || ord->phase == PW_PHASE_NEW)
			ord->phase = PW_PHASE_ACCEPTED;
		if (res->status == PA_STATUS_UNRESOLVED) {
			/* an unknown raw status: never guessed, keep polling,
			 * say so when the deadline passes */
			add(fx, PW_FX_LOG)->text = "unknown gateway status";
			add(fx, PW_FX_SAVE);
		} else {
			observe(c, in->now_ms, ord, res->status, res->raw,
				res->details, NULL, fx);
		}
		/* polled until the order settles: a terminal answer the
		 * order cannot take does not stop the polling */
		if (ord->phase == PW_PHASE_SETTLED)
			add(fx, PW_FX_POLL_CANCEL);
		else
			schedule(ord, in->now_ms, next_poll_in(c, ord), fx);
		end(fx, PW_FX_DONE);
		return;
	}
	if (ord->phase == PW_PHASE_SETTLED) {
		/* a status check of a settled order went unanswered:
		 * nothing is waiting for it */
		save_done(fx);
		return;
	}
	if (res->err == PA_NOT_FOUND && !pw_order_created_here(ord)) {
		/* only a webhook named it, and the gateway says there is no
		 * such order: reported now, not after the deadline (an
		 * operator or reconciliation takes over) */
		observe(c, in->now_ms, ord, PA_STATUS_UNRESOLVED,
			ord->raw_status, NULL, NOT_FOUND_REASON, fx);
		if (ord->phase == PW_PHASE_SETTLED)
			add(fx, PW_FX_POLL_CANCEL);
		else
			schedule(ord, in->now_ms, next_poll_in(c, ord), fx);
		end(fx, PW_FX_DONE);
		return;
	}
	if (in->now_ms >= ord->deadline_ms) {
		/* final deadline: reported, never silently dropped */
		deadline_passed(c, ord, in, fx);
		return;
	}
	schedule(ord, in->now_ms, next_poll_in(c, ord), fx);
	save_done(fx);
}

/* The answer to a status request a webhook asked for (webhook()): as a
 * poll's, except that a settled order's unanswered request is asked again
 * -- nothing else polls a settled order, and the webhook it checks (a Late
 * Approved, a refund) would otherwise be lost until reconciliation. */
static void on_confirm(const pw_machine_conf_t *c, pw_order_t *ord,
		       const pw_input_t *in, pw_effects_t *fx)
{
	const pw_reply_t *res = in->reply;
	int answered = !res->sync && res->err == PA_OK && res->raw && *res->raw;
	if (answered || ord->phase != PW_PHASE_SETTLED) {
		on_poll(c, ord, in, fx);
		return;
	}
	if (!res->sync) {
		fx->counts.polls++;
		if (pa_err_is_retryable(res->err) &&
		    in->attempts + 1 < c->retry_max_attempts) {
			retry(fx, PW_CALL_CONFIRM,
			      pw_machine_backoff(c, in->attempts + 1,
						 in->rand));
			return;
		}
	}
	add(fx, PW_FX_LOG)->text = "the gateway did not confirm a webhook of "
				   "this settled order: it stays as it is";
	end(fx, PW_FX_DONE);
}

static void on_followup(const pw_machine_conf_t *c, pw_order_t *ord,
			const pw_input_t *in, pw_effects_t *fx)
{
	const pw_reply_t *res = in->reply;
	if (res->sync) {
		dead_letter(fx, "VALIDATION", res->message);
		return;
	}
	if (pa_err_is_retryable(res->err) &&
	    in->attempts + 1 < c->retry_max_attempts) {
		retry(fx, PW_CALL_FOLLOWUP,
		      pw_machine_backoff(c, in->attempts + 1, in->rand));
		return;
	}
	if (res->err != PA_OK) {
		dead_letter(fx, "GATEWAY_REJECTED",
			    text(fx, "%s: %s", pa_err_name(res->err),
				 res->message ? res->message : ""));
		return;
	}
	learn(ord, res->ref_code, res->received_minor);
	if (res->raw && *res->raw && res->status != PA_STATUS_UNRESOLVED) {
		/* refund accepted, complaint state: polls follow what is not
		 * settled yet */
		if (!pa_status_is_terminal(res->status))
			schedule(ord, in->now_ms, c->poll_first_ms, fx);
		transition(c, in->now_ms, ord, res->status, res->raw,
			   res->details, NULL, fx, PW_FX_DONE);
		return;
	}
	/* accepted without a status of its own (UTR submitted): the poller
	 * reports what follows */
	schedule(ord, in->now_ms, 0, fx);
	save_done(fx);
}

/* The order came back with its partition (restore): polls resume where
 * the record says, those already due spread over a second. */
static void resume(pw_order_t *ord, const pw_input_t *in, pw_effects_t *fx)
{
	if (ord->phase == PW_PHASE_ACCEPTED || ord->phase == PW_PHASE_LOOKUP) {
		int64_t at = ord->next_poll_ms - in->now_ms;
		if (at < 0)
			at = (int64_t)(in->rand % 1000);
		schedule(ord, in->now_ms, at, fx);
	}
	end(fx, PW_FX_DONE);
}

void pw_order_step(const pw_machine_conf_t *c, pw_order_t *ord,
		   const pw_input_t *in, pw_effects_t *fx)
{
	switch (in->kind) {
	case PW_INPUT_COMMAND:
		command(c, ord, in, fx);
		return;
	case PW_INPUT_WEBHOOK:
		webhook(c, ord, in, fx);
		return;
	case PW_INPUT_POLL:
		poll_now(c, ord, in, 0, fx);
		return;
	case PW_INPUT_REPLY:
		if (in->call == PW_CALL_CREATE)
			on_submit(c, ord, in, fx);
		else if (in->call == PW_CALL_FOLLOWUP)
			on_followup(c, ord, in, fx);
		else if (in->call == PW_CALL_CONFIRM)
			on_confirm(c, ord, in, fx);
		else
			on_poll(c, ord, in, fx);
		return;
	case PW_INPUT_RETRY:
		call(fx, in->call);
		return;
	case PW_INPUT_RESUME:
		resume(ord, in, fx);
		return;
	}
	end(fx, PW_FX_DONE);
}

/* ---- the shape of an effect list ----------------------------------------- */

const char *pw_effects_check(const pw_effects_t *fx)
{
	int nev = 0, nsave = 0, npoll = 0, ncancel = 0, nhold = 0;
	int nforget = 0, ndl = 0, save_after_pub = 0, nrepeat = 0;
	if (fx->n < 1)
		return "empty effect list";
	for (int i = 0; i < fx->n; i++) {
		pw_fx_kind_t k = fx->fx[i].kind;
		int is_end = k == PW_FX_CALL || k == PW_FX_RETRY ||
			     k == PW_FX_DONE || k == PW_FX_AGAIN;
		if (is_end != (i == fx->n - 1))
			return is_end ? "an end effect before the last"
				      : "the last effect does not end the list";
		switch (k) {
		case PW_FX_PUBLISH:
			nev++;
			nrepeat += fx->fx[i].repeat;
			if (nsave)
				return "a state record before its event";
			break;
		case PW_FX_DEAD_LETTER:
			nev++;
			ndl++;
			if (!fx->fx[i].reason || !fx->fx[i].text)
				return "a dead letter without reason or message";
			break;
		case PW_FX_SAVE:
			nsave++;
			save_after_pub = nev > ndl;
			break;
		case PW_FX_POLL:
			npoll++;
			if (fx->fx[i].in_ms < 0)
				return "a poll in the past";
			break;
		case PW_FX_POLL_CANCEL:
			ncancel++;
			break;
		case PW_FX_HOLD:
			nhold++;
			break;
		case PW_FX_FORGET:
			nforget++;
			break;
		case PW_FX_RETRY:
			if (fx->fx[i].in_ms < 0)
				return "a retry in the past";
			break;
		default:
			break;
		}
	}
	pw_fx_kind_t last = fx->fx[fx->n - 1].kind;
	if (nev > 1)
		return "more than one event or dead letter";
	if (nsave > 1)
		return "more than one state record";
	if (nrepeat && (nsave || last != PW_FX_DONE))
		return "an event repeated with a state record or not done";
	if (nev == 1 && ndl == 0 && !nrepeat && !save_after_pub)
		return "an event without its state record";
	if (ndl && nsave)
		return "a dead letter with a state record";
	if ((last == PW_FX_CALL || last == PW_FX_RETRY) && (nev || nsave))
		return "a write before a call or a retry";
	if (last == PW_FX_AGAIN && !nev && !nsave)
		return "again without a write to wait for";
	if (npoll > 1 || ncancel > 1 || (npoll && ncancel))
		return "more than one poll timer change";
	if (nhold > 1 || (nhold && nforget))
		return "an order held twice, or held and forgotten";
	if (nforget && !ndl)
		return "an order forgotten without a dead letter";
	return NULL;
}
