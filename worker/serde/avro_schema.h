/* avro_schema.h -- one parsed Avro schema: normalized tree, Parsing Canonical
 *                  Form, CRC-64-AVRO fingerprint, compatibility check.
 * Owns: reading .avsc text (validated by Avro-C, then normalized into a
 *       Jansson tree the codec walks), the canonical form and fingerprint of
 *       the Avro spec ("Schema Fingerprints", "Parsing Canonical Form"), and
 *       reader/writer compatibility per the spec's resolution rules.
 * Not here: the embedded files (schemas.h), encoding (codec.h).
 *
 * Why not Avro-C's own model: libavro 1.11 drops logicalType/default/doc in
 * avro_schema_to_json (so no canonical form from it), its resolver refuses a
 * reader field that is absent from the writer even when it has a default
 * (every schema evolution we need), and its binary reader allocates whatever
 * a length prefix says (a corrupted record can ask for petabytes). Avro-C
 * still validates every schema here and is the reference the tests compare
 * our bytes against. */
#ifndef PW_AVRO_SCHEMA_H
#define PW_AVRO_SCHEMA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CRC-64-AVRO of the empty input (Avro spec, "Schema Fingerprints"). */
#define PW_CRC64_AVRO_EMPTY UINT64_C(0xc15d213aa4d7a795)

typedef struct pw_avsc pw_avsc_t;

/* Parses schema text (len bytes, need not be NUL-terminated). Rejects what
 * Avro-C rejects, and recursive named types (none in our contract).
 * *out: new (caller frees with pw_avsc_destroy()); not valid unless PA_OK.
 * Errors: PA_PARSE (not JSON / not a valid Avro schema), PA_UNSUPPORTED. */
pa_err_t pw_avsc_parse(const char *json, size_t len, pw_avsc_t **out,
		       char *errbuf);
/* NULL is a safe no-op. */
void pw_avsc_destroy(pw_avsc_t *sch);

/* Full name of a named top-level schema ("io.payatom.worker.DeadLetter"), or
 * the primitive/complex type name otherwise. Borrowed (valid until
 * pw_avsc_destroy()). */
const char *pw_avsc_fullname(const pw_avsc_t *sch);
/* The text it was parsed from, NUL-terminated. Borrowed (same). */
const char *pw_avsc_text(const pw_avsc_t *sch);
/* Parsing Canonical Form. Borrowed (same). */
const char *pw_avsc_canonical(const pw_avsc_t *sch);
/* CRC-64-AVRO of the canonical form. */
uint64_t pw_avsc_fingerprint(const pw_avsc_t *sch);

/* Normalized tree the codec walks. Every node is either a JSON array (a
 * union of nodes) or an object with "type": primitives keep only "type" and
 * "logicalType"; records have "name" (full), "fields" [{"name","type",
 * "default"?}]; enums "name","symbols","default"?; fixed "name","size";
 * arrays "items"; maps "values". A named type used twice is the same json_t.
 * Borrowed (valid until pw_avsc_destroy()). */
const json_t *pw_avsc_root(const pw_avsc_t *sch);

/* The root compiled for the codec (codec_plan.h). Borrowed (valid until
 * pw_avsc_destroy()). */
struct pw__plan;
const struct pw__plan *pw_avsc_plan(const pw_avsc_t *sch);

/* Parsing Canonical Form of schema text, without keeping the schema.
 * *out: new NUL-terminated (caller frees with free()). */
pa_err_t pw_avsc_canonical_form(const char *json, size_t len, char **out,
				char *errbuf);

/* CRC-64-AVRO (Rabin) of len bytes. */
uint64_t pw_crc64_avro(const void *buf, size_t len);

/* PA_OK when data written with `writer` can be read with `reader` (Avro
 * resolution rules: reader-only fields need defaults, writer enum symbols
 * missing in the reader need a reader default, numeric promotions, unions
 * branch by branch). Otherwise PA_VALIDATION and errbuf names the first
 * offending path ("PaymentStatusEvent.refund: ..."). */
pa_err_t pw_avsc_check_compat(const pw_avsc_t *reader, const pw_avsc_t *writer,
			      char *errbuf);

/* Helpers for walkers of the normalized tree. */
/* "type" of a node ("record", "long", ...), "union" for an array. */
const char *pw_avsc_kind(const json_t *node);
/* 1 when node is a long/int with logicalType timestamp-millis. */
int pw_avsc_is_timestamp_millis(const json_t *node);

#ifdef __cplusplus
}
#endif
#endif
