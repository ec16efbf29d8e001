/*
 * test_changes.c — the change report ([job] previous, county/<code>/changes.csv;
 * docs/changes.md) and its two policy keys.
 *
 * A generated province is run (out0); households that are ELIGIBLE with no
 * reason, no income and no assets are picked from it; two of them get a
 * declared income of 500.00 yuan and the province is run again (out1, the
 * baseline). A copy then gets known edits (tests/fixtures/changes/edit.py)
 * and is run with `previous` = out1:
 *   H1  declared income 0 -> 123.45 yuan      income 0 -> 12345: listed (before 0: any change)
 *   H2  declared 500.00 -> 600.00             +20 % exactly: not a change, not listed
 *   H3  declared 500.00 -> 600.01             +20.002 %: listed
 *   H4  deposit of exactly 10000.00 yuan      |diff| = change_assets_yuan: not listed
 *   H5  deposit 1 fen above members x 24 x standard: ASSETS_OVER_LIMIT appears,
 *       ELIGIBLE -> INELIGIBLE, assets changed: listed
 *   HV  its only vehicle rows removed: VEHICLE_NON_EXEMPT gone, INELIGIBLE -> ELIGIBLE: listed
 *   H6  dropped from the applicants: in one run only, not listed
 *   NEW a new application: in one run only, not listed
 * Every other household is unchanged and must not appear.
 */
#include <dirent.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "hedui/batch.h"
#include "batch/stages.h"

#define EDIT "python3 tests/fixtures/changes/edit.py"

static void shf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void shf(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "command failed (%d): %s", rc, cmd);
}

/* stdout of a command, trailing newline dropped (static buffer). */
static const char *capture(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *capture(const char *fmt, ...)
{
    static char out[65536];
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = 0;
    ck_assert_int_eq(pclose(p), 0);
    while (n && out[n - 1] == '\n') out[--n] = 0;
    return out;
}

static int run(const char *job, hd_run_result *r, hd_error *e)
{
    hd_run_opts o = {0};
    o.threads = 2;
    int rc = hd_run(job, &o, r, e);
    hd_run_result_free(r);            /* the per-county counts are not used here */
    if (rc != HD_OK && rc != HD_EDAMAGED) fprintf(stderr, "hd_run %s: %s\n", job, e->message);
    return rc;
}

struct hh { char county[16], app[64]; int64_t members, standard, income, assets; char verdict[16]; };

/* The households.csv row of (county, app) in output dir out. */
static int find_hh(const char *out, const char *county, const char *app, struct hh *h)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/county/%s/households.csv", out, county);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[8192];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        /* no field of these rows is quoted (codes, ids, numbers; reasons
         * lists use ';') */
        char *fld[32];
        int n = 0;
        for (char *s = line, *t; n < 32 && (t = strsep(&s, ",\n")) != NULL;) fld[n++] = t;
        if (n < 18 || strcmp(fld[0], county) || strcmp(fld[1], app)) continue;
        snprintf(h->county, sizeof h->county, "%s", fld[0]);
        snprintf(h->app, sizeof h->app, "%s", fld[1]);
        h->members = atoll(fld[4]);
        snprintf(h->verdict, sizeof h->verdict, "%s", fld[5]);
        h->standard = atoll(fld[9]);
        h->income = atoll(fld[10]);
        h->assets = atoll(fld[12]);
        found = 1;
    }
    fclose(f);
    return found;
}

static char prov[4096], prov2[4200];

