/* api_payin.c -- payin requests and replies (India, Bangladesh, Pakistan),
 * UTR submit, status polling, refunds.
 * Owns: pa_build_payin/pa_parse_payin, pa_payment_link, UTR submit (A1),
 *       status poll request/reply (§6, A2, A5), refund (A3).
 * Not here: payouts (api_payout.c), callback parsing and post_hash
 *           verification (webhook.c), shared helpers (api_common.c). */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* Copies s into a fixed buffer if it fits (order_id of pa_request_t). */
static void set_order_id(pa_request_t *req, const char *s)
{
	if (s && strlen(s) < sizeof(req->order_id))
		memcpy(req->order_id, s, strlen(s) + 1);
}

/* spec §12.8: the payin lists. P2P seamless and P2P non-seamless pages list
 * Nagad, Rocket, bKash; P2C non-seamless (V1 and V2) adds Upay. We send the
 * spelling of these pages ("bKash"). */
static const char *const bd_wallets_p2p[] = {"Nagad", "Rocket", "bKash", NULL};
static const char *const bd_wallets_p2c[] = {"Nagad", "Rocket", "bKash",
					     "Upay", NULL};
static const char *const pk_wallets[] = {"JAZZCASH", "EASYPAISA", NULL};

static pa_err_t check_email(const char *v, char *errbuf)
{
	pa_err_t e = pa__need("email", v, 254, "§8.2", errbuf);
	if (e)
		return e;
	const char *at = strchr(v, '@');
	if (!at || at == v || !at[1] || strchr(at + 1, '@') || strchr(v, ' '))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "email: must look like name@domain");
	return PA_OK;
}

static pa_err_t check_phone(const char *v, char *errbuf)
{
	pa_err_t e = pa__need("phone", v, 16, "§8.2", errbuf);
	if (e)
		return e;
	const char *d = v[0] == '+' ? v + 1 : v;
	size_t n = strlen(d);
	if (!pa__all_digits(d) || n < 7 || n > 15)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "phone: must be 7-15 digits, optional '+'");
	return PA_OK;
}

/* A UPI id (VPA): handle@psp, no spaces. */
static pa_err_t check_vpa(const char *field, const char *v, const char *spec,
			  char *errbuf)
{
	pa_err_t e = pa__need(field, v, 100, spec, errbuf);
	if (e)
		return e;
	const char *at = strchr(v, '@');
	if (!at || at == v || !at[1] || strchr(at + 1, '@'))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: must be a UPI id like name@bank", field);
	for (const char *p = v; *p; p++)
		if (!(p[0] >= 'a' && p[0] <= 'z') &&
		    !(p[0] >= 'A' && p[0] <= 'Z') &&
		    !(p[0] >= '0' && p[0] <= '9') && !strchr(".-_@", *p))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "%s: must be a UPI id like name@bank",
					 field);
	return PA_OK;
}

static pa_err_t check_ref(const char *field, const char *v, char *errbuf)
{
	pa_err_t e = pa__need(field, v, 128, "§2.2", errbuf);
	if (e)
		return e;
	for (const char *p = v; *p; p++)
		if (*p == ' ' || *p == '"' || *p == '\\')
			return pa_seterr(errbuf, PA_VALIDATION,
					 "%s: invalid character", field);
	return PA_OK;
}

/* Validation of a payin against its country/product page. On PA_OK,
 * *wallet is the canonical wallet spelling to send (or NULL). */
