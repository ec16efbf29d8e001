/*
 * id.c — resident ID numbers (GB 11643-1999), GB/T 2260 division lookup and
 * masking. See include/hedui/ident.h and docs/ids.md.
 *
 * Design: hd_id_normalise() is on the hot path (one call per extract row),
 * so it works in one pass over the cell with no allocation: trim, then map
 * each character (ASCII digit, full-width digit, x/X/Ｘ/ｘ) into a 19-byte
 * buffer, then check. Everything it needs (trim set, calendar arithmetic)
 * is private to this file so that engine/ident does not depend on
 * engine/text.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "hedui/ident.h"
#include "hedui/text.h"
#include "ident/divisions_table.h"

/* ------------------------------------------------------------ trimming */

/* Length of the trim-set character at the start of s[0..n), or 0.
 * Trim set (SPEC §6 "Values"): ASCII space, tab, CR, U+00A0, U+200B,
 * U+FEFF, U+3000. */
static size_t trim_head(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r')) return 1;
    if (n >= 2 && s[0] == 0xC2 && s[1] == 0xA0) return 2;            /* U+00A0 */
    if (n >= 3 && s[0] == 0xE2 && s[1] == 0x80 && s[2] == 0x8B) return 3; /* U+200B */
    if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) return 3; /* U+FEFF */
    if (n >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80) return 3; /* U+3000 */
    return 0;
}

/* Length of the trim-set character at the end of s[0..n), or 0. */
static size_t trim_tail(const unsigned char *s, size_t n)
{
    if (n >= 1 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) return 1;
    if (n >= 2 && s[n - 2] == 0xC2 && s[n - 1] == 0xA0) return 2;
    if (n >= 3) {
        const unsigned char *t = s + n - 3;
        if (t[0] == 0xE2 && t[1] == 0x80 && t[2] == 0x8B) return 3;
        if (t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF) return 3;
        if (t[0] == 0xE3 && t[1] == 0x80 && t[2] == 0x80) return 3;
    }
    return 0;
}

/* Private trim, same set as hd_trim() of hedui/text.h (kept here so that
 * engine/ident does not depend on engine/text). */
static void id_trim(const char **s, size_t *n)
{
    const unsigned char *p = (const unsigned char *)*s;
    size_t len = *n, k;
    while ((k = trim_head(p, len)) != 0) { p += k; len -= k; }
    while ((k = trim_tail(p, len)) != 0) len -= k;
    *s = (const char *)p;
    *n = len;
}

/* ------------------------------------------------------------ calendar */

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a valid proleptic Gregorian y-m-d (H. Hinnant's
 * days_from_civil). Same scale as hd_date of hedui/text.h. */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

/* ------------------------------------------------------------ ID numbers */

/* ISO 7064 MOD 11-2 (GB 11643-1999 §5.4): weights 2^(17-i) mod 11. */
char hd_id_check_char(const char body17[17])
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char map[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };
    int sum = 0;
    for (int i = 0; i < 17; i++) sum += (body17[i] - '0') * w[i];
    return map[sum % 11];
}

/* 1 if the first two digits are a province (SPEC §6 "Provinces"). */
static int province_ok(const char *s)
{
    int p = (s[0] - '0') * 10 + (s[1] - '0');
    return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37)
        || (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65)
        || p == 71 || p == 81 || p == 82 || p == 83;
}

/*
 * Maps the trimmed cell to ASCII in out[0..*len): ASCII digits as they are,
 * full-width digits U+FF10..U+FF19 to '0'..'9', 'x', 'X', 'Ｘ' (U+FF38) and
 * 'ｘ' (U+FF58) to 'X'. Returns 0 at the first other character or when more
 * than 18 characters come (ID_FORMAT).
 */
