/* ctl_kafka.c -- payatom-ctl's Kafka plumbing and `send`.
 * Owns: the settings shared by the Kafka subcommands (bootstrap, -X,
 *       --config, registry, codec), the topic names of the worker, the
 *       signal flag, encoding and producing commands.
 * Not here: hosting the mock cluster (ctl_mock.c), reading topics
 *           (ctl_read.c: tail, dlq show), the codec and its framings
 *           (serde/codec.h). */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/config_kafka.h"
#include "core/config_worker.h"
#include "ctl.h"
#include "kafka/worker.h"

/* ---- signals ---- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int ctl_stopping(void)
{
	return stop_flag != 0;
}

void ctl_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- the worker's topics ---- */

/* Config key of each topic and its default (pw_worker_opts_default()). */
static const struct {
	const char *key;
	size_t off;
} topic_keys[] = {
	{"topic.cmd.payin", offsetof(pw_worker_opts_t, topic_cmd_payin)},
	{"topic.cmd.payout", offsetof(pw_worker_opts_t, topic_cmd_payout)},
	{"topic.cmd.complaint",
	 offsetof(pw_worker_opts_t, topic_cmd_complaint)},
	{"topic.evt.payment", offsetof(pw_worker_opts_t, topic_evt_payment)},
	{"topic.evt.refund", offsetof(pw_worker_opts_t, topic_evt_refund)},
	{"topic.evt.complaint",
	 offsetof(pw_worker_opts_t, topic_evt_complaint)},
	{"topic.evt.report", offsetof(pw_worker_opts_t, topic_evt_report)},
	{"topic.dlq", offsetof(pw_worker_opts_t, topic_dlq)},
	{"topic.int.webhook", offsetof(pw_worker_opts_t, topic_int_webhook)},
	{"topic.int.state", offsetof(pw_worker_opts_t, topic_int_state)},
};
#define N_TOPICS (sizeof topic_keys / sizeof topic_keys[0])

size_t ctl_worker_topic_count(void)
{
	return N_TOPICS;
}

const char *ctl_worker_topic(const pw_config_t *cfg, size_t i)
{
	const char *v = cfg ? pw_config_value(cfg, topic_keys[i].key) : NULL;
	if (v && *v)
		return v;
	pw_worker_opts_t o;
	pw_worker_opts_default(&o);
	return *(const char *const *)((const char *)&o + topic_keys[i].off);
}

const char *ctl_kafka_topic(const ctl_kafka_t *k, const char *key,
			    const char *def)
{
	for (size_t i = 0; i < N_TOPICS; i++)
		if (!strcmp(topic_keys[i].key, key))
			return ctl_worker_topic(k ? k->cfg : NULL, i);
	return def;
}

pw_config_t *ctl_load_worker_config(const char *cmd, const char *file)
{
	char eb[PA_ERRBUF_SIZE];
	pw_config_t *cfg = NULL;
	if (pw_config_new(pw_config_worker_table(), &cfg, eb) ||
	    pw_config_load_file(cfg, file, eb) ||
	    pw_config_load_env(cfg, NULL, eb) || pw_config_finalize(cfg, eb)) {
		ctl_fail(cmd, "%s", eb);
		pw_config_destroy(cfg);
		return NULL;
	}
	return cfg;
}

/* ---- settings shared by send, tail, dlq ---- */

void ctl_kafka_help(FILE *fp)
{
	fprintf(fp,
		"Connection options:\n"
		"  -b, --bootstrap HOST:PORT[,...]  Kafka bootstrap servers "
		"(default\n"
		"                        $PAYATOM_BOOTSTRAP, else the "
		"config's brokers)\n"
		"  -X, --property K=V    librdkafka property, repeatable "
		"(security.protocol,\n"
		"                        sasl.mechanisms, ...)\n"
		"  --registry URL        Schema Registry (Confluent framing)\n"
		"  --config FILE         a worker config file: brokers, "
		"kafka.*, serialization,\n"
		"                        schema.registry.*, topic.* are taken "
		"from it (and\n"
		"                        from PAYATOM_* variables, as the "
		"worker does)\n"
		"  --schemas-dir DIR     also know the *.avsc writer schemas in "
		"DIR (released\n"
		"                        versions), so single-object records "
		"written with\n"
		"                        them decode\n");
}

