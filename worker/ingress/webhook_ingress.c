/* webhook_ingress.c -- verified callbacks into Kafka before the ack (see
 * webhook_ingress.h; design.md §2, spec §5).
 * Owns: the producer and its delivery reports, held requests (pending_t),
 *       the allowlist.
 * Not here: verification (lib/webhook.c), applying the record (process.c).
 *
 * A verified callback is produced with its pending_t as the message
 * opaque; the HTTP request stays suspended in the listener until the
 * delivery report (served from the loop through pw_kq_attach) answers it.
 * Three things can end a pending_t's request first: a guard timer a little
 * after message.timeout.ms (librdkafka reports every message by then; the
 * guard only protects against a report that never comes), the listener
 * dropping the request (abort callback), and pw_ingress_destroy(). The
 * pending_t itself lives until its delivery report (or destroy). */
#include "ingress/webhook_ingress.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config_kafka.h"
#include "core/loop_kafka.h"
#include "payatom/canonjson.h"
#include "payatom/webhook.h"

#define GUARD_EXTRA_MS 5000

typedef struct cidr {
	int family; /* AF_INET, AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
} cidr_t;

typedef struct pending {
	pw_ingress_t *in;
	pw_http_req_t *req; /* NULL once answered or dropped */
	pw_timer_t *guard;
	char order_id[128];
	const char *merchant; /* borrowed from the merchant set */
	struct pending *prev, *next;
} pending_t;

struct pw_ingress {
	pw_loop_t *loop;
	pw_logger_t *log;
	pw_metrics_worker_t *mw;
	const pw_merchants_t *merchants;
	char *topic;
	size_t max_body;
	int64_t timeout_ms;
	cidr_t *allow;
	size_t n_allow;
	rd_kafka_t *rk;
	rd_kafka_queue_t *q;
	pw_kq_t *kq;
	pending_t *pending;
	int closing;
	pw_ingress_stats_t st;
};

static const char k_ctype[] = PA_WEBHOOK_ACK_CONTENT_TYPE;

/* ---- allowlist ------------------------------------------------------- */

static int cidr_parse(const char *s, cidr_t *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (!s || strlen(s) >= sizeof buf)
		return -1;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(c, 0, sizeof *c);
	unsigned max;
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else {
		return -1;
	}
	c->bits = max;
	if (slash) {
		char *end = NULL;
		if (!*slash || *slash == '-' || *slash == '+')
			return -1;
		unsigned long b = strtoul(slash, &end, 10);
		if (*end || b > max)
			return -1;
		c->bits = (unsigned)b;
	}
	return 0;
}

static int cidr_match(const cidr_t *c, int family, const uint8_t *a)
{
	if (c->family != family)
		return 0;
	unsigned full = c->bits / 8, rest = c->bits % 8;
	if (memcmp(c->addr, a, full) != 0)
		return 0;
	if (!rest)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (c->addr[full] & mask) == (a[full] & mask);
}

int pw_ingress_ip_allowed(const pw_ingress_t *in, const char *ip)
{
	if (!in)
		return 0;
	if (in->n_allow == 0)
		return 1;
	uint8_t a[16];
	int family;
	if (ip && inet_pton(AF_INET, ip, a) == 1)
		family = AF_INET;
	else if (ip && inet_pton(AF_INET6, ip, a) == 1)
		family = AF_INET6;
	else
		return 0;
	for (size_t i = 0; i < in->n_allow; i++)
		if (cidr_match(&in->allow[i], family, a))
			return 1;
	return 0;
}

/* ---- answers ---------------------------------------------------------- */

static void count(pw_ingress_t *in, pw_wh_result_t r)
{
	in->st.results[r]++;
	pw_metrics_worker_webhook(in->mw, r);
}

static void ack(pw_http_req_t *req, int status, int matched, int yes)
{
	const char *body = pa_webhook_ack_body(matched, yes);
	pw_http_reply(req, status, k_ctype, body, strlen(body));
}

