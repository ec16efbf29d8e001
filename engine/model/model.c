/*
 * model.c — households, members, matched records and the join index.
 *
 * The join index is an open-addressing table (linear probing, power-of-two
 * size, load factor at most 1/2) of (XXH3-64 of the key, first member). A
 * probe compares the stored hash first and the key bytes only on a hash
 * match, so an unmatched extract row costs one hash and usually one or two
 * cache lines. Members that share a key are chained through
 * member.next_same_id in member order.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "hedui/model.h"
#include "util/arena.h"

struct slot { uint64_t hash; uint32_t member; };
struct hd_index { struct slot *slots; uint64_t mask; int by_token; };

hd_model *hd_model_new(void)
{
    hd_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->arena = hd_arena_new();
    if (!m->arena) { free(m); return NULL; }
    return m;
}

static void index_free(hd_index *x)
{
    if (x) { free(x->slots); free(x); }
}

void hd_model_free(hd_model *m)
{
    if (!m) return;
    for (uint32_t i = 0; i < m->nmembers; i++) free(m->members[i].records);
    free(m->households);
    free(m->members);
    free(m->records);
    index_free(m->by_id);
    index_free(m->by_token);
    hd_arena_free(m->arena);
    free(m);
}

const char *hd_model_strdup(hd_model *m, const char *s, size_t n)
{
    return hd_arena_strndup(m->arena, s ? s : "", s ? n : 0);
}

static const char *member_key(const hd_model *m, uint32_t i, int by_token, size_t *n)
{
    if (by_token) { *n = 64; return m->members[i].token; }
    *n = 18;
    return m->members[i].id.s;
}

static uint32_t index_find(const hd_model *m, const hd_index *x, const char *key, size_t n)
{
    if (!x) return HD_NONE;
    uint64_t h = XXH3_64bits(key, n);
    for (uint64_t i = h & x->mask;; i = (i + 1) & x->mask) {
        const struct slot *s = &x->slots[i];
        if (s->member == HD_NONE) return HD_NONE;
        if (s->hash == h) {
            size_t kn;
            const char *k = member_key(m, s->member, x->by_token, &kn);
            if (kn == n && memcmp(k, key, n) == 0) return s->member;
        }
    }
}

static hd_index *index_build(hd_model *m, int by_token, hd_error *err)
{
    uint64_t size = 16;
    while (size < 2 * (uint64_t)m->nmembers + 2) size <<= 1;
    hd_index *x = calloc(1, sizeof *x);
    if (!x) goto oom;
    x->slots = malloc(size * sizeof *x->slots);
    if (!x->slots) { free(x); goto oom; }
    for (uint64_t i = 0; i < size; i++) x->slots[i].member = HD_NONE;
    x->mask = size - 1;
    x->by_token = by_token;
    /* members with one key form a chain in member order: remember the
     * chain's tail per slot while building */
    uint32_t *tail = malloc(size * sizeof *tail);
    if (!tail) { index_free(x); goto oom; }
    for (uint32_t i = 0; i < m->nmembers; i++) {
        hd_member *mb = &m->members[i];
        if (mb->rejected != HD_R_NONE) continue;
        size_t n;
        const char *k = member_key(m, i, by_token, &n);
        uint64_t h = XXH3_64bits(k, n);
        for (uint64_t j = h & x->mask;; j = (j + 1) & x->mask) {
            struct slot *s = &x->slots[j];
            if (s->member == HD_NONE) {
                s->hash = h; s->member = i; tail[j] = i;
                break;
            }
            size_t kn;
            if (s->hash == h && memcmp(member_key(m, s->member, by_token, &kn), k, n) == 0) {
                if (!by_token) m->members[tail[j]].next_same_id = i;
                tail[j] = i;
                break;
            }
        }
    }
    free(tail);
    return x;
oom:
    hd_fail(err, HD_ESOFTWARE, "out of memory building the join index");
    return NULL;
}

int hd_model_index(hd_model *m, hd_error *err)
{
    for (uint32_t i = 0; i < m->nmembers; i++) m->members[i].next_same_id = HD_NONE;
    index_free(m->by_id);
    index_free(m->by_token);
    m->by_id = index_build(m, 0, err);
    if (!m->by_id) return HD_ESOFTWARE;
    m->by_token = index_build(m, 1, err);
    if (!m->by_token) return HD_ESOFTWARE;
    /* DUPLICATE_APPLICATION: one ID in two or more households */
    for (uint32_t i = 0; i < m->nmembers; i++) {
        hd_member *a = &m->members[i];
        if (a->rejected != HD_R_NONE) continue;
        if (hd_model_find_id(m, a->id.s) != i) continue;   /* chain heads only */
        int dup = 0;
        for (uint32_t j = a->next_same_id; j != HD_NONE; j = m->members[j].next_same_id)
            if (m->members[j].household != a->household) dup = 1;
        if (dup)
            for (uint32_t j = i; j != HD_NONE; j = m->members[j].next_same_id)
                m->members[j].duplicate = 1;
    }
    return HD_OK;
}

uint32_t hd_model_find_id(const hd_model *m, const char *id18)
{
    return index_find(m, m->by_id, id18, 18);
}

uint32_t hd_model_find_token(const hd_model *m, const char *token64)
{
    return index_find(m, m->by_token, token64, 64);
}

int hd_model_add_record(hd_model *m, const hd_record *rec, hd_error *err)
{
    if (rec->member >= m->nmembers)
        return hd_fail(err, HD_ESOFTWARE, "record for member %u out of range", rec->member);
    if (m->nrecords == m->caprecords) {
        uint32_t cap = m->caprecords ? m->caprecords * 2 : 1024;
        hd_record *r = realloc(m->records, (size_t)cap * sizeof *r);
        if (!r) return hd_fail(err, HD_ESOFTWARE, "out of memory storing matched records");
        m->records = r; m->caprecords = cap;
    }
    hd_record *dst = &m->records[m->nrecords];
    *dst = *rec;
    for (int f = 0; f < HD_F__COUNT; f++) {
        hd_value *v = &dst->v[f];
        if (v->present && v->s) {
            v->s = hd_arena_strndup(m->arena, v->s, v->n);
            if (!v->s) return hd_fail(err, HD_ESOFTWARE, "out of memory storing matched records");
        } else if (!v->present) {
            v->s = NULL; v->n = 0;
        }
    }
    hd_member *mb = &m->members[rec->member];
    if (mb->nrecords == mb->caprecords) {
        uint32_t cap = mb->caprecords ? mb->caprecords * 2 : 4;
        uint32_t *r = realloc(mb->records, (size_t)cap * sizeof *r);
        if (!r) return hd_fail(err, HD_ESOFTWARE, "out of memory storing matched records");
        mb->records = r; mb->caprecords = cap;
    }
    mb->records[mb->nrecords++] = m->nrecords++;
    return HD_OK;
}
