/* check_crypto.c -- post_hash container (spec §3.1), base64, digests.
 * Vectors: tests/data/crypto/ (made by tests/data/gen/make_vectors.sh with
 * the openssl CLI and PayAtom's PHP/Node reference code). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "payatom/crypto.h"
#include "pwtest.h"

/* ---- helpers ----------------------------------------------------------- */

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = strlen(h);
	if (strcmp(h, "-") == 0)
		return 0;
	ck_assert_msg(n % 2 == 0 && n / 2 <= cap, "bad hex '%s'", h);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		ck_assert(sscanf(h + 2 * i, "%2x", &v) == 1);
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

static pa_secret_t *secret_hex(const char *h)
{
	uint8_t b[256];
	size_t n = unhex(h, b, sizeof b);
	pa_secret_t *sec = NULL;
	ck_assert_int_eq(pa_secret_new((const char *)b, n, &sec), PA_OK);
	return sec;
}

static pa_secret_t *secret_str(const char *s)
{
	pa_secret_t *sec = NULL;
	ck_assert_int_eq(pa_secret_new(s, strlen(s), &sec), PA_OK);
	return sec;
}

/* Splits data file lines into whitespace-separated fields; skips comments.
 * Returns the number of lines handed to fn. */
typedef void (*line_fn)(char **f, int n, void *arg);
static int each_line(const char *file, line_fn fn, void *arg)
{
	char *txt = pwt_read_data(file, NULL);
	ck_assert_msg(txt != NULL, "missing tests/data/%s", file);
	int lines = 0;
	char *save = NULL;
	for (char *ln = strtok_r(txt, "\n", &save); ln;
	     ln = strtok_r(NULL, "\n", &save)) {
		if (ln[0] == '#' || ln[0] == '\0')
			continue;
		char *f[8], *s2 = NULL;
		int n = 0;
		for (char *t = strtok_r(ln, " ", &s2); t && n < 8;
		     t = strtok_r(NULL, " ", &s2))
			f[n++] = t;
		fn(f, n, arg);
		lines++;
	}
	free(txt);
	return lines;
}

static char *b64_of(const uint8_t *b, size_t n)
{
	char *s = NULL;
	ck_assert_int_eq(pa_base64_encode(b, n, &s, NULL), PA_OK);
	return s;
}

/* A sealed sample: secret "secret-key", md5-like plaintext, fixed IV. */
static uint8_t *sample_blob(pa_secret_t **sec, size_t *len)
{
	static const uint8_t iv[16] = {1, 2, 3, 4, 5, 6, 7, 8,
				       9, 10, 11, 12, 13, 14, 15, 16};
	const char *pt = "5ebe63ad78fb45500461856f4c045dc6";
	*sec = secret_str("secret-key");
	char *b64 = NULL;
	ck_assert_int_eq(pa_seal(*sec, (const uint8_t *)pt, strlen(pt), iv,
				 &b64, NULL),
			 PA_OK);
	uint8_t *blob = NULL;
	ck_assert_int_eq(pa_base64_decode(b64, strlen(b64), &blob, len, NULL),
			 PA_OK);
	free(b64);
	ck_assert_uint_eq(*len, 16 + 32 + 48);
	return blob;
}

static pa_err_t open_bytes(const pa_secret_t *sec, const uint8_t *b, size_t n)
{
	char *b64 = b64_of(b, n), *pt = NULL;
	pa_err_t err = pa_open(sec, b64, strlen(b64), &pt, NULL, NULL);
	if (err == PA_OK)
		free(pt);
	else
		ck_assert_ptr_null(pt);
	free(b64);
	return err;
}

/* ---- seal/open known answers --------------------------------------------- */

