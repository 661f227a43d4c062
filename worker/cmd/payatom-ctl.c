/* payatom-ctl.c -- the operator CLI: dispatch and the offline subcommands.
 * Owns: the top-level usage, global options (-b), the option parser shared
 *       by every subcommand, `schemas`, `check-config`, `config-doc`.
 * Not here: the subcommands that talk to Kafka (ctl_kafka.c), the config
 *           machinery and its generated views (core/config.h), the schema
 *           files (serde/schemas.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/config_kafka.h"
#include "core/config_worker.h"
#include "ctl.h"
#include "serde/schemas.h"

static void usage(FILE *fp);

/* ---- option parser ---- */

void ctl_args_init(ctl_args_t *a, const char *cmd, const ctl_opt_t *opts,
		   int argc, char **argv, int first)
{
	memset(a, 0, sizeof *a);
	a->argc = argc;
	a->argv = argv;
	a->i = first;
	a->cmd = cmd;
	a->opts = opts;
}

static void suggest(const ctl_args_t *a, const char *name, char *buf,
		    size_t size)
{
	size_t best = (size_t)-1;
	const char *hit = NULL;
	buf[0] = '\0';
	for (const ctl_opt_t *o = a->opts; o->lng; o++) {
		size_t d = pw_cfg_edit_distance(name, o->lng);
		if (d < best) {
			best = d;
			hit = o->lng;
		}
	}
	if (hit && best <= 3)
		snprintf(buf, size, "; did you mean --%s?", hit);
}

int ctl_args_next(ctl_args_t *a, const char **val)
{
	*val = NULL;
	if (a->i >= a->argc)
		return CTL_ARG_END;
	char *s = a->argv[a->i++];
	if (a->only_pos || s[0] != '-' || !s[1]) {
		*val = s;
		return CTL_ARG_POS;
	}
	if (!strcmp(s, "--")) {
		a->only_pos = 1;
		return ctl_args_next(a, val);
	}
	const ctl_opt_t *o;
	const char *inl = NULL;
	if (s[1] == '-') {
		const char *name = s + 2;
		const char *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		for (o = a->opts; o->lng; o++)
			if (strlen(o->lng) == nl && !strncmp(o->lng, name, nl))
				break;
		if (!o->lng) {
			char hint[96], nm[64];
			snprintf(nm, sizeof nm, "%.*s", (int)(nl < 63 ? nl : 63),
				 name);
			suggest(a, nm, hint, sizeof hint);
			ctl_usage_error(a->cmd, "unknown option '--%s'%s", nm,
					hint);
			return CTL_ARG_BAD;
		}
		if (eq && !o->has_arg) {
			ctl_usage_error(a->cmd, "option --%s takes no value",
					o->lng);
			return CTL_ARG_BAD;
		}
		inl = eq ? eq + 1 : NULL;
	} else {
		for (o = a->opts; o->lng; o++)
			if (o->shrt && o->shrt == s[1])
				break;
		if (!o->lng) {
			/* -x for -X (and back), or the long option it is
			 * the first letter of */
			const ctl_opt_t *near = NULL;
			for (const ctl_opt_t *p = a->opts; p->lng && !near; p++)
				if (p->shrt && (p->shrt ^ 0x20) == s[1])
					near = p;
			for (const ctl_opt_t *p = a->opts; p->lng && !near; p++)
				if (p->lng[0] == s[1] && strcmp(p->lng, "help"))
					near = p;
			if (near && near->shrt)
				ctl_usage_error(a->cmd, "unknown option '-%c'; "
							"did you mean -%c "
							"(--%s)?",
						s[1], near->shrt, near->lng);
			else if (near)
				ctl_usage_error(a->cmd, "unknown option '-%c'; "
							"did you mean --%s?",
						s[1], near->lng);
			else
				ctl_usage_error(a->cmd, "unknown option '-%c'",
						s[1]);
			return CTL_ARG_BAD;
		}
		if (s[2] && !o->has_arg) {
			ctl_usage_error(a->cmd, "option -%c takes no value "
						"(write flags separately)",
					s[1]);
			return CTL_ARG_BAD;
		}
		inl = s[2] ? s + 2 : NULL;
	}
	if (o->has_arg) {
		if (inl)
			*val = inl;
		else if (a->i < a->argc)
			*val = a->argv[a->i++];
		else {
			ctl_usage_error(a->cmd, "option --%s needs a value",
					o->lng);
			return CTL_ARG_BAD;
		}
	}
	return (int)(o - a->opts);
}

