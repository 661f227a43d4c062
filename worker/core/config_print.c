/* config_print.c -- every generated view of a config table.
 * Owns: --help text, the --check-config dump, the Markdown reference, the
 *       JSON Schema fragment, and the table self-check used by tests.
 * Not here: loading and binding (config.c). No function here prints a
 * SECRET value: defaults of secrets are never shown and dumps mask them. */
#include <ctype.h>
#include <string.h>

#include <jansson.h>

#include "config_int.h"
#include "redact.h"

static const char *type_name(pw_cfg_type_t t)
{
	switch (t) {
	case PW_CFG_STR:
		return "string";
	case PW_CFG_INT:
		return "int";
	case PW_CFG_BOOL:
		return "bool";
	case PW_CFG_DURATION_MS:
		return "duration";
	case PW_CFG_SIZE:
		return "size";
	case PW_CFG_ENUM:
		return "enum";
	case PW_CFG_LIST:
		return "list";
	}
	return "?";
}

/* A bound in the unit a human would write: 86400000 -> "1d", 65536 ->
 * "64k". */
static void human(pw_cfg_type_t t, int64_t v, char *buf, size_t size)
{
	static const struct {
		int64_t mult;
		const char *suf;
	} dur[] = {{86400000, "d"}, {3600000, "h"}, {60000, "m"},
		   {1000, "s"},     {1, "ms"}},
	  sz[] = {{1024LL * 1024 * 1024, "g"}, {1024 * 1024, "m"},
		  {1024, "k"}, {1, ""}};
	const void *tab = t == PW_CFG_DURATION_MS ? (const void *)dur
			  : t == PW_CFG_SIZE      ? (const void *)sz
						  : NULL;
	if (!tab || v == 0) {
		snprintf(buf, size, "%lld", (long long)v);
		return;
	}
	size_t n = t == PW_CFG_DURATION_MS ? 5 : 4;
	for (size_t i = 0; i < n; i++) {
		int64_t m = t == PW_CFG_DURATION_MS ? dur[i].mult : sz[i].mult;
		if (v % m == 0) {
			snprintf(buf, size, "%lld%s", (long long)(v / m),
				 t == PW_CFG_DURATION_MS ? dur[i].suf
							 : sz[i].suf);
			return;
		}
	}
}

/* "int 1..100", "enum debug|info", "duration 1s..1d", "string, secret" */
static void type_desc(const pw_cfg_entry_t *e, char *buf, size_t size)
{
	char lo[32], hi[32];
	int n = snprintf(buf, size, "%s", type_name(e->type));
	if (e->type == PW_CFG_ENUM)
		n += snprintf(buf + n, size - (size_t)n, " %s", e->allowed);
	human(e->type, e->min, lo, sizeof lo);
	human(e->type, e->max, hi, sizeof hi);
	if ((e->min || e->max) && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, " %s..%s", lo, hi);
	if ((e->flags & PW_CFG_SECRET) && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, ", secret");
	if ((e->flags & PW_CFG_FILE_OK) && (size_t)n < size)
		n += snprintf(buf + n, size - (size_t)n, ", @file ok");
	if ((e->flags & PW_CFG_PII) && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ", personal");
}

static const char *shown_default(const pw_cfg_entry_t *e)
{
	if (e->flags & PW_CFG_REQUIRED)
		return "(required)";
	if (e->flags & PW_CFG_SECRET)
		return "(none)";
	if (!e->def)
		return "(none)";
	if (!*e->def)
		return "\"\"";
	return e->def;
}

/* ---- --help ----------------------------------------------------------- */

static void help_entry(FILE *fp, const char *key, const pw_cfg_entry_t *e)
{
	char td[200];
	type_desc(e, td, sizeof td);
	fprintf(fp, "  %-34s %s (default: %s)\n      %s\n", key, td,
		shown_default(e), e->desc);
}

