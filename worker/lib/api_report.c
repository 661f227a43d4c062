/* api_report.c -- reconciliation and wallet reports.
 * Owns: payin/payout reconciliation (spec §10.5, §10.6), wallet balance V1
 *       and V2 (§10.2, §10.3), wallet transaction summary (§10.7), wallet
 *       data (§10.8): builders and parsers.
 * Not here: shared helpers (api_common.c), payments (api_payin.c,
 *           api_payout.c). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api_internal.h"

/* Whole units unless the merchant says report amounts are minor units
 * (§11, §12.7). */
static int whole_units(const pa_merchant_t *m)
{
	return !m || !m->report_amounts_minor;
}

/* ---- reconciliation ---- */

pa_err_t pa_build_recon(const pa_merchant_t *m, pa_op_t op, const char *date,
			pa_request_t **out, char *errbuf)
{
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if (!m || !out || (op != PA_OP_RECON_PAYIN && op != PA_OP_RECON_PAYOUT))
		return pa_seterr(errbuf, PA_INVAL, "recon: bad argument");
	if ((e = pa_merchant_check(m, errbuf)))
		return e;
	if ((e = pa__need_setting("recon_token", m->recon_token,
				  "for reconciliation (spec §10.5)", errbuf)))
		return e;
	if ((e = pa__check_date("date", date, "§10.5", errbuf)))
		return e;
	if ((e = pa__req_new(m, op, "POST",
			     op == PA_OP_RECON_PAYIN
				     ? "/api/reconcile_polling.php"
				     : "/payout/api/payout_reconcile_polling.php",
			     &req, errbuf)))
		return e;
	char sig[PA_SHA256_HEX_LEN + 1];
	if ((e = pa_sign_recon_sha256(m->secret, pa_part(m->pid),
				      pa_part(date), sig))) {
		pa_seterr(errbuf, e, "recon: signature failed");
	} else if (pa__req_header(req, "Token", m->recon_token) ||
		   !(b = json_object()) || pa__set_str(b, "pid", m->pid) ||
		   pa__set_str(b, "date", date) ||
		   pa__set_str(b, "signature", sig)) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
	}
	return pa__req_finish(e, req, b, out, errbuf);
}

void pa_recon_result_clear(pa_recon_result_t *res)
{
	if (res)
		pa__reply_clear(res, sizeof(*res), res->json_, res->items);
}

pa_err_t pa_parse_recon(const pa_merchant_t *m, const char *body, size_t len,
			pa_recon_result_t *res, char *errbuf)
{
	json_t *root;
	pa_err_t e;
	if ((e = pa__reply_open(res, sizeof(*res), "recon", body, len, &root,
				errbuf)))
		return e;
	res->json_ = root;
	res->message = pa__jstr(root, "message");
	json_t *data = json_object_get(root, "data");
	if (!data || json_is_null(data))
		return PA_OK; /* no transactions that day */
	if (!json_is_array(data)) {
		e = pa_seterr(errbuf, PA_PARSE, "data: must be an array");
		goto fail;
	}
	size_t n = json_array_size(data);
	if (n && !(res->items = calloc(n, sizeof(*res->items)))) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(data, i);
		pa_recon_item_t *ri = &res->items[i];
		if (!json_is_object(it)) {
			e = pa_seterr(errbuf, PA_PARSE,
				      "data[%zu]: must be an object", i);
			goto fail;
		}
		ri->order_create_time = pa__jstr(it, "orderCreateDateTime");
		ri->status_change_time = pa__jstr(it, "statusChangeDateTime");
		ri->order_id = pa__jstr(it, "order_id");
		ri->ref_code = pa__jstr(it, "ref_code");
		ri->transaction_status = pa__jstr(it, "transaction_status");
		ri->bank_ref = pa__jstr(it, "bank_ref");
		ri->status = ri->transaction_status
				     ? pa_status_from_raw(
					       ri->transaction_status,
					       strlen(ri->transaction_status))
				     : PA_STATUS_UNRESOLVED;
		/* §12.2: payin amount_received, payout amount_processed. */
		const char *settled = json_object_get(it, "amount_processed")
					      ? "amount_processed"
					      : "amount_received";
		if (!ri->order_id) {
			e = pa_seterr(errbuf, PA_PARSE,
				      "data[%zu].order_id: missing", i);
			goto fail;
		}
		if ((e = pa__jmoney(it, "amount_requested", whole_units(m),
				    &ri->amount_requested_minor, errbuf)) ||
		    (e = pa__jmoney(it, settled, whole_units(m),
				    &ri->amount_settled_minor, errbuf)))
			goto fail;
		res->n_items++;
	}
	return PA_OK;