static void vmsg(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "payatom-ctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	vfprintf(stderr, fmt, ap);
}

int ctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see payatom-ctl%s%s --help)\n", cmd ? " " : "",
		cmd ? cmd : "");
	return CTL_USAGE;
}

int ctl_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(cmd, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_FAIL;
}

int ctl_parse_long(const char *s, long min, long max, long *out)
{
	int64_t v;
	if (!s || pw_cfg_parse_int(s, &v) != PA_OK || v < min || v > max)
		return -1;
	*out = (long)v;
	return 0;
}

int ctl_opt_long(const char *cmd, const char *opt, const char *v, long min,
		 long max, long *out)
{
	if (!ctl_parse_long(v, min, max, out))
		return 0;
	return ctl_usage_error(cmd, "--%s wants an integer in %ld..%ld, not "
				    "'%s'",
			       opt, min, max, v);
}

/* ---- schemas ---- */

static void schemas_help(FILE *fp)
{
	fprintf(fp,
		"usage: payatom-ctl schemas [list]\n"
		"       payatom-ctl schemas print NAME\n"
		"       payatom-ctl schemas export DIR\n"
		"\n"
		"The Avro schemas of the event contract, as embedded in this "
		"binary.\n"
		"  list          one line per schema: record name and file\n"
		"  print NAME    the .avsc text; NAME is the record name "
		"(PayinCommand),\n"
		"                the full name (" PW_SCHEMA_NAMESPACE
		".PayinCommand) or the\n"
		"                file name with or without .avsc\n"
		"  export DIR    write every schema as DIR/<file>.avsc (DIR "
		"must exist)\n");
}

static int cmd_schemas(int argc, char **argv)
{
	static const ctl_opt_t opts[] = {{"help", 'h', 0}, {NULL, 0, 0}};
	const char *pos[3] = {NULL, NULL, NULL};
	size_t npos = 0;
	ctl_args_t a;
	const char *v;
	int r;
	ctl_args_init(&a, "schemas", opts, argc, argv, 1);
	while ((r = ctl_args_next(&a, &v)) != CTL_ARG_END) {
		if (r == CTL_ARG_BAD)
			return CTL_USAGE;
		if (r == 0) {
			schemas_help(stdout);
			return CTL_OK;
		}
		if (npos == 3)
			return ctl_usage_error("schemas", "too many arguments");
		pos[npos++] = v;
	}
	const char *sub = npos ? pos[0] : "list";
	char eb[PA_ERRBUF_SIZE];
	if (!strcmp(sub, "list")) {
		if (npos > 1)
			return ctl_usage_error("schemas", "list takes no "
							  "argument");
		for (size_t i = 0; i < pw_schemas_count(); i++) {
			char name[128];
			const char *file;
			if (pw_schemas_name(i, name, sizeof name) ||
			    pw_schemas_get(i, &file, NULL, NULL))
				return ctl_fail("schemas", "schema %zu broken",
						i);
			printf("%-24s %s\n", name, file);
		}
		return CTL_OK;
	}
	if (!strcmp(sub, "print")) {
		size_t idx;
		const char *json;
		size_t len;
		if (npos != 2)
			return ctl_usage_error("schemas", "print needs one "
							  "NAME");
		if (pw_schemas_find(pos[1], &idx) ||
		    pw_schemas_get(idx, NULL, &json, &len))
			return ctl_fail("schemas",
					"no schema called '%s' (try "
					"`payatom-ctl schemas list`)",
					pos[1]);
		fwrite(json, 1, len, stdout);
		if (len && json[len - 1] != '\n')
			fputc('\n', stdout);
		return CTL_OK;
	}
	if (!strcmp(sub, "export")) {
		if (npos != 2)
			return ctl_usage_error("schemas", "export needs one "
							  "DIR");
		if (pw_schemas_export(pos[1], eb))
			return ctl_fail("schemas", "%s", eb);
		printf("exported %zu schemas to %s\n", pw_schemas_count(),
		       pos[1]);
		return CTL_OK;
	}
	return ctl_usage_error("schemas", "unknown subcommand '%s' (list, "
					  "print, export)",
			       sub);
}

