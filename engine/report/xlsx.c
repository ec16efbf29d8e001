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
#include "batch/internal.h"
#include "report/common.h"
#include "report/out.h"
#include "register/reg_run.h"
#include "util/path.h"

#define DISCLAIMER_ZH "本核对结果为推荐意见，仅供社会救助审核确认使用；最终认定以入户调查、民主评议和公示结果为准。"
#define DISCLAIMER_EN "These results are recommendations only, for the review and confirmation of " \
                      "social assistance; the final decision rests on the home visit, the democratic " \
                      "review and the public notice."

/* ---------------------------------------------------------------- helpers
 * The CSV writer's helpers (reports.c) are static there; these give the
 * same text for the same record. */

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

static void put_str(xw *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s, lxw_format *f)
{
    /* an empty cell stays blank (libxlsxwriter writes "" as a blank cell) */
    chk(x, worksheet_write_string(ws, r, c, s ? s : "", f));
}

static void put_num(xw *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v, lxw_format *f)
{
    chk(x, worksheet_write_number(ws, r, c, v, f));
}

/* Money in fen -> a number of yuan. Every fen amount of a run is far below
 * 2^53, and fen / 100.0 is the double nearest to the decimal yuan amount,
 * which is what the cell shows and what a reader gets back. */
static double fen_yuan(int64_t fen) { return (double)fen / 100.0; }

typedef struct col { const char *zh, *code; double width; } col;

/* Header rows (row 0 Chinese titles, row 1 English codes), frozen panes,
 * column widths, the print setup with the disclaimer in the footer. */
static void sheet_setup(xw *x, lxw_worksheet *ws, const col *cols, int ncols)
{
    for (int c = 0; c < ncols; c++) {
        put_str(x, ws, 0, (lxw_col_t)c, cols[c].zh, x->title);
        put_str(x, ws, 1, (lxw_col_t)c, cols[c].code, x->code);
        chk(x, worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, cols[c].width, NULL));
    }
    worksheet_freeze_panes(ws, 2, 0);
    worksheet_set_landscape(ws);
    worksheet_set_paper(ws, 9);                 /* A4 */
    worksheet_fit_to_pages(ws, 1, 0);
    chk(x, worksheet_repeat_rows(ws, 0, 1));
    /* "&&" would be a literal ampersand; the texts hold none */
    chk(x, worksheet_set_footer(ws, "&L" DISCLAIMER_ZH "\n" DISCLAIMER_EN "&R&P / &N"));
}

/* Autofilter over the header codes and the data; the disclaimer one row
 * below, outside the filter. */
static void sheet_finish(xw *x, lxw_worksheet *ws, int ncols, lxw_row_t next_row)
{
    lxw_row_t last = next_row > 2 ? next_row - 1 : 1;
    chk(x, worksheet_autofilter(ws, 1, 0, last, (lxw_col_t)(ncols - 1)));
    put_str(x, ws, next_row + 1, 0, DISCLAIMER_ZH, x->note);
    put_str(x, ws, next_row + 2, 0, DISCLAIMER_EN, x->note);
}

static const col hh_cols[] = {
    { "区县代码", "county_code", 10 },
    { "申请编号", "application_id", 22 },
    { "救助类型", "assistance_type", 10 },
    { "城乡类别", "area_type", 9 },
    { "家庭人数", "members", 9 },
    { "推荐结论代码", "verdict", 13 },
    { "推荐核对结论", "verdict_zh", 13 },
    { "原因代码", "reasons", 36 },
    { "原因", "reasons_zh", 44 },
    { "适用保障标准（元/月）", "standard_yuan", 14 },
    { "家庭月收入（元）", "household_income_yuan", 14 },
    { "人均月收入（元）", "income_per_capita_yuan", 14 },
    { "家庭金融资产（元）", "assets_yuan", 16 },
    { "人均金融资产（元）", "assets_per_capita_yuan", 16 },
    { "住房套数", "homes", 8 },
    { "住房面积（平方米）", "residential_area_m2", 12 },
    { "机动车辆数", "vehicles", 9 },
    { "企业数", "businesses", 8 },
};
#define NHH ((int)(sizeof hh_cols / sizeof *hh_cols))

