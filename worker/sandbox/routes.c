/* routes.c -- the gateway endpoints of the sandbox.
 * Owns: the endpoint table (spec §14 paths, V1 and V2), payin / payout /
 *       status polling / refund / UTR submit.
 * Not here: how they are served, faults and latency (serve.c), field and
 *           credential checks (auth.c), reports, wallet and
 *           complaint endpoints (reports.c), the hosted page (page.c), order
 *           life (orders.c), the control API (control.c).
 *
 * Errors are HTTP 200 {"status":"error","message":...} as the gateway does
 * (spec §2.3; [I] saw V2 always answer 200), except where the spec
 * documents codes (V2 wallet balance §10.3, bot APIs §10.7-§10.8). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "payatom/money.h"
#include "sandbox/sbx_int.h"

/* ---- common request checks -------------------------------------------- */

static sbx_merchant_t *auth(sbx_ctx_t *c)
{
	return c->v2 ? sbx__auth_v2(c, 0) : sbx__auth_v1(c);
}

/* spec §2.2, §12.7: integer whole units; strings of digits accepted. */
static int amount_field(sbx_ctx_t *c, int64_t *minor)
{
	json_t *v = json_object_get(c->body, "amount");
	if (!v || json_is_null(v) ||
	    (json_is_string(v) && json_string_length(v) == 0)) {
		sbx__err(c, 200, "amount is required field");
		return 0;
	}
	if (pa_money_from_json(v, minor, NULL) != PA_OK || *minor <= 0) {
		sbx__err(c, 200, "Invalid amount");
		return 0;
	}
	if (!pa_money_is_whole(*minor)) {
		sbx__err(c, 200, "amount must be a whole number");
		return 0;
	}
	return 1;
}

static int alnum_id(const char *s, size_t min, size_t max, int allow_dash)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    !(allow_dash && (s[i] == '-' || s[i] == '_')))
			return 0;
	return 1;
}

/* order_id rules differ by page (spec §2.2, §12.6); --order-id-rules doc
 * applies each page's rule, lenient accepts 1-64 of [A-Za-z0-9_-]. */
static int order_id_ok(sbx_ctx_t *c, const char *oid, const char *page)
{
	int doc = strcmp(c->sbx->cfg.order_id_rules, "doc") == 0;
	if (!alnum_id(oid, 1, 63, 1)) {
		sbx__err(c, 200, "Invalid order_id");
		return 0;
	}
	if (!doc)
		return 1;
	if (!strcmp(page, "hosted") && strlen(oid) < 10) {
		sbx__err(c, 200, "order_id must be at least 10 characters");
		return 0;
	}
	if (!strcmp(page, "payout") && !alnum_id(oid, 10, 13, 0)) {
		sbx__err(c, 200,
			 "order_id must be 10 to 13 alphanumeric characters");
		return 0;
	}
	return 1;
}

static const char *const bd_wallets[] = {"Nagad", "Rocket", "bKash", "Upay",
					 NULL};

/* spec §12.8: case differs between pages (bKash/Bkash): case-insensitive. */
static const char *wallet_ok(const char *w, int allow_upay)
{
	for (int i = 0; bd_wallets[i]; i++)
		if (!strcasecmp(w, bd_wallets[i]) && (allow_upay || i < 3))
			return bd_wallets[i];
	return NULL;
}

static sbx_order_t *create(sbx_ctx_t *c, sbx_merchant_t *m, int kind,
			   const char *product, const char *oid,
			   int64_t minor, const char *dup_msg)
{
	if (sbx__order_by_id(c->sbx, m->pid, oid)) {
		sbx__err(c, 200, "%s", dup_msg);
		return NULL;
	}
	sbx_order_t *ord = NULL;
	if (sbx__order_create(c->sbx, m, kind, product, oid, minor, &ord)) {
		sbx__err(c, 500, "internal error");
		return NULL;
	}
	ord->api_v2 = c->v2;
	const char *name = sbx__field(c, "name");
	if (name)
		snprintf(ord->name, sizeof ord->name, "%s", name);
	return ord;
}

static int v2_extra(sbx_ctx_t *c)
{
	/* spec §8.2 V2, §11: ip, latitude, longitude, customer_id required. */
	static const char *const v2f[] = {"ip", "latitude", "longitude",
					  "customer_id", NULL};
	return !c->v2 || sbx__require(c, v2f);
}