/* ---- check-config, config-doc ---- */

static void check_config_help(FILE *fp)
{
	fprintf(fp,
		"usage: payatom-ctl check-config [FILE] [-o KEY=VALUE]... "
		"[--no-env]\n"
		"\n"
		"Loads a worker configuration exactly as payatom-worker does "
		"(defaults <\n"
		"FILE < PAYATOM_* environment < -o), validates it and prints "
		"every\n"
		"effective key with its source. Secret values print as ***, "
		"personal\n"
		"data redacted. Unknown keys are answered with the nearest "
		"valid ones.\n"
		"\n"
		"  -o, --set KEY=VALUE  override one key (repeatable)\n"
		"  --no-env             ignore PAYATOM_* environment "
		"variables\n"
		"  -q, --quiet          print nothing on success\n"
		"\n"
		"Exit status: 0 valid, 1 invalid, 2 usage error.\n");
}

static int cmd_check_config(int argc, char **argv)
{
	static const ctl_opt_t opts[] = {{"help", 'h', 0},
					 {"set", 'o', 1},
					 {"no-env", 0, 0},
					 {"quiet", 'q', 0},
					 {NULL, 0, 0}};
	const char *file = NULL;
	const char *sets[64];
	size_t nsets = 0;
	int env = 1, quiet = 0, r, rc = CTL_FAIL;
	ctl_args_t a;
	const char *v;
	ctl_args_init(&a, "check-config", opts, argc, argv, 1);
	while ((r = ctl_args_next(&a, &v)) != CTL_ARG_END) {
		switch (r) {
		case CTL_ARG_BAD:
			return CTL_USAGE;
		case 0:
			check_config_help(stdout);
			return CTL_OK;
		case 1:
			if (nsets == sizeof sets / sizeof sets[0])
				return ctl_usage_error("check-config",
						       "too many -o");
			if (!strchr(v, '='))
				return ctl_usage_error("check-config",
						       "-o wants KEY=VALUE, "
						       "got '%s'",
						       v);
			sets[nsets++] = v;
			break;
		case 2:
			env = 0;
			break;
		case 3:
			quiet = 1;
			break;
		case CTL_ARG_POS:
			if (file)
				return ctl_usage_error("check-config",
						       "one FILE only");
			file = v;
			break;
		}
	}
	char eb[PA_ERRBUF_SIZE];
	pw_config_t *cfg = NULL;
	if (pw_config_new(pw_config_worker_table(), &cfg, eb))
		return ctl_fail("check-config", "%s", eb);
	/* every error at once, each naming its key and source (as
	 * payatom-worker --check-config), kafka.* through librdkafka */
	pw_config_collect_errors(cfg, 1);
	if (file && pw_config_load_file(cfg, file, eb))
		goto bad;
	if (env && pw_config_load_env(cfg, NULL, eb))
		goto bad;
	for (size_t i = 0; i < nsets; i++)
		if (pw_config_set_arg(cfg, sets[i], eb) &&
		    pw_config_add_error(cfg, eb))
			goto bad;
	pw_config_finalize(cfg, eb);
	if (pw_config_check_kafka(cfg, "brokers", eb))
		goto bad;
	if (pw_config_error_count(cfg)) {
		for (size_t i = 0; i < pw_config_error_count(cfg); i++)
			ctl_fail("check-config", "%s", pw_config_error(cfg, i));
		goto out;
	}
	if (!quiet) {
		pw_config_dump(cfg, stdout);
		printf("configuration ok (%zu merchant profile%s)\n",
		       pw_config_profile_count(cfg),
		       pw_config_profile_count(cfg) == 1 ? "" : "s");
	}
	rc = CTL_OK;
	goto out;
bad:
	/* config errors never carry a secret value (config.h) */
	ctl_fail("check-config", "%s", eb);
out:
	pw_config_destroy(cfg);
	return rc;
}

static void config_doc_help(FILE *fp)
{
	fprintf(fp,
		"usage: payatom-ctl config-doc markdown|schema|help\n"
		"\n"
		"Prints a view of the worker's config table (the single "
		"source of the keys):\n"
		"  markdown   the configuration reference (docs/configuration.md)\n"
		"  schema     a JSON Schema of the keys (the Helm chart's "
		"values.schema.json)\n"
		"  help       the --help text of payatom-worker's keys\n");
}

