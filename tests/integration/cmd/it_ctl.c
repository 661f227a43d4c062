/* it_ctl.c -- payatom-ctl as an operator runs it: the program itself is
 * started (PAYATOM_BIN_DIR), against `payatom-ctl mock-cluster` started as
 * a child process (killed at the end of every test, and by the kernel if
 * the test dies: PR_SET_PDEATHSIG).
 * Suite ctl; tcases: usage, schemas, config, kafka round trips, dlq. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "fake_registry.h"
#include "kafkat.h"
#include "serde/codec.h"
#include "serde/schemas.h"
#include "pwtest.h"

/* ---- running the program ---- */

typedef struct run {
	int rc; /* exit status, or -1 when killed */
	char *out, *err;
} run_t;

static void run_free(run_t *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof *r);
}

static void child_exec(char *const *argv, const char *const *env,
		       const char *in_path)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (size_t i = 0; env && env[i]; i++)
		putenv((char *)env[i]);
	if (in_path) {
		FILE *f = freopen(in_path, "r", stdin);
		if (!f)
			_exit(126);
	}
	execv(argv[0], argv);
	_exit(127);
}

static void append(char **buf, size_t *len, const char *p, size_t n)
{
	char *nb = realloc(*buf, *len + n + 1);
	ck_assert_ptr_nonnull(nb);
	memcpy(nb + *len, p, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
}

/* Runs payatom-ctl with the arguments (NULL-terminated) and extra
 * environment entries, stdin from in_path (NULL: /dev/null); bounded by
 * timeout_ms (stretched). */
static void ctl_runv(run_t *r, const char *const *env, const char *in_path,
		     long timeout_ms, va_list ap)
{
	char bin[512];
	char *argv[40];
	int n = 0;
	pwt_bin_path("payatom-ctl", bin, sizeof bin);
	argv[n++] = bin;
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 39)
		argv[n++] = (char *)a;
	argv[n] = NULL;
	int po[2], pe[2];
	ck_assert_int_eq(pipe(po), 0);
	ck_assert_int_eq(pipe(pe), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		child_exec(argv, env, in_path ? in_path : "/dev/null");
	}
	close(po[1]);
	close(pe[1]);
	size_t lo = 0, le = 0;
	memset(r, 0, sizeof *r);
	append(&r->out, &lo, "", 0);
	append(&r->err, &le, "", 0);
	int64_t deadline = pwt_now_ms() + pwt_ms(timeout_ms);
	int open_fds = 2;
	struct pollfd pf[2] = {{po[0], POLLIN, 0}, {pe[0], POLLIN, 0}};
	while (open_fds && pwt_now_ms() < deadline) {
		if (poll(pf, 2, 100) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			char buf[4096];
			ssize_t got = read(pf[i].fd, buf, sizeof buf);
			if (got > 0) {
				if (i == 0)
					append(&r->out, &lo, buf, (size_t)got);
				else
					append(&r->err, &le, buf, (size_t)got);
			} else if (got == 0 || errno != EINTR) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
			}
		}
	}
	int killed = open_fds > 0;
	if (killed)
		kill(pid, SIGKILL);
	for (int i = 0; i < 2; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	int st = 0;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(!killed, "payatom-ctl %s: still running after %ld ms; "
			       "stdout: %s; stderr: %s",
		      argv[1], timeout_ms, r->out, r->err);
	r->rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void ctl_run(run_t *r, ...)
{
	va_list ap;
	va_start(ap, r);
	ctl_runv(r, NULL, NULL, 30000, ap);
	va_end(ap);
}

static void ctl_run_in(run_t *r, const char *in_path, ...)
{
	va_list ap;
	va_start(ap, in_path);
	ctl_runv(r, NULL, in_path, 30000, ap);
	va_end(ap);
}

static void ctl_run_env(run_t *r, const char *const *env, ...)
{
	va_list ap;
	va_start(ap, env);
	ctl_runv(r, env, NULL, 30000, ap);
	va_end(ap);
}

/* ---- the mock cluster as a child ---- */

typedef struct mock {
	pid_t pid;
	FILE *out;
	char bootstrap[256];
} mock_t;

static void mock_start(mock_t *m, ...)
{
	char bin[512];
	char *argv[16];
	int n = 0;
	pwt_bin_path("payatom-ctl", bin, sizeof bin);
	argv[n++] = bin;
	argv[n++] = "mock-cluster";
	va_list ap;
	va_start(ap, m);
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 15)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	int po[2];
	ck_assert_int_eq(pipe(po), 0);
	m->pid = fork();
	ck_assert_int_ge(m->pid, 0);
	if (m->pid == 0) {
		dup2(po[1], 1);
		close(po[0]);
		close(po[1]);
		child_exec(argv, NULL, "/dev/null");
	}
	close(po[1]);
	struct pollfd pf = {po[0], POLLIN, 0};
	int ready = poll(&pf, 1, (int)pwt_ms(20000));
	if (ready <= 0)
		kill(m->pid, SIGKILL);
	ck_assert_msg(ready > 0, "mock-cluster printed nothing");
	m->out = fdopen(po[0], "r");
	char line[300] = "";
	ck_assert_ptr_nonnull(fgets(line, sizeof line, m->out));
	/* exactly one line: bootstrap=127.0.0.1:PORT[,...] */
	ck_assert_msg(!strncmp(line, "bootstrap=127.0.0.1:", 20), "%s", line);
	line[strcspn(line, "\n")] = '\0';
	snprintf(m->bootstrap, sizeof m->bootstrap, "%s", line + 10);
}

