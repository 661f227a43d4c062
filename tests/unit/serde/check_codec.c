/* check_codec.c -- records <-> bytes: round trips of every schema in the
 * single-object and JSON framings, Avro-C reading our bytes, schema
 * resolution, strict encoding errors, precise decoding errors, the operator
 * helpers. (Confluent framing: check_registry.c.) */
#include <avro.h>
#include <check.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde/avro_schema.h"
#include "serde/codec.h"
#include "serde/codec_plan.h"
#include "serde/codec_priv.h"
#include "serde/schemas.h"
#include "pwtest.h"

static pw_codec_t *new_codec(pw_serialization_t ser)
{
	pw_codec_conf_t conf = {.serialization = ser};
	pw_codec_t *codec = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_new(&conf, &codec, eb) == PA_OK, "%s", eb);
	return codec;
}

static json_t *load_json(const char *name)
{
	char *txt = pwt_read_data(name, NULL);
	ck_assert_msg(txt != NULL, "missing %s", name);
	json_error_t jerr;
	json_t *j = json_loads(txt, 0, &jerr);
	ck_assert_msg(j != NULL, "%s: %s", name, jerr.text);
	free(txt);
	return j;
}

static json_t *schema_json(size_t i)
{
	const char *json;
	size_t len;
	pw_schemas_get(i, NULL, &json, &len);
	return json_loadb(json, len, 0, NULL);
}

/* sample + the .avsc defaults of the fields it leaves out. */
static json_t *expected_of(const json_t *sample, size_t i)
{
	json_t *sch = schema_json(i);
	json_t *exp = json_deep_copy(sample);
	size_t k;
	json_t *f;
	json_array_foreach(json_object_get(sch, "fields"), k, f)
	{
		const char *name = json_string_value(json_object_get(f, "name"));
		if (!json_object_get(exp, name))
			json_object_set(exp, name, json_object_get(f, "default"));
	}
	json_decref(sch);
	return exp;
}

static void round_trip(pw_codec_t *codec, size_t i, const char *variant,
		       pw_framing_t framing)
{
	const char *file;
	pw_schemas_get(i, &file, NULL, NULL);
	char name[128], data[256];
	pw_schemas_name(i, name, sizeof name);
	snprintf(data, sizeof data, "avro/samples/%.*s.%s.json",
		 (int)(strlen(file) - 5), file, variant);
	json_t *sample = load_json(data);
	json_t *exp = expected_of(sample, i);
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE] = "";
	ck_assert_msg(pw_codec_encode(codec, "t", name, sample, &buf, &len, eb) == PA_OK,
		      "%s: %s", data, eb);
	ck_assert_int_eq(pw_codec_detect(buf, len), framing);
	json_t *back;
	const char *got;
	/* Without and with the expected schema. */
	ck_assert_msg(pw_codec_decode(codec, NULL, buf, len, &back, &got, eb) == PA_OK,
		      "%s: %s", data, eb);
	ck_assert_str_eq(got, name);
	char *a = json_dumps(back, JSON_SORT_KEYS), *b = json_dumps(exp, JSON_SORT_KEYS);
	ck_assert_msg(json_equal(back, exp), "%s:\n got %s\nwant %s", data, a, b);
	free(a);
	free(b);
	json_decref(back);
	ck_assert_int_eq(pw_codec_decode(codec, name, buf, len, &back, &got, eb), PA_OK);
	ck_assert(json_equal(back, exp));
	json_decref(back);
	free(buf);
	json_decref(sample);
	json_decref(exp);
}

START_TEST(test_codec_round_trip_single_object_every_schema)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		round_trip(codec, i, "full", PW_FRAMING_SINGLE_OBJECT);
		round_trip(codec, i, "min", PW_FRAMING_SINGLE_OBJECT);
	}
	pw_codec_destroy(codec);
}
END_TEST

START_TEST(test_codec_round_trip_json_every_schema)
{
	pw_codec_t *codec = new_codec(PW_SER_JSON);
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		round_trip(codec, i, "full", PW_FRAMING_JSON);
		round_trip(codec, i, "min", PW_FRAMING_JSON);
	}
	pw_codec_destroy(codec);
}
END_TEST

