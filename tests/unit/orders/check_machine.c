/* check_machine.c -- the order machine (orders/machine.h), one rule at a
 * time: what each input does to an order and which effects it asks for.
 * The model-based test of the same machine is check_model.c. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "orders/machine.h"
#include "pwtest.h"

#define NOW 1700000000000LL

static pw_machine_conf_t mc;
static pw_effects_t fx;

static void setup(void)
{
	pw_machine_conf_default(&mc);
	pw_effects_init(&fx);
}

static void teardown(void)
{
	pw_effects_clear(&fx);
}

/* "K1 K2 ..." of fx, e.g. "HOLD CALL" */
static const char *kinds(void)
{
	static char out[256];
	static const char *const names[] = {
		"PUBLISH", "DEAD_LETTER", "SAVE", "POLL",  "POLL_CANCEL",
		"HOLD",	   "FORGET",	  "REPORT", "LOG", "CALL",
		"RETRY",   "DONE",	  "AGAIN"};
	size_t o = 0;
	out[0] = '\0';
	for (int i = 0; i < fx.n && o < sizeof out - 16; i++)
		o += (size_t)snprintf(out + o, sizeof out - o, "%s%s",
				      i ? " " : "", names[fx.fx[i].kind]);
	ck_assert_msg(pw_effects_check(&fx) == NULL, "%s: %s", out,
		      pw_effects_check(&fx));
	return out;
}

static json_t *payin(const char *oid)
{
	return json_pack("{s:s s:s s:s s:s s:s s:I s:s}", "type", "payin",
			 "merchant", "demo", "order_id", oid, "product",
			 "PAYIN_UPI_P2C_SEAMLESS", "country", "IN",
			 "amount_minor", (json_int_t)10000, "currency", "INR");
}

/* Admits cmd (on PW_IN_PAYIN) and steps it with ord (known or not). */
static void command(pw_order_t *ord, int known, json_t *cmd)
{
	pw_cmd_info_t ci;
	const char *oid = json_string_value(json_object_get(cmd, "order_id"));
	pw_admit_in_t ai = {.rec = cmd, .topic = PW_IN_PAYIN, .key = oid,
			    .klen = strlen(oid)};
	pw_effects_clear(&fx);
	ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 1);
	pw_input_t in = {.kind = PW_INPUT_COMMAND, .now_ms = NOW,
			 .known = known, .key = oid, .klen = strlen(oid),
			 .rec = cmd, .ci = &ci};
	pw_order_step(&mc, ord, &in, &fx);
}

static void reply(pw_order_t *ord, pw_call_kind_t call, pa_err_t err,
		  const char *raw, int64_t now)
{
	pw_reply_t r = {.err = err,
			.status = raw ? pa_status_from_raw(raw, strlen(raw))
				      : PA_STATUS_UNRESOLVED,
			.raw = raw ? raw : "", .received_minor = -1,
			.ref_code = "R-GATEWAY", .message = "m"};
	pw_input_t in = {.kind = PW_INPUT_REPLY, .now_ms = now, .known = 1,
			 .call = call, .reply = &r};
	pw_effects_clear(&fx);
	pw_order_step(&mc, ord, &in, &fx);
}

/* An accepted payin: created, the gateway said yes. */
static void accepted(pw_order_t *ord, const char *oid)
{
	json_t *cmd = payin(oid);
	memset(ord, 0, sizeof *ord);
	command(ord, 0, cmd);
	reply(ord, PW_CALL_CREATE, PA_OK, NULL, NOW + 10);
	json_decref(cmd);
}

START_TEST(test_machine_create_holds_the_order_and_calls_once)
{
	pw_order_t ord = {0};
	json_t *cmd = payin("ORD1");
	command(&ord, 0, cmd);
	ck_assert_str_eq(kinds(), "HOLD CALL");
	ck_assert_int_eq(fx.fx[1].call, PW_CALL_CREATE);
	ck_assert_int_eq(fx.counts.commands_in, 1);
	ck_assert_str_eq(ord.order_id, "ORD1");
	ck_assert_int_eq(ord.created_ms, NOW);
	ck_assert_int_eq(ord.deadline_ms, NOW + mc.poll_deadline_ms);
	reply(&ord, PW_CALL_CREATE, PA_OK, NULL, NOW + 10);
	ck_assert_str_eq(kinds(), "POLL PUBLISH SAVE DONE");
	ck_assert_int_eq(fx.fx[0].in_ms, mc.poll_first_ms);
	ck_assert_int_eq(fx.fx[1].prev_status, -1);
	ck_assert_int_eq(ord.seq, 1);
	ck_assert_int_eq(ord.status, PA_STATUS_PENDING);
	ck_assert_int_eq(ord.next_poll_ms, NOW + 10 + mc.poll_first_ms);
	/* redelivered: the state answers, the gateway is not called */
	command(&ord, 1, cmd);
	ck_assert_str_eq(kinds(), "DONE");
	ck_assert_int_eq(fx.counts.duplicates_suppressed, 1);
	json_decref(cmd);
}
END_TEST

START_TEST(test_machine_duplicate_reply_publishes_pending_then_polls)
{
	pw_order_t ord = {0};
	json_t *cmd = payin("ORD2");
	command(&ord, 0, cmd);
	reply(&ord, PW_CALL_CREATE, PA_DUPLICATE, NULL, NOW);
	ck_assert_str_eq(kinds(), "POLL PUBLISH SAVE DONE");
	ck_assert_int_eq(fx.fx[0].in_ms, 0);
	ck_assert_int_eq(ord.phase, PW_PHASE_LOOKUP);
	ck_assert_int_eq(ord.seq, 1);
	json_decref(cmd);
}
END_TEST

