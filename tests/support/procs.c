/* procs.c -- see procs.h. */
#include "procs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "httpcall.h"
#include "pwtest.h"

#define MAX_PROCS 64
#define TAIL_LINES 40

struct pwt_proc {
	pid_t pid;
	int reaped;
	int status;
	char name[48];
	char out[640], err[640];
};

static char run_dir[400];
static pid_t owner; /* the process that created run_dir (Check forks) */
static int run_ok;
static int seq;
static pwt_proc_t *live[MAX_PROCS];

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void track(pwt_proc_t *p)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (!live[i]) {
			live[i] = p;
			return;
		}
}

static void untrack(pwt_proc_t *p)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (live[i] == p)
			live[i] = NULL;
}

static int try_reap(pwt_proc_t *p)
{
	if (p->reaped)
		return 1;
	int st;
	pid_t r = waitpid(p->pid, &st, WNOHANG);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->reaped = 1;
		p->status = r == p->pid ? st : 0;
		return 1;
	}
	return 0;
}

static void print_tail(const char *path, const char *label)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char *ring[TAIL_LINES] = {0};
	char line[2048];
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		free(ring[n % TAIL_LINES]);
		ring[n % TAIL_LINES] = strdup(line);
		n++;
	}
	fclose(f);
	if (n == 0)
		return;
	fprintf(stderr, "---- %s (%s, last %d of %d lines)\n", label, path,
		n < TAIL_LINES ? n : TAIL_LINES, n);
	for (int i = n < TAIL_LINES ? 0 : n - TAIL_LINES; i < n; i++)
		fputs(ring[i % TAIL_LINES] ? ring[i % TAIL_LINES] : "",
		      stderr);
	for (int i = 0; i < TAIL_LINES; i++)
		free(ring[i]);
}

