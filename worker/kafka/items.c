/* items.c -- the life of a unit of work (pw_item_t): a command, a verified
 * webhook or a status poll.
 * Owns: items from Kafka records, their per-order queue (the gate), their
 *       outputs and the write order (event, then state record, then the
 *       offset), dead letters (and the bounded form of a record Kafka
 *       refuses), the end of an item, revoked partitions' items.
 * Not here: what an item does (process.c), the orders it works on
 *           (order_table.c), producing (produce.c). */
#include "kafka/worker_int.h"

#include <stdlib.h>
#include <string.h>

#include "payatom/canonjson.h"
#include "payatom/crypto.h"
#include "orders/event.h"

/* ---- items --------------------------------------------------------- */

pw_item_t *pw__item_new(pw_worker_t *w, int kind, const char *key,
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
	if (it->hdrs)
		rd_kafka_headers_destroy(it->hdrs);
	if (it->out_evt_hdrs)
		rd_kafka_headers_destroy(it->out_evt_hdrs);
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
void pw__item_submit(pw_item_t *it)
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
void pw__item_finish(pw_item_t *it)
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
		pw__order_rest(w, it->ord);
	pw__item_free(it);
	if (nx)
		start_or_defer((pw_item_t *)nx);
	pw__backpressure(w);
}

/* ---- outputs --------------------------------------------------------- */

static void retry_write(pw_loop_t *loop, pw_timer_t *t, void *ud);
static void refused(pw_item_t *it, rd_kafka_resp_err_t err);

