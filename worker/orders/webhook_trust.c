/* webhook_trust.c -- a verified webhook record as the order rules read it
 * (webhook_trust.h).
 * Owns: reading the record, the key check, the "lines up" rule, the
 *       details of a believed webhook.
 * Not here: the step of the order (machine.c), verification (lib/). */
#include "orders/webhook_trust.h"

#include <stdio.h>
#include <string.h>

const char *pw_wh_read(const json_t *rec, const char *key, size_t klen,
		       pw_wh_t *wh, const char **msg)
{
	memset(wh, 0, sizeof *wh);
	wh->merchant = json_string_value(json_object_get(rec, "merchant"));
	wh->cb = json_object_get(rec, "callback");
	wh->raw = json_string_value(json_object_get(wh->cb, "status"));
	if (!wh->merchant || !json_is_object(wh->cb) || !wh->raw) {
		*msg = "internal webhook record lacks merchant, callback or "
		       "status";
		return "MALFORMED";
	}
	const json_t *o = json_object_get(wh->cb, "order_id");
	char digits[24];
	const char *s = NULL;
	size_t n = 0;
	if (json_is_string(o)) {
		s = json_string_value(o);
		n = json_string_length(o);
	} else if (json_is_integer(o)) {
		int w = snprintf(digits, sizeof digits, "%" JSON_INTEGER_FORMAT,
				 json_integer_value(o));
		s = digits;
		n = w > 0 ? (size_t)w : 0;
	}
	if (!s || n != klen || memcmp(s, key, n) != 0) {
		*msg = "webhook record key differs from its order_id";
		return "KEY_MISMATCH";
	}
	wh->status = pa_status_from_raw(wh->raw, strlen(wh->raw));
	const json_t *rm = json_object_get(rec, "received_minor");
	wh->received = json_is_integer(rm) ? json_integer_value(rm) : -1;
	return NULL;
}

int pw_order_created_here(const pw_order_t *ord)
{
	return ord->amount_minor > 0;
}

int pw_order_would_move(const pw_order_t *ord, pa_status_t st)
{
	if (ord->seq == 0)
		return 1;
	return (pa_status_t)ord->status != st &&
	       pa_status_can_move((pa_status_t)ord->status, st);
}

int pw_wh_lines_up(const pw_order_t *ord, const pw_wh_t *wh)
{
	int64_t rm = wh->received;
	switch (wh->status) {
	case PA_STATUS_SUCCEEDED:
	case PA_STATUS_SUCCEEDED_LATE:
		return rm == ord->amount_minor;
	case PA_STATUS_AMOUNT_MISMATCH:
		return 0;
	case PA_STATUS_REFUND_PENDING:
	case PA_STATUS_REFUNDED:
		return rm == (ord->received_minor >= 0 ? ord->received_minor
						       : ord->amount_minor);
	default:
		return rm <= 0;
	}
}

json_t *pw_wh_details(const pw_wh_t *wh)
{
	static const char *const keys[] = {"bank_ref", "sender_upi",
					   "refund_info", "requested_amount",
					   "received_amount"};
	json_t *details = json_object();
	for (size_t i = 0; details && i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(wh->cb, keys[i]);
		if (v)
			json_object_set(details, keys[i], v);
	}
	if (details)
		json_object_set_new(details, "source", json_string("webhook"));
	return details;
}
