/* http.c -- libmicrohttpd on pw_loop (see http.h).
 * Owns: the MHD daemon, its epoll fd watch and timeout timer, request
 *       records (body buffer, held list), routes.
 * Not here: route handlers (sandbox/, ingress/), the loop (loop.c), the
 *           request deadline and half-closed clients (http_guard.c).
 *
 * MHD runs in MHD_USE_EPOLL mode without an internal thread: its own epoll
 * fd is one readable fd in pw_loop; when it fires (or when the deadline from
 * MHD_get_timeout passes) we call MHD_run(), which does a zero-timeout
 * epoll_wait inside MHD. A request whose handler does not answer at once is
 * suspended (MHD_suspend_connection); pw_http_reply() stores the response and
 * resumes it, and MHD calls the access handler again, which queues it. */
#include "core/http.h"
#include "core/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>


/* ---- loop glue ---------------------------------------------------------- */

static void on_timer(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_http_t *http = ud;
	(void)loop;
	if (t == http->timer)
		http->timer = NULL;
	pw__http_run(http);
}

static void on_kick(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_http_t *http = ud;
	(void)loop;
	(void)t;
	http->kick = NULL;
	pw__http_run(http);
}

static void on_io(pw_loop_t *loop, int fd, int events, void *ud)
{
	(void)loop;
	(void)fd;
	(void)events;
	pw__http_run(ud);
}

/* Re-arms the single timeout timer only when MHD's deadline moved. */
static void arm_timer(pw_http_t *http)
{
	MHD_UNSIGNED_LONG_LONG ms = 0;
	if (MHD_get_timeout(http->d, &ms) != MHD_YES) {
		pw_timer_cancel(http->loop, http->timer);
		http->timer = NULL;
		return;
	}
	if (ms > 3600 * 1000ULL)
		ms = 3600 * 1000ULL;
	int64_t deadline = pw_loop_now(http->loop) + (int64_t)ms;
	if (http->timer && http->timer_deadline == deadline)
		return;
	pw_timer_cancel(http->loop, http->timer);
	http->timer = pw_timer_add(http->loop, (int64_t)ms, on_timer, http);
	http->timer_deadline = deadline;
}

void pw__http_run(pw_http_t *http)
{
	if (http->in_run)
		return;
	http->in_run = 1;
	MHD_run(http->d);
	http->in_run = 0;
	arm_timer(http);
}

void pw__http_kick(pw_http_t *http)
{
	if (!http->kick)
		http->kick = pw_timer_add(http->loop, 0, on_kick, http);
}

/* ---- requests ----------------------------------------------------------- */

void pw__http_held_unlink(pw_http_req_t *req)
{
	pw_http_t *http = req->http;
	if (req->prev)
		req->prev->next = req->next;
	else if (http->held == req)
		http->held = req->next;
	if (req->next)
		req->next->prev = req->prev;
	req->prev = req->next = NULL;
}

static void free_hdrs(hdr_t *h)
{
	while (h) {
		hdr_t *n = h->next;
		free(h->name);
		free(h->value);
		free(h);
		h = n;
	}
}

