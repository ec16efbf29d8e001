/*
 * common.c — what every report writer shares (county CSV, XLSX, HTML,
 * changes), so that one household reads the same in each of them.
 */
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hedui/advice.h"
#include "rules/labels.h"
#include "report/common.h"
#include "report/regpart.h"
#include "util/path.h"

/* A county code safe as a directory name: digits and letters only. */
const char *hd_report_county_dir(const char *code)
{
    if (!*code || strlen(code) > 32) return "unknown";
    for (const char *p = code; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
            return "unknown";
    return code;
}

int hd_report_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Finding codes of a bit set, sorted by name, joined by sep. */
void hd_report_findings_text(uint32_t bits, int zh, const char *sep, char *out, size_t cap)
{
    hd_finding f[HD_FD__COUNT];
    int n = hd_findings_sorted(bits, f);
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        const char *s = zh ? hd_finding_label_zh(f[i]) : hd_finding_name(f[i]);
        int k = snprintf(out + used, cap - used, "%s%s", i ? sep : "", s);
        if (k < 0 || (size_t)k >= cap - used) break;
        used += (size_t)k;
    }
}

void hd_report_yuan(int64_t fen, char *out, size_t cap)
{
    uint64_t a = fen < 0 ? (uint64_t)(-(fen + 1)) + 1 : (uint64_t)fen;
    snprintf(out, cap, "%s%" PRIu64 ".%02" PRIu64, fen < 0 ? "-" : "", a / 100, a % 100);
}

uint32_t hd_report_records_findings(const hd_model *m, const hd_member *mb)
{
    uint32_t bits = 0;
    for (uint32_t k = 0; k < mb->nrecords; k++) bits |= hd_model_findings(m, mb->records[k]);
    return bits;
}

/* The findings a member's own records are evidence of: worked out once
 * for the writers (st->member_findings), else from the records. */
static uint32_t records_findings(const hd_results *st, const hd_member *mb)
{
    return st->member_findings ? st->member_findings[mb - st->m->members] : hd_report_records_findings(st->m, mb);
}

/* A short, clerk-readable description of a record, with the source, file
 * and line. Money in yuan. In Chinese (zh) the field names and the
 * canonical values are their Chinese labels (hd_field_value_label_zh). */
void hd_report_evidence_lang(const hd_results *st, const hd_record *r, int zh, char *out, size_t cap)
{
    const hd_value *v = r->v;
    char a[64] = "", b[64] = "";
    const char *src = st->job->sources[r->source].name;
    const char *file = hd_path_rel(st->results[r->file].path, st->job->dir);
    int k = zh ? snprintf(out, cap, "%s（来源 %s，%s 第%" PRIu64 "行）", hd_kind_label_zh((hd_kind)r->kind), src, file, r->line)
               : snprintf(out, cap, "%s %s:%" PRIu64 " %s", src, file, r->line, hd_kind_name((hd_kind)r->kind));
    if (k < 0 || (size_t)k >= cap) return;
    size_t used = (size_t)k;
    const char *eq = zh ? "：" : "=";
#define L(EN, ZH) (zh ? (ZH) : (EN))
#define ADD(...) do { int _k = snprintf(out + used, cap - used, __VA_ARGS__); \
                      if (_k < 0 || (size_t)_k >= cap - used) { return; } \
                      used += (size_t)_k; } while (0)
#define TXT(F, EN, ZH) do { if (v[F].present) ADD(" %s%s%.*s", L(EN, ZH), eq, (int)v[F].n, v[F].s); } while (0)
#define MONEY(F, EN, ZH) do { if (v[F].present) { hd_report_yuan(v[F].i, a, sizeof a); ADD(" %s%s%s", L(EN, ZH), eq, a); } } while (0)
#define ENUM(F, EN, ZH) do { if (v[F].present) { const char *const *vals = hd_field_values((hd_kind)r->kind, F); \
                            const char *t_ = !vals ? "?" : zh ? hd_field_value_label_zh((hd_kind)r->kind, F, (int)v[F].i) \
                                                              : vals[v[F].i]; \
                            ADD(" %s%s%s", L(EN, ZH), eq, t_); } } while (0)
