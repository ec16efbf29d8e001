/*
 * test_rules.c — the policy loader, the standards, the checks of SPEC §4
 * with the precise rules of SPEC §6, the verdicts and the name comparison.
 *
 * Households are built by hand in a model; every expected figure below is
 * computed by hand in the comment beside it. Run date: 2026-11-28, so the
 * 12-month window is 2025-11 .. 2026-10 and the last whole year is 2025.
 * Standards (tests/fixtures/rules/std.csv): county 530102 has 1000.00 urban
 * / 700.00 rural from 2026.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "hedui/rules.h"
#include "hedui/model.h"
#include "util/strmap.h"
#include "testutil.h"

#define FX "tests/fixtures/rules/"
#define BIT(f) (1u << (f))
#define HAS(j, f) ((((j).findings) >> (f)) & 1u)

static hd_policy *P;
static hd_model *M;
static hd_date AS_OF;

static hd_date D(int y, int m, int d) { return hd_date_from_ymd(y, m, d); }

static void setup(void)
{
    hd_error e;
    hd_error_clear(&e);
    int rc = hd_policy_load(&P, FX "judge.policy", &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    M = hd_model_new();
    ck_assert(M != NULL);
    AS_OF = D(2026, 11, 28);
}

static void teardown(void)
{
    hd_policy_free(P);
    hd_model_free(M);
    P = NULL;
    M = NULL;
}

/* A household of n usable members named 张三, declared income 0. */
static uint32_t household(const char *county, int assist, int area, uint32_t n)
{
    hd_model *m = M;
    m->households = realloc(m->households, (m->nhouseholds + 1) * sizeof *m->households);
    ck_assert(m->households != NULL);
    m->caphouseholds = m->nhouseholds + 1;
    hd_household *h = &m->households[m->nhouseholds];
    memset(h, 0, sizeof *h);
    h->county_code = hd_model_strdup(m, county, strlen(county));
    h->application_id = hd_model_strdup(m, "APP", 3);
    h->assistance_type = (uint8_t)assist;
    h->area_type = (uint8_t)area;
    h->first_member = m->nmembers;
    h->nmembers = n;
    m->members = realloc(m->members, (m->nmembers + n) * sizeof *m->members);
    ck_assert(m->members != NULL);
    m->capmembers = m->nmembers + n;
    for (uint32_t i = 0; i < n; i++) {
        hd_member *mb = &m->members[m->nmembers + i];
        memset(mb, 0, sizeof *mb);
        mb->household = m->nhouseholds;
        mb->rejected = HD_R_NONE;
        snprintf(mb->id.s, sizeof mb->id.s, "53010219900101%04u", m->nmembers + i);
        mb->name = hd_model_strdup(m, "张三", strlen("张三"));
        mb->member_no = hd_model_strdup(m, "1", 1);
        mb->relation = i == 0 ? HD_REL_SELF : HD_REL_CHILD;
        mb->next_same_id = HD_NONE;
    }
    m->nmembers += n;
    return m->nhouseholds++;
}

/* Member k of household h. */
static uint32_t mem(uint32_t h, uint32_t k) { return M->households[h].first_member + k; }

static hd_record R(int kind, uint32_t member)
{
    hd_record r;
    memset(&r, 0, sizeof r);
    r.kind = (uint8_t)kind;
    r.member = member;
    return r;
}

static void I(hd_record *r, hd_fid f, int64_t v) { r->v[f].present = 1; r->v[f].i = v; }
static void S(hd_record *r, hd_fid f, const char *s)
{
    r->v[f].present = 1;
    r->v[f].s = s;
    r->v[f].n = (uint32_t)strlen(s);
}

/* Adds a record; returns its number in the model. */
static uint32_t add(hd_record *r)
{
    hd_error e;
    ck_assert_int_eq(hd_model_add_record(M, r, &e), HD_OK);
    return hd_model_nrecords(M) - 1;
}

/* Amends stored record ix: field f known with value v, or unknown. */
static void amend(uint32_t ix, hd_fid f, int known, int64_t v)
{
    hd_record r;
    hd_error e;
    hd_model_record(M, ix, &r);
    r.v[f].present = (uint8_t)(known != 0);
    r.v[f].i = v;
    ck_assert_int_eq(hd_model_replace_record(M, ix, &r, &e), HD_OK);
}
#define SETI(ix, f, v) amend((ix), (f), 1, (v))

