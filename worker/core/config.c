/* config.c -- loading, validating and binding config maps (see config.h).
 * Owns: value slots (raw text + source), precedence, "@file" secrets, key
 *       resolution (fixed, profiles, passthrough), nearest-key
 *       suggestions, the file format, binding into structs.
 * Not here: value parsers (config_value.c), the environment mapping
 *           (config_env.c), generated views (config_print.c), the worker
 *           table (config_worker.c), redaction rules (redact.c). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config_int.h"

#define MAX_FILE_VALUE (64 * 1024)

/* ---- slots ------------------------------------------------------------ */

static void slot_clear(slot_t *s)
{
	if (s->text) {
		if (s->secret)
			OPENSSL_cleanse(s->text, strlen(s->text));
		free(s->text);
	}
	free(s->origin);
	free(s->list.v);
	free(s->listbuf);
	s->text = NULL;
	s->origin = NULL;
	s->list.v = NULL;
	s->list.n = 0;
	s->listbuf = NULL;
}

static void slot_wipe(slot_t *s)
{
	if (s->listbuf && s->secret)
		OPENSSL_cleanse(s->listbuf, s->listlen);
	slot_clear(s);
}

/* Takes ownership of text and origin (both malloc'd) in all cases. */
static void slot_put(slot_t *s, char *text, char *origin, pw_cfg_source_t src)
{
	slot_wipe(s);
	s->text = text;
	s->origin = origin;
	s->src = src;
}

static pa_err_t slots_defaults(slot_t *slots, const pw_cfg_entry_t *ent,
			       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		slots[i].secret = (ent[i].flags & PW_CFG_SECRET) != 0;
		slots[i].src = PW_CFG_SRC_DEFAULT;
		if (!ent[i].def)
			continue;
		slots[i].text = strdup(ent[i].def);
		slots[i].origin = strdup("default");
		if (!slots[i].text || !slots[i].origin)
			return PA_NOMEM;
	}
	return PA_OK;
}

/* ---- lifecycle -------------------------------------------------------- */

pa_err_t pw_config_new(const pw_cfg_table_t *tab, pw_config_t **out,
		       char *errbuf)
{
	if (!tab || !out)
		return pa_seterr(errbuf, PA_INVAL, "config: NULL argument");
	*out = NULL;
	pw_config_t *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return pa_seterr(errbuf, PA_NOMEM, "config: out of memory");
	cfg->tab = tab;
	cfg->obj = calloc(1, tab->struct_size ? tab->struct_size : 1);
	cfg->slots = calloc(tab->n_entries + 1, sizeof *cfg->slots);
	if (!cfg->obj || !cfg->slots ||
	    slots_defaults(cfg->slots, tab->entries, tab->n_entries)) {
		pw_config_destroy(cfg);
		return pa_seterr(errbuf, PA_NOMEM, "config: out of memory");
	}
	*out = cfg;
	return PA_OK;
}

static void wipe_obj(void *obj, size_t size)
{
	if (obj)
		OPENSSL_cleanse(obj, size);
	free(obj);
}

void pw_config_destroy(pw_config_t *cfg)
{
	if (!cfg)
		return;
	const pw_cfg_table_t *tab = cfg->tab;
	for (size_t i = 0; cfg->slots && i < tab->n_entries; i++)
		slot_wipe(&cfg->slots[i]);
	free(cfg->slots);
	for (size_t p = 0; p < cfg->n_prof; p++) {
		profile_t *pr = &cfg->prof[p];
		for (size_t i = 0; i < tab->tmpl->n_entries; i++)
			slot_wipe(&pr->slots[i]);
		free(pr->slots);
		free(pr->name);
		wipe_obj(pr->obj, tab->tmpl->struct_size);
	}
	free(cfg->prof);
	for (size_t i = 0; i < cfg->n_pt; i++) {
		slot_wipe(&cfg->pt[i].s);
		free(cfg->pt[i].key);
	}
	free(cfg->pt);
	pw__cfg_errors_free(cfg);
	wipe_obj(cfg->obj, tab->struct_size);
	free(cfg);
}

