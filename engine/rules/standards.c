/*
 * standards.c — the local 低保 standards (standards.csv, SPEC §4) and their
 * lookup (SPEC §6 "Checks / Standards").
 *
 * standards.csv is the centre's own small configuration file, not a
 * provider's extract, so it has one fixed layout read here line by line:
 * UTF-8 (a BOM is dropped), LF or CRLF, a required header
 * `code,year,urban_month_yuan,rural_month_yuan`, no quoting (so no
 * thousands separators), cells trimmed of spaces and tabs, blank lines
 * skipped. Every fault is a configuration error naming the line.
 *
 * The rows are kept sorted by (code, year), so a lookup is a binary search
 * per level followed by a short scan.
 */
#include <stdlib.h>
#include <string.h>
#include "hedui/rules.h"
#include "rules/rules_int.h"

static int row_cmp(const void *a, const void *b)
{
    const hd_standard_row *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    if (c) return c;
    return (x->year > y->year) - (x->year < y->year);
}

/* Splits s[0..n) at commas into at most `max` trimmed cells. Returns the
 * number of cells found (which may exceed max: the caller rejects it). */
static int split(const char *s, size_t n, hd_field *cells, int max)
{
    int k = 0;
    size_t a = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != ',') continue;
        if (k < max) {
            size_t b = i, c = a;
            while (c < b && (s[c] == ' ' || s[c] == '\t')) c++;
            while (b > c && (s[b - 1] == ' ' || s[b - 1] == '\t')) b--;
            cells[k].p = s + c;
            cells[k].n = b - c;
        }
        k++;
        a = i + 1;
    }
    return k;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return n > 0;
}

int hd_standards_parse(hd_policy *p, const char *path, const char *buf,
                       size_t len, hd_error *err)
{
    static const char *const header[4] = {
        "code", "year", "urban_month_yuan", "rural_month_yuan",
    };
    size_t pos = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) pos = 3;
    uint32_t cap = 0;
    int seen_header = 0;
    for (int line = 1; pos < len; line++) {
        const char *s = buf + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n && s[n - 1] == '\r') n--;
        size_t blank = 0;
        while (blank < n && (s[blank] == ' ' || s[blank] == '\t')) blank++;
        if (blank == n) continue;
        if (memchr(s, '\0', n))
            return hd_fail(err, HD_ECONFIG, "%s:%d: NUL byte in the line", path, line);
        hd_field c[4];
        int k = split(s, n, c, 4);
        if (!seen_header) {
            int ok = k == 4;
            for (int i = 0; ok && i < 4; i++)
                ok = c[i].n == strlen(header[i]) && memcmp(c[i].p, header[i], c[i].n) == 0;
            if (!ok)
                return hd_fail(err, HD_ECONFIG,
                               "%s:%d: the header must be code,year,urban_month_yuan,rural_month_yuan",
                               path, line);
            seen_header = 1;
            continue;
        }
        if (k != 4)
            return hd_fail(err, HD_ECONFIG, "%s:%d: %d fields, expected 4", path, line, k);
        if (c[0].n != 6 || !all_digits(c[0].p, 6))
            return hd_fail(err, HD_ECONFIG, "%s:%d: code '%.*s' is not a 6-digit division code",
                           path, line, (int)c[0].n, c[0].p);
        if (c[1].n != 4 || !all_digits(c[1].p, 4) || c[1].p[0] == '0')
            return hd_fail(err, HD_ECONFIG, "%s:%d: year '%.*s' is not a 4-digit year",
                           path, line, (int)c[1].n, c[1].p);
        int64_t fen[2];
        for (int i = 0; i < 2; i++) {
            const hd_field *f = &c[2 + i];
            if (f->n == 0 || hd_parse_money(f->p, f->n, HD_MONEY_YUAN, &fen[i]) != HD_R_NONE ||
                fen[i] < 0)
                return hd_fail(err, HD_ECONFIG,
                               "%s:%d: %s '%.*s' is not an amount in yuan (0 or more, up to 2 decimals)",
                               path, line, header[2 + i], (int)f->n, f->p);
        }
        if (p->nstandards == cap) {
            uint32_t ncap = cap ? cap * 2 : 64;
            hd_standard_row *r = realloc(p->standards, (size_t)ncap * sizeof *r);
            if (!r) return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
            p->standards = r;
            cap = ncap;
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
                return hd_fail(err, HD_ECONFIG, "%s:%d: code %s year %d given twice",
                               path, line, r->code, (int)r->year);
        p->nstandards++;
    }
    if (!seen_header)
        return hd_fail(err, HD_ECONFIG, "%s:1: empty file, the header is required", path);
    if (p->nstandards)
        qsort(p->standards, p->nstandards, sizeof *p->standards, row_cmp);
    return HD_OK;
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
