/* reports.c -- reconciliation and wallet reports, scheduled or on command.
 * Owns: the schedule timer, the payout reconciliation budget per pid, the
 *       report calls in flight, report_request commands and their dedup
 *       ring.
 * Not here: what an answer becomes and which rows are corrections
 *           (report_replies.c), record layout (report_event.c), Kafka
 *           (the publish callback),
 *           order state and polling (the worker, through the lookup / poll
 *           callbacks), request building and reply parsing (libpayatom
 *           api_report.c). */
#include "reports/reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config_worker.h"
#include "core/redact.h"
#include "core/loop_curl.h"
#include "payatom/api.h"

#include "reports/reports_int.h"

void pw_reports_opts_default(pw_reports_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->topic_evt_report = "payatom.evt.report";
	o->topic_evt_payment = "payatom.evt.payment";
	o->payout_daily_limit = 10; /* spec §10.6 */
	o->payout_reserve = 1;
	o->max_summary_accounts = 16;
}

pa_err_t pw_reports_opts_from_config(const pw_config_t *cfg,
				     pw_reports_opts_t *o,
				     pw_reports_wallet_t **wallets)
{
	const pw_worker_conf_t *wc = pw_config_struct(cfg);
	pw_reports_opts_default(o);
	o->schedule_ms = wc->reports_schedule_ms;
	o->topic_evt_report = wc->topic_evt_report;
	o->topic_evt_payment = wc->topic_evt_payment;
	size_t n = pw_config_profile_count(cfg);
	*wallets = calloc(n ? n : 1, sizeof **wallets);
	if (!*wallets)
		return PA_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const pw_merchant_conf_t *mc = pw_config_profile(cfg, i);
		if (!mc->wallet_email || !*mc->wallet_email ||
		    !mc->wallet_password || !*mc->wallet_password)
			continue;
		pw_reports_wallet_t *wl = &(*wallets)[o->n_wallets++];
		wl->merchant = pw_config_profile_name(cfg, i);
		wl->email = mc->wallet_email;
		wl->password = mc->wallet_password;
	}
	o->wallets = *wallets;
	return PA_OK;
}

/* ---- time ----------------------------------------------------------- */

int64_t pw__reports_now_ms(const pw_reports_t *r)
{
	if (r->o.now_ms)
		return r->o.now_ms(r->o.now_ud);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pw__reports_day_of(int64_t ms)
{
	return ms >= 0 ? ms / DAY_MS : (ms - DAY_MS + 1) / DAY_MS;
}

/* UTC day number -> "YYYY-MM-DD" (iso) and "DD-MM-YYYY" (gateway, spec
 * §10.5). */
void pw__reports_day_text(int64_t day, char iso[11], char gw[11])
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	if (strftime(iso, 11, "%Y-%m-%d", &tm) != 10 ||
	    strftime(gw, 11, "%d-%m-%Y", &tm) != 10)
		iso[0] = gw[0] = '\0'; /* years past 9999: builders refuse */
}

/* "YYYY-MM-DD" -> both forms; 0 when not of that shape (the calendar is
 * checked by libpayatom's builders). */
static int iso_to_gw(const char *s, char iso[11], char gw[11])
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	memcpy(iso, s, 10);
	iso[10] = '\0';
	snprintf(gw, 11, "%.2s-%.2s-%.4s", s + 8, s + 5, s);
	return 1;
}

/* ---- publishing ----------------------------------------------------- */

/* A WalletReportEvent of rm (NULL: a merchant not configured). New
 * reference. */
json_t *pw__reports_event(pw_reports_t *r, rmerchant_t *rm, const char *mname,
			  pw_report_kind_t kind, const char *command_id,
			  const char *reason)
{
	return pw_report_event_new(mname,
				   rm ? pw_report_currency(rm->m) : NULL, kind,
				   command_id, rm ? ++rm->seq[kind] : 0,
				   pw__reports_now_ms(r), reason);
}