/* The one-pass writers (codec_plan.c) against the conformed tree: JSON
 * text equal to what Jansson dumps for it, Avro bytes equal to what the
 * tree writer (pw__avro_write) makes of it; strings that need escaping
 * (quotes, backslash, controls, UTF-8, a slash) in every string field
 * and map key the schema accepts them in. */
static void one_pass_matches(const pw_avsc_t *s, const json_t *rec,
			     const char *what)
{
	char eb[PA_ERRBUF_SIZE] = "";
	json_t *tree = NULL;
	ck_assert_msg(pw__json_conform(pw_avsc_plan(s), rec, PW__CONFORM_STRICT,
				       &tree, eb) == PA_OK,
		      "%s: %s", what, eb);
	char *want = json_dumps(tree, JSON_COMPACT | JSON_PRESERVE_ORDER);
	pw__buf_t b = {0}, a1 = {0}, a2 = {0};
	ck_assert_int_eq(pw__plan_walk(pw_avsc_plan(s), rec, PW__CONFORM_STRICT,
				       PW__OUT_JSON, &b, NULL, eb),
			 PA_OK);
	ck_assert_msg(b.len == strlen(want) && !memcmp(b.p, want, b.len),
		      "%s:\n got %.*s\nwant %s", what, (int)b.len,
		      (const char *)b.p, want);
	ck_assert_int_eq(pw__avro_write(pw_avsc_root(s), tree, &a1, eb), PA_OK);
	ck_assert_int_eq(pw__plan_walk(pw_avsc_plan(s), rec, PW__CONFORM_STRICT,
				       PW__OUT_AVRO, &a2, NULL, eb),
			 PA_OK);
	ck_assert_msg(a1.len == a2.len && !memcmp(a1.p, a2.p, a1.len),
		      "%s: Avro bytes differ (%zu vs %zu)", what, a2.len,
		      a1.len);
	free(want);
	free(b.p);
	free(a1.p);
	free(a2.p);
	json_decref(tree);
}

START_TEST(test_codec_one_pass_writes_what_the_tree_dumps)
{
	static const char nasty[] = "q\"b\\s/\n\t\x01\x1f\x7f \xc3\xa9 "
				    "\xe2\x82\xac \xf0\x9f\x98\x80";
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file, *json;
		size_t len;
		pw_schemas_get(i, &file, &json, &len);
		pw_avsc_t *s;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_int_eq(pw_avsc_parse(json, len, &s, eb), PA_OK);
		static const char *const variants[] = {"full", "min"};
		for (size_t v = 0; v < 2; v++) {
			char data[256];
			snprintf(data, sizeof data, "avro/samples/%.*s.%s.json",
				 (int)(strlen(file) - 5), file, variants[v]);
			json_t *rec = load_json(data);
			one_pass_matches(s, rec, data);
			/* every string field (not an enum) and map gets text
			 * that needs escaping */
			const char *key;
			json_t *val;
			void *tmp;
			json_object_foreach_safe(rec, tmp, key, val)
			{
				json_t *old = json_incref(val);
				if (json_is_string(val))
					json_object_set_new(rec, key,
							    json_string(nasty));
				else if (json_is_object(val) &&
					 json_object_size(val) &&
					 json_is_string(json_object_iter_value(
						 json_object_iter(val))))
					json_object_set_new(val, nasty,
							    json_string(nasty));
				json_t *t = NULL;
				if (pw__json_conform(pw_avsc_plan(s), rec,
						     PW__CONFORM_STRICT, &t,
						     NULL) != PA_OK) {
					if (json_is_object(old))
						json_object_del(old, nasty);
					json_object_set(rec, key, old);
				}
				json_decref(t);
				json_decref(old);
			}
			one_pass_matches(s, rec, data);
			json_decref(rec);
		}
		pw_avsc_destroy(s);
	}
}
END_TEST

/* JSON output is the plain record: unions unwrapped, fields in schema
 * order, defaults present. */
