/* check_config.c -- config maps: parsing, precedence, env mapping, @file
 * secrets, suggestions, generated views, and the worker table itself. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/config_kafka.h"
#include "core/config_worker.h"
#include "core/log.h"
#include "pwtest.h"

static const pw_cfg_table_t *wt(void) { return pw_config_worker_table(); }

static pw_config_t *new_cfg(void)
{
	pw_config_t *cfg = NULL;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_config_new(wt(), &cfg, eb), PA_OK);
	return cfg;
}

static pa_err_t load_data(pw_config_t *cfg, const char *name, char *eb)
{
	char path[1024];
	return pw_config_load_file(cfg, pwt_data_path(name, path, sizeof path),
				   eb);
}

/* A minimal merchant so that finalize passes. */
static void add_merchant(pw_config_t *cfg, const char *name)
{
	char key[128], eb[PA_ERRBUF_SIZE];
	const char *f[][2] = {{"pid", "123"},
			      {"secret", "k"},
			      {"base.url", "http://127.0.0.1:1"}};
	for (size_t i = 0; i < 3; i++) {
		snprintf(key, sizeof key, "merchant.%s.%s", name, f[i][0]);
		ck_assert_int_eq(pw_config_set(cfg, key, f[i][1],
					       PW_CFG_SRC_FILE, "t", eb),
				 PA_OK);
	}
}

static char *capture_dump(const pw_config_t *cfg)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);
	pw_config_dump(cfg, fp);
	fclose(fp);
	return buf;
}

/* ---- defaults and files ----------------------------------------------- */

START_TEST(test_config_defaults_bind_into_struct)
{
	pw_config_t *cfg = new_cfg();
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_OK);
	const pw_worker_conf_t *c = pw_config_struct(cfg);
	ck_assert_str_eq(c->brokers, "");
	ck_assert_str_eq(c->group_id, "payatom-worker");
	ck_assert_str_eq(c->topic_cmd_payin, "payatom.cmd.payin");
	ck_assert_str_eq(c->topic_dlq, "payatom.dlq");
	ck_assert_int_eq(c->topics_create, 1);
	ck_assert_int_eq(c->topics_partitions, 12);
	ck_assert_int_eq(c->processing_guarantee, PW_GUARANTEE_AT_LEAST_ONCE);
	ck_assert_int_eq(c->serialization, PW_SERDE_AVRO);
	ck_assert_int_eq(c->http_max_body, 64 * 1024);
	ck_assert_int_eq(c->log_level, 1); /* info */
	ck_assert_int_eq(c->poll_first_ms, 30000);
	ck_assert_int_eq(c->poll_max_interval_ms, 300000);
	ck_assert_int_eq(c->poll_deadline_ms, 86400000);
	ck_assert_int_eq(c->retry_base_ms, 500);
	ck_assert_int_eq(c->reports_schedule_ms, 0);
	ck_assert_int_eq(c->webhook_allow_ips.n, 0);
	ck_assert_ptr_null(c->schema_registry_basic_auth);
	ck_assert_int_eq(pw_config_profile_count(cfg), 0);
	ck_assert_int_eq(pw_config_source(cfg, "log.level"),
			 PW_CFG_SRC_DEFAULT);
	pw_config_destroy(cfg);
}
END_TEST

START_TEST(test_config_file_comments_whitespace_profiles)
{
	pw_config_t *cfg = new_cfg();
	char eb[PA_ERRBUF_SIZE];
	ck_assert_msg(load_data(cfg, "config/good.conf", eb) == PA_OK, "%s",
		      eb);
	ck_assert_msg(pw_config_finalize(cfg, eb) == PA_OK, "%s", eb);
	const pw_worker_conf_t *c = pw_config_struct(cfg);
	ck_assert_str_eq(c->brokers, "127.0.0.1:9092");
	ck_assert_str_eq(c->group_id, "payments-eu"); /* trimmed */
	ck_assert_int_eq(c->log_level, 2);
	ck_assert_int_eq(c->log_format, PW_LOGFMT_TEXT);
	ck_assert_int_eq(c->poll_first_ms, 45000);
	ck_assert_int_eq(c->http_max_body, 1024 * 1024);
	ck_assert_int_eq(c->processing_guarantee, PW_GUARANTEE_EXACTLY_ONCE);
	ck_assert_int_eq(c->topics_create, 0);
	ck_assert_int_eq(c->webhook_allow_ips.n, 3);
	ck_assert_str_eq(c->webhook_allow_ips.v[0], "10.0.0.1");
	ck_assert_str_eq(c->webhook_allow_ips.v[1], "10.0.0.2");
	ck_assert_str_eq(c->webhook_allow_ips.v[2], "192.168.0.0/16");

	/* profiles in name order, each bound into its own struct */
	ck_assert_int_eq(pw_config_profile_count(cfg), 2);
	ck_assert_str_eq(pw_config_profile_name(cfg, 0), "bd_shop");
	ck_assert_str_eq(pw_config_profile_name(cfg, 1), "demo");
	const pw_merchant_conf_t *m = pw_config_profile_find(cfg, "demo");
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->name, "demo");
	ck_assert_str_eq(m->pid, "0951272386617");
	ck_assert_str_eq(m->secret, "inline-secret-value-123");
	ck_assert_int_eq(m->api_version, PW_API_V2);
	ck_assert_int_eq(m->country, PW_COUNTRY_IN);
	ck_assert_int_eq(m->products.n, 2);
	ck_assert_str_eq(m->products.v[1], "payout.imps");
	ck_assert_int_eq(m->sign_mode, PW_SIGN_SHA256);
	ck_assert_ptr_null(m->api_key);
	const pw_merchant_conf_t *bd = pw_config_profile(cfg, 0);
	ck_assert_int_eq(bd->country, PW_COUNTRY_BD);

	/* kafka.* pass through verbatim, prefix stripped */
	ck_assert_int_eq(pw_config_passthrough_count(cfg), 2);
	const char *k, *v;
	ck_assert_int_eq(pw_config_passthrough(cfg, 1, &k, &v), PA_OK);
	ck_assert_str_eq(k, "queue.buffering.max.ms");
	ck_assert_str_eq(v, "5");
	ck_assert_str_eq(pw_config_value(cfg, "kafka.sasl.password"),
			 "kafka-pass-789");
	pw_config_destroy(cfg);
}
END_TEST