static int map_chars(const unsigned char *s, size_t n, char out[19], size_t *len)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        char c;
        if (s[i] >= '0' && s[i] <= '9') { c = (char)s[i]; i += 1; }
        else if (s[i] == 'x' || s[i] == 'X') { c = 'X'; i += 1; }
        else if (i + 2 < n && s[i] == 0xEF && s[i + 1] == 0xBC
                 && s[i + 2] >= 0x90 && s[i + 2] <= 0x99) {
            c = (char)('0' + (s[i + 2] - 0x90)); i += 3;        /* U+FF10..FF19 */
        } else if (i + 2 < n && s[i] == 0xEF && s[i + 1] == 0xBC && s[i + 2] == 0xB8) {
            c = 'X'; i += 3;                                    /* U+FF38 Ｘ */
        } else if (i + 2 < n && s[i] == 0xEF && s[i + 1] == 0xBD && s[i + 2] == 0x98) {
            c = 'X'; i += 3;                                    /* U+FF58 ｘ */
        } else return 0;
        if (k == 18) return 0;
        out[k++] = c;
    }
    *len = k;
    return 1;
}

/* 1 for the first two digits (00..99) that are a province (SPEC §6). */
static const unsigned char province_table[100] = {
    [11] = 1, [12] = 1, [13] = 1, [14] = 1, [15] = 1,
    [21] = 1, [22] = 1, [23] = 1,
    [31] = 1, [32] = 1, [33] = 1, [34] = 1, [35] = 1, [36] = 1, [37] = 1,
    [41] = 1, [42] = 1, [43] = 1, [44] = 1, [45] = 1, [46] = 1,
    [50] = 1, [51] = 1, [52] = 1, [53] = 1, [54] = 1,
    [61] = 1, [62] = 1, [63] = 1, [64] = 1, [65] = 1,
    [71] = 1, [81] = 1, [82] = 1, [83] = 1,
};

/* 1 if the byte can neither start nor end a trim-set character, i.e. the
 * cell needs no trimming at that end (see trim_head / trim_tail). */
static int plain_first(unsigned char c) { return c > ' ' && c < 0x80; }

/*
 * The common case of the hot path: a cell of exactly 18 ASCII characters,
 * 17 digits and a digit or x/X, nothing to trim. Same checks, same order
 * and same results as the general path below, in one pass.
 * @return 1 when it applies (*r set), 0 to take the general path.
 */
static int id_fast18(const unsigned char *s, size_t n, hd_date as_of, hd_id *out,
                     hd_reason *r)
{
    static const unsigned char w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    static const char map[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };
    if (n != 18) return 0;
    unsigned sum = 0;
#ifdef __SSE2__
    /* the first 16 digits at once: all '0'..'9', then the weighted sum
     * with pmaddwd (8 x 16-bit products summed in pairs) */
    __m128i v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)(const void *)s),
                             _mm_set1_epi8('0'));
    __m128i nine = _mm_set1_epi8(9);
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, nine), nine)) != 0xFFFF) return 0;
    unsigned d16 = (unsigned)s[16] - '0';
    if (d16 > 9) return 0;
    const __m128i zero = _mm_setzero_si128();
    __m128i acc = _mm_add_epi32(
        _mm_madd_epi16(_mm_unpacklo_epi8(v, zero), _mm_setr_epi16(7, 9, 10, 5, 8, 4, 2, 1)),
        _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), _mm_setr_epi16(6, 3, 7, 9, 10, 5, 8, 4)));
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(1, 0, 3, 2)));
    acc = _mm_add_epi32(acc, _mm_shuffle_epi32(acc, _MM_SHUFFLE(2, 3, 0, 1)));
    sum = (unsigned)_mm_cvtsi128_si32(acc) + d16 * w[16];
#else
    for (int i = 0; i < 17; i++) {
        unsigned d = (unsigned)s[i] - '0';
        if (d > 9) return 0;
        sum += d * w[i];
    }
