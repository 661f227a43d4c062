/* bench_store.c -- the local state store at scale (issue 16): prints
 * memory (anonymous and file-backed), disk bytes per order, full-restore
 * rate and checkpoint-restart time. Numbers, never pass/fail.
 * Owns: nothing of the worker; a program that prints numbers.
 * Not here: the engine comparison (store_engines.c), the pipeline
 * benchmark (bench_pipeline.c).
 *
 *   bench_store [--orders N] [--dir DIR]                 breakdown
 *   bench_store --kafka BOOTSTRAP [--orders N] [--dir DIR]  end to end
 *
 * Breakdown (in this process, no Kafka): N settled orders as changelog
 * records (pw_order_encode, keys in random order) go through the
 * restore's own path -- pw_order_decode, the worker's batch (store/bulk.c:
 * packed records sorted by key, 12 MB; --batch-mb), a commit with the
 * checkpoint per batch (--unsorted: pw_store_put in arrival order) -- into
 * a new store; then 100,000 point reads,
 * this process's memory from /proc/self/smaps_rollup, the store's disk
 * bytes, and the time to close and reopen it and read one order (what a
 * restart costs before its restore of the tail).
 *
 * End to end (the program users run, habit 20): N settled orders'
 * records produced to a fresh one-partition changelog on BOOTSTRAP, then
 * build/bin/payatom-worker started on it with state.dir under DIR: the
 * full restore (its own log line: records, seconds, rate), its memory
 * (/proc/PID/smaps_rollup) holding N settled orders, then SIGKILL and a
 * restart on the same state.dir: time to /readyz 200 and the records it
 * restored (the tail after the checkpoint only). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <librdkafka/rdkafka.h>

#include "kafka/topics.h"
#include "kafkat.h"
#include "orders/state.h"
#include "procs.h"
#include "pwtest.h"
#include "store/store.h"

/* CPU seconds of this process (user + system): a rate on a loaded
 * machine, where the wall clock also counts waiting for a core */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Anonymous and file-backed resident kB of pid (0 = self). */
static void mem_of(pid_t pid, long *anon, long *file)
{
	char p[64], line[256];
	long rss = 0, an = 0;
	if (pid)
		snprintf(p, sizeof p, "/proc/%ld/smaps_rollup", (long)pid);
	else
		snprintf(p, sizeof p, "/proc/self/smaps_rollup");
	FILE *f = fopen(p, "r");
	*anon = *file = -1;
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		sscanf(line, "Rss: %ld", &rss);
		sscanf(line, "Anonymous: %ld", &an);
	}
	fclose(f);
	*anon = an;
	*file = rss - an;
}

static long long du(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "du -sk '%s' 2>/dev/null", dir);
	FILE *f = popen(cmd, "r");
	long long kb = 0;
	if (f) {
		if (fscanf(f, "%lld", &kb) != 1)
			kb = 0;
		pclose(f);
	}
	return kb * 1024;
}

/* Settled order number i as the worker writes it to the changelog. */
static char *record(uint64_t i, char *key, size_t *klen, size_t *len)
{
	pw_order_t o;
	memset(&o, 0, sizeof o);
	uint64_t x = (i * 0x9E3779B97F4A7C15ull) % 1000000000000ull;
	*klen = (size_t)snprintf(key, 32, "ORD%012llu", (unsigned long long)x);
	memcpy(o.order_id, key, *klen + 1);
	snprintf(o.merchant, sizeof o.merchant, "merchant-%llu",
		 (unsigned long long)(i % 7));
	uint64_t r = i * 0xD1B54A32D192ED03ull;
	snprintf(o.ref_code, sizeof o.ref_code, "%016llx%016llx",
		 (unsigned long long)r, (unsigned long long)(r * 31 + 7));
	snprintf(o.raw_status, sizeof o.raw_status, "%s",
		 i % 5 ? "Approved" : "Declined");
	snprintf(o.product, sizeof o.product, "PAYIN_UPI_P2C_SEAMLESS");
	snprintf(o.currency, sizeof o.currency, "INR");
	o.status = i % 5 ? PA_STATUS_SUCCEEDED : PA_STATUS_DECLINED;
	o.phase = PW_PHASE_SETTLED;
	o.seq = 2;
	o.amount_minor = (int64_t)(r % 5000000) * 100;
	o.received_minor = o.amount_minor;
	o.created_ms = 1760000000000LL + (int64_t)i;
	o.deadline_ms = o.created_ms + 86400000;
	return pw_order_encode(&o, len);
}

static int sorted_batches = 1;
static size_t batch_bytes = 12u << 20; /* the worker's (store_sync.c) */

