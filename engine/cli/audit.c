/*
 * audit.c — `hedui audit verify [--pubkey PEM] DIR` (SPEC §1, §5): checks
 * the manifest signature and every listed file (hd_audit_verify_ex).
 * stdout: `FAIL: <what>` per failure, then one result line.
 * Exit 0 only if everything holds; 65 otherwise; 66 no directory/manifest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "hedui/verify.h"

enum { OPT_PUBKEY = 1 };

static int on_opt(void *user, int id, const char *arg)
{
    if (id == OPT_PUBKEY) *(const char **)user = arg;
    return 0;
}

static void on_fail(void *user, const char *msg)
{
    (void)user;
    printf("FAIL: %s\n", msg);
}

int cmd_audit(int argc, char **argv)
{
    static const cli_optdef defs[] = { { "--pubkey", 1, OPT_PUBKEY }, { NULL, 0, 0 } };
    const char *pub = NULL;
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("audit", argc, argv, defs, on_opt, &pub, pos, &npos);
    if (rc == 0 && (npos == 0 || strcmp(pos[0], "verify") != 0))
        rc = npos ? cli_usage("audit", "unknown audit command '%s' (audit verify DIR)", pos[0])
                  : cli_usage("audit", "missing 'verify DIR'");
    if (rc == 0 && npos != 2)
        rc = npos < 2 ? cli_usage("audit", "missing DIR") : cli_usage("audit", "audit verify takes one DIR");
    if (rc) { free(pos); return rc; }
    const char *dir = pos[1];
    free(pos);

    hd_verify_result r;
    hd_error err;
    hd_error_clear(&err);
    rc = hd_audit_verify_ex(dir, pub, 0, on_fail, NULL, &r, &err);
    fflush(stdout);
    if (rc != HD_OK && rc != HD_EDATA) return cli_fail(&err);
    if (r.signature_checked && r.own_key)
        cli_log(HD_LOG_WARN, "own_key",
                "checked against the bundle's own signing.pub.pem: this proves integrity (the bundle is "
                "intact), not origin (who made it); give --pubkey with the centre's published key");
    if (rc == HD_OK)
        printf("OK: %s: signature good, %llu files verified\n", dir, (unsigned long long)r.files_ok);
    else
        printf("FAILED: %s: %llu problems\n", dir, (unsigned long long)r.failures);
    fflush(stdout);
    return rc;
}
