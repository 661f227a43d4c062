/* api.h -- typed requests and replies for every PayAtom endpoint.
 * Owns: the merchant profile, request validation (spec §2.2, §8-§10), the
 *       request builders (-> pa_request_t), reply parsers and the
 *       classification of gateway error replies (spec §2.3).
 * Not here: sending (client.h), webhooks (webhook.h), hash/seal formulas
 *           (crypto.h), statuses (status.h).
 *
 * Conventions
 *  - Builders validate first and build nothing on error: PA_VALIDATION with
 *    errbuf "<field>: <reason> (spec §N)". On PA_OK *out is new (caller frees
 *    with pa_request_destroy()).
 *  - Amounts are int64 minor units (1/100 of INR/BDT/PKR). Every product
 *    wants whole units (spec §2.2, §12.7): paise are rejected, and the amount
 *    is sent as a JSON integer of major units (the documented type).
 *  - Parsers take the raw reply body (length-bounded, not NUL-terminated) and
 *    classify {"status":"error","message":m} whatever the HTTP status was:
 *    PA_DUPLICATE, PA_NOT_FOUND, PA_LIMIT, PA_AUTH or PA_GATEWAY, with m in
 *    errbuf (see pa_api_classify_message). Bodies with duplicate keys or an
 *    embedded NUL are PA_PARSE. Results hold borrowed strings
 *    valid until their _clear() function; _clear() on a zeroed or cleared
 *    result is a safe no-op. Not valid unless PA_OK is returned.
 *
 * Assumptions where the spec says NOT FOUND (§13) -- the sandbox does the
 * same (see each builder for details):
 *  A1 UTR submit: POST /api/collection_utr.php, body {pid, ref_code, order_id,
 *     utr, post_hash = seal(md5(ref_code . utr . pid . secret))}.
 *  A2 Payout status: POST /payout/api/status_polling.php, same body as payin
 *     polling; reply has the payin polling shape.
 *  A3 Refund: POST /api/refund.php {ref_code, pid, post_hash =
 *     seal(md5(ref_code . pid . secret)), amount (optional)} ([P] Jul-2023).
 *  A4 Complaint signature: pa_sign_complaint_sha256() (sign.h) with the
 *     merchant's complaint_sig layout, default sha256_hex(pid . order_id .
 *     ref_code . secret). View: POST /api/complaint/view_complaint.php
 *     {pid, complaint_id, signature = sha256_hex(pid . complaint_id .
 *     secret)} (layout 1: pid . secret . complaint_id).
 *  A5 V1 status polling path /api/status_polling.php (§6 [INF]); V2
 *     /api/v2/status_polling.php with X-Api-Key and no signature ([I]).
 *  A6 V2 payout path /payout/api/v2/request.php (the /api/v2, /pay/v2
 *     pattern); payout UPI sends the VPA as "upi_id".
 *  A7 V2 merchants also send X-Api-Key on refund, UTR submit and payout
 *     status (harmless if ignored); those bodies carry post_hash, no
 *     signature.
 *
 * Fidelity to the gateway's PHP (spec §3, §5, §12; docs/gateway-fidelity.md).
 * Callbacks and poll answers are read and verified as the docs' PHP code
 * does: json_decode($body, true), base64_decode() non-strict, decrypt(),
 * md5($order_id . $received_amount . $status . $secret) with PHP's string
 * conversion of each value (null and absent are "", 100.00 is "100", a
 * numeric order_id is its digits, floats have 14 significant digits). V2
 * signatures use ksort() (top level only) and json_encode(). Where we
 * differ from the docs' PHP on purpose (tests/differential counts each by
 * the name in brackets):
 *  D1 [unhashed_received_amount] A hash over `amount` (the Feb-2023 form)
 *     or requested_amount verifies only when received_amount is absent,
 *     null, "" or of the same value. The docs' PHP accepts such a body
 *     whatever received_amount says; we act on received_amount (§4,
 *     §12.2), which that hash does not cover, so we refuse it:
 *     PA_UNHASHED_AMOUNT, counted and logged under its own name.
 *  D2 [lenient_received_php, lenient_received_2dp, lenient_amount_php,
 *     lenient_requested] We also accept the amount forms §12.1 and [I]
 *     report for the gateway itself, which the docs' merchant code would
 *     refuse: received_amount's number printed like PHP ("12.50" sent,
 *     "12.5" hashed) or with two decimals, and requested_amount. Each is
 *     the same value as what is acted on, and the MAC still has to
 *     verify: no forged body gets in, a genuine one is not refused.
 *  D3 [not usable: answered HashMatched / acknowledge "no"] A verified
 *     update without an order_id (missing, null, "", an array, ...) or
 *     whose status is not a non-empty string cannot be applied to an
 *     order. It verifies as in PHP; pa_txn_update_usable() says why it is
 *     not acted on (polling settles the order).
 *  D4 [number_out_of_range] An integer beyond 64 bits or a real beyond
 *     double range anywhere in the body: PHP reads a float (1.0E+20, INF);
 *     jansson cannot, so the body is PA_PARSE. PHP's json_encode() never
 *     writes either (PHP integers are 64-bit, INF fails to encode), so no
 *     gateway body has one.
 *  D5 [numeric_top_level_key] A V2 body with a top-level key PHP would
 *     compare as a number is PA_UNSUPPORTED (canonjson.h): ksort() orders
 *     those non-transitively. Our request bodies have none.
 */
