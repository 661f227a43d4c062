/* machine.h -- the order rules as a pure function: (state, input) -> (new
 * state, effects).
 * Owns: what a command, a verified webhook, a status poll, a gateway reply
 *       and a timer do to one order: command admission and dead-letter
 *       reasons, gateway calls and their retries, transitions and the
 *       events they publish, poll schedule and the polling deadline, the
 *       worker counters each step moves.
 * Not here: where states are kept and how effects are carried out (the
 *           Kafka shell: kafka/process.c executes, kafka/items.c writes,
 *           kafka/order_table.c holds), the state record and its changelog
 *           form (state.c), event field layout (event.c), what a webhook
 *           record says and whether it lines up with its order
 *           (webhook_trust.c), the gateway protocol (gateway/).
 *
 * The machine reads no clock (now_ms comes in the input), draws no random
 * number (rand comes in the input), calls nobody, and allocates only what
 * its effects own (pw_effects_clear() frees it). The same state and input
 * give the same new state and effects, which is what lets
 * tests/unit/orders/check_machine.c drive it through millions of steps.
 *
 * One unit of work (an "item" of the shell) is fed to the machine input
 * by input: a command is admitted (pw_order_admit), then stepped with its
 * order's state; a step that asks for a gateway call is stepped again
 * with the reply; a step that asks for a retry is stepped again with
 * PW_INPUT_RETRY when its backoff ran out. Each list of effects ends with
 * exactly one of CALL, RETRY, DONE or AGAIN; writes come before it, the
 * event before the state record (docs/architecture.md). */
#ifndef PW_MACHINE_H
#define PW_MACHINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "payatom/error.h"
#include "payatom/status.h"
#include "orders/command.h"
#include "orders/event.h"
#include "orders/state.h"

/* The rules' settings (the worker's options of the same names). */
typedef struct pw_machine_conf {
	int64_t poll_first_ms, poll_max_interval_ms, poll_deadline_ms;
	int64_t retry_base_ms, retry_max_ms;
	int retry_max_attempts;
	/* 1: "report_request" commands are handed to the reports module
	 * (PW_FX_REPORT); 0: they are an unknown type (dead letter) */
	int reports;
	/* 1 when merchant names a configured profile: a read-only question
	 * to the configuration, answered at once. NULL: every merchant. */
	int (*has_merchant)(void *ud, const char *merchant);
	void *has_merchant_ud;
	/* webhook.confirm: PW_CONFIRM_SUCCESS asks the gateway's status API
	 * before a webhook's paid status (Approved, Late Approved, Amount
	 * Mismatch) is published; PW_CONFIRM_NONE (0, the default) believes
	 * one whose received amount lines up with the order */
	int webhook_confirm;
} pw_machine_conf_t;

enum { PW_CONFIRM_NONE, PW_CONFIRM_SUCCESS }; /* webhook.confirm's list */

/* Fills c with the defaults (poll.first 30 s, poll.max.interval 5 min,
 * poll.deadline 24 h, retry 500 ms doubling to 60 s, 8 attempts); the
 * worker's options take theirs from here (pw_worker_opts_default()). */
void pw_machine_conf_default(pw_machine_conf_t *c);

typedef enum pw_call_kind {
	PW_CALL_CREATE,   /* the command (payin, payout) goes to the gateway */
	PW_CALL_FOLLOWUP, /* the command (refund, UTR, complaint) */
	PW_CALL_STATUS,   /* ask the order's status (ref_code or order_id) */
	PW_CALL_CONFIRM,  /* the same request, asked because a webhook is not
			     believed at its word (webhook()): its answer is
			     stepped like a poll's */
} pw_call_kind_t;

