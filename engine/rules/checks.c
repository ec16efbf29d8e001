/*
 * checks.c — the checks of SPEC §4 and the verdict of one household, with
 * the precise rules of SPEC §6 ("Checks", "Further decisions").
 *
 * Arithmetic. Everything is exact: money in fen, area in 0.01 m², shares
 * and multipliers in basis points. Every comparison is made between
 * integer products in 128 bits ("per capita above L" is total > members ×
 * L; income comparisons are made on 12 × monthly amounts so that nothing
 * is divided before a comparison). Only the reported figures are divided,
 * and rounded half up, once, from the exact value.
 *
 * Evidence. While checking, every record that raises or makes up a finding
 * gets the finding's bit in rec->findings; at the end the bits of findings
 * whose outcome is `ignore` are cleared, so a record carries exactly the
 * reported findings it is evidence of (hd_model_set_findings).
 *
 * Records. The model stores records compactly; each record of the
 * household's usable members is expanded once (hd_model_record) into a
 * scratch array at the start, the checks read and mark the scratch copies,
 * and only the finding bits go back to the model at the end. A household
 * has a few records, so the scratch is small (1,304 bytes a record).
 *
 * Reentrancy: no global state; the scratch arrays are per call.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hedui/rules.h"

typedef __int128 wide;    /* products of fen × members × months × bp */

/* A reported figure that does not fit in int64 (only absurd input can get
 * there) is clamped rather than wrapped. */
static int64_t clamp64(wide x)
{
    if (x > INT64_MAX) return INT64_MAX;
    if (x < INT64_MIN) return INT64_MIN;
    return (int64_t)x;
}

/* floor((num / den) + 1/2) for den > 0: half up, also for negatives. */
static int64_t round_half_up(wide num, wide den)
{
    wide a = 2 * num + den, b = 2 * den;
    wide q = a / b;
    if (a % b != 0 && a < 0) q--;
    return clamp64(q);
}

#define BIT(f) (1u << (f))

static const hd_value *val(const hd_record *r, hd_fid f)
{
    return r->v[f].present ? &r->v[f] : NULL;
}

/* Enum fields: the canonical code, or -1 when unknown (empty). */
static int code_of(const hd_record *r, hd_fid f)
{
    return r->v[f].present ? (int)r->v[f].i : -1;
}

/* The string of a present text value, "" otherwise. */
static const char *str_of(const hd_record *r, hd_fid f, uint32_t *n)
{
    if (r->v[f].present && r->v[f].s) { *n = r->v[f].n; return r->v[f].s; }
    *n = 0;
    return "";
}

static int str_cmp(const hd_record *a, const hd_record *b, hd_fid f)
{
    uint32_t an, bn;
    const char *x = str_of(a, f, &an), *y = str_of(b, f, &bn);
    uint32_t n = an < bn ? an : bn;
    int c = memcmp(x, y, n);
    if (c) return c;
    return (an > bn) - (an < bn);
}

/* The 12-month window of SPEC §4 "verified income": the 12 whole calendar
 * months before as_of's month; a yearly period YYYY00 is in it when YYYY is
 * the last whole year before as_of. */
struct window { int first, last; int year; int asof_period; };

static struct window make_window(hd_date as_of)
{
    int y, m, d;
    hd_date_to_ymd(as_of, &y, &m, &d);
    struct window w;
    int idx = y * 12 + (m - 1);
    w.first = idx - 12;
    w.last = idx - 1;
    w.year = y - 1;
    w.asof_period = y * 100 + m;
    return w;
}

static int in_window(const struct window *w, int64_t period)
{
    if (period % 100 == 0) return period / 100 == w->year;
    int64_t idx = (period / 100) * 12 + (period % 100 - 1);
    return idx >= w->first && idx <= w->last;
}

/* ------------------------------------------------------------ deposits */

struct dep { const hd_record *r; uint32_t ix; int counted; };

/* Orders deposits by account key (source, institution, account); rows
 * without an account number sort apart by their index (an account each). */
