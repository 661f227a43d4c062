/* check_http.c -- core/http.c, the libmicrohttpd listener on pw_loop, driven
 * by libpayatom's client on the same loop: routing, body cap, delayed
 * answers from timers, request accessors, abort/reset, truncated replies,
 * dropping held requests on destroy; under abuse (raw loopback sockets):
 * half-closed clients, slow clients against the total request deadline,
 * the cap per client address. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "core/loop.h"
#include "core/loop_curl.h"
#include "payatom/client.h"
#include "pwtest.h"

typedef struct fx {
	pw_loop_t *loop;
	pw_http_t *http;
	pa_client_t *cli;
	pw_loop_curl_t *lc;
	char base[64];
	int replies;
	pa_err_t err;
	long status;
	char body[512];
	int aborted;
} fx_t;

static void fx_init_opts(fx_t *fx, const pw_http_opts_t *o)
{
	memset(fx, 0, sizeof *fx);
	ck_assert_int_eq(pw_loop_new(&fx->loop), PA_OK);
	char eb[PA_ERRBUF_SIZE];
	ck_assert_msg(pw_http_new(fx->loop, o, &fx->http, eb) == PA_OK, "%s",
		      eb);
	ck_assert_uint_gt(pw_http_port(fx->http), 0);
	snprintf(fx->base, sizeof fx->base, "http://127.0.0.1:%u",
		 (unsigned)pw_http_port(fx->http));
	pa_client_opts_t co = {0};
	co.total_timeout_ms = pwt_ms(3000);
	ck_assert_int_eq(pa_client_new(&co, &fx->cli), PA_OK);
	ck_assert_int_eq(pw_loop_curl_attach(fx->loop, fx->cli, &fx->lc),
			 PA_OK);
}

static void fx_init(fx_t *fx, size_t max_body)
{
	pw_http_opts_t o = {0};
	o.max_body = max_body;
	fx_init_opts(fx, &o);
}

static void fx_free(fx_t *fx)
{
	pw_loop_curl_detach(fx->lc);
	pa_client_destroy(fx->cli);
	pw_http_destroy(fx->http);
	pw_loop_destroy(fx->loop);
}

static void on_reply(pa_client_t *cli, const pa_reply_t *r, void *ud)
{
	fx_t *fx = ud;
	(void)cli;
	fx->replies++;
	fx->err = r->err;
	fx->status = r->http_status;
	snprintf(fx->body, sizeof fx->body, "%.*s", (int)r->body_len, r->body);
}

static void send_req(fx_t *fx, const char *method, const char *path,
		     const char *body, const char *hname, const char *hval)
{
	char url[256];
	snprintf(url, sizeof url, "%s%s", fx->base, path);
	struct pa_header h = {(char *)hname, (char *)hval};
	pa_request_t req;
	memset(&req, 0, sizeof req);
	req.method = (char *)method;
	req.url = url;
	req.headers = hname ? &h : NULL;
	req.n_headers = hname ? 1 : 0;
	req.body = (char *)body;
	req.body_len = body ? strlen(body) : 0;
	ck_assert_int_eq(pa_client_send(fx->cli, &req, on_reply, fx, NULL),
			 PA_OK);
}

static void wait_replies(fx_t *fx, int n)
{
	int64_t end = pw_now_ms() + pwt_ms(5000);
	while (fx->replies < n && pw_now_ms() < end)
		pw_loop_run_once(fx->loop, 10);
	ck_assert_int_eq(fx->replies, n);
}

/* handlers */
static void h_echo(pw_http_req_t *req, void *ud)
{
	char out[512];
	size_t len;
	const uint8_t *b = pw_http_body(req, &len);
	const char *q = pw_http_query(req, "q");
	const char *x = pw_http_header(req, "x-test");
	snprintf(out, sizeof out, "%s %s %s q=%s x=%s ip=%s body=%.*s",
		 (const char *)ud, pw_http_method(req), pw_http_path(req),
		 q ? q : "-", x ? x : "-", pw_http_client_ip(req), (int)len,
		 (const char *)b);
	pw_http_add_header(req, "X-Reply", "yes");
	pw_http_reply(req, 201, "text/plain", out, strlen(out));
}

