/* kafkat.h -- Kafka helpers for tests: produce records, read topics back,
 * run a loop until a condition holds (bounded). */
#ifndef PWT_KAFKAT_H
#define PWT_KAFKAT_H

#include <stddef.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "core/loop.h"
#include "serde/codec.h"

/* Producer like our users' (idempotent, murmur2 partitioner).
 * New (caller frees with rd_kafka_destroy()). */
rd_kafka_t *pwt_producer(const char *bootstraps);
/* Produces value (NUL-terminated or len bytes) with key; aborts the test
 * program on failure. */
void pwt_produce(rd_kafka_t *p, const char *topic, const char *key,
		 const void *value, size_t len);
/* The same with Kafka headers: NULL-ended name, value, name, value... */
void pwt_produce_headers(rd_kafka_t *p, const char *topic, const char *key,
			 const void *value, size_t len,
			 const char *const *headers);
void pwt_flush(rd_kafka_t *p);

/* The record's Kafka headers as [[name, value], ...] in their order
 * (values as strings); NULL when it has none. New reference. */
json_t *pwt_record_headers(const rd_kafka_message_t *m);

/* Reads every record of topic from the beginning until no record arrived
 * for idle_ms (or max_ms passed). Returns a JSON array of
 * {"key":..., "value": <parsed JSON or string>, "partition":n,
 *  "offset":n, "headers": pwt_record_headers() when it has any}. New
 * reference. */
json_t *pwt_read_topic(const char *bootstraps, const char *topic,
		       int idle_ms, int max_ms);
/* The same, values decoded by codec (borrowed; NULL: as above) in any
 * framing. Entries also get "framing" and "schema" (record name), or
 * "error" (the codec's message; "value" is then the JSON or string of the
 * bytes). */
json_t *pwt_read_topic_codec(const char *bootstraps, const char *topic,
			     int idle_ms, int max_ms, pw_codec_t *codec);

/* Runs loop iterations until pred(ud) is true or timeout_ms (stretched by
 * pwt_ms) passes. Returns 1 when pred held. */
int pwt_run_until(pw_loop_t *loop, int (*pred)(void *ud), void *ud,
		  long timeout_ms);

/* Shuts w down through pw_worker_shutdown (drain, flush, commit), runs
 * loop until it reports done (20 s, stretched; fails the test otherwise),
 * then destroys it. */
struct pw_worker;
void pwt_worker_stop(pw_loop_t *loop, struct pw_worker *w);

#endif
