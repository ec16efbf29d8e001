/*
 * check.c — `hedui check`: a file read through its descriptor exactly as
 * the batch reads it (the one scanner, hd_scan_file), with a row callback
 * that matches nothing, so that a county clerk or a provider can find and
 * fix bad rows before the nightly run. Nothing is written.
 *
 * Messages say what to fix in plain words and name the column, never the
 * cell: the cell may be an ID number or a name (SPEC §5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "batch/internal.h"
#include "hedui/ident.h"
#include "hedui/check.h"
#include "util/arena.h"


/* The check character the first 17 digits of an ID cell call for, or 0
 * when the cleaned cell is not 17 digits and one more character (ASCII
 * or full-width digits, as hd_id_normalise folds them). The cell is read
 * here and nowhere copied. */
static char cell_check_char(const char *s, size_t n)
{
    hd_cell_clean(&s, &n);
    char body[17];
    int nd = 0, nchar = 0;
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)s[i];
        int digit = -1;
        size_t step = 1;
        if (b >= '0' && b <= '9') digit = b - '0';
        else if (b == 0xEF && i + 2 < n && (unsigned char)s[i + 1] == 0xBC &&
                 (unsigned char)s[i + 2] >= 0x90 && (unsigned char)s[i + 2] <= 0x99) {
            digit = (unsigned char)s[i + 2] - 0x90;
            step = 3;
        } else if (b >= 0xC0) {
            step = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
        }
        if (nchar < 17) {
            if (digit < 0) return 0;
            body[nd++] = (char)('0' + digit);
        }
        nchar++;
        i += step;
    }
    if (nchar != 18 || nd != 17) return 0;
    return hd_id_check_char(body);
}

/* VALUE_UNMAPPED: the values field f accepts, joined by sep: the
 * descriptor's [values] keys for f, then the canonical values not among
 * them. Cut with "…" when it does not fit. */
static void allowed_values(const hd_descriptor *d, int f, const char *sep, char *out, size_t cap)
{
    out[0] = 0;
    if (f < 0 || f >= HD_F__COUNT || cap < 8) return;
    size_t off = 0;
    int n = 0, cut = 0;
    const char *const *canon = hd_field_values(d->kind, (hd_fid)f);
    int ncanon = 0;
    while (canon && canon[ncanon]) ncanon++;
    for (int i = 0; i < d->nvalues + ncanon && !cut; i++) {
        const char *v = i < d->nvalues ? (d->values[i].field == f ? d->values[i].from : NULL)
                                       : canon[i - d->nvalues];
        if (!v || !*v) continue;
        int dup = 0;
        for (int k = 0; k < d->nvalues && k < i && !dup; k++)
            if (d->values[k].field == f && !strcmp(d->values[k].from, v)) dup = 1;
        if (dup) continue;
        size_t need = strlen(v) + (n ? strlen(sep) : 0);
        if (off + need + 4 >= cap) { cut = 1; break; }
        off += (size_t)snprintf(out + off, cap - off, "%s%s", n ? sep : "", v);
        n++;
    }
    if (cut) snprintf(out + off, cap - off, "%s", "…");
}

typedef struct idfix { uint64_t line; char ch; } idfix;

typedef struct check_ctx {
    const hd_descriptor *d;
    hd_lang lang;
    hd_check_bad_fn on_bad;
    void *user;
    int pos[HD_F__COUNT];       /* bound column positions (0-based) */
    idfix *fix; size_t nfix, capfix;   /* applicants: ID_CHECK rows' characters */
} check_ctx;

/* One bad row to the caller, in the chosen language. */
static void report(const check_ctx *c, uint64_t line, hd_reason reason, int field, char id_check)
{
    char col[64];
    const char *colname = NULL;
    if (field >= 0 && field < HD_F__COUNT) {
        if (c->d->col_name[field]) colname = c->d->col_name[field];
        else if (c->d->col_pos[field] > 0) {
            snprintf(col, sizeof col, "#%d", c->d->col_pos[field]);
            colname = col;
        }
    }
    char allowed[512] = "";
    hd_advice_extra x = { id_check, NULL };
    if (reason == HD_R_VALUE_UNMAPPED && c->lang == HD_LANG_ZH) {
        allowed_values(c->d, field, "、", allowed, sizeof allowed);
        x.allowed = allowed;
    }
    char msg[1024];
    hd_reason_advice_ex(reason, field, colname, c->lang, &x, msg, sizeof msg);
    c->on_bad(c->user, line, reason, field, msg);
}

