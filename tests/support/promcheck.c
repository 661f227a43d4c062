/* promcheck.c -- see promcheck.h. (Moved here from check_metrics.c so
 * that every test scraping /metrics checks the same way.) */
#include "promcheck.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXS 4096

typedef struct series {
	char name[128];
	char labels[512]; /* label set as written, without le */
	char le[32];
	double v;
} series_t;

typedef struct vstate {
	char fam[128], type[16];
	int have_help, have_type;
	char seen_fams[64][128];
	size_t nseen;
	series_t s[MAXS];
	size_t ns;
} vstate_t;

static int name_ok(const char *s, size_t n, int colon)
{
	if (n == 0 || isdigit((unsigned char)s[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		      (colon && s[i] == ':')))
			return 0;
	return 1;
}

static int value_ok(const char *s, double *v)
{
	if (!strcmp(s, "+Inf") || !strcmp(s, "-Inf") || !strcmp(s, "NaN")) {
		*v = !strcmp(s, "NaN") ? NAN : s[0] == '+' ? INFINITY : -INFINITY;
		return 1;
	}
	char *end;
	*v = strtod(s, &end);
	if (end == s || *end || isspace((unsigned char)s[0]))
		return 0;
	/* strtod also takes hex, "inf", "nan": refuse them */
	for (const char *p = s; *p; p++)
		if (!(isdigit((unsigned char)*p) || strchr("+-.eE", *p)))
			return 0;
	return 1;
}

/* Parses {a="x",b="y"} at *pp into canonical text without `le`; le value
 * into le. Returns 0 on a grammar error. */
static int parse_labels(const char **pp, char *out, size_t osz, char *le)
{
	const char *p = *pp;
	size_t on = 0;
	out[0] = le[0] = '\0';
	if (*p != '{')
		return 1;
	p++;
	while (*p != '}') {
		const char *ns = p;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		size_t nl = (size_t)(p - ns);
		if (!name_ok(ns, nl, 0) || *p != '=' || p[1] != '"')
			return 0;
		p += 2;
		char val[256];
		size_t vl = 0;
		while (*p != '"') {
			if (!*p || *p == '\n')
				return 0;
			if (*p == '\\') {
				if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
					return 0;
				if (vl < sizeof val - 2)
					val[vl++] = *p++;
			}
			if (vl < sizeof val - 1)
				val[vl++] = *p;
			p++;
		}
		val[vl] = '\0';
		p++;
		if (nl == 2 && !strncmp(ns, "le", 2))
			snprintf(le, 32, "%.31s", val);
		else
			on += (size_t)snprintf(out + on, osz - on, "%.*s=%s;",
					       (int)nl, ns, val);
		if (*p == ',')
			p++;
		else if (*p != '}')
			return 0;
	}
	*pp = p + 1;
	return 1;
}

/* NULL when text is valid; otherwise a message naming the line. */
static const char *validate(vstate_t *stp, const char *text, char *msg,
			    size_t msz)
{
#define st (*stp)
	int ln = 0;
#define BAD(...)                                                               \
	do {                                                                   \
		int k_ = snprintf(msg, msz, "line %d: ", ln);                 \
		snprintf(msg + k_, msz - (size_t)k_, __VA_ARGS__);             \
		return msg;                                                    \
	} while (0)
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		ln++;
		if (!nl)
			BAD("no trailing newline");
		char line[1024];
		snprintf(line, sizeof line, "%.*s", (int)(nl - p), p);
		p = nl + 1;
		if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
			const char *n = line + 7, *sp = strchr(n, ' ');
			if (!sp || !name_ok(n, (size_t)(sp - n), 1))
				BAD("bad name in %s", line);
			char name[128];
			snprintf(name, sizeof name, "%.*s", (int)(sp - n), n);
			if (line[2] == 'H') {
				for (size_t i = 0; i < st.nseen; i++)
					if (!strcmp(st.seen_fams[i], name))
						BAD("family %s twice", name);
				snprintf(st.seen_fams[st.nseen++], 128, "%s",
					 name);
				snprintf(st.fam, sizeof st.fam, "%s", name);
				st.have_help = 1;
				st.have_type = 0;
				for (const char *h = sp + 1; *h; h++)
					if (*h == '\\' && h[1] != '\\' &&
					    h[1] != 'n')
						BAD("bad escape in HELP");
					else if (*h == '\\')
						h++;
			} else {
				if (!st.have_help || strcmp(name, st.fam))
					BAD("TYPE without HELP for %s", name);
				if (st.have_type)
					BAD("second TYPE for %s", name);
				const char *t = sp + 1;
				if (strcmp(t, "counter") && strcmp(t, "gauge") &&
				    strcmp(t, "histogram"))
					BAD("bad type %s", t);
				snprintf(st.type, sizeof st.type, "%s", t);
				st.have_type = 1;
			}
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			BAD("unexpected line '%s'", line);
		const char *q = line;
		while (isalnum((unsigned char)*q) || *q == '_' || *q == ':')
			q++;
		series_t *s = &st.s[st.ns];
		snprintf(s->name, sizeof s->name, "%.*s", (int)(q - line), line);
		if (!name_ok(line, (size_t)(q - line), 1))
			BAD("bad sample name");
		if (!parse_labels(&q, s->labels, sizeof s->labels, s->le))
			BAD("bad label set in '%s'", line);
		if (*q != ' ')
			BAD("no space before value");
		if (!value_ok(q + 1, &s->v))
			BAD("bad value '%s'", q + 1);
		if (!st.have_type)
			BAD("sample before HELP/TYPE");
		/* which family? */
		int hist = !strcmp(st.type, "histogram");
		char base[128];
		snprintf(base, sizeof base, "%s", s->name);
		const char *suf[] = {"_bucket", "_sum", "_count"};
		int which = -1;
		if (hist)
			for (int i = 0; i < 3; i++) {
				size_t bl = strlen(base), sl = strlen(suf[i]);
				if (bl > sl && !strcmp(base + bl - sl, suf[i])) {
					base[bl - sl] = '\0';
					which = i;
					break;
				}
			}
		if (strcmp(base, st.fam) || (hist && which < 0))
			BAD("sample %s outside family %s", s->name, st.fam);
		if ((which == 0) != (s->le[0] != 0))
			BAD("le only (and always) on _bucket");
		if (!strcmp(st.type, "counter") && !(s->v >= 0))
			BAD("negative counter");
		for (size_t i = 0; i < st.ns; i++)
			if (!strcmp(st.s[i].name, s->name) &&
			    !strcmp(st.s[i].labels, s->labels) &&
			    !strcmp(st.s[i].le, s->le))
				BAD("duplicate series %s", s->name);
		if (++st.ns == MAXS)
			BAD("too many samples for the validator");
	}
	/* histogram math per label set */
	for (size_t i = 0; i < st.ns; i++) {
		series_t *s = &st.s[i];
		size_t bl = strlen(s->name);
		if (bl < 7 || strcmp(s->name + bl - 7, "_bucket") ||
		    (i && !strcmp(st.s[i - 1].name, s->name) &&
		     !strcmp(st.s[i - 1].labels, s->labels)))
			continue; /* only at the first bucket of a set */
		double prev_le = -INFINITY, prev = 0, inf = -1;
		size_t j = i;
		for (; j < st.ns && !strcmp(st.s[j].name, s->name) &&
		       !strcmp(st.s[j].labels, s->labels);
		     j++) {
			double le;
			value_ok(st.s[j].le, &le);
			if (!(le > prev_le))
				BAD("%s{%s}: le not increasing", s->name,
				    s->labels);
			if (st.s[j].v < prev)
				BAD("%s{%s}: buckets not cumulative", s->name,
				    s->labels);
			prev_le = le;
			prev = st.s[j].v;
			if (isinf(le))
				inf = st.s[j].v;
		}
		if (inf < 0)
			BAD("%s{%s}: no +Inf bucket", s->name, s->labels);
		char cname[140];
		snprintf(cname, sizeof cname, "%.*s_count", (int)(bl - 7),
			 s->name);
		int found = 0;
		for (size_t k = 0; k < st.ns; k++)
			if (!strcmp(st.s[k].name, cname) &&
			    !strcmp(st.s[k].labels, s->labels)) {
				found = 1;
				if (st.s[k].v != inf)
					BAD("%s: +Inf %g != _count %g", s->name,
					    inf, st.s[k].v);
			}
		if (!found)
			BAD("%s{%s}: no _count", s->name, s->labels);
	}
	return NULL;
#undef BAD
#undef st
}

const char *pwt_promcheck(const char *text, char *msg, size_t msz)
{
	vstate_t *st = calloc(1, sizeof *st);
	if (!st) {
		snprintf(msg, msz, "out of memory");
		return msg;
	}
	const char *r = validate(st, text, msg, msz);
	free(st);
	return r;
}