int ctl_kafka_opt(ctl_kafka_t *k, const char *name, const char *val)
{
	if (!strcmp(name, "bootstrap"))
		k->bootstrap = val;
	else if (!strcmp(name, "registry"))
		k->registry_url = val;
	else if (!strcmp(name, "config"))
		k->config_file = val;
	else if (!strcmp(name, "schemas-dir"))
		k->schemas_dir = val;
	else if (!strcmp(name, "property")) {
		if (!strchr(val, '=') || val[0] == '=') {
			ctl_usage_error(k->cmd, "-X wants PROPERTY=VALUE, got "
						"'%s'",
					val);
			return CTL_ARG_BAD;
		}
		if (k->nx == CTL_MAX_X) {
			ctl_usage_error(k->cmd, "too many -X");
			return CTL_ARG_BAD;
		}
		k->x[k->nx++] = val;
	} else
		return 0;
	return 1;
}

int ctl_kafka_open(ctl_kafka_t *k, int need_bootstrap)
{
	char eb[PA_ERRBUF_SIZE];
	pw_codec_conf_t cc = {0};
	if (k->config_file) {
		k->cfg = ctl_load_worker_config(k->cmd, k->config_file);
		if (!k->cfg)
			return CTL_FAIL;
	}
	const pw_worker_conf_t *wc = k->cfg ? pw_config_struct(k->cfg) : NULL;
	if (!k->bootstrap || !*k->bootstrap)
		k->bootstrap = getenv("PAYATOM_BOOTSTRAP");
	if ((!k->bootstrap || !*k->bootstrap) && wc && wc->brokers &&
	    *wc->brokers)
		k->bootstrap = wc->brokers;
	if (need_bootstrap && (!k->bootstrap || !*k->bootstrap) &&
	    !(k->cfg && pw_config_value(k->cfg, "kafka.bootstrap.servers")))
		return ctl_usage_error(k->cmd, "no Kafka given: use -b "
					       "HOST:PORT or set "
					       "PAYATOM_BOOTSTRAP");
	const char *ser = k->serialization;
	if (ser && strcmp(ser, "avro") && strcmp(ser, "json"))
		return ctl_usage_error(k->cmd, "--serialization is avro or "
					       "json, not '%s'",
				       ser);
	cc.serialization = ser ? (!strcmp(ser, "json") ? PW_SER_JSON
						       : PW_SER_AVRO)
			       : (wc && wc->serialization == PW_SERDE_JSON
					  ? PW_SER_JSON
					  : PW_SER_AVRO);
	const char *url = k->registry_url;
	if (!url && wc && wc->schema_registry_url &&
	    *wc->schema_registry_url)
		url = wc->schema_registry_url;
	if (url) {
		pw_registry_conf_t rc = {0};
		char user[256] = "";
		rc.url = url;
		/* the worker's registry modes, so that a read-only registry
		 * works for `send` too */
		rc.auto_register = wc ? wc->schema_registry_auto_register : 1;
		rc.use_latest = wc && wc->schema_registry_use_latest_version &&
				!rc.auto_register;
		if (wc && wc->schema_registry_ca_location &&
		    *wc->schema_registry_ca_location)
			rc.ca_file = wc->schema_registry_ca_location;
		if (wc && wc->schema_registry_basic_auth) {
			const char *ui = wc->schema_registry_basic_auth;
			const char *colon = strchr(ui, ':');
			size_t ul = colon ? (size_t)(colon - ui) : strlen(ui);
			if (ul >= sizeof user)
				return ctl_fail(k->cmd, "schema.registry.basic."
							"auth: user too long");
			memcpy(user, ui, ul);
			user[ul] = '\0';
			rc.user = user;
			rc.password = colon ? colon + 1 : "";
		}
		if (pw_registry_new(&rc, &k->reg, eb))
			return ctl_fail(k->cmd, "registry: %s", eb);
		cc.registry = k->reg;
	}
	if (pw_codec_new(&cc, &k->codec, eb))
		return ctl_fail(k->cmd, "%s", eb);
	if (k->schemas_dir &&
	    pw_codec_add_schema_dir(k->codec, k->schemas_dir, eb))
		return ctl_fail(k->cmd, "--schemas-dir: %s", eb);
	return CTL_OK;
}