static void household_row(xw *x, lxw_worksheet *ws, lxw_row_t r, const hd_run_state *st, uint32_t h)
{
    const hd_household *hh = &st->m->households[h];
    hd_judgement jj, *j = &jj;
    hd_run_judgement(st, h, j);
    char codes[1024], zh[2048];
    hd_report_findings_text(j->findings, 0, ";", codes, sizeof codes);
    hd_report_findings_text(j->findings, 1, ";", zh, sizeof zh);
    lxw_format *vf = x->verdict[j->verdict <= HD_V_INELIGIBLE ? j->verdict : HD_V_REVIEW];
    lxw_col_t c = 0;
    put_str(x, ws, r, c++, hh->county_code, x->text);
    put_str(x, ws, r, c++, hh->application_id, x->text);
    put_str(x, ws, r, c++, hd_field_values(HD_KIND_APPLICANTS, HD_F_ASSISTANCE_TYPE)[hh->assistance_type], x->text);
    put_str(x, ws, r, c++, hd_field_values(HD_KIND_APPLICANTS, HD_F_AREA_TYPE)[hh->area_type], x->text);
    put_num(x, ws, r, c++, hh->nmembers, x->integer);
    put_str(x, ws, r, c++, hd_verdict_name(j->verdict), vf);
    put_str(x, ws, r, c++, hd_verdict_label_zh(j->verdict), vf);
    put_str(x, ws, r, c++, codes, x->wrap);
    put_str(x, ws, r, c++, zh, x->wrap);
    put_num(x, ws, r, c++, fen_yuan(j->standard_fen), x->money);
    put_num(x, ws, r, c++, fen_yuan(j->household_income_fen), x->money);
    put_num(x, ws, r, c++, fen_yuan(j->income_per_capita_fen), x->money);
    put_num(x, ws, r, c++, fen_yuan(j->assets_fen), x->money);
    put_num(x, ws, r, c++, fen_yuan(j->assets_per_capita_fen), x->money);
    put_num(x, ws, r, c++, j->homes, x->integer);
    put_num(x, ws, r, c++, (double)j->residential_area / 100.0, x->area);
    put_num(x, ws, r, c++, j->vehicles, x->integer);
    put_num(x, ws, r, c++, j->businesses, x->integer);
}

static const col mb_cols[] = {
    { "区县代码", "county_code", 10 },
    { "申请编号", "application_id", 22 },
    { "成员序号", "member_no", 9 },
    { "身份证号码（脱敏）", "id_number_masked", 21 },
    { "姓名", "name", 10 },
    { "与申请人关系", "relation", 12 },
    { "信息行状态", "row_status", 14 },
    { "核查发现", "findings", 30 },
    { "证据", "evidence", 90 },
};
#define NMB ((int)(sizeof mb_cols / sizeof *mb_cols))

static lxw_row_t member_rows(xw *x, lxw_worksheet *ws, lxw_row_t r, const hd_run_state *st, uint32_t h)
{
    const hd_model *m = st->m;
    const hd_household *hh = &m->households[h];
    for (uint32_t i = 0; i < hh->nmembers; i++, r++) {
        const hd_member *mb = &m->members[hh->first_member + i];
        char masked[19] = "";
        if (mb->rejected == HD_R_NONE) hd_id_mask(&mb->id, masked);
        uint32_t bits = hd_report_member_findings(st, h, mb);
        char codes[1024];
        hd_report_findings_text(bits, 0, ";", codes, sizeof codes);
        char ev[8192];
        hd_report_member_evidence(st, mb, ev, sizeof ev);
        lxw_col_t c = 0;
        put_str(x, ws, r, c++, hh->county_code, x->text);
        put_str(x, ws, r, c++, hh->application_id, x->text);
        put_str(x, ws, r, c++, mb->member_no, x->text);
        put_str(x, ws, r, c++, masked, x->text);
        put_str(x, ws, r, c++, mb->name, x->text);
        put_str(x, ws, r, c++, hd_field_values(HD_KIND_APPLICANTS, HD_F_RELATION)[mb->relation], x->text);
        put_str(x, ws, r, c++, mb->rejected == HD_R_NONE ? "ok" : hd_reason_name(mb->rejected), x->text);
        put_str(x, ws, r, c++, codes, x->wrap);
        put_str(x, ws, r, c++, ev, x->wrap);
    }
    return r;
}

