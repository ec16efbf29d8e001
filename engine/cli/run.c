/*
 * run.c — `hedui run [--force] [--part K/N | --prepare] JOB.ini`: the nightly batch
 * (SPEC §1, §5), or one part of it, and `hedui merge [--force] [--parts N]
 * JOB.ini`, which writes the run from the parts (SPEC §12).
 * Thin: options -> hd_run / hd_run_part / hd_run_prepare / hd_merge -> a summary table on stdout. The progress bar
 * (stderr, when it is a terminal or --progress=always) shows bytes of
 * extracts read of the total, rows per second and an estimate of the time
 * left, redrawn at most five times a second, and is cleared at the end.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"

typedef struct progress {
    pthread_mutex_t mu;
    double start, last;
    int drawn;
} progress;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human_bytes(double b, char *out, size_t cap)
{
    const char *u[] = { "B", "KB", "MB", "GB", "TB" };
    int i = 0;
    while (b >= 1000 && i < 4) { b /= 1000; i++; }
    snprintf(out, cap, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

static void on_progress(void *user, uint64_t done, uint64_t total, uint64_t rows)
{
    progress *p = user;
    if (pthread_mutex_trylock(&p->mu) != 0) return;      /* another thread draws */
    double t = now_s();
    if (t - p->last < 0.2 && !(total && done >= total)) { pthread_mutex_unlock(&p->mu); return; }
    p->last = t;
    double el = t - p->start;
    char d[32], tot[32], eta[32] = "--:--";
    human_bytes((double)done, d, sizeof d);
    human_bytes((double)total, tot, sizeof tot);
    int pct = total ? (int)(done * 100 / total) : 0;
    if (pct > 100) pct = 100;
    if (done && total > done && el > 0.5) {
        double left = el * (double)(total - done) / (double)done;
        snprintf(eta, sizeof eta, "%d:%02d", (int)(left / 60), (int)left % 60);
    }
    char bar[31];
    int fill = pct * 30 / 100;
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '-';
    bar[30] = 0;
    double rate = el > 0 ? (double)rows / el : 0;
    FILE *err = cli_stderr();
    fprintf(err, "\r\033[K[%s] %3d%%  %s of %s  %.0f rows/s  ETA %s", bar, pct, d, tot, rate, eta);
    fflush(err);
    p->drawn = 1;
    g_cli_bar_shown = 1;
    pthread_mutex_unlock(&p->mu);
}

static void fmt_count(uint64_t n, char *out, size_t cap)
{
    char raw[32];
    snprintf(raw, sizeof raw, "%llu", (unsigned long long)n);
    size_t len = strlen(raw), o = 0;
    for (size_t i = 0; i < len && o + 2 < cap; i++) {
        if (i && (len - i) % 3 == 0) out[o++] = ',';
        out[o++] = raw[i];
    }
    out[o] = 0;
}

static int is_file(const char *dir, const char *sub, const char *name)
{
    char p[8400];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Where the county workbooks and the auditor's report are: counted in the
 * output directory itself, so that a reused output is described as well. */
static void where(const char *outdir)
{
    if (!outdir[0]) return;
    char county[4200];
    snprintf(county, sizeof county, "%s/county", outdir);
    unsigned long counties = 0, changes = 0, findings = 0;
    DIR *dir = opendir(county);
    if (dir) {
        struct dirent *de;
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] == '.') continue;
            if (is_file(county, de->d_name, "results.xlsx")) counties++;
            if (is_file(county, de->d_name, "changes.csv")) changes++;
            if (is_file(county, de->d_name, "findings.csv")) findings++;
        }
        closedir(dir);
    }
    if (counties)
        printf("  county workbooks  county/<code>/results.xlsx (one per county, %lu %s)\n",
               counties, counties == 1 ? "county" : "counties");
    if (changes)
        printf("  changes           county/<code>/changes.csv (against the previous run)\n");
    if (findings)
        printf("  findings          county/<code>/findings.csv (outcomes come back with hedui outcome import)\n");
    if (is_file(outdir, "audit", "report.html"))
        printf("  auditor report    audit/report.html\n");
}

static void part_summary(const hd_run_result *r, int status, int k, int n)
{
    char a[32], b[32], c[32], d[32];
    printf("hedui run --part %d/%d: %s\n", k, n, status == HD_EDAMAGED ? "written, with a damaged file" : "written");
    fmt_count(r->rows, a, sizeof a);
    fmt_count(r->rows_quarantined, b, sizeof b);
    fmt_count(r->rows_matched, c, sizeof c);
    fmt_count(r->rows_unmatched, d, sizeof d);
    printf("\nRows       %s read in %llu extract files: %s quarantined, %s matched, %s unmatched\n",
           a, (unsigned long long)r->files, b, c, d);
    printf("Damaged    %s\n", r->damaged ? "yes (the merge will set every household to at least REVIEW)" : "no");
    printf("Part       %s (+ .sha256)\n", r->outdir);
    printf("Next       hedui merge JOB.ini, once every part of %d is written\n", n);
    fflush(stdout);
}

