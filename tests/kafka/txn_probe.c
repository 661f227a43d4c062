/* txn_probe.c -- proves that Debian's librdkafka runs exactly-once against
 * the real Apache Kafka broker the harness starts.
 * Owns: one consume-transform-produce round (CreateTopics, a group consumer,
 *       init/begin/send_offsets/commit, an aborted transaction, a zombie
 *       producer fenced by a newer one with the same transactional.id) and
 *       the read_committed / read_uncommitted counts that check it.
 * Not here: starting the broker (kafka_harness.py), the worker's own
 *       exactly-once tests (they reuse the same fixture).
 *
 * Usage: txn_probe BOOTSTRAP PREFIX [REPLICATION_FACTOR]
 * Prints one line of counts; exits 0 when every count is what the
 * transaction protocol promises, 1 otherwise. */
#include <librdkafka/rdkafka.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_INPUT 10   /* consumed from <prefix>.in, offsets sent in the txn */
#define N_COMMIT 10  /* first committed transaction */
#define N_ABORT 5    /* aborted transaction */
#define N_COMMIT2 3  /* committed after the abort */
#define OUT_PARTS 2
#define TIMEOUT_MS 30000

static const char *bootstrap;
static char topic_in[256], topic_out[256], txn_id[256], group_id[256];

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("txn_probe: FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static rd_kafka_conf_t *base_conf(void)
{
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK)
		fail("bootstrap.servers: %s", err);
	return conf;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[512];
	if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
		fail("%s: %s", k, err);
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char err[512];
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
	if (!rk)
		fail("rd_kafka_new: %s", err);
	return rk;
}

/* The worker creates its own topics (auto.create.topics.enable=false):
 * this proves CreateTopics works with this client/broker pair. */
static void create_topics(int rf)
{
	char err[512];
	rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, base_conf());
	rd_kafka_NewTopic_t *nt[2];
	nt[0] = rd_kafka_NewTopic_new(topic_in, 1, rf, err, sizeof(err));
	nt[1] = rd_kafka_NewTopic_new(topic_out, OUT_PARTS, rf, err, sizeof(err));
	if (!nt[0] || !nt[1])
		fail("NewTopic: %s", err);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, nt, 2, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS);
	if (!ev)
		fail("CreateTopics: no answer");
	const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
	if (!res)
		fail("CreateTopics: %s", rd_kafka_event_error_string(ev));
	size_t n;
	const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
	for (size_t i = 0; i < n; i++)
		if (rd_kafka_topic_result_error(tr[i]))
			fail("CreateTopics %s: %s", rd_kafka_topic_result_name(tr[i]),
			     rd_kafka_topic_result_error_string(tr[i]));
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy_array(nt, 2);
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
}

static void produce_input(void)
{
	rd_kafka_conf_t *conf = base_conf();
	set(conf, "enable.idempotence", "true");
	rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, conf);
	for (int i = 0; i < N_INPUT; i++) {
		char v[32];
		int len = snprintf(v, sizeof(v), "in-%d", i);
		rd_kafka_resp_err_t e = rd_kafka_producev(
		    rk, RD_KAFKA_V_TOPIC(topic_in), RD_KAFKA_V_VALUE(v, (size_t)len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
		if (e)
			fail("produce input: %s", rd_kafka_err2str(e));
	}
	if (rd_kafka_flush(rk, TIMEOUT_MS))
		fail("flush input: timed out");
	rd_kafka_destroy(rk);
}

/* A group member that has consumed all input: its positions and group
 * metadata go into the transaction (consume-transform-produce). */
static rd_kafka_t *consume_input(void)
{
	rd_kafka_conf_t *conf = base_conf();
	set(conf, "group.id", group_id);
	set(conf, "enable.auto.commit", "false");
	set(conf, "auto.offset.reset", "earliest");
	set(conf, "isolation.level", "read_committed");
	set(conf, "partition.assignment.strategy", "cooperative-sticky");
	rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, conf);
	rd_kafka_poll_set_consumer(rk);
	rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic_in, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, sub))
		fail("subscribe");
	rd_kafka_topic_partition_list_destroy(sub);
	int got = 0;
	long long end = now_ms() + TIMEOUT_MS;
	while (got < N_INPUT && now_ms() < end) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (m->err)
			fprintf(stderr, "txn_probe: consumer: %s\n", rd_kafka_message_errstr(m));
		else
			got++;
		rd_kafka_message_destroy(m);
	}
	if (got != N_INPUT)
		fail("consumed %d of %d input messages", got, N_INPUT);
	return rk;
}

