/* report_replies.c -- what the answer to a report call becomes.
 * Owns: parsing each report's reply (through libpayatom), the report event
 *       of each answer, which reconciliation rows are corrections and the
 *       poll each correction asks for, failed calls.
 * Not here: scheduling, budgets and sending calls (reports.c), record
 *           layout (report_event.c), request building and reply parsing
 *           (libpayatom api_report.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/redact.h"
#include "reports/reports_int.h"

void pw__reports_call_unlink(pw_reports_t *r, rcall_t *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		r->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	r->ncalls--;
}

void pw__reports_fail(pw_reports_t *r, rcall_t *c, const char *reason)
{
	r->st.failures++;
	pw__reports_count(r, c->kind, "error");
	pw_log(r->o.log, PW_LOG_WARN, "report failed",
	       PW_KV_STR("merchant", c->rm->name),
	       PW_KV_STR("report", pw_report_kind_name(c->kind)),
	       PW_KV_STR("date", c->iso), PW_KV_STR("reason", reason));
	char why[PA_ERRBUF_SIZE + 128];
	if (c->iso[0])
		snprintf(why, sizeof why, "date=%s: %s", c->iso, reason);
	else
		snprintf(why, sizeof why, "%s", reason);
	pw__reports_publish_report(r, c->rm->name,
		       pw__reports_event(r, c->rm, c->rm->name, c->kind,
				  c->command_id, why));
}

/* Publishes the correction of row it against ord, then has the worker
 * poll the order (its normal path publishes the real transition). */
static void correction(pw_reports_t *r, rcall_t *c, const pa_recon_item_t *it,
		       const pw_order_t *ord)
{
	char oid[PW_ID_MAX];
	snprintf(oid, sizeof oid, "%s", ord->order_id);
	pa_status_t prev = (pa_status_t)ord->status;
	json_t *ev = pw_report_correction_new(
		c->rm->name, c->kind == PW_REPORT_PAYOUT_RECON, c->iso, it, ord,
		pw_report_currency(c->rm->m), pw__reports_now_ms(r));
	r->st.corrections++;
	if (r->m_corrections)
		pw_counter_inc(pw_counter_get(r->m_corrections,
					      pw_report_kind_name(c->kind)));
	pw_log(r->o.log, PW_LOG_WARN, "reconciliation disagrees with state",
	       PW_KV_STR("merchant", c->rm->name), PW_KV_STR("order_id", oid),
	       PW_KV_STR("state", pa_status_name(prev)),
	       PW_KV_STR("gateway", pa_status_name(it->status)));
	pw__reports_publish(r, r->o.topic_evt_payment, oid, ev);
	if (r->o.poll)
		r->o.poll(r->o.poll_ud, oid);
}

static int disagrees(const rcall_t *c, const pa_recon_item_t *it,
		     const pw_order_t *ord)
{
	int kind = c->kind == PW_REPORT_PAYOUT_RECON ? PW_KIND_PAYOUT
						     : PW_KIND_PAYIN;
	return ord->kind == kind && !strcmp(ord->merchant, c->rm->name) &&
	       it->status != PA_STATUS_UNRESOLVED &&
	       pa_status_can_move((pa_status_t)ord->status, it->status);
}

/* The report, then a correction per row of an order held here that the
 * gateway has further on (spec §4 transitions). */
static void recon_done(pw_reports_t *r, rcall_t *c,
		       const pa_recon_result_t *res)
{
	char why[PA_ERRBUF_SIZE + 32];
	snprintf(why, sizeof why, "date=%s: %s", c->iso,
		 res->message ? res->message : "Success");
	json_t *ev = pw__reports_event(r, c->rm, c->rm->name, c->kind, c->command_id,
				why);
	pw_report_event_recon(ev, res);
	pw__reports_publish_report(r, c->rm->name, ev);
	if (!r->o.lookup)
		return;
	for (size_t i = 0; i < res->n_items; i++) {
		const pa_recon_item_t *it = &res->items[i];
		if (!it->order_id || !*it->order_id)
			continue;
		const pw_order_t *ord = r->o.lookup(r->o.lookup_ud,
						    it->order_id);
		if (ord && disagrees(c, it, ord))
			correction(r, c, it, ord);
	}
}

static void balance_done(pw_reports_t *r, rcall_t *c,
			 const pa_wallet_balance_result_t *res)
{
	json_t *ev = pw__reports_event(r, c->rm, c->rm->name, c->kind, c->command_id,
				res->message);
	pw_report_event_balance(ev, res);
	pw__reports_publish_report(r, c->rm->name, ev);
}

