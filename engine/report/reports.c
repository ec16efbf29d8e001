/*
 * reports.c — the outputs of SPEC §5 except the manifest: county files,
 * auditor files, quarantine, summary. Every file goes through the one
 * writer (out.h); every order is fixed (county code, then household order
 * of the applicant files), so outputs are byte-identical for every -j.
 *
 * Personal data: county files carry names and masked IDs (for the county
 * office); auditor files carry tokens only — no name, no ID number, and
 * account numbers, plates and certificate numbers masked to their last
 * four characters (docs/outputs.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "rules/labels.h"
#include "report/report.h"
#include "hedui/advice.h"
#include "report/common.h"
#include "report/out.h"
#include "report/regpart.h"
#include "util/path.h"
#include "util/pool.h"

/* ---------------------------------------------------------------- helpers */

/* The codes of a bit set as a JSON array, sorted by code; zh: their
 * Chinese labels instead, in the same order (as households.csv). */
static void json_findings_lang(hd_out *o, uint32_t bits, int zh)
{
    hd_finding f[HD_FD__COUNT];
    int n = hd_findings_sorted(bits, f);
    hd_out_str(o, "[");
    for (int i = 0; i < n; i++) {
        if (i) hd_out_str(o, ",");
        hd_out_json_str(o, zh ? hd_finding_label_zh(f[i]) : hd_finding_name(f[i]));
    }
    hd_out_str(o, "]");
}

static void json_findings(hd_out *o, uint32_t bits)
{
    json_findings_lang(o, bits, 0);
}

static void mask_last4(const char *s, size_t n, char *out, size_t cap)
{
    hd_account_mask(s, n, out, cap);
}

/* ---------------------------------------------------------------- county */

static const char *const hh_header =
    "county_code,application_id,assistance_type,area_type,members,verdict,verdict_zh,"
    "reasons,reasons_zh,standard_fen,household_income_fen,income_per_capita_fen,assets_fen,"
    "assets_per_capita_fen,homes,residential_area,vehicles,businesses,population\n";

static const char *const mb_header =
    "county_code,application_id,member_no,id_number_masked,name,relation,row_status,"
    "findings,evidence\n";

static void household_row(hd_out *o, const hd_results *st, uint32_t h)
{
    const hd_household *hh = &st->m->households[h];
    hd_judgement jj, *j = &jj;
    hd_judgements_get(&st->judgements, h, j);
    char codes[1024], zh[2048];
    hd_report_findings_text(j->findings, 0, ";", codes, sizeof codes);
    hd_report_findings_text(j->findings, 1, ";", zh, sizeof zh);
    hd_out_csv_str(o, hh->county_code, 1);
    hd_out_csv_str(o, hh->application_id, 0);
    hd_out_csv_str(o, hd_field_values(HD_KIND_APPLICANTS, HD_F_ASSISTANCE_TYPE)[hh->assistance_type], 0);
    hd_out_csv_str(o, hd_field_values(HD_KIND_APPLICANTS, HD_F_AREA_TYPE)[hh->area_type], 0);
    hd_out_csv_i64(o, hh->nmembers, 0);
    hd_out_csv_str(o, hd_verdict_name(j->verdict), 0);
    hd_out_csv_str(o, hd_verdict_label_zh(j->verdict), 0);
    hd_out_csv_str(o, codes, 0);
    hd_out_csv_str(o, zh, 0);
    hd_out_csv_i64(o, j->standard_fen, 0);
    hd_out_csv_i64(o, j->household_income_fen, 0);
    hd_out_csv_i64(o, j->income_per_capita_fen, 0);
    hd_out_csv_i64(o, j->assets_fen, 0);
    hd_out_csv_i64(o, j->assets_per_capita_fen, 0);
    hd_out_csv_i64(o, j->homes, 0);
    hd_out_csv_i64(o, j->residential_area, 0);
    hd_out_csv_i64(o, j->vehicles, 0);
    hd_out_csv_i64(o, j->businesses, 0);
    hd_out_csv_str(o, hd_population_name(hh->population), 0);
    hd_out_str(o, "\n");
}

static void member_rows(hd_out *o, const hd_results *st, uint32_t h)
{
    const hd_model *m = st->m;
    const hd_household *hh = &m->households[h];
    for (uint32_t i = 0; i < hh->nmembers; i++) {
        const hd_member *mb = &m->members[hh->first_member + i];
        char masked[19];
        hd_report_id_masked(mb, masked);
        uint32_t bits = hd_report_member_findings(st, h, mb);
        char codes[1024];
        hd_report_findings_text(bits, 0, ";", codes, sizeof codes);
        hd_out_csv_str(o, hh->county_code, 1);
        hd_out_csv_str(o, hh->application_id, 0);
        hd_out_csv_str(o, mb->member_no, 0);
        hd_out_csv_str(o, masked, 0);
        hd_out_csv_str(o, mb->name, 0);
        hd_out_csv_str(o, hd_report_relation(mb, 0), 0);
        hd_out_csv_str(o, mb->rejected == HD_R_NONE ? "ok" : hd_reason_name(mb->rejected), 0);
        hd_out_csv_str(o, codes, 0);
        /* evidence: every record that supports a finding */
        char ev[8192];
        size_t used = hd_report_member_evidence(st, mb, ev, sizeof ev);
        hd_out_csv(o, ev, used, 0);
        hd_out_str(o, "\n");
    }
}

/* ---------------------------------------------------------------- audit */

