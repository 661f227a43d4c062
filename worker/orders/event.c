/* event.c -- field layout of the records the worker publishes, and the
 * envelope check of the commands it reads.
 * Owns: payment/refund/complaint events and dead letters as plain JSON
 *       records of the schemas/ .avsc files (codec.h), the Product table, command
 *       envelope.
 * Not here: encodings (codec_*.c), product field validation (libpayatom). */
#include "orders/event.h"

#include "core/redact.h"

#include <strings.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payatom/crypto.h"
#include "payatom/money.h"

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

/* ---- products ---------------------------------------------------------- */

#define PI(n, c, cur, f, p, ch)                                                \
	{n, PW_KIND_PAYIN, c, cur, PA_FLOW_##f, PA_PARTY_##p, PA_CHANNEL_##ch,  \
	 PA_PAYOUT_IMPS}
#define PO(n, c, cur, p, m)                                                    \
	{n, PW_KIND_PAYOUT, c, cur, PA_FLOW_SEAMLESS, PA_PARTY_##p,             \
	 PA_CHANNEL_UPI, PA_PAYOUT_##m}

/* The Product enum of schemas/payin_command.avsc (spec §8-§10), in
 * schema order after UNKNOWN. */
static const pw_product_t products[] = {
	PI("PAYIN_UPI_P2P_SEAMLESS", "IN", "INR", SEAMLESS, P2P, UPI),
	PI("PAYIN_UPI_P2P_NON_SEAMLESS", "IN", "INR", NON_SEAMLESS, P2P, UPI),
	PI("PAYIN_IMPS_P2P_NON_SEAMLESS", "IN", "INR", NON_SEAMLESS, P2P, IMPS),
	PI("PAYIN_UPI_P2C_SEAMLESS", "IN", "INR", SEAMLESS, P2C, UPI),
	PI("PAYIN_UPI_P2C_NON_SEAMLESS", "IN", "INR", NON_SEAMLESS, P2C, UPI),
	PI("PAYIN_WALLET_P2P_SEAMLESS", "BD", "BDT", SEAMLESS, P2P, WALLET),
	PI("PAYIN_WALLET_P2P_NON_SEAMLESS", "BD", "BDT", NON_SEAMLESS, P2P,
	   WALLET),
	PI("PAYIN_WALLET_P2C_SEAMLESS", "BD", "BDT", SEAMLESS, P2C, WALLET),
	PI("PAYIN_WALLET_P2C_NON_SEAMLESS", "BD", "BDT", NON_SEAMLESS, P2C,
	   WALLET),
	PI("PAYIN_PK_H2H", "PK", "PKR", H2H, P2C, PAK),
	PO("PAYOUT_IMPS_P2P_SEAMLESS", "IN", "INR", P2P, IMPS),
	PO("PAYOUT_UPI_P2C_SEAMLESS", "IN", "INR", P2C, UPI),
	PO("PAYOUT_WALLET_P2P_SEAMLESS", "BD", "BDT", P2P, WALLET),
	PO("PAYOUT_WALLET_P2C_SEAMLESS", "BD", "BDT", P2C, WALLET),
};

const pw_product_t *pw_product_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof products / sizeof products[0];
	     i++)
		if (strcmp(products[i].name, name) == 0)
			return &products[i];
	return NULL;
}

/* ---- events ------------------------------------------------------------ */

static void set_str(json_t *ev, const char *field, const json_t *v)
{
	if (json_is_string(v) && json_string_length(v))
		json_object_set(ev, field, (json_t *)v);
}

/* An amount in minor units: an integer as is (already minor: our own
 * *_minor fields), or a gateway amount text/number (major units, spec §5). */
static void set_minor(json_t *ev, const char *field, const json_t *minor,
		      const json_t *gateway)
{
	int64_t m;
	if (json_is_integer(minor))
		json_object_set_new(ev, field,
				    json_integer(json_integer_value(minor)));
	else if (gateway && pa_money_from_json(gateway, &m, NULL) == PA_OK)
		json_object_set_new(ev, field, json_integer(m));
}

/* RefundInfo from the gateway's refund_info (spec §5: refund_amount, or
 * refund_amount_minor as the adapter gives it, refund_status,
 * refund_initiated_time, refund_completed_time, refund_notes; refunded_upi
 * is personal data and is dropped) or from an
 * already normalized "refund" object. NULL when neither is there. */
