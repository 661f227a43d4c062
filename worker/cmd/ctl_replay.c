/* ctl_replay.c -- `payatom-ctl dlq replay`: dead letters back to the topic
 *                 they came from, once their cause is fixed (a merchant
 *                 configured, a product enabled, a schema registered).
 * Owns: selecting dead letters (reason, origin topic, time, dead-letter
 *       offsets), the dry run (the default), producing each original key,
 *       payload and headers to its origin topic with a header naming the
 *       dead letter, the per-record lines and the summary.
 * Not here: reading the dead-letter topic (ctl_read.c, ctl_read_topic),
 *           decoding (serde/codec.h), why replaying twice is safe (the
 *           worker: a command for an order it knows calls no gateway;
 *           docs/events.md "Replaying dead letters"). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "payatom/crypto.h"

/* The header a replayed record carries: "<dlq topic>:<partition>:<offset>"
 * of the dead letter it was sent from (docs/events.md). */
#define REPLAY_HEADER "payatom-replay-of"
#define MAX_FILTERS 32

typedef struct sent {
	json_t *line; /* the output line, completed by the delivery report */
	int done;
	rd_kafka_resp_err_t err;
} sent_t;

typedef struct replay {
	ctl_kafka_t *k;
	const char *reasons[MAX_FILTERS], *origins[MAX_FILTERS];
	size_t n_reasons, n_origins;
	int64_t since, until; /* occurred_at bounds, ms; -1 = open */
	int execute, pretty;
	rd_kafka_t *prod;
	sent_t **sent;
	size_t n_sent, cap_sent;
	size_t read, selected;
	size_t bad; /* not a dead letter, or nothing to send */
} replay_t;

