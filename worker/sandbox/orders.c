/* orders.c -- the sandbox's order store and every order's life.
 * Owns: orders (by pid+order_id, ref_code, hosted-page code, creation
 *       order), planning an outcome (magic values, then the seeded mix),
 *       resolution timers, status changes with history, refunds.
 * Not here: sending webhooks (webhooks.c), parsing requests (routes.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/sbx_int.h"

static const char *const known[] = {
	"Pending",	 "Approved",	     "Declined",
	"Late Approved", "User Timed Out",   "Cancelled",
	"Failed",	 "Amount Mismatch",  "No Matching Payment for UTR",
	"Refund Initiated", "Refund Completed",
};

int sbx__status_known(const char *status)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(known[i], status))
			return 1;
	return 0;
}

/* Magic values, like card networks' test cards (README, --help). An
 * order_id prefix (case-sensitive) wins over an amount ending. */
static const struct {
	const char *prefix, *plan;
} magic_ids[] = {
	{"APPROVE", "Approved"},
	{"DECLINE", "Declined"},
	{"TIMEOUT", "User Timed Out"},
	{"NOMATCH", "No Matching Payment for UTR"},
	{"LATE", "Late Approved"},
	{"MISMATCH", "Amount Mismatch"},
	{"CANCEL", "Cancelled"},
	{"FAIL", "Failed"},
	{"REFUND", "Refund Completed"},
	{"MANUAL", "Pending"},
};

/* Whole amounts whose last three digits are 900..909 (1901 = Declined). */
static const char *const magic_amounts[] = {
	"Approved",	    "Declined",
	"User Timed Out",   "No Matching Payment for UTR",
	"Late Approved",    "Amount Mismatch",
	"Cancelled",	    "Failed",
	"Refund Completed", "Pending",
};

static const char *plan_text(const char *plan)
{
	if (!strcmp(plan, "Late Approved"))
		return "User Timed Out, then Late Approved";
	if (!strcmp(plan, "Refund Completed"))
		return "Approved, then Refund Initiated, then Refund Completed";
	if (!strcmp(plan, "Pending"))
		return "stays Pending (hosted page, control API)";
	if (!strcmp(plan, "Amount Mismatch"))
		return "Amount Mismatch (received = requested - 1)";
	return plan;
}

void sbx__magic_print(FILE *f)
{
	fprintf(f, "  order_id starting with      outcome\n");
	for (size_t i = 0; i < sizeof magic_ids / sizeof magic_ids[0]; i++)
		fprintf(f, "    %-26s %s\n", magic_ids[i].prefix,
			plan_text(magic_ids[i].plan));
	fprintf(f, "  whole amount ending in      outcome\n");
	for (int i = 0; i < 10; i++)
		fprintf(f, "    %-26d %s\n", 900 + i,
			plan_text(magic_amounts[i]));
	fprintf(f, "  anything else: the seeded --mix. Payouts: Approved, "
		   "Declined, Failed,\n  Cancelled or Pending (other outcomes "
		   "become Failed; refunds and late\n  approval: Approved).\n");
}

/* The outcome a magic value asks for, or NULL. "Refund Completed" means
 * Approved then refunded; "Pending" means never resolves by itself. */
const char *sbx__magic_plan(const char *order_id, int64_t amount_minor)
{
	for (size_t i = 0; i < sizeof magic_ids / sizeof magic_ids[0]; i++)
		if (!strncmp(order_id, magic_ids[i].prefix,
			     strlen(magic_ids[i].prefix)))
			return magic_ids[i].plan;
	if (amount_minor % 100 == 0) {
		int64_t tail = (amount_minor / 100) % 1000;
		if (tail >= 900 && tail <= 909)
			return magic_amounts[tail - 900];
	}
	return NULL;
}

static void key_order(char *buf, size_t size, const char *pid,
		      const char *order_id)
{
	snprintf(buf, size, "o:%s\x1f%s", pid, order_id);
}

sbx_merchant_t *sbx__merchant(sbx_t *sbx, const char *pid)
{
	if (!pid)
		return NULL;
	for (int i = 0; i < sbx->nmerchants; i++)
		if (!strcmp(sbx->merchants[i].pid, pid))
			return &sbx->merchants[i];
	return NULL;
}

