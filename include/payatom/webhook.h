/* webhook.h -- gateway callbacks (spec §5) and polling answers (§6).
 * Owns: parsing a callback/poll body into pa_txn_update_t as the gateway's
 *       PHP reads it, verifying its post_hash against every documented
 *       amount variant (§12.1), whether it can be acted on, the
 *       acknowledgement body.
 * Not here: the HTTP listener (core/http.c, ingress/webhook_ingress.c),
 *           building the poll request (api.h), seal/open (crypto.h). */
#ifndef PAYATOM_WEBHOOK_H
#define PAYATOM_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/crypto.h"
#include "payatom/error.h"
#include "payatom/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bodies larger than this are refused with PA_TOO_BIG before parsing. A real
 * callback is well under 2 KiB. */
#define PA_WEBHOOK_MAX_BODY (64 * 1024)
/* Longest text that can be a money amount (a longer one is still hashed
 * as it is, but valid = 0). */
#define PA_AMOUNT_TEXT_MAX 40
/* Deepest nesting of arrays/objects json_decode() accepts with its default
 * depth of 512; a deeper body is no JSON to the docs' PHP (PA_PARSE). */
#define PA_WEBHOOK_MAX_DEPTH 511

/* spec §12.1: which amount field a post_hash is tried with first. Every
 * documented variant is tried either way; this only orders them. */
typedef enum pa_amount_pref {
	PA_AMOUNT_PREF_RECEIVED = 0, /* received_amount first (default) */
	PA_AMOUNT_PREF_REQUESTED     /* amount / requested_amount first */
} pa_amount_pref_t;

/* The amount text that made md5(order_id . <amount> . status . secret)
 * match (spec §3.2, §12.1). "AS_SENT" is the field's PHP text: exactly
 * what the docs' PHP concatenates (pa_amount_field_t.text). */
typedef enum pa_hash_variant {
	PA_HASH_NONE = 0,	  /* not verified (yet) */
	PA_HASH_RECEIVED_AS_SENT, /* received_amount's PHP text (the docs' form;
				     "" when absent or null) */
	PA_HASH_RECEIVED_PHP,	  /* its number printed like PHP ("12.50" sent,
				     "12.5" hashed: [I]) */
	PA_HASH_RECEIVED_2DP,	  /* its number with 2 decimals ("100.00") */
	PA_HASH_AMOUNT_AS_SENT,	  /* older single "amount" field ([P] 2023) */
	PA_HASH_AMOUNT_PHP,
	PA_HASH_REQUESTED_AS_SENT, /* requested_amount (older "amount" form) */
	PA_HASH_REQUESTED_PHP
} pa_hash_variant_t;

/* "received_as_sent", ...: a stable name for logs and tests. Borrowed
 * (static), never NULL ("unknown" out of range). */
const char *pa_hash_variant_name(pa_hash_variant_t v);

/* An amount field as PHP reads it (spec §3.2, §5, §12.1). */
typedef struct pa_amount_field {
	int present; /* in the body with a value other than null */
	int valid;   /* a string or number whose text is a money amount
		      * (pa_money_parse: "100", "12.5", "100.00") */
	/* What PHP's string conversion gives, i.e. what the docs' PHP
	 * concatenates into the hash (pa_php_strval): a string as sent, an
	 * integer as its digits, a real with 14 significant digits (100.00
	 * -> "100", 1e2 -> "100", 0.1+0.2 -> "0.3", 1e15 -> "1.0E+15"),
	 * "" when absent or null. Borrowed (valid until
	 * pa_txn_update_clear()), never NULL once parsed, NUL-terminated,
	 * but may hold NUL bytes (a JSON "\u0000"): text_len is its length. */
	const char *text;
	size_t text_len;
	int64_t minor; /* the value of text; only when valid */
} pa_amount_field_t;

/* refund_info (§5, §6 [P]); an empty array [] (as in the doc sample of a
 * status without refund) means "none", and so does any other value that
 * is not an object. */
typedef struct pa_refund_info {
	const char *refunded_upi, *refund_initiated_time,
		*refund_completed_time, *refund_status, *refund_notes;
	pa_amount_field_t refund_amount;
} pa_refund_info_t;

/* One status update from a callback or a poll. Strings are borrowed (valid
 * until pa_txn_update_clear()). order_id and status_raw are the PHP texts
 * of those fields (what the hash covers: a numeric order_id 12345 is
 * "12345"), "" when absent, never NULL once parsed; their lengths count
 * NUL bytes a JSON "\u0000" put inside. The other strings are NULL when
 * absent or not JSON strings. */
