/* event.h -- the records the worker publishes and the commands it reads.
 * Owns: field layout of payment/refund/complaint events and dead letters
 *       (as JSON; the codec turns them into Avro), command checks.
 * Not here: encodings (codec_*.c), when to publish (process.c). */
#ifndef PW_EVENT_H
#define PW_EVENT_H

#include <jansson.h>

#include "pipeline/state.h"
#include "pipeline/worker.h"

#define PW_EVENT_SCHEMA_VERSION 1

/* Event for ord's latest transition (ord->seq, ord->status). details
 * (borrowed, may be NULL) adds gateway fields; reason may be NULL.
 * *topic gets the topic it belongs to. New reference. */
json_t *pw_event_build(const pw_order_t *ord, const json_t *details,
		       const char *reason, const char **topic,
		       const pw_worker_opts_t *o);

/* Dead letter for an unprocessable record. New reference. */
json_t *pw_dead_letter_build(const char *topic, int32_t partition,
			     int64_t offset, const char *key,
			     const void *raw, size_t raw_len,
			     const char *reason, const char *message);

typedef enum pw_cmd_op {
	PW_OP_CREATE,   /* payin, payout: a new order at the gateway */
	PW_OP_STATUS,   /* status check on demand */
	PW_OP_FOLLOWUP, /* refund, UTR submission, complaint */
} pw_cmd_op_t;

typedef struct pw_cmd_info {
	pw_cmd_op_t op;
	int kind; /* pw_kind_t */
	const char *type, *merchant, *order_id, *product, *currency;
	int64_t amount_minor;
} pw_cmd_info_t;

/* Checks the envelope every command shares (type, merchant, order_id,
 * amount for creates) and that it came on the right topic (topic is
 * PW_IN_*). Product fields are checked by libpayatom's builders. Strings
 * in ci are borrowed from cmd. */
pa_err_t pw_cmd_check(const json_t *cmd, int topic, pw_cmd_info_t *ci,
		      char *errbuf);

#endif