/* ---- key lookup ------------------------------------------------------- */

static const pw_cfg_entry_t *find_entry(const pw_cfg_entry_t *ent, size_t n,
					const char *name, size_t *idx)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(ent[i].name, name) == 0) {
			if (idx)
				*idx = i;
			return &ent[i];
		}
	return NULL;
}

int pw__cfg_valid_profile_name(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		      isdigit((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

profile_t *pw__cfg_find_profile(const pw_config_t *cfg, const char *name,
			       size_t n)
{
	for (size_t i = 0; i < cfg->n_prof; i++)
		if (strlen(cfg->prof[i].name) == n &&
		    memcmp(cfg->prof[i].name, name, n) == 0)
			return &cfg->prof[i];
	return NULL;
}

static profile_t *add_profile(pw_config_t *cfg, const char *name, size_t n)
{
	const pw_cfg_table_t *t = cfg->tab->tmpl;
	if (cfg->n_prof == cfg->cap_prof) {
		size_t cap = cfg->cap_prof ? cfg->cap_prof * 2 : 4;
		profile_t *np = realloc(cfg->prof, cap * sizeof *np);
		if (!np)
			return NULL;
		cfg->prof = np;
		cfg->cap_prof = cap;
	}
	profile_t pr = {0};
	pr.name = strndup(name, n);
	pr.obj = calloc(1, t->struct_size ? t->struct_size : 1);
	pr.slots = calloc(t->n_entries + 1, sizeof *pr.slots);
	if (!pr.name || !pr.obj || !pr.slots ||
	    slots_defaults(pr.slots, t->entries, t->n_entries)) {
		for (size_t i = 0; pr.slots && i < t->n_entries; i++)
			slot_wipe(&pr.slots[i]);
		free(pr.name);
		free(pr.obj);
		free(pr.slots);
		return NULL;
	}
	/* keep name order so dumps and iteration are stable */
	size_t at = 0;
	while (at < cfg->n_prof && strcmp(cfg->prof[at].name, pr.name) < 0)
		at++;
	memmove(&cfg->prof[at + 1], &cfg->prof[at],
		(cfg->n_prof - at) * sizeof *cfg->prof);
	cfg->prof[at] = pr;
	cfg->n_prof++;
	return &cfg->prof[at];
}

/* kafka.* keys whose values are credentials: masked in dumps, @file ok. */
int pw__cfg_passthrough_secret(const char *key)
{
	static const char *const pat[] = {"password", "secret", "token",
					  "sasl.oauthbearer.config", ".pem",
					  "sasl.username", NULL};
	for (size_t i = 0; pat[i]; i++)
		if (strstr(key, pat[i]))
			return 1;
	return 0;
}

static int has_prefix_dot(const char *key, const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;
	return n && strncmp(key, prefix, n) == 0 && key[n] == '.';
}

/* Resolves key to its slot (creating a profile or pair when needed).
 * *ent is NULL for passthrough pairs. */
static pa_err_t resolve(pw_config_t *cfg, const char *key, int create,
			slot_t **slot, const pw_cfg_entry_t **ent,
			char *errbuf);

/* "did you mean" list for an unknown key. */
static void suggest(const pw_config_t *cfg, const char *key, char *buf,
		    size_t size)
{
	const pw_cfg_table_t *tab = cfg->tab;
	char cand[256];
	size_t best = (size_t)-1;
	const char *found[3];
	char store[3][256];
	size_t nf = 0;
	size_t limit = strlen(key) / 3;
	if (limit < 2)
		limit = 2;
	/* second path component, for profile candidates */
	char pname[80] = "<name>";
	const char *d1 = strchr(key, '.');
	if (d1) {
		const char *d2 = strchr(d1 + 1, '.');
		if (d2 && (size_t)(d2 - d1 - 1) < sizeof pname &&
		    d2 > d1 + 1)
			snprintf(pname, sizeof pname, "%.*s",
				 (int)(d2 - d1 - 1), d1 + 1);
	}
	size_t total = tab->n_entries + (tab->tmpl ? tab->tmpl->n_entries : 0) +
		       (tab->passthrough_prefix && d1 ? 1 : 0);
	for (size_t i = 0; i < total; i++) {
		if (i < tab->n_entries)
			snprintf(cand, sizeof cand, "%s", tab->entries[i].name);
		else if (tab->tmpl && i < tab->n_entries + tab->tmpl->n_entries)
			snprintf(cand, sizeof cand, "%s.%s.%s",
				 tab->tmpl_prefix, pname,
				 tab->tmpl->entries[i - tab->n_entries].name);
		else
			snprintf(cand, sizeof cand, "%s.%s",
				 tab->passthrough_prefix, d1 + 1);
		/* the distance is at least the length difference: a long
		 * unknown key costs nothing (fuzz_config spent 90% here) */
		size_t lk = strlen(key), lc = strlen(cand);
		if ((lk > lc ? lk - lc : lc - lk) > limit)
			continue;
		size_t d = pw_cfg_edit_distance(key, cand);
		if (d > limit || d > best)
			continue;
		if (d < best) {
			best = d;
			nf = 0;
		}
		if (nf < 3) {
			snprintf(store[nf], sizeof store[nf], "%s", cand);
			found[nf] = store[nf];
			nf++;
		}
	}
	if (nf == 0) {
		snprintf(buf, size, "%s", "");
		return;
	}
	int n = snprintf(buf, size, "; did you mean '%s'", found[0]);
	for (size_t i = 1; i < nf && n > 0 && (size_t)n < size; i++)
		n += snprintf(buf + n, size - (size_t)n, "%s'%s'",
			      i + 1 == nf ? " or " : ", ", found[i]);
	if (n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "?");
}

static pa_err_t resolve(pw_config_t *cfg, const char *key, int create,
			slot_t **slot, const pw_cfg_entry_t **ent, char *errbuf)
{
	const pw_cfg_table_t *tab = cfg->tab;
	size_t idx;
	*ent = find_entry(tab->entries, tab->n_entries, key, &idx);
	if (*ent) {
		*slot = &cfg->slots[idx];
		return PA_OK;
	}
	if (tab->tmpl && has_prefix_dot(key, tab->tmpl_prefix)) {
		const char *name = key + strlen(tab->tmpl_prefix) + 1;
		const char *dot = strchr(name, '.');
		if (dot && pw__cfg_valid_profile_name(name, (size_t)(dot - name))) {
			*ent = find_entry(tab->tmpl->entries,
					  tab->tmpl->n_entries, dot + 1, &idx);
			if (*ent) {
				size_t nl = (size_t)(dot - name);
				profile_t *pr = pw__cfg_find_profile(cfg, name, nl);
				if (!pr && !create)
					return PA_NOT_FOUND;
				if (!pr && !(pr = add_profile(cfg, name, nl)))
					return pa_seterr(errbuf, PA_NOMEM,
							 "out of memory");
				*slot = &pr->slots[idx];
				return PA_OK;
			}
		} else if (dot || !*name) {
			return pa_seterr(errbuf, PA_CONFIG,
					 "bad %s name in '%s' (use [a-z0-9_], "
					 "1-64 characters)",
					 tab->tmpl_prefix, key);
		}
	}
	if (has_prefix_dot(key, tab->passthrough_prefix) &&
	    key[strlen(tab->passthrough_prefix) + 1]) {
		for (size_t i = 0; i < cfg->n_pt; i++)
			if (strcmp(cfg->pt[i].key, key) == 0) {
				*slot = &cfg->pt[i].s;
				return PA_OK;
			}
		if (!create)
			return PA_NOT_FOUND;
		if (cfg->n_pt == cfg->cap_pt) {
			size_t cap = cfg->cap_pt ? cfg->cap_pt * 2 : 8;
			pair_t *np = realloc(cfg->pt, cap * sizeof *np);
			if (!np)
				return pa_seterr(errbuf, PA_NOMEM,
						 "out of memory");
			cfg->pt = np;
			cfg->cap_pt = cap;
		}
		pair_t *p = &cfg->pt[cfg->n_pt];
		memset(p, 0, sizeof *p);
		if (!(p->key = strdup(key)))
			return pa_seterr(errbuf, PA_NOMEM, "out of memory");
		p->s.secret = pw__cfg_passthrough_secret(key);
		cfg->n_pt++;
		*slot = &p->s;
		return PA_OK;
	}
	if (!create)
		return PA_NOT_FOUND;
	char hint[600];
	suggest(cfg, key, hint, sizeof hint);
	return pa_seterr(errbuf, PA_CONFIG, "unknown key '%s'%s", key, hint);
}

/* Reads "@path" into a new string, trailing newline stripped. */
static pa_err_t read_value_file(const char *path, char **out, char *errbuf)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return pa_seterr(errbuf, PA_CONFIG, "cannot read @%s: %s",
				 path, strerror(errno));
	char *buf = malloc(MAX_FILE_VALUE + 1);
	if (!buf) {
		fclose(f);
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	}
	size_t n = fread(buf, 1, MAX_FILE_VALUE + 1, f);
	int err = ferror(f);
	fclose(f);
	if (err || n > MAX_FILE_VALUE) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return pa_seterr(errbuf, PA_CONFIG, "@%s: %s", path,
				 err ? "read error" : "larger than 64 KiB");
	}
	/* Kubernetes Secret files and `echo` leave one newline */
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (memchr(buf, '\0', n)) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return pa_seterr(errbuf, PA_CONFIG, "@%s: contains a NUL byte",
				 path);
	}
	*out = buf;
	return PA_OK;
}