void pw__reports_publish(pw_reports_t *r, const char *topic, const char *key,
		    json_t *rec)
{
	r->o.publish(r->o.publish_ud, topic, key, rec);
	json_decref(rec);
}

void pw__reports_publish_report(pw_reports_t *r, const char *mname, json_t *ev)
{
	r->st.events++;
	pw__reports_publish(r, r->o.topic_evt_report, mname, ev);
}

void pw__reports_count(pw_reports_t *r, pw_report_kind_t kind,
		       const char *outcome)
{
	if (r->m_calls)
		pw_counter_inc(pw_counter_get(r->m_calls,
					      pw_report_kind_name(kind),
					      outcome));
}

/* What a merchant lacks for kind; NULL when it can be called. */
static const char *missing(const rmerchant_t *rm, pw_report_kind_t kind)
{
	switch (kind) {
	case PW_REPORT_PAYIN_RECON:
	case PW_REPORT_PAYOUT_RECON:
		return rm->recon ? NULL : "no recon.token configured";
	case PW_REPORT_WALLET_BALANCE:
		return rm->bal_v2 ? NULL : "wallet balance V2 needs a V2 "
					   "merchant (api.version=2)";
	case PW_REPORT_P2P_WALLET_BALANCE:
		return rm->bal_p2p ? NULL
				   : "no wallet.token, wallet.email and "
				     "wallet.password configured";
	case PW_REPORT_WALLET_SUMMARY:
	case PW_REPORT_WALLET_DATA:
		return rm->bot ? NULL : "no bot.api.key configured";
	default:
		return "unknown report";
	}
}

/* spec §10.6: 10 payout reconciliations per day per pid. A scheduled call
 * leaves payout_reserve calls for commands. 1 when the call may be sent. */
static int payout_budget(pw_reports_t *r, rmerchant_t *rm, int scheduled)
{
	rmerchant_t *b = rm->budget;
	int64_t today = pw__reports_day_of(pw__reports_now_ms(r));
	if (b->payout_day != today) {
		b->payout_day = today;
		b->payout_calls = 0;
	}
	int keep = scheduled ? r->o.payout_reserve : 0;
	return b->payout_calls + keep < r->o.payout_daily_limit;
}

static void refuse(pw_reports_t *r, rmerchant_t *rm, pw_report_kind_t kind,
		   const char *command_id, const char *iso, const char *why)
{
	char text[PA_ERRBUF_SIZE + 64];
	snprintf(text, sizeof text, "%s%s%srefused locally: %s",
		 iso && *iso ? "date=" : "", iso && *iso ? iso : "",
		 iso && *iso ? ": " : "", why);
	pw__reports_count(r, kind, "refused");
	pw__reports_publish_report(r, rm->name,
		       pw__reports_event(r, rm, rm->name, kind, command_id, text));
}

/* 1 when a scheduled call like this one has not answered yet (a slow
 * gateway does not pile up rounds). */
static int still_running(const pw_reports_t *r, const rmerchant_t *rm,
			 pw_report_kind_t kind, const char *iso)
{
	for (const rcall_t *c = r->calls; c; c = c->next)
		if (c->scheduled && c->rm == rm && c->kind == kind &&
		    !strcmp(c->iso, iso ? iso : ""))
			return 1;
	return 0;
}

