/* demo_report.c -- what `payatom-worker demo` prints, and when it is done.
 * Owns: the event stream (one line per record, event_line.c's), the counts
 *       per topic and status, the completion rule (every order's outcome,
 *       every follow-up's, every order in the status it settles in),
 *       progress while waiting, the summary and its closing line.
 * Not here: the commands (demo_mix.c), the set-up (demo.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "event_line.h"

/* ---- the event stream -------------------------------------------------- */

/* Counts one record of topic under what (a status, reason or report). */
static void count(demo_t *d, const char *topic, const char *what)
{
	json_t *t = json_object_get(d->by_topic, topic);
	if (!t) {
		t = json_pack("{s:i s:{}}", "n", 0, "by");
		json_object_set_new(d->by_topic, topic, t);
	}
	json_t *by = json_object_get(t, "by");
	json_object_set_new(t, "n", json_integer(json_integer_value(
						   json_object_get(t, "n")) +
					   1));
	json_object_set_new(by, what,
			    json_integer(json_integer_value(
						 json_object_get(by, what)) +
					 1));
}

void demo_on_event(void *ud, const char *topic, const char *text)
{
	demo_t *d = ud;
	json_error_t je;
	json_t *ev = json_loads(text, 0, &je);
	if (!ev)
		return;
	const char *oid = json_string_value(json_object_get(ev, "order_id"));
	if (!oid)
		oid = json_string_value(json_object_get(ev, "key"));
	demo_order_t *o = oid ? pw_hmap_get(d->by_id, oid, strlen(oid)) : NULL;
	pw_ev_kind_t kind = pw_event_kind(ev);
	const char *st = json_string_value(json_object_get(ev, "status"));
	if (!o && oid && kind != PW_EV_REPORT && kind != PW_EV_DEAD)
		d->earlier++; /* an order of an earlier run, restored from the
			       * changelog and finished now: printed and in
			       * the records out, not in this run's orders */
	switch (kind) {
	case PW_EV_DEAD: {
		const char *reason =
			json_string_value(json_object_get(ev, "reason"));
		count(d, topic, reason ? reason : "?");
		if (o) {
			/* a dead letter is the outcome of whatever command
			 * it was: the order's, its refund's or complaint's */
			if (!o->terminal)
				o->dead = 1;
			o->terminal = 1;
			if (o->invalid)
				o->settled = 1;
			if (o->refund_sent)
				o->refunded = 1;
			if (o->complaint_sent)
				o->complaint_seen = 1;
		}
		break;
	}
	case PW_EV_REPORT:
		count(d, topic, json_string_value(json_object_get(ev, "report"))
					? json_string_value(
						  json_object_get(ev, "report"))
					: "?");
		break;
	case PW_EV_RECON:
		count(d, topic, json_string_value(json_object_get(ev, "kind"))
					? json_string_value(
						  json_object_get(ev, "kind"))
					: "?");
		break;
	case PW_EV_STATUS:
	case PW_EV_OTHER: {
		const char *type =
			json_string_value(json_object_get(ev, "event_type"));
		const char *ref = json_string_value(json_object_get(ev, "ref_code"));
		count(d, topic, st ? st : "?");
		if (o && st) {
			if (json_is_true(json_object_get(ev, "terminal")))
				o->terminal = 1;
			if (!strcmp(st, "REFUNDED"))
				o->refunded = 1;
			if (type && !strcmp(type, "complaint"))
				o->complaint_seen = 1;
			else
				snprintf(o->last, sizeof o->last, "%s", st);
			if (o->expect && !strcmp(st, o->expect))
				o->settled = 1;
			demo_follow_up(d, o, st, ref);
		}
		break;
	}
	}
	if (!d->quiet) {
		char line[1024];
		printf("  %s\n", pw_event_line(ev, line, sizeof line));
	}
	json_decref(ev);
}

/* ---- completion and progress ------------------------------------------- */