static pa_err_t check_payin(const pa_merchant_t *m, const pa_payin_req_t *r,
			    const char **wallet, char *errbuf)
{
	pa_err_t e;
	int v2 = m->api_version == PA_API_V2;
	*wallet = NULL;
	switch (m->country) {
	case PA_COUNTRY_IN:
		if (r->flow == PA_FLOW_H2H || (r->channel != PA_CHANNEL_UPI &&
					      r->channel != PA_CHANNEL_IMPS))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "channel: India payins are UPI or "
					 "IMPS, seamless or non-seamless "
					 "(spec §8)");
		if (r->channel == PA_CHANNEL_IMPS &&
		    r->flow == PA_FLOW_SEAMLESS)
			return pa_seterr(errbuf, PA_UNSUPPORTED,
					 "channel: IMPS payins are "
					 "non-seamless only (spec §8.3)");
		break;
	case PA_COUNTRY_BD:
		if (r->flow == PA_FLOW_H2H || r->channel != PA_CHANNEL_WALLET)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "channel: Bangladesh payins are "
					 "wallet payins (spec §9)");
		break;
	case PA_COUNTRY_PK:
		if (r->flow != PA_FLOW_H2H || r->channel != PA_CHANNEL_PAK)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "flow: Pakistan payins are H2H "
					 "JazzCash/EasyPaisa (spec §10.1)");
		break;
	default:
		return pa_seterr(errbuf, PA_CONFIG, "merchant.country: unknown");
	}
	/* order_id: "at least 10 characters" / "10 or more alphanumeric"
	 * (§8.2, §9.2, §12.6); Pakistan only says "unique" (§10.1). */
	if (m->country == PA_COUNTRY_PK)
		e = pa__check_order_id(m, r->order_id, 1, 63, "§10.1", errbuf);
	else
		e = pa__check_order_id(m, r->order_id, 10, 63, "§8.2", errbuf);
	if (e)
		return e;
	if ((e = pa__check_amount("amount", r->amount_minor, "§2.2", errbuf)))
		return e;
	if ((e = pa__need("name", r->name, 100, "§8.2", errbuf)) ||
	    (e = check_email(r->email, errbuf)) ||
	    (e = check_phone(r->phone, errbuf)))
		return e;
	if (m->country == PA_COUNTRY_IN && r->flow == PA_FLOW_SEAMLESS &&
	    (!v2 || pa__given(r->upi_id)))
		if ((e = check_vpa("upi_id", r->upi_id, "§8.1", errbuf)))
			return e;
	if (m->country == PA_COUNTRY_BD) {
		const char *const *list = r->party == PA_PARTY_P2C
						  ? bd_wallets_p2c
						  : bd_wallets_p2p;
		if (!pa__given(r->wallet_type))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "wallet_type: required (spec §9.1)");
		*wallet = pa__one_of(r->wallet_type, list);
		if (!*wallet)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "wallet_type: must be one of Nagad, "
					 "Rocket, bKash%s (spec §9, §12.8)",
					 r->party == PA_PARTY_P2C ? ", Upay"
								  : "");
	}
	if (m->country == PA_COUNTRY_PK) {
		if (!pa__given(r->pak_wallet))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "pak_wallet: required (spec §10.1)");
		*wallet = pa__one_of(r->pak_wallet, pk_wallets);
		if (!*wallet)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "pak_wallet: must be JAZZCASH or "
					 "EASYPAISA (spec §10.1)");
		const char *a = r->account_number;
		if (!pa__given(a) || strlen(a) != 11 || strncmp(a, "03", 2) ||
		    !pa__all_digits(a))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "account_number: must be 11 digits "
					 "starting with 03 (spec §10.1)");
	}
	if (pa__given(r->redirect_url) &&
	    (e = pa__need("redirect_url", r->redirect_url, 512, "§8.2",
			  errbuf)))
		return e;
	if (v2 && m->country == PA_COUNTRY_IN) {
		/* §8.2 V2: ip, latitude, longitude, customer_id Required. */
		if ((e = pa__need("ip", r->ip, 45, "§8.2 V2", errbuf)) ||
		    (e = pa__need("latitude", r->latitude, 32, "§8.2 V2",
				  errbuf)) ||
		    (e = pa__need("longitude", r->longitude, 32, "§8.2 V2",
				  errbuf)) ||
		    (e = pa__need("customer_id", r->customer_id, 64,
				  "§8.2 V2", errbuf)))
			return e;
	}
	return PA_OK;
}

static const char *payin_path(const pa_merchant_t *m, pa_flow_t flow)
{
	int v2 = m->api_version == PA_API_V2 && m->country != PA_COUNTRY_PK;
	if (flow == PA_FLOW_NON_SEAMLESS)
		return v2 ? "/pay/v2/request.php" : "/pay/request.php";
	return v2 ? "/api/v2/request.php" : "/api/request.php";
}

