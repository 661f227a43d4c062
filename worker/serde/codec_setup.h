/* codec_setup.h -- the worker's codec from its configuration.
 * Owns: serialization / schema.registry.* keys -> pw_registry_t + pw_codec_t
 *       (the pair pw_worker_opts_t.codec needs).
 * Not here: the keys themselves (core/config_worker.c), framing and
 *           encoding (codec.h), registry HTTP (registry.h). */
#ifndef PW_CODEC_SETUP_H
#define PW_CODEC_SETUP_H

#include "core/config_worker.h"
#include "payatom/error.h"
#include "serde/codec.h"
#include "serde/registry.h"

typedef struct pw_codec_setup {
	pw_registry_t *registry; /* NULL without schema.registry.url */
	pw_codec_t *codec;
} pw_codec_setup_t;

/* serialization=avro (default): Confluent framing when
 * schema.registry.url is set (basic auth "user:password" from
 * schema.registry.basic.auth, CA bundle from schema.registry.ca.location;
 * schemas registered, looked up or taken from each subject's latest
 * version per schema.registry.auto.register and .use.latest.version), else
 * Avro
 * single-object; serialization=json: plain JSON records (commands are
 * accepted in every framing either way). *out zeroed first; on success
 * new (caller frees with pw_codec_setup_free() after the worker is
 * destroyed). Errors: PA_CONFIG naming the key (also use.latest.version
 * with auto.register), PA_PARSE (embedded
 * schema). No network I/O here: pw_worker_new registers the schemas. */
pa_err_t pw_codec_setup(const pw_worker_conf_t *wc, pw_codec_setup_t *out,
			char *errbuf);
/* Frees both; a zeroed struct is a safe no-op. */
void pw_codec_setup_free(pw_codec_setup_t *cs);

#endif
