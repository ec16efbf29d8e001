/*
 * tokenize.c — `hedui tokenize --key KEY --format FMT IN OUT` (SPEC §1,
 * §6 "tokenize"): writes OUT (zstd CSV with member tokens, no names),
 * OUT.fmt and OUT.rejects.csv through hd_tokenize_file. Exit 65 when a row
 * was rejected (the outputs are still complete), 0 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include "cli/cli.h"
#include "hedui/tokenize.h"

typedef struct opts { const char *key, *fmt, *as_of; } opts;
enum { OPT_KEY = 1, OPT_FORMAT, OPT_AS_OF };

static int on_opt(void *user, int id, const char *arg)
{
    opts *o = user;
    if (id == OPT_KEY) o->key = arg;
    else if (id == OPT_FORMAT) o->fmt = arg;
    else if (id == OPT_AS_OF) o->as_of = arg;
    return 0;
}

int cmd_tokenize(int argc, char **argv)
{
    static const cli_optdef defs[] = {
        { "--key", 1, OPT_KEY }, { "--format", 1, OPT_FORMAT }, { "--as-of", 1, OPT_AS_OF },
        { NULL, 0, 0 }
    };
    opts o = { NULL, NULL, NULL };
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("tokenize", argc, argv, defs, on_opt, &o, pos, &npos);
    hd_date as_of = cli_today();
    if (rc == 0 && !o.key) rc = cli_usage("tokenize", "missing --key KEY");
    if (rc == 0 && !o.fmt) rc = cli_usage("tokenize", "missing --format FMT");
    if (rc == 0 && npos != 2) rc = cli_usage("tokenize", "tokenize takes IN and OUT, got %d arguments", npos);
    if (rc == 0 && o.as_of && cli_parse_date(o.as_of, &as_of) != 0)
        rc = cli_usage("tokenize", "--as-of takes a date YYYY-MM-DD, not '%s'", o.as_of);
    if (rc) { free(pos); return rc; }
    const char *in = pos[0], *out = pos[1];
    free(pos);

    hd_tokenize_result r;
    hd_error err;
    hd_error_clear(&err);
    rc = hd_tokenize_file(o.key, o.fmt, in, out, as_of, &r, &err);
    if (rc != HD_OK && !(rc == HD_EDATA && r.rows_rejected && r.out_fmt[0])) return cli_fail(&err);
    if (!g_cli.quiet) {
        printf("%s: %llu rows: %llu written to %s, %llu rejected\n", in, (unsigned long long)r.rows,
               (unsigned long long)r.rows_written, out, (unsigned long long)r.rows_rejected);
        for (int k = 1; k < HD_R__COUNT; k++)
            if (r.by_reason[k])
                printf("  rejected %-14s %llu\n", hd_reason_name((hd_reason)k), (unsigned long long)r.by_reason[k]);
        printf("descriptor: %s\nrejects:    %s (line numbers of %s; no ID numbers)\n", r.out_fmt, r.rejects, in);
        fflush(stdout);
    }
    if (r.rows_other_faults)
        cli_log(HD_LOG_WARN, "rows_with_faults",
                "%llu rows written have another bad cell; the centre's batch will quarantine them "
                "(list them with: hedui check --format %s %s)",
                (unsigned long long)r.rows_other_faults, r.out_fmt, out);
    if (rc == HD_EDATA) return cli_fail(&err);
    return HD_OK;
}
