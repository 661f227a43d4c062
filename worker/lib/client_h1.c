/* client_h1.c -- the calls and connections of libpayatom's own HTTP/1.1
 * engine (client_h1.h says why there is one).
 * Owns: calls (request bytes, reply, their queues and pool, delivery),
 *       connections once made (one request at a time, keep-alive, idle
 *       ones most recently used first, kept registered for reading, at
 *       most four per call in flight),
 *       dispatching waiting calls onto connections, reading and writing.
 * Not here: connecting, TLS, names (client_h1_net.c), entry points and the
 *           timer (client_h1_api.c), wire formats (client_h1_wire.c), the
 *           public API and argument checks (client.c).
 *
 * An idle connection stays registered for reading with the caller's loop
 * (a server closing it is noticed at once, and reusing it costs no
 * epoll_ctl); a request goes out from pa_client_send() itself when a
 * connection is idle. Replies and failures are delivered only from the
 * action functions, never from inside pa_client_send() or
 * pa_client_cancel(). A reused connection that fails before any byte of
 * its reply is retried once on a new connection, as libcurl does. */
#include "client_h1_int.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void write_some(h1_call_t *c);

/* ---- the caller's loop -------------------------------------------------- */

void pa__h1_watch(pa__h1_t *h, int fd, int what, int *cur)
{
	if (*cur == what)
		return;
	*cur = what;
	if (h->socket_cb)
		h->socket_cb(fd, what ? what : PA_POLL_REMOVE, h->socket_ud);
}

int pa__h1_byfd_set(pa__h1_t *h, int fd, h1_conn_t *k)
{
	if ((size_t)fd >= h->nbyfd) {
		size_t n = h->nbyfd ? h->nbyfd : 256;
		while (n <= (size_t)fd)
			n *= 2;
		h1_conn_t **nb = realloc(h->byfd, n * sizeof *nb);
		if (!nb)
			return 0;
		memset(nb + h->nbyfd, 0, (n - h->nbyfd) * sizeof *nb);
		h->byfd = nb;
		h->nbyfd = n;
	}
	h->byfd[fd] = k;
	return 1;
}

/* ---- lists -------------------------------------------------------------- */

void pa__h1_active_unlink(pa__h1_t *h, h1_call_t *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		h->active = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		h->active_tail = c->prev;
	c->prev = c->next = NULL;
	h->n_active--;
}

void pa__h1_wait_push(h1_origin_t *org, h1_call_t *c, int front)
{
	c->state = K_WAITING;
	c->wnext = NULL;
	if (front) {
		c->wnext = org->wait_head;
		org->wait_head = c;
		if (!org->wait_tail)
			org->wait_tail = c;
	} else {
		if (org->wait_tail)
			org->wait_tail->wnext = c;
		else
			org->wait_head = c;
		org->wait_tail = c;
	}
	org->nwait++;
}

h1_call_t *pa__h1_wait_pop(h1_origin_t *org)
{
	h1_call_t *c = org->wait_head;
	if (c) {
		org->wait_head = c->wnext;
		if (!org->wait_head)
			org->wait_tail = NULL;
		c->wnext = NULL;
		org->nwait--;
	}
	return c;
}

/* Removes c from a singly linked queue (head/tail); 1 when found. */
int pa__h1_queue_remove(h1_call_t **head, h1_call_t **tail, h1_call_t *c)
{
	h1_call_t *prev = NULL;
	for (h1_call_t *x = *head; x; prev = x, x = x->wnext) {
		if (x != c)
			continue;
		if (prev)
			prev->wnext = x->wnext;
		else
			*head = x->wnext;
		if (*tail == x)
			*tail = prev;
		x->wnext = NULL;
		return 1;
	}
	return 0;
}

