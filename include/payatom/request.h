/* request.h -- a transport-neutral HTTP request for one PayAtom call.
 * Owns: pa_request_t (what api.h builds and client.h sends), pa_op_t.
 * Not here: building requests (api.h), sending them (client.h). */
#ifndef PAYATOM_REQUEST_H
#define PAYATOM_REQUEST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which gateway operation a request performs (metrics, logs, routing of the
 * answer to the right parser in api.h). Append only. */
typedef enum pa_op {
	PA_OP_PAYIN,
	PA_OP_PAYOUT,
	PA_OP_UTR_SUBMIT,
	PA_OP_STATUS,
	PA_OP_PAYOUT_STATUS,
	PA_OP_REFUND,
	PA_OP_COMPLAINT_SUBMIT,
	PA_OP_COMPLAINT_VIEW,
	PA_OP_RECON_PAYIN,
	PA_OP_RECON_PAYOUT,
	PA_OP_WALLET_BALANCE,
	PA_OP_WALLET_BALANCE_V2,
	PA_OP_WALLET_SUMMARY,
	PA_OP_WALLET_DATA,
	PA__OP_COUNT
} pa_op_t;

struct pa_header {
	char *name;  /* "Content-Type", "X-Api-Key", ... */
	char *value; /* may hold a credential: never log it in clear */
};

/* One request, fully built: the client sends exactly this. Every pointer is
 * owned by the request (pa_request_destroy frees them). */
typedef struct pa_request {
	pa_op_t op;
	char *method; /* "POST" or "GET" */
	char *url;    /* full URL: base_url + path */
	struct pa_header *headers;
	size_t n_headers;
	char *body;	 /* JSON text, NUL-terminated; NULL for a bodiless GET */
	size_t body_len; /* strlen(body), 0 when body is NULL */
	char order_id[64]; /* merchant order id the call is about, "" if none */
} pa_request_t;

/* Frees everything, wiping header values and the body first (they carry
 * tokens and personal data). NULL is a safe no-op. */
void pa_request_destroy(pa_request_t *req);

/* "PAYIN", "STATUS", ... Borrowed (static), never NULL. */
const char *pa_op_name(pa_op_t op);

/* Value of the first header named name (ASCII case-insensitive), or NULL.
 * Borrowed (valid until pa_request_destroy()). */
const char *pa_request_header(const pa_request_t *req, const char *name);

#ifdef __cplusplus
}
#endif
#endif