/* An early refusal: count, log, answer. */
static void refuse(pw_ingress_t *in, pw_http_req_t *req, pw_wh_result_t r,
		   int status)
{
	count(in, r);
	pw_warn(in->log, "webhook refused", PW_KV_STR("result",
						      pw_wh_result_name(r)),
		PW_KV_INT("status", status),
		PW_KV_STR("client_ip", pw_http_client_ip(req)));
	ack(req, status, 0, 0);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- pending requests ------------------------------------------------- */

static void pending_unlink(pending_t *p)
{
	pw_ingress_t *in = p->in;
	if (p->prev)
		p->prev->next = p->next;
	else
		in->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
}

static void pending_free(pending_t *p)
{
	if (p->guard)
		pw_timer_cancel(p->in->loop, p->guard);
	pending_unlink(p);
	p->in->st.pending--;
	free(p);
}

/* Ends p's request with acknowledge "no" (Kafka did not take it in time). */
static void answer_failed(pending_t *p, const char *why)
{
	pw_ingress_t *in = p->in;
	if (!p->req)
		return;
	pw_http_req_on_abort(p->req, NULL, NULL);
	count(in, PW_WH_KAFKA_FAILED);
	pw_warn(in->log, "webhook not acknowledged: Kafka did not take it",
		PW_KV_STR("order_id", p->order_id),
		PW_KV_STR("merchant", p->merchant), PW_KV_STR("err", why));
	ack(p->req, 503, 1, 0);
	p->req = NULL;
}

static void on_guard(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	pending_t *p = ud;
	(void)loop;
	(void)t;
	p->guard = NULL;
	answer_failed(p, "no delivery report in time");
}

static void on_abort(pw_http_req_t *req, void *ud)
{
	pending_t *p = ud;
	(void)req;
	pw_debug(p->in->log, "webhook request dropped while waiting for Kafka",
		 PW_KV_STR("order_id", p->order_id));
	p->req = NULL;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	pw_ingress_t *in = opaque;
	pending_t *p = m->_private;
	(void)rk;
	if (!m->err && in->st.kafka_down) {
		in->st.kafka_down = 0;
		pw_info(in->log, "webhook producer: a broker answers again");
	}
	if (!p || in->closing)
		return; /* destroy frees every pending_t */
	if (p->req && m->err) {
		answer_failed(p, rd_kafka_err2str(m->err));
	} else if (p->req) {
		pw_http_req_on_abort(p->req, NULL, NULL);
		count(in, PW_WH_VERIFIED);
		pw_info(in->log, "webhook acknowledged",
			PW_KV_STR("order_id", p->order_id),
			PW_KV_STR("merchant", p->merchant),
			PW_KV_STR("topic", in->topic),
			PW_KV_INT("partition", m->partition),
			PW_KV_INT("offset", m->offset));
		ack(p->req, 200, 1, 1);
		p->req = NULL;
	} else if (!m->err) {
		/* answered "no" already (guard) or dropped: the gateway
		 * re-sends, the worker sees the same status twice, which it
		 * treats as no transition */
		pw_info(in->log, "webhook stored after its request ended",
			PW_KV_STR("order_id", p->order_id));
	}
	pending_free(p);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason,
		     void *opaque)
{
	pw_ingress_t *in = opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char es[256];
		rd_kafka_fatal_error(rk, es, sizeof es);
		in->st.producer_fatal = 1;
		pw_error(in->log, "webhook producer fatal error",
			 PW_KV_STR("err", es));
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		if (!in->st.kafka_down)
			pw_error(in->log, "webhook producer: every broker is "
					  "down; webhooks are answered 503 at "
					  "once until one answers",
				 PW_KV_STR("reason", reason));
		in->st.kafka_down = 1;
		return;
	}
	pw_warn(in->log, "webhook producer error",
		PW_KV_STR("err", rd_kafka_err2name((rd_kafka_resp_err_t)err)),
		PW_KV_STR("reason", reason));
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	pw_ingress_t *in = rd_kafka_opaque(rk);
	if (!in)
		return;
	pw_log(in->log, pw_log_level_from_syslog(level), "librdkafka",
	       PW_KV_STR("facility", fac), PW_KV_STR("text", buf));
}