START_TEST(test_config_errors_name_file_and_line)
{
	char eb[PA_ERRBUF_SIZE];
	pw_config_t *cfg = new_cfg();
	ck_assert_int_eq(load_data(cfg, "config/bad_value.conf", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "config/bad_value.conf:3: poll.first: '30x' "
				 "is not a duration"),
		      "%s", eb);
	pw_config_destroy(cfg);

	cfg = new_cfg();
	ck_assert_int_eq(load_data(cfg, "config/no_equals.conf", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "no_equals.conf:2: expected key=value"), "%s",
		      eb);
	pw_config_destroy(cfg);

	cfg = new_cfg();
	ck_assert_int_eq(pw_config_load_file(cfg, "/nonexistent/x.conf", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "/nonexistent/x.conf"), "%s", eb);
	pw_config_destroy(cfg);
}
END_TEST

/* ---- suggestions ------------------------------------------------------ */

START_TEST(test_config_unknown_key_suggests_nearest)
{
	char eb[PA_ERRBUF_SIZE];
	pw_config_t *cfg = new_cfg();
	ck_assert_int_eq(load_data(cfg, "config/typo.conf", eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "typo.conf:5: unknown key 'log.levle'; did "
				 "you mean 'log.level'?"),
		      "%s", eb);

	ck_assert_int_eq(load_data(cfg, "config/bad_merchant_field.conf", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, ":2: unknown key 'merchant.demo.secrt'; did "
				 "you mean 'merchant.demo.secret'?"),
		      "%s", eb);

	ck_assert_int_eq(pw_config_set_arg(cfg, "kafak.bootstrap.servers=x",
					   eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "did you mean 'kafka.bootstrap.servers'?"),
		      "%s", eb);

	/* two equally near keys are both offered */
	ck_assert_int_eq(pw_config_set_arg(cfg, "retry.mx=1s", eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "'retry.max'"), "%s", eb);

	/* nothing near: no guess */
	ck_assert_int_eq(pw_config_set_arg(cfg, "completely.different=1", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "-o: unknown key 'completely.different'") &&
			      !strstr(eb, "did you mean"),
		      "%s", eb);
	ck_assert_uint_eq(pw_cfg_edit_distance("log.levle", "log.level"), 2);
	ck_assert_uint_eq(pw_cfg_edit_distance("", "abc"), 3);
	ck_assert_uint_eq(pw_cfg_edit_distance("kitten", "sitting"), 3);
	pw_config_destroy(cfg);
}
END_TEST

/* ---- precedence and environment -------------------------------------- */