static const col ch_cols[] = {
    { "区县代码", "county_code", 10 },
    { "申请编号", "application_id", 22 },
    { "上次推荐结论", "verdict_before_zh", 13 },
    { "本次推荐结论", "verdict_after_zh", 13 },
    { "新出现的发现", "findings_appeared_zh", 40 },
    { "已消失的发现", "findings_gone_zh", 40 },
    { "上次家庭月收入（元）", "income_before_yuan", 15 },
    { "本次家庭月收入（元）", "income_after_yuan", 15 },
    { "收入变化超过阈值", "income_changed", 10 },
    { "上次金融资产（元）", "assets_before_yuan", 15 },
    { "本次金融资产（元）", "assets_after_yuan", 15 },
    { "资产变化超过阈值", "assets_changed", 10 },
};
#define NCH ((int)(sizeof ch_cols / sizeof *ch_cols))

static void change_row(xw *x, lxw_worksheet *ws, lxw_row_t r, const hd_run_state *st, const hd_change *ch)
{
    const hd_household *hh = &st->m->households[ch->household];
    const hd_judged *j = &st->judg[ch->household];
    char app[2048], gone[2048];
    hd_report_findings_text(ch->appeared, 1, ";", app, sizeof app);
    hd_report_findings_text(ch->gone, 1, ";", gone, sizeof gone);
    hd_verdict vb = ch->verdict_before <= HD_V_INELIGIBLE ? (hd_verdict)ch->verdict_before : HD_V_REVIEW;
    lxw_col_t c = 0;
    put_str(x, ws, r, c++, hh->county_code, x->text);
    put_str(x, ws, r, c++, hh->application_id, x->text);
    put_str(x, ws, r, c++, hd_verdict_label_zh(vb), x->verdict[vb]);
    put_str(x, ws, r, c++, hd_verdict_label_zh(j->verdict), x->verdict[j->verdict <= HD_V_INELIGIBLE ? j->verdict : HD_V_REVIEW]);
    put_str(x, ws, r, c++, app, x->wrap);
    put_str(x, ws, r, c++, gone, x->wrap);
    put_num(x, ws, r, c++, fen_yuan(ch->income_before), x->money);
    put_num(x, ws, r, c++, fen_yuan(ch->income_after), x->money);
    put_str(x, ws, r, c++, ch->income_changed ? "是" : "否", x->text);
    put_num(x, ws, r, c++, fen_yuan(ch->assets_before), x->money);
    put_num(x, ws, r, c++, fen_yuan(ch->assets_after), x->money);
    put_str(x, ws, r, c++, ch->assets_changed ? "是" : "否", x->text);
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
    if ((x->wrap = fmt(x))) { format_set_num_format(x->wrap, "@"); format_set_text_wrap(x->wrap); }
    if ((x->integer = fmt(x))) format_set_num_format(x->integer, "0");
    if ((x->money = fmt(x))) format_set_num_format(x->money, "#,##0.00");
    if ((x->area = fmt(x))) format_set_num_format(x->area, "0.00");
    if ((x->note = fmt(x))) format_set_italic(x->note);
    for (int v = 0; v < 3; v++)
        if ((x->verdict[v] = fmt(x))) {
            format_set_bg_color(x->verdict[v], fill[v]);
            format_set_font_color(x->verdict[v], ink[v]);
            format_set_bold(x->verdict[v]);
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

/* ---------------------------------------------------------------- 核查结果
 * The register's findings of the county (SPEC §9): the rows and columns of
 * county/<code>/findings.csv (engine/register/findings.c gives both), so a
 * clerk can fill outcome, note and until in the workbook as in the CSV. */

static const col fd_cols[] = {
    { "线索编号", "finding_id", 36 }, { "申请编号", "application_id", 20 }, { "成员序号", "member_no", 8 },
    { "原因代码", "code", 26 }, { "原因", "code_zh", 24 }, { "数据来源", "source", 12 },
    { "证据", "evidence", 80 }, { "证据强度", "strength", 10 }, { "核查结果", "outcome", 14 },
    { "备注", "note", 24 }, { "截止日期", "until", 12 }, { "状态", "status", 12 }, { "状态说明", "status_detail", 36 },
};
#define NFD ((int)(sizeof fd_cols / sizeof *fd_cols))

struct fd_ctx { xw *x; lxw_worksheet *ws; lxw_row_t next; };

static void findings_row_xlsx(void *user, uint32_t row, const char *const cells[13])
{
    struct fd_ctx *f = user;
    (void)row;
    for (int k = 0; k < NFD; k++)
        put_str(f->x, f->ws, f->next, (lxw_col_t)k, cells[k], k == 6 ? f->x->wrap : f->x->text);
    f->next++;
}

static void findings_sheet(xw *x, const hd_run_state *st, uint32_t c)
{
    lxw_worksheet *ws = sheet(x, "核查结果");
    if (!ws || x->err != LXW_NO_ERROR) return;
    sheet_setup(x, ws, fd_cols, NFD);
    struct fd_ctx f = { x, ws, 2 };
    hd_reg_county_rows(st, c, findings_row_xlsx, &f);
    sheet_finish(x, ws, NFD, f.next);
}

int hd_write_xlsx_county(hd_run_state *st, const char *dir, uint32_t c, hd_error *err)
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
    lxw_workbook_options opt = { .constant_memory = LXW_FALSE, .tmpdir = tmpdir, .use_zip64 = LXW_FALSE };
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
    if (x.err == LXW_NO_ERROR) {
        sheet_setup(&x, hs, hh_cols, NHH);
        sheet_setup(&x, ms, mb_cols, NMB);
        lxw_row_t hr = 2, mr = 2;
        for (uint32_t p = st->county_first[c]; p < st->county_first[c + 1]; p++) {
            household_row(&x, hs, hr++, st, st->order[p]);
            mr = member_rows(&x, ms, mr, st, st->order[p]);
        }
        sheet_finish(&x, hs, NHH, hr);
        sheet_finish(&x, ms, NMB, mr);
        if (cs) {
            sheet_setup(&x, cs, ch_cols, NCH);
            lxw_row_t cr = 2;
            for (uint32_t i = 0; i < st->nchanges; i++)
                if (!strcmp(st->m->households[st->changes[i].household].county_code, code))
                    change_row(&x, cs, cr++, st, &st->changes[i]);
            sheet_finish(&x, cs, NCH, cr);
        }
        if (st->reg && st->reg->first) findings_sheet(&x, st, c);
    }
    lxw_error e = workbook_close(x.wb);      /* frees the workbook */
    int rc = HD_OK;
    if (x.err != LXW_NO_ERROR) rc = hd_fail(err, HD_EIO, "%s: %s", path, lxw_strerror(x.err));
    else if (e != LXW_NO_ERROR) rc = hd_fail(err, HD_EIO, "%s: cannot write: %s", path, lxw_strerror(e));
    else rc = copy_out(tmp, path, err);
    unlink(tmp);
    return rc;
}