/* The check character an ID_CHECK row's cell calls for (or 0). */
static char row_check_char(const check_ctx *c, const hd_csv_record *row)
{
    if (c->d->id_token) return 0;
    int p = c->pos[HD_F_ID_NUMBER];
    if (p < 0 || (size_t)p >= row->nfields) return 0;
    return cell_check_char(row->fields[p].p, row->fields[p].n);
}

static void trim_quarantine(hd_file_result *res)
{
    /* Quarantined rows are copied by the scanner for the batch's
     * quarantine file; check keeps none, so memory stays flat. */
    if (res->nq >= 1024) {
        hd_arena_free(res->arena);
        res->arena = NULL;
        res->nq = 0;
    }
}

static int on_row(void *user, hd_file_result *res, const hd_csv_record *row,
                  hd_record *rec, hd_reason reason, int bad_field)
{
    (void)rec;
    check_ctx *c = user;
    if (reason != HD_R_NONE && c->on_bad)
        report(c, row->line, reason, bad_field,
               reason == HD_R_ID_CHECK ? row_check_char(c, row) : 0);
    trim_quarantine(res);
    return HD_OK;
}

/* Applicants, second reading: the check character of every ID_CHECK row,
 * by line (only the one character is kept). */
static int on_row_idfix(void *user, hd_file_result *res, const hd_csv_record *row,
                        hd_record *rec, hd_reason reason, int bad_field)
{
    (void)rec; (void)bad_field;
    check_ctx *c = user;
    if (reason == HD_R_ID_CHECK) {
        char ch = row_check_char(c, row);
        if (ch) {
            if (c->nfix == c->capfix) {
                size_t nc = c->capfix ? 2 * c->capfix : 64;
                idfix *nf = realloc(c->fix, nc * sizeof *nf);
                if (!nf) return HD_ESOFTWARE;
                c->fix = nf;
                c->capfix = nc;
            }
            c->fix[c->nfix].line = row->line;
            c->fix[c->nfix].ch = ch;
            c->nfix++;
        }
    }
    trim_quarantine(res);
    return HD_OK;
}

static char fix_for(const check_ctx *c, uint64_t line)
{
    size_t lo = 0, hi = c->nfix;        /* lines ascend: binary search */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->fix[mid].line < line) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->nfix && c->fix[lo].line == line ? c->fix[lo].ch : 0;
}

int hd_check_file(const char *fmt_path, const char *file, hd_date as_of,
                  hd_check_bad_fn on_bad, void *user, hd_check_counts *out,
                  hd_error *err)
{
    return hd_check_file_ex(fmt_path, file, as_of, HD_LANG_EN, on_bad, user, out, err);
}

