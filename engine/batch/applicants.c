/*
 * applicants.c — county submissions -> households and members
 * (SPEC §6 "Applicants" and "Further decisions: Applicants").
 *
 * Rows are grouped by application_id within each file; a household's
 * members are laid out contiguously in the order of its rows, households in
 * the order of their first row. Every row whose application id can be read
 * is a member, usable or not; a row without one is quarantined and belongs
 * to no household (docs/applicants.md).
 *
 * The files are read on the run's threads: each thread stages a whole file
 * (its rows, applications and strings in an arena of the file's own, the
 * members' and households' tokens), then lays it out in the model in file
 * order, one file at a time (commit_file), so the model is the same
 * whatever the threads. An application id an earlier file already laid out
 * is the one thing a file cannot know while it is staged: when the layout
 * finds one, the file is read again in its turn the way one thread reads
 * it (rare: SPEC §7 APPLICATION_ID_REUSED).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch/internal.h"
#include "hedui/rules.h"
#include "util/arena.h"
#include "util/pool.h"
#include "util/strmap.h"

typedef struct staged_row {
    uint64_t line;
    hd_reason rejected;
    int32_t app;                  /* staged application, -1: none */
    hd_id id;
    const char *name, *member_no;
    uint8_t relation;
    uint8_t rejected_field;       /* 1 + hd_fid at fault, 0: none */
    uint8_t parsed;               /* HD_MP_* of a rejected row */
    int64_t declared_income;
    unsigned char token[32];      /* of a usable row, with a key */
} staged_row;

typedef struct staged_app {
    const char *app_id;
    size_t app_id_n;
    const char *county;           /* first usable row's, else first row's text */
    int area, assist;
    int have_usable;
    int reused;                   /* id used by an earlier file of the county */
    int superseded;               /* judged in an earlier population (SPEC §10) */
    uint32_t nrows;
    uint32_t household;
    int seen_n;                   /* length of its key in the map of earlier
                                     files (seen_key), 0: none */
    uint64_t seen_h;              /* that key's hash, worked out on the
                                     thread that staged the file */
    unsigned char token[32];      /* the household's, with a key */
} staged_app;

/* One population's files and what the threads that read them share. */
struct load {
    hd_model *m;
    const hd_descriptor *d;
    const hd_policy *policy;      /* NULL: county codes are not checked */
    hd_date as_of;
    const hd_key *key;            /* NULL: no tokens */
    char **files;
    hd_file_result *results;
    int nfiles;
    hd_strmap *seen;              /* earlier files: county \x1f id -> the first
                                     household laid out for it, of this
                                     population or (with a tally) an earlier
                                     one: its `population` tells which */
    int population;               /* hd_population of these files */
    hd_load_tally *tally;         /* may be NULL */
    atomic_int next;              /* the next file to stage */
    pthread_mutex_t mu;
    pthread_cond_t turn_cv;
    int turn;                     /* the file whose layout is next */
    int rc;                       /* the first failure, in file order */
    hd_error err;
};

/* One thread's file: what it has staged. */
struct ctx {
    struct load *L;
    hd_model *m;
    const hd_descriptor *d;
    const hd_policy *policy;      /* NULL: county codes are not checked */
    hd_date as_of;
    struct hd_arena *arena;       /* the staged file's strings; NULL: read in
                                     its turn, into the model's arena */
    hd_tokener *tk;               /* this thread's, NULL without a key */
    char last_county[7];          /* county_ok's last code ("" none) and answer */
    int last_county_ok;
    int unattributed;             /* rows of this file with no application */
    uint32_t file;
    int pos[HD_F__COUNT];
    staged_row *rows; uint32_t nrows, caprows;
    staged_app *apps; uint32_t napps, capapps;
    hd_strmap *apps_by_id;        /* this file: application id -> staged app */
    hd_strmap *ids_in_apps;       /* this file: "app:ID" of usable rows */
    int id_damage;                /* an ID cell EXCEL_MANGLED, or ID_CHECK
                                     ending 000 (SPEC §7 ID_SUSPECT) */
    char first_county[7];         /* county_code of the first readable row */
};

