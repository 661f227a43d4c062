/* faults.c -- seeded fault injection for gateway endpoints and webhooks.
 * Owns: the PRNG (splitmix64), fault-rule parsing ("ENDPOINT:k=v,..."),
 *       matching a rule to a path, rolling the dice for one request.
 * Not here: applying a plan to a reply (routes.c) or a webhook
 *           (webhooks.c); the rules' storage (sbx_t). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/sbx_int.h"

void sbx_rng_seed(sbx_rng_t *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t sbx_rng_next(sbx_rng_t *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double sbx_rng_unit(sbx_rng_t *r)
{
	return (double)(sbx_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

void sbx_rng_hex(sbx_rng_t *r, char *out, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (i % 16 == 0)
			v = sbx_rng_next(r);
		out[i] = hx[v & 15];
		v >>= 4;
	}
	out[n] = '\0';
}

static pa_err_t parse_prob(const char *v, size_t len, double *out,
			   char *errbuf)
{
	char buf[32];
	if (len == 0 || len >= sizeof buf)
		return pa_seterr(errbuf, PA_CONFIG, "fault: bad probability");
	memcpy(buf, v, len);
	buf[len] = '\0';
	char *end;
	double p = strtod(buf, &end);
	if (*end || !(p >= 0.0 && p <= 1.0))
		return pa_seterr(errbuf, PA_CONFIG,
				 "fault: probability '%s' not in 0..1", buf);
	*out = p;
	return PA_OK;
}

static pa_err_t parse_latency(const char *v, size_t len, sbx_fault_t *f,
			      char *errbuf)
{
	char buf[64];
	if (len >= sizeof buf)
		return pa_seterr(errbuf, PA_CONFIG, "fault: bad latency");
	memcpy(buf, v, len);
	buf[len] = '\0';
	long long a = 0, b = 0;
	char kind[16];
	if (sscanf(buf, "fixed:%lld", &a) == 1 && a >= 0) {
		f->lat_kind = SBX_LAT_FIXED;
		f->lat_ms = f->lat_max_ms = a;
	} else if (sscanf(buf, "%15[a-z]:%lld-%lld", kind, &a, &b) == 3 &&
		   a >= 0 && b >= a &&
		   (!strcmp(kind, "uniform") || !strcmp(kind, "longtail"))) {
		f->lat_kind = kind[0] == 'u' ? SBX_LAT_UNIFORM
					     : SBX_LAT_LONGTAIL;
		f->lat_ms = a;
		f->lat_max_ms = b;
	} else if (!strcmp(buf, "none")) {
		f->lat_kind = SBX_LAT_NONE;
	} else {
		return pa_seterr(errbuf, PA_CONFIG,
				 "fault: latency '%s' is not fixed:MS, "
				 "uniform:MIN-MAX or longtail:MEDIAN-MAX",
				 buf);
	}
	return PA_OK;
}

pa_err_t sbx_fault_parse(const char *spec, sbx_fault_t *f, char *errbuf)
{
	memset(f, 0, sizeof *f);
	f->status_5xx = 503;
	const char *colon = strchr(spec, ':');
	/* "ENDPOINT:..."; an endpoint never contains ':' */
	size_t el = colon ? (size_t)(colon - spec) : strlen(spec);
	if (el == 0 || el >= sizeof f->endpoint)
		return pa_seterr(errbuf, PA_CONFIG,
				 "fault: expected ENDPOINT:key=value,...");
	memcpy(f->endpoint, spec, el);
	f->endpoint[el] = '\0';
	const char *p = colon ? colon + 1 : spec + el;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (!eq)
			return pa_seterr(errbuf, PA_CONFIG,
					 "fault: expected key=value in '%.*s'",
					 (int)len, p);
		size_t kl = (size_t)(eq - p);
		const char *v = eq + 1;
		size_t vl = len - kl - 1;
		pa_err_t e = PA_OK;
#define K(s) (kl == strlen(s) && strncmp(p, s, kl) == 0)
		if (K("latency"))
			e = parse_latency(v, vl, f, errbuf);
		else if (K("5xx"))
			e = parse_prob(v, vl, &f->p_5xx, errbuf);
		else if (K("429"))
			e = parse_prob(v, vl, &f->p_429, errbuf);
		else if (K("hang"))
			e = parse_prob(v, vl, &f->p_hang, errbuf);
		else if (K("reset"))
			e = parse_prob(v, vl, &f->p_reset, errbuf);
		else if (K("malformed"))
			e = parse_prob(v, vl, &f->p_malformed, errbuf);
		else if (K("truncated"))
			e = parse_prob(v, vl, &f->p_truncated, errbuf);
		else if (K("bad_hash"))
			e = parse_prob(v, vl, &f->p_bad_hash, errbuf);
		else if (K("dup"))
			e = parse_prob(v, vl, &f->p_dup, errbuf);
		else if (K("reorder"))
			e = parse_prob(v, vl, &f->p_reorder, errbuf);
		else if (K("status")) {
			char b[8];
			int code = 0;
			if (vl < sizeof b) {
				memcpy(b, v, vl);
				b[vl] = '\0';
				code = atoi(b);
			}
			if (code < 500 || code > 599)
				e = pa_seterr(errbuf, PA_CONFIG,
					      "fault: status must be 5xx");
			f->status_5xx = code;
		} else
			e = pa_seterr(errbuf, PA_CONFIG,
				      "fault: unknown key '%.*s'", (int)kl, p);
