/* arena.c — bump allocator; see arena.h. */
#include <stdlib.h>
#include <string.h>
#include "util/arena.h"

struct chunk { struct chunk *next; size_t used, cap; unsigned char data[]; };
struct hd_arena { struct chunk *head; };

struct hd_arena *hd_arena_new(void) { return calloc(1, sizeof(struct hd_arena)); }

void *hd_arena_alloc(struct hd_arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    struct chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        c = malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->used = 0; c->cap = cap; c->next = a->head; a->head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

char *hd_arena_strndup(struct hd_arena *a, const char *s, size_t n)
{
    char *p = hd_arena_alloc(a, n + 1);
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
