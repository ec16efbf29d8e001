/*
 * row.c — one CSV row -> one canonical record (SPEC §6 "Values", "IDs",
 * "Further decisions"). This is on the hot path of every extract row: it
 * allocates nothing and copies nothing; cells are cleaned in place.
 */
#include <string.h>
#include "hedui/source.h"

/* 1 if byte c cannot begin (head) / end (tail) a trim-set character, nor
 * (head) the '=' of ="...": then hd_cell_clean() leaves the cell as it is
 * (the same tests as hd_trim()'s, kept here to save the call per cell). */
#define R(a, b) [a ... b] = 1
static const unsigned char clean_head[256] = {       /* not ' ', '=', C2, E2, E3, EF */
    R(0x21, 0x3C), R(0x3E, 0xC1), R(0xC3, 0xE1), R(0xE4, 0xEE), R(0xF0, 0xFF),
};
static const unsigned char clean_tail[256] = {       /* not ' ', 80, 8B, A0, BF */
    R(0x21, 0x7F), R(0x81, 0x8A), R(0x8C, 0x9F), R(0xA1, 0xBE), R(0xC0, 0xFF),
};
#undef R

static inline void cell_clean(const char **s, size_t *n)
{
    if (*n && clean_head[(unsigned char)(*s)[0]] && clean_tail[(unsigned char)(*s)[*n - 1]]) return;
    hd_cell_clean(s, n);
}

static int map_value(const hd_descriptor *d, hd_fid f, const char *s, size_t n)
{
    const hd_vmap *m = d->vby + d->vfirst[f], *end = m + d->vcount[f];
    for (; m < end; m++) {
        if (m->len != n || n == 0) continue;
        size_t k = 0;                       /* codes are short: no call */
        while (k < n && m->from[k] == s[k]) k++;
        if (k == n) return m->to;
    }
    return hd_field_value_index(d->kind, f, s, n);
}

/* Vehicle status written as one-letter codes (SPEC §3 vehicle row): every
 * letter must map; the vehicle is owned unless a letter maps to scrapped
 * or deregistered. */
static int map_status_letters(const hd_descriptor *d, const char *s, size_t n)
{
    int scrapped = 0, dereg = 0;
    for (size_t i = 0; i < n; i++) {
        int v = map_value(d, HD_F_STATUS, s + i, 1);
        if (v < 0 || (unsigned char)s[i] >= 0x80) return -1;
        if (v == HD_VS_SCRAPPED) scrapped = 1;
        if (v == HD_VS_DEREGISTERED) dereg = 1;
    }
    return scrapped ? HD_VS_SCRAPPED : dereg ? HD_VS_DEREGISTERED : HD_VS_NORMAL;
}

static hd_reason parse_cell(const hd_descriptor *d, hd_fid f, const char *s, size_t n,
                            hd_value *v)
{
    hd_reason r = HD_R_NONE;
    v->s = s;
    v->n = (uint32_t)n;
    switch (d->type[f]) {
    case HD_T_TEXT:
        break;
    case HD_T_CODE:
        if (hd_is_excel_mangled(s, n)) return HD_R_EXCEL_MANGLED;
        break;
    case HD_T_ENUM: {
        int x = (f == HD_F_STATUS && d->status_letters) ? map_status_letters(d, s, n)
                                                         : map_value(d, f, s, n);
        if (x < 0) return HD_R_VALUE_UNMAPPED;
        v->i = x;
        break;
    }
    case HD_T_MONEY:
        r = hd_parse_money(s, n, d->money[f], &v->i);
        break;
    case HD_T_DATE: {
        hd_date t;
        r = hd_parse_date_mask(s, n, d->ymd[f], d->formats[f], &t);
        v->i = t;
        break;
    }
    case HD_T_PERIOD: {
        int32_t p;
        r = hd_parse_period_mask(s, n, d->ymd[f], d->formats[f], &p);
        v->i = p;
        break;
    }
    case HD_T_AREA:
        r = hd_parse_area(s, n, &v->i);
        break;
    case HD_T_SHARE: {
        int32_t bp;
        r = hd_parse_share(s, n, d->share, &bp);
        v->i = bp;
        break;
    }
    case HD_T_ID:
        break;
    }
    if (r == HD_R_NONE) v->present = 1;
    return r;
}