pa_err_t pw_config_set(pw_config_t *cfg, const char *key, const char *value,
		       pw_cfg_source_t src, const char *origin, char *errbuf)
{
	char eb[PA_ERRBUF_SIZE] = "";
	slot_t *slot = NULL;
	const pw_cfg_entry_t *ent = NULL;
	char *text = NULL, *org = NULL;
	pa_err_t rc;
	if (!cfg || !key || !value)
		return pa_seterr(errbuf, PA_INVAL, "config: NULL argument");
	if (!origin)
		origin = "?";
	rc = resolve(cfg, key, 1, &slot, &ent, eb);
	if (rc != PA_OK)
		goto out;
	int file_ok = ent ? (ent->flags & PW_CFG_FILE_OK) != 0 : slot->secret;
	const char *from = "";
	if (file_ok && value[0] == '@') {
		rc = read_value_file(value + 1, &text, eb);
		if (rc != PA_OK) {
			char tmp[PA_ERRBUF_SIZE];
			memcpy(tmp, eb, sizeof tmp);
			pa_seterr(eb, rc, "%s: %s", key, tmp);
			goto out;
		}
		from = value;
	} else if (!(text = strdup(value))) {
		rc = pa_seterr(eb, PA_NOMEM, "out of memory");
		goto out;
	}
	if (ent && (rc = pw__cfg_check_value(ent, key, text, eb)) != PA_OK)
		goto out;
	/* a lower source never replaces a higher one (call order free) */
	if (slot->text && slot->src > src) {
		rc = PA_OK;
		goto out;
	}
	size_t ol = strlen(origin) + strlen(from) + 4;
	if (!(org = malloc(ol))) {
		rc = pa_seterr(eb, PA_NOMEM, "out of memory");
		goto out;
	}
	snprintf(org, ol, "%s%s%s", origin, *from ? " " : "", from);
	slot_put(slot, text, org, src);
	cfg->finalized = 0;
	return PA_OK;
out:
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	/* a passthrough pair created for a value that failed must not stay
	 * behind without a value (it is always the last one) */
	if (rc != PA_OK && slot && !ent && !slot->text && cfg->n_pt &&
	    slot == &cfg->pt[cfg->n_pt - 1].s) {
		slot_wipe(slot);
		free(cfg->pt[--cfg->n_pt].key);
	}
	if (rc != PA_OK)
		return pa_seterr(errbuf, rc, "%s: %s", origin, eb);
	return PA_OK;
}

