/* api_common.c -- what every PayAtom call shares.
 * Owns: pa_request_t lifetime, the merchant check, gateway error
 *       classification (spec §2.3), JSON reading helpers, what every reply
 *       parser and every builder starts and ends with (pa__reply_open/clear,
 *       pa__req_args, pa__req_finish/done), request assembly, post_hash /
 *       signatures of requests, field validation helpers.
 * Not here: per-endpoint builders and parsers (api_payin.c, api_payout.c,
 *           api_report.c, api_complaint.c), callbacks (webhook.c). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "api_internal.h"
#include "payatom/canonjson.h"

/* ---- pa_request_t ---- */

static void wipe_free(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void pa_request_destroy(pa_request_t *req)
{
	if (!req)
		return;
	for (size_t i = 0; i < req->n_headers; i++) {
		free(req->headers[i].name);
		wipe_free(req->headers[i].value);
	}
	free(req->headers);
	wipe_free(req->body);
	free(req->method);
	free(req->url);
	free(req);
}

static const char *const opnames[PA__OP_COUNT] = {
	"PAYIN",	   "PAYOUT",	       "UTR_SUBMIT",
	"STATUS",	   "PAYOUT_STATUS",    "REFUND",
	"COMPLAINT_SUBMIT", "COMPLAINT_VIEW",  "RECON_PAYIN",
	"RECON_PAYOUT",	   "WALLET_BALANCE",   "WALLET_BALANCE_V2",
	"WALLET_SUMMARY",   "WALLET_DATA",
};

const char *pa_op_name(pa_op_t op)
{
	if ((unsigned)op >= PA__OP_COUNT)
		return "UNKNOWN";
	return opnames[op];
}

const char *pa_request_header(const pa_request_t *req, const char *name)
{
	if (!req || !name)
		return NULL;
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

pa_err_t pa_merchant_check(const pa_merchant_t *m, char *errbuf)
{
	if (!m)
		return pa_seterr(errbuf, PA_INVAL, "merchant: NULL profile");
	if (!pa__given(m->pid))
		return pa_seterr(errbuf, PA_CONFIG, "merchant.pid: required");
	if (!m->secret)
		return pa_seterr(errbuf, PA_CONFIG,
				 "merchant.secret: required");
	if (!pa__given(m->base_url) ||
	    (strncmp(m->base_url, "http://", 7) != 0 &&
	     strncmp(m->base_url, "https://", 8) != 0))
		return pa_seterr(errbuf, PA_CONFIG,
				 "merchant.base_url: must start with http:// "
				 "or https://");
	if (m->api_version != PA_API_V1 && m->api_version != PA_API_V2)
		return pa_seterr(errbuf, PA_CONFIG,
				 "merchant.api_version: must be 1 or 2");
	if (m->api_version == PA_API_V2 && !pa__given(m->api_key))
		return pa_seterr(errbuf, PA_CONFIG,
				 "merchant.api_key: required for V2 (spec "
				 "§3.4)");
	if (m->country != PA_COUNTRY_IN && m->country != PA_COUNTRY_BD &&
	    m->country != PA_COUNTRY_PK)
		return pa_seterr(errbuf, PA_CONFIG, "merchant.country: unknown");
	return PA_OK;
}

/* ---- error replies ---- */

static int has_prefix_ci(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);
	return len >= n && strncasecmp(s, p, n) == 0;
}

static int contains_ci(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= len; i++)
		if (strncasecmp(s + i, needle, n) == 0)
			return 1;
	return 0;
}

