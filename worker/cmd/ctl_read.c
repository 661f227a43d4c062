/* ctl_read.c -- payatom-ctl's readers: `tail`, `dlq show`, and the
 *               topic reader `dlq replay` shares (ctl_read_topic).
 * Owns: the consumer they share (manual assignment, never a group commit),
 *       reading a topic to its end (watermarks), the output lines.
 * Not here: decoding and the line formats (serde/codec.h:
 *           pw_codec_tail_line, pw_codec_dlq_show), connection settings
 *           (ctl_kafka.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/redact.h"
#include "ctl.h"
#include "event_line.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A consumer that only reads: manual assignment, no offsets stored or
 * committed, so it never disturbs the worker's group. */
static rd_kafka_t *new_consumer(ctl_kafka_t *k, int eof)
{
	char es[512];
	rd_kafka_conf_t *c = ctl_kafka_conf(k);
	if (!c)
		return NULL;
	if (rd_kafka_conf_set(c, "group.id", "payatom-ctl", es, sizeof es) ||
	    rd_kafka_conf_set(c, "enable.auto.commit", "false", es,
			      sizeof es) ||
	    rd_kafka_conf_set(c, "enable.auto.offset.store", "false", es,
			      sizeof es) ||
	    rd_kafka_conf_set(c, "enable.partition.eof", eof ? "true" : "false",
			      es, sizeof es)) {
		rd_kafka_conf_destroy(c);
		ctl_fail(k->cmd, "consumer config: %s", es);
		return NULL;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
	if (!rk) {
		rd_kafka_conf_destroy(c);
		ctl_fail(k->cmd, "consumer: %s", es);
		return NULL;
	}
	rd_kafka_poll_set_consumer(rk);
	return rk;
}

/* Partition count of topic; CTL_FAIL (printed) when it does not exist or
 * the cluster does not answer within timeout_ms. */
static int partition_count(ctl_kafka_t *k, rd_kafka_t *rk, const char *topic,
			   int timeout_ms, int *n)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	const struct rd_kafka_metadata *md = NULL;
	if (!rkt)
		return ctl_fail(k->cmd, "%s: %s", topic,
				rd_kafka_err2str(rd_kafka_last_error()));
	rd_kafka_resp_err_t err =
		rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
	rd_kafka_topic_destroy(rkt);
	if (err)
		return ctl_fail(k->cmd, "cannot read metadata of '%s' from "
					"%s: %s",
				topic, k->bootstrap ? k->bootstrap : "?",
				rd_kafka_err2str(err));
	int rc = CTL_OK;
	if (md->topic_cnt != 1 || md->topics[0].err ||
	    md->topics[0].partition_cnt <= 0)
		rc = ctl_fail(k->cmd, "topic '%s': %s", topic,
			      md->topic_cnt == 1 && md->topics[0].err
				      ? rd_kafka_err2str(md->topics[0].err)
				      : "no partitions");
	else
		*n = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return rc;
}

/* Adds "key" and "timestamp" to a codec line; applies --redact. New (caller
 * frees with free()), NULL on out of memory. */
static char *finish_line(const char *line, const rd_kafka_message_t *msg,
			 int redact)
{
	json_t *o = json_loads(line, 0, NULL);
	if (!o)
		return NULL;
	/* JSON that is not a valid record of any schema (a producer that
	 * does not follow the contract yet) is still worth reading */
	json_t *raw = json_object_get(o, "error") && msg->payload
			      ? json_loadb(msg->payload, msg->len, 0, NULL)
			      : NULL;
	if (raw)
		json_object_set_new(o, "raw_json", raw);
	json_t *key = msg->key ? json_stringn(msg->key, msg->key_len) : NULL;
	json_object_set_new(o, "key", key ? key : json_null());
	rd_kafka_timestamp_type_t tt;
	int64_t ts = rd_kafka_message_timestamp(msg, &tt);
	if (ts >= 0)
		json_object_set_new(o, "timestamp", json_integer(ts));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s && redact) {
		char *r = NULL;
		if (pw_redact_json(s, strlen(s), &r) == PA_OK) {
			free(s);
			s = r;
		}
	}
	return s;
}

/* ---- tail ---- */