START_TEST(test_config_precedence_default_file_env_cli)
{
	char eb[PA_ERRBUF_SIZE];
	const char *env[] = {"PAYATOM_LOG_LEVEL=error", "HOME=/root", NULL};
	/* applied in the documented order */
	pw_config_t *cfg = new_cfg();
	ck_assert_int_eq(load_data(cfg, "config/good.conf", eb), PA_OK);
	ck_assert_str_eq(pw_config_value(cfg, "log.level"), "warn");
	ck_assert_int_eq(pw_config_load_env(cfg, env, eb), PA_OK);
	ck_assert_str_eq(pw_config_value(cfg, "log.level"), "error");
	ck_assert_int_eq(pw_config_source(cfg, "log.level"), PW_CFG_SRC_ENV);
	ck_assert_int_eq(pw_config_set_arg(cfg, "log.level=debug", eb), PA_OK);
	ck_assert_str_eq(pw_config_value(cfg, "log.level"), "debug");
	ck_assert_int_eq(pw_config_source(cfg, "log.level"), PW_CFG_SRC_CLI);
	pw_config_destroy(cfg);

	/* reversed call order: the higher source still wins */
	cfg = new_cfg();
	ck_assert_int_eq(pw_config_set_arg(cfg, "log.level=debug", eb), PA_OK);
	ck_assert_int_eq(pw_config_load_env(cfg, env, eb), PA_OK);
	ck_assert_int_eq(load_data(cfg, "config/good.conf", eb), PA_OK);
	ck_assert_str_eq(pw_config_value(cfg, "log.level"), "debug");
	/* env beats file for a key the CLI did not set */
	const char *env2[] = {"PAYATOM_POLL_FIRST=2m", NULL};
	ck_assert_int_eq(pw_config_load_env(cfg, env2, eb), PA_OK);
	ck_assert_int_eq(load_data(cfg, "config/good.conf", eb), PA_OK);
	ck_assert_str_eq(pw_config_value(cfg, "poll.first"), "2m");
	ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_OK);
	const pw_worker_conf_t *c = pw_config_struct(cfg);
	ck_assert_int_eq(c->log_level, 0);
	ck_assert_int_eq(c->poll_first_ms, 120000);

	/* the dump says where each value came from */
	char *d = capture_dump(cfg);
	ck_assert_msg(strstr(d, "log.level = debug") && strstr(d, "# -o"), "%s",
		      d);
	ck_assert_msg(strstr(d, "# env PAYATOM_POLL_FIRST"), "%s", d);
	ck_assert_msg(strstr(d, "# file "), "%s", d);
	ck_assert_msg(strstr(d, "good.conf:4"), "%s", d); /* group.id line */
	ck_assert_msg(strstr(d, "topic.dlq = payatom.dlq") &&
			      strstr(d, "# default"),
		      "%s", d);
	free(d);
	pw_config_destroy(cfg);
}
END_TEST

START_TEST(test_config_env_names_map_to_keys)
{
	char eb[PA_ERRBUF_SIZE], buf[128];
	ck_assert_str_eq(pw_cfg_env_name("log.level", buf, sizeof buf),
			 "PAYATOM_LOG_LEVEL");
	ck_assert_str_eq(pw_cfg_env_name("max.inflight.per.partition", buf,
					 sizeof buf),
			 "PAYATOM_MAX_INFLIGHT_PER_PARTITION");
	const char *env[] = {
		"PAYATOM_KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092",
		"PAYATOM_MERCHANT_DEMO_PID=42",
		"PAYATOM_MERCHANT_DEMO_BOT_API_KEY=botkey",
		"PAYATOM_MERCHANT_SHOP_EU_API_VERSION=v2",
		"PAYATOM_MAX_INFLIGHT_PER_PARTITION=7",
		/* the test harness's own variables are not keys: ignored */
		"PAYATOM_TEST_DATA=/somewhere", "PAYATOM_BIN_DIR=/b",
		"PAYATOM_SOURCE_DIR=/s", "PAYATOM_TIMEOUT_SCALE=2",
		"PAYATOM_UNDER_VALGRIND=1",
		"OTHER_LOG_LEVEL=debug",
		NULL};
	pw_config_t *cfg = new_cfg();
	ck_assert_msg(pw_config_load_env(cfg, env, eb) == PA_OK, "%s", eb);
	ck_assert_str_eq(pw_config_value(cfg, "kafka.bootstrap.servers"),
			 "127.0.0.1:9092");
	ck_assert_str_eq(pw_config_value(cfg, "merchant.demo.pid"), "42");
	/* longest known field wins: demo + bot.api.key, not demo_bot */
	ck_assert_str_eq(pw_config_value(cfg, "merchant.demo.bot.api.key"),
			 "botkey");
	ck_assert_ptr_null(pw_config_value(cfg, "merchant.demo_bot.api.key"));
	ck_assert_str_eq(pw_config_value(cfg, "merchant.shop_eu.api.version"),
			 "v2");
	ck_assert_str_eq(pw_config_value(cfg, "max.inflight.per.partition"),
			 "7");
	ck_assert_str_eq(pw_config_value(cfg, "log.level"), "info");
	pw_config_destroy(cfg);

	/* a merchant already defined by the file is preferred */
	cfg = new_cfg();
	ck_assert_int_eq(pw_config_set(cfg, "merchant.demo_bot.pid", "1",
				       PW_CFG_SRC_FILE, "f", eb),
			 PA_OK);
	const char *env2[] = {"PAYATOM_MERCHANT_DEMO_BOT_API_KEY=k2", NULL};
	ck_assert_int_eq(pw_config_load_env(cfg, env2, eb), PA_OK);
	ck_assert_str_eq(pw_config_value(cfg, "merchant.demo_bot.api.key"),
			 "k2");
	ck_assert_ptr_null(pw_config_value(cfg, "merchant.demo.bot.api.key"));

	/* a near miss of a key's variable is a typo, not someone else's */
	const char *typo[] = {"PAYATOM_LOG_LEVLE=debug", NULL};
	ck_assert_int_eq(pw_config_load_env(cfg, typo, eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "env PAYATOM_LOG_LEVLE: unknown variable; "
				 "did you mean PAYATOM_LOG_LEVEL?"),
		      "%s", eb);

	/* env values are validated and named in errors */
	const char *env3[] = {"PAYATOM_TOPICS_PARTITIONS=many", NULL};
	ck_assert_int_eq(pw_config_load_env(cfg, env3, eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "env PAYATOM_TOPICS_PARTITIONS: "
				 "topics.partitions: 'many' is not an integer"),
		      "%s", eb);
	pw_config_destroy(cfg);
}
END_TEST

