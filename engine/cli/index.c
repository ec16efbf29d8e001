/*
 * index.c — `hedui index [--force] [--memory MIB] JOB.ini` (SPEC §11): the
 * index of the job's sources for instant checks (hd_index_build). Thin:
 * options -> hd_index_build -> a few lines on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "hedui/index.h"

enum { OPT_FORCE = 1, OPT_MEMORY };

struct iopts { int force; uint64_t memory; };

static int on_opt(void *user, int id, const char *arg)
{
    struct iopts *o = user;
    if (id == OPT_FORCE) { o->force = 1; return 0; }
    char *end;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*arg < '0' || *arg > '9' || *end || v < 1 || v > (1ull << 30))
        return cli_usage("index", "--memory takes a number of MiB (1 or more), not '%s'", arg);
    o->memory = (uint64_t)v << 20;
    return 0;
}

int cmd_index(int argc, char **argv)
{
    static const cli_optdef defs[] = { { "--force", 0, OPT_FORCE }, { "--memory", 1, OPT_MEMORY }, { NULL, 0, 0 } };
    struct iopts io = {0};
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("index", argc, argv, defs, on_opt, &io, pos, &npos);
    if (rc == 0 && npos != 1)
        rc = npos ? cli_usage("index", "index takes one job file, not %d arguments", npos)
                  : cli_usage("index", "missing JOB.ini");
    if (rc) { free(pos); return rc; }
    hd_index_opts o = {0};
    o.threads = g_cli.threads;
    o.force = io.force;
    o.memory = io.memory;
    o.log = cli_log_sink;
    hd_index_result r;
    hd_error err;
    hd_error_clear(&err);
    rc = hd_index_build(pos[0], &o, &r, &err);
    free(pos);
    if (rc != HD_OK && rc != HD_EDAMAGED) return cli_fail(&err);
    if (rc == HD_EDAMAGED) cli_log(HD_LOG_ERROR, "index_damaged", "%s", err.message);
    if (!g_cli.quiet) {
        if (r.reused) printf("Index      %s (exists and verifies; --force rebuilds it)\n", r.outdir);
        else printf("Index      %s\nRows       %llu read, %llu indexed, %llu quarantined (%llu with a readable ID)\n"
                    "Members    %llu tokens; %llu files; %llu sorted runs spilled to disk and merged\nManifest   %s\n",
                    r.outdir, (unsigned long long)r.rows, (unsigned long long)r.rows_indexed,
                    (unsigned long long)r.rows_quarantined, (unsigned long long)r.rows_unreadable_ids,
                    (unsigned long long)r.tokens, (unsigned long long)r.files, (unsigned long long)r.spills,
                    r.signed_manifest ? "signed" : "not signed (no signing_key in the job)");
    }
    return rc;
}