static void prepare_summary(const hd_run_result *r)
{
    char a[32], b[32];
    fmt_count(r->households, a, sizeof a);
    fmt_count(r->members, b, sizeof b);
    printf("hedui run --prepare: written\n\n");
    printf("Members    %s households, %s members, for every part of these inputs\n", a, b);
    if (r->rejected_files)
        printf("Rejected   %u applicant files: none of their households is in it (the merge lists them in "
               "county/<code>/rejected_files.csv and exits 3)\n", r->rejected_files);
    printf("File       %s (+ .sha256)\n", r->outdir);
    printf("Next       hedui run --part K/N JOB.ini for every K, then hedui merge JOB.ini\n");
    fflush(stdout);
}

/* The Damaged line (always, or only when damaged) and the Rejected line. */
static void damage_lines(const hd_run_result *r, int always)
{
    if (always || r->damaged)
        printf("Damaged    %s\n", r->damaged ? "yes (every household is at least REVIEW: SOURCE_INCOMPLETE)" : "no");
    if (r->rejected_files)
        printf("Rejected   %u applicant files (see county/<code>/rejected_files.csv)\n", r->rejected_files);
}

static void summary(const hd_run_result *r, int status)
{
    char a[32], b[32], c[32], d[32], e[32];
    if (r->reused) {
        printf("hedui run: the output already exists and verifies; nothing rewritten "
               "(--force rebuilds it)\n");
        damage_lines(r, 0);                /* what its summary.json says */
        printf("Output     %s\n", r->outdir);
        where(r->outdir);
        if (r->index_dir[0]) printf("Index      %s\n", r->index_dir);
        fflush(stdout);
        return;
    }
    printf("hedui run: %s\n", status == HD_EDAMAGED ? "completed, with a damaged source" : "completed");
    fmt_count(r->households, a, sizeof a);
    fmt_count(r->members, b, sizeof b);
    printf("\nHouseholds %s (members %s)\n", a, b);
    for (int v = HD_V_ELIGIBLE; v <= HD_V_INELIGIBLE; v++) {
        fmt_count(r->verdicts[v], a, sizeof a);
        printf("  %-11s %12s  %s\n", hd_verdict_name((hd_verdict)v), a, hd_verdict_label_zh((hd_verdict)v));
    }
    int order[HD_FD__COUNT], n = 0;
    for (int f = 0; f < HD_FD__COUNT; f++) if (r->reasons[f]) order[n++] = f;
    for (int i = 1; i < n; i++)             /* count desc, then code name */
        for (int k = i; k > 0; k--) {
            int x = order[k - 1], y = order[k];
            if (r->reasons[x] > r->reasons[y] ||
                (r->reasons[x] == r->reasons[y] &&
                 strcmp(hd_finding_name((hd_finding)x), hd_finding_name((hd_finding)y)) <= 0)) break;
            order[k - 1] = y; order[k] = x;
        }
    if (n) {
        printf("\nTop reasons (households)\n");
        for (int i = 0; i < n && i < 8; i++) {
            fmt_count(r->reasons[order[i]], a, sizeof a);
            printf("  %-25s %10s  %s\n", hd_finding_name((hd_finding)order[i]), a,
                   hd_finding_label_zh((hd_finding)order[i]));
        }
    }
    if (r->lists) {
        /* SPEC §10: the three lists per county (households.csv of the
         * applicants, recheck.csv, discovery.csv) */
        printf("\nPopulations  applicants %llu, recipients %llu, monitored %llu (households)",
               (unsigned long long)r->populations[0], (unsigned long long)r->populations[1],
               (unsigned long long)r->populations[2]);
        if (r->superseded[1] || r->superseded[2])
            printf("; judged in an earlier population: %llu roster, %llu monitor",
                   (unsigned long long)r->superseded[1], (unsigned long long)r->superseded[2]);
        printf("\nRe-check     %llu recipient households not ELIGIBLE (%llu reasons)  county/<code>/recheck.csv\n",
               (unsigned long long)r->recheck_households, (unsigned long long)r->recheck_rows);
        printf("Discovery    %llu households (ELIGIBLE_NOW %llu, MEMBER_DECEASED_NEW %llu, PENSION_STOPPED %llu, INCOME_DROP %llu)  county/<code>/discovery.csv\n",
               (unsigned long long)r->discovery_households, (unsigned long long)r->discovery_triggers[0],
               (unsigned long long)r->discovery_triggers[1], (unsigned long long)r->discovery_triggers[2],
               (unsigned long long)r->discovery_triggers[3]);
        printf("\n  %-8s %10s %10s %10s %10s %10s\n", "county", "applicants", "recipients", "monitored",
               "re-check", "discovery");
        for (uint32_t i = 0; i < r->ncounties; i++) {
            const hd_run_county *c = &r->counties[i];
            printf("  %-8s %10llu %10llu %10llu %10llu %10llu\n", c->code,
                   (unsigned long long)c->households[0], (unsigned long long)c->households[1],
                   (unsigned long long)c->households[2], (unsigned long long)c->recheck,
                   (unsigned long long)c->discovery);
        }
    }
    fmt_count(r->app_rows, a, sizeof a);
    fmt_count(r->app_rows_ok, b, sizeof b);
    fmt_count(r->app_rows_quarantined, c, sizeof c);
    printf("\nApplicants %s rows in %llu files: %s ok, %s quarantined\n",
           a, (unsigned long long)r->app_files, b, c);
    fmt_count(r->rows, a, sizeof a);
    fmt_count(r->rows_ok, b, sizeof b);
    fmt_count(r->rows_quarantined, c, sizeof c);
    fmt_count(r->rows_matched, d, sizeof d);
    fmt_count(r->rows_unmatched, e, sizeof e);
    printf("Extracts   %s rows in %llu files: %s ok (%s matched, %s unmatched), %s quarantined\n",
           a, (unsigned long long)r->files, b, d, e, c);
    if (r->suppressed)
        printf("Suppressed %llu findings resolved earlier by the counties (false_positive/explained, evidence unchanged)\n",
               (unsigned long long)r->suppressed);
    /* SPEC §7: every kind checked and not checked */
    printf("Kinds      checked:");
    int any = 0;
    for (int k = HD_KIND_APPLICANTS + 1; k < HD_KIND__COUNT; k++)
        if (r->kinds_checked & (1u << k)) {
            printf(" %s%s", hd_kind_name((hd_kind)k), r->kinds_damaged & (1u << k) ? " (damaged)" : "");
            any = 1;
        }
    printf("%s\n           not checked:", any ? "" : " none");
    any = 0;
    for (int k = HD_KIND_APPLICANTS + 1; k < HD_KIND__COUNT; k++)
        if (!(r->kinds_checked & (1u << k))) {
            printf(" %s%s", hd_kind_name((hd_kind)k), r->kinds_required & (1u << k) ? " (required: NO_SOURCE)" : "");
            any = 1;
        }
    printf("%s\n", any ? "" : " none");
    damage_lines(r, 1);
    printf("Output     %s\n", r->outdir[0] ? r->outdir : "(none)");
    where(r->outdir);
    if (r->index_dir[0]) printf("Index      %s (SPEC §11: hedui lookup, hedui serve)\n", r->index_dir);
    printf("Manifest   %s\n", r->signed_manifest ? "signed (manifest.sig)" : "NOT signed (no signing_key in the job)");
    fflush(stdout);
}

