/* api_internal.h -- helpers shared by the api_*.c and webhook.c files.
 * Owns: the pa__ tier of the API layer: JSON reading, reply envelope,
 *       request assembly, field validation, post_hash and V2 signatures.
 * Not here: the public API (include/payatom/api.h). */
#ifndef PAYATOM_API_INTERNAL_H
#define PAYATOM_API_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "payatom/api.h"
#include "payatom/crypto.h"
#include "payatom/money.h"
#include "payatom/webhook.h"

#include "payatom/sign.h"

/* Largest reply body a parser accepts (wallet data lists can be long). */
#define PA__MAX_REPLY (8u << 20)

/* ---- replies ---- */
/* Parses body (at most max bytes, no raw NUL) into a JSON object with
 * json_loadb flags. PA_TOO_BIG, PA_PARSE (also for a number jansson cannot
 * hold). *root new. */
pa_err_t pa__json_object(const char *body, size_t len, size_t max,
			 size_t flags, json_t **root, char *errbuf);
/* {"status":"error"} -> classified error with the message in errbuf.
 * need_ok: the status must also be "success" or "ok" (else PA_PARSE). */
pa_err_t pa__envelope(json_t *root, int need_ok, char *errbuf);
/* The prologue of every reply parser: res (size bytes) must not be NULL
 * (PA_INVAL "<what>: NULL result"); it is zeroed, body is read as a JSON
 * object (at most PA__MAX_REPLY bytes) and its envelope must say success
 * (pa__envelope need_ok). On PA_OK *root is a new reference the caller
 * keeps in res->json_; on error *root is NULL and res stays zeroed. */
pa_err_t pa__reply_open(void *res, size_t size, const char *what,
			const char *body, size_t len, json_t **root,
			char *errbuf);
/* What every pa_*_result_clear does: frees owned (the result's one malloc'd
 * array, may be NULL), drops the reply JSON json_ (may be NULL) and zeroes
 * res (size bytes). res must not be NULL. */
void pa__reply_clear(void *res, size_t size, void *json_, void *owned);
/* String member or NULL (borrowed from o). */
const char *pa__jstr(json_t *o, const char *key);
/* PHP's string conversion of member key (pa_php_strval; absent: ""). A
 * number's text is kept in hold (a JSON array that owns it), so *text is
 * borrowed from o or hold, valid while both live. PA_NOMEM only. */
pa_err_t pa__jtext(json_t *o, const char *key, json_t *hold,
		   const char **text, size_t *len);
/* Amount member as PHP reads it (pa_amount_field_t, webhook.h): text from
 * pa__jtext, valid when a string or number whose text is a money amount.
 * Any JSON type is taken (absent/null: present = 0, text ""). PA_NOMEM
 * only. */
pa_err_t pa__jamount(json_t *o, const char *key, json_t *hold,
		     pa_amount_field_t *f, char *errbuf);
/* Amount member in minor units; whole_units: the number is major units
 * (1 -> 100), else it is already minor units (1 -> 1). Absent or null ->
 * *minor = 0, PA_OK. */
pa_err_t pa__jmoney(json_t *o, const char *key, int whole_units,
		    int64_t *minor, char *errbuf);
/* Integer (number or digit string) member; absent -> *v = 0, *has = 0. */
pa_err_t pa__jint(json_t *o, const char *key, int64_t *v, int *has,
		  char *errbuf);

/* ---- requests ---- */
/* A builder's first checks: m and out given (PA_INVAL "<what>: NULL
 * argument"), then pa_merchant_check(m). */
pa_err_t pa__req_args(const pa_merchant_t *m, pa_request_t **out,
		      const char *what, char *errbuf);
/* New request: method, base_url + path, Content-Type: application/json. */
pa_err_t pa__req_new(const pa_merchant_t *m, pa_op_t op, const char *method,
		     const char *path, pa_request_t **out, char *errbuf);
pa_err_t pa__req_header(pa_request_t *req, const char *name,
			const char *value);
/* Serializes body (compact) into req->body. Does not take body. */
pa_err_t pa__req_body(pa_request_t *req, json_t *body);
/* The end of a builder: drops body (may be NULL); on e == PA_OK hands req
 * to *out, else destroys req (may be NULL). Returns e. */
pa_err_t pa__req_done(pa_err_t e, pa_request_t *req, json_t *body,
		      pa_request_t **out);
/* pa__req_done, but first, when e is PA_OK, serializes body (not NULL) into
 * req (PA_NOMEM "out of memory" when that fails). */
pa_err_t pa__req_finish(pa_err_t e, pa_request_t *req, json_t *body,
			pa_request_t **out, char *errbuf);
/* For V2 merchants: X-Api-Key header. */
pa_err_t pa__req_v2_key(const pa_merchant_t *m, pa_request_t *req,
			char *errbuf);
/* Adds "signature" = pa_sign_v2(secret, body, mode). */
pa_err_t pa__sign_v2(const pa_merchant_t *m, json_t *body, char *errbuf);
/* Sets "post_hash" = base64(seal(md5(parts . secret))) (spec §3.1-3.2);
 * only for formulas sign.h has no builder for (UTR submit, A1). */
pa_err_t pa__post_hash(const pa_merchant_t *m, json_t *body,
		       const pa_part_t *parts, size_t n, char *errbuf);
/* Sets "post_hash" from a sealed blob (new, freed here whatever happens). */
pa_err_t pa__set_sealed(json_t *body, pa_err_t built, char *sealed,
			char *errbuf);
/* json_object_set_new with a string; PA_NOMEM on failure. */
pa_err_t pa__set_str(json_t *o, const char *key, const char *val);
pa_err_t pa__set_int(json_t *o, const char *key, int64_t v);

/* ---- validation (PA_VALIDATION, "<field>: <reason> (spec §N)") ---- */
int pa__given(const char *s);
pa_err_t pa__need(const char *field, const char *v, size_t max,
		  const char *spec, char *errbuf);
/* A merchant setting an endpoint needs (a token, a key): PA_CONFIG
 * "merchant.<field>: required <why>" when v is not given. */
pa_err_t pa__need_setting(const char *field, const char *v, const char *why,
			  char *errbuf);
/* order_id: min..max chars; alnum only unless the merchant is lenient
 * (then 1-63 of [A-Za-z0-9_-]). */
pa_err_t pa__check_order_id(const pa_merchant_t *m, const char *v, size_t min,
			    size_t max, const char *spec, char *errbuf);
/* Whole, positive amount (spec §2.2, §12.7). */
pa_err_t pa__check_amount(const char *field, int64_t minor, const char *spec,
			  char *errbuf);
/* DD-MM-YYYY and a real calendar date (spec §10.5). */
pa_err_t pa__check_date(const char *field, const char *v, const char *spec,
			char *errbuf);
int pa__all_digits(const char *s);
int pa__all_alnum(const char *s);
/* ASCII case-insensitive match against a NULL-terminated list; returns the
 * list entry (the canonical spelling) or NULL. */
const char *pa__one_of(const char *v, const char *const *list);

#endif
