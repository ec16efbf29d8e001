/*
 * hedui/rules.h — the eligibility policy (policy/NAME.policy, INI), the local
 * standards (standards.csv), the checks of SPEC §4 and the verdicts.
 *
 * Every threshold comes from the policy file, never from code (SPEC §4).
 * Arithmetic is exact integer arithmetic: money in fen, area in 0.01 m²,
 * multipliers and shares in basis points; "per capita above L" means
 * total > members × L; income comparisons are made on 12 × monthly amounts;
 * reported per-capita figures are rounded half up to the fen.
 *
 * Thread-safety: a loaded hd_policy is read-only and may be shared;
 * hd_judge() is reentrant (it writes only rec->findings of the household's
 * own records and *out).
 */
#ifndef HEDUI_RULES_H
#define HEDUI_RULES_H

#include <stdint.h>
#include "hedui/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Findings (reason codes of SPEC §4), stable order = sort order of codes
 * is NOT this order: reports sort by name (hd_finding_name). */
typedef enum hd_finding {
    HD_FD_INCOME_OVER_STANDARD = 0,
    HD_FD_ASSETS_OVER_LIMIT,
    HD_FD_VEHICLE_NON_EXEMPT,
    HD_FD_PROPERTY_MULTIPLE_HOMES,
    HD_FD_PROPERTY_NON_RESIDENTIAL,
    HD_FD_PROPERTY_AREA_OVER,
    HD_FD_BUSINESS_ROLE,
    HD_FD_FUND_CONTRIBUTING,
    HD_FD_MEMBER_DECEASED,
    HD_FD_DUPLICATE_APPLICATION,
    HD_FD_NAME_MISMATCH,
    HD_FD_SOURCE_INCOMPLETE,
    HD_FD_APPLICANT_ROW_REJECTED,
    /* SPEC §7, never below review (docs/reasons.md) */
    HD_FD_EVIDENCE_UNREADABLE,      /* a quarantined extract row carries a
                                       member's ID or token */
    HD_FD_ID_SUSPECT,               /* an ID ending 000 in an applicant file
                                       with spreadsheet damage */
    HD_FD_APPLICATION_ID_REUSED,    /* the id was used again in a later file */
    HD_FD_NEAR_MISS,                /* SPEC §9: a quarantined extract row whose
                                       ID is one typo from a member's, same
                                       name; never above review (always lead) */
    HD_FD__COUNT
} hd_finding;

/* "INCOME_OVER_STANDARD", ... (the stable code of SPEC §4) and its Chinese
 * label (the project's, listed in docs/reasons.md).
 * @return the code / the label in static storage; "UNKNOWN" / "未知" for a
 *         value out of range. */
const char *hd_finding_name(hd_finding f);
const char *hd_finding_label_zh(hd_finding f);
/* The finding whose code is exactly `name` (case-sensitive).
 * @return the finding, or -1 if name is unknown or NULL. */
int hd_finding_parse(const char *name);

/* Whether finding f can never be set below review nor suppressed (SPEC §7
 * "Never below review").
 * @return 1 if so (SOURCE_INCOMPLETE, APPLICANT_ROW_REJECTED,
 *         EVIDENCE_UNREADABLE, ID_SUSPECT, APPLICATION_ID_REUSED), else 0. */
int hd_finding_floor(hd_finding f);

typedef enum hd_outcome { HD_OUT_IGNORE = 0, HD_OUT_REVIEW = 1, HD_OUT_INELIGIBLE = 2 } hd_outcome;
typedef enum hd_verdict { HD_V_ELIGIBLE = 0, HD_V_REVIEW = 1, HD_V_INELIGIBLE = 2 } hd_verdict;
/* The stable name of a verdict and its Chinese label.
 * @return "ELIGIBLE", "REVIEW", "INELIGIBLE" / 符合, 需人工复核, 不符合
 *         (static storage); "UNKNOWN" / "未知" for a value out of range. */
const char *hd_verdict_name(hd_verdict v);
const char *hd_verdict_label_zh(hd_verdict v);