static void household_json(hd_out *o, const hd_results *st, uint32_t h)
{
    const hd_household *hh = &st->m->households[h];
    hd_judgement jj, *j = &jj;
    hd_judgements_get(&st->judgements, h, j);
    char tok[65];
    hd_out_str(o, "{\"household\":");
    hd_out_json_str(o, hd_household_token_hex(hh, tok));
    hd_out_str(o, ",\"county_code\":");
    hd_out_json_str(o, hh->county_code);
    hd_out_str(o, ",\"assistance_type\":");
    hd_out_json_str(o, hd_field_values(HD_KIND_APPLICANTS, HD_F_ASSISTANCE_TYPE)[hh->assistance_type]);
    hd_out_str(o, ",\"area_type\":");
    hd_out_json_str(o, hd_field_values(HD_KIND_APPLICANTS, HD_F_AREA_TYPE)[hh->area_type]);
    hd_out_str(o, ",\"members\":");
    hd_out_i64(o, hh->nmembers);
    hd_out_str(o, ",\"verdict\":");
    hd_out_json_str(o, hd_verdict_name(j->verdict));
    hd_out_str(o, ",\"verdict_zh\":");
    hd_out_json_str(o, hd_verdict_label_zh(j->verdict));
    hd_out_str(o, ",\"reasons\":");
    json_findings(o, j->findings);
    hd_out_str(o, ",\"reasons_zh\":");
    json_findings_lang(o, j->findings, 1);
    /* integers without printf: the same digits as %d / PRId64 */
    hd_out_str(o, ",\"standard_fen\":");          hd_out_i64(o, j->standard_fen);
    hd_out_str(o, ",\"household_income_fen\":");  hd_out_i64(o, j->household_income_fen);
    hd_out_str(o, ",\"income_per_capita_fen\":"); hd_out_i64(o, j->income_per_capita_fen);
    hd_out_str(o, ",\"assets_fen\":");            hd_out_i64(o, j->assets_fen);
    hd_out_str(o, ",\"assets_per_capita_fen\":"); hd_out_i64(o, j->assets_per_capita_fen);
    hd_out_str(o, ",\"homes\":");                 hd_out_i64(o, j->homes);
    hd_out_str(o, ",\"residential_area\":");      hd_out_i64(o, j->residential_area);
    hd_out_str(o, ",\"vehicles\":");              hd_out_i64(o, j->vehicles);
    hd_out_str(o, ",\"businesses\":");            hd_out_i64(o, j->businesses);
    hd_out_str(o, ",\"population\":");
    hd_out_json_str(o, hd_population_name(hh->population));
    hd_out_str(o, "}\n");
}

/* A region_code that is a division code (1 to 12 ASCII digits) is a code;
 * anything else in it is free text. */
