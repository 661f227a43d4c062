/* fuzz_codec.c -- libFuzzer targets: the command decoder as the worker runs
 * it on a consumed record (pw_codec_decode, then pw_cmd_check for each input
 * topic), and the dead letter the worker would write for it.
 * Built twice:
 *   fuzz_codec_json  (PW_FUZZ_AVRO 0) the input is a JSON record; decoded
 *                    without a schema (the discriminator picks it) and as
 *                    the schema the input's length picks.
 *   fuzz_codec_avro  (PW_FUZZ_AVRO 1) the first byte picks the framing: 0 =
 *                    the rest as consumed (any framing, detection included);
 *                    1..n = an Avro body of embedded schema k-1 under its
 *                    single-object header; n+1..2n = the same under its
 *                    Confluent header (ids from a fake registry on loopback,
 *                    cached before the first input). So the mutator works
 *                    on bodies and need not keep 10 header bytes intact.
 * Owns: two oracles: a decoded record re-encodes as its schema, and a dead
 *       letter built for any input (decoded or not) encodes strictly.
 * Not here: the HTTP side (fuzz_http.c), reply parsers (fuzz_replies.c).
 *
 * PW_FUZZ_WRITE_SEEDS=<dir>: at start-up, write one seed per sample record
 * in tests/data/avro/samples (both framings) to dir (tests/fuzz/run.sh). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orders/event.h"
#include "serde/avro_schema.h"
#include "serde/codec.h"
#include "serde/schemas.h"
#if PW_FUZZ_AVRO
#include "fake_registry.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_SCHEMAS 32

static pw_codec_t *codec;
static size_t n_sch;
static char sch_name[MAX_SCHEMAS][128];
#if PW_FUZZ_AVRO
static pwt_registry_t *fake;
static pw_registry_t *reg;
static uint8_t so_hdr[MAX_SCHEMAS][10]; /* C3 01 + fingerprint (LE) */
static uint8_t cf_hdr[MAX_SCHEMAS][5];	/* 00 + id (BE) */
#endif

static void die(const char *what, const char *eb)
{
	fprintf(stderr, "fuzz_codec: %s: %s\n", what, eb ? eb : "");
	abort();
}

#if PW_FUZZ_AVRO
static void headers(void)
{
	char eb[PA_ERRBUF_SIZE];
	fake = pwt_registry_start("", NULL, NULL);
	if (!fake)
		die("fake registry", NULL);
	pw_registry_conf_t rc = {.url = pwt_registry_url(fake),
				 .auto_register = 1};
	if (pw_registry_new(&rc, &reg, eb))
		die("registry", eb);
	for (size_t i = 0; i < n_sch; i++) {
		const char *file, *json;
		size_t len;
		pw_avsc_t *s;
		if (pw_schemas_get(i, &file, &json, &len) ||
		    pw_avsc_parse(json, len, &s, eb))
			die("schema", eb);
		uint64_t fp = pw_avsc_fingerprint(s);
		so_hdr[i][0] = 0xC3;
		so_hdr[i][1] = 0x01;
		for (int b = 0; b < 8; b++)
			so_hdr[i][2 + b] = (uint8_t)(fp >> (8 * b));
		char subject[160];
		snprintf(subject, sizeof subject, "fuzz-%s-value", sch_name[i]);
		int32_t id;
		if (pw_registry_id_for(reg, subject, pw_avsc_text(s), fp, &id,
				       eb))
			die("register", eb);
		cf_hdr[i][0] = 0;
		for (int b = 0; b < 4; b++)
			cf_hdr[i][1 + b] = (uint8_t)((uint32_t)id >> (24 - 8 * b));
		pw_avsc_destroy(s);
	}
}
#endif

/* One seed file: prefix byte (Avro target) + bytes. */
static void put_seed(const char *dir, const char *name, int prefix,
		     const uint8_t *p, size_t n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	if (!fp)
		die("cannot write seed", path);
	if (prefix >= 0)
		fputc(prefix, fp);
	fwrite(p, 1, n, fp);
	fclose(fp);
}

static void write_seeds(const char *dir)
{
	const char *data = getenv("PAYATOM_TEST_DATA");
	char sdir[4096];
	snprintf(sdir, sizeof sdir, "%s/avro/samples",
		 data ? data : PW_FUZZ_TEST_DATA);
	DIR *d = opendir(sdir);
	if (!d)
		die("cannot open", sdir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, ".json"))
			continue;
		char path[8192], eb[PA_ERRBUF_SIZE];
		snprintf(path, sizeof path, "%s/%s", sdir, de->d_name);
		json_error_t je;
		json_t *rec = json_load_file(path, 0, &je);
		if (!rec)
			die("sample", path);
		/* the sample's schema: its file name without .min/.full */
		char file[256];
		snprintf(file, sizeof file, "%s", de->d_name);
		*strchr(file, '.') = 0;
		strcat(file, ".avsc");
		size_t k = n_sch;
		for (size_t i = 0; i < n_sch; i++) {
			const char *f, *j;
			size_t l;
			if (!pw_schemas_get(i, &f, &j, &l) && !strcmp(f, file))
				k = i;
		}
		if (k == n_sch)
			die("no schema for", path);
		uint8_t *out;
		size_t len;
		if (pw_codec_encode(codec, "fuzz", sch_name[k], rec, &out, &len,
				    eb))
			die("encode sample", eb);
		char name[300];