static void check_seal_vector(char **f, int n, void *arg)
{
	ck_assert_int_eq(n, 5);
	pa_secret_t *sec = secret_hex(f[1]);
	uint8_t iv[16], pt[256];
	ck_assert_uint_eq(unhex(f[2], iv, sizeof iv), 16);
	size_t ptn = unhex(f[3], pt, sizeof pt);
	char *b64 = NULL, eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_seal(sec, pt, ptn, iv, &b64, eb), PA_OK);
	ck_assert_msg(strcmp(b64, f[4]) == 0, "%s: sealed %s, want %s", f[0],
		      b64, f[4]);
	free(b64);
	(*(int *)arg)++;
	pa_secret_destroy(sec);
}

START_TEST(test_crypto_seal_matches_reference_vectors)
{
	int ok = 0;
	ck_assert_int_ge(each_line("crypto/seal_vectors.txt",
				   check_seal_vector, &ok),
			 8);
	ck_assert_int_ge(ok, 8);
}
END_TEST

static void check_open_vector(char **f, int n, void *arg)
{
	pa_secret_t *sec = secret_hex(f[1]);
	uint8_t pt[256];
	size_t ptn = unhex(f[3], pt, sizeof pt), got_len = 99;
	char *got = NULL, eb[PA_ERRBUF_SIZE];
	ck_assert_int_eq(pa_open(sec, f[4], strlen(f[4]), &got, &got_len, eb),
			 PA_OK);
	ck_assert_uint_eq(got_len, ptn);
	ck_assert(memcmp(got, pt, ptn) == 0);
	ck_assert_int_eq(got[ptn], '\0');
	free(got);
	pa_secret_destroy(sec);
	(void)n;
	(void)arg;
}

START_TEST(test_crypto_open_reference_vectors)
{
	ck_assert_int_ge(each_line("crypto/seal_vectors.txt",
				   check_open_vector, NULL),
			 8);
}
END_TEST

START_TEST(test_crypto_seal_random_iv_differs_and_roundtrips)
{
	pa_secret_t *sec = secret_str("merchant-secret-123");
	const char *pt = "0123456789abcdef0123456789abcdef";
	char *a = NULL, *b = NULL, *o = NULL;
	ck_assert_int_eq(pa_seal(sec, (const uint8_t *)pt, 32, NULL, &a, NULL),
			 PA_OK);
	ck_assert_int_eq(pa_seal(sec, (const uint8_t *)pt, 32, NULL, &b, NULL),
			 PA_OK);
	ck_assert_str_ne(a, b); /* fresh IV each time */
	ck_assert_uint_eq(strlen(a), 128); /* base64 of 16+32+48 */
	ck_assert_int_eq(pa_open(sec, a, strlen(a), &o, NULL, NULL), PA_OK);
	ck_assert_str_eq(o, pt);
	free(o);
	ck_assert_int_eq(pa_open(sec, b, strlen(b), &o, NULL, NULL), PA_OK);
	ck_assert_str_eq(o, pt);
	free(o);
	free(a);
	free(b);
	pa_secret_destroy(sec);
}
END_TEST

/* Runs a reference decrypt() (PHP or Node) on a blob; NULL if the tool is
 * not installed. Returns the plaintext hex line (new, caller frees). */
static char *reference_open(const char *tool, const char *script,
			    const char *sec_hex, const char *b64)
{
	char cmd[2048], path[1024];
	snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
	if (system(cmd) != 0)
		return NULL;
	pwt_data_path(script, path, sizeof path);
	snprintf(cmd, sizeof cmd, "%s '%s' open %s '%s' 2>&1", tool, path,
		 sec_hex, b64);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char line[1024] = "";
	if (!fgets(line, sizeof line, p))
		line[0] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	line[strcspn(line, "\n")] = '\0';
	return strdup(line);
}

