/*
 * html.c — audit/report.html: one self-contained UTF-8 page for auditors
 * (issue 5). Everything is inline: CSS, charts as SVG drawn here, and a
 * small script that only filters the table of flagged households; without
 * the script the page shows every row and every number. No network: a
 * Content-Security-Policy allows nothing but the inline style and script.
 *
 * Like every auditor file it is pseudonymised: households by token, never
 * an application id, a name or an ID number. Every number is plain text in
 * an element with a stable id or data- attributes (docs/auditor-guide.md),
 * and equals summary.json (the same counts, computed the same way).
 * Deterministic bytes: no clock, fixed orders (st->counties, st->order).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules/labels.h"
#include "report/report.h"
#include "hedui/advice.h"
#include "report/common.h"
#include "report/out.h"
#include "util/path.h"

/* ---------------------------------------------------------------- escaping */

/* Length of the valid UTF-8 sequence at p (1..4), 0 if invalid. */
static size_t u8len(const unsigned char *p, size_t n)
{
    for (size_t l = 1; l <= 4 && l <= n; l++)
        if (hd_utf8_valid((const char *)p, l)) return l;
    return 0;
}

/* Text or attribute value: & < > " ' as entities, control characters and
 * bytes that are not UTF-8 as U+FFFD. */
static void esc_n(hd_out *o, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        switch (c) {
        case '&': hd_out_str(o, "&amp;"); i++; continue;
        case '<': hd_out_str(o, "&lt;"); i++; continue;
        case '>': hd_out_str(o, "&gt;"); i++; continue;
        case '"': hd_out_str(o, "&quot;"); i++; continue;
        case '\'': hd_out_str(o, "&#39;"); i++; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) { hd_out_str(o, "\xEF\xBF\xBD"); i++; continue; }
        if (c < 0x80) { hd_out_write(o, &p[i], 1); i++; continue; }
        size_t l = u8len(p + i, n - i);
        if (!l) { hd_out_str(o, "\xEF\xBF\xBD"); i++; continue; }
        hd_out_write(o, p + i, l);
        i += l;
    }
}

static void esc(hd_out *o, const char *s) { if (s) esc_n(o, s, strlen(s)); }

/* "12.34 %" of a / b rounded half up to the hundredth, "—" when b is 0. */
static void percent(char *out, size_t cap, uint64_t a, uint64_t b)
{
    if (!b) { snprintf(out, cap, "\xE2\x80\x94"); return; }
    unsigned __int128 bp = ((unsigned __int128)a * 20000u + b) / ((unsigned __int128)b * 2u);
    snprintf(out, cap, "%" PRIu64 ".%02" PRIu64 " %%", (uint64_t)(bp / 100), (uint64_t)(bp % 100));
}

/* Bar length in px of v out of max over width w (0 when max is 0). */
static unsigned bar(uint64_t v, uint64_t max, unsigned w)
{
    if (!max) return 0;
    return (unsigned)(((unsigned __int128)v * w + max / 2) / max);
}

/* Reasons as their Chinese labels (the one table, hd_finding_label_zh),
 * the code in the title and, with data_code, a data- attribute for
 * machines; an em dash for none. */
static void findings_spans(hd_out *o, uint32_t bits, int data_code)
{
    hd_finding f[HD_FD__COUNT];
    int n = hd_findings_sorted(bits, f);
    if (!n) { hd_out_str(o, "\xE2\x80\x94"); return; }
    for (int i = 0; i < n; i++) {
        hd_out_str(o, i ? " <span class=\"r\" title=\"" : "<span class=\"r\" title=\"");
        esc(o, hd_finding_name(f[i]));
        if (data_code) {
            hd_out_str(o, "\" data-code=\"");
            esc(o, hd_finding_name(f[i]));
        }
        hd_out_str(o, "\">");
        esc(o, hd_finding_label_zh(f[i]));
        hd_out_str(o, "</span>");
    }
}

static void reasons_cell(hd_out *o, uint32_t bits) { findings_spans(o, bits, 1); }

/* A county as "名称 code" (data/admin-codes, the generated division table);
 * the code alone when the table does not know it. */
static void county_label(hd_out *o, const char *code)
{
    const char *name = strlen(code) == 6 ? hd_division_name(code) : NULL;
    if (name) {
        esc(o, name);
        hd_out_str(o, " <span class=\"mono\">");
        esc(o, code);
        hd_out_str(o, "</span>");
    } else {
        hd_out_str(o, "<span class=\"mono\">");
        esc(o, code);
        hd_out_str(o, "</span>");
    }
}

static void verdict_span(hd_out *o, hd_verdict v)
{
    hd_out_printf(o, "<span class=\"v v-%s\" title=\"%s\">", hd_verdict_name(v), hd_verdict_name(v));
    esc(o, hd_verdict_label_zh(v));
    hd_out_str(o, "</span>");
}

/* ---------------------------------------------------------------- page */

