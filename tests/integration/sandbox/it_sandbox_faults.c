/* it_sandbox_faults.c -- payatom-sandbox's webhooks, fault injection,
 * seeded determinism, held replies and the program itself, observed through
 * libpayatom (client classification, webhook verification). */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "payatom/webhook.h"
#include "sbx_harness.h"

static int wait_requests(h_t *h, size_t n)
{
	int64_t end = pw_now_ms() + pwt_ms(5000);
	while (pwt_http_requests(h->recv) < n && pw_now_ms() < end)
		h_run_for(h, 20);
	return pwt_http_requests(h->recv) >= n;
}

/* Parses and verifies webhook i; returns the verify result. */
static pa_err_t webhook_at(h_t *h, size_t i, char *status, size_t size)
{
	pwt_http_request_t rq;
	ck_assert_int_eq(pwt_http_request_at(h->recv, i, &rq), 0);
	ck_assert_str_eq(rq.method, "POST");
	pa_txn_update_t upd = {0};
	char eb[PA_ERRBUF_SIZE];
	ck_assert_msg(pa_webhook_parse((const uint8_t *)rq.body, rq.body_len,
				       &upd, eb) == PA_OK,
		      "%s", eb);
	pa_err_t e = pa_txn_update_verify(h->sec, PA_AMOUNT_PREF_RECEIVED,
					  &upd, eb);
	if (status)
		snprintf(status, size, "%s", upd.status_raw);
	pa_txn_update_clear(&upd);
	pwt_http_request_free(&rq);
	return e;
}

static void new_payin(h_t *h, const char *oid, int64_t major, char ref[80])
{
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(h, &h->m, oid, major, &res), PA_OK);
	snprintf(ref, 80, "%s", res.ref_code);
	pa_payin_result_clear(&res);
}

static const char *ctl_field(h_t *h, const char *path, const char *key)
{
	static char v[64];
	json_t *j = h_ctl(h, "GET", path, NULL);
	json_t *x = json_object_get(j, key);
	if (json_is_string(x))
		snprintf(v, sizeof v, "%s", json_string_value(x));
	else
		snprintf(v, sizeof v, "%lld", (long long)json_integer_value(x));
	json_decref(j);
	return v;
}

/* ---- webhooks (spec §5) --------------------------------------------- */

