/* registry.c -- Confluent Schema Registry REST client (registry.h).
 * Owns: the three REST calls we use, HTTP status -> pa_err_t mapping, the
 *       caches, auth/TLS options.
 * Not here: subjects naming and framing (codec.c).
 * REST (Confluent API, also Apicurio ccompat v7):
 *   POST {url}/subjects/{subject}/versions  {"schema": "..."} -> {"id": N}
 *   POST {url}/subjects/{subject}           {"schema": "..."} -> {"id": N,..}
 *   GET  {url}/subjects/{subject}/versions/latest
 *                                 -> {"id": N, "version": V, "schema": "..."}
 *   GET  {url}/schemas/ids/{id}             -> {"schema": "..."} */
#include "serde/registry.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A registry answer bigger than this is not a schema we want. */
#define MAX_REPLY (4u << 20)

struct pw_registry {
	char *url; /* without trailing '/' */
	char *shown; /* url without user:password@, for messages */
	char *user;
	char *password;
	char *ca_file;
	long timeout_ms;
	int auto_register;
	int use_latest;
	unsigned long requests;
	json_t *by_id;	 /* "id" -> schema text */
	json_t *by_subj; /* "subject\x1f<fingerprint hex>" -> id */
	json_t *latest;	 /* subject -> [id, version] */
	CURL *curl;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void pw_registry_destroy(pw_registry_t *reg)
{
	if (!reg)
		return;
	if (reg->password) {
		OPENSSL_cleanse(reg->password, strlen(reg->password));
		free(reg->password);
	}
	if (reg->url) /* may carry user:password@ */
		OPENSSL_cleanse(reg->url, strlen(reg->url));
	free(reg->url);
	free(reg->shown);
	free(reg->user);
	free(reg->ca_file);
	json_decref(reg->by_id);
	json_decref(reg->by_subj);
	json_decref(reg->latest);
	if (reg->curl)
		curl_easy_cleanup(reg->curl);
	free(reg);
}

pa_err_t pw_registry_new(const pw_registry_conf_t *conf, pw_registry_t **out,
			 char *errbuf)
{
	if (!conf || !out)
		return pa_seterr(errbuf, PA_INVAL, "no registry configuration");
	if (!conf->url || (strncmp(conf->url, "http://", 7) != 0 &&
			   strncmp(conf->url, "https://", 8) != 0))
		return pa_seterr(errbuf, PA_CONFIG,
				 "schema.registry.url must start with http:// "
				 "or https://");
	pw_registry_t *reg = calloc(1, sizeof *reg);
	if (!reg)
		return PA_NOMEM;
	reg->url = strdup(conf->url);
	reg->user = dup_or_null(conf->user);
	reg->password = dup_or_null(conf->password);
	reg->ca_file = dup_or_null(conf->ca_file);
	reg->timeout_ms = conf->timeout_ms > 0 ? conf->timeout_ms : 10000;
	reg->auto_register = conf->auto_register;
	reg->use_latest = conf->use_latest;
	reg->by_id = json_object();
	reg->by_subj = json_object();
	reg->latest = json_object();
	reg->curl = curl_easy_init();
	if (!reg->url || !reg->by_id || !reg->by_subj || !reg->latest ||
	    !reg->curl ||
	    (conf->user && !reg->user) || (conf->password && !reg->password) ||
	    (conf->ca_file && !reg->ca_file)) {
		pw_registry_destroy(reg);
		return PA_NOMEM;
	}
	size_t n = strlen(reg->url);
	while (n && reg->url[n - 1] == '/')
		reg->url[--n] = '\0';
	/* "scheme://user:pass@host/..." -> "scheme://host/..." for errors. */
	const char *host = strstr(reg->url, "://") + 3;
	const char *at = strchr(host, '@');
	const char *slash = strchr(host, '/');
	if (at && (!slash || at < slash)) {
		size_t pre = (size_t)(host - reg->url);
		reg->shown = malloc(strlen(reg->url) + 1);
		if (reg->shown) {
			memcpy(reg->shown, reg->url, pre);
			strcpy(reg->shown + pre, at + 1);
		}
	} else {
		reg->shown = strdup(reg->url);
	}
	if (!reg->shown) {
		pw_registry_destroy(reg);
		return PA_NOMEM;
	}
	*out = reg;
	return PA_OK;
}

const char *pw_registry_shown(const pw_registry_t *reg)
{
	return reg ? reg->shown : "";
}

unsigned long pw_registry_requests(const pw_registry_t *reg)
{
	return reg ? reg->requests : 0;
}

int pw_registry_auto_register(const pw_registry_t *reg)
{
	return reg && reg->auto_register;
}

int pw_registry_use_latest(const pw_registry_t *reg)
{
	return reg && reg->use_latest;
}

typedef struct reply {
	char *p;
	size_t len;
	int too_big;
} reply_t;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	reply_t *r = ud;
	size_t n = size * nmemb;
	if (r->len + n > MAX_REPLY) {
		r->too_big = 1;
		return 0;
	}
	char *np = realloc(r->p, r->len + n + 1);
	if (!np)
		return 0;
	memcpy(np + r->len, ptr, n);
	r->p = np;
	r->len += n;
	r->p[r->len] = '\0';
	return n;
}

