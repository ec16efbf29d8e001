/*
 * findings.c — the register's part in a run (SPEC §9): every finding of
 * every household with its finding id, evidence digest and strength, the
 * suppression of resolved findings whose evidence did not change, and the
 * files the run writes for the register (register/{run,households,findings}.csv) and for the
 * counties (county/<code>/findings.csv). docs/register.md gives the rules
 * in prose; this file is their one implementation.
 *
 * What one finding is (docs/register.md "Findings"):
 *   - record-level codes (VEHICLE_NON_EXEMPT, PROPERTY_NON_RESIDENTIAL,
 *     BUSINESS_ROLE, FUND_CONTRIBUTING, MEMBER_DECEASED, NAME_MISMATCH): one
 *     per (member, source, record key) among the records that are its
 *     evidence;
 *   - DUPLICATE_APPLICATION: one per member whose ID is in another
 *     application;
 *   - NEAR_MISS: one per (member, source) among the quarantined rows whose
 *     ID is one typo from the member's with the member's name (SPEC §9),
 *     always lead;
 *   - the household-level codes (INCOME_OVER_STANDARD, ASSETS_OVER_LIMIT,
 *     PROPERTY_MULTIPLE_HOMES, PROPERTY_AREA_OVER, SOURCE_INCOMPLETE,
 *     APPLICANT_ROW_REJECTED, and any code added later): one per household.
 *
 * Evidence digest: SHA-256 over "hedui-evidence/1", the code, the figures
 * the check compared (household-level codes) and the SHA-256 of each
 * evidence record's canonical form, in which the ID is the member token and
 * every text or identifier field (name, institution, account, plate,
 * cert_no, company, credit_code, ...) is an HMAC under the register key,
 * so that no digest can be reversed by enumerating IDs, names or accounts.
 * File names and line numbers are not in it: a record that moves to
 * another line or another night's file is the same evidence.
 *
 * Reentrancy: runs on the batch's thread, between the rules and the
 * writers; the writers read the result from many threads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "register/reg_run.h"
#include "register/reg_db.h"
#include "report/common.h"
#include "util/path.h"

#define BIT(f) (1u << (f))

/* Codes SPEC §7 says are never below review and never suppressed; by name,
 * so that codes added by other parts of hedui are covered when they land. */
static int never_suppressed(int code)
{
    static const char *const names[] = { "SOURCE_INCOMPLETE", "APPLICANT_ROW_REJECTED", "EVIDENCE_UNREADABLE",
                                         "ID_SUSPECT", "APPLICATION_ID_REUSED", NULL };
    const char *n = hd_finding_name((hd_finding)code);
    for (int i = 0; names[i]; i++) if (!strcmp(n, names[i])) return 1;
    return 0;
}

enum level { L_HOUSEHOLD = 0, L_MEMBER, L_RECORD, L_ROW };

static enum level level_of(int code)
{
    switch (code) {
    case HD_FD_VEHICLE_NON_EXEMPT: case HD_FD_PROPERTY_NON_RESIDENTIAL: case HD_FD_BUSINESS_ROLE:
    case HD_FD_FUND_CONTRIBUTING: case HD_FD_MEMBER_DECEASED: case HD_FD_NAME_MISMATCH:
        return L_RECORD;
    case HD_FD_DUPLICATE_APPLICATION:
        return L_MEMBER;
    case HD_FD_NEAR_MISS:
        return L_ROW;
    default:
        return L_HOUSEHOLD;
    }
}

/* ------------------------------------------------------------ begin */

int hd_reg_begin(hd_results *st, hd_error *err)
{
    hd_reg_state *r = calloc(1, sizeof *r);
    if (!r) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    st->reg = r;
    if (*st->job->register_db) snprintf(r->path, sizeof r->path, "%s", st->job->register_db);
    else snprintf(r->path, sizeof r->path, "%s/register.db", st->job->output);
    hd_register_key(&st->key, r->key);
    int rc = hd_register_snapshot_load(r->path, st->job->as_of, &r->snap, err);
    if (rc == HD_OK)
        snprintf(r->snapshot_digest, sizeof r->snapshot_digest, "%s", hd_register_snapshot_digest(r->snap));
    return rc;
}

