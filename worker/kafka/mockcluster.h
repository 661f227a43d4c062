/* mockcluster.h -- librdkafka's mock cluster as the embedded Kafka.
 * Owns: the handle that hosts the mock brokers, topic creation on them.
 * Not here: anything that uses Kafka (worker.c, the demo). */
#ifndef PW_MOCKCLUSTER_H
#define PW_MOCKCLUSTER_H

#include "payatom/error.h"

typedef struct pw_mock pw_mock_t;

/* Starts brokers mock brokers on 127.0.0.1 (real sockets: other processes
 * and kcat can use them). Topics are created on first use with
 * `partitions` partitions each, so every topic is co-partitioned.
 * New (caller frees with pw_mock_destroy()). */
pa_err_t pw_mock_new(int brokers, int partitions, pw_mock_t **out,
		     char *errbuf);
/* Creates topic with the cluster's partition count (idempotent). */
pa_err_t pw_mock_topic(pw_mock_t *m, const char *topic);
/* "127.0.0.1:p1,127.0.0.1:p2,...". Borrowed (valid until destroy). */
const char *pw_mock_bootstraps(const pw_mock_t *m);
int pw_mock_partitions(const pw_mock_t *m);
/* librdkafka's handle (rdkafka_mock.h), for fault injection in tests.
 * Borrowed. */
struct rd_kafka_mock_cluster_s *pw_mock_cluster(pw_mock_t *m);
/* NULL is a safe no-op. */
void pw_mock_destroy(pw_mock_t *m);

#endif