/* The useful part of a registry's error "message": Apicurio (ccompat)
 * prefixes its Java exception class ("io.apicurio….RuleViolationException: ")
 * and repeats the subject ("Incompatible artifact: <subject> [AVRO], ");
 * both are dropped (the caller names the subject), so the details (e.g.
 * "list of diff types: [currency at /fields/11]") fit an error buffer.
 * Borrowed: points into msg. */
static const char *registry_reason(const char *msg)
{
	const char *colon = strstr(msg, ": ");
	if (colon) {
		size_t n = (size_t)(colon - msg);
		if (n > 9 && !memchr(msg, ' ', n) && memchr(msg, '.', n) &&
		    !strncmp(colon - 9, "Exception", 9))
			msg = colon + 2;
	}
	static const char apicurio[] = "Incompatible artifact: ";
	if (!strncmp(msg, apicurio, sizeof apicurio - 1)) {
		const char *rest = strstr(msg, "], ");
		if (rest)
			msg = rest + 3;
	}
	return msg;
}

/* One request; on PA_OK *body is the parsed JSON reply (new reference). */
static pa_err_t call(pw_registry_t *reg, const char *path, const char *post,
		     json_t **body, char *errbuf)
{
	char url[2048];
	int un = snprintf(url, sizeof url, "%s%s", reg->url, path);
	if (un < 0 || (size_t)un >= sizeof url)
		return pa_seterr(errbuf, PA_INVAL, "registry URL too long");
	CURL *c = reg->curl;
	curl_easy_reset(c);
	reply_t r = {0};
	struct curl_slist *h = NULL;
	h = curl_slist_append(h, "Accept: application/vnd.schemaregistry.v1+json, application/json");
	if (post)
		h = curl_slist_append(h, "Content-Type: application/vnd.schemaregistry.v1+json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, reg->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (post)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	if (reg->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, reg->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD,
				 reg->password ? reg->password : "");
	}
	if (reg->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, reg->ca_file);
	reg->requests++;
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	pa_err_t err = PA_OK;
	if (rc != CURLE_OK) {
		if (r.too_big)
			err = pa_seterr(errbuf, PA_TOO_BIG,
					"registry reply over %u bytes", MAX_REPLY);
		else if (rc == CURLE_OPERATION_TIMEDOUT)
			err = pa_seterr(errbuf, PA_TIMEOUT,
					"schema registry %s: timed out", reg->shown);
		else if (rc == CURLE_SSL_CACERT_BADFILE ||
			 rc == CURLE_PEER_FAILED_VERIFICATION ||
			 rc == CURLE_SSL_CONNECT_ERROR ||
			 rc == CURLE_SSL_CERTPROBLEM)
			err = pa_seterr(errbuf, PA_TLS, "schema registry %s: %s",
					reg->shown, curl_easy_strerror(rc));
		else
			err = pa_seterr(errbuf, PA_CONNECT,
					"schema registry %s: %s", reg->shown,
					curl_easy_strerror(rc));
		goto out;
	}
	json_error_t jerr;
	json_t *j = r.p ? json_loadb(r.p, r.len, 0, &jerr) : NULL;
	const char *msg = json_string_value(json_object_get(j, "message"));
	msg = msg ? registry_reason(msg) : "";
	if (status == 200) {
		if (!j)
			err = pa_seterr(errbuf, PA_PARSE,
					"schema registry: reply is not JSON");
		else
			*body = json_incref(j);
	} else if (status == 409 && strstr(msg, "read-only")) {
		/* Apicurio in read-only mode answers writes 409 */
		err = pa_seterr(errbuf, PA_AUTH,
				"schema registry: read-only (409): %s", msg);
	} else if (status == 409) {
		err = pa_seterr(errbuf, PA_VALIDATION,
				"registry refused it, incompatible with "
				"earlier versions (409): %s",
				msg);
	} else if (status == 422) {
		err = pa_seterr(errbuf, PA_VALIDATION,
				"registry refused it, invalid schema (422): %s",
				msg);
	} else if (status == 404) {
		err = pa_seterr(errbuf, PA_NOT_FOUND,
				"schema registry: not found (404): %s", msg);
	} else if (status == 401) {
		err = pa_seterr(errbuf, PA_AUTH,
				"schema registry: authentication rejected "
				"(401)");
	} else if (status == 403) {
		err = pa_seterr(errbuf, PA_AUTH,
				"schema registry: permission denied (403)");
	} else if (status >= 500) {
		err = pa_seterr(errbuf, PA_HTTP_5XX,
				"schema registry: HTTP %ld: %s", status, msg);
	} else {
		err = pa_seterr(errbuf, PA_HTTP_STATUS,
				"schema registry: HTTP %ld: %s", status, msg);
	}
	json_decref(j);