#define DATE(F, EN, ZH) do { if (v[F].present) { hd_date_format((hd_date)v[F].i, b); ADD(" %s%s%s", L(EN, ZH), eq, b); } } while (0)
#define PERIOD(F) do { if (v[F].present) { int32_t p_ = (int32_t)v[F].i; \
                       if (p_ % 100) { ADD(" %s%s%04d-%02d", L("period", "所属期"), eq, p_ / 100, p_ % 100); } \
                       else { ADD(" %s%s%04d", L("period", "所属期"), eq, p_ / 100); } } } while (0)
    switch ((hd_kind)r->kind) {
    case HD_KIND_DEPOSIT:
        TXT(HD_F_INSTITUTION, "institution", "机构");
        if (v[HD_F_ACCOUNT].present) {
            hd_account_mask(v[HD_F_ACCOUNT].s, v[HD_F_ACCOUNT].n, a, sizeof a);
            ADD(" %s%s%s", L("account", "账号"), eq, a);
        }
        ENUM(HD_F_PRODUCT, "product", "产品"); MONEY(HD_F_BALANCE, "balance_yuan", "余额（元）");
        ENUM(HD_F_OVER_LIMIT, "over_limit", "超过限额"); DATE(HD_F_AS_OF, "as_of", "截至");
        break;
    case HD_KIND_VEHICLE:
        TXT(HD_F_PLATE, "plate", "号牌"); ENUM(HD_F_VEHICLE_TYPE, "type", "车辆类型"); ENUM(HD_F_STATUS, "status", "状态");
        MONEY(HD_F_VALUE, "value_yuan", "价值（元）"); DATE(HD_F_REGISTERED, "registered", "登记日期");
        break;
    case HD_KIND_PROPERTY:
        TXT(HD_F_CERT_NO, "certificate", "不动产权证号"); ENUM(HD_F_USAGE, "usage", "用途"); ENUM(HD_F_STATUS, "status", "状态");
        if (v[HD_F_AREA].present)
            ADD(" %s%s%" PRId64 ".%02" PRId64, L("area_m2", "面积（平方米）"), eq, v[HD_F_AREA].i / 100, v[HD_F_AREA].i % 100);
        if (v[HD_F_SHARE].present) {
            if (zh) ADD(" 份额：%" PRId64 ".%02" PRId64 "%%", v[HD_F_SHARE].i / 100, v[HD_F_SHARE].i % 100);
            else ADD(" share_bp=%" PRId64, v[HD_F_SHARE].i);
        }
        break;
    case HD_KIND_INCOME:
        PERIOD(HD_F_PERIOD); ENUM(HD_F_INCOME_TYPE, "type", "收入类型"); MONEY(HD_F_INCOME, "income_yuan", "收入（元）");
        break;
    case HD_KIND_PENSION:
        PERIOD(HD_F_PERIOD); ENUM(HD_F_SCHEME, "scheme", "险种"); ENUM(HD_F_STATUS, "status", "状态");
        MONEY(HD_F_BENEFIT, "benefit_yuan_month", "月养老金（元）");
        break;
    case HD_KIND_FUND:
        PERIOD(HD_F_PERIOD); ENUM(HD_F_STATUS, "status", "状态"); MONEY(HD_F_DEPOSIT, "deposit_yuan_month", "月缴存额（元）");
        break;
    case HD_KIND_BUSINESS:
        TXT(HD_F_COMPANY, "company", "企业名称"); TXT(HD_F_CREDIT_CODE, "credit_code", "统一社会信用代码");
        ENUM(HD_F_ROLE, "role", "身份"); ENUM(HD_F_STATUS, "status", "状态"); MONEY(HD_F_CAPITAL, "capital_yuan", "注册资本（元）");
        break;
    case HD_KIND_DEATH:
        DATE(HD_F_DATE_OF_DEATH, "date_of_death", "死亡日期");
        break;
    default: break;
    }
    if (r->findings & (1u << HD_FD_NAME_MISMATCH)) TXT(HD_F_NAME, "name_in_source", "数据源中的姓名");
#undef L
#undef ADD
#undef TXT
#undef MONEY
#undef ENUM
#undef DATE
#undef PERIOD
}

void hd_report_evidence(const hd_results *st, const hd_record *r, char *out, size_t cap)
{
    hd_report_evidence_lang(st, r, 0, out, cap);
}

