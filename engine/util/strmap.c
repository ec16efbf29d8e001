/* strmap.c — see strmap.h. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "util/arena.h"
#include "util/strmap.h"

struct ent { uint64_t h; const char *k; size_t n; uint32_t v; };
struct hd_strmap { struct ent *e; size_t mask, count; struct hd_arena *a; };

hd_strmap *hd_strmap_new(void)
{
    hd_strmap *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->mask = 63;
    m->e = calloc(64, sizeof *m->e);
    m->a = hd_arena_new();
    if (!m->e || !m->a) { hd_strmap_free(m); return NULL; }
    return m;
}

void hd_strmap_free(hd_strmap *m)
{
    if (!m) return;
    free(m->e);
    hd_arena_free(m->a);
    free(m);
}

static struct ent *slot(const hd_strmap *m, uint64_t h, const char *k, size_t n)
{
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        struct ent *e = &m->e[i];
        if (!e->k || (e->h == h && e->n == n && memcmp(e->k, k, n) == 0)) return e;
    }
}

uint64_t hd_strmap_hash(const char *key, size_t n)
{
    return XXH3_64bits(key, n);
}

uint32_t hd_strmap_get_hashed(const hd_strmap *m, uint64_t h, const char *key, size_t n)
{
    struct ent *e = slot(m, h, key, n);
    return e->k ? e->v : UINT32_MAX;
}

uint32_t hd_strmap_get(const hd_strmap *m, const char *key, size_t n)
{
    return hd_strmap_get_hashed(m, XXH3_64bits(key, n), key, n);
}

void hd_strmap_prefetch(const hd_strmap *m, uint64_t h)
{
    __builtin_prefetch(&m->e[h & m->mask]);
}

/* The slot of key, inserting it with `value` when absent (*added = 1).
 * NULL when out of memory. */
static struct ent *find_or_add(hd_strmap *m, uint64_t h, const char *key, size_t n, uint32_t value, int *added)
{
    if ((m->count + 1) * 2 > m->mask + 1) {
        size_t size = (m->mask + 1) * 2;
        struct ent *ne = calloc(size, sizeof *ne), *old = m->e;
        if (!ne) return NULL;
        size_t oldsize = m->mask + 1;
        m->e = ne; m->mask = size - 1;
        for (size_t i = 0; i < oldsize; i++)
            if (old[i].k) *slot(m, old[i].h, old[i].k, old[i].n) = old[i];
        free(old);
    }
    struct ent *e = slot(m, h, key, n);
    *added = !e->k;
    if (*added) {
        char *k = hd_arena_strndup(m->a, key, n);
        if (!k) return NULL;
        e->h = h; e->k = k; e->n = n; e->v = value;
        m->count++;
    }
    return e;
}

int hd_strmap_put(hd_strmap *m, const char *key, size_t n, uint32_t value)
{
    int added;
    struct ent *e = find_or_add(m, XXH3_64bits(key, n), key, n, value, &added);
    if (!e) return -1;
    e->v = value;
    return 0;
}

int hd_strmap_add(hd_strmap *m, const char *key, size_t n, uint32_t value, uint32_t *old)
{
    return hd_strmap_add_hashed(m, XXH3_64bits(key, n), key, n, value, old);
}

int hd_strmap_add_hashed(hd_strmap *m, uint64_t h, const char *key, size_t n, uint32_t value, uint32_t *old)
{
    int added;
    struct ent *e = find_or_add(m, h, key, n, value, &added);
    if (!e) return -1;
    *old = added ? UINT32_MAX : e->v;
    return 0;
}
