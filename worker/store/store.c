/* store.c -- the local state store of one changelog partition (LMDB).
 * Owns: the partition folder (data.mdb, lock.mdb, LOCK, dirty), its four
 *       databases (orders, live, created, meta), the write batch, the
 *       checkpoint and identity checks, wipe on open.
 * Not here: when to write (kafka/store_sync.c), the packed record
 *           (orders/state.c). Choice of LMDB: docs/state-store.md. */
#include "store/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lmdb.h>

struct pw_store {
	MDB_env *env;
	MDB_dbi orders, live, created, meta;
	MDB_txn *wtx;  /* open write batch, NULL when none */
	MDB_txn *rtx;  /* reset read transaction kept for reuse */
	int lockfd;
	int64_t checkpoint;
	uint64_t writes;
	char path[4096];
};

/* meta keys */
#define M_FORMAT "format"
#define M_CLUSTER "cluster"
#define M_TOPIC "topic"
#define M_PARTITION "partition"
#define M_CHECKPOINT "checkpoint"

static pa_err_t lmerr(char *errbuf, int rc, const char *what)
{
	return pa_seterr(errbuf, rc == ENOMEM ? PA_NOMEM : PA_IO,
			 "state store: %s: %s", what, mdb_strerror(rc));
}

/* ---- the folder ------------------------------------------------------- */

