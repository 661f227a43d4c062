/* check_codec_setup.c -- the worker's codec from its configuration:
 * serialization and schema.registry.* keys. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "serde/codec_setup.h"

static pw_worker_conf_t conf(int ser, const char *url, const char *auth)
{
	pw_worker_conf_t wc;
	memset(&wc, 0, sizeof wc);
	wc.serialization = ser;
	wc.schema_registry_url = url;
	wc.schema_registry_basic_auth = auth;
	wc.schema_registry_ca_location = "";
	return wc;
}

/* First byte of a DeadLetter encoded by cs's codec. */
static int first_byte(pw_codec_setup_t *cs)
{
	json_t *dl = json_pack("{s:s s:s s:i s:I s:s s:s s:s s:I}", "event_id",
			       "x", "topic", "t", "partition", 0, "offset",
			       (json_int_t)1, "payload", "", "reason",
			       "OTHER", "message", "m", "occurred_at",
			       (json_int_t)0);
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_encode(cs->codec, "t", "DeadLetter", dl, &buf,
				      &len, eb) == PA_OK,
		      "%s", eb);
	int b = buf[0];
	free(buf);
	json_decref(dl);
	return b;
}

START_TEST(test_codec_setup_avro_without_registry_is_single_object)
{
	pw_worker_conf_t wc = conf(PW_SERDE_AVRO, "", NULL);
	pw_codec_setup_t cs;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(pw_codec_setup(&wc, &cs, eb), PA_OK);
	ck_assert_ptr_null(cs.registry);
	ck_assert_int_eq(first_byte(&cs), 0xC3);
	pw_codec_setup_free(&cs);
}
END_TEST

START_TEST(test_codec_setup_json_ignores_registry)
{
	pw_worker_conf_t wc = conf(PW_SERDE_JSON, "http://127.0.0.1:1", NULL);
	pw_codec_setup_t cs;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(pw_codec_setup(&wc, &cs, eb), PA_OK);
	ck_assert_ptr_null(cs.registry);
	ck_assert_int_eq(first_byte(&cs), '{');
	pw_codec_setup_free(&cs);
}
END_TEST

START_TEST(test_codec_setup_registry_url_and_auth_are_checked)
{
	pw_codec_setup_t cs;
	char eb[PA_ERRBUF_SIZE] = "";
	pw_worker_conf_t wc = conf(PW_SERDE_AVRO, "http://127.0.0.1:1",
				   "user:secret");
	ck_assert_int_eq(pw_codec_setup(&wc, &cs, eb), PA_OK);
	ck_assert_ptr_nonnull(cs.registry);
	ck_assert_ptr_nonnull(cs.codec);
	pw_codec_setup_free(&cs);
	wc = conf(PW_SERDE_AVRO, "http://127.0.0.1:1", "nocolon");
	ck_assert_int_eq(pw_codec_setup(&wc, &cs, eb), PA_CONFIG);
	ck_assert_ptr_nonnull(strstr(eb, "schema.registry.basic.auth"));
	ck_assert_ptr_null(strstr(eb, "nocolon"));
	wc = conf(PW_SERDE_AVRO, "ftp://registry", NULL);
	ck_assert_int_eq(pw_codec_setup(&wc, &cs, eb), PA_CONFIG);
	ck_assert_ptr_nonnull(strstr(eb, "schema.registry.url"));
	ck_assert_ptr_null(cs.codec);
	pw_codec_setup_free(&cs); /* zeroed: no-op */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("codec_setup");
	TCase *tc = tcase_create("codec_setup");
	tcase_add_test(tc,
		       test_codec_setup_avro_without_registry_is_single_object);
	tcase_add_test(tc, test_codec_setup_json_ignores_registry);
	tcase_add_test(tc, test_codec_setup_registry_url_and_auth_are_checked);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
