/*
 * xlsx.c — county/<code>/results.xlsx, one workbook per county for the
 * county office (issue 5): sheet 户 (the households of households.csv,
 * money in yuan), sheet 成员 (the members of members.csv, evidence
 * included), and sheet 变化 (the change report) when the job names a
 * previous run.
 *
 * Same values as the CSV files, nothing more: the workbook carries no
 * personal data the county CSVs do not already hold. Money is written as
 * a number of yuan (fen / 100, format #,##0.00), area as m² (0.00).
 *
 * Deterministic: the workbook's creation time is the run's as_of (00:00
 * UTC), never the wall clock, so the same inputs give the same bytes for
 * every -j. One workbook per task of the writer pool (reports.c): workbooks
 * of different counties are written at the same time on the run's threads.
 * libxlsxwriter keeps its state in the workbook; the one shared thing is
 * gmtime()'s static result when docProps/core.xml is written, and every
 * workbook of a run converts the same time (as_of), so whichever thread's
 * call a reader sees, the bytes are the same.
 *
 * Written in libxlsxwriter's constant-memory mode: every sheet is written
 * row by row, top to bottom (a row's options before its cells), and a
 * string is written inline in its cell, so the memory a workbook takes does
 * not grow with the county.
 *
 * libxlsxwriter writes the workbook with stdio to a hidden file beside the
 * result (inside the run's private temporary directory, its own temporary
 * files there too); that file is then copied through the one writer
 * (out.h) and removed, so the result gets the same error reporting (ENOSPC,
 * EIO, EFBIG -> HD_EIO naming the file) as every other output.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>
#include <errno.h>
#include <unistd.h>
#include "report/report.h"
#include "report/common.h"
#include "report/out.h"
#include "report/regpart.h"
#include "util/path.h"

#define DISCLAIMER_ZH "本核对结果为推荐意见，仅供社会救助审核确认使用；最终认定以入户调查、民主评议和公示结果为准。"
#define DISCLAIMER_EN "These results are recommendations only, for the review and confirmation of " \
                      "social assistance; the final decision rests on the home visit, the democratic " \
                      "review and the public notice."

/* ---------------------------------------------------------------- workbook */

typedef struct xw {
    lxw_workbook *wb;
    const char *path;
    lxw_error err;                /* the first error of any call */
    lxw_format *title, *code, *text, *wrap, *integer, *money, *area, *note;
    lxw_format *verdict[3];       /* by hd_verdict: green, amber, red */
} xw;

static void chk(xw *x, lxw_error e)
{
    if (e != LXW_NO_ERROR && x->err == LXW_NO_ERROR) x->err = e;
}

/*
 * A sheet is a list of columns. Each has its Chinese title (the row a clerk
 * reads) and the code of the county CSV it holds (row 1, hidden: for
 * machines), a cap on its width, and flags:
 *   C_WRAP     long text, wrapped within the cap;
 *   C_PAGE1    printed on the first A4 page (the columns a clerk needs);
 *              the other clerk columns follow on the next page;
 *   C_MACHINE  a canonical code for machines (the CSV's value): trailing,
 *              grouped and hidden, never printed.
 * Column widths come from the content (CJK characters count two), so an
 * empty column stays narrow and a number never touches its neighbour.
 * A new sheet is a col[] table, a row function and one sheet_begin /
 * sheet_end pair (hd_write_xlsx_county).
 */
enum { C_WRAP = 1, C_PAGE1 = 2, C_MACHINE = 4 };
typedef struct col { const char *zh, *code; double cap; unsigned flags; } col;

#define MAXCOLS 32
typedef struct sheet_t {
    xw *x;
    lxw_worksheet *ws;
    const col *cols;
    int ncols;
    lxw_row_t row;                /* next data row */
    double width[MAXCOLS];        /* widest content so far, in character widths */
} sheet_t;

#define ROW_CODES 0               /* hidden: the CSV's column codes */
#define ROW_TITLES 1              /* the Chinese titles, autofilter, repeated when printed */
#define ROW_DATA 2

/* Display width of UTF-8 text in character widths: ASCII 1.1 (Calibri is a
 * little wider than the width unit), anything else (CJK, full-width
 * punctuation) 2. A cell with line breaks counts its longest line. */
static double text_width(const char *s)
{
    double w = 0, best = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n') { if (w > best) best = w; w = 0; continue; }
        if (*p < 0x80) w += 1.1;
        else if (*p >= 0xC0) w += 2;       /* a lead byte: one character */
    }
    return w > best ? w : best;
}