#endif
    char last = (char)s[17];
    if (last == 'x') last = 'X';
    else if (last != 'X' && (last < '0' || last > '9')) return 0;
    if (map[sum % 11] != last) { *r = HD_R_ID_CHECK; return 1; }
    memcpy(out->s, s, 17);
    out->s[17] = last;
    out->s[18] = '\0';
    const char *d = out->s + 6;
    int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    int m = (d[4] - '0') * 10 + (d[5] - '0');
    int dd = (d[6] - '0') * 10 + (d[7] - '0');
    /* A birth year before 1970 + as_of / 366 is before as_of's year (no
     * year has more than 366 days): no day count needed then. */
    if (y < 1800 || m < 1 || m > 12 || dd < 1 || dd > days_in_month(y, m) ||
        (as_of != HD_DATE_NONE && !(as_of >= 0 && y < 1970 + as_of / 366) &&
         days_from_civil(y, m, dd) > as_of)) {
        *r = HD_R_ID_DATE;
        return 1;
    }
    *r = province_table[(s[0] - '0') * 10 + (s[1] - '0')] ? HD_R_NONE : HD_R_ID_PROVINCE;
    return 1;
}

hd_reason hd_id_normalise(const char *s, size_t n, hd_date as_of, hd_id *out)
{
    char buf[19];
    size_t len = 0;

    if (s == NULL) n = 0;
    if (n == 18 && plain_first((unsigned char)s[0]) && plain_first((unsigned char)s[17])) {
        hd_reason r;
        if (id_fast18((const unsigned char *)s, n, as_of, out, &r)) return r;
    }
    if (n) id_trim(&s, &n);
    if (hd_is_excel_mangled(s, n)) return HD_R_EXCEL_MANGLED;
    if (!map_chars((const unsigned char *)s, n, buf, &len)) return HD_R_ID_FORMAT;

    if (len == 15) {
        /* GB 11643-1989: 6 division, yymmdd, 3 sequence, no check char.
         * Century 19, except sequence 996-999 (centenarians: 18). */
        for (size_t i = 0; i < 15; i++)
            if (buf[i] == 'X') return HD_R_ID_FORMAT;
        int seq = (buf[12] - '0') * 100 + (buf[13] - '0') * 10 + (buf[14] - '0');
        char w[18];
        memcpy(w, buf, 6);
        w[6] = '1';
        w[7] = seq >= 996 ? '8' : '9';
        memcpy(w + 8, buf + 6, 9);
        w[17] = hd_id_check_char(w);
        memcpy(out->s, w, 18);
        out->s[18] = '\0';
    } else if (len == 18) {
        for (size_t i = 0; i < 17; i++)
            if (buf[i] == 'X') return HD_R_ID_FORMAT;
        if (hd_id_check_char(buf) != buf[17]) return HD_R_ID_CHECK;
        memcpy(out->s, buf, 18);
        out->s[18] = '\0';
    } else {
        return HD_R_ID_FORMAT;
    }

    /* Birth date: digits 7-14 (YYYYMMDD). Years before 1800 cannot be
     * encoded by either edition (1989's earliest century is 18), so they
     * are impossible; see docs/ids.md. */
    const char *d = out->s + 6;
    int y = (d[0] - '0') * 1000 + (d[1] - '0') * 100 + (d[2] - '0') * 10 + (d[3] - '0');
    int m = (d[4] - '0') * 10 + (d[5] - '0');
    int dd = (d[6] - '0') * 10 + (d[7] - '0');
    if (y < 1800 || m < 1 || m > 12 || dd < 1 || dd > days_in_month(y, m))
        return HD_R_ID_DATE;
    if (as_of != HD_DATE_NONE && days_from_civil(y, m, dd) > as_of)
        return HD_R_ID_DATE;

    if (!province_ok(out->s)) return HD_R_ID_PROVINCE;
    return HD_R_NONE;
}

/* ------------------------------------------------------------ near misses */

