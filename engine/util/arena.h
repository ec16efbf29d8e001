/*
 * arena.h — a bump allocator for strings that live as long as their owner
 * (the model, a descriptor). Chunks of 4 KiB doubling up to 64 KiB (or
 * larger for a big item);
 * freed all at once. Not thread-safe: one owner.
 */
#ifndef HEDUI_ARENA_H
#define HEDUI_ARENA_H
#include <stddef.h>

struct hd_arena;
struct hd_arena *hd_arena_new(void);
/* n bytes aligned to 8, or NULL on out of memory. */
void *hd_arena_alloc(struct hd_arena *a, size_t n);
/* n bytes aligned to 4 (for items of uint32s and bytes), or NULL. */
void *hd_arena_alloc4(struct hd_arena *a, size_t n);
/* Copy of s[0..n) with a NUL (n + 1 bytes, not aligned), or NULL on out of
 * memory. */
char *hd_arena_strndup(struct hd_arena *a, const char *s, size_t n);
/* Moves every chunk of src into dst (no byte is copied: pointers into src
 * stay valid and now belong to dst) and frees src. dst keeps allocating
 * from its own current chunk. src may be NULL. */
void hd_arena_take(struct hd_arena *dst, struct hd_arena *src);
void hd_arena_free(struct hd_arena *a);
#endif
