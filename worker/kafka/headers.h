/* headers.h -- the Kafka headers of what the worker publishes.
 * Owns: which headers an event or dead letter carries -- the W3C trace
 *       context (traceparent, tracestate) and the configured command
 *       headers copied from the command that caused it, and the
 *       CloudEvents binary-mode
 *       attributes (ce_specversion, ce_id, ce_type, ce_source, ce_time,
 *       ce_subject, content-type) -- and reading a record's trace context.
 * Not here: the record values (orders/event.c, serde/), producing
 *           (produce.c), keeping the trace of an order (orders/state.c).
 * docs/events.md "Headers" is the contract. */
#ifndef PW_HEADERS_H
#define PW_HEADERS_H

#include <stddef.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "payatom/error.h"

/* W3C Trace Context header names (https://www.w3.org/TR/trace-context/). */
#define PW_HDR_TRACEPARENT "traceparent"
#define PW_HDR_TRACESTATE "tracestate"
/* Longest values kept: a traceparent is 55 characters (version 00); the
 * spec lets tracestate reach 512. Longer ones are not copied. */
#define PW_TRACEPARENT_MAX 55
#define PW_TRACESTATE_MAX 512

typedef struct pw_hdr_conf {
	/* command headers copied besides the trace context
	 * (events.headers); borrowed */
	char *const *copy;
	size_t n_copy;
	int cloudevents;       /* events.cloudevents */
	const char *ce_source; /* events.cloudevents.source */
	int json;              /* values are JSON (serialization=json) */
} pw_hdr_conf_t;

/* The trace context an event carries when no command record is at hand
 * (webhook- and poll-driven events: the order's command's), each NULL or
 * "" when none. Borrowed. */
typedef struct pw_trace {
	const char *parent, *state;
} pw_trace_t;

/* The headers of rec (an event or dead letter record, borrowed: its
 * event_type, event_id, occurred_at and order_id feed CloudEvents) caused
 * by a record with headers in (borrowed, may be NULL: webhook and poll
 * items, reports), or else carrying the trace tr (may be NULL): the trace
 * context (traceparent and tracestate from in, else tr), then each header
 * of c->copy that in has (every value, in order), then with c->cloudevents
 * the binary-mode attributes of rec. Dead letters follow the same rule as
 * events: headers the operator did not name (credentials, a producer's
 * own CloudEvents attributes) are not copied to another topic. NULL when
 * there is nothing to send. New (caller frees with
 * rd_kafka_headers_destroy(), or hands it to producev). */
rd_kafka_headers_t *pw_headers_build(const pw_hdr_conf_t *c,
				     const rd_kafka_headers_t *in,
				     const pw_trace_t *tr, const json_t *rec);

/* The trace context of a record's headers: parent and state copied into
 * the buffers (NUL-terminated, "" when absent, malformed or too long: a
 * traceparent must look like "00-<32 hex>-<16 hex>-<2 hex>"). */
void pw_headers_trace(const rd_kafka_headers_t *in,
		      char parent[PW_TRACEPARENT_MAX + 1],
		      char state[PW_TRACESTATE_MAX + 1]);

/* CloudEvents ce_type of an event_type: "io.payatom.worker.<event_type>"
 * into buf. Returns buf. */
const char *pw_headers_ce_type(const char *event_type, char *buf, size_t size);

#endif
