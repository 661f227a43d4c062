/* it_reports_worker.c -- reports wired to the worker as the app wires them:
 * mock cluster, the PayAtom gateway adapter on an in-process sandbox, a
 * report_request command on payatom.cmd.payin, pw_worker_publish /
 * pw_worker_order / pw_worker_poll_now. The story of issue 4: an order the
 * worker settled as EXPIRED turns Late Approved at the gateway without the
 * worker hearing of it; reconciliation finds it, a correction event is
 * published and the worker's own poll publishes SUCCEEDED_LATE.
 * Loopback only, bounded. */
#include "sbx_harness.h"

#include <time.h>
#include <unistd.h>

#include "kafkat.h"
#include "gateway/gateway_payatom.h"
#include "gateway/merchants.h"
#include "kafka/mockcluster.h"
#include "reports/reports.h"
#include "kafka/worker.h"

#define OID "RPTE2E0001"

typedef struct app {
	h_t h;
	pw_mock_t *mock;
	rd_kafka_t *prod;
	pw_merchants_t *ms;
	pw_worker_t *w;
	pw_reports_t *r;
	int report_requests;
	int dlq;
} app_t;

static void on_event(void *ud, const char *topic, const char *json)
{
	app_t *a = ud;
	(void)json;
	if (!strcmp(topic, "payatom.dlq"))
		a->dlq++;
}

/* what worker_app.c does: the worker's hook hands the command over */
static void on_report_request(void *ud, const json_t *cmd)
{
	app_t *a = ud;
	char eb[PA_ERRBUF_SIZE];
	a->report_requests++;
	pw_reports_request(a->r, cmd, eb);
}

static void publish(void *ud, const char *topic, const char *key,
		    const json_t *rec)
{
	app_t *a = ud;
	ck_assert_int_eq(pw_worker_publish(a->w, topic, key, rec), PA_OK);
}

static const pw_order_t *lookup(void *ud, const char *order_id)
{
	return pw_worker_order(((app_t *)ud)->w, order_id);
}

static void poll_order(void *ud, const char *order_id)
{
	ck_assert_int_eq(pw_worker_poll_now(((app_t *)ud)->w, order_id),
			 PA_OK);
}

static int order_status_is(void *ud)
{
	void **p = ud;
	app_t *a = p[0];
	const pw_order_t *ord = pw_worker_order(a->w, OID);
	return ord && ord->status == *(pa_status_t *)p[1];
}

static int wait_order(app_t *a, pa_status_t st)
{
	void *p[2] = {a, &st};
	return pwt_run_until(a->h.loop, order_status_is, p, 20000);
}

static void force(app_t *a, const char *status)
{
	char body[96];
	snprintf(body, sizeof body, "{\"status\":\"%s\"}", status);
	json_decref(h_ctl(&a->h, "POST", "orders/" OID "/status", body));
	ck_assert(h_wait_status(&a->h, OID, status));
}

static int done_flag;
static void shutdown_done(void *ud)
{
	*(int *)ud = 1;
}
static int flag_set(void *ud)
{
	return *(int *)ud;
}

