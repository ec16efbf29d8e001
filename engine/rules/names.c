/*
 * names.c — name comparison for NAME_MISMATCH (SPEC §6 "Names").
 *
 * Two names are the same when they are equal after Unicode NFKC (utf8proc)
 * with the trim-set characters (SPEC §6 "Values": space, tab, CR, U+00A0,
 * U+200B, U+FEFF, U+3000) and the separator dots of minority names
 * (U+00B7, U+2022, U+2027, U+30FB, U+FF0E, U+FF65, '.') removed wherever
 * they stand. NFKC already folds full-width letters and digits, U+3000 and
 * U+00A0 to their plain forms; the removal runs after it so that both the
 * original and the folded forms go.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "hedui/rules.h"

static int removed(utf8proc_int32_t c)
{
    switch (c) {
    case ' ': case '\t': case '\r': case 0x00A0: case 0x200B: case 0xFEFF: case 0x3000:
    case '.': case 0x00B7: case 0x2022: case 0x2027: case 0x30FB: case 0xFF0E: case 0xFF65:
        return 1;
    }
    return 0;
}

/* NFKC of s[0..n) with the removed characters dropped, malloc'd, its
 * length in *out_n; NULL when s is not valid UTF-8 or memory runs out. */
static utf8proc_uint8_t *fold(const char *s, size_t n, size_t *out_n)
{
    utf8proc_uint8_t *m = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &m,
                                      UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE);
    if (r < 0) return NULL;
    if (!m && !(m = malloc(1))) return NULL;
    utf8proc_ssize_t i = 0, o = 0;
    while (i < r) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(m + i, r - i, &c);
        if (k <= 0) { free(m); return NULL; }
        if (!removed(c)) { memmove(m + o, m + i, (size_t)k); o += k; }
        i += k;
    }
    *out_n = (size_t)o;
    return m;
}

int hd_names_equal(const char *a, size_t an, const char *b, size_t bn)
{
    if (a && b && an == bn && memcmp(a, b, an) == 0) return 1;   /* the usual case */
    size_t x = 0, y = 0;
    utf8proc_uint8_t *fa = fold(a ? a : "", a ? an : 0, &x);
    utf8proc_uint8_t *fb = fold(b ? b : "", b ? bn : 0, &y);
    int eq;
    if (fa && fb) eq = x == y && memcmp(fa, fb, x) == 0;
    else eq = an == bn && (an == 0 || memcmp(a, b, an) == 0);   /* invalid UTF-8: bytes */
    free(fa);
    free(fb);
    return eq;
}

char *hd_name_fold(const char *s, size_t n, size_t *out_n)
{
    size_t k = 0;
    utf8proc_uint8_t *f = fold(s ? s : "", s ? n : 0, &k);
    if (!f) {                       /* not UTF-8: the bytes themselves */
        f = malloc(n + 1);
        if (!f) return NULL;
        if (n) memcpy(f, s, n);
        k = n;
    } else {
        utf8proc_uint8_t *g = realloc(f, k + 1);
        if (!g) { free(f); return NULL; }
        f = g;
    }
    f[k] = 0;
    *out_n = k;
    return (char *)f;
}