out:
	free(r.p);
	return err;
}

static pa_err_t post_schema(pw_registry_t *reg, const char *subject,
			    const char *schema, int versions, int32_t *id,
			    char *errbuf)
{
	if (!reg || !subject || !schema || !id)
		return pa_seterr(errbuf, PA_INVAL, "registry: missing argument");
	char *esc = curl_easy_escape(reg->curl, subject, 0);
	if (!esc)
		return PA_NOMEM;
	char path[1024];
	snprintf(path, sizeof path, "/subjects/%s%s", esc,
		 versions ? "/versions" : "");
	curl_free(esc);
	json_t *req = json_pack("{s:s}", "schema", schema);
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body)
		return PA_NOMEM;
	json_t *rep = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	pa_err_t err = call(reg, path, body, &rep, eb);
	free(body);
	if (err == PA_VALIDATION || err == PA_NOT_FOUND)
		return pa_seterr(errbuf, err, "subject %s: %s", subject, eb);
	if (err == PA_AUTH && versions &&
	    (strstr(eb, "(403)") || strstr(eb, "read-only (409)")))
		return pa_seterr(errbuf, err,
				 "subject %s: registration refused, set "
				 "schema.registry.auto.register=false for a "
				 "read-only registry (%s)",
				 subject, eb + strlen("schema registry: "));
	if (err)
		return pa_seterr(errbuf, err, "%s", eb);
	json_t *jid = json_object_get(rep, "id");
	if (!json_is_integer(jid) || json_integer_value(jid) < 0 ||
	    json_integer_value(jid) > INT32_MAX) {
		json_decref(rep);
		return pa_seterr(errbuf, PA_PARSE,
				 "schema registry: reply without a valid id");
	}
	*id = (int32_t)json_integer_value(jid);
	json_decref(rep);
	/* The text is known for this id now too. */
	char key[16];
	snprintf(key, sizeof key, "%" PRId32, *id);
	if (!json_object_get(reg->by_id, key))
		json_object_set_new(reg->by_id, key, json_string(schema));
	return PA_OK;
}

pa_err_t pw_registry_register(pw_registry_t *reg, const char *subject,
			      const char *schema, int32_t *id, char *errbuf)
{
	return post_schema(reg, subject, schema, 1, id, errbuf);
}

pa_err_t pw_registry_lookup(pw_registry_t *reg, const char *subject,
			    const char *schema, int32_t *id, char *errbuf)
{
	return post_schema(reg, subject, schema, 0, id, errbuf);
}

pa_err_t pw_registry_id_for(pw_registry_t *reg, const char *subject,
			    const char *schema, uint64_t fingerprint,
			    int32_t *id, char *errbuf)
{
	if (!reg || !subject || !schema || !id)
		return pa_seterr(errbuf, PA_INVAL, "registry: missing argument");
	char key[600];
	snprintf(key, sizeof key, "%s\x1f%016" PRIx64, subject, fingerprint);
	json_t *hit = json_object_get(reg->by_subj, key);
	if (hit) {
		*id = (int32_t)json_integer_value(hit);
		return PA_OK;
	}
	pa_err_t err = post_schema(reg, subject, schema, reg->auto_register,
				   id, errbuf);
	if (!err)
		json_object_set_new(reg->by_subj, key, json_integer(*id));
	return err;
}