pa_err_t pa_api_classify_message(const char *msg, size_t len)
{
	/* spec §2.2, §10.1, §8.2 [P]: both capitalisations occur. */
	static const char *const auth[] = {
		"Invalid PID",			/* §10.3; "invalid pid" §10.1 */
		"Invalid signature",		/* §10.3 */
		"X-Api-Key header is required", /* §10.3 */
		"Invalid API key",		/* §10.3 [I] */
		"Api-Key header missing",	/* §10.7 */
		"Invalid or unauthorized Api-Key", /* §10.7 */
		"IP not allowed",		/* §10.3 "IP not allowed: [IP]" */
		"Unauthorized Access",		/* §10.5 (names only) */
		"Verification Failed",		/* §10.5 */
		"Invalid User",			/* §10.5 */
	};
	if (!msg)
		return PA_GATEWAY;
	if (has_prefix_ci(msg, len, "Duplicate order_id"))
		return PA_DUPLICATE;
	if (has_prefix_ci(msg, len, "Reference code not found"))
		return PA_NOT_FOUND;
	/* §10.6: "an error says the daily limit has been reached" */
	if (contains_ci(msg, len, "daily limit") ||
	    contains_ci(msg, len, "limit reached") ||
	    contains_ci(msg, len, "limit has been reached"))
		return PA_LIMIT;
	for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++)
		if (has_prefix_ci(msg, len, auth[i]))
			return PA_AUTH;
	return PA_GATEWAY;
}

/* ---- JSON reading ---- */

pa_err_t pa__json_object(const char *body, size_t len, size_t max,
			 size_t flags, json_t **root, char *errbuf)
{
	json_error_t je;
	*root = NULL;
	if (!body && len)
		return pa_seterr(errbuf, PA_INVAL, "body: NULL");
	if (len > max)
		return pa_seterr(errbuf, PA_TOO_BIG,
				 "body: %zu bytes, limit %zu", len, max);
	if (len == 0)
		return pa_seterr(errbuf, PA_PARSE, "body: empty");
	if (memchr(body, '\0', len))
		return pa_seterr(errbuf, PA_PARSE, "body: embedded NUL byte");
	json_t *j = pa_json_loadb(body, len, flags, &je);
	if (!j && json_error_code(&je) == json_error_numeric_overflow)
		return pa_seterr(errbuf, PA_PARSE,
				 "body: a number beyond 64-bit integers or "
				 "doubles at %d (PHP's json_encode() never "
				 "writes one)",
				 je.position);
	char jt[200];
	if (!j) /* no "near '...'": replies carry personal data */
		return pa_seterr(errbuf, PA_PARSE, "body: not JSON (%s)",
				 pa_json_error_text(&je, jt, sizeof jt));
	if (!json_is_object(j)) {
		json_decref(j);
		return pa_seterr(errbuf, PA_PARSE, "body: not a JSON object");
	}
	*root = j;
	return PA_OK;
}

pa_err_t pa__envelope(json_t *root, int need_ok, char *errbuf)
{
	const char *st = pa__jstr(root, "status");
	if (st && strcasecmp(st, "error") == 0) {
		json_t *mj = json_object_get(root, "message");
		const char *msg = json_is_string(mj) ? json_string_value(mj)
						     : "(no message)";
		size_t mlen = json_is_string(mj) ? json_string_length(mj)
						 : strlen(msg);
		pa_err_t e = pa_api_classify_message(msg, mlen);
		return pa_seterr(errbuf, e, "gateway: %.*s",
				 (int)(mlen > 200 ? 200 : mlen), msg);
	}
	if (need_ok && (!st || (strcasecmp(st, "success") != 0 &&
				strcasecmp(st, "ok") != 0)))
		return pa_seterr(errbuf, PA_PARSE,
				 "status: expected \"success\" or \"ok\", got "
				 "%s%.40s%s",
				 st ? "\"" : "", st ? st : "none",
				 st ? "\"" : "");
	return PA_OK;
}

pa_err_t pa__reply_open(void *res, size_t size, const char *what,
			const char *body, size_t len, json_t **root,
			char *errbuf)
{
	pa_err_t e;
	*root = NULL;
	if (!res)
		return pa_seterr(errbuf, PA_INVAL, "%s: NULL result", what);
	memset(res, 0, size);
	if ((e = pa__json_object(body, len, PA__MAX_REPLY, JSON_REJECT_DUPLICATES,
				    root, errbuf)))
		return e;
	if ((e = pa__envelope(*root, 1, errbuf))) {
		json_decref(*root);
		*root = NULL;
	}
	return e;
}

