/* client.c -- libpayatom's asynchronous HTTP client: the public API, the
 * checks of a request, the choice of engine, and the libcurl engine.
 * Owns: engine choice (our HTTP/1.1 engine, client_h1.c, by default;
 *       libcurl's multi when a proxy is configured in the environment or
 *       asked for), the libcurl multi handle, a pool of easy handles (with
 *       their buffers) reused across calls, the list of calls in flight,
 *       reply classification of the libcurl engine.
 * Not here: any event loop (the caller's, through the socket/timer callbacks;
 *           see worker/core/loop_curl.c), request building and body parsing
 *           (api_*.c), the HTTP/1.1 engine (client_h1*.c).
 *
 * Performance notes: one multi keeps the connection cache and the DNS cache
 * (a multi shares both among its easy handles, so no CURLSH is needed); easy
 * handles are reset and reused so their internal buffers stay allocated;
 * the response buffer of a pooled call keeps its capacity. */
#include "payatom/client.h"

#include <curl/curl.h>

#include "client_h1.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_TOTAL_MS 30000
#define DEFAULT_UA "libpayatom/0.1"
/* Pooled calls kept for reuse; beyond this they are freed on completion. */
#define POOL_MAX 4096
/* A pooled call keeps at most this much response buffer. */
#define KEEP_BUF_MAX (64 * 1024)
/* libcurl's receive buffer per transfer (CURLOPT_BUFFERSIZE; its default
 * is 16 KiB, malloc'ed for every transfer and freed when it is done).
 * Gateway replies (headers + JSON body) fit in one read of 2 KiB (one
 * recv() per reply in the benchmark, as with 16 KiB): with two thousand
 * calls in flight the default held 30 MB more, and its large malloc/free
 * per call consolidated the heap every time. Larger replies (reports)
 * just take more reads. */
#define RECV_BUFFER 2048

struct pa_call {
	pa_client_t *cli;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;
	size_t body_len, body_cap;
	char *resp;
	size_t resp_len, resp_cap;
	int too_big;
	int in_flight;
	pa_reply_cb cb;
	void *ud;
	pa_op_t op;
	char order_id[64];
	char cerr[CURL_ERROR_SIZE];
	pa_call_t *prev, *next; /* in-flight list, or free list (next) */
};

struct pa_client {
	pa__h1_t *h1; /* the engine when it is ours; NULL: libcurl's */
	CURLM *multi;
	pa_client_opts_t opts;
	char *ca_file;
	char *user_agent;

	pa_call_t *active; /* in flight, doubly linked */
	size_t n_active;
	pa_call_t *pool; /* idle, singly linked through next */
	size_t n_pool;

	pa_socket_cb socket_cb;
	void *socket_ud;
	pa_timer_cb timer_cb;
	void *timer_ud;

	pa_client_stats_t stats;
	char errbuf[PA_ERRBUF_SIZE];
};

/* ---- curl callbacks ---- */

static int sock_tramp(CURL *easy, curl_socket_t s, int what, void *userp,
		      void *socketp)
{
	(void)easy;
	(void)socketp;
	pa_client_t *cli = userp;
	if (cli->socket_cb)
		cli->socket_cb((int)s, what, cli->socket_ud);
	return 0;
}

static int timer_tramp(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	pa_client_t *cli = userp;
	if (cli->timer_cb)
		cli->timer_cb(timeout_ms, cli->timer_ud);
	return 0;
}

/* Appends to the response buffer; returning less than asked makes curl
 * abort the transfer with CURLE_WRITE_ERROR, which is how an oversized body
 * (no or lying Content-Length) is stopped without reading it all. */
static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userp)
{
	pa_call_t *call = userp;
	size_t n = size * nmemb;
	size_t max = call->cli->opts.max_response_bytes;
	if (n > max - call->resp_len) {
		call->too_big = 1;
		return 0;
	}
	if (call->resp_len + n + 1 > call->resp_cap) {
		/* the first piece is usually the whole body: sized to it */
		size_t cap = call->resp_cap ? call->resp_cap * 2
					    : (n + 1 + 255) & ~(size_t)255;
		while (cap < call->resp_len + n + 1)
			cap *= 2;
		char *b = realloc(call->resp, cap);
		if (!b)
			return 0;
		call->resp = b;
		call->resp_cap = cap;
	}
	memcpy(call->resp + call->resp_len, ptr, n);
	call->resp_len += n;
	return n;
}

