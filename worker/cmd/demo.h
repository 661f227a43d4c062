/* demo.h -- the parts of `payatom-worker demo` and what they share.
 * Owns: the demo's order and run records, the command kinds it counts, the
 *       entry points of its files: demo_mix.c (the commands it sends),
 *       demo_report.c (what it prints and when it is done), demo.c
 *       (merchants, sandbox, options, the run).
 * Not here: the service (worker_app.h), the event line (event_line.h). */
#ifndef PW_DEMO_H
#define PW_DEMO_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "core/hmap.h"
#include "sandbox/sandbox.h"
#include "worker_app.h"

#define MAX_ORDERS 4096
#define PROGRESS_MS 5000 /* a progress line while waiting */

typedef struct demo_order {
	char id[40];
	char merchant[16];
	const char *product;
	int kind;          /* 0 payin, 1 payout */
	const char *expect; /* the status it settles in (sandbox magic) */
	int terminal;      /* a terminal event or a dead letter was seen */
	int settled;       /* expect was seen */
	int dead;          /* its outcome is a dead letter */
	int want_refund;   /* approved Indian payins get a refund command */
	int refund_sent, refunded;
	int want_complaint, complaint_sent, complaint_seen;
	int want_utr, utr_sent;
	int invalid;       /* expected to be dead-lettered */
	char last[24];
} demo_order_t;

typedef struct demo {
	pw_app_t app;
	sbx_t *sbx;
	rd_kafka_t *prod;
	char base_url[64];
	char run[8];       /* this run's tag in every order id */
	demo_order_t ord[MAX_ORDERS];
	int n;
	pw_hmap_t *by_id;
	int sent_by_type[8];
	int commands_sent, commands_at_start;
	json_t *by_topic;  /* topic -> {"n": N, "by": {status|reason|kind: N}} */
	int earlier;       /* events of orders of earlier runs (restored) */
	int quiet;
	long linger_ms, max_wait_ms;
	int64_t start_ms, next_progress_ms;
	int done;          /* 1 outcomes in and settled, 2 outcomes in only */
} demo_t;

/* what each command sent was (sent_by_type[]) */
enum { T_PAYIN, T_PAYOUT, T_REFUND, T_UTR, T_COMPLAINT, T_STATUS, T_INVALID,
       T_REDELIVERED };

/* ---- demo_mix.c: the commands ---- */

/* The run's tag (5 characters, base 36 of the time in seconds). */
void demo_run_tag(char *out, size_t size);
/* Number of products the mix covers (orders per product each). */
size_t demo_product_count(void);
/* Publishes the mix: per_product orders of every product (sandbox magic
 * prefixes pick their outcomes), a redelivered command and invalid ones;
 * fills d->ord and d->commands_at_start. */
void demo_publish(demo_t *d, int per_product);
/* Sends the follow-up an event of o calls for (a UTR on PENDING, a refund
 * on SUCCEEDED, a complaint on DECLINED), at most one of each. */
void demo_follow_up(demo_t *d, demo_order_t *o, const char *status,
		    const char *ref);

/* ---- demo_report.c: what it prints, when it is done ---- */

/* The worker's on_event observer: counts, prints and follows up. */
void demo_on_event(void *ud, const char *topic, const char *text);
/* Checks every 200 ms whether the run is done (or out of time), prints
 * progress every 5 s; then lingers d->linger_ms and shuts the app down. */
void demo_check_tick(pw_loop_t *loop, pw_timer_t *t, void *ud);
/* The summary table and the closing line. */
void demo_summary(demo_t *d);

#endif