START_TEST(test_machine_retries_then_resolves_by_polling)
{
	pw_order_t ord = {0};
	json_t *cmd = payin("ORD3");
	mc.retry_max_attempts = 3;
	command(&ord, 0, cmd);
	for (int i = 1; i < 3; i++) {
		reply(&ord, PW_CALL_CREATE, PA_TIMEOUT, NULL, NOW);
		ck_assert_str_eq(kinds(), "RETRY");
		ck_assert_int_eq(fx.counts.gw_retries, 1);
		ck_assert_int_le(fx.fx[0].in_ms, mc.retry_max_ms);
		pw_input_t in = {.kind = PW_INPUT_RETRY, .known = 1,
				 .call = PW_CALL_CREATE};
		pw_effects_clear(&fx);
		pw_order_step(&mc, &ord, &in, &fx);
		ck_assert_str_eq(kinds(), "CALL");
	}
	reply(&ord, PW_CALL_CREATE, PA_TIMEOUT, NULL, NOW);
	ck_assert_str_eq(kinds(), "POLL SAVE DONE");
	ck_assert_int_eq(ord.phase, PW_PHASE_LOOKUP);
	ck_assert_int_eq(ord.seq, 0);
	json_decref(cmd);
}
END_TEST

START_TEST(test_machine_rejection_is_a_failed_event)
{
	pw_order_t ord = {0};
	json_t *cmd = payin("ORD4");
	command(&ord, 0, cmd);
	reply(&ord, PW_CALL_CREATE, PA_GATEWAY, NULL, NOW);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_FAILED);
	ck_assert_int_eq(ord.phase, PW_PHASE_SETTLED);
	ck_assert_ptr_nonnull(strstr(fx.fx[0].text, "gateway rejected (GATEWAY)"));
	ck_assert_int_eq(fx.counts.terminal_events, 1);
	json_decref(cmd);
}
END_TEST

START_TEST(test_machine_invalid_request_forgets_the_order)
{
	pw_order_t ord = {0};
	json_t *cmd = payin("ORD5");
	command(&ord, 0, cmd);
	pw_reply_t r = {.err = PA_VALIDATION, .message = "upi_id: required",
			.sync = 1};
	pw_input_t in = {.kind = PW_INPUT_REPLY, .known = 1,
			 .call = PW_CALL_CREATE, .reply = &r};
	pw_effects_clear(&fx);
	pw_order_step(&mc, &ord, &in, &fx);
	ck_assert_str_eq(kinds(), "FORGET DEAD_LETTER DONE");
	ck_assert_str_eq(fx.fx[1].reason, "VALIDATION");
	ck_assert_str_eq(fx.fx[1].text, "upi_id: required");
	json_decref(cmd);
}
END_TEST

/* A verified webhook record as the ingress writes it (webhook_ingress.h):
 * the callback's fields, and received_minor when it carries an amount
 * (received < 0: none). New reference. */
static json_t *hook(const char *oid, const char *status, json_int_t received)
{
	json_t *wh = json_pack("{s:s s:{s:s s:s s:s s:s}}", "merchant", "demo",
			       "callback", "order_id", oid, "status", status,
			       "ref_code", "R-CALLBACK", "bank_ref", "B1");
	if (received >= 0)
		json_object_set_new(wh, "received_minor",
				    json_integer(received));
	return wh;
}

/* Steps wh (the record of order key) with ord. */
static void webhook(pw_order_t *ord, int known, const char *key,
		    const json_t *wh, int64_t now)
{
	pw_input_t in = {.kind = PW_INPUT_WEBHOOK, .now_ms = now,
			 .known = known, .key = key, .klen = strlen(key),
			 .rec = wh};
	pw_effects_clear(&fx);
	pw_order_step(&mc, ord, &in, &fx);
}

static int effect_index(pw_fx_kind_t k)
{
	for (int i = 0; i < fx.n; i++)
		if (fx.fx[i].kind == k)
			return i;
	return -1;
}

/* A verified webhook for an order the worker does not hold (created
 * elsewhere, forged by shifting digits, or its state lost) is never
 * published on the callback's word: the order is held, PENDING published
 * as its sequence 1, polled at once by order_id, and what the gateway's
 * status API answers is published. */
START_TEST(test_machine_webhook_for_unknown_order_publishes_pending_then_what_the_poll_says)
{
	pw_order_t ord = {0};
	json_t *wh = hook("ORD6", "Approved", 510000);
	webhook(&ord, 0, "ORD6", wh, NOW);
	ck_assert_str_eq(kinds(), "HOLD LOG POLL PUBLISH SAVE DONE");
	ck_assert_int_eq(fx.fx[2].in_ms, 0); /* at once */
	ck_assert_str_eq(fx.fx[3].text,
			 "a webhook named an order this worker did not "
			 "create: its status is asked from the gateway's "
			 "status API");
	ck_assert_int_eq(fx.counts.confirm_unheld, 1);
	ck_assert_int_eq(fx.counts.webhooks_in, 1);
	ck_assert_int_eq(ord.seq, 1);
	ck_assert_int_eq(ord.status, PA_STATUS_PENDING);
	ck_assert_int_eq(ord.phase, PW_PHASE_LOOKUP);
	ck_assert_int_eq(ord.amount_minor, 0);
	/* nothing of the callback is learned: no ref_code (the poll goes by
	 * order_id), no amount */
	ck_assert_str_eq(ord.ref_code, "");
	ck_assert_int_eq(ord.received_minor, -1);
	/* the poll: the gateway's word is published */
	pw_input_t poll = {.kind = PW_INPUT_POLL, .now_ms = NOW + 1,
			   .known = 1};
	pw_effects_clear(&fx);
	pw_order_step(&mc, &ord, &poll, &fx);
	ck_assert_str_eq(kinds(), "CALL");
	ck_assert_int_eq(fx.fx[0].call, PW_CALL_STATUS);
	reply(&ord, PW_CALL_STATUS, PA_OK, "Declined", NOW + 2);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(ord.seq, 2);
	ck_assert_int_eq(ord.status, PA_STATUS_DECLINED);
	/* the same callback again: it cannot move a declined order, and
	 * nothing of it is learned */
	webhook(&ord, 1, "ORD6", wh, NOW + 3);
	ck_assert_str_eq(kinds(), "DONE");
	ck_assert_int_eq(ord.received_minor, -1);
	json_decref(wh);
}
END_TEST

/* An order held only because a webhook named it stays a hint until it
 * settles: each webhook that would move it asks the gateway (CONFIRM), and
 * the answer wins; a "Pending" answer publishes nothing. */