static sbx_order_t *get(sbx_t *sbx, const char *key)
{
	return pw_hmap_get(sbx->by_key, key, strlen(key));
}

sbx_order_t *sbx__order_by_id(sbx_t *sbx, const char *pid,
			      const char *order_id)
{
	char k[160];
	key_order(k, sizeof k, pid, order_id);
	return get(sbx, k);
}

sbx_order_t *sbx__order_by_ref(sbx_t *sbx, const char *ref)
{
	char k[80];
	snprintf(k, sizeof k, "r:%s", ref);
	return get(sbx, k);
}

sbx_order_t *sbx__order_by_hash(sbx_t *sbx, const char *hash)
{
	char k[80];
	snprintf(k, sizeof k, "h:%s", hash);
	return get(sbx, k);
}

static const char *pick_mix(sbx_t *sbx)
{
	uint64_t total = 0;
	for (int i = 0; i < sbx->nmix; i++)
		total += sbx->mix[i].weight;
	uint64_t x = sbx_rng_next(&sbx->rng_orders);
	if (total == 0)
		return "Pending";
	x %= total;
	for (int i = 0; i < sbx->nmix; i++) {
		if (x < sbx->mix[i].weight)
			return sbx->mix[i].status;
		x -= sbx->mix[i].weight;
	}
	return "Pending";
}

/* Payout statuses are NOT FOUND (spec §13): the sandbox answers payouts
 * with Approved, Declined, Failed, Cancelled or Pending only. */
static const char *payout_plan(const char *plan)
{
	if (!strcmp(plan, "Approved") || !strcmp(plan, "Declined") ||
	    !strcmp(plan, "Failed") || !strcmp(plan, "Cancelled") ||
	    !strcmp(plan, "Pending"))
		return plan;
	if (!strcmp(plan, "Refund Completed") ||
	    !strcmp(plan, "Late Approved"))
		return "Approved";
	return "Failed";
}

static void on_resolve(pw_loop_t *loop, pw_timer_t *t, void *ud);

static void arm(sbx_t *sbx, sbx_order_t *ord, int64_t ms)
{
	pw_timer_cancel(sbx->loop, ord->timer);
	ord->timer = pw_timer_add(sbx->loop, ms, on_resolve, ord);
}

static pa_err_t index_put(sbx_t *sbx, const char *key, sbx_order_t *ord)
{
	return pw_hmap_put(sbx->by_key, key, strlen(key), ord, NULL);
}

static void unindex(sbx_t *sbx, const sbx_order_t *ord)
{
	char k[160];
	key_order(k, sizeof k, ord->m->pid, ord->order_id);
	pw_hmap_del(sbx->by_key, k, strlen(k));
	snprintf(k, sizeof k, "r:%s", ord->ref_code);
	pw_hmap_del(sbx->by_key, k, strlen(k));
	snprintf(k, sizeof k, "h:%s", ord->hash_value);
	pw_hmap_del(sbx->by_key, k, strlen(k));
}

/* Forgets the oldest tenth of the orders (--max-orders): one memmove per
 * batch keeps creation O(1) amortized. */
static void evict_oldest(sbx_t *sbx)
{
	size_t n = sbx->norders / 10 ? sbx->norders / 10 : 1;
	for (size_t i = 0; i < n; i++) {
		sbx_order_t *ord = sbx->orders[i];
		pw_timer_cancel(sbx->loop, ord->timer);
		sbx__wh_forget(sbx, ord);
		unindex(sbx, ord);
		free(ord);
	}
	memmove(sbx->orders, sbx->orders + n,
		(sbx->norders - n) * sizeof sbx->orders[0]);
	sbx->norders -= n;
	sbx->c.orders_evicted += n;
}

