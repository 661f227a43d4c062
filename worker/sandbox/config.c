/* config.c -- the sandbox's option table and what parses through it.
 * Owns: the one option table (style.md habit 14: --help, the config file and
 *       sbx_cfg_set all come from it), merchant specs, IP allowlists, the
 *       outcome mix.
 * Not here: fault specs (faults.c), starting the sandbox (sandbox.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "payatom/money.h"
#include "sandbox/sbx_int.h"

enum opt_type { OPT_STR, OPT_INT, OPT_U64, OPT_LIST };

typedef struct opt {
	const char *name;
	int type;
	int64_t min, max;
	size_t off;  /* field in sbx_cfg_t */
	size_t size; /* OPT_STR buffer size */
	const char *dflt;
	const char *help;
} opt_t;

#define STR(f) OPT_STR, 0, 0, offsetof(sbx_cfg_t, f), sizeof(((sbx_cfg_t *)0)->f)
#define NUM(f, lo, hi) OPT_INT, lo, hi, offsetof(sbx_cfg_t, f), 0
#define LIST(f) OPT_LIST, 0, 0, offsetof(sbx_cfg_t, f), 0

static const opt_t opts[] = {
	{"bind", STR(bind), "127.0.0.1",
	 "Numeric IPv4/IPv6 address to listen on."},
	{"port", OPT_INT, 0, 65535, offsetof(sbx_cfg_t, port), 0, "8089",
	 "TCP port; 0 = any free port (see --print-port)."},
	{"seed", OPT_U64, 0, 0, offsetof(sbx_cfg_t, seed), 0, "1",
	 "Seed of every random choice (outcome mix, ids, faults): the same "
	 "seed and requests give the same run."},
	{"resolve-delay-ms", NUM(resolve_delay_ms, 0, 86400000), "2000",
	 "Time an order stays Pending before it resolves to its planned "
	 "outcome."},
	{"hosted-delay-ms", NUM(hosted_delay_ms, -1, 86400000), "-1",
	 "Resolution delay of hosted-page (non-seamless) payins; -1 = "
	 "resolve-delay-ms. Make it long to approve or decline by hand on "
	 "/pay/connect.php."},
	{"log-requests", NUM(log_requests, 0, 1), "0",
	 "1 = one JSON line per gateway request and webhook attempt on stderr "
	 "(method, path, client IP, status, injected fault; never bodies or "
	 "credentials)."},
	{"max-orders", NUM(max_orders, 100, 100000000), "200000",
	 "Orders kept in memory; beyond it the oldest tenth is forgotten "
	 "(counted in orders_evicted) so that long benchmarks stay bounded."},
	{"late-delay-ms", NUM(late_delay_ms, 0, 86400000), "2000",
	 "Time from User Timed Out to Late Approved (outcome 'Late "
	 "Approved')."},
	{"refund-delay-ms", NUM(refund_delay_ms, 0, 86400000), "2000",
	 "Time from Refund Initiated to Refund Completed."},
	{"mix", STR(mix),
	 "Approved:85,Declined:5,User Timed Out:3,Late Approved:2,Failed:2,"
	 "No Matching Payment for UTR:1,Amount Mismatch:1,Cancelled:1",
	 "Weighted outcomes of orders without a magic value "
	 "(status:weight,...); 'Pending' = never resolves by itself."},
	{"webhook-timeout-ms", NUM(wh_timeout_ms, 100, 600000), "5000",
	 "Timeout of one webhook POST."},
	{"webhook-retry-ms", NUM(wh_retry_ms, 1, 3600000), "1000",
	 "First re-send delay of an unacknowledged webhook (doubles each "
	 "time)."},
	{"webhook-retry-max-ms", NUM(wh_retry_max_ms, 1, 86400000), "60000",
	 "Cap of the re-send delay."},
	{"webhook-max-attempts", NUM(wh_max_attempts, 1, 1000), "20",
	 "Attempts before a webhook is given up (counted in webhooks.given_up of /_sandbox/counters)."},
	{"recon-daily-limit", NUM(recon_limit, 0, 1000000), "10",
	 "Payout reconciliation calls allowed per pid per UTC day (spec "
	 "§10.6)."},
	{"hang-max-ms", NUM(hang_max_ms, 1, 86400000), "300000",
	 "A 'hang' fault holds the request this long, then resets it."},
	{"max-body", NUM(max_body, 1024, 64 << 20), "1048576",
	 "Largest request body in bytes (larger: HTTP 413)."},
	{"conn-limit", NUM(conn_limit, 16, 1000000), "20000",
	 "Most simultaneous connections."},
	{"public-url", STR(public_url), "",
	 "Base URL printed in redirect links (default http://BIND:PORT)."},
	{"v2-signature", STR(v2_signature), "sha256",
	 "V2 signature algorithm (spec §3.4, §12.4): sha256 = sha256(canonical "
	 "JSON + secret), hmac = HMAC-SHA256(secret, canonical JSON)."},
	{"order-id-rules", STR(order_id_rules), "doc",
	 "order_id checks (spec §12.6): doc = each page's documented rule "
	 "(hosted payin >= 10 chars, payout 10-13 alphanumerics), lenient = "
	 "1-63 of [A-Za-z0-9_-]."},
	{"merchant", LIST(merchants), "",
	 "Add a merchant (repeatable): pid=,secret=,api_key=,token=,"
	 "operator_key=,email=,password=,callback=URL|self,ips=CIDR|CIDR,"
	 "account=,float=. callback=self sends webhooks to the sandbox's own "
	 "sink (GET /_sandbox/sink). Without any, one default merchant exists "
	 "(printed at the end of --help)."},
	{"fault", LIST(faults), "",
	 "Add a fault rule (repeatable): ENDPOINT:key=value,... ENDPOINT is a "
	 "path prefix, '*' or 'webhook'. Keys: latency=fixed:MS | "
	 "uniform:MIN-MAX | longtail:MEDIAN-MAX, 5xx=P, status=CODE, 429=P, "
	 "hang=P, reset=P, malformed=P, truncated=P, bad_hash=P, dup=P, "
	 "reorder=P (P in 0..1)."},
};

