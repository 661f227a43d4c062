/* opsapi.h -- the operator endpoints on the worker's HTTP listener:
 *   GET /metrics  Prometheus text exposition of a pw_metrics_t registry
 *   GET /healthz  200 while the event loop keeps ticking (liveness)
 *   GET /readyz   200/503 from a readiness callback (readiness)
 * Owns: the three routes and their answers.
 * Not here: the metric families (metrics_worker.c), the registry
 *           (core/metrics.c), what "ready" means (the worker main gives a
 *           callback, typically pw_worker_ready() && a circuit closed).
 *
 * Bodies: /healthz and /readyz answer a one-line JSON object
 * ({"status":"ok"} / {"status":"unavailable","reason":...}) so a human
 * with curl sees why; probes only look at the status code. Every answer
 * carries Cache-Control: no-store. HEAD is answered like GET. */
#ifndef PW_OPSAPI_H
#define PW_OPSAPI_H

#include <stdint.h>

#include "core/http.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "payatom/error.h"

typedef struct pw_opsapi pw_opsapi_t;

/* Readiness: return 1 when ready; otherwise 0, and *reason may be set to a
 * short constant text ("no partitions assigned", ...) shown in the body. */
typedef int (*pw_ready_cb)(void *ud, const char **reason);

typedef struct pw_opsapi_opts {
	pw_metrics_t *metrics;  /* borrowed; NULL: /metrics answers 404 */
	int64_t health_stale_ms; /* /healthz fails when the loop's last tick is
				    older than this; 0 = 10000 */
	pw_ready_cb ready;      /* NULL: ready once the loop ticked */
	void *ready_ud;
} pw_opsapi_opts_t;

/* Mounts GET/HEAD /metrics, /healthz, /readyz on http (both borrowed:
 * loop, http and the registry must outlive the result). New (caller frees
 * with pw_opsapi_destroy(), after pw_http_destroy() -- routes cannot be
 * removed from a listener). Errors: PA_INVAL, PA_NOMEM. */
pa_err_t pw_opsapi_new(pw_loop_t *loop, pw_http_t *http,
		       const pw_opsapi_opts_t *opts, pw_opsapi_t **out,
		       char *errbuf);
/* NULL is a safe no-op. */
void pw_opsapi_destroy(pw_opsapi_t *ops);

/* 1 when the loop ticked within health_stale_ms of now (what /healthz
 * answers). */
int pw_opsapi_healthy(const pw_opsapi_t *ops);

#endif
