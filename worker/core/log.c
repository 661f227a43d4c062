/* log.c -- JSON/text log lines with redacted fields (see log.h).
 * Owns: loggers, line formatting, JSON string escaping, the one-write-per-
 *       line output.
 * Not here: what each redaction kind prints (redact.c). */
#include "log.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX 4096

typedef struct sink {
	FILE *fp; /* NULL = stderr */
	/* serializes output of this sink (the FILE lock alone is invisible
	 * to thread sanitizers) */
	pthread_mutex_t mu;
	atomic_int level;
	atomic_int format;
	int64_t (*now)(void *ud);
	void *ud;
} sink_t;

struct pw_logger {
	sink_t *sink; /* own or the root's */
	sink_t own;
	char *component;
};

static pw_logger_t default_logger = {
	.sink = &default_logger.own,
	.own = {.fp = NULL,
		.mu = PTHREAD_MUTEX_INITIALIZER,
		.level = PW_LOG_INFO,
		.format = PW_LOG_JSON},
};

pw_logger_t *pw_log_default(void) { return &default_logger; }

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *pw_log_level_name(pw_log_level_t lvl)
{
	return (unsigned)lvl < 4 ? level_names[lvl] : "?";
}

pw_log_level_t pw_log_level_from_syslog(int level)
{
	return level <= 3 ? PW_LOG_ERROR
	       : level == 4 ? PW_LOG_WARN
	       : level <= 6 ? PW_LOG_INFO
			    : PW_LOG_DEBUG;
}

pa_err_t pw_log_level_parse(const char *s, pw_log_level_t *out)
{
	if (!s || !out)
		return PA_INVAL;
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return *out = (pw_log_level_t)i, PA_OK;
	if (strcasecmp(s, "warning") == 0)
		return *out = PW_LOG_WARN, PA_OK;
	return PA_INVAL;
}

pa_err_t pw_log_new(FILE *fp, pw_log_level_t lvl, pw_log_format_t fmt,
		    pw_logger_t **out)
{
	if (!out)
		return PA_INVAL;
	pw_logger_t *lg = calloc(1, sizeof *lg);
	if (!lg)
		return PA_NOMEM;
	lg->sink = &lg->own;
	lg->own.fp = fp;
	pthread_mutex_init(&lg->own.mu, NULL);
	atomic_init(&lg->own.level, (int)lvl);
	atomic_init(&lg->own.format, (int)fmt);
	*out = lg;
	return PA_OK;
}

pa_err_t pw_log_child(pw_logger_t *parent, const char *component,
		      pw_logger_t **out)
{
	if (!out || !component)
		return PA_INVAL;
	if (!parent)
		parent = &default_logger;
	pw_logger_t *lg = calloc(1, sizeof *lg);
	if (!lg || !(lg->component = strdup(component))) {
		free(lg);
		return PA_NOMEM;
	}
	lg->sink = parent->sink;
	*out = lg;
	return PA_OK;
}

void pw_log_destroy(pw_logger_t *lg)
{
	if (!lg || lg == &default_logger)
		return;
	if (lg->sink == &lg->own)
		pthread_mutex_destroy(&lg->own.mu);
	free(lg->component);
	free(lg);
}

void pw_log_set_level(pw_logger_t *lg, pw_log_level_t lvl)
{
	atomic_store(&(lg ? lg : &default_logger)->sink->level, (int)lvl);
}

pw_log_level_t pw_log_get_level(const pw_logger_t *lg)
{
	return (pw_log_level_t)atomic_load(
		&(lg ? lg : &default_logger)->sink->level);
}

int pw_log_enabled(const pw_logger_t *lg, pw_log_level_t lvl)
{
	return (int)lvl >= (int)pw_log_get_level(lg);
}

void pw_log_set_format(pw_logger_t *lg, pw_log_format_t fmt)
{
	atomic_store(&(lg ? lg : &default_logger)->sink->format, (int)fmt);
}

void pw_log_set_clock(pw_logger_t *lg, int64_t (*now_ms)(void *ud), void *ud)
{
	sink_t *s = (lg ? lg : &default_logger)->sink;
	s->now = now_ms;
	s->ud = ud;
}

/* ---- line buffer ------------------------------------------------------ */

typedef struct line {
	char *p;
	size_t n, cap;
	int heap, oom;
	char stack[2048];
} line_t;