/* SIGTERM ends it cleanly (exit 0); SIGKILL after a bounded wait. */
static void mock_stop(mock_t *m)
{
	kill(m->pid, SIGTERM);
	int st = 0;
	pid_t got = 0;
	int64_t deadline = pwt_now_ms() + pwt_ms(10000);
	while ((got = waitpid(m->pid, &st, WNOHANG)) == 0 &&
	       pwt_now_ms() < deadline)
		usleep(20000);
	if (got == 0) {
		kill(m->pid, SIGKILL);
		waitpid(m->pid, &st, 0);
	}
	fclose(m->out);
	ck_assert_msg(got == m->pid, "mock-cluster ignored SIGTERM");
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
}

/* ---- helpers ---- */

/* Parses every stdout line as JSON into a new array. */
static json_t *json_lines(const char *out)
{
	json_t *arr = json_array();
	const char *p = out;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (n) {
			json_error_t je;
			json_t *v = json_loadb(p, n, 0, &je);
			ck_assert_msg(v, "not JSON: %.*s", (int)n, p);
			json_array_append_new(arr, v);
		}
		p += n + (nl ? 1 : 0);
	}
	return arr;
}

static size_t count_lines(const char *s, const char *prefix)
{
	size_t n = 0;
	for (const char *p = s; p && *p;) {
		if (!strncmp(p, prefix, strlen(prefix)))
			n++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return n;
}

/* 1 when every field of want equals the same field of got (got may have
 * more: defaults the schema filled in). */
static int fields_equal(const json_t *want, const json_t *got)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)want, k, v)
	{
		if (!json_equal(v, json_object_get(got, k)))
			return 0;
	}
	return 1;
}

static char *data_path(const char *name)
{
	static char buf[4][512];
	static int i;
	i = (i + 1) % 4;
	return (char *)pwt_data_path(name, buf[i], sizeof buf[i]);
}

/* Checks that tail_out holds each command of commands.jsonl exactly once
 * in framing fr, decoded to the same fields, keyed by order_id (else
 * command_id). */
static void assert_tailed(json_t *lines, const char *file, const char *fr,
			  size_t *seen)
{
	json_error_t je;
	FILE *f = fopen(data_path(file), "r");
	ck_assert_ptr_nonnull(f);
	char buf[4096];
	size_t n = 0;
	while (fgets(buf, sizeof buf, f)) {
		json_t *want = json_loads(buf, 0, &je);
		ck_assert_ptr_nonnull(want);
		const char *key = json_string_value(
			json_object_get(want, "order_id"));
		if (!key)
			key = json_string_value(
				json_object_get(want, "command_id"));
		size_t hits = 0, i;
		json_t *l;
		json_array_foreach(lines, i, l)
		{
			if (strcmp(json_string_value(json_object_get(
					   l, "framing")),
				   fr))
				continue;
			json_t *val = json_object_get(l, "value");
			if (!fields_equal(want, val))
				continue;
			ck_assert_str_eq(json_string_value(
						 json_object_get(l, "key")),
					 key);
			hits++;
		}
		ck_assert_msg(hits == 1, "%s record %zu seen %zu times", fr, n,
			      hits);
		json_decref(want);
		n++;
	}
	fclose(f);
	*seen = n;
}

/* ---- usage ---- */