static void widen(sheet_t *s, int c, double w)
{
    if (c < MAXCOLS && w > s->width[c]) s->width[c] = w;
}

static void put_str(sheet_t *s, int c, const char *v, lxw_format *f)
{
    /* an empty cell stays blank (libxlsxwriter writes "" as a blank cell) */
    chk(s->x, worksheet_write_string(s->ws, s->row, (lxw_col_t)c, v ? v : "", f));
    if (v) widen(s, c, text_width(v));
}

/* Decimal digits of u (at least 1). */
static int ndigits(uint64_t u)
{
    int n = 1;
    for (; u >= 10; u /= 10) n++;
    return n;
}

/* A number held as an integer x of hundredths (decimals 2: fen, 0.01 m²) or
 * of units (decimals 0: a count), written as x / 100 or x: money in fen is
 * far below 2^53, and fen / 100.0 is the double nearest to the decimal yuan
 * amount, which is what the cell shows and a reader gets back. Its shown width
 * is estimated from its digits and format: the length of "%.*f" of |value|,
 * counted from x without printing it (the printf was 1.3 % of the
 * workbooks' instructions); below 10^15 the double x / 100.0 prints as exactly
 * x's digits, beyond that (never a real amount) it is printed. */
static void put_num(sheet_t *s, int c, int64_t x, lxw_format *f, int decimals)
{
    double v = decimals ? (double)x / 100.0 : (double)x;
    chk(s->x, worksheet_write_number(s->ws, s->row, (lxw_col_t)c, v, f));
    int n;
    if (x > -1000000000000000LL && x < 1000000000000000LL) {
        uint64_t a = (uint64_t)(x < 0 ? -x : x);
        n = decimals ? ndigits(a / 100) + 3 : ndigits(a);
    } else {
        char buf[64];
        n = snprintf(buf, sizeof buf, "%.*f", decimals, v < 0 ? -v : v);
    }
    int digits = n - (decimals ? decimals + 1 : 0);
    widen(s, c, 1.1 * (n + (digits - 1) / 3 + (v < 0)) + 1);
}

static void sheet_begin(sheet_t *s, xw *x, lxw_worksheet *ws, const col *cols, int ncols)
{
    memset(s, 0, sizeof *s);
    s->x = x; s->ws = ws; s->cols = cols; s->ncols = ncols < MAXCOLS ? ncols : MAXCOLS;
    s->row = ROW_DATA;
    /* row by row, each row's options before its cells: the workbook is
     * written in constant-memory mode (hd_write_xlsx_county), where a row
     * is flushed once a later one is touched */
    lxw_row_col_options hidden = { .hidden = 1, .level = 0, .collapsed = 0 };
    chk(x, worksheet_set_row_opt(ws, ROW_CODES, LXW_DEF_ROW_HEIGHT, NULL, &hidden));
    for (int c = 0; c < s->ncols; c++)
        chk(x, worksheet_write_string(ws, ROW_CODES, (lxw_col_t)c, cols[c].code, x->code));
    chk(x, worksheet_set_row(ws, ROW_TITLES, 30, NULL));
    for (int c = 0; c < s->ncols; c++) {
        chk(x, worksheet_write_string(ws, ROW_TITLES, (lxw_col_t)c, cols[c].zh, x->title));
        /* the title wraps: half its width, at least its widest half */
        widen(s, c, text_width(cols[c].zh) / 2 + 1.5);
    }
    worksheet_freeze_panes(ws, ROW_DATA, 2);
}

/* A4 landscape: print scale so that the C_PAGE1 columns fill one page
 * width (never below 70 %), the other clerk columns on the following
 * page(s), across before down; machine columns are outside the print area. */