static const char *const css =
    "*{box-sizing:border-box}"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif;"
    "color:#1d232a;background:#f4f6f8}"
    "main{max-width:1200px;margin:0 auto;padding:20px 28px 48px;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:30px 0 8px;padding-bottom:4px;border-bottom:2px solid #d6dde4}"
    "p.note{color:#4a5560;margin:6px 0 10px;max-width:900px}"
    "table{border-collapse:collapse;margin:6px 0 10px}"
    "th,td{padding:3px 9px;border-bottom:1px solid #e3e8ed;text-align:left;vertical-align:baseline}"
    ".wide{overflow-x:auto}#ledger-table{font-size:13px}#ledger-table th,#ledger-table td{padding:2px 6px}"
    "td.mono{white-space:nowrap}"
    "th{background:#eef2f5;font-weight:600;font-size:13px}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "table.kv td:first-child{color:#4a5560;width:150px}"
    ".mono,.tok{font-family:ui-monospace,'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:12px}"
    ".tok{word-break:break-all}"
    ".r{display:inline-block;background:#eef2f5;border-radius:3px;padding:0 5px;margin:1px 0;font-size:12px}"
    ".v-ELIGIBLE{color:#2e7d32}.v-REVIEW{color:#a66300}.v-INELIGIBLE{color:#c62828}"
    ".v{font-weight:600}"
    ".cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}"
    ".card{border:1px solid #d6dde4;border-radius:6px;padding:8px 14px;min-width:150px}"
    ".card .k{font-size:12px;color:#4a5560}.card .big{font-size:24px;font-weight:600}"
    ".damaged{background:#fdecea;border:1px solid #c62828;border-radius:6px;padding:8px 14px;margin:12px 0}"
    ".legend span{display:inline-block;margin-right:14px;font-size:12px}"
    ".legend i{display:inline-block;width:11px;height:11px;margin-right:4px;vertical-align:-1px}"
    "svg{display:block;max-width:100%;height:auto;margin:6px 0}"
    "svg text{font:12px system-ui,-apple-system,'Segoe UI','Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;fill:#1d232a}"
    "#review-first td{vertical-align:top}.sub{color:#4a5560;font-size:12px}"
    "#filter{margin:8px 0}#filter input,#filter select{font:inherit;padding:3px 6px;margin-right:8px}"
    "footer{margin-top:36px;color:#4a5560;font-size:12px}"
    "@media print{body{background:#fff}main{padding:0}#filter{display:none}}";

/* Colours: verdicts and ledger parts (also in the legends). */
#define C_EL "#2e7d32"
#define C_RV "#f2a900"
#define C_IN "#c62828"
#define C_MATCH "#1565c0"
#define C_UNM "#9fb3c2"
#define C_QUAR "#ef6c00"
#define C_OK "#5c8db8"
#define C_BAR "#3d6f99"


static void legend(hd_out *o, const char *const *colours, const char *const *labels, int n)
{
    hd_out_str(o, "<div class=\"legend\">");
    for (int i = 0; i < n; i++) {
        hd_out_printf(o, "<span><i style=\"background:%s\"></i>", colours[i]);
        esc(o, labels[i]);
        hd_out_str(o, "</span>");
    }
    hd_out_str(o, "</div>\n");
}

static void svg_open(hd_out *o, unsigned w, unsigned h, const char *label)
{
    hd_out_printf(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u %u\" role=\"img\" aria-label=\"",
                  w, h, w, h);
    esc(o, label);
    hd_out_str(o, "\">\n");
}

static void rect(hd_out *o, unsigned x, unsigned y, unsigned w, unsigned h, const char *fill,
                 const char *tip, uint64_t n)
{
    if (!w) return;
    hd_out_printf(o, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"><title>", x, y, w, h, fill);
    esc(o, tip);
    hd_out_printf(o, ": %" PRIu64 "</title></rect>", n);
}

/* Stacked segments of v[0..n) from x over at most width px, scaled to max
 * (pct: to the sum, i.e. 100 %). A nonzero part is at least 2 px wide; the
 * widest part gives way. Returns the end x. */
static unsigned stack(hd_out *o, unsigned x, unsigned y, unsigned h, unsigned width,
                      const uint64_t *v, int n, uint64_t max, const char *const *colours,
                      const char *const *tips)
{
    unsigned w[8] = {0}, total = 0;
    uint64_t sum = 0, acc = 0;
    for (int i = 0; i < n; i++) sum += v[i];
    unsigned full = bar(sum, max, width);
    /* cumulative rounding keeps the parts adding up to the whole */
    unsigned prev = 0;
    for (int i = 0; i < n; i++) {
        acc += v[i];
        unsigned end = bar(acc, sum, full);
        w[i] = end - prev;
        prev = end;
    }
    int widest = 0;
    for (int i = 0; i < n; i++) if (w[i] > w[widest]) widest = i;
    for (int i = 0; i < n; i++)
        if (v[i] && w[i] < 2 && w[widest] > 4) { w[widest] -= 2 - w[i]; w[i] = 2; }
    for (int i = 0; i < n; i++) { rect(o, x + total, y, w[i], h, colours[i], tips[i], v[i]); total += w[i]; }
    return x + total;
}

/* What every section gets: the run and the counts computed once. */
typedef struct page {
    const hd_results *st;
    uint64_t verdicts[3];
    uint64_t flagged;
} page;

static void header(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    const hd_model *m = st->m;
    char date[11];
    hd_date_format(st->job->as_of, date);
    hd_out_str(o, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                  "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"generator\" content=\"hedui " HD_ENGINE_VERSION "\">\n<title>hedui \xE6\xA0\xB8\xE5\xAF\xB9"
                  "\xE6\x8A\xA5\xE5\x91\x8A report \xE2\x80\x94 ");
    esc(o, st->job->name);
    hd_out_printf(o, " \xE2\x80\x94 %s</title>\n<style>", date);
    hd_out_str(o, css);
    hd_out_str(o, "</style>\n</head>\n<body>\n<main>\n<h1>\xE5\xB1\x85\xE6\xB0\x91\xE5\xAE\xB6\xE5\xBA\xAD\xE7\xBB\x8F"
                  "\xE6\xB5\x8E\xE7\x8A\xB6\xE5\x86\xB5\xE6\xA0\xB8\xE5\xAF\xB9\xE6\x8A\xA5\xE5\x91\x8A "
                  "<span class=\"sub\">Household economic status verification \xE2\x80\x94 run report</span></h1>\n"
                  "<p class=\"note\">");
    esc(o, st->job->name);
    hd_out_printf(o, " \xC2\xB7 \xE6\xA0\xB8\xE5\xAF\xB9\xE6\x97\xA5\xE6\x9C\x9F as_of %s \xC2\xB7 ", date);
    hd_out_str(o, st->damaged ? "<b class=\"v-INELIGIBLE\">\xE6\x9C\x89\xE6\x95\xB0\xE6\x8D\xAE\xE6\xBA\x90\xE6\x8D\x9F"
                                "\xE5\x9D\x8F at least one source is damaged</b>"
                              : "\xE6\x95\xB0\xE6\x8D\xAE\xE6\xBA\x90\xE5\xAE\x8C\xE6\x95\xB4 no source damaged");
    hd_out_str(o, ". Pseudonymised: households by token only. Verdicts are recommendations for the county offices.</p>\n");
    if (st->damaged) {
        hd_out_str(o, "<div class=\"damaged\" id=\"damage\"><b>Damaged sources</b> (every household is REVIEW with "
                      "SOURCE_INCOMPLETE):<ul>\n");
        for (int s = 0; s < st->job->nsources; s++) {
            const hd_source_state *ss = &st->src[s];
            if (ss->damage == HD_R_NONE) continue;
            hd_out_str(o, "<li><b>");
            esc(o, st->job->sources[s].name);
            hd_out_str(o, "</b>: <span data-source=\"");
            esc(o, st->job->sources[s].name);
            hd_out_str(o, "\" data-k=\"damage\">");
            esc(o, hd_reason_name(ss->damage));
            hd_out_str(o, "</span> ");
            esc(o, hd_reason_label(ss->damage, HD_LANG_ZH));
            hd_out_str(o, " \xE2\x80\x94 ");
            esc(o, hd_path_rel(ss->damage_msg, st->job->dir));
            hd_out_str(o, "</li>\n");
        }
        for (int k = HD_KIND_APPLICANTS + 1; k < HD_KIND__COUNT; k++) {
            if (!(st->kinds_missing & (1u << k))) continue;
            hd_out_str(o, "<li><b>");
            esc(o, hd_kind_label_zh((hd_kind)k));
            hd_out_str(o, " kind ");
            esc(o, hd_kind_name((hd_kind)k));
            hd_out_str(o, "</b>: <span data-kind=\"");
            esc(o, hd_kind_name((hd_kind)k));
            hd_out_str(o, "\" data-k=\"damage\">NO_SOURCE</span> \xE2\x80\x94 the policy requires it and the job has no source of it</li>\n");
        }
        hd_out_str(o, "</ul></div>\n");
    }
    hd_out_str(o, "<div class=\"cards\">\n");
    hd_out_printf(o, "<div class=\"card\"><div class=\"k\">\xE5\xAE\xB6\xE5\xBA\xAD households</div><div class=\"big\" "
                  "id=\"households\">%u</div></div>\n", m->nhouseholds);
    hd_out_printf(o, "<div class=\"card\"><div class=\"k\">\xE6\x88\x90\xE5\x91\x98 members</div><div class=\"big\" "
                  "id=\"members\">%u</div></div>\n", m->nmembers);
    for (int v = 0; v < 3; v++) {
        hd_out_str(o, "<div class=\"card\"><div class=\"k\">");
        esc(o, hd_verdict_label_zh((hd_verdict)v));
        hd_out_printf(o, " %s</div><div class=\"big v-%s\" data-k=\"verdict-%s\">%" PRIu64 "</div></div>\n",
                      hd_verdict_name((hd_verdict)v), hd_verdict_name((hd_verdict)v), hd_verdict_name((hd_verdict)v),
                      pg->verdicts[v]);
    }
    hd_out_printf(o, "<div class=\"card\"><div class=\"k\">\xE9\x9C\x80\xE6\xA0\xB8\xE6\x9F\xA5 flagged (REVIEW + INELIGIBLE)"
                  "</div><div class=\"big\" id=\"flagged-count\">%" PRIu64 "</div></div>\n</div>\n", pg->flagged);
}

/* The run's identity: job, as_of, policy, digests (what an auditor cites). */
static void run_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    char date[11];
    hd_date_format(st->job->as_of, date);
    hd_out_str(o, "<table class=\"kv\" id=\"run\">\n<tr><td>job</td><td id=\"job\">");
    esc(o, st->job->name);
    hd_out_printf(o, "</td></tr>\n<tr><td>as_of</td><td id=\"as-of\">%s</td></tr>\n<tr><td>policy</td><td id=\"policy\">", date);
    esc(o, st->policy->name);
    hd_out_str(o, "</td></tr>\n<tr><td>policy digest</td><td id=\"policy-digest\" class=\"mono\">");
    esc(o, st->policy->digest);
    hd_out_str(o, "</td></tr>\n<tr><td>key id</td><td id=\"key-id\" class=\"mono\">");
    esc(o, st->key.id);
    hd_out_str(o, "</td></tr>\n<tr><td>engine</td><td id=\"engine\">hedui " HD_ENGINE_VERSION "</td></tr>\n"
                  "<tr><td>input digest</td><td id=\"input-digest\" class=\"mono\">");
    esc(o, st->input_digest);
    hd_out_printf(o, "</td></tr>\n<tr><td>sources</td><td id=\"damaged\" data-damaged=\"%s\">%s</td></tr>\n</table>\n",
                  st->damaged ? "true" : "false",
                  st->damaged ? "<b class=\"v-INELIGIBLE\">at least one source is damaged</b>" : "complete (no source damaged)");
    hd_out_str(o, "<p class=\"note\">The <b>input digest</b> is the SHA-256 over the engine version, as_of, key id, policy "
                  "digest and the path and SHA-256 of every input; its first 12 hex digits name the output directory. "
                  "This page cannot show the manifest digest: <code>manifest.json</code> lists this file with its size "
                  "and SHA-256, and <code>manifest.sig</code> signs <code>manifest.json</code>, so a file cannot hold a digest "
                  "of the manifest that covers it. Check the page with <code>hedui audit verify</code> or OpenSSL "
                  "(auditor guide); the numbers here equal <code>summary.json</code>.</p>\n");
}

