/* testutil.h — small helpers shared by the Check suites (header-only). */
#ifndef HEDUI_TESTUTIL_H
#define HEDUI_TESTUTIL_H
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Path under the public test vectors copied into the repository
 * (tests/vectors/, each set with its SOURCES.md); $HEDUI_TESTDATA, set by the
 * Makefile, may point elsewhere. The suites run from the repository root.
 * Returns a static buffer. */
static inline const char *td_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("HEDUI_TESTDATA");
    if (!root || !*root) root = "tests/vectors";
    snprintf(buf, sizeof buf, "%s/%s", root, rel);
    return buf;
}

/* Reads a whole file into a malloc'd NUL-terminated buffer; *len gets its
 * size. Fails the test when it cannot. Caller frees. */
static inline char *td_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert(b != NULL);
    ck_assert_int_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return b;
}

/* Runs one suite; returns the process exit status. */
static inline int td_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
#endif
