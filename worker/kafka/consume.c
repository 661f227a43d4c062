/* consume.c -- reading input records, and when not to.
 * Owns: serving the group consumer's queue, decoding a record of an input
 *       topic, back-pressure (the throttle at max.inflight, pausing
 *       partitions that restore, are handed over or hold too much).
 * Not here: what a record becomes (items.c), the group (group.c), the
 *           consumer's configuration (clients.c). */
#include "kafka/worker_int.h"

#include "payatom/canonjson.h"

#include <string.h>

int pw__topic_index(pw_worker_t *w, const char *topic)
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
	json_t *j = pa_json_loadb(buf, len, 0, &je);
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

/* ---- back-pressure --------------------------------------------------- */

void pw__set_paused(pw_worker_t *w, pw_part_t *p, int pause)
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
 * pause, which purges the prefetched records (fetched again on resume).
 * (The ~1 s once blamed on resume was librdkafka's fetch queue backoff,
 * fetch.queue.backoff.ms since 2.2.0; a resume itself fetches at once,
 * docs/benchmarks.md.) If it stays saturated for
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
			pw__set_paused(w, p, want);
			p->paused = want;
		}
	}
}

int pw__serve_consumer(rd_kafka_queue_t *q, void *ud)
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
		/* no brokers_down = 0 here: a record may come from the
		 * prefetch queue long after every broker went away (a worker
		 * behind by thousands of records stayed "ready" through a
		 * whole outage); a delivery report or the probe proves a
		 * broker answers now */
		int t = pw__topic_index(w, rd_kafka_topic_name(m->rkt));
		if (t < 0) {
			rd_kafka_message_destroy(m);
			continue;
		}
		pw__on_message(w, m, t);
		rd_kafka_message_destroy(m);
	}
	return 1;
}
