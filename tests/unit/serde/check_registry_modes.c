/* check_registry_modes.c -- schema.registry.auto.register=false and
 * schema.registry.use.latest.version against the fake registry: a read-only
 * registry with pre-registered subjects, a missing or different subject
 * refused with a message naming it, the subject's latest version as the
 * writer (older and incompatible versions), and the configuration that
 * combines the two keys. The real registry (Apicurio, read-only mode) is
 * tests/kafka/registry_modes.py. */
#include <check.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fake_registry.h"
#include "serde/codec.h"
#include "serde/codec_setup.h"
#include "serde/registry.h"
#include "serde/schemas.h"
#include "pwtest.h"

#define TOPIC "ro.evt.payment"
#define SUBJECT TOPIC "-value"

static pw_registry_t *client(const char *url, int auto_register, int latest)
{
	pw_registry_conf_t conf = {.url = url, .timeout_ms = pwt_ms(5000),
				   .auto_register = auto_register,
				   .use_latest = latest};
	pw_registry_t *reg = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_registry_new(&conf, &reg, eb) == PA_OK, "%s", eb);
	return reg;
}

static pw_codec_t *codec_on(pw_registry_t *reg)
{
	pw_codec_conf_t cc = {.serialization = PW_SER_AVRO, .registry = reg};
	pw_codec_t *codec = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_new(&cc, &codec, eb) == PA_OK, "%s", eb);
	return codec;
}

/* Our embedded PaymentStatusEvent, parsed (new reference). */
static json_t *our_schema(void)
{
	size_t idx;
	const char *js;
	size_t len;
	ck_assert_int_eq(pw_schemas_find("PaymentStatusEvent", &idx), PA_OK);
	ck_assert_int_eq(pw_schemas_get(idx, NULL, &js, &len), PA_OK);
	json_t *j = json_loadb(js, len, JSON_PRESERVE_ORDER, NULL);
	ck_assert_ptr_nonnull(j);
	return j;
}

static const char *our_text(void)
{
	size_t idx;
	const char *js;
	ck_assert_int_eq(pw_schemas_find("PaymentStatusEvent", &idx), PA_OK);
	ck_assert_int_eq(pw_schemas_get(idx, NULL, &js, NULL), PA_OK);
	return js;
}

/* sch without field name (new string; caller frees). */
static char *without_field(json_t *sch, const char *name)
{
	json_t *fields = json_object_get(sch, "fields");
	size_t i;
	json_t *f;
	json_array_foreach(fields, i, f)
	{
		if (!strcmp(json_string_value(json_object_get(f, "name")), name)) {
			json_array_remove(fields, i);
			break;
		}
	}
	return json_dumps(sch, JSON_PRESERVE_ORDER | JSON_INDENT(1));
}

static json_t *sample_event(void)
{
	char *txt = pwt_read_data("avro/samples/payment_status_event.full.json",
				  NULL);
	ck_assert_ptr_nonnull(txt);
	json_t *rec = json_loads(txt, 0, NULL);
	free(txt);
	ck_assert_ptr_nonnull(rec);
	return rec;
}

static int32_t framed_id(const uint8_t *buf, size_t len)
{
	ck_assert_uint_ge(len, 5);
	ck_assert_uint_eq(buf[0], 0);
	return (int32_t)((uint32_t)buf[1] << 24 | (uint32_t)buf[2] << 16 |
			 (uint32_t)buf[3] << 8 | buf[4]);
}

/* auto.register=false on a read-only registry: our schema, registered by
 * someone else beforehand, is found and its id frames the records; the
 * worker never tries to write. With auto.register=true the same registry
 * refuses the write, and the error says which key to change. */
