/*
 * changes.c — the change report (重大变化报告, [job] previous): every
 * household present in this run and in an earlier output (same
 * county_code and application_id) whose findings, verdict, income or
 * assets changed, in county/<code>/changes.csv. docs/changes.md.
 *
 * The earlier run is read from its own county/<code>/households.csv (SPEC
 * §5 columns: county_code, application_id, verdict, reasons,
 * household_income_fen, assets_fen), after the earlier output has been
 * verified against its manifest (hd_audit_verify_ex; unsigned allowed).
 * Thresholds come from the policy of the household's assistance type
 * (change_income_pct, change_assets_yuan); exact integer arithmetic.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"
#include "report/common.h"
#include "hedui/verify.h"
#include "report/out.h"
#include "util/path.h"
#include "util/strmap.h"

/* One household of the previous run. */
struct prev_hh {
    uint32_t findings;
    uint8_t verdict;
    int64_t income, assets;
    int64_t income_pc;            /* income_per_capita_fen (discovery, SPEC §10) */
};

struct hd_previous {
    hd_strmap *map;               /* county_code \x1f application_id -> index */
    struct prev_hh *hh;
    uint32_t n, cap;
};

static size_t make_key(char *buf, size_t cap, const char *county, size_t cn, const char *app, size_t an)
{
    if (cn + an + 2 > cap) return 0;
    memcpy(buf, county, cn);
    buf[cn] = '\x1f';
    memcpy(buf + cn + 1, app, an);
    return cn + 1 + an;
}

enum { C_COUNTY, C_APP, C_VERDICT, C_REASONS, C_INCOME, C_ASSETS, C_INCOME_PC, C__COUNT };
static const char *const col_names[C__COUNT] = {
    "county_code", "application_id", "verdict", "reasons", "household_income_fen", "assets_fen",
    "income_per_capita_fen",
};

/* Reads one previous households.csv into p. */
static int read_households(struct hd_previous *p, const char *path, const char *shown, hd_error *err)
{
    hd_reader *r = NULL;
    hd_csv *c = NULL;
    int rc = hd_reader_open(&r, path, 0, err);
    if (rc) {
        char m[1024];
        snprintf(m, sizeof m, "%s", err ? err->message : "");
        return hd_fail(err, HD_ECONFIG, "previous: %s", m);
    }
    hd_csv_opts o = { .encoding = HD_ENC_UTF8, .delimiter = ',', .quote = '"', .path = path };
    rc = hd_csv_open(&c, r, &o, err);
    if (rc) { hd_reader_close(r); return rc; }
    int pos[C__COUNT];
    for (int k = 0; k < C__COUNT; k++) pos[k] = -1;
    int header = 1;
    hd_csv_record rec;
    int got;
    while ((got = hd_csv_next(c, &rec, err)) == 1) {
        if (rec.fault != HD_R_NONE) {
            rc = hd_fail(err, HD_ECONFIG, "previous: %s:%" PRIu64 ": unreadable row (%s)", shown, rec.line,
                         hd_reason_name(rec.fault));
            break;
        }
        if (rec.blank) continue;
        if (header) {
            for (size_t i = 0; i < rec.nfields; i++)
                for (int k = 0; k < C__COUNT; k++)
                    if (rec.fields[i].n == strlen(col_names[k]) &&
                        !memcmp(rec.fields[i].p, col_names[k], rec.fields[i].n) && pos[k] < 0)
                        pos[k] = (int)i;
            for (int k = 0; k < C__COUNT; k++)
                if (pos[k] < 0) {
                    rc = hd_fail(err, HD_ECONFIG, "previous: %s: no column %s (not a hedui households.csv)", shown, col_names[k]);
                    goto done;
                }
            header = 0;
            continue;
        }
        int need = 0;
        for (int k = 0; k < C__COUNT; k++) if (pos[k] + 1 > need) need = pos[k] + 1;
        if (rec.nfields < (size_t)need) {
            rc = hd_fail(err, HD_ECONFIG, "previous: %s:%" PRIu64 ": %zu fields, expected at least %d", shown,
                         rec.line, rec.nfields, need);
            break;
        }
        struct prev_hh h = {0};
        const hd_field *fv = &rec.fields[pos[C_VERDICT]];
        int v;
        for (v = 0; v < 3; v++)
            if (fv->n == strlen(hd_verdict_name((hd_verdict)v)) && !memcmp(fv->p, hd_verdict_name((hd_verdict)v), fv->n)) break;
        if (v == 3) {
            rc = hd_fail(err, HD_ECONFIG, "previous: %s:%" PRIu64 ": verdict '%.*s' unknown", shown, rec.line,
                         (int)fv->n, fv->p);
            break;
        }
        h.verdict = (uint8_t)v;
        if (!hd_field_i64(&rec.fields[pos[C_INCOME]], &h.income) || !hd_field_i64(&rec.fields[pos[C_ASSETS]], &h.assets) ||
            !hd_field_i64(&rec.fields[pos[C_INCOME_PC]], &h.income_pc)) {
            rc = hd_fail(err, HD_ECONFIG, "previous: %s:%" PRIu64 ": household_income_fen, income_per_capita_fen or assets_fen is not a whole number", shown, rec.line);
            break;
        }
        /* reasons: codes joined by ';' */
        const hd_field *fr = &rec.fields[pos[C_REASONS]];
        for (size_t a = 0; a < fr->n;) {
            size_t b = a;
            while (b < fr->n && fr->p[b] != ';') b++;
            char code[64];
            int f = -1;
            if (b - a < sizeof code) {
                memcpy(code, fr->p + a, b - a);
                code[b - a] = 0;
                f = hd_finding_parse(code);
            }
            if (f < 0) {
                rc = hd_fail(err, HD_ECONFIG, "previous: %s:%" PRIu64 ": reason '%.*s' unknown", shown, rec.line,
                             (int)(b - a), fr->p + a);
                goto done;
            }
            h.findings |= 1u << f;
            a = b + 1;
        }
        char key[1024];
        const hd_field *fc = &rec.fields[pos[C_COUNTY]], *fa = &rec.fields[pos[C_APP]];
        size_t kn = make_key(key, sizeof key, fc->p, fc->n, fa->p, fa->n);
        if (!kn) continue;             /* longer than any id this run can hold */
        if (hd_strmap_get(p->map, key, kn) != UINT32_MAX) continue;   /* first one counts */
        if (p->n == p->cap) {
            uint32_t cap = p->cap ? p->cap * 2 : 256;
            struct prev_hh *nh = realloc(p->hh, (size_t)cap * sizeof *nh);
            if (!nh) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
            p->hh = nh; p->cap = cap;
        }
        p->hh[p->n] = h;
        if (hd_strmap_put(p->map, key, kn, p->n) != 0) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
        p->n++;
    }
    if (got < 0 && !rc) {
        char m[1024];
        snprintf(m, sizeof m, "%s", err ? err->message : "");
        rc = hd_fail(err, HD_ECONFIG, "previous: %s", m);
    }
    if (!rc && header) rc = hd_fail(err, HD_ECONFIG, "previous: %s: empty (no header)", shown);
done:
    hd_csv_close(c);
    hd_reader_close(r);
    return rc;
}

int hd_changes_read_households(const char *path, uint32_t *households, hd_error *err)
{
    *households = 0;
    struct hd_previous p = {0};
    p.map = hd_strmap_new();
    if (!p.map) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    int rc = read_households(&p, path, path, err);
    if (!rc) *households = p.n;
    hd_strmap_free(p.map);
    free(p.hh);
    return rc;
}

static void verify_fail(void *user, const char *msg)
{
    char *first = user;
    if (!*first) snprintf(first, 1024, "%s", msg);
}

/* Verifies the previous output and reads every county/<dir>/households.csv. */
static int load_previous(struct hd_previous *p, const char *dir, hd_error *err)
{
    char first[1024] = "";
    hd_error verr;
    if (hd_audit_verify_ex(dir, NULL, HD_VERIFY_ALLOW_UNSIGNED, verify_fail, first, NULL, &verr) != HD_OK)
        return hd_fail(err, HD_ECONFIG, "previous: %s does not verify against its manifest: %s", dir,
                       *first ? first : verr.message);
    char pattern[4200];
    snprintf(pattern, sizeof pattern, "%s/county/*/households.csv", dir);
    char **files = NULL;
    int nfiles = 0;
    int rc = hd_path_glob(pattern, &files, &nfiles, err);
    if (rc) return rc;
    for (int i = 0; !rc && i < nfiles; i++)
        rc = read_households(p, files[i], hd_path_rel(files[i], dir), err);
    hd_path_list_free(files, nfiles);
    return rc;
}

static int64_t abs64(int64_t x) { return x < 0 ? -x : x; }

/* |after - before| x 100 > pct x |before|; before 0: any change. */
static int income_changed(int64_t before, int64_t after, int32_t pct)
{
    __int128 d = (__int128)after - before;
    if (d < 0) d = -d;
    return d * 100 > (__int128)pct * abs64(before);
}

static int assets_changed(int64_t before, int64_t after, int64_t limit)
{
    __int128 d = (__int128)after - before;
    if (d < 0) d = -d;
    return d > limit;
}

static const char *const header =
    "county_code,application_id,verdict_before,verdict,findings_appeared,findings_gone,"
    "findings_appeared_zh,findings_gone_zh,income_before_fen,income_after_fen,income_changed,"
    "assets_before_fen,assets_after_fen,assets_changed\n";

static void change_row(hd_out *o, const hd_results *st, const hd_change *c)
{
    const hd_household *hh = &st->m->households[c->household];
    char a[1024], g[1024], az[2048], gz[2048];
    hd_report_findings_text(c->appeared, 0, ";", a, sizeof a);
    hd_report_findings_text(c->gone, 0, ";", g, sizeof g);
    hd_report_findings_text(c->appeared, 1, ";", az, sizeof az);
    hd_report_findings_text(c->gone, 1, ";", gz, sizeof gz);
    hd_out_csv_str(o, hh->county_code, 1);
    hd_out_csv_str(o, hh->application_id, 0);
    hd_out_csv_str(o, hd_verdict_name((hd_verdict)c->verdict_before), 0);
    hd_out_csv_str(o, hd_verdict_name(st->judgements.kept[c->household].verdict), 0);
    hd_out_csv_str(o, a, 0);
    hd_out_csv_str(o, g, 0);
    hd_out_csv_str(o, az, 0);
    hd_out_csv_str(o, gz, 0);
    hd_out_csv_i64(o, c->income_before, 0);
    hd_out_csv_i64(o, c->income_after, 0);
    hd_out_csv_str(o, c->income_changed ? "yes" : "no", 0);
    hd_out_csv_i64(o, c->assets_before, 0);
    hd_out_csv_i64(o, c->assets_after, 0);
    hd_out_csv_str(o, c->assets_changed ? "yes" : "no", 0);
    hd_out_str(o, "\n");
}

static int write_file(const hd_results *st, const char *dir, const char *cdir, int unknown_group,
                      const char *county, hd_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/county/%s", dir, cdir);
    if (hd_mkdirs(path, 0700) != 0) return hd_fail(err, HD_EIO, "%s: cannot create: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/county/%s/changes.csv", dir, cdir);
    hd_out *o;
    int rc = hd_out_open(&o, path, err);
    if (rc) return rc;
    hd_out_str(o, header);
    for (uint32_t i = 0; i < st->nchanges; i++) {
        const char *code = st->m->households[st->changes[i].household].county_code;
        int mine = unknown_group ? !strcmp(hd_report_county_dir(code), "unknown") : !strcmp(code, county);
        if (mine) change_row(o, st, &st->changes[i]);
    }
    return hd_out_close(o, err);
}

int hd_compute_changes(hd_results *st, hd_error *err)
{
    st->have_previous = 0;
    if (!st->job->previous[0]) return HD_OK;
    struct hd_previous p = {0};
    p.map = hd_strmap_new();
    if (!p.map) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    int rc = load_previous(&p, st->job->previous, err);
    const hd_model *m = st->m;
    if (!rc) {
        free(st->changes);
        st->changes = NULL;
        st->nchanges = 0;
        st->changes = calloc((size_t)m->nhouseholds + 1, sizeof *st->changes);
        if (!st->changes) rc = hd_fail(err, HD_ESOFTWARE, "out of memory");
    }
    for (uint32_t i = 0; !rc && i < m->nhouseholds; i++) {
        uint32_t h = st->order[i];
        const hd_household *hh = &m->households[h];
        char key[1024];
        size_t kn = make_key(key, sizeof key, hh->county_code, strlen(hh->county_code),
                             hh->application_id, strlen(hh->application_id));
        uint32_t k = kn ? hd_strmap_get(p.map, key, kn) : UINT32_MAX;
        if (k == UINT32_MAX) continue;           /* new household: not a change */
        const struct prev_hh *b = &p.hh[k];
        hd_judgement jj, *j = &jj;
        hd_judgements_get(&st->judgements, h, j);
        const hd_type_policy *tp = &st->policy->type[hd_judging_type(hh)];
        hd_change c = {0};
        c.household = h;
        c.appeared = j->findings & ~b->findings;
        c.gone = b->findings & ~j->findings;
        c.verdict_before = b->verdict;
        c.income_before = b->income;
        c.income_after = j->household_income_fen;
        c.assets_before = b->assets;
        c.assets_after = j->assets_fen;
        c.income_changed = (uint8_t)income_changed(c.income_before, c.income_after, tp->change_income_pct);
        c.assets_changed = (uint8_t)assets_changed(c.assets_before, c.assets_after, tp->change_assets_fen);
        if (c.appeared || c.gone || c.income_changed || c.assets_changed || c.verdict_before != (uint8_t)j->verdict)
            st->changes[st->nchanges++] = c;
    }
    if (rc) {
        hd_strmap_free(p.map);
        free(p.hh);
        return rc;
    }
    /* kept for proactive discovery (lists.c): the same households, read once */
    hd_previous_free(st->prev);
    st->prev = malloc(sizeof *st->prev);
    if (!st->prev) {
        hd_strmap_free(p.map);
        free(p.hh);
        return hd_fail(err, HD_ESOFTWARE, "out of memory");
    }
    *st->prev = p;
    st->have_previous = 1;
    return HD_OK;
}

void hd_previous_free(struct hd_previous *p)
{
    if (!p) return;
    hd_strmap_free(p->map);
    free(p->hh);
    free(p);
}

int hd_previous_household(const hd_results *st, uint32_t h, int64_t *income_pc, uint32_t *findings)
{
    if (!st->prev) return 0;
    const hd_household *hh = &st->m->households[h];
    char key[1024];
    size_t kn = make_key(key, sizeof key, hh->county_code, strlen(hh->county_code),
                         hh->application_id, strlen(hh->application_id));
    uint32_t k = kn ? hd_strmap_get(st->prev->map, key, kn) : UINT32_MAX;
    if (k == UINT32_MAX) return 0;
    if (income_pc) *income_pc = st->prev->hh[k].income_pc;
    if (findings) *findings = st->prev->hh[k].findings;
    return 1;
}

int hd_write_changes(const hd_results *st, const char *dir, uint32_t c, hd_error *err)
{
    if (!st->have_previous) return HD_OK;
    /* one file per county directory, header only when nothing changed;
     * every county whose code cannot name a directory shares
     * county/unknown/, written once, for the first such county */
    const char *cd = hd_report_county_dir(st->counties[c]);
    int unk = !strcmp(cd, "unknown");
    if (unk)
        for (uint32_t k = 0; k < c; k++)
            if (!strcmp(hd_report_county_dir(st->counties[k]), "unknown")) return HD_OK;
    return write_file(st, dir, cd, unk, st->counties[c], err);
}
