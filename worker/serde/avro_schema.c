/* avro_schema.c -- parsed schemas, canonical form, fingerprints,
 *                  compatibility (avro_schema.h).
 * Owns: the normalization pass, the Parsing Canonical Form transform, the
 *       CRC-64-AVRO table, the resolution-rule checker.
 * Not here: reading/writing records (codec_avro.c, codec_json.c). */
#include "serde/avro_schema.h"

#include <avro.h>
#include <stdlib.h>
#include <string.h>

#include "serde/codec_plan.h"

struct pw_avsc {
	char *text;
	char *canonical;
	char *fullname;
	uint64_t fp;
	json_t *root;
	pw__plan_t *plan; /* root compiled for the codec's walks */
};

/* ---- CRC-64-AVRO ------------------------------------------------------ */

uint64_t pw_crc64_avro(const void *buf, size_t len)
{
	/* The spec's reference implementation builds the same 256-entry table;
	 * computing it per call keeps the module free of mutable globals and
	 * costs ~2k operations, nothing next to a schema parse. */
	uint64_t table[256];
	for (int i = 0; i < 256; i++) {
		uint64_t fp = (uint64_t)i;
		for (int j = 0; j < 8; j++)
			fp = (fp >> 1) ^ (PW_CRC64_AVRO_EMPTY & (0 - (fp & 1)));
		table[i] = fp;
	}
	uint64_t fp = PW_CRC64_AVRO_EMPTY;
	const uint8_t *p = buf;
	for (size_t i = 0; i < len; i++)
		fp = (fp >> 8) ^ table[(fp ^ p[i]) & 0xff];
	return fp;
}

/* ---- names ------------------------------------------------------------ */

static const char *const prims[] = {"null",  "boolean", "int",   "long",
				    "float", "double",  "bytes", "string"};

static int is_prim(const char *t)
{
	for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
		if (strcmp(t, prims[i]) == 0)
			return 1;
	return 0;
}

static int is_named(const char *t)
{
	return !strcmp(t, "record") || !strcmp(t, "error") ||
	       !strcmp(t, "enum") || !strcmp(t, "fixed");
}

/* Full name of `name` in namespace ns (spec "Names"): a dotted name is
 * already full. Writes into buf; returns buf or NULL when too long. */
static const char *fullname(const char *name, const char *ns, char *buf,
			    size_t size)
{
	int n;
	if (strchr(name, '.') || !ns || !*ns)
		n = snprintf(buf, size, "%s", name);
	else
		n = snprintf(buf, size, "%s.%s", ns, name);
	return (n < 0 || (size_t)n >= size) ? NULL : buf;
}

/* Namespace of a full name into buf ("" when none). */
static void ns_of(const char *full, char *buf, size_t size)
{
	const char *dot = strrchr(full, '.');
	size_t n = dot ? (size_t)(dot - full) : 0;
	if (n >= size)
		n = size - 1;
	memcpy(buf, full, n);
	buf[n] = '\0';
}

/* Name + namespace of a named definition -> full name. */
static const char *def_fullname(const json_t *obj, const char *ns, char *buf,
				size_t size)
{
	const char *name = json_string_value(json_object_get(obj, "name"));
	const char *own = json_string_value(json_object_get(obj, "namespace"));
	if (!name)
		return NULL;
	return fullname(name, own ? own : ns, buf, size);
}

/* ---- normalization ---------------------------------------------------- */

typedef struct norm_ctx {
	json_t *named;	  /* full name -> node (borrowed refs held here) */
	json_t *defining; /* full names being defined (recursion guard) */
	char *errbuf;
	pa_err_t err;
} norm_ctx_t;

static json_t *norm(const json_t *src, const char *ns, norm_ctx_t *cx);

static json_t *norm_named_ref(const char *t, const char *ns, norm_ctx_t *cx)
{
	char full[512];
	if (!fullname(t, ns, full, sizeof full)) {
		cx->err = pa_seterr(cx->errbuf, PA_PARSE, "type name too long");
		return NULL;
	}
	json_t *n = json_object_get(cx->named, full);
	if (!n && strchr(t, '.') == NULL)
		n = json_object_get(cx->named, t); /* null namespace */
	if (!n) {
		if (json_object_get(cx->defining, full))
			cx->err = pa_seterr(cx->errbuf, PA_UNSUPPORTED,
				  "recursive type %s is not supported", full);
		else
			cx->err = pa_seterr(cx->errbuf, PA_PARSE, "unknown type %s", t);
		return NULL;
	}
	return json_incref(n);
}

