/* check_schemas.c -- the .avsc files of schemas/ as embedded in the build:
 * they parse (Avro-C and ours), follow the contract's conventions, stay
 * backward compatible with tests/data/schemas_prev, and export intact. */
#include <avro.h>
#include <check.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "payatom/status.h"
#include "serde/avro_schema.h"
#include "serde/schemas.h"
#include "pwtest.h"

static json_t *load_schema(size_t i)
{
	const char *json;
	size_t len;
	ck_assert_int_eq(pw_schemas_get(i, NULL, &json, &len), PA_OK);
	json_t *j = json_loadb(json, len, 0, NULL);
	ck_assert_ptr_nonnull(j);
	return j;
}

START_TEST(test_schemas_embedded_every_avsc_file)
{
	char dir[1024];
	pwt_data_path("../../schemas", dir, sizeof dir);
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".avsc")) {
			size_t idx;
			ck_assert_msg(pw_schemas_find(e->d_name, &idx) == PA_OK,
				      "%s not embedded", e->d_name);
			n++;
		}
	}
	closedir(d);
	ck_assert_uint_eq(n, pw_schemas_count());
	ck_assert_uint_ge(n, 13);
}
END_TEST

START_TEST(test_schemas_parse_with_avro_c_and_ours)
{
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file, *json;
		size_t len;
		pw_schemas_get(i, &file, &json, &len);
		avro_schema_t as;
		ck_assert_msg(avro_schema_from_json_length(json, len, &as) == 0,
			      "%s: %s", file, avro_strerror());
		avro_schema_decref(as);
		pw_avsc_t *s;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_msg(pw_avsc_parse(json, len, &s, eb) == PA_OK, "%s: %s",
			      file, eb);
		char name[128], full[200];
		pw_schemas_name(i, name, sizeof name);
		snprintf(full, sizeof full, "%s.%s", PW_SCHEMA_NAMESPACE, name);
		ck_assert_str_eq(pw_avsc_fullname(s), full);
		pw_avsc_destroy(s);
	}
}
END_TEST

START_TEST(test_schemas_parse_rejects_invalid_and_recursive)
{
	pw_avsc_t *s = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	const char *bad = "{\"type\":\"record\",\"name\":\"R\",\"fields\":"
			  "[{\"name\":\"a\",\"type\":\"nosuchtype\"}]}";
	ck_assert_int_eq(pw_avsc_parse(bad, strlen(bad), &s, eb), PA_PARSE);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(pw_avsc_parse("{nope", 5, &s, eb), PA_PARSE);
	const char *rec = "{\"type\":\"record\",\"name\":\"L\",\"fields\":"
			  "[{\"name\":\"next\",\"type\":[\"null\",\"L\"]}]}";
	ck_assert_int_eq(pw_avsc_parse(rec, strlen(rec), &s, eb), PA_UNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(eb, "recursive"));
}
END_TEST

START_TEST(test_schemas_find_by_record_full_and_file_name)
{
	size_t a, b, c, d;
	ck_assert_int_eq(pw_schemas_find("PaymentStatusEvent", &a), PA_OK);
	ck_assert_int_eq(pw_schemas_find("io.payatom.worker.PaymentStatusEvent", &b), PA_OK);
	ck_assert_int_eq(pw_schemas_find("payment_status_event", &c), PA_OK);
	ck_assert_int_eq(pw_schemas_find("payment_status_event.avsc", &d), PA_OK);
	ck_assert_uint_eq(a, b);
	ck_assert_uint_eq(a, c);
	ck_assert_uint_eq(a, d);
	ck_assert_int_eq(pw_schemas_find("PaymentStatus", &a), PA_NOT_FOUND);
	ck_assert_int_eq(pw_schemas_find("org.other.PaymentStatusEvent", &a),
			 PA_NOT_FOUND);
}
END_TEST

/* Walks every record/enum/field: doc everywhere, no float/double, optional
 * unions ["null", T] default null, timestamps are timestamp-millis. */