static hd_judgement judge_d(uint32_t h, int damaged)
{
    hd_judgement j;
    hd_error e;
    hd_error_clear(&e);
    int rc = hd_judge(P, M, h, AS_OF, damaged, &j, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    return j;
}
static hd_judgement judge(uint32_t h) { return judge_d(h, 0); }

static uint32_t recfind(uint32_t ix) { return hd_model_findings(M, ix); }

#define NOBAL INT64_MIN
static uint32_t dep(uint32_t member, int source, const char *inst, const char *acct,
                    hd_date as_of, int64_t balance)
{
    hd_record r = R(HD_KIND_DEPOSIT, member);
    r.source = (uint16_t)source;
    if (inst) S(&r, HD_F_INSTITUTION, inst);
    if (acct) S(&r, HD_F_ACCOUNT, acct);
    if (as_of != HD_DATE_NONE) I(&r, HD_F_AS_OF, as_of);
    if (balance != NOBAL) I(&r, HD_F_BALANCE, balance);
    return add(&r);
}

/* ================================================================ names */

START_TEST(test_finding_names)
{
    for (int f = 0; f < HD_FD__COUNT; f++) {
        const char *n = hd_finding_name((hd_finding)f);
        ck_assert_int_eq(hd_finding_parse(n), f);
        ck_assert(strlen(hd_finding_label_zh((hd_finding)f)) > 0);
    }
    ck_assert_str_eq(hd_finding_name(HD_FD_INCOME_OVER_STANDARD), "INCOME_OVER_STANDARD");
    ck_assert_str_eq(hd_finding_name(HD_FD_APPLICANT_ROW_REJECTED), "APPLICANT_ROW_REJECTED");
    ck_assert_str_eq(hd_finding_label_zh(HD_FD_INCOME_OVER_STANDARD), "家庭收入超过低保标准");
    ck_assert_int_eq(hd_finding_parse("income_over_standard"), -1);
    ck_assert_int_eq(hd_finding_parse("NOPE"), -1);
    ck_assert_int_eq(hd_finding_parse(NULL), -1);
    ck_assert_str_eq(hd_verdict_name(HD_V_ELIGIBLE), "ELIGIBLE");
    ck_assert_str_eq(hd_verdict_name(HD_V_REVIEW), "REVIEW");
    ck_assert_str_eq(hd_verdict_name(HD_V_INELIGIBLE), "INELIGIBLE");
    ck_assert_str_eq(hd_verdict_label_zh(HD_V_ELIGIBLE), "符合");
    ck_assert_str_eq(hd_verdict_label_zh(HD_V_REVIEW), "需人工复核");
    ck_assert_str_eq(hd_verdict_label_zh(HD_V_INELIGIBLE), "不符合");
}
END_TEST

#define NEQ(a, b) hd_names_equal(a, strlen(a), b, strlen(b))
START_TEST(test_names_equal)
{
    ck_assert(NEQ("张三", "张三"));
    ck_assert(!NEQ("张三", "李四"));
    ck_assert(!NEQ("张三", "张三丰"));
    ck_assert(NEQ("阿依·古丽", "阿依古丽"));          /* U+00B7 */
    ck_assert(NEQ("阿依•古丽", "阿依‧古丽"));          /* U+2022 vs U+2027 */
    ck_assert(NEQ("买买提．吐尔逊", "买买提・吐尔逊"));  /* U+FF0E vs U+30FB */
    ck_assert(NEQ("买买提･吐尔逊", "买买提.吐尔逊"));    /* U+FF65 vs '.' */
    ck_assert(NEQ("张 三", "张三"));                   /* spaces anywhere */
    ck_assert(NEQ("\xE3\x80\x80张三\xC2\xA0", "张三"));   /* U+3000, U+00A0 */
    ck_assert(NEQ("\xE2\x80\x8B张三\xEF\xBB\xBF", "张三")); /* U+200B, U+FEFF */
    ck_assert(NEQ("ＷＡＮＧ　Ｌｉ", "WANG Li"));        /* NFKC full width */
    ck_assert(!NEQ("wang li", "WANG LI"));             /* no case folding */
    ck_assert(NEQ("Å", "A\xCC\x8A"));                  /* composed = decomposed */
    ck_assert(NEQ("", "·"));
    ck_assert(!NEQ("\xFF\xFE", "\xFF"));               /* invalid UTF-8: bytes */
    ck_assert(NEQ("\xFF\xFE", "\xFF\xFE"));
}
END_TEST

/* ================================================================ policy */

START_TEST(test_policy_fixture)
{
    hd_policy *p = NULL;
    hd_error e;
    hd_error_clear(&e);
    int rc = hd_policy_load(&p, FX "test.policy", &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    ck_assert_str_eq(p->name, "Test policy");
    ck_assert_int_eq(p->max_quarantine_pct, 7);
    ck_assert_int_eq(p->max_age_days, 30);
    ck_assert_str_eq(p->standards_path, FX "std.csv");
    ck_assert_uint_eq(p->nstandards, 6);

    const hd_type_policy *d = &p->type[HD_ASSIST_DIBAO], *t = &p->type[HD_ASSIST_TEKUN],
                         *b = &p->type[HD_ASSIST_BIANYUAN], *l = &p->type[HD_ASSIST_LINSHI];
    /* dibao = [default] over the built-in defaults */
    ck_assert_int_eq(d->standard_multiplier_bp, 10000);
    ck_assert_int_eq(d->standard_area_urban, 0);
    ck_assert_int_eq(d->area_per_capita_centi, 3050);
    ck_assert_int_eq(d->business_capital_limit_fen, 5000025);
    ck_assert_int_eq(d->max_homes, 2);                 /* indented line: a key, no continuation */
    ck_assert_int_eq(d->assets_months, 24);
    ck_assert_uint_eq(d->vehicle_exempt_mask, BIT(HD_VT_MOTORCYCLE) | BIT(HD_VT_TRICYCLE) |
                                              BIT(HD_VT_AGRICULTURAL) | BIT(HD_VT_DISABILITY));
    ck_assert_uint_eq(d->non_residential_mask, BIT(HD_US_COMMERCIAL) | BIT(HD_US_OFFICE) |
                                               BIT(HD_US_INDUSTRIAL) | BIT(HD_US_PARKING));
    ck_assert_uint_eq(d->exclude_pension_mask, BIT(HD_SCHEME_RESIDENT));
    ck_assert_int_eq(d->outcome[HD_FD_NAME_MISMATCH], HD_OUT_IGNORE);
    ck_assert_int_eq(d->outcome[HD_FD_INCOME_OVER_STANDARD], HD_OUT_INELIGIBLE);
    ck_assert_int_eq(d->outcome[HD_FD_PROPERTY_AREA_OVER], HD_OUT_REVIEW);
    /* tekun (written before [default]) still inherits it */
    ck_assert_int_eq(t->standard_multiplier_bp, 13000);
    ck_assert_int_eq(t->standard_area_urban, 1);
    ck_assert_int_eq(t->area_per_capita_centi, 3050);
    ck_assert_int_eq(t->max_homes, 2);
    ck_assert_int_eq(t->outcome[HD_FD_NAME_MISMATCH], HD_OUT_IGNORE);
    /* bianyuan overrides what it sets only */
    ck_assert_int_eq(b->standard_multiplier_bp, 15000);
    ck_assert_int_eq(b->standard_area_urban, 0);
    ck_assert_uint_eq(b->vehicle_exempt_mask, BIT(HD_VT_CAR) | BIT(HD_VT_TRUCK));
    ck_assert_int_eq(b->outcome[HD_FD_NAME_MISMATCH], HD_OUT_REVIEW);
    ck_assert_int_eq(b->outcome[HD_FD_INCOME_OVER_STANDARD], HD_OUT_REVIEW);
    ck_assert_int_eq(b->area_per_capita_centi, 3050);
    /* linshi: an empty list is the empty set */
    ck_assert_uint_eq(l->vehicle_exempt_mask, 0);
    ck_assert_uint_eq(l->exclude_pension_mask, BIT(HD_SCHEME_EMPLOYEE) | BIT(HD_SCHEME_RESIDENT));
    ck_assert_uint_eq(l->non_residential_mask, BIT(HD_US_PARKING));
    ck_assert_int_eq(l->standard_multiplier_bp, 10000);

    /* digest: SHA-256 over the policy bytes, then standards.csv */
    size_t an, bn;
    char *a = td_slurp(FX "test.policy", &an), *s = td_slurp(FX "std.csv", &bn);
    unsigned char md[32];
    unsigned int mdlen;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, a, an);
    EVP_DigestUpdate(c, s, bn);
    EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    char hex[65];
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", md[i]);
    ck_assert_str_eq(p->digest, hex);
    free(a);
    free(s);
    hd_policy_free(p);
}
END_TEST

START_TEST(test_policy_defaults)
{
    hd_policy *p = NULL;
    hd_error e;
    int rc = hd_policy_load(&p, FX "defaults.policy", &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    ck_assert_str_eq(p->name, "defaults");             /* file name without extension */
    ck_assert_int_eq(p->max_quarantine_pct, 5);
    ck_assert_int_eq(p->max_age_days, 0);
    ck_assert_int_eq(p->max_rows_drop_pct, 50);             /* SPEC §7 */
    ck_assert_uint_eq(p->required_kinds, BIT(HD_KIND_DEPOSIT) | BIT(HD_KIND_VEHICLE) | BIT(HD_KIND_PROPERTY) |
                      BIT(HD_KIND_INCOME) | BIT(HD_KIND_PENSION) | BIT(HD_KIND_FUND) |
                      BIT(HD_KIND_BUSINESS) | BIT(HD_KIND_DEATH));
    for (int t = 0; t < HD_ASSIST__COUNT; t++) {
        const hd_type_policy *d = &p->type[t];
        ck_assert_int_eq(d->standard_multiplier_bp, 10000);   /* SPEC 4 [default] */
        ck_assert_int_eq(d->standard_area_urban, 0);
        ck_assert_int_eq(d->assets_months, 24);
        ck_assert_int_eq(d->vehicle_value_limit_fen, 0);
        ck_assert_int_eq(d->max_homes, 1);
        ck_assert_int_eq(d->area_per_capita_centi, 0);
        ck_assert_int_eq(d->business_capital_limit_fen, 10000000);
        ck_assert_uint_eq(d->exclude_pension_mask, BIT(HD_SCHEME_RESIDENT));
        static const uint8_t want[HD_FD__COUNT] = {
            HD_OUT_INELIGIBLE, HD_OUT_INELIGIBLE, HD_OUT_INELIGIBLE, HD_OUT_INELIGIBLE,
            HD_OUT_INELIGIBLE, HD_OUT_REVIEW, HD_OUT_INELIGIBLE, HD_OUT_REVIEW,
            HD_OUT_REVIEW, HD_OUT_REVIEW, HD_OUT_REVIEW, HD_OUT_REVIEW, HD_OUT_REVIEW,
            HD_OUT_REVIEW, HD_OUT_REVIEW, HD_OUT_REVIEW,      /* SPEC §7: never below review */
            HD_OUT_REVIEW,                                    /* SPEC §9 NEAR_MISS */
        };
        for (int f = 0; f < HD_FD__COUNT; f++) ck_assert_int_eq(d->outcome[f], want[f]);
    }
    hd_policy_free(p);
}
END_TEST

START_TEST(test_policy_repository_default)
{
    /* the shipped policy loads (run from the repository root) */
    hd_policy *p = NULL;
    hd_error e;
    int rc = hd_policy_load(&p, "policy/yunnan.policy", &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    ck_assert_int_eq(p->type[HD_ASSIST_TEKUN].standard_multiplier_bp, 13000);
    ck_assert_int_eq(p->type[HD_ASSIST_TEKUN].standard_area_urban, 1);
    ck_assert_int_eq(p->type[HD_ASSIST_BIANYUAN].standard_multiplier_bp, 15000);
    ck_assert_int_eq(p->type[HD_ASSIST_LINSHI].standard_multiplier_bp, 10000);
    ck_assert_int_eq((int)strlen(p->digest), 64);
    hd_policy_free(p);
}
END_TEST

/* Writes a policy (and a standards.csv) into a fresh directory and loads it. */
static char tmpdir[64];
static char ppath[128];

static int load_text(const char *policy, const char *std, hd_policy **p, hd_error *e)
{
    ck_assert(tmpdir[0]);                      /* made by main() */
    char spath[128];
    snprintf(ppath, sizeof ppath, "%s/p.policy", tmpdir);
    snprintf(spath, sizeof spath, "%s/std.csv", tmpdir);
    FILE *f = fopen(ppath, "wb");
    ck_assert(f != NULL);
    fputs(policy, f);
    fclose(f);
    unlink(spath);
    if (std) {
        f = fopen(spath, "wb");
        ck_assert(f != NULL);
        fputs(std, f);
        fclose(f);
    }
    *p = NULL;
    hd_error_clear(e);
    return hd_policy_load(p, ppath, e);
}

#define SP "[policy]\nstandards = std.csv\n"
#define STD "code,year,urban_month_yuan,rural_month_yuan\n530000,2020,640.00,375.00\n"

/* Expects HD_ECONFIG with "PATH:LINE: ..." containing `what`. */
static void config_error(const char *policy, const char *std, int line, const char *what,
                         int std_file)
{
    hd_policy *p;
    hd_error e;
    int rc = load_text(policy, std, &p, &e);
    ck_assert_msg(rc == HD_ECONFIG, "rc %d for: %s", rc, policy);
    ck_assert(p == NULL);
    char want[256];
    snprintf(want, sizeof want, "%s/%s:%d: ", tmpdir, std_file ? "std.csv" : "p.policy", line);
    ck_assert_msg(strncmp(e.message, want, strlen(want)) == 0, "message '%s', want prefix '%s'",
                  e.message, want);
    ck_assert_msg(strstr(e.message, what) != NULL, "message '%s' lacks '%s'", e.message, what);
}

START_TEST(test_policy_errors)
{
    config_error("[policy]\nstandards = std.csv\n[default]\nfoo = 1\n", STD, 4, "unknown key", 0);
    config_error("[policy]\nstandards = std.csv\n[bogus]\nmax_homes = 1\n", STD, 4,
                 "unknown section", 0);
    config_error("[default]\nmax_homes = two\n", STD, 2, "max_homes", 0);
    config_error("[default]\nmax_homes = -1\n", STD, 2, "max_homes", 0);
    config_error("[default]\nstandard_multiplier_bp = 0\n", STD, 2, "basis points", 0);
    config_error("[default]\nstandard_area = rural\n", STD, 2, "own or urban", 0);
    config_error("[tekun]\noutcome.SOURCE_INCOMPLETE = ignore\n", STD, 2, "below review", 0);
    config_error("[default]\n\noutcome.APPLICANT_ROW_REJECTED = ignore\n", STD, 3,
                 "below review", 0);
    /* SPEC §7: the new never-below-review codes */
    config_error("[default]\noutcome.EVIDENCE_UNREADABLE = ignore\n", STD, 2, "below review", 0);
    config_error("[bianyuan]\noutcome.ID_SUSPECT = ignore\n", STD, 2, "below review", 0);
    config_error("[default]\noutcome.APPLICATION_ID_REUSED = ignore\n", STD, 2, "below review", 0);
    config_error("[policy]\nrequired_kinds = deposit, applicants\n", STD, 2, "not an extract kind", 0);
    config_error("[policy]\nrequired_kinds = deposit, deposit\n", STD, 2, "twice", 0);
    config_error("[policy]\nmax_rows_drop_pct = 101\n", STD, 2, "max_rows_drop_pct", 0);
    config_error("[default]\noutcome.NO_SUCH_CODE = review\n", STD, 2, "unknown finding", 0);
    config_error("[default]\noutcome.NAME_MISMATCH = maybe\n", STD, 2, "ineligible, review or ignore", 0);
    config_error("[default]\nvehicle_exempt = motorcycle, spaceship\n", STD, 2, "spaceship", 0);
    config_error("[default]\nnon_residential = commercial,,office\n", STD, 2, "empty item", 0);
    config_error("[default]\nexclude_pension_schemes = resident, resident\n", STD, 2, "twice", 0);
    config_error("[default]\nvehicle_value_limit_yuan = 1.234\n", STD, 2, "yuan", 0);
    config_error("[default]\nbusiness_capital_limit_yuan = -5\n", STD, 2, "yuan", 0);
    config_error("[default]\narea_per_capita_m2 = 30.123\n", STD, 2, "m2", 0);
    config_error("[default]\nmax_homes = 1\nmax_homes = 2\n", STD, 3, "twice", 0);
    config_error("[policy]\nmax_quarantine_pct = 101\n", STD, 2, "max_quarantine_pct", 0);
    config_error("[policy]\nnope = 1\n", STD, 2, "unknown key", 0);
    config_error("max_homes = 1\n", STD, 1, "outside any section", 0);
    config_error("; comment\n[default]\nthis line is garbage\n", STD, 3, "KEY = VALUE", 0);
    config_error("[default\nmax_homes = 1\n", STD, 1, "KEY = VALUE", 0);
    {
        /* a line longer than inih's 200-byte buffer is one error on its
         * own line, not two lines */
        char pol[400];
        snprintf(pol, sizeof pol, "[policy]\nname = %0250d\nmax_homes = x\n", 7);
        config_error(pol, STD, 2, "longer than", 0);
    }
    /* a ';' without whitespace before it is part of the value */
    config_error("[default]\nmax_homes = 1;2\n", STD, 2, "max_homes", 0);
    /* standards.csv faults name the standards file and its line */
    config_error(SP, "code,year,urban,rural\n", 1, "header", 1);
    config_error(SP, "", 1, "header", 1);
    config_error(SP, STD "530102,2026,1.234,5\n", 3, "urban_month_yuan", 1);
    config_error(SP, STD "530102,2026,100,\n", 3, "rural_month_yuan", 1);
    config_error(SP, STD "53010,2026,100,100\n", 3, "division code", 1);
    config_error(SP, STD "530102,26,100,100\n", 3, "year", 1);
    config_error(SP, STD "530102,2026,100\n", 3, "expected 4", 1);
    config_error(SP, STD "530000,2020,1,1\n", 3, "twice", 1);
    /* read by the CSV reader: its row faults name the line; no quoting */
    config_error(SP, STD "530102,2026,\xff,100\n", 3, "ENCODING", 1);
    config_error(SP, STD "530102,2026,\"640\",100\n", 3, "urban_month_yuan", 1);
    config_error(SP, STD "\n , ,,\n530102,2026,100\n", 5, "expected 4", 1);
}
END_TEST

START_TEST(test_policy_missing_files)
{
    hd_policy *p = (hd_policy *)1;
    hd_error e;
    ck_assert_int_eq(hd_policy_load(&p, FX "no-such.policy", &e), HD_ENOINPUT);
    ck_assert(p == NULL);
    ck_assert(strstr(e.message, "no-such.policy") != NULL);
    /* the standards file is missing */
    ck_assert_int_eq(load_text("[policy]\nstandards = gone.csv\n", STD, &p, &e), HD_ENOINPUT);
    ck_assert(strstr(e.message, "gone.csv") != NULL);
}
END_TEST

START_TEST(test_policy_small_things)
{
    hd_policy *p;
    hd_error e;
    /* BOM, CRLF, '#' comments, yuan with a thousands separator and 2 decimals */
    int rc = load_text("\xEF\xBB\xBF[policy]\r\nname = X\r\nstandards = std.csv\r\n# hash comment\r\n[default]\r\n"
                       "vehicle_value_limit_yuan = 12,345.67\r\n",
                       "\xEF\xBB\xBF" "code,year,urban_month_yuan,rural_month_yuan\r\n\r\n"
                       " 530000 , 2020 , 640.5 , 375 \r\n",
                       &p, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    ck_assert_str_eq(p->name, "X");
    ck_assert_int_eq(p->type[HD_ASSIST_DIBAO].vehicle_value_limit_fen, 1234567);
    ck_assert_uint_eq(p->nstandards, 1);
    ck_assert_int_eq(p->standards[0].urban_fen, 64050);
    ck_assert_int_eq(p->standards[0].rural_fen, 37500);
    hd_policy_free(p);
    /* a standards path given absolute */
    char pol[512];
    snprintf(pol, sizeof pol, "[policy]\nstandards = %s/std.csv\n", tmpdir);
    rc = load_text(pol, STD, &p, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    hd_policy_free(p);
    hd_policy_free(NULL);
}
END_TEST

/* ================================================================ standards */

START_TEST(test_standard_lookup)
{
    int64_t fen = -1;
    /* county's own rows: latest year not after the year */
    ck_assert_int_eq(hd_standard_lookup(P, "530102", 2026, 1, &fen), HD_OK);
    ck_assert_int_eq(fen, 100000);
    ck_assert_int_eq(hd_standard_lookup(P, "530102", 2026, 0, &fen), HD_OK);
    ck_assert_int_eq(fen, 70000);
    ck_assert_int_eq(hd_standard_lookup(P, "530102", 2027, 1, &fen), HD_OK);
    ck_assert_int_eq(fen, 100000);                     /* 2026 row, not prefecture's 2027 */
    ck_assert_int_eq(hd_standard_lookup(P, "530102", 2030, 0, &fen), HD_OK);
    ck_assert_int_eq(fen, 80000);                      /* 2028 */
    /* county has no row for <= 2025: prefecture 530100 (2024) */
    ck_assert_int_eq(hd_standard_lookup(P, "530102", 2025, 1, &fen), HD_OK);
    ck_assert_int_eq(fen, 80000);
    /* neither county nor prefecture before 2024: province (2020) */
    ck_assert_int_eq(hd_standard_lookup(P, "530102", 2023, 0, &fen), HD_OK);
    ck_assert_int_eq(fen, 37500);
    /* a county without rows takes its prefecture's */
    ck_assert_int_eq(hd_standard_lookup(P, "530103", 2026, 1, &fen), HD_OK);
    ck_assert_int_eq(fen, 80000);
    ck_assert_int_eq(hd_standard_lookup(P, "530103", 2027, 1, &fen), HD_OK);
    ck_assert_int_eq(fen, 90000);
    /* another prefecture: the province's latest (2025: 700.50) */
    ck_assert_int_eq(hd_standard_lookup(P, "532301", 2026, 1, &fen), HD_OK);
    ck_assert_int_eq(fen, 70050);
    ck_assert_int_eq(hd_standard_lookup(P, "532301", 2024, 1, &fen), HD_OK);
    ck_assert_int_eq(fen, 64000);
    /* the prefecture and province codes themselves */
    ck_assert_int_eq(hd_standard_lookup(P, "530100", 2026, 1, &fen), HD_OK);
    ck_assert_int_eq(fen, 80000);
    ck_assert_int_eq(hd_standard_lookup(P, "530000", 2026, 0, &fen), HD_OK);
    ck_assert_int_eq(fen, 40000);
    /* nothing applies */
    ck_assert_int_eq(hd_standard_lookup(P, "530102", 2019, 1, &fen), HD_EDATA);
    ck_assert_int_eq(hd_standard_lookup(P, "640101", 2026, 1, &fen), HD_EDATA);
    ck_assert_int_eq(hd_standard_lookup(P, "5301", 2026, 1, &fen), HD_EDATA);
    ck_assert_int_eq(hd_standard_lookup(P, "53010x", 2026, 1, &fen), HD_EDATA);
}
END_TEST

START_TEST(test_judge_no_standard)
{
    uint32_t h = household("640101", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    hd_judgement j;
    hd_error e;
    ck_assert_int_eq(hd_judge(P, M, h, AS_OF, 0, &j, &e), HD_EDATA);
    ck_assert(strstr(e.message, "640101") != NULL);
    ck_assert_int_eq(hd_judge(P, M, 99, AS_OF, 0, &j, &e), HD_ESOFTWARE);
}
END_TEST

/* ================================================================ income */

START_TEST(test_income_boundary)
{
    /* 3 members, urban standard 100000: over when sum > 300000 */
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 3);
    M->members[mem(h, 0)].declared_income = 200000;
    M->members[mem(h, 1)].declared_income = 100000;
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.standard_fen, 100000);
    ck_assert_int_eq(j.household_income_fen, 300000);
    ck_assert_int_eq(j.income_per_capita_fen, 100000);
    ck_assert(!HAS(j, HD_FD_INCOME_OVER_STANDARD));       /* equal is not over */
    ck_assert_int_eq(j.verdict, HD_V_ELIGIBLE);
    ck_assert_uint_eq(j.findings, 0);
    M->members[mem(h, 2)].declared_income = 1;
    j = judge(h);
    ck_assert(HAS(j, HD_FD_INCOME_OVER_STANDARD));
    ck_assert_int_eq(j.verdict, HD_V_INELIGIBLE);
    ck_assert_int_eq(j.household_income_fen, 300001);
    ck_assert_int_eq(j.income_per_capita_fen, 100000);    /* 100000.33 */
}
END_TEST

START_TEST(test_income_rural_and_tekun)
{
    /* rural dibao: 70000 */
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_RURAL, 1);
    M->members[mem(h, 0)].declared_income = 70001;
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.standard_fen, 70000);
    ck_assert(HAS(j, HD_FD_INCOME_OVER_STANDARD));
    /* rural tekun: 1.3 x the URBAN standard = 130000 */
    P->type[HD_ASSIST_TEKUN].standard_multiplier_bp = 13000;
    P->type[HD_ASSIST_TEKUN].standard_area_urban = 1;
    uint32_t t = household("530102", HD_ASSIST_TEKUN, HD_AREA_RURAL, 2);
    M->members[mem(t, 0)].declared_income = 260000;
    j = judge(t);
    ck_assert_int_eq(j.standard_fen, 130000);
    ck_assert(!HAS(j, HD_FD_INCOME_OVER_STANDARD));
    M->members[mem(t, 1)].declared_income = 1;
    j = judge(t);
    ck_assert(HAS(j, HD_FD_INCOME_OVER_STANDARD));
}
END_TEST

START_TEST(test_income_multiplier_exact)
{
    /* county 532301 -> province 2025 urban 700.50 = 70050 fen.
     * bp 13333: standard = 70050 x 1.3333 = 93397.665 fen; 1 member:
     * 93397 is not over, 93398 is (no rounding before the comparison);
     * reported standard rounds to 93398. */
    P->type[HD_ASSIST_DIBAO].standard_multiplier_bp = 13333;
    uint32_t h = household("532301", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    M->members[mem(h, 0)].declared_income = 93397;
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.standard_fen, 93398);
    ck_assert(!HAS(j, HD_FD_INCOME_OVER_STANDARD));
    M->members[mem(h, 0)].declared_income = 93398;
    j = judge(h);
    ck_assert(HAS(j, HD_FD_INCOME_OVER_STANDARD));
    /* bp 100: 700.5 fen -> rounded half up 701 */
    P->type[HD_ASSIST_DIBAO].standard_multiplier_bp = 100;
    M->members[mem(h, 0)].declared_income = 700;
    j = judge(h);
    ck_assert_int_eq(j.standard_fen, 701);
    ck_assert(!HAS(j, HD_FD_INCOME_OVER_STANDARD));   /* 700 <= 700.5 */
    M->members[mem(h, 0)].declared_income = 701;
    j = judge(h);
    ck_assert(HAS(j, HD_FD_INCOME_OVER_STANDARD));    /* 701 > 700.5 */
}
END_TEST

START_TEST(test_income_rounding)
{
    /* 2 members, 100 + 101 fen: per capita 100.5 -> 101 */
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    M->members[mem(h, 0)].declared_income = 100;
    M->members[mem(h, 1)].declared_income = 101;
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.household_income_fen, 201);
    ck_assert_int_eq(j.income_per_capita_fen, 101);
    /* a yearly record of 18 fen: 1.5 fen a month -> 2; per capita 0.75 -> 1 */
    uint32_t g = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    hd_record r = R(HD_KIND_INCOME, mem(g, 0));
    I(&r, HD_F_PERIOD, 202500);
    I(&r, HD_F_INCOME, 18);
    add(&r);
    j = judge(g);
    ck_assert_int_eq(j.household_income_fen, 2);
    ck_assert_int_eq(j.income_per_capita_fen, 1);
}
END_TEST

START_TEST(test_income_window)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    uint32_t m0 = mem(h, 0);
    static const struct { int32_t period; int64_t fen; int counts; } rows[] = {
        { 202510, 1000000, 0 },   /* before the window */
        { 202511, 120000, 1 },    /* first month of the window */
        { 202610, 240000, 1 },    /* last month of the window */
        { 202611, 5000000, 0 },   /* as_of's own month */
        { 202612, 5000000, 0 },
        { 202500, 600000, 1 },    /* last whole year */
        { 202600, 7000000, 0 },   /* the current year is not whole */
        { 202400, 7000000, 0 },
    };
    uint32_t ix[8];
    for (int i = 0; i < 8; i++) {
        hd_record r = R(HD_KIND_INCOME, m0);
        I(&r, HD_F_PERIOD, rows[i].period);
        I(&r, HD_F_INCOME, rows[i].fen);
        ix[i] = add(&r);
    }
    hd_record nop = R(HD_KIND_INCOME, m0);     /* no period: not in the window */
    I(&nop, HD_F_INCOME, 9000000);
    uint32_t inop = add(&nop);
    /* verified = (120000 + 240000 + 600000) / 12 = 80000 */
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.household_income_fen, 80000);
    ck_assert(!HAS(j, HD_FD_INCOME_OVER_STANDARD));
    /* declared larger: declared counts */
    M->members[m0].declared_income = 90000;
    j = judge(h);
    ck_assert_int_eq(j.household_income_fen, 90000);
    /* verified above the standard: 1200012/12 = 100001 */
    M->members[m0].declared_income = 0;
    SETI(ix[5], HD_F_INCOME, 600000 + 240012);
    j = judge(h);
    ck_assert_int_eq(j.household_income_fen, 100001);
    ck_assert(HAS(j, HD_FD_INCOME_OVER_STANDARD));
    for (int i = 0; i < 8; i++)
        ck_assert_uint_eq(recfind(ix[i]), rows[i].counts ? BIT(HD_FD_INCOME_OVER_STANDARD) : 0);
    ck_assert_uint_eq(recfind(inop), 0);
}
END_TEST

