/* process.c -- what the worker does with each unit of work.
 * Owns: the life of a pw_item_t (command, verified webhook, status poll):
 *       ordering through the gate, gateway calls and retries, transitions,
 *       events, dead letters, the state changelog, poll scheduling, the
 *       orders held (live, or settled and packed at rest) and their
 *       retention.
 * Not here: Kafka clients and offsets (worker.c), the gateway protocol
 *           (gateway_payatom.c), event field layout (event.c). */
#include "kafka/worker_int.h"

#include <stdlib.h>
#include <string.h>

#include "payatom/canonjson.h"
#include "orders/event.h"

static void item_finish(pw_item_t *it);
static void order_rest(pw_worker_t *w, pw_order_t *ord);
static void schedule_poll(pw_worker_t *w, pw_order_t *ord, int64_t in_ms);
static void poll_now(pw_item_t *it);

/* Key of an order in the state map and the changelog: the order_id, or
 * "complaint:" + order_id for a complaint about that order (it lives beside
 * the payment's own record and shares its partition and gate). */
#define COMPLAINT_PREFIX "complaint:"
static size_t order_key(int kind, const char *oid, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s",
			 kind == PW_KIND_COMPLAINT ? COMPLAINT_PREFIX : "", oid);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}

/* ---- items --------------------------------------------------------- */

static pw_item_t *item_new(pw_worker_t *w, int kind, const char *key,
			   size_t klen, int32_t partition)
{
	pw_item_t *it = calloc(1, sizeof *it);
	if (!it)
		return NULL;
	it->w = w;
	it->kind = (uint8_t)kind;
	it->topic = PW_IN_N;
	it->offset = -1;
	it->partition = partition;
	if (klen >= sizeof it->key)
		klen = sizeof it->key - 1;
	memcpy(it->key, key, klen);
	it->key[klen] = '\0';
	it->klen = klen;
	pw_part_t *p = pw__part(w, partition, 0);
	it->epoch = p ? p->epoch : 0;
	it->next = w->items;
	if (w->items)
		w->items->prev = it;
	w->items = it;
	return it;
}

void pw__item_free(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	if (it->call && w->gw)
		w->gw->cancel(w->gw, it->call);
	if (it->timer)
		pw_timer_cancel(w->loop, it->timer);
	if (it->split)
		w->txn_split--;
	if (it->prev)
		it->prev->next = it->next;
	else
		w->items = it->next;
	if (it->next)
		it->next->prev = it->prev;
	json_decref(it->rec);
	free(it->dec_msg);
	free(it->raw);
	free(it->out_evt);
	free(it->out_evt_json);
	free(it->out_state);
	free(it);
}

static void start_or_defer(pw_item_t *it)
{
	pw_part_t *p = pw__part(it->w, it->partition, 0);
	if (p && (p->restoring || p->revoking)) {
		it->dnext = p->deferred;
		p->deferred = it;
		return;
	}
	pw__item_start(it);
}

/* Enters an item into its key's queue; starts it when it is the head. */
static void item_submit(pw_item_t *it)
{
	int run = 0;
	if (pw_gate_push(it->w->gate, it->key, it->klen, &it->link, &run) !=
	    PA_OK) {
		PW_LOG(it->w, PW_LOG_ERROR, "out of memory queueing %s", it->key);
		it->dead = 1;
		pw__item_free(it);
		return;
	}
	it->queued_in_gate = 1;
	if (run)
		start_or_defer(it);
}

/* The head item of its key is finished: the offset may be committed and
 * the next item of the same order starts. */
static void item_finish(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	if (it->dead) {
		if (it->pending == 0)
			pw__item_free(it);
		return;
	}
	if (it->topic < PW_IN_N) {
		pw_part_t *p = pw__part(w, it->partition, 0);
		if (p && p->epoch == it->epoch) {
			pw_offtrack_done(&p->off[it->topic], it->offset);
			p->inflight--;
		}
		w->inflight--;
		if (it->kind == PW_ITEM_CMD)
			w->st.commands_done++;
	}
	pw_qlink_t *nx = NULL;
	if (it->queued_in_gate)
		nx = pw_gate_done(w->gate, it->key, it->klen);
	if (!nx && it->ord)
		order_rest(w, it->ord);
	pw__item_free(it);
	if (nx)
		start_or_defer((pw_item_t *)nx);
	pw__backpressure(w);
}

/* ---- outputs --------------------------------------------------------- */

static void retry_write(pw_loop_t *loop, pw_timer_t *t, void *ud);

static void write_state(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	if (!it->out_state)
		return;
	if (pw__produce(w, it, w->o.topic_int_state, it->partition, it->skey,
			it->sklen, it->out_state,
			it->out_state_len) == PA_OK) {
		free(it->out_state);
		it->out_state = NULL;
		w->st.state_out++;
		if (it->split) {
			it->split = 0;
			w->txn_split--;
		}
	} else if (!it->timer) {
		it->timer = pw_timer_add(w->loop, 200, retry_write, it);
	}
}

/* Queues the item's event; 0 (and a retry timer) when it could not. */
static int write_event(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	if (pw__produce(w, it, it->out_evt_topic, -1, it->key, it->klen,
			it->out_evt, it->out_evt_len) == PA_OK)
		return 1;
	if (!it->timer)
		it->timer = pw_timer_add(w->loop, 200, retry_write, it);
	return 0;
}