pa_err_t pw_config_set_arg(pw_config_t *cfg, const char *kv, char *errbuf)
{
	char key[256];
	const char *eq = kv ? strchr(kv, '=') : NULL;
	if (!cfg || !eq || eq == kv || (size_t)(eq - kv) >= sizeof key)
		return pa_seterr(errbuf, PA_CONFIG,
				 "-o: expected key=value, got '%s'",
				 kv ? kv : "(null)");
	snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
	return pw_config_set(cfg, key, eq + 1, PW_CFG_SRC_CLI, "-o", errbuf);
}

/* ---- file ------------------------------------------------------------- */

char *pw__cfg_trim(char *s, char *end)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*end = '\0';
	return s;
}

pa_err_t pw_config_load_buffer(pw_config_t *cfg, const char *buf, size_t len,
			       const char *origin, char *errbuf)
{
	if (!cfg || (!buf && len))
		return pa_seterr(errbuf, PA_INVAL, "config: NULL argument");
	if (!origin)
		origin = "(buffer)";
	char *copy = malloc(len + 1);
	if (!copy)
		return pa_seterr(errbuf, PA_NOMEM, "config: out of memory");
	memcpy(copy, buf, len);
	copy[len] = '\0';
	pa_err_t rc = PA_OK;
	char *line = copy;
	for (unsigned ln = 1; line < copy + len && rc == PA_OK; ln++) {
		char *nl = memchr(line, '\n', (size_t)(copy + len - line));
		char *end = nl ? nl : copy + len;
		char *next = nl ? nl + 1 : copy + len;
		char where[512];
		snprintf(where, sizeof where, "%s:%u", origin, ln);
		if (memchr(line, '\0', (size_t)(end - line))) {
			rc = pw__cfg_error(cfg, pa_seterr(errbuf, PA_CONFIG,
							  "%s: NUL byte", where),
					   errbuf);
			line = next;
			continue;
		}
		char *s = pw__cfg_trim(line, end);
		line = next;
		if (*s == '\0' || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = pw__cfg_error(cfg, pa_seterr(errbuf, PA_CONFIG,
							  "%s: expected "
							  "key=value",
							  where),
					   errbuf);
			continue;
		}
		char *key = pw__cfg_trim(s, eq);
		char *val = pw__cfg_trim(eq + 1, eq + 1 + strlen(eq + 1));
		if (!*key) {
			rc = pw__cfg_error(cfg, pa_seterr(errbuf, PA_CONFIG,
							  "%s: empty key",
							  where),
					   errbuf);
			continue;
		}
		char org[600];
		snprintf(org, sizeof org, "file %s", where);
		char eb[PA_ERRBUF_SIZE];
		rc = pw_config_set(cfg, key, val, PW_CFG_SRC_FILE, org, eb);
		if (rc != PA_OK)
			/* drop the "file " prefix: errors read "path:line: " */
			rc = pw__cfg_error(cfg, pa_seterr(errbuf, rc, "%s", eb + 5),
					   errbuf);
	}
	/* the file may hold inline secrets */
	OPENSSL_cleanse(copy, len);
	free(copy);
	return rc;
}

