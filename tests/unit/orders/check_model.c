/* check_model.c -- model-based test of the order machine (orders/machine.h).
 *
 * A seeded generator drives the machine through a small simulated world:
 *  - a worker as the Kafka shell runs it: a gate per order key, the order
 *    table, the write order (event, then state record, then offset), the
 *    offsets of two input logs (commands, verified webhooks);
 *  - Kafka: at-least-once deliveries one write at a time, or exactly-once
 *    transactions (half the episodes each), the compacted changelog,
 *    commits, crashes (state reloaded from its records through the real
 *    changelog format) and revokes (drained or not);
 *  - a gateway with its own truth per order: orders that move on by
 *    themselves, webhooks duplicated and replayed out of order, timeouts
 *    that did or did not arrive, 5xx, rejections, invalid requests;
 *  - commands of every kind, repeated, conflicting and broken: a create
 *    or a follow-up sent again is answered with the order's current event
 *    (same event_id) and never from the record that created it, a create
 *    or follow-up reusing an id with other content is ORDER_ID_CONFLICT
 *    (docs/events.md "Repeated commands").
 * After every step it checks the money rules (see check_step, on_event,
 * on_dead_letter, drain). A failure prints the seed, the episode and the
 * shortest sequence of actions found that still fails.
 *
 *   PW_MODEL_STEPS    machine steps in all (default 1,000,000; 150,000
 *                     under sanitizers, 15,000 under valgrind)
 *   PW_MODEL_SEED     the run's seed (default fixed; "random": from the
 *                     clock, printed)
 *   PW_MODEL_EPISODE  replay this episode of the seed alone, printing
 *                     every action */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "orders/machine.h"
#include "pwtest.h"

#define NORD 5           /* order ids of an episode */
#define NSLOT (2 * NORD) /* each order's state and its complaint's */
#define NREC 1024        /* records per input log */
#define NITEM 48         /* work in flight */
#define NACT 1500        /* actions per episode */
#define NSEQ 64
#define T0 1700000000000LL

enum { LOG_CMD, LOG_WH, NLOG };
enum { W_EVENT, W_DL, W_STATE };
/* mutations of the shell, to prove the checks can fail */
enum { M_NONE, M_FORGET_DUPLICATE, M_STATE_FIRST, M_NEW_SOURCE };

typedef struct m_rec {
	json_t *j;   /* NULL: undecodable */
	int topic;   /* PW_IN_* */
	int flaky;   /* decodes that fail retryably first (registry down) */
	int ord;     /* order of its key */
	int create;  /* a payin or payout */
	int conflict; /* its content differs from the plain one (amount) */
	int followup; /* a refund, UTR or complaint submit with a command_id */
	const char *want_dl; /* the dead letter its content calls for */
	int forged;  /* a verified webhook made by shifting digits */
	char key[16];
} m_rec_t;

typedef struct m_write {
	int kind, slot, log, off;
	uint32_t seq;
	int status, prev;
	char id[PW_EVENT_ID_LEN + 1];
	char reason[24];
	char *bytes; /* W_STATE: the record */
	int repeat;  /* W_EVENT: the answer to a repeated command */
	int src_off; /* W_EVENT: the command record that caused it, or -1 */
} m_write_t;

typedef struct m_item {
	int used, kind, log, off, ord, slot;
	int started, calling, admitting, ending, held_at_start;
	pw_call_kind_t call;
	int attempts, decodes, force;
	int64_t timer_at; /* -1: none */
	long gate;
	m_write_t w[2];
	int nw, wi;
	pw_cmd_info_t ci;
} m_item_t;

typedef struct m_pub { /* what consumers saw of one order key */
	uint32_t last;
	int last_status, first_outcome;
	char ids[NSEQ][PW_EVENT_ID_LEN + 1];
	uint8_t status[NSEQ];
	uint64_t lost; /* seqs whose state record a crash lost after the
			  event was delivered (at-least-once) */
} m_pub_t;

typedef struct m_gw { /* the gateway's truth about one order */
	int exists, nhist;
	pa_status_t st, hist[16];
	uint32_t ever;     /* bit per status the order has ever had */
	int64_t amount;    /* requested, by the create that arrived */
	int64_t received;  /* what its paid status says arrived; 0: none */
} m_gw_t;

typedef struct m_act {
	uint8_t type;
	uint32_t a, b;
} m_act_t;

typedef struct world {
	int eos, mutant, verbose, healthy;
	int webhook_rate; /* of 10 moves, how many send a webhook */
	pw_machine_conf_t mc;
	uint64_t seed, rctr, steps;
	int64_t now;
	m_rec_t log[NLOG][NREC];
	int nlog[NLOG], next[NLOG], committed[NLOG];
	uint8_t done[NLOG][NREC];
	char dl[NLOG][NREC][24]; /* dead letters published per record */
	m_item_t it[NITEM];
	long gate;
	pw_order_t st[NSLOT];
	int held[NSLOT];
	int64_t poll_at[NSLOT];
	char *clog[NSLOT];
	m_write_t txn[512];
	int ntxn, revoking;
	m_pub_t pub[NSLOT];
	m_gw_t gw[NORD];
	int bad[NORD], rejected[NORD], payout[NORD];
	/* the command record that created each slot's order (-1: none or a
	 * webhook), and each slot's accepted follow-ups by record offset */
	int creator[NSLOT];
	uint8_t fu_acc[NSLOT][3]; /* per follow-up type: bit (1 << conflict)
				     once one was accepted */
	char fail[600];
	uint64_t n_events, n_dups, n_reuse, n_orphan, n_dl, n_crash, n_revoke;
	uint64_t n_gwdup, n_wh_new, n_forged, n_confirm, n_answers,
		n_conflicts;
} world_t;