/* exactly-once: the event and its state record enter the open transaction
 * together. When the state record cannot follow at once (the local queue
 * is full), the item is split and the commit waits for it (worker.c
 * txn_commit): a committed event without the state that suppresses its
 * re-emission would be published a second time after a crash. */
static void write_txn(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	if (it->out_evt && !it->split && it->pending == 0) {
		if (!write_event(it))
			return;
		if (it->out_state) {
			it->split = 1;
			w->txn_split++;
		}
	}
	write_state(it);
}

static void maybe_finish(pw_item_t *it)
{
	if (it->pending == 0 && !it->out_evt && !it->out_state && !it->timer) {
		if (it->again && !it->dead) {
			/* a first step was written: now the item itself
			 * (not on a partition being handed over) */
			it->again = 0;
			start_or_defer(it);
			return;
		}
		item_finish(it);
	}
}

static void retry_write(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_item_t *it = ud;
	it->timer = NULL;
	if (it->w->o.exactly_once) {
		write_txn(it);
		maybe_finish(it);
		return;
	}
	if (it->out_evt) {
		if (it->pending == 0)
			write_event(it);
		return;
	}
	write_state(it);
	maybe_finish(it);
}

/* Delivery report of one of the item's writes. At-least-once: the event
 * is in Kafka before the state that suppresses its re-emission, and both
 * before the input offset is released. */
void pw__item_written(pw_item_t *it, int ok)
{
	pw_worker_t *w = it->w;
	it->pending--;
	if (it->dead) {
		if (it->pending == 0)
			pw__item_free(it);
		return;
	}
	if (!ok) {
		/* librdkafka gave up after message.timeout.ms: try again;
		 * the offset stays where it is meanwhile */
		if (!it->timer)
			it->timer = pw_timer_add(w->loop, 500, retry_write, it);
		return;
	}
	if (it->out_evt) {
		if (it->out_evt_topic == w->o.topic_dlq)
			w->st.dlq_out++;
		else
			w->st.events_out++;
		if (w->o.on_event)
			w->o.on_event(w->o.on_event_ud, it->out_evt_topic,
				      it->out_evt_json ? it->out_evt_json
						       : it->out_evt);
		free(it->out_evt);
		it->out_evt = NULL;
		free(it->out_evt_json);
		it->out_evt_json = NULL;
		write_state(it); /* at-least-once: now; exactly-once: done */
	}
	maybe_finish(it);
}


static void dead_letter(pw_item_t *it, const char *reason, const char *msg);

/* Queues the item's outputs (event may be NULL: state only) and finishes
 * the item once they are delivered. event (consumed) is encoded with the
 * worker's codec as the schema its event_type names (plain JSON without a
 * codec). */
static void emit(pw_item_t *it, pw_order_t *ord, json_t *event,
		 const char *topic)
{
	pw_worker_t *w = it->w;
	const char *schema = pw_event_schema(event);
	if (ord) {
		it->sklen = order_key(ord->kind, ord->order_id, it->skey,
				      sizeof it->skey);
		free(it->out_state);
		it->out_state = pw_order_encode(ord, &it->out_state_len);
	}
	if (!event) {
		write_state(it);
		maybe_finish(it);
		return;
	}
	char *json = pa_json_dump(event, JSON_COMPACT | JSON_ENSURE_ASCII, 2048,
				  &it->out_evt_len);
	if (!w->o.codec) {
		it->out_evt = json;
	} else {
		char eb[PA_ERRBUF_SIZE] = "";
		uint8_t *bytes = NULL;
		pa_err_t err = pw_codec_encode(w->o.codec, topic, schema, event,
					       &bytes, &it->out_evt_len, eb);
		if (err != PA_OK) {
			/* a record we built does not fit its schema: a bug;
			 * loud, and kept in the DLQ rather than lost */
			PW_LOG(w, PW_LOG_ERROR, "cannot encode %s for %s: %s: %s",
			       schema, topic, pa_err_name(err), eb);
			free(json);
			json_decref(event);
			if (topic == w->o.topic_dlq) {
				write_state(it);
				maybe_finish(it);
				return;
			}
			char msg[PA_ERRBUF_SIZE + 64];
			snprintf(msg, sizeof msg, "%s event not encodable: %s",
				 schema, eb);
			dead_letter(it, "INTERNAL", msg);
			return;
		}
		it->out_evt = (char *)bytes;
		it->out_evt_json = json;
	}
	it->out_evt_topic = topic;
	json_decref(event);
	if (w->o.exactly_once)
		write_txn(it); /* the commit makes both visible at once */
	else
		write_event(it);
}

static void transition(pw_item_t *it, pw_order_t *ord, pa_status_t st,
		       const char *raw, const json_t *details,
		       const char *reason)
{
	pw_worker_t *w = it->w;
	int prev = ord->seq > 0 ? (int)ord->status : -1;
	if (!pw_order_apply(ord, st, raw)) {
		w->st.duplicates_suppressed++;
		emit(it, ord, NULL, NULL); /* keeps learned fields durable */
		return;
	}
	/* UNRESOLVED after the deadline is the order's outcome too: it is
	 * reported, and an operator or reconciliation takes over */
	if (pa_status_is_terminal(st) || st == PA_STATUS_UNRESOLVED)
		w->st.terminal_events++;
	if (st == PA_STATUS_UNRESOLVED)
		w->st.unresolved++;
	const char *topic;
	const pw_event_topics_t tp = {w->o.topic_evt_payment,
				      w->o.topic_evt_refund,
				      w->o.topic_evt_complaint};
	json_t *ev = pw_event_build(ord, prev, details, reason, &topic, &tp);
	emit(it, ord, ev, topic);
}