static void req_free(pw_http_req_t *req)
{
	if (!req)
		return;
	if (req->resp)
		MHD_destroy_response(req->resp);
	free_hdrs(req->hdrs);
	free(req->body);
	free(req->path);
	free(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	pw_http_req_t *req = *con_cls;
	(void)toe;
	conn_t *c = pw__http_conn_of(conn);
	if (c) { /* the next request on this connection starts its window */
		c->since = pw_loop_now(((pw_http_t *)cls)->loop);
		c->waiting = 1;
	}
	if (!req)
		return;
	if (req->counted) {
		req->http->st.in_flight--;
		req->counted = 0;
	}
	if (req->state == REQ_HELD)
		pw__http_held_unlink(req);
	req_free(req);
	*con_cls = NULL;
}

static const route_t *find_route(const pw_http_t *http, const char *method,
				 const char *path)
{
	const route_t *best = NULL;
	for (size_t i = 0; i < http->nroutes; i++) {
		const route_t *r = &http->routes[i];
		if (r->method && strcmp(r->method, method) != 0)
			continue;
		if (strncmp(path, r->prefix, r->prefix_len) != 0)
			continue;
		if (!best || r->prefix_len > best->prefix_len)
			best = r;
	}
	return best;
}

static void set_reset(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	(void)setsockopt(ci->connect_fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* Queues the stored answer (or closes for an abort). */
static enum MHD_Result finish(pw_http_req_t *req)
{
	if (req->counted) {
		req->http->st.in_flight--;
		req->counted = 0;
	}
	req->state = REQ_DONE;
	if (req->abort) {
		if (req->abort_reset)
			set_reset(req->conn);
		return MHD_NO;
	}
	enum MHD_Result r = MHD_queue_response(req->conn, req->status, req->resp);
	MHD_destroy_response(req->resp);
	req->resp = NULL;
	req->http->st.replies++;
	return r;
}

static struct MHD_Response *make_resp(const void *body, size_t len,
				      const char *ctype)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp && ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					ctype);
	return resp;
}

static enum MHD_Result reply_now(pw_http_req_t *req, unsigned status,
				 const char *msg)
{
	req->state = REQ_ANSWERED;
	req->resp = make_resp(msg, strlen(msg), "application/json");
	if (!req->resp)
		return MHD_NO;
	req->status = status;
	return finish(req);
}

static const char k413[] =
	"{\"status\":\"error\",\"message\":\"Request body too large\"}";
static const char k404[] = "{\"status\":\"error\",\"message\":\"Not found\"}";
static const char k503[] =
	"{\"status\":\"error\",\"message\":\"Shutting down\"}";

static enum MHD_Result dispatch(pw_http_req_t *req)
{
	pw_http_t *http = req->http;
	conn_t *c = pw__http_conn_of(req->conn);
	if (c) /* arrived: what the handler takes is not the client's time */
		c->waiting = 0;
	if (req->too_big) {
		http->st.too_big++;
		return reply_now(req, 413, k413);
	}
	/* a request read while the listener closes (keep-alive, during the
	 * last MHD_run) is refused: MHD must not stop with it suspended */
	if (http->closing)
		return reply_now(req, MHD_HTTP_SERVICE_UNAVAILABLE, k503);
	const route_t *r = find_route(http, req->method, req->path);
	if (!r) {
		http->st.not_found++;
		return reply_now(req, MHD_HTTP_NOT_FOUND, k404);
	}
	http->st.requests++;
	http->st.in_flight++;
	if (http->st.in_flight > http->st.in_flight_max)
		http->st.in_flight_max = http->st.in_flight;
	req->counted = 1;
	req->state = REQ_IN_HANDLER;
	r->cb(req, r->ud);
	if (req->state == REQ_ANSWERED)
		return finish(req);
	/* The handler kept req: hold the connection without a thread. */
	req->state = REQ_HELD;
	req->next = http->held;
	if (http->held)
		http->held->prev = req;
	http->held = req;
	MHD_suspend_connection(req->conn);
	return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
				 const char *url, const char *method,
				 const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	pw_http_t *http = cls;
	pw_http_req_t *req = *con_cls;
	(void)version;
	if (!req) {
		req = calloc(1, sizeof *req);
		if (!req)
			return MHD_NO;
		req->path = strdup(url);
		if (!req->path) {
			free(req);
			return MHD_NO;
		}
		req->http = http;
		req->conn = conn;
		req->method = method;
		*con_cls = req;
		/* Refuse a declared oversize body before reading it. */
		const char *cl = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end = NULL;
			errno = 0;
			unsigned long long n = strtoull(cl, &end, 10);
			if (errno || end == cl ||
			    n > (unsigned long long)http->max_body) {
				http->st.too_big++;
				return reply_now(req,
						 413,
						 k413);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (req->too_big || req->state != REQ_RECEIVING)
			return MHD_YES;
		if (n > http->max_body - req->len) {
			req->too_big = 1; /* chunked: discard the rest */
			return MHD_YES;
		}
		if (req->len + n > req->cap) {
			size_t cap = req->cap ? req->cap : 1024;
			while (cap < req->len + n)
				cap *= 2;
			uint8_t *nb = realloc(req->body, cap);
			if (!nb)
				return MHD_NO;
			req->body = nb;
			req->cap = cap;
		}
		memcpy(req->body + req->len, upload_data, n);
		req->len += n;
		return MHD_YES;
	}
	switch (req->state) {
	case REQ_RECEIVING:
		return dispatch(req);
	case REQ_ANSWERED: /* resumed with a stored answer */
		return finish(req);
	default:
		return MHD_YES; /* spurious call while held */
	}
}

/* ---- public ------------------------------------------------------------- */

pa_err_t pw_http_new(pw_loop_t *loop, const pw_http_opts_t *opts,
		     pw_http_t **out, char *errbuf)
{
	if (!loop || !opts || !out)
		return pa_seterr(errbuf, PA_INVAL, "pw_http_new: NULL argument");
	*out = NULL;
	const char *addr = opts->bind_addr ? opts->bind_addr : "127.0.0.1";
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_TURBO;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(opts->port);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(opts->port);
		flags |= MHD_USE_IPv6;
	} else {
		return pa_seterr(errbuf, PA_INVAL,
				 "bind address '%s' is not a numeric IP", addr);
	}
	pw_http_t *http = calloc(1, sizeof *http);
	if (!http)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	http->loop = loop;
	http->epfd = -1;
	http->max_body = opts->max_body ? opts->max_body : 64 * 1024;
	http->deadline_ms = opts->request_timeout_ms;
	unsigned limit = opts->conn_limit ? opts->conn_limit : 16384;
	unsigned idle = opts->idle_timeout_s ? opts->idle_timeout_s : 60;
	http->d = MHD_start_daemon(
		flags, opts->port, NULL, NULL, on_access, http,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, limit,
		MHD_OPTION_CONNECTION_TIMEOUT, idle,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 4096,
		/* small per-connection pools: thousands of held requests and
		 * idle keep-alive connections (a gateway keeps its webhook
		 * connections open); a webhook request, headers and body, is
		 * ~1 KB, bodies past the pool arrive in pieces, and headers
		 * past it are answered 431 */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)8192,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, http,
		MHD_OPTION_NOTIFY_CONNECTION, pw__http_on_connection, http,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->per_ip_limit,
		MHD_OPTION_END);
	if (!http->d) {
		int e = errno;
		free(http);
		return pa_seterr(errbuf, PA_IO, "cannot listen on %s:%u: %s",
				 addr, (unsigned)opts->port, strerror(e));
	}
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(http->d, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pi =
		MHD_get_daemon_info(http->d, MHD_DAEMON_INFO_BIND_PORT);
	if (!di || !pi) {
		MHD_stop_daemon(http->d);
		free(http);
		return pa_seterr(errbuf, PA_IO, "libmicrohttpd lacks epoll");
	}
	http->epfd = di->epoll_fd;
	http->port = pi->port;
	pa_err_t err = pw_loop_watch(loop, http->epfd, PW_READ, on_io, http);
	if (err) {
		MHD_stop_daemon(http->d);
		free(http);
		return pa_seterr(errbuf, err, "cannot watch the listener");
	}
	arm_timer(http);
	*out = http;
	return PA_OK;
}

void pw_http_destroy(pw_http_t *http)
{
	if (!http)
		return;
	/* Drop held requests: tell their owners, then let MHD close them. */
	http->closing = 1;
	while (http->held) {
		pw_http_req_t *req = http->held;
		pw__http_held_unlink(req);
		req->state = REQ_ANSWERED;
		req->abort = 1;
		if (req->abort_cb)
			req->abort_cb(req, req->abort_ud);
		MHD_resume_connection(req->conn);
	}
	pw_loop_unwatch(http->loop, http->epfd);
	pw_timer_cancel(http->loop, http->timer);
	pw_timer_cancel(http->loop, http->kick);
	pw_timer_cancel(http->loop, http->sweep);
	http->sweep = NULL;
	MHD_run(http->d); /* processes the resumed connections */
	MHD_stop_daemon(http->d);
	for (size_t i = 0; i < http->nroutes; i++) {
		free(http->routes[i].method);
		free(http->routes[i].prefix);
	}
	free(http->routes);
	free(http);
}

uint16_t pw_http_port(const pw_http_t *http)
{
	return http ? http->port : 0;
}

pa_err_t pw_http_route(pw_http_t *http, const char *method,
		       const char *path_prefix, pw_http_handler cb, void *ud)
{
	if (!http || !path_prefix || !cb)
		return PA_INVAL;
	route_t *nr = realloc(http->routes, (http->nroutes + 1) * sizeof *nr);
	if (!nr)
		return PA_NOMEM;
	http->routes = nr;
	route_t *r = &nr[http->nroutes];
	memset(r, 0, sizeof *r);
	if (method && strcmp(method, "*") != 0 && !(r->method = strdup(method)))
		return PA_NOMEM;
	if (!(r->prefix = strdup(path_prefix))) {
		free(r->method);
		return PA_NOMEM;
	}
	r->prefix_len = strlen(path_prefix);
	r->cb = cb;
	r->ud = ud;
	http->nroutes++;
	return PA_OK;
}

const char *pw_http_method(const pw_http_req_t *req)
{
	return req->method;
}

const char *pw_http_path(const pw_http_req_t *req)
{
	return req->path;
}

const char *pw_http_query(const pw_http_req_t *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
					   key);
}