static void broke(world_t *w, const char *fmt, ...)
{
	if (w->fail[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->fail, sizeof w->fail, fmt, ap);
	va_end(ap);
}

static void say(world_t *w, const char *fmt, ...)
{
	if (!w->verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	printf("      ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static uint64_t mix(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(world_t *w)
{
	return mix(w->seed ^ mix(++w->rctr));
}

static const char *raw_of(pa_status_t st)
{
	switch (st) {
	case PA_STATUS_SUCCEEDED: return "Approved";
	case PA_STATUS_SUCCEEDED_LATE: return "Late Approved";
	case PA_STATUS_DECLINED: return "Declined";
	case PA_STATUS_EXPIRED: return "User Timed Out";
	case PA_STATUS_CANCELLED: return "Cancelled";
	case PA_STATUS_FAILED: return "Failed";
	case PA_STATUS_AMOUNT_MISMATCH: return "Amount Mismatch";
	case PA_STATUS_UNMATCHED: return "No Matching Payment for UTR";
	case PA_STATUS_REFUND_PENDING: return "Refund Initiated";
	case PA_STATUS_REFUNDED: return "Refund Completed";
	default: return "Pending";
	}
}

/* the outcome of a create: one of these at most per order */
static int first_outcome(int st)
{
	return st == PA_STATUS_SUCCEEDED || st == PA_STATUS_DECLINED ||
	       st == PA_STATUS_FAILED || st == PA_STATUS_CANCELLED ||
	       st == PA_STATUS_EXPIRED || st == PA_STATUS_UNMATCHED ||
	       st == PA_STATUS_AMOUNT_MISMATCH;
}

static void oid(int k, char *buf)
{
	snprintf(buf, 16, "ORD%d", k);
}

/* ---- the world's Kafka: logs, writes, commits ---------------------------- */

static m_rec_t *append(world_t *w, int log, int ord, json_t *j, int topic)
{
	if (w->nlog[log] >= NREC) {
		json_decref(j);
		return NULL;
	}
	m_rec_t *r = &w->log[log][w->nlog[log]++];
	memset(r, 0, sizeof *r);
	r->j = j;
	r->topic = topic;
	r->ord = ord;
	oid(ord, r->key);
	return r;
}

static void gw_set(world_t *w, int k, pa_status_t st)
{
	m_gw_t *g = &w->gw[k];
	g->exists = 1;
	g->st = st;
	g->ever |= 1u << st;
	if (st == PA_STATUS_SUCCEEDED || st == PA_STATUS_SUCCEEDED_LATE)
		g->received = g->amount;
	else if (st == PA_STATUS_AMOUNT_MISMATCH)
		g->received = g->amount - 100;
	if (g->nhist < 16)
		g->hist[g->nhist++] = st;
}

/* The order comes to exist at the gateway, by the create cmd@off. */
static void gw_create(world_t *w, int k, int off)
{
	json_t *a = json_object_get(w->log[LOG_CMD][off].j, "amount_minor");
	w->gw[k].amount = json_is_integer(a) ? json_integer_value(a) : 10000;
	gw_set(w, k, PA_STATUS_PENDING);
}

/* What the order's callbacks carry as received_minor for st (-1: none),
 * as the sandbox sends it: the amount received for the paid statuses and
 * refunds, zero or nothing for the others. */
static int64_t gw_received(world_t *w, int k, pa_status_t st)
{
	if (pa_status_is_paid(st) || st == PA_STATUS_REFUND_PENDING ||
	    st == PA_STATUS_REFUNDED)
		return w->gw[k].received;
	return rnd(w) % 2 ? 0 : -1;
}

static m_rec_t *hook_rec(world_t *w, int k, pa_status_t st, int64_t received)
{
	char o[16];
	oid(k, o);
	json_t *j = json_pack("{s:s s:{s:s s:s s:s s:s}}", "merchant", "demo",
			      "callback", "order_id", o, "status", raw_of(st),
			      "ref_code", "R", "bank_ref", "B");
	if (received >= 0)
		json_object_set_new(j, "received_minor",
				    json_integer(received));
	return append(w, LOG_WH, k, j, PW_IN_WEBHOOK);
}

static void webhook(world_t *w, int k, pa_status_t st)
{
	hook_rec(w, k, st, gw_received(w, k, st));
	say(w, "gateway webhook ORD%d %s", k, raw_of(st));
}

/* A verified webhook an attacker made from a genuine one by moving digits
 * between order_id and amount: any status, with an amount that never
 * lines up with the order it names -- or, where webhook.confirm=success,
 * also a paid status with exactly the order's amount (the residual risk
 * that setting closes). */
static void forge(world_t *w, unsigned a, unsigned b)
{
	static const pa_status_t any[] = {
		PA_STATUS_PENDING,	   PA_STATUS_SUCCEEDED,
		PA_STATUS_SUCCEEDED_LATE,  PA_STATUS_DECLINED,
		PA_STATUS_EXPIRED,	   PA_STATUS_CANCELLED,
		PA_STATUS_FAILED,	   PA_STATUS_AMOUNT_MISMATCH,
		PA_STATUS_UNMATCHED,	   PA_STATUS_REFUND_PENDING,
		PA_STATUS_REFUNDED};
	int k = (int)(a % NORD);
	pa_status_t st = any[b % (sizeof any / sizeof any[0])];
	const pw_order_t *o = &w->st[2 * k];
	int64_t base = w->held[2 * k] && o->amount_minor > 0 ? o->amount_minor
							     : 10000;
	int64_t rm = base * 10 + 1 + (int64_t)((b >> 8) % 9);
	int paid = st == PA_STATUS_SUCCEEDED || st == PA_STATUS_SUCCEEDED_LATE;
	if ((paid || st == PA_STATUS_REFUND_PENDING ||
	     st == PA_STATUS_REFUNDED) && (b >> 12) % 2)
		rm = -1;
	if (w->mc.webhook_confirm == PW_CONFIRM_SUCCESS && paid &&
	    (b >> 13) % 2)
		rm = base;
	m_rec_t *r = hook_rec(w, k, st, rm);
	if (r)
		r->forged = 1;
	w->n_forged++;
	say(w, "forged webhook ORD%d %s received %lld", k, raw_of(st),
	    (long long)rm);
}

/* Follow-up type of a command record: 0 refund, 1 UTR, 2 complaint
 * submit, -1 none. */
static int fu_type(const m_rec_t *r)
{
	const char *t = json_string_value(json_object_get(r->j, "type"));
	if (!t || !r->followup)
		return -1;
	return !strcmp(t, "refund") ? 0 : !strcmp(t, "utr_submit") ? 1 : 2;
}

/* The answer to a repeated command: the event consumers already saw for
 * that sequence, caused by a record other than the one that created the
 * order, whose content is the one the order keeps. */
static void on_repeat(world_t *w, const m_write_t *e)
{
	m_pub_t *p = &w->pub[e->slot];
	const m_rec_t *r = e->src_off >= 0 ? &w->log[LOG_CMD][e->src_off] : NULL;
	w->n_answers++;
	say(w, "  answered cmd@%d with slot %d seq %u again", e->src_off,
	    e->slot, e->seq);
	if (!r) {
		broke(w, "slot %d: an answer caused by no command", e->slot);
		return;
	}
	if (e->seq == 0 || e->seq > p->last || strcmp(p->ids[e->seq], e->id))
		broke(w, "slot %d: cmd@%d answered with seq %u, which consumers "
			"did not see as such", e->slot, e->src_off, e->seq);
	int t = fu_type(r);
	if (r->create) {
		if (e->src_off == w->creator[e->slot])
			broke(w, "slot %d: the record that created the order "
				"(cmd@%d) answered again", e->slot, e->src_off);
		else if (w->creator[e->slot] < 0 ||
			 w->log[LOG_CMD][w->creator[e->slot]].conflict !=
				 r->conflict)
			broke(w, "slot %d: cmd@%d answered, its content is not "
				"the order's", e->slot, e->src_off);
	} else if (t < 0 || !(w->fu_acc[e->slot][t] & (1 << r->conflict))) {
		broke(w, "slot %d: cmd@%d answered, no such follow-up was "
			"accepted", e->slot, e->src_off);
	}
}

static void on_event(world_t *w, const m_write_t *e)
{
	m_pub_t *p = &w->pub[e->slot];
	if (e->repeat) {
		on_repeat(w, e);
		return;
	}
	w->n_events++;
	if (e->seq >= NSEQ) {
		broke(w, "slot %d: more than %d events", e->slot, NSEQ);
		return;
	}
	if (e->seq == p->last + 1) {
		/* no status regression outside the gateway's moves */
		if (p->last && !pa_status_can_move((pa_status_t)p->last_status,
						   (pa_status_t)e->status))
			broke(w, "slot %d: published %s after %s", e->slot,
			     pa_status_name((pa_status_t)e->status),
			     pa_status_name((pa_status_t)p->last_status));
		if (e->prev != (p->last ? p->last_status : -1))
			broke(w, "slot %d: event %u says previous %d, consumers "
				"saw %d", e->slot, e->seq, e->prev,
			     p->last ? p->last_status : -1);
	} else if (e->seq <= p->last && e->seq > 0) {
		if (!strcmp(p->ids[e->seq], e->id)) {
			w->n_dups++;
			if (w->eos)
				broke(w, "slot %d: event %u published twice "
					"under exactly-once", e->slot, e->seq);
			return;
		}
		if (!(p->lost >> e->seq & 1)) {
			broke(w, "slot %d: sequence %u published twice with "
				"different contents (%s)", e->slot, e->seq,
			     pa_status_name((pa_status_t)e->status));
			return;
		}
		/* at-least-once: a crash lost the state record of the first
		 * one (the documented window); the new line goes on */
		w->n_reuse++;
		p->lost &= ~(1ULL << e->seq);
	} else {
		broke(w, "slot %d: sequence %u published after %u", e->slot,
		     e->seq, p->last);
		return;
	}
	/* what consumers see of an order is the gateway's truth, never a
	 * forged webhook's: a status the order has had at the gateway,
	 * PENDING (accepted, or held), UNRESOLVED (deadline, unknown at the
	 * gateway), or FAILED for a create the gateway rejected */
	int k = e->slot / 2;
	if (e->slot % 2 == 0 && e->status != PA_STATUS_PENDING &&
	    e->status != PA_STATUS_UNRESOLVED &&
	    !(w->gw[k].ever >> e->status & 1) &&
	    !(e->status == PA_STATUS_FAILED && w->rejected[k]))
		broke(w, "slot %d: published %s, which the gateway never said",
		      e->slot, pa_status_name((pa_status_t)e->status));
	snprintf(p->ids[e->seq], sizeof p->ids[e->seq], "%s", e->id);
	p->status[e->seq] = (uint8_t)e->status;
	p->last = e->seq;
	p->last_status = e->status;
	if (first_outcome(e->status)) {
		if (p->first_outcome >= 0 && p->first_outcome != e->status)
			broke(w, "slot %d: two outcomes, %s and %s", e->slot,
			     pa_status_name((pa_status_t)p->first_outcome),
			     pa_status_name((pa_status_t)e->status));
		p->first_outcome = e->status;
	}
	say(w, "  published slot %d seq %u %s", e->slot, e->seq,
	    pa_status_name((pa_status_t)e->status));
}

static void on_dead_letter(world_t *w, const m_write_t *e)
{
	m_rec_t *r = &w->log[e->log][e->off];
	char *seen = w->dl[e->log][e->off];
	w->n_dl++;
	say(w, "  dead letter %s@%d %s", e->log ? "wh" : "cmd", e->off,
	    e->reason);
	if (!strcmp(e->reason, "ORDER_ID_CONFLICT")) {
		/* legitimate only for content other than the order keeps */
		int s = 2 * r->ord + (r->topic == PW_IN_COMPLAINT);
		int t = fu_type(r);
		w->n_conflicts++;
		if (r->create ? w->creator[s] < 0 ||
					w->log[LOG_CMD][w->creator[s]].conflict ==
						r->conflict
			      : t < 0 || !(w->fu_acc[s][t] & (1 << !r->conflict)))
			broke(w, "cmd@%d: ORDER_ID_CONFLICT, but its content is "
				"the order's", e->off);
		snprintf(seen, 24, "%s", e->reason);
		return;
	}
	if (r->want_dl && strcmp(r->want_dl, e->reason))
		broke(w, "cmd@%d: dead letter %s, its content calls for %s",
		     e->off, e->reason, r->want_dl);
	if (!r->want_dl && strcmp(e->reason, "UNKNOWN_ORDER") &&
	    strcmp(e->reason, "GATEWAY_REJECTED") &&
	    (e->log != LOG_WH || strcmp(e->reason, "MALFORMED")))
		broke(w, "%s@%d: a valid record dead-lettered as %s",
		     e->log ? "wh" : "cmd", e->off, e->reason);
	if (seen[0] && r->want_dl && strcmp(seen, e->reason))
		broke(w, "cmd@%d: dead-lettered as %s, then as %s", e->off, seen,
		     e->reason);
	snprintf(seen, 24, "%s", e->reason);
}

static void apply(world_t *w, m_write_t *e)
{
	if (e->kind == W_EVENT) {
		on_event(w, e);
	} else if (e->kind == W_DL) {
		on_dead_letter(w, e);
	} else {
		free(w->clog[e->slot]);
		w->clog[e->slot] = e->bytes;
		e->bytes = NULL;
	}
}

/* Position to commit: the lowest unfinished offset. */
static int position(world_t *w, int log)
{
	int p = w->committed[log];
	while (p < w->next[log] && w->done[log][p])
		p++;
	return p;
}

static void commit(world_t *w)
{
	for (int i = 0; w->eos && i < w->ntxn; i++)
		apply(w, &w->txn[i]);
	w->ntxn = 0;
	for (int l = 0; l < NLOG; l++)
		w->committed[l] = position(w, l);
}

/* ---- the worker's shell around the machine ------------------------------- */

static void item_start(world_t *w, m_item_t *it);
static void mstep(world_t *w, m_item_t *it, pw_input_t *in);

static int head(world_t *w, const m_item_t *it)
{
	for (int i = 0; i < NITEM; i++) {
		const m_item_t *o = &w->it[i];
		if (o->used && o != it && o->ord == it->ord && o->gate < it->gate)
			return 0;
	}
	return 1;
}

static m_item_t *item_new(world_t *w, int kind, int ord)
{
	for (int i = 0; i < NITEM; i++) {
		m_item_t *it = &w->it[i];
		if (it->used)
			continue;
		memset(it, 0, sizeof *it);
		it->used = 1;
		it->kind = kind;
		it->ord = ord;
		it->log = -1;
		it->slot = 2 * ord;
		it->timer_at = -1;
		it->gate = ++w->gate;
		return it;
	}
	broke(w, "model: no free item");
	return NULL;
}

static void item_submit(world_t *w, m_item_t *it)
{
	if (head(w, it) && !w->revoking)
		item_start(w, it);
}

static void item_free(m_item_t *it)
{
	for (int i = it->wi; i < it->nw; i++)
		free(it->w[i].bytes);
	it->used = 0;
}

/* Liveness, order by order: an accepted order that has not settled is
 * looked at again -- its poll is armed or work for it is queued. */
static void check_watched(world_t *w, int ord)
{
	int s = 2 * ord;
	const pw_order_t *o = &w->st[s];
	if (!w->held[s] || o->phase == PW_PHASE_SETTLED ||
	    o->phase == PW_PHASE_NEW || w->poll_at[s] >= 0)
		return;
	for (int i = 0; i < NITEM; i++)
		if (w->it[i].used && w->it[i].ord == ord)
			return;
	broke(w, "%s: not settled (%s) and nothing will look at it again",
	      o->order_id, pa_status_name((pa_status_t)o->status));
}

static void item_finish(world_t *w, m_item_t *it)
{
	if (it->log >= 0)
		w->done[it->log][it->off] = 1;
	int ord = it->ord;
	item_free(it);
	check_watched(w, ord);
	m_item_t *nx = NULL;
	for (int i = 0; i < NITEM; i++) {
		m_item_t *o = &w->it[i];
		if (o->used && o->ord == ord && (!nx || o->gate < nx->gate))
			nx = o;
	}
	if (nx && !nx->started && !w->revoking)
		item_start(w, nx);
}

/* the writes of it have landed: its end */
static void item_end(world_t *w, m_item_t *it)
{
	if (it->ending == PW_FX_AGAIN) {
		if (!w->revoking)
			item_start(w, it);
		else
			it->started = 0;
		return;
	}
	item_finish(w, it);
}

static void deliver(world_t *w, m_item_t *it)
{
	apply(w, &it->w[it->wi++]);
	if (it->wi == it->nw && it->ending)
		item_end(w, it);
}

static void put(world_t *w, m_item_t *it, m_write_t *e)
{
	if (w->eos) {
		if (w->ntxn < (int)(sizeof w->txn / sizeof w->txn[0]))
			w->txn[w->ntxn++] = *e;
		else
			broke(w, "model: transaction full");
		return;
	}
	it->w[it->nw++] = *e;
}

/* The gateway's answer to it's call; received: the amount a status
 * answer carries (-1: none). */
static void reply_recv(world_t *w, m_item_t *it, pa_err_t err,
		       const char *raw, const char *msg, int sync,
		       int64_t received)
{
	pw_reply_t r = {.err = err, .raw = raw ? raw : "", .ref_code = "R",
			.received_minor = received, .message = msg,
			.sync = sync,
			.status = raw ? pa_status_from_raw(raw, strlen(raw))
				      : PA_STATUS_UNRESOLVED};
	pw_input_t in = {.kind = PW_INPUT_REPLY, .call = it->call,
			 .reply = &r, .attempts = it->attempts};
	it->calling = 0;
	mstep(w, it, &in);
}

static void reply_now(world_t *w, m_item_t *it, pa_err_t err,
		      const char *raw, const char *msg, int sync)
{
	reply_recv(w, it, err, raw, msg, sync, -1);
}

/* Carries out the effects of one step of it, as kafka/process.c does. */
/* kafka/process.c followup_accepted(): the answer to a follow-up's call
 * that writes the state without a dead letter. */
static int model_followup_accepted(const world_t *w, const m_item_t *it,
				   const pw_effects_t *fx)
{
	if (it->log != LOG_CMD || it->call != PW_CALL_FOLLOWUP ||
	    !w->log[LOG_CMD][it->off].followup)
		return 0;
	int save = 0;
	for (int i = 0; i < fx->n; i++) {
		if (fx->fx[i].kind == PW_FX_DEAD_LETTER ||
		    fx->fx[i].kind == PW_FX_CALL || fx->fx[i].repeat)
			return 0;
		save |= fx->fx[i].kind == PW_FX_SAVE;
	}
	return save;
}

static void execute(world_t *w, m_item_t *it, pw_effects_t *fx)
{
	int s = it->slot;
	m_write_t ev = {0}, *pend = NULL;
	int writes = 0;
	int keep_followup = model_followup_accepted(w, it, fx);
	for (int i = 0; i < fx->n && !w->fail[0]; i++) {
		const pw_effect_t *e = &fx->fx[i];
		m_write_t x = {0};
		switch (e->kind) {
		case PW_FX_HOLD:
			w->held[s] = 1;
			w->n_wh_new += it->log == LOG_WH;
			if (it->log == LOG_CMD) {
				/* what kafka/process.c keeps at the hold */
				const m_rec_t *r = &w->log[LOG_CMD][it->off];
				pw_cmd_src_t src = {r->topic, 0, it->off};
				if (pw_order_keep_command(&w->st[s], r->j, &src,
							  NULL, NULL) != PA_OK)
					broke(w, "slot %d: command not kept", s);
				w->creator[s] = r->create ? it->off : -1;
			} else {
				w->creator[s] = -1;
			}
			break;
		case PW_FX_PUBLISH:
			ev.kind = W_EVENT;
			ev.slot = s;
			ev.seq = w->st[s].seq;
			ev.status = w->st[s].status;
			ev.prev = e->prev_status;
			ev.repeat = e->repeat;
			ev.src_off = it->log == LOG_CMD ? it->off : -1;
			pw_event_id(&w->st[s], ev.seq, (pa_status_t)ev.status,
				    ev.id);
			if (e->repeat) { /* nothing to save: out at once */
				put(w, it, &ev);
				writes = 1;
				break;
			}
			pend = &ev;
			break;
		case PW_FX_SAVE: {
			size_t len;
			if (keep_followup) {
				const m_rec_t *r = &w->log[LOG_CMD][it->off];
				pw_cmd_src_t src = {r->topic, 0, it->off};
				if (pw_order_keep_followup(&w->st[s], r->j,
							   &src) != PA_OK)
					broke(w, "slot %d: follow-up not kept", s);
				if (fu_type(r) >= 0)
					w->fu_acc[s][fu_type(r)] |=
						(uint8_t)(1 << r->conflict);
			}
			x.kind = W_STATE;
			x.slot = s;
			x.bytes = pw_order_encode(&w->st[s], &len);
			if (!x.bytes)
				broke(w, "slot %d: state not encodable", s);
			if (pend && w->mutant == M_STATE_FIRST && !w->eos) {
				put(w, it, &x);
				put(w, it, pend);
			} else {
				if (pend)
					put(w, it, pend);
				put(w, it, &x);
			}
			pend = NULL;
			writes = 1;
			break;
		}
		case PW_FX_DEAD_LETTER:
			x.kind = W_DL;
			x.log = it->log;
			x.off = it->off;
			snprintf(x.reason, sizeof x.reason, "%s", e->reason);
			if (it->log >= 0)
				put(w, it, &x);
			writes = it->log >= 0;
			break;
		case PW_FX_POLL:
			w->poll_at[s] = w->now + e->in_ms;
			break;
		case PW_FX_POLL_CANCEL:
			w->poll_at[s] = -1;
			break;
		case PW_FX_FORGET:
			w->held[s] = 0;
			w->poll_at[s] = -1;
			w->creator[s] = -1;
			break;
		case PW_FX_REPORT:
		case PW_FX_LOG:
			break;
		case PW_FX_CALL: {
			it->call = e->call;
			const m_rec_t *r =
				it->log >= 0 ? &w->log[it->log][it->off] : NULL;
			if (e->call == PW_CALL_CREATE && it->held_at_start)
				broke(w, "slot %d: gateway create for an order "
					"the worker held when the command "
					"arrived", s);
			if (e->call != PW_CALL_STATUS && r && r->create &&
			    w->bad[it->ord]) {
				/* the adapter cannot build the request */
				pw_effects_clear(fx);
				reply_now(w, it, PA_VALIDATION, NULL,
					  "upi_id: required", 1);
				return;
			}
			it->calling = 1;
			break;
		}
		case PW_FX_RETRY:
			it->call = e->call;
			it->attempts++;
			it->timer_at = w->now + e->in_ms;
			break;
		case PW_FX_DONE:
		case PW_FX_AGAIN:
			it->ending = e->kind;
			if (w->eos || !writes)
				item_end(w, it);
			break;
		}
	}
	pw_effects_clear(fx);
}

/* The step-by-step rules: the effect list is well formed, a sequence
 * moves by one with an event and only with one, along the gateway's
 * documented moves, and a known order is never created again. */
static void check_step(world_t *w, const pw_input_t *in,
		       const pw_order_t *before, const pw_order_t *after,
		       const pw_effects_t *fx)
{
	const char *bad = pw_effects_check(fx);
	if (bad) {
		broke(w, "effects: %s", bad);
		return;
	}
	int pub = -1;
	for (int i = 0; i < fx->n; i++) {
		if (fx->fx[i].kind == PW_FX_PUBLISH && fx->fx[i].repeat) {
			/* an answer: the order as it was, its previous
			 * status the one it keeps */
			int kept = before->prev == PW_PREV_NONE
					   ? -1
					   : (int)before->prev;
			if (!in->known || after->seq != before->seq ||
			    after->status != before->status ||
			    fx->fx[i].prev_status != kept)
				broke(w, "%s: an answer that moved the order",
				     after->order_id);
			continue;
		}
		if (fx->fx[i].kind == PW_FX_PUBLISH)
			pub = i;
		if (fx->fx[i].kind == PW_FX_CALL &&
		    fx->fx[i].call == PW_CALL_CREATE && in->known &&
		    in->kind != PW_INPUT_RETRY)
			broke(w, "%s: create asked for a known order",
			     before->order_id);
	}
	for (int i = 0; i < fx->n; i++)
		w->n_confirm += fx->fx[i].kind == PW_FX_CALL &&
				fx->fx[i].call == PW_CALL_CONFIRM;
	uint32_t from = in->known ? before->seq : 0;
	if (pub >= 0 && in->kind == PW_INPUT_WEBHOOK) {
		/* a webhook is never published at its word unless the worker
		 * created the order: one it does not hold gets PENDING (held)
		 * and waits for the poll's answer; one held only because a
		 * webhook named it gets nothing */
		if (!in->known && after->status != PA_STATUS_PENDING)
			broke(w, "%s: a webhook for an order the worker did "
				 "not hold published %s before a poll answer",
			      after->order_id,
			      pa_status_name((pa_status_t)after->status));
		if (in->known && before->amount_minor <= 0)
			broke(w, "%s: a webhook of an order the worker did "
				 "not create published %s",
			      after->order_id,
			      pa_status_name((pa_status_t)after->status));
		if (w->mc.webhook_confirm == PW_CONFIRM_SUCCESS &&
		    pa_status_is_paid((pa_status_t)after->status))
			broke(w, "%s: webhook.confirm=success, but %s was "
				 "published from a webhook alone",
			      after->order_id,
			      pa_status_name((pa_status_t)after->status));
	}
	if (pub < 0) {
		if (in->known && (after->seq != before->seq ||
				  after->status != before->status))
			broke(w, "%s: state moved without an event",
			     after->order_id);
		return;
	}
	if (after->seq != from + 1)
		broke(w, "%s: event sequence %u after %u", after->order_id,
		     after->seq, from);
	int prev = from ? before->status : -1;
	if (fx->fx[pub].prev_status != prev)
		broke(w, "%s: event's previous status %d, state had %d",
		     after->order_id, fx->fx[pub].prev_status, prev);
	if (from && !pa_status_can_move((pa_status_t)before->status,
					(pa_status_t)after->status))
		broke(w, "%s: %s -> %s is no documented move", after->order_id,
		     pa_status_name((pa_status_t)before->status),
		     pa_status_name((pa_status_t)after->status));
}

/* verbose: the step as the machine saw it */
static void show(world_t *w, const pw_input_t *in, const pw_order_t *o,
		 const pw_effects_t *fx)
{
	static const char *const ins[] = {"command", "webhook", "poll",
					  "reply",   "retry",   "resume"};
	static const char *const fxs[] = {
		"PUBLISH", "DEAD_LETTER", "SAVE", "POLL",  "POLL_CANCEL",
		"HOLD",	   "FORGET",	  "REPORT", "LOG", "CALL",
		"RETRY",   "DONE",	  "AGAIN"};
	char line[256];
	size_t n = (size_t)snprintf(line, sizeof line, "machine: %s %s%s ->",
				    ins[in->kind], o->order_id,
				    in->known ? "" : " (new)");
	for (int i = 0; i < fx->n && n < sizeof line - 24; i++)
		n += (size_t)snprintf(line + n, sizeof line - n, " %s",
				      fxs[fx->fx[i].kind]);
	say(w, "  %s; seq %u %s", line, o->seq,
	    pa_status_name((pa_status_t)o->status));
}

static void mstep(world_t *w, m_item_t *it, pw_input_t *in)
{
	int s = it->slot;
	in->known = w->held[s];
	if (w->mutant == M_FORGET_DUPLICATE && in->kind == PW_INPUT_COMMAND &&
	    in->ci->op == PW_OP_CREATE)
		in->known = 0; /* a shell that lost its table */
	if (!in->known) {
		pw_order_release(&w->st[s]);
		memset(&w->st[s], 0, sizeof w->st[s]);
	}
	pw_order_t before = w->st[s]; /* read only: its ext is not its own */
	char key[16];
	oid(it->ord, key);
	in->now_ms = w->now;
	in->rand = rnd(w);
	in->key = key;
	in->klen = strlen(key);
	pw_effects_t fx;
	pw_effects_init(&fx);
	pw_order_step(&w->mc, &w->st[s], in, &fx);
	w->steps++;
	if (w->verbose)
		show(w, in, &w->st[s], &fx);
	check_step(w, in, &before, &w->st[s], &fx);
	execute(w, it, &fx);
}

static void item_start(world_t *w, m_item_t *it)
{
	it->started = 1;
	it->ending = 0;
	it->nw = it->wi = 0;
	m_rec_t *r = it->log >= 0 ? &w->log[it->log][it->off] : NULL;
	if (it->log < 0) {
		pw_input_t in = {.kind = PW_INPUT_POLL, .force = it->force};
		mstep(w, it, &in);
		return;
	}
	if (it->log == LOG_WH) {
		pw_input_t in = {.kind = PW_INPUT_WEBHOOK, .rec = r->j};
		mstep(w, it, &in);
		return;
	}
	pw_effects_t fx;
	pw_effects_init(&fx);
	pw_admit_in_t ai = {.rec = r->j, .topic = r->topic, .key = r->key,
			    .klen = strlen(r->key), .attempts = it->attempts,
			    .rand = rnd(w)};
	if (!r->j) {
		ai.dec_err = PA_PARSE;
		ai.dec_msg = "undecodable JSON at byte 0";
	} else if (it->decodes < r->flaky) {
		ai.rec = NULL;
		ai.dec_err = PA_TIMEOUT;
		ai.dec_reason = "UNKNOWN_SCHEMA";
		ai.dec_msg = "schema registry: timed out";
	}
	it->decodes++;
	w->steps++;
	if (!pw_order_admit(&w->mc, &ai, &it->ci, &fx)) {
		const char *bad = pw_effects_check(&fx);
		if (bad)
			broke(w, "admission effects: %s", bad);
		it->admitting = 1;
		execute(w, it, &fx);
		return;
	}
	it->admitting = 0;
	it->attempts = 0;
	it->slot = 2 * it->ord + (it->ci.kind == PW_KIND_COMPLAINT);
	it->held_at_start = w->held[it->slot] && it->ci.op == PW_OP_CREATE;
	pw_input_t in = {.kind = PW_INPUT_COMMAND, .rec = r->j, .ci = &it->ci,
			 .src = {r->topic, 0, it->off}};
	if (w->mutant == M_NEW_SOURCE)
		in.src.offset += NREC; /* a shell that misreads the offset */
	mstep(w, it, &in);
}

/* ---- the gateway ------------------------------------------------------------ */

/* The gateway's answer to it's call; o (0..99) picks among the answers
 * it could give (0: the healthy one). */
static void answer(world_t *w, m_item_t *it, unsigned o, unsigned x)
{
	int k = it->ord;
	m_gw_t *g = &w->gw[k];
	const m_rec_t *r = it->log >= 0 ? &w->log[it->log][it->off] : NULL;
	say(w, "reply to %s ORD%d (answer %u)",
	    it->call == PW_CALL_CREATE	  ? "create"
	    : it->call == PW_CALL_STATUS  ? "status"
	    : it->call == PW_CALL_CONFIRM ? "confirmation"
					  : "follow-up",
	    k, o);
	if (it->call == PW_CALL_CREATE) {
		if (o < 60 || w->healthy) {
			if (g->exists) {
				w->n_gwdup++;
				reply_now(w, it, PA_DUPLICATE, NULL,
					  "duplicate order_id", 0);
			} else if (w->rejected[k]) {
				reply_now(w, it, PA_GATEWAY, NULL,
					  "invalid pid", 0);
			} else {
				gw_create(w, k, it->off);
				if (x % 4 == 0 && !w->healthy)
					webhook(w, k, PA_STATUS_PENDING);
				reply_now(w, it, PA_OK, NULL, NULL, 0);
			}
		} else if (o < 85) {
			/* timed out: it may have arrived all the same */
			if ((x & 1) && !g->exists && !w->rejected[k])
				gw_create(w, k, it->off);
			reply_now(w, it, PA_TIMEOUT, NULL, "timed out", 0);
		} else {
			reply_now(w, it, PA_HTTP_5XX, NULL, "502", 0);
		}
		return;
	}
	if (it->call == PW_CALL_STATUS || it->call == PW_CALL_CONFIRM) {
		if (o >= 75 && !w->healthy)
			reply_now(w, it, PA_TIMEOUT, NULL, "timed out", 0);
		else if (!g->exists)
			reply_now(w, it, PA_NOT_FOUND, NULL, "no such order",
				  0);
		else if (o < 3 && !w->healthy)
			reply_now(w, it, PA_OK, "Weird New Status", NULL, 0);
		else
			reply_recv(w, it, PA_OK, raw_of(g->st), NULL, 0,
				   gw_received(w, k, g->st));
		return;
	}
	const char *type =
		r ? json_string_value(json_object_get(r->j, "type")) : "";
	int refund = type && !strcmp(type, "refund");
	if (o >= 80 && !w->healthy) {
		/* timed out: a refund may have arrived all the same */
		if (refund && (x & 1) && g->exists &&
		    (g->st == PA_STATUS_SUCCEEDED ||
		     g->st == PA_STATUS_SUCCEEDED_LATE))
			gw_set(w, k, PA_STATUS_REFUND_PENDING);
		reply_now(w, it, PA_TIMEOUT, NULL, "timed out", 0);
	} else if (refund) {
		if (g->exists && (g->st == PA_STATUS_SUCCEEDED ||
				  g->st == PA_STATUS_SUCCEEDED_LATE)) {
			gw_set(w, k, PA_STATUS_REFUND_PENDING);
			reply_now(w, it, PA_OK, raw_of(g->st), NULL, 0);
		} else {
			reply_now(w, it, PA_GATEWAY, NULL, "not refundable", 0);
		}
	} else {
		reply_now(w, it, PA_OK, NULL, NULL, 0); /* accepted */
	}
}

/* The gateway moves order k on by itself (a customer paid, a bank
 * declined) and maybe sends a webhook, maybe twice. */
static void gw_move(world_t *w, unsigned a, unsigned b)
{
	int k = (int)(a % NORD);
	m_gw_t *g = &w->gw[k];
	static const pa_status_t next[] = {
		PA_STATUS_SUCCEEDED, PA_STATUS_DECLINED, PA_STATUS_EXPIRED,
		PA_STATUS_FAILED,    PA_STATUS_CANCELLED, PA_STATUS_UNMATCHED,
		PA_STATUS_AMOUNT_MISMATCH};
	if (!g->exists)
		return;
	if (g->st == PA_STATUS_PENDING)
		gw_set(w, k, next[b % 7]);
	else if ((g->st == PA_STATUS_EXPIRED || g->st == PA_STATUS_UNMATCHED) &&
		 b % 2)
		gw_set(w, k, PA_STATUS_SUCCEEDED_LATE);
	else if (g->st == PA_STATUS_REFUND_PENDING)
		gw_set(w, k, PA_STATUS_REFUNDED);
	else
		return;
	say(w, "gateway moves ORD%d to %s", k, raw_of(g->st));
	if ((int)((b >> 8) % 10) < w->webhook_rate)
		webhook(w, k, g->st);
	if ((b >> 12) % 10 < 2)
		webhook(w, k, g->st);
}

/* An old webhook of order k arrives again, out of order. */
static void gw_replay(world_t *w, unsigned a, unsigned b)
{
	int k = (int)(a % NORD);
	m_gw_t *g = &w->gw[k];
	if (b % 40 == 0) {
		char o[16];
		oid(k, o);
		append(w, LOG_WH, k,
		       json_pack("{s:s s:s}", "merchant", "demo", "order_id", o),
		       PW_IN_WEBHOOK);
		say(w, "gateway webhook ORD%d without a callback", k);
		return;
	}
	if (g->nhist)
		webhook(w, k, g->hist[b % (unsigned)g->nhist]);
}

/* ---- commands ---------------------------------------------------------------- */

static json_t *create_rec(world_t *w, int k, int conflict)
{
	char o[16];
	oid(k, o);
	int po = w->payout[k];
	return json_pack("{s:s s:s s:s s:s s:s s:s s:I s:s}", "type",
			 po ? "payout" : "payin", "command_id", "c1",
			 "merchant", "demo", "order_id", o, "product",
			 po ? "PAYOUT_IMPS_P2P_SEAMLESS"
			    : "PAYIN_UPI_P2C_SEAMLESS",
			 "country", "IN", "amount_minor",
			 (json_int_t)(conflict ? 20000 : 10000), "currency",
			 "INR");
}

static void produce(world_t *w, unsigned a, unsigned b)
{
	int k = (int)(a % NORD), po = w->payout[k];
	int topic = po ? PW_IN_PAYOUT : PW_IN_PAYIN;
	char o[16], other[16];
	oid(k, o);
	oid((k + 1) % NORD, other);
	unsigned t = b % 100;
	json_t *j;
	const char *want = NULL, *what;
	int create = 0, flaky = 0, conflict = 0, followup = 0;
	char fcid[24]; /* a follow-up's command_id: one per order and type */
	if (t < 32) {
		j = create_rec(w, k, 0);
		create = 1;
		what = "create";
		if (w->bad[k])
			want = "VALIDATION";
	} else if (t < 36) {
		j = create_rec(w, k, 1);
		create = 1;
		conflict = 1;
		what = "conflicting create";
		if (w->bad[k])
			want = "VALIDATION";
	} else if (t < 48) {
		j = json_pack("{s:s s:s s:s}", "type", "status_check",
			      "merchant", "demo", "order_id", o);
		what = "status check";
	} else if (t < 58 && !po) {
		/* the same refund again (a retry), now and then another
		 * amount under its command_id (a conflict) */
		conflict = (b >> 12) % 5 == 0;
		snprintf(fcid, sizeof fcid, "rf-%d", k);
		j = json_pack("{s:s s:s s:s s:s s:I}", "type", "refund",
			      "command_id", fcid, "merchant", "demo",
			      "order_id", o, "amount_minor",
			      (json_int_t)(conflict ? 500 : 0));
		followup = 1;
		what = conflict ? "refund (other amount)" : "refund";
	} else if (t < 62 && !po) {
		snprintf(fcid, sizeof fcid, "utr-%d", k);
		j = json_pack("{s:s s:s s:s s:s s:s}", "type", "utr_submit",
			      "command_id", fcid, "merchant", "demo",
			      "order_id", o, "utr", "123456789012");
		followup = 1;
		what = "utr";
	} else if (t < 68) {
		snprintf(fcid, sizeof fcid, "%s-%d", t % 2 ? "cs" : "cq", k);
		j = json_pack("{s:s s:s s:s s:s}", "type",
			      t % 2 ? "complaint_submit" : "complaint_status",
			      "command_id", fcid, "merchant", "demo",
			      "order_id", o);
		followup = t % 2; /* complaint_status asks: never answered */
		topic = PW_IN_COMPLAINT;
		what = "complaint";
	} else if (t < 72) {
		j = create_rec(w, k, 0);
		json_object_set_new(j, "merchant", json_string("nobody"));
		want = "UNKNOWN_MERCHANT";
		what = "unknown merchant";
	} else if (t < 75) {
		j = create_rec(w, k, 0);
		json_object_set_new(j, "order_id", json_string(other));
		want = "KEY_MISMATCH";
		what = "key mismatch";
	} else if (t < 78) {
		j = create_rec(w, k, 0);
		json_object_del(j, "type");
		want = "MALFORMED";
		what = "no type";
	} else if (t < 81) {
		j = NULL;
		want = "UNDECODABLE";
		what = "undecodable";
	} else if (t < 86) {
		j = create_rec(w, k, 0);
		create = 1;
		flaky = 1 + (int)((b >> 8) % 3);
		what = "create (registry down)";
		if (w->bad[k])
			want = "VALIDATION";
	} else if (t < 88) {
		j = json_pack("{s:s s:s s:s}", "type", "report_request",
			      "merchant", "demo", "order_id", o);
		what = "report request";
	} else {
		j = create_rec(w, k, 0);
		create = 1;
		what = "create (sent again)";
		if (w->bad[k])
			want = "VALIDATION";
	}
	m_rec_t *r = append(w, LOG_CMD, k, j, topic);
	if (!r)
		return;
	r->create = create;
	r->conflict = conflict;
	r->followup = followup;
	r->want_dl = want;
	r->flaky = flaky;
	say(w, "command cmd@%d: %s %s", w->nlog[LOG_CMD] - 1, what, o);
}

/* ---- the worker's life: consume, timers, crash, revoke ---------------------- */

static int live_items(world_t *w)
{
	int n = 0;
	for (int i = 0; i < NITEM; i++)
		n += w->it[i].used;
	return n;
}

static void consume(world_t *w, unsigned a)
{
	int l = (int)(a % NLOG);
	if (w->next[l] >= w->nlog[l])
		l = !l;
	if (w->next[l] >= w->nlog[l] || live_items(w) > NITEM - 12)
		return;
	int off = w->next[l]++;
	m_rec_t *r = &w->log[l][off];
	m_item_t *it = item_new(w, l == LOG_WH ? 1 : 0, r->ord);
	if (!it)
		return;
	it->log = l;
	it->off = off;
	say(w, "consume %s@%d", l ? "wh" : "cmd", off);
	item_submit(w, it);
}

static void reply(world_t *w, unsigned a, unsigned b)
{
	m_item_t *c[NITEM];
	int n = 0;
	for (int i = 0; i < NITEM; i++)
		if (w->it[i].used && w->it[i].calling)
			c[n++] = &w->it[i];
	if (n)
		answer(w, c[a % (unsigned)n], b % 100, b >> 8);
}

static void deliver_one(world_t *w, unsigned a)
{
	m_item_t *c[NITEM];
	int n = 0;
	for (int i = 0; i < NITEM; i++)
		if (w->it[i].used && w->it[i].wi < w->it[i].nw)
			c[n++] = &w->it[i];
	if (n)
		deliver(w, c[a % (unsigned)n]);
}

/* Fires the earliest timer (retry or poll), the clock moving to it. */
static int fire(world_t *w)
{
	int64_t at = -1;
	m_item_t *ti = NULL;
	int ts = -1;
	for (int i = 0; i < NITEM; i++) {
		m_item_t *it = &w->it[i];
		if (it->used && it->timer_at >= 0 &&
		    (at < 0 || it->timer_at < at)) {
			at = it->timer_at;
			ti = it;
		}
	}
	for (int s = 0; s < NSLOT; s++)
		if (w->poll_at[s] >= 0 && (at < 0 || w->poll_at[s] < at)) {
			at = w->poll_at[s];
			ti = NULL;
			ts = s;
		}
	if (at < 0)
		return 0;
	if (at > w->now)
		w->now = at;
	if (ti) {
		ti->timer_at = -1;
		say(w, "retry timer ORD%d", ti->ord);
		if (ti->admitting) {
			item_start(w, ti);
			return 1;
		}
		pw_input_t in = {.kind = PW_INPUT_RETRY, .call = ti->call,
				 .attempts = ti->attempts};
		mstep(w, ti, &in);
		return 1;
	}
	w->poll_at[ts] = -1;
	say(w, "poll timer ORD%d", ts / 2);
	m_item_t *it = item_new(w, 2, ts / 2);
	if (it)
		item_submit(w, it);
	return 1;
}

static void force_poll(world_t *w, unsigned a)
{
	int k = (int)(a % NORD);
	if (!w->held[2 * k])
		return;
	m_item_t *it = item_new(w, 2, k);
	if (!it)
		return;
	it->force = 1;
	say(w, "reconciliation polls ORD%d", k);
	item_submit(w, it);
}

/* Partitions come back (a restart, a new assignment): the state is read
 * from the changelog through its real format, polls resume, the logs are
 * read again from the committed offsets. */
static void restore(world_t *w)
{
	for (int l = 0; l < NLOG; l++) {
		w->next[l] = w->committed[l];
		memset(w->done[l], 0, sizeof w->done[l]);
	}
	for (int s = 0; s < NSLOT; s++) {
		w->held[s] = 0;
		w->poll_at[s] = -1;
		if (!w->clog[s])
			continue;
		json_error_t je;
		json_t *j = json_loads(w->clog[s], 0, &je);
		pw_order_release(&w->st[s]);
		if (pw_order_from_json(j, &w->st[s]) != PA_OK)
			broke(w, "slot %d: state record does not decode: %s", s,
			     w->clog[s]);
		json_decref(j);
		w->held[s] = 1;
	}
	for (int s = 0; s < NSLOT; s++) {
		if (!w->held[s])
			continue;
		pw_input_t in = {.kind = PW_INPUT_RESUME, .known = 1,
				 .now_ms = w->now, .rand = rnd(w)};
		pw_effects_t fx;
		pw_effects_init(&fx);
		pw_order_t before = w->st[s];
		pw_order_step(&w->mc, &w->st[s], &in, &fx);
		w->steps++;
		check_step(w, &in, &before, &w->st[s], &fx);
		for (int i = 0; i < fx.n; i++)
			if (fx.fx[i].kind == PW_FX_POLL)
				w->poll_at[s] = w->now + fx.fx[i].in_ms;
		pw_effects_clear(&fx);
	}
	for (int k = 0; k < NORD; k++)
		check_watched(w, k);
}

/* Drops the worker's memory. Calls in flight were sent: bit i of x says
 * whether the i-th arrived. */
static void drop(world_t *w, unsigned x)
{
	for (int i = 0; i < NITEM; i++) {
		m_item_t *it = &w->it[i];
		if (!it->used)
			continue;
		if (it->calling && it->call == PW_CALL_CREATE &&
		    (x >> (i % 31) & 1) && !w->gw[it->ord].exists &&
		    !w->rejected[it->ord] && !w->bad[it->ord])
			gw_create(w, it->ord, it->off);
		/* at-least-once: the event landed, its state record not */
		if (it->wi > 0 && it->wi < it->nw &&
		    it->w[it->wi - 1].kind == W_EVENT)
			w->pub[it->w[it->wi - 1].slot].lost |=
				1ULL << it->w[it->wi - 1].seq;
		item_free(it);
	}
	for (int i = 0; i < w->ntxn; i++)
		free(w->txn[i].bytes);
	w->ntxn = 0;
}

static void crash(world_t *w, unsigned x)
{
	say(w, "CRASH");
	w->n_crash++;
	drop(w, x);
	restore(w);
}

/* A revoke: drained (the calls in flight return first) or not; what was
 * produced is flushed (at-least-once) or committed (exactly-once) with
 * the offsets, then the partition goes, and comes back. */
static void revoke(world_t *w, unsigned a, unsigned x)
{
	say(w, "REVOKE (%s)", a % 2 ? "drained" : "calls cancelled");
	w->n_revoke++;
	for (int round = 0; a % 2 && round < 64; round++) {
		int n = 0;
		for (int i = 0; i < NITEM; i++)
			if (w->it[i].used && w->it[i].calling) {
				answer(w, &w->it[i], 0, 0);
				n++;
			}
		if (!n)
			break;
	}
	w->revoking = 1;
	for (int round = 0; round < 4 * NITEM; round++) {
		int n = 0;
		for (int i = 0; i < NITEM; i++)
			if (w->it[i].used && w->it[i].wi < w->it[i].nw) {
				deliver(w, &w->it[i]);
				n++;
			}
		if (!n)
			break;
	}
	commit(w);
	w->revoking = 0;
	drop(w, x);
	restore(w);
}

/* ---- episodes ------------------------------------------------------------------ */

enum {
	A_CMD, A_GWMOVE, A_GWREPLAY, A_CONSUME, A_REPLY, A_DELIVER, A_COMMIT,
	A_TIMER, A_CLOCK, A_POLLNOW, A_FORGE, A_CRASH, A_REVOKE, A_N
};
static const char *const act_names[A_N] = {
	"command", "gateway moves", "webhook replayed", "consume", "reply",
	"deliver", "commit", "timer", "clock", "reconciliation poll",
	"forged webhook", "crash", "revoke"};
/* per thousand actions; crashes and revokes vary by world (none, rare,
 * often): frequent restarts also hide stalls, since a restored order
 * resumes its polls */
static const int weight[A_N] = {140, 80, 30, 200, 180, 180, 40, 80, 40, 10,
				15,  0,	 0};

static void gen(uint64_t seed, m_act_t *acts, int n)
{
	static const int faults[] = {0, 2, 12};
	int wt[A_N], total = 0;
	memcpy(wt, weight, sizeof wt);
	wt[A_CRASH] = wt[A_REVOKE] = faults[(seed >> 8) % 3];
	for (int t = 0; t < A_N; t++)
		total += wt[t];
	for (int i = 0; i < n; i++) {
		uint64_t r = mix(seed ^ mix((uint64_t)i + 1));
		int pick = (int)(r % (uint64_t)total), t = 0;
		while (pick >= wt[t])
			pick -= wt[t++];
		acts[i].type = (uint8_t)t;
		acts[i].a = (uint32_t)(r >> 16);
		acts[i].b = (uint32_t)mix(r);
	}
}

static void act(world_t *w, const m_act_t *x)
{
	switch (x->type) {
	case A_CMD: produce(w, x->a, x->b); break;
	case A_GWMOVE: gw_move(w, x->a, x->b); break;
	case A_GWREPLAY: gw_replay(w, x->a, x->b); break;
	case A_CONSUME: consume(w, x->a); break;
	case A_REPLY: reply(w, x->a, x->b); break;
	case A_DELIVER: deliver_one(w, x->a); break;
	case A_COMMIT: commit(w); break;
	case A_TIMER: fire(w); break;
	case A_CLOCK: w->now += x->a % 3000; break;
	case A_POLLNOW: force_poll(w, x->a); break;
	case A_FORGE: forge(w, x->a, x->b); break;
	case A_CRASH: crash(w, x->b); break;
	case A_REVOKE: revoke(w, x->a, x->b); break;
	}
}

/* Runs the world to rest on a healthy gateway, past every deadline, and
 * checks that nothing stalled: every record finished and committed, every
 * order settled with an outcome consumers saw, the changelog agreeing
 * with memory. */
static void drain(world_t *w)
{
	/* in half the worlds the gateway settles what is pending without a
	 * webhook: only polling can find out */
	for (int k = 0; k < NORD && (w->seed >> 24) % 2; k++)
		if (w->gw[k].exists && w->gw[k].st == PA_STATUS_PENDING)
			gw_set(w, k, PA_STATUS_SUCCEEDED);
	w->healthy = 1;
	int i;
	for (i = 0; i < 200000 && !w->fail[0]; i++) {
		int progressed = 0;
		for (int j = 0; j < NITEM && !progressed; j++) {
			m_item_t *it = &w->it[j];
			if (it->used && it->wi < it->nw) {
				deliver(w, it);
				progressed = 1;
			} else if (it->used && it->calling) {
				answer(w, it, 0, 0);
				progressed = 1;
			}
		}
		if (progressed)
			continue;
		if (w->next[LOG_CMD] < w->nlog[LOG_CMD] ||
		    w->next[LOG_WH] < w->nlog[LOG_WH]) {
			int before = w->next[0] + w->next[1];
			consume(w, w->next[LOG_CMD] < w->nlog[LOG_CMD] ? 0 : 1);
			if (w->next[0] + w->next[1] != before)
				continue;
		}
		if (fire(w))
			continue;
		break;
	}
	commit(w);
	if (w->fail[0])
		return;
	if (i == 200000)
		broke(w, "drain: the world never came to rest");
	for (int j = 0; j < NITEM; j++)
		if (w->it[j].used)
			broke(w, "drain: ORD%d's %s item never finished",
			     w->it[j].ord,
			     w->it[j].log == LOG_CMD  ? "command"
			     : w->it[j].log == LOG_WH ? "webhook"
						      : "poll");
	for (int l = 0; l < NLOG; l++)
		if (w->committed[l] != w->nlog[l])
			broke(w, "drain: %s log committed at %d of %d",
			     l ? "webhook" : "command", w->committed[l],
			     w->nlog[l]);
	for (int s = 0; s < NSLOT; s += 2) {
		if (!w->held[s])
			continue;
		const pw_order_t *o = &w->st[s];
		const m_pub_t *p = &w->pub[s];
		if (o->phase != PW_PHASE_SETTLED)
			broke(w, "drain: %s never settled (phase %d, %s)",
			     o->order_id, o->phase,
			     pa_status_name((pa_status_t)o->status));
		/* at-least-once: consumers may be ahead by events whose
		 * state record a crash lost (a later transition reuses
		 * those sequences); otherwise they saw the state's event */
		uint32_t ahead = p->last > o->seq ? p->last - o->seq : 0;
		int lost_ok = ahead && !w->eos &&
			      ((p->lost >> (o->seq + 1)) &
			       ((1ULL << ahead) - 1)) == (1ULL << ahead) - 1;
		if (lost_ok)
			w->n_orphan++;
		if (!lost_ok && (!p->last || p->last != o->seq ||
				 p->last_status != o->status))
			broke(w, "drain: %s at seq %u %s, consumers saw seq %u "
				"%s", o->order_id, o->seq,
			     pa_status_name((pa_status_t)o->status), p->last,
			     pa_status_name((pa_status_t)p->last_status));
		pw_order_t c;
		json_t *j = w->clog[s] ? json_loads(w->clog[s], 0, NULL) : NULL;
		if (pw_order_from_json(j, &c) != PA_OK || c.seq != o->seq ||
		    c.status != o->status)
			broke(w, "drain: %s's state record is behind memory",
			     o->order_id);
		pw_order_release(&c);
		json_decref(j);
	}
	/* every create that was not refused has an outcome consumers saw */
	for (int off = 0; off < w->nlog[LOG_CMD]; off++) {
		const m_rec_t *r = &w->log[LOG_CMD][off];
		if (!r->create || r->want_dl ||
		    !strcmp(w->dl[LOG_CMD][off], "ORDER_ID_CONFLICT"))
			continue;
		const m_pub_t *p = &w->pub[2 * r->ord];
		/* the order's state is what the worker goes on from (in the
		 * at-least-once window consumers may have seen more) */
		uint32_t seq = w->held[2 * r->ord] ? w->st[2 * r->ord].seq
						     : p->last;
		int st = seq && seq <= p->last ? p->status[seq] : -1;
		if (st < 0 ||
		    (!pa_status_is_terminal((pa_status_t)st) &&
		     st != PA_STATUS_UNRESOLVED))
			broke(w, "drain: the create cmd@%d of ORD%d has no "
				"outcome (seq %u %s)", off, r->ord, seq,
			     st < 0 ? "none" : pa_status_name((pa_status_t)st));
	}
}

static int only_demo(void *ud, const char *merchant)
{
	(void)ud;
	return !strcmp(merchant, "demo");
}

static void world_init(world_t *w, uint64_t seed, int eos, int mutant)
{
	memset(w, 0, sizeof *w);
	w->seed = seed;
	w->eos = eos;
	w->mutant = mutant;
	w->now = T0;
	pw_machine_conf_default(&w->mc);
	w->mc.poll_first_ms = 1000;
	w->mc.poll_max_interval_ms = 8000;
	w->mc.poll_deadline_ms = 60000;
	w->mc.retry_base_ms = 100;
	w->mc.retry_max_ms = 2000;
	w->mc.retry_max_attempts = 4;
	w->mc.reports = 1;
	w->mc.has_merchant = only_demo;
	w->webhook_rate = (int)(seed >> 16) % 3 * 4 + 2; /* 2, 6 or 10 */
	/* half the worlds ask the gateway before any paid status a webhook
	 * reports (webhook.confirm=success) */
	w->mc.webhook_confirm =
		(seed >> 20) % 2 ? PW_CONFIRM_SUCCESS : PW_CONFIRM_NONE;
	for (int k = 0; k < NORD; k++) {
		uint64_t r = mix(seed ^ (0xabcULL + (uint64_t)k));
		w->payout[k] = k % 3 == 2;
		w->bad[k] = r % 9 == 0;
		w->rejected[k] = !w->bad[k] && (r >> 8) % 9 == 0;
		w->pub[2 * k].first_outcome = w->pub[2 * k + 1].first_outcome = -1;
	}
	for (int s = 0; s < NSLOT; s++)
		w->poll_at[s] = w->creator[s] = -1;
}

static void world_free(world_t *w)
{
	for (int i = 0; i < NITEM; i++)
		if (w->it[i].used)
			item_free(&w->it[i]);
	for (int i = 0; i < w->ntxn; i++)
		free(w->txn[i].bytes);
	for (int l = 0; l < NLOG; l++)
		for (int i = 0; i < w->nlog[l]; i++)
			json_decref(w->log[l][i].j);
	for (int s = 0; s < NSLOT; s++) {
		free(w->clog[s]);
		pw_order_release(&w->st[s]);
	}
}

/* One episode: the actions, then the drain. The failure (a copy in
 * fail_out when not NULL) or NULL; *steps gets the machine steps. */
static int episode(uint64_t seed, int mutant, const m_act_t *acts, int n,
		   int verbose, char *fail_out, uint64_t *steps,
		   world_t *stats)
{
	world_t *w = malloc(sizeof *w);
	ck_assert_ptr_nonnull(w);
	world_init(w, seed, (int)(seed & 1), mutant);
	w->verbose = verbose;
	for (int i = 0; i < n && !w->fail[0]; i++) {
		if (verbose)
			printf("  %4d %s\n", i, act_names[acts[i].type]);
		act(w, &acts[i]);
	}
	if (!w->fail[0]) {
		if (verbose)
			printf("  ---- drain\n");
		drain(w);
	}
	int failed = w->fail[0] != 0;
	if (fail_out)
		snprintf(fail_out, sizeof w->fail, "%s", w->fail);
	if (steps)
		*steps = w->steps;
	if (stats) {
		stats->n_events += w->n_events;
		stats->n_dups += w->n_dups;
		stats->n_reuse += w->n_reuse;
		stats->n_orphan += w->n_orphan;
		stats->n_dl += w->n_dl;
		stats->n_crash += w->n_crash;
		stats->n_revoke += w->n_revoke;
		stats->n_gwdup += w->n_gwdup;
		stats->n_wh_new += w->n_wh_new;
		stats->n_forged += w->n_forged;
		stats->n_confirm += w->n_confirm;
		stats->n_answers += w->n_answers;
		stats->n_conflicts += w->n_conflicts;
	}
	world_free(w);
	free(w);
	return failed;
}

/* The rule a failure broke: its message up to the first ':' after the
 * order, so that shrinking keeps to the same failure. */
static void rule_of(const char *msg, char *out, size_t size)
{
	const char *p = strchr(msg, ':');
	snprintf(out, size, "%s", p ? p + 1 : msg);
	for (char *q = out; *q; q++)
		if (*q >= '0' && *q <= '9')
			*q = '#';
}

static int same_failure(uint64_t seed, int mutant, const m_act_t *acts,
			int n, const char *rule)
{
	char msg[600], r[600];
	if (!episode(seed, mutant, acts, n, 0, msg, NULL, NULL))
		return 0;
	rule_of(msg, r, sizeof r);
	return !strcmp(r, rule);
}

/* Delta debugging (ddmin): drops chunks of actions while the same rule
 * still fails; bounded. Returns the new length. */
static int shrink(uint64_t seed, int mutant, m_act_t *acts, int n,
		  const char *rule)
{
	m_act_t *tmp = malloc(sizeof *tmp * (size_t)n);
	int chunks = 2, tries = 0;
	while (n >= 2 && tries < 4000) {
		int size = (n + chunks - 1) / chunks, reduced = 0;
		for (int start = 0; start < n && tries < 4000; start += size) {
			int m = 0;
			for (int i = 0; i < n; i++)
				if (i < start || i >= start + size)
					tmp[m++] = acts[i];
			tries++;
			if (m && same_failure(seed, mutant, tmp, m, rule)) {
				memcpy(acts, tmp, sizeof *tmp * (size_t)m);
				n = m;
				chunks = chunks > 2 ? chunks - 1 : 2;
				reduced = 1;
				break;
			}
		}
		if (!reduced) {
			if (chunks >= n)
				break;
			chunks = chunks * 2 > n ? n : chunks * 2;
		}
	}
	free(tmp);
	return n;
}

typedef struct run {
	uint64_t seed, steps, episodes;
	int failed_episode, shrunk;
	char fail[600];
	world_t stats;
} run_t;

/* Episodes of seed until `steps` machine steps ran or one failed; a
 * failure is shrunk and printed. */
static void run(run_t *r, uint64_t seed, uint64_t steps, int mutant,
		int print)
{
	m_act_t *acts = malloc(sizeof *acts * NACT);
	memset(r, 0, sizeof *r);
	r->seed = seed;
	r->failed_episode = -1;
	for (uint64_t e = 0; r->steps < steps; e++) {
		uint64_t es = mix(mix(seed) + e);
		uint64_t n = 0;
		gen(es, acts, NACT);
		r->episodes++;
		if (!episode(es, mutant, acts, NACT, 0, r->fail, &n,
			     &r->stats)) {
			r->steps += n;
			continue;
		}
		char rule[600];
		r->failed_episode = (int)e;
		rule_of(r->fail, rule, sizeof rule);
		r->shrunk = shrink(es, mutant, acts, NACT, rule);
		if (print) {
			printf("model: FAILED seed %llu episode %d "
			       "(PW_MODEL_SEED=%llu PW_MODEL_EPISODE=%d): %s\n"
			       "model: shortest sequence found, %d actions:\n",
			       (unsigned long long)seed, (int)e,
			       (unsigned long long)seed, (int)e, r->fail,
			       r->shrunk);
			char again[600];
			episode(es, mutant, acts, r->shrunk, 1, again, NULL,
				NULL);
			printf("model: it fails with: %s\n", again);
		}
		break;
	}
	free(acts);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return dflt;
	if (!strcmp(s, "random"))
		return mix((uint64_t)time(NULL) ^ (uint64_t)clock());
	return strtoull(s, NULL, 10);
}

static uint64_t default_steps(void)
{
#ifdef PAYATOM_SANITIZED
	uint64_t d = 150000;
#else
	uint64_t d = 1000000;
#endif
	if (getenv("PAYATOM_UNDER_VALGRIND"))
		d = 15000;
	return env_u64("PW_MODEL_STEPS", d);
}

START_TEST(test_model_money_rules_hold_over_random_worlds)
{
	uint64_t seed = env_u64("PW_MODEL_SEED", 20261125);
	const char *only = getenv("PW_MODEL_EPISODE");
	if (only && *only) {
		m_act_t *acts = malloc(sizeof *acts * NACT);
		uint64_t es = mix(mix(seed) + strtoull(only, NULL, 10));
		char msg[600];
		gen(es, acts, NACT);
		int bad = episode(es, M_NONE, acts, NACT, 1, msg, NULL, NULL);
		free(acts);
		ck_assert_msg(!bad, "episode %s: %s", only, msg);
		return;
	}
	uint64_t steps = default_steps();
	run_t r;
	int64_t t0 = pwt_now_ms();
	run(&r, seed, steps, M_NONE, 1);
	printf("model: seed %llu: %llu machine steps in %llu episodes "
	       "(%lld ms): events %llu (redelivered duplicates %llu, "
	       "sequences reused after a lost state record %llu, left "
	       "ahead of the state at the end %llu), dead "
	       "letters %llu, crashes %llu, revokes %llu, duplicate creates "
	       "answered by the gateway %llu, orders first seen in a webhook "
	       "%llu, forged webhooks %llu, webhooks confirmed by the status "
	       "API %llu, repeated commands answered %llu, conflicts %llu\n",
	       (unsigned long long)seed, (unsigned long long)r.steps,
	       (unsigned long long)r.episodes,
	       (long long)(pwt_now_ms() - t0),
	       (unsigned long long)r.stats.n_events,
	       (unsigned long long)r.stats.n_dups,
	       (unsigned long long)r.stats.n_reuse,
	       (unsigned long long)r.stats.n_orphan,
	       (unsigned long long)r.stats.n_dl,
	       (unsigned long long)r.stats.n_crash,
	       (unsigned long long)r.stats.n_revoke,
	       (unsigned long long)r.stats.n_gwdup,
	       (unsigned long long)r.stats.n_wh_new,
	       (unsigned long long)r.stats.n_forged,
	       (unsigned long long)r.stats.n_confirm,
	       (unsigned long long)r.stats.n_answers,
	       (unsigned long long)r.stats.n_conflicts);
	ck_assert_msg(r.failed_episode < 0,
		      "seed %llu episode %d: %s (shrunk to %d actions, "
		      "printed above)",
		      (unsigned long long)seed, r.failed_episode, r.fail,
		      r.shrunk);
	ck_assert_uint_ge(r.steps, steps);
	/* the worlds did what they are for */
	ck_assert_uint_gt(r.stats.n_crash, 0);
	ck_assert_uint_gt(r.stats.n_revoke, 0);
	ck_assert_uint_gt(r.stats.n_gwdup, 0);
	ck_assert_uint_gt(r.stats.n_dl, 0);
	ck_assert_uint_gt(r.stats.n_forged, 0);
	ck_assert_uint_gt(r.stats.n_confirm, 0);
	ck_assert_uint_gt(r.stats.n_wh_new, 0);
	ck_assert_uint_gt(r.stats.n_answers, 0);
	ck_assert_uint_gt(r.stats.n_conflicts, 0);
}
END_TEST

/* The checks can fail: a shell that forgets a repeated create, that
 * writes the state record before its event (then consumers miss the
 * event a state or an answer names), or that misreads where a command
 * was read (then the record that created an order is answered when
 * redelivered) is caught, and shrunk to a short sequence. */
START_TEST(test_model_catches_a_broken_shell)
{
	static const int mutants[] = {M_FORGET_DUPLICATE, M_STATE_FIRST,
				      M_NEW_SOURCE};
	static const char *const want[][2] = {
		{"gateway create for an order", NULL},
		{"published after", "which consumers did not see"},
		{"the record that created the order", NULL}};
	for (int i = 0; i < 3; i++) {
		run_t r;
		run(&r, 7 + (uint64_t)i, 300000, mutants[i], 0);
		ck_assert_msg(r.failed_episode >= 0, "mutant %d not caught", i);
		ck_assert_msg(strstr(r.fail, want[i][0]) != NULL ||
				      (want[i][1] && strstr(r.fail, want[i][1])),
			      "mutant %d: %s", i, r.fail);
		ck_assert_int_lt(r.shrunk, NACT / 10);
		printf("model: broken shell %d caught in episode %d (%s), "
		       "shrunk to %d actions\n",
		       i, r.failed_episode, r.fail, r.shrunk);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("model");
	TCase *t = tcase_create("money_rules");
	tcase_set_timeout(t, 240); /* the steps: PW_MODEL_STEPS */
	tcase_add_test(t, test_model_money_rules_hold_over_random_worlds);
	tcase_add_test(t, test_model_catches_a_broken_shell);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pwt_run_suite(suite());
}
