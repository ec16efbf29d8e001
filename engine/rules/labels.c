/*
 * labels.c — the names and Chinese labels of the codes every output shows:
 * findings (SPEC §4; docs/reasons.md), verdicts, and the outcomes clerks
 * record in the register (SPEC §9), with the one sort of finding codes by
 * name that every writer uses. Static tables only: reentrant.
 */
#include <stdlib.h>
#include <string.h>
#include "hedui/register.h"
#include "hedui/rules.h"
#include "hedui/text.h"
#include "rules/labels.h"

/* ------------------------------------------------------------ findings */

static const char *const finding_names[HD_FD__COUNT] = {
    [HD_FD_INCOME_OVER_STANDARD] = "INCOME_OVER_STANDARD",
    [HD_FD_ASSETS_OVER_LIMIT] = "ASSETS_OVER_LIMIT",
    [HD_FD_VEHICLE_NON_EXEMPT] = "VEHICLE_NON_EXEMPT",
    [HD_FD_PROPERTY_MULTIPLE_HOMES] = "PROPERTY_MULTIPLE_HOMES",
    [HD_FD_PROPERTY_NON_RESIDENTIAL] = "PROPERTY_NON_RESIDENTIAL",
    [HD_FD_PROPERTY_AREA_OVER] = "PROPERTY_AREA_OVER",
    [HD_FD_BUSINESS_ROLE] = "BUSINESS_ROLE",
    [HD_FD_FUND_CONTRIBUTING] = "FUND_CONTRIBUTING",
    [HD_FD_MEMBER_DECEASED] = "MEMBER_DECEASED",
    [HD_FD_DUPLICATE_APPLICATION] = "DUPLICATE_APPLICATION",
    [HD_FD_NAME_MISMATCH] = "NAME_MISMATCH",
    [HD_FD_SOURCE_INCOMPLETE] = "SOURCE_INCOMPLETE",
    [HD_FD_APPLICANT_ROW_REJECTED] = "APPLICANT_ROW_REJECTED",
    [HD_FD_EVIDENCE_UNREADABLE] = "EVIDENCE_UNREADABLE",
    [HD_FD_ID_SUSPECT] = "ID_SUSPECT",
    [HD_FD_APPLICATION_ID_REUSED] = "APPLICATION_ID_REUSED",
    [HD_FD_NEAR_MISS] = "NEAR_MISS",
};

/* The labels are the project's (SPEC §6 "Audit JSONL"); docs/reasons.md
 * lists them with what triggers each. */
static const char *const finding_labels[HD_FD__COUNT] = {
    [HD_FD_INCOME_OVER_STANDARD] = "家庭收入超过低保标准",
    [HD_FD_ASSETS_OVER_LIMIT] = "家庭金融资产超过规定限额",
    [HD_FD_VEHICLE_NON_EXEMPT] = "拥有非豁免机动车辆",
    [HD_FD_PROPERTY_MULTIPLE_HOMES] = "拥有多套住房",
    [HD_FD_PROPERTY_NON_RESIDENTIAL] = "拥有非住宅类房产",
    [HD_FD_PROPERTY_AREA_OVER] = "人均住房面积超过规定标准",
    [HD_FD_BUSINESS_ROLE] = "担任企业法定代表人、股东或出资人",
    [HD_FD_FUND_CONTRIBUTING] = "正在缴存住房公积金",
    [HD_FD_MEMBER_DECEASED] = "家庭成员已死亡",
    [HD_FD_DUPLICATE_APPLICATION] = "重复申请",
    [HD_FD_NAME_MISMATCH] = "姓名与数据源记录不一致",
    [HD_FD_SOURCE_INCOMPLETE] = "数据源不完整或已损坏",
    [HD_FD_APPLICANT_ROW_REJECTED] = "申请人信息行无法使用",
    [HD_FD_EVIDENCE_UNREADABLE] = "数据源中有该户成员的记录无法读取",
    [HD_FD_ID_SUSPECT] = "身份证号码疑被表格软件改动",
    [HD_FD_APPLICATION_ID_REUSED] = "申请编号被重复使用",
    [HD_FD_NEAR_MISS] = "数据源中有身份证号码疑似录错的同名记录",
};

int hd_finding_floor(hd_finding f)
{
    return f == HD_FD_SOURCE_INCOMPLETE || f == HD_FD_APPLICANT_ROW_REJECTED ||
           f == HD_FD_EVIDENCE_UNREADABLE || f == HD_FD_ID_SUSPECT ||
           f == HD_FD_APPLICATION_ID_REUSED;
}

const char *hd_finding_name(hd_finding f)
{
    return (unsigned)f < HD_FD__COUNT ? finding_names[f] : "UNKNOWN";
}

const char *hd_finding_label_zh(hd_finding f)
{
    return (unsigned)f < HD_FD__COUNT ? finding_labels[f] : "未知";
}

int hd_finding_parse(const char *name)
{
    if (!name) return -1;
    for (int f = 0; f < HD_FD__COUNT; f++)
        if (strcmp(name, finding_names[f]) == 0) return f;
    return -1;
}

const char *hd_verdict_name(hd_verdict v)
{
    switch (v) {
    case HD_V_ELIGIBLE: return "ELIGIBLE";
    case HD_V_REVIEW: return "REVIEW";
    case HD_V_INELIGIBLE: return "INELIGIBLE";
    }
    return "UNKNOWN";
}

const char *hd_verdict_label_zh(hd_verdict v)
{
    switch (v) {
    case HD_V_ELIGIBLE: return "符合";
    case HD_V_REVIEW: return "需人工复核";
    case HD_V_INELIGIBLE: return "不符合";
    }
    return "未知";
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(finding_names[*(const hd_finding *)a], finding_names[*(const hd_finding *)b]);
}

int hd_findings_sorted(uint32_t bits, hd_finding out[HD_FD__COUNT])
{
    int n = 0;
    for (int f = 0; f < HD_FD__COUNT; f++)
        if (bits & (1u << f)) out[n++] = (hd_finding)f;
    qsort(out, (size_t)n, sizeof *out, cmp_name);
    return n;
}

/* ------------------------------------------------------------ outcomes */

static const char *const oc_en[] = { "", "confirmed", "false_positive", "explained", "disputed" };
static const char *const oc_zh[] = { "", "属实", "误报", "已说明", "有异议" };

const char *hd_outcome_name(hd_verdict_outcome o) { return (unsigned)o <= HD_OC_DISPUTED ? oc_en[o] : ""; }
const char *hd_outcome_label_zh(hd_verdict_outcome o) { return (unsigned)o <= HD_OC_DISPUTED ? oc_zh[o] : ""; }

hd_verdict_outcome hd_outcome_parse(const char *s, size_t n)
{
    if (!s) return HD_OC_NONE;
    hd_trim(&s, &n);
    for (int i = 1; i <= HD_OC_DISPUTED; i++)
        if ((strlen(oc_en[i]) == n && !memcmp(s, oc_en[i], n)) || (strlen(oc_zh[i]) == n && !memcmp(s, oc_zh[i], n)))
            return (hd_verdict_outcome)i;
    return HD_OC_NONE;
}

