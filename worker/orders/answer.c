/* answer.c -- the answers to commands an order has seen before (the rule
 *             of docs/events.md "Repeated commands", a part of the order
 *             machine).
 * Owns: telling a redelivered record, the same content and other content
 *       apart for creates and follow-ups, and the effects of each.
 * Not here: what the order keeps to compare with (command.c), the rest of
 *           the rules (machine.c). */
#include "orders/machine_int.h"

#include <stdio.h>
#include <string.h>

/* A command the order has seen before (docs/events.md "Repeated
 * commands"): the record that it came in, delivered again after a crash,
 * is silent as it always was; another record with the same content is
 * answered with the order's current event (same event_id: consumers that
 * dedupe drop it, a caller that missed the first answer gets it), without
 * a gateway call; other content under the same id is a conflict,
 * dead-lettered ORDER_ID_CONFLICT naming the fields (never values). Where
 * the order keeps no such command (an order first seen in a webhook, or
 * kept by a worker before this rule; a follow-up with a new command_id)
 * m is UNKNOWN and the caller goes on as before. Returns 1 when fx holds
 * the answer. */
static int answered(const pw_order_t *ord, pw_cmd_match_t m,
		    const char *diff, const char *cid, pw_effects_t *fx)
{
	char msg[320];
	switch (m) {
	case PW_CMD_REDELIVERED:
		fx->counts.duplicates_suppressed++;
		pw__fx_add(fx, PW_FX_DONE);
		return 1;
	case PW_CMD_SAME:
		fx->counts.duplicates_suppressed++;
		if (ord->seq > 0) {
			pw_effect_t *e = pw__fx_add(fx, PW_FX_PUBLISH);
			e->repeat = 1;
			e->prev_status = ord->prev == PW_PREV_NONE
						 ? -1
						 : (int)ord->prev;
		}
		pw__fx_add(fx, PW_FX_DONE);
		return 1;
	case PW_CMD_DIFFERENT:
		/* %.Ns: names cut where the text ends */
		if (cid)
			snprintf(msg, sizeof msg,
				 "command_id %.64s of order %.63s is known "
				 "with other content: %.100s differ%s",
				 cid, ord->order_id, diff,
				 strchr(diff, ',') ? "" : "s");
		else
			snprintf(msg, sizeof msg,
				 "order_id %.63s is known with other "
				 "content: %.120s differ%s",
				 ord->order_id, diff,
				 strchr(diff, ',') ? "" : "s");
		pw__fx_dead_letter(fx, "ORDER_ID_CONFLICT", msg);
		return 1;
	default:
		return 0;
	}
}

int pw__order_repeated(const pw_order_t *ord, const pw_input_t *in,
		       pw_effects_t *fx)
{
	const pw_cmd_info_t *ci = in->ci;
	char diff[160];
	if (ci->op == PW_OP_CREATE) {
		pw_cmd_match_t m = pw_order_match_command(
			ord, ci->kind, in->rec, &in->src, diff, sizeof diff);
		if (!answered(ord, m, diff, NULL, fx)) {
			/* no command to compare with: silent, as before */
			fx->counts.duplicates_suppressed++;
			pw__fx_add(fx, PW_FX_DONE);
		}
		return 1;
	}
	/* complaint_status asks: always sent */
	if (ci->op != PW_OP_FOLLOWUP || !strcmp(ci->type, "complaint_status"))
		return 0;
	pw_cmd_match_t m = pw_order_match_followup(ord, in->rec, &in->src, diff,
						   sizeof diff);
	return answered(ord, m, diff,
			json_string_value(json_object_get(in->rec, "command_id")),
			fx);
}