static json_t *norm_record(const json_t *src, const char *full,
			   norm_ctx_t *cx)
{
	char ns[512];
	ns_of(full, ns, sizeof ns);
	json_t *out = json_pack("{s:s, s:s}", "type", "record", "name", full);
	json_t *fields = json_array();
	json_object_set_new(out, "fields", fields);
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(src, "fields"), i, f)
	{
		const char *fname = json_string_value(json_object_get(f, "name"));
		json_t *ft = fname ? norm(json_object_get(f, "type"), ns, cx)
				   : NULL;
		if (!ft) {
			if (!fname)
				cx->err = pa_seterr(cx->errbuf, PA_PARSE,
					  "%s: field without a name", full);
			json_decref(out);
			return NULL;
		}
		json_t *nf = json_pack("{s:s, s:o}", "name", fname, "type", ft);
		json_t *dflt = json_object_get(f, "default");
		if (dflt)
			json_object_set(nf, "default", dflt);
		json_array_append_new(fields, nf);
	}
	return out;
}

static json_t *norm_object(const json_t *src, const char *ns, norm_ctx_t *cx)
{
	const json_t *tv = json_object_get(src, "type");
	if (tv && !json_is_string(tv))
		return norm(tv, ns, cx); /* {"type": {...}} or {"type": [...]} */
	const char *t = json_string_value(tv);
	if (!t) {
		cx->err = pa_seterr(cx->errbuf, PA_PARSE, "schema object without type");
		return NULL;
	}
	if (is_prim(t)) {
		json_t *out = json_pack("{s:s}", "type", t);
		json_t *lt = json_object_get(src, "logicalType");
		if (lt)
			json_object_set(out, "logicalType", lt);
		return out;
	}
	if (!strcmp(t, "array") || !strcmp(t, "map")) {
		const char *key = t[0] == 'a' ? "items" : "values";
		json_t *sub = norm(json_object_get(src, key), ns, cx);
		return sub ? json_pack("{s:s, s:o}", "type", t, key, sub) : NULL;
	}
	if (!is_named(t))
		return norm_named_ref(t, ns, cx);
	char full[512];
	if (!def_fullname(src, ns, full, sizeof full)) {
		cx->err = pa_seterr(cx->errbuf, PA_PARSE, "%s without a valid name", t);
		return NULL;
	}
	json_object_set_new(cx->defining, full, json_true());
	json_t *out;
	if (!strcmp(t, "enum")) {
		out = json_pack("{s:s, s:s, s:O}", "type", "enum", "name", full,
				"symbols", json_object_get(src, "symbols"));
		json_t *dflt = json_object_get(src, "default");
		if (out && dflt)
			json_object_set(out, "default", dflt);
	} else if (!strcmp(t, "fixed")) {
		out = json_pack("{s:s, s:s, s:O}", "type", "fixed", "name", full,
				"size", json_object_get(src, "size"));
	} else {
		out = norm_record(src, full, cx);
	}
	json_object_del(cx->defining, full);
	if (out)
		json_object_set(cx->named, full, out);
	return out;
}

static json_t *norm(const json_t *src, const char *ns, norm_ctx_t *cx)
{
	if (json_is_string(src)) {
		const char *t = json_string_value(src);
		if (is_prim(t))
			return json_pack("{s:s}", "type", t);
		return norm_named_ref(t, ns, cx);
	}
	if (json_is_array(src)) {
		json_t *out = json_array();
		size_t i;
		json_t *b;
		json_array_foreach(src, i, b)
		{
			json_t *nb = norm(b, ns, cx);
			if (!nb) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, nb);
		}
		return out;
	}
	if (json_is_object(src))
		return norm_object(src, ns, cx);
	cx->err = pa_seterr(cx->errbuf, PA_PARSE, "schema node is not a string, array "
					"or object");
	return NULL;
}

/* ---- Parsing Canonical Form ------------------------------------------- */