/* The rules for one assistance type: [default] overridden by [tekun] etc. */
typedef struct hd_type_policy {
    int32_t standard_multiplier_bp;     /* 10000 = 1 x the standard */
    uint8_t standard_area_urban;        /* 1: always the urban standard */
    int32_t assets_months;
    uint32_t vehicle_exempt_mask;       /* bit (1 << HD_VT_*) */
    int64_t vehicle_value_limit_fen;
    int32_t max_homes;
    uint32_t non_residential_mask;      /* bit (1 << HD_US_*) */
    int64_t area_per_capita_centi;      /* 0.01 m² per member; 0 = no check */
    int64_t business_capital_limit_fen;
    uint32_t exclude_pension_mask;      /* bit (1 << HD_SCHEME_*) */
    uint8_t outcome[HD_FD__COUNT];      /* hd_outcome per finding */
    /* the change report ([job] previous; docs/changes.md): household
     * income changed when |after - before| x 100 > change_income_pct x
     * before (before 0: any change); assets when |after - before| >
     * change_assets_fen. Keys change_income_pct (default 20) and
     * change_assets_yuan (default 10000). */
    int32_t change_income_pct;
    int64_t change_assets_fen;
    /* proactive discovery (SPEC §10): INCOME_DROP when income per capita
     * fell by more than this whole percent since the previous run, i.e.
     * (before - after) x 100 > pct x before; key
     * discovery_income_drop_pct, 0..100, default 30 (hedui's default,
     * not a published figure: docs/policy.md, docs/decisions.md) */
    int32_t discovery_income_drop_pct;
} hd_type_policy;

typedef struct hd_standard_row {
    char code[7];                       /* 6-digit division code */
    int32_t year;
    int64_t urban_fen, rural_fen;       /* monthly standard in fen */
} hd_standard_row;

typedef struct hd_policy {
    char name[128];
    int32_t max_quarantine_pct;         /* [policy] default 5 */
    int32_t max_age_days;               /* [policy] 0 = no staleness check */
    /* [policy] required_kinds (SPEC §7): bit (1 << hd_kind) per kind a job
     * must have a source of; default every extract kind */
    uint32_t required_kinds;
    int32_t max_rows_drop_pct;          /* [policy] default 50 (SPEC §7) */
    hd_type_policy type[HD_ASSIST__COUNT];
    hd_standard_row *standards; uint32_t nstandards;
    char digest[65];                    /* SHA-256 hex over the policy file
                                           bytes followed by standards.csv */
    char standards_path[4096];
} hd_policy;

/*
 * Loads a policy file and its standards.csv (path relative to the policy
 * file; default "standards.csv"). SPEC §4, §6 "Config files", "Defaults":
 * a key given nowhere takes the value of §4's example [default] (outcomes:
 * the §4 table); a type section inherits every key of [default], wherever
 * it stands, and overrides only what it sets. Lists are comma-separated
 * canonical values; yuan carry up to 2 decimals; m² up to 2 decimals.
 * Comments: whole lines starting ';' or '#', or after whitespace + ';'.
 * Unknown sections or keys, a key twice in a section, bad numbers, unknown
 * codes in outcome.CODE, an outcome below review for a never-below-review
 * code (SOURCE_INCOMPLETE, APPLICANT_ROW_REJECTED, EVIDENCE_UNREADABLE,
 * ID_SUSPECT, APPLICATION_ID_REUSED; hd_finding_floor), or a bad
 * standards row: HD_ECONFIG with
 * "PATH:LINE: reason" (PATH is the standards file for its rows). Missing
 * file: HD_ENOINPUT. digest = SHA-256 hex of the policy bytes followed by
 * the standards bytes. Caller frees with hd_policy_free (NULL accepted).
 * Thread-safe (inih's options are set once, util/ini.c); the loaded
 * policy is read-only and may be shared.
 * @return HD_OK and *out; HD_ENOINPUT (the policy or its standards file is
 *         missing or unreadable); HD_ECONFIG (as above, or a file over
 *         64 MiB); HD_ESOFTWARE (out of memory, SHA-256 failed). *out is
 *         NULL on failure.
 */
int hd_policy_load(hd_policy **out, const char *path, hd_error *err);
void hd_policy_free(hd_policy *p);