/* ---- payin: seamless (India UPI, BD wallet, Pakistan H2H) ------------- */

static void ep_payin_seamless(sbx_ctx_t *c)
{
	sbx_merchant_t *m = auth(c);
	if (!m)
		return;
	static const char *const req[] = {"order_id", "name", "email",
					  "phone", NULL};
	int64_t minor;
	if (!amount_field(c, &minor) || !sbx__require(c, req) ||
	    !v2_extra(c))
		return;
	char oid[64];
	snprintf(oid, sizeof oid, "%s", sbx__field(c, "order_id"));
	if (!order_id_ok(c, oid, "seamless"))
		return;
	const char *pk = sbx__field(c, "pak_wallet");
	const char *bd = sbx__field(c, "wallet_type");
	char amt[32];
	sbx__amount_text(minor, amt);
	if (pk) { /* spec §10.1 */
		if (strcmp(pk, "JAZZCASH") && strcmp(pk, "EASYPAISA")) {
			sbx__err(c, 200,
				 "We support only 'JAZZCASH', 'EASYPAISA'");
			return;
		}
		char wallet[16];
		snprintf(wallet, sizeof wallet, "%s", pk);
		const char *acct = sbx__field(c, "account_number");
		if (!acct) {
			sbx__err(c, 200, "account_number is required when "
					 "pak_wallet is provided");
			return;
		}
		if (strncmp(acct, "03", 2) != 0) {
			sbx__err(c, 200, "account_number must start with 03");
			return;
		}
		sbx_order_t *ord = create(c, m, SBX_PAYIN, "pk_h2h", oid, minor,
					  "Duplicate order_id found");
		if (!ord)
			return;
		snprintf(ord->wallet, sizeof ord->wallet, "%s", wallet);
		c->out = json_pack("{s:s,s:s,s:I,s:s}", "status", "success",
				   "ref_code", ord->ref_code, "amount",
				   (json_int_t)(minor / 100), "wallet", wallet);
		return;
	}
	if (bd) { /* spec §9.1, §9.4 */
		const char *w = wallet_ok(bd, 1);
		if (!w) {
			sbx__err(c, 200,
				 "We support only 'Nagad', 'Rocket', 'bKash'");
			return;
		}
		sbx_order_t *ord = create(c, m, SBX_PAYIN, "bd_wallet", oid,
					  minor, "Duplicate order_id found");
		if (!ord)
			return;
		snprintf(ord->wallet, sizeof ord->wallet, "%s", w);
		char url[512];
		snprintf(url, sizeof url, "%s/pay/connect.php?code=%s",
			 c->sbx->base_url, ord->hash_value);
		c->out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "status", "success",
				   "ref_code", ord->ref_code, "wallet_id",
				   "01700000000", "wallet_type", w,
				   "redirect_url", url);
		return;
	}
	/* India UPI (spec §8.1, §8.5): upi_id is the customer's VPA; V2 makes
	 * it optional ([I]). */
	const char *upi = sbx__field(c, "upi_id");
	if (!upi && !c->v2) {
		sbx__err(c, 200, "upi_id is required field");
		return;
	}
	sbx_order_t *ord = create(c, m, SBX_PAYIN, "upi_seamless", oid, minor,
				  "Duplicate order_id found");
	if (!ord)
		return;
	if (upi) {
		snprintf(ord->upi_id, sizeof ord->upi_id, "%s", upi);
		snprintf(ord->sender_upi, sizeof ord->sender_upi, "%s", upi);
	}
	char qr[512];
	snprintf(qr, sizeof qr,
		 "upi://pay?pa=sandbox.collect@upi&pn=PayAtomSandbox&am=%s&tn=%s"
		 "&cu=INR&mc=5411",
		 amt, oid);
	c->out = json_pack("{s:s,s:s,s:s}", "status", "success", "ref_code",
			   ord->ref_code, "qr_code", qr);
	if (c->v2) {
		char url[512];
		snprintf(url, sizeof url, "%s/pay/connect.php?code=%s",
			 c->sbx->base_url, ord->hash_value);
		json_object_set_new(c->out, "redirect_url", json_string(url));
		json_object_set_new(c->out, "amount", json_string(amt));
		json_object_set_new(c->out, "receiverVPA",
				    json_string("sandbox.collect@upi"));
	}
}