static int rm_one(const char *path, const struct stat *sb, int flag,
		  struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void at_exit(void)
{
	if (getpid() != owner)
		return;
	for (int i = 0; i < MAX_PROCS; i++) {
		pwt_proc_t *p = live[i];
		if (!p)
			continue;
		if (!p->reaped) {
			kill(p->pid, SIGKILL);
			for (int k = 0; k < 500 && !try_reap(p); k++)
				sleep_ms(10);
		}
	}
	if (!run_ok) {
		/* a failed test: what the children said last */
		DIR *d = opendir(run_dir);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			size_t l = strlen(de->d_name);
			if (l > 4 && !strcmp(de->d_name + l - 4, ".err")) {
				char path[1024];
				snprintf(path, sizeof path, "%.400s/%.500s", run_dir,
					 de->d_name);
				print_tail(path, de->d_name);
			}
		}
		if (d)
			closedir(d);
		fprintf(stderr, "procs: logs kept in %s\n", run_dir);
		return;
	}
	if (!getenv("PAYATOM_TEST_KEEP"))
		nftw(run_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *pwt_procs_dir(const char *tag)
{
	if (run_dir[0] && owner == getpid())
		return run_dir;
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(run_dir, sizeof run_dir, "%s/pwt-%s-XXXXXX", tmp,
		 tag ? tag : "procs");
	if (!mkdtemp(run_dir)) {
		fprintf(stderr, "procs: mkdtemp %s: %s\n", run_dir,
			strerror(errno));
		abort();
	}
	int first = owner == 0;
	owner = getpid();
	run_ok = 0;
	memset(live, 0, sizeof live);
	if (first)
		atexit(at_exit);
	return run_dir;
}

void pwt_procs_ok(void)
{
	run_ok = 1;
}

pwt_proc_t *pwt_proc_spawn(const char *name, char *const argv[])
{
	pwt_procs_dir(NULL);
	pwt_proc_t *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	int n = ++seq;
	snprintf(p->name, sizeof p->name, "%s.%d", name, n);
	snprintf(p->out, sizeof p->out, "%s/%s.out", run_dir, p->name);
	snprintf(p->err, sizeof p->err, "%s/%s.err", run_dir, p->name);
	int fo = open(p->out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int fe = open(p->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int fi = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fo < 0 || fe < 0 || fi < 0) {
		if (fo >= 0)
			close(fo);
		if (fe >= 0)
			close(fe);
		if (fi >= 0)
			close(fi);
		free(p);
		return NULL;
	}
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		/* only async-signal-safe calls until exec: the parent runs
		 * librdkafka threads */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(fi, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		close_range(3, ~0U, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fo);
	close(fe);
	close(fi);
	if (pid < 0) {
		free(p);
		return NULL;
	}
	p->pid = pid;
	track(p);
	return p;
}

pid_t pwt_proc_pid(const pwt_proc_t *p)
{
	return p->pid;
}

const char *pwt_proc_name(const pwt_proc_t *p)
{
	return p->name;
}

const char *pwt_proc_err_path(const pwt_proc_t *p)
{
	return p->err;
}

const char *pwt_proc_out_path(const pwt_proc_t *p)
{
	return p->out;
}

/* First line of path containing needle (NULL: the first complete line),
 * counting matches into *count when count is set. Returns 1 when found. */
static int scan_file(const char *path, const char *needle, char *buf,
		     size_t size, int *count)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[8192];
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		size_t l = strlen(line);
		if (l == 0 || line[l - 1] != '\n')
			break; /* incomplete: still being written */
		if (needle && !strstr(line, needle))
			continue;
		if (count) {
			(*count)++;
			continue;
		}
		line[l - 1] = '\0';
		if (buf && size)
			snprintf(buf, size, "%s", line);
		found = 1;
		break;
	}
	fclose(f);
	return found;
}

static int wait_scan(pwt_proc_t *p, const char *path, const char *needle,
		     char *buf, size_t size, long timeout_ms)
{
	int64_t end = pwt_now_ms() + pwt_ms(timeout_ms);
	for (;;) {
		if (scan_file(path, needle, buf, size, NULL))
			return 1;
		if (try_reap(p)) /* exited: one last look */
			return scan_file(path, needle, buf, size, NULL);
		if (pwt_now_ms() > end)
			return 0;
		sleep_ms(20);
	}
}

int pwt_proc_first_line(pwt_proc_t *p, char *buf, size_t size,
			long timeout_ms)
{
	return wait_scan(p, p->out, NULL, buf, size, timeout_ms);
}

int pwt_proc_wait_log(pwt_proc_t *p, const char *needle, char *buf,
		      size_t size, long timeout_ms)
{
	return wait_scan(p, p->err, needle, buf, size, timeout_ms);
}

int pwt_proc_count_log(pwt_proc_t *p, const char *needle)
{
	int n = 0;
	scan_file(p->err, needle, NULL, 0, &n);
	return n;
}

int pwt_proc_signal(pwt_proc_t *p, int sig)
{
	if (!p || try_reap(p))
		return -1;
	return kill(p->pid, sig);
}

int pwt_proc_wait(pwt_proc_t *p, long timeout_ms, int *status)
{
	int64_t end = pwt_now_ms() + pwt_ms(timeout_ms);
	while (!try_reap(p)) {
		if (pwt_now_ms() > end)
			return 0;
		sleep_ms(10);
	}
	if (status)
		*status = p->status;
	return 1;
}

int pwt_proc_alive(pwt_proc_t *p)
{
	return p && !try_reap(p);
}

void pwt_proc_kill(pwt_proc_t *p)
{
	if (!p || try_reap(p))
		return;
	kill(p->pid, SIGKILL);
	if (!pwt_proc_wait(p, 10000, NULL))
		fprintf(stderr, "procs: %s (pid %d) survived SIGKILL\n",
			p->name, (int)p->pid);
}

void pwt_proc_free(pwt_proc_t *p)
{
	if (!p)
		return;
	pwt_proc_kill(p);
	untrack(p);
	free(p);
}

const char *pwt_procs_write_file(const char *name, const char *text,
				 char *path, size_t size)
{
	snprintf(path, size, "%s/%s", pwt_procs_dir(NULL), name);
	FILE *f = fopen(path, "w");
	if (!f)
		return NULL;
	int ok = fputs(text, f) >= 0;
	ok = (fclose(f) == 0) && ok;
	return ok ? path : NULL;
}

/* ---- blocking HTTP ------------------------------------------------------ */

long pwt_proc_http(const char *method, const char *url, const char *body,
		   char **resp, long timeout_ms)
{
	pwt_call_t c = {.method = method, .url = url, .body = body};
	pwt_call_blocking(&c, timeout_ms);
	if (resp)
		*resp = c.resp;
	else
		pwt_call_free(&c);
	return c.status;
}

pwt_proc_t *pwt_worker_spawn(const char *conf, int port,
			     const char *const *opts)
{
	char bin[1024], listen[64];
	snprintf(listen, sizeof listen, "http.listen=127.0.0.1:%d", port);
	char *argv[32];
	int a = 0;
	argv[a++] = (char *)pwt_bin_path("payatom-worker", bin, sizeof bin);
	argv[a++] = "--config";
	argv[a++] = (char *)conf;
	argv[a++] = "-o";
	argv[a++] = listen;
	for (size_t i = 0; opts && opts[i] && a < 29; i++) {
		argv[a++] = "-o";
		argv[a++] = (char *)opts[i];
	}
	argv[a] = NULL;
	return pwt_proc_spawn("worker", argv);
}

double pwt_proc_metric(int port, const char *name)
{
	char url[128], *text = NULL;
	snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
	if (pwt_proc_http(NULL, url, NULL, &text, 3000) != 200 || !text) {
		free(text);
		return -1;
	}
	double sum = -1;
	size_t nl = strlen(name);
	for (char *l = text, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(l, name, nl) && (l[nl] == ' ' || l[nl] == '{')) {
			char *sp = strrchr(l, ' ');
			if (sp)
				sum = (sum < 0 ? 0 : sum) + strtod(sp + 1, NULL);
		}
	}
	free(text);
	return sum;
}

pwt_proc_t *pwt_sandbox_spawn(const char *conf_text, int *port)
{
	char path[1024], bin[1024], line[64];
	*port = 0;
	if (!pwt_procs_write_file("sandbox.conf", conf_text, path, sizeof path))
		return NULL;
	char *argv[] = {(char *)pwt_bin_path("payatom-sandbox", bin, sizeof bin),
			"--config", path, "--port", "0", "--print-port", NULL};
	pwt_proc_t *p = pwt_proc_spawn("sandbox", argv);
	if (p && pwt_proc_first_line(p, line, sizeof line, 10000))
		*port = atoi(line);
	return p;
}

const char *pwt_group_protocol_conf(void)
{
	const char *p = getenv("PAYATOM_TEST_GROUP_PROTOCOL");
	if (p && strcmp(p, "consumer") == 0)
		return "kafka.group.protocol = consumer\n";
	return "kafka.session.timeout.ms = 6000\n"
	       "kafka.heartbeat.interval.ms = 500\n";
}
