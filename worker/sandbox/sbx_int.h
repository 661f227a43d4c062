/* sbx_int.h -- what the sandbox's files share (not installed).
 * Owns: the sbx_t, merchant, order, fault-rule and config structs; the
 *       cross-file function list (orders, webhooks, faults, routes,
 *       control, formulas).
 * Not here: the public embedding API (sandbox.h). */
#ifndef SBX_INT_H
#define SBX_INT_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "core/hmap.h"
#include "core/http.h"
#include "core/loop.h"
#include "payatom/crypto.h"
#include "sandbox/sandbox.h"

#define SBX_MAX_IPS 8
#define SBX_HIST_MAX 12
#define SBX_MAX_FAULTS 32

/* ---- PRNG (splitmix64): one stream per purpose, seeded from cfg --------- */
typedef struct sbx_rng {
	uint64_t s;
} sbx_rng_t;
void sbx_rng_seed(sbx_rng_t *r, uint64_t seed);
uint64_t sbx_rng_next(sbx_rng_t *r);
/* Uniform in [0, 1). */
double sbx_rng_unit(sbx_rng_t *r);
/* n lowercase hex chars + NUL into out. */
void sbx_rng_hex(sbx_rng_t *r, char *out, size_t n);

/* ---- merchants ----------------------------------------------------------- */
typedef struct sbx_ipnet {
	int family; /* AF_INET / AF_INET6 */
	uint8_t addr[16];
	int prefix;
} sbx_ipnet_t;

typedef struct sbx_merchant {
	char pid[64];
	pa_secret_t *secret;  /* post_hash, signatures */
	char api_key[128];    /* V2 X-Api-Key */
	char token[128];      /* reconciliation Token, complaint Bearer, P2P
				 wallet balance Authorization */
	char operator_key[128]; /* bot APIs Api-Key */
	char email[128];      /* operator login (P2P wallet balance) */
	char password_md5[33];
	char callback[512];   /* "" = no webhooks */
	char account[64];     /* receiving account number (wallet reports) */
	sbx_ipnet_t ips[SBX_MAX_IPS];
	int nips; /* 0 = any address allowed */
	int64_t payout_float_minor; /* opening payout balance */
	/* payout reconciliation calls today (spec §10.6) */
	int recon_day;  /* days since epoch (UTC) of recon_calls */
	int recon_calls;
} sbx_merchant_t;

/* ---- faults -------------------------------------------------------------- */
enum sbx_lat { SBX_LAT_NONE, SBX_LAT_FIXED, SBX_LAT_UNIFORM, SBX_LAT_LONGTAIL };

typedef struct sbx_fault {
	char endpoint[96]; /* path prefix; "*" = every gateway endpoint;
			      "webhook" = outgoing webhooks */
	int lat_kind;
	int64_t lat_ms, lat_max_ms;
	double p_5xx, p_429, p_hang, p_reset, p_malformed, p_truncated,
		p_bad_hash, p_dup, p_reorder;
	int status_5xx;
} sbx_fault_t;

/* What the fault engine decided for one request or webhook. */
typedef struct sbx_fault_plan {
	int64_t delay_ms;
	int http_status; /* 0 = normal answer, else 5xx/429 */
	int hang, reset, malformed, truncated, bad_hash, dup, reorder;
} sbx_fault_plan_t;

/* Parses "endpoint:key=value,key=value" (see --help). */
pa_err_t sbx_fault_parse(const char *spec, sbx_fault_t *out, char *errbuf);
/* The rule for a path (longest prefix, then "*"), or NULL. */
const sbx_fault_t *sbx_fault_find(const sbx_t *sbx, const char *path);
void sbx_fault_roll(sbx_t *sbx, const sbx_fault_t *f, sbx_fault_plan_t *p);
json_t *sbx_fault_to_json(const sbx_fault_t *f);

/* ---- orders -------------------------------------------------------------- */
enum sbx_kind { SBX_PAYIN, SBX_PAYOUT };

typedef struct sbx_hist {
	char status[32];
	time_t at;
} sbx_hist_t;

typedef struct sbx_wh sbx_wh_t;

