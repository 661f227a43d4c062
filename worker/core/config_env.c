/* config_env.c -- PAYATOM_* environment variables -> config keys.
 * Owns: the reverse env mapping, including the NAME_FIELD split of
 *       merchant profile variables (rules in config.h).
 * Not here: the forward name (pw_cfg_env_name, config_value.c), storing
 *           values (config.c). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config_int.h"

/* ---- environment ------------------------------------------------------ */

extern char **environ;

/* Maps one PAYATOM_* variable name to a key; 0 if it names no key. */
static int env_to_key(const pw_config_t *cfg, const char *var, size_t vl,
		      char *key, size_t ksize)
{
	const pw_cfg_table_t *tab = cfg->tab;
	char en[300];
	for (size_t i = 0; i < tab->n_entries; i++) {
		pw_cfg_env_name(tab->entries[i].name, en, sizeof en);
		if (strlen(en) == vl && memcmp(en, var, vl) == 0) {
			snprintf(key, ksize, "%s", tab->entries[i].name);
			return 1;
		}
	}
	if (tab->passthrough_prefix) {
		pw_cfg_env_name(tab->passthrough_prefix, en, sizeof en);
		size_t pl = strlen(en);
		if (vl > pl + 1 && memcmp(var, en, pl) == 0 && var[pl] == '_') {
			int n = snprintf(key, ksize, "%s.%.*s",
					 tab->passthrough_prefix,
					 (int)(vl - pl - 1), var + pl + 1);
			if (n < 0 || (size_t)n >= ksize)
				return 0;
			for (char *p = key + strlen(tab->passthrough_prefix);
			     *p; p++)
				*p = *p == '_' ? '.'
					       : (char)tolower((unsigned char)*p);
			return 1;
		}
	}
	if (!tab->tmpl)
		return 0;
	pw_cfg_env_name(tab->tmpl_prefix, en, sizeof en);
	size_t pl = strlen(en);
	if (vl <= pl + 1 || memcmp(var, en, pl) != 0 || var[pl] != '_')
		return 0;
	const char *rest = var + pl + 1;
	size_t rl = vl - pl - 1;
	/* candidate splits NAME_FIELD; see config.h for the rule */
	const pw_cfg_entry_t *best = NULL;
	size_t best_nl = 0;
	int best_known = 0;
	for (size_t i = 0; i < tab->tmpl->n_entries; i++) {
		char suf[200];
		pw_cfg_env_name(tab->tmpl->entries[i].name, suf, sizeof suf);
		const char *fs = suf + strlen("PAYATOM"); /* "_FIELD" */
		size_t fl = strlen(fs);
		if (rl <= fl || memcmp(rest + rl - fl, fs, fl) != 0)
			continue;
		size_t nl = rl - fl;
		char name[80];
		if (nl >= sizeof name)
			continue;
		for (size_t k = 0; k < nl; k++)
			name[k] = (char)tolower((unsigned char)rest[k]);
		name[nl] = '\0';
		if (!pw__cfg_valid_profile_name(name, nl))
			continue;
		int known = pw__cfg_find_profile(cfg, name, nl) != NULL;
		if (!best || known > best_known ||
		    (known == best_known && nl < best_nl)) {
			best = &tab->tmpl->entries[i];
			best_nl = nl;
			best_known = known;
		}
	}
	if (!best)
		return 0;
	int n = snprintf(key, ksize, "%s.%.*s.%s", tab->tmpl_prefix,
			 (int)best_nl, rest, best->name);
	if (n < 0 || (size_t)n >= ksize)
		return 0;
	size_t off = strlen(tab->tmpl_prefix) + 1;
	for (size_t k = 0; k < best_nl; k++)
		key[off + k] = (char)tolower((unsigned char)key[off + k]);
	return 1;
}

/* A PAYATOM_* variable that maps to no key is ignored (tools and tests
 * use some), unless it is one or two edits away from a key's variable:
 * then it is almost surely a typo that would silently not apply. */
static pa_err_t near_miss(const pw_config_t *cfg, const char *var, size_t vl,
			  char *errbuf)
{
	char name[300], en[300];
	if (vl >= sizeof name)
		return PA_OK;
	memcpy(name, var, vl);
	name[vl] = '\0';
	for (size_t i = 0; i < cfg->tab->n_entries; i++) {
		pw_cfg_env_name(cfg->tab->entries[i].name, en, sizeof en);
		if (pw_cfg_edit_distance(name, en) <= 2)
			return pa_seterr(errbuf, PA_CONFIG,
					 "env %s: unknown variable; did you "
					 "mean %s?",
					 name, en);
	}
	return PA_OK;
}

pa_err_t pw_config_load_env(pw_config_t *cfg, const char *const *envp,
			    char *errbuf)
{
	if (!cfg)
		return pa_seterr(errbuf, PA_INVAL, "config: NULL argument");
	if (!envp)
		envp = (const char *const *)environ;
	for (size_t i = 0; envp && envp[i]; i++) {
		const char *var = envp[i];
		const char *eq = strchr(var, '=');
		if (!eq || strncmp(var, "PAYATOM_", 8) != 0)
			continue;
		char key[300], org[300];
		size_t vl = (size_t)(eq - var);
		if (!env_to_key(cfg, var, vl, key, sizeof key)) {
			pa_err_t rc = pw__cfg_error(
				cfg, near_miss(cfg, var, vl, errbuf), errbuf);
			if (rc != PA_OK)
				return rc;
			continue;
		}
		snprintf(org, sizeof org, "env %.*s", (int)(eq - var), var);
		pa_err_t rc = pw__cfg_error(
			cfg,
			pw_config_set(cfg, key, eq + 1, PW_CFG_SRC_ENV, org,
				      errbuf),
			errbuf);
		if (rc != PA_OK)
			return rc;
	}
	return PA_OK;
}
