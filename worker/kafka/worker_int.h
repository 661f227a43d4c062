/* worker_int.h -- what the files of the worker pipeline share.
 * Owns: pw_worker_t, pw_part_t, pw_item_t layouts.
 * Not here: the public API (worker.h). */
#ifndef PW_WORKER_INT_H
#define PW_WORKER_INT_H

#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "core/hmap.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/loop_kafka.h"
#include "orders/event.h"
#include "orders/machine.h"
#include "orders/ordering.h"
#include "orders/state.h"
#include "kafka/headers.h"
#include "kafka/worker.h"


typedef struct pw_part {
	int32_t id;
	int nassigned;      /* input topics assigned with this number */
	int restoring;      /* state changelog being read */
	int paused;         /* back-pressure pause in force */
	int revoking;       /* revoked, handed over once its calls return */
	uint32_t epoch;     /* bumped on revoke: stale work is dropped */
	int inflight;       /* Kafka-sourced items not finished */
	uint8_t assigned[PW_IN_N];
	struct pw_item *deferred; /* heads waiting for the restore */
	pw_offtrack_t off[PW_IN_N];
	int64_t stored[PW_IN_N]; /* last position handed to Kafka */
	/* the local state store (store_sync.c) */
	struct pw_store *store; /* open while the partition is ours */
	int store_private;      /* a fallback store, deleted on close */
	int store_gap;          /* it missed a record: checkpoint stays */
	int64_t store_next;     /* changelog offset its records reach */
	int64_t store_floor;    /* where the last restore ended: a delivery
				   report below it is older than the store */
	int64_t restore_from;   /* checkpoint the restore started at */
	int64_t restore_left;   /* records left to restore (watermark) */
	int64_t restore_t0, restore_log; /* monotonic ms */
	uint64_t restore_n;     /* records read by this restore */
	struct pw_store_bulk *rbatch; /* restore records not yet in the store */
	int64_t rbatch_last;    /* offset of the last record in rbatch */
} pw_part_t;

enum pw_item_kind { PW_ITEM_CMD, PW_ITEM_WEBHOOK, PW_ITEM_POLL };

typedef struct pw_item {
	pw_qlink_t link; /* first member: gate links are cast to items */
	struct pw_item *prev, *next; /* all live items */
	pw_worker_t *w;
	uint8_t kind;
	uint8_t topic; /* PW_IN_*, or PW_IN_N when not from Kafka */
	uint8_t dead;  /* partition revoked: finish silently */
	uint8_t queued_in_gate;
	uint8_t again; /* start the item again once its first writes land */
	uint8_t force; /* poll even a settled order (pw_worker_poll_now) */
	uint8_t call_kind; /* pw_call_kind_t of the call in flight or of
			      the retry waiting */
	uint8_t split; /* exactly-once: event in the open transaction, its
			  state record not yet (the commit waits) */
	uint8_t bounded; /* out_evt is the bounded dead letter of a refused
			    record: refused again, it is dropped */
	int32_t partition;
	uint32_t epoch;
	int64_t offset;
	int pending; /* produce requests awaiting a delivery report */
	int attempts;
	char key[PW_ID_MAX];
	size_t klen;
	json_t *rec;       /* decoded command or webhook, new reference */
	pa_err_t dec_err;  /* why rec is NULL (codec.h errors) */
	char *dec_msg;     /* its precise message, owned; NULL when none */
	void *raw;         /* original bytes (for dead letters) */
	size_t raw_len;
	pw_gw_call_t *call; /* gateway call in flight */
	pw_timer_t *timer;  /* retry backoff */
	/* Outputs awaiting delivery: the event first, then the state record
	 * (at-least-once: a state record never gets ahead of its event). */
	char *out_evt, *out_state; /* encoded bytes */
	char *out_evt_json; /* JSON of out_evt for on_event, owned; NULL when
			       out_evt is that JSON or nobody observes */
	pw_published_t *out_note; /* what out_evt says, for on_published;
				     owned, NULL when nobody counts */
	char skey[PW_ID_MAX + 16]; /* changelog key of out_state */
	size_t sklen;
	size_t out_evt_len, out_state_len;
	const char *out_evt_topic;
	struct pw_item *dnext; /* in pw_part_t.deferred while restoring */
	pw_order_t *ord;
	/* the command record's Kafka headers (a copy; NULL when none) and
	 * those of out_evt (each produce attempt sends a copy) */
	rd_kafka_headers_t *hdrs, *out_evt_hdrs;
} pw_item_t;

