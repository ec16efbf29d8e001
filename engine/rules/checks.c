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
    const hd_type_policy *tp = &p->type[hd_judging_type(hh)];
    const uint32_t m0 = hh->first_member, m1 = hh->first_member + hh->nmembers;
    if (m1 > m->nmembers || m1 < m0)
        return hd_fail(err, HD_ESOFTWARE, "hd_judge: members of household %u out of range", h);
    const int64_t members = hh->nmembers;   /* all rows, usable or not (SPEC §6) */
    const struct window w = make_window(as_of);

    /* standard (SPEC §4 "standard", §6 "Standards") */
    int y, mo, d;
    hd_date_to_ymd(as_of, &y, &mo, &d);
    int urban = tp->standard_area_urban || hh->area_type == HD_AREA_URBAN;
    int64_t std_raw = 0;
    if (hd_standard_lookup(p, hh->county_code, y, urban, &std_raw) != HD_OK)
        return hd_fail(err, HD_EDATA, "county %s: no %s standard for %d or earlier in %s",
                       hh->county_code ? hh->county_code : "?", urban ? "urban" : "rural", y,
                       p->standards_path);
    const wide bp = tp->standard_multiplier_bp;
    out->standard_fen = round_half_up((wide)std_raw * bp, 10000);

    /* scratch: every record of the household's usable members, expanded
     * once, in member order then record order */
    size_t nrec = 0;
    for (uint32_t i = m0; i < m1; i++)
        if (m->members[i].rejected == HD_R_NONE) nrec += m->members[i].nrecords;
    hd_record *recs = malloc((nrec ? nrec : 1) * sizeof *recs);
    struct dep *deps = malloc((nrec ? nrec : 1) * sizeof *deps);
    struct prop *props = malloc((nrec ? nrec : 1) * sizeof *props);
    const hd_record **biz = malloc((nrec ? nrec : 1) * sizeof *biz);
    const hd_record **plates = malloc((nrec ? nrec : 1) * sizeof *plates);
    if (!recs || !deps || !props || !biz || !plates) {
        free(recs); free(deps); free(props); free(biz); free(plates);
        return hd_fail(err, HD_ESOFTWARE, "out of memory judging household %u", h);
    }
    {
        size_t j = 0;
        for (uint32_t i = m0; i < m1; i++) {
            const hd_member *mb = &m->members[i];
            if (mb->rejected != HD_R_NONE) continue;
            for (uint32_t k = 0; k < mb->nrecords; k++) hd_model_record(m, mb->records[k], &recs[j++]);
        }
    }
    size_t first_rec = 0;         /* the current member's first scratch record */
    size_t ndeps = 0, nprops = 0, nbiz = 0, nplates = 0;

    uint32_t raised = 0;
    wide income12 = 0;            /* household income × 12, fen */

    for (uint32_t i = m0; i < m1; i++) {
        hd_member *mb = &m->members[i];
        if (mb->rejected != HD_R_NONE) continue;   /* income 0, no records */
        if (mb->duplicate) raised |= BIT(HD_FD_DUPLICATE_APPLICATION);

        wide verified12 = 0;
        hd_record *pension = NULL;
        hd_record *mrecs = &recs[first_rec];
        first_rec += mb->nrecords;
        for (uint32_t k = 0; k < mb->nrecords; k++) {
            hd_record *r = &mrecs[k];
            r->findings = 0;
            /* NAME_MISMATCH: a named record whose name differs (SPEC §6 "Names") */
            if (r->v[HD_F_NAME].present && r->v[HD_F_NAME].n && mb->name && *mb->name &&
                !hd_names_equal(r->v[HD_F_NAME].s, r->v[HD_F_NAME].n, mb->name,
                                strlen(mb->name))) {
                raised |= BIT(HD_FD_NAME_MISMATCH);
                r->findings |= BIT(HD_FD_NAME_MISMATCH);
            }
            switch (r->kind) {
            case HD_KIND_INCOME: {
                const hd_value *per = val(r, HD_F_PERIOD), *inc = val(r, HD_F_INCOME);
                if (per && inc && in_window(&w, per->i)) verified12 += inc->i;
                break;
            }
            case HD_KIND_PENSION: {
                int st = code_of(r, HD_F_STATUS);
                if (st != -1 && st != HD_PEN_ACTIVE) break;
                const hd_value *per = val(r, HD_F_PERIOD);
                if (per && per->i > w.asof_period) break;
                if (!pension) { pension = r; break; }
                const hd_value *pp = val(pension, HD_F_PERIOD);
                int64_t a = per ? per->i : -1, b = pp ? pp->i : -1;
                const hd_value *ba = val(r, HD_F_BENEFIT), *bb = val(pension, HD_F_BENEFIT);
                if (a > b || (a == b && ba && (!bb || ba->i > bb->i))) pension = r;
                break;
            }
            case HD_KIND_DEPOSIT:
                deps[ndeps].r = r; deps[ndeps].ix = mb->records[k]; deps[ndeps].counted = 0; ndeps++;
                break;
            case HD_KIND_VEHICLE: {
                int st = code_of(r, HD_F_STATUS);
                if (st != -1 && st != HD_VS_NORMAL) break;
                /* one vehicle listed twice (two sources, two members) is
                 * one vehicle: dedupe by plate within the household */
                int dup = 0;
                if (r->v[HD_F_PLATE].present)
                    for (size_t j = 0; j < nplates && !dup; j++)
                        dup = str_cmp(plates[j], r, HD_F_PLATE) == 0;
                if (!dup) {
                    out->vehicles++;
                    if (r->v[HD_F_PLATE].present) plates[nplates++] = r;
                }
                int vt = code_of(r, HD_F_VEHICLE_TYPE);
                int exempt = vt >= 0 && vt < 32 && (tp->vehicle_exempt_mask & (1u << vt));
                const hd_value *v = val(r, HD_F_VALUE);
                if (!exempt && (!v || v->i > tp->vehicle_value_limit_fen)) {
                    raised |= BIT(HD_FD_VEHICLE_NON_EXEMPT);
                    r->findings |= BIT(HD_FD_VEHICLE_NON_EXEMPT);
                }
                break;
            }
            case HD_KIND_PROPERTY: {
                int st = code_of(r, HD_F_STATUS);
                if (st != -1 && st != HD_PS_VALID && st != HD_PS_MORTGAGED && st != HD_PS_SEALED)
                    break;
                props[nprops].r = r; props[nprops].ix = mb->records[k]; props[nprops].residential = 0; nprops++;
                break;
            }
            case HD_KIND_BUSINESS: {
                int st = code_of(r, HD_F_STATUS);
                if (st != -1 && st != HD_BS_ACTIVE) break;
                int role = code_of(r, HD_F_ROLE);
                if (role == -1) role = HD_ROLE_OWNER;
                if (role != HD_ROLE_LEGAL_REP && role != HD_ROLE_SHAREHOLDER && role != HD_ROLE_OWNER)
                    break;
                int dup = 0;
                for (size_t j = 0; j < nbiz && !dup; j++) dup = same_business(biz[j], r);
                if (!dup) { biz[nbiz++] = r; out->businesses++; }
                const hd_value *cap = val(r, HD_F_CAPITAL);
                if (!cap || cap->i > tp->business_capital_limit_fen) {
                    raised |= BIT(HD_FD_BUSINESS_ROLE);
                    r->findings |= BIT(HD_FD_BUSINESS_ROLE);
                }
                break;
            }
            case HD_KIND_FUND: {
                int st = code_of(r, HD_F_STATUS);
                if (st != -1 && st != HD_FUND_ACTIVE) break;
                const hd_value *per = val(r, HD_F_PERIOD);
                if (per && in_window(&w, per->i)) {
                    raised |= BIT(HD_FD_FUND_CONTRIBUTING);
                    r->findings |= BIT(HD_FD_FUND_CONTRIBUTING);
                }
                break;
            }
            case HD_KIND_DEATH: {
                const hd_value *dd = val(r, HD_F_DATE_OF_DEATH);
                if (dd && dd->i <= as_of) {
                    raised |= BIT(HD_FD_MEMBER_DECEASED);
                    r->findings |= BIT(HD_FD_MEMBER_DECEASED);
                }
                break;
            }
            default:
                break;
            }
        }
        if (pension) {
            int sc = code_of(pension, HD_F_SCHEME);
            int excluded = sc >= 0 && sc < 32 && (tp->exclude_pension_mask & (1u << sc));
            const hd_value *b = val(pension, HD_F_BENEFIT);
            if (!excluded && b) verified12 += (wide)12 * b->i;
            else pension = NULL;          /* adds 0: not evidence */
        }
        wide declared12 = (wide)12 * mb->declared_income;
        if (verified12 > declared12) {
            income12 += verified12;
            /* the records made this member's income: evidence */
            for (uint32_t k = 0; k < mb->nrecords; k++) {
                hd_record *r = &mrecs[k];
                const hd_value *per = val(r, HD_F_PERIOD);
                if (r->kind == HD_KIND_INCOME && per && val(r, HD_F_INCOME) && in_window(&w, per->i))
                    r->findings |= BIT(HD_FD_INCOME_OVER_STANDARD);
            }
            if (pension) pension->findings |= BIT(HD_FD_INCOME_OVER_STANDARD);
        } else {
            income12 += declared12;
        }
    }

    /* INCOME_OVER_STANDARD: income × 12 × 10000 > members × standard × bp × 12 */
    if (income12 * 10000 > (wide)members * std_raw * bp * 12)
        raised |= BIT(HD_FD_INCOME_OVER_STANDARD);
    out->household_income_fen = round_half_up(income12, 12);
    out->income_per_capita_fen = members ? round_half_up(income12, (wide)12 * members) : 0;

    /* Deposits (SPEC §6 "Checks", "Further decisions / Deposits") */
    qsort(deps, ndeps, sizeof *deps, dep_cmp);
    wide assets = 0;
    for (size_t a = 0; a < ndeps;) {
        size_t b = a + 1;
        while (b < ndeps && same_account(deps[a].r, deps[b].r)) b++;
        long dated = -1, undated = -1;     /* indexes into deps */
        for (size_t j = a; j < b; j++) {
            hd_record *r = (hd_record *)deps[j].r;
            const hd_value *dt = val(r, HD_F_AS_OF);
            if (dt && dt->i > as_of) continue;      /* after the run's as_of: ignored */
            const hd_value *ol = val(r, HD_F_OVER_LIMIT);
            if (ol && ol->i == HD_YES) {
                raised |= BIT(HD_FD_ASSETS_OVER_LIMIT);
                r->findings |= BIT(HD_FD_ASSETS_OVER_LIMIT);
            }
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
                assets += bal->i;
                deps[chosen].counted = 1;
            }
        }
        a = b;
    }
    if (assets * 10000 > (wide)members * tp->assets_months * std_raw * bp)
        raised |= BIT(HD_FD_ASSETS_OVER_LIMIT);
    if (raised & BIT(HD_FD_ASSETS_OVER_LIMIT))
        for (size_t j = 0; j < ndeps; j++)
            if (deps[j].counted)
                ((hd_record *)deps[j].r)->findings |= BIT(HD_FD_ASSETS_OVER_LIMIT);
    out->assets_fen = clamp64(assets);
    out->assets_per_capita_fen = members ? round_half_up(assets, members) : 0;

    /* Properties: once per certificate; holding = area × Σ members' shares,
     * at most the whole (SPEC §4, §6 "Checks") */
    qsort(props, nprops, sizeof *props, prop_cmp);
    wide res_area_bp = 0;                 /* 0.01 m² × bp */
    int homes = 0, nonres = 0;
    for (size_t a = 0; a < nprops;) {
        size_t b = a + 1;
        while (b < nprops && same_cert(props[a].r, props[b].r)) b++;
        int usage = -1;
        int64_t area = 0, share = 0, mshare = -1;
        uint32_t cur = HD_NONE;
        for (size_t j = a; j < b; j++) {
            const hd_record *r = props[j].r;
            if (usage == -1) usage = code_of(r, HD_F_USAGE);
            const hd_value *ar = val(r, HD_F_AREA);
            if (ar && ar->i > area) area = ar->i;
            const hd_value *sh = val(r, HD_F_SHARE);
            int64_t s = sh ? sh->i : 10000;
            if (r->member != cur) {       /* rows are grouped by member */
                if (mshare > 0) share += mshare;
                cur = r->member;
                mshare = s;
            } else if (s > mshare) {
                mshare = s;               /* one member's share listed twice */
            }
        }
        if (mshare > 0) share += mshare;
        if (share > 10000) share = 10000;
        if (usage == -1) usage = HD_US_RESIDENTIAL;
        int is_nonres = usage >= 0 && usage < 32 && (tp->non_residential_mask & (1u << usage));
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
    if (nonres) raised |= BIT(HD_FD_PROPERTY_NON_RESIDENTIAL);
    if (homes > tp->max_homes) raised |= BIT(HD_FD_PROPERTY_MULTIPLE_HOMES);
    if (tp->area_per_capita_centi > 0 &&
        res_area_bp > (wide)members * tp->area_per_capita_centi * 10000)
        raised |= BIT(HD_FD_PROPERTY_AREA_OVER);
    for (size_t j = 0; j < nprops; j++) {
        hd_record *r = (hd_record *)props[j].r;
        /* evidence of the residential findings: the residential rows */
        if (props[j].residential)
            r->findings |= raised & (BIT(HD_FD_PROPERTY_MULTIPLE_HOMES) | BIT(HD_FD_PROPERTY_AREA_OVER));
    }
    out->homes = homes;
    out->residential_area = round_half_up(res_area_bp, 10000);

    if (source_damaged) raised |= BIT(HD_FD_SOURCE_INCOMPLETE);
    int lost = hh->row_rejected;
    for (uint32_t i = m0; i < m1 && !lost; i++) lost = m->members[i].rejected != HD_R_NONE;
    if (lost) raised |= BIT(HD_FD_APPLICANT_ROW_REJECTED);
    if (hh->flags & HD_HF_EVIDENCE_UNREADABLE) raised |= BIT(HD_FD_EVIDENCE_UNREADABLE);
    if (hh->flags & HD_HF_ID_SUSPECT) raised |= BIT(HD_FD_ID_SUSPECT);
    if (hh->flags & HD_HF_APPLICATION_ID_REUSED) raised |= BIT(HD_FD_APPLICATION_ID_REUSED);
    if (hh->flags & HD_HF_NEAR_MISS) raised |= BIT(HD_FD_NEAR_MISS);

    /* outcomes: a finding counts only when its outcome is not ignore */
    uint32_t counted = 0;
    int verdict = HD_V_ELIGIBLE;
    for (int f = 0; f < HD_FD__COUNT; f++) {
        if (!(raised & BIT(f))) continue;
        /* SPEC §4/§6/§7: a damaged source, a lost row, unreadable
         * evidence, a suspect ID or a reused id never lets a household
         * come out eligible nor is hidden; the loader refuses such
         * outcomes, this guards it */
        int o = tp->outcome[f];
        if (hd_finding_floor((hd_finding)f) && o < HD_OUT_REVIEW) o = HD_OUT_REVIEW;
        /* SPEC §9: a near miss is always lead evidence, never more than review */
        if (f == HD_FD_NEAR_MISS && o > HD_OUT_REVIEW) o = HD_OUT_REVIEW;
        if (o == HD_OUT_IGNORE) continue;
        counted |= BIT(f);
        if (o > verdict) verdict = o;
    }
    /* the evidence bits back to the model (a rejected member has no
     * records of the scratch; its own, if any, keep only counted bits) */
    size_t j = 0;
    for (uint32_t i = m0; i < m1; i++) {
        hd_member *mb = &m->members[i];
        int usable = mb->rejected == HD_R_NONE;
        for (uint32_t k = 0; k < mb->nrecords; k++) {
            uint32_t bits = usable ? recs[j++].findings : hd_model_findings(m, mb->records[k]);
            hd_model_set_findings(m, mb->records[k], bits & counted);
        }
    }
    out->findings = counted;
    out->verdict = (hd_verdict)verdict;

    free(recs); free(deps); free(props); free(biz); free(plates);
    return HD_OK;
}
