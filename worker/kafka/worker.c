/* worker.c -- the worker's Kafka side: clients, group membership, restore of
 * the state changelog, offsets, back-pressure, graceful shutdown.
 * Owns: the consumer, the producer, the restore consumer, the partition
 *       table.
 * Not here: what is done with each record (process.c), the gateway
 *           (gateway_payatom.c), configuration (core/config.c). */
#include "kafka/worker_int.h"

#include "payatom/canonjson.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void pw_worker_opts_default(pw_worker_opts_t *o)
{
	memset(o, 0, sizeof *o);
	o->group_id = "payatom-worker";
	o->topic_cmd_payin = "payatom.cmd.payin";
	o->topic_cmd_payout = "payatom.cmd.payout";
	o->topic_cmd_complaint = "payatom.cmd.complaint";
	o->topic_evt_payment = "payatom.evt.payment";
	o->topic_evt_refund = "payatom.evt.refund";
	o->topic_evt_complaint = "payatom.evt.complaint";
	o->topic_evt_report = "payatom.evt.report";
	o->topic_dlq = "payatom.dlq";
	o->topic_int_webhook = "payatom.int.webhook";
	o->topic_int_state = "payatom.int.state";
	o->max_inflight = 10000;
	o->max_inflight_per_partition = 1000;
	o->poll_first_ms = 30000;
	o->poll_max_interval_ms = 300000;
	o->poll_deadline_ms = 24LL * 3600 * 1000;
	o->retry_base_ms = 500;
	o->retry_max_ms = 60000;
	o->retry_max_attempts = 8;
	o->commit_interval_ms = 1000;
	o->shutdown_timeout_ms = 25000;
	o->handover_timeout_ms = 10000;
	o->state_retention_ms = 30LL * 24 * 3600 * 1000;
}

int64_t pw__wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t pw__rand(pw_worker_t *w)
{
	/* splitmix64: jitter only, not security */
	uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

pw_part_t *pw__part(pw_worker_t *w, int32_t id, int create)
{
	if (id < 0 || id > 65535)
		return NULL;
	if (id >= w->nparts) {
		if (!create)
			return NULL;
		int n = id + 1;
		pw_part_t **np = realloc(w->parts, (size_t)n * sizeof *np);
		if (!np)
			return NULL;
		memset(np + w->nparts, 0,
		       (size_t)(n - w->nparts) * sizeof *np);
		w->parts = np;
		w->nparts = n;
	}
	if (!w->parts[id] && create) {
		pw_part_t *p = calloc(1, sizeof *p);
		if (!p)
			return NULL;
		p->id = id;
		for (int i = 0; i < PW_IN_N; i++) {
			pw_offtrack_init(&p->off[i]);
			p->stored[i] = -1;
		}
		w->parts[id] = p;
	}
	return w->parts[id];
}

static int topic_index(pw_worker_t *w, const char *topic)
{
	for (int i = 0; i < PW_IN_N; i++)
		if (strcmp(w->in_topics[i], topic) == 0)
			return i;
	return -1;
}

pa_err_t pw__decode(pw_worker_t *w, int topic, const void *buf, size_t len,
		    json_t **rec, char *errbuf)
{
	*rec = NULL;
	if (!buf || !len)
		return pa_seterr(errbuf, PA_PARSE, "undecodable: empty value");
	if (w->o.codec && topic != PW_IN_WEBHOOK)
		return pw_codec_decode(w->o.codec, NULL, buf, len, rec, NULL,
				       errbuf);
	json_error_t je;
	json_t *j = json_loadb(buf, len, 0, &je);
	char jt[200];
	if (!j)
		return pa_seterr(errbuf, PA_PARSE, "undecodable JSON: %s",
				 pa_json_error_text(&je, jt, sizeof jt));
	if (!json_is_object(j)) {
		json_decref(j);
		return pa_seterr(errbuf, PA_PARSE,
				 "undecodable: JSON value is not an object");
	}
	*rec = j;
	return PA_OK;
}

/* With a registry: registers (or looks up) every (topic, schema) the
 * worker writes, so that encoding never blocks on the network later. */
static pa_err_t prepare_schemas(pw_worker_t *w, char *errbuf)
{
	const char *pairs[][2] = {
		{w->o.topic_evt_payment, "PaymentStatusEvent"},
		{w->o.topic_evt_refund, "RefundStatusEvent"},
		{w->o.topic_evt_complaint, "ComplaintStatusEvent"},
		{w->o.topic_dlq, "DeadLetter"},
		/* what reports publish (reports.c): registered now, so a
		 * refused schema stops the start, and the first report does
		 * not wait for the registry */
		{w->o.topic_evt_report, "WalletReportEvent"},
		{w->o.topic_evt_payment, "ReconciliationEvent"},
	};
	for (size_t i = 0; w->o.codec && i < sizeof pairs / sizeof pairs[0];
	     i++) {
		if (!pairs[i][0])
			continue;
		char eb[PA_ERRBUF_SIZE] = "";
		pa_err_t err = pw_codec_prepare(w->o.codec, pairs[i][0],
						pairs[i][1], eb);
		if (err)
			return pa_seterr(errbuf, err,
					 "schema registry: %s on topic %s: %s",
					 pairs[i][1], pairs[i][0], eb);
	}
	return PA_OK;
}

/* ---- configuration of the clients ---------------------------------- */

static pa_err_t conf_set(rd_kafka_conf_t *c, const char *k, const char *v,
			 char *errbuf)
{
	char es[256];
	if (rd_kafka_conf_set(c, k, v, es, sizeof es) != RD_KAFKA_CONF_OK)
		return pa_seterr(errbuf, PA_CONFIG, "kafka.%s: %s", k, es);
	return PA_OK;
}

/* Sets key to value unless the configuration names it (kafka.key). */
static void conf_default(pw_worker_t *w, rd_kafka_conf_t *c, const char *key,
			 const char *value)
{
	for (size_t i = 0; i < w->o.n_kafka; i++)
		if (!strcmp(w->o.kafka[i].key, key))
			return;
	conf_set(c, key, value, NULL);
}

/* Consumers' prefetch: librdkafka's defaults (64 MB and 100,000 records
 * per partition) let a backlog fill the worker's memory with records
 * max.inflight will not take for a while; 8 MB keeps the benchmark's
 * throughput. kafka.queued.* override. */
static void consumer_defaults(pw_worker_t *w, rd_kafka_conf_t *c)
{
	conf_default(w, c, "queued.max.messages.kbytes", "8192");
	conf_default(w, c, "queued.min.messages", "10000");
}

static rd_kafka_conf_t *base_conf(pw_worker_t *w, char *errbuf)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	if (conf_set(c, "bootstrap.servers", w->o.brokers, errbuf) != PA_OK)
		goto fail;
	for (size_t i = 0; i < w->o.n_kafka; i++)
		if (conf_set(c, w->o.kafka[i].key, w->o.kafka[i].value,
			     errbuf) != PA_OK)
			goto fail;
	return c;
fail:
	rd_kafka_conf_destroy(c);
	return NULL;
}

