/* codec_plan.h -- a schema compiled once into a tree of typed nodes, and the
 * one walk over a plain-JSON record that checks it against the schema and
 * produces it as the schema defines it: a conformed Jansson tree, JSON text
 * or Avro binary, in one pass.
 * Owns: compiling a normalized schema tree (avro_schema.h) into plan nodes,
 *       the conformance rules of the "plain JSON" mapping (codec.h) and the
 *       error paths ("customer.email: expected string, got integer").
 * Not here: framing and schema choice (codec.c), reading Avro binary
 *           (codec_avro.c), ISO-8601 timestamps (codec_json.c).
 *
 * Why: the encoder used to conform a record into a second Jansson tree by
 * comparing kind names as strings at every node, then dump that tree (an
 * event cost ~60 us of the worker's CPU per payin, docs/performance.md);
 * the plan walks the record once, kinds are enum values, field names are
 * precomputed, and an error path is built only when there is an error. */
#ifndef PW_CODEC_PLAN_H
#define PW_CODEC_PLAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"
#include "serde/codec_priv.h"

typedef struct pw__plan pw__plan_t;

/* ---- plan nodes (codec_plan.c makes them, codec_walk.c reads them) ---- */

enum pw__plan_kind {
	PW__P_NULL,
	PW__P_BOOL,
	PW__P_INT,
	PW__P_LONG,
	PW__P_FLOAT,
	PW__P_DOUBLE,
	PW__P_STRING,
	PW__P_BYTES,
	PW__P_FIXED,
	PW__P_ENUM,
	PW__P_ARRAY,
	PW__P_MAP,
	PW__P_RECORD,
	PW__P_UNION,
};

typedef struct pw__plan_field {
	const char *name;
	size_t len;
	char *jkey; /* ",\"name\":" for JSON text (the first field skips
		       the comma) */
	size_t jlen;
	const pw__plan_t *type;
	/* a missing field: its default (NULL: required), conformed as the
	 * type, or a union's first branch (Avro's rule for defaults) */
	const json_t *dflt;
	const pw__plan_t *dtype;
} pw__plan_field_t;

struct pw__plan {
	enum pw__plan_kind kind;
	int ts_ms; /* int/long with logicalType timestamp-millis */
	const json_t *node;
	pw__plan_field_t *fields; /* record */
	size_t nfields;
	const json_t **syms; /* enum symbols (json strings) */
	size_t nsyms;
	const json_t *enum_dflt; /* enum default symbol, or NULL */
	const char *enum_name;	 /* its short name ("Product"), or NULL */
	const pw__plan_t **br;	 /* union branches */
	size_t nbr, nonnull;
	const pw__plan_t *items; /* array items, map values */
	json_int_t size;	 /* fixed */
	pw__plan_t *all;	 /* every node of the plan, from its root */
};


/* What pw__plan_walk() produces. */
typedef enum pw__plan_out {
	PW__OUT_TREE = 0, /* a new conformed json_t (*out) */
	PW__OUT_JSON,	  /* compact JSON text appended to b */
	PW__OUT_AVRO,	  /* Avro binary appended to b */
} pw__plan_out_t;

/* Compiles the normalized tree root (borrowed: must outlive the plan).
 * *out: new (caller frees with pw__plan_free()). Errors: PA_NOMEM,
 * PA_UNSUPPORTED (a node kind the codec does not know). */
pa_err_t pw__plan_compile(const json_t *root, pw__plan_t **out, char *errbuf);
/* NULL is a safe no-op. */
void pw__plan_free(pw__plan_t *plan);

/* Checks `in` against plan in mode (PW__CONFORM_STRICT, _READ or _COMMAND:
 * read, but an enum symbol we do not know is an error) and
 * produces it as `what` says: PW__OUT_TREE sets *out (new reference),
 * the others append to b (out unused; on an error b->len is where it was).
 * JSON text is what json_dumps(conformed, JSON_COMPACT) writes for the
 * conformed tree; Avro binary what pw__avro_write() writes for it.
 * Errors: PA_VALIDATION with the path of the offending value in errbuf
 * (may be NULL), PA_NOMEM. */
pa_err_t pw__plan_walk(const pw__plan_t *plan, const json_t *in, int mode,
		       pw__plan_out_t what, pw__buf_t *b, json_t **out,
		       char *errbuf);

#endif