START_TEST(test_codec_json_is_plain_not_avro_json)
{
	pw_codec_t *codec = new_codec(PW_SER_JSON);
	json_t *rec = load_json("avro/samples/payment_status_event.min.json");
	json_object_set_new(rec, "ref_code", json_string("abc"));
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_codec_encode(codec, NULL, "PaymentStatusEvent", rec,
					 &buf, &len, eb), PA_OK);
	char *txt = strndup((char *)buf, len);
	ck_assert_ptr_nonnull(strstr(txt, "\"ref_code\":\"abc\""));
	ck_assert_ptr_null(strstr(txt, "{\"string\""));
	ck_assert_ptr_nonnull(strstr(txt, "\"qr_code\":null"));
	ck_assert(strncmp(txt, "{\"event_type\":\"payment\",\"event_id\"", 34) == 0);
	free(txt);
	free(buf);
	json_decref(rec);
	pw_codec_destroy(codec);
}
END_TEST

/* Avro-C, the reference implementation, reads every record we write and
 * writes it back byte for byte. */
START_TEST(test_codec_avro_c_reads_our_bytes)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file, *json;
		size_t slen;
		pw_schemas_get(i, &file, &json, &slen);
		char name[128], data[256];
		pw_schemas_name(i, name, sizeof name);
		snprintf(data, sizeof data, "avro/samples/%.*s.full.json",
			 (int)(strlen(file) - 5), file);
		json_t *sample = load_json(data);
		uint8_t *buf;
		size_t len;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_int_eq(pw_codec_encode(codec, NULL, name, sample, &buf,
						 &len, eb), PA_OK);
		avro_schema_t as;
		ck_assert_int_eq(avro_schema_from_json_length(json, slen, &as), 0);
		avro_value_iface_t *iface = avro_generic_class_from_schema(as);
		avro_value_t v;
		ck_assert_int_eq(avro_generic_value_new(iface, &v), 0);
		avro_reader_t rd = avro_reader_memory((const char *)buf + 10,
						      (int64_t)(len - 10));
		ck_assert_msg(avro_value_read(rd, &v) == 0, "%s: %s", name,
			      avro_strerror());
		size_t size;
		ck_assert_int_eq(avro_value_sizeof(&v, &size), 0);
		ck_assert_uint_eq(size, len - 10);
		char *again = malloc(size);
		avro_writer_t wr = avro_writer_memory(again, (int64_t)size);
		ck_assert_int_eq(avro_value_write(wr, &v), 0);
		ck_assert(memcmp(again, buf + 10, size) == 0);
		/* and a spot check of values */
		avro_value_t f;
		const json_t *mer = json_object_get(sample, "merchant");
		if (json_is_string(mer) &&
		    avro_value_get_by_name(&v, "merchant", &f, NULL) == 0 &&
		    avro_value_get_type(&f) == AVRO_STRING) {
			const char *s;
			size_t sl;
			ck_assert_int_eq(avro_value_get_string(&f, &s, &sl), 0);
			ck_assert_str_eq(s, json_string_value(mer));
		}
		free(again);
		avro_writer_free(wr);
		avro_reader_free(rd);
		avro_value_decref(&v);
		avro_value_iface_decref(iface);
		avro_schema_decref(as);
		free(buf);
		json_decref(sample);
	}
	pw_codec_destroy(codec);
}
END_TEST

/* Records written with another version of a schema resolve to ours: new
 * fields get their defaults, unknown fields are dropped, an unknown status
 * symbol reads as the enum default (UNRESOLVED). */