/* Avro spec "Parsing Canonical Form": [PRIMITIVES] [FULLNAMES] [STRIP]
 * [ORDER] (name, type, fields, symbols, items, values, size) [STRINGS]
 * [INTEGERS] [WHITESPACE]; a named type appears in full only at its first
 * occurrence, afterwards as its full name. */
static json_t *pcf(const json_t *src, const char *ns, json_t *seen,
		   char *errbuf)
{
	if (json_is_string(src)) {
		const char *t = json_string_value(src);
		char full[512];
		if (is_prim(t))
			return json_string(t);
		if (!fullname(t, ns, full, sizeof full))
			goto bad;
		return json_string(full);
	}
	if (json_is_array(src)) {
		json_t *out = json_array();
		size_t i;
		json_t *b;
		json_array_foreach(src, i, b)
		{
			json_t *c = pcf(b, ns, seen, errbuf);
			if (!c) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(out, c);
		}
		return out;
	}
	if (!json_is_object(src))
		goto bad;
	const json_t *tv = json_object_get(src, "type");
	if (tv && !json_is_string(tv))
		return pcf(tv, ns, seen, errbuf);
	const char *t = json_string_value(tv);
	if (!t)
		goto bad;
	if (is_prim(t))
		return json_string(t);
	if (!strcmp(t, "array") || !strcmp(t, "map")) {
		const char *key = t[0] == 'a' ? "items" : "values";
		json_t *sub = pcf(json_object_get(src, key), ns, seen, errbuf);
		return sub ? json_pack("{s:s, s:o}", "type", t, key, sub) : NULL;
	}
	if (!is_named(t)) { /* {"type": "SomeNamedType"} */
		json_t *s = json_string(t);
		json_t *r = pcf(s, ns, seen, errbuf);
		json_decref(s);
		return r;
	}
	char full[512], sub_ns[512];
	if (!def_fullname(src, ns, full, sizeof full))
		goto bad;
	if (json_object_get(seen, full))
		return json_string(full);
	json_object_set_new(seen, full, json_true());
	json_t *out = json_pack("{s:s, s:s}", "name", full, "type", t);
	if (!strcmp(t, "enum")) {
		json_object_set(out, "symbols", json_object_get(src, "symbols"));
	} else if (!strcmp(t, "fixed")) {
		json_object_set(out, "size", json_object_get(src, "size"));
	} else {
		ns_of(full, sub_ns, sizeof sub_ns);
		json_t *fields = json_array();
		json_object_set_new(out, "fields", fields);
		size_t i;
		json_t *f;
		json_array_foreach(json_object_get(src, "fields"), i, f)
		{
			json_t *ft = pcf(json_object_get(f, "type"), sub_ns,
					 seen, errbuf);
			if (!ft) {
				json_decref(out);
				return NULL;
			}
			json_array_append_new(
				fields,
				json_pack("{s:O, s:o}", "name",
					  json_object_get(f, "name"), "type",
					  ft));
		}
	}
	return out;
bad:
	pa_seterr(errbuf, PA_PARSE, "malformed schema node");
	return NULL;
}

static pa_err_t canonical_of(const json_t *src, char **out, char *errbuf)
{
	json_t *seen = json_object();
	json_t *c = pcf(src, "", seen, errbuf);
	json_decref(seen);
	if (!c)
		return PA_PARSE;
	*out = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER |
				     JSON_ENCODE_ANY);
	json_decref(c);
	return *out ? PA_OK : pa_seterr(errbuf, PA_NOMEM, "canonical form");
}

static json_t *load(const char *text, size_t len, char *errbuf)
{
	json_error_t jerr;
	json_t *src = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
	if (!src)
		pa_seterr(errbuf, PA_PARSE, "schema is not JSON: %s (line %d)",
			  jerr.text, jerr.line);
	return src;
}

pa_err_t pw_avsc_canonical_form(const char *json, size_t len, char **out,
				char *errbuf)
{
	if (!json || !out)
		return pa_seterr(errbuf, PA_INVAL, "no schema");
	json_t *src = load(json, len, errbuf);
	if (!src)
		return PA_PARSE;
	pa_err_t err = canonical_of(src, out, errbuf);
	json_decref(src);
	return err;
}

/* ---- parse ------------------------------------------------------------ */

