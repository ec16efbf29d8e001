/*
 * values.c — trimming, cell cleaning and the value parsers of hedui/text.h
 * (SPEC §6 "Values" and "Further decisions").
 *
 * Every parser is exact: integers only, no floating point, overflow is an
 * error. Inputs are UTF-8 cells already cleaned by hd_cell_clean(); the
 * parsers never read past s[n) and never need a NUL.
 *
 * Dates use the civil-from-days / days-from-civil algorithms of Howard
 * Hinnant ("chrono-Compatible Low-Level Date Algorithms"), proleptic
 * Gregorian, day 0 = 1970-01-01.
 */
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "hedui/text.h"

/* ------------------------------------------------------------------ dates */

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int hd_date_valid(int y, int m, int d)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1) return 0;
    int max = mdays[m - 1] + (m == 2 && is_leap(y));
    return d <= max;
}

hd_date hd_date_from_ymd(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;                                   /* [0, 399] */
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  /* [0, 365] */
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
    return (hd_date)(era * 146097 + doe - 719468);
}

void hd_date_to_ymd(hd_date t, int *y, int *m, int *d)
{
    int z = t + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int yy = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int dd = doy - (153 * mp + 2) / 5 + 1;
    int mm = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (mm <= 2);
    *m = mm;
    *d = dd;
}

void hd_date_format(hd_date t, char out[11])
{
    int y, m, d;
    hd_date_to_ymd(t, &y, &m, &d);
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = 0;
}

/* ------------------------------------------------------------------ trim */

/* Length of a trim-set character at the start of s[0..n), else 0. */
static size_t trim_head(const unsigned char *s, size_t n)
{
    if (n == 0) return 0;
    if (s[0] == ' ' || s[0] == '\t' || s[0] == '\r') return 1;
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0) return 2;               /* U+00A0 */
    if (n >= 3) {
        if (s[0] == 0xE2 && s[1] == 0x80 && s[2] == 0x8B) return 3;     /* U+200B */
        if (s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) return 3;     /* U+FEFF */
        if (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) return 3;     /* U+3000 */
    }
    return 0;
}

/* Length of a trim-set character at the end of s[0..n), else 0. */
static size_t trim_tail(const unsigned char *s, size_t n)
{
    if (n == 0) return 0;
    unsigned char c = s[n - 1];
    if (c == ' ' || c == '\t' || c == '\r') return 1;
    if (n >= 2 && s[n - 2] == 0xC2 && c == 0xA0) return 2;
    if (n >= 3 && trim_head(s + n - 3, 3) == 3) return 3;
    return 0;
}

/* 1 if byte c cannot begin (head) / end (tail) a trim-set character:
 * then that end of a cell needs no look. Trim-set characters begin with
 * space, tab, CR, C2, E2, EF or E3 and end with space, tab, CR, A0, 8B, BF
 * or 80. Control bytes are left to the slow path. */
static inline int head_plain(unsigned char c)
{
    return c < 0x80 ? c > ' ' : (c != 0xC2 && c != 0xE2 && c != 0xEF && c != 0xE3);
}

static inline int tail_plain(unsigned char c)
{
    return c < 0x80 ? c > ' ' : (c != 0xA0 && c != 0x8B && c != 0xBF && c != 0x80);
}

void hd_trim(const char **s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t len = *n, k;
    if (len == 0 || (head_plain(p[0]) && tail_plain(p[len - 1]))) return;   /* the usual cell */
    while ((k = trim_head(p, len)) != 0) { p += k; len -= k; }
    while ((k = trim_tail(p, len)) != 0) len -= k;
    *s = (const char *)p;
    *n = len;
}

void hd_cell_clean(const char **s, size_t *n)
{
    hd_trim(s, n);
    const char *p = *s;
    if (*n >= 3 && p[0] == '=' && p[1] == '"' && p[*n - 1] == '"') {
        *s = p + 2;
        *n -= 3;
        hd_trim(s, n);
    }
}

int hd_is_excel_mangled(const char *s, size_t n)
{
    size_t i = 0;
    if (i >= n || s[i] < '0' || s[i] > '9') return 0;
    i++;
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == start) return 0;
    }
    if (i >= n || (s[i] != 'E' && s[i] != 'e')) return 0;
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    return i > start && i == n;
}

/* ------------------------------------------------------------------ numbers */