enum { RUN_WHOLE = 0, RUN_PART, RUN_MERGE, RUN_PREPARE };

static int run_with(const char *job_path, int flags, int mode, int k, int n, char *outdir)
{
    int force = flags & CLI_RUN_FORCE;
    hd_run_opts o;
    memset(&o, 0, sizeof o);
    o.threads = g_cli.threads;
    if (o.threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.threads = n > 0 ? (int)n : 1;
    }
    o.force = force;
    o.allow_future_as_of = (flags & CLI_RUN_ALLOW_FUTURE) != 0;
    o.log = cli_log_sink;
    progress p;
    memset(&p, 0, sizeof p);
    pthread_mutex_init(&p.mu, NULL);
    p.start = now_s();
    p.last = 0;
    int show = !g_cli.quiet && (g_cli.progress == CLI_PROGRESS_ALWAYS ||
                                (g_cli.progress == CLI_PROGRESS_AUTO && isatty(STDERR_FILENO)));
    if (show) { o.progress = on_progress; o.progress_user = &p; }

    hd_run_result r;
    memset(&r, 0, sizeof r);
    hd_error err;
    hd_error_clear(&err);
    double t0 = now_s();
    int rc = mode == RUN_PART ? hd_run_part(job_path, k, n, &o, &r, &err)
           : mode == RUN_MERGE ? hd_merge(job_path, n, &o, &r, &err)
           : mode == RUN_PREPARE ? hd_run_prepare(job_path, &o, &r, &err)
           : hd_run(job_path, &o, &r, &err);
    if (g_cli_bar_shown) { fputs("\r\033[K", cli_stderr()); fflush(cli_stderr()); g_cli_bar_shown = 0; }
    pthread_mutex_destroy(&p.mu);
    if (rc != HD_OK && rc != HD_EDAMAGED) { hd_run_result_free(&r); return cli_fail(&err); }
    cli_log(HD_LOG_INFO, "run_done", "run took %.1f s with %d thread%s", now_s() - t0, o.threads,
            o.threads == 1 ? "" : "s");
    if (rc == HD_EDAMAGED && err.message[0]) cli_log(HD_LOG_WARN, "source_damaged", "%s", err.message);
    if (!g_cli.quiet) {
        if (mode == RUN_PART) part_summary(&r, rc, k, n);
        else if (mode == RUN_PREPARE) prepare_summary(&r);
        else summary(&r, rc);
    }
    if (outdir) snprintf(outdir, 4096, "%s", r.outdir);
    hd_run_result_free(&r);
    return rc;
}