START_TEST(test_ctl_usage_errors_exit_2)
{
	run_t r;
	ctl_run(&r, NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "usage: payatom-ctl"));
	run_free(&r);

	ctl_run(&r, "sned", "x", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "did you mean 'send'?"));
	run_free(&r);

	ctl_run(&r, "tail", "-b", "127.0.0.1:1", "--from-begining", "t",
		NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "did you mean --from-beginning?"));
	run_free(&r);

	ctl_run(&r, "tail", "-b", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "which TOPIC?"));
	run_free(&r);

	ctl_run(&r, "send", "-b", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.rc, 2);
	run_free(&r);

	ctl_run(&r, "tail", "-b", "127.0.0.1:1", "--max", "many", "t", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "--max"));
	run_free(&r);

	ctl_run(&r, "send", "-b", "127.0.0.1:1", "--serialization", "xml",
		"f", NULL);
	ck_assert_int_eq(r.rc, 2);
	run_free(&r);

	ctl_run(&r, "dlq", "-b", "127.0.0.1:1", NULL);
	ck_assert_int_eq(r.rc, 2);
	run_free(&r);

	ctl_run(&r, "dlq", "show", "--offset", "3", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "PARTITION:OFFSET"));
	run_free(&r);

	ctl_run(&r, "schemas", "frobnicate", NULL);
	ck_assert_int_eq(r.rc, 2);
	run_free(&r);

	ctl_run(&r, "config-doc", "yaml", NULL);
	ck_assert_int_eq(r.rc, 2);
	run_free(&r);

	ctl_run(&r, "mock-cluster", "--brokers", "0", NULL);
	ck_assert_int_eq(r.rc, 2);
	run_free(&r);

	/* no bootstrap at all: a usage error naming the fix */
	const char *noenv[] = {"PAYATOM_BOOTSTRAP=", NULL};
	ctl_run_env(&r, noenv, "tail", "payatom.evt.payment", NULL);
	ck_assert_int_eq(r.rc, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "PAYATOM_BOOTSTRAP"));
	run_free(&r);
}
END_TEST

START_TEST(test_ctl_every_command_has_help)
{
	const char *cmds[][2] = {{"mock-cluster", NULL}, {"send", NULL},
				 {"tail", NULL},         {"dlq", "show"},
				 {"dlq", "replay"},
				 {"schemas", NULL},      {"check-config", NULL},
				 {"config-doc", NULL}};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		run_t r;
		if (cmds[i][1])
			ctl_run(&r, cmds[i][0], cmds[i][1], "--help", NULL);
		else
			ctl_run(&r, cmds[i][0], "--help", NULL);
		ck_assert_msg(r.rc == 0, "%s --help: %d", cmds[i][0], r.rc);
		ck_assert_msg(strstr(r.out, "usage: payatom-ctl"), "%s",
			      cmds[i][0]);
		run_free(&r);
	}
	run_t r;
	ctl_run(&r, "--help", NULL);
	ck_assert_int_eq(r.rc, 0);
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		ck_assert_ptr_nonnull(strstr(r.out, cmds[i][0]));
	run_free(&r);
}
END_TEST

/* ---- schemas ---- */

START_TEST(test_ctl_schemas_dir_error_names_file)
{
	char dir[] = "/tmp/it_ctl_avscXXXXXX", path[128];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/broken.avsc", dir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"type\": \"record\"", f);
	fclose(f);
	run_t r;
	/* rejected before any connection is tried */
	ctl_run(&r, "tail", "-b", "127.0.0.1:1", "--schemas-dir", dir, "t",
		NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "broken.avsc"), "%s", r.err);
	run_free(&r);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_ctl_schemas_export_equals_sources)
{
	char dir[] = "/tmp/it_ctl_schemasXXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	run_t r;
	ctl_run(&r, "schemas", "export", dir, NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	run_free(&r);
	const char *src = getenv("PAYATOM_SOURCE_DIR");
	ck_assert_ptr_nonnull(src);
	ck_assert_uint_gt(pw_schemas_count(), 10);
	for (size_t i = 0; i < pw_schemas_count(); i++) {
		const char *file;
		ck_assert_int_eq(pw_schemas_get(i, &file, NULL, NULL), PA_OK);
		char a[1024], b[1024];
		snprintf(a, sizeof a, "%s/%s", dir, file);
		snprintf(b, sizeof b, "%s/schemas/%s", src, file);
		FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
		ck_assert_msg(fa && fb, "%s", file);
		int ca, cb;
		do {
			ca = fgetc(fa);
			cb = fgetc(fb);
		} while (ca == cb && ca != EOF);
		ck_assert_msg(ca == cb, "%s differs from schemas/", file);
		fclose(fa);
		fclose(fb);
		unlink(a);
	}
	ck_assert_int_eq(rmdir(dir), 0); /* nothing else was written */

	/* print by record name is the file's text */
	ctl_run(&r, "schemas", "print", "io.payatom.worker.DeadLetter", NULL);
	ck_assert_int_eq(r.rc, 0);
	char p[1024];
	snprintf(p, sizeof p, "%s/schemas/dead_letter.avsc", src);
	FILE *f = fopen(p, "rb");
	ck_assert_ptr_nonnull(f);
	char want[65536];
	size_t n = fread(want, 1, sizeof want - 1, f);
	want[n] = '\0';
	fclose(f);
	ck_assert_int_eq(strncmp(r.out, want, n), 0);
	run_free(&r);

	ctl_run(&r, "schemas", "list", NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(count_lines(r.out, ""), pw_schemas_count());
	ck_assert_ptr_nonnull(strstr(r.out, "PayinCommand"));
	run_free(&r);

	ctl_run(&r, "schemas", "print", "NoSuchSchema", NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "NoSuchSchema"));
	run_free(&r);

	ctl_run(&r, "schemas", "export", "/nonexistent/dir", NULL);
	ck_assert_int_eq(r.rc, 1);
	run_free(&r);
}
END_TEST

/* ---- config ---- */

START_TEST(test_ctl_check_config_masks_secrets)
{
	/* secrets from the file, the environment and -o */
	const char *env[] = {"PAYATOM_MERCHANT_DEMO_API_KEY=env-api-key-555",
			     NULL};
	run_t r;
	ctl_run_env(&r, env, "check-config", data_path("config/good.conf"),
		    "-o", "merchant.bd_shop.api.key=cli-api-key-666", "-o",
		    "log.level=debug", NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "configuration ok (2 merchant "
					    "profiles)"));
	ck_assert_ptr_nonnull(strstr(r.out, "group.id = payments-eu"));
	ck_assert_ptr_nonnull(strstr(r.out, "log.level = debug"));
	ck_assert_ptr_nonnull(strstr(r.out, "merchant.demo.secret = ***"));
	const char *secrets[] = {"inline-secret-value-123", "another-secret-456",
				 "kafka-pass-789", "env-api-key-555",
				 "cli-api-key-666", "operator@example.com"};
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
		ck_assert_msg(!strstr(r.out, secrets[i]), "%s printed",
			      secrets[i]);
		ck_assert_msg(!strstr(r.err, secrets[i]), "%s printed",
			      secrets[i]);
	}
	run_free(&r);

	/* a bad value of a secret key is an error that does not echo it */
	ctl_run(&r, "check-config", "--no-env", data_path("config/good.conf"),
		"-o", "merchant.demo.secrt=leaky-value-777", NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "did you mean"));
	run_free(&r);
}
END_TEST