/* ---- producer ------------------------------------------------------ */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	pw_worker_t *w = opaque;
	pw_item_t *it = m->_private;
	if (!m->err)
		w->brokers_down = 0;
	if (m->err) {
		PW_LOG(w, PW_LOG_WARN, "delivery to %s failed: %s",
		       rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
	}
	if (!it || w->destroying)
		return;
	int ok = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
	if (w->txn_busy) {
		/* inside commit/abort_transaction (its flush serves us):
		 * applied once it returns, see txn_commit() */
		if (w->ndrq == w->cdrq) {
			size_t c = w->cdrq ? w->cdrq * 2 : 256;
			struct pw_dr *q = realloc(w->drq, c * sizeof *q);
			if (!q) {
				/* cannot wait: apply now (as before) */
				pw__item_written(it, ok);
				return;
			}
			w->drq = q;
			w->cdrq = c;
		}
		w->drq[w->ndrq].it = it;
		w->drq[w->ndrq++].ok = ok;
		return;
	}
	pw__item_written(it, ok);
}

/* Applies the delivery reports that arrived while a transaction was being
 * committed or aborted, in their order. */
static void dr_replay(pw_worker_t *w)
{
	size_t n = w->ndrq;
	w->ndrq = 0;
	for (size_t i = 0; i < n; i++)
		pw__item_written(w->drq[i].it, w->drq[i].ok);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *op)
{
	pw_worker_t *w = op;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char es[256];
		rd_kafka_fatal_error(rk, es, sizeof es);
		PW_LOG(w, PW_LOG_ERROR, "fatal Kafka error: %s", es);
		if (rk == w->producer) {
			w->producer_fatal = 1;
			if (w->o.on_fatal)
				w->o.on_fatal(w->o.on_fatal_ud);
		}
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && !w->brokers_down) {
		/* not ready until a broker answers again (/readyz) */
		w->brokers_down = 1;
		PW_LOG(w, PW_LOG_ERROR, "kafka: every broker is down (%s): "
		       "not ready until one answers", reason);
		return;
	}
	PW_LOG(w, PW_LOG_WARN, "kafka: %s: %s", rd_kafka_err2name(err), reason);
}

/* While every broker is down: one metadata request (bounded, 100 ms)
 * per commit interval tells when a broker answers again, also when no
 * record flows to say so. */
static void brokers_probe(pw_worker_t *w)
{
	const struct rd_kafka_metadata *md = NULL;
	if (!w->brokers_down)
		return;
	if (rd_kafka_metadata(w->consumer, 0, NULL, &md, 100) ==
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		rd_kafka_metadata_destroy(md);
		w->brokers_down = 0;
		PW_LOG(w, PW_LOG_INFO, "kafka: a broker answers again");
	}
}

static int serve_producer(rd_kafka_queue_t *q, void *ud)
{
	pw_worker_t *w = ud;
	/* rd_kafka_poll serves delivery reports through dr_cb */
	for (int i = 0; i < 64; i++)
		if (rd_kafka_poll(w->producer, 0) == 0)
			return 0;
	return 1;
}

