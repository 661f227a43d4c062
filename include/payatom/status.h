/* status.h -- the normalized status model.
 * Owns: the normalized enum, raw gateway string -> enum, terminal/paid
 *       predicates, the allowed transitions.
 * Not here: where statuses arrive from (webhook.h, api.h). */
#ifndef PAYATOM_STATUS_H
#define PAYATOM_STATUS_H

#include <stddef.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Normalized payment status (design.md §5; spec §4). The names are the Avro
 * enum symbols, so their order and spelling are part of the event contract:
 * append only. */
#define PA_STATUS_MAP(X)                                                       \
	X(INITIATED)       /* command accepted, no gateway answer yet */       \
	X(PENDING)         /* gateway "Pending": user session active */        \
	X(SUCCEEDED)       /* "Approved" */                                    \
	X(SUCCEEDED_LATE)  /* "Late Approved" */                               \
	X(DECLINED)        /* "Declined" */                                    \
	X(FAILED)          /* "Failed" or a fatal gateway rejection */         \
	X(EXPIRED)         /* "User Timed Out" */                              \
	X(UNMATCHED)       /* "No Matching Payment for UTR" */                 \
	X(AMOUNT_MISMATCH) /* "Amount Mismatch": act on received_amount */     \
	X(CANCELLED)       /* "Cancelled" */                                   \
	X(REFUND_PENDING)  /* "Refund Initiated" */                            \
	X(REFUNDED)        /* "Refund Completed" */                            \
	X(UNRESOLVED)      /* unknown raw string, or polling deadline passed */

typedef enum pa_status {
#define PA__STATUS_ENUM(name) PA_STATUS_##name,
	PA_STATUS_MAP(PA__STATUS_ENUM)
#undef PA__STATUS_ENUM
	PA__STATUS_COUNT
} pa_status_t;

/* Raw gateway status (exact documented strings, spec §4) -> normalized.
 * Matching is exact first, then case- and space-insensitive for the
 * documented strings only; anything else is PA_STATUS_UNRESOLVED. */
pa_status_t pa_status_from_raw(const char *raw, size_t len);
/* "SUCCEEDED" etc. Borrowed (static), never NULL. */
const char *pa_status_name(pa_status_t st);
/* Parse a name produced by pa_status_name(); PA_INVAL when unknown. */
pa_err_t pa_status_from_name(const char *name, pa_status_t *out);
/* No further change expected without a new request (may still be reopened by
 * the transitions pa_status_can_move allows, e.g. EXPIRED -> SUCCEEDED_LATE). */
int pa_status_is_terminal(pa_status_t st);
/* Money was received/paid out (SUCCEEDED, SUCCEEDED_LATE, AMOUNT_MISMATCH). */
int pa_status_is_paid(pa_status_t st);
/* 1 when from -> to is allowed by the spec's transitions (§4). Equal states
 * are not a transition (returns 0). */
int pa_status_can_move(pa_status_t from, pa_status_t to);

#ifdef __cplusplus
}
#endif
#endif