struct pw_worker {
	pw_loop_t *loop;
	pw_worker_opts_t o;
	char *strs; /* owned copies of option strings */
	const char *in_topics[PW_IN_N];
	pw_gateway_t *gw;
	pw_machine_conf_t mc; /* the order rules' settings (process.c) */
	pw_hdr_conf_t hdr;    /* headers of what it publishes (headers.h) */

	rd_kafka_t *consumer, *producer, *restorer;
	rd_kafka_queue_t *cq, *pq, *rq;
	pw_kq_t *ckq, *pkq, *rkq;
	int producer_fatal;
	int in_txn;
	/* commit_transaction returned a retriable error (it timed out): the
	 * offsets are in the transaction already and librdkafka wants
	 * commit_transaction alone called again */
	int txn_committing;
	/* exactly-once: while a commit or abort blocks, librdkafka serves
	 * delivery reports from inside it; they wait here and are applied
	 * after it returns, so no work moves (and nothing is produced) while
	 * a transaction is being completed */
	int txn_busy;
	struct pw_dr {
		pw_item_t *it;
		rd_kafka_resp_err_t err;
	} *drq;
	size_t ndrq, cdrq;
	int txn_split;      /* items with split set */
	int txn_held;       /* commit ticks held back by split items */
	int destroying;
	int brokers_down; /* _ALL_BROKERS_DOWN seen, no broker answer since */
	rd_kafka_resp_err_t produce_err; /* of the last refused pw__produce */

	pw_part_t **parts;
	int nparts;
	int assigned_any;
	/* values of the kafka.* credentials, cut out of librdkafka's log
	 * lines (clients.c); borrowed from o.kafka, NULL-terminated */
	const char *kafka_secrets[16];
	int group_idle;

	pw_gate_t *gate;
	pw_hmap_t *orders; /* order key -> pw_order_t*: live orders, and
			      settled ones while work holds them */
	pw_order_t peek; /* pw_worker_order()'s copy of a stored order */
	/* the local state store (store_sync.c): settled orders live there */
	char *state_path;   /* <state.dir>/<group.id>, owned */
	char *cluster_id;   /* owned; "" when the cluster did not say */
	int state_tmp;      /* state_path is our temporary folder */
	unsigned store_private; /* fallback stores made */
	/* exactly-once: state records of the open transaction, key ->
	 * txn_rec_t*, applied to the stores once it commits */
	pw_hmap_t *txn_recs;
	pw_hmap_t *tombs; /* retention tombstones in flight, by key */
	pw_item_t *items;  /* live items list */

	pw_timer_t *commit_timer;
	pw_timer_t *sweep_timer; /* state retention */
	/* drained handover: revoked partitions waiting for their gateway
	 * calls before the unassign (worker.c on_revoke) */
	rd_kafka_topic_partition_list_t *handover;
	pw_timer_t *handover_timer;
	int64_t handover_deadline;
	int paused_all;     /* saturated too long: every partition paused */
	int throttled;      /* saturated: consumer queue left unread */
	pw_timer_t *throttle_timer;
	int64_t inflight;

	int shutting_down;
	void (*shutdown_done)(void *);
	void *shutdown_ud;
	pw_timer_t *shutdown_timer, *deadline_timer;

	pw_worker_stats_t st;
	uint64_t rng;
};

/* Formats a one-line message for the worker's logger (core/log.h). Only
 * identifiers and Kafka/gateway reasons go into it, never secrets or
 * personal data. */
#define PW_LOG(w, lvl, ...)                                                    \
	do {                                                                   \
		if (pw_log_enabled((w)->o.log, (lvl))) {                       \
			char pw__m[512];                                       \
			snprintf(pw__m, sizeof pw__m, __VA_ARGS__);            \
			pw_log((w)->o.log, (lvl), pw__m,                       \
			       PW_KV_STR("component", "worker"));              \
		}                                                              \
	} while (0)

