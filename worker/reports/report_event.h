/* report_event.h -- the records the reports module publishes, as plain JSON
 * for the codec (codec.h).
 * Owns: WalletReportEvent and ReconciliationEvent field layout
 *       (schemas/wallet_report_event.avsc, schemas/reconciliation_event.avsc),
 *       their event ids, masking of account identifiers, per-status totals
 *       of a reconciliation.
 * Not here: when, where and why they are published (reports.c), reply
 *           parsing (libpayatom api_report.c). */
#ifndef PW_REPORT_EVENT_H
#define PW_REPORT_EVENT_H

#include <stdint.h>

#include <jansson.h>

#include "payatom/api.h"
#include "orders/state.h"

/* The ReportKind symbols, in the schema's order. */
typedef enum pw_report_kind {
	PW_REPORT_UNKNOWN = 0,
	PW_REPORT_PAYIN_RECON,        /* spec §10.5 */
	PW_REPORT_PAYOUT_RECON,       /* spec §10.6 */
	PW_REPORT_WALLET_BALANCE,     /* V2, spec §10.3 */
	PW_REPORT_P2P_WALLET_BALANCE, /* V1, spec §10.2 */
	PW_REPORT_WALLET_SUMMARY,     /* spec §10.7 */
	PW_REPORT_WALLET_DATA,        /* spec §10.8 */
	PW__REPORT_COUNT
} pw_report_kind_t;

/* "PAYIN_RECONCILIATION"...; "UNKNOWN" out of range. Borrowed (static). */
const char *pw_report_kind_name(pw_report_kind_t k);
/* The kind named by a ReportKind symbol; PW_REPORT_UNKNOWN otherwise. */
pw_report_kind_t pw_report_kind_from_name(const char *name);

/* ISO 4217 code of the merchant's country (INR, BDT, PKR). Borrowed. */
const char *pw_report_currency(const pa_merchant_t *m);

/* A WalletReportEvent without figures (empty accounts and summary, null
 * balances). currency, command_id and reason may be NULL. event_id =
 * hex of the first 16 bytes of SHA-256("payatom-report|v1|" merchant "|"
 * report "|" command_id or "-" "|" at_ms "|" sequence). New reference. */
json_t *pw_report_event_new(const char *merchant, const char *currency,
			    pw_report_kind_t kind, const char *command_id,
			    int64_t sequence, int64_t at_ms,
			    const char *reason);

/* Fill ev (from pw_report_event_new) with a parsed reply (borrowed):
 * reconciliation rows totalled per transaction_status (first-seen order);
 * V2 balances, or V1 accounts (upi / imps_upi); summary groups; wallet data
 * accounts (active / inactive). Account numbers and UPI ids keep their
 * last 4 characters only ("****0123", core/redact.h ACCOUNT). */
void pw_report_event_recon(json_t *ev, const pa_recon_result_t *res);
void pw_report_event_balance(json_t *ev, const pa_wallet_balance_result_t *res);
void pw_report_event_summary(json_t *ev, const pa_wallet_summary_result_t *res);
void pw_report_event_data(json_t *ev, const pa_wallet_data_result_t *res);

/* A ReconciliationEvent kind=CORRECTION: row it of the report of
 * report_date (YYYY-MM-DD) says the order is further on than ord (spec §4).
 * sequence = ord->seq + 1, the transition the worker's poll is expected to
 * publish; event_id = hex16(SHA-256("payatom-recon|v1|" merchant "|"
 * order_id "|" sequence "|" status)), stable while the disagreement lasts.
 * currency: ord's, else the fallback. New reference. */
json_t *pw_report_correction_new(const char *merchant, int payout,
				 const char *report_date,
				 const pa_recon_item_t *it,
				 const pw_order_t *ord,
				 const char *currency_fallback, int64_t at_ms);

#endif