#define A4_LANDSCAPE_CM 29.7
#define MARGIN_IN 0.4
static void print_setup(sheet_t *s, int page1_end, int clerk_end)
{
    xw *x = s->x;
    worksheet_set_landscape(s->ws);
    worksheet_set_paper(s->ws, 9);              /* A4 */
    worksheet_set_margins(s->ws, MARGIN_IN, MARGIN_IN, 0.6, 0.9);
    double px = 0;
    /* a width unit is 7 px in Excel (Calibri 11) and more in
     * LibreOffice (measured: about 9.5 px printed): plan for 10 */
    for (int c = 0; c < page1_end; c++) px += s->width[c] * 10 + 5;
    double avail_px = (A4_LANDSCAPE_CM - 2 * MARGIN_IN * 2.54 - 0.3) / 2.54 * 96;
    int scale = px > avail_px ? (int)(avail_px * 100 / px) : 100;
    if (scale < 70) scale = 70;
    worksheet_set_print_scale(s->ws, (uint16_t)scale);
    worksheet_print_across(s->ws);
    if (page1_end > 0 && page1_end < clerk_end) {
        lxw_col_t breaks[2] = { (lxw_col_t)page1_end, 0 };
        chk(x, worksheet_set_v_pagebreaks(s->ws, breaks));
    }
    if (clerk_end > 0) chk(x, worksheet_print_area(s->ws, ROW_TITLES, 0, s->row > ROW_DATA ? s->row + 2 : ROW_DATA + 2,
                                                   (lxw_col_t)(clerk_end - 1)));
    chk(x, worksheet_repeat_rows(s->ws, ROW_TITLES, ROW_TITLES));
    /* "&&" would be a literal ampersand; the texts hold none */
    chk(x, worksheet_set_footer(s->ws, "&L" DISCLAIMER_ZH "&R第 &P 页，共 &N 页"));
}

/* Widths, hidden machine columns, the autofilter over the titles and the
 * data, the print setup, and the disclaimer one row below the data,
 * outside the filter. */
static void sheet_end(sheet_t *s)
{
    xw *x = s->x;
    int page1_end = 0, clerk_end = 0;
    for (int c = 0; c < s->ncols; c++) {
        const col *k = &s->cols[c];
        double w = s->width[c] + 1;
        if (w > k->cap) w = k->cap;
        if (w < 5) w = 5;
        s->width[c] = w;
        lxw_row_col_options o = { .hidden = (k->flags & C_MACHINE) ? 1 : 0,
                                  .level = (k->flags & C_MACHINE) ? 1 : 0, .collapsed = 0 };
        lxw_format *f = (k->flags & C_WRAP) ? x->wrap : NULL;
        chk(x, worksheet_set_column_opt(s->ws, (lxw_col_t)c, (lxw_col_t)c, w, f, &o));
        if (k->flags & C_PAGE1) page1_end = c + 1;
        if (!(k->flags & C_MACHINE)) clerk_end = c + 1;
    }
    lxw_row_t last = s->row > ROW_DATA ? s->row - 1 : ROW_TITLES;
    chk(x, worksheet_autofilter(s->ws, ROW_TITLES, 0, last, (lxw_col_t)(s->ncols - 1)));
    chk(x, worksheet_write_string(s->ws, s->row + 1, 0, DISCLAIMER_ZH, x->note));
    chk(x, worksheet_write_string(s->ws, s->row + 2, 0, DISCLAIMER_EN, x->note));
    print_setup(s, page1_end, clerk_end);
}

/* -- 户: one row per household */

static const col hh_cols[] = {
    { "区县代码", "county_code", 9, C_PAGE1 },
    { "区县", "county_name", 14, C_PAGE1 },
    { "申请编号", "application_id", 22, C_PAGE1 },
    { "救助类型", "assistance_type_zh", 10, C_PAGE1 },
    { "城乡类别", "area_type_zh", 7, C_PAGE1 },
    { "家庭人数", "members", 6, C_PAGE1 },
    { "推荐核对结论", "verdict_zh", 12, C_PAGE1 },
    { "原因", "reasons_zh", 30, C_PAGE1 | C_WRAP },
    { "家庭月收入（元）", "household_income_yuan", 12, C_PAGE1 },
    { "人均月收入（元）", "income_per_capita_yuan", 12, C_PAGE1 },
    { "适用保障标准（元/月）", "standard_yuan", 12, C_PAGE1 },
    { "家庭金融资产（元）", "assets_yuan", 14, 0 },
    { "人均金融资产（元）", "assets_per_capita_yuan", 14, 0 },
    { "住房套数", "homes", 6, 0 },
    { "住房面积（平方米）", "residential_area_m2", 10, 0 },
    { "机动车辆数", "vehicles", 6, 0 },
    { "企业数", "businesses", 6, 0 },
    { "人群", "population_zh", 6, 0 },
    { "救助类型代码", "assistance_type", 10, C_MACHINE },
    { "城乡类别代码", "area_type", 8, C_MACHINE },
    { "推荐结论代码", "verdict", 12, C_MACHINE },
    { "原因代码", "reasons", 40, C_MACHINE },
    { "人群代码", "population", 10, C_MACHINE },
};
#define NHH ((int)(sizeof hh_cols / sizeof *hh_cols))