void pw_config_print_help(const pw_cfg_table_t *tab, FILE *fp)
{
	char key[256];
	if (!tab || !fp)
		return;
	fprintf(fp,
		"Configuration keys (%s). Set them as key=value lines in the "
		"config file,\nas PAYATOM_<KEY> environment variables (dots "
		"become underscores), or with\n-o key=value; later sources "
		"win. Keys marked @file ok accept @/path/to/file.\n\n",
		tab->name);
	for (size_t i = 0; i < tab->n_entries; i++)
		help_entry(fp, tab->entries[i].name, &tab->entries[i]);
	if (tab->tmpl) {
		fprintf(fp, "\nPer-%s profiles (any number of <name>s, "
			    "[a-z0-9_]):\n",
			tab->tmpl_prefix);
		for (size_t i = 0; i < tab->tmpl->n_entries; i++) {
			snprintf(key, sizeof key, "%s.<name>.%s",
				 tab->tmpl_prefix, tab->tmpl->entries[i].name);
			help_entry(fp, key, &tab->tmpl->entries[i]);
		}
	}
	if (tab->passthrough_prefix)
		fprintf(fp,
			"\n  %s.<property>\n      any librdkafka property, "
			"passed through verbatim (e.g. %s.bootstrap.servers)\n",
			tab->passthrough_prefix, tab->passthrough_prefix);
}

/* ---- Markdown --------------------------------------------------------- */

static void md_cell(FILE *fp, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", fp);
		else
			fputc(*s, fp);
	}
}

static void md_row(FILE *fp, const char *key, const char *env,
		   const pw_cfg_entry_t *e)
{
	char td[200];
	type_desc(e, td, sizeof td);
	fputs("| `", fp);
	fputs(key, fp);
	fputs("` | ", fp);
	md_cell(fp, td);
	fputs(" | ", fp);
	const char *d = shown_default(e);
	if (d[0] == '(')
		fputs(d, fp);
	else {
		fputc('`', fp);
		md_cell(fp, d);
		fputc('`', fp);
	}
	fprintf(fp, " | `%s` | ", env);
	md_cell(fp, e->desc);
	fputs(" |\n", fp);
}

void pw_config_print_markdown(const pw_cfg_table_t *tab, FILE *fp)
{
	char key[256], env[300];
	if (!tab || !fp)
		return;
	fputs("| Key | Type | Default | Environment | Description |\n"
	      "|---|---|---|---|---|\n",
	      fp);
	for (size_t i = 0; i < tab->n_entries; i++) {
		pw_cfg_env_name(tab->entries[i].name, env, sizeof env);
		md_row(fp, tab->entries[i].name, env, &tab->entries[i]);
	}
	for (size_t i = 0; tab->tmpl && i < tab->tmpl->n_entries; i++) {
		char up[260];
		snprintf(key, sizeof key, "%s.<name>.%s", tab->tmpl_prefix,
			 tab->tmpl->entries[i].name);
		snprintf(up, sizeof up, "%s.NAME.%s", tab->tmpl_prefix,
			 tab->tmpl->entries[i].name);
		pw_cfg_env_name(up, env, sizeof env);
		md_row(fp, key, env, &tab->tmpl->entries[i]);
	}
	if (tab->passthrough_prefix) {
		snprintf(key, sizeof key, "%s.PROPERTY", tab->passthrough_prefix);
		pw_cfg_env_name(key, env, sizeof env);
		fprintf(fp,
			"| `%s.<property>` | string | | `%s` | any librdkafka "
			"property, passed through verbatim |\n",
			tab->passthrough_prefix, env);
	}
}

/* ---- JSON Schema ------------------------------------------------------ */

