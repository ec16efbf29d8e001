/*
 * keygen.c — `hedui keygen DIR` (SPEC §1): a new pseudonymisation key and
 * an Ed25519 signing key pair (hd_keygen). Prints the three paths and the
 * key id, never key material.
 */
#include <stdio.h>
#include <stdlib.h>
#include "cli/cli.h"

int cmd_keygen(int argc, char **argv)
{
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("keygen", argc, argv, NULL, NULL, NULL, pos, &npos);
    if (rc == 0 && npos != 1)
        rc = npos ? cli_usage("keygen", "keygen takes one directory, not %d arguments", npos)
                  : cli_usage("keygen", "missing DIR");
    if (rc) { free(pos); return rc; }
    const char *dir = pos[0];
    free(pos);
    hd_error err;
    hd_error_clear(&err);
    if ((rc = hd_keygen(dir, &err)) != HD_OK) return cli_fail(&err);
    if (g_cli.quiet) return HD_OK;
    char p[4200];
    hd_key key;
    snprintf(p, sizeof p, "%s/pseudonym.key", dir);
    int have_id = hd_key_load(&key, p, NULL) == HD_OK;
    printf("%s/pseudonym.key     pseudonymisation key%s%s%s (mode 0600)\n", dir,
           have_id ? ", id " : "", have_id ? key.id : "", "");
    if (have_id) hd_key_wipe(&key);
    printf("%s/signing.pem       Ed25519 private signing key (mode 0600)\n", dir);
    printf("%s/signing.pub.pem   Ed25519 public key (mode 0644): give it to auditors\n", dir);
    printf("Keep pseudonym.key and signing.pem secret: whoever holds pseudonym.key can test any\n"
           "ID number against the tokens, whoever holds signing.pem can sign a forged manifest.\n");
    return HD_OK;
}