/* A gateway answer (the gateway adapter's pw_gw_result_t). Borrowed. */
typedef struct pw_reply {
	/* PA_OK; retryable (timeouts, 5xx, 429); PA_DUPLICATE (an earlier
	 * attempt reached the gateway); other fatal errors (rejected) */
	pa_err_t err;
	pa_status_t status; /* normalized, when raw is not empty */
	const char *raw;    /* raw status, "" or NULL when none */
	const char *ref_code;
	const json_t *details; /* fields for the event; may be NULL */
	int64_t received_minor; /* -1 when unknown */
	const char *message;    /* gateway or transport message; may be NULL */
	/* 1: the call could not be made (the request could not be built,
	 * or no slot): nothing reached the gateway; err says why, message
	 * is the adapter's field-named error */
	int sync;
} pw_reply_t;

typedef enum pw_input_kind {
	PW_INPUT_COMMAND, /* an admitted command: .rec, .ci */
	PW_INPUT_WEBHOOK, /* a verified webhook record: .rec */
	PW_INPUT_POLL,    /* the order's poll is due (.force: even settled) */
	PW_INPUT_REPLY,   /* the answer to the last PW_FX_CALL: .call, .reply */
	PW_INPUT_RETRY,   /* the backoff of the last PW_FX_RETRY ran out */
	PW_INPUT_RESUME,  /* the order was restored with its partition */
} pw_input_kind_t;

typedef struct pw_input {
	pw_input_kind_t kind;
	int64_t now_ms; /* wall clock, epoch ms */
	uint64_t rand;  /* random bits (retry jitter, restart spread) */
	/* 1 when the state passed to pw_order_step() holds an order; 0: it
	 * is zeroed storage the step may initialise (PW_FX_HOLD) */
	int known;
	int32_t partition; /* of the input record (new orders get it) */
	const char *key;   /* order key of the item (the record's key) */
	size_t klen;
	const json_t *rec;        /* COMMAND, WEBHOOK; borrowed */
	const pw_cmd_info_t *ci;  /* COMMAND: from pw_order_admit() */
	/* COMMAND: where its record was read (a create for a known order
	 * is answered unless it is the record that created it) */
	pw_cmd_src_t src;
	int force;                /* POLL */
	pw_call_kind_t call;      /* REPLY, RETRY: the call asked for */
	const pw_reply_t *reply;  /* REPLY */
	/* REPLY, RETRY: retries of this item's follow-up so far (the shell
	 * counts the PW_FX_RETRY effects of the item) */
	int attempts;
} pw_input_t;

typedef enum pw_fx_kind {
	/* writes, in this order when both: */
	PW_FX_PUBLISH,     /* the event of the order's latest transition:
			      .prev_status, .details, .text = reason (NULL) */
	PW_FX_DEAD_LETTER, /* the input record: .reason, .text = message */
	PW_FX_SAVE,        /* the order's state record */
	/* the order's poll timer and the order itself: */
	PW_FX_POLL,        /* (re)arm it to fire in .in_ms */
	PW_FX_POLL_CANCEL, /* disarm it */
	PW_FX_HOLD,        /* keep the order the step initialised */
	PW_FX_FORGET,      /* drop the order: nothing reached the gateway */
	PW_FX_REPORT,      /* hand the command to the reports module */
	PW_FX_LOG,         /* warn: .text about the order */
	/* exactly one of these ends every list: */
	PW_FX_CALL,  /* call the gateway (.call) and step the reply */
	PW_FX_RETRY, /* step PW_INPUT_RETRY (.call) in .in_ms; after
			pw_order_admit: decode the record again and admit it */
	PW_FX_DONE,  /* the input is finished once the writes land */
	PW_FX_AGAIN, /* once the writes land, step the same input again */
} pw_fx_kind_t;

typedef struct pw_effect {
	pw_fx_kind_t kind;
	pw_call_kind_t call;   /* CALL, RETRY */
	int prev_status;       /* PUBLISH: pa_status_t before, -1 first */
	int64_t in_ms;         /* POLL, RETRY */
	const json_t *details; /* PUBLISH: borrowed from the input or owned
				  by the effects; may be NULL */
	const char *reason;    /* DEAD_LETTER: a DeadLetterReason symbol */
	const char *text;      /* PUBLISH reason, DEAD_LETTER message, LOG */
	/* PUBLISH: 1 = the order's current event again, no transition (the
	 * answer to a repeated create: the shell builds it from the state
	 * and the details kept with pw_order_keep_event; nothing to save) */
	int repeat;
} pw_effect_t;