static json_t *refund_info(const json_t *details)
{
	const json_t *n = json_object_get(details, "refund");
	const json_t *g = json_object_get(details, "refund_info");
	if (!json_is_object(n) && !json_is_object(g))
		return NULL;
	json_t *r = json_object();
	if (json_is_object(n)) {
		set_minor(r, "refund_amount_minor",
			  json_object_get(n, "refund_amount_minor"), NULL);
		set_str(r, "refund_status", json_object_get(n, "refund_status"));
		set_str(r, "initiated_at", json_object_get(n, "initiated_at"));
		set_str(r, "completed_at", json_object_get(n, "completed_at"));
		set_str(r, "notes", json_object_get(n, "notes"));
	} else {
		set_minor(r, "refund_amount_minor",
			  json_object_get(g, "refund_amount_minor"),
			  json_object_get(g, "refund_amount"));
		set_str(r, "refund_status", json_object_get(g, "refund_status"));
		set_str(r, "initiated_at",
			json_object_get(g, "refund_initiated_time"));
		set_str(r, "completed_at",
			json_object_get(g, "refund_completed_time"));
		set_str(r, "notes", json_object_get(g, "refund_notes"));
	}
	return r;
}

static int has_word(const char *raw, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = raw; *p; p++)
		if (strncasecmp(p, w, n) == 0)
			return 1;
	return 0;
}

/* ComplaintStatus symbol: the gateway's complaint text first (its
 * vocabulary is NOT FOUND in spec §10.4, so words are matched), else the
 * normalized status the adapter gave; UNRESOLVED when neither says. */
static const char *complaint_status(pa_status_t st, const char *raw)
{
	if (has_word(raw, "reject") || has_word(raw, "declin"))
		return "REJECTED";
	if (has_word(raw, "resolv") || has_word(raw, "closed"))
		return "RESOLVED";
	if (has_word(raw, "review") || has_word(raw, "progress") ||
	    has_word(raw, "process"))
		return "IN_REVIEW";
	if (has_word(raw, "submit") || has_word(raw, "receiv") ||
	    has_word(raw, "open") || has_word(raw, "register"))
		return "SUBMITTED";
	switch (st) {
	case PA_STATUS_INITIATED:
	case PA_STATUS_PENDING: return "SUBMITTED";
	case PA_STATUS_SUCCEEDED:
	case PA_STATUS_SUCCEEDED_LATE: return "RESOLVED";
	case PA_STATUS_DECLINED:
	case PA_STATUS_CANCELLED: return "REJECTED";
	case PA_STATUS_FAILED: return "FAILED";
	default: return "UNRESOLVED";
	}
}

/* "terminal" of an event: no further change expected; UNRESOLVED is the
 * worker giving up (polling deadline), final too. */
static int is_final(pa_status_t st)
{
	return pa_status_is_terminal(st) || st == PA_STATUS_UNRESOLVED;
}

/* The fields every status event starts with, in schema order. */
static json_t *event_head(const pw_order_t *ord, const char *type)
{
	char eid[PW_EVENT_ID_LEN + 1];
	pw_event_id(ord, ord->seq, (pa_status_t)ord->status, eid);
	return json_pack("{s:s s:s s:i s:s s:s}", "event_type", type,
			 "event_id", eid, "schema_version",
			 PW_EVENT_SCHEMA_VERSION, "order_id", ord->order_id,
			 "merchant", ord->merchant);
}

static void payment_details(json_t *ev, const json_t *details)
{
	static const char *strs[] = {"payment_link", "qr_code", "wallet_id",
				     "redirect_url", "bank_ref"};
	for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
		set_str(ev, strs[i], json_object_get(details, strs[i]));
	set_minor(ev, "requested_amount_minor",
		  json_object_get(details, "requested_amount_minor"),
		  json_object_get(details, "requested_amount"));
	if (!json_is_integer(json_object_get(ev, "received_amount_minor")))
		set_minor(ev, "received_amount_minor",
			  json_object_get(details, "received_amount_minor"),
			  json_object_get(details, "received_amount"));
	json_t *in = json_object_get(details, "intents");
	if (json_is_object(in)) {
		json_t *m = json_object();
		const char *k;
		json_t *v;
		json_object_foreach(in, k, v)
			if (json_is_string(v))
				json_object_set(m, k, v);
		if (json_object_size(m))
			json_object_set_new(ev, "intents", m);
		else
			json_decref(m);
	}
}

