/* worker_app.c -- one running payatom-worker: everything a config builds.
 * Owns: wiring of loop, mock cluster, merchants, gateway, pipeline, HTTP
 *       listener and signals.
 * Not here: argument parsing (payatom-worker.c), the demo (demo.c). */
#include "worker_app.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "pipeline/codec.h"

static const char *cfg_topics(const pw_worker_conf_t *wc, size_t i)
{
	const char *t[] = {wc->topic_cmd_payin,	  wc->topic_cmd_payout,
			   wc->topic_cmd_complaint, wc->topic_evt_payment,
			   wc->topic_evt_refund,	  wc->topic_evt_complaint,
			   wc->topic_evt_report,	  wc->topic_dlq,
			   wc->topic_int_webhook,	  wc->topic_int_state};
	return i < sizeof t / sizeof t[0] ? t[i] : NULL;
}

/* ---- HTTP: health endpoints (metrics and webhooks mount beside) ------- */

static void healthz(pw_http_req_t *req, void *ud)
{
	pw_app_t *app = ud;
	int64_t age = pw_now_ms() - pw_loop_last_tick(app->loop);
	if (age > 10000) {
		pw_http_reply(req, 503, "text/plain", "loop stalled\n", 13);
		return;
	}
	pw_http_reply(req, 200, "text/plain", "ok\n", 3);
}

static void readyz(pw_http_req_t *req, void *ud)
{
	pw_app_t *app = ud;
	if (!app->w || !pw_worker_ready(app->w)) {
		pw_http_reply(req, 503, "text/plain", "not ready: kafka\n", 17);
		return;
	}
	if (!pw_gateway_payatom_any_closed(app->gw)) {
		pw_http_reply(req, 503, "text/plain",
			      "not ready: every merchant circuit open\n", 39);
		return;
	}
	pw_http_reply(req, 200, "text/plain", "ready\n", 6);
}

/* ---- signals ------------------------------------------------------------ */

static void shutdown_done(void *ud)
{
	pw_app_t *app = ud;
	app->stopped = 1;
	pw_loop_stop(app->loop);
}

static void on_fatal(void *ud)
{
	pw_app_t *app = ud;
	pw_error(app->log, "fatal Kafka error: stopping without committing "
			   "(uncommitted work is redone by the group)");
	app->exit_code = 1;
	app->stopped = 1;
	pw_loop_stop(app->loop);
}

void pw_app_shutdown(pw_app_t *app)
{
	if (!app->w) {
		shutdown_done(app);
		return;
	}
	pw_info(app->log, "shutting down: finishing in-flight work");
	pw_worker_shutdown(app->w, shutdown_done, app);
}

/* SIGHUP: re-reads the config (file + environment) and applies its
 * log.level; every other change needs a restart (the chart rolls pods). */
static void reload_log_level(pw_app_t *app)
{
	char eb[PA_ERRBUF_SIZE] = "";
	pw_config_t *c = NULL;
	pa_err_t err = pw_config_new(pw_config_worker_table(), &c, eb);
	if (err == PA_OK && app->config_path)
		err = pw_config_load_file(c, app->config_path, eb);
	if (err == PA_OK)
		err = pw_config_load_env(c, NULL, eb);
	if (err == PA_OK)
		err = pw_config_finalize(c, eb);
	if (err == PA_OK) {
		const pw_worker_conf_t *wc = pw_config_struct(c);
		pw_log_set_level(app->log, (pw_log_level_t)wc->log_level);
		pw_info(app->log, "SIGHUP: log level reloaded",
			PW_KV_STR("level",
				  pw_log_level_name((pw_log_level_t)wc->log_level)));
	} else {
		pw_warn(app->log, "SIGHUP: config not reloaded",
			PW_KV_STR("reason", eb));
	}
	pw_config_destroy(c);
}

static void on_signal(pw_loop_t *loop, int fd, int events, void *ud)
{
	pw_app_t *app = ud;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			reload_log_level(app);
			continue;
		}
		pw_app_shutdown(app);
	}
}