START_TEST(test_crypto_reference_php_and_node_open_our_blobs)
{
	/* secret "s\xc3\xa9cr\xc3\xa9t\n" in hex: non-ASCII + newline */
	const char *sec_hex[] = {"6d65726368616e742d7365637265742d313233",
				 "73c3a96372c3a974e282ac0a"};
	const char *pts[] = {"5ebe63ad78fb45500461856f4c045dc6", "",
			     "0123456789abcdef"};
	const char *tools[][2] = {{"php", "gen/payatom_ref.php"},
				  {"node", "gen/payatom_ref.js"}};
	for (size_t t = 0; t < 2; t++) {
		int ran = 0;
		for (size_t s = 0; s < 2; s++) {
			pa_secret_t *sec = secret_hex(sec_hex[s]);
			for (size_t i = 0; i < 3; i++) {
				char *b64 = NULL, want[80] = "";
				ck_assert_int_eq(pa_seal(sec,
							 (const uint8_t *)pts[i],
							 strlen(pts[i]), NULL,
							 &b64, NULL),
						 PA_OK);
				for (size_t k = 0; pts[i][k]; k++)
					snprintf(want + 2 * k, 3, "%02x",
						 (unsigned char)pts[i][k]);
				char *got = reference_open(tools[t][0],
							   tools[t][1],
							   sec_hex[s], b64);
				free(b64);
				if (!got)
					break;
				ck_assert_msg(strcmp(got, want) == 0,
					      "%s opened '%s', want '%s'",
					      tools[t][0], got, want);
				free(got);
				ran++;
			}
			pa_secret_destroy(sec);
		}
		if (ran)
			fprintf(stderr, "cross-check: %s opened %d blobs sealed "
					"by pa_seal()\n",
				tools[t][0], ran);
		else
			fprintf(stderr, "cross-check: %s not installed, "
					"skipped\n",
				tools[t][0]);
	}
}
END_TEST

/* ---- tamper ------------------------------------------------------------- */

START_TEST(test_crypto_open_rejects_every_flipped_byte)
{
	pa_secret_t *sec = NULL;
	size_t len = 0;
	uint8_t *blob = sample_blob(&sec, &len);
	ck_assert_int_eq(open_bytes(sec, blob, len), PA_OK);
	static const uint8_t masks[] = {0x01, 0x80, 0xff};
	for (size_t i = 0; i < len; i++) {
		for (size_t m = 0; m < sizeof masks; m++) {
			blob[i] ^= masks[m];
			/* IV, MAC and ciphertext are all under the MAC */
			ck_assert_msg(open_bytes(sec, blob, len) == PA_MAC,
				      "flip byte %zu mask %02x accepted", i,
				      masks[m]);
			blob[i] ^= masks[m];
		}
	}
	free(blob);
	pa_secret_destroy(sec);
}
END_TEST

START_TEST(test_crypto_open_rejects_every_truncation_and_extension)
{
	pa_secret_t *sec = NULL;
	size_t len = 0;
	uint8_t *blob = sample_blob(&sec, &len);
	for (size_t k = 0; k < len; k++) {
		pa_err_t want = (k < PA_SEAL_MIN_LEN || (k - 48) % 16)
					? PA_SHORT
					: PA_MAC;
		ck_assert_msg(open_bytes(sec, blob, k) == want,
			      "truncated to %zu: %s", k,
			      pa_err_name(open_bytes(sec, blob, k)));
	}
	/* appended bytes: a whole extra block is caught by the MAC */
	uint8_t *big = calloc(1, len + 16);
	memcpy(big, blob, len);
	ck_assert_int_eq(open_bytes(sec, big, len + 1), PA_SHORT);
	ck_assert_int_eq(open_bytes(sec, big, len + 16), PA_MAC);
	free(big);
	/* truncating the TEXT: PHP's decoder keeps the whole bytes, which
	 * are too short or fail the MAC */
	char *b64 = b64_of(blob, len), *pt = NULL;
	for (size_t k = 0; k < strlen(b64); k++) {
		pa_err_t err = pa_open(sec, b64, k, &pt, NULL, NULL);
		ck_assert_ptr_null(pt);
		ck_assert_msg(err == PA_SHORT || err == PA_MAC,
			      "text cut at %zu: %s", k, pa_err_name(err));
	}
	free(b64);
	free(blob);
	pa_secret_destroy(sec);
}
END_TEST

