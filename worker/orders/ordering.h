/* ordering.h -- per-key gating inside one worker, and per-partition offsets.
 * Owns: key -> FIFO of pending work (pw_gate_t); the lowest unfinished
 *       offset of each partition (pw_offtrack_t).
 * Not here: what the work is (worker.c), state transitions (state.c),
 *           retries (retry.c). */
#ifndef PW_ORDERING_H
#define PW_ORDERING_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"

/* Embedded in each unit of work. */
typedef struct pw_qlink {
	struct pw_qlink *next;
} pw_qlink_t;

typedef struct pw_gate pw_gate_t;

/* New gate (caller frees with pw_gate_destroy()). */
pa_err_t pw_gate_new(pw_gate_t **out);
/* Frees the gate's queues, not the queued items. NULL is a safe no-op. */
void pw_gate_destroy(pw_gate_t *g);

/* Appends item to key's queue. *run is set to 1 when the item is now the
 * head of its queue (the caller starts it at once), 0 when it waits for the
 * items before it. */
pa_err_t pw_gate_push(pw_gate_t *g, const char *key, size_t klen,
		      pw_qlink_t *item, int *run);
/* The head item of key finished: removes it and returns the next item of
 * the same key (which the caller starts now), or NULL. */
pw_qlink_t *pw_gate_done(pw_gate_t *g, const char *key, size_t klen);
/* Forgets key's queue without touching its items (the caller frees them):
 * used when the key's partition is revoked. */
void pw_gate_drop(pw_gate_t *g, const char *key, size_t klen);
/* Number of keys with work. */
size_t pw_gate_keys(const pw_gate_t *g);

/* Offsets of one partition, added in increasing order and finished in any
 * order. The committable position is the lowest unfinished offset, or one
 * past the highest added offset when all are finished. */
typedef struct pw_offtrack {
	int64_t *off;   /* ring of added offsets, ascending */
	uint8_t *done;  /* parallel ring of done flags */
	size_t cap, head, n;
	int64_t next;       /* one past the highest offset added, -1 = none */
	int64_t committed;  /* last position handed out by _committable */
} pw_offtrack_t;

void pw_offtrack_init(pw_offtrack_t *t);
void pw_offtrack_free(pw_offtrack_t *t);
/* Records offset as in progress. Offsets must increase; an offset at or
 * below the previous one (a rewind after a seek) resets the tracker. */
pa_err_t pw_offtrack_add(pw_offtrack_t *t, int64_t offset);
/* Marks offset finished. PA_NOT_FOUND when it was never added. */
pa_err_t pw_offtrack_done(pw_offtrack_t *t, int64_t offset);
/* Position to commit (next offset to consume), or -1 when nothing was ever
 * added. */
int64_t pw_offtrack_position(const pw_offtrack_t *t);
/* Number of offsets in progress. */
size_t pw_offtrack_pending(const pw_offtrack_t *t);

#endif
