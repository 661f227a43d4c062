/* config_kafka.h -- kafka.* passthrough pairs into a librdkafka config.
 * Owns: pw_config_apply_kafka().
 * Not here: the passthrough store (config.h). */
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

#endif