START_TEST(test_income_as_of_january)
{
    /* as_of 2027-01-05: window 2026-01 .. 2026-12, last whole year 2026 */
    AS_OF = D(2027, 1, 5);
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    int32_t per[] = { 202512, 202601, 202612, 202701, 202600, 202500 };
    for (int i = 0; i < 6; i++) {
        hd_record r = R(HD_KIND_INCOME, mem(h, 0));
        I(&r, HD_F_PERIOD, per[i]);
        I(&r, HD_F_INCOME, 1200 * (i + 1));
        add(&r);
    }
    /* counted: 202601 (2400), 202612 (3600), 202600 (6000) = 12000 / 12 */
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.household_income_fen, 1000);
}
END_TEST

static uint32_t pension(uint32_t member, int32_t period, int status, int scheme, int64_t benefit)
{
    hd_record r = R(HD_KIND_PENSION, member);
    if (period) I(&r, HD_F_PERIOD, period);
    if (status >= 0) I(&r, HD_F_STATUS, status);
    if (scheme >= 0) I(&r, HD_F_SCHEME, scheme);
    I(&r, HD_F_BENEFIT, benefit);
    return add(&r);
}

START_TEST(test_pension)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    uint32_t m0 = mem(h, 0);
    uint32_t a = pension(m0, 202607, HD_PEN_ACTIVE, HD_SCHEME_EMPLOYEE, 10000);
    uint32_t b = pension(m0, 202609, -1, HD_SCHEME_EMPLOYEE, 30000);       /* empty status */
    uint32_t c = pension(m0, 202609, HD_PEN_ACTIVE, HD_SCHEME_EMPLOYEE, 20000); /* same period, smaller */
    uint32_t d = pension(m0, 202610, HD_PEN_SUSPENDED, HD_SCHEME_EMPLOYEE, 99000);
    uint32_t e = pension(m0, 202612, HD_PEN_ACTIVE, HD_SCHEME_EMPLOYEE, 88000); /* after as_of's month */
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.household_income_fen, 30000);
    /* a record of as_of's month itself counts */
    uint32_t f = pension(m0, 202611, HD_PEN_ACTIVE, HD_SCHEME_EMPLOYEE, 100001);
    j = judge(h);
    ck_assert_int_eq(j.household_income_fen, 100001);
    ck_assert(HAS(j, HD_FD_INCOME_OVER_STANDARD));
    ck_assert_uint_eq(recfind(f), BIT(HD_FD_INCOME_OVER_STANDARD));
    ck_assert_uint_eq(recfind(a) | recfind(b) | recfind(c) | recfind(d) | recfind(e), 0);
    /* the latest is of an excluded scheme: it adds 0, the older employee
     * pension does not come back */
    pension(m0, 202611, HD_PEN_ACTIVE, HD_SCHEME_RESIDENT, 200000);
    j = judge(h);
    ck_assert_int_eq(j.household_income_fen, 0);
    ck_assert(!HAS(j, HD_FD_INCOME_OVER_STANDARD));
    /* pension + income records + declared: max(declared, verified) */
    uint32_t g = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    pension(mem(g, 0), 202601, HD_PEN_ACTIVE, -1, 50000);          /* scheme unknown: counts */
    hd_record r = R(HD_KIND_INCOME, mem(g, 0));
    I(&r, HD_F_PERIOD, 202603);
    I(&r, HD_F_INCOME, 120000);                                   /* 10000 a month */
    add(&r);
    M->members[mem(g, 0)].declared_income = 59999;
    j = judge(g);
    ck_assert_int_eq(j.household_income_fen, 60000);
    M->members[mem(g, 0)].declared_income = 60001;
    j = judge(g);
    ck_assert_int_eq(j.household_income_fen, 60001);
}
END_TEST