static void write_state(pw_item_t *it)
{
	pw_worker_t *w = it->w;
	if (!it->out_state)
		return;
	pa_err_t e = pw__produce(w, it, w->o.topic_int_state, it->partition,
				 it->skey, it->sklen, it->out_state,
				 it->out_state_len, NULL);
	if (e == PA_KAFKA_REFUSED) {
		/* a state record is small and ours: refused, it is a bug or
		 * a topic set up wrong; dropped, never retried for ever */
		PW_LOG(w, PW_LOG_ERROR,
		       "state record of %zu bytes for p%d refused by Kafka "
		       "(%s): dropped",
		       it->out_state_len, it->partition,
		       rd_kafka_err2str(w->produce_err));
		w->st.produce_dropped++;
		free(it->out_state);
		it->out_state = NULL;
		return;
	}
	if (e == PA_OK) {
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
	pa_err_t e = pw__produce(w, it, it->out_evt_topic, -1, it->key,
				 it->klen, it->out_evt, it->out_evt_len,
				 it->out_evt_hdrs);
	if (e == PA_OK)
		return 1;
	if (e == PA_KAFKA_REFUSED) {
		refused(it, w->produce_err);
		return 0;
	}
	if (!it->timer)
		it->timer = pw_timer_add(w->loop, 200, retry_write, it);
	return 0;
}

/* exactly-once: the event and its state record enter the open transaction
 * together. When the state record cannot follow at once (the local queue
 * is full), the item is split and the commit waits for it (worker.c
 * pw__txn_commit): a committed event without the state that suppresses its
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
		pw__item_finish(it);
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

/* ---- records Kafka refuses for good ------------------------------------
 * A dead letter carries the original record, so one for a 1 MB command is
 * larger than the topic takes; an event can be too (issue 18). Sent again
 * it fails again, and its item -- and every later offset of the partition
 * -- would never be committed. Instead the refused record becomes a dead
 * letter in bounded form: the original bytes cut to 1 KiB
 * (PW_DLQ_REFUSED_PAYLOAD), with their length and SHA-256, reason
 * TOO_LARGE (or OTHER for another
 * permanent refusal, error_name KAFKA_REFUSED). If even that is refused,
 * the record is dropped: counted, logged, and the offset released. */

/* The bounded form's own fields: the whole original's length and
 * SHA-256 (payload holds its beginning). */
static void bounded_fields(json_t *dl, const void *orig, size_t olen)
{
	if (!dl)
		return;
	char sha[PA_SHA256_HEX_LEN + 1];
	pa_part_t part = {orig ? (const char *)orig : "", orig ? olen : 0};
	pa_sha256_hex(&part, 1, sha);
	json_object_set_new(dl, "payload_length",
			    json_integer((json_int_t)(orig ? olen : 0)));
	json_object_set_new(dl, "payload_sha256", json_string(sha));
}

static uint8_t bounded_reason(rd_kafka_resp_err_t err)
{
	return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ||
	       err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE;
}

/* The bounded dead letter for it's refused out_evt. New reference. */
static json_t *bounded_dead_letter(pw_item_t *it, rd_kafka_resp_err_t err)
{
	pw_worker_t *w = it->w;
	int was_dlq = it->out_evt_topic == w->o.topic_dlq;
	/* the refused record as JSON, for its reason, message and ids */
	json_t *old = json_loads(it->out_evt_json ? it->out_evt_json
						  : it->out_evt,
				 0, NULL);
	/* a dead letter stands for the consumed record; an event for itself */
	const uint8_t *orig = was_dlq ? it->raw : (const uint8_t *)it->out_evt;
	size_t olen = was_dlq ? it->raw_len : it->out_evt_len;
	if (!orig)
		olen = 0;
	size_t cut = olen < PW_DLQ_REFUSED_PAYLOAD ? olen
						  : PW_DLQ_REFUSED_PAYLOAD;
	char msg[PA_ERRBUF_SIZE + 256];
	const char *om = json_string_value(json_object_get(old, "message"));
	const char *orr = json_string_value(json_object_get(old, "reason"));
	if (was_dlq)
		snprintf(msg, sizeof msg,
			 "dead letter of %zu bytes refused by Kafka (%s); "
			 "payload cut to %zu of %zu bytes; it was: %s: %s",
			 it->out_evt_len, rd_kafka_err2str(err), cut, olen,
			 orr ? orr : "?", om ? om : "");
	else
		snprintf(msg, sizeof msg,
			 "%s event of %zu bytes refused by Kafka (%s); payload "
			 "(the event) cut to %zu bytes",
			 json_string_value(json_object_get(old, "event_type"))
				 ? json_string_value(
					   json_object_get(old, "event_type"))
				 : "an",
			 it->out_evt_len, rd_kafka_err2str(err), cut);
	json_t *ids = json_pack("{s:O? s:O?}", "order_id",
				json_object_get(old, "order_id"), "merchant",
				json_object_get(old, "merchant"));
	json_t *dl = pw_dead_letter_build(
		it->topic < PW_IN_N ? w->in_topics[it->topic] : "",
		it->partition, it->offset, it->key, it->klen, orig, cut,
		bounded_reason(err) ? "TOO_LARGE" : "OTHER",
		pa_err_name(PA_KAFKA_REFUSED), msg, ids);
	json_decref(ids);
	json_decref(old);
	bounded_fields(dl, orig, olen);
	return dl;
}

static void refused(pw_item_t *it, rd_kafka_resp_err_t err)
{
	pw_worker_t *w = it->w;
	const char *in = it->topic < PW_IN_N ? w->in_topics[it->topic] : "-";
	json_t *dl = it->bounded ? NULL : bounded_dead_letter(it, err);
	char *bytes = NULL, *json = NULL;
	size_t len = 0;
	if (dl) {
		json = pa_json_dump(dl, JSON_COMPACT | JSON_ENSURE_ASCII, 1024,
				    &len);
		if (w->o.codec) {
			char eb[PA_ERRBUF_SIZE] = "";
			uint8_t *b = NULL;
			if (pw_codec_encode(w->o.codec, w->o.topic_dlq,
					    PW_SCHEMA_DEAD_LETTER, dl, &b, &len,
					    eb) != PA_OK) {
				PW_LOG(w, PW_LOG_ERROR,
				       "cannot encode a bounded dead letter: %s",
				       eb);
				free(json);
				json = NULL;
			}
			bytes = (char *)b;
		} else {
			bytes = json;
			json = NULL;
		}
		json_decref(dl);
	}
	free(it->out_evt);
	free(it->out_evt_json);
	it->out_evt = NULL;
	it->out_evt_json = NULL;
	if (!bytes) {
		/* refused again (or not buildable): never a loop */
		PW_LOG(w, PW_LOG_ERROR,
		       "%s p%d@%lld: Kafka refused the record%s (%s): dropped, "
		       "offset released",
		       in, it->partition, (long long)it->offset,
		       it->bounded ? " in bounded form too" : "",
		       rd_kafka_err2str(err));
		w->st.produce_dropped++;
		/* the state record and the end of the item from the loop:
		 * a caller up the stack may still use it */
		if (!it->timer)
			it->timer = pw_timer_add(w->loop, 0, retry_write, it);
		return;
	}
	PW_LOG(w, PW_LOG_WARN,
	       "%s p%d@%lld: Kafka refused a %zu-byte record (%s): written as "
	       "a bounded dead letter of %zu bytes",
	       in, it->partition, (long long)it->offset, it->out_evt_len,
	       rd_kafka_err2str(err), len);
	w->st.produce_bounded++;
	it->bounded = 1;
	it->out_evt = bytes;
	it->out_evt_json = json;
	it->out_evt_len = len;
	it->out_evt_topic = w->o.topic_dlq;
	if (w->o.exactly_once)
		write_txn(it);
	else
		write_event(it); /* refused again: dropped (above) */
}

/* Delivery report of one of the item's writes. At-least-once: the event
 * is in Kafka before the state that suppresses its re-emission, and both
 * before the input offset is released. */
void pw__item_written(pw_item_t *it, rd_kafka_resp_err_t err)
{
	pw_worker_t *w = it->w;
	it->pending--;
	if (it->dead) {
		if (it->pending == 0)
			pw__item_free(it);
		return;
	}
	if (err && it->out_evt && pw__produce_permanent(err)) {
		/* the event or dead letter (the state record waits for it) */
		refused(it, err);
		return;
	}
	if (err && pw__produce_permanent(err)) {
		PW_LOG(w, PW_LOG_ERROR,
		       "state record for p%d refused by Kafka (%s): dropped",
		       it->partition, rd_kafka_err2str(err));
		w->st.produce_dropped++;
		free(it->out_state);
		it->out_state = NULL;
		maybe_finish(it);
		return;
	}
	if (err) {
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

/* Queues the item's outputs (event may be NULL: state only) and finishes
 * the item once they are delivered. event (consumed) is encoded with the
 * worker's codec as the schema its event_type names (plain JSON without a
 * codec). */
/* The headers of what it publishes (headers.h): from its command's
 * headers, else (webhooks, polls) with the trace kept in its order. */
static rd_kafka_headers_t *event_headers(pw_item_t *it, const pw_order_t *ord,
					 const json_t *event)
{
	json_t *ext = !it->hdrs && ord && ord->ext ? pw_order_ext(ord) : NULL;
	pw_trace_t tr = {json_string_value(json_object_get(ext, "tp")),
			 json_string_value(json_object_get(ext, "ts"))};
	rd_kafka_headers_t *h = pw_headers_build(&it->w->hdr, it->hdrs, &tr,
						 event);
	json_decref(ext);
	return h;
}

void pw__emit(pw_item_t *it, pw_order_t *ord, json_t *event,
	      const char *topic)
{
	pw_worker_t *w = it->w;
	const char *schema = pw_event_schema(event);
	if (ord) {
		it->sklen = pw_order_key(ord->kind, ord->order_id, it->skey,
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
			pw__dead_letter(it, "INTERNAL", msg);
			return;
		}
		it->out_evt = (char *)bytes;
		it->out_evt_json = json;
	}
	it->out_evt_topic = topic;
	if (it->out_evt_hdrs)
		rd_kafka_headers_destroy(it->out_evt_hdrs);
	it->out_evt_hdrs = event_headers(it, ord ? ord : it->ord, event);
	json_decref(event);
	if (w->o.exactly_once)
		write_txn(it); /* the commit makes both visible at once */
	else
		write_event(it);
}

void pw__dead_letter(pw_item_t *it, const char *reason, const char *msg)
{
	pw_worker_t *w = it->w;
	PW_LOG(w, PW_LOG_WARN, "dead letter %s p%d@%lld: %s: %s",
	       it->topic < PW_IN_N ? w->in_topics[it->topic] : "-",
	       it->partition, (long long)it->offset, reason, msg);
	/* a record larger than dlq.payload.max is carried in bounded form
	 * from the start: with the default (512 KiB, base64 in JSON ~700 KB)
	 * a dead letter stays under Kafka's default 1 MB limit */
	size_t max = w->o.dlq_payload_max ? w->o.dlq_payload_max
					  : PW_DLQ_PAYLOAD_MAX;
	size_t cut = it->raw_len < max ? it->raw_len : max;
	json_t *dl = pw_dead_letter_build(
		it->topic < PW_IN_N ? w->in_topics[it->topic] : "",
		it->partition, it->offset, it->key, it->klen, it->raw, cut,
		reason, it->dec_err ? pa_err_name(it->dec_err) : NULL, msg,
		it->rec);
	if (cut < it->raw_len)
		bounded_fields(dl, it->raw, it->raw_len);
	pw_dead_letter_add_order(dl, it->ord);
	pw__emit(it, NULL, dl, w->o.topic_dlq);
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
	pw_item_t *it = pw__item_new(w,
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
	rd_kafka_headers_t *h = NULL;
	if (topic != PW_IN_WEBHOOK && !rd_kafka_message_headers(m, &h) && h)
		it->hdrs = rd_kafka_headers_copy(h);
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
		pw__dead_letter(it, "MALFORMED",
				klen ? "order_id longer than 63 bytes"
				: "record has no key and no order_id");
	} else {
		pw__item_submit(it);
	}
	if (p->inflight >= w->o.max_inflight_per_partition ||
	    w->inflight >= w->o.max_inflight)
		pw__backpressure(w);
}

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
	pw__orders_drop(w, p->id);
}

pa_err_t pw__poll_order(pw_worker_t *w, pw_order_t *ord, int force)
{
	pw_item_t *it = pw__item_new(w, PW_ITEM_POLL, ord->order_id,
				     strlen(ord->order_id), ord->partition);
	if (!it)
		return PA_NOMEM;
	it->force = (uint8_t)(force != 0);
	pw__item_submit(it);
	return PA_OK;
}