START_TEST(test_crypto_open_rejects_wrong_secret)
{
	pa_secret_t *sec = NULL, *other = secret_str("secret-kez");
	size_t len = 0;
	uint8_t *blob = sample_blob(&sec, &len);
	ck_assert_int_eq(open_bytes(other, blob, len), PA_MAC);
	free(blob);
	pa_secret_destroy(sec);
	pa_secret_destroy(other);
}
END_TEST

static void check_bad_padding(char **f, int n, void *arg)
{
	ck_assert_int_eq(n, 3);
	pa_secret_t *sec = secret_hex(f[1]);
	char *pt = NULL, eb[PA_ERRBUF_SIZE] = "";
	pa_err_t err = pa_open(sec, f[2], strlen(f[2]), &pt, NULL, eb);
	ck_assert_msg(err == PA_PADDING, "%s: %s", f[0], pa_err_name(err));
	ck_assert_ptr_null(pt);
	pa_secret_destroy(sec);
	(void)arg;
}

START_TEST(test_crypto_open_detects_bad_padding_reference_vectors)
{
	ck_assert_int_eq(each_line("crypto/bad_padding.txt", check_bad_padding,
				   NULL),
			 5);
}
END_TEST

/* Build a blob with a valid MAC whose last block decrypts to bad padding,
 * MAC'ing it ourselves (key = SHA-256(secret), HMAC over ct || iv). */
START_TEST(test_crypto_open_detects_bad_padding_built_here)
{
	const char *secret = "padding-secret";
	pa_secret_t *sec = secret_str(secret);
	uint8_t key[32], blob[16 + 32 + 32], iv[16];
	unsigned kl = 0, ml = 0;
	ck_assert(EVP_Digest(secret, strlen(secret), key, &kl, EVP_sha256(),
			     NULL));
	memset(iv, 0x42, sizeof iv);
	static const uint8_t last[][16] = {
		{'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',
		 'x', 'x', 'x', 0},
		{'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',
		 'x', 'x', 'x', 17},
		{'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x',
		 'x', 3, 2, 3},
	};
	for (size_t c = 0; c < sizeof last / sizeof last[0]; c++) {
		uint8_t pt[32];
		memset(pt, 'a', 16);
		memcpy(pt + 16, last[c], 16);
		EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
		int n1 = 0, n2 = 0;
		ck_assert(EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, key,
					     iv));
		EVP_CIPHER_CTX_set_padding(ctx, 0);
		ck_assert(EVP_EncryptUpdate(ctx, blob + 48, &n1, pt, 32));
		ck_assert(EVP_EncryptFinal_ex(ctx, blob + 48 + n1, &n2));
		ck_assert_int_eq(n1 + n2, 32);
		EVP_CIPHER_CTX_free(ctx);
		uint8_t macin[48];
		memcpy(macin, blob + 48, 32);
		memcpy(macin + 32, iv, 16);
		memcpy(blob, iv, 16);
		ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, 32, macin, 48,
					   blob + 16, &ml));
		ck_assert_int_eq(open_bytes(sec, blob, sizeof blob),
				 PA_PADDING);
		/* sanity: the same construction with good padding opens */
		if (c == 0) {
			pt[31] = 1;
			ctx = EVP_CIPHER_CTX_new();
			ck_assert(EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(),
						     NULL, key, iv));
			EVP_CIPHER_CTX_set_padding(ctx, 0);
			ck_assert(EVP_EncryptUpdate(ctx, blob + 48, &n1, pt,
						    32));
			EVP_CIPHER_CTX_free(ctx);
			memcpy(macin, blob + 48, 32);
			ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, 32, macin,
						   48, blob + 16, &ml));
			ck_assert_int_eq(open_bytes(sec, blob, sizeof blob),
					 PA_OK);
		}
	}
	pa_secret_destroy(sec);
}
END_TEST

/* ---- base64 ------------------------------------------------------------- */