static void lput(line_t *l, const char *s, size_t n)
{
	if (l->oom)
		return;
	if (l->n + n + 2 > l->cap) { /* +2: newline and NUL */
		size_t cap = l->cap * 2;
		while (cap < l->n + n + 2)
			cap *= 2;
		char *np = l->heap ? realloc(l->p, cap) : malloc(cap);
		if (!np) {
			l->oom = 1;
			return;
		}
		if (!l->heap)
			memcpy(np, l->p, l->n);
		l->p = np;
		l->cap = cap;
		l->heap = 1;
	}
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

static void lputs(line_t *l, const char *s) { lput(l, s, strlen(s)); }

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, cp = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, cp = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	/* overlong, surrogate, out of range */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* JSON string body (no quotes): escapes, invalid UTF-8 -> U+FFFD. */
static void json_esc(line_t *l, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned char c = u[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			lput(l, esc, 2);
			i++;
		} else if (c < 0x20) {
			const char *m = c == '\n'   ? "\\n"
					: c == '\r' ? "\\r"
					: c == '\t' ? "\\t"
						    : NULL;
			if (m)
				lputs(l, m);
			else {
				snprintf(esc, sizeof esc, "\\u%04x", c);
				lputs(l, esc);
			}
			i++;
		} else if (c < 0x80) {
			size_t j = i;
			while (j < n && u[j] >= 0x20 && u[j] < 0x80 &&
			       u[j] != '"' && u[j] != '\\')
				j++;
			lput(l, s + i, j - i);
			i = j;
		} else {
			size_t k = utf8_len(u + i, n - i);
			if (k) {
				lput(l, s + i, k);
				i += k;
			} else {
				lputs(l, "\\ufffd");
				i++;
			}
		}
	}
}

/* Text format value: bare when safe, else quoted with escapes. */
static void text_val(line_t *l, const char *s, size_t n)
{
	int bare = n > 0;
	for (size_t i = 0; i < n && bare; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '=' ||
		    s[i] == '\\' || (unsigned char)s[i] >= 0x7f)
			bare = 0;
	if (bare) {
		lput(l, s, n);
		return;
	}
	lputs(l, "\"");
	json_esc(l, s, n);
	lputs(l, "\"");
}

static void put_ts(line_t *l, const sink_t *sk)
{
	int64_t ms;
	if (sk->now)
		ms = sk->now(sk->ud);
	else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	char buf[96];
	snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	lputs(l, buf);
}

/* The value of kv as text after redaction. Returns a pointer into one of
 * the buffers (or kv's own string); *heap is set when it must be freed. */
static const char *kv_text(const pw_kv_t *kv, char *buf, size_t size,
			   size_t *len, char **heap)
{
	*heap = NULL;
	switch (kv->type) {
	case PW_KV_T_INT:
		*len = (size_t)snprintf(buf, size, "%lld", (long long)kv->i);
		return buf;
	case PW_KV_T_UINT:
		*len = (size_t)snprintf(buf, size, "%llu",
					(unsigned long long)kv->u);
		return buf;
	case PW_KV_T_DBL:
		if (isnan(kv->d) || isinf(kv->d)) { /* JSON has no NaN: string */
			const char *sp = isnan(kv->d) ? "NaN"
					 : kv->d > 0  ? "+Inf"
						      : "-Inf";
			*len = strlen(sp);
			return sp;
		}
		*len = (size_t)snprintf(buf, size, "%.17g", kv->d);
		return buf;
	case PW_KV_T_BOOL:
		*len = kv->i ? 4 : 5;
		return kv->i ? "true" : "false";
	case PW_KV_T_BODY: {
		char *scrubbed = NULL;
		if (!kv->s || pw_redact_json(kv->s, kv->len, &scrubbed)) {
			*len = 0;
			return "";
		}
		*heap = scrubbed;
		*len = strlen(scrubbed);
		if (*len > BODY_MAX) {
			size_t cut = BODY_MAX;
			/* cut on a UTF-8 boundary */
			while (cut > 0 && ((unsigned char)scrubbed[cut] & 0xC0) ==
						  0x80)
				cut--;
			snprintf(scrubbed + cut, *len - cut + 1,
				 "...(+%zu bytes)", *len - cut);
			*len = strlen(scrubbed);
		}
		return scrubbed;
	}
	default: {
		const char *s = kv->s ? kv->s : "";
		size_t n = kv->s ? (kv->len == SIZE_MAX ? strlen(s) : kv->len)
				 : 0;
		if (kv->red == PW_RED_PUBLIC) {
			*len = n;
			return s;
		}
		size_t need = pw_redact(kv->red, s, n, buf, size);
		if (need < size) {
			*len = need;
			return buf;
		}
		if (!(*heap = malloc(need + 1))) {
			*len = 3;
			return "***";
		}
		pw_redact(kv->red, s, n, *heap, need + 1);
		*len = need;
		return *heap;
	}
	}
}

