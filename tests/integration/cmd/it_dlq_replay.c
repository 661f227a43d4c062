/* it_dlq_replay.c -- `payatom-ctl dlq replay` end to end, as an operator
 * uses it (issue 19 item 4): payatom-worker and payatom-sandbox processes
 * on librdkafka's mock cluster (hosted here, real sockets). A payin for a
 * merchant the worker does not know is dead-lettered UNKNOWN_MERCHANT; the
 * merchant is configured and the worker restarted; the dry run prints the
 * dead letter and sends nothing; --execute sends the original back to its
 * topic (key, payload, a header naming the dead letter) and the order
 * settles with exactly one create at the gateway; a second --execute calls
 * no gateway again and publishes no new transition. Filters: a reason or
 * an origin that matches nothing selects nothing.
 * Suite dlq_replay; one test (~20 s). */
#include <check.h>
#include <stdarg.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kafka/mockcluster.h"
#include "kafkat.h"
#include "procs.h"
#include "pwtest.h"

#define PARTS 2
#define PID "PWTRP00001"
#define SECRET "pwt-secret-replay-5e1c"
#define ORDER "APPROVE7700000001" /* the sandbox approves APPROVE* */

static const char *const keys[] = {
	"topic.cmd.payin",   "topic.cmd.payout",    "topic.cmd.complaint",
	"topic.evt.payment", "topic.evt.refund",    "topic.evt.complaint",
	"topic.evt.report",  "topic.dlq",	    "topic.int.webhook",
	"topic.int.state"};
#define N_TOPICS (sizeof keys / sizeof keys[0])
enum { T_PAYIN = 0, T_PAYMENT = 3, T_DLQ = 7 };

typedef struct rig {
	pw_mock_t *mock;
	char brokers[256];
	char topic[N_TOPICS][96];
	pwt_proc_t *sbx;
	int sbx_port, wport;
	char conf[1024];
} rig_t;

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

/* worker.conf; with_merchant: the profile "late" the command names. */
static void write_conf(rig_t *r, int with_merchant)
{
	char text[4096];
	size_t n = (size_t)snprintf(
		text, sizeof text,
		"brokers = %s\ngroup.id = pwt-replay-%d\ntopics.partitions = %d\n"
		"serialization = json\nlog.format = json\npoll.first = 1s\n"
		"commit.interval = 200ms\nshutdown.timeout = 3s\n"
		/* the mock's coordinator moves partitions after this */
		"kafka.session.timeout.ms = 6000\n"
		"kafka.heartbeat.interval.ms = 500\n"
		/* a merchant the worker always has */
		"merchant.other.pid = PWTRP00002\n"
		"merchant.other.secret = pwt-secret-other-77aa\n"
		"merchant.other.base.url = http://127.0.0.1:%d\n",
		r->brokers, (int)getpid(), PARTS, r->sbx_port);
	for (size_t i = 0; i < N_TOPICS; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "%s = %s\n",
				      keys[i], r->topic[i]);
	if (with_merchant)
		n += (size_t)snprintf(text + n, sizeof text - n,
				      "merchant.late.pid = %s\n"
				      "merchant.late.secret = %s\n"
				      "merchant.late.base.url = http://127.0.0.1:%d\n",
				      PID, SECRET, r->sbx_port);
	ck_assert_uint_lt(n, sizeof text - 1);
	ck_assert_ptr_nonnull(
		pwt_procs_write_file("worker.conf", text, r->conf, sizeof r->conf));
}

static pwt_proc_t *worker_start(rig_t *r)
{
	pwt_proc_t *w = pwt_worker_spawn(r->conf, r->wport, NULL);
	ck_assert_ptr_nonnull(w);
	char line[1024], url[96];
	ck_assert_msg(pwt_proc_wait_log(w, "payatom-worker started", line,
					sizeof line, 20000),
		      "worker did not start (%s)", pwt_proc_err_path(w));
	snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", r->wport);
	int64_t end = pwt_now_ms() + pwt_ms(30000);
	while (pwt_now_ms() < end &&
	       pwt_proc_http(NULL, url, NULL, NULL, 2000) != 200)
		usleep(100 * 1000);
	ck_assert_int_eq(pwt_proc_http(NULL, url, NULL, NULL, 2000), 200);
	ck_assert_msg(pwt_proc_wait_log(w, "rebalance: assigned partitions",
					line, sizeof line, 30000),
		      "worker got no partitions (%s)", pwt_proc_err_path(w));
	return w;
}