/* Calls fn for each quarantined extract row whose ID is member mb's
 * (SPEC §7 EVIDENCE_UNREADABLE; near == 0) or one typo from it with the
 * member's name (SPEC §9 NEAR_MISS; near == 1), in result (source, file)
 * and line order; only when its household carries the flag, so the scan
 * is rare. */
static int each_unread(const hd_results *st, const hd_member *mb, int near,
                       int (*fn)(void *, const hd_file_result *, const struct hd_unread *), void *user)
{
    const hd_model *m = st->m;
    if (!(m->households[mb->household].flags & (near ? HD_HF_NEAR_MISS : HD_HF_EVIDENCE_UNREADABLE))) return 0;
    uint32_t mi = (uint32_t)(mb - m->members);
    int n = 0;
    for (uint32_t i = 0; i < st->nresults; i++) {
        const hd_file_result *r = &st->results[i];
        for (uint32_t u = 0; u < r->nunread; u++)
            if (r->unread[u].member == mi && !r->unread[u].near == !near) {
                n++;
                if (fn && fn(user, r, &r->unread[u])) return n;
            }
    }
    return n;
}

struct unread_ev { const hd_results *st; char *ev; size_t cap, used; };

static int unread_text(void *user, const hd_file_result *r, const struct hd_unread *u)
{
    struct unread_ev *e = user;
    int n = snprintf(e->ev + e->used, e->cap - e->used, "%sEVIDENCE_UNREADABLE: %s %s:%llu %s",
                     e->used ? " | " : "", e->st->job->sources[r->source].name,
                     hd_path_rel(r->path, e->st->job->dir), (unsigned long long)u->line,
                     hd_reason_name(u->reason));
    if (n < 0 || (size_t)n >= e->cap - e->used) { e->ev[e->used] = 0; return 1; }
    e->used += (size_t)n;
    return 0;
}

int hd_report_near_text(const hd_results *st, const hd_file_result *r, const struct hd_unread *u,
                        char *out, size_t cap)
{
    const hd_member *mb = &st->m->members[u->member];
    hd_id row = mb->id;                /* the row's ID: the member's with the typo */
    int kind = u->near >> 12 & 3, pos = u->near >> 4 & 31, ch = u->near & 15;
    char what[64];
    if (kind == HD_NEAR_SWAP && pos < 17) {
        char t = row.s[pos]; row.s[pos] = row.s[pos + 1]; row.s[pos + 1] = t;
        snprintf(what, sizeof what, "characters %d-%d swapped", pos + 1, pos + 2);
    } else if (pos < 18) {
        row.s[pos] = ch == 10 ? 'X' : (char)('0' + ch);
        snprintf(what, sizeof what, "character %d differs", pos + 1);
    } else {
        snprintf(what, sizeof what, "one typo");
    }
    char masked[19];
    hd_id_mask(&row, masked);
    return snprintf(out, cap, "NEAR_MISS: %s %s:%llu ID_CHECK %s, %s from the member's ID, same name",
                    st->job->sources[r->source].name, hd_path_rel(r->path, st->job->dir),
                    (unsigned long long)u->line, masked, what);
}

static int near_text(void *user, const hd_file_result *r, const struct hd_unread *u)
{
    struct unread_ev *e = user;
    char one[512], sup[300] = "";
    hd_report_near_text(e->st, r, u, one, sizeof one);
    /* suppressed by a county's outcome (the register, SPEC §9): named apart */
    const hd_reg_state *rg = e->st->reg;
    uint32_t h = e->st->m->members[u->member].household;
    for (uint32_t i = rg && rg->first ? rg->first[h] : 0; rg && rg->first && i < rg->first[h + 1]; i++) {
        const hd_reg_finding *f = &rg->f[i];
        if (f->code == HD_FD_NEAR_MISS && f->member == u->member && f->source == (uint16_t)r->source && f->suppressed) {
            char t[280];
            hd_reg_suppressed_text(f, t, sizeof t);
            snprintf(sup, sizeof sup, "[%s] ", t);
        }
    }
    int n = snprintf(e->ev + e->used, e->cap - e->used, "%s%s%s", e->used ? " | " : "", sup, one);
    if (n < 0 || (size_t)n >= e->cap - e->used) { e->ev[e->used] = 0; return 1; }
    e->used += (size_t)n;
    return 0;
}

