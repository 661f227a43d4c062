/* pa_diff.c -- libpayatom's side of the differential test: reads the cases
 * gen.php wrote and prints libpayatom's verdict on each, in the shape
 * verdict.php prints the docs' PHP verdict (run.py compares them;
 * docs/gateway-fidelity.md).
 *
 *   pa_diff cases.tsv > c.tsv
 *
 * W <id> <ok|no> <hash variant> <usable 1|0> <amount minor|-> <error name>
 *   pa_webhook_parse, pa_txn_update_verify (received_amount first),
 *   pa_txn_update_usable, pa_txn_update_amount: what the worker's webhook
 *   ingress and its poll parser run.
 * V <id> <canonical|-> <sha256|-> <hmac|-> <error name>
 *   pa_canonjson (without "signature") and pa_sign_v2 in both algorithms.
 * R <id> <digest hex|-> <what was sent|-> <error name>
 *   the request-side formulas (sign.h) and builders (api.h); "what was
 *   sent" is the post_hash or the request body, base64.
 * Only libpayatom's public API is used. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/api.h"
#include "payatom/canonjson.h"
#include "payatom/crypto.h"
#include "payatom/sign.h"
#include "payatom/webhook.h"

#define MAX_MERCHANTS 16

static pa_secret_t *secrets[MAX_MERCHANTS];

static void die(const char *what)
{
	fprintf(stderr, "pa_diff: %s\n", what);
	exit(2);
}

/* base64 text (from gen.php) to bytes; new (caller frees). */
static char *unb64(const char *s, size_t *len)
{
	uint8_t *out = NULL;
	if (pa_base64_decode(s, strlen(s), &out, len, NULL) != PA_OK)
		die("bad base64 in the cases file");
	return (char *)out;
}

static void put_b64(const char *p, size_t n)
{
	char *s = NULL;
	if (pa_base64_encode((const uint8_t *)p, n, &s, NULL) != PA_OK)
		die("out of memory");
	fputs(s, stdout);
	free(s);
}

static pa_secret_t *merchant_secret(const char *idx)
{
	int i = atoi(idx);
	if (i < 0 || i >= MAX_MERCHANTS || !secrets[i])
		die("unknown merchant");
	return secrets[i];
}

static void webhook(char **f)
{
	size_t len;
	char *body = unb64(f[3], &len);
	pa_txn_update_t upd;
	pa_err_t e = pa_webhook_parse((const uint8_t *)body, len, &upd, NULL);
	if (e == PA_OK)
		e = pa_txn_update_verify(merchant_secret(f[2]),
					 PA_AMOUNT_PREF_RECEIVED, &upd, NULL);
	int64_t minor = 0;
	int has = e == PA_OK && pa_txn_update_amount(&upd, &minor);
	int usable = upd.json_ && pa_txn_update_usable(&upd, NULL) == PA_OK;
	printf("W\t%s\t%s\t%s\t%d\t", f[1], e == PA_OK ? "ok" : "no",
	       pa_hash_variant_name(upd.hash_variant), usable);
	if (has)
		printf("%lld", (long long)minor);
	else
		putchar('-');
	printf("\t%s\n", pa_err_name(e));
	pa_txn_update_clear(&upd);
	free(body);
}

static void v2(char **f)
{
	size_t len;
	char *body = unb64(f[3], &len);
	json_t *j = json_loadb(body, len, JSON_ALLOW_NUL, NULL);
	char *canon = NULL, sha[PA_SHA256_HEX_LEN + 1], hm[PA_SHA256_HEX_LEN + 1];
	size_t clen = 0;
	pa_err_t e = j ? pa_canonjson(j, "signature", &canon, &clen, NULL)
		       : PA_PARSE;
	if (!e)
		e = pa_sign_v2(merchant_secret(f[2]), j, PA_V2_SHA256_CONCAT, sha,
			       NULL);
	if (!e)
		e = pa_sign_v2(merchant_secret(f[2]), j, PA_V2_HMAC_SHA256, hm,
			       NULL);
	printf("V\t%s\t", f[1]);
	if (e)
		printf("-\t-\t-");
	else {
		put_b64(canon, clen);
		printf("\t%s\t%s", sha, hm);
	}
	printf("\t%s\n", pa_err_name(e));
	free(canon);
	json_decref(j);
	free(body);
}

/* A merchant profile around secret i: V1 India by default. */
static pa_merchant_t profile(const char *idx)
{
	pa_merchant_t m = {0};
	m.pid = atoi(idx) % 2 ? "pid/\xc3\xbc-7" : "0951272386617";
	m.secret = merchant_secret(idx);
	m.api_version = PA_API_V1;
	m.base_url = "https://gateway.example";
	m.country = PA_COUNTRY_IN;
	m.recon_token = "recon-token";
	return m;
}

