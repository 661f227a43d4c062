/* state.c -- the state record of one order and its transitions.
 * Owns: transition rule, event ids, changelog encoding.
 * Not here: status vocabulary (lib/status.c), where records live (worker.c). */
#include "pipeline/state.h"

#include <stdio.h>
#include <string.h>

#include "payatom/crypto.h"

static void copy(char *dst, size_t size, const char *src)
{
	if (!src)
		src = "";
	size_t n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

int pw_order_apply(pw_order_t *ord, pa_status_t st, const char *raw)
{
	if ((pa_status_t)ord->status == st && ord->seq > 0) {
		/* Same status again (webhook re-send, a poll agreeing with a
		 * webhook): nothing new. */
		return 0;
	}
	if (ord->seq > 0 && !pa_status_can_move((pa_status_t)ord->status, st))
		return 0;
	ord->status = (uint8_t)st;
	copy(ord->raw_status, sizeof ord->raw_status, raw);
	ord->seq++;
	if (pa_status_is_terminal(st) || st == PA_STATUS_UNRESOLVED)
		ord->phase = PW_PHASE_SETTLED; /* UNRESOLVED: given up */
	else if (ord->phase == PW_PHASE_SETTLED)
		ord->phase = PW_PHASE_ACCEPTED; /* reopened: refund pending */
	return 1;
}

void pw_event_id(const pw_order_t *ord, uint32_t seq, pa_status_t st,
		 char out[PW_EVENT_ID_LEN + 1])
{
	char seqs[16], full[PA_SHA256_HEX_LEN + 1];
	int n = snprintf(seqs, sizeof seqs, "%u", seq);
	const char *sn = pa_status_name(st);
	/* a complaint about an order shares its order_id and counts its own
	 * sequence: its kind keeps the ids apart from the order's events */
	int cmp = ord->kind == PW_KIND_COMPLAINT;
	pa_part_t parts[] = {
		{"payatom-event|v1|", 17},
		{"complaint|", cmp ? 10u : 0u},
		{ord->merchant, strlen(ord->merchant)},
		{"|", 1},
		{ord->order_id, strlen(ord->order_id)},
		{"|", 1},
		{seqs, (size_t)n},
		{"|", 1},
		{sn, strlen(sn)},
	};
	pa_sha256_hex(parts, sizeof parts / sizeof parts[0], full);
	memcpy(out, full, PW_EVENT_ID_LEN);
	out[PW_EVENT_ID_LEN] = '\0';
}

static const char *kinds[] = {"payin", "payout", "complaint"};

const char *pw_kind_name(pw_kind_t k)
{
	return (unsigned)k < 3 ? kinds[k] : "unknown";
}

json_t *pw_order_to_json(const pw_order_t *o)
{
	return json_pack("{si s:s s:s s:s s:s s:s s:s s:s s:s s:i s:i s:I s:I"
			 " s:i s:i s:i s:I s:I s:I}",
			 "v", 1, "kind", pw_kind_name((pw_kind_t)o->kind),
			 "order_id", o->order_id, "merchant", o->merchant,
			 "ref_code", o->ref_code, "raw", o->raw_status,
			 "product", o->product, "currency", o->currency,
			 "status", pa_status_name((pa_status_t)o->status),
			 "phase", (int)o->phase, "seq", (int)o->seq, "amount",
			 (json_int_t)o->amount_minor, "received",
			 (json_int_t)o->received_minor, "attempts",
			 (int)o->attempts, "polls", (int)o->polls, "partition",
			 (int)o->partition, "created", (json_int_t)o->created_ms,
			 "next_poll", (json_int_t)o->next_poll_ms, "deadline",
			 (json_int_t)o->deadline_ms);
}

pa_err_t pw_order_from_json(const json_t *j, pw_order_t *o)
{
	const char *kind = NULL, *oid = NULL, *m = NULL, *rc = "", *raw = "",
		   *prod = "", *cur = "", *st = NULL;
	int v = 0, phase = 0, seq = 0, att = 0, polls = 0, part = 0;
	json_int_t amt = 0, rcv = -1, created = 0, np = 0, dl = 0;
	json_error_t err;
	memset(o, 0, sizeof *o);
	if (!j || json_unpack_ex((json_t *)j, &err, 0,
				 "{s:i s:s s:s s:s s?s s?s s?s s?s s:s s?i s:i"
				 " s?I s?I s?i s?i s?i s?I s?I s?I}",
				 "v", &v, "kind", &kind, "order_id", &oid,
				 "merchant", &m, "ref_code", &rc, "raw", &raw,
				 "product", &prod, "currency", &cur, "status",
				 &st, "phase", &phase, "seq", &seq, "amount",
				 &amt, "received", &rcv, "attempts", &att,
				 "polls", &polls, "partition", &part, "created",
				 &created, "next_poll", &np, "deadline",
				 &dl) != 0)
		return PA_PARSE;
	if (v != 1)
		return PA_PARSE;
	pa_status_t s;
	if (pa_status_from_name(st, &s) != PA_OK)
		return PA_PARSE;
	int k = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(kind, kinds[i]) == 0)
			k = i;
	if (k < 0 || strlen(oid) >= sizeof o->order_id)
		return PA_PARSE;
	copy(o->order_id, sizeof o->order_id, oid);
	copy(o->merchant, sizeof o->merchant, m);
	copy(o->ref_code, sizeof o->ref_code, rc);
	copy(o->raw_status, sizeof o->raw_status, raw);
	copy(o->product, sizeof o->product, prod);
	copy(o->currency, sizeof o->currency, cur);
	o->kind = (uint8_t)k;
	o->phase = (uint8_t)phase;
	o->status = (uint8_t)s;
	o->seq = (uint32_t)seq;
	o->attempts = (uint32_t)att;
	o->polls = (uint32_t)polls;
	o->partition = part;
	o->amount_minor = amt;
	o->received_minor = rcv;
	o->created_ms = created;
	o->next_poll_ms = np;
	o->deadline_ms = dl;
	o->restored = 1;
	return PA_OK;
}