/* ---- client lifecycle ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A proxy libcurl would take from the environment (it reads the lower-case
 * http_proxy, and HTTPS_PROXY/https_proxy, ALL_PROXY/all_proxy): our own
 * engine does not speak to proxies, so such a client uses libcurl's. */
static int proxy_configured(void)
{
	static const char *const vars[] = {"http_proxy", "https_proxy",
					   "HTTPS_PROXY", "all_proxy",
					   "ALL_PROXY"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return 1;
	}
	return 0;
}

pa_err_t pa_client_new(const pa_client_opts_t *opts, pa_client_t **out)
{
	if (!out)
		return PA_INVAL;
	*out = NULL;
	pa_client_opts_t o = {0};
	if (opts)
		o = *opts;
	if (o.connect_timeout_ms < 0 || o.total_timeout_ms < 0 ||
	    o.max_host_connections < 0 || o.max_total_connections < 0)
		return PA_INVAL;
	if (!o.connect_timeout_ms)
		o.connect_timeout_ms = DEFAULT_CONNECT_MS;
	if (!o.total_timeout_ms)
		o.total_timeout_ms = DEFAULT_TOTAL_MS;
	if (!o.max_response_bytes)
		o.max_response_bytes = PA_CLIENT_DEFAULT_MAX_BODY;

	if (o.engine < PA_CLIENT_ENGINE_AUTO || o.engine > PA_CLIENT_ENGINE_CURL)
		return PA_INVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return PA_INTERNAL;
	pa_client_t *cli = calloc(1, sizeof *cli);
	if (!cli) {
		curl_global_cleanup();
		return PA_NOMEM;
	}
	cli->opts = o;
	cli->ca_file = dup_or_null(o.ca_file);
	cli->user_agent = strdup(o.user_agent ? o.user_agent : DEFAULT_UA);
	cli->opts.ca_file = NULL;
	cli->opts.user_agent = NULL;
	if (!cli->user_agent || (o.ca_file && !cli->ca_file)) {
		pa_client_destroy(cli);
		return PA_NOMEM;
	}
	if (o.engine == PA_CLIENT_ENGINE_BUILTIN ||
	    (o.engine == PA_CLIENT_ENGINE_AUTO && !proxy_configured())) {
		pa_client_opts_t ho = cli->opts;
		ho.ca_file = cli->ca_file;
		ho.user_agent = cli->user_agent;
		if (pa__h1_new(&ho, cli, &cli->h1) != PA_OK) {
			pa_client_destroy(cli);
			return PA_NOMEM;
		}
		*out = cli;
		return PA_OK;
	}
	cli->multi = curl_multi_init();
	if (!cli->multi) {
		pa_client_destroy(cli);
		return PA_NOMEM;
	}
	CURLM *m = cli->multi;
	curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, sock_tramp);
	curl_multi_setopt(m, CURLMOPT_SOCKETDATA, cli);
	curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, timer_tramp);
	curl_multi_setopt(m, CURLMOPT_TIMERDATA, cli);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS,
			  o.max_host_connections);
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  o.max_total_connections);
	*out = cli;
	return PA_OK;
}

/* Header values carry credentials, bodies and replies personal data
 * (request.h): wipe our copies before the memory is freed or pooled. */