/* ---- secrets ---------------------------------------------------------- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_config_at_file_secret_is_read_and_stripped)
{
	char eb[PA_ERRBUF_SIZE], path[] = "/tmp/pwcfgXXXXXX", arg[200];
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	write_file(path, "file-secret-Q9\n");
	pw_config_t *cfg = new_cfg();
	add_merchant(cfg, "demo");
	snprintf(arg, sizeof arg, "merchant.demo.secret=@%s", path);
	ck_assert_int_eq(pw_config_set_arg(cfg, arg, eb), PA_OK);
	snprintf(arg, sizeof arg, "kafka.sasl.password=@%s", path);
	ck_assert_int_eq(pw_config_set_arg(cfg, arg, eb), PA_OK);
	/* a key without FILE_OK keeps the text as is */
	ck_assert_int_eq(pw_config_set_arg(cfg, "group.id=@literal", eb),
			 PA_OK);
	ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_OK);
	const pw_merchant_conf_t *m = pw_config_profile_find(cfg, "demo");
	ck_assert_str_eq(m->secret, "file-secret-Q9");
	ck_assert_str_eq(pw_config_value(cfg, "kafka.sasl.password"),
			 "file-secret-Q9");
	ck_assert_str_eq(((const pw_worker_conf_t *)pw_config_struct(cfg))
				 ->group_id,
			 "@literal");
	/* the dump names the file, never the content */
	char *d = capture_dump(cfg);
	ck_assert_msg(strstr(d, path), "%s", d);
	ck_assert_ptr_null(strstr(d, "file-secret-Q9"));
	free(d);

	/* CRLF is stripped too; a missing file is an error naming it */
	write_file(path, "crlf-secret\r\n");
	snprintf(arg, sizeof arg, "merchant.demo.api.key=@%s", path);
	ck_assert_int_eq(pw_config_set_arg(cfg, arg, eb), PA_OK);
	ck_assert_str_eq(pw_config_value(cfg, "merchant.demo.api.key"),
			 "crlf-secret");
	unlink(path);
	/* a failed passthrough @file leaves no half-made pair behind */
	size_t npt = pw_config_passthrough_count(cfg);
	snprintf(arg, sizeof arg, "kafka.ssl.key.password=@%s", path);
	ck_assert_int_eq(pw_config_set_arg(cfg, arg, eb), PA_CONFIG);
	ck_assert_uint_eq(pw_config_passthrough_count(cfg), npt);
	snprintf(arg, sizeof arg, "merchant.demo.api.key=@%s", path);
	ck_assert_int_eq(pw_config_set_arg(cfg, arg, eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "merchant.demo.api.key: cannot read @") &&
			      strstr(eb, path),
		      "%s", eb);
	pw_config_destroy(cfg);
}
END_TEST

START_TEST(test_config_secrets_never_printed)
{
	char eb[PA_ERRBUF_SIZE];
	pw_config_t *cfg = new_cfg();
	ck_assert_int_eq(load_data(cfg, "config/good.conf", eb), PA_OK);
	ck_assert_int_eq(pw_config_set_arg(cfg, "merchant.demo.api.key=AK-55",
					   eb),
			 PA_OK);
	ck_assert_int_eq(
		pw_config_set_arg(cfg, "schema.registry.basic.auth=u:pw77", eb),
		PA_OK);
	/* a bad enum value of a secret-free key is echoed, but errors never
	 * carry a secret: set a secret with a bad... nothing to validate */
	ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_OK);
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);
	pw_config_dump(cfg, fp);
	pw_config_print_help(wt(), fp);
	pw_config_print_markdown(wt(), fp);
	pw_config_print_json_schema(wt(), fp);
	fclose(fp);
	const char *secrets[] = {"inline-secret-value-123", "another-secret-456",
				 "kafka-pass-789", "AK-55", "pw77",
				 "operator@example.com"};
	for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
		ck_assert_msg(!strstr(buf, secrets[i]), "'%s' printed",
			      secrets[i]);
	ck_assert_ptr_nonnull(strstr(buf, "merchant.demo.secret = ***"));
	ck_assert_ptr_nonnull(strstr(buf, "kafka.sasl.password = ***"));
	ck_assert_ptr_nonnull(strstr(buf, "merchant.demo.wallet.email = o***@e***.com"));
	/* non-secret values are shown */
	ck_assert_ptr_nonnull(strstr(buf, "merchant.demo.pid = 0951272386617"));
	free(buf);
	pw_config_destroy(cfg);
}
END_TEST

/* ---- values ----------------------------------------------------------- */

typedef pa_err_t (*parse_fn)(const char *, int64_t *);

static void run_vectors(const char *name, parse_fn fn)
{
	char *text = pwt_read_data(name, NULL);
	ck_assert_ptr_nonnull(text);
	int cases = 0;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		char *sp = strrchr(line, ' ');
		ck_assert_ptr_nonnull(sp);
		*sp = '\0';
		const char *want = sp + 1;
		int64_t v = -1;
		pa_err_t rc = fn(line, &v);
		if (strcmp(want, "ERR") == 0)
			ck_assert_msg(rc != PA_OK, "'%s' accepted as %lld",
				      line, (long long)v);
		else {
			ck_assert_msg(rc == PA_OK, "'%s' rejected", line);
			ck_assert_msg(v == strtoll(want, NULL, 10),
				      "'%s' -> %lld", line, (long long)v);
		}
		cases++;
	}
	ck_assert_int_gt(cases, 10);
	free(text);
}

