/* demo.c -- `payatom-worker demo`: the whole pipeline on embedded defaults.
 * Owns: the demo's options, merchants and configuration, the in-process
 *       sandbox, the producer of its commands, the banner and the run.
 *       Kafka is the embedded mock cluster unless `-o brokers=...` names
 *       real brokers (then also `-o schema.registry.url=...` for
 *       Confluent-framed Avro).
 * Not here: the service (worker_app.c), the commands (demo_mix.c), what
 *           it prints and when it is done (demo_report.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "worker_cli.h"

#define PROG "payatom-worker demo"

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

static void demo_usage(FILE *f)
{
	fprintf(f,
		"usage: payatom-worker demo [--quiet] [--orders-per-product N] "
		"[--log-level L]\n"
		"                           [--linger-ms MS] [--max-wait-s S] "
		"[-o key=value]...\n"
		"\n"
		"Runs the whole pipeline in this process: librdkafka's mock "
		"cluster,\n"
		"payatom-sandbox as the gateway (5%% HTTP 5xx and 5-60 ms of "
		"latency\n"
		"injected), four merchants, a command for every product, "
		"invalid ones,\n"
		"a redelivered one, and the follow-ups the events call for "
		"(UTRs,\n"
		"refunds, complaints). Prints each event as it arrives and a "
		"summary.\n"
		"Every run has order ids of its own (the run's tag is in the "
		"banner), so\n"
		"it can run any number of times against the same cluster.\n"
		"\n"
		"  --quiet                 no event lines, only the banner, "
		"progress, summary\n"
		"  --orders-per-product N  orders of each of the 13 products "
		"(1..200, default 3)\n"
		"  --log-level L           the worker's log on stderr: "
		"debug|info|warn|error\n"
		"                          (default error: dead letters and "
		"events print above)\n"
		"  --linger-ms MS          keep the worker (/metrics, "
		"/healthz, /readyz) up\n"
		"                          that long after the last outcome, "
		"for scraping\n"
		"  --max-wait-s S          give up waiting for outcomes after "
		"S s (default 120)\n"
		"  -o key=value            any worker configuration key over "
		"the demo's\n"
		"                          defaults, e.g.\n"
		"    -o brokers=127.0.0.1:9092      real brokers instead of "
		"the mock (topics are\n"
		"                                   created; a group of its "
		"own: payatom-demo)\n"
		"    -o schema.registry.url=http://127.0.0.1:8081   "
		"Confluent-framed Avro\n"
		"    -o reports.schedule=5s         reconciliation and wallet "
		"reports too\n"
		"\n"
		"Exit status: 0 when every command reached its terminal "
		"outcome (orders\n"
		"still settling at the gateway are named), 1 when some did "
		"not within\n"
		"--max-wait-s or the start failed, 2 usage error.\n");
}

/* The value of option argv[*i] as a long in [min, max]; a usage error
 * naming the option otherwise. 0 on success. */
static int opt_long(int argc, char **argv, int *i, long min, long max,
		    long *out)
{
	const char *opt = argv[*i];
	if (*i + 1 >= argc)
		return pw_cli_usage_error(PROG, "%s needs a value", opt);
	const char *v = argv[++*i];
	int64_t n;
	if (pw_cfg_parse_int(v, &n) != PA_OK || n < min || n > max)
		return pw_cli_usage_error(PROG, "%s wants an integer in "
						"%ld..%ld, not '%s'",
					  opt, min, max, v);
	*out = (long)n;
	return 0;
}

