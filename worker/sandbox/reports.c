/* reports.c -- endpoints computed from the orders the sandbox holds.
 * Owns: payin / payout reconciliation (with the daily limit), P2P and V2
 *       wallet balance, wallet transaction summary, wallet data, complaint
 *       submit / view.
 * Not here: serving and faults (routes.c), the order store (orders.c).
 *
 * Amount units: reconciliation and V2 balance say "Integer (in smallest
 * currency unit)" but their samples are whole units (spec §2.2, §12.7); the
 * sandbox answers whole units, the unit every request uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sandbox/sbx_int.h"

static int is_paid(const char *st)
{
	return !strcmp(st, "Approved") || !strcmp(st, "Late Approved") ||
	       !strcmp(st, "Amount Mismatch");
}

static json_int_t major(int64_t minor)
{
	return (json_int_t)(minor / 100);
}

/* ---- reconciliation (spec §3.3, §10.5, §10.6) -------------------------- */

/* Token header + body pid/date/signature. Messages are the section names
 * of the docs' "Error Responses" (bodies NOT FOUND, spec §10.5). */
static sbx_merchant_t *recon_auth(sbx_ctx_t *c, int *day)
{
	const char *tok = pw_http_header(c->req, "Token");
	if (!tok || !*tok) {
		sbx__err(c, 200, "Unauthorized Access");
		return NULL;
	}
	const char *pid = sbx__field(c, "pid");
	const char *date = json_string_value(json_object_get(c->body, "date"));
	const char *sig = json_string_value(json_object_get(c->body,
							    "signature"));
	if (!pid || !date || !sig || !*date || !*sig) {
		sbx__err(c, 200, "Missing Parameters");
		return NULL;
	}
	sbx_merchant_t *m = sbx__merchant(c->sbx, pid);
	if (!m) {
		sbx__err(c, 200, "Invalid User");
		return NULL;
	}
	if (!m->token[0] ||
	    !pa_const_eq(tok, strlen(tok), m->token, strlen(m->token)) ||
	    !sbx__ip_allowed(m, pw_http_client_ip(c->req))) {
		sbx__err(c, 200, "Unauthorized Access");
		return NULL;
	}
	if ((*day = sbx__parse_date(date)) < 0) {
		sbx__err(c, 200, "Invalid Date Format");
		return NULL;
	}
	if (!sbx__check_recon_sig(m, date, sig)) {
		sbx__err(c, 200, "Verification Failed");
		return NULL;
	}
	return m;
}

static json_t *recon_item(const sbx_order_t *o, const char *amt_key)
{
	char t1[64], t2[64];
	sbx__time_text(o->created, t1, sizeof t1);
	sbx__time_text(o->changed, t2, sizeof t2);
	json_t *e = json_object();
	json_object_set_new(e, "orderCreateDateTime", json_string(t1));
	json_object_set_new(e, "statusChangeDateTime", json_string(t2));
	json_object_set_new(e, "order_id", json_string(o->order_id));
	json_object_set_new(e, "ref_code", json_string(o->ref_code));
	json_object_set_new(e, "amount_requested",
			    json_integer(major(o->amount_minor)));
	json_object_set_new(e, amt_key, json_integer(major(o->received_minor)));
	json_object_set_new(e, "transaction_status", json_string(o->status));
	json_object_set_new(e, "bank_ref", json_string(o->bank_ref));
	return e;
}

/* spec §10.5: the payin transactions of a pid created on `date` (UTC). */
void sbx__ep_recon_payin(sbx_ctx_t *c)
{
	int day;
	sbx_merchant_t *m = recon_auth(c, &day);
	if (!m)
		return;
	json_t *data = json_array();
	for (size_t i = 0; i < c->sbx->norders; i++) {
		const sbx_order_t *o = c->sbx->orders[i];
		if (o->m == m && o->kind == SBX_PAYIN &&
		    sbx__day_of(o->created) == day)
			json_array_append_new(data,
					      recon_item(o, "amount_received"));
	}
	c->out = json_pack("{s:s,s:s,s:o}", "status", "success", "message",
			   "Success", "data", data);
}

/* spec §10.6: approved payouts of a pid on `date`; at most
 * --recon-daily-limit calls per pid per UTC day (authenticated calls
 * count, rejected ones do not). */