START_TEST(test_machine_webhooks_of_an_order_created_elsewhere_are_confirmed)
{
	pw_order_t ord = {0};
	json_t *wh = hook("ORD16", "Pending", -1);
	webhook(&ord, 0, "ORD16", wh, NOW);
	ck_assert_str_eq(kinds(), "HOLD LOG POLL PUBLISH SAVE DONE");
	json_decref(wh);
	wh = hook("ORD16", "Approved", 10000);
	webhook(&ord, 1, "ORD16", wh, NOW + 1);
	ck_assert_str_eq(kinds(), "CALL");
	ck_assert_int_eq(fx.fx[0].call, PW_CALL_CONFIRM);
	ck_assert_int_eq(fx.counts.confirm_unheld, 1);
	reply(&ord, PW_CALL_CONFIRM, PA_OK, "Pending", NOW + 2);
	ck_assert_str_eq(kinds(), "SAVE POLL DONE");
	ck_assert_int_eq(ord.seq, 1);
	ck_assert_int_eq(ord.phase, PW_PHASE_ACCEPTED);
	/* the gateway's answer, not the callback, settles it */
	webhook(&ord, 1, "ORD16", wh, NOW + 3);
	ck_assert_str_eq(kinds(), "CALL");
	reply(&ord, PW_CALL_CONFIRM, PA_OK, "Approved", NOW + 4);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_SUCCEEDED);
	ck_assert_str_eq(ord.ref_code, "R-GATEWAY"); /* not the callback's */
	json_decref(wh);
}
END_TEST

/* The gateway's status API does not know an order only a webhook named:
 * UNRESOLVED at once, with the reason; the poll stops. */
START_TEST(test_machine_webhook_order_the_gateway_does_not_know_is_unresolved)
{
	pw_order_t ord = {0};
	json_t *wh = hook("ORD17", "Approved", 510000);
	webhook(&ord, 0, "ORD17", wh, NOW);
	reply(&ord, PW_CALL_STATUS, PA_NOT_FOUND, NULL, NOW + 1);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_UNRESOLVED);
	ck_assert_int_eq(ord.phase, PW_PHASE_SETTLED);
	ck_assert_str_eq(fx.fx[0].text,
			 "the gateway's status API does not know this order, "
			 "which only a webhook named");
	ck_assert_int_eq(fx.counts.unresolved, 1);
	/* an order the worker created keeps polling: the gateway may not
	 * have it yet (a create whose reply was lost) */
	pw_order_t own;
	accepted(&own, "ORD18");
	reply(&own, PW_CALL_STATUS, PA_NOT_FOUND, NULL, NOW + 1);
	ck_assert_str_eq(kinds(), "POLL SAVE DONE");
	ck_assert_int_eq(own.status, PA_STATUS_PENDING);
	json_decref(wh);
}
END_TEST

/* The forgery: a genuine "ORD12345 / 100.00 / Approved" callback verifies
 * as "ORD1234 / 5100.00 / Approved". For an order the worker created, a
 * webhook whose received amount does not line up with the order asks the
 * gateway; SUCCEEDED is published only if the gateway says so. */
START_TEST(test_machine_digit_shifted_webhook_never_publishes_succeeded)
{
	pw_order_t ord;
	accepted(&ord, "ORD1234"); /* 100.00 requested */
	json_t *wh = hook("ORD1234", "Approved", 510000);
	webhook(&ord, 1, "ORD1234", wh, NOW + 20);
	ck_assert_str_eq(kinds(), "LOG CALL");
	ck_assert_int_eq(fx.fx[1].call, PW_CALL_CONFIRM);
	ck_assert_int_eq(fx.counts.confirm_amount, 1);
	ck_assert_ptr_nonnull(strstr(fx.fx[0].text, "does not line up"));
	/* nothing learned from it before the answer */
	ck_assert_int_eq(ord.received_minor, -1);
	ck_assert_int_eq(ord.seq, 1);
	reply(&ord, PW_CALL_CONFIRM, PA_OK, "Pending", NOW + 30);
	ck_assert_str_eq(kinds(), "SAVE POLL DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_PENDING);
	ck_assert_int_eq(ord.seq, 1);
	json_decref(wh);
	/* other shifts: no amount at all, an amount on a status that has
	 * none, any Amount Mismatch, a refund of another amount */
	static const struct {
		const char *status;
		json_int_t received;
	} shifted[] = {{"Approved", -1},	{"Late Approved", 100},
		       {"Declined", 5},		{"User Timed Out", 40},
		       {"Amount Mismatch", 9900}, {"Amount Mismatch", 510000},
		       {"Refund Completed", 510000}};
	for (size_t i = 0; i < sizeof shifted / sizeof shifted[0]; i++) {
		wh = hook("ORD1234", shifted[i].status, shifted[i].received);
		webhook(&ord, 1, "ORD1234", wh, NOW + 40);
		ck_assert_msg(!strcmp(kinds(), "LOG CALL"), "%s %lld: %s",
			      shifted[i].status,
			      (long long)shifted[i].received, kinds());
		ck_assert_int_eq(ord.seq, 1);
		json_decref(wh);
	}
	/* the gateway's own word is published, whatever the callback said */
	wh = hook("ORD1234", "Approved", 510000);
	webhook(&ord, 1, "ORD1234", wh, NOW + 50);
	reply(&ord, PW_CALL_CONFIRM, PA_OK, "Declined", NOW + 60);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_DECLINED);
	/* settled now: a shifted callback that cannot move it is dropped,
	 * unlearned */
	webhook(&ord, 1, "ORD1234", wh, NOW + 70);
	ck_assert_str_eq(kinds(), "DONE");
	ck_assert_int_eq(ord.received_minor, -1);
	json_decref(wh);
}
END_TEST

/* A webhook whose amount lines up with the order it names is believed
 * (webhook.confirm=none): the event carries its fields, the poll stops. */