#if PW_FUZZ_AVRO
		snprintf(name, sizeof name, "so_%s", de->d_name);
		put_seed(dir, name, 0, out, len);
		snprintf(name, sizeof name, "body_%s", de->d_name);
		put_seed(dir, name, (int)(1 + k), out + 10, len - 10);
		snprintf(name, sizeof name, "cf_%s", de->d_name);
		put_seed(dir, name, (int)(1 + n_sch + k), out + 10, len - 10);
#else
		snprintf(name, sizeof name, "%s", de->d_name);
		put_seed(dir, name, -1, out, len);
#endif
		free(out);
		json_decref(rec);
	}
	closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char eb[PA_ERRBUF_SIZE];
	n_sch = pw_schemas_count();
	if (n_sch > MAX_SCHEMAS)
		die("too many schemas", NULL);
	for (size_t i = 0; i < n_sch; i++)
		if (pw_schemas_name(i, sch_name[i], sizeof sch_name[i]))
			die("schema name", NULL);
	pw_codec_conf_t cc = {
		.serialization = PW_FUZZ_AVRO ? PW_SER_AVRO : PW_SER_JSON};
#if PW_FUZZ_AVRO
	headers();
	cc.registry = reg;
#endif
	if (pw_codec_new(&cc, &codec, eb))
		die("codec", eb);
	const char *seeds = getenv("PW_FUZZ_WRITE_SEEDS");
	if (seeds) {
#if PW_FUZZ_AVRO
		/* seeds in single-object framing: a codec without registry */
		pw_codec_t *keep = codec;
		pw_codec_conf_t so = {.serialization = PW_SER_AVRO};
		if (pw_codec_new(&so, &codec, eb))
			die("codec", eb);
		write_seeds(seeds);
		pw_codec_destroy(codec);
		codec = keep;
#else
		write_seeds(seeds);
#endif
	}
	return 0;
}

/* The worker's path for one consumed record. */
static void consume(const uint8_t *buf, size_t len, const char *expect)
{
	char eb[PA_ERRBUF_SIZE] = "";
	json_t *rec = NULL;
	const char *name = NULL;
	pa_err_t err = pw_codec_decode(codec, expect, buf, len, &rec, &name,
				       eb);
	if (err == PA_OK) {
		for (int t = 0; t < PW_IN_WEBHOOK; t++) {
			pw_cmd_info_t ci;
			char msg[PA_ERRBUF_SIZE];
			(void)pw_cmd_check(rec, t, &ci, msg);
		}
		/* what decoded re-encodes as its schema */
		uint8_t *out;
		size_t olen;
		char eb2[PA_ERRBUF_SIZE];
		/* topic = schema name: one registry subject each */
		if (pw_codec_encode(codec, name, name, rec, &out, &olen,
				    eb2) != PA_OK) {
			fprintf(stderr, "decoded %s does not re-encode: %s\n",
				name, eb2);
			abort();
		}
		free(out);
	}
	/* the dead letter for it always encodes */
	const char *reason = err ? pw_codec_dlq_reason(err) : "VALIDATION";
	json_t *dl = pw_dead_letter_build("payatom.cmd.payin", 3, 42, "k", 1,
					  buf, len,
					  reason ? reason : "UNDECODABLE",
					  err ? pa_err_name(err) : NULL, eb, rec);
	uint8_t *out;
	size_t olen;
	char eb3[PA_ERRBUF_SIZE] = "not built";
	if (!dl || pw_codec_encode(codec, "payatom.dlq", PW_SCHEMA_DEAD_LETTER,
				   dl, &out, &olen, eb3) != PA_OK) {
		fprintf(stderr, "dead letter does not encode (%s); the decode "
				"error was: ", eb3);
		for (const char *c = eb; *c; c++)
			fprintf(stderr, *c >= ' ' && *c < 0x7f ? "%c" : "\\x%02x",
				(unsigned char)*c);
		fputc('\n', stderr);
		abort();
	}
	free(out);
	json_decref(dl);
	json_decref(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
#if PW_FUZZ_AVRO
	if (size == 0)
		return 0;
	size_t mode = data[0] % (2 * n_sch + 1);
	if (mode == 0) {
		consume(data + 1, size - 1, NULL);
		return 0;
	}
	size_t k = (mode - 1) % n_sch;
	const uint8_t *hdr = mode <= n_sch ? so_hdr[k] : cf_hdr[k];
	size_t hl = mode <= n_sch ? 10 : 5;
	uint8_t *buf = malloc(hl + size - 1);
	if (!buf)
		return 0;
	memcpy(buf, hdr, hl);
	memcpy(buf + hl, data + 1, size - 1);
	consume(buf, hl + size - 1, NULL);
	free(buf);
#else
	consume(data, size, NULL);
	consume(data, size, sch_name[size % n_sch]);
#endif
	return 0;
}
