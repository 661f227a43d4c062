/* machine_int.h -- shared between the files of the order machine
 *                  (machine.c, answer.c); not for the shell.
 * Owns: appending effects from outside machine.c.
 * Not here: the machine's contract (machine.h). */
#ifndef PW_MACHINE_INT_H
#define PW_MACHINE_INT_H

#include "orders/machine.h"

/* A new effect of kind at the end of fx (prev_status -1, the rest 0). */
pw_effect_t *pw__fx_add(pw_effects_t *fx, pw_fx_kind_t kind);
/* A dead letter with reason and a copy of msg, then DONE. */
void pw__fx_dead_letter(pw_effects_t *fx, const char *reason, const char *msg);

/* A command (in, COMMAND) for the order the worker holds (ord) that the
 * order may have seen before: a create, or a follow-up but
 * complaint_status (docs/events.md "Repeated commands"). Returns 1 when
 * fx holds its whole outcome -- silence for the record that created the
 * order (or a create that cannot be compared), the order's current event
 * again for the same content, ORDER_ID_CONFLICT for other content -- and
 * 0 when it goes on as a new command (a follow-up the order does not
 * know). */
int pw__order_repeated(const pw_order_t *ord, const pw_input_t *in,
		       pw_effects_t *fx);

#endif