START_TEST(test_registry_read_only_frames_with_the_pre_registered_id)
{
	pwt_registry_t *fr = pwt_registry_start("/apis/ccompat/v7", NULL, NULL);
	ck_assert_ptr_nonnull(fr);
	pwt_registry_put(fr, "other-value", "\"string\"");
	int pre = pwt_registry_put(fr, SUBJECT, our_text());
	ck_assert_int_gt(pre, 1);
	pwt_registry_set_read_only(fr, 1);

	pw_registry_t *reg = client(pwt_registry_url(fr), 0, 0);
	pw_codec_t *codec = codec_on(reg);
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_prepare(codec, TOPIC, "PaymentStatusEvent", eb) ==
			      PA_OK, "%s", eb);
	json_t *rec = sample_event();
	uint8_t *buf;
	size_t len;
	ck_assert_msg(pw_codec_encode(codec, TOPIC, "PaymentStatusEvent", rec,
				      &buf, &len, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(framed_id(buf, len), pre);
	json_t *back;
	ck_assert_int_eq(pw_codec_decode(codec, "PaymentStatusEvent", buf, len,
					 &back, NULL, eb), PA_OK);
	ck_assert(json_equal(back, rec));
	json_decref(back);
	free(buf);
	ck_assert_uint_eq(pwt_registry_registrations(fr), 0);
	ck_assert_uint_eq(pwt_registry_refused_writes(fr), 0);
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);

	/* the default, auto.register=true, cannot work here */
	reg = client(pwt_registry_url(fr), 1, 0);
	codec = codec_on(reg);
	ck_assert_int_eq(pw_codec_prepare(codec, "ro.dlq", "DeadLetter", eb),
			 PA_AUTH);
	ck_assert_msg(strstr(eb, "schema.registry.auto.register=false") &&
			      strstr(eb, "ro.dlq-value") && strstr(eb, "403"),
		      "%s", eb);
	ck_assert_uint_eq(pwt_registry_refused_writes(fr), 1);
	json_decref(rec);
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

/* auto.register=false: a subject that is missing, or holds another version
 * only, stops the start with a message naming the subject and what to do. A
 * version equal to ours in Parsing Canonical Form but written differently
 * (reformatted by whoever registered it) is ours. */
START_TEST(test_registry_lookup_names_a_missing_or_different_subject)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	pwt_registry_set_read_only(fr, 1);
	pw_registry_t *reg = client(pwt_registry_url(fr), 0, 0);
	pw_codec_t *codec = codec_on(reg);
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(pw_codec_prepare(codec, TOPIC, "PaymentStatusEvent", eb),
			 PA_NOT_FOUND);
	ck_assert_msg(strstr(eb, "subject " SUBJECT " is not registered") &&
			      strstr(eb, "auto.register=false") &&
			      strstr(eb, "PaymentStatusEvent"),
		      "%s", eb);
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);

	json_t *sch = our_schema();
	char *older = without_field(sch, "reason");
	int old_id = pwt_registry_put(fr, SUBJECT, older);
	reg = client(pwt_registry_url(fr), 0, 0);
	codec = codec_on(reg);
	ck_assert_int_eq(pw_codec_prepare(codec, TOPIC, "PaymentStatusEvent", eb),
			 PA_NOT_FOUND);
	char want[64];
	snprintf(want, sizeof want, "id %d", old_id);
	ck_assert_msg(strstr(eb, "no version equal to our PaymentStatusEvent") &&
			      strstr(eb, want) &&
			      strstr(eb, "use.latest.version=true"),
		      "%s", eb);
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);

	/* ours, re-indented: the text lookup misses, the canonical form
	 * matches */
	json_decref(sch);
	sch = our_schema();
	char *reformatted = json_dumps(sch, JSON_PRESERVE_ORDER | JSON_INDENT(7));
	int same = pwt_registry_put(fr, SUBJECT, reformatted);
	reg = client(pwt_registry_url(fr), 0, 0);
	codec = codec_on(reg);
	ck_assert_msg(pw_codec_prepare(codec, TOPIC, "PaymentStatusEvent", eb) ==
			      PA_OK, "%s", eb);
	json_t *rec = sample_event();
	uint8_t *buf;
	size_t len;
	ck_assert_int_eq(pw_codec_encode(codec, TOPIC, "PaymentStatusEvent", rec,
					 &buf, &len, eb), PA_OK);
	ck_assert_int_eq(framed_id(buf, len), same);
	free(buf);
	ck_assert_uint_eq(pwt_registry_refused_writes(fr), 0);
	json_decref(rec);
	json_decref(sch);
	free(older);
	free(reformatted);
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

/* use.latest.version: the subject's latest version (an older release
 * without `reason`) is the writer: records carry its id, lack the field it
 * lacks, and read back (through the registry, as any consumer) with that
 * field at its default and everything else intact. */
START_TEST(test_registry_latest_version_is_the_writer)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	json_t *sch = our_schema();
	char *older = without_field(sch, "reason");
	int old_id = pwt_registry_put(fr, SUBJECT, older);
	pwt_registry_set_read_only(fr, 1);
	pw_registry_t *reg = client(pwt_registry_url(fr), 0, 1);
	pw_codec_t *codec = codec_on(reg);
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_prepare(codec, TOPIC, "PaymentStatusEvent", eb) ==
			      PA_OK, "%s", eb);
	size_t asked = pwt_registry_requests(fr);
	json_t *rec = sample_event();
	ck_assert_ptr_nonnull(json_string_value(json_object_get(rec, "reason")));
	uint8_t *buf;
	size_t len;
	ck_assert_msg(pw_codec_encode(codec, TOPIC, "PaymentStatusEvent", rec,
				      &buf, &len, eb) == PA_OK, "%s", eb);
	ck_assert_int_eq(framed_id(buf, len), old_id);
	ck_assert_uint_eq(pwt_registry_requests(fr), asked); /* cached */

	pw_registry_t *creg = client(pwt_registry_url(fr), 0, 0);
	pw_codec_t *cons = codec_on(creg);
	json_t *back;
	ck_assert_msg(pw_codec_decode(cons, "PaymentStatusEvent", buf, len,
				      &back, NULL, eb) == PA_OK, "%s", eb);
	ck_assert(json_is_null(json_object_get(back, "reason")));
	json_object_set_new(back, "reason",
			    json_incref(json_object_get(rec, "reason")));
	ck_assert(json_equal(back, rec));
	json_decref(back);
	free(buf);
	ck_assert_uint_eq(pwt_registry_refused_writes(fr), 0);
	ck_assert_uint_eq(pwt_registry_registrations(fr), 0);
	pw_codec_destroy(cons);
	pw_registry_destroy(creg);
	json_decref(rec);
	json_decref(sch);
	free(older);
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

