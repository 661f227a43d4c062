/* check_registry.c -- the Schema Registry client against the fake registry
 * of tests/support (no real registry can run here): register, caches both
 * ways, lookup, 409 incompatible, auth, a base URL with a path (Apicurio
 * ccompat), unreachable registry; and Confluent framing end to end. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fake_registry.h"
#include "serde/avro_schema.h"
#include "serde/codec.h"
#include "serde/registry.h"
#include "serde/schemas.h"
#include "pwtest.h"
#include "testhttp.h"

static const char *V1 =
	"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":"
	"[{\"name\":\"a\",\"type\":\"string\"}]}";
static const char *V2_OK =
	"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":"
	"[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":"
	"[\"null\",\"long\"],\"default\":null}]}";
static const char *V2_BAD =
	"{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":"
	"[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"long\"}]}";

static pw_registry_t *client(const char *url, const char *user,
			     const char *pass, int auto_register)
{
	pw_registry_conf_t conf = {.url = url, .user = user, .password = pass,
				   .timeout_ms = pwt_ms(5000),
				   .auto_register = auto_register};
	pw_registry_t *reg = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_registry_new(&conf, &reg, eb) == PA_OK, "%s", eb);
	return reg;
}

START_TEST(test_registry_registers_and_caches_both_ways)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	ck_assert_ptr_nonnull(fr);
	pw_registry_t *reg = client(pwt_registry_url(fr), NULL, NULL, 1);
	char eb[PA_ERRBUF_SIZE] = "";
	int32_t id1, id2;
	uint64_t fp = pw_crc64_avro(V1, strlen(V1));
	ck_assert_int_eq(pw_registry_id_for(reg, "orders-value", V1, fp, &id1, eb), PA_OK);
	ck_assert_int_gt(id1, 0);
	size_t after_first = pwt_registry_requests(fr);
	ck_assert_uint_eq(after_first, 1);
	ck_assert_int_eq(pw_registry_id_for(reg, "orders-value", V1, fp, &id2, eb), PA_OK);
	ck_assert_int_eq(id1, id2);
	ck_assert_uint_eq(pwt_registry_requests(fr), after_first);
	/* id -> schema known from the registration: no GET */
	const char *text;
	ck_assert_int_eq(pw_registry_schema_by_id(reg, id1, &text, eb), PA_OK);
	ck_assert_str_eq(text, V1);
	ck_assert_uint_eq(pwt_registry_requests(fr), after_first);
	ck_assert_uint_eq(pw_registry_requests(reg), 1);
	/* a compatible new version gets a new id */
	int32_t id3;
	ck_assert_int_eq(pw_registry_register(reg, "orders-value", V2_OK, &id3, eb), PA_OK);
	ck_assert_int_ne(id3, id1);
	pw_registry_destroy(reg);

	/* A fresh client fetches by id once, then from its cache. */
	reg = client(pwt_registry_url(fr), NULL, NULL, 0);
	ck_assert_int_eq(pw_registry_schema_by_id(reg, id3, &text, eb), PA_OK);
	ck_assert_str_eq(text, V2_OK);
	ck_assert_int_eq(pw_registry_schema_by_id(reg, id3, &text, eb), PA_OK);
	ck_assert_uint_eq(pw_registry_requests(reg), 1);
	ck_assert_int_eq(pw_registry_schema_by_id(reg, 999, &text, eb), PA_NOT_FOUND);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

START_TEST(test_registry_lookup_without_auto_register)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	pw_registry_t *reg = client(pwt_registry_url(fr), NULL, NULL, 0);
	char eb[PA_ERRBUF_SIZE] = "";
	int32_t id, found;
	ck_assert_int_eq(pw_registry_id_for(reg, "x-value", V1, 1, &id, eb), PA_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(eb, "404"));
	ck_assert_int_eq(pw_registry_register(reg, "x-value", V1, &id, eb), PA_OK);
	ck_assert_int_eq(pw_registry_lookup(reg, "x-value", V1, &found, eb), PA_OK);
	ck_assert_int_eq(found, id);
	ck_assert_int_eq(pw_registry_id_for(reg, "x-value", V1, 1, &found, eb), PA_OK);
	ck_assert_int_eq(found, id);
	ck_assert_int_eq(pw_registry_lookup(reg, "x-value", V2_OK, &found, eb), PA_NOT_FOUND);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

