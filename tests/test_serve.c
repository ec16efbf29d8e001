/*
 * test_serve.c — `hedui serve` end to end (SPEC §11): a generated province,
 * its index, then tests/serve_check.py against the real binary on
 * 127.0.0.1 (a free port chosen by the system): households checked over
 * HTTP agree with `hedui lookup`; credentials, bad bodies, 10,000 members,
 * a slow client; SIGHUP to a newer index under a bounded loop of requests
 * with no failed request; a truncated or foreign index and a public
 * address without TLS refused at start; mutual TLS with openssl-made
 * certificates; the access log holds no ID and no name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "testutil.h"

static char prov[4096];

static int shf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shf(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

START_TEST(serve_end_to_end)
{
    const char *bin = getenv("HEDUI_BIN");
    ck_assert_ptr_nonnull(bin);
    ck_assert_int_eq(shf("python3 scripts/gen-province.py %s --households 300 --background-factor 3 --seed 11 >/dev/null 2>&1", prov), 0);
    ck_assert_int_eq(shf("rm -rf %s/keys && '%s' keygen %s/keys >/dev/null", prov, bin, prov), 0);
    ck_assert_int_eq(shf("cd %s && '%s' -q index job.ini >/dev/null", prov, bin), 0);
    ck_assert_int_eq(shf("python3 tests/serve_check.py '%s' %s", bin, prov), 0);
}
END_TEST

int main(void)
{
    snprintf(prov, sizeof prov, "/tmp/hedui-serve-XXXXXX");
    if (!mkdtemp(prov)) return 1;
    Suite *s = suite_create("serve");
    TCase *t = tcase_create("serve");
    tcase_set_timeout(t, 900);
    tcase_add_test(t, serve_end_to_end);
    suite_add_tcase(s, t);
    int rc = td_run(s);
    if (rc == 0 && !getenv("HEDUI_KEEP")) shf("rm -rf %s", prov);
    return rc;
}
