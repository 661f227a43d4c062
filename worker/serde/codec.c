/* codec.c -- framing and schema choice (codec.h).
 * Owns: pw_codec_t (parsed embedded schemas, extra writer schemas, registry
 *       id -> schema cache, (topic, schema) -> id and writer cache, the
 *       registry modes), framing detection.
 * Not here: JSON mapping (codec_json.c), Avro binary (codec_avro.c), HTTP
 *           to the registry (registry.c), tail lines and dead-letter
 *           display (codec_show.c). */
#include "serde/codec.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/canonjson.h"
#include "serde/avro_schema.h"
#include "serde/codec_priv.h"
#include "serde/schemas.h"

struct pw_codec {
	pw_serialization_t ser;
	pw_subject_strategy_t strategy;
	pw_registry_t *reg;   /* borrowed */
	pw_avsc_t **sch;      /* embedded (first n_embedded), then added */
	size_t n_sch, n_embedded;
	json_t *by_id;	      /* "id" -> index into ids[] */
	pw_avsc_t **ids;      /* schemas fetched from the registry */
	size_t n_ids;
	/* "topic\x1fschema" -> [id, index into ids[] of the writer schema, or
	 * -1 when it is ours] */
	json_t *topic_ids;
};

static const char *short_name(const char *full)
{
	const char *dot = strrchr(full, '.');
	return dot ? dot + 1 : full;
}


void pw_codec_destroy(pw_codec_t *codec)
{
	if (!codec)
		return;
	for (size_t i = 0; i < codec->n_sch; i++)
		pw_avsc_destroy(codec->sch[i]);
	for (size_t i = 0; i < codec->n_ids; i++)
		pw_avsc_destroy(codec->ids[i]);
	free(codec->sch);
	free(codec->ids);
	json_decref(codec->by_id);
	json_decref(codec->topic_ids);
	free(codec);
}

static pa_err_t push_schema(pw_avsc_t ***arr, size_t *n, pw_avsc_t *s)
{
	pw_avsc_t **na = realloc(*arr, (*n + 1) * sizeof *na);
	if (!na)
		return PA_NOMEM;
	na[(*n)++] = s;
	*arr = na;
	return PA_OK;
}

pa_err_t pw_codec_new(const pw_codec_conf_t *conf, pw_codec_t **out,
		      char *errbuf)
{
	if (!conf || !out)
		return pa_seterr(errbuf, PA_INVAL, "no codec configuration");
	if (conf->serialization != PW_SER_AVRO &&
	    conf->serialization != PW_SER_JSON)
		return pa_seterr(errbuf, PA_CONFIG, "unknown serialization");
	pw_codec_t *c = calloc(1, sizeof *c);
	if (!c)
		return PA_NOMEM;
	c->ser = conf->serialization;
	c->strategy = conf->subject_strategy;
	c->reg = conf->registry;
	c->by_id = json_object();
	c->topic_ids = json_object();
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file, *json;
		size_t len;
		pw_avsc_t *s;
		pw_schemas_get(i, &file, &json, &len);
		char eb[PA_ERRBUF_SIZE];
		pa_err_t err = pw_avsc_parse(json, len, &s, eb);
		if (!err && (err = push_schema(&c->sch, &c->n_sch, s)))
			pw_avsc_destroy(s);
		if (err) {
			pw_codec_destroy(c);
			return pa_seterr(errbuf, err, "embedded %s: %s", file,
					 eb);
		}
	}
	c->n_embedded = c->n_sch;
	*out = c;
	return PA_OK;
}

pw_serialization_t pw_codec_serialization(const pw_codec_t *codec)
{
	return codec ? codec->ser : PW_SER_JSON;
}

pa_err_t pw_codec_add_schema(pw_codec_t *codec, const char *json, size_t len,
			     char *errbuf)
{
	pw_avsc_t *s;
	pa_err_t err = pw_avsc_parse(json, len, &s, errbuf);
	if (err)
		return err;
	if ((err = push_schema(&codec->sch, &codec->n_sch, s)))
		pw_avsc_destroy(s);
	return err;
}