static void household_row(sheet_t *s, const hd_results *st, uint32_t h)
{
    xw *x = s->x;
    const hd_household *hh = &st->m->households[h];
    hd_judgement jj, *j = &jj;
    hd_judgements_get(&st->judgements, h, j);
    char codes[1024], zh[2048];
    hd_report_findings_text(j->findings, 0, ";", codes, sizeof codes);
    hd_report_findings_text(j->findings, 1, "；\n", zh, sizeof zh);
    lxw_format *vf = x->verdict[j->verdict <= HD_V_INELIGIBLE ? j->verdict : HD_V_REVIEW];
    const char *county = strlen(hh->county_code) == 6 ? hd_division_name(hh->county_code) : NULL;
    int c = 0;
    put_str(s, c++, hh->county_code, x->text);
    put_str(s, c++, county ? county : "", x->text);
    put_str(s, c++, hh->application_id, x->text);
    put_str(s, c++, hd_field_value_label_zh(HD_KIND_APPLICANTS, HD_F_ASSISTANCE_TYPE, hh->assistance_type), x->text);
    put_str(s, c++, hd_field_value_label_zh(HD_KIND_APPLICANTS, HD_F_AREA_TYPE, hh->area_type), x->text);
    put_num(s, c++, hh->nmembers, x->integer, 0);
    put_str(s, c++, hd_verdict_label_zh(j->verdict), vf);
    put_str(s, c++, zh, x->wrap);
    put_num(s, c++, j->household_income_fen, x->money, 2);
    put_num(s, c++, j->income_per_capita_fen, x->money, 2);
    put_num(s, c++, j->standard_fen, x->money, 2);
    put_num(s, c++, j->assets_fen, x->money, 2);
    put_num(s, c++, j->assets_per_capita_fen, x->money, 2);
    put_num(s, c++, j->homes, x->integer, 0);
    put_num(s, c++, j->residential_area, x->area, 2);
    put_num(s, c++, j->vehicles, x->integer, 0);
    put_num(s, c++, j->businesses, x->integer, 0);
    put_str(s, c++, hd_population_label_zh(hh->population), x->text);
    put_str(s, c++, hd_field_values(HD_KIND_APPLICANTS, HD_F_ASSISTANCE_TYPE)[hh->assistance_type], x->text);
    put_str(s, c++, hd_field_values(HD_KIND_APPLICANTS, HD_F_AREA_TYPE)[hh->area_type], x->text);
    put_str(s, c++, hd_verdict_name(j->verdict), x->text);
    put_str(s, c++, codes, x->text);
    put_str(s, c++, hd_population_name(hh->population), x->text);
    s->row++;
}

/* -- 成员: one row per member row of the submission */

static const col mb_cols[] = {
    { "区县代码", "county_code", 9, C_PAGE1 },
    { "申请编号", "application_id", 22, C_PAGE1 },
    { "成员序号", "member_no", 6, C_PAGE1 },
    { "身份证号码（脱敏）", "id_number_masked", 21, C_PAGE1 },
    { "姓名", "name", 12, C_PAGE1 },
    { "与申请人关系", "relation_zh", 8, C_PAGE1 },
    { "信息行状态", "row_status_zh", 36, C_PAGE1 | C_WRAP },
    { "核查发现", "findings_zh", 24, C_PAGE1 | C_WRAP },
    { "证据", "evidence_zh", 70, C_WRAP },
    { "与申请人关系代码", "relation", 10, C_MACHINE },
    { "信息行状态代码", "row_status", 14, C_MACHINE },
    { "核查发现代码", "findings", 30, C_MACHINE },
    { "证据（代码）", "evidence", 60, C_MACHINE },
};
#define NMB ((int)(sizeof mb_cols / sizeof *mb_cols))

