/*
 * strmap.h — a string -> uint32 map (open addressing, XXH3, load <= 1/2).
 * Keys are copied into the map's own arena. Not thread-safe.
 */
#ifndef HEDUI_UTIL_STRMAP_H
#define HEDUI_UTIL_STRMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct hd_strmap hd_strmap;
hd_strmap *hd_strmap_new(void);
void hd_strmap_free(hd_strmap *m);
/* Value of key or UINT32_MAX. */
uint32_t hd_strmap_get(const hd_strmap *m, const char *key, size_t n);
/* Sets key -> value (inserting or replacing). 0 ok, -1 out of memory. */
int hd_strmap_put(hd_strmap *m, const char *key, size_t n, uint32_t value);
/* Inserts key -> value unless key is there: *old is its value then (the map
 * unchanged), else UINT32_MAX. One probe where a get and a put take two.
 * 0 ok, -1 out of memory. */
int hd_strmap_add(hd_strmap *m, const char *key, size_t n, uint32_t value, uint32_t *old);
/* The hash of a key as the map computes it, for the _hashed calls below:
 * worked out where it costs nothing (on another thread), so that a probe
 * can be asked for ahead of its use (hd_strmap_prefetch). */
uint64_t hd_strmap_hash(const char *key, size_t n);
/* hd_strmap_get and hd_strmap_add of a key whose hd_strmap_hash is h. */
uint32_t hd_strmap_get_hashed(const hd_strmap *m, uint64_t h, const char *key, size_t n);
int hd_strmap_add_hashed(hd_strmap *m, uint64_t h, const char *key, size_t n, uint32_t value, uint32_t *old);
/* Asks the cache for the first slot of hash h (a hint; the map unchanged). */
void hd_strmap_prefetch(const hd_strmap *m, uint64_t h);
#endif