static int dep_cmp(const void *pa, const void *pb)
{
    const struct dep *a = pa, *b = pb;
    int ha = a->r->v[HD_F_ACCOUNT].present, hb = b->r->v[HD_F_ACCOUNT].present;
    if (ha != hb) return hb - ha;
    if (ha) {
        if (a->r->source != b->r->source) return a->r->source < b->r->source ? -1 : 1;
        int c = str_cmp(a->r, b->r, HD_F_INSTITUTION);
        if (c) return c;
        c = str_cmp(a->r, b->r, HD_F_ACCOUNT);
        if (c) return c;
    }
    return (a->ix > b->ix) - (a->ix < b->ix);
}

static int same_account(const hd_record *a, const hd_record *b)
{
    return a->v[HD_F_ACCOUNT].present && b->v[HD_F_ACCOUNT].present &&
           a->source == b->source && str_cmp(a, b, HD_F_INSTITUTION) == 0 &&
           str_cmp(a, b, HD_F_ACCOUNT) == 0;
}

/* 1 if balance of a beats b (unknown balances lose to known ones). */
static int larger_balance(const hd_record *a, const hd_record *b)
{
    const hd_value *x = val(a, HD_F_BALANCE), *y = val(b, HD_F_BALANCE);
    if (!x) return 0;
    if (!y) return 1;
    return x->i > y->i;
}

/* ------------------------------------------------------------ properties */

struct prop { const hd_record *r; uint32_t ix; int residential; };

static int prop_cmp(const void *pa, const void *pb)
{
    const struct prop *a = pa, *b = pb;
    int ha = a->r->v[HD_F_CERT_NO].present, hb = b->r->v[HD_F_CERT_NO].present;
    if (ha != hb) return hb - ha;
    if (ha) {
        int c = str_cmp(a->r, b->r, HD_F_CERT_NO);
        if (c) return c;
        if (a->r->member != b->r->member) return a->r->member < b->r->member ? -1 : 1;
    }
    return (a->ix > b->ix) - (a->ix < b->ix);
}

static int same_cert(const hd_record *a, const hd_record *b)
{
    return a->v[HD_F_CERT_NO].present && b->v[HD_F_CERT_NO].present &&
           str_cmp(a, b, HD_F_CERT_NO) == 0;
}

/* ------------------------------------------------------------ businesses */

/* Same business: same credit_code; else, both without one, same company. */
static int same_business(const hd_record *a, const hd_record *b)
{
    int ca = a->v[HD_F_CREDIT_CODE].present, cb = b->v[HD_F_CREDIT_CODE].present;
    if (ca || cb) return ca && cb && str_cmp(a, b, HD_F_CREDIT_CODE) == 0;
    return a->v[HD_F_COMPANY].present && b->v[HD_F_COMPANY].present &&
           str_cmp(a, b, HD_F_COMPANY) == 0;
}

/* ------------------------------------------------------------ judge */

int hd_judging_type(const hd_household *hh)
{
    if (hh->population == HD_POP_MONITORED)
        return hh->assistance_type == HD_ASSIST_TEKUN ? HD_ASSIST_TEKUN : HD_ASSIST_DIBAO;
    return hh->assistance_type;
}

/* One household being judged: the policy of its type, the scratch copies
 * of its records and what the checks have found so far. Each check below
 * reads and marks this, in the order hd_judge calls them. */
struct judging {
    const hd_type_policy *tp;
    hd_model *m;
    const hd_household *hh;
    uint32_t m0, m1;              /* the household's members */
    int64_t members;              /* all rows, usable or not (SPEC §6) */
    hd_date as_of;
    struct window w;
    int64_t std_raw;              /* the standard before the multiplier */
    wide bp;                      /* the standard's multiplier, bp */
    hd_record *recs;              /* scratch: usable members' records */
    struct dep *deps;
    struct prop *props;
    const hd_record **biz;
    const hd_record **plates;
    size_t ndeps, nprops, nbiz, nplates;
    uint32_t raised;
    wide income12;                /* household income × 12, fen */
    hd_judgement *out;
};

/* Raises finding f and marks r as its evidence. */
static void raise_on(struct judging *J, hd_record *r, hd_finding f)
{
    J->raised |= BIT(f);
    r->findings |= BIT(f);
}

