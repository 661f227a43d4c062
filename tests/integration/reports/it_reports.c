/* it_reports.c -- reports/reports.c against an in-process sandbox with the
 * real libpayatom client: scheduled and commanded reports, the payout
 * reconciliation budget (spec §10.6), corrections, wallet reports (spec
 * §10.2, §10.3, §10.7, §10.8). Every published record is encoded with the
 * Avro codec to prove it matches its schema. Loopback only, bounded. */
#include "sbx_harness.h"

#include <time.h>

#include "serde/codec.h"
#include "gateway/merchants.h"
#include "reports/reports.h"

#define M3_SECRET "sec-three"
#define M3_ACCOUNT "9876543210123"
#define PAYOUT_PATH "/payout/api/payout_reconcile_polling.php"

typedef struct pub {
	char topic[64], key[64];
	json_t *rec;
} pub_t;

typedef struct fx {
	h_t h;
	pw_merchants_t *ms;
	pw_reports_t *r;
	pw_codec_t *codec;
	pub_t pubs[256];
	size_t npubs;
	pw_order_t orders[4]; /* what the fake worker holds */
	size_t norders;
	char polled[4][PW_ID_MAX];
	size_t npolled;
} fx_t;

static void on_publish(void *ud, const char *topic, const char *key,
		       const json_t *rec)
{
	fx_t *f = ud;
	ck_assert_uint_lt(f->npubs, sizeof f->pubs / sizeof f->pubs[0]);
	const char *schema = !strcmp(json_string_value(json_object_get(
					     rec, "event_type")),
				     "reconciliation")
				     ? "ReconciliationEvent"
				     : "WalletReportEvent";
	uint8_t *out = NULL;
	size_t len = 0;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_encode(f->codec, topic, schema, rec, &out, &len,
				      eb) == PA_OK,
		      "%s does not encode: %s", schema, eb);
	ck_assert_uint_gt(len, 10);
	free(out);
	pub_t *p = &f->pubs[f->npubs++];
	snprintf(p->topic, sizeof p->topic, "%s", topic);
	snprintf(p->key, sizeof p->key, "%s", key);
	p->rec = json_deep_copy(rec);
}

static const pw_order_t *on_lookup(void *ud, const char *order_id)
{
	fx_t *f = ud;
	for (size_t i = 0; i < f->norders; i++)
		if (!strcmp(f->orders[i].order_id, order_id))
			return &f->orders[i];
	return NULL;
}

static void on_poll(void *ud, const char *order_id)
{
	fx_t *f = ud;
	ck_assert_uint_lt(f->npolled, 4);
	snprintf(f->polled[f->npolled++], PW_ID_MAX, "%s", order_id);
}

/* Sandbox with M1 (harness) and M3 (V2, bot key, a long account number);
 * profiles: "full" (M1 V1, every credential + wallet login), "v2" (M3 V2:
 * recon token, bot key), "bare" (M1 without any report credential). */
static void fx_start_limit(fx_t *f, int64_t schedule_ms, int with_bare_only,
			   const char *gateway_payout_limit)
{
	char eb[PA_ERRBUF_SIZE];
	memset(f, 0, sizeof *f);
	h_start(&f->h, 0, "merchant",
		"pid=M3,secret=" M3_SECRET ",api_key=k3,token=t3,"
		"operator_key=op-3,account=" M3_ACCOUNT,
		"recon-daily-limit", gateway_payout_limit, NULL);
	ck_assert_int_eq(pw_merchants_new(&f->ms), PA_OK);
	pa_merchant_t bare = f->h.m;
	bare.recon_token = bare.bot_api_key = bare.balance_token = NULL;
	bare.complaint_token = NULL;
	ck_assert_int_eq(pw_merchants_add(f->ms, "bare", &bare, H_SECRET, eb),
			 PA_OK);
	if (!with_bare_only) {
		ck_assert_int_eq(pw_merchants_add(f->ms, "full", &f->h.m,
						  H_SECRET, eb),
				 PA_OK);
		pa_merchant_t v2 = f->h.m2;
		v2.pid = "M3";
		v2.api_key = "k3";
		v2.recon_token = "t3";
		v2.bot_api_key = "op-3";
		v2.balance_token = NULL;
		ck_assert_int_eq(pw_merchants_add(f->ms, "v2", &v2, M3_SECRET,
						  eb),
				 PA_OK);
	}
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO};
	ck_assert_int_eq(pw_codec_new(&cc, &f->codec, eb), PA_OK);
	pw_reports_opts_t o;
	pw_reports_opts_default(&o);
	o.schedule_ms = schedule_ms;
	pw_reports_wallet_t wl = {"full", "op@sandbox.test", "pw-1"};
	if (!with_bare_only) {
		o.wallets = &wl;
		o.n_wallets = 1;
	}
	o.client.total_timeout_ms = pwt_ms(5000);
	o.publish = on_publish;
	o.publish_ud = f;
	o.lookup = on_lookup;
	o.lookup_ud = f;
	o.poll = on_poll;
	o.poll_ud = f;
	/* its own client: the one the app would pass is the gateway's */
	ck_assert_msg(pw_reports_new(f->h.loop, f->ms, NULL, &o, &f->r, eb) ==
			      PA_OK,
		      "%s", eb);
}