static int grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap) return 0;
    uint32_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return -1;
    *p = q; *cap = c;
    return 0;
}

/* The cleaned text of a column of a row, if the row has it and it is text:
 * valid UTF-8 without a NUL byte (a faulty row's "A001\0\0" would be a
 * second application whose id reads "A001" everywhere a string goes). */
static int cell(const hd_csv_record *row, int pos, const char **s, size_t *n)
{
    if (pos < 0 || (size_t)pos >= row->nfields) return 0;
    *s = row->fields[pos].p;
    *n = row->fields[pos].n;
    hd_cell_clean(s, n);
    return *n > 0 && hd_utf8_valid(*s, *n) && !memchr(*s, 0, *n);
}

/* A copy of s[0..n): in the staged file's arena (commit_file copies what
 * the model keeps, keep()), else in the model's own. */
static const char *sdup(struct ctx *c, const char *s, size_t n)
{
    return c->arena ? hd_arena_strndup(c->arena, s ? s : "", s ? n : 0) : hd_model_strdup(c->m, s, n);
}

static int app_of(struct ctx *c, const char *s, size_t n)
{
    /* a household's rows mostly follow one another: the last application
     * is asked first, without a probe */
    if (c->napps) {
        const staged_app *last = &c->apps[c->napps - 1];
        if (last->app_id_n == n && !memcmp(last->app_id, s, n)) return (int)(c->napps - 1);
    }
    uint32_t a = hd_strmap_get(c->apps_by_id, s, n);
    if (a != UINT32_MAX) return (int)a;
    if (grow((void **)&c->apps, &c->capapps, c->napps + 1, sizeof *c->apps)) return -2;
    staged_app *ap = &c->apps[c->napps];
    memset(ap, 0, sizeof *ap);
    ap->app_id = sdup(c, s, n);
    ap->app_id_n = n;
    ap->area = ap->assist = -1;
    if (!ap->app_id || hd_strmap_put(c->apps_by_id, s, n, c->napps)) return -2;
    return (int)c->napps++;
}

/* A county code the batch can judge: six digits with a standard for the
 * run's year (SPEC §4; a household of another county cannot be judged). */