pa_err_t sbx__order_create(sbx_t *sbx, sbx_merchant_t *m, int kind,
			   const char *product, const char *order_id,
			   int64_t amount_minor, sbx_order_t **out)
{
	if (strlen(order_id) >= sizeof((sbx_order_t *)0)->order_id)
		return PA_VALIDATION;
	if ((int64_t)sbx->norders >= sbx->cfg.max_orders)
		evict_oldest(sbx);
	if (sbx->norders == sbx->cap_orders) {
		size_t cap = sbx->cap_orders ? sbx->cap_orders * 2 : 256;
		sbx_order_t **no = realloc(sbx->orders, cap * sizeof *no);
		if (!no)
			return PA_NOMEM;
		sbx->orders = no;
		sbx->cap_orders = cap;
	}
	sbx_order_t *ord = calloc(1, sizeof *ord);
	if (!ord)
		return PA_NOMEM;
	ord->sbx = sbx;
	ord->m = m;
	ord->kind = kind;
	snprintf(ord->product, sizeof ord->product, "%s", product);
	snprintf(ord->order_id, sizeof ord->order_id, "%s", order_id);
	sbx_rng_hex(&sbx->rng_orders, ord->ref_code, 64);
	sbx_rng_hex(&sbx->rng_orders, ord->hash_value, 64);
	ord->amount_minor = amount_minor;
	ord->created = ord->changed = time(NULL);
	snprintf(ord->status, sizeof ord->status, "Pending");
	snprintf(ord->hist[0].status, sizeof ord->hist[0].status, "Pending");
	ord->hist[0].at = ord->created;
	ord->nhist = 1;
	const char *plan = sbx__magic_plan(order_id, amount_minor);
	if (!plan)
		plan = pick_mix(sbx);
	if (kind == SBX_PAYOUT)
		plan = payout_plan(plan);
	snprintf(ord->plan, sizeof ord->plan, "%s", plan);

	char k[160];
	key_order(k, sizeof k, m->pid, order_id);
	pa_err_t err = index_put(sbx, k, ord);
	snprintf(k, sizeof k, "r:%s", ord->ref_code);
	if (!err)
		err = index_put(sbx, k, ord);
	snprintf(k, sizeof k, "h:%s", ord->hash_value);
	if (!err)
		err = index_put(sbx, k, ord);
	if (err) {
		key_order(k, sizeof k, m->pid, order_id);
		pw_hmap_del(sbx->by_key, k, strlen(k));
		snprintf(k, sizeof k, "r:%s", ord->ref_code);
		pw_hmap_del(sbx->by_key, k, strlen(k));
		free(ord);
		return err;
	}
	sbx->orders[sbx->norders++] = ord;
	sbx->c.orders_created++;
	int64_t delay = sbx->cfg.resolve_delay_ms;
	if (!strcmp(product, "hosted") && sbx->cfg.hosted_delay_ms >= 0)
		delay = sbx->cfg.hosted_delay_ms;
	if (strcmp(ord->plan, "Pending") != 0)
		arm(sbx, ord, delay);
	*out = ord;
	return PA_OK;
}

static void make_bank_ref(sbx_t *sbx, sbx_order_t *ord)
{
	if (ord->bank_ref[0])
		return;
	if (ord->utr[0]) {
		snprintf(ord->bank_ref, sizeof ord->bank_ref, "%s", ord->utr);
		return;
	}
	uint64_t x = sbx_rng_next(&sbx->rng_orders) % 1000000000000ULL;
	snprintf(ord->bank_ref, sizeof ord->bank_ref, "%012llu",
		 (unsigned long long)x);
}

