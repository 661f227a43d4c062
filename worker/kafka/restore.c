/* restore.c -- reading a partition's state changelog before its work starts.
 * Owns: the restore consumer's assignment (from the local store's
 *       checkpoint), a checkpoint past the changelog's end, the end of a
 *       restore (partition EOF), the rewind after an aborted transaction.
 * Not here: what a changelog record becomes (order_table.c), the group's
 *           assignment (group.c). */
#include "kafka/worker_int.h"

#include <string.h>

/* ---- restore of the state changelog ---------------------------------- */

/* Reads the changelog from the local store's checkpoint (store_sync.c):
 * only the tail after a restart, all of it into a new store. */
static void restore_assign(pw_worker_t *w, pw_part_t *p, int64_t from)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, w->o.topic_int_state, p->id)
		->offset = from;
	rd_kafka_error_t *e = rd_kafka_incremental_assign(w->restorer, l);
	if (e) {
		PW_LOG(w, PW_LOG_ERROR, "restore assign p%d: %s", p->id,
		       rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

void pw__restore_start(pw_worker_t *w, pw_part_t *p)
{
	p->restoring = 1;
	w->st.partitions_restoring++;
	restore_assign(w, p, pw__store_restore_from(w, p));
}

static void restore_unassign(pw_worker_t *w, int32_t id)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, w->o.topic_int_state, id);
	rd_kafka_error_t *e = rd_kafka_incremental_unassign(w->restorer, l);
	if (e)
		rd_kafka_error_destroy(e);
	rd_kafka_topic_partition_list_destroy(l);
}

/* The checkpoint is past the changelog's end (the topic was deleted and
 * made again): the store is stale, wiped, and the whole changelog read. */
static void restore_stale(pw_worker_t *w, int32_t id)
{
	pw_part_t *p = pw__part(w, id, 0);
	restore_unassign(w, id);
	if (!p || !p->restoring)
		return;
	pw__store_wipe(w, p, "checkpoint beyond the changelog's end");
	restore_assign(w, p, pw__store_restore_from(w, p));
}

static void restore_done(pw_worker_t *w, int32_t id, int64_t end)
{
	pw_part_t *p = pw__part(w, id, 0);
	restore_unassign(w, id);
	if (!p || !p->restoring)
		return;
	p->restoring = 0;
	w->st.partitions_restoring--;
	pw__store_restored(w, p, end);
	pw__partition_restored(w, p);
	pw__backpressure(w);
}

int pw__serve_restorer(rd_kafka_queue_t *q, void *ud)
{
	pw_worker_t *w = ud;
	for (int i = 0; i < 2000; i++) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(w->restorer, 0);
		if (!m)
			return 0;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			restore_done(w, m->partition, m->offset);
		else if (!m->err)
			pw__restore_record(w, m);
		else if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET &&
			 m->rkt && !strcmp(rd_kafka_topic_name(m->rkt),
					   w->o.topic_int_state))
			restore_stale(w, m->partition);
		else
			PW_LOG(w, PW_LOG_WARN, "restore: %s",
			       rd_kafka_message_errstr(m));
		rd_kafka_message_destroy(m);
	}
	return 1;
}

/* After an aborted transaction the in-memory state of every owned
 * partition may hold transitions that were never committed: drop it, read
 * the changelog again (read_committed) and consume from the committed
 * offsets. */

void pw__eos_rewind(pw_worker_t *w)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(16);
	for (int i = 0; i < w->nparts; i++) {
		pw_part_t *p = w->parts[i];
		if (!p || !p->nassigned)
			continue;
		pw__partition_revoked(w, p);
		for (int t = 0; t < PW_IN_N; t++)
			if (p->assigned[t])
				rd_kafka_topic_partition_list_add(
					l, w->in_topics[t], p->id);
		if (!p->restoring)
			pw__restore_start(w, p);
		pw__set_paused(w, p, 1);
		p->paused = 1;
	}
	rd_kafka_resp_err_t err =
		rd_kafka_committed(w->consumer, l, pw__txn_timeout(w));
	if (!err) {
		for (int i = 0; i < l->cnt; i++)
			if (l->elems[i].offset < 0)
				l->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
		rd_kafka_error_t *e = rd_kafka_seek_partitions(w->consumer, l,
							       pw__txn_timeout(w));
		if (e) {
			PW_LOG(w, PW_LOG_ERROR, "rewind: seek: %s",
			       rd_kafka_error_string(e));
			rd_kafka_error_destroy(e);
		}
	} else {
		PW_LOG(w, PW_LOG_ERROR, "rewind: committed offsets: %s",
		       rd_kafka_err2str(err));
	}
	rd_kafka_topic_partition_list_destroy(l);
}