/* Reads one ASCII or full-width (U+FF10..FF19, EF BC 90..99) digit at
 * s[*i]; returns 0-9 and advances, or -1. */
static int digit_at(const char *s, size_t n, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s;
    if (*i < n && u[*i] >= '0' && u[*i] <= '9') return u[(*i)++] - '0';
    if (*i + 3 <= n && u[*i] == 0xEF && u[*i + 1] == 0xBC &&
        u[*i + 2] >= 0x90 && u[*i + 2] <= 0x99) {
        int d = u[*i + 2] - 0x90;
        *i += 3;
        return d;
    }
    return -1;
}

/*
 * A decimal: [sign] digits [with comma groups if commas] [. decimals].
 * The value is returned scaled by 10^max_dec in *out (exact), with at most
 * max_dec decimals. allow_comma: comma groups of three permitted.
 * @return 0 on success, -1 on any syntax error or overflow.
 */
static int parse_decimal(const char *s, size_t n, int max_dec, int allow_comma,
                         int allow_sign, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (allow_sign && i < n && (s[i] == '+' || s[i] == '-')) { neg = s[i] == '-'; i++; }
    uint64_t v = 0;
    const uint64_t lim = (uint64_t)INT64_MAX;
    int ndig = 0, group = 0, commas = 0;
    for (;;) {
        if (i < n && s[i] == ',') {
            if (!allow_comma || ndig == 0) return -1;
            if (commas ? group != 3 : group > 3) return -1;
            commas++;
            group = 0;
            i++;
            continue;
        }
        int d = digit_at(s, n, &i);
        if (d < 0) break;
        if (v > (lim - (uint64_t)d) / 10) return -1;
        v = v * 10 + (uint64_t)d;
        ndig++;
        group++;
    }
    if (ndig == 0) return -1;
    if (commas && group != 3) return -1;
    int dec = 0;
    if (i < n && s[i] == '.') {
        i++;
        for (;;) {
            int d = digit_at(s, n, &i);
            if (d < 0) break;
            if (++dec > max_dec) return -1;
            if (v > (lim - (uint64_t)d) / 10) return -1;
            v = v * 10 + (uint64_t)d;
        }
        if (dec == 0) return -1;   /* "1." */
    }
    if (i != n) return -1;
    for (; dec < max_dec; dec++) {
        if (v > lim / 10) return -1;
        v *= 10;
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* The usual amount: ASCII digits, then optionally '.' and 1 to max_dec
 * digits, at most 18 digits once scaled (so no overflow). Gives what
 * parse_decimal() gives for it. @return 1 (*out set), or 0 for the general
 * path (which also decides every error). */
static inline int decimal_fast(const char *s, size_t n, int max_dec, int64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && (unsigned)(unsigned char)s[i] - '0' <= 9)
        v = v * 10 + (uint64_t)(s[i++] - '0');
    if (i == 0 || i + (size_t)max_dec > 18) return 0;
    int dec = 0;
    if (i < n) {
        if (s[i] != '.' || n - i - 1 == 0 || n - i - 1 > (size_t)max_dec) return 0;
        for (i++; i < n; i++, dec++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9) return 0;
            v = v * 10 + d;
        }
    }
    for (; dec < max_dec; dec++) v *= 10;
    *out = (int64_t)v;
    return 1;
}

hd_reason hd_parse_money(const char *s, size_t n, hd_money_unit unit, int64_t *fen)
{
    int64_t v;
    int md = unit == HD_MONEY_FEN ? 0 : unit == HD_MONEY_YUAN ? 2 : unit == HD_MONEY_WAN ? 6 : -1;
    if (md >= 0 && decimal_fast(s, n, md, fen)) return HD_R_NONE;
    switch (unit) {
    case HD_MONEY_FEN:
        if (parse_decimal(s, n, 0, 1, 1, &v)) return HD_R_AMOUNT;
        break;
    case HD_MONEY_YUAN:
        if (parse_decimal(s, n, 2, 1, 1, &v)) return HD_R_AMOUNT;
        break;
    case HD_MONEY_WAN:
        /* 1 wan = 10^6 fen: six decimals of wan are whole fen */
        if (parse_decimal(s, n, 6, 1, 1, &v)) return HD_R_AMOUNT;
        break;
    default:
        return HD_R_AMOUNT;
    }
    *fen = v;
    return HD_R_NONE;
}

