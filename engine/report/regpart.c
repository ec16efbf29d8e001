/*
 * regpart.c — the register's part of the finished run, read (report/regpart.h):
 * the suppression queries the other writers ask, and the files written from
 * the findings (county/<code>/findings.csv, register/{run,households,findings}.csv,
 * audit/findings.jsonl, summary.json's "suppressed"). The findings
 * themselves are worked out by register/findings.c before any writer runs;
 * docs/register.md gives the rules in prose.
 *
 * Reentrancy: pure readers of a finished run; the writers call them from
 * many threads.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules/labels.h"
#include "report/regpart.h"
#include "report/common.h"
#include "util/path.h"

#define BIT(f) (1u << (f))

/* ------------------------------------------------------------ queries */

const hd_reg_finding *hd_reg_record_suppressed(const hd_results *st, uint32_t record, int code)
{
    const hd_reg_state *r = st->reg;
    if (!r || !r->nsup) return NULL;
    /* lower bound of record */
    uint32_t lo = 0, hi = r->nsup;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r->sup[mid].record < record) lo = mid + 1; else hi = mid;
    }
    for (; lo < r->nsup && r->sup[lo].record == record; lo++)
        if (r->f[r->sup[lo].finding].code == code) return &r->f[r->sup[lo].finding];
    return NULL;
}

const hd_reg_finding *hd_reg_member_suppressed(const hd_results *st, uint32_t member, int code)
{
    const hd_reg_state *r = st->reg;
    if (!r || !r->first) return NULL;
    uint32_t h = st->m->members[member].household;
    for (uint32_t i = r->first[h]; i < r->first[h + 1]; i++)
        if (r->f[i].member == member && r->f[i].code == code && r->f[i].suppressed) return &r->f[i];
    return NULL;
}

void hd_reg_finding_hex(const hd_reg_finding *f, char id[33], char digest[65])
{
    if (id) hd_hex(f->id, sizeof f->id, id);
    if (digest) hd_hex(f->digest, sizeof f->digest, digest);
}

void hd_reg_suppressed_text(const hd_reg_finding *f, char *out, size_t cap)
{
    char d[11], u[11] = "";
    hd_date_format(f->by->imported, d);
    if (f->by->until != HD_DATE_NONE) hd_date_format(f->by->until, u);
    snprintf(out, cap, "suppressed %s (%s %s%s%s)", hd_finding_name((hd_finding)f->code),
             hd_outcome_name(f->by->outcome), d, *u ? " until " : "", u);
}

/* ------------------------------------------------------------ writers */

static const char *const county_header[] = {
    "finding_id", "application_id", "member_no", "code", "code_zh", "source", "evidence", "strength",
    "outcome", "note", "until", "status", "status_detail"
};

const char *const *hd_reg_county_header(void) { return county_header; }

static const char *outcome_word(int o) { return o == HD_OUT_INELIGIBLE ? "ineligible" : o == HD_OUT_REVIEW ? "review" : "ignore"; }

/* The evidence text of a finding (masked like members.csv). */
static void evidence_text(const hd_results *st, const hd_reg_finding *f, char *out, size_t cap)
{
    hd_judgement j;
    hd_judgements_get(&st->judgements, f->household, &j);
    hd_record rec;
    out[0] = '\0';
    size_t used = 0;
    char y1[32], y2[32];
    switch (f->code) {
    case HD_FD_INCOME_OVER_STANDARD:
        hd_report_yuan(j.household_income_fen, y1, sizeof y1); hd_report_yuan(j.standard_fen, y2, sizeof y2);
        used = (size_t)snprintf(out, cap, "household income %s yuan/month, standard %s yuan x %u members",
                                y1, y2, st->m->households[f->household].nmembers);
        break;
    case HD_FD_ASSETS_OVER_LIMIT:
        hd_report_yuan(j.assets_fen, y1, sizeof y1);
        used = (size_t)snprintf(out, cap, "financial assets %s yuan", y1);
        break;
    case HD_FD_PROPERTY_MULTIPLE_HOMES:
        used = (size_t)snprintf(out, cap, "%d homes", j.homes);
        break;
    default:
        break;
    }
    if (used >= cap) { out[cap - 1] = '\0'; return; }
    if (f->code == HD_FD_NEAR_MISS) {
        /* the near-miss rows of its member and source (SPEC §9) */
        for (uint32_t ri = 0; ri < st->nresults; ri++) {
            const hd_file_result *fr = &st->results[ri];
            if (fr->source < 0 || (uint16_t)fr->source != f->source) continue;
            for (uint32_t u = 0; u < fr->nunread; u++) {
                if (!fr->unread[u].near || fr->unread[u].member != f->member) continue;
                if (used) { int n = snprintf(out + used, cap - used, " | "); if (n < 0 || (size_t)n >= cap - used) return; used += (size_t)n; }
                int n = hd_report_near_text(st, fr, &fr->unread[u], out + used, cap - used);
                if (n < 0 || (size_t)n >= cap - used) { out[used] = '\0'; return; }
                used += (size_t)n;
            }
        }
        return;
    }
    /* the evidence records: this finding's own, or every one of its
     * code in the household (household-level findings) */
    if (f->record != HD_NONE) {
        hd_model_record(st->m, f->record, &rec);
        char one[1024];
        hd_report_evidence(st, &rec, one, sizeof one);
        snprintf(out + used, cap - used, "%s%s", used ? " | " : "", one);
        return;
    }
    const hd_household *hh = &st->m->households[f->household];
    for (uint32_t i = 0; i < hh->nmembers; i++) {
        const hd_member *mb = &st->m->members[hh->first_member + i];
        for (uint32_t k = 0; k < mb->nrecords; k++) {
            uint32_t ri = mb->records[k];
            if (!(hd_model_findings(st->m, ri) & BIT(f->code))) continue;
            hd_model_record(st->m, ri, &rec);
            char one[1024];
            hd_report_evidence(st, &rec, one, sizeof one);
            int n = snprintf(out + used, cap - used, "%s%s", used ? " | " : "", one);
            if (n < 0 || (size_t)n >= cap - used) { out[used] = '\0'; return; }
            used += (size_t)n;
        }
    }
}