static int county_ok(struct ctx *c, const char *s, size_t n)
{
    if (n != 6) return 0;
    for (size_t i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    if (!c->policy) return 1;
    /* an applicant file is one county's: the last answer is kept */
    if (c->last_county[0] && !memcmp(c->last_county, s, 6)) return c->last_county_ok;
    int y, mo, d;
    hd_date_to_ymd(c->as_of, &y, &mo, &d);
    char code[7];
    memcpy(code, s, 6);
    code[6] = 0;
    int64_t fen;   /* a standards row holds both figures: one lookup says both */
    c->last_county_ok = hd_standard_lookup(c->policy, code, y, 1, &fen) == HD_OK;
    memcpy(c->last_county, code, 7);
    return c->last_county_ok;
}

static int seen_key(char *buf, size_t cap, const char *county, const char *app_id)
{
    /* "%s\x1f%s" without printf: this runs for every row and application */
    size_t a = strlen(county), b = strlen(app_id);
    if (a + 1 + b >= cap) return -1;
    memcpy(buf, county, a);
    buf[a] = '\x1f';
    memcpy(buf + a + 1, app_id, b + 1);
    return (int)(a + 1 + b);
}

/* The household of this population that an earlier file laid out under
 * key[0..kn) (hashed h), or UINT32_MAX. */
static uint32_t kept_of_key(const struct ctx *c, const char *key, int kn, uint64_t h)
{
    uint32_t kept = kn > 0 ? hd_strmap_get_hashed(c->L->seen, h, key, (size_t)kn) : UINT32_MAX;
    return kept != UINT32_MAX && c->m->households[kept].population == (uint8_t)c->L->population ? kept
                                                                                                  : UINT32_MAX;
}

/* The same for the application (county, app_id). */
static uint32_t kept_by_earlier_file(const struct ctx *c, const char *county, const char *app_id)
{
    char key[600];
    int kn = seen_key(key, sizeof key, county, app_id);
    return kept_of_key(c, key, kn, kn > 0 ? hd_strmap_hash(key, (size_t)kn) : 0);
}

/* The same for a staged application (its key hashed when it was staged). */
static uint32_t kept_for_staged(const struct ctx *c, const staged_app *ap)
{
    char key[600];
    if (ap->seen_n <= 0 || seen_key(key, sizeof key, ap->county, ap->app_id) != ap->seen_n) return UINT32_MAX;
    return kept_of_key(c, key, ap->seen_n, ap->seen_h);
}

/* How far ahead of its probe an application's slot in the map of earlier
 * files is asked for: at 500,000 households the map is tens of MB, a
 * cache miss an application in the layout's turn, which no other thread
 * can take. */
#define SEEN_AHEAD 8

/* Asks for the slot of application a + SEEN_AHEAD of the staged file. */
static void seen_prefetch(const struct ctx *c, uint32_t a)
{
    if (a + SEEN_AHEAD < c->napps && c->apps[a + SEEN_AHEAD].seen_n > 0)
        hd_strmap_prefetch(c->L->seen, c->apps[a + SEEN_AHEAD].seen_h);
}

/* "APP:ID" (the application's index in decimal, the normalised ID): the key
 * of a member within its file's applications. @return its length. */
static size_t member_key(char *buf, uint32_t app, const char *id)
{
    char d[10], *q = d + sizeof d;
    do { *--q = (char)('0' + app % 10); app /= 10; } while (app);
    size_t n = (size_t)(d + sizeof d - q), idn = strlen(id);
    memcpy(buf, q, n);
    buf[n++] = ':';
    memcpy(buf + n, id, idn + 1);
    return n + idn;
}

static void requarantine(hd_file_result *res, const hd_csv_record *row, hd_reason why, int field)
{
    res->ledger.rows_ok--;
    res->ledger.rows_quarantined++;
    hd_file_result_quarantine(res, row->line, why, field, row->raw, row->raw_len);
}

/* What a rejected row whose cells can be read still says, for the county's
 * workbook: name and member number, the ID when it was read before the
 * cell at fault (or the fault is not in a cell), the relation when its
 * cell maps, and its application's county when none is known yet. */
static void stage_rejected(struct ctx *c, staged_row *r, const hd_csv_record *row, const hd_record *rec)
{
    const char *s; size_t n;
    if (cell(row, c->pos[HD_F_NAME], &s, &n)) r->name = sdup(c, s, n);
    if (cell(row, c->pos[HD_F_MEMBER_NO], &s, &n)) r->member_no = sdup(c, s, n);
    if (rec->v[HD_F_ID_NUMBER].present && rec->v[HD_F_ID_NUMBER].n == 18) {
        memcpy(r->id.s, rec->v[HD_F_ID_NUMBER].s, 18);
        r->id.s[18] = 0;
        r->parsed |= HD_MP_ID;
    }
    hd_value rv;
    if (c->d && hd_row_cell(c->d, c->pos, row, HD_F_RELATION, &rv) == HD_R_NONE) {
        r->relation = (uint8_t)rv.i;
        r->parsed |= HD_MP_RELATION;
    }
    if (r->app >= 0 && !c->apps[r->app].county && cell(row, c->pos[HD_F_COUNTY_CODE], &s, &n))
        c->apps[r->app].county = sdup(c, s, n);
}

static int on_row(void *user, hd_file_result *res, const hd_csv_record *row,
                  hd_record *rec, hd_reason reason, int bad_field)
{
    struct ctx *c = user;
    hd_model *m = c->m;
    if (grow((void **)&c->rows, &c->caprows, c->nrows + 1, sizeof *c->rows)) return HD_ESOFTWARE;
    staged_row *r = &c->rows[c->nrows];
    memset(r, 0, sizeof *r);
    r->line = row->line;
    r->rejected = reason;
    r->relation = HD_REL_OTHER;
    if (reason != HD_R_NONE && bad_field >= 0 && bad_field < HD_F__COUNT) r->rejected_field = (uint8_t)(bad_field + 1);
    r->app = -1;
    const char *s; size_t n;
    /* a faulty row still belongs to its application when its application
     * id can be read: the household then goes to review rather than
     * silently losing a member */
    int can_read = row->fault != HD_R_LINE_TOO_LONG && row->fault != HD_R_TRUNCATED;
    if (reason == HD_R_NONE) {
        r->app = app_of(c, rec->v[HD_F_APPLICATION_ID].s, rec->v[HD_F_APPLICATION_ID].n);
    } else if (can_read && cell(row, c->pos[HD_F_APPLICATION_ID], &s, &n)) {
        r->app = app_of(c, s, n);
    }
    if (r->app < -1) return HD_ESOFTWARE;
    if (r->app < 0) c->unattributed++;
    if (!c->first_county[0] && can_read && cell(row, c->pos[HD_F_COUNTY_CODE], &s, &n) && county_ok(c, s, n)) {
        memcpy(c->first_county, s, 6);
        c->first_county[6] = 0;
    }
    if (bad_field == HD_F_ID_NUMBER && can_read && cell(row, c->pos[HD_F_ID_NUMBER], &s, &n) &&
        (reason == HD_R_EXCEL_MANGLED || (reason == HD_R_ID_CHECK && n >= 3 && !memcmp(s + n - 3, "000", 3))))
        c->id_damage = 1;
    if (reason == HD_R_NONE &&
        !county_ok(c, rec->v[HD_F_COUNTY_CODE].s, rec->v[HD_F_COUNTY_CODE].n)) {
        reason = r->rejected = HD_R_COUNTY_UNKNOWN;
        r->rejected_field = HD_F_COUNTY_CODE + 1;
        requarantine(res, row, reason, HD_F_COUNTY_CODE);
    }
    if (reason == HD_R_NONE) {
        const hd_value *v = rec->v;
        memcpy(r->id.s, v[HD_F_ID_NUMBER].s, 18);
        r->id.s[18] = 0;
        r->name = sdup(c, v[HD_F_NAME].s, v[HD_F_NAME].n);
        r->member_no = sdup(c, v[HD_F_MEMBER_NO].s, v[HD_F_MEMBER_NO].n);
        r->relation = (uint8_t)v[HD_F_RELATION].i;
        r->declared_income = v[HD_F_DECLARED_INCOME].present ? v[HD_F_DECLARED_INCOME].i : 0;
        /* the county code is copied once per application, not per row */
        const char *county = v[HD_F_COUNTY_CODE].s;
        size_t county_n = v[HD_F_COUNTY_CODE].n;
        int area = (int)v[HD_F_AREA_TYPE].i;
        int assist = v[HD_F_ASSISTANCE_TYPE].present ? (int)v[HD_F_ASSISTANCE_TYPE].i : HD_ASSIST_DIBAO;
        if (!r->name || !r->member_no) return HD_ESOFTWARE;
        hd_file_result_division(res, r->id.s);
        staged_app *a = &c->apps[r->app];
        int same_county = a->have_usable && strlen(a->county) == county_n &&
                          memcmp(a->county, county, county_n) == 0;
        if (!a->have_usable) {
            a->have_usable = 1;
            a->county = county = sdup(c, county, county_n);
            if (!county) return HD_ESOFTWARE;
            a->area = area; a->assist = assist;
            /* a staged file cannot know yet (lay_out asks, in its turn) */
            uint32_t kept = c->arena ? UINT32_MAX : kept_by_earlier_file(c, county, a->app_id);
            if (kept != UINT32_MAX) {
                /* SPEC §7: the first file in path order keeps the id, and
                 * its household hears of the reuse too */
                a->reused = 1;
                m->households[kept].flags |= HD_HF_APPLICATION_ID_REUSED;
            }
        } else if (!same_county || a->area != area || a->assist != assist) {
            r->rejected = HD_R_APPLICANT_INCONSISTENT;
            int bf = !same_county ? HD_F_COUNTY_CODE : a->area != area ? HD_F_AREA_TYPE : HD_F_ASSISTANCE_TYPE;
            r->rejected_field = (uint8_t)(bf + 1);
            r->parsed = HD_MP_ID | HD_MP_RELATION;
            requarantine(res, row, r->rejected, bf);
        }
        if (a->reused && r->rejected == HD_R_NONE) {
            r->rejected = HD_R_APPLICATION_ID_REUSED;
            r->rejected_field = HD_F_APPLICATION_ID + 1;
            r->parsed = HD_MP_ID | HD_MP_RELATION;
            requarantine(res, row, r->rejected, HD_F_APPLICATION_ID);
        }
        if (r->rejected == HD_R_NONE) {
            /* the same person twice in one application would count twice
             * in `members` and raise every per-capita limit */
            char key[40];
            size_t kn = member_key(key, (uint32_t)r->app, r->id.s);
            if (hd_strmap_get(c->ids_in_apps, key, kn) != UINT32_MAX) {
                r->rejected = HD_R_DUPLICATE_MEMBER;
                r->rejected_field = HD_F_ID_NUMBER + 1;
                r->parsed = HD_MP_ID | HD_MP_RELATION;
                requarantine(res, row, r->rejected, HD_F_ID_NUMBER);
            } else if (hd_strmap_put(c->ids_in_apps, key, kn, c->nrows)) {
                return HD_ESOFTWARE;
            }
        }
    } else if (can_read) {
        stage_rejected(c, r, row, rec);
    }
    /* the member's token on this thread, not in the layout's turn */
    if (r->rejected == HD_R_NONE && c->tk) hd_tokener_member(c->tk, &r->id, r->token);
    if (r->app >= 0) c->apps[r->app].nrows++;
    c->nrows++;
    return HD_OK;
}

/* A staged string as the model keeps it: copied out of the file's arena
 * (only the households and members laid out keep theirs, packed as one
 * thread would have packed them), or already the model's. NULL: out of
 * memory. */
static const char *keep(struct ctx *c, const char *s)
{
    return c->arena ? hd_model_strdup(c->m, s, strlen(s)) : s;
}

/* Lays out the staged file as households and members of the model. */
static int commit_file(struct ctx *c, hd_file_result *res, hd_error *err)
{
    hd_model *m = c->m;
    struct load *L = c->L;
    uint32_t nh = 0, nmem = 0;
    for (uint32_t a = 0; a < c->napps; a++) {
        staged_app *ap = &c->apps[a];
        char k[600];
        int kn;
        seen_prefetch(c, a);
        if (!ap->reused && ap->seen_n > 0 && (kn = seen_key(k, sizeof k, ap->county, ap->app_id)) == ap->seen_n) {
            /* the household it will be (laid out below in this order),
             * unless an earlier file has the id: one probe for both */
            uint32_t old;
            if (hd_strmap_add_hashed(L->seen, ap->seen_h, k, (size_t)kn, m->nhouseholds + nh, &old))
                return hd_fail(err, HD_ESOFTWARE, "out of memory");
            if (old != UINT32_MAX && old >= m->nhouseholds)     /* never: one key, one application */
                return hd_fail(err, HD_ESOFTWARE, "%s: two applications of the file have one key", res->path);
            if (old != UINT32_MAX && m->households[old].population != (uint8_t)L->population) {
                /* SPEC §10: an application is judged in the first population
                 * it appears in; here it is only counted (and logged) */
                ap->superseded = 1;
                if (L->tally) L->tally->superseded[L->population]++;
            } else if (old != UINT32_MAX &&
                       hd_strmap_put(L->seen, k, (size_t)kn, m->nhouseholds + nh)) {
                /* an earlier file of this population has the id and this
                 * application no usable row (one with a usable row is
                 * reused, above): the id names this household from now on,
                 * as it did before seen and taken were one map */
                return hd_fail(err, HD_ESOFTWARE, "out of memory");
            }
        }
        if (!ap->reused && !ap->superseded) { nh++; nmem += ap->nrows; }
    }
    if (L->tally)
        for (uint32_t i = 0; i < c->nrows; i++)
            if (c->rows[i].app >= 0 && c->apps[c->rows[i].app].superseded &&
                c->rows[i].rejected == HD_R_NONE)
                res->ledger.rows_superseded++;
    if (grow((void **)&m->households, &m->caphouseholds, m->nhouseholds + nh, sizeof *m->households) ||
        grow((void **)&m->members, &m->capmembers, m->nmembers + nmem, sizeof *m->members))
        return hd_fail(err, HD_ESOFTWARE, "out of memory");
    uint32_t *cursor = calloc(c->napps + 1, sizeof *cursor);
    if (!cursor) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    uint32_t next = m->nmembers;
    for (uint32_t a = 0; a < c->napps; a++) {
        staged_app *ap = &c->apps[a];
        if (ap->reused || ap->superseded) continue;
        const char *county = ap->county ? keep(c, ap->county) : "", *app_id = keep(c, ap->app_id);
        if (!county || !app_id) { free(cursor); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
        ap->household = m->nhouseholds++;
        hd_household *h = &m->households[ap->household];
        memset(h, 0, sizeof *h);
        h->county_code = county;
        h->application_id = app_id;
        h->assistance_type = (uint8_t)(ap->assist >= 0 ? ap->assist : HD_ASSIST_DIBAO);
        h->area_type = (uint8_t)(ap->area >= 0 ? ap->area : HD_AREA_URBAN);
        h->first_member = next;
        h->nmembers = ap->nrows;
        h->file = c->file;
        h->population = (uint8_t)L->population;
        if (c->tk) memcpy(h->token, ap->token, sizeof h->token);
        next += ap->nrows;
    }
    for (uint32_t i = 0; i < c->nrows; i++) {
        staged_row *r = &c->rows[i];
        if (r->app < 0 || c->apps[r->app].reused || c->apps[r->app].superseded)
            continue;   /* quarantined, or judged in an earlier population: no household */
        staged_app *ap = &c->apps[r->app];
        hd_household *h = &m->households[ap->household];
        hd_member *mb = &m->members[h->first_member + cursor[r->app]++];
        memset(mb, 0, sizeof *mb);
        mb->household = ap->household;
        mb->line = r->line < UINT32_MAX ? (uint32_t)r->line : UINT32_MAX;
        mb->rejected = (uint8_t)r->rejected;
        mb->rejected_field = r->rejected_field;
        mb->parsed = r->rejected == HD_R_NONE ? 0 : r->parsed;
        mb->id = r->id;
        mb->name = r->name ? keep(c, r->name) : "";
        mb->member_no = r->member_no ? keep(c, r->member_no) : "";
        if (!mb->name || !mb->member_no) { free(cursor); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
        mb->relation = r->relation;
        mb->declared_income = r->rejected == HD_R_NONE ? r->declared_income : 0;
        mb->next_same_id = HD_NONE;
        if (r->rejected == HD_R_NONE) { if (c->tk) memcpy(mb->token, r->token, sizeof mb->token); }
        else h->row_rejected = 1;
        if (c->id_damage && r->rejected == HD_R_NONE && !memcmp(mb->id.s + 15, "000", 3)) {
            /* SPEC §7: a spreadsheet may have zeroed the last digits of
             * this ID and it still passed the check character */
            h->flags |= HD_HF_ID_SUSPECT;
            res->ledger.ids_suspect++;
        }
    }
    m->nmembers = next;
    free(cursor);
    if (c->unattributed) {
        /* rows that belong to no application may be members of any of this
         * file's households: none of them can come out eligible unseen */
        for (uint32_t a = 0; a < c->napps; a++)
            if (!c->apps[a].reused && !c->apps[a].superseded)
                m->households[c->apps[a].household].row_rejected = 1;
    }
    return HD_OK;
}

/* SPEC §7: the county of an applicant file rejected whole: that of its
 * first readable row, else the file name's leading six digits when they
 * are a known division code, else "unknown". */
static void rejected_county(const struct ctx *c, hd_file_result *res)
{
    if (c->first_county[0]) {
        snprintf(res->county, sizeof res->county, "%s", c->first_county);
        return;
    }
    const char *b = strrchr(res->path, '/');
    b = b ? b + 1 : res->path;
    int six = 1;
    for (int i = 0; i < 6 && six; i++) six = b[i] >= '0' && b[i] <= '9';
    if (six && hd_division_known(b)) {
        memcpy(res->county, b, 6);
        res->county[6] = 0;
    } else {
        snprintf(res->county, sizeof res->county, "unknown");
    }
}

int hd_load_applicants(hd_model *m, const hd_descriptor *d, char **files, int nfiles,
                       hd_date as_of, const hd_key *key, const hd_policy *policy,
                       hd_file_result *results, hd_error *err)
{
    return hd_load_population(m, d, files, nfiles, as_of, key, policy, results,
                              HD_POP_APPLICANT, NULL, 1, err);
}

/* Reads file f into c: staged (its strings in an arena of its own, no
 * application id asked of earlier files) or, in its turn, the way one
 * thread reads it. */
static int stage_file(struct ctx *c, int f, int staged, hd_error *err)
{
    struct load *L = c->L;
    hd_file_result *res = &L->results[f];
    if (!res->path) res->path = L->files[f];
    c->nrows = c->napps = 0;
    c->unattributed = 0;
    c->id_damage = 0;
    c->first_county[0] = 0;
    c->file = res->index;
    c->arena = staged ? hd_arena_new() : NULL;
    c->apps_by_id = hd_strmap_new();
    c->ids_in_apps = hd_strmap_new();
    int rc = HD_OK;
    if ((staged && !c->arena) || !c->apps_by_id || !c->ids_in_apps) {
        rc = hd_fail(err, HD_ESOFTWARE, "out of memory");
    } else {
        for (int i = 0; i < HD_F__COUNT; i++) c->pos[i] = -1;
        rc = hd_scan_file(L->d, L->as_of, res, on_row, c, NULL, c->pos);
        if (rc != HD_OK) hd_fail(err, rc, "%s: cannot load applicants (out of memory)", res->path);
    }
    hd_strmap_free(c->apps_by_id);
    hd_strmap_free(c->ids_in_apps);
    c->apps_by_id = c->ids_in_apps = NULL;
    for (uint32_t a = 0; rc == HD_OK && a < c->napps; a++) {
        staged_app *ap = &c->apps[a];
        if (c->tk) hd_tokener_household(c->tk, ap->county ? ap->county : "", ap->app_id, ap->token);
        /* the key of the map of earlier files, hashed here, on this thread */
        char k[600];
        ap->seen_n = ap->county ? seen_key(k, sizeof k, ap->county, ap->app_id) : 0;
        if (ap->seen_n > 0) ap->seen_h = hd_strmap_hash(k, (size_t)ap->seen_n);
    }
    return rc;
}

/* Whether an application of the staged file has a household an earlier
 * file of this population laid out (SPEC §7: the file must be read again,
 * in its turn, for the reuse to be seen row by row). */
static int staged_reuses(const struct ctx *c)
{
    for (uint32_t a = 0; a < c->napps; a++) {
        seen_prefetch(c, a);
        if (c->apps[a].have_usable && kept_for_staged(c, &c->apps[a]) != UINT32_MAX) return 1;
    }
    return 0;
}

/* File f, staged in c, into the model, in its turn. */
static int lay_out(struct ctx *c, int f, const hd_file_result *before, hd_error *err)
{
    hd_file_result *res = &c->L->results[f];
    int rc = HD_OK;
    if (c->arena && staged_reuses(c)) {
        /* what the staging did to the file's result goes, and the file is
         * read again with the earlier files' applications at hand (a file
         * damaged after such a row too: the earlier household still hears
         * of the reuse, as when one thread reads it) */
        hd_arena_free(c->arena);
        c->arena = NULL;
        hd_file_result_free(res);
        *res = *before;
        rc = stage_file(c, f, 0, err);
    }
    if (rc != HD_OK) {
        /* the error says what */
    } else if (res->damage != HD_R_NONE) {
        /* SPEC §7: a file that cannot be read, decoded or bound is
         * rejected whole: no household of it, its rows quarantined */
        rejected_county(c, res);
        res->ledger.rows_quarantined = res->ledger.rows;
        res->ledger.rows_ok = 0;
    } else {
        rc = commit_file(c, res, err);
    }
    /* commit_file copied what the model keeps */
    hd_arena_free(c->arena);
    c->arena = NULL;
    return rc;
}

static void *load_worker(void *arg)
{
    struct load *L = arg;
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.L = L;
    c.m = L->m;
    c.d = L->d;
    c.policy = L->policy;
    c.as_of = L->as_of;
    /* one keyed HMAC state per thread for every token it makes */
    c.tk = L->key ? hd_tokener_new(L->key) : NULL;
    for (;;) {
        int f = atomic_fetch_add(&L->next, 1);
        if (f >= L->nfiles) break;
        hd_error err;
        hd_error_clear(&err);
        hd_file_result before = L->results[f];
        pthread_mutex_lock(&L->mu);
        int failed = L->rc != HD_OK;
        pthread_mutex_unlock(&L->mu);
        int rc = failed ? HD_OK
               : L->key && !c.tk ? hd_fail(&err, HD_ESOFTWARE, "out of memory")
               : stage_file(&c, f, 1, &err);
        pthread_mutex_lock(&L->mu);
        while (L->turn != f) pthread_cond_wait(&L->turn_cv, &L->mu);
        if (L->rc == HD_OK && rc == HD_OK) rc = lay_out(&c, f, &before, &err);
        if (L->rc == HD_OK && rc != HD_OK) { L->rc = rc; L->err = err; }
        L->turn++;
        pthread_cond_broadcast(&L->turn_cv);
        pthread_mutex_unlock(&L->mu);
        hd_arena_free(c.arena);    /* a file not laid out (a failure) */
        c.arena = NULL;
    }
    free(c.rows);
    free(c.apps);
    hd_tokener_free(c.tk);
    return NULL;
}

int hd_load_population(hd_model *m, const hd_descriptor *d, char **files, int nfiles,
                       hd_date as_of, const hd_key *key, const hd_policy *policy,
                       hd_file_result *results, int population, hd_load_tally *tally,
                       int threads, hd_error *err)
{
    struct load L = { .m = m, .d = d, .policy = policy, .as_of = as_of, .key = key, .files = files,
                      .results = results, .nfiles = nfiles, .population = population, .tally = tally };
    /* with a tally, the populations' one map of the applications taken */
    hd_strmap *own = tally && tally->taken ? NULL : hd_strmap_new();
    L.seen = own ? own : tally && tally->taken ? tally->taken : NULL;
    if (!L.seen) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    atomic_init(&L.next, 0);
    pthread_mutex_init(&L.mu, NULL);
    pthread_cond_init(&L.turn_cv, NULL);
    hd_error_clear(&L.err);
    int nt = threads < 1 ? 1 : threads > nfiles ? (nfiles > 0 ? nfiles : 1) : threads;
    hd_pool_run(nt, load_worker, &L);
    pthread_cond_destroy(&L.turn_cv);
    pthread_mutex_destroy(&L.mu);
    hd_strmap_free(own);
    if (L.rc != HD_OK) {
        if (err) *err = L.err;
        return L.rc;
    }
    return HD_OK;
}
