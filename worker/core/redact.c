/* redact.c -- redaction rules and body scrubbers (see redact.h).
 * Owns: the per-kind masking, the sensitive-key list, JSON and free-text
 *       scrubbing of gateway bodies.
 * Not here: where redacted values go (log.c, config_print.c). */
#include "redact.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* Appends to out like snprintf, tracking the full needed length. */
typedef struct sbuf {
	char *out;
	size_t size, n;
	int grow, oom; /* grow: out is malloc'd and may be enlarged */
} sbuf_t;

static void put(sbuf_t *b, const char *s, size_t len)
{
	if (b->grow && !b->oom && b->n + len + 1 > b->size) {
		size_t ns = b->size * 2;
		while (ns < b->n + len + 1)
			ns *= 2;
		char *np = realloc(b->out, ns);
		if (!np)
			b->oom = 1;
		else {
			b->out = np;
			b->size = ns;
		}
	}
	if (b->n < b->size) {
		size_t room = b->size - b->n - 1;
		memcpy(b->out + b->n, s, len < room ? len : room);
		b->out[b->n + (len < room ? len : room)] = '\0';
	}
	b->n += len;
}

static void puts_(sbuf_t *b, const char *s) { put(b, s, strlen(s)); }

static size_t count_digits(const char *s, size_t len)
{
	size_t d = 0;
	for (size_t i = 0; i < len; i++)
		d += isdigit((unsigned char)s[i]) != 0;
	return d;
}

size_t pw_redact(pw_redact_t kind, const char *s, size_t len, char *out,
		 size_t size)
{
	sbuf_t b = {out, size, 0, 0, 0};
	char tmp[64];
	if (out && size)
		out[0] = '\0';
	if (!s)
		len = 0;
	switch (kind) {
	case PW_RED_PUBLIC:
		put(&b, s ? s : "", len);
		break;
	case PW_RED_SECRET:
		puts_(&b, "***");
		break;
	case PW_RED_HASH:
		snprintf(tmp, sizeof tmp, "***(len=%zu)", len);
		puts_(&b, tmp);
		break;
	case PW_RED_PHONE: {
		size_t digits = count_digits(s, len);
		if (digits < 6) {
			puts_(&b, "***");
			break;
		}
		/* keep the last two digits, mask everything else */
		size_t keep_from = len, seen = 0;
		while (keep_from > 0 && seen < 2)
			seen += isdigit((unsigned char)s[--keep_from]) != 0;
		for (size_t i = 0; i < keep_from; i++)
			puts_(&b, "*");
		put(&b, s + keep_from, len - keep_from);
		break;
	}
	case PW_RED_EMAIL: {
		const char *at = s ? memchr(s, '@', len) : NULL;
		if (!at || at == s || at + 1 >= s + len) {
			puts_(&b, "***");
			break;
		}
		const char *dom = at + 1;
		size_t dl = (size_t)(s + len - dom);
		const char *dot = NULL;
		for (size_t i = dl; i > 0; i--)
			if (dom[i - 1] == '.') {
				dot = dom + i - 1;
				break;
			}
		put(&b, s, 1);
		puts_(&b, "***@");
		put(&b, dom, 1);
		puts_(&b, "***");
		if (dot && dot > dom)
			put(&b, dot, (size_t)(s + len - dot));
		break;
	}
	case PW_RED_ACCOUNT:
		if (len <= 6) {
			puts_(&b, "***");
			break;
		}
		puts_(&b, "****");
		put(&b, s + len - 4, 4);
		break;
	case PW_RED_UPI: {
		const char *at = s ? memchr(s, '@', len) : NULL;
		puts_(&b, "***");
		if (at && at + 1 < s + len)
			put(&b, at, (size_t)(s + len - at));
		break;
	}
	case PW_RED_NAME:
		if (len == 0) {
			puts_(&b, "***");
			break;
		}
		/* one character, whole if it is a multi-byte UTF-8 sequence */
		size_t cl = 1;
		while (cl < len && ((unsigned char)s[cl] & 0xC0) == 0x80)
			cl++;
		put(&b, s, cl);
		puts_(&b, "***");
		break;
	}
	return b.n;
}

/* ---- sensitive keys --------------------------------------------------- */

typedef struct keyrule {
	const char *key;
	pw_redact_t kind;
} keyrule_t;

/* Exact keys (case-insensitive) seen in the gateway contract (spec §3-§9)
 * and our own events. */
