/* reports.h -- reconciliation and wallet reports, on a schedule or on
 * command, published as events; corrections when a reconciliation row
 * disagrees with an order the worker holds.
 * Owns: the report schedule, the payout reconciliation daily budget (spec
 *       §10.6), report calls through libpayatom (api.h), the
 *       WalletReportEvent / ReconciliationEvent records, the
 *       report_request command.
 * Not here: record layout (report_event.c), Kafka (the app's publish
 *           callback, e.g. pw_worker_publish()),
 *           order state (the worker: lookup and poll callbacks), the
 *           protocol (libpayatom api_report.c).
 *
 * Events (schemas/wallet_report_event.avsc, reconciliation_event.avsc):
 *  - every report call ends with exactly one WalletReportEvent on
 *    topic_evt_report keyed by merchant name: the figures on success, the
 *    reason (gateway message, transport error, refused locally) otherwise.
 *    A reconciliation call's event has report PAYIN_/PAYOUT_RECONCILIATION
 *    and its rows totalled per transaction_status in `summary`; `reason`
 *    names the report day ("date=YYYY-MM-DD", the schema has no field).
 *  - a ReconciliationEvent kind=CORRECTION on topic_evt_payment keyed by
 *    order_id for each row whose order the worker holds (lookup) and whose
 *    status is a forward move from the order's (pa_status_can_move, spec
 *    §4, e.g. EXPIRED -> SUCCEEDED_LATE); the order is then polled at once
 *    (poll callback) and the worker's normal path publishes the real
 *    transition. Rows that agree, and rows of orders not held here (another
 *    worker may own their partition), publish nothing.
 *
 * Schedule (every schedule_ms, first tick schedule_ms after start), per
 * merchant, for what its credentials allow (one info log at start names
 * what is skipped):
 *  - payin reconciliation (recon_token) for today and yesterday, UTC days
 *    (the gateway's day is not documented; UTC is what the sandbox uses);
 *  - payout reconciliation for today, and for yesterday on the first tick
 *    of a UTC day, while the budget allows (below);
 *  - wallet balance: V2 (§10.3) for V2 merchants, else the P2P balance
 *    (§10.2) when balance token, e-mail and password are configured;
 *  - wallet data (§10.8, bot_api_key), then the wallet transaction summary
 *    (§10.7, filter c_date, today) of each active account it lists.
 *
 * Payout reconciliation budget (spec §10.6: 10 requests per day per pid):
 * calls are counted in memory per pid and UTC day. A scheduled call is
 * never made when it would spend the last `payout_reserve` calls of the
 * day: they are kept for report_request commands. Refused calls are not
 * sent; they log a warning (scheduled: once a day), count in stats and in
 * payatom_report_calls_total{outcome="refused"}, and (on command) answer
 * with a WalletReportEvent whose reason says so. The count starts again
 * at 0 when the process restarts; the gateway's own "daily limit" answer
 * (PA_LIMIT) is then published as the reason and spends the day's budget.
 * A scheduled call whose previous one has not answered yet is skipped.
 *
 * report_request command (schemas/report_request_command.avsc): accepted
 * on any command topic (payatom.cmd.payin by convention), keyed by
 * command_id; pw_reports_request() runs it. A command_id seen in the last
 * 1024 commands is a no-op (in memory only). date null = yesterday (UTC);
 * the summary's filter_date null = today. */
#ifndef PW_REPORTS_H
#define PW_REPORTS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "payatom/client.h"
#include "payatom/error.h"
#include "gateway/merchants.h"
#include "reports/report_event.h"
#include "orders/state.h"

typedef struct pw_reports pw_reports_t;

/* P2P wallet balance login (spec §10.2) of one merchant profile:
 * merchant.<name>.wallet.email / wallet.password. Copied (the password
 * into a wiped pa_secret_t). */
typedef struct pw_reports_wallet {
	const char *merchant, *email, *password;
} pw_reports_wallet_t;

