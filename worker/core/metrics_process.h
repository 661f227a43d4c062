/* metrics_process.h -- the standard process_* families and build info.
 * Owns: payatom_build_info{version,librdkafka} and the Prometheus client
 *       libraries' process families (process_cpu_seconds_total,
 *       process_resident_memory_bytes, process_virtual_memory_bytes,
 *       process_open_fds, process_max_fds, process_start_time_seconds),
 *       read from /proc/self at each render.
 * Not here: the registry and exposition (metrics.c), the worker's own
 *           families (ingress/metrics_worker.c). */
#ifndef PW_METRICS_PROCESS_H
#define PW_METRICS_PROCESS_H

#include "core/metrics.h"

/* This build's version ("0.1.0"; CMake's project version). Static. */
const char *pw_version(void);

typedef struct pw_metrics_process pw_metrics_process_t;

/* Registers the families in reg (borrowed; must outlive the result).
 * New (caller frees with pw_metrics_process_destroy()). */
pa_err_t pw_metrics_process_new(pw_metrics_t *reg, pw_metrics_process_t **out,
				char *errbuf);
/* Reads /proc/self into the families; call from the registry's render
 * hook. Values it cannot read stay as they were. */
void pw_metrics_process_update(pw_metrics_process_t *mp);
/* NULL is a safe no-op. */
void pw_metrics_process_destroy(pw_metrics_process_t *mp);

#endif
