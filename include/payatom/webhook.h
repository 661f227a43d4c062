/* webhook.h -- gateway callbacks (spec §5) and polling answers (§6).
 * Owns: parsing a callback/poll body into pa_txn_update_t, verifying its
 *       post_hash against every documented amount variant (§12.1), the
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
/* Longest amount text accepted (longer: PA_PARSE). */
#define PA_AMOUNT_TEXT_MAX 40

/* spec §12.1: which amount field a post_hash is tried with first. Every
 * documented variant is tried either way; this only orders them. */
typedef enum pa_amount_pref {
	PA_AMOUNT_PREF_RECEIVED = 0, /* received_amount first (default) */
	PA_AMOUNT_PREF_REQUESTED     /* amount / requested_amount first */
} pa_amount_pref_t;

/* The amount text that made md5(order_id . <amount> . status . secret)
 * match (spec §3.2, §12.1). */
typedef enum pa_hash_variant {
	PA_HASH_NONE = 0,	  /* not verified (yet) */
	PA_HASH_RECEIVED_AS_SENT, /* received_amount exactly as sent */
	PA_HASH_RECEIVED_PHP,	  /* received_amount printed like PHP ("12.5") */
	PA_HASH_RECEIVED_2DP,	  /* received_amount with 2 decimals */
	PA_HASH_AMOUNT_AS_SENT,	  /* older single "amount" field ([P] 2023) */
	PA_HASH_AMOUNT_PHP,
	PA_HASH_REQUESTED_AS_SENT, /* requested_amount (older "amount" form) */
	PA_HASH_REQUESTED_PHP
} pa_hash_variant_t;

/* An amount field: text as the gateway sent it (JSON numbers rendered as
 * their shortest decimal text, as PHP prints them) and its value. */
typedef struct pa_amount_field {
	int present;		/* the key was in the body */
	int valid;		/* text parsed as a money amount */
	char text[PA_AMOUNT_TEXT_MAX + 1];
	int64_t minor;		/* valid only when valid */
} pa_amount_field_t;

/* refund_info (§5, §6 [P]); an empty array [] (as in the doc sample of a
 * status without refund) means "none". */
typedef struct pa_refund_info {
	const char *refunded_upi, *refund_initiated_time,
		*refund_completed_time, *refund_status, *refund_notes;
	pa_amount_field_t refund_amount;
} pa_refund_info_t;

/* One status update from a callback or a poll. Strings are borrowed (valid
 * until pa_txn_update_clear()), NULL when absent. */
typedef struct pa_txn_update {
	const char *order_id, *ref_code, *status_raw, *post_hash, *bank_ref,
		*sender_upi, *upi_id;
	pa_status_t status; /* pa_status_from_raw(status_raw) */
	pa_amount_field_t requested_amount, received_amount, amount;
	int webhook_acknowledged; /* 0/1, -1 when absent */
	int has_refund_info;
	pa_refund_info_t refund;
	pa_hash_variant_t hash_variant; /* set by pa_txn_update_verify */
	void *json_;			/* private */
} pa_txn_update_t;

/* Parses a callback body: bounded by len (no NUL needed; an embedded NUL is
 * PA_PARSE), at most PA_WEBHOOK_MAX_BODY (PA_TOO_BIG). Requires a JSON
 * object with string order_id and status (a post_hash is checked by
 * pa_txn_update_verify); duplicate keys are refused (PA_PARSE: which one
 * would the hash cover?); a body with
 * "status":"error" is classified like any gateway error (api.h).
 * On PA_OK upd is filled (clear with pa_txn_update_clear); on error upd is
 * left cleared. */
pa_err_t pa_webhook_parse(const uint8_t *body, size_t len,
			  pa_txn_update_t *upd, char *errbuf);

/* Verifies upd->post_hash: pa_open() with sec, then a constant-time compare
 * with md5(order_id . A . status . secret) for every amount text A of
 * received_amount, amount and requested_amount (as sent, PHP-printed,
 * 2-decimals), in the order pref gives. The amount/requested_amount forms
 * count only when received_amount is absent or has the same value (a hash
 * must cover the amount that is acted on). Sets upd->hash_variant on PA_OK.
 * Errors: PA_HASH_MISMATCH (no variant matches, post_hash missing, or the
 * blob does not open: MAC/padding/base64 errors are reported as mismatch
 * with the cause in errbuf). */
pa_err_t pa_txn_update_verify(const pa_secret_t *sec, pa_amount_pref_t pref,
			      pa_txn_update_t *upd, char *errbuf);

/* The amount to act on (spec §4, §12.2): received_amount when valid, else
 * amount, else requested_amount. 0 when none is valid. */
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