START_TEST(change_report_end_to_end)
{
    char base[] = "/tmp/hedui-changes-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(base));
    snprintf(prov, sizeof prov, "%s/prov", base);
    snprintf(prov2, sizeof prov2, "%s/prov2", base);
    shf("python3 scripts/gen-province.py %s --households 120 --background-factor 2 --seed 11 >/dev/null 2>&1", prov);
    shf("rm -rf %s/keys && \"$HEDUI_BIN\" keygen %s/keys >/dev/null", prov, prov);
    char job[4300], job2[4300];
    snprintf(job, sizeof job, "%s/job.ini", prov);
    snprintf(job2, sizeof job2, "%s/job.ini", prov2);
    hd_run_result r;
    hd_error e;

    /* out0: no previous, no changes.csv */
    ck_assert_int_eq(run(job, &r, &e), HD_OK);
    char out0[4096];
    snprintf(out0, sizeof out0, "%s", r.outdir);
    ck_assert_int_eq(atoi(capture("find %s -name changes.csv | wc -l", out0)), 0);

    /* subjects */
    char picks[8192];
    snprintf(picks, sizeof picks, "%s", capture(EDIT " pick %s", out0));
    struct hh H[7], HV;
    int np = 0, have_v = 0;
    for (char *s = picks, *l; (l = strsep(&s, "\n")) != NULL;) {
        char a[64], b[64], c[64];
        if (sscanf(l, "vehicle %63s %63s", b, c) == 2) {
            have_v = 1;
            snprintf(HV.county, sizeof HV.county, "%s", b);
            snprintf(HV.app, sizeof HV.app, "%s", c);
        } else if (np < 7 && sscanf(l, "%63s %63s", a, b) == 2) {
            snprintf(H[np].county, sizeof H[np].county, "%s", a);
            snprintf(H[np].app, sizeof H[np].app, "%s", b);
            np++;
        }
    }
    ck_assert_msg(np >= 6 && have_v, "the generated province lacks test subjects (%d, %d)", np, have_v);

    /* baseline out1: H2 and H3 declare 500.00 yuan (member 1) */
    shf(EDIT " income %s %s 1 500.00", prov, H[1].app);
    shf(EDIT " income %s %s 1 500.00", prov, H[2].app);
    ck_assert_int_eq(run(job, &r, &e), HD_OK);
    char out1[4096];
    snprintf(out1, sizeof out1, "%s", r.outdir);
    ck_assert_str_ne(out0, out1);
    struct hh b[6], bv;
    for (int i = 0; i < 6; i++) {
        ck_assert(find_hh(out1, H[i].county, H[i].app, &b[i]));
        ck_assert_str_eq(b[i].verdict, "ELIGIBLE");
        ck_assert_int_eq(b[i].assets, 0);
        ck_assert_int_eq(b[i].income, i == 1 || i == 2 ? 50000 : 0);
    }
    ck_assert(find_hh(out1, HV.county, HV.app, &bv));
    ck_assert_str_eq(bv.verdict, "INELIGIBLE");

    /* the edited copy, previous = out1 (relative to the job file) */
    shf("cp -a %s %s && rm -rf %s/out", prov, prov2, prov2);
    shf(EDIT " income %s %s 1 123.45", prov2, H[0].app);
    shf(EDIT " income %s %s 1 600.00", prov2, H[1].app);
    shf(EDIT " income %s %s 1 600.01", prov2, H[2].app);
    char id4[64], id5[64];
    snprintf(id4, sizeof id4, "%s", capture(EDIT " ids %s %s | head -1", prov2, H[3].app));
    snprintf(id5, sizeof id5, "%s", capture(EDIT " ids %s %s | head -1", prov2, H[4].app));
    shf(EDIT " deposit %s %s 6222990000000000041 10000.00", prov2, id4);
    int64_t over = b[4].members * 24 * b[4].standard + 1;     /* fen, 1 above the limit */
    shf(EDIT " deposit %s %s 6222990000000000051 %" PRId64 ".%02" PRId64, prov2, id5, over / 100, over % 100);
    shf(EDIT " novehicle %s $(" EDIT " ids %s %s | tr '\\n' ' ')", prov2, prov2, HV.app);
    shf(EDIT " add %s %s SQTESTNEW0001", prov2, H[5].app);
    shf(EDIT " drop %s %s", prov2, H[5].app);
    shf("sed -i 's|^output .*|&\\nprevious = ../prov/out/%s|' %s", strrchr(out1, '/') + 1, job2);

    ck_assert_int_eq(run(job2, &r, &e), HD_OK);
    char out2[4096];
    snprintf(out2, sizeof out2, "%s", r.outdir);

    /* one changes.csv per county directory, all with the header */
    int ncounty = atoi(capture("ls %s/county | wc -l", out2));
    ck_assert_int_gt(ncounty, 1);
    ck_assert_int_eq(atoi(capture("ls %s/county/*/changes.csv | wc -l", out2)), ncounty);
    const char *hdr = "county_code,application_id,verdict_before,verdict,findings_appeared,findings_gone,"
                      "findings_appeared_zh,findings_gone_zh,income_before_fen,income_after_fen,income_changed,"
                      "assets_before_fen,assets_after_fen,assets_changed";
    ck_assert_int_eq(atoi(capture("for f in %s/county/*/changes.csv; do head -1 $f; done | grep -cxF '%s'", out2, hdr)),
                     ncounty);

    /* exactly the expected rows, in output order (county, then household) */
    char rows[16384];
    snprintf(rows, sizeof rows, "%s", capture("for f in %s/county/*/changes.csv; do tail -n +2 $f; done", out2));
    char exp[4][1024];
    snprintf(exp[0], sizeof exp[0], "%s,%s,ELIGIBLE,ELIGIBLE,,,,,0,12345,yes,0,0,no", H[0].county, H[0].app);
    snprintf(exp[1], sizeof exp[1], "%s,%s,ELIGIBLE,ELIGIBLE,,,,,50000,60001,yes,0,0,no", H[2].county, H[2].app);
    snprintf(exp[2], sizeof exp[2], "%s,%s,ELIGIBLE,INELIGIBLE,ASSETS_OVER_LIMIT,,家庭金融资产超过规定限额,,0,0,no,0,%" PRId64 ",yes",
             H[4].county, H[4].app, over);
    snprintf(exp[3], sizeof exp[3], "%s,%s,INELIGIBLE,ELIGIBLE,,VEHICLE_NON_EXEMPT,,拥有非豁免机动车辆,%" PRId64 ",%" PRId64 ",no,%" PRId64 ",%" PRId64 ",no",
             HV.county, HV.app, bv.income, bv.income, bv.assets, bv.assets);
    int nrows = 0, seen[4] = {0};
    for (char *s = rows, *l; (l = strsep(&s, "\n")) != NULL;) {
        if (!*l) continue;
        nrows++;
        int k;
        for (k = 0; k < 4; k++) if (!strcmp(l, exp[k])) break;
        ck_assert_msg(k < 4, "unexpected change row: %s", l);
        seen[k]++;
    }
    ck_assert_int_eq(nrows, 4);
    for (int k = 0; k < 4; k++) ck_assert_msg(seen[k] == 1, "missing: %s", exp[k]);

    /* this run's households.csv agrees with the report */
    struct hh a;
    ck_assert(find_hh(out2, H[1].county, H[1].app, &a));
    ck_assert_int_eq(a.income, 60000);                       /* changed by exactly 20 %: not listed */
    ck_assert(find_hh(out2, H[3].county, H[3].app, &a));
    ck_assert_int_eq(a.assets, 1000000);                     /* exactly 10000 yuan: not listed */
    ck_assert_str_eq(a.verdict, "ELIGIBLE");
    ck_assert(!find_hh(out2, H[5].county, H[5].app, &a));    /* dropped */
    ck_assert(find_hh(out2, H[5].county, "SQTESTNEW0001", &a)); /* new */
    /* the output with changes.csv verifies */
    ck_assert_int_eq(hd_audit_verify(out2, NULL, &e), HD_OK);

    /* a previous output that no longer matches its manifest is refused */
    shf("cp -a %s %s/tampered && echo >> %s/tampered/county/%s/households.csv",
        out1, base, base, H[0].county);
    shf("sed -i 's|^previous = .*|previous = ../tampered|' %s", job2);
    ck_assert_int_eq(run(job2, &r, &e), HD_ECONFIG);
    ck_assert_msg(strstr(e.message, "does not verify"), "%s", e.message);
    shf("rm -rf %s", base);
}
END_TEST

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