static void boot_id(char out[64])
{
	out[0] = '\0';
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (!f)
		return;
	if (!fgets(out, 64, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static int fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* The files of the store, not LOCK (held while we wipe). */
static void wipe_files(const char *path)
{
	static const char *const files[] = {"data.mdb", "lock.mdb", "dirty"};
	char p[4200];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", path, files[i]);
		unlink(p);
	}
	fsync_path(path);
}

/* Writes the dirty marker (this boot's id), durable before any write:
 * a store whose marker names another boot may have torn pages. */
static int mark_dirty(const char *path)
{
	char p[4200], id[64];
	boot_id(id);
	snprintf(p, sizeof p, "%s/dirty", path);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t n = strlen(id);
	int ok = write(fd, id, n) == (ssize_t)n && fsync(fd) == 0;
	close(fd);
	return ok && fsync_path(path) == 0 ? 0 : -1;
}

/* "" when the store may be opened as it is, else why not. */
static const char *dirty_why(const char *path)
{
	char p[4200], id[64], was[64] = "";
	snprintf(p, sizeof p, "%s/dirty", path);
	FILE *f = fopen(p, "r");
	if (!f)
		return "";
	if (!fgets(was, sizeof was, f))
		was[0] = '\0';
	fclose(f);
	was[strcspn(was, "\n")] = '\0';
	boot_id(id);
	if (!id[0] || strcmp(id, was) != 0)
		return "not synced before the machine restarted";
	return "";
}

static int mkdirs(const char *path)
{
	char p[4096];
	if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
		return -1;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return mkdir(p, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* ---- meta ------------------------------------------------------------- */

static int meta_get(MDB_txn *t, MDB_dbi dbi, const char *k, char *out,
		    size_t size)
{
	MDB_val mk = {strlen(k), (void *)k}, mv;
	if (mdb_get(t, dbi, &mk, &mv) != 0 || mv.mv_size >= size)
		return -1;
	memcpy(out, mv.mv_data, mv.mv_size);
	out[mv.mv_size] = '\0';
	return 0;
}

static int meta_put(MDB_txn *t, MDB_dbi dbi, const char *k, const char *v)
{
	MDB_val mk = {strlen(k), (void *)k}, mv = {strlen(v), (void *)v};
	return mdb_put(t, dbi, &mk, &mv, 0);
}

static int meta_put_i64(MDB_txn *t, MDB_dbi dbi, const char *k, int64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "%lld", (long long)v);
	return meta_put(t, dbi, k, b);
}

/* Opens the environment and checks what it holds against id: returns 0
 * and fills st, or an LMDB/errno code with *why set when the store must
 * be wiped. A new store gets its identity written. */
static int open_env(pw_store_t *st, const pw_store_id_t *id,
		    uint64_t map_bytes, const char **why)
{
	MDB_txn *t = NULL;
	int rc = mdb_env_create(&st->env);
	if (rc)
		return rc;
	mdb_env_set_maxdbs(st->env, 4);
	mdb_env_set_mapsize(st->env, (size_t)map_bytes);
	rc = mdb_env_open(st->env, st->path,
			  MDB_NOSYNC | MDB_WRITEMAP | MDB_NOTLS | MDB_NORDAHEAD,
			  0600);
	if (rc) {
		*why = "unreadable";
		return rc;
	}
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &t)) ||
	    (rc = mdb_dbi_open(t, "orders", MDB_CREATE, &st->orders)) ||
	    (rc = mdb_dbi_open(t, "live", MDB_CREATE, &st->live)) ||
	    (rc = mdb_dbi_open(t, "created", MDB_CREATE, &st->created)) ||
	    (rc = mdb_dbi_open(t, "meta", MDB_CREATE, &st->meta))) {
		*why = "unreadable";
		goto out;
	}
	char v[256], want[32];
	snprintf(want, sizeof want, "%d", PW_STORE_FORMAT);
	if (meta_get(t, st->meta, M_FORMAT, v, sizeof v) != 0) {
		/* new (or never committed): write who it belongs to */
		MDB_stat ms;
		if (mdb_stat(t, st->orders, &ms) == 0 && ms.ms_entries) {
			*why = "no identity";
			rc = MDB_INCOMPATIBLE;
			goto out;
		}
		snprintf(v, sizeof v, "%d", id->partition);
		if ((rc = meta_put(t, st->meta, M_FORMAT, want)) ||
		    (rc = meta_put(t, st->meta, M_CLUSTER,
				   id->cluster ? id->cluster : "")) ||
		    (rc = meta_put(t, st->meta, M_TOPIC, id->topic)) ||
		    (rc = meta_put(t, st->meta, M_PARTITION, v)) ||
		    (rc = meta_put_i64(t, st->meta, M_CHECKPOINT, -1)))
			goto out;
		st->checkpoint = -1;
		rc = mdb_txn_commit(t);
		t = NULL;
		goto out;
	}
	char part[24];
	snprintf(part, sizeof part, "%d", id->partition);
	rc = MDB_INCOMPATIBLE;
	if (strcmp(v, want) != 0) {
		*why = "another format";
		goto out;
	}
	if (meta_get(t, st->meta, M_TOPIC, v, sizeof v) || strcmp(v, id->topic) ||
	    meta_get(t, st->meta, M_PARTITION, v, sizeof v) || strcmp(v, part)) {
		*why = "another topic or partition";
		goto out;
	}
	if (id->cluster && id->cluster[0] &&
	    (meta_get(t, st->meta, M_CLUSTER, v, sizeof v) ||
	     strcmp(v, id->cluster))) {
		*why = "another Kafka cluster";
		goto out;
	}
	char *end = NULL;
	if (meta_get(t, st->meta, M_CHECKPOINT, v, sizeof v) != 0) {
		*why = "no checkpoint";
		goto out;
	}
	long long ck = strtoll(v, &end, 10);
	if (!end || *end || ck < -1) {
		*why = "bad checkpoint";
		goto out;
	}
	st->checkpoint = ck;
	rc = mdb_txn_commit(t); /* keeps the database handles open */
	t = NULL;
out:
	if (t)
		mdb_txn_abort(t);
	return rc;
}