void hd_reg_free(hd_results *st)
{
    hd_reg_state *r = st->reg;
    if (!r) return;
    hd_register_snapshot_free(r->snap);
    free(r->f);
    free(r->first);
    free(r->sup);
    memset(r->key, 0, sizeof r->key);
    free(r);
    st->reg = NULL;
}

/* ------------------------------------------------------------ digests */

static void keyed_hex(const hd_reg_state *r, const char *field, const char *s, size_t n, char out[65])
{
    char buf[600];
    int k = snprintf(buf, sizeof buf, "hedui:v2:evidence:%s:", field);
    size_t len = (size_t)k;
    unsigned char mac[32];
    if (len + n <= sizeof buf) {
        memcpy(buf + len, s, n);
        hd_hmac_sha256(r->key, 32, buf, len + n, mac);
    } else {
        char *b = malloc(len + n);
        if (!b) abort();
        memcpy(b, buf, len);
        memcpy(b + len, s, n);
        hd_hmac_sha256(r->key, 32, b, len + n, mac);
        free(b);
    }
    hd_hex(mac, 32, out);
}

/* SHA-256 (hex) of a record's canonical form (see the top). */
static void record_digest(const hd_results *st, const hd_record *rec, char out[65])
{
    const hd_reg_state *r = st->reg;
    hd_sha256 *h = hd_sha256_new();
    if (!h) abort();
    char line[700], hex[65];
    int n = snprintf(line, sizeof line, "source=%s\nkind=%s\n", st->job->sources[rec->source].name,
                     hd_kind_name((hd_kind)rec->kind));
    hd_sha256_update(h, line, (size_t)n);
    for (int f = 0; f < HD_F__COUNT; f++) {
        const hd_value *v = &rec->v[f];
        if (!v->present) continue;
        const char *name = hd_field_name((hd_fid)f);
        switch (hd_field_type((hd_fid)f)) {
        case HD_T_ID:
            n = snprintf(line, sizeof line, "member=%s\n",
                         hd_member_token_hex(&st->m->members[rec->member], hex));
            break;
        case HD_T_TEXT: case HD_T_CODE:
            keyed_hex(r, name, v->s ? v->s : "", v->s ? v->n : 0, hex);
            n = snprintf(line, sizeof line, "%s=%s\n", name, hex);
            break;
        case HD_T_ENUM: {
            const char *const *vals = hd_field_values((hd_kind)rec->kind, (hd_fid)f);
            n = snprintf(line, sizeof line, "%s=%s\n", name, vals ? vals[v->i] : "?");
            break;
        }
        default:
            n = snprintf(line, sizeof line, "%s=%" PRId64 "\n", name, v->i);
            break;
        }
        hd_sha256_update(h, line, (size_t)n);
    }
    unsigned char d[32];
    hd_sha256_final(h, d);
    hd_hex(d, 32, out);
}

/* A quarantined row's evidence (near misses): the keyed hex of its text as
 * read, so that the same row in tomorrow's file is the same evidence and
 * no digest can be reversed by enumerating IDs or names. */
static void row_digest(const hd_reg_state *r, const hd_file_result *fr, uint64_t line, char out[65])
{
    uint32_t lo = 0, hi = fr->nq;      /* the quarantine is in line order */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (fr->q[mid].line < line) lo = mid + 1; else hi = mid;
    }
    if (lo < fr->nq && fr->q[lo].line == line) keyed_hex(r, "row", fr->q[lo].raw, fr->q[lo].raw_len, out);
    else keyed_hex(r, "row", "", 0, out);
}

