/* opsapi.c -- /metrics, /healthz, /readyz (see opsapi.h).
 * Owns: the routes, a heartbeat timer that keeps an idle loop ticking so
 *       that "last tick" measures a stuck loop, not a quiet one.
 * Not here: metric families (metrics_worker.c), readiness rules (main). */
#include "ingress/opsapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pw_opsapi {
	pw_loop_t *loop;
	pw_metrics_t *metrics;
	int64_t stale_ms;
	pw_ready_cb ready;
	void *ready_ud;
	pw_timer_t *beat;
};

static const char k_json[] = "application/json; charset=utf-8";

static void beat(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_opsapi_t *ops = ud;
	(void)t;
	/* an iteration that runs this timer ends with a fresh last tick */
	ops->beat = pw_timer_add(loop, ops->stale_ms / 4, beat, ops);
}

int pw_opsapi_healthy(const pw_opsapi_t *ops)
{
	return ops && pw_now_ms() - pw_loop_last_tick(ops->loop) <=
			      ops->stale_ms;
}

/* Answers non-GET/HEAD with 405; returns 1 when the request may go on. */
static int get_only(pw_http_req_t *req)
{
	const char *m = pw_http_method(req);
	if (!strcmp(m, "GET") || !strcmp(m, "HEAD"))
		return 1;
	static const char body[] =
		"{\"status\":\"error\",\"message\":\"Method not allowed\"}";
	pw_http_add_header(req, "Allow", "GET, HEAD");
	pw_http_reply(req, 405, k_json, body, sizeof body - 1);
	return 0;
}

/* The listener routes by prefix: /metricsX is not /metrics. */
static int exact(pw_http_req_t *req, const char *path)
{
	if (!strcmp(pw_http_path(req), path))
		return 1;
	static const char body[] =
		"{\"status\":\"error\",\"message\":\"Not found\"}";
	pw_http_reply(req, 404, k_json, body, sizeof body - 1);
	return 0;
}

static void reply_status(pw_http_req_t *req, int ok, const char *reason)
{
	char body[256];
	int n;
	if (ok)
		n = snprintf(body, sizeof body, "{\"status\":\"ok\"}\n");
	else
		/* reasons are constant texts of ours: no escaping needed, but
		 * keep quotes and backslashes out all the same */
		n = snprintf(body, sizeof body,
			     "{\"status\":\"unavailable\",\"reason\":\"%.160s\"}\n",
			     reason && !strpbrk(reason, "\"\\") ? reason
								 : "not ready");
	pw_http_add_header(req, "Cache-Control", "no-store");
	pw_http_reply(req, ok ? 200 : 503, k_json, body, (size_t)n);
}

static void on_healthz(pw_http_req_t *req, void *ud)
{
	pw_opsapi_t *ops = ud;
	if (!get_only(req) || !exact(req, "/healthz"))
		return;
	int ok = pw_opsapi_healthy(ops);
	reply_status(req, ok, ok ? NULL : "event loop stalled");
}

static void on_readyz(pw_http_req_t *req, void *ud)
{
	pw_opsapi_t *ops = ud;
	if (!get_only(req) || !exact(req, "/readyz"))
		return;
	const char *reason = NULL;
	int ok = pw_opsapi_healthy(ops);
	if (!ok)
		reason = "event loop stalled";
	else if (ops->ready)
		ok = ops->ready(ops->ready_ud, &reason) ? 1 : 0;
	reply_status(req, ok, reason);
}

static void on_metrics(pw_http_req_t *req, void *ud)
{
	pw_opsapi_t *ops = ud;
	if (!get_only(req) || !exact(req, "/metrics"))
		return;
	char *text = NULL;
	size_t len = 0;
	if (!ops->metrics || pw_metrics_render(ops->metrics, &text, &len)) {
		static const char body[] =
			"{\"status\":\"error\",\"message\":\"metrics "
			"unavailable\"}";
		pw_http_reply(req, ops->metrics ? 500 : 404, k_json, body,
			      sizeof body - 1);
		return;
	}
	pw_http_add_header(req, "Cache-Control", "no-store");
	pw_http_reply(req, 200, PW_METRICS_CONTENT_TYPE, text, len);
	free(text);
}

pa_err_t pw_opsapi_new(pw_loop_t *loop, pw_http_t *http,
		       const pw_opsapi_opts_t *opts, pw_opsapi_t **out,
		       char *errbuf)
{
	if (!loop || !http || !opts || !out)
		return pa_seterr(errbuf, PA_INVAL,
				 "pw_opsapi_new: NULL argument");
	*out = NULL;
	if (opts->health_stale_ms < 0)
		return pa_seterr(errbuf, PA_INVAL,
				 "health_stale_ms must not be negative");
	pw_opsapi_t *ops = calloc(1, sizeof *ops);
	if (!ops)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	ops->loop = loop;
	ops->metrics = opts->metrics;
	ops->stale_ms = opts->health_stale_ms ? opts->health_stale_ms : 10000;
	if (ops->stale_ms < 4)
		ops->stale_ms = 4;
	ops->ready = opts->ready;
	ops->ready_ud = opts->ready_ud;
	ops->beat = pw_timer_add(loop, ops->stale_ms / 4, beat, ops);
	if (!ops->beat ||
	    pw_http_route(http, "*", "/metrics", on_metrics, ops) ||
	    pw_http_route(http, "*", "/healthz", on_healthz, ops) ||
	    pw_http_route(http, "*", "/readyz", on_readyz, ops)) {
		pw_opsapi_destroy(ops);
		return pa_seterr(errbuf, PA_NOMEM, "cannot add the routes");
	}
	*out = ops;
	return PA_OK;
}

void pw_opsapi_destroy(pw_opsapi_t *ops)
{
	if (!ops)
		return;
	pw_timer_cancel(ops->loop, ops->beat);
	free(ops);
}