static void dead_letter(pw_item_t *it, const char *reason, const char *msg)
{
	pw_worker_t *w = it->w;
	PW_LOG(w, PW_LOG_WARN, "dead letter %s p%d@%lld: %s: %s",
	       it->topic < PW_IN_N ? w->in_topics[it->topic] : "-",
	       it->partition, (long long)it->offset, reason, msg);
	json_t *dl = pw_dead_letter_build(
		it->topic < PW_IN_N ? w->in_topics[it->topic] : "",
		it->partition, it->offset, it->key, it->klen, it->raw,
		it->raw_len, reason,
		it->dec_err ? pa_err_name(it->dec_err) : NULL, msg, it->rec);
	emit(it, NULL, dl, w->o.topic_dlq);
}

/* ---- orders ---------------------------------------------------------- */

static void order_free(pw_worker_t *w, pw_order_t *ord)
{
	if (ord->rt)
		pw_timer_cancel(w->loop, ord->rt);
	free(ord);
}

static pw_order_t *order_new(pw_worker_t *w, const char *key, size_t klen,
			     int32_t partition, int kind)
{
	pw_order_t *ord = calloc(1, sizeof *ord);
	if (!ord)
		return NULL;
	memcpy(ord->order_id, key, klen);
	ord->order_id[klen] = '\0';
	ord->kind = (uint8_t)kind;
	ord->partition = partition;
	ord->owner = w;
	ord->received_minor = -1;
	ord->created_ms = pw__wall_ms();
	ord->deadline_ms = ord->created_ms + w->o.poll_deadline_ms;
	char mk[PW_ID_MAX + 16];
	size_t mkl = order_key(kind, ord->order_id, mk, sizeof mk);
	void *old = NULL;
	if (pw_hmap_put(w->orders, mk, mkl, ord, &old) != PA_OK) {
		free(ord);
		return NULL;
	}
	if (old)
		order_free(w, old);
	return ord;
}

static void order_forget(pw_worker_t *w, pw_order_t *ord)
{
	char k[PW_ID_MAX + 16];
	size_t kl = order_key(ord->kind, ord->order_id, k, sizeof k);
	pw_hmap_del(w->orders, k, kl);
	order_free(w, ord);
}

/* ---- orders at rest ----------------------------------------------------
 * A settled order is mostly read again only if a command is redelivered, a
 * late webhook (Late Approved, refunds) or a follow-up arrives. Once no
 * item works on it and no poll is due, it is packed (state.h, ~190 bytes
 * in the benchmark instead of 352) into w->rest; the first work for it unpacks it. */

static void rest_free(pw_worker_t *w, pw_order_rest_t *r)
{
	w->rest_bytes -= pw_order_rest_size(r);
	free(r);
}

/* Stores r under key, replacing (and freeing) what was there. */
static void rest_put(pw_worker_t *w, const char *key, size_t klen,
		     pw_order_rest_t *r)
{
	void *old = NULL;
	if (pw_hmap_put(w->rest, key, klen, r, &old) != PA_OK) {
		free(r);
		return;
	}
	w->rest_bytes += pw_order_rest_size(r);
	if (old)
		rest_free(w, old);
}

static void order_rest(pw_worker_t *w, pw_order_t *ord)
{
	if (ord->phase != PW_PHASE_SETTLED || ord->rt || w->destroying)
		return;
	char k[PW_ID_MAX + 16];
	size_t kl = order_key(ord->kind, ord->order_id, k, sizeof k);
	if (pw_hmap_get(w->orders, k, kl) != ord)
		return;
	pw_order_rest_t *r = pw_order_pack(ord, NULL);
	if (!r)
		return; /* stays live */
	pw_hmap_del(w->orders, k, kl);
	order_free(w, ord);
	rest_put(w, k, kl, r);
}

pw_order_t *pw__order_get(pw_worker_t *w, const char *key, size_t klen)
{
	pw_order_t *ord = pw_hmap_get(w->orders, key, klen);
	if (ord)
		return ord;
	pw_order_rest_t *r = pw_hmap_get(w->rest, key, klen);
	if (!r)
		return NULL;
	ord = malloc(sizeof *ord);
	if (!ord || pw_hmap_put(w->orders, key, klen, ord, NULL) != PA_OK) {
		free(ord);
		return NULL;
	}
	pw_order_unpack(r, ord);
	ord->owner = w;
	pw_hmap_del(w->rest, key, klen);
	rest_free(w, r);
	return ord;
}

static int free_live(const char *k, size_t kl, void *v, void *ud)
{
	(void)k;
	(void)kl;
	order_free(ud, v);
	return PW_HMAP_DELETE;
}

static int free_rest(const char *k, size_t kl, void *v, void *ud)
{
	(void)k;
	(void)kl;
	rest_free(ud, v);
	return PW_HMAP_DELETE;
}

struct expire_ctx {
	pw_worker_t *w;
	int64_t cutoff;
	int refused; /* the producer took no more tombstones this sweep */
};