/* The record's identity for its kind (docs/register.md "Record keys"). */
static void record_key(const hd_results *st, const hd_record *rec, char *out, size_t cap)
{
    const hd_value *v = rec->v;
    char hex[65];
    switch ((hd_kind)rec->kind) {
    case HD_KIND_DEPOSIT:
        if (v[HD_F_ACCOUNT].present) { snprintf(out, cap, "%.*s", (int)v[HD_F_ACCOUNT].n, v[HD_F_ACCOUNT].s); return; }
        break;
    case HD_KIND_VEHICLE:
        if (v[HD_F_PLATE].present) { snprintf(out, cap, "%.*s", (int)v[HD_F_PLATE].n, v[HD_F_PLATE].s); return; }
        break;
    case HD_KIND_PROPERTY:
        if (v[HD_F_CERT_NO].present) { snprintf(out, cap, "%.*s", (int)v[HD_F_CERT_NO].n, v[HD_F_CERT_NO].s); return; }
        break;
    case HD_KIND_BUSINESS:
        if (v[HD_F_CREDIT_CODE].present) { snprintf(out, cap, "%.*s", (int)v[HD_F_CREDIT_CODE].n, v[HD_F_CREDIT_CODE].s); return; }
        if (v[HD_F_COMPANY].present) {
            keyed_hex(st->reg, "company", v[HD_F_COMPANY].s, v[HD_F_COMPANY].n, hex);
            snprintf(out, cap, "company:%s", hex);
            return;
        }
        break;
    case HD_KIND_INCOME: case HD_KIND_PENSION: case HD_KIND_FUND:
        if (v[HD_F_PERIOD].present) {
            int32_t p = (int32_t)v[HD_F_PERIOD].i;
            if (p % 100) snprintf(out, cap, "%04d-%02d", p / 100, p % 100);
            else snprintf(out, cap, "%04d", p / 100);
            return;
        }
        break;
    default:
        break;
    }
    record_digest(st, rec, hex);
    snprintf(out, cap, "%s", hex);
}

/* ------------------------------------------------------------ judging */

typedef struct cand {
    uint32_t member, record;
    uint16_t source;
    uint8_t lead;
    unsigned char id[16];        /* the finding id's bytes */
    char rdigest[65];            /* the record's digest, "" for none */
} cand;

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    int c = memcmp(x->id, y->id, sizeof x->id);
    if (c) return c;
    return x->record < y->record ? -1 : x->record > y->record;
}

static int push(hd_reg_state *r, const hd_reg_finding *f)
{
    if (r->nf == r->capf) {
        uint32_t cap = r->capf ? r->capf * 2 : 1024;
        hd_reg_finding *n = realloc(r->f, (size_t)cap * sizeof *n);
        if (!n) return -1;
        r->f = n; r->capf = cap;
    }
    r->f[r->nf++] = *f;
    return 0;
}

static int add_sup(hd_reg_state *r, uint32_t record, uint32_t finding)
{
    if (r->nsup == r->capsup) {
        uint32_t cap = r->capsup ? r->capsup * 2 : 256;
        struct hd_reg_sup *n = realloc(r->sup, (size_t)cap * sizeof *n);
        if (!n) return -1;
        r->sup = n; r->capsup = cap;
    }
    r->sup[r->nsup].record = record;
    r->sup[r->nsup].finding = finding;
    r->nsup++;
    return 0;
}

static int cmp_sup(const void *a, const void *b)
{
    const struct hd_reg_sup *x = a, *y = b;
    if (x->record != y->record) return x->record < y->record ? -1 : 1;
    return x->finding < y->finding ? -1 : x->finding > y->finding;
}