fail:
	pa_recon_result_clear(res);
	return e;
}

/* ---- wallet balance ---- */

pa_err_t pa_build_wallet_balance(const pa_merchant_t *m, const char *email,
				 const char *password, size_t password_len,
				 pa_request_t **out, char *errbuf)
{
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	char md5[PA_MD5_HEX_LEN + 1];
	if ((e = pa__req_args(m, out, "balance", errbuf)) ||
	    (e = pa__need_setting("balance_token", m->balance_token,
				  "for the wallet balance (spec §10.2)",
				  errbuf)))
		return e;
	if ((e = pa__need("email", email, 254, "§10.2", errbuf)))
		return e;
	if (!password || !password_len)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "password: required (spec §10.2)");
	if ((e = pa__req_new(m, PA_OP_WALLET_BALANCE, "POST",
			     "/api/wallet_balance.php", &req, errbuf)))
		return e;
	/* §3.5: verification_code = md5(password); the password lives only
	 * in a pa_secret_t (wiped on destroy). */
	pa_secret_t *pw = NULL;
	if ((e = pa_secret_new(password, password_len, &pw)) ||
	    (e = pa_sign_wallet_verification_code(pw, md5))) {
		pa_secret_destroy(pw);
		pa_request_destroy(req);
		return pa_seterr(errbuf, e, "password: cannot hash");
	}
	pa_secret_destroy(pw);
	if (pa__req_header(req, "Authorization", m->balance_token) ||
	    !(b = json_object()) || pa__set_str(b, "email", email) ||
	    pa__set_str(b, "verification_code", md5))
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
	OPENSSL_cleanse(md5, sizeof(md5));
	return pa__req_finish(e, req, b, out, errbuf);
}

pa_err_t pa_build_wallet_balance_v2(const pa_merchant_t *m,
				    pa_request_t **out, char *errbuf)
{
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if ((e = pa__req_args(m, out, "balance", errbuf)))
		return e;
	if (m->api_version != PA_API_V2)
		return pa_seterr(errbuf, PA_UNSUPPORTED,
				 "wallet balance V2 needs a V2 merchant with "
				 "an api_key (spec §10.3)");
	if ((e = pa__req_new(m, PA_OP_WALLET_BALANCE_V2, "POST",
			     "/api/v2/wallet_balance.php", &req, errbuf)))
		return e;
	/* §10.3 documents the charset on this content type. */
	free(req->headers[0].value);
	if (!(req->headers[0].value =
		      strdup("application/json; charset=utf-8")) ||
	    !(b = json_object()) || pa__set_str(b, "pid", m->pid)) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto out;
	}
	if (!(e = pa__sign_v2(m, b, errbuf)))
		e = pa__req_v2_key(m, req, errbuf);
out:
	return pa__req_finish(e, req, b, out, errbuf);
}

void pa_wallet_balance_result_clear(pa_wallet_balance_result_t *res)
{
	if (res)
		pa__reply_clear(res, sizeof(*res), res->json_, res->accounts);
}

