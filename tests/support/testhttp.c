/* testhttp.c -- see testhttp.h. One thread, poll(), non-blocking sockets.
 * Owns: the listener, connection state machines, routes, the request log.
 * Not here: anything the tests assert (they read counters and the log). */
#include "testhttp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_RECORDS 4096
#define MAX_REQ_HEAD (64 * 1024)

struct route {
	char *path;
	pwt_http_behaviour_t b; /* body/extra_headers owned (copied) */
	struct route *next;
};

enum cstate { C_READ, C_DELAY, C_WRITE, C_HANG };

struct conn {
	int fd;
	enum cstate st;
	char *in;
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off, out_cap;
	int close_after;
	int drop_after_delay; /* DROP: close when the delay ends */
	int64_t act_at;       /* C_DELAY: when to act */
	pwt_http_behaviour_t pending; /* C_DELAY: what to do (borrowed) */
	struct route *pending_route;
	char *pending_req_body;
	size_t pending_req_body_len;
	int head_req; /* the request being answered is HEAD: no body */
};

struct pwt_http {
	int lfd;
	int port;
	int wake[2];
	int stopping;   /* under mu */
	int close_idle; /* under mu: requests pending, cleared when done */
	pthread_t thr;
	pthread_mutex_t mu;
	struct route *routes;
	struct route *retired; /* replaced routes, freed at stop (a delayed
				  conn may still point at one) */
	pwt_http_request_t *log;
	size_t nlog;
	size_t connections, requests, open;
	struct conn **conns;
	size_t nconns, capconns;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- buffers ---- */

static int buf_add(char **buf, size_t *len, size_t *cap, const void *p,
		   size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 1024;
		while (c < *len + n + 1)
			c *= 2;
		char *b = realloc(*buf, c);
		if (!b)
			return -1;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

static int out_add(struct conn *c, const void *p, size_t n)
{
	return buf_add(&c->out, &c->out_len, &c->out_cap, p, n);
}

static int out_printf(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int out_printf(struct conn *c, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return -1;
	return out_add(c, tmp, (size_t)n);
}

/* ---- routes ---- */

static struct route *find_route(pwt_http_t *srv, const char *path)
{
	struct route *dflt = NULL;
	for (struct route *r = srv->routes; r; r = r->next) {
		if (strcmp(r->path, path) == 0)
			return r;
		if (strcmp(r->path, "*") == 0)
			dflt = r;
	}
	return dflt;
}

static void route_free(struct route *r)
{
	free(r->path);
	free((char *)r->b.body);
	free((char *)r->b.extra_headers);
	free(r);
}

int pwt_http_route(pwt_http_t *srv, const char *path,
		   const pwt_http_behaviour_t *b)
{
	struct route *r = calloc(1, sizeof *r);
	if (!r)
		return -1;
	r->path = strdup(path);
	r->b = *b;
	size_t blen = b->body ? (b->body_len ? b->body_len : strlen(b->body))
			      : 0;
	r->b.body_len = blen;
	r->b.body = NULL;
	r->b.extra_headers = NULL;
	char *body = malloc(blen + 1);
	char *extra = b->extra_headers ? strdup(b->extra_headers) : NULL;
	if (!r->path || !body || (b->extra_headers && !extra)) {
		free(body);
		free(extra);
		route_free(r);
		return -1;
	}
	if (blen)
		memcpy(body, b->body, blen);
	body[blen] = '\0';
	r->b.body = body;
	r->b.extra_headers = extra;
	pthread_mutex_lock(&srv->mu);
	for (struct route **pp = &srv->routes; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->path, path) == 0) {
			struct route *old = *pp;
			*pp = old->next;
			old->next = srv->retired;
			srv->retired = old;
			break;
		}
	}
	r->next = srv->routes;
	srv->routes = r;
	pthread_mutex_unlock(&srv->mu);
	return 0;
}

/* ---- connections ---- */

static void conn_close(pwt_http_t *srv, size_t i)
{
	struct conn *c = srv->conns[i];
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c->pending_req_body);
	free(c);
	srv->conns[i] = srv->conns[--srv->nconns];
	pthread_mutex_lock(&srv->mu);
	srv->open--;
	pthread_mutex_unlock(&srv->mu);
}

