/* fake_registry.c -- see fake_registry.h. */
#include "fake_registry.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde/avro_schema.h"

#define MAX_BODY (1u << 20)

struct pwt_registry {
	struct MHD_Daemon *d;
	char url[128];
	char prefix[64];
	char *user, *password;
	char *cert, *key; /* PEM, kept alive for the daemon */
	pthread_mutex_t mu;
	size_t requests;
	size_t registrations, refused;
	int read_only;
	json_t *ids;	  /* array: index = id - 1 -> schema text */
	json_t *subjects; /* subject -> array of ids (versions) */
};

typedef struct req {
	char *body;
	size_t len;
	int too_big;
} req_t;

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     json_t *body)
{
	char *txt = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		txt ? strlen(txt) : 0, txt ? txt : (char *)"",
		txt ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type",
				"application/vnd.schemaregistry.v1+json");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static json_t *error_body(int code, const char *msg)
{
	return json_pack("{s:i, s:s}", "error_code", code, "message", msg);
}

/* id of text (1-based), adding it when new. Caller holds mu. */
static int id_of(pwt_registry_t *fr, const char *text, int add)
{
	size_t i;
	json_t *s;
	json_array_foreach(fr->ids, i, s)
	{
		if (!strcmp(json_string_value(s), text))
			return (int)i + 1;
	}
	if (!add)
		return 0;
	json_array_append_new(fr->ids, json_string(text));
	return (int)json_array_size(fr->ids);
}

static enum MHD_Result post_subject(pwt_registry_t *fr, struct MHD_Connection *c,
				    const char *subject, int versions,
				    const req_t *rq)
{
	json_error_t jerr;
	json_t *in = json_loadb(rq->body ? rq->body : "", rq->len, 0, &jerr);
	const char *text = json_string_value(json_object_get(in, "schema"));
	if (!text) {
		json_decref(in);
		return reply(c, 422, error_body(42201, "Invalid schema"));
	}
	pw_avsc_t *sch = NULL;
	if (pw_avsc_parse(text, strlen(text), &sch, NULL) != PA_OK) {
		json_decref(in);
		return reply(c, 422, error_body(42201, "Invalid schema"));
	}
	pthread_mutex_lock(&fr->mu);
	json_t *vers = json_object_get(fr->subjects, subject);
	int id = id_of(fr, text, 0);
	int known = 0;
	size_t i;
	json_t *v;
	json_array_foreach(vers, i, v) known |= json_integer_value(v) == id;
	enum MHD_Result ret;
	if (!versions) { /* lookup */
		if (!vers)
			ret = reply(c, 404, error_body(40401, "Subject not found"));
		else if (!known)
			ret = reply(c, 404, error_body(40403, "Schema not found"));
		else
			ret = reply(c, 200,
				    json_pack("{s:s, s:i, s:i, s:s}", "subject",
					      subject, "version", 1, "id", id,
					      "schema", text));
		goto out;
	}
	if (fr->read_only) {
		fr->refused++;
		ret = reply(c, 403, error_body(40301, "User is denied operation "
						      "Write on this subject"));
		goto out;
	}
	if (known) {
		ret = reply(c, 200, json_pack("{s:i}", "id", id));
		goto out;
	}
	size_t n = json_array_size(vers);
	if (n) { /* BACKWARD: the new schema reads data of the latest one */
		int last = (int)json_integer_value(json_array_get(vers, n - 1));
		const char *old = json_string_value(json_array_get(fr->ids, (size_t)last - 1));
		pw_avsc_t *prev = NULL;
		char eb[256] = "";
		int ok = pw_avsc_parse(old, strlen(old), &prev, eb) == PA_OK &&
			 pw_avsc_check_compat(sch, prev, eb) == PA_OK;
		pw_avsc_destroy(prev);
		if (!ok) {
			char msg[400];
			snprintf(msg, sizeof msg,
				 "Schema being registered is incompatible with "
				 "an earlier schema for subject \"%s\": %s",
				 subject, eb);
			ret = reply(c, 409, error_body(409, msg));
			goto out;
		}
	}
	id = id_of(fr, text, 1);
	if (!vers) {
		vers = json_array();
		json_object_set_new(fr->subjects, subject, vers);
	}
	json_array_append_new(vers, json_integer(id));
	fr->registrations++;
	ret = reply(c, 200, json_pack("{s:i}", "id", id));
out:
	pthread_mutex_unlock(&fr->mu);
	pw_avsc_destroy(sch);
	json_decref(in);
	return ret;
}

