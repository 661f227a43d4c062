/* codec.h -- records of the event contract to bytes and back.
 * Owns: the three framings (Confluent, single-object, JSON), their
 *       detection on input, choosing writer/reader schemas, the operator's
 *       decoding helpers (tail lines, dead-letter display).
 * Not here: the schema files (schemas.h), schema model (avro_schema.h),
 *           registry HTTP (registry.h), topics and Kafka (pipeline).
 *
 * Records are Jansson objects in "plain JSON": field names as in the .avsc,
 * ["null",T] unions as null or the bare T value (not Avro-JSON's
 * {"string": ...} wrapping), enums as symbol strings, bytes as base64
 * strings, timestamp-millis as integer milliseconds (an ISO-8601 UTC string
 * is accepted on input), long amounts as integers. serialization=json
 * writes exactly this object (fields in schema order, defaults filled in).
 *
 * Framings (first bytes decide on input):
 *   0x00 + 4-byte big-endian schema id + Avro binary   Confluent (registry)
 *   0xC3 0x01 + 8-byte little-endian CRC-64-AVRO of the writer schema's
 *     Parsing Canonical Form + Avro binary            Avro single-object
 *   '{' (after optional whitespace)                    JSON
 *
 * A codec is not thread-safe; one per thread. */
#ifndef PW_CODEC_H
#define PW_CODEC_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"
#include "serde/registry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pw_serialization {
	PW_SER_AVRO = 0, /* default: Confluent with a registry, else single-object */
	PW_SER_JSON,
} pw_serialization_t;

typedef enum pw_framing {
	PW_FRAMING_UNKNOWN = 0,
	PW_FRAMING_CONFLUENT,
	PW_FRAMING_SINGLE_OBJECT,
	PW_FRAMING_JSON,
} pw_framing_t;

/* Registry subject of a record written to a topic. Several record types
 * share some topics (follow-up commands on payatom.cmd.payin, corrections
 * on payatom.evt.payment, two report records on payatom.evt.report), which
 * TopicNameStrategy cannot hold under one compatibility rule. AUTO keeps
 * TopicNameStrategy (<topic>-value) for each topic's main record and uses
 * TopicRecordNameStrategy (<topic>-<full name>) for the records that share
 * it. Same order as the config enum. */
typedef enum pw_subject_strategy {
	PW_SUBJECT_AUTO = 0,
	PW_SUBJECT_TOPIC = 1,
	PW_SUBJECT_TOPIC_RECORD = 2
} pw_subject_strategy_t;

typedef struct pw_codec_conf {
	pw_serialization_t serialization;
	/* Borrowed (must outlive the codec); NULL: no registry (Avro output is
	 * single-object; Confluent input cannot be decoded). */
	pw_registry_t *registry;
	pw_subject_strategy_t subject_strategy; /* 0 = AUTO */
} pw_codec_conf_t;

typedef struct pw_codec pw_codec_t;

/* Parses every embedded schema. *out: new (caller frees with
 * pw_codec_destroy()). Errors: PA_PARSE if an embedded schema is broken. */
pa_err_t pw_codec_new(const pw_codec_conf_t *conf, pw_codec_t **out,
		      char *errbuf);
/* NULL is a safe no-op. */
void pw_codec_destroy(pw_codec_t *codec);

/* The serialization it writes (PW_SER_AVRO or PW_SER_JSON). */
pw_serialization_t pw_codec_serialization(const pw_codec_t *codec);

/* Makes another writer schema known to single-object decoding (e.g. an
 * earlier version of one of ours, so records written before an upgrade still
 * decode). Records are then resolved to our schema of the same full name. */
pa_err_t pw_codec_add_schema(pw_codec_t *codec, const char *json, size_t len,
			     char *errbuf);

/* pw_codec_add_schema() for every *.avsc file in dir (not recursive), e.g.
 * the released versions an operator keeps for decoding old single-object
 * records. Errors: PA_IO (dir or file unreadable), parse errors naming the
 * file. */
pa_err_t pw_codec_add_schema_dir(pw_codec_t *codec, const char *dir,
				 char *errbuf);

/* With a registry: registers (or looks up) schema under "<topic>-value" now,
 * so that encoding never blocks later. No-op without a registry. */
pa_err_t pw_codec_prepare(pw_codec_t *codec, const char *topic,
			  const char *schema, char *errbuf);