/* Adds key=val when val is given. */
static pa_err_t opt_str(json_t *o, const char *key, const char *val)
{
	return pa__given(val) ? pa__set_str(o, key, val) : PA_OK;
}

pa_err_t pa_build_payin(const pa_merchant_t *m, const pa_payin_req_t *r,
			pa_request_t **out, char *errbuf)
{
	const char *wallet;
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if (!m || !r || !out)
		return pa_seterr(errbuf, PA_INVAL, "payin: NULL argument");
	if ((e = pa_merchant_check(m, errbuf)) ||
	    (e = check_payin(m, r, &wallet, errbuf)))
		return e;
	/* Pakistan has no V2 page (§10.1): V1 form for every merchant. */
	int v2 = m->api_version == PA_API_V2 && m->country != PA_COUNTRY_PK;
	const char *method =
		r->flow == PA_FLOW_NON_SEAMLESS && !v2 &&
				m->nonseamless_method == PA_NONSEAMLESS_GET
			? "GET"
			: "POST";
	if ((e = pa__req_new(m, PA_OP_PAYIN, method, payin_path(m, r->flow),
			     &req, errbuf)))
		return e;
	set_order_id(req, r->order_id);
	e = PA_NOMEM;
	if (!(b = json_object()) || pa__set_str(b, "pid", m->pid) ||
	    pa__set_str(b, "order_id", r->order_id) ||
	    pa__set_int(b, "amount", r->amount_minor / 100) ||
	    pa__set_str(b, "name", r->name) ||
	    pa__set_str(b, "email", r->email) ||
	    pa__set_str(b, "phone", r->phone))
		goto fail;
	if (m->country == PA_COUNTRY_IN && r->flow == PA_FLOW_SEAMLESS &&
	    opt_str(b, "upi_id", r->upi_id))
		goto fail;
	if (m->country == PA_COUNTRY_BD &&
	    pa__set_str(b, "wallet_type", wallet))
		goto fail;
	if (m->country == PA_COUNTRY_PK &&
	    (pa__set_str(b, "pak_wallet", wallet) ||
	     pa__set_str(b, "account_number", r->account_number)))
		goto fail;
	if (m->country != PA_COUNTRY_PK &&
	    opt_str(b, "redirect_url", r->redirect_url))
		goto fail;
	if (v2) {
		if (opt_str(b, "ip", r->ip) ||
		    opt_str(b, "latitude", r->latitude) ||
		    opt_str(b, "longitude", r->longitude) ||
		    opt_str(b, "customer_id", r->customer_id))
			goto fail;
		if ((e = pa__sign_v2(m, b, errbuf)) ||
		    (e = pa__req_v2_key(m, req, errbuf)))
			goto out;
		e = PA_NOMEM;
	}
	if (pa__req_body(req, b))
		goto fail;
	return pa__req_done(PA_OK, req, b, out);
fail:
	pa_seterr(errbuf, e, "payin: out of memory");
out:
	return pa__req_done(e, req, b, out);
}

pa_err_t pa_payment_link(const pa_merchant_t *m, const char *hash_value,
			 char **out, char *errbuf)
{
	if (!m || !pa__given(m->base_url) || !out)
		return pa_seterr(errbuf, PA_INVAL, "payment link: no base_url");
	if (!hash_value || !pa__all_alnum(hash_value) ||
	    strlen(hash_value) > 256)
		return pa_seterr(errbuf, PA_PARSE,
				 "hash_value: must be 1-256 alphanumeric "
				 "characters (spec §8.2)");
	size_t blen = strlen(m->base_url);
	while (blen && m->base_url[blen - 1] == '/')
		blen--;
	size_t n = blen + strlen("/pay/connect.php?code=") +
		   strlen(hash_value) + 1;
	char *s = malloc(n);
	if (!s)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	snprintf(s, n, "%.*s/pay/connect.php?code=%s", (int)blen, m->base_url,
		 hash_value);
	*out = s;
	return PA_OK;
}