/* Flagged households in the order an auditor takes them: INELIGIBLE before
 * REVIEW, more findings first, then county and submission order. */
typedef struct prio { uint32_t pos; uint8_t verdict, nfind; } prio;

static int prio_cmp(const void *a, const void *b)
{
    const prio *x = a, *y = b;
    if (x->verdict != y->verdict) return x->verdict > y->verdict ? -1 : 1;
    if (x->nfind != y->nfind) return x->nfind > y->nfind ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

#define REVIEW_FIRST 12

static void review_first_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    const hd_model *m = st->m;
    prio *p = malloc(((size_t)pg->flagged + 1) * sizeof *p);
    if (!p) { hd_out_str(o, "<p>out of memory</p>\n"); return; }
    size_t n = 0;
    for (uint32_t i = 0; i < m->nhouseholds; i++) {
        const hd_judged *j = &st->judgements.kept[st->order[i]];
        if (j->verdict == HD_V_ELIGIBLE) continue;
        p[n].pos = i;
        p[n].verdict = (uint8_t)j->verdict;
        p[n].nfind = (uint8_t)__builtin_popcount(j->findings);
        n++;
    }
    qsort(p, n, sizeof *p, prio_cmp);
    size_t show = n < REVIEW_FIRST ? n : REVIEW_FIRST;
    hd_out_printf(o, "<p class=\"note\">\xE4\xB8\x8D\xE7\xAC\xA6\xE5\x90\x88\xE5\x9C\xA8\xE5\x89\x8D\xEF\xBC\x8C"
                  "\xE5\x8E\x9F\xE5\x9B\xA0\xE5\xA4\x9A\xE7\x9A\x84\xE5\x9C\xA8\xE5\x89\x8D\xE3\x80\x82 INELIGIBLE first, then the most "
                  "reasons; the first <b id=\"review-first-shown\">%zu</b> of <b>%" PRIu64 "</b> flagged households "
                  "(all of them: <a href=\"#flagged\">flagged households</a>).</p>\n", show, pg->flagged);
    if (show) {
        hd_out_str(o, "<table id=\"review-first-table\">\n<thead><tr><th>#</th><th>\xE5\xAE\xB6\xE5\xBA\xAD\xE4\xBB\xA3"
                      "\xE5\x8F\xB7 token</th><th>\xE5\x8C\xBA\xE5\x8E\xBF county</th><th>\xE7\xBB\x93\xE8\xAE\xBA "
                      "verdict</th><th>\xE5\x8E\x9F\xE5\x9B\xA0 reasons</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < show; i++) {
            uint32_t h = st->order[p[i].pos];
            const hd_judged *j = &st->judgements.kept[h];
            char tok[65];
            hd_household_token_hex(&m->households[h], tok);
            hd_out_printf(o, "<tr data-first=\"%s\"><td class=\"n\">%zu</td><td class=\"mono\" title=\"%s\">%.16s\xE2\x80\xA6</td><td>",
                          tok, i + 1, tok, tok);
            county_label(o, m->households[h].county_code);
            hd_out_str(o, "</td><td>");
            verdict_span(o, j->verdict);
            hd_out_str(o, "</td><td>");
            reasons_cell(o, j->findings);
            hd_out_str(o, "</td></tr>\n");
        }
        hd_out_str(o, "</tbody>\n</table>\n");
    }
    free(p);
}

typedef struct county_row { uint32_t c; uint64_t v[4]; } county_row;   /* E, R, I, households */

static int county_cmp(const void *a, const void *b)
{
    const county_row *x = a, *y = b;
    uint64_t fx = x->v[1] + x->v[2], fy = y->v[1] + y->v[2];
    if (fx != fy) return fx > fy ? -1 : 1;
    if (x->v[3] != y->v[3]) return x->v[3] > y->v[3] ? -1 : 1;
    return x->c < y->c ? -1 : x->c > y->c;
}

#define COUNTY_CHART 20