static int cmd_config_doc(int argc, char **argv)
{
	static const ctl_opt_t opts[] = {{"help", 'h', 0}, {NULL, 0, 0}};
	const char *what = NULL;
	ctl_args_t a;
	const char *v;
	int r;
	ctl_args_init(&a, "config-doc", opts, argc, argv, 1);
	while ((r = ctl_args_next(&a, &v)) != CTL_ARG_END) {
		if (r == CTL_ARG_BAD)
			return CTL_USAGE;
		if (r == 0) {
			config_doc_help(stdout);
			return CTL_OK;
		}
		if (what)
			return ctl_usage_error("config-doc", "one format only");
		what = v;
	}
	const pw_cfg_table_t *tab = pw_config_worker_table();
	if (!what)
		return ctl_usage_error("config-doc", "which format? markdown, "
						     "schema or help");
	if (!strcmp(what, "markdown"))
		pw_config_print_markdown(tab, stdout);
	else if (!strcmp(what, "schema"))
		pw_config_print_json_schema(tab, stdout);
	else if (!strcmp(what, "help"))
		pw_config_print_help(tab, stdout);
	else
		return ctl_usage_error("config-doc", "unknown format '%s' "
						     "(markdown, schema, help)",
				       what);
	return fflush(stdout) == 0 ? CTL_OK
				   : ctl_fail("config-doc", "write failed");
}

/* ---- dispatch ---- */

/* Every command, in the order --help lists them. A command of a group
 * ("dlq show") is named by two words; its function gets argv from the
 * group's name (argv[1] is the action, options start at argv[2]). A new
 * command is one line here and its function in a ctl_*.c file (ctl.h). */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"mock-cluster", ctl_mock_cluster,
	 "host librdkafka's mock Kafka cluster with the worker's topics"},
	{"send", ctl_send, "encode JSON commands and produce them"},
	{"tail", ctl_tail, "print the records of topics (JSON, or --brief)"},
	{"dlq show", ctl_dlq_show,
	 "print dead letters with reason and decoded original payload"},
	{"dlq replay", ctl_dlq_replay,
	 "send dead letters back to their topic once fixed (dry run by "
	 "default)"},
	{"schemas", cmd_schemas, "list, print or export the embedded Avro "
				 "schemas"},
	{"check-config", cmd_check_config,
	 "validate a worker config and print the effective values"},
	{"config-doc", cmd_config_doc,
	 "print the worker's config reference (markdown|schema|help)"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *fp)
{
	fprintf(fp, "usage: payatom-ctl [-b BOOTSTRAP] COMMAND [ARGS]\n"
		    "\n"
		    "Operator tool for payatom-worker.\n"
		    "\n"
		    "Commands:\n");
	for (size_t c = 0; c < N_COMMANDS; c++)
		fprintf(fp, "  %-14s %s\n", commands[c].name, commands[c].help);
	fprintf(fp,
		"\n"
		"Global options:\n"
		"  -b, --bootstrap HOST:PORT[,...]\n"
		"      Default Kafka bootstrap servers for every command "
		"(else $PAYATOM_BOOTSTRAP).\n"
		"  -h, --help     this text; `payatom-ctl COMMAND --help` "
		"describes a command\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure, 2 usage error.\n");
}

/* Length of the group part of a command's name ("dlq" of "dlq show"), 0
 * for a command of its own. */
static size_t group_len(const char *name)
{
	const char *sp = strchr(name, ' ');
	return sp ? (size_t)(sp - name) : 0;
}

/* The nearest command (or, in a group, action) to word within a few
 * typos; NULL if none. */
static const char *nearest(const char *group, size_t glen, const char *word)
{
	size_t best = (size_t)-1;
	const char *hit = NULL;
	for (size_t c = 0; c < N_COMMANDS; c++) {
		const char *n = commands[c].name;
		size_t gl = group_len(n);
		if (group && (gl != glen || strncmp(n, group, glen)))
			continue;
		const char *cand = group ? n + gl + 1 : n;
		char first[64];
		if (!group && gl) { /* a group's own name */
			snprintf(first, sizeof first, "%.*s", (int)gl, n);
			cand = first;
		}
		size_t d = pw_cfg_edit_distance(word, cand);
		if (d < best) {
			best = d;
			hit = group ? n + gl + 1 : n;
		}
	}
	return best <= 3 && best < strlen(word) ? hit : NULL;
}

