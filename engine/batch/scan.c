/*
 * scan.c — reads one input file through its descriptor (SPEC §6
 * "Reading"): the one path every applicant list and extract takes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch/internal.h"

void hd_file_result_free(hd_file_result *r)
{
    if (!r) return;
    free(r->q);
    free(r->recs);
    free(r->div);
    hd_arena_free(r->arena);
    hd_arena_free(r->rec_arena);
    memset(r, 0, sizeof *r);
}

int hd_file_result_quarantine(hd_file_result *r, uint64_t line, hd_reason why, int field,
                              const char *raw, size_t raw_len)
{
    if (r->nq == r->capq) {
        uint32_t cap = r->capq ? r->capq * 2 : 64;
        hd_qrow *q = realloc(r->q, (size_t)cap * sizeof *q);
        if (!q) return HD_ESOFTWARE;
        r->q = q; r->capq = cap;
    }
    if (!r->arena && !(r->arena = hd_arena_new())) return HD_ESOFTWARE;
    if (raw_len > 65536) raw_len = 65536;       /* enough to see the fault */
    const char *copy = hd_arena_strndup(r->arena, raw ? raw : "", raw ? raw_len : 0);
    if (!copy) return HD_ESOFTWARE;
    r->q[r->nq++] = (hd_qrow){ line, why, field, copy, (uint32_t)raw_len };
    r->ledger.by_reason[why]++;
    return HD_OK;
}

void hd_file_result_division(hd_file_result *r, const char *id18)
{
    if (hd_division_known(id18)) return;
    for (uint32_t i = 0; i < r->ndiv; i++)
        if (memcmp(r->div[i].code, id18, 6) == 0) { r->div[i].n++; return; }
    hd_divcount *d = realloc(r->div, (r->ndiv + 1) * sizeof *d);
    if (!d) return;
    r->div = d;
    memcpy(d[r->ndiv].code, id18, 6);
    d[r->ndiv].code[6] = 0;
    d[r->ndiv].n = 1;
    r->ndiv++;
}

static int parse_count(const hd_csv_record *t, uint64_t *n)
{
    if (t->nfields == 0) return 0;
    const char *s = t->fields[t->nfields - 1].p;
    size_t len = t->fields[t->nfields - 1].n;
    hd_trim(&s, &len);
    if (len == 0 || len > 18) return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *n = x;
    return 1;
}

static void damage(hd_file_result *res, hd_reason why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void damage(hd_file_result *res, hd_reason why, const char *fmt, ...)
{
    if (res->damage != HD_R_NONE) return;          /* the first cause stands */
    res->damage = why;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->damage_msg, sizeof res->damage_msg, fmt, ap);
    va_end(ap);
}

