/* check_opsapi.c -- ingress/opsapi.c (/metrics, /healthz, /readyz on the
 * worker's listener) and ingress/metrics_worker.c (the worker's families,
 * librdkafka statistics, events and dead letters), scraped over HTTP. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/http.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "httpcall.h"
#include "ingress/metrics_worker.h"
#include "ingress/opsapi.h"
#include "promcheck.h"
#include "pwtest.h"

typedef struct fx {
	pw_loop_t *loop;
	pw_http_t *http;
	pw_metrics_t *reg;
	pw_metrics_worker_t *mw;
	pw_opsapi_t *ops;
	int ready;
	char base[64];
} fx_t;

static int ready_cb(void *ud, const char **reason)
{
	fx_t *fx = ud;
	if (!fx->ready)
		*reason = "no partitions assigned";
	return fx->ready;
}

static void fx_init(fx_t *fx)
{
	memset(fx, 0, sizeof *fx);
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_loop_new(&fx->loop), PA_OK);
	pw_http_opts_t ho = {0};
	ck_assert_msg(pw_http_new(fx->loop, &ho, &fx->http, eb) == PA_OK,
		      "%s", eb);
	ck_assert_int_eq(pw_metrics_new(&fx->reg), PA_OK);
	ck_assert_msg(pw_metrics_worker_new(fx->reg, &fx->mw, eb) == PA_OK,
		      "%s", eb);
	pw_opsapi_opts_t oo = {.metrics = fx->reg, .ready = ready_cb,
			       .ready_ud = fx};
	ck_assert_msg(pw_opsapi_new(fx->loop, fx->http, &oo, &fx->ops, eb) ==
			      PA_OK,
		      "%s", eb);
	snprintf(fx->base, sizeof fx->base, "http://127.0.0.1:%u",
		 (unsigned)pw_http_port(fx->http));
}

static void fx_free(fx_t *fx)
{
	pw_http_destroy(fx->http);
	pw_opsapi_destroy(fx->ops);
	pw_metrics_worker_destroy(fx->mw);
	pw_metrics_destroy(fx->reg);
	pw_loop_destroy(fx->loop);
}

/* GET (or method) path; fills c (caller frees with pwt_call_free). */
static void call(fx_t *fx, const char *method, const char *path,
		 pwt_call_t *c, char *url, size_t usz)
{
	snprintf(url, usz, "%s%s", fx->base, path);
	memset(c, 0, sizeof *c);
	c->method = method;
	c->url = url;
	ck_assert_msg(pwt_call_run(fx->loop, c, 5000), "%s %s: %s", path,
		      method ? method : "GET", c->err);
}

static char *scrape(fx_t *fx)
{
	pwt_call_t c;
	char url[128];
	call(fx, NULL, "/metrics", &c, url, sizeof url);
	ck_assert_int_eq(c.status, 200);
	ck_assert_str_eq(c.ctype, PW_METRICS_CONTENT_TYPE);
	char msg[512];
	const char *bad = pwt_promcheck(c.resp, msg, sizeof msg);
	ck_assert_msg(bad == NULL, "%s\n---\n%s", bad, c.resp);
	return c.resp;
}

/* Feeds tests/data/metrics/rdkafka_stats.json as librdkafka's stats_cb. */
static void load_stats(fx_t *fx)
{
	size_t len;
	char *stats = pwt_read_data("metrics/rdkafka_stats.json", &len);
	ck_assert_ptr_nonnull(stats);
	ck_assert_int_eq(pw_metrics_worker_on_stats(fx->mw, stats, len), PA_OK);
	free(stats);
}

START_TEST(test_opsapi_metrics_exposition_is_valid)
{
	fx_t fx;
	fx_init(&fx);
	pw_metrics_worker_webhook(fx.mw, PW_WH_VERIFIED);
	pw_metrics_worker_webhook(fx.mw, PW_WH_HASH_MISMATCH);
	pw_metrics_worker_gateway(fx.mw, "payin", "success", 0.042);
	pw_metrics_worker_on_gateway_call(fx.mw, PA_OP_STATUS, "retryable",
					  1.5);
	pw_metrics_worker_circuit(fx.mw, "demo", 2);
	char *text = scrape(&fx);
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_webhooks_received_total{result=\"verified\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(
		text,
		"payatom_webhooks_received_total{result=\"kafka_failed\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_gateway_requests_total{operation=\"status\","
		      "outcome=\"retryable\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_gateway_request_duration_seconds_count{"
		      "operation=\"payin\"} 1\n"));
	/* an enum: one series per state, 1 for the current one */
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_circuit_state{merchant=\"demo\",state=\"open\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_circuit_state{merchant=\"demo\",state=\"closed\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_circuit_state{merchant=\"demo\",state=\"half_open\"} 0\n"));
	pw_metrics_worker_circuit(fx.mw, "demo", 0);
	free(text);
	text = scrape(&fx);
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_circuit_state{merchant=\"demo\",state=\"open\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_circuit_state{merchant=\"demo\",state=\"closed\"} 1\n"));
	free(text);
	fx_free(&fx);
}
END_TEST