void pw_avsc_destroy(pw_avsc_t *sch)
{
	if (!sch)
		return;
	free(sch->text);
	free(sch->canonical);
	free(sch->fullname);
	pw__plan_free(sch->plan);
	json_decref(sch->root);
	free(sch);
}

pa_err_t pw_avsc_parse(const char *json, size_t len, pw_avsc_t **out,
		       char *errbuf)
{
	if (!json || !out)
		return pa_seterr(errbuf, PA_INVAL, "no schema");
	*out = NULL;
	/* Avro-C is the validator of record (names, symbols, defaults...). */
	avro_schema_t as;
	if (avro_schema_from_json_length(json, len, &as) != 0)
		return pa_seterr(errbuf, PA_PARSE, "invalid Avro schema: %s",
				 avro_strerror());
	avro_schema_decref(as);

	json_t *src = load(json, len, errbuf);
	if (!src)
		return PA_PARSE;
	pa_err_t err = PA_NOMEM;
	pw_avsc_t *sch = calloc(1, sizeof *sch);
	norm_ctx_t cx = {json_object(), json_object(), errbuf, PA_PARSE};
	if (!sch)
		goto out;
	sch->text = strndup(json, len);
	if (!sch->text)
		goto out;
	err = canonical_of(src, &sch->canonical, errbuf);
	if (err)
		goto out;
	sch->fp = pw_crc64_avro(sch->canonical, strlen(sch->canonical));
	sch->root = norm(src, "", &cx);
	if (!sch->root) {
		err = cx.err;
		goto out;
	}
	const char *name = json_string_value(json_object_get(sch->root, "name"));
	sch->fullname = strdup(name ? name : pw_avsc_kind(sch->root));
	err = sch->fullname ? PA_OK : PA_NOMEM;
	if (!err)
		err = pw__plan_compile(sch->root, &sch->plan, errbuf);
out:
	/* Break the sharing of named nodes held by cx.named before freeing. */
	json_decref(cx.named);
	json_decref(cx.defining);
	json_decref(src);
	if (err) {
		pw_avsc_destroy(sch);
		return err;
	}
	*out = sch;
	return PA_OK;
}

const char *pw_avsc_fullname(const pw_avsc_t *sch)
{
	return sch->fullname;
}
const char *pw_avsc_text(const pw_avsc_t *sch)
{
	return sch->text;
}
const char *pw_avsc_canonical(const pw_avsc_t *sch)
{
	return sch->canonical;
}
uint64_t pw_avsc_fingerprint(const pw_avsc_t *sch)
{
	return sch->fp;
}
const json_t *pw_avsc_root(const pw_avsc_t *sch)
{
	return sch->root;
}
const pw__plan_t *pw_avsc_plan(const pw_avsc_t *sch)
{
	return sch->plan;
}

const char *pw_avsc_kind(const json_t *node)
{
	if (json_is_array(node))
		return "union";
	const char *t = json_string_value(json_object_get(node, "type"));
	return t ? t : "?";
}

int pw_avsc_is_timestamp_millis(const json_t *node)
{
	const char *lt = json_string_value(json_object_get(node, "logicalType"));
	return lt && !strcmp(lt, "timestamp-millis");
}

/* ---- compatibility ---------------------------------------------------- */

static const char *short_name(const char *full)
{
	const char *dot = strrchr(full, '.');
	return dot ? dot + 1 : full;
}

static int same_name(const json_t *r, const json_t *w)
{
	const char *a = json_string_value(json_object_get(r, "name"));
	const char *b = json_string_value(json_object_get(w, "name"));
	if (!a || !b)
		return 0;
	return !strcmp(a, b) || !strcmp(short_name(a), short_name(b));
}

/* Writer primitive w promotes to reader primitive r (spec "Schema
 * Resolution"). */
static int promotes(const char *w, const char *r)
{
	if (!strcmp(w, r))
		return 1;
	if (!strcmp(w, "int"))
		return !strcmp(r, "long") || !strcmp(r, "float") ||
		       !strcmp(r, "double");
	if (!strcmp(w, "long"))
		return !strcmp(r, "float") || !strcmp(r, "double");
	if (!strcmp(w, "float"))
		return !strcmp(r, "double");
	if (!strcmp(w, "string"))
		return !strcmp(r, "bytes");
	if (!strcmp(w, "bytes"))
		return !strcmp(r, "string");
	return 0;
}