static void tail_help(FILE *fp)
{
	fprintf(fp,
		"usage: payatom-ctl tail [-b BOOTSTRAP] [--from-beginning] "
		"[--max N]\n"
		"                        [--idle-exit MS] [--registry URL] "
		"TOPIC...\n"
		"\n"
		"Prints every record of the topics (all partitions) as one "
		"JSON line:\n"
		"  {\"topic\",\"partition\",\"offset\",\"framing\",\"schema\","
		"\"value\",\"key\",\"timestamp\"}\n"
		"whatever the framing (Confluent, Avro single-object or "
		"JSON); a record\n"
		"that does not decode prints \"error\", \"error_name\" and "
		"\"raw_base64\"\n"
		"instead of \"value\" (and \"raw_json\" when the bytes are "
		"JSON all the\n"
		"same). Reads without a consumer group: no offset is "
		"committed and the\n"
		"worker's group is not disturbed.\n"
		"\n"
		"  --from-beginning   start at the oldest record (default: "
		"new records only)\n"
		"  -n, --max N        exit after N records\n"
		"  --idle-exit MS     exit when no record arrived for MS "
		"milliseconds\n"
		"  --redact           mask personal data (phone, e-mail, "
		"accounts, UPI ids)\n"
		"  --timeout MS       limit for finding the topics' "
		"partitions (default 10000)\n"
		"  --brief            one line a human reads per record "
		"instead of JSON:\n"
		"                     kind, order (or merchant), status / "
		"report / reason,\n"
		"                     then amounts, the gateway's status, "
		"figures or message\n"
		"\n");
	ctl_kafka_help(fp);
}

/* --brief: the record's value as event_line.c writes it, or why it does
 * not decode. */
static void brief_line(const char *json)
{
	char line[1024];
	json_t *o = json_loads(json, 0, NULL);
	json_t *val = json_object_get(o, "value");
	const char *topic = json_string_value(json_object_get(o, "topic"));
	const char *err = json_string_value(json_object_get(o, "error"));
	if (json_is_object(val))
		puts(pw_event_line(val, line, sizeof line));
	else
		printf("%-10s %s/%lld@%lld: %s\n", "undecoded",
		       topic ? topic : "?",
		       (long long)json_integer_value(
			       json_object_get(o, "partition")),
		       (long long)json_integer_value(
			       json_object_get(o, "offset")),
		       err ? err : "no value");
	json_decref(o);
}

int ctl_tail(int argc, char **argv)
{
	static const ctl_opt_t opts[] = {{"help", 'h', 0},
					 {"from-beginning", 0, 0},
					 {"max", 'n', 1},
					 {"idle-exit", 0, 1},
					 {"redact", 0, 0},
					 {"timeout", 0, 1},
					 {"brief", 0, 0},
					 CTL_KAFKA_OPTS,
					 {NULL, 0, 0}};
	ctl_kafka_t k = {.cmd = "tail"};
	const char *topics[64];
	size_t ntopics = 0;
	long max = 0, idle = 0, timeout_ms = 10000;
	int beginning = 0, redact = 0, brief = 0;
	ctl_args_t a;
	const char *v;
	int r;
	ctl_args_init(&a, k.cmd, opts, argc, argv, 1);
	while ((r = ctl_args_next(&a, &v)) != CTL_ARG_END) {
		switch (r) {
		case CTL_ARG_BAD:
			return CTL_USAGE;
		case 0:
			tail_help(stdout);
			return CTL_OK;
		case 1:
			beginning = 1;
			break;
		case 2:
			if (ctl_opt_long(k.cmd, "max", v, 1, 1000000000L, &max))
				return CTL_USAGE;
			break;
		case 3:
			if (ctl_opt_long(k.cmd, "idle-exit", v, 1, 86400000L,
					 &idle))
				return CTL_USAGE;
			break;
		case 4:
			redact = 1;
			break;
		case 5:
			if (ctl_opt_long(k.cmd, "timeout", v, 1, 3600000,
					 &timeout_ms))
				return CTL_USAGE;
			break;
		case 6:
			brief = 1;
			break;
		case CTL_ARG_POS:
			if (ntopics == sizeof topics / sizeof topics[0])
				return ctl_usage_error(k.cmd, "too many "
							      "topics");
			topics[ntopics++] = v;
			break;
		default:
			if (ctl_kafka_opt(&k, opts[r].lng, v) == CTL_ARG_BAD)
				return CTL_USAGE;
		}
	}
	if (!ntopics)
		return ctl_usage_error(k.cmd, "which TOPIC? (e.g. "
					      "payatom.evt.payment)");
	int rc = ctl_kafka_open(&k, 1);
	if (rc) {
		ctl_kafka_close(&k);
		return rc;
	}
	ctl_catch_signals();
	rd_kafka_topic_partition_list_t *parts = NULL;
	rd_kafka_t *rk = new_consumer(&k, 0);
	rc = CTL_FAIL;
	if (!rk)
		goto out;
	parts = rd_kafka_topic_partition_list_new(16);
	for (size_t t = 0; t < ntopics; t++) {
		int n = 0;
		if (partition_count(&k, rk, topics[t], (int)timeout_ms, &n))
			goto out;
		for (int p = 0; p < n; p++) {
			/* asking the leaders now connects to them, so that
			 * --idle-exit measures silence, not start-up */
			int64_t lo, hi;
			rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
				rk, topics[t], p, &lo, &hi, (int)timeout_ms);
			if (e) {
				ctl_fail(k.cmd, "%s/%d: %s", topics[t], p,
					 rd_kafka_err2str(e));
				goto out;
			}
			rd_kafka_topic_partition_list_add(parts, topics[t], p)
				->offset = beginning ? lo : hi;
		}
	}
	rd_kafka_resp_err_t err = rd_kafka_assign(rk, parts);
	if (err) {
		ctl_fail(k.cmd, "assign: %s", rd_kafka_err2str(err));
		goto out;
	}
	long count = 0;
	int64_t last = mono_ms();
	rc = CTL_OK;
	while (!ctl_stopping() && (!max || count < max)) {
		rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 100);
		if (!msg) {
			if (idle && mono_ms() - last >= idle)
				break;
			continue;
		}
		if (msg->err) {
			if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				fprintf(stderr, "payatom-ctl tail: %s: %s\n",
					msg->rkt ? rd_kafka_topic_name(msg->rkt)
						 : "kafka",
					rd_kafka_message_errstr(msg));
			rd_kafka_message_destroy(msg);
			continue;
		}
		char *line = NULL, *out = NULL;
		if (pw_codec_tail_line(k.codec, rd_kafka_topic_name(msg->rkt),
				       msg->partition, msg->offset,
				       msg->payload, msg->len, &line) == PA_OK)
			out = finish_line(line, msg, redact);
		free(line);
		rd_kafka_message_destroy(msg);
		if (!out) {
			rc = ctl_fail(k.cmd, "out of memory");
			break;
		}
		if (brief)
			brief_line(out);
		else
			puts(out);
		free(out);
		if (fflush(stdout)) {
			rc = ctl_fail(k.cmd, "cannot write to stdout");
			break;
		}
		count++;
		last = mono_ms();
	}
