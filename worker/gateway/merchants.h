/* merchants.h -- the merchant profiles a worker serves.
 * Owns: one pa_merchant_t per merchant.<name>.* profile of the config, with
 *       its secrets (pa_secret_t, wiped on destroy).
 * Not here: config parsing (core/config.c), calls (gateway_payatom.c). */
#ifndef PW_MERCHANTS_H
#define PW_MERCHANTS_H

#include <stddef.h>

#include "core/config.h"
#include "payatom/api.h"

typedef struct pw_merchants pw_merchants_t;

/* Builds the profiles from a finalized worker config (pw_worker_conf_t
 * table). PA_CONFIG with the profile and field named when one is unusable
 * (pa_merchant_check). The config must outlive the result (strings are
 * borrowed from it). New (caller frees with pw_merchants_destroy()). */
pa_err_t pw_merchants_from_config(const pw_config_t *cfg,
				  pw_merchants_t **out, char *errbuf);
/* Adds one profile by hand (tests, the demo). name, and every string of m
 * except the secret, are borrowed and must outlive the set; secret is
 * copied. */
pa_err_t pw_merchants_add(pw_merchants_t *ms, const char *name,
			  const pa_merchant_t *m, const char *secret,
			  char *errbuf);
pa_err_t pw_merchants_new(pw_merchants_t **out);
size_t pw_merchants_count(const pw_merchants_t *ms);
/* i-th profile (name order); *name gets its name. Borrowed (valid until
 * pw_merchants_destroy()). */
const pa_merchant_t *pw_merchants_at(const pw_merchants_t *ms, size_t i,
				     const char **name);
/* Profile by name, or NULL. Borrowed. */
const pa_merchant_t *pw_merchants_find(const pw_merchants_t *ms,
				       const char *name);
/* NULL is a safe no-op. */
void pw_merchants_destroy(pw_merchants_t *ms);

#endif
