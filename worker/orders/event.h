/* event.h -- the records the worker publishes and the commands it reads.
 * Owns: field layout of payment/refund/complaint events and dead letters
 *       (plain JSON records of the schemas/ .avsc files, codec.h; the codec turns
 *       them into Avro), the Product table of the event contract, command
 *       checks.
 * Not here: encodings (codec_*.c), when to publish (process.c), request
 *           building per product (libpayatom, the gateway adapter). */
#ifndef PW_EVENT_H
#define PW_EVENT_H

#include <jansson.h>

#include "payatom/api.h"
#include "orders/state.h"

#define PW_EVENT_SCHEMA_VERSION 2

/* Input topics, co-partitioned: the same partition number of each holds
 * the same order_ids (design.md §2). A command is checked against the one
 * it came on (pw_cmd_check). */
enum { PW_IN_PAYIN, PW_IN_PAYOUT, PW_IN_COMPLAINT, PW_IN_WEBHOOK, PW_IN_N };

/* The topics events go to (the worker's topic.evt.* options). Borrowed. */
typedef struct pw_event_topics {
	const char *payment, *refund, *complaint;
} pw_event_topics_t;

/* Schema (record) names of what the worker publishes. */
#define PW_SCHEMA_PAYMENT "PaymentStatusEvent"
#define PW_SCHEMA_REFUND "RefundStatusEvent"
#define PW_SCHEMA_COMPLAINT "ComplaintStatusEvent"
#define PW_SCHEMA_DEAD_LETTER "DeadLetter"

/* One symbol of the schemas' Product enum and what it means for
 * libpayatom (include/payatom/api.h). Static storage. */
typedef struct pw_product {
	const char *name;     /* "PAYIN_UPI_P2C_SEAMLESS" */
	int kind;             /* pw_kind_t: PW_KIND_PAYIN or PW_KIND_PAYOUT */
	const char *country;  /* Country symbol: "IN", "BD", "PK" */
	const char *currency; /* ISO 4217 of its amounts */
	pa_flow_t flow;       /* payins */
	pa_party_t party;     /* payins (and the P2P/P2C of payouts) */
	pa_channel_t channel; /* payins */
	pa_payout_mode_t payout_mode; /* payouts */
} pw_product_t;

/* The product called name (a Product symbol, exact case); NULL when
 * unknown (including the schema's "UNKNOWN"). Borrowed (static). */
const pw_product_t *pw_product_find(const char *name);

/* Event for ord's latest transition (ord->seq, ord->status). prev_status
 * is the pa_status_t before it, or -1 for the first event of the order.
 * details (borrowed, may be NULL) adds gateway fields the schema knows
 * (others are dropped); reason may be NULL. *topic gets the topic it
 * belongs to. The record validates against the schema pw_event_schema()
 * names. New reference. */
json_t *pw_event_build(const pw_order_t *ord, int prev_status,
		       const json_t *details, const char *reason,
		       const char **topic, const pw_event_topics_t *tp);

/* What caused an event (schema_version 2: EventCause, docs/events.md). */
typedef enum pw_cause_kind {
	PW_CAUSE_OTHER = 0,
	PW_CAUSE_COMMAND,  /* a command; command_id names it */
	PW_CAUSE_WEBHOOK,  /* a verified webhook; id names its record */
	PW_CAUSE_POLL,     /* a status poll; id names it */
	PW_CAUSE_DEADLINE, /* poll.deadline passed */
} pw_cause_kind_t;

typedef struct pw_cause {
	pw_cause_kind_t kind;
	const char *command_id; /* COMMAND; borrowed */
	/* WEBHOOK: "<topic>:<partition>:<offset>" of the verified webhook
	 * record; POLL: "<order_id>:poll:<n>"; borrowed */
	const char *id;
} pw_cause_t;

/* EventCause symbol of kind ("COMMAND", ...). Borrowed (static). */
const char *pw_cause_name(pw_cause_kind_t kind);

/* Adds to ev (a record of pw_event_build for ord) what caused it -- cause,
 * cause_id, and for a payment event command_id (refund and complaint
 * events name their command already) -- and the order's metadata (the
 * "md" of ord->ext). cause NULL: OTHER. */
void pw_event_add_cause(json_t *ev, const pw_order_t *ord,
			const pw_cause_t *cause);

/* Adds the metadata of ord (may be NULL) to a dead letter whose command
 * gave none (a follow-up for the order). */
void pw_dead_letter_add_order(json_t *dl, const pw_order_t *ord);

/* Schema name (PW_SCHEMA_*) of a record built here, from its event_type;
 * NULL for anything else. Borrowed (static). */
const char *pw_event_schema(const json_t *ev);

/* DeadLetter record for an unprocessable record. key (klen bytes) and raw
 * may be NULL; reason is a DeadLetterReason symbol; error_name (may be
 * NULL) pa_err_name() of the error; rec (borrowed, may be NULL) the decoded
 * record, for order_id, merchant, command_id and metadata (when within its
 * bounds). event_id is derived from topic, partition, offset and key. New
 * reference. */
json_t *pw_dead_letter_build(const char *topic, int32_t partition,
			     int64_t offset, const char *key, size_t klen,
			     const void *raw, size_t raw_len,
			     const char *reason, const char *error_name,
			     const char *message, const json_t *rec);

/* Bounds of a command's metadata (PayinCommand.metadata, docs/events.md):
 * keys, characters of a key, characters of a value (Unicode code
 * points). */
#define PW_META_MAX_KEYS 20
#define PW_META_MAX_KEY 40
#define PW_META_MAX_VALUE 500

/* PA_OK when meta (borrowed; NULL or null: none) is a map of strings
 * within the bounds above; otherwise PA_VALIDATION with a message naming
 * "metadata", the key and the bound (never a value). */
pa_err_t pw_metadata_check(const json_t *meta, char *errbuf);

typedef enum pw_cmd_op {
	PW_OP_CREATE,   /* payin, payout: a new order at the gateway */
	PW_OP_STATUS,   /* status check on demand */
	PW_OP_FOLLOWUP, /* refund, UTR submission, complaint */
} pw_cmd_op_t;

typedef struct pw_cmd_info {
	pw_cmd_op_t op;
	int kind; /* pw_kind_t */
	const char *type, *merchant, *order_id, *product, *currency;
	const pw_product_t *prod; /* creates: the product; else NULL */
	int64_t amount_minor;
} pw_cmd_info_t;

/* Checks the envelope every command shares (type, merchant, order_id,
 * amount, product and metadata bounds for creates: a Product symbol of the
 * command's direction whose country and currency agree with the
 * command's) and that
 * it came on the right topic (topic is PW_IN_*). Product fields are
 * checked by libpayatom's builders. ci->currency defaults to the
 * product's. Strings in ci are borrowed from cmd or static. */
pa_err_t pw_cmd_check(const json_t *cmd, int topic, pw_cmd_info_t *ci,
		      char *errbuf);

#endif