#ifndef PAYATOM_API_H
#define PAYATOM_API_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/crypto.h"
#include "payatom/error.h"
#include "payatom/request.h"
#include "payatom/sign.h"
#include "payatom/status.h"
#include "payatom/webhook.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- merchant profile ------------------------------------------------ */

typedef enum pa_api_version { PA_API_V1 = 1, PA_API_V2 = 2 } pa_api_version_t;
typedef enum pa_country {
	PA_COUNTRY_IN, /* India: UPI / IMPS, INR */
	PA_COUNTRY_BD, /* Bangladesh: bKash/Nagad/Rocket/Upay wallets */
	PA_COUNTRY_PK  /* Pakistan H2H: JazzCash / EasyPaisa */
} pa_country_t;
/* spec §12.3: which id status polling is keyed by. */
typedef enum pa_poll_key {
	PA_POLL_BY_REF_CODE = 0, /* Jul-2023 [P] and [I] (default) */
	PA_POLL_BY_ORDER_ID	 /* Feb-2023 / tecpay [P] */
} pa_poll_key_t;
/* spec §12.5: HTTP method of the non-seamless request. */
typedef enum pa_nonseamless_method {
	PA_NONSEAMLESS_POST = 0, /* default; V2 is always POST */
	PA_NONSEAMLESS_GET	 /* GET with a JSON body, as some V1 pages show */
} pa_nonseamless_method_t;

/* A merchant profile. A plain descriptor: every pointer is borrowed and must
 * stay valid while builders/parsers use the profile; optional credentials
 * are NULL when the merchant has none. No function prints it. */
typedef struct pa_merchant {
	const char *pid;	   /* MID/PID (spec §2.1) */
	const pa_secret_t *secret; /* secret key: post_hash, signatures */
	pa_api_version_t api_version;
	const char *api_key;	/* V2 X-Api-Key (required for V2) */
	const char *base_url;	/* "https://host[:port]" without trailing '/' */
	pa_country_t country;
	const char *recon_token;     /* Token header, reconciliation §10.5-6 */
	const char *bot_api_key;     /* Api-Key header, §10.7-8 */
	const char *complaint_token; /* Authorization: Bearer, §10.4 */
	const char *balance_token;   /* Authorization, V1 wallet balance §10.2 */
	pa_v2_alg_t v2_alg;	     /* V2 signature algorithm (sign.h, §12.4) */
	pa_complaint_sig_t complaint_sig; /* complaint signature layout (A4) */
	pa_poll_key_t poll_key;
	pa_nonseamless_method_t nonseamless_method;
	pa_amount_pref_t amount_pref;
	/* 0 (default): order_id rules as strict as the product's page;
	 * 1: any 1-63 chars of [A-Za-z0-9_-] (spec §12.6: samples break the
	 * rules, some gateways accept them). */
	int lenient_order_id;
	/* spec §11/§12.7: reconciliation and V2 balance amounts are documented
	 * "in smallest currency unit" but samples look like whole units.
	 * 0 (default): read them as whole units; 1: as minor units. */
	int report_amounts_minor;
} pa_merchant_t;

/* Checks the profile has what every call needs (pid, secret, base_url; V2:
 * api_key). PA_CONFIG with the field named. */
pa_err_t pa_merchant_check(const pa_merchant_t *m, char *errbuf);

/* ---- gateway error replies ------------------------------------------- */

/* Maps a gateway error message (spec §2.3, §10) to an error code:
 * "Duplicate order_id found/Found" -> PA_DUPLICATE; "Reference code not
 * found." -> PA_NOT_FOUND; daily limit -> PA_LIMIT; "Invalid PID", "invalid
 * pid", "Invalid signature", "X-Api-Key header is required", "Invalid API
 * key", "Api-Key header missing", "Invalid or unauthorized Api-Key",
 * "IP not allowed: ...", "Unauthorized Access", "Verification Failed",
 * "Invalid User" -> PA_AUTH; anything else -> PA_GATEWAY. */