typedef struct sbx_order {
	sbx_merchant_t *m;
	int kind;
	int api_v2;
	char product[32]; /* "upi_seamless", "hosted", "bd_wallet", "pk_h2h",
			     "payout_imps", "payout_upi", "payout_wallet" */
	char order_id[64];
	char ref_code[65];
	char hash_value[65]; /* hosted page code (non-seamless) */
	char status[32];
	int64_t amount_minor, received_minor;
	int received_forced; /* control API set received_amount */
	char bank_ref[64], utr[64], sender_upi[96], upi_id[96], wallet[16];
	char name[96];
	char redirect_url[256]; /* hosted page "return to merchant" */
	time_t created, changed;
	sbx_hist_t hist[SBX_HIST_MAX];
	int nhist;
	/* refund (spec §5, §7) */
	int refund;
	int64_t refund_minor;
	char refund_status[32];
	time_t refund_initiated, refund_completed;
	/* webhooks */
	int webhook_acknowledged;
	unsigned webhooks_sent, webhooks_acked;
	uint64_t wh_gen; /* status changes so far; a delivery of an older one
			    does not set webhook_acknowledged */
	sbx_wh_t *parked; /* out-of-order fault: sent after the next one */
	/* life */
	char plan[32];   /* planned outcome ("" = stay Pending) */
	pw_timer_t *timer;
	sbx_t *sbx;
	/* complaint */
	char complaint_id[24];
	char complaint_status[24];
} sbx_order_t;

/* ---- the sandbox -------------------------------------------------------- */
typedef struct sbx_mix {
	char status[32];
	unsigned weight;
} sbx_mix_t;

struct sbx_cfg {
	char bind[64];
	int port;
	uint64_t seed;
	int64_t max_body;
	int64_t conn_limit;
	int64_t resolve_delay_ms;
	int64_t hosted_delay_ms; /* -1 = resolve_delay_ms */
	int64_t log_requests;
	int64_t max_orders;
	int64_t late_delay_ms;
	int64_t refund_delay_ms;
	char mix[256];
	int64_t wh_timeout_ms, wh_retry_ms, wh_retry_max_ms, wh_max_attempts;
	int64_t recon_limit;
	int64_t hang_max_ms;
	char public_url[256];
	char v2_signature[16]; /* "sha256" | "hmac" */
	char order_id_rules[16]; /* "doc" | "lenient" */
	char **merchants;
	int nmerchants;
	char **faults;
	int nfaults;
};

typedef struct sbx_counters {
	uint64_t gw_requests, ctl_requests;
	uint64_t f_latency, f_5xx, f_429, f_hang, f_reset, f_malformed,
		f_truncated, f_bad_hash, f_wh_dup, f_wh_reorder, f_wh_bad_hash;
	uint64_t orders_created, status_changes, orders_evicted;
	uint64_t wh_attempts, wh_acked, wh_nacked, wh_failed, wh_given_up;
	unsigned held, held_max; /* replies held by a latency timer */
} sbx_counters_t;

typedef struct sbx_held sbx_held_t;

struct sbx {
	pw_loop_t *loop;
	pw_http_t *http;
	sbx_cfg_t cfg; /* copy (strings owned) */
	char bind[64];
	char base_url[256];
	sbx_merchant_t *merchants;
	int nmerchants;
	sbx_mix_t mix[16];
	int nmix;
	sbx_fault_t faults[SBX_MAX_FAULTS];
	int nfaults;
	sbx_rng_t rng_orders, rng_faults, rng_wh;
	pw_hmap_t *by_key; /* "o:<pid>\x1f<order_id>", "r:<ref>", "h:<hash>" */
	sbx_order_t **orders; /* creation order */
	size_t norders, cap_orders;
	uint64_t complaint_seq;
	sbx_wh_t *wh_list; /* deliveries in progress */
	sbx_held_t *held_list;
	void *wh_transport; /* webhooks.c's client state */
	void *route_binds;  /* routes.c's (sbx, endpoint) pairs */
	void *ctl;          /* control.c's state (the webhook sink) */
	sbx_counters_t c;
};

/* sandbox.c: UTC wall-clock timestamp for log lines. */
void sbx__log_ts(char out[32]);