const char *pw_http_header(const pw_http_req_t *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const uint8_t *pw_http_body(const pw_http_req_t *req, size_t *len)
{
	*len = req->len;
	return req->body ? req->body : (const uint8_t *)"";
}

const char *pw_http_client_ip(const pw_http_req_t *req)
{
	pw_http_req_t *r = (pw_http_req_t *)req;
	if (r->ip[0])
		return r->ip;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return "";
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  r->ip, sizeof r->ip);
	else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		/* A v4-mapped peer on a v6 socket reads as its v4 address. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], r->ip,
				  sizeof r->ip);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, r->ip,
				  sizeof r->ip);
	}
	return r->ip;
}

pw_http_t *pw_http_of(const pw_http_req_t *req)
{
	return req->http;
}

void pw_http_req_set_ud(pw_http_req_t *req, void *ud)
{
	req->ud = ud;
}

void *pw_http_req_ud(const pw_http_req_t *req)
{
	return req->ud;
}

void pw_http_req_on_abort(pw_http_req_t *req, pw_http_abort_cb cb, void *ud)
{
	req->abort_cb = cb;
	req->abort_ud = ud;
}

pa_err_t pw_http_add_header(pw_http_req_t *req, const char *name,
			    const char *value)
{
	hdr_t *h = calloc(1, sizeof *h);
	if (!h)
		return PA_NOMEM;
	h->name = strdup(name);
	h->value = strdup(value);
	if (!h->name || !h->value) {
		free_hdrs(h);
		return PA_NOMEM;
	}
	h->next = req->hdrs;
	req->hdrs = h;
	return PA_OK;
}

/* Stores resp as req's answer and, for a held request, resumes it. */
static pa_err_t answer(pw_http_req_t *req, unsigned status,
		       struct MHD_Response *resp)
{
	if (!resp)
		return PA_NOMEM;
	for (hdr_t *h = req->hdrs; h; h = h->next)
		MHD_add_response_header(resp, h->name, h->value);
	req->resp = resp;
	req->status = status;
	enum req_state was = req->state;
	req->state = REQ_ANSWERED;
	if (was == REQ_HELD) {
		pw__http_held_unlink(req);
		MHD_resume_connection(req->conn);
		pw__http_kick(req->http);
	}
	return PA_OK;
}

pa_err_t pw_http_reply(pw_http_req_t *req, int status,
		       const char *content_type, const void *body, size_t len)
{
	if (!req || (req->state != REQ_IN_HANDLER && req->state != REQ_HELD))
		return PA_INVAL;
	if (req->state == REQ_HELD &&
	    pw__http_reply_half_closed(req, (unsigned)status, content_type,
			      body ? body : "", body ? len : 0)) {
		req->abort = 1; /* answered: MHD only closes */
		req->state = REQ_ANSWERED;
		pw__http_held_unlink(req);
		MHD_resume_connection(req->conn);
		pw__http_kick(req->http);
		return PA_OK;
	}
	return answer(req, (unsigned)status,
		      make_resp(body ? body : "", body ? len : 0,
				content_type));
}

typedef struct partial {
	char *buf;
	size_t len;
} partial_t;

static ssize_t partial_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	partial_t *p = cls;
	if (pos >= p->len)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	size_t n = p->len - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, p->buf + pos, n);
	return (ssize_t)n;
}

