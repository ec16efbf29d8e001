/*
 * model.c — households, members, matched records and the join index.
 *
 * The join index is an open-addressing table (linear probing, 2n + 2
 * slots for n members, so a load factor of at most 1/2 without rounding the
 * size up to a power of two) of (low 32 bits of the XXH3-64 of the key,
 * first member): 8 bytes a slot; the high bits of the hash pick the slot
 * (h × size / 2^64). A probe compares the stored half hash first and the
 * key bytes only on a match. Members that share a key are chained through
 * member.next_same_id in member order.
 *
 * Most extract rows are nobody's, and at province scale the slots are
 * larger than the caches: a filter of about 8 bits a member (one 64-bit
 * word a key, three bits of it set from the key's hash) answers most of
 * those rows from a table eight times smaller (a few per cent pass it
 * and probe the slots); a set bit never lies the other way, so every
 * member is still found. hd_model_prefetch_id asks for the word as soon
 * as a row's ID is known.
 *
 * Matched records are kept in a compact stored form (below): the member,
 * the findings, then varints for the header and the present fields only,
 * strings inline unless they repeat the member's own. A deposit row takes
 * about 70 bytes instead of the 1,304 of an hd_record; readers expand one
 * record at a time with hd_model_record. Members' record lists are in the
 * arena too.
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "hedui/ident.h"
#include "hedui/model.h"
#include "model/stored.h"
#include "util/arena.h"
#include "util/varint.h"

struct slot { uint32_t hash; uint32_t member; };   /* hash: low half of XXH3-64 */
struct hd_index {
    struct slot *slots; uint64_t size;
    uint64_t *filter; uint64_t fmask;   /* fmask + 1 words, a power of two */
    unsigned char (*tok)[32];     /* token join: each member's token under
                                     the map's key (NULL: the ID join) */
};

/* The first slot of hash h: its high bits scaled to the size. */
static uint64_t home(const hd_index *x, uint64_t h)
{
    return (uint64_t)(((unsigned __int128)h * x->size) >> 64);
}

static uint64_t next_slot(const hd_index *x, uint64_t i)
{
    return i + 1 == x->size ? 0 : i + 1;
}

hd_model *hd_model_new(void)
{
    hd_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->arena = hd_arena_new();
    if (!m->arena) { free(m); return NULL; }
    return m;
}

/* The filter word of hash h, and the three bits of it that h sets (bits of
 * h the slot's choice, its high bits, hardly uses). */
static uint64_t *filter_word(const hd_index *x, uint64_t h)
{
    return &x->filter[(h >> 18) & x->fmask];
}

static uint64_t filter_bits(uint64_t h)
{
    return (uint64_t)1 << (h & 63) | (uint64_t)1 << (h >> 6 & 63) | (uint64_t)1 << (h >> 12 & 63);
}

static void index_free(hd_index *x)
{
    if (x) {
        free(x->filter);
        free(x->slots);
        free(x->tok);                   /* tokens are not secrets, but not kept either */
        free(x);
    }
}

void hd_model_free(hd_model *m)
{
    if (!m) return;
    free(m->households);
    free(m->members);
    free(m->stored);
    hd_model_index_release(m);
    hd_arena_free(m->arena);
    free(m);
}

const char *hd_model_strdup(hd_model *m, const char *s, size_t n)
{
    return hd_arena_strndup(m->arena, s ? s : "", s ? n : 0);
}

/* The key of member i in index x: its 18-character ID, or the 32 bytes of
 * its token under the map's key. */
static const char *member_key(const hd_model *m, const hd_index *x, uint32_t i, size_t *n)
{
    if (x->tok) { *n = 32; return (const char *)x->tok[i]; }
    *n = 18;
    return m->members[i].id.s;
}

char *hd_member_token_hex(const hd_member *mb, char out[65])
{
    hd_hex(mb->token, 32, out);
    return out;
}

char *hd_household_token_hex(const hd_household *h, char out[65])
{
    hd_hex(h->token, 32, out);
    return out;
}