static json_t *schema_of(const pw_cfg_entry_t *e)
{
	json_t *o = json_object();
	switch (e->type) {
	case PW_CFG_INT:
		json_object_set_new(o, "type", json_string("integer"));
		if (e->min || e->max) {
			json_object_set_new(o, "minimum", json_integer(e->min));
			json_object_set_new(o, "maximum", json_integer(e->max));
		}
		break;
	case PW_CFG_BOOL:
		json_object_set_new(o, "type", json_string("boolean"));
		break;
	case PW_CFG_DURATION_MS:
	case PW_CFG_SIZE: {
		json_t *ty = json_array();
		json_array_append_new(ty, json_string("string"));
		json_array_append_new(ty, json_string("integer"));
		json_object_set_new(o, "type", ty);
		json_object_set_new(
			o, "pattern",
			json_string(e->type == PW_CFG_SIZE
					    ? "^[0-9]+([kKmMgG]([iI]?[bB])?|[bB])?$"
					    : "^[0-9]+(ms|s|m|h|d)?$"));
		json_object_set_new(o, "minimum", json_integer(0));
		break;
	}
	case PW_CFG_ENUM: {
		json_object_set_new(o, "type", json_string("string"));
		json_t *en = json_array();
		const char *p = e->allowed;
		while (p) {
			const char *bar = strchr(p, '|');
			size_t l = bar ? (size_t)(bar - p) : strlen(p);
			json_array_append_new(en, json_stringn(p, l));
			p = bar ? bar + 1 : NULL;
		}
		json_object_set_new(o, "enum", en);
		break;
	}
	case PW_CFG_STR:
	case PW_CFG_LIST:
		json_object_set_new(o, "type", json_string("string"));
		break;
	}
	json_object_set_new(o, "description", json_string(e->desc));
	if (e->flags & PW_CFG_SECRET)
		json_object_set_new(o, "writeOnly", json_true());
	else if (e->def && !(e->flags & PW_CFG_REQUIRED)) {
		int64_t v;
		int b;
		if (e->type == PW_CFG_INT && pw_cfg_parse_int(e->def, &v) == 0)
			json_object_set_new(o, "default", json_integer(v));
		else if (e->type == PW_CFG_BOOL &&
			 pw_cfg_parse_bool(e->def, &b) == 0)
			json_object_set_new(o, "default", json_boolean(b));
		else
			json_object_set_new(o, "default", json_string(e->def));
	}
	return o;
}

/* Regex for a literal key component: dots escaped. */
static void regex_quote(const char *s, char *buf, size_t size)
{
	size_t n = 0;
	for (; *s && n + 3 < size; s++) {
		if (*s == '.')
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
}

void pw_config_print_json_schema(const pw_cfg_table_t *tab, FILE *fp)
{
	if (!tab || !fp)
		return;
	json_t *root = json_object();
	json_t *props = json_object();
	json_t *pat = json_object();
	json_object_set_new(root, "type", json_string("object"));
	json_object_set_new(root, "description",
			    json_sprintf("%s configuration (generated from the "
					 "config map)",
					 tab->name));
	for (size_t i = 0; i < tab->n_entries; i++)
		json_object_set_new(props, tab->entries[i].name,
				    schema_of(&tab->entries[i]));
	for (size_t i = 0; tab->tmpl && i < tab->tmpl->n_entries; i++) {
		char q[200], re[300];
		regex_quote(tab->tmpl->entries[i].name, q, sizeof q);
		snprintf(re, sizeof re, "^%s\\.[a-z0-9_]+\\.%s$",
			 tab->tmpl_prefix, q);
		json_object_set_new(pat, re, schema_of(&tab->tmpl->entries[i]));
	}
	if (tab->passthrough_prefix) {
		char re[100];
		snprintf(re, sizeof re, "^%s\\..+$", tab->passthrough_prefix);
		json_t *o = json_object();
		json_object_set_new(o, "type", json_string("string"));
		json_object_set_new(
			o, "description",
			json_string("librdkafka property, passed through"));
		json_object_set_new(pat, re, o);
	}
	json_object_set_new(root, "properties", props);
	json_object_set_new(root, "patternProperties", pat);
	json_object_set_new(root, "additionalProperties", json_false());
	json_dumpf(root, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	json_decref(root);
}

/* ---- --check-config --------------------------------------------------- */

static void dump_line(FILE *fp, const char *key, const slot_t *s,
		      unsigned flags)
{
	char red[512];
	const char *v;
	if (!s->text)
		v = "(unset)";
	else if (!*s->text)
		v = "\"\"";
	else if (s->secret || (flags & PW_CFG_SECRET))
		v = "***";
	else if (flags & PW_CFG_PII) {
		pw_redact(PW_RED_EMAIL, s->text, strlen(s->text), red,
			  sizeof red);
		v = red;
	} else
		v = s->text;
	fprintf(fp, "%s = %s", key, v);
	fprintf(fp, "%*s# %s\n", (int)(strlen(key) + strlen(v) < 50
					       ? 50 - strlen(key) - strlen(v)
					       : 1),
		"", s->origin ? s->origin : "unset");
}

void pw_config_dump(const pw_config_t *cfg, FILE *fp)
{
	if (!cfg || !fp)
		return;
	const pw_cfg_table_t *tab = cfg->tab;
	fprintf(fp, "# effective %s configuration (secrets masked)\n",
		tab->name);
	for (size_t i = 0; i < tab->n_entries; i++)
		dump_line(fp, tab->entries[i].name, &cfg->slots[i],
			  tab->entries[i].flags);
	for (size_t p = 0; p < cfg->n_prof; p++)
		for (size_t i = 0; i < tab->tmpl->n_entries; i++) {
			char key[256];
			snprintf(key, sizeof key, "%s.%s.%s", tab->tmpl_prefix,
				 cfg->prof[p].name, tab->tmpl->entries[i].name);
			dump_line(fp, key, &cfg->prof[p].slots[i],
				  tab->tmpl->entries[i].flags);
		}
	for (size_t i = 0; i < cfg->n_pt; i++)
		dump_line(fp, cfg->pt[i].key, &cfg->pt[i].s, 0);
}

/* ---- table self-check ------------------------------------------------- */

static int valid_key_name(const char *s)
{
	if (!s || !*s || *s == '.' || s[strlen(s) - 1] == '.')
		return 0;
	for (const char *p = s; *p; p++) {
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
		      *p == '.'))
			return 0;
		if (p[0] == '.' && p[1] == '.')
			return 0;
	}
	return 1;
}