static void partial_free(void *cls)
{
	partial_t *p = cls;
	free(p->buf);
	free(p);
}

pa_err_t pw_http_reply_truncated(pw_http_req_t *req, int status,
				 const char *content_type, const void *body,
				 size_t len, size_t sent)
{
	if (!req || (req->state != REQ_IN_HANDLER && req->state != REQ_HELD))
		return PA_INVAL;
	if (sent >= len)
		return pw_http_reply(req, status, content_type, body, len);
	partial_t *p = calloc(1, sizeof *p);
	if (!p)
		return PA_NOMEM;
	p->buf = malloc(sent ? sent : 1);
	if (!p->buf) {
		free(p);
		return PA_NOMEM;
	}
	memcpy(p->buf, body, sent);
	p->len = sent;
	struct MHD_Response *resp = MHD_create_response_from_callback(
		len, 4096, partial_read, p, partial_free);
	if (!resp) {
		partial_free(p);
		return PA_NOMEM;
	}
	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					content_type);
	return answer(req, (unsigned)status, resp);
}

void pw_http_abort(pw_http_req_t *req, int reset)
{
	if (!req || (req->state != REQ_IN_HANDLER && req->state != REQ_HELD))
		return;
	req->abort = 1;
	req->abort_reset = reset;
	enum req_state was = req->state;
	req->state = REQ_ANSWERED;
	if (was == REQ_HELD) {
		pw__http_held_unlink(req);
		MHD_resume_connection(req->conn);
		pw__http_kick(req->http);
	}
}

void pw_http_get_stats(const pw_http_t *http, pw_http_stats_t *st)
{
	*st = http->st;
}