void pa__reply_clear(void *res, size_t size, void *json_, void *owned)
{
	free(owned);
	json_decref((json_t *)json_);
	memset(res, 0, size);
}

const char *pa__jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

pa_err_t pa__jtext(json_t *o, const char *key, json_t *hold,
		   const char **text, size_t *len)
{
	char num[PA_PHP_NUM_MAX];
	const char *t = pa_php_strval(json_object_get(o, key), num, len);
	if (t == num) { /* keep the number's text as long as hold lives */
		json_t *s = json_stringn(num, *len);
		if (!s || json_array_append_new(hold, s))
			return PA_NOMEM;
		t = json_string_value(s);
	}
	*text = t;
	return PA_OK;
}

pa_err_t pa__jamount(json_t *o, const char *key, json_t *hold,
		     pa_amount_field_t *f, char *errbuf)
{
	memset(f, 0, sizeof(*f));
	json_t *v = json_object_get(o, key);
	if (pa__jtext(o, key, hold, &f->text, &f->text_len))
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	f->present = v && !json_is_null(v);
	f->valid = (json_is_string(v) || json_is_number(v)) &&
		   f->text_len <= PA_AMOUNT_TEXT_MAX &&
		   pa_money_parse(f->text, f->text_len, &f->minor, NULL) ==
			   PA_OK;
	if (!f->valid)
		f->minor = 0;
	return PA_OK;
}

pa_err_t pa__jmoney(json_t *o, const char *key, int whole_units,
		    int64_t *minor, char *errbuf)
{
	pa_amount_field_t f;
	*minor = 0;
	json_t *hold = json_array();
	pa_err_t e = hold ? pa__jamount(o, key, hold, &f, errbuf)
			  : pa_seterr(errbuf, PA_NOMEM, "out of memory");
	json_decref(hold);
	if (e || !f.present)
		return e;
	if (!f.valid)
		return pa_seterr(errbuf, PA_PARSE, "%s: not an amount", key);
	if (whole_units) {
		*minor = f.minor;
		return PA_OK;
	}
	/* Already minor units: must be an integer. */
	if (f.minor % 100)
		return pa_seterr(errbuf, PA_PARSE,
				 "%s: fractional minor units", key);
	*minor = f.minor / 100;
	return PA_OK;
}

pa_err_t pa__jint(json_t *o, const char *key, int64_t *v, int *has,
		  char *errbuf)
{
	json_t *j = json_object_get(o, key);
	*v = 0;
	if (has)
		*has = 0;
	if (!j || json_is_null(j))
		return PA_OK;
	if (json_is_integer(j)) {
		*v = (int64_t)json_integer_value(j);
	} else if (json_is_string(j) && json_string_length(j) > 0 &&
		   json_string_length(j) <= 18 &&
		   pa__all_digits(json_string_value(j))) {
		*v = strtoll(json_string_value(j), NULL, 10);
	} else {
		return pa_seterr(errbuf, PA_PARSE, "%s: not an integer", key);
	}
	if (has)
		*has = 1;
	return PA_OK;
}

/* ---- requests ---- */

pa_err_t pa__req_args(const pa_merchant_t *m, pa_request_t **out,
		      const char *what, char *errbuf)
{
	if (!m || !out)
		return pa_seterr(errbuf, PA_INVAL, "%s: NULL argument", what);
	return pa_merchant_check(m, errbuf);
}