hd_reason hd_parse_area(const char *s, size_t n, int64_t *centi_m2)
{
    int64_t v;
    if (n > 0 && s[0] == '-') return HD_R_AREA;
    if (parse_decimal(s, n, 2, 1, 1, &v) || v < 0) return HD_R_AREA;
    *centi_m2 = v;
    return HD_R_NONE;
}

hd_reason hd_parse_share(const char *s, size_t n, hd_share_unit unit, int32_t *bp)
{
    int64_t v;
    switch (unit) {
    case HD_SHARE_BP:
        if (parse_decimal(s, n, 0, 0, 0, &v)) return HD_R_SHARE;
        break;
    case HD_SHARE_PERCENT:
        if (n > 0 && s[n - 1] == '%') n--;
        /* v in 1/10000 of a percent; 1 bp = 1/100 percent. SPEC §6 allows
         * 4 decimals ("33.3333" for a third), finer than a basis point:
         * rounded half up to the basis point (docs/decisions.md). */
        if (parse_decimal(s, n, 4, 0, 0, &v)) return HD_R_SHARE;
        if (v > 1000000) return HD_R_SHARE;
        v = (v + 50) / 100;
        break;
    case HD_SHARE_FRACTION:
        if (parse_decimal(s, n, 4, 0, 0, &v)) return HD_R_SHARE;
        break;
    default:
        return HD_R_SHARE;
    }
    if (v < 0 || v > 10000) return HD_R_SHARE;
    *bp = (int32_t)v;
    return HD_R_NONE;
}

/* ------------------------------------------------------------------ dates */

/* Matches s[0..n) against one format f[0..fn). Fields not in the format
 * stay 0. @return 0 on a whole match, else -1. */
static int match_format(const char *s, size_t n, const char *f, size_t fn,
                        int *y, int *m, int *d, int *has_m, int *has_d)
{
    size_t i = 0, k = 0;
    *y = *m = *d = 0;
    *has_m = *has_d = 0;
    int has_y = 0;
    while (k < fn) {
        if (f[k] == '%' && k + 1 < fn) {
            char conv = f[k + 1];
            k += 2;
            if (conv == '%') {
                if (i >= n || s[i] != '%') return -1;
                i++;
                continue;
            }
            int maxd, mind, *dst;
            if (conv == 'Y') { maxd = 4; mind = 4; dst = y; has_y = 1; }
            else if (conv == 'm') { maxd = 2; mind = 1; dst = m; *has_m = 1; }
            else if (conv == 'd') { maxd = 2; mind = 1; dst = d; *has_d = 1; }
            else return -1;             /* unsupported conversion */
            int v = 0, nd = 0;
            while (nd < maxd && i < n && s[i] >= '0' && s[i] <= '9') {
                v = v * 10 + (s[i] - '0');
                i++;
                nd++;
            }
            if (nd < mind) return -1;
            *dst = v;
        } else {
            if (i >= n || s[i] != f[k]) return -1;
            i++;
            k++;
        }
    }
    return (i == n && has_y) ? 0 : -1;
}

typedef struct { int y, m, d, has_m, has_d; } ymd_match;

/* Value of n ASCII digits at s, or -1 if one is not a digit. */
static inline int digits_n(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return -1;
        v = v * 10 + (int)d;
    }
    return v;
}

/*
 * The usual formats on their usual cells: "%Y%m%d" on 8 digits,
 * "%Y-%m-%d" on dddd-dd-dd, and for periods "%Y%m" on 6 digits, "%Y-%m"
 * on dddd-dd and "%Y". There match_format() takes 4 digits for %Y and 2
 * for %m and %d (it is greedy), so the result is the same.
 * @return 1 matched (*mt set), -1 cannot match, 0 the general matcher
 * decides.
 */