START_TEST(test_codec_resolves_other_writer_version)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	size_t slen;
	char *sch = pwt_read_data("avro/payment_status_event.other_writer.avsc", &slen);
	ck_assert_ptr_nonnull(sch);
	char eb[PA_ERRBUF_SIZE] = "";
	pw_avsc_t *w;
	ck_assert_int_eq(pw_avsc_parse(sch, slen, &w, eb), PA_OK);
	json_t *rec = load_json("avro/payment_status_event.other_writer.json");
	/* Avro-C writes the body: an independent writer for this test. */
	avro_schema_t as;
	ck_assert_int_eq(avro_schema_from_json_length(sch, slen, &as), 0);
	avro_value_iface_t *iface = avro_generic_class_from_schema(as);
	avro_value_t v, f, br;
	avro_generic_value_new(iface, &v);
	size_t n;
	avro_value_get_size(&v, &n);
	for (size_t i = 0; i < n; i++) {
		const char *fname;
		avro_value_get_by_index(&v, i, &f, &fname);
		json_t *jv = json_object_get(rec, fname);
		avro_type_t t = avro_value_get_type(&f);
		if (t == AVRO_UNION) {
			if (json_is_null(jv)) {
				avro_value_set_branch(&f, 0, &br);
				avro_value_set_null(&br);
				continue;
			}
			avro_value_set_branch(&f, 1, &br);
			f = br;
			t = avro_value_get_type(&f);
		}
		if (t == AVRO_STRING)
			avro_value_set_string(&f, json_string_value(jv));
		else if (t == AVRO_INT64)
			avro_value_set_long(&f, json_integer_value(jv));
		else if (t == AVRO_INT32)
			avro_value_set_int(&f, (int32_t)json_integer_value(jv));
		else if (t == AVRO_ENUM) {
			avro_schema_t es = avro_value_get_schema(&f);
			int sym = avro_schema_enum_get_by_name(es, json_string_value(jv));
			ck_assert_int_ge(sym, 0);
			avro_value_set_enum(&f, sym);
		} else
			ck_abort_msg("unexpected type for %s", fname);
	}
	size_t size;
	avro_value_sizeof(&v, &size);
	uint8_t *buf = malloc(size + 10);
	uint64_t fp = pw_avsc_fingerprint(w);
	buf[0] = 0xC3;
	buf[1] = 0x01;
	for (int i = 0; i < 8; i++)
		buf[2 + i] = (uint8_t)(fp >> (8 * i));
	avro_writer_t wr = avro_writer_memory((char *)buf + 10, (int64_t)size);
	ck_assert_int_eq(avro_value_write(wr, &v), 0);
	avro_writer_free(wr);

	json_t *out;
	const char *name;
	/* Unknown until the codec is told about that writer schema. */
	ck_assert_int_eq(pw_codec_decode(codec, NULL, buf, size + 10, &out, &name, eb),
			 PA_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(eb, "fingerprint"));
	char dir[1024];
	pwt_data_path("avro", dir, sizeof dir);
	ck_assert_int_eq(pw_codec_add_schema_dir(codec, dir, eb), PA_OK);
	ck_assert_int_eq(pw_codec_add_schema_dir(codec, "/nonexistent", eb), PA_IO);
	ck_assert_msg(pw_codec_decode(codec, "PaymentStatusEvent", buf, size + 10,
				      &out, &name, eb) == PA_OK, "%s", eb);
	ck_assert_str_eq(name, "PaymentStatusEvent");
	ck_assert_str_eq(json_string_value(json_object_get(out, "status")), "UNRESOLVED");
	ck_assert_ptr_null(json_object_get(out, "legacy_note"));
	ck_assert(json_is_null(json_object_get(out, "intents")));
	ck_assert(json_is_false(json_object_get(out, "terminal")));
	ck_assert_str_eq(json_string_value(json_object_get(out, "order_id")),
			 json_string_value(json_object_get(rec, "order_id")));
	ck_assert_int_eq(json_integer_value(json_object_get(out, "received_amount_minor")),
			 json_integer_value(json_object_get(rec, "received_amount_minor")));
	ck_assert_str_eq(json_string_value(json_object_get(out, "direction")), "PAYIN");
	json_decref(out);
	free(buf);
	avro_value_decref(&v);
	avro_value_iface_decref(iface);
	avro_schema_decref(as);
	json_decref(rec);
	pw_avsc_destroy(w);
	free(sch);
	pw_codec_destroy(codec);
}
END_TEST

static pa_err_t encode_err(pw_codec_t *codec, const char *schema, json_t *rec,
			   char *eb)
{
	uint8_t *buf = NULL;
	size_t len;
	pa_err_t err = pw_codec_encode(codec, NULL, schema, rec, &buf, &len, eb);
	free(buf);
	json_decref(rec);
	return err;
}

