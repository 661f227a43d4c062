/* check_reports.c -- reports/reports.c without a gateway: options from the
 * config, argument checks, the ReportKind names against the schema, and
 * answers given locally (no credentials, bad commands) encoded with the
 * Avro codec. The calls themselves: tests/integration/reports/it_reports*.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/config_worker.h"
#include "core/loop.h"
#include "serde/codec.h"
#include "reports/report_event.h"
#include "reports/reports.h"
#include "pwtest.h"

typedef struct sink {
	pw_codec_t *codec;
	int n;
	json_t *last;
} sink_t;

static void on_publish(void *ud, const char *topic, const char *key,
		       const json_t *rec)
{
	sink_t *s = ud;
	uint8_t *out = NULL;
	size_t len;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_encode(s->codec, topic, "WalletReportEvent", rec,
				      &out, &len, eb) == PA_OK,
		      "%s", eb);
	free(out);
	ck_assert_str_eq(topic, "payatom.evt.report");
	ck_assert_str_eq(key, json_string_value(json_object_get(rec,
								"merchant")));
	json_decref(s->last);
	s->last = json_deep_copy(rec);
	s->n++;
}

static pw_config_t *load(void)
{
	char eb[PA_ERRBUF_SIZE];
	size_t len;
	char *txt = pwt_read_data("reports/reports.conf", &len);
	ck_assert_ptr_nonnull(txt);
	pw_config_t *cfg;
	ck_assert_int_eq(pw_config_new(pw_config_worker_table(), &cfg, eb),
			 PA_OK);
	ck_assert_msg(pw_config_load_buffer(cfg, txt, len, "reports.conf",
					    eb) == PA_OK,
		      "%s", eb);
	ck_assert_msg(pw_config_finalize(cfg, eb) == PA_OK, "%s", eb);
	free(txt);
	return cfg;
}

START_TEST(test_reports_opts_from_config_reads_schedule_and_wallet_logins)
{
	pw_config_t *cfg = load();
	pw_reports_opts_t o;
	pw_reports_wallet_t *wl = NULL;
	ck_assert_int_eq(pw_reports_opts_from_config(cfg, &o, &wl), PA_OK);
	ck_assert_int_eq(o.schedule_ms, 15 * 60 * 1000);
	ck_assert_str_eq(o.topic_evt_report, "team.reports");
	ck_assert_str_eq(o.topic_evt_payment, "team.payments");
	ck_assert_int_eq(o.payout_daily_limit, 10);
	ck_assert_int_eq(o.payout_reserve, 1);
	/* only the complete login counts */
	ck_assert_uint_eq(o.n_wallets, 1);
	ck_assert_ptr_eq(o.wallets, wl);
	ck_assert_str_eq(wl[0].merchant, "p2p");
	ck_assert_str_eq(wl[0].email, "op@example.test");
	ck_assert_str_eq(wl[0].password, "pw-1");
	free(wl);
	pw_config_destroy(cfg);
}
END_TEST

START_TEST(test_reports_new_checks_its_arguments)
{
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	pw_merchants_t *ms;
	ck_assert_int_eq(pw_merchants_new(&ms), PA_OK);
	pw_reports_opts_t o;
	pw_reports_opts_default(&o);
	pw_reports_t *r = NULL;
	char eb[PA_ERRBUF_SIZE];
	/* no publish callback */
	ck_assert_int_eq(pw_reports_new(loop, ms, NULL, &o, &r, eb), PA_INVAL);
	ck_assert_ptr_null(r);
	sink_t s = {0};
	o.publish = on_publish;
	o.publish_ud = &s;
	pw_reports_wallet_t wl = {"ghost", "a@b.test", "pw"};
	o.wallets = &wl;
	o.n_wallets = 1;
	ck_assert_int_eq(pw_reports_new(loop, ms, NULL, &o, &r, eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "ghost") != NULL, "%s", eb);
	o.n_wallets = 0;
	ck_assert_int_eq(pw_reports_new(loop, ms, NULL, &o, &r, eb), PA_OK);
	pw_reports_destroy(r);
	pw_reports_destroy(NULL);
	pw_merchants_destroy(ms);
	pw_loop_destroy(loop);
}
END_TEST