START_TEST(test_machine_webhook_with_the_order_amount_is_published)
{
	pw_order_t ord;
	accepted(&ord, "ORD19");
	json_t *wh = hook("ORD19", "Approved", 10000);
	webhook(&ord, 1, "ORD19", wh, NOW + 20);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_SUCCEEDED);
	ck_assert_int_eq(ord.received_minor, 10000);
	ck_assert_str_eq(json_string_value(json_object_get(fx.fx[0].details,
							   "source")),
			 "webhook");
	ck_assert_str_eq(json_string_value(json_object_get(fx.fx[0].details,
							   "bank_ref")),
			 "B1");
	/* re-sent: nothing new, the state is written again */
	webhook(&ord, 1, "ORD19", wh, NOW + 30);
	ck_assert_str_eq(kinds(), "SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(fx.counts.duplicates_suppressed, 1);
	json_decref(wh);
	/* a refund of the amount received, and statuses without money */
	wh = hook("ORD19", "Refund Initiated", 10000);
	webhook(&ord, 1, "ORD19", wh, NOW + 40);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_REFUND_PENDING);
	json_decref(wh);
	pw_order_t other;
	accepted(&other, "ORD20");
	wh = hook("ORD20", "Declined", 0);
	webhook(&other, 1, "ORD20", wh, NOW + 20);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(other.status, PA_STATUS_DECLINED);
	json_decref(wh);
}
END_TEST

/* A webhook applies to the order its order_id names, exactly: the record's
 * key must be that order_id as PHP concatenates it (string bytes, an
 * integer's digits); ORD1234's key with ORD12345's callback is refused. */
START_TEST(test_machine_webhook_order_id_is_exactly_the_key)
{
	pw_order_t ord;
	accepted(&ord, "ORD1234");
	json_t *wh = hook("ORD12345", "Approved", 10000);
	webhook(&ord, 1, "ORD1234", wh, NOW + 20);
	ck_assert_str_eq(kinds(), "DEAD_LETTER DONE");
	ck_assert_str_eq(fx.fx[0].reason, "KEY_MISMATCH");
	ck_assert_int_eq(ord.seq, 1);
	json_decref(wh);
	wh = hook("ORD123", "Approved", 10000);
	webhook(&ord, 1, "ORD1234", wh, NOW + 20);
	ck_assert_str_eq(fx.fx[0].reason, "KEY_MISMATCH");
	json_decref(wh);
	/* a numeric order_id is its digits (docs/gateway-fidelity.md) */
	pw_order_t num;
	accepted(&num, "12345");
	wh = json_pack("{s:s s:I s:{s:I s:s}}", "merchant", "demo",
		       "received_minor", (json_int_t)10000, "callback",
		       "order_id", (json_int_t)12345, "status", "Approved");
	webhook(&num, 1, "12345", wh, NOW + 20);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	webhook(&num, 1, "123456", wh, NOW + 20);
	ck_assert_str_eq(kinds(), "DEAD_LETTER DONE");
	json_decref(wh);
}
END_TEST

/* webhook.confirm=success: a paid status from a webhook, even one whose
 * amount lines up, is published only after the status API confirms it;
 * other statuses and re-sent ones need no call. */
START_TEST(test_machine_confirm_success_asks_before_publishing_paid)
{
	mc.webhook_confirm = PW_CONFIRM_SUCCESS;
	pw_order_t ord;
	accepted(&ord, "ORD21");
	json_t *wh = hook("ORD21", "Approved", 10000);
	webhook(&ord, 1, "ORD21", wh, NOW + 20);
	ck_assert_str_eq(kinds(), "CALL");
	ck_assert_int_eq(fx.fx[0].call, PW_CALL_CONFIRM);
	ck_assert_int_eq(fx.counts.confirm_setting, 1);
	ck_assert_int_eq(ord.seq, 1);
	reply(&ord, PW_CALL_CONFIRM, PA_OK, "Approved", NOW + 30);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_SUCCEEDED);
	webhook(&ord, 1, "ORD21", wh, NOW + 40);
	ck_assert_str_eq(kinds(), "SAVE POLL_CANCEL DONE");
	json_decref(wh);
	pw_order_t other;
	accepted(&other, "ORD22");
	wh = hook("ORD22", "User Timed Out", -1);
	webhook(&other, 1, "ORD22", wh, NOW + 20);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	json_decref(wh);
	/* a Late Approved the gateway does not confirm is not published */
	wh = hook("ORD22", "Late Approved", 10000);
	webhook(&other, 1, "ORD22", wh, NOW + 30);
	ck_assert_str_eq(kinds(), "CALL");
	reply(&other, PW_CALL_CONFIRM, PA_OK, "User Timed Out", NOW + 40);
	ck_assert_str_eq(kinds(), "SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(other.status, PA_STATUS_EXPIRED);
	json_decref(wh);
}
END_TEST

/* Nothing polls a settled order: a webhook's confirmation of one that
 * goes unanswered is asked again (backoff) up to retry.max.attempts, then
 * the order stays as it is, said in the log. */
