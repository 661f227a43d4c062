/* fuzz_config.c -- libFuzzer target: the configuration parser
 * (core/config.c with the worker's config map) on a key=value file, as
 * `payatom-worker --check-config -c FILE` reads it: load, finalize (binds
 * every value into the structs, merchant profiles, kafka.* passthrough)
 * and the --check-config dump (secrets and personal data redacted).
 * Owns: the oracle that the dump never prints a merchant secret's value.
 * Not here: the environment and -o paths (same setter, check_config). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/config_worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char canary[] = "canary-secret-7f3a9c";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pw_config_t *cfg;
	char eb[PA_ERRBUF_SIZE];
	if (pw_config_new(pw_config_worker_table(), &cfg, eb))
		abort();
	/* a merchant whose secret must never be printed */
	if (pw_config_set(cfg, "merchant.fz.secret", canary, PW_CFG_SRC_CLI,
			  "-o", eb))
		abort();
	if (pw_config_load_buffer(cfg, (const char *)data, size, "fuzz.conf",
				  eb) == PA_OK &&
	    pw_config_finalize(cfg, eb) == PA_OK) {
		char *dump = NULL;
		size_t dlen = 0;
		FILE *fp = open_memstream(&dump, &dlen);
		if (!fp)
			abort();
		pw_config_dump(cfg, fp);
		fclose(fp);
		const char *v = pw_config_value(cfg, "merchant.fz.secret");
		if (v && !strcmp(v, canary) && strstr(dump, canary)) {
			fprintf(stderr, "secret printed by the dump\n");
			abort();
		}
		free(dump);
	}
	/* (unless the input itself carries the text, e.g. as a key name) */
	if (strstr(eb, canary) && !memmem(data, size, canary, strlen(canary))) {
		fprintf(stderr, "secret in an error message: %s\n", eb);
		abort();
	}
	pw_config_destroy(cfg);
	return 0;
}