pa_err_t sbx__order_set_status(sbx_t *sbx, sbx_order_t *ord,
			       const char *status)
{
	if (!sbx__status_known(status))
		return PA_STATE;
	if (ord->received_forced) {
		make_bank_ref(sbx, ord);
	} else if (!strcmp(status, "Approved") ||
		   !strcmp(status, "Late Approved")) {
		ord->received_minor = ord->amount_minor;
		make_bank_ref(sbx, ord);
	} else if (!strcmp(status, "Amount Mismatch")) {
		/* received differs from requested: one unit less (or more
		 * for an amount of one unit) */
		ord->received_minor = ord->amount_minor > 100
					      ? ord->amount_minor - 100
					      : ord->amount_minor + 100;
		make_bank_ref(sbx, ord);
	}
	snprintf(ord->status, sizeof ord->status, "%s", status);
	ord->changed = time(NULL);
	if (ord->nhist == SBX_HIST_MAX) {
		memmove(ord->hist, ord->hist + 1,
			(SBX_HIST_MAX - 1) * sizeof ord->hist[0]);
		ord->nhist--;
	}
	snprintf(ord->hist[ord->nhist].status, sizeof ord->hist[0].status,
		 "%s", status);
	ord->hist[ord->nhist++].at = ord->changed;
	ord->wh_gen++;
	ord->webhook_acknowledged = 0;
	sbx->c.status_changes++;

	/* spec §5: a webhook "whenever there is a status change". */
	sbx_fault_plan_t fp;
	sbx_fault_roll(sbx, sbx_fault_find(sbx, "webhook"), &fp);
	if (fp.bad_hash)
		sbx->c.f_wh_bad_hash++;
	if (ord->parked) {
		/* out of order: the parked older webhook goes after this one */
		sbx__wh_emit(sbx, ord, fp.bad_hash, 0);
		sbx__wh_release(sbx, ord->parked, 100);
		ord->parked = NULL;
	} else if (fp.reorder) {
		/* parked until the next change (or a fallback delay) */
		sbx->c.f_wh_reorder++;
		ord->parked = sbx__wh_emit(sbx, ord, fp.bad_hash,
					   3 * sbx->cfg.resolve_delay_ms + 1000);
	} else {
		sbx__wh_emit(sbx, ord, fp.bad_hash, 0);
	}
	if (fp.dup) {
		sbx->c.f_wh_dup++;
		sbx__wh_emit(sbx, ord, fp.bad_hash, 50);
	}
	return PA_OK;
}

pa_err_t sbx__order_refund(sbx_t *sbx, sbx_order_t *ord, int64_t minor)
{
	ord->refund = 1;
	ord->refund_minor = minor;
	ord->refund_initiated = time(NULL);
	snprintf(ord->refund_status, sizeof ord->refund_status,
		 "Refund Initiated");
	snprintf(ord->plan, sizeof ord->plan, "Refund Completed");
	pa_err_t err = sbx__order_set_status(sbx, ord, "Refund Initiated");
	arm(sbx, ord, sbx->cfg.refund_delay_ms);
	return err;
}

static void on_resolve(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	sbx_order_t *ord = ud;
	sbx_t *sbx = ord->sbx;
	(void)loop;
	(void)t;
	ord->timer = NULL;
	const char *plan = ord->plan;
	const char *st = ord->status;
	if (!strcmp(st, "Pending")) {
		if (!strcmp(plan, "Late Approved")) {
			sbx__order_set_status(sbx, ord, "User Timed Out");
			arm(sbx, ord, sbx->cfg.late_delay_ms);
		} else if (!strcmp(plan, "Refund Completed")) {
			sbx__order_set_status(sbx, ord, "Approved");
			arm(sbx, ord, sbx->cfg.refund_delay_ms);
		} else if (strcmp(plan, "Pending") != 0) {
			sbx__order_set_status(sbx, ord, plan);
		}
	} else if (!strcmp(st, "User Timed Out") &&
		   !strcmp(plan, "Late Approved")) {
		sbx__order_set_status(sbx, ord, "Late Approved");
	} else if (!strcmp(st, "Approved") &&
		   !strcmp(plan, "Refund Completed") && !ord->refund) {
		sbx__order_refund(sbx, ord, ord->amount_minor);
	} else if (!strcmp(st, "Refund Initiated")) {
		ord->refund_completed = time(NULL);
		snprintf(ord->refund_status, sizeof ord->refund_status,
			 "Refund Completed");
		sbx__order_set_status(sbx, ord, "Refund Completed");
	}
}

/* Runs the next step of ord's life now instead of at its timer (control
 * API "resolve"). 1 when a step was pending. */
int sbx__order_step_now(sbx_t *sbx, sbx_order_t *ord)
{
	if (!ord->timer)
		return 0;
	pw_timer_cancel(sbx->loop, ord->timer);
	ord->timer = NULL;
	on_resolve(sbx->loop, NULL, ord);
	return 1;
}

static void time_text(time_t t, char *out, size_t size)
{
	/* The gateway's "October 15, 2023, 2:30 pm" (spec §6, §10.5), UTC. */
	if (!t) {
		out[0] = '\0';
		return;
	}
	struct tm tm;
	gmtime_r(&t, &tm);
	char ampm[3] = "am";
	int h = tm.tm_hour;
	if (h >= 12) {
		ampm[0] = 'p';
		h -= 12;
	}
	if (h == 0)
		h = 12;
	char month[16];
	strftime(month, sizeof month, "%B", &tm);
	snprintf(out, size, "%s %d, %d, %d:%02d %s", month, tm.tm_mday,
		 tm.tm_year + 1900, h, tm.tm_min, ampm);
}

