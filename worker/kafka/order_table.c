/* order_table.c -- the orders this worker holds for its partitions.
 * Owns: live orders (pw_order_t) and settled ones at rest (packed), their
 *       keys, unpacking on demand, retention (expiry with tombstones), the
 *       changelog records a restore reads into them, the polls a restored
 *       partition resumes, dropping a revoked partition's orders.
 * Not here: the record's layout and packing (orders/state.c), reading the
 *           changelog (restore.c), the rules of an order (process.c). */
#include "kafka/worker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- orders ---------------------------------------------------------- */

static void order_free(pw_worker_t *w, pw_order_t *ord)
{
	if (ord->rt)
		pw_timer_cancel(w->loop, ord->rt);
	pw_order_release(ord);
	free(ord);
}

pw_order_t *pw__order_hold(pw_worker_t *w, const pw_order_t *init)
{
	pw_order_t *ord = malloc(sizeof *ord);
	if (!ord)
		return NULL;
	*ord = *init;
	ord->owner = w;
	ord->rt = NULL;
	char mk[PW_ID_MAX + 16];
	size_t mkl = pw_order_key(ord->kind, ord->order_id, mk, sizeof mk);
	void *old = NULL;
	if (pw_hmap_put(w->orders, mk, mkl, ord, &old) != PA_OK) {
		free(ord);
		return NULL;
	}
	if (old)
		order_free(w, old);
	return ord;
}

void pw__order_forget(pw_worker_t *w, pw_order_t *ord)
{
	char k[PW_ID_MAX + 16];
	size_t kl = pw_order_key(ord->kind, ord->order_id, k, sizeof k);
	pw_hmap_del(w->orders, k, kl);
	order_free(w, ord);
}

/* ---- orders at rest ----------------------------------------------------
 * A settled order is mostly read again only if a command is redelivered, a
 * late webhook (Late Approved, refunds) or a follow-up arrives. Once no
 * item works on it and no poll is due, it is packed (state.h, ~190 bytes
 * in the benchmark instead of 352) into w->rest; the first work for it unpacks it. */

static void rest_free(pw_worker_t *w, pw_order_rest_t *r)
{
	w->rest_bytes -= pw_order_rest_size(r);
	free(r);
}

/* Stores r under key, replacing (and freeing) what was there. */
static void rest_put(pw_worker_t *w, const char *key, size_t klen,
		     pw_order_rest_t *r)
{
	void *old = NULL;
	if (pw_hmap_put(w->rest, key, klen, r, &old) != PA_OK) {
		free(r);
		return;
	}
	w->rest_bytes += pw_order_rest_size(r);
	if (old)
		rest_free(w, old);
}

void pw__order_rest(pw_worker_t *w, pw_order_t *ord)
{
	if (ord->phase != PW_PHASE_SETTLED || ord->rt || w->destroying)
		return;
	char k[PW_ID_MAX + 16];
	size_t kl = pw_order_key(ord->kind, ord->order_id, k, sizeof k);
	if (pw_hmap_get(w->orders, k, kl) != ord)
		return;
	pw_order_rest_t *r = pw_order_pack(ord, NULL);
	if (!r)
		return; /* stays live */
	pw_hmap_del(w->orders, k, kl);
	order_free(w, ord);
	rest_put(w, k, kl, r);
}

pw_order_t *pw__order_get(pw_worker_t *w, const char *key, size_t klen)
{
	pw_order_t *ord = pw_hmap_get(w->orders, key, klen);
	if (ord)
		return ord;
	pw_order_rest_t *r = pw_hmap_get(w->rest, key, klen);
	if (!r)
		return NULL;
	ord = malloc(sizeof *ord);
	if (!ord || pw_hmap_put(w->orders, key, klen, ord, NULL) != PA_OK) {
		free(ord);
		return NULL;
	}
	pw_order_unpack(r, ord);
	ord->owner = w;
	pw_hmap_del(w->rest, key, klen);
	rest_free(w, r);
	return ord;
}

pw_order_t *pw__order_peek(pw_worker_t *w, const char *key, size_t klen,
			   pw_order_t *copy)
{
	const pw_order_t *ord = pw_hmap_get(w->orders, key, klen);
	if (ord) {
		pw_order_copy(copy, ord);
		return copy;
	}
	const pw_order_rest_t *r = pw_hmap_get(w->rest, key, klen);
	if (!r)
		return NULL;
	pw_order_unpack(r, copy);
	return copy;
}

static int free_live(const char *k, size_t kl, void *v, void *ud)
{
	(void)k;
	(void)kl;
	order_free(ud, v);
	return PW_HMAP_DELETE;
}

static int free_rest(const char *k, size_t kl, void *v, void *ud)
{
	(void)k;
	(void)kl;
	rest_free(ud, v);
	return PW_HMAP_DELETE;
}

struct expire_ctx {
	pw_worker_t *w;
	int64_t cutoff;
	int refused; /* the producer took no more tombstones this sweep */
};

