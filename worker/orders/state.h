/* state.h -- the state record of one order and its transitions.
 * Owns: pw_order_t, the transition rule (events only for real transitions),
 *       deterministic event ids, the changelog encoding of a record, the
 *       packed form of a settled order (pw_order_rest_t).
 * Not here: per-key gating (ordering.c), Kafka I/O (worker.c, publisher.c),
 *           the raw -> normalized mapping (libpayatom status.c). */
#ifndef PW_STATE_H
#define PW_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "payatom/status.h"

typedef enum pw_kind {
	PW_KIND_PAYIN = 0,
	PW_KIND_PAYOUT = 1,
	PW_KIND_COMPLAINT = 2,
} pw_kind_t;

/* Where the worker is with the order. */
typedef enum pw_phase {
	PW_PHASE_NEW = 0,      /* nothing sent yet, or the send failed */
	PW_PHASE_ACCEPTED = 1, /* gateway took it: polling until settled */
	PW_PHASE_SETTLED = 2,  /* terminal status seen (later webhooks still
				  apply: Late Approved, refunds) */
	PW_PHASE_LOOKUP = 3,   /* duplicate/unknown outcome: resolving by
				  polling on order_id */
} pw_phase_t;

#define PW_ID_MAX 64
#define PW_REF_MAX 96
#define PW_EVENT_ID_LEN 32
#define PW_PREV_NONE 0xFF

typedef struct pw_order {
	char order_id[PW_ID_MAX];
	char merchant[32];
	char ref_code[PW_REF_MAX];
	char raw_status[40];
	char product[40];
	char currency[4];
	uint8_t kind;  /* pw_kind_t */
	uint8_t phase; /* pw_phase_t */
	uint8_t status; /* pa_status_t */
	uint8_t restored; /* 1 when loaded from the changelog */
	/* status before the latest event (its previous_status), or
	 * PW_PREV_NONE: the first event, or a record of a worker that did
	 * not keep it */
	uint8_t prev;
	int32_t partition;
	uint32_t seq;      /* sequence of the last event published */
	uint32_t attempts; /* gateway send attempts */
	uint32_t polls;
	int64_t amount_minor;
	int64_t received_minor; /* -1 unknown */
	int64_t created_ms;     /* wall clock, epoch ms */
	int64_t next_poll_ms;   /* wall clock, 0 = none */
	int64_t deadline_ms;    /* wall clock: UNRESOLVED after it */
	/* The order's optional part of variable size, as compact JSON text
	 * (pw_order_set_ext): what the order's command gave that events
	 * return or that later commands are compared with (docs/events.md):
	 * "cid" the command_id of the command that created the order, "md"
	 * its metadata, "tp"/"ts" its trace context. NULL when none. Owned by
	 * the storage that holds the order: a struct copy moves it (release
	 * only one of the two), pw_order_release() frees it, pw_order_copy()
	 * duplicates it. Kept in the changelog record ("ext") and the packed
	 * form. */
	char *ext;
	void *owner;            /* runtime: the worker holding it */
	void *rt;               /* runtime: its poll timer; not persisted */
} pw_order_t;

/* Replaces ord->ext with ext (borrowed; NULL or an empty object: none),
 * dumped as compact ASCII JSON. Errors: PA_INVAL (not an object),
 * PA_NOMEM (ord->ext unchanged then). */
pa_err_t pw_order_set_ext(pw_order_t *ord, const json_t *ext);
/* ord->ext parsed: new reference, an empty object when the order has
 * none (or, which cannot happen for text set here, when it does not
 * parse). NULL only on PA_NOMEM. */
json_t *pw_order_ext(const pw_order_t *ord);
/* Frees ord->ext (sets it NULL). The rest of ord is left as it is. */
void pw_order_release(pw_order_t *ord);
/* *dst = *src with its own copy of ext. PA_NOMEM leaves dst->ext NULL. */
pa_err_t pw_order_copy(pw_order_t *dst, const pw_order_t *src);

/* Applies a status observed from the gateway (reply, webhook or poll).
 * Returns 1 when it is a real transition (the caller publishes an event
 * with the new ord->seq), 0 when it is a duplicate or a regression the spec
 * does not allow (suppressed). */