pa_err_t pw_config_load_file(pw_config_t *cfg, const char *path, char *errbuf)
{
	if (!cfg || !path)
		return pa_seterr(errbuf, PA_INVAL, "config: NULL argument");
	FILE *f = fopen(path, "rb");
	if (!f)
		return pa_seterr(errbuf, PA_CONFIG, "%s: %s", path,
				 strerror(errno));
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap);
	pa_err_t rc = PA_OK;
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			if (cap >= 16u * 1024 * 1024) {
				rc = pa_seterr(errbuf, PA_CONFIG,
					       "%s: larger than 16 MiB", path);
				break;
			}
			char *nb = malloc(cap * 2);
			if (nb)
				memcpy(nb, buf, n);
			OPENSSL_cleanse(buf, n);
			free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	int err = ferror(f);
	fclose(f);
	if (!buf)
		return pa_seterr(errbuf, PA_NOMEM, "config: out of memory");
	if (rc == PA_OK && err)
		rc = pa_seterr(errbuf, PA_CONFIG, "%s: read error", path);
	if (rc == PA_OK)
		rc = pw_config_load_buffer(cfg, buf, n, path, errbuf);
	OPENSSL_cleanse(buf, n);
	free(buf);
	return rc;
}

/* ---- binding ---------------------------------------------------------- */

