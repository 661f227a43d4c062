/* verify_webhook.c -- libpayatom in a few lines: verify a PayAtom webhook.
 *
 * Reads one callback body (JSON) on stdin and the merchant's secret from a
 * file, verifies its post_hash (spec §5) and prints what a merchant's
 * endpoint acts on, then the acknowledgement body it answers with.
 *
 *   cc verify_webhook.c $(pkg-config --cflags --libs payatom) -o verify_webhook
 *   ./verify_webhook secret.txt < callback.json
 *
 * Exit status: 0 hash matched, 1 mismatch or unreadable body, 2 usage. */
#include <stdio.h>
#include <stdlib.h>

#include <payatom/payatom.h>

int main(int argc, char **argv)
{
	static uint8_t body[PA_WEBHOOK_MAX_BODY];
	char key[256], eb[PA_ERRBUF_SIZE] = "";
	if (argc != 2) {
		fprintf(stderr, "usage: verify_webhook SECRET_FILE < BODY\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	size_t klen = f ? fread(key, 1, sizeof key, f) : 0;
	if (f)
		fclose(f);
	while (klen && (key[klen - 1] == '\n' || key[klen - 1] == '\r'))
		klen--;
	size_t len = fread(body, 1, sizeof body, stdin);

	pa_secret_t *sec = NULL;
	pa_txn_update_t upd;
	pa_err_t err = pa_secret_new(key, klen, &sec);
	if (err == PA_OK)
		err = pa_webhook_parse(body, len, &upd, eb);
	if (err == PA_OK) {
		err = pa_txn_update_verify(sec, PA_AMOUNT_PREF_RECEIVED, &upd,
					   eb);
		int64_t minor = 0;
		if (err == PA_OK && pa_txn_update_amount(&upd, &minor))
			printf("order %s: %s (%s), amount %lld.%02lld\n",
			       upd.order_id, pa_status_name(upd.status),
			       upd.status_raw, (long long)(minor / 100),
			       (long long)(minor % 100));
		pa_txn_update_clear(&upd);
	}
	if (err != PA_OK)
		printf("not verified: %s: %s\n", pa_err_name(err),
		       eb[0] ? eb : pa_strerror(err));
	printf("%s\n", pa_webhook_ack_body(err == PA_OK, err == PA_OK));
	pa_secret_destroy(sec);
	return err == PA_OK ? 0 : 1;
}
