/* config.h -- declarative config maps (Fluent Bit's flb_config_map model).
 * Owns: the config table types, loading (defaults < file < env < -o),
 *       validation with nearest-key suggestions, binding into a component's
 *       struct, and every generated view of a table (--help, --check-config,
 *       Markdown reference, JSON Schema fragment).
 * Not here: the worker's own table (config_worker.c), applying kafka.*
 *           pairs to librdkafka (config_kafka.h), log level reload (log.h).
 *
 * A component declares ONE static table:
 *
 *     static const pw_cfg_entry_t my_entries[] = {
 *         PW_CFG_E("log.level", PW_CFG_ENUM, "info", 0, 0,
 *                  offsetof(my_conf_t, log_level), 0, "debug|info|warn|error",
 *                  "Minimum level written to the log"),
 *         ...
 *     };
 *
 * Each key lives in one slot that remembers its raw text and where it came
 * from; a higher source never loses to a lower one whatever the call order
 * (defaults < file < env < command line).  pw_config_finalize() parses every
 * slot into the struct.
 *
 * Target field C types, by entry type:
 *   STR          const char *      (borrowed from the config; NULL if unset)
 *   INT          int64_t
 *   BOOL         int               (0 / 1)
 *   DURATION_MS  int64_t           milliseconds ("250ms", "30s", "5m", "24h",
 *                                  "7d", or plain digits = ms)
 *   SIZE         int64_t           bytes ("512", "64k", "1m", "2g"; k = 1024)
 *   ENUM         int               index into `allowed` ("a|b|c" -> 0,1,2)
 *   LIST         pw_cfg_list_t     comma-separated, items trimmed, empties
 *                                  dropped (borrowed from the config)
 *
 * Environment mapping (documented in the README): PAYATOM_ + the key upper-
 * cased with '.' -> '_' (log.level -> PAYATOM_LOG_LEVEL).
 *   - kafka.* : PAYATOM_KAFKA_BOOTSTRAP_SERVERS -> kafka.bootstrap.servers
 *     (every '_' after KAFKA_ becomes '.'; no librdkafka property has '_').
 *   - merchant.<name>.<field> : PAYATOM_MERCHANT_<NAME>_<FIELD>. Names are
 *     [a-z0-9_] so NAME may itself contain '_': the split is resolved by
 *     (1) preferring a merchant already defined by an earlier source (file),
 *     then (2) the longest <FIELD> suffix that is a known field, so
 *     PAYATOM_MERCHANT_DEMO_BOT_API_KEY is merchant "demo", field
 *     "bot.api.key". Define merchants whose name ends in a field-like word
 *     (e.g. "shop_bot") in the file first, or avoid such names.
 *   - Other PAYATOM_* variables are ignored (tests and tools use some),
 *     except near misses of a key's variable (at most 2 edits, e.g.
 *     PAYATOM_LOG_LEVLE), which are errors with a suggestion.
 *
 * Secrets: SECRET values print as "***" everywhere (dump, errors); a
 * FILE_OK value "@/path" is read at load time (one trailing newline or CRLF
 * stripped, at most 64 KiB). kafka.* keys that look like credentials
 * (containing password, secret, token, .pem, sasl.username or
 * sasl.oauthbearer.config) are treated as SECRET + FILE_OK. Config file
 * buffers, replaced values and every secret are wiped (OPENSSL_cleanse);
 * values that came from the environment also stay in the process
 * environment, so prefer @file for secrets in production.
 *
 * Thread-safety: a pw_config_t is built and read by one thread; once
 * finalized it may be read (not modified) from any thread. */
#ifndef PW_CONFIG_H
#define PW_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pw_cfg_type {
	PW_CFG_STR,
	PW_CFG_INT,
	PW_CFG_BOOL,
	PW_CFG_DURATION_MS,
	PW_CFG_SIZE,
	PW_CFG_ENUM,
	PW_CFG_LIST,
} pw_cfg_type_t;

/* Entry flags. */
#define PW_CFG_SECRET 0x1u   /* never printed: dumps show "***" */
#define PW_CFG_FILE_OK 0x2u  /* "@/path" reads the value from that file */
#define PW_CFG_REQUIRED 0x4u /* must be set by some source (no default) */
#define PW_CFG_PII 0x8u      /* personal (e-mail): printed redacted */