#define NOPTS (sizeof opts / sizeof opts[0])

static int name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	return d[la][lb];
}

static pa_err_t list_add(char ***list, int *n, const char *v)
{
	char **nl = realloc(*list, (size_t)(*n + 1) * sizeof *nl);
	if (!nl)
		return PA_NOMEM;
	*list = nl;
	if (!(nl[*n] = strdup(v)))
		return PA_NOMEM;
	(*n)++;
	return PA_OK;
}

static pa_err_t set_opt(sbx_cfg_t *cfg, const opt_t *o, const char *v,
			char *errbuf)
{
	char *base = (char *)cfg + o->off;
	char *end = NULL;
	switch (o->type) {
	case OPT_STR:
		if (strlen(v) >= o->size)
			return pa_seterr(errbuf, PA_CONFIG, "%s: value too long",
					 o->name);
		if (o->off == offsetof(sbx_cfg_t, mix)) {
			sbx_mix_t mix[16];
			int n;
			pa_err_t e = sbx__mix_parse(v, mix, &n, errbuf);
			if (e)
				return e;
		}
		memcpy(base, v, strlen(v) + 1);
		return PA_OK;
	case OPT_INT: {
		errno = 0;
		long long x = strtoll(v, &end, 10);
		if (errno || end == v || *end || x < o->min || x > o->max)
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: expected an integer in %lld..%lld",
					 o->name, (long long)o->min,
					 (long long)o->max);
		if (o->off == offsetof(sbx_cfg_t, port))
			cfg->port = (int)x;
		else
			*(int64_t *)(void *)base = x;
		return PA_OK;
	}
	case OPT_U64: {
		errno = 0;
		unsigned long long x = strtoull(v, &end, 0);
		if (errno || end == v || *end || v[0] == '-')
			return pa_seterr(errbuf, PA_CONFIG,
					 "%s: expected an unsigned integer",
					 o->name);
		*(uint64_t *)(void *)base = x;
		return PA_OK;
	}
	case OPT_LIST: {
		if (!*v)
			return PA_OK;
		char ***list = (char ***)(void *)base;
		int *n = o->off == offsetof(sbx_cfg_t, merchants)
				 ? &cfg->nmerchants
				 : &cfg->nfaults;
		/* validate now so that a typo fails at start-up */
		if (o->off == offsetof(sbx_cfg_t, merchants)) {
			sbx_merchant_t m;
			pa_err_t e = sbx__merchant_parse(v, &m, errbuf);
			sbx__merchant_clear(&m);
			if (e)
				return e;
		} else {
			sbx_fault_t f;
			pa_err_t e = sbx_fault_parse(v, &f, errbuf);
			if (e)
				return e;
		}
		return list_add(list, n, v);
	}
	}
	return PA_INTERNAL;
}