START_TEST(test_machine_unanswered_confirmation_of_settled_order_retries_then_gives_up)
{
	mc.webhook_confirm = PW_CONFIRM_SUCCESS;
	pw_order_t ord;
	accepted(&ord, "ORD23");
	json_t *wh = hook("ORD23", "User Timed Out", -1);
	webhook(&ord, 1, "ORD23", wh, NOW + 20);
	json_decref(wh);
	wh = hook("ORD23", "Late Approved", 10000);
	webhook(&ord, 1, "ORD23", wh, NOW + 30);
	ck_assert_str_eq(kinds(), "CALL");
	for (int a = 0; a + 1 < mc.retry_max_attempts; a++) {
		pw_reply_t r = {.err = PA_TIMEOUT, .received_minor = -1};
		pw_input_t in = {.kind = PW_INPUT_REPLY, .known = 1,
				 .call = PW_CALL_CONFIRM, .reply = &r,
				 .attempts = a, .now_ms = NOW + 40};
		pw_effects_clear(&fx);
		pw_order_step(&mc, &ord, &in, &fx);
		ck_assert_str_eq(kinds(), "RETRY");
		ck_assert_int_eq(fx.fx[0].call, PW_CALL_CONFIRM);
		pw_input_t rt = {.kind = PW_INPUT_RETRY, .known = 1,
				 .call = PW_CALL_CONFIRM, .attempts = a + 1};
		pw_effects_clear(&fx);
		pw_order_step(&mc, &ord, &rt, &fx);
		ck_assert_str_eq(kinds(), "CALL");
		ck_assert_int_eq(fx.fx[0].call, PW_CALL_CONFIRM);
	}
	pw_reply_t r = {.err = PA_TIMEOUT, .received_minor = -1};
	pw_input_t in = {.kind = PW_INPUT_REPLY, .known = 1,
			 .call = PW_CALL_CONFIRM, .reply = &r,
			 .attempts = mc.retry_max_attempts - 1};
	pw_effects_clear(&fx);
	pw_order_step(&mc, &ord, &in, &fx);
	ck_assert_str_eq(kinds(), "LOG DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_EXPIRED);
	ck_assert_int_eq(effect_index(PW_FX_PUBLISH), -1);
	/* an unsettled order's unanswered confirmation is left to its
	 * polls, as any poll's */
	pw_order_t open;
	accepted(&open, "ORD24");
	webhook(&open, 1, "ORD24", wh, NOW + 30); /* not its amount */
	reply(&open, PW_CALL_CONFIRM, PA_TIMEOUT, NULL, NOW + 40);
	ck_assert_str_eq(kinds(), "POLL SAVE DONE");
	json_decref(wh);
}
END_TEST

START_TEST(test_machine_status_never_moves_back)
{
	pw_order_t ord;
	accepted(&ord, "ORD7");
	pw_input_t poll = {.kind = PW_INPUT_POLL, .now_ms = NOW + 20,
			   .known = 1};
	pw_effects_clear(&fx);
	pw_order_step(&mc, &ord, &poll, &fx);
	ck_assert_str_eq(kinds(), "CALL");
	reply(&ord, PW_CALL_STATUS, PA_OK, "Declined", NOW + 30);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(fx.fx[0].prev_status, PA_STATUS_PENDING);
	/* a late "Approved" cannot undo a decline */
	pw_effects_clear(&fx);
	poll.force = 1;
	pw_order_step(&mc, &ord, &poll, &fx);
	reply(&ord, PW_CALL_STATUS, PA_OK, "Approved", NOW + 40);
	ck_assert_str_eq(kinds(), "SAVE POLL_CANCEL DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_DECLINED);
	ck_assert_int_eq(ord.seq, 2);
	/* a settled order's timer poll is not made */
	poll.force = 0;
	pw_effects_clear(&fx);
	pw_order_step(&mc, &ord, &poll, &fx);
	ck_assert_str_eq(kinds(), "DONE");
}
END_TEST

/* Found by check_model: a replayed terminal webhook the order cannot take
 * (Late Approved after Refund Initiated) stopped the order's polling, and
 * the refund was never reported. The poll stops when the order settles. */
START_TEST(test_machine_stale_terminal_webhook_keeps_the_poll)
{
	pw_order_t ord;
	accepted(&ord, "ORD15");
	json_t *wh = hook("ORD15", "", 10000);
	pw_input_t in = {.kind = PW_INPUT_WEBHOOK, .now_ms = NOW + 50,
			 .known = 1, .key = "ORD15", .klen = 5, .rec = wh};
	const char *seq[] = {"Approved", "Refund Initiated", "Late Approved"};
	const char *want[] = {"PUBLISH SAVE POLL_CANCEL DONE",
			      /* reopened: polled until settled again */
			      "PUBLISH SAVE POLL DONE",
			      /* stale: suppressed, the poll goes on */
			      "SAVE DONE"};
	for (int i = 0; i < 3; i++) {
		json_object_set_new(json_object_get(wh, "callback"), "status",
				    json_string(seq[i]));
		pw_effects_clear(&fx);
		pw_order_step(&mc, &ord, &in, &fx);
		ck_assert_str_eq(kinds(), want[i]);
	}
	ck_assert_int_eq(ord.status, PA_STATUS_REFUND_PENDING);
	ck_assert_int_eq(ord.phase, PW_PHASE_ACCEPTED);
	/* a poll answer the order cannot take does not stop polling either */
	reply(&ord, PW_CALL_STATUS, PA_OK, "Approved", NOW + 60);
	ck_assert_str_eq(kinds(), "SAVE POLL DONE");
	json_decref(wh);
}
END_TEST

START_TEST(test_machine_deadline_reports_unresolved)
{
	pw_order_t ord;
	accepted(&ord, "ORD8");
	pw_input_t poll = {.kind = PW_INPUT_POLL,
			   .now_ms = ord.deadline_ms, .known = 1};
	pw_effects_clear(&fx);
	pw_order_step(&mc, &ord, &poll, &fx);
	ck_assert_str_eq(kinds(), "PUBLISH SAVE DONE");
	ck_assert_int_eq(ord.status, PA_STATUS_UNRESOLVED);
	ck_assert_int_eq(ord.phase, PW_PHASE_SETTLED);
	ck_assert_int_eq(fx.counts.unresolved, 1);
	ck_assert_int_eq(fx.counts.terminal_events, 1);
}
END_TEST

START_TEST(test_machine_poll_backs_off_to_the_max_interval)
{
	pw_order_t ord;
	accepted(&ord, "ORD9");
	int64_t last = 0;
	for (int i = 0; i < 12; i++) {
		reply(&ord, PW_CALL_STATUS, PA_OK, "Pending", NOW + 1000);
		ck_assert_str_eq(kinds(), "SAVE POLL DONE");
		ck_assert_int_ge(fx.fx[1].in_ms, last);
		last = fx.fx[1].in_ms;
	}
	ck_assert_int_eq(last, mc.poll_max_interval_ms);
	ck_assert_int_eq(ord.polls, 12);
}
END_TEST

START_TEST(test_machine_resume_spreads_due_polls)
{
	pw_order_t ord;
	accepted(&ord, "ORD10");
	pw_input_t in = {.kind = PW_INPUT_RESUME, .known = 1,
			 .now_ms = ord.next_poll_ms + 5000, .rand = 123456};
	pw_effects_clear(&fx);
	pw_order_step(&mc, &ord, &in, &fx);
	ck_assert_str_eq(kinds(), "POLL DONE");
	ck_assert_int_eq(fx.fx[0].in_ms, 123456 % 1000);
	in.now_ms = ord.next_poll_ms - 700;
	pw_effects_clear(&fx);
	pw_order_step(&mc, &ord, &in, &fx);
	ck_assert_int_eq(fx.fx[0].in_ms, 700);
}
END_TEST

START_TEST(test_machine_admission_dead_letters_name_the_reason)
{
	pw_cmd_info_t ci;
	json_t *cmd = payin("ORD11");
	pw_admit_in_t ai = {.rec = cmd, .topic = PW_IN_PAYIN, .key = "OTHER",
			    .klen = 5};
	ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 0);
	ck_assert_str_eq(kinds(), "DEAD_LETTER DONE");
	ck_assert_str_eq(fx.fx[0].reason, "KEY_MISMATCH");
	pw_effects_clear(&fx);
	ai.key = "ORD11";
	ai.topic = PW_IN_PAYOUT;
	ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 0);
	ck_assert_str_eq(fx.fx[0].reason, "MALFORMED");
	ck_assert_ptr_nonnull(strstr(fx.fx[0].text, "type:"));
	pw_effects_clear(&fx);
	ai.rec = NULL;
	ai.dec_err = PA_PARSE;
	ai.dec_msg = "undecodable JSON at byte 0";
	ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 0);
	ck_assert_str_eq(fx.fx[0].reason, "UNDECODABLE");
	ck_assert_str_eq(fx.fx[0].text, "undecodable JSON at byte 0");
	/* an unreachable registry is waited for, never dead-lettered */
	pw_effects_clear(&fx);
	ai.dec_err = PA_TIMEOUT;
	ai.attempts = 2;
	ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 0);
	ck_assert_str_eq(kinds(), "RETRY");
	ck_assert_int_eq(fx.fx[0].in_ms,
			 pw_machine_backoff(&mc, 3, ai.rand));
	json_decref(cmd);
}
END_TEST