/* Encoding is strict: the worker's own records must match the contract. */
START_TEST(test_codec_encode_rejects_invalid_records_with_path)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	char eb[PA_ERRBUF_SIZE];
	json_t *r = load_json("avro/samples/payin_command.full.json");
	json_object_set_new(json_object_get(r, "customer"), "email", json_integer(5));
	ck_assert_int_eq(encode_err(codec, "PayinCommand", r, eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "customer.email: expected string, got integer"));

	r = load_json("avro/samples/payin_command.full.json");
	json_object_set_new(r, "upi_idd", json_string("x@upi"));
	ck_assert_int_eq(encode_err(codec, "PayinCommand", r, eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "unknown field \"upi_idd\""));

	r = load_json("avro/samples/payin_command.full.json");
	json_object_del(r, "order_id");
	ck_assert_int_eq(encode_err(codec, "PayinCommand", r, eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "order_id: missing required field"));

	r = load_json("avro/samples/payment_status_event.full.json");
	json_object_set_new(r, "status", json_string("APPROVED"));
	ck_assert_int_eq(encode_err(codec, "PaymentStatusEvent", r, eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "status: unknown symbol \"APPROVED\""));

	r = load_json("avro/samples/payment_status_event.full.json");
	json_object_set_new(r, "amount_minor", json_real(12.5));
	ck_assert_int_eq(encode_err(codec, "PaymentStatusEvent", r, eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "amount_minor: expected integer"));

	r = load_json("avro/samples/payment_status_event.full.json");
	json_object_set_new(json_object_get(r, "intents"), "bad", json_integer(1));
	ck_assert_int_eq(encode_err(codec, "PaymentStatusEvent", r, eb), PA_VALIDATION);
	/* a map's keys are data: the path names the entry by position */
	ck_assert_ptr_nonnull(strstr(eb, "intents[key #"));
	ck_assert_ptr_nonnull(strstr(eb, "]: expected string"));
	ck_assert_ptr_null(strstr(eb, "bad"));

	r = load_json("avro/samples/dead_letter.full.json");
	json_object_set_new(r, "payload", json_string("not base64!"));
	ck_assert_int_eq(encode_err(codec, "DeadLetter", r, eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "payload"));

	r = load_json("avro/samples/dead_letter.full.json");
	json_object_set_new(r, "partition", json_integer(1LL << 40));
	ck_assert_int_eq(encode_err(codec, "DeadLetter", r, eb), PA_VALIDATION);

	r = load_json("avro/samples/dead_letter.full.json");
	ck_assert_int_eq(encode_err(codec, "NoSuchSchema", r, eb), PA_NOT_FOUND);
	pw_codec_destroy(codec);
}
END_TEST

START_TEST(test_codec_timestamp_accepts_iso8601_input)
{
	pw_codec_t *codec = new_codec(PW_SER_JSON);
	json_t *r = load_json("avro/samples/status_check_command.min.json");
	json_object_set_new(r, "created_at", json_string("2026-11-26T11:20:00.123Z"));
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_codec_encode(codec, NULL, "StatusCheckCommand", r,
					 &buf, &len, eb), PA_OK);
	json_t *back;
	ck_assert_int_eq(pw_codec_decode(codec, NULL, buf, len, &back, NULL, eb), PA_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(back, "created_at")),
			 1795692000123LL);
	json_decref(back);
	free(buf);
	json_object_set_new(r, "created_at", json_string("2026-11-26T16:50:00+05:30"));
	ck_assert_int_eq(pw_codec_encode(codec, NULL, "StatusCheckCommand", r,
					 &buf, &len, eb), PA_OK);
	ck_assert_int_eq(pw_codec_decode(codec, NULL, buf, len, &back, NULL, eb), PA_OK);
	ck_assert_int_eq(json_integer_value(json_object_get(back, "created_at")),
			 1795692000000LL);
	json_decref(back);
	free(buf);
	json_object_set_new(r, "created_at", json_string("2026-11-26 11:20:00"));
	ck_assert_int_eq(encode_err(codec, "StatusCheckCommand", r, eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "created_at"));
	pw_codec_destroy(codec);
}
END_TEST

static uint8_t *encoded(pw_codec_t *codec, const char *schema,
			const char *sample, size_t *len)
{
	json_t *r = load_json(sample);
	uint8_t *buf;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_codec_encode(codec, NULL, schema, r, &buf, len, eb), PA_OK);
	json_decref(r);
	return buf;
}