/* ================================================================ assets */

START_TEST(test_assets_boundary)
{
    /* 1 member: 24 x 100000 = 2400000 */
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    uint32_t a = dep(mem(h, 0), 0, "ICBC", "6222001", D(2026, 11, 1), 2000000);
    uint32_t b = dep(mem(h, 0), 1, "ABC", "6228002", D(2026, 10, 1), 400000);
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.assets_fen, 2400000);
    ck_assert_int_eq(j.assets_per_capita_fen, 2400000);
    ck_assert(!HAS(j, HD_FD_ASSETS_OVER_LIMIT));
    ck_assert_uint_eq(recfind(a), 0);
    SETI(b, HD_F_BALANCE, 400001);
    j = judge(h);
    ck_assert(HAS(j, HD_FD_ASSETS_OVER_LIMIT));
    ck_assert_int_eq(j.verdict, HD_V_INELIGIBLE);
    ck_assert_uint_eq(recfind(a), BIT(HD_FD_ASSETS_OVER_LIMIT));
    ck_assert_uint_eq(recfind(b), BIT(HD_FD_ASSETS_OVER_LIMIT));
    /* assets_months follows the policy; bianyuan multiplier scales it */
    P->type[HD_ASSIST_DIBAO].assets_months = 25;
    j = judge(h);
    ck_assert(!HAS(j, HD_FD_ASSETS_OVER_LIMIT));
}
END_TEST