static int only_demo(void *ud, const char *m)
{
	(void)ud;
	return !strcmp(m, "demo");
}

START_TEST(test_machine_admission_asks_the_merchant_and_reports)
{
	pw_cmd_info_t ci;
	json_t *cmd = payin("ORD12");
	json_object_set_new(cmd, "merchant", json_string("nobody"));
	pw_admit_in_t ai = {.rec = cmd, .topic = PW_IN_PAYIN, .key = "ORD12",
			    .klen = 5};
	mc.has_merchant = only_demo;
	ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 0);
	ck_assert_str_eq(fx.fx[0].reason, "UNKNOWN_MERCHANT");
	ck_assert_str_eq(fx.fx[0].text, "merchant 'nobody' is not configured");
	json_t *rr = json_pack("{s:s s:s}", "type", "report_request", "merchant",
			       "demo");
	ai.rec = rr;
	pw_effects_clear(&fx);
	mc.reports = 1;
	ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 0);
	ck_assert_str_eq(kinds(), "REPORT DONE");
	json_decref(rr);
	json_decref(cmd);
}
END_TEST

START_TEST(test_machine_followups_need_a_known_order)
{
	pw_order_t ord = {0};
	json_t *cmd = json_pack("{s:s s:s s:s s:I}", "type", "refund",
				"merchant", "demo", "order_id", "ORD13",
				"amount_minor", (json_int_t)0);
	command(&ord, 0, cmd);
	ck_assert_str_eq(kinds(), "DEAD_LETTER DONE");
	ck_assert_str_eq(fx.fx[0].reason, "UNKNOWN_ORDER");
	accepted(&ord, "ORD13");
	command(&ord, 1, cmd);
	ck_assert_str_eq(kinds(), "CALL");
	ck_assert_int_eq(fx.fx[0].call, PW_CALL_FOLLOWUP);
	/* retried until the cap, then rejected as a dead letter */
	for (int a = 0; a + 1 < mc.retry_max_attempts; a++) {
		pw_reply_t r = {.err = PA_HTTP_5XX, .received_minor = -1};
		pw_input_t in = {.kind = PW_INPUT_REPLY, .known = 1,
				 .call = PW_CALL_FOLLOWUP, .reply = &r,
				 .attempts = a};
		pw_effects_clear(&fx);
		pw_order_step(&mc, &ord, &in, &fx);
		ck_assert_str_eq(kinds(), "RETRY");
	}
	pw_reply_t r = {.err = PA_HTTP_5XX, .received_minor = -1,
			.message = "503"};
	pw_input_t in = {.kind = PW_INPUT_REPLY, .known = 1,
			 .call = PW_CALL_FOLLOWUP, .reply = &r,
			 .attempts = mc.retry_max_attempts - 1};
	pw_effects_clear(&fx);
	pw_order_step(&mc, &ord, &in, &fx);
	ck_assert_str_eq(kinds(), "DEAD_LETTER DONE");
	ck_assert_str_eq(fx.fx[0].reason, "GATEWAY_REJECTED");
	ck_assert_str_eq(fx.fx[0].text, "HTTP_5XX: 503");
	json_decref(cmd);
}
END_TEST

/* Steps cmd (its topic: payin or payout) read at offset off of
 * partition 0, on ord (known). */
static void command_at(pw_order_t *ord, json_t *cmd, int topic, int64_t off)
{
	pw_cmd_info_t ci;
	const char *oid = json_string_value(json_object_get(cmd, "order_id"));
	pw_admit_in_t ai = {.rec = cmd, .topic = topic, .key = oid,
			    .klen = strlen(oid)};
	pw_effects_clear(&fx);
	ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 1);
	pw_input_t in = {.kind = PW_INPUT_COMMAND, .now_ms = NOW, .known = 1,
			 .key = oid, .klen = strlen(oid), .rec = cmd,
			 .ci = &ci, .src = {topic, 0, off}};
	pw_order_step(&mc, ord, &in, &fx);
}

/* docs/events.md "Repeated commands", for payins and payouts: the record
 * that created the order, read again, is silent; another with the same
 * content (a new command_id, another created_at) is answered with the
 * current event; other content is ORDER_ID_CONFLICT naming the fields. */