static void conn_list_unlink(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	if (k->state == C_IDLE) {
		h1_origin_t *org = k->org;
		if (k->prev)
			k->prev->next = k->next;
		else
			org->idle = k->next;
		if (k->next)
			k->next->prev = k->prev;
		else
			org->idle_tail = k->prev;
		org->nidle--;
	} else if (k->state == C_CONNECTING || k->state == C_TLS) {
		if (k->prev)
			k->prev->next = k->next;
		else
			h->connecting = k->next;
		if (k->next)
			k->next->prev = k->prev;
		else
			h->connecting_tail = k->prev;
	}
	k->prev = k->next = NULL;
}

/* ---- calls -------------------------------------------------------------- */

void pa__h1_call_put(pa__h1_t *h, h1_call_t *c)
{
	/* request and reply carry credentials and personal data */
	if (c->req)
		explicit_bzero(c->req, c->req_len);
	if (c->resp.buf)
		explicit_bzero(c->resp.buf, c->resp.len);
	if (h->n_pool >= POOL_MAX) {
		free(c->req);
		free(c->resp.buf);
		free(c);
		return;
	}
	if (c->req_cap > KEEP_BUF_MAX) {
		free(c->req);
		c->req = NULL;
		c->req_cap = 0;
	}
	if (c->resp.cap > KEEP_BUF_MAX) {
		free(c->resp.buf);
		c->resp.buf = NULL;
		c->resp.cap = 0;
	}
	c->next = h->pool;
	h->pool = c;
	h->n_pool++;
}

h1_call_t *pa__h1_call_get(pa__h1_t *h)
{
	h1_call_t *c = h->pool;
	if (c) {
		h->pool = c->next;
		h->n_pool--;
	} else if (!(c = calloc(1, sizeof *c))) {
		return NULL;
	}
	char *req = c->req, *rb = c->resp.buf;
	size_t rc = c->req_cap, bc = c->resp.cap;
	memset(c, 0, sizeof *c);
	c->req = req;
	c->req_cap = rc;
	c->resp.buf = rb;
	c->resp.cap = bc;
	c->h = h;
	return c;
}

/* Hands the reply to the caller and recycles the call, which is out of
 * every list and connection. */
void pa__h1_deliver(pa__h1_t *h, h1_call_t *c, pa_err_t err, const char *msg)
{
	pa_reply_t r;
	memset(&r, 0, sizeof r);
	r.err = err;
	r.http_status = c->resp.status;
	if (err == PA_OK) {
		long st = c->resp.status;
		r.err = pa__classify_status(st);
		if (r.err != PA_OK)
			snprintf(r.errmsg, sizeof r.errmsg, "HTTP %ld", st);
		if (r.err == PA_RATE_LIMITED || r.err == PA_HTTP_5XX)
			r.retry_after_s = c->resp.retry_after;
	} else {
		snprintf(r.errmsg, sizeof r.errmsg, "%s", msg);
	}
	r.outcome = r.err == PA_OK		   ? PA_OUTCOME_SUCCESS
		    : pa_err_is_retryable(r.err) ? PA_OUTCOME_RETRYABLE
						 : PA_OUTCOME_FATAL;
	r.body = "";
	if (c->resp.buf && (err == PA_OK || c->resp.body_off)) {
		/* the body, or what came of it (for logs) */
		c->resp.buf[c->resp.body_off + c->resp.body_len] = '\0';
		r.body = c->resp.buf + c->resp.body_off;
		r.body_len = c->resp.body_len;
	}
	r.op = c->op;
	r.order_id = c->order_id;
	h->stats.completed++;
	c->cb(h->owner, &r, c->ud);
	pa__h1_call_put(h, c);
}

/* c ends with err: detached from its connection (the caller dealt with
 * it) and queued for the next action's delivery. */
void pa__h1_call_fail(h1_call_t *c, pa_err_t err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pa__h1_call_fail(h1_call_t *c, pa_err_t err, const char *fmt, ...)
{
	pa__h1_t *h = c->h;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->failmsg, sizeof c->failmsg, fmt, ap);
	va_end(ap);
	c->fail = err;
	c->conn = NULL;
	c->state = K_FAILED;
	c->wnext = NULL;
	if (h->failed_tail)
		h->failed_tail->wnext = c;
	else
		h->failed = c;
	h->failed_tail = c;
	pa__h1_rearm(h);
}

