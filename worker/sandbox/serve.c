/* serve.c -- how the sandbox serves its gateway endpoints.
 * Owns: routing every endpoint of the table to its handler, per-request
 *       fault application (latency timers, 5xx, 429, hang, reset,
 *       malformed and truncated bodies), replies held for their latency,
 *       request logs and per-endpoint counts.
 * Not here: the endpoint table and the payin / payout / status / refund /
 *           UTR handlers (routes.c), reports, wallet and complaint
 *           endpoints (reports.c), fault configuration (faults.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sandbox/sbx_int.h"

/* A reply waiting for its latency timer, or a hung request. */
struct sbx_held {
	sbx_t *sbx;
	pw_http_req_t *req;
	pw_timer_t *timer;
	int status;
	char *body;
	size_t len;
	const char *ctype;
	int truncated, reset, hang;
	sbx_held_t *prev, *next;
};

static void held_free(sbx_held_t *h)
{
	sbx_t *sbx = h->sbx;
	if (h->prev)
		h->prev->next = h->next;
	else
		sbx->held_list = h->next;
	if (h->next)
		h->next->prev = h->prev;
	sbx->c.held--;
	free(h->body);
	free(h);
}

static void send_reply(pw_http_req_t *req, int status, const char *ctype,
		       const char *body, size_t len, int truncated, int reset)
{
	if (reset)
		pw_http_abort(req, 1);
	else if (truncated)
		pw_http_reply_truncated(req, status, ctype, body, len, len / 2);
	else
		pw_http_reply(req, status, ctype, body, len);
}

static void on_held(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	sbx_held_t *h = ud;
	(void)loop;
	(void)t;
	h->timer = NULL;
	if (h->hang)
		pw_http_abort(h->req, 1); /* the client gave up long ago */
	else
		send_reply(h->req, h->status, h->ctype, h->body, h->len,
			   h->truncated, h->reset);
	held_free(h);
}

static void on_abort(pw_http_req_t *req, void *ud)
{
	sbx_held_t *h = ud;
	(void)req;
	pw_timer_cancel(h->sbx->loop, h->timer);
	held_free(h);
}

/* After pw_http_destroy() the abort callbacks have emptied the list; this
 * only frees what a failed start may have left. */
void sbx__held_cancel_all(sbx_t *sbx)
{
	while (sbx->held_list) {
		sbx_held_t *h = sbx->held_list;
		pw_timer_cancel(sbx->loop, h->timer);
		held_free(h);
	}
}

static void hold(sbx_t *sbx, pw_http_req_t *req, int64_t ms, int status,
		 const char *ctype, char *body, size_t len, int truncated,
		 int reset, int hang)
{
	sbx_held_t *h = calloc(1, sizeof *h);
	if (!h) {
		free(body);
		pw_http_abort(req, 0);
		return;
	}
	h->sbx = sbx;
	h->req = req;
	h->status = status;
	h->ctype = ctype;
	h->body = body;
	h->len = len;
	h->truncated = truncated;
	h->reset = reset;
	h->hang = hang;
	h->next = sbx->held_list;
	if (sbx->held_list)
		sbx->held_list->prev = h;
	sbx->held_list = h;
	if (++sbx->c.held > sbx->c.held_max)
		sbx->c.held_max = sbx->c.held;
	pw_http_req_on_abort(req, on_abort, h);
	h->timer = pw_timer_add(sbx->loop, ms, on_held, h);
}

static const char k_malformed[] = "{\"status\":\"success\",\"ref_code\":\"";
static const char k_5xx[] =
	"<html><head><title>%d Service Unavailable</title></head>"
	"<body><h1>%d</h1><p>nginx</p></body></html>";
static const char k_429[] =
	"{\"status\":\"error\",\"message\":\"Too Many Requests\"}";

/* One access-log line (--log-requests): no body, no header values. */
static void log_request(pw_http_req_t *req, int status,
			const sbx_fault_plan_t *fp)
{
	const char *fault = fp->reset	  ? "reset"
			    : fp->hang	  ? "hang"
			    : fp->http_status ? "status"
			    : fp->truncated ? "truncated"
			    : fp->malformed ? "malformed"
			    : fp->bad_hash  ? "bad_hash"
					    : "none";
	char ts[32];
	sbx__log_ts(ts);
	json_t *l = json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:I}", "ts", ts,
			      "method",
			      pw_http_method(req), "path", pw_http_path(req),
			      "ip", pw_http_client_ip(req), "status", status,
			      "fault", fault, "delay_ms",
			      (json_int_t)fp->delay_ms);
	char *s = json_dumps(l, JSON_COMPACT);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s);
	json_decref(l);
}

typedef struct bind {
	sbx_t *sbx;
	const sbx_ep_t *ep;
	uint64_t requests;
} bind_t;


void sbx__endpoint_counts_clear(sbx_t *sbx)
{
	bind_t *b = sbx->route_binds;
	for (size_t i = 0; b && i < sbx__n_eps; i++)
		b[i].requests = 0;
}