int pw_demo_main(int argc, char **argv)
{
	static const char *const opts[] = {"quiet", "orders-per-product",
					   "log-level", "linger-ms",
					   "max-wait-s", "help", NULL};
	long per_product = 3, linger_ms = 0, max_wait_s = 120;
	const char *log_level = "error";
	const char *overrides[64]; /* -o key=value, applied last */
	size_t n_over = 0;
	int quiet = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			demo_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(a, "--orders-per-product")) {
			if (opt_long(argc, argv, &i, 1, 200, &per_product))
				return 2;
		} else if (!strcmp(a, "--linger-ms")) {
			if (opt_long(argc, argv, &i, 0, 3600000, &linger_ms))
				return 2;
		} else if (!strcmp(a, "--max-wait-s")) {
			if (opt_long(argc, argv, &i, 1, 86400, &max_wait_s))
				return 2;
		} else if (!strcmp(a, "--log-level")) {
			if (i + 1 >= argc)
				return pw_cli_usage_error(PROG, "--log-level "
								"needs a value "
								"(debug, info, "
								"warn, error)");
			log_level = argv[++i];
		} else if (!strcmp(a, "-o")) {
			if (i + 1 >= argc || !strchr(argv[i + 1], '='))
				return pw_cli_usage_error(
					PROG, "-o wants key=value (e.g. -o "
					      "brokers=127.0.0.1:9092)");
			if (n_over == sizeof overrides / sizeof overrides[0])
				return pw_cli_usage_error(PROG, "too many -o "
								"(at most 64)");
			overrides[n_over++] = argv[++i];
		} else {
			char hint[256];
			pw_cli_hint(a, i + 1 < argc ? argv[i + 1] : NULL, opts,
				    hint, sizeof hint);
			if (a[0] != '-')
				return pw_cli_usage_error(
					PROG, "unexpected argument '%s'", a);
			return pw_cli_usage_error(PROG, "unknown option '%.*s'%s",
						  (int)strcspn(a, "="), a,
						  hint);
		}
	}
	demo_t *d = calloc(1, sizeof *d);
	if (!d)
		return 1;
	d->quiet = quiet;
	d->linger_ms = linger_ms;
	d->max_wait_ms = max_wait_s * 1000;
	demo_run_tag(d->run, sizeof d->run);
	/* line by line even into a pipe: the banner and events stay in
	 * order with the log on stderr */
	setvbuf(stdout, NULL, _IOLBF, 0);
	char eb[PA_ERRBUF_SIZE] = "";
	pw_config_t *cfg = NULL;
	pw_merchants_t *ms = NULL;
	int rc = 1;
	pw_hmap_new(&d->by_id);
	/* real URL once the sandbox is bound (the profiles borrow it) */
	snprintf(d->base_url, sizeof d->base_url, "http://127.0.0.1:1");
	d->by_topic = json_object();
	const char *sets[] = {"http.listen=127.0.0.1:0",
			      /* never a real worker's group on real brokers */
			      "group.id=payatom-demo",
			      "topics.partitions=4",
			      "poll.first=1s",
			      "poll.max.interval=2s",
			      "retry.base=100ms",
			      "retry.max=1s",
			      "commit.interval=200ms",
			      "shutdown.timeout=5s",
			      /* lag and RTT gauges fill within the demo */
			      "kafka.statistics.interval.ms=1000",
			      /* the mock cluster holds a group for the session
			       * timeout after a member left: the next run gets
			       * its partitions after 6 s, not 45 */
			      "kafka.session.timeout.ms=6000",
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
	d->app.on_event = demo_on_event;
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
	uint16_t port = pw_app_http_port(&d->app);
	printf("payatom-worker demo, run %s (in every order id: each run has "
	       "orders of its own)\n",
	       d->run);
	printf("  kafka     %s (%s), group %s\n", d->app.brokers,
	       d->app.mock ? "embedded mock cluster" : "brokers",
	       d->app.wc->group_id);
	printf("  gateway   %s (payatom-sandbox in-process: 5%% HTTP 5xx, "
	       "5-60 ms latency)\n",
	       d->base_url);
	printf("  merchants demo (India V1), demo_v2 (India V2), demo_bd "
	       "(Bangladesh), demo_pk (Pakistan)\n");
	printf("  webhooks  http://127.0.0.1:%u/webhooks/payatom/<merchant>\n",
	       port);
	printf("  ops       http://127.0.0.1:%u/metrics  /healthz  /readyz\n",
	       port);
	if (d->app.cs.registry) /* only with serialization=avro */
		printf("  registry  %s (Confluent-framed Avro)\n",
		       pw_registry_shown(d->app.cs.registry));
	printf("\n");
	d->start_ms = pw_now_ms();
	d->next_progress_ms = d->start_ms + PROGRESS_MS;
	demo_publish(d, (int)per_product);
	int orders = 0;
	for (int i = 0; i < d->n; i++)
		orders += !d->ord[i].invalid;
	printf("published %d commands: %d orders (%d products x %ld), %d "
	       "redelivered, %d invalid;\n"
	       "follow-ups (UTRs, refunds, complaints) go out as the events "
	       "call for them.\n",
	       d->commands_sent, orders,
	       (int)demo_product_count(), per_product,
	       d->sent_by_type[T_REDELIVERED], d->sent_by_type[T_INVALID]);
	if (!d->quiet)
		printf("events (kind, order, status, amount, the gateway's "
		       "status):\n");
	pw_timer_add(d->app.loop, 200, demo_check_tick, d);
	pw_app_run(&d->app);
	rd_kafka_flush(d->prod, 5000);
	demo_summary(d);
	rc = d->done ? 0 : 1;
out:
	if (d->prod)
		rd_kafka_destroy(d->prod);
	sbx_destroy(d->sbx);
	pw_app_destroy(&d->app);
	pw_merchants_destroy(ms);
	pw_config_destroy(cfg);
	pw_hmap_destroy(d->by_id);
	json_decref(d->by_topic);
	free(d);
	return rc;
}