START_TEST(test_config_duration_vectors)
{
	run_vectors("config/durations.txt", pw_cfg_parse_duration_ms);
}
END_TEST

START_TEST(test_config_size_vectors)
{
	run_vectors("config/sizes.txt", pw_cfg_parse_size);
}
END_TEST

START_TEST(test_config_bounds_enums_bools)
{
	char eb[PA_ERRBUF_SIZE];
	pw_config_t *cfg = new_cfg();
	ck_assert_int_eq(pw_config_set_arg(cfg, "topics.partitions=0", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "topics.partitions: 0 is below the minimum 1"),
		      "%s", eb);
	ck_assert_int_eq(pw_config_set_arg(cfg, "max.inflight=1000001", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "above the maximum 1000000"), "%s", eb);
	ck_assert_int_eq(pw_config_set_arg(cfg, "http.max.body=100", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "below the minimum 1024 bytes"), "%s", eb);
	ck_assert_int_eq(pw_config_set_arg(cfg, "poll.first=100ms", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "below the minimum 1000ms"), "%s", eb);
	ck_assert_int_eq(pw_config_set_arg(cfg, "poll.first=1s", eb), PA_OK);
	ck_assert_int_eq(pw_config_set_arg(cfg, "serialization=xml", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "'xml' is not one of avro|json"), "%s", eb);
	ck_assert_int_eq(pw_config_set_arg(cfg, "serialization=json", eb),
			 PA_OK);
	ck_assert_int_eq(pw_config_set_arg(cfg, "topics.create=maybe", eb),
			 PA_CONFIG);
	ck_assert_int_eq(pw_config_set_arg(cfg, "topics.create=OFF", eb),
			 PA_OK);
	ck_assert_int_eq(pw_config_set_arg(cfg, "noequals", eb), PA_CONFIG);
	ck_assert_int_eq(pw_config_set_arg(cfg, "=x", eb), PA_CONFIG);
	ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_OK);
	const pw_worker_conf_t *c = pw_config_struct(cfg);
	ck_assert_int_eq(c->poll_first_ms, 1000);
	ck_assert_int_eq(c->serialization, PW_SERDE_JSON);
	ck_assert_int_eq(c->topics_create, 0);
	/* a rejected value left the earlier one in place */
	ck_assert_int_eq(c->topics_partitions, 12);
	int64_t v;
	ck_assert_int_eq(pw_cfg_parse_int("-9223372036854775808", &v), PA_OK);
	ck_assert(v == INT64_MIN);
	ck_assert_int_eq(pw_cfg_parse_int("9223372036854775808", &v),
			 PA_RANGE);
	ck_assert_int_ne(pw_cfg_parse_int("12a", &v), PA_OK);
	ck_assert_int_eq(pw_cfg_enum_index("a|bb|c", "bb"), 1);
	ck_assert_int_eq(pw_cfg_enum_index("a|bb|c", "b"), -1);
	pw_config_destroy(cfg);
}
END_TEST

START_TEST(test_config_required_keys_checked)
{
	char eb[PA_ERRBUF_SIZE];
	pw_config_t *cfg = new_cfg();
	ck_assert_int_eq(pw_config_set_arg(cfg, "merchant.x1.pid=5", eb), PA_OK);
	ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "missing required key 'merchant.x1.secret'"),
		      "%s", eb);
	ck_assert_int_eq(pw_config_set_arg(cfg, "merchant.x1.secret=s", eb),
			 PA_OK);
	ck_assert_int_eq(pw_config_set_arg(cfg, "merchant.x1.base.url=http://h",
					   eb),
			 PA_OK);
	ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_OK);
	/* profile names are [a-z0-9_] so the env mapping stays reversible */
	ck_assert_int_eq(pw_config_set_arg(cfg, "merchant.Bad-Name.pid=1", eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "bad merchant name"), "%s", eb);
	pw_config_destroy(cfg);
}
END_TEST

/* ---- tables and generated views --------------------------------------- */

START_TEST(test_config_worker_table_entries_complete)
{
	char eb[PA_ERRBUF_SIZE];
	size_t nt = 0;
	const pw_cfg_table_t *const *all = pw_config_all_tables(&nt);
	ck_assert_uint_ge(nt, 1);
	ck_assert_ptr_eq(all[0], wt());
	for (size_t ti = 0; ti < nt; ti++) {
		const pw_cfg_table_t *t = all[ti];
		ck_assert_msg(pw_config_table_check(t, eb) == PA_OK, "%s", eb);
		/* and by hand, the two properties the style guide names:
		 * a description, and a default the loader accepts */
		const pw_cfg_table_t *tabs[] = {t, t->tmpl};
		for (size_t k = 0; k < 2 && tabs[k]; k++)
			for (size_t i = 0; i < tabs[k]->n_entries; i++) {
				const pw_cfg_entry_t *e = &tabs[k]->entries[i];
				ck_assert_msg(e->desc && *e->desc, "%s",
					      e->name);
				if (!e->def)
					continue;
				pw_config_t *cfg = NULL;
				char key[200];
				ck_assert_int_eq(pw_config_new(t, &cfg, eb),
						 PA_OK);
				snprintf(key, sizeof key, "%s%s%s",
					 k ? t->tmpl_prefix : "",
					 k ? ".z." : "", e->name);
				ck_assert_msg(pw_config_set(cfg, key, e->def,
							    PW_CFG_SRC_CLI,
							    "-o", eb) == PA_OK,
					      "%s", eb);
				pw_config_destroy(cfg);
			}
	}
}
END_TEST