START_TEST(previous_missing_or_not_an_output)
{
    char dir[] = "/tmp/hedui-changes-job-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char job[4200], p[4200];
    snprintf(job, sizeof job, "%s/job.ini", dir);
    static const char *const bad[] = { "previous = nowhere\n", "previous = out\n", "previous = notes.txt\n" };
    snprintf(p, sizeof p, "%s/out/x", dir);
    shf("mkdir -p %s && echo '{}' > %s/manifest.json && echo hi > %s/notes.txt", p, p, dir);
    for (int i = 0; i < 3; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "[job]\napplicants = inbox/*.csv\napplicants_format = a.fmt\npolicy = p.policy\n"
                 "key = k\noutput = out/\n%s", bad[i]);
        write_file(job, text);
        hd_job *j = NULL;
        hd_error e;
        ck_assert_int_eq(hd_job_load(&j, job, 0, &e), HD_ECONFIG);
        ck_assert_msg(strstr(e.message, "previous") && strstr(e.message, ":7:"), "%s", e.message);
        ck_assert_ptr_null(j);
    }
    /* out/x has a manifest.json that is no hedui manifest */
    write_file(job, "[job]\napplicants = a\napplicants_format = a.fmt\npolicy = p\nkey = k\noutput = out/\nprevious = out/x\n");
    hd_job *j = NULL;
    hd_error e;
    ck_assert_int_eq(hd_job_load(&j, job, 0, &e), HD_ECONFIG);
    ck_assert_msg(strstr(e.message, "not a hedui output"), "%s", e.message);
    /* a real-looking one is accepted and resolved against the job file */
    shf("printf '{\\n  \"format\": \"hedui-manifest/1\",\\n}\\n' > %s/manifest.json", p);
    ck_assert_int_eq(hd_job_load(&j, job, 0, &e), HD_OK);
    ck_assert_str_eq(j->previous, p);
    hd_job_free(j);
    /* without previous: empty */
    write_file(job, "[job]\napplicants = a\napplicants_format = a.fmt\npolicy = p\nkey = k\noutput = out/\n");
    ck_assert_int_eq(hd_job_load(&j, job, 0, &e), HD_OK);
    ck_assert_str_eq(j->previous, "");
    hd_job_free(j);
    shf("rm -rf %s", dir);
}
END_TEST