/* §10.2: minimum_balance, limit_volume, usage_volume (strings, whole units). */
static pa_err_t volumes(json_t *it, pa_wallet_account_t *a, char *errbuf)
{
	pa_err_t e;
	if ((e = pa__jmoney(it, "minimum_balance", 1,
			    &a->minimum_balance_minor, errbuf)) ||
	    (e = pa__jmoney(it, "limit_volume", 1, &a->limit_volume_minor,
			    errbuf)) ||
	    (e = pa__jmoney(it, "usage_volume", 1, &a->usage_volume_minor,
			    errbuf)))
		return e;
	return PA_OK;
}

static pa_err_t v1_wallets(json_t *w, pa_wallet_balance_result_t *res,
			   char *errbuf)
{
	json_t *upi = json_object_get(w, "upi");
	json_t *bank = json_object_get(w, "imps_upi");
	size_t nu = json_is_array(upi) ? json_array_size(upi) : 0;
	size_t nb = json_is_array(bank) ? json_array_size(bank) : 0;
	pa_err_t e;
	if (nu + nb == 0)
		return PA_OK;
	if (!(res->accounts = calloc(nu + nb, sizeof(*res->accounts))))
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	for (size_t i = 0; i < nu + nb; i++) {
		int is_bank = i >= nu;
		json_t *it = is_bank ? json_array_get(bank, i - nu)
				     : json_array_get(upi, i);
		pa_wallet_account_t *a = &res->accounts[i];
		if (!json_is_object(it))
			return pa_seterr(errbuf, PA_PARSE,
					 "wallets.%s[%zu]: must be an object",
					 is_bank ? "imps_upi" : "upi",
					 is_bank ? i - nu : i);
		a->is_bank = is_bank;
		a->account = pa__jstr(it, "account");
		a->upi = pa__jstr(it, "upi");
		a->account_holder = pa__jstr(it, "account_holder");
		a->account_number = pa__jstr(it, "account_number");
		if (!a->account_number) /* the sample's typo (§10.2, §12.14) */
			a->account_number = pa__jstr(it, "Account_number");
		a->bank = pa__jstr(it, "bank");
		if ((e = volumes(it, a, errbuf)))
			return e;
		res->n_accounts++;
	}
	return PA_OK;
}

pa_err_t pa_parse_wallet_balance(const pa_merchant_t *m, const char *body,
				 size_t len, pa_wallet_balance_result_t *res,
				 char *errbuf)
{
	json_t *root;
	pa_err_t e;
	if ((e = pa__reply_open(res, sizeof(*res), "balance", body, len, &root,
				errbuf)))
		return e;
	res->json_ = root;
	res->message = pa__jstr(root, "message");
	json_t *op = json_object_get(root, "operator_details");
	if (json_is_object(op)) {
		res->operator_name = pa__jstr(op, "name");
		res->operator_email = pa__jstr(op, "email");
	}
	json_t *w = json_object_get(root, "wallets");
	if (json_is_object(w) && (e = v1_wallets(w, res, errbuf)))
		goto fail;
	json_t *ub = json_object_get(root, "user_balance");
	if (json_is_object(ub)) {
		res->has_v2 = 1;
		res->v2_pid = pa__jstr(ub, "pid");
		if ((e = pa__jmoney(ub, "payin_balance", whole_units(m),
				    &res->payin_balance_minor, errbuf)) ||
		    (e = pa__jmoney(ub, "payout_balance", whole_units(m),
				    &res->payout_balance_minor, errbuf)) ||
		    (e = pa__jmoney(ub, "payin_matured_balance",
				    whole_units(m),
				    &res->payin_matured_balance_minor, errbuf)))
			goto fail;
	}
	if (!json_is_object(w) && !res->has_v2) {
		e = pa_seterr(errbuf, PA_PARSE,
			      "neither wallets (V1) nor user_balance (V2)");
		goto fail;
	}
	return PA_OK;
fail:
	pa_wallet_balance_result_clear(res);
	return e;
}

/* ---- wallet transaction summary (§10.7) ---- */

static pa_err_t bot_key(const pa_merchant_t *m, pa_request_t *req,
			char *errbuf)
{
	if (pa__req_header(req, "Api-Key", m->bot_api_key))
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	return PA_OK;
}

