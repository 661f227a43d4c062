/* request.h -- one HTTP request to the gateway, built by the api layer.
 * PLACEHOLDER created by the client engineer because the api engineer's
 * request.h was not in main yet: the struct fields are the agreed contract;
 * pa_op_t is a stub enum the api engineer's header replaces.
 * Owns: pa_request_t (a plain description; whoever fills it owns the strings).
 * Not here: sending (client.h), building requests per endpoint (api.h). */
#ifndef PAYATOM_REQUEST_H
#define PAYATOM_REQUEST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Placeholder: the gateway operation this request performs. */
typedef enum pa_op { PA_OP_UNKNOWN = 0 } pa_op_t;

struct pa_header {
	char *name;
	char *value;
};

typedef struct pa_request {
	pa_op_t op;
	char *method; /* "GET", "POST", ... */
	char *url;
	struct pa_header *headers;
	size_t n_headers;
	char *body; /* body_len bytes, not necessarily NUL terminated */
	size_t body_len;
	char order_id[64];
} pa_request_t;

#ifdef __cplusplus
}
#endif
#endif
