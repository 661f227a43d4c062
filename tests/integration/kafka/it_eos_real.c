/* it_eos_real.c -- exactly-once on the real broker (issue 8 item 2): a
 * worker in processing.guarantee=exactly_once SIGKILLed at random moments
 * and restarted while it processes N payins with gateway latency and
 * webhooks, then a read_committed consumer finds every order with exactly
 * one terminal outcome and no transition published twice; and a worker
 * paused (SIGSTOP) past its session timeout while another takes over is
 * fenced: nothing it writes after SIGCONT is committed.
 *
 * Real broker only (PAYATOM_TEST_KAFKA=real; CTest's kafka_it_eos_real
 * twin on its own single broker); exits 77 (skipped) otherwise.
 * Knobs: PAYATOM_EOS_COMMANDS (default 20000), PAYATOM_EOS_KILLS (5),
 * PAYATOM_EOS_SEED (time). Every test prints one line of counts. */
#include "eos_rig.h"

START_TEST(test_eos_kill9_exactly_one_outcome)
{
	unsigned seed = eos_seed();
	int n = (int)eos_env_long("PAYATOM_EOS_COMMANDS", 20000);
	int kills = (int)eos_env_long("PAYATOM_EOS_KILLS", 5);
	rig_t r;
	eos_rig_init(&r, "eos", n, 1, "exactly_once", NULL, NULL);
	/* a stable transactional.id per worker slot (the deployment the
	 * README recommends: a StatefulSet's pod name): a restarted worker
	 * fences its predecessor and aborts its open transaction at once */
	char tid[200];
	snprintf(tid, sizeof tid, "kafka.transactional.id=%s-slot0", r.group);
	const char *opts[] = {tid, NULL};
	int done = 0;
	int64_t ms = eos_kill_run(&r, kills, &done, opts);
	int multi = 0, settled = eos_settled(&r, &multi);
	json_t *c = eos_sandbox_counters(&r);
	printf("eos: exactly_once commands %d kills %d terminal_outcomes %d "
	       "multi_outcomes %d duplicates %ld (same event_id %ld, same "
	       "order+sequence %ld) losses %d regressions %ld dlq %ld "
	       "webhooks_acknowledged %ld records %ld orders_created %ld seed %u "
	       "took %.1f s\n",
	       n, done, settled, multi, r.t.dup_eid + r.t.dup_seq, r.t.dup_eid,
	       r.t.dup_seq, n - settled, r.t.regressions, r.t.dlq,
	       eos_jint(c, "webhooks", "acknowledged"), r.t.records,
	       eos_jint(c, "orders_created", NULL), seed, (double)ms / 1000);
	fflush(stdout);
	ck_assert_int_ge(done, kills);
	ck_assert_int_eq(settled, n);
	ck_assert_int_eq(multi, 0);
	/* no transition published twice. Printed: produces librdkafka
	 * refused as outside the transaction's state -- before delivery
	 * reports were held during commits, work they released produced
	 * while a commit was under way (hundreds per run under load), an
	 * event could land in one transaction and its state record in the
	 * next, and a kill between the two commits published it twice.
	 * Now only an abortable transaction refuses (and is aborted). */
	printf("eos: produces refused by the transaction state %ld\n",
	       r.txn_refused);
	ck_assert_int_eq(r.t.dup_eid, 0);
	ck_assert_int_eq(r.t.dup_seq, 0);
	ck_assert_int_eq(r.t.regressions, 0);
	ck_assert_int_eq(r.t.wrong_status, 0);
	ck_assert_int_eq(r.t.dlq, 0);
	ck_assert_int_eq(r.t.foreign, 0);
	ck_assert_int_eq(eos_jint(c, "orders_created", NULL), n);
	/* outcomes came through the worker's webhook ingress too */
	ck_assert_int_gt(eos_jint(c, "webhooks", "acknowledged"), 0);
	json_decref(c);
	eos_rig_fini(&r);
}
END_TEST