void pa_payin_result_clear(pa_payin_result_t *res)
{
	if (res)
		pa__reply_clear(res, sizeof(*res), res->json_,
				res->payment_link);
}

pa_err_t pa_parse_payin(const pa_merchant_t *m, const char *body, size_t len,
			pa_payin_result_t *res, char *errbuf)
{
	json_t *root;
	pa_err_t e;
	if ((e = pa__reply_open(res, sizeof(*res), "payin", body, len, &root,
				errbuf)))
		return e;
	res->json_ = root;
	res->ref_code = pa__jstr(root, "ref_code");
	res->qr_code = pa__jstr(root, "qr_code");
	res->hash_value = pa__jstr(root, "hash_value");
	res->wallet_id = pa__jstr(root, "wallet_id");
	res->redirect_url = pa__jstr(root, "redirect_url");
	res->receiver_vpa = pa__jstr(root, "receiverVPA");
	res->wallet = pa__jstr(root, "wallet");
	json_t *ad = json_object_get(root, "additional_data");
	if (json_is_object(ad)) {
		res->paytm_intent = pa__jstr(ad, "paytm_intent");
		res->phonepe_intent = pa__jstr(ad, "phonepe_intent");
	}
	if (!pa__given(res->ref_code) && !pa__given(res->hash_value)) {
		e = pa_seterr(errbuf, PA_PARSE,
			      "ref_code: missing (and no hash_value)");
		goto fail;
	}
	if (json_object_get(root, "amount")) {
		if ((e = pa__jmoney(root, "amount", 1, &res->amount_minor,
				    errbuf)))
			goto fail;
		res->has_amount = 1;
	}
	if (pa__given(res->hash_value) && m &&
	    (e = pa_payment_link(m, res->hash_value, &res->payment_link,
				 errbuf)))
		goto fail;
	return PA_OK;
fail:
	pa_payin_result_clear(res);
	return e;
}

/* ---- UTR submit (spec §7, assumption A1) ---- */

pa_err_t pa_build_utr_submit(const pa_merchant_t *m, const char *ref_code,
			     const char *order_id, const char *utr,
			     pa_request_t **out, char *errbuf)
{
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if ((e = pa__req_args(m, out, "utr", errbuf)) ||
	    (e = check_ref("ref_code", ref_code, errbuf)))
		return e;
	if (pa__given(order_id) &&
	    (e = pa__check_order_id(m, order_id, 10, 63, "§8.2", errbuf)))
		return e;
	if (!pa__given(utr) || strlen(utr) < 6 || strlen(utr) > 64 ||
	    !pa__all_alnum(utr))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "utr: must be 6-64 alphanumeric characters "
				 "(spec §7)");
	if ((e = pa__req_new(m, PA_OP_UTR_SUBMIT, "POST",
			     "/api/collection_utr.php", &req, errbuf)))
		return e;
	set_order_id(req, order_id);
	pa_part_t parts[3] = {{ref_code, strlen(ref_code)},
			      {utr, strlen(utr)},
			      {m->pid, strlen(m->pid)}};
	if (!(b = json_object()) || pa__set_str(b, "pid", m->pid) ||
	    pa__set_str(b, "ref_code", ref_code) ||
	    opt_str(b, "order_id", order_id) || pa__set_str(b, "utr", utr)) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto out;
	}
	if (!(e = pa__post_hash(m, b, parts, 3, errbuf)))
		e = pa__req_v2_key(m, req, errbuf);
out:
	return pa__req_finish(e, req, b, out, errbuf);
}

void pa_ack_result_clear(pa_ack_result_t *res)
{
	if (res)
		pa__reply_clear(res, sizeof(*res), res->json_, NULL);
}

pa_err_t pa_parse_ack(const char *body, size_t len, pa_ack_result_t *res,
		      char *errbuf)
{
	json_t *root;
	pa_err_t e;
	if ((e = pa__reply_open(res, sizeof(*res), "ack", body, len, &root,
				errbuf)))
		return e;
	res->json_ = root;
	res->status = pa__jstr(root, "status");
	res->message = pa__jstr(root, "message");
	return PA_OK;
}