START_TEST(test_sandbox_webhook_delivered_with_verifiable_hash)
{
	h_t h;
	h_start(&h, 0, NULL);
	char ref[80], st[32];
	new_payin(&h, "APPROVEWH01", 1500, ref);
	ck_assert(wait_requests(&h, 1));
	ck_assert_int_eq(webhook_at(&h, 0, st, sizeof st), PA_OK);
	ck_assert_str_eq(st, "Approved");
	/* the acknowledgement is recorded and polling reports it */
	int64_t end = pw_now_ms() + pwt_ms(3000);
	pa_txn_update_t upd = {0};
	int acked = 0;
	while (!acked && pw_now_ms() < end) {
		ck_assert_int_eq(h_poll(&h, ref, &upd), PA_OK);
		acked = upd.webhook_acknowledged == 1;
		pa_txn_update_clear(&upd);
		h_run_for(&h, 20);
	}
	ck_assert(acked);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_webhook_resent_until_acknowledged_then_stops)
{
	h_t h;
	h_start(&h, 0, NULL);
	pwt_http_behaviour_t no = {
		.body = "{\"hash_status\":\"HashMatched\",\"acknowledge\":\"no\"}"};
	pwt_http_route(h.recv, "/cb", &no);
	char ref[80];
	new_payin(&h, "APPROVEWH02", 100, ref);
	ck_assert(wait_requests(&h, 3)); /* re-sent while "no" */
	char p[120];
	snprintf(p, sizeof p, "orders/%s", ref);
	ck_assert_str_eq(ctl_field(&h, p, "webhook_acknowledged"), "0");
	pwt_http_behaviour_t yes = {
		.body = "{\"hash_status\":\"HashMatched\",\"acknowledge\":\"yes\"}"};
	pwt_http_route(h.recv, "/cb", &yes);
	int64_t end = pw_now_ms() + pwt_ms(3000);
	while (strcmp(ctl_field(&h, p, "webhook_acknowledged"), "1") &&
	       pw_now_ms() < end)
		h_run_for(&h, 20);
	ck_assert_str_eq(ctl_field(&h, p, "webhook_acknowledged"), "1");
	size_t n = pwt_http_requests(h.recv);
	h_run_for(&h, pwt_ms(500)); /* > 4 retry periods */
	ck_assert_uint_eq(pwt_http_requests(h.recv), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(webhook_at(&h, i, NULL, 0), PA_OK);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_webhook_given_up_after_max_attempts)
{
	h_t h;
	h_start(&h, 0, "webhook-max-attempts", "3", NULL);
	pwt_http_behaviour_t e500 = {.status = 500, .body = "oops"};
	pwt_http_route(h.recv, "/cb", &e500);
	char ref[80];
	new_payin(&h, "APPROVEWH03", 100, ref);
	ck_assert(wait_requests(&h, 3));
	h_run_for(&h, pwt_ms(400));
	ck_assert_uint_eq(pwt_http_requests(h.recv), 3);
	json_t *c = h_ctl(&h, "GET", "counters", NULL);
	json_t *w = json_object_get(c, "webhooks");
	ck_assert_int_eq(json_integer_value(json_object_get(w, "given_up")), 1);
	json_decref(c);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_webhook_every_status_change_in_order)
{
	/* The late approval comes only once the first webhook has arrived
	 * (control API "resolve": the next planned step now): two status
	 * changes 100 ms apart had two deliveries in flight at once on a
	 * loaded machine, and their arrival order was the connections'. */
	h_t h;
	h_start(&h, 0, "late-delay-ms", "600000", NULL);
	char ref[80], st[32], p[160];
	new_payin(&h, "LATEWH00001", 100, ref);
	ck_assert(wait_requests(&h, 1));
	ck_assert_int_eq(webhook_at(&h, 0, st, sizeof st), PA_OK);
	ck_assert_str_eq(st, "User Timed Out");
	snprintf(p, sizeof p, "orders/%s/resolve", ref);
	json_decref(h_ctl(&h, "POST", p, "{}"));
	ck_assert(wait_requests(&h, 2));
	ck_assert_int_eq(webhook_at(&h, 1, st, sizeof st), PA_OK);
	ck_assert_str_eq(st, "Late Approved");
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_control_webhook_with_wrong_hash)
{
	h_t h;
	h_start(&h, 0, NULL);
	char ref[80], p[160];
	new_payin(&h, "MANUALWH001", 100, ref);
	snprintf(p, sizeof p, "orders/%s/status", ref);
	json_decref(h_ctl(&h, "POST", p, "{\"status\":\"Approved\"}"));
	ck_assert(wait_requests(&h, 1));
	ck_assert_int_eq(webhook_at(&h, 0, NULL, 0), PA_OK);
	snprintf(p, sizeof p, "orders/%s/webhook", ref);
	json_decref(h_ctl(&h, "POST", p, "{\"bad_hash\":true}"));
	ck_assert(wait_requests(&h, 2));
	ck_assert_int_eq(webhook_at(&h, 1, NULL, 0), PA_HASH_MISMATCH);
	/* replay: same status again, correct hash */
	json_decref(h_ctl(&h, "POST", p, "{\"copies\":2}"));
	ck_assert(wait_requests(&h, 4));
	ck_assert_int_eq(webhook_at(&h, 3, NULL, 0), PA_OK);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_fault_webhook_duplicated_and_out_of_order)
{
	h_t h;
	h_start(&h, 0, "fault", "webhook:dup=1", NULL);
	char ref[80], st[32];
	new_payin(&h, "APPROVEWH04", 100, ref);
	ck_assert(wait_requests(&h, 2));
	h_run_for(&h, pwt_ms(200));
	ck_assert_uint_eq(pwt_http_requests(h.recv), 2);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(webhook_at(&h, (size_t)i, st, sizeof st), PA_OK);
		ck_assert_str_eq(st, "Approved");
	}
	h_stop(&h);

	h_start(&h, 0, "fault", "webhook:reorder=1", NULL);
	new_payin(&h, "LATEWH00002", 100, ref);
	ck_assert(wait_requests(&h, 2));
	ck_assert_int_eq(webhook_at(&h, 0, st, sizeof st), PA_OK);
	ck_assert_str_eq(st, "Late Approved"); /* the newer status first */
	ck_assert_int_eq(webhook_at(&h, 1, st, sizeof st), PA_OK);
	ck_assert_str_eq(st, "User Timed Out");
	h_stop(&h);

	h_start(&h, 0, "fault", "webhook:bad_hash=1", NULL);
	new_payin(&h, "APPROVEWH05", 100, ref);
	ck_assert(wait_requests(&h, 1));
	ck_assert_int_eq(webhook_at(&h, 0, NULL, 0), PA_HASH_MISMATCH);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_control_resolve_and_endpoint_counters)
{
	h_t h;
	h_start(&h, 0, "resolve-delay-ms", "60000", NULL);
	char ref[80], p[160];
	new_payin(&h, "DECLINECTL1", 100, ref);
	snprintf(p, sizeof p, "orders/%s/resolve", ref);
	json_t *o = h_ctl(&h, "POST", p, "{}");
	ck_assert_str_eq(json_string_value(json_object_get(o, "status")),
			 "Declined");
	json_decref(o);
	o = h_ctl(&h, "POST", p, "{}");
	ck_assert_int_eq(h.status, 409); /* nothing left to do */
	json_decref(o);
	json_t *c = h_ctl(&h, "GET", "counters", NULL);
	json_t *e = json_object_get(c, "endpoints");
	ck_assert_int_eq(json_integer_value(json_object_get(
				 e, "/api/request.php")),
			 1);
	ck_assert_int_eq(json_integer_value(json_object_get(
				 json_object_get(c, "orders_by_status"),
				 "Declined")),
			 1);
	json_decref(c);
	json_decref(h_ctl(&h, "POST", "reset", "{}"));
	json_t *l = h_ctl(&h, "GET", "orders", NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(l, "total")), 0);
	json_decref(l);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_sink_verifies_and_acknowledges_webhooks)
{
	h_t h;
	h_start(&h, 0, "merchant", "pid=M3,secret=sink-secret,callback=self",
		"webhook-max-attempts", "3", NULL);
	pa_secret_t *s3;
	pa_secret_new("sink-secret", 11, &s3);
	pa_merchant_t m3 = h.m;
	m3.pid = "M3";
	m3.secret = s3;
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &m3, "APPROVESNK1", 250, &res), PA_OK);
	char ref[80], p[160];
	snprintf(ref, sizeof ref, "%s", res.ref_code);
	pa_payin_result_clear(&res);
	int64_t end = pw_now_ms() + pwt_ms(3000);
	json_t *sk = NULL;
	while (pw_now_ms() < end) {
		json_decref(sk);
		sk = h_ctl(&h, "GET", "sink", NULL);
		if (json_array_size(json_object_get(sk, "received")) >= 1)
			break;
		h_run_for(&h, 20);
	}
	json_t *e = json_array_get(json_object_get(sk, "received"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "status")),
			 "Approved");
	ck_assert_str_eq(json_string_value(json_object_get(e, "hash_status")),
			 "Hash Matched");
	ck_assert_str_eq(
		json_string_value(json_object_get(e, "received_amount")), "250");
	json_decref(sk);
	snprintf(p, sizeof p, "orders/%s", ref);
	end = pw_now_ms() + pwt_ms(3000);
	while (strcmp(ctl_field(&h, p, "webhook_acknowledged"), "1") &&
	       pw_now_ms() < end)
		h_run_for(&h, 20);
	ck_assert_str_eq(ctl_field(&h, p, "webhook_acknowledged"), "1");
	/* a wrong hash is reported and not acknowledged: re-sent, then
	 * given up after webhook-max-attempts */
	snprintf(p, sizeof p, "orders/%s/webhook", ref);
	json_decref(h_ctl(&h, "POST", p, "{\"bad_hash\":true}"));
	end = pw_now_ms() + pwt_ms(3000);
	size_t n = 0;
	while (n < 4 && pw_now_ms() < end) {
		sk = h_ctl(&h, "GET", "sink", NULL);
		n = json_array_size(json_object_get(sk, "received"));
		json_decref(sk);
		h_run_for(&h, 20);
	}
	ck_assert_uint_eq(n, 4); /* 1 good + 3 attempts of the bad one */
	sk = h_ctl(&h, "GET", "sink", NULL);
	e = json_array_get(json_object_get(sk, "received"), 3);
	ck_assert_str_eq(json_string_value(json_object_get(e, "hash_status")),
			 "Hash Mismatch");
	json_decref(sk);
	pa_secret_destroy(s3);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_max_orders_forgets_oldest_tenth)
{
	h_t h;
	h_start(&h, 0, "max-orders", "100", NULL);
	for (int i = 0; i < 101; i++) {
		char oid[32], ref[80];
		snprintf(oid, sizeof oid, "ORDEVICT%03d", i);
		new_payin(&h, oid, 100, ref);
	}
	json_t *c = h_ctl(&h, "GET", "counters", NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(c,
							    "orders_evicted")),
			 10);
	json_decref(c);
	h_order_status(&h, "ORDEVICT000");
	ck_assert_int_eq(h.status, 404);
	h_order_status(&h, "ORDEVICT010");
	ck_assert_int_eq(h.status, 200);
	h_order_status(&h, "ORDEVICT100");
	ck_assert_int_eq(h.status, 200);
	/* a forgotten order_id can be used again */
	char ref[80];
	new_payin(&h, "ORDEVICT000", 100, ref);
	h_stop(&h);
}
END_TEST