typedef struct tally {
	int outcome;    /* orders with a terminal outcome */
	int settled;    /* orders in the status they settle in */
	int followups;  /* refunds and complaints sent without an outcome */
	int refunds, late; /* still settling: refunds, late approvals */
} tally_t;

static void tally(const demo_t *d, tally_t *t)
{
	memset(t, 0, sizeof *t);
	for (int i = 0; i < d->n; i++) {
		const demo_order_t *o = &d->ord[i];
		t->outcome += o->terminal;
		t->settled += o->terminal && o->settled;
		t->followups += (o->refund_sent && !o->refunded) ||
				(o->complaint_sent && !o->complaint_seen);
		if (o->terminal && !o->settled && o->expect) {
			if (!strcmp(o->expect, "REFUNDED"))
				t->refunds++;
			else if (!strcmp(o->expect, "SUCCEEDED_LATE"))
				t->late++;
		}
	}
}

static void linger_over(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	demo_t *d = ud;
	pw_app_shutdown(&d->app);
}

static void finish(demo_t *d, int done)
{
	d->done = done;
	pw_timer_add(d->app.loop, d->linger_ms, linger_over, d);
}

void demo_check_tick(pw_loop_t *loop, pw_timer_t *t, void *ud)
{
	demo_t *d = ud;
	tally_t ty;
	tally(d, &ty);
	pw_worker_stats_t st;
	pw_worker_stats(d->app.w, &st);
	int outcomes = ty.outcome == d->n && !ty.followups;
	if (outcomes && ty.settled == d->n && st.inflight == 0) {
		printf("demo: all outcomes in, every order settled\n");
		fflush(stdout);
		finish(d, 1);
		return;
	}
	int64_t now = pw_now_ms();
	if (now - d->start_ms > d->max_wait_ms) {
		if (outcomes) {
			printf("demo: all outcomes in; still settling after "
			       "%ld s: %d refund%s, %d late approval%s\n",
			       d->max_wait_ms / 1000, ty.refunds,
			       ty.refunds == 1 ? "" : "s", ty.late,
			       ty.late == 1 ? "" : "s");
			finish(d, 2);
		} else {
			fprintf(stderr, "demo: timed out after %ld s waiting "
					"for outcomes\n",
				d->max_wait_ms / 1000);
			pw_app_shutdown(&d->app);
		}
		fflush(stdout);
		return;
	}
	if (now >= d->next_progress_ms) {
		d->next_progress_ms = now + PROGRESS_MS;
		printf("  ... %.0f s: %d of %d orders have their outcome, %d "
		       "settled%s",
		       (double)(now - d->start_ms) / 1000.0, ty.outcome, d->n,
		       ty.settled, ty.refunds || ty.late ? "; waiting for" : "");
		if (ty.refunds)
			printf(" %d refund%s", ty.refunds,
			       ty.refunds == 1 ? "" : "s");
		if (ty.late)
			printf("%s %d late approval%s", ty.refunds ? "," : "",
			       ty.late, ty.late == 1 ? "" : "s");
		printf("\n");
		fflush(stdout);
	}
	pw_timer_add(loop, 200, demo_check_tick, d);
}

/* ---- summary ------------------------------------------------------------ */