START_TEST(test_crypto_base64_matches_openssl_for_all_lengths)
{
	uint8_t in[70];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof in; n++) {
		unsigned char ref[128];
		int rn = EVP_EncodeBlock(ref, in, (int)n);
		char *s = NULL;
		size_t sl = 0;
		ck_assert_int_eq(pa_base64_encode(in, n, &s, &sl), PA_OK);
		ck_assert_uint_eq(sl, (size_t)rn);
		ck_assert_str_eq(s, (char *)ref);
		uint8_t *back = NULL;
		size_t bn = 0;
		ck_assert_int_eq(pa_base64_decode(s, sl, &back, &bn, NULL),
				 PA_OK);
		ck_assert_uint_eq(bn, n);
		ck_assert(n == 0 || memcmp(back, in, n) == 0);
		free(back);
		free(s);
	}
}
END_TEST

START_TEST(test_crypto_base64_is_strict)
{
	/* each is something PHP's lenient base64_decode() would accept or
	 * repair; the strict decoder refuses (crypto.h) */
	static const char *bad[] = {
		"QUJD\n", "QUJD ",   " QUJD", "QU JD",  "QUI",  "QUI=\n",
		"QQ",     "Q===",    "====",  "QU=D",   "QQ=A", "Q-_=",
		"QUJD*",  "QR==",    "QUJE=", "QUJ=RA==", "\x00QUJ",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		size_t n = strlen(bad[i]) ? strlen(bad[i]) : 4;
		uint8_t *out = NULL;
		size_t on = 0;
		ck_assert_msg(pa_base64_decode(bad[i], n, &out, &on, NULL) ==
				      PA_BASE64,
			      "accepted '%s'", bad[i]);
		ck_assert_ptr_null(out);
	}
}
END_TEST

/* "\n", "\r", "\t", "\\", "\xHH" of base64_in.txt into bytes. */
static size_t unescape(const char *s, char *out)
{
	size_t o = 0;
	for (; *s; s++) {
		if (*s != '\\') {
			out[o++] = *s;
			continue;
		}
		s++;
		unsigned v;
		switch (*s) {
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'x':
			ck_assert(sscanf(s + 1, "%2x", &v) == 1);
			out[o++] = (char)v;
			s += 2;
			break;
		default: out[o++] = *s; break;
		}
	}
	return o;
}

START_TEST(test_crypto_base64_php_decoder_matches_php)
{
	/* tests/data/crypto/base64_php.txt: what PHP's base64_decode() gave */
	char *txt = pwt_read_data("crypto/base64_php.txt", NULL);
	ck_assert_ptr_nonnull(txt);
	int n = 0;
	char *save = NULL;
	for (char *ln = strtok_r(txt, "\n", &save); ln;
	     ln = strtok_r(NULL, "\n", &save)) {
		if (ln[0] == '#')
			continue;
		char *bar = strrchr(ln, '|');
		ck_assert_ptr_nonnull(bar);
		*bar = '\0';
		char in[256];
		uint8_t want[256], *out = NULL;
		size_t inlen = unescape(ln, in), wlen = unhex(bar + 1, want,
							      sizeof want);
		size_t olen = 99;
		ck_assert_int_eq(pa_base64_decode_php(in, inlen, &out, &olen),
				 PA_OK);
		ck_assert_msg(olen == wlen && memcmp(out, want, wlen) == 0,
			      "'%s': %zu bytes, PHP %zu", ln, olen, wlen);
		free(out);
		n++;
	}
	free(txt);
	ck_assert_int_ge(n, 40);
	uint8_t *out = NULL;
	size_t olen = 0;
	ck_assert_int_eq(pa_base64_decode_php(NULL, 0, &out, &olen), PA_OK);
	ck_assert_uint_eq(olen, 0);
	free(out);
	ck_assert_int_eq(pa_base64_decode_php(NULL, 1, &out, &olen), PA_INVAL);
}
END_TEST

/* The same post_hash written as PHP's base64_decode() still reads it opens
 * to the same plaintext; spellings that decode to other bytes fail the
 * MAC (spec §3.1, §5: the MAC protects, not the spelling). */
