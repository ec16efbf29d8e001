/*
 * test_lists.c — re-check of recipients and proactive discovery (SPEC §10):
 * the populations ([job] roster, monitor), county/<code>/recheck.csv and
 * discovery.csv, over two nights of a hand-made province
 * (tests/fixtures/lists/build.py says what is planted and why each
 * expected row is what it is: one county with a standard of 800.00 yuan).
 *
 * Night 1 (as_of 2026-11-01) has no previous run; night 2 (2026-12-01)
 * names night 1 as [job] previous. Each list must hold exactly the
 * planted rows, in the documented order, and nothing else.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "hedui/batch.h"

#define BUILD "python3 tests/fixtures/lists/build.py"

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

static int run(const char *job, int threads, hd_run_result *r)
{
    hd_run_opts o = {0};
    o.threads = threads;
    hd_error e;
    memset(r, 0, sizeof *r);
    int rc = hd_run(job, &o, r, &e);
    if (rc != HD_OK) fprintf(stderr, "hd_run %s: %s\n", job, e.message);
    return rc;
}

static char *county_file(const char *outdir, const char *name)
{
    char p[4600];
    snprintf(p, sizeof p, "%s/county/530102/%s", outdir, name);
    return td_slurp(p, NULL);
}

static char base[64];
static char out1[4096], out2[4096];

/* Builds and runs both nights (same key), in a fresh directory. */
static void two_nights(int threads)
{
    snprintf(base, sizeof base, "/tmp/hedui-lists-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(base));
    char job[256];
    hd_run_result r;
    shf(BUILD " %s/n1 1 && \"$HEDUI_BIN\" keygen %s/n1/keys >/dev/null", base, base);
    snprintf(job, sizeof job, "%s/n1/job.ini", base);
    ck_assert_int_eq(run(job, threads, &r), HD_OK);
    snprintf(out1, sizeof out1, "%s", r.outdir);
    hd_run_result_free(&r);
    shf(BUILD " %s/n2 2 %s && cp -r %s/n1/keys %s/n2/keys", base, out1, base, base);
    snprintf(job, sizeof job, "%s/n2/job.ini", base);
    ck_assert_int_eq(run(job, threads, &r), HD_OK);
    snprintf(out2, sizeof out2, "%s", r.outdir);
    ck_assert_uint_eq(r.populations[0], 2);
    ck_assert_uint_eq(r.populations[1], 9);
    ck_assert_uint_eq(r.populations[2], 4);
    ck_assert_uint_eq(r.superseded[1], 1);          /* A01 of the roster */
    ck_assert_uint_eq(r.recheck_households, 5);
    ck_assert_uint_eq(r.discovery_households, 6);
    ck_assert_uint_eq(r.ncounties, 1);
    ck_assert_uint_eq(r.counties[0].recheck, 5);
    ck_assert_uint_eq(r.counties[0].discovery, 6);
    hd_run_result_free(&r);
}

static void cleanup(void) { if (base[0]) shf("rm -rf %s", base); base[0] = 0; }

START_TEST(night_one)
{
    two_nights(1);
    char *re = county_file(out1, "recheck.csv");
    ck_assert_str_eq(re,
        "county_code,application_id,code,code_zh,status,first_seen\n"
        "530102,R04,VEHICLE_NON_EXEMPT,拥有非豁免机动车辆,new,2026-11-01\n");
    char *di = county_file(out1, "discovery.csv");
    /* no previous run: ELIGIBLE_NOW only, lowest income per capita first;
     * M01 declares 900.00 > 800.00 under dibao (its bianyuan section would
     * allow 1200.00): not listed */
    ck_assert_str_eq(di,
        "county_code,application_id,population,trigger,trigger_zh,income_per_capita_fen\n"
        "530102,M04,monitored,ELIGIBLE_NOW,现已符合低保条件,10000\n"
        "530102,M02,monitored,ELIGIBLE_NOW,现已符合低保条件,20000\n");
    free(re);
    free(di);
    cleanup();
}
END_TEST

START_TEST(night_two)
{
    two_nights(2);
    char *re = county_file(out2, "recheck.csv");
    /* new first, then by application_id. R04's car (the same vehicle row
     * on both nights, so the same finding id) was recorded in the register
     * by night 1, whose register night 2 reads ([job] register): it is
     * `known` since night 1's as_of, 2026-11-01, and comes last. */
    ck_assert_str_eq(re,
        "county_code,application_id,code,code_zh,status,first_seen\n"
        "530102,R01,VEHICLE_NON_EXEMPT,拥有非豁免机动车辆,new,2026-12-01\n"
        "530102,R02,PROPERTY_NON_RESIDENTIAL,拥有非住宅类房产,new,2026-12-01\n"
        "530102,R03,INCOME_OVER_STANDARD,家庭收入超过低保标准,new,2026-12-01\n"
        "530102,R05,MEMBER_DECEASED,家庭成员已死亡,new,2026-12-01\n"
        "530102,R04,VEHICLE_NON_EXEMPT,拥有非豁免机动车辆,known,2026-11-01\n");
    char *di = county_file(out2, "discovery.csv");
    /* R07: 50000 -> 30000 fen, (50000 - 30000) x 100 = 2,000,000 > 30 x 50000;
     * R08: 50000 -> 40000, 1,000,000 is not > 1,500,000: not listed */
    ck_assert_str_eq(di,
        "county_code,application_id,population,trigger,trigger_zh,income_per_capita_fen\n"
        "530102,M04,monitored,ELIGIBLE_NOW,现已符合低保条件,10000\n"
        "530102,M02,monitored,ELIGIBLE_NOW,现已符合低保条件,20000\n"
        "530102,M01,monitored,ELIGIBLE_NOW,现已符合低保条件,70000\n"
        "530102,R05,recipient,MEMBER_DECEASED_NEW,家庭成员新近死亡,30000\n"
        "530102,R06,recipient,PENSION_STOPPED,养老金停发,20000\n"
        "530102,R07,recipient,INCOME_DROP,人均收入明显下降,30000\n");
    char *hh = county_file(out2, "households.csv");
    /* the last column is the population; A01 is judged as an applicant
     * although the roster has it too; A02 and M04 share a member's ID but
     * a monitored household neither raises nor gets DUPLICATE_APPLICATION */
    ck_assert_ptr_nonnull(strstr(hh, ",businesses,population\n"));
    ck_assert_ptr_nonnull(strstr(hh, "\n530102,A01,dibao,urban,1,ELIGIBLE,符合,,,"));
    ck_assert_ptr_nonnull(strstr(hh, "\n530102,A02,dibao,urban,1,ELIGIBLE,符合,,,"));
    ck_assert_ptr_nonnull(strstr(hh, "\n530102,M04,bianyuan,urban,1,ELIGIBLE,符合,,,"));
    ck_assert_ptr_null(strstr(hh, "DUPLICATE_APPLICATION"));
    const char *a01 = strstr(hh, "\n530102,A01,");
    ck_assert_ptr_nonnull(a01);
    ck_assert_ptr_null(strstr(a01 + 1, "\n530102,A01,"));          /* once */
    const char *eol = strchr(a01 + 1, '\n');
    ck_assert_int_eq(strncmp(eol - 10, ",applicant", 10), 0);
    char sp[4600];
    snprintf(sp, sizeof sp, "%s/summary.json", out2);
    char *sum = td_slurp(sp, NULL);
    ck_assert_ptr_nonnull(strstr(sum, "\"recipient\": {\"given\": true, \"files\": 1, \"households\": 9, \"superseded\": 1}"));
    ck_assert_ptr_nonnull(strstr(sum, "\"recheck\": {\"households\": 5, \"rows\": 5, \"new\": 4, \"known\": 1}"));
    ck_assert_ptr_nonnull(strstr(sum, "\"ELIGIBLE_NOW\": 3, \"MEMBER_DECEASED_NEW\": 1, \"PENSION_STOPPED\": 1, \"INCOME_DROP\": 1"));
    const char *led = strstr(sum, "\"source\": \"roster\", \"rows\": 11, \"rows_ok\": 11, \"rows_quarantined\": 0,");
    ck_assert_ptr_nonnull(led);
    ck_assert_ptr_nonnull(strstr(led, "\"rows_superseded\": 1"));
    ck_assert(strstr(led, "\"rows_superseded\": 1") < strchr(led, '}'));
    free(sum);
    free(hh);
    free(re);
    free(di);
    cleanup();
}
END_TEST

/* A damaged pension source on night 2 (a glob that matches nothing): no
 * PENSION_STOPPED and no INCOME_DROP (pensions are income) can come from
 * it; the death still counts. No household is ELIGIBLE, so no
 * ELIGIBLE_NOW either. */
START_TEST(damaged_kind_gives_no_change)
{
    two_nights(1);
    char job[256];
    snprintf(job, sizeof job, "%s/n2/job.ini", base);
    shf("sed -i 's#files = extracts/pension.csv#files = extracts/none-*.csv#' %s", job);
    hd_run_result r;
    ck_assert_int_eq(run(job, 1, &r), HD_EDAMAGED);
    char *di = county_file(r.outdir, "discovery.csv");
    ck_assert_str_eq(di,
        "county_code,application_id,population,trigger,trigger_zh,income_per_capita_fen\n"
        "530102,R05,recipient,MEMBER_DECEASED_NEW,家庭成员新近死亡,30000\n");
    free(di);
    hd_run_result_free(&r);
    cleanup();
}
END_TEST

/* Roster rows of a county with no standard (another province's codes) are
 * quarantined (COUNTY_UNKNOWN); the household cannot be judged, goes to
 * REVIEW and is listed for re-check in its own county. */
START_TEST(roster_of_another_province)
{
    two_nights(1);
    shf("cd %s/n1 && printf '%%s\\n' 'B01,110101,urban,1,110101197001010016,Someone,self,dibao,100.00,2024-01-01' >> roster/recipients.csv", base);
    char job[256];
    snprintf(job, sizeof job, "%s/n1/job.ini", base);
    hd_run_result r;
    memset(&r, 0, sizeof r);
    hd_run_opts o = {0};
    o.threads = 1;
    o.force = 1;
    hd_error e;
    int rc = hd_run(job, &o, &r, &e);
    ck_assert_int_eq(rc, HD_OK);
    char p[4600];
    snprintf(p, sizeof p, "%s/quarantine/roster.csv", r.outdir);
    char *q = td_slurp(p, NULL);
    ck_assert_ptr_nonnull(strstr(q, "roster/recipients.csv,13,COUNTY_UNKNOWN,county_code,"));
    snprintf(p, sizeof p, "%s/county/110101/recheck.csv", r.outdir);
    char *re = td_slurp(p, NULL);
    ck_assert_str_eq(re,
        "county_code,application_id,code,code_zh,status,first_seen\n"
        "110101,B01,APPLICANT_ROW_REJECTED,申请人信息行无法使用,new,2026-11-01\n");
    free(q);
    free(re);
    hd_run_result_free(&r);
    cleanup();
}
END_TEST

/* A roster file saved in GBK while its descriptor says UTF-8: rejected
 * whole like an applicant file (SPEC §7 WRONG_ENCODING): no household of
 * it, no list row, the run exits 3 and rejected_files.csv says why. A monitored household none of
 * whose rows is usable (its only member's ID is wrong) is REVIEW, never
 * ELIGIBLE_NOW. */
START_TEST(bad_population_files)
{
    two_nights(1);
    /* a second roster file: R20 with a name in GBK (张三 = D5 C5 C8 FD) */
    shf("cd %s/n1 && printf 'application_id,county_code,area_type,member_no,id_number,name,relation,"
        "assistance_type,declared_income,since\\nR20,530102,urban,1,530102197001010993,\\325\\305\\310\\375,"
        "self,dibao,100.00,2024-01-01\\n' > roster/gbk.csv", base);
    /* M09: the only member's ID has a wrong check character (no usable row:
     * its type and area cannot be read and show the defaults, dibao/urban) */
    shf("cd %s/n1 && printf '%%s\n' 'M09,530102,urban,1,530102197001010999,Nobody,self,bianyuan,100.00,2024-01-01'"
        " >> monitor/monitored.csv", base);
    char job[256];
    snprintf(job, sizeof job, "%s/n1/job.ini", base);
    hd_run_result r;
    memset(&r, 0, sizeof r);
    hd_run_opts o = {0};
    o.threads = 2;
    o.force = 1;
    hd_error e;
    /* SPEC §7: the GBK file is rejected whole (WRONG_ENCODING, exit 3); its
     * county cannot be read from a row, so county/unknown/ says why */
    ck_assert_int_eq(hd_run(job, &o, &r, &e), HD_EDAMAGED);
    char p[4600];
    snprintf(p, sizeof p, "%s/county/unknown/rejected_files.csv", r.outdir);
    char *q = td_slurp(p, NULL);
    ck_assert_ptr_nonnull(strstr(q, "\nroster/gbk.csv,WRONG_ENCODING,"));
    snprintf(p, sizeof p, "%s/quarantine/monitor.csv", r.outdir);
    char *qm = td_slurp(p, NULL);
    ck_assert_ptr_nonnull(strstr(qm, "monitor/monitored.csv,6,ID_CHECK,id_number,"));
    char *re = county_file(r.outdir, "recheck.csv");
    ck_assert_str_eq(re,
        "county_code,application_id,code,code_zh,status,first_seen\n"
        "530102,R04,VEHICLE_NON_EXEMPT,拥有非豁免机动车辆,new,2026-11-01\n");
    char *di = county_file(r.outdir, "discovery.csv");
    ck_assert_ptr_null(strstr(di, "M09"));
    char *hh = county_file(r.outdir, "households.csv");
    ck_assert_ptr_nonnull(strstr(hh, "\n530102,M09,dibao,urban,1,REVIEW,"));
    free(q); free(qm); free(re); free(di); free(hh);
    hd_run_result_free(&r);
    cleanup();
}
END_TEST

/* The lists are byte-identical at -j1, -j2 and -j8 (issue 14): night 2
 * again with every source dealt into up to three files (build.py
 * --files=3: R06's active and stopped pension rows, R03's wages and the
 * deaths in different files, scanned by different workers), once per
 * -j in a copy of its own. recheck.csv and discovery.csv must equal the
 * one-file night 2's (out2, -j1; night_two asserts their content) byte
 * for byte at every -j, and every county file and summary.json must be
 * the same across the three. */
START_TEST(same_at_every_j)
{
    two_nights(1);
    shf(BUILD " %s/n2s 2 %s --files=3 && cp -r %s/n1/keys %s/n2s/keys", base, out1, base, base);
    static const int js[] = {1, 2, 8};
    char outs[3][4096];
    for (int i = 0; i < 3; i++) {
        shf("cp -r %s/n2s %s/n2j%d", base, base, js[i]);
        char job[256];
        snprintf(job, sizeof job, "%s/n2j%d/job.ini", base, js[i]);
        hd_run_result r;
        ck_assert_int_eq(run(job, js[i], &r), HD_OK);
        ck_assert_uint_eq(r.recheck_households, 5);
        ck_assert_uint_eq(r.discovery_households, 6);
        snprintf(outs[i], sizeof outs[i], "%s", r.outdir);
        hd_run_result_free(&r);
        shf("cmp %s/county/530102/recheck.csv %s/county/530102/recheck.csv && "
            "cmp %s/county/530102/discovery.csv %s/county/530102/discovery.csv",
            out2, outs[i], out2, outs[i]);
    }
    for (int i = 1; i < 3; i++)
        shf("cmp %s/summary.json %s/summary.json && diff -r %s/county %s/county >/dev/null",
            outs[0], outs[i], outs[0], outs[i]);
    cleanup();
}
END_TEST

/* Job keys (SPEC §10): a population's format defaults to the applicants',
 * a *_format without its glob, a format not of kind applicants and a glob
 * that matches nothing are refused. */
START_TEST(job_keys)
{
    two_nights(1);
    char job[256];
    snprintf(job, sizeof job, "%s/n1/job.ini", base);
    hd_job *j = NULL;
    hd_error e;
    ck_assert_int_eq(hd_job_load(&j, job, hd_date_from_ymd(2026, 12, 4), &e), HD_OK);
    ck_assert_str_eq(j->roster_format, j->applicants_format);     /* not given: the default */
    ck_assert_str_eq(j->monitor_format, j->applicants_format);
    ck_assert_ptr_nonnull(strstr(j->roster_glob, "/roster/*.csv"));
    hd_job_free(j);
    shf("cd %s/n1 && sed 's#^roster = .*#roster_format = formats/people.fmt#' job.ini > nofiles.ini", base);
    snprintf(job, sizeof job, "%s/n1/nofiles.ini", base);
    ck_assert_int_eq(hd_job_load(&j, job, hd_date_from_ymd(2026, 12, 4), &e), HD_ECONFIG);
    ck_assert_ptr_nonnull(strstr(e.message, "roster (roster_format is given) is missing"));
    shf("cd %s/n1 && sed 's#^monitor = .*#monitor = monitor/*.csv\\nmonitor_format = formats/death.fmt#' job.ini > kind.ini", base);
    snprintf(job, sizeof job, "%s/n1/kind.ini", base);
    hd_run_result r;
    hd_run_opts o = {0};
    o.threads = 1;
    ck_assert_int_eq(hd_run(job, &o, &r, &e), HD_ECONFIG);
    ck_assert_ptr_nonnull(strstr(e.message, "monitor_format must be of kind applicants"));
    shf("cd %s/n1 && sed 's#^roster = .*#roster = roster/none-*.csv#' job.ini > glob.ini", base);
    snprintf(job, sizeof job, "%s/n1/glob.ini", base);
    ck_assert_int_eq(hd_run(job, &o, &r, &e), HD_ENOINPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "no roster file matches"));
    cleanup();
}
END_TEST