static pa_err_t split_list(slot_t *s)
{
	free(s->list.v);
	free(s->listbuf);
	s->list.v = NULL;
	s->list.n = 0;
	s->listbuf = NULL;
	if (!s->text)
		return PA_OK;
	s->listlen = strlen(s->text);
	if (!(s->listbuf = strdup(s->text)))
		return PA_NOMEM;
	size_t cap = 1;
	for (const char *p = s->text; *p; p++)
		cap += *p == ',';
	if (!(s->list.v = calloc(cap, sizeof *s->list.v)))
		return PA_NOMEM;
	char *p = s->listbuf;
	for (;;) {
		char *c = strchr(p, ',');
		char *end = c ? c : p + strlen(p);
		char *item = pw__cfg_trim(p, end);
		if (*item)
			s->list.v[s->list.n++] = item;
		if (!c)
			break;
		p = c + 1;
	}
	return PA_OK;
}

static pa_err_t bind(void *obj, const pw_cfg_entry_t *ent, slot_t *slots,
		     size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const pw_cfg_entry_t *e = &ent[i];
		slot_t *s = &slots[i];
		if (e->type == PW_CFG_LIST && split_list(s) != PA_OK)
			return PA_NOMEM;
		if (e->offset == PW_CFG_NO_FIELD)
			continue;
		char *f = (char *)obj + e->offset;
		const char *t = s->text;
		int64_t v = 0;
		int b = 0;
		switch (e->type) {
		case PW_CFG_STR:
			memcpy(f, &t, sizeof t);
			break;
		case PW_CFG_INT:
			if (t)
				pw_cfg_parse_int(t, &v);
			memcpy(f, &v, sizeof v);
			break;
		case PW_CFG_DURATION_MS:
			if (t)
				pw_cfg_parse_duration_ms(t, &v);
			memcpy(f, &v, sizeof v);
			break;
		case PW_CFG_SIZE:
			if (t)
				pw_cfg_parse_size(t, &v);
			memcpy(f, &v, sizeof v);
			break;
		case PW_CFG_BOOL:
			if (t)
				pw_cfg_parse_bool(t, &b);
			memcpy(f, &b, sizeof b);
			break;
		case PW_CFG_ENUM:
			b = t ? pw_cfg_enum_index(e->allowed, t) : 0;
			memcpy(f, &b, sizeof b);
			break;
		case PW_CFG_LIST:
			memcpy(f, &s->list, sizeof s->list);
			break;
		}
	}
	return PA_OK;
}

static pa_err_t check_required(pw_config_t *cfg, const pw_cfg_entry_t *ent,
			       const slot_t *slots, size_t n,
			       const char *prefix, char *errbuf)
{
	pa_err_t rc = PA_OK;
	for (size_t i = 0; i < n && rc == PA_OK; i++)
		if ((ent[i].flags & PW_CFG_REQUIRED) &&
		    (!slots[i].text || !*slots[i].text))
			rc = pw__cfg_error(
				cfg,
				pa_seterr(errbuf, PA_CONFIG,
					  "missing required key '%s%s'", prefix,
					  ent[i].name),
				errbuf);
	return rc;
}

