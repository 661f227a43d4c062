/* check_codec_fingerprint.c -- Parsing Canonical Form and CRC-64-AVRO
 * against the vectors the Avro project publishes
 * (share/test/data/schema-tests.txt), and the single-object header built
 * from them. */
#include <check.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "serde/avro_schema.h"
#include "serde/codec.h"
#include "pwtest.h"

START_TEST(test_codec_crc64_of_empty_input_is_the_spec_constant)
{
	ck_assert_uint_eq(pw_crc64_avro("", 0), PW_CRC64_AVRO_EMPTY);
	ck_assert_uint_eq(PW_CRC64_AVRO_EMPTY, UINT64_C(0xc15d213aa4d7a795));
}
END_TEST

START_TEST(test_codec_canonical_form_and_fingerprint_match_avro_vectors)
{
	char *txt = pwt_read_data("avro/fingerprints.json", NULL);
	ck_assert_ptr_nonnull(txt);
	json_t *vec = json_loads(txt, 0, NULL);
	free(txt);
	ck_assert_uint_ge(json_array_size(vec), 10);
	size_t i;
	json_t *v;
	json_array_foreach(vec, i, v)
	{
		const char *in = json_string_value(json_object_get(v, "input"));
		const char *want = json_string_value(json_object_get(v, "canonical"));
		int64_t fp = strtoll(json_string_value(json_object_get(v, "fingerprint")),
				     NULL, 10);
		char *canon = NULL;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_msg(pw_avsc_canonical_form(in, strlen(in), &canon, eb) == PA_OK,
			      "%s: %s", in, eb);
		ck_assert_str_eq(canon, want);
		ck_assert_msg(pw_crc64_avro(canon, strlen(canon)) == (uint64_t)fp,
			      "%s: %" PRIx64, in, pw_crc64_avro(canon, strlen(canon)));
		free(canon);
		if (!json_is_true(json_object_get(v, "recursive"))) {
			pw_avsc_t *s;
			ck_assert_int_eq(pw_avsc_parse(in, strlen(in), &s, eb), PA_OK);
			ck_assert_uint_eq(pw_avsc_fingerprint(s), (uint64_t)fp);
			pw_avsc_destroy(s);
		}
	}
	json_decref(vec);
}
END_TEST

/* [STRIP] doc/default/aliases/logicalType/namespace go, [FULLNAMES] names
 * become full, a named type is spelled out once, [ORDER] is fixed. */
START_TEST(test_codec_canonical_form_strips_and_qualifies)
{
	const char *in =
		"{\"doc\":\"d\",\"fields\":[{\"type\":{\"symbols\":[\"A\"],"
		"\"type\":\"enum\",\"name\":\"E\",\"default\":\"A\"},\"name\":"
		"\"a\",\"doc\":\"x\"},{\"name\":\"b\",\"type\":\"E\",\"default\":"
		"\"A\"},{\"name\":\"t\",\"type\":{\"type\":\"long\",\"logicalType\":"
		"\"timestamp-millis\"}},{\"name\":\"o\",\"type\":{\"type\":\"record\","
		"\"name\":\"O\",\"namespace\":\"other\",\"fields\":[{\"name\":\"e\","
		"\"type\":\"x.y.E\"}]}}],\"name\":\"R\",\"namespace\":\"x.y\","
		"\"type\":\"record\",\"aliases\":[\"Q\"]}";
	const char *want =
		"{\"name\":\"x.y.R\",\"type\":\"record\",\"fields\":[{\"name\":\"a\","
		"\"type\":{\"name\":\"x.y.E\",\"type\":\"enum\",\"symbols\":[\"A\"]}},"
		"{\"name\":\"b\",\"type\":\"x.y.E\"},{\"name\":\"t\",\"type\":\"long\"},"
		"{\"name\":\"o\",\"type\":{\"name\":\"other.O\",\"type\":\"record\","
		"\"fields\":[{\"name\":\"e\",\"type\":\"x.y.E\"}]}}]}";
	char *canon;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(pw_avsc_canonical_form(in, strlen(in), &canon, eb), PA_OK);
	ck_assert_str_eq(canon, want);
	free(canon);
}
END_TEST

START_TEST(test_codec_single_object_header_is_c3_01_and_le_fingerprint)
{
	pw_codec_conf_t conf = {.serialization = PW_SER_AVRO};
	pw_codec_t *codec;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_int_eq(pw_codec_new(&conf, &codec, eb), PA_OK);
	char *txt = pwt_read_data("avro/samples/status_check_command.min.json", NULL);
	json_t *rec = json_loads(txt, 0, NULL);
	free(txt);
	uint8_t *out;
	size_t len;
	ck_assert_int_eq(pw_codec_encode(codec, NULL, "StatusCheckCommand", rec,
					 &out, &len, eb), PA_OK);
	/* The fingerprint is computed here from the .avsc in the source tree
	 * (tests/data/../../schemas),
	 * not from what the codec embedded. */
	char p[1024];
	pwt_data_path("../../schemas/status_check_command.avsc", p, sizeof p);
	FILE *fp = fopen(p, "rb");
	ck_assert_ptr_nonnull(fp);
	char *sch = calloc(1, 65536);
	ck_assert_uint_gt(fread(sch, 1, 65535, fp), 0);
	fclose(fp);
	char *canon;
	ck_assert_int_eq(pw_avsc_canonical_form(sch, strlen(sch), &canon, eb), PA_OK);
	uint64_t fpr = pw_crc64_avro(canon, strlen(canon));
	ck_assert_uint_ge(len, 10);
	ck_assert_uint_eq(out[0], 0xC3);
	ck_assert_uint_eq(out[1], 0x01);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(out[2 + i], (uint8_t)(fpr >> (8 * i)));
	ck_assert_int_eq(pw_codec_detect(out, len), PW_FRAMING_SINGLE_OBJECT);
	free(canon);
	free(sch);
	free(out);
	json_decref(rec);
	pw_codec_destroy(codec);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("codec_fingerprint");
	TCase *tc = tcase_create("crc64");
	tcase_add_test(tc, test_codec_crc64_of_empty_input_is_the_spec_constant);
	suite_add_tcase(s, tc);
	tc = tcase_create("canonical");
	tcase_add_test(tc, test_codec_canonical_form_and_fingerprint_match_avro_vectors);
	tcase_add_test(tc, test_codec_canonical_form_strips_and_qualifies);
	suite_add_tcase(s, tc);
	tc = tcase_create("single_object");
	tcase_add_test(tc, test_codec_single_object_header_is_c3_01_and_le_fingerprint);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