static int expire_rest(const char *k, size_t kl, void *v, void *ud)
{
	struct expire_ctx *c = ud;
	pw_worker_t *w = c->w;
	if (c->refused || pw_order_rest_created_ms(v) >= c->cutoff)
		return PW_HMAP_NEXT;
	/* tombstone first: an order whose tombstone was not queued stays
	 * (the next sweep tries again) */
	if (pw__produce(w, NULL, w->o.topic_int_state,
			pw_order_rest_partition(v), k, kl, NULL, 0,
			NULL) != PA_OK) {
		c->refused = 1;
		return PW_HMAP_STOP;
	}
	w->st.orders_expired++;
	rest_free(w, v);
	return PW_HMAP_DELETE;
}

void pw__orders_expire(pw_worker_t *w, int64_t cutoff_ms)
{
	struct expire_ctx c = {w, cutoff_ms, 0};
	pw_hmap_walk(w->rest, expire_rest, &c);
}

void pw__orders_free(pw_worker_t *w)
{
	pw_hmap_walk(w->orders, free_live, w);
	pw_hmap_walk(w->rest, free_rest, w);
}

void pw__restore_record(pw_worker_t *w, rd_kafka_message_t *m)
{
	pw_part_t *p = pw__part(w, m->partition, 0);
	if (!p || !p->restoring || !m->key || !m->key_len ||
	    m->key_len >= PW_ID_MAX)
		return;
	if (!m->payload) {
		/* tombstone */
		pw_order_t *old = pw_hmap_del(w->orders, m->key, m->key_len);
		if (old)
			order_free(w, old);
		pw_order_rest_t *r = pw_hmap_del(w->rest, m->key, m->key_len);
		if (r)
			rest_free(w, r);
		return;
	}
	json_error_t je;
	json_t *j = json_loadb(m->payload, m->len, 0, &je);
	pw_order_t tmp;
	if (pw_order_from_json(j, &tmp) != PA_OK) {
		json_decref(j);
		PW_LOG(w, PW_LOG_WARN, "state p%d@%lld: unreadable record skipped",
		       m->partition, (long long)m->offset);
		return;
	}
	json_decref(j);
	tmp.partition = m->partition;
	pw_order_t *ord = pw_hmap_get(w->orders, m->key, m->key_len);
	if (tmp.phase == PW_PHASE_SETTLED) {
		/* settled: at rest, also when an earlier record of the order
		 * made it live (no item works on a restoring partition) */
		pw_order_rest_t *r = pw_order_pack(&tmp, NULL);
		if (r) {
			pw_order_release(&tmp);
			if (ord) {
				pw_hmap_del(w->orders, m->key, m->key_len);
				order_free(w, ord);
			}
			rest_put(w, m->key, m->key_len, r);
			return;
		}
	}
	pw_order_rest_t *r = pw_hmap_del(w->rest, m->key, m->key_len);
	if (r)
		rest_free(w, r);
	if (!ord) {
		ord = malloc(sizeof *ord);
		if (!ord ||
		    pw_hmap_put(w->orders, m->key, m->key_len, ord, NULL) !=
			    PA_OK) {
			free(ord);
			pw_order_release(&tmp);
			return;
		}
	} else {
		if (ord->rt)
			pw_timer_cancel(w->loop, ord->rt);
		pw_order_release(ord);
	}
	*ord = tmp; /* tmp's ext moves into ord */
	ord->partition = m->partition;
	ord->owner = w;
	ord->rt = NULL;
}

struct walk_ctx {
	pw_worker_t *w;
	int32_t part;
	int64_t now;
};

static int resume_polls(const char *k, size_t kl, void *v, void *ud)
{
	struct walk_ctx *c = ud;
	pw_order_t *ord = v;
	if (ord->partition != c->part || ord->rt)
		return PW_HMAP_NEXT;
	pw__order_resume(c->w, ord, c->now);
	return PW_HMAP_NEXT;
}

void pw__partition_restored(pw_worker_t *w, pw_part_t *p)
{
	struct walk_ctx c = {w, p->id, pw__wall_ms()};
	pw_hmap_walk(w->orders, resume_polls, &c);
	/* start what arrived while restoring, in arrival order */
	pw_item_t *rev = NULL;
	while (p->deferred) {
		pw_item_t *it = p->deferred;
		p->deferred = it->dnext;
		it->dnext = rev;
		rev = it;
	}
	while (rev) {
		pw_item_t *it = rev;
		rev = it->dnext;
		pw__item_start(it);
	}
}

static int drop_orders(const char *k, size_t kl, void *v, void *ud)
{
	struct walk_ctx *c = ud;
	pw_order_t *ord = v;
	if (ord->partition != c->part)
		return PW_HMAP_NEXT;
	order_free(c->w, ord);
	return PW_HMAP_DELETE;
}

static int drop_rest(const char *k, size_t kl, void *v, void *ud)
{
	struct walk_ctx *c = ud;
	if (pw_order_rest_partition(v) != c->part)
		return PW_HMAP_NEXT;
	rest_free(c->w, v);
	return PW_HMAP_DELETE;
}

/* The partition went to another member: its work is handed back (the
 * uncommitted offsets are redelivered there) and its state forgotten. */

void pw__orders_drop(pw_worker_t *w, int32_t partition)
{
	struct walk_ctx c = {w, partition, 0};
	pw_hmap_walk(w->orders, drop_orders, &c);
	pw_hmap_walk(w->rest, drop_rest, &c);
}
