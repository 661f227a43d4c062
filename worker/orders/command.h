/* command.h -- what an order keeps of the command that created it, and
 *              how a later create for the same order_id is told apart
 *              (docs/events.md "Repeated commands").
 * Owns: the command part of an order's ext (command_id, metadata, trace
 *       context, where the record was read, a digest of each content
 *       field), the comparison of a create with it (redelivered record,
 *       same content, different content and which fields), the current
 *       event's details an answer needs again.
 * Not here: the ext's storage (state.c), what the machine does with the
 *           answer (machine.c), event layout (event.c).
 *
 * Pure functions of their inputs: no clock, no I/O. */
#ifndef PW_COMMAND_H
#define PW_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "payatom/error.h"
#include "orders/state.h"

/* Where a command record was read: input topic (PW_IN_*), partition,
 * offset. offset < 0: unknown (the answer can then only compare
 * content). */
typedef struct pw_cmd_src {
	int topic;
	int32_t partition;
	int64_t offset;
} pw_cmd_src_t;

/* Keeps in ord's ext what the create command rec (borrowed, decoded) that
 * made the order leaves there: "cid" its command_id, "md" its metadata,
 * "tp"/"ts" the trace context of its record (each may be NULL or ""),
 * "src" [topic, partition, offset], "fh" a digest of each content field
 * (every field but type, command_id, order_id, created_at and the ones
 * the state keeps itself: merchant, product, amount_minor, currency).
 * Errors: PA_NOMEM (ord->ext unchanged). */
pa_err_t pw_order_keep_command(pw_order_t *ord, const json_t *rec,
			       const pw_cmd_src_t *src, const char *tp,
			       const char *ts);

typedef enum pw_cmd_match {
	PW_CMD_UNKNOWN = 0,  /* the order keeps no command to compare with
				(created by a webhook, or by a worker before
				this rule) */
	PW_CMD_REDELIVERED,  /* the very record that created the order */
	PW_CMD_SAME,         /* another record, same content */
	PW_CMD_DIFFERENT,    /* another record, other content */
} pw_cmd_match_t;

/* Compares the create command rec, read at src (may be NULL), with the
 * one that created ord (kind: PW_KIND_PAYIN or PW_KIND_PAYOUT, of rec).
 * DIFFERENT: diff gets the names of the fields that differ, ", "
 * separated and cut to size ("amount_minor, customer"); never values. */
pw_cmd_match_t pw_order_match_command(const pw_order_t *ord, int kind,
				      const json_t *rec,
				      const pw_cmd_src_t *src, char *diff,
				      size_t size);

/* Follow-ups (refund, UTR submission, complaint submit) an order accepted
 * are kept under their command_id (ext "fu": a digest of each field but
 * the envelope ids, and where the record was read), the newest
 * PW_FOLLOWUPS_KEPT of them: a command_id seen again is then answered
 * instead of calling the gateway a second time. rec without a command_id:
 * nothing kept. Errors: PA_NOMEM (ext unchanged). */
#define PW_FOLLOWUPS_KEPT 8
pa_err_t pw_order_keep_followup(pw_order_t *ord, const json_t *rec,
				const pw_cmd_src_t *src);
/* Compares the follow-up rec, read at src, with the one the order
 * accepted under the same command_id: UNKNOWN when none (a new follow-up:
 * call the gateway), else as pw_order_match_command(). */
pw_cmd_match_t pw_order_match_followup(const pw_order_t *ord,
				       const json_t *rec,
				       const pw_cmd_src_t *src, char *diff,
				       size_t size);

/* Keeps in ord's ext the details of the event ev (borrowed, built for
 * ord's latest transition) that are not in the state record -- payment
 * link, QR code, wallet id, redirect URL, intents, bank reference,
 * amounts, refund, reason -- as "d", so the same event can be built again
 * (pw_order_event_details); removes an earlier "d" when ev has none.
 * Errors: PA_NOMEM (ext unchanged). */
pa_err_t pw_order_keep_event(pw_order_t *ord, const json_t *ev);

/* The details kept by pw_order_keep_event, as pw_event_build takes them;
 * NULL when none. New reference. */
json_t *pw_order_event_details(const pw_order_t *ord);

#endif