static void member_rows(sheet_t *s, const hd_results *st, uint32_t h)
{
    xw *x = s->x;
    const hd_model *m = st->m;
    const hd_household *hh = &m->households[h];
    for (uint32_t i = 0; i < hh->nmembers; i++) {
        const hd_member *mb = &m->members[hh->first_member + i];
        char masked[19];
        hd_report_id_masked(mb, masked);
        uint32_t bits = hd_report_member_findings(st, h, mb);
        char codes[1024], zh[2048], status[1400];
        hd_report_findings_text(bits, 0, ";", codes, sizeof codes);
        hd_report_findings_text(bits, 1, "；\n", zh, sizeof zh);
        hd_report_row_status_zh(st, mb, status, sizeof status);
        char ev[8192], evzh[12288];
        hd_report_member_evidence(st, mb, ev, sizeof ev);
        hd_report_member_evidence_lang(st, mb, 1, evzh, sizeof evzh);
        int c = 0;
        put_str(s, c++, hh->county_code, x->text);
        put_str(s, c++, hh->application_id, x->text);
        put_str(s, c++, mb->member_no, x->text);
        put_str(s, c++, masked, x->text);
        put_str(s, c++, mb->name, x->text);
        put_str(s, c++, hd_report_relation(mb, 1), x->text);
        put_str(s, c++, status, mb->rejected == HD_R_NONE ? x->wrap : x->verdict[HD_V_REVIEW]);
        put_str(s, c++, zh, x->wrap);
        put_str(s, c++, evzh, x->wrap);
        put_str(s, c++, hd_report_relation(mb, 0), x->text);
        put_str(s, c++, mb->rejected == HD_R_NONE ? "ok" : hd_reason_name(mb->rejected), x->text);
        put_str(s, c++, codes, x->text);
        put_str(s, c++, ev, x->text);
        s->row++;
    }
}

/* -- 变化: the change report (a previous run named by the job) */

static const col ch_cols[] = {
    { "区县代码", "county_code", 9, C_PAGE1 },
    { "申请编号", "application_id", 22, C_PAGE1 },
    { "上次推荐结论", "verdict_before_zh", 12, C_PAGE1 },
    { "本次推荐结论", "verdict_after_zh", 12, C_PAGE1 },
    { "新出现的发现", "findings_appeared_zh", 28, C_PAGE1 | C_WRAP },
    { "已消失的发现", "findings_gone_zh", 28, C_PAGE1 | C_WRAP },
    { "上次家庭月收入（元）", "income_before_yuan", 12, C_PAGE1 },
    { "本次家庭月收入（元）", "income_after_yuan", 12, C_PAGE1 },
    { "收入变化超过阈值", "income_changed", 8, C_PAGE1 },
    { "上次金融资产（元）", "assets_before_yuan", 14, 0 },
    { "本次金融资产（元）", "assets_after_yuan", 14, 0 },
    { "资产变化超过阈值", "assets_changed", 8, 0 },
};
#define NCH ((int)(sizeof ch_cols / sizeof *ch_cols))

static void change_row(sheet_t *s, const hd_results *st, const hd_change *ch)
{
    xw *x = s->x;
    const hd_household *hh = &st->m->households[ch->household];
    const hd_judged *j = &st->judgements.kept[ch->household];
    char app[2048], gone[2048];
    hd_report_findings_text(ch->appeared, 1, "；\n", app, sizeof app);
    hd_report_findings_text(ch->gone, 1, "；\n", gone, sizeof gone);
    hd_verdict vb = ch->verdict_before <= HD_V_INELIGIBLE ? (hd_verdict)ch->verdict_before : HD_V_REVIEW;
    int c = 0;
    put_str(s, c++, hh->county_code, x->text);
    put_str(s, c++, hh->application_id, x->text);
    put_str(s, c++, hd_verdict_label_zh(vb), x->verdict[vb]);
    put_str(s, c++, hd_verdict_label_zh(j->verdict), x->verdict[j->verdict <= HD_V_INELIGIBLE ? j->verdict : HD_V_REVIEW]);
    put_str(s, c++, app, x->wrap);
    put_str(s, c++, gone, x->wrap);
    put_num(s, c++, ch->income_before, x->money, 2);
    put_num(s, c++, ch->income_after, x->money, 2);
    put_str(s, c++, ch->income_changed ? "是" : "否", x->text);
    put_num(s, c++, ch->assets_before, x->money, 2);
    put_num(s, c++, ch->assets_after, x->money, 2);
    put_str(s, c++, ch->assets_changed ? "是" : "否", x->text);
    s->row++;
}

static lxw_format *fmt(xw *x)
{
    lxw_format *f = workbook_add_format(x->wb);
    if (!f && x->err == LXW_NO_ERROR) x->err = LXW_ERROR_MEMORY_MALLOC_FAILED;
    return f;
}