static inline hd_reason row_map(const hd_descriptor *d, const int pos[HD_F__COUNT], int nfields,
                                const hd_csv_record *row, hd_date as_of, hd_row_ctx *ctx,
                                hd_record *rec, int *bad_field,
                                void (*id_known)(void *, const char *), void *arg)
{
    if (bad_field) *bad_field = -1;
    rec->kind = (uint8_t)d->kind;
    rec->line = row->line;
    rec->findings = 0;
    for (int i = 0; i < d->norder; i++) rec->v[d->order[i]].present = 0;
    rec->v[HD_F_ID_NUMBER].present = 0;

    if (row->fault != HD_R_NONE && row->fault != HD_R_ENCODING) return row->fault;
    if (row->nfields != (size_t)nfields) return HD_R_FIELD_COUNT;
    if (row->fault == HD_R_ENCODING) return HD_R_ENCODING;

    /* the ID first */
    {
        const hd_field *c = &row->fields[pos[HD_F_ID_NUMBER]];
        const char *s = c->p;
        size_t n = c->n;
        cell_clean(&s, &n);
        hd_value *v = &rec->v[HD_F_ID_NUMBER];
        if (bad_field) *bad_field = HD_F_ID_NUMBER;
        if (n == 0) return HD_R_MISSING;
        hd_reason r;
        if (d->id_token) {
            r = hd_token_normalise(s, n, ctx->token);
            v->s = ctx->token; v->n = 64;
        } else {
            r = hd_id_normalise(s, n, as_of, &ctx->id);
            v->s = ctx->id.s; v->n = 18;
        }
        if (r != HD_R_NONE) return r;
        v->present = 1;
        if (id_known && !d->id_token) id_known(arg, v->s);
    }
    for (int i = 0; i < d->norder; i++) {
        hd_fid f = d->order[i];
        if (f == HD_F_ID_NUMBER) continue;
        const hd_field *c = &row->fields[pos[f]];
        const char *s = c->p;
        size_t n = c->n;
        cell_clean(&s, &n);
        if (bad_field) *bad_field = f;
        if (n == 0) {
            if (hd_field_role(d->kind, f) == 2) return HD_R_MISSING;
            continue;
        }
        hd_reason r = parse_cell(d, f, s, n, &rec->v[f]);
        if (r != HD_R_NONE) return r;
    }
    /* deposit: balance or over_limit must be known */
    if (d->kind == HD_KIND_DEPOSIT && !rec->v[HD_F_BALANCE].present &&
        !rec->v[HD_F_OVER_LIMIT].present) {
        if (bad_field) *bad_field = HD_F_BALANCE;
        return HD_R_MISSING;
    }
    if (bad_field) *bad_field = -1;
    return HD_R_NONE;
}

hd_reason hd_row_map(const hd_descriptor *d, const int pos[HD_F__COUNT], int nfields,
                     const hd_csv_record *row, hd_date as_of, hd_row_ctx *ctx,
                     hd_record *rec, int *bad_field)
{
    return row_map(d, pos, nfields, row, as_of, ctx, rec, bad_field, NULL, NULL);
}

hd_reason hd_row_map_id(const hd_descriptor *d, const int pos[HD_F__COUNT], int nfields,
                        const hd_csv_record *row, hd_date as_of, hd_row_ctx *ctx,
                        hd_record *rec, int *bad_field,
                        void (*id_known)(void *arg, const char *id18), void *arg)
{
    return row_map(d, pos, nfields, row, as_of, ctx, rec, bad_field, id_known, arg);
}

hd_reason hd_row_cell(const hd_descriptor *d, const int pos[HD_F__COUNT], const hd_csv_record *row,
                      hd_fid f, hd_value *v)
{
    v->present = 0;
    if ((unsigned)f >= HD_F__COUNT || f == HD_F_ID_NUMBER || pos[f] < 0 ||
        (size_t)pos[f] >= row->nfields || row->fault != HD_R_NONE)
        return HD_R_MISSING;
    const char *s = row->fields[pos[f]].p;
    size_t n = row->fields[pos[f]].n;
    cell_clean(&s, &n);
    if (n == 0) return HD_R_MISSING;
    return parse_cell(d, f, s, n, v);
}