typedef struct pa_txn_update {
	const char *order_id, *ref_code, *status_raw, *post_hash, *bank_ref,
		*sender_upi, *upi_id;
	size_t order_id_len, status_len, post_hash_len;
	pa_status_t status; /* pa_status_from_raw(status_raw) */
	pa_amount_field_t requested_amount, received_amount, amount;
	int webhook_acknowledged; /* 0/1; -1 when absent or not a number */
	int has_refund_info;
	pa_refund_info_t refund;
	pa_hash_variant_t hash_variant; /* set by pa_txn_update_verify */
	void *json_, *texts_;		/* private */
} pa_txn_update_t;

/* Parses a callback body or a poll answer as the docs' PHP reads it
 * (json_decode($body, true)): bounded by len (no NUL needed; a raw NUL
 * byte is PA_PARSE, as it is no JSON), at most PA_WEBHOOK_MAX_BODY
 * (PA_TOO_BIG). It must be a JSON object nested at most
 * PA_WEBHOOK_MAX_DEPTH deep (PA_PARSE otherwise: json_decode() gives null,
 * so the docs' PHP never verifies such a body either). Fields are read as
 * PHP reads them: a key given twice counts with its last value; strings may
 * hold "\u0000"; order_id, status and the amounts may have any JSON type
 * (see pa_txn_update_t, pa_amount_field_t); a field that is not hashed
 * never makes the body fail (refund_info or webhook_acknowledged of an
 * unexpected type is ignored). Whether the update can be acted on is
 * pa_txn_update_usable()'s question, after verification.
 * An integer beyond 64 bits or a real beyond double range is PA_PARSE
 * too (deliberate, see api.h D4: PHP's json_encode() writes neither).
 * A body with "status":"error" and no post_hash is the gateway's error
 * reply and is classified like any (api.h).
 * On PA_OK upd is filled (clear with pa_txn_update_clear); on error upd is
 * left cleared. */
pa_err_t pa_webhook_parse(const uint8_t *body, size_t len,
			  pa_txn_update_t *upd, char *errbuf);

/* Verifies upd->post_hash as the docs' PHP does, plus the documented older
 * forms (spec §3.2, §5, §12.1): pa_open() with sec (post_hash decoded as
 * PHP's non-strict base64_decode() does), then a constant-time compare of
 * the plaintext with md5(order_id . A . status . secret) for every amount
 * text A: received_amount's PHP text (the docs' form, "" when absent or
 * null), its number printed like PHP and with 2 decimals, then the same of
 * amount and requested_amount, in the order pref gives. The amount and
 * requested_amount forms count only when they cover what is acted on:
 * received_amount is absent/null/"" or has the same value. Sets
 * upd->hash_variant on PA_OK.
 * Errors: PA_UNHASHED_AMOUNT when the only form that matches is `amount`
 * as sent while received_amount holds another value (the docs' PHP
 * accepts that with the Feb-2023 form; we refuse on purpose, api.h D1);
 * PA_HASH_MISMATCH otherwise (no form matches, post_hash
 * missing, or the blob does not open: MAC/padding/length errors are
 * reported as mismatch with the cause in errbuf). */
pa_err_t pa_txn_update_verify(const pa_secret_t *sec, pa_amount_pref_t pref,
			      pa_txn_update_t *upd, char *errbuf);

/* Whether a (verified) update can be acted on: order_id a JSON string or
 * integer with a non-empty text and no NUL, status a non-empty JSON string
 * with no NUL. PA_OK, or PA_PARSE naming the field ("order_id: ..."). The
 * docs' PHP would accept a hash over an empty order_id; there is no order
 * to apply it to (api.h D3). */
pa_err_t pa_txn_update_usable(const pa_txn_update_t *upd, char *errbuf);

/* The amount to act on (spec §4, §12.2). Once verified: the value of the
 * field whose text the hash covers, none when that text is not an amount
 * (a Pending callback hashed with an empty received_amount has none).
 * Before verification: received_amount when valid, else amount, else
 * requested_amount. Returns 1 and sets *minor, or 0 when there is none. */
int pa_txn_update_amount(const pa_txn_update_t *upd, int64_t *minor);

/* NULL is a safe no-op; safe on a zeroed or already cleared update. */
void pa_txn_update_clear(pa_txn_update_t *upd);

/* The acknowledgement body (spec §5): {"hash_status":"HashMatched"|
 * "HashMismatch","acknowledge":"yes"|"no"}. The [P] prose shows
 * "Hash Matched" but its PHP sample (and design.md) write "HashMatched";
 * we send the code's form. Content type: PA_WEBHOOK_ACK_CONTENT_TYPE.
 * Borrowed (static), never NULL. */
const char *pa_webhook_ack_body(int hash_matched, int acknowledge);
#define PA_WEBHOOK_ACK_CONTENT_TYPE "application/json; charset=utf-8"

#ifdef __cplusplus
}
#endif
#endif