static void do_accept(pwt_http_t *srv)
{
	for (;;) {
		int fd = accept4(srv->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (srv->nconns == srv->capconns) {
			size_t n = srv->capconns ? srv->capconns * 2 : 64;
			struct conn **cs = realloc(srv->conns, n * sizeof *cs);
			if (!cs) {
				close(fd);
				continue;
			}
			srv->conns = cs;
			srv->capconns = n;
		}
		struct conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->st = C_READ;
		srv->conns[srv->nconns++] = c;
		pthread_mutex_lock(&srv->mu);
		srv->connections++;
		srv->open++;
		pthread_mutex_unlock(&srv->mu);
	}
}

static void record(pwt_http_t *srv, const char *method, const char *path,
		   const char *hdrs, size_t hdrs_len, const char *body,
		   size_t body_len)
{
	pthread_mutex_lock(&srv->mu);
	srv->requests++;
	if (srv->nlog < MAX_RECORDS) {
		pwt_http_request_t *r = &srv->log[srv->nlog];
		memset(r, 0, sizeof *r);
		snprintf(r->method, sizeof r->method, "%s", method);
		snprintf(r->path, sizeof r->path, "%s", path);
		r->headers = strndup(hdrs, hdrs_len);
		r->body = malloc(body_len + 1);
		if (r->headers && r->body) {
			memcpy(r->body, body, body_len);
			r->body[body_len] = '\0';
			r->body_len = body_len;
			srv->nlog++;
		} else {
			free(r->headers);
			free(r->body);
		}
	}
	pthread_mutex_unlock(&srv->mu);
}

/* Builds the response (or the misbehaviour) for one request. Returns 0 to
 * go on writing, 1 when the connection must close now. */
static int act(struct conn *c, const pwt_http_behaviour_t *b,
	       const char *req_body, size_t req_body_len)
{
	static const char garbage[] = "\x01\x02\xfe\xff this is not HTTP\r\n"
				      "\x00\x7f garbage\r\n\r\n";
	int status = b->status ? b->status : 200;
	const char *conn_hdr = b->close ? "Connection: close\r\n" : "";
	const char *extra = b->extra_headers ? b->extra_headers : "";
	const char *body = b->body;
	size_t blen = b->body_len;
	char *fill = NULL;
	if (b->kind == PWT_HTTP_ECHO) {
		body = req_body;
		blen = req_body_len;
	} else if (b->fill_len) {
		fill = malloc(b->fill_len);
		if (!fill)
			return 1;
		memset(fill, 'x', b->fill_len);
		body = fill;
		blen = b->fill_len;
	}
	int rc = 0;
	c->close_after = b->close;
	switch (b->kind) {
	case PWT_HTTP_HANG:
		c->st = C_HANG;
		goto out;
	case PWT_HTTP_DROP:
		rc = 1;
		goto out;
	case PWT_HTTP_GARBAGE:
		out_add(c, garbage, sizeof garbage - 1);
		c->close_after = 1;
		break;
	case PWT_HTTP_DROP_MID:
		out_printf(c,
			   "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n",
			   status, blen, extra);
		out_add(c, body, blen / 2);
		c->close_after = 1;
		break;
	case PWT_HTTP_REPLY:
	case PWT_HTTP_ECHO:
		if (b->chunked) {
			out_printf(c,
				   "HTTP/1.1 %d X\r\nTransfer-Encoding: "
				   "chunked\r\n%s%s\r\n",
				   status, conn_hdr, extra);
			for (size_t off = 0; off < blen; off += 16384) {
				size_t n = blen - off < 16384 ? blen - off
							      : 16384;
				out_printf(c, "%zx\r\n", n);
				out_add(c, body + off, n);
				out_add(c, "\r\n", 2);
			}
			out_add(c, "0\r\n\r\n", 5);
		} else {
			out_printf(c,
				   "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
				   "%s%s\r\n",
				   status, blen, conn_hdr, extra);
			if (!c->head_req) /* a HEAD reply has no body */
				out_add(c, body, blen);
		}
		break;
	}
	c->st = C_WRITE;
out:
	free(fill);
	return rc;
}

/* Parses every complete request in the input buffer. Returns 1 when the
 * connection must close. */
static int handle_input(pwt_http_t *srv, struct conn *c)
{
	/* A TLS ClientHello on this plain port: answer like a plain server
	 * (nginx) does, so clients see a TLS handshake failure. */
	if (c->st == C_READ && c->in_len >= 2 && c->in[0] == 0x16 &&
	    c->in[1] == 0x03) {
		static const char bad[] = "HTTP/1.1 400 Bad Request\r\n"
					  "Connection: close\r\n\r\n";
		c->in_len = 0;
		c->close_after = 1;
		c->st = C_WRITE;
		return out_add(c, bad, sizeof bad - 1) != 0;
	}
	while (c->st == C_READ) {
		char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
		if (!end)
			return c->in_len > MAX_REQ_HEAD;
		size_t head_len = (size_t)(end - c->in) + 4;
		char method[16] = "", path[512] = "";
		char *line_end = memchr(c->in, '\r', head_len);
		if (sscanf(c->in, "%15s %511s", method, path) != 2)
			return 1;
		size_t clen = 0;
		const char *hdrs = line_end + 2;
		size_t hdrs_len = (size_t)(end + 2 - hdrs);
		int req_close = 0;
		for (const char *p = hdrs; p < end;) {
			const char *eol = memmem(p, (size_t)(end + 2 - p),
						 "\r\n", 2);
			if (!eol)
				break;
			if (strncasecmp(p, "Content-Length:", 15) == 0)
				clen = strtoul(p + 15, NULL, 10);
			if (strncasecmp(p, "Connection:", 11) == 0 &&
			    strncasecmp(p + 11, " close", 6) == 0)
				req_close = 1;
			p = eol + 2;
		}
		if (c->in_len < head_len + clen)
			return 0; /* body not complete yet */
		const char *body = c->in + head_len;
		record(srv, method, path, hdrs, hdrs_len, body, clen);

		char route_path[512];
		snprintf(route_path, sizeof route_path, "%s", path);
		char *q = strchr(route_path, '?');
		if (q)
			*q = '\0';
		pwt_http_behaviour_t b = {.kind = PWT_HTTP_REPLY,
					  .body = "ok",
					  .body_len = 2};
		pthread_mutex_lock(&srv->mu);
		struct route *r = find_route(srv, route_path);
		if (r)
			b = r->b; /* strings live until stop (retired list) */
		pthread_mutex_unlock(&srv->mu);
		if (req_close)
			b.close = 1;
		c->head_req = strcmp(method, "HEAD") == 0;
		int rc;
		if (b.delay_ms > 0) {
			c->st = C_DELAY;
			c->act_at = now_ms() + b.delay_ms;
			c->pending = b;
			free(c->pending_req_body);
			c->pending_req_body = malloc(clen + 1);
			if (!c->pending_req_body)
				return 1;
			memcpy(c->pending_req_body, body, clen);
			c->pending_req_body_len = clen;
			rc = 0;
		} else {
			rc = act(c, &b, body, clen);
		}
		memmove(c->in, c->in + head_len + clen,
			c->in_len - head_len - clen);
		c->in_len -= head_len + clen;
		if (rc)
			return 1;
	}
	return 0;
}

/* Returns 1 when the connection must close. */
static int on_readable(pwt_http_t *srv, struct conn *c)
{
	char buf[16384];
	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n == 0)
			return 1;
		if (n < 0)
			return !(errno == EAGAIN || errno == EWOULDBLOCK ||
				 errno == EINTR);
		if (c->st == C_HANG)
			continue; /* swallow */
		if (buf_add(&c->in, &c->in_len, &c->in_cap, buf, (size_t)n))
			return 1;
		if ((size_t)n < sizeof buf)
			break;
	}
	return handle_input(srv, c);
}