static void counties_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    uint32_t nc = st->ncounties;
    county_row *r = calloc((size_t)nc + 1, sizeof *r);
    uint64_t max = 0;
    if (!r) { hd_out_str(o, "<p>out of memory</p>\n"); return; }
    for (uint32_t c = 0; c < nc; c++) {
        r[c].c = c;
        for (uint32_t p = st->county_first[c]; p < st->county_first[c + 1]; p++) {
            r[c].v[st->judgements.kept[st->order[p]].verdict]++;
            r[c].v[3]++;
        }
        if (r[c].v[3] > max) max = r[c].v[3];
    }
    qsort(r, nc, sizeof *r, county_cmp);
    uint32_t shown = nc < COUNTY_CHART ? nc : COUNTY_CHART;
    hd_out_printf(o, "<p class=\"note\">%u counties, the most flagged households (REVIEW + INELIGIBLE) first; the chart "
                  "shows the first %u, the table below all. Bar length is the number of households.</p>\n", nc, shown);
    static const char *const order[3] = { C_IN, C_RV, C_EL };
    static const char *const ol[3] = { "\xE4\xB8\x8D\xE7\xAC\xA6\xE5\x90\x88 INELIGIBLE", "\xE9\x9C\x80\xE4\xBA\xBA"
                                       "\xE5\xB7\xA5\xE5\xA4\x8D\xE6\xA0\xB8 REVIEW", "\xE7\xAC\xA6\xE5\x90\x88 ELIGIBLE" };
    legend(o, order, ol, 3);
    const unsigned lw = 250, bw = 560, rh = 18;
    svg_open(o, lw + bw + 120, shown * rh + 4, "verdicts per county, most flagged first");
    for (uint32_t i = 0; i < shown; i++) {
        const county_row *c = &r[i];
        const char *code = st->counties[c->c];
        const char *name = strlen(code) == 6 ? hd_division_name(code) : NULL;
        unsigned y = i * rh + 2;
        hd_out_printf(o, "<text x=\"0\" y=\"%u\">", y + 12);
        if (name) { esc(o, name); hd_out_str(o, " "); }
        esc(o, code);
        hd_out_str(o, "</text>");
        uint64_t v[3] = { c->v[2], c->v[1], c->v[0] };      /* flagged at the left */
        unsigned end = stack(o, lw, y + 2, rh - 5, bw, v, 3, max, order, ol);
        hd_out_printf(o, "<text x=\"%u\" y=\"%u\">%" PRIu64 " / %" PRIu64 "</text>\n", end + 6, y + 12,
                      c->v[1] + c->v[2], c->v[3]);
    }
    hd_out_printf(o, "</svg>\n<details><summary>\xE5\x85\xA8\xE9\x83\xA8 %u \xE4\xB8\xAA\xE5\x8C\xBA\xE5\x8E\xBF"
                  " all %u counties</summary>\n", nc, nc);
    hd_out_str(o, "<div class=\"wide\"><table id=\"county-table\">\n<thead><tr><th>\xE5\x8C\xBA\xE5\x8E\xBF county</th>"
                  "<th class=\"n\">households</th><th class=\"n\">\xE7\xAC\xA6\xE5\x90\x88 ELIGIBLE</th><th class=\"n\">"
                  "\xE9\x9C\x80\xE4\xBA\xBA\xE5\xB7\xA5\xE5\xA4\x8D\xE6\xA0\xB8 REVIEW</th><th class=\"n\">\xE4\xB8\x8D\xE7\xAC"
                  "\xA6\xE5\x90\x88 INELIGIBLE</th></tr></thead>\n<tbody>\n");
    for (uint32_t i = 0; i < nc; i++) {
        const char *code = st->counties[r[i].c];
        hd_out_str(o, "<tr><td>");
        county_label(o, code);
        hd_out_str(o, "</td>");
        static const char *const k[4] = { "ELIGIBLE", "REVIEW", "INELIGIBLE", "households" };
        static const int col[4] = { 3, 0, 1, 2 };
        for (int j = 0; j < 4; j++) {
            hd_out_str(o, "<td class=\"n\" data-county=\"");
            esc(o, code);
            hd_out_printf(o, "\" data-k=\"%s\">%" PRIu64 "</td>", k[col[j]], r[i].v[col[j]]);
        }
        hd_out_str(o, "</tr>\n");
    }
    hd_out_str(o, "</tbody>\n</table></div>\n</details>\n");
    free(r);
}

static void reasons_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    const hd_model *m = st->m;
    uint64_t count[HD_FD__COUNT] = {0}, max = 0;
    for (uint32_t h = 0; h < m->nhouseholds; h++)
        for (int f = 0; f < HD_FD__COUNT; f++)
            if (st->judgements.kept[h].findings & (1u << f)) count[f]++;
    for (int f = 0; f < HD_FD__COUNT; f++) if (count[f] > max) max = count[f];
    hd_finding ord[HD_FD__COUNT];
    int n = hd_findings_sorted((1u << HD_FD__COUNT) - 1, ord);
    /* the chart: the reasons found, most frequent first (ties by code) */
    hd_finding chart[HD_FD__COUNT];
    memcpy(chart, ord, sizeof chart);
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && count[chart[j]] > count[chart[j - 1]]; j--) {
            hd_finding t = chart[j]; chart[j] = chart[j - 1]; chart[j - 1] = t;
        }
    int found = 0;
    while (found < n && count[chart[found]]) found++;
    hd_out_printf(o, "<p class=\"note\">Households with each reason, the most frequent first (a household may have several; "
                  "reasons whose policy outcome is <i>ignore</i> are not counted); %d of %d reasons were found. Codes and "
                  "labels: docs/reasons.md.</p>\n", found, n);
    const unsigned lw = 260, bw = 520, rh = 20;
    svg_open(o, lw + bw + 60, (unsigned)found * rh + 4, "households per reason");
    for (int i = 0; i < found; i++) {
        unsigned y = (unsigned)i * rh + 2;
        hd_out_printf(o, "<text x=\"0\" y=\"%u\">", y + 13);
        esc(o, hd_finding_label_zh(chart[i]));
        hd_out_str(o, "</text>");
        unsigned w = bar(count[chart[i]], max, bw);
        if (count[chart[i]] && w < 2) w = 2;
        rect(o, lw, y + 3, w, rh - 6, C_BAR, hd_finding_name(chart[i]), count[chart[i]]);
        hd_out_printf(o, "<text x=\"%u\" y=\"%u\">%" PRIu64 "</text>\n", lw + w + 6, y + 13, count[chart[i]]);
    }
    hd_out_str(o, "</svg>\n<table id=\"reason-table\">\n<thead><tr><th>\xE5\x8E\x9F\xE5\x9B\xA0</th><th>code</th>"
                  "<th class=\"n\">households</th></tr></thead>\n<tbody>\n");
    for (int i = 0; i < n; i++) {
        hd_out_str(o, "<tr><td>");
        esc(o, hd_finding_label_zh(chart[i]));
        hd_out_str(o, "</td><td class=\"mono\">");
        esc(o, hd_finding_name(chart[i]));
        hd_out_str(o, "</td><td class=\"n\" data-reason=\"");
        esc(o, hd_finding_name(chart[i]));
        hd_out_printf(o, "\" data-k=\"count\">%" PRIu64 "</td></tr>\n", count[chart[i]]);
    }
    hd_out_str(o, "</tbody>\n</table>\n");
}

