/* crypto.c -- post_hash seal/open, base64 (strict, and PHP's lenient
 * decoder), hex digests.
 * Owns: pa_secret_t (raw bytes + derived key, wiped on destroy), the spec §3.1
 *       container, base64, MD5/SHA-256/HMAC hex, constant-time compare.
 * Not here: what goes into each digest (sign.c), amounts (money.c),
 *           canonical JSON (canonjson.c). */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "payatom/crypto.h"

struct pa_secret {
	size_t len;
	uint8_t key[32]; /* SHA-256(secret): AES-256 key and HMAC key (§3.1) */
	/* HMAC-SHA256 keyed with key, never updated: each MAC works on a
	 * copy (EVP_MAC_CTX_dup), which skips the digest lookup and the key
	 * schedule of EVP_MAC_init. NULL when it could not be made: then
	 * every MAC is set up from scratch. */
	EVP_MAC_CTX *mac;
	char bytes[]; /* the secret itself, NUL-terminated for safety */
};

/* ---- algorithms, fetched once ---------------------------------------------
 * OpenSSL 3 looks an algorithm up by name (under a lock) on every
 * EVP_*Init that is given EVP_sha256() & co. or a fetch: the post_hash of
 * every request paid for four such lookups. The fetched objects are
 * immutable and may be shared by threads; they stay for the life of the
 * process (freed by OpenSSL at exit), which is the one piece of process
 * state here -- read-only once made. A failed fetch leaves NULL and the
 * call sites fall back to the implicit fetch. */
static pthread_once_t algs_once = PTHREAD_ONCE_INIT;
static struct {
	EVP_CIPHER *aes;
	EVP_MAC *hmac;
	EVP_MD *md5, *sha256;
} algs;

static void algs_fetch(void)
{
	algs.aes = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	algs.hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	algs.md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	algs.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void algs_get(void)
{
	pthread_once(&algs_once, algs_fetch);
}

static const EVP_CIPHER *aes_256_cbc(void)
{
	algs_get();
	return algs.aes ? algs.aes : EVP_aes_256_cbc();
}

static const EVP_MD *md_sha256(void)
{
	algs_get();
	return algs.sha256 ? algs.sha256 : EVP_sha256();
}

static const EVP_MD *md_md5(void)
{
	algs_get();
	return algs.md5 ? algs.md5 : EVP_md5();
}

/* A new HMAC-SHA256 context keyed with key (may be empty). New reference:
 * EVP_MAC_CTX_free(). NULL on failure. */
static EVP_MAC_CTX *hmac_new(const void *key, size_t key_len)
{
	algs_get();
	EVP_MAC *m = algs.hmac;
	if (!m && !(m = EVP_MAC_fetch(NULL, "HMAC", NULL)))
		return NULL;
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(m);
	if (m != algs.hmac)
		EVP_MAC_free(m); /* the context holds its own reference */
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						 (char *)"SHA256", 0),
		OSSL_PARAM_construct_end()};
	/* an empty HMAC key is legal; OpenSSL wants a non-NULL pointer */
	if (ctx && !EVP_MAC_init(ctx, key ? key : (const void *)"", key_len,
				 params)) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

pa_err_t pa_secret_new(const char *key, size_t len, pa_secret_t **out)
{
	if (!out)
		return PA_INVAL;
	*out = NULL;
	if (!key || len == 0 || len > SIZE_MAX - sizeof(pa_secret_t) - 1)
		return PA_INVAL;
	pa_secret_t *sec = malloc(sizeof(*sec) + len + 1);
	if (!sec)
		return PA_NOMEM;
	sec->len = len;
	memcpy(sec->bytes, key, len);
	sec->bytes[len] = '\0';
	sec->mac = NULL;
	unsigned int klen = 0;
	if (!EVP_Digest(key, len, sec->key, &klen, md_sha256(), NULL) ||
	    klen != sizeof(sec->key)) {
		pa_secret_destroy(sec);
		return PA_CRYPTO;
	}
	sec->mac = hmac_new(sec->key, sizeof(sec->key));
	*out = sec;
	return PA_OK;
}

void pa_secret_destroy(pa_secret_t *sec)
{
	if (!sec)
		return;
	EVP_MAC_CTX_free(sec->mac); /* OpenSSL wipes its key copies */
	OPENSSL_cleanse(sec, sizeof(*sec) + sec->len + 1);
	free(sec);
}