static int expire_rest(const char *k, size_t kl, void *v, void *ud)
{
	struct expire_ctx *c = ud;
	pw_worker_t *w = c->w;
	if (c->refused || pw_order_rest_created_ms(v) >= c->cutoff)
		return PW_HMAP_NEXT;
	/* tombstone first: an order whose tombstone was not queued stays
	 * (the next sweep tries again) */
	if (pw__produce(w, NULL, w->o.topic_int_state,
			pw_order_rest_partition(v), k, kl, NULL, 0) != PA_OK) {
		c->refused = 1;
		return PW_HMAP_STOP;
	}
	w->st.orders_expired++;
	rest_free(w, v);
	return PW_HMAP_DELETE;
}

void pw__orders_expire(pw_worker_t *w, int64_t cutoff_ms)
{
	struct expire_ctx c = {w, cutoff_ms, 0};
	pw_hmap_walk(w->rest, expire_rest, &c);
}

void pw__orders_free(pw_worker_t *w)
{
	pw_hmap_walk(w->orders, free_live, w);
	pw_hmap_walk(w->rest, free_rest, w);
}

/* ---- gateway replies --------------------------------------------------- */

static int64_t backoff_ms(pw_worker_t *w, int attempt)
{
	int64_t d = w->o.retry_base_ms;
	for (int i = 1; i < attempt && d < w->o.retry_max_ms; i++)
		d *= 2;
	if (d > w->o.retry_max_ms)
		d = w->o.retry_max_ms;
	/* jitter in [d/2, d] */
	return d / 2 + (int64_t)(pw__rand(w) % (uint64_t)(d / 2 + 1));
}

static void send_command(pw_item_t *it);

static void retry_send(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_item_t *it = ud;
	it->timer = NULL;
	send_command(it);
}

static void learn(pw_order_t *ord, const pw_gw_result_t *res)
{
	if (res->ref_code && *res->ref_code && !ord->ref_code[0])
		snprintf(ord->ref_code, sizeof ord->ref_code, "%s",
			 res->ref_code);
	if (res->received_minor >= 0)
		ord->received_minor = res->received_minor;
}

static void on_submit(void *ud, const pw_gw_result_t *res)
{
	pw_item_t *it = ud;
	pw_worker_t *w = it->w;
	it->call = NULL;
	pw_order_t *ord = it->ord;
	ord->attempts++;
	if (res->err == PA_OK) {
		learn(ord, res);
		ord->phase = PW_PHASE_ACCEPTED;
		pa_status_t st = PA_STATUS_PENDING;
		if (res->raw && *res->raw && res->status != PA_STATUS_UNRESOLVED)
			st = res->status;
		if (!pa_status_is_terminal(st))
			schedule_poll(w, ord, w->o.poll_first_ms);
		transition(it, ord, st, res->raw ? res->raw : "", res->details,
			   NULL);
		return;
	}
	if (res->err == PA_DUPLICATE) {
		/* An earlier attempt reached the gateway (design.md §4):
		 * resolve by polling, never report it as a failure. */
		ord->phase = PW_PHASE_LOOKUP;
		schedule_poll(w, ord, 0);
		if (ord->seq == 0) {
			/* The gateway accepted it before: publish the PENDING
			 * that attempt published, or would have (a replay
			 * after a crash between that event and its state, a
			 * retry whose first attempt arrived). Same sequence,
			 * same event_id; what the poll finds follows as
			 * sequence 2, as it would have -- not as a second
			 * sequence 1. */
			transition(it, ord, PA_STATUS_PENDING, "", NULL, NULL);
			return;
		}
		emit(it, ord, NULL, NULL);
		return;
	}
	if (pa_err_is_retryable(res->err)) {
		w->st.gw_retries++;
		if (ord->attempts < (uint32_t)w->o.retry_max_attempts) {
			it->timer = pw_timer_add(
				w->loop, backoff_ms(w, (int)ord->attempts),
				retry_send, it);
			return;
		}
		/* Cap reached: the request may or may not have arrived. The
		 * poller finds out (by order_id); never abandoned. */
		ord->phase = PW_PHASE_LOOKUP;
		schedule_poll(w, ord, w->o.retry_base_ms);
		emit(it, ord, NULL, NULL);
		return;
	}
	/* A documented rejection: the order does not exist at the gateway.
	 * A terminal FAILED event says so (design decision, README). */
	char reason[384];
	snprintf(reason, sizeof reason, "gateway rejected (%s): %s",
		 pa_err_name(res->err), res->message ? res->message : "");
	transition(it, ord, PA_STATUS_FAILED, res->raw ? res->raw : "",
		   res->details, reason);
}

static void send_command(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	char eb[PA_ERRBUF_SIZE] = "";
	w->st.gw_calls++;
	pa_err_t err = w->gw->submit(w->gw, it->ord, it->rec, on_submit, it,
				     &it->call);
	if (err == PA_OK)
		return;
	if (pa_err_is_retryable(err)) {
		it->timer = pw_timer_add(w->loop, backoff_ms(w, 1), retry_send,
					 it);
		return;
	}
	/* The request could not be built: the command is invalid for its
	 * product. Nothing reached the gateway; forget the order. */
	snprintf(eb, sizeof eb, "%s", w->gw->last_error(w->gw));
	order_forget(w, it->ord);
	it->ord = NULL;
	dead_letter(it, "VALIDATION", eb[0] ? eb : pa_strerror(err));
}

/* ---- polling ------------------------------------------------------- */

static void poll_due(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_order_t *ord = ud;
	pw_worker_t *w = ord->owner;
	ord->rt = NULL;
	pw_item_t *it = item_new(w, PW_ITEM_POLL, ord->order_id,
				 strlen(ord->order_id), ord->partition);
	if (!it)
		return;
	item_submit(it);
}