/* ---- connections -------------------------------------------------------- */

void pa__h1_conn_drop(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	h1_origin_t *org = k->org;
	conn_list_unlink(k);
	if (k->state == C_CONNECTING || k->state == C_TLS)
		org->nopening--;
	org->nconn--;
	h->nconn--;
	if (k->fd >= 0) {
		pa__h1_watch(h, k->fd, 0, &k->watched);
		if ((size_t)k->fd < h->nbyfd)
			h->byfd[k->fd] = NULL;
		if (k->ssl)
			SSL_free(k->ssl);
		close(k->fd);
	}
	free(k);
}

/* The connection of c broke before its reply was whole. A reused
 * connection that failed before any byte of the reply (a server closing
 * it as we wrote) is retried once on a new connection; else c fails. */
static void conn_broken(h1_call_t *c, pa_err_t err, const char *msg)
{
	h1_conn_t *k = c->conn;
	h1_origin_t *org = c->org;
	c->conn = NULL;
	pa__h1_conn_drop(k);
	if (c->reused && !c->retried && c->resp.len == 0 &&
	    err == PA_CONNECT) {
		c->retried = 1;
		c->reused = 0;
		c->req_off = 0;
		pa__h1_wait_push(org, c, 1);
		pa__h1_dispatch(c->h, org);
		return;
	}
	pa__h1_call_fail(c, err, "%s", msg);
	pa__h1_dispatch(c->h, org);
}

static void attach(h1_conn_t *k, h1_call_t *c)
{
	k->state = C_BUSY;
	k->call = c;
	k->uses++;
	c->conn = k;
	c->reused = k->uses > 1;
	c->req_off = 0;
	pa__h1_resp_reset(&c->resp, c->h->o.max_response_bytes, c->head);
	c->state = K_SENDING;
	write_some(c);
}

/* k is ready for a request: the next waiting call, else idle (watched for
 * reading, so that a server closing it is seen). */
static void conn_release(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	h1_origin_t *org = k->org;
	k->call = NULL;
	h1_call_t *c = pa__h1_wait_pop(org);
	if (c) {
		attach(k, c);
		return;
	}
	k->state = C_IDLE;
	k->since = pa__h1_now_ms();
	k->prev = NULL;
	k->next = org->idle;
	if (org->idle)
		org->idle->prev = k;
	else
		org->idle_tail = k;
	org->idle = k;
	org->nidle++;
	pa__h1_watch(h, k->fd, PA_POLL_IN, &k->watched);
	size_t keep = IDLE_KEEP_PER_CALL * h->n_active;
	if (keep < IDLE_KEEP_MIN)
		keep = IDLE_KEEP_MIN;
	while (org->nidle > keep)
		pa__h1_conn_drop(org->idle_tail);
}

void pa__h1_conn_ready(h1_conn_t *k)
{
	h1_origin_t *org = k->org;
	conn_list_unlink(k);
	org->nopening--;
	k->h->stats.new_connections++;
	if (k->ssl) {
		SSL_SESSION *s = SSL_get1_session(k->ssl);
		if (s) {
			SSL_SESSION_free(org->sess);
			org->sess = s;
		}
	}
	k->state = C_BUSY; /* in no list until conn_release puts it */
	conn_release(k);
}

/* A connection that could not be made fails the oldest call waiting for
 * one (each opening connection stands for one waiting call). */
void pa__h1_conn_failed(h1_conn_t *k, pa_err_t err, const char *msg)
{
	h1_origin_t *org = k->org;
	pa__h1_t *h = k->h;
	pa__h1_conn_drop(k);
	h1_call_t *c = pa__h1_wait_pop(org);
	if (c)
		pa__h1_call_fail(c, err, "%s", msg);
	pa__h1_dispatch(h, org);
}


