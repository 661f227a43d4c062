/* check_state.c -- the order record: its direct changelog encoding. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "orders/state.h"
#include "pwtest.h"

static json_t *vectors(void)
{
	size_t len = 0;
	char *txt = pwt_read_data("state/encode.json", &len);
	ck_assert_ptr_nonnull(txt);
	json_error_t err;
	json_t *v = json_loadb(txt, len, 0, &err);
	free(txt);
	ck_assert_msg(v != NULL, "encode.json: %s", err.text);
	return v;
}

static void fill(pw_order_t *o, const json_t *j)
{
	memset(o, 0, sizeof *o);
#define STR(f, k) \
	snprintf(o->f, sizeof o->f, "%s", json_string_value(json_object_get(j, k)))
#define NUM(k) json_integer_value(json_object_get(j, k))
	STR(order_id, "order_id");
	STR(merchant, "merchant");
	STR(ref_code, "ref_code");
	STR(raw_status, "raw");
	STR(product, "product");
	STR(currency, "currency");
	o->kind = (uint8_t)NUM("kind");
	o->status = (uint8_t)NUM("status");
	o->phase = (uint8_t)NUM("phase");
	o->seq = (uint32_t)NUM("seq");
	o->attempts = (uint32_t)NUM("attempts");
	o->polls = (uint32_t)NUM("polls");
	o->partition = (int32_t)NUM("partition");
	o->amount_minor = NUM("amount");
	o->received_minor = NUM("received");
	o->created_ms = NUM("created");
	o->next_poll_ms = NUM("next_poll");
	o->deadline_ms = NUM("deadline");
#undef STR
#undef NUM
}

/* jansson's own rendering of the record, NULL when json_pack refuses it */
static char *reference(const pw_order_t *o)
{
	json_t *j = pw_order_to_json(o);
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	return s;
}

START_TEST(test_state_encode_matches_jansson_byte_for_byte)
{
	json_t *v = vectors();
	json_t *orders = json_object_get(v, "orders");
	ck_assert_uint_gt(json_array_size(orders), 0);
	size_t i;
	json_t *oj;
	json_array_foreach(orders, i, oj)
	{
		pw_order_t o;
		fill(&o, oj);
		char *want = reference(&o);
		ck_assert_msg(want != NULL, "vector %zu: json_pack failed", i);
		size_t len = 0;
		char *got = pw_order_encode(&o, &len);
		ck_assert_msg(got != NULL, "vector %zu: encode failed", i);
		ck_assert_str_eq(got, want);
		ck_assert_uint_eq(len, strlen(want));
		free(want);
		free(got);
	}
	json_decref(v);
}
END_TEST

START_TEST(test_state_encode_round_trips_through_the_decoder)
{
	json_t *v = vectors();
	size_t i;
	json_t *oj;
	json_array_foreach(json_object_get(v, "orders"), i, oj)
	{
		pw_order_t o, back;
		fill(&o, oj);
		size_t len = 0;
		char *s = pw_order_encode(&o, &len);
		ck_assert_ptr_nonnull(s);
		json_t *j = json_loadb(s, len, 0, NULL);
		ck_assert_ptr_nonnull(j);
		if (o.status >= PA__STATUS_COUNT) {
			/* an out-of-range status is written under its name */
			ck_assert_str_eq(
				json_string_value(json_object_get(j, "status")),
				pa_status_name((pa_status_t)o.status));
		} else {
			ck_assert_int_eq(pw_order_from_json(j, &back), PA_OK);
			ck_assert_str_eq(back.order_id, o.order_id);
			ck_assert_str_eq(back.merchant, o.merchant);
			ck_assert_str_eq(back.ref_code, o.ref_code);
			ck_assert_str_eq(back.raw_status, o.raw_status);
			ck_assert_int_eq(back.seq, o.seq);
			ck_assert_int_eq(back.amount_minor, o.amount_minor);
			ck_assert_int_eq(back.deadline_ms, o.deadline_ms);
		}
		json_decref(j);
		free(s);
	}
	json_decref(v);
}
END_TEST

/* A packed order at rest unpacks to the same record, field for field (the
 * changelog bytes it would write are the same), and its size follows its
 * strings. Every vector, plus every string field at its longest. */