/* The standard (SPEC §4 "standard", §6 "Standards"). */
static int judge_standard(struct judging *J, const hd_policy *p, hd_error *err)
{
    int y, mo, d;
    hd_date_to_ymd(J->as_of, &y, &mo, &d);
    int urban = J->tp->standard_area_urban || J->hh->area_type == HD_AREA_URBAN;
    if (hd_standard_lookup(p, J->hh->county_code, y, urban, &J->std_raw) != HD_OK)
        return hd_fail(err, HD_EDATA, "county %s: no %s standard for %d or earlier in %s",
                       J->hh->county_code ? J->hh->county_code : "?", urban ? "urban" : "rural", y,
                       p->standards_path);
    J->bp = J->tp->standard_multiplier_bp;
    J->out->standard_fen = round_half_up((wide)J->std_raw * J->bp, 10000);
    return HD_OK;
}

static void scratch_free(struct judging *J)
{
    free(J->recs); free(J->deps); free(J->props); free(J->biz); free(J->plates);
}

/* The scratch: every record of the household's usable members, expanded
 * once, in member order then record order. */
static int scratch_alloc(struct judging *J)
{
    size_t nrec = 0;
    for (uint32_t i = J->m0; i < J->m1; i++)
        if (J->m->members[i].rejected == HD_R_NONE) nrec += J->m->members[i].nrecords;
    size_t n = nrec ? nrec : 1;
    J->recs = malloc(n * sizeof *J->recs);
    J->deps = malloc(n * sizeof *J->deps);
    J->props = malloc(n * sizeof *J->props);
    J->biz = malloc(n * sizeof *J->biz);
    J->plates = malloc(n * sizeof *J->plates);
    if (!J->recs || !J->deps || !J->props || !J->biz || !J->plates) {
        scratch_free(J);
        return -1;
    }
    size_t j = 0;
    for (uint32_t i = J->m0; i < J->m1; i++) {
        const hd_member *mb = &J->m->members[i];
        if (mb->rejected != HD_R_NONE) continue;
        for (uint32_t k = 0; k < mb->nrecords; k++) hd_model_record(J->m, mb->records[k], &J->recs[j++]);
    }
    return 0;
}

/* NAME_MISMATCH: a named record whose name differs (SPEC §6 "Names"). */
static void check_name(struct judging *J, const hd_member *mb, hd_record *r)
{
    if (r->v[HD_F_NAME].present && r->v[HD_F_NAME].n && mb->name && *mb->name &&
        !hd_names_equal(r->v[HD_F_NAME].s, r->v[HD_F_NAME].n, mb->name, strlen(mb->name)))
        raise_on(J, r, HD_FD_NAME_MISMATCH);
}

/* A member's pension record: the active one of the latest period up to
 * as_of's month, the larger benefit on a tie; *pension is the best so far. */
static void pick_pension(const struct judging *J, hd_record *r, hd_record **pension)
{
    int st = code_of(r, HD_F_STATUS);
    if (st != -1 && st != HD_PEN_ACTIVE) return;
    const hd_value *per = val(r, HD_F_PERIOD);
    if (per && per->i > J->w.asof_period) return;
    if (!*pension) { *pension = r; return; }
    const hd_value *pp = val(*pension, HD_F_PERIOD);
    int64_t a = per ? per->i : -1, b = pp ? pp->i : -1;
    const hd_value *ba = val(r, HD_F_BENEFIT), *bb = val(*pension, HD_F_BENEFIT);
    if (a > b || (a == b && ba && (!bb || ba->i > bb->i))) *pension = r;
}

/* VEHICLE_NON_EXEMPT; counts the household's vehicles. */
static void check_vehicle(struct judging *J, hd_record *r)
{
    int st = code_of(r, HD_F_STATUS);
    if (st != -1 && st != HD_VS_NORMAL) return;
    /* one vehicle listed twice (two sources, two members) is one
     * vehicle: dedupe by plate within the household */
    int dup = 0;
    if (r->v[HD_F_PLATE].present)
        for (size_t j = 0; j < J->nplates && !dup; j++)
            dup = str_cmp(J->plates[j], r, HD_F_PLATE) == 0;
    if (!dup) {
        J->out->vehicles++;
        if (r->v[HD_F_PLATE].present) J->plates[J->nplates++] = r;
    }
    int vt = code_of(r, HD_F_VEHICLE_TYPE);
    int exempt = vt >= 0 && vt < 32 && (J->tp->vehicle_exempt_mask & (1u << vt));
    const hd_value *v = val(r, HD_F_VALUE);
    if (!exempt && (!v || v->i > J->tp->vehicle_value_limit_fen))
        raise_on(J, r, HD_FD_VEHICLE_NON_EXEMPT);
}