static void free_headers(pa_call_t *call)
{
	for (struct curl_slist *l = call->hdrs; l; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(call->hdrs);
	call->hdrs = NULL;
}

static void wipe_buffers(pa_call_t *call)
{
	if (call->body)
		explicit_bzero(call->body, call->body_len);
	if (call->resp)
		explicit_bzero(call->resp, call->resp_len);
	call->body_len = call->resp_len = 0;
}

static void call_free(pa_call_t *call)
{
	if (!call)
		return;
	free_headers(call);
	wipe_buffers(call);
	if (call->easy)
		curl_easy_cleanup(call->easy);
	free(call->body);
	free(call->resp);
	free(call);
}

void pa_client_destroy(pa_client_t *cli)
{
	if (!cli)
		return;
	pa__h1_destroy(cli->h1);
	while (cli->active) {
		pa_call_t *call = cli->active;
		cli->active = call->next;
		curl_multi_remove_handle(cli->multi, call->easy);
		call_free(call);
	}
	while (cli->pool) {
		pa_call_t *call = cli->pool;
		cli->pool = call->next;
		call_free(call);
	}
	if (cli->multi)
		curl_multi_cleanup(cli->multi);
	free(cli->ca_file);
	free(cli->user_agent);
	free(cli);
	curl_global_cleanup();
}

/* ---- calls ---- */

static void seterr(pa_client_t *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void seterr(pa_client_t *cli, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cli->errbuf, sizeof cli->errbuf, fmt, ap);
	va_end(ap);
}

static int setup_fixed(pa_client_t *cli, pa_call_t *call);

static pa_call_t *call_get(pa_client_t *cli)
{
	pa_call_t *call = cli->pool;
	if (call) {
		cli->pool = call->next;
		cli->n_pool--;
	} else {
		call = calloc(1, sizeof *call);
		if (!call)
			return NULL;
		call->easy = curl_easy_init();
		if (!call->easy || !setup_fixed(cli, call)) {
			if (call->easy)
				curl_easy_cleanup(call->easy);
			free(call);
			return NULL;
		}
	}
	call->cli = cli;
	call->next = call->prev = NULL;
	call->resp_len = 0;
	call->too_big = 0;
	call->cerr[0] = '\0';
	return call;
}

/* Back to the pool (or freed when the pool is full). The easy handle must
 * already be out of the multi. */
static void call_put(pa_client_t *cli, pa_call_t *call)
{
	free_headers(call);
	wipe_buffers(call);
	call->cb = NULL;
	call->ud = NULL;
	call->in_flight = 0;
	if (cli->n_pool >= POOL_MAX) {
		call_free(call);
		return;
	}
	if (call->resp_cap > KEEP_BUF_MAX) {
		free(call->resp);
		call->resp = NULL;
		call->resp_cap = 0;
	}
	if (call->body_cap > KEEP_BUF_MAX) {
		free(call->body);
		call->body = NULL;
		call->body_cap = 0;
	}
	call->next = cli->pool;
	cli->pool = call;
	cli->n_pool++;
}

static void link_active(pa_client_t *cli, pa_call_t *call)
{
	call->prev = NULL;
	call->next = cli->active;
	if (cli->active)
		cli->active->prev = call;
	cli->active = call;
	cli->n_active++;
	call->in_flight = 1;
}

static void unlink_active(pa_client_t *cli, pa_call_t *call)
{
	if (call->prev)
		call->prev->next = call->next;
	else
		cli->active = call->next;
	if (call->next)
		call->next->prev = call->prev;
	call->prev = call->next = NULL;
	cli->n_active--;
	call->in_flight = 0;
}

static int has_crlf(const char *s)
{
	return strpbrk(s, "\r\n") != NULL;
}

/* Every header a "name: value" line: both present, a name without ':',
 * neither with CR or LF, the line under 4 KiB. */
static pa_err_t check_headers(pa_client_t *cli, const pa_request_t *req)
{
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct pa_header *h = &req->headers[i];
		if (!h->name || !h->value || !h->name[0] ||
		    has_crlf(h->name) || has_crlf(h->value) ||
		    strchr(h->name, ':')) {
			seterr(cli, "header %zu: bad name or value", i);
			return PA_INVAL;
		}
		if (strlen(h->name) + strlen(h->value) + 2 >= 4096) {
			seterr(cli, "header %zu too long", i);
			return PA_INVAL;
		}
	}
	return PA_OK;
}

