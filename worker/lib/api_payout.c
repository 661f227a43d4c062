/* api_payout.c -- payouts: India IMPS/UPI, Bangladesh wallets.
 * Owns: pa_build_payout (spec §8.4, §8.7, §9.6, assumption A6),
 *       pa_parse_payout.
 * Not here: payout status polling (api_payin.c, pa_build_status with
 *           PA_OP_PAYOUT_STATUS), payout reconciliation (api_report.c). */
#include <ctype.h>
#include <string.h>

#include "api_internal.h"

/* §9.6 writes "Bkash, Nagad, Rocket" (capital B, unlike the payin pages):
 * we accept any case and send the payout page's spelling. */
static const char *const bd_payout_wallets[] = {"Bkash", "Nagad", "Rocket",
						NULL};

/* IFSC: 4 letters, '0', 6 letters/digits (RBI format). */
static int is_ifsc(const char *s)
{
	if (strlen(s) != 11 || s[4] != '0')
		return 0;
	for (int i = 0; i < 4; i++)
		if (!isupper((unsigned char)s[i]))
			return 0;
	for (int i = 5; i < 11; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static pa_err_t check_payout(const pa_merchant_t *m, const pa_payout_req_t *r,
			     const char **wallet, char *errbuf)
{
	pa_err_t e;
	*wallet = NULL;
	/* §8.4 V1 table and §9.6: "10 to 13 alphanumeric". */
	if ((e = pa__check_order_id(m, r->order_id, 10, 13, "§8.4", errbuf)) ||
	    (e = pa__check_amount("amount", r->amount_minor, "§8.4", errbuf)))
		return e;
	switch (r->mode) {
	case PA_PAYOUT_IMPS:
		if (m->country != PA_COUNTRY_IN)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "payment_mode: imps is India only "
					 "(spec §8.4)");
		if ((e = pa__need("account_holder", r->account_holder, 100,
				  "§8.4", errbuf)) ||
		    (e = pa__need("bank", r->bank, 100, "§8.4", errbuf)))
			return e;
		if (!pa__given(r->account_no) || !pa__all_digits(r->account_no) ||
		    strlen(r->account_no) < 9 || strlen(r->account_no) > 18)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "account_no: must be 9-18 digits "
					 "(spec §8.4)");
		if (!pa__given(r->ifsc) || !is_ifsc(r->ifsc))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "ifsc: must be 11 characters "
					 "AAAA0XXXXXX (spec §8.4)");
		return PA_OK;
	case PA_PAYOUT_UPI:
		if (m->country != PA_COUNTRY_IN)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "payment_mode: upi is India only "
					 "(spec §8.7)");
		if ((e = pa__need("account_holder", r->account_holder, 100,
				  "§8.7", errbuf)) ||
		    (e = pa__need("upi_id", r->upi_id, 100, "§8.7", errbuf)))
			return e;
		if (!strchr(r->upi_id, '@') || r->upi_id[0] == '@' ||
		    strchr(r->upi_id, ' '))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "upi_id: must be a UPI id like "
					 "name@bank (spec §8.7)");
		return PA_OK;
	case PA_PAYOUT_WALLET:
		if (m->country != PA_COUNTRY_BD)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "payment_mode: wallet is Bangladesh "
					 "only (spec §9.6)");
		/* BD mobile wallets: 01XXXXXXXXX (11 digits); Rocket adds a
		 * check digit (12). */
		if (!pa__given(r->account_no) || !pa__all_digits(r->account_no) ||
		    strncmp(r->account_no, "01", 2) ||
		    strlen(r->account_no) < 11 || strlen(r->account_no) > 12)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "account_no: must be a wallet number "
					 "of 11-12 digits starting 01 (spec "
					 "§9.6)");
		if (!pa__given(r->wallet_type))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "wallet_type: required (spec §9.6)");
		*wallet = pa__one_of(r->wallet_type, bd_payout_wallets);
		if (!*wallet)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "wallet_type: must be one of Bkash, "
					 "Nagad, Rocket (spec §9.6)");
		return PA_OK;
	}
	return pa_seterr(errbuf, PA_VALIDATION, "payment_mode: unknown");
}

pa_err_t pa_build_payout(const pa_merchant_t *m, const pa_payout_req_t *r,
			 pa_request_t **out, char *errbuf)
{
	const char *wallet;
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if (!m || !r || !out)
		return pa_seterr(errbuf, PA_INVAL, "payout: NULL argument");
	if ((e = pa_merchant_check(m, errbuf)) ||
	    (e = check_payout(m, r, &wallet, errbuf)))
		return e;
	int v2 = m->api_version == PA_API_V2;
	static const char *const mode[] = {"imps", "upi", "wallet"};
	if ((e = pa__req_new(m, PA_OP_PAYOUT, "POST",
			     v2 ? "/payout/api/v2/request.php"
				: "/payout/api/request.php",
			     &req, errbuf)))
		return e;
	memcpy(req->order_id, r->order_id, strlen(r->order_id) + 1);
	e = PA_NOMEM;
	if (!(b = json_object()) ||
	    pa__set_str(b, "payment_mode", mode[r->mode]) ||
	    pa__set_str(b, "pid", m->pid) ||
	    pa__set_str(b, "order_id", r->order_id) ||
	    pa__set_int(b, "amount", r->amount_minor / 100))
		goto fail;
	switch (r->mode) {
	case PA_PAYOUT_IMPS:
		if (pa__set_str(b, "account_holder", r->account_holder) ||
		    pa__set_str(b, "account_no", r->account_no) ||
		    pa__set_str(b, "bank", r->bank) ||
		    pa__set_str(b, "ifsc", r->ifsc))
			goto fail;
		break;
	case PA_PAYOUT_UPI:
		if (pa__set_str(b, "account_holder", r->account_holder) ||
		    pa__set_str(b, "upi_id", r->upi_id))
			goto fail;
		break;
	case PA_PAYOUT_WALLET:
		if (pa__set_str(b, "account_no", r->account_no) ||
		    pa__set_str(b, "wallet_type", wallet))
			goto fail;
		break;
	}
	if (v2 && ((e = pa__sign_v2(m, b, errbuf)) ||
		   (e = pa__req_v2_key(m, req, errbuf))))
		goto out;
	e = PA_NOMEM;
	if (pa__req_body(req, b))
		goto fail;
	return pa__req_done(PA_OK, req, b, out);
fail:
	pa_seterr(errbuf, e, "payout: out of memory");
out:
	return pa__req_done(e, req, b, out);
}

void pa_payout_result_clear(pa_payout_result_t *res)
{
	if (res)
		pa__reply_clear(res, sizeof(*res), res->json_, NULL);
}

pa_err_t pa_parse_payout(const char *body, size_t len, pa_payout_result_t *res,
			 char *errbuf)
{
	json_t *root;
	pa_err_t e;
	if ((e = pa__reply_open(res, sizeof(*res), "payout", body, len, &root,
				errbuf)))
		return e;
	res->json_ = root;
	res->ref_code = pa__jstr(root, "ref_code");
	res->status = pa__jstr(root, "status");
	res->message = pa__jstr(root, "message");
	if (!pa__given(res->ref_code)) {
		e = pa_seterr(errbuf, PA_PARSE, "ref_code: missing (spec §8.4)");
		goto fail;
	}
	return PA_OK;
fail:
	pa_payout_result_clear(res);
	return e;
}
