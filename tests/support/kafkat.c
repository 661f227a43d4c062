/* kafkat.c -- see kafkat.h. */
#include "kafkat.h"

#include <check.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/worker.h"
#include "pwtest.h"

rd_kafka_t *pwt_producer(const char *bootstraps)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, es, sizeof es);
	rd_kafka_conf_set(c, "enable.idempotence", "true", es, sizeof es);
	rd_kafka_conf_set(c, "partitioner", "murmur2_random", es, sizeof es);
	rd_kafka_conf_set(c, "linger.ms", "5", es, sizeof es);
	rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	if (!p) {
		fprintf(stderr, "pwt_producer: %s\n", es);
		abort();
	}
	return p;
}

void pwt_produce(rd_kafka_t *p, const char *topic, const char *key,
		 const void *value, size_t len)
{
	pwt_produce_headers(p, topic, key, value, len, NULL);
}

void pwt_produce_headers(rd_kafka_t *p, const char *topic, const char *key,
			 const void *value, size_t len,
			 const char *const *headers)
{
	if (value && !len)
		len = strlen(value);
	for (int tries = 0; tries < 1000; tries++) {
		rd_kafka_headers_t *h = NULL;
		for (size_t i = 0; headers && headers[i]; i += 2) {
			if (!h)
				h = rd_kafka_headers_new(8);
			rd_kafka_header_add(h, headers[i], -1, headers[i + 1], -1);
		}
		rd_kafka_resp_err_t err = rd_kafka_producev(
			p, RD_KAFKA_V_TOPIC(topic),
			RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
			RD_KAFKA_V_VALUE((void *)value, len),
			RD_KAFKA_V_HEADERS(h),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_END);
		if (err && h)
			rd_kafka_headers_destroy(h);
		if (!err)
			return;
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			fprintf(stderr, "pwt_produce: %s\n",
				rd_kafka_err2str(err));
			abort();
		}
		rd_kafka_poll(p, 10);
	}
	abort();
}

void pwt_flush(rd_kafka_t *p)
{
	if (rd_kafka_flush(p, (int)pwt_ms(30000)) != 0) {
		fprintf(stderr, "pwt_flush: timed out\n");
		abort();
	}
}

json_t *pwt_read_topic(const char *bootstraps, const char *topic,
		       int idle_ms, int max_ms)
{
	return pwt_read_topic_codec(bootstraps, topic, idle_ms, max_ms, NULL);
}

json_t *pwt_record_headers(const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *h = NULL;
	if (rd_kafka_message_headers(m, &h) || !h ||
	    !rd_kafka_header_cnt(h))
		return NULL;
	json_t *a = json_array();
	const char *name;
	const void *val;
	size_t size;
	for (size_t i = 0; !rd_kafka_header_get_all(h, i, &name, &val, &size);
	     i++)
		json_array_append_new(a, json_pack("[s, s%]", name,
						   val ? (const char *)val : "",
						   val ? size : 0));
	return a;
}

/* "value" of one record: decoded by codec (any framing), else JSON, else
 * the bytes as a string. */
static json_t *record_value(pw_codec_t *codec, const rd_kafka_message_t *m,
			    json_t *entry)
{
	if (!m->payload)
		return json_null();
	if (codec) {
		json_t *v = NULL;
		const char *schema = NULL;
		char eb[PA_ERRBUF_SIZE] = "";
		pa_err_t err = pw_codec_decode(codec, NULL, m->payload, m->len,
					       &v, &schema, eb);
		json_object_set_new(entry, "framing",
				    json_string(pw_framing_name(pw_codec_detect(
					    m->payload, m->len))));
		if (!err) {
			json_object_set_new(entry, "schema", json_string(schema));
			return v;
		}
		json_object_set_new(entry, "error", json_string(eb));
	}
	json_error_t je;
	json_t *v = json_loadb(m->payload, m->len, 0, &je);
	return v ? v : json_stringn(m->payload, m->len);
}

json_t *pwt_read_topic_codec(const char *bootstraps, const char *topic,
			     int idle_ms, int max_ms, pw_codec_t *codec)
{
	char es[256];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, es, sizeof es);
	rd_kafka_conf_set(c, "group.id", "pwt-reader", es, sizeof es);
	rd_kafka_conf_set(c, "enable.auto.commit", "false", es, sizeof es);
	rd_kafka_conf_set(c, "isolation.level", "read_committed", es,
			  sizeof es);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
	json_t *out = json_array();
	if (!rk)
		return out;
	rd_kafka_poll_set_consumer(rk);
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int parts = 0;
	for (int i = 0; i < 50 && parts == 0; i++) {
		if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) ==
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (md->topic_cnt == 1 && !md->topics[0].err)
				parts = md->topics[0].partition_cnt;
			rd_kafka_metadata_destroy(md);
		}
	}
	rd_kafka_topic_destroy(rkt);
	rd_kafka_topic_partition_list_t *l =
		rd_kafka_topic_partition_list_new(parts);
	for (int p = 0; p < parts; p++)
		rd_kafka_topic_partition_list_add(l, topic, p)->offset =
			RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	int64_t start = pwt_now_ms(), last = start;
	idle_ms = (int)pwt_ms(idle_ms);
	max_ms = (int)pwt_ms(max_ms);
	/* the first fetch needs a connection and offsets: allow it longer */
	int64_t first_wait = pwt_ms(3000);
	while ((json_array_size(out) ? pwt_now_ms() - last < idle_ms
				     : pwt_now_ms() - start < first_wait) &&
	       pwt_now_ms() - start < max_ms) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		if (!m)
			continue;
		if (!m->err) {
			json_t *e = json_pack(
				"{s:s% s:i s:I}", "key",
				m->key ? (char *)m->key : "",
				m->key ? m->key_len : 0, "partition",
				(int)m->partition, "offset",
				(json_int_t)m->offset);
			json_object_set_new(e, "value", record_value(codec, m, e));
			json_t *h = pwt_record_headers(m);
			if (h)
				json_object_set_new(e, "headers", h);
			json_array_append_new(out, e);
			last = pwt_now_ms();
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return out;
}

int pwt_run_until(pw_loop_t *loop, int (*pred)(void *ud), void *ud,
		  long timeout_ms)
{
	int64_t end = pwt_now_ms() + pwt_ms(timeout_ms);
	while (!pred(ud)) {
		if (pwt_now_ms() > end)
			return 0;
		pw_loop_run_once(loop, 20);
	}
	return 1;
}

static void on_stopped(void *ud)
{
	*(int *)ud = 1;
}

static int stopped(void *ud)
{
	return *(int *)ud;
}

void pwt_worker_stop(pw_loop_t *loop, pw_worker_t *w)
{
	int done = 0;
	pw_worker_shutdown(w, on_stopped, &done);
	ck_assert(pwt_run_until(loop, stopped, &done, 20000));
	pw_worker_destroy(w);
}
