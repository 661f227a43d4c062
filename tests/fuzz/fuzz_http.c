/* fuzz_http.c -- libFuzzer target: the HTTP listener's request path
 * (core/http.c on libmicrohttpd) fed raw bytes from a loopback client.
 * Each input is one connection: the bytes are written, the write side is
 * shut (a half-closed client, as some gateways' HTTP stacks do), and the
 * loop runs until the listener answers or closes, bounded.
 * Routes answer the three ways handlers do: at once (reading method, path,
 * query, headers, body and client IP), later from a timer (suspend and
 * resume), and by closing with a reset.
 * Owns: the harness; the listener must not crash, leak or stall on any bytes.
 * Not here: the webhook receiver's own logic (fuzz_webhook.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/http.h"
#include "core/loop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pw_loop_t *loop;
static pw_http_t *http;

static void answer_now(pw_http_req_t *req, void *ud)
{
	(void)ud;
	char buf[512];
	size_t blen;
	const uint8_t *body = pw_http_body(req, &blen);
	const char *q = pw_http_query(req, "order_id");
	const char *h = pw_http_header(req, "Content-Type");
	int n = snprintf(buf, sizeof buf, "%s %s %zu %s %s %s %d",
			 pw_http_method(req), pw_http_path(req), blen,
			 q ? q : "-", h ? h : "-", pw_http_client_ip(req),
			 blen ? body[0] : 0);
	pw_http_add_header(req, "X-Fuzz", "1");
	pw_http_reply(req, 200, "text/plain", buf,
		      n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n
							: sizeof buf - 1);
}

static void on_later(pw_loop_t *l, pw_timer_t *t, void *ud)
{
	(void)l;
	(void)t;
	pw_http_reply(ud, 202, NULL, "later", 5);
}

static void on_dropped(pw_http_req_t *req, void *ud)
{
	(void)req;
	pw_timer_cancel(loop, ud);
}

static void answer_later(pw_http_req_t *req, void *ud)
{
	(void)ud;
	pw_timer_t *t = pw_timer_add(loop, 0, on_later, req);
	pw_http_req_on_abort(req, on_dropped, t);
}

static void answer_reset(pw_http_req_t *req, void *ud)
{
	(void)ud;
	pw_http_abort(req, 1);
}

static void setup(void)
{
	if (loop)
		return;
	char eb[PA_ERRBUF_SIZE];
	pw_http_opts_t o = {.max_body = 4096, .conn_limit = 64,
			    .idle_timeout_s = 5, .request_timeout_ms = 2000,
			    .per_ip_limit = 32};
	if (pw_loop_new(&loop) || pw_http_new(loop, &o, &http, eb)) {
		fprintf(stderr, "fuzz_http: %s\n", eb);
		abort();
	}
	pw_http_route(http, "POST", "/webhooks/", answer_now, NULL);
	pw_http_route(http, NULL, "/", answer_now, NULL);
	pw_http_route(http, "GET", "/later", answer_later, NULL);
	pw_http_route(http, NULL, "/reset", answer_reset, NULL);
}

static int dial(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		abort();
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(pw_http_port(http))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
	    errno != EINPROGRESS)
		abort();
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	int fd = dial();
	size_t off = 0;
	int shut = 0, eof = 0;
	char rbuf[4096];
	/* Bounded: 400 loop turns of at most 1 ms (a stalled listener shows as
	 * slow executions, never as a hang). */
	for (int turn = 0; turn < 400 && !eof; turn++) {
		if (off < size) {
			ssize_t w = send(fd, data + off, size - off,
					 MSG_NOSIGNAL);
			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINPROGRESS &&
				 errno != ENOTCONN)
				break;
		} else if (!shut) {
			shutdown(fd, SHUT_WR);
			shut = 1;
		}
		pw_loop_run_once(loop, 1);
		for (;;) {
			ssize_t r = recv(fd, rbuf, sizeof rbuf, 0);
			if (r > 0)
				continue;
			if (r == 0 || (errno != EAGAIN && errno != EINTR))
				eof = 1;
			break;
		}
	}
	close(fd);
	/* let the listener see the close and free the connection */
	for (int turn = 0; turn < 3; turn++)
		pw_loop_run_once(loop, 0);
	return 0;
}
