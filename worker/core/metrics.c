/* metrics.c -- Prometheus registry and text exposition (see metrics.h).
 * Owns: families, children (hash-indexed by label values), the 0.0.4 text
 *       format (escaping, number formatting, stable order).
 * Not here: serving /metrics (http.c). */
#include "metrics.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABEL_VALUE 128
#define DEFAULT_MAX_CHILDREN 1000

const double pw_metrics_seconds_buckets[] = {0.005, 0.01, 0.025, 0.05,
					     0.1,   0.25, 0.5,   1,
					     2.5,   5,    10,    30};
const size_t pw_metrics_seconds_nbuckets =
	sizeof pw_metrics_seconds_buckets / sizeof pw_metrics_seconds_buckets[0];

struct pw_mchild {
	pw_mfamily_t *fam;
	char **values;  /* fam->nlabels label values */
	uint64_t hash;
	double value;   /* counter / gauge value; histogram sum */
	unsigned long long count;
	unsigned long long *buckets; /* histogram: per bucket, non-cumulative,
					nbuckets + 1 (+Inf) */
};

struct pw_mfamily {
	pw_metric_type_t type;
	char *name, *help;
	char **labels;
	size_t nlabels;
	double *bounds;
	size_t nbounds;
	size_t max_children;
	struct pw_mchild **children;
	size_t nchildren, capchildren;
	struct pw_mchild **index; /* open addressing, power of two */
	size_t index_size;
	struct pw_mchild *overflow;
};

struct pw_metrics {
	pw_mfamily_t **fams;
	size_t nfams, capfams;
	void (*hook)(pw_metrics_t *reg, void *ud);
	void *hook_ud;
};

pa_err_t pw_metrics_new(pw_metrics_t **out)
{
	if (!out)
		return PA_INVAL;
	*out = calloc(1, sizeof **out);
	return *out ? PA_OK : PA_NOMEM;
}

static void child_free(struct pw_mchild *c, size_t nlabels)
{
	if (!c)
		return;
	for (size_t i = 0; c->values && i < nlabels; i++)
		free(c->values[i]);
	free(c->values);
	free(c->buckets);
	free(c);
}

static void family_free(pw_mfamily_t *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nchildren; i++)
		child_free(f->children[i], f->nlabels);
	child_free(f->overflow, f->nlabels);
	free(f->children);
	free(f->index);
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->labels);
	free(f->bounds);
	free(f->name);
	free(f->help);
	free(f);
}

void pw_metrics_destroy(pw_metrics_t *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->nfams; i++)
		family_free(reg->fams[i]);
	free(reg->fams);
	free(reg);
}

void pw_metrics_on_render(pw_metrics_t *reg,
			  void (*cb)(pw_metrics_t *reg, void *ud), void *ud)
{
	if (!reg)
		return;
	reg->hook = cb;
	reg->hook_ud = ud;
}

static struct pw_mchild *child_get(pw_mfamily_t *f, pw_metric_type_t type,
				   const char *const *values);

/* ---- registration ----------------------------------------------------- */

static int valid_name(const char *s, int colon)
{
	if (!s || !*s || isdigit((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' ||
		      (colon && *s == ':')))
			return 0;
	return 1;
}

static int ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);
	return a >= b && strcmp(s + a - b, suf) == 0;
}

