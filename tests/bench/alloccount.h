/* alloccount.h -- the counters alloccount.c (an LD_PRELOAD library) keeps in
 * a shared file page, read by the benchmark's driver (benchbin.c).
 * Owns: the layout of that page.
 * Not here: counting (alloccount.c), the per-window difference (benchbin.c). */
#ifndef PWB_ALLOCCOUNT_H
#define PWB_ALLOCCOUNT_H

#include <stdint.h>

typedef struct pwb_alloc_counts {
	uint64_t allocs;   /* malloc, calloc, realloc(NULL), memalign */
	uint64_t reallocs; /* realloc of a block */
	uint64_t frees;	   /* free of a block (not of NULL) */
	uint64_t bytes;	   /* bytes asked for by all of them */
} pwb_alloc_counts_t;

#endif
