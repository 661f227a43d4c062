/* topics.c -- see topics.h. One temporary producer handle with its own
 * admin queue: CreateTopics, then metadata (partition counts) and
 * DescribeConfigs (cleanup.policy), all bounded by one deadline. */
#include "kafka/topics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "core/log.h"
#include "core/loop_kafka.h"

#define SEE_README "see docs/commands.md, Topics"

enum { ROLE_COPART, ROLE_STATE, ROLE_OUTPUT };

typedef struct topic {
	const char *name;
	int role;
	int partitions; /* found; -1 = missing */
} topic_t;

#define MAX_TOPICS 10
#define POLICY_MAX sizeof(((pw_topics_report_t *)0)->state_cleanup_policy)

void pw_topics_spec_default(pw_topics_spec_t *s)
{
	pw_worker_opts_t o; /* the topic names live there */
	pw_worker_opts_default(&o);
	memset(s, 0, sizeof *s);
	s->cmd_payin = o.topic_cmd_payin;
	s->cmd_payout = o.topic_cmd_payout;
	s->cmd_complaint = o.topic_cmd_complaint;
	s->int_webhook = o.topic_int_webhook;
	s->int_state = o.topic_int_state;
	s->evt_payment = o.topic_evt_payment;
	s->evt_refund = o.topic_evt_refund;
	s->evt_complaint = o.topic_evt_complaint;
	s->evt_report = o.topic_evt_report;
	s->dlq = o.topic_dlq;
	s->create = 1;
	s->partitions = 12;
	s->replication_factor = -1;
	s->timeout_ms = 30000;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
	int64_t l = deadline - now_ms();
	return l < 0 ? 0 : (int)l;
}

static size_t collect(const pw_topics_spec_t *s, topic_t *t)
{
	const char *names[MAX_TOPICS] = {
		s->cmd_payin,	s->cmd_payout,	  s->cmd_complaint,
		s->int_webhook, s->int_state,	  s->evt_payment,
		s->evt_refund,	s->evt_complaint, s->evt_report,
		s->dlq};
	size_t n = 0;
	for (size_t i = 0; i < MAX_TOPICS; i++) {
		if (!names[i] || !*names[i])
			continue;
		/* a name listed twice (e.g. one DLQ for everything) is one
		 * topic; the strictest role wins */
		int role = i == 4 ? ROLE_STATE : i < 4 ? ROLE_COPART
						       : ROLE_OUTPUT;
		size_t k;
		for (k = 0; k < n && strcmp(t[k].name, names[i]) != 0; k++)
			;
		if (k < n) {
			if (role != ROLE_OUTPUT && t[k].role == ROLE_OUTPUT)
				t[k].role = role;
			continue;
		}
		t[n].name = names[i];
		t[n].role = role;
		t[n].partitions = -1;
		n++;
	}
	return n;
}

/* Credentials never reach an error message: librdkafka quotes values. */
static int is_secret_key(const char *k)
{
	return strstr(k, "password") || strstr(k, "secret") ||
	       strstr(k, "ssl.key") || strstr(k, "sasl.");
}

/* The first authentication or TLS failure the topics client saw: the
 * brokers answer, but refuse us -- no point waiting for them. */
typedef struct refusal {
	rd_kafka_resp_err_t err;
	char reason[384];
	pw_logger_t *log;          /* librdkafka's log lines (log_cb) */
	const char *secrets[16];   /* credential values cut out of them */
} refusal_t;

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
		   const char *buf)
{
	const refusal_t *r = rd_kafka_opaque(rk);
	if (r)
		pw_kafka_log_line(r->log, rk, level, fac, buf, r->secrets);
}

static void refusal_cb(rd_kafka_t *rk, int err, const char *reason, void *op)
{
	refusal_t *r = op;
	(void)rk;
	/* a broker that requires a client certificate answers a TLS
	 * alert, reported as a transport error */
	if (err == RD_KAFKA_RESP_ERR__TRANSPORT && reason &&
	    strstr(reason, "SSL routines"))
		err = RD_KAFKA_RESP_ERR__SSL;
	if (r->err || (err != RD_KAFKA_RESP_ERR__AUTHENTICATION &&
		       err != RD_KAFKA_RESP_ERR__SSL))
		return;
	r->err = (rd_kafka_resp_err_t)err;
	/* "sasl_ssl://host:port/bootstrap: SASL authentication error: ..."
	 * -> the part after the broker's name */
	const char *s = reason ? reason : "";
	const char *b = strstr(s, "/bootstrap: ");
	if (b)
		s = b + strlen("/bootstrap: ");
	snprintf(r->reason, sizeof r->reason, "%s", s);
}