/* ---- payin: non-seamless hosted page (spec §8.2, §8.3, §9.2, §9.5) ---- */

static void ep_payin_hosted(sbx_ctx_t *c)
{
	sbx_merchant_t *m = auth(c);
	if (!m)
		return;
	static const char *const req[] = {"order_id", "name", "email",
					  "phone", NULL};
	int64_t minor;
	if (!sbx__require(c, req) || !amount_field(c, &minor) ||
	    !v2_extra(c))
		return;
	char oid[64];
	snprintf(oid, sizeof oid, "%s", sbx__field(c, "order_id"));
	if (!order_id_ok(c, oid, "hosted"))
		return;
	const char *bd = sbx__field(c, "wallet_type");
	const char *w = NULL;
	if (bd && !(w = wallet_ok(bd, 1))) {
		sbx__err(c, 200,
			 "We support only 'Nagad', 'Rocket', 'bKash', 'Upay'");
		return;
	}
	/* [P] spells this one "Found" (spec §8.2). */
	sbx_order_t *ord = create(c, m, SBX_PAYIN, "hosted", oid, minor,
				  "Duplicate order_id Found");
	if (!ord)
		return;
	if (w)
		snprintf(ord->wallet, sizeof ord->wallet, "%s", w);
	const char *ru = sbx__field(c, "redirect_url");
	if (ru)
		snprintf(ord->redirect_url, sizeof ord->redirect_url, "%s", ru);
	c->out = json_pack("{s:s,s:s}", "hash_value", ord->hash_value,
			   "status", "ok");
}

/* ---- payout (spec §8.4, §8.7, §9.6) ----------------------------------- */

static int64_t payout_used(sbx_t *sbx, const sbx_merchant_t *m)
{
	int64_t used = 0;
	for (size_t i = 0; i < sbx->norders; i++) {
		const sbx_order_t *o = sbx->orders[i];
		if (o->m == m && o->kind == SBX_PAYOUT &&
		    (!strcmp(o->status, "Approved") ||
		     !strcmp(o->status, "Pending")))
			used += o->amount_minor;
	}
	return used;
}

static void ep_payout(sbx_ctx_t *c)
{
	sbx_merchant_t *m = auth(c);
	if (!m)
		return;
	static const char *const req[] = {"payment_mode", "order_id", NULL};
	int64_t minor;
	if (!sbx__require(c, req) || !amount_field(c, &minor))
		return;
	char oid[64], mode[16];
	snprintf(oid, sizeof oid, "%s", sbx__field(c, "order_id"));
	snprintf(mode, sizeof mode, "%s", sbx__field(c, "payment_mode"));
	if (!order_id_ok(c, oid, "payout"))
		return;
	static const char *const imps[] = {"account_holder", "account_no",
					   "bank", "ifsc", NULL};
	static const char *const upi[] = {"upi_id", "account_holder", NULL};
	static const char *const wal[] = {"account_no", "wallet_type", NULL};
	const char *product;
	if (!strcmp(mode, "imps")) {
		if (!sbx__require(c, imps))
			return;
		const char *ifsc = sbx__field(c, "ifsc");
		/* IFSC: 4 letters, '0', 6 alphanumerics */
		int ok = strlen(ifsc) == 11 && ifsc[4] == '0';
		for (int i = 0; ok && i < 4; i++)
			ok = isupper((unsigned char)ifsc[i]);
		for (int i = 5; ok && i < 11; i++)
			ok = isalnum((unsigned char)ifsc[i]);
		if (!ok) {
			sbx__err(c, 200, "Invalid IFSC code");
			return;
		}
		product = "payout_imps";
	} else if (!strcmp(mode, "upi")) {
		if (!sbx__require(c, upi))
			return;
		product = "payout_upi";
	} else if (!strcmp(mode, "wallet")) {
		if (!sbx__require(c, wal))
			return;
		if (!wallet_ok(sbx__field(c, "wallet_type"), 1)) {
			sbx__err(c, 200,
				 "We support only 'Bkash', 'Nagad', 'Rocket'");
			return;
		}
		product = "payout_wallet";
	} else {
		sbx__err(c, 200, "Invalid payment_mode");
		return;
	}
	if (payout_used(c->sbx, m) + minor > m->payout_float_minor) {
		sbx__err(c, 200, "Insufficient balance");
		return;
	}
	sbx_order_t *ord = create(c, m, SBX_PAYOUT, product, oid, minor,
				  "Duplicate order_id found");
	if (!ord)
		return;
	/* spec §13: the payout response is NOT FOUND; only ref_code is
	 * promised. */
	c->out = json_pack("{s:s,s:s,s:s}", "status", "success", "message",
			   "Payout request accepted", "ref_code",
			   ord->ref_code);
}