/* Words people reach for that are not options, and the option that does
 * what they meant (with its argument, and a second one when it takes
 * two). */
static const struct {
	const char *word, *opt, *arg, *also, *also_arg;
} synonyms[] = {
	{"listen", "port", "N", "bind", "ADDR"},
	{"listen-port", "port", "N", NULL, NULL},
	{"http-port", "port", "N", NULL, NULL},
	{"address", "bind", "ADDR", NULL, NULL},
	{"addr", "bind", "ADDR", NULL, NULL},
	{"host", "bind", "ADDR", NULL, NULL},
	{"ip", "bind", "ADDR", NULL, NULL},
	{"callback", "merchant", "'pid=...,secret=...,callback=URL'", NULL,
	 NULL},
	{"callback-url", "merchant", "'pid=...,secret=...,callback=URL'", NULL,
	 NULL},
	{"webhook", "merchant", "'pid=...,secret=...,callback=URL'", NULL,
	 NULL},
	{"webhook-url", "merchant", "'pid=...,secret=...,callback=URL'", NULL,
	 NULL},
	{"verbose", "log-requests", "1", NULL, NULL},
	{"debug", "log-requests", "1", NULL, NULL},
	{"delay", "resolve-delay-ms", "N", NULL, NULL},
	{"faults", "fault", "SPEC (repeatable)", NULL, NULL},
	{"merchants", "merchant", "SPEC (repeatable)", NULL, NULL},
};

/* "; did you mean --port N (and --bind ADDR)?" for synonym i on a command
 * line (dashes "--"); "; did you mean 'port' (and 'bind')?" in a file. */
static void synonym_hint(size_t i, const char *dashes, char *buf, size_t size)
{
	int cli = *dashes != '\0';
	int n = cli ? snprintf(buf, size, "; did you mean %s%s %s", dashes,
			       synonyms[i].opt, synonyms[i].arg)
		    : snprintf(buf, size, "; did you mean '%s'",
			       synonyms[i].opt);
	if (n > 0 && (size_t)n < size && synonyms[i].also)
		n += cli ? snprintf(buf + n, size - (size_t)n,
				    " (and %s%s %s)", dashes, synonyms[i].also,
				    synonyms[i].also_arg)
			 : snprintf(buf + n, size - (size_t)n, " (and '%s')",
				    synonyms[i].also);
	if (n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "?");
}

void sbx_cfg_suggest(const char *key, const char *const *extra,
		     const char *dashes, char *buf, size_t size)
{
	if (!buf || !size)
		return;
	buf[0] = '\0';
	if (!key)
		return;
	if (!dashes)
		dashes = "";
	/* the nearest of the options and the words people reach for, close
	 * enough to be a typo of it (a third of the key's letters, at least
	 * 2: "seed" is no typo of "listen") */
	const char *best = NULL;
	size_t bd = 99, syn = (size_t)-1, limit = strlen(key) / 3;
	if (limit < 2)
		limit = 2;
	for (size_t i = 0; i < sizeof synonyms / sizeof synonyms[0]; i++) {
		size_t d = name_eq(synonyms[i].word, key)
				   ? 0
				   : edit_distance(key, synonyms[i].word);
		if (d < bd) {
			bd = d;
			syn = i;
		}
	}
	for (size_t i = 0; i < NOPTS; i++) {
		size_t d = edit_distance(key, opts[i].name);
		if (d < bd) {
			bd = d;
			best = opts[i].name;
			syn = (size_t)-1;
		}
	}
	for (size_t i = 0; extra && extra[i]; i++) {
		size_t d = edit_distance(key, extra[i]);
		if (d < bd) {
			bd = d;
			best = extra[i];
			syn = (size_t)-1;
		}
	}
	if (bd > limit)
		return;
	if (syn != (size_t)-1)
		synonym_hint(syn, dashes, buf, size);
	else if (best && *dashes)
		snprintf(buf, size, "; did you mean %s%s?", dashes, best);
	else if (best)
		snprintf(buf, size, "; did you mean '%s'?", best);
}

