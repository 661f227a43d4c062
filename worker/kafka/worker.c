/* worker.c -- the worker's life: options, creation, graceful shutdown,
 * destruction, and what it tells the rest of the program (stats,
 * readiness, the orders it holds).
 * Owns: pw_worker_t as a whole, the partition table, state retention's
 *       sweep timer.
 * Not here: the Kafka clients' configuration (clients.c), the group and
 *           handover (group.c), reading records (consume.c), producing
 *           (produce.c), offsets and transactions (commit.c), the
 *           changelog restore (restore.c), work items (items.c), the
 *           orders held (order_table.c), the order rules (process.c). */
#include "kafka/worker_int.h"

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
	/* the order rules' defaults are the machine's own */
	pw_machine_conf_t mc;
	pw_machine_conf_default(&mc);
	o->poll_first_ms = mc.poll_first_ms;
	o->poll_max_interval_ms = mc.poll_max_interval_ms;
	o->poll_deadline_ms = mc.poll_deadline_ms;
	o->retry_base_ms = mc.retry_base_ms;
	o->retry_max_ms = mc.retry_max_ms;
	o->retry_max_attempts = mc.retry_max_attempts;
	o->webhook_confirm = mc.webhook_confirm;
	o->commit_interval_ms = 1000;
	o->shutdown_timeout_ms = 25000;
	o->handover_timeout_ms = 10000;
	o->state_retention_ms = 400LL * 24 * 3600 * 1000;
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
		&w->o.state_dir,
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
 * Settled orders older than state.retention are forgotten (store_sync.c
 * pw__store_expire); the sweep runs a quarter of the retention apart, at
 * most a minute. */

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
	pw__machine_conf(w);
	w->hdr = (pw_hdr_conf_t){
		.copy = w->o.event_headers,
		.n_copy = w->o.n_event_headers,
		.cloudevents = w->o.cloudevents,
		.ce_source = w->o.ce_source,
		/* no codec: the records go out as the JSON they are */
		.json = pw_codec_serialization(w->o.codec) == PW_SER_JSON,
	};
	w->rng = (uint64_t)pw__wall_ms() ^ ((uint64_t)getpid() << 32);
	w->in_topics[PW_IN_PAYIN] = w->o.topic_cmd_payin;
	w->in_topics[PW_IN_PAYOUT] = w->o.topic_cmd_payout;
	w->in_topics[PW_IN_COMPLAINT] = w->o.topic_cmd_complaint;
	w->in_topics[PW_IN_WEBHOOK] = w->o.topic_int_webhook;
	if (!w->o.state_store_max_bytes)
		w->o.state_store_max_bytes = 64LL << 30;
	if (pw_gate_new(&w->gate) != PA_OK || pw_hmap_new(&w->orders) != PA_OK ||
	    pw_hmap_new(&w->tombs) != PA_OK) {
		err = PA_NOMEM;
		goto fail;
	}
	if ((err = pw__clients_new(w, errbuf)) != PA_OK ||
	    (err = pw__store_init(w, errbuf)) != PA_OK)
		goto fail;
	w->cq = rd_kafka_queue_get_consumer(w->consumer);
	w->pq = rd_kafka_queue_get_main(w->producer);
	w->rq = rd_kafka_queue_get_consumer(w->restorer);
	if (pw_kq_attach(loop, w->cq, pw__serve_consumer, w, &w->ckq) != PA_OK ||
	    pw_kq_attach(loop, w->pq, pw__serve_producer, w, &w->pkq) != PA_OK ||
	    pw_kq_attach(loop, w->rq, pw__serve_restorer, w, &w->rkq) != PA_OK) {
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
		pw_timer_add(loop, w->o.commit_interval_ms, pw__commit_tick, w);
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
	pw__handover_finish(w);
	if (w->deadline_timer) {
		pw_timer_cancel(w->loop, w->deadline_timer);
		w->deadline_timer = NULL;
	}
	if (w->shutdown_timer) {
		pw_timer_cancel(w->loop, w->shutdown_timer);
		w->shutdown_timer = NULL;
	}
	if (w->o.exactly_once) {
		pw__txn_commit(w);
	} else {
		pw__store_offsets(w);
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
		if (!rd_kafka_consumer_closed(w->consumer))
			rd_kafka_consumer_close(w->consumer);
		rd_kafka_destroy(w->consumer);
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
		pw__store_close(w, w->parts[i]);
		for (int t = 0; t < PW_IN_N; t++)
			pw_offtrack_free(&w->parts[i]->off[t]);
		free(w->parts[i]);
	}
	pw__store_fini(w);
	free(w->parts);
	pw__orders_free(w);
	pw_order_release(&w->peek);
	pw_gate_destroy(w->gate);
	pw_hmap_destroy(w->orders);
	pw_hmap_destroy(w->tombs);
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
	st->orders_at_rest = 0;
	st->state_bytes = st->orders_live * sizeof(pw_order_t);
	/* reads the stores' statistics (a read transaction: not const) */
	pw__store_stats((pw_worker_t *)w, st);
}

int pw_worker_ready(const pw_worker_t *w)
{
	return !w->producer_fatal && !w->shutting_down && !w->brokers_down &&
	       (w->st.partitions_assigned > 0 || !w->assigned_any);
}

const pw_order_t *pw_worker_order(pw_worker_t *w, const char *order_id)
{
	size_t n = strlen(order_id);
	const pw_order_t *ord = pw_hmap_get(w->orders, order_id, n);
	if (ord)
		return ord;
	pw_order_release(&w->peek);
	if (pw__store_lookup(w, -1, order_id, n, &w->peek) != PA_OK)
		return NULL;
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
	if (w->nparts <= 0)
		return;
	/* in flight per (partition, input topic): the live Kafka-sourced
	 * items say which (p->inflight counts them all); a scrape walks them
	 * once */
	int64_t *infl = calloc((size_t)w->nparts * PW_IN_N, sizeof *infl);
	for (const pw_item_t *it = w->items; infl && it; it = it->next)
		if (!it->dead && it->topic < PW_IN_N && it->partition >= 0 &&
		    it->partition < w->nparts)
			infl[(size_t)it->partition * PW_IN_N + it->topic]++;
	for (int i = 0; i < w->nparts; i++) {
		const pw_part_t *p = w->parts[i];
		if (!p)
			continue;
		for (int t = 0; t < PW_IN_N; t++) {
			int on = p->nassigned > 0 && p->assigned[t];
			fn(ud, w->in_topics[t], p->id, on,
			   on && infl ? infl[(size_t)i * PW_IN_N + t] : 0,
			   on ? (int64_t)pw_offtrack_pending(&p->off[t]) : 0);
		}
	}
	free(infl);
}