START_TEST(test_assets_per_capita_rounding)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 3);
    dep(mem(h, 0), 0, "B", "1", D(2026, 1, 1), 5);        /* 5/3 = 1.67 -> 2 */
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.assets_per_capita_fen, 2);
    uint32_t g = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    dep(mem(g, 0), 0, "B", "1", D(2026, 1, 1), 3);        /* 1.5 -> 2 */
    j = judge(g);
    ck_assert_int_eq(j.assets_per_capita_fen, 2);
}
END_TEST

START_TEST(test_deposit_dates)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    uint32_t m0 = mem(h, 0);
    /* account A: latest dated row not after as_of; a future row ignored;
     * an undated row ignored because the account has dated rows */
    dep(m0, 0, "BANK", "A", D(2026, 10, 1), 100);
    dep(m0, 0, "BANK", "A", D(2026, 11, 28), 200);          /* as_of itself counts */
    dep(m0, 0, "BANK", "A", D(2026, 11, 29), 999999);       /* after as_of */
    dep(m0, 0, "BANK", "A", HD_DATE_NONE, 888888);
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.assets_fen, 200);
    /* ties on the date: the larger balance */
    dep(m0, 0, "BANK", "A", D(2026, 11, 28), 300);
    dep(m0, 0, "BANK", "A", D(2026, 11, 28), 250);
    j = judge(h);
    ck_assert_int_eq(j.assets_fen, 300);
    /* account B: only undated rows -> the largest */
    dep(m0, 0, "BANK", "B", HD_DATE_NONE, 10);
    dep(m0, 0, "BANK", "B", HD_DATE_NONE, 20);
    j = judge(h);
    ck_assert_int_eq(j.assets_fen, 320);
    /* same account number at another institution or in another source:
     * other accounts */
    dep(m0, 0, "OTHER", "A", D(2026, 1, 1), 1000);
    dep(m0, 1, "BANK", "A", D(2026, 1, 1), 2000);
    j = judge(h);
    ck_assert_int_eq(j.assets_fen, 3320);
    /* rows without an account number: an account each */
    dep(m0, 0, "BANK", NULL, D(2026, 1, 1), 10000);
    dep(m0, 0, "BANK", NULL, D(2026, 1, 1), 10000);
    j = judge(h);
    ck_assert_int_eq(j.assets_fen, 23320);
    /* a negative balance counts as 0 */
    dep(m0, 0, "BANK", "C", D(2026, 1, 1), -50000);
    j = judge(h);
    ck_assert_int_eq(j.assets_fen, 23320);
    /* account D: a negative latest row beats an older positive one */
    dep(m0, 0, "BANK", "D", D(2026, 1, 1), 7000);
    dep(m0, 0, "BANK", "D", D(2026, 2, 1), -1);
    j = judge(h);
    ck_assert_int_eq(j.assets_fen, 23320);
    /* account E: only a future row and an undated one: the future row is
     * ignored, so the account has no dated row and the undated row counts */
    dep(m0, 0, "BANK", "E", D(2027, 1, 1), 500000);
    dep(m0, 0, "BANK", "E", HD_DATE_NONE, 5);
    j = judge(h);
    ck_assert_int_eq(j.assets_fen, 23325);
}
END_TEST

START_TEST(test_deposit_shared_account)
{
    /* one account held by two members of one household counts once */
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    dep(mem(h, 0), 0, "BANK", "JOINT", D(2026, 11, 1), 1000000);
    dep(mem(h, 1), 0, "BANK", "JOINT", D(2026, 11, 1), 1000000);
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.assets_fen, 1000000);
    ck_assert_int_eq(j.assets_per_capita_fen, 500000);
    /* chosen once over both members' rows: the later row wins */
    dep(mem(h, 1), 0, "BANK", "JOINT", D(2026, 11, 15), 1500000);
    j = judge(h);
    ck_assert_int_eq(j.assets_fen, 1500000);
    /* members of two households: each household counts it */
    uint32_t g = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    dep(mem(g, 0), 0, "BANK", "JOINT", D(2026, 11, 1), 1000000);
    j = judge(g);
    ck_assert_int_eq(j.assets_fen, 1000000);
}
END_TEST

START_TEST(test_deposit_over_limit_flag)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    hd_record r = R(HD_KIND_DEPOSIT, mem(h, 0));
    I(&r, HD_F_OVER_LIMIT, HD_NO);
    I(&r, HD_F_AS_OF, D(2026, 11, 1));
    uint32_t a = add(&r);
    hd_judgement j = judge(h);
    ck_assert(!HAS(j, HD_FD_ASSETS_OVER_LIMIT));
    ck_assert_int_eq(j.assets_fen, 0);
    /* yes, but dated after as_of: ignored */
    r = R(HD_KIND_DEPOSIT, mem(h, 0));
    I(&r, HD_F_OVER_LIMIT, HD_YES);
    I(&r, HD_F_AS_OF, D(2026, 12, 1));
    uint32_t b = add(&r);
    j = judge(h);
    ck_assert(!HAS(j, HD_FD_ASSETS_OVER_LIMIT));
    /* yes, undated: raises, with no balance at all */
    r = R(HD_KIND_DEPOSIT, mem(h, 0));
    I(&r, HD_F_OVER_LIMIT, HD_YES);
    uint32_t c = add(&r);
    j = judge(h);
    ck_assert(HAS(j, HD_FD_ASSETS_OVER_LIMIT));
    ck_assert_int_eq(j.assets_fen, 0);
    ck_assert_uint_eq(recfind(c), BIT(HD_FD_ASSETS_OVER_LIMIT));
    ck_assert_uint_eq(recfind(a) | recfind(b), 0);
}
END_TEST

/* ================================================================ vehicles */

static uint32_t vehicle(uint32_t member, const char *plate, int type, int status, int64_t value)
{
    hd_record r = R(HD_KIND_VEHICLE, member);
    if (plate) S(&r, HD_F_PLATE, plate);
    if (type >= 0) I(&r, HD_F_VEHICLE_TYPE, type);
    if (status >= 0) I(&r, HD_F_STATUS, status);
    if (value != NOBAL) I(&r, HD_F_VALUE, value);
    return add(&r);
}