pa_err_t pw__produce(pw_worker_t *w, pw_item_t *it, const char *topic,
		     int32_t partition, const char *key, size_t klen,
		     const void *val, size_t len)
{
	if (pw__txn_begin(w) != PA_OK)
		return PA_KAFKA;
	rd_kafka_resp_err_t err = rd_kafka_producev(
		w->producer, RD_KAFKA_V_TOPIC(topic),
		RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA
						   : partition),
		RD_KAFKA_V_KEY(key, klen),
		RD_KAFKA_V_VALUE((void *)val, len),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		RD_KAFKA_V_OPAQUE(it), RD_KAFKA_V_END);
	if (err) {
		PW_LOG(w, PW_LOG_WARN, "produce to %s: %s", topic,
		       rd_kafka_err2str(err));
		return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? PA_BUSY
							    : PA_KAFKA;
	}
	if (it)
		it->pending++;
	return PA_OK;
}

/* ---- offsets ------------------------------------------------------- */

/* Hands the lowest unfinished offset of every assigned input partition
 * to librdkafka (enable.auto.offset.store=false; the auto-commit timer
 * commits what was stored). */
static void store_offsets(pw_worker_t *w)
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
 * for one broker round trip per interval (bounded by txn_timeout). */

static int txn_timeout(const pw_worker_t *w)
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

static void eos_rewind(pw_worker_t *w);

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
				w->producer, l, cgmd, txn_timeout(w));
			rd_kafka_consumer_group_metadata_destroy(cgmd);
		}
		rd_kafka_topic_partition_list_destroy(l);
	}
	if (commit && !e) {
		/* a commit that timed out is resumed by calling it again,
		 * and only it: the offsets went in before */
		e = rd_kafka_commit_transaction(w->producer, txn_timeout(w));
		w->txn_committing = e && rd_kafka_error_is_retriable(e);
	} else if (!commit) {
		e = rd_kafka_abort_transaction(w->producer, txn_timeout(w));
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
	if (e) {
		txn_fatal(w, e, "abort_transaction");
		rd_kafka_error_destroy(e);
		dr_replay(w);
		return;
	}
	eos_rewind(w);
	dr_replay(w);
}

/* Commits the open transaction with the current positions. On an abortable
 * error the transaction is aborted and every owned partition rewinds to its
 * committed offsets with its state re-read from the changelog. An item
 * whose state record could not yet follow its event into the transaction
 * holds the commit back (a committed event without its state would be
 * published again after a crash); for ten ticks at most, then the
 * transaction is aborted instead. */
static void txn_commit(pw_worker_t *w)
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
		dr_replay(w);
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
		dr_replay(w);
		return;
	}
	txn_fatal(w, e, "commit_transaction");
	rd_kafka_error_destroy(e);
	dr_replay(w);
}

/* Before partitions change hands: commits now, or, when the transaction
 * cannot commit now (a state record still to follow its event, a
 * retriable failure), aborts it -- records left open would otherwise be
 * committed later without the offsets of partitions no longer ours, and
 * the new owner would publish them again. */
static void txn_settle(pw_worker_t *w)
{
	if (!w->in_txn || w->producer_fatal)
		return;
	if (w->txn_split == 0)
		txn_commit(w);
	if (w->in_txn && !w->producer_fatal) {
		PW_LOG(w, PW_LOG_WARN,
		       "exactly-once: the transaction cannot commit before "
		       "the partitions change hands: aborting it");
		txn_abort(w);
	}
}

static void commit_tick(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_worker_t *w = ud;
	w->commit_timer = NULL;
	brokers_probe(w);
	if (w->o.exactly_once)
		txn_commit(w);
	else
		store_offsets(w);
	w->st.commits++;
	if (!w->shutting_down)
		w->commit_timer = pw_timer_add(w->loop, w->o.commit_interval_ms,
					       commit_tick, w);
}

/* ---- back-pressure --------------------------------------------------- */

