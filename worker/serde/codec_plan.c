/* codec_plan.c -- compiling a schema into a plan (codec_plan.h).
 * Owns: plan nodes, their sharing for named types, freeing.
 * Not here: the walk over a record (codec_walk.c). */
#include "serde/codec_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serde/avro_schema.h"

/* ---- compiling -------------------------------------------------------- */

typedef struct ccx {
	pw__plan_t *root; /* owner of the `all` chain */
	const json_t **seen;
	pw__plan_t **made;
	size_t n, cap;
	char *errbuf;
	pa_err_t err;
} ccx_t;

static pw__plan_t *compile(const json_t *node, ccx_t *cx);

static pw__plan_t *node_new(ccx_t *cx, const json_t *node)
{
	pw__plan_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->node = node;
	if (!cx->root) {
		cx->root = p;
	} else {
		p->all = cx->root->all;
		cx->root->all = p;
	}
	/* a named type used twice is one json_t (avro_schema.h): one node */
	if (cx->n == cx->cap) {
		size_t c = cx->cap ? 2 * cx->cap : 32;
		const json_t **s = realloc(cx->seen, c * sizeof *s);
		if (s)
			cx->seen = s;
		pw__plan_t **m = s ? realloc(cx->made, c * sizeof *m) : NULL;
		if (!m)
			return p; /* only the sharing is lost */
		cx->made = m;
		cx->cap = c;
	}
	cx->seen[cx->n] = node;
	cx->made[cx->n++] = p;
	return p;
}

static int compile_record(pw__plan_t *p, ccx_t *cx)
{
	const json_t *fs = json_object_get(p->node, "fields");
	p->nfields = json_array_size(fs);
	p->fields = calloc(p->nfields ? p->nfields : 1, sizeof *p->fields);
	if (!p->fields)
		return 0;
	for (size_t i = 0; i < p->nfields; i++) {
		const json_t *f = json_array_get(fs, i);
		pw__plan_field_t *fd = &p->fields[i];
		fd->name = json_string_value(json_object_get(f, "name"));
		if (!fd->name)
			return 0;
		fd->len = strlen(fd->name);
		fd->jlen = fd->len + 4;
		fd->jkey = malloc(fd->jlen + 1);
		if (!fd->jkey)
			return 0;
		/* Avro names are [A-Za-z_][A-Za-z0-9_]*: nothing to escape */
		snprintf(fd->jkey, fd->jlen + 1, ",\"%s\":", fd->name);
		const json_t *ft = json_object_get(f, "type");
		if (!(fd->type = compile(ft, cx)))
			return 0;
		fd->dflt = json_object_get(f, "default");
		fd->dtype = json_is_array(ft) ? fd->type->br[0] : fd->type;
	}
	return 1;
}

static pw__plan_t *compile(const json_t *node, ccx_t *cx)
{
	for (size_t i = 0; i < cx->n; i++)
		if (cx->seen[i] == node)
			return cx->made[i];
	pw__plan_t *p = node_new(cx, node);
	if (!p)
		return NULL;
	static const struct {
		const char *name;
		enum pw__plan_kind kind;
	} kinds[] = {{"null", PW__P_NULL},	   {"boolean", PW__P_BOOL},
		     {"int", PW__P_INT},	   {"long", PW__P_LONG},
		     {"float", PW__P_FLOAT},   {"double", PW__P_DOUBLE},
		     {"string", PW__P_STRING}, {"bytes", PW__P_BYTES},
		     {"fixed", PW__P_FIXED},   {"enum", PW__P_ENUM},
		     {"array", PW__P_ARRAY},   {"map", PW__P_MAP},
		     {"record", PW__P_RECORD}, {"error", PW__P_RECORD},
		     {"union", PW__P_UNION}};
	const char *k = pw_avsc_kind(node);
	size_t i = 0;
	while (i < sizeof kinds / sizeof kinds[0] && strcmp(kinds[i].name, k))
		i++;
	if (i == sizeof kinds / sizeof kinds[0]) {
		cx->err = pa_seterr(cx->errbuf, PA_UNSUPPORTED,
				    "unsupported schema type %s", k);
		return NULL;
	}
	p->kind = kinds[i].kind;
	switch (p->kind) {
	case PW__P_INT:
	case PW__P_LONG:
		p->ts_ms = pw_avsc_is_timestamp_millis(node);
		break;
	case PW__P_FIXED:
		p->size = json_integer_value(json_object_get(node, "size"));
		break;
	case PW__P_ENUM: {
		const json_t *s = json_object_get(node, "symbols");
		p->nsyms = json_array_size(s);
		p->syms = calloc(p->nsyms ? p->nsyms : 1, sizeof *p->syms);
		if (!p->syms)
			return NULL;
		for (size_t j = 0; j < p->nsyms; j++)
			p->syms[j] = json_array_get(s, j);
		p->enum_dflt = json_object_get(node, "default");
		p->enum_name = json_string_value(json_object_get(node, "name"));
		if (p->enum_name && strrchr(p->enum_name, '.'))
			p->enum_name = strrchr(p->enum_name, '.') + 1;
		break;
	}
	case PW__P_ARRAY:
	case PW__P_MAP:
		p->items = compile(json_object_get(node, p->kind == PW__P_ARRAY
								 ? "items"
								 : "values"),
				   cx);
		if (!p->items)
			return NULL;
		break;
	case PW__P_RECORD:
		if (!compile_record(p, cx))
			return NULL;
		break;
	case PW__P_UNION:
		p->nbr = json_array_size(node);
		p->br = calloc(p->nbr ? p->nbr : 1, sizeof *p->br);
		if (!p->br || p->nbr == 0)
			return NULL;
		for (size_t j = 0; j < p->nbr; j++) {
			if (!(p->br[j] = compile(json_array_get(node, j), cx)))
				return NULL;
			if (p->br[j]->kind != PW__P_NULL)
				p->nonnull++;
		}
		break;
	default:
		break;
	}
	return p;
}

void pw__plan_free(pw__plan_t *plan)
{
	while (plan) {
		pw__plan_t *next = plan->all;
		for (size_t i = 0; i < plan->nfields; i++)
			free(plan->fields[i].jkey);
		free(plan->fields);
		free(plan->syms);
		free(plan->br);
		free(plan);
		plan = next;
	}
}

pa_err_t pw__plan_compile(const json_t *root, pw__plan_t **out, char *errbuf)
{
	ccx_t cx = {.errbuf = errbuf, .err = PA_NOMEM};
	*out = NULL;
	pw__plan_t *p = compile(root, &cx);
	free(cx.seen);
	free(cx.made);
	if (!p) {
		pw__plan_free(cx.root);
		return cx.err;
	}
	*out = cx.root;
	return PA_OK;
}

