/* config_kafka.h -- kafka.* passthrough pairs into a librdkafka config.
 * Owns: pw_config_apply_kafka(), the --check-config checks of kafka.* and
 *       of the bootstrap list (pw_config_check_kafka()).
 * Not here: the passthrough store (config.h), error collection
 *           (config_check.c). */
#ifndef PW_CONFIG_KAFKA_H
#define PW_CONFIG_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "config.h"

/* Sets every kafka.<property> pair of cfg on conf (rd_kafka_conf_set), in
 * load order. An unknown property or a bad value is PA_CONFIG with the
 * key and its source in errbuf (librdkafka's reason too, unless the key is
 * a credential). conf is borrowed; earlier pairs stay applied on error. */
pa_err_t pw_config_apply_kafka(const pw_config_t *cfg, rd_kafka_conf_t *conf,
			       char *errbuf);

/* --check-config: every kafka.<property> pair through librdkafka itself
 * (rd_kafka_conf_set on a scratch config: unknown property, bad value),
 * then the whole set as librdkafka checks it when a consumer and a
 * producer are made (e.g. group.protocol=consumer with
 * session.timeout.ms); and the syntax of brokers_key's value (comma-
 * separated [PROTOCOL://]host:port, port 1-65535; empty is allowed: the
 * mock cluster). Each error names the key and its source (file:line, env
 * variable, -o), never a credential's value, and is recorded when cfg
 * collects errors (pw_config_collect_errors); otherwise the first one is
 * returned. PA_OK when everything passed or was recorded. */
pa_err_t pw_config_check_kafka(pw_config_t *cfg, const char *brokers_key,
			       char *errbuf);

#endif