pa_err_t pa_build_wallet_summary(const pa_merchant_t *m,
				 const char *account_number,
				 const char *filter_date_type,
				 const char *filter_date, pa_request_t **out,
				 char *errbuf)
{
	static const char *const types[] = {"action_date", "c_date", NULL};
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if ((e = pa__req_args(m, out, "summary", errbuf)) ||
	    (e = pa__need_setting("bot_api_key", m->bot_api_key,
				  "(spec §10.7)", errbuf)))
		return e;
	if ((e = pa__need("account_number", account_number, 64, "§10.7",
			  errbuf)))
		return e;
	if (!pa__given(filter_date_type) ||
	    (strcmp(filter_date_type, types[0]) != 0 &&
	     strcmp(filter_date_type, types[1]) != 0))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "filter_date_type: must be action_date or "
				 "c_date (spec §10.7)");
	if ((e = pa__check_date("filter_date", filter_date, "§10.7", errbuf)))
		return e;
	if ((e = pa__req_new(m, PA_OP_WALLET_SUMMARY, "POST",
			     "/bot/api_v2/account_deposit.php", &req,
			     errbuf)) ||
	    (e = bot_key(m, req, errbuf)))
		goto out;
	if (!(b = json_object()) ||
	    pa__set_str(b, "account_number", account_number) ||
	    pa__set_str(b, "filter_date_type", filter_date_type) ||
	    pa__set_str(b, "filter_date", filter_date))
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
out:
	return pa__req_finish(e, req, b, out, errbuf);
}

void pa_wallet_summary_result_clear(pa_wallet_summary_result_t *res)
{
	if (res)
		pa__reply_clear(res, sizeof(*res), res->json_, res->groups);
}

pa_err_t pa_parse_wallet_summary(const char *body, size_t len,
				 pa_wallet_summary_result_t *res,
				 char *errbuf)
{
	json_t *root;
	pa_err_t e;
	if ((e = pa__reply_open(res, sizeof(*res), "summary", body, len, &root,
				errbuf)))
		return e;
	res->json_ = root;
	res->message = pa__jstr(root, "message");
	json_t *data = json_object_get(root, "data");
	if (!data || json_is_null(data) ||
	    (json_is_array(data) && !json_array_size(data)))
		return PA_OK; /* "no wallets found" answers carry a message */
	if (!json_is_object(data)) {
		e = pa_seterr(errbuf, PA_PARSE, "data: must be an object");
		goto fail;
	}
	size_t n = json_object_size(data);
	if (n && !(res->groups = calloc(n, sizeof(*res->groups)))) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto fail;
	}
	const char *key;
	json_t *g;
	json_object_foreach(data, key, g)
	{
		pa_wallet_summary_group_t *sg = &res->groups[res->n_groups];
		if (!json_is_object(g)) {
			e = pa_seterr(errbuf, PA_PARSE,
				      "data.%.40s: must be an object", key);
			goto fail;
		}
		sg->key = key;
		sg->status = pa__jstr(g, "status");
		if ((e = pa__jint(g, "transaction_count",
				  &sg->transaction_count, NULL, errbuf)) ||
		    (e = pa__jmoney(g, "received_amount", 1,
				    &sg->received_amount_minor, errbuf)) ||
		    (e = pa__jmoney(g, "request_amount", 1,
				    &sg->request_amount_minor, errbuf)))
			goto fail;
		res->n_groups++;
	}
	return PA_OK;
fail:
	pa_wallet_summary_result_clear(res);
	return e;
}

/* ---- wallet data (§10.8) ---- */