pa_err_t pa__req_new(const pa_merchant_t *m, pa_op_t op, const char *method,
		     const char *path, pa_request_t **out, char *errbuf)
{
	pa_err_t e = pa_merchant_check(m, errbuf);
	if (e)
		return e;
	pa_request_t *req = calloc(1, sizeof(*req));
	if (!req)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	req->op = op;
	size_t blen = strlen(m->base_url);
	while (blen && m->base_url[blen - 1] == '/')
		blen--;
	size_t ulen = blen + strlen(path) + 1;
	req->url = malloc(ulen);
	req->method = strdup(method);
	if (!req->url || !req->method)
		goto nomem;
	snprintf(req->url, ulen, "%.*s%s", (int)blen, m->base_url, path);
	if (strcmp(method, "GET") != 0 || op == PA_OP_PAYIN ||
	    op == PA_OP_WALLET_DATA) {
		/* §10.8 and §12.5: even GETs are documented with a JSON
		 * content type. */
		if (pa__req_header(req, "Content-Type", "application/json"))
			goto nomem;
	}
	*out = req;
	return PA_OK;
nomem:
	pa_request_destroy(req);
	return pa_seterr(errbuf, PA_NOMEM, "out of memory");
}

pa_err_t pa__req_done(pa_err_t e, pa_request_t *req, json_t *body,
		      pa_request_t **out)
{
	json_decref(body);
	if (e)
		pa_request_destroy(req);
	else
		*out = req;
	return e;
}

pa_err_t pa__req_finish(pa_err_t e, pa_request_t *req, json_t *body,
			pa_request_t **out, char *errbuf)
{
	if (!e && pa__req_body(req, body))
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
	return pa__req_done(e, req, body, out);
}

pa_err_t pa__req_header(pa_request_t *req, const char *name,
			const char *value)
{
	struct pa_header *h =
		realloc(req->headers, (req->n_headers + 1) * sizeof(*h));
	if (!h)
		return PA_NOMEM;
	req->headers = h;
	h[req->n_headers].name = strdup(name);
	h[req->n_headers].value = strdup(value);
	if (!h[req->n_headers].name || !h[req->n_headers].value) {
		free(h[req->n_headers].name);
		free(h[req->n_headers].value);
		return PA_NOMEM;
	}
	req->n_headers++;
	return PA_OK;
}

/* One buffer (pa_json_dump), not json_dumps' doubling string that leaves
 * copies of the personal data in freed memory. */
pa_err_t pa__req_body(pa_request_t *req, json_t *body)
{
	size_t n = 0;
	char *s = pa_json_dump(body, JSON_COMPACT | JSON_PRESERVE_ORDER, 1024,
			       &n);
	if (!s)
		return PA_NOMEM;
	wipe_free(req->body);
	req->body = s;
	req->body_len = n;
	return PA_OK;
}

pa_err_t pa__req_v2_key(const pa_merchant_t *m, pa_request_t *req,
			char *errbuf)
{
	if (m->api_version != PA_API_V2)
		return PA_OK;
	if (pa__req_header(req, "X-Api-Key", m->api_key))
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	return PA_OK;
}

pa_err_t pa__sign_v2(const pa_merchant_t *m, json_t *body, char *errbuf)
{
	char sig[65];
	json_object_del(body, "signature");
	pa_err_t e = pa_sign_v2(m->secret, body, m->v2_alg, sig, errbuf);
	if (e)
		return e;
	return pa__set_str(body, "signature", sig);
}

pa_err_t pa__post_hash(const pa_merchant_t *m, json_t *body,
		       const pa_part_t *parts, size_t n, char *errbuf)
{
	pa_part_t all[8];
	char md5[PA_MD5_HEX_LEN + 1];
	char *sealed = NULL;
	size_t slen;
	if (n + 1 > sizeof(all) / sizeof(all[0]))
		return pa_seterr(errbuf, PA_INTERNAL, "post_hash: too many parts");
	memcpy(all, parts, n * sizeof(*parts));
	all[n].p = pa_secret_bytes(m->secret, &slen);
	all[n].len = slen;
	pa_md5_hex(all, n + 1, md5);
	pa_err_t e = pa_seal(m->secret, (const uint8_t *)md5, PA_MD5_HEX_LEN,
			     NULL, &sealed, errbuf);
	OPENSSL_cleanse(md5, sizeof(md5));
	if (e)
		return e;
	e = pa__set_str(body, "post_hash", sealed);
	free(sealed);
	return e;
}

