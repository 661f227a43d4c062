/* hmap.c -- see hmap.h. Chaining keeps deletes simple and pointers to values
 * stable; the table doubles at load factor 1. */
#include "core/hmap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

struct ent {
	struct ent *next;
	void *val;
	uint64_t h;
	size_t klen;
	char key[]; /* klen bytes + NUL */
};

struct pw_hmap {
	struct ent **b;
	size_t nb; /* power of two */
	size_t n;
	uint64_t seed;
};

/* FNV-1a over the key mixed with a per-map seed, finished with a
 * splitmix64 round so low bits are usable as a bucket index. */
static uint64_t hash(uint64_t seed, const char *k, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ seed;
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)k[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

pa_err_t pw_hmap_new(pw_hmap_t **out)
{
	pw_hmap_t *m = calloc(1, sizeof *m);
	if (!m)
		return PA_NOMEM;
	m->nb = 64;
	m->b = calloc(m->nb, sizeof *m->b);
	if (!m->b) {
		free(m);
		return PA_NOMEM;
	}
	if (getrandom(&m->seed, sizeof m->seed, GRND_NONBLOCK) !=
	    (ssize_t)sizeof m->seed)
		m->seed = (uint64_t)(uintptr_t)m * 0x9e3779b97f4a7c15ULL;
	*out = m;
	return PA_OK;
}

void pw_hmap_destroy(pw_hmap_t *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nb; i++) {
		struct ent *e = m->b[i];
		while (e) {
			struct ent *nx = e->next;
			free(e);
			e = nx;
		}
	}
	free(m->b);
	free(m);
}

static struct ent **find(const pw_hmap_t *m, uint64_t h, const char *k,
			 size_t len)
{
	struct ent **pp = &m->b[h & (m->nb - 1)];
	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->h == h && (*pp)->klen == len &&
		    memcmp((*pp)->key, k, len) == 0)
			return pp;
	return pp;
}

void *pw_hmap_get(const pw_hmap_t *m, const char *key, size_t klen)
{
	struct ent **pp = find(m, hash(m->seed, key, klen), key, klen);
	return *pp ? (*pp)->val : NULL;
}

static void grow(pw_hmap_t *m)
{
	size_t nb = m->nb * 2;
	struct ent **b = calloc(nb, sizeof *b);
	if (!b)
		return; /* keep working with longer chains */
	for (size_t i = 0; i < m->nb; i++) {
		struct ent *e = m->b[i];
		while (e) {
			struct ent *nx = e->next;
			e->next = b[e->h & (nb - 1)];
			b[e->h & (nb - 1)] = e;
			e = nx;
		}
	}
	free(m->b);
	m->b = b;
	m->nb = nb;
}

pa_err_t pw_hmap_put(pw_hmap_t *m, const char *key, size_t klen, void *val,
		     void **old)
{
	uint64_t h = hash(m->seed, key, klen);
	struct ent **pp = find(m, h, key, klen);
	if (*pp) {
		if (old)
			*old = (*pp)->val;
		(*pp)->val = val;
		return PA_OK;
	}
	if (old)
		*old = NULL;
	struct ent *e = malloc(sizeof *e + klen + 1);
	if (!e)
		return PA_NOMEM;
	e->h = h;
	e->klen = klen;
	e->val = val;
	memcpy(e->key, key, klen);
	e->key[klen] = '\0';
	e->next = NULL;
	*pp = e;
	if (++m->n > m->nb)
		grow(m);
	return PA_OK;
}

void *pw_hmap_del(pw_hmap_t *m, const char *key, size_t klen)
{
	struct ent **pp = find(m, hash(m->seed, key, klen), key, klen);
	struct ent *e = *pp;
	if (!e)
		return NULL;
	void *v = e->val;
	*pp = e->next;
	free(e);
	m->n--;
	return v;
}

size_t pw_hmap_count(const pw_hmap_t *m)
{
	return m->n;
}

void pw_hmap_walk(pw_hmap_t *m, pw_hmap_fn fn, void *ud)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nb; i++) {
		struct ent **pp = &m->b[i];
		while (*pp) {
			struct ent *e = *pp;
			int r = fn(e->key, e->klen, e->val, ud);
			if (r == PW_HMAP_DELETE) {
				*pp = e->next;
				free(e);
				m->n--;
			} else {
				pp = &e->next;
			}
			if (r == PW_HMAP_STOP)
				return;
		}
	}
}
