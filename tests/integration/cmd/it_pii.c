/* it_pii.c -- no personal data in any error path's output (issue 18).
 * A real payatom-worker (mock cluster in this process, payatom-sandbox as
 * the gateway) is fed one command per kind of decode and validation error,
 * every one carrying known personal values (a phone number, a UPI id, a
 * name, an e-mail address, an account number) in every field it has, next
 * to the broken byte where the error is. Each must end in exactly one dead
 * letter, and none of the values may appear in the worker's log, in a dead
 * letter (but its payload and key, which carry the original bytes on
 * purpose) or in /metrics. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kafka/mockcluster.h"
#include "kafkat.h"
#include "procs.h"
#include "pwtest.h"
#include "serde/codec.h"

#define PHONE "9876501234"
#define UPI "waldopump88@okaxis"
#define NAME "Zubeida Quaxley"
#define EMAIL "zq.pii@example.net"
#define ACCT "50100987654321"
static const char *const pii[] = {PHONE, UPI, NAME, EMAIL, ACCT,
				  "Zubeida", "waldopump88", "zq.pii"};

#define CUST "\"customer\":{\"name\":\"" NAME "\",\"email\":\"" EMAIL \
	     "\",\"phone\":\"" PHONE "\"}"
#define HEAD(oid) "{\"type\":\"payin\",\"command_id\":\"" oid "\","
#define TAIL "\"country\":\"IN\",\"currency\":\"INR\",\"created_at\":1795692000123}"
#define OK_FIELDS "\"merchant\":\"demo\",\"product\":\"PAYIN_UPI_P2P_SEAMLESS\","

/* key, JSON text (NULL: the Avro case built in code) */
static const struct {
	const char *key, *text;
} cases[] = {
	/* undecodable JSON, the broken byte right after a personal value */
	{"PIIJSON0000001", HEAD("c1") OK_FIELDS "\"order_id\":\"PIIJSON0000001\","
	 "\"amount_minor\":100000,\"customer\":{\"name\":\"" NAME "\",\"email\":\""
	 EMAIL "\",\"phone\":\"" PHONE "\t\"}," TAIL},
	{"PIIJSON0000002", HEAD("c2") OK_FIELDS "\"order_id\":\"PIIJSON0000002\","
	 "\"amount_minor\":100000," CUST ",\"upi_id\":\"" UPI "\xff\"," TAIL},
	{"PIIJSON0000003", HEAD("c3") OK_FIELDS "\"order_id\":\"PIIJSON0000003\","
	 "\"amount_minor\":100000,\"customer\":{\"name\":\"" NAME},
	{"PIIJSON0000004", HEAD("c4") OK_FIELDS "\"order_id\":\"PIIJSON0000004\","
	 "\"amount_minor\":100000,\"customer\":{\"name\":\"" NAME "\",\"email\":\""
	 EMAIL "\",\"phone\":\"" PHONE "\\q\"}," TAIL},
	{"PIIJSON0000005", HEAD("c5") OK_FIELDS "\"order_id\":\"PIIJSON0000005\","
	 "\"amount_minor\":100000," CUST ",\"upi_id\":\"" UPI "\\u12x4\"," TAIL},
	{"PIIJSON0000006", HEAD("c6") OK_FIELDS "\"order_id\":\"PIIJSON0000006\","
	 "\"amount_minor\":100000," CUST ",\"upi_id\":\"" UPI "\",\"upi_id\":\""
	 UPI "\"," TAIL},
	/* decoded, not a valid record: values where names or numbers go */
	{"PIIJSON0000007", HEAD("c7") "\"merchant\":\"demo\",\"product\":\"" PHONE
	 "\",\"order_id\":\"PIIJSON0000007\",\"amount_minor\":100000," CUST
	 ",\"upi_id\":\"" UPI "\"," TAIL},
	{"PIIJSON0000008", "{\"type\":\"" UPI "\",\"command_id\":\"c8\","
	 OK_FIELDS "\"order_id\":\"PIIJSON0000008\",\"amount_minor\":100000,"
	 CUST "," TAIL},
	{"PIIJSON0000009", HEAD("c9") OK_FIELDS "\"order_id\":\"PIIJSON0000009\","
	 "\"amount_minor\":\"" ACCT "\"," CUST ",\"upi_id\":\"" UPI "\"," TAIL},
	{"PIIJSON0000010", HEAD("c10") OK_FIELDS "\"order_id\":\"PIIJSON0000010\","
	 "\"amount_minor\":100000," CUST ",\"upi_id\":\"" UPI "\","
	 "\"country\":\"IN\",\"currency\":\"INR\",\"created_at\":\"" NAME "\"}"},
	{"PIIJSON0000011", HEAD("c11") OK_FIELDS "\"order_id\":\"PIIJSON0000011\","
	 "\"amount_minor\":100000,\"customer\":{\"name\":\"" NAME "\",\"email\":\""
	 EMAIL "\",\"phone\":" PHONE "}," TAIL},
	/* the envelope: unknown merchant, product of the wrong direction */
	{"PIIJSON0000012", HEAD("c12") "\"merchant\":\"" EMAIL "\",\"product\":"
	 "\"PAYIN_UPI_P2P_SEAMLESS\",\"order_id\":\"PIIJSON0000012\","
	 "\"amount_minor\":100000," CUST ",\"upi_id\":\"" UPI "\"," TAIL},
	{"PIIJSON0000013", HEAD("c13") "\"merchant\":\"" NAME "\",\"product\":"
	 "\"PAYIN_UPI_P2P_SEAMLESS\",\"order_id\":\"PIIJSON0000013\","
	 "\"amount_minor\":100000," CUST ",\"upi_id\":\"" UPI "\"," TAIL},
	/* libpayatom's validation: paise where India wants whole rupees */
	{"PIIJSON0000014", HEAD("c14") OK_FIELDS "\"order_id\":\"PIIJSON0000014\","
	 "\"amount_minor\":100050," CUST ",\"upi_id\":\"" UPI "\"," TAIL},
	/* key and order_id differ (the key is a phone number) */
	{PHONE, HEAD("c15") OK_FIELDS "\"order_id\":\"PIIJSON0000015\","
	 "\"amount_minor\":100000," CUST ",\"upi_id\":\"" UPI "\"," TAIL},
	/* Avro single-object: a name that is not UTF-8, a truncated record */
	{"PIIAVRO0000001", NULL},
	{"PIIAVRO0000002", NULL},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t l = sizeof a;
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &l), 0);
	close(s);
	return ntohs(a.sin_port);
}