/* config.c */
pa_err_t sbx__cfg_copy(sbx_cfg_t *dst, const sbx_cfg_t *src);
void sbx__cfg_clear(sbx_cfg_t *cfg);
pa_err_t sbx__merchant_parse(const char *spec, sbx_merchant_t *m,
			     char *errbuf);
void sbx__merchant_clear(sbx_merchant_t *m);
int sbx__ip_allowed(const sbx_merchant_t *m, const char *ip);
pa_err_t sbx__mix_parse(const char *spec, sbx_mix_t *mix, int *n,
			char *errbuf);

/* orders.c */
sbx_merchant_t *sbx__merchant(sbx_t *sbx, const char *pid);
sbx_order_t *sbx__order_by_id(sbx_t *sbx, const char *pid,
			      const char *order_id);
sbx_order_t *sbx__order_by_ref(sbx_t *sbx, const char *ref);
sbx_order_t *sbx__order_by_hash(sbx_t *sbx, const char *hash);
/* New order in status Pending; plans its life (magic values, then the
 * seeded mix) and arms its resolution timer. Borrowed result (owned by the
 * store). */
pa_err_t sbx__order_create(sbx_t *sbx, sbx_merchant_t *m, int kind,
			   const char *product, const char *order_id,
			   int64_t amount_minor, sbx_order_t **out);
/* Moves ord to `status` (a gateway status string), records history and
 * sends the webhook. Returns PA_STATE when the status is unknown. */
pa_err_t sbx__order_set_status(sbx_t *sbx, sbx_order_t *ord,
			       const char *status);
/* Starts a refund (Refund Initiated now, Refund Completed after the
 * refund delay). */
pa_err_t sbx__order_refund(sbx_t *sbx, sbx_order_t *ord, int64_t minor);
json_t *sbx__order_json(const sbx_order_t *ord);
/* Runs the next planned step now (cancels its timer); 0 when none. */
int sbx__order_step_now(sbx_t *sbx, sbx_order_t *ord);
void sbx__orders_clear(sbx_t *sbx);
/* refund_info object of polling replies and webhooks (spec §5). New. */
json_t *sbx__refund_info(const sbx_order_t *ord);
/* "October 15, 2023, 2:30 pm" (UTC); "" for 0. */
void sbx__time_text(time_t t, char *out, size_t size);
const char *sbx__magic_plan(const char *order_id, int64_t amount_minor);
void sbx__magic_print(FILE *f);
int sbx__status_known(const char *status);

/* webhooks.c */
pa_err_t sbx__wh_init(sbx_t *sbx);
void sbx__wh_fini(sbx_t *sbx);
/* Queues a delivery of ord's current state; `bad_hash` forces a wrong
 * post_hash, `extra_delay_ms` holds it back (out-of-order). */
sbx_wh_t *sbx__wh_emit(sbx_t *sbx, sbx_order_t *ord, int bad_hash,
		       int64_t extra_delay_ms);
/* Sends a parked delivery after `ms`. */
void sbx__wh_release(sbx_t *sbx, sbx_wh_t *wh, int64_t ms);
/* The webhook body for ord (post_hash correct unless bad_hash). */
json_t *sbx__wh_payload(const sbx_order_t *ord, int bad_hash);
/* Cancels deliveries still pending for ord (order freed). */
void sbx__wh_forget(sbx_t *sbx, const sbx_order_t *ord);
json_t *sbx__wh_list_json(const sbx_t *sbx);
void sbx__wh_cancel_all(sbx_t *sbx);

/* formula.c: the gateway's formulas, through libpayatom */
/* post_hash for a callback / polling reply (spec §3.2, §12.1). New string
 * (caller frees with free()). */
char *sbx__post_hash(const sbx_merchant_t *m, const char *order_id,
		     int64_t received_minor, const char *status, int bad);
/* 1 when post_hash opens to md5(a . pid . secret) (polling, refund, UTR). */
int sbx__check_ref_hash(const sbx_merchant_t *m, const char *a,
			const char *post_hash);
/* 1 when sig == sha256(pid + secret + date) (spec §3.3). */
int sbx__check_recon_sig(const sbx_merchant_t *m, const char *date,
			 const char *sig);
/* 1 when body's "signature" is the V2 signature (spec §3.4). */
int sbx__check_v2_sig(const sbx_t *sbx, const sbx_merchant_t *m,
		      json_t *body);