static pa_err_t decode_err(pw_codec_t *codec, const char *expect,
			   const void *buf, size_t len, char *eb)
{
	json_t *rec = NULL;
	pa_err_t err = pw_codec_decode(codec, expect, buf, len, &rec, NULL, eb);
	ck_assert(err != PA_OK || rec != NULL);
	json_decref(rec);
	return err;
}

/* Undecodable bytes and unknown writers: precise errors for the DLQ. */
START_TEST(test_codec_decode_errors_are_precise)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	char eb[PA_ERRBUF_SIZE];
	size_t len;
	uint8_t *buf = encoded(codec, "PaymentStatusEvent",
			       "avro/samples/payment_status_event.full.json", &len);

	ck_assert_int_eq(decode_err(codec, NULL, buf, 0, eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "empty"));
	ck_assert_int_eq(decode_err(codec, NULL, "\x7fhello", 6, eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "unknown framing (first byte 0x7f"));
	ck_assert_int_eq(decode_err(codec, NULL, buf, 7, eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "needs 10 bytes"));
	ck_assert_int_eq(decode_err(codec, NULL, buf, len - 3, eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "undecodable Avro at byte"));

	uint8_t *more = malloc(len + 2);
	memcpy(more, buf, len);
	more[len] = 0;
	more[len + 1] = 0;
	ck_assert_int_eq(decode_err(codec, NULL, more, len + 2, eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "2 trailing bytes"));

	memcpy(more, buf, len);
	more[5] ^= 0x55; /* fingerprint */
	ck_assert_int_eq(decode_err(codec, NULL, more, len, eb), PA_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(eb, "unknown writer schema: fingerprint 0x"));

	/* A string length far beyond the buffer is refused before any
	 * allocation: event_type is the first field. */
	memcpy(more, buf, 10);
	static const uint8_t huge[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f};
	memcpy(more + 10, huge, sizeof huge);
	ck_assert_int_eq(decode_err(codec, NULL, more, 18, eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "event_type"));
	ck_assert_ptr_nonnull(strstr(eb, "length exceeds the bytes left"));

	/* Not UTF-8 in a string. */
	memcpy(more, buf, len);
	more[11] = 0xff; /* first byte of "payment" */
	ck_assert_int_eq(decode_err(codec, NULL, more, len, eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "UTF-8"));

	/* Confluent framing without a registry. */
	static const uint8_t conf[] = {0, 0, 0, 0, 42, 2, 'a'};
	ck_assert_int_eq(decode_err(codec, NULL, conf, sizeof conf, eb), PA_NOT_FOUND);
	ck_assert_ptr_nonnull(strstr(eb, "schema id 42"));

	/* Wrong schema for the topic. */
	ck_assert_int_eq(decode_err(codec, "PayinCommand", buf, len, eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "expected a PayinCommand record, got PaymentStatusEvent"));

	/* JSON naming another schema than the expected one. */
	const char *jr = "{\"type\":\"refund\",\"command_id\":\"c\"}";
	ck_assert_int_eq(decode_err(codec, "PayinCommand", jr, strlen(jr), eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "expected a PayinCommand record, got RefundCommand"));

	/* JSON: syntax, then contract. */
	ck_assert_int_eq(decode_err(codec, NULL, "{\"type\":", 8, eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "undecodable JSON"));
	const char *j = "{\"type\":\"payin\",\"command_id\":\"c1\",\"merchant\":\"m\"}";
	ck_assert_int_eq(decode_err(codec, NULL, j, strlen(j), eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "PayinCommand: order_id: missing required field"));
	j = "{\"type\":\"status_check\",\"order_id\":\"a\",\"order_id\":\"b\"}";
	ck_assert_int_eq(decode_err(codec, NULL, j, strlen(j), eb), PA_PARSE);
	ck_assert_ptr_nonnull(strstr(eb, "duplicate"));
	j = "{\"hello\":1}";
	ck_assert_int_eq(decode_err(codec, NULL, j, strlen(j), eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "matches no schema"));
	ck_assert_str_eq(pw_codec_dlq_reason(PA_PARSE), "UNDECODABLE");
	ck_assert_str_eq(pw_codec_dlq_reason(PA_NOT_FOUND), "UNKNOWN_SCHEMA");
	ck_assert_str_eq(pw_codec_dlq_reason(PA_VALIDATION), "VALIDATION");
	ck_assert_ptr_null(pw_codec_dlq_reason(PA_OK));
	ck_assert_ptr_null(pw_codec_dlq_reason(PA_TIMEOUT));
	static const pa_err_t errs[] = {PA_PARSE, PA_NOT_FOUND, PA_VALIDATION, PA_INTERNAL};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		/* every reason is a DeadLetterReason symbol */
		json_t *dl = load_json("avro/samples/dead_letter.min.json");
		json_object_set_new(dl, "reason", json_string(pw_codec_dlq_reason(errs[i])));
		ck_assert_int_eq(encode_err(codec, "DeadLetter", dl, eb), PA_OK);
	}
	free(more);
	free(buf);
	pw_codec_destroy(codec);
}
END_TEST