/* "A 3, B 1" from an object of counts, into buf. */
static const char *counts_line(json_t *by, char *buf, size_t size)
{
	size_t n = 0;
	const char *k;
	json_t *v;
	buf[0] = '\0';
	json_object_foreach(by, k, v) {
		int w = snprintf(buf + n, size - n, "%s%s %lld", n ? ", " : "",
				 k, (long long)json_integer_value(v));
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

void demo_summary(demo_t *d)
{
	char line[1024];
	pw_worker_stats_t st;
	pw_worker_stats(d->app.w, &st);
	printf("\n== summary, run %s ===========================================\n",
	       d->run);
	int follow = d->commands_sent - d->commands_at_start;
	int orders = 0, redelivered = d->sent_by_type[T_REDELIVERED];
	for (int i = 0; i < d->n; i++)
		orders += !d->ord[i].invalid;
	printf("  %-26s %5d\n", "commands sent", d->commands_sent);
	printf("    %-24s %5d   %d orders, %d redelivered, %d invalid\n",
	       "at the start", d->commands_at_start, orders, redelivered,
	       d->sent_by_type[T_INVALID]);
	printf("    %-24s %5d   %d utr_submit, %d refund, %d "
	       "complaint_submit\n",
	       "follow-ups from events", follow, d->sent_by_type[T_UTR],
	       d->sent_by_type[T_REFUND], d->sent_by_type[T_COMPLAINT]);

	/* every order's outcome: its last status, or its dead letter */
	json_t *final = json_object();
	int by_event = 0, dead = 0, none = 0, settled = 0;
	for (int i = 0; i < d->n; i++) {
		const demo_order_t *o = &d->ord[i];
		if (!o->terminal)
			none++;
		else if (o->dead)
			dead++;
		else {
			by_event++;
			json_object_set_new(
				final, o->last,
				json_integer(json_integer_value(json_object_get(
						     final, o->last)) +
					     1));
		}
		settled += o->terminal && o->settled;
	}
	printf("  %-26s %5d of %d (%d settled)\n", "orders with an outcome",
	       by_event + dead, d->n, settled);
	printf("    %-24s %5d   %s\n", "an event", by_event,
	       counts_line(final, line, sizeof line));
	json_decref(final);
	json_t *dlq = json_object_get(
		json_object_get(d->by_topic, d->app.wc->topic_dlq), "by");
	printf("    %-24s %5d   %s\n", "a dead letter", dead,
	       dlq ? counts_line(dlq, line, sizeof line) : "");
	if (none)
		printf("    %-24s %5d\n", "none yet", none);

	int total = 0;
	const char *k;
	json_t *v;
	json_object_foreach(d->by_topic, k, v) total +=
		(int)json_integer_value(json_object_get(v, "n"));
	printf("  %-26s %5d\n", "records out", total);
	json_object_foreach(d->by_topic, k, v) {
		printf("    %-24s %5lld   %s\n", k,
		       (long long)json_integer_value(json_object_get(v, "n")),
		       counts_line(json_object_get(v, "by"), line, sizeof line));
	}
	if (d->earlier)
		printf("    %-24s %5d   (restored from the changelog; not "
		       "in this run's orders)\n",
		       "of earlier runs' orders", d->earlier);
	printf("  worker\n");
	printf("    %-24s %5llu\n", "gateway calls",
	       (unsigned long long)st.gw_calls);
	printf("    %-24s %5llu\n", "gateway retries",
	       (unsigned long long)st.gw_retries);
	printf("    %-24s %5llu\n", "status polls", (unsigned long long)st.polls);
	printf("    %-24s %5llu\n", "webhooks applied",
	       (unsigned long long)st.webhooks_in);
	printf("    %-24s %5llu   redelivered commands, updates that changed "
	       "nothing\n",
	       "duplicates suppressed",
	       (unsigned long long)st.duplicates_suppressed);
	printf("    %-24s %5.1f s\n", "duration",
	       (double)(pw_now_ms() - d->start_ms) / 1000.0);
	printf("=================================================================\n");
	if (d->done == 1)
		printf("demo: every command reached its terminal outcome and "
		       "every order settled\n");
	else if (d->done == 2)
		printf("demo: every command reached its terminal outcome; %d "
		       "order%s still settling at the gateway (later events "
		       "follow)\n",
		       d->n - settled, d->n - settled == 1 ? " is" : "s are");
	else
		printf("demo: INCOMPLETE: %d order%s without an outcome after "
		       "%ld s\n",
		       none, none == 1 ? "" : "s", d->max_wait_ms / 1000);
}
