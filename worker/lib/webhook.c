/* webhook.c -- callbacks (spec §5) and poll answers (§6): parse, verify, ack.
 * Owns: pa_txn_update_t, post_hash verification over every documented amount
 *       variant (§3.2, §12.1), the acknowledgement body.
 * Not here: the HTTP listener (core/http.c), the poll request (api_payin.c),
 *           seal/open (crypto.c). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api_internal.h"

void pa_txn_update_clear(pa_txn_update_t *upd)
{
	if (!upd)
		return;
	json_decref((json_t *)upd->json_);
	memset(upd, 0, sizeof(*upd));
	upd->webhook_acknowledged = -1;
}

static pa_err_t parse_refund(json_t *ri, pa_txn_update_t *upd, char *errbuf)
{
	/* §6 [P]: an object when a refund happened; the doc's samples of
	 * other answers carry [] (empty array) instead. */
	if (!ri || json_is_null(ri) ||
	    (json_is_array(ri) && json_array_size(ri) == 0))
		return PA_OK;
	if (!json_is_object(ri))
		return pa_seterr(errbuf, PA_PARSE,
				 "refund_info: must be an object or []");
	upd->has_refund_info = 1;
	upd->refund.refunded_upi = pa__jstr(ri, "refunded_upi");
	upd->refund.refund_initiated_time =
		pa__jstr(ri, "refund_initiated_time");
	upd->refund.refund_completed_time =
		pa__jstr(ri, "refund_completed_time");
	upd->refund.refund_status = pa__jstr(ri, "refund_status");
	upd->refund.refund_notes = pa__jstr(ri, "refund_notes");
	return pa__jamount(ri, "refund_amount", &upd->refund.refund_amount,
			   errbuf);
}

pa_err_t pa_webhook_parse(const uint8_t *body, size_t len,
			  pa_txn_update_t *upd, char *errbuf)
{
	json_t *root;
	pa_err_t e;
	if (!upd)
		return pa_seterr(errbuf, PA_INVAL, "webhook: NULL update");
	memset(upd, 0, sizeof(*upd));
	upd->webhook_acknowledged = -1;
	if ((e = pa__json_object((const char *)body, len, PA_WEBHOOK_MAX_BODY,
				 &root, errbuf)))
		return e;
	upd->json_ = root;
	/* A transaction status is never "error": this is an error reply. */
	if ((e = pa__envelope(root, 0, errbuf)))
		goto fail;
	upd->order_id = pa__jstr(root, "order_id");
	upd->ref_code = pa__jstr(root, "ref_code");
	upd->status_raw = pa__jstr(root, "status");
	upd->post_hash = pa__jstr(root, "post_hash");
	upd->bank_ref = pa__jstr(root, "bank_ref");
	upd->sender_upi = pa__jstr(root, "sender_upi");
	upd->upi_id = pa__jstr(root, "upi_id");
	if (!pa__given(upd->order_id)) {
		e = pa_seterr(errbuf, PA_PARSE, "order_id: missing (spec §5)");
		goto fail;
	}
	if (!upd->status_raw) {
		e = pa_seterr(errbuf, PA_PARSE, "status: missing (spec §5)");
		goto fail;
	}
	upd->status = pa_status_from_raw(upd->status_raw,
					 strlen(upd->status_raw));
	if ((e = pa__jamount(root, "requested_amount", &upd->requested_amount,
			     errbuf)) ||
	    (e = pa__jamount(root, "received_amount", &upd->received_amount,
			     errbuf)) ||
	    (e = pa__jamount(root, "amount", &upd->amount, errbuf)))
		goto fail;
	int64_t ack;
	int has;
	if ((e = pa__jint(root, "webhook_acknowledged", &ack, &has, errbuf)))
		goto fail;
	if (has)
		upd->webhook_acknowledged = ack ? 1 : 0;
	if ((e = parse_refund(json_object_get(root, "refund_info"), upd,
			      errbuf)))
		goto fail;
	return PA_OK;
fail:
	pa_txn_update_clear(upd);
	return e;
}

/* Adds the texts of one amount field: as sent, PHP-printed, 2 decimals.
 * The older forms (amount, requested_amount) are only tried when
 * received_amount is absent or has the same value: otherwise a hash over the
 * requested amount would "authenticate" a received_amount it does not
 * cover, and received_amount is what the merchant acts on (§4, §12.2). */
static int covers_received(const pa_txn_update_t *upd,
			   const pa_amount_field_t *f)
{
	const pa_amount_field_t *r = &upd->received_amount;
	if (!r->present)
		return 1;
	return r->valid && f->valid && r->minor == f->minor;
}

