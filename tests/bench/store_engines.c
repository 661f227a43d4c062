/* store_engines.c -- LMDB against RocksDB on the state store's access
 * pattern (issue 16): the measurement behind docs/state-store.md's choice.
 * Owns: nothing of the worker; a program that prints numbers.
 * Not here: the store itself (worker/store/), the worker's own store
 *           benchmark (bench_store.c).
 *
 *   bench_store_engines [--keys N] [--dir DIR] [--engine lmdb|rocksdb|all]
 *
 * Per engine, on a fresh directory: N records of ~200 bytes (the packed
 * size of a settled order) written as a full restore would (batches of
 * 10,000 in random key order, one transaction each, with the checkpoint
 * key in the same batch); then 100,000 point reads of random keys, 100,000
 * single updates committed in batches of 100 (a busy loop iteration),
 * 1,000 single updates committed one at a time (an idle loop), 10 % of the
 * keys deleted (retention), the directory's disk bytes, the process's
 * anonymous and file-backed resident memory (/proc/self/smaps_rollup), and
 * the time to close, reopen and read one key. Each engine runs in a child
 * process so one's memory does not count against the other. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#ifdef HAVE_ROCKSDB
#include <rocksdb/c.h>
#endif

#define VAL_LEN 200
#define BATCH 10000

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* key i: "ORD" + 12 digits of a bijective scramble of i, so keys arrive
 * in random order as a changelog's would */
static size_t key_of(uint64_t i, char *k)
{
	uint64_t x = (i * 0x9E3779B97F4A7C15ull) % 1000000000000ull;
	return (size_t)snprintf(k, 32, "ORD%012llu", (unsigned long long)x);
}

/* a packed settled order's shape: scalars, order id, merchant, a random
 * 32-hex ref_code, raw status, product (compresses as the real one does) */
static void val_of(uint64_t i, char *v)
{
	static const char hx[] = "0123456789abcdef";
	uint64_t r = i * 0xD1B54A32D192ED03ull;
	memset(v, 0, VAL_LEN);
	memcpy(v, &i, sizeof i);
	int64_t amount = (int64_t)(r % 5000000), created = 1760000000000 +
							   (int64_t)(i * 37);
	memcpy(v + 8, &amount, 8);
	memcpy(v + 16, &amount, 8);
	memcpy(v + 24, &created, 8);
	char *p = v + 64;
	p += sprintf(p, "ORD%012llu", (unsigned long long)i) + 1;
	p += sprintf(p, "merchant-%llu", (unsigned long long)(i % 7)) + 1;
	for (int j = 0; j < 32; j++, r = r * 6364136223846793005ull + 1)
		*p++ = hx[r >> 60];
	*p++ = 0;
	p += sprintf(p, "%s", i % 5 ? "Approved" : "Declined") + 1;
	sprintf(p, "%s", "PAYIN_UPI_P2C_SEAMLESS");
}

static void mem(long *anon_kb, long *file_kb)
{
	*anon_kb = *file_kb = 0;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	if (!f)
		return;
	char line[256];
	long rss = 0, anon = 0;
	while (fgets(line, sizeof line, f)) {
		sscanf(line, "Rss: %ld", &rss);
		sscanf(line, "Anonymous: %ld", &anon);
	}
	fclose(f);
	*anon_kb = anon;
	*file_kb = rss - anon;
}

static long long du(const char *dir)
{
	long long n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	char p[4096];
	while ((e = readdir(d))) {
		struct stat st;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (e->d_name[0] != '.' && stat(p, &st) == 0 &&
		    S_ISREG(st.st_mode))
			n += (long long)st.st_blocks * 512;
	}
	closedir(d);
	return n;
}

