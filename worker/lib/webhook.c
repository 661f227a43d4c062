/* webhook.c -- callbacks (spec §5) and poll answers (§6): parse, verify, ack.
 * Owns: pa_txn_update_t, reading a body as the docs' PHP reads it (PHP
 *       texts of order_id, status and the amounts), post_hash verification
 *       over every documented amount variant (§3.2, §12.1), the usability
 *       check, the acknowledgement body.
 * Not here: the HTTP listener (core/http.c), the poll request (api_payin.c),
 *           seal/open (crypto.c), PHP's text of a value (canonjson.c). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api_internal.h"
#include "payatom/canonjson.h"

void pa_txn_update_clear(pa_txn_update_t *upd)
{
	if (!upd)
		return;
	json_decref((json_t *)upd->json_);
	json_decref((json_t *)upd->texts_);
	memset(upd, 0, sizeof(*upd));
	upd->webhook_acknowledged = -1;
}

static const char *const variant_names[] = {
	"none",		    "received_as_sent", "received_php",
	"received_2dp",	    "amount_as_sent",	"amount_php",
	"requested_as_sent", "requested_php",
};

const char *pa_hash_variant_name(pa_hash_variant_t v)
{
	if ((unsigned)v >= sizeof(variant_names) / sizeof(variant_names[0]))
		return "unknown";
	return variant_names[v];
}

/* Nesting of arrays/objects below v, v counted: stops counting past
 * limit. */
static size_t depth_of(json_t *v, size_t limit)
{
	size_t deepest = 0, d;
	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (limit == 0)
		return 1;
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			if ((d = depth_of(json_array_get(v, i), limit - 1)) >
			    deepest)
				deepest = d;
	} else {
		const char *k;
		json_t *m;
		json_object_foreach(v, k, m)
		{
			if ((d = depth_of(m, limit - 1)) > deepest)
				deepest = d;
		}
	}
	return deepest + 1;
}

/* json_decode($body, true) as the docs' PHP calls it: the last of two
 * equal keys wins (jansson does the same without REJECT_DUPLICATES),
 * "\u0000" is a string's byte, at most 511 levels deep. */
static pa_err_t load(const uint8_t *body, size_t len, json_t **root,
		     char *errbuf)
{
	pa_err_t e = pa__json_object((const char *)body, len,
				     PA_WEBHOOK_MAX_BODY, JSON_ALLOW_NUL, root,
				     errbuf);
	if (!e && depth_of(*root, PA_WEBHOOK_MAX_DEPTH) > PA_WEBHOOK_MAX_DEPTH) {
		json_decref(*root);
		*root = NULL;
		e = pa_seterr(errbuf, PA_PARSE,
			      "body: nested deeper than %d (PHP's "
			      "json_decode() refuses it)",
			      PA_WEBHOOK_MAX_DEPTH);
	}
	return e;
}

static void parse_refund(json_t *ri, json_t *hold, pa_txn_update_t *upd)
{
	/* §6 [P]: an object when a refund happened; the doc's samples of
	 * other answers carry [] (empty array) instead. Anything that is not
	 * an object is "no refund information": it is not hashed, so it
	 * must not cost the update. */
	if (!json_is_object(ri))
		return;
	upd->has_refund_info = 1;
	upd->refund.refunded_upi = pa__jstr(ri, "refunded_upi");
	upd->refund.refund_initiated_time =
		pa__jstr(ri, "refund_initiated_time");
	upd->refund.refund_completed_time =
		pa__jstr(ri, "refund_completed_time");
	upd->refund.refund_status = pa__jstr(ri, "refund_status");
	upd->refund.refund_notes = pa__jstr(ri, "refund_notes");
	if (pa__jamount(ri, "refund_amount", hold, &upd->refund.refund_amount,
			NULL))
		upd->has_refund_info = 0;
}

/* 0/1 from an integer or a digit string ("0"/"1" in the docs), else -1:
 * not hashed, so never a reason to refuse the body. */
static int parse_ack(json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > 18 || !pa__all_digits(json_string_value(v)))
		return -1;
	return strtoll(json_string_value(v), NULL, 10) != 0;
}