START_TEST(test_ctl_check_config_typo_suggests_key)
{
	run_t r;
	ctl_run(&r, "check-config", data_path("config/typo.conf"), NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "typo.conf:5: unknown key 'log.levle'; "
				    "did you mean 'log.level'?"),
		      "%s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);

	ctl_run(&r, "check-config", "/nonexistent.conf", NULL);
	ck_assert_int_eq(r.rc, 1);
	run_free(&r);

	ctl_run(&r, "check-config", "--no-env", "-q",
		data_path("config/good.conf"), NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
}
END_TEST

START_TEST(test_ctl_config_doc_views)
{
	run_t r;
	ctl_run(&r, "config-doc", "schema", NULL);
	ck_assert_int_eq(r.rc, 0);
	json_error_t je;
	json_t *s = json_loads(r.out, 0, &je);
	ck_assert_msg(s, "schema is not JSON: %s", je.text);
	ck_assert_ptr_nonnull(json_object_get(
		json_object_get(s, "properties"), "topic.dlq"));
	json_decref(s);
	run_free(&r);
	ctl_run(&r, "config-doc", "markdown", NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "schema.registry.url"));
	run_free(&r);
	ctl_run(&r, "config-doc", "help", NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "processing.guarantee"));
	run_free(&r);
}
END_TEST

/* ---- Kafka ---- */

