/* order_table.c -- the orders this worker holds in memory for its
 *       partitions.
 * Owns: live orders (pw_order_t), their keys, letting settled ones go to
 *       the local store and reading them back on demand, the polls a
 *       restored partition resumes, dropping a revoked partition's orders.
 * Not here: the record's layout (orders/state.c), the local store and
 *           retention (store_sync.c, store/store.c), reading the changelog
 *           (restore.c), the rules of an order (process.c). */
#include "kafka/worker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

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

/* ---- settled orders -----------------------------------------------------
 * A settled order is mostly read again only if a command is redelivered, a
 * late webhook (Late Approved, refunds) or a follow-up arrives. Once no
 * item works on it and no poll is due, it leaves memory: its record is in
 * the partition's local store (store_sync.c), which the first work for it
 * reads back. */

static pw_store_t *part_store(pw_worker_t *w, int32_t partition)
{
	pw_part_t *p = pw__part(w, partition, 0);
	return p ? p->store : NULL;
}

void pw__order_rest(pw_worker_t *w, pw_order_t *ord)
{
	if (ord->phase != PW_PHASE_SETTLED || ord->rt || w->destroying ||
	    !part_store(w, ord->partition))
		return; /* no store: stays live */
	char k[PW_ID_MAX + 16];
	size_t kl = pw_order_key(ord->kind, ord->order_id, k, sizeof k);
	if (pw_hmap_get(w->orders, k, kl) != ord)
		return;
	pw_hmap_del(w->orders, k, kl);
	order_free(w, ord);
}

pa_err_t pw__order_load(pw_worker_t *w, const char *key, size_t klen,
			const pw_order_t *src, int32_t partition)
{
	pw_order_t *ord = malloc(sizeof *ord);
	void *old = NULL;
	if (!ord || pw_hmap_put(w->orders, key, klen, ord, &old) != PA_OK) {
		free(ord);
		return PA_NOMEM;
	}
	if (old)
		order_free(w, old);
	if (pw_order_copy(ord, src) != PA_OK)
		PW_LOG(w, PW_LOG_WARN, "order %s: no memory for its command's "
				       "metadata and trace", src->order_id);
	ord->partition = partition;
	ord->owner = w;
	ord->rt = NULL;
	return PA_OK;
}

pw_order_t *pw__order_get(pw_worker_t *w, const char *key, size_t klen)
{
	pw_order_t *ord = pw_hmap_get(w->orders, key, klen);
	if (ord)
		return ord;
	pw_order_t tmp;
	if (pw__store_lookup(w, -1, key, klen, &tmp) != PA_OK)
		return NULL;
	pa_err_t err = pw__order_load(w, key, klen, &tmp, tmp.partition);
	pw_order_release(&tmp);
	return err == PA_OK ? pw_hmap_get(w->orders, key, klen) : NULL;
}

pw_order_t *pw__order_peek(pw_worker_t *w, const char *key, size_t klen,
			   pw_order_t *copy)
{
	const pw_order_t *ord = pw_hmap_get(w->orders, key, klen);
	if (ord) {
		pw_order_copy(copy, ord);
		return copy;
	}
	return pw__store_lookup(w, -1, key, klen, copy) == PA_OK ? copy : NULL;
}

static int free_live(const char *k, size_t kl, void *v, void *ud)
{
	(void)k;
	(void)kl;
	order_free(ud, v);
	return PW_HMAP_DELETE;
}

void pw__orders_expire(pw_worker_t *w, int64_t cutoff_ms)
{
	pw__store_expire(w, cutoff_ms);
}

void pw__orders_free(pw_worker_t *w)
{
	pw_hmap_walk(w->orders, free_live, w);
}

/* A changelog record of a restoring partition goes into its store; the
 * orders not settled come into memory when the restore ends
 * (pw__store_restored). */
void pw__restore_record(pw_worker_t *w, rd_kafka_message_t *m)
{
	pw_part_t *p = pw__part(w, m->partition, 0);
	if (!p || !p->restoring || !m->key || !m->key_len ||
	    m->key_len >= PW_ID_MAX + 16)
		return;
	pw__store_restore_record(w, p, m);
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

/* The partition went to another member: its work is handed back (the
 * uncommitted offsets are redelivered there) and its state forgotten. */

void pw__orders_drop(pw_worker_t *w, int32_t partition)
{
	struct walk_ctx c = {w, partition, 0};
	pw_hmap_walk(w->orders, drop_orders, &c);
}