/* librdkafka already logs each connection failure once (FAIL); its
 * default error callback would repeat them. Only fatal errors are news. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *ud)
{
	(void)ud;
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		fprintf(stderr, "payatom-ctl: kafka: %s (%s)\n", reason,
			rd_kafka_name(rk));
}

rd_kafka_conf_t *ctl_kafka_conf(ctl_kafka_t *k)
{
	char es[512], eb[PA_ERRBUF_SIZE];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "client.id", "payatom-ctl", NULL, 0);
	/* librdkafka's own logs: warnings and errors only (no secrets:
	 * librdkafka never logs credentials) */
	rd_kafka_conf_set(c, "log_level", "4", NULL, 0);
	rd_kafka_conf_set_error_cb(c, on_error);
	if (k->bootstrap && *k->bootstrap &&
	    rd_kafka_conf_set(c, "bootstrap.servers", k->bootstrap, es,
			      sizeof es) != RD_KAFKA_CONF_OK) {
		ctl_fail(k->cmd, "bootstrap: %s", es);
		goto bad;
	}
	if (k->cfg && pw_config_apply_kafka(k->cfg, c, eb)) {
		ctl_fail(k->cmd, "%s", eb);
		goto bad;
	}
	for (size_t i = 0; i < k->nx; i++) {
		char prop[256];
		const char *eq = strchr(k->x[i], '=');
		size_t pl = (size_t)(eq - k->x[i]);
		if (pl >= sizeof prop) {
			ctl_usage_error(k->cmd, "-X property name too long");
			goto bad;
		}
		memcpy(prop, k->x[i], pl);
		prop[pl] = '\0';
		if (rd_kafka_conf_set(c, prop, eq + 1, es, sizeof es) !=
		    RD_KAFKA_CONF_OK) {
			/* the value is not repeated: it may be a password */
			ctl_fail(k->cmd, "-X %s: %s", prop, es);
			goto bad;
		}
	}
	return c;
bad:
	rd_kafka_conf_destroy(c);
	return NULL;
}

void ctl_kafka_close(ctl_kafka_t *k)
{
	pw_codec_destroy(k->codec);
	pw_registry_destroy(k->reg);
	pw_config_destroy(k->cfg);
	k->codec = NULL;
	k->reg = NULL;
	k->cfg = NULL;
}

/* ---- send ---- */

static void send_help(FILE *fp)
{
	fprintf(fp,
		"usage: payatom-ctl send [-b BOOTSTRAP] [-t TOPIC] "
		"[--serialization avro|json]\n"
		"                        [--registry URL] [-k KEY] FILE|-\n"
		"\n"
		"Reads JSON commands from FILE (or stdin for -): one per "
		"line, a sequence\n"
		"of JSON documents, or a JSON array of them. Each is checked "
		"against the\n"
		"schema named by its \"type\" (payin, payout, utr_submit, "
		"status_check,\n"
		"refund, complaint_submit, complaint_status, report_request; "
		"events by\n"
		"\"event_type\") and encoded: Avro single-object by default, "
		"Confluent\n"
		"framing with --registry, or JSON. Nothing is produced unless "
		"every\n"
		"record is valid. Prints `sent TOPIC/PARTITION@OFFSET KEY` per "
		"record.\n"
		"\n"
		"  -t, --topic TOPIC     topic for every record (default: by "
		"type; payin,\n"
		"                        utr_submit, refund, status_check, "
		"report_request ->\n"
		"                        payatom.cmd.payin; payout -> "
		"payatom.cmd.payout;\n"
		"                        complaint_* -> payatom.cmd.complaint; "
		"events to their\n"
		"                        payatom.evt.* topic, dead letters to "
		"payatom.dlq)\n"
		"  -k, --key KEY         record key (default: order_id, else "
		"command_id)\n"
		"  --serialization avro|json\n"
		"                        encoding (default avro, or the "
		"config's)\n"
		"  --timeout MS          give up delivery after MS (default "
		"30000)\n"
		"\n"
		"A status_check for a payout goes to payatom.cmd.payout: give "
		"-t.\n"
		"The producer is idempotent and uses the murmur2_random "
		"partitioner\n"
		"(the Java client's), so a key lands on the partition any "
		"Java or\n"
		"librdkafka producer would pick.\n\n");
	ctl_kafka_help(fp);
}

