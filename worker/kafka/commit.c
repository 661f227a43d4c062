/* commit.c -- offsets and, with exactly-once, transactions.
 * Owns: storing the lowest unfinished offset of each partition
 *       (at-least-once), the batch transaction of each commit interval
 *       (exactly-once: begin, send offsets, commit, abort, settle before a
 *       rebalance), the commit timer.
 * Not here: which offset is unfinished (orders/ordering.c offtrack), the
 *           rewind after an abort (restore.c), the producer (produce.c). */
#include "kafka/worker_int.h"

/* ---- offsets ------------------------------------------------------- */

/* Hands the lowest unfinished offset of every assigned input partition
 * to librdkafka (enable.auto.offset.store=false; the auto-commit timer
 * commits what was stored). */
void pw__store_offsets(pw_worker_t *w)
{
	rd_kafka_topic_partition_list_t *l = NULL;
	for (int i = 0; i < w->nparts; i++) {
		pw_part_t *p = w->parts[i];
		if (!p)
			continue;
		for (int t = 0; t < PW_IN_N; t++) {
			if (!p->assigned[t])
				continue;
			int64_t pos = pw_offtrack_position(&p->off[t]);
			if (pos < 0 || pos == p->stored[t])
				continue;
			if (!l)
				l = rd_kafka_topic_partition_list_new(16);
			rd_kafka_topic_partition_list_add(l, w->in_topics[t],
							  p->id)
				->offset = pos;
			p->stored[t] = pos;
		}
	}
	if (!l)
		return;
	rd_kafka_resp_err_t err = rd_kafka_offsets_store(w->consumer, l);
	if (err)
		PW_LOG(w, PW_LOG_WARN, "offsets_store: %s", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
}

/* ---- exactly-once: one transaction per commit interval ------------------
 * Events, state records and dead letters produced since the last commit
 * and the consumed offsets (the lowest unfinished offset of every assigned
 * partition) are committed atomically with
 * rd_kafka_send_offsets_to_transaction. The commit calls block the loop
 * for one broker round trip per interval (bounded by pw__txn_timeout). */

int pw__txn_timeout(const pw_worker_t *w)
{
	return w->o.txn_timeout_ms > 0 ? (int)w->o.txn_timeout_ms : 30000;
}

static void txn_fatal(pw_worker_t *w, rd_kafka_error_t *e, const char *what)
{
	PW_LOG(w, PW_LOG_ERROR,
	       "exactly-once: %s failed fatally (%s): this worker is fenced or "
	       "broken and stops; its uncommitted work is redone elsewhere",
	       what, rd_kafka_error_string(e));
	w->producer_fatal = 1;
	if (w->o.on_fatal)
		w->o.on_fatal(w->o.on_fatal_ud);
}

/* Starts a transaction if none is open; every produce happens inside one. */
pa_err_t pw__txn_begin(pw_worker_t *w)
{
	if (!w->o.exactly_once || w->in_txn)
		return PA_OK;
	if (w->producer_fatal)
		return PA_KAFKA;
	rd_kafka_error_t *e = rd_kafka_begin_transaction(w->producer);
	if (e) {
		txn_fatal(w, e, "begin_transaction");
		rd_kafka_error_destroy(e);
		return PA_KAFKA;
	}
	w->in_txn = 1;
	return PA_OK;
}

static rd_kafka_topic_partition_list_t *positions(pw_worker_t *w)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(16);
	for (int i = 0; i < w->nparts; i++) {
		pw_part_t *p = w->parts[i];
		if (!p)
			continue;
		for (int t = 0; t < PW_IN_N; t++) {
			int64_t pos = pw_offtrack_position(&p->off[t]);
			if (!p->assigned[t] || pos < 0)
				continue;
			rd_kafka_topic_partition_list_add(l, w->in_topics[t],
							  p->id)
				->offset = pos;
		}
	}
	return l;
}


/* Commit and abort block the loop for a broker round trip and serve
 * delivery reports from inside (their flush): those wait in w->drq. */