static size_t add_variants(const pa_amount_field_t *f, pa_hash_variant_t as,
			   pa_hash_variant_t php, int with_2dp,
			   char txt[][PA_AMOUNT_TEXT_MAX + 1],
			   pa_hash_variant_t *var, size_t n)
{
	if (!f->present)
		return n;
	snprintf(txt[n], PA_AMOUNT_TEXT_MAX + 1, "%s", f->text);
	var[n++] = as;
	if (!f->valid)
		return n;
	char s[PA_MONEY_STR_MAX];
	pa_money_format_php(f->minor, s);
	snprintf(txt[n], PA_AMOUNT_TEXT_MAX + 1, "%s", s);
	var[n++] = php;
	if (with_2dp) {
		pa_money_format_2dp(f->minor, s);
		snprintf(txt[n], PA_AMOUNT_TEXT_MAX + 1, "%s", s);
		var[n++] = PA_HASH_RECEIVED_2DP;
	}
	return n;
}

pa_err_t pa_txn_update_verify(const pa_secret_t *sec, pa_amount_pref_t pref,
			      pa_txn_update_t *upd, char *errbuf)
{
	char txt[8][PA_AMOUNT_TEXT_MAX + 1];
	pa_hash_variant_t var[8];
	size_t n = 0;
	char *plain = NULL;
	size_t plen = 0;
	char eb[PA_ERRBUF_SIZE];
	if (!sec || !upd || !upd->order_id || !upd->status_raw)
		return pa_seterr(errbuf, PA_INVAL, "verify: bad argument");
	upd->hash_variant = PA_HASH_NONE;
	if (!pa__given(upd->post_hash))
		return pa_seterr(errbuf, PA_HASH_MISMATCH,
				 "post_hash: missing (spec §5)");
	pa_err_t e = pa_open(sec, upd->post_hash, strlen(upd->post_hash),
			     &plain, &plen, eb);
	if (e)
		return pa_seterr(errbuf, PA_HASH_MISMATCH,
				 "post_hash: does not open (%s: %s)",
				 pa_err_name(e), eb);
	/* spec §12.1: received_amount (current), then the older single
	 * "amount" and requested_amount forms; pref only changes the order. */
	pa_amount_field_t none = {0};
	const pa_amount_field_t *amt =
		covers_received(upd, &upd->amount) ? &upd->amount : &none;
	const pa_amount_field_t *req = covers_received(upd,
						       &upd->requested_amount)
					       ? &upd->requested_amount
					       : &none;
	if (pref == PA_AMOUNT_PREF_REQUESTED) {
		n = add_variants(amt, PA_HASH_AMOUNT_AS_SENT,
				 PA_HASH_AMOUNT_PHP, 0, txt, var, n);
		n = add_variants(req, PA_HASH_REQUESTED_AS_SENT,
				 PA_HASH_REQUESTED_PHP, 0, txt, var, n);
		n = add_variants(&upd->received_amount,
				 PA_HASH_RECEIVED_AS_SENT, PA_HASH_RECEIVED_PHP,
				 1, txt, var, n);
	} else {
		n = add_variants(&upd->received_amount,
				 PA_HASH_RECEIVED_AS_SENT, PA_HASH_RECEIVED_PHP,
				 1, txt, var, n);
		n = add_variants(amt, PA_HASH_AMOUNT_AS_SENT,
				 PA_HASH_AMOUNT_PHP, 0, txt, var, n);
		n = add_variants(req, PA_HASH_REQUESTED_AS_SENT,
				 PA_HASH_REQUESTED_PHP, 0, txt, var, n);
	}
	int matched = 0;
	/* Every candidate is compared (no early exit), each in constant
	 * time; the first match in preference order wins. */
	for (size_t i = 0; i < n; i++) {
		char md5[PA_MD5_HEX_LEN + 1];
		/* §3.2: md5(order_id . amount . status . secret) */
		if (pa_sign_callback_md5(sec, pa_part(upd->order_id),
					 pa_part(txt[i]),
					 pa_part(upd->status_raw), md5))
			continue;
		if (pa_const_eq(md5, PA_MD5_HEX_LEN, plain, plen) && !matched) {
			matched = 1;
			upd->hash_variant = var[i];
		}
		OPENSSL_cleanse(md5, sizeof(md5));
	}
	OPENSSL_cleanse(plain, plen);
	free(plain);
	if (!matched)
		return pa_seterr(errbuf, PA_HASH_MISMATCH,
				 "post_hash: matches no documented form of "
				 "md5(order_id.amount.status.secret) (spec "
				 "§5, §12.1; %zu tried)",
				 n);
	return PA_OK;
}

int pa_txn_update_amount(const pa_txn_update_t *upd, int64_t *minor)
{
	const pa_amount_field_t *f[3] = {&upd->received_amount, &upd->amount,
					 &upd->requested_amount};
	for (int i = 0; i < 3; i++)
		if (f[i]->present && f[i]->valid) {
			*minor = f[i]->minor;
			return 1;
		}
	return 0;
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
