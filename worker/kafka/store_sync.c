/* store_sync.c -- the local state store on the worker's side (issue 16).
 * Owns: the worker's state folder (<state.dir>/<group.id>, or a private
 *       temporary one), opening a partition's store when its restore
 *       starts and closing it when the partition goes, which changelog
 *       records reach a store and when (at-least-once: on the state
 *       record's delivery; exactly-once: once its transaction committed),
 *       the checkpoint each store commits, reading an order back, the
 *       records a restore writes and its progress, retention.
 * Not here: the store itself (store/store.c), reading the changelog
 *           (restore.c), the orders held in memory (order_table.c). */
#include "kafka/worker_int.h"

#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"

/* A restore's batch of packed records (~280 bytes each with its entry:
 * 12 MB hold ~45,000), committed (with its progress) when full; one per
 * restoring partition, together at most RESTORE_BATCHES_BYTES: partitions
 * restored side by side get smaller batches (slower per record, the same
 * memory). Larger batches put more records on each page they write
 * (bench_store --batch-mb: 4 MB ~560,000 records/s of CPU, 12 MB
 * ~720,000) and leave more free pages in the file (~2 batches' worth). */
#define RESTORE_BATCH_BYTES (12u << 20)
#define RESTORE_BATCHES_BYTES (24u << 20)
#define RESTORE_BATCH_MIN (1u << 20)
/* retention removes at most this many orders a sweep (bounded loop turn) */
#define EXPIRE_MAX 20000

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the folder ------------------------------------------------------ */