static void summary_done(pw_reports_t *r, rcall_t *c,
			 const pa_wallet_summary_result_t *res)
{
	char why[PA_ERRBUF_SIZE + 32];
	snprintf(why, sizeof why, "date=%s%s%s", c->iso,
		 res->message ? ": " : "", res->message ? res->message : "");
	json_t *ev = pw__reports_event(r, c->rm, c->rm->name, c->kind, c->command_id,
				why);
	pw_report_event_summary(ev, res);
	pw__reports_publish_report(r, c->rm->name, ev);
}

static void data_done(pw_reports_t *r, rcall_t *c,
		      const pa_wallet_data_result_t *res)
{
	json_t *ev = pw__reports_event(r, c->rm, c->rm->name, c->kind, c->command_id,
				NULL);
	pw_report_event_data(ev, res);
	pw__reports_publish_report(r, c->rm->name, ev);
	if (!c->scheduled)
		return;
	/* spec §10.7 needs an account number: the scheduled summary covers
	 * the active accounts wallet data lists, today (UTC) by c_date */
	char iso[11], gw[11];
	pw__reports_day_text(pw__reports_day_of(pw__reports_now_ms(r)), iso, gw);
	int sent = 0;
	for (size_t i = 0; i < res->n_accounts; i++) {
		const pa_wallet_data_account_t *a = &res->accounts[i];
		if (!a->active || !a->account_no || !*a->account_no)
			continue;
		if (sent++ >= r->o.max_summary_accounts)
			break;
		pw__reports_send(r, c->rm, PW_REPORT_WALLET_SUMMARY, 1, NULL, iso,
			    gw, a->account_no, "c_date");
	}
}

void pw__reports_on_reply(pa_client_t *cli, const pa_reply_t *rep, void *ud)
{
	(void)cli;
	rcall_t *c = ud;
	pw_reports_t *r = c->r;
	pw__reports_call_unlink(r, c);
	char eb[PA_ERRBUF_SIZE + 64] = "";
	pa_err_t err = rep->err;
	if (err != PA_OK) {
		snprintf(eb, sizeof eb, "%s: %s", pa_err_name(err),
			 rep->errmsg[0] ? rep->errmsg : pa_strerror(err));
		pw__reports_fail(r, c, eb);
		free(c);
		return;
	}
	const pa_merchant_t *m = c->rm->m;
	switch (c->kind) {
	case PW_REPORT_PAYIN_RECON:
	case PW_REPORT_PAYOUT_RECON: {
		pa_recon_result_t res = {0};
		err = pa_parse_recon(m, rep->body, rep->body_len, &res, eb);
		if (err == PA_OK)
			recon_done(r, c, &res);
		pa_recon_result_clear(&res);
		break;
	}
	case PW_REPORT_WALLET_BALANCE:
	case PW_REPORT_P2P_WALLET_BALANCE: {
		pa_wallet_balance_result_t res = {0};
		err = pa_parse_wallet_balance(m, rep->body, rep->body_len, &res,
					      eb);
		if (err == PA_OK)
			balance_done(r, c, &res);
		pa_wallet_balance_result_clear(&res);
		break;
	}
	case PW_REPORT_WALLET_SUMMARY: {
		pa_wallet_summary_result_t res = {0};
		err = pa_parse_wallet_summary(rep->body, rep->body_len, &res,
					      eb);
		if (err == PA_OK)
			summary_done(r, c, &res);
		pa_wallet_summary_result_clear(&res);
		break;
	}
	case PW_REPORT_WALLET_DATA: {
		pa_wallet_data_result_t res = {0};
		err = pa_parse_wallet_data(rep->body, rep->body_len, &res, eb);
		if (err == PA_OK)
			data_done(r, c, &res);
		pa_wallet_data_result_clear(&res);
		break;
	}
	default:
		err = PA_INTERNAL;
		snprintf(eb, sizeof eb, "unknown report");
	}
	if (err == PA_LIMIT && c->kind == PW_REPORT_PAYOUT_RECON) {
		/* the gateway counts more than we did (a restart, another
		 * worker with the pid): nothing more today */
		c->rm->budget->payout_calls = r->o.payout_daily_limit;
	}
	if (err != PA_OK) {
		char why[PA_ERRBUF_SIZE + 96];
		snprintf(why, sizeof why, "%s: %s", pa_err_name(err),
			 eb[0] ? eb : pa_strerror(err));
		pw__reports_fail(r, c, why);
	} else {
		pw__reports_count(r, c->kind, "ok");
	}
	free(c);
}
