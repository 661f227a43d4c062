/* sandbox.c -- starting and stopping one sandbox on a caller's loop.
 * Owns: sbx_new / sbx_destroy: the listener, merchants from the config (or
 *       the default merchant), PRNG streams, fault rules from start-up.
 * Not here: option parsing (config.c), endpoints (routes.c, reports.c,
 *           page.c, control.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox/sbx_int.h"

/* The merchant a sandbox has when none is configured (README: "Using the
 * sandbox alone"). Test credentials, not secrets. */
static const char k_default_merchant[] =
	"pid=SBX0000001,secret=sandbox-secret-key,"
	"api_key=sbx-api-key-0000-0001,token=sbx-token-0001,"
	"operator_key=sbx-operator-key-0001,email=operator@sandbox.test,"
	"password=sandbox-password,callback=self";

pa_err_t sbx_cfg_check(const sbx_cfg_t *cfg, char *errbuf)
{
	if (!cfg)
		return pa_seterr(errbuf, PA_INVAL, "NULL configuration");
	if (strcmp(cfg->v2_signature, "sha256") &&
	    strcmp(cfg->v2_signature, "hmac"))
		return pa_seterr(errbuf, PA_CONFIG,
				 "v2-signature must be sha256 or hmac");
	if (strcmp(cfg->order_id_rules, "doc") &&
	    strcmp(cfg->order_id_rules, "lenient"))
		return pa_seterr(errbuf, PA_CONFIG,
				 "order-id-rules must be doc or lenient");
	if (cfg->nfaults > SBX_MAX_FAULTS)
		return pa_seterr(errbuf, PA_CONFIG, "at most %d fault rules",
				 SBX_MAX_FAULTS);
	for (int i = 0; i < cfg->nmerchants; i++)
		for (int j = 0; j < i; j++) {
			sbx_merchant_t a, b;
			pa_err_t e = sbx__merchant_parse(cfg->merchants[i], &a,
							 errbuf);
			if (!e)
				e = sbx__merchant_parse(cfg->merchants[j], &b,
							errbuf);
			int same = !e && !strcmp(a.pid, b.pid);
			char pid[64];
			snprintf(pid, sizeof pid, "%s", a.pid);
			sbx__merchant_clear(&a);
			if (!e)
				sbx__merchant_clear(&b);
			if (e)
				return e;
			if (same)
				return pa_seterr(errbuf, PA_CONFIG,
						 "merchant pid %s twice", pid);
		}
	return PA_OK;
}