static int breakdown(uint64_t n, const char *dir)
{
	pw_store_id_t id = {"bench", "payatom.int.state", 0};
	pw_store_t *st;
	char eb[PA_ERRBUF_SIZE] = "";
	char path[4096];
	snprintf(path, sizeof path, "%s/payatom.int.state-0", dir);
	if (pw_store_open(dir, &id, 1ull << 40, &st, NULL, 0, eb) != PA_OK) {
		fprintf(stderr, "bench_store: %s\n", eb);
		return 1;
	}
	long a0, f0, a_batch = -1, f_batch;
	mem_of(0, &a0, &f0);
	double t = now_s(), c0 = cpu_s(), dec = 0, enc = 0, cenc = 0;
	for (uint64_t i = 0; i < n; i++) {
		char key[32];
		size_t kl, len;
		double e0 = now_s(), ce0 = (i & 1023) ? 0 : cpu_s();
		char *rec = record(i, key, &kl, &len);
		double d0 = now_s();
		enc += d0 - e0; /* making the record is not the restore's */
		if (!(i & 1023)) /* sampled: getrusage costs */
			cenc += (cpu_s() - ce0) * 1024;
		pw_order_t o;
		if (!rec || pw_order_decode(rec, len, &o) != PA_OK) {
			fprintf(stderr, "bench_store: decode failed\n");
			return 1;
		}
		dec += now_s() - d0;
		free(rec);
		if (sorted_batches) {
			static pw_store_bulk_t *b;
			if (!b)
				b = pw_store_bulk_new(batch_bytes);
			int rc = pw_store_bulk_add(b, key, kl, &o);
			if (rc == 1) {
				pw_store_bulk_write(b, st, (int64_t)i);
				rc = pw_store_bulk_add(b, key, kl, &o);
			}
			pw_order_release(&o);
			if (rc != 0) {
				fprintf(stderr, "bench_store: batch refused\n");
				return 1;
			}
			if (i + 1 == n) {
				pw_store_bulk_write(b, st, (int64_t)i + 1);
				mem_of(0, &a_batch, &f_batch); /* batch held */
				pw_store_bulk_free(b);
			}
			continue;
		}
		if (pw_store_put(st, key, kl, &o) != PA_OK ||
		    ((i + 1) % 20000 == 0 &&
		     pw_store_commit(st, (int64_t)i + 1) != PA_OK)) {
			fprintf(stderr, "bench_store: store write failed\n");
			return 1;
		}
	}
	pw_store_commit(st, (int64_t)n);
	double restore = now_s() - t - enc;
	double crestore = cpu_s() - c0 - cenc;
	long a1, f1;
	mem_of(0, &a1, &f1);
	uint64_t rng = 88172645463325252ull;
	t = now_s();
	int miss = 0;
	for (int i = 0; i < 100000; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		char key[32];
		size_t kl, len;
		free(record(rng % n, key, &kl, &len));
		pw_order_t o;
		miss += pw_store_get(st, key, kl, &o) != PA_OK;
	}
	double gets = now_s() - t;
	pw_store_stats_t ss;
	pw_store_stats(st, &ss);
	pw_store_close(st);
	long long disk = du(path);
	t = now_s();
	if (pw_store_open(dir, &id, 1ull << 40, &st, NULL, 0, eb) != PA_OK)
		return 1;
	pw_order_t o;
	char key[32];
	size_t kl, len;
	free(record(n / 2, key, &kl, &len));
	int got = pw_store_get(st, key, kl, &o) == PA_OK;
	int64_t ck = pw_store_checkpoint(st);
	double reopen = now_s() - t;
	pw_store_destroy(st);
	printf("store: orders %llu | restore path (decode+put+commit) %.0f "
	       "rec/s wall, %.0f rec/s of CPU time, of which decode %.2f "
	       "us/rec | get %.2f us | disk "
	       "%.0f B/order (%lld MB) | RSS anonymous %ld kB (at start %ld, "
	       "with the restore's batch %ld), file-backed %ld kB | "
	       "reopen+checkpoint+get %.1f ms%s\n",
	       (unsigned long long)n, (double)n / restore, (double)n / crestore,
	       dec * 1e6 / (double)n,
	       gets * 1e6 / 100000, (double)disk / (double)n, disk >> 20, a1,
	       a0, a_batch, f1, reopen * 1e3,
	       miss || !got || ck != (int64_t)n || ss.orders != n ? " ERRORS"
								   : "");
	return miss || !got ? 1 : 0;
}

/* ---- end to end ------------------------------------------------------ */

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &l) != 0) {
		if (s >= 0)
			close(s);
		return 0;
	}
	close(s);
	return ntohs(a.sin_port);
}