static pa_err_t new_client(const char *bootstraps, const pw_kafka_kv_t *kv,
			   size_t n, refusal_t *ref, rd_kafka_t **out,
			   char *errbuf)
{
	char es[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set_error_cb(c, refusal_cb);
	rd_kafka_conf_set_log_cb(c, log_cb);
	rd_kafka_conf_set_opaque(c, ref);
	for (size_t i = 0, k = 0; i < n && k < 15; i++)
		if (kv[i].key && kv[i].value && is_secret_key(kv[i].key) &&
		    !strstr(kv[i].key, "location"))
			ref->secrets[k++] = kv[i].value;
	if (rd_kafka_conf_set(c, "bootstrap.servers", bootstraps, es,
			      sizeof es) != RD_KAFKA_CONF_OK)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		/* role-specific settings of the worker's own clients do not
		 * belong on an admin handle */
		if (!kv[i].key || !kv[i].value ||
		    strcmp(kv[i].key, "transactional.id") == 0 ||
		    strcmp(kv[i].key, "group.id") == 0 ||
		    strcmp(kv[i].key, "group.instance.id") == 0)
			continue;
		if (rd_kafka_conf_set(c, kv[i].key, kv[i].value, es,
				      sizeof es) == RD_KAFKA_CONF_OK)
			continue;
		rd_kafka_conf_destroy(c);
		if (is_secret_key(kv[i].key))
			return pa_seterr(errbuf, PA_CONFIG,
					 "kafka.%s: rejected by librdkafka",
					 kv[i].key);
		return pa_seterr(errbuf, PA_CONFIG, "kafka.%s: %s", kv[i].key,
				 es);
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
	if (!rk) {
		rd_kafka_conf_destroy(c);
		return pa_seterr(errbuf, PA_KAFKA, "topics: client: %s", es);
	}
	*out = rk;
	return PA_OK;
bad:
	rd_kafka_conf_destroy(c);
	return pa_seterr(errbuf, PA_CONFIG, "bootstrap.servers: %s", es);
}

/* Waits for the admin result of type want on q; NULL on timeout. */
static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, int want,
				     int64_t deadline)
{
	for (;;) {
		rd_kafka_event_t *ev =
			rd_kafka_queue_poll(q, left_ms(deadline) + 1);
		if (!ev)
			return NULL;
		if (rd_kafka_event_type(ev) == want)
			return ev;
		rd_kafka_event_destroy(ev);
		if (left_ms(deadline) == 0)
			return NULL;
	}
}

/* Fills t[].partitions from a full metadata request (all_topics: never
 * auto-creates). Returns PA_KAFKA when the cluster does not answer. */