json_t *pw_event_build(const pw_order_t *ord, int prev_status,
		       const json_t *details, const char *reason,
		       const char **topic, const pw_event_topics_t *tp)
{
	pa_status_t st = (pa_status_t)ord->status;
	json_t *ev, *refund = refund_info(details);
	if (ord->kind == PW_KIND_COMPLAINT) {
		*topic = tp->complaint;
		ev = event_head(ord, "complaint");
		json_object_set_new(ev, "status", json_string(complaint_status(
							  st, ord->raw_status)));
		json_object_set_new(ev, "raw_status",
				    json_string(ord->raw_status));
		json_object_set_new(ev, "sequence", json_integer(ord->seq));
		set_str(ev, "command_id", json_object_get(details, "command_id"));
		set_str(ev, "complaint_id",
			json_object_get(details, "complaint_id"));
	} else if (st == PA_STATUS_REFUND_PENDING ||
		   st == PA_STATUS_REFUNDED) {
		*topic = tp->refund;
		ev = event_head(ord, "refund");
		json_object_set_new(ev, "status",
				    json_string(pa_status_name(st)));
		json_object_set_new(ev, "terminal",
				    json_boolean(is_final(st)));
		json_object_set_new(ev, "raw_status",
				    json_string(ord->raw_status));
		json_object_set_new(ev, "sequence", json_integer(ord->seq));
		set_str(ev, "command_id", json_object_get(details, "command_id"));
		json_t *ra = json_object_get(refund, "refund_amount_minor");
		if (json_is_integer(ra))
			json_object_set(ev, "amount_minor", ra);
		json_object_set_new(ev, "currency", json_string(ord->currency));
	} else {
		*topic = tp->payment;
		ev = event_head(ord, "payment");
		json_object_set_new(ev, "status",
				    json_string(pa_status_name(st)));
		if (prev_status >= 0)
			json_object_set_new(
				ev, "previous_status",
				json_string(pa_status_name(
					(pa_status_t)prev_status)));
		json_object_set_new(ev, "terminal",
				    json_boolean(is_final(st)));
		json_object_set_new(ev, "raw_status",
				    json_string(ord->raw_status));
		json_object_set_new(ev, "sequence", json_integer(ord->seq));
		json_object_set_new(ev, "direction",
				    json_string(ord->kind == PW_KIND_PAYOUT
							? "PAYOUT"
							: "PAYIN"));
		if (pw_product_find(ord->product))
			json_object_set_new(ev, "product",
					    json_string(ord->product));
		json_object_set_new(ev, "amount_minor",
				    json_integer(ord->amount_minor));
		json_object_set_new(ev, "currency", json_string(ord->currency));
		if (ord->received_minor >= 0)
			json_object_set_new(ev, "received_amount_minor",
					    json_integer(ord->received_minor));
		payment_details(ev, details);
	}
	json_object_set_new(ev, "occurred_at", json_integer(now_ms()));
	if (ord->ref_code[0])
		json_object_set_new(ev, "ref_code", json_string(ord->ref_code));
	else
		set_str(ev, "ref_code", json_object_get(details, "ref_code"));
	if (refund && ord->kind != PW_KIND_COMPLAINT &&
	    json_object_size(refund))
		json_object_set(ev, "refund", refund);
	json_decref(refund);
	if (reason && *reason)
		json_object_set_new(ev, "reason", json_string(reason));
	return ev;
}

static const char *const cause_names[] = {
	[PW_CAUSE_OTHER] = "OTHER",	[PW_CAUSE_COMMAND] = "COMMAND",
	[PW_CAUSE_WEBHOOK] = "WEBHOOK", [PW_CAUSE_POLL] = "POLL",
	[PW_CAUSE_DEADLINE] = "DEADLINE",
};

const char *pw_cause_name(pw_cause_kind_t kind)
{
	return (unsigned)kind <= PW_CAUSE_DEADLINE ? cause_names[kind] : "OTHER";
}