pa_err_t pa__set_sealed(json_t *body, pa_err_t built, char *sealed,
			char *errbuf)
{
	pa_err_t e = built;
	if (!e && pa__set_str(body, "post_hash", sealed))
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
	free(sealed);
	return e;
}

pa_err_t pa__set_str(json_t *o, const char *key, const char *val)
{
	json_t *s = json_string(val);
	if (!s || json_object_set_new(o, key, s))
		return PA_NOMEM;
	return PA_OK;
}

pa_err_t pa__set_int(json_t *o, const char *key, int64_t v)
{
	json_t *s = json_integer((json_int_t)v);
	if (!s || json_object_set_new(o, key, s))
		return PA_NOMEM;
	return PA_OK;
}

/* ---- validation ---- */

int pa__given(const char *s)
{
	return s && *s;
}

int pa__all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

int pa__all_alnum(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s))
			return 0;
	return 1;
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

pa_err_t pa__need(const char *field, const char *v, size_t max,
		  const char *spec, char *errbuf)
{
	if (!pa__given(v))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: required (spec %s)", field, spec);
	if (strlen(v) > max)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: longer than %zu characters", field, max);
	if (has_ctl(v))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: control characters not allowed", field);
	return PA_OK;
}

pa_err_t pa__need_setting(const char *field, const char *v, const char *why,
			  char *errbuf)
{
	if (!pa__given(v))
		return pa_seterr(errbuf, PA_CONFIG, "merchant.%s: required %s",
				 field, why);
	return PA_OK;
}

pa_err_t pa__check_order_id(const pa_merchant_t *m, const char *v, size_t min,
			    size_t max, const char *spec, char *errbuf)
{
	if (!pa__given(v))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "order_id: required (spec %s)", spec);
	size_t n = strlen(v);
	if (m->lenient_order_id) {
		if (n > 63)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "order_id: must be 1-63 characters");
		for (const char *p = v; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '-' &&
			    *p != '_')
				return pa_seterr(errbuf, PA_VALIDATION,
						 "order_id: only A-Z a-z 0-9 - "
						 "_ allowed");
		return PA_OK;
	}
	if (n < min || n > max || !pa__all_alnum(v)) {
		if (min == max)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "order_id: must be %zu alphanumeric "
					 "characters (spec %s)",
					 min, spec);
		return pa_seterr(errbuf, PA_VALIDATION,
				 "order_id: must be %zu-%zu alphanumeric "
				 "characters (spec %s)",
				 min, max, spec);
	}
	return PA_OK;
}

pa_err_t pa__check_amount(const char *field, int64_t minor, const char *spec,
			  char *errbuf)
{
	if (minor <= 0)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: must be positive (spec %s)", field, spec);
	if (!pa_money_is_whole(minor))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: must be a whole number of currency units, "
				 "no paise/poisha (spec %s)",
				 field, spec);
	if (minor / 100 > 1000000000LL)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: too large", field);
	return PA_OK;
}

pa_err_t pa__check_date(const char *field, const char *v, const char *spec,
			char *errbuf)
{
	static const int mdays[12] = {31, 29, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	if (!pa__given(v))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: required (spec %s)", field, spec);
	int ok = strlen(v) == 10 && v[2] == '-' && v[5] == '-';
	for (int i = 0; ok && i < 10; i++)
		if (i != 2 && i != 5 && !isdigit((unsigned char)v[i]))
			ok = 0;
	if (ok) {
		int d = (v[0] - '0') * 10 + (v[1] - '0');
		int mo = (v[3] - '0') * 10 + (v[4] - '0');
		int y = atoi(v + 6);
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		ok = mo >= 1 && mo <= 12 && d >= 1 && y >= 2000 &&
		     d <= mdays[mo - 1] && !(mo == 2 && d == 29 && !leap);
	}
	if (!ok)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: must be a date DD-MM-YYYY (spec %s)",
				 field, spec);
	return PA_OK;
}

const char *pa__one_of(const char *v, const char *const *list)
{
	if (!v)
		return NULL;
	for (; *list; list++)
		if (strcasecmp(v, *list) == 0)
			return *list;
	return NULL;
}