static int serve(rd_kafka_queue_t *q, void *ud)
{
	pw_ingress_t *in = ud;
	(void)q;
	for (int i = 0; i < 256; i++)
		if (rd_kafka_poll(in->rk, 0) == 0)
			return 0;
	return 1;
}

/* ---- the request ----------------------------------------------------- */

/* The merchant named in the path: NULL for PW_INGRESS_PATH itself (*ok
 * 1), the name after "/" (*ok 1), or *ok 0 for any other path. */
static const char *path_merchant(const char *path, int *ok)
{
	size_t n = strlen(PW_INGRESS_PATH);
	*ok = 0;
	if (strncmp(path, PW_INGRESS_PATH, n) != 0)
		return NULL;
	path += n;
	if (!*path || !strcmp(path, "/")) {
		*ok = 1;
		return NULL;
	}
	if (*path != '/' || strchr(path + 1, '/'))
		return NULL;
	*ok = 1;
	return path + 1;
}

/* Tries the named merchant, or every merchant; on PA_OK *name is the one
 * that verified. PA_UNHASHED_AMOUNT (one secret opened it, but the hash
 * covers `amount`, not received_amount) wins over another merchant's
 * mismatch, with *name set to that merchant. */
static pa_err_t verify(pw_ingress_t *in, const char *want,
		       pa_txn_update_t *upd, const char **name, char *errbuf)
{
	pa_err_t err = PA_HASH_MISMATCH, e;
	char eb[PA_ERRBUF_SIZE];
	size_t n = pw_merchants_count(in->merchants);
	for (size_t i = 0; i < n; i++) {
		const char *mname;
		const pa_merchant_t *m = pw_merchants_at(in->merchants, i,
							 &mname);
		if (want && strcmp(want, mname) != 0)
			continue;
		e = pa_txn_update_verify(m->secret, m->amount_pref, upd, eb);
		if (e == PA_OK || err != PA_UNHASHED_AMOUNT) {
			err = e;
			snprintf(errbuf, PA_ERRBUF_SIZE, "%s", eb);
			*name = mname;
		}
		if (e == PA_OK)
			return PA_OK;
	}
	return err;
}

/* The record of webhook_ingress.h. New (caller frees with free()). */
static char *build_record(const uint8_t *body, size_t len, const char *name,
			  const pa_txn_update_t *upd, size_t *out_len)
{
	json_error_t je;
	/* read as pa_webhook_parse read it (a repeated key: the last
	 * counts), so the record holds exactly the verified values */
	json_t *cb = pa_json_loadb((const char *)body, len, JSON_ALLOW_NUL,
				   &je);
	if (!json_is_object(cb)) {
		json_decref(cb);
		return NULL;
	}
	json_t *rec = json_object();
	json_object_set_new(rec, "v", json_integer(1));
	json_object_set_new(rec, "merchant", json_string(name));
	json_object_set_new(rec, "callback", cb);
	int64_t minor;
	if (pa_txn_update_amount(upd, &minor))
		json_object_set_new(rec, "received_minor",
				    json_integer((json_int_t)minor));
	json_object_set_new(rec, "received_at", json_integer(wall_ms()));
	char *s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec);
	if (s)
		*out_len = strlen(s);
	return s;
}

