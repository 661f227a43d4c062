/* mockcluster.c -- see mockcluster.h. librdkafka's mock cluster needs an
 * rd_kafka_t to live in; a producer that never produces hosts it. Known
 * limits (librdkafka 2.12.1): no transaction markers, no transactional
 * offsets stored, no compaction; the real-Kafka suite (tests/kafka) covers
 * those. Its group coordinator does rebalance (classic: each round ends
 * session.timeout.ms - 1 s after a join; KIP-848 too). */
#include "kafka/mockcluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

struct pw_mock {
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
	char *bootstraps;
	int partitions;
};

pa_err_t pw_mock_new(int brokers, int partitions, pw_mock_t **out,
		     char *errbuf)
{
	char es[256];
	pw_mock_t *m = calloc(1, sizeof *m);
	if (!m)
		return PA_NOMEM;
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "log_level", "3", NULL, 0);
	m->host = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	if (!m->host) {
		rd_kafka_conf_destroy(c);
		free(m);
		return pa_seterr(errbuf, PA_KAFKA, "mock host: %s", es);
	}
	m->mc = rd_kafka_mock_cluster_new(m->host, brokers);
	if (!m->mc) {
		rd_kafka_destroy(m->host);
		free(m);
		return pa_seterr(errbuf, PA_KAFKA, "cannot start mock cluster");
	}
	m->partitions = partitions;
	m->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(m->mc));
	*out = m;
	return PA_OK;
}

pa_err_t pw_mock_topic(pw_mock_t *m, const char *topic)
{
	rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
		m->mc, topic, m->partitions, 1);
	if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
		return PA_KAFKA;
	return PA_OK;
}

const char *pw_mock_bootstraps(const pw_mock_t *m)
{
	return m->bootstraps;
}

int pw_mock_partitions(const pw_mock_t *m)
{
	return m->partitions;
}

void pw_mock_destroy(pw_mock_t *m)
{
	if (!m)
		return;
	rd_kafka_mock_cluster_destroy(m->mc);
	rd_kafka_destroy(m->host);
	free(m->bootstraps);
	free(m);
}

struct rd_kafka_mock_cluster_s *pw_mock_cluster(pw_mock_t *m)
{
	return m->mc;
}