out:
	if (parts)
		rd_kafka_topic_partition_list_destroy(parts);
	if (rk) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	ctl_kafka_close(&k);
	return rc;
}

/* ---- reading a topic to its end (dlq show, dlq replay) ---- */

int ctl_read_topic(ctl_kafka_t *k, const char *topic, long part,
		   int64_t first, int64_t last, int exact, long timeout_ms,
		   ctl_record_fn fn, void *ud)
{
	rd_kafka_topic_partition_list_t *parts = NULL;
	int64_t *hi = NULL, *next = NULL;
	int n = 0;
	rd_kafka_t *rk = new_consumer(k, 1);
	int rc = CTL_FAIL;
	if (!rk || partition_count(k, rk, topic, (int)timeout_ms, &n))
		goto out;
	if (part >= n) {
		ctl_fail(k->cmd, "%s has %d partition%s: no partition %ld",
			 topic, n, n == 1 ? "" : "s", part);
		goto out;
	}
	hi = calloc((size_t)n, sizeof *hi);
	next = calloc((size_t)n, sizeof *next);
	parts = rd_kafka_topic_partition_list_new(n);
	if (!hi || !next || !parts) {
		ctl_fail(k->cmd, "out of memory");
		goto out;
	}
	/* read each partition from its low to its high watermark (or the
	 * range asked for): ends by itself, no idle guessing */
	size_t pending = 0;
	for (int p = 0; p < n; p++) {
		int64_t lo = 0, h = 0;
		if (part >= 0 && p != part)
			continue;
		rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
			rk, topic, p, &lo, &h, (int)timeout_ms);
		if (err) {
			ctl_fail(k->cmd, "%s/%d: watermarks: %s", topic, p,
				 rd_kafka_err2str(err));
			goto out;
		}
		if (exact && lo >= h) {
			ctl_fail(k->cmd, "no record at %s/%d@%lld (the "
					 "partition is empty)",
				 topic, p, (long long)first);
			goto out;
		}
		if (exact && (first < lo || first >= h)) {
			ctl_fail(k->cmd, "no record at %s/%d@%lld (partition "
					 "holds offsets %lld..%lld)",
				 topic, p, (long long)first, (long long)lo,
				 (long long)h - 1);
			goto out;
		}
		if (part >= 0 && first > lo)
			lo = first;
		if (part >= 0 && last >= 0 && last + 1 < h)
			h = last + 1;
		if (lo >= h)
			continue;
		hi[p] = h;
		next[p] = lo;
		rd_kafka_topic_partition_list_add(parts, topic, p)->offset = lo;
		pending++;
	}
	rd_kafka_resp_err_t err = rd_kafka_assign(rk, parts);
	if (err) {
		ctl_fail(k->cmd, "assign: %s", rd_kafka_err2str(err));
		goto out;
	}
	int64_t deadline = mono_ms() + timeout_ms;
	rc = CTL_OK;
	while (pending && !ctl_stopping() && rc == CTL_OK) {
		if (mono_ms() > deadline) {
			rc = ctl_fail(k->cmd, "timed out after %ld ms with %zu "
					      "partition%s unread",
				      timeout_ms, pending,
				      pending == 1 ? "" : "s");
			break;
		}
		rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 100);
		if (!msg)
			continue;
		int p = msg->partition;
		if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			/* the end can lie past the last record (transaction
			 * markers): reaching it finishes the partition */
			if (!exact && p >= 0 && p < n && next[p] < hi[p] &&
			    msg->offset >= hi[p]) {
				next[p] = hi[p];
				pending--;
			}
		} else if (msg->err) {
			fprintf(stderr, "payatom-ctl %s: %s\n", k->cmd,
				rd_kafka_message_errstr(msg));
		} else if (p >= 0 && p < n && msg->offset < hi[p] &&
			   next[p] < hi[p]) {
			if (exact && msg->offset != first) {
				rc = ctl_fail(k->cmd, "no record at %s/%ld@%lld "
						      "(next is @%lld)",
					      topic, part, (long long)first,
					      (long long)msg->offset);
			} else {
				rc = fn(ud, msg);
				next[p] = msg->offset + 1;
				if (next[p] >= hi[p])
					pending--;
			}
		}
		rd_kafka_message_destroy(msg);
	}
	if (rc == CTL_OK && ctl_stopping())
		rc = CTL_FAIL;
