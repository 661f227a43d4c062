/* benchbin.c -- see benchbin.h. */
#include "benchbin.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloccount.h"

const char *const pwb_bin_topic_keys[10] = {
	"topic.cmd.payin",   "topic.cmd.payout",  "topic.cmd.complaint",
	"topic.evt.payment", "topic.evt.refund",  "topic.evt.complaint",
	"topic.evt.report",  "topic.dlq",	  "topic.int.webhook",
	"topic.int.state"};

/* payatom-worker configured with -o only: the in-process worker's
 * settings, except poll.first (its minimum is 1 s; the webhook path sets
 * 10 min so that no order is polled) and the listener (the webhook path
 * listens where the sandbox sends its webhooks). */
pa_err_t pwb_bin_spawn(const pwb_bin_args_t *a, pwb_child_t *c, char *eb)
{
	const pwb_opts_t *o = a->o;
	enum { MAX_KV = 40 };
	char kv[MAX_KV][240];
	int n = 0;
#define KV(...) snprintf(kv[n++], sizeof kv[0], __VA_ARGS__)
	KV("brokers=%s", a->brokers);
	KV("group.id=%s", a->group);
	KV("processing.guarantee=%s", pwb_guarantee_name(o));
	KV("commit.interval=%ldms", o->commit_interval_ms);
	for (int i = 0; a->topics && i < 10; i++)
		KV("%s=%s", pwb_bin_topic_keys[i], a->topics[i]);
	KV("topics.partitions=%d", o->partitions);
	KV("max.inflight=%d", a->m->inflight);
	KV("max.inflight.per.partition=%d", a->m->per_partition);
	if (o->webhook) {
		KV("poll.first=10m");
		KV("http.listen=127.0.0.1:%d", o->http_port);
		/* the sandbox posts up to max.inflight webhooks at once from
		 * one address, as a gateway behind one NAT address may: the
		 * default cap (128 connections an address) refused the rest
		 * and the orders settled only at poll.first (33 payins/s) */
		KV("http.max.connections.per.ip=0");
	} else {
		KV("poll.first=%ldms",
		   o->poll_first_ms < 1000 ? 1000 : o->poll_first_ms);
		KV("http.listen=127.0.0.1:0");
	}
	KV("poll.max.interval=1s");
	KV("log.level=warn");
	KV("serialization=json");
	if (o->fetch_wait_ms >= 0)
		KV("kafka.fetch.wait.max.ms=%d", o->fetch_wait_ms);
	KV("merchant.%s.pid=%s", a->merchant, a->pid);
	KV("merchant.%s.secret=%s", a->merchant, a->secret);
	KV("merchant.%s.base.url=%s", a->merchant,
	   a->sandbox_url ? a->sandbox_url : "");
	KV("merchant.%s.country=IN", a->merchant);
	/* the default per-merchant limit (50 calls/s) would be the
	 * benchmark's result: lifted to the maximum */
	KV("rate.limit.rps=100000");
	/* PAYATOM_BENCH_KAFKA="k=v,k=v": kafka.* settings, to measure one
	 * without rebuilding (as for the in-process worker) */
	char xbuf[512] = "";
	const char *x = getenv("PAYATOM_BENCH_KAFKA");
	if (x)
		snprintf(xbuf, sizeof xbuf, "%s", x);
	for (char *sv = NULL, *t = strtok_r(xbuf, ",", &sv);
	     t && n < MAX_KV; t = strtok_r(NULL, ",", &sv))
		if (strchr(t, '='))
			KV("kafka.%s", t);
#undef KV
	char *argv[3 + 2 * MAX_KV];
	int i = 0;
	const char *wrap = getenv("PAYATOM_BENCH_WORKER_WRAP");
	if (wrap && *wrap)
		argv[i++] = (char *)wrap;
	argv[i++] = (char *)o->worker_bin;
	for (int k = 0; k < n; k++) {
		argv[i++] = "-o";
		argv[i++] = kv[k];
	}
	argv[i] = NULL;
	return pwb_spawn(c, "payatom-worker", argv, o->pin ? 0 : -1, eb);
}

