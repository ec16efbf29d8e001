/*
 * standards.c — the local 低保 standards (standards.csv, SPEC §4) and their
 * lookup (SPEC §6 "Checks / Standards").
 *
 * standards.csv is the centre's own small configuration file, not a
 * provider's extract, but it is read by the same CSV reader (text/csv.c over
 * io/'s reader on the bytes already in memory): UTF-8 (a BOM is dropped), LF
 * or CRLF, a required header `code,year,urban_month_yuan,rural_month_yuan`,
 * no quoting (so no thousands separators), cells trimmed of spaces and tabs,
 * blank records (nothing but commas and white space) skipped. Every fault is
 * a configuration error naming the line.
 *
 * The rows are kept sorted by (code, year), so a lookup is a binary search
 * per level followed by a short scan.
 */
#include <stdlib.h>
#include <string.h>
#include "hedui/io.h"
#include "hedui/rules.h"
#include "hedui/text.h"
#include "rules/rules_int.h"

static int row_cmp(const void *a, const void *b)
{
    const hd_standard_row *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    if (c) return c;
    return (x->year > y->year) - (x->year < y->year);
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return n > 0;
}

static const char *const std_header[4] = {
    "code", "year", "urban_month_yuan", "rural_month_yuan",
};

/* One data record of standards.csv (cells trimmed) into p->standards;
 * *cap is the array's capacity. */
static int add_row(hd_policy *p, uint32_t *cap, const char *path, uint64_t line,
                   const hd_field *c, hd_error *err)
{
    if (c[0].n != 6 || !all_digits(c[0].p, 6))
        return hd_fail(err, HD_ECONFIG, "%s:%llu: code '%.*s' is not a 6-digit division code",
                       path, (unsigned long long)line, (int)c[0].n, c[0].p);
    if (c[1].n != 4 || !all_digits(c[1].p, 4) || c[1].p[0] == '0')
        return hd_fail(err, HD_ECONFIG, "%s:%llu: year '%.*s' is not a 4-digit year",
                       path, (unsigned long long)line, (int)c[1].n, c[1].p);
    int64_t fen[2];
    for (int i = 0; i < 2; i++) {
        const hd_field *f = &c[2 + i];
        if (f->n == 0 || hd_parse_money(f->p, f->n, HD_MONEY_YUAN, &fen[i]) != HD_R_NONE ||
            fen[i] < 0)
            return hd_fail(err, HD_ECONFIG,
                           "%s:%llu: %s '%.*s' is not an amount in yuan (0 or more, up to 2 decimals)",
                           path, (unsigned long long)line, std_header[2 + i], (int)f->n, f->p);
    }
    if (p->nstandards == *cap) {
        uint32_t ncap = *cap ? *cap * 2 : 64;
        hd_standard_row *r = realloc(p->standards, (size_t)ncap * sizeof *r);
        if (!r) return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
        p->standards = r;
        *cap = ncap;
    }
    hd_standard_row *r = &p->standards[p->nstandards];
    memcpy(r->code, c[0].p, 6);
    r->code[6] = '\0';
    r->year = (c[1].p[0] - '0') * 1000 + (c[1].p[1] - '0') * 100 +
              (c[1].p[2] - '0') * 10 + (c[1].p[3] - '0');
    r->urban_fen = fen[0];
    r->rural_fen = fen[1];
    /* a (code, year) given twice is ambiguous: refuse it here, where the
     * line is still known */
    for (uint32_t i = 0; i < p->nstandards; i++)
        if (p->standards[i].year == r->year && strcmp(p->standards[i].code, r->code) == 0)
            return hd_fail(err, HD_ECONFIG, "%s:%llu: code %s year %d given twice",
                           path, (unsigned long long)line, r->code, (int)r->year);
    p->nstandards++;
    return HD_OK;
}