pa_err_t pa_api_classify_message(const char *msg, size_t len);

/* ---- payin (spec §8, §9, §10.1) -------------------------------------- */

typedef enum pa_flow {
	PA_FLOW_SEAMLESS,     /* /api/request.php, V2 /api/v2/request.php */
	PA_FLOW_NON_SEAMLESS, /* /pay/request.php, V2 /pay/v2/request.php */
	PA_FLOW_H2H	      /* Pakistan /api/request.php (§10.1) */
} pa_flow_t;
typedef enum pa_party { PA_PARTY_P2P, PA_PARTY_P2C } pa_party_t;
typedef enum pa_channel {
	PA_CHANNEL_UPI,	   /* India */
	PA_CHANNEL_IMPS,   /* India (non-seamless only: §8.3) */
	PA_CHANNEL_WALLET, /* Bangladesh */
	PA_CHANNEL_PAK	   /* Pakistan H2H */
} pa_channel_t;

/* One payin. Strings are borrowed; NULL or "" means "not given".
 * Required everywhere: order_id, amount, name, email, phone.
 * India seamless V1: upi_id (§8.1, §8.5). Bangladesh: wallet_type (Nagad,
 * Rocket, bKash; Upay on P2C, §12.8), any case accepted, sent as
 * documented. Pakistan: pak_wallet JAZZCASH|EASYPAISA (any case), account_
 * number "03" + 9 digits. V2 (India and BD): ip, latitude, longitude,
 * customer_id; redirect_url is sent when given (§12.16). */
typedef struct pa_payin_req {
	pa_flow_t flow;
	pa_party_t party;
	pa_channel_t channel;
	const char *order_id;
	int64_t amount_minor;
	const char *name, *email, *phone;
	const char *upi_id;
	const char *wallet_type;
	const char *pak_wallet, *account_number;
	const char *redirect_url;
	const char *ip, *latitude, *longitude, *customer_id; /* V2 */
} pa_payin_req_t;

pa_err_t pa_build_payin(const pa_merchant_t *m, const pa_payin_req_t *r,
			pa_request_t **out, char *errbuf);

/* Reply to a payin: seamless {"status":"success","ref_code","qr_code",...},
 * non-seamless {"status":"ok","hash_value"} ([P]), BD wallet_id or
 * redirect_url, Pakistan {"ref_code","amount","wallet"}, V2 additional_data
 * intents and receiverVPA. Absent fields are NULL / has_amount 0. */
typedef struct pa_payin_result {
	const char *ref_code, *qr_code, *hash_value, *wallet_id, *redirect_url,
		*receiver_vpa, *wallet, *paytm_intent, *phonepe_intent;
	int has_amount;
	int64_t amount_minor;
	char *payment_link; /* connect.php?code=<hash_value> when hash_value
			       was given and a merchant was passed */
	void *json_;	    /* private */
} pa_payin_result_t;

/* m may be NULL (then no payment_link is built). */
pa_err_t pa_parse_payin(const pa_merchant_t *m, const char *body, size_t len,
			pa_payin_result_t *res, char *errbuf);
void pa_payin_result_clear(pa_payin_result_t *res);

/* spec §8.2: base_url + "/pay/connect.php?code=" + hash_value (hash_value
 * must be [A-Za-z0-9]+, else PA_PARSE). *out new (caller frees with free()). */
pa_err_t pa_payment_link(const pa_merchant_t *m, const char *hash_value,
			 char **out, char *errbuf);

/* UTR / Transaction ID submit (spec §7, assumption A1): P2P seamless only.
 * utr: 6-64 chars [A-Za-z0-9]. order_id is optional (sent when given). */
pa_err_t pa_build_utr_submit(const pa_merchant_t *m, const char *ref_code,
			     const char *order_id, const char *utr,
			     pa_request_t **out, char *errbuf);

/* A bare {"status":"success"|"ok", "message"?} acknowledgement (UTR submit,
 * refund). message borrowed, may be NULL. */
typedef struct pa_ack_result {
	const char *status, *message;
	void *json_;
} pa_ack_result_t;
pa_err_t pa_parse_ack(const char *body, size_t len, pa_ack_result_t *res,
		      char *errbuf);
void pa_ack_result_clear(pa_ack_result_t *res);

/* ---- status polling and refunds (spec §6, §7) ------------------------ */