START_TEST(test_crypto_open_reads_post_hash_as_php_does)
{
	pa_secret_t *sec = NULL;
	size_t len = 0;
	uint8_t *blob = sample_blob(&sec, &len);
	char *b64 = b64_of(blob, len);
	size_t n = strlen(b64);
	char *v = malloc(2 * n + 16), *pt = NULL;
	size_t plen = 0;
	for (int form = 0; form < 7; form++) {
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			if (form == 0 && b64[i] == '=')
				continue; /* padding stripped */
			if (form == 1 && i && i % 76 == 0)
				v[o++] = '\n'; /* chunk_split() */
			if (form == 2 && i % 10 == 5)
				v[o++] = ' ';
			if (form == 3 && i == n / 2)
				v[o++] = '=';
			if (form == 4 && i == 7)
				v[o++] = '*';
			if (form == 5 && i == 0)
				v[o++] = '\t';
			v[o++] = b64[i];
		}
		if (form == 6)
			v[o++] = '\n'; /* a trailing newline */
		ck_assert_msg(pa_open(sec, v, o, &pt, &plen, NULL) == PA_OK,
			      "form %d", form);
		ck_assert_uint_eq(plen, 32);
		free(pt);
		pt = NULL;
	}
	/* the URL-safe alphabet is no base64 to PHP: '-' and '_' are
	 * skipped, the bytes shift and the MAC fails */
	memcpy(v, b64, n + 1);
	int changed = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i] == '+' || v[i] == '/') {
			v[i] = v[i] == '+' ? '-' : '_';
			changed = 1;
		}
	if (changed)
		ck_assert_int_ne(pa_open(sec, v, n, &pt, NULL, NULL), PA_OK);
	ck_assert_int_eq(pa_open(sec, "not base64!!", 12, &pt, NULL, NULL),
			 PA_SHORT);
	ck_assert_int_eq(pa_open(sec, "", 0, &pt, NULL, NULL), PA_SHORT);
	ck_assert_ptr_null(pt);
	free(v);
	free(b64);
	free(blob);
	pa_secret_destroy(sec);
}
END_TEST

/* ---- digests ------------------------------------------------------------ */

static void check_digest(char **f, int n, void *arg)
{
	/* alg key_hex data_hex expected */
	ck_assert_int_eq(n, 4);
	uint8_t key[256], data[512];
	size_t kn = unhex(f[1], key, sizeof key);
	size_t dn = unhex(f[2], data, sizeof data);
	char out[PA_SHA256_HEX_LEN + 1];
	pa_part_t part = {(const char *)data, dn};
	if (strcmp(f[0], "md5") == 0)
		ck_assert_int_eq(pa_md5_hex(&part, 1, out), PA_OK);
	else if (strcmp(f[0], "sha256") == 0)
		ck_assert_int_eq(pa_sha256_hex(&part, 1, out), PA_OK);
	else if (strcmp(f[0], "hmac-sha256") == 0)
		ck_assert_int_eq(pa_hmac_sha256_hex(key, kn, &part, 1, out),
				 PA_OK);
	else
		ck_abort_msg("unknown alg %s", f[0]);
	ck_assert_msg(strcmp(out, f[3]) == 0, "%s(%s) = %s, want %s", f[0],
		      f[2], out, f[3]);
	(*(int *)arg)++;
}

START_TEST(test_crypto_digests_known_answers)
{
	int n = 0;
	each_line("crypto/digests.txt", check_digest, &n);
	ck_assert_int_ge(n, 8);
}
END_TEST

