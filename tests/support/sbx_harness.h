/* sbx_harness.h -- a sandbox in-process on a pw_loop with libpayatom's
 * client attached, for the it_sandbox*.c tests (header-only: each test
 * program includes it once).
 * Owns: starting/stopping the fixture, synchronous calls (the loop runs until
 *       the reply arrives, bounded by pwt_ms()), the control-API helper, the
 *       merchant profiles the client uses.
 * Not here: assertions about behaviour (the tests). */
#ifndef SBX_HARNESS_H
#define SBX_HARNESS_H

#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/loop.h"
#include "core/loop_curl.h"
#include "payatom/api.h"
#include "payatom/client.h"
#include "pwtest.h"
#include "sandbox/sandbox.h"
#include "testhttp.h"

#define H_SECRET "s3cr3t-merchant-key"
#define H_APIKEY "key-0001-abcd-ef01"

typedef struct h {
	pw_loop_t *loop;
	sbx_cfg_t *cfg;
	sbx_t *sbx;
	pa_client_t *cli;
	pw_loop_curl_t *lc;
	pwt_http_t *recv; /* the merchant's webhook receiver */
	pa_secret_t *sec;
	char base[64];
	pa_merchant_t m;  /* V1, merchant M1 */
	pa_merchant_t m2; /* V2, merchant M1 */
	/* last reply */
	int done;
	pa_err_t err;
	long status;
	char *body;
	size_t body_len;
} h_t;

/* Starts a sandbox with merchant M1 (callback to a fresh receiver), M2 (IP
 * allowlist 10.9.9.9 only) and the extra options given as key, value
 * pairs ending with NULL. */
static void h_start(h_t *h, long client_timeout_ms, ...)
{
	char eb[PA_ERRBUF_SIZE], url[256], spec[512];
	memset(h, 0, sizeof *h);
	h->recv = pwt_http_start();
	ck_assert_ptr_nonnull(h->recv);
	pwt_http_behaviour_t ack = {
		.body = "{\"hash_status\":\"HashMatched\",\"acknowledge\":\"yes\"}"};
	pwt_http_route(h->recv, "/cb", &ack);
	ck_assert_int_eq(pw_loop_new(&h->loop), PA_OK);
	ck_assert_int_eq(sbx_cfg_new(&h->cfg), PA_OK);
	pwt_http_url(h->recv, "/cb", url, sizeof url);
	snprintf(spec, sizeof spec,
		 "pid=M1,secret=" H_SECRET ",api_key=" H_APIKEY
		 ",token=tok-1,operator_key=op-1,email=op@sandbox.test,"
		 "password=pw-1,callback=%s",
		 url);
	ck_assert_int_eq(sbx_cfg_set(h->cfg, "merchant", spec, eb), PA_OK);
	ck_assert_int_eq(sbx_cfg_set(h->cfg, "merchant",
				     "pid=M2,secret=other,api_key=k2,token=t2,"
				     "ips=10.9.9.9",
				     eb),
			 PA_OK);
	sbx_cfg_set(h->cfg, "port", "0", eb);
	sbx_cfg_set(h->cfg, "resolve-delay-ms", "100", eb);
	sbx_cfg_set(h->cfg, "late-delay-ms", "100", eb);
	sbx_cfg_set(h->cfg, "refund-delay-ms", "100", eb);
	sbx_cfg_set(h->cfg, "webhook-retry-ms", "50", eb);
	sbx_cfg_set(h->cfg, "webhook-retry-max-ms", "100", eb);
	va_list ap;
	va_start(ap, client_timeout_ms);
	const char *k;
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);
		ck_assert_msg(sbx_cfg_set(h->cfg, k, v, eb) == PA_OK, "%s: %s",
			      k, eb);
	}
	va_end(ap);
	ck_assert_msg(sbx_new(h->loop, h->cfg, &h->sbx, eb) == PA_OK, "%s",
		      eb);
	pa_client_opts_t o = {0};
	o.total_timeout_ms = client_timeout_ms ? client_timeout_ms
					       : pwt_ms(5000);
	ck_assert_int_eq(pa_client_new(&o, &h->cli), PA_OK);
	ck_assert_int_eq(pw_loop_curl_attach(h->loop, h->cli, &h->lc), PA_OK);
	snprintf(h->base, sizeof h->base, "%s", sbx_base_url(h->sbx));
	ck_assert_uint_eq(strlen(h->base),
			  strlen("http://127.0.0.1:") +
				  (size_t)snprintf(NULL, 0, "%u",
						   (unsigned)sbx_port(h->sbx)));
	ck_assert_int_eq(pa_secret_new(H_SECRET, strlen(H_SECRET), &h->sec),
			 PA_OK);
	pa_merchant_t *m = &h->m;
	m->pid = "M1";
	m->secret = h->sec;
	m->api_version = PA_API_V1;
	m->api_key = H_APIKEY;
	m->base_url = h->base;
	m->country = PA_COUNTRY_IN;
	m->recon_token = "tok-1";
	m->bot_api_key = "op-1";
	m->complaint_token = "tok-1";
	m->balance_token = "tok-1";
	h->m2 = h->m;
	h->m2.api_version = PA_API_V2;
}

static void h_stop(h_t *h)
{
	free(h->body);
	pw_loop_curl_detach(h->lc);
	pa_client_destroy(h->cli);
	sbx_destroy(h->sbx);
	pw_loop_destroy(h->loop);
	sbx_cfg_destroy(h->cfg);
	pa_secret_destroy(h->sec);
	pwt_http_stop(h->recv);
}

