/* worker_cli.h -- what payatom-worker and its demo answer to a command
 *                 line they cannot take.
 * Owns: the usage-error line, the nearest valid option for a typo, and the
 *       hint that a configuration key is set with -o KEY=VALUE.
 * Not here: the options themselves (payatom-worker.c, demo.c), the config
 *           keys and their "did you mean" (core/config.h). */
#ifndef PW_WORKER_CLI_H
#define PW_WORKER_CLI_H

#include <stddef.h>

/* Prints "PROG: MESSAGE (see PROG --help)" on stderr; returns 2 (the
 * usage-error exit status). */
int pw_cli_usage_error(const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* For an option arg ("--log-level", "-x", "--confg=x") that is none of
 * opts (long names without "--", NULL-terminated), writes the nearest
 * valid choice into buf: "; did you mean --config?" for a typo or the
 * beginning of an option, "; did you mean -o log.level=debug? (a
 * configuration key)" when it names (or nearly names) a worker
 * configuration key -- with arg's "=value", else value (the next
 * argument, may be NULL) -- else "". */
void pw_cli_hint(const char *arg, const char *value, const char *const *opts,
		 char *buf, size_t size);

#endif