uint32_t hd_report_member_findings(const hd_results *st, uint32_t h, const hd_member *mb)
{
    uint32_t bits = records_findings(st, mb);
    if ((st->judgements.kept[h].findings & (1u << HD_FD_EVIDENCE_UNREADABLE)) && each_unread(st, mb, 0, NULL, NULL))
        bits |= 1u << HD_FD_EVIDENCE_UNREADABLE;
    if ((st->judgements.kept[h].findings & (1u << HD_FD_NEAR_MISS)) && each_unread(st, mb, 1, NULL, NULL))
        bits |= 1u << HD_FD_NEAR_MISS;
    if (mb->duplicate && (st->judgements.kept[h].findings & (1u << HD_FD_DUPLICATE_APPLICATION)))
        bits |= 1u << HD_FD_DUPLICATE_APPLICATION;
    if (mb->rejected != HD_R_NONE && (st->judgements.kept[h].findings & (1u << HD_FD_APPLICANT_ROW_REJECTED)))
        bits |= 1u << HD_FD_APPLICANT_ROW_REJECTED;
    /* a finding suppressed by a county's outcome (the register, SPEC §9)
     * is shown apart in the evidence, not among the member's findings */
    uint32_t mi = (uint32_t)(mb - st->m->members);
    for (int f = 0; st->reg && f < HD_FD__COUNT; f++) {
        if (!(bits & (1u << f))) continue;
        int all = 1, any = 0;
        for (uint32_t k = 0; k < mb->nrecords && all; k++) {
            if (!(hd_model_findings(st->m, mb->records[k]) & (1u << f))) continue;
            any = 1;
            all = hd_reg_record_suppressed(st, mb->records[k], f) != NULL;
        }
        if ((any && all) || (!any && hd_reg_member_suppressed(st, mi, f))) bits &= ~(1u << f);
    }
    return bits;
}

size_t hd_report_member_evidence_lang(const hd_results *st, const hd_member *mb, int zh, char *ev, size_t cap)
{
    const hd_model *m = st->m;
    size_t used = 0;
    ev[0] = 0;
    /* most members have no record with a finding: none is looked at */
    uint32_t nrec = records_findings(st, mb) ? mb->nrecords : 0;
    for (uint32_t k = 0; k < nrec; k++) {
        if (!hd_model_findings(m, mb->records[k])) continue;   /* most records */
        hd_record r;
        hd_model_record(m, mb->records[k], &r);
        char one[1024], f[512], sup[600] = "";
        hd_report_evidence_lang(st, &r, zh, one, sizeof one);
        /* findings suppressed by a county's outcome (the register, SPEC §9)
         * are named apart: "[suppressed CODE (false_positive 2026-11-29)]" */
        uint32_t shown = r.findings;
        size_t sl = 0;
        for (int c = 0; st->reg && c < HD_FD__COUNT; c++) {
            const hd_reg_finding *s = (r.findings & (1u << c)) ? hd_reg_record_suppressed(st, mb->records[k], c) : NULL;
            if (!s) continue;
            shown &= ~(1u << c);
            char t[300];
            if (zh) {
                char d[11];
                hd_date_format(s->by->imported, d);
                snprintf(t, sizeof t, "已按核查结果不计：%s（%s %s）", hd_finding_label_zh((hd_finding)c),
                         hd_outcome_label_zh(s->by->outcome), d);
            } else {
                hd_reg_suppressed_text(s, t, sizeof t);
            }
            int w = snprintf(sup + sl, sizeof sup - sl, "%s%s", sl ? (zh ? "、" : ", ") : "", t);
            if (w > 0 && (size_t)w < sizeof sup - sl) sl += (size_t)w;
        }
        hd_report_findings_text(shown, zh, zh ? "、" : "+", f, sizeof f);
        char prefix[1200];
        snprintf(prefix, sizeof prefix, "%s%s%s%s%s", f, *f && *sup ? " " : "", *sup ? "[" : "", sup, *sup ? "]" : "");
        int n = zh ? snprintf(ev + used, cap - used, "%s%s：%s", used ? "；\n" : "", prefix, one)
                   : snprintf(ev + used, cap - used, "%s%s: %s", used ? " | " : "", prefix, one);
        if (n < 0 || (size_t)n >= cap - used) { ev[used] = 0; break; }
        used += (size_t)n;
    }
    /* SPEC §7: source, file, line and reason of each unreadable row */
    struct unread_ev e = { st, ev, cap, used };
    each_unread(st, mb, 0, unread_text, &e);
    /* SPEC §9: the near misses, masked */
    each_unread(st, mb, 1, near_text, &e);
    return e.used;
}