/* ---- request faults, classified by libpayatom's client --------------- */

static void set_fault(h_t *h, const char *rule)
{
	char body[300];
	snprintf(body, sizeof body, "{\"replace\":true,\"rules\":[\"%s\"]}",
		 rule);
	json_t *j = h_ctl(h, "POST", "faults", body);
	ck_assert_msg(json_object_get(j, "faults") != NULL, "%s", h->body);
	json_decref(j);
}

START_TEST(test_sandbox_fault_kinds_classified_by_client)
{
	h_t h;
	h_start(&h, pwt_ms(1000), NULL);
	char ref[80];
	new_payin(&h, "MANUALF0001", 100, ref);
	pa_txn_update_t upd = {0};

	set_fault(&h, "/api/status_polling.php:5xx=1");
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_HTTP_5XX);
	ck_assert_int_eq(h.status, 503);
	set_fault(&h, "/api/status_polling.php:5xx=1,status=502");
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_HTTP_5XX);
	ck_assert_int_eq(h.status, 502);
	set_fault(&h, "/api/status_polling.php:429=1");
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_RATE_LIMITED);
	set_fault(&h, "/api/status_polling.php:reset=1");
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_CONNECT);
	set_fault(&h, "/api/status_polling.php:truncated=1");
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_CONNECT);
	set_fault(&h, "/api/status_polling.php:hang=1");
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_TIMEOUT);
	set_fault(&h, "/api/status_polling.php:malformed=1");
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_PARSE);
	set_fault(&h, "/api/status_polling.php:bad_hash=1");
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_HASH_MISMATCH);
	/* rules are per endpoint: payin is unaffected */
	pa_payin_result_t res = {0};
	ck_assert_int_eq(h_payin(&h, &h.m, "ORDFAULT001", 100, &res), PA_OK);
	pa_payin_result_clear(&res);
	json_t *c = h_ctl(&h, "GET", "counters", NULL);
	json_t *f = json_object_get(c, "faults");
	ck_assert_int_eq(json_integer_value(json_object_get(f, "5xx")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(f, "hang")), 1);
	/* curl retries once a reused connection reset before any byte */
	ck_assert_int_ge(json_integer_value(json_object_get(f, "reset")), 1);
	json_decref(c);
	json_decref(h_ctl(&h, "DELETE", "faults", NULL));
	ck_assert_int_eq(h_poll(&h, ref, &upd), PA_OK);
	pa_txn_update_clear(&upd);
	h_stop(&h);
}
END_TEST