int hd_scan_file(const hd_descriptor *d, hd_date as_of, hd_file_result *res,
                 hd_row_fn fn, void *user, hd_scan_shared *shared,
                 int pos_out[HD_F__COUNT])
{
    hd_error err;
    hd_error_clear(&err);
    res->newest = HD_DATE_NONE;
    hd_reader *rd = NULL;
    if (hd_reader_open(&rd, res->path, d->max_bytes, &err) != HD_OK) {
        damage(res, HD_R_READ_ERROR, "%s", err.message);
        return HD_OK;
    }
    if (shared) hd_reader_use_cores(rd, shared->cores);
    hd_csv_opts o = d->csv;
    o.path = res->path;
    hd_csv *c = NULL;
    if (hd_csv_open(&c, rd, &o, &err) != HD_OK) {
        hd_reader_close(rd);
        damage(res, HD_R_READ_ERROR, "%s", err.message);
        return HD_OK;
    }
    hd_record *rec = calloc(1, sizeof *rec);
    if (!rec) { hd_csv_close(c); hd_reader_close(rd); return HD_ESOFTWARE; }
    hd_row_ctx ctx;
    int pos[HD_F__COUNT];
    int nfields = 0;
    int bound = 0;
    int rc = HD_OK;
    uint64_t trailer_count = 0;
    int have_trailer = 0;
    uint64_t last_bytes = 0;
    hd_csv_record row;
    for (;;) {
        int r = hd_csv_next(c, &row, &err);
        if (r < 0) {
            hd_reason why = hd_reader_fault(rd) == HD_RF_TRUNCATED ? HD_R_TRUNCATED :
                            hd_reader_fault(rd) == HD_RF_SIZE_CAP ? HD_R_SIZE_CAP : HD_R_READ_ERROR;
            damage(res, why, "%s", err.message);
            break;
        }
        if (r == 0) break;
        if (shared) {
            uint64_t now = hd_reader_in_bytes(rd);
            atomic_fetch_add(&shared->bytes_done, now - last_bytes);
            last_bytes = now;
        }
        if (!bound) {
            if (row.blank && d->header) { res->ledger.blank_lines++; continue; }
            hd_error berr;
            hd_error_clear(&berr);
            hd_reason br = hd_descriptor_bind(d, d->header ? &row : NULL, pos, &nfields, &berr);
            if (d->header) res->ledger.header_lines++;
            if (br == HD_R_NONE && d->header && row.fault != HD_R_NONE) {
                br = HD_R_HEADER_MISMATCH;
                snprintf(berr.message, sizeof berr.message, "header line is unreadable (%s)", hd_reason_name(row.fault));
            }
            if (br != HD_R_NONE) {
                damage(res, br, "%s:%lu: %s: %s", res->path, (unsigned long)row.line,
                       hd_reason_name(br), berr.message);
                break;
            }
            bound = 1;
            if (pos_out) memcpy(pos_out, pos, sizeof pos);
            if (d->header) continue;
        }
        if (row.is_trailer) {
            res->ledger.trailer_lines++;
            have_trailer = 1;
            if (!parse_count(&row, &trailer_count)) {
                damage(res, HD_R_TRAILER_COUNT, "%s:%lu: TRAILER_COUNT: the last line carries no row count",
                       res->path, (unsigned long)row.line);
            }
            continue;
        }
        if (row.blank) { res->ledger.blank_lines++; continue; }
        res->ledger.rows++;
        int bad = -1;
        hd_reason why = hd_row_map(d, pos, nfields, &row, as_of, &ctx, rec, &bad);
        if (why == HD_R_NONE) res->ledger.rows_ok++;
        else {
            res->ledger.rows_quarantined++;
            if (hd_file_result_quarantine(res, row.line, why, bad, row.raw, row.raw_len) != HD_OK) {
                rc = HD_ESOFTWARE;
                break;
            }
        }
        rc = fn(user, res, &row, rec, why, bad);
        if (rc != HD_OK) break;
    }
    res->ledger.skipped_lines = hd_csv_skipped_lines(c);
    if (rc == HD_OK && !bound && res->damage == HD_R_NONE && d->header) {
        damage(res, HD_R_HEADER_MISMATCH, "%s:1: HEADER_MISMATCH: the file is empty (no header line)", res->path);
    }
    if (rc == HD_OK && d->csv.trailer && res->damage == HD_R_NONE) {
        if (!have_trailer) {
            damage(res, HD_R_TRAILER_COUNT, "%s: TRAILER_COUNT: no trailer line", res->path);
        } else if (trailer_count != res->ledger.rows) {
            damage(res, HD_R_TRAILER_COUNT, "%s: TRAILER_COUNT: trailer says %lu rows, file has %lu",
                   res->path, (unsigned long)trailer_count, (unsigned long)res->ledger.rows);
        }
    }
    res->bytes_in = hd_reader_in_bytes(rd);
    res->bytes_out = hd_reader_out_bytes(rd);
    if (shared) {
        atomic_fetch_add(&shared->bytes_done, res->bytes_in - last_bytes);
        atomic_fetch_add(&shared->rows_done, res->ledger.rows);
    }
    free(rec);
    hd_csv_close(c);
    hd_reader_close(rd);
    return rc;
}