static pa_err_t build_headers(pa_client_t *cli, pa_call_t *call,
			      const pa_request_t *req)
{
	char line[4096];
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct pa_header *h = &req->headers[i];
		if (!h->name || !h->value || !h->name[0] ||
		    has_crlf(h->name) || has_crlf(h->value) ||
		    strchr(h->name, ':')) {
			seterr(cli, "header %zu: bad name or value", i);
			return PA_INVAL;
		}
		int n = snprintf(line, sizeof line, "%s: %s", h->name,
				 h->value);
		if (n < 0 || (size_t)n >= sizeof line) {
			seterr(cli, "header %zu too long", i);
			return PA_INVAL;
		}
		struct curl_slist *l = curl_slist_append(call->hdrs, line);
		if (!l)
			return PA_NOMEM;
		call->hdrs = l;
	}
	/* curl would wait for "100 Continue" before sending a large body:
	 * one needless round trip (the gateway never asks for it). */
	if (req->body_len > 1024) {
		struct curl_slist *l = curl_slist_append(call->hdrs, "Expect:");
		if (!l)
			return PA_NOMEM;
		call->hdrs = l;
	}
	return PA_OK;
}

static pa_err_t set_body(pa_call_t *call, const pa_request_t *req)
{
	if (req->body_len + 1 > call->body_cap) {
		char *b = realloc(call->body, req->body_len + 1);
		if (!b)
			return PA_NOMEM;
		call->body = b;
		call->body_cap = req->body_len + 1;
	}
	if (req->body_len)
		memcpy(call->body, req->body, req->body_len);
	call->body_len = req->body_len;
	call->body[req->body_len] = '\0';
	return PA_OK;
}

/* Options every transfer of this pooled handle shares, set once when the
 * handle is made (curl_easy_reset() and setting them again per call cost a
 * copy of each string option and the CA path every time). */
static int setup_fixed(pa_client_t *cli, pa_call_t *call)
{
	CURL *e = call->easy;
	const pa_client_opts_t *o = &cli->opts;
	int ok = 1;
#define SET(opt, val) ok &= curl_easy_setopt(e, opt, val) == CURLE_OK
	SET(CURLOPT_PRIVATE, call);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, call);
	SET(CURLOPT_ERRORBUFFER, call->cerr);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_TCP_NODELAY, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, o->total_timeout_ms);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_response_bytes);
	SET(CURLOPT_USERAGENT, cli->user_agent);
	SET(CURLOPT_BUFFERSIZE, (long)RECV_BUFFER);
	SET(CURLOPT_SSL_VERIFYPEER, o->tls_no_verify ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, o->tls_no_verify ? 0L : 2L);
	if (cli->ca_file)
		SET(CURLOPT_CAINFO, cli->ca_file);
#undef SET
	return ok;
}

/* What differs per call: URL, headers, method and body. Every option an
 * earlier call of the pooled handle may have set is set again here. */
static pa_err_t setup_easy(pa_client_t *cli, pa_call_t *call,
			   const pa_request_t *req)
{
	CURL *e = call->easy;
	int ok = 1;
#define SET(opt, val) ok &= curl_easy_setopt(e, opt, val) == CURLE_OK
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_HTTPHEADER, call->hdrs);
	SET(CURLOPT_CUSTOMREQUEST, (char *)NULL);
	SET(CURLOPT_NOBODY, 0L);
	const char *method = req->method;
	if (!method)
		method = req->body_len ? "POST" : "GET";
	int is_get = strcmp(method, "GET") == 0;
	int is_head = strcmp(method, "HEAD") == 0;
	int is_post = strcmp(method, "POST") == 0;
	if (is_head) {
		SET(CURLOPT_NOBODY, 1L);
	} else if (req->body_len || !(is_get || !strcmp(method, "DELETE") ||
				      !strcmp(method, "OPTIONS"))) {
		/* POST/PUT/PATCH always carry a body, if only
		 * "Content-Length: 0" */
		SET(CURLOPT_POSTFIELDS, call->body);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		if (!is_post)
			SET(CURLOPT_CUSTOMREQUEST, method);
	} else {
		SET(CURLOPT_HTTPGET, 1L);
		if (!is_get)
			SET(CURLOPT_CUSTOMREQUEST, method);
	}
#undef SET
	if (!ok) {
		seterr(cli, "curl rejected an option (URL or method)");
		return PA_INVAL;
	}
	return PA_OK;
}