static void txn_check(rd_kafka_error_t *error, const char *what)
{
	if (error) {
		fprintf(stderr, "txn_probe: FAIL: %s: %s (%s)\n", what, rd_kafka_error_string(error),
			rd_kafka_error_name(error));
		rd_kafka_error_destroy(error);
		exit(1);
	}
}

static void produce_out(rd_kafka_t *rk, const char *tag, int n)
{
	for (int i = 0; i < n; i++) {
		char k[32], v[64];
		int klen = snprintf(k, sizeof(k), "order-%d", i);
		int vlen = snprintf(v, sizeof(v), "%s-%d", tag, i);
		rd_kafka_resp_err_t e = rd_kafka_producev(
		    rk, RD_KAFKA_V_TOPIC(topic_out), RD_KAFKA_V_KEY(k, (size_t)klen),
		    RD_KAFKA_V_VALUE(v, (size_t)vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_END);
		if (e)
			fail("produce %s: %s", tag, rd_kafka_err2str(e));
	}
}

static rd_kafka_t *txn_producer(void)
{
	rd_kafka_conf_t *conf = base_conf();
	set(conf, "transactional.id", txn_id);
	set(conf, "transaction.timeout.ms", "60000");
	rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, conf);
	txn_check(rd_kafka_init_transactions(rk, TIMEOUT_MS), "init_transactions");
	return rk;
}

struct counts {
	int commit, abort, zombie, other;
};