static void ledger_cell(hd_out *o, const char *file, const char *k, uint64_t v)
{
    hd_out_str(o, "<td class=\"n\" data-file=\"");
    esc(o, file);
    hd_out_printf(o, "\" data-k=\"%s\">%" PRIu64 "</td>", k, v);
}

static void ledger_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    hd_out_str(o, "<p class=\"note\">Per file: rows = ok + quarantined; "
                  "for extracts ok = matched + unmatched (a row is matched when its ID or token is an applicant member's). "
                  "Header, skipped, blank and trailer lines are counted apart. Quarantined rows are in "
                  "<code>quarantine/&lt;source&gt;.csv</code>.</p>\n");
    /* the chart: all applicant files as one bar, then each extract file,
     * each bar 100 % of its rows */
    static const char *const pc[3] = { C_MATCH, C_UNM, C_QUAR };
    static const char *const pl[3] = { "matched", "unmatched", "quarantined" };
    static const char *const ac[2] = { C_OK, C_QUAR };
    static const char *const al[2] = { "ok", "quarantined" };
    static const char *const lc[4] = { C_OK, C_MATCH, C_UNM, C_QUAR };
    static const char *const ll[4] = { "ok (applicants)", "matched", "unmatched", "quarantined" };
    legend(o, lc, ll, 4);
    uint32_t napp = (uint32_t)st->napp_files, next = st->nresults - napp;
    const unsigned lw = 300, bw = 560, rh = 20;
    svg_open(o, lw + bw + 110, (next + 1) * rh + 4, "row ledger per file, share of rows");
    {
        uint64_t a[2] = {0};
        for (uint32_t i = 0; i < napp; i++) {
            a[0] += st->results[i].ledger.rows_ok;
            a[1] += st->results[i].ledger.rows_quarantined;
        }
        hd_out_printf(o, "<text x=\"0\" y=\"15\">applicants (%u files)</text>", napp);
        stack(o, lw, 5, rh - 6, bw, a, 2, a[0] + a[1], ac, al);
        hd_out_printf(o, "<text x=\"%u\" y=\"15\">%" PRIu64 " rows</text>\n", lw + bw + 6, a[0] + a[1]);
    }
    for (uint32_t i = napp; i < st->nresults; i++) {
        const hd_ledger *l = &st->results[i].ledger;
        unsigned y = (i - napp + 1) * rh + 2;
        hd_out_printf(o, "<text x=\"0\" y=\"%u\">", y + 13);
        esc(o, hd_path_rel(st->results[i].path, st->job->dir));
        hd_out_str(o, "</text>");
        uint64_t p[3] = { l->rows_matched, l->rows_unmatched, l->rows_quarantined };
        stack(o, lw, y + 3, rh - 6, bw, p, 3, p[0] + p[1] + p[2], pc, pl);
        hd_out_printf(o, "<text x=\"%u\" y=\"%u\">%" PRIu64 " rows%s</text>\n", lw + bw + 6, y + 13, l->rows,
                      st->results[i].damage != HD_R_NONE ? " \xE2\x9A\xA0" : "");
    }
    hd_out_str(o, "</svg>\n<div class=\"wide\"><table id=\"ledger-table\">\n<thead><tr><th>file</th><th>source</th><th class=\"n\">rows</th>"
                  "<th class=\"n\">ok</th><th class=\"n\">quarantined</th><th class=\"n\">matched</th><th class=\"n\">unmatched</th>"
                  "<th class=\"n\">header</th><th class=\"n\">skipped</th><th class=\"n\">blank</th><th class=\"n\">trailer</th>"
                  "<th>damage</th><th>quarantined by reason</th></tr></thead>\n<tbody>\n");
    uint64_t t[2][5] = {{0}};          /* applicants, extracts (summary.json totals) */
    uint32_t tf[2] = {0};
    for (uint32_t i = 0; i < st->nresults; i++) {
        const hd_file_result *r = &st->results[i];
        const hd_ledger *l = &r->ledger;
        const char *file = hd_path_rel(r->path, st->job->dir);
        hd_out_str(o, "<tr><td class=\"mono\">");
        esc(o, file);
        hd_out_str(o, "</td><td>");
        esc(o, r->source < 0 ? "applicants" : st->job->sources[r->source].name);
        hd_out_str(o, "</td>");
        ledger_cell(o, file, "rows", l->rows);
        ledger_cell(o, file, "rows_ok", l->rows_ok);
        ledger_cell(o, file, "rows_quarantined", l->rows_quarantined);
        if (r->source >= 0) {
            ledger_cell(o, file, "rows_matched", l->rows_matched);
            ledger_cell(o, file, "rows_unmatched", l->rows_unmatched);
        } else {
            hd_out_str(o, "<td class=\"n\">\xE2\x80\x94</td><td class=\"n\">\xE2\x80\x94</td>");
        }
        ledger_cell(o, file, "header_lines", l->header_lines);
        ledger_cell(o, file, "skipped_lines", l->skipped_lines);
        ledger_cell(o, file, "blank_lines", l->blank_lines);
        ledger_cell(o, file, "trailer_lines", l->trailer_lines);
        hd_out_str(o, "<td data-file=\"");
        esc(o, file);
        hd_out_str(o, "\" data-k=\"damage\"");
        if (r->damage == HD_R_NONE) hd_out_str(o, ">\xE2\x80\x94");
        else { hd_out_str(o, " class=\"v v-INELIGIBLE\">"); esc(o, hd_reason_name(r->damage)); }
        hd_out_str(o, "</td><td class=\"mono\">");
        int first = 1;
        for (int k = 0; k < HD_R__COUNT; k++) {
            if (!l->by_reason[k]) continue;
            hd_out_str(o, first ? "<span title=\"" : "; <span title=\"");
            esc(o, hd_reason_label((hd_reason)k, HD_LANG_ZH));
            hd_out_printf(o, "\">%s</span>&nbsp;%" PRIu64, hd_reason_name((hd_reason)k), l->by_reason[k]);
            first = 0;
        }
        hd_out_str(o, "</td></tr>\n");
        int k = r->source >= 0;
        tf[k]++;
        t[k][0] += l->rows; t[k][1] += l->rows_ok; t[k][2] += l->rows_quarantined;
        t[k][3] += l->rows_matched; t[k][4] += l->rows_unmatched;
    }
    /* two totals, as summary.json's: applicant rows and extract rows are
     * not added together (SPEC §8) */
    hd_out_printf(o, "</tbody>\n<tfoot><tr><th>applicants total (<span id=\"total-applicants-files\">%u</span> files)</th><th></th>"
                  "<th class=\"n\" id=\"total-applicants-rows\">%" PRIu64 "</th><th class=\"n\" id=\"total-applicants-rows_ok\">%" PRIu64 "</th>"
                  "<th class=\"n\" id=\"total-applicants-rows_quarantined\">%" PRIu64 "</th>"
                  "<th class=\"n\">\xE2\x80\x94</th><th class=\"n\">\xE2\x80\x94</th><th colspan=\"6\"></th></tr>\n",
                  tf[0], t[0][0], t[0][1], t[0][2]);
    hd_out_printf(o, "<tr><th>extracts total (<span id=\"total-extracts-files\">%u</span> files)</th><th></th>"
                  "<th class=\"n\" id=\"total-extracts-rows\">%" PRIu64 "</th><th class=\"n\" id=\"total-extracts-rows_ok\">%" PRIu64 "</th>"
                  "<th class=\"n\" id=\"total-extracts-rows_quarantined\">%" PRIu64 "</th><th class=\"n\" id=\"total-extracts-rows_matched\">%" PRIu64
                  "</th><th class=\"n\" id=\"total-extracts-rows_unmatched\">%" PRIu64 "</th><th colspan=\"6\"></th></tr></tfoot>\n</table></div>\n",
                  tf[1], t[1][0], t[1][1], t[1][2], t[1][3], t[1][4]);
}