/* ---- shared between the files of kafka/ (pw__ names) ---------------- */

/* worker.c */
pw_part_t *pw__part(pw_worker_t *w, int32_t id, int create);
uint64_t pw__rand(pw_worker_t *w);
int64_t pw__wall_ms(void);

/* clients.c: creates w->producer (transactions initialised when
 * exactly-once), w->consumer and w->restorer. On failure what was created
 * stays in w for pw_worker_destroy(). */
pa_err_t pw__clients_new(pw_worker_t *w, char *errbuf);
/* While every broker is down: one bounded metadata request tells when a
 * broker answers again. */
void pw__brokers_probe(pw_worker_t *w);

/* consume.c */
int pw__serve_consumer(rd_kafka_queue_t *q, void *ud);
/* PW_IN_* of an input topic's name, -1 for any other. */
int pw__topic_index(pw_worker_t *w, const char *topic);
/* Decodes a record of input topic (PW_IN_*): commands with the codec (any
 * framing; plain JSON without one), the internal webhook topic as plain
 * JSON. *rec: new reference, NULL unless PA_OK. Errors as
 * pw_codec_decode() (PA_PARSE for bad JSON or a non-object), with a
 * precise message. */
pa_err_t pw__decode(pw_worker_t *w, int topic, const void *buf, size_t len,
		    json_t **rec, char *errbuf);
void pw__set_paused(pw_worker_t *w, pw_part_t *p, int pause);
void pw__backpressure(pw_worker_t *w);

/* produce.c */
int pw__serve_producer(rd_kafka_queue_t *q, void *ud);
void pw__dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
/* Applies the delivery reports held while a transaction completed. */
void pw__dr_replay(pw_worker_t *w);
/* Produces val with key (and a copy of hdrs, NULL for none) to topic. */
pa_err_t pw__produce(pw_worker_t *w, pw_item_t *it, const char *topic,
		     int32_t partition, const char *key, size_t klen,
		     const void *val, size_t len,
		     const rd_kafka_headers_t *hdrs);

/* commit.c */
void pw__commit_tick(pw_loop_t *loop, pw_timer_t *t, void *ud);
void pw__store_offsets(pw_worker_t *w);
int pw__txn_timeout(const pw_worker_t *w);
/* exactly-once: opens the batch transaction if none is open. */
pa_err_t pw__txn_begin(pw_worker_t *w);
void pw__txn_commit(pw_worker_t *w);
void pw__txn_settle(pw_worker_t *w);

/* restore.c */
int pw__serve_restorer(rd_kafka_queue_t *q, void *ud);
void pw__restore_start(pw_worker_t *w, pw_part_t *p);
void pw__eos_rewind(pw_worker_t *w);

/* group.c */
void pw__rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
		      rd_kafka_topic_partition_list_t *parts, void *op);
void pw__handover_finish(pw_worker_t *w);

/* items.c */
pw_item_t *pw__item_new(pw_worker_t *w, int kind, const char *key,
			size_t klen, int32_t partition);
void pw__item_submit(pw_item_t *it);
void pw__item_finish(pw_item_t *it);
/* Delivery report of one of it's writes (err 0: delivered). */
void pw__item_written(pw_item_t *it, rd_kafka_resp_err_t err);
/* 1 when err is about the record itself (too large, invalid): sending it
 * again fails again. Every other produce error is retried. */
int pw__produce_permanent(rd_kafka_resp_err_t err);
void pw__item_free(pw_item_t *it);
void pw__emit(pw_item_t *it, pw_order_t *ord, json_t *event,
	      const char *topic);
void pw__dead_letter(pw_item_t *it, const char *reason, const char *msg);
void pw__on_message(pw_worker_t *w, rd_kafka_message_t *m, int topic);
void pw__partition_revoked(pw_worker_t *w, pw_part_t *p);
/* Queues an immediate status poll of ord behind its gate (force: even when
 * settled). PA_NOMEM. */
pa_err_t pw__poll_order(pw_worker_t *w, pw_order_t *ord, int force);

