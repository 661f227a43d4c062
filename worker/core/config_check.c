/* config_check.c -- --check-config: every error at once.
 * Owns: the error collection of a config (pw_config_collect_errors) that
 *       the loaders, finalize and the checks report into.
 * Not here: the kafka.* and brokers checks (config_kafka.c), parsing
 *           (config.c, config_value.c, config_env.c), the report's other
 *           half, the effective values (config_print.c). */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

void pw_config_collect_errors(pw_config_t *cfg, int on)
{
	if (cfg)
		cfg->collect = on;
}

pa_err_t pw__cfg_error(pw_config_t *cfg, pa_err_t rc, const char *errbuf)
{
	if (rc == PA_OK || !cfg || !cfg->collect || rc == PA_NOMEM)
		return rc;
	char **ne = realloc(cfg->errs, (cfg->n_errs + 1) * sizeof *ne);
	char *m = strdup(errbuf && *errbuf ? errbuf : pa_strerror(rc));
	if (!ne || !m) {
		free(m);
		if (ne)
			cfg->errs = ne;
		return PA_NOMEM;
	}
	cfg->errs = ne;
	cfg->errs[cfg->n_errs++] = m;
	return PA_OK;
}

pa_err_t pw_config_add_error(pw_config_t *cfg, const char *msg)
{
	pa_err_t rc = pw__cfg_error(cfg, PA_CONFIG, msg);
	return rc == PA_OK ? PA_OK : PA_CONFIG;
}

size_t pw_config_error_count(const pw_config_t *cfg)
{
	return cfg ? cfg->n_errs : 0;
}

const char *pw_config_error(const pw_config_t *cfg, size_t i)
{
	return cfg && i < cfg->n_errs ? cfg->errs[i] : NULL;
}

void pw__cfg_errors_free(pw_config_t *cfg)
{
	for (size_t i = 0; i < cfg->n_errs; i++)
		free(cfg->errs[i]);
	free(cfg->errs);
	cfg->errs = NULL;
	cfg->n_errs = 0;
}
