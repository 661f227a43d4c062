/* metrics_process.c -- process_* families and payatom_build_info
 * (see metrics_process.h). Linux /proc only. */
#include "core/metrics_process.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#ifndef PAYATOM_VERSION
#define PAYATOM_VERSION "0.0.0"
#endif

const char *pw_version(void)
{
	return PAYATOM_VERSION;
}

struct pw_metrics_process {
	pw_counter_t *cpu;
	pw_gauge_t *rss, *vsz, *fds, *max_fds, *start;
	double cpu_seen;
};

pa_err_t pw_metrics_process_new(pw_metrics_t *reg, pw_metrics_process_t **out,
				char *errbuf)
{
	pw_metrics_process_t *mp = calloc(1, sizeof *mp);
	if (!mp)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	const char *none[] = {NULL};
	pw_mfamily_t *info = pw_metrics_gauge(
		reg, "payatom_build_info",
		"Always 1; labels: this build's version and librdkafka's",
		(const char *[]){"version", "librdkafka", NULL});
	pw_mfamily_t *cpu = pw_metrics_counter(
		reg, "process_cpu_seconds_total",
		"Total user and system CPU time spent in seconds", none);
	pw_mfamily_t *rss = pw_metrics_gauge(
		reg, "process_resident_memory_bytes",
		"Resident memory size in bytes", none);
	pw_mfamily_t *vsz = pw_metrics_gauge(
		reg, "process_virtual_memory_bytes",
		"Virtual memory size in bytes", none);
	pw_mfamily_t *fds = pw_metrics_gauge(
		reg, "process_open_fds", "Number of open file descriptors",
		none);
	pw_mfamily_t *max_fds = pw_metrics_gauge(
		reg, "process_max_fds",
		"Maximum number of open file descriptors", none);
	pw_mfamily_t *start = pw_metrics_gauge(
		reg, "process_start_time_seconds",
		"Start time of the process since unix epoch in seconds", none);
	if (!info || !cpu || !rss || !vsz || !fds || !max_fds || !start) {
		free(mp);
		return pa_seterr(errbuf, PA_INVAL,
				 "process metrics: registration failed");
	}
	pw_gauge_set(pw_gauge_get(info, pw_version(), rd_kafka_version_str()),
		     1);
	mp->cpu = pw_counter_of(cpu);
	mp->rss = pw_gauge_of(rss);
	mp->vsz = pw_gauge_of(vsz);
	mp->fds = pw_gauge_of(fds);
	mp->max_fds = pw_gauge_of(max_fds);
	mp->start = pw_gauge_of(start);
	pw_metrics_process_update(mp);
	*out = mp;
	return PA_OK;
}

/* Seconds since the epoch at boot (/proc/stat btime), or -1. */
static double boot_time(void)
{
	FILE *f = fopen("/proc/stat", "r");
	char line[256];
	double bt = -1;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "btime %lf", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

void pw_metrics_process_update(pw_metrics_process_t *mp)
{
	if (!mp)
		return;
	double tick = (double)sysconf(_SC_CLK_TCK);
	double page = (double)sysconf(_SC_PAGESIZE);
	/* /proc/self/stat: fields after the command, which ends with ')' */
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	unsigned long utime, stime;
	unsigned long long starttime;
	if (p && tick > 0 &&
	    sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d "
		   "%*d %*d %*d %*d %*d %llu",
		   &utime, &stime, &starttime) == 3) {
		double cpu = (double)(utime + stime) / tick;
		if (cpu > mp->cpu_seen) {
			pw_counter_add(mp->cpu, cpu - mp->cpu_seen);
			mp->cpu_seen = cpu;
		}
		double bt = boot_time();
		if (bt > 0)
			pw_gauge_set(mp->start, bt + (double)starttime / tick);
	}
	unsigned long size, resident;
	f = fopen("/proc/self/statm", "r");
	if (f && fscanf(f, "%lu %lu", &size, &resident) == 2) {
		pw_gauge_set(mp->vsz, (double)size * page);
		pw_gauge_set(mp->rss, (double)resident * page);
	}
	if (f)
		fclose(f);
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		int count = 0;
		for (struct dirent *e; (e = readdir(d));)
			count += e->d_name[0] != '.';
		closedir(d);
		pw_gauge_set(mp->fds, count - 1); /* the directory's own fd */
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		pw_gauge_set(mp->max_fds, rl.rlim_cur == RLIM_INFINITY
						  ? -1
						  : (double)rl.rlim_cur);
}

void pw_metrics_process_destroy(pw_metrics_process_t *mp)
{
	free(mp);
}