pa_err_t pw_metrics_register(pw_metrics_t *reg, pw_metric_type_t type,
			     const char *name, const char *help,
			     const char *const *labels, const double *buckets,
			     size_t nbuckets, size_t max_children,
			     pw_mfamily_t **out, char *errbuf)
{
	if (!reg || !name || !help || !out)
		return pa_seterr(errbuf, PA_INVAL, "metrics: NULL argument");
	*out = NULL;
	if (!valid_name(name, 1))
		return pa_seterr(errbuf, PA_INVAL, "bad metric name '%s'", name);
	if (type == PW_METRIC_COUNTER && !ends_with(name, "_total"))
		return pa_seterr(errbuf, PA_INVAL,
				 "counter '%s' must end in _total", name);
	if (type != PW_METRIC_COUNTER && ends_with(name, "_total"))
		return pa_seterr(errbuf, PA_INVAL,
				 "only counters end in _total ('%s')", name);
	for (size_t i = 0; i < reg->nfams; i++)
		if (strcmp(reg->fams[i]->name, name) == 0)
			return pa_seterr(errbuf, PA_INVAL,
					 "metric '%s' registered twice", name);
	size_t nl = 0;
	for (; labels && labels[nl]; nl++) {
		const char *l = labels[nl];
		if (!valid_name(l, 0) || strncmp(l, "__", 2) == 0 ||
		    (type == PW_METRIC_HISTOGRAM && strcmp(l, "le") == 0))
			return pa_seterr(errbuf, PA_INVAL,
					 "bad label name '%s' on '%s'", l, name);
		for (size_t j = 0; j < nl; j++)
			if (strcmp(labels[j], l) == 0)
				return pa_seterr(errbuf, PA_INVAL,
						 "label '%s' twice on '%s'", l,
						 name);
	}
	if (type == PW_METRIC_HISTOGRAM) {
		if (!buckets) {
			buckets = pw_metrics_seconds_buckets;
			nbuckets = pw_metrics_seconds_nbuckets;
		}
		for (size_t i = 0; i < nbuckets; i++)
			if (!isfinite(buckets[i]) ||
			    (i && buckets[i] <= buckets[i - 1]))
				return pa_seterr(errbuf, PA_INVAL,
						 "buckets of '%s' must be "
						 "finite and increasing",
						 name);
	} else {
		nbuckets = 0;
	}
	if (reg->nfams == reg->capfams) {
		size_t cap = reg->capfams ? reg->capfams * 2 : 16;
		pw_mfamily_t **nf = realloc(reg->fams, cap * sizeof *nf);
		if (!nf)
			return pa_seterr(errbuf, PA_NOMEM, "out of memory");
		reg->fams = nf;
		reg->capfams = cap;
	}
	pw_mfamily_t *f = calloc(1, sizeof *f);
	if (!f)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	f->type = type;
	f->nlabels = nl;
	f->nbounds = nbuckets;
	f->max_children = max_children ? max_children : DEFAULT_MAX_CHILDREN;
	f->name = strdup(name);
	f->help = strdup(help);
	f->labels = calloc(nl + 1, sizeof *f->labels);
	f->bounds = calloc(nbuckets + 1, sizeof *f->bounds);
	int oom = !f->name || !f->help || !f->labels || !f->bounds;
	for (size_t i = 0; !oom && i < nl; i++)
		oom = !(f->labels[i] = strdup(labels[i]));
	if (oom) {
		family_free(f);
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	}
	if (nbuckets)
		memcpy(f->bounds, buckets, nbuckets * sizeof *buckets);
	reg->fams[reg->nfams++] = f;
	/* a family without labels always shows its one sample (0 at start) */
	if (nl == 0 && !child_get(f, type, NULL)) {
		reg->nfams--;
		family_free(f);
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	}
	*out = f;
	return PA_OK;
}

pw_mfamily_t *pw_metrics_counter(pw_metrics_t *reg, const char *name,
				 const char *help, const char *const *labels)
{
	pw_mfamily_t *f = NULL;
	pw_metrics_register(reg, PW_METRIC_COUNTER, name, help, labels, NULL,
			    0, 0, &f, NULL);
	return f;
}

pw_mfamily_t *pw_metrics_gauge(pw_metrics_t *reg, const char *name,
			       const char *help, const char *const *labels)
{
	pw_mfamily_t *f = NULL;
	pw_metrics_register(reg, PW_METRIC_GAUGE, name, help, labels, NULL, 0,
			    0, &f, NULL);
	return f;
}

pw_mfamily_t *pw_metrics_histogram(pw_metrics_t *reg, const char *name,
				   const char *help,
				   const char *const *labels,
				   const double *buckets, size_t nbuckets)
{
	pw_mfamily_t *f = NULL;
	pw_metrics_register(reg, PW_METRIC_HISTOGRAM, name, help, labels,
			    buckets, nbuckets, 0, &f, NULL);
	return f;
}

/* ---- children --------------------------------------------------------- */

static size_t cut_len(const char *v)
{
	size_t n = strnlen(v, MAX_LABEL_VALUE);
	/* do not split a UTF-8 sequence */
	if (n == MAX_LABEL_VALUE)
		while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
			n--;
	return n;
}

static uint64_t hash_values(const char *const *values, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		const char *v = values[i] ? values[i] : "";
		size_t l = cut_len(v);
		for (size_t k = 0; k < l; k++)
			h = (h ^ (unsigned char)v[k]) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL; /* separator */
	}
	return h;
}

static int same_values(const struct pw_mchild *c, const char *const *values,
		       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = values[i] ? values[i] : "";
		size_t l = cut_len(v);
		if (strlen(c->values[i]) != l || memcmp(c->values[i], v, l))
			return 0;
	}
	return 1;
}

static struct pw_mchild *child_new(pw_mfamily_t *f, const char *const *values,
				   uint64_t h)
{
	struct pw_mchild *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fam = f;
	c->hash = h;
	c->values = calloc(f->nlabels + 1, sizeof *c->values);
	int oom = !c->values;
	for (size_t i = 0; !oom && i < f->nlabels; i++) {
		const char *v = values && values[i] ? values[i] : "";
		oom = !(c->values[i] = strndup(v, cut_len(v)));
	}
	if (!oom && f->type == PW_METRIC_HISTOGRAM)
		oom = !(c->buckets = calloc(f->nbounds + 1,
					    sizeof *c->buckets));
	if (oom) {
		child_free(c, f->nlabels);
		return NULL;
	}
	return c;
}