static void sources_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    int ns = st->job->nsources;
    hd_out_str(o, "<p class=\"note\">Match rate = matched rows / usable "
                  "(ok) rows of the source's files. Most rows of a full extract belong to people who did not apply, so a low "
                  "rate is normal; a rate of zero for a source that usually matches deserves a look (ID column, format).</p>\n");
    const unsigned lw = 160, bw = 560, rh = 20;
    svg_open(o, lw + bw + 90, (unsigned)ns * rh + 4, "match rate per source");
    uint64_t (*v)[4] = calloc((size_t)ns + 1, sizeof *v);  /* rows, ok, matched, files */
    if (!v) { hd_out_str(o, "</svg><p>out of memory</p>\n"); return; }
    for (int s = 0; s < ns; s++) {
        const hd_source_state *ss = &st->src[s];
        for (int f = 0; f < ss->nfiles; f++) {
            const hd_ledger *l = &st->results[ss->first_result + (uint32_t)f].ledger;
            v[s][0] += l->rows; v[s][1] += l->rows_ok; v[s][2] += l->rows_matched;
        }
        v[s][3] = (uint64_t)ss->nfiles;
        unsigned y = (unsigned)s * rh + 2;
        char pct[32];
        percent(pct, sizeof pct, v[s][2], v[s][1]);
        hd_out_printf(o, "<text x=\"0\" y=\"%u\">", y + 13);
        esc(o, st->job->sources[s].name);
        hd_out_printf(o, "</text><rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"#e3e8ed\"/>", lw, y + 3, bw, rh - 6);
        unsigned w = bar(v[s][2], v[s][1], bw);
        if (v[s][2] && w < 2) w = 2;
        rect(o, lw, y + 3, w, rh - 6, C_MATCH, "matched rows", v[s][2]);
        hd_out_printf(o, "<text x=\"%u\" y=\"%u\">%s</text>\n", lw + bw + 6, y + 13, pct);
    }
    hd_out_str(o, "</svg>\n<table id=\"source-table\">\n<thead><tr><th>source</th><th>kind</th><th class=\"n\">files</th>"
                  "<th class=\"n\">rows</th><th class=\"n\">ok</th><th class=\"n\">matched</th><th class=\"n\">match rate</th>"
                  "<th>damage</th></tr></thead>\n<tbody>\n");
    static const char *const k[4] = { "rows", "rows_ok", "rows_matched", "files" };
    static const int col[4] = { 3, 0, 1, 2 };
    for (int s = 0; s < ns; s++) {
        const char *name = st->job->sources[s].name;
        const hd_source_state *ss = &st->src[s];
        hd_out_str(o, "<tr><td>");
        esc(o, name);
        hd_out_str(o, "</td><td>");
        esc(o, hd_kind_label_zh(ss->desc->kind));
        hd_out_str(o, " <span class=\"mono\">");
        esc(o, hd_kind_name(ss->desc->kind));
        hd_out_str(o, "</span></td>");
        for (int i = 0; i < 4; i++) {
            hd_out_str(o, "<td class=\"n\" data-source=\"");
            esc(o, name);
            hd_out_printf(o, "\" data-k=\"%s\">%" PRIu64 "</td>", k[col[i]], v[s][col[i]]);
        }
        char pct[32];
        percent(pct, sizeof pct, v[s][2], v[s][1]);
        hd_out_str(o, "<td class=\"n\" data-source=\"");
        esc(o, name);
        hd_out_printf(o, "\" data-k=\"match_rate\">%s</td><td>", pct);
        if (ss->damage == HD_R_NONE) hd_out_str(o, "\xE2\x80\x94");
        else { hd_out_str(o, "<b class=\"v-INELIGIBLE\">"); esc(o, hd_reason_name(ss->damage)); hd_out_str(o, "</b>"); }
        hd_out_str(o, "</td></tr>\n");
    }
    hd_out_str(o, "</tbody>\n</table>\n");
    free(v);
}

static void flagged_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    const hd_model *m = st->m;
    uint64_t flagged = pg->flagged;
    hd_out_printf(o, "<p class=\"note\"><span id=\"flagged-total\">%"
                  PRIu64 "</span> households, by county then submission order. The token is the household token of "
                  "<code>audit/households.jsonl</code> (HMAC of county and application id; auditor guide, Tokens); the "
                  "evidence per member is in <code>%s</code>.</p>\n", flagged,
                  st->job->matches_zstd ? "audit/matches.jsonl.zst" : "audit/matches.jsonl");
    hd_out_str(o, "<div id=\"filter\" hidden><label>Filter <input id=\"flt\" type=\"search\" placeholder=\"token, \xE5\x8C\xBA\xE5\x8E\xBF county, \xE5\x8E\x9F\xE5\x9B\xA0 reason\" "
                  "size=\"32\"></label><label>verdict <select id=\"fltv\"><option value=\"\">all</option>"
                  "<option value=\"REVIEW\">\xE9\x9C\x80\xE4\xBA\xBA\xE5\xB7\xA5\xE5\xA4\x8D\xE6\xA0\xB8 REVIEW</option>"
                  "<option value=\"INELIGIBLE\">\xE4\xB8\x8D\xE7\xAC\xA6\xE5\x90\x88 INELIGIBLE</option></select></label>"
                  "shown: <b id=\"flagged-shown\"></b></div>\n");
    hd_out_str(o, "<table id=\"flagged-table\">\n<thead><tr><th>\xE5\xAE\xB6\xE5\xBA\xAD\xE4\xBB\xA3\xE5\x8F\xB7 household token</th>"
                  "<th>\xE5\x8C\xBA\xE5\x8E\xBF county</th><th>\xE7\xBB\x93\xE8\xAE\xBA verdict</th>"
                  "<th>\xE5\x8E\x9F\xE5\x9B\xA0 reasons</th></tr></thead>\n<tbody>\n");
    for (uint32_t p = 0; p < m->nhouseholds; p++) {
        uint32_t h = st->order[p];
        const hd_judged *j = &st->judgements.kept[h];
        if (j->verdict == HD_V_ELIGIBLE) continue;
        char tok[65];
        hd_household_token_hex(&m->households[h], tok);
        hd_out_printf(o, "<tr data-verdict=\"%s\"><td class=\"tok\" data-hh=\"%s\">%s</td><td>",
                      hd_verdict_name(j->verdict), tok, tok);
        county_label(o, m->households[h].county_code);
        hd_out_str(o, "</td><td>");
        verdict_span(o, j->verdict);
        hd_out_str(o, "</td><td>");
        reasons_cell(o, j->findings);
        hd_out_str(o, "</td></tr>\n");
    }
    hd_out_str(o, "</tbody>\n</table>\n");
}