/* Config key of the default topic of a record, by its discriminator. */
static const char *topic_key_for(const json_t *rec)
{
	static const struct {
		const char *field, *value, *key;
	} map[] = {
		{"type", "payin", "topic.cmd.payin"},
		{"type", "utr_submit", "topic.cmd.payin"},
		{"type", "refund", "topic.cmd.payin"},
		{"type", "status_check", "topic.cmd.payin"},
		{"type", "report_request", "topic.cmd.payin"},
		{"type", "payout", "topic.cmd.payout"},
		{"type", "complaint_submit", "topic.cmd.complaint"},
		{"type", "complaint_status", "topic.cmd.complaint"},
		{"event_type", "payment", "topic.evt.payment"},
		{"event_type", "refund", "topic.evt.refund"},
		{"event_type", "complaint", "topic.evt.complaint"},
		{"event_type", "reconciliation", "topic.evt.report"},
		{"event_type", "wallet_report", "topic.evt.report"},
		{"event_type", "dead_letter", "topic.dlq"},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		const char *v =
			json_string_value(json_object_get(rec, map[i].field));
		if (v && !strcmp(v, map[i].value))
			return map[i].key;
	}
	return NULL;
}

typedef struct send_rec {
	size_t line;
	const char *topic; /* borrowed (config, argv or static) */
	char *key;
	uint8_t *val;
	size_t len;
	/* delivery report */
	int done;
	rd_kafka_resp_err_t err;
	int32_t partition;
	int64_t offset;
} send_rec_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg,
			void *opaque)
{
	(void)rk;
	(void)opaque;
	send_rec_t *sr = msg->_private;
	sr->done = 1;
	sr->err = msg->err;
	sr->partition = msg->partition;
	sr->offset = msg->offset;
}

static char *read_all(FILE *fp, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, fp);
		n += got;
		if (n < cap) {
			if (ferror(fp)) {
				free(buf);
				return NULL;
			}
			break;
		}
		char *nb = realloc(buf, cap * 2 + 1);
		if (!nb) {
			free(buf);
			return NULL;
		}
		buf = nb;
		cap *= 2;
	}
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* Line number of buf[off], counting on from an earlier position (*at,
 * *line) so that a whole file costs one pass. */
static size_t line_of(const char *buf, size_t off, size_t *at, size_t *line)
{
	for (; *at < off; (*at)++)
		*line += buf[*at] == '\n';
	return *line;
}

/* Parses buf as a sequence of JSON values (JSON lines, concatenated
 * documents, or one array whose elements are the records) into a new
 * array. NULL after printing the error. */
static json_t *parse_records(const char *cmd, const char *name,
			     const char *buf, size_t len, json_t **lines)
{
	json_t *recs = json_array();
	*lines = json_array();
	size_t off = 0, at = 0, line = 1;
	for (;;) {
		while (off < len && (buf[off] == ' ' || buf[off] == '\t' ||
				     buf[off] == '\r' || buf[off] == '\n'))
			off++;
		if (off >= len)
			break;
		json_error_t je;
		json_t *v = json_loadb(buf + off, len - off,
				       JSON_DISABLE_EOF_CHECK, &je);
		if (!v) {
			ctl_fail(cmd, "%s:%zu: not JSON: %s", name,
				 line_of(buf, off, &at, &line) +
					 (size_t)je.line - 1,
				 je.text);
			goto bad;
		}
		size_t ln = line_of(buf, off, &at, &line);
		if (json_is_array(v)) {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e)
			{
				json_array_append(recs, e);
				json_array_append_new(*lines,
						      json_integer((json_int_t)ln));
			}
			json_decref(v);
		} else {
			json_array_append_new(recs, v);
			json_array_append_new(*lines,
					      json_integer((json_int_t)ln));
		}
		off += je.position;
	}
	if (!json_array_size(recs)) {
		ctl_fail(cmd, "%s: no JSON record", name);
		goto bad;
	}
	return recs;
