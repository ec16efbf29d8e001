/*
 * lookup.c — `hedui lookup --index DIR --key KEY FILE` (SPEC §11): judges
 * the households of FILE (the applicants format) against an index with
 * its policy and as_of; one JSON object per household on stdout. Thin:
 * hd_ix_open -> hd_ix_lookup_file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "hedui/index.h"

enum { OPT_INDEX = 1, OPT_KEY, OPT_POPULATION };
struct lopts { const char *index, *key, *population; };

static int on_opt(void *user, int id, const char *arg)
{
    struct lopts *o = user;
    if (id == OPT_INDEX) o->index = arg;
    else if (id == OPT_KEY) o->key = arg;
    else o->population = arg;
    return 0;
}

int cmd_lookup(int argc, char **argv)
{
    static const cli_optdef defs[] = { { "--index", 1, OPT_INDEX }, { "--key", 1, OPT_KEY },
                                       { "--population", 1, OPT_POPULATION }, { NULL, 0, 0 } };
    struct lopts lo = {0};
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("lookup", argc, argv, defs, on_opt, &lo, pos, &npos);
    if (rc == 0 && (!lo.index || !lo.key)) rc = cli_usage("lookup", "--index DIR and --key KEY are required");
    if (rc == 0 && npos != 1)
        rc = npos ? cli_usage("lookup", "lookup takes one applicants file, not %d arguments", npos)
                  : cli_usage("lookup", "missing FILE");
    /* SPEC §10: the population FILE's households belong to (the run's
     * applicants, roster or monitor files) */
    int population = HD_POP_APPLICANT;
    if (rc == 0 && lo.population) {
        population = -1;
        for (int p = 0; p < HD_POP__COUNT; p++)
            if (!strcmp(lo.population, hd_population_name(p))) population = p;
        if (population < 0)
            rc = cli_usage("lookup", "--population must be applicant, recipient or monitored, not '%s'", lo.population);
    }
    if (rc) { free(pos); return rc; }
    hd_error err;
    hd_error_clear(&err);
    hd_key key;
    hd_ix *ix = NULL;
    if ((rc = hd_key_load_master(&key, lo.key, &err)) != HD_OK) { free(pos); return cli_fail(&err); }
    rc = hd_ix_open(&ix, lo.index, &key, &err);
    hd_key_wipe(&key);
    if (rc != HD_OK) { free(pos); return cli_fail(&err); }
    rc = hd_ix_lookup_file(ix, pos[0], population, stdout, &err);
    free(pos);
    hd_ix_close(ix);
    if (rc == HD_EDAMAGED) { cli_log(HD_LOG_ERROR, "lookup_damaged", "%s", err.message); return rc; }
    return rc == HD_OK ? HD_OK : cli_fail(&err);
}
