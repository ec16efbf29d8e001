/*
 * damage.c — when a source is damaged (SPEC §4, §7): the one set of rules
 * that the nightly run and the index builder (`hedui index`) both apply to
 * the per-file results of a scan, so that an index never holds a source as
 * sound that the run would call damaged.
 *
 * A source keeps the first damage it gets, in this order: no file, each
 * file's own damage (in file order) or its quarantine rate, too few rows,
 * rows dropped against the previous run, stale. A required kind without a
 * source damages the run (NO_SOURCE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch/internal.h"
#include "io/file.h"

void hd_run_source_damage(hd_results *st, int s, hd_reason why, const char *msg)
{
    hd_source_state *ss = &st->src[s];
    if (ss->damage == HD_R_NONE) {
        ss->damage = why;
        snprintf(ss->damage_msg, sizeof ss->damage_msg, "%s", msg);
    }
    st->damaged = 1;
}

/* The rows of each source of the previous run (SPEC §7 ROWS_DROPPED; §8
 * "The previous run"): its summary.json, "sources": [{"name": N, ...,
 * "rows": R, ...}, ...] as write_summary writes it (source names are
 * letters, digits, '-', '_' and '.', never escaped). A source the previous
 * run did not have keeps prev_rows = -1. */
void hd_run_previous_rows(hd_results *st)
{
    for (int s = 0; s < st->job->nsources; s++) st->src[s].prev_rows = -1;
    if (!*st->job->previous) return;
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", st->job->previous);
    char *b;
    size_t n;
    hd_error e;                 /* no previous summary: no previous rows */
    if (hd_file_read(path, (size_t)64 << 20, &b, &n, &e) != HD_OK) return;
    char *p = strstr(b, "\"sources\": [");
    char *end = p ? strstr(p, "\n  ]") : NULL;
    if (!end && p) end = strchr(p, ']');
    while (p && end && (p = strstr(p, "{\"name\": \"")) != NULL && p < end) {
        p += 10;
        char *q = strchr(p, '"');
        if (!q) break;
        char *rows = strstr(q, "\"rows\": ");
        if (!rows || rows > end) break;
        long long r = strtoll(rows + 8, NULL, 10);
        for (int s = 0; s < st->job->nsources; s++)
            if (strlen(st->job->sources[s].name) == (size_t)(q - p) &&
                !memcmp(st->job->sources[s].name, p, (size_t)(q - p)))
                st->src[s].prev_rows = r;
        p = q;
    }
    free(b);
}

/* The per-source decisions for source s, over its files' results (ledgers
 * final). */
void hd_run_source_decide(hd_results *st, int s, hd_file_result *results)
{
    hd_source_state *ss = &st->src[s];
    uint64_t src_rows = 0;
    for (int f = 0; f < ss->nfiles; f++) src_rows += results[ss->first_result + (uint32_t)f].ledger.rows;
    if (ss->nfiles == 0) {
        char m[1200];
        snprintf(m, sizeof m, "%s: NO_FILES: no file matches %s", st->job->sources[s].name, st->job->sources[s].files_glob);
        hd_run_source_damage(st, s, HD_R_NO_FILES, m);
    }
    hd_date newest = HD_DATE_NONE;
    for (int f = 0; f < ss->nfiles; f++) {
        hd_file_result *r = &results[ss->first_result + (uint32_t)f];
        if (r->damage != HD_R_NONE) hd_run_source_damage(st, s, r->damage, r->damage_msg);
        uint64_t pct = (uint64_t)(st->policy->max_quarantine_pct < 0 ? 0 : st->policy->max_quarantine_pct);
        if (r->damage == HD_R_NONE && r->ledger.rows > 0 &&
            r->ledger.rows_quarantined * 100 > pct * r->ledger.rows) {
            r->damage = HD_R_QUARANTINE_RATE;
            snprintf(r->damage_msg, sizeof r->damage_msg,
                     "%s: QUARANTINE_RATE: %lu of %lu rows quarantined, over the policy's %lu %%",
                     r->path, (unsigned long)r->ledger.rows_quarantined,
                     (unsigned long)r->ledger.rows, (unsigned long)pct);
            hd_run_source_damage(st, s, HD_R_QUARANTINE_RATE, r->damage_msg);
        }
        if (r->newest != HD_DATE_NONE && (newest == HD_DATE_NONE || r->newest > newest)) newest = r->newest;
    }
    if (ss->nfiles > 0 && (int64_t)src_rows < st->job->sources[s].min_rows) {
        char m[1200];
        snprintf(m, sizeof m, "%s: TOO_FEW_ROWS: %lu data rows over %d files, fewer than min_rows = %lld",
                 st->job->sources[s].name, (unsigned long)src_rows, ss->nfiles, (long long)st->job->sources[s].min_rows);
        hd_run_source_damage(st, s, HD_R_TOO_FEW_ROWS, m);
    }
    if (ss->prev_rows > 0 && st->policy->max_rows_drop_pct < 100 &&
        ((int64_t)ss->prev_rows - (int64_t)src_rows) * 100 > (int64_t)st->policy->max_rows_drop_pct * ss->prev_rows) {
        char m[1200];
        snprintf(m, sizeof m, "%s: ROWS_DROPPED: %lu data rows against %lld in the previous run, a fall of more than the policy's %d %%",
                 st->job->sources[s].name, (unsigned long)src_rows, (long long)ss->prev_rows, st->policy->max_rows_drop_pct);
        hd_run_source_damage(st, s, HD_R_ROWS_DROPPED, m);
    }
    if (st->policy->max_age_days > 0 && newest != HD_DATE_NONE &&
        newest < st->job->as_of - st->policy->max_age_days) {
        char d1[11], m[1200];
        hd_date_format(newest, d1);
        snprintf(m, sizeof m, "%s: STALE: newest record is of %s, older than the policy's %d days",
                 st->job->sources[s].name, d1, st->policy->max_age_days);
        hd_run_source_damage(st, s, HD_R_STALE, m);
    }
}

/* SPEC §7 "Required kinds": a kind the policy requires and the job has no
 * source of damages the run; st->kinds_missing gets its bit. */
void hd_run_kinds_decide(hd_results *st)
{
    for (int k = HD_KIND_APPLICANTS + 1; k < HD_KIND__COUNT; k++) {
        if (!(st->policy->required_kinds & (1u << k))) continue;
        int have = 0;
        for (int s = 0; s < st->job->nsources && !have; s++) have = st->src[s].desc->kind == (hd_kind)k;
        if (have) continue;
        st->kinds_missing |= 1u << k;
        st->damaged = 1;
    }
}