static void on_webhook(pw_http_req_t *req, void *ud)
{
	pw_ingress_t *in = ud;
	if (strcmp(pw_http_method(req), "POST") != 0) {
		static const char b[] =
			"{\"status\":\"error\",\"message\":\"Method not "
			"allowed\"}";
		pw_http_add_header(req, "Allow", "POST");
		pw_http_reply(req, 405, k_ctype, b, sizeof b - 1);
		return;
	}
	if (!pw_ingress_ip_allowed(in, pw_http_client_ip(req))) {
		refuse(in, req, PW_WH_FORBIDDEN, 403);
		return;
	}
	int path_ok;
	const char *want = path_merchant(pw_http_path(req), &path_ok);
	if (!path_ok) {
		static const char b[] =
			"{\"status\":\"error\",\"message\":\"Not found\"}";
		pw_http_reply(req, 404, k_ctype, b, sizeof b - 1);
		return;
	}
	if (want && !pw_merchants_find(in->merchants, want)) {
		refuse(in, req, PW_WH_UNKNOWN_MERCHANT, 404);
		return;
	}
	size_t len;
	const uint8_t *body = pw_http_body(req, &len);
	if (len > in->max_body) {
		refuse(in, req, PW_WH_TOO_LARGE, 413);
		return;
	}
	char eb[PA_ERRBUF_SIZE];
	pa_txn_update_t upd;
	pa_err_t err = pa_webhook_parse(body, len, &upd, eb);
	if (err) {
		refuse(in, req, err == PA_TOO_BIG ? PW_WH_TOO_LARGE
						  : PW_WH_MALFORMED,
		       err == PA_TOO_BIG ? 413 : 400);
		return;
	}
	const char *name = NULL;
	err = verify(in, want, &upd, &name, eb);
	if (err == PA_UNHASHED_AMOUNT) {
		/* api.h D1: the docs' PHP would accept it; we act on
		 * received_amount, which this hash does not cover */
		count(in, PW_WH_UNHASHED_AMOUNT);
		pw_warn(in->log, "webhook refused: hash does not cover "
				 "received_amount",
			PW_KV_STR("order_id", upd.order_id),
			PW_KV_STR("merchant", name), PW_KV_STR("status",
							      upd.status_raw),
			PW_KV_STR("reason", eb),
			PW_KV_STR("client_ip", pw_http_client_ip(req)));
		ack(req, 200, 0, 0);
		pa_txn_update_clear(&upd);
		return;
	}
	if (err) {
		/* spec §5: answered, counted, logged; no state changes */
		count(in, PW_WH_HASH_MISMATCH);
		pw_warn(in->log, "webhook hash mismatch",
			PW_KV_STR("order_id", upd.order_id),
			PW_KV_STR("merchant", want ? want : "*"),
			PW_KV_STR("status", upd.status_raw), PW_KV_ERR(err),
			PW_KV_HASH("post_hash", upd.post_hash),
			PW_KV_STR("client_ip", pw_http_client_ip(req)));
		ack(req, 200, 0, 0);
		pa_txn_update_clear(&upd);
		return;
	}
	if (pa_txn_update_usable(&upd, eb) != PA_OK) {
		/* api.h D3: genuine, but nothing to apply it to; answered as
		 * verified and not acknowledged (polling settles the order) */
		count(in, PW_WH_UNUSABLE);
		pw_warn(in->log, "webhook verified but not usable",
			PW_KV_STR("merchant", name), PW_KV_STR("reason", eb),
			PW_KV_STR("client_ip", pw_http_client_ip(req)));
		ack(req, 200, 1, 0);
		pa_txn_update_clear(&upd);
		return;
	}
	if (in->st.kafka_down && in->pending) {
		/* Every broker is down and a record already waits for one:
		 * answer "no" now (the gateway re-sends) instead of holding
		 * the request for message.timeout.ms. Held requests keep
		 * their connections, and the gateway's retries would take
		 * every slot of http.max.connections.per.ip (and the probes'
		 * from the same address). The one record in flight tells
		 * when a broker answers again. */
		pa_txn_update_clear(&upd);
		count(in, PW_WH_KAFKA_FAILED);
		pw_debug(in->log, "webhook not acknowledged: Kafka is down",
			 PW_KV_STR("merchant", name));
		ack(req, 503, 1, 0);
		return;
	}
	size_t rlen = 0;
	char *rec = build_record(body, len, name, &upd, &rlen);
	pending_t *p = rec ? calloc(1, sizeof *p) : NULL;
	if (!p) {
		free(rec);
		pa_txn_update_clear(&upd);
		count(in, PW_WH_KAFKA_FAILED);
		ack(req, 503, 1, 0);
		return;
	}
	p->in = in;
	p->req = req;
	p->merchant = name;
	snprintf(p->order_id, sizeof p->order_id, "%s", upd.order_id);
	rd_kafka_resp_err_t kerr = rd_kafka_producev(
		in->rk, RD_KAFKA_V_TOPIC(in->topic),
		RD_KAFKA_V_KEY(upd.order_id, upd.order_id_len),
		RD_KAFKA_V_VALUE(rec, rlen),
		RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		RD_KAFKA_V_OPAQUE(p), RD_KAFKA_V_END);
	free(rec);
	pa_txn_update_clear(&upd);
	if (kerr) {
		p->next = NULL;
		count(in, PW_WH_KAFKA_FAILED);
		pw_warn(in->log, "webhook not acknowledged: Kafka did not take it",
			PW_KV_STR("order_id", p->order_id),
			PW_KV_STR("merchant", name),
			PW_KV_STR("err", rd_kafka_err2str(kerr)));
		free(p);
		ack(req, 503, 1, 0);
		return;
	}
	p->next = in->pending;
	if (in->pending)
		in->pending->prev = p;
	in->pending = p;
	in->st.pending++;
	p->guard = pw_timer_add(in->loop, in->timeout_ms + GUARD_EXTRA_MS,
				on_guard, p);
	pw_http_req_on_abort(req, on_abort, p);
	/* no reply: the delivery report answers */
}

