/* reports_int.h -- what the files of the reports room share.
 * Owns: the layout of pw_reports_t, a merchant's report profile
 *       (rmerchant_t) and a report call in flight (rcall_t).
 * Not here: the public API (reports.h), record layout (report_event.h). */
#ifndef PW_REPORTS_INT_H
#define PW_REPORTS_INT_H

#include <jansson.h>

#include "core/loop_curl.h"
#include "payatom/api.h"
#include "reports/reports.h"

#define DAY_MS 86400000LL
#define DEDUP_N 1024
#define CMD_ID_MAX 128

typedef struct rmerchant {
	const char *name;
	const pa_merchant_t *m;
	char *email;
	pa_secret_t *password;
	int recon, bal_v2, bal_p2p, bot;
	struct rmerchant *budget; /* the profile counting calls for the pid */
	int64_t payout_day;       /* UTC day of payout_calls */
	int payout_calls;
	int64_t warned_day;    /* scheduled refusal logged once a day */
	int64_t last_tick_day; /* payout for yesterday once per day */
	int64_t seq[PW__REPORT_COUNT];
} rmerchant_t;

typedef struct rcall {
	struct rcall *prev, *next;
	pw_reports_t *r;
	rmerchant_t *rm;
	pw_report_kind_t kind;
	int scheduled;
	char iso[11]; /* report day YYYY-MM-DD ("" when none) */
	char command_id[CMD_ID_MAX];
	pa_call_t *call;
} rcall_t;

struct pw_reports {
	pw_loop_t *loop;
	pa_client_t *cli;
	int own_cli;
	pw_loop_curl_t *lc;
	pw_reports_opts_t o;
	rmerchant_t *rms;
	size_t n;
	rcall_t *calls;
	size_t ncalls;
	pw_timer_t *timer;
	char *seen[DEDUP_N];
	size_t seen_pos;
	pw_reports_stats_t st;
	pw_mfamily_t *m_calls, *m_corrections;
};

/* reports.c: time, publishing, counting, sending */
int64_t pw__reports_now_ms(const pw_reports_t *r);
int64_t pw__reports_day_of(int64_t ms);
/* UTC day number -> "YYYY-MM-DD" (iso) and "DD-MM-YYYY" (gateway). */
void pw__reports_day_text(int64_t day, char iso[11], char gw[11]);
/* A WalletReportEvent of rm (NULL: a merchant not configured). New
 * reference. */
json_t *pw__reports_event(pw_reports_t *r, rmerchant_t *rm, const char *mname,
			  pw_report_kind_t kind, const char *command_id,
			  const char *reason);
/* Publishes rec (takes the reference) to topic under key. */
void pw__reports_publish(pw_reports_t *r, const char *topic, const char *key,
			 json_t *rec);
void pw__reports_publish_report(pw_reports_t *r, const char *mname, json_t *ev);
void pw__reports_count(pw_reports_t *r, pw_report_kind_t kind,
		       const char *outcome);
/* Sends one report call of kind for rm (refused ones are published as
 * such). */
void pw__reports_send(pw_reports_t *r, rmerchant_t *rm, pw_report_kind_t kind,
		      int scheduled, const char *command_id, const char *iso,
		      const char *gwdate, const char *account,
		      const char *filter_type);

/* report_replies.c: what a report call's answer becomes */
void pw__reports_call_unlink(pw_reports_t *r, rcall_t *c);
/* Publishes the failed report of c with reason. */
void pw__reports_fail(pw_reports_t *r, rcall_t *c, const char *reason);
/* libpayatom's reply callback of every report call (ud: the rcall_t, freed
 * here). */
void pw__reports_on_reply(pa_client_t *cli, const pa_reply_t *rep, void *ud);

#endif