/* The order's metadata (ext "md"), new reference or NULL. */
static json_t *order_metadata(const pw_order_t *ord)
{
	if (!ord || !ord->ext)
		return NULL;
	json_t *ext = pw_order_ext(ord);
	json_t *md = json_incref(json_object_get(ext, "md"));
	json_decref(ext);
	if (json_is_object(md) && json_object_size(md))
		return md;
	json_decref(md);
	return NULL;
}

void pw_event_add_cause(json_t *ev, const pw_order_t *ord,
			const pw_cause_t *cause)
{
	pw_cause_kind_t k = cause ? cause->kind : PW_CAUSE_OTHER;
	const char *type = json_string_value(json_object_get(ev, "event_type"));
	if (!ev || !type)
		return;
	json_object_set_new(ev, "cause", json_string(pw_cause_name(k)));
	if (!strcmp(type, "payment"))
		json_object_set_new(ev, "command_id",
				    str_or_null(k == PW_CAUSE_COMMAND
							? cause->command_id
							: NULL));
	json_object_set_new(ev, "cause_id",
			    str_or_null(k == PW_CAUSE_WEBHOOK ||
						    k == PW_CAUSE_POLL
					    ? cause->id
					    : NULL));
	json_t *md = order_metadata(ord);
	json_object_set_new(ev, "metadata", md ? md : json_null());
}

void pw_dead_letter_add_order(json_t *dl, const pw_order_t *ord)
{
	if (!dl || json_is_object(json_object_get(dl, "metadata")))
		return;
	json_t *md = order_metadata(ord);
	if (md)
		json_object_set_new(dl, "metadata", md);
}

const char *pw_event_schema(const json_t *ev)
{
	static const char *map[][2] = {
		{"payment", PW_SCHEMA_PAYMENT},
		{"refund", PW_SCHEMA_REFUND},
		{"complaint", PW_SCHEMA_COMPLAINT},
		{"dead_letter", PW_SCHEMA_DEAD_LETTER},
	};
	const char *t = json_string_value(json_object_get(ev, "event_type"));
	for (size_t i = 0; t && i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], t) == 0)
			return map[i][1];
	return NULL;
}

/* base64 of len bytes, "" for none; NULL only when out of memory. */
static char *b64(const void *raw, size_t len)
{
	char *s = NULL;
	if (!len)
		return strdup("");
	return pa_base64_encode(raw, len, &s, NULL) == PA_OK ? s : NULL;
}

/* message as a JSON string even when it is not UTF-8 (an error text that
 * quotes bytes of a bad record): json_pack refuses such a string, and a
 * dead letter must always be built. Bytes of an invalid sequence become
 * '?'. New reference. */