/* Reads <prefix>.out from the beginning to the end (LSO for read_committed). */
static struct counts read_out(const char *isolation)
{
	struct counts c = {0, 0, 0, 0};
	rd_kafka_conf_t *conf = base_conf();
	set(conf, "group.id", "txn-probe-reader");
	set(conf, "enable.auto.commit", "false");
	set(conf, "enable.partition.eof", "true");
	set(conf, "isolation.level", isolation);
	rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, conf);
	rd_kafka_poll_set_consumer(rk);
	rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(OUT_PARTS);
	for (int p = 0; p < OUT_PARTS; p++)
		rd_kafka_topic_partition_list_add(parts, topic_out, p)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	if (rd_kafka_assign(rk, parts))
		fail("assign");
	rd_kafka_topic_partition_list_destroy(parts);
	int eofs = 0;
	long long end = now_ms() + TIMEOUT_MS;
	while (eofs < OUT_PARTS && now_ms() < end) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!m)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			eofs++;
		} else if (m->err) {
			fprintf(stderr, "txn_probe: reader: %s\n", rd_kafka_message_errstr(m));
		} else {
			const char *v = m->payload;
			if (m->len >= 7 && !memcmp(v, "commit-", 7))
				c.commit++;
			else if (m->len >= 8 && !memcmp(v, "commit2-", 8))
				c.commit++;
			else if (m->len >= 6 && !memcmp(v, "abort-", 6))
				c.abort++;
			else if (m->len >= 7 && !memcmp(v, "zombie-", 7))
				c.zombie++;
			else
				c.other++;
		}
		rd_kafka_message_destroy(m);
	}
	if (eofs < OUT_PARTS)
		fail("%s reader: reached the end of %d of %d partitions", isolation, eofs,
		     OUT_PARTS);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return c;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: txn_probe BOOTSTRAP PREFIX [REPLICATION_FACTOR]\n");
		return 2;
	}
	bootstrap = argv[1];
	int rf = 1;
	if (argc > 3) {
		char *end;
		long v = strtol(argv[3], &end, 10);
		if (*end || v < -1 || v > 32 || v == 0)
			fail("replication factor: '%s'", argv[3]);
		rf = (int)v;
	}
	snprintf(topic_in, sizeof(topic_in), "%s.in", argv[2]);
	snprintf(topic_out, sizeof(topic_out), "%s.out", argv[2]);
	snprintf(txn_id, sizeof(txn_id), "%s.txn", argv[2]);
	snprintf(group_id, sizeof(group_id), "%s.group", argv[2]);
	printf("txn_probe: librdkafka %s against %s\n", rd_kafka_version_str(), bootstrap);

	create_topics(rf);
	produce_input();
	rd_kafka_t *cons = consume_input();

	rd_kafka_t *prod = txn_producer();
	/* 1: committed, with the consumer's offsets in the same transaction */
	txn_check(rd_kafka_begin_transaction(prod), "begin 1");
	produce_out(prod, "commit", N_COMMIT);
	rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(pos, topic_in, 0);
	if (rd_kafka_position(cons, pos))
		fail("position");
	rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(cons);
	txn_check(rd_kafka_send_offsets_to_transaction(prod, pos, cgmd, TIMEOUT_MS),
		  "send_offsets_to_transaction");
	rd_kafka_consumer_group_metadata_destroy(cgmd);
	rd_kafka_topic_partition_list_destroy(pos);
	txn_check(rd_kafka_commit_transaction(prod, TIMEOUT_MS), "commit 1");

	/* 2: aborted after its messages reached the log */
	txn_check(rd_kafka_begin_transaction(prod), "begin 2");
	produce_out(prod, "abort", N_ABORT);
	if (rd_kafka_flush(prod, TIMEOUT_MS))
		fail("flush before abort");
	txn_check(rd_kafka_abort_transaction(prod, TIMEOUT_MS), "abort 2");

	/* 3: committed after the abort (the reader must skip the aborted batch) */
	txn_check(rd_kafka_begin_transaction(prod), "begin 3");
	produce_out(prod, "commit2", N_COMMIT2);
	txn_check(rd_kafka_commit_transaction(prod, TIMEOUT_MS), "commit 3");

	/* 4: a newer producer with the same transactional.id fences the old one */
	rd_kafka_t *prod2 = txn_producer();
	int fenced = 0;
	char fence_msg[256] = "";
	rd_kafka_error_t *error = rd_kafka_begin_transaction(prod);
	if (!error) {
		produce_out(prod, "zombie", 2);
		error = rd_kafka_commit_transaction(prod, TIMEOUT_MS);
	}
	if (error) {
		fenced = rd_kafka_error_is_fatal(error) ||
			 rd_kafka_error_code(error) == RD_KAFKA_RESP_ERR__FENCED;
		snprintf(fence_msg, sizeof(fence_msg), "%s", rd_kafka_error_name(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_destroy(prod2);
	rd_kafka_destroy(prod);

	/* the offsets committed inside transaction 1 */
	rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(committed, topic_in, 0);
	if (rd_kafka_committed(cons, committed, TIMEOUT_MS))
		fail("committed");
	int64_t group_off = committed->elems[0].offset;
	rd_kafka_topic_partition_list_destroy(committed);
	rd_kafka_consumer_close(cons);
	rd_kafka_destroy(cons);

	struct counts rc = read_out("read_committed");
	struct counts ru = read_out("read_uncommitted");
	printf("txn_probe: read_committed commit=%d abort=%d zombie=%d other=%d; "
	       "read_uncommitted commit=%d abort=%d zombie=%d; group offset=%" PRId64
	       "; zombie fenced=%s (%s)\n",
	       rc.commit, rc.abort, rc.zombie, rc.other, ru.commit, ru.abort, ru.zombie, group_off,
	       fenced ? "yes" : "no", fence_msg[0] ? fence_msg : "no error");

	int ok = 1;
	if (rc.commit != N_COMMIT + N_COMMIT2 || rc.abort || rc.zombie || rc.other)
		ok = 0;
	if (ru.abort != N_ABORT) /* the aborted records are in the log, only hidden */
		ok = 0;
	if (group_off != N_INPUT)
		ok = 0;
	if (!fenced)
		ok = 0;
	printf("txn_probe: %s\n", ok ? "OK" : "FAIL");
	return ok ? 0 : 1;
}