START_TEST(test_registry_incompatible_schema_is_a_clear_error)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	pw_registry_t *reg = client(pwt_registry_url(fr), NULL, NULL, 1);
	char eb[PA_ERRBUF_SIZE] = "";
	int32_t id;
	ck_assert_int_eq(pw_registry_register(reg, "o-value", V1, &id, eb), PA_OK);
	ck_assert_int_eq(pw_registry_register(reg, "o-value", V2_BAD, &id, eb),
			 PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "incompatible"));
	ck_assert_ptr_nonnull(strstr(eb, "409"));
	ck_assert_ptr_nonnull(strstr(eb, "subject o-value"));
	ck_assert_int_eq(pw_registry_register(reg, "o-value", "{\"type\":\"nope\"}", &id, eb),
			 PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "422"));
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

START_TEST(test_registry_basic_auth_and_path_prefix)
{
	pwt_registry_t *fr = pwt_registry_start("/apis/ccompat/v7", "svc", "s3cr3t-pw");
	ck_assert_ptr_nonnull(strstr(pwt_registry_url(fr), "/apis/ccompat/v7"));
	char eb[PA_ERRBUF_SIZE] = "";
	int32_t id;
	pw_registry_t *reg = client(pwt_registry_url(fr), NULL, NULL, 1);
	ck_assert_int_eq(pw_registry_register(reg, "a-value", V1, &id, eb), PA_AUTH);
	pw_registry_destroy(reg);
	reg = client(pwt_registry_url(fr), "svc", "wrong", 1);
	ck_assert_int_eq(pw_registry_register(reg, "a-value", V1, &id, eb), PA_AUTH);
	ck_assert_ptr_null(strstr(eb, "wrong"));
	pw_registry_destroy(reg);
	/* trailing slash on the base URL is fine */
	char url[256];
	snprintf(url, sizeof url, "%s/", pwt_registry_url(fr));
	reg = client(url, "svc", "s3cr3t-pw", 1);
	ck_assert_msg(pw_registry_register(reg, "a-value", V1, &id, eb) == PA_OK, "%s", eb);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

START_TEST(test_registry_unreachable_is_retryable)
{
	/* Start and stop a registry to get a port nobody listens on. */
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	char url[128];
	snprintf(url, sizeof url, "%s", pwt_registry_url(fr));
	pwt_registry_stop(fr);
	pw_registry_t *reg = client(url, NULL, NULL, 1);
	char eb[PA_ERRBUF_SIZE] = "";
	int32_t id;
	pa_err_t err = pw_registry_register(reg, "a-value", V1, &id, eb);
	ck_assert_int_eq(err, PA_CONNECT);
	ck_assert(pa_err_is_retryable(err));
	/* Through the codec: an unknown id with the registry down is not a
	 * dead letter but a retry. */
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO, .registry = reg};
	pw_codec_t *codec;
	ck_assert_int_eq(pw_codec_new(&cc, &codec, eb), PA_OK);
	static const uint8_t rec[] = {0, 0, 0, 0, 7, 0};
	json_t *out;
	err = pw_codec_decode(codec, NULL, rec, sizeof rec, &out, NULL, eb);
	ck_assert_int_eq(err, PA_CONNECT);
	ck_assert_ptr_nonnull(strstr(eb, "schema id 7"));
	ck_assert_ptr_null(pw_codec_dlq_reason(err));
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);
	/* Credentials in the URL never reach an error message. */
	char cred[160];
	snprintf(cred, sizeof cred, "http://svc:hunter2@%s", url + strlen("http://"));
	reg = client(cred, NULL, NULL, 1);
	ck_assert_int_eq(pw_registry_register(reg, "a-value", V1, &id, eb), PA_CONNECT);
	ck_assert_ptr_null(strstr(eb, "hunter2"));
	ck_assert_ptr_nonnull(strstr(eb, "http://127.0.0.1:"));
	ck_assert_str_eq(pw_registry_shown(reg), url); /* for display */
	pw_registry_destroy(reg);
	pw_registry_conf_t bad = {.url = "ftp://x"};
	ck_assert_int_eq(pw_registry_new(&bad, &reg, eb), PA_CONFIG);
}
END_TEST