/* A property row in force joins the properties checked by check_properties. */
static void add_property(struct judging *J, hd_record *r, uint32_t ix)
{
    int st = code_of(r, HD_F_STATUS);
    if (st != -1 && st != HD_PS_VALID && st != HD_PS_MORTGAGED && st != HD_PS_SEALED) return;
    J->props[J->nprops].r = r; J->props[J->nprops].ix = ix; J->props[J->nprops].residential = 0;
    J->nprops++;
}

/* BUSINESS_ROLE; counts the household's businesses. */
static void check_business(struct judging *J, hd_record *r)
{
    int st = code_of(r, HD_F_STATUS);
    if (st != -1 && st != HD_BS_ACTIVE) return;
    int role = code_of(r, HD_F_ROLE);
    if (role == -1) role = HD_ROLE_OWNER;
    if (role != HD_ROLE_LEGAL_REP && role != HD_ROLE_SHAREHOLDER && role != HD_ROLE_OWNER) return;
    int dup = 0;
    for (size_t j = 0; j < J->nbiz && !dup; j++) dup = same_business(J->biz[j], r);
    if (!dup) { J->biz[J->nbiz++] = r; J->out->businesses++; }
    const hd_value *cap = val(r, HD_F_CAPITAL);
    if (!cap || cap->i > J->tp->business_capital_limit_fen) raise_on(J, r, HD_FD_BUSINESS_ROLE);
}

/* FUND_CONTRIBUTING: an active fund with a contribution in the window. */
static void check_fund(struct judging *J, hd_record *r)
{
    int st = code_of(r, HD_F_STATUS);
    if (st != -1 && st != HD_FUND_ACTIVE) return;
    const hd_value *per = val(r, HD_F_PERIOD);
    if (per && in_window(&J->w, per->i)) raise_on(J, r, HD_FD_FUND_CONTRIBUTING);
}

/* MEMBER_DECEASED: a death on or before as_of. */
static void check_death(struct judging *J, hd_record *r)
{
    const hd_value *dd = val(r, HD_F_DATE_OF_DEATH);
    if (dd && dd->i <= J->as_of) raise_on(J, r, HD_FD_MEMBER_DECEASED);
}

/* One record of a usable member: the check of its kind; income in the
 * window adds to *verified12, pensions are picked, deposits and properties
 * are gathered for the household's checks. */
static void check_record(struct judging *J, const hd_member *mb, uint32_t k, hd_record *r,
                         wide *verified12, hd_record **pension)
{
    r->findings = 0;
    check_name(J, mb, r);
    switch (r->kind) {
    case HD_KIND_INCOME: {
        const hd_value *per = val(r, HD_F_PERIOD), *inc = val(r, HD_F_INCOME);
        if (per && inc && in_window(&J->w, per->i)) *verified12 += inc->i;
        break;
    }
    case HD_KIND_PENSION: pick_pension(J, r, pension); break;
    case HD_KIND_DEPOSIT:
        J->deps[J->ndeps].r = r; J->deps[J->ndeps].ix = mb->records[k]; J->deps[J->ndeps].counted = 0;
        J->ndeps++;
        break;
    case HD_KIND_VEHICLE: check_vehicle(J, r); break;
    case HD_KIND_PROPERTY: add_property(J, r, mb->records[k]); break;
    case HD_KIND_BUSINESS: check_business(J, r); break;
    case HD_KIND_FUND: check_fund(J, r); break;
    case HD_KIND_DEATH: check_death(J, r); break;
    default: break;
    }
}

/* One usable member: its records' checks, then its income, the verified
 * one (window income and the pension) when above the declared one. */