static const keyrule_t exact[] = {
	{"secret", PW_RED_SECRET},
	{"secret_key", PW_RED_SECRET},
	{"api_key", PW_RED_SECRET},
	{"apikey", PW_RED_SECRET},
	{"x-api-key", PW_RED_SECRET},
	{"api-key", PW_RED_SECRET},
	{"authorization", PW_RED_SECRET},
	{"token", PW_RED_SECRET},
	{"password", PW_RED_SECRET},
	{"verification_code", PW_RED_SECRET},
	{"otp", PW_RED_SECRET},
	{"pin", PW_RED_SECRET},
	{"post_hash", PW_RED_HASH},
	{"hash", PW_RED_HASH},
	{"hash_value", PW_RED_HASH},
	{"signature", PW_RED_HASH},
	{"qr_code", PW_RED_HASH},
	{"phone", PW_RED_PHONE},
	{"phone_number", PW_RED_PHONE},
	{"mobile", PW_RED_PHONE},
	{"msisdn", PW_RED_PHONE},
	{"wallet_number", PW_RED_PHONE},
	{"email", PW_RED_EMAIL},
	{"account_no", PW_RED_ACCOUNT},
	{"account_number", PW_RED_ACCOUNT},
	{"accountnumber", PW_RED_ACCOUNT},
	{"account_detail", PW_RED_ACCOUNT},
	{"iban", PW_RED_ACCOUNT},
	{"card_number", PW_RED_ACCOUNT},
	{"upi", PW_RED_UPI},
	{"upi_id", PW_RED_UPI},
	{"sender_upi", PW_RED_UPI},
	{"refunded_upi", PW_RED_UPI},
	{"receivervpa", PW_RED_UPI},
	{"vpa", PW_RED_UPI},
	{"payer_vpa", PW_RED_UPI},
	/* names: customer names, account holders, the "account" label of a
	 * UPI account in wallet data (spec: "account":"SanoojAccount") */
	{"name", PW_RED_NAME},
	{"account", PW_RED_NAME},
	{"account_holder", PW_RED_NAME},
	{"account_name", PW_RED_NAME},
	{"customer_name", PW_RED_NAME},
	{"payer_name", PW_RED_NAME},
	{"beneficiary_name", PW_RED_NAME},
};

/* Substrings that make any key sensitive (covers recon_token,
 * wallet_password, customer_email, sender_phone, ...). Order matters:
 * first match wins. */
static const keyrule_t contains[] = {
	{"secret", PW_RED_SECRET},   {"password", PW_RED_SECRET},
	{"token", PW_RED_SECRET},    {"api_key", PW_RED_SECRET},
	{"apikey", PW_RED_SECRET},   {"signature", PW_RED_HASH},
	{"post_hash", PW_RED_HASH},  {"email", PW_RED_EMAIL},
	{"phone", PW_RED_PHONE},     {"mobile", PW_RED_PHONE},
	{"account_n", PW_RED_ACCOUNT}, {"vpa", PW_RED_UPI},
	{"_upi", PW_RED_UPI},        {"upi_id", PW_RED_UPI},
};

static int icontains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

pw_redact_t pw_redact_kind_for_key(const char *key)
{
	if (!key)
		return PW_RED_PUBLIC;
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (strcasecmp(key, exact[i].key) == 0)
			return exact[i].kind;
	for (size_t i = 0; i < sizeof contains / sizeof contains[0]; i++)
		if (icontains(key, contains[i].key))
			return contains[i].kind;
	return PW_RED_PUBLIC;
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *redacted_string(pw_redact_t kind, const char *s, size_t len)
{
	size_t need = pw_redact(kind, s, len, NULL, 0) + 1;
	char *buf = malloc(need);
	if (!buf)
		return NULL;
	pw_redact(kind, s, len, buf, need);
	json_t *j = json_string(buf);
	free(buf);
	return j;
}

static void scrub_value(json_t *v, pw_redact_t inherited);

/* Replaces v (a member of a container) when kind says so. */
static json_t *masked(json_t *v, pw_redact_t kind)
{
	char num[64];
	if (kind == PW_RED_PUBLIC)
		return NULL;
	if (json_is_string(v))
		return redacted_string(kind, json_string_value(v),
				       json_string_length(v));
	if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return redacted_string(kind, num, strlen(num));
	}
	if (json_is_real(v)) {
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		return redacted_string(kind, num, strlen(num));
	}
	return NULL; /* null/bool: nothing to hide; containers: recurse */
}

static void scrub_value(json_t *v, pw_redact_t inherited)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *child;
		void *it = json_object_iter(v);
		while (it) {
			k = json_object_iter_key(it);
			child = json_object_iter_value(it);
			pw_redact_t kind = pw_redact_kind_for_key(k);
			json_t *m = masked(child, kind);
			if (m)
				json_object_iter_set_new(v, it, m);
			else
				scrub_value(child, kind);
			it = json_object_iter_next(v, it);
		}
	} else if (json_is_array(v)) {
		/* "upi": ["a@b", ...] -- the key's kind applies to items */
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *m = masked(json_array_get(v, i), inherited);
			if (m)
				json_array_set_new(v, i, m);
			else
				scrub_value(json_array_get(v, i),
					    PW_RED_PUBLIC);
		}
	}
}