/* Returns 1 when the connection must close. */
static int on_writable(pwt_http_t *srv, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0)
			return !(errno == EAGAIN || errno == EWOULDBLOCK ||
				 errno == EINTR);
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = c->out_cap = 0;
	if (c->close_after)
		return 1;
	c->st = C_READ;
	return handle_input(srv, c);
}

static void *serve(void *arg)
{
	pwt_http_t *srv = arg;
	struct pollfd *pfds = NULL;
	size_t cap = 0;
	for (;;) {
		size_t need = srv->nconns + 2;
		if (need > cap) {
			struct pollfd *p = realloc(pfds, need * 2 * sizeof *p);
			if (!p)
				break;
			pfds = p;
			cap = need * 2;
		}
		pfds[0] = (struct pollfd){.fd = srv->wake[0], .events = POLLIN};
		pfds[1] = (struct pollfd){.fd = srv->lfd, .events = POLLIN};
		int timeout = 1000;
		int64_t now = now_ms();
		size_t n = srv->nconns;
		for (size_t i = 0; i < n; i++) {
			struct conn *c = srv->conns[i];
			short ev = POLLIN;
			if (c->st == C_WRITE)
				ev |= POLLOUT;
			if (c->st == C_DELAY) {
				int64_t left = c->act_at - now;
				if (left < 0)
					left = 0;
				if (left < timeout)
					timeout = (int)left;
			}
			pfds[i + 2] = (struct pollfd){.fd = c->fd, .events = ev};
		}
		if (poll(pfds, n + 2, timeout) < 0 && errno != EINTR)
			break;
		if (pfds[0].revents) {
			char tmp[16];
			ssize_t r = read(srv->wake[0], tmp, sizeof tmp);
			(void)r;
			pthread_mutex_lock(&srv->mu);
			int stop = srv->stopping, idle = srv->close_idle;
			pthread_mutex_unlock(&srv->mu);
			if (stop)
				break;
			if (idle) {
				/* an idle keep-alive connection: nothing
				 * read, nothing to write */
				for (size_t k = srv->nconns; k-- > 0;) {
					struct conn *c = srv->conns[k];
					if (c->st == C_READ && c->in_len == 0)
						conn_close(srv, k);
				}
				pthread_mutex_lock(&srv->mu);
				srv->close_idle = 0;
				pthread_mutex_unlock(&srv->mu);
			}
			continue;
		}
		/* walk backwards: conn_close moves the last one into i */
		now = now_ms();
		for (size_t k = n; k-- > 0;) {
			struct conn *c = srv->conns[k];
			short re = pfds[k + 2].revents;
			int close_it = 0;
			if (c->st == C_DELAY && now >= c->act_at) {
				c->st = C_READ;
				close_it = act(c, &c->pending,
					       c->pending_req_body,
					       c->pending_req_body_len);
				if (!close_it && c->st == C_WRITE)
					re |= POLLOUT;
			}
			if (!close_it && (re & (POLLIN | POLLHUP | POLLERR)))
				close_it = on_readable(srv, c);
			if (!close_it && c->st == C_WRITE && (re & POLLOUT))
				close_it = on_writable(srv, c);
			if (close_it)
				conn_close(srv, k);
		}
		if (pfds[1].revents & POLLIN)
			do_accept(srv);
	}
	free(pfds);
	return NULL;
}

