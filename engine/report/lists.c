/*
 * lists.c — re-check of recipients (定期核查) and proactive discovery
 * (主动发现), SPEC §10; what a clerk does with them: docs/county-guide.md.
 *
 * Both lists are read off the finished run; nothing here judges:
 *
 * - county/<code>/recheck.csv: every reason of every recipient household
 *   that is not ELIGIBLE, `new` or `known` as the register's snapshot says
 *   (hd_finding_known, the one place that asks it), new first, then by
 *   application_id and code.
 * - county/<code>/discovery.csv: monitored households ELIGIBLE under the
 *   dibao section (tekun for tekun; hd_judging_type) with trigger
 *   ELIGIBLE_NOW, and recipient or monitored households with a major change
 *   since the previous run ([job] previous): MEMBER_DECEASED_NEW,
 *   PENSION_STOPPED, INCOME_DROP. Rows by trigger, then income per capita
 *   (lowest first), then application_id.
 *
 * Major changes compare members through their audit tokens: the previous
 * run's audit/matches.jsonl(.zst) gives each token's death and pension
 * records as that run saw them; this run's come from the model. A change
 * counts only from kinds undamaged in both runs and given in both runs
 * (the previous run's summary.json "sources"); income per capita comes
 * from the previous households.csv that the change report already reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "io/file.h"
#include "report/report.h"
#include "report/common.h"
#include "report/regpart.h"
#include "report/out.h"
#include "util/path.h"

const char *hd_trigger_name(int t)
{
    static const char *const n[HD_TRIG__COUNT] = {
        "ELIGIBLE_NOW", "MEMBER_DECEASED_NEW", "PENSION_STOPPED", "INCOME_DROP" };
    return t >= 0 && t < HD_TRIG__COUNT ? n[t] : "UNKNOWN";
}

const char *hd_trigger_label_zh(int t)
{
    static const char *const n[HD_TRIG__COUNT] = {
        "现已符合低保条件", "家庭成员新近死亡", "养老金停发", "人均收入明显下降" };
    return t >= 0 && t < HD_TRIG__COUNT ? n[t] : "未知";
}

/* ------------------------------------------------------------ register */

int hd_finding_known(const hd_results *st, uint32_t h, int f, hd_date *first_seen)
{
    /* SPEC §10: `known` when the register's snapshot (read once at the
     * start of the run, SPEC §9) holds the same finding id from an earlier
     * run. A reason backed by several finding ids (two cars) is known only
     * when every one of them is, since the latest of their first
     * appearances: a new piece of evidence makes the reason new. */
    *first_seen = st->job->as_of;
    const hd_reg_state *rs = st->reg;
    if (!rs || !rs->first || h >= st->m->nhouseholds) return 0;
    int any = 0;
    hd_date latest = HD_DATE_NONE;
    for (uint32_t i = rs->first[h]; i < rs->first[h + 1]; i++) {
        const hd_reg_finding *x = &rs->f[i];
        if (x->code != (uint8_t)f || x->suppressed) continue;
        hd_date d = x->first_seen;
        if (d == HD_DATE_NONE) return 0;
        any = 1;
        if (latest == HD_DATE_NONE || d > latest) latest = d;
    }
    if (!any) return 0;
    *first_seen = latest;
    return 1;
}

/* ------------------------------------------------------------ previous run */

struct kinds { uint8_t present[HD_KIND__COUNT], damaged[HD_KIND__COUNT]; };

/* The text of "key":"value" (or "key": "value") after p, within [p, end);
 * NULL when absent. Values read here (codes, dates, periods, hex) hold no
 * escapes, and an unescaped `"key":"` can only be a key in hedui's JSON. */
static const char *json_str(const char *p, const char *end, const char *key, size_t *n)
{
    char pat[64];
    int k = snprintf(pat, sizeof pat, "\"%s\":", key);
    for (const char *q = p; q && q + k < end; q++) {
        q = memmem(q, (size_t)(end - q), pat, (size_t)k);
        if (!q) return NULL;
        const char *v = q + k;
        while (v < end && *v == ' ') v++;
        if (v >= end || *v != '"') continue;
        v++;
        const char *e = memchr(v, '"', (size_t)(end - v));
        if (!e) return NULL;
        *n = (size_t)(e - v);
        return v;
    }
    return NULL;
}