pa_err_t pw_codec_add_schema_dir(pw_codec_t *codec, const char *dir,
				 char *errbuf)
{
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return pa_seterr(errbuf, PA_IO, "cannot open schema directory %s: %s",
				 dir ? dir : "(null)", strerror(errno));
	pa_err_t err = PA_OK;
	struct dirent *e;
	while (!err && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".avsc") != 0)
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *fp = fopen(path, "rb");
		char *txt = NULL;
		size_t n = 0;
		if (fp) {
			/* Schemas are small; 1 MiB is far beyond any of ours. */
			txt = malloc(1u << 20);
			if (txt)
				n = fread(txt, 1, 1u << 20, fp);
			fclose(fp);
		}
		if (!txt || n == 0 || n == 1u << 20) {
			err = pa_seterr(errbuf, PA_IO, "cannot read %s", path);
		} else {
			char eb[PA_ERRBUF_SIZE] = "";
			err = pw_codec_add_schema(codec, txt, n, eb);
			if (err)
				pa_seterr(errbuf, err, "%s: %s", path, eb);
		}
		free(txt);
	}
	closedir(d);
	return err;
}

/* Our schema (embedded) called name. */
static pw_avsc_t *find_embedded(pw_codec_t *c, const char *name)
{
	size_t idx;
	if (pw_schemas_find(name, &idx) != PA_OK || idx >= c->n_embedded)
		return NULL;
	return c->sch[idx];
}

static pw_avsc_t *reader_for(pw_codec_t *c, const pw_avsc_t *writer)
{
	for (size_t i = 0; i < c->n_embedded; i++)
		if (!strcmp(pw_avsc_fullname(c->sch[i]),
			    pw_avsc_fullname(writer)))
			return c->sch[i];
	return NULL;
}

/* Records that share a topic with its main record (see codec.h). */
static int subject_by_record(const pw_codec_t *c, const char *fullname)
{
	static const char *const sharing[] = {
		"UtrSubmitCommand",	"RefundCommand",
		"StatusCheckCommand", "ReportRequestCommand",
		"ReconciliationEvent",
	};
	if (c->strategy == PW_SUBJECT_TOPIC)
		return 0;
	if (c->strategy == PW_SUBJECT_TOPIC_RECORD)
		return 1;
	const char *dot = strrchr(fullname, '.');
	const char *name = dot ? dot + 1 : fullname;
	for (size_t i = 0; i < sizeof sharing / sizeof sharing[0]; i++)
		if (!strcmp(name, sharing[i]))
			return 1;
	return 0;
}

/* Keeps s (parsed from the registry, schema id id) in ids[] unless that
 * id is known already; *out: the one kept. Takes ownership of s. */
static pa_err_t keep_registry_schema(pw_codec_t *c, int32_t id, pw_avsc_t *s,
				     pw_avsc_t **out)
{
	char key[16];
	snprintf(key, sizeof key, "%" PRId32, id);
	json_t *hit = json_object_get(c->by_id, key);
	if (hit) {
		pw_avsc_destroy(s);
		*out = c->ids[json_integer_value(hit)];
		return PA_OK;
	}
	pa_err_t err = push_schema(&c->ids, &c->n_ids, s);
	if (err) {
		pw_avsc_destroy(s);
		return err;
	}
	json_object_set_new(c->by_id, key, json_integer((json_int_t)c->n_ids - 1));
	*out = s;
	return PA_OK;
}

/* schema.registry.use.latest.version: the subject's latest version is the
 * writer, provided it can read every record ours writes (Avro resolution:
 * fields only it has need defaults, fields only ours has are not written,
 * our enum symbols it lacks need its default). *writer: ours when the
 * latest version is ours (same Parsing Canonical Form). */
