/* gateway_payatom.h -- the pipeline's gateway on libpayatom.
 * Owns: command record -> typed request (api.h), the async client on the
 *       worker's loop, reply -> pw_gw_result_t, per-merchant rate limits and
 *       circuit breakers, the cap on calls in flight.
 * Not here: what the pipeline does with results (process.c), the protocol
 *           itself (libpayatom). */
#ifndef PW_GATEWAY_PAYATOM_H
#define PW_GATEWAY_PAYATOM_H

#include "core/loop.h"
#include "payatom/client.h"
#include "gateway/gateway.h"
#include "gateway/merchants.h"

/* gateway.max.concurrent's default (config_worker.c says "1000" too). */
#define PW_GATEWAY_MAX_CONCURRENT 1000

typedef struct pw_gwp_opts {
	pa_client_opts_t client;
	double rate_limit_rps;   /* per merchant; 0 = unlimited */
	int breaker_failures;    /* consecutive retryable failures that open
				    the circuit; 0 = no breaker */
	int64_t breaker_open_ms; /* how long it stays open before a probe */
	/* HTTP calls in flight at once, all merchants; more wait in order of
	 * arrival (a waiting call holds its request, ~0.3 KB; a call in flight
	 * holds a libcurl transfer and connection, ~12 KB plain, more with
	 * TLS). 0 = unlimited. */
	int max_concurrent;
	/* Observer of every finished gateway call (metrics). May be NULL. */
	void (*on_call)(void *ud, pa_op_t op, const char *outcome,
			double seconds);
	void *on_call_ud;
} pw_gwp_opts_t;

typedef enum pw_circuit {
	PW_CIRCUIT_CLOSED = 0,
	PW_CIRCUIT_HALF_OPEN = 1,
	PW_CIRCUIT_OPEN = 2
} pw_circuit_t;

/* New gateway on loop for the profiles of ms (borrowed: must outlive the
 * gateway). Freed with gw->destroy (the worker does it when it owns it). */
pa_err_t pw_gateway_payatom_new(pw_loop_t *loop, const pw_merchants_t *ms,
				const pw_gwp_opts_t *o, pw_gateway_t **out,
				char *errbuf);
/* Circuit state of merchant i (pw_merchants_at order). */
pw_circuit_t pw_gateway_payatom_circuit(pw_gateway_t *gw, size_t i);
/* 1 when at least one merchant's circuit is not open (readiness). */
int pw_gateway_payatom_any_closed(pw_gateway_t *gw);
/* Calls sent and not yet answered, and calls waiting for a slot
 * (max_concurrent). Either may be NULL. */
void pw_gateway_payatom_load(pw_gateway_t *gw, int *sending, int *waiting);

#endif
