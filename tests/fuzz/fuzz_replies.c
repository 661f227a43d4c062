/* fuzz_replies.c -- libFuzzer target: every reply parser of libpayatom on
 * the same bytes (payin, ack, status, payout, complaint, reconciliation,
 * wallet balance, wallet summary, wallet data), each with both merchant
 * shapes (V1 India / V2 Bangladesh, whole or minor report amounts) where
 * the parser takes a merchant.
 * Owns: nothing but the calls; the parsers must not crash, leak or read
 *       past len on any body a gateway (or something posing as one) sends.
 * Not here: callbacks (fuzz_webhook.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/api.h"
#include "payatom/webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pa_secret_t *sec;
static pa_merchant_t mer[2];

static void setup(void)
{
	static const char key[] = "fuzz-merchant-secret-123";
	if (sec)
		return;
	if (pa_secret_new(key, sizeof key - 1, &sec) != PA_OK)
		abort();
	for (int i = 0; i < 2; i++) {
		mer[i].pid = "0951272386617";
		mer[i].secret = sec;
		mer[i].base_url = "https://gw.example.test";
		mer[i].api_version = i ? PA_API_V2 : PA_API_V1;
		mer[i].api_key = "fuzz-api-key";
		mer[i].country = i ? PA_COUNTRY_BD : PA_COUNTRY_IN;
		mer[i].amount_pref = (pa_amount_pref_t)i;
		mer[i].report_amounts_minor = i;
	}
}

static void with_merchant(const pa_merchant_t *m, const char *b, size_t n)
{
	char eb[PA_ERRBUF_SIZE];
	pa_payin_result_t pin;
	memset(&pin, 0, sizeof pin);
	if (pa_parse_payin(m, b, n, &pin, eb) == PA_OK)
		pa_payin_result_clear(&pin);
	pa_txn_update_t upd;
	memset(&upd, 0, sizeof upd);
	if (pa_parse_status(m, b, n, &upd, eb) == PA_OK)
		pa_txn_update_clear(&upd);
	pa_recon_result_t rec;
	memset(&rec, 0, sizeof rec);
	if (pa_parse_recon(m, b, n, &rec, eb) == PA_OK)
		pa_recon_result_clear(&rec);
	pa_wallet_balance_result_t wb;
	memset(&wb, 0, sizeof wb);
	if (pa_parse_wallet_balance(m, b, n, &wb, eb) == PA_OK)
		pa_wallet_balance_result_clear(&wb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	const char *b = (const char *)data;
	char eb[PA_ERRBUF_SIZE];
	with_merchant(&mer[0], b, size);
	with_merchant(&mer[1], b, size);
	pa_payin_result_t pin;
	memset(&pin, 0, sizeof pin);
	if (pa_parse_payin(NULL, b, size, &pin, eb) == PA_OK)
		pa_payin_result_clear(&pin);
	pa_ack_result_t ack;
	memset(&ack, 0, sizeof ack);
	if (pa_parse_ack(b, size, &ack, eb) == PA_OK)
		pa_ack_result_clear(&ack);
	pa_payout_result_t pout;
	memset(&pout, 0, sizeof pout);
	if (pa_parse_payout(b, size, &pout, eb) == PA_OK)
		pa_payout_result_clear(&pout);
	pa_complaint_result_t cpl;
	memset(&cpl, 0, sizeof cpl);
	if (pa_parse_complaint(b, size, &cpl, eb) == PA_OK)
		pa_complaint_result_clear(&cpl);
	pa_wallet_summary_result_t ws;
	memset(&ws, 0, sizeof ws);
	if (pa_parse_wallet_summary(b, size, &ws, eb) == PA_OK)
		pa_wallet_summary_result_clear(&ws);
	pa_wallet_data_result_t wd;
	memset(&wd, 0, sizeof wd);
	if (pa_parse_wallet_data(b, size, &wd, eb) == PA_OK)
		pa_wallet_data_result_clear(&wd);
	return 0;
}
