/* check_store.c -- the local state store of one partition (issue 16):
 * records, checkpoint, identity, wipe and rebuild, indexes. */
#include <check.h>
#include <jansson.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pwtest.h"
#include "store/store.h"

#define MAP (64ull << 20)

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const pw_store_id_t ID = {"cluster-A", "payatom.int.state", 3};

static pw_store_t *open_ok(const pw_store_id_t *id, char *why)
{
	pw_store_t *st = NULL;
	char err[PA_ERRBUF_SIZE] = "";
	pa_err_t e = pw_store_open(dir, id, MAP, &st, why, why ? 64 : 0, err);
	ck_assert_msg(e == PA_OK, "open: %s", err);
	return st;
}

static void order(pw_order_t *o, const char *oid, int settled, int64_t created)
{
	memset(o, 0, sizeof *o);
	snprintf(o->order_id, sizeof o->order_id, "%s", oid);
	snprintf(o->merchant, sizeof o->merchant, "demo");
	snprintf(o->ref_code, sizeof o->ref_code, "REF-%s", oid);
	snprintf(o->raw_status, sizeof o->raw_status, "Approved");
	snprintf(o->product, sizeof o->product, "PAYIN_UPI_P2C_SEAMLESS");
	snprintf(o->currency, sizeof o->currency, "INR");
	o->phase = settled ? PW_PHASE_SETTLED : PW_PHASE_ACCEPTED;
	o->status = settled ? PA_STATUS_SUCCEEDED : PA_STATUS_PENDING;
	o->seq = 2;
	o->partition = 3;
	o->amount_minor = 10000;
	o->received_minor = -1;
	o->created_ms = created;
}

START_TEST(test_store_new_store_has_no_checkpoint)
{
	char why[64];
	pw_store_t *st = open_ok(&ID, why);
	ck_assert_int_eq(pw_store_checkpoint(st), -1);
	ck_assert_str_eq(why, "");
	pw_order_t o;
	ck_assert_int_eq(pw_store_get(st, "ORD1", 4, &o), PA_NOT_FOUND);
	pw_store_close(st);
}
END_TEST

START_TEST(test_store_put_get_delete_round_trip)
{
	pw_store_t *st = open_ok(&ID, NULL);
	pw_order_t o, got;
	order(&o, "ORD1", 1, 1000);
	ck_assert_int_eq(pw_store_put(st, "ORD1", 4, &o), PA_OK);
	/* the open batch is visible before its commit */
	ck_assert_int_eq(pw_store_get(st, "ORD1", 4, &got), PA_OK);
	ck_assert_str_eq(got.ref_code, "REF-ORD1");
	ck_assert_int_eq(pw_store_commit(st, 11), PA_OK);
	ck_assert_int_eq(pw_store_get(st, "ORD1", 4, &got), PA_OK);
	ck_assert_int_eq(got.amount_minor, 10000);
	ck_assert_int_eq(got.phase, PW_PHASE_SETTLED);
	ck_assert_str_eq(got.product, "PAYIN_UPI_P2C_SEAMLESS");
	ck_assert_int_eq(pw_store_del(st, "ORD1", 4), PA_OK);
	ck_assert_int_eq(pw_store_del(st, "ORD9", 4), PA_OK); /* absent */
	ck_assert_int_eq(pw_store_get(st, "ORD1", 4, &got), PA_NOT_FOUND);
	ck_assert_int_eq(pw_store_commit(st, 12), PA_OK);
	ck_assert_uint_eq(pw_store_writes(st), 2);
	pw_store_close(st);
}
END_TEST

START_TEST(test_store_checkpoint_and_records_survive_reopen)
{
	pw_store_t *st = open_ok(&ID, NULL);
	pw_order_t o, got;
	order(&o, "ORD1", 1, 1000);
	ck_assert_int_eq(pw_store_put(st, "ORD1", 4, &o), PA_OK);
	ck_assert_int_eq(pw_store_commit(st, 42), PA_OK);
	/* an uncommitted batch is not part of the store after a close: the
	 * close commits it, but the checkpoint stays where it was */
	order(&o, "ORD2", 1, 1000);
	ck_assert_int_eq(pw_store_put(st, "ORD2", 4, &o), PA_OK);
	pw_store_close(st);
	char why[64];
	st = open_ok(&ID, why);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(pw_store_checkpoint(st), 42);
	ck_assert_int_eq(pw_store_get(st, "ORD1", 4, &got), PA_OK);
	ck_assert_str_eq(got.ref_code, "REF-ORD1");
	pw_store_close(st);
}
END_TEST