static int may_open(pa__h1_t *h, h1_origin_t *org)
{
	return (h->o.max_host_connections <= 0 ||
		org->nconn < (size_t)h->o.max_host_connections) &&
	       (h->o.max_total_connections <= 0 ||
		h->nconn < (size_t)h->o.max_total_connections);
}

/* Gives waiting calls idle connections, then opens connections for the
 * ones left (one per waiting call, within the limits). */
void pa__h1_dispatch(pa__h1_t *h, h1_origin_t *org)
{
	if (org->dispatching)
		return; /* the running one goes on with what changed */
	org->dispatching = 1;
	int64_t now = 0;
	while (org->wait_head && org->idle) {
		h1_conn_t *k = org->idle;
		if (!now)
			now = pa__h1_now_ms();
		conn_list_unlink(k);
		if (now - k->since > IDLE_MAX_MS) {
			k->state = C_BUSY; /* out of the idle list already */
			pa__h1_conn_drop(k);
			continue;
		}
		attach(k, pa__h1_wait_pop(org));
	}
	if (org->wait_head) {
		if (!org->numeric &&
		    (org->naddr == 0 ||
		     pa__h1_now_ms() - org->resolved_at > DNS_TTL_MS))
			pa__h1_resolve_start(h, org);
		else
			while (org->nopening < org->nwait && may_open(h, org))
				pa__h1_conn_open(h, org);
	}
	org->dispatching = 0;
}

/* ---- I/O ---------------------------------------------------------------- */

/* Bytes of c's request written so far; the rest when the socket takes it. */
static void write_some(h1_call_t *c)
{
	h1_conn_t *k = c->conn;
	pa__h1_t *h = c->h;
	while (c->req_off < c->req_len) {
		const char *p = c->req + c->req_off;
		size_t n = c->req_len - c->req_off;
		ssize_t w;
		if (k->ssl) {
			ERR_clear_error();
			int rc = SSL_write(k->ssl, p, n > INT32_MAX ? INT32_MAX
								    : (int)n);
			if (rc <= 0) {
				int e = SSL_get_error(k->ssl, rc);
				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ) {
					pa__h1_watch(h, k->fd,
					      e == SSL_ERROR_WANT_READ
						      ? PA_POLL_IN
						      : PA_POLL_OUT,
					      &k->watched);
					return;
				}
				ERR_clear_error();
				conn_broken(c, PA_CONNECT,
					    "Failure when sending data to the "
					    "peer (TLS)");
				return;
			}
			w = rc;
		} else {
			w = send(k->fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					pa__h1_watch(h, k->fd, PA_POLL_OUT,
					      &k->watched);
					return;
				}
				char msg[128];
				snprintf(msg, sizeof msg,
					 "Failure when sending data to the "
					 "peer: %s",
					 strerror(errno));
				conn_broken(c, PA_CONNECT, msg);
				return;
			}
		}
		c->req_off += (size_t)w;
	}
	c->state = K_RECEIVING;
	pa__h1_watch(h, k->fd, PA_POLL_IN, &k->watched);
}

/* The reply of c is whole: the connection serves the next call or is
 * closed, then the reply is delivered. */
static void complete(h1_call_t *c)
{
	pa__h1_t *h = c->h;
	h1_conn_t *k = c->conn;
	h1_origin_t *org = c->org;
	c->conn = NULL;
	pa__h1_active_unlink(h, c);
	/* a byte beyond the reply means the connection is out of step */
	if (c->resp.keep_alive && c->resp.pos == c->resp.len)
		conn_release(k);
	else {
		pa__h1_conn_drop(k);
		pa__h1_dispatch(h, org);
	}
	pa__h1_deliver(h, c, PA_OK, "");
}