void pw__reports_send(pw_reports_t *r, rmerchant_t *rm,
			pw_report_kind_t kind, int scheduled,
			const char *command_id, const char *iso,
			const char *gwdate, const char *account,
			const char *filter_type)
{
	if (scheduled && kind != PW_REPORT_WALLET_SUMMARY &&
	    still_running(r, rm, kind, iso))
		return;
	const char *why = missing(rm, kind);
	if (why) {
		refuse(r, rm, kind, command_id, iso, why);
		return;
	}
	if (kind == PW_REPORT_PAYOUT_RECON && !payout_budget(r, rm, scheduled)) {
		r->st.payout_refused++;
		int64_t today = rm->budget->payout_day;
		if (scheduled && rm->budget->warned_day == today) {
			pw__reports_count(r, kind, "refused"); /* said so already today */
			return;
		}
		if (scheduled)
			rm->budget->warned_day = today;
		char msg[160];
		snprintf(msg, sizeof msg,
			 "payout reconciliation budget spent: %d of %d calls "
			 "today (UTC)%s (spec §10.6)",
			 rm->budget->payout_calls, r->o.payout_daily_limit,
			 scheduled ? ", the rest kept for commands" : "");
		pw_log(r->o.log, PW_LOG_WARN, "payout reconciliation not sent",
		       PW_KV_STR("merchant", rm->name),
		       PW_KV_INT("calls_today", rm->budget->payout_calls),
		       PW_KV_INT("limit", r->o.payout_daily_limit),
		       PW_KV_BOOL("scheduled", scheduled));
		if (!scheduled)
			refuse(r, rm, kind, command_id, iso, msg);
		else
			pw__reports_count(r, kind, "refused");
		return;
	}
	char eb[PA_ERRBUF_SIZE] = "";
	pa_request_t *req = NULL;
	pa_err_t err;
	const pa_merchant_t *m = rm->m;
	switch (kind) {
	case PW_REPORT_PAYIN_RECON:
		err = pa_build_recon(m, PA_OP_RECON_PAYIN, gwdate, &req, eb);
		break;
	case PW_REPORT_PAYOUT_RECON:
		err = pa_build_recon(m, PA_OP_RECON_PAYOUT, gwdate, &req, eb);
		break;
	case PW_REPORT_WALLET_BALANCE:
		err = pa_build_wallet_balance_v2(m, &req, eb);
		break;
	case PW_REPORT_P2P_WALLET_BALANCE: {
		size_t plen;
		const char *pw = pa_secret_bytes(rm->password, &plen);
		err = pa_build_wallet_balance(m, rm->email, pw, plen, &req, eb);
		break;
	}
	case PW_REPORT_WALLET_SUMMARY:
		err = pa_build_wallet_summary(m, account, filter_type, gwdate,
					      &req, eb);
		break;
	default:
		err = pa_build_wallet_data(m, &req, eb);
	}
	if (err != PA_OK) {
		refuse(r, rm, kind, command_id, iso, eb[0] ? eb : pa_strerror(err));
		return;
	}
	rcall_t *c = calloc(1, sizeof *c);
	if (!c) {
		pa_request_destroy(req);
		refuse(r, rm, kind, command_id, iso, "out of memory");
		return;
	}
	c->r = r;
	c->rm = rm;
	c->kind = kind;
	c->scheduled = scheduled;
	snprintf(c->iso, sizeof c->iso, "%s", iso ? iso : "");
	snprintf(c->command_id, sizeof c->command_id, "%s",
		 command_id ? command_id : "");
	err = pa_client_send(r->cli, req, pw__reports_on_reply, c, &c->call);
	pa_request_destroy(req);
	if (err != PA_OK) {
		free(c);
		refuse(r, rm, kind, command_id, iso,
		       pa_client_last_error(r->cli));
		return;
	}
	if (kind == PW_REPORT_PAYOUT_RECON)
		rm->budget->payout_calls++;
	r->st.calls++;
	c->next = r->calls;
	if (r->calls)
		r->calls->prev = c;
	r->calls = c;
	r->ncalls++;
}

/* ---- schedule --------------------------------------------------------- */

