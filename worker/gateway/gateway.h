/* gateway.h -- what the pipeline asks of the payment gateway.
 * Owns: the small vtable between the pipeline and libpayatom, so that the
 *       pipeline can be driven by the real client (gateway_payatom.c) or by
 *       a scripted fake in tests and benchmarks.
 * Not here: request building and reply parsing (libpayatom api_*.c). */
#ifndef PW_GATEWAY_H
#define PW_GATEWAY_H

#include <stdint.h>

#include <jansson.h>

#include "payatom/error.h"
#include "payatom/status.h"
#include "orders/state.h"

typedef struct pw_gw_result {
	/* PA_OK; a retryable error (timeouts, 5xx...); PA_DUPLICATE (an
	 * earlier attempt reached the gateway); PA_NOT_FOUND (status poll:
	 * the gateway has no such order); other fatal errors (rejected). */
	pa_err_t err;
	pa_status_t status; /* normalized, when the reply carried one */
	const char *raw;    /* raw status string, "" when none */
	const char *ref_code;
	/* Extra fields for the event (payment_link, qr_code, wallet_id,
	 * redirect_url, intents, bank_ref, refund...). Borrowed, may be NULL. */
	json_t *details;
	int64_t received_minor; /* -1 when unknown */
	const char *message;    /* gateway or transport message, "" if none */
} pw_gw_result_t;

typedef void (*pw_gw_cb)(void *ud, const pw_gw_result_t *res);
typedef struct pw_gw_call pw_gw_call_t;

typedef struct pw_gateway {
	/* Sends the command (a validated command record) for ord. The
	 * callback runs later from the event loop, exactly once, unless the
	 * call is cancelled first. */
	pa_err_t (*submit)(struct pw_gateway *gw, const pw_order_t *ord,
			   const json_t *cmd, pw_gw_cb cb, void *ud,
			   pw_gw_call_t **call);
	/* Asks the status of ord (by ref_code, or by order_id when
	 * ord->ref_code is empty). */
	pa_err_t (*status)(struct pw_gateway *gw, const pw_order_t *ord,
			   pw_gw_cb cb, void *ud, pw_gw_call_t **call);
	/* Cancels a call whose callback has not run. */
	void (*cancel)(struct pw_gateway *gw, pw_gw_call_t *call);
	/* 1 when merchant names a configured profile. */
	int (*has_merchant)(struct pw_gateway *gw, const char *merchant);
	/* Message of the last synchronous failure of submit/status (a
	 * field-named validation error). Borrowed, valid until the next call;
	 * never NULL. */
	const char *(*last_error)(struct pw_gateway *gw);
	void (*destroy)(struct pw_gateway *gw);
	void *impl;
} pw_gateway_t;

#endif