static void fx_start(fx_t *f, int64_t schedule_ms, int with_bare_only)
{
	fx_start_limit(f, schedule_ms, with_bare_only, "10");
}

static void fx_stop(fx_t *f)
{
	pw_reports_destroy(f->r);
	for (size_t i = 0; i < f->npubs; i++)
		json_decref(f->pubs[i].rec);
	pw_codec_destroy(f->codec);
	pw_merchants_destroy(f->ms);
	h_stop(&f->h);
}

/* Runs the loop until nothing is in flight (bounded). */
static void fx_settle(fx_t *f)
{
	int64_t end = pw_now_ms() + pwt_ms(10000);
	while (pw_reports_in_flight(f->r) > 0 && pw_now_ms() < end)
		pw_loop_run_once(f->h.loop, 10);
	ck_assert_uint_eq(pw_reports_in_flight(f->r), 0);
}

static size_t fx_count(fx_t *f, const char *merchant, const char *report)
{
	size_t n = 0;
	for (size_t i = 0; i < f->npubs; i++) {
		json_t *e = f->pubs[i].rec;
		const char *rp = json_string_value(json_object_get(e,
								   "report"));
		if (rp && !strcmp(json_string_value(json_object_get(
					  e, "merchant")),
				  merchant) &&
		    !strcmp(rp, report))
			n++;
	}
	return n;
}

/* The last WalletReportEvent of merchant/report, or NULL. Borrowed. */
static json_t *fx_last(fx_t *f, const char *merchant, const char *report)
{
	for (size_t i = f->npubs; i-- > 0;) {
		json_t *e = f->pubs[i].rec;
		const char *rp = json_string_value(json_object_get(e,
								   "report"));
		if (rp && !strcmp(rp, report) &&
		    !strcmp(json_string_value(json_object_get(e, "merchant")),
			    merchant))
			return e;
	}
	return NULL;
}

static long endpoint_count(fx_t *f, const char *path)
{
	json_t *c = h_ctl(&f->h, "GET", "counters", NULL);
	long n = (long)json_integer_value(
		json_object_get(json_object_get(c, "endpoints"), path));
	json_decref(c);
	return n;
}

static void today_iso(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static pa_err_t command(fx_t *f, const char *id, const char *merchant,
			const char *report, const char *date)
{
	json_t *cmd = json_pack("{s:s,s:s,s:s,s:s,s:I}", "type",
				"report_request", "command_id", id, "merchant",
				merchant, "report", report, "created_at",
				(json_int_t)1764000000000);
	if (date)
		json_object_set_new(cmd, "date", json_string(date));
	/* the command itself is a valid ReportRequestCommand */
	uint8_t *out = NULL;
	size_t len;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_encode(f->codec, NULL, "ReportRequestCommand",
				      cmd, &out, &len, eb) == PA_OK,
		      "%s", eb);
	free(out);
	pa_err_t err = pw_reports_request(f->r, cmd, eb);
	json_decref(cmd);
	return err;
}

/* ---- schedule ---------------------------------------------------------- */