START_TEST(test_ctl_send_then_tail_avro_and_json)
{
	mock_t m;
	mock_start(&m, "--partitions", "3", NULL);
	run_t r;
	ctl_run(&r, "send", "-b", m.bootstrap,
		data_path("ctl/commands.jsonl"), NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_uint_eq(count_lines(r.out, "sent "), 7);
	/* topic by type, key by order_id (command_id for reports) */
	ck_assert_ptr_nonnull(strstr(r.out, "sent payatom.cmd.payout/"));
	ck_assert_ptr_nonnull(strstr(r.out, "sent payatom.cmd.complaint/"));
	ck_assert_ptr_nonnull(strstr(r.out, " CTL-ORD-3\n"));
	ck_assert_ptr_nonnull(strstr(r.out, " ctl-c7\n"));
	/* each key on the partition any murmur2_random producer (Java's
	 * default) picks: ask one, on a topic with the same count */
	rd_kafka_t *prod = pwt_producer(m.bootstrap);
	const char *keys[] = {"CTL-ORD-1", "CTL-ORD-2", "CTL-ORD-3", "ctl-c7"};
	for (size_t i = 0; i < 4; i++)
		pwt_produce(prod, "payatom.evt.refund", keys[i], "x", 1);
	pwt_flush(prod);
	rd_kafka_destroy(prod);
	json_t *ref = pwt_read_topic(m.bootstrap, "payatom.evt.refund", 1000,
				     20000);
	ck_assert_uint_eq(json_array_size(ref), 4);
	for (size_t i = 0; i < 4; i++) {
		json_t *e = json_array_get(ref, i);
		char want[128];
		snprintf(want, sizeof want, "/%d@",
			 (int)json_integer_value(json_object_get(e, "partition")));
		const char *k = json_string_value(json_object_get(e, "key"));
		/* every "sent T/P@O KEY" line of this key has partition P */
		for (const char *l = r.out; l && *l;) {
			const char *nl = strchr(l, '\n');
			size_t n = nl ? (size_t)(nl - l) : strlen(l);
			size_t kl = strlen(k);
			if (n > kl + 1 && !strncmp(l + n - kl, k, kl) &&
			    l[n - kl - 1] == ' ')
				ck_assert_msg(memmem(l, n, want, strlen(want)),
					      "%.*s: want partition %s", (int)n,
					      l, want);
			l = nl ? nl + 1 : NULL;
		}
	}
	json_decref(ref);
	run_free(&r);

	/* the same commands as JSON, from stdin, with the global -b */
	char bopt[300];
	snprintf(bopt, sizeof bopt, "-b%s", m.bootstrap);
	ctl_run_in(&r, data_path("ctl/commands.jsonl"), bopt, "send",
		   "--serialization", "json", "-", NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_uint_eq(count_lines(r.out, "sent "), 7);
	run_free(&r);

	/* tail decodes both framings back to the same records */
	const char *env[] = {NULL, NULL};
	char envb[300];
	snprintf(envb, sizeof envb, "PAYATOM_BOOTSTRAP=%s", m.bootstrap);
	env[0] = envb;
	ctl_run_env(&r, env, "tail", "payatom.cmd.payin", "payatom.cmd.payout",
		    "payatom.cmd.complaint", "--from-beginning", "--max", "14",
		    NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	json_t *lines = json_lines(r.out);
	ck_assert_msg(json_array_size(lines) == 14, "%s", r.out);
	size_t n1 = 0, n2 = 0;
	assert_tailed(lines, "ctl/commands.jsonl", "single-object", &n1);
	assert_tailed(lines, "ctl/commands.jsonl", "json", &n2);
	ck_assert_uint_eq(n1, 7);
	ck_assert_uint_eq(n2, 7);
	/* schema named by the type; one key, one partition (murmur2) */
	int part = -1;
	size_t i;
	json_t *l;
	json_array_foreach(lines, i, l)
	{
		size_t idx;
		char nm[64];
		const char *type = json_string_value(
			json_object_get(json_object_get(l, "value"), "type"));
		ck_assert_int_eq(pw_schemas_for_type("type", type, &idx), PA_OK);
		ck_assert_int_eq(pw_schemas_name(idx, nm, sizeof nm), PA_OK);
		ck_assert_str_eq(json_string_value(json_object_get(l, "schema")),
				 nm);
		if (strcmp(json_string_value(json_object_get(l, "key")),
			   "CTL-ORD-1") ||
		    strcmp(json_string_value(json_object_get(l, "topic")),
			   "payatom.cmd.payin"))
			continue;
		int p = (int)json_integer_value(json_object_get(l, "partition"));
		ck_assert(part < 0 || part == p);
		part = p;
	}
	ck_assert_int_ge(part, 0);
	json_decref(lines);
	run_free(&r);

	/* released schema versions may be added for old records */
	ctl_run(&r, "tail", "-b", m.bootstrap, "payatom.cmd.payout",
		"--schemas-dir", data_path("schemas_prev"), "--from-beginning",
		"--max", "1", NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "\"schema\":\"PayoutCommand\""));
	run_free(&r);

	/* --redact masks personal data, --idle-exit ends a quiet tail */
	ctl_run(&r, "tail", "-b", m.bootstrap, "payatom.cmd.payout",
		"--from-beginning", "--idle-exit", "1500", "--redact", NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_uint_eq(count_lines(r.out, "{"), 2);
	ck_assert_ptr_null(strstr(r.out, "50100123456789"));
	ck_assert_ptr_nonnull(strstr(r.out, "CTL-ORD-2"));
	run_free(&r);

	/* without --from-beginning only new records: none, quiet exit */
	ctl_run(&r, "tail", "-b", m.bootstrap, "payatom.cmd.payout",
		"--idle-exit", "500", NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "");
	run_free(&r);

	/* JSON that matches no schema: the error, and the JSON all the same */
	rd_kafka_t *jp = pwt_producer(m.bootstrap);
	pwt_produce(jp, "payatom.evt.payment", "k1", "{\"hello\":\"world\"}",
		    17);
	pwt_flush(jp);
	rd_kafka_destroy(jp);
	ctl_run(&r, "tail", "-b", m.bootstrap, "payatom.evt.payment",
		"--from-beginning", "--max", "1", NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	lines = json_lines(r.out);
	ck_assert_uint_eq(json_array_size(lines), 1);
	l = json_array_get(lines, 0);
	ck_assert_str_eq(json_string_value(json_object_get(l, "error_name")),
			 "VALIDATION");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(l, "raw_json"), "hello")),
			 "world");
	ck_assert_ptr_null(json_object_get(l, "value"));
	json_decref(lines);
	run_free(&r);

	/* no broker there: a runtime error, bounded by --timeout (the mock
	 * cluster creates unknown topics on first use, so an unknown topic
	 * cannot be shown here) */
	ctl_run(&r, "tail", "-b", "127.0.0.1:1", "payatom.evt.payment",
		"--timeout", "1000", NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "payatom.evt.payment"));
	run_free(&r);
	mock_stop(&m);
}
END_TEST

