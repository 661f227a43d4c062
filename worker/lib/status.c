/* status.c -- the normalized status model of status.h.
 * Owns: raw gateway string -> pa_status_t (spec §4), status names, the
 *       terminal/paid predicates and the transition table.
 * Not here: where statuses come from (webhook.c, api_payin.c), what the
 *           worker does on a transition (orders/state.c). */
#include <ctype.h>
#include <string.h>

#include "payatom/status.h"

static const char *const names[PA__STATUS_COUNT] = {
#define PA__STATUS_NAME(name) #name,
	PA_STATUS_MAP(PA__STATUS_NAME)
#undef PA__STATUS_NAME
};

/* spec §4: every documented raw string. The current docs [D] list the first
 * eight; "No Matching Payment for UTR", "Refund Initiated" and "Refund
 * Completed" come from the older docs [P] (§12.9: they may still occur). */
static const struct {
	const char *raw;
	pa_status_t st;
} rawtab[] = {
	{"Approved", PA_STATUS_SUCCEEDED},
	{"Late Approved", PA_STATUS_SUCCEEDED_LATE},
	{"Declined", PA_STATUS_DECLINED},
	{"Pending", PA_STATUS_PENDING},
	{"User Timed Out", PA_STATUS_EXPIRED},
	{"Cancelled", PA_STATUS_CANCELLED},
	{"Failed", PA_STATUS_FAILED},
	{"Amount Mismatch", PA_STATUS_AMOUNT_MISMATCH},
	{"No Matching Payment for UTR", PA_STATUS_UNMATCHED},
	{"Refund Initiated", PA_STATUS_REFUND_PENDING},
	{"Refund Completed", PA_STATUS_REFUNDED},
};
#define NRAW (sizeof(rawtab) / sizeof(rawtab[0]))

/* Equal after dropping every whitespace byte and folding ASCII case:
 * "late approved", "LateApproved" and " Late  Approved " all match. */
static int loose_eq(const char *a, size_t alen, const char *b)
{
	size_t i = 0;
	for (;;) {
		while (i < alen && isspace((unsigned char)a[i]))
			i++;
		while (*b && isspace((unsigned char)*b))
			b++;
		if (i == alen || !*b)
			return i == alen && !*b;
		if (tolower((unsigned char)a[i]) != tolower((unsigned char)*b))
			return 0;
		i++;
		b++;
	}
}

pa_status_t pa_status_from_raw(const char *raw, size_t len)
{
	if (!raw)
		return PA_STATUS_UNRESOLVED;
	for (size_t i = 0; i < NRAW; i++)
		if (strlen(rawtab[i].raw) == len &&
		    memcmp(rawtab[i].raw, raw, len) == 0)
			return rawtab[i].st;
	/* An embedded NUL is never a documented string. */
	if (memchr(raw, '\0', len))
		return PA_STATUS_UNRESOLVED;
	for (size_t i = 0; i < NRAW; i++)
		if (loose_eq(raw, len, rawtab[i].raw))
			return rawtab[i].st;
	return PA_STATUS_UNRESOLVED;
}

const char *pa_status_name(pa_status_t st)
{
	if ((unsigned)st >= PA__STATUS_COUNT)
		return "UNRESOLVED";
	return names[st];
}

pa_err_t pa_status_from_name(const char *name, pa_status_t *out)
{
	if (!name || !out)
		return PA_INVAL;
	for (int i = 0; i < PA__STATUS_COUNT; i++)
		if (strcmp(names[i], name) == 0) {
			*out = (pa_status_t)i;
			return PA_OK;
		}
	return PA_INVAL;
}

int pa_status_is_terminal(pa_status_t st)
{
	switch (st) {
	case PA_STATUS_SUCCEEDED:
	case PA_STATUS_SUCCEEDED_LATE:
	case PA_STATUS_DECLINED:
	case PA_STATUS_FAILED:
	case PA_STATUS_EXPIRED:	  /* reopens only as SUCCEEDED_LATE */
	case PA_STATUS_UNMATCHED: /* idem */
	case PA_STATUS_AMOUNT_MISMATCH:
	case PA_STATUS_CANCELLED:
	case PA_STATUS_REFUNDED:
		return 1;
	case PA_STATUS_INITIATED:
	case PA_STATUS_PENDING:
	case PA_STATUS_REFUND_PENDING:
	case PA_STATUS_UNRESOLVED: /* needs polling or an operator */
	case PA__STATUS_COUNT:
		return 0;
	}
	return 0;
}