START_TEST(test_vehicles)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    uint32_t a = vehicle(mem(h, 0), "云A1", HD_VT_CAR, HD_VS_NORMAL, 0);     /* at most 0 */
    uint32_t b = vehicle(mem(h, 0), "云A2", HD_VT_MOTORCYCLE, -1, NOBAL);    /* exempt */
    uint32_t c = vehicle(mem(h, 1), "云A3", HD_VT_CAR, HD_VS_SCRAPPED, NOBAL); /* not owned */
    uint32_t d = vehicle(mem(h, 1), "云A4", HD_VT_DISABILITY, HD_VS_NORMAL, 900000);
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.vehicles, 3);
    ck_assert(!HAS(j, HD_FD_VEHICLE_NON_EXEMPT));
    ck_assert_int_eq(j.verdict, HD_V_ELIGIBLE);
    /* value 1 fen above the limit */
    SETI(a, HD_F_VALUE, 1);
    j = judge(h);
    ck_assert(HAS(j, HD_FD_VEHICLE_NON_EXEMPT));
    ck_assert_uint_eq(recfind(a), BIT(HD_FD_VEHICLE_NON_EXEMPT));
    ck_assert_uint_eq(recfind(b) | recfind(c) | recfind(d), 0);
    /* a limit of 50000.00 yuan allows it; exactly the limit is allowed */
    P->type[HD_ASSIST_DIBAO].vehicle_value_limit_fen = 5000000;
    SETI(a, HD_F_VALUE, 5000000);
    j = judge(h);
    ck_assert(!HAS(j, HD_FD_VEHICLE_NON_EXEMPT));
    /* an unknown value counts as above; so does an unknown type */
    amend(a, HD_F_VALUE, 0, 0);
    j = judge(h);
    ck_assert(HAS(j, HD_FD_VEHICLE_NON_EXEMPT));
    SETI(a, HD_F_VALUE, 5000000);
    uint32_t e = vehicle(mem(h, 1), NULL, -1, HD_VS_NORMAL, 5000001);
    j = judge(h);
    ck_assert(HAS(j, HD_FD_VEHICLE_NON_EXEMPT));
    ck_assert_uint_eq(recfind(e), BIT(HD_FD_VEHICLE_NON_EXEMPT));
    ck_assert_int_eq(j.vehicles, 4);
    /* the same plate listed twice is one vehicle */
    vehicle(mem(h, 1), "云A1", HD_VT_CAR, HD_VS_NORMAL, 0);
    j = judge(h);
    ck_assert_int_eq(j.vehicles, 4);
}
END_TEST

/* ================================================================ properties */

static uint32_t property(uint32_t member, const char *cert, int usage, int status,
                         int64_t area, int32_t share)
{
    hd_record r = R(HD_KIND_PROPERTY, member);
    if (cert) S(&r, HD_F_CERT_NO, cert);
    if (usage >= 0) I(&r, HD_F_USAGE, usage);
    if (status >= 0) I(&r, HD_F_STATUS, status);
    if (area >= 0) I(&r, HD_F_AREA, area);
    if (share >= 0) I(&r, HD_F_SHARE, share);
    return add(&r);
}

START_TEST(test_property_coowned)
{
    /* a flat owned 50/50 by husband and wife: one home, area in full */
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    uint32_t a = property(mem(h, 0), "云(2020)0001", HD_US_RESIDENTIAL, HD_PS_VALID, 9000, 5000);
    uint32_t b = property(mem(h, 1), "云(2020)0001", HD_US_RESIDENTIAL, HD_PS_MORTGAGED, 9000, 5000);
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.homes, 1);
    ck_assert_int_eq(j.residential_area, 9000);
    ck_assert(!HAS(j, HD_FD_PROPERTY_MULTIPLE_HOMES));
    ck_assert_uint_eq(j.findings, 0);
    /* a second certificate (empty usage = residential, empty status =
     * valid, empty share = whole) makes two homes */
    uint32_t c = property(mem(h, 1), "云(2021)0002", -1, -1, 4050, -1);
    j = judge(h);
    ck_assert_int_eq(j.homes, 2);
    ck_assert_int_eq(j.residential_area, 13050);
    ck_assert(HAS(j, HD_FD_PROPERTY_MULTIPLE_HOMES));
    ck_assert_uint_eq(recfind(a), BIT(HD_FD_PROPERTY_MULTIPLE_HOMES));
    ck_assert_uint_eq(recfind(b), BIT(HD_FD_PROPERTY_MULTIPLE_HOMES));
    ck_assert_uint_eq(recfind(c), BIT(HD_FD_PROPERTY_MULTIPLE_HOMES));
    /* max_homes 2 allows it */
    P->type[HD_ASSIST_DIBAO].max_homes = 2;
    j = judge(h);
    ck_assert(!HAS(j, HD_FD_PROPERTY_MULTIPLE_HOMES));
}
END_TEST

START_TEST(test_property_shares_status_usage)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    /* one member holds 1/3 of 100.01 m2: 10001 x 3333 / 10000 = 3333.33 -> 3333 */
    property(mem(h, 0), "X1", HD_US_RESIDENTIAL, HD_PS_SEALED, 10001, 3333);
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.homes, 1);
    ck_assert_int_eq(j.residential_area, 3333);
    /* shares summing over the whole are capped at the whole */
    uint32_t g = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    property(mem(g, 0), "Y1", HD_US_RESIDENTIAL, -1, 8000, 10000);
    property(mem(g, 1), "Y1", HD_US_RESIDENTIAL, -1, 8000, 6000);
    j = judge(g);
    ck_assert_int_eq(j.residential_area, 8000);
    /* cancelled: not counted */
    property(mem(g, 1), "Y2", HD_US_RESIDENTIAL, HD_PS_CANCELLED, 8000, -1);
    j = judge(g);
    ck_assert_int_eq(j.homes, 1);
    /* non-residential: a finding, not a home */
    uint32_t c = property(mem(g, 1), "Y3", HD_US_PARKING, HD_PS_VALID, 1200, -1);
    uint32_t o = property(mem(g, 1), "Y4", HD_US_OTHER, HD_PS_VALID, 1200, -1);
    j = judge(g);
    ck_assert_int_eq(j.homes, 1);
    ck_assert_int_eq(j.residential_area, 8000);
    ck_assert(HAS(j, HD_FD_PROPERTY_NON_RESIDENTIAL));
    ck_assert_int_eq(j.verdict, HD_V_INELIGIBLE);
    ck_assert_uint_eq(recfind(c), BIT(HD_FD_PROPERTY_NON_RESIDENTIAL));
    ck_assert_uint_eq(recfind(o), 0);          /* 'other' is in neither list */
    P->type[HD_ASSIST_DIBAO].non_residential_mask = BIT(HD_US_COMMERCIAL);
    j = judge(g);
    ck_assert(!HAS(j, HD_FD_PROPERTY_NON_RESIDENTIAL));
    /* rows without a certificate number are certificates of their own */
    uint32_t k = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    property(mem(k, 0), NULL, HD_US_RESIDENTIAL, -1, 5000, -1);
    property(mem(k, 0), NULL, HD_US_RESIDENTIAL, -1, 5000, -1);
    j = judge(k);
    ck_assert_int_eq(j.homes, 2);
    ck_assert_int_eq(j.residential_area, 10000);
}
END_TEST

START_TEST(test_property_area_over)
{
    /* 2 members x 30.00 m2 = 60.00 m2 */
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    uint32_t a = property(mem(h, 0), "Z1", HD_US_RESIDENTIAL, -1, 6000, -1);
    hd_judgement j = judge(h);
    ck_assert(!HAS(j, HD_FD_PROPERTY_AREA_OVER));      /* 0 = no check */
    P->type[HD_ASSIST_DIBAO].area_per_capita_centi = 3000;
    j = judge(h);
    ck_assert(!HAS(j, HD_FD_PROPERTY_AREA_OVER));      /* equal is not over */
    SETI(a, HD_F_AREA, 6001);
    j = judge(h);
    ck_assert(HAS(j, HD_FD_PROPERTY_AREA_OVER));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    ck_assert_uint_eq(recfind(a), BIT(HD_FD_PROPERTY_AREA_OVER));
    /* a half share of 120.02 m2 = 60.01 m2: over */
    SETI(a, HD_F_AREA, 12002);
    SETI(a, HD_F_SHARE, 5000);
    j = judge(h);
    ck_assert_int_eq(j.residential_area, 6001);
    ck_assert(HAS(j, HD_FD_PROPERTY_AREA_OVER));
    /* 120.01 m2 x 1/2 = 60.005 m2: over in exact arithmetic, reported 60.01 */
    SETI(a, HD_F_AREA, 12001);
    j = judge(h);
    ck_assert_int_eq(j.residential_area, 6001);
    ck_assert(HAS(j, HD_FD_PROPERTY_AREA_OVER));
    SETI(a, HD_F_AREA, 12000);
    j = judge(h);
    ck_assert(!HAS(j, HD_FD_PROPERTY_AREA_OVER));
}
END_TEST

/* ================================================================ business */

static uint32_t business(uint32_t member, const char *credit, const char *company, int role,
                         int status, int64_t capital)
{
    hd_record r = R(HD_KIND_BUSINESS, member);
    if (credit) S(&r, HD_F_CREDIT_CODE, credit);
    if (company) S(&r, HD_F_COMPANY, company);
    if (role >= 0) I(&r, HD_F_ROLE, role);
    if (status >= 0) I(&r, HD_F_STATUS, status);
    if (capital != NOBAL) I(&r, HD_F_CAPITAL, capital);
    return add(&r);
}