/* ---- lifecycle ---- */

pwt_http_t *pwt_http_start(void)
{
	pwt_http_t *srv = calloc(1, sizeof *srv);
	if (!srv)
		return NULL;
	srv->lfd = -1;
	srv->wake[0] = srv->wake[1] = -1;
	pthread_mutex_init(&srv->mu, NULL);
	srv->log = calloc(MAX_RECORDS, sizeof *srv->log);
	if (!srv->log || pipe2(srv->wake, O_CLOEXEC) != 0)
		goto fail;
	srv->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  0);
	if (srv->lfd < 0)
		goto fail;
	int one = 1;
	setsockopt(srv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    listen(srv->lfd, 4096) != 0 ||
	    getsockname(srv->lfd, (struct sockaddr *)&sa, &sl) != 0)
		goto fail;
	srv->port = ntohs(sa.sin_port);
	if (pthread_create(&srv->thr, NULL, serve, srv) != 0)
		goto fail;
	return srv;
fail:
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->wake[0] >= 0) {
		close(srv->wake[0]);
		close(srv->wake[1]);
	}
	free(srv->log);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
	return NULL;
}

void pwt_http_stop(pwt_http_t *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->mu);
	srv->stopping = 1;
	pthread_mutex_unlock(&srv->mu);
	ssize_t w = write(srv->wake[1], "x", 1);
	(void)w;
	pthread_join(srv->thr, NULL);
	while (srv->nconns)
		conn_close(srv, srv->nconns - 1);
	free(srv->conns);
	close(srv->lfd);
	close(srv->wake[0]);
	close(srv->wake[1]);
	for (struct route *r = srv->routes, *n; r; r = n) {
		n = r->next;
		route_free(r);
	}
	for (struct route *r = srv->retired, *n; r; r = n) {
		n = r->next;
		route_free(r);
	}
	for (size_t i = 0; i < srv->nlog; i++)
		pwt_http_request_free(&srv->log[i]);
	free(srv->log);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
}