START_TEST(test_config_table_check_catches_broken_tables)
{
	char eb[PA_ERRBUF_SIZE];
	struct s {
		int64_t a;
	};
	pw_cfg_entry_t bad[][1] = {
		{PW_CFG_E("a", PW_CFG_INT, "1", 0, 0, 0, 0, NULL, "")},
		{PW_CFG_E("a", PW_CFG_INT, "x", 0, 0, 0, 0, NULL,
			  "a description")},
		{PW_CFG_E("a", PW_CFG_INT, "0", 1, 5, 0, 0, NULL,
			  "a description")},
		{PW_CFG_E("a", PW_CFG_STR, "dflt", 0, 0, 0, PW_CFG_SECRET, NULL,
			  "a description")},
		{PW_CFG_E("A.b", PW_CFG_STR, "", 0, 0, 0, 0, NULL,
			  "a description")},
		{PW_CFG_E("a", PW_CFG_ENUM, "x", 0, 0, 0, 0, NULL,
			  "a description")},
		{PW_CFG_E("a", PW_CFG_INT, NULL, 0, 0, 0, 0, NULL,
			  "a description")},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pw_cfg_table_t t = {.name = "t", .entries = bad[i],
				    .n_entries = 1,
				    .struct_size = sizeof(struct s)};
		ck_assert_msg(pw_config_table_check(&t, eb) == PA_CONFIG,
			      "broken table %zu accepted", i);
	}
	pw_cfg_entry_t good[] = {PW_CFG_E("a", PW_CFG_INT, "3", 1, 5, 0, 0,
					  NULL, "a description")};
	pw_cfg_table_t t = {.name = "t", .entries = good, .n_entries = 1,
			    .struct_size = sizeof(struct s)};
	ck_assert_int_eq(pw_config_table_check(&t, eb), PA_OK);
}
END_TEST

START_TEST(test_config_generated_views_cover_every_key)
{
	const pw_cfg_table_t *t = wt();
	char *help = NULL, *md = NULL, *js = NULL;
	size_t n;
	FILE *fp = open_memstream(&help, &n);
	pw_config_print_help(t, fp);
	fclose(fp);
	fp = open_memstream(&md, &n);
	pw_config_print_markdown(t, fp);
	fclose(fp);
	fp = open_memstream(&js, &n);
	pw_config_print_json_schema(t, fp);
	fclose(fp);

	json_error_t jerr;
	json_t *schema = json_loads(js, 0, &jerr);
	ck_assert_msg(schema != NULL, "schema: %s", jerr.text);
	json_t *props = json_object_get(schema, "properties");
	json_t *pats = json_object_get(schema, "patternProperties");
	ck_assert_ptr_nonnull(props);
	for (size_t i = 0; i < t->n_entries; i++) {
		const pw_cfg_entry_t *e = &t->entries[i];
		char row[200];
		ck_assert_msg(strstr(help, e->name), "help lacks %s", e->name);
		snprintf(row, sizeof row, "| `%s` |", e->name);
		ck_assert_msg(strstr(md, row), "markdown lacks %s", e->name);
		json_t *p = json_object_get(props, e->name);
		ck_assert_msg(p != NULL, "schema lacks %s", e->name);
		ck_assert_str_eq(json_string_value(
					 json_object_get(p, "description")),
				 e->desc);
	}
	for (size_t i = 0; i < t->tmpl->n_entries; i++) {
		char key[200];
		snprintf(key, sizeof key, "merchant.<name>.%s",
			 t->tmpl->entries[i].name);
		ck_assert_msg(strstr(help, key), "help lacks %s", key);
		ck_assert_msg(strstr(md, key), "markdown lacks %s", key);
	}
	ck_assert_int_eq(json_object_size(pats), t->tmpl->n_entries + 1);
	ck_assert_ptr_nonnull(
		json_object_get(pats, "^merchant\\.[a-z0-9_]+\\.api\\.key$"));
	/* enum values, defaults and types are carried over */
	json_t *lvl = json_object_get(props, "log.level");
	ck_assert_int_eq(json_array_size(json_object_get(lvl, "enum")), 4);
	ck_assert_str_eq(json_string_value(json_object_get(lvl, "default")),
			 "info");
	json_t *parts = json_object_get(props, "topics.partitions");
	ck_assert_int_eq(json_integer_value(json_object_get(parts, "default")),
			 12);
	ck_assert_int_eq(json_integer_value(json_object_get(parts, "minimum")),
			 1);
	ck_assert(json_is_true(json_object_get(
		json_object_get(props, "schema.registry.basic.auth"),
		"writeOnly")));
	ck_assert(json_is_false(json_object_get(schema, "additionalProperties")));
	/* Markdown escapes the pipes of enum lists inside cells */
	ck_assert_ptr_nonnull(strstr(md, "debug\\|info\\|warn\\|error"));
	ck_assert_ptr_nonnull(strstr(md, "`PAYATOM_MERCHANT_NAME_API_KEY`"));
	ck_assert_ptr_nonnull(strstr(help, "PAYATOM_<KEY>"));
	json_decref(schema);
	free(help);
	free(md);
	free(js);
}
END_TEST