static void findings_list(hd_out *o, uint32_t bits) { findings_spans(o, bits, 0); }

static void changes_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    const hd_model *m = st->m;
    uint64_t verdict_changed = 0, income = 0, assets = 0;
    for (uint32_t i = 0; i < st->nchanges; i++) {
        const hd_change *c = &st->changes[i];
        if (c->verdict_before != (uint8_t)st->judgements.kept[c->household].verdict) verdict_changed++;
        income += c->income_changed;
        assets += c->assets_changed;
    }
    hd_out_printf(o, "<p class=\"note\">Households present in both runs "
                  "with at least one change (\xE9\x87\x8D\xE5\xA4\xA7\xE5\x8F\x98\xE5\x8C\x96): <b id=\"changes-count\">%u</b>; "
                  "verdict changed: <b id=\"changes-verdict\">%" PRIu64 "</b>; income change above the policy threshold: "
                  "<b id=\"changes-income\">%" PRIu64 "</b>; assets change above the threshold: <b id=\"changes-assets\">%" PRIu64
                  "</b>. Money in yuan per month (income) and yuan (assets).</p>\n",
                  st->nchanges, verdict_changed, income, assets);
    if (!st->nchanges) return;
    hd_out_str(o, "<div class=\"wide\"><table id=\"changes-table\">\n<thead><tr><th>household token</th><th>county</th><th>verdict before</th>"
                  "<th>verdict now</th><th>new reasons</th><th>reasons gone</th><th class=\"n\">income before</th>"
                  "<th class=\"n\">income now</th><th class=\"n\">assets before</th><th class=\"n\">assets now</th></tr></thead>\n<tbody>\n");
    for (uint32_t i = 0; i < st->nchanges; i++) {
        const hd_change *c = &st->changes[i];
        const hd_household *hh = &m->households[c->household];
        char a[4][48];
        hd_report_yuan(c->income_before, a[0], sizeof a[0]);
        hd_report_yuan(c->income_after, a[1], sizeof a[1]);
        hd_report_yuan(c->assets_before, a[2], sizeof a[2]);
        hd_report_yuan(c->assets_after, a[3], sizeof a[3]);
        char tok[65];
        hd_household_token_hex(hh, tok);
        hd_out_printf(o, "<tr><td class=\"tok\" data-hh=\"%s\">%s</td><td>", tok, tok);
        county_label(o, hh->county_code);
        hd_out_str(o, "</td><td>");
        verdict_span(o, c->verdict_before <= HD_V_INELIGIBLE ? (hd_verdict)c->verdict_before : HD_V_REVIEW);
        hd_out_str(o, "</td><td>");
        verdict_span(o, st->judgements.kept[c->household].verdict);
        hd_out_str(o, "</td><td>");
        findings_list(o, c->appeared);
        hd_out_str(o, "</td><td>");
        findings_list(o, c->gone);
        hd_out_printf(o, "</td><td class=\"n\">%s</td><td class=\"n%s\">%s</td><td class=\"n\">%s</td><td class=\"n%s\">%s</td></tr>\n",
                      a[0], c->income_changed ? " v" : "", a[1], a[2], c->assets_changed ? " v" : "", a[3]);
    }
    hd_out_str(o, "</tbody>\n</table></div>\n");
}

/* SPEC §10: populations, the re-check list and the discovery list, counted
 * per county (the lists themselves are the county's: recheck.csv and
 * discovery.csv carry application ids, which this page does not). */
static void lists_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    hd_list_counts all;
    hd_list_counts_of(st, UINT32_MAX, &all);
    hd_out_printf(o, "<p class=\"note\">Households per population: "
                  "applicants <b id=\"pop-applicant\">%" PRIu64 "</b>, recipients <b id=\"pop-recipient\">%" PRIu64
                  "</b>, monitored <b id=\"pop-monitored\">%" PRIu64 "</b>; applications judged in an earlier population: "
                  "<b id=\"pop-superseded\">%" PRIu64 "</b>. Re-check: <b id=\"recheck-households\">%" PRIu64
                  "</b> recipient households not ELIGIBLE (%" PRIu64 " reasons, %" PRIu64 " new, %" PRIu64 " known). "
                  "Discovery: <b id=\"discovery-households\">%" PRIu64 "</b> households (",
                  all.households[0], all.households[1], all.households[2],
                  st->tally.superseded[1] + st->tally.superseded[2], all.recheck_households, all.recheck_rows,
                  all.recheck_new, all.recheck_known, all.discovery_households);
    for (int t = 0; t < HD_TRIG__COUNT; t++)
        hd_out_printf(o, "%s%s %" PRIu64, t ? ", " : "", hd_trigger_name(t), all.triggers[t]);
    hd_out_printf(o, ")%s. The lists are in each county's <code>recheck.csv</code> and <code>discovery.csv</code>.</p>\n",
                  st->lists_changes ? "" : "; no major change was looked for (no previous run)");
    hd_out_str(o, "<div class=\"wide\"><table id=\"lists-table\">\n<thead><tr><th>county</th><th class=\"n\">applicants</th>"
                  "<th class=\"n\">recipients</th><th class=\"n\">monitored</th><th class=\"n\">re-check</th>");
    for (int t = 0; t < HD_TRIG__COUNT; t++) hd_out_printf(o, "<th class=\"n\">%s</th>", hd_trigger_name(t));
    hd_out_str(o, "</tr></thead>\n<tbody>\n");
    for (uint32_t c = 0; c < st->ncounties; c++) {
        hd_list_counts k;
        hd_list_counts_of(st, c, &k);
        hd_out_str(o, "<tr><td class=\"mono\">");
        esc(o, st->counties[c]);
        hd_out_printf(o, "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64 "</td><td class=\"n\">%" PRIu64
                      "</td><td class=\"n\">%" PRIu64 "</td>", k.households[0], k.households[1], k.households[2],
                      k.recheck_households);
        for (int t = 0; t < HD_TRIG__COUNT; t++) hd_out_printf(o, "<td class=\"n\">%" PRIu64 "</td>", k.triggers[t]);
        hd_out_str(o, "</tr>\n");
    }
    hd_out_str(o, "</tbody>\n</table></div>\n");
}

/* The filter: shows the form (hidden without script) and hides the rows
 * that do not match. Nothing else depends on it. */
static const char *const script =
    "<script>\n(function(){\n"
    "var box=document.getElementById('filter'),q=document.getElementById('flt'),sel=document.getElementById('fltv'),\n"
    "shown=document.getElementById('flagged-shown'),rows=document.querySelectorAll('#flagged-table tbody tr');\n"
    "function apply(){var t=q.value.trim().toLowerCase(),v=sel.value,k=0;\n"
    "for(var i=0;i<rows.length;i++){var r=rows[i],ok=(!v||r.getAttribute('data-verdict')===v)&&\n"
    "(!t||r.textContent.toLowerCase().indexOf(t)>=0);r.hidden=!ok;if(ok)k++;}\n"
    "shown.textContent=String(k);}\n"
    "q.addEventListener('input',apply);sel.addEventListener('change',apply);box.hidden=false;apply();\n"
    "})();\n</script>\n";