static pa_err_t compat(const json_t *r, const json_t *w, const char *path,
		       char *errbuf);

static pa_err_t compat_record(const json_t *r, const json_t *w,
			      const char *path, char *errbuf)
{
	size_t i, j;
	json_t *rf, *wf;
	json_array_foreach(json_object_get(r, "fields"), i, rf)
	{
		const char *name = json_string_value(json_object_get(rf, "name"));
		char sub[512];
		snprintf(sub, sizeof sub, "%s.%s", path, name);
		const json_t *match = NULL;
		json_array_foreach(json_object_get(w, "fields"), j, wf)
		{
			if (!strcmp(name, json_string_value(
						  json_object_get(wf, "name"))))
				match = wf;
		}
		if (!match) {
			if (!json_object_get(rf, "default"))
				return pa_seterr(errbuf, PA_VALIDATION,
						 "%s: reader field missing in "
						 "writer and has no default",
						 sub);
			continue;
		}
		pa_err_t err = compat(json_object_get(rf, "type"),
				      json_object_get(match, "type"), sub,
				      errbuf);
		if (err)
			return err;
	}
	return PA_OK;
}

static pa_err_t compat(const json_t *r, const json_t *w, const char *path,
		       char *errbuf)
{
	const char *rk = pw_avsc_kind(r), *wk = pw_avsc_kind(w);
	if (!strcmp(wk, "union")) {
		size_t i;
		json_t *b;
		json_array_foreach(w, i, b)
		{
			char sub[512];
			snprintf(sub, sizeof sub, "%s<%s>", path,
				 pw_avsc_kind(b));
			pa_err_t err = compat(r, b, sub, errbuf);
			if (err)
				return err;
		}
		return PA_OK;
	}
	if (!strcmp(rk, "union")) {
		size_t i;
		json_t *b;
		json_array_foreach(r, i, b)
		{
			if (compat(b, w, path, NULL) == PA_OK)
				return PA_OK;
		}
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: no reader union branch reads writer %s",
				 path, wk);
	}
	if (is_prim(wk)) {
		if (is_prim(rk) && promotes(wk, rk))
			return PA_OK;
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: writer %s cannot be read as %s", path, wk,
				 rk);
	}
	if (strcmp(rk, wk) != 0)
		return pa_seterr(errbuf, PA_VALIDATION,
				 "%s: writer %s cannot be read as %s", path, wk,
				 rk);
	if (is_named(wk) && !same_name(r, w))
		return pa_seterr(errbuf, PA_VALIDATION, "%s: %s name differs",
				 path, wk);
	if (!strcmp(wk, "array"))
		return compat(json_object_get(r, "items"),
			      json_object_get(w, "items"), path, errbuf);
	if (!strcmp(wk, "map"))
		return compat(json_object_get(r, "values"),
			      json_object_get(w, "values"), path, errbuf);
	if (!strcmp(wk, "fixed")) {
		if (!json_equal(json_object_get(r, "size"),
				json_object_get(w, "size")))
			return pa_seterr(errbuf, PA_VALIDATION,
					 "%s: fixed size differs", path);
		return PA_OK;
	}
	if (!strcmp(wk, "enum")) {
		if (json_object_get(r, "default"))
			return PA_OK;
		size_t i, j;
		json_t *ws, *rs;
		json_array_foreach(json_object_get(w, "symbols"), i, ws)
		{
			int found = 0;
			json_array_foreach(json_object_get(r, "symbols"), j, rs)
				found |= json_equal(ws, rs);
			if (!found)
				return pa_seterr(errbuf, PA_VALIDATION,
						 "%s: writer symbol %s unknown "
						 "to reader without default",
						 path, json_string_value(ws));
		}
		return PA_OK;
	}
	return compat_record(r, w, path, errbuf);
}

pa_err_t pw_avsc_check_compat(const pw_avsc_t *reader, const pw_avsc_t *writer,
			      char *errbuf)
{
	if (!reader || !writer)
		return pa_seterr(errbuf, PA_INVAL, "no schema");
	return compat(reader->root, writer->root,
		      short_name(reader->fullname), errbuf);
}