static pa_err_t latest_writer(pw_codec_t *c, const char *subject, pw_avsc_t *s,
			      int32_t *id, pw_avsc_t **writer, char *errbuf)
{
	const char *text;
	int version = 0;
	pa_err_t err = pw_registry_latest(c->reg, subject, id, &version, &text,
					  errbuf);
	if (err)
		return err;
	pw_avsc_t *ls;
	char eb[PA_ERRBUF_SIZE] = "";
	if ((err = pw_avsc_parse(text, strlen(text), &ls, eb)))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "subject %s: latest version %d (id %" PRId32
				 ") is not a schema we can read: %s",
				 subject, version, *id, eb);
	if (pw_avsc_fingerprint(ls) == pw_avsc_fingerprint(s)) {
		pw_avsc_destroy(ls);
		*writer = s;
		return PA_OK;
	}
	if (strcmp(pw_avsc_fullname(ls), pw_avsc_fullname(s)) != 0) {
		err = pa_seterr(errbuf, PA_VALIDATION,
				"subject %s: latest version %d (id %" PRId32
				") is %s, not our %s",
				subject, version, *id, pw_avsc_fullname(ls),
				pw_avsc_fullname(s));
		pw_avsc_destroy(ls);
		return err;
	}
	if (pw_avsc_check_compat(ls, s, eb) != PA_OK) {
		err = pa_seterr(errbuf, PA_VALIDATION,
				"subject %s: latest version %d (id %" PRId32
				") cannot read our %s records (use.latest."
				"version): %s",
				subject, version, *id,
				short_name(pw_avsc_fullname(s)), eb);
		pw_avsc_destroy(ls);
		return err;
	}
	return keep_registry_schema(c, *id, ls, writer);
}

/* schema.registry.auto.register=false: ours must be a version of the
 * subject already. The registry's lookup compares texts on some
 * registries (Apicurio without canonical hashing), so a latest version
 * equal to ours in Parsing Canonical Form counts too. */
static pa_err_t registered_id(pw_codec_t *c, const char *subject, pw_avsc_t *s,
			      int32_t *id, char *errbuf)
{
	char eb[PA_ERRBUF_SIZE] = "";
	pa_err_t err = pw_registry_id_for(c->reg, subject, pw_avsc_text(s),
					  pw_avsc_fingerprint(s), id, eb);
	if (err != PA_NOT_FOUND || pw_registry_auto_register(c->reg))
		return err ? pa_seterr(errbuf, err, "%s", eb) : PA_OK;
	const char *text;
	int version = 0;
	int32_t lid;
	char leb[PA_ERRBUF_SIZE] = "";
	pa_err_t lerr = pw_registry_latest(c->reg, subject, &lid, &version,
					   &text, leb);
	if (lerr == PA_NOT_FOUND)
		return pa_seterr(errbuf, PA_NOT_FOUND,
				 "subject %s is not registered and "
				 "schema.registry.auto.register=false: "
				 "register our %s there first",
				 subject, short_name(pw_avsc_fullname(s)));
	if (lerr)
		return pa_seterr(errbuf, lerr, "%s", leb);
	pw_avsc_t *ls = NULL;
	if (pw_avsc_parse(text, strlen(text), &ls, NULL) == PA_OK &&
	    pw_avsc_fingerprint(ls) == pw_avsc_fingerprint(s)) {
		pw_avsc_destroy(ls);
		*id = lid;
		return PA_OK;
	}
	pw_avsc_destroy(ls);
	return pa_seterr(errbuf, PA_NOT_FOUND,
			 "subject %s has no version equal to our %s (its "
			 "latest is version %d, id %" PRId32
			 ") and schema.registry.auto.register=false: register "
			 "ours, or set schema.registry.use.latest.version=true "
			 "to write with the latest",
			 subject, short_name(pw_avsc_fullname(s)), version, lid);
}

/* The registry id a record of ours (s) is framed with on topic, and the
 * schema it is written with (*writer: s, or a registry version kept in
 * ids[]), per the registry modes (registry.h):
 *   auto_register (default)  ours, registered under the subject when new;
 *   lookup                   ours, already a version of the subject;
 *   use_latest               the subject's latest version (latest_writer).
 * Cached per (topic, record): the network is asked once. */
