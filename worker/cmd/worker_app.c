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

#include "core/metrics.h"
#include "serde/codec.h"
#include "ingress/metrics_worker.h"
#include "reports/reports.h"
#include "ingress/opsapi.h"
#include "kafka/topics.h"
#include "orders/machine.h"
#include "ingress/webhook_ingress.h"

static const char *cfg_topics(const pw_worker_conf_t *wc, size_t i)
{
	const char *t[] = {wc->topic_cmd_payin,	  wc->topic_cmd_payout,
			   wc->topic_cmd_complaint, wc->topic_evt_payment,
			   wc->topic_evt_refund,	  wc->topic_evt_complaint,
			   wc->topic_evt_report,	  wc->topic_dlq,
			   wc->topic_int_webhook,	  wc->topic_int_state};
	return i < sizeof t / sizeof t[0] ? t[i] : NULL;
}

/* ---- HTTP: readiness and observers ----------------------------------- */

static int ready(void *ud, const char **why)
{
	pw_app_t *app = ud;
	if (!app->w || !pw_worker_ready(app->w)) {
		*why = "kafka: no partitions assigned yet, every broker down, "
		       "or producer failed";
		return 0;
	}
	pw_worker_stats_t st;
	pw_worker_stats(app->w, &st);
	if (st.partitions_restoring > 0) {
		/* issue 16: not ready until the local stores caught up with
		 * the changelog */
		*why = "restoring";
		return 0;
	}
	if (!pw_gateway_payatom_any_closed(app->gw)) {
		*why = "gateway: every merchant's circuit is open";
		return 0;
	}
	if (app->ingress && !pw_ingress_ok(app->ingress)) {
		*why = "webhook producer failed";
		return 0;
	}
	return 1;
}

/* The demo's observer (JSON text of each event); only set when there is
 * one: metrics count from what each record says (on_published). */
static void app_on_event(void *ud, const char *topic, const char *json)
{
	pw_app_t *app = ud;
	app->on_event(app->on_event_ud, topic, json);
}

static void app_on_stats(void *ud, const char *json, size_t len)
{
	pw_app_t *app = ud;
	pw_metrics_worker_on_stats(app->mw, json, len);
}

/* ---- reports (reports/reports.h) ------------------------------------ */

static void app_on_report_request(void *ud, const json_t *cmd)
{
	pw_app_t *app = ud;
	char eb[PA_ERRBUF_SIZE] = "";
	if (!app->reports)
		return; /* shutting down */
	pa_err_t err = pw_reports_request(app->reports, cmd, eb);
	if (err != PA_OK && err != PA_DUPLICATE)
		pw_warn(app->log, "report_request refused",
			PW_KV_STR("reason", eb));
}

static void app_report_publish(void *ud, const char *topic, const char *key,
			       const json_t *rec)
{
	pw_app_t *app = ud;
	if (pw_worker_publish(app->w, topic, key, rec) != PA_OK)
		pw_warn(app->log, "report event not published",
			PW_KV_STR("topic", topic));
}

static const pw_order_t *app_report_lookup(void *ud, const char *order_id)
{
	return pw_worker_order(((pw_app_t *)ud)->w, order_id);
}