static void request(char **f)
{
	pa_secret_t *sec = merchant_secret(f[2]);
	const char *kind = f[3];
	size_t alen, blen, clen;
	char *a = unb64(f[4], &alen), *b = unb64(f[5], &blen),
	     *c = unb64(f[6], &clen);
	char hex[PA_SHA256_HEX_LEN + 1] = "";
	char *post_hash = NULL;
	pa_request_t *req = NULL;
	pa_err_t e = PA_OK;
	pa_part_t pa = {a, alen}, pb = {b, blen};
	pa_merchant_t m = profile(f[2]);
	if (!strcmp(kind, "poll") || !strcmp(kind, "refund")) {
		int poll = kind[0] == 'p';
		e = poll ? pa_sign_poll_request_md5(sec, pa, pb, hex)
			 : pa_sign_refund_md5(sec, pa, pb, hex);
		if (!e)
			e = poll ? pa_sign_poll_request_post_hash(
					   sec, pa, pb, NULL, &post_hash, NULL)
				 : pa_sign_refund_post_hash(sec, pa, pb, NULL,
							    &post_hash, NULL);
	} else if (!strcmp(kind, "recon")) {
		e = pa_sign_recon_sha256(sec, pa, pb, hex);
	} else if (!strcmp(kind, "wallet")) {
		e = pa_sign_wallet_verification_code(sec, hex);
	} else if (!strcmp(kind, "build_status")) {
		e = pa_build_status(&m, PA_OP_STATUS, a, &req, NULL);
		if (!e)
			e = pa_sign_poll_request_md5(sec, pa, pa_part(m.pid), hex);
	} else if (!strcmp(kind, "build_status_order")) {
		m.poll_key = PA_POLL_BY_ORDER_ID;
		e = pa_build_status(&m, PA_OP_STATUS, a, &req, NULL);
		if (!e)
			e = pa_sign_poll_request_md5(sec, pa, pa_part(m.pid), hex);
	} else if (!strcmp(kind, "build_refund")) {
		e = pa_build_refund(&m, a, strtoll(b, NULL, 10), &req, NULL);
		if (!e)
			e = pa_sign_refund_md5(sec, pa, pa_part(m.pid), hex);
	} else if (!strcmp(kind, "build_recon")) {
		e = pa_build_recon(&m, PA_OP_RECON_PAYIN, a, &req, NULL);
		if (!e)
			e = pa_sign_recon_sha256(sec, pa_part(m.pid), pa, hex);
	} else if (!strcmp(kind, "build_payin_v2")) {
		m.api_version = PA_API_V2;
		m.api_key = "api-key-1";
		pa_payin_req_t r = {
			.flow = PA_FLOW_NON_SEAMLESS,
			.party = PA_PARTY_P2P,
			.channel = PA_CHANNEL_UPI,
			.order_id = a,
			.amount_minor = strtoll(b, NULL, 10),
			.name = c,
			.email = "user@example.com",
			.phone = "9000000000",
			.redirect_url = "https://merchant.example/return?x=1&y=2",
			.ip = "203.0.113.7",
			.latitude = "19.0760",
			.longitude = "72.8777",
			.customer_id = "GAME42",
		};
		e = pa_build_payin(&m, &r, &req, NULL);
		json_t *j = e ? NULL : json_loadb(req->body, req->body_len, 0,
						   NULL);
		const char *sig = json_string_value(json_object_get(j,
								    "signature"));
		snprintf(hex, sizeof hex, "%s", sig ? sig : "");
		json_decref(j);
	} else {
		die("unknown request kind");
	}
	printf("R\t%s\t%s\t", f[1], e || !hex[0] ? "-" : hex);
	if (!e && post_hash)
		put_b64(post_hash, strlen(post_hash));
	else if (!e && req)
		put_b64(req->body, req->body_len);
	else
		putchar('-');
	printf("\t%s\n", pa_err_name(e));
	pa_request_destroy(req);
	free(post_hash);
	free(a);
	free(b);
	free(c);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: pa_diff cases.tsv");
	FILE *in = fopen(argv[1], "r");
	if (!in)
		die("cannot open the cases file");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		char *f[8], *rest = line;
		int k = 0;
		/* empty fields are "" (base64 of nothing): strsep keeps them */
		for (char *t; k < 8 && (t = strsep(&rest, "\t"));)
			f[k++] = t;
		for (int i = k; i < 8; i++)
			f[i] = "";
		if (!strcmp(f[0], "S")) {
			size_t len;
			char *s = unb64(f[2], &len);
			int i = atoi(f[1]);
			if (i < 0 || i >= MAX_MERCHANTS ||
			    pa_secret_new(s, len, &secrets[i]) != PA_OK)
				die("bad merchant secret");
			free(s);
		} else if (!strcmp(f[0], "W")) {
			webhook(f);
		} else if (!strcmp(f[0], "V")) {
			v2(f);
		} else if (!strcmp(f[0], "R")) {
			request(f);
		}
	}
	free(line);
	fclose(in);
	for (int i = 0; i < MAX_MERCHANTS; i++)
		pa_secret_destroy(secrets[i]);
	return fflush(stdout) == 0 ? 0 : 1;
}
