/* command.c -- see command.h.
 * Owns: the content digest of a command, the "command" keys of an
 *       order's ext and the event details kept for an answer.
 * Not here: the ext's text and storage (state.c). */
#include "orders/command.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payatom/crypto.h"

/* Fields that are no content of a create: envelope ids, and what the
 * state record keeps itself (compared directly). Of a follow-up: the
 * envelope ids only (its type is content: a refund is no UTR). */
static const char *const create_skip[] = {
	"type",	    "command_id", "order_id",	  "created_at",
	"merchant", "product",	  "amount_minor", "currency", NULL,
};
static const char *const followup_skip[] = {"command_id", "order_id",
					    "created_at", NULL};

static int is_content(const char *const *skip, const char *field)
{
	for (size_t i = 0; skip[i]; i++)
		if (!strcmp(field, skip[i]))
			return 0;
	return 1;
}

/* 8 hex digits of SHA-256 of the value's canonical JSON (keys sorted):
 * a field whose value is the same gives the same digest whatever the
 * framing the command came in. */
static int digest(const json_t *v, char out[9])
{
	char *txt = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
					  JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	if (!txt)
		return 0;
	char full[PA_SHA256_HEX_LEN + 1];
	pa_part_t part = {txt, strlen(txt)};
	pa_sha256_hex(&part, 1, full);
	free(txt);
	memcpy(out, full, 8);
	out[8] = '\0';
	return 1;
}

/* {field: digest} of rec's content fields that are set (null and absent
 * are the same: no value). New reference, NULL on no memory. */
static json_t *digests(const json_t *rec, const char *const *skip)
{
	json_t *fh = json_object();
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)rec, k, v)
	{
		char d[9];
		if (!fh || json_is_null(v) || !is_content(skip, k))
			continue;
		if (!digest(v, d) || json_object_set_new(fh, k, json_string(d))) {
			json_decref(fh);
			return NULL;
		}
	}
	return fh;
}

pa_err_t pw_order_keep_command(pw_order_t *ord, const json_t *rec,
			       const pw_cmd_src_t *src, const char *tp,
			       const char *ts)
{
	json_t *ext = pw_order_ext(ord);
	json_t *fh = digests(rec, create_skip);
	if (!ext || !fh) {
		json_decref(ext);
		json_decref(fh);
		return PA_NOMEM;
	}
	json_t *cid = json_object_get(rec, "command_id");
	json_t *md = json_object_get(rec, "metadata");
	if (json_is_string(cid))
		json_object_set(ext, "cid", cid);
	if (json_is_object(md) && json_object_size(md))
		json_object_set(ext, "md", md);
	if (tp && *tp)
		json_object_set_new(ext, "tp", json_string(tp));
	if (ts && *ts)
		json_object_set_new(ext, "ts", json_string(ts));
	if (src)
		json_object_set_new(ext, "src",
				    json_pack("[i, i, I]", src->topic,
					      (int)src->partition,
					      (json_int_t)src->offset));
	json_object_set_new(ext, "fh", fh);
	pa_err_t err = pw_order_set_ext(ord, ext);
	json_decref(ext);
	return err;
}

/* Appends name to the diff list. */
static void differs(char *diff, size_t size, size_t *used, const char *name)
{
	if (!size || *used >= size - 1)
		return;
	int n = snprintf(diff + *used, size - *used, "%s%s",
			 *used ? ", " : "", name);
	if (n > 0)
		*used += (size_t)n < size - *used ? (size_t)n : size - 1 - *used;
}

static int same_src(const json_t *s, const pw_cmd_src_t *src)
{
	return src && src->offset >= 0 && json_array_size(s) == 3 &&
	       json_integer_value(json_array_get(s, 0)) == src->topic &&
	       json_integer_value(json_array_get(s, 1)) == src->partition &&
	       json_integer_value(json_array_get(s, 2)) == src->offset;
}

/* The fields of rec whose digest is not in fh, and those of fh rec
 * lacks, appended to diff. */
static void diff_digests(const json_t *fh, const json_t *rec,
			 const char *const *skip, char *diff, size_t size,
			 size_t *used);

pw_cmd_match_t pw_order_match_command(const pw_order_t *ord, int kind,
				      const json_t *rec,
				      const pw_cmd_src_t *src, char *diff,
				      size_t size)
{
	json_t *ext = pw_order_ext(ord);
	const json_t *fh = json_object_get(ext, "fh");
	if (size)
		diff[0] = '\0';
	if (!json_is_object(fh)) {
		json_decref(ext);
		return PW_CMD_UNKNOWN;
	}
	if (same_src(json_object_get(ext, "src"), src)) {
		json_decref(ext);
		return PW_CMD_REDELIVERED;
	}
	size_t used = 0;
	/* what the state keeps itself */
	const char *m = json_string_value(json_object_get(rec, "merchant"));
	const char *p = json_string_value(json_object_get(rec, "product"));
	const char *c = json_string_value(json_object_get(rec, "currency"));
	json_t *a = json_object_get(rec, "amount_minor");
	if (kind != ord->kind)
		differs(diff, size, &used, "type");
	if (!m || strcmp(m, ord->merchant))
		differs(diff, size, &used, "merchant");
	if (!p || strcmp(p, ord->product))
		differs(diff, size, &used, "product");
	if (!json_is_integer(a) || json_integer_value(a) != ord->amount_minor)
		differs(diff, size, &used, "amount_minor");
	/* currency defaults to the product's: only a named one can differ */
	if (c && *c && strncmp(c, ord->currency, sizeof ord->currency))
		differs(diff, size, &used, "currency");
	/* the rest by digest, fields on either side */
	diff_digests(fh, rec, create_skip, diff, size, &used);
	json_decref(ext);
	return used ? PW_CMD_DIFFERENT : PW_CMD_SAME;
}