/* The figures a household-level check compared. */
static int figures_line(const hd_results *st, uint32_t h, int code, const hd_judgement *j, char *out, size_t cap)
{
    const hd_household *hh = &st->m->households[h];
    switch (code) {
    case HD_FD_INCOME_OVER_STANDARD:
        return snprintf(out, cap, "income=%" PRId64 " standard=%" PRId64 " members=%u\n",
                        j->household_income_fen, j->standard_fen, hh->nmembers);
    case HD_FD_ASSETS_OVER_LIMIT:
        return snprintf(out, cap, "assets=%" PRId64 " standard=%" PRId64 " members=%u\n",
                        j->assets_fen, j->standard_fen, hh->nmembers);
    case HD_FD_PROPERTY_MULTIPLE_HOMES:
        return snprintf(out, cap, "homes=%d\n", j->homes);
    case HD_FD_PROPERTY_AREA_OVER:
        return snprintf(out, cap, "area=%" PRId64 " members=%u\n", j->residential_area, hh->nmembers);
    case HD_FD_SOURCE_INCOMPLETE: {
        size_t k = 0;
        for (int s = 0; s < st->job->nsources && k < cap; s++)
            if (st->src[s].damage != HD_R_NONE)
                k += (size_t)snprintf(out + k, cap - k, "damaged=%s:%s\n", st->job->sources[s].name,
                                      hd_reason_name(st->src[s].damage));
        return (int)(k < cap ? k : cap - 1);
    }
    case HD_FD_APPLICANT_ROW_REJECTED: {
        size_t k = 0;
        for (uint32_t i = 0; i < hh->nmembers && k < cap; i++) {
            const hd_member *mb = &st->m->members[hh->first_member + i];
            k += (size_t)snprintf(out + k, cap - k, "member=%s:%s\n", mb->member_no ? mb->member_no : "",
                                  hd_reason_name(mb->rejected));
        }
        return (int)(k < cap ? k : cap - 1);
    }
    default:
        return snprintf(out, cap, "members=%u\n", hh->nmembers);
    }
}

/* The findings household h would raise without the records of lead
 * sources (SPEC §9 "Strength"): judged again with them hidden, then once
 * more as it was, so that the records' evidence bits are what the real
 * judgement left. */
static int verified_findings(const hd_results *st, uint32_t h, const uint8_t *lead, uint32_t *bits, hd_error *err)
{
    hd_model *m = st->m;
    hd_household *hh = &m->households[h];
    int any = 0;
    hd_record rec;
    for (uint32_t i = 0; i < hh->nmembers && !any; i++) {
        hd_member *mb = &m->members[hh->first_member + i];
        for (uint32_t k = 0; k < mb->nrecords && !any; k++) {
            hd_model_record(m, mb->records[k], &rec);
            any = lead[rec.source];
        }
    }
    hd_judgement j;
    hd_judgements_get(&st->judgements, h, &j);
    if (!any) { *bits = j.findings; return HD_OK; }
    uint32_t **saved = calloc(hh->nmembers, sizeof *saved);
    uint32_t *savedn = calloc(hh->nmembers, sizeof *savedn);
    uint32_t **kept = calloc(hh->nmembers, sizeof *kept);
    int rc = saved && savedn && kept ? HD_OK : hd_fail(err, HD_ESOFTWARE, "out of memory");
    for (uint32_t i = 0; rc == HD_OK && i < hh->nmembers; i++) {
        hd_member *mb = &m->members[hh->first_member + i];
        saved[i] = mb->records; savedn[i] = mb->nrecords;
        kept[i] = malloc(((size_t)mb->nrecords + 1) * sizeof **kept);
        if (!kept[i]) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
        uint32_t n = 0;
        for (uint32_t k = 0; k < mb->nrecords; k++) {
            hd_model_record(m, mb->records[k], &rec);
            if (!lead[rec.source]) kept[i][n++] = mb->records[k];
        }
    }
    if (rc == HD_OK) {
        for (uint32_t i = 0; i < hh->nmembers; i++) {
            hd_member *mb = &m->members[hh->first_member + i];
            uint32_t n = 0;
            for (uint32_t k = 0; k < savedn[i]; k++) {
                hd_model_record(m, saved[i][k], &rec);
                if (!lead[rec.source]) n++;
            }
            mb->records = kept[i]; mb->nrecords = n;
        }
        hd_judgement v;
        hd_error je;
        *bits = hd_judge(st->policy, m, h, st->job->as_of, st->damaged, &v, &je) == HD_OK ? v.findings : j.findings;
        for (uint32_t i = 0; i < hh->nmembers; i++) {
            hd_member *mb = &m->members[hh->first_member + i];
            mb->records = saved[i]; mb->nrecords = savedn[i];
        }
        hd_judge(st->policy, m, h, st->job->as_of, st->damaged, &v, &je);
    }
    for (uint32_t i = 0; kept && i < hh->nmembers; i++) free(kept[i]);
    free(saved); free(savedn); free(kept);
    return rc;
}