static void on_later(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)loop;
	(void)t;
	pw_http_reply(ud, 200, "text/plain", "later", 5);
}

static void h_later(pw_http_req_t *req, void *ud)
{
	fx_t *fx = ud;
	pw_timer_add(fx->loop, 100, on_later, req);
}

static void h_reset(pw_http_req_t *req, void *ud)
{
	(void)ud;
	pw_http_abort(req, 1);
}

static void h_trunc(pw_http_req_t *req, void *ud)
{
	(void)ud;
	pw_http_reply_truncated(req, 200, "application/json",
				"{\"status\":\"success\",\"x\":1}", 26, 10);
}

static void on_abort(pw_http_req_t *req, void *ud)
{
	(void)req;
	((fx_t *)ud)->aborted++;
}

static void h_keep(pw_http_req_t *req, void *ud)
{
	pw_http_req_on_abort(req, on_abort, ud);
}

START_TEST(test_http_routes_by_method_and_longest_prefix)
{
	fx_t fx;
	fx_init(&fx, 0);
	ck_assert_int_eq(pw_http_route(fx.http, NULL, "/a", h_echo, "any-a"),
			 PA_OK);
	ck_assert_int_eq(pw_http_route(fx.http, "POST", "/a/b", h_echo,
				       "post-ab"),
			 PA_OK);
	send_req(&fx, "POST", "/a/b/c?q=1", "hello", "X-Test", "t1");
	wait_replies(&fx, 1);
	ck_assert_int_eq(fx.status, 201);
	ck_assert_str_eq(fx.body, "post-ab POST /a/b/c q=1 x=t1 ip=127.0.0.1 "
				  "body=hello");
	send_req(&fx, "GET", "/a/b", NULL, NULL, NULL);
	wait_replies(&fx, 2);
	ck_assert_str_eq(fx.body, "any-a GET /a/b q=- x=- ip=127.0.0.1 body=");
	send_req(&fx, "GET", "/zzz", NULL, NULL, NULL);
	wait_replies(&fx, 3);
	ck_assert_int_eq(fx.status, 404);
	pw_http_stats_t st;
	pw_http_get_stats(fx.http, &st);
	ck_assert_uint_eq(st.requests, 2);
	ck_assert_uint_eq(st.not_found, 1);
	fx_free(&fx);
}
END_TEST

START_TEST(test_http_body_over_cap_gets_413)
{
	fx_t fx;
	fx_init(&fx, 1024);
	pw_http_route(fx.http, NULL, "/", h_echo, "x");
	char *big = malloc(4000);
	memset(big, 'a', 3999);
	big[3999] = '\0';
	send_req(&fx, "POST", "/up", big, NULL, NULL);
	wait_replies(&fx, 1);
	ck_assert_int_eq(fx.status, 413);
	big[1000] = '\0';
	send_req(&fx, "POST", "/up", big, NULL, NULL);
	wait_replies(&fx, 2);
	ck_assert_int_eq(fx.status, 201);
	free(big);
	fx_free(&fx);
}
END_TEST

START_TEST(test_http_handler_answers_later_from_timer)
{
	fx_t fx;
	fx_init(&fx, 0);
	pw_http_route(fx.http, NULL, "/later", h_later, &fx);
	int64_t t0 = pw_now_ms();
	for (int i = 0; i < 20; i++)
		send_req(&fx, "GET", "/later", NULL, NULL, NULL);
	wait_replies(&fx, 20);
	ck_assert_int_ge(pw_now_ms() - t0, 100);
	ck_assert_str_eq(fx.body, "later");
	pw_http_stats_t st;
	pw_http_get_stats(fx.http, &st);
	ck_assert_uint_eq(st.in_flight, 0);
	ck_assert_uint_eq(st.in_flight_max, 20); /* all held at once */
	fx_free(&fx);
}
END_TEST

