/* fuzz_crypto.c -- libFuzzer target: post_hash open and base64 (spec §3.1).
 * Owns: three modes chosen by the first byte: pa_open() on the rest as a
 *       post_hash; seal-then-open round trip of the rest as plaintext (the
 *       decryption path, which a random blob never reaches past the MAC);
 *       strict base64 decode, and encode-decode round trip.
 * Not here: webhook parsing (fuzz_webhook.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pa_secret_t *sec;

static void setup(void)
{
	static const char key[] = "fuzz-merchant-secret-123";
	if (!sec && pa_secret_new(key, sizeof key - 1, &sec) != PA_OK)
		abort();
}

static void open_blob(const uint8_t *p, size_t n)
{
	char *pt = NULL;
	size_t len = 0;
	char eb[PA_ERRBUF_SIZE];
	if (pa_open(sec, (const char *)p, n, &pt, &len, eb) == PA_OK)
		free(pt);
}

static void round_trip(const uint8_t *p, size_t n)
{
	uint8_t iv[16] = {0};
	memcpy(iv, p, n < 16 ? n : 16);
	char *b64 = NULL, *pt = NULL;
	size_t len = 0;
	if (pa_seal(sec, p, n, iv, &b64, NULL) != PA_OK)
		abort();
	if (pa_open(sec, b64, strlen(b64), &pt, &len, NULL) != PA_OK ||
	    len != n || memcmp(pt, p, n) != 0)
		abort(); /* what we seal must open to the same bytes */
	/* one flipped bit anywhere must be refused */
	size_t at = n % strlen(b64);
	b64[at] = b64[at] == 'A' ? 'B' : 'A';
	char *pt2 = NULL;
	if (pa_open(sec, b64, strlen(b64), &pt2, &len, NULL) == PA_OK) {
		/* the flip may only hit base64 padding bits, which strict
		 * decoding refuses, so any success is a forgery */
		abort();
	}
	free(b64);
	free(pt);
}

static void base64(const uint8_t *p, size_t n)
{
	uint8_t *out = NULL;
	size_t len = 0;
	if (pa_base64_decode((const char *)p, n, &out, &len, NULL) == PA_OK) {
		char *back = NULL;
		size_t blen = 0;
		if (pa_base64_encode(out, len, &back, &blen) != PA_OK ||
		    blen != n || memcmp(back, p, n) != 0)
			abort(); /* strict base64 has one text per byte string */
		free(back);
		free(out);
	}
	char *enc = NULL;
	size_t elen = 0;
	if (pa_base64_encode(p, n, &enc, &elen) != PA_OK)
		abort();
	if (pa_base64_decode(enc, elen, &out, &len, NULL) != PA_OK ||
	    len != n || memcmp(out, p, n) != 0)
		abort();
	free(out);
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	if (size == 0)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	switch (data[0] % 3) {
	case 0: open_blob(p, n); break;
	case 1: round_trip(p, n); break;
	default: base64(p, n); break;
	}
	return 0;
}