static void status_detail(const hd_reg_finding *f, char *out, size_t cap)
{
    out[0] = '\0';
    if (!f->suppressed) return;
    char d[11], u[11] = "";
    hd_date_format(f->by->imported, d);
    if (f->by->until != HD_DATE_NONE) hd_date_format(f->by->until, u);
    snprintf(out, cap, "%s %s%s%s", hd_outcome_name(f->by->outcome), d, *u ? " until " : "", u);
}

/* Rows of county c in findings.csv order: the raised findings of the
 * households that are not ELIGIBLE, then every suppressed finding. */
void hd_reg_county_rows(const hd_results *st, uint32_t c, hd_reg_row_fn fn, void *user)
{
    const hd_reg_state *r = st->reg;
    uint32_t row = 0;
    char ev[8192], detail[128], fid[40], hex[33];
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t p = st->county_first[c]; p < st->county_first[c + 1]; p++) {
            uint32_t h = st->order[p];
            if (pass == 0 && st->judgements.kept[h].verdict == HD_V_ELIGIBLE) continue;
            for (uint32_t i = r->first[h]; i < r->first[h + 1]; i++) {
                const hd_reg_finding *f = &r->f[i];
                if (f->suppressed != pass) continue;
                const hd_household *hh = &st->m->households[h];
                hd_reg_finding_hex(f, hex, NULL);
                snprintf(fid, sizeof fid, "f%s", hex);
                evidence_text(st, f, ev, sizeof ev);
                status_detail(f, detail, sizeof detail);
                const char *cells[13] = {
                    fid, hh->application_id,
                    f->member != HD_NONE ? st->m->members[f->member].member_no : "",
                    hd_finding_name((hd_finding)f->code), hd_finding_label_zh((hd_finding)f->code),
                    f->source != UINT16_MAX ? st->job->sources[f->source].name : "",
                    ev, f->lead ? "lead" : "verified", "", "", "",
                    f->suppressed ? "suppressed" : "raised", detail
                };
                fn(user, row++, cells);
            }
        }
}

static void csv_row(void *user, uint32_t row, const char *const cells[13])
{
    (void)row;
    hd_out *o = user;
    for (int i = 0; i < 13; i++) hd_out_csv_str(o, cells[i], i == 0);
    hd_out_str(o, "\n");
}

int hd_reg_write_county(const hd_results *st, const char *dir, uint32_t c, hd_error *err)
{
    const char *cd = hd_report_county_dir(st->counties[c]);
    int unk = !strcmp(cd, "unknown");
    if (unk)      /* county/unknown/: written once, for the first such county */
        for (uint32_t k = 0; k < c; k++)
            if (!strcmp(hd_report_county_dir(st->counties[k]), "unknown")) return HD_OK;
    char path[4400];
    snprintf(path, sizeof path, "%s/county/%s", dir, cd);
    if (hd_mkdirs(path, 0700) != 0) return hd_fail(err, HD_EIO, "%s: cannot create", path);
    snprintf(path, sizeof path, "%s/county/%s/findings.csv", dir, cd);
    hd_out *o;
    int rc = hd_out_open(&o, path, err);
    if (rc) return rc;
    for (int i = 0; i < 13; i++) hd_out_csv_str(o, county_header[i], i == 0);
    hd_out_str(o, "\n");
    for (uint32_t k = c; k < st->ncounties; k++) {
        if (k != c && !(unk && !strcmp(hd_report_county_dir(st->counties[k]), "unknown"))) continue;
        hd_reg_county_rows(st, k, csv_row, o);
        if (!unk) break;
    }
    return hd_out_close(o, err);
}