/* SPEC §7: every kind of evidence, checked or not (a required kind that is
 * not checked damaged the run: NO_SOURCE). */
static int kind_checked(const hd_results *st, int k)
{
    for (int s = 0; s < st->job->nsources; s++)
        if (st->src[s].desc->kind == (hd_kind)k) return 1;
    return 0;
}

static void kinds_section(hd_out *o, const page *pg)
{
    const hd_results *st = pg->st;
    for (int pass = 1; pass >= 0; pass--) {
        hd_out_str(o, pass ? "<p id=\"kinds\"><b>\xE5\xB7\xB2\xE6\xA0\xB8\xE5\xAF\xB9 Kinds checked:</b>"
                           : "<p id=\"kinds-not\"><b>\xE6\x9C\xAA\xE6\xA0\xB8\xE5\xAF\xB9 Not checked:</b>");
        int any = 0;
        for (int k = HD_KIND_APPLICANTS + 1; k < HD_KIND__COUNT; k++) {
            if (kind_checked(st, k) != pass) continue;
            hd_out_str(o, any++ ? ", " : " ");
            esc(o, hd_kind_label_zh((hd_kind)k));
            hd_out_str(o, " ");
            esc(o, hd_kind_name((hd_kind)k));
            if (!pass && (st->policy->required_kinds & (1u << k))) hd_out_str(o, " (required: NO_SOURCE)");
        }
        hd_out_str(o, any ? ".</p>\n" : " \xE6\x97\xA0 none.</p>\n");
    }
}

/*
 * The page, section by section, in the order an auditor reads: what to
 * review first, then where (counties) and why (reasons), then how complete
 * the inputs were, the full list, and the run's identity. A new section is
 * one row here and one function: the kinds checked (issue 9), and the
 * suppressed and new findings once the findings register exists, go after
 * "reasons". `shown` NULL means always.
 */
typedef struct section {
    const char *id, *title;
    void (*write)(hd_out *o, const page *pg);
    int (*shown)(const page *pg);
} section;

static int have_previous(const page *pg) { return pg->st->have_previous; }
static int have_lists(const page *pg)
{
    return pg->st->npop_files[HD_POP_RECIPIENT] || pg->st->npop_files[HD_POP_MONITORED];
}

static const section sections[] = {
    { "review-first", "\xE4\xBC\x98\xE5\x85\x88\xE6\xA0\xB8\xE6\x9F\xA5\xE7\x9A\x84\xE5\xAE\xB6\xE5\xBA\xAD Households to review first",
      review_first_section, NULL },
    { "counties", "\xE5\x90\x84\xE5\x8C\xBA\xE5\x8E\xBF\xE6\xA0\xB8\xE5\xAF\xB9\xE7\xBB\x93\xE8\xAE\xBA Verdicts per county",
      counties_section, NULL },
    { "reasons", "\xE5\x8E\x9F\xE5\x9B\xA0\xE7\xBB\x9F\xE8\xAE\xA1 Reason frequencies", reasons_section, NULL },
    { "kinds-checked", "\xE6\xA0\xB8\xE5\xAF\xB9\xE7\x9A\x84\xE8\xB5\x84\xE6\x96\x99\xE7\xA7\x8D\xE7\xB1\xBB Kinds of evidence checked",
      kinds_section, NULL },
    { "ledger", "\xE6\x95\xB0\xE6\x8D\xAE\xE8\xA1\x8C\xE5\x8F\xB0\xE8\xB4\xA6 Row ledger per input file", ledger_section, NULL },
    { "sources", "\xE5\x90\x84\xE6\x95\xB0\xE6\x8D\xAE\xE6\xBA\x90\xE5\x8C\xB9\xE9\x85\x8D\xE7\x8E\x87 Match rates per source",
      sources_section, NULL },
    { "flagged", "\xE5\x85\xA8\xE9\x83\xA8\xE9\x9C\x80\xE6\xA0\xB8\xE6\x9F\xA5\xE7\x9A\x84\xE5\xAE\xB6\xE5\xBA\xAD Flagged households "
      "(REVIEW or INELIGIBLE)", flagged_section, NULL },
    { "changes", "\xE9\x87\x8D\xE5\xA4\xA7\xE5\x8F\x98\xE5\x8C\x96 Changes since the previous run", changes_section, have_previous },
    { "lists", "\xE5\xAE\x9A\xE6\x9C\x9F\xE6\xA0\xB8\xE6\x9F\xA5\xE4\xB8\x8E\xE4\xB8\xBB\xE5\x8A\xA8\xE5\x8F\x91\xE7\x8E\xB0 "
      "Re-check and discovery", lists_section, have_lists },
    { "run", "\xE8\xBF\x90\xE8\xA1\x8C\xE4\xBF\xA1\xE6\x81\xAF Run", run_section, NULL },
};
#define NSECTIONS ((int)(sizeof sections / sizeof *sections))

int hd_write_html(const hd_results *st, const char *dir, hd_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/audit", dir);       /* this task may be the first in audit/ */
    if (hd_mkdirs(path, 0700) != 0) return hd_fail(err, HD_EIO, "%s: cannot create: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/audit/report.html", dir);
    hd_out *o;
    int rc = hd_out_open(&o, path, err);
    if (rc) return rc;
    const hd_model *m = st->m;
    page pg = { .st = st };
    for (uint32_t h = 0; h < m->nhouseholds; h++) pg.verdicts[st->judgements.kept[h].verdict]++;
    pg.flagged = pg.verdicts[HD_V_REVIEW] + pg.verdicts[HD_V_INELIGIBLE];
    header(o, &pg);
    hd_out_str(o, "<p class=\"note\">\xE7\x9B\xAE\xE5\xBD\x95 Contents:");
    for (int i = 0, first = 1; i < NSECTIONS; i++) {
        if (sections[i].shown && !sections[i].shown(&pg)) continue;
        hd_out_printf(o, "%s<a href=\"#%s\">", first ? " " : " \xC2\xB7 ", sections[i].id);
        esc(o, sections[i].title);
        hd_out_str(o, "</a>");
        first = 0;
    }
    hd_out_str(o, "</p>\n");
    for (int i = 0; i < NSECTIONS; i++) {
        if (sections[i].shown && !sections[i].shown(&pg)) continue;
        hd_out_printf(o, "<h2 id=\"%s\">", sections[i].id);
        esc(o, sections[i].title);
        hd_out_str(o, "</h2>\n");
        sections[i].write(o, &pg);
    }
    hd_out_str(o, "<footer>Written by hedui " HD_ENGINE_VERSION " for run <span class=\"mono\">");
    esc(o, st->input_digest);
    hd_out_str(o, "</span>. Self-contained: no network, fonts, images or scripts from elsewhere.</footer>\n</main>\n");
    hd_out_str(o, script);
    hd_out_str(o, "</body>\n</html>\n");
    return hd_out_close(o, err);
}