static int index_put(pw_mfamily_t *f, struct pw_mchild *c)
{
	if ((f->nchildren + 1) * 2 > f->index_size) {
		size_t ns = f->index_size ? f->index_size * 2 : 16;
		struct pw_mchild **ni = calloc(ns, sizeof *ni);
		if (!ni)
			return -1;
		for (size_t i = 0; i < f->nchildren; i++) {
			size_t k = f->children[i]->hash & (ns - 1);
			while (ni[k])
				k = (k + 1) & (ns - 1);
			ni[k] = f->children[i];
		}
		free(f->index);
		f->index = ni;
		f->index_size = ns;
	}
	size_t k = c->hash & (f->index_size - 1);
	while (f->index[k])
		k = (k + 1) & (f->index_size - 1);
	f->index[k] = c;
	return 0;
}

static struct pw_mchild *child_get(pw_mfamily_t *f, pw_metric_type_t type,
				   const char *const *values)
{
	if (!f || f->type != type)
		return NULL;
	static const char *const none[1] = {NULL};
	size_t given = 0;
	while (values && values[given])
		given++;
	if (given != f->nlabels)
		return NULL; /* wrong label count: a programming error */
	if (!values)
		values = none;
	uint64_t h = hash_values(values, f->nlabels);
	for (size_t k = f->index_size ? h & (f->index_size - 1) : 0;
	     f->index_size && f->index[k]; k = (k + 1) & (f->index_size - 1))
		if (f->index[k]->hash == h &&
		    same_values(f->index[k], values, f->nlabels))
			return f->index[k];
	if (f->nchildren >= f->max_children) {
		if (!f->overflow) {
			const char **ov = calloc(f->nlabels + 1, sizeof *ov);
			if (!ov)
				return NULL;
			for (size_t i = 0; i < f->nlabels; i++)
				ov[i] = "_overflow";
			f->overflow = child_new(f, ov, 0);
			free(ov);
		}
		return f->overflow;
	}
	if (f->nchildren == f->capchildren) {
		size_t cap = f->capchildren ? f->capchildren * 2 : 8;
		struct pw_mchild **nc =
			realloc(f->children, cap * sizeof *nc);
		if (!nc)
			return NULL;
		f->children = nc;
		f->capchildren = cap;
	}
	struct pw_mchild *c = child_new(f, values, h);
	if (!c)
		return NULL;
	if (index_put(f, c) != 0) {
		child_free(c, f->nlabels);
		return NULL;
	}
	f->children[f->nchildren++] = c;
	return c;
}

pw_counter_t *pw_counter_getv(pw_mfamily_t *fam, const char *const *values)
{
	return child_get(fam, PW_METRIC_COUNTER, values);
}

pw_gauge_t *pw_gauge_getv(pw_mfamily_t *fam, const char *const *values)
{
	return child_get(fam, PW_METRIC_GAUGE, values);
}

pw_histogram_t *pw_histogram_getv(pw_mfamily_t *fam,
				  const char *const *values)
{
	return child_get(fam, PW_METRIC_HISTOGRAM, values);
}

/* ---- updates (hot path) ----------------------------------------------- */

void pw_counter_inc(pw_counter_t *c)
{
	if (c)
		c->value += 1;
}

void pw_counter_add(pw_counter_t *c, double v)
{
	if (c && v >= 0) /* also rejects NaN */
		c->value += v;
}

void pw_gauge_set(pw_gauge_t *g, double v)
{
	if (g)
		g->value = v;
}

void pw_gauge_add(pw_gauge_t *g, double v)
{
	if (g)
		g->value += v;
}

void pw_gauge_inc(pw_gauge_t *g) { pw_gauge_add(g, 1); }
void pw_gauge_dec(pw_gauge_t *g) { pw_gauge_add(g, -1); }

void pw_histogram_observe(pw_histogram_t *h, double v)
{
	if (!h || isnan(v))
		return;
	const pw_mfamily_t *f = h->fam;
	/* binary search: first bound >= v (le is inclusive) */
	size_t lo = 0, hi = f->nbounds;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v <= f->bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	h->buckets[lo]++;
	h->count++;
	h->value += v;
}

double pw_metric_value(const struct pw_mchild *m) { return m ? m->value : 0; }

unsigned long long pw_histogram_count(const pw_histogram_t *h)
{
	return h ? h->count : 0;
}

/* ---- rendering -------------------------------------------------------- */

typedef struct obuf {
	char *p;
	size_t n, cap;
	int oom;
} obuf_t;