/* The households in the order of their tokens' bytes (the order of their
 * hex text), and the findings in the order of their ids: the order of the
 * register's keys. */
static int cmp_hh_token(const void *a, const void *b, void *m)
{
    const hd_household *hh = ((const hd_model *)m)->households;
    return memcmp(hh[*(const uint32_t *)a].token, hh[*(const uint32_t *)b].token, sizeof hh->token);
}

static int cmp_finding_id(const void *a, const void *b, void *r)
{
    const hd_reg_finding *f = ((const hd_reg_state *)r)->f;
    return memcmp(f[*(const uint32_t *)a].id, f[*(const uint32_t *)b].id, sizeof f->id);
}

/* 0 .. n-1 sorted by cmp (with ctx). @return a new array, NULL when out of
 * memory. */
static uint32_t *sorted_indices(uint32_t n, int (*cmp)(const void *, const void *, void *), const void *ctx)
{
    uint32_t *by = malloc(((size_t)n + 1) * sizeof *by);
    if (!by) return NULL;
    for (uint32_t i = 0; i < n; i++) by[i] = i;
    qsort_r(by, n, sizeof *by, cmp, (void *)ctx);
    return by;
}

int hd_reg_write_run(const hd_results *st, const char *dir, hd_error *err)
{
    const hd_reg_state *r = st->reg;
    char path[4400], date[11], run[64], tok[65], codes[1024], fid[33], dg[65];
    snprintf(path, sizeof path, "%s/register", dir);
    if (hd_mkdirs(path, 0700) != 0) return hd_fail(err, HD_EIO, "%s: cannot create", path);
    hd_date_format(st->job->as_of, date);
    snprintf(run, sizeof run, "%s-%.12s", date, st->input_digest);
    hd_out *o;
    snprintf(path, sizeof path, "%s/register/run.csv", dir);
    int rc = hd_out_open(&o, path, err);
    if (rc) return rc;
    hd_out_str(o, HD_REG_RUN_HEADER "\n");
    hd_out_printf(o, "%s,%s,%s,%s,", run, date, st->input_digest, st->policy->digest);
    hd_out_csv_str(o, st->key.id, 1);
    hd_out_printf(o, ",%s,%s,%u,%u\n", r->snapshot_digest, r->outcomes_digest,
                  st->m->nhouseholds, r->nf);
    if ((rc = hd_out_close(o, err))) return rc;

    /* both files in the order of the register's key (household token,
     * finding id): the record then streams them into SQLite's B-trees in
     * key order (register/db.c) */
    uint32_t *by = sorted_indices(st->m->nhouseholds, cmp_hh_token, st->m);
    uint32_t *fby = sorted_indices(r->nf, cmp_finding_id, r);
    if (!by || !fby) { free(by); free(fby); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
    snprintf(path, sizeof path, "%s/register/households.csv", dir);
    if ((rc = hd_out_open(&o, path, err))) { free(by); free(fby); return rc; }
    hd_out_str(o, HD_REG_HH_HEADER "\n");
    for (uint32_t p = 0; p < st->m->nhouseholds; p++) {
        uint32_t h = by[p];
        const hd_household *hh = &st->m->households[h];
        hd_judgement j;
        hd_judgements_get(&st->judgements, h, &j);
        hd_report_findings_text(j.findings, 0, ";", codes, sizeof codes);
        hd_out_csv_str(o, hd_household_token_hex(hh, tok), 1);
        hd_out_csv_str(o, hh->county_code, 0);
        hd_out_csv_str(o, hh->application_id, 0);
        hd_out_csv_str(o, hd_population_name(hh->population), 0);
        hd_out_csv_str(o, hd_verdict_name(j.verdict), 0);
        hd_out_csv_str(o, codes, 0);
        hd_out_printf(o, ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%d,%" PRId64 ",%d,%d\n",
                      j.standard_fen, j.household_income_fen, j.income_per_capita_fen, j.assets_fen,
                      j.assets_per_capita_fen, j.homes, j.residential_area, j.vehicles, j.businesses);
    }
    free(by);
    if ((rc = hd_out_close(o, err))) { free(fby); return rc; }

    snprintf(path, sizeof path, "%s/register/findings.csv", dir);
    if ((rc = hd_out_open(&o, path, err))) { free(fby); return rc; }
    hd_out_str(o, HD_REG_FD_HEADER "\n");
    for (uint32_t i = 0; i < r->nf; i++) {
        const hd_reg_finding *f = &r->f[fby[i]];
        const hd_household *hh = &st->m->households[f->household];
        hd_reg_finding_hex(f, fid, dg);
        hd_out_csv_str(o, fid, 1);
        hd_out_csv_str(o, hd_household_token_hex(hh, tok), 0);
        hd_out_csv_str(o, hh->county_code, 0);
        hd_out_csv_str(o, hh->application_id, 0);
        hd_out_csv_str(o, f->member != HD_NONE ? st->m->members[f->member].member_no : "-", 0);
        hd_out_csv_str(o, hd_finding_name((hd_finding)f->code), 0);
        hd_out_csv_str(o, f->member != HD_NONE ? hd_member_token_hex(&st->m->members[f->member], tok) : "-", 0);
        hd_out_csv_str(o, f->source != UINT16_MAX ? st->job->sources[f->source].name : "-", 0);
        hd_out_csv_str(o, f->lead ? "lead" : "verified", 0);
        hd_out_csv_str(o, outcome_word(f->outcome), 0);
        hd_out_csv_str(o, f->suppressed ? "suppressed" : "raised", 0);
        hd_out_csv_str(o, dg, 0);
        hd_out_str(o, "\n");
    }
    free(fby);
    if ((rc = hd_out_close(o, err))) return rc;

    /* audit/findings.jsonl: the same findings for auditors, tokens only
     * (no application id), with strength and suppression */
    snprintf(path, sizeof path, "%s/audit", dir);
    if (hd_mkdirs(path, 0700) != 0) return hd_fail(err, HD_EIO, "%s: cannot create", path);
    snprintf(path, sizeof path, "%s/audit/findings.jsonl", dir);
    if ((rc = hd_out_open(&o, path, err))) return rc;
    for (uint32_t p = 0; p < st->m->nhouseholds; p++) {
        uint32_t h = st->order[p];
        for (uint32_t i = r->first[h]; i < r->first[h + 1]; i++) {
            const hd_reg_finding *f = &r->f[i];
            hd_reg_finding_hex(f, fid, dg);
            hd_out_str(o, "{\"finding_id\":");
            hd_out_json_str(o, fid);
            hd_out_str(o, ",\"household\":");
            hd_out_json_str(o, hd_household_token_hex(&st->m->households[h], tok));
            hd_out_str(o, ",\"code\":");
            hd_out_json_str(o, hd_finding_name((hd_finding)f->code));
            hd_out_str(o, ",\"member\":");
            if (f->member != HD_NONE) hd_out_json_str(o, hd_member_token_hex(&st->m->members[f->member], tok));
            else hd_out_str(o, "null");
            hd_out_str(o, ",\"source\":");
            if (f->source != UINT16_MAX) hd_out_json_str(o, st->job->sources[f->source].name);
            else hd_out_str(o, "null");
            hd_out_printf(o, ",\"strength\":\"%s\",\"outcome\":\"%s\",\"state\":\"%s\",\"evidence_digest\":\"%s\",\"suppressed_by\":",
                          f->lead ? "lead" : "verified", outcome_word(f->outcome), f->suppressed ? "suppressed" : "raised",
                          dg);
            if (!f->suppressed) hd_out_str(o, "null}\n");
            else {
                char d[11], u[11] = "";
                hd_date_format(f->by->imported, d);
                if (f->by->until != HD_DATE_NONE) hd_date_format(f->by->until, u);
                hd_out_printf(o, "{\"outcome\":\"%s\",\"imported\":\"%s\",\"until\":%s%s%s}}\n",
                              hd_outcome_name(f->by->outcome), d, *u ? "\"" : "null", u, *u ? "\"" : "");
            }
        }
    }
    return hd_out_close(o, err);
}

void hd_reg_summary_json(const hd_results *st, hd_out *o)
{
    const hd_reg_state *r = st->reg;
    hd_finding f[HD_FD__COUNT];
    int n = hd_findings_sorted((1u << HD_FD__COUNT) - 1, f);
    hd_out_str(o, "  \"suppressed\": {");
    int first = 1;
    for (int i = 0; i < n; i++) {
        uint64_t k = r ? r->suppressed[f[i]] : 0;
        if (!k) continue;
        hd_out_printf(o, "%s\"%s\": %" PRIu64, first ? "" : ", ", hd_finding_name(f[i]), k);
        first = 0;
    }
    hd_out_str(o, "},\n");
}