/*
 * Monthly standard in fen for a county, area type and year (SPEC §6
 * "Standards"): the most specific level with a row for a year not after
 * `year` (county code, then its prefecture XXXX00, then province XX0000),
 * within it the latest such year. `urban` nonzero: the urban column, else
 * the rural one. Not yet multiplied. Thread-safe (reads p only).
 * @return HD_OK, or HD_EDATA when no row applies or county_code is not
 *         6 ASCII digits.
 */
int hd_standard_lookup(const hd_policy *p, const char *county_code, int year,
                       int urban, int64_t *fen);

/* What the checks found for one household. */
typedef struct hd_judgement {
    uint32_t findings;          /* bit per finding whose outcome is not ignore */
    hd_verdict verdict;
    int64_t standard_fen;       /* monthly standard × multiplier, rounded half up */
    int64_t household_income_fen;   /* monthly, sum of members' incomes, rounded */
    int64_t income_per_capita_fen;  /* rounded half up */
    int64_t assets_fen;
    int64_t assets_per_capita_fen;
    int32_t homes;              /* residential certificates counted */
    int64_t residential_area;   /* 0.01 m², area × share summed */
    int32_t vehicles;           /* owned vehicles, exempt types included */
    int32_t businesses;         /* distinct active businesses with a role */
} hd_judgement;

/*
 * The assistance type whose policy section judges household hh: its own
 * assistance_type, except for a household of the monitored population
 * (SPEC §10), which is judged under dibao (tekun when its type is tekun):
 * the question proactive discovery asks is whether it would qualify now.
 * @return an HD_ASSIST_* value (hh->assistance_type when out of range, so
 *         that hd_judge still reports it).
 */
int hd_judging_type(const hd_household *hh);

/*
 * Judges household h of model m on date as_of: every check of SPEC §4 with
 * the rules of SPEC §6 "Checks" and "Further decisions" (docs/reasons.md
 * states them and the choices made where SPEC leaves one), under the policy
 * of the household's assistance type (hd_judging_type). `source_damaged` (any source damaged)
 * raises SOURCE_INCOMPLETE; household.row_rejected or a rejected member
 * raises APPLICANT_ROW_REJECTED. members = household.nmembers (every row,
 * usable or not); rejected members count income 0 and no records.
 * Writes *out (figures in fen / 0.01 m², rounded half up once from the
 * exact value) and rec->findings of the household's records: exactly the
 * bits of the counted findings (outcome not ignore) that the record is
 * evidence of (earlier bits are cleared, so judging twice is harmless).
 * Deterministic; exact integer arithmetic (128-bit products).
 * @return HD_OK; HD_EDATA with err set when no standard applies to the
 *         household's county (a config problem the batch reports);
 *         HD_ESOFTWARE for an out-of-range household or out of memory.
 */
int hd_judge(const hd_policy *p, hd_model *m, uint32_t h, hd_date as_of,
             int source_damaged, hd_judgement *out, hd_error *err);

/*
 * The judgement of household h as every caller makes it (the nightly run,
 * hedui lookup and serve: one judge): hd_judge; when no standard applies
 * to the household's county (hd_judge's HD_EDATA), the household cannot be
 * judged and goes to review with APPLICANT_ROW_REJECTED (and
 * SOURCE_INCOMPLETE when source_damaged), figures 0. *unjudged = 1 when
 * that happened to a household none of whose rows was rejected (the run
 * logs it; err then holds hd_judge's reason).
 * @return HD_OK; HD_ESOFTWARE (out of range, out of memory).
 */
int hd_judge_household(const hd_policy *p, hd_model *m, uint32_t h, hd_date as_of,
                       int source_damaged, hd_judgement *out, int *unjudged, hd_error *err);


/* Whether two names are the same under SPEC §6 "Names": equal after NFKC
 * (utf8proc) with the trim-set characters (space, tab, CR, U+00A0, U+200B,
 * U+FEFF, U+3000) and the separator dots U+00B7, U+2022, U+2027, U+30FB,
 * U+FF0E, U+FF65, '.' removed wherever they stand. No case folding. Input
 * that is not valid UTF-8 is compared byte for byte. Thread-safe.
 * @return 1 if they are the same, else 0. */
int hd_names_equal(const char *a, size_t an, const char *b, size_t bn);

#ifdef __cplusplus
}
#endif
#endif