static pa_err_t setup_signals(pw_app_t *app)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	app->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (app->sigfd < 0)
		return PA_IO;
	return pw_loop_watch(app->loop, app->sigfd, PW_READ, on_signal, app);
}

/* ---- start --------------------------------------------------------------- */

static pa_err_t split_listen(const char *listen, char *addr, size_t asz,
			     uint16_t *port)
{
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return PA_CONFIG;
	size_t n = (size_t)(colon - listen);
	if (n >= asz)
		return PA_CONFIG;
	memcpy(addr, listen, n);
	addr[n] = '\0';
	if (addr[0] == '[' && n > 2 && addr[n - 1] == ']') {
		memmove(addr, addr + 1, n - 2);
		addr[n - 2] = '\0';
	}
	long p = strtol(colon + 1, NULL, 10);
	if (p < 0 || p > 65535)
		return PA_CONFIG;
	*port = (uint16_t)p;
	return PA_OK;
}

pa_err_t pw_app_start(pw_app_t *app, pw_config_t *cfg, pw_merchants_t *ms,
		      char *errbuf)
{
	pa_err_t err;
	/* keep what the caller set before the start */
	pw_app_t pre = *app;
	memset(app, 0, sizeof *app);
	app->on_event = pre.on_event;
	app->on_event_ud = pre.on_event_ud;
	app->config_path = pre.config_path;
	app->sigfd = -1;
	app->cfg = cfg;
	app->wc = pw_config_struct(cfg);
	const pw_worker_conf_t *wc = app->wc;
	err = pw_log_new(stderr, (pw_log_level_t)wc->log_level,
			 wc->log_format == PW_LOGFMT_TEXT ? PW_LOG_TEXT
							  : PW_LOG_JSON,
			 &app->log);
	if (err != PA_OK)
		return err;
	if ((err = pw_loop_new(&app->loop)) != PA_OK)
		return err;

	/* Kafka: configured brokers, or the embedded mock cluster */
	if (wc->brokers && *wc->brokers) {
		snprintf(app->brokers, sizeof app->brokers, "%s", wc->brokers);
	} else {
		err = pw_mock_new(3, (int)wc->topics_partitions, &app->mock,
				  errbuf);
		if (err != PA_OK)
			return err;
		for (size_t i = 0; cfg_topics(wc, i); i++)
			pw_mock_topic(app->mock, cfg_topics(wc, i));
		snprintf(app->brokers, sizeof app->brokers, "%s",
			 pw_mock_bootstraps(app->mock));
		pw_info(app->log, "no brokers configured: embedded mock cluster",
			PW_KV_STR("bootstrap", app->brokers),
			PW_KV_INT("partitions", wc->topics_partitions));
	}

	if (ms)
		app->ms = ms;
	else if ((err = pw_merchants_from_config(cfg, &app->ms, errbuf)) !=
		 PA_OK)
		return err;
	if (pw_merchants_count(app->ms) == 0)
		pw_warn(app->log, "no merchant profile configured: every "
				  "command will be dead-lettered");

	pw_gwp_opts_t go = {0};
	go.client.connect_timeout_ms = 5000;
	go.client.total_timeout_ms = 30000;
	go.rate_limit_rps = (double)wc->rate_limit_rps;
	go.breaker_failures = (int)wc->breaker_failures;
	go.breaker_open_ms = wc->breaker_open_ms;
	if ((err = pw_gateway_payatom_new(app->loop, app->ms, &go, &app->gw,
					  errbuf)) != PA_OK)
		return err;

	/* kafka.* pass-through */
	app->n_kafka = pw_config_passthrough_count(cfg);
	app->kafka = calloc(app->n_kafka + 1, sizeof *app->kafka);
	for (size_t i = 0; i < app->n_kafka; i++)
		pw_config_passthrough(cfg, i, &app->kafka[i].key,
				      &app->kafka[i].value);

	pw_worker_opts_t o;
	pw_worker_opts_default(&o);
	o.brokers = app->brokers;
	o.group_id = wc->group_id;
	o.topic_cmd_payin = wc->topic_cmd_payin;
	o.topic_cmd_payout = wc->topic_cmd_payout;
	o.topic_cmd_complaint = wc->topic_cmd_complaint;
	o.topic_evt_payment = wc->topic_evt_payment;
	o.topic_evt_refund = wc->topic_evt_refund;
	o.topic_evt_complaint = wc->topic_evt_complaint;
	o.topic_evt_report = wc->topic_evt_report;
	o.topic_dlq = wc->topic_dlq;
	o.topic_int_webhook = wc->topic_int_webhook;
	o.topic_int_state = wc->topic_int_state;
	o.exactly_once =
		wc->processing_guarantee == PW_GUARANTEE_EXACTLY_ONCE;
	o.max_inflight = (int)wc->max_inflight;
	o.max_inflight_per_partition = (int)wc->max_inflight_per_partition;
	o.poll_first_ms = wc->poll_first_ms;
	o.poll_max_interval_ms = wc->poll_max_interval_ms;
	o.poll_deadline_ms = wc->poll_deadline_ms;
	o.retry_base_ms = wc->retry_base_ms;
	o.retry_max_ms = wc->retry_max_ms;
	o.retry_max_attempts = (int)wc->retry_max_attempts;
	o.commit_interval_ms = wc->commit_interval_ms;
	o.shutdown_timeout_ms = wc->shutdown_timeout_ms;
	o.kafka = app->kafka;
	o.n_kafka = app->n_kafka;
	o.log = app->log;
	o.on_event = app->on_event;
	o.on_fatal = on_fatal;
	o.on_fatal_ud = app;
	o.on_event_ud = app->on_event_ud;

	/* HTTP listener first: its port goes into the sandbox's callback
	 * URL in the demo */
	pw_http_opts_t ho = {0};
	char addr[128];
	if (split_listen(wc->http_listen, addr, sizeof addr, &ho.port) != PA_OK)
		return pa_seterr(errbuf, PA_CONFIG,
				 "http.listen: '%s' is not ADDR:PORT",
				 wc->http_listen);
	ho.bind_addr = addr;
	ho.max_body = (size_t)wc->http_max_body;
	if ((err = pw_http_new(app->loop, &ho, &app->http, errbuf)) != PA_OK)
		return err;
	pw_http_route(app->http, "GET", "/healthz", healthz, app);
	pw_http_route(app->http, "GET", "/readyz", readyz, app);

	err = pw_worker_new(app->loop, &o, app->gw, &app->w, errbuf);
	if (err != PA_OK)
		return err;
	if ((err = setup_signals(app)) != PA_OK)
		return pa_seterr(errbuf, err, "signalfd failed");
	pw_info(app->log, "payatom-worker started",
		PW_KV_STR("brokers", app->brokers),
		PW_KV_STR("group", wc->group_id),
		PW_KV_INT("http_port", pw_http_port(app->http)),
		PW_KV_INT("merchants", pw_merchants_count(app->ms)),
		PW_KV_STR("guarantee", o.exactly_once ? "exactly_once"
						      : "at_least_once"));
	return PA_OK;
}

uint16_t pw_app_http_port(const pw_app_t *app)
{
	return app->http ? pw_http_port(app->http) : 0;
}

void pw_app_run(pw_app_t *app)
{
	while (!app->stopped)
		pw_loop_run_once(app->loop, 1000);
}

void pw_app_destroy(pw_app_t *app)
{
	if (app->w)
		pw_worker_destroy(app->w); /* destroys the gateway too */
	else if (app->gw)
		app->gw->destroy(app->gw);
	pw_http_destroy(app->http);
	pw_merchants_destroy(app->ms);
	if (app->sigfd >= 0) {
		pw_loop_unwatch(app->loop, app->sigfd);
		close(app->sigfd);
	}
	pw_mock_destroy(app->mock);
	pw_loop_destroy(app->loop);
	free(app->kafka);
	pw_log_destroy(app->log);
	memset(app, 0, sizeof *app);
}