int pw_order_apply(pw_order_t *ord, pa_status_t st, const char *raw);

/* Deterministic event id of the order's transition number seq into st:
 * hex of the first 16 bytes of SHA-256("payatom-event|v1|" ["complaint|"
 * for complaints] merchant "|" order_id "|" seq "|" status name). out gets
 * PW_EVENT_ID_LEN+1 bytes. */
void pw_event_id(const pw_order_t *ord, uint32_t seq, pa_status_t st,
		 char out[PW_EVENT_ID_LEN + 1]);

/* Changelog encoding (compact JSON; a versioned record; "ext" holds the
 * order's ext object when it has one: readers that do not know the key
 * ignore it). New reference. */
json_t *pw_order_to_json(const pw_order_t *ord);
/* The same record serialized: byte for byte what
 * json_dumps(pw_order_to_json(ord), JSON_COMPACT | JSON_ENSURE_ASCII)
 * gives, written directly (one allocation instead of about fifty: this runs
 * on every transition). New string, caller frees; *len gets its length.
 * NULL (and *len = 0) where json_pack would fail too: a field that is not
 * valid UTF-8, or no memory. */
char *pw_order_encode(const pw_order_t *ord, size_t *len);
/* Decodes a changelog record into ord (zeroed first; ord->ext new when
 * the record has one: release it). PA_PARSE when bad. */
pa_err_t pw_order_from_json(const json_t *j, pw_order_t *ord);

/* Decodes the changelog bytes buf[0..len) into ord (zeroed first): the
 * restore's and the state store's path. Records as pw_order_encode()
 * writes them are read directly (no JSON tree: a full restore reads
 * hundreds of thousands a second); anything else (escapes, another field
 * order) goes through jansson and pw_order_from_json(). PA_PARSE when
 * bad. */
pa_err_t pw_order_decode(const void *buf, size_t len, pw_order_t *ord);

const char *pw_kind_name(pw_kind_t k);

/* A settled order at rest: the same record in one allocation sized to its
 * strings (~190 bytes in the benchmark, against sizeof(pw_order_t), 352).
 * The worker keeps settled orders no item is working on this way and
 * unpacks one when work for it arrives (process.c). */
typedef struct pw_order_rest pw_order_rest_t;
/* New packed copy of ord, ext included (runtime fields owner and rt are
 * not kept); NULL when out of memory. Caller frees with free(). *size (may
 * be NULL) gets the bytes allocated. */
pw_order_rest_t *pw_order_pack(const pw_order_t *ord, size_t *size);
/* Bytes of ord's packed form (0 when its ext is over 4 GB). */
size_t pw_order_packed_size(const pw_order_t *ord);
/* The same packed form written into buf (cap bytes; PW_ORDER_PACKED_MAX
 * suffices for an order without an ext, pw_order_packed_size() always):
 * the bytes the state store keeps. Returns the length, 0 when cap is too
 * small. */
#define PW_ORDER_PACKED_MAX 384
size_t pw_order_pack_to(const pw_order_t *ord, void *buf, size_t cap);
/* ord = the packed bytes buf[0..len) (from pw_order_pack_to, any
 * alignment), checked first: PA_PARSE when len does not match the lengths
 * inside or a string is too long or not terminated (a corrupt record);
 * ord->ext a new copy (release it). PA_NOMEM: nothing to release. */
pa_err_t pw_order_unpack_bytes(const void *buf, size_t len, pw_order_t *ord);
/* ord = the record r packs (owner and rt NULL), field for field; ord->ext
 * a new copy (release it). PA_NOMEM: ord->ext NULL, the rest unpacked. */
pa_err_t pw_order_unpack(const pw_order_rest_t *r, pw_order_t *ord);
/* Fields the worker reads without unpacking. */
int32_t pw_order_rest_partition(const pw_order_rest_t *r);
int64_t pw_order_rest_created_ms(const pw_order_rest_t *r);
size_t pw_order_rest_size(const pw_order_rest_t *r);

#endif