START_TEST(test_machine_repeated_create_is_answered_or_a_conflict)
{
	static const struct {
		const char *type, *product;
		int topic;
	} kinds_[] = {{"payin", "PAYIN_UPI_P2C_SEAMLESS", PW_IN_PAYIN},
		      {"payout", "PAYOUT_IMPS_P2P_SEAMLESS", PW_IN_PAYOUT}};
	for (size_t k = 0; k < 2; k++) {
		json_t *cmd = json_pack(
			"{s:s s:s s:s s:s s:s s:s s:I s:s s:{s:s s:s s:s} s:I}",
			"type", kinds_[k].type, "command_id", "c-1", "merchant",
			"demo", "order_id", "ORD20", "product",
			kinds_[k].product, "country", "IN", "amount_minor",
			(json_int_t)10000, "currency", "INR", "customer",
			"name", "Asha Rao", "email", "asha@example.com",
			"phone", "9876543210", "created_at",
			(json_int_t)1764000000000LL);
		pw_cmd_info_t ci;
		pw_admit_in_t ai = {.rec = cmd, .topic = kinds_[k].topic,
				    .key = "ORD20", .klen = 5};
		pw_order_t ord = {0};
		pw_effects_clear(&fx);
		ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 1);
		pw_input_t in = {.kind = PW_INPUT_COMMAND, .now_ms = NOW,
				 .key = "ORD20", .klen = 5, .rec = cmd,
				 .ci = &ci};
		pw_order_step(&mc, &ord, &in, &fx);
		ck_assert_str_eq(kinds(), "HOLD CALL");
		/* what the shell keeps at the hold */
		pw_cmd_src_t src = {kinds_[k].topic, 0, 7};
		ck_assert_int_eq(pw_order_keep_command(&ord, cmd, &src, NULL,
						       NULL),
				 PA_OK);
		reply(&ord, PW_CALL_CREATE, PA_OK, NULL, NOW + 10);
		reply(&ord, PW_CALL_STATUS, PA_OK, "Approved", NOW + 20);
		ck_assert_int_eq(ord.seq, 2);
		/* the creating record again (a crash before its offset) */
		command_at(&ord, cmd, kinds_[k].topic, 7);
		ck_assert_str_eq(kinds(), "DONE");
		ck_assert_int_eq(fx.counts.duplicates_suppressed, 1);
		/* the same content again: the current event, no call */
		json_object_set_new(cmd, "command_id", json_string("c-2"));
		json_object_set_new(cmd, "created_at", json_integer(1));
		command_at(&ord, cmd, kinds_[k].topic, 9);
		ck_assert_str_eq(kinds(), "PUBLISH DONE");
		ck_assert_int_eq(fx.fx[0].repeat, 1);
		ck_assert_int_eq(fx.fx[0].prev_status, PA_STATUS_PENDING);
		ck_assert_int_eq(ord.seq, 2); /* no transition */
		/* other content reusing the order_id */
		json_object_set_new(cmd, "amount_minor", json_integer(20000));
		json_object_set_new(json_object_get(cmd, "customer"), "phone",
				    json_string("9000000001"));
		command_at(&ord, cmd, kinds_[k].topic, 10);
		ck_assert_str_eq(kinds(), "DEAD_LETTER DONE");
		ck_assert_str_eq(fx.fx[0].reason, "ORDER_ID_CONFLICT");
		ck_assert_str_eq(fx.fx[0].text,
				 "order_id ORD20 is known with other content: "
				 "amount_minor, customer differ");
		ck_assert_ptr_null(strstr(fx.fx[0].text, "9000000001"));
		ck_assert_int_eq(fx.counts.duplicates_suppressed, 0);
		/* an order that keeps no command (an older worker's) */
		pw_order_release(&ord);
		command_at(&ord, cmd, kinds_[k].topic, 11);
		ck_assert_str_eq(kinds(), "DONE");
		json_decref(cmd);
	}
}
END_TEST

/* A refund, UTR or complaint the gateway accepted is known again by its
 * command_id: the same one again is answered (no second refund), other
 * content under it is a conflict, a new command_id is sent;
 * complaint_status always asks the gateway. */
START_TEST(test_machine_repeated_followup_is_answered_not_sent)
{
	pw_order_t ord;
	accepted(&ord, "ORD21");
	reply(&ord, PW_CALL_STATUS, PA_OK, "Approved", NOW + 20);
	json_t *refund = json_pack("{s:s s:s s:s s:s s:I}", "type", "refund",
				   "command_id", "r-1", "merchant", "demo",
				   "order_id", "ORD21", "amount_minor",
				   (json_int_t)0);
	command_at(&ord, refund, PW_IN_PAYIN, 30);
	ck_assert_str_eq(kinds(), "CALL");
	reply(&ord, PW_CALL_FOLLOWUP, PA_OK, "Refund Initiated", NOW + 30);
	ck_assert_str_eq(kinds(), "POLL PUBLISH SAVE DONE");
	/* what the shell keeps with the state record */
	pw_cmd_src_t src = {PW_IN_PAYIN, 0, 30};
	ck_assert_int_eq(pw_order_keep_followup(&ord, refund, &src), PA_OK);
	command_at(&ord, refund, PW_IN_PAYIN, 30); /* redelivered */
	ck_assert_str_eq(kinds(), "DONE");
	command_at(&ord, refund, PW_IN_PAYIN, 31); /* sent again */
	ck_assert_str_eq(kinds(), "PUBLISH DONE");
	ck_assert(fx.fx[0].repeat);
	json_object_set_new(refund, "amount_minor", json_integer(500));
	command_at(&ord, refund, PW_IN_PAYIN, 32);
	ck_assert_str_eq(kinds(), "DEAD_LETTER DONE");
	ck_assert_str_eq(fx.fx[0].reason, "ORDER_ID_CONFLICT");
	ck_assert_str_eq(fx.fx[0].text, "command_id r-1 of order ORD21 is "
					"known with other content: "
					"amount_minor differs");
	json_object_set_new(refund, "command_id", json_string("r-2"));
	command_at(&ord, refund, PW_IN_PAYIN, 33); /* a second refund */
	ck_assert_str_eq(kinds(), "CALL");
	/* kept: the newest PW_FOLLOWUPS_KEPT */
	for (int i = 0; i < PW_FOLLOWUPS_KEPT + 2; i++) {
		char cid[16];
		snprintf(cid, sizeof cid, "u-%d", i);
		json_object_set_new(refund, "command_id", json_string(cid));
		ck_assert_int_eq(pw_order_keep_followup(&ord, refund, &src), PA_OK);
	}
	json_object_set_new(refund, "command_id", json_string("u-0"));
	command_at(&ord, refund, PW_IN_PAYIN, 40);
	ck_assert_str_eq(kinds(), "CALL"); /* forgotten: sent */
	json_object_set_new(refund, "command_id", json_string("u-9"));
	command_at(&ord, refund, PW_IN_PAYIN, 41);
	ck_assert_str_eq(kinds(), "PUBLISH DONE");
	json_decref(refund);
	/* complaint status: a question, always asked */
	pw_order_t c = {0};
	json_t *cs = json_pack("{s:s s:s s:s s:s}", "type", "complaint_status",
			       "command_id", "q-1", "merchant", "demo",
			       "order_id", "ORD21");
	pw_cmd_info_t ci;
	pw_admit_in_t ai = {.rec = cs, .topic = PW_IN_COMPLAINT, .key = "ORD21",
			    .klen = 5};
	pw_effects_clear(&fx);
	ck_assert_int_eq(pw_order_admit(&mc, &ai, &ci, &fx), 1);
	pw_input_t in = {.kind = PW_INPUT_COMMAND, .now_ms = NOW, .key = "ORD21",
			 .klen = 5, .rec = cs, .ci = &ci, .src = {2, 0, 1}};
	pw_order_step(&mc, &c, &in, &fx);
	ck_assert_str_eq(kinds(), "HOLD CALL");
	pw_cmd_src_t csrc = {2, 0, 1};
	ck_assert_int_eq(pw_order_keep_followup(&c, cs, &csrc), PA_OK);
	in.known = 1;
	in.src.offset = 2;
	pw_effects_clear(&fx);
	pw_order_step(&mc, &c, &in, &fx);
	ck_assert_str_eq(kinds(), "CALL");
	pw_order_release(&c);
	json_decref(cs);
	pw_order_release(&ord);
}
END_TEST