START_TEST(test_reports_schedule_publishes_every_report_per_credentials)
{
	fx_t *f = calloc(1, sizeof *f);
	fx_start(f, pwt_ms(300), 0);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&f->h, &f->h.m, "RPTSCHED01", 100, &res),
			 PA_OK);
	pa_payin_result_clear(&res);
	/* first round: full 7 (payin x2, payout x2, P2P balance, wallet data
	 * and the summary of its account), v2 5 (no wallet login; V2
	 * balance), bare 0 */
	int64_t end = pw_now_ms() + pwt_ms(10000);
	pw_reports_stats_t st;
	do {
		pw_loop_run_once(f->h.loop, 10);
		pw_reports_stats(f->r, &st);
	} while ((st.events < 12 || pw_reports_in_flight(f->r) > 0) &&
		 pw_now_ms() < end);
	ck_assert_uint_ge(st.events, 12);
	ck_assert_uint_eq(st.failures, 0);
	ck_assert_uint_eq(fx_count(f, "full", "PAYIN_RECONCILIATION"), 2);
	ck_assert_uint_eq(fx_count(f, "full", "PAYOUT_RECONCILIATION"), 2);
	ck_assert_uint_eq(fx_count(f, "full", "P2P_WALLET_BALANCE"), 1);
	ck_assert_uint_eq(fx_count(f, "full", "WALLET_DATA"), 1);
	ck_assert_uint_eq(fx_count(f, "full", "WALLET_TRANSACTION_SUMMARY"), 1);
	ck_assert_uint_eq(fx_count(f, "v2", "PAYIN_RECONCILIATION"), 2);
	ck_assert_uint_eq(fx_count(f, "v2", "WALLET_BALANCE"), 1);
	ck_assert_uint_eq(fx_count(f, "v2", "P2P_WALLET_BALANCE"), 0);
	ck_assert_uint_eq(fx_count(f, "bare", "PAYIN_RECONCILIATION"), 0);
	ck_assert_uint_eq(fx_count(f, "bare", "WALLET_DATA"), 0);
	/* today's payin reconciliation of "full" totals the one payin */
	char iso[11], want[32];
	today_iso(iso);
	snprintf(want, sizeof want, "date=%s", iso);
	int found = 0;
	for (size_t i = 0; i < f->npubs; i++) {
		json_t *e = f->pubs[i].rec;
		const char *reason = json_string_value(json_object_get(e,
								       "reason"));
		if (strcmp(json_string_value(json_object_get(e, "merchant")),
			   "full") ||
		    strcmp(json_string_value(json_object_get(e, "report")),
			   "PAYIN_RECONCILIATION") ||
		    !reason || strncmp(reason, want, strlen(want)))
			continue;
		found = 1;
		ck_assert_str_eq(f->pubs[i].topic, "payatom.evt.report");
		ck_assert_str_eq(f->pubs[i].key, "full");
		json_t *sum = json_object_get(e, "summary");
		ck_assert_uint_eq(json_array_size(sum), 1);
		json_t *row = json_array_get(sum, 0);
		ck_assert_int_eq(json_integer_value(json_object_get(
					 row, "transaction_count")),
				 1);
		ck_assert_int_eq(json_integer_value(json_object_get(
					 row, "requested_amount_minor")),
				 10000);
		ck_assert_ptr_null(json_string_value(json_object_get(
			e, "command_id")));
		ck_assert_str_eq(json_string_value(json_object_get(
					 e, "currency")),
				 "INR");
	}
	ck_assert_msg(found, "no payin reconciliation for %s", iso);
	/* the timer keeps going: a second round comes by itself */
	uint64_t first = st.calls;
	end = pw_now_ms() + pwt_ms(10000);
	do {
		pw_loop_run_once(f->h.loop, 10);
		pw_reports_stats(f->r, &st);
	} while (st.calls <= first && pw_now_ms() < end);
	ck_assert_uint_gt(st.calls, first);
	fx_settle(f);
	ck_assert_uint_ge(fx_count(f, "full", "PAYIN_RECONCILIATION"), 4);
	fx_stop(f);
	free(f);
}
END_TEST

/* ---- payout budget (spec §10.6) --------------------------------------- */