static void rmdir_all(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char p[4096];
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* One engine behind four calls. */
typedef struct eng {
	const char *name;
	int (*open)(struct eng *e, const char *dir);
	void (*close)(struct eng *e);
	/* puts n records (and the checkpoint) in one transaction */
	int (*put_batch)(struct eng *e, const uint64_t *ids, size_t n, int del);
	int (*get)(struct eng *e, uint64_t id);
	void *a, *b;
} eng_t;

/* ---- LMDB ---- */

static unsigned lm_flags = MDB_NOMETASYNC;

static int lm_open(eng_t *e, const char *dir)
{
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *t;
	if (mdb_env_create(&env) || mdb_env_set_mapsize(env, 64ull << 30) ||
	    mdb_env_open(env, dir, lm_flags | MDB_NOTLS | MDB_NORDAHEAD,
			 0600))
		return -1;
	if (mdb_txn_begin(env, NULL, 0, &t) || mdb_dbi_open(t, NULL, 0, &dbi) ||
	    mdb_txn_commit(t))
		return -1;
	e->a = env;
	e->b = (void *)(uintptr_t)dbi;
	return 0;
}

static void lm_close(eng_t *e)
{
	mdb_env_sync(e->a, 1);
	mdb_env_close(e->a);
}

static int lm_put_batch(eng_t *e, const uint64_t *ids, size_t n, int del)
{
	MDB_txn *t;
	MDB_dbi dbi = (MDB_dbi)(uintptr_t)e->b;
	char k[32], v[VAL_LEN];
	if (mdb_txn_begin(e->a, NULL, 0, &t))
		return -1;
	for (size_t i = 0; i < n; i++) {
		MDB_val mk = {key_of(ids[i], k), k}, mv = {VAL_LEN, v};
		int rc;
		if (del) {
			rc = mdb_del(t, dbi, &mk, NULL);
			if (rc == MDB_NOTFOUND)
				rc = 0;
		} else {
			val_of(ids[i], v);
			rc = mdb_put(t, dbi, &mk, &mv, 0);
		}
		if (rc) {
			fprintf(stderr, "lmdb: %s\n", mdb_strerror(rc));
			mdb_txn_abort(t);
			return -1;
		}
	}
	uint64_t ck = ids[n - 1];
	MDB_val kk = {11, "\x01checkpoint"}, kv = {sizeof ck, &ck};
	mdb_put(t, dbi, &kk, &kv, 0);
	return mdb_txn_commit(t) ? -1 : 0;
}

static int lm_get(eng_t *e, uint64_t id)
{
	MDB_txn *t;
	char k[32];
	MDB_val mk = {key_of(id, k), k}, mv;
	if (mdb_txn_begin(e->a, NULL, MDB_RDONLY, &t))
		return -1;
	int rc = mdb_get(t, (MDB_dbi)(uintptr_t)e->b, &mk, &mv);
	int ok = rc == 0 && mv.mv_size == VAL_LEN &&
		 memcmp(mv.mv_data, &id, sizeof id) == 0;
	mdb_txn_abort(t);
	return ok ? 0 : rc == MDB_NOTFOUND ? 1 : -1;
}

/* ---- RocksDB ---- */
#ifdef HAVE_ROCKSDB
static int rk_open(eng_t *e, const char *dir)
{
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(o, 1);
	/* a small memtable and block cache: memory flat at any size */
	rocksdb_options_set_write_buffer_size(o, 8 << 20);
	rocksdb_options_set_max_write_buffer_number(o, 2);
	rocksdb_block_based_table_options_t *bo =
		rocksdb_block_based_options_create();
	rocksdb_cache_t *c = rocksdb_cache_create_lru(8 << 20);
	rocksdb_block_based_options_set_block_cache(bo, c);
	rocksdb_block_based_options_set_cache_index_and_filter_blocks(bo, 1);
	rocksdb_block_based_options_set_filter_policy(
		bo, rocksdb_filterpolicy_create_bloom(10));
	rocksdb_options_set_block_based_table_factory(o, bo);
	rocksdb_options_set_compression(o, rocksdb_lz4_compression);
	char *err = NULL;
	e->a = rocksdb_open(o, dir, &err);
	if (err) {
		fprintf(stderr, "rocksdb: %s\n", err);
		free(err);
		return -1;
	}
	e->b = o;
	return 0;
}

static void rk_close(eng_t *e)
{
	rocksdb_close(e->a);
}

static int rk_put_batch(eng_t *e, const uint64_t *ids, size_t n, int del)
{
	rocksdb_writebatch_t *b = rocksdb_writebatch_create();
	char k[32], v[VAL_LEN];
	for (size_t i = 0; i < n; i++) {
		size_t kl = key_of(ids[i], k);
		if (del) {
			rocksdb_writebatch_delete(b, k, kl);
		} else {
			val_of(ids[i], v);
			rocksdb_writebatch_put(b, k, kl, v, VAL_LEN);
		}
	}
	uint64_t ck = ids[n - 1];
	rocksdb_writebatch_put(b, "\x01checkpoint", 11, (char *)&ck, sizeof ck);
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	rocksdb_writeoptions_disable_WAL(wo, 0); /* WAL, no fsync */
	char *err = NULL;
	rocksdb_write(e->a, wo, b, &err);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_writebatch_destroy(b);
	if (err) {
		fprintf(stderr, "rocksdb: %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

static int rk_get(eng_t *e, uint64_t id)
{
	char k[32], *err = NULL;
	size_t vl = 0, kl = key_of(id, k);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	char *v = rocksdb_get(e->a, ro, k, kl, &vl, &err);
	rocksdb_readoptions_destroy(ro);
	int ok = v && vl == VAL_LEN && memcmp(v, &id, sizeof id) == 0;
	int miss = !v && !err;
	free(v);
	free(err);
	return ok ? 0 : miss ? 1 : -1;
}
#endif

static int run(eng_t *e, const char *dir, uint64_t nkeys)
{
	rmdir_all(dir);
	mkdir(dir, 0700);
	if (e->open(e, dir)) {
		fprintf(stderr, "%s: open failed\n", e->name);
		return 1;
	}
	long a0, f0, a1, f1;
	mem(&a0, &f0);
	uint64_t *ids = malloc(BATCH * sizeof *ids);
	double t = now_s();
	for (uint64_t i = 0; i < nkeys; i += BATCH) {
		size_t n = 0;
		for (uint64_t j = i; j < nkeys && j < i + BATCH; j++)
			ids[n++] = j;
		if (e->put_batch(e, ids, n, 0))
			return 1;
	}
	double restore = now_s() - t;
	mem(&a1, &f1);
	long ap = a1, fp = f1;
	t = now_s();
	int bad = 0;
	for (int i = 0; i < 100000; i++)
		bad += e->get(e, rnd() % nkeys) != 0;
	double reads = now_s() - t;
	t = now_s();
	for (int i = 0; i < 100000; i += 100) {
		for (int j = 0; j < 100; j++)
			ids[j] = rnd() % nkeys;
		if (e->put_batch(e, ids, 100, 0))
			return 1;
	}
	double upd100 = now_s() - t;
	t = now_s();
	for (int i = 0; i < 1000; i++) {
		ids[0] = rnd() % nkeys;
		if (e->put_batch(e, ids, 1, 0))
			return 1;
	}
	double upd1 = now_s() - t;
	t = now_s();
	for (uint64_t i = 0; i < nkeys / 10; i += BATCH) {
		size_t n = 0;
		for (uint64_t j = i; j < nkeys / 10 && j < i + BATCH; j++)
			ids[n++] = j * 10;
		if (e->put_batch(e, ids, n, 1))
			return 1;
	}
	double dels = now_s() - t;
	mem(&a1, &f1);
	if (a1 > ap)
		ap = a1;
	if (f1 > fp)
		fp = f1;
	e->close(e);
	long long bytes = du(dir);
	t = now_s();
	if (e->open(e, dir))
		return 1;
	int first = e->get(e, 12345 % nkeys);
	double reopen = now_s() - t;
	e->close(e);
	free(ids);
	printf("%-8s keys %9llu | restore %8.0f rec/s | get %6.2f us | put/100 "
	       "%6.2f us/rec | put/1 %7.1f us | delete %8.0f rec/s | disk "
	       "%5.0f B/rec | anon %6ld KB (start %ld) | file-backed %7ld KB | "
	       "reopen+get %6.1f ms%s\n",
	       e->name, (unsigned long long)nkeys, (double)nkeys / restore,
	       reads * 1e6 / 100000, upd100 * 1e6 / 100000, upd1 * 1e6 / 1000,
	       (double)(nkeys / 10) / dels, (double)bytes / (double)nkeys, ap,
	       a0, fp, reopen * 1e3, bad || first > 0 ? " MISSES" : "");
	rmdir_all(dir);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t nkeys = 1000000;
	const char *dir = "/tmp/bench_store_engines", *which = "all";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--keys") && i + 1 < argc)
			nkeys = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--engine") && i + 1 < argc)
			which = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--keys N] [--dir DIR] "
					"[--engine lmdb|rocksdb|all]\n",
				argv[0]);
			return 2;
		}
	}
	if (nkeys < 1000)
		nkeys = 1000;
	eng_t engs[] = {
		{"lmdb", lm_open, lm_close, lm_put_batch, lm_get, 0, 0},
		{"lmdb-nosync", lm_open, lm_close, lm_put_batch, lm_get, 0, 0},
		{"lmdb-wmap", lm_open, lm_close, lm_put_batch, lm_get, 0, 0},
#ifdef HAVE_ROCKSDB
		{"rocksdb", rk_open, rk_close, rk_put_batch, rk_get, 0, 0},
#endif
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof engs / sizeof engs[0]; i++) {
		if (strcmp(which, "all") && strcmp(which, engs[i].name))
			continue;
		if (!strcmp(engs[i].name, "lmdb-nosync"))
			lm_flags = MDB_NOSYNC;
		else if (!strcmp(engs[i].name, "lmdb-wmap"))
			lm_flags = MDB_NOSYNC | MDB_WRITEMAP;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			int r = run(&engs[i], dir, nkeys);
			fflush(stdout);
			_exit(r);
		}
		int st = 0;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			rc = 1;
	}
	return rc;
}