/* The previous run's as_of and, per kind, whether a source of it was given
 * and whether one was damaged (summary.json, "sources"). */
static int read_prev_summary(const char *dir, hd_date *as_of, struct kinds *k, hd_error *err)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char *b;
    size_t blen;
    if (hd_file_read(path, (size_t)256 << 20, &b, &blen, err) != HD_OK) return hd_fail(err, HD_ECONFIG, "previous: %s cannot be read", path);
    const char *end = b + strlen(b);
    size_t n;
    const char *v = json_str(b, end, "as_of", &n);
    int rc = HD_OK;
    if (!v || hd_parse_date(v, n, "%Y-%m-%d", as_of) != HD_R_NONE) {
        rc = hd_fail(err, HD_ECONFIG, "previous: %s: no as_of", path);
        goto done;
    }
    const char *s = strstr(b, "\"sources\": [");
    const char *se = s ? strstr(s, "]") : NULL;
    if (!s || !se) { rc = hd_fail(err, HD_ECONFIG, "previous: %s: no sources", path); goto done; }
    /* one source per line: {"name": ..., "kind": "K", ..., "damaged": B, ... */
    for (const char *line = s; line < se;) {
        const char *nl = memchr(line, '\n', (size_t)(se - line));
        const char *le = nl ? nl : se;
        const char *kv = json_str(line, le, "kind", &n);
        if (kv) {
            char kind[32];
            snprintf(kind, sizeof kind, "%.*s", (int)(n < 31 ? n : 31), kv);
            int kk = hd_kind_parse(kind);
            const char *d = memmem(line, (size_t)(le - line), "\"damaged\": true", 15);
            if (kk >= 0) {
                k->present[kk] = 1;
                if (d) k->damaged[kk] = 1;
            }
        }
        line = nl ? nl + 1 : se;
    }
done:
    free(b);
    return rc;
}

struct tokmember { unsigned char tok[32]; uint32_t member; };