/* ---- life ------------------------------------------------------------- */

static pa_err_t conf_set(rd_kafka_conf_t *c, const char *k, const char *v,
			 char *errbuf)
{
	char es[256];
	if (rd_kafka_conf_set(c, k, v, es, sizeof es) != RD_KAFKA_CONF_OK)
		return pa_seterr(errbuf, PA_CONFIG, "webhook producer: %s: %s",
				 k, es);
	return PA_OK;
}

static pa_err_t make_producer(pw_ingress_t *in, const pw_ingress_opts_t *o,
			      char *errbuf)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char tmo[32];
	snprintf(tmo, sizeof tmo, "%lld", (long long)in->timeout_ms);
	pa_err_t err = PA_OK;
	if (o->kafka_cfg)
		err = pw_config_apply_kafka(o->kafka_cfg, c, errbuf);
	for (size_t i = 0; !err && o->kafka_kv && o->kafka_kv[i]; i += 2) {
		if (!o->kafka_kv[i + 1]) {
			err = pa_seterr(errbuf, PA_INVAL,
					"kafka_kv: %s has no value",
					o->kafka_kv[i]);
			break;
		}
		err = conf_set(c, o->kafka_kv[i], o->kafka_kv[i + 1], errbuf);
	}
	/* what the acknowledgement promises rests on these: they win */
	const char *must[][2] = {
		{"bootstrap.servers", o->brokers},
		{"enable.idempotence", "true"},
		{"acks", "all"},
		{"partitioner", "murmur2_random"},
		{"message.timeout.ms", tmo},
		{"linger.ms", "1"},
		/* kafka.transactional.id is the worker's (exactly_once):
		 * this producer writes outside any transaction */
		{"transactional.id", NULL},
	};
	for (size_t i = 0; !err && i < sizeof must / sizeof must[0]; i++)
		err = conf_set(c, must[i][0], must[i][1], errbuf);
	if (err) {
		rd_kafka_conf_destroy(c);
		return err;
	}
	rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
	rd_kafka_conf_set_error_cb(c, error_cb);
	rd_kafka_conf_set_log_cb(c, log_cb);
	rd_kafka_conf_set_opaque(c, in);
	char es[512];
	in->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	if (!in->rk) {
		rd_kafka_conf_destroy(c);
		return pa_seterr(errbuf, PA_CONFIG, "webhook producer: %s", es);
	}
	in->q = rd_kafka_queue_get_main(in->rk);
	if (pw_kq_attach(in->loop, in->q, serve, in, &in->kq) != PA_OK)
		return pa_seterr(errbuf, PA_IO,
				 "cannot attach the webhook producer");
	return PA_OK;
}