static void check_node(const json_t *t, const char *where)
{
	if (json_is_array(t)) {
		size_t i;
		json_t *b;
		json_array_foreach(t, i, b) check_node(b, where);
		return;
	}
	if (json_is_string(t)) {
		const char *s = json_string_value(t);
		ck_assert_msg(strcmp(s, "float") && strcmp(s, "double"),
			      "%s: floating point type", where);
		return;
	}
	const char *type = json_string_value(json_object_get(t, "type"));
	ck_assert_ptr_nonnull(type);
	if (!strcmp(type, "record") || !strcmp(type, "enum"))
		ck_assert_msg(json_is_string(json_object_get(t, "doc")),
			      "%s: %s without doc", where, type);
	if (!strcmp(type, "record")) {
		size_t i;
		json_t *f;
		json_array_foreach(json_object_get(t, "fields"), i, f)
		{
			char sub[256];
			const char *fname = json_string_value(json_object_get(f, "name"));
			snprintf(sub, sizeof sub, "%s.%s", where, fname);
			ck_assert_msg(json_is_string(json_object_get(f, "doc")),
				      "%s: field without doc", sub);
			json_t *ft = json_object_get(f, "type");
			if (json_is_array(ft) &&
			    json_is_string(json_array_get(ft, 0)) &&
			    !strcmp(json_string_value(json_array_get(ft, 0)), "null"))
				ck_assert_msg(json_is_null(json_object_get(f, "default")),
					      "%s: optional without default null",
					      sub);
			if (strstr(fname, "_at") &&
			    strlen(strstr(fname, "_at")) == 3 &&
			    (!strcmp(fname, "created_at") ||
			     !strcmp(fname, "occurred_at"))) {
				ck_assert_msg(json_is_object(ft), "%s", sub);
				ck_assert_str_eq(json_string_value(json_object_get(ft, "logicalType")),
						 "timestamp-millis");
				ck_assert_str_eq(json_string_value(json_object_get(ft, "type")),
						 "long");
			}
			if (strstr(fname, "amount") || strstr(fname, "balance"))
				ck_assert_msg(strstr(fname, "_minor") != NULL,
					      "%s: amount not in minor units", sub);
			check_node(ft, sub);
		}
	}
	if (!strcmp(type, "array"))
		check_node(json_object_get(t, "items"), where);
	if (!strcmp(type, "map"))
		check_node(json_object_get(t, "values"), where);
	ck_assert_msg(strcmp(type, "float") && strcmp(type, "double"),
		      "%s: floating point type", where);
}

START_TEST(test_schemas_follow_contract_conventions)
{
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file;
		pw_schemas_get(i, &file, NULL, NULL);
		json_t *j = load_schema(i);
		ck_assert_str_eq(json_string_value(json_object_get(j, "namespace")),
				 PW_SCHEMA_NAMESPACE);
		check_node(j, file);
		json_decref(j);
	}
}
END_TEST

static const json_t *field(const json_t *rec, const char *name)
{
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(rec, "fields"), i, f)
	{
		if (!strcmp(json_string_value(json_object_get(f, "name")), name))
			return f;
	}
	return NULL;
}

START_TEST(test_schemas_events_carry_id_version_and_discriminator)
{
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file;
		pw_schemas_get(i, &file, NULL, NULL);
		json_t *j = load_schema(i);
		int is_cmd = strstr(file, "_command") != NULL;
		const char *disc = is_cmd ? "type" : "event_type";
		const json_t *d = field(j, disc);
		ck_assert_msg(d != NULL, "%s: no %s", file, disc);
		size_t idx;
		ck_assert_int_eq(pw_schemas_for_type(disc,
						     json_string_value(json_object_get(d, "default")),
						     &idx),
				 PA_OK);
		ck_assert_uint_eq(idx, i);
		if (is_cmd) {
			ck_assert_ptr_nonnull(field(j, "command_id"));
			ck_assert_ptr_nonnull(field(j, "merchant"));
			ck_assert_ptr_nonnull(field(j, "created_at"));
		} else {
			ck_assert_ptr_nonnull(field(j, "event_id"));
			const json_t *sv = field(j, "schema_version");
			ck_assert_ptr_nonnull(sv);
			ck_assert_str_eq(json_string_value(json_object_get(sv, "type")), "int");
			ck_assert_ptr_nonnull(field(j, "occurred_at"));
		}
		json_decref(j);
	}
	size_t a, b;
	ck_assert_int_eq(pw_schemas_for_type("type", "complaint_status", &a), PA_OK);
	ck_assert_int_eq(pw_schemas_find("ComplaintCommand", &b), PA_OK);
	ck_assert_uint_eq(a, b);
	ck_assert_int_eq(pw_schemas_for_type("type", "payment", &a), PA_NOT_FOUND);
}
END_TEST

/* The PaymentStatus symbols are status.h's names, in order, with the
 * documented default (design.md §5). */
START_TEST(test_schemas_status_enum_is_status_h)
{
	static const char *const names[] = {
#define N(x) #x,
		PA_STATUS_MAP(N)
#undef N
	};
	size_t idx;
	ck_assert_int_eq(pw_schemas_find("PaymentStatusEvent", &idx), PA_OK);
	json_t *j = load_schema(idx);
	const json_t *st = json_object_get(field(j, "status"), "type");
	ck_assert_str_eq(json_string_value(json_object_get(st, "name")), "PaymentStatus");
	const json_t *syms = json_object_get(st, "symbols");
	ck_assert_uint_eq(json_array_size(syms), PA__STATUS_COUNT);
	for (size_t i = 0; i < PA__STATUS_COUNT; i++)
		ck_assert_str_eq(json_string_value(json_array_get(syms, i)), names[i]);
	ck_assert_str_eq(json_string_value(json_object_get(st, "default")), "UNRESOLVED");
	json_decref(j);
}
END_TEST

/* Each schema reads data written with its previous released version
 * (tests/data/schemas_prev) -- BACKWARD -- and, through Avro-C's resolver,
 * the previous version reads data written with the current one (FORWARD, a
 * projection Avro-C supports). */
