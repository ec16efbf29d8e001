/*
 * fold.c — the Names form of SPEC §6 "Names": Unicode NFKC (utf8proc)
 * with the trim-set characters (SPEC §6 "Values": space, tab, CR, U+00A0,
 * U+200B, U+FEFF, U+3000) and the separator dots of minority names
 * (U+00B7, U+2022, U+2027, U+30FB, U+FF0E, U+FF65, '.') removed wherever
 * they stand. NFKC already folds full-width letters and digits, U+3000 and
 * U+00A0 to their plain forms; the removal runs after it so that both the
 * original and the folded forms go.
 *
 * Used to compare names (NAME_MISMATCH, rules/names.c) and to make text
 * tokens of auditor files (SPEC §8, ident/hash.c): one form for both.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "hedui/text.h"

static int removed(utf8proc_int32_t c)
{
    switch (c) {
    case ' ': case '\t': case '\r': case 0x00A0: case 0x200B: case 0xFEFF: case 0x3000:
    case '.': case 0x00B7: case 0x2022: case 0x2027: case 0x30FB: case 0xFF0E: case 0xFF65:
        return 1;
    }
    return 0;
}

char *hd_name_fold(const char *s, size_t n, size_t *out_n)
{
    utf8proc_uint8_t *m = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)(s ? s : ""), s ? (utf8proc_ssize_t)n : 0, &m,
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
    m[o] = 0;
    *out_n = (size_t)o;
    return (char *)m;
}
