/* check_sandbox_config.c -- the sandbox's option table, merchant and fault
 * specs, outcome mix, magic values, IP allowlists and PRNG (no network). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pwtest.h"
#include "sandbox/sbx_int.h"

START_TEST(test_sandbox_config_every_option_documented_with_parsing_default)
{
	const char *name, *dflt, *help;
	size_t n = 0;
	for (size_t i = 0; sbx_cfg_option(i, &name, &dflt, &help); i++, n++) {
		ck_assert_msg(strlen(help) > 10, "%s: no description", name);
		sbx_cfg_t *cfg;
		ck_assert_int_eq(sbx_cfg_new(&cfg), PA_OK);
		char eb[PA_ERRBUF_SIZE] = "";
		if (dflt[0]) /* repeatable options have no default */
			ck_assert_msg(sbx_cfg_set(cfg, name, dflt, eb) == PA_OK,
				      "%s=%s: %s", name, dflt, eb);
		sbx_cfg_destroy(cfg);
	}
	ck_assert_uint_ge(n, 20);
}
END_TEST

START_TEST(test_sandbox_config_unknown_key_suggests_nearest)
{
	sbx_cfg_t *cfg;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(sbx_cfg_new(&cfg), PA_OK);
	ck_assert_int_eq(sbx_cfg_set(cfg, "webhook-retry-mss", "5", eb),
			 PA_CONFIG);
	ck_assert_ptr_nonnull(strstr(eb, "did you mean 'webhook-retry-ms'"));
	/* a word for what an option does, not a typo of another option */
	ck_assert_int_eq(sbx_cfg_set(cfg, "listen", "8089", eb), PA_CONFIG);
	ck_assert_ptr_nonnull(strstr(eb, "did you mean 'port' (and 'bind')?"));
	ck_assert_ptr_null(strstr(eb, "seed"));
	char hint[200];
	const char *const prog[] = {"config", "print-port", NULL};
	sbx_cfg_suggest("listen", prog, "--", hint, sizeof hint);
	ck_assert_str_eq(hint, "; did you mean --port N (and --bind ADDR)?");
	sbx_cfg_suggest("print_prot", prog, "--", hint, sizeof hint);
	ck_assert_str_eq(hint, "; did you mean --print-port?");
	sbx_cfg_suggest("zzzzzz", prog, "--", hint, sizeof hint);
	ck_assert_str_eq(hint, "");
	ck_assert_int_eq(sbx_cfg_set(cfg, "port", "70000", eb), PA_CONFIG);
	ck_assert_int_eq(sbx_cfg_set(cfg, "port", "12x", eb), PA_CONFIG);
	ck_assert_int_eq(sbx_cfg_set(cfg, "resolve_delay_ms", "5", eb), PA_OK);
	ck_assert_int_eq(cfg->resolve_delay_ms, 5);
	ck_assert_int_eq(sbx_cfg_set(cfg, "merchant", "pid=X", eb), PA_CONFIG);
	ck_assert_ptr_nonnull(strstr(eb, "secret is required"));
	ck_assert_int_eq(sbx_cfg_set(cfg, "fault", "/x:hang=7", eb), PA_CONFIG);
	sbx_cfg_destroy(cfg);
}
END_TEST

