/* codec_priv.h -- shared between codec.c, codec_json.c and codec_avro.c.
 * Owns: the plain-JSON <-> schema conformance and the Avro binary walkers
 *       the codec front (codec.c) combines.
 * Not here: framing, registry, schema lookup (codec.c). */
#ifndef PW_CODEC_PRIV_H
#define PW_CODEC_PRIV_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"

/* Growable byte buffer. */
typedef struct pw__buf {
	uint8_t *p;
	size_t len, cap;
} pw__buf_t;
pa_err_t pw__buf_put(pw__buf_t *b, const void *src, size_t n);

/* Conformance modes of pw__json_conform(). */
enum {
	/* Encoding a record the worker built: unknown fields and unknown enum
	 * symbols are errors (they are bugs or typos). */
	PW__CONFORM_STRICT = 0,
	/* Reading (JSON from a producer, or writer -> reader resolution):
	 * unknown fields are dropped, unknown enum symbols take the reader
	 * enum's default (Avro resolution rules). */
	PW__CONFORM_READ = 1,
	/* Reading a command (JSON, or Avro resolved to our schema): as READ,
	 * but an enum symbol we do not know is an error naming it: a command
	 * with a product or type this worker does not have cannot be carried
	 * out, and the producer must learn which value it sent. */
	PW__CONFORM_COMMAND = 2,
};

/* Error texts never carry a value's bytes (they reach logs and dead
 * letters, and values are phone numbers, names, UPI ids). Only a name,
 * i.e. text matching Avro's name grammar [A-Za-z_][A-Za-z0-9_]* of at most
 * 64 bytes (field names, enum symbols, command types), is quoted: s itself
 * is then written to buf as "\"s\""; anything else as "a value of N
 * bytes that is not a name". Returns buf. */
const char *pw__shown(const char *s, size_t n, char *buf, size_t size);

/* Checks plain JSON `in` against a schema's plan (pw_avsc_plan()) and
 * returns the record as the schema defines it: fields in schema order,
 * missing fields with defaults filled in, timestamp-millis given as an
 * ISO-8601 string turned into milliseconds, float/double as reals.
 * *out: new reference; not valid unless PA_OK. Errors: PA_VALIDATION with the
 * JSON path of the offending value in errbuf. (codec_plan.h walks the same
 * way straight to JSON text or Avro binary.) */
struct pw__plan;
pa_err_t pw__json_conform(const struct pw__plan *plan, const json_t *in,
			  int mode, json_t **out, char *errbuf);

/* Appends the Avro binary encoding of `val` (already conformed to node). */
pa_err_t pw__avro_write(const json_t *node, const json_t *val, pw__buf_t *b,
			char *errbuf);

/* Decodes exactly len bytes of Avro binary written with schema node into
 * plain JSON. Every length and count is checked against the bytes left; an
 * error names the byte offset and the path. Trailing bytes are an error.
 * *out: new reference; not valid unless PA_OK. Errors: PA_PARSE. */
pa_err_t pw__avro_read(const json_t *node, const uint8_t *p, size_t len,
		       json_t **out, char *errbuf);

/* ISO-8601 UTC timestamp ("2026-11-26T11:20:00Z", optional .fff and
 * +hh:mm offset) -> milliseconds since the epoch. PA_VALIDATION if not. */
pa_err_t pw__iso8601_ms(const char *s, int64_t *ms);

/* The conformance mode for reading records of s: PW__CONFORM_COMMAND for
 * commands (enums strict), PW__CONFORM_READ for events. */
struct pw_avsc;
int pw__read_mode(const struct pw_avsc *s);
/* PA_VALIDATION: "<field>: <value> is not a record type; expected one of:
 * ..." (field "type" or "event_type"; the value quoted only when a name). */
pa_err_t pw__unknown_type(const char *field, const char *value,
			  char *errbuf);

/* Shallow test used to pick a union branch for a conformed value. */
int pw__json_fits(const json_t *node, const json_t *val);

#endif