/* A household in output order: by county code, model order within it. */
typedef struct out_pos { const char *county; uint32_t h; } out_pos;
static int cmp_output_order(const void *a, const void *b)
{
    const out_pos *x = a, *y = b;
    int c = strcmp(x->county, y->county);
    return c ? c : (x->h > y->h) - (x->h < y->h);
}

/* The register's judging of one run: the candidates of the finding being
 * judged (grown as needed) and what every household's findings share. */
struct reg_judging {
    hd_results *st;
    hd_reg_state *r;
    hd_model *m;
    const uint8_t *lead;          /* lead[source]: the source is lead */
    int any_lead;                 /* some source is */
    cand *c;
    size_t nc, capc;
    uint32_t h;                   /* the household being judged */
    hd_judgement j;               /* its judgement by the rules */
    uint32_t verified;            /* its findings without lead sources */
    char htok[65];                /* its token */
};

/* A new zeroed candidate at the end of R->c, or NULL when out of memory. */
static cand *cand_new(struct reg_judging *R)
{
    if (R->nc == R->capc) {
        size_t cap = R->capc ? R->capc * 2 : 16;
        cand *n = realloc(R->c, cap * sizeof *n);
        if (!n) return NULL;
        R->c = n; R->capc = cap;
    }
    cand *x = &R->c[R->nc++];
    memset(x, 0, sizeof *x);
    return x;
}

/* NEAR_MISS candidates of member mi: one per quarantined row whose ID is
 * one typo from the member's (SPEC §9: one per source, its rows in
 * result and line order). */
static int gather_rows(struct reg_judging *R, const char *cname, uint32_t mi)
{
    const hd_results *st = R->st;
    char mtok[65];
    hd_member_token_hex(&R->m->members[mi], mtok);
    for (uint32_t ri = 0; ri < st->nresults; ri++) {
        const hd_file_result *fr = &st->results[ri];
        for (uint32_t u = 0; u < fr->nunread; u++) {
            if (!fr->unread[u].near || fr->unread[u].member != mi || fr->source < 0) continue;
            uint32_t ix = (uint32_t)R->nc;
            cand *x = cand_new(R);
            if (!x) return -1;
            x->member = mi; x->record = ix; x->source = (uint16_t)fr->source;
            x->lead = 1;
            hd_finding_id_bytes(R->r->key, R->htok, cname, mtok, st->job->sources[fr->source].name, NULL, x->id);
            row_digest(R->r, fr, fr->unread[u].line, x->rdigest);
        }
    }
    return 0;
}

/* Record-level candidates of member mi: one per record that is the
 * evidence of code. */
static int gather_records(struct reg_judging *R, int code, const char *cname, uint32_t mi)
{
    const hd_results *st = R->st;
    const hd_member *mb = &R->m->members[mi];
    char mtok[65], key[600];
    hd_record rec;
    for (uint32_t k = 0; k < mb->nrecords; k++) {
        if (!(hd_model_findings(R->m, mb->records[k]) & BIT(code))) continue;
        hd_model_record(R->m, mb->records[k], &rec);
        cand *x = cand_new(R);
        if (!x) return -1;
        x->member = mi; x->record = mb->records[k]; x->source = rec.source;
        x->lead = R->lead[rec.source];
        record_key(st, &rec, key, sizeof key);
        hd_finding_id_bytes(R->r->key, R->htok, cname, hd_member_token_hex(mb, mtok),
                            st->job->sources[rec.source].name, key, x->id);
        record_digest(st, &rec, x->rdigest);
    }
    return 0;
}

/* The candidates of code in the household: one per record / member, or
 * the household's when there is none (then *lv becomes L_HOUSEHOLD). */