/* Target offset meaning "validate and keep, but bind nowhere". */
#define PW_CFG_NO_FIELD ((size_t)-1)

typedef struct pw_cfg_list {
	size_t n;
	char **v; /* borrowed from the config (valid until destroy) */
} pw_cfg_list_t;

typedef struct pw_cfg_entry {
	const char *name;    /* "log.level"; for a template: the field "pid" */
	pw_cfg_type_t type;
	const char *def;     /* default as text; NULL = unset (REQUIRED or
				optional STR without default) */
	int64_t min, max;    /* INT/DURATION_MS/SIZE bounds; min == max == 0
				means unbounded */
	size_t offset;       /* offsetof() in the target struct */
	unsigned flags;      /* PW_CFG_SECRET | ... */
	const char *allowed; /* ENUM: "a|b|c" */
	const char *desc;    /* one line, mandatory */
} pw_cfg_entry_t;

#define PW_CFG_E(name, type, def, min, max, off, flags, allowed, desc)         \
	{ (name), (type), (def), (min), (max), (off), (flags), (allowed),      \
	  (desc) }

typedef struct pw_cfg_table pw_cfg_table_t;
struct pw_cfg_table {
	const char *name;              /* component name ("worker") */
	const pw_cfg_entry_t *entries; /* fixed keys */
	size_t n_entries;
	size_t struct_size; /* size of the target struct */
	/* Templated profiles: keys "<tmpl_prefix>.<name>.<field>", each
	 * profile bound into its own struct of tmpl->struct_size bytes;
	 * tmpl_name_offset (if not PW_CFG_NO_FIELD) receives the profile
	 * name as const char *. NULL tmpl_prefix = no profiles. */
	const char *tmpl_prefix;
	const pw_cfg_table_t *tmpl;
	size_t tmpl_name_offset;
	/* "kafka": keys "kafka.<anything>" kept verbatim as pairs. */
	const char *passthrough_prefix;
};

/* Where a value came from, lowest first. */
typedef enum pw_cfg_source {
	PW_CFG_SRC_DEFAULT,
	PW_CFG_SRC_FILE,
	PW_CFG_SRC_ENV,
	PW_CFG_SRC_CLI,
} pw_cfg_source_t;

typedef struct pw_config pw_config_t;

/* New config holding tab's defaults (caller frees with pw_config_destroy()).
 * tab is borrowed (static tables; must outlive the config). */
pa_err_t pw_config_new(const pw_cfg_table_t *tab, pw_config_t **out,
		       char *errbuf);
/* Wipes every secret (OPENSSL_cleanse) and frees. NULL is a safe no-op. */
void pw_config_destroy(pw_config_t *cfg);

/* Loads a key=value file: '#' comments, blank lines, whitespace around key
 * and value trimmed. Errors name "path:line". */
pa_err_t pw_config_load_file(pw_config_t *cfg, const char *path,
			     char *errbuf);
/* Same, from a buffer; `origin` names it in errors and dumps. */
pa_err_t pw_config_load_buffer(pw_config_t *cfg, const char *buf, size_t len,
			       const char *origin, char *errbuf);
/* Applies PAYATOM_* variables from envp (NULL-terminated "K=V" strings;
 * NULL = the process environment). See the mapping above. */
pa_err_t pw_config_load_env(pw_config_t *cfg, const char *const *envp,
			    char *errbuf);
/* Sets one key from `src` (origin: free text for dumps, e.g. "-o"). The
 * value is validated now; "@/path" is read now for FILE_OK keys. */
pa_err_t pw_config_set(pw_config_t *cfg, const char *key, const char *value,
		       pw_cfg_source_t src, const char *origin, char *errbuf);
/* "key=value" from the command line (-o). */
pa_err_t pw_config_set_arg(pw_config_t *cfg, const char *kv, char *errbuf);

/* Checks REQUIRED keys and binds every value into the structs. Call once
 * after loading; values are not valid unless PA_OK is returned. */