static pa_err_t schema_id(pw_codec_t *c, const char *topic, pw_avsc_t *s,
			  int32_t *id, pw_avsc_t **writer, char *errbuf)
{
	if (!topic || !*topic)
		return pa_seterr(errbuf, PA_INVAL,
				 "Confluent framing needs the topic "
				 "(TopicNameStrategy)");
	char key[512];
	snprintf(key, sizeof key, "%s\x1f%s", topic, pw_avsc_fullname(s));
	json_t *hit = json_object_get(c->topic_ids, key);
	if (hit) {
		*id = (int32_t)json_integer_value(json_array_get(hit, 0));
		json_int_t w = json_integer_value(json_array_get(hit, 1));
		*writer = w < 0 ? s : c->ids[w];
		return PA_OK;
	}
	char subject[400];
	if (subject_by_record(c, pw_avsc_fullname(s)))
		snprintf(subject, sizeof subject, "%s-%s", topic,
			 pw_avsc_fullname(s));
	else
		snprintf(subject, sizeof subject, "%s-value", topic);
	*writer = s;
	pa_err_t err = pw_registry_use_latest(c->reg)
			       ? latest_writer(c, subject, s, id, writer, errbuf)
			       : registered_id(c, subject, s, id, errbuf);
	if (err)
		return err;
	json_int_t w = -1;
	for (size_t i = 0; *writer != s && i < c->n_ids; i++)
		if (c->ids[i] == *writer)
			w = (json_int_t)i;
	json_object_set_new(c->topic_ids, key, json_pack("[i, I]", (int)*id, w));
	return PA_OK;
}

pa_err_t pw_codec_prepare(pw_codec_t *codec, const char *topic,
			  const char *schema, char *errbuf)
{
	pw_avsc_t *s = find_embedded(codec, schema ? schema : "");
	if (!s)
		return pa_seterr(errbuf, PA_NOT_FOUND, "no schema called %s",
				 schema ? schema : "(null)");
	if (!codec->reg || codec->ser != PW_SER_AVRO)
		return PA_OK;
	int32_t id;
	pw_avsc_t *writer;
	return schema_id(codec, topic, s, &id, &writer, errbuf);
}