static const char *const topic_keys[] = {
	"topic.cmd.payin",   "topic.cmd.payout",    "topic.cmd.complaint",
	"topic.int.webhook", "topic.int.state",     "topic.evt.payment",
	"topic.evt.refund",  "topic.evt.complaint", "topic.evt.report",
	"topic.dlq"};

static long readyz(int port)
{
	char url[96];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", port);
	return pwt_proc_http(NULL, url, NULL, NULL, 2000);
}

/* CPU seconds (user + system, all threads) of process pid so far. */
static double cpu_of(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/%ld/stat", (long)pid);
	FILE *f = fopen(p, "r");
	unsigned long long ut = 0, stt = 0;
	if (!f)
		return -1;
	/* comm may hold spaces: the fields after its closing parenthesis */
	char line[1024];
	char *r = fgets(line, sizeof line, f) ? strrchr(line, ')') : NULL;
	fclose(f);
	if (!r || sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu", &ut, &stt) != 2)
		return -1;
	return (double)(ut + stt) / (double)sysconf(_SC_CLK_TCK);
}

/* Starts the worker and waits for /readyz 200 after its restore line;
 * *secs gets the time from start to ready, *cpu the worker's CPU seconds
 * when its restore line came, *peak_anon the most anonymous memory
 * (kB) sampled every 50 ms until then. */
static pwt_proc_t *start(const char *conf, int port, double *secs,
			 double *cpu, long *peak_anon, char *line, size_t size)
{
	double t = now_s();
	pwt_proc_t *w = pwt_worker_spawn(conf, port, NULL);
	if (!w)
		return NULL;
	line[0] = '\0';
	*peak_anon = 0;
	double end = t + 3600;
	while (now_s() < end && pwt_proc_alive(w)) {
		long an, fi;
		if (!line[0]) {
			mem_of(pwt_proc_pid(w), &an, &fi);
			if (an > *peak_anon)
				*peak_anon = an;
			if (pwt_proc_wait_log(w, "restored ", line, size, 50))
				*cpu = cpu_of(pwt_proc_pid(w));
		} else if (readyz(port) == 200)
			break;
		else
			usleep(20000);
	}
	*secs = now_s() - t;
	return w;
}

static int end_to_end(uint64_t n, const char *dir, const char *brokers)
{
	char prefix[64], names[10][128], eb[PA_ERRBUF_SIZE];
	snprintf(prefix, sizeof prefix, "bstore-%ld-%ld", (long)time(NULL),
		 (long)getpid());
	for (int i = 0; i < 10; i++)
		snprintf(names[i], sizeof names[i], "%s.%s", prefix,
			 topic_keys[i] + 6);
	pw_topics_spec_t spec;
	pw_topics_spec_default(&spec);
	const char **f[] = {&spec.cmd_payin,   &spec.cmd_payout,
			    &spec.cmd_complaint, &spec.int_webhook,
			    &spec.int_state,   &spec.evt_payment,
			    &spec.evt_refund,  &spec.evt_complaint,
			    &spec.evt_report,  &spec.dlq};
	for (int i = 0; i < 10; i++)
		*f[i] = names[i];
	spec.partitions = 1;
	spec.replication_factor = 1;
	pw_topics_report_t rep;
	if (pw_topics_ensure(brokers, NULL, 0, &spec, &rep, eb) != PA_OK) {
		fprintf(stderr, "bench_store: topics: %s\n", eb);
		return 1;
	}
	/* the changelog of N settled orders */
	rd_kafka_t *prod = pwt_producer(brokers);
	double t = now_s();
	for (uint64_t i = 0; i < n; i++) {
		char key[32];
		size_t kl, len;
		char *rec = record(i, key, &kl, &len);
		rd_kafka_resp_err_t err;
		while ((err = rd_kafka_producev(
				prod, RD_KAFKA_V_TOPIC(names[4]),
				RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, kl),
				RD_KAFKA_V_VALUE(rec, len),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
				RD_KAFKA_V_END)) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(prod, 10);
		if (err) {
			fprintf(stderr, "bench_store: produce: %s\n",
				rd_kafka_err2str(err));
			free(rec);
			return 1;
		}
		rd_kafka_poll(prod, 0);
	}
	rd_kafka_flush(prod, 600000);
	rd_kafka_destroy(prod);
	printf("e2e: %llu changelog records produced in %.1f s\n",
	       (unsigned long long)n, now_s() - t);
	char text[4096], conf[512], sdir[4096];
	snprintf(sdir, sizeof sdir, "%s/state", dir);
	int k = snprintf(text, sizeof text,
			 "brokers = %s\ngroup.id = %s\ntopics.partitions = 1\n"
			 "topics.replication.factor = 1\nstate.dir = %s\n"
			 "serialization = json\nlog.format = json\n"
			 "commit.interval = 200ms\n"
			 "kafka.session.timeout.ms = 6000\n"
			 "merchant.demo.pid = BENCH0001\n"
			 "merchant.demo.secret = bench-secret\n"
			 "merchant.demo.base.url = http://127.0.0.1:9\n"
			 "merchant.demo.country = IN\n",
			 brokers, prefix, sdir);
	for (int i = 0; i < 10; i++)
		k += snprintf(text + k, sizeof text - (size_t)k, "%s = %s\n",
			      topic_keys[i], names[i]);
	pwt_procs_write_file("worker.conf", text, conf, sizeof conf);
	int port = free_port();
	double secs, cpu = -1;
	long peak;
	char line[1024];
	pwt_proc_t *w = start(conf, port, &secs, &cpu, &peak, line, sizeof line);
	if (!w || !line[0]) {
		fprintf(stderr, "bench_store: the worker did not restore\n");
		return 1;
	}
	char *m = strstr(line, "restored ");
	unsigned long long rn = 0;
	double rs = 0, rate = 0;
	if (m)
		sscanf(m, "restored %llu records in %lf s (%lf/s)", &rn, &rs,
		       &rate);
	long anon, file;
	mem_of(pwt_proc_pid(w), &anon, &file);
	double disk = pwt_proc_metric(port, "payatom_state_store_bytes");
	double at_rest = pwt_proc_metric(port, "payatom_orders{state=\"at_rest\"}");
	printf("e2e: full restore: %llu records in %.1f s: %.0f records/s "
	       "(ready %.1f s after start; the worker's CPU time from its "
	       "start to the end of the restore %.2f s: %.0f records/s of CPU) "
	       "| anonymous RSS at most %ld kB while restoring | holding %.0f "
	       "settled orders: RSS anonymous %ld kB, file-backed %ld kB | "
	       "store %.0f B/order in use\n",
	       rn, rs, rate, secs, cpu, cpu > 0 ? (double)rn / cpu : 0.0, peak,
	       at_rest, anon, file, at_rest > 0 ? disk / at_rest : 0.0);
	/* SIGKILL, restart on the same state.dir */
	sleep(1); /* a commit tick: the checkpoint is at the end */
	pwt_proc_kill(w);
	pwt_proc_free(w);
	w = start(conf, port, &secs, &cpu, &peak, line, sizeof line);
	if (!w || !line[0]) {
		fprintf(stderr, "bench_store: the restart did not restore\n");
		return 1;
	}
	m = strstr(line, "restored ");
	if (m)
		sscanf(m, "restored %llu records in %lf s (%lf/s)", &rn, &rs,
		       &rate);
	mem_of(pwt_proc_pid(w), &anon, &file);
	printf("e2e: restart after SIGKILL: restored %llu records (the tail "
	       "after the checkpoint) in %.2f s; ready %.1f s after start | "
	       "RSS anonymous %ld kB (at most %ld kB), file-backed %ld kB\n",
	       rn, rs, secs, anon, peak, file);
	pwt_proc_signal(w, SIGTERM);
	pwt_proc_wait(w, 30000, NULL);
	pwt_proc_free(w);
	/* after the worker synced and closed its store: blocks the file
	 * system holds for it (du), not what a running store has reserved */
	long long du_b = du(sdir);
	printf("e2e: disk after shutdown: %.0f B/order (du %lld MB)\n",
	       at_rest > 0 ? (double)du_b / at_rest : 0.0, du_b >> 20);
	pwt_procs_ok();
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n = 1000000;
	const char *dir = NULL, *brokers = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--orders") && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--batch-mb") && i + 1 < argc)
			batch_bytes = strtoull(argv[++i], NULL, 10) << 20;
		else if (!strcmp(argv[i], "--unsorted"))
			sorted_batches = 0; /* one put per record, in arrival order */
		else if (!strcmp(argv[i], "--kafka") && i + 1 < argc)
			brokers = argv[++i];
		else {
			fprintf(stderr,
				"usage: %s [--orders N] [--dir DIR] [--unsorted] [--batch-mb M] "
				"[--kafka BOOTSTRAP]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 1000)
		n = 1000;
	char tmp[64] = "/tmp/bench_store.XXXXXX";
	if (!dir) {
		if (!mkdtemp(tmp))
			return 1;
		dir = tmp;
	}
	int rc = brokers ? end_to_end(n, dir, brokers) : breakdown(n, dir);
	if (dir == tmp) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			rc = 1;
	}
	return rc;
}
