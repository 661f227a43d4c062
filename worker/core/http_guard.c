/* http_guard.c -- the listener's limits against slow, greedy and
 * half-closing clients (see http.h: pw_http_opts_t).
 * Owns: the open-connection list and the total request deadline (a sweep
 *       timer), answers written to clients that shut their write side.
 *       The cap per client address is libmicrohttpd's own option
 *       (MHD_OPTION_PER_IP_CONNECTION_LIMIT, set in http.c).
 * Not here: the daemon, routing and request bodies (http.c). */
#include "core/http.h"
#include "core/http_int.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* ---- connections and the request deadline ------------------------------
 * MHD's own timeout is idle time: it restarts on every byte, so a client
 * sending one byte a second holds a connection for ever. The deadline here
 * is total time; a connection past it is shut down (shutdown(2) on MHD's
 * socket, which MHD then reads as closed and frees as usual). */

static void on_sweep(pw_loop_t *loop, pw_timer_t *t, void *ud);

static void arm_sweep(pw_http_t *http)
{
	if (!http->deadline_ms || http->sweep || !http->conns || http->closing)
		return;
	/* a tenth of the deadline, 20 ms to 1 s: a late request is cut at most
	 * ~10% after its deadline */
	unsigned every = http->deadline_ms / 10;
	if (every < 20)
		every = 20;
	if (every > 1000)
		every = 1000;
	http->sweep = pw_timer_add(http->loop, every, on_sweep, http);
}

static void on_sweep(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_http_t *http = ud;
	(void)t;
	http->sweep = NULL;
	int64_t now = pw_loop_now(loop);
	int cut = 0;
	for (conn_t *c = http->conns; c; c = c->next) {
		if (!c->waiting || c->cut ||
		    now - c->since < (int64_t)http->deadline_ms)
			continue;
		c->cut = 1;
		http->st.late++;
		(void)shutdown(c->fd, SHUT_RDWR);
		cut = 1;
	}
	if (cut)
		pw__http_run(http);
	arm_sweep(http);
}

void pw__http_on_connection(void *cls, struct MHD_Connection *mc,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	pw_http_t *http = cls;
	conn_t *c = *socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		c = calloc(1, sizeof *c);
		if (!c) {
			/* untracked: only the idle timeout bounds it */
			return;
		}
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		c->mc = mc;
		c->fd = ci ? ci->connect_fd : -1;
		c->since = pw_loop_now(http->loop);
		c->waiting = 1;
		c->next = http->conns;
		if (http->conns)
			http->conns->prev = c;
		http->conns = c;
		http->st.connections++;
		*socket_context = c;
		arm_sweep(http);
		return;
	}
	if (!c)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		http->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	http->st.connections--;
	free(c);
	*socket_context = NULL;
}

conn_t *pw__http_conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* A held request whose client has shut its write side (the FIN is queued
 * on the socket): libmicrohttpd 0.9.75 reads once more when it resumes the
 * connection, takes the end of file for an abort and closes without
 * answering -- the gateway would see no acknowledgement and send again.
 * Such a client gets the answer written here, whole, with
 * "Connection: close", and MHD then closes the connection. Only for answers
 * that fit a socket buffer at once; 1 when written. */
int pw__http_reply_half_closed(pw_http_req_t *req, unsigned status,
			     const char *ctype, const void *body, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	char b;
	if (!ci || len > 16384 ||
	    recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) != 0)
		return 0;
	const char *reason = MHD_get_reason_phrase_for(status);
	char head[2048];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %u %s\r\nConnection: close\r\n"
			 "Content-Length: %zu\r\n",
			 status, reason && *reason ? reason : "Status", len);
	if (ctype && n > 0 && (size_t)n < sizeof head)
		n += snprintf(head + n, sizeof head - (size_t)n,
			      "Content-Type: %s\r\n", ctype);
	for (hdr_t *h = req->hdrs; h && n > 0 && (size_t)n < sizeof head;
	     h = h->next)
		n += snprintf(head + n, sizeof head - (size_t)n, "%s: %s\r\n",
			      h->name, h->value);
	if (n <= 0 || (size_t)n + 2 >= sizeof head)
		return 0;
	memcpy(head + n, "\r\n", 2);
	n += 2;
	struct iovec iov[2] = {{head, (size_t)n}, {(void *)body, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	/* a fresh socket buffer takes it whole; a short write leaves a
	 * broken answer, which the close below ends either way */
	(void)sendmsg(ci->connect_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	req->http->st.replies++;
	req->http->st.half_closed++;
	return 1;
}