static int gather(struct reg_judging *R, int code, enum level *lv)
{
    const hd_household *hh = &R->m->households[R->h];
    const char *cname = hd_finding_name((hd_finding)code);
    char mtok[65];
    R->nc = 0;
    for (uint32_t i = 0; *lv != L_HOUSEHOLD && i < hh->nmembers; i++) {
        uint32_t mi = hh->first_member + i;
        const hd_member *mb = &R->m->members[mi];
        if (mb->rejected != HD_R_NONE) continue;
        if (*lv == L_ROW) {
            if (gather_rows(R, cname, mi) != 0) return -1;
        } else if (*lv == L_MEMBER) {
            if (!mb->duplicate) continue;
            cand *x = cand_new(R);
            if (!x) return -1;
            x->member = mi; x->record = HD_NONE; x->source = UINT16_MAX;
            hd_finding_id_bytes(R->r->key, R->htok, cname, hd_member_token_hex(mb, mtok), NULL, NULL, x->id);
        } else if (gather_records(R, code, cname, mi) != 0) {
            return -1;
        }
    }
    if (R->nc == 0) *lv = L_HOUSEHOLD;    /* no evidence record: the household's */
    if (*lv == L_HOUSEHOLD) {
        cand *x = cand_new(R);
        if (!x) return -1;
        x->member = HD_NONE; x->record = HD_NONE; x->source = UINT16_MAX;
        x->lead = !(R->verified & BIT(code));
        hd_finding_id_bytes(R->r->key, R->htok, cname, NULL, NULL, NULL, x->id);
    }
    return 0;
}

/* The evidence digest of finding f made of the candidates c[a..b) (see the
 * top of this file) into f->digest; sets f->lead. */
static int evidence_digest(struct reg_judging *R, int code, enum level lv, size_t a, size_t b,
                           hd_reg_finding *f)
{
    const hd_household *hh = &R->m->households[R->h];
    const cand *c = R->c;
    hd_sha256 *d = hd_sha256_new();
    if (!d) return -1;
    char line[4096], mtok[65];
    int n = snprintf(line, sizeof line, "hedui-evidence/1\n%s\n", hd_finding_name((hd_finding)code));
    hd_sha256_update(d, line, (size_t)n);
    f->lead = 1;
    for (size_t k = a; k < b; k++) f->lead &= c[k].lead;
    if (lv == L_HOUSEHOLD) {
        f->lead = c[a].lead;
        n = figures_line(R->st, R->h, code, &R->j, line, sizeof line);
        hd_sha256_update(d, line, (size_t)n);
        /* every record that is its evidence */
        hd_record rec;
        for (uint32_t i = 0; i < hh->nmembers; i++) {
            const hd_member *mb = &R->m->members[hh->first_member + i];
            for (uint32_t k = 0; k < mb->nrecords; k++) {
                if (!(hd_model_findings(R->m, mb->records[k]) & BIT(code))) continue;
                hd_model_record(R->m, mb->records[k], &rec);
                char rd[65];
                record_digest(R->st, &rec, rd);
                n = snprintf(line, sizeof line, "%s\n", rd);
                hd_sha256_update(d, line, (size_t)n);
            }
        }
        f->record = HD_NONE;
    } else if (lv == L_MEMBER || lv == L_ROW) {
        n = snprintf(line, sizeof line, "member=%s\n", hd_member_token_hex(&R->m->members[f->member], mtok));
        hd_sha256_update(d, line, (size_t)n);
        for (size_t k = a; lv == L_ROW && k < b; k++) {
            n = snprintf(line, sizeof line, "row=%s\n", c[k].rdigest);
            hd_sha256_update(d, line, (size_t)n);
        }
        f->lead = lv == L_ROW;   /* a near miss is always lead (SPEC §9) */
    } else {
        for (size_t k = a; k < b; k++) {
            n = snprintf(line, sizeof line, "%s\n", c[k].rdigest);
            hd_sha256_update(d, line, (size_t)n);
        }
    }
    hd_sha256_final(d, f->digest);
    return 0;
}

