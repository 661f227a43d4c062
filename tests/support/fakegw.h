/* fakegw.h -- a scripted in-process gateway for pipeline tests and the
 * benchmark's gateway-free mode: replies after a delay from the loop, counts
 * calls per order. Not a PayAtom implementation (that is payatom-sandbox). */
#ifndef PWT_FAKEGW_H
#define PWT_FAKEGW_H

#include "core/loop.h"
#include "gateway/gateway.h"

typedef struct pwt_fakegw_opts {
	int latency_ms;         /* every reply */
	int polls_until_final;  /* status polls answering Pending first */
	const char *final_raw;  /* raw status of the final poll, "Approved" */
	int fail_first_submits; /* per order: first N submits time out */
	int reject_amount_minor; /* submits with this amount are rejected */
	const char *merchant;    /* the one configured merchant, "demo" */
} pwt_fakegw_opts_t;

/* New gateway (the worker takes ownership; or free with gw->destroy). */
pw_gateway_t *pwt_fakegw_new(pw_loop_t *loop, const pwt_fakegw_opts_t *o);
/* Submits seen for order_id (gateway calls that created it). */
int pwt_fakegw_submits(pw_gateway_t *gw, const char *order_id);
int pwt_fakegw_total_submits(pw_gateway_t *gw);
int pwt_fakegw_total_polls(pw_gateway_t *gw);

#endif
