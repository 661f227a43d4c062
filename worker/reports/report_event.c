/* report_event.c -- the records the reports module publishes.
 * Owns: WalletReportEvent / ReconciliationEvent layout, event ids, account
 *       masking, reconciliation totals.
 * Not here: publishing and scheduling (reports.c). */
#include "reports/report_event.h"

#include <stdio.h>
#include <string.h>

#include "core/redact.h"
#include "payatom/crypto.h"
#include "payatom/money.h"

#define SCHEMA_VERSION 1

static const char *const kind_names[PW__REPORT_COUNT] = {
	"UNKNOWN",
	"PAYIN_RECONCILIATION",
	"PAYOUT_RECONCILIATION",
	"WALLET_BALANCE",
	"P2P_WALLET_BALANCE",
	"WALLET_TRANSACTION_SUMMARY",
	"WALLET_DATA",
};

const char *pw_report_kind_name(pw_report_kind_t k)
{
	return (unsigned)k < PW__REPORT_COUNT ? kind_names[k] : "UNKNOWN";
}

pw_report_kind_t pw_report_kind_from_name(const char *name)
{
	for (int k = 1; name && k < PW__REPORT_COUNT; k++)
		if (!strcmp(name, kind_names[k]))
			return (pw_report_kind_t)k;
	return PW_REPORT_UNKNOWN;
}

const char *pw_report_currency(const pa_merchant_t *m)
{
	switch (m->country) {
	case PA_COUNTRY_BD:
		return "BDT";
	case PA_COUNTRY_PK:
		return "PKR";
	default:
		return "INR";
	}
}