START_TEST(test_sandbox_config_file_with_at_secret)
{
	char dir[] = "/tmp/sbxcfgXXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char sec[256], conf[256];
	snprintf(sec, sizeof sec, "%s/merchant", dir);
	snprintf(conf, sizeof conf, "%s/sandbox.conf", dir);
	FILE *f = fopen(sec, "w");
	fputs("pid=F1,secret=from-file\n", f);
	fclose(f);
	f = fopen(conf, "w");
	fprintf(f, "# comment\n\nport = 0\nseed=99\nmerchant = @%s\n", sec);
	fclose(f);
	sbx_cfg_t *cfg;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(sbx_cfg_new(&cfg), PA_OK);
	ck_assert_msg(sbx_cfg_load_file(cfg, conf, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(cfg->port, 0);
	ck_assert_uint_eq(cfg->seed, 99);
	ck_assert_int_eq(cfg->nmerchants, 1);
	ck_assert_str_eq(cfg->merchants[0], "pid=F1,secret=from-file");
	f = fopen(conf, "w");
	fputs("port = 1\nbogus = 2\n", f);
	fclose(f);
	ck_assert_int_eq(sbx_cfg_load_file(cfg, conf, eb), PA_CONFIG);
	ck_assert_ptr_nonnull(strstr(eb, ":2:"));
	sbx_cfg_destroy(cfg);
	unlink(sec);
	unlink(conf);
	rmdir(dir);
}
END_TEST

START_TEST(test_sandbox_config_sample_file_starts_a_sandbox)
{
	char path[512], eb[PA_ERRBUF_SIZE];
	pwt_data_path("sandbox/sandbox.conf", path, sizeof path);
	sbx_cfg_t *cfg;
	ck_assert_int_eq(sbx_cfg_new(&cfg), PA_OK);
	ck_assert_msg(sbx_cfg_load_file(cfg, path, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(cfg->nmerchants, 2);
	ck_assert_int_eq(cfg->nfaults, 2);
	ck_assert_uint_eq(cfg->seed, 2024);
	pw_loop_t *loop;
	sbx_t *sbx;
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	ck_assert_msg(sbx_new(loop, cfg, &sbx, eb) == PA_OK, "%s", eb);
	ck_assert_uint_gt(sbx_port(sbx), 0);
	ck_assert_int_eq(sbx->nmerchants, 2);
	ck_assert_int_eq(sbx->merchants[0].nips, 2);
	ck_assert_ptr_nonnull(sbx_fault_find(sbx, "/api/status_polling.php"));
	ck_assert_ptr_null(sbx_fault_find(sbx, "/api/request.php"));
	sbx_destroy(sbx);
	pw_loop_destroy(loop);
	/* a bad mix is refused when set */
	ck_assert_int_eq(sbx_cfg_set(cfg, "mix", "Approved:x", eb), PA_CONFIG);
	ck_assert_int_eq(sbx_cfg_set(cfg, "v2-signature", "md5", eb), PA_OK);
	ck_assert_int_eq(pw_loop_new(&loop), PA_OK);
	ck_assert_int_eq(sbx_new(loop, cfg, &sbx, eb), PA_CONFIG);
	ck_assert_ptr_nonnull(strstr(eb, "sha256 or hmac"));
	pw_loop_destroy(loop);
	sbx_cfg_destroy(cfg);
}
END_TEST

START_TEST(test_sandbox_merchant_spec_and_ip_allowlist)
{
	sbx_merchant_t m;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(sbx__merchant_parse("pid=P,secret=s,callback=http://"
					     "127.0.0.1:1/cb,ips=10.0.0.0/8|"
					     "::1|192.168.1.7",
					     &m, eb),
			 PA_OK);
	ck_assert_str_eq(m.pid, "P");
	ck_assert_int_eq(m.nips, 3);
	ck_assert(sbx__ip_allowed(&m, "10.20.30.40"));
	ck_assert(!sbx__ip_allowed(&m, "11.0.0.1"));
	ck_assert(sbx__ip_allowed(&m, "::1"));
	ck_assert(sbx__ip_allowed(&m, "192.168.1.7"));
	ck_assert(!sbx__ip_allowed(&m, "192.168.1.8"));
	ck_assert(!sbx__ip_allowed(&m, "garbage"));
	sbx__merchant_clear(&m);
	ck_assert_int_eq(sbx__merchant_parse("pid=P,secret=s", &m, eb), PA_OK);
	ck_assert(sbx__ip_allowed(&m, "8.8.8.8")); /* no list: any */
	sbx__merchant_clear(&m);
	ck_assert_int_eq(sbx__merchant_parse("pid=P,secret=s,ips=10.0.0.0/33",
					     &m, eb),
			 PA_CONFIG);
	sbx__merchant_clear(&m);
	ck_assert_int_eq(sbx__merchant_parse("pid=P,secret=s,colour=red", &m,
					     eb),
			 PA_CONFIG);
	sbx__merchant_clear(&m);
}
END_TEST

START_TEST(test_sandbox_fault_spec_parses_every_key)
{
	sbx_fault_t f;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(sbx_fault_parse("/api/request.php:latency=longtail:"
					 "50-2000,5xx=0.1,status=502,429=0.2,"
					 "hang=0.01,reset=0.02,malformed=0.03,"
					 "truncated=0.04,bad_hash=0.05,dup=0.06,"
					 "reorder=0.07",
					 &f, eb),
			 PA_OK);
	ck_assert_str_eq(f.endpoint, "/api/request.php");
	ck_assert_int_eq(f.lat_kind, SBX_LAT_LONGTAIL);
	ck_assert_int_eq(f.lat_ms, 50);
	ck_assert_int_eq(f.lat_max_ms, 2000);
	ck_assert_int_eq(f.status_5xx, 502);
	ck_assert(f.p_reorder > 0.069 && f.p_reorder < 0.071);
	ck_assert_int_eq(sbx_fault_parse("*:latency=fixed:200", &f, eb), PA_OK);
	ck_assert_int_eq(f.lat_kind, SBX_LAT_FIXED);
	ck_assert_int_eq(sbx_fault_parse("x:latency=uniform:9-3", &f, eb),
			 PA_CONFIG);
	ck_assert_int_eq(sbx_fault_parse("x:status=404", &f, eb), PA_CONFIG);
	ck_assert_int_eq(sbx_fault_parse("x:nonsense=1", &f, eb), PA_CONFIG);
	ck_assert_int_eq(sbx_fault_parse(":5xx=1", &f, eb), PA_CONFIG);
}
END_TEST

START_TEST(test_sandbox_mix_parses_documented_statuses)
{
	sbx_mix_t mix[16];
	int n;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(sbx__mix_parse("Approved:3,User Timed Out:1,"
					"Refund Completed:1,Pending:2",
					mix, &n, eb),
			 PA_OK);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(mix[1].status, "User Timed Out");
	ck_assert_uint_eq(mix[3].weight, 2);
	ck_assert_int_eq(sbx__mix_parse("Paid:1", mix, &n, eb), PA_CONFIG);
	ck_assert_int_eq(sbx__mix_parse("Approved", mix, &n, eb), PA_CONFIG);
}
END_TEST

START_TEST(test_sandbox_magic_values_table)
{
	ck_assert_str_eq(sbx__magic_plan("DECLINE-1", 10000), "Declined");
	ck_assert_str_eq(sbx__magic_plan("LATE1", 10000), "Late Approved");
	ck_assert_str_eq(sbx__magic_plan("MANUAL1", 10000), "Pending");
	ck_assert_str_eq(sbx__magic_plan("REFUND1", 10000),
			 "Refund Completed");
	/* order_id prefix wins over the amount */
	ck_assert_str_eq(sbx__magic_plan("APPROVE1", 190100), "Approved");
	ck_assert_str_eq(sbx__magic_plan("ORD1", 190100), "Declined");
	ck_assert_str_eq(sbx__magic_plan("ORD1", 90200), "User Timed Out");
	ck_assert_str_eq(sbx__magic_plan("ORD1", 90900), "Pending");
	ck_assert_ptr_null(sbx__magic_plan("ORD1", 91000));
	ck_assert_ptr_null(sbx__magic_plan("ORD1", 90150)); /* not whole */
	ck_assert_ptr_null(sbx__magic_plan("decline1", 10000)); /* case */
}
END_TEST

START_TEST(test_sandbox_rng_seeded_streams_reproducible)
{
	sbx_rng_t a, b, c;
	sbx_rng_seed(&a, 42);
	sbx_rng_seed(&b, 42);
	sbx_rng_seed(&c, 43);
	int diff = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = sbx_rng_next(&a);
		ck_assert_uint_eq(x, sbx_rng_next(&b));
		diff |= x != sbx_rng_next(&c);
		double u = sbx_rng_unit(&a);
		sbx_rng_unit(&b);
		ck_assert(u >= 0.0 && u < 1.0);
	}
	ck_assert(diff);
	char h1[65], h2[65];
	sbx_rng_hex(&a, h1, 64);
	sbx_rng_hex(&b, h2, 64);
	ck_assert_str_eq(h1, h2);
	ck_assert_uint_eq(strspn(h1, "0123456789abcdef"), 64);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sandbox_config");
	TCase *tc = tcase_create("options");
	tcase_add_test(tc,
		       test_sandbox_config_every_option_documented_with_parsing_default);
	tcase_add_test(tc, test_sandbox_config_unknown_key_suggests_nearest);
	tcase_add_test(tc, test_sandbox_config_file_with_at_secret);
	tcase_add_test(tc, test_sandbox_config_sample_file_starts_a_sandbox);
	suite_add_tcase(s, tc);
	tc = tcase_create("specs");
	tcase_add_test(tc, test_sandbox_merchant_spec_and_ip_allowlist);
	tcase_add_test(tc, test_sandbox_fault_spec_parses_every_key);
	tcase_add_test(tc, test_sandbox_mix_parses_documented_statuses);
	tcase_add_test(tc, test_sandbox_magic_values_table);
	tcase_add_test(tc, test_sandbox_rng_seeded_streams_reproducible);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
