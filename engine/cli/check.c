/*
 * check.c — `hedui check [--format FMT] [--as-of YYYY-MM-DD] FILE...`
 * (SPEC §1): validates files against a descriptor without a batch.
 *
 * stdout: `FILE:LINE: CODE: message` per bad row, a damage line when the
 * file cannot be read whole, and a count line per file. Never a cell.
 * Exit: 0 all clean; 65 a bad row or damage; 66 a missing file; 78 a bad
 * descriptor (the most serious one wins: 78 > 66 > 74 > 65).
 *
 * Without --format, FILE.fmt is used, else the file name with its
 * extensions taken off one by one plus ".fmt" (bank-a.csv.zst ->
 * bank-a.csv.fmt, bank-a.fmt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"

typedef struct opts { const char *fmt; const char *as_of; } opts;
enum { OPT_FORMAT = 1, OPT_AS_OF };

static int on_opt(void *user, int id, const char *arg)
{
    opts *o = user;
    if (id == OPT_FORMAT) o->fmt = arg;
    else if (id == OPT_AS_OF) o->as_of = arg;
    return 0;
}

static void on_bad(void *user, uint64_t line, hd_reason reason, int field, const char *msg)
{
    (void)field;
    printf("%s:%llu: %s: %s\n", (const char *)user, (unsigned long long)line, hd_reason_name(reason), msg);
}

static int find_fmt(const char *file, char *out, size_t cap)
{
    if (snprintf(out, cap, "%s.fmt", file) < (int)cap && access(out, F_OK) == 0) return 0;
    char base[4096];
    if (snprintf(base, sizeof base, "%s", file) >= (int)sizeof base) return -1;
    for (;;) {
        char *slash = strrchr(base, '/');
        char *dot = strrchr(slash ? slash + 1 : base, '.');
        if (!dot || dot == (slash ? slash + 1 : base)) return -1;
        *dot = 0;
        if (snprintf(out, cap, "%s.fmt", base) < (int)cap && access(out, F_OK) == 0) return 0;
    }
}

static int rank(int rc)
{
    switch (rc) {
    case HD_OK: return 0;
    case HD_EDATA: return 1;
    case HD_EIO: return 2;
    case HD_ENOINPUT: return 3;
    case HD_ECONFIG: return 4;
    default: return 5;
    }
}

int cmd_check(int argc, char **argv)
{
    static const cli_optdef defs[] = {
        { "--format", 1, OPT_FORMAT }, { "--as-of", 1, OPT_AS_OF }, { NULL, 0, 0 }
    };
    opts o = { NULL, NULL };
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("check", argc, argv, defs, on_opt, &o, pos, &npos);
    hd_date as_of = cli_today();
    if (rc == 0 && npos == 0) rc = cli_usage("check", "missing FILE");
    if (rc == 0 && o.as_of && cli_parse_date(o.as_of, &as_of) != 0)
        rc = cli_usage("check", "--as-of takes a date YYYY-MM-DD, not '%s'", o.as_of);
    if (rc) { free(pos); return rc; }

    int worst = HD_OK;
    uint64_t tot_rows = 0, tot_bad = 0, damaged = 0;
    int checked = 0;
    for (int i = 0; i < npos; i++) {
        const char *file = pos[i];
        char fmt[4200];
        if (o.fmt) snprintf(fmt, sizeof fmt, "%s", o.fmt);
        else if (find_fmt(file, fmt, sizeof fmt) != 0) {
            free(pos);
            return cli_usage("check", "no descriptor found for %s (looked for %s.fmt and the name without "
                             "its extensions + .fmt): give --format FMT", file, file);
        }
        hd_check_counts c;
        hd_error err;
        hd_error_clear(&err);
        int r = hd_check_file(fmt, file, as_of, on_bad, (void *)file, &c, &err);
        if (r != HD_OK && r != HD_EDATA) {
            fflush(stdout);
            cli_fail(&err);
        } else {
            checked++;
            if (c.damage != HD_R_NONE) {
                damaged++;
                const char *code = hd_reason_name(c.damage);
                if (!strncmp(c.damage_msg, file, strlen(file)) && strstr(c.damage_msg, code))
                    printf("%s\n", c.damage_msg);
                else
                    printf("%s: %s: %s\n", file, code, c.damage_msg);
            }
            char reasons[1024] = "";
            size_t off = 0;
            for (int k = 1; k < HD_R__COUNT; k++)
                if (c.by_reason[k] && off < sizeof reasons)
                    off += (size_t)snprintf(reasons + off, sizeof reasons - off, "%s%s %llu",
                                            off ? ", " : "", hd_reason_name((hd_reason)k),
                                            (unsigned long long)c.by_reason[k]);
            printf("%s: %llu rows, %llu ok, %llu bad%s%s%s%s\n", file, (unsigned long long)c.rows,
                   (unsigned long long)c.rows_ok, (unsigned long long)c.rows_bad,
                   off ? " (" : "", reasons, off ? ")" : "",
                   c.damage != HD_R_NONE ? "; the file is damaged" : "");
            tot_rows += c.rows;
            tot_bad += c.rows_bad;
        }
        if (rank(r) > rank(worst)) worst = r;
    }
    if (checked > 1)
        printf("total: %d files, %llu rows, %llu bad, %llu damaged\n", checked,
               (unsigned long long)tot_rows, (unsigned long long)tot_bad, (unsigned long long)damaged);
    fflush(stdout);
    free(pos);
    return worst;
}