int sbx_cfg_known(const char *key)
{
	for (size_t i = 0; key && i < NOPTS; i++)
		if (name_eq(opts[i].name, key))
			return 1;
	return 0;
}

pa_err_t sbx_cfg_set(sbx_cfg_t *cfg, const char *key, const char *value,
		     char *errbuf)
{
	if (!cfg || !key || !value)
		return pa_seterr(errbuf, PA_INVAL, "NULL argument");
	for (size_t i = 0; i < NOPTS; i++)
		if (name_eq(opts[i].name, key))
			return set_opt(cfg, &opts[i], value, errbuf);
	char hint[200];
	sbx_cfg_suggest(key, NULL, "", hint, sizeof hint);
	return pa_seterr(errbuf, PA_CONFIG, "unknown option '%s'%s", key,
			 hint);
}

pa_err_t sbx_cfg_new(sbx_cfg_t **out)
{
	if (!out)
		return PA_INVAL;
	sbx_cfg_t *cfg = calloc(1, sizeof *cfg);
	if (!cfg)
		return PA_NOMEM;
	for (size_t i = 0; i < NOPTS; i++) {
		if (opts[i].type == OPT_LIST)
			continue;
		pa_err_t e = set_opt(cfg, &opts[i], opts[i].dflt, NULL);
		if (e) {
			free(cfg);
			return PA_INTERNAL;
		}
	}
	*out = cfg;
	return PA_OK;
}

void sbx__cfg_clear(sbx_cfg_t *cfg)
{
	for (int i = 0; i < cfg->nmerchants; i++) {
		OPENSSL_cleanse(cfg->merchants[i], strlen(cfg->merchants[i]));
		free(cfg->merchants[i]);
	}
	for (int i = 0; i < cfg->nfaults; i++)
		free(cfg->faults[i]);
	free(cfg->merchants);
	free(cfg->faults);
	cfg->merchants = cfg->faults = NULL;
	cfg->nmerchants = cfg->nfaults = 0;
}

void sbx_cfg_destroy(sbx_cfg_t *cfg)
{
	if (!cfg)
		return;
	sbx__cfg_clear(cfg);
	free(cfg);
}

pa_err_t sbx__cfg_copy(sbx_cfg_t *dst, const sbx_cfg_t *src)
{
	*dst = *src;
	dst->merchants = dst->faults = NULL;
	dst->nmerchants = dst->nfaults = 0;
	for (int i = 0; i < src->nmerchants; i++)
		if (list_add(&dst->merchants, &dst->nmerchants,
			     src->merchants[i]))
			goto fail;
	for (int i = 0; i < src->nfaults; i++)
		if (list_add(&dst->faults, &dst->nfaults, src->faults[i]))
			goto fail;
	return PA_OK;
fail:
	sbx__cfg_clear(dst);
	return PA_NOMEM;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
		     s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static pa_err_t read_at_file(const char *path, char *buf, size_t size,
			     char *errbuf)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return pa_seterr(errbuf, PA_CONFIG, "cannot read %s", path);
	size_t n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return PA_OK;
}

pa_err_t sbx_cfg_load_file(sbx_cfg_t *cfg, const char *path, char *errbuf)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return pa_seterr(errbuf, PA_CONFIG, "cannot open %s", path);
	char line[2048], val[2048];
	int lineno = 0;
	pa_err_t err = PA_OK;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			err = pa_seterr(errbuf, PA_CONFIG,
					"%s:%d: expected key = value", path,
					lineno);
			break;
		}
		*eq = '\0';
		char *k = trim(s), *v = trim(eq + 1);
		if (v[0] == '@') {
			if ((err = read_at_file(v + 1, val, sizeof val, errbuf)))
				break;
			v = val;
		}
		char eb[PA_ERRBUF_SIZE];
		if ((err = sbx_cfg_set(cfg, k, v, eb))) {
			pa_seterr(errbuf, err, "%s:%d: %s", path, lineno, eb);
			break;
		}
	}
	OPENSSL_cleanse(line, sizeof line);
	OPENSSL_cleanse(val, sizeof val);
	fclose(f);
	return err;
}