out:
	free(hi);
	free(next);
	if (parts)
		rd_kafka_topic_partition_list_destroy(parts);
	if (rk) {
		rd_kafka_consumer_close(rk);
		rd_kafka_destroy(rk);
	}
	return rc;
}

/* ---- dlq show ---- */

static void dlq_help(FILE *fp)
{
	fprintf(fp,
		"usage: payatom-ctl dlq show [-b BOOTSTRAP] [--topic TOPIC] "
		"[--offset P:O | --all]\n"
		"                            [--registry URL] [--pretty]\n"
		"\n"
		"Prints dead letters (DeadLetter records of payatom.dlq) with "
		"their reason,\n"
		"where the original came from (topic/partition/offset/key) and "
		"the original\n"
		"payload decoded (framing, schema, value) or why it does not "
		"decode, plus\n"
		"the original bytes as base64. One JSON object per dead "
		"letter:\n"
		"  {\"dlq\":{\"topic\",\"partition\",\"offset\"},"
		"\"dead_letter\":{...},\n"
		"   \"original\":{...},\"payload_base64\":\"...\"}\n"
		"\n"
		"  --topic TOPIC   dead-letter topic (default payatom.dlq, or "
		"the config's)\n"
		"  --offset P:O    only the record at partition P, offset O\n"
		"  --all           every record up to the current end "
		"(default)\n"
		"  --pretty        indent the JSON\n"
		"  --redact        mask personal data in the output\n"
		"  --timeout MS    give up after MS (default 30000)\n"
		"\n"
		"Exit status 1 when a record of the topic is not a dead "
		"letter.\n\n");
	ctl_kafka_help(fp);
}

static int parse_pos(const char *s, long *p, long *o)
{
	const char *colon = strchr(s, ':');
	char ps[32];
	if (!colon || (size_t)(colon - s) >= sizeof ps)
		return -1;
	memcpy(ps, s, (size_t)(colon - s));
	ps[colon - s] = '\0';
	return ctl_parse_long(ps, 0, 1 << 20, p) ||
			       ctl_parse_long(colon + 1, 0, LONG_MAX, o)
		       ? -1
		       : 0;
}