/* Suppresses f (its id's hex text: id) when the register resolved it
 * (false positive or explained, still in force) with the same evidence
 * digest (SPEC §9). */
static void apply_outcome(struct reg_judging *R, int code, hd_reg_finding *f, const char *id)
{
    const hd_household *hh = &R->m->households[R->h];
    int out = R->st->policy->type[hh->assistance_type].outcome[code];
    if (f->lead && out == HD_OUT_INELIGIBLE) out = HD_OUT_REVIEW;
    f->outcome = (uint8_t)out;
    const hd_register_outcome *oc = hd_register_snapshot_outcome(R->r->snap, id);
    if (!oc) return;
    char dg[65];
    hd_reg_finding_hex(f, NULL, dg);
    if (!never_suppressed(code) &&
        (oc->outcome == HD_OC_FALSE_POSITIVE || oc->outcome == HD_OC_EXPLAINED) &&
        (oc->until == HD_DATE_NONE || oc->until >= R->st->job->as_of) &&
        !strcmp(oc->evidence_digest, dg)) {
        f->suppressed = 1;
        f->by = oc;
        R->r->suppressed[code]++;
    }
}

/* A suppressed finding's evidence records (the candidates c[a..b), every
 * evidence record for a household-level one), for members.csv. */
static int add_suppressed(struct reg_judging *R, int code, enum level lv, size_t a, size_t b,
                          const hd_reg_finding *f)
{
    const hd_household *hh = &R->m->households[R->h];
    for (uint32_t i = 0; i < hh->nmembers; i++) {
        const hd_member *mb = &R->m->members[hh->first_member + i];
        if (lv != L_HOUSEHOLD && hh->first_member + i != f->member) continue;
        for (uint32_t k = 0; k < mb->nrecords; k++) {
            uint32_t ri = mb->records[k];
            if (!(hd_model_findings(R->m, ri) & BIT(code))) continue;
            int mine = lv == L_HOUSEHOLD;
            for (size_t q = a; q < b && !mine; q++) mine = R->c[q].record == ri;
            if (!mine) continue;
            if (add_sup(R->r, ri, R->r->nf - 1) != 0) return -1;
        }
    }
    return 0;
}

/* The register's findings of code in the household: one per distinct
 * finding id among the candidates; the counted ones (not suppressed) add
 * to *counted and *verdict. */
static int judge_code(struct reg_judging *R, int code, uint32_t *counted, int *verdict)
{
    enum level lv = level_of(code);
    if (gather(R, code, &lv) != 0) return -1;
    cand *c = R->c;
    size_t nc = R->nc;
    qsort(c, nc, sizeof *c, cmp_cand);
    for (size_t a = 0; a < nc;) {
        size_t b = a + 1;
        while (b < nc && !memcmp(c[a].id, c[b].id, sizeof c->id)) b++;
        hd_reg_finding f;
        memset(&f, 0, sizeof f);
        f.household = R->h; f.member = c[a].member; f.record = lv == L_ROW ? HD_NONE : c[a].record;
        f.source = c[a].source;
        f.code = (uint8_t)code;
        memcpy(f.id, c[a].id, sizeof f.id);
        char id[33];
        hd_reg_finding_hex(&f, id, NULL);
        f.first_seen = R->r->snap ? hd_register_snapshot_first_seen(R->r->snap, id) : HD_DATE_NONE;
        if (evidence_digest(R, code, lv, a, b, &f) != 0) return -1;
        apply_outcome(R, code, &f, id);
        if (!f.suppressed) {
            *counted |= BIT(code);
            if (f.outcome > *verdict) *verdict = f.outcome;
        }
        if (push(R->r, &f) != 0) return -1;
        if (f.suppressed && add_suppressed(R, code, lv, a, b, &f) != 0) return -1;
        a = b;
    }
    return 0;
}

/* The register's findings of household h, and its judgement again with
 * the suppressed ones left out. */
