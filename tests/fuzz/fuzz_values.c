/* fuzz_values — every value parser over the whole input: money in each
 * unit, dates (default formats, a fixed custom list, and a format list
 * taken from the input before its first 0x01 byte), area, shares in each
 * unit, periods, hd_cell_clean, hd_trim. Results must stay inside the
 * input and in range. */
#include "fuzz_common.h"
#include "hedui/text.h"

static void check_date(hd_date t)
{
    int y, m, d;
    hd_date_to_ymd(t, &y, &m, &d);
    FZ_ASSERT(hd_date_valid(y, m, d));
    char out[11];
    hd_date_format(t, out);
    FZ_ASSERT(strlen(out) == 10);
}

static void check_period(int32_t p)
{
    int y = p / 100, m = p % 100;
    FZ_ASSERT(y >= 0 && y <= 9999 && m >= 0 && m <= 12);
}

static void one(const char *s, size_t n, const char *fmts)
{
    int64_t v;
    int32_t bp, per;
    hd_date t;
    for (int u = HD_MONEY_FEN; u <= HD_MONEY_WAN; u++) (void)hd_parse_money(s, n, (hd_money_unit)u, &v);
    if (hd_parse_date(s, n, NULL, &t) == HD_R_NONE) check_date(t);
    if (hd_parse_date(s, n, "%d/%m/%Y|%Y年%m月%d日|%Y.%m.%d|%%%Y%m%d", &t) == HD_R_NONE) check_date(t);
    if (fmts && hd_parse_date(s, n, fmts, &t) == HD_R_NONE) check_date(t);
    if (hd_parse_area(s, n, &v) == HD_R_NONE) FZ_ASSERT(v >= 0);
    for (int u = HD_SHARE_BP; u <= HD_SHARE_FRACTION; u++)
        if (hd_parse_share(s, n, (hd_share_unit)u, &bp) == HD_R_NONE) FZ_ASSERT(bp >= 0 && bp <= 10000);
    if (hd_parse_period(s, n, NULL, &per) == HD_R_NONE) check_period(per);
    if (fmts && hd_parse_period(s, n, fmts, &per) == HD_R_NONE) check_period(per);
    (void)hd_utf8_valid(s, n);
    const char *p = s; size_t m = n;
    hd_cell_clean(&p, &m);
    FZ_ASSERT(p >= s && p + m <= s + n);
    p = s; m = n;
    hd_trim(&p, &m);
    FZ_ASSERT(p >= s && p + m <= s + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size heap copy so that ASan sees reads past the end */
    char *s = malloc(size ? size : 1);
    memcpy(s, data, size);
    one(s, size, NULL);
    const uint8_t *cut = memchr(data, 0x01, size);
    if (cut) {
        size_t fl = (size_t)(cut - data);
        char *fmts = malloc(fl + 1);
        memcpy(fmts, data, fl);
        fmts[fl] = 0;
        size_t vn = size - fl - 1;
        char *v = malloc(vn ? vn : 1);
        memcpy(v, cut + 1, vn);
        one(v, vn, fmts);
        free(v);
        free(fmts);
    }
    free(s);
    return 0;
}