/* JSON from a producer may carry fields of a newer schema: ignored. */
START_TEST(test_codec_json_input_ignores_unknown_fields)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	const char *j = "{\"type\":\"status_check\",\"command_id\":\"c1\","
			"\"merchant\":\"m\",\"order_id\":\"ORD0000000001\","
			"\"created_at\":1,\"added_later\":true}";
	json_t *rec;
	const char *name;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_codec_decode(codec, NULL, (const uint8_t *)j, strlen(j),
					 &rec, &name, eb), PA_OK);
	ck_assert_str_eq(name, "StatusCheckCommand");
	ck_assert_ptr_null(json_object_get(rec, "added_later"));
	ck_assert(json_is_null(json_object_get(rec, "ref_code")));
	json_decref(rec);
	pw_codec_destroy(codec);
}
END_TEST

/* Every truncation and every single-byte corruption of a valid record
 * either decodes or fails cleanly (ASan/valgrind watch the rest). */
START_TEST(test_codec_decode_survives_corruption)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	size_t len;
	uint8_t *buf = encoded(codec, "WalletReportEvent",
			       "avro/samples/wallet_report_event.full.json", &len);
	uint8_t *m = malloc(len);
	char eb[PA_ERRBUF_SIZE];
	size_t failures = 0;
	for (size_t cut = 0; cut < len; cut++)
		failures += decode_err(codec, NULL, buf, cut, eb) != PA_OK;
	ck_assert_uint_eq(failures, len);
	static const uint8_t pats[] = {0xff, 0x80, 0x7f, 0x01, 0x00};
	for (size_t i = 10; i < len; i++) {
		for (size_t p = 0; p < sizeof pats; p++) {
			memcpy(m, buf, len);
			m[i] = pats[p];
			(void)decode_err(codec, NULL, m, len, eb);
		}
	}
	free(m);
	free(buf);
	pw_codec_destroy(codec);
}
END_TEST

START_TEST(test_codec_tail_line_decodes_or_explains)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	size_t len;
	uint8_t *buf = encoded(codec, "PaymentStatusEvent",
			       "avro/samples/payment_status_event.full.json", &len);
	char *line;
	ck_assert_int_eq(pw_codec_tail_line(codec, "payatom.evt.payment", 1, 7,
					    buf, len, &line), PA_OK);
	json_t *j = json_loads(line, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_ptr_null(strchr(line, '\n'));
	ck_assert_str_eq(json_string_value(json_object_get(j, "framing")), "single-object");
	ck_assert_str_eq(json_string_value(json_object_get(j, "schema")), "PaymentStatusEvent");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "offset")), 7);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "value"), "status")),
			 "SUCCEEDED");
	json_decref(j);
	free(line);
	ck_assert_int_eq(pw_codec_tail_line(codec, "t", 0, 1, buf, len - 1, &line), PA_OK);
	j = json_loads(line, 0, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(j, "error_name")), "PARSE");
	ck_assert_ptr_nonnull(json_object_get(j, "raw_base64"));
	ck_assert_ptr_null(json_object_get(j, "value"));
	json_decref(j);
	free(line);
	free(buf);
	pw_codec_destroy(codec);
}
END_TEST