START_TEST(test_ctl_send_rejects_invalid_records_before_producing)
{
	mock_t m;
	mock_start(&m, "--partitions", "1", NULL);
	run_t r;
	ctl_run(&r, "send", "-b", m.bootstrap, data_path("ctl/invalid.jsonl"),
		NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, "invalid.jsonl:2: PayinCommand: product: "
				    "unknown symbol \"PAYIN_TELEPATHY\""),
		      "%s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	/* nothing was produced, not even the valid first line */
	ctl_run(&r, "tail", "-b", m.bootstrap, "payatom.cmd.payin",
		"--from-beginning", "--idle-exit", "1500", NULL);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	/* broken JSON names the line */
	char path[] = "/tmp/it_ctl_badXXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char bad[] = "{\"type\":\"payin\"}\n\n{\"type\": payin}\n";
	ck_assert_int_eq(write(fd, bad, sizeof bad - 1), (ssize_t)sizeof bad - 1);
	close(fd);
	ctl_run(&r, "send", "-b", m.bootstrap, "--serialization", "json", path,
		NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_msg(strstr(r.err, ":3: not JSON"), "%s", r.err);
	run_free(&r);
	/* a record without a type needs -t and a schema */
	const char notype[] = "{\"order_id\":\"x\"}\n";
	FILE *f = fopen(path, "w");
	fputs(notype, f);
	fclose(f);
	ctl_run(&r, "send", "-b", m.bootstrap, path, NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "\"type\""));
	run_free(&r);
	unlink(path);
	mock_stop(&m);
}
END_TEST

START_TEST(test_ctl_confluent_framing_with_registry)
{
	pwt_registry_t *fr = pwt_registry_start("", NULL, NULL);
	ck_assert_ptr_nonnull(fr);
	mock_t m;
	mock_start(&m, "--partitions", "2", NULL);
	run_t r;
	/* one record type per topic: TopicNameStrategy gives a topic one
	 * subject, so payin, refund, ... on one topic would conflict */
	ctl_run(&r, "send", "-b", m.bootstrap, "--registry",
		pwt_registry_url(fr), data_path("ctl/registry_commands.jsonl"),
		NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	run_free(&r);
	/* one subject per topic and schema (TopicNameStrategy) */
	ck_assert_uint_ge(pwt_registry_schemas(fr), 1);
	ctl_run(&r, "tail", "-b", m.bootstrap, "--registry",
		pwt_registry_url(fr), "payatom.cmd.payin", "payatom.cmd.payout",
		"payatom.cmd.complaint", "--from-beginning", "--max", "4",
		NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	json_t *lines = json_lines(r.out);
	size_t n = 0;
	assert_tailed(lines, "ctl/registry_commands.jsonl", "confluent", &n);
	ck_assert_uint_eq(n, 4);
	json_decref(lines);
	run_free(&r);
	/* without the registry the record cannot decode: raw bytes shown */
	ctl_run(&r, "tail", "-b", m.bootstrap, "payatom.cmd.payout",
		"--from-beginning", "--max", "1", NULL);
	ck_assert_int_eq(r.rc, 0);
	lines = json_lines(r.out);
	ck_assert_uint_eq(json_array_size(lines), 1);
	json_t *l = json_array_get(lines, 0);
	ck_assert_str_eq(json_string_value(json_object_get(l, "framing")),
			 "confluent");
	ck_assert_str_eq(json_string_value(json_object_get(l, "error_name")),
			 "NOT_FOUND");
	ck_assert_ptr_nonnull(json_object_get(l, "raw_base64"));
	ck_assert_ptr_null(json_object_get(l, "value"));
	json_decref(lines);
	run_free(&r);
	mock_stop(&m);
	pwt_registry_stop(fr);
}
END_TEST

static char *b64(const uint8_t *p, size_t n)
{
	char *s = malloc(4 * ((n + 2) / 3) + 1);
	ck_assert_ptr_nonnull(s);
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

/* A DeadLetter as the worker writes it, carrying an encoded command. */
static void produce_dead_letter(const char *bootstrap)
{
	char eb[PA_ERRBUF_SIZE];
	pw_codec_conf_t cc = {0};
	pw_codec_t *codec;
	ck_assert_int_eq(pw_codec_new(&cc, &codec, eb), PA_OK);
	json_error_t je;
	json_t *cmd = json_loads(
		"{\"type\":\"payin\",\"command_id\":\"dl-c1\",\"merchant\":"
		"\"nosuch\",\"order_id\":\"CTL-DL-1\",\"product\":"
		"\"PAYIN_UPI_P2P_SEAMLESS\",\"country\":\"IN\",\"amount_minor\":"
		"990,\"currency\":\"INR\",\"created_at\":1795692000123}",
		0, &je);
	ck_assert_ptr_nonnull(cmd);
	uint8_t *orig, *out;
	size_t olen, len;
	ck_assert_int_eq(pw_codec_encode(codec, NULL, NULL, cmd, &orig, &olen,
					 eb),
			 PA_OK);
	char *p64 = b64(orig, olen);
	char *k64 = b64((const uint8_t *)"CTL-DL-1", 8);
	json_t *dl = json_pack(
		"{s:s,s:s,s:i,s:s,s:i,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:I}",
		"event_type", "dead_letter", "event_id", "dl-evt-1",
		"schema_version", 1, "topic", "payatom.cmd.payin", "partition",
		0, "offset", (json_int_t)17, "key", k64, "payload", p64,
		"reason", "UNKNOWN_MERCHANT", "message",
		"merchant 'nosuch' is not configured", "order_id", "CTL-DL-1",
		"merchant", "nosuch", "occurred_at", (json_int_t)1795692001456);
	ck_assert_ptr_nonnull(dl);
	pa_err_t e = pw_codec_encode(codec, NULL, "DeadLetter", dl, &out, &len,
				     eb);
	ck_assert_msg(e == PA_OK, "%s", eb);
	rd_kafka_t *p = pwt_producer(bootstrap);
	pwt_produce(p, "payatom.dlq", "CTL-DL-1", out, len);
	pwt_flush(p);
	rd_kafka_destroy(p);
	free(out);
	free(orig);
	free(p64);
	free(k64);
	json_decref(dl);
	json_decref(cmd);
	pw_codec_destroy(codec);
}

START_TEST(test_ctl_dlq_show_decodes_original)
{
	mock_t m;
	mock_start(&m, "--partitions", "2", NULL);
	produce_dead_letter(m.bootstrap);
	run_t r;
	ctl_run(&r, "dlq", "show", "-b", m.bootstrap, NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	json_t *lines = json_lines(r.out);
	ck_assert_uint_eq(json_array_size(lines), 1);
	json_t *o = json_array_get(lines, 0);
	json_t *d = json_object_get(o, "dead_letter");
	ck_assert_str_eq(json_string_value(json_object_get(d, "reason")),
			 "UNKNOWN_MERCHANT");
	ck_assert_str_eq(json_string_value(json_object_get(d, "topic")),
			 "payatom.cmd.payin");
	ck_assert_int_eq(json_integer_value(json_object_get(d, "offset")), 17);
	ck_assert_ptr_null(json_object_get(d, "payload"));
	json_t *orig = json_object_get(o, "original");
	ck_assert_str_eq(json_string_value(json_object_get(orig, "framing")),
			 "single-object");
	ck_assert_str_eq(json_string_value(json_object_get(orig, "schema")),
			 "PayinCommand");
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(orig, "value"), "order_id")),
			 "CTL-DL-1");
	int part = (int)json_integer_value(
		json_object_get(json_object_get(o, "dlq"), "partition"));
	long long off = json_integer_value(
		json_object_get(json_object_get(o, "dlq"), "offset"));
	json_decref(lines);
	run_free(&r);

	/* the same record by position, pretty-printed */
	char pos[64];
	snprintf(pos, sizeof pos, "%d:%lld", part, off);
	ctl_run(&r, "dlq", "show", "-b", m.bootstrap, "--offset", pos,
		"--pretty", NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "\n  \"dead_letter\": {"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"UNKNOWN_MERCHANT\""));
	run_free(&r);

	/* a position with no record */
	snprintf(pos, sizeof pos, "%d:%lld", part, off + 5);
	ctl_run(&r, "dlq", "show", "-b", m.bootstrap, "--offset", pos, NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "no record at payatom.dlq/"));
	run_free(&r);
	ctl_run(&r, "dlq", "show", "-b", m.bootstrap, "--offset", "9:0", NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "no partition 9"));
	run_free(&r);

	/* something that is not a dead letter: shown with its error, exit 1 */
	rd_kafka_t *p = pwt_producer(m.bootstrap);
	pwt_produce(p, "payatom.dlq", "junk", "\xc3\x01garbage", 9);
	pwt_flush(p);
	rd_kafka_destroy(p);
	ctl_run(&r, "dlq", "show", "-b", m.bootstrap, "--all", NULL);
	ck_assert_msg(r.rc == 1, "rc %d: %s%s", r.rc, r.out, r.err);
	lines = json_lines(r.out);
	ck_assert_uint_eq(json_array_size(lines), 2);
	size_t errs = 0, i;
	json_t *l;
	json_array_foreach(lines, i, l) errs += json_object_get(l, "error") != NULL;
	ck_assert_uint_eq(errs, 1);
	json_decref(lines);
	run_free(&r);
	mock_stop(&m);
}
END_TEST