/* use.latest.version: a latest version that cannot read our records (a
 * field we do not write, without a default), another record, or no
 * subject at all stops the start naming the subject and the reason. */
START_TEST(test_registry_latest_version_must_read_ours)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	json_t *sch = our_schema();
	json_array_append_new(json_object_get(sch, "fields"),
			      json_pack("{s:s, s:s, s:s}", "name", "settlement_batch",
					"type", "string", "doc", "x"));
	char *newer = json_dumps(sch, JSON_PRESERVE_ORDER);
	pwt_registry_put(fr, SUBJECT, newer);
	pwt_registry_put(fr, "ro.dlq-value", "{\"type\":\"record\",\"name\":"
					     "\"Other\",\"fields\":[]}");
	pw_registry_t *reg = client(pwt_registry_url(fr), 0, 1);
	pw_codec_t *codec = codec_on(reg);
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(pw_codec_prepare(codec, TOPIC, "PaymentStatusEvent", eb),
			 PA_VALIDATION);
	ck_assert_msg(strstr(eb, "subject " SUBJECT) &&
			      strstr(eb, "cannot read our PaymentStatusEvent") &&
			      strstr(eb, "settlement_batch"),
		      "%s", eb);
	ck_assert_int_eq(pw_codec_prepare(codec, "ro.dlq", "DeadLetter", eb),
			 PA_VALIDATION);
	ck_assert_msg(strstr(eb, "is Other, not our io.payatom.worker.DeadLetter"),
		      "%s", eb);
	ck_assert_int_eq(pw_codec_prepare(codec, "ro.evt.refund",
					  "RefundStatusEvent", eb),
			 PA_NOT_FOUND);
	ck_assert_msg(strstr(eb, "ro.evt.refund-value has no registered version"),
		      "%s", eb);
	/* a latest version that is ours: no conversion, its id */
	size_t idx;
	const char *cs;
	ck_assert_int_eq(pw_schemas_find("ComplaintStatusEvent", &idx), PA_OK);
	ck_assert_int_eq(pw_schemas_get(idx, NULL, &cs, NULL), PA_OK);
	int cid = pwt_registry_put(fr, "ro.evt.complaint-value", cs);
	ck_assert_msg(pw_codec_prepare(codec, "ro.evt.complaint",
				       "ComplaintStatusEvent", eb) == PA_OK,
		      "%s", eb);
	char *txt = pwt_read_data("avro/samples/complaint_status_event.full.json",
				  NULL);
	json_t *rec = json_loads(txt, 0, NULL);
	free(txt);
	uint8_t *buf;
	size_t len;
	ck_assert_int_eq(pw_codec_encode(codec, "ro.evt.complaint",
					 "ComplaintStatusEvent", rec, &buf, &len,
					 eb), PA_OK);
	ck_assert_int_eq(framed_id(buf, len), cid);
	free(buf);
	json_decref(rec);
	ck_assert_uint_eq(pwt_registry_registrations(fr), 0);
	json_decref(sch);
	free(newer);
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
}
END_TEST

/* The two keys together: use.latest.version only with
 * auto.register=false, refused by the configuration with both names. */
START_TEST(test_registry_latest_version_needs_auto_register_off)
{
	pw_worker_conf_t wc;
	memset(&wc, 0, sizeof wc);
	wc.serialization = PW_SERDE_AVRO;
	wc.schema_registry_url = "http://127.0.0.1:1";
	wc.schema_registry_ca_location = "";
	wc.schema_registry_auto_register = 1;
	wc.schema_registry_use_latest_version = 1;
	pw_codec_setup_t cs;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(pw_codec_setup(&wc, &cs, eb), PA_CONFIG);
	ck_assert_msg(strstr(eb, "schema.registry.use.latest.version") &&
			      strstr(eb, "schema.registry.auto.register=false"),
		      "%s", eb);
	wc.schema_registry_auto_register = 0;
	ck_assert_int_eq(pw_codec_setup(&wc, &cs, eb), PA_OK);
	ck_assert(pw_registry_use_latest(cs.registry));
	ck_assert(!pw_registry_auto_register(cs.registry));
	pw_codec_setup_free(&cs);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("registry_modes");
	struct {
		const char *name;
		const TTest *t;
	} cases[] = {
		{"read_only", test_registry_read_only_frames_with_the_pre_registered_id},
		{"lookup", test_registry_lookup_names_a_missing_or_different_subject},
		{"latest", test_registry_latest_version_is_the_writer},
		{"latest_refused", test_registry_latest_version_must_read_ours},
		{"config", test_registry_latest_version_needs_auto_register_off},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		TCase *tc = tcase_create(cases[i].name);
		tcase_add_test(tc, cases[i].t);
		suite_add_tcase(s, tc);
	}
	return pwt_run_suite(s);
}