static void count_ok(pa_client_t *cli, const pa_reply_t *r, void *ud)
{
	(void)cli;
	if (r->err == PA_OK)
		(*(int *)ud)++;
}

START_TEST(test_sandbox_fault_latency_holds_reply_without_blocking)
{
	h_t h;
	h_start(&h, 0, "fault", "/api/status_polling.php:latency=fixed:300",
		NULL);
	char ref[80];
	new_payin(&h, "MANUALF0002", 100, ref);
	/* 50 concurrent polls, each held 300 ms by a timer */
	pa_request_t *req;
	char eb[PA_ERRBUF_SIZE];
	int done = 0, ok = 0;
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(pa_build_status(&h.m, PA_OP_STATUS, ref, &req,
						 eb),
				 PA_OK);
		ck_assert_int_eq(pa_client_send(h.cli, req, count_ok, &ok,
						NULL),
				 PA_OK);
		pa_request_destroy(req);
	}
	int64_t t0 = pw_now_ms();
	h_run_for(&h, 50); /* all 50 reach the sandbox */
	/* meanwhile an unfaulted endpoint answers at once */
	int64_t t1 = pw_now_ms();
	json_t *j = h_ctl(&h, "GET", "health", NULL);
	ck_assert_int_lt(pw_now_ms() - t1, 200);
	ck_assert_int_eq(ok, 0);
	json_decref(j);
	int64_t end = t0 + pwt_ms(5000);
	while (pw_now_ms() < end) {
		json_t *c = h_ctl(&h, "GET", "counters", NULL);
		done = ok == 50 &&
		       json_integer_value(json_object_get(c, "held")) == 0 &&
		       json_integer_value(json_object_get(c, "held_max")) == 50;
		json_decref(c);
		if (done)
			break;
		h_run_for(&h, 20);
	}
	ck_assert(done);
	ck_assert_int_ge(pw_now_ms() - t0, 290);
	h_stop(&h);
}
END_TEST