START_TEST(test_reports_payout_limit_ten_per_day_keeps_one_for_commands)
{
	fx_t *f = calloc(1, sizeof *f);
	fx_start(f, 0, 0);
	/* 12 scheduled rounds: 2 payout calls in the first (yesterday and
	 * today), 1 in each next, until 9 = limit - reserve */
	for (int i = 0; i < 12; i++) {
		pw_reports_tick(f->r);
		fx_settle(f);
	}
	ck_assert_int_eq(pw_reports_payout_calls_today(f->r, "full"), 9);
	ck_assert_int_eq(pw_reports_payout_calls_today(f->r, "v2"), 9);
	pw_reports_stats_t st;
	pw_reports_stats(f->r, &st);
	ck_assert_uint_eq(st.payout_refused, 2 * (13 - 9));
	ck_assert_uint_eq(fx_count(f, "full", "PAYOUT_RECONCILIATION"), 9);
	/* the reserved call serves a command */
	ck_assert_int_eq(command(f, "cmd-payout-1", "full",
				 "PAYOUT_RECONCILIATION", NULL),
			 PA_OK);
	fx_settle(f);
	ck_assert_int_eq(pw_reports_payout_calls_today(f->r, "full"), 10);
	json_t *e = fx_last(f, "full", "PAYOUT_RECONCILIATION");
	ck_assert_str_eq(json_string_value(json_object_get(e, "command_id")),
			 "cmd-payout-1");
	ck_assert_msg(strstr(json_string_value(json_object_get(e, "reason")),
			     "Success") != NULL,
		      "%s", json_string_value(json_object_get(e, "reason")));
	/* the 11th is refused here and never sent */
	ck_assert_int_eq(command(f, "cmd-payout-2", "full",
				 "PAYOUT_RECONCILIATION", NULL),
			 PA_OK);
	fx_settle(f);
	e = fx_last(f, "full", "PAYOUT_RECONCILIATION");
	ck_assert_str_eq(json_string_value(json_object_get(e, "command_id")),
			 "cmd-payout-2");
	ck_assert_msg(strstr(json_string_value(json_object_get(e, "reason")),
			     "budget spent") != NULL,
		      "%s", json_string_value(json_object_get(e, "reason")));
	ck_assert_int_eq(pw_reports_payout_calls_today(f->r, "full"), 10);
	/* the sandbox saw 10 per pid: 20 for M1 and M3 */
	ck_assert_int_eq(endpoint_count(f, PAYOUT_PATH), 10 + 9);
	fx_stop(f);
	free(f);
}
END_TEST

START_TEST(test_reports_payout_gateway_limit_stops_the_day)
{
	/* a gateway that counted calls we did not (e.g. before a restart):
	 * its daily-limit answer spends the local budget too */
	fx_t *f = calloc(1, sizeof *f);
	fx_start_limit(f, 0, 0, "3");
	for (int i = 0; i < 6; i++) {
		pw_reports_tick(f->r);
		fx_settle(f);
	}
	/* per pid: rounds 1-2 send 3 (accepted), round 3 the 4th (answered
	 * "Daily limit"), rounds 4-6 nothing */
	ck_assert_int_eq(endpoint_count(f, PAYOUT_PATH), 2 * 4);
	ck_assert_int_eq(pw_reports_payout_calls_today(f->r, "full"), 10);
	json_t *e = fx_last(f, "full", "PAYOUT_RECONCILIATION");
	const char *reason = json_string_value(json_object_get(e, "reason"));
	ck_assert_msg(strstr(reason, "LIMIT: ") && strstr(reason, "Daily limit"),
		      "%s", reason);
	pw_reports_stats_t st;
	pw_reports_stats(f->r, &st);
	ck_assert_uint_eq(st.failures, 2);
	ck_assert_uint_eq(st.payout_refused, 2 * 3);
	fx_stop(f);
	free(f);
}
END_TEST

/* ---- corrections ------------------------------------------------------ */

static void hold(fx_t *f, const char *oid, pa_status_t st, uint32_t seq)
{
	pw_order_t *o = &f->orders[f->norders++];
	memset(o, 0, sizeof *o);
	snprintf(o->order_id, sizeof o->order_id, "%s", oid);
	snprintf(o->merchant, sizeof o->merchant, "full");
	snprintf(o->currency, sizeof o->currency, "INR");
	o->kind = PW_KIND_PAYIN;
	o->status = (uint8_t)st;
	o->seq = seq;
}

