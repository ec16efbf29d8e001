/*
 * test_batch.c — cases through the whole batch (hedui run) on a generated
 * province: applicant lists a county might really send (the same person
 * twice in one application, an unknown county code, a row with a low-level
 * fault) and a stale extract. Expected verdicts are worked out by hand from
 * SPEC §4 and the shipped policy (urban standard 640 yuan/month; assets
 * limit = members x 24 x 640 yuan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "testutil.h"

static char prov[4096];
static const char *HDR = "申请编号,区县代码,城乡类别,成员序号,身份证号码,姓名,与申请人关系,救助类型,申报月收入,申请日期,残疾等级\n";

/* GB 11643 check character, written here independently of engine/ident. */
static void make_id(const char *body17, char out[19])
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int s = 0;
    for (int i = 0; i < 17; i++) s += (body17[i] - '0') * w[i];
    memcpy(out, body17, 17);
    out[17] = "10X98765432"[s % 11];
    out[18] = 0;
}

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static void province(void)
{
    if (prov[0]) return;
    snprintf(prov, sizeof prov, "/tmp/hedui-appl-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(prov));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "python3 scripts/gen-province.py %s --households 100 --background-factor 2 "
             ">/dev/null 2>&1 && rmdir %s/keys && '%s' keygen %s/keys >/dev/null",
             prov, prov, getenv("HEDUI_BIN"), prov);
    ck_assert_int_eq(sh(cmd), 0);
}

/* A fresh copy of the province with an extra applicant file and an extra
 * bank-b deposit file (zstd-compressed, as its name says). */
static const char *variant(const char *name, const char *inbox, const char *deposits)
{
    static char d[4300];
    snprintf(d, sizeof d, "%s-%s", prov, name);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "rm -rf %s && cp -r %s %s && rm -rf %s/out", d, prov, d, d);
    ck_assert_int_eq(sh(cmd), 0);
    char p[4400];
    snprintf(p, sizeof p, "%s/inbox/zz.csv", d);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(HDR, f);
    fputs(inbox, f);
    fclose(f);
    if (deposits) {
        snprintf(p, sizeof p, "%s/extracts/bank-b/zz.csv", d);
        f = fopen(p, "wb");
        ck_assert_ptr_nonnull(f);
        fputs(deposits, f);
        fclose(f);
        /* a name ending in .zst must hold zstd (SPEC §7 NOT_ZSTD) */
        snprintf(cmd, sizeof cmd, "zstd -q --rm -f %s/extracts/bank-b/zz.csv", d);
        ck_assert_int_eq(sh(cmd), 0);
    }
    return d;
}

/* Runs the batch; returns its exit status. */
static int run(const char *d)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "'%s' -q run %s/job.ini >/dev/null 2>%s/err.txt", getenv("HEDUI_BIN"), d, d);
    return sh(cmd);
}

/* The households.csv line of application `app` in county 530102 (or the
 * given county directory), into out. */
static void household(const char *d, const char *county, const char *app, char *out, size_t cap)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "grep -h ',%s,' %s/out/[0-9]*/county/%s/households.csv", app, d, county);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    out[0] = 0;
    ck_assert_msg(fgets(out, (int)cap, p) != NULL, "no household %s in county %s", app, county);
    pclose(p);
}

static int quarantined(const char *d, const char *reason)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "grep -q 'inbox/zz.csv,[0-9]*,%s,' %s/out/[0-9]*/quarantine/applicants.csv", reason, d);
    return sh(cmd) == 0;
}

START_TEST(one_member_over_the_asset_limit)
{
    province();
    char id[19], in[1024], dep[1024], line[4096];
    make_id("53010219700101041", id);
    snprintf(in, sizeof in, "D1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n", id);
    /* 20,000.00 yuan > 1 x 24 x 640 = 15,360 yuan */
    snprintf(dep, sizeof dep, "%s|测试甲|B1|6222000000099999|01|2000000|2026-10-31|N\n", id);
    const char *d = variant("one", in, dep);
    ck_assert_int_eq(run(d), 0);
    household(d, "530102", "D1", line, sizeof line);
    ck_assert_msg(strstr(line, ",1,INELIGIBLE,") && strstr(line, ",ASSETS_OVER_LIMIT,"), "%s", line);
}
END_TEST

