/* config_kafka.c -- hands the kafka.* passthrough pairs to librdkafka.
 * Owns: applying pairs to an rd_kafka_conf_t with errors that name the key
 *       but never a credential's value.
 * Not here: which properties the worker sets itself (kafka/worker.c). */
#include "config_kafka.h"

#include <stdio.h>

#include "config_int.h"

pa_err_t pw_config_apply_kafka(const pw_config_t *cfg, rd_kafka_conf_t *conf,
			       char *errbuf)
{
	if (!cfg || !conf)
		return pa_seterr(errbuf, PA_INVAL, "config: NULL argument");
	for (size_t i = 0; i < pw_config_passthrough_count(cfg); i++) {
		const char *key, *val;
		char rderr[512];
		if (pw_config_passthrough(cfg, i, &key, &val) != PA_OK || !val)
			continue;
		if (rd_kafka_conf_set(conf, key, val, rderr, sizeof rderr) ==
		    RD_KAFKA_CONF_OK)
			continue;
		/* librdkafka's message may quote the value: keep it only for
		 * non-credentials */
		if (cfg->pt[i].s.secret)
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: kafka.%s: rejected by librdkafka",
					 cfg->pt[i].s.origin, key);
		return pa_seterr(errbuf, PA_CONFIG, "%s: kafka.%s: %s",
				 cfg->pt[i].s.origin, key, rderr);
	}
	return PA_OK;
}
