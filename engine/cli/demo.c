/*
 * demo.c — `hedui demo [--households N] [DIR]` (SPEC §1): a newcomer's
 * first run. Generates a synthetic province with scripts/gen-province.py
 * (real Yunnan division codes and standards, synthetic people), makes keys
 * with hd_keygen when DIR/keys/pseudonym.key is missing, then runs the
 * batch on DIR/job.ini exactly as `hedui run` does.
 *
 * The generator is found in $HEDUI_SCRIPTS, else <dir of the executable>/
 * ../scripts (a build tree), else <dir of the executable>/../share/hedui/
 * scripts (an installation). It is started with posix_spawnp and an argv
 * array: no shell sees the paths.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/cli.h"

extern char **environ;

enum { OPT_HOUSEHOLDS = 1 };

static int on_opt(void *user, int id, const char *arg)
{
    if (id == OPT_HOUSEHOLDS) {
        char *end;
        long n = strtol(arg, &end, 10);
        if (*end || end == arg || n < 1 || n > 100000000)
            return cli_usage("demo", "--households takes a positive number, not '%s'", arg);
        *(long *)user = n;
    }
    return 0;
}

static int find_script(char *out, size_t cap)
{
    const char *env = getenv("HEDUI_SCRIPTS");
    if (env && *env) {
        snprintf(out, cap, "%s/gen-province.py", env);
        return access(out, R_OK) == 0 ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return -1;
    *slash = 0;
    static const char *const rel[] = { "../scripts", "../share/hedui/scripts" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(out, cap, "%s/%s/gen-province.py", exe, rel[i]);
        if (access(out, R_OK) == 0) return 0;
    }
    return -1;
}

/* s as one shell word: as is when it holds only safe characters, else in
 * single quotes ('\'' for a quote). */
static const char *sh_quote(const char *s, char *out, size_t cap)
{
    int safe = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./+:=@%,", *p)) safe = 0;
    if (safe) { snprintf(out, cap, "%s", s); return out; }
    size_t n = 0;
    if (n + 1 < cap) out[n++] = '\'';
    for (const char *p = s; *p && n + 5 < cap; p++) {
        if (*p == '\'') { memcpy(out + n, "'\\''", 4); n += 4; }
        else out[n++] = *p;
    }
    if (n + 1 < cap) out[n++] = '\'';
    out[n] = 0;
    return out;
}

int cmd_demo(int argc, char **argv)
{
    static const cli_optdef defs[] = { { "--households", 1, OPT_HOUSEHOLDS }, { NULL, 0, 0 } };
    long households = 5000;
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("demo", argc, argv, defs, on_opt, &households, pos, &npos);
    if (rc == 0 && npos > 1) rc = cli_usage("demo", "demo takes at most one directory");
    const char *dir = npos ? pos[0] : "./hedui-demo";
    free(pos);
    if (rc) return rc;

    hd_error err;
    char script[PATH_MAX + 64];
    if (find_script(script, sizeof script) != 0) {
        hd_fail(&err, HD_ECONFIG, "cannot find gen-province.py (set HEDUI_SCRIPTS to the directory that holds it)");
        return cli_fail(&err);
    }
    char hh[32];
    snprintf(hh, sizeof hh, "%ld", households);
    char *args[] = { "python3", script, (char *)dir, "--households", hh, NULL };
    cli_log(HD_LOG_INFO, "demo_generate", "generating a sample province of %ld households in %s", households, dir);
    pid_t pid;
    int se = posix_spawnp(&pid, "python3", NULL, NULL, args, environ);
    if (se != 0) {
        hd_fail(&err, HD_ECONFIG, "cannot start python3: %s", strerror(se));
        return cli_fail(&err);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) { hd_fail(&err, HD_ESOFTWARE, "waitpid: %s", strerror(errno)); return cli_fail(&err); }
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (WIFEXITED(st)) hd_fail(&err, HD_ESOFTWARE, "%s failed (exit status %d)", script, WEXITSTATUS(st));
        else hd_fail(&err, HD_ESOFTWARE, "%s was killed by signal %d", script, WTERMSIG(st));
        return cli_fail(&err);
    }

    char keys[PATH_MAX], keyfile[PATH_MAX + 32], job[PATH_MAX + 32];
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(keyfile, sizeof keyfile, "%s/pseudonym.key", keys);
    snprintf(job, sizeof job, "%s/job.ini", dir);
    if (access(keyfile, F_OK) != 0) {
        hd_error_clear(&err);
        /* the generator made keys/ with the default mode: keys live in 0700 */
        chmod(keys, 0700);
        if (hd_keygen(keys, &err) != HD_OK) return cli_fail(&err);
        cli_log(HD_LOG_INFO, "demo_keygen", "new keys in %s (pseudonym.key, signing.pem, signing.pub.pem)", keys);
    }
    char outdir[4096] = "";
    rc = cli_run_job(job, 0, outdir);
    if ((rc == HD_OK || rc == HD_EDAMAGED) && !g_cli.quiet) {
        /* the command as it works from here: hedui by the path it was
         * started with (make demo runs build/hedui, not on PATH) */
        const char *self = g_cli.argv0 && strchr(g_cli.argv0, '/') ? g_cli.argv0 : "hedui";
        char pub[PATH_MAX + 32], a[3 * PATH_MAX], b[3 * PATH_MAX], c[3 * PATH_MAX];
        snprintf(pub, sizeof pub, "%s/signing.pub.pem", keys);
        printf("\nThe planted truth is in %s/expected.csv; the county reports are under the output\n"
               "directory above (county/<code>/results.xlsx, households.csv, members.csv), the\n"
               "auditor's report is audit/report.html. Check the bundle with:\n"
               "  %s audit verify --pubkey %s %s\n", dir, sh_quote(self, a, sizeof a), sh_quote(pub, b, sizeof b),
               sh_quote(outdir, c, sizeof c));
        fflush(stdout);
    }
    return rc;
}