pa_err_t sbx_new(pw_loop_t *loop, const sbx_cfg_t *cfg, sbx_t **out,
		 char *errbuf)
{
	if (!loop || !cfg || !out)
		return pa_seterr(errbuf, PA_INVAL, "sbx_new: NULL argument");
	*out = NULL;
	pa_err_t cerr = sbx_cfg_check(cfg, errbuf);
	if (cerr)
		return cerr;
	sbx_t *sbx = calloc(1, sizeof *sbx);
	if (!sbx)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	sbx->loop = loop;
	pa_err_t err = sbx__cfg_copy(&sbx->cfg, cfg);
	if (err) {
		free(sbx);
		return pa_seterr(errbuf, err, "out of memory");
	}
	if ((err = sbx__mix_parse(cfg->mix, sbx->mix, &sbx->nmix, errbuf)))
		goto fail;
	int nm = cfg->nmerchants ? cfg->nmerchants : 1;
	sbx->merchants = calloc((size_t)nm, sizeof *sbx->merchants);
	if (!sbx->merchants) {
		err = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto fail;
	}
	for (int i = 0; i < nm; i++) {
		const char *spec = cfg->nmerchants ? cfg->merchants[i]
						   : k_default_merchant;
		if ((err = sbx__merchant_parse(spec, &sbx->merchants[i],
					       errbuf)))
			goto fail;
		sbx->nmerchants++;
		for (int j = 0; j < i; j++)
			if (!strcmp(sbx->merchants[j].pid,
				    sbx->merchants[i].pid)) {
				err = pa_seterr(errbuf, PA_CONFIG,
						"merchant pid %s twice",
						sbx->merchants[i].pid);
				goto fail;
			}
	}
	for (int i = 0; i < cfg->nfaults; i++) {
		if (sbx->nfaults == SBX_MAX_FAULTS) {
			err = pa_seterr(errbuf, PA_CONFIG, "too many faults");
			goto fail;
		}
		if ((err = sbx_fault_parse(cfg->faults[i],
					   &sbx->faults[sbx->nfaults++],
					   errbuf)))
			goto fail;
	}
	sbx_rng_seed(&sbx->rng_orders, cfg->seed);
	sbx_rng_seed(&sbx->rng_faults, cfg->seed ^ 0x5bd1e995ULL);
	sbx_rng_seed(&sbx->rng_wh, cfg->seed ^ 0x27d4eb2fULL);
	if ((err = pw_hmap_new(&sbx->by_key))) {
		pa_seterr(errbuf, err, "out of memory");
		goto fail;
	}
	pw_http_opts_t ho = {0};
	ho.bind_addr = cfg->bind;
	ho.port = (uint16_t)cfg->port;
	ho.max_body = (size_t)cfg->max_body;
	ho.conn_limit = (unsigned)cfg->conn_limit;
	if ((err = pw_http_new(loop, &ho, &sbx->http, errbuf)))
		goto fail;
	snprintf(sbx->bind, sizeof sbx->bind, "%s", cfg->bind);
	if (cfg->public_url[0])
		snprintf(sbx->base_url, sizeof sbx->base_url, "%s",
			 cfg->public_url);
	else if (strchr(cfg->bind, ':'))
		snprintf(sbx->base_url, sizeof sbx->base_url, "http://[%s]:%u",
			 cfg->bind, (unsigned)pw_http_port(sbx->http));
	else
		snprintf(sbx->base_url, sizeof sbx->base_url, "http://%s:%u",
			 cfg->bind, (unsigned)pw_http_port(sbx->http));
	/* callback=self: the sandbox's own webhook sink (control.c) */
	for (int i = 0; i < sbx->nmerchants; i++)
		if (!strcmp(sbx->merchants[i].callback, "self"))
			snprintf(sbx->merchants[i].callback,
				 sizeof sbx->merchants[i].callback,
				 "%s/_sandbox/sink", sbx->base_url);
	if ((err = sbx__wh_init(sbx))) {
		pa_seterr(errbuf, err, "cannot start the webhook client");
		goto fail;
	}
	if ((err = sbx__routes_install(sbx)) ||
	    (err = sbx__control_install(sbx))) {
		pa_seterr(errbuf, err, "cannot install routes");
		goto fail;
	}
	*out = sbx;
	return PA_OK;
fail:
	sbx_destroy(sbx);
	return err;
}

void sbx_destroy(sbx_t *sbx)
{
	if (!sbx)
		return;
	/* The listener first: it aborts held replies (their timers go). */
	pw_http_destroy(sbx->http);
	sbx->http = NULL;
	sbx__held_cancel_all(sbx);
	sbx__wh_fini(sbx);
	sbx__control_fini(sbx);
	if (sbx->by_key)
		sbx__orders_clear(sbx);
	pw_hmap_destroy(sbx->by_key);
	for (int i = 0; i < sbx->nmerchants; i++)
		sbx__merchant_clear(&sbx->merchants[i]);
	free(sbx->merchants);
	free(sbx->route_binds);
	sbx__cfg_clear(&sbx->cfg);
	free(sbx);
}

void sbx__log_ts(char out[32])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

void sbx_print_reference(FILE *f)
{
	fprintf(f, "\nMagic values (deterministic outcomes, like test cards):\n");
	sbx__magic_print(f);
	fprintf(f, "\nControl API (JSON in and out; never subject to faults):\n");
	sbx__control_print(f);
}

uint16_t sbx_port(const sbx_t *sbx)
{
	return sbx ? pw_http_port(sbx->http) : 0;
}

const char *sbx_base_url(const sbx_t *sbx)
{
	return sbx ? sbx->base_url : "";
}

const char *sbx_bind_addr(const sbx_t *sbx)
{
	return sbx ? sbx->bind : "";
}