pa_err_t pa_build_wallet_data(const pa_merchant_t *m, pa_request_t **out,
			      char *errbuf)
{
	pa_request_t *req = NULL;
	pa_err_t e;
	if ((e = pa__req_args(m, out, "wallet data", errbuf)) ||
	    (e = pa__need_setting("bot_api_key", m->bot_api_key,
				  "(spec §10.8)", errbuf)))
		return e;
	if (!(e = pa__req_new(m, PA_OP_WALLET_DATA, "GET",
			      "/bot/api_v2/account_status.php", &req,
			      errbuf)))
		e = bot_key(m, req, errbuf);
	return pa__req_done(e, req, NULL, out);
}

void pa_wallet_data_result_clear(pa_wallet_data_result_t *res)
{
	if (res)
		pa__reply_clear(res, sizeof(*res), res->json_, res->accounts);
}

static pa_err_t data_group(json_t *grp, const char *name, int active,
			   pa_wallet_data_result_t *res, int64_t *count,
			   size_t *at, char *errbuf)
{
	pa_err_t e;
	if (!grp || json_is_null(grp))
		return PA_OK;
	if (!json_is_object(grp))
		return pa_seterr(errbuf, PA_PARSE, "data.%s: must be an object",
				 name);
	if ((e = pa__jint(grp, "count", count, NULL, errbuf)))
		return e;
	json_t *acc = json_object_get(grp, "accounts");
	for (size_t i = 0; json_is_array(acc) && i < json_array_size(acc);
	     i++) {
		json_t *it = json_array_get(acc, i);
		pa_wallet_data_account_t *a = &res->accounts[(*at)++];
		if (!json_is_object(it))
			return pa_seterr(errbuf, PA_PARSE,
					 "data.%s.accounts[%zu]: must be an "
					 "object",
					 name, i);
		a->active = active;
		a->account_detail = pa__jstr(it, "account_detail");
		a->upi = pa__jstr(it, "upi");
		a->phone_number = pa__jstr(it, "phone_number");
		a->status = pa__jstr(it, "status");
		a->account_no = pa__jstr(it, "account_no");
		a->usage_enable = pa__jstr(it, "usage_enable");
		/* §10.8: the gateway spells them usage_volum / limit_volum;
		 * the full spelling is accepted too. */
		a->usage_volume = pa__jstr(it, "usage_volum");
		if (!a->usage_volume)
			a->usage_volume = pa__jstr(it, "usage_volume");
		a->limit_volume = pa__jstr(it, "limit_volum");
		if (!a->limit_volume)
			a->limit_volume = pa__jstr(it, "limit_volume");
		a->rolling_balance = pa__jstr(it, "rolling_balance");
		int has;
		if ((e = pa__jint(it, "available_limit", &a->available_limit,
				  &has, errbuf)))
			return e;
		a->has_available_limit = has;
		res->n_accounts++;
	}
	return PA_OK;
}

pa_err_t pa_parse_wallet_data(const char *body, size_t len,
			      pa_wallet_data_result_t *res, char *errbuf)
{
	json_t *root;
	pa_err_t e;
	if ((e = pa__reply_open(res, sizeof(*res), "wallet data", body, len,
				&root, errbuf)))
		return e;
	res->json_ = root;
	json_t *data = json_object_get(root, "data");
	if (!json_is_object(data)) {
		e = pa_seterr(errbuf, PA_PARSE, "data: must be an object");
		goto fail;
	}
	json_t *act = json_object_get(data, "active");
	json_t *ina = json_object_get(data, "inactive");
	size_t n = 0;
	json_t *grp[2] = {act, ina};
	for (int i = 0; i < 2; i++) {
		json_t *acc = json_object_get(grp[i], "accounts");
		if (json_is_array(acc))
			n += json_array_size(acc);
	}
	if (n && !(res->accounts = calloc(n, sizeof(*res->accounts)))) {
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto fail;
	}
	size_t at = 0;
	if ((e = data_group(act, "active", 1, res, &res->active_count, &at,
			    errbuf)) ||
	    (e = data_group(ina, "inactive", 0, res, &res->inactive_count, &at,
			    errbuf)))
		goto fail;
	return PA_OK;
fail:
	pa_wallet_data_result_clear(res);
	return e;
}