/* report.html counts the populations and lists; results.xlsx has a sheet
 * for each list (the workbook's sheet names are in xl/workbook.xml). */
START_TEST(html_and_workbook)
{
    two_nights(1);
    char p[4600];
    snprintf(p, sizeof p, "%s/audit/report.html", out2);
    char *h = td_slurp(p, NULL);
    ck_assert_ptr_nonnull(strstr(h, "<h2 id=\"lists\">"));
    ck_assert_ptr_nonnull(strstr(h, "recipients <b id=\"pop-recipient\">9</b>"));
    ck_assert_ptr_nonnull(strstr(h, "<b id=\"recheck-households\">5</b>"));
    ck_assert_ptr_nonnull(strstr(h, "<b id=\"discovery-households\">6</b>"));
    ck_assert_ptr_nonnull(strstr(h, "<td class=\"mono\">530102</td><td class=\"n\">2</td><td class=\"n\">9</td>"
                                    "<td class=\"n\">4</td><td class=\"n\">5</td><td class=\"n\">3</td>"
                                    "<td class=\"n\">1</td><td class=\"n\">1</td><td class=\"n\">1</td></tr>"));
    ck_assert_ptr_null(strstr(h, "R01"));          /* no application id on the auditor's page */
    free(h);
    shf("cd %s && unzip -p county/530102/results.xlsx xl/workbook.xml | grep -q '复核名单' && "
        "unzip -p county/530102/results.xlsx xl/workbook.xml | grep -q '主动发现'", out2);
    cleanup();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lists");
    TCase *tc = tcase_create("lists");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, night_one);
    tcase_add_test(tc, night_two);
    tcase_add_test(tc, damaged_kind_gives_no_change);
    tcase_add_test(tc, roster_of_another_province);
    tcase_add_test(tc, bad_population_files);
    tcase_add_test(tc, same_at_every_j);
    tcase_add_test(tc, job_keys);
    tcase_add_test(tc, html_and_workbook);
    suite_add_tcase(s, tc);
    return td_run(s);
}
