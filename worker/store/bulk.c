/* bulk.c -- a restore's batch of changelog records on its way into a store.
 * Owns: the batch (keys and packed records in one arena of a fixed size,
 *       no allocation per record), its order (by key, a key's records in
 *       changelog order), keeping only a key's last record, the write of
 *       a full batch with its checkpoint (pw_store_load).
 * Not here: LMDB and the indexes (store.c), which records a restore reads
 *           and its progress (kafka/store_sync.c). */
#include "store/store.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

struct pw_store_bulk {
	size_t n, max;     /* records, room for records */
	size_t used, size; /* arena bytes */
	pw_store_rec_t *recs;
	void **scratch;    /* pw_store_load's */
	char *arena;
};

/* Arena bytes a record takes at least on average (key, ~190-byte packed
 * order, alignment): sizes the record table for a given arena. */
#define REC_BYTES_MIN 160

pw_store_bulk_t *pw_store_bulk_new(size_t bytes)
{
	pw_store_bulk_t *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	if (bytes < 64 * 1024)
		bytes = 64 * 1024;
	/* bytes in all: the arena and, for each REC_BYTES_MIN of it, an
	 * entry and a pointer of pw_store_load's */
	size_t per = REC_BYTES_MIN + sizeof *b->recs + sizeof *b->scratch;
	b->max = bytes / per;
	b->size = b->max * REC_BYTES_MIN;
	b->recs = malloc(b->max * sizeof *b->recs);
	b->scratch = malloc(b->max * sizeof *b->scratch);
	b->arena = malloc(b->size);
	if (!b->recs || !b->scratch || !b->arena) {
		pw_store_bulk_free(b);
		return NULL;
	}
	return b;
}

void pw_store_bulk_free(pw_store_bulk_t *b)
{
	if (!b)
		return;
	free(b->recs);
	free(b->scratch);
	free(b->arena);
	free(b);
}

size_t pw_store_bulk_count(const pw_store_bulk_t *b)
{
	return b->n;
}

void pw_store_bulk_clear(pw_store_bulk_t *b)
{
	b->n = 0;
	b->used = 0;
}

int pw_store_bulk_add(pw_store_bulk_t *b, const char *key, size_t klen,
		      const pw_order_t *ord)
{
	if (klen == 0 || klen > PW_ID_MAX + 16)
		return -1;
	size_t need = ord ? pw_order_packed_size(ord) : 0;
	if (ord && !need)
		return -1;
	/* packed records start aligned (pw_order_pack_to writes fields) */
	size_t at = (b->used + klen + alignof(max_align_t) - 1) &
		    ~(alignof(max_align_t) - 1);
	if (b->n == b->max || at + need > b->size)
		return b->n ? 1 : -1; /* full; or a record no batch holds */
	char *k = b->arena + b->used;
	memcpy(k, key, klen);
	pw_store_rec_t *r = &b->recs[b->n];
	r->key = k;
	r->klen = klen;
	r->packed = NULL;
	r->len = 0;
	r->settled = 0;
	r->created_ms = 0;
	if (ord) {
		r->len = pw_order_pack_to(ord, b->arena + at, need);
		r->packed = b->arena + at;
		r->settled = ord->phase == PW_PHASE_SETTLED;
		r->created_ms = ord->created_ms;
		b->used = at + need;
	} else {
		b->used += klen;
	}
	b->n++;
	return 0;
}

/* By key; a key's records in the order they were added (the arena is
 * filled in that order, so their keys' addresses tell it). */
static int rec_cmp(const void *a, const void *c)
{
	const pw_store_rec_t *x = a, *y = c;
	size_t m = x->klen < y->klen ? x->klen : y->klen;
	int d = memcmp(x->key, y->key, m);
	if (d)
		return d;
	if (x->klen != y->klen)
		return x->klen < y->klen ? -1 : 1;
	return (x->key > y->key) - (x->key < y->key);
}

pa_err_t pw_store_bulk_write(pw_store_bulk_t *b, pw_store_t *st,
			     int64_t checkpoint)
{
	qsort(b->recs, b->n, sizeof *b->recs, rec_cmp);
	/* a key's last record is what the changelog says of it: a put
	 * replaces, a tombstone removes, whatever came before in the batch */
	size_t k = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (i + 1 < b->n && b->recs[i].klen == b->recs[i + 1].klen &&
		    !memcmp(b->recs[i].key, b->recs[i + 1].key, b->recs[i].klen))
			continue;
		b->recs[k++] = b->recs[i];
	}
	pa_err_t err = pw_store_load(st, b->recs, k, b->scratch, checkpoint);
	pw_store_bulk_clear(b);
	return err;
}
