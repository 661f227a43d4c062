/* page.c -- the hosted payment page, /pay/connect.php?code=<hash_value>.
 * Owns: the HTML a person sees after a non-seamless payin (spec §8.2), with
 *       Approve / Decline buttons that resolve the order at once.
 * Not here: creating the order (routes.c), status changes (orders.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/sbx_int.h"

typedef struct sbuf {
	char *p;
	size_t len, cap;
} sbuf_t;

static void put(sbuf_t *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 2048;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(sbuf_t *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_esc(sbuf_t *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': puts_(b, "&lt;"); break;
		case '>': puts_(b, "&gt;"); break;
		case '&': puts_(b, "&amp;"); break;
		case '"': puts_(b, "&quot;"); break;
		case '\'': puts_(b, "&#39;"); break;
		default: put(b, s, 1);
		}
	}
}

/* value of `key` in an application/x-www-form-urlencoded body (no percent
 * decoding needed: our own form only sends hex codes and fixed words). */
static int form_value(const uint8_t *body, size_t len, const char *key,
		      char *out, size_t size)
{
	size_t kl = strlen(key);
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && body[j] != '&')
			j++;
		if (j - i > kl && body[i + kl] == '=' &&
		    !memcmp(body + i, key, kl)) {
			size_t vl = j - i - kl - 1;
			if (vl >= size)
				return 0;
			memcpy(out, body + i + kl + 1, vl);
			out[vl] = '\0';
			return 1;
		}
		i = j + 1;
	}
	return 0;
}

static void page(sbx_ctx_t *c, int status, sbuf_t *b)
{
	c->status = status;
	c->ctype = "text/html; charset=utf-8";
	c->raw = b->p ? b->p : strdup("");
	c->raw_len = b->p ? b->len : 0;
}

static const char head[] =
	"<!doctype html><html><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width\">"
	"<title>PayAtom Sandbox payment</title><style>"
	"body{font-family:sans-serif;max-width:32em;margin:2em auto;}"
	"table td{padding:.2em .8em}button{font-size:1.1em;padding:.5em 1.5em;"
	"margin:.5em}.ok{background:#2a2;color:#fff}.no{background:#c22;"
	"color:#fff}</style></head><body><h1>PayAtom Sandbox</h1>"
	"<p><em>Test payment page: no money moves.</em></p>";

void sbx__ep_connect(sbx_ctx_t *c)
{
	sbuf_t b = {0};
	char code[80] = "";
	char action[16] = "";
	int post = !strcmp(pw_http_method(c->req), "POST");
	if (post) {
		size_t len;
		const uint8_t *body = pw_http_body(c->req, &len);
		form_value(body, len, "code", code, sizeof code);
		form_value(body, len, "action", action, sizeof action);
	} else {
		const char *q = pw_http_query(c->req, "code");
		if (q)
			snprintf(code, sizeof code, "%s", q);
	}
	sbx_order_t *ord = code[0] ? sbx__order_by_hash(c->sbx, code) : NULL;
	puts_(&b, head);
	if (!ord || strcmp(ord->product, "hosted") != 0) {
		puts_(&b, "<p>Invalid or expired payment link.</p></body></html>");
		page(c, 404, &b);
		return;
	}
	if (post && !strcmp(ord->status, "Pending")) {
		const char *to = !strcmp(action, "approve")   ? "Approved"
				 : !strcmp(action, "decline") ? "Declined"
							      : NULL;
		if (to) {
			pw_timer_cancel(c->sbx->loop, ord->timer);
			ord->timer = NULL;
			snprintf(ord->plan, sizeof ord->plan, "%s", to);
			sbx__order_set_status(c->sbx, ord, to);
		}
	}
	char amt[32];
	sbx__amount_text(ord->amount_minor, amt);
	puts_(&b, "<table><tr><td>Order</td><td>");
	put_esc(&b, ord->order_id);
	puts_(&b, "</td></tr><tr><td>Amount</td><td>");
	put_esc(&b, amt);
	if (ord->wallet[0]) {
		puts_(&b, "</td></tr><tr><td>Wallet</td><td>");
		put_esc(&b, ord->wallet);
	}
	puts_(&b, "</td></tr><tr><td>Customer</td><td>");
	put_esc(&b, ord->name);
	puts_(&b, "</td></tr><tr><td>Status</td><td><b id=\"status\">");
	put_esc(&b, ord->status);
	puts_(&b, "</b></td></tr></table>");
	if (!strcmp(ord->status, "Pending")) {
		puts_(&b, "<form method=\"post\" action=\"/pay/connect.php\">"
			  "<input type=\"hidden\" name=\"code\" value=\"");
		put_esc(&b, ord->hash_value);
		puts_(&b, "\"><button class=\"ok\" name=\"action\" "
			  "value=\"approve\">Approve payment</button>"
			  "<button class=\"no\" name=\"action\" "
			  "value=\"decline\">Decline</button></form>");
	} else if (ord->redirect_url[0]) {
		puts_(&b, "<p><a href=\"");
		put_esc(&b, ord->redirect_url);
		puts_(&b, "\">Return to the merchant</a></p>");
	}
	puts_(&b, "</body></html>");
	page(c, 200, &b);
}