pa_err_t pw_config_finalize(pw_config_t *cfg, char *errbuf)
{
	if (!cfg)
		return pa_seterr(errbuf, PA_INVAL, "config: NULL argument");
	const pw_cfg_table_t *tab = cfg->tab;
	pa_err_t rc = check_required(cfg, tab->entries, cfg->slots,
				     tab->n_entries, "", errbuf);
	for (size_t p = 0; rc == PA_OK && p < cfg->n_prof; p++) {
		char pre[128];
		snprintf(pre, sizeof pre, "%s.%s.", tab->tmpl_prefix,
			 cfg->prof[p].name);
		rc = check_required(cfg, tab->tmpl->entries, cfg->prof[p].slots,
				    tab->tmpl->n_entries, pre, errbuf);
	}
	if (rc == PA_OK && cfg->n_errs) /* collected: none binds */
		rc = pa_seterr(errbuf, PA_CONFIG, "%s", cfg->errs[0]);
	if (rc != PA_OK)
		return rc;
	if (bind(cfg->obj, tab->entries, cfg->slots, tab->n_entries))
		return pa_seterr(errbuf, PA_NOMEM, "config: out of memory");
	for (size_t p = 0; p < cfg->n_prof; p++) {
		profile_t *pr = &cfg->prof[p];
		if (bind(pr->obj, tab->tmpl->entries, pr->slots,
			 tab->tmpl->n_entries))
			return pa_seterr(errbuf, PA_NOMEM,
					 "config: out of memory");
		if (tab->tmpl_name_offset != PW_CFG_NO_FIELD) {
			const char *nm = pr->name;
			memcpy((char *)pr->obj + tab->tmpl_name_offset, &nm,
			       sizeof nm);
		}
	}
	cfg->finalized = 1;
	return PA_OK;
}

/* ---- accessors -------------------------------------------------------- */

const void *pw_config_struct(const pw_config_t *cfg)
{
	return cfg ? cfg->obj : NULL;
}

size_t pw_config_profile_count(const pw_config_t *cfg)
{
	return cfg ? cfg->n_prof : 0;
}

const void *pw_config_profile(const pw_config_t *cfg, size_t i)
{
	return cfg && i < cfg->n_prof ? cfg->prof[i].obj : NULL;
}

const char *pw_config_profile_name(const pw_config_t *cfg, size_t i)
{
	return cfg && i < cfg->n_prof ? cfg->prof[i].name : NULL;
}

const void *pw_config_profile_find(const pw_config_t *cfg, const char *name)
{
	if (!cfg || !name)
		return NULL;
	profile_t *pr = pw__cfg_find_profile(cfg, name, strlen(name));
	return pr ? pr->obj : NULL;
}

size_t pw_config_passthrough_count(const pw_config_t *cfg)
{
	return cfg ? cfg->n_pt : 0;
}

pa_err_t pw_config_passthrough(const pw_config_t *cfg, size_t i,
			       const char **key, const char **value)
{
	if (!cfg || i >= cfg->n_pt || !key || !value)
		return PA_INVAL;
	*key = cfg->pt[i].key + strlen(cfg->tab->passthrough_prefix) + 1;
	*value = cfg->pt[i].s.text;
	return PA_OK;
}

static const slot_t *lookup(const pw_config_t *cfg, const char *key)
{
	slot_t *s = NULL;
	const pw_cfg_entry_t *e;
	if (!cfg || !key)
		return NULL;
	if (resolve((pw_config_t *)cfg, key, 0, &s, &e, NULL) != PA_OK)
		return NULL;
	return s;
}

const char *pw_config_origin(const pw_config_t *cfg, const char *key)
{
	const slot_t *s = lookup(cfg, key);
	return s && s->text ? s->origin : NULL;
}

const char *pw_config_value(const pw_config_t *cfg, const char *key)
{
	const slot_t *s = lookup(cfg, key);
	return s ? s->text : NULL;
}

pw_cfg_source_t pw_config_source(const pw_config_t *cfg, const char *key)
{
	const slot_t *s = lookup(cfg, key);
	return s ? s->src : PW_CFG_SRC_DEFAULT;
}
