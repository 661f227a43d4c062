/* it_gateway_cap.c -- the PayAtom gateway adapter against the scripted
 * loopback HTTP server: its concurrency cap (gateway.max.concurrent: calls
 * beyond the cap wait in order of arrival, never open more connections
 * than the cap, all get exactly one result, a waiting call can be
 * cancelled), and what it makes of a status answer (one that names another
 * order is not this order's answer). Loopback only, bounded. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "payatom/crypto.h"
#include "gateway/gateway_payatom.h"
#include "gateway/merchants.h"
#include "pwtest.h"
#include "testhttp.h"

#define N_CALLS 9
#define CAP 3
#define DELAY_MS 150

typedef struct rig {
	pw_loop_t *loop;
	pwt_http_t *srv;
	pw_merchants_t *ms;
	pw_gateway_t *gw;
	pw_order_t ord[N_CALLS];
	int order[N_CALLS]; /* index of the i-th result */
	int results, max_sending;
	char base[128];
} rig_t;

typedef struct slot {
	rig_t *r;
	int i;
} slot_t;

static void rig_start(rig_t *r, int cap)
{
	char eb[PA_ERRBUF_SIZE];
	memset(r, 0, sizeof *r);
	ck_assert_int_eq(pw_loop_new(&r->loop), PA_OK);
	r->srv = pwt_http_start();
	ck_assert_ptr_nonnull(r->srv);
	pwt_http_behaviour_t b = {.kind = PWT_HTTP_REPLY,
				  .status = 200,
				  .body = "{\"status\":\"Pending\"}",
				  .delay_ms = DELAY_MS};
	ck_assert_int_eq(pwt_http_route(r->srv, "*", &b), 0);
	pwt_http_url(r->srv, "", r->base, sizeof r->base);
	pa_merchant_t pm = {0};
	pm.pid = "M1";
	pm.api_version = PA_API_V1;
	pm.base_url = r->base;
	pm.country = PA_COUNTRY_IN;
	pm.poll_key = PA_POLL_BY_REF_CODE;
	pm.lenient_order_id = 1;
	ck_assert_int_eq(pw_merchants_new(&r->ms), PA_OK);
	ck_assert_int_eq(pw_merchants_add(r->ms, "m1", &pm, "secret-key", eb),
			 PA_OK);
	pw_gwp_opts_t go = {0};
	go.client.total_timeout_ms = pwt_ms(10000);
	go.max_concurrent = cap;
	ck_assert_int_eq(pw_gateway_payatom_new(r->loop, r->ms, &go, &r->gw,
						eb),
			 PA_OK);
	for (int i = 0; i < N_CALLS; i++) {
		pw_order_t *o = &r->ord[i];
		snprintf(o->order_id, sizeof o->order_id, "CAP%03d", i);
		snprintf(o->ref_code, sizeof o->ref_code, "REF%03d", i);
		snprintf(o->merchant, sizeof o->merchant, "m1");
		o->kind = PW_KIND_PAYIN;
	}
}

static void rig_stop(rig_t *r)
{
	r->gw->destroy(r->gw);
	pw_merchants_destroy(r->ms);
	pwt_http_stop(r->srv);
	pw_loop_destroy(r->loop);
}

static pa_err_t last_err;
static pa_status_t last_status;
static char last_msg[PA_ERRBUF_SIZE];

static void on_result(void *ud, const pw_gw_result_t *res)
{
	slot_t *s = ud;
	last_err = res->err;
	last_status = res->status;
	snprintf(last_msg, sizeof last_msg, "%s",
		 res->message ? res->message : "");
	s->r->order[s->r->results++] = s->i;
}

/* Asks the status of the first n orders, in order. */
static void ask_status(rig_t *r, int n, slot_t *sl, pw_gw_call_t **c)
{
	for (int i = 0; i < n; i++) {
		sl[i] = (slot_t){r, i};
		ck_assert_int_eq(r->gw->status(r->gw, &r->ord[i], on_result,
					       &sl[i], &c[i]),
				 PA_OK);
	}
}

/* Runs the loop until n results arrived (bounded), noting the most
 * calls ever sent at once. */
static void run_until(rig_t *r, int n)
{
	int64_t end = pwt_now_ms() + pwt_ms(20000);
	while (r->results < n && pwt_now_ms() < end) {
		pw_loop_run_once(r->loop, 10);
		int sending = 0;
		pw_gateway_payatom_load(r->gw, &sending, NULL);
		if (sending > r->max_sending)
			r->max_sending = sending;
	}
}

START_TEST(test_cap_bounds_calls_and_connections)
{
	rig_t r;
	slot_t sl[N_CALLS];
	pw_gw_call_t *c[N_CALLS];
	rig_start(&r, CAP);
	int64_t t0 = pwt_now_ms();
	ask_status(&r, N_CALLS, sl, c);
	run_until(&r, N_CALLS);
	int64_t took = pwt_now_ms() - t0;
	ck_assert_int_eq(r.results, N_CALLS);
	ck_assert_int_eq(r.max_sending, CAP);
	/* never more connections than calls allowed at once */
	ck_assert_uint_le(pwt_http_connections(r.srv), CAP);
	ck_assert_uint_eq(pwt_http_requests(r.srv), N_CALLS);
	/* three rounds of CAP calls, each held DELAY_MS by the server */
	ck_assert_int_ge(took, (N_CALLS / CAP) * DELAY_MS);
	/* the first CAP results are the calls sent at once; the waiting
	 * ones come after (their order: test_cap_one_is_fifo) */
	for (int i = CAP; i < N_CALLS; i++)
		ck_assert_int_eq(r.order[i] >= CAP, 1);
	int sending = -1, waiting = -1;
	pw_gateway_payatom_load(r.gw, &sending, &waiting);
	ck_assert_int_eq(sending, 0);
	ck_assert_int_eq(waiting, 0);
	rig_stop(&r);
}
END_TEST

