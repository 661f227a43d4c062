/* config_int.h -- config.c internals shared with config_print.c.
 * Owns: the value slot and the pw_config_t layout.
 * Not here: the public API (config.h). Functions named pw__cfg_* are shared
 * between config*.c only. */
#ifndef PW_CONFIG_INT_H
#define PW_CONFIG_INT_H

#include "config.h"

typedef struct slot {
	char *text;          /* effective raw text; NULL = unset */
	char *origin;        /* "default", "file x.conf:3", "env X", "-o" */
	pw_cfg_source_t src;
	int secret;          /* wiped on replace/destroy, masked in dumps */
	pw_cfg_list_t list;  /* LIST entries after bind */
	char *listbuf;
	size_t listlen;
} slot_t;

typedef struct profile {
	char *name;
	void *obj;
	slot_t *slots; /* tmpl->n_entries */
} profile_t;

typedef struct pair {
	char *key; /* full key, "kafka.bootstrap.servers" */
	slot_t s;
} pair_t;

struct pw_config {
	const pw_cfg_table_t *tab;
	void *obj;
	slot_t *slots;
	profile_t *prof;
	size_t n_prof, cap_prof;
	pair_t *pt;
	size_t n_pt, cap_pt;
	int finalized;
	int collect;  /* pw_config_collect_errors(): record and go on */
	char **errs;  /* the errors recorded, in order */
	size_t n_errs;
};

pa_err_t pw__cfg_check_value(const pw_cfg_entry_t *e, const char *key,
			     const char *text, char *errbuf);
int pw__cfg_passthrough_secret(const char *key);
/* Profile names are [a-z0-9_]{1,64}. */
int pw__cfg_valid_profile_name(const char *s, size_t n);
/* Borrowed, or NULL. */
profile_t *pw__cfg_find_profile(const pw_config_t *cfg, const char *name,
				size_t n);
/* rc with errbuf's message: PA_OK after recording it when the config
 * collects errors (config_check.c), else rc unchanged. */
pa_err_t pw__cfg_error(pw_config_t *cfg, pa_err_t rc, const char *errbuf);
void pw__cfg_errors_free(pw_config_t *cfg);
/* Trims whitespace of [s, end) in place; returns the new start. */
char *pw__cfg_trim(char *s, char *end);

#endif