/* Apicurio's ccompat 409 (its reply, verbatim) reads as one line that
 * fits an error buffer behind the worker's own prefix: the subject, the
 * status, the registry's diff list; not its Java exception class. */
START_TEST(test_registry_apicurio_refusal_keeps_the_diff)
{
	static const char body[] =
		"{\"message\":\"io.apicurio.registry.rules.violation."
		"RuleViolationException: Incompatible artifact: "
		"payatom.evt.refund-value [AVRO], num of incompatible diffs: "
		"{1}, list of diff types: [currency at /fields/11]\","
		"\"error_code\":409}";
	pwt_http_t *srv = pwt_http_start();
	ck_assert_ptr_nonnull(srv);
	pwt_http_behaviour_t b = {.status = 409, .body = body};
	pwt_http_route(srv, "/apis/ccompat/v7/subjects/payatom.evt.refund-value/versions",
		       &b);
	char url[128];
	pw_registry_t *reg = client(pwt_http_url(srv, "/apis/ccompat/v7", url,
						 sizeof url),
				    NULL, NULL, 1);
	char eb[PA_ERRBUF_SIZE] = "";
	int32_t id;
	ck_assert_int_eq(pw_registry_register(reg, "payatom.evt.refund-value",
					      V1, &id, eb),
			 PA_VALIDATION);
	ck_assert_str_eq(eb, "subject payatom.evt.refund-value: registry "
			     "refused it, incompatible with earlier versions "
			     "(409): num of incompatible diffs: {1}, list of "
			     "diff types: [currency at /fields/11]");
	pw_registry_destroy(reg);
	pwt_http_stop(srv);
}
END_TEST

/* https with the CA given by ca_file; without it the server certificate is
 * not trusted: PA_TLS. */
START_TEST(test_registry_tls_ca_file)
{
	char *cert = pwt_read_data("avro/tls/server.pem", NULL);
	char *key = pwt_read_data("avro/tls/server.key", NULL);
	ck_assert_ptr_nonnull(cert);
	ck_assert_ptr_nonnull(key);
	pwt_registry_t *fr = pwt_registry_start_tls("", cert, key);
	ck_assert_ptr_nonnull(fr);
	ck_assert(strncmp(pwt_registry_url(fr), "https://", 8) == 0);
	char ca[1024], eb[PA_ERRBUF_SIZE] = "";
	pwt_data_path("avro/tls/ca.pem", ca, sizeof ca);
	int32_t id;
	pw_registry_t *reg = client(pwt_registry_url(fr), NULL, NULL, 1);
	ck_assert_int_eq(pw_registry_register(reg, "s-value", V1, &id, eb), PA_TLS);
	pw_registry_destroy(reg);
	pw_registry_conf_t conf = {.url = pwt_registry_url(fr), .ca_file = ca,
				   .timeout_ms = pwt_ms(5000), .auto_register = 1};
	ck_assert_int_eq(pw_registry_new(&conf, &reg, eb), PA_OK);
	ck_assert_msg(pw_registry_register(reg, "s-value", V1, &id, eb) == PA_OK, "%s", eb);
	ck_assert_int_gt(id, 0);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
	free(cert);
	free(key);
}
END_TEST

/* Confluent framing: 0x00 + big-endian id; subject "<topic>-value";
 * every schema round-trips; a second codec (a consumer) learns the ids
 * from the registry. */