START_TEST(test_business)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    /* capital exactly the limit (100000 yuan): not a finding */
    uint32_t a = business(mem(h, 0), "91530100MA0000001X", "甲公司", HD_ROLE_LEGAL_REP,
                          HD_BS_ACTIVE, 10000000);
    /* the same business by credit code for the other member */
    uint32_t b = business(mem(h, 1), "91530100MA0000001X", "甲公司", HD_ROLE_SHAREHOLDER, -1,
                          10000000);
    /* executive: neither a finding nor counted */
    uint32_t c = business(mem(h, 1), "91530100MA0000002X", NULL, HD_ROLE_EXECUTIVE, -1, NOBAL);
    /* revoked: neither */
    uint32_t d = business(mem(h, 1), "91530100MA0000003X", NULL, HD_ROLE_OWNER, HD_BS_REVOKED, NOBAL);
    hd_judgement j = judge(h);
    ck_assert_int_eq(j.businesses, 1);
    ck_assert(!HAS(j, HD_FD_BUSINESS_ROLE));
    SETI(a, HD_F_CAPITAL, 10000001);
    j = judge(h);
    ck_assert(HAS(j, HD_FD_BUSINESS_ROLE));
    ck_assert_uint_eq(recfind(a), BIT(HD_FD_BUSINESS_ROLE));
    ck_assert_uint_eq(recfind(b) | recfind(c) | recfind(d), 0);
    /* empty role = owner; unknown capital counts as above; by company name */
    uint32_t g = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    uint32_t e = business(mem(g, 0), NULL, "乙个体户", -1, -1, NOBAL);
    business(mem(g, 1), NULL, "乙个体户", HD_ROLE_OWNER, -1, 100);
    business(mem(g, 1), NULL, "丙公司", HD_ROLE_SHAREHOLDER, -1, 100);
    j = judge(g);
    ck_assert_int_eq(j.businesses, 2);
    ck_assert(HAS(j, HD_FD_BUSINESS_ROLE));
    ck_assert_uint_eq(recfind(e), BIT(HD_FD_BUSINESS_ROLE));
}
END_TEST

/* ================================================================ the rest */

START_TEST(test_fund)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    int32_t per[] = { 202510, 202611, 0 };
    for (int i = 0; i < 3; i++) {
        hd_record r = R(HD_KIND_FUND, mem(h, 0));
        if (per[i]) I(&r, HD_F_PERIOD, per[i]);
        I(&r, HD_F_DEPOSIT, 50000);
        add(&r);
    }
    hd_record s = R(HD_KIND_FUND, mem(h, 0));           /* sealed, in the window */
    I(&s, HD_F_PERIOD, 202605);
    I(&s, HD_F_STATUS, HD_FUND_SEALED);
    add(&s);
    hd_judgement j = judge(h);
    ck_assert(!HAS(j, HD_FD_FUND_CONTRIBUTING));
    hd_record r = R(HD_KIND_FUND, mem(h, 0));
    I(&r, HD_F_PERIOD, 202610);
    I(&r, HD_F_STATUS, HD_FUND_ACTIVE);
    uint32_t a = add(&r);
    j = judge(h);
    ck_assert(HAS(j, HD_FD_FUND_CONTRIBUTING));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    ck_assert_uint_eq(recfind(a), BIT(HD_FD_FUND_CONTRIBUTING));
    /* a yearly record of the last whole year is in the window */
    uint32_t g = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    r = R(HD_KIND_FUND, mem(g, 0));
    I(&r, HD_F_PERIOD, 202500);
    add(&r);
    j = judge(g);
    ck_assert(HAS(j, HD_FD_FUND_CONTRIBUTING));
}
END_TEST

START_TEST(test_deceased)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    hd_record r = R(HD_KIND_DEATH, mem(h, 1));
    I(&r, HD_F_DATE_OF_DEATH, D(2026, 11, 29));
    uint32_t a = add(&r);
    M->members[mem(h, 1)].declared_income = 100000;
    hd_judgement j = judge(h);
    ck_assert(!HAS(j, HD_FD_MEMBER_DECEASED));
    SETI(a, HD_F_DATE_OF_DEATH, AS_OF);
    j = judge(h);
    ck_assert(HAS(j, HD_FD_MEMBER_DECEASED));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    ck_assert_uint_eq(recfind(a), BIT(HD_FD_MEMBER_DECEASED));
    /* still counts in members and income */
    ck_assert_int_eq(j.household_income_fen, 100000);
    ck_assert_int_eq(j.income_per_capita_fen, 50000);
}
END_TEST

START_TEST(test_duplicate_and_names)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    hd_record r = R(HD_KIND_VEHICLE, mem(h, 0));
    I(&r, HD_F_VEHICLE_TYPE, HD_VT_MOTORCYCLE);
    S(&r, HD_F_NAME, " 张　三 ");
    uint32_t a = add(&r);
    hd_judgement j = judge(h);
    ck_assert_uint_eq(j.findings, 0);
    M->members[mem(h, 1)].duplicate = 1;
    j = judge(h);
    ck_assert_uint_eq(j.findings, BIT(HD_FD_DUPLICATE_APPLICATION));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    M->members[mem(h, 1)].duplicate = 0;
    r = R(HD_KIND_DEATH, mem(h, 1));
    I(&r, HD_F_DATE_OF_DEATH, D(2030, 1, 1));
    S(&r, HD_F_NAME, "李四");
    uint32_t b = add(&r);
    j = judge(h);
    ck_assert_uint_eq(j.findings, BIT(HD_FD_NAME_MISMATCH));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    ck_assert_uint_eq(recfind(a), 0);
    ck_assert_uint_eq(recfind(b), BIT(HD_FD_NAME_MISMATCH));
}
END_TEST

START_TEST(test_source_incomplete_and_rejected)
{
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 2);
    hd_judgement j = judge_d(h, 1);
    ck_assert_uint_eq(j.findings, BIT(HD_FD_SOURCE_INCOMPLETE));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    /* a quarantined member: counted in members, income 0, no records */
    M->members[mem(h, 1)].rejected = HD_R_ID_CHECK;
    M->members[mem(h, 1)].declared_income = 5000000;
    M->households[h].row_rejected = 1;
    M->members[mem(h, 0)].declared_income = 100001;
    j = judge(h);
    ck_assert_uint_eq(j.findings, BIT(HD_FD_APPLICANT_ROW_REJECTED));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    ck_assert_int_eq(j.household_income_fen, 100001);
    ck_assert_int_eq(j.income_per_capita_fen, 50001);     /* 50000.5 -> 50001 */
    /* ineligible beats review */
    M->members[mem(h, 0)].declared_income = 200001;
    j = judge_d(h, 1);
    ck_assert_uint_eq(j.findings, BIT(HD_FD_APPLICANT_ROW_REJECTED) |
                                  BIT(HD_FD_SOURCE_INCOMPLETE) | BIT(HD_FD_INCOME_OVER_STANDARD));
    ck_assert_int_eq(j.verdict, HD_V_INELIGIBLE);
    /* can be raised to ineligible by the policy */
    P->type[HD_ASSIST_DIBAO].outcome[HD_FD_SOURCE_INCOMPLETE] = HD_OUT_INELIGIBLE;
    M->members[mem(h, 0)].declared_income = 0;
    j = judge_d(h, 1);
    ck_assert_int_eq(j.verdict, HD_V_INELIGIBLE);
}
END_TEST

