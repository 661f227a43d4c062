/* codec_setup.c -- see codec_setup.h.
 * Owns: mapping the worker's configuration to a registry client and codec.
 * Not here: encoding (codec*.c), registry HTTP (registry.c). */
#include "serde/codec_setup.h"

#include <stdlib.h>
#include <string.h>

pa_err_t pw_codec_setup(const pw_worker_conf_t *wc, pw_codec_setup_t *out,
			char *errbuf)
{
	memset(out, 0, sizeof *out);
	pa_err_t err;
	int json = wc->serialization == PW_SERDE_JSON;
	const char *url = wc->schema_registry_url;
	if (!json && url && *url) {
		if (wc->schema_registry_use_latest_version &&
		    wc->schema_registry_auto_register)
			return pa_seterr(errbuf, PA_CONFIG,
					 "schema.registry.use.latest.version="
					 "true needs schema.registry.auto."
					 "register=false (a worker that "
					 "registers its schemas writes with "
					 "them)");
		char *user = NULL;
		const char *auth = wc->schema_registry_basic_auth;
		const char *colon = auth ? strchr(auth, ':') : NULL;
		if (auth && *auth && !colon)
			return pa_seterr(errbuf, PA_CONFIG,
					 "schema.registry.basic.auth: expected "
					 "user:password");
		if (colon) {
			size_t n = (size_t)(colon - auth);
			if (!(user = malloc(n + 1)))
				return PA_NOMEM;
			memcpy(user, auth, n);
			user[n] = '\0';
		}
		pw_registry_conf_t rc = {
			.url = url,
			.user = user,
			.password = colon ? colon + 1 : NULL,
			.ca_file = wc->schema_registry_ca_location &&
						   *wc->schema_registry_ca_location
					   ? wc->schema_registry_ca_location
					   : NULL,
			.auto_register = wc->schema_registry_auto_register,
			.use_latest = wc->schema_registry_use_latest_version,
		};
		char eb[PA_ERRBUF_SIZE] = "";
		err = pw_registry_new(&rc, &out->registry, eb);
		free(user);
		if (err)
			return pa_seterr(errbuf, err, "schema.registry.url: %s",
					 eb);
	}
	pw_codec_conf_t cc = {
		.serialization = json ? PW_SER_JSON : PW_SER_AVRO,
		.registry = out->registry,
		.subject_strategy =
			(pw_subject_strategy_t)wc->schema_registry_subject_strategy,
	};
	if ((err = pw_codec_new(&cc, &out->codec, errbuf)) != PA_OK) {
		pw_registry_destroy(out->registry);
		out->registry = NULL;
	}
	return err;
}

void pw_codec_setup_free(pw_codec_setup_t *cs)
{
	pw_codec_destroy(cs->codec);
	pw_registry_destroy(cs->registry);
	memset(cs, 0, sizeof *cs);
}
