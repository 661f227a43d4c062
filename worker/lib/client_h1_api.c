/* client_h1_api.c -- the HTTP/1.1 engine's entry points (client_h1.h) and
 * its timer.
 * Owns: creating and destroying the engine, send and cancel, the actions,
 *       deadlines (total per call, connect per connection), the blocking
 *       mode, the lazy timer handed to the caller.
 * Not here: connections and I/O (client_h1.c, client_h1_net.c). */
#include "client_h1_int.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- timers ------------------------------------------------------------- */

static int64_t next_deadline(pa__h1_t *h)
{
	int64_t d = NEVER;
	if (h->failed)
		return 0;
	if (h->active)
		d = h->active->deadline;
	if (h->connecting) {
		int64_t cd = h->connecting->since + h->o.connect_timeout_ms;
		if (cd < d)
			d = cd;
	}
	return d;
}

/* Keeps the caller's one timer at (or before) the next deadline: it is
 * set again only when the deadline moves earlier, or after it fired. */
void pa__h1_rearm(pa__h1_t *h)
{
	if (h->in_action || !h->timer_cb)
		return;
	int64_t d = next_deadline(h);
	if (d == NEVER) {
		if (h->armed != NEVER && h->n_active == 0) {
			h->armed = NEVER;
			h->timer_cb(-1, h->timer_ud);
		}
		return;
	}
	if (h->armed != NEVER && h->armed <= d)
		return;
	h->armed = d;
	int64_t ms = d - pa__h1_now_ms();
	h->timer_cb(ms > 0 ? (long)ms : 0, h->timer_ud);
}

static void deliver_failed(pa__h1_t *h)
{
	h1_call_t *c;
	while ((c = h->failed)) {
		h->failed = c->wnext;
		if (!h->failed)
			h->failed_tail = NULL;
		c->wnext = NULL;
		pa__h1_active_unlink(h, c);
		pa__h1_deliver(h, c, c->fail, c->failmsg);
	}
}

static void expire(pa__h1_t *h, int64_t now)
{
	h1_conn_t *k;
	while ((k = h->connecting) &&
	       k->since + h->o.connect_timeout_ms <= now) {
		char msg[96];
		snprintf(msg, sizeof msg, "Connection timed out after %ld "
					  "milliseconds",
			 h->o.connect_timeout_ms);
		pa__h1_conn_failed(k, PA_TIMEOUT, msg);
	}
	h1_call_t *c;
	while ((c = h->active) && c->deadline <= now &&
	       c->state != K_FAILED) {
		h1_origin_t *org = c->org;
		if (c->state == K_WAITING) {
			pa__h1_queue_remove(&org->wait_head, &org->wait_tail, c);
			org->nwait--;
		} else if (c->conn) {
			h1_conn_t *kc = c->conn;
			c->conn = NULL;
			pa__h1_conn_drop(kc);
		}
		pa__h1_active_unlink(h, c);
		char msg[96];
		snprintf(msg, sizeof msg,
			 "Operation timed out after %ld milliseconds",
			 h->o.total_timeout_ms);
		pa__h1_deliver(h, c, PA_TIMEOUT, msg);
		pa__h1_dispatch(h, org);
	}
	if (now - h->last_sweep > 10000) {
		h->last_sweep = now;
		for (h1_origin_t *o = h->origins; o; o = o->next)
			for (h1_conn_t *i = o->idle, *nx; i; i = nx) {
				nx = i->next;
				if (now - i->since > IDLE_MAX_MS)
					pa__h1_conn_drop(i);
			}
	}
}

/* ---- the engine's entry points (client.c) ------------------------------- */

pa_err_t pa__h1_new(const pa_client_opts_t *o, pa_client_t *owner,
		    pa__h1_t **out)
{
	pa__h1_t *h = calloc(1, sizeof *h);
	if (!h)
		return PA_NOMEM;
	h->owner = owner;
	h->o = *o;
	h->armed = NEVER;
	h->res_fd[0] = h->res_fd[1] = -1;
	h->last_sweep = pa__h1_now_ms();
	*out = h;
	return PA_OK;
}

void pa__h1_destroy(pa__h1_t *h)
{
	if (!h)
		return;
	h->socket_cb = NULL; /* the loop drops its watches itself */
	h->timer_cb = NULL;
	while (h->failed) {
		h1_call_t *c = h->failed;
		h->failed = c->wnext;
		pa__h1_active_unlink(h, c);
		pa__h1_call_put(h, c);
	}
	while (h->active) {
		h1_call_t *c = h->active;
		if (c->conn) {
			h1_conn_t *k = c->conn;
			c->conn = NULL;
			pa__h1_conn_drop(k);
		}
		pa__h1_active_unlink(h, c);
		pa__h1_call_put(h, c);
	}
	while (h->connecting)
		pa__h1_conn_drop(h->connecting);
	while (h->origins) {
		h1_origin_t *o = h->origins;
		h->origins = o->next;
		while (o->idle)
			pa__h1_conn_drop(o->idle);
		SSL_SESSION_free(o->sess);
		free(o);
	}
	while (h->pool) {
		h1_call_t *c = h->pool;
		h->pool = c->next;
		free(c->req);
		free(c->resp.buf);
		free(c);
	}
	if (h->res_fd[0] >= 0) {
		close(h->res_fd[0]);
		close(h->res_fd[1]);
	}
	SSL_CTX_free(h->tls);
	free(h->byfd);
	free(h);
}

void pa__h1_set_socket_cb(pa__h1_t *h, pa_socket_cb cb, void *ud)
{
	h->socket_cb = cb;
	h->socket_ud = ud;
}