static int match_fast(const char *s, size_t n, const char *f, size_t fn, ymd_match *mt)
{
    int y, m, d;
    if (fn == 6 && n == 8 && memcmp(f, "%Y%m%d", 6) == 0) {
        if ((y = digits_n(s, 4)) < 0 || (m = digits_n(s + 4, 2)) < 0 || (d = digits_n(s + 6, 2)) < 0)
            return 0;
    } else if (fn == 8 && n == 10 && memcmp(f, "%Y-%m-%d", 8) == 0 && s[4] == '-' && s[7] == '-') {
        if ((y = digits_n(s, 4)) < 0 || (m = digits_n(s + 5, 2)) < 0 || (d = digits_n(s + 8, 2)) < 0)
            return 0;
    } else if (fn == 4 && memcmp(f, "%Y%m", 4) == 0) {       /* periods */
        /* SPEC §7: exactly YYYYMM; "20261" is no period (a cut "202611"
         * is as likely as January) */
        if (n != 6 || (y = digits_n(s, 4)) < 0 || (m = digits_n(s + 4, 2)) < 0) return -1;
        mt->y = y; mt->m = m; mt->d = 0;
        mt->has_m = 1; mt->has_d = 0;
        return 1;
    } else if (fn == 5 && memcmp(f, "%Y-%m", 5) == 0) {
        /* exactly YYYY-MM: "2026-1" is no period */
        if (n != 7 || s[4] != '-' || (y = digits_n(s, 4)) < 0 || (m = digits_n(s + 5, 2)) < 0) return -1;
        mt->y = y; mt->m = m; mt->d = 0;
        mt->has_m = 1; mt->has_d = 0;
        return 1;
    } else if (fn == 2 && memcmp(f, "%Y", 2) == 0) {
        /* "%Y" matches 4 digits and nothing else: decided here */
        if (n != 4 || (y = digits_n(s, 4)) < 0) return -1;
        mt->y = y; mt->m = mt->d = 0;
        mt->has_m = mt->has_d = 0;
        return 1;
    } else {
        return 0;
    }
    mt->y = y; mt->m = m; mt->d = d;
    mt->has_m = mt->has_d = 1;
    return 1;
}

/* A match is a date (period 0: year, month and day, valid) or a period
 * (year, with or without month; a day, if the format has one, valid). */
static int ymd_ok(const ymd_match *mt, int period)
{
    if (!period) return mt->has_m && mt->has_d && hd_date_valid(mt->y, mt->m, mt->d);
    if (mt->has_d) return mt->has_m && hd_date_valid(mt->y, mt->m, mt->d);
    return hd_date_valid(mt->y, mt->has_m ? mt->m : 1, 1);
}

/* The first of the '|'-separated formats s[0..n) matches (ymd_ok): 1 and
 * *mt, or 0. */
static int match_one_of(const char *s, size_t n, const char *formats, int period, ymd_match *mt)
{
    for (const char *f = formats;;) {
        const char *bar = strchr(f, '|');
        size_t fn = bar ? (size_t)(bar - f) : strlen(f);
        int fast = match_fast(s, n, f, fn, mt);
        if ((fast > 0 || (fast == 0 &&
             match_format(s, n, f, fn, &mt->y, &mt->m, &mt->d, &mt->has_m, &mt->has_d) == 0)) &&
            ymd_ok(mt, period))
            return 1;
        if (!bar) return 0;
        f = bar + 1;
    }
}

hd_reason hd_parse_date(const char *s, size_t n, const char *formats, hd_date *out)
{
    ymd_match mt;
    if (!match_one_of(s, n, formats ? formats : "%Y-%m-%d|%Y%m%d", 0, &mt)) return HD_R_DATE;
    *out = hd_date_from_ymd(mt.y, mt.m, mt.d);
    return HD_R_NONE;
}

hd_reason hd_parse_period(const char *s, size_t n, const char *formats, int32_t *period)
{
    ymd_match mt;
    if (!match_one_of(s, n, formats ? formats : "%Y|%Y-%m|%Y%m", 1, &mt)) return HD_R_PERIOD;
    *period = (int32_t)(mt.y * 100 + (mt.has_m ? mt.m : 0));
    return HD_R_NONE;
}

/* ------------------------------------------------------------------ known formats */

/* The formats hd_ymd_mask() knows, one bit each. A cell of the shape of
 * one of them can match no other of them (their lengths or their '-'
 * differ), so when every alternative of a field is one of these, the
 * shape alone says which alternative can match. */
enum { K_YMD_DASH = 1, K_YMD = 2, K_Y = 4, K_YM_DASH = 8, K_YM = 16 };

