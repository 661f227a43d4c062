/* auth.c -- what every gateway endpoint checks first, with the spec's words.
 * Owns: the error envelope, body field access, required-field messages
 *       (spec §10.1), V1 merchant/IP checks (§2.1), V2 X-Api-Key + signature
 *       checks in the documented order (§3.4, §10.3), DD-MM-YYYY dates.
 * Not here: the endpoints themselves (routes.c, reports.c, page.c), the
 *           formulas (formula.c -> lib/sign.c). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sandbox/sbx_int.h"

void sbx__err(sbx_ctx_t *c, int status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_decref(c->out);
	c->out = json_pack("{s:s,s:s}", "status", "error", "message", msg);
	c->status = status;
}

const char *sbx__field(sbx_ctx_t *c, const char *name)
{
	json_t *v = json_object_get(c->body, name);
	if (json_is_string(v))
		return json_string_length(v) ? json_string_value(v) : NULL;
	if (json_is_integer(v)) {
		snprintf(c->buf, sizeof c->buf, "%lld",
			 (long long)json_integer_value(v));
		return c->buf;
	}
	if (json_is_real(v)) {
		snprintf(c->buf, sizeof c->buf, "%.15g", json_real_value(v));
		return c->buf;
	}
	return NULL;
}

int sbx__require(sbx_ctx_t *c, const char *const *names)
{
	for (; *names; names++)
		if (!sbx__field(c, *names)) {
			sbx__err(c, 200, "%s is required field", *names);
			return 0;
		}
	return 1;
}

sbx_merchant_t *sbx__auth_v1(sbx_ctx_t *c)
{
	const char *pid = sbx__field(c, "pid");
	if (!pid) {
		sbx__err(c, 200, "pid is required field");
		return NULL;
	}
	sbx_merchant_t *m = sbx__merchant(c->sbx, pid);
	if (!m) {
		sbx__err(c, 200, "invalid pid"); /* spec §10.1 */
		return NULL;
	}
	/* spec §2.1: every request must come from a whitelisted IP. */
	const char *ip = pw_http_client_ip(c->req);
	if (!sbx__ip_allowed(m, ip)) {
		sbx__err(c, 200, "IP not allowed: %s", ip);
		return NULL;
	}
	return m;
}

/* spec §10.3 (the one V2 page with its errors): checks and messages in the
 * documented order. Other V2 endpoints use the same messages with HTTP 200
 * ([I]). */
sbx_merchant_t *sbx__auth_v2(sbx_ctx_t *c, int codes)
{
	const char *key = pw_http_header(c->req, "X-Api-Key");
	if (!key || !*key) {
		sbx__err(c, codes ? 401 : 200, "X-Api-Key header is required");
		return NULL;
	}
	const char *pid = sbx__field(c, "pid");
	if (!pid) {
		sbx__err(c, codes ? 400 : 200, "pid not provided");
		return NULL;
	}
	if (!sbx__field(c, "signature")) {
		sbx__err(c, codes ? 400 : 200, "signature not provided");
		return NULL;
	}
	sbx_merchant_t *m = sbx__merchant(c->sbx, pid);
	if (!m) {
		sbx__err(c, codes ? 400 : 200, "Invalid PID");
		return NULL;
	}
	if (!m->api_key[0] || !pa_const_eq(key, strlen(key), m->api_key,
					   strlen(m->api_key))) {
		sbx__err(c, codes ? 401 : 200, "Invalid API key");
		return NULL;
	}
	const char *ip = pw_http_client_ip(c->req);
	if (!sbx__ip_allowed(m, ip)) {
		sbx__err(c, codes ? 403 : 200, "IP not allowed: %s", ip);
		return NULL;
	}
	if (!sbx__check_v2_sig(c->sbx, m, c->body)) {
		sbx__err(c, codes ? 401 : 200, "Invalid signature");
		return NULL;
	}
	return m;
}

int sbx__day_of(time_t t)
{
	return (int)(t / 86400);
}

int sbx__parse_date(const char *s)
{
	int d, mo, y;
	char tail;
	if (!s || strlen(s) != 10 || s[2] != '-' || s[5] != '-')
		return -1;
	if (sscanf(s, "%2d-%2d-%4d%c", &d, &mo, &y, &tail) != 3)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || y < 1970 || y > 9999)
		return -1;
	struct tm tm = {0};
	tm.tm_mday = d;
	tm.tm_mon = mo - 1;
	tm.tm_year = y - 1900;
	time_t t = timegm(&tm);
	struct tm back;
	gmtime_r(&t, &back);
	if (back.tm_mday != d || back.tm_mon != mo - 1)
		return -1; /* 31-02-2024 */
	return sbx__day_of(t);
}