json_t *sbx__order_json(const sbx_order_t *ord)
{
	char a[32], r[32], ts[64];
	sbx__amount_text(ord->amount_minor, a);
	sbx__amount_text(ord->received_minor, r);
	json_t *o = json_object();
	json_object_set_new(o, "pid", json_string(ord->m->pid));
	json_object_set_new(o, "order_id", json_string(ord->order_id));
	json_object_set_new(o, "ref_code", json_string(ord->ref_code));
	json_object_set_new(o, "kind", json_string(ord->kind == SBX_PAYIN
							   ? "payin"
							   : "payout"));
	json_object_set_new(o, "product", json_string(ord->product));
	json_object_set_new(o, "api", json_string(ord->api_v2 ? "v2" : "v1"));
	json_object_set_new(o, "status", json_string(ord->status));
	json_object_set_new(o, "planned", json_string(ord->plan));
	json_object_set_new(o, "requested_amount", json_string(a));
	json_object_set_new(o, "received_amount", json_string(r));
	json_object_set_new(o, "bank_ref", json_string(ord->bank_ref));
	json_object_set_new(o, "utr", json_string(ord->utr));
	if (ord->hash_value[0] && !strcmp(ord->product, "hosted"))
		json_object_set_new(o, "hash_value",
				    json_string(ord->hash_value));
	json_object_set_new(o, "webhook_acknowledged",
			    json_string(ord->webhook_acknowledged ? "1" : "0"));
	json_object_set_new(o, "webhooks_sent",
			    json_integer(ord->webhooks_sent));
	json_object_set_new(o, "webhooks_acked",
			    json_integer(ord->webhooks_acked));
	json_t *h = json_array();
	for (int i = 0; i < ord->nhist; i++) {
		time_text(ord->hist[i].at, ts, sizeof ts);
		json_t *e = json_object();
		json_object_set_new(e, "status", json_string(ord->hist[i].status));
		json_object_set_new(e, "at", json_string(ts));
		json_array_append_new(h, e);
	}
	json_object_set_new(o, "history", h);
	if (ord->refund) {
		json_t *ri = json_object();
		sbx__amount_text(ord->refund_minor, a);
		json_object_set_new(ri, "refund_amount", json_string(a));
		json_object_set_new(ri, "refund_status",
				    json_string(ord->refund_status));
		json_object_set_new(o, "refund_info", ri);
	}
	if (ord->complaint_id[0])
		json_object_set_new(o, "complaint_id",
				    json_string(ord->complaint_id));
	return o;
}

/* Polling / webhook refund_info object (spec §5 [P]). */
json_t *sbx__refund_info(const sbx_order_t *ord)
{
	char a[32], t1[64], t2[64];
	sbx__amount_text(ord->refund_minor, a);
	time_text(ord->refund_initiated, t1, sizeof t1);
	time_text(ord->refund_completed, t2, sizeof t2);
	json_t *ri = json_object();
	json_object_set_new(ri, "refunded_upi", json_string(ord->sender_upi));
	json_object_set_new(ri, "refund_amount", json_string(a));
	json_object_set_new(ri, "refund_initiated_time", json_string(t1));
	json_object_set_new(ri, "refund_completed_time", json_string(t2));
	json_object_set_new(ri, "refund_status",
			    json_string(ord->refund_status));
	json_object_set_new(ri, "refund_notes", json_string(""));
	return ri;
}

void sbx__time_text(time_t t, char *out, size_t size)
{
	time_text(t, out, size);
}

void sbx__orders_clear(sbx_t *sbx)
{
	sbx__wh_cancel_all(sbx);
	for (size_t i = 0; i < sbx->norders; i++) {
		sbx_order_t *ord = sbx->orders[i];
		pw_timer_cancel(sbx->loop, ord->timer);
		free(ord);
	}
	free(sbx->orders);
	sbx->orders = NULL;
	sbx->norders = sbx->cap_orders = 0;
	pw_hmap_destroy(sbx->by_key);
	sbx->by_key = NULL;
	pw_hmap_new(&sbx->by_key);
}