START_TEST(test_schemas_backward_compatible_with_previous_version)
{
	char dir[1024];
	pwt_data_path("schemas_prev", dir, sizeof dir);
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name), idx, len, plen;
		if (l < 6 || strcmp(e->d_name + l - 5, ".avsc"))
			continue;
		char rel[512];
		snprintf(rel, sizeof rel, "schemas_prev/%s", e->d_name);
		char *prev = pwt_read_data(rel, &plen);
		ck_assert_ptr_nonnull(prev);
		ck_assert_msg(pw_schemas_find(e->d_name, &idx) == PA_OK,
			      "%s was removed", e->d_name);
		const char *cur;
		pw_schemas_get(idx, NULL, &cur, &len);
		pw_avsc_t *ps, *cs;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_int_eq(pw_avsc_parse(prev, plen, &ps, eb), PA_OK);
		ck_assert_int_eq(pw_avsc_parse(cur, len, &cs, eb), PA_OK);
		ck_assert_msg(pw_avsc_check_compat(cs, ps, eb) == PA_OK,
			      "%s: not backward compatible: %s", e->d_name, eb);
		avro_schema_t aw, ar;
		ck_assert_int_eq(avro_schema_from_json_length(cur, len, &aw), 0);
		ck_assert_int_eq(avro_schema_from_json_length(prev, plen, &ar), 0);
		avro_value_iface_t *rw = avro_resolved_writer_new(aw, ar);
		ck_assert_msg(rw != NULL, "%s: Avro-C: %s", e->d_name,
			      avro_strerror());
		avro_value_iface_decref(rw);
		avro_schema_decref(aw);
		avro_schema_decref(ar);
		pw_avsc_destroy(ps);
		pw_avsc_destroy(cs);
		free(prev);
		n++;
	}
	closedir(d);
	ck_assert_uint_eq(n, pw_schemas_count());
}
END_TEST

/* The checker itself: the Avro resolution rules on hand-made cases. */
START_TEST(test_schemas_compat_checker_follows_resolution_rules)
{
	char *txt = pwt_read_data("avro/compat/cases.json", NULL);
	ck_assert_ptr_nonnull(txt);
	json_t *cases = json_loads(txt, 0, NULL);
	free(txt);
	ck_assert_uint_ge(json_array_size(cases), 10);
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c)
	{
		char *w = json_dumps(json_object_get(c, "writer"), 0);
		char *r = json_dumps(json_object_get(c, "reader"), 0);
		pw_avsc_t *ws, *rs;
		char eb[PA_ERRBUF_SIZE] = "";
		ck_assert_int_eq(pw_avsc_parse(w, strlen(w), &ws, eb), PA_OK);
		ck_assert_int_eq(pw_avsc_parse(r, strlen(r), &rs, eb), PA_OK);
		pa_err_t err = pw_avsc_check_compat(rs, ws, eb);
		const char *name = json_string_value(json_object_get(c, "name"));
		if (json_is_true(json_object_get(c, "compatible")))
			ck_assert_msg(err == PA_OK, "%s: %s", name, eb);
		else
			ck_assert_msg(err == PA_VALIDATION && eb[0], "%s: accepted",
				      name);
		pw_avsc_destroy(ws);
		pw_avsc_destroy(rs);
		free(w);
		free(r);
	}
	json_decref(cases);
}
END_TEST

START_TEST(test_schemas_export_writes_every_file_unchanged)
{
	char dir[] = "/tmp/pw_schemas_XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pw_schemas_export(dir, eb), PA_OK);
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file, *json;
		size_t len;
		pw_schemas_get(i, &file, &json, &len);
		char path[1200];
		snprintf(path, sizeof path, "%s/%s", dir, file);
		FILE *fp = fopen(path, "rb");
		ck_assert_ptr_nonnull(fp);
		char *buf = malloc(len + 1);
		size_t got = fread(buf, 1, len + 1, fp);
		fclose(fp);
		ck_assert_uint_eq(got, len);
		ck_assert(memcmp(buf, json, len) == 0);
		free(buf);
		unlink(path);
	}
	rmdir(dir);
	ck_assert_int_eq(pw_schemas_export("/nonexistent/dir", eb), PA_IO);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("schemas");
	struct {
		const char *name;
		const TTest *t;
	} cases[] = {
		{"embedded", test_schemas_embedded_every_avsc_file},
		{"parse", test_schemas_parse_with_avro_c_and_ours},
		{"parse_errors", test_schemas_parse_rejects_invalid_and_recursive},
		{"lookup", test_schemas_find_by_record_full_and_file_name},
		{"conventions", test_schemas_follow_contract_conventions},
		{"envelope", test_schemas_events_carry_id_version_and_discriminator},
		{"status", test_schemas_status_enum_is_status_h},
		{"evolution", test_schemas_backward_compatible_with_previous_version},
		{"compat_rules", test_schemas_compat_checker_follows_resolution_rules},
		{"export", test_schemas_export_writes_every_file_unchanged},
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