START_TEST(test_http_abort_reset_and_truncated_seen_as_connection_errors)
{
	fx_t fx;
	fx_init(&fx, 0);
	pw_http_route(fx.http, NULL, "/reset", h_reset, NULL);
	pw_http_route(fx.http, NULL, "/trunc", h_trunc, NULL);
	send_req(&fx, "GET", "/reset", NULL, NULL, NULL);
	wait_replies(&fx, 1);
	ck_assert_int_eq(fx.err, PA_CONNECT);
	send_req(&fx, "GET", "/trunc", NULL, NULL, NULL);
	wait_replies(&fx, 2);
	ck_assert_int_eq(fx.err, PA_CONNECT);
	fx_free(&fx);
}
END_TEST

START_TEST(test_http_destroy_drops_held_requests_with_abort_callback)
{
	fx_t fx;
	fx_init(&fx, 0);
	pw_http_route(fx.http, NULL, "/keep", h_keep, &fx);
	for (int i = 0; i < 3; i++)
		send_req(&fx, "GET", "/keep", NULL, NULL, NULL);
	int64_t end = pw_now_ms() + pwt_ms(3000);
	pw_http_stats_t st = {0};
	while (st.in_flight < 3 && pw_now_ms() < end) {
		pw_loop_run_once(fx.loop, 10);
		pw_http_get_stats(fx.http, &st);
	}
	ck_assert_uint_eq(st.in_flight, 3);
	pw_http_destroy(fx.http);
	fx.http = NULL;
	ck_assert_int_eq(fx.aborted, 3);
	wait_replies(&fx, 3); /* the client sees the connections go */
	ck_assert_int_eq(fx.err, PA_CONNECT);
	fx_free(&fx);
}
END_TEST

START_TEST(test_http_rejects_non_numeric_bind_address)
{
	pw_loop_t *loop;
	pw_http_t *http = NULL;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	pw_http_opts_t o = {.bind_addr = "localhost"};
	ck_assert_int_eq(pw_http_new(loop, &o, &http, eb), PA_INVAL);
	ck_assert_ptr_null(http);
	o.bind_addr = "::1";
	ck_assert_int_eq(pw_http_new(loop, &o, &http, eb), PA_OK);
	pw_http_destroy(http);
	pw_loop_destroy(loop);
}
END_TEST

/* ---- under abuse: raw sockets on loopback ------------------------------ */

static int dial(fx_t *fx)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(pw_http_port(fx->http))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	ck_assert(rc == 0 || errno == EINPROGRESS);
	return fd;
}

static void send_all(fx_t *fx, int fd, const char *s)
{
	size_t off = 0, n = strlen(s);
	int64_t end = pw_now_ms() + pwt_ms(3000);
	while (off < n && pw_now_ms() < end) {
		ssize_t w = send(fd, s + off, n - off, MSG_NOSIGNAL);
		if (w > 0)
			off += (size_t)w;
		pw_loop_run_once(fx->loop, 1);
	}
	ck_assert_uint_eq(off, n);
}

/* Runs the loop until fd reads end of file (or an error), at most ms;
 * what arrived goes to out. Returns 1 on end of file. */
static int read_to_eof(fx_t *fx, int fd, char *out, size_t size, int ms)
{
	size_t len = 0;
	int64_t end = pw_now_ms() + ms;
	out[0] = '\0';
	while (pw_now_ms() < end) {
		pw_loop_run_once(fx->loop, 5);
		for (;;) {
			char b[1024];
			ssize_t r = recv(fd, b, sizeof b, 0);
			if (r > 0) {
				size_t k = (size_t)r < size - 1 - len
						   ? (size_t)r
						   : size - 1 - len;
				memcpy(out + len, b, k);
				len += k;
				out[len] = '\0';
				continue;
			}
			if (r == 0 || (errno != EAGAIN && errno != EINTR))
				return 1;
			break;
		}
	}
	return 0;
}