static void schedule_poll(pw_worker_t *w, pw_order_t *ord, int64_t in_ms)
{
	if (ord->rt)
		pw_timer_cancel(w->loop, ord->rt);
	ord->rt = NULL;
	if (ord->kind == PW_KIND_COMPLAINT || w->shutting_down)
		return;
	if (in_ms < 0)
		in_ms = 0;
	ord->next_poll_ms = pw__wall_ms() + in_ms;
	ord->rt = pw_timer_add(w->loop, in_ms, poll_due, ord);
}

static int64_t next_poll_in(pw_worker_t *w, pw_order_t *ord)
{
	int64_t d = w->o.poll_first_ms;
	for (uint32_t i = 1; i < ord->polls && d < w->o.poll_max_interval_ms;
	     i++)
		d *= 2;
	return d > w->o.poll_max_interval_ms ? w->o.poll_max_interval_ms : d;
}

static void on_poll(void *ud, const pw_gw_result_t *res)
{
	pw_item_t *it = ud;
	pw_worker_t *w = it->w;
	pw_order_t *ord = it->ord;
	it->call = NULL;
	ord->polls++;
	w->st.polls++;
	int settled = 0;
	if (res->err == PA_OK && res->raw && *res->raw) {
		learn(ord, res);
		if (ord->phase == PW_PHASE_LOOKUP || ord->phase == PW_PHASE_NEW)
			ord->phase = PW_PHASE_ACCEPTED;
		settled = pa_status_is_terminal(res->status) &&
			  res->status != PA_STATUS_UNRESOLVED;
		if (!settled)
			schedule_poll(w, ord, next_poll_in(w, ord));
		else if (ord->rt) {
			pw_timer_cancel(w->loop, ord->rt);
			ord->rt = NULL;
		}
		if (res->status == PA_STATUS_UNRESOLVED) {
			/* an unknown raw status: never guessed, keep
			 * polling, say so when the deadline passes */
			PW_LOG(w, PW_LOG_WARN, "order %s: unknown gateway status",
			       ord->order_id);
			emit(it, ord, NULL, NULL);
			return;
		}
		transition(it, ord, res->status, res->raw, res->details, NULL);
		return;
	}
	if (pw__wall_ms() >= ord->deadline_ms) {
		/* final deadline: reported, never silently dropped */
		transition(it, ord, PA_STATUS_UNRESOLVED, ord->raw_status,
			   NULL, "status polling deadline passed without a "
				 "terminal status");
		return;
	}
	schedule_poll(w, ord, next_poll_in(w, ord));
	emit(it, ord, NULL, NULL);
}

static void poll_now(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	pw_order_t *ord = it->ord;
	if (!ord) {
		item_finish(it); /* forgotten meanwhile */
		return;
	}
	if (ord->phase == PW_PHASE_SETTLED && it->kind == PW_ITEM_POLL &&
	    !it->force) {
		item_finish(it);
		return;
	}
	if (pw__wall_ms() >= ord->deadline_ms &&
	    ord->phase != PW_PHASE_SETTLED) {
		transition(it, ord, PA_STATUS_UNRESOLVED, ord->raw_status,
			   NULL, "status polling deadline passed without a "
				 "terminal status");
		return;
	}
	pa_err_t err = w->gw->status(w->gw, ord, on_poll, it, &it->call);
	if (err != PA_OK) {
		schedule_poll(w, ord, next_poll_in(w, ord));
		item_finish(it);
	}
}

/* ---- follow-ups: refund, UTR, complaints ----------------------------- */

static void send_command_or_followup(pw_item_t *it, int followup);

static void retry_followup(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_item_t *it = ud;
	it->timer = NULL;
	send_command_or_followup(it, 1);
}

static void on_followup(void *ud, const pw_gw_result_t *res)
{
	pw_item_t *it = ud;
	pw_order_t *ord = it->ord;
	it->call = NULL;
	if (pa_err_is_retryable(res->err) &&
	    ++it->attempts < it->w->o.retry_max_attempts) {
		it->timer = pw_timer_add(it->w->loop,
					 backoff_ms(it->w, it->attempts),
					 retry_followup, it);
		return;
	}
	if (res->err != PA_OK) {
		char msg[384];
		snprintf(msg, sizeof msg, "%s: %s", pa_err_name(res->err),
			 res->message ? res->message : "");
		dead_letter(it, "GATEWAY_REJECTED", msg);
		return;
	}
	learn(ord, res);
	if (res->raw && *res->raw && res->status != PA_STATUS_UNRESOLVED) {
		/* refund accepted, complaint state: polls follow what is not
		 * settled yet */
		if (!pa_status_is_terminal(res->status) &&
		    ord->kind != PW_KIND_COMPLAINT)
			schedule_poll(it->w, ord, it->w->o.poll_first_ms);
		transition(it, ord, res->status, res->raw, res->details, NULL);
		return;
	}
	/* accepted without a status of its own (UTR submitted): the poller
	 * reports what follows */
	if (ord->kind != PW_KIND_COMPLAINT)
		schedule_poll(it->w, ord, 0);
	emit(it, ord, NULL, NULL);
}

/* ---- entry points ------------------------------------------------------ */