/* order_table.c */
/* Holds a new order, a copy of init (keys: pw_order_key()), replacing
 * one of the same key. The held order; NULL when out of memory. */
pw_order_t *pw__order_hold(pw_worker_t *w, const pw_order_t *init);
void pw__order_forget(pw_worker_t *w, pw_order_t *ord);
/* Lets a settled order no item works on go from memory (it is in the
 * state store, or in the open transaction's records). */
void pw__order_rest(pw_worker_t *w, pw_order_t *ord);
/* The order under key (order_key form): live, or read from the state
 * store into a live record. NULL when unknown (or out of memory). */
pw_order_t *pw__order_get(pw_worker_t *w, const char *key, size_t klen);
/* A copy (into *copy, its ext its own: pw_order_release() it) of the
 * order stored under key, live or in the local store, left where it is;
 * copy, or NULL when unknown. */
pw_order_t *pw__order_peek(pw_worker_t *w, const char *key, size_t klen,
			   pw_order_t *copy);
/* Frees every live order (the worker is going away). */
void pw__orders_free(pw_worker_t *w);
/* Forgets the settled orders created before cutoff_ms (wall clock): a
 * tombstone for each goes to the state changelog (store_sync.c). */
void pw__orders_expire(pw_worker_t *w, int64_t cutoff_ms);
/* Forgets every order of partition (revoked). */
void pw__orders_drop(pw_worker_t *w, int32_t partition);
void pw__restore_record(pw_worker_t *w, rd_kafka_message_t *m);
void pw__partition_restored(pw_worker_t *w, pw_part_t *p);

/* Puts a copy of ord (read from the store: an order not settled) among
 * the live orders. PA_NOMEM. */
pa_err_t pw__order_load(pw_worker_t *w, const char *key, size_t klen,
			const pw_order_t *ord, int32_t partition);

/* store_sync.c */
/* Resolves the state folder and the cluster id (pw_worker_new). */
pa_err_t pw__store_init(pw_worker_t *w, char *errbuf);
/* After every partition's store is closed (pw__store_close): removes a
 * temporary folder, frees what pw__store_init made. */
void pw__store_fini(pw_worker_t *w);
/* Opens p's store (if not open) and returns the changelog offset its
 * restore starts at: the checkpoint, or RD_KAFKA_OFFSET_BEGINNING. */
int64_t pw__store_restore_from(pw_worker_t *w, pw_part_t *p);
/* Wipes p's store (stale: its checkpoint is past the changelog's end). */
pa_err_t pw__store_wipe(pw_worker_t *w, pw_part_t *p, const char *why);
void pw__store_restore_record(pw_worker_t *w, pw_part_t *p,
			      rd_kafka_message_t *m);
/* The restore reached end (the changelog's end offset): checkpoint, and
 * the orders not settled go into memory. */
void pw__store_restored(pw_worker_t *w, pw_part_t *p, int64_t end);
/* Delivery report of a state changelog record (any outcome). */
void pw__store_delivered(pw_worker_t *w, const rd_kafka_message_t *m);
/* exactly-once: the transaction committed (1) or was aborted (0). */
void pw__store_txn_end(pw_worker_t *w, int committed);
void pw__store_commit_all(pw_worker_t *w);
void pw__store_close(pw_worker_t *w, pw_part_t *p);
/* The stored order under key (partition -1: any owned), the open
 * transaction's records first. PA_NOT_FOUND. */
pa_err_t pw__store_lookup(pw_worker_t *w, int32_t partition, const char *key,
			  size_t klen, pw_order_t *ord);
/* Tombstones for the settled orders created before cutoff_ms. */
void pw__store_expire(pw_worker_t *w, int64_t cutoff_ms);
/* Adds the stores' figures to st. */
void pw__store_stats(pw_worker_t *w, pw_worker_stats_t *st);

/* process.c */
/* Fills w->mc from the options (the gateway answers has_merchant). */
void pw__machine_conf(pw_worker_t *w);
/* Feeds the item to the order machine and carries out its effects. */
void pw__item_start(pw_item_t *it);
/* ord came back with its restored partition: its poll resumes. */
void pw__order_resume(pw_worker_t *w, pw_order_t *ord, int64_t now_ms);

#endif
