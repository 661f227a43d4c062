/* produce.c -- what the worker writes to Kafka and how it learns it landed.
 * Owns: pw__produce (every event, state record, dead letter and tombstone
 *       goes through it), the one classification of produce errors
 *       (permanent or retried), delivery reports (held while a transaction
 *       completes), publishing outside any command (reports).
 * Not here: what to write and in which order (items.c), transactions and
 *           offsets (commit.c), the producer's configuration (clients.c). */
#include "kafka/worker_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- producer ------------------------------------------------------ */

/* Produce errors are classified here, once (issue 18): a permanent one is
 * about the record itself and fails again however often it is sent (the
 * record is larger than the producer's or the topic's limit, or the broker
 * finds it invalid); a loop retrying it froze the partition's commits. All
 * others -- timeouts, brokers down, leaders moving, a topic not created
 * yet, authorization being fixed, a full local queue -- pass, and the
 * record is sent again. */
int pw__produce_permanent(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
	case RD_KAFKA_RESP_ERR_INVALID_MSG:
	case RD_KAFKA_RESP_ERR_INVALID_RECORD:
	case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
	case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
		return 1;
	default:
		return 0;
	}
}

void pw__dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	pw_worker_t *w = opaque;
	pw_item_t *it = m->_private;
	if (!m->err)
		w->brokers_down = 0;
	/* a state record in the changelog reaches the local store first:
	 * the item this report finishes may let its order leave memory */
	if (m->rkt && !strcmp(rd_kafka_topic_name(m->rkt),
			       w->o.topic_int_state))
		pw__store_delivered(w, m);
	if (m->err) {
		PW_LOG(w, PW_LOG_WARN, "delivery to %s failed: %s",
		       rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
	}
	if (!it || w->destroying)
		return;
	if (w->txn_busy) {
		/* inside commit/abort_transaction (its flush serves us):
		 * applied once it returns, see pw__txn_commit() */
		if (w->ndrq == w->cdrq) {
			size_t c = w->cdrq ? w->cdrq * 2 : 256;
			struct pw_dr *q = realloc(w->drq, c * sizeof *q);
			if (!q) {
				/* cannot wait: apply now (as before) */
				pw__item_written(it, m->err);
				return;
			}
			w->drq = q;
			w->cdrq = c;
		}
		w->drq[w->ndrq].it = it;
		w->drq[w->ndrq++].err = m->err;
		return;
	}
	pw__item_written(it, m->err);
}

/* Applies the delivery reports that arrived while a transaction was being
 * committed or aborted, in their order. */
void pw__dr_replay(pw_worker_t *w)
{
	size_t n = w->ndrq;
	w->ndrq = 0;
	for (size_t i = 0; i < n; i++)
		pw__item_written(w->drq[i].it, w->drq[i].err);
}

int pw__serve_producer(rd_kafka_queue_t *q, void *ud)
{
	pw_worker_t *w = ud;
	/* rd_kafka_poll serves delivery reports through pw__dr_cb */
	for (int i = 0; i < 64; i++)
		if (rd_kafka_poll(w->producer, 0) == 0)
			return 0;
	return 1;
}

pa_err_t pw__produce(pw_worker_t *w, pw_item_t *it, const char *topic,
		     int32_t partition, const char *key, size_t klen,
		     const void *val, size_t len,
		     const rd_kafka_headers_t *hdrs)
{
	if (pw__txn_begin(w) != PA_OK)
		return PA_KAFKA;
	/* librdkafka takes the headers it is given: a copy per attempt */
	rd_kafka_headers_t *h = hdrs ? rd_kafka_headers_copy(hdrs) : NULL;
	rd_kafka_resp_err_t err = rd_kafka_producev(
		w->producer, RD_KAFKA_V_TOPIC(topic),
		RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA
						   : partition),
		RD_KAFKA_V_KEY(key, klen),
		RD_KAFKA_V_VALUE((void *)val, len),
		RD_KAFKA_V_HEADERS(h),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		RD_KAFKA_V_OPAQUE(it), RD_KAFKA_V_END);
	if (err && h)
		rd_kafka_headers_destroy(h);
	if (err) {
		w->produce_err = err;
		if (pw__produce_permanent(err))
			return PA_KAFKA_REFUSED; /* the caller bounds it */
		PW_LOG(w, PW_LOG_WARN, "produce to %s: %s", topic,
		       rd_kafka_err2str(err));
		return err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? PA_BUSY
							    : PA_KAFKA;
	}
	if (it)
		it->pending++;
	return PA_OK;
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
	/* reports: no command record, but CloudEvents when asked for */
	rd_kafka_headers_t *h = pw_headers_build(&w->hdr, NULL, NULL, rec);
	pa_err_t err = pw__produce(w, NULL, topic, -1, key, strlen(key),
				   bytes ? (const void *)bytes : s,
				   bytes ? blen : len, h);
	if (h)
		rd_kafka_headers_destroy(h);
	free(bytes);
	if (err == PA_OK) {
		w->st.events_out++;
		if (w->o.on_event)
			w->o.on_event(w->o.on_event_ud, topic, s);
	}
	free(s);
	return err;
}