static int cmp_tok(const void *a, const void *b)
{
    return memcmp(((const struct tokmember *)a)->tok, ((const struct tokmember *)b)->tok, 32);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int32_t parse_period(const char *s, size_t n)
{
    int y = 0, m = 0;
    if (n != 4 && n != 7) return -1;
    for (int i = 0; i < 4; i++) { if (s[i] < '0' || s[i] > '9') return -1; y = y * 10 + s[i] - '0'; }
    if (n == 7) {
        if (s[4] != '-' || s[5] < '0' || s[5] > '9' || s[6] < '0' || s[6] > '9') return -1;
        m = (s[5] - '0') * 10 + s[6] - '0';
    }
    return y * 100 + m;
}

/* What the previous run saw of a member (indexed by this run's member). */
struct prev_member {
    int32_t pen_period;           /* latest pension period, -1: no record */
    uint8_t pen_active;           /* a record of that period active (or no status) */
    uint8_t dead;                 /* a death record on or before its as_of */
};

static void see_line(const char *p, const char *end, const struct tokmember *tm, size_t ntm,
                     hd_date prev_as_of, struct prev_member *pm)
{
    size_t n;
    const char *kv = json_str(p, end, "kind", &n);
    if (!kv) return;
    int death = n == 5 && !memcmp(kv, "death", 5);
    int pension = n == 7 && !memcmp(kv, "pension", 7);
    if (!death && !pension) return;
    const char *t = json_str(p, end, "member", &n);
    if (!t || n != 64) return;
    struct tokmember key;
    for (int i = 0; i < 32; i++) {
        int a = hexval(t[2 * i]), b = hexval(t[2 * i + 1]);
        if (a < 0 || b < 0) return;
        key.tok[i] = (unsigned char)(a * 16 + b);
    }
    struct tokmember *hit = bsearch(&key, tm, ntm, sizeof *tm, cmp_tok);
    if (!hit) return;
    while (hit > tm && !memcmp(hit[-1].tok, key.tok, 32)) hit--;
    const char *fields = memmem(p, (size_t)(end - p), "\"fields\":{", 10);
    if (!fields) return;
    int y, mo, d;
    hd_date_to_ymd(prev_as_of, &y, &mo, &d);
    int32_t month = y * 100 + mo;
    int dead = 0, active = 1;
    int32_t period = 0;
    if (death) {
        const char *dv = json_str(fields, end, "date_of_death", &n);
        hd_date dd;
        if (!dv || hd_parse_date(dv, n, "%Y-%m-%d", &dd) != HD_R_NONE || dd > prev_as_of) return;
        dead = 1;
    } else {
        const char *pv = json_str(fields, end, "period", &n);
        if (pv && (period = parse_period(pv, n)) < 0) return;
        if (period > month) return;
        const char *sv = json_str(fields, end, "status", &n);
        active = !sv || (n == 6 && !memcmp(sv, "active", 6));
    }
    for (const struct tokmember *q = hit; q < tm + ntm && !memcmp(q->tok, key.tok, 32); q++) {
        struct prev_member *x = &pm[q->member];
        if (dead) x->dead = 1;
        if (!pension) continue;
        if (period > x->pen_period) { x->pen_period = period; x->pen_active = (uint8_t)active; }
        else if (period == x->pen_period && active) x->pen_active = 1;
    }
}

/* Streams the previous audit/matches.jsonl (or .zst) line by line. */
static int read_prev_matches(const char *dir, const struct tokmember *tm, size_t ntm, hd_date prev_as_of,
                             struct prev_member *pm, hd_error *err)
{
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/audit/matches.jsonl", dir);
    if (stat(path, &sb) != 0) snprintf(path, sizeof path, "%s/audit/matches.jsonl.zst", dir);
    hd_reader *r = NULL;
    if (hd_reader_open(&r, path, 0, err) != HD_OK)
        return hd_fail(err, HD_ECONFIG, "previous: %s cannot be read", path);
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    int rc = HD_OK;
    for (;;) {
        if (!b) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
        if (n == cap) {                     /* a line longer than the buffer */
            char *nb = realloc(b, cap * 2);
            if (!nb) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
            b = nb; cap *= 2;
        }
        ssize_t got = hd_reader_read(r, b + n, cap - n, err);
        if (got < 0) { rc = hd_fail(err, HD_ECONFIG, "previous: %s cannot be read to its end", path); break; }
        n += (size_t)got;
        size_t at = 0;
        for (;;) {
            char *nl = memchr(b + at, '\n', n - at);
            if (!nl && got == 0 && at < n) nl = b + n;      /* last line without newline */
            if (!nl) break;
            see_line(b + at, nl, tm, ntm, prev_as_of, pm);
            at = (size_t)(nl - b) + (nl < b + n);
        }
        memmove(b, b + at, n - at);
        n -= at;
        if (got == 0) break;
    }
    free(b);
    hd_reader_close(r);
    return rc;
}

/* ------------------------------------------------------------ compute */

struct now_member { int32_t pen_period; uint8_t pen_active, dead; };

/* This run's view of member i, by the same rules as the previous one. */
static struct now_member now_member(const hd_results *st, uint32_t i)
{
    struct now_member x = { -1, 0, 0 };
    const hd_member *mb = &st->m->members[i];
    int y, mo, d;
    hd_date_to_ymd(st->job->as_of, &y, &mo, &d);
    int32_t month = y * 100 + mo;
    for (uint32_t k = 0; k < mb->nrecords; k++) {
        hd_record r;
        hd_model_record(st->m, mb->records[k], &r);
        if (r.kind == HD_KIND_DEATH) {
            if (r.v[HD_F_DATE_OF_DEATH].present && (hd_date)r.v[HD_F_DATE_OF_DEATH].i <= st->job->as_of) x.dead = 1;
        } else if (r.kind == HD_KIND_PENSION) {
            int32_t period = r.v[HD_F_PERIOD].present ? (int32_t)r.v[HD_F_PERIOD].i : 0;
            if (period > month) continue;
            int active = !r.v[HD_F_STATUS].present || r.v[HD_F_STATUS].i == HD_PEN_ACTIVE;
            if (period > x.pen_period) { x.pen_period = period; x.pen_active = (uint8_t)active; }
            else if (period == x.pen_period && active) x.pen_active = 1;
        }
    }
    return x;
}

static int cmp_recheck(const void *a, const void *b, void *arg)
{
    const hd_results *sort_st = arg;
    const hd_recheck_row *x = a, *y = b;
    if (x->known != y->known) return x->known - y->known;
    int c = strcmp(sort_st->m->households[x->household].application_id,
                   sort_st->m->households[y->household].application_id);
    if (c) return c;
    c = strcmp(hd_finding_name((hd_finding)x->finding), hd_finding_name((hd_finding)y->finding));
    if (c) return c;
    return x->household < y->household ? -1 : x->household > y->household;
}

static int cmp_discovery(const void *a, const void *b, void *arg)
{
    const hd_results *sort_st = arg;
    const hd_discovery_row *x = a, *y = b;
    if (x->trigger != y->trigger) return x->trigger - y->trigger;
    if (x->income_pc != y->income_pc) return x->income_pc < y->income_pc ? -1 : 1;
    int c = strcmp(sort_st->m->households[x->household].application_id,
                   sort_st->m->households[y->household].application_id);
    if (c) return c;
    return x->household < y->household ? -1 : x->household > y->household;
}

static int has_population(const hd_results *st, int p) { return st->npop_files[p] > 0; }

static int grow(void **p, uint32_t *cap, uint32_t need, size_t size)
{
    if (need <= *cap) return 0;
    uint32_t c = *cap ? *cap * 2 : 256;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Major changes need the previous run: its summary (which kinds it had,
 * damaged or not) into *pk, this run's into *ck, and the previous state
 * of every member of a roster or monitor household also in it into
 * *pm_out (malloc'd, one per member). */
static int read_previous_members(const hd_results *st, struct kinds *pk, struct kinds *ck,
                                 struct prev_member **pm_out, hd_error *err)
{
    const hd_model *m = st->m;
    hd_date prev_as_of = HD_DATE_NONE;
    int rc = read_prev_summary(st->job->previous, &prev_as_of, pk, err);
    for (int s = 0; s < st->job->nsources; s++) {
        ck->present[st->src[s].desc->kind] = 1;
        if (st->src[s].damage != HD_R_NONE) ck->damaged[st->src[s].desc->kind] = 1;
    }
    struct tokmember *tm = NULL;
    struct prev_member *pm = NULL;
    size_t ntm = 0;
    if (!rc) {
        tm = malloc(((size_t)m->nmembers + 1) * sizeof *tm);
        pm = malloc(((size_t)m->nmembers + 1) * sizeof *pm);
        if (!tm || !pm) rc = hd_fail(err, HD_ESOFTWARE, "out of memory");
    }
    for (uint32_t i = 0; !rc && i < m->nmembers; i++) {
        pm[i].pen_period = -1; pm[i].pen_active = 0; pm[i].dead = 0;
        const hd_member *mb = &m->members[i];
        const hd_household *hh = &m->households[mb->household];
        if (mb->rejected != HD_R_NONE || hh->population == HD_POP_APPLICANT) continue;
        if (!hd_previous_household(st, mb->household, NULL, NULL)) continue;
        memcpy(tm[ntm].tok, mb->token, 32);
        tm[ntm++].member = i;
    }
    if (!rc && ntm) {
        qsort(tm, ntm, sizeof *tm, cmp_tok);
        rc = read_prev_matches(st->job->previous, tm, ntm, prev_as_of, pm, err);
    }
    free(tm);
    *pm_out = pm;
    return rc;
}

/* Which major changes can be trusted: a kind a change may come from is
 * undamaged in both runs and given in both (or, for income, in neither). */
struct change_kinds { int death, pension, income; };

static struct change_kinds trusted_kinds(const struct kinds *pk, const struct kinds *ck)
{
    int ok_kind[HD_KIND__COUNT];
    for (int k = 0; k < HD_KIND__COUNT; k++)
        ok_kind[k] = !pk->damaged[k] && !ck->damaged[k] && pk->present[k] == ck->present[k];
    struct change_kinds t;
    t.death = ok_kind[HD_KIND_DEATH] && ck->present[HD_KIND_DEATH];
    t.pension = ok_kind[HD_KIND_PENSION] && ck->present[HD_KIND_PENSION];
    t.income = ok_kind[HD_KIND_INCOME] && ok_kind[HD_KIND_PENSION];
    return t;
}

/* A recipient not ELIGIBLE: one re-check row per finding. */
static int add_recheck(hd_results *st, uint32_t h, const hd_judgement *j, uint32_t *cap, hd_error *err)
{
    for (int f = 0; f < HD_FD__COUNT; f++) {
        if (!(j->findings & (1u << f))) continue;
        if (grow((void **)&st->recheck, cap, st->nrecheck + 1, sizeof *st->recheck))
            return hd_fail(err, HD_ESOFTWARE, "out of memory");
        hd_recheck_row *r = &st->recheck[st->nrecheck++];
        r->household = h;
        r->finding = (uint8_t)f;
        r->known = (uint8_t)hd_finding_known(st, h, f, &r->first_seen);
    }
    return HD_OK;
}

/* The discovery triggers of household h into trig. */
static void find_triggers(const hd_results *st, uint32_t h, const hd_judgement *j, const struct prev_member *pm,
                          struct change_kinds ok, uint8_t trig[HD_TRIG__COUNT])
{
    const hd_model *m = st->m;
    const hd_household *hh = &m->households[h];
    if (hh->population == HD_POP_MONITORED && j->verdict == HD_V_ELIGIBLE) trig[HD_TRIG_ELIGIBLE_NOW] = 1;
    int64_t before_pc;
    if (!st->lists_changes || hh->population == HD_POP_APPLICANT ||
        !hd_previous_household(st, h, &before_pc, NULL)) return;
    for (uint32_t i = hh->first_member; i < hh->first_member + hh->nmembers; i++) {
        if (m->members[i].rejected != HD_R_NONE) continue;
        struct now_member x = now_member(st, i);
        if (ok.death && x.dead && !pm[i].dead) trig[HD_TRIG_MEMBER_DECEASED_NEW] = 1;
        if (ok.pension && pm[i].pen_period >= 0 && pm[i].pen_active &&
            (x.pen_period < 0 || !x.pen_active))
            trig[HD_TRIG_PENSION_STOPPED] = 1;
    }
    int32_t pct = st->policy->type[hd_judging_type(hh)].discovery_income_drop_pct;
    if (ok.income && before_pc > 0 &&
        ((__int128)before_pc - j->income_per_capita_fen) * 100 > (__int128)pct * before_pc)
        trig[HD_TRIG_INCOME_DROP] = 1;
}

/* One discovery row per trigger of household h. */
static int add_discovery(hd_results *st, uint32_t h, const hd_judgement *j, const uint8_t trig[HD_TRIG__COUNT],
                         uint32_t *cap, hd_error *err)
{
    for (int t = 0; t < HD_TRIG__COUNT; t++)
        if (trig[t]) {
            if (grow((void **)&st->discovery, cap, st->ndiscovery + 1, sizeof *st->discovery))
                return hd_fail(err, HD_ESOFTWARE, "out of memory");
            hd_discovery_row *r = &st->discovery[st->ndiscovery++];
            r->household = h;
            r->trigger = (uint8_t)t;
            r->income_pc = j->income_per_capita_fen;
        }
    return HD_OK;
}

int hd_compute_lists(hd_results *st, hd_error *err)
{
    const hd_model *m = st->m;
    uint32_t nc = st->ncounties;
    free(st->recheck); free(st->discovery); free(st->recheck_first); free(st->discovery_first);
    st->recheck = NULL; st->discovery = NULL; st->nrecheck = st->ndiscovery = 0;
    st->recheck_first = calloc((size_t)nc + 1, sizeof *st->recheck_first);
    st->discovery_first = calloc((size_t)nc + 1, sizeof *st->discovery_first);
    if (!st->recheck_first || !st->discovery_first) return hd_fail(err, HD_ESOFTWARE, "out of memory");

    /* major changes: only with a previous run and a roster or a monitor */
    struct kinds pk = {{0}, {0}}, ck = {{0}, {0}};
    struct prev_member *pm = NULL;
    int rc = HD_OK;
    st->lists_changes = st->have_previous && (has_population(st, HD_POP_RECIPIENT) || has_population(st, HD_POP_MONITORED));
    if (st->lists_changes) rc = read_previous_members(st, &pk, &ck, &pm, err);
    struct change_kinds ok = trusted_kinds(&pk, &ck);
    if (st->lists_changes && !rc && st->opts && st->opts->log) {
        char msg[256];
        snprintf(msg, sizeof msg, "major changes against the previous run: deaths %s, pensions %s, income %s",
                 ok.death ? "compared" : "not compared (kind damaged or not given in both runs)",
                 ok.pension ? "compared" : "not compared (kind damaged or not given in both runs)",
                 ok.income ? "compared" : "not compared (income or pension damaged or not given alike)");
        st->opts->log(st->opts->log_user, HD_LOG_INFO, "discovery_changes", msg);
    }

    /* the lists grow by doubling: they are a small part of the households */
    uint32_t cap_re = 0, cap_di = 0;
    for (uint32_t c = 0; !rc && c < nc; c++) {
        st->recheck_first[c] = st->nrecheck;
        st->discovery_first[c] = st->ndiscovery;
        for (uint32_t p = st->county_first[c]; !rc && p < st->county_first[c + 1]; p++) {
            uint32_t h = st->order[p];
            hd_judgement j;
            hd_judgements_get(&st->judgements, h, &j);
            if (m->households[h].population == HD_POP_RECIPIENT && j.verdict != HD_V_ELIGIBLE)
                rc = add_recheck(st, h, &j, &cap_re, err);
            uint8_t trig[HD_TRIG__COUNT] = {0};
            find_triggers(st, h, &j, pm, ok, trig);
            if (!rc) rc = add_discovery(st, h, &j, trig, &cap_di, err);
        }
        /* (a county without rows may have no array at all: qsort of NULL is undefined) */
        if (st->nrecheck - st->recheck_first[c] > 1)
            qsort_r(st->recheck + st->recheck_first[c], st->nrecheck - st->recheck_first[c],
                    sizeof *st->recheck, cmp_recheck, st);
        if (st->ndiscovery - st->discovery_first[c] > 1)
            qsort_r(st->discovery + st->discovery_first[c], st->ndiscovery - st->discovery_first[c],
                    sizeof *st->discovery, cmp_discovery, st);
    }
    st->recheck_first[nc] = st->nrecheck;
    st->discovery_first[nc] = st->ndiscovery;
    free(pm);
    return rc;
}

/* ------------------------------------------------------------ write */

static const char *const recheck_header = "county_code,application_id,code,code_zh,status,first_seen\n";
static const char *const discovery_header =
    "county_code,application_id,population,trigger,trigger_zh,income_per_capita_fen\n";

static void recheck_rows(hd_out *o, const hd_results *st, uint32_t c)
{
    for (uint32_t i = st->recheck_first[c]; i < st->recheck_first[c + 1]; i++) {
        const hd_recheck_row *r = &st->recheck[i];
        const hd_household *hh = &st->m->households[r->household];
        char d[11];
        hd_date_format(r->first_seen, d);
        hd_out_csv_str(o, hh->county_code, 1);
        hd_out_csv_str(o, hh->application_id, 0);
        hd_out_csv_str(o, hd_finding_name((hd_finding)r->finding), 0);
        hd_out_csv_str(o, hd_finding_label_zh((hd_finding)r->finding), 0);
        hd_out_csv_str(o, r->known ? "known" : "new", 0);
        hd_out_csv_str(o, d, 0);
        hd_out_str(o, "\n");
    }
}

static void discovery_rows(hd_out *o, const hd_results *st, uint32_t c)
{
    for (uint32_t i = st->discovery_first[c]; i < st->discovery_first[c + 1]; i++) {
        const hd_discovery_row *r = &st->discovery[i];
        const hd_household *hh = &st->m->households[r->household];
        hd_out_csv_str(o, hh->county_code, 1);
        hd_out_csv_str(o, hh->application_id, 0);
        hd_out_csv_str(o, hd_population_name(hh->population), 0);
        hd_out_csv_str(o, hd_trigger_name(r->trigger), 0);
        hd_out_csv_str(o, hd_trigger_label_zh(r->trigger), 0);
        hd_out_csv_i64(o, r->income_pc, 0);
        hd_out_str(o, "\n");
    }
}

static int write_one(const hd_results *st, const char *dir, uint32_t c, int discovery, hd_error *err)
{
    const char *cd = hd_report_county_dir(st->counties[c]);
    int unk = !strcmp(cd, "unknown");
    char path[4400];
    snprintf(path, sizeof path, "%s/county/%s", dir, cd);
    if (hd_mkdirs(path, 0700) != 0) return hd_fail(err, HD_EIO, "%s: cannot create: %s", path, strerror(errno));
    snprintf(path, sizeof path, "%s/county/%s/%s", dir, cd, discovery ? "discovery.csv" : "recheck.csv");
    hd_out *o;
    int rc = hd_out_open(&o, path, err);
    if (rc) return rc;
    hd_out_str(o, discovery ? discovery_header : recheck_header);
    /* county/unknown/ holds every county whose code names no directory,
     * in county order */
    for (uint32_t k = unk ? 0 : c; k < (unk ? st->ncounties : c + 1); k++) {
        if (unk && strcmp(hd_report_county_dir(st->counties[k]), "unknown")) continue;
        if (discovery) discovery_rows(o, st, k);
        else recheck_rows(o, st, k);
    }
    return hd_out_close(o, err);
}

int hd_write_lists(const hd_results *st, const char *dir, uint32_t c, hd_error *err)
{
    const char *cd = hd_report_county_dir(st->counties[c]);
    if (!strcmp(cd, "unknown"))
        for (uint32_t k = 0; k < c; k++)
            if (!strcmp(hd_report_county_dir(st->counties[k]), "unknown")) return HD_OK;
    int rc = HD_OK;
    if (has_population(st, HD_POP_RECIPIENT)) rc = write_one(st, dir, c, 0, err);
    if (!rc && (has_population(st, HD_POP_RECIPIENT) || has_population(st, HD_POP_MONITORED)))
        rc = write_one(st, dir, c, 1, err);
    return rc;
}

/* ------------------------------------------------------------ counts */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Distinct households among n rows whose household is at stride. */
static uint64_t distinct(const void *rows, uint32_t n, size_t stride)
{
    if (!n) return 0;
    uint32_t *h = malloc((size_t)n * sizeof *h);
    if (!h) return 0;
    for (uint32_t i = 0; i < n; i++) h[i] = *(const uint32_t *)((const char *)rows + i * stride);
    qsort(h, n, sizeof *h, cmp_u32);
    uint64_t k = 1;
    for (uint32_t i = 1; i < n; i++) k += h[i] != h[i - 1];
    free(h);
    return k;
}

void hd_list_counts_of(const hd_results *st, uint32_t c, hd_list_counts *out)
{
    memset(out, 0, sizeof *out);
    uint32_t c0 = c == UINT32_MAX ? 0 : c, c1 = c == UINT32_MAX ? st->ncounties : c + 1;
    if (!st->county_first || c0 >= c1) return;
    for (uint32_t p = st->county_first[c0]; p < st->county_first[c1]; p++)
        out->households[st->m->households[st->order[p]].population]++;
    if (!st->recheck_first || !st->discovery_first) return;
    uint32_t r0 = st->recheck_first[c0], r1 = st->recheck_first[c1];
    uint32_t d0 = st->discovery_first[c0], d1 = st->discovery_first[c1];
    out->recheck_rows = r1 - r0;
    for (uint32_t i = r0; i < r1; i++) {
        if (st->recheck[i].known) out->recheck_known++;
        else out->recheck_new++;
    }
    out->discovery_rows = d1 - d0;
    for (uint32_t i = d0; i < d1; i++) out->triggers[st->discovery[i].trigger]++;
    /* households are distinct across counties: count within the range */
    out->recheck_households = distinct(st->recheck + r0, r1 - r0, sizeof *st->recheck);
    out->discovery_households = distinct(st->discovery + d0, d1 - d0, sizeof *st->discovery);
}
