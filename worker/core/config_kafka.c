/* config_kafka.c -- hands the kafka.* passthrough pairs to librdkafka.
 * Owns: applying pairs to an rd_kafka_conf_t with errors that name the key
 *       but never a credential's value; --check-config's kafka.* and
 *       brokers checks.
 * Not here: which properties the worker sets itself (kafka/worker.c). */
#include "config_kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

pa_err_t pw_config_apply_kafka(const pw_config_t *cfg, rd_kafka_conf_t *conf,
			       char *errbuf)
{
	if (!cfg || !conf)
		return pa_seterr(errbuf, PA_INVAL, "config: NULL argument");
	for (size_t i = 0; i < pw_config_passthrough_count(cfg); i++) {
		const char *key, *val;
		char rderr[512];
		if (pw_config_passthrough(cfg, i, &key, &val) != PA_OK || !val)
			continue;
		if (rd_kafka_conf_set(conf, key, val, rderr, sizeof rderr) ==
		    RD_KAFKA_CONF_OK)
			continue;
		/* librdkafka's message may quote the value: keep it only for
		 * non-credentials */
		if (cfg->pt[i].s.secret)
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: kafka.%s: rejected by librdkafka",
					 cfg->pt[i].s.origin, key);
		return pa_seterr(errbuf, PA_CONFIG, "%s: kafka.%s: %s",
				 cfg->pt[i].s.origin, key, rderr);
	}
	return PA_OK;
}

/* ---- --check-config ---------------------------------------------------- */

/* An origin as the loaders' errors print it: "x.conf:3", "env X", "-o". */
static const char *where(const char *origin)
{
	if (!origin)
		return "default";
	return strncmp(origin, "file ", 5) == 0 ? origin + 5 : origin;
}

/* One bootstrap entry: [PROTOCOL://]host:port, host a name, an IPv4
 * address or [IPv6]. 1 when well-formed. */
static int broker_ok(const char *s, size_t n)
{
	const char *sep = memchr(s, ':', n);
	if (sep && n - (size_t)(sep - s) >= 3 && sep[1] == '/' && sep[2] == '/') {
		for (const char *p = s; p < sep; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			      *p == '_'))
				return 0;
		n -= (size_t)(sep + 3 - s);
		s = sep + 3;
	}
	const char *colon = NULL;
	for (size_t i = n; i > 0; i--)
		if (s[i - 1] == ':') {
			colon = s + i - 1;
			break;
		}
	if (!colon || colon == s)
		return 0;
	const char *port = colon + 1;
	size_t pl = n - (size_t)(port - s);
	if (pl == 0 || pl > 5)
		return 0;
	long v = 0;
	for (size_t i = 0; i < pl; i++) {
		if (port[i] < '0' || port[i] > '9')
			return 0;
		v = v * 10 + (port[i] - '0');
	}
	if (v < 1 || v > 65535)
		return 0;
	size_t hl = (size_t)(colon - s);
	if (s[0] == '[')
		return hl > 2 && s[hl - 1] == ']';
	for (size_t i = 0; i < hl; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static pa_err_t check_brokers(pw_config_t *cfg, const char *key,
			      char *errbuf)
{
	const char *v = pw_config_value(cfg, key);
	const char *org = pw_config_origin(cfg, key);
	pa_err_t rc = PA_OK;
	if (!v || !*v)
		return PA_OK;
	for (const char *p = v; rc == PA_OK;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (!broker_ok(p, n)) {
			char eb[PA_ERRBUF_SIZE];
			pa_seterr(eb, PA_CONFIG,
				  "%s: %s: '%.*s' is not host:port "
				  "([PROTOCOL://]host:port, port 1-65535)",
				  where(org), key, (int)n, p);
			rc = pw_config_add_error(cfg, eb);
			if (rc != PA_OK)
				snprintf(errbuf ? errbuf : eb,
					 PA_ERRBUF_SIZE, "%s", eb);
		}
		if (!c)
			break;
		p = c + 1;
	}
	return rc;
}

/* Records (or returns) "origin: kafka.key: what", without the value of a
 * credential. */
static pa_err_t kafka_error(pw_config_t *cfg, size_t i, const char *what,
			    char *errbuf)
{
	char eb[PA_ERRBUF_SIZE];
	const char *key, *val;
	pw_config_passthrough(cfg, i, &key, &val);
	if (cfg->pt[i].s.secret)
		pa_seterr(eb, PA_CONFIG, "%s: kafka.%s: rejected by librdkafka",
			  where(cfg->pt[i].s.origin), key);
	else
		pa_seterr(eb, PA_CONFIG, "%s: kafka.%s: %s",
			  where(cfg->pt[i].s.origin), key, what);
	pa_err_t rc = pw_config_add_error(cfg, eb);
	if (rc != PA_OK && errbuf)
		snprintf(errbuf, PA_ERRBUF_SIZE, "%s", eb);
	return rc;
}

/* The pairs a client of type t would be made with, as librdkafka checks
 * them at rd_kafka_new() (combinations no single property shows). */
static pa_err_t check_client(pw_config_t *cfg, rd_kafka_type_t t,
			     char *errbuf)
{
	char es[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "0", NULL, 0);
	if (t == RD_KAFKA_CONSUMER)
		rd_kafka_conf_set(conf, "group.id", "payatom-check-config",
				  NULL, 0);
	for (size_t i = 0; i < pw_config_passthrough_count(cfg); i++) {
		const char *key, *val;
		if (pw_config_passthrough(cfg, i, &key, &val) == PA_OK && val)
			rd_kafka_conf_set(conf, key, val, NULL, 0);
	}
	rd_kafka_t *rk = rd_kafka_new(t, conf, es, sizeof es);
	if (rk) {
		rd_kafka_destroy(rk);
		return PA_OK;
	}
	rd_kafka_conf_destroy(conf);
	char eb[PA_ERRBUF_SIZE];
	pa_seterr(eb, PA_CONFIG, "kafka.*: librdkafka refuses the %s settings: %s",
		  t == RD_KAFKA_CONSUMER ? "consumer" : "producer", es);
	pa_err_t rc = pw_config_add_error(cfg, eb);
	if (rc != PA_OK && errbuf)
		snprintf(errbuf, PA_ERRBUF_SIZE, "%s", eb);
	return rc;
}

pa_err_t pw_config_check_kafka(pw_config_t *cfg, const char *brokers_key,
			       char *errbuf)
{
	if (!cfg)
		return pa_seterr(errbuf, PA_INVAL, "config: NULL argument");
	pa_err_t rc = brokers_key ? check_brokers(cfg, brokers_key, errbuf)
				  : PA_OK;
	int bad = 0;
	for (size_t i = 0; rc == PA_OK && i < pw_config_passthrough_count(cfg);
	     i++) {
		const char *key, *val;
		char rderr[512];
		if (pw_config_passthrough(cfg, i, &key, &val) != PA_OK || !val)
			continue;
		rd_kafka_conf_t *scratch = rd_kafka_conf_new();
		rd_kafka_conf_res_t r =
			rd_kafka_conf_set(scratch, key, val, rderr, sizeof rderr);
		rd_kafka_conf_destroy(scratch);
		if (r != RD_KAFKA_CONF_OK) {
			bad = 1;
			rc = kafka_error(cfg, i, rderr, errbuf);
		}
	}
	/* combinations, once every pair is valid on its own */
	if (rc == PA_OK && !bad)
		rc = check_client(cfg, RD_KAFKA_CONSUMER, errbuf);
	if (rc == PA_OK && !bad)
		rc = check_client(cfg, RD_KAFKA_PRODUCER, errbuf);
	return rc;
}