START_TEST(test_ctl_mock_cluster_topics_from_config)
{
	mock_t m;
	mock_start(&m, "--topics-from-config", data_path("ctl/topics.conf"),
		   "--topic", "extra.topic", NULL);
	rd_kafka_t *p = pwt_producer(m.bootstrap);
	const struct rd_kafka_metadata *md = NULL;
	ck_assert_int_eq(rd_kafka_metadata(p, 1, NULL, &md, (int)pwt_ms(10000)),
			 RD_KAFKA_RESP_ERR_NO_ERROR);
	const char *want[] = {"acme.cmd.payin",     "payatom.cmd.payout",
			      "payatom.cmd.complaint", "acme.evt.payment",
			      "payatom.evt.refund", "payatom.evt.complaint",
			      "payatom.evt.report", "acme.dlq",
			      "payatom.int.webhook", "payatom.int.state",
			      "extra.topic"};
	for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
		int found = 0;
		for (int t = 0; t < md->topic_cnt; t++)
			if (!strcmp(md->topics[t].topic, want[w])) {
				found = 1;
				/* topics.partitions of the file */
				ck_assert_int_eq(md->topics[t].partition_cnt, 2);
			}
		ck_assert_msg(found, "%s missing", want[w]);
	}
	for (int t = 0; t < md->topic_cnt; t++)
		ck_assert_str_ne(md->topics[t].topic, "payatom.cmd.payin");
	rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(p);

	/* send/tail/dlq --config: topic names and serialization of the
	 * config, brokers from the worker's own variable PAYATOM_BROKERS */
	char envb[300];
	snprintf(envb, sizeof envb, "PAYATOM_BROKERS=%s", m.bootstrap);
	const char *env[] = {envb, "PAYATOM_BOOTSTRAP=", NULL};
	run_t r;
	ctl_run_env(&r, env, "send", "--config", data_path("ctl/topics.conf"),
		    data_path("ctl/registry_commands.jsonl"), NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "sent acme.cmd.payin/"));
	ck_assert_ptr_nonnull(strstr(r.out, "sent payatom.cmd.payout/"));
	run_free(&r);
	ctl_run_env(&r, env, "tail", "--config", data_path("ctl/topics.conf"),
		    "acme.cmd.payin", "--from-beginning", "--max", "1", NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	json_t *lines = json_lines(r.out);
	ck_assert_uint_eq(json_array_size(lines), 1);
	ck_assert_str_eq(json_string_value(json_object_get(
				 json_array_get(lines, 0), "framing")),
			 "json");
	json_decref(lines);
	run_free(&r);
	/* dlq show reads the config's dead-letter topic: empty here */
	ctl_run_env(&r, env, "dlq", "show", "--config",
		    data_path("ctl/topics.conf"), NULL);
	ck_assert_msg(r.rc == 0, "%s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	ctl_run_env(&r, env, "dlq", "show", "--config",
		    data_path("ctl/topics.conf"), "--offset", "0:0", NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "acme.dlq/0@0"));
	run_free(&r);
	mock_stop(&m);

	ctl_run(&r, "mock-cluster", "--topics-from-config",
		data_path("config/typo.conf"), NULL);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "did you mean 'log.level'?"));
	ck_assert_str_eq(r.out, "");
	run_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ctl");
	TCase *tc = tcase_create("usage");
	tcase_add_test(tc, test_ctl_usage_errors_exit_2);
	tcase_add_test(tc, test_ctl_every_command_has_help);
	suite_add_tcase(s, tc);
	tc = tcase_create("schemas");
	tcase_add_test(tc, test_ctl_schemas_export_equals_sources);
	tcase_add_test(tc, test_ctl_schemas_dir_error_names_file);
	suite_add_tcase(s, tc);
	tc = tcase_create("config");
	tcase_add_test(tc, test_ctl_check_config_masks_secrets);
	tcase_add_test(tc, test_ctl_check_config_typo_suggests_key);
	tcase_add_test(tc, test_ctl_config_doc_views);
	suite_add_tcase(s, tc);
	tc = tcase_create("kafka");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_ctl_send_then_tail_avro_and_json);
	tcase_add_test(tc, test_ctl_send_rejects_invalid_records_before_producing);
	tcase_add_test(tc, test_ctl_confluent_framing_with_registry);
	tcase_add_test(tc, test_ctl_mock_cluster_topics_from_config);
	suite_add_tcase(s, tc);
	tc = tcase_create("dlq");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_ctl_dlq_show_decodes_original);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return pwt_run_suite(suite());
}