START_TEST(test_reports_kind_names_are_the_schema_symbols)
{
	char eb[PA_ERRBUF_SIZE];
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO};
	pw_codec_t *codec;
	ck_assert_int_eq(pw_codec_new(&cc, &codec, eb), PA_OK);
	for (int k = 0; k < PW__REPORT_COUNT; k++) {
		json_t *rec = json_pack(
			"{s:s,s:s,s:i,s:s,s:s,s:I,s:I}", "event_type",
			"wallet_report", "event_id", "x", "schema_version", 1,
			"merchant", "m", "report",
			pw_report_kind_name((pw_report_kind_t)k), "sequence",
			(json_int_t)1, "occurred_at", (json_int_t)1);
		uint8_t *out = NULL;
		size_t len;
		ck_assert_msg(pw_codec_encode(codec, NULL, "WalletReportEvent",
					      rec, &out, &len, eb) == PA_OK,
			      "%s: %s", pw_report_kind_name((pw_report_kind_t)k),
			      eb);
		free(out);
		json_decref(rec);
	}
	ck_assert_str_eq(pw_report_kind_name(PW__REPORT_COUNT), "UNKNOWN");
	pw_codec_destroy(codec);
}
END_TEST

START_TEST(test_reports_request_answered_locally_without_credentials)
{
	char eb[PA_ERRBUF_SIZE];
	pw_loop_t *loop;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	pw_merchants_t *ms;
	ck_assert_int_eq(pw_merchants_new(&ms), PA_OK);
	pa_merchant_t m = {0};
	m.pid = "M9";
	m.api_version = PA_API_V1;
	m.base_url = "http://127.0.0.1:1";
	ck_assert_int_eq(pw_merchants_add(ms, "nocreds", &m, "s", eb), PA_OK);
	sink_t s = {0};
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO};
	ck_assert_int_eq(pw_codec_new(&cc, &s.codec, eb), PA_OK);
	pw_reports_opts_t o;
	pw_reports_opts_default(&o);
	o.publish = on_publish;
	o.publish_ud = &s;
	pw_reports_t *r;
	ck_assert_int_eq(pw_reports_new(loop, ms, NULL, &o, &r, eb), PA_OK);
	const char *kinds[] = {"PAYIN_RECONCILIATION", "PAYOUT_RECONCILIATION",
			       "WALLET_BALANCE", "P2P_WALLET_BALANCE",
			       "WALLET_DATA"};
	const char *why[] = {"recon.token", "recon.token", "V2",
			     "wallet.password", "bot.api.key"};
	for (int i = 0; i < 5; i++) {
		char id[16];
		snprintf(id, sizeof id, "c%d", i);
		json_t *cmd = json_pack("{s:s,s:s,s:s,s:s}", "type",
					"report_request", "command_id", id,
					"merchant", "nocreds", "report",
					kinds[i]);
		ck_assert_int_eq(pw_reports_request(r, cmd, eb), PA_OK);
		json_decref(cmd);
		ck_assert_int_eq(s.n, i + 1);
		ck_assert_str_eq(json_string_value(json_object_get(
					 s.last, "report")),
				 kinds[i]);
		ck_assert_str_eq(json_string_value(json_object_get(
					 s.last, "command_id")),
				 id);
		const char *reason = json_string_value(json_object_get(
			s.last, "reason"));
		ck_assert_msg(strstr(reason, why[i]) != NULL, "%s", reason);
	}
	pw_reports_stats_t st;
	pw_reports_stats(r, &st);
	ck_assert_uint_eq(st.calls, 0);
	ck_assert_uint_eq(st.commands, 5);
	ck_assert_uint_eq(pw_reports_in_flight(r), 0);
	ck_assert_int_eq(pw_reports_payout_calls_today(r, "nocreds"), 0);
	ck_assert_int_eq(pw_reports_payout_calls_today(r, "other"), -1);
	pw_reports_destroy(r);
	json_decref(s.last);
	pw_codec_destroy(s.codec);
	pw_merchants_destroy(ms);
	pw_loop_destroy(loop);
}
END_TEST

