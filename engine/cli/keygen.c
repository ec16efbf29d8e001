/*
 * keygen.c — `hedui keygen DIR` (SPEC §1): the centre's master key and an
 * Ed25519 signing key pair (hd_keygen); `hedui keygen --provider NAME --key
 * MASTER OUT` (SPEC §8): a provider key file derived from the master
 * (hd_keygen_provider). Prints paths and key ids, never key material.
 */
#include <stdio.h>
#include <stdlib.h>
#include "cli/cli.h"

typedef struct opts { const char *provider, *key; } opts;
enum { OPT_PROVIDER = 1, OPT_KEY };

static int on_opt(void *user, int id, const char *arg)
{
    opts *o = user;
    if (id == OPT_PROVIDER) o->provider = arg;
    else if (id == OPT_KEY) o->key = arg;
    return 0;
}

int cmd_keygen(int argc, char **argv)
{
    static const cli_optdef defs[] = {
        { "--provider", 1, OPT_PROVIDER }, { "--key", 1, OPT_KEY }, { NULL, 0, 0 }
    };
    opts o = { NULL, NULL };
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("keygen", argc, argv, defs, on_opt, &o, pos, &npos);
    if (rc == 0 && !o.provider != !o.key)
        rc = cli_usage("keygen", o.provider ? "--provider needs --key MASTER (the centre's pseudonym.key)"
                                            : "--key MASTER goes with --provider NAME");
    if (rc == 0 && npos != 1)
        rc = npos ? cli_usage("keygen", "keygen takes one %s, not %d arguments", o.provider ? "OUT" : "directory", npos)
                  : cli_usage("keygen", o.provider ? "missing OUT" : "missing DIR");
    if (rc) { free(pos); return rc; }
    const char *dir = pos[0];
    free(pos);
    hd_error err;
    hd_error_clear(&err);
    if (o.provider) {
        char id[64];
        if ((rc = hd_keygen_provider(o.key, o.provider, dir, id, &err)) != HD_OK) return cli_fail(&err);
        if (g_cli.quiet) return HD_OK;
        printf("%s   provider key for %s, id %s (mode 0600)\n", dir, o.provider, id);
        printf("Hand it to %s over a channel you trust, for 'hedui tokenize --key'. In the job, the\n"
               "source that reads its extracts has id_form = token and provider = %s (or is named so).\n",
               o.provider, o.provider);
        return HD_OK;
    }
    if ((rc = hd_keygen(dir, &err)) != HD_OK) return cli_fail(&err);
    if (g_cli.quiet) return HD_OK;
    char p[4200];
    hd_key key;
    snprintf(p, sizeof p, "%s/pseudonym.key", dir);
    int have_id = hd_key_load(&key, p, NULL) == HD_OK;
    printf("%s/pseudonym.key     the centre's master key%s%s%s (mode 0600)\n", dir,
           have_id ? ", id " : "", have_id ? key.id : "", "");
    if (have_id) hd_key_wipe(&key);
    printf("%s/signing.pem       Ed25519 private signing key (mode 0600)\n", dir);
    printf("%s/signing.pub.pem   Ed25519 public key (mode 0644): give it to auditors\n", dir);
    printf("Keep pseudonym.key and signing.pem secret, inside the centre: every token is made with a\n"
           "key derived from pseudonym.key; whoever holds signing.pem can sign a forged manifest.\n"
           "Data providers get their own key: hedui keygen --provider NAME --key %s OUT\n", p);
    return HD_OK;
}
