/* store.h -- the local state store of one changelog partition (issue 16).
 * Owns: pw_store_t, an LMDB environment per partition under state.dir
 *       holding the order records of that partition of the changelog
 *       (packed, state.h), the checkpoint (the changelog offset the store
 *       has applied, written in the same transaction as the records), its
 *       identity (cluster, topic, partition, format version), the index of
 *       orders not settled and the index of settled orders by creation
 *       time (retention).
 * Not here: when records reach the store (kafka/store_sync.c: after their
 *           delivery, or after the transaction commits), reading the
 *           changelog (kafka/restore.c), the packed layout (orders/state.c).
 *
 * The store is a cache of the changelog: it only ever holds what the
 * changelog holds durably, and it can always be wiped and rebuilt from it.
 * Writes go into one open write transaction; pw_store_commit() makes them
 * visible to a restart together with the checkpoint. Commits do not fsync
 * (MDB_NOSYNC | MDB_WRITEMAP): a killed process loses nothing the kernel
 * has (the page cache outlives it); a machine that crashed may have torn
 * pages, so a store is opened only when it was closed cleanly or was last
 * written during the current boot (the "dirty" marker holds the boot id,
 * /proc/sys/kernel/random/boot_id); otherwise it is wiped. */
#ifndef PW_STORE_H
#define PW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"
#include "orders/state.h"

typedef struct pw_store pw_store_t;

/* The store format: bumped whenever the packed record or the store's
 * layout changes; a store of another format is wiped and rebuilt. */
#define PW_STORE_FORMAT 1

typedef struct pw_store_id {
	const char *cluster; /* Kafka cluster id; "" when unknown */
	const char *topic;   /* the changelog topic */
	int32_t partition;
} pw_store_id_t;

/* Opens (creating it when missing) the store of id under dir: the folder
 * dir/<topic>-<partition>/. A store that is unreadable (corrupt), of
 * another format, cluster, topic or partition, or was left unsynced by an
 * earlier boot, is wiped first; *why (may be NULL; why_size bytes) then
 * says which in a few words, and is "" when the store was kept or new.
 * map_bytes caps the store's size (address space reserved, not memory:
 * the file is sparse). *out: new (caller frees with pw_store_close()), not
 * valid unless PA_OK. PA_BUSY when another handle (of this process or
 * another) has the folder open; PA_IO when the folder cannot be made. */
pa_err_t pw_store_open(const char *dir, const pw_store_id_t *id,
		       uint64_t map_bytes, pw_store_t **out, char *why,
		       size_t why_size, char *errbuf);
/* Commits what is pending (without moving the checkpoint), syncs to disk
 * and closes. NULL is a safe no-op. */
void pw_store_close(pw_store_t *st);
/* Closes st and deletes its folder (a store that must be rebuilt). NULL is
 * a safe no-op. */
void pw_store_destroy(pw_store_t *st);

/* The changelog offset to restore from: every record before it is in the
 * store; -1 when the store is new (restore from the beginning). */
int64_t pw_store_checkpoint(const pw_store_t *st);
/* The folder of the store. Borrowed, valid until the store is closed. */
const char *pw_store_path(const pw_store_t *st);

/* Writes ord under key (the changelog key) in the open batch. An order not
 * settled is listed in the live index, a settled one in the retention
 * index by its created_ms. PA_NOMEM / PA_IO (the batch is then lost: the
 * caller drops the store). */
pa_err_t pw_store_put(pw_store_t *st, const char *key, size_t klen,
		      const pw_order_t *ord);
/* Removes key (a tombstone). Not there is fine. */
pa_err_t pw_store_del(pw_store_t *st, const char *key, size_t klen);
/* One record of a bulk load (pw_store_load): the changelog key and the
 * order's packed form (pw_order_pack_to), or packed NULL for a tombstone;
 * settled and created_ms as in the order (its index entries). Borrowed. */