static void set_paused(pw_worker_t *w, pw_part_t *p, int pause)
{
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(PW_IN_N);
	for (int t = 0; t < PW_IN_N; t++)
		if (p->assigned[t])
			rd_kafka_topic_partition_list_add(l, w->in_topics[t],
							  p->id);
	if (l->cnt) {
		if (pause)
			rd_kafka_pause_partitions(w->consumer, l);
		else
			rd_kafka_resume_partitions(w->consumer, l);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

/* Global back-pressure in two steps. At max.inflight the worker first just
 * stops reading its consumer queue (librdkafka stops fetching once its
 * prefetch queue is full) and reads again as soon as a slot frees: no
 * pause/resume round trip, which in librdkafka 2.0.2 costs about a second
 * before the first fetch after a resume. If it stays saturated for
 * THROTTLE_PAUSE_MS (a failing gateway, an open circuit), every partition
 * is paused so that the consumer can go on serving group events without
 * taking new records. */
#define THROTTLE_PAUSE_MS 2000

static void throttle_expired(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_worker_t *w = ud;
	w->throttle_timer = NULL;
	if (!w->throttled)
		return;
	w->paused_all = 1;
	pw__backpressure(w);
	pw_kq_kick(w->ckq); /* serve group events while paused */
}

static void throttle(pw_worker_t *w)
{
	if (w->throttled)
		return;
	w->throttled = 1;
	w->throttle_timer =
		pw_timer_add(w->loop, THROTTLE_PAUSE_MS, throttle_expired, w);
}

/* Pauses a partition while it restores, while it has too much in flight,
 * or while the whole worker has been saturated for a while; resumes it
 * when all have cleared. */
void pw__backpressure(pw_worker_t *w)
{
	if (w->throttled && w->inflight < w->o.max_inflight) {
		w->throttled = 0;
		if (w->throttle_timer) {
			pw_timer_cancel(w->loop, w->throttle_timer);
			w->throttle_timer = NULL;
		}
		if (w->ckq)
			pw_kq_kick(w->ckq);
	}
	if (w->paused_all && w->inflight <= (w->o.max_inflight * 8) / 10)
		w->paused_all = 0;
	for (int i = 0; i < w->nparts; i++) {
		pw_part_t *p = w->parts[i];
		if (!p || !p->nassigned)
			continue;
		int want = p->restoring || p->revoking || w->paused_all ||
			   w->shutting_down ||
			   p->inflight >= w->o.max_inflight_per_partition;
		if (!want && p->paused &&
		    p->inflight > (w->o.max_inflight_per_partition * 8) / 10 &&
		    w->o.max_inflight_per_partition > 1)
			want = 1; /* hysteresis */
		if (want != p->paused) {
			set_paused(w, p, want);
			p->paused = want;
		}
	}
}

/* ---- restore of the state changelog ---------------------------------- */

static void restore_start(pw_worker_t *w, pw_part_t *p)
{
	p->restoring = 1;
	w->st.partitions_restoring++;
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, w->o.topic_int_state, p->id)
		->offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_error_t *e = rd_kafka_incremental_assign(w->restorer, l);
	if (e) {
		PW_LOG(w, PW_LOG_ERROR, "restore assign p%d: %s", p->id,
		       rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

static void restore_done(pw_worker_t *w, int32_t id)
{
	pw_part_t *p = pw__part(w, id, 0);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, w->o.topic_int_state, id);
	rd_kafka_error_t *e = rd_kafka_incremental_unassign(w->restorer, l);
	if (e)
		rd_kafka_error_destroy(e);
	rd_kafka_topic_partition_list_destroy(l);
	if (!p || !p->restoring)
		return;
	p->restoring = 0;
	w->st.partitions_restoring--;
	pw__partition_restored(w, p);
	pw__backpressure(w);
}

static int serve_restorer(rd_kafka_queue_t *q, void *ud)
{
	pw_worker_t *w = ud;
	for (int i = 0; i < 2000; i++) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(w->restorer, 0);
		if (!m)
			return 0;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
			restore_done(w, m->partition);
		else if (!m->err)
			pw__restore_record(w, m);
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
static void eos_rewind(pw_worker_t *w)
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
			restore_start(w, p);
		set_paused(w, p, 1);
		p->paused = 1;
	}
	rd_kafka_resp_err_t err =
		rd_kafka_committed(w->consumer, l, txn_timeout(w));
	if (!err) {
		for (int i = 0; i < l->cnt; i++)
			if (l->elems[i].offset < 0)
				l->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
		rd_kafka_error_t *e = rd_kafka_seek_partitions(w->consumer, l,
							       txn_timeout(w));
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

/* ---- group membership ---------------------------------------------- */

static void on_assign(pw_worker_t *w,
		      rd_kafka_topic_partition_list_t *parts)
{
	for (int i = 0; i < parts->cnt; i++) {
		int t = topic_index(w, parts->elems[i].topic);
		pw_part_t *p = pw__part(w, parts->elems[i].partition, 1);
		if (t < 0 || !p)
			continue;
		if (!p->assigned[t]) {
			p->assigned[t] = 1;
			pw_offtrack_init(&p->off[t]);
			p->stored[t] = -1;
			if (p->nassigned++ == 0) {
				w->st.partitions_assigned++;
				restore_start(w, p);
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
			set_paused(w, p, 1);
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
		txn_settle(w); /* hands over committed state and offsets */
	} else {
		/* Deliver what the work of these partitions has produced,
		 * and the state records those deliveries release, before
		 * another member takes them over: the new owner then
		 * restores that state (no repeated transition) and none of
		 * our records lands after its own. Bounded. */
		rd_kafka_flush(w->producer, 10000);
		store_offsets(w);
	}
	for (int i = 0; i < parts->cnt; i++) {
		int t = topic_index(w, parts->elems[i].topic);
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

static void handover_finish(pw_worker_t *w)
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
		handover_finish(w);
		return;
	}
	w->handover_timer = pw_timer_add(loop, 10, handover_check, w);
}

static void on_revoke(pw_worker_t *w,
		      rd_kafka_topic_partition_list_t *parts)
{
	int n;
	if (w->o.handover_timeout_ms <= 0 || w->shutting_down ||
	    rd_kafka_assignment_lost(w->consumer) ||
	    (n = calls_in_flight(w, parts)) == 0) {
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
		if (topic_index(w, parts->elems[i].topic) < 0)
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

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *op)
{
	pw_worker_t *w = op;
	w->st.rebalances++;
	/* librdkafka queues the (often empty) incremental assign of the same
	 * rebalance right behind the revoke: a drained handover goes on
	 * through it, and ends at once on anything else */
	if (w->handover && (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ||
			    parts_overlap(w->handover, parts)))
		handover_finish(w);
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

static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *op)
{
	pw_worker_t *w = op;
	if (w->o.on_stats)
		w->o.on_stats(w->o.on_stats_ud, json, len);
	return 0; /* librdkafka frees json */
}

static int serve_consumer(rd_kafka_queue_t *q, void *ud)
{
	pw_worker_t *w = ud;
	for (int i = 0; i < 512; i++) {
		if (w->inflight >= w->o.max_inflight && !w->paused_all &&
		    !w->shutting_down) {
			throttle(w); /* read on when a slot frees */
			return 0;
		}
		rd_kafka_message_t *m = rd_kafka_consumer_poll(w->consumer, 0);
		if (!m)
			return 0;
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				PW_LOG(w, PW_LOG_WARN, "consume: %s",
				       rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		w->brokers_down = 0;
		int t = topic_index(w, rd_kafka_topic_name(m->rkt));
		if (t < 0) {
			rd_kafka_message_destroy(m);
			continue;
		}
		pw__on_message(w, m, t);
		rd_kafka_message_destroy(m);
	}
	return 1;
}

/* ---- lifecycle ------------------------------------------------------- */

static char *dupopts(pw_worker_t *w, const pw_worker_opts_t *in)
{
	/* Copies every string option into one block owned by the worker. */
	const char **src[] = {
		&w->o.brokers,		 &w->o.group_id,
		&w->o.topic_cmd_payin,	 &w->o.topic_cmd_payout,
		&w->o.topic_cmd_complaint, &w->o.topic_evt_payment,
		&w->o.topic_evt_refund,	 &w->o.topic_evt_complaint,
		&w->o.topic_evt_report,	 &w->o.topic_dlq,
		&w->o.topic_int_webhook, &w->o.topic_int_state,
	};
	size_t n = sizeof src / sizeof src[0], total = 0;
	w->o = *in;
	for (size_t i = 0; i < n; i++)
		total += (*src[i] ? strlen(*src[i]) : 0) + 1;
	char *blk = malloc(total), *p = blk;
	if (!blk)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *s = *src[i] ? *src[i] : "";
		size_t l = strlen(s) + 1;
		memcpy(p, s, l);
		*src[i] = p;
		p += l;
	}
	/* kafka pass-through is read only during pw_worker_new */
	return blk;
}

/* ---- state retention ---------------------------------------------------
 * Settled orders at rest older than state.retention are forgotten
 * (process.c pw__orders_expire); the sweep runs a quarter of the retention
 * apart, at most a minute. */

static int64_t sweep_period(const pw_worker_t *w)
{
	int64_t p = w->o.state_retention_ms / 4;
	return p < 50 ? 50 : p > 60000 ? 60000 : p;
}

static void sweep_tick(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	(void)t;
	pw_worker_t *w = ud;
	w->sweep_timer = NULL;
	if (!w->producer_fatal && !w->shutting_down)
		pw__orders_expire(w, pw__wall_ms() - w->o.state_retention_ms);
	w->sweep_timer = pw_timer_add(loop, sweep_period(w), sweep_tick, w);
}

pa_err_t pw_worker_new(pw_loop_t *loop, const pw_worker_opts_t *opts,
		       pw_gateway_t *gw, pw_worker_t **out, char *errbuf)
{
	char es[512];
	pa_err_t err = PA_OK;
	if (!opts->brokers || !*opts->brokers)
		return pa_seterr(errbuf, PA_CONFIG, "brokers: not set");
	pw_worker_t *w = calloc(1, sizeof *w);
	if (!w)
		return PA_NOMEM;
	w->loop = loop;
	w->strs = dupopts(w, opts);
	if (!w->strs) {
		free(w);
		return PA_NOMEM;
	}
	if ((err = prepare_schemas(w, errbuf)) != PA_OK) {
		free(w->strs);
		free(w);
		return err;
	}
	w->rng = (uint64_t)pw__wall_ms() ^ ((uint64_t)getpid() << 32);
	w->in_topics[PW_IN_PAYIN] = w->o.topic_cmd_payin;
	w->in_topics[PW_IN_PAYOUT] = w->o.topic_cmd_payout;
	w->in_topics[PW_IN_COMPLAINT] = w->o.topic_cmd_complaint;
	w->in_topics[PW_IN_WEBHOOK] = w->o.topic_int_webhook;
	if (pw_gate_new(&w->gate) != PA_OK || pw_hmap_new(&w->orders) != PA_OK ||
	    pw_hmap_new(&w->rest) != PA_OK) {
		err = PA_NOMEM;
		goto fail;
	}

	/* producer: idempotent, murmur2 like the Java clients so that our
	 * keys land where our users' producers put the same order_id */
	rd_kafka_conf_t *pc = base_conf(w, errbuf);
	if (!pc) {
		err = PA_CONFIG;
		goto fail;
	}
	conf_set(pc, "enable.idempotence", "true", NULL);
	conf_set(pc, "linger.ms", "2", NULL);
	conf_set(pc, "partitioner", "murmur2_random", NULL);
	if (w->o.exactly_once) {
		char tid[256], host[128] = "worker";
		gethostname(host, sizeof host - 1);
		snprintf(tid, sizeof tid, "%s-%s-%d", w->o.group_id, host,
			 (int)getpid());
		conf_default(w, pc, "transactional.id", tid);
		/* a hung worker's open transaction holds read_committed
		 * readers of its partitions back until this expires:
		 * kafka.transaction.timeout.ms may shorten it */
		conf_default(w, pc, "transaction.timeout.ms", "60000");
	}
	rd_kafka_conf_set_dr_msg_cb(pc, dr_cb);
	rd_kafka_conf_set_error_cb(pc, error_cb);
	rd_kafka_conf_set_opaque(pc, w);
	w->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, es, sizeof es);
	if (!w->producer) {
		rd_kafka_conf_destroy(pc);
		err = pa_seterr(errbuf, PA_CONFIG, "producer: %s", es);
		goto fail;
	}

	if (w->o.exactly_once) {
		rd_kafka_error_t *e =
			rd_kafka_init_transactions(w->producer, txn_timeout(w));
		if (e) {
			err = pa_seterr(errbuf, PA_KAFKA,
					"exactly_once: init_transactions: %s "
					"(needs Kafka >= 2.5 with transactions)",
					rd_kafka_error_string(e));
			rd_kafka_error_destroy(e);
			goto fail;
		}
	}

	/* group consumer: cooperative-sticky, offsets stored by us */
	rd_kafka_conf_t *cc = base_conf(w, errbuf);
	if (!cc) {
		err = PA_CONFIG;
		goto fail;
	}
	consumer_defaults(w, cc);
	conf_set(cc, "group.id", w->o.group_id, NULL);
	conf_set(cc, "partition.assignment.strategy", "cooperative-sticky",
		 NULL);
	conf_set(cc, "enable.auto.offset.store", "false", NULL);
	conf_set(cc, "auto.offset.reset", "earliest", NULL);
	if (w->o.exactly_once) {
		conf_set(cc, "enable.auto.commit", "false", NULL);
		conf_set(cc, "isolation.level", "read_committed", NULL);
	} else {
		char iv[32];
		snprintf(iv, sizeof iv, "%lld",
			 (long long)w->o.commit_interval_ms);
		conf_set(cc, "enable.auto.commit", "true", NULL);
		conf_set(cc, "auto.commit.interval.ms", iv, NULL);
	}
	rd_kafka_conf_set_rebalance_cb(cc, rebalance_cb);
	if (w->o.on_stats) {
		char iv[32];
		snprintf(iv, sizeof iv, "%lld",
			 (long long)(w->o.stats_interval_ms > 0
					     ? w->o.stats_interval_ms
					     : 15000));
		/* kafka.statistics.interval.ms wins */
		conf_default(w, cc, "statistics.interval.ms", iv);
		rd_kafka_conf_set_stats_cb(cc, stats_cb);
	}
	rd_kafka_conf_set_error_cb(cc, error_cb);
	rd_kafka_conf_set_opaque(cc, w);
	w->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cc, es, sizeof es);
	if (!w->consumer) {
		rd_kafka_conf_destroy(cc);
		err = pa_seterr(errbuf, PA_CONFIG, "consumer: %s", es);
		goto fail;
	}
	rd_kafka_poll_set_consumer(w->consumer);

	/* restore consumer: no group, reads the changelog to its end */
	rd_kafka_conf_t *rc = base_conf(w, errbuf);
	if (!rc) {
		err = PA_CONFIG;
		goto fail;
	}
	consumer_defaults(w, rc);
	conf_set(rc, "enable.partition.eof", "true", NULL);
	conf_set(rc, "enable.auto.commit", "false", NULL);
	conf_set(rc, "group.id", "payatom-worker-restore-unused", NULL);
	if (w->o.exactly_once)
		conf_set(rc, "isolation.level", "read_committed", NULL);
	rd_kafka_conf_set_error_cb(rc, error_cb);
	rd_kafka_conf_set_opaque(rc, w);
	w->restorer = rd_kafka_new(RD_KAFKA_CONSUMER, rc, es, sizeof es);
	if (!w->restorer) {
		rd_kafka_conf_destroy(rc);
		err = pa_seterr(errbuf, PA_CONFIG, "restorer: %s", es);
		goto fail;
	}
	rd_kafka_poll_set_consumer(w->restorer);

	w->cq = rd_kafka_queue_get_consumer(w->consumer);
	w->pq = rd_kafka_queue_get_main(w->producer);
	w->rq = rd_kafka_queue_get_consumer(w->restorer);
	if (pw_kq_attach(loop, w->cq, serve_consumer, w, &w->ckq) != PA_OK ||
	    pw_kq_attach(loop, w->pq, serve_producer, w, &w->pkq) != PA_OK ||
	    pw_kq_attach(loop, w->rq, serve_restorer, w, &w->rkq) != PA_OK) {
		err = pa_seterr(errbuf, PA_IO, "cannot attach Kafka queues");
		goto fail;
	}

	/* one topic in the group; the others follow it (copartitions()) */
	rd_kafka_topic_partition_list_t *sub =
		rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, w->in_topics[PW_IN_PAYIN],
					  RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t kerr = rd_kafka_subscribe(w->consumer, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (kerr) {
		err = pa_seterr(errbuf, PA_KAFKA, "subscribe: %s",
				rd_kafka_err2str(kerr));
		goto fail;
	}
	w->commit_timer =
		pw_timer_add(loop, w->o.commit_interval_ms, commit_tick, w);
	if (w->o.state_retention_ms > 0)
		w->sweep_timer = pw_timer_add(loop, sweep_period(w), sweep_tick,
					      w);
	w->gw = gw;
	*out = w;
	return PA_OK;
fail:
	w->gw = NULL;
	pw_worker_destroy(w);
	return err;
}

static void finish_shutdown(pw_worker_t *w)
{
	handover_finish(w);
	if (w->deadline_timer) {
		pw_timer_cancel(w->loop, w->deadline_timer);
		w->deadline_timer = NULL;
	}
	if (w->shutdown_timer) {
		pw_timer_cancel(w->loop, w->shutdown_timer);
		w->shutdown_timer = NULL;
	}
	if (w->o.exactly_once) {
		txn_commit(w);
	} else {
		store_offsets(w);
		rd_kafka_flush(w->producer, 10000);
		rd_kafka_commit(w->consumer, NULL, 0);
	}
	/* leaves the group: the revoke callback runs from here */
	rd_kafka_consumer_close(w->consumer);
	void (*done)(void *) = w->shutdown_done;
	w->shutdown_done = NULL;
	if (done)
		done(w->shutdown_ud);
}

static void shutdown_check(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_worker_t *w = ud;
	w->shutdown_timer = NULL;
	if (w->inflight == 0 || t == NULL) {
		finish_shutdown(w);
		return;
	}
	w->shutdown_timer = pw_timer_add(loop, 50, shutdown_check, w);
}

static void shutdown_deadline(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_worker_t *w = ud;
	w->deadline_timer = NULL;
	PW_LOG(w, PW_LOG_WARN,
	       "shutdown deadline: %lld items not finished are handed back",
	       (long long)w->inflight);
	if (w->shutdown_timer) {
		pw_timer_cancel(loop, w->shutdown_timer);
		w->shutdown_timer = NULL;
	}
	finish_shutdown(w);
}

void pw_worker_shutdown(pw_worker_t *w, void (*done)(void *ud), void *ud)
{
	if (w->shutting_down)
		return;
	w->shutting_down = 1;
	w->shutdown_done = done;
	w->shutdown_ud = ud;
	pw__backpressure(w); /* pauses every partition: stop fetching */
	w->deadline_timer = pw_timer_add(w->loop, w->o.shutdown_timeout_ms,
					 shutdown_deadline, w);
	w->shutdown_timer = pw_timer_add(w->loop, 0, shutdown_check, w);
}

void pw_worker_destroy(pw_worker_t *w)
{
	if (!w)
		return;
	/* free work without running it; delivery reports served from here
	 * on (the flush below) find no item */
	w->destroying = 1;
	while (w->items) {
		pw_item_t *it = w->items;
		it->dead = 1;
		it->pending = 0;
		pw__item_free(it);
	}
	if (w->commit_timer)
		pw_timer_cancel(w->loop, w->commit_timer);
	if (w->sweep_timer)
		pw_timer_cancel(w->loop, w->sweep_timer);
	if (w->handover_timer)
		pw_timer_cancel(w->loop, w->handover_timer);
	if (w->handover)
		rd_kafka_topic_partition_list_destroy(w->handover);
	if (w->shutdown_timer)
		pw_timer_cancel(w->loop, w->shutdown_timer);
	if (w->deadline_timer)
		pw_timer_cancel(w->loop, w->deadline_timer);
	if (w->throttle_timer)
		pw_timer_cancel(w->loop, w->throttle_timer);
	pw_kq_detach(w->ckq);
	pw_kq_detach(w->pkq);
	pw_kq_detach(w->rkq);
	if (w->cq)
		rd_kafka_queue_destroy(w->cq);
	if (w->pq)
		rd_kafka_queue_destroy(w->pq);
	if (w->rq)
		rd_kafka_queue_destroy(w->rq);
	if (w->consumer) {
		/* librdkafka before 2.2.1 aborts (assertion in the sticky
		 * assignor) destroying a cooperative-sticky consumer that
		 * joined its group but got no assignment yet, e.g. SIGTERM
		 * during the first rebalance (librdkafka#4312, fixed by
		 * #4381): that handle is closed and left to the process exit */
		char *mid = rd_kafka_memberid(w->consumer);
		int joined = mid && *mid;
		rd_kafka_mem_free(w->consumer, mid);
		if (!rd_kafka_consumer_closed(w->consumer))
			rd_kafka_consumer_close(w->consumer);
		if (w->assigned_any || !joined ||
		    rd_kafka_version() >= 0x02020100)
			rd_kafka_destroy(w->consumer);
		else
			PW_LOG(w, PW_LOG_DEBUG,
			       "consumer closed before its first assignment: "
			       "not destroyed (librdkafka#4312)");
	}
	if (w->restorer) {
		rd_kafka_consumer_close(w->restorer);
		rd_kafka_destroy(w->restorer);
	}
	if (w->producer) {
		rd_kafka_flush(w->producer, 2000);
		rd_kafka_destroy(w->producer);
	}
	for (int i = 0; i < w->nparts; i++) {
		if (!w->parts[i])
			continue;
		if (w->parts[i]->nassigned)
			pw__partition_revoked(w, w->parts[i]);
		for (int t = 0; t < PW_IN_N; t++)
			pw_offtrack_free(&w->parts[i]->off[t]);
		free(w->parts[i]);
	}
	free(w->parts);
	pw__orders_free(w);
	pw_gate_destroy(w->gate);
	pw_hmap_destroy(w->orders);
	pw_hmap_destroy(w->rest);
	if (w->gw && w->gw->destroy)
		w->gw->destroy(w->gw);
	free(w->strs);
	free(w->drq);
	free(w);
}

void pw_worker_stats(const pw_worker_t *w, pw_worker_stats_t *st)
{
	*st = w->st;
	st->inflight = (uint64_t)w->inflight;
	st->queued = pw_gate_keys(w->gate);
	st->orders_live = pw_hmap_count(w->orders);
	st->orders_at_rest = pw_hmap_count(w->rest);
	st->state_bytes = st->orders_live * sizeof(pw_order_t) + w->rest_bytes;
}

int pw_worker_ready(const pw_worker_t *w)
{
	return !w->producer_fatal && !w->shutting_down && !w->brokers_down &&
	       (w->st.partitions_assigned > 0 || !w->assigned_any);
}

/* ---- for the reports module (reports/reports.h) -------------------- */

pa_err_t pw_worker_publish(pw_worker_t *w, const char *topic, const char *key,
			   const json_t *rec)
{
	char *s = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!s)
		return PA_NOMEM;
	size_t len = strlen(s);
	uint8_t *bytes = NULL;
	size_t blen = 0;
	if (w->o.codec) {
		char eb[PA_ERRBUF_SIZE] = "";
		pa_err_t e = pw_codec_encode(w->o.codec, topic, NULL, rec,
					     &bytes, &blen, eb);
		if (e != PA_OK) {
			PW_LOG(w, PW_LOG_ERROR, "cannot encode for %s: %s",
			       topic, eb);
			free(s);
			return e;
		}
	}
	pa_err_t err = pw__produce(w, NULL, topic, -1, key, strlen(key),
				   bytes ? (const void *)bytes : s,
				   bytes ? blen : len);
	free(bytes);
	if (err == PA_OK) {
		w->st.events_out++;
		if (w->o.on_event)
			w->o.on_event(w->o.on_event_ud, topic, s);
	}
	free(s);
	return err;
}

const pw_order_t *pw_worker_order(pw_worker_t *w, const char *order_id)
{
	size_t n = strlen(order_id);
	const pw_order_t *ord = pw_hmap_get(w->orders, order_id, n);
	if (ord)
		return ord;
	const pw_order_rest_t *r = pw_hmap_get(w->rest, order_id, n);
	if (!r)
		return NULL;
	pw_order_unpack(r, &w->peek);
	return &w->peek;
}

pa_err_t pw_worker_poll_now(pw_worker_t *w, const char *order_id)
{
	pw_order_t *ord = pw__order_get(w, order_id, strlen(order_id));
	if (!ord || ord->kind == PW_KIND_COMPLAINT)
		return PA_NOT_FOUND;
	return pw__poll_order(w, ord, 1);
}

void pw_worker_partitions(const pw_worker_t *w, pw_part_stat_fn fn, void *ud)
{
	for (int i = 0; i < w->nparts; i++) {
		const pw_part_t *p = w->parts[i];
		if (!p)
			continue;
		int64_t unc = 0;
		for (int t = 0; t < PW_IN_N; t++)
			if (p->assigned[t])
				unc += (int64_t)pw_offtrack_pending(&p->off[t]);
		fn(ud, p->id, p->nassigned > 0, p->nassigned ? p->inflight : 0,
		   unc);
	}
}