START_TEST(test_registry_confluent_round_trip_every_schema)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	pw_registry_t *preg = client(pwt_registry_url(fr), NULL, NULL, 1);
	pw_registry_t *creg = client(pwt_registry_url(fr), NULL, NULL, 0);
	pw_codec_conf_t pc = {.serialization = PW_SER_AVRO, .registry = preg};
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO, .registry = creg};
	pw_codec_t *prod, *cons;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(pw_codec_new(&pc, &prod, eb), PA_OK);
	ck_assert_int_eq(pw_codec_new(&cc, &cons, eb), PA_OK);
	ck_assert_int_eq(pw_codec_prepare(prod, "payatom.evt.payment",
					  "PaymentStatusEvent", eb), PA_OK);
	ck_assert_uint_eq(pwt_registry_requests(fr), 1);
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file;
		char name[128], data[256], topic[160];
		pw_schemas_get(i, &file, NULL, NULL);
		pw_schemas_name(i, name, sizeof name);
		snprintf(data, sizeof data, "avro/samples/%.*s.full.json",
			 (int)(strlen(file) - 5), file);
		snprintf(topic, sizeof topic, "payatom.test.%s", name);
		char *txt = pwt_read_data(data, NULL);
		json_t *rec = json_loads(txt, 0, NULL);
		free(txt);
		uint8_t *buf;
		size_t len;
		ck_assert_msg(pw_codec_encode(prod, topic, name, rec, &buf, &len, eb) == PA_OK,
			      "%s: %s", name, eb);
		ck_assert_int_eq(pw_codec_detect(buf, len), PW_FRAMING_CONFLUENT);
		ck_assert_uint_eq(buf[0], 0);
		int32_t id = (int32_t)((uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 |
				       (uint32_t)buf[3] << 8 | buf[4]);
		const char *text;
		ck_assert_int_eq(pw_registry_schema_by_id(preg, id, &text, eb), PA_OK);
		ck_assert_ptr_nonnull(strstr(text, name));
		json_t *back;
		const char *got;
		ck_assert_msg(pw_codec_decode(cons, name, buf, len, &back, &got, eb) == PA_OK,
			      "%s: %s", name, eb);
		ck_assert_str_eq(got, name);
		ck_assert(json_equal(back, rec));
		json_decref(back);
		/* again: cached, no request */
		size_t before = pwt_registry_requests(fr);
		ck_assert_int_eq(pw_codec_decode(cons, NULL, buf, len, &back, &got, eb), PA_OK);
		json_decref(back);
		free(buf);
		ck_assert_int_eq(pw_codec_encode(prod, topic, name, rec, &buf, &len, eb), PA_OK);
		ck_assert_uint_eq(pwt_registry_requests(fr), before);
		free(buf);
		json_decref(rec);
	}
	/* No topic: TopicNameStrategy cannot name the subject. */
	json_t *rec = json_object();
	uint8_t *buf;
	size_t len;
	char *txt = pwt_read_data("avro/samples/dead_letter.full.json", NULL);
	json_decref(rec);
	rec = json_loads(txt, 0, NULL);
	free(txt);
	ck_assert_int_eq(pw_codec_encode(prod, NULL, "DeadLetter", rec, &buf, &len, eb), PA_INVAL);
	ck_assert_ptr_nonnull(strstr(eb, "topic"));
	json_decref(rec);
	/* An id the registry does not know. */
	static const uint8_t unk[] = {0, 0, 0, 0x30, 0x39, 0};
	json_t *back;
	ck_assert_int_eq(pw_codec_decode(cons, NULL, unk, sizeof unk, &back, NULL, eb),
			 PA_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(eb, "schema id 12345"));
	ck_assert_int_eq(pw_codec_decode(cons, NULL, unk, 3, &back, NULL, eb), PA_PARSE);
	pw_codec_destroy(prod);
	pw_codec_destroy(cons);
	pw_registry_destroy(preg);
	pw_registry_destroy(creg);
	pwt_registry_stop(fr);
}
END_TEST