START_TEST(test_reports_correction_when_gateway_moved_an_expired_order)
{
	fx_t *f = calloc(1, sizeof *f);
	fx_start(f, 0, 0);
	pa_payin_result_t res = {0};
	const char *ids[] = {"RPTLATE001", "RPTAGREE01", "RPTREGRS01"};
	const char *forced[] = {"Late Approved", "Approved", "Declined"};
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(h_payin(&f->h, &f->h.m, ids[i], 100 + i, &res),
				 PA_OK);
		pa_payin_result_clear(&res);
		char p[96], body[96];
		snprintf(p, sizeof p, "orders/%s/status", ids[i]);
		snprintf(body, sizeof body, "{\"status\":\"%s\"}", forced[i]);
		json_decref(h_ctl(&f->h, "POST", p, body));
		ck_assert(h_wait_status(&f->h, ids[i], forced[i]));
	}
	/* the worker missed the Late Approved; agrees on the second; the
	 * third would be a regression (SUCCEEDED -> DECLINED): no change */
	hold(f, ids[0], PA_STATUS_EXPIRED, 2);
	hold(f, ids[1], PA_STATUS_SUCCEEDED, 2);
	hold(f, ids[2], PA_STATUS_SUCCEEDED, 2);
	char iso[11];
	today_iso(iso);
	ck_assert_int_eq(command(f, "cmd-recon-1", "full",
				 "PAYIN_RECONCILIATION", iso),
			 PA_OK);
	fx_settle(f);
	size_t ncorr = 0;
	for (size_t i = 0; i < f->npubs; i++) {
		json_t *e = f->pubs[i].rec;
		if (strcmp(json_string_value(json_object_get(e, "event_type")),
			   "reconciliation"))
			continue;
		ncorr++;
		ck_assert_str_eq(f->pubs[i].topic, "payatom.evt.payment");
		ck_assert_str_eq(f->pubs[i].key, ids[0]);
		ck_assert_str_eq(json_string_value(json_object_get(e, "kind")),
				 "CORRECTION");
		ck_assert_str_eq(json_string_value(json_object_get(e,
								   "status")),
				 "SUCCEEDED_LATE");
		ck_assert_str_eq(json_string_value(json_object_get(
					 e, "previous_status")),
				 "EXPIRED");
		ck_assert_str_eq(json_string_value(json_object_get(
					 e, "raw_status")),
				 "Late Approved");
		ck_assert_str_eq(json_string_value(json_object_get(e,
								   "direction")),
				 "PAYIN");
		ck_assert_int_eq(json_integer_value(json_object_get(
					 e, "sequence")),
				 3);
		ck_assert_str_eq(json_string_value(json_object_get(
					 e, "report_date")),
				 iso);
		ck_assert_int_eq(json_integer_value(json_object_get(
					 e, "requested_amount_minor")),
				 10000);
		ck_assert_uint_eq(strlen(json_string_value(
					  json_object_get(e, "event_id"))),
				  PW_EVENT_ID_LEN);
	}
	ck_assert_uint_eq(ncorr, 1);
	ck_assert_uint_eq(f->npolled, 1);
	ck_assert_str_eq(f->polled[0], ids[0]);
	/* the command's own report lists the three rows */
	json_t *e = fx_last(f, "full", "PAYIN_RECONCILIATION");
	ck_assert_str_eq(json_string_value(json_object_get(e, "command_id")),
			 "cmd-recon-1");
	ck_assert_uint_eq(json_array_size(json_object_get(e, "summary")), 3);
	/* the same disagreement seen again gives the same event id */
	const char *id1 = NULL;
	for (size_t i = 0; i < f->npubs; i++)
		if (!strcmp(f->pubs[i].topic, "payatom.evt.payment"))
			id1 = json_string_value(json_object_get(
				f->pubs[i].rec, "event_id"));
	ck_assert_int_eq(command(f, "cmd-recon-2", "full",
				 "PAYIN_RECONCILIATION", iso),
			 PA_OK);
	fx_settle(f);
	ck_assert_str_eq(f->pubs[f->npubs - 1].topic, "payatom.evt.payment");
	ck_assert_str_eq(json_string_value(json_object_get(
				 f->pubs[f->npubs - 1].rec, "event_id")),
			 id1);
	pw_reports_stats_t st;
	pw_reports_stats(f->r, &st);
	ck_assert_uint_eq(st.corrections, 2);
	fx_stop(f);
	free(f);
}
END_TEST

/* ---- wallet reports (spec §10.2, §10.3, §10.7, §10.8) ------------------ */

