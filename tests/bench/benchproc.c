/* benchproc.c -- see benchproc.h. */
#include "benchproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The only process-wide state: the children a signal handler must kill
 * (a benchmark that dies must not leave a worker or a sandbox behind). */
#define PWB_MAX_CHILDREN 8
static volatile pid_t g_children[PWB_MAX_CHILDREN];

static void register_child(pid_t pid)
{
	for (int i = 0; i < PWB_MAX_CHILDREN; i++)
		if (!g_children[i]) {
			g_children[i] = pid;
			return;
		}
}

static void forget_child(pid_t pid)
{
	for (int i = 0; i < PWB_MAX_CHILDREN; i++)
		if (g_children[i] == pid)
			g_children[i] = 0;
}

static void kill_all(void)
{
	for (int i = 0; i < PWB_MAX_CHILDREN; i++) {
		pid_t p = g_children[i];
		if (p > 0) {
			kill(p, SIGKILL);
			g_children[i] = 0;
		}
	}
}

static void on_signal(int sig)
{
	static const char msg[] = "bench: interrupted or global timeout; "
				  "children killed\n";
	kill_all();
	if (write(2, msg, sizeof msg - 1) < 0) {
		/* nothing more to do in a signal handler */
	}
	_exit(sig == SIGALRM ? 124 : 3);
}

void pwb_guard_install(unsigned alarm_s)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(kill_all);
	if (alarm_s)
		alarm(alarm_s);
}

pa_err_t pwb_pin(int cpu, char *errbuf)
{
	if (cpu < 0)
		return PA_OK;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		return pa_seterr(errbuf, PA_IO, "sched_setaffinity(cpu %d): %s",
				 cpu, strerror(errno));
	return PA_OK;
}

pa_err_t pwb_spawn(pwb_child_t *c, const char *name, char *const argv[],
		   int cpu, char *errbuf)
{
	int in[2], out[2];
	memset(c, 0, sizeof *c);
	c->ctl_fd = c->rep_fd = -1;
	snprintf(c->name, sizeof c->name, "%s", name);
	if (pipe2(in, O_CLOEXEC) != 0)
		return pa_seterr(errbuf, PA_IO, "pipe: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return pa_seterr(errbuf, PA_IO, "pipe: %s", strerror(errno));
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return pa_seterr(errbuf, PA_IO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(in[0], 0);
		dup2(out[1], 1);
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof set, &set);
		}
		execv(argv[0], argv);
		dprintf(2, "bench: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->pid = pid;
	c->ctl_fd = in[1];
	c->rep_fd = out[0];
	register_child(pid);
	return PA_OK;
}

pa_err_t pwb_run_bg(char *const argv[], pid_t *pid, char *errbuf)
{
	pid_t parent = getpid();
	pid_t p = fork();
	if (p < 0)
		return pa_seterr(errbuf, PA_IO, "fork: %s", strerror(errno));
	if (p == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		setpgid(0, 0);
		execv(argv[0], argv);
		dprintf(2, "bench: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(p, p);
	register_child(p);
	*pid = p;
	return PA_OK;
}

int pwb_stop_bg(pid_t pid, int sig, long timeout_ms)
{
	int st = 0;
	if (pid <= 0)
		return -1;
	kill(-pid, sig); /* its process group: sh -c and what it runs */
	long long end = pwb_now_us() + timeout_ms * 1000LL;
	pid_t r;
	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && pwb_now_us() < end)
		usleep(10000);
	if (r == 0) {
		kill(-pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	forget_child(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

long long pwb_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

pa_err_t pwb_read_line(pwb_child_t *c, char *line, size_t size,
		       long timeout_ms, char *errbuf)
{
	long long end = pwb_now_us() + timeout_ms * 1000LL;
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			size_t k = n < size - 1 ? n : size - 1;
			memcpy(line, c->buf, k);
			line[k] = '\0';
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return PA_OK;
		}
		if (c->len == sizeof c->buf)
			c->len = 0; /* a line longer than the buffer: drop it */
		if (c->rep_fd < 0)
			return pa_seterr(errbuf, PA_IO, "%s: no report pipe",
					 c->name);
		long long left = (end - pwb_now_us()) / 1000;
		if (left <= 0)
			return pa_seterr(errbuf, PA_TIMEOUT,
					 "%s: no report within %ld ms",
					 c->name, timeout_ms);
		struct pollfd p = {.fd = c->rep_fd, .events = POLLIN};
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return pa_seterr(errbuf, PA_IO, "poll: %s",
					 strerror(errno));
		if (r <= 0)
			continue;
		ssize_t got = read(c->rep_fd, c->buf + c->len,
				   sizeof c->buf - c->len);
		if (got == 0)
			return pa_seterr(errbuf, PA_IO, "%s exited", c->name);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return pa_seterr(errbuf, PA_IO, "read: %s",
					 strerror(errno));
		}
		c->len += (size_t)got;
	}
}

pa_err_t pwb_expect(pwb_child_t *c, const char *prefix, char *line,
		    size_t size, long timeout_ms, char *errbuf)
{
	long long end = pwb_now_us() + timeout_ms * 1000LL;
	for (;;) {
		long left = (long)((end - pwb_now_us()) / 1000);
		pa_err_t err = pwb_read_line(c, line, size, left > 0 ? left : 0,
					     errbuf);
		if (err != PA_OK)
			return err;
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			return PA_OK;
		fprintf(stderr, "[%s] %s\n", c->name, line);
	}
}

pa_err_t pwb_send(pwb_child_t *c, const char *s, char *errbuf)
{
	size_t n = strlen(s);
	if (c->ctl_fd < 0 || write(c->ctl_fd, s, n) != (ssize_t)n)
		return pa_seterr(errbuf, PA_IO, "%s: control pipe closed",
				 c->name);
	return PA_OK;
}

void pwb_reap(pwb_child_t *c, long timeout_ms, int *status)
{
	int st = 0;
	if (c->ctl_fd >= 0)
		close(c->ctl_fd);
	c->ctl_fd = -1;
	if (c->pid > 0) {
		long long end = pwb_now_us() + timeout_ms * 1000LL;
		pid_t r;
		while ((r = waitpid(c->pid, &st, WNOHANG)) == 0 &&
		       pwb_now_us() < end)
			usleep(10000);
		if (r == 0) {
			fprintf(stderr, "bench: %s did not exit in %ld ms: "
					"killed\n",
				c->name, timeout_ms);
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &st, 0);
		}
		forget_child(c->pid);
		c->pid = 0;
	}
	if (c->rep_fd >= 0)
		close(c->rep_fd);
	c->rep_fd = -1;
	if (status)
		*status = st;
}
