/* ordering.c -- per-key gating inside one partition, and the lowest
 * unfinished offset of each partition.
 * Owns: key -> queue map, offset rings.
 * Not here: retries (retry.c), state transitions (state.c). */
#include "orders/ordering.h"

#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"

struct queue {
	pw_qlink_t *head, *tail;
};

struct pw_gate {
	pw_hmap_t *keys; /* key -> struct queue*, present only while busy */
};

pa_err_t pw_gate_new(pw_gate_t **out)
{
	pw_gate_t *g = calloc(1, sizeof *g);
	if (!g)
		return PA_NOMEM;
	if (pw_hmap_new(&g->keys) != PA_OK) {
		free(g);
		return PA_NOMEM;
	}
	*out = g;
	return PA_OK;
}

static int free_queue(const char *k, size_t kl, void *v, void *ud)
{
	free(v);
	return PW_HMAP_DELETE;
}

void pw_gate_destroy(pw_gate_t *g)
{
	if (!g)
		return;
	pw_hmap_walk(g->keys, free_queue, NULL);
	pw_hmap_destroy(g->keys);
	free(g);
}

pa_err_t pw_gate_push(pw_gate_t *g, const char *key, size_t klen,
		      pw_qlink_t *item, int *run)
{
	item->next = NULL;
	struct queue *q = pw_hmap_get(g->keys, key, klen);
	if (q) {
		q->tail->next = item;
		q->tail = item;
		*run = 0;
		return PA_OK;
	}
	q = malloc(sizeof *q);
	if (!q)
		return PA_NOMEM;
	q->head = q->tail = item;
	if (pw_hmap_put(g->keys, key, klen, q, NULL) != PA_OK) {
		free(q);
		return PA_NOMEM;
	}
	*run = 1;
	return PA_OK;
}

pw_qlink_t *pw_gate_done(pw_gate_t *g, const char *key, size_t klen)
{
	struct queue *q = pw_hmap_get(g->keys, key, klen);
	if (!q)
		return NULL;
	pw_qlink_t *nx = q->head->next;
	if (!nx) {
		free(pw_hmap_del(g->keys, key, klen));
		return NULL;
	}
	q->head = nx;
	return nx;
}

void pw_gate_drop(pw_gate_t *g, const char *key, size_t klen)
{
	free(pw_hmap_del(g->keys, key, klen));
}

size_t pw_gate_keys(const pw_gate_t *g)
{
	return pw_hmap_count(g->keys);
}

void pw_offtrack_init(pw_offtrack_t *t)
{
	memset(t, 0, sizeof *t);
	t->next = -1;
	t->committed = -1;
}

void pw_offtrack_free(pw_offtrack_t *t)
{
	free(t->off);
	free(t->done);
	pw_offtrack_init(t);
}

#define AT(t, i) (((t)->head + (i)) & ((t)->cap - 1))

static pa_err_t grow(pw_offtrack_t *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	int64_t *off = malloc(cap * sizeof *off);
	uint8_t *done = malloc(cap);
	if (!off || !done) {
		free(off);
		free(done);
		return PA_NOMEM;
	}
	for (size_t i = 0; i < t->n; i++) {
		off[i] = t->off[AT(t, i)];
		done[i] = t->done[AT(t, i)];
	}
	free(t->off);
	free(t->done);
	t->off = off;
	t->done = done;
	t->cap = cap;
	t->head = 0;
	return PA_OK;
}

pa_err_t pw_offtrack_add(pw_offtrack_t *t, int64_t offset)
{
	if (offset < 0)
		return PA_INVAL;
	if (t->next >= 0 && offset < t->next) {
		/* Rewound (seek after an aborted transaction or a reset):
		 * everything in flight is redelivered, start afresh. */
		t->n = 0;
		t->head = 0;
	}
	if (t->n == t->cap && grow(t) != PA_OK)
		return PA_NOMEM;
	t->off[AT(t, t->n)] = offset;
	t->done[AT(t, t->n)] = 0;
	t->n++;
	t->next = offset + 1;
	return PA_OK;
}

pa_err_t pw_offtrack_done(pw_offtrack_t *t, int64_t offset)
{
	/* binary search in the ascending ring */
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->off[AT(t, mid)] < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == t->n || t->off[AT(t, lo)] != offset)
		return PA_NOT_FOUND;
	t->done[AT(t, lo)] = 1;
	while (t->n && t->done[t->head]) {
		t->head = (t->head + 1) & (t->cap - 1);
		t->n--;
	}
	return PA_OK;
}

int64_t pw_offtrack_position(const pw_offtrack_t *t)
{
	if (t->n)
		return t->off[t->head];
	return t->next;
}

size_t pw_offtrack_pending(const pw_offtrack_t *t)
{
	return t->n;
}