bad:
	json_decref(recs);
	json_decref(*lines);
	*lines = NULL;
	return NULL;
}

/* Encodes every record; fills srs. CTL_OK or CTL_FAIL (printed). */
static int encode_all(ctl_kafka_t *k, const char *name, json_t *recs,
		      json_t *lines, const char *topic, const char *key,
		      send_rec_t *srs)
{
	char eb[PA_ERRBUF_SIZE];
	size_t i;
	json_t *rec;
	json_array_foreach(recs, i, rec)
	{
		send_rec_t *sr = &srs[i];
		sr->line = (size_t)json_integer_value(json_array_get(lines, i));
		if (!json_is_object(rec))
			return ctl_fail(k->cmd, "%s:%zu: a record is a JSON "
						"object",
					name, sr->line);
		sr->topic = topic;
		if (!sr->topic) {
			const char *tk = topic_key_for(rec);
			if (!tk)
				return ctl_fail(k->cmd,
						"%s:%zu: no known \"type\" "
						"(payin, payout, utr_submit, "
						"status_check, refund, "
						"complaint_submit, "
						"complaint_status, "
						"report_request) or "
						"\"event_type\": give -t TOPIC "
						"and a type",
						name, sr->line);
			sr->topic = ctl_kafka_topic(k, tk, NULL);
		}
		const char *kv = key;
		if (!kv)
			kv = json_string_value(json_object_get(rec, "order_id"));
		if (!kv)
			kv = json_string_value(
				json_object_get(rec, "command_id"));
		if (kv && !(sr->key = strdup(kv)))
			return ctl_fail(k->cmd, "out of memory");
		pa_err_t e = pw_codec_encode(k->codec, sr->topic, NULL, rec,
					     &sr->val, &sr->len, eb);
		if (e)
			return ctl_fail(k->cmd, "%s:%zu: %s (%s)", name,
					sr->line, eb, pa_err_name(e));
	}
	return CTL_OK;
}

