/* bench_client.c -- throughput and CPU cost of libpayatom's client on
 * pw_loop against the loopback test server (which runs in its own thread;
 * only the client thread's CPU is counted).
 * Usage: bench_client [requests=20000] [concurrency=64] [connections=8]
 * Prints requests/s and client-thread CPU microseconds per request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/loop.h"
#include "core/loop_curl.h"
#include "payatom/client.h"
#include "testhttp.h"

struct bench {
	pa_client_t *cli;
	pa_request_t req;
	long total, sent, done, failed;
};

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_reply(pa_client_t *cli, const pa_reply_t *r, void *ud);

static void send_one(struct bench *b)
{
	if (b->sent >= b->total)
		return;
	if (pa_client_send(b->cli, &b->req, on_reply, b, NULL) != PA_OK) {
		fprintf(stderr, "send: %s\n", pa_client_last_error(b->cli));
		exit(1);
	}
	b->sent++;
}

static void on_reply(pa_client_t *cli, const pa_reply_t *r, void *ud)
{
	(void)cli;
	struct bench *b = ud;
	b->done++;
	if (r->err != PA_OK)
		b->failed++;
	send_one(b);
}

int main(int argc, char **argv)
{
	long total = argc > 1 ? atol(argv[1]) : 20000;
	long conc = argc > 2 ? atol(argv[2]) : 64;
	long conns = argc > 3 ? atol(argv[3]) : 8;
	pwt_http_t *srv = pwt_http_start();
	pw_loop_t *loop;
	pa_client_opts_t o = {.max_host_connections = conns};
	struct bench b = {.total = total};
	pw_loop_curl_t *lc;
	if (!srv || pw_loop_new(&loop) || pa_client_new(&o, &b.cli) ||
	    pw_loop_curl_attach(loop, b.cli, &lc)) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	static const pwt_http_behaviour_t reply = {
		.kind = PWT_HTTP_REPLY,
		.body = "{\"code\":0,\"msg\":\"success\",\"data\":{}}"};
	pwt_http_route(srv, "/api", &reply);
	char url[128];
	static char body[] = "{\"merchant_id\":\"m1\",\"post_hash\":\"AAAA\"}";
	struct pa_header hs[] = {{"Content-Type", "application/json"}};
	b.req = (pa_request_t){.method = "POST",
			       .url = (char *)pwt_http_url(srv, "/api", url,
							    sizeof url),
			       .headers = hs, .n_headers = 1, .body = body,
			       .body_len = sizeof body - 1};
	double w0 = wall_s(), c0 = thread_cpu_s();
	for (long i = 0; i < conc; i++)
		send_one(&b);
	while (b.done < total)
		pw_loop_run_once(loop, 1000);
	double w = wall_s() - w0, c = thread_cpu_s() - c0;
	printf("bench_client: %ld requests, concurrency %ld, %zu connections, "
	       "%ld failed\n",
	       total, conc, pwt_http_connections(srv), b.failed);
	printf("bench_client: %.0f requests/s, %.1f us client CPU/request\n",
	       (double)total / w, c * 1e6 / (double)total);
	pw_loop_curl_detach(lc);
	pa_client_destroy(b.cli);
	pw_loop_destroy(loop);
	pwt_http_stop(srv);
	return b.failed ? 1 : 0;
}
