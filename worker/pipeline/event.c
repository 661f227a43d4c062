/* event.c -- field layout of the records the worker publishes, and the
 * envelope check of the commands it reads.
 * Owns: payment/refund/complaint events, dead letters, command envelope.
 * Not here: encodings (codec_*.c), product field validation (libpayatom). */
#include "pipeline/event.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline/worker_int.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *pw_event_build(const pw_order_t *ord, const json_t *details,
		       const char *reason, const char **topic,
		       const pw_worker_opts_t *o)
{
	pa_status_t st = (pa_status_t)ord->status;
	char eid[PW_EVENT_ID_LEN + 1];
	pw_event_id(ord, ord->seq, st, eid);
	const char *type = "payment";
	*topic = o->topic_evt_payment;
	if (ord->kind == PW_KIND_COMPLAINT) {
		type = "complaint";
		*topic = o->topic_evt_complaint;
	} else if (st == PA_STATUS_REFUND_PENDING ||
		   st == PA_STATUS_REFUNDED) {
		type = "refund";
		*topic = o->topic_evt_refund;
	}
	json_t *ev = json_object();
	json_object_set_new(ev, "event_id", json_string(eid));
	json_object_set_new(ev, "schema_version",
			    json_integer(PW_EVENT_SCHEMA_VERSION));
	json_object_set_new(ev, "event_type", json_string(type));
	json_object_set_new(ev, "order_id", json_string(ord->order_id));
	json_object_set_new(ev, "merchant", json_string(ord->merchant));
	json_object_set_new(ev, "direction",
			    json_string(pw_kind_name((pw_kind_t)ord->kind)));
	json_object_set_new(ev, "product", str_or_null(ord->product));
	json_object_set_new(ev, "status", json_string(pa_status_name(st)));
	json_object_set_new(ev, "raw_status", json_string(ord->raw_status));
	json_object_set_new(ev, "terminal",
			    json_boolean(pa_status_is_terminal(st) ||
					 st == PA_STATUS_UNRESOLVED));
	json_object_set_new(ev, "sequence", json_integer(ord->seq));
	json_object_set_new(ev, "amount_minor",
			    json_integer(ord->amount_minor));
	json_object_set_new(ev, "currency", str_or_null(ord->currency));
	json_object_set_new(ev, "received_amount_minor",
			    ord->received_minor >= 0
				    ? json_integer(ord->received_minor)
				    : json_null());
	json_object_set_new(ev, "ref_code", str_or_null(ord->ref_code));
	json_object_set_new(ev, "reason", str_or_null(reason));
	json_object_set_new(ev, "occurred_at", json_integer(now_ms()));
	/* gateway details: payment_link, qr_code, wallet_id, redirect_url,
	 * intents, bank_ref, refund_info ... (never secrets) */
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)details, k, v)
	{
		if (!json_object_get(ev, k))
			json_object_set(ev, k, v);
	}
	return ev;
}

json_t *pw_dead_letter_build(const char *topic, int32_t partition,
			     int64_t offset, const char *key,
			     const void *raw, size_t raw_len,
			     const char *reason, const char *message)
{
	char *b64 = NULL;
	if (raw && raw_len) {
		b64 = malloc(4 * ((raw_len + 2) / 3) + 1);
		if (b64)
			EVP_EncodeBlock((unsigned char *)b64, raw, (int)raw_len);
	}
	json_t *dl = json_pack("{s:i s:s s:s s:s s:i s:I s:s s:o s:I}",
			       "schema_version", PW_EVENT_SCHEMA_VERSION,
			       "reason", reason, "message",
			       message ? message : "", "topic", topic,
			       "partition", (int)partition, "offset",
			       (json_int_t)offset, "key", key ? key : "",
			       "payload_base64", str_or_null(b64),
			       "occurred_at", (json_int_t)now_ms());
	free(b64);
	return dl;
}

static const struct {
	const char *type;
	int topic;
	pw_cmd_op_t op;
	int kind;
} cmd_types[] = {
	{"payin", PW_IN_PAYIN, PW_OP_CREATE, PW_KIND_PAYIN},
	{"payout", PW_IN_PAYOUT, PW_OP_CREATE, PW_KIND_PAYOUT},
	{"status_check", PW_IN_PAYIN, PW_OP_STATUS, PW_KIND_PAYIN},
	{"status_check", PW_IN_PAYOUT, PW_OP_STATUS, PW_KIND_PAYOUT},
	{"refund", PW_IN_PAYIN, PW_OP_FOLLOWUP, PW_KIND_PAYIN},
	{"utr_submit", PW_IN_PAYIN, PW_OP_FOLLOWUP, PW_KIND_PAYIN},
	{"complaint_submit", PW_IN_COMPLAINT, PW_OP_FOLLOWUP,
	 PW_KIND_COMPLAINT},
	{"complaint_status", PW_IN_COMPLAINT, PW_OP_FOLLOWUP,
	 PW_KIND_COMPLAINT},
};

pa_err_t pw_cmd_check(const json_t *cmd, int topic, pw_cmd_info_t *ci,
		      char *errbuf)
{
	memset(ci, 0, sizeof *ci);
	if (!json_is_object(cmd))
		return pa_seterr(errbuf, PA_PARSE, "command is not an object");
	ci->type = json_string_value(json_object_get(cmd, "type"));
	ci->merchant = json_string_value(json_object_get(cmd, "merchant"));
	ci->order_id = json_string_value(json_object_get(cmd, "order_id"));
	ci->product = json_string_value(json_object_get(cmd, "product"));
	ci->currency = json_string_value(json_object_get(cmd, "currency"));
	if (!ci->type)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "type: required string");
	if (!ci->merchant || !*ci->merchant)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "merchant: required string");
	if (!ci->order_id || !*ci->order_id)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "order_id: required string");
	if (strlen(ci->order_id) >= PW_ID_MAX)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "order_id: longer than %d bytes",
				 PW_ID_MAX - 1);
	int found_type = 0;
	for (size_t i = 0; i < sizeof cmd_types / sizeof cmd_types[0]; i++) {
		if (strcmp(cmd_types[i].type, ci->type) != 0)
			continue;
		found_type = 1;
		if (cmd_types[i].topic != topic)
			continue;
		ci->op = cmd_types[i].op;
		ci->kind = cmd_types[i].kind;
		goto typed;
	}
	return pa_seterr(errbuf, PA_VALIDATION,
			 found_type ? "type: '%s' does not belong on this topic"
				    : "type: unknown command type '%s'",
			 ci->type);
typed:
	if (!ci->product)
		ci->product = "";
	if (!ci->currency)
		ci->currency = "";
	if (ci->op == PW_OP_CREATE) {
		json_t *amt = json_object_get(cmd, "amount_minor");
		if (!json_is_integer(amt) || json_integer_value(amt) <= 0)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "amount_minor: required positive "
					 "integer (minor units)");
		ci->amount_minor = json_integer_value(amt);
		if (!*ci->product)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "product: required string");
	}
	return PA_OK;
}