typedef struct pw_reports_opts {
	int64_t schedule_ms;           /* 0 = no schedule (commands only) */
	const char *topic_evt_report;  /* default "payatom.evt.report" */
	const char *topic_evt_payment; /* corrections; "payatom.evt.payment" */
	int payout_daily_limit;        /* default 10 (spec §10.6) */
	int payout_reserve;            /* kept for commands; default 1 */
	int max_summary_accounts;      /* per wallet data reply; default 16 */
	const pw_reports_wallet_t *wallets; /* borrowed during _new */
	size_t n_wallets;
	pa_client_opts_t client; /* for the own client when cli is NULL */
	/* Publishes rec (borrowed: encode or copy it before returning) to
	 * topic with key. Required. */
	void (*publish)(void *ud, const char *topic, const char *key,
			const json_t *rec);
	void *publish_ud;
	/* The order the worker holds for order_id, or NULL. Borrowed, read
	 * only during the call. NULL callback: no corrections. */
	const pw_order_t *(*lookup)(void *ud, const char *order_id);
	void *lookup_ud;
	/* Polls order_id's status now (pw_worker_poll_now). May be NULL. */
	void (*poll)(void *ud, const char *order_id);
	void *poll_ud;
	/* Wall clock in Unix ms (report days, occurred_at). NULL = real. */
	int64_t (*now_ms)(void *ud);
	void *now_ud;
	pw_logger_t *log;  /* borrowed; NULL = default logger */
	pw_metrics_t *metrics; /* borrowed; NULL = none */
} pw_reports_opts_t;

/* Fills opts with the defaults above (no schedule, no callbacks). */
void pw_reports_opts_default(pw_reports_opts_t *opts);

/* Fills opts from a finalized worker config (pw_worker_conf_t table):
 * defaults, reports.schedule, topic.evt.report, topic.evt.payment, and the
 * wallet logins of the merchant.<name>.wallet.email/.password profiles.
 * *wallets: new array behind opts->wallets (caller frees with free() after
 * pw_reports_new(); its strings are borrowed from cfg). Callbacks are left
 * NULL. Errors: PA_NOMEM. */
pa_err_t pw_reports_opts_from_config(const pw_config_t *cfg,
				     pw_reports_opts_t *opts,
				     pw_reports_wallet_t **wallets);

/* New reports module on loop for the profiles of ms (borrowed: must
 * outlive it). cli: a client already running on loop (borrowed), or NULL
 * to create and attach its own. Starts the schedule when schedule_ms > 0.
 * Errors: PA_INVAL (no publish callback), PA_CONFIG (a wallet login names
 * an unknown merchant), PA_NOMEM, client errors.
 * New (caller frees with pw_reports_destroy()). */
pa_err_t pw_reports_new(pw_loop_t *loop, const pw_merchants_t *ms,
			pa_client_t *cli, const pw_reports_opts_t *opts,
			pw_reports_t **out, char *errbuf);
/* Cancels calls in flight (no event for them) and the schedule. NULL is a
 * safe no-op. */
void pw_reports_destroy(pw_reports_t *r);

/* Runs one scheduled round now (what the timer does). */
void pw_reports_tick(pw_reports_t *r);

/* Runs a report_request command (rec borrowed). The answer is published
 * asynchronously. PA_DUPLICATE for a command_id already seen (nothing
 * done); PA_VALIDATION for a malformed command: a WalletReportEvent with
 * the reason is published when command_id, merchant and report could be
 * read, else only the return value tells. */
pa_err_t pw_reports_request(pw_reports_t *r, const json_t *rec,
			    char *errbuf);

typedef struct pw_reports_stats {
	uint64_t calls;          /* requests sent */
	uint64_t failures;       /* calls that ended in an error */
	uint64_t events;         /* WalletReportEvents published */
	uint64_t corrections;    /* ReconciliationEvents (CORRECTION) */
	uint64_t payout_refused; /* payout reconciliations not sent: budget */
	uint64_t commands, commands_duplicate;
} pw_reports_stats_t;
void pw_reports_stats(const pw_reports_t *r, pw_reports_stats_t *st);
/* Payout reconciliation calls made today (UTC) for merchant, -1 when the
 * merchant is unknown. */
int pw_reports_payout_calls_today(const pw_reports_t *r,
				  const char *merchant);
/* Calls in flight. */
size_t pw_reports_in_flight(const pw_reports_t *r);

#endif