START_TEST(test_crypto_digest_parts_concatenate)
{
	char a[PA_SHA256_HEX_LEN + 1], b[PA_SHA256_HEX_LEN + 1];
	const pa_part_t split[] = {pa_part("ORD1"), pa_part(""),
				   pa_part("100"), pa_part(NULL),
				   pa_part("Approved")};
	const pa_part_t whole[] = {pa_part("ORD1100Approved")};
	ck_assert_int_eq(pa_md5_hex(split, 5, a), PA_OK);
	ck_assert_int_eq(pa_md5_hex(whole, 1, b), PA_OK);
	ck_assert_str_eq(a, b);
	ck_assert_uint_eq(strlen(a), PA_MD5_HEX_LEN);
	ck_assert_int_eq(pa_sha256_hex(split, 5, a), PA_OK);
	ck_assert_int_eq(pa_sha256_hex(whole, 1, b), PA_OK);
	ck_assert_str_eq(a, b);
	ck_assert_uint_eq(strlen(a), PA_SHA256_HEX_LEN);
	/* failure leaves "" so that no stale hash can be compared */
	strcpy(a, "stale");
	ck_assert_int_eq(pa_md5_hex(NULL, 1, a), PA_INVAL);
	ck_assert_str_eq(a, "");
}
END_TEST

/* ---- secret and comparison ---------------------------------------------- */

START_TEST(test_crypto_secret_keeps_bytes_and_refuses_empty)
{
	pa_secret_t *sec = NULL;
	ck_assert_int_eq(pa_secret_new("", 0, &sec), PA_INVAL);
	ck_assert_ptr_null(sec);
	ck_assert_int_eq(pa_secret_new(NULL, 3, &sec), PA_INVAL);
	ck_assert_int_eq(pa_secret_new("ab\0c\n", 5, &sec), PA_OK);
	size_t n = 0;
	const char *b = pa_secret_bytes(sec, &n);
	ck_assert_uint_eq(n, 5);
	ck_assert(memcmp(b, "ab\0c\n", 5) == 0);
	pa_secret_destroy(sec);
	pa_secret_destroy(NULL);
}
END_TEST

START_TEST(test_crypto_const_eq)
{
	ck_assert_int_eq(pa_const_eq("abc", 3, "abc", 3), 1);
	ck_assert_int_eq(pa_const_eq("abc", 3, "abd", 3), 0);
	ck_assert_int_eq(pa_const_eq("abc", 3, "abcd", 4), 0);
	ck_assert_int_eq(pa_const_eq("", 0, "", 0), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("seal_open_spec_3_1");
	tcase_add_test(tc, test_crypto_seal_matches_reference_vectors);
	tcase_add_test(tc, test_crypto_open_reference_vectors);
	tcase_add_test(tc, test_crypto_seal_random_iv_differs_and_roundtrips);
	tcase_add_test(tc, test_crypto_reference_php_and_node_open_our_blobs);
	tcase_set_timeout(tc, pwt_ms(60000) / 1000.0);
	suite_add_tcase(s, tc);

	tc = tcase_create("tamper");
	tcase_add_test(tc, test_crypto_open_rejects_every_flipped_byte);
	tcase_add_test(tc, test_crypto_open_rejects_every_truncation_and_extension);
	tcase_add_test(tc, test_crypto_open_rejects_wrong_secret);
	tcase_add_test(tc, test_crypto_open_detects_bad_padding_reference_vectors);
	tcase_add_test(tc, test_crypto_open_detects_bad_padding_built_here);
	tcase_set_timeout(tc, pwt_ms(60000) / 1000.0);
	suite_add_tcase(s, tc);

	tc = tcase_create("base64");
	tcase_add_test(tc, test_crypto_base64_matches_openssl_for_all_lengths);
	tcase_add_test(tc, test_crypto_base64_is_strict);
	tcase_add_test(tc, test_crypto_base64_php_decoder_matches_php);
	tcase_add_test(tc, test_crypto_open_reads_post_hash_as_php_does);
	suite_add_tcase(s, tc);

	tc = tcase_create("digests");
	tcase_add_test(tc, test_crypto_digests_known_answers);
	tcase_add_test(tc, test_crypto_digest_parts_concatenate);
	tcase_add_test(tc, test_crypto_secret_keeps_bytes_and_refuses_empty);
	tcase_add_test(tc, test_crypto_const_eq);
	suite_add_tcase(s, tc);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
