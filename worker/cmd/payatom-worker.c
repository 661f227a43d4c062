/* payatom-worker.c -- the main of payatom-worker.
 * Owns: argument parsing (each error names the option and the nearest
 *       valid one: worker_cli.h), loading the configuration, --help,
 *       --check-config, the `demo` subcommand's entry.
 * Not here: the running service (worker_app.c), the demo (demo.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "core/config.h"
#include "core/config_kafka.h"
#include "core/config_worker.h"
#include "core/metrics_process.h"
#include "serde/codec_setup.h"
#include "worker_app.h"
#include "worker_cli.h"

#define PROG "payatom-worker"

int pw_demo_main(int argc, char **argv);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: payatom-worker [--config FILE] [-o key=value]... [--check-config]\n"
		"       payatom-worker demo [--help]\n"
		"       payatom-worker --print-config markdown|schema\n"
		"\n"
		"Consumes payin, payout and complaint commands from Kafka, calls the\n"
		"PayAtom gateway, receives its webhooks, polls status until each order\n"
		"settles, and publishes normalized events. With no `brokers` configured\n"
		"it starts librdkafka's mock cluster in-process.\n"
		"\n"
		"Options:\n"
		"  --config FILE     key=value configuration file (librdkafka style)\n"
		"  -o key=value      set one key (overrides the file and the environment)\n"
		"  --check-config    validate the configuration, print it (secrets masked)\n"
		"                    with the source of every value, and exit\n"
		"  --print-config F  print the configuration reference as markdown or as\n"
		"                    a JSON Schema (the Helm chart's values.schema.json)\n"
		"  --version         this build's version and librdkafka's\n"
		"  --help            this text and the configuration reference\n"
		"\n"
		"Every key can be set from the environment: PAYATOM_ + the key in upper\n"
		"case with '.' as '_' (log.level -> PAYATOM_LOG_LEVEL). Secret keys\n"
		"accept @/path/to/file. kafka.* keys pass through to librdkafka.\n"
		"\n");
}

/* --check-config: the loaders have recorded their errors; finalize
 * (required keys), the merchant profiles and librdkafka (kafka.*, brokers)
 * add theirs. Prints the effective configuration, then every error; exit 1
 * if there is one. Destroys cfg. */