static void formats(xw *x)
{
    static const uint32_t fill[3] = { 0xC6EFCE, 0xFFEB9C, 0xFFC7CE };    /* green, amber, red */
    static const uint32_t ink[3] = { 0x006100, 0x9C5700, 0x9C0006 };
    if ((x->title = fmt(x))) {
        format_set_bold(x->title);
        format_set_text_wrap(x->title);
        format_set_align(x->title, LXW_ALIGN_VERTICAL_CENTER);
        format_set_bg_color(x->title, 0xD9E1F2);
        format_set_border(x->title, LXW_BORDER_THIN);
    }
    if ((x->code = fmt(x))) {
        format_set_font_color(x->code, 0x595959);
        format_set_font_size(x->code, 9);
        format_set_bg_color(x->code, 0xEDEDED);
        format_set_border(x->code, LXW_BORDER_THIN);
    }
    if ((x->text = fmt(x))) format_set_num_format(x->text, "@");
    if ((x->wrap = fmt(x))) {
        format_set_num_format(x->wrap, "@");
        format_set_text_wrap(x->wrap);
        format_set_align(x->wrap, LXW_ALIGN_VERTICAL_TOP);
    }
    /* centred: a count never runs into the text of the next cell */
    if ((x->integer = fmt(x))) { format_set_num_format(x->integer, "0"); format_set_align(x->integer, LXW_ALIGN_CENTER); }
    if ((x->money = fmt(x))) format_set_num_format(x->money, "#,##0.00");
    if ((x->area = fmt(x))) format_set_num_format(x->area, "0.00");
    if ((x->note = fmt(x))) format_set_italic(x->note);
    for (int v = 0; v < 3; v++)
        if ((x->verdict[v] = fmt(x))) {
            format_set_bg_color(x->verdict[v], fill[v]);
            format_set_font_color(x->verdict[v], ink[v]);
            format_set_bold(x->verdict[v]);
            format_set_text_wrap(x->verdict[v]);
            format_set_align(x->verdict[v], LXW_ALIGN_VERTICAL_TOP);
        }
}

static lxw_worksheet *sheet(xw *x, const char *name)
{
    lxw_worksheet *ws = workbook_add_worksheet(x->wb, name);
    if (!ws && x->err == LXW_NO_ERROR) x->err = LXW_ERROR_MEMORY_MALLOC_FAILED;
    return ws;
}

/* Copies the finished workbook from tmp to path through the one writer. */
static int copy_out(const char *tmp, const char *path, hd_error *err)
{
    FILE *f = fopen(tmp, "rb");
    if (!f) return hd_fail(err, HD_EIO, "%s: cannot read the workbook back: %s", path, strerror(errno));
    hd_out *o;
    int rc = hd_out_open(&o, path, err);
    if (rc) { fclose(f); return rc; }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) hd_out_write(o, buf, n);
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        hd_out_abort(o);
        return hd_fail(err, HD_EIO, "%s: cannot read the workbook back: %s", path, strerror(e));
    }
    fclose(f);
    return hd_out_close(o, err);
}

/* -- 复核名单 and 主动发现 (SPEC §10): the rows of recheck.csv and
 * discovery.csv of the county */

static const col rc_cols[] = {
    { "区县代码", "county_code", 9, C_PAGE1 },
    { "申请编号", "application_id", 22, C_PAGE1 },
    { "原因", "code_zh", 24, C_PAGE1 | C_WRAP },
    { "新发现/已知", "status_zh", 8, C_PAGE1 },
    { "首次发现日期", "first_seen", 11, C_PAGE1 },
    { "原因代码", "code", 26, C_MACHINE },
    { "状态代码", "status", 8, C_MACHINE },
};
#define NRC ((int)(sizeof rc_cols / sizeof *rc_cols))

static const col dc_cols[] = {
    { "区县代码", "county_code", 9, C_PAGE1 },
    { "申请编号", "application_id", 22, C_PAGE1 },
    { "人群", "population_zh", 6, C_PAGE1 },
    { "触发条件", "trigger_zh", 16, C_PAGE1 },
    { "人均月收入（元）", "income_per_capita_yuan", 12, C_PAGE1 },
    { "人群代码", "population", 10, C_MACHINE },
    { "触发条件代码", "trigger", 20, C_MACHINE },
};
#define NDC ((int)(sizeof dc_cols / sizeof *dc_cols))