#undef K
		if (e)
			return e;
		p = end ? end + 1 : p + len;
	}
	return PA_OK;
}

const sbx_fault_t *sbx_fault_find(const sbx_t *sbx, const char *path)
{
	const sbx_fault_t *best = NULL, *star = NULL;
	size_t bl = 0;
	for (int i = 0; i < sbx->nfaults; i++) {
		const sbx_fault_t *f = &sbx->faults[i];
		if (!strcmp(f->endpoint, "*")) {
			star = f;
			continue;
		}
		size_t l = strlen(f->endpoint);
		if (strncmp(path, f->endpoint, l) == 0 && l > bl) {
			best = f;
			bl = l;
		}
	}
	return best ? best : star;
}

static int roll(sbx_rng_t *r, double p)
{
	/* Always draw, so that a rule's other probabilities do not shift the
	 * stream when one of them changes from 0 (reproducible runs). */
	double u = sbx_rng_unit(r);
	return p > 0 && u < p;
}

void sbx_fault_roll(sbx_t *sbx, const sbx_fault_t *f, sbx_fault_plan_t *p)
{
	memset(p, 0, sizeof *p);
	if (!f)
		return;
	sbx_rng_t *r = strcmp(f->endpoint, "webhook") == 0 ? &sbx->rng_wh
							   : &sbx->rng_faults;
	switch (f->lat_kind) {
	case SBX_LAT_FIXED:
		p->delay_ms = f->lat_ms;
		break;
	case SBX_LAT_UNIFORM:
		p->delay_ms = f->lat_ms +
			      (int64_t)(sbx_rng_unit(r) *
					(double)(f->lat_max_ms - f->lat_ms + 1));
		break;
	case SBX_LAT_LONGTAIL: {
		/* log-normal around the median (sigma 1), capped: most
		 * replies near MEDIAN, a few near MAX. */
		double u1 = sbx_rng_unit(r), u2 = sbx_rng_unit(r);
		double z = sqrt(-2.0 * log(u1 > 0 ? u1 : 1e-12)) *
			   cos(6.283185307179586 * u2);
		double d = (double)f->lat_ms * exp(z);
		p->delay_ms = d > (double)f->lat_max_ms ? f->lat_max_ms
							 : (int64_t)d;
		break;
	}
	default:
		break;
	}
	int r5 = roll(r, f->p_5xx), r429 = roll(r, f->p_429),
	    rh = roll(r, f->p_hang), rr = roll(r, f->p_reset),
	    rm = roll(r, f->p_malformed), rt = roll(r, f->p_truncated),
	    rb = roll(r, f->p_bad_hash), rd = roll(r, f->p_dup),
	    ro = roll(r, f->p_reorder);
	/* One transport fault at most per request, in this precedence. */
	if (rr)
		p->reset = 1;
	else if (rh)
		p->hang = 1;
	else if (r5)
		p->http_status = f->status_5xx;
	else if (r429)
		p->http_status = 429;
	else if (rt)
		p->truncated = 1;
	else if (rm)
		p->malformed = 1;
	p->bad_hash = rb;
	p->dup = rd;
	p->reorder = ro;
}

json_t *sbx_fault_to_json(const sbx_fault_t *f)
{
	static const char *kinds[] = {"none", "fixed", "uniform", "longtail"};
	json_t *o = json_object();
	json_object_set_new(o, "endpoint", json_string(f->endpoint));
	char lat[64];
	if (f->lat_kind == SBX_LAT_FIXED)
		snprintf(lat, sizeof lat, "fixed:%lld", (long long)f->lat_ms);
	else if (f->lat_kind != SBX_LAT_NONE)
		snprintf(lat, sizeof lat, "%s:%lld-%lld", kinds[f->lat_kind],
			 (long long)f->lat_ms, (long long)f->lat_max_ms);
	else
		snprintf(lat, sizeof lat, "none");
	json_object_set_new(o, "latency", json_string(lat));
	json_object_set_new(o, "5xx", json_real(f->p_5xx));
	json_object_set_new(o, "status", json_integer(f->status_5xx));
	json_object_set_new(o, "429", json_real(f->p_429));
	json_object_set_new(o, "hang", json_real(f->p_hang));
	json_object_set_new(o, "reset", json_real(f->p_reset));
	json_object_set_new(o, "malformed", json_real(f->p_malformed));
	json_object_set_new(o, "truncated", json_real(f->p_truncated));
	json_object_set_new(o, "bad_hash", json_real(f->p_bad_hash));
	json_object_set_new(o, "dup", json_real(f->p_dup));
	json_object_set_new(o, "reorder", json_real(f->p_reorder));
	return o;
}