/* argv[0] is a group's name: runs its action argv[1]. */
static int run_group(const char *group, int argc, char **argv)
{
	size_t glen = strlen(group);
	const char *act = argc > 1 ? argv[1] : NULL;
	if (act && act[0] != '-')
		for (size_t c = 0; c < N_COMMANDS; c++) {
			const char *n = commands[c].name;
			if (group_len(n) == glen && !strncmp(n, group, glen) &&
			    !strcmp(n + glen + 1, act))
				return commands[c].fn(argc, argv);
		}
	int help = act && (!strcmp(act, "-h") || !strcmp(act, "--help"));
	FILE *fp = help ? stdout : stderr;
	if (!help) {
		const char *near = act && act[0] != '-'
					   ? nearest(group, glen, act)
					   : NULL;
		if (act && act[0] != '-')
			fprintf(stderr, "payatom-ctl %s: unknown action "
					"'%s'%s%s%s\n",
				group, act, near ? "; did you mean '" : "",
				near ? near : "", near ? "'?" : "");
		else
			fprintf(stderr, "payatom-ctl %s: which action?\n",
				group);
	}
	fprintf(fp, "usage: payatom-ctl %s ACTION [ARGS]   (`payatom-ctl %s "
		    "ACTION --help`)\n",
		group, group);
	for (size_t c = 0; c < N_COMMANDS; c++) {
		const char *n = commands[c].name;
		if (group_len(n) == glen && !strncmp(n, group, glen))
			fprintf(fp, "  %-10s %s\n", n + glen + 1,
				commands[c].help);
	}
	return help ? CTL_OK : CTL_USAGE;
}

int main(int argc, char **argv)
{
	int i = 1;
	/* global options before the command */
	while (i < argc && argv[i][0] == '-') {
		const char *s = argv[i];
		if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
			usage(stdout);
			return CTL_OK;
		}
		const char *val = NULL;
		if (!strcmp(s, "-b") || !strcmp(s, "--bootstrap")) {
			if (i + 1 >= argc)
				return ctl_usage_error(NULL, "%s needs a value "
							     "(HOST:PORT)",
						       s);
			val = argv[i + 1];
			i += 2;
		} else if (!strncmp(s, "--bootstrap=", 12)) {
			val = s + 12;
			i++;
		} else if (!strncmp(s, "-b", 2)) {
			val = s + 2;
			i++;
		} else {
			/* a typo of a global option, or a command's option
			 * given before the command */
			char nm[64];
			snprintf(nm, sizeof nm, "%.*s", (int)strcspn(s, "="),
				 s + (s[1] == '-' ? 2 : 1));
			if (s[1] == '-' &&
			    pw_cfg_edit_distance(nm, "bootstrap") <= 3)
				return ctl_usage_error(NULL, "unknown option "
							     "'%s'; did you "
							     "mean "
							     "--bootstrap?",
						       s);
			return ctl_usage_error(NULL, "unknown option '%s' (only "
						     "-b/--bootstrap comes "
						     "before the COMMAND; the "
						     "command's own options "
						     "follow it)",
					       s);
		}
		/* the global -b is the default of every command's -b */
		if (setenv("PAYATOM_BOOTSTRAP", val, 1))
			return ctl_fail(NULL, "setenv failed");
	}
	if (i >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	const char *cmd = argv[i];
	for (size_t c = 0; c < N_COMMANDS; c++) {
		const char *n = commands[c].name;
		size_t gl = group_len(n);
		if (!gl && !strcmp(cmd, n))
			return commands[c].fn(argc - i, argv + i);
		if (gl && strlen(cmd) == gl && !strncmp(cmd, n, gl))
			return run_group(cmd, argc - i, argv + i);
	}
	if (!strcmp(cmd, "help")) {
		usage(stdout);
		return CTL_OK;
	}
	const char *near = nearest(NULL, 0, cmd);
	if (near)
		return ctl_usage_error(NULL, "unknown command '%s'; did you "
					     "mean '%s'?",
				       cmd, near);
	return ctl_usage_error(NULL, "unknown command '%s'", cmd);
}