pa_err_t pw_codec_encode(pw_codec_t *codec, const char *topic,
			 const char *schema, const json_t *rec, uint8_t **out,
			 size_t *len, char *errbuf)
{
	if (!codec || !rec || !out || !len)
		return pa_seterr(errbuf, PA_INVAL, "encode: missing argument");
	size_t idx;
	if (!schema) { /* from the record's discriminator */
		const char *t = json_string_value(json_object_get(rec, "type"));
		const char *et = json_string_value(json_object_get(rec, "event_type"));
		if ((t && pw_schemas_for_type("type", t, &idx) == PA_OK) ||
		    (et && pw_schemas_for_type("event_type", et, &idx) == PA_OK))
			schema = codec->sch[idx] ? pw_avsc_fullname(codec->sch[idx])
						 : NULL;
		if (!schema)
			return pa_seterr(errbuf, PA_VALIDATION,
					 "record names no known schema: \"type\" "
					 "or \"event_type\" missing or unknown");
	}
	pw_avsc_t *s = find_embedded(codec, schema);
	if (!s)
		return pa_seterr(errbuf, PA_NOT_FOUND, "no schema called %s",
				 schema);
	char eb[PA_ERRBUF_SIZE] = "";
	json_t *conf = NULL;
	pa_err_t err = pw__json_conform(pw_avsc_root(s), rec,
					PW__CONFORM_STRICT, &conf, eb);
	if (err)
		return pa_seterr(errbuf, err, "%s: %s",
				 short_name(pw_avsc_fullname(s)), eb);
	pw__buf_t b = {0};
	pw_avsc_t *writer = s;
	if (codec->ser == PW_SER_JSON) {
		char *txt = json_dumps(conf, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(conf);
		if (!txt)
			return PA_NOMEM;
		*out = (uint8_t *)txt;
		*len = strlen(txt);
		return PA_OK;
	}
	if (codec->reg) {
		int32_t id;
		if ((err = schema_id(codec, topic, s, &id, &writer, errbuf)))
			goto fail;
		if (writer != s) { /* use.latest.version: its fields */
			json_t *as = NULL;
			err = pw__json_conform(pw_avsc_root(writer), conf,
					       PW__CONFORM_READ, &as, eb);
			json_decref(conf);
			conf = as;
			if (err) {
				pa_seterr(errbuf, err, "%s as registry id %" PRId32
					  ": %s", short_name(pw_avsc_fullname(s)),
					  id, eb);
				goto fail;
			}
		}
		uint8_t hdr[5] = {0, (uint8_t)(id >> 24), (uint8_t)(id >> 16),
				  (uint8_t)(id >> 8), (uint8_t)id};
		err = pw__buf_put(&b, hdr, sizeof hdr);
	} else {
		uint64_t fp = pw_avsc_fingerprint(s);
		uint8_t hdr[10] = {0xC3, 0x01};
		for (int i = 0; i < 8; i++)
			hdr[2 + i] = (uint8_t)(fp >> (8 * i));
		err = pw__buf_put(&b, hdr, sizeof hdr);
	}
	if (!err)
		err = pw__avro_write(pw_avsc_root(writer), conf, &b, errbuf);
fail:
	json_decref(conf);
	if (err) {
		free(b.p);
		return err;
	}
	*out = b.p;
	*len = b.len;
	return PA_OK;
}

const char *pw_codec_dlq_reason(pa_err_t err)
{
	if (err == PA_OK || pa_err_is_retryable(err))
		return NULL;
	switch (err) {
	case PA_PARSE: return "UNDECODABLE";
	case PA_NOT_FOUND: return "UNKNOWN_SCHEMA";
	case PA_VALIDATION: return "VALIDATION";
	default: return "INTERNAL";
	}
}

pa_err_t pw_codec_time_ms(const char *iso8601, int64_t *ms)
{
	if (!iso8601 || !ms)
		return PA_VALIDATION;
	return pw__iso8601_ms(iso8601, ms);
}

pw_framing_t pw_codec_detect(const uint8_t *buf, size_t len)
{
	if (!buf || len == 0)
		return PW_FRAMING_UNKNOWN;
	if (buf[0] == 0x00)
		return PW_FRAMING_CONFLUENT;
	if (buf[0] == 0xC3 && len >= 2 && buf[1] == 0x01)
		return PW_FRAMING_SINGLE_OBJECT;
	size_t i = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
			   buf[i] == '\r'))
		i++;
	if (i < len && buf[i] == '{')
		return PW_FRAMING_JSON;
	return PW_FRAMING_UNKNOWN;
}

const char *pw_framing_name(pw_framing_t f)
{
	switch (f) {
	case PW_FRAMING_CONFLUENT: return "confluent";
	case PW_FRAMING_SINGLE_OBJECT: return "single-object";
	case PW_FRAMING_JSON: return "json";
	default: return "unknown";
	}
}

static pa_err_t writer_by_id(pw_codec_t *c, int32_t id, pw_avsc_t **out,
			     char *errbuf)
{
	char key[16];
	snprintf(key, sizeof key, "%" PRId32, id);
	json_t *hit = json_object_get(c->by_id, key);
	if (hit) {
		*out = c->ids[json_integer_value(hit)];
		return PA_OK;
	}
	if (!c->reg)
		return pa_seterr(errbuf, PA_NOT_FOUND,
				 "unknown writer schema: Confluent-framed "
				 "record (schema id %" PRId32
				 ") but no schema registry is configured",
				 id);
	const char *text;
	char eb[PA_ERRBUF_SIZE] = "";
	pa_err_t err = pw_registry_schema_by_id(c->reg, id, &text, eb);
	if (err == PA_NOT_FOUND)
		return pa_seterr(errbuf, err,
				 "unknown writer schema: registry has no "
				 "schema id %" PRId32 " (%s)",
				 id, eb);
	if (err)
		return pa_seterr(errbuf, err, "schema id %" PRId32 ": %s", id,
				 eb);
	pw_avsc_t *s;
	if ((err = pw_avsc_parse(text, strlen(text), &s, eb)))
		return pa_seterr(errbuf, PA_NOT_FOUND,
				 "writer schema id %" PRId32 " unusable: %s",
				 id, eb);
	return keep_registry_schema(c, id, s, out);
}

