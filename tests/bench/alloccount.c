/* alloccount.c -- an LD_PRELOAD library that counts a process's heap calls
 * for the pipeline benchmark (bench_pipeline --count-allocs).
 * Owns: malloc/calloc/realloc/free/memalign wrappers over glibc's own
 *       __libc_* entry points, and the shared counter page they write.
 * Not here: reading the counters per measured window (benchbin.c).
 *
 * PWB_ALLOC_FILE names a file of sizeof(pwb_alloc_counts_t) bytes (the
 * driver makes it); it is mapped shared, so the driver reads the counts at
 * the start and the end of its measured window without asking the worker.
 * Without PWB_ALLOC_FILE the counts stay in this process. Counting costs
 * one relaxed atomic add per call: a run with it is for counting, not for
 * timing. Not for sanitizer builds (they bring their own malloc). */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloccount.h"

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);

static pwb_alloc_counts_t g_local;
static pwb_alloc_counts_t *g_counts = &g_local;

__attribute__((constructor)) static void pwb_alloc_init(void)
{
	const char *path = getenv("PWB_ALLOC_FILE");
	if (!path || !*path)
		return;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	void *p = mmap(NULL, sizeof *g_counts, PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);
	close(fd);
	if (p != MAP_FAILED)
		g_counts = p;
}

static void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
	count(&g_counts->allocs, 1);
	count(&g_counts->bytes, n);
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	count(&g_counts->allocs, 1);
	count(&g_counts->bytes, n * m);
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	count(p ? &g_counts->reallocs : &g_counts->allocs, 1);
	count(&g_counts->bytes, n);
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (p)
		count(&g_counts->frees, 1);
	__libc_free(p);
}

void *memalign(size_t align, size_t n)
{
	count(&g_counts->allocs, 1);
	count(&g_counts->bytes, n);
	return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	void *p = memalign(align, n);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}