/* ---- status polling (spec §6) ------------------------------------------ */

/* Finds the order a polling/refund/UTR request names and checks its
 * post_hash: md5(ref_code.pid.secret), or the legacy md5(order_id.pid.secret)
 * keyed by order_id (spec §12.3). */
static sbx_order_t *find_checked(sbx_ctx_t *c, sbx_merchant_t *m,
				 const char *utr)
{
	const char *ref = sbx__field(c, "ref_code");
	char key[80];
	sbx_order_t *ord = NULL;
	if (ref) {
		snprintf(key, sizeof key, "%s", ref);
		ord = sbx__order_by_ref(c->sbx, key);
	} else {
		const char *oid = sbx__field(c, "order_id");
		if (!oid) {
			sbx__err(c, 200, "ref_code is required field");
			return NULL;
		}
		snprintf(key, sizeof key, "%s", oid);
		ord = sbx__order_by_id(c->sbx, m->pid, key);
	}
	if (!ord || ord->m != m) {
		sbx__err(c, 200, "Reference code not found.");
		return NULL;
	}
	const char *ph = json_string_value(json_object_get(c->body,
							   "post_hash"));
	if (!ph) {
		sbx__err(c, 200, "post_hash is required field");
		return NULL;
	}
	if (utr ? !sbx__check_utr_hash(m, key, utr, ph)
		: !sbx__check_ref_hash(m, key, ph)) {
		sbx__err(c, 200, "Verification Failed");
		return NULL;
	}
	return ord;
}

static void ep_status(sbx_ctx_t *c)
{
	/* [I]: no V2 signature on polling; pid + post_hash authenticate.
	 * A V2 merchant sends X-Api-Key (api.h A5): checked when present. */
	sbx_merchant_t *m = sbx__auth_v1(c);
	if (!m)
		return;
	const char *key = pw_http_header(c->req, "X-Api-Key");
	if (key && *key &&
	    !pa_const_eq(key, strlen(key), m->api_key, strlen(m->api_key))) {
		sbx__err(c, 200, "Invalid API key");
		return;
	}
	sbx_order_t *ord = find_checked(c, m, NULL);
	if (!ord)
		return;
	char req[32], rec[32];
	sbx__amount_text(ord->amount_minor, req);
	sbx__amount_text(ord->received_minor, rec);
	char *ph = sbx__post_hash(m, ord->order_id, ord->received_minor,
				  ord->status, c->bad_hash);
	c->out = json_object();
	json_object_set_new(c->out, "order_id", json_string(ord->order_id));
	json_object_set_new(c->out, "ref_code", json_string(ord->ref_code));
	json_object_set_new(c->out, "upi_id",
			    json_string("sandbox.collect@upi"));
	json_object_set_new(c->out, "amount", json_string(req));
	json_object_set_new(c->out, "requested_amount", json_string(req));
	json_object_set_new(c->out, "received_amount", json_string(rec));
	json_object_set_new(c->out, "bank_ref", json_string(ord->bank_ref));
	json_object_set_new(c->out, "sender_upi",
			    json_string(ord->sender_upi));
	json_object_set_new(c->out, "webhook_acknowledged",
			    json_string(ord->webhook_acknowledged ? "1" : "0"));
	json_object_set_new(c->out, "status", json_string(ord->status));
	json_object_set_new(c->out, "post_hash", json_string(ph ? ph : ""));
	if (ord->refund)
		json_object_set_new(c->out, "refund_info",
				    sbx__refund_info(ord));
	free(ph);
}

/* ---- refund (spec §7 [P]) ---------------------------------------------- */

