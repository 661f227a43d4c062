/* metrics.h -- a small Prometheus registry and its text exposition (0.0.4).
 * Owns: metric families (counter, gauge, histogram) with fixed label names,
 *       labelled children, rendering in a stable order.
 * Not here: the /metrics HTTP endpoint (http.c), what is measured (the
 *           pipeline), reading librdkafka statistics (the worker).
 *
 *   pw_mfamily_t *req = pw_metrics_counter(reg,
 *       "payatom_gateway_requests_total", "Gateway requests",
 *       (const char *[]){"operation", "outcome", NULL});
 *   pw_counter_t *ok = pw_counter_get(req, "payin", "ok");  // once
 *   pw_counter_inc(ok);                                      // hot path
 *
 * Conventions checked at registration: names match [a-zA-Z_:][a-zA-Z0-9_:]*,
 * counters end in "_total", label names match [a-zA-Z_][a-zA-Z0-9_]* (no
 * "__" prefix, no "le" on histograms), a name is registered once.
 *
 * Cardinality: each family holds at most max_children label sets (default
 * 1000); further label sets share one child whose label values are all
 * "_overflow", so memory stays bounded and the overflow is visible. Label
 * values are cut at 128 bytes.
 *
 * Thread-safety: none. The worker is one event loop: register, update and
 * render from the loop thread (hand librdkafka statistics over to it).
 * Updates are plain additions on a child pointer (no lookup, no lock).
 * Children live as long as the registry. */
#ifndef PW_METRICS_H
#define PW_METRICS_H

#include <stddef.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pw_metrics pw_metrics_t;
typedef struct pw_mfamily pw_mfamily_t;
typedef struct pw_mchild pw_counter_t;
typedef struct pw_mchild pw_gauge_t;
typedef struct pw_mchild pw_histogram_t;

typedef enum pw_metric_type {
	PW_METRIC_COUNTER,
	PW_METRIC_GAUGE,
	PW_METRIC_HISTOGRAM,
} pw_metric_type_t;

/* Latency buckets in seconds used when a histogram is given none:
 * 0.005 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30. */
extern const double pw_metrics_seconds_buckets[];
extern const size_t pw_metrics_seconds_nbuckets;

/* New empty registry (caller frees with pw_metrics_destroy()). */
pa_err_t pw_metrics_new(pw_metrics_t **out);
/* Frees every family and child. NULL is a safe no-op. */
void pw_metrics_destroy(pw_metrics_t *reg);

/* Registers a family. labels: NULL-terminated label names (NULL = none).
 * buckets (histograms only): strictly increasing finite upper bounds, +Inf
 * is implied; NULL = pw_metrics_seconds_buckets. max_children 0 = 1000.
 * *out is borrowed (valid until pw_metrics_destroy()). errbuf says why a
 * name/label was refused. */
pa_err_t pw_metrics_register(pw_metrics_t *reg, pw_metric_type_t type,
			     const char *name, const char *help,
			     const char *const *labels, const double *buckets,
			     size_t nbuckets, size_t max_children,
			     pw_mfamily_t **out, char *errbuf);
/* Shorthands returning the family or NULL when registration failed. */
pw_mfamily_t *pw_metrics_counter(pw_metrics_t *reg, const char *name,
				 const char *help, const char *const *labels);
pw_mfamily_t *pw_metrics_gauge(pw_metrics_t *reg, const char *name,
			       const char *help, const char *const *labels);
pw_mfamily_t *pw_metrics_histogram(pw_metrics_t *reg, const char *name,
				   const char *help,
				   const char *const *labels,
				   const double *buckets, size_t nbuckets);

/* Find-or-create the child for the given label values (exactly as many as
 * the family has label names). Borrowed (valid until pw_metrics_destroy());
 * keep it and update it directly. NULL only when fam is NULL, the type
 * does not match, or memory runs out; every update accepts NULL (no-op). */
pw_counter_t *pw_counter_getv(pw_mfamily_t *fam, const char *const *values);
pw_gauge_t *pw_gauge_getv(pw_mfamily_t *fam, const char *const *values);
pw_histogram_t *pw_histogram_getv(pw_mfamily_t *fam,
				  const char *const *values);
#define pw_counter_get(fam, ...)                                               \
	pw_counter_getv((fam), (const char *const[]){__VA_ARGS__, NULL})
#define pw_gauge_get(fam, ...)                                                 \
	pw_gauge_getv((fam), (const char *const[]){__VA_ARGS__, NULL})
#define pw_histogram_get(fam, ...)                                             \
	pw_histogram_getv((fam), (const char *const[]){__VA_ARGS__, NULL})
/* The only child of a family without labels. */
#define pw_counter_of(fam) pw_counter_getv((fam), NULL)
#define pw_gauge_of(fam) pw_gauge_getv((fam), NULL)
#define pw_histogram_of(fam) pw_histogram_getv((fam), NULL)

/* Counters only go up: negative or NaN v is ignored. */
void pw_counter_inc(pw_counter_t *c);
void pw_counter_add(pw_counter_t *c, double v);
void pw_gauge_set(pw_gauge_t *g, double v);
void pw_gauge_add(pw_gauge_t *g, double v);
void pw_gauge_inc(pw_gauge_t *g);
void pw_gauge_dec(pw_gauge_t *g);
void pw_histogram_observe(pw_histogram_t *h, double v);
/* Current value (counter/gauge), or the sum (histogram); for tests and
 * summaries. */
double pw_metric_value(const struct pw_mchild *m);
/* Observations so far (histogram), 0 otherwise. */
unsigned long long pw_histogram_count(const pw_histogram_t *h);

/* Called at the start of every render (e.g. to refresh gauges from
 * librdkafka statistics). One hook per registry; NULL removes it. */
void pw_metrics_on_render(pw_metrics_t *reg,
			  void (*cb)(pw_metrics_t *reg, void *ud), void *ud);

/* Renders the text exposition format 0.0.4: families by name, children by
 * label values, HELP and TYPE for each family. *out is new (caller frees
 * with free()), NUL-terminated; *len (may be NULL) its length. */
pa_err_t pw_metrics_render(pw_metrics_t *reg, char **out, size_t *len);

/* The Content-Type of pw_metrics_render()'s output. */
#define PW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#ifdef __cplusplus
}
#endif
#endif