static void tick_merchant(pw_reports_t *r, rmerchant_t *rm, int64_t today)
{
	char iso[11], gw[11], yiso[11], ygw[11];
	pw__reports_day_text(today, iso, gw);
	pw__reports_day_text(today - 1, yiso, ygw);
	if (rm->recon) {
		pw__reports_send(r, rm, PW_REPORT_PAYIN_RECON, 1, NULL, iso, gw,
			    NULL, NULL);
		pw__reports_send(r, rm, PW_REPORT_PAYIN_RECON, 1, NULL, yiso, ygw,
			    NULL, NULL);
		if (rm->last_tick_day != today)
			pw__reports_send(r, rm, PW_REPORT_PAYOUT_RECON, 1, NULL,
				    yiso, ygw, NULL, NULL);
		pw__reports_send(r, rm, PW_REPORT_PAYOUT_RECON, 1, NULL, iso, gw,
			    NULL, NULL);
	}
	rm->last_tick_day = today;
	if (rm->bal_v2)
		pw__reports_send(r, rm, PW_REPORT_WALLET_BALANCE, 1, NULL, NULL,
			    NULL, NULL, NULL);
	else if (rm->bal_p2p)
		pw__reports_send(r, rm, PW_REPORT_P2P_WALLET_BALANCE, 1, NULL, NULL,
			    NULL, NULL, NULL);
	if (rm->bot)
		pw__reports_send(r, rm, PW_REPORT_WALLET_DATA, 1, NULL, NULL, NULL,
			    NULL, NULL);
}

void pw_reports_tick(pw_reports_t *r)
{
	int64_t today = pw__reports_day_of(pw__reports_now_ms(r));
	for (size_t i = 0; i < r->n; i++)
		tick_merchant(r, &r->rms[i], today);
}

static void on_timer(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)t;
	pw_reports_t *r = ud;
	r->timer = pw_timer_add(loop, r->o.schedule_ms, on_timer, r);
	pw_reports_tick(r);
}

/* ---- commands ------------------------------------------------------- */

static int seen_before(pw_reports_t *r, const char *id)
{
	for (size_t i = 0; i < DEDUP_N; i++)
		if (r->seen[i] && !strcmp(r->seen[i], id))
			return 1;
	free(r->seen[r->seen_pos]);
	r->seen[r->seen_pos] = strdup(id);
	r->seen_pos = (r->seen_pos + 1) % DEDUP_N;
	return 0;
}

static rmerchant_t *find_rm(pw_reports_t *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rms[i].name, name))
			return &r->rms[i];
	return NULL;
}

static const char *opt_str(const json_t *rec, const char *k)
{
	const char *s = json_string_value(json_object_get(rec, k));
	return s && *s ? s : NULL;
}

pa_err_t pw_reports_request(pw_reports_t *r, const json_t *rec, char *errbuf)
{
	const char *type = opt_str(rec, "type");
	const char *id = opt_str(rec, "command_id");
	const char *mname = opt_str(rec, "merchant");
	const char *rep = opt_str(rec, "report");
	if (type && strcmp(type, "report_request") != 0)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "type: not a report_request");
	if (!id || strlen(id) >= CMD_ID_MAX)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "command_id: required string of 1-%d chars",
				 CMD_ID_MAX - 1);
	if (!mname)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "merchant: required string");
	pw_report_kind_t kind = pw_report_kind_from_name(rep);
	if (seen_before(r, id)) {
		r->st.commands_duplicate++;
		return pa_seterr(errbuf, PA_DUPLICATE,
				 "command_id %s already handled", id);
	}
	r->st.commands++;
	rmerchant_t *rm = find_rm(r, mname);
	if (!rm) {
		char nm[80];
		pa_seterr(errbuf, PA_VALIDATION, "merchant %s is not configured",
			  pw_redact_name(mname, nm, sizeof nm));
		pw__reports_publish_report(r, mname,
			       pw__reports_event(r, NULL, mname, kind, id, errbuf));
		return PA_VALIDATION;
	}
	if (kind == PW_REPORT_UNKNOWN) {
		pa_seterr(errbuf, PA_VALIDATION, "report: unknown report '%s'",
			  rep ? rep : "");
		refuse(r, rm, kind, id, NULL, errbuf);
		return PA_VALIDATION;
	}
	char iso[11], gw[11];
	const char *date = opt_str(rec, "date");
	int64_t today = pw__reports_day_of(pw__reports_now_ms(r));
	int dated = kind == PW_REPORT_PAYIN_RECON ||
		    kind == PW_REPORT_PAYOUT_RECON ||
		    kind == PW_REPORT_WALLET_SUMMARY;
	if (!dated)
		iso[0] = gw[0] = '\0';
	else if (!date)
		/* schema: null = yesterday; the summary: today */
		pw__reports_day_text(kind == PW_REPORT_WALLET_SUMMARY ? today : today - 1,
			 iso, gw);
	else if (!iso_to_gw(date, iso, gw)) {
		pa_seterr(errbuf, PA_VALIDATION, "date: expected YYYY-MM-DD");
		refuse(r, rm, kind, id, NULL, errbuf);
		return PA_VALIDATION;
	}
	const char *acct = opt_str(rec, "account_number");
	const char *ftype = opt_str(rec, "filter_date_type");
	if (kind == PW_REPORT_WALLET_SUMMARY && !acct) {
		pa_seterr(errbuf, PA_VALIDATION,
			  "account_number: required for "
			  "WALLET_TRANSACTION_SUMMARY (spec §10.7)");
		refuse(r, rm, kind, id, iso, errbuf);
		return PA_VALIDATION;
	}
	pw__reports_send(r, rm, kind, 0, id, iso, gw, acct,
		    ftype ? ftype : "c_date");
	return PA_OK;
}