/* What a step adds to the worker's counters (pw_worker_stats_t). */
typedef struct pw_counts {
	uint8_t commands_in, duplicates_suppressed, terminal_events;
	uint8_t unresolved, gw_retries, polls, webhooks_in;
	/* verified webhooks whose order's status is asked from the gateway
	 * instead of being published at the webhook's word, by reason: an
	 * order the worker did not create (or does not hold), a received
	 * amount that does not line up with the order, webhook.confirm */
	uint8_t confirm_unheld, confirm_amount, confirm_setting;
} pw_counts_t;

#define PW_FX_MAX 10

typedef struct pw_effects {
	pw_effect_t fx[PW_FX_MAX];
	int n;
	pw_counts_t counts;
	/* storage the effects' texts and details point into */
	char buf[640];
	size_t used;
	json_t *owned; /* details built by the step (webhook fields) */
} pw_effects_t;

/* Empties fx (and frees what it owns). Call before each step and after
 * the effects were carried out. */
void pw_effects_clear(pw_effects_t *fx);
/* Initialises fx (empty). */
void pw_effects_init(pw_effects_t *fx);

/* A command record as it came from its topic, before its order is
 * known. */
typedef struct pw_admit_in {
	const json_t *rec;      /* decoded; NULL when decoding failed */
	pa_err_t dec_err;       /* why rec is NULL */
	const char *dec_reason; /* its DeadLetterReason (the codec's), or
				   NULL for UNDECODABLE */
	const char *dec_msg;    /* its message; may be NULL */
	int topic;              /* PW_IN_* */
	const char *key;        /* the record's key (order_id) */
	size_t klen;
	int attempts; /* decode retries so far */
	uint64_t rand;
} pw_admit_in_t;

/* Checks a command: decoded, of a known type on its topic, its envelope
 * (pw_cmd_check), its key, its merchant. Returns 1 when it concerns an
 * order: *ci (strings borrowed from in->rec) says which (pw_order_key of
 * ci->kind and the record's key) and the caller steps it with that
 * order's state. Returns 0 when fx holds the command's whole outcome
 * (a dead letter, the hand-over to reports, or a retry of the decode). */
int pw_order_admit(const pw_machine_conf_t *c, const pw_admit_in_t *in,
		   pw_cmd_info_t *ci, pw_effects_t *fx);

/* Key of an order in the state map and the changelog: the order_id, or
 * "complaint:" + order_id for a complaint about that order (it lives
 * beside the payment's own record and shares its partition and gate).
 * Returns its length, 0 when it does not fit in size. */
size_t pw_order_key(int kind, const char *oid, char *buf, size_t size);

/* Applies one input to ord (in/out; zeroed storage when !in->known) and
 * appends the effects to fx. The shell carries the effects out in their
 * order; PUBLISH and SAVE read ord as the step left it. ord's runtime
 * fields (owner, rt) are not touched. */
void pw_order_step(const pw_machine_conf_t *c, pw_order_t *ord,
		   const pw_input_t *in, pw_effects_t *fx);

/* 0 when fx is a list a step may return (one end effect, last; at most
 * one event; an event with its state record after it; no write with a
 * call or a retry); else a message naming the rule broken. For tests. */
const char *pw_effects_check(const pw_effects_t *fx);

/* The retry backoff of attempt (1, 2, ...): retry_base_ms doubled per
 * attempt up to retry_max_ms, jittered into [d/2, d] by rand. */
int64_t pw_machine_backoff(const pw_machine_conf_t *c, int attempt,
			   uint64_t rand);

#endif