START_TEST(test_reports_wallet_balance_v1_and_v2_on_command)
{
	fx_t *f = calloc(1, sizeof *f);
	fx_start(f, 0, 0);
	ck_assert_int_eq(command(f, "cmd-bal-1", "full", "P2P_WALLET_BALANCE",
				 NULL),
			 PA_OK);
	ck_assert_int_eq(command(f, "cmd-bal-2", "v2", "WALLET_BALANCE", NULL),
			 PA_OK);
	ck_assert_int_eq(command(f, "cmd-bal-3", "full", "WALLET_BALANCE",
				 NULL),
			 PA_OK);
	ck_assert_int_eq(command(f, "cmd-data-1", "v2", "WALLET_DATA", NULL),
			 PA_OK);
	fx_settle(f);
	/* V1 P2P (§10.2): operator accounts, figures in minor units */
	json_t *e = fx_last(f, "full", "P2P_WALLET_BALANCE");
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(json_string_value(json_object_get(e, "reason")));
	json_t *accs = json_object_get(e, "accounts");
	ck_assert_uint_eq(json_array_size(accs), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(accs, 0), "kind")),
			 "upi");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(accs, 1), "limit_minor")),
			 100000000);
	/* V2 (§10.3): M3 has received nothing yet */
	e = fx_last(f, "v2", "WALLET_BALANCE");
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_null(json_string_value(json_object_get(e, "reason")) &&
				   strstr(json_string_value(json_object_get(
						  e, "reason")),
					  "refused")
			   ? "refused"
			   : NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 e, "payin_balance_minor")),
			 0);
	ck_assert(json_is_integer(json_object_get(e, "payout_balance_minor")));
	/* a V1 merchant has no V2 balance: answered, not sent */
	e = fx_last(f, "full", "WALLET_BALANCE");
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(json_string_value(json_object_get(e, "reason")),
			     "refused locally") != NULL,
		      "%s", json_string_value(json_object_get(e, "reason")));
	/* wallet data (§10.8): the account number is masked */
	e = fx_last(f, "v2", "WALLET_DATA");
	ck_assert_ptr_nonnull(e);
	accs = json_object_get(e, "accounts");
	ck_assert_uint_eq(json_array_size(accs), 1);
	const char *acc = json_string_value(json_object_get(
		json_array_get(accs, 0), "account"));
	ck_assert_str_eq(acc, "****0123");
	char *all = json_dumps(e, 0);
	ck_assert_ptr_null(strstr(all, M3_ACCOUNT));
	free(all);
	fx_stop(f);
	free(f);
}
END_TEST

START_TEST(test_reports_wallet_summary_needs_account_number)
{
	fx_t *f = calloc(1, sizeof *f);
	fx_start(f, 0, 0);
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&f->h, &f->h.m, "RPTSUMM001", 120, &res),
			 PA_OK);
	pa_payin_result_clear(&res);
	json_decref(h_ctl(&f->h, "POST", "orders/RPTSUMM001/status",
			  "{\"status\":\"Approved\"}"));
	ck_assert(h_wait_status(&f->h, "RPTSUMM001", "Approved"));
	ck_assert_int_eq(command(f, "cmd-sum-0", "v2",
				 "WALLET_TRANSACTION_SUMMARY", NULL),
			 PA_VALIDATION);
	json_t *e = fx_last(f, "v2", "WALLET_TRANSACTION_SUMMARY");
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(json_string_value(json_object_get(e, "reason")),
			     "account_number") != NULL,
		      "%s", json_string_value(json_object_get(e, "reason")));
	/* with the account: the sandbox totals M1's payins of today */
	json_t *cmd = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "type",
				"report_request", "command_id", "cmd-sum-1",
				"merchant", "full", "report",
				"WALLET_TRANSACTION_SUMMARY", "account_number",
				"ACCM1", "created_at", (json_int_t)1);
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_reports_request(f->r, cmd, eb), PA_OK);
	json_decref(cmd);
	fx_settle(f);
	e = fx_last(f, "full", "WALLET_TRANSACTION_SUMMARY");
	json_t *sum = json_object_get(e, "summary");
	ck_assert_uint_eq(json_array_size(sum), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(sum, 0), "raw_status")),
			 "success");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(sum, 0),
				 "requested_amount_minor")),
			 12000);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_array_get(sum, 0),
				 "received_amount_minor")),
			 12000);
	fx_stop(f);
	free(f);
}
END_TEST

/* ---- credentials and commands ----------------------------------------- */