static const char k_post[] = "POST /later HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			     "Content-Length: 5\r\n\r\nhello";

/* The gateway's HTTP stack may shut its write side right after the
 * request; the answer (here held 100 ms, as the webhook receiver holds it
 * until Kafka has the record) must still reach it, also while other
 * connections are open. */
START_TEST(test_http_half_closed_request_still_gets_its_answer)
{
	fx_t fx;
	fx_init(&fx, 0);
	pw_http_route(fx.http, NULL, "/later", h_later, &fx);
	pw_http_route(fx.http, NULL, "/now", h_echo, "now");
	int idle = dial(&fx);	  /* open, silent */
	int partial = dial(&fx); /* a request half sent */
	send_all(&fx, partial, "GET /now HTTP/1.1\r\nHost: x\r\n");
	for (int round = 0; round < 3; round++) {
		int fd = dial(&fx);
		send_all(&fx, fd, round == 2 ? "GET /now HTTP/1.1\r\nHost: x\r\n\r\n"
					     : k_post);
		ck_assert_int_eq(shutdown(fd, SHUT_WR), 0);
		char resp[2048];
		ck_assert(read_to_eof(&fx, fd, resp, sizeof resp, pwt_ms(3000)));
		ck_assert_msg(strncmp(resp, "HTTP/1.1 20", 11) == 0,
			      "round %d: no answer to a half-closed client: "
			      "'%s'", round, resp);
		ck_assert_ptr_nonnull(strstr(resp, round == 2 ? "now GET /now"
							      : "later"));
		close(fd);
	}
	pw_http_stats_t st;
	pw_http_get_stats(fx.http, &st);
	ck_assert_uint_eq(st.half_closed, 2); /* the two held answers */
	close(idle);
	close(partial);
	fx_free(&fx);
}
END_TEST

/* A client sending its headers one byte every 50 ms never lets an idle
 * timeout fire; the deadline counts total time and closes it. A request
 * that arrives in time on the same listener is answered. */
