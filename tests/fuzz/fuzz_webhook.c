/* fuzz_webhook.c -- libFuzzer target: a gateway callback body through
 * pa_webhook_parse() and pa_txn_update_verify(), as the webhook receiver
 * runs them on bytes from the network.
 * Owns: the oracle that a body re-sealed with the right post_hash verifies
 *       (a parser that accepts a body must verify its own hash).
 * Not here: the HTTP listener (fuzz_http.c), pa_open alone (fuzz_crypto.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/crypto.h"
#include "payatom/sign.h"
#include "payatom/webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pa_secret_t *sec;

static void setup(void)
{
	static const char key[] = "fuzz-merchant-secret-123";
	if (!sec && pa_secret_new(key, sizeof key - 1, &sec) != PA_OK)
		abort();
}

/* A body that parsed: seal md5(order_id . received_amount . status . secret)
 * as the gateway does (spec §3.2) and check the verifier accepts it. */
static void check_resealed(pa_txn_update_t *upd)
{
	if (!upd->received_amount.present || !upd->order_id ||
	    !upd->status_raw)
		return;
	char md5[PA_MD5_HEX_LEN + 1];
	pa_part_t oid = {upd->order_id, upd->order_id_len};
	pa_part_t st = {upd->status_raw, upd->status_len};
	pa_part_t amt = {upd->received_amount.text,
			 upd->received_amount.text_len};
	if (pa_sign_callback_md5(sec, oid, amt, st, md5) != PA_OK)
		abort();
	static const uint8_t iv[16] = {1, 2, 3, 4, 5, 6, 7, 8,
				       9, 10, 11, 12, 13, 14, 15, 16};
	char *hash = NULL;
	if (pa_seal(sec, (const uint8_t *)md5, PA_MD5_HEX_LEN, iv, &hash,
		    NULL) != PA_OK)
		abort();
	const char *was = upd->post_hash;
	size_t was_len = upd->post_hash_len;
	upd->post_hash = hash;
	upd->post_hash_len = strlen(hash);
	char eb[PA_ERRBUF_SIZE];
	if (pa_txn_update_verify(sec, PA_AMOUNT_PREF_RECEIVED, upd, eb) !=
	    PA_OK) {
		fprintf(stderr, "a correctly sealed body does not verify: %s\n",
			eb);
		abort();
	}
	upd->post_hash = was;
	upd->post_hash_len = was_len;
	free(hash);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	pa_txn_update_t upd;
	memset(&upd, 0, sizeof upd);
	char eb[PA_ERRBUF_SIZE];
	if (pa_webhook_parse(data, size, &upd, eb) != PA_OK)
		return 0;
	for (int pref = 0; pref < 2; pref++)
		(void)pa_txn_update_verify(sec, (pa_amount_pref_t)pref, &upd,
					   eb);
	int64_t minor;
	(void)pa_txn_update_amount(&upd, &minor);
	(void)pa_status_from_raw(upd.status_raw, upd.status_len);
	check_resealed(&upd);
	pa_txn_update_clear(&upd);
	return 0;
}