pa_err_t pw_config_finalize(pw_config_t *cfg, char *errbuf);

/* The component struct. Borrowed (valid until pw_config_destroy()). */
const void *pw_config_struct(const pw_config_t *cfg);
size_t pw_config_profile_count(const pw_config_t *cfg);
/* Profile i's struct / name, in name order. Borrowed (valid until destroy);
 * NULL when i is out of range. */
const void *pw_config_profile(const pw_config_t *cfg, size_t i);
const char *pw_config_profile_name(const pw_config_t *cfg, size_t i);
/* Profile by name, or NULL. Borrowed. */
const void *pw_config_profile_find(const pw_config_t *cfg, const char *name);
size_t pw_config_passthrough_count(const pw_config_t *cfg);
/* Pair i with the prefix stripped ("bootstrap.servers"). Borrowed. */
pa_err_t pw_config_passthrough(const pw_config_t *cfg, size_t i,
			       const char **key, const char **value);
/* Raw effective text of any key (fixed, profile or passthrough), or NULL.
 * Borrowed (valid until the key is set again or destroy). */
const char *pw_config_value(const pw_config_t *cfg, const char *key);
/* Source of a key's effective value; PW_CFG_SRC_DEFAULT if unknown. */
pw_cfg_source_t pw_config_source(const pw_config_t *cfg, const char *key);

/* Where a key's effective value came from ("file x.conf:3", "env
 * PAYATOM_BROKERS", "-o", "default"), or NULL when unset. Borrowed. */
const char *pw_config_origin(const pw_config_t *cfg, const char *key);

/* --check-config reports every error at once: with collection on, the
 * loaders (file lines, environment variables), pw_config_finalize()'s
 * required keys and the checks below record each error (naming key and
 * source) and go on; finalize then fails with the first one. Off by
 * default: the first error stops a load. */
void pw_config_collect_errors(pw_config_t *cfg, int on);
/* Records msg as an error when collecting; returns PA_OK then, else
 * PA_CONFIG. For checks made outside the loaders (merchant profiles). */
pa_err_t pw_config_add_error(pw_config_t *cfg, const char *msg);
size_t pw_config_error_count(const pw_config_t *cfg);
/* Error i in the order recorded. Borrowed (valid until destroy). */
const char *pw_config_error(const pw_config_t *cfg, size_t i);

/* The --check-config report: every effective key, its value (SECRET as
 * "***", PII redacted) and its source ("default", "file x.conf:3",
 * "env PAYATOM_LOG_LEVEL", "-o"). */
void pw_config_dump(const pw_config_t *cfg, FILE *fp);

/* Generated views of a table. None prints a secret value. */
void pw_config_print_help(const pw_cfg_table_t *tab, FILE *fp);
void pw_config_print_markdown(const pw_cfg_table_t *tab, FILE *fp);
/* A JSON Schema object ({"type":"object","properties":...}) keyed by config
 * key, with patternProperties for profiles and passthrough. */
void pw_config_print_json_schema(const pw_cfg_table_t *tab, FILE *fp);

/* Checks a table itself: names unique and well-formed, every entry has a
 * description, every default parses within bounds, ENUMs list values,
 * SECRETs have no default, no REQUIRED entry has a default. For tests. */
pa_err_t pw_config_table_check(const pw_cfg_table_t *tab, char *errbuf);

/* Value parsers used by the loader (exposed for reuse and tests). All take
 * the text without surrounding whitespace. */
pa_err_t pw_cfg_parse_duration_ms(const char *s, int64_t *out);
pa_err_t pw_cfg_parse_size(const char *s, int64_t *out);
pa_err_t pw_cfg_parse_bool(const char *s, int *out);
pa_err_t pw_cfg_parse_int(const char *s, int64_t *out);
/* Index of s in "a|b|c", or -1. */
int pw_cfg_enum_index(const char *allowed, const char *s);
/* Levenshtein distance (bytes). */
size_t pw_cfg_edit_distance(const char *a, const char *b);

/* The environment variable name of a key (PAYATOM_LOG_LEVEL) into buf. */
const char *pw_cfg_env_name(const char *key, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif
