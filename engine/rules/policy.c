/*
 * policy.c — the eligibility policy file (SPEC §4, §6 "Config files",
 * "Further decisions / Defaults"). The names of findings and verdicts are
 * in labels.c.
 *
 * Design. The file is read once into memory: the same bytes feed the INI
 * parser (inih, through a line reader of our own so that the line numbers
 * in messages are physical lines) and the policy digest (SHA-256 of the
 * policy bytes followed by the standards.csv bytes). While parsing, each
 * section collects only the keys it sets (a "partial"); afterwards every
 * assistance type is built as: built-in defaults (the values of SPEC §4's
 * example [default], outcomes of the §4 table) <- [default] <- [type]. So a
 * type section inherits every key of [default] wherever the two sections
 * stand in the file, and overrides only what it sets.
 *
 * Strictness: an unknown section or key, a key given twice in one section,
 * a bad number, an unknown canonical value in a list, an unknown finding in
 * outcome.CODE, and an outcome below review for SOURCE_INCOMPLETE or
 * APPLICANT_ROW_REJECTED (SPEC §6 "Damage", "Further decisions") are all
 * configuration errors: a threshold silently ignored is a wrong verdict.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hedui/ident.h"
#include "hedui/rules.h"
#include "rules/rules_int.h"
#include "io/file.h"
#include "util/ini.h"

/* ------------------------------------------------------------ parsing */

enum {
    K_MULTIPLIER, K_AREA, K_MONTHS, K_VEXEMPT, K_VLIMIT, K_HOMES, K_NONRES,
    K_AREA_PC, K_CAPITAL, K_PENSION, K_CHG_INCOME, K_CHG_ASSETS, K_DISC_DROP, K__COUNT
};

static const char *const key_names[K__COUNT] = {
    "standard_multiplier_bp", "standard_area", "assets_months",
    "vehicle_exempt", "vehicle_value_limit_yuan", "max_homes",
    "non_residential", "area_per_capita_m2", "business_capital_limit_yuan",
    "exclude_pension_schemes", "change_income_pct", "change_assets_yuan",
    "discovery_income_drop_pct",
};

/* Sections: 0 = [default], 1 + HD_ASSIST_* = type sections. */
#define NSECTIONS (1 + HD_ASSIST__COUNT)
static const char *const section_names[NSECTIONS] = {
    "default", "dibao", "tekun", "bianyuan", "linshi",
};

struct partial {
    hd_type_policy v;
    uint8_t set[K__COUNT];
    uint8_t outcome_set[HD_FD__COUNT];
};

enum { PK_NAME, PK_STANDARDS, PK_MAXQ, PK_MAXAGE, PK_REQKINDS, PK_MAXDROP, PK__COUNT };

struct parse {
    hd_policy *p;
    const char *path;
    const char *buf;
    size_t len, pos;
    int line;               /* physical line of the last line handed out */
    int err_line;           /* first error found by us, 0 = none */
    char err_msg[600];
    struct partial sec[NSECTIONS];
    uint8_t pset[PK__COUNT];
    char standards[4096];
};

static int fail_at(struct parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail_at(struct parse *ps, const char *fmt, ...)
{
    if (ps->err_line == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ps->err_msg, sizeof ps->err_msg, fmt, ap);
        va_end(ap);
        ps->err_line = ps->line;
    }
    return 0;                /* inih: handler error */
}

/* fgets over the in-memory file, one physical line per call, so that
 * inih's line count (and its error return) is the physical line. A line
 * longer than inih's buffer is an error of its own, not two lines. */
static char *line_reader(char *str, int num, void *stream)
{
    struct parse *ps = stream;
    if (ps->pos >= ps->len || num < 2) return NULL;
    const char *s = ps->buf + ps->pos;
    size_t rest = ps->len - ps->pos;
    const char *nl = memchr(s, '\n', rest);
    size_t linelen = nl ? (size_t)(nl - s) + 1 : rest;
    ps->pos += linelen;
    ps->line++;
    size_t cap = (size_t)num - 1;
    if (linelen > cap) {
        fail_at(ps, "line longer than %d bytes", num - 3);
        linelen = cap;
    }
    memcpy(str, s, linelen);
    str[linelen] = '\0';
    /* a NUL inside the line would cut it silently */
    if (strlen(str) != linelen) fail_at(ps, "NUL byte in the line");
    return str;
}

/* Strict non-negative decimal integer within [lo, hi]. */
static int parse_int(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!*v) return 0;
    int64_t x = 0;
    for (const char *c = v; *c; c++) {
        if (*c < '0' || *c > '9') return 0;
        if (x > (INT64_MAX - 9) / 10) return 0;
        x = x * 10 + (*c - '0');
    }
    if (x < lo || x > hi) return 0;
    *out = x;
    return 1;
}

/* "a, b, c" -> bit mask over the canonical values of (kind, field).
 * An empty value is the empty list. */
static int parse_list(struct parse *ps, const char *key, const char *v,
                      hd_kind kind, hd_fid field, uint32_t *mask)
{
    uint32_t m = 0;
    const char *c = v;
    while (*c) {
        const char *end = strchr(c, ',');
        if (!end) end = c + strlen(c);
        const char *a = c, *b = end;
        while (a < b && (*a == ' ' || *a == '\t')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
        if (a == b) {
            if (*end || c != v)
                return fail_at(ps, "%s: empty item in the list", key);
        } else {
            int ix = hd_field_value_index(kind, field, a, (size_t)(b - a));
            if (ix < 0 || ix >= 32)
                return fail_at(ps, "%s: '%.*s' is not a canonical %s value", key,
                               (int)(b - a), a, hd_field_name(field));
            if (m & (1u << ix))
                return fail_at(ps, "%s: '%.*s' listed twice", key, (int)(b - a), a);
            m |= 1u << ix;
        }
        c = *end ? end + 1 : end;
    }
    *mask = m;
    return 1;
}

static int parse_yuan(struct parse *ps, const char *key, const char *v, int64_t *fen)
{
    int64_t x = 0;
    if (!*v || hd_parse_money(v, strlen(v), HD_MONEY_YUAN, &x) != HD_R_NONE || x < 0)
        return fail_at(ps, "%s: '%s' is not an amount in yuan (0 or more, up to 2 decimals)",
                       key, v);
    *fen = x;
    return 1;
}

static int type_key(struct parse *ps, struct partial *sp, const char *secname,
                    const char *name, const char *v)
{
    if (strncmp(name, "outcome.", 8) == 0) {
        const char *code = name + 8;
        int f = hd_finding_parse(code);
        if (f < 0) return fail_at(ps, "%s: unknown finding code '%s'", name, code);
        if (sp->outcome_set[f])
            return fail_at(ps, "%s given twice in [%s]", name, secname);
        uint8_t o;
        if (strcmp(v, "ineligible") == 0) o = HD_OUT_INELIGIBLE;
        else if (strcmp(v, "review") == 0) o = HD_OUT_REVIEW;
        else if (strcmp(v, "ignore") == 0) o = HD_OUT_IGNORE;
        else return fail_at(ps, "%s: '%s' is not ineligible, review or ignore", name, v);
        if (hd_finding_floor((hd_finding)f) && o < HD_OUT_REVIEW)
            return fail_at(ps, "%s: cannot be set below review (SPEC 6, 7)", name);
        sp->v.outcome[f] = o;
        sp->outcome_set[f] = 1;
        return 1;
    }
    int k;
    for (k = 0; k < K__COUNT; k++)
        if (strcmp(name, key_names[k]) == 0) break;
    if (k == K__COUNT) return fail_at(ps, "unknown key '%s' in [%s]", name, secname);
    if (sp->set[k]) return fail_at(ps, "%s given twice in [%s]", name, secname);
    int64_t x;
    switch (k) {
    case K_MULTIPLIER:
        if (!parse_int(v, 1, 1000000, &x))
            return fail_at(ps, "%s: '%s' is not a number of basis points (1..1000000)", name, v);
        sp->v.standard_multiplier_bp = (int32_t)x;
        break;
    case K_AREA:
        if (strcmp(v, "own") == 0) sp->v.standard_area_urban = 0;
        else if (strcmp(v, "urban") == 0) sp->v.standard_area_urban = 1;
        else return fail_at(ps, "%s: '%s' is not own or urban", name, v);
        break;
    case K_MONTHS:
        if (!parse_int(v, 0, 1200, &x))
            return fail_at(ps, "%s: '%s' is not a number of months (0..1200)", name, v);
        sp->v.assets_months = (int32_t)x;
        break;
    case K_HOMES:
        if (!parse_int(v, 0, 1000, &x))
            return fail_at(ps, "%s: '%s' is not a number of homes (0..1000)", name, v);
        sp->v.max_homes = (int32_t)x;
        break;
    case K_VEXEMPT:
        if (!parse_list(ps, name, v, HD_KIND_VEHICLE, HD_F_VEHICLE_TYPE, &sp->v.vehicle_exempt_mask))
            return 0;
        break;
    case K_NONRES:
        if (!parse_list(ps, name, v, HD_KIND_PROPERTY, HD_F_USAGE, &sp->v.non_residential_mask))
            return 0;
        break;
    case K_PENSION:
        if (!parse_list(ps, name, v, HD_KIND_PENSION, HD_F_SCHEME, &sp->v.exclude_pension_mask))
            return 0;
        break;
    case K_VLIMIT:
        if (!parse_yuan(ps, name, v, &sp->v.vehicle_value_limit_fen)) return 0;
        break;
    case K_CAPITAL:
        if (!parse_yuan(ps, name, v, &sp->v.business_capital_limit_fen)) return 0;
        break;
    case K_CHG_INCOME:
        if (!parse_int(v, 0, 100000, &x))
            return fail_at(ps, "%s: '%s' is not a whole percentage (0..100000)", name, v);
        sp->v.change_income_pct = (int32_t)x;
        break;
    case K_CHG_ASSETS:
        if (!parse_yuan(ps, name, v, &sp->v.change_assets_fen)) return 0;
        break;
    case K_DISC_DROP:
        if (!parse_int(v, 0, 100, &x))
            return fail_at(ps, "%s: '%s' is not a whole percentage (0..100)", name, v);
        sp->v.discovery_income_drop_pct = (int32_t)x;
        break;
    case K_AREA_PC: {
        int64_t a = 0;
        if (!*v || hd_parse_area(v, strlen(v), &a) != HD_R_NONE || a < 0)
            return fail_at(ps, "%s: '%s' is not an area in m2 (up to 2 decimals)", name, v);
        sp->v.area_per_capita_centi = a;
        break;
    }
    }
    sp->set[k] = 1;
    return 1;
}

static int policy_key(struct parse *ps, const char *name, const char *v)
{
    static const char *const pkeys[PK__COUNT] = {
        "name", "standards", "max_quarantine_pct", "max_age_days",
        "required_kinds", "max_rows_drop_pct",
    };
    int k;
    for (k = 0; k < PK__COUNT; k++)
        if (strcmp(name, pkeys[k]) == 0) break;
    if (k == PK__COUNT) return fail_at(ps, "unknown key '%s' in [policy]", name);
    if (ps->pset[k]) return fail_at(ps, "%s given twice in [policy]", name);
    int64_t x;
    switch (k) {
    case PK_NAME:
        if (!*v || strlen(v) >= sizeof ps->p->name)
            return fail_at(ps, "name: empty or longer than %zu bytes", sizeof ps->p->name - 1);
        strcpy(ps->p->name, v);
        break;
    case PK_STANDARDS:
        if (!*v || strlen(v) >= sizeof ps->standards)
            return fail_at(ps, "standards: empty or too long a path");
        strcpy(ps->standards, v);
        break;
    case PK_MAXQ:
        if (!parse_int(v, 0, 100, &x))
            return fail_at(ps, "max_quarantine_pct: '%s' is not a percentage (0..100)", v);
        ps->p->max_quarantine_pct = (int32_t)x;
        break;
    case PK_MAXAGE:
        if (!parse_int(v, 0, 100000, &x))
            return fail_at(ps, "max_age_days: '%s' is not a number of days (0..100000)", v);
        ps->p->max_age_days = (int32_t)x;
        break;
    case PK_MAXDROP:
        if (!parse_int(v, 0, 100, &x))
            return fail_at(ps, "max_rows_drop_pct: '%s' is not a percentage (0..100)", v);
        ps->p->max_rows_drop_pct = (int32_t)x;
        break;
    case PK_REQKINDS: {
        /* "deposit, vehicle, ..." (SPEC §7); empty: none required */
        uint32_t m = 0;
        const char *c = v;
        while (*c) {
            const char *end = strchr(c, ',');
            if (!end) end = c + strlen(c);
            const char *a = c, *b = end;
            while (a < b && (*a == ' ' || *a == '\t')) a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
            char kn[32];
            if (a == b || (size_t)(b - a) >= sizeof kn)
                return fail_at(ps, "required_kinds: empty or unknown item in the list");
            memcpy(kn, a, (size_t)(b - a));
            kn[b - a] = 0;
            int k = hd_kind_parse(kn);
            if (k <= HD_KIND_APPLICANTS)
                return fail_at(ps, "required_kinds: '%s' is not an extract kind (deposit, vehicle, property, income, pension, fund, business, death)", kn);
            if (m & (1u << k)) return fail_at(ps, "required_kinds: '%s' listed twice", kn);
            m |= 1u << k;
            c = *end ? end + 1 : end;
        }
        ps->p->required_kinds = m;
        break;
    }
    }
    ps->pset[k] = 1;
    return 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse *ps = user;
    if (!value) return fail_at(ps, "'%s' has no value", name);
    if (strcmp(section, "policy") == 0) return policy_key(ps, name, value);
    for (int s = 0; s < NSECTIONS; s++)
        if (strcmp(section, section_names[s]) == 0)
            return type_key(ps, &ps->sec[s], section, name, value);
    if (!*section) return fail_at(ps, "'%s' outside any section", name);
    return fail_at(ps, "unknown section [%s]", section);
}

/* ------------------------------------------------------------ defaults */

/* SPEC §4 example [default] and the default outcomes of the §4 table
 * (SPEC §6 "Further decisions / Defaults"). */
static void builtin_defaults(hd_type_policy *t)
{
    memset(t, 0, sizeof *t);
    t->standard_multiplier_bp = 10000;
    t->standard_area_urban = 0;
    t->assets_months = 24;
    t->vehicle_exempt_mask = 1u << HD_VT_MOTORCYCLE | 1u << HD_VT_TRICYCLE |
                             1u << HD_VT_AGRICULTURAL | 1u << HD_VT_DISABILITY;
    t->vehicle_value_limit_fen = 0;
    t->max_homes = 1;
    t->non_residential_mask = 1u << HD_US_COMMERCIAL | 1u << HD_US_OFFICE |
                              1u << HD_US_INDUSTRIAL | 1u << HD_US_PARKING;
    t->area_per_capita_centi = 0;
    t->business_capital_limit_fen = 100000 * (int64_t)100;
    t->exclude_pension_mask = 1u << HD_SCHEME_RESIDENT;
    t->change_income_pct = 20;                      /* docs/changes.md */
    t->change_assets_fen = 10000 * (int64_t)100;
    t->discovery_income_drop_pct = 30;              /* docs/policy.md, docs/decisions.md */
    static const uint8_t out[HD_FD__COUNT] = {
        [HD_FD_INCOME_OVER_STANDARD] = HD_OUT_INELIGIBLE,
        [HD_FD_ASSETS_OVER_LIMIT] = HD_OUT_INELIGIBLE,
        [HD_FD_VEHICLE_NON_EXEMPT] = HD_OUT_INELIGIBLE,
        [HD_FD_PROPERTY_MULTIPLE_HOMES] = HD_OUT_INELIGIBLE,
        [HD_FD_PROPERTY_NON_RESIDENTIAL] = HD_OUT_INELIGIBLE,
        [HD_FD_PROPERTY_AREA_OVER] = HD_OUT_REVIEW,
        [HD_FD_BUSINESS_ROLE] = HD_OUT_INELIGIBLE,
        [HD_FD_FUND_CONTRIBUTING] = HD_OUT_REVIEW,
        [HD_FD_MEMBER_DECEASED] = HD_OUT_REVIEW,
        [HD_FD_DUPLICATE_APPLICATION] = HD_OUT_REVIEW,
        [HD_FD_NAME_MISMATCH] = HD_OUT_REVIEW,
        [HD_FD_SOURCE_INCOMPLETE] = HD_OUT_REVIEW,
        [HD_FD_APPLICANT_ROW_REJECTED] = HD_OUT_REVIEW,
        [HD_FD_EVIDENCE_UNREADABLE] = HD_OUT_REVIEW,
        [HD_FD_ID_SUSPECT] = HD_OUT_REVIEW,
        [HD_FD_APPLICATION_ID_REUSED] = HD_OUT_REVIEW,
        [HD_FD_NEAR_MISS] = HD_OUT_REVIEW,
    };
    memcpy(t->outcome, out, sizeof out);
}

static void overlay(hd_type_policy *t, const struct partial *sp)
{
    const hd_type_policy *v = &sp->v;
    if (sp->set[K_MULTIPLIER]) t->standard_multiplier_bp = v->standard_multiplier_bp;
    if (sp->set[K_AREA]) t->standard_area_urban = v->standard_area_urban;
    if (sp->set[K_MONTHS]) t->assets_months = v->assets_months;
    if (sp->set[K_VEXEMPT]) t->vehicle_exempt_mask = v->vehicle_exempt_mask;
    if (sp->set[K_VLIMIT]) t->vehicle_value_limit_fen = v->vehicle_value_limit_fen;
    if (sp->set[K_HOMES]) t->max_homes = v->max_homes;
    if (sp->set[K_NONRES]) t->non_residential_mask = v->non_residential_mask;
    if (sp->set[K_AREA_PC]) t->area_per_capita_centi = v->area_per_capita_centi;
    if (sp->set[K_CAPITAL]) t->business_capital_limit_fen = v->business_capital_limit_fen;
    if (sp->set[K_PENSION]) t->exclude_pension_mask = v->exclude_pension_mask;
    if (sp->set[K_CHG_INCOME]) t->change_income_pct = v->change_income_pct;
    if (sp->set[K_CHG_ASSETS]) t->change_assets_fen = v->change_assets_fen;
    if (sp->set[K_DISC_DROP]) t->discovery_income_drop_pct = v->discovery_income_drop_pct;
    for (int f = 0; f < HD_FD__COUNT; f++)
        if (sp->outcome_set[f]) t->outcome[f] = v->outcome[f];
}

/* ------------------------------------------------------------ files */

/* A policy or standards file, whole (io/file.h); at most 64 MiB. */
static int slurp(const char *path, char **out, size_t *len, hd_error *err)
{
    int rc = hd_file_read(path, (size_t)64 << 20, out, len, err);
    if (rc == HD_EDATA) return hd_fail(err, HD_ECONFIG, "%s: larger than 64 MiB", path);
    return rc;
}

/* The policy digest: SHA-256 over the policy's bytes, then the
 * standards' (ident/'s hasher). */
static int digest(hd_policy *p, const char *a, size_t an, const char *b, size_t bn,
                  hd_error *err)
{
    unsigned char md[32];
    hd_sha256 *h = hd_sha256_new();
    if (!h) return hd_fail(err, HD_ESOFTWARE, "SHA-256 of the policy failed");
    hd_sha256_update(h, a, an);
    hd_sha256_update(h, b, bn);
    hd_sha256_final(h, md);
    hd_hex(md, 32, p->digest);
    return HD_OK;
}

int hd_policy_load(hd_policy **out, const char *path, hd_error *err)
{
    *out = NULL;
    char *buf = NULL, *sbuf = NULL;
    size_t len = 0, slen = 0;
    int rc = slurp(path, &buf, &len, err);
    if (rc) return rc;

    hd_policy *p = calloc(1, sizeof *p);
    struct parse *ps = calloc(1, sizeof *ps);
    if (!p || !ps) { rc = hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path); goto done; }
    p->max_quarantine_pct = 5;
    p->max_age_days = 0;
    p->max_rows_drop_pct = 50;
    for (int k = HD_KIND_APPLICANTS + 1; k < HD_KIND__COUNT; k++) p->required_kinds |= 1u << k;
    ps->p = p; ps->path = path; ps->buf = buf; ps->len = len;
    strcpy(ps->standards, "standards.csv");

    /* Policy lines are KEY = VALUE; an indented line is not a continuation
     * (SPEC §6 "Config files" has no continuations). */
    int r = hd_ini_stream(line_reader, ps, handler, ps);
    if (r < 0) { rc = hd_fail(err, HD_ESOFTWARE, "%s: out of memory parsing", path); goto done; }
    if (r > 0 || ps->err_line) {
        if (ps->err_line && (r == 0 || ps->err_line <= r))
            rc = hd_fail(err, HD_ECONFIG, "%s:%d: %s", path, ps->err_line, ps->err_msg);
        else
            rc = hd_fail(err, HD_ECONFIG, "%s:%d: not a [section], KEY = VALUE or comment line",
                         path, r);
        goto done;
    }

    if (!ps->pset[PK_NAME]) {
        /* no name given: the file's base name without its extension */
        const char *b = strrchr(path, '/');
        b = b ? b + 1 : path;
        size_t n = strcspn(b, ".");
        if (n == 0) n = strlen(b);
        if (n >= sizeof p->name) n = sizeof p->name - 1;
        memcpy(p->name, b, n);
        p->name[n] = '\0';
    }

    for (int t = 0; t < HD_ASSIST__COUNT; t++) {
        builtin_defaults(&p->type[t]);
        overlay(&p->type[t], &ps->sec[0]);
        overlay(&p->type[t], &ps->sec[1 + t]);
    }

    /* standards.csv, relative to the policy file (SPEC §6 "Config files") */
    const char *slash = strrchr(path, '/');
    int n;
    if (ps->standards[0] == '/' || !slash)
        n = snprintf(p->standards_path, sizeof p->standards_path, "%s", ps->standards);
    else
        n = snprintf(p->standards_path, sizeof p->standards_path, "%.*s/%s",
                     (int)(slash - path), path, ps->standards);
    if (n < 0 || (size_t)n >= sizeof p->standards_path) {
        rc = hd_fail(err, HD_ECONFIG, "%s: standards path too long", path);
        goto done;
    }
    rc = slurp(p->standards_path, &sbuf, &slen, err);
    if (rc) goto done;
    rc = hd_standards_parse(p, p->standards_path, sbuf, slen, err);
    if (rc) goto done;
    rc = digest(p, buf, len, sbuf, slen, err);

done:
    free(buf);
    free(sbuf);
    free(ps);
    if (rc) { hd_policy_free(p); return rc; }
    *out = p;
    return HD_OK;
}

void hd_policy_free(hd_policy *p)
{
    if (!p) return;
    free(p->standards);
    free(p);
}
