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
#include "hedui/tools.h"
#include "util/arena.h"

void hd_reason_advice(hd_reason r, int field, const char *column, char *out, size_t cap)
{
    char col[512];
    const char *fname = (field >= 0 && field < HD_F__COUNT) ? hd_field_name((hd_fid)field) : NULL;
    if (fname && column && *column)
        snprintf(col, sizeof col, "%s (column %s)", fname, column);
    else if (fname)
        snprintf(col, sizeof col, "%s", fname);
    else
        snprintf(col, sizeof col, "a field");
    const char *what;
    switch (r) {
    case HD_R_FIELD_COUNT:
        snprintf(out, cap, "the row has a different number of fields than the header "
                 "(or fields = N); look for a missing or extra delimiter, or a delimiter inside an unquoted cell");
        return;
    case HD_R_ENCODING:
        snprintf(out, cap, "the row holds bytes that are not valid in the file's declared encoding; "
                 "export the file again in that encoding or correct encoding in the descriptor");
        return;
    case HD_R_LINE_TOO_LONG:
        snprintf(out, cap, "the row is longer than max_line; look for a missing closing quote above it");
        return;
    case HD_R_NUL_BYTE:
        snprintf(out, cap, "the row contains a NUL byte; the file is probably damaged or not text");
        return;
    case HD_R_UNBALANCED_QUOTE:
        snprintf(out, cap, "a quoted cell starting here is never closed; add the missing closing quote");
        return;
    case HD_R_BAD_QUOTE:
        snprintf(out, cap, "a quote stands inside an unquoted cell or text follows a closing quote; "
                 "quote the whole cell and double any quote inside it");
        return;
    case HD_R_TRUNCATED:
        snprintf(out, cap, "the file ends in the middle of this row (cut compressed file); send the file again");
        return;
    case HD_R_MISSING:
        if (field == HD_F_BALANCE)
            snprintf(out, cap, "%s is empty and so is over_limit; fill in the balance", col);
        else
            snprintf(out, cap, "%s is required but empty; fill it in", col);
        return;
    case HD_R_AMOUNT:
        what = "is not an amount of money: write digits with an optional sign, comma groups of three "
               "and the decimals the unit allows, without currency signs, spaces or parentheses";
        break;
    case HD_R_DATE:
        what = "is not a date in the descriptor's format (default YYYY-MM-DD or YYYYMMDD), or no such day exists";
        break;
    case HD_R_AREA:
        what = "is not an area: write square metres with at most 2 decimals";
        break;
    case HD_R_SHARE:
        what = "is not a share, or is above the whole: write it in the unit of the descriptor "
               "(bp 0-10000, percent 0-100, fraction 0-1)";
        break;
    case HD_R_PERIOD:
        what = "is not a period: write YYYY, YYYY-MM or YYYYMM";
        break;
    case HD_R_VALUE_UNMAPPED:
        what = "holds a code that is neither canonical nor mapped in the descriptor's [values]; "
               "correct the cell or add the code to [values]";
        break;
    case HD_R_EXCEL_MANGLED:
        what = "was turned into scientific notation (like 5.3E+17) by a spreadsheet; "
               "export the column as text and send the file again";
        break;
    case HD_R_ID_FORMAT:
        what = "does not have the form of an ID number (18 characters: 17 digits and a digit or X; "
               "or 15 digits), or of a 64-hex-digit token; correct the number";
        break;
    case HD_R_ID_CHECK:
        what = "has a wrong check character (the last one): a digit was probably mistyped; "
               "copy the number again from the ID card";
        break;
    case HD_R_ID_DATE:
        what = "encodes a birth date that does not exist or lies after the verification date; "
               "copy the number again from the ID card";
        break;
    case HD_R_ID_PROVINCE:
        what = "does not start with a province code; copy the number again from the ID card";
        break;
    case HD_R_APPLICANT_INCONSISTENT:
        what = "differs from the first row of the same application (county_code, area_type and "
               "assistance_type must agree); correct it";
        break;
    case HD_R_DUPLICATE_MEMBER:
        what = "repeats a member already listed in the same application; remove the repeated row";
        break;
    case HD_R_COUNTY_UNKNOWN:
        what = "is not a six-digit county code with a 低保 standard in the policy; use the GB/T 2260 code of the county";
        break;
    case HD_R_APPLICATION_ID_REUSED:
        what = "is an application id already used in another file of the same county; give it a new id";
        break;
    default:
        snprintf(out, cap, "%s: the row cannot be used (%s)", col, hd_reason_name(r));
        return;
    }
    snprintf(out, cap, "%s %s", col, what);
}