/* Prints one dead letter; CTL_FAIL when it is not one. */
static int print_dead_letter(ctl_kafka_t *k, const rd_kafka_message_t *msg,
			     int pretty, int redact)
{
	char eb[PA_ERRBUF_SIZE] = "";
	json_t *dl = NULL;
	pa_err_t e = pw_codec_dlq_show(k->codec, msg->payload, msg->len, &dl,
				       eb);
	json_t *o = json_pack("{s:{s:s,s:i,s:I}}", "dlq", "topic",
			      rd_kafka_topic_name(msg->rkt), "partition",
			      (int)msg->partition, "offset",
			      (json_int_t)msg->offset);
	if (!o) {
		json_decref(dl);
		return ctl_fail(k->cmd, "out of memory");
	}
	if (e) {
		json_object_set_new(o, "error", json_string(eb));
		json_object_set_new(o, "error_name",
				    json_string(pa_err_name(e)));
	} else {
		json_object_update(o, dl);
		json_decref(dl);
	}
	char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
	json_decref(o);
	if (s && redact) {
		char *red = NULL;
		if (pw_redact_json(s, strlen(s), &red) == PA_OK) {
			free(s);
			s = red;
		}
	}
	if (s && pretty) {
		/* indented after redaction, which writes compact JSON */
		json_t *r = json_loads(s, 0, NULL);
		free(s);
		s = r ? json_dumps(r, JSON_PRESERVE_ORDER | JSON_INDENT(2))
		      : NULL;
		json_decref(r);
	}
	if (!s)
		return ctl_fail(k->cmd, "out of memory");
	puts(s);
	free(s);
	fflush(stdout);
	if (e)
		fprintf(stderr, "payatom-ctl dlq show: %s/%d@%lld is not a "
				"dead letter: %s\n",
			rd_kafka_topic_name(msg->rkt), (int)msg->partition,
			(long long)msg->offset, eb);
	return e ? CTL_FAIL : CTL_OK;
}

typedef struct show_ctx {
	ctl_kafka_t *k;
	int pretty, redact, bad;
} show_ctx_t;

static int show_one(void *ud, const rd_kafka_message_t *msg)
{
	show_ctx_t *sc = ud;
	if (print_dead_letter(sc->k, msg, sc->pretty, sc->redact))
		sc->bad++;
	return CTL_OK;
}

int ctl_dlq_show(int argc, char **argv)
{
	static const ctl_opt_t opts[] = {{"help", 'h', 0},
					 {"topic", 't', 1},
					 {"offset", 0, 1},
					 {"all", 0, 0},
					 {"pretty", 0, 0},
					 {"redact", 0, 0},
					 {"timeout", 0, 1},
					 CTL_KAFKA_OPTS,
					 {NULL, 0, 0}};
	ctl_kafka_t k = {.cmd = "dlq show"};
	const char *topic = NULL;
	long op = -1, oo = -1, timeout_ms = 30000;
	int all = 0, pretty = 0, redact = 0;
	ctl_args_t a;
	const char *v;
	int r;
	ctl_args_init(&a, k.cmd, opts, argc, argv, 2); /* dlq show ... */
	while ((r = ctl_args_next(&a, &v)) != CTL_ARG_END) {
		switch (r) {
		case CTL_ARG_BAD:
			return CTL_USAGE;
		case 0:
			dlq_help(stdout);
			return CTL_OK;
		case 1:
			topic = v;
			break;
		case 2:
			if (parse_pos(v, &op, &oo))
				return ctl_usage_error(k.cmd, "--offset wants "
							      "PARTITION:"
							      "OFFSET, not "
							      "'%s'",
						       v);
			break;
		case 3:
			all = 1;
			break;
		case 4:
			pretty = 1;
			break;
		case 5:
			redact = 1;
			break;
		case 6:
			if (ctl_opt_long(k.cmd, "timeout", v, 1, 3600000,
					 &timeout_ms))
				return CTL_USAGE;
			break;
		case CTL_ARG_POS:
			return ctl_usage_error(k.cmd, "unexpected argument "
						      "'%s'",
					       v);
		default:
			if (ctl_kafka_opt(&k, opts[r].lng, v) == CTL_ARG_BAD)
				return CTL_USAGE;
		}
	}
	if (all && op >= 0)
		return ctl_usage_error(k.cmd, "--offset and --all exclude "
					      "each other");
	int rc = ctl_kafka_open(&k, 1);
	if (rc) {
		ctl_kafka_close(&k);
		return rc;
	}
	if (!topic)
		topic = ctl_kafka_topic(&k, "topic.dlq", "payatom.dlq");
	ctl_catch_signals();
	show_ctx_t sc = {.k = &k, .pretty = pretty, .redact = redact};
	rc = ctl_read_topic(&k, topic, op, oo, oo, op >= 0, timeout_ms,
			    show_one, &sc);
	if (rc == CTL_OK && sc.bad)
		rc = CTL_FAIL;
	ctl_kafka_close(&k);
	return rc;
}