static void worker_stop(pwt_proc_t *w)
{
	int status = 0;
	ck_assert_int_eq(pwt_proc_signal(w, SIGTERM), 0);
	ck_assert(pwt_proc_wait(w, 20000, &status));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "worker exit status %d", status);
	pwt_proc_free(w);
}

/* Runs payatom-ctl dlq replay with extra arguments (NULL-ended); its exit
 * code, its stdout lines as JSON in *lines (new reference). */
static int replay(rig_t *r, json_t **lines, ...)
{
	char bin[512];
	char *argv[24];
	int n = 0;
	argv[n++] = (char *)pwt_bin_path("payatom-ctl", bin, sizeof bin);
	argv[n++] = "dlq";
	argv[n++] = "replay";
	argv[n++] = "-b";
	argv[n++] = r->brokers;
	argv[n++] = "--topic";
	argv[n++] = r->topic[T_DLQ];
	va_list ap;
	va_start(ap, lines);
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 23)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	pwt_proc_t *p = pwt_proc_spawn("ctl", argv);
	ck_assert_ptr_nonnull(p);
	int status = 0;
	ck_assert_msg(pwt_proc_wait(p, 60000, &status), "dlq replay hung");
	*lines = json_array();
	FILE *f = fopen(pwt_proc_out_path(p), "r");
	char buf[8192];
	while (f && fgets(buf, sizeof buf, f)) {
		json_t *j = json_loads(buf, 0, NULL);
		ck_assert_msg(j != NULL, "not a JSON line: %s", buf);
		json_array_append_new(*lines, j);
	}
	if (f)
		fclose(f);
	pwt_proc_free(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Records of topic whose key is ORDER. New reference. */
static json_t *order_records(rig_t *r, int t, int idle_ms)
{
	json_t *all = pwt_read_topic(r->brokers, r->topic[t], idle_ms, 20000);
	json_t *mine = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(all, i, e)
	{
		if (!strcmp(json_string_value(json_object_get(e, "key")), ORDER))
			json_array_append(mine, e);
	}
	json_decref(all);
	return mine;
}

/* Waits until a record of topic t for ORDER satisfies the predicate
 * "field == want" (value's field); returns the records. */
static json_t *wait_for(rig_t *r, int t, const char *field, const char *want)
{
	int64_t end = pwt_now_ms() + pwt_ms(30000);
	for (;;) {
		json_t *recs = order_records(r, t, 500);
		size_t i;
		json_t *e;
		json_array_foreach(recs, i, e)
		{
			const char *v = json_string_value(
				json_object_get(json_object_get(e, "value"), field));
			if (v && !strcmp(v, want))
				return recs;
		}
		json_decref(recs);
		ck_assert_msg(pwt_now_ms() < end, "no %s=%s on %s", field, want,
			      r->topic[t]);
	}
}

static json_int_t sandbox_counter(rig_t *r, const char *name)
{
	char url[96], *body = NULL;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/_sandbox/counters",
		 r->sbx_port);
	ck_assert_int_eq(pwt_proc_http(NULL, url, NULL, &body, 5000), 200);
	json_t *j = json_loads(body, 0, NULL);
	free(body);
	json_int_t v = json_integer_value(json_object_get(j, name));
	json_decref(j);
	return v;
}

/* Waits until the worker's group committed at least offset on partition
 * part of the payin topic (an OffsetFetch: this handle joins no group). */
static void wait_committed(rig_t *r, int part, int64_t offset)
{
	char es[256], group[64];
	snprintf(group, sizeof group, "pwt-replay-%d", (int)getpid());
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	rd_kafka_conf_set(c, "bootstrap.servers", r->brokers, es, sizeof es);
	rd_kafka_conf_set(c, "group.id", group, es, sizeof es);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
	ck_assert_msg(rk != NULL, "%s", es);
	int64_t end = pwt_now_ms() + pwt_ms(30000), got = -1;
	while (got < offset && pwt_now_ms() < end) {
		rd_kafka_topic_partition_list_t *l =
			rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(l, r->topic[T_PAYIN], part);
		if (!rd_kafka_committed(rk, l, 5000))
			got = l->elems[0].offset;
		rd_kafka_topic_partition_list_destroy(l);
		if (got < offset)
			usleep(100 * 1000);
	}
	rd_kafka_destroy(rk);
	ck_assert_msg(got >= offset, "committed offset %lld, want %lld",
		      (long long)got, (long long)offset);
}

