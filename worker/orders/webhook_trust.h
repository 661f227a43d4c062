/* webhook_trust.h -- a verified webhook record as the order rules read it,
 * and whether they may take it at its word.
 * Owns: the fields of the internal webhook record (ingress/webhook_ingress.h)
 *       the rules use, the order_id = key check, which orders the worker
 *       created, the "received amount lines up" rule, the event details a
 *       believed webhook gives.
 * Not here: what a webhook does to an order (machine.c webhook()), the
 *           callback's verification (lib/webhook.c, ingress/).
 *
 * Why a verified webhook is not always believed: the documented hash,
 * md5(order_id . received_amount . status . secret) (spec §5), has no
 * separators, so one genuine callback also verifies with trailing digits
 * of its order_id moved to the front of its amount (ORD12345 + 100 =
 * ORD1234 + 5100). The rules act on a webhook at its word only where such
 * a shift cannot pass unseen -- an order the worker created, with a
 * received amount that lines up with it -- and otherwise ask the gateway's
 * status API (docs/gateway-fidelity.md). */
#ifndef PW_WEBHOOK_TRUST_H
#define PW_WEBHOOK_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "payatom/status.h"
#include "orders/state.h"

/* A webhook record's fields. Strings and cb borrowed from the record. */
typedef struct pw_wh {
	const char *merchant; /* the profile whose secret verified it */
	const json_t *cb;     /* the callback's own fields */
	const char *raw;      /* its status, as sent */
	pa_status_t status;   /* normalized (UNRESOLVED: unknown raw) */
	int64_t received;     /* received_minor, -1 when it had none */
} pw_wh_t;

/* Reads rec, the record of order key (klen bytes), into *wh. Returns NULL,
 * or the DeadLetterReason it calls for ("MALFORMED": no merchant, callback
 * or status; "KEY_MISMATCH": the callback's order_id, as PHP concatenates
 * it -- a string's bytes, an integer's digits -- is not exactly key) with
 * *msg (static text). */
const char *pw_wh_read(const json_t *rec, const char *key, size_t klen,
		       pw_wh_t *wh, const char **msg);

/* 1 when the worker created ord: a payin or payout command gave it its
 * requested amount, always positive. An order first seen in a webhook has
 * none, and never learns one from a callback. */
int pw_order_created_here(const pw_order_t *ord);

/* 1 when st would be a transition of ord (pw_order_apply()'s rule). */
int pw_order_would_move(const pw_order_t *ord, pa_status_t st);

/* 1 when wh's received amount lines up with what the worker knows of ord
 * (created here) for wh's status: Approved, Late Approved -- the amount
 * requested; Amount Mismatch -- never (it says the amounts differ, so any
 * shifted amount would pass); refunds -- the amount received (the one
 * requested while none was learned); every other status -- no amount, or
 * zero (no money arrived; a shifted digit makes one). */
int pw_wh_lines_up(const pw_order_t *ord, const pw_wh_t *wh);

/* The event details of a believed webhook: bank_ref, sender_upi,
 * refund_info, requested_amount, received_amount as sent, and source
 * "webhook". New reference (NULL when out of memory). */
json_t *pw_wh_details(const pw_wh_t *wh);

#endif