static void app_report_poll(void *ud, const char *order_id)
{
	pw_worker_poll_now(((pw_app_t *)ud)->w, order_id);
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
	pw_reports_destroy(app->reports); /* no new report calls */
	app->reports = NULL;
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

	if ((err = pw_metrics_new(&app->reg)) != PA_OK ||
	    (err = pw_metrics_worker_new(app->reg, &app->mw, errbuf)) != PA_OK)
		return err;

	pw_gwp_opts_t go = {0};
	go.on_call = pw_metrics_worker_on_gateway_call;
	go.on_call_ud = app->mw;
	go.client.connect_timeout_ms = 5000;
	go.client.total_timeout_ms = 30000;
	go.rate_limit_rps = (double)wc->rate_limit_rps;
	go.breaker_failures = (int)wc->breaker_failures;
	go.breaker_open_ms = wc->breaker_open_ms;
	go.max_concurrent = (int)wc->gateway_max_concurrent;
	if ((err = pw_gateway_payatom_new(app->loop, app->ms, &go, &app->gw,
					  errbuf)) != PA_OK)
		return err;

	/* kafka.* pass-through */
	app->n_kafka = pw_config_passthrough_count(cfg);
	app->kafka = calloc(app->n_kafka + 1, sizeof *app->kafka);
	for (size_t i = 0; i < app->n_kafka; i++)
		pw_config_passthrough(cfg, i, &app->kafka[i].key,
				      &app->kafka[i].value);

	/* ---- topics (kafka/topics.c): create / validate ---- */
	pw_topics_spec_t ts = {
		.cmd_payin = wc->topic_cmd_payin,
		.cmd_payout = wc->topic_cmd_payout,
		.cmd_complaint = wc->topic_cmd_complaint,
		.int_webhook = wc->topic_int_webhook,
		.int_state = wc->topic_int_state,
		.evt_payment = wc->topic_evt_payment,
		.evt_refund = wc->topic_evt_refund,
		.evt_complaint = wc->topic_evt_complaint,
		.evt_report = wc->topic_evt_report,
		.dlq = wc->topic_dlq,
		/* the mock's topics were created above */
		.create = wc->topics_create && !app->mock,
		.partitions = (int)wc->topics_partitions,
		.replication_factor = (int)wc->topics_replication_factor,
		.timeout_ms = 30000,
		.log = app->log,
	};
	if ((err = pw_topics_ensure(app->brokers, app->kafka, app->n_kafka,
				    &ts, NULL, errbuf)) != PA_OK)
		return err == PA_KAFKA ? PA_CONFIG : err;
	/* ---- end topics ---- */

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
	o.webhook_confirm = wc->webhook_confirm == PW_WHCONFIRM_SUCCESS
				    ? PW_CONFIRM_SUCCESS
				    : PW_CONFIRM_NONE;
	o.commit_interval_ms = wc->commit_interval_ms;
	o.shutdown_timeout_ms = wc->shutdown_timeout_ms;
	o.dlq_payload_max = (size_t)wc->dlq_payload_max;
	o.handover_timeout_ms = wc->handover_timeout_ms;
	o.state_retention_ms = wc->state_retention_ms;
	/* the embedded mock cluster's changelog ends with the process: its
	 * stores go into a temporary folder of the worker's own */
	o.state_dir = app->mock ? "" : wc->state_dir;
	o.state_store_max_bytes = wc->state_store_max_bytes;
	o.kafka = app->kafka;
	o.n_kafka = app->n_kafka;
	o.event_headers = wc->events_headers.v;
	o.n_event_headers = wc->events_headers.n;
	o.cloudevents = wc->events_cloudevents;
	o.ce_source = wc->events_cloudevents_source;
	o.log = app->log;
	o.on_event = app->on_event ? app_on_event : NULL;
	o.on_event_ud = app;
	o.on_published = pw_metrics_worker_published;
	o.on_published_ud = app->mw;
	o.on_fatal = on_fatal;
	o.on_fatal_ud = app;
	o.on_stats = app_on_stats;
	o.on_stats_ud = app;
	if ((err = pw_codec_setup(wc, &app->cs, errbuf)) != PA_OK)
		return err;
	app->have_cs = 1;
	o.codec = app->cs.codec;
	o.on_report_request = app_on_report_request;
	o.on_report_request_ud = app;

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
	ho.request_timeout_ms = (unsigned)wc->http_request_timeout_ms;
	ho.per_ip_limit = (unsigned)wc->http_max_conns_per_ip;
	if ((err = pw_http_new(app->loop, &ho, &app->http, errbuf)) != PA_OK)
		return err;
	pw_metrics_worker_set_http(app->mw, app->http);
	pw_opsapi_opts_t oo = {.metrics = app->reg, .ready = ready,
			       .ready_ud = app};
	if ((err = pw_opsapi_new(app->loop, app->http, &oo, &app->ops,
				 errbuf)) != PA_OK)
		return err;
	if (pw_merchants_count(app->ms) > 0) {
		pw_ingress_opts_t io = {
			.brokers = app->brokers,
			.topic = wc->topic_int_webhook,
			.merchants = app->ms,
			.allow = wc->webhook_allow_ips.v,
			.n_allow = wc->webhook_allow_ips.n,
			.max_body = (size_t)wc->http_max_body,
			.kafka_cfg = cfg,
			.log = app->log,
			.mw = app->mw,
		};
		if ((err = pw_ingress_new(app->loop, &io, &app->ingress,
					  errbuf)) != PA_OK ||
		    (err = pw_ingress_mount(app->ingress, app->http)) != PA_OK)
			return err;
	}

	err = pw_worker_new(app->loop, &o, app->gw, &app->w, errbuf);
	if (err != PA_OK)
		return err;
	pw_metrics_worker_set_worker(app->mw, app->w);
	pw_metrics_worker_set_gateway(app->mw, app->gw, app->ms);
	pw_reports_opts_t ro;
	pw_reports_wallet_t *wl = NULL;
	if ((err = pw_reports_opts_from_config(cfg, &ro, &wl)) != PA_OK)
		return err;
	ro.client.connect_timeout_ms = 5000;
	ro.client.total_timeout_ms = 30000;
	ro.publish = app_report_publish;
	ro.publish_ud = app;
	ro.lookup = app_report_lookup;
	ro.lookup_ud = app;
	ro.poll = app_report_poll;
	ro.poll_ud = app;
	ro.log = app->log;
	ro.metrics = app->reg;
	err = pw_reports_new(app->loop, app->ms, NULL, &ro, &app->reports,
			     errbuf);
	free(wl);
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
	if (app->mw) {
		pw_metrics_worker_set_worker(app->mw, NULL);
		pw_metrics_worker_set_gateway(app->mw, NULL, NULL);
		pw_metrics_worker_set_http(app->mw, NULL);
	}
	pw_http_destroy(app->http);
	pw_ingress_destroy(app->ingress);
	pw_opsapi_destroy(app->ops);
	pw_reports_destroy(app->reports); /* before the worker it publishes to */
	if (app->w)
		pw_worker_destroy(app->w); /* destroys the gateway too */
	else if (app->gw)
		app->gw->destroy(app->gw);
	if (app->have_cs)
		pw_codec_setup_free(&app->cs);
	pw_metrics_worker_destroy(app->mw);
	pw_metrics_destroy(app->reg);
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
