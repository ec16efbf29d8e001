/*
 * names.c — name comparison for NAME_MISMATCH (SPEC §6 "Names"): two names
 * are the same when their Names forms (hd_name_fold, text/fold.c: NFKC,
 * trim set and separator dots removed) are equal.
 */
#include <stdlib.h>
#include <string.h>
#include "hedui/rules.h"
#include "hedui/text.h"

int hd_names_equal(const char *a, size_t an, const char *b, size_t bn)
{
    if (a && b && an == bn && memcmp(a, b, an) == 0) return 1;   /* the usual case */
    size_t x = 0, y = 0;
    char *fa = hd_name_fold(a ? a : "", a ? an : 0, &x);
    char *fb = hd_name_fold(b ? b : "", b ? bn : 0, &y);
    int eq;
    if (fa && fb) eq = x == y && memcmp(fa, fb, x) == 0;
    else eq = an == bn && (an == 0 || memcmp(a, b, an) == 0);   /* invalid UTF-8: bytes */
    free(fa);
    free(fb);
    return eq;
}
