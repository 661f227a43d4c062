/* worker_cli.c -- payatom-worker's answers to a command line it cannot
 *                 take (see worker_cli.h).
 * Owns: the usage-error line and the option hints.
 * Not here: the options (payatom-worker.c, demo.c), config keys
 *           (core/config.h). */
#include "worker_cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/config_worker.h"

int pw_cli_usage_error(const char *prog, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s --help)\n", prog);
	return 2;
}

/* Words people type for a setting, and the key that holds it. */
static const struct {
	const char *word, *key, *value;
} synonyms[] = {
	{"v", "log.level", "debug"},	  {"verbose", "log.level", "debug"},
	{"debug", "log.level", "debug"},  {"quiet", "log.level", "warn"},
	{"port", "http.listen", "0.0.0.0:8080"},
	{"bootstrap", "brokers", NULL}, {"bootstrap.servers", "brokers", NULL},
	{"group", "group.id", NULL},
};

/* The configuration key name means: exactly ("log.level" for
 * "--log-level", "--log.level"), the last part of one ("http.listen" for
 * "--listen"), or nearly ("log.level" for "--loglevel"). 1 and *key set
 * when one is found. */
static int config_key(const char *name, char *key, size_t size)
{
	char eb[PA_ERRBUF_SIZE] = "", kv[160];
	pw_config_t *cfg = NULL;
	int found = 0;
	const pw_cfg_table_t *tab = pw_config_worker_table();
	if (pw_config_new(tab, &cfg, eb) != PA_OK)
		return 0;
	/* "log-level" -> "log.level" (keys use dots; a few have dashes) */
	char dotted[128];
	snprintf(dotted, sizeof dotted, "%s", name);
	for (char *p = dotted; *p; p++)
		if (*p == '-' || *p == '_')
			*p = '.';
	const char *tries[] = {name, dotted};
	for (size_t i = 0; i < 2 && !found; i++)
		if (pw_config_value(cfg, tries[i])) {
			snprintf(key, size, "%s", tries[i]);
			found = 1;
		}
	size_t dl = strlen(dotted);
	for (size_t i = 0; !found && i < tab->n_entries; i++) {
		const char *k = tab->entries[i].name;
		size_t kl = strlen(k);
		if (kl > dl && k[kl - dl - 1] == '.' &&
		    !strcmp(k + kl - dl, dotted)) {
			snprintf(key, size, "%s", k);
			found = 1;
		}
	}
	if (!found) {
		/* the config's own "did you mean 'x'" for the dotted form */
		snprintf(kv, sizeof kv, "%s=", dotted);
		if (pw_config_set_arg(cfg, kv, eb) != PA_OK) {
			const char *q = strstr(eb, "did you mean '");
			if (q) {
				q += 14;
				size_t n = strcspn(q, "'");
				if (n && n < size) {
					snprintf(key, size, "%.*s", (int)n, q);
					found = 1;
				}
			}
		}
	}
	pw_config_destroy(cfg);
	return found;
}

void pw_cli_hint(const char *arg, const char *value, const char *const *opts,
		 char *buf, size_t size)
{
	if (!buf || !size)
		return;
	buf[0] = '\0';
	if (!arg || arg[0] != '-')
		return;
	char name[128];
	const char *n = arg + (arg[1] == '-' ? 2 : 1);
	const char *eq = strchr(n, '=');
	snprintf(name, sizeof name, "%.*s", (int)strcspn(n, "="), n);
	if (eq)
		value = eq + 1;
	if (!name[0])
		return;
	/* an option it begins ("--check"), or a typo of one: within a third
	 * of its letters (at least 2) */
	size_t best = (size_t)-1, limit = strlen(name) / 3, nl = strlen(name);
	const char *hit = NULL;
	if (limit < 2)
		limit = 2;
	for (size_t i = 0; opts && opts[i]; i++) {
		size_t d = nl > 2 && !strncmp(opts[i], name, nl)
				   ? 1
				   : pw_cfg_edit_distance(name, opts[i]);
		if (d < best) {
			best = d;
			hit = opts[i];
		}
	}
	if (hit && best <= limit && best < nl) {
		snprintf(buf, size, "; did you mean --%s?", hit);
		return;
	}
	char key[128];
	for (size_t i = 0; i < sizeof synonyms / sizeof synonyms[0]; i++)
		if (!strcmp(name, synonyms[i].word)) {
			snprintf(buf, size,
				 "; did you mean -o %s=%s? (a configuration "
				 "key)",
				 synonyms[i].key,
				 synonyms[i].value ? synonyms[i].value
				 : value		   ? value
							   : "VALUE");
			return;
		}
	if (nl > 1 && config_key(name, key, sizeof key))
		snprintf(buf, size,
			 "; did you mean -o %s=%s? (a configuration key)", key,
			 value && *value && *value != '-' ? value : "VALUE");
}