START_TEST(test_codec_dlq_show_decodes_the_original)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	/* The original: a command that failed validation, JSON-framed. */
	const char *orig = "{\"type\":\"payin\",\"merchant\":\"m\"}";
	char *b64 = malloc(4 * ((strlen(orig) + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)orig, (int)strlen(orig));
	json_t *dl = load_json("avro/samples/dead_letter.full.json");
	json_object_set_new(dl, "payload", json_string(b64));
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_codec_encode(codec, NULL, "DeadLetter", dl, &buf, &len, eb), PA_OK);
	json_t *out;
	ck_assert_int_eq(pw_codec_dlq_show(codec, buf, len, &out, eb), PA_OK);
	json_t *d = json_object_get(out, "dead_letter");
	ck_assert_str_eq(json_string_value(json_object_get(d, "reason")),
			 json_string_value(json_object_get(dl, "reason")));
	ck_assert_ptr_null(json_object_get(d, "payload"));
	ck_assert_str_eq(json_string_value(json_object_get(out, "payload_base64")), b64);
	json_t *o = json_object_get(out, "original");
	ck_assert_str_eq(json_string_value(json_object_get(o, "framing")), "json");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(o, "error")),
				     "missing required field"));
	json_decref(out);
	free(buf);
	/* Not a dead letter. */
	buf = encoded(codec, "PaymentStatusEvent",
		      "avro/samples/payment_status_event.full.json", &len);
	ck_assert_int_eq(pw_codec_dlq_show(codec, buf, len, &out, eb), PA_VALIDATION);
	free(buf);
	free(b64);
	json_decref(dl);
	pw_codec_destroy(codec);
}
END_TEST

/* `payatom-ctl send`: the record's "type"/"event_type" names the schema. */
START_TEST(test_codec_encode_infers_schema_from_discriminator)
{
	pw_codec_t *codec = new_codec(PW_SER_AVRO);
	json_t *r = load_json("avro/samples/refund_command.full.json");
	uint8_t *buf;
	size_t len;
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_codec_encode(codec, NULL, NULL, r, &buf, &len, eb), PA_OK);
	json_t *back;
	const char *name;
	ck_assert_int_eq(pw_codec_decode(codec, NULL, buf, len, &back, &name, eb), PA_OK);
	ck_assert_str_eq(name, "RefundCommand");
	json_decref(back);
	free(buf);
	json_decref(r);
	r = load_json("avro/samples/refund_status_event.full.json");
	ck_assert_int_eq(pw_codec_encode(codec, NULL, NULL, r, &buf, &len, eb), PA_OK);
	ck_assert_int_eq(pw_codec_decode(codec, NULL, buf, len, &back, &name, eb), PA_OK);
	ck_assert_str_eq(name, "RefundStatusEvent");
	json_decref(back);
	free(buf);
	json_object_set_new(r, "event_type", json_string("nope"));
	ck_assert_int_eq(encode_err(codec, NULL, r, eb), PA_VALIDATION);
	ck_assert_ptr_nonnull(strstr(eb, "event_type"));
	pw_codec_destroy(codec);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("codec");
	struct {
		const char *name;
		const TTest *t;
	} cases[] = {
		{"single_object", test_codec_round_trip_single_object_every_schema},
		{"json", test_codec_round_trip_json_every_schema},
		{"json_plain", test_codec_json_is_plain_not_avro_json},
		{"avro_c", test_codec_avro_c_reads_our_bytes},
		{"resolution", test_codec_resolves_other_writer_version},
		{"strict_encode", test_codec_encode_rejects_invalid_records_with_path},
		{"timestamps", test_codec_timestamp_accepts_iso8601_input},
		{"infer_schema", test_codec_encode_infers_schema_from_discriminator},
		{"decode_errors", test_codec_decode_errors_are_precise},
		{"json_forward", test_codec_json_input_ignores_unknown_fields},
		{"corruption", test_codec_decode_survives_corruption},
		{"tail", test_codec_tail_line_decodes_or_explains},
		{"dlq_show", test_codec_dlq_show_decodes_the_original},
		{"one_pass", test_codec_one_pass_writes_what_the_tree_dumps},
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
