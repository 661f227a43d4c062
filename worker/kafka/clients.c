/* clients.c -- the worker's three librdkafka clients and their settings.
 * Owns: the configuration every client gets (bootstrap, kafka.* pass-
 *       through, defaults the configuration may override, librdkafka's
 *       log lines through the worker's logger), the producer
 *       (idempotent; transactional with exactly-once), the group consumer
 *       and the restore consumer; the clients' error and statistics
 *       callbacks; the all-brokers-down probe.
 * Not here: the rebalance callback's work (group.c), delivery reports
 *           (produce.c), transactions (commit.c). */
#include "kafka/worker_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* librdkafka's own log lines through the worker's logger (JSON, level
 * mapped, scrubbed, credentials cut out: pw_kafka_log_line), so that an
 * unreachable broker shows as our lines, not raw "%3|..." text on
 * stderr. Called on librdkafka's threads; w->secrets is set before the
 * clients and not changed after. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	pw_worker_t *w = rd_kafka_opaque(rk);
	if (w)
		pw_kafka_log_line(w->o.log, rk, level, fac, buf,
				  (const char *const *)w->kafka_secrets);
}

static rd_kafka_conf_t *base_conf(pw_worker_t *w, char *errbuf)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(c, log_cb);
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
void pw__brokers_probe(pw_worker_t *w)
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

static int stats_cb(rd_kafka_t *rk, char *json, size_t len, void *op)
{
	pw_worker_t *w = op;
	if (w->o.on_stats)
		w->o.on_stats(w->o.on_stats_ud, json, len);
	return 0; /* librdkafka frees json */
}

/* producer: idempotent, murmur2 like the Java clients so that our
	 * keys land where our users' producers put the same order_id */
static pa_err_t producer_new(pw_worker_t *w, char *errbuf)
{
	char es[512];
	rd_kafka_conf_t *pc = base_conf(w, errbuf);
	if (!pc)
		return PA_CONFIG;
	conf_set(pc, "enable.idempotence", "true", NULL);
	conf_default(w, pc, "linger.ms", "2");
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
	rd_kafka_conf_set_dr_msg_cb(pc, pw__dr_cb);
	rd_kafka_conf_set_error_cb(pc, error_cb);
	rd_kafka_conf_set_opaque(pc, w);
	w->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pc, es, sizeof es);
	if (!w->producer) {
		rd_kafka_conf_destroy(pc);
		return pa_seterr(errbuf, PA_CONFIG, "producer: %s", es);
	}

	if (w->o.exactly_once) {
		rd_kafka_error_t *e =
			rd_kafka_init_transactions(w->producer, pw__txn_timeout(w));
		if (e) {
			pa_err_t err = pa_seterr(errbuf, PA_KAFKA,
					"exactly_once: init_transactions: %s "
					"(needs Kafka >= 2.5 with transactions)",
					rd_kafka_error_string(e));
			rd_kafka_error_destroy(e);
			return err;
		}
	}
	return PA_OK;
}

/* The value of kafka.<key>, or NULL. Borrowed. */
static const char *kafka_opt(const pw_worker_t *w, const char *key)
{
	for (size_t i = 0; i < w->o.n_kafka; i++)
		if (!strcmp(w->o.kafka[i].key, key))
			return w->o.kafka[i].value;
	return NULL;
}

/* group consumer: offsets stored by us. The classic protocol (default)
 * with cooperative-sticky; with kafka.group.protocol=consumer (KIP-848)
 * the broker assigns (group.remote.assignor) and session and heartbeat
 * are broker settings. Either way the group subscribes cmd.payin only
 * and the other inputs follow it (group.c). */
static pa_err_t consumer_new(pw_worker_t *w, char *errbuf)
{
	char es[512];
	rd_kafka_conf_t *cc = base_conf(w, errbuf);
	if (!cc)
		return PA_CONFIG;
	consumer_defaults(w, cc);
	conf_set(cc, "group.id", w->o.group_id, NULL);
	const char *proto = kafka_opt(w, "group.protocol");
	if (!proto || strcmp(proto, "consumer") != 0)
		conf_set(cc, "partition.assignment.strategy",
			 "cooperative-sticky", NULL); /* group.c is incremental */
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
	rd_kafka_conf_set_rebalance_cb(cc, pw__rebalance_cb);
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
		return pa_seterr(errbuf, PA_CONFIG, "consumer: %s", es);
	}
	rd_kafka_poll_set_consumer(w->consumer);
	return PA_OK;
}

/* restore consumer: no group, reads the changelog to its end */
static pa_err_t restorer_new(pw_worker_t *w, char *errbuf)
{
	char es[512];
	rd_kafka_conf_t *rc = base_conf(w, errbuf);
	if (!rc)
		return PA_CONFIG;
	consumer_defaults(w, rc);
	/* a restore reads a changelog as fast as the store takes it: fetches
	 * of 4 MB a partition (1 MB by default is a round trip per ~3,000
	 * records) and a prefetch of 4 MB, refilled 10 ms after it ran full
	 * (librdkafka waits 1 s by default: the loop emptied the queue in a
	 * fraction of that and sat idle -- 1 M records restored at ~55,000/s
	 * on 3 s of CPU). 8 MB and 16 MB read no faster and peaked at ~78 MB
	 * of anonymous memory (librdkafka keeps a fetch's buffer while any
	 * of its records is queued); now ~37 MB in all while restoring.
	 * kafka.* overrides. */
	conf_default(w, rc, "max.partition.fetch.bytes", "4194304");
	conf_default(w, rc, "queued.max.messages.kbytes", "4096");
	conf_default(w, rc, "queued.min.messages", "100000");
	conf_default(w, rc, "fetch.queue.backoff.ms", "10");
	conf_set(rc, "enable.partition.eof", "true", NULL);
	conf_set(rc, "enable.auto.commit", "false", NULL);
	conf_set(rc, "group.id", "payatom-worker-restore-unused", NULL);
	/* a checkpoint past the end means a stale store: say so, do not
	 * silently start again at the beginning over its records */
	conf_set(rc, "auto.offset.reset", "error", NULL);
	if (w->o.exactly_once)
		conf_set(rc, "isolation.level", "read_committed", NULL);
	rd_kafka_conf_set_error_cb(rc, error_cb);
	rd_kafka_conf_set_opaque(rc, w);
	w->restorer = rd_kafka_new(RD_KAFKA_CONSUMER, rc, es, sizeof es);
	if (!w->restorer) {
		rd_kafka_conf_destroy(rc);
		return pa_seterr(errbuf, PA_CONFIG, "restorer: %s", es);
	}
	rd_kafka_poll_set_consumer(w->restorer);
	return PA_OK;
}

pa_err_t pw__clients_new(pw_worker_t *w, char *errbuf)
{
	for (size_t i = 0, k = 0; i < w->o.n_kafka && k < 15; i++) {
		const char *key = w->o.kafka[i].key;
		if (key && w->o.kafka[i].value &&
		    (strstr(key, "password") || strstr(key, "secret") ||
		     !strcmp(key, "ssl.key.pem") ||
		     !strcmp(key, "sasl.oauthbearer.config")))
			w->kafka_secrets[k++] = w->o.kafka[i].value;
	}
	pa_err_t err = producer_new(w, errbuf);
	if (err == PA_OK)
		err = consumer_new(w, errbuf);
	if (err == PA_OK)
		err = restorer_new(w, errbuf);
	return err;
}
