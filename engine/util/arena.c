/* arena.c — bump allocator; see arena.h. */
#include <stdlib.h>
#include <string.h>
#include "util/arena.h"

struct chunk { struct chunk *next; size_t used, cap; unsigned char data[]; };
struct hd_arena { struct chunk *head; };

struct hd_arena *hd_arena_new(void) { return calloc(1, sizeof(struct hd_arena)); }

/* n bytes at an offset of a chunk that is a multiple of align (1 or 8;
 * chunk data is malloc-aligned, sizeof(struct chunk) being a multiple of 8),
 * or NULL on out of memory */
static void *alloc(struct hd_arena *a, size_t n, size_t align)
{
    struct chunk *c = a->head;
    if (c) {
        size_t at = (c->used + align - 1) & ~(align - 1);
        if (at <= c->cap && c->cap - at >= n) {
            c->used = at + n;
            return c->data + at;
        }
    }
    /* chunks grow from 4 KiB to 64 KiB: a small owner (one household's
     * check, a map of a few keys) takes a few KiB, not 64 KiB that the C
     * library would hand back to the kernel at every free (issue 15); a
     * large one reaches 64 KiB chunks after four */
    size_t want = c ? (c->cap < 32768 ? c->cap * 2 : 65536) : 4096;
    size_t cap = n > want ? n : want;
    c = malloc(sizeof *c + cap);
    if (!c) return NULL;
    c->used = n; c->cap = cap; c->next = a->head; a->head = c;
    return c->data;
}

void *hd_arena_alloc(struct hd_arena *a, size_t n)
{
    return alloc(a, n, 8);
}

void *hd_arena_alloc4(struct hd_arena *a, size_t n)
{
    return alloc(a, n, 4);
}

char *hd_arena_strndup(struct hd_arena *a, const char *s, size_t n)
{
    /* strings need no alignment: a 9-byte name takes 10 bytes, not 16 */
    char *p = alloc(a, n + 1, 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void hd_arena_take(struct hd_arena *dst, struct hd_arena *src)
{
    if (!src) return;
    struct chunk *first = src->head;
    if (first) {
        struct chunk *last = first;
        while (last->next) last = last->next;
        if (dst->head) {            /* behind dst's current chunk */
            last->next = dst->head->next;
            dst->head->next = first;
        } else {
            dst->head = first;
        }
    }
    free(src);
}

void hd_arena_free(struct hd_arena *a)
{
    if (!a) return;
    for (struct chunk *c = a->head, *n; c; c = n) { n = c->next; free(c); }
    free(a);
}