static int is_digit_code(const char *s, size_t n)
{
    if (n == 0 || n > 12) return 0;
    for (size_t i = 0; i < n; i++) if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* One matched record. Auditor files carry no free text from a record
 * (SPEC §8): a text field (company, institution, use, a region_code that
 * is not a code) is written as its text token under the text key (tk). */
static void match_json(hd_out *o, const hd_results *st, hd_tokener *tk, const hd_record *r)
{
    const hd_model *m = st->m;
    const hd_member *mb = &m->members[r->member];
    hd_out_str(o, "{\"member\":");
    char tok[65];
    hd_out_json_str(o, hd_member_token_hex(mb, tok));
    hd_out_str(o, ",\"household\":");
    hd_out_json_str(o, hd_household_token_hex(&m->households[mb->household], tok));
    hd_out_str(o, ",\"source\":");
    hd_out_json_str(o, st->job->sources[r->source].name);
    hd_out_str(o, ",\"file\":");
    hd_out_json_str(o, hd_path_rel(st->results[r->file].path, st->job->dir));
    hd_out_str(o, ",\"line\":");
    hd_out_i64(o, (int64_t)r->line);
    hd_out_str(o, ",\"kind\":");
    hd_out_json_str(o, hd_kind_name((hd_kind)r->kind));
    hd_out_str(o, ",\"fields\":{");
    int first = 1;
    for (int f = 0; f < HD_F__COUNT; f++) {
        const hd_value *v = &r->v[f];
        if (!v->present || f == HD_F_ID_NUMBER || f == HD_F_NAME) continue;
        if (!hd_field_role((hd_kind)r->kind, (hd_fid)f)) continue;
        if (!first) hd_out_str(o, ",");
        first = 0;
        hd_out_json_str(o, hd_field_name((hd_fid)f));
        hd_out_str(o, ":");
        char buf[64];
        switch (hd_field_type((hd_fid)f)) {
        case HD_T_CODE:
            mask_last4(v->s, v->n, buf, sizeof buf);
            hd_out_json_str(o, buf);
            break;
        case HD_T_TEXT:
            if (f == HD_F_REGION_CODE && is_digit_code(v->s, v->n)) {
                hd_out_json(o, v->s, v->n);
            } else {
                unsigned char mac[32];
                char hex[65];
                hd_tokener_text(tk, hd_field_name((hd_fid)f), v->s, v->n, mac);
                hd_hex(mac, 32, hex);
                hd_out_json_str(o, hex);
            }
            break;
        default: {
            const char *x = hd_report_scalar_json((hd_kind)r->kind, (hd_fid)f, v, buf);
            if (x) hd_out_json_str(o, x);
            else hd_out_i64(o, v->i);
        }
        }
    }
    hd_out_str(o, "},\"findings\":");
    json_findings(o, r->findings);
    hd_out_str(o, "}\n");
}

/* ---------------------------------------------------------------- quarantine */

static void quarantine_rows(hd_out *o, const hd_results *st, const hd_file_result *r)
{
    const char *file = hd_path_rel(r->path, st->job->dir);
    const hd_descriptor *d = r->source < 0 ? st->pop_desc[r->population] : st->src[r->source].desc;
    int iconv_file = d && d->csv.encoding != HD_ENC_UTF8;
    for (uint32_t i = 0; i < r->nq; i++) {
        const hd_qrow *q = &r->q[i];
        hd_out_csv_str(o, file, 1);
        hd_out_csv_i64(o, (int64_t)q->line, 0);
        hd_out_csv_str(o, hd_reason_name(q->reason), 0);
        hd_out_csv_str(o, q->field >= 0 ? hd_field_name((hd_fid)q->field) : "", 0);
        /* SPEC §7 "Quarantine rows are kept as they were": a byte invalid
         * in the file's encoding is \xHH with its own value (a GBK or
         * GB18030 reader marks it 0xFF followed by the byte), a backslash
         * \\, CR and LF \r and \n, other control bytes \xHH; so
         * hd_quarantine_unescape gives the row back */
        char *buf = malloc((size_t)q->raw_len * 4 + 1);
        size_t n = 0;
        if (buf) {
            for (uint32_t k = 0; k < q->raw_len;) {
                size_t l = 0;
                unsigned char c = (unsigned char)q->raw[k];
                if (c == '\\') { buf[n++] = '\\'; buf[n++] = '\\'; k++; continue; }
                if (c == '\r') { buf[n++] = '\\'; buf[n++] = 'r'; k++; continue; }
                if (c == '\n') { buf[n++] = '\\'; buf[n++] = 'n'; k++; continue; }
                if (c == 0xFF && iconv_file && k + 1 < q->raw_len && (unsigned char)q->raw[k + 1] >= 0x80) {
                    n += (size_t)sprintf(buf + n, "\\x%02X", (unsigned char)q->raw[k + 1]);
                    k += 2;
                    continue;
                }
                if (c >= 0x20 || c == '\t') {
                    l = hd_utf8_valid(q->raw + k, 1) ? 1 : 0;
                    for (size_t t = 2; !l && t <= 4 && k + t <= q->raw_len; t++)
                        if (hd_utf8_valid(q->raw + k, t)) l = t;
                }
                if (l) { memcpy(buf + n, q->raw + k, l); n += l; k += (uint32_t)l; }
                else { n += (size_t)sprintf(buf + n, "\\x%02X", c); k++; }
            }
            hd_out_csv(o, buf, n, 0);
            free(buf);
        } else {
            hd_out_csv(o, "", 0, 0);
        }
        hd_out_str(o, "\n");
    }
}

/* ---------------------------------------------------------------- summary */

/* Quarantined rows of an extract whose ID matched an applicant member
 * (SPEC §7, §8 `rows_quarantined_matched`), from the per-file ledger. */
static uint64_t ledger_rows_quarantined_matched(const hd_ledger *l)
{
    return l->rows_quarantined_matched;
}

/* summary.json totals (SPEC §8): applicant files and extract files apart,
 * each with its own invariant (rows = rows_ok + rows_quarantined; for the
 * extracts also rows_ok = rows_matched + rows_unmatched and
 * rows_quarantined_matched <= rows_quarantined). */
typedef struct ledger_totals {
    uint32_t app_files, ext_files;
    uint64_t app[3];     /* rows, rows_ok, rows_quarantined */
    uint64_t ext[6];     /* rows, rows_ok, rows_quarantined, rows_quarantined_matched, rows_matched, rows_unmatched */
} ledger_totals;

static void totals_add(ledger_totals *t, const hd_file_result *r)
{
    const hd_ledger *l = &r->ledger;
    if (r->source < 0) {
        t->app_files++;
        t->app[0] += l->rows; t->app[1] += l->rows_ok; t->app[2] += l->rows_quarantined;
    } else {
        t->ext_files++;
        t->ext[0] += l->rows; t->ext[1] += l->rows_ok; t->ext[2] += l->rows_quarantined;
        t->ext[3] += ledger_rows_quarantined_matched(l);
        t->ext[4] += l->rows_matched; t->ext[5] += l->rows_unmatched;
    }
}

static void ledger_json(hd_out *o, const hd_results *st, const hd_file_result *r, int applicants)
{
    const hd_ledger *l = &r->ledger;
    hd_out_str(o, "    {\"path\": ");
    hd_out_json_str(o, hd_path_rel(r->path, st->job->dir));
    hd_out_str(o, ", \"source\": ");
    hd_out_json_str(o, applicants ? hd_report_population_source(r->population) : st->job->sources[r->source].name);
    hd_out_printf(o, ", \"rows\": %" PRIu64 ", \"rows_ok\": %" PRIu64 ", \"rows_quarantined\": %" PRIu64,
                  l->rows, l->rows_ok, l->rows_quarantined);
    if (!applicants)
        hd_out_printf(o, ", \"rows_quarantined_matched\": %" PRIu64 ", \"rows_matched\": %" PRIu64
                      ", \"rows_unmatched\": %" PRIu64, l->rows_quarantined_matched, l->rows_matched, l->rows_unmatched);
    hd_out_printf(o, ", \"ids_suspect\": %" PRIu64, l->ids_suspect);
    if (applicants && r->damage != HD_R_NONE) {
        /* SPEC §7: rejected whole; its county's rejected_files.csv says why */
        hd_out_str(o, ", \"rejected\": true, \"county\": ");
        hd_out_json_str(o, r->county);
    }
    if (applicants && r->population != HD_POP_APPLICANT)
        hd_out_printf(o, ", \"rows_superseded\": %" PRIu64, l->rows_superseded);
    hd_out_printf(o, ", \"header_lines\": %" PRIu64 ", \"skipped_lines\": %" PRIu64
                  ", \"blank_lines\": %" PRIu64 ", \"trailer_lines\": %" PRIu64,
                  l->header_lines, l->skipped_lines, l->blank_lines, l->trailer_lines);
    hd_out_str(o, ", \"quarantined_by_reason\": {");
    int first = 1;
    for (int k = 0; k < HD_R__COUNT; k++) {
        if (!l->by_reason[k]) continue;
        hd_out_printf(o, "%s\"%s\": %" PRIu64, first ? "" : ", ", hd_reason_name((hd_reason)k), l->by_reason[k]);
        first = 0;
    }
    hd_out_str(o, "}, \"damage\": ");
    if (r->damage == HD_R_NONE) hd_out_str(o, "null");
    else hd_out_json_str(o, hd_reason_name(r->damage));
    hd_out_printf(o, ", \"bytes\": %" PRIu64 ", \"bytes_decoded\": %" PRIu64 "}", r->bytes_in, r->bytes_out);
}

/* summary.json: the run's identity and verdict counts. */
static void summary_head(hd_out *o, const hd_results *st)
{
    const hd_model *m = st->m;
    uint64_t verdicts[3] = {0};
    for (uint32_t h = 0; h < m->nhouseholds; h++) verdicts[st->judgements.kept[h].verdict]++;
    hd_report_head_json(o, st, "hedui-summary/1");
    hd_out_printf(o, ",\n  \"damaged\": %s,\n  \"households\": %u,\n  \"members\": %u,\n",
                  st->damaged ? "true" : "false", m->nhouseholds, m->nmembers);
    hd_out_printf(o, "  \"verdicts\": {\"ELIGIBLE\": %" PRIu64 ", \"REVIEW\": %" PRIu64 ", \"INELIGIBLE\": %" PRIu64 "},\n",
                  verdicts[0], verdicts[1], verdicts[2]);
}

/* summary.json: populations and lists (SPEC §10). */
static void summary_lists(hd_out *o, const hd_results *st)
{
    hd_list_counts lc;
    hd_list_counts_of(st, UINT32_MAX, &lc);
    hd_out_str(o, "  \"populations\": {");
    for (int p = 0; p < HD_POP__COUNT; p++)
        hd_out_printf(o, "%s\"%s\": {\"given\": %s, \"files\": %d, \"households\": %" PRIu64
                      ", \"superseded\": %" PRIu64 "}", p ? ", " : "", hd_population_name(p),
                      p == HD_POP_APPLICANT || st->npop_files[p] ? "true" : "false", st->npop_files[p],
                      lc.households[p], st->tally.superseded[p]);
    hd_out_printf(o, "},\n  \"recheck\": {\"households\": %" PRIu64 ", \"rows\": %" PRIu64
                  ", \"new\": %" PRIu64 ", \"known\": %" PRIu64 "},\n",
                  lc.recheck_households, lc.recheck_rows, lc.recheck_new, lc.recheck_known);
    hd_out_printf(o, "  \"discovery\": {\"households\": %" PRIu64 ", \"rows\": %" PRIu64
                  ", \"major_changes_compared\": %s",
                  lc.discovery_households, lc.discovery_rows, st->lists_changes ? "true" : "false");
    for (int t = 0; t < HD_TRIG__COUNT; t++)
        hd_out_printf(o, ", \"%s\": %" PRIu64, hd_trigger_name(t), lc.triggers[t]);
    hd_out_str(o, "},\n");
}

/* summary.json: the households of every finding, sorted by code. */
static void summary_reasons(hd_out *o, const hd_results *st)
{
    uint64_t reasons[HD_FD__COUNT] = {0};
    for (uint32_t h = 0; h < st->m->nhouseholds; h++)
        for (int f = 0; f < HD_FD__COUNT; f++)
            if (st->judgements.kept[h].findings & (1u << f)) reasons[f]++;
    const char *names[HD_FD__COUNT];
    int n = 0;
    for (int f = 0; f < HD_FD__COUNT; f++) names[n++] = hd_finding_name((hd_finding)f);
    qsort(names, (size_t)n, sizeof *names, hd_report_cmp_str);
    hd_out_str(o, "  \"reasons\": {");
    for (int i = 0; i < n; i++)
        hd_out_printf(o, "%s\"%s\": %" PRIu64, i ? ", " : "", names[i], reasons[hd_finding_parse(names[i])]);
    hd_out_str(o, "},\n");
}

/* summary.json: per county, verdicts, populations and lists. */
static void summary_counties(hd_out *o, const hd_results *st, char **counties, uint32_t ncounties)
{
    hd_out_str(o, "  \"counties\": {");
    for (uint32_t c = 0; c < ncounties; c++) {
        uint64_t v[3] = {0}, hh = 0;
        for (uint32_t p = st->county_first[c]; p < st->county_first[c + 1]; p++) {
            v[st->judgements.kept[st->order[p]].verdict]++;
            hh++;
        }
        hd_out_str(o, c ? ",\n    " : "\n    ");
        hd_out_json_str(o, counties[c]);
        hd_out_printf(o, ": {\"households\": %" PRIu64 ", \"ELIGIBLE\": %" PRIu64 ", \"REVIEW\": %" PRIu64
                      ", \"INELIGIBLE\": %" PRIu64, hh, v[0], v[1], v[2]);
        hd_list_counts cc;
        hd_list_counts_of(st, c, &cc);
        hd_out_printf(o, ", \"applicant\": %" PRIu64 ", \"recipient\": %" PRIu64 ", \"monitored\": %" PRIu64
                      ", \"recheck\": %" PRIu64 ", \"discovery\": %" PRIu64 "}",
                      cc.households[HD_POP_APPLICANT], cc.households[HD_POP_RECIPIENT],
                      cc.households[HD_POP_MONITORED], cc.recheck_households, cc.discovery_households);
    }
    hd_out_str(o, ncounties ? "\n  },\n" : "},\n");
}

/* summary.json: source s, its files, rows, damage and provider. */
static void summary_source(hd_out *o, const hd_results *st, int s)
{
    const hd_source_state *ss = &st->src[s];
    uint64_t rows = 0, matched = 0;
    for (int f = 0; f < ss->nfiles; f++) {
        rows += st->results[ss->first_result + (uint32_t)f].ledger.rows;
        matched += st->results[ss->first_result + (uint32_t)f].ledger.rows_matched;
    }
    hd_out_str(o, s ? ",\n    {\"name\": " : "\n    {\"name\": ");
    hd_out_json_str(o, st->job->sources[s].name);
    hd_out_str(o, ", \"kind\": ");
    hd_out_json_str(o, hd_kind_name(ss->desc->kind));
    hd_out_printf(o, ", \"files\": %d, \"rows\": %" PRIu64 ", \"rows_matched\": %" PRIu64 ", \"damaged\": %s, \"damage\": ",
                  ss->nfiles, rows, matched, ss->damage != HD_R_NONE ? "true" : "false");
    if (ss->damage == HD_R_NONE) hd_out_str(o, "null");
    else hd_out_json_str(o, hd_reason_name(ss->damage));
    hd_out_str(o, ", \"damage_message\": ");
    if (ss->damage == HD_R_NONE) hd_out_str(o, "null");
    else hd_out_json_str(o, hd_path_rel(ss->damage_msg, st->job->dir));
    if (ss->provider >= 0) {
        /* a tokenised source (SPEC §8): its provider and its matched
         * rows per provider key id (current master's, previous's) */
        const hd_provider_keys *pk = &st->providers[ss->provider];
        uint64_t by[2] = {0, 0};
        for (int f = 0; f < ss->nfiles; f++)
            for (int k = 0; k < 2; k++) by[k] += st->results[ss->first_result + (uint32_t)f].matched_by_key[k];
        hd_out_str(o, ", \"provider\": ");
        hd_out_json_str(o, pk->name);
        hd_out_str(o, ", \"rows_matched_by_key\": {");
        for (int k = 0; k < 2 && pk->id[k][0]; k++) {
            if (k) hd_out_str(o, ", ");
            hd_out_json_str(o, pk->id[k]);
            hd_out_printf(o, ": %" PRIu64, by[k]);
        }
        hd_out_str(o, "}");
    }
    hd_out_str(o, "}");
}

/* summary.json: every source. */
static void summary_sources(hd_out *o, const hd_results *st)
{
    hd_out_str(o, "  \"sources\": [");
    for (int s = 0; s < st->job->nsources; s++) {
        summary_source(o, st, s);
    }
    hd_out_str(o, st->job->nsources ? "\n  ],\n" : "],\n");
}

/* summary.json: every extract kind, checked or not (SPEC §7). */
static void summary_kinds(hd_out *o, const hd_results *st)
{
    hd_out_str(o, "  \"kinds\": {");
    for (int k = HD_KIND_APPLICANTS + 1; k < HD_KIND__COUNT; k++) {
        uint64_t files = 0, rows = 0, matched = 0;
        int damaged = 0, nsrc = 0;
        hd_out_str(o, k > HD_KIND_APPLICANTS + 1 ? ",\n    " : "\n    ");
        hd_out_json_str(o, hd_kind_name((hd_kind)k));
        hd_out_str(o, ": {\"sources\": [");
        for (int s = 0; s < st->job->nsources; s++) {
            const hd_source_state *ss = &st->src[s];
            if (ss->desc->kind != (hd_kind)k) continue;
            if (nsrc++) hd_out_str(o, ", ");
            hd_out_json_str(o, st->job->sources[s].name);
            files += (uint64_t)ss->nfiles;
            for (int f = 0; f < ss->nfiles; f++) {
                rows += st->results[ss->first_result + (uint32_t)f].ledger.rows;
                matched += st->results[ss->first_result + (uint32_t)f].ledger.rows_matched;
            }
            if (ss->damage != HD_R_NONE) damaged = 1;
        }
        int missing = (st->kinds_missing >> k) & 1;
        hd_out_printf(o, "], \"files\": %" PRIu64 ", \"rows\": %" PRIu64 ", \"rows_matched\": %" PRIu64
                      ", \"required\": %s, \"checked\": %s, \"damaged\": %s, \"damage\": %s}",
                      files, rows, matched, (st->policy->required_kinds >> k) & 1 ? "true" : "false",
                      nsrc ? "true" : "false", damaged || missing ? "true" : "false",
                      missing ? "\"NO_SOURCE\"" : "null");
    }
    hd_out_str(o, "\n  },\n");
}

/* summary.json: every file's ledger, the totals, unknown division codes. */
static void summary_files(hd_out *o, const hd_results *st)
{
    hd_out_str(o, "  \"files\": [\n");
    ledger_totals t;
    memset(&t, 0, sizeof t);
    for (uint32_t i = 0; i < st->nresults; i++) {
        const hd_file_result *r = &st->results[i];
        ledger_json(o, st, r, r->source < 0);
        hd_out_str(o, i + 1 < st->nresults ? ",\n" : "\n");
        totals_add(&t, r);
    }
    hd_out_printf(o, "  ],\n  \"totals\": {\"files\": %u,\n"
                  "    \"applicants\": {\"files\": %u, \"rows\": %" PRIu64 ", \"rows_ok\": %" PRIu64
                  ", \"rows_quarantined\": %" PRIu64 "},\n", st->nresults, t.app_files, t.app[0], t.app[1], t.app[2]);
    hd_out_printf(o, "    \"extracts\": {\"files\": %u, \"rows\": %" PRIu64 ", \"rows_ok\": %" PRIu64
                  ", \"rows_quarantined\": %" PRIu64 ", \"rows_quarantined_matched\": %" PRIu64
                  ", \"rows_matched\": %" PRIu64 ", \"rows_unmatched\": %" PRIu64 "}},\n",
                  t.ext_files, t.ext[0], t.ext[1], t.ext[2], t.ext[3], t.ext[4], t.ext[5]);
    hd_out_str(o, "  \"unknown_division_codes\": {");
    for (uint32_t i = 0; i < st->ndiv; i++)
        hd_out_printf(o, "%s\"%s\": %" PRIu64, i ? ", " : "", st->div[i].code, st->div[i].n);
    hd_out_str(o, "}\n}\n");
}

static int write_summary(const hd_results *st, const char *dir, char **counties, uint32_t ncounties,
                         hd_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    hd_out *o;
    int rc = hd_out_open(&o, path, err);
    if (rc) return rc;
    summary_head(o, st);
    summary_lists(o, st);
    summary_reasons(o, st);
    hd_reg_summary_json(st, o);
    summary_counties(o, st, counties, ncounties);
    summary_sources(o, st);
    summary_kinds(o, st);
    summary_files(o, st);
    return hd_out_close(o, err);
}

/* ---------------------------------------------------------------- all */

/* Creates dir/rel (and its parent directories), plain or zstd level 3. */
static int open_in_z(hd_out **o, const char *dir, const char *rel, int zstd, hd_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char parent[4400];
    snprintf(parent, sizeof parent, "%s", path);
    char *slash = strrchr(parent, '/');
    if (slash) { *slash = 0; if (hd_mkdirs(parent, 0700) != 0) return hd_fail(err, HD_EIO, "%s: cannot create: %s", parent, strerror(errno)); }
    return zstd ? hd_out_open_zstd(o, path, 3, err) : hd_out_open(o, path, err);
}

static int open_in(hd_out **o, const char *dir, const char *rel, hd_error *err)
{
    return open_in_z(o, dir, rel, 0, err);
}

/* ---------------------------------------------------------------- tasks
 *
 * Every output file (or, per county, every county's file of one kind) is a
 * task; tasks share nothing but the finished run, which they only read, so
 * they run on the run's threads at the same time, the largest first. The
 * bytes of a file do not depend on which thread writes it or when.
 *
 * Errors: every task has its own error. A failed task cancels the tasks
 * after it in the fixed order (the order below, which is the order of the
 * single-threaded writer), never the ones before it, and the error of the
 * first failed task in that order is the one reported — so a fault that
 * always hits the same file gives the same message for every -j. The
 * caller removes the whole temporary directory on any error, so no
 * half-written file is ever published.
 *
 * Counties whose code cannot name a directory all write county/unknown/:
 * they form one task per kind, run in county order as before, so the
 * files of that directory are what the single-threaded writer left.
 */

enum task_kind { T_COUNTY_CSV, T_HOUSEHOLDS_JSONL, T_MATCHES, T_QUARANTINE, T_SUMMARY, T_CHANGES, T_XLSX, T_HTML,
                 T_FINDINGS, T_REGISTER, T_LISTS, T__COUNT };
_Static_assert(T__COUNT == HD_WRITER_KINDS, "one time per writer kind");

const char *hd_writer_name(int k)
{
    static const char *const n[T__COUNT] = {
        [T_COUNTY_CSV] = "households.csv+members.csv", [T_HOUSEHOLDS_JSONL] = "households.jsonl",
        [T_MATCHES] = "matches.jsonl", [T_QUARANTINE] = "quarantine", [T_SUMMARY] = "summary.json",
        [T_CHANGES] = "changes.csv", [T_XLSX] = "results.xlsx", [T_HTML] = "report.html",
        [T_FINDINGS] = "findings.csv", [T_REGISTER] = "register/*.csv", [T_LISTS] = "recheck.csv+discovery.csv",
    };
    return k >= 0 && k < T__COUNT ? n[k] : "?";
}

typedef struct task {
    enum task_kind kind;
    uint32_t county;              /* per-county kinds; UNKNOWN_GROUP: every "unknown" county */
    uint64_t cost;                /* estimated work, to start the largest first */
    double cpu;                   /* seconds of the writing thread's CPU */
    int rc;
    hd_error err;
} task;

#define UNKNOWN_GROUP UINT32_MAX

static int is_unknown(const hd_results *st, uint32_t c)
{
    return !strcmp(hd_report_county_dir(st->counties[c]), "unknown");
}

/* county/<code>/households.csv and members.csv of county c. */
static int county_csv(const hd_results *st, const char *dir, uint32_t c, hd_error *err)
{
    char rel[256];
    hd_out *ho = NULL, *mo = NULL;
    snprintf(rel, sizeof rel, "county/%s/households.csv", hd_report_county_dir(st->counties[c]));
    int rc = open_in(&ho, dir, rel, err);
    if (rc) return rc;
    snprintf(rel, sizeof rel, "county/%s/members.csv", hd_report_county_dir(st->counties[c]));
    rc = open_in(&mo, dir, rel, err);
    if (rc) { hd_out_abort(ho); return rc; }
    hd_out_str(ho, hh_header);
    hd_out_str(mo, mb_header);
    for (uint32_t p = st->county_first[c]; p < st->county_first[c + 1]; p++) {
        household_row(ho, st, st->order[p]);
        member_rows(mo, st, st->order[p]);
    }
    rc = hd_out_close(ho, err);
    int rc2 = hd_out_close(mo, rc ? NULL : err);
    return rc ? rc : rc2;
}

static int households_jsonl(const hd_results *st, const char *dir, hd_error *err)
{
    hd_out *o;
    int rc = open_in(&o, dir, "audit/households.jsonl", err);
    if (rc) return rc;
    for (uint32_t p = 0; p < st->m->nhouseholds; p++) household_json(o, st, st->order[p]);
    return hd_out_close(o, err);
}

/* audit/matches.jsonl, or audit/matches.jsonl.zst ([job]
 * matches_compression = zstd): the same lines, one zstd frame. */
static int matches_jsonl(const hd_results *st, const char *dir, hd_error *err)
{
    hd_out *o;
    int z = st->job->matches_zstd;
    hd_tokener *tk = hd_tokener_new(&st->text_key);
    if (!tk) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    int rc = open_in_z(&o, dir, z ? "audit/matches.jsonl.zst" : "audit/matches.jsonl", z, err);
    if (rc) { hd_tokener_free(tk); return rc; }
    for (uint32_t i = 0, n = hd_model_nrecords(st->m); i < n; i++) {
        hd_record r;                      /* one at a time: records are stored compactly */
        hd_model_record(st->m, i, &r);
        match_json(o, st, tk, &r);
    }
    hd_tokener_free(tk);
    return hd_out_close(o, err);
}

static int cmp_rejected(const void *a, const void *b)
{
    const hd_file_result *x = *(const hd_file_result *const *)a, *y = *(const hd_file_result *const *)b;
    int c = strcmp(hd_report_county_dir(x->county), hd_report_county_dir(y->county));
    return c ? c : (x->index < y->index ? -1 : x->index > y->index);
}

/* SPEC §7: county/<code>/rejected_files.csv for each county with an
 * applicant file rejected whole (file, reason, message in Chinese and
 * English, what to do), counties in code order, files in path order. */
static int rejected_files(const hd_results *st, const char *dir, hd_error *err)
{
    const hd_file_result **rf = calloc((size_t)st->napp_files + 1, sizeof *rf);
    if (!rf) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    uint32_t n = 0;
    for (int i = 0; i < st->napp_files; i++)
        if (st->results[i].damage != HD_R_NONE) rf[n++] = &st->results[i];
    qsort(rf, n, sizeof *rf, cmp_rejected);
    int rc = HD_OK;
    for (uint32_t i = 0; i < n && rc == HD_OK;) {
        const char *cdir = hd_report_county_dir(rf[i]->county);
        char rel[256];
        snprintf(rel, sizeof rel, "county/%s/rejected_files.csv", cdir);
        hd_out *o;
        if ((rc = open_in(&o, dir, rel, err)) != HD_OK) break;
        hd_out_str(o, "file,reason,reason_zh,message,advice_zh,advice_en\n");
        for (; i < n && !strcmp(cdir, hd_report_county_dir(rf[i]->county)); i++) {
            const hd_file_result *r = rf[i];
            char zh[1024], en[1024];
            hd_reason_advice_ex(r->damage, -1, NULL, HD_LANG_ZH, NULL, zh, sizeof zh);
            hd_reason_advice_ex(r->damage, -1, NULL, HD_LANG_EN, NULL, en, sizeof en);
            hd_out_csv_str(o, hd_path_rel(r->path, st->job->dir), 1);
            hd_out_csv_str(o, hd_reason_name(r->damage), 0);
            hd_out_csv_str(o, hd_reason_label(r->damage, HD_LANG_ZH), 0);
            hd_out_csv_str(o, hd_path_rel(r->damage_msg, st->job->dir), 0);
            hd_out_csv_str(o, zh, 0);
            hd_out_csv_str(o, en, 0);
            hd_out_str(o, "\n");
        }
        rc = hd_out_close(o, err);
    }
    free(rf);
    return rc;
}

/* quarantine/applicants.csv, then quarantine/<source>.csv of each source;
 * and the counties' rejected_files.csv. */
static int quarantine_all(const hd_results *st, const char *dir, hd_error *err)
{
    int rrc = rejected_files(st, dir, err);
    if (rrc != HD_OK) return rrc;
    static const char *const qheader = "file,line,reason,field,raw\n";
    hd_out *q;
    int rc = HD_OK;
    /* quarantine/applicants.csv, and roster.csv / monitor.csv for the
     * populations the job gives (SPEC §10) */
    for (int p = 0, at = 0; !rc && p < HD_POP__COUNT; at += st->npop_files[p], p++) {
        if (p != HD_POP_APPLICANT && !st->npop_files[p]) continue;
        char rel[64];
        snprintf(rel, sizeof rel, "quarantine/%s.csv", hd_report_population_source(p));
        rc = open_in(&q, dir, rel, err);
        if (rc) return rc;
        hd_out_str(q, qheader);
        for (int i = at; i < at + st->npop_files[p]; i++) quarantine_rows(q, st, &st->results[i]);
        rc = hd_out_close(q, err);
    }
    for (int s = 0; !rc && s < st->job->nsources; s++) {
        char rel[256];
        snprintf(rel, sizeof rel, "quarantine/%s.csv", st->job->sources[s].name);
        rc = open_in(&q, dir, rel, err);
        if (rc) break;
        hd_out_str(q, qheader);
        for (int f = 0; f < st->src[s].nfiles; f++)
            quarantine_rows(q, st, &st->results[st->src[s].first_result + (uint32_t)f]);
        rc = hd_out_close(q, err);
    }
    return rc;
}

static int county_task(const hd_results *st, const char *dir, enum task_kind kind, uint32_t c, hd_error *err)
{
    switch (kind) {
    case T_COUNTY_CSV: return county_csv(st, dir, c, err);
    case T_CHANGES: return hd_write_changes(st, dir, c, err);
    case T_XLSX: return hd_write_xlsx_county(st, dir, c, err);
    case T_LISTS: return hd_write_lists(st, dir, c, err);
    case T_FINDINGS: return hd_reg_write_county(st, dir, c, err);
    default: return HD_ESOFTWARE;
    }
}

static int run_task(const hd_results *st, const char *dir, task *t)
{
    switch (t->kind) {
    case T_HOUSEHOLDS_JSONL: return households_jsonl(st, dir, &t->err);
    case T_MATCHES: return matches_jsonl(st, dir, &t->err);
    case T_QUARANTINE: return quarantine_all(st, dir, &t->err);
    case T_SUMMARY: return write_summary(st, dir, st->counties, st->ncounties, &t->err);
    case T_HTML: return hd_write_html(st, dir, &t->err);
    case T_REGISTER: return hd_reg_write_run(st, dir, &t->err);
    default: break;
    }
    if (t->county != UNKNOWN_GROUP) return county_task(st, dir, t->kind, t->county, &t->err);
    for (uint32_t c = 0; c < st->ncounties; c++)       /* in county order, as one writer did */
        if (is_unknown(st, c)) {
            int rc = county_task(st, dir, t->kind, c, &t->err);
            if (rc) return rc;
        }
    return HD_OK;
}

typedef struct pool {
    const hd_results *st;
    const char *dir;
    task *t;
    const uint32_t *sched;        /* task indices in the order they are started */
    uint32_t n;
    uint32_t next;                /* atomic: next position in sched */
    uint32_t first_failed;        /* atomic: lowest index of a failed task, n if none */
} pool;

static double thread_cpu(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *pool_worker(void *arg)
{
    pool *p = arg;
    for (;;) {
        uint32_t k = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
        if (k >= p->n) break;
        uint32_t i = p->sched[k];
        if (i > __atomic_load_n(&p->first_failed, __ATOMIC_ACQUIRE)) continue;   /* cancelled */
        task *t = &p->t[i];
        double c0 = thread_cpu();
        t->rc = run_task(p->st, p->dir, t);
        t->cpu = thread_cpu() - c0;
        if (t->rc == HD_OK) continue;
        uint32_t f = __atomic_load_n(&p->first_failed, __ATOMIC_ACQUIRE);
        while (i < f && !__atomic_compare_exchange_n(&p->first_failed, &f, i, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            ;
    }
    return NULL;
}

/* The larger cost first; equal costs in the fixed order. */
static int cmp_sched(const void *a, const void *b, void *arg)
{
    const task *t = arg;
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (t[x].cost != t[y].cost) return t[x].cost > t[y].cost ? -1 : 1;
    return x < y ? -1 : x > y;
}

int hd_write_reports(const hd_results *st, const char *dir, hd_writer_times *times, hd_error *err)
{
    int rc;
    const hd_model *m = st->m;
    uint32_t nc = st->ncounties;
    task *t = calloc((size_t)nc * 5 + 8, sizeof *t);
    uint32_t *sched = malloc(((size_t)nc * 5 + 8) * sizeof *sched);
    if (!t || !sched) { free(t); free(sched); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
    uint32_t n = 0;
    /* costs: rough units of work, from a profile at 100,000 households
     * (a member's row in a workbook costs about 15 times its CSV row) */
    #define ADD(K, C, COST) do { t[n].kind = (K); t[n].county = (C); t[n].cost = (COST); n++; } while (0)
    enum task_kind per_county[5] = { T_COUNTY_CSV, T_CHANGES, T_XLSX, T_FINDINGS, T_LISTS };
    static const uint64_t per_member[5] = { 2, 0, 30, 1, 0 };
    int lists = st->npop_files[HD_POP_RECIPIENT] || st->npop_files[HD_POP_MONITORED];
    for (int k = 0; k < 5; k++) {
        if (per_county[k] == T_CHANGES && !st->have_previous) continue;
        if (per_county[k] == T_LISTS && !lists) continue;
        int unknown_added = 0;
        for (uint32_t c = 0; c < nc; c++) {
            uint64_t members = 0;
            for (uint32_t p = st->county_first[c]; p < st->county_first[c + 1]; p++)
                members += m->households[st->order[p]].nmembers;
            uint64_t cost = per_member[k] * members + 4 * (st->county_first[c + 1] - st->county_first[c]) + 1000;
            if (!is_unknown(st, c)) { ADD(per_county[k], c, cost); continue; }
            if (!unknown_added) { ADD(per_county[k], UNKNOWN_GROUP, 0); unknown_added = 1; }
            t[n - 1].cost += cost;
            /* the group's cost is the sum of its counties': it stays where
             * its first county is in the fixed order */
        }
        if (per_county[k] == T_COUNTY_CSV) {
            ADD(T_HOUSEHOLDS_JSONL, 0, 3 * (uint64_t)m->nhouseholds);
            ADD(T_MATCHES, 0, (st->job->matches_zstd ? 10 : 8) * (uint64_t)hd_model_nrecords(m));
            ADD(T_QUARANTINE, 0, 1000);
            ADD(T_SUMMARY, 0, 1000 + (uint64_t)m->nhouseholds / 8);
        }
    }
    ADD(T_HTML, 0, 1000 + (uint64_t)m->nhouseholds / 8);
    ADD(T_REGISTER, 0, 1000 + 2 * (uint64_t)m->nhouseholds);
    #undef ADD
    for (uint32_t i = 0; i < n; i++) sched[i] = i;
    int nt = hd_pool_threads(st->opts ? st->opts->threads : 0, (int)n);
    /* -j1: one thread, the fixed order, stop at the first error */
    if (nt > 1) qsort_r(sched, n, sizeof *sched, cmp_sched, t);
    pool p = { .st = st, .dir = dir, .t = t, .sched = sched, .n = n, .next = 0, .first_failed = n };
    hd_pool_run(nt, pool_worker, &p);
    rc = HD_OK;
    if (times) {
        memset(times, 0, sizeof *times);
        for (uint32_t i = 0; i < n; i++) times->cpu[t[i].kind] += t[i].cpu;
    }
    if (p.first_failed < n) {
        rc = t[p.first_failed].rc;
        if (err) *err = t[p.first_failed].err;
    }
    free(t);
    free(sched);
    return rc;
}