/* The records of the CSV reader c: the header, then the rows. */
static int read_records(hd_policy *p, hd_csv *c, const char *path, hd_error *err)
{
    uint32_t cap = 0;
    int seen_header = 0, k;
    hd_csv_record rec;
    while ((k = hd_csv_next(c, &rec, err)) == 1) {
        if (rec.fault != HD_R_NONE)
            return hd_fail(err, HD_ECONFIG,
                           "%s:%llu: unreadable line (%s: not UTF-8 text, a NUL byte, or over 1 MiB)",
                           path, (unsigned long long)rec.line, hd_reason_name(rec.fault));
        if (rec.blank) continue;
        hd_field f[4];
        for (size_t i = 0; i < rec.nfields && i < 4; i++) {
            f[i] = rec.fields[i];
            hd_trim(&f[i].p, &f[i].n);
        }
        if (!seen_header) {
            int ok = rec.nfields == 4;
            for (int i = 0; ok && i < 4; i++)
                ok = f[i].n == strlen(std_header[i]) && memcmp(f[i].p, std_header[i], f[i].n) == 0;
            if (!ok)
                return hd_fail(err, HD_ECONFIG,
                               "%s:%llu: the header must be code,year,urban_month_yuan,rural_month_yuan",
                               path, (unsigned long long)rec.line);
            seen_header = 1;
            continue;
        }
        if (rec.nfields != 4)
            return hd_fail(err, HD_ECONFIG, "%s:%llu: %zu fields, expected 4", path,
                           (unsigned long long)rec.line, rec.nfields);
        int rc = add_row(p, &cap, path, rec.line, f, err);
        if (rc) return rc;
    }
    if (k < 0) {                  /* the message names the file and offset */
        if (err) err->status = HD_ECONFIG;
        return HD_ECONFIG;
    }
    if (!seen_header)
        return hd_fail(err, HD_ECONFIG, "%s:1: empty file, the header is required", path);
    return HD_OK;
}

int hd_standards_parse(hd_policy *p, const char *path, const char *buf,
                       size_t len, hd_error *err)
{
    hd_reader *r = NULL;
    hd_csv *c = NULL;
    int rc = hd_reader_open_mem(&r, path, buf, len, 0, err);
    if (rc) return rc;
    hd_csv_opts o = { .encoding = HD_ENC_UTF8, .delimiter = ',', .quote = -1, .path = path };
    rc = hd_csv_open(&c, r, &o, err);
    if (rc == HD_OK) rc = read_records(p, c, path, err);
    hd_csv_close(c);
    hd_reader_close(r);
    if (rc == HD_OK && p->nstandards)
        qsort(p->standards, p->nstandards, sizeof *p->standards, row_cmp);
    return rc;
}

/* Index of the row with `code` and the latest year <= year, or -1. */
static long find_level(const hd_policy *p, const char code[7], int year)
{
    uint32_t lo = 0, hi = p->nstandards;
    while (lo < hi) {                    /* first row with code >= `code` */
        uint32_t mid = lo + (hi - lo) / 2;
        if (strcmp(p->standards[mid].code, code) < 0) lo = mid + 1;
        else hi = mid;
    }
    long best = -1;
    for (uint32_t i = lo; i < p->nstandards && strcmp(p->standards[i].code, code) == 0; i++)
        if (p->standards[i].year <= year) best = (long)i;   /* sorted by year */
    return best;
}

int hd_standard_lookup(const hd_policy *p, const char *county_code, int year,
                       int urban, int64_t *fen)
{
    if (!county_code || strlen(county_code) != 6 || !all_digits(county_code, 6))
        return HD_EDATA;
    char level[3][7];
    memcpy(level[0], county_code, 7);
    memcpy(level[1], county_code, 4);
    memcpy(level[1] + 4, "00", 3);
    memcpy(level[2], county_code, 2);
    memcpy(level[2] + 2, "0000", 5);
    for (int l = 0; l < 3; l++) {
        long i = find_level(p, level[l], year);
        if (i >= 0) {
            *fen = urban ? p->standards[i].urban_fen : p->standards[i].rural_fen;
            return HD_OK;
        }
    }
    return HD_EDATA;
}
