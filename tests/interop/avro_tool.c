/* avro_tool.c -- the worker's codec as a command for the interoperability
 * test (interop.py): encode a JSON record to framed bytes, decode framed
 * bytes to JSON, dump canonical forms and fingerprints. Confluent framing
 * uses an in-process fake registry (tests/support/fake_registry).
 *
 *   avro_tool canonical                          one JSON line per schema
 *   avro_tool encode FRAMING SCHEMA in.json out.bin [meta.json]
 *   avro_tool decode FRAMING in.bin out.json [register.avsc SUBJECT]
 * FRAMING: single | confluent | json. For decode, confluent starts a fresh
 * fake registry and registers register.avsc under SUBJECT first (id 1). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_registry.h"
#include "serde/avro_schema.h"
#include "serde/codec.h"
#include "serde/registry.h"
#include "serde/schemas.h"
#include "pwtest.h"

static int spit(const char *path, const void *p, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (!fp)
		return -1;
	size_t w = fwrite(p, 1, len, fp);
	return (fclose(fp) == 0 && w == len) ? 0 : -1;
}

static int canonical(void)
{
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file, *json;
		size_t len;
		pw_avsc_t *s;
		char eb[PA_ERRBUF_SIZE];
		pw_schemas_get(i, &file, &json, &len);
		if (pw_avsc_parse(json, len, &s, eb) != PA_OK) {
			fprintf(stderr, "%s: %s\n", file, eb);
			return 1;
		}
		char fp[17];
		snprintf(fp, sizeof fp, "%016" PRIx64, pw_avsc_fingerprint(s));
		json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "file", file, "name",
				      pw_avsc_fullname(s), "canonical",
				      pw_avsc_canonical(s), "fingerprint", fp);
		char *line = json_dumps(o, JSON_COMPACT);
		printf("%s\n", line);
		free(line);
		json_decref(o);
		pw_avsc_destroy(s);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "canonical"))
		return canonical();
	if (argc < 5 || (strcmp(argv[1], "encode") && strcmp(argv[1], "decode"))) {
		fprintf(stderr, "usage: see the file header\n");
		return 2;
	}
	int enc = !strcmp(argv[1], "encode");
	const char *framing = argv[2];
	int confluent = !strcmp(framing, "confluent");
	pwt_registry_t *fr = NULL;
	pw_registry_t *reg = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	int rc = 1;
	if (confluent) {
		fr = pwt_registry_start("", NULL, NULL);
		pw_registry_conf_t rconf = {.url = fr ? pwt_registry_url(fr) : "",
					    .auto_register = 1};
		if (!fr || pw_registry_new(&rconf, &reg, eb) != PA_OK) {
			fprintf(stderr, "registry: %s\n", eb);
			return 1;
		}
	}
	pw_codec_conf_t conf = {
		.serialization = strcmp(framing, "json") ? PW_SER_AVRO : PW_SER_JSON,
		.registry = reg};
	pw_codec_t *codec = NULL;
	if (pw_codec_new(&conf, &codec, eb) != PA_OK) {
		fprintf(stderr, "codec: %s\n", eb);
		goto out;
	}
	size_t len;
	char *in = pwt_read_file(enc ? argv[4] : argv[3], &len);
	if (!in) {
		fprintf(stderr, "cannot read input\n");
		goto out;
	}
	if (enc) {
		const char *schema = argv[3];
		json_t *rec = json_loadb(in, len, 0, NULL);
		uint8_t *buf = NULL;
		size_t blen;
		char topic[200];
		snprintf(topic, sizeof topic, "payatom.interop.%s", schema);
		if (!rec ||
		    pw_codec_encode(codec, topic, schema, rec, &buf, &blen, eb) != PA_OK) {
			fprintf(stderr, "encode: %s\n", eb);
		} else if (spit(argv[5], buf, blen) == 0) {
			rc = 0;
			if (argc > 6) {
				json_t *meta = json_pack("{s:s}", "topic", topic);
				if (confluent)
					json_object_set_new(
						meta, "id",
						json_integer((json_int_t)((uint32_t)buf[1] << 24 |
									  (uint32_t)buf[2] << 16 |
									  (uint32_t)buf[3] << 8 |
									  buf[4])));
				char *m = json_dumps(meta, JSON_COMPACT);
				rc = spit(argv[6], m, strlen(m)) ? 1 : 0;
				free(m);
				json_decref(meta);
			}
		}
		free(buf);
		json_decref(rec);
	} else {
		if (confluent && argc > 6) {
			size_t slen;
			char *sch = pwt_read_file(argv[5], &slen);
			int32_t id;
			if (!sch || pw_registry_register(reg, argv[6], sch, &id, eb) != PA_OK) {
				fprintf(stderr, "register: %s\n", eb);
				free(sch);
				free(in);
				goto out;
			}
			free(sch);
		}
		json_t *rec = NULL;
		const char *name = NULL;
		if (pw_codec_decode(codec, NULL, (const uint8_t *)in, len, &rec,
				    &name, eb) != PA_OK) {
			fprintf(stderr, "decode: %s\n", eb);
		} else {
			json_t *o = json_pack("{s:s, s:O}", "schema", name, "value", rec);
			char *txt = json_dumps(o, JSON_COMPACT);
			rc = spit(argv[4], txt, strlen(txt)) ? 1 : 0;
			free(txt);
			json_decref(o);
		}
		json_decref(rec);
	}
	free(in);
out:
	pw_codec_destroy(codec);
	pw_registry_destroy(reg);
	pwt_registry_stop(fr);
	return rc;
}