/* Two record types on one topic (a payin and a UTR submission on
 * payatom.cmd.payin): AUTO registers the topic's main record under
 * <topic>-value and the other under <topic>-<full name>; plain
 * TopicNameStrategy cannot hold both and the second is refused. */
static pa_err_t encode_sample(pw_codec_t *codec, const char *topic,
			      const char *schema, const char *file, char *eb)
{
	char *txt = pwt_read_data(file, NULL);
	ck_assert_ptr_nonnull(txt);
	json_error_t je;
	json_t *rec = json_loads(txt, 0, &je);
	free(txt);
	ck_assert_ptr_nonnull(rec);
	uint8_t *out = NULL;
	size_t len = 0;
	pa_err_t err =
		pw_codec_encode(codec, topic, schema, rec, &out, &len, eb);
	if (err == PA_OK)
		ck_assert_int_eq(out[0], 0); /* Confluent magic byte */
	free(out);
	json_decref(rec);
	return err;
}

START_TEST(test_registry_subjects_follow_strategy)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	pw_registry_t *reg = client(pwt_registry_url(fr), NULL, NULL, 1);
	char eb[PA_ERRBUF_SIZE] = "";
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO, .registry = reg};
	pw_codec_t *codec;
	ck_assert_int_eq(pw_codec_new(&cc, &codec, eb), PA_OK);
	const char *t = "payatom.cmd.payin";
	ck_assert_msg(encode_sample(codec, t, "PayinCommand",
				    "avro/samples/payin_command.min.json",
				    eb) == PA_OK, "%s", eb);
	ck_assert_msg(encode_sample(codec, t, "UtrSubmitCommand",
				    "avro/samples/utr_submit_command.min.json",
				    eb) == PA_OK, "%s", eb);
	size_t ip, iu;
	const char *js;
	int32_t id;
	ck_assert_int_eq(pw_schemas_find("PayinCommand", &ip), PA_OK);
	ck_assert_int_eq(pw_schemas_find("UtrSubmitCommand", &iu), PA_OK);
	ck_assert_int_eq(pw_schemas_get(ip, NULL, &js, NULL), PA_OK);
	ck_assert_msg(pw_registry_lookup(reg, "payatom.cmd.payin-value", js, &id,
					 eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(pw_schemas_get(iu, NULL, &js, NULL), PA_OK);
	ck_assert_msg(pw_registry_lookup(
			      reg,
			      "payatom.cmd.payin-io.payatom.worker.UtrSubmitCommand",
			      js, &id, eb) == PA_OK,
		      "%s", eb);
	pw_codec_destroy(codec);
	/* TopicNameStrategy only: the second record type is refused */
	cc.subject_strategy = PW_SUBJECT_TOPIC;
	ck_assert_int_eq(pw_codec_new(&cc, &codec, eb), PA_OK);
	const char *t2 = "other.cmd.payin";
	ck_assert_int_eq(encode_sample(codec, t2, "PayinCommand",
				       "avro/samples/payin_command.min.json", eb),
			 PA_OK);
	ck_assert_int_ne(encode_sample(codec, t2, "UtrSubmitCommand",
				       "avro/samples/utr_submit_command.min.json",
				       eb),
			 PA_OK);
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry");
	struct {
		const char *name;
		const TTest *t;
	} cases[] = {
		{"cache", test_registry_registers_and_caches_both_ways},
		{"lookup", test_registry_lookup_without_auto_register},
		{"incompatible", test_registry_incompatible_schema_is_a_clear_error},
		{"apicurio_409", test_registry_apicurio_refusal_keeps_the_diff},
		{"auth_prefix", test_registry_basic_auth_and_path_prefix},
		{"unreachable", test_registry_unreachable_is_retryable},
		{"tls", test_registry_tls_ca_file},
		{"confluent", test_registry_confluent_round_trip_every_schema},
		{"subjects", test_registry_subjects_follow_strategy},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_test(tc, cases[i].t);
		suite_add_tcase(s, tc);
	}
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
