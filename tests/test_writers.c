/*
 * test_writers.c — the writers alone, on a small finished run built by
 * hand (report/results.h): no job file, no extract, no pipeline.
 *
 * Two households in two counties, given in the model in the reverse of
 * output order, with judgements set here (not by the judge): what the
 * writers print is worked out below from those figures, by hand — the
 * verdict and reason names of SPEC §5 / docs/reasons.md, fen as integers,
 * IDs masked to the first 6 and the last 4 characters, households sorted
 * by county code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "report/report.h"
#include "register/reg_run.h"
#include "util/path.h"

static char dir[64], out[128];
static hd_results R;
static hd_job J;

static void add_household(hd_model *m, const char *county, const char *app, int assist, int area,
                          const char *const ids[], const char *const names[], uint32_t n)
{
    m->households = realloc(m->households, (m->nhouseholds + 1) * sizeof *m->households);
    ck_assert_ptr_nonnull(m->households);
    m->caphouseholds = m->nhouseholds + 1;
    hd_household *h = &m->households[m->nhouseholds];
    memset(h, 0, sizeof *h);
    h->county_code = hd_model_strdup(m, county, strlen(county));
    h->application_id = hd_model_strdup(m, app, strlen(app));
    h->assistance_type = (uint8_t)assist;
    h->area_type = (uint8_t)area;
    h->first_member = m->nmembers;
    h->nmembers = n;
    m->members = realloc(m->members, (m->nmembers + n) * sizeof *m->members);
    ck_assert_ptr_nonnull(m->members);
    m->capmembers = m->nmembers + n;
    for (uint32_t i = 0; i < n; i++) {
        hd_member *mb = &m->members[m->nmembers + i];
        memset(mb, 0, sizeof *mb);
        mb->household = m->nhouseholds;
        mb->rejected = HD_R_NONE;
        snprintf(mb->id.s, sizeof mb->id.s, "%s", ids[i]);
        mb->name = hd_model_strdup(m, names[i], strlen(names[i]));
        char no[4];
        snprintf(no, sizeof no, "%u", i + 1);
        mb->member_no = hd_model_strdup(m, no, strlen(no));
        mb->relation = i == 0 ? HD_REL_SELF : HD_REL_SPOUSE;
        mb->next_same_id = HD_NONE;
    }
    m->nmembers += n;
    m->nhouseholds++;
}

static void keep(uint32_t h, hd_verdict v, uint32_t findings, int64_t standard, int64_t income,
                 int64_t assets, int32_t vehicles)
{
    hd_judgement j;
    memset(&j, 0, sizeof j);
    j.verdict = v;
    j.findings = findings;
    j.standard_fen = standard;
    j.household_income_fen = income;
    j.income_per_capita_fen = income / R.m->households[h].nmembers;
    j.assets_fen = assets;
    j.assets_per_capita_fen = assets / R.m->households[h].nmembers;
    j.vehicles = vehicles;
    hd_error e;
    ck_assert_int_eq(hd_judgements_keep(&R.judgements, h, &j, &e), HD_OK);
}

static char *slurp(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", out, rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s is missing", rel);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void setup(void)
{
    hd_error e;
    snprintf(dir, sizeof dir, "/tmp/hedui-writers-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(out, sizeof out, "%s/run", dir);
    ck_assert_int_eq(mkdir(out, 0700), 0);

    memset(&J, 0, sizeof J);
    snprintf(J.path, sizeof J.path, "%s/job.ini", dir);
    snprintf(J.dir, sizeof J.dir, "%s", dir);
    snprintf(J.name, sizeof J.name, "writers");
    J.as_of = hd_date_from_ymd(2026, 11, 28);
    snprintf(J.output, sizeof J.output, "%s", dir);

    memset(&R, 0, sizeof R);
    R.job = &J;
    ck_assert_int_eq(hd_policy_load(&R.policy, "policy/yunnan.policy", &e), HD_OK);
    /* the test key, copied with the mode a key file must have (git keeps
     * no 0600: the checkout's copy is 0644 and the loader refuses it) */
    char key[4200];
    snprintf(key, sizeof key, "%s/pseudonym.key", dir);
    char *kb = td_slurp("tests/golden/keys/pseudonym.key", NULL);
    FILE *kf = fopen(key, "w");
    ck_assert_ptr_nonnull(kf);
    ck_assert_int_eq(fchmod(fileno(kf), 0600), 0);
    fputs(kb, kf);
    fclose(kf);
    free(kb);
    ck_assert_msg(hd_key_load_master(&R.key, key, &e) == HD_OK, "%s", e.message);
    R.have_key = 1;
    ck_assert_int_eq(hd_key_derive(&R.key, "audit", &R.audit_key, &e), HD_OK);
    ck_assert_int_eq(hd_key_derive(&R.key, "text", &R.text_key, &e), HD_OK);
    ck_assert_int_eq(hd_descriptor_load(&R.app_desc, "formats/applicants.fmt", &e), HD_OK);
    R.pop_desc[HD_POP_APPLICANT] = R.app_desc;

    /* one applicant file of 3 usable rows */
    R.nresults = 1;
    R.results = calloc(1, sizeof *R.results);
    R.results[0].path = "inbox/a.csv";
    R.results[0].source = -1;
    R.results[0].ledger.rows = R.results[0].ledger.rows_ok = 3;
    R.napp_files = 1;
    R.npop_files[HD_POP_APPLICANT] = 1;
    snprintf(R.input_digest, sizeof R.input_digest, "%064d", 0);

    R.m = hd_model_new();
    static const char *const ids_b[] = { "530103199001011234" };
    static const char *const names_b[] = { "李四" };
    static const char *const ids_a[] = { "530102198502024934", "530102198703031667" };
    static const char *const names_a[] = { "张三", "王五" };
    /* model order: 530103 first; output order: 530102 first */
    add_household(R.m, "530103", "SQ-B", HD_ASSIST_TEKUN, HD_AREA_RURAL, ids_b, names_b, 1);
    add_household(R.m, "530102", "SQ-A", HD_ASSIST_DIBAO, HD_AREA_URBAN, ids_a, names_a, 2);
    ck_assert_int_eq(hd_model_index(R.m, &e), HD_OK);

    ck_assert_int_eq(hd_judgements_init(&R.judgements, R.m->nhouseholds, &e), HD_OK);
    keep(0, HD_V_ELIGIBLE, 0, 56250, 13090, 289547, 0);
    keep(1, HD_V_INELIGIBLE, 1u << HD_FD_INCOME_OVER_STANDARD, 64000, 150000, 0, 0);

    /* the register's part, on an empty register (what the judge step does) */
    ck_assert_msg(hd_reg_begin(&R, &e) == HD_OK, "%s", e.message);
    ck_assert_msg(hd_reg_judge(&R, &e) == HD_OK, "%s", e.message);
    ck_assert_int_eq(hd_results_order(&R, &e), HD_OK);
    ck_assert_int_eq(hd_compute_changes(&R, &e), HD_OK);
    ck_assert_int_eq(hd_compute_lists(&R, &e), HD_OK);
}