static void pack_round_trip(const pw_order_t *o)
{
	size_t size = 0;
	pw_order_rest_t *r = pw_order_pack(o, &size);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(size, pw_order_rest_size(r));
	ck_assert_int_eq(pw_order_rest_partition(r), o->partition);
	ck_assert_int_eq(pw_order_rest_created_ms(r), o->created_ms);
	pw_order_t back;
	memset(&back, 0x5a, sizeof back);
	pw_order_unpack(r, &back);
	free(r);
	ck_assert_ptr_null(back.owner);
	ck_assert_ptr_null(back.rt);
	pw_order_t want = *o;
	want.owner = want.rt = NULL;
	size_t a = 0, b = 0;
	char *ea = pw_order_encode(&want, &a), *eb = pw_order_encode(&back, &b);
	if (ea) {
		ck_assert_ptr_nonnull(eb);
		ck_assert_uint_eq(a, b);
		ck_assert_int_eq(memcmp(ea, eb, a), 0);
	}
	free(ea);
	free(eb);
	ck_assert_str_eq(back.order_id, o->order_id);
	ck_assert_str_eq(back.merchant, o->merchant);
	ck_assert_str_eq(back.ref_code, o->ref_code);
	ck_assert_str_eq(back.raw_status, o->raw_status);
	ck_assert_str_eq(back.product, o->product);
	ck_assert_int_eq(memcmp(back.currency, o->currency, 4), 0);
	ck_assert_int_eq(back.kind, o->kind);
	ck_assert_int_eq(back.phase, o->phase);
	ck_assert_int_eq(back.status, o->status);
	ck_assert_int_eq(back.restored, o->restored);
	ck_assert_int_eq(back.partition, o->partition);
	ck_assert_uint_eq(back.seq, o->seq);
	ck_assert_uint_eq(back.attempts, o->attempts);
	ck_assert_uint_eq(back.polls, o->polls);
	ck_assert_int_eq(back.amount_minor, o->amount_minor);
	ck_assert_int_eq(back.received_minor, o->received_minor);
	ck_assert_int_eq(back.created_ms, o->created_ms);
	ck_assert_int_eq(back.next_poll_ms, o->next_poll_ms);
	ck_assert_int_eq(back.deadline_ms, o->deadline_ms);
}

START_TEST(test_state_pack_unpacks_to_the_same_record)
{
	json_t *v = vectors();
	size_t i;
	json_t *oj;
	json_array_foreach(json_object_get(v, "orders"), i, oj)
	{
		pw_order_t o;
		fill(&o, oj);
		o.restored = (uint8_t)(i & 1);
		pack_round_trip(&o);
	}
	json_decref(v);
	/* every string at its longest */
	pw_order_t o;
	memset(&o, 0, sizeof o);
	memset(o.order_id, 'o', sizeof o.order_id - 1);
	memset(o.merchant, 'm', sizeof o.merchant - 1);
	memset(o.ref_code, 'r', sizeof o.ref_code - 1);
	memset(o.raw_status, 'w', sizeof o.raw_status - 1);
	memset(o.product, 'p', sizeof o.product - 1);
	memcpy(o.currency, "INR", 4);
	o.seq = 7;
	o.amount_minor = -1;
	o.received_minor = INT64_MAX;
	o.deadline_ms = INT64_MIN;
	pack_round_trip(&o);
	/* a short record packs well under the live size */
	memset(&o, 0, sizeof o);
	snprintf(o.order_id, sizeof o.order_id, "ORD-0000001");
	snprintf(o.merchant, sizeof o.merchant, "m1");
	snprintf(o.ref_code, sizeof o.ref_code, "RC9f8e7d6c5b4a");
	snprintf(o.raw_status, sizeof o.raw_status, "Approved");
	snprintf(o.product, sizeof o.product, "PAYIN_UPI_P2C_SEAMLESS");
	size_t size = 0;
	pw_order_rest_t *r = pw_order_pack(&o, &size);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_lt(size, sizeof(pw_order_t) / 2);
	free(r);
}
END_TEST

/* The order's ext (state.h): kept in the changelog record byte for byte as
 * jansson writes it, read back, packed and unpacked with the record,
 * copied and released; a record without one (an older worker's) reads as
 * none, a malformed one is refused. */
