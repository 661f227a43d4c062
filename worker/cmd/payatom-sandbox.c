/* payatom-sandbox.c -- the sandbox as a program.
 * Owns: command-line parsing (every option of the sandbox's table plus
 *       --config, --print-port, --help) and its errors, each naming the
 *       option and the nearest valid one; RLIMIT_NOFILE, signals, the
 *       "listening ADDR:PORT" line.
 * Not here: everything the sandbox does (worker/sandbox/). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/loop.h"
#include "sandbox/sandbox.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: payatom-sandbox [OPTIONS]\n"
		"\n"
		"A stateful local PayAtom gateway: every endpoint of the API "
		"(V1 and V2),\n"
		"orders that resolve by themselves, webhooks re-sent until "
		"acknowledged,\n"
		"fault injection and a control API under /_sandbox/.\n"
		"\n"
		"Program options:\n"
		"  --config FILE\n"
		"      Read `key = value` lines (the option names below, "
		"without --);\n"
		"      a value @/path is read from that file. Command-line "
		"options\n"
		"      given after --config override it.\n"
		"  --check-config\n"
		"      Validate the options and exit (0 when valid).\n"
		"  --print-port\n"
		"      Print only the bound port on the first stdout line "
		"(instead of\n"
		"      `listening ADDR:PORT`), for scripts using --port 0.\n"
		"  --help\n"
		"      This text.\n"
		"\n"
		"Sandbox options (also valid as config-file keys):\n");
	sbx_cfg_print_help(f);
	sbx_print_reference(f);
	fprintf(f,
		"\nDefault merchant (when no --merchant is given):\n"
		"  pid=SBX0000001 secret=sandbox-secret-key "
		"api_key=sbx-api-key-0000-0001\n"
		"  token=sbx-token-0001 operator_key=sbx-operator-key-0001\n"
		"  email=operator@sandbox.test password=sandbox-password\n"
		"  callback=self (webhooks land in GET /_sandbox/sink)\n");
}

/* The program's own options, beside the sandbox's table. */
static const char *const prog_opts[] = {"config", "check-config",
					"print-port", "help", NULL};

/* "payatom-sandbox: MESSAGE (see payatom-sandbox --help)" on stderr. */
static void usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("payatom-sandbox: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see payatom-sandbox --help)\n", stderr);
}

/* "-p": the long options that start with that letter. */
static void short_hint(const char *letter, char *buf, size_t size)
{
	const char *name, *dflt, *help;
	size_t n = (size_t)snprintf(buf, size, "; options are long: did you "
					       "mean");
	int found = 0;
	for (size_t i = 0; n < size && sbx_cfg_option(i, &name, &dflt, &help);
	     i++)
		if (name[0] == letter[0] && found < 3)
			n += (size_t)snprintf(buf + n, size - n, "%s --%s",
					      found++ ? "," : "", name);
	for (size_t i = 0; n < size && prog_opts[i]; i++)
		if (prog_opts[i][0] == letter[0] && found < 3)
			n += (size_t)snprintf(buf + n, size - n, "%s --%s",
					      found++ ? "," : "", prog_opts[i]);
	if (!found)
		snprintf(buf, size, "; options are long (--port, --bind, "
				    "--config, ...)");
	else if (n < size)
		snprintf(buf + n, size - n, "?");
}

/* Enough descriptors for thousands of concurrent connections. */
static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void on_signal(pw_loop_t *loop, int fd, int events, void *ud)
{
	struct signalfd_siginfo si;
	(void)events;
	(void)ud;
	if (read(fd, &si, sizeof si) > 0)
		pw_loop_stop(loop);
}

int main(int argc, char **argv)
{
	char eb[PA_ERRBUF_SIZE];
	sbx_cfg_t *cfg = NULL;
	int print_port = 0, check = 0, rc = 1;
	if (sbx_cfg_new(&cfg)) {
		fprintf(stderr, "payatom-sandbox: out of memory\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			sbx_cfg_destroy(cfg);
			return 0;
		}
		if (!strcmp(a, "--print-port")) {
			print_port = 1;
			continue;
		}
		if (!strcmp(a, "--check-config")) {
			check = 1;
			continue;
		}
		if (!strncmp(a, "--print-port=", 13) ||
		    !strncmp(a, "--check-config=", 15)) {
			usage_error("%.*s takes no value", (int)strcspn(a, "="),
				    a);
			goto out;
		}
		if (a[0] != '-' || !a[1]) {
			usage_error("unexpected argument '%s': options start "
				    "with -- (e.g. --port 8089)",
				    a);
			goto out;
		}
		if (a[1] != '-') { /* -p 8089: no short options */
			char hint[200];
			char key[2] = {a[1], '\0'};
			short_hint(key, hint, sizeof hint);
			usage_error("unknown option '%s'%s", a, hint);
			goto out;
		}
		char key[64];
		const char *val;
		const char *eq = strchr(a + 2, '=');
		size_t kl = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (kl == 0 || kl >= sizeof key) {
			usage_error("unknown option '%.*s'",
				    (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
			goto out;
		}
		memcpy(key, a + 2, kl);
		key[kl] = '\0';
		if (strcmp(key, "config") && !sbx_cfg_known(key)) {
			char hint[200];
			sbx_cfg_suggest(key, prog_opts, "--", hint, sizeof hint);
			usage_error("unknown option '--%s'%s", key, hint);
			goto out;
		}
		if (eq)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else {
			usage_error("--%s needs a value", key);
			goto out;
		}
		pa_err_t e = !strcmp(key, "config")
				     ? sbx_cfg_load_file(cfg, val, eb)
				     : sbx_cfg_set(cfg, key, val, eb);
		if (e) {
			if (!strcmp(key, "config"))
				fprintf(stderr, "payatom-sandbox: --config: %s\n",
					eb);
			else
				fprintf(stderr, "payatom-sandbox: --%s %s: %s\n",
					key, val, eb);
			goto out;
		}
	}
	if (check) {
		if (sbx_cfg_check(cfg, eb)) {
			fprintf(stderr, "payatom-sandbox: %s\n", eb);
			goto out;
		}
		printf("configuration ok\n");
		rc = 0;
		goto out;
	}
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	int sfd = signalfd(-1, &ss, SFD_CLOEXEC | SFD_NONBLOCK);

	pw_loop_t *loop = NULL;
	sbx_t *sbx = NULL;
	if (pw_loop_new(&loop)) {
		fprintf(stderr, "payatom-sandbox: cannot create the loop\n");
		goto out;
	}
	if (sbx_new(loop, cfg, &sbx, eb)) {
		fprintf(stderr, "payatom-sandbox: %s\n", eb);
		pw_loop_destroy(loop);
		goto out;
	}
	if (sfd >= 0)
		pw_loop_watch(loop, sfd, PW_READ, on_signal, NULL);
	if (print_port)
		printf("%u\n", (unsigned)sbx_port(sbx));
	else if (strchr(sbx_bind_addr(sbx), ':'))
		printf("listening [%s]:%u\n", sbx_bind_addr(sbx),
		       (unsigned)sbx_port(sbx));
	else
		printf("listening %s:%u\n", sbx_bind_addr(sbx),
		       (unsigned)sbx_port(sbx));
	fflush(stdout);
	pw_loop_run(loop);
	if (sfd >= 0) {
		pw_loop_unwatch(loop, sfd);
		close(sfd);
	}
	sbx_destroy(sbx);
	pw_loop_destroy(loop);
	rc = 0;
out:
	sbx_cfg_destroy(cfg);
	return rc;
}