typedef struct check_ctx {
    const hd_descriptor *d;
    hd_check_bad_fn on_bad;
    void *user;
} check_ctx;

static int on_row(void *user, hd_file_result *res, const hd_csv_record *row,
                  hd_record *rec, hd_reason reason, int bad_field)
{
    (void)rec;
    check_ctx *c = user;
    if (reason != HD_R_NONE && c->on_bad) {
        char col[64];
        const char *colname = NULL;
        if (bad_field >= 0 && bad_field < HD_F__COUNT) {
            if (c->d->col_name[bad_field]) colname = c->d->col_name[bad_field];
            else if (c->d->col_pos[bad_field] > 0) {
                snprintf(col, sizeof col, "#%d", c->d->col_pos[bad_field]);
                colname = col;
            }
        }
        char msg[1024];
        hd_reason_advice(reason, bad_field, colname, msg, sizeof msg);
        c->on_bad(c->user, row->line, reason, bad_field, msg);
    }
    /* Quarantined rows are copied by the scanner for the batch's
     * quarantine file; check keeps none, so memory stays flat. */
    if (res->nq >= 1024) {
        hd_arena_free(res->arena);
        res->arena = NULL;
        res->nq = 0;
    }
    return HD_OK;
}

int hd_check_file(const char *fmt_path, const char *file, hd_date as_of,
                  hd_check_bad_fn on_bad, void *user, hd_check_counts *out,
                  hd_error *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(file, &st) != 0) {
        int e = errno;
        return hd_fail(err, e == ENOENT || e == ENOTDIR ? HD_ENOINPUT : HD_EIO,
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
    check_ctx c = { d, on_bad, user };
    hd_model *m = NULL;
    if (d->kind == HD_KIND_APPLICANTS) {
        /* an applicant list is read exactly as the batch reads it, so that
         * what is caught only across rows (APPLICANT_INCONSISTENT,
         * DUPLICATE_MEMBER, a county code that is not six digits) is caught
         * here too; tokens are not needed, so the key is a dummy */
        m = hd_model_new();
        hd_key key;
        memset(&key, 0, sizeof key);
        char *files[1] = { (char *)file };
        hd_error lerr;
        rc = m ? hd_load_applicants(m, d, files, 1, as_of, &key, NULL, &res, &lerr) : HD_ESOFTWARE;
        if (rc == HD_OK && on_bad) {
            /* in line order; a row reported twice keeps its first reason */
            for (uint32_t i = 0; i < res.nq; i++) {
                const hd_qrow *q = &res.q[i];
                const char *colname = NULL;
                char col[64], msg[1024];
                if (q->field >= 0 && q->field < HD_F__COUNT) {
                    if (d->col_name[q->field]) colname = d->col_name[q->field];
                    else if (d->col_pos[q->field] > 0) {
                        snprintf(col, sizeof col, "#%d", d->col_pos[q->field]);
                        colname = col;
                    }
                }
                hd_reason_advice(q->reason, q->field, colname, msg, sizeof msg);
                on_bad(user, q->line, q->reason, q->field, msg);
            }
        }
        hd_model_free(m);
    } else {
        rc = hd_scan_file(d, as_of, &res, on_row, &c, NULL, NULL);
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