static void send_command_or_followup(pw_item_t *it, int followup)
{
	pw_worker_t *w = it->w;
	pa_err_t err = w->gw->submit(w->gw, it->ord, it->rec,
				     followup ? on_followup : on_submit, it,
				     &it->call);
	if (err == PA_OK)
		return;
	dead_letter(it, "VALIDATION", w->gw->last_error(w->gw));
}

static void start_command(pw_item_t *it);

/* Decoding failed for a retryable reason (schema registry unreachable):
 * decode again later; the item keeps its order's queue and its offset. */
static void retry_decode(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pw_item_t *it = ud;
	char eb[PA_ERRBUF_SIZE] = "";
	it->timer = NULL;
	free(it->dec_msg);
	it->dec_msg = NULL;
	it->dec_err = pw__decode(it->w, it->topic, it->raw, it->raw_len,
				 &it->rec, eb);
	if (it->dec_err)
		it->dec_msg = strdup(eb);
	else
		it->attempts = 0; /* the gateway's retries count afresh */
	start_command(it);
}

static void start_command(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	char msg[PA_ERRBUF_SIZE] = "";
	pw_cmd_info_t ci;
	if (!it->rec) {
		if (it->dec_err && pa_err_is_retryable(it->dec_err)) {
			if (it->attempts % 20 == 0)
				PW_LOG(w, PW_LOG_WARN,
				       "%s p%d@%lld: %s; decoding again later",
				       w->in_topics[it->topic], it->partition,
				       (long long)it->offset,
				       it->dec_msg ? it->dec_msg : "");
			it->timer = pw_timer_add(w->loop,
						 backoff_ms(w, ++it->attempts),
						 retry_decode, it);
			return;
		}
		const char *reason = pw_codec_dlq_reason(it->dec_err);
		dead_letter(it, reason ? reason : "UNDECODABLE",
			    it->dec_msg ? it->dec_msg
					: "payload is not a command record");
		return;
	}
	const char *type = json_string_value(json_object_get(it->rec, "type"));
	if (w->o.on_report_request && type &&
	    !strcmp(type, "report_request")) {
		/* reports.c answers asynchronously: nothing to order */
		w->o.on_report_request(w->o.on_report_request_ud, it->rec);
		item_finish(it);
		return;
	}
	pa_err_t cerr = pw_cmd_check(it->rec, it->topic, &ci, msg);
	if (cerr != PA_OK) {
		dead_letter(it, cerr == PA_UNSUPPORTED ? "UNSUPPORTED_PRODUCT"
						       : "MALFORMED",
			    msg);
		return;
	}
	if (strcmp(ci.order_id, it->key) != 0) {
		dead_letter(it, "KEY_MISMATCH",
			    "record key differs from order_id");
		return;
	}
	if (!w->gw->has_merchant(w->gw, ci.merchant)) {
		snprintf(msg, sizeof msg, "merchant '%s' is not configured",
			 ci.merchant);
		dead_letter(it, "UNKNOWN_MERCHANT", msg);
		return;
	}
	w->st.commands_in++;
	char mk[PW_ID_MAX + 16];
	size_t mkl = order_key(ci.kind, it->key, mk, sizeof mk);
	pw_order_t *ord;
	if (ci.op == PW_OP_CREATE) {
		/* redelivered or repeated: never call the gateway twice for
		 * one order (a resting order stays packed: only its key is
		 * looked at) */
		if (pw_hmap_get(w->orders, mk, mkl) ||
		    pw_hmap_get(w->rest, mk, mkl)) {
			w->st.duplicates_suppressed++;
			item_finish(it);
			return;
		}
		ord = order_new(w, it->key, it->klen, it->partition, ci.kind);
		if (!ord) {
			dead_letter(it, "INTERNAL", "out of memory");
			return;
		}
		snprintf(ord->merchant, sizeof ord->merchant, "%s",
			 ci.merchant);
		snprintf(ord->product, sizeof ord->product, "%s", ci.product);
		snprintf(ord->currency, sizeof ord->currency, "%s",
			 ci.currency);
		ord->amount_minor = ci.amount_minor;
		it->ord = ord;
		send_command(it);
		return;
	}
	ord = pw__order_get(w, mk, mkl);
	if (ci.op == PW_OP_STATUS) {
		if (!ord) {
			dead_letter(it, "UNKNOWN_ORDER",
				    "status check for an order this worker "
				    "never accepted");
			return;
		}
		it->ord = ord;
		poll_now(it);
		return;
	}
	/* follow-up: refund, UTR submission, complaint submit/status */
	if (!ord && ci.kind == PW_KIND_COMPLAINT) {
		ord = order_new(w, it->key, it->klen, it->partition,
				PW_KIND_COMPLAINT);
		if (ord)
			snprintf(ord->merchant, sizeof ord->merchant, "%s",
				 ci.merchant);
	}
	if (!ord) {
		dead_letter(it, "UNKNOWN_ORDER",
			    "follow-up command for an order this worker "
			    "never accepted");
		return;
	}
	it->ord = ord;
	send_command_or_followup(it, 1);
}