static void check_member(struct judging *J, const hd_member *mb, hd_record *mrecs)
{
    if (mb->duplicate) J->raised |= BIT(HD_FD_DUPLICATE_APPLICATION);
    wide verified12 = 0;
    hd_record *pension = NULL;
    for (uint32_t k = 0; k < mb->nrecords; k++)
        check_record(J, mb, k, &mrecs[k], &verified12, &pension);
    if (pension) {
        int sc = code_of(pension, HD_F_SCHEME);
        int excluded = sc >= 0 && sc < 32 && (J->tp->exclude_pension_mask & (1u << sc));
        const hd_value *b = val(pension, HD_F_BENEFIT);
        if (!excluded && b) verified12 += (wide)12 * b->i;
        else pension = NULL;          /* adds 0: not evidence */
    }
    wide declared12 = (wide)12 * mb->declared_income;
    if (verified12 <= declared12) {
        J->income12 += declared12;
        return;
    }
    J->income12 += verified12;
    /* the records made this member's income: evidence */
    for (uint32_t k = 0; k < mb->nrecords; k++) {
        hd_record *r = &mrecs[k];
        const hd_value *per = val(r, HD_F_PERIOD);
        if (r->kind == HD_KIND_INCOME && per && val(r, HD_F_INCOME) && in_window(&J->w, per->i))
            r->findings |= BIT(HD_FD_INCOME_OVER_STANDARD);
    }
    if (pension) pension->findings |= BIT(HD_FD_INCOME_OVER_STANDARD);
}

/* INCOME_OVER_STANDARD: income × 12 × 10000 > members × standard × bp × 12 */
static void check_income(struct judging *J)
{
    if (J->income12 * 10000 > (wide)J->members * J->std_raw * J->bp * 12)
        J->raised |= BIT(HD_FD_INCOME_OVER_STANDARD);
    J->out->household_income_fen = round_half_up(J->income12, 12);
    J->out->income_per_capita_fen = J->members ? round_half_up(J->income12, (wide)12 * J->members) : 0;
}

/* One account's rows deps[a..b): ASSETS_OVER_LIMIT on a row flagged over
 * the limit; the balance that counts (the latest dated row, else the
 * largest undated one), added to *assets. */
static void count_account(struct judging *J, size_t a, size_t b, wide *assets)
{
    struct dep *deps = J->deps;
    long dated = -1, undated = -1;     /* indexes into deps */
    for (size_t j = a; j < b; j++) {
        hd_record *r = (hd_record *)deps[j].r;
        const hd_value *dt = val(r, HD_F_AS_OF);
        if (dt && dt->i > J->as_of) continue;      /* after the run's as_of: ignored */
        const hd_value *ol = val(r, HD_F_OVER_LIMIT);
        if (ol && ol->i == HD_YES) raise_on(J, r, HD_FD_ASSETS_OVER_LIMIT);
        if (dt) {
            const hd_record *c = dated >= 0 ? deps[dated].r : NULL;
            if (!c || dt->i > c->v[HD_F_AS_OF].i ||
                (dt->i == c->v[HD_F_AS_OF].i && larger_balance(r, c)))
                dated = (long)j;
        } else if (undated < 0 || larger_balance(r, deps[undated].r)) {
            undated = (long)j;
        }
    }
    /* an undated row counts only when the account has no dated row
     * (rows dated after as_of are ignored, as if absent) */
    long chosen = dated >= 0 ? dated : undated;
    if (chosen >= 0) {
        const hd_value *bal = val(deps[chosen].r, HD_F_BALANCE);
        if (bal && bal->i > 0) {           /* a negative balance counts as 0 */
            *assets += bal->i;
            deps[chosen].counted = 1;
        }
    }
}

/* Deposits (SPEC §6 "Checks", "Further decisions / Deposits") */
static void check_deposits(struct judging *J)
{
    qsort(J->deps, J->ndeps, sizeof *J->deps, dep_cmp);
    wide assets = 0;
    for (size_t a = 0; a < J->ndeps;) {
        size_t b = a + 1;
        while (b < J->ndeps && same_account(J->deps[a].r, J->deps[b].r)) b++;
        count_account(J, a, b, &assets);
        a = b;
    }
    if (assets * 10000 > (wide)J->members * J->tp->assets_months * J->std_raw * J->bp)
        J->raised |= BIT(HD_FD_ASSETS_OVER_LIMIT);
    if (J->raised & BIT(HD_FD_ASSETS_OVER_LIMIT))
        for (size_t j = 0; j < J->ndeps; j++)
            if (J->deps[j].counted)
                ((hd_record *)J->deps[j].r)->findings |= BIT(HD_FD_ASSETS_OVER_LIMIT);
    J->out->assets_fen = clamp64(assets);
    J->out->assets_per_capita_fen = J->members ? round_half_up(assets, J->members) : 0;
}