START_TEST(test_http_request_deadline_counts_total_time_not_idle_time)
{
	fx_t fx;
	pw_http_opts_t o = {.request_timeout_ms = 400, .idle_timeout_s = 60};
	fx_init_opts(&fx, &o);
	pw_http_route(fx.http, NULL, "/now", h_echo, "now");
	int slow = dial(&fx);
	const char *req = "GET /now HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
	int64_t t0 = pw_now_ms(), closed_at = 0;
	size_t i = 0;
	/* bounded: the whole request would take ~6 s at this pace */
	while (!closed_at && pw_now_ms() - t0 < pwt_ms(4000)) {
		if (req[i] && send(slow, req + i, 1, MSG_NOSIGNAL) == 1)
			i++;
		int64_t step = pw_now_ms() + 50;
		while (pw_now_ms() < step)
			pw_loop_run_once(fx.loop, 5);
		char b[256];
		ssize_t r = recv(slow, b, sizeof b, 0);
		if (r == 0 || (r < 0 && errno != EAGAIN))
			closed_at = pw_now_ms();
	}
	ck_assert_msg(closed_at, "a slow client held the connection %lld ms",
		      (long long)(pw_now_ms() - t0));
	ck_assert_uint_lt(i, strlen(req)); /* cut before it finished */
	ck_assert_int_ge(closed_at - t0, 400);
	pw_http_stats_t st;
	pw_http_get_stats(fx.http, &st);
	ck_assert_uint_eq(st.late, 1);
	ck_assert_uint_eq(st.requests, 0);
	close(slow);
	/* a prompt client, and a kept-alive second request, are served */
	int fd = dial(&fx);
	send_all(&fx, fd, "GET /now HTTP/1.1\r\nHost: x\r\n\r\n");
	int64_t end = pw_now_ms() + pwt_ms(2000);
	while (pw_now_ms() < end) {
		pw_loop_run_once(fx.loop, 5);
		pw_http_get_stats(fx.http, &st);
		if (st.replies == 1)
			break;
	}
	ck_assert_uint_eq(st.replies, 1);
	send_all(&fx, fd, "GET /now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	char resp[4096];
	ck_assert(read_to_eof(&fx, fd, resp, sizeof resp, pwt_ms(2000)));
	ck_assert_ptr_nonnull(strstr(resp, "now GET /now"));
	close(fd);
	fx_free(&fx);
}
END_TEST

/* One address may hold per_ip_limit connections; the next is closed as
 * it is accepted, and served again once one of the first closes. */
START_TEST(test_http_caps_connections_per_client_address)
{
	fx_t fx;
	pw_http_opts_t o = {.per_ip_limit = 4};
	fx_init_opts(&fx, &o);
	pw_http_route(fx.http, NULL, "/now", h_echo, "now");
	int fds[4];
	pw_http_stats_t st = {0};
	for (int i = 0; i < 4; i++)
		fds[i] = dial(&fx);
	int64_t end = pw_now_ms() + pwt_ms(2000);
	while (st.connections < 4 && pw_now_ms() < end) {
		pw_loop_run_once(fx.loop, 5);
		pw_http_get_stats(fx.http, &st);
	}
	ck_assert_uint_eq(st.connections, 4);
	int extra = dial(&fx);
	char resp[2048];
	send_all(&fx, extra, "GET /now HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert(read_to_eof(&fx, extra, resp, sizeof resp, pwt_ms(2000)));
	ck_assert_str_eq(resp, ""); /* closed without an answer */
	close(extra);
	pw_http_get_stats(fx.http, &st);
	ck_assert_uint_eq(st.requests, 0);
	/* the capped ones are served */
	send_all(&fx, fds[0], "GET /now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ck_assert(read_to_eof(&fx, fds[0], resp, sizeof resp, pwt_ms(2000)));
	ck_assert_ptr_nonnull(strstr(resp, "now GET /now"));
	close(fds[0]);
	/* one slot free again: a new connection is served */
	end = pw_now_ms() + pwt_ms(2000);
	do {
		pw_loop_run_once(fx.loop, 5);
		pw_http_get_stats(fx.http, &st);
	} while (st.connections > 3 && pw_now_ms() < end);
	int again = dial(&fx);
	send_all(&fx, again, "GET /now HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ck_assert(read_to_eof(&fx, again, resp, sizeof resp, pwt_ms(2000)));
	ck_assert_ptr_nonnull(strstr(resp, "now GET /now"));
	close(again);
	for (int i = 1; i < 4; i++)
		close(fds[i]);
	fx_free(&fx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("listener");
	tcase_add_test(tc, test_http_routes_by_method_and_longest_prefix);
	tcase_add_test(tc, test_http_body_over_cap_gets_413);
	tcase_add_test(tc, test_http_handler_answers_later_from_timer);
	tcase_add_test(tc,
		       test_http_abort_reset_and_truncated_seen_as_connection_errors);
	tcase_add_test(tc,
		       test_http_destroy_drops_held_requests_with_abort_callback);
	tcase_add_test(tc, test_http_rejects_non_numeric_bind_address);
	suite_add_tcase(s, tc);
	TCase *ab = tcase_create("abuse");
	tcase_add_test(ab, test_http_half_closed_request_still_gets_its_answer);
	tcase_add_test(ab,
		       test_http_request_deadline_counts_total_time_not_idle_time);
	tcase_add_test(ab, test_http_caps_connections_per_client_address);
	suite_add_tcase(s, ab);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
