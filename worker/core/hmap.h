/* hmap.h -- a string-keyed hash map (separate chaining, seeded hash).
 * Owns: bucket array and entries; copies of the keys.
 * Not here: what the values are (callers own them). */
#ifndef PW_HMAP_H
#define PW_HMAP_H

#include <stddef.h>
#include <stdint.h>

#include "payatom/error.h"

typedef struct pw_hmap pw_hmap_t;

/* New map (caller frees with pw_hmap_destroy()). The hash is seeded per map
 * so that keys from the network cannot be chosen to collide. */
pa_err_t pw_hmap_new(pw_hmap_t **out);
/* Frees the map and its key copies, not the values. NULL is a safe no-op. */
void pw_hmap_destroy(pw_hmap_t *m);

/* Value stored under key, or NULL. Borrowed. */
void *pw_hmap_get(const pw_hmap_t *m, const char *key, size_t klen);
/* Stores val under key (key is copied). Replaces and returns through *old
 * (may be NULL) the previous value. */
pa_err_t pw_hmap_put(pw_hmap_t *m, const char *key, size_t klen, void *val,
		     void **old);
/* Removes key; returns its value (caller owns it again) or NULL. */
void *pw_hmap_del(pw_hmap_t *m, const char *key, size_t klen);
size_t pw_hmap_count(const pw_hmap_t *m);

/* Iteration: calls fn for every entry; fn may not modify the map unless it
 * returns PW_HMAP_DELETE for the current entry. Returning PW_HMAP_STOP ends
 * the walk. A NULL map is a safe no-op. */
enum { PW_HMAP_NEXT = 0, PW_HMAP_DELETE = 1, PW_HMAP_STOP = 2 };
typedef int (*pw_hmap_fn)(const char *key, size_t klen, void *val, void *ud);
void pw_hmap_walk(pw_hmap_t *m, pw_hmap_fn fn, void *ud);

#endif