pa_err_t pa_client_send(pa_client_t *cli, const pa_request_t *req,
			pa_reply_cb cb, void *ud, pa_call_t **call_out)
{
	if (call_out)
		*call_out = NULL;
	if (!cli || !req || !cb)
		return PA_INVAL;
	cli->errbuf[0] = '\0';
	if (!req->url || (strncasecmp(req->url, "http://", 7) != 0 &&
			  strncasecmp(req->url, "https://", 8) != 0)) {
		seterr(cli, "URL must be http:// or https://");
		return PA_INVAL;
	}
	if (req->n_headers && !req->headers) {
		seterr(cli, "n_headers without headers");
		return PA_INVAL;
	}
	if (req->body_len && !req->body) {
		seterr(cli, "body_len without body");
		return PA_INVAL;
	}
	if (req->method && (!req->method[0] || has_crlf(req->method) ||
			    strchr(req->method, ' '))) {
		seterr(cli, "bad method");
		return PA_INVAL;
	}
	if (cli->h1) {
		pa_err_t err = check_headers(cli, req);
		if (!err)
			err = pa__h1_send(cli->h1, req, cb, ud, call_out,
					  cli->errbuf);
		return err;
	}
	pa_call_t *call = call_get(cli);
	if (!call) {
		seterr(cli, "out of memory");
		return PA_NOMEM;
	}
	pa_err_t err = build_headers(cli, call, req);
	if (!err)
		err = set_body(call, req);
	if (!err)
		err = setup_easy(cli, call, req);
	if (err) {
		if (err == PA_NOMEM)
			seterr(cli, "out of memory");
		call_put(cli, call);
		return err;
	}
	call->cb = cb;
	call->ud = ud;
	call->op = req->op;
	memcpy(call->order_id, req->order_id, sizeof call->order_id);
	call->order_id[sizeof call->order_id - 1] = '\0';
	link_active(cli, call);
	CURLMcode mc = curl_multi_add_handle(cli->multi, call->easy);
	if (mc != CURLM_OK) {
		unlink_active(cli, call);
		call_put(cli, call);
		seterr(cli, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
		return mc == CURLM_OUT_OF_MEMORY ? PA_NOMEM : PA_INTERNAL;
	}
	cli->stats.sent++;
	if (call_out)
		*call_out = call;
	return PA_OK;
}

void pa_client_cancel(pa_client_t *cli, pa_call_t *call)
{
	if (cli && call && cli->h1) {
		pa__h1_cancel(cli->h1, call);
		return;
	}
	if (!cli || !call || !call->in_flight)
		return;
	curl_multi_remove_handle(cli->multi, call->easy);
	unlink_active(cli, call);
	cli->stats.cancelled++;
	call_put(cli, call);
}

static void deliver(pa_client_t *cli, pa_call_t *call, CURLcode rc)
{
	pa_reply_t r;
	memset(&r, 0, sizeof r);
	CURL *e = call->easy;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r.http_status);
	curl_easy_getinfo(e, CURLINFO_TOTAL_TIME, &r.total_s);
	long nconn = 0;
	curl_easy_getinfo(e, CURLINFO_NUM_CONNECTS, &nconn);
	cli->stats.new_connections += (uint64_t)(nconn > 0 ? nconn : 0);

	r.err = pa__classify_curl(rc, call->too_big);
	if (r.err == PA_OK)
		r.err = pa__classify_status(r.http_status);
	if (r.err == PA_RATE_LIMITED || r.err == PA_HTTP_5XX) {
		curl_off_t ra = 0;
		if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &ra) ==
			    CURLE_OK &&
		    ra > 0)
			r.retry_after_s = (long)ra;
	}
	/* Truncation of the message is fine (checked result silences
	 * -Wformat-truncation). */
	if (rc != CURLE_OK &&
	    snprintf(r.errmsg, sizeof r.errmsg, "%s: %s",
		     curl_easy_strerror(rc), call->cerr[0] ? call->cerr : "-") < 0)
		r.errmsg[0] = '\0';
	else if (r.err != PA_OK)
		snprintf(r.errmsg, sizeof r.errmsg, "HTTP %ld", r.http_status);
	if (r.err == PA_TOO_BIG)
		snprintf(r.errmsg, sizeof r.errmsg,
			 "response body exceeds %zu bytes",
			 cli->opts.max_response_bytes);
	r.outcome = r.err == PA_OK		     ? PA_OUTCOME_SUCCESS
		    : pa_err_is_retryable(r.err) ? PA_OUTCOME_RETRYABLE
						 : PA_OUTCOME_FATAL;
	if (call->resp)
		call->resp[call->resp_len] = '\0';
	r.body = call->resp ? call->resp : "";
	r.body_len = call->resp_len;
	r.op = call->op;
	r.order_id = call->order_id;

	unlink_active(cli, call);
	cli->stats.completed++;
	call->cb(cli, &r, call->ud);
	call_put(cli, call);
}