static pa_err_t decode_json(pw_codec_t *c, const char *expect,
			    const uint8_t *buf, size_t len, json_t **rec,
			    const char **name, char *errbuf)
{
	json_error_t jerr;
	/* Duplicate keys are refused: {"amount_minor":1,"amount_minor":9}
	 * must not mean whatever the parser keeps. */
	json_t *in = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
				&jerr);
	char jt[200];
	if (!in)
		return pa_seterr(errbuf, PA_PARSE, "undecodable JSON: %s",
				 pa_json_error_text(&jerr, jt, sizeof jt));
	pa_err_t err;
	char eb[PA_ERRBUF_SIZE] = "";
	if (expect) {
		pw_avsc_t *s = find_embedded(c, expect);
		if (!s) {
			json_decref(in);
			return pa_seterr(errbuf, PA_NOT_FOUND,
					 "no schema called %s", expect);
		}
		/* A discriminator naming another schema is a wrong record. */
		size_t di;
		const char *t = json_string_value(json_object_get(in, "type"));
		const char *et = json_string_value(json_object_get(in, "event_type"));
		if (((t && pw_schemas_for_type("type", t, &di) == PA_OK) ||
		     (et && pw_schemas_for_type("event_type", et, &di) == PA_OK)) &&
		    di < c->n_embedded && c->sch[di] != s) {
			json_decref(in);
			return pa_seterr(errbuf, PA_VALIDATION,
					 "expected a %s record, got %s",
					 short_name(pw_avsc_fullname(s)),
					 short_name(pw_avsc_fullname(c->sch[di])));
		}
		err = pw__json_conform(pw_avsc_root(s), in, pw__read_mode(s), rec,
				       eb);
		json_decref(in);
		if (err)
			return pa_seterr(errbuf, err, "%s: %s",
					 short_name(pw_avsc_fullname(s)), eb);
		*name = short_name(pw_avsc_fullname(s));
		return PA_OK;
	}
	/* No schema given: the discriminator ("type" of commands, "event_type"
	 * of events), else the one embedded schema it matches exactly. */
	size_t idx;
	const char *dv = json_string_value(json_object_get(in, "type"));
	const char *df = "type";
	if (!dv) {
		dv = json_string_value(json_object_get(in, "event_type"));
		df = "event_type";
	}
	if (dv && pw_schemas_for_type(df, dv, &idx) == PA_OK &&
	    idx < c->n_embedded) {
		pw_avsc_t *s = c->sch[idx];
		err = pw__json_conform(pw_avsc_root(s), in, pw__read_mode(s), rec,
				       eb);
		json_decref(in);
		if (err)
			return pa_seterr(errbuf, err, "%s: %s",
					 short_name(pw_avsc_fullname(s)), eb);
		*name = short_name(pw_avsc_fullname(s));
		return PA_OK;
	}
	if (dv) {
		err = pw__unknown_type(df, dv, errbuf);
		json_decref(in); /* dv points into it */
		return err;
	}
	pw_avsc_t *match = NULL;
	json_t *best = NULL;
	size_t n = 0;
	for (size_t i = 0; i < c->n_embedded; i++) {
		json_t *o;
		if (pw__json_conform(pw_avsc_root(c->sch[i]), in,
				     PW__CONFORM_STRICT, &o, NULL) == PA_OK) {
			n++;
			json_decref(best);
			best = o;
			match = c->sch[i];
		}
	}
	json_decref(in);
	if (n != 1) {
		json_decref(best);
		return pa_seterr(errbuf, PA_VALIDATION,
				 n ? "JSON record matches %zu schemas; give "
				     "its \"type\" (a command) or "
				     "\"event_type\" (an event)"
				   : "JSON record matches no schema%.0zu; give "
				     "its \"type\" (a command) or "
				     "\"event_type\" (an event)",
				 n);
	}
	*rec = best;
	*name = short_name(pw_avsc_fullname(match));
	return PA_OK;
}

