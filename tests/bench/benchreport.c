/* benchreport.c -- the pipeline benchmark's output: settings, table,
 * notes, targets (see benchpipe.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "benchpipe.h"
#include "gateway/gateway_payatom.h"

const char *pwb_path_name(const pwb_opts_t *o)
{
	return o->webhook ? "webhook" : "poll";
}

const char *pwb_worker_kind(const pwb_opts_t *o)
{
	return o->worker_bin ? "binary" : "in-process";
}

const char *pwb_broker_name(const pwb_opts_t *o)
{
	return o->brokers ? "real" : "mock";
}

const char *pwb_guarantee_name(const pwb_opts_t *o)
{
	return o->exactly_once ? "exactly_once" : "at_least_once";
}

void pwb_print_settings(const pwb_opts_t *o, const pwb_mode_t *m, int nm)
{
	double load[3] = {0, 0, 0};
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
			load[0] = load[1] = load[2] = 0;
		fclose(f);
	}
	printf("payatom-worker pipeline benchmark\n");
	printf("  gateway            %s, %d ms per call (submit and status)\n",
	       strcmp(o->gateway, "fake") == 0
		       ? "in-process fake (tests/support/fakegw)"
		       : "payatom-sandbox (HTTP, --fault '*:latency=fixed')",
	       o->latency_ms);
	if (strcmp(o->gateway, "sandbox") == 0)
		printf("  sandbox            --mix Approved:1 "
		       "--resolve-delay-ms %d --order-id-rules lenient "
		       "--seed 1\n",
		       o->resolve_delay_ms);
	if (o->brokers)
		printf("  kafka              real broker at %s, %d partitions "
		       "per topic,\n                     topics "
		       "%s-<mode>-<alo|eos>.payatom.* (pw_topics_ensure)\n",
		       o->brokers, o->partitions, o->run_tag);
	else
		printf("  kafka              librdkafka mock cluster, 1 broker, "
		       "%d partitions per topic (topics.partitions default "
		       "12)\n",
		       o->partitions);
	printf("  worker             processing.guarantee %s, "
	       "commit.interval %ld ms%s\n",
	       pwb_guarantee_name(o), o->commit_interval_ms,
	       o->exactly_once ? " (an event is readable (read_committed) "
				 "once its transaction commits)"
			       : "");
	if (o->webhook)
		printf("  path               webhook: each order settles by "
		       "the sandbox's webhook, posted to the worker's\n"
		       "                     listener (127.0.0.1:%d), written "
		       "to payatom.int.webhook and read back; poll.first\n"
		       "                     10 min (no poll)\n",
		       o->http_port);
	else
		printf("  path               poll: each order settles at its "
		       "first status poll (poll.first)\n");
	long pf = o->webhook ? 600000
		  : o->worker_bin && o->poll_first_ms < 1000 ? 1000
							    : o->poll_first_ms;
	printf("                     poll.first %ld ms (orders are final at "
	       "the first poll), gateway.max.concurrent %d, JSON commands "
	       "and events,\n"
	       "                     kafka.fetch.wait.max.ms %d (the mock "
	       "broker holds every fetch that long; -1 = librdkafka's 500)\n",
	       pf, PW_GATEWAY_MAX_CONCURRENT, o->fetch_wait_ms);
	if (o->count_allocs)
		printf("  allocations        counted by %s (LD_PRELOAD): "
		       "slower, not a timing run\n",
		       o->alloc_lib);
	if (o->worker_bin)
		printf("  worker program     %s -o ... (poll.first >= 1 s, "
		       "rate.limit.rps 100000,\n"
		       "                     webhook path: "
		       "http.max.connections.per.ip 0;\n"
		       "                     CPU and RSS from /proc, 10 ms "
		       "ticks; no in-flight counter)\n",
		       o->worker_bin);
	for (int i = 0; i < nm; i++)
		printf("  %-18s %ld payins, max.inflight %d, "
		       "max.inflight.per.partition %d, window %ld\n",
		       m[i].name, m[i].n, m[i].inflight, m[i].per_partition,
		       m[i].window);
	printf("  cpus               worker pinned to cpu 0, driver%s%s on "
	       "cpu 1: %s;%s nproc %ld, loadavg %.2f %.2f %.2f\n",
	       o->brokers ? "" : " + mock cluster",
	       strcmp(o->gateway, "sandbox") == 0 ? " + sandbox" : "",
	       o->pin ? "yes" : "no (--no-pin or one cpu)",
	       o->brokers ? " the broker unpinned;" : "",
	       sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
	printf("\n");
}

void pwb_print_table(const pwb_mode_t *m, int nm)
{
	printf("%-11s %8s %9s %15s %17s %10s %8s %7s %9s %8s %7s\n", "mode",
	       "commands", "cmds/s", "accept p50/p99", "terminal p50/p99",
	       "CPU us/cmd", "CPU s/1k", "CPU %", "peak RSS", "inflight",
	       "ratio");
	printf("%-11s %8s %9s %15s %17s %10s %8s %7s %9s %8s %7s\n", "", "",
	       "", "ms", "ms", "(worker)", "(worker)", "(worker)", "MB",
	       "max", "");
	for (int i = 0; i < nm; i++) {
		char acc[32], term[32], ratio[16] = "";
		snprintf(acc, sizeof acc, "%.0f/%.0f", m[i].acc_p50,
			 m[i].acc_p99);
		snprintf(term, sizeof term, "%.0f/%.0f", m[i].term_p50,
			 m[i].term_p99);
		if (i > 0 && m[i].rate > 0)
			snprintf(ratio, sizeof ratio, "%.1fx",
				 m[0].rate / m[i].rate);
		else if (i == 0)
			snprintf(ratio, sizeof ratio, "1.0x");
		printf("%-11s %8ld %9.0f %15s %17s %10.1f %8.3f %6.0f%% %9.1f "
		       "%8lld %7s%s\n",
		       m[i].name, m[i].n, m[i].rate, acc, term,
		       m[i].cpu_us_per_cmd, m[i].cpu_us_per_cmd / 1000.0,
		       m[i].cpu_util * 100.0, m[i].hwm_mb, m[i].inflight_max,
		       ratio, m[i].ok ? "" : "  INCOMPLETE");
	}
	for (int i = 0; i < nm; i++)
		if (m[i].allocs_per_cmd >= 0)
			printf("allocations: %s: %.1f heap calls (malloc, "
			       "calloc, realloc, memalign), %.1f frees, "
			       "%.0f bytes asked per payin\n",
			       m[i].name, m[i].allocs_per_cmd,
			       m[i].frees_per_cmd, m[i].alloc_bytes_per_cmd);
}

void pwb_print_notes(const pwb_opts_t *o, const pwb_mode_t *m, int nm)
{
	for (int i = 0; i < nm; i++)
		if (m[i].orders_live + m[i].orders_rest > 0)
			printf("\nstate: %s holds %lld orders at the end (%lld "
			       "live, %lld settled at rest): %.1f MB of "
			       "records, part of its peak RSS\n",
			       m[i].name, m[i].orders_live + m[i].orders_rest,
			       m[i].orders_live, m[i].orders_rest,
			       m[i].state_mb);
	if (m[0].inflight_max >= m[0].inflight)
		printf("\nnote: %s reached max.inflight (%lld): back-pressure "
		       "(partition pause/resume) was engaged\n",
		       m[0].name, m[0].inflight_max);
	if (nm > 1 && o->latency_ms > 0) {
		/* what per-partition one-at-a-time processing could do if
		 * only the gateway call cost time */
		double ideal = (double)o->partitions * 1000.0 /
			       (double)o->latency_ms;
		printf("reference: one command at a time per partition, "
		       "bounded only by the gateway: <= %d x 1000 / %d ms = "
		       "%.0f commands/s (measured sequential: %.0f); "
		       "concurrent / that bound = %.1fx\n",
		       o->partitions, o->latency_ms, ideal, m[1].rate,
		       m[0].rate / ideal);
	}
}