static pa_err_t read_counts(rd_kafka_t *rk, topic_t *t, size_t n,
			    int64_t deadline, int *has_controller,
			    char *errbuf)
{
	const struct rd_kafka_metadata *md = NULL;
	const refusal_t *ref = rd_kafka_opaque(rk);
	rd_kafka_resp_err_t e;
	/* in steps, serving the error callback between them: wrong
	 * credentials or certificates fail the start within a second or
	 * two instead of at the deadline */
	for (;;) {
		int tmo = left_ms(deadline);
		e = rd_kafka_metadata(rk, 1, NULL, &md,
				      tmo > 500 ? 500 : tmo > 0 ? tmo : 1);
		if (!e || left_ms(deadline) == 0)
			break;
		rd_kafka_poll(rk, 0);
		if (ref->err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
			return pa_seterr(
				errbuf, PA_KAFKA,
				"kafka: credentials refused (kafka.sasl.*): %s",
				ref->reason);
		if (ref->err == RD_KAFKA_RESP_ERR__SSL)
			return pa_seterr(
				errbuf, PA_KAFKA,
				"kafka: TLS failed (kafka.ssl.*): %s",
				ref->reason);
	}
	if (e)
		return pa_seterr(errbuf, PA_KAFKA,
				 "topics: cannot read cluster metadata (are "
				 "the brokers reachable, kafka.security.protocol "
				 "and kafka.sasl.*/ssl.* right?): %s",
				 rd_kafka_err2str(e));
	for (size_t i = 0; i < n; i++) {
		t[i].partitions = -1;
		for (int k = 0; k < md->topic_cnt; k++) {
			const struct rd_kafka_metadata_topic *mt =
				&md->topics[k];
			if (strcmp(mt->topic, t[i].name) != 0 ||
			    mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
				continue;
			t[i].partitions = mt->partition_cnt;
		}
	}
	/* DescribeConfigs goes to the controller named in metadata;
	 * librdkafka's mock cluster names one (id 0) that is none of its
	 * brokers */
	int32_t ctl = rd_kafka_controllerid(rk, 0);
	*has_controller = 0;
	for (int b = 0; b < md->broker_cnt; b++)
		if (md->brokers[b].id == ctl)
			*has_controller = 1;
	rd_kafka_metadata_destroy(md);
	return PA_OK;
}

static pa_err_t set_cfg(rd_kafka_NewTopic_t *nt, const char *k, const char *v,
			char *errbuf)
{
	if (rd_kafka_NewTopic_set_config(nt, k, v))
		return pa_seterr(errbuf, PA_CONFIG,
				 "topics: bad topic config %s", k);
	return PA_OK;
}

static pa_err_t new_topic(const pw_topics_spec_t *s, const topic_t *t,
			  rd_kafka_NewTopic_t **out, char *errbuf)
{
	char es[256];
	int rf = s->replication_factor ? s->replication_factor : -1;
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(t->name, s->partitions,
							rf, es, sizeof es);
	if (!nt)
		return pa_seterr(errbuf, PA_CONFIG, "topics: %s: %s", t->name,
				 es);
	pa_err_t err = PA_OK;
	if (t->role == ROLE_STATE) {
		err = set_cfg(nt, "cleanup.policy", "compact", errbuf);
		if (!err)
			err = set_cfg(nt, "segment.ms",
				      PW_TOPICS_STATE_SEGMENT_MS, errbuf);
		if (!err)
			err = set_cfg(nt, "min.cleanable.dirty.ratio",
				      PW_TOPICS_STATE_DIRTY_RATIO, errbuf);
		if (!err)
			err = set_cfg(nt, "min.compaction.lag.ms",
				      PW_TOPICS_STATE_MIN_LAG_MS, errbuf);
		for (size_t i = 0; !err && i < s->n_state_config; i++)
			err = set_cfg(nt, s->state_config[i].key,
				      s->state_config[i].value, errbuf);
	} else if (s->int_webhook && strcmp(t->name, s->int_webhook) == 0) {
		err = set_cfg(nt, "cleanup.policy", "delete", errbuf);
		if (!err)
			err = set_cfg(nt, "retention.ms",
				      PW_TOPICS_WEBHOOK_RETENTION_MS, errbuf);
	}
	if (err) {
		rd_kafka_NewTopic_destroy(nt);
		return err;
	}
	*out = nt;
	return PA_OK;
}

/* A refusal the operator fixes in the config (or the broker's policy) is
 * PA_CONFIG; anything else is the cluster's trouble. */
static pa_err_t create_err_code(rd_kafka_resp_err_t e)
{
	switch (e) {
	case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
	case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
	case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
	case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
		return PA_CONFIG;
	default:
		return PA_KAFKA;
	}
}

/* Creates the missing topics; TOPIC_ALREADY_EXISTS (a concurrent pod) is
 * fine. */
static pa_err_t create_missing(rd_kafka_t *rk, rd_kafka_queue_t *q,
			       const pw_topics_spec_t *s, const topic_t *t,
			       size_t n, int64_t deadline, int *created,
			       char *errbuf)
{
	rd_kafka_NewTopic_t *nt[MAX_TOPICS];
	size_t m = 0;
	pa_err_t err = PA_OK;
	for (size_t i = 0; i < n && !err; i++)
		if (t[i].partitions < 0 &&
		    (err = new_topic(s, &t[i], &nt[m], errbuf)) == PA_OK)
			m++;
	if (err || m == 0)
		goto out;
	rd_kafka_AdminOptions_t *ao =
		rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	char es[256];
	int tmo = left_ms(deadline);
	rd_kafka_AdminOptions_set_request_timeout(ao, tmo > 0 ? tmo : 1, es,
						  sizeof es);
	rd_kafka_AdminOptions_set_operation_timeout(ao, tmo > 0 ? tmo : 1, es,
						    sizeof es);
	rd_kafka_CreateTopics(rk, nt, m, ao, q);
	rd_kafka_AdminOptions_destroy(ao);
	rd_kafka_event_t *ev =
		wait_result(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, deadline);
	if (!ev) {
		err = pa_seterr(errbuf, PA_KAFKA,
				"topics: CreateTopics got no answer in time");
		goto out;
	}
	if (rd_kafka_event_error(ev)) {
		err = pa_seterr(errbuf, PA_KAFKA, "topics: CreateTopics: %s",
				rd_kafka_event_error_string(ev));
		rd_kafka_event_destroy(ev);
		goto out;
	}
	size_t rn = 0;
	const rd_kafka_topic_result_t **tr =
		rd_kafka_CreateTopics_result_topics(
			rd_kafka_event_CreateTopics_result(ev), &rn);
	for (size_t i = 0; i < rn && !err; i++) {
		rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
		if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
			(*created)++;
			continue;
		}
		if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			continue;
		const char *why = rd_kafka_topic_result_error_string(tr[i]);
		err = pa_seterr(errbuf, create_err_code(e),
				"topics: cannot create %s: %s",
				rd_kafka_topic_result_name(tr[i]),
				why ? why : rd_kafka_err2str(e));
	}
	rd_kafka_event_destroy(ev);
out:
	rd_kafka_NewTopic_destroy_array(nt, m);
	return err;
}

static int unsupported(rd_kafka_resp_err_t e)
{
	return e == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
	       e == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION ||
	       e == RD_KAFKA_RESP_ERR_INVALID_REQUEST;
}

/* cleanup.policy of state and webhook topics into the report. Returns
 * PA_OK with configs_checked=0 when the cluster lacks DescribeConfigs. */
static pa_err_t read_policies(rd_kafka_t *rk, rd_kafka_queue_t *q,
			      const pw_topics_spec_t *s,
			      pw_topics_report_t *rep, int64_t deadline,
			      char *errbuf)
{
	const char *names[2] = {s->int_state, s->int_webhook};
	char *dst[2] = {rep->state_cleanup_policy,
			rep->webhook_cleanup_policy};
	rd_kafka_ConfigResource_t *cr[2];
	size_t m = 0;
	for (size_t i = 0; i < 2; i++)
		if (names[i] && *names[i])
			cr[m++] = rd_kafka_ConfigResource_new(
				RD_KAFKA_RESOURCE_TOPIC, names[i]);
	if (!m)
		return PA_OK;
	rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(
		rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	char es[256];
	int tmo = left_ms(deadline);
	rd_kafka_AdminOptions_set_request_timeout(ao, tmo > 0 ? tmo : 1, es,
						  sizeof es);
	rd_kafka_DescribeConfigs(rk, cr, m, ao, q);
	rd_kafka_AdminOptions_destroy(ao);
	rd_kafka_ConfigResource_destroy_array(cr, m);
	rd_kafka_event_t *ev = wait_result(
		q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, deadline);
	if (!ev)
		return pa_seterr(errbuf, PA_KAFKA,
				 "topics: DescribeConfigs got no answer in "
				 "time");
	pa_err_t err = PA_OK;
	rd_kafka_resp_err_t e = rd_kafka_event_error(ev);
	if (unsupported(e)) {
		pw_debug(s->log,
			 "topics: cluster does not support DescribeConfigs "
			 "(mock cluster?): cleanup.policy not checked",
			 PW_KV_STR("error", rd_kafka_err2str(e)));
		goto out;
	} else if (e) {
		err = pa_seterr(errbuf, PA_KAFKA,
				"topics: DescribeConfigs: %s",
				rd_kafka_event_error_string(ev));
		goto out;
	}
	size_t rn = 0;
	const rd_kafka_ConfigResource_t **res =
		rd_kafka_DescribeConfigs_result_resources(
			rd_kafka_event_DescribeConfigs_result(ev), &rn);
	int answered = 0;
	for (size_t i = 0; i < rn && !err; i++) {
		const char *rname = rd_kafka_ConfigResource_name(res[i]);
		rd_kafka_resp_err_t re = rd_kafka_ConfigResource_error(res[i]);
		if (unsupported(re)) {
			pw_debug(s->log,
				 "topics: DescribeConfigs unsupported: "
				 "cleanup.policy not checked",
				 PW_KV_STR("topic", rname),
				 PW_KV_STR("error", rd_kafka_err2str(re)));
			continue;
		}
		if (re == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
		    re == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED) {
			/* a locked-down principal may lack DescribeConfigs:
			 * start anyway, but say so */
			pw_warn(s->log,
				"topics: not allowed to describe the topic's "
				"configs: cleanup.policy not checked (grant "
				"DescribeConfigs on the topic to check it)",
				PW_KV_STR("topic", rname));
			continue;
		}
		if (re) {
			err = pa_seterr(
				errbuf, PA_KAFKA,
				"topics: DescribeConfigs %s: %s", rname,
				rd_kafka_ConfigResource_error_string(res[i])
					? rd_kafka_ConfigResource_error_string(
						  res[i])
					: rd_kafka_err2str(re));
			break;
		}
		size_t cn = 0;
		const rd_kafka_ConfigEntry_t **ce =
			rd_kafka_ConfigResource_configs(res[i], &cn);
		for (size_t k = 0; k < cn; k++) {
			if (strcmp(rd_kafka_ConfigEntry_name(ce[k]),
				   "cleanup.policy") != 0)
				continue;
			const char *v = rd_kafka_ConfigEntry_value(ce[k]);
			for (size_t d = 0; d < 2; d++)
				if (names[d] && strcmp(names[d], rname) == 0)
					snprintf(dst[d], POLICY_MAX, "%s",
						 v ? v : "");
			answered = 1;
		}
	}
	rep->configs_checked = answered;
out:
	rd_kafka_event_destroy(ev);
	return err;
}

static pa_err_t validate_counts(const pw_topics_spec_t *s, const topic_t *t,
				size_t n, pw_topics_report_t *rep,
				char *errbuf)
{
	/* an existing co-partitioned topic sets the count a missing one
	 * must have */
	const topic_t *have = NULL;
	for (size_t i = 0; i < n && !have; i++)
		if (t[i].role != ROLE_OUTPUT && t[i].partitions >= 0)
			have = &t[i];
	for (size_t i = 0; i < n; i++) {
		if (t[i].partitions >= 0)
			continue;
		char how[200];
		if (t[i].role == ROLE_OUTPUT)
			snprintf(how, sizeof how, "any partition count");
		else if (have)
			snprintf(how, sizeof how, "%d partitions like %s",
				 have->partitions, have->name);
		else
			snprintf(how, sizeof how,
				 "the same partition count as the other "
				 "command, webhook and state topics");
		return pa_seterr(errbuf, PA_CONFIG,
				 "topic %s does not exist%s: create it (%s%s) "
				 "or set topics.create=true; " SEE_README,
				 t[i].name,
				 s->create ? " (creating it failed)"
					   : " and topics.create=false",
				 how,
				 t[i].role == ROLE_STATE
					 ? ", cleanup.policy=compact"
					 : "");
	}
	/* the reference is the first co-partitioned topic (cmd.payin) */
	const topic_t *ref = NULL;
	for (size_t i = 0; i < n; i++) {
		if (t[i].role == ROLE_OUTPUT)
			continue;
		if (!ref) {
			ref = &t[i];
			continue;
		}
		if (t[i].partitions != ref->partitions)
			return pa_seterr(
				errbuf, PA_CONFIG,
				"%s has %d partitions but %s has %d: the "
				"command, webhook and state topics must be "
				"co-partitioned (same partition count); "
				SEE_README,
				t[i].name, t[i].partitions, ref->name,
				ref->partitions);
	}
	rep->partitions = ref ? ref->partitions : 0;
	return PA_OK;
}

static pa_err_t validate_policies(const pw_topics_spec_t *s,
				  const pw_topics_report_t *rep, char *errbuf)
{
	if (!rep->configs_checked)
		return PA_OK;
	if (s->int_state && rep->state_cleanup_policy[0] &&
	    strcmp(rep->state_cleanup_policy, "compact") != 0)
		return pa_seterr(
			errbuf, PA_CONFIG,
			"%s has cleanup.policy=%s: the state changelog must "
			"be compacted (cleanup.policy=compact; with delete, "
			"the state of older orders would be lost); " SEE_README,
			s->int_state, rep->state_cleanup_policy);
	if (s->int_webhook && strstr(rep->webhook_cleanup_policy, "compact"))
		return pa_seterr(
			errbuf, PA_CONFIG,
			"%s has cleanup.policy=%s: the webhook topic must not "
			"be compacted (a later webhook of an order would "
			"erase an earlier one before it is applied; use "
			"cleanup.policy=delete); " SEE_README,
			s->int_webhook, rep->webhook_cleanup_policy);
	return PA_OK;
}

pa_err_t pw_topics_ensure(const char *bootstraps, const pw_kafka_kv_t *kafka,
			  size_t n_kafka, const pw_topics_spec_t *spec,
			  pw_topics_report_t *report, char *errbuf)
{
	pw_topics_report_t local;
	pw_topics_report_t *rep = report ? report : &local;
	memset(rep, 0, sizeof *rep);
	if (!bootstraps || !*bootstraps || !spec)
		return pa_seterr(errbuf, PA_INVAL, "topics: no brokers");
	if (spec->create && spec->partitions < 1)
		return pa_seterr(errbuf, PA_CONFIG,
				 "topics.partitions must be >= 1");
	topic_t t[MAX_TOPICS];
	size_t n = collect(spec, t);
	int64_t deadline =
		now_ms() + (spec->timeout_ms > 0 ? spec->timeout_ms : 30000);

	rd_kafka_t *rk = NULL;
	refusal_t ref = {.log = spec->log};
	pa_err_t err =
		new_client(bootstraps, kafka, n_kafka, &ref, &rk, errbuf);
	if (err)
		return err;
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	int has_ctl = 0;

	if ((err = read_counts(rk, t, n, deadline, &has_ctl, errbuf)) != PA_OK)
		goto out;
	if (spec->create) {
		err = create_missing(rk, q, spec, t, n, deadline,
				     &rep->created, errbuf);
		if (err)
			goto out;
		/* created topics show up in metadata a little later */
		for (;;) {
			err = read_counts(rk, t, n, deadline, &has_ctl,
					  errbuf);
			if (err)
				goto out;
			size_t missing = 0;
			for (size_t i = 0; i < n; i++)
				missing += t[i].partitions < 0;
			if (!missing || left_ms(deadline) == 0)
				break;
			usleep(100 * 1000);
		}
	}
	if ((err = validate_counts(spec, t, n, rep, errbuf)))
		goto out;
	/* no reachable controller (librdkafka's mock cluster, which has no
	 * DescribeConfigs either): skip the check rather than wait for the
	 * timeout */
	if (!has_ctl)
		pw_debug(spec->log,
			 "topics: cluster names no controller among its "
			 "brokers (librdkafka mock cluster?): cleanup.policy "
			 "not checked");
	else if ((err = read_policies(rk, q, spec, rep, deadline, errbuf)))
		goto out;
	err = validate_policies(spec, rep, errbuf);
	if (!err)
		pw_info(spec->log, "topics checked",
			PW_KV_INT("partitions", rep->partitions),
			PW_KV_INT("created", rep->created),
			PW_KV_STR("state_cleanup_policy",
				  rep->configs_checked
					  ? rep->state_cleanup_policy
					  : "(not checked)"));
out:
	rd_kafka_queue_destroy(q);
	rd_kafka_destroy(rk);
	return err;
}