/* ---- record layout (report_event.c) ----------------------------------- */

static pw_codec_t *codec_new(void)
{
	char eb[PA_ERRBUF_SIZE];
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO};
	pw_codec_t *codec;
	ck_assert_int_eq(pw_codec_new(&cc, &codec, eb), PA_OK);
	return codec;
}

static void encodes(pw_codec_t *codec, const char *schema, const json_t *rec)
{
	char eb[PA_ERRBUF_SIZE] = "";
	uint8_t *out = NULL;
	size_t len;
	ck_assert_msg(pw_codec_encode(codec, NULL, schema, rec, &out, &len,
				      eb) == PA_OK,
		      "%s: %s", schema, eb);
	free(out);
}

static json_t *row(json_t *ev, const char *arr, size_t i)
{
	return json_array_get(json_object_get(ev, arr), i);
}

static json_int_t num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

START_TEST(test_report_event_recon_totals_per_status_in_first_seen_order)
{
	char eb[PA_ERRBUF_SIZE];
	size_t len;
	char *body = pwt_read_data("reports/recon_payin.json", &len);
	ck_assert_ptr_nonnull(body);
	pa_recon_result_t res = {0};
	ck_assert_int_eq(pa_parse_recon(NULL, body, len, &res, eb), PA_OK);
	json_t *ev = pw_report_event_new("shop", "INR", PW_REPORT_PAYIN_RECON,
					 NULL, 7, 1764115200000, "date=x");
	pw_report_event_recon(ev, &res);
	ck_assert_uint_eq(json_array_size(json_object_get(ev, "summary")), 3);
	json_t *r0 = row(ev, "summary", 0), *r1 = row(ev, "summary", 1),
	       *r2 = row(ev, "summary", 2);
	ck_assert_str_eq(json_string_value(json_object_get(r0, "raw_status")),
			 "Approved");
	ck_assert_int_eq(num(r0, "transaction_count"), 2);
	ck_assert_int_eq(num(r0, "requested_amount_minor"), 125000);
	ck_assert_int_eq(num(r0, "received_amount_minor"), 125000);
	ck_assert_str_eq(json_string_value(json_object_get(r1, "raw_status")),
			 "User Timed Out");
	ck_assert_int_eq(num(r1, "received_amount_minor"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(r2, "raw_status")),
			 "Late Approved");
	ck_assert_int_eq(num(ev, "sequence"), 7);
	pw_codec_t *codec = codec_new();
	encodes(codec, "WalletReportEvent", ev);
	pw_codec_destroy(codec);
	json_decref(ev);
	pa_recon_result_clear(&res);
	free(body);
}
END_TEST