pa_err_t pa_webhook_parse(const uint8_t *body, size_t len,
			  pa_txn_update_t *upd, char *errbuf)
{
	json_t *root, *hold;
	pa_err_t e;
	if (!upd)
		return pa_seterr(errbuf, PA_INVAL, "webhook: NULL update");
	memset(upd, 0, sizeof(*upd));
	upd->webhook_acknowledged = -1;
	if ((e = load(body, len, &root, errbuf)))
		return e;
	upd->json_ = root;
	upd->texts_ = hold = json_array();
	if (!hold) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto fail;
	}
	/* A transaction status is never "error": without a post_hash this
	 * is the gateway's error reply ({"status":"error","message":..}). */
	json_t *ph = json_object_get(root, "post_hash");
	if (!ph && (e = pa__envelope(root, 0, errbuf)))
		goto fail;
	if (json_is_string(ph)) {
		upd->post_hash = json_string_value(ph);
		upd->post_hash_len = json_string_length(ph);
	}
	upd->ref_code = pa__jstr(root, "ref_code");
	upd->bank_ref = pa__jstr(root, "bank_ref");
	upd->sender_upi = pa__jstr(root, "sender_upi");
	upd->upi_id = pa__jstr(root, "upi_id");
	/* spec §3.2: the hash concatenates these as PHP prints them */
	if (pa__jtext(root, "order_id", hold, &upd->order_id,
		      &upd->order_id_len) ||
	    pa__jtext(root, "status", hold, &upd->status_raw,
		      &upd->status_len) ||
	    pa__jamount(root, "requested_amount", hold, &upd->requested_amount,
			NULL) ||
	    pa__jamount(root, "received_amount", hold, &upd->received_amount,
			NULL) ||
	    pa__jamount(root, "amount", hold, &upd->amount, NULL)) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto fail;
	}
	upd->status = pa_status_from_raw(upd->status_raw, upd->status_len);
	upd->webhook_acknowledged =
		parse_ack(json_object_get(root, "webhook_acknowledged"));
	parse_refund(json_object_get(root, "refund_info"), hold, upd);
	return PA_OK;
fail:
	pa_txn_update_clear(upd);
	return e;
}

pa_err_t pa_txn_update_usable(const pa_txn_update_t *upd, char *errbuf)
{
	if (!upd || !upd->json_)
		return pa_seterr(errbuf, PA_INVAL, "usable: no parsed update");
	json_t *oid = json_object_get(upd->json_, "order_id");
	json_t *st = json_object_get(upd->json_, "status");
	if (!(json_is_string(oid) || json_is_integer(oid)) ||
	    upd->order_id_len == 0 ||
	    strlen(upd->order_id) != upd->order_id_len)
		return pa_seterr(errbuf, PA_PARSE,
				 "order_id: missing, empty or not a string or "
				 "integer (spec §5)");
	if (!json_is_string(st) || upd->status_len == 0 ||
	    strlen(upd->status_raw) != upd->status_len)
		return pa_seterr(errbuf, PA_PARSE,
				 "status: missing, empty or not a string (spec "
				 "§5)");
	return PA_OK;
}

/* One amount text the hash may be over. */
typedef struct cand {
	const char *p;
	size_t len;
	pa_hash_variant_t var;
	int covers; /* counts as a match (covers what is acted on) */
} cand_t;

#define MAX_CANDS 8

typedef struct cands {
	cand_t c[MAX_CANDS];
	char num[MAX_CANDS][PA_MONEY_STR_MAX];
	size_t n;
} cands_t;

static void add(cands_t *cs, const char *p, size_t len, pa_hash_variant_t v,
		int covers)
{
	if (cs->n < MAX_CANDS)
		cs->c[cs->n++] = (cand_t){p, len, v, covers};
}

/* The amount field f as the docs' PHP concatenates it, then (when it is an
 * amount) its number printed like PHP and, with_2dp, with two decimals --
 * the forms [I] and §12.1 report; a form equal to the PHP text is skipped. */
static void add_field(cands_t *cs, const pa_amount_field_t *f, int always,
		      pa_hash_variant_t as, pa_hash_variant_t php, int with_2dp,
		      int covers)
{
	if ((!f->present && !always) || cs->n + 3 > MAX_CANDS)
		return; /* 3 fields give at most 7: never full */
	add(cs, f->text, f->text_len, as, covers);
	if (!f->valid)
		return;
	for (int k = 0; k < 1 + with_2dp; k++) {
		char *s = cs->num[cs->n];
		if (k == 0)
			pa_money_format_php(f->minor, s);
		else
			pa_money_format_2dp(f->minor, s);
		size_t n = strlen(s);
		if (n != f->text_len || memcmp(s, f->text, n) != 0)
			add(cs, s, n, k == 0 ? php : PA_HASH_RECEIVED_2DP,
			    covers);
	}
}

/* A hash over amount or requested_amount may stand for the update only
 * when it covers what is acted on: received_amount says nothing (absent,
 * null, "") or has the same value (§4, §12.2). */
static int covers_received(const pa_txn_update_t *upd,
			   const pa_amount_field_t *f)
{
	const pa_amount_field_t *r = &upd->received_amount;
	if (r->text_len == 0)
		return 1;
	return r->valid && f->valid && r->minor == f->minor;
}

static void candidates(const pa_txn_update_t *upd, pa_amount_pref_t pref,
		       cands_t *cs)
{
	int amt = covers_received(upd, &upd->amount);
	int req = covers_received(upd, &upd->requested_amount);
	/* spec §12.1: received_amount (current; always tried, "" when
	 * absent, as PHP concatenates null), then the older single "amount"
	 * and requested_amount forms; pref only changes the order. */
	if (pref != PA_AMOUNT_PREF_REQUESTED)
		add_field(cs, &upd->received_amount, 1,
			  PA_HASH_RECEIVED_AS_SENT, PA_HASH_RECEIVED_PHP, 1, 1);
	/* amount always, as received_amount: the docs' PHP concatenates an
	 * absent `amount` as "" too (a hash over "" there covers no amount:
	 * PA_UNHASHED_AMOUNT unless received_amount is empty as well) */
	add_field(cs, &upd->amount, 1, PA_HASH_AMOUNT_AS_SENT,
		  PA_HASH_AMOUNT_PHP, 0, amt);
	add_field(cs, &upd->requested_amount, 0, PA_HASH_REQUESTED_AS_SENT,
		  PA_HASH_REQUESTED_PHP, 0, req);
	if (pref == PA_AMOUNT_PREF_REQUESTED)
		add_field(cs, &upd->received_amount, 1,
			  PA_HASH_RECEIVED_AS_SENT, PA_HASH_RECEIVED_PHP, 1, 1);
}