/* Prints text indented by 6, wrapped at 78 columns. */
/* Lines of at most 72 columns, broken at a space or after a comma (a
 * list like "pid=,secret=,..." stays readable); a longer word stays
 * whole. */
static void wrap(FILE *f, const char *text)
{
	const char *p = text;
	while (*p) {
		size_t n = strlen(p);
		if (n > 72) {
			size_t k = 72;
			while (k > 0 && p[k] != ' ' && p[k - 1] != ',')
				k--;
			if (k == 0) { /* one long word: up to its end */
				k = 72;
				while (p[k] && p[k] != ' ')
					k++;
			}
			n = k;
		}
		fprintf(f, "      %.*s\n", (int)n, p);
		p += n;
		while (*p == ' ')
			p++;
	}
}

void sbx_cfg_print_help(FILE *f)
{
	for (size_t i = 0; i < NOPTS; i++) {
		const opt_t *o = &opts[i];
		fprintf(f, "  --%s%s\n", o->name,
			o->type == OPT_LIST  ? " SPEC"
			: o->type == OPT_STR ? " TEXT"
					     : " N");
		wrap(f, o->help);
		if (o->dflt[0])
			fprintf(f, "      default: %s\n", o->dflt);
	}
}

int sbx_cfg_option(size_t i, const char **name, const char **dflt,
		   const char **help)
{
	if (i >= NOPTS)
		return 0;
	*name = opts[i].name;
	*dflt = opts[i].dflt;
	*help = opts[i].help;
	return 1;
}

/* ---- merchants ---------------------------------------------------------- */

static pa_err_t parse_net(const char *s, size_t len, sbx_ipnet_t *n,
			  char *errbuf)
{
	char buf[64];
	if (len >= sizeof buf)
		return pa_seterr(errbuf, PA_CONFIG, "ips: entry too long");
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *slash = strchr(buf, '/');
	int prefix = -1;
	if (slash) {
		*slash = '\0';
		char *end;
		long p = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || p < 0 || p > 128)
			return pa_seterr(errbuf, PA_CONFIG, "ips: bad prefix");
		prefix = (int)p;
	}
	memset(n, 0, sizeof *n);
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		n->prefix = prefix < 0 ? 32 : prefix;
		if (n->prefix > 32)
			return pa_seterr(errbuf, PA_CONFIG, "ips: bad prefix");
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		n->prefix = prefix < 0 ? 128 : prefix;
	} else {
		return pa_seterr(errbuf, PA_CONFIG,
				 "ips: '%s' is not an address", buf);
	}
	return PA_OK;
}

int sbx__ip_allowed(const sbx_merchant_t *m, const char *ip)
{
	if (m->nips == 0)
		return 1;
	uint8_t a[16];
	int fam = AF_INET;
	if (inet_pton(AF_INET, ip, a) != 1) {
		fam = AF_INET6;
		if (inet_pton(AF_INET6, ip, a) != 1)
			return 0;
	}
	for (int i = 0; i < m->nips; i++) {
		const sbx_ipnet_t *n = &m->ips[i];
		if (n->family != fam)
			continue;
		int bits = n->prefix, ok = 1;
		for (int b = 0; b < bits / 8 && ok; b++)
			ok = a[b] == n->addr[b];
		if (ok && bits % 8) {
			uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
			ok = (a[bits / 8] & mask) == (n->addr[bits / 8] & mask);
		}
		if (ok)
			return 1;
	}
	return 0;
}

static pa_err_t copy_field(char *dst, size_t size, const char *v, size_t len,
			   const char *name, char *errbuf)
{
	if (len >= size)
		return pa_seterr(errbuf, PA_CONFIG, "merchant %s: too long",
				 name);
	memcpy(dst, v, len);
	dst[len] = '\0';
	return PA_OK;
}