pa_err_t pw_redact_json(const char *json, size_t len, char **out)
{
	if (!out || (!json && len))
		return PA_INVAL;
	*out = NULL;
	json_error_t jerr;
	json_t *root = json_loadb(json ? json : "", len,
				  JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	if (!root)
		return pw_redact_text(json, len, out);
	scrub_value(root, PW_RED_PUBLIC);
	*out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER |
					JSON_ENCODE_ANY);
	json_decref(root);
	return *out ? PA_OK : PA_NOMEM;
}

/* ---- free text -------------------------------------------------------- */

static int word_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' ||
	       c == '+';
}

pa_err_t pw_redact_text(const char *s, size_t len, char **out)
{
	if (!out || (!s && len))
		return PA_INVAL;
	size_t cap = len + 64;
	sbuf_t b = {malloc(cap), cap, 0, 1, 0};
	if (!b.out)
		return PA_NOMEM;
	b.out[0] = '\0';
	size_t i = 0;
	while (i < len) {
		/* key=value / "key":"value" with a sensitive key */
		if (isalpha((unsigned char)s[i]) &&
		    (i == 0 || !word_char(s[i - 1]))) {
			size_t k = i;
			while (k < len && (word_char(s[k])))
				k++;
			size_t sep = k;
			if (sep < len && s[sep] == '"')
				sep++;
			if (sep < len && (s[sep] == '=' || s[sep] == ':')) {
				char key[64];
				size_t kl = k - i < 63 ? k - i : 63;
				memcpy(key, s + i, kl);
				key[kl] = '\0';
				pw_redact_t kind = pw_redact_kind_for_key(key);
				if (kind != PW_RED_PUBLIC) {
					size_t v = sep + 1;
					while (v < len && (s[v] == ' ' ||
							   s[v] == '"'))
						v++;
					size_t ve = v;
					while (ve < len && s[ve] != '&' &&
					       s[ve] != '"' && s[ve] != ',' &&
					       s[ve] != '\n' && s[ve] != ' ' &&
					       s[ve] != '}' && s[ve] != '<')
						ve++;
					put(&b, s + i, v - i);
					char red[512];
					size_t rl = pw_redact(kind, s + v,
							      ve - v, red,
							      sizeof red);
					put(&b, red,
					    rl < sizeof red ? rl
							    : sizeof red - 1);
					i = ve;
					continue;
				}
			}
		}
		/* a token with '@': e-mail (has a dot after @) or UPI id */
		if (word_char(s[i]) && (i == 0 || !word_char(s[i - 1]))) {
			size_t e = i;
			while (e < len && (word_char(s[e]) || s[e] == '@'))
				e++;
			const char *at = memchr(s + i, '@', e - i);
			if (at) {
				const char *dot = memchr(at, '.',
							 (size_t)(s + e - at));
				char red[512];
				size_t rl = pw_redact(dot ? PW_RED_EMAIL
							  : PW_RED_UPI,
						      s + i, e - i, red,
						      sizeof red);
				put(&b, red,
				    rl < sizeof red ? rl : sizeof red - 1);
				i = e;
				continue;
			}
		}
		/* 6+ digit runs: phone/account numbers */
		if (isdigit((unsigned char)s[i]) &&
		    (i == 0 || !isalnum((unsigned char)s[i - 1]))) {
			size_t e = i;
			while (e < len && isdigit((unsigned char)s[e]))
				e++;
			if (e - i >= 6 &&
			    (e == len || !isalnum((unsigned char)s[e]))) {
				char red[512];
				size_t rl = pw_redact(PW_RED_PHONE, s + i,
						      e - i, red, sizeof red);
				put(&b, red,
				    rl < sizeof red ? rl : sizeof red - 1);
				i = e;
				continue;
			}
			put(&b, s + i, e - i);
			i = e;
			continue;
		}
		put(&b, s + i, 1);
		i++;
	}
	if (b.oom) {
		free(b.out);
		return PA_NOMEM;
	}
	*out = b.out;
	return PA_OK;
}

int pw_redact_is_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	int name = n > 0 && n <= 64 &&
		   ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'));
	for (size_t i = 1; name && i < n; i++)
		name = (s[i] >= 'A' && s[i] <= 'Z') ||
		       (s[i] >= 'a' && s[i] <= 'z') ||
		       (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		       s[i] == '.' || s[i] == '-';
	return name;
}

const char *pw_redact_name(const char *s, char *buf, size_t size)
{
	size_t n = s ? strlen(s) : 0;
	if (pw_redact_is_name(s))
		snprintf(buf, size, "'%s'", s);
	else
		snprintf(buf, size, "a value of %zu bytes that is not a name",
			 n);
	return buf;
}