static void ep_refund(sbx_ctx_t *c)
{
	sbx_merchant_t *m = sbx__auth_v1(c);
	if (!m)
		return;
	sbx_order_t *ord = find_checked(c, m, NULL);
	if (!ord)
		return;
	if (ord->kind != SBX_PAYIN ||
	    (strcmp(ord->status, "Approved") &&
	     strcmp(ord->status, "Late Approved") &&
	     strcmp(ord->status, "Amount Mismatch"))) {
		sbx__err(c, 200, "Refund not allowed for this transaction");
		return;
	}
	int64_t minor = ord->received_minor;
	if (json_object_get(c->body, "amount")) {
		if (!amount_field(c, &minor))
			return;
		if (minor > ord->received_minor) {
			sbx__err(c, 200,
				 "Refund amount exceeds the received amount");
			return;
		}
	}
	sbx__order_refund(c->sbx, ord, minor);
	c->out = json_pack("{s:s,s:s,s:s}", "status", "success", "message",
			   "Refund Initiated", "ref_code", ord->ref_code);
}

/* ---- UTR submit (spec §7: collection_utr, NOT FOUND; sandbox shape:
 * {pid, ref_code, utr, post_hash = seal(md5(ref_code.pid.secret))}) ----- */

static void ep_utr(sbx_ctx_t *c)
{
	sbx_merchant_t *m = sbx__auth_v1(c);
	if (!m)
		return;
	const char *utr = sbx__field(c, "utr");
	if (!utr) {
		sbx__err(c, 200, "utr is required field");
		return;
	}
	char u[64];
	snprintf(u, sizeof u, "%s", utr);
	if (!alnum_id(u, 6, 32, 0)) {
		sbx__err(c, 200, "Invalid UTR");
		return;
	}
	sbx_order_t *ord = find_checked(c, m, u);
	if (!ord)
		return;
	for (size_t i = 0; i < c->sbx->norders; i++) {
		sbx_order_t *o = c->sbx->orders[i];
		if (o != ord && o->m == m && !strcmp(o->utr, u)) {
			sbx__err(c, 200, "UTR already submitted");
			return;
		}
	}
	snprintf(ord->utr, sizeof ord->utr, "%s", u);
	c->out = json_pack("{s:s,s:s,s:s}", "status", "success", "message",
			   "UTR submitted", "ref_code", ord->ref_code);
}

/* ---- the endpoint table ----------------------------------------------- */

const sbx_ep_t sbx__eps[] = {
	{"POST", "/api/request.php", ep_payin_seamless, 0},
	{"POST", "/api/v2/request.php", ep_payin_seamless, 1},
	{NULL, "/pay/request.php", ep_payin_hosted, 0}, /* GET or POST §12.5 */
	{"POST", "/pay/v2/request.php", ep_payin_hosted, 1},
	{NULL, "/pay/connect.php", sbx__ep_connect, 0},
	{"POST", "/payout/api/request.php", ep_payout, 0},
	{"POST", "/payout/api/v2/request.php", ep_payout, 1},
	{"POST", "/api/status_polling.php", ep_status, 0},
	{"POST", "/api/v2/status_polling.php", ep_status, 0},
	/* payout status: NOT FOUND, api.h A2 */
	{"POST", "/payout/api/status_polling.php", ep_status, 0},
	{"POST", "/api/refund.php", ep_refund, 0},
	{"POST", "/api/v2/refund.php", ep_refund, 0},
	{"POST", "/api/collection_utr.php", ep_utr, 0},
	{"POST", "/api/complaint/submit_complaint.php",
	 sbx__ep_complaint_submit, 0},
	{"POST", "/api/complaint/view_complaint.php", sbx__ep_complaint_view,
	 0},
	{"POST", "/api/reconcile_polling.php", sbx__ep_recon_payin, 0},
	{"POST", "/payout/api/payout_reconcile_polling.php",
	 sbx__ep_recon_payout, 0},
	{"POST", "/api/wallet_balance.php", sbx__ep_wallet_balance, 0},
	{"POST", "/api/v2/wallet_balance.php", sbx__ep_wallet_balance_v2, 1},
	{"POST", "/bot/api_v2/account_deposit.php", sbx__ep_wallet_summary,
	 0},
	{"GET", "/bot/api_v2/account_status.php", sbx__ep_wallet_data, 0},
};

const size_t sbx__n_eps = sizeof sbx__eps / sizeof sbx__eps[0];