/* Status poll: key is the ref_code (PA_POLL_BY_REF_CODE) or the order_id
 * (PA_POLL_BY_ORDER_ID), post_hash = seal(md5(key . pid . secret)).
 * op: PA_OP_STATUS (payin) or PA_OP_PAYOUT_STATUS (assumption A2). */
pa_err_t pa_build_status(const pa_merchant_t *m, pa_op_t op, const char *key,
			 pa_request_t **out, char *errbuf);

/* Parses a poll reply (payin or payout status) into upd, verifies its
 * post_hash like a callback (pa_txn_update_verify with m->amount_pref) and
 * checks it can be acted on (pa_txn_update_usable: PA_PARSE naming the
 * field). {"status":"error","message":"Reference code not found."} ->
 * PA_NOT_FOUND. PA_UNHASHED_AMOUNT: see D1. On error upd is left
 * cleared. */
pa_err_t pa_parse_status(const pa_merchant_t *m, const char *body, size_t len,
			 pa_txn_update_t *upd, char *errbuf);

/* Refund (assumption A3): amount_minor 0 = full refund, else whole units. */
pa_err_t pa_build_refund(const pa_merchant_t *m, const char *ref_code,
			 int64_t amount_minor, pa_request_t **out,
			 char *errbuf);

/* ---- payout (spec §8.4, §8.7, §9.6) ---------------------------------- */

typedef enum pa_payout_mode {
	PA_PAYOUT_IMPS,	  /* account_no, account_holder, bank, ifsc */
	PA_PAYOUT_UPI,	  /* upi_id, account_holder (A6) */
	PA_PAYOUT_WALLET  /* BD: account_no (wallet number), wallet_type */
} pa_payout_mode_t;

/* order_id: 10-13 alphanumeric (§8.4 V1 table, §9.6). IMPS account_no 9-18
 * digits, ifsc AAAA0XXXXXX; BD wallet number 11-12 digits starting 01;
 * wallet_type Bkash|Nagad|Rocket (any case; sent as "Bkash" as §9.6
 * writes it). V2 adds X-Api-Key and signature (A6). */
typedef struct pa_payout_req {
	pa_payout_mode_t mode;
	const char *order_id;
	int64_t amount_minor;
	const char *account_no, *account_holder, *bank, *ifsc;
	const char *upi_id;
	const char *wallet_type;
} pa_payout_req_t;

pa_err_t pa_build_payout(const pa_merchant_t *m, const pa_payout_req_t *r,
			 pa_request_t **out, char *errbuf);

/* Reply: only ref_code is promised (§8.4); message kept when present. */
typedef struct pa_payout_result {
	const char *ref_code, *status, *message;
	void *json_;
} pa_payout_result_t;
pa_err_t pa_parse_payout(const char *body, size_t len, pa_payout_result_t *res,
			 char *errbuf);
void pa_payout_result_clear(pa_payout_result_t *res);

/* ---- complaints (spec §10.4, assumption A4) -------------------------- */

/* screenshot_b64: optional base64 image (not decoded, only checked to be
 * base64 text); description optional. */
pa_err_t pa_build_complaint_submit(const pa_merchant_t *m, const char *order_id,
				   const char *ref_code,
				   const char *description,
				   const char *screenshot_b64,
				   pa_request_t **out, char *errbuf);
pa_err_t pa_build_complaint_view(const pa_merchant_t *m,
				 const char *complaint_id, pa_request_t **out,
				 char *errbuf);

/* Reply (shape NOT FOUND): complaint_id is read from "complaint_id",
 * "complaint_reference_id", "reference_id" or "complaint_ref" (the first
 * present); complaint_status from "complaint_status" or "status_text". */
typedef struct pa_complaint_result {
	const char *complaint_id, *complaint_status, *message;
	void *json_;
} pa_complaint_result_t;
pa_err_t pa_parse_complaint(const char *body, size_t len,
			    pa_complaint_result_t *res, char *errbuf);
void pa_complaint_result_clear(pa_complaint_result_t *res);

/* ---- reports (spec §10.2, §10.3, §10.5-§10.8) ------------------------ */

/* Reconciliation for one day: date "DD-MM-YYYY" (a real calendar date).
 * op: PA_OP_RECON_PAYIN or PA_OP_RECON_PAYOUT. signature =
 * sha256_hex(pid . secret . date) (§3.3); header Token: recon_token. */
pa_err_t pa_build_recon(const pa_merchant_t *m, pa_op_t op, const char *date,
			pa_request_t **out, char *errbuf);