pa_err_t pw_codec_decode(pw_codec_t *codec, const char *expect,
			 const uint8_t *buf, size_t len, json_t **rec,
			 const char **schema_name, char *errbuf)
{
	if (!codec || !rec)
		return pa_seterr(errbuf, PA_INVAL, "decode: missing argument");
	const char *dummy;
	if (!schema_name)
		schema_name = &dummy;
	*rec = NULL;
	if (!buf || len == 0)
		return pa_seterr(errbuf, PA_PARSE, "undecodable: empty value");
	pw_framing_t f = pw_codec_detect(buf, len);
	pw_avsc_t *writer = NULL;
	size_t hdr;
	pa_err_t err;
	switch (f) {
	case PW_FRAMING_JSON:
		return decode_json(codec, expect, buf, len, rec, schema_name,
				   errbuf);
	case PW_FRAMING_CONFLUENT: {
		if (len < 5)
			return pa_seterr(errbuf, PA_PARSE,
					 "undecodable: Confluent header needs "
					 "5 bytes, got %zu",
					 len);
		int32_t id = (int32_t)((uint32_t)buf[1] << 24 |
				       (uint32_t)buf[2] << 16 |
				       (uint32_t)buf[3] << 8 | buf[4]);
		if ((err = writer_by_id(codec, id, &writer, errbuf)))
			return err;
		hdr = 5;
		break;
	}
	case PW_FRAMING_SINGLE_OBJECT: {
		if (len < 10)
			return pa_seterr(errbuf, PA_PARSE,
					 "undecodable: single-object header "
					 "needs 10 bytes, got %zu",
					 len);
		uint64_t fp = 0;
		for (int i = 7; i >= 0; i--)
			fp = fp << 8 | buf[2 + i];
		for (size_t i = 0; i < codec->n_sch && !writer; i++)
			if (pw_avsc_fingerprint(codec->sch[i]) == fp)
				writer = codec->sch[i];
		if (!writer)
			return pa_seterr(errbuf, PA_NOT_FOUND,
					 "unknown writer schema: fingerprint "
					 "0x%016" PRIx64 " is none of ours",
					 fp);
		hdr = 10;
		break;
	}
	default:
		return pa_seterr(errbuf, PA_PARSE,
				 "undecodable: unknown framing (first byte "
				 "0x%02x; expected 0x00, 0xC3 0x01 or '{')",
				 buf[0]);
	}
	pw_avsc_t *reader = reader_for(codec, writer);
	const char *wname = short_name(pw_avsc_fullname(writer));
	if (expect) {
		pw_avsc_t *want = find_embedded(codec, expect);
		if (!want || (reader && want != reader) ||
		    (!reader && strcmp(wname, expect) != 0))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "expected a %s record, got %s", expect,
					 wname);
	}
	char eb[PA_ERRBUF_SIZE] = "";
	json_t *raw;
	if ((err = pw__avro_read(pw_avsc_root(writer), buf + hdr, len - hdr,
				 &raw, eb)))
		return pa_seterr(errbuf, err, "%s (writer %s): %s",
				 pw_framing_name(f), wname, eb);
	if (!reader || reader == writer) {
		*rec = raw;
		*schema_name = reader ? short_name(pw_avsc_fullname(reader))
				      : pw_avsc_fullname(writer);
		return PA_OK;
	}
	err = pw__json_conform(pw_avsc_root(reader), raw, pw__read_mode(reader),
			       rec, eb);
	json_decref(raw);
	if (err)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "writer schema of %s cannot be read with "
				 "ours: %s",
				 wname, eb);
	*schema_name = short_name(pw_avsc_fullname(reader));
	return PA_OK;
}