START_TEST(test_sandbox_fault_spec_rejected_with_reason)
{
	h_t h;
	h_start(&h, 0, NULL);
	json_t *j = h_ctl(&h, "POST", "faults",
			  "{\"rules\":[\"/api/request.php:5xx=2\"]}");
	ck_assert_int_eq(h.status, 400);
	ck_assert_ptr_nonnull(strstr(h_message(&h), "not in 0..1"));
	json_decref(j);
	j = h_ctl(&h, "POST", "faults",
		  "{\"rules\":[{\"endpoint\":\"/api/request.php\","
		  "\"latency\":\"uniform:10-20\",\"429\":0.5}]}");
	ck_assert_int_eq(h.status, 200);
	json_t *r = json_array_get(json_object_get(j, "faults"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(r, "latency")),
			 "uniform:10-20");
	json_decref(j);
	h_stop(&h);
}
END_TEST

/* ---- determinism ---------------------------------------------------- */

/* Creates 12 orders and returns "ref:planned,..." plus the fault outcome
 * sequence of 12 polls with 5xx=0.5. New (caller frees). */
static char *scenario(const char *seed)
{
	h_t h;
	h_start(&h, 0, "seed", seed, "fault",
		"/api/status_polling.php:5xx=0.5", NULL);
	size_t cap = 8192, len = 0;
	char *out = calloc(1, cap);
	for (int i = 0; i < 12; i++) {
		char oid[32], ref[80], p[120];
		snprintf(oid, sizeof oid, "ORDSEED%04d", i);
		new_payin(&h, oid, 100 + i, ref);
		snprintf(p, sizeof p, "orders/%s", ref);
		len += (size_t)snprintf(out + len, cap - len, "%.8s:%s,", ref,
					ctl_field(&h, p, "planned"));
	}
	char ref[80];
	new_payin(&h, "MANUALSEED1", 100, ref);
	for (int i = 0; i < 12; i++) {
		pa_txn_update_t upd = {0};
		pa_err_t e = h_poll(&h, ref, &upd);
		pa_txn_update_clear(&upd);
		len += (size_t)snprintf(out + len, cap - len, "%c",
					e == PA_OK ? 'o' : 'x');
	}
	h_stop(&h);
	return out;
}