/* ---- life ------------------------------------------------------------- */

static pa_err_t setup_merchants(pw_reports_t *r, const pw_merchants_t *ms,
				const pw_reports_opts_t *o, char *errbuf)
{
	r->n = pw_merchants_count(ms);
	r->rms = calloc(r->n ? r->n : 1, sizeof *r->rms);
	if (!r->rms)
		return PA_NOMEM;
	for (size_t i = 0; i < r->n; i++) {
		rmerchant_t *rm = &r->rms[i];
		rm->m = pw_merchants_at(ms, i, &rm->name);
		rm->last_tick_day = -1;
		rm->payout_day = -1;
		rm->warned_day = -1;
		rm->budget = rm;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(r->rms[j].m->pid, rm->m->pid)) {
				rm->budget = r->rms[j].budget;
				break;
			}
		rm->recon = rm->m->recon_token && *rm->m->recon_token;
		rm->bal_v2 = rm->m->api_version == PA_API_V2;
		rm->bot = rm->m->bot_api_key && *rm->m->bot_api_key;
	}
	for (size_t i = 0; i < o->n_wallets; i++) {
		const pw_reports_wallet_t *wl = &o->wallets[i];
		rmerchant_t *rm = wl->merchant ? find_rm(r, wl->merchant) : NULL;
		if (!rm)
			return pa_seterr(errbuf, PA_CONFIG,
					 "reports: wallet login for unknown "
					 "merchant '%s'",
					 wl->merchant ? wl->merchant : "");
		if (!wl->email || !*wl->email || !wl->password ||
		    !*wl->password)
			continue;
		free(rm->email);
		pa_secret_destroy(rm->password);
		rm->password = NULL;
		rm->email = strdup(wl->email);
		if (!rm->email || pa_secret_new(wl->password,
						strlen(wl->password),
						&rm->password) != PA_OK)
			return PA_NOMEM;
		rm->bal_p2p = rm->m->balance_token && *rm->m->balance_token;
	}
	return PA_OK;
}

static void log_skips(pw_reports_t *r)
{
	for (size_t i = 0; i < r->n; i++) {
		rmerchant_t *rm = &r->rms[i];
		const char *what[3];
		int n = 0;
		if (!rm->recon)
			what[n++] = "reconciliation";
		if (!rm->bal_v2 && !rm->bal_p2p)
			what[n++] = "wallet-balance";
		if (!rm->bot)
			what[n++] = "wallet-summary/wallet-data";
		if (!n)
			continue;
		char skipped[128];
		snprintf(skipped, sizeof skipped, "%s%s%s%s%s", what[0],
			 n > 1 ? "," : "", n > 1 ? what[1] : "",
			 n > 2 ? "," : "", n > 2 ? what[2] : "");
		pw_log(r->o.log, PW_LOG_INFO,
		       "scheduled reports skipped: no credentials",
		       PW_KV_STR("merchant", rm->name),
		       PW_KV_STR("skipped", skipped));
	}
}