/* Delivers every finished transfer. The message is copied before the
 * handle leaves the multi (removal invalidates it). */
static void drain(pa_client_t *cli)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(cli->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *e = msg->easy_handle;
		CURLcode rc = msg->data.result;
		pa_call_t *call = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&call);
		curl_multi_remove_handle(cli->multi, e);
		if (call)
			deliver(cli, call, rc);
	}
}

/* ---- driving ---- */

void pa_client_set_socket_cb(pa_client_t *cli, pa_socket_cb cb, void *ud)
{
	if (!cli)
		return;
	if (cli->h1)
		pa__h1_set_socket_cb(cli->h1, cb, ud);
	cli->socket_cb = cb;
	cli->socket_ud = ud;
}

void pa_client_set_timer_cb(pa_client_t *cli, pa_timer_cb cb, void *ud)
{
	if (!cli)
		return;
	if (cli->h1)
		pa__h1_set_timer_cb(cli->h1, cb, ud);
	cli->timer_cb = cb;
	cli->timer_ud = ud;
}

static pa_err_t action(pa_client_t *cli, curl_socket_t s, int events)
{
	int running = 0;
	CURLMcode mc = curl_multi_socket_action(cli->multi, s, events,
						&running);
	drain(cli);
	if (mc != CURLM_OK) {
		seterr(cli, "curl_multi_socket_action: %s",
		       curl_multi_strerror(mc));
		return PA_INTERNAL;
	}
	return PA_OK;
}

pa_err_t pa_client_socket_action(pa_client_t *cli, int fd, int events)
{
	if (!cli || fd < 0)
		return PA_INVAL;
	if (cli->h1)
		return pa__h1_socket_action(cli->h1, fd, events);
	return action(cli, (curl_socket_t)fd, events);
}

pa_err_t pa_client_timeout_action(pa_client_t *cli)
{
	if (!cli)
		return PA_INVAL;
	if (cli->h1)
		return pa__h1_timeout_action(cli->h1);
	return action(cli, CURL_SOCKET_TIMEOUT, 0);
}

pa_err_t pa_client_next_timeout(pa_client_t *cli, long *ms)
{
	if (!cli || !ms)
		return PA_INVAL;
	*ms = -1;
	if (cli->h1)
		return pa__h1_next_timeout(cli->h1, ms);
	if (curl_multi_timeout(cli->multi, ms) != CURLM_OK)
		return PA_INTERNAL;
	return PA_OK;
}

pa_err_t pa_client_perform(pa_client_t *cli, int max_wait_ms)
{
	if (!cli)
		return PA_INVAL;
	if (cli->h1)
		return pa__h1_perform(cli->h1, max_wait_ms);
	int running = 0;
	CURLMcode mc = curl_multi_perform(cli->multi, &running);
	drain(cli);
	if (mc == CURLM_OK && cli->n_active > 0) {
		mc = curl_multi_poll(cli->multi, NULL, 0,
				     max_wait_ms < 0 ? 0 : max_wait_ms, NULL);
		if (mc == CURLM_OK)
			mc = curl_multi_perform(cli->multi, &running);
		drain(cli);
	}
	if (mc != CURLM_OK) {
		seterr(cli, "curl multi: %s", curl_multi_strerror(mc));
		return PA_INTERNAL;
	}
	return PA_OK;
}

size_t pa_client_in_flight(const pa_client_t *cli)
{
	if (cli && cli->h1)
		return pa__h1_in_flight(cli->h1);
	return cli ? cli->n_active : 0;
}

void pa_client_get_stats(const pa_client_t *cli, pa_client_stats_t *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof *st);
	if (cli && cli->h1)
		pa__h1_stats(cli->h1, st);
	else if (cli)
		*st = cli->stats;
}

const char *pa_client_last_error(const pa_client_t *cli)
{
	return cli ? cli->errbuf : "";
}