/* One certificate's rows props[a..b): its usage, its largest area and the
 * members' shares (each member's largest, at most the whole). */
static void certificate(const struct judging *J, size_t a, size_t b, int *usage,
                        int64_t *area, int64_t *share)
{
    int64_t mshare = -1;
    uint32_t cur = HD_NONE;
    *usage = -1; *area = 0; *share = 0;
    for (size_t j = a; j < b; j++) {
        const hd_record *r = J->props[j].r;
        if (*usage == -1) *usage = code_of(r, HD_F_USAGE);
        const hd_value *ar = val(r, HD_F_AREA);
        if (ar && ar->i > *area) *area = ar->i;
        const hd_value *sh = val(r, HD_F_SHARE);
        int64_t s = sh ? sh->i : 10000;
        if (r->member != cur) {       /* rows are grouped by member */
            if (mshare > 0) *share += mshare;
            cur = r->member;
            mshare = s;
        } else if (s > mshare) {
            mshare = s;               /* one member's share listed twice */
        }
    }
    if (mshare > 0) *share += mshare;
    if (*share > 10000) *share = 10000;
    if (*usage == -1) *usage = HD_US_RESIDENTIAL;
}

/* Properties: once per certificate; holding = area × Σ members' shares,
 * at most the whole (SPEC §4, §6 "Checks") */
static void check_properties(struct judging *J)
{
    struct prop *props = J->props;
    qsort(props, J->nprops, sizeof *props, prop_cmp);
    wide res_area_bp = 0;                 /* 0.01 m² × bp */
    int homes = 0, nonres = 0;
    for (size_t a = 0; a < J->nprops;) {
        size_t b = a + 1;
        while (b < J->nprops && same_cert(props[a].r, props[b].r)) b++;
        int usage;
        int64_t area, share;
        certificate(J, a, b, &usage, &area, &share);
        int is_nonres = usage >= 0 && usage < 32 && (J->tp->non_residential_mask & (1u << usage));
        if (usage == HD_US_RESIDENTIAL) {
            homes++;
            res_area_bp += (wide)area * share;
            for (size_t j = a; j < b; j++) props[j].residential = 1;
        }
        if (is_nonres) {
            nonres = 1;
            for (size_t j = a; j < b; j++)
                ((hd_record *)props[j].r)->findings |= BIT(HD_FD_PROPERTY_NON_RESIDENTIAL);
        }
        a = b;
    }
    if (nonres) J->raised |= BIT(HD_FD_PROPERTY_NON_RESIDENTIAL);
    if (homes > J->tp->max_homes) J->raised |= BIT(HD_FD_PROPERTY_MULTIPLE_HOMES);
    if (J->tp->area_per_capita_centi > 0 &&
        res_area_bp > (wide)J->members * J->tp->area_per_capita_centi * 10000)
        J->raised |= BIT(HD_FD_PROPERTY_AREA_OVER);
    for (size_t j = 0; j < J->nprops; j++) {
        hd_record *r = (hd_record *)props[j].r;
        /* evidence of the residential findings: the residential rows */
        if (props[j].residential)
            r->findings |= J->raised & (BIT(HD_FD_PROPERTY_MULTIPLE_HOMES) | BIT(HD_FD_PROPERTY_AREA_OVER));
    }
    J->out->homes = homes;
    J->out->residential_area = round_half_up(res_area_bp, 10000);
}

/* The findings of the household as a whole: a damaged source, a lost
 * row, and the flags the loader and the near-miss scan set. */
static void check_household(struct judging *J, int source_damaged)
{
    const hd_household *hh = J->hh;
    if (source_damaged) J->raised |= BIT(HD_FD_SOURCE_INCOMPLETE);
    int lost = hh->row_rejected;
    for (uint32_t i = J->m0; i < J->m1 && !lost; i++) lost = J->m->members[i].rejected != HD_R_NONE;
    if (lost) J->raised |= BIT(HD_FD_APPLICANT_ROW_REJECTED);
    if (hh->flags & HD_HF_EVIDENCE_UNREADABLE) J->raised |= BIT(HD_FD_EVIDENCE_UNREADABLE);
    if (hh->flags & HD_HF_ID_SUSPECT) J->raised |= BIT(HD_FD_ID_SUSPECT);
    if (hh->flags & HD_HF_APPLICATION_ID_REUSED) J->raised |= BIT(HD_FD_APPLICATION_ID_REUSED);
    if (hh->flags & HD_HF_NEAR_MISS) J->raised |= BIT(HD_FD_NEAR_MISS);
}