static void teardown(void)
{
    hd_reg_free(&R);
    hd_judgements_free(&R.judgements);
    hd_model_free(R.m);
    hd_policy_free(R.policy);
    hd_descriptor_free(R.app_desc);
    free(R.results);
    free(R.counties);
    free(R.order);
    free(R.county_first);
    free(R.changes);
    free(R.recheck);
    free(R.discovery);
    free(R.recheck_first);
    free(R.discovery_first);
    hd_key_wipe(&R.key);
    hd_rmtree(dir);
}

START_TEST(output_order_by_county)
{
    ck_assert_uint_eq(R.ncounties, 2);
    ck_assert_str_eq(R.counties[0], "530102");
    ck_assert_str_eq(R.counties[1], "530103");
    ck_assert_uint_eq(R.order[0], 1);     /* SQ-A, second in the model */
    ck_assert_uint_eq(R.order[1], 0);
    ck_assert_uint_eq(R.county_first[0], 0);
    ck_assert_uint_eq(R.county_first[1], 1);
    ck_assert_uint_eq(R.county_first[2], 2);
}
END_TEST

START_TEST(county_files_from_a_hand_built_run)
{
    hd_error e;
    R.opts = NULL;
    ck_assert_msg(hd_write_reports(&R, out, NULL, &e) == HD_OK, "%s", e.message);
    const char *hh_header =
        "county_code,application_id,assistance_type,area_type,members,verdict,verdict_zh,"
        "reasons,reasons_zh,standard_fen,household_income_fen,income_per_capita_fen,assets_fen,"
        "assets_per_capita_fen,homes,residential_area,vehicles,businesses,population\n";
    char want[2048];
    snprintf(want, sizeof want, "%s%s", hh_header,
             "530102,SQ-A,dibao,urban,2,INELIGIBLE,不符合,INCOME_OVER_STANDARD,家庭收入超过低保标准,"
             "64000,150000,75000,0,0,0,0,0,0,applicant\n");
    ck_assert_str_eq(slurp("county/530102/households.csv"), want);
    snprintf(want, sizeof want, "%s%s", hh_header,
             "530103,SQ-B,tekun,rural,1,ELIGIBLE,符合,,,56250,13090,13090,289547,289547,0,0,0,0,applicant\n");
    ck_assert_str_eq(slurp("county/530103/households.csv"), want);
    ck_assert_str_eq(slurp("county/530102/members.csv"),
        "county_code,application_id,member_no,id_number_masked,name,relation,row_status,findings,evidence\n"
        "530102,SQ-A,1,530102********4934,张三,self,ok,,\n"
        "530102,SQ-A,2,530102********1667,王五,spouse,ok,,\n");
    /* the summary counts what the judgements say */
    const char *s = slurp("summary.json");
    ck_assert_msg(strstr(s, "\"households\": 2,") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "\"members\": 3,") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "\"verdicts\": {\"ELIGIBLE\": 1, \"REVIEW\": 0, \"INELIGIBLE\": 1}") != NULL, "%s", s);
    /* no previous run: no change report */
    char path[512];
    snprintf(path, sizeof path, "%s/county/530102/changes.csv", out);
    ck_assert_int_ne(access(path, F_OK), 0);
}
END_TEST

START_TEST(writers_do_not_change_the_run)
{
    /* the same bytes at -j1 and -j4, twice: the writers only read */
    hd_error e;
    hd_run_opts o = {0};
    R.opts = &o;
    char first[65536];
    o.threads = 1;
    ck_assert_int_eq(hd_write_reports(&R, out, NULL, &e), HD_OK);
    snprintf(first, sizeof first, "%s", slurp("audit/households.jsonl"));
    ck_assert(strlen(first) > 0);
    hd_rmtree(out);
    ck_assert_int_eq(mkdir(out, 0700), 0);
    o.threads = 4;
    ck_assert_int_eq(hd_write_reports(&R, out, NULL, &e), HD_OK);
    ck_assert_str_eq(slurp("audit/households.jsonl"), first);
    R.opts = NULL;
}
END_TEST

int main(void)
{
    Suite *s = suite_create("writers");
    TCase *tc = tcase_create("writers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, output_order_by_county);
    tcase_add_test(tc, county_files_from_a_hand_built_run);
    tcase_add_test(tc, writers_do_not_change_the_run);
    suite_add_tcase(s, tc);
    return td_run(s);
}