static enum MHD_Result latest(pwt_registry_t *fr, struct MHD_Connection *c,
			      const char *subject, const char *tail)
{
	if (strcmp(tail, "/versions/latest") != 0)
		return reply(c, 404, error_body(404, "HTTP 404 Not Found"));
	pthread_mutex_lock(&fr->mu);
	json_t *vers = json_object_get(fr->subjects, subject);
	size_t n = json_array_size(vers);
	json_t *body = NULL;
	if (n) {
		json_int_t id = json_integer_value(json_array_get(vers, n - 1));
		body = json_pack("{s:s, s:i, s:I, s:O}", "subject", subject,
				 "version", (int)n, "id", id, "schema",
				 json_array_get(fr->ids, (size_t)id - 1));
	}
	pthread_mutex_unlock(&fr->mu);
	if (!body)
		return reply(c, 404, error_body(40401, "Subject not found"));
	return reply(c, 200, body);
}

static int authorized(pwt_registry_t *fr, struct MHD_Connection *c)
{
	if (!fr->user)
		return 1;
	char *pass = NULL;
	char *user = MHD_basic_auth_get_username_password(c, &pass);
	int ok = user && pass && !strcmp(user, fr->user) &&
		 !strcmp(pass, fr->password);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_size, void **con_cls)
{
	pwt_registry_t *fr = cls;
	req_t *rq = *con_cls;
	if (!rq) {
		rq = calloc(1, sizeof *rq);
		if (!rq)
			return MHD_NO;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->len + *upload_size > MAX_BODY) {
			rq->too_big = 1;
		} else {
			char *nb = realloc(rq->body, rq->len + *upload_size + 1);
			if (!nb)
				return MHD_NO;
			memcpy(nb + rq->len, upload_data, *upload_size);
			rq->body = nb;
			rq->len += *upload_size;
			rq->body[rq->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&fr->mu);
	fr->requests++;
	pthread_mutex_unlock(&fr->mu);
	if (!authorized(fr, c))
		return reply(c, 401, error_body(401, "Unauthorized"));
	size_t pl = strlen(fr->prefix);
	if (strncmp(url, fr->prefix, pl) != 0)
		return reply(c, 404, error_body(404, "HTTP 404 Not Found"));
	url += pl;
	char subject[256];
	int id;
	char tail[16] = "";
	if (!strcmp(method, "GET") &&
	    sscanf(url, "/subjects/%255[^/]", subject) == 1)
		return latest(fr, c, subject,
			      url + strlen("/subjects/") + strlen(subject));
	if (!strcmp(method, "POST") &&
	    sscanf(url, "/subjects/%255[^/]%15s", subject, tail) >= 1) {
		if (tail[0] && strcmp(tail, "/versions") != 0)
			return reply(c, 404, error_body(404, "HTTP 404 Not Found"));
		return post_subject(fr, c, subject, tail[0] != '\0', rq);
	}
	if (!strcmp(method, "GET") && sscanf(url, "/schemas/ids/%d", &id) == 1) {
		pthread_mutex_lock(&fr->mu);
		json_t *s = id > 0 ? json_array_get(fr->ids, (size_t)id - 1) : NULL;
		json_t *body = s ? json_pack("{s:O}", "schema", s) : NULL;
		pthread_mutex_unlock(&fr->mu);
		if (!body)
			return reply(c, 404, error_body(40403, "Schema not found"));
		return reply(c, 200, body);
	}
	return reply(c, 404, error_body(404, "HTTP 404 Not Found"));
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls,
		 enum MHD_RequestTerminationCode toe)
{
	req_t *rq = *con_cls;
	if (rq) {
		free(rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static pwt_registry_t *start(const char *prefix, const char *user,
			     const char *password, const char *cert,
			     const char *key)
{
	pwt_registry_t *fr = calloc(1, sizeof *fr);
	if (!fr)
		return NULL;
	pthread_mutex_init(&fr->mu, NULL);
	snprintf(fr->prefix, sizeof fr->prefix, "%s", prefix ? prefix : "");
	fr->user = user ? strdup(user) : NULL;
	fr->password = password ? strdup(password) : NULL;
	fr->cert = cert ? strdup(cert) : NULL;
	fr->key = key ? strdup(key) : NULL;
	fr->ids = json_array();
	fr->subjects = json_object();
	struct sockaddr_in sa = {0};
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	if (cert)
		fr->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, handle,
					 fr, MHD_OPTION_SOCK_ADDR,
					 (struct sockaddr *)&sa,
					 MHD_OPTION_NOTIFY_COMPLETED, done, fr,
					 MHD_OPTION_HTTPS_MEM_CERT, fr->cert,
					 MHD_OPTION_HTTPS_MEM_KEY, fr->key,
					 MHD_OPTION_END);
	else
		fr->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, fr,
					 MHD_OPTION_SOCK_ADDR,
					 (struct sockaddr *)&sa,
					 MHD_OPTION_NOTIFY_COMPLETED, done, fr,
					 MHD_OPTION_END);
	if (!fr->d) {
		pwt_registry_stop(fr);
		return NULL;
	}
	const union MHD_DaemonInfo *di =
		MHD_get_daemon_info(fr->d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(fr->url, sizeof fr->url, "%s://127.0.0.1:%u%s",
		 cert ? "https" : "http", di ? (unsigned)di->port : 0u,
		 fr->prefix);
	return fr;
}

pwt_registry_t *pwt_registry_start(const char *prefix, const char *user,
				   const char *password)
{
	return start(prefix, user, password, NULL, NULL);
}

pwt_registry_t *pwt_registry_start_tls(const char *prefix, const char *cert_pem,
				       const char *key_pem)
{
	if (!cert_pem || !key_pem)
		return NULL;
	return start(prefix, NULL, NULL, cert_pem, key_pem);
}

void pwt_registry_stop(pwt_registry_t *fr)
{
	if (!fr)
		return;
	if (fr->d)
		MHD_stop_daemon(fr->d);
	json_decref(fr->ids);
	json_decref(fr->subjects);
	free(fr->user);
	free(fr->password);
	free(fr->cert);
	free(fr->key);
	pthread_mutex_destroy(&fr->mu);
	free(fr);
}

const char *pwt_registry_url(const pwt_registry_t *fr)
{
	return fr->url;
}

int pwt_registry_put(pwt_registry_t *fr, const char *subject, const char *text)
{
	pthread_mutex_lock(&fr->mu);
	int id = id_of(fr, text, 1);
	json_t *vers = json_object_get(fr->subjects, subject);
	if (!vers) {
		vers = json_array();
		json_object_set_new(fr->subjects, subject, vers);
	}
	json_array_append_new(vers, json_integer(id));
	pthread_mutex_unlock(&fr->mu);
	return id;
}

void pwt_registry_set_read_only(pwt_registry_t *fr, int on)
{
	pthread_mutex_lock(&fr->mu);
	fr->read_only = on;
	pthread_mutex_unlock(&fr->mu);
}

size_t pwt_registry_registrations(pwt_registry_t *fr)
{
	pthread_mutex_lock(&fr->mu);
	size_t n = fr->registrations;
	pthread_mutex_unlock(&fr->mu);
	return n;
}

size_t pwt_registry_refused_writes(pwt_registry_t *fr)
{
	pthread_mutex_lock(&fr->mu);
	size_t n = fr->refused;
	pthread_mutex_unlock(&fr->mu);
	return n;
}

size_t pwt_registry_requests(pwt_registry_t *fr)
{
	pthread_mutex_lock(&fr->mu);
	size_t n = fr->requests;
	pthread_mutex_unlock(&fr->mu);
	return n;
}

size_t pwt_registry_schemas(pwt_registry_t *fr)
{
	pthread_mutex_lock(&fr->mu);
	size_t n = json_array_size(fr->ids);
	pthread_mutex_unlock(&fr->mu);
	return n;
}
