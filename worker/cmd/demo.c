/* demo.c -- `payatom-worker demo`: the whole pipeline on embedded defaults.
 * Owns: the demo's merchants, the in-process sandbox, the command mix, the
 *       event printout and the summary table. Kafka is the embedded mock
 *       cluster unless `-o brokers=…` names real brokers (then also
 *       `-o schema.registry.url=…` for Confluent-framed Avro).
 * Not here: the service itself (worker_app.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "core/hmap.h"
#include "sandbox/sandbox.h"
#include "worker_app.h"

#define MAX_ORDERS 4096

typedef struct demo_order {
	char id[32];
	char merchant[16];
	const char *product;
	int kind; /* 0 payin, 1 payout */
	int terminal;      /* a terminal event or a dead letter was seen */
	int want_refund;   /* REFUND* orders get a refund command */
	int refund_sent, refunded;
	int want_complaint, complaint_sent, complaint_seen;
	int want_utr, utr_sent;
	int invalid;       /* expected to be dead-lettered */
	char last[24];
} demo_order_t;

typedef struct demo {
	pw_app_t app;
	sbx_t *sbx;
	rd_kafka_t *prod;
	char base_url[64];
	demo_order_t ord[MAX_ORDERS];
	int n;
	pw_hmap_t *by_id;
	int sent_by_type[8];
	int commands_sent;
	json_t *events_by_status, *dlq_by_reason, *events_by_topic;
	int quiet;
	long linger_ms;
	int64_t start_ms;
	int done;
} demo_t;

static const char *type_names[] = {"payin", "payout", "refund",
				   "utr_submit", "complaint_submit",
				   "status_check", "invalid"};