void sbx__ep_recon_payout(sbx_ctx_t *c)
{
	int day;
	sbx_merchant_t *m = recon_auth(c, &day);
	if (!m)
		return;
	int today = sbx__day_of(time(NULL));
	if (m->recon_day != today) {
		m->recon_day = today;
		m->recon_calls = 0;
	}
	if (m->recon_calls >= c->sbx->cfg.recon_limit) {
		sbx__err(c, 200,
			 "Daily limit of %lld requests reached for this pid",
			 (long long)c->sbx->cfg.recon_limit);
		return;
	}
	m->recon_calls++;
	json_t *data = json_array();
	for (size_t i = 0; i < c->sbx->norders; i++) {
		const sbx_order_t *o = c->sbx->orders[i];
		if (o->m == m && o->kind == SBX_PAYOUT &&
		    !strcmp(o->status, "Approved") &&
		    sbx__day_of(o->changed) == day)
			json_array_append_new(data,
					      recon_item(o, "amount_processed"));
	}
	c->out = json_pack("{s:s,s:s,s:o}", "status", "success", "message",
			   "Success", "data", data);
}

/* ---- balances ----------------------------------------------------------- */

typedef struct totals {
	int64_t payin, payout;
} totals_t;

static totals_t totals(const sbx_t *sbx, const sbx_merchant_t *m)
{
	totals_t t = {0, 0};
	for (size_t i = 0; i < sbx->norders; i++) {
		const sbx_order_t *o = sbx->orders[i];
		if (o->m != m)
			continue;
		if (o->kind == SBX_PAYIN && is_paid(o->status))
			t.payin += o->received_minor;
		else if (o->kind == SBX_PAYOUT &&
			 !strcmp(o->status, "Approved"))
			t.payout += o->amount_minor;
	}
	return t;
}

static const char *bearer(const char *h)
{
	if (h && !strncasecmp(h, "Bearer ", 7))
		return h + 7;
	return h;
}

/* spec §10.2: Authorization: <token>, email, verification_code =
 * md5(password). Error bodies NOT FOUND: the reconciliation names. */
void sbx__ep_wallet_balance(sbx_ctx_t *c)
{
	const char *tok = bearer(pw_http_header(c->req, "Authorization"));
	if (!tok || !*tok) {
		sbx__err(c, 200, "Unauthorized Access");
		return;
	}
	const char *email = json_string_value(json_object_get(c->body,
							      "email"));
	const char *code = json_string_value(json_object_get(
		c->body, "verification_code"));
	if (!email || !code) {
		sbx__err(c, 200, "Missing Parameters");
		return;
	}
	sbx_merchant_t *m = NULL;
	for (int i = 0; i < c->sbx->nmerchants; i++)
		if (!strcasecmp(c->sbx->merchants[i].email, email))
			m = &c->sbx->merchants[i];
	if (!m || !m->email[0]) {
		sbx__err(c, 200, "Invalid User");
		return;
	}
	if (!pa_const_eq(tok, strlen(tok), m->token, strlen(m->token))) {
		sbx__err(c, 200, "Unauthorized Access");
		return;
	}
	if (!m->password_md5[0] ||
	    !pa_const_eq(code, strlen(code), m->password_md5, 32)) {
		sbx__err(c, 200, "Verification Failed");
		return;
	}
	totals_t t = totals(c->sbx, m);
	char used[32], limit[32];
	snprintf(used, sizeof used, "%lld", (long long)(t.payin / 100));
	snprintf(limit, sizeof limit, "%d", 1000000);
	c->out = json_pack(
		"{s:s,s:{s:s,s:s},s:{s:[{s:s,s:s,s:s,s:s,s:s}],"
		"s:[{s:s,s:s,s:s,s:s,s:s,s:s}]}}",
		"status", "success", "operator_details", "name",
		"Sandbox Operator", "email", m->email, "wallets", "upi",
		"account", "SandboxAccount", "upi", "sandbox.collect@upi",
		"minimum_balance", "0", "limit_volume", limit, "usage_volume",
		used, "imps_upi", "account_holder", "Sandbox Holder",
		"account_number", m->account, "bank", "sandbox bank",
		"minimum_balance", "0", "limit_volume", limit, "usage_volume",
		used);
}

