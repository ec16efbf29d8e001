/*
 * common.h — helpers every report writer shares, so that a household, a
 * member and a piece of evidence read the same in households.csv,
 * members.csv, results.xlsx, report.html and changes.csv.
 * Pure functions over a finished run; thread-safe for reading.
 */
#ifndef HEDUI_REPORT_COMMON_H
#define HEDUI_REPORT_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include "report/out.h"
#include "report/report.h"

/* The county code as a directory name when it is letters and digits (at
 * most 32), else "unknown" (docs/decisions.md). */
const char *hd_report_county_dir(const char *code);
/* strcmp over two (const char *) array elements, for qsort/bsearch. */
int hd_report_cmp_str(const void *a, const void *b);
/* The head both manifest.json and summary.json begin with: `{`, the
 * format, the engine, the job, as_of, the input digest, the policy, its
 * digest and `"key_id": "ID"` (no comma after it). */
void hd_report_head_json(hd_out *o, const hd_results *st, const char *format);
/* Finding codes of a bit set sorted by code name (their Chinese labels in
 * that order when zh), joined by sep, into out (cap bytes, NUL-ended). */
void hd_report_findings_text(uint32_t bits, int zh, const char *sep, char *out, size_t cap);
/* fen as yuan with two decimals ("-12.05"). */
void hd_report_yuan(int64_t fen, char *out, size_t cap);
/* One record as evidence: source, file:line, kind and its fields (money in
 * yuan, account masked to the last four). */
void hd_report_evidence(const hd_results *st, const hd_record *r, char *out, size_t cap);
/* The same in Chinese when zh (field names and canonical values as their
 * Chinese labels: "存款（来源 bank-a，data/bank.csv 第12行） 产品：活期 …"). */
void hd_report_evidence_lang(const hd_results *st, const hd_record *r, int zh, char *out, size_t cap);
/* The findings member mb's records are evidence of, ORed from the records
 * themselves (hd_results_member_findings keeps them for the writers). */
uint32_t hd_report_records_findings(const hd_model *m, const hd_member *mb);
/* The findings of member mb of household h: those its records are evidence
 * of, DUPLICATE_APPLICATION for a duplicate, APPLICANT_ROW_REJECTED for a
 * rejected row (when the household has them). */
uint32_t hd_report_member_findings(const hd_results *st, uint32_t h, const hd_member *mb);
/* Every record of mb that supports a finding, as "CODES: evidence"
 * joined by " | "; returns the length written. */
size_t hd_report_member_evidence(const hd_results *st, const hd_member *mb, char *ev, size_t cap);
/* The name a population's files go by in summary.json and quarantine/
 * (the job key that gives them): "applicants", "roster", "monitor". */
const char *hd_report_population_source(int population);
/* The same in Chinese when zh: "LABEL、LABEL：evidence" joined by "；" and a
 * line break. */
size_t hd_report_member_evidence_lang(const hd_results *st, const hd_member *mb, int zh, char *ev, size_t cap);
/* A near miss's evidence (SPEC §9) of quarantined row u of file r: source,
 * file:line, the row's ID masked, the typo; snprintf's return. */
int hd_report_near_text(const hd_results *st, const hd_file_result *r, const struct hd_unread *u,
                        char *out, size_t cap);
/* A member's relation (its Chinese label when zh); "" for a rejected row
 * whose relation cell did not map. */
const char *hd_report_relation(const hd_member *mb, int zh);
/* A member's masked ID (hd_id_mask) when it was read, even from a rejected
 * row; "" otherwise. */
void hd_report_id_masked(const hd_member *mb, char out[19]);
/* A member row's status for a clerk: "正常", or "第N行：" and the Chinese
 * advice of `hedui check --lang zh` naming the column at fault. */
void hd_report_row_status_zh(const hd_results *st, const hd_member *mb, char *out, size_t cap);
/* A record's value v of field f (a record of kind `kind`) as the text of a
 * JSON string: an enum's canonical value, a date (YYYY-MM-DD), a period
 * (YYYY or YYYY-MM). @return that text (static or in buf), or NULL for the
 * other scalar types (money in fen, counts, area, share), which are written
 * as the number v->i. */
const char *hd_report_scalar_json(hd_kind kind, hd_fid f, const hd_value *v, char buf[32]);
/* One log line through a sink (`log` NULL: none), formatted like printf:
 * the logger of the run, the index writer and `hedui index`. */
void hd_logf(hd_log_fn log, void *user, hd_log_level lv, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#endif