START_TEST(test_report_event_wallet_data_masks_account_numbers)
{
	char eb[PA_ERRBUF_SIZE];
	size_t len;
	char *body = pwt_read_data("reports/wallet_data.json", &len);
	ck_assert_ptr_nonnull(body);
	pa_wallet_data_result_t res = {0};
	ck_assert_int_eq(pa_parse_wallet_data(body, len, &res, eb), PA_OK);
	json_t *ev = pw_report_event_new("shop", "INR", PW_REPORT_WALLET_DATA,
					 "cmd-1", 1, 1, NULL);
	pw_report_event_data(ev, &res);
	json_t *a0 = row(ev, "accounts", 0), *a1 = row(ev, "accounts", 1);
	ck_assert_str_eq(json_string_value(json_object_get(a0, "account")),
			 "****9012");
	ck_assert_str_eq(json_string_value(json_object_get(a0, "kind")),
			 "active");
	ck_assert_int_eq(num(a0, "usage_minor"), 250050);
	ck_assert_int_eq(num(a0, "limit_minor"), 10000000);
	ck_assert_int_eq(num(a0, "available_minor"), 9749900);
	/* no account number: the UPI id, masked the same way */
	ck_assert_str_eq(json_string_value(json_object_get(a1, "account")),
			 "****@ybl");
	ck_assert(json_is_null(json_object_get(a1, "limit_minor")));
	char *all = json_dumps(ev, 0);
	ck_assert_ptr_null(strstr(all, "123456789012"));
	ck_assert_ptr_null(strstr(all, "shop.collect@okaxis"));
	ck_assert_ptr_null(strstr(all, "old.shop"));
	free(all);
	pw_codec_t *codec = codec_new();
	encodes(codec, "WalletReportEvent", ev);
	pw_codec_destroy(codec);
	json_decref(ev);
	pa_wallet_data_result_clear(&res);
	free(body);
}
END_TEST

START_TEST(test_report_correction_event_id_stable_per_transition)
{
	char eb[PA_ERRBUF_SIZE];
	size_t len;
	char *body = pwt_read_data("reports/recon_payin.json", &len);
	pa_recon_result_t res = {0};
	ck_assert_int_eq(pa_parse_recon(NULL, body, len, &res, eb), PA_OK);
	pw_order_t ord = {0};
	snprintf(ord.order_id, sizeof ord.order_id, "ORD0000000004");
	snprintf(ord.merchant, sizeof ord.merchant, "shop");
	ord.kind = PW_KIND_PAYIN;
	ord.status = PA_STATUS_EXPIRED;
	ord.seq = 4;
	json_t *a = pw_report_correction_new("shop", 0, "2026-11-26",
					     &res.items[3], &ord, "INR", 1);
	json_t *b = pw_report_correction_new("shop", 0, "2026-11-26",
					     &res.items[3], &ord, "INR", 999);
	ck_assert_str_eq(json_string_value(json_object_get(a, "event_id")),
			 json_string_value(json_object_get(b, "event_id")));
	ck_assert_int_eq(num(a, "sequence"), 5);
	ck_assert_str_eq(json_string_value(json_object_get(a, "status")),
			 "SUCCEEDED_LATE");
	ck_assert_str_eq(json_string_value(json_object_get(a, "currency")),
			 "INR");
	ck_assert_int_eq(num(a, "received_amount_minor"), 30000);
	/* once the worker moved on, the next disagreement is another id */
	ord.seq = 5;
	json_t *c = pw_report_correction_new("shop", 0, "2026-11-26",
					     &res.items[3], &ord, "INR", 1);
	ck_assert_str_ne(json_string_value(json_object_get(a, "event_id")),
			 json_string_value(json_object_get(c, "event_id")));
	pw_codec_t *codec = codec_new();
	encodes(codec, "ReconciliationEvent", a);
	pw_codec_destroy(codec);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	pa_recon_result_clear(&res);
	free(body);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("reports");
	TCase *tc = tcase_create("options");
	tcase_add_test(tc,
		       test_reports_opts_from_config_reads_schedule_and_wallet_logins);
	tcase_add_test(tc, test_reports_new_checks_its_arguments);
	suite_add_tcase(s, tc);
	tc = tcase_create("records");
	tcase_add_test(tc, test_reports_kind_names_are_the_schema_symbols);
	tcase_add_test(tc,
		       test_reports_request_answered_locally_without_credentials);
	tcase_add_test(tc,
		       test_report_event_recon_totals_per_status_in_first_seen_order);
	tcase_add_test(tc, test_report_event_wallet_data_masks_account_numbers);
	tcase_add_test(tc, test_report_correction_event_id_stable_per_transition);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