/* Encodes rec (plain JSON, borrowed) as schema ("PaymentStatusEvent", full
 * name or file name, schemas.h) in the configured framing. schema NULL: the
 * schema named by the record's "type" (commands) or "event_type" (events),
 * as `payatom-ctl send` needs. topic is needed
 * only for Confluent framing (subject "<topic>-value"); may be NULL
 * otherwise. rec is checked strictly: unknown fields, missing required
 * fields, wrong types and unknown enum symbols are PA_VALIDATION with the
 * path in errbuf ("customer.email: expected string, got integer").
 * *out: new (caller frees with free()), *len its length; not valid unless
 * PA_OK. Other errors: PA_NOT_FOUND (no such schema), registry errors. */
pa_err_t pw_codec_encode(pw_codec_t *codec, const char *topic,
			 const char *schema, const json_t *rec, uint8_t **out,
			 size_t *len, char *errbuf);

/* Decodes bytes in any framing. expect (may be NULL): the schema the caller
 * wants (e.g. from the topic); a record of another schema is then
 * PA_VALIDATION. JSON input needs no schema id: with expect it is read as
 * that schema (unknown fields ignored), without it the one embedded schema
 * it matches exactly is used. Avro input is resolved from the writer schema
 * to our schema of the same full name (new fields get defaults, removed ones
 * are dropped, unknown enum symbols take the enum default).
 * *rec: new reference; *schema_name (may be NULL): record name, borrowed
 * (valid until pw_codec_destroy()). Not valid unless PA_OK.
 * Errors, all with a precise message (byte offset, path, id, fingerprint):
 *   PA_PARSE      undecodable bytes (unknown framing, truncated, bad JSON)
 *   PA_NOT_FOUND  unknown writer schema (fingerprint or registry id)
 *   PA_VALIDATION decoded but not a valid record of the expected schema
 *   PA_CONNECT / PA_TIMEOUT / PA_HTTP_5XX  registry unreachable: retry,
 *                 do not dead-letter */
pa_err_t pw_codec_decode(pw_codec_t *codec, const char *expect,
			 const uint8_t *buf, size_t len, json_t **rec,
			 const char **schema_name, char *errbuf);

/* DeadLetter "reason" symbol for a pw_codec_decode() failure: PA_PARSE ->
 * "UNDECODABLE", PA_NOT_FOUND -> "UNKNOWN_SCHEMA", PA_VALIDATION ->
 * "VALIDATION"; NULL for retryable errors (registry unreachable: retry, do
 * not dead-letter) and for PA_OK. Borrowed (static). */
const char *pw_codec_dlq_reason(pa_err_t err);

/* An ISO-8601 UTC timestamp as the codec reads timestamp-millis fields
 * ("2026-11-26T11:20:00Z", optional .fff and +hh:mm offset) -> epoch ms.
 * Errors: PA_VALIDATION. */
pa_err_t pw_codec_time_ms(const char *iso8601, int64_t *ms);

/* Framing of buf judged from its first bytes only. */
pw_framing_t pw_codec_detect(const uint8_t *buf, size_t len);
/* "confluent", "single-object", "json", "unknown". Borrowed (static). */
const char *pw_framing_name(pw_framing_t f);

/* One `payatom-ctl tail` line for a consumed record: a compact JSON object
 * {"topic","partition","offset","framing","schema","value"} or, when the
 * record does not decode, {"topic","partition","offset","framing","error",
 * "error_name","raw_base64"}. topic may be NULL. *line: new NUL-terminated
 * without newline (caller frees with free()). Fails only on PA_NOMEM. */
pa_err_t pw_codec_tail_line(pw_codec_t *codec, const char *topic,
			    int32_t partition, int64_t offset,
			    const uint8_t *buf, size_t len, char **line);

/* `payatom-ctl dlq show`: decodes a DeadLetter record and the original
 * bytes it carries. *out: new reference (caller decrefs) shaped
 * {"dead_letter": {...DeadLetter without "payload"...},
 *  "original": {"framing","schema","value"} or {"framing","error"},
 *  "payload_base64": "..."}. Errors: as pw_codec_decode for the outer
 * record (PA_VALIDATION when it is not a DeadLetter). */
pa_err_t pw_codec_dlq_show(pw_codec_t *codec, const uint8_t *buf, size_t len,
			   json_t **out, char *errbuf);

#ifdef __cplusplus
}
#endif
#endif