static void read_some(h1_call_t *c)
{
	h1_conn_t *k = c->conn;
	for (;;) {
		if (pa__h1_resp_room(&c->resp, MIN_READ) != PA_OK) {
			conn_broken(c, PA_NOMEM, "out of memory");
			return;
		}
		size_t room = c->resp.cap - c->resp.len - 1;
		ssize_t n;
		int eof = 0;
		if (k->ssl) {
			ERR_clear_error();
			int rc = SSL_read(k->ssl, c->resp.buf + c->resp.len,
					  room > INT32_MAX ? INT32_MAX
							   : (int)room);
			if (rc > 0) {
				n = rc;
			} else {
				int e = SSL_get_error(k->ssl, rc);
				ERR_clear_error();
				if (e == SSL_ERROR_WANT_READ)
					return;
				if (e == SSL_ERROR_WANT_WRITE) {
					pa__h1_watch(c->h, k->fd, PA_POLL_OUT,
					      &k->watched);
					return;
				}
				if (e != SSL_ERROR_ZERO_RETURN &&
				    e != SSL_ERROR_SYSCALL) {
					conn_broken(c, PA_CONNECT,
						    "Failure when receiving "
						    "data from the peer (TLS)");
					return;
				}
				n = 0;
				eof = 1;
			}
		} else {
			n = recv(k->fd, c->resp.buf + c->resp.len, room, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN)
					return;
				char msg[128];
				snprintf(msg, sizeof msg,
					 "Recv failure: %s", strerror(errno));
				conn_broken(c, PA_CONNECT, msg);
				return;
			}
			eof = n == 0;
		}
		int rc;
		if (eof) {
			rc = pa__h1_resp_eof(&c->resp);
			c->resp.keep_alive = 0;
		} else {
			c->resp.len += (size_t)n;
			rc = pa__h1_resp_parse(&c->resp);
		}
		if (rc == PA__H1_DONE) {
			complete(c);
			return;
		}
		if (rc == PA__H1_TOO_BIG) {
			char msg[96];
			snprintf(msg, sizeof msg,
				 "response body exceeds %zu bytes",
				 c->h->o.max_response_bytes);
			conn_broken(c, PA_TOO_BIG, msg);
			return;
		}
		if (rc == PA__H1_BAD) {
			char msg[160];
			snprintf(msg, sizeof msg, "%s", c->resp.why);
			/* nothing of a reply on a reused connection:
			 * conn_broken retries it once */
			if (eof && c->resp.status == 0 && c->resp.len == 0)
				conn_broken(c, PA_CONNECT,
					    "Empty reply from server");
			else
				conn_broken(c, PA_CONNECT, msg);
			return;
		}
		/* a plain socket that did not fill the buffer has nothing
		 * more for now; TLS may hold decrypted bytes: read on */
		if (!k->ssl && (size_t)n < room)
			return;
	}
}

/* An idle connection became readable: the server closed it (or sent what
 * it should not); TLS may only have brought a session ticket. */
static void idle_readable(h1_conn_t *k)
{
	char b[256];
	if (k->ssl) {
		ERR_clear_error();
		int rc = SSL_read(k->ssl, b, sizeof b);
		int e = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(k->ssl, rc);
		ERR_clear_error();
		if (rc <= 0 && e == SSL_ERROR_WANT_READ)
			return;
	}
	pa__h1_conn_drop(k);
}

void pa__h1_conn_io(h1_conn_t *k, int events)
{
	switch (k->state) {
	case C_CONNECTING: {
		int err = 0;
		socklen_t el = sizeof err;
		if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err == 0 && !(events & (PA_CSELECT_OUT | PA_CSELECT_ERR)))
			return;
		if (err != 0) {
			pa__h1_connect_next(k, err);
			return;
		}
		pa__h1_connected(k);
		return;
	}
	case C_TLS: pa__h1_handshake(k); return;
	case C_IDLE: idle_readable(k); return;
	default: break;
	}
	h1_call_t *c = k->call;
	if (!c)
		return;
	if (c->state == K_SENDING)
		write_some(c);
	else if (c->state == K_RECEIVING)
		read_some(c);
}