/* spec §10.3: the one V2 endpoint with real HTTP codes. */
void sbx__ep_wallet_balance_v2(sbx_ctx_t *c)
{
	sbx_merchant_t *m = sbx__auth_v2(c, 1);
	if (!m)
		return;
	totals_t t = totals(c->sbx, m);
	c->out = json_pack("{s:s,s:s,s:{s:s,s:I,s:I,s:I}}", "status",
			   "success", "message", "Balance fetched successfully",
			   "user_balance", "pid", m->pid, "payin_balance",
			   major(t.payin), "payout_balance",
			   major(m->payout_float_minor - t.payout),
			   "payin_matured_balance", major(t.payin));
}

/* ---- bot APIs (spec §10.7, §10.8): Api-Key, every error 401 ------------ */

static sbx_merchant_t *operator_auth(sbx_ctx_t *c)
{
	const char *key = pw_http_header(c->req, "Api-Key");
	if (!key || !*key) {
		sbx__err(c, 401, "Api-Key header missing");
		return NULL;
	}
	for (int i = 0; i < c->sbx->nmerchants; i++) {
		sbx_merchant_t *m = &c->sbx->merchants[i];
		if (m->operator_key[0] &&
		    pa_const_eq(key, strlen(key), m->operator_key,
				strlen(m->operator_key)))
			return m;
	}
	sbx__err(c, 401, "Invalid or unauthorized Api-Key");
	return NULL;
}

static const char *bucket(const char *st)
{
	if (is_paid(st))
		return "success";
	if (!strcmp(st, "Pending"))
		return "pending";
	if (!strncmp(st, "Refund", 6))
		return "refunded";
	return "failed";
}

void sbx__ep_wallet_summary(sbx_ctx_t *c)
{
	sbx_merchant_t *m = operator_auth(c);
	if (!m)
		return;
	const char *acct = sbx__field(c, "account_number");
	if (!acct) {
		/* the doc shows a sample instead of this message (§12.12) */
		sbx__err(c, 401, "Account Number is missing");
		return;
	}
	char account[64];
	snprintf(account, sizeof account, "%s", acct);
	const char *type = sbx__field(c, "filter_date_type");
	if (!type) {
		sbx__err(c, 401, "Filter Date Type is missing");
		return;
	}
	int by_action = !strcmp(type, "action_date");
	if (!by_action && strcmp(type, "c_date") != 0) {
		sbx__err(c, 401, "Un Supported Filter Type");
		return;
	}
	const char *date = sbx__field(c, "filter_date");
	if (!date) {
		sbx__err(c, 401, "Filter Date is missing");
		return;
	}
	int day = sbx__parse_date(date);
	if (day < 0) {
		sbx__err(c, 401, "Invalid Filter Date Format");
		return;
	}
	if (strcmp(account, m->account) != 0) {
		c->out = json_pack("{s:s,s:{},s:s}", "status", "success",
				   "data", "message", "No wallets found");
		return;
	}
	json_t *data = json_object();
	for (size_t i = 0; i < c->sbx->norders; i++) {
		const sbx_order_t *o = c->sbx->orders[i];
		if (o->m != m || o->kind != SBX_PAYIN)
			continue;
		if (sbx__day_of(by_action ? o->changed : o->created) != day)
			continue;
		const char *b = bucket(o->status);
		json_t *e = json_object_get(data, b);
		if (!e) {
			e = json_pack("{s:i,s:I,s:I,s:s}", "transaction_count",
				      0, "received_amount", (json_int_t)0,
				      "request_amount", (json_int_t)0,
				      "status", b);
			json_object_set_new(data, b, e);
		}
		json_object_set_new(
			e, "transaction_count",
			json_integer(json_integer_value(json_object_get(
					     e, "transaction_count")) +
				     1));
		json_object_set_new(
			e, "received_amount",
			json_integer(json_integer_value(json_object_get(
					     e, "received_amount")) +
				     major(o->received_minor)));
		json_object_set_new(
			e, "request_amount",
			json_integer(json_integer_value(json_object_get(
					     e, "request_amount")) +
				     major(o->amount_minor)));
	}
	c->out = json_pack("{s:s,s:o}", "status", "success", "data", data);
}

