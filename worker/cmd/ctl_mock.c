/* ctl_mock.c -- `payatom-ctl mock-cluster`: librdkafka's mock Kafka cluster
 *               as a process of its own, for the tour, scripts and tests.
 * Owns: the subcommand's options, creating the worker's topics on it, the
 *       ways to learn that it is ready (the stdout line, --ready-file,
 *       --detach), waiting for SIGTERM/SIGINT.
 * Not here: the mock cluster itself (kafka/mockcluster.h), the worker's
 *           topic names and config loading (ctl_kafka.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/config_worker.h"
#include "core/loop.h"
#include "ctl.h"
#include "kafka/mockcluster.h"

#define CMD "mock-cluster"
/* --detach: how long the foreground waits for the cluster to come up */
#define DETACH_WAIT_MS 60000

static void mock_help(FILE *fp)
{
	fprintf(fp,
		"usage: payatom-ctl mock-cluster [--brokers N] [--partitions P]\n"
		"                                [--topics-from-config FILE] "
		"[--topic NAME]...\n"
		"                                [--ready-file FILE] "
		"[--detach]\n"
		"\n"
		"Hosts librdkafka's mock Kafka cluster on 127.0.0.1, creates "
		"every topic\n"
		"of the worker (payatom.cmd.*, payatom.evt.*, payatom.dlq, "
		"payatom.int.*)\n"
		"with the same partition count (co-partitioned), prints one "
		"line\n"
		"`bootstrap=HOST:PORT[,...]` on stdout once they exist, and "
		"runs until\n"
		"SIGTERM or SIGINT. Separate workers, payatom-ctl and kcat can "
		"share it;\n"
		"killing a worker does not lose the cluster's data. Other "
		"topics are\n"
		"created on first use (with librdkafka's default of 4 "
		"partitions).\n"
		"Data lives in memory only.\n"
		"\n"
		"  --brokers N        mock brokers (default 3, as the worker's "
		"embedded\n"
		"                     cluster; max 16)\n"
		"  --partitions P     partitions per topic (default: "
		"topics.partitions of\n"
		"                     the worker config, 12 unless the file "
		"sets it)\n"
		"  --topics-from-config FILE\n"
		"                     topic names from a worker config "
		"(topic.* keys and\n"
		"                     PAYATOM_TOPIC_* variables)\n"
		"  --topic NAME       create one more topic (repeatable)\n"
		"  --ready-file FILE  once the topics exist, write the "
		"bootstrap list to\n"
		"                     FILE (atomically: a reader sees no file "
		"or the whole\n"
		"                     line); removed again on exit\n"
		"  --detach           run in the background: return once the "
		"cluster is\n"
		"                     ready (exit 0), printing shell "
		"assignments instead\n"
		"                     of the bootstrap line:\n"
		"                       export PAYATOM_BOOTSTRAP=HOST:PORT,...\n"
		"                       export PAYATOM_MOCK_PID=PID\n"
		"                     so `eval \"$(payatom-ctl mock-cluster "
		"--detach)\"` sets\n"
		"                     both; stop it with `kill "
		"$PAYATOM_MOCK_PID`\n"
		"\n"
		"Exit status: 0 after SIGTERM/SIGINT (or, with --detach, once "
		"ready),\n"
		"1 when the cluster cannot start, 2 usage error.\n");
}

/* Writes "bootstrap\n" to path through a temporary file and rename(2),
 * so a reader never sees a partial line. 0 on success. */
static int write_ready_file(const char *path, const char *bootstrap)
{
	char tmp[4096];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp)
		return ctl_fail(CMD, "--ready-file: path too long");
	FILE *f = fopen(tmp, "w");
	if (!f)
		return ctl_fail(CMD, "--ready-file %s: %s", tmp,
				strerror(errno));
	int bad = fprintf(f, "%s\n", bootstrap) < 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return ctl_fail(CMD, "--ready-file %s: %s", path,
				strerror(e));
	}
	return 0;
}

/* --detach, in the foreground process: waits for the child's ready line
 * on fd (or its end: the child failed and said why on stderr), prints the
 * shell assignments. */
static int detach_wait(int fd, pid_t child)
{
	char line[2048];
	size_t len = 0;
	int eof = 0;
	int64_t until = pw_now_ms() + DETACH_WAIT_MS;
	while (len + 1 < sizeof line) {
		int64_t left = until - pw_now_ms();
		if (left <= 0)
			break;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ssize_t got = read(fd, line + len, sizeof line - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			eof = 1;
			break;
		}
		len += (size_t)got;
		if (memchr(line, '\n', len))
			break;
	}
	line[len] = '\0';
	char *nl = strchr(line, '\n');
	if (!nl || strncmp(line, "bootstrap=", 10) != 0) {
		/* the child said why on stderr and exited, or it hangs */
		int st = 0;
		if (!eof)
			kill(child, SIGTERM);
		waitpid(child, &st, 0);
		return ctl_fail(CMD, "the cluster did not start%s",
				eof ? "" : " within 60 s");
	}
	*nl = '\0';
	printf("export PAYATOM_BOOTSTRAP=%s\nexport PAYATOM_MOCK_PID=%ld\n",
	       line + 10, (long)child);
	if (fflush(stdout))
		return ctl_fail(CMD, "cannot write to stdout");
	fprintf(stderr,
		"payatom-ctl mock-cluster: running in the background (pid "
		"%ld); stop it with kill %ld\n",
		(long)child, (long)child);
	return CTL_OK;
}

/* --detach, in the child: a session of its own (a Ctrl-C in the shell
 * that started it does not reach it), nothing left on the terminal or in
 * a $(...) that waits for stdout to close. */