static void replay_help(FILE *fp)
{
	fprintf(fp,
		"usage: payatom-ctl dlq replay [-b BOOTSTRAP] [--topic TOPIC]\n"
		"         [--reason REASON[,...]] [--origin TOPIC] [--since T] "
		"[--until T]\n"
		"         [--offsets P:FROM-TO] [--execute] [--pretty] "
		"[--timeout MS]\n"
		"\n"
		"Sends dead letters back to the topic their original record "
		"came from, once\n"
		"the cause is fixed: the original key, payload and headers, "
		"plus a header\n"
		"  " REPLAY_HEADER ": <dead-letter topic>:<partition>:<offset>\n"
		"naming the dead letter. Without --execute it is a dry run: "
		"it prints what\n"
		"it would send and sends nothing. Replaying the same dead "
		"letter twice is\n"
		"safe: the worker does not call the gateway again for an "
		"order it knows\n"
		"(docs/events.md). The dead-letter topic is read up to its "
		"current end;\n"
		"filters combine with AND, a repeated filter with OR.\n"
		"\n"
		"  --topic TOPIC      dead-letter topic (default payatom.dlq, "
		"or the config's)\n"
		"  --reason R[,R]     only these reasons (UNKNOWN_MERCHANT, "
		"UNSUPPORTED_PRODUCT, ...)\n"
		"  --origin TOPIC     only dead letters of records read from "
		"TOPIC\n"
		"  --since T          only dead letters written at or after T\n"
		"  --until T          only dead letters written before T\n"
		"                     T: ISO-8601 UTC (2026-12-01T10:00:00Z) "
		"or a duration ago (2h)\n"
		"  --offsets P:FROM-TO  only dead-letter partition P, offsets "
		"FROM..TO\n"
		"                     (inclusive; FROM or TO may be left out)\n"
		"  --execute          send them (default: dry run)\n"
		"  --pretty           indent the JSON lines\n"
		"  --timeout MS       give up after MS (default 30000)\n"
		"\n"
		"One JSON line per selected dead letter: {\"dlq\":{topic, "
		"partition, offset},\n"
		"\"reason\", \"message\", \"order_id\", \"command_id\", "
		"\"origin\":{topic, partition,\n"
		"offset}, \"key\", \"action\": \"dry-run\" | \"sent\" | "
		"\"failed\", \"sent\":{topic,\n"
		"partition, offset}}; a summary on stderr. Exit status 1 when a "
		"send failed\n"
		"or a record of the topic is not a dead letter.\n\n");
	ctl_kafka_help(fp);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --since/--until: an ISO-8601 UTC time, or a duration ago ("2h"). */
static int parse_time(const char *opt, const char *v, int64_t *ms)
{
	int64_t ago;
	if (pw_codec_time_ms(v, ms) == PA_OK)
		return 0;
	if (pw_cfg_parse_duration_ms(v, &ago) == PA_OK) {
		*ms = wall_ms() - ago;
		return 0;
	}
	return ctl_usage_error("dlq replay", "--%s wants an ISO-8601 UTC time "
					     "(2026-12-01T10:00:00Z) or a "
					     "duration ago (2h), not '%s'",
			       opt, v);
}

/* --offsets P:FROM-TO (FROM or TO may be empty; "P:O" is one offset). */
static int parse_offsets(const char *v, long *part, int64_t *from, int64_t *to)
{
	char buf[64];
	long a = 0, b = -1;
	const char *colon = strchr(v, ':');
	if (!colon || strlen(v) >= sizeof buf)
		goto bad;
	memcpy(buf, v, (size_t)(colon - v));
	buf[colon - v] = '\0';
	if (ctl_parse_long(buf, 0, 1 << 20, part))
		goto bad;
	const char *range = colon + 1, *dash = strchr(range, '-');
	if (!dash) {
		if (ctl_parse_long(range, 0, LONG_MAX, &a))
			goto bad;
		b = a;
	} else {
		snprintf(buf, sizeof buf, "%.*s", (int)(dash - range), range);
		if ((*buf && ctl_parse_long(buf, 0, LONG_MAX, &a)) ||
		    (dash[1] && ctl_parse_long(dash + 1, 0, LONG_MAX, &b)) ||
		    (!*buf && !dash[1]) || (dash[1] && b < a))
			goto bad;
	}
	*from = a;
	*to = b;
	return 0;
bad:
	return ctl_usage_error("dlq replay", "--offsets wants PARTITION:FROM-TO "
					     "(e.g. 0:120-180, 0:120-, 0:-180 "
					     "or 0:150), not '%s'",
			       v);
}

static int listed(const char *const *list, size_t n, const char *s)
{
	if (!n)
		return 1;
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

static int selected(const replay_t *rp, const json_t *dl)
{
	json_int_t at = json_integer_value(json_object_get(dl, "occurred_at"));
	return listed(rp->reasons, rp->n_reasons,
		      json_string_value(json_object_get(dl, "reason"))) &&
	       listed(rp->origins, rp->n_origins,
		      json_string_value(json_object_get(dl, "topic"))) &&
	       (rp->since < 0 || at >= rp->since) &&
	       (rp->until < 0 || at < rp->until);
}

/* The base64 bytes field of a decoded DeadLetter (key may be null).
 * *out: new (caller frees with free()), NULL for null. */
static pa_err_t field_bytes(const json_t *dl, const char *name, uint8_t **out,
			    size_t *len)
{
	const char *b = json_string_value(json_object_get(dl, name));
	*out = NULL;
	*len = 0;
	if (!b)
		return json_is_null(json_object_get(dl, name)) ? PA_OK
							       : PA_PARSE;
	return pa_base64_decode(b, strlen(b), out, len, NULL);
}

/* The original's headers minus what described the dead letter or an
 * earlier replay (ce_* of CloudEvents, content-type, payatom-replay-of),
 * plus REPLAY_HEADER naming this one. New. */
static rd_kafka_headers_t *replay_headers(const rd_kafka_message_t *msg,
					  const char *name_of_dl)
{
	rd_kafka_headers_t *in = NULL, *out;
	rd_kafka_message_headers(msg, &in);
	out = rd_kafka_headers_new(in ? rd_kafka_header_cnt(in) + 1 : 1);
	const char *name;
	const void *val;
	size_t size;
	for (size_t i = 0;
	     in && !rd_kafka_header_get_all(in, i, &name, &val, &size); i++) {
		if (!strncmp(name, "ce_", 3) || !strcmp(name, "content-type") ||
		    !strcmp(name, REPLAY_HEADER))
			continue;
		rd_kafka_header_add(out, name, -1, val, (ssize_t)size);
	}
	rd_kafka_header_add(out, REPLAY_HEADER, -1, name_of_dl, -1);
	return out;
}

static int print_line(replay_t *rp, json_t *line)
{
	char *s = json_dumps(line, JSON_PRESERVE_ORDER |
					   (rp->pretty ? JSON_INDENT(2)
						       : JSON_COMPACT));
	if (!s)
		return ctl_fail(rp->k->cmd, "out of memory");
	puts(s);
	free(s);
	return fflush(stdout) ? ctl_fail(rp->k->cmd, "cannot write to stdout")
			      : CTL_OK;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg,
			void *opaque)
{
	(void)rk;
	(void)opaque;
	sent_t *st = msg->_private;
	st->done = 1;
	st->err = msg->err;
	if (!msg->err)
		json_object_set_new(
			st->line, "sent",
			json_pack("{s:s, s:i, s:I}", "topic",
				  rd_kafka_topic_name(msg->rkt), "partition",
				  (int)msg->partition, "offset",
				  (json_int_t)msg->offset));
}

static int send_original(replay_t *rp, const rd_kafka_message_t *msg,
			 const json_t *dl, json_t *line, const char *dl_name)
{
	uint8_t *key = NULL, *payload = NULL;
	size_t klen = 0, plen = 0;
	const char *origin = json_string_value(json_object_get(dl, "topic"));
	if (!origin || field_bytes(dl, "key", &key, &klen) ||
	    field_bytes(dl, "payload", &payload, &plen) || !payload) {
		free(key);
		free(payload);
		json_object_set_new(line, "action", json_string("failed"));
		json_object_set_new(line, "error",
				    json_string("no origin topic or payload"));
		return CTL_FAIL;
	}
	if (rp->n_sent == rp->cap_sent) {
		size_t cap = rp->cap_sent ? 2 * rp->cap_sent : 64;
		sent_t **ns = realloc(rp->sent, cap * sizeof *ns);
		if (!ns) {
			free(key);
			free(payload);
			return ctl_fail(rp->k->cmd, "out of memory");
		}
		rp->sent = ns;
		rp->cap_sent = cap;
	}
	sent_t *st = calloc(1, sizeof *st);
	if (!st) {
		free(key);
		free(payload);
		return ctl_fail(rp->k->cmd, "out of memory");
	}
	st->line = json_incref(line);
	rp->sent[rp->n_sent++] = st;
	rd_kafka_headers_t *hdrs = replay_headers(msg, dl_name);
	rd_kafka_resp_err_t err;
	for (;;) {
		err = rd_kafka_producev(rp->prod, RD_KAFKA_V_TOPIC(origin),
					RD_KAFKA_V_KEY(key, klen),
					RD_KAFKA_V_VALUE(payload, plen),
					RD_KAFKA_V_HEADERS(hdrs),
					RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
					RD_KAFKA_V_OPAQUE(st), RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(rp->prod, 100);
	}
	free(key);
	free(payload);
	if (err) { /* the headers are still ours */
		rd_kafka_headers_destroy(hdrs);
		st->done = 1;
		st->err = err;
	}
	rd_kafka_poll(rp->prod, 0);
	return CTL_OK;
}

static int replay_one(void *ud, const rd_kafka_message_t *msg)
{
	replay_t *rp = ud;
	char eb[PA_ERRBUF_SIZE] = "";
	json_t *dl = NULL;
	const char *topic = rd_kafka_topic_name(msg->rkt);
	rp->read++;
	if (pw_codec_decode(rp->k->codec, "DeadLetter", msg->payload, msg->len,
			    &dl, NULL, eb) != PA_OK) {
		rp->bad++;
		fprintf(stderr, "payatom-ctl dlq replay: %s/%d@%lld is not a "
				"dead letter: %s\n",
			topic, (int)msg->partition, (long long)msg->offset, eb);
		return CTL_OK;
	}
	if (!selected(rp, dl)) {
		json_decref(dl);
		return CTL_OK;
	}
	rp->selected++;
	char name[300];
	snprintf(name, sizeof name, "%s:%d:%lld", topic, (int)msg->partition,
		 (long long)msg->offset);
	const json_t *key = json_object_get(dl, "key");
	uint8_t *kb = NULL;
	size_t kl = 0;
	json_t *ktext = NULL;
	if (field_bytes(dl, "key", &kb, &kl) == PA_OK && kb)
		ktext = json_stringn((const char *)kb, kl); /* NULL: not UTF-8 */
	free(kb);
	json_t *line = json_pack(
		"{s:{s:s, s:i, s:I}, s:O, s:O, s:O, s:O, s:O, s:{s:O, s:O, s:O}}",
		"dlq", "topic", topic, "partition", (int)msg->partition,
		"offset", (json_int_t)msg->offset, "reason",
		json_object_get(dl, "reason"), "message",
		json_object_get(dl, "message"), "order_id",
		json_object_get(dl, "order_id"), "command_id",
		json_object_get(dl, "command_id") ? json_object_get(dl, "command_id")
						  : json_null(),
		"occurred_at", json_object_get(dl, "occurred_at"), "origin",
		"topic", json_object_get(dl, "topic"), "partition",
		json_object_get(dl, "partition"), "offset",
		json_object_get(dl, "offset"));
	if (!line) {
		json_decref(ktext);
		json_decref(dl);
		return ctl_fail(rp->k->cmd, "out of memory");
	}
	json_object_set_new(line, "key", ktext ? ktext
					       : json_is_string(key)
							 ? json_pack("{s:O}", "base64", key)
							 : json_null());
	int rc = CTL_OK;
	if (json_is_integer(json_object_get(dl, "payload_length"))) {
		/* the bounded form carries only the record's beginning:
		 * sending it would dead-letter a cut record */
		json_object_set_new(line, "action",
				    json_string("skipped: payload cut (bounded "
						"dead letter), replay from its "
						"producer"));
		rc = print_line(rp, line);
	} else if (!rp->execute) {
		json_object_set_new(line, "action", json_string("dry-run"));
		rc = print_line(rp, line);
	} else {
		rc = send_original(rp, msg, dl, line, name);
		if (rc == CTL_FAIL && json_object_get(line, "error")) {
			print_line(rp, line);
			rc = CTL_OK; /* counted in the summary */
			rp->bad++;
		}
	}
	json_decref(line);
	json_decref(dl);
	return rc;
}

/* Waits for every delivery report, prints the lines of the sent records
 * in the order they were read; *ok gets the number delivered, the return
 * value the number that failed. */
static size_t finish_sends(replay_t *rp, size_t *ok)
{
	while (rp->prod && rd_kafka_outq_len(rp->prod) > 0 && !ctl_stopping())
		rd_kafka_flush(rp->prod, 200);
	if (rp->prod)
		rd_kafka_poll(rp->prod, 0);
	size_t failed = 0;
	for (size_t i = 0; i < rp->n_sent; i++) {
		sent_t *st = rp->sent[i];
		if (!st->done || st->err) {
			failed++;
			json_object_set_new(st->line, "action",
					    json_string("failed"));
			json_object_set_new(
				st->line, "error",
				json_string(st->done ? rd_kafka_err2str(st->err)
						     : "no delivery report "
						       "(interrupted)"));
		} else {
			(*ok)++;
			json_object_set_new(st->line, "action",
					    json_string("sent"));
		}
		print_line(rp, st->line);
		json_decref(st->line);
		free(st);
	}
	free(rp->sent);
	rp->sent = NULL;
	rp->n_sent = 0;
	return failed;
}

/* REASON[,REASON...] appended to the filter. */
static int add_list(const char *opt, const char **list, size_t *n, char *v)
{
	for (char *save = NULL, *t = strtok_r(v, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_FILTERS)
			return ctl_usage_error("dlq replay", "at most %d --%s "
							     "values",
					       MAX_FILTERS, opt);
		list[(*n)++] = t;
	}
	return 0;
}

int ctl_dlq_replay(int argc, char **argv)
{
	static const ctl_opt_t opts[] = {{"help", 'h', 0},
					 {"topic", 't', 1},
					 {"reason", 0, 1},
					 {"origin", 0, 1},
					 {"since", 0, 1},
					 {"until", 0, 1},
					 {"offsets", 0, 1},
					 {"execute", 0, 0},
					 {"pretty", 0, 0},
					 {"timeout", 0, 1},
					 CTL_KAFKA_OPTS,
					 {NULL, 0, 0}};
	ctl_kafka_t k = {.cmd = "dlq replay"};
	replay_t rp = {.k = &k, .since = -1, .until = -1};
	const char *topic = NULL;
	long part = -1, timeout_ms = 30000;
	int64_t from = 0, to = -1;
	char *lists[2 * MAX_FILTERS];
	size_t n_lists = 0;
	ctl_args_t a;
	const char *v;
	int r, rc = CTL_OK;
	ctl_args_init(&a, k.cmd, opts, argc, argv, 2);
	while (rc == CTL_OK && (r = ctl_args_next(&a, &v)) != CTL_ARG_END) {
		switch (r) {
		case CTL_ARG_BAD:
			rc = CTL_USAGE;
			break;
		case 0:
			replay_help(stdout);
			goto out;
		case 1:
			topic = v;
			break;
		case 2:
		case 3:
			if (n_lists == sizeof lists / sizeof lists[0] ||
			    !(lists[n_lists] = strdup(v))) {
				rc = ctl_usage_error(k.cmd, "too many filters");
				break;
			}
			rc = r == 2 ? add_list("reason", rp.reasons,
					       &rp.n_reasons, lists[n_lists++])
				    : add_list("origin", rp.origins,
					       &rp.n_origins, lists[n_lists++]);
			break;
		case 4:
			rc = parse_time("since", v, &rp.since);
			break;
		case 5:
			rc = parse_time("until", v, &rp.until);
			break;
		case 6:
			rc = parse_offsets(v, &part, &from, &to);
			break;
		case 7:
			rp.execute = 1;
			break;
		case 8:
			rp.pretty = 1;
			break;
		case 9:
			if (ctl_opt_long(k.cmd, "timeout", v, 1, 3600000,
					 &timeout_ms))
				rc = CTL_USAGE;
			break;
		case CTL_ARG_POS:
			rc = ctl_usage_error(k.cmd, "unexpected argument '%s'",
					     v);
			break;
		default:
			if (ctl_kafka_opt(&k, opts[r].lng, v) == CTL_ARG_BAD)
				rc = CTL_USAGE;
		}
	}
	if (rc != CTL_OK)
		goto out;
	if (rp.since >= 0 && rp.until >= 0 && rp.until <= rp.since) {
		rc = ctl_usage_error(k.cmd, "--until must be after --since");
		goto out;
	}
	if ((rc = ctl_kafka_open(&k, 1)) != CTL_OK)
		goto out;
	if (!topic)
		topic = ctl_kafka_topic(&k, "topic.dlq", "payatom.dlq");
	if (rp.execute && !(rp.prod = ctl_kafka_producer(&k, timeout_ms,
							 on_delivery))) {
		rc = CTL_FAIL;
		goto out;
	}
	ctl_catch_signals();
	rc = ctl_read_topic(&k, topic, part, from, to, 0, timeout_ms,
			    replay_one, &rp);
	size_t sent = 0, failed = finish_sends(&rp, &sent);
	fprintf(stderr,
		"payatom-ctl dlq replay: %zu record%s read from %s, %zu "
		"selected, %s%zu sent, %zu failed, %zu not replayable%s\n",
		rp.read, rp.read == 1 ? "" : "s", topic, rp.selected,
		rp.execute ? "" : "dry run: ", sent, failed, rp.bad,
		rp.execute || !rp.selected ? "" : " (add --execute to send them)");
	if (rc == CTL_OK && (failed || rp.bad))
		rc = CTL_FAIL;
out:
	if (rp.prod)
		rd_kafka_destroy(rp.prod);
	for (size_t i = 0; i < n_lists; i++)
		free(lists[i]);
	ctl_kafka_close(&k);
	return rc;
}
