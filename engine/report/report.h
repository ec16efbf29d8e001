/*
 * report.h — the writers of a finished run (report/results.h) and the two
 * parts of it that are worked out from the previous run before any file is
 * written: the change report and the re-check and discovery lists.
 *
 * Order: hd_results_order, hd_compute_changes, hd_compute_lists (each
 * fills its part of the results); then the writers, which only read:
 * hd_write_reports (every file of SPEC §5 but the manifest), then
 * hd_write_manifest over what they wrote.
 */
#ifndef HEDUI_REPORT_REPORT_H
#define HEDUI_REPORT_REPORT_H

#include "report/results.h"

/* "ELIGIBLE_NOW", ... and the Chinese label; static storage. */
const char *hd_trigger_name(int t);
const char *hd_trigger_label_zh(int t);
/* The CPU seconds of each kind of writer (every county's file of a kind
 * summed; user and system time of the thread that wrote it), for the log:
 * docs/performance.md reads the writers from it. */
#define HD_WRITER_KINDS 11
typedef struct hd_writer_times { double cpu[HD_WRITER_KINDS]; } hd_writer_times;
/* Writes every output file of SPEC §5 except manifest.json/.sig into dir
 * (which exists), on up to opts->threads threads (one file or one county's
 * file per task; exactly one thread at -j1). times (may be NULL) gets each
 * writer's CPU seconds. HD_EIO naming the file on a write error: the first
 * failing file in the fixed order of the writers. */
int hd_write_reports(const hd_results *st, const char *dir, hd_writer_times *times, hd_error *err);
/* The name of writer kind k (< HD_WRITER_KINDS), as the log shows it:
 * "results.xlsx", "matches.jsonl", ...; static storage. */
const char *hd_writer_name(int k);
/* audit/report.html (report/html.c): the auditor's self-contained page;
 * needs the change report computed. HD_EIO naming it. */
int hd_write_html(const hd_results *st, const char *dir, hd_error *err);
/* county/<code>/results.xlsx of county c (report/xlsx.c); needs the
 * change report computed. Workbooks of different county directories may
 * be written at the same time. HD_EIO naming the file. */
int hd_write_xlsx_county(const hd_results *st, const char *dir, uint32_t c, hd_error *err);
/* The change report ([job] previous; docs/changes.md): verifies the
 * previous output, reads its county/CODE/households.csv, fills
 * st->have_previous, st->changes (output order) and st->nchanges. Needs
 * st->order. Without previous: have_previous = 0. HD_ECONFIG when the
 * previous output does not verify or cannot be read. */
int hd_compute_changes(hd_results *st, hd_error *err);
/* Reads one county/<code>/households.csv of a previous run exactly as the
 * change report does (the previous-run reader; tests/fuzz/fuzz_previous.c):
 * *households = the households kept (the first of a repeated county code and
 * application id). @return HD_OK, HD_ECONFIG "previous: PATH:LINE: reason",
 * HD_ESOFTWARE. */
int hd_changes_read_households(const char *path, uint32_t *households, hd_error *err);
/* county/<code>/changes.csv of county c (header only when none changed;
 * the counties of county/unknown/ share one file, written for the first
 * of them). Nothing without previous. HD_EIO on a write error. */
int hd_write_changes(const hd_results *st, const char *dir, uint32_t c, hd_error *err);
/* The previous run's income per capita and findings of household h
 * (same county_code and application_id); 0 when it has none or there is
 * no previous run. */
int hd_previous_household(const hd_results *st, uint32_t h, int64_t *income_pc, uint32_t *findings);
/* The one place where the status of a finding is asked of the register's
 * snapshot (SPEC §9, §10): 1 (known) when the snapshot holds finding
 * `f` of household h, under the same finding id(s), from an earlier run,
 * with *first_seen the as_of of the earliest run holding it; 0 (new)
 * otherwise, *first_seen = this run's as_of. Without a register every
 * finding is new. */
int hd_finding_known(const hd_results *st, uint32_t h, int f, hd_date *first_seen);
/* Re-check and discovery lists (SPEC §10) into st->recheck / discovery;
 * needs st->order and hd_compute_changes (the previous run). Major
 * changes read the previous run's summary.json and audit/matches.jsonl
 * (or .zst). HD_ECONFIG when they cannot be read. */
int hd_compute_lists(hd_results *st, hd_error *err);
/* Counts of the populations and lists of county c (UINT32_MAX: every
 * county), for summary.json, the stdout summary, report.html and the
 * workbooks; households are counted once per list. */
typedef struct hd_list_counts {
    uint64_t households[HD_POP__COUNT];
    uint64_t recheck_households, recheck_rows, recheck_new, recheck_known;
    uint64_t discovery_households, discovery_rows, triggers[HD_TRIG__COUNT];
} hd_list_counts;
void hd_list_counts_of(const hd_results *st, uint32_t c, hd_list_counts *out);
/* county/<code>/recheck.csv (job with a roster) and discovery.csv (job
 * with a roster or a monitor) of county c; the counties of
 * county/unknown/ share one file. HD_EIO on a write error. */
int hd_write_lists(const hd_results *st, const char *dir, uint32_t c, hd_error *err);
/* Writes manifest.json (and manifest.sig when a signing key is given)
 * listing every file under dir. *signed_out = 1 when signed. */
int hd_write_manifest(const hd_results *st, const char *dir, int *signed_out, hd_error *err);

#endif
