/* event_line.c -- one line a human reads for each record the worker
 *                 publishes (see event_line.h).
 * Owns: the layout of that line and the amount text in it.
 * Not here: decoding records (serde/codec.h), what events contain
 *           (orders/event.h, schemas/). */
#include "event_line.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Appends to buf at *n, never past size - 1 (the line is truncated). */
static void add(char *buf, size_t size, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	if (*n + 1 >= size)
		return;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	*n += (size_t)w < size - *n ? (size_t)w : size - *n - 1;
}

/* " 1500.00 INR" for minor units; every currency the gateway serves
 * (INR, BDT, PKR) has two decimals. */
static void add_amount(char *buf, size_t size, size_t *n, const char *label,
		       const json_t *minor, const char *currency)
{
	if (!json_is_integer(minor))
		return;
	json_int_t v = json_integer_value(minor);
	json_int_t a = v < 0 ? -v : v;
	add(buf, size, n, "  %s%s%" JSON_INTEGER_FORMAT ".%02d%s%s", label,
	    v < 0 ? "-" : "", a / 100, (int)(a % 100), currency ? " " : "",
	    currency ? currency : "");
}

pw_ev_kind_t pw_event_kind(const json_t *ev)
{
	const char *t = str(ev, "event_type");
	if (t && !strcmp(t, "wallet_report"))
		return PW_EV_REPORT;
	if (t && !strcmp(t, "reconciliation"))
		return PW_EV_RECON;
	if (t && !strcmp(t, "dead_letter"))
		return PW_EV_DEAD;
	if (str(ev, "status"))
		return PW_EV_STATUS;
	return PW_EV_OTHER;
}

static void report_line(const json_t *ev, char *buf, size_t size, size_t *n)
{
	const char *cur = str(ev, "currency");
	size_t before = *n;
	add_amount(buf, size, n, "payin balance ",
		   json_object_get(ev, "payin_balance_minor"), cur);
	add_amount(buf, size, n, "payout balance ",
		   json_object_get(ev, "payout_balance_minor"), cur);
	add_amount(buf, size, n, "matured ",
		   json_object_get(ev, "payin_matured_balance_minor"), cur);
	size_t na = json_array_size(json_object_get(ev, "accounts"));
	if (na)
		add(buf, size, n, "  %zu account%s", na, na == 1 ? "" : "s");
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(ev, "summary"), i, row) {
		const char *raw = str(row, "raw_status");
		add(buf, size, n, "  %s %" JSON_INTEGER_FORMAT,
		    raw ? raw : "?",
		    json_integer_value(
			    json_object_get(row, "transaction_count")));
		add_amount(buf, size, n, "= ",
			   json_object_get(row, "received_amount_minor"), NULL);
	}
	const char *reason = str(ev, "reason");
	if (reason && *reason)
		add(buf, size, n, "  %s%s", *n == before ? "" : "-- ", reason);
	else if (*n == before)
		add(buf, size, n, "  (no figures)");
}

char *pw_event_line(const json_t *ev, char *buf, size_t size)
{
	size_t n = 0;
	if (!buf || !size)
		return buf;
	buf[0] = '\0';
	const char *oid = str(ev, "order_id");
	const char *merchant = str(ev, "merchant");
	switch (pw_event_kind(ev)) {
	case PW_EV_STATUS: {
		const char *st = str(ev, "status");
		const char *raw = str(ev, "raw_status");
		const char *cur = str(ev, "currency");
		add(buf, size, &n, "%-10s %-16s %-16s", str(ev, "event_type"),
		    oid ? oid : "-", st);
		add_amount(buf, size, &n, "", json_object_get(ev, "amount_minor"),
			   cur);
		const json_t *rcv = json_object_get(ev, "received_amount_minor");
		if (json_is_integer(rcv) && json_integer_value(rcv) != 0 &&
		    json_integer_value(rcv) !=
			    json_integer_value(json_object_get(ev, "amount_minor")))
			add_amount(buf, size, &n, "received ", rcv, cur);
		if (raw && *raw)
			add(buf, size, &n, "  \"%s\"", raw);
		if (json_is_true(json_object_get(ev, "terminal")))
			add(buf, size, &n, "  terminal");
		const char *reason = str(ev, "reason");
		if (reason && *reason)
			add(buf, size, &n, "  reason: %s", reason);
		const char *link = str(ev, "payment_link");
		if (link && *link)
			add(buf, size, &n, "  link=%s", link);
		break;
	}
	case PW_EV_REPORT: {
		const char *rep = str(ev, "report");
		add(buf, size, &n, "%-10s %-16s %-16s", "report",
		    merchant ? merchant : "-", rep ? rep : "?");
		report_line(ev, buf, size, &n);
		break;
	}
	case PW_EV_RECON: {
		const char *kind = str(ev, "kind");
		const char *prev = str(ev, "previous_status");
		const char *st = str(ev, "status");
		const char *raw = str(ev, "raw_status");
		add(buf, size, &n, "%-10s %-16s %-16s", "recon",
		    oid ? oid : "-", kind ? kind : "?");
		add(buf, size, &n, "  %s%s%s", prev ? prev : "",
		    prev ? " -> " : "", st ? st : "?");
		if (raw && *raw)
			add(buf, size, &n, "  \"%s\"", raw);
		const char *date = str(ev, "report_date");
		if (date)
			add(buf, size, &n, "  report of %s", date);
		break;
	}
	case PW_EV_DEAD: {
		const char *reason = str(ev, "reason");
		const char *msg = str(ev, "message");
		const char *topic = str(ev, "topic");
		add(buf, size, &n, "%-10s %-16s %-16s", "dead",
		    oid ? oid : "-", reason ? reason : "?");
		if (msg)
			add(buf, size, &n, "  %s", msg);
		if (topic)
			add(buf, size, &n, "  (from %s/%" JSON_INTEGER_FORMAT
					   "@%" JSON_INTEGER_FORMAT ")",
			    topic,
			    json_integer_value(json_object_get(ev, "partition")),
			    json_integer_value(json_object_get(ev, "offset")));
		break;
	}
	case PW_EV_OTHER: {
		const char *t = str(ev, "event_type");
		const char *type = str(ev, "type");
		add(buf, size, &n, "%-10s %-16s", t ? t : type ? type : "record",
		    oid ? oid : merchant ? merchant : "-");
		break;
	}
	}
	/* column padding of a short line */
	while (n && buf[n - 1] == ' ')
		buf[--n] = '\0';
	return buf;
}
