/* event_line.h -- one line a human reads for each record the worker
 *                 publishes (events, reports, corrections, dead letters).
 * Owns: that line's layout, shared by `payatom-worker demo` and
 *       `payatom-ctl tail --brief`.
 * Not here: decoding the record (serde/codec.h), the events' contents
 *           (orders/event.h, the .avsc files in schemas/). */
#ifndef PW_EVENT_LINE_H
#define PW_EVENT_LINE_H

#include <jansson.h>
#include <stddef.h>

/* What kind of record a decoded value is (its event_type, or a dead
 * letter recognised by its reason). */
typedef enum pw_ev_kind {
	PW_EV_OTHER = 0,
	PW_EV_STATUS,     /* payment, refund, complaint: status events */
	PW_EV_REPORT,     /* wallet_report: report figures or why not */
	PW_EV_RECON,      /* reconciliation: CONFIRMED, CORRECTION, ... */
	PW_EV_DEAD,       /* dead letter */
} pw_ev_kind_t;

pw_ev_kind_t pw_event_kind(const json_t *ev);

/* Writes one line (no newline) describing ev into buf: kind, key (order or
 * merchant), status / report kind / dead-letter reason, then the figures,
 * raw status, amount or message. Truncated to size - 1 characters; never
 * fails. Personal data is whatever ev holds: redact ev first when the line
 * leaves the process. Returns buf. */
char *pw_event_line(const json_t *ev, char *buf, size_t size);

#endif