/* Every payatom_* name the chart's PrometheusRule queries is exported. */
START_TEST(test_opsapi_metrics_cover_prometheusrule_names)
{
	fx_t fx;
	fx_init(&fx);
	/* lag and circuit families show once they have a child */
	load_stats(&fx);
	pw_metrics_worker_circuit(fx.mw, "demo", 0);
	pw_metrics_worker_on_event(fx.mw, "payatom.dlq",
				   "{\"reason\":\"MALFORMED\",\"topic\":"
				   "\"payatom.cmd.payin\"}");
	char *text = scrape(&fx);
	char path[1024];
	const char *src = getenv("PAYATOM_SOURCE_DIR");
	ck_assert_ptr_nonnull(src);
	snprintf(path, sizeof path,
		 "%s/helm/payatom-worker/templates/prometheusrule.yaml", src);
	FILE *f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char line[2048];
	int names = 0;
	while (fgets(line, sizeof line, f)) {
		for (char *p = strstr(line, "payatom_"); p;
		     p = strstr(p + 1, "payatom_")) {
			if (p > line && (p[-1] == '_' || p[-1] == '-' ||
					 p[-1] == '.' || p[-1] == '/'))
				continue; /* part of another word */
			char name[128];
			size_t n = 0;
			while (n < sizeof name - 1 &&
			       (p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
				(p[n] >= '0' && p[n] <= '9')))
				name[n] = p[n], n++;
			name[n] = '\0';
			char want[160];
			snprintf(want, sizeof want, "\n%s{", name);
			ck_assert_msg(strstr(text, want) != NULL,
				      "%s (prometheusrule.yaml) not exported",
				      name);
			names++;
		}
	}
	fclose(f);
	ck_assert_int_ge(names, 4);
	free(text);
	fx_free(&fx);
}
END_TEST

START_TEST(test_opsapi_stats_json_sets_lag_and_rtt)
{
	fx_t fx;
	fx_init(&fx);
	load_stats(&fx);
	ck_assert_int_eq(pw_metrics_worker_on_stats(fx.mw, "[1]", 3),
			 PA_PARSE);
	char *text = scrape(&fx);
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_consumer_lag{topic=\"payatom.cmd.payin\","
		      "partition=\"0\"} 42\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_consumer_lag{topic=\"payatom.int.webhook\","
		      "partition=\"0\"} 0\n"));
	/* not consumed here (-1) and the internal partition: absent */
	ck_assert_ptr_null(strstr(text, "partition=\"1\""));
	ck_assert_ptr_null(strstr(text, "partition=\"-1\""));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_broker_rtt_seconds{broker=\"127.0.0.1:9092\"} "
		      "0.0025\n"));
	/* no sample yet, logical GroupCoordinator: skipped */
	ck_assert_ptr_null(strstr(text, "127.0.0.1:9093"));
	ck_assert_ptr_null(strstr(text, "GroupCoordinator"));
	free(text);
	fx_free(&fx);
}
END_TEST

START_TEST(test_opsapi_events_and_dead_letters_are_counted)
{
	fx_t fx;
	fx_init(&fx);
	pw_metrics_worker_on_event(
		fx.mw, "payatom.evt.payment",
		"{\"event_type\":\"payment\",\"direction\":\"payin\","
		"\"status\":\"PENDING\",\"terminal\":false}");
	pw_metrics_worker_on_event(
		fx.mw, "payatom.evt.payment",
		"{\"event_type\":\"payment\",\"direction\":\"PAYIN\","
		"\"status\":\"APPROVED\",\"terminal\":true}");
	/* a DeadLetter record as the worker renders it */
	pw_metrics_worker_on_event(fx.mw, "payatom.dlq",
				   "{\"event_type\":\"dead_letter\","
				   "\"reason\":\"VALIDATION\",\"topic\":"
				   "\"payatom.cmd.payout\",\"partition\":1}");
	pw_metrics_worker_on_event(fx.mw, "payatom.evt.payment", "not json");
	char *text = scrape(&fx);
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_events_published_total{type=\"payment\","
		      "status=\"PENDING\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_commands_total{type=\"payin\",outcome="
		      "\"APPROVED\"} 1\n"));
	ck_assert_ptr_null(strstr(text, "outcome=\"PENDING\""));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_dlq_records_total{reason=\"VALIDATION\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(
		text, "payatom_commands_total{type=\"payout\",outcome="
		      "\"dead_letter\"} 1\n"));
	free(text);
	fx_free(&fx);
}
END_TEST