static rd_kafka_error_t *txn_call(pw_worker_t *w, int commit)
{
	rd_kafka_error_t *e = NULL;
	w->txn_busy = 1;
	if (commit && !w->txn_committing) {
		rd_kafka_topic_partition_list_t *l = positions(w);
		if (l->cnt) {
			rd_kafka_consumer_group_metadata_t *cgmd =
				rd_kafka_consumer_group_metadata(w->consumer);
			e = rd_kafka_send_offsets_to_transaction(
				w->producer, l, cgmd, pw__txn_timeout(w));
			rd_kafka_consumer_group_metadata_destroy(cgmd);
		}
		rd_kafka_topic_partition_list_destroy(l);
	}
	if (commit && !e) {
		/* a commit that timed out is resumed by calling it again,
		 * and only it: the offsets went in before */
		e = rd_kafka_commit_transaction(w->producer, pw__txn_timeout(w));
		w->txn_committing = e && rd_kafka_error_is_retriable(e);
	} else if (!commit) {
		e = rd_kafka_abort_transaction(w->producer, pw__txn_timeout(w));
		w->txn_committing = 0;
	}
	w->txn_busy = 0;
	return e;
}

/* Aborts the open transaction: what it held is discarded, the owned
 * partitions rewind to their committed offsets and state, and the
 * delivery reports of the aborted records reach dead items only. */
static void txn_abort(pw_worker_t *w)
{
	rd_kafka_error_t *e = txn_call(w, 0);
	w->in_txn = 0;
	w->txn_held = 0;
	w->st.txn_aborts++;
	pw__store_txn_end(w, 0);
	if (e) {
		txn_fatal(w, e, "abort_transaction");
		rd_kafka_error_destroy(e);
		pw__dr_replay(w);
		return;
	}
	pw__eos_rewind(w);
	pw__dr_replay(w);
}

/* Commits the open transaction with the current positions. On an abortable
 * error the transaction is aborted and every owned partition rewinds to its
 * committed offsets with its state re-read from the changelog. An item
 * whose state record could not yet follow its event into the transaction
 * holds the commit back (a committed event without its state would be
 * published again after a crash); for ten ticks at most, then the
 * transaction is aborted instead. */
void pw__txn_commit(pw_worker_t *w)
{
	if (!w->in_txn || w->producer_fatal)
		return;
	if (w->txn_split > 0 && !w->txn_committing) {
		if (++w->txn_held < 10)
			return;
		PW_LOG(w, PW_LOG_WARN,
		       "exactly-once: %d state records could not follow their "
		       "events into the transaction: aborting it and "
		       "rewinding to the committed offsets",
		       w->txn_split);
		txn_abort(w);
		return;
	}
	w->txn_held = 0;
	rd_kafka_error_t *e = txn_call(w, 1);
	if (!e) {
		w->in_txn = 0;
		w->st.txn_commits++;
		/* now, and only now, its state records reach the stores */
		pw__store_txn_end(w, 1);
		pw__dr_replay(w);
		return;
	}
	if (rd_kafka_error_txn_requires_abort(e)) {
		PW_LOG(w, PW_LOG_WARN,
		       "exactly-once: commit failed (%s): aborting and "
		       "rewinding to the committed offsets",
		       rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
		txn_abort(w);
		return;
	}
	if (rd_kafka_error_is_retriable(e)) {
		/* keep the transaction open; the next tick commits it */
		PW_LOG(w, PW_LOG_WARN, "exactly-once: commit will be retried: %s",
		       rd_kafka_error_string(e));
		w->st.txn_commit_retries++;
		rd_kafka_error_destroy(e);
		pw__dr_replay(w);
		return;
	}
	txn_fatal(w, e, "commit_transaction");
	rd_kafka_error_destroy(e);
	pw__store_txn_end(w, 0);
	pw__dr_replay(w);
}

/* Before partitions change hands: commits now, or, when the transaction
 * cannot commit now (a state record still to follow its event, a
 * retriable failure), aborts it -- records left open would otherwise be
 * committed later without the offsets of partitions no longer ours, and
 * the new owner would publish them again. */
void pw__txn_settle(pw_worker_t *w)
{
	if (!w->in_txn || w->producer_fatal)
		return;
	if (w->txn_split == 0)
		pw__txn_commit(w);
	if (w->in_txn && !w->producer_fatal) {
		PW_LOG(w, PW_LOG_WARN,
		       "exactly-once: the transaction cannot commit before "
		       "the partitions change hands: aborting it");
		txn_abort(w);
	}
}

void pw__commit_tick(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_worker_t *w = ud;
	w->commit_timer = NULL;
	pw__brokers_probe(w);
	if (w->o.exactly_once)
		pw__txn_commit(w);
	else
		pw__store_offsets(w);
	pw__store_commit_all(w); /* the stores' batches and checkpoints */
	w->st.commits++;
	if (!w->shutting_down)
		w->commit_timer = pw_timer_add(w->loop, w->o.commit_interval_ms,
					       pw__commit_tick, w);
}
