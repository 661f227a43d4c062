/* group.c -- group membership: assignment, revoke, drained handover.
 * Owns: the rebalance callback, co-partitioned assignment (partition k of
 *       every input topic together), the handover that waits for gateway
 *       calls in flight before an unassign.
 * Not here: what is dropped with a partition (items.c, order_table.c),
 *           offsets and transactions committed on revoke (commit.c). */
#include "kafka/worker_int.h"

#include <stdio.h>

/* ---- group membership ---------------------------------------------- */

static void on_assign(pw_worker_t *w,
		      rd_kafka_topic_partition_list_t *parts)
{
	for (int i = 0; i < parts->cnt; i++) {
		int t = pw__topic_index(w, parts->elems[i].topic);
		pw_part_t *p = pw__part(w, parts->elems[i].partition, 1);
		if (t < 0 || !p)
			continue;
		if (!p->assigned[t]) {
			p->assigned[t] = 1;
			pw_offtrack_init(&p->off[t]);
			p->stored[t] = -1;
			if (p->nassigned++ == 0) {
				w->st.partitions_assigned++;
				pw__restore_start(w, p);
			}
		}
	}
	rd_kafka_error_t *e = rd_kafka_incremental_assign(w->consumer, parts);
	if (e) {
		PW_LOG(w, PW_LOG_ERROR, "incremental_assign: %s",
		       rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	w->assigned_any = 1;
	/* pause what restores; fetched records wait for the restore */
	for (int i = 0; i < w->nparts; i++) {
		pw_part_t *p = w->parts[i];
		if (p && p->restoring && !p->paused) {
			pw__set_paused(w, p, 1);
			p->paused = 1;
		}
	}
}

/* 1 when parts names partition number id (of any input topic). */
static int parts_has(const rd_kafka_topic_partition_list_t *parts, int32_t id)
{
	for (int i = 0; i < parts->cnt; i++)
		if (parts->elems[i].partition == id)
			return 1;
	return 0;
}

/* Nothing new starts on these partitions (start_or_defer) and
 * back-pressure pauses them. */
static void mark_revoking(pw_worker_t *w,
			  const rd_kafka_topic_partition_list_t *parts)
{
	for (int i = 0; i < parts->cnt; i++) {
		pw_part_t *p = pw__part(w, parts->elems[i].partition, 0);
		if (p)
			p->revoking = 1;
	}
}

/* Gives partitions back: what their work produced is delivered (or
 * committed with its offsets, exactly-once), their offsets committed,
 * their state forgotten, and librdkafka told. */
static void revoke_now(pw_worker_t *w, rd_kafka_topic_partition_list_t *parts)
{
	mark_revoking(w, parts);
	if (w->o.exactly_once) {
		pw__txn_settle(w); /* hands over committed state and offsets */
	} else {
		/* Deliver what the work of these partitions has produced,
		 * and the state records those deliveries release, before
		 * another member takes them over: the new owner then
		 * restores that state (no repeated transition) and none of
		 * our records lands after its own. Bounded. */
		rd_kafka_flush(w->producer, 10000);
		pw__store_offsets(w);
	}
	for (int i = 0; i < parts->cnt; i++) {
		int t = pw__topic_index(w, parts->elems[i].topic);
		pw_part_t *p = pw__part(w, parts->elems[i].partition, 0);
		if (t < 0 || !p || !p->assigned[t])
			continue;
		p->assigned[t] = 0;
		if (--p->nassigned == 0) {
			w->st.partitions_assigned--;
			if (p->restoring) {
				p->restoring = 0;
				w->st.partitions_restoring--;
			}
			pw__partition_revoked(w, p);
			pw__store_close(w, p);
			p->paused = 0;
			p->revoking = 0;
		}
	}
	if (!w->o.exactly_once) {
		/* commit what is stored before another member takes over */
		rd_kafka_resp_err_t err = rd_kafka_commit(w->consumer, NULL, 0);
		if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
			PW_LOG(w, PW_LOG_WARN, "commit on revoke: %s",
			       rd_kafka_err2str(err));
	}
	rd_kafka_error_t *e =
		rd_kafka_incremental_unassign(w->consumer, parts);
	if (e) {
		PW_LOG(w, PW_LOG_ERROR, "incremental_unassign: %s",
		       rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
}

/* ---- drained handover ------------------------------------------------
 * A revoke does not cancel gateway calls in flight: the new owner would
 * redo them (a second create, answered "duplicate order_id"). The revoked
 * partitions are paused, nothing new starts on them, and the unassign --
 * which is what lets the group give them to another member -- waits until
 * their calls have returned and their results are written, or until
 * handover.timeout. librdkafka keeps the group waiting for an incremental
 * unassign made after the rebalance callback returned. Not when the
 * partitions are lost (another member may own them already) nor while
 * shutting down (the shutdown drains first). */

static int calls_in_flight(pw_worker_t *w,
			   const rd_kafka_topic_partition_list_t *parts)
{
	int n = 0;
	for (pw_item_t *it = w->items; it; it = it->next)
		n += !it->dead && it->call && parts_has(parts, it->partition);
	return n;
}

/* 1 when a and b name a partition number in common. */
static int parts_overlap(const rd_kafka_topic_partition_list_t *a,
				   const rd_kafka_topic_partition_list_t *b)
{
	for (int i = 0; i < a->cnt; i++)
		if (parts_has(b, a->elems[i].partition))
			return 1;
	return 0;
}

void pw__handover_finish(pw_worker_t *w)
{
	rd_kafka_topic_partition_list_t *l = w->handover;
	if (!l)
		return;
	w->handover = NULL;
	if (w->handover_timer) {
		pw_timer_cancel(w->loop, w->handover_timer);
		w->handover_timer = NULL;
	}
	int left = calls_in_flight(w, l);
	if (!left)
		w->st.handovers_drained++;
	if (left) {
		w->st.handover_timeouts++;
		PW_LOG(w, PW_LOG_WARN,
		       "handover: %d gateway calls still in flight after "
		       "%lld ms: cancelled, the new owner resolves them",
		       left, (long long)w->o.handover_timeout_ms);
	}
	revoke_now(w, l);
	rd_kafka_topic_partition_list_destroy(l);
}

static void handover_check(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_worker_t *w = ud;
	w->handover_timer = NULL;
	if (!w->handover)
		return;
	if (calls_in_flight(w, w->handover) == 0 ||
	    pw_loop_now(loop) >= w->handover_deadline) {
		pw__handover_finish(w);
		return;
	}
	w->handover_timer = pw_timer_add(loop, 10, handover_check, w);
}

static void on_revoke(pw_worker_t *w,
		      rd_kafka_topic_partition_list_t *parts)
{
	int n;
	int at_once = w->o.handover_timeout_ms <= 0 || w->shutting_down ||
		      rd_kafka_assignment_lost(w->consumer);
	if (w->handover && !at_once) {
		/* a second revoke while the first drains (the KIP-848
		 * coordinator moves partitions to each new member in turn):
		 * they drain together, the deadline counted from now */
		for (int i = 0; i < parts->cnt; i++)
			if (!rd_kafka_topic_partition_list_find(
				    w->handover, parts->elems[i].topic,
				    parts->elems[i].partition))
				rd_kafka_topic_partition_list_add(
					w->handover, parts->elems[i].topic,
					parts->elems[i].partition);
		mark_revoking(w, parts);
		pw__backpressure(w);
		w->handover_deadline =
			pw_loop_now(w->loop) + w->o.handover_timeout_ms;
		PW_LOG(w, PW_LOG_INFO,
		       "handover: %d more partitions revoked; waiting for "
		       "%d gateway calls in flight",
		       parts->cnt / PW_IN_N, calls_in_flight(w, w->handover));
		return;
	}
	if (w->handover)
		pw__handover_finish(w);
	if (at_once || (n = calls_in_flight(w, parts)) == 0) {
		revoke_now(w, parts);
		return;
	}
	w->handover = rd_kafka_topic_partition_list_copy(parts);
	mark_revoking(w, parts);
	pw__backpressure(w); /* pauses them */
	w->handover_deadline =
		pw_loop_now(w->loop) + w->o.handover_timeout_ms;
	PW_LOG(w, PW_LOG_INFO,
	       "handover: %d partitions revoked; waiting for their %d "
	       "gateway calls in flight (at most %lld ms)",
	       parts->cnt / PW_IN_N, n, (long long)w->o.handover_timeout_ms);
	w->handover_timer = pw_timer_add(w->loop, 10, handover_check, w);
}

/* The group assigns the partitions of one topic (cmd.payin, the only one
 * subscribed); partition k of every input topic goes with it, so one member
 * owns all inputs of an order and its state (design.md §2, co-partitioned).
 * cooperative-sticky balances topic-partitions, not partition numbers: with
 * every input topic subscribed, cmd.payin[k] and int.webhook[k] could be
 * owned by two members at once, each holding state for the same orders.
 * parts may already name the other topics (the whole assignment, on close):
 * nothing is listed twice. New (caller destroys). */
static rd_kafka_topic_partition_list_t *
copartitions(pw_worker_t *w, const rd_kafka_topic_partition_list_t *parts)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(parts->cnt * PW_IN_N + 1);
	for (int i = 0; i < parts->cnt; i++) {
		if (pw__topic_index(w, parts->elems[i].topic) < 0)
			continue;
		for (int t = 0; t < PW_IN_N; t++)
			if (!rd_kafka_topic_partition_list_find(
				    l, w->in_topics[t], parts->elems[i].partition))
				rd_kafka_topic_partition_list_add(
					l, w->in_topics[t],
					parts->elems[i].partition);
	}
	return l;
}

void pw__rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
		      rd_kafka_topic_partition_list_t *parts, void *op)
{
	pw_worker_t *w = op;
	w->st.rebalances++;
	/* librdkafka queues the (often empty) incremental assign of the same
	 * rebalance right behind the revoke: a drained handover goes on
	 * through it, and through further revokes (on_revoke adds them to
	 * it); it ends at once when a partition it holds is assigned again
	 * or on an error */
	if (w->handover && err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS &&
	    (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ||
	     parts_overlap(w->handover, parts)))
		pw__handover_finish(w);
	if (pw_log_enabled(w->o.log, PW_LOG_INFO)) {
		char ids[256] = "";
		size_t o = 0;
		for (int i = 0; i < parts->cnt && o < sizeof ids - 16; i++)
			o += (size_t)snprintf(ids + o, sizeof ids - o, "%s%d",
					      i ? "," : "",
					      (int)parts->elems[i].partition);
		PW_LOG(w, PW_LOG_INFO, "rebalance: %s partitions [%s]%s",
		       err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? "assigned"
								   : "revoked",
		       ids,
		       err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS &&
				       rd_kafka_assignment_lost(rk)
			       ? " (lost)"
			       : "");
	}
	rd_kafka_topic_partition_list_t *all = copartitions(w, parts);
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
		on_assign(w, all);
	else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
		on_revoke(w, all);
	else
		PW_LOG(w, PW_LOG_ERROR, "rebalance: %s", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(all);
}