START_TEST(test_opsapi_healthz_200_while_loop_ticks)
{
	fx_t fx;
	fx_init(&fx);
	pwt_call_t c;
	char url[128];
	call(&fx, NULL, "/healthz", &c, url, sizeof url);
	ck_assert_int_eq(c.status, 200);
	ck_assert_str_eq(c.resp, "{\"status\":\"ok\"}\n");
	pwt_call_free(&c);
	call(&fx, "HEAD", "/healthz", &c, url, sizeof url);
	ck_assert_int_eq(c.status, 200);
	pwt_call_free(&c);
	ck_assert_int_eq(pw_opsapi_healthy(fx.ops), 1);
	fx_free(&fx);
}
END_TEST

START_TEST(test_opsapi_health_fails_when_loop_stalls)
{
	fx_t fx;
	memset(&fx, 0, sizeof fx);
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_loop_new(&fx.loop), PA_OK);
	pw_http_opts_t ho = {0};
	ck_assert_int_eq(pw_http_new(fx.loop, &ho, &fx.http, eb), PA_OK);
	pw_opsapi_opts_t oo = {.health_stale_ms = 100};
	ck_assert_int_eq(pw_opsapi_new(fx.loop, fx.http, &oo, &fx.ops, eb),
			 PA_OK);
	pw_loop_run_once(fx.loop, 0);
	ck_assert_int_eq(pw_opsapi_healthy(fx.ops), 1);
	usleep(250 * 1000); /* the loop does not run: a stall */
	ck_assert_int_eq(pw_opsapi_healthy(fx.ops), 0);
	pw_loop_run_once(fx.loop, 0);
	ck_assert_int_eq(pw_opsapi_healthy(fx.ops), 1);
	/* an idle loop keeps ticking on the heartbeat */
	int64_t t0 = pw_now_ms();
	while (pw_now_ms() - t0 < 300)
		pw_loop_run_once(fx.loop, 500);
	ck_assert_int_eq(pw_opsapi_healthy(fx.ops), 1);
	pw_http_destroy(fx.http);
	pw_opsapi_destroy(fx.ops);
	pw_loop_destroy(fx.loop);
}
END_TEST

START_TEST(test_opsapi_readyz_follows_callback)
{
	fx_t fx;
	fx_init(&fx);
	pwt_call_t c;
	char url[128];
	call(&fx, NULL, "/readyz", &c, url, sizeof url);
	ck_assert_int_eq(c.status, 503);
	ck_assert_ptr_nonnull(strstr(c.resp, "no partitions assigned"));
	pwt_call_free(&c);
	fx.ready = 1;
	call(&fx, NULL, "/readyz", &c, url, sizeof url);
	ck_assert_int_eq(c.status, 200);
	ck_assert_str_eq(c.ctype, "application/json; charset=utf-8");
	pwt_call_free(&c);
	fx_free(&fx);
}
END_TEST

START_TEST(test_opsapi_other_methods_and_paths_refused)
{
	fx_t fx;
	fx_init(&fx);
	pwt_call_t c;
	char url[128];
	call(&fx, "POST", "/metrics", &c, url, sizeof url);
	ck_assert_int_eq(c.status, 405);
	pwt_call_free(&c);
	call(&fx, NULL, "/metricsx", &c, url, sizeof url);
	ck_assert_int_eq(c.status, 404);
	pwt_call_free(&c);
	call(&fx, NULL, "/healthz/more", &c, url, sizeof url);
	ck_assert_int_eq(c.status, 404);
	pwt_call_free(&c);
	fx_free(&fx);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("opsapi");
	TCase *m = tcase_create("metrics");
	tcase_set_timeout(m, 60);
	tcase_add_test(m, test_opsapi_metrics_exposition_is_valid);
	tcase_add_test(m, test_opsapi_metrics_cover_prometheusrule_names);
	tcase_add_test(m, test_opsapi_stats_json_sets_lag_and_rtt);
	tcase_add_test(m, test_opsapi_events_and_dead_letters_are_counted);
	suite_add_tcase(s, m);
	TCase *p = tcase_create("probes");
	tcase_set_timeout(p, 60);
	tcase_add_test(p, test_opsapi_healthz_200_while_loop_ticks);
	tcase_add_test(p, test_opsapi_health_fails_when_loop_stalls);
	tcase_add_test(p, test_opsapi_readyz_follows_callback);
	tcase_add_test(p, test_opsapi_other_methods_and_paths_refused);
	suite_add_tcase(s, p);
	return s;
}

int main(void)
{
	return pwt_run_suite(suite());
}