rd_kafka_t *ctl_kafka_producer(ctl_kafka_t *k, long timeout_ms,
			       void (*dr)(rd_kafka_t *,
					  const rd_kafka_message_t *, void *))
{
	char es[512], tmo[32];
	rd_kafka_conf_t *c = ctl_kafka_conf(k);
	if (!c)
		return NULL;
	snprintf(tmo, sizeof tmo, "%ld", timeout_ms);
	/* ours first where -X / kafka.* may not override correctness */
	if (rd_kafka_conf_set(c, "partitioner", "murmur2_random", es,
			      sizeof es) ||
	    rd_kafka_conf_set(c, "enable.idempotence", "true", es,
			      sizeof es) ||
	    rd_kafka_conf_set(c, "message.timeout.ms", tmo, es, sizeof es)) {
		rd_kafka_conf_destroy(c);
		ctl_fail(k->cmd, "producer config: %s", es);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(c, dr);
	rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	if (!p) {
		rd_kafka_conf_destroy(c);
		ctl_fail(k->cmd, "producer: %s", es);
	}
	return p;
}

static int produce_all(ctl_kafka_t *k, const char *name, send_rec_t *srs,
		       size_t n, long timeout_ms)
{
	rd_kafka_t *p = ctl_kafka_producer(k, timeout_ms, on_delivery);
	if (!p)
		return CTL_FAIL;
	int rc = CTL_OK;
	size_t queued = 0;
	for (size_t i = 0; i < n && !ctl_stopping(); i++) {
		send_rec_t *sr = &srs[i];
		rd_kafka_resp_err_t err;
		for (;;) {
			err = rd_kafka_producev(
				p, RD_KAFKA_V_TOPIC(sr->topic),
				RD_KAFKA_V_KEY(sr->key, sr->key ? strlen(sr->key)
								: 0),
				RD_KAFKA_V_VALUE(sr->val, sr->len),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_OPAQUE(sr), RD_KAFKA_V_END);
			if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
				break;
			rd_kafka_poll(p, 100);
		}
		if (err) {
			rc = ctl_fail(k->cmd, "%s:%zu: cannot produce to %s: "
					      "%s",
				      name, sr->line, sr->topic,
				      rd_kafka_err2str(err));
			break;
		}
		queued++;
		rd_kafka_poll(p, 0);
	}
	/* delivery reports: flush serves them; bounded by
	 * message.timeout.ms, re-checked so that Ctrl-C still ends it */
	while (rd_kafka_outq_len(p) > 0 && !ctl_stopping())
		rd_kafka_flush(p, 200);
	rd_kafka_poll(p, 0);
	for (size_t i = 0; i < queued; i++) {
		send_rec_t *sr = &srs[i];
		if (!sr->done) {
			rc = ctl_fail(k->cmd, "%s:%zu: no delivery report "
					      "(interrupted)",
				      name, sr->line);
		} else if (sr->err) {
			rc = ctl_fail(k->cmd, "%s:%zu: delivery to %s failed: "
					      "%s",
				      name, sr->line, sr->topic,
				      rd_kafka_err2str(sr->err));
		} else {
			printf("sent %s/%d@%lld %s\n", sr->topic,
			       (int)sr->partition, (long long)sr->offset,
			       sr->key ? sr->key : "-");
		}
	}
	fflush(stdout);
	rd_kafka_destroy(p);
	return rc;
}

int ctl_send(int argc, char **argv)
{
	static const ctl_opt_t opts[] = {{"help", 'h', 0},
					 {"topic", 't', 1},
					 {"key", 'k', 1},
					 {"serialization", 0, 1},
					 {"timeout", 0, 1},
					 CTL_KAFKA_OPTS,
					 {NULL, 0, 0}};
	ctl_kafka_t k = {.cmd = "send"};
	const char *topic = NULL, *key = NULL, *file = NULL;
	long timeout_ms = 30000;
	ctl_args_t a;
	const char *v;
	int r;
	ctl_args_init(&a, k.cmd, opts, argc, argv, 1);
	while ((r = ctl_args_next(&a, &v)) != CTL_ARG_END) {
		switch (r) {
		case CTL_ARG_BAD:
			return CTL_USAGE;
		case 0:
			send_help(stdout);
			return CTL_OK;
		case 1:
			topic = v;
			break;
		case 2:
			key = v;
			break;
		case 3:
			k.serialization = v;
			break;
		case 4:
			if (ctl_opt_long(k.cmd, "timeout", v, 1, 3600000,
					 &timeout_ms))
				return CTL_USAGE;
			break;
		case CTL_ARG_POS:
			if (file)
				return ctl_usage_error(k.cmd, "one FILE only "
							      "(use - for "
							      "stdin)");
			file = v;
			break;
		default:
			if (ctl_kafka_opt(&k, opts[r].lng, v) == CTL_ARG_BAD)
				return CTL_USAGE;
		}
	}
	if (!file)
		return ctl_usage_error(k.cmd, "which FILE? (- reads stdin)");
	int rc = ctl_kafka_open(&k, 1);
	if (rc) {
		ctl_kafka_close(&k);
		return rc;
	}
	ctl_catch_signals();
	const char *name = strcmp(file, "-") ? file : "<stdin>";
	FILE *fp = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	size_t len = 0, n = 0;
	char *buf = NULL;
	json_t *recs = NULL, *lines = NULL;
	send_rec_t *srs = NULL;
	rc = CTL_FAIL;
	if (!fp) {
		ctl_fail(k.cmd, "%s: %s", file, strerror(errno));
		goto out;
	}
	buf = read_all(fp, &len);
	if (fp != stdin)
		fclose(fp);
	if (!buf) {
		ctl_fail(k.cmd, "%s: read failed", name);
		goto out;
	}
	recs = parse_records(k.cmd, name, buf, len, &lines);
	if (!recs)
		goto out;
	n = json_array_size(recs);
	srs = calloc(n, sizeof *srs);
	if (!srs) {
		ctl_fail(k.cmd, "out of memory");
		goto out;
	}
	if (encode_all(&k, name, recs, lines, topic, key, srs))
		goto out;
	rc = produce_all(&k, name, srs, n, timeout_ms);
out:
	for (size_t i = 0; srs && i < n; i++) {
		free(srs[i].key);
		free(srs[i].val);
	}
	free(srs);
	json_decref(recs);
	json_decref(lines);
	free(buf);
	ctl_kafka_close(&k);
	return rc;
}
