/* headers.c -- see headers.h.
 * Owns: the header rules of events and dead letters, trace context
 *       validation, CloudEvents attribute values.
 * Not here: producing (produce.c), the order's stored trace (state.c). */
#include "kafka/headers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int is_lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int all_zero(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '0')
			return 0;
	return 1;
}

/* W3C Trace Context §3.2: version "-" trace-id "-" parent-id "-" flags,
 * lowercase hex, ids not all zero, version not ff. */
static int traceparent_ok(const char *v, size_t n)
{
	return n == PW_TRACEPARENT_MAX && v[2] == '-' && v[35] == '-' &&
	       v[52] == '-' && is_lower_hex(v, 2) && memcmp(v, "ff", 2) != 0 &&
	       is_lower_hex(v + 3, 32) && !all_zero(v + 3, 32) &&
	       is_lower_hex(v + 36, 16) && !all_zero(v + 36, 16) &&
	       is_lower_hex(v + 53, 2);
}

/* §3.3: list members of printable ASCII; kept whole or not at all. */
static int tracestate_ok(const char *v, size_t n)
{
	if (n == 0 || n > PW_TRACESTATE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return 0;
	return 1;
}

/* The last value of header name in h (Kafka allows repeats; the last one
 * wins, as in librdkafka's rd_kafka_header_get_last). 1 when found. */
static int last(const rd_kafka_headers_t *h, const char *name,
		const char **v, size_t *n)
{
	const void *val = NULL;
	if (!h || rd_kafka_header_get_last(h, name, &val, n) ||
	    !val)
		return 0;
	*v = val;
	return 1;
}

void pw_headers_trace(const rd_kafka_headers_t *in,
		      char parent[PW_TRACEPARENT_MAX + 1],
		      char state[PW_TRACESTATE_MAX + 1])
{
	const char *v;
	size_t n;
	parent[0] = state[0] = '\0';
	if (!last(in, PW_HDR_TRACEPARENT, &v, &n) || !traceparent_ok(v, n))
		return; /* no valid parent: the state means nothing (§3.3) */
	memcpy(parent, v, n);
	parent[n] = '\0';
	if (last(in, PW_HDR_TRACESTATE, &v, &n) && tracestate_ok(v, n)) {
		memcpy(state, v, n);
		state[n] = '\0';
	}
}

const char *pw_headers_ce_type(const char *event_type, char *buf, size_t size)
{
	snprintf(buf, size, "io.payatom.worker.%s",
		 event_type && *event_type ? event_type : "event");
	return buf;
}

static void add(rd_kafka_headers_t *h, const char *name, const char *v)
{
	if (v && *v)
		rd_kafka_header_add(h, name, -1, v, -1);
}

/* RFC 3339 UTC with milliseconds, as CloudEvents' time attribute. */
static void rfc3339(json_int_t ms, char buf[32])
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

static void cloudevents(const pw_hdr_conf_t *c, rd_kafka_headers_t *h,
			const json_t *rec)
{
	const char *type = json_string_value(json_object_get(rec, "event_type"));
	char ce_type[96], when[32] = "";
	json_t *at = json_object_get(rec, "occurred_at");
	if (json_is_integer(at) && json_integer_value(at) >= 0)
		rfc3339(json_integer_value(at), when);
	add(h, "ce_specversion", "1.0");
	add(h, "ce_id", json_string_value(json_object_get(rec, "event_id")));
	add(h, "ce_source",
	    c->ce_source && *c->ce_source ? c->ce_source : "/payatom-worker");
	add(h, "ce_type", pw_headers_ce_type(type, ce_type, sizeof ce_type));
	add(h, "ce_time", when);
	add(h, "ce_subject", json_string_value(json_object_get(rec, "order_id")));
	/* binary mode: content-type is the data's (the record value's) */
	add(h, "content-type", c->json ? "application/json" : "application/avro");
}

rd_kafka_headers_t *pw_headers_build(const pw_hdr_conf_t *c,
				     const rd_kafka_headers_t *in,
				     const pw_trace_t *tr, const json_t *rec)
{
	rd_kafka_headers_t *h = rd_kafka_headers_new(8);
	char parent[PW_TRACEPARENT_MAX + 1], state[PW_TRACESTATE_MAX + 1];
	pw_headers_trace(in, parent, state);
	if (!*parent && tr && tr->parent &&
	    traceparent_ok(tr->parent, strlen(tr->parent))) {
		snprintf(parent, sizeof parent, "%s", tr->parent);
		if (tr->state && tracestate_ok(tr->state, strlen(tr->state)))
			snprintf(state, sizeof state, "%s", tr->state);
	}
	add(h, PW_HDR_TRACEPARENT, parent);
	add(h, PW_HDR_TRACESTATE, state);
	const char *name;
	const void *val;
	size_t size;
	for (size_t k = 0; in && k < c->n_copy; k++) {
		/* the trace context is ours to validate; CloudEvents and
		 * content-type describe a value: never copied */
		if (!strcmp(c->copy[k], PW_HDR_TRACEPARENT) ||
		    !strcmp(c->copy[k], PW_HDR_TRACESTATE) ||
		    !strcmp(c->copy[k], "content-type") ||
		    !strncmp(c->copy[k], "ce_", 3))
			continue;
		for (size_t i = 0;
		     !rd_kafka_header_get_all(in, i, &name, &val, &size); i++)
			if (!strcmp(name, c->copy[k]))
				rd_kafka_header_add(h, name, -1, val,
						    (ssize_t)size);
	}
	if (c->cloudevents)
		cloudevents(c, h, rec);
	if (rd_kafka_header_cnt(h) == 0) {
		rd_kafka_headers_destroy(h);
		return NULL;
	}
	return h;
}