START_TEST(test_sandbox_seeded_scenario_is_reproducible)
{
	char *a = scenario("42"), *b = scenario("42"), *c = scenario("43");
	ck_assert_str_eq(a, b);
	ck_assert_str_ne(a, c);
	ck_assert_ptr_nonnull(strchr(strchr(a, ',') + 0, 'o'));
	ck_assert_ptr_nonnull(strrchr(a, 'x'));
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(test_sandbox_magic_values_resolve_as_documented)
{
	h_t h;
	h_start(&h, 0, NULL);
	static const struct {
		const char *oid;
		int64_t major;
		const char *final;
	} cases[] = {
		{"DECLINE0001", 100, "Declined"},
		{"TIMEOUT0001", 100, "User Timed Out"},
		{"NOMATCH0001", 100, "No Matching Payment for UTR"},
		{"MISMATCH001", 100, "Amount Mismatch"},
		{"CANCEL00001", 100, "Cancelled"},
		{"FAIL0000001", 100, "Failed"},
		{"REFUND00001", 100, "Refund Completed"},
		{"ORDAMT00001", 1901, "Declined"},
		{"ORDAMT00002", 907, "Failed"},
		{"ORDAMT00003", 2900, "Approved"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char ref[80];
		new_payin(&h, cases[i].oid, cases[i].major, ref);
	}
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(h_wait_status(&h, cases[i].oid, cases[i].final),
			      "%s: %s", cases[i].oid,
			      h_order_status(&h, cases[i].oid));
	h_run_for(&h, pwt_ms(300));
	ck_assert_str_eq(h_order_status(&h, "TIMEOUT0001"), "User Timed Out");
	h_stop(&h);
}
END_TEST

/* ---- the program ---------------------------------------------------- */

START_TEST(test_sandbox_program_prints_port_and_stops_on_sigterm)
{
	char bin[512];
	pwt_bin_path("payatom-sandbox", bin, sizeof bin);
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	char logpath[] = "/tmp/sbxlogXXXXXX";
	int logfd = mkstemp(logpath);
	ck_assert_int_ge(logfd, 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(logfd, 2);
		close(fds[0]);
		execl(bin, bin, "--port", "0", "--seed", "7", "--log-requests",
		      "1", (char *)NULL);
		_exit(127);
	}
	close(logfd);
	close(fds[1]);
	char line[128] = "";
	FILE *f = fdopen(fds[0], "r");
	ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
	unsigned port = 0;
	ck_assert_int_eq(sscanf(line, "listening 127.0.0.1:%u", &port), 1);
	ck_assert_uint_gt(port, 0);
	/* it answers */
	h_t h;
	h_start(&h, 0, NULL);
	snprintf(h.base, sizeof h.base, "http://127.0.0.1:%u", port);
	json_t *j = h_ctl(&h, "GET", "health", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(j, "status")),
			 "ok");
	json_decref(j);
	h_raw(&h, "POST", "/api/request.php",
	      "{\"pid\":\"SBX0000001\",\"email\":\"private@example.test\"}",
	      NULL);
	ck_assert_str_eq(h_message(&h), "amount is required field");
	h_stop(&h);
	kill(pid, SIGTERM);
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	fclose(f);
	/* one access-log line per gateway request, never the body */
	FILE *lf = fopen(logpath, "r");
	char log[4096] = "";
	size_t ln = fread(log, 1, sizeof log - 1, lf);
	log[ln] = '\0';
	fclose(lf);
	unlink(logpath);
	ck_assert_ptr_nonnull(strstr(log, "\"path\":\"/api/request.php\""));
	ck_assert_ptr_null(strstr(log, "private@example.test"));
	ck_assert_ptr_null(strstr(log, "/_sandbox/health"));
}
END_TEST

START_TEST(test_sandbox_program_help_lists_every_option)
{
	char bin[512], cmd[600];
	pwt_bin_path("payatom-sandbox", bin, sizeof bin);
	snprintf(cmd, sizeof cmd, "%s --help", bin);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	static char out[32768];
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	static const char *const names[] = {
		"--bind", "--port", "--seed", "--resolve-delay-ms", "--mix",
		"--webhook-retry-ms", "--webhook-max-attempts",
		"--recon-daily-limit", "--hang-max-ms", "--merchant",
		"--fault", "--config", "--print-port", "--check-config",
		"--v2-signature", "APPROVE", "/_sandbox/orders/ID/status",
		"--order-id-rules"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_msg(strstr(out, names[i]) != NULL, "%s", names[i]);
	snprintf(cmd, sizeof cmd, "%s --prot 1 2>&1", bin);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = '\0';
	ck_assert_int_ne(pclose(p), 0);
	ck_assert_ptr_nonnull(strstr(out, "did you mean --port?"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sandbox_faults");
	TCase *tc = tcase_create("webhooks");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sandbox_webhook_delivered_with_verifiable_hash);
	tcase_add_test(tc,
		       test_sandbox_webhook_resent_until_acknowledged_then_stops);
	tcase_add_test(tc, test_sandbox_webhook_given_up_after_max_attempts);
	tcase_add_test(tc, test_sandbox_webhook_every_status_change_in_order);
	tcase_add_test(tc, test_sandbox_control_webhook_with_wrong_hash);
	tcase_add_test(tc, test_sandbox_control_resolve_and_endpoint_counters);
	tcase_add_test(tc, test_sandbox_max_orders_forgets_oldest_tenth);
	tcase_add_test(tc, test_sandbox_sink_verifies_and_acknowledges_webhooks);
	tcase_add_test(tc,
		       test_sandbox_fault_webhook_duplicated_and_out_of_order);
	suite_add_tcase(s, tc);
	tc = tcase_create("faults");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sandbox_fault_kinds_classified_by_client);
	tcase_add_test(tc,
		       test_sandbox_fault_latency_holds_reply_without_blocking);
	tcase_add_test(tc, test_sandbox_fault_spec_rejected_with_reason);
	suite_add_tcase(s, tc);
	tc = tcase_create("determinism");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sandbox_seeded_scenario_is_reproducible);
	tcase_add_test(tc, test_sandbox_magic_values_resolve_as_documented);
	suite_add_tcase(s, tc);
	tc = tcase_create("program");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sandbox_program_prints_port_and_stops_on_sigterm);
	tcase_add_test(tc, test_sandbox_program_help_lists_every_option);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
