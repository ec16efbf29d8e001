/*
 * test_config.c — config files that must be refused (SPEC §6 "Config
 * files"): a repeated job section or key, and descriptor date formats that
 * are not strptime-style with %Y, %m, %d.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include "hedui/batch.h"

static char dir[64];

static const char *write_file(const char *name, const char *text)
{
    static char p[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/hedui-config-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
    }
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static const char *JOB =
    "[job]\napplicants = inbox/*.csv\napplicants_format = a.fmt\npolicy = p.policy\n"
    "key = k.key\noutput = out\n";

START_TEST(job_repeated_source_section_refused)
{
    char text[2048];
    snprintf(text, sizeof text, "%s[source \"bank-a\"]\nformat = a.fmt\nfiles = a/*\n"
             "[source \"bank-a\"]\nformat = b.fmt\nfiles = b/*\n", JOB);
    hd_job *j = NULL;
    hd_error e;
    ck_assert_int_eq(hd_job_load(&j, write_file("j1.ini", text), 0, &e), HD_ECONFIG);
    ck_assert_ptr_null(j);
    ck_assert_msg(strstr(e.message, "j1.ini:11:") && strstr(e.message, "given twice"), "%s", e.message);
}
END_TEST

START_TEST(job_repeated_key_refused)
{
    char text[2048];
    snprintf(text, sizeof text, "%soutput = elsewhere\n", JOB);
    hd_job *j = NULL;
    hd_error e;
    ck_assert_int_eq(hd_job_load(&j, write_file("j2.ini", text), 0, &e), HD_ECONFIG);
    ck_assert_msg(strstr(e.message, "j2.ini:7:") && strstr(e.message, "'output'"), "%s", e.message);
}
END_TEST

START_TEST(job_distinct_sources_accepted)
{
    char text[2048];
    snprintf(text, sizeof text, "%s[source \"bank-a\"]\nformat = a.fmt\nfiles = a/*\n"
             "[source \"bank-b\"]\nformat = b.fmt\nfiles = b/*\n", JOB);
    hd_job *j = NULL;
    hd_error e;
    ck_assert_int_eq(hd_job_load(&j, write_file("j3.ini", text), 0, &e), HD_OK);
    ck_assert_int_eq(j->nsources, 2);
    hd_job_free(j);
}
END_TEST

static int load_fmt(const char *units)
{
    char text[1024];
    snprintf(text, sizeof text, "[format]\nkind = death\nheader = yes\n[columns]\n"
             "id_number = id\ndate_of_death = d\n[units]\ndate_of_death = %s\n", units);
    hd_descriptor *d = NULL;
    hd_error e;
    int rc = hd_descriptor_load(&d, write_file("d.fmt", text), &e);
    hd_descriptor_free(d);
    return rc;
}

START_TEST(descriptor_date_formats)
{
    ck_assert_int_eq(load_fmt("%Y%m%d"), HD_OK);
    ck_assert_int_eq(load_fmt("%Y-%m-%d|%Y/%m/%d"), HD_OK);
    ck_assert_int_eq(load_fmt("%d.%m.%Y"), HD_OK);
    ck_assert_int_eq(load_fmt("%Q"), HD_ECONFIG);          /* unknown conversion */
    ck_assert_int_eq(load_fmt("%Y%m"), HD_ECONFIG);        /* a date needs a day */
    ck_assert_int_eq(load_fmt("%Y%m%d|"), HD_ECONFIG);     /* empty alternative */
    ck_assert_int_eq(load_fmt("%Y%Y%m%d"), HD_ECONFIG);    /* %Y twice */
    ck_assert_int_eq(load_fmt("%Y-%m-%"), HD_ECONFIG);     /* dangling % */
}
END_TEST

/* SPEC §8: "When several apply, the first of 2, 78, 66, 75, 65, 74, 3":
 * every pair, in both arrival orders, keeps the earlier one of that list
 * (written out here, not taken from the engine). */
START_TEST(exit_code_order_when_several_apply)
{
    static const int order[] = { 2, 78, 66, 75, 65, 74, 3 };
    const int n = (int)(sizeof order / sizeof *order);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            hd_error acc, e;
            hd_error_clear(&acc);
            hd_fail(&e, order[i], "first %d", order[i]);
            ck_assert_int_eq(hd_error_keep_first(&acc, &e), order[i]);
            hd_fail(&e, order[k], "second %d", order[k]);
            int want = order[i < k ? i : k];
            ck_assert_int_eq(hd_error_keep_first(&acc, &e), want);
            /* an equal status keeps the first message */
            char msg[32];
            snprintf(msg, sizeof msg, "%s %d", i <= k ? "first" : "second", want);
            ck_assert_str_eq(acc.message, msg);
        }
    hd_error acc, ok;
    hd_error_clear(&acc);
    hd_error_clear(&ok);
    ck_assert_int_eq(hd_error_keep_first(&acc, &ok), HD_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("refused");
    tcase_add_test(tc, job_repeated_source_section_refused);
    tcase_add_test(tc, job_repeated_key_refused);
    tcase_add_test(tc, job_distinct_sources_accepted);
    tcase_add_test(tc, descriptor_date_formats);
    tcase_add_test(tc, exit_code_order_when_several_apply);
    suite_add_tcase(s, tc);
    int rc = td_run(s);
    if (dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        system(cmd);
    }
    return rc;
}
