/* merchants.c -- the merchant profiles a worker serves.
 * Owns: pa_merchant_t per profile and its pa_secret_t objects.
 * Not here: config parsing (core/config.c), calls (gateway_payatom.c). */
#include "gateway/merchants.h"

#include <stdlib.h>
#include <string.h>

#include "core/config_worker.h"

struct ent {
	const char *name;
	pa_merchant_t m;
	pa_secret_t *secret;
};

struct pw_merchants {
	struct ent *v;
	size_t n, cap;
};

pa_err_t pw_merchants_new(pw_merchants_t **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? PA_OK : PA_NOMEM;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name,
		      ((const struct ent *)b)->name);
}

pa_err_t pw_merchants_add(pw_merchants_t *ms, const char *name,
			  const pa_merchant_t *m, const char *secret,
			  char *errbuf)
{
	if (pw_merchants_find(ms, name))
		return pa_seterr(errbuf, PA_CONFIG,
				 "merchant.%s: defined twice", name);
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 4;
		struct ent *v = realloc(ms->v, cap * sizeof *v);
		if (!v)
			return PA_NOMEM;
		ms->v = v;
		ms->cap = cap;
	}
	struct ent *e = &ms->v[ms->n];
	memset(e, 0, sizeof *e);
	e->name = name;
	e->m = *m;
	if (!secret || !*secret)
		return pa_seterr(errbuf, PA_CONFIG,
				 "merchant.%s.secret: required", name);
	pa_err_t err = pa_secret_new(secret, strlen(secret), &e->secret);
	if (err != PA_OK)
		return err;
	e->m.secret = e->secret;
	char eb[PA_ERRBUF_SIZE] = "";
	err = pa_merchant_check(&e->m, eb);
	if (err != PA_OK) {
		pa_secret_destroy(e->secret);
		return pa_seterr(errbuf, err, "merchant.%s: %s", name, eb);
	}
	ms->n++;
	qsort(ms->v, ms->n, sizeof *ms->v, by_name);
	return PA_OK;
}

pa_err_t pw_merchants_from_config(const pw_config_t *cfg,
				  pw_merchants_t **out, char *errbuf)
{
	pw_merchants_t *ms;
	pa_err_t err = pw_merchants_new(&ms);
	if (err != PA_OK)
		return err;
	for (size_t i = 0; i < pw_config_profile_count(cfg); i++) {
		const pw_merchant_conf_t *mc = pw_config_profile(cfg, i);
		pa_merchant_t m = {0};
		m.pid = mc->pid;
		m.api_version = mc->api_version == PW_API_V2 ? PA_API_V2
							     : PA_API_V1;
		m.api_key = mc->api_key;
		m.base_url = mc->base_url;
		m.country = mc->country == PW_COUNTRY_BD   ? PA_COUNTRY_BD
			    : mc->country == PW_COUNTRY_PK ? PA_COUNTRY_PK
							   : PA_COUNTRY_IN;
		m.recon_token = mc->recon_token;
		m.bot_api_key = mc->bot_api_key;
		m.complaint_token = mc->complaint_token;
		m.balance_token = mc->wallet_token;
		m.v2_alg = mc->sign_mode == PW_SIGN_HMAC ? PA_V2_HMAC_SHA256
							 : PA_V2_SHA256_CONCAT;
		m.poll_key = mc->poll_key == PW_POLLKEY_ORDER_ID
				     ? PA_POLL_BY_ORDER_ID
				     : PA_POLL_BY_REF_CODE;
		err = pw_merchants_add(ms, pw_config_profile_name(cfg, i), &m,
				       mc->secret, errbuf);
		if (err != PA_OK) {
			pw_merchants_destroy(ms);
			return err;
		}
	}
	*out = ms;
	return PA_OK;
}

size_t pw_merchants_count(const pw_merchants_t *ms)
{
	return ms ? ms->n : 0;
}

const pa_merchant_t *pw_merchants_at(const pw_merchants_t *ms, size_t i,
				     const char **name)
{
	if (!ms || i >= ms->n)
		return NULL;
	if (name)
		*name = ms->v[i].name;
	return &ms->v[i].m;
}

const pa_merchant_t *pw_merchants_find(const pw_merchants_t *ms,
				       const char *name)
{
	if (!ms || !name || ms->n == 0) /* bsearch on NULL is UB */
		return NULL;
	struct ent key = {.name = name};
	struct ent *e = bsearch(&key, ms->v, ms->n, sizeof *ms->v, by_name);
	return e ? &e->m : NULL;
}

void pw_merchants_destroy(pw_merchants_t *ms)
{
	if (!ms)
		return;
	for (size_t i = 0; i < ms->n; i++)
		pa_secret_destroy(ms->v[i].secret);
	free(ms->v);
	free(ms);
}