/* ------------------------------------------------------------ policy keys */

static int load_policy(const char *body, hd_policy **p, hd_error *e)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/hedui-changes-pol-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/standards.csv", dir);
    write_file(path, "code,year,urban_month_yuan,rural_month_yuan\n530000,2020,640,375\n");
    snprintf(path, sizeof path, "%s/t.policy", dir);
    write_file(path, body);
    int rc = hd_policy_load(p, path, e);
    shf("rm -rf %s", dir);
    return rc;
}

START_TEST(policy_defaults)
{
    hd_policy *p;
    hd_error e;
    ck_assert_int_eq(load_policy("[policy]\nname = t\n", &p, &e), HD_OK);
    for (int t = 0; t < HD_ASSIST__COUNT; t++) {
        ck_assert_int_eq(p->type[t].change_income_pct, 20);
        ck_assert_int_eq(p->type[t].change_assets_fen, 1000000);
    }
    hd_policy_free(p);
}
END_TEST

START_TEST(policy_inheritance)
{
    hd_policy *p;
    hd_error e;
    /* [tekun] stands before [default]: it still inherits what it does not set */
    ck_assert_int_eq(load_policy("[tekun]\nchange_income_pct = 5\n"
                                 "[default]\nchange_income_pct = 30\nchange_assets_yuan = 2,500.50\n"
                                 "[bianyuan]\nchange_assets_yuan = 0\n", &p, &e), HD_OK);
    ck_assert_int_eq(p->type[HD_ASSIST_DIBAO].change_income_pct, 30);
    ck_assert_int_eq(p->type[HD_ASSIST_DIBAO].change_assets_fen, 250050);
    ck_assert_int_eq(p->type[HD_ASSIST_TEKUN].change_income_pct, 5);
    ck_assert_int_eq(p->type[HD_ASSIST_TEKUN].change_assets_fen, 250050);
    ck_assert_int_eq(p->type[HD_ASSIST_BIANYUAN].change_income_pct, 30);
    ck_assert_int_eq(p->type[HD_ASSIST_BIANYUAN].change_assets_fen, 0);
    ck_assert_int_eq(p->type[HD_ASSIST_LINSHI].change_income_pct, 30);
    hd_policy_free(p);
}
END_TEST