static json_t *text_value(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	char *c = strdup(s);
	if (!c)
		return NULL;
	for (char *p = c; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(c);
	free(c);
	return j;
}

json_t *pw_dead_letter_build(const char *topic, int32_t partition,
			     int64_t offset, const char *key, size_t klen,
			     const void *raw, size_t raw_len,
			     const char *reason, const char *error_name,
			     const char *message, const json_t *rec)
{
	/* deterministic: the same input record dead-lettered again (after a
	 * restart) has the same event_id */
	char pos[48], full[PA_SHA256_HEX_LEN + 1];
	int n = snprintf(pos, sizeof pos, "|%" PRId32 "|%" PRId64 "|",
			 partition, offset);
	if (!topic)
		topic = "";
	pa_part_t parts[] = {
		{"payatom-dlq|v1|", 15},
		{topic, strlen(topic)},
		{pos, (size_t)n},
		{key ? key : "", key ? klen : 0},
	};
	pa_sha256_hex(parts, sizeof parts / sizeof parts[0], full);
	full[PW_EVENT_ID_LEN] = '\0';
	char *pl = b64(raw ? raw : "", raw ? raw_len : 0);
	char *kb = key && klen ? b64(key, klen) : NULL;
	const char *oid = json_string_value(json_object_get(rec, "order_id"));
	const char *mer = json_string_value(json_object_get(rec, "merchant"));
	if (!pw_redact_is_name(mer)) /* a phone or a name where it goes */
		mer = NULL;
	/* undecodable: commands are keyed by order_id (design.md §2), so a
	 * printable key short enough to be one is the order_id */
	char kid[PW_ID_MAX];
	if (!oid && key && klen && klen < sizeof kid) {
		size_t i = 0;
		while (i < klen && key[i] > ' ' && key[i] < 0x7f)
			i++;
		if (i == klen) {
			memcpy(kid, key, klen);
			kid[klen] = '\0';
			oid = kid;
		}
	}
	json_t *dl = json_pack(
		"{s:s s:s s:i s:s s:i s:I s:o s:s s:s s:o s:o s:o s:o s:I}",
		"event_type", "dead_letter", "event_id", full, "schema_version",
		PW_EVENT_SCHEMA_VERSION, "topic", topic, "partition",
		(int)partition, "offset", (json_int_t)offset, "key",
		str_or_null(kb), "payload", pl ? pl : "", "reason", reason,
		"message", text_value(message), "error_name",
		str_or_null(error_name), "order_id", str_or_null(oid),
		"merchant", str_or_null(mer), "occurred_at",
		(json_int_t)now_ms());
	/* causation (schema_version 2): the id of the command when it could
	 * be read */
	const char *cid = json_string_value(json_object_get(rec, "command_id"));
	if (dl && cid)
		json_object_set_new(dl, "command_id", json_string(cid));
	json_t *md = json_object_get(rec, "metadata");
	if (dl && json_is_object(md) && json_object_size(md) &&
	    pw_metadata_check(md, NULL) == PA_OK)
		json_object_set(dl, "metadata", md);
	free(pl);
	free(kb);
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

/* Unicode code points of a UTF-8 string (Jansson strings are valid
 * UTF-8): the bytes that do not continue a sequence. */
static size_t code_points(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

pa_err_t pw_metadata_check(const json_t *meta, char *errbuf)
{
	if (!meta || json_is_null(meta))
		return PA_OK;
	if (!json_is_object(meta))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "metadata: expected a map of strings");
	if (json_object_size(meta) > PW_META_MAX_KEYS)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "metadata: %zu keys, at most %d",
				 json_object_size(meta), PW_META_MAX_KEYS);
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)meta, k, v)
	{
		size_t kl = code_points(k, strlen(k));
		/* key names are the caller's field names, not personal data:
		 * a short one is named; values never are */
		if (kl == 0 || kl > PW_META_MAX_KEY)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "metadata: key '%.40s%s' is %zu "
					 "characters, keys have 1 to %d",
					 k, kl > 40 ? "..." : "", kl,
					 PW_META_MAX_KEY);
		if (!json_is_string(v))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "metadata.%s: expected a string", k);
		size_t vl = code_points(json_string_value(v),
					json_string_length(v));
		if (vl > PW_META_MAX_VALUE)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "metadata.%s: value of %zu characters, "
					 "at most %d",
					 k, vl, PW_META_MAX_VALUE);
	}
	return PA_OK;
}

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
	char tn[80];
	pw_redact_name(ci->type, tn, sizeof tn);
	return pa_seterr(errbuf, PA_VALIDATION,
			 found_type ? "type: %s does not belong on this topic"
				    : "type: unknown command type %s",
			 tn);
typed:;
	char nm[80];
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
		ci->prod = pw_product_find(ci->product);
		if (!ci->prod)
			return pa_seterr(errbuf, PA_UNSUPPORTED,
					 "product: %s is not a product this "
					 "worker supports (a Product symbol "
					 "such as PAYIN_UPI_P2C_SEAMLESS)",
					 pw_redact_name(ci->product, nm,
							sizeof nm));
		if (ci->prod->kind != ci->kind)
			return pa_seterr(errbuf, PA_UNSUPPORTED,
					 "product: %s is not a %s product",
					 ci->product,
					 pw_kind_name((pw_kind_t)ci->kind));
		const char *country =
			json_string_value(json_object_get(cmd, "country"));
		if (country && strcmp(country, "UNKNOWN") != 0 &&
		    strcmp(country, ci->prod->country) != 0)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "country: %s does not match product "
					 "%s (%s)",
					 country, ci->product,
					 ci->prod->country);
		if (!*ci->currency)
			ci->currency = ci->prod->currency;
		else if (strcmp(ci->currency, ci->prod->currency) != 0)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "currency: %s does not match product "
					 "%s (%s)",
					 ci->currency, ci->product,
					 ci->prod->currency);
		pa_err_t err = pw_metadata_check(json_object_get(cmd, "metadata"),
						 errbuf);
		if (err)
			return err;
	}
	return PA_OK;
}