static pa_err_t check_entries(const char *tname, const pw_cfg_entry_t *ent,
			      size_t n, char *errbuf)
{
	char eb[PA_ERRBUF_SIZE];
	for (size_t i = 0; i < n; i++) {
		const pw_cfg_entry_t *e = &ent[i];
		if (!valid_key_name(e->name))
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s[%zu]: bad key name '%s'", tname, i,
					 e->name ? e->name : "(null)");
		for (size_t j = 0; j < i; j++)
			if (strcmp(ent[j].name, e->name) == 0)
				return pa_seterr(errbuf, PA_CONFIG,
						 "%s: duplicate key '%s'", tname,
						 e->name);
		if (!e->desc || strlen(e->desc) < 8)
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: '%s' has no description", tname,
					 e->name);
		if (e->type == PW_CFG_ENUM && (!e->allowed || !*e->allowed))
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: enum '%s' lists no values", tname,
					 e->name);
		if (e->min > e->max)
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: '%s' has min > max", tname,
					 e->name);
		if ((e->flags & PW_CFG_REQUIRED) && e->def)
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: required '%s' has a default",
					 tname, e->name);
		if ((e->flags & PW_CFG_SECRET) && e->def && *e->def)
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: secret '%s' has a default", tname,
					 e->name);
		if (!e->def && !(e->flags & (PW_CFG_REQUIRED | PW_CFG_SECRET)))
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: '%s' has no default", tname,
					 e->name);
		if (e->def && pw__cfg_check_value(e, e->name, e->def, eb))
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: default does not parse: %s", tname,
					 eb);
	}
	return PA_OK;
}

pa_err_t pw_config_table_check(const pw_cfg_table_t *tab, char *errbuf)
{
	if (!tab || !tab->name || (!tab->entries && tab->n_entries))
		return pa_seterr(errbuf, PA_INVAL, "table: NULL");
	pa_err_t rc = check_entries(tab->name, tab->entries, tab->n_entries,
				    errbuf);
	if (rc != PA_OK)
		return rc;
	if (tab->tmpl_prefix && !tab->tmpl)
		return pa_seterr(errbuf, PA_CONFIG, "%s: prefix without table",
				 tab->name);
	if (tab->tmpl) {
		for (size_t i = 0; i < tab->n_entries; i++)
			if (strncmp(tab->entries[i].name, tab->tmpl_prefix,
				    strlen(tab->tmpl_prefix)) == 0 &&
			    tab->entries[i].name[strlen(tab->tmpl_prefix)] ==
				    '.')
				return pa_seterr(errbuf, PA_CONFIG,
						 "%s: '%s' shadows profiles",
						 tab->name, tab->entries[i].name);
		rc = check_entries(tab->tmpl_prefix, tab->tmpl->entries,
				   tab->tmpl->n_entries, errbuf);
	}
	return rc;
}