START_TEST(test_machine_same_input_same_output)
{
	pw_order_t a, b;
	accepted(&a, "ORD14");
	b = a;
	pw_effects_t fa, fb;
	pw_effects_init(&fa);
	pw_effects_init(&fb);
	pw_reply_t r = {.err = PA_TIMEOUT, .received_minor = -1};
	pw_input_t in = {.kind = PW_INPUT_REPLY, .now_ms = NOW, .known = 1,
			 .call = PW_CALL_STATUS, .reply = &r, .rand = 99};
	pw_order_step(&mc, &a, &in, &fa);
	pw_order_step(&mc, &b, &in, &fb);
	ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
	ck_assert_int_eq(fa.n, fb.n);
	for (int i = 0; i < fa.n; i++) {
		ck_assert_int_eq(fa.fx[i].kind, fb.fx[i].kind);
		ck_assert_int_eq(fa.fx[i].in_ms, fb.fx[i].in_ms);
	}
	pw_effects_clear(&fa);
	pw_effects_clear(&fb);
}
END_TEST

START_TEST(test_machine_effects_check_names_the_broken_rule)
{
	static const struct {
		int n;
		pw_fx_kind_t k[4];
		const char *want;
	} bad[] = {
		{0, {0}, "empty effect list"},
		{1, {PW_FX_SAVE}, "the last effect does not end the list"},
		{2, {PW_FX_DONE, PW_FX_DONE}, "an end effect before the last"},
		{3, {PW_FX_SAVE, PW_FX_PUBLISH, PW_FX_DONE},
		 "a state record before its event"},
		{2, {PW_FX_PUBLISH, PW_FX_DONE},
		 "an event without its state record"},
		{2, {PW_FX_SAVE, PW_FX_CALL}, "a write before a call or a retry"},
		{1, {PW_FX_AGAIN}, "again without a write to wait for"},
		{3, {PW_FX_FORGET, PW_FX_SAVE, PW_FX_DONE},
		 "an order forgotten without a dead letter"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pw_effects_clear(&fx);
		for (int j = 0; j < bad[i].n; j++) {
			fx.fx[fx.n].kind = bad[i].k[j];
			fx.fx[fx.n].reason = "R";
			fx.fx[fx.n++].text = "t";
		}
		const char *got = pw_effects_check(&fx);
		ck_assert_msg(got && !strcmp(got, bad[i].want), "case %zu: %s",
			      i, got ? got : "(accepted)");
	}
	pw_effects_clear(&fx);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("machine");
	TCase *t = tcase_create("rules");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_machine_create_holds_the_order_and_calls_once);
	tcase_add_test(t, test_machine_duplicate_reply_publishes_pending_then_polls);
	tcase_add_test(t, test_machine_retries_then_resolves_by_polling);
	tcase_add_test(t, test_machine_rejection_is_a_failed_event);
	tcase_add_test(t, test_machine_invalid_request_forgets_the_order);
	tcase_add_test(
		t,
		test_machine_webhook_for_unknown_order_publishes_pending_then_what_the_poll_says);
	tcase_add_test(
		t, test_machine_webhooks_of_an_order_created_elsewhere_are_confirmed);
	tcase_add_test(
		t, test_machine_webhook_order_the_gateway_does_not_know_is_unresolved);
	tcase_add_test(t,
		       test_machine_digit_shifted_webhook_never_publishes_succeeded);
	tcase_add_test(t, test_machine_webhook_with_the_order_amount_is_published);
	tcase_add_test(t, test_machine_webhook_order_id_is_exactly_the_key);
	tcase_add_test(t,
		       test_machine_confirm_success_asks_before_publishing_paid);
	tcase_add_test(
		t,
		test_machine_unanswered_confirmation_of_settled_order_retries_then_gives_up);
	tcase_add_test(t, test_machine_status_never_moves_back);
	tcase_add_test(t, test_machine_stale_terminal_webhook_keeps_the_poll);
	tcase_add_test(t, test_machine_deadline_reports_unresolved);
	tcase_add_test(t, test_machine_poll_backs_off_to_the_max_interval);
	tcase_add_test(t, test_machine_resume_spreads_due_polls);
	tcase_add_test(t, test_machine_admission_dead_letters_name_the_reason);
	tcase_add_test(t, test_machine_admission_asks_the_merchant_and_reports);
	tcase_add_test(t, test_machine_followups_need_a_known_order);
	tcase_add_test(t, test_machine_repeated_create_is_answered_or_a_conflict);
	tcase_add_test(t, test_machine_repeated_followup_is_answered_not_sent);
	tcase_add_test(t, test_machine_same_input_same_output);
	tcase_add_test(t, test_machine_effects_check_names_the_broken_rule);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pwt_run_suite(suite());
}