unsigned hd_ymd_mask(const char *formats, int period)
{
    if (!formats) formats = period ? "%Y|%Y-%m|%Y%m" : "%Y-%m-%d|%Y%m%d";
    unsigned mask = 0;
    for (const char *f = formats; ; ) {
        const char *bar = strchr(f, '|');
        size_t fn = bar ? (size_t)(bar - f) : strlen(f);
#define IS(lit) (fn == sizeof lit - 1 && memcmp(f, lit, fn) == 0)
        if (!period && IS("%Y-%m-%d")) mask |= K_YMD_DASH;
        else if (!period && IS("%Y%m%d")) mask |= K_YMD;
        else if (period && IS("%Y")) mask |= K_Y;
        else if (period && IS("%Y-%m")) mask |= K_YM_DASH;
        else if (period && IS("%Y%m")) mask |= K_YM;
        else return 0;
#undef IS
        if (!bar) return mask;
        f = bar + 1;
    }
}

static inline int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned)(unsigned char)s[i] - '0' > 9) return 0;
    return 1;
}

hd_reason hd_parse_date_mask(const char *s, size_t n, unsigned mask, const char *formats,
                             hd_date *out)
{
    int y, m, d;
    if (mask && n == 10 && s[4] == '-' && s[7] == '-' && all_digits(s, 4) &&
        all_digits(s + 5, 2) && all_digits(s + 8, 2)) {
        if (!(mask & K_YMD_DASH)) return HD_R_DATE;
        y = digits_n(s, 4); m = digits_n(s + 5, 2); d = digits_n(s + 8, 2);
    } else if (mask && n == 8 && all_digits(s, 8)) {
        if (!(mask & K_YMD)) return HD_R_DATE;
        y = digits_n(s, 4); m = digits_n(s + 4, 2); d = digits_n(s + 6, 2);
    } else {
        return hd_parse_date(s, n, formats, out);
    }
    if (!hd_date_valid(y, m, d)) return HD_R_DATE;
    *out = hd_date_from_ymd(y, m, d);
    return HD_R_NONE;
}

hd_reason hd_parse_period_mask(const char *s, size_t n, unsigned mask, const char *formats,
                               int32_t *period)
{
    int y, m;
    if (mask && n == 7 && s[4] == '-' && all_digits(s, 4) && all_digits(s + 5, 2)) {
        if (!(mask & K_YM_DASH)) return HD_R_PERIOD;
        y = digits_n(s, 4); m = digits_n(s + 5, 2);
    } else if (mask && n == 6 && all_digits(s, 6)) {
        if (!(mask & K_YM)) return HD_R_PERIOD;
        y = digits_n(s, 4); m = digits_n(s + 4, 2);
    } else if (mask && n == 4 && all_digits(s, 4)) {
        if (!(mask & K_Y)) return HD_R_PERIOD;
        y = digits_n(s, 4);
        if (!hd_date_valid(y, 1, 1)) return HD_R_PERIOD;
        *period = (int32_t)(y * 100);
        return HD_R_NONE;
    } else {
        return hd_parse_period(s, n, formats, period);
    }
    if (!hd_date_valid(y, m, 1)) return HD_R_PERIOD;
    *period = (int32_t)(y * 100 + m);
    return HD_R_NONE;
}

/* ------------------------------------------------------------------ UTF-8 */

/* Index of the first byte >= 0x80 in s[i..n), or n. */
static inline size_t skip_ascii(const unsigned char *s, size_t i, size_t n)
{
#ifdef __SSE2__
    while (i + 16 <= n) {
        int m = _mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i)));
        if (m) return i + (size_t)__builtin_ctz((unsigned)m);
        i += 16;
    }
#endif
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
    }
    while (i < n && s[i] < 0x80) i++;
    return i;
}

/* As skip_ascii(), and sets *nul when a 0 byte is passed over; reads
 * 16 bytes at a time while s[0..readable) allows, looks only at s[0..n). */
static inline size_t skip_ascii_nul(const unsigned char *s, size_t i, size_t n,
                                    size_t readable, int *nul)
{
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128();
    while (i < n && i + 16 <= readable) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        unsigned hi = (unsigned)_mm_movemask_epi8(v);
        unsigned zm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero));
        if (n - i < 16) {
            unsigned keep = (1u << (n - i)) - 1;
            hi &= keep;
            zm &= keep;
            if (!hi) { if (zm) *nul = 1; return n; }
        }
        if (hi) {
            unsigned k = (unsigned)__builtin_ctz(hi);
            if (zm & ((1u << k) - 1)) *nul = 1;
            return i + k;
        }
        if (zm) *nul = 1;
        i += 16;
    }