typedef struct pw_store_rec {
	const char *key;
	size_t klen;
	const void *packed; /* NULL: a tombstone */
	size_t len;
	int settled;
	int64_t created_ms;
} pw_store_rec_t;
/* A restore's batch: recs[0..n) sorted by key, each key once (the last
 * record of a key in the changelog), written with their index entries in
 * the open batch, then committed with checkpoint as pw_store_commit()
 * does. Key order visits the B-tree's pages in order; the settled
 * records' retention entries are appended in time order. scratch: room
 * for n pointers (the caller's, reused between batches). PA_NOMEM /
 * PA_IO: the batch is lost (the checkpoint stays where it was). */
pa_err_t pw_store_load(pw_store_t *st, pw_store_rec_t *recs, size_t n,
		       void *scratch, int64_t checkpoint);

/* A restore's batch (bulk.c): records gathered in a fixed arena as they
 * are read, written sorted by key with their checkpoint when full. */
typedef struct pw_store_bulk pw_store_bulk_t;
/* New empty batch taking bytes of memory in all, records and their
 * entries (at least 64 kB: a few hundred records) (caller frees with
 * pw_store_bulk_free()); NULL when out of memory. */
pw_store_bulk_t *pw_store_bulk_new(size_t bytes);
/* NULL is a safe no-op. */
void pw_store_bulk_free(pw_store_bulk_t *b);
/* Adds the changelog record key -> ord (packed into the batch; ord NULL: a
 * tombstone). 0 when added; 1 when the batch is full (write it, then add
 * again); -1 when no batch can hold it (a bad key, or a record larger
 * than the batch: write it with pw_store_put() after this batch). */
int pw_store_bulk_add(pw_store_bulk_t *b, const char *key, size_t klen,
		      const pw_order_t *ord);
/* Records in the batch. */
size_t pw_store_bulk_count(const pw_store_bulk_t *b);
/* Empties the batch without writing it. */
void pw_store_bulk_clear(pw_store_bulk_t *b);
/* Writes the batch into st, only the last record of each key, and commits
 * it with checkpoint (pw_store_load); the batch is empty afterwards,
 * written or not. PA_NOMEM / PA_IO: nothing of it was written. */
pa_err_t pw_store_bulk_write(pw_store_bulk_t *b, pw_store_t *st,
			     int64_t checkpoint);

/* Reads key into *ord (partition, owner and rt as the caller sets them;
 * ord->ext a new copy: pw_order_release() it). PA_NOT_FOUND when absent, PA_PARSE when the stored bytes do not unpack
 * (a corrupt record), PA_IO on a store error. Sees the open batch. */
pa_err_t pw_store_get(pw_store_t *st, const char *key, size_t klen,
		      pw_order_t *ord);
/* Commits the open batch with checkpoint (the next changelog offset to
 * read; -1 keeps the one stored). Nothing pending and the same
 * checkpoint: no transaction. PA_IO. */
pa_err_t pw_store_commit(pw_store_t *st, int64_t checkpoint);
/* Records written since the store was opened (puts and deletes). */
uint64_t pw_store_writes(const pw_store_t *st);

/* Calls fn for every order not settled (restored into memory after a
 * restore), in key order, ord borrowed for the call (copy its ext to keep
 * it); fn returns 0 to go on, anything else stops. */
pa_err_t pw_store_walk_live(pw_store_t *st,
			    int (*fn)(const char *key, size_t klen,
				      const pw_order_t *ord, void *ud),
			    void *ud);
/* Retention: calls fn with the key of each settled order created before
 * cutoff_ms, oldest first, at most max of them (fn returning non-zero
 * stops). Nothing is removed: the caller writes the changelog tombstone
 * and deletes the order when the tombstone is durable. *n gets the
 * number of keys passed to fn. */
pa_err_t pw_store_expired(pw_store_t *st, int64_t cutoff_ms, size_t max,
			  int (*fn)(const char *key, size_t klen, void *ud),
			  void *ud, size_t *n);

typedef struct pw_store_stats {
	uint64_t orders;  /* records held */
	uint64_t live;    /* of which not settled */
	uint64_t bytes;   /* disk bytes in use (pages x page size) */
} pw_store_stats_t;
pa_err_t pw_store_stats(pw_store_t *st, pw_store_stats_t *out);

#endif