static void list_sheets(xw *x, lxw_worksheet *rs, lxw_worksheet *ds, const hd_results *st, uint32_t c)
{
    if (rs) {
        sheet_t s;
        sheet_begin(&s, x, rs, rc_cols, NRC);
        for (uint32_t i = st->recheck_first[c]; i < st->recheck_first[c + 1]; i++) {
            const hd_recheck_row *row = &st->recheck[i];
            const hd_household *hh = &st->m->households[row->household];
            char d[11];
            hd_date_format(row->first_seen, d);
            int k = 0;
            put_str(&s, k++, hh->county_code, x->text);
            put_str(&s, k++, hh->application_id, x->text);
            put_str(&s, k++, hd_finding_label_zh((hd_finding)row->finding), x->wrap);
            put_str(&s, k++, row->known ? "已知" : "新发现", x->text);
            put_str(&s, k++, d, x->text);
            put_str(&s, k++, hd_finding_name((hd_finding)row->finding), x->text);
            put_str(&s, k++, row->known ? "known" : "new", x->text);
            s.row++;
        }
        sheet_end(&s);
    }
    if (ds) {
        sheet_t s;
        sheet_begin(&s, x, ds, dc_cols, NDC);
        for (uint32_t i = st->discovery_first[c]; i < st->discovery_first[c + 1]; i++) {
            const hd_discovery_row *row = &st->discovery[i];
            const hd_household *hh = &st->m->households[row->household];
            int k = 0;
            put_str(&s, k++, hh->county_code, x->text);
            put_str(&s, k++, hh->application_id, x->text);
            put_str(&s, k++, hd_population_label_zh(hh->population), x->text);
            put_str(&s, k++, hd_trigger_label_zh(row->trigger), x->text);
            put_num(&s, k++, row->income_pc, x->money, 2);
            put_str(&s, k++, hd_population_name(hh->population), x->text);
            put_str(&s, k++, hd_trigger_name(row->trigger), x->text);
            s.row++;
        }
        sheet_end(&s);
    }
}

/* ---------------------------------------------------------------- 核查结果
 * The register's findings of the county (SPEC §9): the rows and columns of
 * county/<code>/findings.csv (engine/register/findings.c gives both), so a
 * clerk can fill outcome, note and until in the workbook as in the CSV. */

static const col fd_cols[] = {
    { "线索编号", "finding_id", 36, C_PAGE1 }, { "申请编号", "application_id", 22, C_PAGE1 },
    { "成员序号", "member_no", 6, C_PAGE1 }, { "原因代码", "code", 26, 0 }, { "原因", "code_zh", 24, C_PAGE1 | C_WRAP },
    { "数据来源", "source", 12, C_PAGE1 }, { "证据", "evidence", 60, C_PAGE1 | C_WRAP },
    { "证据强度", "strength", 10, C_PAGE1 }, { "核查结果", "outcome", 14, C_PAGE1 }, { "备注", "note", 24, C_PAGE1 },
    { "截止日期", "until", 12, C_PAGE1 }, { "状态", "status", 12, 0 }, { "状态说明", "status_detail", 36, C_WRAP },
};
#define NFD ((int)(sizeof fd_cols / sizeof *fd_cols))

static void findings_row_xlsx(void *user, uint32_t row, const char *const cells[13])
{
    sheet_t *s = user;
    (void)row;
    for (int k = 0; k < NFD; k++) put_str(s, k, cells[k], (fd_cols[k].flags & C_WRAP) ? s->x->wrap : s->x->text);
    s->row++;
}

static void findings_sheet(xw *x, const hd_results *st, uint32_t c)
{
    lxw_worksheet *ws = sheet(x, "核查结果");
    if (!ws || x->err != LXW_NO_ERROR) return;
    sheet_t s;
    sheet_begin(&s, x, ws, fd_cols, NFD);
    hd_reg_county_rows(st, c, findings_row_xlsx, &s);
    sheet_end(&s);
}

/* Whether every row written so far reached the sheets' temporary files
 * (constant-memory mode): libxlsxwriter does not check those writes, and
 * its FILE keeps the error (ferror), so a disk that was full for a moment
 * cannot leave a sheet with rows missing. Called before workbook_close.
 * @return 0; the errno of the failed flush; -1 for an earlier failed write. */
static int rows_written(lxw_workbook *wb)
{
    lxw_worksheet *ws;
    LXW_FOREACH_WORKSHEET(ws, wb) {
        if (!ws->optimize_tmpfile) continue;
        errno = 0;
        if (fflush(ws->optimize_tmpfile) != 0) return errno ? errno : -1;
        if (ferror(ws->optimize_tmpfile)) return -1;
    }
    return 0;
}