pa_err_t pw_store_open(const char *dir, const pw_store_id_t *id,
		       uint64_t map_bytes, pw_store_t **out, char *why,
		       size_t why_size, char *errbuf)
{
	*out = NULL;
	if (why && why_size)
		why[0] = '\0';
	if (!dir || !dir[0] || !id || !id->topic || id->partition < 0)
		return pa_seterr(errbuf, PA_INVAL, "state store: no state.dir");
	pw_store_t *st = calloc(1, sizeof *st);
	if (!st)
		return pa_seterr(errbuf, PA_NOMEM, "state store: out of memory");
	st->lockfd = -1;
	pa_err_t err = PA_OK;
	int n = snprintf(st->path, sizeof st->path, "%s/%s-%d", dir, id->topic,
			 (int)id->partition);
	if (n < 0 || (size_t)n >= sizeof st->path - 16 || strchr(id->topic, '/')) {
		err = pa_seterr(errbuf, PA_INVAL, "state store: path too long");
		goto fail;
	}
	if (mkdirs(st->path) != 0) {
		err = pa_seterr(errbuf, PA_IO, "state store: cannot create %s: %s",
				st->path, strerror(errno));
		goto fail;
	}
	char lp[4200];
	snprintf(lp, sizeof lp, "%s/LOCK", st->path);
	st->lockfd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lockfd < 0) {
		err = pa_seterr(errbuf, PA_IO, "state store: %s: %s", lp,
				strerror(errno));
		goto fail;
	}
	/* flock: also refuses a second handle of this process (LMDB must
	 * not be opened twice in one process) */
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) != 0) {
		err = pa_seterr(errbuf, PA_BUSY, "state store: %s is in use",
				st->path);
		goto fail;
	}
	const char *reason = dirty_why(st->path);
	if (reason[0])
		wipe_files(st->path);
	for (int attempt = 0; attempt < 2; attempt++) {
		const char *w = "unreadable";
		int rc = open_env(st, id, map_bytes, &w);
		if (rc == 0)
			break;
		if (st->env)
			mdb_env_close(st->env);
		st->env = NULL;
		if (attempt == 1) {
			err = lmerr(errbuf, rc, "open");
			goto fail;
		}
		if (!reason[0])
			reason = w;
		wipe_files(st->path);
	}
	if (why && why_size && reason[0])
		snprintf(why, why_size, "%s", reason);
	if (mark_dirty(st->path) != 0) {
		err = pa_seterr(errbuf, PA_IO, "state store: %s/dirty: %s",
				st->path, strerror(errno));
		goto fail;
	}
	*out = st;
	return PA_OK;
fail:
	if (st->env)
		mdb_env_close(st->env);
	if (st->lockfd >= 0)
		close(st->lockfd);
	free(st);
	return err;
}

static void release(pw_store_t *st)
{
	if (st->rtx)
		mdb_txn_abort(st->rtx);
	st->rtx = NULL;
	mdb_env_close(st->env);
	st->env = NULL;
}

void pw_store_close(pw_store_t *st)
{
	if (!st)
		return;
	int ok = 1;
	if (st->wtx)
		ok = mdb_txn_commit(st->wtx) == 0;
	st->wtx = NULL;
	ok = ok && mdb_env_sync(st->env, 1) == 0;
	release(st);
	if (ok) {
		/* clean: any later boot may open it */
		char p[4200];
		snprintf(p, sizeof p, "%s/dirty", st->path);
		unlink(p);
		fsync_path(st->path);
	}
	close(st->lockfd);
	free(st);
}

void pw_store_destroy(pw_store_t *st)
{
	if (!st)
		return;
	if (st->wtx)
		mdb_txn_abort(st->wtx);
	st->wtx = NULL;
	release(st);
	wipe_files(st->path);
	char p[4200];
	snprintf(p, sizeof p, "%s/LOCK", st->path);
	unlink(p);
	rmdir(st->path);
	close(st->lockfd);
	free(st);
}

int64_t pw_store_checkpoint(const pw_store_t *st)
{
	return st->checkpoint;
}

const char *pw_store_path(const pw_store_t *st)
{
	return st->path;
}

uint64_t pw_store_writes(const pw_store_t *st)
{
	return st->writes;
}

/* ---- records ---------------------------------------------------------- */

static int wtx(pw_store_t *st)
{
	if (st->wtx)
		return 0;
	return mdb_txn_begin(st->env, NULL, 0, &st->wtx);
}

/* The transaction reads go through: the open batch, else the reused
 * read transaction. */
static int rtx(pw_store_t *st, MDB_txn **t)
{
	if (st->wtx) {
		*t = st->wtx;
		return 0;
	}
	int rc = st->rtx ? mdb_txn_renew(st->rtx)
			 : mdb_txn_begin(st->env, NULL, MDB_RDONLY, &st->rtx);
	*t = st->rtx;
	return rc;
}

static void rtx_done(pw_store_t *st, MDB_txn *t)
{
	if (t == st->rtx)
		mdb_txn_reset(t);
}

/* created-index key: created_ms big-endian (sorts by time), then key */
static size_t ckey(int64_t created, const char *key, size_t klen,
		   unsigned char *out)
{
	uint64_t c = (uint64_t)created ^ (1ull << 63); /* negatives first */
	for (int i = 0; i < 8; i++)
		out[i] = (unsigned char)(c >> (56 - 8 * i));
	memcpy(out + 8, key, klen);
	return 8 + klen;
}