START_TEST(test_reports_worker_late_approval_found_by_reconciliation)
{
	static app_t a;
	char eb[PA_ERRBUF_SIZE], group[64];
	memset(&a, 0, sizeof a);
	/* orders stay Pending until the test moves them */
	h_start(&a.h, 0, "resolve-delay-ms", "600000", NULL);
	ck_assert_int_eq(pw_mock_new(1, 2, &a.mock, eb), PA_OK);
	pw_worker_opts_t o;
	pw_worker_opts_default(&o);
	const char *topics[] = {o.topic_cmd_payin,    o.topic_cmd_payout,
				o.topic_cmd_complaint, o.topic_evt_payment,
				o.topic_evt_refund,   o.topic_evt_complaint,
				o.topic_evt_report,   o.topic_dlq,
				o.topic_int_webhook,  o.topic_int_state};
	for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
		ck_assert_int_eq(pw_mock_topic(a.mock, topics[i]), PA_OK);
	snprintf(group, sizeof group, "it-reports-%d", getpid());
	o.brokers = pw_mock_bootstraps(a.mock);
	o.group_id = group;
	o.poll_first_ms = 50;
	o.poll_max_interval_ms = 100;
	o.commit_interval_ms = 100;
	o.on_event = on_event;
	o.on_event_ud = &a;
	o.on_report_request = on_report_request;
	o.on_report_request_ud = &a;
	static const pw_kafka_kv_t kafka[] = {{"log_level", "3"}};
	o.kafka = kafka;
	o.n_kafka = 1;
	a.prod = pwt_producer(o.brokers);

	ck_assert_int_eq(pw_merchants_new(&a.ms), PA_OK);
	ck_assert_int_eq(pw_merchants_add(a.ms, "demo", &a.h.m, H_SECRET, eb),
			 PA_OK);
	pw_gwp_opts_t go = {0};
	go.client.total_timeout_ms = pwt_ms(5000);
	pw_gateway_t *gw = NULL;
	ck_assert_int_eq(pw_gateway_payatom_new(a.h.loop, a.ms, &go, &gw, eb),
			 PA_OK);
	ck_assert_msg(pw_worker_new(a.h.loop, &o, gw, &a.w, eb) == PA_OK, "%s",
		      eb);
	pw_reports_opts_t ro;
	pw_reports_opts_default(&ro);
	ro.topic_evt_report = o.topic_evt_report;
	ro.topic_evt_payment = o.topic_evt_payment;
	ro.publish = publish;
	ro.publish_ud = &a;
	ro.lookup = lookup;
	ro.lookup_ud = &a;
	ro.poll = poll_order;
	ro.poll_ud = &a;
	ck_assert_msg(pw_reports_new(a.h.loop, a.ms, NULL, &ro, &a.r, eb) ==
			      PA_OK,
		      "%s", eb);

	/* a payin; the customer never pays: EXPIRED, settled */
	json_t *cmd = json_pack(
		"{s:s s:s s:s s:s s:s s:s s:I s:s s:{s:s s:s s:s} s:s s:I}",
		"type", "payin", "command_id", "cmd-" OID, "merchant", "demo",
		"order_id", OID, "product", "PAYIN_UPI_P2P_SEAMLESS", "country",
		"IN", "amount_minor", (json_int_t)50000, "currency", "INR",
		"customer", "name", "Asha Rao", "email", "asha@example.test",
		"phone", "9876543210", "upi_id", "asha@okaxis", "created_at",
		(json_int_t)time(NULL) * 1000);
	char *s = json_dumps(cmd, JSON_COMPACT);
	pwt_produce(a.prod, o.topic_cmd_payin, OID, s, 0);
	free(s);
	json_decref(cmd);
	pwt_flush(a.prod);
	ck_assert_msg(wait_order(&a, PA_STATUS_PENDING), "payin not accepted");
	force(&a, "User Timed Out");
	ck_assert_msg(wait_order(&a, PA_STATUS_EXPIRED), "no EXPIRED");
	/* Late Approved at the gateway; the worker does not poll a settled
	 * order and its webhook goes elsewhere */
	force(&a, "Late Approved");
	h_run_for(&a.h, 300);
	ck_assert_int_eq(pw_worker_order(a.w, OID)->status, PA_STATUS_EXPIRED);

	/* reconciliation on command, on the payin command topic */
	char iso[11];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(iso, sizeof iso, "%Y-%m-%d", &tm);
	json_t *rq = json_pack("{s:s s:s s:s s:s s:s s:I}", "type",
			       "report_request", "command_id", "cmd-recon-e2e",
			       "merchant", "demo", "report",
			       "PAYIN_RECONCILIATION", "date", iso, "created_at",
			       (json_int_t)t * 1000);
	s = json_dumps(rq, JSON_COMPACT);
	pwt_produce(a.prod, o.topic_cmd_payin, "cmd-recon-e2e", s, 0);
	free(s);
	json_decref(rq);
	pwt_flush(a.prod);
	ck_assert_msg(wait_order(&a, PA_STATUS_SUCCEEDED_LATE),
		      "the correction's poll did not land");
	ck_assert_int_eq(a.report_requests, 1);
	ck_assert_int_eq(a.dlq, 0);
	pw_worker_stats_t st;
	pw_worker_stats(a.w, &st);
	ck_assert_uint_eq(st.dlq_out, 0);

	pw_reports_destroy(a.r);
	done_flag = 0;
	pw_worker_shutdown(a.w, shutdown_done, &done_flag);
	ck_assert(pwt_run_until(a.h.loop, flag_set, &done_flag, 20000));
	pw_worker_destroy(a.w);

	/* the report, the correction and the worker's transition, in Kafka */
	json_t *rep = pwt_read_topic(o.brokers, o.topic_evt_report, 500, 20000);
	ck_assert_uint_eq(json_array_size(rep), 1);
	json_t *v = json_object_get(json_array_get(rep, 0), "value");
	ck_assert_str_eq(json_string_value(json_object_get(v, "command_id")),
			 "cmd-recon-e2e");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(rep, 0), "key")),
			 "demo");
	json_decref(rep);
	json_t *pay = pwt_read_topic(o.brokers, o.topic_evt_payment, 500,
				     20000);
	int corrections = 0, late = 0;
	size_t i;
	json_t *r;
	json_array_foreach(pay, i, r)
	{
		v = json_object_get(r, "value");
		const char *et = json_string_value(json_object_get(v,
								   "event_type"));
		const char *stn = json_string_value(json_object_get(v,
								    "status"));
		if (et && !strcmp(et, "reconciliation")) {
			corrections++;
			ck_assert_str_eq(json_string_value(json_object_get(
						 v, "kind")),
					 "CORRECTION");
			ck_assert_str_eq(stn, "SUCCEEDED_LATE");
		} else if (stn && !strcmp(stn, "SUCCEEDED_LATE")) {
			late++;
			/* the correction announced this sequence */
			ck_assert_int_eq(json_integer_value(json_object_get(
						 v, "sequence")),
					 3);
		}
	}
	ck_assert_int_eq(corrections, 1);
	ck_assert_int_eq(late, 1);
	json_decref(pay);

	rd_kafka_destroy(a.prod);
	pw_merchants_destroy(a.ms);
	pw_mock_destroy(a.mock);
	h_stop(&a.h);
}
END_TEST

int main(void)
{
	(void)h_poll;
	(void)h_message;
	(void)h_payin;
	(void)h_send;
	Suite *s = suite_create("reports_worker");
	TCase *tc = tcase_create("corrections");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc,
		       test_reports_worker_late_approval_found_by_reconciliation);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