#endif
    for (; i < n && s[i] < 0x80; i++)
        if (s[i] == 0) *nul = 1;
    return i;
}

hd_reason hd_utf8_check(const char *str, size_t n, size_t readable)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    int nul = 0;
    if (readable < n) readable = n;
    /* i < lim: 3 bytes of the cell and 4 readable from i */
    const size_t lim = n >= 3 && readable >= 4 ? (n - 2 < readable - 3 ? n - 2 : readable - 3) : 0;
    (void)lim;
    for (;;) {
        i = skip_ascii_nul(s, i, n, readable, &nul);
        if (i >= n) return nul ? HD_R_NUL_BYTE : HD_R_NONE;
        while (i < n && s[i] >= 0x80) {
            /* the common case, Chinese text: a run of characters with a
             * lead byte E1..EC or EE..EF (no overlong or surrogate form
             * possible) and two continuation bytes, each tested with one
             * 32-bit load while 4 bytes are readable and 3 in the cell */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            while (i < lim) {
                uint32_t w;
                memcpy(&w, s + i, 4);
                unsigned lead = w & 0xFFu;
                if ((w & 0xC0C0F0u) != 0x8080E0u || lead == 0xE0 || lead == 0xED) break;
                i += 3;
            }
            if (i >= n || s[i] < 0x80) break;
#endif
            unsigned char c = s[i];
            if (c >= 0xE0 && c <= 0xEF) {
                if (i + 2 >= n) return HD_R_ENCODING;
                unsigned char c1 = s[i + 1];
                if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return HD_R_ENCODING;
                if (c == 0xE0 && c1 < 0xA0) return HD_R_ENCODING;
                if (c == 0xED && c1 > 0x9F) return HD_R_ENCODING;
                i += 3;
            } else if (c >= 0xC2 && c <= 0xDF) {
                if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return HD_R_ENCODING;
                i += 2;
            } else if (c >= 0xF0 && c <= 0xF4) {
                if (i + 3 >= n) return HD_R_ENCODING;
                unsigned char c1 = s[i + 1];
                if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                    (s[i + 3] & 0xC0) != 0x80) return HD_R_ENCODING;
                if (c == 0xF0 && c1 < 0x90) return HD_R_ENCODING;
                if (c == 0xF4 && c1 > 0x8F) return HD_R_ENCODING;
                i += 4;
            } else {
                return HD_R_ENCODING;
            }
        }
    }
}

int hd_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    for (;;) {
        i = skip_ascii(s, i, n);
        if (i >= n) return 1;
        /* a run of multi-byte characters (Chinese text) stays here */
        while (i < n && s[i] >= 0x80) {
            unsigned char c = s[i];
            if (c >= 0xE0 && c <= 0xEF) {
                if (i + 2 >= n) return 0;
                unsigned char c1 = s[i + 1];
                if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80) return 0;
                if (c == 0xE0 && c1 < 0xA0) return 0;          /* overlong */
                if (c == 0xED && c1 > 0x9F) return 0;          /* surrogate */
                i += 3;
            } else if (c >= 0xC2 && c <= 0xDF) {
                if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80) return 0;
                i += 2;
            } else if (c >= 0xF0 && c <= 0xF4) {
                if (i + 3 >= n) return 0;
                unsigned char c1 = s[i + 1];
                if ((c1 & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
                    (s[i + 3] & 0xC0) != 0x80) return 0;
                if (c == 0xF0 && c1 < 0x90) return 0;          /* overlong */
                if (c == 0xF4 && c1 > 0x8F) return 0;          /* > U+10FFFF */
                i += 4;
            } else {
                return 0;
            }
        }
    }
}

int hd_field_i64(const hd_field *f, int64_t *out)
{
    const char *s = f->p;
    size_t n = f->n, i = 0;
    int neg = 0;
    if (n && s[0] == '-') { neg = 1; i = 1; }
    if (i == n) return 0;
    int64_t x = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        if (x > (INT64_MAX - 9) / 10) return 0;
        x = x * 10 + (s[i] - '0');
    }
    *out = neg ? -x : x;
    return 1;
}