START_TEST(test_reports_merchant_without_credentials_is_skipped)
{
	fx_t *f = calloc(1, sizeof *f);
	fx_start(f, 0, 1);
	long before = endpoint_count(f, "/api/reconcile_polling.php");
	pw_reports_tick(f->r);
	fx_settle(f);
	pw_reports_stats_t st;
	pw_reports_stats(f->r, &st);
	ck_assert_uint_eq(st.calls, 0);
	ck_assert_uint_eq(f->npubs, 0);
	ck_assert_int_eq(endpoint_count(f, "/api/reconcile_polling.php"),
			 before);
	/* on command: answered with the reason, nothing sent */
	ck_assert_int_eq(command(f, "cmd-bare-1", "bare",
				 "PAYIN_RECONCILIATION", NULL),
			 PA_OK);
	ck_assert_uint_eq(f->npubs, 1);
	const char *reason = json_string_value(json_object_get(f->pubs[0].rec,
							       "reason"));
	ck_assert_msg(strstr(reason, "no recon.token") != NULL, "%s", reason);
	pw_reports_stats(f->r, &st);
	ck_assert_uint_eq(st.calls, 0);
	fx_stop(f);
	free(f);
}
END_TEST

START_TEST(test_reports_command_redelivery_and_bad_commands)
{
	fx_t *f = calloc(1, sizeof *f);
	fx_start(f, 0, 0);
	ck_assert_int_eq(command(f, "cmd-dup", "full", "PAYIN_RECONCILIATION",
				 NULL),
			 PA_OK);
	ck_assert_int_eq(command(f, "cmd-dup", "full", "PAYIN_RECONCILIATION",
				 NULL),
			 PA_DUPLICATE);
	fx_settle(f);
	ck_assert_uint_eq(fx_count(f, "full", "PAYIN_RECONCILIATION"), 1);
	/* null date = yesterday (UTC) */
	char want[32], iso[11];
	time_t y = time(NULL) - 86400;
	struct tm tm;
	gmtime_r(&y, &tm);
	strftime(iso, sizeof iso, "%Y-%m-%d", &tm);
	snprintf(want, sizeof want, "date=%s", iso);
	const char *reason = json_string_value(json_object_get(
		fx_last(f, "full", "PAYIN_RECONCILIATION"), "reason"));
	ck_assert_msg(!strncmp(reason, want, strlen(want)), "%s", reason);
	ck_assert_int_eq(command(f, "cmd-nomerchant", "nobody",
				 "WALLET_DATA", NULL),
			 PA_VALIDATION);
	ck_assert_ptr_nonnull(fx_last(f, "nobody", "WALLET_DATA"));
	ck_assert_int_eq(command(f, "cmd-baddate", "full",
				 "PAYIN_RECONCILIATION", "26-11-2026"),
			 PA_VALIDATION);
	ck_assert_int_eq(command(f, "cmd-unknown", "full", "UNKNOWN", NULL),
			 PA_VALIDATION);
	json_t *bad = json_pack("{s:s}", "type", "report_request");
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_reports_request(f->r, bad, eb), PA_VALIDATION);
	json_decref(bad);
	/* a date libpayatom refuses (no 30 February) is answered, not sent */
	ck_assert_int_eq(command(f, "cmd-future", "full",
				 "PAYIN_RECONCILIATION", "2026-02-30"),
			 PA_OK);
	fx_settle(f);
	reason = json_string_value(json_object_get(
		fx_last(f, "full", "PAYIN_RECONCILIATION"), "reason"));
	ck_assert_msg(strstr(reason, "refused locally") != NULL, "%s", reason);
	fx_stop(f);
	free(f);
}
END_TEST

int main(void)
{
	(void)h_poll; /* harness helpers this program does not need */
	(void)h_message;
	Suite *s = suite_create("reports");
	TCase *tc = tcase_create("schedule");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc,
		       test_reports_schedule_publishes_every_report_per_credentials);
	tcase_add_test(tc, test_reports_merchant_without_credentials_is_skipped);
	suite_add_tcase(s, tc);
	tc = tcase_create("payout_budget");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc,
		       test_reports_payout_limit_ten_per_day_keeps_one_for_commands);
	tcase_add_test(tc, test_reports_payout_gateway_limit_stops_the_day);
	suite_add_tcase(s, tc);
	tc = tcase_create("corrections");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc,
		       test_reports_correction_when_gateway_moved_an_expired_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("wallet");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_reports_wallet_balance_v1_and_v2_on_command);
	tcase_add_test(tc, test_reports_wallet_summary_needs_account_number);
	suite_add_tcase(s, tc);
	tc = tcase_create("commands");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_reports_command_redelivery_and_bad_commands);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