static void produce(demo_t *d, const char *topic, const char *key,
		    const char *json, int type)
{
	for (int i = 0; i < 100; i++) {
		rd_kafka_resp_err_t err = rd_kafka_producev(
			d->prod, RD_KAFKA_V_TOPIC(topic),
			RD_KAFKA_V_KEY(key, strlen(key)),
			RD_KAFKA_V_VALUE((void *)json, strlen(json)),
			RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
			break;
		rd_kafka_poll(d->prod, 10);
	}
	d->sent_by_type[type]++;
	d->commands_sent++;
}

static void send_json(demo_t *d, const char *topic, const char *key,
		      json_t *cmd, int type)
{
	char *s = json_dumps(cmd, JSON_COMPACT);
	produce(d, topic, key, s, type);
	free(s);
	json_decref(cmd);
}

/* ---- the command mix --------------------------------------------------- */

typedef struct product_spec {
	const char *product, *merchant, *country, *currency;
	int payout;
} product_spec_t;

static const product_spec_t products[] = {
	{"PAYIN_UPI_P2P_SEAMLESS", "demo", "IN", "INR", 0},
	{"PAYIN_UPI_P2C_SEAMLESS", "demo", "IN", "INR", 0},
	{"PAYIN_UPI_P2P_NON_SEAMLESS", "demo", "IN", "INR", 0},
	{"PAYIN_UPI_P2C_NON_SEAMLESS", "demo_v2", "IN", "INR", 0},
	{"PAYIN_IMPS_P2P_NON_SEAMLESS", "demo", "IN", "INR", 0},
	{"PAYIN_WALLET_P2P_SEAMLESS", "demo_bd", "BD", "BDT", 0},
	{"PAYIN_WALLET_P2C_SEAMLESS", "demo_bd", "BD", "BDT", 0},
	{"PAYIN_WALLET_P2P_NON_SEAMLESS", "demo_bd", "BD", "BDT", 0},
	{"PAYIN_WALLET_P2C_NON_SEAMLESS", "demo_bd", "BD", "BDT", 0},
	{"PAYIN_PK_H2H", "demo_pk", "PK", "PKR", 0},
	{"PAYOUT_IMPS_P2P_SEAMLESS", "demo", "IN", "INR", 1},
	{"PAYOUT_UPI_P2C_SEAMLESS", "demo", "IN", "INR", 1},
	{"PAYOUT_WALLET_P2C_SEAMLESS", "demo_bd", "BD", "BDT", 1},
};

/* sandbox magic prefixes (payatom-sandbox --help): deterministic outcomes */
static const char *prefixes[] = {"APPROVE", "DECLINE", "REFUND", "LATE",
				 "MISMATCH", "TIMEOUT"};

static demo_order_t *add_order(demo_t *d, const char *id,
			       const product_spec_t *p)
{
	if (d->n >= MAX_ORDERS)
		return NULL;
	demo_order_t *o = &d->ord[d->n++];
	memset(o, 0, sizeof *o);
	snprintf(o->id, sizeof o->id, "%s", id);
	snprintf(o->merchant, sizeof o->merchant, "%s", p->merchant);
	o->product = p->product;
	o->kind = p->payout;
	pw_hmap_put(d->by_id, o->id, strlen(o->id), o, NULL);
	return o;
}

static json_t *base_cmd(const char *type, const product_spec_t *p,
			const char *id, long amount_major)
{
	json_t *c = json_pack(
		"{s:s s:s s:s s:s s:s s:I s:s s:{s:s s:s s:s} s:I}", "type",
		type, "merchant", p->merchant, "order_id", id, "product",
		p->product, "country", p->country, "amount_minor",
		(json_int_t)amount_major * 100, "currency", p->currency,
		"customer", "name", "Asha Rao", "email", "asha.rao@example.com",
		"phone", "9876543210", "created_at",
		(json_int_t)time(NULL) * 1000);
	char cid[48];
	snprintf(cid, sizeof cid, "cmd-%s", id);
	json_object_set_new(c, "command_id", json_string(cid));
	return c;
}

static void product_fields(json_t *c, const product_spec_t *p)
{
	const char *pr = p->product;
	if (strstr(pr, "UPI") && strstr(pr, "PAYIN") && strstr(pr, "_SEAMLESS") &&
	    !strstr(pr, "NON"))
		json_object_set_new(c, "upi_id", json_string("asha@okaxis"));
	if (strstr(pr, "PAYIN_WALLET"))
		json_object_set_new(c, "wallet_type", json_string("bKash"));
	if (!strcmp(pr, "PAYIN_PK_H2H")) {
		json_object_set_new(c, "pak_wallet", json_string("JAZZCASH"));
		json_object_set_new(c, "account_number",
				    json_string("03331234567"));
	}
	if (!strcmp(pr, "PAYOUT_IMPS_P2P_SEAMLESS")) {
		json_object_set_new(c, "account_no", json_string("123456789012"));
		json_object_set_new(c, "account_holder", json_string("Asha Rao"));
		json_object_set_new(c, "bank", json_string("HDFC Bank"));
		json_object_set_new(c, "ifsc", json_string("HDFC0001234"));
	}
	if (!strcmp(pr, "PAYOUT_UPI_P2C_SEAMLESS")) {
		json_object_set_new(c, "upi_id", json_string("asha@okaxis"));
		json_object_set_new(c, "account_holder", json_string("Asha Rao"));
	}
	if (!strcmp(pr, "PAYOUT_WALLET_P2C_SEAMLESS")) {
		json_object_set_new(c, "account_no", json_string("01712345678"));
		json_object_set_new(c, "wallet_type", json_string("bKash"));
	}
	if (!strcmp(p->merchant, "demo_v2")) {
		json_object_set_new(c, "ip", json_string("203.0.113.7"));
		json_object_set_new(c, "latitude", json_string("28.7041"));
		json_object_set_new(c, "longitude", json_string("77.1025"));
		json_object_set_new(c, "customer_id", json_string("CUST001"));
		json_object_set_new(c, "redirect_url",
				    json_string("https://shop.example/return"));
	}
}

static const char *topic_of(demo_t *d, int payout)
{
	return payout ? d->app.wc->topic_cmd_payout : d->app.wc->topic_cmd_payin;
}

static void publish_mix(demo_t *d, int per_product)
{
	char id[32];
	int seq = 0;
	size_t np = sizeof products / sizeof products[0];
	for (size_t i = 0; i < np; i++) {
		const product_spec_t *p = &products[i];
		for (int k = 0; k < per_product; k++) {
			const char *pre = prefixes[(seq + k) % 6];
			if (p->payout && (!strcmp(pre, "REFUND") ||
					  !strcmp(pre, "LATE") ||
					  !strcmp(pre, "MISMATCH") ||
					  !strcmp(pre, "TIMEOUT")))
				pre = "APPROVE";
			snprintf(id, sizeof id, "%s%0*d", pre,
				 (int)(13 - strlen(pre)), ++seq);
			demo_order_t *o = add_order(d, id, p);
			if (!o)
				return;
			/* REFUND* orders are refunded by the gateway itself;
			 * approved UPI P2C payins get a refund command */
			o->want_refund = !strcmp(pre, "APPROVE") && !p->payout &&
					 !strcmp(p->product,
						 "PAYIN_UPI_P2C_SEAMLESS");
			o->want_utr = !strcmp(p->product,
					      "PAYIN_UPI_P2P_SEAMLESS") ||
				      !strcmp(p->product,
					      "PAYIN_WALLET_P2P_SEAMLESS");
			o->want_complaint = !strcmp(pre, "DECLINE") && !p->payout;
			json_t *c = base_cmd(p->payout ? "payout" : "payin", p,
					     id, 100 + seq);
			product_fields(c, p);
			send_json(d, topic_of(d, p->payout), id, c, p->payout);
		}
	}
	/* a redelivered command: the gateway must not be called again */
	if (d->n > 0) {
		demo_order_t *o = &d->ord[0];
		json_t *c = base_cmd("payin", &products[0], o->id, 101);
		product_fields(c, &products[0]);
		send_json(d, topic_of(d, 0), o->id, c, 0);
	}
	/* invalid commands: dead letters with a reason, the partition flows */
	const product_spec_t *in = &products[1];
	demo_order_t *o;
	o = add_order(d, "BADJSON00001", in);
	o->invalid = 1;
	produce(d, topic_of(d, 0), o->id, "{\"type\":\"payin\",", 6);
	o = add_order(d, "NOMERCHANT01", in);
	o->invalid = 1;
	json_t *c = base_cmd("payin", in, o->id, 100);
	json_object_set_new(c, "merchant", json_string("acme_unknown"));
	send_json(d, topic_of(d, 0), o->id, c, 6);
	o = add_order(d, "BADIFSC00001", &products[10]);
	o->invalid = 1;
	c = base_cmd("payout", &products[10], o->id, 100);
	product_fields(c, &products[10]);
	json_object_set_new(c, "ifsc", json_string("NOT-AN-IFSC"));
	send_json(d, topic_of(d, 1), o->id, c, 6);
	o = add_order(d, "PAISE0000001", in);
	o->invalid = 1;
	c = base_cmd("payin", in, o->id, 100);
	product_fields(c, in);
	json_object_set_new(c, "amount_minor", json_integer(10050));
	send_json(d, topic_of(d, 0), o->id, c, 6);
	rd_kafka_flush(d->prod, 10000);
}

/* ---- follow-ups driven by what the events say ------------------------- */

/* command_id and created_at, which every command schema requires */
static json_t *stamped(json_t *c, const char *what, const char *oid)
{
	char cid[64];
	snprintf(cid, sizeof cid, "%s-%s", what, oid);
	json_object_set_new(c, "command_id", json_string(cid));
	json_object_set_new(c, "created_at",
			    json_integer((json_int_t)time(NULL) * 1000));
	return c;
}

static void follow_up(demo_t *d, demo_order_t *o, const char *status,
		      const char *ref)
{
	const product_spec_t *p = NULL;
	for (size_t i = 0; i < sizeof products / sizeof products[0]; i++)
		if (!strcmp(products[i].product, o->product))
			p = &products[i];
	if (!p)
		return;
	if (o->want_utr && !o->utr_sent && !strcmp(status, "PENDING") && ref) {
		o->utr_sent = 1;
		char utr[48];
		snprintf(utr, sizeof utr, "UTR%s", o->id);
		json_t *c = json_pack("{s:s s:s s:s s:s s:s}", "type",
				      "utr_submit", "merchant", o->merchant,
				      "order_id", o->id, "ref_code", ref,
				      "utr", utr);
		send_json(d, topic_of(d, 0), o->id, stamped(c, "utr", o->id), 3);
	}
	if (o->want_refund && !o->refund_sent &&
	    (!strcmp(status, "SUCCEEDED") || !strcmp(status, "SUCCEEDED_LATE"))) {
		o->refund_sent = 1;
		json_t *c = json_pack("{s:s s:s s:s s:I s:s}", "type", "refund",
				      "merchant", o->merchant, "order_id",
				      o->id, "amount_minor", (json_int_t)0,
				      "currency", p->currency);
		send_json(d, topic_of(d, 0), o->id, stamped(c, "refund", o->id),
			  2);
	}
	if (o->want_complaint && !o->complaint_sent &&
	    !strcmp(status, "DECLINED") && ref) {
		o->complaint_sent = 1;
		json_t *c = json_pack("{s:s s:s s:s s:s s:s}", "type",
				      "complaint_submit", "merchant",
				      o->merchant, "order_id", o->id,
				      "ref_code", ref, "description",
				      "customer says the money left the account");
		send_json(d, d->app.wc->topic_cmd_complaint, o->id,
			  stamped(c, "complaint", o->id), 4);
	}
}

static void count(json_t *obj, const char *k)
{
	json_object_set_new(obj, k,
			    json_integer(json_integer_value(
						 json_object_get(obj, k)) +
					 1));
}

static void on_event(void *ud, const char *topic, const char *text)
{
	demo_t *d = ud;
	json_error_t je;
	json_t *ev = json_loads(text, 0, &je);
	if (!ev)
		return;
	count(d->events_by_topic, topic);
	const char *oid = json_string_value(json_object_get(ev, "order_id"));
	if (!oid)
		oid = json_string_value(json_object_get(ev, "key"));
	demo_order_t *o = oid ? pw_hmap_get(d->by_id, oid, strlen(oid)) : NULL;
	const char *reason = json_string_value(json_object_get(ev, "reason"));
	if (strstr(topic, "dlq")) {
		count(d->dlq_by_reason, reason ? reason : "?");
		if (o) {
			/* a dead letter is the outcome of whatever command
			 * it was: the order's, its refund's or complaint's */
			o->terminal = 1;
			if (o->refund_sent)
				o->refunded = 1;
			if (o->complaint_sent)
				o->complaint_seen = 1;
		}
		if (!d->quiet)
			printf("  %-9s %-14s %-16s %s\n", "dead", oid ? oid : "-",
			       reason ? reason : "",
			       json_string_value(
				       json_object_get(ev, "message")));
	} else {
		const char *st = json_string_value(json_object_get(ev, "status"));
		const char *type =
			json_string_value(json_object_get(ev, "event_type"));
		const char *ref = json_string_value(json_object_get(ev, "ref_code"));
		if (!st)
			st = "?";
		count(d->events_by_status, st);
		if (o) {
			if (json_is_true(json_object_get(ev, "terminal")))
				o->terminal = 1;
			if (!strcmp(st, "REFUNDED"))
				o->refunded = 1;
			if (type && !strcmp(type, "complaint"))
				o->complaint_seen = 1;
			snprintf(o->last, sizeof o->last, "%s", st);
			follow_up(d, o, st, ref);
		}
		if (!d->quiet) {
			const char *link = json_string_value(
				json_object_get(ev, "payment_link"));
			const char *raw = json_string_value(
				json_object_get(ev, "raw_status"));
			printf("  %-9s %-14s %-16s raw=%-22s%s%s\n",
			       type ? type : "event", oid ? oid : "-", st,
			       raw && *raw ? raw : "-", link ? " link=" : "",
			       link ? link : "");
		}
	}
	fflush(stdout);
	json_decref(ev);
}

/* ---- completion --------------------------------------------------------- */

static int all_done(demo_t *d)
{
	for (int i = 0; i < d->n; i++) {
		demo_order_t *o = &d->ord[i];
		if (!o->terminal)
			return 0;
		if (o->refund_sent && !o->refunded)
			return 0;
		if (o->complaint_sent && !o->complaint_seen)
			return 0;
	}
	pw_worker_stats_t st;
	pw_worker_stats(d->app.w, &st);
	return st.inflight == 0;
}

static void linger_over(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	demo_t *d = ud;
	pw_app_shutdown(&d->app);
}

static void check_tick(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	demo_t *d = ud;
	if (all_done(d)) {
		d->done = 1;
		printf("demo: all outcomes in\n");
		fflush(stdout);
		pw_timer_add(loop, d->linger_ms, linger_over, d);
		return;
	}
	if (pw_now_ms() - d->start_ms > 120000) {
		fprintf(stderr, "demo: timed out waiting for outcomes\n");
		pw_app_shutdown(&d->app);
		return;
	}
	pw_timer_add(loop, 200, check_tick, d);
}

static void print_obj(const char *title, json_t *o)
{
	printf("  %s\n", title);
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
		printf("    %-22s %6lld\n", k, (long long)json_integer_value(v));
}

static void summary(demo_t *d)
{
	pw_worker_stats_t st;
	pw_worker_stats(d->app.w, &st);
	printf("\n== summary ==========================================\n");
	printf("  commands in (by type)\n");
	for (int i = 0; i < 7; i++)
		if (d->sent_by_type[i])
			printf("    %-22s %6d\n", type_names[i],
			       d->sent_by_type[i]);
	printf("    %-22s %6d\n", "total", d->commands_sent);
	print_obj("events out (by status)", d->events_by_status);
	print_obj("records out (by topic)", d->events_by_topic);
	print_obj("dead letters (by reason)", d->dlq_by_reason);
	printf("  worker\n");
	printf("    %-22s %6llu\n", "gateway calls",
	       (unsigned long long)st.gw_calls);
	printf("    %-22s %6llu\n", "gateway retries",
	       (unsigned long long)st.gw_retries);
	printf("    %-22s %6llu\n", "status polls", (unsigned long long)st.polls);
	printf("    %-22s %6llu\n", "webhooks applied",
	       (unsigned long long)st.webhooks_in);
	printf("    %-22s %6llu\n", "duplicates suppressed",
	       (unsigned long long)st.duplicates_suppressed);
	int missing = 0;
	for (int i = 0; i < d->n; i++)
		missing += !d->ord[i].terminal;
	printf("    %-22s %6d of %d\n", "orders settled", d->n - missing, d->n);
	printf("    %-22s %6.1f s\n", "duration",
	       (double)(pw_now_ms() - d->start_ms) / 1000.0);
	printf("=====================================================\n");
	printf(d->done ? "demo: every command reached a terminal outcome\n"
		       : "demo: INCOMPLETE: some commands have no outcome\n");
}

/* ---- setup --------------------------------------------------------------- */

static pa_err_t demo_merchants(demo_t *d, pw_merchants_t **out, char *eb)
{
	pw_merchants_t *ms;
	pa_err_t err = pw_merchants_new(&ms);
	if (err != PA_OK)
		return err;
	static const struct {
		const char *name, *pid, *secret, *api_key;
		pa_country_t country;
		pa_api_version_t v;
	} m[] = {
		{"demo", "DEMOIN0001", "demo-secret-in-7f3a", NULL,
		 PA_COUNTRY_IN, PA_API_V1},
		{"demo_v2", "DEMOIN0002", "demo-secret-v2-91cd",
		 "demo-api-key-2e71-44b0", PA_COUNTRY_IN, PA_API_V2},
		{"demo_bd", "DEMOBD0001", "demo-secret-bd-5b20", NULL,
		 PA_COUNTRY_BD, PA_API_V1},
		{"demo_pk", "DEMOPK0001", "demo-secret-pk-c4d8", NULL,
		 PA_COUNTRY_PK, PA_API_V1},
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		pa_merchant_t pm = {0};
		pm.pid = m[i].pid;
		pm.api_version = m[i].v;
		pm.api_key = m[i].api_key;
		pm.base_url = d->base_url;
		pm.country = m[i].country;
		pm.recon_token = "demo-recon-token";
		pm.bot_api_key = "demo-operator-key";
		pm.complaint_token = "demo-recon-token";
		pm.v2_alg = PA_V2_SHA256_CONCAT;
		pm.poll_key = PA_POLL_BY_REF_CODE;
		err = pw_merchants_add(ms, m[i].name, &pm, m[i].secret, eb);
		if (err != PA_OK) {
			pw_merchants_destroy(ms);
			return err;
		}
	}
	*out = ms;
	return PA_OK;
}

static pa_err_t start_sandbox(demo_t *d, char *eb)
{
	sbx_cfg_t *sc;
	pa_err_t err = sbx_cfg_new(&sc);
	if (err != PA_OK)
		return err;
	uint16_t port = pw_app_http_port(&d->app);
	char spec[512];
	static const struct {
		const char *name, *pid, *secret, *api_key;
	} m[] = {
		{"demo", "DEMOIN0001", "demo-secret-in-7f3a",
		 "unused-v1-key-0000"},
		{"demo_v2", "DEMOIN0002", "demo-secret-v2-91cd",
		 "demo-api-key-2e71-44b0"},
		{"demo_bd", "DEMOBD0001", "demo-secret-bd-5b20",
		 "unused-v1-key-0001"},
		{"demo_pk", "DEMOPK0001", "demo-secret-pk-c4d8",
		 "unused-v1-key-0002"},
	};
	const char *kv[][2] = {
		{"port", "0"},		      {"seed", "7"},
		{"resolve-delay-ms", "700"},  {"late-delay-ms", "700"},
		{"refund-delay-ms", "700"},   {"webhook-retry-ms", "200"},
		{"webhook-max-attempts", "8"},
		/* a few gateway faults: the worker retries them */
		{"fault", "/api/request.php:5xx=0.05"},
		{"fault", "/pay/request.php:latency=uniform:5-60"},
	};
	for (size_t i = 0; err == PA_OK && i < sizeof kv / sizeof kv[0]; i++)
		err = sbx_cfg_set(sc, kv[i][0], kv[i][1], eb);
	for (size_t i = 0; err == PA_OK && i < sizeof m / sizeof m[0]; i++) {
		snprintf(spec, sizeof spec,
			 "pid=%s,secret=%s,api_key=%s,token=demo-recon-token,"
			 "operator_key=demo-operator-key,"
			 "callback=http://127.0.0.1:%u/webhooks/payatom/%s",
			 m[i].pid, m[i].secret, m[i].api_key, port, m[i].name);
		err = sbx_cfg_set(sc, "merchant", spec, eb);
	}
	if (err == PA_OK)
		err = sbx_new(d->app.loop, sc, &d->sbx, eb);
	sbx_cfg_destroy(sc);
	if (err == PA_OK)
		snprintf(d->base_url, sizeof d->base_url, "http://127.0.0.1:%u",
			 sbx_port(d->sbx));
	return err;
}

int pw_demo_main(int argc, char **argv)
{
	int per_product = 3;
	const char *log_level = "warn";
	long linger_ms = 0;
	const char *overrides[64]; /* -o key=value, applied last */
	size_t n_over = 0;
	demo_t *d = calloc(1, sizeof *d);
	if (!d)
		return 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quiet"))
			d->quiet = 1;
		else if (!strcmp(argv[i], "--orders-per-product") && i + 1 < argc)
			per_product = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--log-level") && i + 1 < argc)
			log_level = argv[++i];
		else if (!strcmp(argv[i], "--linger-ms") && i + 1 < argc)
			linger_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "-o") && i + 1 < argc &&
			 n_over < sizeof overrides / sizeof overrides[0])
			overrides[n_over++] = argv[++i];
		else {
			printf("usage: payatom-worker demo [--quiet] "
			       "[--orders-per-product N] [--log-level L]\n"
			       "                           [--linger-ms MS] "
			       "[-o key=value]...\n\n"
			       "Starts librdkafka's mock cluster and "
			       "payatom-sandbox in-process, publishes a mix of\n"
			       "commands for every product (with invalid ones "
			       "and gateway faults), prints the\nevent stream "
			       "and a summary. Exit 0 when every command "
			       "reached a terminal outcome.\n"
			       "--linger-ms keeps the worker (and /metrics, "
			       "/healthz, /readyz) up that long after\nthe "
			       "last outcome, for scraping.\n"
			       "-o sets any worker configuration key over the "
			       "demo's defaults, e.g.\n"
			       "  -o brokers=127.0.0.1:9092 (real brokers "
			       "instead of the mock; topics are created)\n"
			       "  -o schema.registry.url=http://127.0.0.1:8081 "
			       "(Confluent-framed Avro)\n");
			free(d);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (per_product < 1 || per_product > 200)
		per_product = 3;
	d->linger_ms = linger_ms < 0 ? 0 : linger_ms;
	char eb[PA_ERRBUF_SIZE] = "";
	pw_config_t *cfg = NULL;
	pw_merchants_t *ms = NULL;
	int rc = 1;
	pw_hmap_new(&d->by_id);
	/* real URL once the sandbox is bound (the profiles borrow it) */
	snprintf(d->base_url, sizeof d->base_url, "http://127.0.0.1:1");
	d->events_by_status = json_object();
	d->dlq_by_reason = json_object();
	d->events_by_topic = json_object();
	const char *sets[] = {"http.listen=127.0.0.1:0",
			      "topics.partitions=4",
			      "poll.first=1s",
			      "poll.max.interval=2s",
			      "retry.base=100ms",
			      "retry.max=1s",
			      "commit.interval=200ms",
			      "shutdown.timeout=5s",
			      /* lag and RTT gauges fill within the demo */
			      "kafka.statistics.interval.ms=1000",
			      NULL, /* log.level */
			      "log.format=text"};
	pa_err_t err = pw_config_new(pw_config_worker_table(), &cfg, eb);
	for (size_t i = 0; err == PA_OK && i < sizeof sets / sizeof sets[0];
	     i++)
		if (sets[i])
			err = pw_config_set_arg(cfg, sets[i], eb);
	if (err == PA_OK)
		err = pw_config_set(cfg, "log.level", log_level,
				    PW_CFG_SRC_CLI, "demo --log-level",
				    eb);
	for (size_t i = 0; err == PA_OK && i < n_over; i++)
		err = pw_config_set_arg(cfg, overrides[i], eb);
	if (err == PA_OK)
		err = pw_config_finalize(cfg, eb);
	if (err == PA_OK)
		err = demo_merchants(d, &ms, eb);
	d->app.on_event = on_event;
	d->app.on_event_ud = d;
	if (err == PA_OK) {
		err = pw_app_start(&d->app, cfg, ms, eb);
		ms = NULL; /* the app owns it now */
	}
	if (err == PA_OK)
		err = start_sandbox(d, eb);
	if (err != PA_OK) {
		fprintf(stderr, "demo: %s\n", eb[0] ? eb : pa_strerror(err));
		goto out;
	}
	char es[256];
	rd_kafka_conf_t *pc = rd_kafka_conf_new();
	rd_kafka_conf_set(pc, "bootstrap.servers", d->app.brokers, es, sizeof es);
	rd_kafka_conf_set(pc, "partitioner", "murmur2_random", es, sizeof es);
	rd_kafka_conf_set(pc, "enable.idempotence", "true", es, sizeof es);
	/* the worker's kafka.security.* / sasl.* / ssl.* (real brokers) */
	for (size_t i = 0; i < d->app.n_kafka; i++) {
		const char *k = d->app.kafka[i].key;
		if (!strncmp(k, "security.", 9) || !strncmp(k, "sasl.", 5) ||
		    !strncmp(k, "ssl.", 4))
			rd_kafka_conf_set(pc, k, d->app.kafka[i].value, es,
					  sizeof es);
	}
	d->prod = rd_kafka_new(RD_KAFKA_PRODUCER, pc, es, sizeof es);
	if (!d->prod) {
		fprintf(stderr, "demo: producer: %s\n", es);
		goto out;
	}
	printf("http_port=%u\n", pw_app_http_port(&d->app));
	printf("payatom-worker demo\n  kafka     %s (%s)\n"
	       "  gateway   %s (payatom-sandbox, in-process)\n"
	       "  webhooks  http://127.0.0.1:%u/webhooks/payatom/<merchant>\n",
	       d->app.brokers,
	       d->app.mock ? "embedded mock cluster" : "brokers", d->base_url,
	       pw_app_http_port(&d->app));
	if (d->app.cs.registry) /* only with serialization=avro */
		printf("  registry  %s (Confluent-framed Avro)\n",
		       pw_registry_shown(d->app.cs.registry));
	printf("\n");
	d->start_ms = pw_now_ms();
	publish_mix(d, per_product);
	printf("published %d commands for %d orders; events:\n",
	       d->commands_sent, d->n);
	pw_timer_add(d->app.loop, 200, check_tick, d);
	pw_app_run(&d->app);
	rd_kafka_flush(d->prod, 5000);
	summary(d);
	rc = d->done ? 0 : 1;
out:
	if (d->prod)
		rd_kafka_destroy(d->prod);
	sbx_destroy(d->sbx);
	pw_app_destroy(&d->app);
	pw_merchants_destroy(ms);
	pw_config_destroy(cfg);
	pw_hmap_destroy(d->by_id);
	json_decref(d->events_by_status);
	json_decref(d->dlq_by_reason);
	json_decref(d->events_by_topic);
	free(d);
	return rc;
}