/* Drops key's index entries for the record v (its previous version). */
static int unindex(pw_store_t *st, const char *key, size_t klen,
		   const MDB_val *v)
{
	pw_order_t old;
	MDB_val mk = {klen, (void *)key};
	int rc = mdb_del(st->wtx, st->live, &mk, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	if (pw_order_unpack_bytes(v->mv_data, v->mv_size, &old) != PA_OK)
		return 0;
	pw_order_release(&old); /* its index keys are all it is read for */
	unsigned char ck[8 + PW_ID_MAX + 16];
	MDB_val ik = {ckey(old.created_ms, key, klen, ck), ck};
	rc = mdb_del(st->wtx, st->created, &ik, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static pa_err_t batch_failed(pw_store_t *st, int rc)
{
	mdb_txn_abort(st->wtx);
	st->wtx = NULL;
	return rc == ENOMEM ? PA_NOMEM : PA_IO;
}

/* A put through cur when there is one: a cursor left on a leaf finds a
 * key that belongs on the same leaf without a descent from the root (a
 * batch in key order puts several keys on a leaf in a row). */
static int put_via(MDB_txn *t, MDB_dbi dbi, MDB_cursor *cur, MDB_val *k,
		   MDB_val *v, unsigned flags)
{
	return cur ? mdb_cursor_put(cur, k, v, flags)
		   : mdb_put(t, dbi, k, v, flags);
}

/* Cursors of a bulk load (pw_store_load); NULL: none. */
typedef struct load_cur {
	MDB_cursor *orders, *live;
} load_cur_t;

/* The index entries of a record: live (not settled) or created (settled). */
static int index_put(pw_store_t *st, const char *key, size_t klen,
		     int settled, int64_t created_ms, const load_cur_t *lc)
{
	MDB_val empty = {0, ""};
	if (settled) {
		unsigned char ck[8 + PW_ID_MAX + 16];
		MDB_val ik = {ckey(created_ms, key, klen, ck), ck};
		return mdb_put(st->wtx, st->created, &ik, &empty, 0);
	}
	MDB_val mk = {klen, (void *)key};
	return put_via(st->wtx, st->live, lc ? lc->live : NULL, &mk, &empty, 0);
}

/* Writes the packed record buf[0..n) under key with its index entries.
 * *deferred (when not NULL) is set when the record is new and settled:
 * its created-index entry is then the caller's to write (pw_store_load
 * appends them in time order). An LMDB error code, 0 when written. */
static int put_packed(pw_store_t *st, const char *key, size_t klen,
		      const void *buf, size_t n, int settled,
		      int64_t created_ms, int *deferred, const load_cur_t *lc)
{
	MDB_cursor *oc = lc ? lc->orders : NULL;
	int rc = wtx(st);
	if (rc)
		return rc;
	/* one descent for a new key (the common case in a restore): an
	 * existing one hands back its record, whose index entries go */
	MDB_val mk = {klen, (void *)key}, mv = {n, (void *)buf};
	rc = put_via(st->wtx, st->orders, oc, &mk, &mv, MDB_NOOVERWRITE);
	if (rc == MDB_KEYEXIST) {
		pw_order_t old = {0};
		int same = pw_order_unpack_bytes(mv.mv_data, mv.mv_size, &old) ==
				   PA_OK &&
			   old.phase == PW_PHASE_SETTLED && settled &&
			   old.created_ms == created_ms;
		pw_order_release(&old);
		rc = same ? 0 : unindex(st, key, klen, &mv);
		mv.mv_size = n;
		mv.mv_data = (void *)buf;
		if (!rc)
			rc = put_via(st->wtx, st->orders, oc, &mk, &mv, 0);
		if (!rc && !same)
			rc = index_put(st, key, klen, settled, created_ms, lc);
	} else if (!rc) {
		if (settled && deferred)
			*deferred = 1;
		else
			rc = index_put(st, key, klen, settled, created_ms, lc);
	}
	if (!rc)
		st->writes++;
	return rc;
}

pa_err_t pw_store_put(pw_store_t *st, const char *key, size_t klen,
		      const pw_order_t *ord)
{
	_Alignas(8) char stack[PW_ORDER_PACKED_MAX];
	if (klen == 0 || klen > PW_ID_MAX + 16)
		return PA_INVAL;
	/* an order with an ext (metadata, trace) may not fit the common
	 * size: then on the heap */
	size_t need = pw_order_packed_size(ord);
	char *buf = need > sizeof stack ? malloc(need) : stack;
	if (!need || !buf)
		return PA_NOMEM;
	size_t n = pw_order_pack_to(ord, buf, need > sizeof stack ? need
								 : sizeof stack);
	int rc = put_packed(st, key, klen, buf, n,
			    ord->phase == PW_PHASE_SETTLED, ord->created_ms,
			    NULL, NULL);
	if (buf != stack)
		free(buf);
	return rc ? batch_failed(st, rc) : PA_OK;
}

static int del_key(pw_store_t *st, const char *key, size_t klen)
{
	int rc = wtx(st);
	if (rc)
		return rc;
	MDB_val mk = {klen, (void *)key}, old;
	rc = mdb_get(st->wtx, st->orders, &mk, &old);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (!rc)
		rc = unindex(st, key, klen, &old);
	if (!rc)
		rc = mdb_del(st->wtx, st->orders, &mk, NULL);
	if (!rc)
		st->writes++;
	return rc;
}

pa_err_t pw_store_del(pw_store_t *st, const char *key, size_t klen)
{
	if (klen == 0 || klen > PW_ID_MAX + 16)
		return PA_INVAL;
	int rc = del_key(st, key, klen);
	return rc ? batch_failed(st, rc) : PA_OK;
}

/* created-index order of two records of a load: by time, then key */
static int created_cmp(const void *a, const void *b)
{
	const pw_store_rec_t *x = *(pw_store_rec_t *const *)a,
			     *y = *(pw_store_rec_t *const *)b;
	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	size_t m = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, m);
	return c ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

/* The created-index entries of the new settled records of a load, in time
 * order: appended at the index's end (no descent) while they come after
 * its last entry -- a changelog is read in about the order orders were
 * created -- else put where they belong. */
static int index_created(pw_store_t *st, pw_store_rec_t **idx, size_t n)
{
	MDB_cursor *c = NULL;
	MDB_val empty = {0, ""};
	qsort(idx, n, sizeof *idx, created_cmp);
	int rc = mdb_cursor_open(st->wtx, st->created, &c);
	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char ck[8 + PW_ID_MAX + 16];
		MDB_val ik = {ckey(idx[i]->created_ms, idx[i]->key,
				   idx[i]->klen, ck),
			      ck};
		rc = mdb_cursor_put(c, &ik, &empty, MDB_APPEND);
		if (rc == MDB_KEYEXIST)
			rc = mdb_cursor_put(c, &ik, &empty, 0);
	}
	if (c)
		mdb_cursor_close(c);
	return rc;
}

pa_err_t pw_store_load(pw_store_t *st, pw_store_rec_t *recs, size_t n,
		       void *scratch, int64_t checkpoint)
{
	pw_store_rec_t **idx = scratch;
	size_t nidx = 0;
	load_cur_t lc = {NULL, NULL};
	int rc = wtx(st);
	if (!rc)
		rc = mdb_cursor_open(st->wtx, st->orders, &lc.orders);
	if (!rc)
		rc = mdb_cursor_open(st->wtx, st->live, &lc.live);
	for (size_t i = 0; i < n && !rc; i++) {
		pw_store_rec_t *r = &recs[i];
		if (r->klen == 0 || r->klen > PW_ID_MAX + 16)
			continue; /* cannot be a key of ours */
		int deferred = 0;
		rc = r->packed ? put_packed(st, r->key, r->klen, r->packed,
					    r->len, r->settled, r->created_ms,
					    &deferred, &lc)
			       : del_key(st, r->key, r->klen);
		if (deferred)
			idx[nidx++] = r;
	}
	if (lc.orders)
		mdb_cursor_close(lc.orders);
	if (lc.live)
		mdb_cursor_close(lc.live);
	if (!rc && nidx)
		rc = index_created(st, idx, nidx);
	if (rc)
		return batch_failed(st, rc);
	return pw_store_commit(st, checkpoint);
}

pa_err_t pw_store_get(pw_store_t *st, const char *key, size_t klen,
		      pw_order_t *ord)
{
	MDB_txn *t;
	if (klen == 0 || klen > PW_ID_MAX + 16)
		return PA_NOT_FOUND;
	int rc = rtx(st, &t);
	if (rc)
		return PA_IO;
	MDB_val mk = {klen, (void *)key}, mv;
	rc = mdb_get(t, st->orders, &mk, &mv);
	pa_err_t err = rc == MDB_NOTFOUND ? PA_NOT_FOUND
		       : rc		 ? PA_IO
					 : pw_order_unpack_bytes(mv.mv_data,
								 mv.mv_size, ord);
	rtx_done(st, t);
	return err;
}

pa_err_t pw_store_commit(pw_store_t *st, int64_t checkpoint)
{
	int move = checkpoint >= 0 && checkpoint != st->checkpoint;
	if (!st->wtx && !move)
		return PA_OK;
	int rc = wtx(st);
	if (!rc && move)
		rc = meta_put_i64(st->wtx, st->meta, M_CHECKPOINT, checkpoint);
	if (rc)
		return batch_failed(st, rc);
	rc = mdb_txn_commit(st->wtx);
	st->wtx = NULL;
	if (rc)
		return rc == ENOMEM ? PA_NOMEM : PA_IO;
	if (move)
		st->checkpoint = checkpoint;
	return PA_OK;
}

/* ---- walks ------------------------------------------------------------ */

pa_err_t pw_store_walk_live(pw_store_t *st,
			    int (*fn)(const char *key, size_t klen,
				      const pw_order_t *ord, void *ud),
			    void *ud)
{
	MDB_txn *t;
	MDB_cursor *c = NULL;
	if (rtx(st, &t) || mdb_cursor_open(t, st->live, &c)) {
		rtx_done(st, t);
		return PA_IO;
	}
	MDB_val k, v;
	pa_err_t err = PA_OK;
	for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		MDB_val rec;
		pw_order_t ord;
		if (mdb_get(t, st->orders, &k, &rec) != 0 ||
		    pw_order_unpack_bytes(rec.mv_data, rec.mv_size, &ord) !=
			    PA_OK)
			continue;
		int stop = fn(k.mv_data, k.mv_size, &ord, ud);
		pw_order_release(&ord);
		if (stop)
			break;
	}
	mdb_cursor_close(c);
	rtx_done(st, t);
	return err;
}

pa_err_t pw_store_expired(pw_store_t *st, int64_t cutoff_ms, size_t max,
			  int (*fn)(const char *key, size_t klen, void *ud),
			  void *ud, size_t *n)
{
	MDB_txn *t;
	MDB_cursor *c = NULL;
	*n = 0;
	if (rtx(st, &t) || mdb_cursor_open(t, st->created, &c)) {
		rtx_done(st, t);
		return PA_IO;
	}
	unsigned char lim[8];
	ckey(cutoff_ms, "", 0, lim);
	MDB_val k, v;
	for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	     rc == 0 && *n < max; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size <= 8 || memcmp(k.mv_data, lim, 8) >= 0)
			break;
		char key[PW_ID_MAX + 16];
		size_t kl = k.mv_size - 8;
		if (kl >= sizeof key)
			continue;
		memcpy(key, (char *)k.mv_data + 8, kl);
		(*n)++;
		if (fn(key, kl, ud))
			break;
	}
	mdb_cursor_close(c);
	rtx_done(st, t);
	return PA_OK;
}

pa_err_t pw_store_stats(pw_store_t *st, pw_store_stats_t *out)
{
	MDB_txn *t;
	MDB_stat ms;
	MDB_envinfo ei;
	memset(out, 0, sizeof *out);
	if (rtx(st, &t))
		return PA_IO;
	if (mdb_stat(t, st->orders, &ms) == 0)
		out->orders = ms.ms_entries;
	if (mdb_stat(t, st->live, &ms) == 0)
		out->live = ms.ms_entries;
	if (mdb_env_info(st->env, &ei) == 0 && mdb_env_stat(st->env, &ms) == 0)
		out->bytes = (uint64_t)(ei.me_last_pgno + 1) * ms.ms_psize;
	rtx_done(st, t);
	return PA_OK;
}