static json_t *avro_rec(const char *oid)
{
	return json_pack(
		"{s:s s:s s:s s:s s:s s:s s:I s:s s:{s:s s:s s:s} s:s s:I}",
		"type", "payin", "command_id", "ca", "merchant", "demo",
		"order_id", oid, "product", "PAYIN_UPI_P2P_SEAMLESS", "country",
		"IN", "amount_minor", (json_int_t)100000, "currency", "INR",
		"customer", "name", NAME, "email", EMAIL, "phone", PHONE,
		"upi_id", UPI, "created_at", (json_int_t)1795692000123);
}

static void produce_avro(rd_kafka_t *prod, int which, const char *key)
{
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO};
	pw_codec_t *codec;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_codec_new(&cc, &codec, eb), PA_OK);
	json_t *rec = avro_rec(key);
	uint8_t *buf;
	size_t len;
	ck_assert_msg(pw_codec_encode(codec, NULL, "PayinCommand", rec, &buf,
				      &len, eb) == PA_OK,
		      "%s", eb);
	uint8_t *at = memmem(buf, len, NAME, strlen(NAME));
	ck_assert_ptr_nonnull(at);
	if (which == 0)
		at[7] = 0xff; /* inside the name: not UTF-8 */
	else
		len = (size_t)(at - buf) + strlen(NAME) - 3; /* cut in it */
	pwt_produce(prod, "payatom.cmd.payin", key, buf, len);
	free(buf);
	json_decref(rec);
	pw_codec_destroy(codec);
}

static void assert_clean(const char *where, const char *text)
{
	for (size_t i = 0; i < sizeof pii / sizeof pii[0]; i++)
		ck_assert_msg(!strstr(text, pii[i]),
			      "%s shows personal value '%s':\n%.2000s", where,
			      pii[i], strstr(text, pii[i]) - 300 > text
					      ? strstr(text, pii[i]) - 300
					      : text);
}