int hd_check_file_ex(const char *fmt_path, const char *file, hd_date as_of, hd_lang lang,
                     hd_check_bad_fn on_bad, void *user, hd_check_counts *out,
                     hd_error *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(file, &st) != 0) {
        int e = errno;
        return hd_fail(err, HD_ENOINPUT,
                       "%s: cannot open: %s", file, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) return hd_fail(err, HD_ENOINPUT, "%s: is a directory, not a file", file);
    hd_descriptor *d = NULL;
    int rc = hd_descriptor_load(&d, fmt_path, err);
    if (rc != HD_OK) return rc;

    hd_file_result res;
    memset(&res, 0, sizeof res);
    res.path = file;
    res.source = -1;
    check_ctx c;
    memset(&c, 0, sizeof c);
    c.d = d;
    c.lang = lang == HD_LANG_ZH ? HD_LANG_ZH : HD_LANG_EN;
    c.on_bad = on_bad;
    c.user = user;
    for (int f = 0; f < HD_F__COUNT; f++) c.pos[f] = -1;
    hd_error lerr;                 /* the applicant loader's own message */
    hd_error_clear(&lerr);
    hd_model *m = NULL;
    if (d->kind == HD_KIND_APPLICANTS) {
        /* an applicant list is read exactly as the batch reads it, so that
         * what is caught only across rows (APPLICANT_INCONSISTENT,
         * DUPLICATE_MEMBER, a county code that is not six digits) is caught
         * here too; tokens are not needed (no key: none are made) */
        m = hd_model_new();
        char *files[1] = { (char *)file };
        rc = m ? hd_load_applicants(m, d, files, 1, as_of, NULL, NULL, &res, &lerr) : HD_ESOFTWARE;
        int want_fix = 0;
        for (uint32_t i = 0; rc == HD_OK && on_bad && i < res.nq; i++)
            if (res.q[i].reason == HD_R_ID_CHECK) want_fix = 1;
        if (want_fix && c.lang == HD_LANG_ZH) {
            /* the quarantine keeps rows, not cells: read the file once more
             * through the same scanner for the check characters */
            hd_file_result r2;
            memset(&r2, 0, sizeof r2);
            r2.path = file;
            r2.source = -1;
            if (hd_scan_file(d, as_of, &r2, on_row_idfix, &c, NULL, c.pos) != HD_OK) c.nfix = 0;
            hd_file_result_free(&r2);
        }
        if (rc == HD_OK && on_bad) {
            /* in line order; a row reported twice keeps its first reason */
            for (uint32_t i = 0; i < res.nq; i++) {
                const hd_qrow *q = &res.q[i];
                report(&c, q->line, q->reason, q->field,
                       q->reason == HD_R_ID_CHECK ? fix_for(&c, q->line) : 0);
            }
        }
        free(c.fix);
        hd_model_free(m);
    } else {
        rc = hd_scan_file(d, as_of, &res, on_row, &c, NULL, c.pos);
        /* the batch's default rate (SPEC §6 max_quarantine_pct = 5) */
        if (rc == HD_OK && res.damage == HD_R_NONE && res.ledger.rows &&
            res.ledger.rows_quarantined * 100 > 5 * res.ledger.rows) {
            res.damage = HD_R_QUARANTINE_RATE;
            snprintf(res.damage_msg, sizeof res.damage_msg,
                     "%s: QUARANTINE_RATE: %llu of %llu rows are bad, over the default 5 %% at which the batch treats the source as damaged",
                     file, (unsigned long long)res.ledger.rows_quarantined, (unsigned long long)res.ledger.rows);
        }
    }

    out->rows = res.ledger.rows;
    out->rows_ok = res.ledger.rows_ok;
    out->rows_bad = res.ledger.rows_quarantined;
    out->header_lines = res.ledger.header_lines;
    out->skipped_lines = res.ledger.skipped_lines;
    out->blank_lines = res.ledger.blank_lines;
    out->trailer_lines = res.ledger.trailer_lines;
    memcpy(out->by_reason, res.ledger.by_reason, sizeof out->by_reason);
    out->damage = res.damage;
    snprintf(out->damage_msg, sizeof out->damage_msg, "%s", res.damage_msg);
    hd_file_result_free(&res);
    hd_descriptor_free(d);

    if (rc != HD_OK && lerr.message[0]) {   /* the applicant loader said why */
        if (err) *err = lerr;
        return rc;
    }
    if (rc != HD_OK) return hd_fail(err, rc, "%s: out of memory", file);
    if (out->damage != HD_R_NONE)
        return hd_fail(err, HD_EDATA, "%s: the file cannot be read to its end (%s)",
                       file, hd_reason_name(out->damage));
    if (out->rows_bad)
        return hd_fail(err, HD_EDATA, "%s: %llu of %llu rows are bad", file,
                       (unsigned long long)out->rows_bad, (unsigned long long)out->rows);
    hd_error_clear(err);
    return HD_OK;
}