static void detach_child(void)
{
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
}

int ctl_mock_cluster(int argc, char **argv)
{
	static const ctl_opt_t opts[] = {{"help", 'h', 0},
					 {"brokers", 0, 1},
					 {"partitions", 0, 1},
					 {"topics-from-config", 0, 1},
					 {"topic", 0, 1},
					 {"ready-file", 0, 1},
					 {"detach", 0, 0},
					 {NULL, 0, 0}};
	long brokers = 3, parts = -1;
	const char *cfile = NULL, *extra[32], *ready_file = NULL;
	size_t nextra = 0;
	int detach = 0;
	ctl_args_t a;
	const char *v;
	int r;
	ctl_args_init(&a, CMD, opts, argc, argv, 1);
	while ((r = ctl_args_next(&a, &v)) != CTL_ARG_END) {
		switch (r) {
		case CTL_ARG_BAD:
			return CTL_USAGE;
		case 0:
			mock_help(stdout);
			return CTL_OK;
		case 1:
			if (ctl_opt_long(CMD, "brokers", v, 1, 16, &brokers))
				return CTL_USAGE;
			break;
		case 2:
			if (ctl_opt_long(CMD, "partitions", v, 1, 1000, &parts))
				return CTL_USAGE;
			break;
		case 3:
			cfile = v;
			break;
		case 4:
			if (nextra == sizeof extra / sizeof extra[0])
				return ctl_usage_error(CMD, "too many --topic "
							    "(at most 32)");
			extra[nextra++] = v;
			break;
		case 5:
			if (!*v)
				return ctl_usage_error(CMD, "--ready-file "
							    "needs a path");
			ready_file = v;
			break;
		case 6:
			detach = 1;
			break;
		case CTL_ARG_POS:
			return ctl_usage_error(CMD, "unexpected argument '%s'",
					       v);
		}
	}
	/* the worker's defaults, or its config file: topic names and
	 * topics.partitions, as the worker's embedded cluster uses them */
	char eb[PA_ERRBUF_SIZE];
	pw_config_t *cfg = NULL;
	if (cfile)
		cfg = ctl_load_worker_config(CMD, cfile);
	else if (pw_config_new(pw_config_worker_table(), &cfg, eb) ||
		 pw_config_finalize(cfg, eb)) {
		ctl_fail(CMD, "%s", eb);
		pw_config_destroy(cfg);
		cfg = NULL;
	}
	if (!cfg)
		return CTL_FAIL;
	if (parts < 0)
		parts = (long)((const pw_worker_conf_t *)pw_config_struct(cfg))
				->topics_partitions;

	/* --detach forks before librdkafka starts a thread: the child
	 * hosts the cluster and reports "bootstrap=..." through a pipe */
	int notify = -1;
	if (detach) {
		int pfd[2];
		if (pipe(pfd) != 0) {
			pw_config_destroy(cfg);
			return ctl_fail(CMD, "pipe: %s", strerror(errno));
		}
		fflush(NULL);
		pid_t child = fork();
		if (child < 0) {
			pw_config_destroy(cfg);
			return ctl_fail(CMD, "fork: %s", strerror(errno));
		}
		if (child > 0) {
			close(pfd[1]);
			int rc = detach_wait(pfd[0], child);
			close(pfd[0]);
			pw_config_destroy(cfg);
			return rc;
		}
		close(pfd[0]);
		notify = pfd[1];
		detach_child();
	}

	/* SIGINT/SIGTERM are blocked before librdkafka starts its threads
	 * (they inherit the mask) and taken synchronously below. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);

	pw_mock_t *m = NULL;
	int rc = CTL_FAIL, ready = 0;
	if (pw_mock_new((int)brokers, (int)parts, &m, eb)) {
		ctl_fail(CMD, "%s", eb);
		goto out;
	}
	size_t nt = ctl_worker_topic_count();
	for (size_t i = 0; i < nt + nextra; i++) {
		const char *t = i < nt ? ctl_worker_topic(cfg, i)
				       : extra[i - nt];
		if (pw_mock_topic(m, t)) {
			ctl_fail(CMD, "cannot create topic '%s'", t);
			goto out;
		}
	}
	const char *bs = pw_mock_bootstraps(m);
	if (ready_file && write_ready_file(ready_file, bs))
		goto out;
	ready = 1;
	if (notify >= 0) {
		char line[2048];
		int n = snprintf(line, sizeof line, "bootstrap=%s\n", bs);
		if (n < 0 || (size_t)n >= sizeof line ||
		    write(notify, line, (size_t)n) != (ssize_t)n) {
			ctl_fail(CMD, "cannot report readiness");
			goto out;
		}
		close(notify);
		notify = -1;
		/* nothing more for the terminal that started it */
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, STDERR_FILENO);
			close(null);
		}
	} else {
		printf("bootstrap=%s\n", bs);
		if (fflush(stdout)) {
			ctl_fail(CMD, "cannot write to stdout");
			goto out;
		}
		fprintf(stderr,
			"payatom-ctl mock-cluster: %ld broker%s, %ld "
			"partitions per topic; stop with SIGTERM or Ctrl-C\n",
			brokers, brokers == 1 ? "" : "s", parts);
	}
	int sig = 0;
	while (sigwait(&ss, &sig) != 0)
		;
	rc = CTL_OK;
out:
	if (notify >= 0)
		close(notify);
	if (ready && ready_file)
		unlink(ready_file);
	pw_mock_destroy(m);
	pw_config_destroy(cfg);
	return rc;
}