static void apply_webhook(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	const char *merchant = json_string_value(json_object_get(it->rec,
								 "merchant"));
	json_t *cb = json_object_get(it->rec, "callback");
	const char *raw = json_string_value(json_object_get(cb, "status"));
	if (!merchant || !json_is_object(cb) || !raw) {
		dead_letter(it, "MALFORMED", "internal webhook record lacks "
					     "merchant, callback or status");
		return;
	}
	w->st.webhooks_in++;
	pw_order_t *ord = pw__order_get(w, it->key, it->klen);
	if (!ord) {
		/* A verified callback for an order we hold no state for
		 * (created elsewhere, or state lost): publish it anyway. */
		ord = order_new(w, it->key, it->klen, it->partition,
				PW_KIND_PAYIN);
		if (!ord) {
			dead_letter(it, "INTERNAL", "out of memory");
			return;
		}
		snprintf(ord->merchant, sizeof ord->merchant, "%s", merchant);
		ord->phase = PW_PHASE_ACCEPTED;
		pa_status_t first = pa_status_from_raw(raw, strlen(raw));
		if (first != PA_STATUS_PENDING &&
		    first != PA_STATUS_UNRESOLVED) {
			/* Every accepted order's history starts with PENDING
			 * as sequence 1 (the acceptance event). When the state
			 * was lost (a crash between an event and its state
			 * record) that event exists already: publish it again
			 * -- same sequence, same event_id -- so this webhook
			 * becomes sequence 2 instead of a second sequence 1. */
			it->ord = ord;
			it->again = 1;
			transition(it, ord, PA_STATUS_PENDING, "", NULL, NULL);
			return;
		}
	}
	it->ord = ord;
	pa_status_t st = pa_status_from_raw(raw, strlen(raw));
	pw_gw_result_t res = {.err = PA_OK, .status = st, .raw = raw,
			      .received_minor = -1};
	res.ref_code = json_string_value(json_object_get(cb, "ref_code"));
	json_t *rm = json_object_get(it->rec, "received_minor");
	if (json_is_integer(rm))
		res.received_minor = json_integer_value(rm);
	learn(ord, &res);
	if (ord->phase == PW_PHASE_LOOKUP || ord->phase == PW_PHASE_NEW)
		ord->phase = PW_PHASE_ACCEPTED;
	if (st == PA_STATUS_UNRESOLVED) {
		PW_LOG(w, PW_LOG_WARN, "order %s: webhook with unknown status",
		       ord->order_id);
		emit(it, ord, NULL, NULL);
		return;
	}
	if (pa_status_is_terminal(st) && ord->rt) {
		pw_timer_cancel(w->loop, ord->rt);
		ord->rt = NULL;
	}
	json_t *details = json_object();
	const char *keys[] = {"bank_ref", "sender_upi", "refund_info",
			      "requested_amount", "received_amount"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		json_t *v = json_object_get(cb, keys[i]);
		if (v)
			json_object_set(details, keys[i], v);
	}
	json_object_set_new(details, "source", json_string("webhook"));
	transition(it, ord, st, raw, details, NULL);
	json_decref(details);
}

void pw__item_start(pw_item_t *it)
{
	if (it->dead) {
		item_finish(it);
		return;
	}
	switch (it->kind) {
	case PW_ITEM_CMD:
		start_command(it);
		return;
	case PW_ITEM_WEBHOOK:
		apply_webhook(it);
		return;
	case PW_ITEM_POLL:
		it->ord = pw__order_get(it->w, it->key, it->klen);
		poll_now(it);
		return;
	}
}

/* ---- from the worker's Kafka side -------------------------------------- */

void pw__on_message(pw_worker_t *w, rd_kafka_message_t *m, int topic)
{
	pw_part_t *p = pw__part(w, m->partition, 0);
	if (!p || !p->assigned[topic])
		return; /* revoked meanwhile; redelivered to the new owner */
	json_t *rec = NULL;
	char deb[PA_ERRBUF_SIZE] = "";
	pa_err_t derr = pw__decode(w, topic, m->payload, m->len, &rec, deb);
	const char *key = m->key;
	size_t klen = m->key_len;
	const char *oid = json_string_value(json_object_get(rec, "order_id"));
	if (!key || !klen) {
		key = oid ? oid : "";
		klen = strlen(key);
	}
	pw_item_t *it = item_new(w,
				 topic == PW_IN_WEBHOOK ? PW_ITEM_WEBHOOK
							: PW_ITEM_CMD,
				 key, klen, m->partition);
	if (!it) {
		json_decref(rec);
		return;
	}
	it->topic = (uint8_t)topic;
	it->offset = m->offset;
	it->rec = rec;
	it->dec_err = derr;
	if (derr)
		it->dec_msg = strdup(deb);
	if (m->len) {
		it->raw = malloc(m->len);
		if (it->raw) {
			memcpy(it->raw, m->payload, m->len);
			it->raw_len = m->len;
		}
	}
	pw_offtrack_add(&p->off[topic], m->offset);
	p->inflight++;
	w->inflight++;
	if (klen == 0 || klen >= PW_ID_MAX) {
		/* no usable key: nothing to order on, dead-letter at once */
		dead_letter(it, "MALFORMED",
			    klen ? "order_id longer than 63 bytes"
				 : "record has no key and no order_id");
	} else {
		item_submit(it);
	}
	if (p->inflight >= w->o.max_inflight_per_partition ||
	    w->inflight >= w->o.max_inflight)
		pw__backpressure(w);
}