START_TEST(test_config_buffer_loading_and_null_safety)
{
	char eb[PA_ERRBUF_SIZE];
	pw_config_destroy(NULL);
	ck_assert_int_eq(pw_config_new(NULL, NULL, eb), PA_INVAL);
	pw_config_t *cfg = new_cfg();
	const char text[] = "log.level=debug\r\n\n   # c\nbrokers = a:1";
	ck_assert_int_eq(pw_config_load_buffer(cfg, text, sizeof text - 1,
					       "inline", eb),
			 PA_OK);
	ck_assert_str_eq(pw_config_value(cfg, "log.level"), "debug");
	ck_assert_str_eq(pw_config_value(cfg, "brokers"), "a:1");
	ck_assert_ptr_null(pw_config_value(cfg, "no.such.key"));
	ck_assert_ptr_null(pw_config_profile(cfg, 0));
	const char nul[] = "log.level=de\0bug\n";
	ck_assert_int_eq(pw_config_load_buffer(cfg, nul, sizeof nul - 1, "nul",
					       eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "nul:1"), "%s", eb);
	add_merchant(cfg, "m1");
	ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_OK);
	pw_config_destroy(cfg);
}
END_TEST

START_TEST(test_config_loader_survives_any_input)
{
	static const char alphabet[] = "log.lvemrchant=@#\n\r \t,0123456789kms\x00";
	uint32_t x = 0x12345678u;
	char buf[256], eb[PA_ERRBUF_SIZE];
	for (int round = 0; round < 1000; round++) {
		size_t n = 0;
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		n = x % sizeof buf;
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			buf[i] = alphabet[x % (sizeof alphabet - 1)];
		}
		pw_config_t *cfg = new_cfg();
		pa_err_t rc = pw_config_load_buffer(cfg, buf, n, "fuzz", eb);
		ck_assert(rc == PA_OK || rc == PA_CONFIG);
		if (rc == PA_CONFIG)
			ck_assert_msg(strncmp(eb, "fuzz:", 5) == 0, "%s", eb);
		pw_config_destroy(cfg);
	}
}
END_TEST