/* With one slot the calls run one after another: the results come in the
 * order the calls were asked for, i.e. the wait queue is first in, first
 * out. */
START_TEST(test_cap_one_is_fifo)
{
	rig_t r;
	slot_t sl[N_CALLS];
	pw_gw_call_t *c[N_CALLS];
	rig_start(&r, 1);
	ask_status(&r, 5, sl, c);
	run_until(&r, 5);
	ck_assert_int_eq(r.results, 5);
	ck_assert_int_eq(r.max_sending, 1);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(r.order[i], i);
	rig_stop(&r);
}
END_TEST

START_TEST(test_uncapped_opens_a_connection_per_call)
{
	rig_t r;
	slot_t sl[N_CALLS];
	pw_gw_call_t *c[N_CALLS];
	rig_start(&r, 0);
	ask_status(&r, N_CALLS, sl, c);
	run_until(&r, N_CALLS);
	ck_assert_int_eq(r.results, N_CALLS);
	ck_assert_int_eq(r.max_sending, N_CALLS);
	ck_assert_uint_eq(pwt_http_connections(r.srv), N_CALLS);
	rig_stop(&r);
}
END_TEST

START_TEST(test_waiting_call_cancelled)
{
	rig_t r;
	slot_t sl[N_CALLS];
	pw_gw_call_t *c[N_CALLS];
	rig_start(&r, 1);
	ask_status(&r, 3, sl, c);
	/* the first is sent, the other two wait */
	int64_t end = pwt_now_ms() + pwt_ms(5000);
	int sending = 0, waiting = 0;
	while (waiting < 2 && pwt_now_ms() < end) {
		pw_loop_run_once(r.loop, 5);
		pw_gateway_payatom_load(r.gw, &sending, &waiting);
	}
	ck_assert_int_eq(sending, 1);
	ck_assert_int_eq(waiting, 2);
	r.gw->cancel(r.gw, c[1]); /* waiting: leaves the queue */
	pw_gateway_payatom_load(r.gw, &sending, &waiting);
	ck_assert_int_eq(waiting, 1);
	r.gw->cancel(r.gw, c[0]); /* in flight: its slot goes to call 2 */
	run_until(&r, 1);
	ck_assert_int_eq(r.results, 1);
	ck_assert_int_eq(r.order[0], 2);
	pw_gateway_payatom_load(r.gw, &sending, &waiting);
	ck_assert_int_eq(sending, 0);
	ck_assert_int_eq(waiting, 0);
	rig_stop(&r);
}
END_TEST

/* A status answer as the gateway writes it: {"order_id", "status",
 * "received_amount", "post_hash" = seal(md5(order_id . received_amount .
 * status . secret))} (spec §5, §6). */
static void script_status(rig_t *r, const char *order_id, const char *status)
{
	char md5[PA_MD5_HEX_LEN + 1], *ph = NULL, body[1024];
	pa_part_t parts[] = {pa_part(order_id), pa_part("100"),
			     pa_part(status), pa_part("secret-key")};
	ck_assert_int_eq(pa_md5_hex(parts, 4, md5), PA_OK);
	pa_secret_t *sec = NULL;
	ck_assert_int_eq(pa_secret_new("secret-key", 10, &sec), PA_OK);
	uint8_t iv[16] = {7};
	ck_assert_int_eq(pa_seal(sec, (const uint8_t *)md5, strlen(md5), iv,
				 &ph, NULL),
			 PA_OK);
	pa_secret_destroy(sec);
	snprintf(body, sizeof body,
		 "{\"order_id\":\"%s\",\"ref_code\":\"REF000\","
		 "\"status\":\"%s\",\"received_amount\":100,"
		 "\"post_hash\":\"%s\"}",
		 order_id, status, ph);
	free(ph);
	pwt_http_behaviour_t b = {.kind = PWT_HTTP_REPLY, .status = 200,
				  .body = body};
	ck_assert_int_eq(pwt_http_route(r->srv, "*", &b), 0);
}

/* An answer that verifies but is about another order (a ref_code that is
 * not the order's own, or a confused gateway) says nothing about the order
 * asked: it is an unreadable answer (retried), never its status. */
START_TEST(test_status_answer_for_another_order_is_refused)
{
	rig_t r;
	slot_t sl[1];
	pw_gw_call_t *c[1];
	rig_start(&r, CAP);
	script_status(&r, "CAP000", "Approved");
	ask_status(&r, 1, sl, c);
	run_until(&r, 1);
	ck_assert_int_eq(r.results, 1);
	ck_assert_msg(last_err == PA_OK, "own answer: %s %s",
		      pa_err_name(last_err), last_msg);
	ck_assert_int_eq(last_status, PA_STATUS_SUCCEEDED);

	script_status(&r, "CAP0001", "Approved"); /* CAP000 + "1" */
	r.results = 0;
	ask_status(&r, 1, sl, c);
	run_until(&r, 1);
	ck_assert_int_eq(r.results, 1);
	ck_assert_int_eq(last_err, PA_IO);
	ck_assert_ptr_nonnull(strstr(last_msg, "another order_id"));
	rig_stop(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gateway_cap");
	TCase *tc = tcase_create("cap");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_cap_bounds_calls_and_connections);
	tcase_add_test(tc, test_cap_one_is_fifo);
	tcase_add_test(tc, test_uncapped_opens_a_connection_per_call);
	tcase_add_test(tc, test_waiting_call_cancelled);
	suite_add_tcase(s, tc);
	tc = tcase_create("status_answers");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_status_answer_for_another_order_is_refused);
	suite_add_tcase(s, tc);
	return pwt_run_suite(s);
}
