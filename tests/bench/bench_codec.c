/* bench_codec.c -- the codec's per-record cost on the hot path: encoding a
 * PaymentStatusEvent and decoding a PayinCommand, in JSON and in Avro
 * single-object framing. Prints nanoseconds and heap calls per record
 * (the heap calls with bench_pipeline's counter preloaded:
 * LD_PRELOAD=build/bin/libpwb_alloccount.so). Numbers are printed, never
 * judged; under callgrind the instruction counts per record are the
 * load-independent figure (docs/performance.md).
 * Usage: bench_codec [records=200000] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serde/codec.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the worker publishes for a payin's first transition (event.c's
 * layout; the values of the benchmark's orders). */
static const char k_event[] =
	"{\"event_id\":\"6c1f0e4b7f0f8f7f2a0c2b9e4d1a3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f\","
	"\"schema_version\":1,\"event_type\":\"payment_status\",\"direction\":\"PAYIN\","
	"\"product\":\"PAYIN_UPI_P2C_SEAMLESS\",\"order_id\":\"BC000012345\","
	"\"merchant\":\"bench\",\"command_id\":\"cmd-BC000012345\",\"sequence\":1,"
	"\"status\":\"PENDING\",\"previous_status\":null,\"raw_status\":\"\","
	"\"terminal\":false,\"amount_minor\":10000,\"currency\":\"INR\","
	"\"received_amount_minor\":null,\"ref_code\":\"SBXREF0000012345\","
	"\"payment_link\":null,\"qr_code\":\"upi://pay?pa=sbx@upi&pn=Sandbox&am=100.00&tr=SBXREF0000012345\","
	"\"wallet_id\":null,\"redirect_url\":null,\"intents\":null,\"bank_ref\":null,"
	"\"reason\":null,\"refund\":null,\"occurred_at\":1796688031261,"
	"\"created_at\":1796688031000}";

static const char k_command[] =
	"{\"type\":\"payin\",\"merchant\":\"bench\",\"order_id\":\"BC000012345\","
	"\"command_id\":\"cmd-BC000012345\",\"product\":\"PAYIN_UPI_P2C_SEAMLESS\","
	"\"country\":\"IN\",\"amount_minor\":10000,\"currency\":\"INR\","
	"\"customer\":{\"name\":\"Bench Customer\",\"email\":\"bench@example.com\","
	"\"phone\":\"9000000000\"},\"upi_id\":\"bench@upi\",\"created_at\":1796688031000}";

static void run(pw_codec_t *codec, const char *label, long n)
{
	char eb[PA_ERRBUF_SIZE] = "";
	json_error_t je;
	json_t *ev = json_loads(k_event, 0, &je);
	if (!ev) {
		fprintf(stderr, "bench_codec: event: %s\n", je.text);
		exit(2);
	}
	/* fields the schema version on this tree does not have are
	 * dropped, so that the record is valid whatever the contract
	 * holds today */
	json_t *probe = NULL;
	uint8_t *buf;
	size_t len;
	if (pw_codec_decode(codec, "PaymentStatusEvent",
			    (const uint8_t *)k_event, sizeof k_event - 1,
			    &probe, NULL, eb) != PA_OK) {
		fprintf(stderr, "bench_codec: event does not decode: %s\n", eb);
		exit(2);
	}
	json_decref(ev);
	ev = probe;
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		if (pw_codec_encode(codec, "payatom.evt.payment",
				    "PaymentStatusEvent", ev, &buf, &len,
				    eb) != PA_OK) {
			fprintf(stderr, "bench_codec: encode: %s\n", eb);
			exit(2);
		}
		free(buf);
	}
	double enc = (now_s() - t0) / (double)n;
	/* the command as a producer wrote it, in this codec's framing */
	json_t *cmd = json_loads(k_command, 0, &je);
	uint8_t *cbuf;
	size_t clen;
	if (!cmd || pw_codec_encode(codec, "payatom.cmd.payin", "PayinCommand",
				    cmd, &cbuf, &clen, eb) != PA_OK) {
		fprintf(stderr, "bench_codec: command: %s\n", eb);
		exit(2);
	}
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		json_t *rec;
		if (pw_codec_decode(codec, "PayinCommand", cbuf, clen, &rec,
				    NULL, eb) != PA_OK) {
			fprintf(stderr, "bench_codec: decode: %s\n", eb);
			exit(2);
		}
		json_decref(rec);
	}
	double dec = (now_s() - t0) / (double)n;
	printf("bench_codec: %-6s encode PaymentStatusEvent %7.0f ns (%zu "
	       "bytes), decode PayinCommand %7.0f ns (%zu bytes)\n",
	       label, enc * 1e9, len, dec * 1e9, clen);
	free(cbuf);
	json_decref(cmd);
	json_decref(ev);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 200000;
	for (int ser = 0; ser < 2; ser++) {
		pw_codec_conf_t conf = {.serialization = ser ? PW_SER_AVRO
							     : PW_SER_JSON};
		pw_codec_t *codec = NULL;
		char eb[PA_ERRBUF_SIZE] = "";
		if (pw_codec_new(&conf, &codec, eb) != PA_OK) {
			fprintf(stderr, "bench_codec: %s\n", eb);
			return 2;
		}
		run(codec, ser ? "avro" : "json", n);
		pw_codec_destroy(codec);
	}
	return 0;
}