const char *hd_report_population_source(int population)
{
    return population == HD_POP_RECIPIENT ? "roster" : population == HD_POP_MONITORED ? "monitor" : "applicants";
}

size_t hd_report_member_evidence(const hd_results *st, const hd_member *mb, char *ev, size_t cap)
{
    return hd_report_member_evidence_lang(st, mb, 0, ev, cap);
}

const char *hd_report_relation(const hd_member *mb, int zh)
{
    if (mb->rejected != HD_R_NONE && !(mb->parsed & HD_MP_RELATION)) return "";
    return zh ? hd_field_value_label_zh(HD_KIND_APPLICANTS, HD_F_RELATION, mb->relation)
              : hd_field_values(HD_KIND_APPLICANTS, HD_F_RELATION)[mb->relation];
}

void hd_report_id_masked(const hd_member *mb, char out[19])
{
    out[0] = 0;
    if (mb->rejected == HD_R_NONE || (mb->parsed & HD_MP_ID)) hd_id_mask(&mb->id, out);
}

void hd_report_row_status_zh(const hd_results *st, const hd_member *mb, char *out, size_t cap)
{
    if (mb->rejected == HD_R_NONE) { snprintf(out, cap, "正常"); return; }
    int field = mb->rejected_field ? mb->rejected_field - 1 : -1;
    char col[64];
    const char *colname = NULL;
    const hd_descriptor *d = st->pop_desc[st->m->households[mb->household].population];
    if (!d) d = st->app_desc;
    if (d && field >= 0 && field < HD_F__COUNT) {
        if (d->col_name[field]) colname = d->col_name[field];
        else if (d->col_pos[field] > 0) { snprintf(col, sizeof col, "#%d", d->col_pos[field]); colname = col; }
    }
    char advice[1024];
    hd_reason_advice_ex((hd_reason)mb->rejected, field, colname, HD_LANG_ZH, NULL, advice, sizeof advice);
    if (mb->line != UINT32_MAX) snprintf(out, cap, "第%" PRIu32 "行：%s", mb->line, advice);
    else snprintf(out, cap, "%s", advice);
}

void hd_report_head_json(hd_out *o, const hd_results *st, const char *format)
{
    char date[11];
    hd_date_format(st->job->as_of, date);
    hd_out_printf(o, "{\n  \"format\": \"%s\",\n  \"engine\": \"" HD_ENGINE_VERSION "\",\n  \"job\": ", format);
    hd_out_json_str(o, st->job->name);
    hd_out_printf(o, ",\n  \"as_of\": \"%s\",\n  \"input_digest\": \"%s\",\n  \"policy\": ", date, st->input_digest);
    hd_out_json_str(o, st->policy->name);
    hd_out_printf(o, ",\n  \"policy_digest\": \"%s\",\n  \"key_id\": ", st->policy->digest);
    hd_out_json_str(o, st->key.id);
}

void hd_logf(hd_log_fn log, void *user, hd_log_level lv, const char *event, const char *fmt, ...)
{
    if (!log) return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log(user, lv, event, msg);
}

const char *hd_report_scalar_json(hd_kind kind, hd_fid f, const hd_value *v, char buf[32])
{
    switch (hd_field_type(f)) {
    case HD_T_ENUM: {
        const char *const *vals = hd_field_values(kind, f);
        return vals ? vals[v->i] : "";
    }
    case HD_T_DATE:
        hd_date_format((hd_date)v->i, buf);
        return buf;
    case HD_T_PERIOD:
        if (v->i % 100) snprintf(buf, 32, "%04d-%02d", (int)(v->i / 100), (int)(v->i % 100));
        else snprintf(buf, 32, "%04d", (int)(v->i / 100));
        return buf;
    default:
        return NULL;
    }
}