/* Confluent omits schemaType for AVRO; anything else is not ours. */
static pa_err_t avro_only(const json_t *rep, int32_t id, char *errbuf)
{
	const char *type = json_string_value(json_object_get(rep, "schemaType"));
	if (type && strcmp(type, "AVRO") != 0)
		return pa_seterr(errbuf, PA_UNSUPPORTED,
				 "schema id %" PRId32 " is %s, not AVRO", id,
				 type);
	return PA_OK;
}

pa_err_t pw_registry_latest(pw_registry_t *reg, const char *subject,
			    int32_t *id, int *version, const char **schema,
			    char *errbuf)
{
	if (!reg || !subject || !id || !schema)
		return pa_seterr(errbuf, PA_INVAL, "registry: missing argument");
	json_t *hit = json_object_get(reg->latest, subject);
	if (!hit) {
		char *esc = curl_easy_escape(reg->curl, subject, 0);
		if (!esc)
			return PA_NOMEM;
		char path[1024];
		snprintf(path, sizeof path, "/subjects/%s/versions/latest", esc);
		curl_free(esc);
		json_t *rep = NULL;
		char eb[PA_ERRBUF_SIZE] = "";
		pa_err_t err = call(reg, path, NULL, &rep, eb);
		if (err == PA_NOT_FOUND)
			return pa_seterr(errbuf, err,
					 "subject %s has no registered "
					 "version (%s)",
					 subject, eb);
		if (err)
			return pa_seterr(errbuf, err, "subject %s: %s", subject,
					 eb);
		json_t *jid = json_object_get(rep, "id");
		json_t *jv = json_object_get(rep, "version");
		json_t *js = json_object_get(rep, "schema");
		if (!json_is_integer(jid) || json_integer_value(jid) < 0 ||
		    json_integer_value(jid) > INT32_MAX || !json_is_string(js)) {
			json_decref(rep);
			return pa_seterr(errbuf, PA_PARSE,
					 "schema registry: latest version of "
					 "%s without id or schema",
					 subject);
		}
		int32_t lid = (int32_t)json_integer_value(jid);
		if ((err = avro_only(rep, lid, errbuf))) {
			json_decref(rep);
			return err;
		}
		char key[16];
		snprintf(key, sizeof key, "%" PRId32, lid);
		if (!json_object_get(reg->by_id, key))
			json_object_set(reg->by_id, key, js);
		hit = json_pack("[i, I]", (int)lid,
				json_is_integer(jv) ? json_integer_value(jv)
						    : (json_int_t)0);
		json_decref(rep);
		if (!hit || json_object_set_new(reg->latest, subject, hit))
			return PA_NOMEM;
	}
	*id = (int32_t)json_integer_value(json_array_get(hit, 0));
	if (version)
		*version = (int)json_integer_value(json_array_get(hit, 1));
	char key[16];
	snprintf(key, sizeof key, "%" PRId32, *id);
	*schema = json_string_value(json_object_get(reg->by_id, key));
	return *schema ? PA_OK : PA_NOMEM;
}

pa_err_t pw_registry_schema_by_id(pw_registry_t *reg, int32_t id,
				  const char **schema, char *errbuf)
{
	if (!reg || !schema)
		return pa_seterr(errbuf, PA_INVAL, "registry: missing argument");
	char key[16];
	snprintf(key, sizeof key, "%" PRId32, id);
	json_t *hit = json_object_get(reg->by_id, key);
	if (hit) {
		*schema = json_string_value(hit);
		return PA_OK;
	}
	char path[64];
	snprintf(path, sizeof path, "/schemas/ids/%" PRId32, id);
	json_t *rep = NULL;
	pa_err_t err = call(reg, path, NULL, &rep, errbuf);
	if (err)
		return err;
	json_t *s = json_object_get(rep, "schema");
	if (!json_is_string(s)) {
		json_decref(rep);
		return pa_seterr(errbuf, PA_PARSE,
				 "schema registry: reply without schema");
	}
	if ((err = avro_only(rep, id, errbuf))) {
		json_decref(rep);
		return err;
	}
	json_object_set(reg->by_id, key, s);
	json_decref(rep);
	*schema = json_string_value(json_object_get(reg->by_id, key));
	return PA_OK;
}