const char *pa_secret_bytes(const pa_secret_t *sec, size_t *len)
{
	if (!sec) {
		*len = 0;
		return NULL;
	}
	*len = sec->len;
	return sec->bytes;
}

/* ---- base64 ------------------------------------------------------------ */

static const char b64_alpha[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pa_err_t pa_base64_encode(const uint8_t *in, size_t len, char **out,
			  size_t *out_len)
{
	if (!out || (!in && len))
		return PA_INVAL;
	*out = NULL;
	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return PA_RANGE;
	size_t olen = (len + 2) / 3 * 4;
	char *s = malloc(olen + 1);
	if (!s)
		return PA_NOMEM;
	size_t i = 0, o = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];
		s[o++] = b64_alpha[v >> 18];
		s[o++] = b64_alpha[(v >> 12) & 63];
		s[o++] = b64_alpha[(v >> 6) & 63];
		s[o++] = b64_alpha[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		s[o++] = b64_alpha[v >> 18];
		s[o++] = b64_alpha[(v >> 12) & 63];
		s[o++] = '=';
		s[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		s[o++] = b64_alpha[v >> 18];
		s[o++] = b64_alpha[(v >> 12) & 63];
		s[o++] = b64_alpha[(v >> 6) & 63];
		s[o++] = '=';
	}
	s[o] = '\0';
	*out = s;
	if (out_len)
		*out_len = o;
	return PA_OK;
}

static int b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

pa_err_t pa_base64_decode(const char *in, size_t len, uint8_t **out,
			  size_t *out_len, char *errbuf)
{
	if (!out || !out_len || (!in && len))
		return pa_seterr(errbuf, PA_INVAL, "base64: NULL argument");
	*out = NULL;
	*out_len = 0;
	if (len % 4 != 0)
		return pa_seterr(errbuf, PA_BASE64,
				 "base64: length %zu is not a multiple of 4",
				 len);
	size_t pad = 0;
	if (len >= 4 && in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	uint8_t *buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return PA_NOMEM;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		int last = i + 4 == len;
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int d;
			if (last && k >= 4 - pad)
				d = 0;
			else if ((d = b64_val((unsigned char)in[i + k])) < 0) {
				free(buf);
				return pa_seterr(errbuf, PA_BASE64,
						 "base64: invalid character at "
						 "offset %zu",
						 i + k);
			}
			v = v << 6 | (uint32_t)d;
		}
		buf[o++] = (uint8_t)(v >> 16);
		if (!last || pad < 2)
			buf[o++] = (uint8_t)(v >> 8);
		if (!last || pad < 1)
			buf[o++] = (uint8_t)v;
		/* canonical form only: bits dropped by the padding are zero */
		if (last && ((pad == 1 && (v & 0xff)) ||
			     (pad == 2 && (v & 0xffff)))) {
			free(buf);
			return pa_seterr(errbuf, PA_BASE64,
					 "base64: non-zero padding bits");
		}
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return PA_OK;
}

/* PHP's base64_decode($s) without $strict (ext/standard/base64.c): every
 * byte outside the alphabet -- '=' anywhere, whitespace, '-', '_', any
 * other -- is skipped; the sextets left are packed 4 into 3 bytes; a
 * trailing group that does not fill a byte is dropped, and so are its
 * bits. It never fails. */
pa_err_t pa_base64_decode_php(const char *in, size_t len, uint8_t **out,
			      size_t *out_len)
{
	if (!out || !out_len || (!in && len))
		return PA_INVAL;
	*out = NULL;
	*out_len = 0;
	uint8_t *buf = malloc(len / 4 * 3 + 3);
	if (!buf)
		return PA_NOMEM;
	size_t o = 0, i = 0;
	uint32_t acc = 0;
	for (size_t k = 0; k < len; k++) {
		int d = b64_val((unsigned char)in[k]);
		if (d < 0)
			continue;
		acc = acc << 6 | (uint32_t)d;
		if (++i % 4 == 0) {
			buf[o++] = (uint8_t)(acc >> 16);
			buf[o++] = (uint8_t)(acc >> 8);
			buf[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (i % 4 == 2) {
		buf[o++] = (uint8_t)(acc >> 4);
	} else if (i % 4 == 3) {
		buf[o++] = (uint8_t)(acc >> 10);
		buf[o++] = (uint8_t)(acc >> 2);
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return PA_OK;
}

/* ---- seal / open (spec §3.1) ---------------------------------------------- */

/* HMAC-SHA256 over the concatenation of n parts into mac, with ctx (a
 * keyed context, consumed; NULL fails); 1 on success. */
static int hmac_parts(EVP_MAC_CTX *ctx, const pa_part_t *parts, size_t n,
		      uint8_t mac[32])
{
	int ok = 0;
	size_t mlen = 0;
	if (!ctx)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len &&
		    !EVP_MAC_update(ctx, (const uint8_t *)parts[i].p,
				    parts[i].len))
			goto out;
	ok = EVP_MAC_final(ctx, mac, &mlen, 32) && mlen == 32;
out:
	EVP_MAC_CTX_free(ctx);
	return ok;
}

/* HMAC-SHA256(key, ct || iv): note the order, ciphertext THEN iv (§3.1).
 * From the secret's keyed context when it has one. */
static int seal_mac(const pa_secret_t *sec, const uint8_t *ct, size_t ct_len,
		    const uint8_t *iv, uint8_t mac[32])
{
	const pa_part_t parts[2] = {{(const char *)ct, ct_len},
				    {(const char *)iv, PA_SEAL_IV_LEN}};
	return hmac_parts(sec->mac ? EVP_MAC_CTX_dup(sec->mac)
				   : hmac_new(sec->key, sizeof(sec->key)),
			  parts, 2, mac);
}

pa_err_t pa_seal(const pa_secret_t *sec, const uint8_t *pt, size_t pt_len,
		 const uint8_t iv[16], char **out, char *errbuf)
{
	if (!out)
		return pa_seterr(errbuf, PA_INVAL, "seal: NULL out");
	*out = NULL;
	if (!sec || (!pt && pt_len) || pt_len > INT_MAX - 64)
		return pa_seterr(errbuf, PA_INVAL, "seal: bad argument");
	pa_err_t err = PA_OK;
	size_t cap = PA_SEAL_IV_LEN + PA_SEAL_MAC_LEN + pt_len + 16;
	uint8_t *blob = malloc(cap);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!blob || !ctx) {
		err = pa_seterr(errbuf, PA_NOMEM, "seal: out of memory");
		goto out;
	}
	uint8_t *bi = blob, *bm = blob + PA_SEAL_IV_LEN;
	uint8_t *bc = bm + PA_SEAL_MAC_LEN;
	if (iv)
		memcpy(bi, iv, PA_SEAL_IV_LEN);
	else if (RAND_bytes(bi, PA_SEAL_IV_LEN) != 1) {
		err = pa_seterr(errbuf, PA_CRYPTO, "seal: RAND_bytes failed");
		goto out;
	}
	int n1 = 0, n2 = 0;
	if (!EVP_EncryptInit_ex(ctx, aes_256_cbc(), NULL, sec->key, bi) ||
	    !EVP_EncryptUpdate(ctx, bc, &n1, pt ? pt : (const uint8_t *)"",
			       (int)pt_len) ||
	    !EVP_EncryptFinal_ex(ctx, bc + n1, &n2)) {
		err = pa_seterr(errbuf, PA_CRYPTO, "seal: AES-256-CBC failed");
		goto out;
	}
	size_t ct_len = (size_t)n1 + (size_t)n2;
	if (!seal_mac(sec, bc, ct_len, bi, bm)) {
		err = pa_seterr(errbuf, PA_CRYPTO, "seal: HMAC failed");
		goto out;
	}
	err = pa_base64_encode(blob, PA_SEAL_IV_LEN + PA_SEAL_MAC_LEN + ct_len,
			       out, NULL);
	if (err)
		pa_seterr(errbuf, err, "seal: base64 failed");
out:
	EVP_CIPHER_CTX_free(ctx);
	if (blob) {
		OPENSSL_cleanse(blob, cap);
		free(blob);
	}
	return err;
}

pa_err_t pa_open(const pa_secret_t *sec, const char *b64, size_t b64_len,
		 char **out, size_t *out_len, char *errbuf)
{
	if (!out)
		return pa_seterr(errbuf, PA_INVAL, "open: NULL out");
	*out = NULL;
	if (out_len)
		*out_len = 0;
	if (!sec || (!b64 && b64_len))
		return pa_seterr(errbuf, PA_INVAL, "open: bad argument");
	uint8_t *blob = NULL, *pt = NULL;
	size_t len = 0;
	EVP_CIPHER_CTX *ctx = NULL;
	/* spec §3.1: the docs' PHP runs base64_decode() non-strict; the MAC,
	 * not the base64 spelling, is what protects the message */
	pa_err_t err = pa_base64_decode_php(b64, b64_len, &blob, &len);
	if (err)
		return pa_seterr(errbuf, err, "open: %s", pa_strerror(err));
	if (len < PA_SEAL_MIN_LEN ||
	    (len - PA_SEAL_IV_LEN - PA_SEAL_MAC_LEN) % 16 != 0 ||
	    len > INT_MAX) {
		err = pa_seterr(errbuf, PA_SHORT,
				"open: blob of %zu bytes is not iv(16) + "
				"mac(32) + whole AES blocks",
				len);
		goto out;
	}
	const uint8_t *iv = blob, *mac = blob + PA_SEAL_IV_LEN;
	const uint8_t *ct = mac + PA_SEAL_MAC_LEN;
	size_t ct_len = len - PA_SEAL_IV_LEN - PA_SEAL_MAC_LEN;
	uint8_t want[32];
	if (!seal_mac(sec, ct, ct_len, iv, want)) {
		err = pa_seterr(errbuf, PA_CRYPTO, "open: HMAC failed");
		goto out;
	}
	/* MAC first, in constant time: never decrypt unauthenticated data */
	if (CRYPTO_memcmp(want, mac, sizeof(want)) != 0) {
		err = pa_seterr(errbuf, PA_MAC, "open: MAC mismatch");
		goto out;
	}
	pt = malloc(ct_len + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (!pt || !ctx) {
		err = pa_seterr(errbuf, PA_NOMEM, "open: out of memory");
		goto out;
	}
	int n1 = 0, n2 = 0;
	if (!EVP_DecryptInit_ex(ctx, aes_256_cbc(), NULL, sec->key, iv) ||
	    !EVP_DecryptUpdate(ctx, pt, &n1, ct, (int)ct_len)) {
		err = pa_seterr(errbuf, PA_CRYPTO, "open: AES-256-CBC failed");
		goto out;
	}
	if (!EVP_DecryptFinal_ex(ctx, pt + n1, &n2)) {
		err = pa_seterr(errbuf, PA_PADDING, "open: bad PKCS#7 padding");
		goto out;
	}
	size_t pt_len = (size_t)n1 + (size_t)n2;
	pt[pt_len] = '\0';
	*out = (char *)pt;
	pt = NULL;
	if (out_len)
		*out_len = pt_len;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (pt) {
		OPENSSL_cleanse(pt, ct_len + 1);
		free(pt);
	}
	free(blob);
	return err;
}

/* ---- hex digests ----------------------------------------------------------- */

static void to_hex(const uint8_t *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static pa_err_t digest_hex(const EVP_MD *md, size_t dlen, const pa_part_t *parts,
			   size_t n, char *out)
{
	out[0] = '\0';
	if (!parts && n)
		return PA_INVAL;
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int got = 0;
	pa_err_t err = PA_CRYPTO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, md, NULL))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (parts[i].len && !EVP_DigestUpdate(ctx, parts[i].p,
						      parts[i].len))
			goto out;
	if (!EVP_DigestFinal_ex(ctx, d, &got) || got != dlen)
		goto out;
	to_hex(d, dlen, out);
	err = PA_OK;
out:
	EVP_MD_CTX_free(ctx);
	return err;
}

pa_err_t pa_md5_hex(const pa_part_t *parts, size_t n,
		    char out[PA_MD5_HEX_LEN + 1])
{
	return digest_hex(md_md5(), 16, parts, n, out);
}

pa_err_t pa_sha256_hex(const pa_part_t *parts, size_t n,
		       char out[PA_SHA256_HEX_LEN + 1])
{
	return digest_hex(md_sha256(), 32, parts, n, out);
}

pa_err_t pa_hmac_sha256_hex(const void *key, size_t key_len,
			    const pa_part_t *parts, size_t n,
			    char out[PA_SHA256_HEX_LEN + 1])
{
	uint8_t d[32];
	out[0] = '\0';
	if ((!parts && n) || (!key && key_len))
		return PA_INVAL;
	if (!hmac_parts(hmac_new(key, key_len), parts, n, d))
		return PA_CRYPTO;
	to_hex(d, 32, out);
	return PA_OK;
}

int pa_const_eq(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return 0;
	if (alen == 0)
		return 1;
	return CRYPTO_memcmp(a, b, alen) == 0;
}