pa_err_t pa_txn_update_verify(const pa_secret_t *sec, pa_amount_pref_t pref,
			      pa_txn_update_t *upd, char *errbuf)
{
	cands_t cs;
	char *plain = NULL;
	size_t plen = 0;
	char eb[PA_ERRBUF_SIZE];
	if (!sec || !upd || !upd->order_id || !upd->status_raw)
		return pa_seterr(errbuf, PA_INVAL, "verify: bad argument");
	upd->hash_variant = PA_HASH_NONE;
	if (!upd->post_hash)
		return pa_seterr(errbuf, PA_HASH_MISMATCH,
				 "post_hash: missing or not a string (spec §5)");
	pa_err_t e = pa_open(sec, upd->post_hash, upd->post_hash_len, &plain,
			     &plen, eb);
	if (e)
		return pa_seterr(errbuf, PA_HASH_MISMATCH,
				 "post_hash: does not open (%s: %s)",
				 pa_err_name(e), eb);
	cs.n = 0;
	candidates(upd, pref, &cs);
	int matched = 0, outside = 0;
	/* Every candidate is compared (no early exit), each in constant
	 * time; the first match in preference order wins. */
	for (size_t i = 0; i < cs.n; i++) {
		char md5[PA_MD5_HEX_LEN + 1];
		/* §3.2: md5(order_id . amount . status . secret) */
		pa_part_t oid = {upd->order_id, upd->order_id_len};
		pa_part_t amt = {cs.c[i].p, cs.c[i].len};
		pa_part_t st = {upd->status_raw, upd->status_len};
		if (pa_sign_callback_md5(sec, oid, amt, st, md5))
			continue;
		if (pa_const_eq(md5, PA_MD5_HEX_LEN, plain, plen)) {
			/* the docs' Feb-2023 form, which the docs' PHP
			 * accepts: refused by name (api.h D1) */
			if (!cs.c[i].covers)
				outside |= cs.c[i].var ==
					   PA_HASH_AMOUNT_AS_SENT;
			else if (!matched) {
				matched = 1;
				upd->hash_variant = cs.c[i].var;
			}
		}
		OPENSSL_cleanse(md5, sizeof(md5));
	}
	OPENSSL_cleanse(plain, plen);
	free(plain);
	if (matched)
		return PA_OK;
	if (outside)
		return pa_seterr(errbuf, PA_UNHASHED_AMOUNT,
				 "post_hash covers amount, not received_amount, "
				 "which differs: refused "
				 "on purpose, received_amount is acted on "
				 "(spec §12.2)");
	return pa_seterr(errbuf, PA_HASH_MISMATCH,
			 "post_hash: matches no documented form of "
			 "md5(order_id.amount.status.secret) (spec §5, §12.1; "
			 "%zu tried)",
			 cs.n);
}

int pa_txn_update_amount(const pa_txn_update_t *upd, int64_t *minor)
{
	const pa_amount_field_t *f = NULL;
	switch (upd->hash_variant) {
	case PA_HASH_NONE: {
		const pa_amount_field_t *all[3] = {&upd->received_amount,
						   &upd->amount,
						   &upd->requested_amount};
		for (int i = 0; i < 3 && !f; i++)
			if (all[i]->valid)
				f = all[i];
		break;
	}
	case PA_HASH_RECEIVED_AS_SENT:
	case PA_HASH_RECEIVED_PHP:
	case PA_HASH_RECEIVED_2DP:
		f = &upd->received_amount;
		break;
	case PA_HASH_AMOUNT_AS_SENT:
	case PA_HASH_AMOUNT_PHP:
		f = &upd->amount;
		break;
	case PA_HASH_REQUESTED_AS_SENT:
	case PA_HASH_REQUESTED_PHP:
		f = &upd->requested_amount;
		break;
	}
	if (!f || !f->valid)
		return 0;
	*minor = f->minor;
	return 1;
}

const char *pa_webhook_ack_body(int hash_matched, int acknowledge)
{
	if (hash_matched)
		return acknowledge
			       ? "{\"hash_status\":\"HashMatched\","
				 "\"acknowledge\":\"yes\"}"
			       : "{\"hash_status\":\"HashMatched\","
				 "\"acknowledge\":\"no\"}";
	return acknowledge ? "{\"hash_status\":\"HashMismatch\","
			     "\"acknowledge\":\"yes\"}"
			   : "{\"hash_status\":\"HashMismatch\","
			     "\"acknowledge\":\"no\"}";
}
