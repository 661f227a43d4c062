/* registry.h -- Confluent Schema Registry REST client (also Apicurio's
 *               ccompat v7 API, whose base URL carries a path).
 * Owns: register / look up a schema under a subject, a subject's latest
 *       version, fetch a schema by id, the caches, basic auth and TLS
 *       options.
 * Not here: which subject a topic uses (codec.c: TopicNameStrategy,
 *           "<topic>-value"), framing (codec.c).
 *
 * Calls block (libcurl easy, bounded by timeout_ms): they happen at startup
 * (pw_codec_prepare) and the first time an unknown schema id is seen while
 * decoding; answers are cached for the life of the client, so the steady
 * state never touches the network. Not thread-safe: one client per thread
 * (or an external lock). */
#ifndef PW_REGISTRY_H
#define PW_REGISTRY_H

#include <stdint.h>

#include "payatom/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pw_registry_conf {
	/* Base URL, e.g. "http://registry:8081" or, for Apicurio,
	 * "http://apicurio:8080/apis/ccompat/v7". Required. */
	const char *url;
	/* Basic auth (schema.registry.basic.auth.user.info "user:pass"
	 * split in two) or NULL. The password is copied and wiped on destroy;
	 * it never appears in an error message. */
	const char *user;
	const char *password;
	/* PEM CA bundle for https (NULL: system store). */
	const char *ca_file;
	/* Per-request timeout; 0 means 10000. */
	long timeout_ms;
	/* 1 (default for producers): POST /subjects/{s}/versions registers the
	 * schema when new. 0: only POST /subjects/{s} (lookup); an
	 * unregistered schema is then PA_NOT_FOUND. Read-only credentials
	 * need 0 (schema.registry.auto.register=false). */
	int auto_register;
	/* 1: writers use the subject's latest version instead of their own
	 * schema (schema.registry.use.latest.version; only with
	 * auto_register 0, as Confluent's serializers). The client only
	 * records the choice (pw_registry_use_latest()); the codec acts on
	 * it with pw_registry_latest(). */
	int use_latest;
} pw_registry_conf_t;

typedef struct pw_registry pw_registry_t;

/* Copies everything it needs from conf. *out: new (caller frees with
 * pw_registry_destroy()). Errors: PA_CONFIG (no or non-http(s) URL). */
pa_err_t pw_registry_new(const pw_registry_conf_t *conf, pw_registry_t **out,
			 char *errbuf);
/* NULL is a safe no-op. */
void pw_registry_destroy(pw_registry_t *reg);

/* Id of schema text under subject: from the cache, else registered
 * (auto_register) or looked up. fingerprint keys the cache (CRC-64-AVRO of
 * the canonical form, avro_schema.h). Errors: PA_VALIDATION (409: not
 * compatible with the subject's earlier versions, or 422: invalid schema;
 * errbuf carries the registry's message), PA_NOT_FOUND (lookup of an
 * unregistered schema/subject), PA_AUTH (401/403), PA_CONNECT, PA_TIMEOUT,
 * PA_TLS, PA_HTTP_5XX, PA_HTTP_STATUS, PA_PARSE (unexpected reply). */
pa_err_t pw_registry_id_for(pw_registry_t *reg, const char *subject,
			    const char *schema, uint64_t fingerprint,
			    int32_t *id, char *errbuf);

/* Explicit forms of the two calls behind pw_registry_id_for (also cached). */
pa_err_t pw_registry_register(pw_registry_t *reg, const char *subject,
			      const char *schema, int32_t *id, char *errbuf);
pa_err_t pw_registry_lookup(pw_registry_t *reg, const char *subject,
			    const char *schema, int32_t *id, char *errbuf);

/* The subject's latest version (GET /subjects/{s}/versions/latest), asked
 * once and cached for the life of the client (Confluent's
 * latest.cache.ttl.sec = -1): *id, *version (may be NULL) and *schema
 * (borrowed, valid until pw_registry_destroy()). Errors: PA_NOT_FOUND (no
 * such subject, or it has no version), PA_UNSUPPORTED (not AVRO), and the
 * transport errors of pw_registry_id_for(). */
pa_err_t pw_registry_latest(pw_registry_t *reg, const char *subject,
			    int32_t *id, int *version, const char **schema,
			    char *errbuf);

/* The modes the client was made with (pw_registry_conf_t). */
int pw_registry_auto_register(const pw_registry_t *reg);
int pw_registry_use_latest(const pw_registry_t *reg);

/* Schema text of id (GET /schemas/ids/{id}), cached. *schema: borrowed
 * (valid until pw_registry_destroy()). Errors as above; PA_NOT_FOUND for an
 * unknown id. */
pa_err_t pw_registry_schema_by_id(pw_registry_t *reg, int32_t id,
				  const char **schema, char *errbuf);

/* Base URL for display: without user:password@. Borrowed (valid until
 * pw_registry_destroy()). */
const char *pw_registry_shown(const pw_registry_t *reg);

/* Number of HTTP requests made so far (tests check the cache with it). */
unsigned long pw_registry_requests(const pw_registry_t *reg);

#ifdef __cplusplus
}
#endif
#endif