pa_err_t pwb_bin_usage(pid_t pid, pwb_usage_t *u, char *eb)
{
	char path[64], buf[1024];
	memset(u, 0, sizeof *u);
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return pa_seterr(eb, PA_IO, "%s: worker gone", path);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields after "(comm)": state is field 3, utime 14, stime 15 */
	char *p = strrchr(buf, ')');
	unsigned long long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
				"%*u %llu %llu",
			 &ut, &st) != 2)
		return pa_seterr(eb, PA_PARSE, "%s: unreadable", path);
	long hz = sysconf(_SC_CLK_TCK);
	u->cpu_us = (long long)((ut + st) * 1000000ULL / (unsigned long long)hz);
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(buf, sizeof buf, f)) {
		if (!strncmp(buf, "VmRSS:", 6))
			u->rss_kb = strtol(buf + 6, NULL, 10);
		else if (!strncmp(buf, "VmHWM:", 6))
			u->hwm_kb = strtol(buf + 6, NULL, 10);
	}
	if (f)
		fclose(f);
	return PA_OK;
}

int pwb_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof sa;
	int port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* ---- the measured window ---------------------------------------------- */

pa_err_t pwb_window_prepare(pwb_window_t *w, const pwb_opts_t *o, char *eb)
{
	memset(w, 0, sizeof *w);
	w->alloc_fd = -1;
	if (!o->count_allocs)
		return PA_OK;
	if (access(o->alloc_lib, R_OK) != 0)
		return pa_seterr(eb, PA_IO, "--count-allocs: %s: %s",
				 o->alloc_lib, strerror(errno));
	snprintf(w->alloc_path, sizeof w->alloc_path,
		 "/tmp/pwb-allocs-%d-XXXXXX", (int)getpid());
	w->alloc_fd = mkstemp(w->alloc_path);
	if (w->alloc_fd < 0 ||
	    ftruncate(w->alloc_fd, sizeof(pwb_alloc_counts_t)) != 0)
		return pa_seterr(eb, PA_IO, "--count-allocs: %s: %s",
				 w->alloc_path, strerror(errno));
	w->counts = mmap(NULL, sizeof(pwb_alloc_counts_t), PROT_READ,
			 MAP_SHARED, w->alloc_fd, 0);
	if (w->counts == MAP_FAILED) {
		w->counts = NULL;
		return pa_seterr(eb, PA_IO, "mmap: %s", strerror(errno));
	}
	setenv("PWB_ALLOC_FILE", w->alloc_path, 1);
	setenv("LD_PRELOAD", o->alloc_lib, 1);
	return PA_OK;
}

void pwb_window_env_done(pwb_window_t *w)
{
	(void)w;
	unsetenv("LD_PRELOAD");
	unsetenv("PWB_ALLOC_FILE");
}

void pwb_window_allocs(const pwb_window_t *w, pwb_usage_t *u)
{
	if (!w->counts)
		return;
	const pwb_alloc_counts_t *c = w->counts;
	u->allocs = __atomic_load_n(&c->allocs, __ATOMIC_RELAXED);
	u->reallocs = __atomic_load_n(&c->reallocs, __ATOMIC_RELAXED);
	u->frees = __atomic_load_n(&c->frees, __ATOMIC_RELAXED);
	u->alloc_bytes = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
}

void pwb_window_begin(pwb_window_t *w, pid_t worker)
{
	const char *cmd = getenv("PAYATOM_BENCH_WINDOW_CMD");
	if (!cmd || !*cmd || worker <= 0)
		return;
	char pid[16], eb[PA_ERRBUF_SIZE];
	snprintf(pid, sizeof pid, "%d", (int)worker);
	setenv("PWB_PID", pid, 1);
	char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	if (pwb_run_bg(argv, &w->tool, eb) != PA_OK)
		fprintf(stderr, "bench: PAYATOM_BENCH_WINDOW_CMD: %s\n", eb);
	unsetenv("PWB_PID");
	/* an attaching profiler needs a moment before the load starts */
	usleep(500000);
}

void pwb_window_end(pwb_window_t *w)
{
	if (!w->tool)
		return;
	int st = pwb_stop_bg(w->tool, SIGINT, 60000);
	if (st != 0 && st != 128 + SIGINT)
		fprintf(stderr, "bench: PAYATOM_BENCH_WINDOW_CMD ended with "
				"status %d\n",
			st);
	w->tool = 0;
}

void pwb_window_close(pwb_window_t *w)
{
	pwb_window_end(w);
	if (w->counts)
		munmap(w->counts, sizeof(pwb_alloc_counts_t));
	w->counts = NULL;
	if (w->alloc_fd >= 0) {
		close(w->alloc_fd);
		unlink(w->alloc_path);
	}
	w->alloc_fd = -1;
}