json_t *sbx__endpoint_counts(const sbx_t *sbx)
{
	const bind_t *b = sbx->route_binds;
	json_t *o = json_object();
	for (size_t i = 0; b && i < sbx__n_eps; i++) {
		json_t *n = json_object_get(o, b[i].ep->path);
		json_object_set_new(o, b[i].ep->path,
				    json_integer(json_integer_value(n) +
						 (json_int_t)b[i].requests));
	}
	return o;
}

static void gw_handle(pw_http_req_t *req, void *ud)
{
	bind_t *b = ud;
	sbx_t *sbx = b->sbx;
	const sbx_ep_t *ep = b->ep;
	if (strcmp(pw_http_path(req), ep->path) != 0) {
		static const char nf[] =
			"{\"status\":\"error\",\"message\":\"Not found\"}";
		pw_http_reply(req, 404, "application/json", nf, sizeof nf - 1);
		return;
	}
	sbx->c.gw_requests++;
	b->requests++;
	sbx_fault_plan_t fp;
	sbx_fault_roll(sbx, sbx_fault_find(sbx, pw_http_path(req)), &fp);
	if (fp.delay_ms > 0)
		sbx->c.f_latency++;
	if ((fp.hang || fp.reset) && sbx->cfg.log_requests)
		log_request(req, 0, &fp);
	if (fp.hang) {
		sbx->c.f_hang++;
		hold(sbx, req, sbx->cfg.hang_max_ms, 0, NULL, NULL, 0, 0, 0, 1);
		return;
	}
	if (fp.reset) {
		sbx->c.f_reset++;
		if (fp.delay_ms > 0)
			hold(sbx, req, fp.delay_ms, 0, NULL, NULL, 0, 0, 1, 0);
		else
			pw_http_abort(req, 1);
		return;
	}
	sbx_ctx_t c;
	memset(&c, 0, sizeof c);
	c.sbx = sbx;
	c.req = req;
	c.v2 = ep->v2;
	c.bad_hash = fp.bad_hash;
	c.status = 200;
	c.ctype = "application/json";
	if (fp.bad_hash)
		sbx->c.f_bad_hash++;
	char *body = NULL;
	size_t len = 0;
	if (fp.http_status) {
		/* The endpoint does not run: nothing changes state. */
		if (fp.http_status == 429) {
			sbx->c.f_429++;
			body = strdup(k_429);
			pw_http_add_header(req, "Retry-After", "1");
		} else {
			sbx->c.f_5xx++;
			char hb[256];
			snprintf(hb, sizeof hb, k_5xx, fp.http_status,
				 fp.http_status);
			body = strdup(hb);
			c.ctype = "text/html";
		}
		c.status = fp.http_status;
		len = body ? strlen(body) : 0;
	} else {
		size_t blen;
		const uint8_t *raw = pw_http_body(req, &blen);
		if (blen) {
			c.body = json_loadb((const char *)raw, blen, 0, NULL);
			if (!json_is_object(c.body)) {
				json_decref(c.body);
				c.body = NULL;
			}
		}
		if (!c.body && ep->fn != sbx__ep_connect &&
		    ep->fn != sbx__ep_wallet_data && blen)
			sbx__err(&c, 200, "Invalid JSON");
		else {
			if (!c.body)
				c.body = json_object();
			ep->fn(&c);
		}
		if (c.raw) {
			body = c.raw;
			len = c.raw_len;
		} else {
			if (!c.out)
				sbx__err(&c, 500, "internal error");
			body = json_dumps(c.out, JSON_COMPACT);
			len = body ? strlen(body) : 0;
		}
		json_decref(c.out);
		json_decref(c.body);
		if (fp.malformed) {
			sbx->c.f_malformed++;
			free(body);
			body = strdup(k_malformed);
			len = body ? strlen(body) : 0;
		}
	}
	if (!body) {
		pw_http_abort(req, 0);
		return;
	}
	if (fp.truncated)
		sbx->c.f_truncated++;
	if (sbx->cfg.log_requests)
		log_request(req, c.status, &fp);
	if (fp.delay_ms > 0) {
		hold(sbx, req, fp.delay_ms, c.status, c.ctype, body, len,
		     fp.truncated, 0, 0);
		return;
	}
	send_reply(req, c.status, c.ctype, body, len, fp.truncated, 0);
	free(body);
}

pa_err_t sbx__routes_install(sbx_t *sbx)
{
	size_t n = sbx__n_eps;
	bind_t *b = calloc(n, sizeof *b);
	if (!b)
		return PA_NOMEM;
	sbx->route_binds = b;
	for (size_t i = 0; i < n; i++) {
		b[i].sbx = sbx;
		b[i].ep = &sbx__eps[i];
		/* exact paths: a prefix route for "/api/request.php" must not
		 * catch "/api/request.phpx"; the handler checks. */
		pa_err_t err = pw_http_route(sbx->http, sbx__eps[i].method,
					     sbx__eps[i].path, gw_handle, &b[i]);
		if (err)
			return err;
	}
	return PA_OK;
}
