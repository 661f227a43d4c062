/* demo_mix.c -- the commands `payatom-worker demo` sends.
 * Owns: the products and merchants of the mix, the sandbox magic that
 *       picks each order's outcome and the status it settles in, the run's
 *       tag in every order id, the redelivered and invalid commands, and
 *       the follow-ups (UTR, refund, complaint) events call for.
 * Not here: what the demo prints (demo_report.c), its set-up (demo.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"

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

/* sandbox magic prefixes (payatom-sandbox --help): deterministic outcomes,
 * and the status each order settles in */
static const struct {
	const char *prefix, *expect;
} magic[] = {
	{"APPROVE", "SUCCEEDED"},	  {"DECLINE", "DECLINED"},
	{"REFUND", "REFUNDED"},		  {"LATE", "SUCCEEDED_LATE"},
	{"MISMATCH", "AMOUNT_MISMATCH"}, {"TIMEOUT", "EXPIRED"},
};
#define N_MAGIC (sizeof magic / sizeof magic[0])

/* The run's tag: base 36 of the time in seconds (it repeats after ~2
 * years). Every order id of a run carries it, so a second run against the
 * same cluster meets none of the first run's orders. */
void demo_run_tag(char *out, size_t size)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	unsigned long v = (unsigned long)time(NULL) % (36UL * 36 * 36 * 36 * 36);
	char t[6];
	for (int i = 4; i >= 0; i--) {
		t[i] = digits[v % 36];
		v /= 36;
	}
	t[5] = '\0';
	snprintf(out, size, "%s", t);
}

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

void demo_publish(demo_t *d, int per_product)
{
	char id[40];
	int seq = 0;
	size_t np = sizeof products / sizeof products[0];
	for (size_t i = 0; i < np; i++) {
		const product_spec_t *p = &products[i];
		for (int k = 0; k < per_product; k++) {
			size_t m = (size_t)(seq + k) % N_MAGIC;
			long major = 100 + ++seq;
			if (p->payout) {
				/* payout ids are 10-13 alphanumerics (spec
				 * §8.4): no room for a prefix, the amount
				 * picks the outcome (ending in 900: Approved) */
				snprintf(id, sizeof id, "PO%s%06d", d->run, seq);
				major = 1900 + 1000 * (seq % 9);
			} else {
				snprintf(id, sizeof id, "%s%s%03d",
					 magic[m].prefix, d->run, seq);
			}
			demo_order_t *o = add_order(d, id, p);
			if (!o)
				return;
			o->expect = p->payout ? "SUCCEEDED" : magic[m].expect;
			int approve = !p->payout && !strcmp(magic[m].prefix,
							    "APPROVE");
			/* REFUND* orders are refunded by the gateway itself;
			 * approved Indian payins get a refund command */
			o->want_refund = approve && !strcmp(p->country, "IN");
			if (o->want_refund)
				o->expect = "REFUNDED";
			o->want_utr = !strcmp(p->product,
					      "PAYIN_UPI_P2P_SEAMLESS") ||
				      !strcmp(p->product,
					      "PAYIN_WALLET_P2P_SEAMLESS");
			o->want_complaint = !p->payout &&
					    !strcmp(magic[m].prefix, "DECLINE");
			json_t *c = base_cmd(p->payout ? "payout" : "payin", p,
					     id, major);
			product_fields(c, p);
			send_json(d, topic_of(d, p->payout), id, c,
				  p->payout ? T_PAYOUT : T_PAYIN);
		}
	}
	/* a redelivered command: the gateway must not be called again */
	if (d->n > 0) {
		demo_order_t *o = &d->ord[0];
		json_t *c = base_cmd("payin", &products[0], o->id, 101);
		product_fields(c, &products[0]);
		send_json(d, topic_of(d, 0), o->id, c, T_REDELIVERED);
	}
	/* invalid commands: dead letters with a reason, the partition flows */
	const product_spec_t *in = &products[1];
	demo_order_t *o;
	snprintf(id, sizeof id, "BADJSON%s01", d->run);
	o = add_order(d, id, in);
	o->invalid = 1;
	produce(d, topic_of(d, 0), o->id, "{\"type\":\"payin\",", T_INVALID);
	snprintf(id, sizeof id, "NOMERCHANT%s01", d->run);
	o = add_order(d, id, in);
	o->invalid = 1;
	json_t *c = base_cmd("payin", in, o->id, 100);
	json_object_set_new(c, "merchant", json_string("acme_unknown"));
	send_json(d, topic_of(d, 0), o->id, c, T_INVALID);
	snprintf(id, sizeof id, "BADIFSC%s1", d->run);
	o = add_order(d, id, &products[10]);
	o->invalid = 1;
	c = base_cmd("payout", &products[10], o->id, 1900);
	product_fields(c, &products[10]);
	json_object_set_new(c, "ifsc", json_string("NOT-AN-IFSC"));
	send_json(d, topic_of(d, 1), o->id, c, T_INVALID);
	snprintf(id, sizeof id, "PAISE%s001", d->run);
	o = add_order(d, id, in);
	o->invalid = 1;
	c = base_cmd("payin", in, o->id, 100);
	product_fields(c, in);
	json_object_set_new(c, "amount_minor", json_integer(10050));
	send_json(d, topic_of(d, 0), o->id, c, T_INVALID);
	rd_kafka_flush(d->prod, 10000);
	d->commands_at_start = d->commands_sent;
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

void demo_follow_up(demo_t *d, demo_order_t *o, const char *status,
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
		send_json(d, topic_of(d, 0), o->id, stamped(c, "utr", o->id),
			  T_UTR);
	}
	if (o->want_refund && !o->refund_sent &&
	    (!strcmp(status, "SUCCEEDED") || !strcmp(status, "SUCCEEDED_LATE"))) {
		o->refund_sent = 1;
		json_t *c = json_pack("{s:s s:s s:s s:I s:s}", "type", "refund",
				      "merchant", o->merchant, "order_id",
				      o->id, "amount_minor", (json_int_t)0,
				      "currency", p->currency);
		send_json(d, topic_of(d, 0), o->id, stamped(c, "refund", o->id),
			  T_REFUND);
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
			  stamped(c, "complaint", o->id), T_COMPLAINT);
	}
}

size_t demo_product_count(void)
{
	return sizeof products / sizeof products[0];
}