START_TEST(policy_bad_values)
{
    static const char *const bad[] = {
        "[default]\nchange_income_pct = -1\n",
        "[default]\nchange_income_pct = 20.5\n",
        "[default]\nchange_income_pct = 20%\n",
        "[default]\nchange_income_pct =\n",
        "[default]\nchange_income_pct = 100001\n",
        "[default]\nchange_assets_yuan = -5\n",
        "[default]\nchange_assets_yuan = 1.234\n",
        "[default]\nchange_assets_yuan = ten\n",
        "[default]\nchange_income_pct = 10\nchange_income_pct = 20\n",
        "[policy]\nchange_income_pct = 10\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        hd_policy *p = NULL;
        hd_error e;
        ck_assert_msg(load_policy(bad[i], &p, &e) == HD_ECONFIG, "accepted: %s", bad[i]);
        ck_assert_msg(strstr(e.message, "change_"), "%s", e.message);
        ck_assert_ptr_null(p);
    }
}
END_TEST


/* ------------------------------------------------------------ previous = latest */

static char logbuf[65536];
static void log_sink(void *user, hd_log_level lv, const char *event, const char *msg)
{
    (void)user; (void)lv;
    size_t n = strlen(logbuf);
    snprintf(logbuf + n, sizeof logbuf - n, "%s %s\n", event, msg);
}

/* Runs JOB with as_of AS_OF and previous = latest (written to JOB from
 * PROV/job.ini); the log lands in logbuf. */