static int judge_household(struct reg_judging *R, uint32_t h, hd_error *err)
{
    hd_results *st = R->st;
    R->h = h;
    hd_judgements_get(&st->judgements, h, &R->j);
    if (!R->j.findings) return HD_OK;
    R->verified = R->j.findings;
    int rc = R->any_lead ? verified_findings(st, h, R->lead, &R->verified, err) : HD_OK;
    if (rc != HD_OK) return rc;
    hd_household_token_hex(&R->m->households[h], R->htok);
    uint32_t counted = 0;
    int verdict = HD_V_ELIGIBLE;
    for (int code = 0; code < HD_FD__COUNT; code++) {
        if (!(R->j.findings & BIT(code))) continue;
        if (judge_code(R, code, &counted, &verdict) != 0)
            return hd_fail(err, HD_ESOFTWARE, "out of memory");
    }
    /* a damaged source or a lost row never lets a household be eligible */
    if ((counted & (BIT(HD_FD_SOURCE_INCOMPLETE) | BIT(HD_FD_APPLICANT_ROW_REJECTED))) && verdict < HD_V_REVIEW)
        verdict = HD_V_REVIEW;
    st->judgements.kept[h].findings = counted;
    st->judgements.kept[h].verdict = (uint8_t)verdict;
    return HD_OK;
}

/* The applied outcomes in output order (docs/register.md): households by
 * county code, model order within a county (as report/reports.c's
 * output_order), each household's findings as pushed. */
static int applied_outcomes(const hd_results *st, hd_sha256 *applied, hd_error *err)
{
    const hd_reg_state *r = st->reg;
    const hd_model *m = st->m;
    uint32_t nh = m->nhouseholds;
    out_pos *ord = malloc(((size_t)nh + 1) * sizeof *ord);
    if (!ord) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    for (uint32_t h = 0; h < nh; h++) { ord[h].county = m->households[h].county_code; ord[h].h = h; }
    qsort(ord, nh, sizeof *ord, cmp_output_order);
    for (uint32_t p = 0; p < nh; p++)
        for (uint32_t i = r->first[ord[p].h]; i < r->first[ord[p].h + 1]; i++) {
            const hd_reg_finding *x = &r->f[i];
            if (!x->suppressed || !x->by) continue;
            char u[11] = "", line[256], id[33];
            if (x->by->until != HD_DATE_NONE) hd_date_format(x->by->until, u);
            hd_reg_finding_hex(x, id, NULL);
            int n = snprintf(line, sizeof line, "%s\t%lld\t%lld\t%s\t%s\n", id, (long long)x->by->file_seq,
                             (long long)x->by->line, hd_outcome_name(x->by->outcome), u);
            hd_sha256_update(applied, line, (size_t)n);
        }
    free(ord);
    return HD_OK;
}

int hd_reg_judge(hd_results *st, hd_error *err)
{
    hd_reg_state *r = st->reg;
    uint32_t nh = st->m->nhouseholds;
    r->first = calloc((size_t)nh + 1, sizeof *r->first);
    uint8_t *lead = calloc((size_t)st->job->nsources + 1, 1);
    if (!r->first || !lead) { free(lead); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
    int any_lead = 0;
    for (int s = 0; s < st->job->nsources; s++) any_lead |= (lead[s] = (uint8_t)st->job->sources[s].lead);
    struct reg_judging R = { .st = st, .r = r, .m = st->m, .lead = lead, .any_lead = any_lead };
    hd_sha256 *applied = hd_sha256_new();
    int rc = applied ? HD_OK : hd_fail(err, HD_ESOFTWARE, "out of memory");
    for (uint32_t h = 0; rc == HD_OK && h < nh; h++) {
        r->first[h] = r->nf;
        rc = judge_household(&R, h, err);
    }
    r->first[nh] = r->nf;
    if (r->nsup) qsort(r->sup, r->nsup, sizeof *r->sup, cmp_sup);
    if (rc == HD_OK) rc = applied_outcomes(st, applied, err);
    unsigned char dg[32];
    hd_sha256_final(applied, dg);
    hd_hex(dg, 32, r->outcomes_digest);
    free(R.c);
    free(lead);
    return rc;
}