START_TEST(test_store_killed_process_keeps_its_commits)
{
	/* a child commits and dies without closing (SIGKILL-like _exit):
	 * the same boot reopens the store with its checkpoint */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pw_store_t *st = NULL;
		if (pw_store_open(dir, &ID, MAP, &st, NULL, 0, NULL) != PA_OK)
			_exit(3);
		pw_order_t o;
		order(&o, "ORD7", 1, 5);
		if (pw_store_put(st, "ORD7", 4, &o) != PA_OK ||
		    pw_store_commit(st, 77) != PA_OK)
			_exit(4);
		_exit(0);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	char why[64];
	pw_store_t *st = open_ok(&ID, why);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(pw_store_checkpoint(st), 77);
	pw_order_t got;
	ck_assert_int_eq(pw_store_get(st, "ORD7", 4, &got), PA_OK);
	pw_store_close(st);
}
END_TEST

static void path_of(char *out, size_t size, const char *file)
{
	snprintf(out, size, "%s/payatom.int.state-3/%s", dir, file);
}

START_TEST(test_store_unsynced_store_of_an_earlier_boot_is_wiped)
{
	pw_store_t *st = open_ok(&ID, NULL);
	pw_order_t o;
	order(&o, "ORD1", 1, 1000);
	ck_assert_int_eq(pw_store_put(st, "ORD1", 4, &o), PA_OK);
	ck_assert_int_eq(pw_store_commit(st, 9), PA_OK);
	pw_store_close(st);
	/* the marker of a boot that is not this one: written, never synced */
	char p[512];
	path_of(p, sizeof p, "dirty");
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("00000000-0000-0000-0000-000000000000\n", f);
	fclose(f);
	char why[64];
	st = open_ok(&ID, why);
	ck_assert_str_eq(why, "not synced before the machine restarted");
	ck_assert_int_eq(pw_store_checkpoint(st), -1);
	ck_assert_int_eq(pw_store_get(st, "ORD1", 4, &o), PA_NOT_FOUND);
	pw_store_close(st);
}
END_TEST