void pw__restore_record(pw_worker_t *w, rd_kafka_message_t *m)
{
	pw_part_t *p = pw__part(w, m->partition, 0);
	if (!p || !p->restoring || !m->key || !m->key_len ||
	    m->key_len >= PW_ID_MAX)
		return;
	if (!m->payload) {
		/* tombstone */
		pw_order_t *old = pw_hmap_del(w->orders, m->key, m->key_len);
		if (old)
			order_free(w, old);
		pw_order_rest_t *r = pw_hmap_del(w->rest, m->key, m->key_len);
		if (r)
			rest_free(w, r);
		return;
	}
	json_error_t je;
	json_t *j = json_loadb(m->payload, m->len, 0, &je);
	pw_order_t tmp;
	if (pw_order_from_json(j, &tmp) != PA_OK) {
		json_decref(j);
		PW_LOG(w, PW_LOG_WARN, "state p%d@%lld: unreadable record skipped",
		       m->partition, (long long)m->offset);
		return;
	}
	json_decref(j);
	tmp.partition = m->partition;
	pw_order_t *ord = pw_hmap_get(w->orders, m->key, m->key_len);
	if (tmp.phase == PW_PHASE_SETTLED) {
		/* settled: at rest, also when an earlier record of the order
		 * made it live (no item works on a restoring partition) */
		pw_order_rest_t *r = pw_order_pack(&tmp, NULL);
		if (r) {
			if (ord) {
				pw_hmap_del(w->orders, m->key, m->key_len);
				order_free(w, ord);
			}
			rest_put(w, m->key, m->key_len, r);
			return;
		}
	}
	pw_order_rest_t *r = pw_hmap_del(w->rest, m->key, m->key_len);
	if (r)
		rest_free(w, r);
	if (!ord) {
		ord = malloc(sizeof *ord);
		if (!ord ||
		    pw_hmap_put(w->orders, m->key, m->key_len, ord, NULL) !=
			    PA_OK) {
			free(ord);
			return;
		}
	} else if (ord->rt) {
		pw_timer_cancel(w->loop, ord->rt);
	}
	*ord = tmp;
	ord->partition = m->partition;
	ord->owner = w;
	ord->rt = NULL;
}

struct walk_ctx {
	pw_worker_t *w;
	int32_t part;
	int64_t now;
};

static int resume_polls(const char *k, size_t kl, void *v, void *ud)
{
	struct walk_ctx *c = ud;
	pw_order_t *ord = v;
	if (ord->partition != c->part || ord->rt)
		return PW_HMAP_NEXT;
	if (ord->phase == PW_PHASE_ACCEPTED || ord->phase == PW_PHASE_LOOKUP) {
		int64_t in = ord->next_poll_ms - c->now;
		/* spread the restart's first polls over a second */
		if (in < 0)
			in = (int64_t)(pw__rand(c->w) % 1000);
		schedule_poll(c->w, ord, in);
	}
	return PW_HMAP_NEXT;
}

void pw__partition_restored(pw_worker_t *w, pw_part_t *p)
{
	struct walk_ctx c = {w, p->id, pw__wall_ms()};
	pw_hmap_walk(w->orders, resume_polls, &c);
	/* start what arrived while restoring, in arrival order */
	pw_item_t *rev = NULL;
	while (p->deferred) {
		pw_item_t *it = p->deferred;
		p->deferred = it->dnext;
		it->dnext = rev;
		rev = it;
	}
	while (rev) {
		pw_item_t *it = rev;
		rev = it->dnext;
		pw__item_start(it);
	}
}

static int drop_orders(const char *k, size_t kl, void *v, void *ud)
{
	struct walk_ctx *c = ud;
	pw_order_t *ord = v;
	if (ord->partition != c->part)
		return PW_HMAP_NEXT;
	order_free(c->w, ord);
	return PW_HMAP_DELETE;
}

static int drop_rest(const char *k, size_t kl, void *v, void *ud)
{
	struct walk_ctx *c = ud;
	if (pw_order_rest_partition(v) != c->part)
		return PW_HMAP_NEXT;
	rest_free(c->w, v);
	return PW_HMAP_DELETE;
}

/* The partition went to another member: its work is handed back (the
 * uncommitted offsets are redelivered there) and its state forgotten. */
void pw__partition_revoked(pw_worker_t *w, pw_part_t *p)
{
	pw_item_t *it = w->items, *nx;
	for (; it; it = nx) {
		nx = it->next;
		if (it->partition != p->id || it->dead)
			continue;
		if (it->queued_in_gate)
			pw_gate_drop(w->gate, it->key, it->klen);
		it->queued_in_gate = 0;
		it->dead = 1;
		if (it->topic < PW_IN_N)
			w->inflight--;
		if (it->call) {
			w->gw->cancel(w->gw, it->call);
			it->call = NULL;
		}
		if (it->timer) {
			pw_timer_cancel(w->loop, it->timer);
			it->timer = NULL;
		}
		if (it->pending == 0)
			pw__item_free(it);
	}
	p->deferred = NULL;
	p->inflight = 0;
	p->epoch++;
	for (int t = 0; t < PW_IN_N; t++) {
		pw_offtrack_free(&p->off[t]);
		p->stored[t] = -1;
	}
	struct walk_ctx c = {w, p->id, 0};
	pw_hmap_walk(w->orders, drop_orders, &c);
	pw_hmap_walk(w->rest, drop_rest, &c);
}

pa_err_t pw__poll_order(pw_worker_t *w, pw_order_t *ord, int force)
{
	pw_item_t *it = item_new(w, PW_ITEM_POLL, ord->order_id,
				 strlen(ord->order_id), ord->partition);
	if (!it)
		return PA_NOMEM;
	it->force = (uint8_t)(force != 0);
	item_submit(it);
	return PA_OK;
}
