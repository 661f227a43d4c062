/* it_leader_kill_real.c -- the partition leader of a three-node cluster
 * (replication factor 3, min.insync.replicas 2) kill -9'd mid-stream and
 * restarted (issue 8 item 4): the worker (at_least_once, the default)
 * recovers without a restart and loses nothing.
 * kafka-fixture: cluster3
 *
 * Real broker only (PAYATOM_TEST_KAFKA=real; CTest's kafka_it_leader_kill_real
 * twin on its own three-node cluster, per the fixture line above); exits 77
 * (skipped) otherwise. Knobs: PAYATOM_CRASH_COMMANDS (6000),
 * PAYATOM_EOS_SEED. Prints one line of counts. */
#include "eos_rig.h"

START_TEST(test_leader_kill9_no_loss)
{
	unsigned seed = eos_seed();
	int n = (int)eos_env_long("PAYATOM_CRASH_COMMANDS", 6000);
	rig_t r;
	eos_rig_init(&r, "lkill", n, 3, "at_least_once", NULL, NULL);
	int64_t t0 = pwt_now_ms();
	eos_send(&r, 0, n / 2);
	pwt_proc_t *w = eos_worker_start(&r, 0, NULL);
	int64_t end = pwt_now_ms() + pwt_ms(60000);
	while (eos_settled(&r, NULL) < n / 10 && pwt_now_ms() < end)
		eos_poll(&r, 100);
	char args[512], leader[64] = "";
	snprintf(args, sizeof args, "leader %s 0", r.topic[ET_EVT_PAYMENT]);
	ck_assert_int_eq(eos_harness_run(&r, args, 30000, leader, sizeof leader),
			 0);
	int node = atoi(leader);
	ck_assert_int_gt(node, 0);
	/* the second half arrives while the leader is away */
	int at_kill = eos_settled(&r, NULL);
	snprintf(args, sizeof args, "kill9 %d", node);
	ck_assert_int_eq(eos_harness_run(&r, args, 30000, NULL, 0), 0);
	int64_t killed = pwt_now_ms();
	eos_send(&r, n / 2, n);
	eos_poll(&r, 5000);
	ck_assert_msg(pwt_proc_alive(w), "the worker died with the leader (%s)",
		      pwt_proc_err_path(w));
	snprintf(args, sizeof args, "leader %s 0", r.topic[ET_EVT_PAYMENT]);
	char leader2[64] = "";
	eos_harness_run(&r, args, 30000, leader2, sizeof leader2);
	snprintf(args, sizeof args, "restart %d", node);
	ck_assert_int_eq(eos_harness_run(&r, args, 120000, NULL, 0), 0);
	double down = (double)(pwt_now_ms() - killed) / 1000;
	eos_wait_settled(&r, 180000);
	eos_poll(&r, 3000);
	ck_assert_msg(pwt_proc_alive(w), "the worker exited (%s)",
		      pwt_proc_err_path(w));
	ck_assert_int_eq(eos_worker_stop(w, 30000), 0);
	eos_poll(&r, 1000);
	int multi = 0, settled = eos_settled(&r, &multi);
	printf("lkill: cluster3 commands %d leader of %s[0] node %d kill -9 at "
	       "settled %d (new leader %s), down %.1f s; terminal_outcomes %d "
	       "losses %d duplicates %ld (same event_id %ld, other event_id "
	       "%ld) worker restarts 0 seed %u took %.1f s\n",
	       n, "evt.payment", node, at_kill, leader2, down, settled,
	       n - settled, r.t.dup_eid + r.t.dup_seq, r.t.dup_eid,
	       r.t.dup_seq, seed, (double)(pwt_now_ms() - t0) / 1000);
	fflush(stdout);
	ck_assert_int_lt(at_kill, n);
	ck_assert_int_eq(settled, n);
	ck_assert_int_eq(multi, 0);
	ck_assert_int_eq(r.t.dup_seq, 0);
	ck_assert_int_eq(r.t.dup_eid_diff, 0);
	ck_assert_int_eq(r.t.regressions, 0);
	ck_assert_int_eq(r.t.wrong_status, 0);
	ck_assert_int_eq(r.t.dlq, 0);
	pwt_proc_free(w);
	eos_rig_fini(&r);
}
END_TEST

int main(void)
{
	const eos_case_t cases[] = {
		{"leader_kill9", test_leader_kill9_no_loss, 600}, {NULL, NULL, 0}};
	return eos_main("leader_kill_real", cases);
}