/* Emitted as a bare JSON number/literal? Values most parsers cannot hold
 * (NaN, infinities, integers above INT64_MAX) are quoted instead. */
static int bare_json(const pw_kv_t *kv)
{
	switch (kv->type) {
	case PW_KV_T_INT:
	case PW_KV_T_BOOL:
		return 1;
	case PW_KV_T_UINT:
		return kv->u <= (uint64_t)INT64_MAX;
	case PW_KV_T_DBL:
		return !isnan(kv->d) && !isinf(kv->d);
	default:
		return 0;
	}
}

void pw_log_kv(pw_logger_t *lg, pw_log_level_t lvl, const char *msg,
	       const pw_kv_t *kv)
{
	if (!lg)
		lg = &default_logger;
	sink_t *sk = lg->sink;
	if ((int)lvl < atomic_load(&sk->level))
		return;
	int json = atomic_load(&sk->format) == PW_LOG_JSON;
	line_t l = {0};
	l.p = l.stack;
	l.cap = sizeof l.stack;
	if (!msg)
		msg = "";
	if (json) {
		lputs(&l, "{\"ts\":\"");
		put_ts(&l, sk);
		lputs(&l, "\",\"level\":\"");
		lputs(&l, pw_log_level_name(lvl));
		lputs(&l, "\",\"msg\":\"");
		json_esc(&l, msg, strlen(msg));
		lputs(&l, "\"");
		if (lg->component) {
			lputs(&l, ",\"component\":\"");
			json_esc(&l, lg->component, strlen(lg->component));
			lputs(&l, "\"");
		}
	} else {
		static const char *const up[] = {"DEBUG", "INFO ", "WARN ",
						 "ERROR"};
		put_ts(&l, sk);
		lputs(&l, " ");
		lputs(&l, (unsigned)lvl < 4 ? up[lvl] : "?    ");
		lputs(&l, " ");
		if (lg->component) {
			lputs(&l, "[");
			lputs(&l, lg->component);
			lputs(&l, "] ");
		}
		/* escaped, unquoted: a newline never splits the line */
		json_esc(&l, msg, strlen(msg));
	}
	for (; kv && kv->type != PW_KV_T_END; kv++) {
		char buf[256], *heap;
		size_t n;
		const char *v = kv_text(kv, buf, sizeof buf, &n, &heap);
		const char *key = kv->key ? kv->key : "?";
		if (json) {
			lputs(&l, ",\"");
			json_esc(&l, key, strlen(key));
			lputs(&l, "\":");
			if (bare_json(kv))
				lput(&l, v, n);
			else {
				lputs(&l, "\"");
				json_esc(&l, v, n);
				lputs(&l, "\"");
			}
		} else {
			lputs(&l, " ");
			lputs(&l, key);
			lputs(&l, "=");
			text_val(&l, v, n);
		}
		free(heap);
	}
	if (json)
		lputs(&l, "}");
	if (l.oom) {
		if (l.heap)
			free(l.p);
		return;
	}
	l.p[l.n++] = '\n';
	FILE *fp = sk->fp ? sk->fp : stderr;
	pthread_mutex_lock(&sk->mu);
	flockfile(fp);
	int fd = fileno(fp);
	if (fd >= 0) {
		/* one write(2) per line: atomic on pipes below PIPE_BUF, so
		 * lines from several processes sharing stderr never mix */
		fflush(fp);
		size_t off = 0;
		while (off < l.n) {
			ssize_t w = write(fd, l.p + off, l.n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break; /* nowhere to report a log failure */
			off += (size_t)w;
		}
	} else { /* memory streams (tests) */
		fwrite(l.p, 1, l.n, fp);
		fflush(fp);
	}
	funlockfile(fp);
	pthread_mutex_unlock(&sk->mu);
	if (l.heap)
		free(l.p);
}

void pw_log_(pw_logger_t *lg, pw_log_level_t lvl, const char *msg, ...)
{
	pw_kv_t fields[32];
	size_t n = 0;
	if ((int)lvl < (int)pw_log_get_level(lg))
		return;
	va_list ap;
	va_start(ap, msg);
	for (;;) {
		pw_kv_t kv = va_arg(ap, pw_kv_t);
		if (kv.type == PW_KV_T_END)
			break;
		if (n < 31)
			fields[n++] = kv;
	}
	va_end(ap);
	fields[n] = PW_KV_END;
	pw_log_kv(lg, lvl, msg, fields);
}