static void diff_digests(const json_t *fh, const json_t *rec,
			 const char *const *skip, char *diff, size_t size,
			 size_t *used)
{
	json_t *now = digests(rec, skip);
	const char *k;
	json_t *v;
	json_object_foreach(now, k, v)
	{
		const char *was = json_string_value(json_object_get(fh, k));
		if (!was || strcmp(was, json_string_value(v)))
			differs(diff, size, used, k);
	}
	json_object_foreach((json_t *)fh, k, v)
		if (!json_object_get(now, k))
			differs(diff, size, used, k);
	json_decref(now);
}

pa_err_t pw_order_keep_followup(pw_order_t *ord, const json_t *rec,
				const pw_cmd_src_t *src)
{
	const char *cid = json_string_value(json_object_get(rec, "command_id"));
	if (!cid || !*cid)
		return PA_OK; /* nothing to know it again by */
	json_t *ext = pw_order_ext(ord);
	json_t *fh = digests(rec, followup_skip);
	json_t *fu = ext ? json_object_get(ext, "fu") : NULL;
	if (!json_is_object(fu) && ext) {
		fu = json_object();
		json_object_set_new(ext, "fu", fu);
	}
	if (!ext || !fh || !fu) {
		json_decref(ext);
		json_decref(fh);
		return PA_NOMEM;
	}
	/* the newest last: the oldest goes beyond the bound */
	json_object_del(fu, cid);
	while (json_object_size(fu) >= PW_FOLLOWUPS_KEPT) {
		void *it = json_object_iter(fu);
		json_object_del(fu, json_object_iter_key(it));
	}
	json_t *one = json_pack("{s:o}", "fh", fh);
	if (one && src)
		json_object_set_new(one, "src",
				    json_pack("[i, i, I]", src->topic,
					      (int)src->partition,
					      (json_int_t)src->offset));
	pa_err_t err = one && !json_object_set_new(fu, cid, one)
			       ? pw_order_set_ext(ord, ext)
			       : PA_NOMEM;
	json_decref(ext);
	return err;
}

pw_cmd_match_t pw_order_match_followup(const pw_order_t *ord,
				       const json_t *rec,
				       const pw_cmd_src_t *src, char *diff,
				       size_t size)
{
	const char *cid = json_string_value(json_object_get(rec, "command_id"));
	if (size)
		diff[0] = '\0';
	if (!cid || !*cid || !ord->ext || !strstr(ord->ext, "\"fu\":"))
		return PW_CMD_UNKNOWN;
	json_t *ext = pw_order_ext(ord);
	const json_t *one = json_object_get(json_object_get(ext, "fu"), cid);
	const json_t *fh = json_object_get(one, "fh");
	pw_cmd_match_t m = PW_CMD_UNKNOWN;
	if (json_is_object(fh)) {
		size_t used = 0;
		if (same_src(json_object_get(one, "src"), src))
			m = PW_CMD_REDELIVERED;
		else {
			diff_digests(fh, rec, followup_skip, diff, size, &used);
			m = used ? PW_CMD_DIFFERENT : PW_CMD_SAME;
		}
	}
	json_decref(ext);
	return m;
}

/* The event fields the state record does not hold. */
static const char *const detail_fields[] = {
	"payment_link", "qr_code",		  "wallet_id",
	"redirect_url", "intents",		  "bank_ref",
	"requested_amount_minor", "received_amount_minor", "refund",
	"command_id",	"complaint_id",		  "reason",
};

pa_err_t pw_order_keep_event(pw_order_t *ord, const json_t *ev)
{
	json_t *d = json_object();
	if (!d)
		return PA_NOMEM;
	for (size_t i = 0; i < sizeof detail_fields / sizeof detail_fields[0];
	     i++) {
		json_t *v = json_object_get(ev, detail_fields[i]);
		if (v && !json_is_null(v))
			json_object_set(d, detail_fields[i], v);
	}
	/* payment events' command_id is the cause's, not a detail */
	const char *type = json_string_value(json_object_get(ev, "event_type"));
	if (type && !strcmp(type, "payment"))
		json_object_del(d, "command_id");
	if (!json_object_size(d) && (!ord->ext || !strstr(ord->ext, "\"d\":"))) {
		json_decref(d);
		return PA_OK; /* nothing kept, nothing to remove */
	}
	json_t *ext = pw_order_ext(ord);
	if (!ext) {
		json_decref(d);
		return PA_NOMEM;
	}
	if (json_object_size(d))
		json_object_set_new(ext, "d", d);
	else {
		json_object_del(ext, "d");
		json_decref(d);
	}
	pa_err_t err = pw_order_set_ext(ord, ext);
	json_decref(ext);
	return err;
}

json_t *pw_order_event_details(const pw_order_t *ord)
{
	if (!ord->ext)
		return NULL;
	json_t *ext = pw_order_ext(ord);
	json_t *d = json_incref(json_object_get(ext, "d"));
	json_decref(ext);
	return d;
}