START_TEST(test_config_kafka_pairs_reach_librdkafka)
{
	char eb[PA_ERRBUF_SIZE], val[256];
	size_t vs = sizeof val;
	pw_config_t *cfg = new_cfg();
	ck_assert_int_eq(load_data(cfg, "config/good.conf", eb), PA_OK);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	ck_assert_msg(pw_config_apply_kafka(cfg, conf, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(rd_kafka_conf_get(conf, "queue.buffering.max.ms", val,
					   &vs),
			 RD_KAFKA_CONF_OK);
	ck_assert_str_eq(val, "5");
	/* librdkafka refuses: the key and its source are named */
	ck_assert_int_eq(pw_config_set_arg(cfg, "kafka.no.such.property=1", eb),
			 PA_OK);
	ck_assert_int_eq(pw_config_apply_kafka(cfg, conf, eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "-o: kafka.no.such.property:"), "%s", eb);
	rd_kafka_conf_destroy(conf);
	pw_config_destroy(cfg);

	/* a refused credential is named without its value */
	cfg = new_cfg();
	ck_assert_int_eq(pw_config_set_arg(cfg, "kafka.bogus.password=Zq9-secret",
					   eb),
			 PA_OK);
	conf = rd_kafka_conf_new();
	ck_assert_int_eq(pw_config_apply_kafka(cfg, conf, eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "kafka.bogus.password") &&
			      !strstr(eb, "Zq9-secret"),
		      "%s", eb);
	rd_kafka_conf_destroy(conf);
	pw_config_destroy(cfg);
}
END_TEST

/* --check-config: with collection on, every bad line, variable and
 * kafka.* pair is recorded (key and source named) and loading goes on;
 * without it the first error stops the load as before. */
START_TEST(test_config_check_reports_every_error_at_once)
{
	char eb[PA_ERRBUF_SIZE];
	const char text[] = "brokers = a:1,b:99999\n"
			    "log.level = loud\n"
			    "no.such.key = 1\n"
			    "kafka.fetch.wait.max.msx = 1\n"
			    "kafka.sasl.password = Zq9-secret\n"
			    "kafka.bogus.password = Zq9-secret\n"
			    "merchant.a.pid = 1\n";
	const char *envp[] = {"PAYATOM_MAX_INFLIGHT=zero", NULL};
	pw_config_t *cfg = new_cfg();
	pw_config_collect_errors(cfg, 1);
	ck_assert_int_eq(pw_config_load_buffer(cfg, text, strlen(text), "w.conf",
					       eb),
			 PA_OK);
	ck_assert_int_eq(pw_config_load_env(cfg, envp, eb), PA_OK);
	ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_CONFIG);
	ck_assert_int_eq(pw_config_check_kafka(cfg, "brokers", eb), PA_OK);
	const char *want[] = {
		"w.conf:2: log.level: 'loud'", "w.conf:3: ",
		"env PAYATOM_MAX_INFLIGHT: max.inflight: 'zero'",
		"missing required key 'merchant.a.secret'",
		"w.conf:1: brokers: 'b:99999' is not host:port",
		"w.conf:4: kafka.fetch.wait.max.msx: No such configuration",
		"w.conf:6: kafka.bogus.password: rejected by librdkafka"};
	size_t n = pw_config_error_count(cfg);
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		int found = 0;
		for (size_t i = 0; i < n; i++)
			found |= strstr(pw_config_error(cfg, i), want[k]) != NULL;
		ck_assert_msg(found, "no error '%s' among %zu", want[k], n);
	}
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(!strstr(pw_config_error(cfg, i), "Zq9-secret"),
			      "%s", pw_config_error(cfg, i));
	ck_assert_ptr_null(pw_config_error(cfg, n));
	pw_config_destroy(cfg);

	/* valid pairs, refused together by librdkafka's consumer */
	cfg = new_cfg();
	pw_config_collect_errors(cfg, 1);
	ck_assert_int_eq(pw_config_set_arg(cfg, "kafka.group.protocol=consumer",
					   eb),
			 PA_OK);
	ck_assert_int_eq(pw_config_set_arg(cfg, "kafka.session.timeout.ms=6000",
					   eb),
			 PA_OK);
	ck_assert_int_eq(pw_config_check_kafka(cfg, "brokers", eb), PA_OK);
	ck_assert_uint_eq(pw_config_error_count(cfg), 1);
	ck_assert_ptr_nonnull(strstr(pw_config_error(cfg, 0),
				     "`session.timeout.ms` is not supported"));
	pw_config_destroy(cfg);

	/* not collecting: the first error is returned, nothing recorded */
	cfg = new_cfg();
	ck_assert_int_eq(pw_config_load_buffer(cfg, text, strlen(text), "w.conf",
					       eb),
			 PA_CONFIG);
	ck_assert_msg(strstr(eb, "w.conf:1: brokers") || strstr(eb, "w.conf:2:"),
		      "%s", eb);
	ck_assert_uint_eq(pw_config_error_count(cfg), 0);
	pw_config_destroy(cfg);
}
END_TEST

START_TEST(test_config_worker_enums_match_log_api)
{
	/* log.level / log.format bind as indexes the logger takes as is */
	const char *lv[] = {"debug", "info", "warn", "error"};
	char eb[PA_ERRBUF_SIZE], arg[64];
	for (int i = 0; i < 4; i++) {
		pw_config_t *cfg = new_cfg();
		snprintf(arg, sizeof arg, "log.level=%s", lv[i]);
		ck_assert_int_eq(pw_config_set_arg(cfg, arg, eb), PA_OK);
		ck_assert_int_eq(pw_config_finalize(cfg, eb), PA_OK);
		const pw_worker_conf_t *c = pw_config_struct(cfg);
		pw_log_level_t l;
		ck_assert_int_eq(pw_log_level_parse(lv[i], &l), PA_OK);
		ck_assert_int_eq(c->log_level, (int)l);
		pw_config_destroy(cfg);
	}
	ck_assert_int_eq(PW_LOGFMT_JSON, PW_LOG_JSON);
	ck_assert_int_eq(PW_LOGFMT_TEXT, PW_LOG_TEXT);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	struct {
		const char *name;
		const TTest *tests[6];
	} groups[] = {
		{"load",
		 {test_config_defaults_bind_into_struct,
		  test_config_file_comments_whitespace_profiles,
		  test_config_errors_name_file_and_line,
		  test_config_buffer_loading_and_null_safety,
		  test_config_loader_survives_any_input}},
		{"suggest", {test_config_unknown_key_suggests_nearest}},
		{"kafka",
		 {test_config_kafka_pairs_reach_librdkafka,
		  test_config_check_reports_every_error_at_once}},
		{"precedence",
		 {test_config_precedence_default_file_env_cli,
		  test_config_env_names_map_to_keys}},
		{"secrets",
		 {test_config_at_file_secret_is_read_and_stripped,
		  test_config_secrets_never_printed}},
		{"values",
		 {test_config_duration_vectors, test_config_size_vectors,
		  test_config_bounds_enums_bools,
		  test_config_required_keys_checked}},
		{"tables",
		 {test_config_worker_table_entries_complete,
		  test_config_table_check_catches_broken_tables,
		  test_config_generated_views_cover_every_key,
		  test_config_worker_enums_match_log_api}},
	};
	for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
		TCase *tc = tcase_create(groups[g].name);
		for (size_t i = 0; i < 6 && groups[g].tests[i]; i++)
			tcase_add_test(tc, groups[g].tests[i]);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