int hd_id_near_candidates(const char *s, size_t n, hd_id_near out[HD_NEAR_MAX])
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    char buf[19];
    size_t len = 0;
    if (s == NULL) return 0;
    id_trim(&s, &n);
    if (!map_chars((const unsigned char *)s, n, buf, &len) || len != 18) return 0;
    for (size_t i = 0; i < 17; i++) if (buf[i] == 'X') return 0;
    buf[18] = '\0';
    int sum = 0;
    for (int i = 0; i < 17; i++) sum += (buf[i] - '0') * w[i];
    const char want = buf[17];
    int k = 0;
    /* one substitution in the body: the digit at i that makes the check
     * character come out as written (at most one: 11 is prime and every
     * weight is prime to it) */
    for (int i = 0; i < 17; i++) {
        int base = sum - (buf[i] - '0') * w[i];
        for (int d = 0; d <= 9; d++) {
            if (d == buf[i] - '0') continue;
            static const char map[11] = { '1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2' };
            if (map[(base + d * w[i]) % 11] != want) continue;
            memcpy(out[k].id.s, buf, 19);
            out[k].id.s[i] = (char)('0' + d);
            out[k].kind = HD_NEAR_SUBST; out[k].pos = (uint8_t)i; out[k].row_char = buf[i];
            k++;
            break;
        }
    }
    /* the check character itself written wrong */
    memcpy(out[k].id.s, buf, 19);
    out[k].id.s[17] = hd_id_check_char(buf);
    out[k].kind = HD_NEAR_SUBST; out[k].pos = 17; out[k].row_char = want;
    if (out[k].id.s[17] != want) k++;
    /* one swap of two adjacent, different characters */
    for (int i = 0; i < 17; i++) {
        if (buf[i] == buf[i + 1] || (i == 16 && buf[17] == 'X')) continue;
        char c[19];
        memcpy(c, buf, 19);
        c[i] = buf[i + 1]; c[i + 1] = buf[i];
        if (hd_id_check_char(c) != c[17]) continue;
        memcpy(out[k].id.s, c, 19);
        out[k].kind = HD_NEAR_SWAP; out[k].pos = (uint8_t)i; out[k].row_char = 0;
        k++;
    }
    return k;
}

/* ------------------------------------------------------------ divisions */

static const hd_division_row *division_find(const char code6[6])
{
    size_t lo = 0, hi = hd_division_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(hd_division_rows[mid].code, code6, 6);
        if (c == 0) return &hd_division_rows[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return NULL;
}

static int six_digits(const char code6[6])
{
    for (int i = 0; i < 6; i++)
        if (code6[i] < '0' || code6[i] > '9') return 0;
    return 1;
}

int hd_division_known(const char code6[6])
{
    if (code6 == NULL || !six_digits(code6)) return 0;
    if (division_find(code6)) return 1;
    /* Yunnan: county lists 1980-2023 are shipped, so only an exact code
     * counts. Elsewhere only provinces and prefectures are shipped. */
    if (code6[0] == '5' && code6[1] == '3') return 0;
    char up[6];
    memcpy(up, code6, 4);
    up[4] = up[5] = '0';
    if (division_find(up)) return 1;                  /* prefecture */
    up[2] = up[3] = '0';
    return division_find(up) != NULL;                 /* province */
}

const char *hd_division_name(const char code6[6])
{
    if (code6 == NULL || !six_digits(code6)) return NULL;
    const hd_division_row *r = division_find(code6);
    return r ? r->name : NULL;
}

/* ------------------------------------------------------------ masking */

void hd_id_mask(const hd_id *id, char out[19])
{
    memcpy(out, id->s, 6);
    memset(out + 6, '*', 8);
    memcpy(out + 14, id->s + 14, 4);
    out[18] = '\0';
}

void hd_account_mask(const char *s, size_t n, char *out, size_t cap)
{
    if (cap == 0) return;
    out[0] = '\0';
    if (s == NULL || n == 0) return;
    /* start of the last four UTF-8 characters (continuation bytes are
     * 10xxxxxx), so that a multibyte character is never split */
    size_t start = n;
    for (int chars = 0; start > 0 && chars < 4;) {
        start--;
        if (((unsigned char)s[start] & 0xC0) != 0x80) chars++;
    }
    size_t k = 0;
    for (int i = 0; i < 4 && k + 1 < cap; i++) out[k++] = '*';
    size_t tail = n - start;
    if (k + tail + 1 > cap) {     /* no room: mask only, never a partial tail */
        out[k] = '\0';
        return;
    }
    memcpy(out + k, s + start, tail);
    out[k + tail] = '\0';
}