static void hash_id(const char *text, char out[PW_EVENT_ID_LEN + 1])
{
	char full[PA_SHA256_HEX_LEN + 1];
	pa_part_t p = {text, strlen(text)};
	pa_sha256_hex(&p, 1, full);
	memcpy(out, full, PW_EVENT_ID_LEN);
	out[PW_EVENT_ID_LEN] = '\0';
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

json_t *pw_report_event_new(const char *merchant, const char *currency,
			    pw_report_kind_t kind, const char *command_id,
			    int64_t sequence, int64_t at_ms, const char *reason)
{
	const char *kn = pw_report_kind_name(kind);
	char text[512], id[PW_EVENT_ID_LEN + 1];
	snprintf(text, sizeof text, "payatom-report|v1|%s|%s|%s|%lld|%lld",
		 merchant, kn, command_id && *command_id ? command_id : "-",
		 (long long)at_ms, (long long)sequence);
	hash_id(text, id);
	json_t *ev = json_object();
	json_object_set_new(ev, "event_type", json_string("wallet_report"));
	json_object_set_new(ev, "event_id", json_string(id));
	json_object_set_new(ev, "schema_version", json_integer(SCHEMA_VERSION));
	json_object_set_new(ev, "merchant", json_string(merchant));
	json_object_set_new(ev, "report", json_string(kn));
	json_object_set_new(ev, "command_id", str_or_null(command_id));
	json_object_set_new(ev, "sequence", json_integer(sequence));
	json_object_set_new(ev, "currency", str_or_null(currency));
	json_object_set_new(ev, "payin_balance_minor", json_null());
	json_object_set_new(ev, "payout_balance_minor", json_null());
	json_object_set_new(ev, "payin_matured_balance_minor", json_null());
	json_object_set_new(ev, "accounts", json_array());
	json_object_set_new(ev, "summary", json_array());
	json_object_set_new(ev, "occurred_at", json_integer(at_ms));
	json_object_set_new(ev, "reason", str_or_null(reason));
	return ev;
}

/* ---- figures ---------------------------------------------------------- */

/* One WalletAccount row; number (an account number or UPI id) masked. */
static json_t *account_row(const char *label, const char *number,
			   const char *kind, const char *status)
{
	char masked[96];
	const char *acc = label ? label : "";
	if (number && *number) {
		pw_redact(PW_RED_ACCOUNT, number, strlen(number), masked,
			  sizeof masked);
		acc = masked;
	}
	json_t *a = json_object();
	json_object_set_new(a, "account", json_string(acc));
	json_object_set_new(a, "kind", json_string(kind));
	json_object_set_new(a, "status", str_or_null(status));
	json_object_set_new(a, "minimum_balance_minor", json_null());
	json_object_set_new(a, "limit_minor", json_null());
	json_object_set_new(a, "usage_minor", json_null());
	json_object_set_new(a, "available_minor", json_null());
	return a;
}

static void set_money_text(json_t *a, const char *field, const char *text)
{
	int64_t v;
	if (text && pa_money_parse(text, strlen(text), &v, NULL) == PA_OK)
		json_object_set_new(a, field, json_integer(v));
}

static json_t *summary_row(const char *raw, int64_t n, int64_t received,
			   int64_t requested)
{
	json_t *row = json_object();
	json_object_set_new(row, "raw_status", json_string(raw ? raw : ""));
	json_object_set_new(row, "transaction_count", json_integer(n));
	json_object_set_new(row, "received_amount_minor",
			    json_integer(received));
	json_object_set_new(row, "requested_amount_minor",
			    json_integer(requested));
	return row;
}

static void add_to(json_t *row, const char *field, int64_t v)
{
	json_t *f = json_object_get(row, field);
	json_integer_set(f, json_integer_value(f) + v);
}

void pw_report_event_recon(json_t *ev, const pa_recon_result_t *res)
{
	json_t *summary = json_object_get(ev, "summary");
	json_t *by = json_object(); /* raw status -> its row (borrowed) */
	for (size_t i = 0; i < res->n_items; i++) {
		const pa_recon_item_t *it = &res->items[i];
		const char *st = it->transaction_status ? it->transaction_status
							: "";
		json_t *row = json_object_get(by, st);
		if (!row) {
			row = summary_row(st, 0, 0, 0);
			json_array_append_new(summary, row);
			json_object_set(by, st, row);
		}
		add_to(row, "transaction_count", 1);
		add_to(row, "received_amount_minor", it->amount_settled_minor);
		add_to(row, "requested_amount_minor",
		       it->amount_requested_minor);
	}
	json_decref(by);
}

void pw_report_event_balance(json_t *ev, const pa_wallet_balance_result_t *res)
{
	if (res->has_v2) {
		json_object_set_new(ev, "payin_balance_minor",
				    json_integer(res->payin_balance_minor));
		json_object_set_new(ev, "payout_balance_minor",
				    json_integer(res->payout_balance_minor));
		json_object_set_new(
			ev, "payin_matured_balance_minor",
			json_integer(res->payin_matured_balance_minor));
	}
	json_t *accs = json_object_get(ev, "accounts");
	for (size_t i = 0; i < res->n_accounts; i++) {
		const pa_wallet_account_t *a = &res->accounts[i];
		json_t *row = a->is_bank
				      ? account_row(a->bank, a->account_number,
						    "imps_upi", NULL)
				      : account_row(a->account, NULL, "upi",
						    NULL);
		json_object_set_new(row, "minimum_balance_minor",
				    json_integer(a->minimum_balance_minor));
		json_object_set_new(row, "limit_minor",
				    json_integer(a->limit_volume_minor));
		json_object_set_new(row, "usage_minor",
				    json_integer(a->usage_volume_minor));
		json_array_append_new(accs, row);
	}
}

void pw_report_event_summary(json_t *ev, const pa_wallet_summary_result_t *res)
{
	json_t *summary = json_object_get(ev, "summary");
	for (size_t i = 0; i < res->n_groups; i++) {
		const pa_wallet_summary_group_t *g = &res->groups[i];
		json_array_append_new(summary,
				      summary_row(g->key, g->transaction_count,
						  g->received_amount_minor,
						  g->request_amount_minor));
	}
}

void pw_report_event_data(json_t *ev, const pa_wallet_data_result_t *res)
{
	json_t *accs = json_object_get(ev, "accounts");
	for (size_t i = 0; i < res->n_accounts; i++) {
		const pa_wallet_data_account_t *a = &res->accounts[i];
		const char *num = a->account_no && *a->account_no ? a->account_no
								   : a->upi;
		json_t *row = account_row(a->account_detail, num,
					  a->active ? "active" : "inactive",
					  a->status);
		set_money_text(row, "limit_minor", a->limit_volume);
		set_money_text(row, "usage_minor", a->usage_volume);
		int64_t v;
		if (a->has_available_limit &&
		    pa_money_from_major(a->available_limit, &v) == PA_OK)
			json_object_set_new(row, "available_minor",
					    json_integer(v));
		json_array_append_new(accs, row);
	}
}

/* ---- corrections -------------------------------------------------------- */

json_t *pw_report_correction_new(const char *merchant, int payout,
				 const char *report_date,
				 const pa_recon_item_t *it,
				 const pw_order_t *ord,
				 const char *currency_fallback, int64_t at_ms)
{
	char text[256], id[PW_EVENT_ID_LEN + 1], reason[256];
	pa_status_t prev = (pa_status_t)ord->status;
	int64_t seq = (int64_t)ord->seq + 1;
	const char *raw = it->transaction_status ? it->transaction_status : "";
	snprintf(text, sizeof text, "payatom-recon|v1|%s|%s|%lld|%s", merchant,
		 ord->order_id, (long long)seq, pa_status_name(it->status));
	hash_id(text, id);
	snprintf(reason, sizeof reason,
		 "reconciliation of %s reports '%s'; the worker had %s",
		 report_date, raw, pa_status_name(prev));
	json_t *ev = json_object();
	json_object_set_new(ev, "event_type", json_string("reconciliation"));
	json_object_set_new(ev, "event_id", json_string(id));
	json_object_set_new(ev, "schema_version", json_integer(SCHEMA_VERSION));
	json_object_set_new(ev, "order_id", json_string(ord->order_id));
	json_object_set_new(ev, "merchant", json_string(merchant));
	json_object_set_new(ev, "kind", json_string("CORRECTION"));
	json_object_set_new(ev, "direction",
			    json_string(payout ? "PAYOUT" : "PAYIN"));
	json_object_set_new(ev, "status",
			    json_string(pa_status_name(it->status)));
	json_object_set_new(ev, "previous_status",
			    json_string(pa_status_name(prev)));
	json_object_set_new(ev, "raw_status", json_string(raw));
	json_object_set_new(ev, "sequence", json_integer(seq));
	json_object_set_new(ev, "requested_amount_minor",
			    json_integer(it->amount_requested_minor));
	json_object_set_new(ev, "received_amount_minor",
			    json_integer(it->amount_settled_minor));
	json_object_set_new(ev, "currency",
			    json_string(ord->currency[0] ? ord->currency
							 : currency_fallback));
	json_object_set_new(ev, "report_date", json_string(report_date));
	json_object_set_new(ev, "ref_code", str_or_null(it->ref_code));
	json_object_set_new(ev, "bank_ref", str_or_null(it->bank_ref));
	json_object_set_new(ev, "occurred_at", json_integer(at_ms));
	json_object_set_new(ev, "reason", json_string(reason));
	return ev;
}