START_TEST(test_outcome_overrides)
{
    /* per assistance type: bianyuan sets INCOME to review, linshi ignores
     * it (loaded from a policy file, so inheritance is exercised too) */
    hd_policy *p;
    hd_error e;
    int rc = load_text("[policy]\nstandards = std.csv\n"
                       "[default]\noutcome.VEHICLE_NON_EXEMPT = review\n"
                       "[bianyuan]\noutcome.INCOME_OVER_STANDARD = review\n"
                       "[linshi]\noutcome.INCOME_OVER_STANDARD = ignore\n"
                       "outcome.VEHICLE_NON_EXEMPT = ineligible\n",
                       STD, &p, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    hd_policy_free(P);
    P = p;
    /* province 530000: 640.00 urban; the multiplier is not set, so it is
     * 1x for every type (the example's [bianyuan] 1.5x is not a default) */
    uint32_t hb = household("530102", HD_ASSIST_BIANYUAN, HD_AREA_URBAN, 1);
    uint32_t hl = household("530102", HD_ASSIST_LINSHI, HD_AREA_URBAN, 1);
    uint32_t hd = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    M->members[mem(hb, 0)].declared_income = 64001;
    M->members[mem(hl, 0)].declared_income = 64001;
    M->members[mem(hd, 0)].declared_income = 64001;
    hd_judgement j = judge(hb);
    ck_assert_int_eq(j.standard_fen, 64000);
    ck_assert_uint_eq(j.findings, BIT(HD_FD_INCOME_OVER_STANDARD));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    j = judge(hd);
    ck_assert_int_eq(j.verdict, HD_V_INELIGIBLE);
    hd_record r = R(HD_KIND_INCOME, mem(hl, 0));
    I(&r, HD_F_PERIOD, 202605);
    I(&r, HD_F_INCOME, 99999999);
    uint32_t a = add(&r);
    j = judge(hl);
    ck_assert_uint_eq(j.findings, 0);                  /* ignored: not reported */
    ck_assert_int_eq(j.verdict, HD_V_ELIGIBLE);
    ck_assert_uint_eq(recfind(a), 0);                  /* nor evidence */
    /* vehicle: review by [default] for bianyuan, ineligible for linshi */
    vehicle(mem(hb, 0), NULL, HD_VT_CAR, -1, NOBAL);
    vehicle(mem(hl, 0), NULL, HD_VT_CAR, -1, NOBAL);
    M->members[mem(hb, 0)].declared_income = 0;
    j = judge(hb);
    ck_assert_uint_eq(j.findings, BIT(HD_FD_VEHICLE_NON_EXEMPT));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    j = judge(hl);
    ck_assert_uint_eq(j.findings, BIT(HD_FD_VEHICLE_NON_EXEMPT));
    ck_assert_int_eq(j.verdict, HD_V_INELIGIBLE);
}
END_TEST

START_TEST(test_near_miss_never_above_review)
{
    /* SPEC §9: a near miss is always lead evidence, so even a policy that
     * calls it ineligible gets review; ignore is honoured */
    hd_policy *p;
    hd_error e;
    int rc = load_text("[policy]\nstandards = std.csv\n[default]\noutcome.NEAR_MISS = ineligible\n"
                       "[linshi]\noutcome.NEAR_MISS = ignore\n", STD, &p, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    hd_policy_free(P);
    P = p;
    uint32_t hd = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    uint32_t hl = household("530102", HD_ASSIST_LINSHI, HD_AREA_URBAN, 1);
    uint32_t hn = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    M->households[hd].flags |= HD_HF_NEAR_MISS;
    M->households[hl].flags |= HD_HF_NEAR_MISS;
    hd_judgement j = judge(hd);
    ck_assert_uint_eq(j.findings, BIT(HD_FD_NEAR_MISS));
    ck_assert_int_eq(j.verdict, HD_V_REVIEW);
    j = judge(hl);
    ck_assert_uint_eq(j.findings, 0);
    ck_assert_int_eq(j.verdict, HD_V_ELIGIBLE);
    j = judge(hn);
    ck_assert_uint_eq(j.findings, 0);
    ck_assert_str_eq(hd_finding_name(HD_FD_NEAR_MISS), "NEAR_MISS");
    ck_assert_int_eq(hd_finding_parse("NEAR_MISS"), HD_FD_NEAR_MISS);
}
END_TEST

START_TEST(test_judge_idempotent_evidence)
{
    /* judging twice gives the same bits; a finding that goes away clears
     * its evidence */
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, 1);
    uint32_t a = vehicle(mem(h, 0), NULL, HD_VT_CAR, -1, NOBAL);
    hd_judgement j1 = judge(h), j2 = judge(h);
    ck_assert_mem_eq(&j1, &j2, sizeof j1);
    ck_assert_uint_eq(recfind(a), BIT(HD_FD_VEHICLE_NON_EXEMPT));
    P->type[HD_ASSIST_DIBAO].vehicle_exempt_mask |= BIT(HD_VT_CAR);
    judge(h);
    ck_assert_uint_eq(recfind(a), 0);
}
END_TEST

/* The join index (with its filter of about 8 bits a member) finds every
 * usable member of a province-sized model, each ID's members chained in
 * member order, and no ID that nobody has nor a rejected member's. */
START_TEST(test_join_index_finds_every_member)
{
    const uint32_t n = 50000;
    uint32_t h = household("530102", HD_ASSIST_DIBAO, HD_AREA_URBAN, n);
    for (uint32_t i = 0; i < n; i++)
        snprintf(M->members[mem(h, i)].id.s, sizeof M->members[0].id.s, "5301%014u", i * 7919u);
    /* member 10 has member 5's ID; member 20 is rejected */
    memcpy(M->members[mem(h, 10)].id.s, M->members[mem(h, 5)].id.s, 19);
    M->members[mem(h, 20)].rejected = HD_R_ID_CHECK;
    hd_error e;
    ck_assert_int_eq(hd_model_index(M, &e), HD_OK);
    for (uint32_t i = 0; i < n; i++) {
        if (i == 10 || i == 20) continue;
        ck_assert_uint_eq(hd_model_find_id(M, M->members[mem(h, i)].id.s), mem(h, i));
    }
    ck_assert_uint_eq(M->members[mem(h, 5)].next_same_id, mem(h, 10));
    ck_assert_uint_eq(hd_model_find_id(M, M->members[mem(h, 20)].id.s), HD_NONE);
    char id[19];
    for (uint32_t i = 0; i < 400000; i++) {
        snprintf(id, sizeof id, "5302%014u", i);       /* nobody's (5301...) */
        ck_assert_uint_eq(hd_model_find_id(M, id), HD_NONE);
    }
    hd_model_index_release(M);
    ck_assert_uint_eq(hd_model_find_id(M, M->members[mem(h, 0)].id.s), HD_NONE);
}
END_TEST

/* The layout's map of applications taken (engine/util/strmap): a key added
 * with its hash worked out ahead (and its slot asked for ahead) is the same
 * key as one added or looked up the plain way, across the map's growth;
 * adding it again keeps the first value and says which. */
START_TEST(test_application_map_hashed_calls)
{
    hd_strmap *m = hd_strmap_new();
    ck_assert_ptr_nonnull(m);
    char k[32];
    const uint32_t n = 20000;
    for (uint32_t i = 0; i < n; i++) {
        int kn = snprintf(k, sizeof k, "530102\x1fSQ%07u", i);
        uint32_t old = 7;
        if (i % 2) {
            uint64_t h = hd_strmap_hash(k, (size_t)kn);
            hd_strmap_prefetch(m, h);
            ck_assert_int_eq(hd_strmap_add_hashed(m, h, k, (size_t)kn, i, &old), 0);
        } else {
            ck_assert_int_eq(hd_strmap_add(m, k, (size_t)kn, i, &old), 0);
        }
        ck_assert_uint_eq(old, UINT32_MAX);
    }
    for (uint32_t i = 0; i < n; i++) {
        int kn = snprintf(k, sizeof k, "530102\x1fSQ%07u", i);
        ck_assert_uint_eq(hd_strmap_get(m, k, (size_t)kn), i);
        ck_assert_uint_eq(hd_strmap_get_hashed(m, hd_strmap_hash(k, (size_t)kn), k, (size_t)kn), i);
    }
    /* again, with another value: the first stays */
    uint32_t old = 0;
    int kn = snprintf(k, sizeof k, "530102\x1fSQ%07u", 12345u);
    ck_assert_int_eq(hd_strmap_add_hashed(m, hd_strmap_hash(k, (size_t)kn), k, (size_t)kn, 99, &old), 0);
    ck_assert_uint_eq(old, 12345);
    ck_assert_uint_eq(hd_strmap_get(m, k, (size_t)kn), 12345);
    /* another county's same id, and an id nobody added */
    kn = snprintf(k, sizeof k, "530103\x1fSQ%07u", 12345u);
    ck_assert_uint_eq(hd_strmap_get_hashed(m, hd_strmap_hash(k, (size_t)kn), k, (size_t)kn), UINT32_MAX);
    kn = snprintf(k, sizeof k, "530102\x1fSQ%07u", n);
    ck_assert_uint_eq(hd_strmap_get(m, k, (size_t)kn), UINT32_MAX);
    hd_strmap_free(m);
}
END_TEST

static Suite *rules_suite(void)
{
    Suite *s = suite_create("rules");
    TCase *t = tcase_create("names");
    tcase_add_test(t, test_finding_names);
    tcase_add_test(t, test_names_equal);
    suite_add_tcase(s, t);

    t = tcase_create("policy");
    tcase_add_test(t, test_policy_fixture);
    tcase_add_test(t, test_policy_defaults);
    tcase_add_test(t, test_policy_repository_default);
    tcase_add_test(t, test_policy_errors);
    tcase_add_test(t, test_policy_missing_files);
    tcase_add_test(t, test_policy_small_things);
    suite_add_tcase(s, t);

    t = tcase_create("checks");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_standard_lookup);
    tcase_add_test(t, test_judge_no_standard);
    tcase_add_test(t, test_income_boundary);
    tcase_add_test(t, test_income_rural_and_tekun);
    tcase_add_test(t, test_income_multiplier_exact);
    tcase_add_test(t, test_income_rounding);
    tcase_add_test(t, test_income_window);
    tcase_add_test(t, test_income_as_of_january);
    tcase_add_test(t, test_pension);
    tcase_add_test(t, test_assets_boundary);
    tcase_add_test(t, test_assets_per_capita_rounding);
    tcase_add_test(t, test_deposit_dates);
    tcase_add_test(t, test_deposit_shared_account);
    tcase_add_test(t, test_deposit_over_limit_flag);
    tcase_add_test(t, test_vehicles);
    tcase_add_test(t, test_property_coowned);
    tcase_add_test(t, test_property_shares_status_usage);
    tcase_add_test(t, test_property_area_over);
    tcase_add_test(t, test_business);
    tcase_add_test(t, test_fund);
    tcase_add_test(t, test_deceased);
    tcase_add_test(t, test_duplicate_and_names);
    tcase_add_test(t, test_source_incomplete_and_rejected);
    tcase_add_test(t, test_outcome_overrides);
    tcase_add_test(t, test_judge_idempotent_evidence);
    tcase_add_test(t, test_near_miss_never_above_review);
    suite_add_tcase(s, t);

    /* 450,000 look-ups: seconds under ASan on a busy machine, past Check's 4 s */
    t = tcase_create("join index");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, test_join_index_finds_every_member);
    tcase_add_test(t, test_application_map_hashed_calls);
    tcase_set_timeout(t, 120);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    /* one scratch directory for the policy files written by the tests,
     * made here so that forked test processes share it */
    strcpy(tmpdir, "/tmp/hd_rules_XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    int rc = td_run(rules_suite());
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) rc = 1;
    }
    return rc;
}