int cli_run_job(const char *job_path, int flags, char *outdir)
{
    return run_with(job_path, flags, RUN_WHOLE, 0, 0, outdir);
}

enum { OPT_FORCE = 1, OPT_FUTURE, OPT_PART, OPT_PARTS, OPT_PREPARE };

struct run_args { int flags, part, k, n, prepare; const char *cmd; };

/* A whole number 0 .. 1000000 at s, up to the end or stop; -1 if not. */
static long whole(const char *s, const char *stop)
{
    long x = 0;
    if (s == stop) return -1;
    for (; s < stop; s++) {
        if (*s < '0' || *s > '9' || x > 1000000) return -1;
        x = x * 10 + (*s - '0');
    }
    return x > 1000000 ? -1 : x;
}

static int on_opt(void *user, int id, const char *arg)
{
    struct run_args *a = user;
    if (id == OPT_FORCE) a->flags |= CLI_RUN_FORCE;
    if (id == OPT_FUTURE) a->flags |= CLI_RUN_ALLOW_FUTURE;
    if (id == OPT_PREPARE) a->prepare = 1;
    if (id == OPT_PART) {
        const char *slash = strchr(arg, '/');
        long k = slash ? whole(arg, slash) : -1, n = slash ? whole(slash + 1, slash + strlen(slash)) : -1;
        if (k < 0 || n < 0)
            return cli_usage(a->cmd, "--part %s: expected K/N (part K of N, K from 0)", arg);
        if (n < 1 || k >= n)
            return cli_usage(a->cmd, "--part %s: K must be 0 to N-1 and N at least 1", arg);
        a->part = 1; a->k = (int)k; a->n = (int)n;
    }
    if (id == OPT_PARTS) {
        long n = whole(arg, arg + strlen(arg));
        if (n < 1) return cli_usage(a->cmd, "--parts %s: expected a number of parts, at least 1", arg);
        a->n = (int)n;
    }
    return 0;
}

static int run_cmd(const char *cmd, int argc, char **argv, const cli_optdef *defs, int merge)
{
    struct run_args a = { 0, 0, 0, 0, 0, cmd };
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse(cmd, argc, argv, defs, on_opt, &a, pos, &npos);
    if (rc == 0 && npos != 1)
        rc = npos ? cli_usage(cmd, "%s takes one job file, not %d arguments", cmd, npos)
                  : cli_usage(cmd, "missing JOB.ini");
    if (rc == 0 && a.part && a.prepare)
        rc = cli_usage(cmd, "--prepare writes the members file that every part reads: run it before the parts, not with one");
    if (rc == 0 && (a.part || a.prepare) && (a.flags & CLI_RUN_FORCE))
        rc = cli_usage(cmd, "--force rebuilds a run directory: give it to hedui merge, not to %s",
                       a.part ? "a part" : "--prepare (it always writes the members file anew)");
    if (rc == 0)
        rc = run_with(pos[0], a.flags, merge ? RUN_MERGE : a.part ? RUN_PART : a.prepare ? RUN_PREPARE : RUN_WHOLE,
                      a.k, a.n, NULL);
    free(pos);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    static const cli_optdef defs[] = { { "--force", 0, OPT_FORCE }, { "--allow-future-as-of", 0, OPT_FUTURE },
                                       { "--part", 1, OPT_PART }, { "--prepare", 0, OPT_PREPARE }, { NULL, 0, 0 } };
    return run_cmd("run", argc, argv, defs, 0);
}

int cmd_merge(int argc, char **argv)
{
    static const cli_optdef defs[] = { { "--force", 0, OPT_FORCE }, { "--allow-future-as-of", 0, OPT_FUTURE },
                                       { "--parts", 1, OPT_PARTS }, { NULL, 0, 0 } };
    return run_cmd("merge", argc, argv, defs, 1);
}