int pa_status_is_paid(pa_status_t st)
{
	switch (st) {
	case PA_STATUS_SUCCEEDED:
	case PA_STATUS_SUCCEEDED_LATE:
	case PA_STATUS_AMOUNT_MISMATCH: /* paid, act on received_amount (§4) */
		return 1;
	case PA_STATUS_INITIATED:
	case PA_STATUS_PENDING:
	case PA_STATUS_DECLINED:
	case PA_STATUS_FAILED:
	case PA_STATUS_EXPIRED:
	case PA_STATUS_UNMATCHED:
	case PA_STATUS_CANCELLED:
	case PA_STATUS_REFUND_PENDING:
	case PA_STATUS_REFUNDED:
	case PA_STATUS_UNRESOLVED:
	case PA__STATUS_COUNT:
		return 0;
	}
	return 0;
}

/* The direct edges (one gateway step). Sources:
 *  - INITIATED -> anything: our own state before the gateway answered; the
 *    first answer may already be final.
 *  - PENDING -> SUCCEEDED, DECLINED, EXPIRED [D §4]; -> UNMATCHED [P §4];
 *    -> CANCELLED, FAILED, AMOUNT_MISMATCH (the current status list [D]
 *    has them; the only earlier state they can follow is Pending).
 *  - EXPIRED -> SUCCEEDED_LATE [D]; UNMATCHED -> SUCCEEDED_LATE [P].
 *  - DECLINED -> REFUND_PENDING -> REFUNDED [P]; SUCCEEDED, SUCCEEDED_LATE and
 *    AMOUNT_MISMATCH -> REFUND_PENDING [INF]: refunds (§7) are of money
 *    received, so they follow the paid statuses too.
 *  - INITIATED/PENDING/REFUND_PENDING -> UNRESOLVED (unknown raw status or
 *    polling deadline passed: every status an order can wait in must be
 *    able to end there, or a refund still pending at its deadline would
 *    never be reported), UNRESOLVED -> any gateway status (resolution by
 *    poll/recon). */
static int direct_edge(pa_status_t f, pa_status_t t)
{
	switch (f) {
	case PA_STATUS_INITIATED:
		return 1;
	case PA_STATUS_PENDING:
		return t == PA_STATUS_SUCCEEDED || t == PA_STATUS_DECLINED ||
		       t == PA_STATUS_EXPIRED || t == PA_STATUS_UNMATCHED ||
		       t == PA_STATUS_CANCELLED || t == PA_STATUS_FAILED ||
		       t == PA_STATUS_AMOUNT_MISMATCH ||
		       t == PA_STATUS_UNRESOLVED;
	case PA_STATUS_EXPIRED:
	case PA_STATUS_UNMATCHED:
		return t == PA_STATUS_SUCCEEDED_LATE;
	case PA_STATUS_DECLINED:
	case PA_STATUS_SUCCEEDED:
	case PA_STATUS_SUCCEEDED_LATE:
	case PA_STATUS_AMOUNT_MISMATCH:
		return t == PA_STATUS_REFUND_PENDING;
	case PA_STATUS_REFUND_PENDING:
		return t == PA_STATUS_REFUNDED || t == PA_STATUS_UNRESOLVED;
	case PA_STATUS_UNRESOLVED:
		return t != PA_STATUS_INITIATED;
	case PA_STATUS_FAILED:
	case PA_STATUS_CANCELLED:
	case PA_STATUS_REFUNDED:
	case PA__STATUS_COUNT:
		return 0;
	}
	return 0;
}

/* can_move is the transitive closure of direct_edge: a webhook can be lost and
 * a poll sees only the latest status, so PENDING -> SUCCEEDED_LATE (missed
 * "User Timed Out") or SUCCEEDED -> REFUNDED (missed "Refund Initiated") are
 * real observations. No path leads back, except through UNRESOLVED, which
 * means "we do not know" rather than a gateway state. */
int pa_status_can_move(pa_status_t from, pa_status_t to)
{
	if ((unsigned)from >= PA__STATUS_COUNT ||
	    (unsigned)to >= PA__STATUS_COUNT || from == to)
		return 0;
	if (from == PA_STATUS_UNRESOLVED || from == PA_STATUS_INITIATED)
		return to != PA_STATUS_INITIATED;
	unsigned char seen[PA__STATUS_COUNT] = {0};
	pa_status_t stack[PA__STATUS_COUNT];
	size_t sp = 0;
	stack[sp++] = from;
	seen[from] = 1;
	while (sp) {
		pa_status_t cur = stack[--sp];
		for (int n = 0; n < PA__STATUS_COUNT; n++) {
			/* UNRESOLVED is not a gateway step: do not walk through
			 * it, or every state would reach every other. */
			if (seen[n] || !direct_edge(cur, (pa_status_t)n))
				continue;
			if (n == (int)to)
				return 1;
			seen[n] = 1;
			if (n != PA_STATUS_UNRESOLVED)
				stack[sp++] = (pa_status_t)n;
		}
	}
	return 0;
}