/* The first member with key[0..n), whose XXH3-64 is h, or HD_NONE. */
static uint32_t index_find_hashed(const hd_model *m, const hd_index *x, const char *key, size_t n, uint64_t h)
{
    if (!x) return HD_NONE;
    uint64_t bits = filter_bits(h);
    if ((*filter_word(x, h) & bits) != bits) return HD_NONE;
    uint32_t hh = (uint32_t)h;
    for (uint64_t i = home(x, h);; i = next_slot(x, i)) {
        const struct slot *s = &x->slots[i];
        if (s->member == HD_NONE) return HD_NONE;
        if (s->hash == hh) {
            size_t kn;
            const char *k = member_key(m, x, s->member, &kn);
            if (kn == n && memcmp(k, key, n) == 0) return s->member;
        }
    }
}

static uint32_t index_find(const hd_model *m, const hd_index *x, const char *key, size_t n)
{
    return x ? index_find_hashed(m, x, key, n, XXH3_64bits(key, n)) : HD_NONE;
}

/* heads: when not NULL, bit i is set for each member i that is the first
 * of its key (the head of its chain). */
static hd_index *index_build(hd_model *m, unsigned char (*tok)[32], uint64_t *heads, hd_error *err)
{
    uint64_t size = 2 * (uint64_t)m->nmembers + 2;
    if (size < 16) size = 16;
    hd_index *x = calloc(1, sizeof *x);
    if (!x) goto oom;
    x->slots = malloc(size * sizeof *x->slots);
    if (!x->slots) { free(x); goto oom; }
    for (uint64_t i = 0; i < size; i++) x->slots[i].member = HD_NONE;
    x->size = size;
    uint64_t words = 1;
    while (words * 8 < m->nmembers) words *= 2;       /* 8 to 16 bits a member */
    x->filter = calloc(words, sizeof *x->filter);
    x->fmask = words - 1;
    if (!x->filter) { index_free(x); goto oom; }
    x->tok = tok;
    /* members with one key form a chain in member order: remember the
     * chain's tail per slot while building */
    uint32_t *tail = malloc(size * sizeof *tail);
    if (!tail) { x->tok = NULL; index_free(x); goto oom; }
    for (uint32_t i = 0; i < m->nmembers; i++) {
        hd_member *mb = &m->members[i];
        if (mb->rejected != HD_R_NONE) continue;
        size_t n;
        const char *k = member_key(m, x, i, &n);
        uint64_t h = XXH3_64bits(k, n);
        uint32_t hh = (uint32_t)h;
        *filter_word(x, h) |= filter_bits(h);
        for (uint64_t j = home(x, h);; j = next_slot(x, j)) {
            struct slot *s = &x->slots[j];
            if (s->member == HD_NONE) {
                s->hash = hh; s->member = i; tail[j] = i;
                if (heads) heads[i / 64] |= (uint64_t)1 << (i % 64);
                break;
            }
            size_t kn;
            if (s->hash == hh && memcmp(member_key(m, x, s->member, &kn), k, n) == 0) {
                if (!tok) m->members[tail[j]].next_same_id = i;
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
    /* loading is over: give back what the arrays' doubling left unused */
    if (m->nmembers && m->nmembers < m->capmembers) {
        hd_member *p = realloc(m->members, (size_t)m->nmembers * sizeof *p);
        if (p) { m->members = p; m->capmembers = m->nmembers; }
    }
    if (m->nhouseholds && m->nhouseholds < m->caphouseholds) {
        hd_household *p = realloc(m->households, (size_t)m->nhouseholds * sizeof *p);
        if (p) { m->households = p; m->caphouseholds = m->nhouseholds; }
    }
    for (uint32_t i = 0; i < m->nmembers; i++) m->members[i].next_same_id = HD_NONE;
    hd_model_index_release(m);
    /* the chains' heads, marked as the index is built: no probe per member */
    uint64_t *heads = calloc((size_t)m->nmembers / 64 + 1, sizeof *heads);
    if (!heads) return hd_fail(err, HD_ESOFTWARE, "out of memory building the join index");
    m->by_id = index_build(m, NULL, heads, err);
    if (!m->by_id) { free(heads); return HD_ESOFTWARE; }
    /* DUPLICATE_APPLICATION: one ID in two or more households of the
     * applicant and recipient populations (monitored ones take no part) */
    for (uint32_t i = 0; i < m->nmembers; i++) {
        hd_member *a = &m->members[i];
        if (a->rejected != HD_R_NONE) continue;
        if (!(heads[i / 64] >> (i % 64) & 1)) continue;   /* chain heads only */
        uint32_t first_h = HD_NONE;
        int dup = 0;
        for (uint32_t j = i; j != HD_NONE; j = m->members[j].next_same_id) {
            uint32_t h = m->members[j].household;
            if (m->households[h].population == HD_POP_MONITORED) continue;
            if (first_h == HD_NONE) first_h = h;
            else if (h != first_h) dup = 1;
        }
        if (dup)
            for (uint32_t j = i; j != HD_NONE; j = m->members[j].next_same_id)
                if (m->households[m->members[j].household].population != HD_POP_MONITORED)
                    m->members[j].duplicate = 1;
    }
    free(heads);
    return HD_OK;
}

void hd_model_index_release(hd_model *m)
{
    index_free(m->by_id);
    m->by_id = NULL;
    for (int i = 0; i < m->ntoken_maps; i++) index_free(m->token_maps[i]);
    free(m->token_maps);
    m->token_maps = NULL;
    m->ntoken_maps = 0;
}

uint32_t hd_model_find_id(const hd_model *m, const char *id18)
{
    return index_find(m, m->by_id, id18, 18);
}

uint64_t hd_model_prefetch_id(const hd_model *m, const char *id18)
{
    uint64_t h = XXH3_64bits(id18, 18);
    if (m->by_id) __builtin_prefetch(filter_word(m->by_id, h));
    return h;
}

uint32_t hd_model_find_id_hashed(const hd_model *m, const char *id18, uint64_t h)
{
    return index_find_hashed(m, m->by_id, id18, 18, h);
}

int hd_model_index_tokens(hd_model *m, const hd_key *key, int *map, hd_error *err)
{
    *map = -1;
    hd_index **maps = realloc(m->token_maps, (size_t)(m->ntoken_maps + 1) * sizeof *maps);
    if (!maps) return hd_fail(err, HD_ESOFTWARE, "out of memory building a token index");
    m->token_maps = maps;
    unsigned char (*tok)[32] = calloc((size_t)m->nmembers + 1, sizeof *tok);
    hd_tokener *tk = hd_tokener_new(key);
    if (!tok || !tk) {
        free(tok);
        hd_tokener_free(tk);
        return hd_fail(err, HD_ESOFTWARE, "out of memory building a token index");
    }
    for (uint32_t i = 0; i < m->nmembers; i++)
        if (m->members[i].rejected == HD_R_NONE) hd_tokener_member(tk, &m->members[i].id, tok[i]);
    hd_tokener_free(tk);
    hd_index *x = index_build(m, tok, NULL, err);
    if (!x) { free(tok); return HD_ESOFTWARE; }
    *map = m->ntoken_maps;
    m->token_maps[m->ntoken_maps++] = x;
    return HD_OK;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

uint32_t hd_model_find_token(const hd_model *m, int map, const char *token64)
{
    if (map < 0 || map >= m->ntoken_maps || !token64) return HD_NONE;
    unsigned char raw[32];
    for (int i = 0; i < 32; i++) {
        int hi = hexval(token64[2 * i]), lo = hi < 0 ? -1 : hexval(token64[2 * i + 1]);
        if (lo < 0) return HD_NONE;      /* not 64 lower-case hex digits */
        raw[i] = (unsigned char)(hi << 4 | lo);
    }
    return index_find(m, m->token_maps[map], (const char *)raw, 32);
}

/* ------------------------------------------------------------ records */

/*
 * The stored form: member and findings (fixed, findings are rewritten by
 * the rules), then a byte string: kind, then LEB128 varints for source,
 * file, line and the presence mask (bit f: field f present), then one item
 * per present field in field order. An integer field (money, area, share,
 * date, period, enum) is its value, zigzag-encoded. A string field
 * (HD_T_ID, HD_T_TEXT, HD_T_CODE) is a tag t: TAG_NULL a present value
 * without text; TAG_OWN_ID, TAG_OWN_NAME the member's own ID or name,
 * which most rows repeat; else t - TAG_TEXT bytes of text follow, then a
 * NUL (a token of a tokenised extract too: members keep their token as 32
 * bytes, so there is no text of it to point at). The
 * raw cell text of an integer field is not kept (no reader of a stored
 * record uses it). A deposit row of 8 fields takes about 70 bytes, an
 * income row about 30.
 */
struct hd_stored_record {
    uint32_t member, findings;
    uint8_t data[];
};

_Static_assert(HD_F__COUNT <= 64, "the presence mask holds every field");

static int is_string_field(int f)
{
    hd_ftype t = hd_field_type((hd_fid)f);
    return t == HD_T_ID || t == HD_T_TEXT || t == HD_T_CODE;
}

/* String tags: a present value without text; the member's own ID or name;
 * else TAG_TEXT + length, the bytes following. */
enum { TAG_NULL = 0, TAG_OWN_ID, TAG_OWN_NAME, TAG_TEXT };

static int same(const char *a, const char *b, uint32_t n)
{
    return a && strlen(a) == n && memcmp(a, b, n) == 0;
}

/* The tag of a present string field f of a record of member `member`. */
static uint64_t string_tag(const hd_model *m, uint32_t member, int f, const hd_value *v)
{
    if (!v->s) return TAG_NULL;
    if (member < m->nmembers) {
        const hd_member *mb = &m->members[member];
        if (f == HD_F_ID_NUMBER && v->n == 18 && same(mb->id.s, v->s, 18)) return TAG_OWN_ID;
        if (f == HD_F_NAME && same(mb->name, v->s, v->n)) return TAG_OWN_NAME;
    }
    return (uint64_t)v->n + TAG_TEXT;
}

hd_stored_record *hd_model_pack(const hd_model *m, struct hd_arena *a, const hd_record *rec,
                                uint16_t source, uint32_t file, uint32_t member)
{
    uint64_t mask = 0;
    uint64_t tag[HD_F__COUNT];
    size_t bytes = 1 + hd_varint_len(source) + hd_varint_len(file) + hd_varint_len(rec->line);
    for (int f = 0; f < HD_F__COUNT; f++) {
        const hd_value *v = &rec->v[f];
        if (!v->present) continue;
        mask |= (uint64_t)1 << f;
        if (!is_string_field(f)) { bytes += hd_varint_len(hd_zigzag(v->i)); continue; }
        tag[f] = string_tag(m, member, f, v);
        bytes += hd_varint_len(tag[f]) + (tag[f] >= TAG_TEXT ? v->n + 1 : 0);
    }
    bytes += hd_varint_len(mask);
    _Static_assert(_Alignof(hd_stored_record) <= 4, "a stored record needs 4-byte alignment only");
    hd_stored_record *r = hd_arena_alloc4(a, sizeof *r + bytes);
    if (!r) return NULL;
    r->member = member;
    r->findings = rec->findings;
    uint8_t *p = r->data;
    *p++ = rec->kind;
    p = hd_varint_put(p, source);
    p = hd_varint_put(p, file);
    p = hd_varint_put(p, rec->line);
    p = hd_varint_put(p, mask);
    for (int f = 0; f < HD_F__COUNT; f++) {
        const hd_value *v = &rec->v[f];
        if (!v->present) continue;
        if (!is_string_field(f)) { p = hd_varint_put(p, hd_zigzag(v->i)); continue; }
        p = hd_varint_put(p, tag[f]);
        if (tag[f] < TAG_TEXT) continue;
        if (v->n) memcpy(p, v->s, v->n);
        p += v->n;
        *p++ = '\0';
    }
    return r;
}

static int append(hd_model *m, hd_stored_record *r, hd_error *err)
{
    if (r->member >= m->nmembers)
        return hd_fail(err, HD_ESOFTWARE, "record for member %u out of range", r->member);
    if (m->nrecords == UINT32_MAX)
        return hd_fail(err, HD_ESOFTWARE, "too many matched records");
    if (m->nrecords == m->caprecords) {
        uint32_t cap = m->caprecords ? (m->caprecords > UINT32_MAX / 2 ? UINT32_MAX : m->caprecords * 2) : 1024;
        hd_stored_record **p = realloc(m->stored, (size_t)cap * sizeof *p);
        if (!p) return hd_fail(err, HD_ESOFTWARE, "out of memory storing matched records");
        m->stored = p; m->caprecords = cap;
    }
    hd_member *mb = &m->members[r->member];
    /* the list's room is the next power of two >= max(2, nrecords): full
     * when nrecords is 0 or a power of two >= 2 */
    uint32_t nr = mb->nrecords;
    if (nr == 0 || (nr >= 2 && (nr & (nr - 1)) == 0)) {
        /* from the arena: no malloc header per member; the outgrown list
         * stays behind (at most as much again as the final list) */
        if (nr > UINT32_MAX / 2) return hd_fail(err, HD_ESOFTWARE, "too many matched records");
        uint32_t cap = nr ? nr * 2 : 2;
        uint32_t *p = hd_arena_alloc4(m->arena, (size_t)cap * sizeof *p);
        if (!p) return hd_fail(err, HD_ESOFTWARE, "out of memory storing matched records");
        if (nr) memcpy(p, mb->records, (size_t)nr * sizeof *p);
        mb->records = p;
    }
    mb->records[mb->nrecords++] = m->nrecords;
    m->stored[m->nrecords++] = r;
    return HD_OK;
}

int hd_model_add_record(hd_model *m, const hd_record *rec, hd_error *err)
{
    if (rec->member >= m->nmembers)
        return hd_fail(err, HD_ESOFTWARE, "record for member %u out of range", rec->member);
    hd_stored_record *r = hd_model_pack(m, m->arena, rec, rec->source, rec->file, rec->member);
    if (!r) return hd_fail(err, HD_ESOFTWARE, "out of memory storing matched records");
    return append(m, r, err);
}

int hd_model_replace_record(hd_model *m, uint32_t i, const hd_record *rec, hd_error *err)
{
    if (i >= m->nrecords)
        return hd_fail(err, HD_ESOFTWARE, "record %u out of range", i);
    if (rec->member != m->stored[i]->member)
        return hd_fail(err, HD_ESOFTWARE, "record %u: the member cannot change", i);
    hd_stored_record *r = hd_model_pack(m, m->arena, rec, rec->source, rec->file, rec->member);
    if (!r) return hd_fail(err, HD_ESOFTWARE, "out of memory storing matched records");
    m->stored[i] = r;
    return HD_OK;
}

int hd_model_adopt(hd_model *m, struct hd_arena *a, hd_stored_record *const *recs, uint32_t n,
                   hd_error *err)
{
    hd_arena_take(m->arena, a);
    if (n && m->nrecords + (uint64_t)n > m->caprecords) {
        /* one step for the whole file instead of doublings */
        uint64_t cap = m->caprecords ? m->caprecords : 1024;
        while (cap < m->nrecords + (uint64_t)n) cap *= 2;
        if (cap > UINT32_MAX) cap = UINT32_MAX;
        if (m->nrecords + (uint64_t)n > cap)
            return hd_fail(err, HD_ESOFTWARE, "too many matched records");
        hd_stored_record **p = realloc(m->stored, (size_t)cap * sizeof *p);
        if (!p) return hd_fail(err, HD_ESOFTWARE, "out of memory storing matched records");
        m->stored = p; m->caprecords = (uint32_t)cap;
    }
    for (uint32_t k = 0; k < n; k++) {
        int rc = append(m, recs[k], err);
        if (rc != HD_OK) return rc;
    }
    return HD_OK;
}

uint32_t hd_model_nrecords(const hd_model *m)
{
    return m->nrecords;
}

void hd_model_record(const hd_model *m, uint32_t i, hd_record *out)
{
    const hd_stored_record *r = m->stored[i];
    const uint8_t *p = r->data;
    out->member = r->member;
    out->findings = r->findings;
    out->kind = *p++;
    out->source = (uint16_t)hd_varint_get(&p);
    out->file = (uint32_t)hd_varint_get(&p);
    out->line = hd_varint_get(&p);
    uint64_t mask = hd_varint_get(&p);
    memset(out->v, 0, sizeof out->v);
    for (; mask; mask &= mask - 1) {
        int f = __builtin_ctzll(mask);
        hd_value *v = &out->v[f];
        v->present = 1;
        uint64_t x = hd_varint_get(&p);
        if (!is_string_field(f)) { v->i = hd_unzigzag(x); continue; }
        if (x == TAG_NULL) continue;
        if (x < TAG_TEXT) {                 /* the member's own */
            const hd_member *mb = &m->members[r->member];
            v->s = x == TAG_OWN_ID ? mb->id.s : mb->name;
            v->n = (uint32_t)strlen(v->s);
            continue;
        }
        v->n = (uint32_t)(x - TAG_TEXT);
        v->s = (const char *)p;
        p += v->n + 1;
    }
}

uint32_t hd_model_findings(const hd_model *m, uint32_t i)
{
    return m->stored[i]->findings;
}

void hd_model_set_findings(hd_model *m, uint32_t i, uint32_t bits)
{
    m->stored[i]->findings = bits;
}

const char *hd_population_name(int pop)
{
    static const char *const n[HD_POP__COUNT] = { "applicant", "recipient", "monitored" };
    return pop >= 0 && pop < HD_POP__COUNT ? n[pop] : "unknown";
}

const char *hd_population_label_zh(int pop)
{
    static const char *const n[HD_POP__COUNT] = { "申请", "在保", "监测" };
    return pop >= 0 && pop < HD_POP__COUNT ? n[pop] : "未知";
}

/* ------------------------------------------------------------ images */

/* A bounded varint read for images from outside this process (part files):
 * 0 when the varint runs past end (NULL: no bound) or over 10 bytes. */
static int varint_get_bounded(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t x = 0;
    for (int sh = 0; sh < 70; sh += 7) {
        if (end && p >= end) return 0;
        uint8_t b = *p++;
        x |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) { *pp = p; *out = x; return 1; }
    }
    return 0;
}

/* Walks a stored form's data up to end (NULL: trusted, no bound): the
 * byte count it takes, or 0 when it is malformed or runs past end. */
static size_t stored_walk(const uint8_t *data, const uint8_t *end, uint64_t *source, uint64_t *file)
{
    const uint8_t *p = data;
    uint64_t line, mask;
    if (end && p >= end) return 0;
    p++;                                              /* kind */
    if (!varint_get_bounded(&p, end, source) || !varint_get_bounded(&p, end, file) ||
        !varint_get_bounded(&p, end, &line) || !varint_get_bounded(&p, end, &mask))
        return 0;
    if (HD_F__COUNT < 64 && (mask >> HD_F__COUNT)) return 0;
    for (; mask; mask &= mask - 1) {
        int f = __builtin_ctzll(mask);
        uint64_t x;
        if (!varint_get_bounded(&p, end, &x)) return 0;
        if (!is_string_field(f) || x < TAG_TEXT) continue;
        uint64_t len = x - TAG_TEXT;
        if (end && (len >= (uint64_t)(end - p) || p[len] != 0)) return 0;
        p += len + 1;
    }
    return (size_t)(p - data);
}

size_t hd_stored_image_size(const hd_stored_record *r)
{
    uint64_t s, f;
    /* packed in this process: well formed, its length is what the walk takes */
    return sizeof *r + stored_walk(r->data, NULL, &s, &f);
}

/* An image that walked well (stored_walk): its kind is a record kind and
 * every enum field's code is an index in its field's value list, so that
 * the writers can look the codes up (a part file is untrusted). */
static int enums_in_range(const uint8_t *data)
{
    const uint8_t *p = data;
    unsigned kind = *p++;
    if (kind <= HD_KIND_APPLICANTS || kind >= HD_KIND__COUNT) return 0;
    (void)hd_varint_get(&p); (void)hd_varint_get(&p); (void)hd_varint_get(&p);   /* source, file, line */
    uint64_t mask = hd_varint_get(&p);
    for (; mask; mask &= mask - 1) {
        int f = __builtin_ctzll(mask);
        uint64_t x = hd_varint_get(&p);
        if (is_string_field(f)) {
            if (x >= TAG_TEXT) p += x - TAG_TEXT + 1;
            continue;
        }
        if (hd_field_type((hd_fid)f) != HD_T_ENUM) continue;
        const char *const *vals = hd_field_values((hd_kind)kind, (hd_fid)f);
        int64_t code = hd_unzigzag(x);
        if (!vals || code < 0) return 0;
        for (int64_t i = 0; i < code; i++)
            if (!vals[i]) return 0;
        if (!vals[code]) return 0;
    }
    return 1;
}

hd_stored_record *hd_stored_image_load(struct hd_arena *a, const void *image, size_t n,
                                       uint32_t nmembers, uint32_t *source, uint32_t *file,
                                       unsigned *kind)
{
    if (n <= sizeof(hd_stored_record)) return NULL;
    hd_stored_record hdr;
    memcpy(&hdr, image, sizeof hdr);
    if (hdr.member >= nmembers) return NULL;
    uint64_t s, f;
    size_t dn = n - sizeof hdr;
    const uint8_t *data = (const uint8_t *)image + sizeof hdr;
    if (stored_walk(data, data + dn, &s, &f) != dn) return NULL;
    if (s > UINT16_MAX || f > UINT32_MAX) return NULL;
    if (!enums_in_range(data)) return NULL;
    hd_stored_record *r = hd_arena_alloc4(a, n);
    if (!r) return NULL;
    memcpy(r, image, n);
    *source = (uint32_t)s;
    *file = (uint32_t)f;
    *kind = r->data[0];
    return r;
}