/* A worker paused (SIGSTOP) past its session timeout while a second one
 * takes its partitions over, then resumed (SIGCONT): the group has moved
 * on, so its transaction (whose offsets carry the old generation) can no
 * longer commit -- nothing it writes after the resume is committed. The
 * read_committed output shows each transition once; what the zombie wrote
 * is visible to a read_uncommitted reader only (aborted). */
START_TEST(test_eos_paused_worker_is_fenced)
{
	unsigned seed = eos_seed();
	int n = (int)eos_env_long("PAYATOM_EOS_FENCE_COMMANDS", 4000);
	rig_t r;
	eos_rig_init(&r, "fence", n, 1, "exactly_once", NULL, NULL);
	char tid0[200], tid1[200];
	snprintf(tid0, sizeof tid0, "kafka.transactional.id=%s-slot0", r.group);
	snprintf(tid1, sizeof tid1, "kafka.transactional.id=%s-slot1", r.group);
	/* a 2 s transaction: the zombie is stopped with one open, which
	 * holds read_committed readers (the second worker's restore
	 * included) back until the broker aborts it: 10 s, as Kafka
	 * Streams does, instead of the worker's 60 s default */
	const char *o0[] = {tid0, "commit.interval=2s",
			    "kafka.transaction.timeout.ms=10000", NULL},
		   *o1[] = {tid1, "commit.interval=2s",
			    "kafka.transaction.timeout.ms=10000", NULL};
	int64_t t0 = pwt_now_ms();
	/* a quarter first; a burst the first worker is stopped in the middle
	 * of (300 ms after it: created at the gateway, PENDING events in
	 * the open transaction, webhooks due); the rest while it is stopped */
	int burst = n / 4 + 200;
	eos_send(&r, 0, n / 4);
	pwt_proc_t *a = eos_worker_start(&r, 0, o0);
	int64_t end = pwt_now_ms() + pwt_ms(60000);
	while (eos_settled(&r, NULL) < n / 4 && pwt_now_ms() < end)
		eos_poll(&r, 100);
	eos_send(&r, n / 4, burst);
	eos_poll(&r, 300);
	int at_stop = eos_settled(&r, NULL);
	ck_assert_int_eq(at_stop, n / 4);
	ck_assert_int_eq(pwt_proc_signal(a, SIGSTOP), 0);
	int64_t stopped = pwt_now_ms();
	eos_send(&r, burst, n);
	pwt_proc_t *b = eos_worker_start(&r, 1, o1);
	/* b takes over once a's session (6 s) expired: output moves on */
	end = pwt_now_ms() + pwt_ms(60000);
	while (eos_settled(&r, NULL) <= burst && pwt_now_ms() < end)
		eos_poll(&r, 100);
	int taken = eos_settled(&r, NULL);
	ck_assert_msg(taken > at_stop, "second worker made no progress");
	/* b works on a while longer, then the zombie wakes up */
	eos_poll(&r, eos_rand_ms(1000, 4000));
	long paused_ms = (long)(pwt_now_ms() - stopped);
	ck_assert_int_eq(pwt_proc_signal(a, SIGCONT), 0);
	int64_t resumed = pwt_now_ms();
	/* the zombie finds out: fatal (exit 1) or an aborted transaction */
	end = pwt_now_ms() + pwt_ms(30000);
	while (pwt_now_ms() < end && pwt_proc_alive(a) &&
	       pwt_proc_count_log(a, "exactly-once: ") == 0)
		eos_poll(&r, 100);
	char fence_line[1024] = "";
	pwt_proc_wait_log(a, "exactly-once: ", fence_line, sizeof fence_line,
			  100);
	eos_wait_settled(&r, 180000);
	eos_poll(&r, 3000);
	/* the zombie's own account of its transactions */
	char murl[128], *mtext = NULL;
	snprintf(murl, sizeof murl, "http://127.0.0.1:%d/metrics", r.wport[0]);
	if (pwt_proc_alive(a) &&
	    pwt_proc_http(NULL, murl, NULL, &mtext, 3000) == 200 && mtext) {
		for (char *l = strtok(mtext, "\n"); l; l = strtok(NULL, "\n"))
			if (strstr(l, "payatom_transactions_total{") ||
			    strstr(l, "rebalance"))
				printf("fence: zombie metric %s\n", l);
	}
	free(mtext);
	int a_status = -1;
	if (pwt_proc_alive(a))
		a_status = eos_worker_stop(a, 20000);
	else
		ck_assert(pwt_proc_wait(a, 1000, &a_status)),
			a_status = WIFEXITED(a_status) ? WEXITSTATUS(a_status)
						       : 128 + WTERMSIG(a_status);
	long a_commit_fail = pwt_proc_count_log(a, "commit failed");
	long a_fatal = pwt_proc_count_log(a, "failed fatally");
	ck_assert_int_eq(eos_worker_stop(b, 20000), 0);
	eos_poll(&r, 2000);
	long uncommitted = eos_count_uncommitted(&r, r.topic[ET_EVT_PAYMENT]);
	long committed = r.t.records - r.t.dlq;
	int multi = 0, settled = eos_settled(&r, &multi);
	printf("fence: commands %d paused %.1f s (settled %d at SIGSTOP, "
	       "%d when the second worker took over) zombie exit %d "
	       "commit_failed %ld fatal %ld; read_committed payment records "
	       "%ld, read_uncommitted %ld (aborted %ld); terminal_outcomes %d "
	       "multi %d duplicates %ld losses %d seed %u took %.1f s\n",
	       n, (double)paused_ms / 1000, at_stop, taken, a_status,
	       a_commit_fail, a_fatal, committed, uncommitted,
	       uncommitted - committed, settled, multi,
	       r.t.dup_eid + r.t.dup_seq, n - settled, seed,
	       (double)(pwt_now_ms() - t0) / 1000);
	printf("fence: zombie's line after %.1f s: %s\n",
	       (double)(pwt_now_ms() - resumed) / 1000, fence_line);
	fflush(stdout);
	/* the zombie noticed and did not commit */
	/* the zombie's open transaction was aborted by the broker at its
	 * timeout (the second worker could not restore before): its producer
	 * is fenced, it says so and exits 1; without an open transaction at
	 * SIGSTOP, its next commit fails on the group generation instead
	 * (aborted, rewound) */
	ck_assert_msg((a_fatal > 0 && a_status == 1) || a_commit_fail > 0,
		      "the resumed worker was not fenced (exit %d, see %s)",
		      a_status, pwt_proc_err_path(a));
	ck_assert_int_eq(settled, n);
	ck_assert_int_eq(multi, 0);
	ck_assert_int_eq(r.t.dup_eid, 0);
	ck_assert_int_eq(r.t.dup_seq, 0);
	ck_assert_int_eq(r.t.regressions, 0);
	ck_assert_int_eq(r.t.wrong_status, 0);
	ck_assert_int_eq(r.t.dlq, 0);
	pwt_proc_free(a);
	pwt_proc_free(b);
	eos_rig_fini(&r);
}
END_TEST