void pwt_http_close_idle(pwt_http_t *srv)
{
	pthread_mutex_lock(&srv->mu);
	srv->close_idle = 1;
	pthread_mutex_unlock(&srv->mu);
	ssize_t w = write(srv->wake[1], "x", 1);
	(void)w;
	for (int i = 0; i < 10000; i++) { /* bounded: 10 s */
		pthread_mutex_lock(&srv->mu);
		int pending = srv->close_idle;
		pthread_mutex_unlock(&srv->mu);
		if (!pending)
			return;
		usleep(1000);
	}
}

int pwt_http_port(const pwt_http_t *srv)
{
	return srv->port;
}

const char *pwt_http_url(const pwt_http_t *srv, const char *path, char *buf,
			 size_t size)
{
	int n = snprintf(buf, size, "http://127.0.0.1:%d%s", srv->port, path);
	if (n < 0 || (size_t)n >= size)
		buf[0] = '\0';
	return buf;
}

static size_t read_counter(pwt_http_t *srv, const size_t *p)
{
	pthread_mutex_lock(&srv->mu);
	size_t v = *p;
	pthread_mutex_unlock(&srv->mu);
	return v;
}

size_t pwt_http_connections(pwt_http_t *srv)
{
	return read_counter(srv, &srv->connections);
}

size_t pwt_http_requests(pwt_http_t *srv)
{
	return read_counter(srv, &srv->requests);
}

size_t pwt_http_open_connections(pwt_http_t *srv)
{
	return read_counter(srv, &srv->open);
}

int pwt_http_request_at(pwt_http_t *srv, size_t i, pwt_http_request_t *out)
{
	memset(out, 0, sizeof *out);
	int rc = -1;
	pthread_mutex_lock(&srv->mu);
	if (i < srv->nlog) {
		const pwt_http_request_t *r = &srv->log[i];
		*out = *r;
		out->headers = strdup(r->headers);
		out->body = malloc(r->body_len + 1);
		if (out->headers && out->body) {
			memcpy(out->body, r->body, r->body_len + 1);
			rc = 0;
		} else {
			pwt_http_request_free(out);
		}
	}
	pthread_mutex_unlock(&srv->mu);
	return rc;
}

void pwt_http_request_free(pwt_http_request_t *req)
{
	if (!req)
		return;
	free(req->headers);
	free(req->body);
	req->headers = NULL;
	req->body = NULL;
}

const char *pwt_http_header(const pwt_http_request_t *req, const char *name,
			    char *buf, size_t size)
{
	size_t nl = strlen(name);
	for (const char *p = req->headers; p && *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			const char *e = p + len;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			int n = snprintf(buf, size, "%.*s", (int)(e - v), v);
			if (n < 0 || (size_t)n >= size)
				return NULL;
			return buf;
		}
		if (!eol)
			break;
		p = eol + 2;
	}
	return NULL;
}
