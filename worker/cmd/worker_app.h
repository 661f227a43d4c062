/* worker_app.h -- one running payatom-worker: everything a config builds.
 * Owns: the loop, the embedded mock cluster (when no brokers are set), the
 *       merchant profiles, the gateway, the pipeline, the HTTP listener and
 *       its routes, signal handling.
 * Not here: argument parsing (payatom-worker.c), the demo's load (demo.c). */
#ifndef PW_WORKER_APP_H
#define PW_WORKER_APP_H

#include "core/config.h"
#include "core/config_worker.h"
#include "core/http.h"
#include "core/log.h"
#include "core/loop.h"
#include "gateway/gateway_payatom.h"
#include "gateway/merchants.h"
#include "kafka/mockcluster.h"
#include "serde/codec_setup.h"
#include "kafka/worker.h"

typedef struct pw_app {
	pw_loop_t *loop;
	pw_config_t *cfg;           /* borrowed */
	const pw_worker_conf_t *wc; /* borrowed from cfg */
	pw_logger_t *log;
	pw_mock_t *mock;
	pw_merchants_t *ms;
	pw_gateway_t *gw; /* owned by w once it exists */
	pw_worker_t *w;
	pw_codec_setup_t cs; /* serialization + schema registry */
	int have_cs;
	struct pw_reports *reports; /* reconciliation / wallet reports */
	pw_http_t *http;
	struct pw_ingress *ingress;   /* POST /webhooks/payatom */
	struct pw_opsapi *ops;        /* /metrics /healthz /readyz */
	struct pw_metrics *reg;
	struct pw_metrics_worker *mw;
	pw_kafka_kv_t *kafka;
	size_t n_kafka;
	int sigfd;
	int stopped;
	int exit_code; /* 1 after a fatal error */
	char brokers[1024];
	const char *config_path; /* for SIGHUP; set before pw_app_start */
	/* observers (demo, tests) */
	void (*on_event)(void *ud, const char *topic, const char *json);
	void *on_event_ud;
} pw_app_t;

/* Starts everything cfg (finalized) describes on a new loop. ms may be NULL
 * (profiles from cfg) or a set the app takes over. With no brokers the
 * embedded mock cluster starts. Returns with the HTTP listener bound;
 * processing starts as the loop runs. */
pa_err_t pw_app_start(pw_app_t *app, pw_config_t *cfg, pw_merchants_t *ms,
		      char *errbuf);
/* Port the HTTP listener bound (with http.listen port 0). */
uint16_t pw_app_http_port(const pw_app_t *app);
/* Graceful shutdown (as on SIGTERM); app->stopped is set when done and the
 * loop stops. */
void pw_app_shutdown(pw_app_t *app);
/* Runs the loop until shutdown completes. */
void pw_app_run(pw_app_t *app);
/* Frees everything. */
void pw_app_destroy(pw_app_t *app);

#endif