pa_err_t sbx__merchant_parse(const char *spec, sbx_merchant_t *m,
			     char *errbuf)
{
	memset(m, 0, sizeof *m);
	m->payout_float_minor = 100000000; /* 1,000,000.00 */
	const char *p = spec;
	pa_err_t err = PA_OK;
	int have_secret = 0;
	while (*p && !err) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (!eq) {
			err = pa_seterr(errbuf, PA_CONFIG,
					"merchant: expected key=value");
			break;
		}
		size_t kl = (size_t)(eq - p);
		const char *v = eq + 1;
		size_t vl = len - kl - 1;
#define K(s) (kl == strlen(s) && strncmp(p, s, kl) == 0)
		if (K("pid"))
			err = copy_field(m->pid, sizeof m->pid, v, vl, "pid",
					 errbuf);
		else if (K("secret")) {
			pa_secret_destroy(m->secret);
			m->secret = NULL;
			if (pa_secret_new(v, vl, &m->secret))
				err = pa_seterr(errbuf, PA_NOMEM, "secret");
			have_secret = 1;
		} else if (K("api_key"))
			err = copy_field(m->api_key, sizeof m->api_key, v, vl,
					 "api_key", errbuf);
		else if (K("token"))
			err = copy_field(m->token, sizeof m->token, v, vl,
					 "token", errbuf);
		else if (K("operator_key"))
			err = copy_field(m->operator_key, sizeof m->operator_key,
					 v, vl, "operator_key", errbuf);
		else if (K("email"))
			err = copy_field(m->email, sizeof m->email, v, vl,
					 "email", errbuf);
		else if (K("password")) {
			pa_part_t part = {v, vl};
			pa_md5_hex(&part, 1, m->password_md5);
		} else if (K("callback"))
			err = copy_field(m->callback, sizeof m->callback, v, vl,
					 "callback", errbuf);
		else if (K("account"))
			err = copy_field(m->account, sizeof m->account, v, vl,
					 "account", errbuf);
		else if (K("float")) {
			int64_t minor;
			if (pa_money_parse(v, vl, &minor, NULL))
				err = pa_seterr(errbuf, PA_CONFIG,
						"merchant float: bad amount");
			else
				m->payout_float_minor = minor;
		} else if (K("ips")) {
			const char *q = v, *qe = v + vl;
			while (q < qe && !err) {
				const char *bar = memchr(q, '|', (size_t)(qe - q));
				size_t il = bar ? (size_t)(bar - q)
						: (size_t)(qe - q);
				if (m->nips == SBX_MAX_IPS) {
					err = pa_seterr(errbuf, PA_CONFIG,
							"ips: at most %d",
							SBX_MAX_IPS);
					break;
				}
				if (il)
					err = parse_net(q, il, &m->ips[m->nips++],
							errbuf);
				q += il + 1;
			}
		} else
			err = pa_seterr(errbuf, PA_CONFIG,
					"merchant: unknown key '%.*s'", (int)kl,
					p);
#undef K
		p = end ? end + 1 : p + len;
	}
	if (!err && !m->pid[0])
		err = pa_seterr(errbuf, PA_CONFIG, "merchant: pid is required");
	if (!err && !have_secret)
		err = pa_seterr(errbuf, PA_CONFIG,
				"merchant: secret is required");
	if (!err && !m->account[0])
		snprintf(m->account, sizeof m->account, "ACC%.40s", m->pid);
	return err;
}

void sbx__merchant_clear(sbx_merchant_t *m)
{
	pa_secret_destroy(m->secret);
	OPENSSL_cleanse(m, sizeof *m);
}

pa_err_t sbx__mix_parse(const char *spec, sbx_mix_t *mix, int *n,
			char *errbuf)
{
	*n = 0;
	const char *p = spec;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *colon = memchr(p, ':', len);
		if (!colon || *n == 16)
			return pa_seterr(errbuf, PA_CONFIG,
					 "mix: expected status:weight,...");
		size_t sl = (size_t)(colon - p);
		if (sl >= sizeof mix[0].status)
			return pa_seterr(errbuf, PA_CONFIG, "mix: bad status");
		memcpy(mix[*n].status, p, sl);
		mix[*n].status[sl] = '\0';
		if (!sbx__status_known(mix[*n].status) &&
		    strcmp(mix[*n].status, "Refund Completed") != 0)
			return pa_seterr(errbuf, PA_CONFIG,
					 "mix: unknown status '%s'",
					 mix[*n].status);
		char *e;
		long w = strtol(colon + 1, &e, 10);
		if (w < 0 || w > 1000000 || e == colon + 1 ||
		    (size_t)(e - p) != len)
			return pa_seterr(errbuf, PA_CONFIG, "mix: bad weight");
		mix[*n].weight = (unsigned)w;
		(*n)++;
		p = end ? end + 1 : p + len;
	}
	return PA_OK;
}