void sbx__ep_wallet_data(sbx_ctx_t *c)
{
	sbx_merchant_t *m = operator_auth(c);
	if (!m)
		return;
	totals_t t = totals(c->sbx, m);
	char used[32], bal[32];
	snprintf(used, sizeof used, "%lld", (long long)(t.payin / 100));
	snprintf(bal, sizeof bal, "%lld", (long long)(t.payin / 100));
	json_t *acc = json_pack(
		"{s:s,s:s,s:n,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "account_detail",
		"Sandbox collection account", "upi", "sandbox.collect@upi",
		"phone_number", "status", "Active", "account_no", m->account,
		"usage_enable", "1", "usage_volum", used, "limit_volum",
		"1000000", "rolling_balance", bal, "available_limit",
		(json_int_t)(1000000 - t.payin / 100));
	c->out = json_pack("{s:s,s:{s:{s:i,s:[o]},s:{s:i,s:[]}}}", "status",
			   "success", "data", "active", "count", 1, "accounts",
			   acc, "inactive", "count", 0, "accounts");
}

/* ---- complaint (spec §10.4; response and view endpoint NOT FOUND) ------- */

/* Authorization: Bearer <token> (or "Token", spec §12.10), pid, and the
 * signature (submit: order_id + ref_code; view: complaint_id). */
static sbx_merchant_t *complaint_auth(sbx_ctx_t *c, int view)
{
	const char *tok = bearer(pw_http_header(c->req, "Authorization"));
	if (!tok || !*tok)
		tok = pw_http_header(c->req, "Token");
	if (!tok || !*tok) {
		sbx__err(c, 200, "Unauthorized Access");
		return NULL;
	}
	static const char *const sub[] = {"pid", "order_id", "ref_code",
					  "signature", NULL};
	static const char *const vw[] = {"pid", "complaint_id", "signature",
					 NULL};
	if (!sbx__require(c, view ? vw : sub))
		return NULL;
	sbx_merchant_t *m = sbx__merchant(c->sbx, sbx__field(c, "pid"));
	if (!m) {
		sbx__err(c, 200, "Invalid User");
		return NULL;
	}
	if (!pa_const_eq(tok, strlen(tok), m->token, strlen(m->token)) ||
	    !sbx__ip_allowed(m, pw_http_client_ip(c->req))) {
		sbx__err(c, 200, "Unauthorized Access");
		return NULL;
	}
	char a[96], b[96], sig[80];
	snprintf(a, sizeof a, "%s",
		 sbx__field(c, view ? "complaint_id" : "order_id"));
	snprintf(b, sizeof b, "%s", view ? "" : sbx__field(c, "ref_code"));
	snprintf(sig, sizeof sig, "%s", sbx__field(c, "signature"));
	if (!sbx__check_complaint_sig(m, a, b, sig)) {
		sbx__err(c, 200, "Verification Failed");
		return NULL;
	}
	return m;
}

static void complaint_reply(sbx_ctx_t *c, const sbx_order_t *ord,
			    const char *msg)
{
	c->out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "status", "success",
			   "message", msg, "complaint_id", ord->complaint_id,
			   "complaint_status", ord->complaint_status,
			   "order_id", ord->order_id, "ref_code",
			   ord->ref_code);
}

void sbx__ep_complaint_submit(sbx_ctx_t *c)
{
	sbx_merchant_t *m = complaint_auth(c, 0);
	if (!m)
		return;
	const char *oid = sbx__field(c, "order_id");
	if (!oid) {
		sbx__err(c, 200, "order_id is required field");
		return;
	}
	char o[64];
	snprintf(o, sizeof o, "%s", oid);
	sbx_order_t *ord = sbx__order_by_ref(c->sbx, sbx__field(c, "ref_code"));
	if (!ord || ord->m != m || strcmp(ord->order_id, o) != 0) {
		sbx__err(c, 200, "Reference code not found.");
		return;
	}
	if (ord->complaint_id[0]) {
		sbx__err(c, 200, "Complaint already exists: %s",
			 ord->complaint_id);
		return;
	}
	snprintf(ord->complaint_id, sizeof ord->complaint_id, "CMP%08llu",
		 (unsigned long long)++c->sbx->complaint_seq);
	snprintf(ord->complaint_status, sizeof ord->complaint_status, "Open");
	complaint_reply(c, ord, "Complaint submitted successfully");
}

void sbx__ep_complaint_view(sbx_ctx_t *c)
{
	sbx_merchant_t *m = complaint_auth(c, 1);
	if (!m)
		return;
	const char *id = sbx__field(c, "complaint_id");
	for (size_t i = 0; i < c->sbx->norders; i++) {
		sbx_order_t *ord = c->sbx->orders[i];
		if (ord->m == m && !strcmp(ord->complaint_id, id)) {
			complaint_reply(c, ord, "Complaint found");
			return;
		}
	}
	sbx__err(c, 200, "Complaint not found");
}