START_TEST(same_person_twice_in_one_application_is_not_eligible)
{
    province();
    char id[19], in[1024], dep[1024], line[4096];
    make_id("53010219700101041", id);
    snprintf(in, sizeof in, "D1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n"
                            "D1,530102,城镇,2,%s,测试甲,本人,低保,0,2026-11-03,\n", id, id);
    snprintf(dep, sizeof dep, "%s|测试甲|B1|6222000000099999|01|2000000|2026-10-31|N\n", id);
    const char *d = variant("dup", in, dep);
    ck_assert_int_eq(run(d), 0);
    household(d, "530102", "D1", line, sizeof line);
    /* both rows are members (SPEC §6), the second is quarantined: 2 x 24 x
     * 640 = 30,720 yuan is not exceeded, but the household is reviewed */
    ck_assert_msg(strstr(line, ",2,REVIEW,") && strstr(line, "APPLICANT_ROW_REJECTED"), "%s", line);
    ck_assert(quarantined(d, "DUPLICATE_MEMBER"));
}
END_TEST

START_TEST(unknown_county_is_quarantined_not_fatal)
{
    province();
    char id[19], in[1024], line[4096];
    make_id("53010219700101051", id);
    snprintf(in, sizeof in, "E1,5301O2,城镇,1,%s,测试乙,本人,低保,0,2026-11-03,\n", id);
    const char *d = variant("county", in, NULL);
    ck_assert_int_eq(run(d), 0);
    household(d, "5301O2", "E1", line, sizeof line);   /* letters and digits name a directory */
    ck_assert_msg(strstr(line, ",REVIEW,") && strstr(line, "APPLICANT_ROW_REJECTED"), "%s", line);
    ck_assert(quarantined(d, "COUNTY_UNKNOWN"));
}
END_TEST

START_TEST(faulty_row_keeps_its_household_in_review)
{
    province();
    char a[19], b[19], in[1024], line[4096];
    make_id("53010219700101031", a);
    make_id("53010219700101032", b);
    /* the second row carries a NUL byte: quarantined (NUL_BYTE), but its
     * application id is readable, so C1 has 2 members and is reviewed */
    int n = snprintf(in, sizeof in, "C1,530102,城镇,1,%s,甲,本人,低保,0,2026-11-03,\n"
                                    "C1,530102,城镇,2,%s,乙X,配偶,低保,0,2026-11-03,\n", a, b);
    char *x = strstr(in, "乙X");
    ck_assert_ptr_nonnull(x);
    x[strlen("乙")] = '\0';
    /* write by hand: the string holds a NUL */
    const char *d = variant("nul", "", NULL);
    char p[4400];
    snprintf(p, sizeof p, "%s/inbox/zz.csv", d);
    FILE *f = fopen(p, "wb");
    fputs(HDR, f);
    fwrite(in, 1, (size_t)n, f);
    fclose(f);
    ck_assert_int_eq(run(d), 0);
    household(d, "530102", "C1", line, sizeof line);
    ck_assert_msg(strstr(line, ",2,REVIEW,") && strstr(line, "APPLICANT_ROW_REJECTED"), "%s", line);
    ck_assert(quarantined(d, "NUL_BYTE"));
}
END_TEST

/* The policy's max_age_days (issue 3): the generator dates every deposit
 * row 2026-10-31 or earlier, 28 days before as_of 2026-11-28. A limit of
 * 20 days makes the deposit sources stale (damaged, exit 3, no household
 * ELIGIBLE); 40 days does not. */
static int run_with_max_age(const char *name, int days)
{
    const char *d = variant(name, "", NULL);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "sed -i 's/^\\[policy\\]$/[policy]\\nmax_age_days = %d/' %s/policy/yunnan.policy", days, d);
    ck_assert_int_eq(sh(cmd), 0);
    return run(d);
}

START_TEST(stale_extract_damages_its_source)
{
    province();
    ck_assert_int_eq(run_with_max_age("fresh", 40), 0);
    ck_assert_int_eq(run_with_max_age("stale", 20), 3);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "grep -q '\"name\": \"bank-a\", \"kind\": \"deposit\".*\"damage\": \"STALE\"' %s-stale/out/[0-9]*/summary.json", prov);
    ck_assert_int_eq(sh(cmd), 0);
    snprintf(cmd, sizeof cmd, "grep -q '\"ELIGIBLE\": 0,' %s-stale/out/[0-9]*/summary.json", prov);
    ck_assert_int_eq(sh(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("batch");
    TCase *tc = tcase_create("batch");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, one_member_over_the_asset_limit);
    tcase_add_test(tc, same_person_twice_in_one_application_is_not_eligible);
    tcase_add_test(tc, unknown_county_is_quarantined_not_fatal);
    tcase_add_test(tc, faulty_row_keeps_its_household_in_review);
    tcase_add_test(tc, stale_extract_damages_its_source);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (prov[0] && !failed) {
        char cmd[4400];
        snprintf(cmd, sizeof cmd, "rm -rf %s %s-*", prov, prov);
        system(cmd);
    }
    return failed ? 1 : 0;
}
