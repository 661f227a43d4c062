/* fakegw.c -- see fakegw.h. */
#include "fakegw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hmap.h"

typedef struct fake {
	pw_gateway_t gw;
	pw_loop_t *loop;
	pwt_fakegw_opts_t o;
	pw_hmap_t *submits; /* order_id -> (intptr_t) count */
	pw_hmap_t *polls;
	int total_submits, total_polls;
	struct pw_gw_call *calls;
} fake_t;

struct pw_gw_call {
	struct pw_gw_call *next, *prev;
	fake_t *f;
	pw_timer_t *t;
	pw_gw_cb cb;
	void *ud;
	pw_gw_result_t res;
	char ref[96];
	char raw[32];
	char msg[64];
};

static void unlink_call(struct pw_gw_call *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->f->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

static void fire(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	struct pw_gw_call *c = ud;
	unlink_call(c);
	c->res.ref_code = c->ref;
	c->res.raw = c->raw;
	c->res.message = c->msg;
	c->cb(c->ud, &c->res);
	free(c);
}

static struct pw_gw_call *call_new(fake_t *f, pw_gw_cb cb, void *ud)
{
	struct pw_gw_call *c = calloc(1, sizeof *c);
	c->f = f;
	c->cb = cb;
	c->ud = ud;
	c->res.received_minor = -1;
	c->next = f->calls;
	if (f->calls)
		f->calls->prev = c;
	f->calls = c;
	return c;
}

static int bump(pw_hmap_t *m, const char *k)
{
	intptr_t n = (intptr_t)pw_hmap_get(m, k, strlen(k)) + 1;
	pw_hmap_put(m, k, strlen(k), (void *)n, NULL);
	return (int)n;
}

static pa_err_t submit(pw_gateway_t *gw, const pw_order_t *ord,
		       const json_t *cmd, pw_gw_cb cb, void *ud,
		       pw_gw_call_t **out)
{
	fake_t *f = gw->impl;
	const char *type = json_string_value(json_object_get(cmd, "type"));
	if (type && strcmp(type, "payin") && strcmp(type, "payout")) {
		/* follow-ups: accepted, no status of their own */
		struct pw_gw_call *c = call_new(f, cb, ud);
		c->t = pw_timer_add(f->loop, f->o.latency_ms, fire, c);
		*out = c;
		return PA_OK;
	}
	int n = bump(f->submits, ord->order_id);
	f->total_submits++;
	struct pw_gw_call *c = call_new(f, cb, ud);
	if (n <= f->o.fail_first_submits) {
		c->res.err = PA_TIMEOUT;
		snprintf(c->msg, sizeof c->msg, "scripted timeout");
	} else if (n > 1 + f->o.fail_first_submits) {
		c->res.err = PA_DUPLICATE;
		snprintf(c->msg, sizeof c->msg, "Duplicate order_id found");
	} else if (f->o.reject_amount_minor &&
		   ord->amount_minor == f->o.reject_amount_minor) {
		c->res.err = PA_GATEWAY;
		snprintf(c->msg, sizeof c->msg, "invalid pid");
	} else {
		snprintf(c->ref, sizeof c->ref, "REF-%s", ord->order_id);
		c->res.details = NULL;
	}
	c->t = pw_timer_add(f->loop, f->o.latency_ms, fire, c);
	*out = c;
	return PA_OK;
}

static pa_err_t status(pw_gateway_t *gw, const pw_order_t *ord, pw_gw_cb cb,
		       void *ud, pw_gw_call_t **out)
{
	fake_t *f = gw->impl;
	int n = bump(f->polls, ord->order_id);
	f->total_polls++;
	struct pw_gw_call *c = call_new(f, cb, ud);
	const char *raw = n > f->o.polls_until_final ? f->o.final_raw
						      : "Pending";
	snprintf(c->raw, sizeof c->raw, "%s", raw);
	c->res.status = pa_status_from_raw(raw, strlen(raw));
	snprintf(c->ref, sizeof c->ref, "REF-%s", ord->order_id);
	c->res.received_minor = ord->amount_minor;
	c->t = pw_timer_add(f->loop, f->o.latency_ms, fire, c);
	*out = c;
	return PA_OK;
}

static void cancel(pw_gateway_t *gw, pw_gw_call_t *c)
{
	unlink_call(c);
	pw_timer_cancel(c->f->loop, c->t);
	free(c);
}

static int has_merchant(pw_gateway_t *gw, const char *m)
{
	fake_t *f = gw->impl;
	return strcmp(m, f->o.merchant) == 0;
}

static const char *last_error(pw_gateway_t *gw)
{
	return "";
}

static void destroy(pw_gateway_t *gw)
{
	fake_t *f = gw->impl;
	while (f->calls)
		cancel(gw, f->calls);
	pw_hmap_destroy(f->submits);
	pw_hmap_destroy(f->polls);
	free(f);
}

pw_gateway_t *pwt_fakegw_new(pw_loop_t *loop, const pwt_fakegw_opts_t *o)
{
	fake_t *f = calloc(1, sizeof *f);
	f->loop = loop;
	f->o = *o;
	if (!f->o.final_raw)
		f->o.final_raw = "Approved";
	if (!f->o.merchant)
		f->o.merchant = "demo";
	pw_hmap_new(&f->submits);
	pw_hmap_new(&f->polls);
	f->gw.submit = submit;
	f->gw.status = status;
	f->gw.cancel = cancel;
	f->gw.has_merchant = has_merchant;
	f->gw.last_error = last_error;
	f->gw.destroy = destroy;
	f->gw.impl = f;
	return &f->gw;
}

int pwt_fakegw_submits(pw_gateway_t *gw, const char *order_id)
{
	fake_t *f = gw->impl;
	return (int)(intptr_t)pw_hmap_get(f->submits, order_id,
					  strlen(order_id));
}

int pwt_fakegw_total_submits(pw_gateway_t *gw)
{
	return ((fake_t *)gw->impl)->total_submits;
}

int pwt_fakegw_total_polls(pw_gateway_t *gw)
{
	return ((fake_t *)gw->impl)->total_polls;
}