START_TEST(test_pii_no_personal_value_in_logs_dead_letters_or_metrics)
{
	char eb[PA_ERRBUF_SIZE];
	pw_mock_t *mock;
	ck_assert_int_eq(pw_mock_new(1, 4, &mock, eb), PA_OK);
	const char *topics[] = {"payatom.cmd.payin",	 "payatom.cmd.payout",
				"payatom.cmd.complaint", "payatom.evt.payment",
				"payatom.evt.refund",	 "payatom.evt.complaint",
				"payatom.evt.report",	 "payatom.dlq",
				"payatom.int.webhook",	 "payatom.int.state"};
	for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
		ck_assert_int_eq(pw_mock_topic(mock, topics[i]), PA_OK);
	const char *brokers = pw_mock_bootstraps(mock);
	printf("pii: logs in %s\n", pwt_procs_dir("pii"));
	int sport = 0;
	pwt_proc_t *sbx = pwt_sandbox_spawn(
		"seed = 3\nmerchant = pid=0951272386617,secret=pii-secret-123,"
		"api_key=k,token=t,operator_key=o\n",
		&sport);
	ck_assert_ptr_nonnull(sbx);
	char conf[4096], path[512];
	snprintf(conf, sizeof conf,
		 "brokers = %s\ngroup.id = it-pii-%d\ntopics.partitions = 4\n"
		 "serialization = json\nlog.level = debug\nlog.format = json\n"
		 "commit.interval = 200ms\nshutdown.timeout = 5s\n"
		 "merchant.demo.pid = 0951272386617\n"
		 "merchant.demo.secret = pii-secret-123\n"
		 "merchant.demo.base.url = http://127.0.0.1:%d\n"
		 "merchant.demo.country = IN\n",
		 brokers, (int)getpid(), sport);
	ck_assert_ptr_nonnull(
		pwt_procs_write_file("worker.conf", conf, path, sizeof path));
	int port = free_port();
	pwt_proc_t *w = pwt_worker_spawn(path, port, NULL);
	ck_assert_ptr_nonnull(w);
	char line[2048];
	ck_assert_msg(pwt_proc_wait_log(w, "payatom-worker started", line,
					sizeof line, 20000),
		      "worker did not start (see %s)", pwt_proc_err_path(w));
	rd_kafka_t *prod = pwt_producer(brokers);
	for (size_t i = 0; i < N_CASES; i++) {
		if (cases[i].text)
			pwt_produce(prod, "payatom.cmd.payin", cases[i].key,
				    cases[i].text, strlen(cases[i].text));
		else
			produce_avro(prod, cases[i].key[13] == '1' ? 0 : 1,
				     cases[i].key);
	}
	pwt_flush(prod);
	/* one dead letter each, bounded */
	json_t *dl = NULL;
	int64_t end = pwt_now_ms() + pwt_ms(60000);
	while (pwt_now_ms() < end) {
		json_decref(dl);
		dl = pwt_read_topic(brokers, "payatom.dlq", 1000, 10000);
		if (json_array_size(dl) >= N_CASES)
			break;
	}
	ck_assert_uint_eq(json_array_size(dl), N_CASES);
	size_t i;
	json_t *r;
	json_array_foreach(dl, i, r)
	{
		json_t *v = json_object_get(r, "value");
		ck_assert(json_is_object(v));
		/* the original bytes, on purpose: the DLQ is a data topic */
		json_object_del(v, "payload");
		json_object_del(v, "key");
		char *t = json_dumps(v, JSON_COMPACT);
		printf("pii: dead letter %s\n", t);
		assert_clean("a dead letter", t);
		free(t);
	}
	char url[128], *metrics = NULL;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
	ck_assert_int_eq(pwt_proc_http(NULL, url, NULL, &metrics, 5000), 200);
	assert_clean("/metrics", metrics);
	free(metrics);
	pwt_proc_signal(w, SIGTERM);
	ck_assert(pwt_proc_wait(w, 20000, NULL));
	size_t n;
	char *log = pwt_read_file(pwt_proc_err_path(w), &n);
	ck_assert_ptr_nonnull(log);
	ck_assert_ptr_nonnull(strstr(log, "dead letter"));
	assert_clean("the worker's log", log);
	free(log);
	char *out = pwt_read_file(pwt_proc_out_path(w), &n);
	if (out)
		assert_clean("the worker's stdout", out);
	free(out);
	json_decref(dl);
	pwt_proc_free(w);
	pwt_proc_free(sbx);
	rd_kafka_destroy(prod);
	pw_mock_destroy(mock);
	pwt_procs_ok();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pii");
	TCase *tc = tcase_create("error_paths");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc,
		       test_pii_no_personal_value_in_logs_dead_letters_or_metrics);
	suite_add_tcase(s, tc);
	return pwt_run_suite(s);
}