static void h_on_reply(pa_client_t *cli, const pa_reply_t *r, void *ud)
{
	h_t *h = ud;
	(void)cli;
	h->done = 1;
	h->err = r->err;
	h->status = r->http_status;
	free(h->body);
	h->body = malloc(r->body_len + 1);
	memcpy(h->body, r->body, r->body_len);
	h->body[r->body_len] = '\0';
	h->body_len = r->body_len;
}

/* Runs the loop for ms (bounded). */
static void h_run_for(h_t *h, long ms)
{
	int64_t end = pw_now_ms() + ms;
	while (pw_now_ms() < end)
		pw_loop_run_once(h->loop, 10);
}

/* Sends req (destroyed here) and runs the loop until the reply. */
static pa_err_t h_send(h_t *h, pa_request_t *req)
{
	h->done = 0;
	ck_assert_int_eq(pa_client_send(h->cli, req, h_on_reply, h, NULL),
			 PA_OK);
	pa_request_destroy(req);
	int64_t end = pw_now_ms() + pwt_ms(10000);
	while (!h->done && pw_now_ms() < end)
		pw_loop_run_once(h->loop, 10);
	ck_assert_msg(h->done, "no reply in time");
	return h->err;
}

/* A raw request: headers as "Name: value" strings ending with NULL. */
static pa_err_t h_raw(h_t *h, const char *method, const char *path,
		      const char *body, ...)
{
	struct pa_header hd[8];
	size_t n = 0;
	va_list ap;
	va_start(ap, body);
	const char *line;
	char names[8][64];
	while ((line = va_arg(ap, const char *)) && n < 8) {
		const char *colon = strchr(line, ':');
		snprintf(names[n], sizeof names[n], "%.*s",
			 (int)(colon - line), line);
		hd[n].name = names[n];
		hd[n].value = (char *)colon + 2;
		n++;
	}
	va_end(ap);
	char url[512];
	snprintf(url, sizeof url, "%s%s", h->base, path);
	pa_request_t req;
	memset(&req, 0, sizeof req);
	req.method = (char *)method;
	req.url = url;
	req.headers = hd;
	req.n_headers = n;
	req.body = (char *)body;
	req.body_len = body ? strlen(body) : 0;
	h->done = 0;
	ck_assert_int_eq(pa_client_send(h->cli, &req, h_on_reply, h, NULL),
			 PA_OK);
	int64_t end = pw_now_ms() + pwt_ms(10000);
	while (!h->done && pw_now_ms() < end)
		pw_loop_run_once(h->loop, 10);
	ck_assert_msg(h->done, "no reply in time");
	return h->err;
}

/* The "message" of the last reply (static buffer), "" when none. */
static const char *h_message(h_t *h)
{
	static char msg[256];
	json_t *j = json_loads(h->body ? h->body : "", 0, NULL);
	snprintf(msg, sizeof msg, "%s",
		 json_string_value(json_object_get(j, "message"))
			 ? json_string_value(json_object_get(j, "message"))
			 : "");
	json_decref(j);
	return msg;
}

/* Control API call; returns the parsed reply (caller decrefs). */
static json_t *h_ctl(h_t *h, const char *method, const char *path,
		     const char *body)
{
	char p[256];
	snprintf(p, sizeof p, "/_sandbox/%s", path);
	h_raw(h, method, p, body, "Content-Type: application/json", NULL);
	json_t *j = json_loads(h->body, 0, NULL);
	ck_assert_msg(j != NULL, "control reply not JSON: %s", h->body);
	return j;
}

/* Status of an order through the control API ("" when unknown). */
static const char *h_order_status(h_t *h, const char *id)
{
	static char st[64];
	char p[160];
	snprintf(p, sizeof p, "orders/%s", id);
	json_t *j = h_ctl(h, "GET", p, NULL);
	snprintf(st, sizeof st, "%s",
		 json_string_value(json_object_get(j, "status"))
			 ? json_string_value(json_object_get(j, "status"))
			 : "");
	json_decref(j);
	return st;
}

/* Runs the loop until the order reaches status (bounded); 1 when it did. */
static int h_wait_status(h_t *h, const char *id, const char *status)
{
	int64_t end = pw_now_ms() + pwt_ms(5000);
	while (pw_now_ms() < end) {
		if (!strcmp(h_order_status(h, id), status))
			return 1;
		h_run_for(h, 20);
	}
	return 0;
}

/* A payin through libpayatom (India seamless UPI by default). */
static pa_err_t h_payin(h_t *h, const pa_merchant_t *m, const char *oid,
			int64_t major, pa_payin_result_t *res)
{
	pa_payin_req_t r = {0};
	r.flow = PA_FLOW_SEAMLESS;
	r.party = PA_PARTY_P2P;
	r.channel = PA_CHANNEL_UPI;
	r.order_id = oid;
	r.amount_minor = major * 100;
	r.name = "Asha";
	r.email = "asha@example.test";
	r.phone = "9000000000";
	r.upi_id = "asha@upi";
	r.ip = "203.0.113.7";
	r.latitude = "28.7041";
	r.longitude = "77.1025";
	r.customer_id = "CUST001";
	pa_request_t *req = NULL;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_msg(pa_build_payin(m, &r, &req, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(h_send(h, req), PA_OK);
	return pa_parse_payin(m, h->body, h->body_len, res, eb);
}

/* Polls status through libpayatom; upd verified (post_hash). */
static pa_err_t h_poll(h_t *h, const char *ref, pa_txn_update_t *upd)
{
	pa_request_t *req = NULL;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_build_status(&h->m, PA_OP_STATUS, ref, &req, eb),
			 PA_OK);
	pa_err_t e = h_send(h, req);
	if (e)
		return e;
	return pa_parse_status(&h->m, h->body, h->body_len, upd, eb);
}

#endif