typedef struct pa_recon_item {
	const char *order_create_time, *status_change_time, *order_id,
		*ref_code, *transaction_status, *bank_ref;
	pa_status_t status; /* from transaction_status */
	int64_t amount_requested_minor;
	/* payin: amount_received; payout: amount_processed (§12.2) */
	int64_t amount_settled_minor;
} pa_recon_item_t;

typedef struct pa_recon_result {
	const char *message;
	pa_recon_item_t *items; /* new array, freed by _clear */
	size_t n_items;
	void *json_;
} pa_recon_result_t;
/* m gives report_amounts_minor (may be NULL: whole units). */
pa_err_t pa_parse_recon(const pa_merchant_t *m, const char *body, size_t len,
			pa_recon_result_t *res, char *errbuf);
void pa_recon_result_clear(pa_recon_result_t *res);

/* V1 P2P wallet balance (§10.2): Authorization: balance_token, body {email,
 * verification_code = md5(password)}. The password is not kept. */
pa_err_t pa_build_wallet_balance(const pa_merchant_t *m, const char *email,
				 const char *password, size_t password_len,
				 pa_request_t **out, char *errbuf);
/* V2 wallet balance (§10.3): X-Api-Key, body {pid, signature}. */
pa_err_t pa_build_wallet_balance_v2(const pa_merchant_t *m,
				    pa_request_t **out, char *errbuf);

typedef struct pa_wallet_account {
	int is_bank; /* 0: "upi" list, 1: "imps_upi" list */
	const char *account, *upi;		      /* upi list */
	const char *account_holder, *account_number, *bank; /* imps_upi */
	int64_t minimum_balance_minor, limit_volume_minor, usage_volume_minor;
} pa_wallet_account_t;

/* Either version: V1 fills operator_* and accounts (accepting the sample's
 * "Account_number" typo); V2 fills the has_v2 balances. */
typedef struct pa_wallet_balance_result {
	const char *message, *operator_name, *operator_email;
	pa_wallet_account_t *accounts; /* new array, freed by _clear */
	size_t n_accounts;
	int has_v2;
	const char *v2_pid;
	int64_t payin_balance_minor, payout_balance_minor,
		payin_matured_balance_minor;
	void *json_;
} pa_wallet_balance_result_t;
pa_err_t pa_parse_wallet_balance(const pa_merchant_t *m, const char *body,
				 size_t len, pa_wallet_balance_result_t *res,
				 char *errbuf);
void pa_wallet_balance_result_clear(pa_wallet_balance_result_t *res);

/* Wallet transaction summary (§10.7): Api-Key header; filter_date_type
 * "action_date" or "c_date"; filter_date "DD-MM-YYYY". */
pa_err_t pa_build_wallet_summary(const pa_merchant_t *m,
				 const char *account_number,
				 const char *filter_date_type,
				 const char *filter_date, pa_request_t **out,
				 char *errbuf);

typedef struct pa_wallet_summary_group {
	const char *key;    /* the data object's key ("success", "pending") */
	const char *status; /* the group's own status field, may be NULL */
	int64_t transaction_count;
	int64_t received_amount_minor, request_amount_minor;
} pa_wallet_summary_group_t;
typedef struct pa_wallet_summary_result {
	const char *message;
	pa_wallet_summary_group_t *groups; /* new array, freed by _clear */
	size_t n_groups;
	void *json_;
} pa_wallet_summary_result_t;
pa_err_t pa_parse_wallet_summary(const char *body, size_t len,
				 pa_wallet_summary_result_t *res,
				 char *errbuf);
void pa_wallet_summary_result_clear(pa_wallet_summary_result_t *res);

/* Wallet data (§10.8): GET, Api-Key header, no body. */
pa_err_t pa_build_wallet_data(const pa_merchant_t *m, pa_request_t **out,
			      char *errbuf);

typedef struct pa_wallet_data_account {
	int active; /* from "active" (1) or "inactive" (0) */
	const char *account_detail, *upi, *phone_number, *status, *account_no,
		*usage_enable, *usage_volume /* "usage_volum" */,
		*limit_volume /* "limit_volum" */, *rolling_balance;
	int has_available_limit;
	int64_t available_limit;
} pa_wallet_data_account_t;
typedef struct pa_wallet_data_result {
	int64_t active_count, inactive_count;
	pa_wallet_data_account_t *accounts; /* new array, freed by _clear */
	size_t n_accounts;
	void *json_;
} pa_wallet_data_result_t;
pa_err_t pa_parse_wallet_data(const char *body, size_t len,
			      pa_wallet_data_result_t *res, char *errbuf);
void pa_wallet_data_result_clear(pa_wallet_data_result_t *res);

#ifdef __cplusplus
}
#endif
#endif