/* The distinct event_ids of ORDER's payment events. */
static size_t distinct_events(json_t *recs, json_t *seen)
{
	size_t i;
	json_t *e;
	json_array_foreach(recs, i, e)
	{
		const char *id = json_string_value(
			json_object_get(json_object_get(e, "value"), "event_id"));
		if (id)
			json_object_set_new(seen, id, json_true());
	}
	return json_object_size(seen);
}

START_TEST(test_dlq_replay_after_the_merchant_is_added_settles_once)
{
	rig_t r = {0};
	printf("dlq_replay: logs in %s\n", pwt_procs_dir("dlq_replay"));
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_mock_new(1, PARTS, &r.mock, eb), PA_OK);
	for (size_t i = 0; i < N_TOPICS; i++) {
		snprintf(r.topic[i], sizeof r.topic[i], "replay-%d.%s",
			 (int)getpid(), keys[i] + strlen("topic."));
		ck_assert_int_eq(pw_mock_topic(r.mock, r.topic[i]), PA_OK);
	}
	snprintf(r.brokers, sizeof r.brokers, "%s", pw_mock_bootstraps(r.mock));
	r.wport = free_port();
	char sbx_conf[512];
	snprintf(sbx_conf, sizeof sbx_conf,
		 "seed = 3\nresolve-delay-ms = 300\n"
		 "merchant = pid=%s,secret=%s,callback=http://127.0.0.1:%d/"
		 "webhooks/payatom/late\n"
		 "merchant = pid=PWTRP00002,secret=pwt-secret-other-77aa\n",
		 PID, SECRET, r.wport);
	r.sbx = pwt_sandbox_spawn(sbx_conf, &r.sbx_port);
	ck_assert_ptr_nonnull(r.sbx);

	/* 1. the merchant is unknown: a dead letter */
	write_conf(&r, 0);
	pwt_proc_t *w = worker_start(&r);
	rd_kafka_t *prod = pwt_producer(r.brokers);
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
		 "{\"type\":\"payin\",\"command_id\":\"c-replay-1\","
		 "\"merchant\":\"late\",\"order_id\":\"%s\","
		 "\"product\":\"PAYIN_UPI_P2C_SEAMLESS\",\"country\":\"IN\","
		 "\"amount_minor\":10000,\"currency\":\"INR\",\"customer\":"
		 "{\"name\":\"Asha Rao\",\"email\":\"asha@example.com\","
		 "\"phone\":\"9876543210\"},\"upi_id\":\"asha@okaxis\","
		 "\"created_at\":1764000000000}",
		 ORDER);
	pwt_produce(prod, r.topic[T_PAYIN], ORDER, cmd, strlen(cmd));
	pwt_flush(prod);
	json_decref(wait_for(&r, T_DLQ, "reason", "UNKNOWN_MERCHANT"));
	ck_assert_int_eq(sandbox_counter(&r, "orders_created"), 0);

	/* 2. the merchant is configured; the worker restarts */
	worker_stop(w);
	write_conf(&r, 1);
	w = worker_start(&r);

	/* 3. filters that match nothing, then the dry run: nothing sent */
	json_t *lines;
	ck_assert_int_eq(replay(&r, &lines, "--reason", "VALIDATION,DUPLICATE",
				NULL), 0);
	ck_assert_uint_eq(json_array_size(lines), 0);
	json_decref(lines);
	ck_assert_int_eq(replay(&r, &lines, "--origin", "no.such.topic", NULL), 0);
	ck_assert_uint_eq(json_array_size(lines), 0);
	json_decref(lines);
	ck_assert_int_eq(replay(&r, &lines, "--reason", "UNKNOWN_MERCHANT",
				"--since", "1h", NULL), 0);
	ck_assert_uint_eq(json_array_size(lines), 1);
	json_t *l = json_array_get(lines, 0);
	ck_assert_str_eq(json_string_value(json_object_get(l, "action")), "dry-run");
	ck_assert_str_eq(json_string_value(json_object_get(l, "key")), ORDER);
	ck_assert_str_eq(json_string_value(json_object_get(l, "command_id")),
			 "c-replay-1");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(l, "origin"), "topic")),
			 r.topic[T_PAYIN]);
	char dl_name[160];
	json_t *dlq = json_object_get(l, "dlq");
	snprintf(dl_name, sizeof dl_name, "%s:%d:%d", r.topic[T_DLQ],
		 (int)json_integer_value(json_object_get(dlq, "partition")),
		 (int)json_integer_value(json_object_get(dlq, "offset")));
	json_decref(lines);
	json_t *in = order_records(&r, T_PAYIN, 500);
	ck_assert_uint_eq(json_array_size(in), 1); /* nothing was sent */
	json_decref(in);

	/* 4. --execute: the original goes back and settles once */
	ck_assert_int_eq(replay(&r, &lines, "--reason", "UNKNOWN_MERCHANT",
				"--execute", NULL), 0);
	ck_assert_uint_eq(json_array_size(lines), 1);
	l = json_array_get(lines, 0);
	ck_assert_str_eq(json_string_value(json_object_get(l, "action")), "sent");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(l, "sent"), "topic")),
			 r.topic[T_PAYIN]);
	json_decref(lines);
	json_t *evs = wait_for(&r, T_PAYMENT, "status", "SUCCEEDED");
	json_t *seen = json_object();
	size_t before = distinct_events(evs, seen);
	json_decref(evs);
	in = order_records(&r, T_PAYIN, 500);
	ck_assert_uint_eq(json_array_size(in), 2);
	json_t *sent = json_array_get(in, 1);
	ck_assert(json_equal(json_object_get(sent, "value"),
			     json_object_get(json_array_get(in, 0), "value")));
	json_t *h = json_object_get(sent, "headers");
	ck_assert_msg(h && json_array_size(h) == 1, "headers of the replay");
	ck_assert_str_eq(json_string_value(json_array_get(json_array_get(h, 0), 0)),
			 "payatom-replay-of");
	ck_assert_str_eq(json_string_value(json_array_get(json_array_get(h, 0), 1)),
			 dl_name);
	json_decref(in);
	ck_assert_int_eq(sandbox_counter(&r, "orders_created"), 1);
	json_int_t calls = sandbox_counter(&r, "gateway_requests");

	/* 5. a second replay: no gateway create, no new transition */
	ck_assert_int_eq(replay(&r, &lines, "--reason", "UNKNOWN_MERCHANT",
				"--execute", NULL), 0);
	ck_assert_uint_eq(json_array_size(lines), 1);
	json_decref(lines);
	in = order_records(&r, T_PAYIN, 500);
	ck_assert_uint_eq(json_array_size(in), 3);
	/* done with it once the group's committed offset is past it (the
	 * worker commits only up to its lowest unfinished offset) */
	json_t *third = json_array_get(in, 2);
	wait_committed(&r, (int)json_integer_value(json_object_get(third, "partition")),
		       json_integer_value(json_object_get(third, "offset")) + 1);
	json_decref(in);
	evs = order_records(&r, T_PAYMENT, 1000);
	size_t after = distinct_events(evs, seen);
	json_decref(evs);
	json_decref(seen);
	ck_assert_uint_eq(after, before);
	/* not a single gateway call: no create, no poll */
	ck_assert_int_eq(sandbox_counter(&r, "gateway_requests"), calls);
	ck_assert_int_eq(sandbox_counter(&r, "orders_created"), 1);
	json_t *dls = order_records(&r, T_DLQ, 500);
	ck_assert_uint_eq(json_array_size(dls), 1); /* no new dead letter */
	json_decref(dls);
	printf("dlq_replay: dead letter %s replayed twice: 1 create at the "
	       "gateway (%lld calls in all, none for the second replay), %zu "
	       "distinct events, 1 dead letter\n",
	       dl_name, (long long)calls, after);

	worker_stop(w);
	rd_kafka_destroy(prod);
	pwt_proc_free(r.sbx);
	pw_mock_destroy(r.mock);
	pwt_procs_ok();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dlq_replay");
	TCase *tc = tcase_create("replay");
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_dlq_replay_after_the_merchant_is_added_settles_once);
	suite_add_tcase(s, tc);
	return pwt_run_suite(s);
}