void pa__h1_set_timer_cb(pa__h1_t *h, pa_timer_cb cb, void *ud)
{
	h->timer_cb = cb;
	h->timer_ud = ud;
	h->armed = NEVER;
}

pa_err_t pa__h1_send(pa__h1_t *h, const pa_request_t *req, pa_reply_cb cb,
		     void *ud, pa_call_t **call_out, char *errbuf)
{
	pa__url_t u;
	pa_err_t err = pa__url_parse(req->url, &u, errbuf);
	if (err)
		return err;
	h1_origin_t *org = pa__h1_origin_get(h, &u);
	h1_call_t *c = org ? pa__h1_call_get(h) : NULL;
	if (!c)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	const char *method = req->method ? req->method
			     : req->body_len ? "POST"
					     : "GET";
	err = pa__h1_request(&u, method, req->headers, req->n_headers,
			     req->body, req->body_len, h->o.user_agent,
			     &c->req, &c->req_len, &c->req_cap);
	if (err) {
		pa__h1_call_put(h, c);
		return pa_seterr(errbuf, err, "out of memory");
	}
	c->org = org;
	c->head = strcmp(method, "HEAD") == 0;
	c->cb = cb;
	c->ud = ud;
	c->op = req->op;
	memcpy(c->order_id, req->order_id, sizeof c->order_id);
	c->order_id[sizeof c->order_id - 1] = '\0';
	c->deadline = pa__h1_now_ms() + h->o.total_timeout_ms;
	c->prev = h->active_tail;
	if (h->active_tail)
		h->active_tail->next = c;
	else
		h->active = c;
	h->active_tail = c;
	h->n_active++;
	h->stats.sent++;
	if (call_out)
		*call_out = (pa_call_t *)c;
	pa__h1_wait_push(org, c, 0);
	pa__h1_dispatch(h, org);
	pa__h1_rearm(h);
	return PA_OK;
}

void pa__h1_cancel(pa__h1_t *h, pa_call_t *call)
{
	h1_call_t *c = (h1_call_t *)call;
	h1_origin_t *org = c->org;
	if (c->state == K_FAILED) {
		pa__h1_queue_remove(&h->failed, &h->failed_tail, c);
	} else if (c->state == K_WAITING) {
		if (pa__h1_queue_remove(&org->wait_head, &org->wait_tail, c))
			org->nwait--;
	} else if (c->conn) {
		h1_conn_t *k = c->conn;
		c->conn = NULL;
		pa__h1_conn_drop(k); /* mid-request: the connection is spent */
	}
	pa__h1_active_unlink(h, c);
	h->stats.cancelled++;
	pa__h1_call_put(h, c);
	pa__h1_dispatch(h, org);
	pa__h1_rearm(h);
}

pa_err_t pa__h1_socket_action(pa__h1_t *h, int fd, int events)
{
	h->in_action++;
	if (fd == h->res_fd[0])
		pa__h1_resolved(h);
	else if ((size_t)fd < h->nbyfd && h->byfd[fd])
		pa__h1_conn_io(h->byfd[fd], events);
	deliver_failed(h);
	h->in_action--;
	pa__h1_rearm(h);
	return PA_OK;
}

pa_err_t pa__h1_timeout_action(pa__h1_t *h)
{
	h->in_action++;
	h->armed = NEVER; /* the caller's timer fired */
	deliver_failed(h);
	expire(h, pa__h1_now_ms());
	deliver_failed(h);
	h->in_action--;
	pa__h1_rearm(h);
	return PA_OK;
}

pa_err_t pa__h1_next_timeout(pa__h1_t *h, long *ms)
{
	int64_t d = next_deadline(h);
	if (d == NEVER) {
		*ms = -1;
		return PA_OK;
	}
	int64_t left = d - pa__h1_now_ms();
	*ms = left > 0 ? (long)left : 0;
	return PA_OK;
}

pa_err_t pa__h1_perform(pa__h1_t *h, int max_wait_ms)
{
	pa__h1_timeout_action(h);
	if (h->n_active == 0)
		return PA_OK;
	size_t n = 0, cap = h->nconn + 1;
	struct pollfd *pf = calloc(cap, sizeof *pf);
	if (!pf)
		return PA_NOMEM;
	for (size_t fd = 0; fd < h->nbyfd && n < cap; fd++) {
		h1_conn_t *k = h->byfd[fd];
		if (!k || !k->watched)
			continue;
		pf[n].fd = (int)fd;
		pf[n].events = (short)((k->watched & PA_POLL_IN ? POLLIN : 0) |
				       (k->watched & PA_POLL_OUT ? POLLOUT : 0));
		n++;
	}
	if (h->res_watched && n < cap)
		pf[n++] = (struct pollfd){.fd = h->res_fd[0], .events = POLLIN};
	long wait = max_wait_ms < 0 ? 0 : max_wait_ms, t;
	pa__h1_next_timeout(h, &t);
	if (t >= 0 && t < wait)
		wait = t;
	int r = poll(pf, (nfds_t)n, (int)wait);
	for (size_t i = 0; r > 0 && i < n; i++) {
		if (!pf[i].revents)
			continue;
		int ev = (pf[i].revents & POLLIN ? PA_CSELECT_IN : 0) |
			 (pf[i].revents & POLLOUT ? PA_CSELECT_OUT : 0) |
			 (pf[i].revents & (POLLERR | POLLHUP) ? PA_CSELECT_ERR
							      : 0);
		pa__h1_socket_action(h, pf[i].fd, ev);
	}
	free(pf);
	pa__h1_timeout_action(h);
	return PA_OK;
}

size_t pa__h1_in_flight(const pa__h1_t *h)
{
	return h->n_active;
}

void pa__h1_stats(const pa__h1_t *h, pa_client_stats_t *st)
{
	*st = h->stats;
}

