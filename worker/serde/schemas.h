/* schemas.h -- the .avsc files of schemas/, embedded at build time.
 * Owns: listing the embedded schemas, lookup by name, export to a directory.
 * Not here: parsing, canonical form and fingerprints (avro_schema.h),
 *           encoding records (codec.h). The bytes come from the generated
 *           file of schemas/embed.cmake (library pwschemas). */
#ifndef PW_SCHEMAS_H
#define PW_SCHEMAS_H

#include <stddef.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Namespace of every schema of the event contract. */
#define PW_SCHEMA_NAMESPACE "io.payatom.worker"

/* Number of embedded schemas (one per .avsc file of schemas/, sorted by name). */
size_t pw_schemas_count(void);

/* Schema i (< pw_schemas_count()): file name ("payin_command.avsc"), the
 * .avsc text exactly as in the repository (NUL-terminated) and its length.
 * Any output may be NULL. Borrowed (static storage). PA_RANGE when i is out
 * of range. */
pa_err_t pw_schemas_get(size_t i, const char **file, const char **json,
			size_t *len);

/* Record name of schema i derived from its file name ("payin_command.avsc"
 * -> "PayinCommand"; check_schemas verifies it equals the "name" inside)
 * written into buf. PA_RANGE for a bad i or a too small buf. */
pa_err_t pw_schemas_name(size_t i, char *buf, size_t size);

/* Index of the schema called name: the record name ("PaymentStatusEvent"),
 * its full name ("io.payatom.worker.PaymentStatusEvent") or its file name
 * with or without ".avsc". PA_NOT_FOUND when none matches. */
pa_err_t pw_schemas_find(const char *name, size_t *idx);

/* Schema of a JSON record from its discriminator: every command has a
 * "type" field ("payin", "payout", "utr_submit", "status_check", "refund",
 * "complaint_submit", "complaint_status", "report_request") and every event
 * an "event_type" ("payment", "refund", "complaint", "reconciliation",
 * "wallet_report", "dead_letter"), whose default in the .avsc is that value.
 * field is "type" or "event_type". PA_NOT_FOUND when unknown. */
pa_err_t pw_schemas_for_type(const char *field, const char *value,
			     size_t *idx);

/* Entry i of the discriminator table (field "type" or "event_type", its
 * value, the schema name) for listing them; PA_NOT_FOUND past the end.
 * Strings borrowed (static). */
pa_err_t pw_schemas_discriminator(size_t i, const char **field,
				  const char **value, const char **schema);


/* Writes every embedded schema as <dir>/<file>.avsc (dir must exist;
 * existing files are replaced). For `payatom-ctl schemas --export DIR`. */
pa_err_t pw_schemas_export(const char *dir, char *errbuf);

/* Internal: the generated table (schemas/embed.cmake). */
typedef struct pw__schema_src {
	const char *file;
	const char *json;
	size_t len;
} pw__schema_src_t;
extern const pw__schema_src_t pw__schema_srcs[];
extern const size_t pw__schema_src_count;

#ifdef __cplusplus
}
#endif
#endif