/* ---- status polling (spec §6) ---- */

pa_err_t pa_build_status(const pa_merchant_t *m, pa_op_t op, const char *key,
			 pa_request_t **out, char *errbuf)
{
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if (!m || !out || (op != PA_OP_STATUS && op != PA_OP_PAYOUT_STATUS))
		return pa_seterr(errbuf, PA_INVAL, "status: bad argument");
	if ((e = pa_merchant_check(m, errbuf)))
		return e;
	int by_order = m->poll_key == PA_POLL_BY_ORDER_ID;
	const char *field = by_order ? "order_id" : "ref_code";
	if (by_order)
		e = pa__check_order_id(m, key, 1, 63, "§6", errbuf);
	else
		e = check_ref("ref_code", key, errbuf);
	if (e)
		return e;
	const char *path;
	if (op == PA_OP_PAYOUT_STATUS)
		path = "/payout/api/status_polling.php"; /* A2 */
	else if (m->api_version == PA_API_V2)
		path = "/api/v2/status_polling.php"; /* [I] */
	else
		path = "/api/status_polling.php"; /* A5 */
	if ((e = pa__req_new(m, op, "POST", path, &req, errbuf)))
		return e;
	if (by_order)
		set_order_id(req, key);
	/* §3.2: md5(ref_code . pid . secret), older md5(order_id . pid .
	 * secret): the key that is sent is the key that is hashed. */
	char *sealed = NULL;
	if (!(b = json_object()) || pa__set_str(b, "pid", m->pid) ||
	    pa__set_str(b, field, key)) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto out;
	}
	e = pa_sign_poll_request_post_hash(m->secret, pa_part(key),
					   pa_part(m->pid), NULL, &sealed,
					   errbuf);
	if (!(e = pa__set_sealed(b, e, sealed, errbuf)))
		e = pa__req_v2_key(m, req, errbuf);
out:
	return pa__req_finish(e, req, b, out, errbuf);
}

pa_err_t pa_parse_status(const pa_merchant_t *m, const char *body, size_t len,
			 pa_txn_update_t *upd, char *errbuf)
{
	if (!m || !upd)
		return pa_seterr(errbuf, PA_INVAL, "status: NULL argument");
	pa_err_t e = pa_webhook_parse((const uint8_t *)body, len, upd, errbuf);
	if (e)
		return e;
	e = pa_txn_update_verify(m->secret, m->amount_pref, upd, errbuf);
	if (!e)
		e = pa_txn_update_usable(upd, errbuf);
	if (e)
		pa_txn_update_clear(upd);
	return e;
}

/* ---- refund (spec §7, assumption A3) ---- */

pa_err_t pa_build_refund(const pa_merchant_t *m, const char *ref_code,
			 int64_t amount_minor, pa_request_t **out,
			 char *errbuf)
{
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if ((e = pa__req_args(m, out, "refund", errbuf)) ||
	    (e = check_ref("ref_code", ref_code, errbuf)))
		return e;
	if (amount_minor != 0 &&
	    (e = pa__check_amount("amount", amount_minor, "§7", errbuf)))
		return e;
	if ((e = pa__req_new(m, PA_OP_REFUND, "POST", "/api/refund.php", &req,
			     errbuf)))
		return e;
	char *sealed = NULL;
	if (!(b = json_object()) || pa__set_str(b, "ref_code", ref_code) ||
	    pa__set_str(b, "pid", m->pid)) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto out;
	}
	/* §3.2: md5(ref_code . pid . secret) (money.payatom form) */
	e = pa_sign_refund_post_hash(m->secret, pa_part(ref_code),
				     pa_part(m->pid), NULL, &sealed, errbuf);
	if ((e = pa__set_sealed(b, e, sealed, errbuf)) ||
	    (e = pa__req_v2_key(m, req, errbuf)))
		goto out;
	if (amount_minor && pa__set_int(b, "amount", amount_minor / 100))
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
out:
	return pa__req_finish(e, req, b, out, errbuf);
}