static int rm_one(const char *p, const struct stat *sb, int flag,
		  struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

static void rm_tree(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

pa_err_t pw__store_init(pw_worker_t *w, char *errbuf)
{
	char path[4096];
	if (!w->o.state_dir || !w->o.state_dir[0]) {
		/* no state.dir (library use, tests): a folder of our own,
		 * removed with the worker -- every assignment restores */
		snprintf(path, sizeof path, "/tmp/payatom-state.XXXXXX");
		if (!mkdtemp(path))
			return pa_seterr(errbuf, PA_IO,
					 "state store: cannot create %s: %s",
					 path, strerror(errno));
		w->state_tmp = 1;
	} else {
		/* one folder per group, as Kafka Streams has one per
		 * application.id; '/' cannot be part of a folder name */
		int n = snprintf(path, sizeof path, "%s/%s", w->o.state_dir,
				 w->o.group_id);
		if (n < 0 || (size_t)n >= sizeof path - 256)
			return pa_seterr(errbuf, PA_CONFIG,
					 "state.dir: path too long");
		for (char *s = path + strlen(w->o.state_dir) + 1; *s; s++)
			if (*s == '/')
				*s = '_';
	}
	w->state_path = strdup(path);
	if (!w->state_path)
		return PA_NOMEM;
	/* a state.dir that cannot be made is a start-up error, named */
	char probe[4200];
	snprintf(probe, sizeof probe, "%s/.probe", path);
	pw_store_t *st = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	pw_store_id_t pid = {"", "probe", 0};
	pa_err_t err = pw_store_open(probe, &pid, 1 << 20, &st, NULL, 0, eb);
	if (err != PA_OK && err != PA_BUSY)
		return pa_seterr(errbuf, PA_CONFIG, "state.dir: %s", eb);
	pw_store_destroy(st);
	rmdir(probe);
	/* the cluster's id tells a store of this cluster from a store left by
	 * another one (a mock cluster's id is new on every start) */
	char *cid = rd_kafka_clusterid(w->producer, 10000);
	w->cluster_id = strdup(cid ? cid : "");
	if (cid)
		rd_kafka_mem_free(w->producer, cid);
	if (!w->cluster_id)
		return PA_NOMEM;
	if (!w->cluster_id[0])
		PW_LOG(w, PW_LOG_WARN,
		       "state store: the cluster did not tell its id: stores "
		       "are not checked against it");
	return PA_OK;
}

void pw__store_fini(pw_worker_t *w)
{
	/* the partitions' stores are closed already (pw_worker_destroy) */
	if (w->state_tmp && w->state_path)
		rm_tree(w->state_path);
	free(w->state_path);
	free(w->cluster_id);
	pw_hmap_destroy(w->txn_recs);
}

/* ---- open and close -------------------------------------------------- */

static void rb_free(pw_part_t *p);

/* Opens p's store; on failure a private one under the state folder that
 * goes with the partition (a full restore then). */
static void store_open(pw_worker_t *w, pw_part_t *p)
{
	char eb[PA_ERRBUF_SIZE] = "", why[64] = "";
	pw_store_id_t id = {w->cluster_id, w->o.topic_int_state, p->id};
	pa_err_t err = pw_store_open(w->state_path, &id,
				     (uint64_t)w->o.state_store_max_bytes,
				     &p->store, why, sizeof why, eb);
	if (err == PA_OK) {
		if (why[0]) {
			w->st.store_rebuilds++;
			PW_LOG(w, PW_LOG_WARN,
			       "state store p%d: %s: wiped, rebuilt from the "
			       "changelog",
			       p->id, why);
		}
		return;
	}
	char tmp[4200];
	snprintf(tmp, sizeof tmp, "%s/.private-%ld-%u", w->state_path,
		 (long)getpid(), ++w->store_private);
	PW_LOG(w, PW_LOG_WARN,
	       "state store p%d: %s: using a private store (full restore)",
	       p->id, eb);
	err = pw_store_open(tmp, &id, (uint64_t)w->o.state_store_max_bytes,
			    &p->store, NULL, 0, eb);
	if (err != PA_OK) {
		/* without a store the partition's settled orders would be
		 * forgotten (repeated gateway calls): stop, loudly; the pod
		 * restarts and its partitions go to the other members */
		PW_LOG(w, PW_LOG_ERROR,
		       "state store p%d: %s: no state store can be opened under "
		       "state.dir: stopping",
		       p->id, eb);
		p->store = NULL;
		if (w->o.on_fatal)
			w->o.on_fatal(w->o.on_fatal_ud);
		return;
	}
	p->store_private = 1;
}

int64_t pw__store_restore_from(pw_worker_t *w, pw_part_t *p)
{
	rb_free(p);
	if (!p->store)
		store_open(w, p);
	else
		pw_store_commit(p->store, -1);
	int64_t ck = p->store ? pw_store_checkpoint(p->store) : -1;
	/* everything after the checkpoint is read again: an earlier gap
	 * heals (a write that fails during this restore sets it again) */
	p->store_gap = 0;
	/* no checkpoint but the restore's own until it ends (a revoke in
	 * the middle keeps what its batches committed) */
	p->store_next = -1;
	p->restore_from = ck;
	p->restore_n = 0;
	p->restore_t0 = p->restore_log = mono_ms();
	if (ck >= 0)
		PW_LOG(w, PW_LOG_INFO,
		       "state p%d: restoring from the store's checkpoint %lld",
		       p->id, (long long)ck);
	return ck >= 0 ? ck : RD_KAFKA_OFFSET_BEGINNING;
}

pa_err_t pw__store_wipe(pw_worker_t *w, pw_part_t *p, const char *why)
{
	PW_LOG(w, PW_LOG_WARN,
	       "state store p%d: %s: wiped, rebuilt from the changelog", p->id,
	       why);
	w->st.store_rebuilds++;
	rb_free(p);
	pw_store_destroy(p->store);
	p->store = NULL;
	p->store_private = 0;
	p->store_gap = 0;
	store_open(w, p);
	return p->store ? PA_OK : PA_IO;
}

/* The next checkpoint of p's store: where the records it applied end
 * without a gap; -1 (keep) after a gap, while restoring, or when a
 * restore did not end. */
static int64_t next_checkpoint(const pw_part_t *p)
{
	return p->restoring || p->store_gap || p->store_next < 0 ? -1
								 : p->store_next;
}

static void commit_part(pw_worker_t *w, pw_part_t *p)
{
	if (!p->store)
		return;
	pa_err_t err = pw_store_commit(p->store, next_checkpoint(p));
	if (err != PA_OK) {
		/* the batch is gone: the checkpoint stays before it, the
		 * next restore reads those records again */
		PW_LOG(w, PW_LOG_ERROR, "state store p%d: commit: %s", p->id,
		       pa_err_name(err));
		p->store_gap = 1;
	}
}

void pw__store_close(pw_worker_t *w, pw_part_t *p)
{
	rb_free(p); /* a restore cut short: its batch is not in the store */
	if (!p->store)
		return;
	commit_part(w, p);
	/* after a gap or a failed write the checkpoint stayed before it: the
	 * next restore reads from there, so the store is kept */
	if (p->store_private)
		pw_store_destroy(p->store);
	else
		pw_store_close(p->store);
	p->store = NULL;
	p->store_private = 0;
	p->store_gap = 0;
}

void pw__store_commit_all(pw_worker_t *w)
{
	for (int i = 0; i < w->nparts; i++)
		if (w->parts[i] && w->parts[i]->store)
			commit_part(w, w->parts[i]);
}

/* ---- restore ---------------------------------------------------------
 * Records are decoded straight into the store's packed form and gathered
 * in a batch (store/bulk.c); a full batch is sorted by key (a key's
 * records keep their changelog order, only its last one is written) and
 * written in key order in one transaction with its checkpoint. Key order
 * walks the B-tree's pages in order instead of at random, and the larger
 * the batch, the more of its records share a page. */

static void rb_flush(pw_worker_t *w, pw_part_t *p)
{
	if (!p->rbatch || !pw_store_bulk_count(p->rbatch))
		return;
	if (!p->store) {
		pw_store_bulk_clear(p->rbatch);
		return;
	}
	pa_err_t err = pw_store_bulk_write(p->rbatch, p->store,
					   p->rbatch_last + 1);
	if (err != PA_OK) {
		PW_LOG(w, PW_LOG_ERROR, "state store p%d: restore write: %s",
		       p->id, pa_err_name(err));
		p->store_gap = 1;
	}
}

static void rb_free(pw_part_t *p)
{
	pw_store_bulk_free(p->rbatch);
	p->rbatch = NULL;
}

static void restore_progress(pw_worker_t *w, pw_part_t *p, int64_t off)
{
	int64_t lo = 0, hi = 0;
	if (rd_kafka_get_watermark_offsets(w->restorer, w->o.topic_int_state,
					   p->id, &lo, &hi) == 0 &&
	    hi > off)
		p->restore_left = hi - off - 1;
	int64_t now = mono_ms();
	if (now - p->restore_log < 5000)
		return;
	p->restore_log = now;
	double s = (double)(now - p->restore_t0) / 1000.0;
	PW_LOG(w, PW_LOG_INFO,
	       "state p%d: restoring: %llu records in %.0f s (%.0f/s), "
	       "%lld left",
	       p->id, (unsigned long long)p->restore_n, s,
	       s > 0 ? (double)p->restore_n / s : 0.0,
	       (long long)p->restore_left);
}

static size_t batch_bytes(const pw_worker_t *w)
{
	uint64_t n = w->st.partitions_restoring ? w->st.partitions_restoring : 1;
	size_t b = (size_t)(RESTORE_BATCHES_BYTES / n);
	return b > RESTORE_BATCH_BYTES ? RESTORE_BATCH_BYTES
	       : b < RESTORE_BATCH_MIN ? RESTORE_BATCH_MIN
				       : b;
}

void pw__store_restore_record(pw_worker_t *w, pw_part_t *p,
			      rd_kafka_message_t *m)
{
	p->restore_n++;
	w->st.restore_records++;
	if (!p->store)
		return;
	if (!p->rbatch && !(p->rbatch = pw_store_bulk_new(batch_bytes(w)))) {
		p->store_gap = 1;
		return;
	}
	pw_order_t ord;
	if (m->payload) {
		if (pw_order_decode(m->payload, m->len, &ord) != PA_OK) {
			PW_LOG(w, PW_LOG_WARN,
			       "state p%d@%lld: unreadable record skipped",
			       m->partition, (long long)m->offset);
			return;
		}
		ord.partition = m->partition;
	}
	const pw_order_t *o = m->payload ? &ord : NULL;
	int rc = pw_store_bulk_add(p->rbatch, m->key, m->key_len, o);
	if (rc == 1) {
		/* full: progress survives a crash in a long restore */
		rb_flush(w, p);
		restore_progress(w, p, m->offset);
		rc = pw_store_bulk_add(p->rbatch, m->key, m->key_len, o);
	}
	if (rc < 0) {
		/* larger than a batch (a huge ext): after what came before */
		rb_flush(w, p);
		pa_err_t err = o ? pw_store_put(p->store, m->key, m->key_len, o)
				 : pw_store_del(p->store, m->key, m->key_len);
		if (err != PA_OK) {
			PW_LOG(w, PW_LOG_ERROR,
			       "state store p%d: restore write: %s", p->id,
			       pa_err_name(err));
			p->store_gap = 1;
		}
	}
	p->rbatch_last = m->offset;
	if (o)
		pw_order_release(&ord);
}

struct load_ctx {
	pw_worker_t *w;
	int32_t part;
	size_t n;
};

static int load_live(const char *key, size_t klen, const pw_order_t *ord,
		     void *ud)
{
	struct load_ctx *c = ud;
	if (pw__order_load(c->w, key, klen, ord, c->part) == PA_OK)
		c->n++;
	return 0;
}

void pw__store_restored(pw_worker_t *w, pw_part_t *p, int64_t end)
{
	rb_flush(w, p);
	rb_free(p);
	p->store_next = p->store_floor = end;
	p->restore_left = 0;
	if (!p->store)
		return;
	commit_part(w, p);
	struct load_ctx c = {w, p->id, 0};
	pw_store_walk_live(p->store, load_live, &c);
	double s = (double)(mono_ms() - p->restore_t0) / 1000.0;
	PW_LOG(w, PW_LOG_INFO,
	       "state p%d: restored %llu records in %.1f s (%.0f/s) from "
	       "offset %lld to %lld; %zu orders live",
	       p->id, (unsigned long long)p->restore_n, s,
	       s > 0 ? (double)p->restore_n / s : 0.0,
	       (long long)(p->restore_from < 0 ? 0 : p->restore_from),
	       (long long)end, c.n);
}

/* ---- records reaching the store -------------------------------------- */

/* exactly-once: a record of the open transaction, applied at commit */
typedef struct txn_rec {
	int32_t partition;
	int tomb;
	int64_t offset;
	pw_order_t ord;
} txn_rec_t;

static void apply(pw_worker_t *w, pw_part_t *p, const char *key,
		  size_t klen, const pw_order_t *ord)
{
	pa_err_t err = ord ? pw_store_put(p->store, key, klen, ord)
			   : pw_store_del(p->store, key, klen);
	if (err != PA_OK) {
		PW_LOG(w, PW_LOG_ERROR, "state store p%d: write: %s", p->id,
		       pa_err_name(err));
		p->store_gap = 1;
	}
}

void pw__store_delivered(pw_worker_t *w, const rd_kafka_message_t *m)
{
	pw_part_t *p = pw__part(w, m->partition, 0);
	if (!m->key || !m->key_len || m->key_len >= PW_ID_MAX + 16)
		return;
	if (!m->payload && !w->o.exactly_once)
		pw_hmap_del(w->tombs, m->key, m->key_len); /* sweep may retry */
	if (m->err || !p || !p->nassigned || !p->store || p->restoring)
		return; /* not ours any more: the next owner reads it */
	if (m->offset < p->store_floor)
		return; /* from before a restore that read it already (a late
			   report of an earlier ownership): newer ones follow */
	pw_order_t ord;
	if (m->payload && pw_order_decode(m->payload, m->len, &ord) != PA_OK)
		return; /* we wrote it: cannot happen */
	ord.partition = m->partition;
	if (w->o.exactly_once) {
		txn_rec_t *r = malloc(sizeof *r);
		void *old = NULL;
		if (!r || (!w->txn_recs && pw_hmap_new(&w->txn_recs) != PA_OK) ||
		    pw_hmap_put(w->txn_recs, m->key, m->key_len, r, &old) !=
			    PA_OK) {
			free(r);
			pw_order_release(&ord);
			p->store_gap = 1;
			return;
		}
		if (old)
			pw_order_release(&((txn_rec_t *)old)->ord);
		free(old);
		r->partition = m->partition;
		r->tomb = m->payload == NULL;
		r->offset = m->offset;
		r->ord = ord;
		return;
	}
	/* at-least-once: the record is in the changelog now */
	apply(w, p, m->key, m->key_len, m->payload ? &ord : NULL);
	if (m->payload)
		pw_order_release(&ord);
	if (m->offset == p->store_next)
		p->store_next++;
	else if (m->offset > p->store_next)
		p->store_gap = 1; /* another writer's records in between */
}

static int txn_apply(const char *k, size_t kl, void *v, void *ud)
{
	pw_worker_t *w = ud;
	txn_rec_t *r = v;
	pw_part_t *p = pw__part(w, r->partition, 0);
	if (p && p->store && p->nassigned && !p->restoring &&
	    r->offset >= p->store_floor) {
		apply(w, p, k, kl, r->tomb ? NULL : &r->ord);
		/* the commit marker follows the records: reading from there
		 * is fine (read_committed skips it) */
		if (r->offset + 1 > p->store_next)
			p->store_next = r->offset + 1;
	}
	pw_order_release(&r->ord);
	free(r);
	return PW_HMAP_DELETE;
}

static int txn_drop(const char *k, size_t kl, void *v, void *ud)
{
	(void)k;
	(void)kl;
	(void)ud;
	pw_order_release(&((txn_rec_t *)v)->ord);
	free(v);
	return PW_HMAP_DELETE;
}

static int tomb_drop(const char *k, size_t kl, void *v, void *ud)
{
	(void)k;
	(void)kl;
	(void)v;
	(void)ud;
	return PW_HMAP_DELETE;
}

void pw__store_txn_end(pw_worker_t *w, int committed)
{
	if (!w->txn_recs) {
		pw_hmap_walk(w->tombs, tomb_drop, NULL);
		return;
	}
	pw_hmap_walk(w->txn_recs, committed ? txn_apply : txn_drop, w);
	/* the transaction's tombstones are in the stores or gone: a later
	 * sweep tombstones what is left */
	pw_hmap_walk(w->tombs, tomb_drop, NULL);
}

/* ---- reading orders back --------------------------------------------- */

pa_err_t pw__store_lookup(pw_worker_t *w, int32_t partition, const char *key,
			  size_t klen, pw_order_t *ord)
{
	/* an order whose tombstone is queued is forgotten already */
	if (pw_hmap_get(w->tombs, key, klen))
		return PA_NOT_FOUND;
	if (w->txn_recs) {
		const txn_rec_t *r = pw_hmap_get(w->txn_recs, key, klen);
		if (r && (partition < 0 || r->partition == partition)) {
			if (r->tomb)
				return PA_NOT_FOUND;
			return pw_order_copy(ord, &r->ord) == PA_OK ? PA_OK
								    : PA_NOMEM;
		}
	}
	for (int i = 0; i < w->nparts; i++) {
		pw_part_t *p = w->parts[i];
		if (!p || !p->store || (partition >= 0 && p->id != partition))
			continue;
		pa_err_t err = pw_store_get(p->store, key, klen, ord);
		if (err == PA_OK) {
			ord->partition = p->id;
			return PA_OK;
		}
		if (err != PA_NOT_FOUND) {
			w->st.store_errors++;
			PW_LOG(w, PW_LOG_ERROR, "state store p%d: read: %s",
			       p->id, pa_err_name(err));
		}
	}
	return PA_NOT_FOUND;
}

/* ---- retention ------------------------------------------------------- */

struct expire_ctx {
	pw_worker_t *w;
	int32_t part;
	int refused;
};

static int tombstone(const char *key, size_t klen, void *ud)
{
	struct expire_ctx *c = ud;
	/* an order some work holds live is not forgotten under it; one
	 * whose tombstone is on its way is not tombstoned twice */
	if (pw_hmap_get(c->w->orders, key, klen) ||
	    pw_hmap_get(c->w->tombs, key, klen))
		return 0;
	if (pw__produce(c->w, NULL, c->w->o.topic_int_state, c->part, key,
			klen, NULL, 0, NULL) != PA_OK) {
		c->refused = 1;
		return 1; /* the next sweep tries again */
	}
	pw_hmap_put(c->w->tombs, key, klen, c->w, NULL);
	c->w->st.orders_expired++;
	return 0;
}

void pw__store_expire(pw_worker_t *w, int64_t cutoff_ms)
{
	for (int i = 0; i < w->nparts; i++) {
		pw_part_t *p = w->parts[i];
		if (!p || !p->store || !p->nassigned || p->restoring ||
		    p->revoking)
			continue;
		struct expire_ctx c = {w, p->id, 0};
		size_t n = 0;
		/* the store forgets them as their tombstones are delivered
		 * (committed, exactly-once): it never runs ahead of the
		 * changelog */
		pw_store_expired(p->store, cutoff_ms, EXPIRE_MAX, tombstone, &c,
				 &n);
		if (c.refused)
			break;
	}
}

void pw__store_stats(pw_worker_t *w, pw_worker_stats_t *st)
{
	uint64_t tombs = pw_hmap_count(w->tombs);
	for (int i = 0; i < w->nparts; i++) {
		pw_part_t *p = w->parts[i];
		pw_store_stats_t ss;
		if (!p)
			continue;
		if (p->restoring)
			st->restore_remaining += (uint64_t)p->restore_left;
		if (!p->store || pw_store_stats(p->store, &ss) != PA_OK)
			continue;
		st->orders_stored += ss.orders;
		st->orders_at_rest += ss.orders - ss.live;
		st->store_bytes += ss.bytes;
	}
	st->orders_at_rest -= tombs < st->orders_at_rest ? tombs
							 : st->orders_at_rest;
}