START_TEST(test_store_corrupt_file_is_wiped_and_rebuilt)
{
	pw_store_t *st = open_ok(&ID, NULL);
	pw_order_t o;
	order(&o, "ORD1", 1, 1000);
	ck_assert_int_eq(pw_store_put(st, "ORD1", 4, &o), PA_OK);
	ck_assert_int_eq(pw_store_commit(st, 9), PA_OK);
	pw_store_close(st);
	char p[512];
	path_of(p, sizeof p, "data.mdb");
	int fd = open(p, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	char junk[8192];
	memset(junk, 0x5A, sizeof junk); /* both meta pages */
	ck_assert_int_eq(pwrite(fd, junk, sizeof junk, 0), (ssize_t)sizeof junk);
	close(fd);
	char why[64];
	st = open_ok(&ID, why);
	ck_assert_str_eq(why, "unreadable");
	ck_assert_int_eq(pw_store_checkpoint(st), -1);
	ck_assert_int_eq(pw_store_get(st, "ORD1", 4, &o), PA_NOT_FOUND);
	/* and it works as a new store */
	ck_assert_int_eq(pw_store_put(st, "ORD1", 4, &o), PA_OK);
	pw_store_close(st);
}
END_TEST

START_TEST(test_store_foreign_cluster_or_format_is_wiped)
{
	pw_store_t *st = open_ok(&ID, NULL);
	ck_assert_int_eq(pw_store_commit(st, 5), PA_OK);
	pw_store_close(st);
	pw_store_id_t other = ID;
	other.cluster = "cluster-B";
	char why[64];
	st = open_ok(&other, why);
	ck_assert_str_eq(why, "another Kafka cluster");
	ck_assert_int_eq(pw_store_checkpoint(st), -1);
	pw_store_close(st);
	/* an unknown cluster id (broker did not say) keeps the store */
	other.cluster = "";
	st = open_ok(&other, why);
	ck_assert_str_eq(why, "");
	pw_store_close(st);
}
END_TEST

START_TEST(test_store_second_handle_is_refused)
{
	pw_store_t *st = open_ok(&ID, NULL), *st2 = NULL;
	char err[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_store_open(dir, &ID, MAP, &st2, NULL, 0, err),
			 PA_BUSY);
	ck_assert_ptr_null(st2);
	ck_assert_ptr_nonnull(strstr(err, "in use"));
	pw_store_close(st);
	/* another partition is another folder */
	pw_store_id_t p4 = ID;
	p4.partition = 4;
	st = open_ok(&ID, NULL);
	st2 = open_ok(&p4, NULL);
	pw_store_close(st2);
	pw_store_close(st);
}
END_TEST

static int collect(const char *key, size_t klen, const pw_order_t *ord,
		   void *ud)
{
	char *buf = ud;
	ck_assert_int_ne(ord->phase, PW_PHASE_SETTLED);
	strncat(buf, key, klen);
	strcat(buf, ",");
	return 0;
}

START_TEST(test_store_live_index_follows_the_phase)
{
	pw_store_t *st = open_ok(&ID, NULL);
	pw_order_t o;
	order(&o, "A", 0, 1);
	ck_assert_int_eq(pw_store_put(st, "A", 1, &o), PA_OK);
	order(&o, "B", 0, 1);
	ck_assert_int_eq(pw_store_put(st, "B", 1, &o), PA_OK);
	order(&o, "C", 1, 1);
	ck_assert_int_eq(pw_store_put(st, "C", 1, &o), PA_OK);
	order(&o, "B", 1, 1); /* B settles */
	ck_assert_int_eq(pw_store_put(st, "B", 1, &o), PA_OK);
	ck_assert_int_eq(pw_store_commit(st, 4), PA_OK);
	char buf[64] = "";
	ck_assert_int_eq(pw_store_walk_live(st, collect, buf), PA_OK);
	ck_assert_str_eq(buf, "A,");
	ck_assert_int_eq(pw_store_del(st, "A", 1), PA_OK);
	buf[0] = '\0';
	ck_assert_int_eq(pw_store_walk_live(st, collect, buf), PA_OK);
	ck_assert_str_eq(buf, "");
	pw_store_stats_t s;
	ck_assert_int_eq(pw_store_stats(st, &s), PA_OK);
	ck_assert_uint_eq(s.orders, 2);
	ck_assert_uint_eq(s.live, 0);
	ck_assert_uint_gt(s.bytes, 0);
	pw_store_close(st);
}
END_TEST

static int tomb(const char *key, size_t klen, void *ud)
{
	char *buf = ud;
	strncat(buf, key, klen);
	strcat(buf, ",");
	return 0;
}

START_TEST(test_store_retention_lists_settled_orders_oldest_first)
{
	pw_store_t *st = open_ok(&ID, NULL);
	pw_order_t o;
	const char *ids[] = {"T3", "T1", "T2", "T5", "T4"};
	for (int i = 0; i < 5; i++) {
		order(&o, ids[i], 1, 1000 * (ids[i][1] - '0'));
		ck_assert_int_eq(pw_store_put(st, ids[i], 2, &o), PA_OK);
	}
	order(&o, "L0", 0, 0); /* live: never expires */
	ck_assert_int_eq(pw_store_put(st, "L0", 2, &o), PA_OK);
	/* T1 created again later (expired and recreated): its old index
	 * entry goes with the overwrite */
	order(&o, "T1", 1, 9000);
	ck_assert_int_eq(pw_store_put(st, "T1", 2, &o), PA_OK);
	ck_assert_int_eq(pw_store_commit(st, 10), PA_OK);
	char buf[64] = "";
	size_t n = 0;
	ck_assert_int_eq(pw_store_expired(st, 4000, 2, tomb, buf, &n), PA_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(buf, "T2,T3,");
	/* listed, not removed: the tombstone's delivery removes them */
	buf[0] = '\0';
	ck_assert_int_eq(pw_store_expired(st, 4000, 100, tomb, buf, &n), PA_OK);
	ck_assert_str_eq(buf, "T2,T3,");
	ck_assert_int_eq(pw_store_del(st, "T2", 2), PA_OK);
	ck_assert_int_eq(pw_store_del(st, "T3", 2), PA_OK);
	buf[0] = '\0';
	ck_assert_int_eq(pw_store_expired(st, 1LL << 60, 100, tomb, buf, &n),
			 PA_OK);
	ck_assert_str_eq(buf, "T4,T5,T1,");
	ck_assert_int_eq(pw_store_get(st, "L0", 2, &o), PA_OK);
	ck_assert_int_eq(pw_store_commit(st, 11), PA_OK);
	pw_store_close(st);
}
END_TEST

START_TEST(test_store_corrupt_record_reads_as_parse_error)
{
	pw_order_t o;
	char buf[PW_ORDER_PACKED_MAX];
	order(&o, "ORD1", 1, 1);
	size_t n = pw_order_pack_to(&o, buf, sizeof buf);
	ck_assert_uint_gt(n, 0);
	pw_order_t got;
	ck_assert_int_eq(pw_order_unpack_bytes(buf, n, &got), PA_OK);
	ck_assert_str_eq(got.order_id, "ORD1");
	ck_assert_int_eq(pw_order_unpack_bytes(buf, n - 1, &got), PA_PARSE);
	ck_assert_int_eq(pw_order_unpack_bytes(buf, 10, &got), PA_PARSE);
	char *end = memmem(buf, n, "SEAMLESS", 8);
	ck_assert_ptr_nonnull(end);
	end[8] = 'x'; /* the last string no longer terminated */
	ck_assert_int_eq(pw_order_unpack_bytes(buf, n, &got), PA_PARSE);
	ck_assert_uint_eq(pw_order_pack_to(&o, buf, 16), 0);
}
END_TEST

/* An order with an ext (its command's metadata and trace, issue 19) of
 * any size is kept whole -- beyond the common record size too -- read
 * back with its own copy, walked, and checked like the rest. */
START_TEST(test_store_keeps_an_order_ext_of_any_size)
{
	char why[256] = "";
	pw_store_t *st = open_ok(&ID, why);
	pw_order_t o;
	order(&o, "EXT1", 0, 1000);
	json_t *md = json_object();
	for (int i = 0; i < 20; i++) {
		char k[8];
		snprintf(k, sizeof k, "k%02d", i);
		json_object_set_new(md, k, json_string("a value of some length"));
	}
	json_t *ext = json_pack("{s:s s:o s:s}", "cid", "c-1", "md", md, "tp",
				"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
	ck_assert_int_eq(pw_order_set_ext(&o, ext), PA_OK);
	ck_assert_uint_gt(pw_order_packed_size(&o), PW_ORDER_PACKED_MAX);
	ck_assert_int_eq(pw_store_put(st, "EXT1", 4, &o), PA_OK);
	ck_assert_int_eq(pw_store_commit(st, 1), PA_OK);
	pw_order_t got;
	ck_assert_int_eq(pw_store_get(st, "EXT1", 4, &got), PA_OK);
	ck_assert_ptr_nonnull(got.ext);
	ck_assert_ptr_ne(got.ext, o.ext);
	ck_assert_str_eq(got.ext, o.ext);
	pw_order_release(&got);
	char keys[64] = "";
	ck_assert_int_eq(pw_store_walk_live(st, collect, keys), PA_OK);
	ck_assert_ptr_nonnull(strstr(keys, "EXT1"));
	/* overwritten by a version without one, then the bytes checked */
	pw_order_release(&o);
	ck_assert_int_eq(pw_store_put(st, "EXT1", 4, &o), PA_OK);
	ck_assert_int_eq(pw_store_get(st, "EXT1", 4, &got), PA_OK);
	ck_assert_ptr_null(got.ext);
	ck_assert_int_eq(pw_order_set_ext(&o, ext), PA_OK);
	size_t n = pw_order_packed_size(&o);
	char *buf = malloc(n);
	ck_assert_uint_eq(pw_order_pack_to(&o, buf, n), n);
	ck_assert_int_eq(pw_order_unpack_bytes(buf, n, &got), PA_OK);
	ck_assert_str_eq(got.ext, o.ext);
	pw_order_release(&got);
	char *in = memmem(buf, n, "\"cid\"", 5);
	ck_assert_ptr_nonnull(in);
	*in = '\0'; /* the ext ends before its length says */
	ck_assert_int_eq(pw_order_unpack_bytes(buf, n, &got), PA_PARSE);
	ck_assert_int_eq(pw_order_unpack_bytes(buf, n - 1, &got), PA_PARSE);
	free(buf);
	pw_order_release(&o);
	json_decref(ext);
	pw_store_close(st);
}
END_TEST

/* ---- a restore's batches (bulk.c) ------------------------------------ */

static int collect_any(const char *key, size_t klen, const pw_order_t *ord,
		       void *ud)
{
	(void)ord;
	char *buf = ud;
	if (strlen(buf) + klen + 2 < 8192) {
		strncat(buf, key, klen);
		strcat(buf, ",");
	}
	return 0;
}

static int tomb_any(const char *key, size_t klen, void *ud)
{
	return collect_any(key, klen, NULL, ud);
}

/* The same changelog -- keys written again and again, live and settled,
 * created times out of order, tombstones, keys already in the store --
 * written in batches and record by record gives the same store: the same
 * orders, live index and retention order. */
START_TEST(test_store_bulk_batches_equal_record_by_record)
{
	pw_store_id_t id2 = ID;
	id2.partition = 4;
	pw_store_t *a = open_ok(&ID, NULL), *b = open_ok(&id2, NULL);
	/* the smallest batch: ~400 records, so 5,000 make many batches */
	pw_store_bulk_t *bk = pw_store_bulk_new(0);
	ck_assert_ptr_nonnull(bk);
	uint64_t rng = 12345;
	int batches = 0;
	for (int i = 0; i < 5000; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		char key[16];
		int kl = snprintf(key, sizeof key, "K%03u", (unsigned)(rng % 700));
		pw_order_t o;
		/* creation mostly in changelog order, some from long ago */
		order(&o, key, rng % 3 != 0,
		      rng % 11 ? i * 10 : (int64_t)(rng % 997));
		o.amount_minor = i;
		const pw_order_t *op = rng % 13 ? &o : NULL; /* tombstone */
		int rc = pw_store_bulk_add(bk, key, (size_t)kl, op);
		if (rc == 1) {
			ck_assert_int_eq(pw_store_bulk_write(bk, a, i), PA_OK);
			batches++;
			ck_assert_uint_eq(pw_store_bulk_count(bk), 0);
			rc = pw_store_bulk_add(bk, key, (size_t)kl, op);
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(op ? pw_store_put(b, key, (size_t)kl, op)
				    : pw_store_del(b, key, (size_t)kl),
				 PA_OK);
	}
	ck_assert_int_eq(pw_store_bulk_write(bk, a, 5000), PA_OK);
	ck_assert_int_eq(pw_store_commit(b, 5000), PA_OK);
	ck_assert_int_gt(batches, 5);
	ck_assert_int_eq(pw_store_checkpoint(a), 5000);
	pw_store_stats_t sa, sb;
	ck_assert_int_eq(pw_store_stats(a, &sa), PA_OK);
	ck_assert_int_eq(pw_store_stats(b, &sb), PA_OK);
	ck_assert_uint_eq(sa.orders, sb.orders);
	ck_assert_uint_eq(sa.live, sb.live);
	ck_assert_uint_gt(sa.orders, 300);
	ck_assert_uint_gt(sa.live, 50);
	for (unsigned k = 0; k < 700; k++) {
		char key[16];
		int kl = snprintf(key, sizeof key, "K%03u", k);
		pw_order_t oa, ob;
		pa_err_t ea = pw_store_get(a, key, (size_t)kl, &oa),
			 eb = pw_store_get(b, key, (size_t)kl, &ob);
		ck_assert_int_eq(ea, eb);
		if (ea != PA_OK)
			continue;
		ck_assert_int_eq(oa.amount_minor, ob.amount_minor);
		ck_assert_int_eq(oa.created_ms, ob.created_ms);
		ck_assert_int_eq(oa.phase, ob.phase);
		ck_assert_str_eq(oa.ref_code, ob.ref_code);
	}
	static char la[8192], lb[8192];
	la[0] = lb[0] = '\0';
	ck_assert_int_eq(pw_store_walk_live(a, collect_any, la), PA_OK);
	ck_assert_int_eq(pw_store_walk_live(b, collect_any, lb), PA_OK);
	ck_assert_str_eq(la, lb);
	size_t na, nb;
	la[0] = lb[0] = '\0';
	ck_assert_int_eq(pw_store_expired(a, 1LL << 60, 100000, tomb_any, la,
					  &na),
			 PA_OK);
	ck_assert_int_eq(pw_store_expired(b, 1LL << 60, 100000, tomb_any, lb,
					  &nb),
			 PA_OK);
	ck_assert_uint_eq(na, sa.orders - sa.live);
	ck_assert_uint_eq(na, nb);
	ck_assert_str_eq(la, lb);
	pw_store_bulk_free(bk);
	pw_store_close(a);
	pw_store_close(b);
}
END_TEST

START_TEST(test_store_bulk_refuses_what_no_batch_holds)
{
	pw_store_bulk_t *bk = pw_store_bulk_new(0);
	ck_assert_ptr_nonnull(bk);
	pw_order_t o;
	order(&o, "BIG", 1, 5);
	json_t *md = json_object();
	for (int i = 0; i < 4000; i++) {
		char k[8];
		snprintf(k, sizeof k, "k%04d", i);
		json_object_set_new(md, k, json_string("a value of some length"));
	}
	json_t *ext = json_pack("{s:o}", "md", md);
	ck_assert_int_eq(pw_order_set_ext(&o, ext), PA_OK);
	json_decref(ext);
	ck_assert_int_eq(pw_store_bulk_add(bk, "BIG", 3, &o), -1);
	ck_assert_int_eq(pw_store_bulk_add(bk, "", 0, NULL), -1);
	pw_order_release(&o);
	order(&o, "S", 1, 5);
	ck_assert_int_eq(pw_store_bulk_add(bk, "S", 1, &o), 0);
	ck_assert_uint_eq(pw_store_bulk_count(bk), 1);
	pw_store_bulk_clear(bk);
	ck_assert_uint_eq(pw_store_bulk_count(bk), 0);
	pw_store_bulk_free(bk);
	pw_store_bulk_free(NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("store");
	TCase *t = tcase_create("records");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_store_new_store_has_no_checkpoint);
	tcase_add_test(t, test_store_put_get_delete_round_trip);
	tcase_add_test(t, test_store_checkpoint_and_records_survive_reopen);
	tcase_add_test(t, test_store_live_index_follows_the_phase);
	tcase_add_test(t, test_store_retention_lists_settled_orders_oldest_first);
	tcase_add_test(t, test_store_corrupt_record_reads_as_parse_error);
	tcase_add_test(t, test_store_keeps_an_order_ext_of_any_size);
	tcase_add_test(t, test_store_bulk_batches_equal_record_by_record);
	tcase_add_test(t, test_store_bulk_refuses_what_no_batch_holds);
	suite_add_tcase(s, t);
	t = tcase_create("wipe_and_rebuild");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, test_store_killed_process_keeps_its_commits);
	tcase_add_test(t, test_store_unsynced_store_of_an_earlier_boot_is_wiped);
	tcase_add_test(t, test_store_corrupt_file_is_wiped_and_rebuilt);
	tcase_add_test(t, test_store_foreign_cluster_or_format_is_wiped);
	tcase_add_test(t, test_store_second_handle_is_refused);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return pwt_run_suite(suite());
}