/* A restarted StatefulSet pod: the new process is given the same
 * kafka.transactional.id as the old one, which hangs (SIGSTOP) with a
 * transaction open. The new one's init_transactions fences the old one and
 * aborts its transaction at once, so it takes over after the group's
 * session (6 s) instead of waiting for the open transaction's timeout
 * (60 s here) to release the group's offsets and the read_committed
 * readers. The old process, resumed, finds itself fenced and exits 1;
 * every order has one outcome, none twice. */
START_TEST(test_eos_same_transactional_id_fences_the_old_process)
{
	unsigned seed = eos_seed();
	int n = (int)eos_env_long("PAYATOM_EOS_FENCE_COMMANDS", 4000);
	rig_t r;
	eos_rig_init(&r, "sametid", n, 1, "exactly_once", NULL, NULL);
	char tid[200];
	snprintf(tid, sizeof tid, "kafka.transactional.id=%s-pod-0", r.group);
	const char *o[] = {tid, "commit.interval=2s",
			   "kafka.transaction.timeout.ms=60000", NULL};
	int64_t t0 = pwt_now_ms();
	int burst = n / 4 + 200;
	eos_send(&r, 0, n / 4);
	pwt_proc_t *a = eos_worker_start(&r, 0, o);
	int64_t end = pwt_now_ms() + pwt_ms(60000);
	while (eos_settled(&r, NULL) < n / 4 && pwt_now_ms() < end)
		eos_poll(&r, 100);
	eos_send(&r, n / 4, burst);
	eos_poll(&r, 300); /* a transaction is open with the burst's work */
	int at_stop = eos_settled(&r, NULL);
	ck_assert_int_eq(pwt_proc_signal(a, SIGSTOP), 0);
	eos_send(&r, burst, n);
	int64_t started = pwt_now_ms();
	pwt_proc_t *b = eos_worker_start(&r, 1, o);
	end = pwt_now_ms() + pwt_ms(120000);
	while (eos_settled(&r, NULL) <= burst && pwt_now_ms() < end)
		eos_poll(&r, 100);
	long takeover_ms = (long)(pwt_now_ms() - started);
	int taken = eos_settled(&r, NULL);
	ck_assert_int_eq(pwt_proc_signal(a, SIGCONT), 0);
	/* the old process learns it is fenced: fatal, exit 1 */
	int a_status = -1;
	end = pwt_now_ms() + pwt_ms(30000);
	while (pwt_now_ms() < end && pwt_proc_alive(a))
		eos_poll(&r, 100);
	if (pwt_proc_alive(a))
		a_status = eos_worker_stop(a, 20000);
	else
		ck_assert(pwt_proc_wait(a, 1000, &a_status)),
			a_status = WIFEXITED(a_status) ? WEXITSTATUS(a_status)
						       : 128 + WTERMSIG(a_status);
	long a_fenced = pwt_proc_count_log(a, "fenced");
	eos_wait_settled(&r, 180000);
	eos_poll(&r, 3000);
	ck_assert_int_eq(eos_worker_stop(b, 20000), 0);
	eos_poll(&r, 2000);
	int multi = 0, settled = eos_settled(&r, &multi);
	printf("sametid: commands %d, settled %d at SIGSTOP; the new process "
	       "with the same transactional.id made progress after %.1f s "
	       "(settled %d; the old one's transaction timeout is 60 s); old "
	       "process exit %d, 'fenced' lines %ld; terminal_outcomes %d "
	       "multi %d duplicates %ld losses %d seed %u took %.1f s\n",
	       n, at_stop, (double)takeover_ms / 1000, taken, a_status,
	       a_fenced, settled, multi, r.t.dup_eid + r.t.dup_seq,
	       n - settled, seed, (double)(pwt_now_ms() - t0) / 1000);
	fflush(stdout);
	ck_assert_msg(taken > burst, "the new process made no progress");
	/* fenced at once: well before the open transaction's 60 s timeout
	 * would have released the offsets (group session 6 s + restore) */
	ck_assert_int_lt(takeover_ms, 45000);
	ck_assert_msg(a_status == 1 && a_fenced > 0,
		      "the old process was not fenced (exit %d, see %s)",
		      a_status, pwt_proc_err_path(a));
	ck_assert_int_eq(settled, n);
	ck_assert_int_eq(multi, 0);
	ck_assert_int_eq(r.t.dup_eid, 0);
	ck_assert_int_eq(r.t.dup_seq, 0);
	ck_assert_int_eq(r.t.regressions, 0);
	ck_assert_int_eq(r.t.dlq, 0);
	pwt_proc_free(a);
	pwt_proc_free(b);
	eos_rig_fini(&r);
}
END_TEST

int main(void)
{
	const eos_case_t cases[] = {
		{"eos_fence", test_eos_paused_worker_is_fenced, 600},
		{"eos_same_tid", test_eos_same_transactional_id_fences_the_old_process,
		 600},
		{"eos_kill9", test_eos_kill9_exactly_one_outcome, 900},
		{NULL, NULL, 0}};
	return eos_main("eos_real", cases);
}