START_TEST(test_state_ext_travels_with_the_record)
{
	json_t *ext = json_pack(
		"{s:s s:{s:s s:s} s:s s:s}", "cid", "c-7f3a",
		"md", "cart_id", "cart-8812", "note", "caf\xc3\xa9 \xe0\xa4\xb9 \"q\"",
		"tp", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"ts", "congo=t61rcWkgMzE");
	json_t *v = vectors();
	size_t i;
	json_t *oj;
	json_array_foreach(json_object_get(v, "orders"), i, oj)
	{
		pw_order_t o, back;
		fill(&o, oj);
		if (o.status >= PA__STATUS_COUNT)
			continue;
		ck_assert_int_eq(pw_order_set_ext(&o, ext), PA_OK);
		ck_assert_ptr_nonnull(o.ext);
		char *want = reference(&o);
		size_t len = 0;
		char *got = pw_order_encode(&o, &len);
		if (!want) { /* vectors json_pack refuses */
			ck_assert_ptr_null(got);
			pw_order_release(&o);
			continue;
		}
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, want);
		json_t *j = json_loadb(got, len, 0, NULL);
		ck_assert_int_eq(pw_order_from_json(j, &back), PA_OK);
		ck_assert_str_eq(back.ext, o.ext);
		json_t *bext = pw_order_ext(&back);
		ck_assert(json_equal(bext, ext));
		json_decref(bext);
		pw_order_release(&back);
		/* packed and unpacked */
		size_t size = 0;
		pw_order_rest_t *r = pw_order_pack(&o, &size);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(size, pw_order_rest_size(r));
		ck_assert_uint_gt(size, strlen(o.ext));
		ck_assert_int_eq(pw_order_unpack(r, &back), PA_OK);
		free(r);
		ck_assert_str_eq(back.ext, o.ext);
		char *again = pw_order_encode(&back, &len);
		ck_assert_str_eq(again, want);
		free(again);
		/* a copy owns its own text */
		pw_order_t c;
		ck_assert_int_eq(pw_order_copy(&c, &back), PA_OK);
		ck_assert_ptr_ne(c.ext, back.ext);
		pw_order_release(&back);
		ck_assert_ptr_null(back.ext);
		ck_assert_str_eq(c.ext, o.ext);
		pw_order_release(&c);
		/* no ext key: an older worker's record */
		json_object_del(j, "ext");
		ck_assert_int_eq(pw_order_from_json(j, &back), PA_OK);
		ck_assert_ptr_null(back.ext);
		json_t *none = pw_order_ext(&back);
		ck_assert_uint_eq(json_object_size(none), 0);
		json_decref(none);
		json_object_set_new(j, "ext", json_string("x"));
		ck_assert_int_eq(pw_order_from_json(j, &back), PA_PARSE);
		json_decref(j);
		free(got);
		free(want);
		pw_order_release(&o);
	}
	/* an empty object is none; anything else is refused */
	pw_order_t o;
	memset(&o, 0, sizeof o);
	json_t *empty = json_object();
	ck_assert_int_eq(pw_order_set_ext(&o, ext), PA_OK);
	ck_assert_int_eq(pw_order_set_ext(&o, empty), PA_OK);
	ck_assert_ptr_null(o.ext);
	json_t *arr = json_array();
	ck_assert_int_eq(pw_order_set_ext(&o, arr), PA_INVAL);
	json_decref(arr);
	json_decref(empty);
	json_decref(ext);
	json_decref(v);
}
END_TEST

static void unhex(const char *h, char *out, size_t size)
{
	size_t n = strlen(h) / 2;
	ck_assert_uint_lt(n, size);
	for (size_t i = 0; i < n; i++) {
		unsigned b;
		ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &b), 1);
		out[i] = (char)b;
	}
	out[n] = '\0';
}

START_TEST(test_state_encode_refuses_invalid_utf8_like_json_pack)
{
	json_t *v = vectors();
	pw_order_t base;
	fill(&base, json_array_get(json_object_get(v, "orders"), 0));
	size_t i;
	json_t *hj;
	json_array_foreach(json_object_get(v, "invalid_utf8_hex"), i, hj)
	{
		char bad[16];
		unhex(json_string_value(hj), bad, sizeof bad);
		/* in a field at the start, the middle and the end of the
		 * record */
		for (int f = 0; f < 3; f++) {
			pw_order_t o = base;
			char *dst = f == 0 ? o.order_id
				    : f == 1 ? o.ref_code : o.currency;
			size_t dsz = f == 0 ? sizeof o.order_id
				     : f == 1 ? sizeof o.ref_code
					      : sizeof o.currency;
			snprintf(dst, dsz, "%s", bad);
			if (strlen(dst) != strlen(bad))
				continue; /* does not fit (currency) */
			char *want = reference(&o);
			ck_assert_msg(want == NULL, "%s: jansson accepts it",
				      json_string_value(hj));
			size_t len = 1;
			char *got = pw_order_encode(&o, &len);
			ck_assert_msg(got == NULL, "%s in field %d accepted",
				      json_string_value(hj), f);
			ck_assert_uint_eq(len, 0);
		}
	}
	json_decref(v);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("encode_matches_jansson");
	tcase_add_test(tc, test_state_encode_matches_jansson_byte_for_byte);
	suite_add_tcase(s, tc);
	tc = tcase_create("encode_round_trips");
	tcase_add_test(tc, test_state_encode_round_trips_through_the_decoder);
	suite_add_tcase(s, tc);
	tc = tcase_create("pack");
	tcase_add_test(tc, test_state_pack_unpacks_to_the_same_record);
	tcase_add_test(tc, test_state_ext_travels_with_the_record);
	suite_add_tcase(s, tc);
	tc = tcase_create("encode_invalid_utf8");
	tcase_add_test(tc, test_state_encode_refuses_invalid_utf8_like_json_pack);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return pwt_run_suite(suite());
}
