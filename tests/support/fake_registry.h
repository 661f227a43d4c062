/* fake_registry.h -- a tiny Confluent Schema Registry on 127.0.0.1 for tests.
 * Owns: the REST calls the worker uses (POST /subjects/{s}/versions,
 *       POST /subjects/{s}, GET /subjects/{s}/versions/latest,
 *       GET /schemas/ids/{id}) under an optional path
 *       prefix (Apicurio's "/apis/ccompat/v7"), BACKWARD compatibility of a
 *       new version against the subject's latest (409 otherwise, checked
 *       with pw_avsc_check_compat), optional basic auth, optional TLS,
 *       a read-only mode (writes answered 403, as to a read-only user),
 *       request counters.
 *       Served by libmicrohttpd's own thread.
 * Not here: the client (worker/serde/registry.c). Nothing else of the
 *           registry API (modes, config, deletes) exists. */
#ifndef PWT_FAKE_REGISTRY_H
#define PWT_FAKE_REGISTRY_H

#include <stddef.h>

typedef struct pwt_registry pwt_registry_t;

/* Starts on an ephemeral loopback port. prefix: "" or e.g.
 * "/apis/ccompat/v7". user/password: required basic auth, or NULL for none.
 * New (caller frees with pwt_registry_stop()); NULL on failure. */
pwt_registry_t *pwt_registry_start(const char *prefix, const char *user,
				   const char *password);
/* The same over https with the given PEM certificate and key (strings,
 * copied), URL "https://127.0.0.1:<port><prefix>". */
pwt_registry_t *pwt_registry_start_tls(const char *prefix, const char *cert_pem,
				       const char *key_pem);
/* NULL is a safe no-op. */
void pwt_registry_stop(pwt_registry_t *fr);

/* Base URL including the prefix, "http://127.0.0.1:<port><prefix>".
 * Borrowed (valid until pwt_registry_stop()). */
const char *pwt_registry_url(const pwt_registry_t *fr);

/* Adds schema text as the next version of subject, without a
 * compatibility check (what an operator's pipeline registered). Returns
 * its id (> 0), 0 on failure. */
int pwt_registry_put(pwt_registry_t *fr, const char *subject, const char *text);
/* on = 1: POST /subjects/{s}/versions is refused with 403 (a read-only
 * user); lookups and reads still work. */
void pwt_registry_set_read_only(pwt_registry_t *fr, int on);
/* Versions registered through POST /subjects/{s}/versions (201 or 200 for
 * a new version), and writes refused in read-only mode. */
size_t pwt_registry_registrations(pwt_registry_t *fr);
size_t pwt_registry_refused_writes(pwt_registry_t *fr);

/* Requests served so far (thread-safe). */
size_t pwt_registry_requests(pwt_registry_t *fr);
/* Schemas stored (distinct ids). */
size_t pwt_registry_schemas(pwt_registry_t *fr);

#endif