static void oput(obuf_t *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void oputs(obuf_t *b, const char *s) { oput(b, s, strlen(s)); }

/* Whole numbers (every counter, most gauges) as integers: "50", not
 * "5e+01", up to 2^53 where a double still holds every integer; others
 * the shortest text that reads back as the same double; Prometheus
 * spellings for the specials. */
static void fmt_num(double v, char *buf, size_t size)
{
	if (v == 0) { /* also -0 */
		snprintf(buf, size, "0");
		return;
	}
	if (fabs(v) <= 9007199254740992.0 && v == floor(v)) {
		snprintf(buf, size, "%.0f", v);
		return;
	}
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* HELP escapes \ and newline; label values also escape ". */
static void escaped(obuf_t *b, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			oputs(b, "\\\\");
		else if (*s == '\n')
			oputs(b, "\\n");
		else if (quote && *s == '"')
			oputs(b, "\\\"");
		else
			oput(b, s, 1);
	}
}

static void labelset(obuf_t *b, const pw_mfamily_t *f,
		     const struct pw_mchild *c, const char *le)
{
	if (f->nlabels == 0 && !le)
		return;
	oputs(b, "{");
	for (size_t i = 0; i < f->nlabels; i++) {
		if (i)
			oputs(b, ",");
		oputs(b, f->labels[i]);
		oputs(b, "=\"");
		escaped(b, c->values[i], 1);
		oputs(b, "\"");
	}
	if (le) {
		if (f->nlabels)
			oputs(b, ",");
		oputs(b, "le=\"");
		oputs(b, le);
		oputs(b, "\"");
	}
	oputs(b, "}");
}

static void sample(obuf_t *b, const pw_mfamily_t *f,
		   const struct pw_mchild *c, const char *suffix,
		   const char *le, double v)
{
	char num[64];
	oputs(b, f->name);
	oputs(b, suffix);
	labelset(b, f, c, le);
	fmt_num(v, num, sizeof num);
	oputs(b, " ");
	oputs(b, num);
	oputs(b, "\n");
}

static void render_child(obuf_t *b, const pw_mfamily_t *f,
			 const struct pw_mchild *c)
{
	if (f->type != PW_METRIC_HISTOGRAM) {
		sample(b, f, c, "", NULL, c->value);
		return;
	}
	unsigned long long cum = 0;
	char le[64];
	for (size_t i = 0; i < f->nbounds; i++) {
		cum += c->buckets[i];
		fmt_num(f->bounds[i], le, sizeof le);
		sample(b, f, c, "_bucket", le, (double)cum);
	}
	sample(b, f, c, "_bucket", "+Inf", (double)c->count);
	sample(b, f, c, "_sum", NULL, c->value);
	sample(b, f, c, "_count", NULL, (double)c->count);
}

static int cmp_family(const void *a, const void *b)
{
	return strcmp((*(pw_mfamily_t *const *)a)->name,
		      (*(pw_mfamily_t *const *)b)->name);
}

static int cmp_child(const void *a, const void *b)
{
	const struct pw_mchild *x = *(struct pw_mchild *const *)a;
	const struct pw_mchild *y = *(struct pw_mchild *const *)b;
	for (size_t i = 0; i < x->fam->nlabels; i++) {
		int r = strcmp(x->values[i], y->values[i]);
		if (r)
			return r;
	}
	return 0;
}

pa_err_t pw_metrics_render(pw_metrics_t *reg, char **out, size_t *len)
{
	if (!reg || !out)
		return PA_INVAL;
	*out = NULL;
	if (reg->hook)
		reg->hook(reg, reg->hook_ud);
	static const char *const tname[] = {"counter", "gauge", "histogram"};
	obuf_t b = {0};
	oputs(&b, "");
	/* sort in place: registration order carries no meaning, and sorted
	 * arrays keep later renders cheap */
	qsort(reg->fams, reg->nfams, sizeof *reg->fams, cmp_family);
	for (size_t i = 0; i < reg->nfams; i++) {
		pw_mfamily_t *f = reg->fams[i];
		oputs(&b, "# HELP ");
		oputs(&b, f->name);
		oputs(&b, " ");
		escaped(&b, f->help, 0);
		oputs(&b, "\n# TYPE ");
		oputs(&b, f->name);
		oputs(&b, " ");
		oputs(&b, tname[f->type]);
		oputs(&b, "\n");
		if (f->nchildren > 1)
			qsort(f->children, f->nchildren, sizeof *f->children,
			      cmp_child);
		for (size_t k = 0; k < f->nchildren; k++)
			render_child(&b, f, f->children[k]);
		if (f->overflow)
			render_child(&b, f, f->overflow);
	}
	if (b.oom) {
		free(b.p);
		return PA_NOMEM;
	}
	*out = b.p;
	if (len)
		*len = b.n;
	return PA_OK;
}