int hd_write_xlsx_county(const hd_results *st, const char *dir, uint32_t c, hd_error *err)
{
    const char *code = st->counties[c];
    char path[4400], tmp[4400], tmpdir[4400];
    snprintf(path, sizeof path, "%s/county/%s/results.xlsx", dir, hd_report_county_dir(code));
    snprintf(tmp, sizeof tmp, "%s/county/%s/.results.xlsx.tmp", dir, hd_report_county_dir(code));
    snprintf(tmpdir, sizeof tmpdir, "%s/county/%s", dir, hd_report_county_dir(code));
    /* the county's directory: this task may run before its CSV files' */
    if (hd_mkdirs(tmpdir, 0700) != 0) return hd_fail(err, HD_EIO, "%s: cannot create: %s", tmpdir, strerror(errno));
    snprintf(tmpdir, sizeof tmpdir, "%s", dir);
    xw x;
    memset(&x, 0, sizeof x);
    x.path = path;
    /* constant memory: each row goes to a temporary file (in tmpdir) once
     * the next is begun, and strings are written inline, so a workbook holds
     * one row of a sheet in memory, not every cell and a table of every
     * distinct string (docs/decisions.md, "results.xlsx in constant memory") */
    lxw_workbook_options opt = { .constant_memory = LXW_TRUE, .tmpdir = tmpdir, .use_zip64 = LXW_FALSE };
    x.wb = workbook_new_opt(tmp, &opt);
    if (!x.wb) return hd_fail(err, HD_EIO, "%s: cannot create the workbook", path);

    /* fixed creation time: as_of at 00:00 UTC (no wall clock in outputs) */
    int y, mo, d;
    hd_date_to_ymd(st->job->as_of, &y, &mo, &d);
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d };
    char subject[64];
    snprintf(subject, sizeof subject, "%s", code);
    lxw_doc_properties props = {
        .title = "居民家庭经济状况核对结果",
        .subject = subject,
        .author = "hedui " HD_ENGINE_VERSION,
        .company = "",
        .comments = DISCLAIMER_ZH,
        .created = timegm(&tm),
    };
    chk(&x, workbook_set_properties(x.wb, &props));
    formats(&x);

    lxw_worksheet *hs = sheet(&x, "户");
    lxw_worksheet *ms = sheet(&x, "成员");
    lxw_worksheet *cs = st->have_previous ? sheet(&x, "变化") : NULL;
    lxw_worksheet *rs = st->npop_files[HD_POP_RECIPIENT] ? sheet(&x, "复核名单") : NULL;
    lxw_worksheet *ds = st->npop_files[HD_POP_RECIPIENT] || st->npop_files[HD_POP_MONITORED]
                        ? sheet(&x, "主动发现") : NULL;
    if (x.err == LXW_NO_ERROR) {
        sheet_t h, mm;
        sheet_begin(&h, &x, hs, hh_cols, NHH);
        sheet_begin(&mm, &x, ms, mb_cols, NMB);
        for (uint32_t p = st->county_first[c]; p < st->county_first[c + 1]; p++) {
            household_row(&h, st, st->order[p]);
            member_rows(&mm, st, st->order[p]);
        }
        sheet_end(&h);
        sheet_end(&mm);
        if (cs) {
            sheet_t ch;
            sheet_begin(&ch, &x, cs, ch_cols, NCH);
            for (uint32_t i = 0; i < st->nchanges; i++)
                if (!strcmp(st->m->households[st->changes[i].household].county_code, code))
                    change_row(&ch, st, &st->changes[i]);
            sheet_end(&ch);
        }
        list_sheets(&x, rs, ds, st, c);
        if (st->reg && st->reg->first) findings_sheet(&x, st, c);
    }
    int tmp_errno = rows_written(x.wb);
    lxw_error e = workbook_close(x.wb);      /* frees the workbook */
    int rc = HD_OK;
    if (tmp_errno)
        rc = hd_fail(err, HD_EIO, "%s: cannot write the workbook's rows to its temporary file: %s", path,
                     tmp_errno > 0 ? strerror(tmp_errno) : "a write to it failed (was the disk full?)");
    else if (x.err != LXW_NO_ERROR) rc = hd_fail(err, HD_EIO, "%s: %s", path, lxw_strerror(x.err));
    else if (e != LXW_NO_ERROR) rc = hd_fail(err, HD_EIO, "%s: cannot write: %s", path, lxw_strerror(e));
    else rc = copy_out(tmp, path, err);
    unlink(tmp);
    return rc;
}