static int check_config(pw_config_t *cfg, pa_err_t err, char *eb)
{
	/* err: PA_NOMEM or the like, not collected. The profiles are read
	 * only from a bound (finalized) configuration. */
	if (err == PA_OK && pw_config_finalize(cfg, eb) == PA_OK) {
		pw_merchants_t *ms = NULL;
		if (pw_merchants_from_config(cfg, &ms, eb) != PA_OK)
			err = pw_config_add_error(cfg, eb);
		pw_merchants_destroy(ms);
		/* serde keys that only make sense together */
		pw_codec_setup_t cs;
		if (err == PA_OK &&
		    pw_codec_setup(pw_config_struct(cfg), &cs, eb) == PA_OK)
			pw_codec_setup_free(&cs);
		else if (err == PA_OK)
			err = pw_config_add_error(cfg, eb);
	}
	if (err == PA_OK)
		err = pw_config_check_kafka(cfg, "brokers", eb);
	pw_config_dump(cfg, stdout);
	size_t n = pw_config_error_count(cfg);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "payatom-worker: configuration: %s\n",
			pw_config_error(cfg, i));
	if (err != PA_OK)
		fprintf(stderr, "payatom-worker: configuration: %s\n", eb);
	else if (n)
		fprintf(stderr, "payatom-worker: %zu configuration error%s\n", n,
			n == 1 ? "" : "s");
	else
		printf("configuration OK\n");
	pw_config_destroy(cfg);
	return err == PA_OK && n == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "demo") == 0)
		return pw_demo_main(argc - 1, argv + 1);
	const char *config_path = NULL;
	int check = 0;
	char eb[PA_ERRBUF_SIZE] = "";
	pw_config_t *cfg = NULL;
	if (pw_config_new(pw_config_worker_table(), &cfg, eb) != PA_OK) {
		fprintf(stderr, "payatom-worker: %s\n", eb);
		return 1;
	}
	/* two passes: the file first, then -o on top of it and the env */
	static const char *const opts[] = {"config", "check-config",
					   "print-config", "version", "help",
					   NULL};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		/* options that take a value: "--config F" or "--config=F" */
		const char *val = NULL;
		int takes = !strcmp(a, "--config") || !strcmp(a, "-o") ||
			    !strcmp(a, "--print-config");
		if (takes) {
			if (i + 1 >= argc) {
				pw_config_destroy(cfg);
				return pw_cli_usage_error(
					PROG, "%s needs a value%s", a,
					!strcmp(a, "-o")
						? " (-o key=value)"
					: !strcmp(a, "--config")
						? " (--config FILE)"
						: " (markdown or schema)");
			}
			val = argv[i + 1];
		} else if (!strncmp(a, "--config=", 9) ||
			   !strncmp(a, "--print-config=", 15)) {
			val = strchr(a, '=') + 1;
		}
		if (!strcmp(a, "--version")) {
			printf("payatom-worker %s (librdkafka %s)\n",
			       pw_version(), rd_kafka_version_str());
			pw_config_destroy(cfg);
			return 0;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			pw_config_print_help(pw_config_worker_table(), stdout);
			pw_config_destroy(cfg);
			return 0;
		} else if (!strncmp(a, "--print-config", 14) && val) {
			int rc = 0;
			if (!strcmp(val, "markdown"))
				pw_config_print_markdown(pw_config_worker_table(),
							 stdout);
			else if (!strcmp(val, "schema"))
				pw_config_print_json_schema(
					pw_config_worker_table(), stdout);
			else
				rc = pw_cli_usage_error(
					PROG,
					"--print-config %s: which format? "
					"markdown or schema",
					val);
			pw_config_destroy(cfg);
			return rc;
		} else if (!strncmp(a, "--config", 8) && val) {
			config_path = val;
			i += takes;
		} else if (!strcmp(a, "--check-config")) {
			check = 1;
		} else if (!strcmp(a, "-o")) {
			if (!strchr(val, '=')) {
				pw_config_destroy(cfg);
				return pw_cli_usage_error(
					PROG,
					"-o %s: expected key=value (e.g. -o "
					"log.level=debug)",
					val);
			}
			i++;
		} else if (!strcmp(a, "demo")) {
			pw_config_destroy(cfg);
			return pw_cli_usage_error(PROG, "demo is a command: it "
							"comes first "
							"(payatom-worker demo "
							"...)");
		} else {
			char hint[256];
			pw_cli_hint(a, i + 1 < argc ? argv[i + 1] : NULL, opts,
				    hint, sizeof hint);
			pw_config_destroy(cfg);
			if (a[0] != '-')
				return pw_cli_usage_error(
					PROG, "unexpected argument '%s'", a);
			return pw_cli_usage_error(PROG, "unknown option '%.*s'%s",
						  (int)strcspn(a, "="), a, hint);
		}
	}
	pa_err_t err = PA_OK;
	if (check) /* every error at once, each naming its key and source */
		pw_config_collect_errors(cfg, 1);
	if (config_path)
		err = pw_config_load_file(cfg, config_path, eb);
	if (err == PA_OK)
		err = pw_config_load_env(cfg, NULL, eb);
	for (int i = 1; err == PA_OK && i < argc; i++)
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			err = pw_config_set_arg(cfg, argv[++i], eb);
			if (err != PA_OK && check)
				err = pw_config_add_error(cfg, eb);
		} else if (!strcmp(argv[i], "--config") ||
			   !strcmp(argv[i], "--print-config"))
			i++;
	if (check)
		return check_config(cfg, err, eb);
	if (err == PA_OK)
		err = pw_config_finalize(cfg, eb);
	if (err != PA_OK) {
		fprintf(stderr, "payatom-worker: configuration: %s\n", eb);
		pw_config_destroy(cfg);
		return 1;
	}
	pw_app_t app = {.config_path = config_path};
	err = pw_app_start(&app, cfg, NULL, eb);
	if (err != PA_OK) {
		fprintf(stderr, "payatom-worker: cannot start: %s\n",
			eb[0] ? eb : pa_strerror(err));
		pw_app_destroy(&app);
		pw_config_destroy(cfg);
		return 1;
	}
	pw_app_run(&app);
	int rc = app.exit_code;
	pw_app_destroy(&app);
	pw_config_destroy(cfg);
	return rc;
}