pa_err_t pw_ingress_new(pw_loop_t *loop, const pw_ingress_opts_t *o,
			pw_ingress_t **out, char *errbuf)
{
	if (!loop || !o || !out)
		return pa_seterr(errbuf, PA_INVAL,
				 "pw_ingress_new: NULL argument");
	*out = NULL;
	if (!o->brokers || !*o->brokers)
		return pa_seterr(errbuf, PA_INVAL,
				 "webhook ingress: no Kafka brokers");
	if (!o->merchants || pw_merchants_count(o->merchants) == 0)
		return pa_seterr(errbuf, PA_INVAL,
				 "webhook ingress: no merchant profile");
	if (o->kafka_timeout_ms < 0)
		return pa_seterr(errbuf, PA_INVAL,
				 "webhook ingress: negative Kafka timeout");
	pw_ingress_t *in = calloc(1, sizeof *in);
	if (!in)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	in->loop = loop;
	in->mw = o->mw;
	in->merchants = o->merchants;
	in->max_body = o->max_body && o->max_body < PA_WEBHOOK_MAX_BODY
			       ? o->max_body
			       : PA_WEBHOOK_MAX_BODY;
	in->timeout_ms = o->kafka_timeout_ms ? o->kafka_timeout_ms : 10000;
	pa_err_t err = PA_OK;
	in->topic = strdup(o->topic ? o->topic : "payatom.int.webhook");
	if (!in->topic ||
	    pw_log_child(o->log ? o->log : pw_log_default(), "webhook",
			 &in->log) != PA_OK) {
		err = pa_seterr(errbuf, PA_NOMEM, "out of memory");
		goto fail;
	}
	if (o->n_allow) {
		in->allow = calloc(o->n_allow, sizeof *in->allow);
		if (!in->allow) {
			err = pa_seterr(errbuf, PA_NOMEM, "out of memory");
			goto fail;
		}
		for (size_t i = 0; i < o->n_allow; i++)
			if (cidr_parse(o->allow[i], &in->allow[i]) != 0) {
				err = pa_seterr(errbuf, PA_CONFIG,
						"webhook.allow.ips: '%s' is not "
						"an IP or CIDR",
						o->allow[i] ? o->allow[i] : "");
				goto fail;
			}
		in->n_allow = o->n_allow;
	}
	err = make_producer(in, o, errbuf);
	if (err)
		goto fail;
	*out = in;
	return PA_OK;
fail:
	pw_ingress_destroy(in);
	return err;
}

pa_err_t pw_ingress_mount(pw_ingress_t *in, pw_http_t *http)
{
	if (!in || !http)
		return PA_INVAL;
	return pw_http_route(http, "*", PW_INGRESS_PATH, on_webhook, in);
}

void pw_ingress_destroy(pw_ingress_t *in)
{
	if (!in)
		return;
	in->closing = 1;
	for (pending_t *p = in->pending; p; p = p->next) {
		if (p->guard) {
			pw_timer_cancel(in->loop, p->guard);
			p->guard = NULL;
		}
		answer_failed(p, "shutting down");
	}
	pw_kq_detach(in->kq);
	if (in->q)
		rd_kafka_queue_destroy(in->q);
	if (in->rk) {
		rd_kafka_purge(in->rk,
			       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_destroy(in->rk);
	}
	while (in->pending)
		pending_free(in->pending);
	free(in->allow);
	free(in->topic);
	pw_log_destroy(in->log);
	free(in);
}

void pw_ingress_get_stats(const pw_ingress_t *in, pw_ingress_stats_t *st)
{
	if (in)
		*st = in->st;
	else
		memset(st, 0, sizeof *st);
}

int pw_ingress_ok(const pw_ingress_t *in)
{
	return in && !in->st.producer_fatal;
}