/* Outcomes: a finding counts only when its outcome is not ignore; the
 * verdict is the worst counted outcome. Returns the counted findings. */
static uint32_t decide(const struct judging *J, int *verdict)
{
    uint32_t counted = 0;
    *verdict = HD_V_ELIGIBLE;
    for (int f = 0; f < HD_FD__COUNT; f++) {
        if (!(J->raised & BIT(f))) continue;
        /* SPEC §4/§6/§7: a damaged source, a lost row, unreadable
         * evidence, a suspect ID or a reused id never lets a household
         * come out eligible nor is hidden; the loader refuses such
         * outcomes, this guards it */
        int o = J->tp->outcome[f];
        if (hd_finding_floor((hd_finding)f) && o < HD_OUT_REVIEW) o = HD_OUT_REVIEW;
        /* SPEC §9: a near miss is always lead evidence, never more than review */
        if (f == HD_FD_NEAR_MISS && o > HD_OUT_REVIEW) o = HD_OUT_REVIEW;
        if (o == HD_OUT_IGNORE) continue;
        counted |= BIT(f);
        if (o > *verdict) *verdict = o;
    }
    return counted;
}

/* The evidence bits back to the model (a rejected member has no records
 * of the scratch; its own, if any, keep only counted bits). */
static void write_back(struct judging *J, uint32_t counted)
{
    size_t j = 0;
    for (uint32_t i = J->m0; i < J->m1; i++) {
        hd_member *mb = &J->m->members[i];
        int usable = mb->rejected == HD_R_NONE;
        for (uint32_t k = 0; k < mb->nrecords; k++) {
            uint32_t bits = usable ? J->recs[j++].findings : hd_model_findings(J->m, mb->records[k]);
            hd_model_set_findings(J->m, mb->records[k], bits & counted);
        }
    }
}

int hd_judge(const hd_policy *p, hd_model *m, uint32_t h, hd_date as_of,
             int source_damaged, hd_judgement *out, hd_error *err)
{
    memset(out, 0, sizeof *out);
    if (!p || !m || h >= m->nhouseholds)
        return hd_fail(err, HD_ESOFTWARE, "hd_judge: household %u out of range", h);
    const hd_household *hh = &m->households[h];
    if (hh->assistance_type >= HD_ASSIST__COUNT)
        return hd_fail(err, HD_ESOFTWARE, "hd_judge: assistance type %u out of range",
                       hh->assistance_type);
    struct judging J = { .tp = &p->type[hd_judging_type(hh)], .m = m, .hh = hh,
                         .m0 = hh->first_member, .m1 = hh->first_member + hh->nmembers,
                         .members = hh->nmembers, .as_of = as_of, .w = make_window(as_of),
                         .out = out };
    if (J.m1 > m->nmembers || J.m1 < J.m0)
        return hd_fail(err, HD_ESOFTWARE, "hd_judge: members of household %u out of range", h);
    int rc = judge_standard(&J, p, err);
    if (rc != HD_OK) return rc;
    if (scratch_alloc(&J) != 0)
        return hd_fail(err, HD_ESOFTWARE, "out of memory judging household %u", h);

    size_t first_rec = 0;         /* the current member's first scratch record */
    for (uint32_t i = J.m0; i < J.m1; i++) {
        const hd_member *mb = &m->members[i];
        if (mb->rejected != HD_R_NONE) continue;   /* income 0, no records */
        check_member(&J, mb, &J.recs[first_rec]);
        first_rec += mb->nrecords;
    }
    check_income(&J);
    check_deposits(&J);
    check_properties(&J);
    check_household(&J, source_damaged);

    int verdict;
    uint32_t counted = decide(&J, &verdict);
    write_back(&J, counted);
    out->findings = counted;
    out->verdict = (hd_verdict)verdict;
    scratch_free(&J);
    return HD_OK;
}