pa_err_t pw_reports_new(pw_loop_t *loop, const pw_merchants_t *ms,
			pa_client_t *cli, const pw_reports_opts_t *opts,
			pw_reports_t **out, char *errbuf)
{
	if (!loop || !ms || !opts || !opts->publish || !out)
		return pa_seterr(errbuf, PA_INVAL,
				 "reports: loop, merchants and a publish "
				 "callback are required");
	pw_reports_t *r = calloc(1, sizeof *r);
	if (!r)
		return PA_NOMEM;
	r->loop = loop;
	r->o = *opts;
	r->o.wallets = NULL;
	r->o.n_wallets = 0;
	pw_reports_opts_t d;
	pw_reports_opts_default(&d);
	if (!r->o.topic_evt_report)
		r->o.topic_evt_report = d.topic_evt_report;
	if (!r->o.topic_evt_payment)
		r->o.topic_evt_payment = d.topic_evt_payment;
	if (r->o.payout_daily_limit <= 0)
		r->o.payout_daily_limit = d.payout_daily_limit;
	if (r->o.payout_reserve < 0)
		r->o.payout_reserve = 0;
	if (r->o.max_summary_accounts <= 0)
		r->o.max_summary_accounts = d.max_summary_accounts;
	pa_err_t err = setup_merchants(r, ms, opts, errbuf);
	if (err != PA_OK)
		goto fail;
	if (cli) {
		r->cli = cli;
	} else {
		if ((err = pa_client_new(&opts->client, &r->cli)) != PA_OK) {
			pa_seterr(errbuf, err, "reports: cannot start client");
			goto fail;
		}
		r->own_cli = 1;
		if ((err = pw_loop_curl_attach(loop, r->cli, &r->lc)) !=
		    PA_OK) {
			pa_seterr(errbuf, err, "reports: cannot attach client");
			goto fail;
		}
	}
	if (opts->metrics) {
		r->m_calls = pw_metrics_counter(
			opts->metrics, "payatom_report_calls_total",
			"Report calls by report and outcome (ok, error, "
			"refused: not sent, e.g. payout reconciliation budget)",
			(const char *const[]){"report", "outcome", NULL});
		r->m_corrections = pw_metrics_counter(
			opts->metrics, "payatom_report_corrections_total",
			"Reconciliation rows that disagreed with an order",
			(const char *const[]){"report", NULL});
	}
	log_skips(r);
	if (r->o.schedule_ms > 0)
		r->timer = pw_timer_add(loop, r->o.schedule_ms, on_timer, r);
	*out = r;
	return PA_OK;
fail:
	pw_reports_destroy(r);
	return err;
}

void pw_reports_destroy(pw_reports_t *r)
{
	if (!r)
		return;
	if (r->timer)
		pw_timer_cancel(r->loop, r->timer);
	while (r->calls) {
		rcall_t *c = r->calls;
		pa_client_cancel(r->cli, c->call);
		pw__reports_call_unlink(r, c);
		free(c);
	}
	if (r->own_cli) {
		pw_loop_curl_detach(r->lc);
		pa_client_destroy(r->cli);
	}
	for (size_t i = 0; r->rms && i < r->n; i++) {
		free(r->rms[i].email);
		pa_secret_destroy(r->rms[i].password);
	}
	free(r->rms);
	for (size_t i = 0; i < DEDUP_N; i++)
		free(r->seen[i]);
	free(r);
}

void pw_reports_stats(const pw_reports_t *r, pw_reports_stats_t *st)
{
	*st = r->st;
}

int pw_reports_payout_calls_today(const pw_reports_t *r, const char *merchant)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rms[i].name, merchant)) {
			const rmerchant_t *b = r->rms[i].budget;
			return b->payout_day == pw__reports_day_of(pw__reports_now_ms(r))
				       ? b->payout_calls
				       : 0;
		}
	return -1;
}

size_t pw_reports_in_flight(const pw_reports_t *r)
{
	return r->ncalls;
}