/* Complaint signature (spec §13: NOT FOUND; libpayatom's A4, either
 * layout): sha256(pid . a . b . secret) or sha256(pid . secret . a . b). */
int sbx__check_complaint_sig(const sbx_merchant_t *m, const char *a,
			     const char *b, const char *sig);
/* UTR submit post_hash (libpayatom's A1). */
int sbx__check_utr_hash(const sbx_merchant_t *m, const char *ref,
			const char *utr, const char *post_hash);
/* PHP-style amount text ("100", "12.5"). */
void sbx__amount_text(int64_t minor, char out[32]);

/* One gateway request being answered (routes.c, reports.c, page.c). */
typedef struct sbx_ctx {
	sbx_t *sbx;
	pw_http_req_t *req;
	json_t *body;  /* parsed JSON object, or NULL */
	int v2;        /* V2 endpoint: X-Api-Key + signature */
	int bad_hash;  /* fault: wrong post_hash in the reply */
	int status;    /* HTTP status of the answer */
	json_t *out;   /* JSON answer (owned), or: */
	char *raw;     /* raw answer (owned, e.g. HTML) */
	size_t raw_len;
	const char *ctype;
	char buf[64];  /* field() scratch */
} sbx_ctx_t;

typedef void (*sbx_ep_fn)(sbx_ctx_t *c);

/* One gateway endpoint (routes.c's table, served by serve.c). */
typedef struct sbx_ep {
	const char *method; /* NULL = any */
	const char *path;
	sbx_ep_fn fn;
	int v2;
} sbx_ep_t;
extern const sbx_ep_t sbx__eps[];
extern const size_t sbx__n_eps;

/* {"status":"error","message":msg} with HTTP `status` (200 for almost
 * every gateway error, spec §2.3). */
void sbx__err(sbx_ctx_t *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A body field as text (strings as is, integers/reals printed), or NULL
 * when absent, null or empty. Borrowed (valid until the next call). */
const char *sbx__field(sbx_ctx_t *c, const char *name);
/* "<name> is required field" (spec §10.1) for the first missing name of a
 * NULL-terminated list; returns 0 then. */
int sbx__require(sbx_ctx_t *c, const char *const *names);
/* V1 merchant check: pid present and known, client IP allowed. NULL after
 * answering the error. */
sbx_merchant_t *sbx__auth_v1(sbx_ctx_t *c);
/* V2: X-Api-Key, pid, signature, IP (spec §3.4, §10.3). `codes` selects
 * the documented HTTP codes (wallet balance) instead of 200. */
sbx_merchant_t *sbx__auth_v2(sbx_ctx_t *c, int codes);
/* Days since the epoch of "DD-MM-YYYY", or -1. */
int sbx__parse_date(const char *s);
int sbx__day_of(time_t t);

/* reports.c */
void sbx__ep_recon_payin(sbx_ctx_t *c);
void sbx__ep_recon_payout(sbx_ctx_t *c);
void sbx__ep_wallet_balance(sbx_ctx_t *c);
void sbx__ep_wallet_balance_v2(sbx_ctx_t *c);
void sbx__ep_wallet_summary(sbx_ctx_t *c);
void sbx__ep_wallet_data(sbx_ctx_t *c);
void sbx__ep_complaint_submit(sbx_ctx_t *c);
void sbx__ep_complaint_view(sbx_ctx_t *c);
/* page.c: the hosted payment page (spec §8.2) */
void sbx__ep_connect(sbx_ctx_t *c);

/* routes.c / control.c */
pa_err_t sbx__routes_install(sbx_t *sbx);
pa_err_t sbx__control_install(sbx_t *sbx);
void sbx__held_cancel_all(sbx_t *sbx);
/* {"<path>": requests, ...} per gateway endpoint. New. */
json_t *sbx__endpoint_counts(const sbx_t *sbx);
void sbx__endpoint_counts_clear(sbx_t *sbx);
void sbx__control_print(FILE *f);

/* control.c: frees the webhook sink. */
void sbx__control_fini(sbx_t *sbx);

/* Answers with a JSON value (stolen) and status. */
void sbx__reply_json(pw_http_req_t *req, int status, json_t *v);

#endif