static int night(const char *pv, const char *as_of, hd_run_result *r, hd_error *e)
{
    char job[4300];
    snprintf(job, sizeof job, "%s/job-night.ini", pv);
    shf("sed -e 's|^as_of *=.*|as_of = %s|' -e 's|^output *=.*|output = out-nights/\\nprevious = latest|' %s/job.ini > %s",
        as_of, pv, job);
    logbuf[0] = '\0';
    hd_run_opts o = {0};
    o.threads = 2;
    o.log = log_sink;
    int rc = hd_run(job, &o, r, e);
    hd_run_result_free(r);            /* the per-county counts are not used here */
    if (rc != HD_OK) fprintf(stderr, "hd_run %s: %s\n", job, e->message);
    return rc;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* OUTPUT/latest's target (static buffer; "" when there is no link). */
static const char *latest_target(const char *pv)
{
    static char t[512];
    char l[4400];
    snprintf(l, sizeof l, "%s/out-nights/latest", pv);
    ssize_t n = readlink(l, t, sizeof t - 1);
    t[n > 0 ? n : 0] = '\0';
    return t;
}

START_TEST(previous_latest_three_nights)
{
    char base[] = "/tmp/hedui-nights-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(base));
    char pv[4200];
    snprintf(pv, sizeof pv, "%s/prov", base);
    shf("python3 scripts/gen-province.py %s --households 60 --background-factor 1 --seed 5 >/dev/null 2>&1", pv);
    shf("rm -rf %s/keys && \"$HEDUI_BIN\" keygen %s/keys >/dev/null", pv, pv);
    hd_run_result r;
    hd_error e;
    char n1[4096], n2[4096], n3[4096];

    /* night 1: no earlier run: a log line, no change report; latest -> night 1 */
    ck_assert_int_eq(night(pv, "2026-11-28", &r, &e), HD_OK);
    snprintf(n1, sizeof n1, "%s", r.outdir);
    ck_assert_msg(strstr(logbuf, "previous_none ") != NULL, "no log line for no previous run: %s", logbuf);
    ck_assert_int_eq(atoi(capture("find %s -name changes.csv | wc -l", n1)), 0);
    ck_assert_str_eq(latest_target(pv), base_name(n1));

    /* night 2: previous is night 1; changes.csv per county; latest -> night 2 */
    ck_assert_int_eq(night(pv, "2026-11-29", &r, &e), HD_OK);
    snprintf(n2, sizeof n2, "%s", r.outdir);
    ck_assert_str_ne(n1, n2);
    char want[4400];
    snprintf(want, sizeof want, "previous_latest previous = latest: %s\n", n1);
    ck_assert_msg(strstr(logbuf, want) != NULL, "night 2 did not take night 1: %s", logbuf);
    ck_assert_int_gt(atoi(capture("find %s -name changes.csv | wc -l", n2)), 0);
    ck_assert_int_eq(atoi(capture("grep -c '%s/manifest.json' %s/manifest.json", base_name(n1), n2)), 1);
    ck_assert_str_eq(latest_target(pv), base_name(n2));

    /* night 3: previous is night 2 (the greatest earlier as_of), not night 1 */
    ck_assert_int_eq(night(pv, "2026-11-30", &r, &e), HD_OK);
    snprintf(n3, sizeof n3, "%s", r.outdir);
    snprintf(want, sizeof want, "previous_latest previous = latest: %s\n", n2);
    ck_assert_msg(strstr(logbuf, want) != NULL, "night 3 did not take night 2: %s", logbuf);
    ck_assert_str_eq(latest_target(pv), base_name(n3));

    /* night 1 again: later runs are not its previous (same inputs, same
     * directory: reused), and latest stays at night 3 (a later as_of) */
    ck_assert_int_eq(night(pv, "2026-11-28", &r, &e), HD_OK);
    ck_assert_int_eq(r.reused, 1);
    ck_assert_str_eq(r.outdir, n1);
    ck_assert_msg(strstr(logbuf, "previous_none ") != NULL, "%s", logbuf);
    ck_assert_str_eq(latest_target(pv), base_name(n3));

    /* night 2's output no longer verifies: night 3 again takes night 1,
     * which is a new input (a new directory); latest -> it (same as_of) */
    shf("f=$(ls %s/county/*/households.csv | head -1) && printf 'x' >> \"$f\"", n2);
    ck_assert_int_eq(night(pv, "2026-11-30", &r, &e), HD_OK);
    snprintf(want, sizeof want, "previous_latest previous = latest: %s\n", n1);
    ck_assert_msg(strstr(logbuf, want) != NULL, "a run that does not verify was taken: %s", logbuf);
    ck_assert_str_ne(r.outdir, n3);
    ck_assert_str_eq(latest_target(pv), base_name(r.outdir));
    /* no temporary link is left */
    ck_assert_int_eq(atoi(capture("ls -A %s/out-nights | grep -c '^.tmp-' || true", pv)), 0);
    shf("rm -rf %s", base);
}
END_TEST

/* `previous = latest` resolved for JOB (as_of in it) without running it;
 * the base name of the directory taken, "" for none (static buffer). */
static const char *resolve(const char *job)
{
    static char got[4096];
    hd_job *j = NULL;
    hd_error e;
    ck_assert_int_eq(hd_job_load(&j, job, 0, &e), HD_OK);
    char out[4096];
    ck_assert_int_eq(hd_run_resolve_latest(j, out, sizeof out, &e), HD_OK);
    hd_job_free(j);
    snprintf(got, sizeof got, "%s", base_name(out));
    return got;
}

/* Three nights, then re-runs of older nights with corrected inputs (an
 * applicant file with one blank line more: another input digest, another
 * directory): of the runs with the greatest earlier as_of, `latest` takes
 * the one the register recorded last, whatever the names' order; without
 * the register, the one OUTPUT/latest names; without either, the name that
 * sorts last (SPEC §8, docs/decisions.md). `register rebuild` gives the
 * same recording order (OUTPUT/recorded.log). */
START_TEST(previous_latest_prefers_the_run_recorded_last)
{
    char base[] = "/tmp/hedui-recorded-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(base));
    char pv[4200], out[4300], inbox[4400], want[4400];
    snprintf(pv, sizeof pv, "%s/prov", base);
    snprintf(out, sizeof out, "%s/out-nights", pv);
    shf("python3 scripts/gen-province.py %s --households 60 --background-factor 1 --seed 7 >/dev/null 2>&1", pv);
    shf("rm -rf %s/keys && \"$HEDUI_BIN\" keygen %s/keys >/dev/null", pv, pv);
    snprintf(inbox, sizeof inbox, "%s", capture("ls %s/inbox/*.csv | head -1", pv));
    inbox[strcspn(inbox, "\n")] = '\0';
    shf("cp %s %s/inbox-original", inbox, base);
    hd_run_result r;
    hd_error e;
    char n1[4096], n2[4096], n3[4096], n2b[4096], n3b[4096];

    /* three nights in a row */
    ck_assert_int_eq(night(pv, "2026-11-28", &r, &e), HD_OK);
    snprintf(n1, sizeof n1, "%s", base_name(r.outdir));
    ck_assert_int_eq(night(pv, "2026-11-29", &r, &e), HD_OK);
    snprintf(n2, sizeof n2, "%s", base_name(r.outdir));
    ck_assert_int_eq(night(pv, "2026-11-30", &r, &e), HD_OK);
    snprintf(n3, sizeof n3, "%s", base_name(r.outdir));
    snprintf(want, sizeof want, "previous = latest: %s/%s\n", out, n2);
    ck_assert_msg(strstr(logbuf, n2) != NULL, "night 3 did not take night 2: %s", logbuf);

    /* night 2 re-run with a corrected applicant file (recorded after night
     * 3): its previous is night 1; latest stays at night 3 (a later as_of) */
    shf("printf '\\n' >> %s", inbox);
    ck_assert_int_eq(night(pv, "2026-11-29", &r, &e), HD_OK);
    snprintf(n2b, sizeof n2b, "%s", base_name(r.outdir));
    ck_assert_str_ne(n2b, n2);
    ck_assert_msg(strstr(logbuf, n1) != NULL, "the re-run of night 2 did not take night 1: %s", logbuf);
    ck_assert_str_eq(latest_target(pv), n3);
    /* night 3 re-run: of the two night-2 runs, the one recorded last */
    ck_assert_int_eq(night(pv, "2026-11-30", &r, &e), HD_OK);
    snprintf(n3b, sizeof n3b, "%s", base_name(r.outdir));
    ck_assert_str_ne(n3b, n3);
    ck_assert_msg(strstr(logbuf, n2b) != NULL, "the re-run of night 3 did not take night 2's re-run %s: %s", n2b, logbuf);

    /* until the run recorded last of 2026-11-30 is not the one whose name
     * sorts last (the names are digests: each try has an even chance or
     * better), night 3 again with one more blank line */
    static char runs30[10][64];
    int k = 0;
    snprintf(runs30[k++], sizeof runs30[0], "%s", n3);
    snprintf(runs30[k++], sizeof runs30[0], "%s", n3b);
    int maxi = strcmp(n3b, n3) > 0 ? 1 : 0;
    while (maxi == k - 1 && k < 10) {
        shf("printf '\\n' >> %s", inbox);
        ck_assert_int_eq(night(pv, "2026-11-30", &r, &e), HD_OK);
        snprintf(runs30[k], sizeof runs30[0], "%s", base_name(r.outdir));
        for (int i = 0; i < k; i++) ck_assert_str_ne(runs30[i], runs30[k]);
        if (strcmp(runs30[k], runs30[maxi]) > 0) maxi = k;
        k++;
    }
    ck_assert_int_lt(maxi, k - 1);
    const char *last = runs30[k - 1], *other = runs30[maxi];
    ck_assert_int_lt(strcmp(last, other), 0);
    ck_assert_str_eq(capture("sqlite3 %s/register.db \"SELECT run FROM runs WHERE as_of = '2026-11-30' "
                             "ORDER BY recorded DESC LIMIT 1\" | tr -d '\\n'", out), last);

    /* night 4's job, resolved without running it */
    char job4[4300];
    snprintf(job4, sizeof job4, "%s/job-4.ini", pv);
    shf("sed -e 's|^as_of *=.*|as_of = 2026-12-01|' -e 's|^output *=.*|output = out-nights/\\nprevious = latest|' "
        "%s/job.ini > %s", pv, job4);
    ck_assert_str_eq(resolve(job4), last);
    /* the register decides even when OUTPUT/latest names the other */
    shf("ln -sfn %s %s/latest", other, out);
    ck_assert_str_eq(resolve(job4), last);
    /* without the register: OUTPUT/latest, then the name */
    shf("mv %s/register.db %s/register.db.away", out, base);
    ck_assert_str_eq(resolve(job4), other);
    shf("ln -sfn %s %s/latest", last, out);
    ck_assert_str_eq(resolve(job4), last);
    shf("rm %s/latest", out);
    ck_assert_str_eq(resolve(job4), other);
    shf("mv %s/register.db.away %s/register.db && ln -s %s %s/latest", base, out, last, out);

    /* register rebuild: the same recording order */
    char a[8192];
    snprintf(a, sizeof a, "%s", capture("sqlite3 %s/register.db 'SELECT run, recorded FROM runs ORDER BY run'", out));
    ck_assert_int_eq(atoi(capture("sqlite3 %s/register.db 'SELECT count(DISTINCT recorded) FROM runs'", out)), 3 + k);
    shf("\"$HEDUI_BIN\" register rebuild -q --register %s/rebuilt.db %s", base, out);
    ck_assert_str_eq(capture("sqlite3 %s/rebuilt.db 'SELECT run, recorded FROM runs ORDER BY run'", base), a);

    /* and a real night 4 takes it */
    ck_assert_int_eq(night(pv, "2026-12-01", &r, &e), HD_OK);
    snprintf(want, sizeof want, "previous_latest previous = latest: %s/%s\n", out, last);
    ck_assert_msg(strstr(logbuf, last) != NULL && strstr(logbuf, "previous_latest"), "night 4 did not take %s: %s", last, logbuf);
    shf("rm -rf %s", base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("changes");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, policy_defaults);
    tcase_add_test(tc, policy_inheritance);
    tcase_add_test(tc, policy_bad_values);
    suite_add_tcase(s, tc);
    tc = tcase_create("job");
    tcase_add_test(tc, previous_missing_or_not_an_output);
    suite_add_tcase(s, tc);
    tc = tcase_create("report");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, change_report_end_to_end);
    tcase_add_test(tc, previous_latest_three_nights);
    tcase_add_test(tc, previous_latest_prefers_the_run_recorded_last);
    suite_add_tcase(s, tc);
    return td_run(s);
}