void pwb_print_targets(const pwb_mode_t *m, int nm)
{
	/* Printed, not judged (see the file header). */
	printf("\ntargets (one core for the worker; informative, never the "
	       "exit status):\n");
	printf("  >= 5000 commands/s at the gateway latency   %.0f   %s\n",
	       m[0].rate, m[0].rate >= 5000 ? "met" : "not met");
	if (nm > 1 && m[1].rate > 0)
		printf("  >= 25x the sequential mode                  %.1fx  "
		       "%s\n",
		       m[0].rate / m[1].rate,
		       m[0].rate / m[1].rate >= 25 ? "met" : "not met");
	printf("  <= 80 us worker CPU per payin (aim 60)      %.1f   %s\n",
	       m[0].cpu_us_per_cmd,
	       m[0].cpu_us_per_cmd <= 80 ? "met" : "not met");
	printf("  <= 30 MB peak RSS, %d in flight           %.1f   %s\n",
	       m[0].inflight, m[0].hwm_mb,
	       m[0].hwm_mb <= 30 ? "met" : "not met");
}

void pwb_print_results(const pwb_opts_t *o, const pwb_mode_t *m, int nm)
{
	double load = 0;
	FILE *f = fopen("/proc/loadavg", "r");
	if (f) {
		if (fscanf(f, "%lf", &load) != 1)
			load = 0;
		fclose(f);
	}
	for (int i = 0; i < nm; i++)
		printf("result mode=%s worker=%s path=%s gateway=%s "
		       "broker=%s guarantee=%s commands=%ld "
		       "terminal=%ld cmds_s=%.0f term_p50_ms=%.0f "
		       "term_p99_ms=%.0f acc_p50_ms=%.0f acc_p99_ms=%.0f "
		       "cpu_us_cmd=%.1f rss_mb=%.1f window=%ld commit_ms=%ld "
		       "dup_terminal=%ld ok=%d allocs_cmd=%.1f loadavg=%.2f\n",
		       m[i].name, pwb_worker_kind(o), pwb_path_name(o),
		       o->gateway, pwb_broker_name(o), pwb_guarantee_name(o),
		       m[i].n, m[i].terminal, m[i].rate, m[i].term_p50,
		       m[i].term_p99, m[i].acc_p50, m[i].acc_p99,
		       m[i].cpu_us_per_cmd, m[i].hwm_mb, m[i].window,
		       o->commit_interval_ms, m[i].dup_terminal, m[i].ok,
		       m[i].allocs_per_cmd, load);
}
