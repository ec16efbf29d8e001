/*
 * fields.c — the canonical fields of SPEC §3 "Canonical fields by kind":
 * their names, types, which kind has them (required or optional) and the
 * canonical value sets of coded fields.
 */
#include <string.h>
#include "hedui/record.h"

static const char *const kind_names[HD_KIND__COUNT] = {
    "applicants", "deposit", "vehicle", "property", "income",
    "pension", "fund", "business", "death",
};

const char *hd_kind_name(hd_kind k)
{
    return (unsigned)k < HD_KIND__COUNT ? kind_names[k] : "?";
}

int hd_kind_parse(const char *s)
{
    for (int k = 0; k < HD_KIND__COUNT; k++)
        if (strcmp(s, kind_names[k]) == 0) return k;
    return -1;
}

static const struct { const char *name; hd_ftype type; } fields[HD_F__COUNT] = {
    [HD_F_ID_NUMBER] = {"id_number", HD_T_ID},
    [HD_F_NAME] = {"name", HD_T_TEXT},
    [HD_F_APPLICATION_ID] = {"application_id", HD_T_TEXT},
    [HD_F_COUNTY_CODE] = {"county_code", HD_T_TEXT},
    [HD_F_AREA_TYPE] = {"area_type", HD_T_ENUM},
    [HD_F_MEMBER_NO] = {"member_no", HD_T_TEXT},
    [HD_F_RELATION] = {"relation", HD_T_ENUM},
    [HD_F_ASSISTANCE_TYPE] = {"assistance_type", HD_T_ENUM},
    [HD_F_DECLARED_INCOME] = {"declared_income", HD_T_MONEY},
    [HD_F_SUBMITTED] = {"submitted", HD_T_DATE},
    [HD_F_DISABILITY_GRADE] = {"disability_grade", HD_T_ENUM},
    [HD_F_BALANCE] = {"balance", HD_T_MONEY},
    [HD_F_OVER_LIMIT] = {"over_limit", HD_T_ENUM},
    [HD_F_INSTITUTION] = {"institution", HD_T_TEXT},
    [HD_F_ACCOUNT] = {"account", HD_T_CODE},
    [HD_F_PRODUCT] = {"product", HD_T_ENUM},
    [HD_F_AS_OF] = {"as_of", HD_T_DATE},
    [HD_F_PLATE] = {"plate", HD_T_CODE},
    [HD_F_VEHICLE_TYPE] = {"vehicle_type", HD_T_ENUM},
    [HD_F_USE] = {"use", HD_T_TEXT},
    [HD_F_REGISTERED] = {"registered", HD_T_DATE},
    [HD_F_STATUS] = {"status", HD_T_ENUM},
    [HD_F_VALUE] = {"value", HD_T_MONEY},
    [HD_F_CERT_NO] = {"cert_no", HD_T_CODE},
    [HD_F_REGION_CODE] = {"region_code", HD_T_TEXT},
    [HD_F_USAGE] = {"usage", HD_T_ENUM},
    [HD_F_AREA] = {"area", HD_T_AREA},
    [HD_F_SHARE] = {"share", HD_T_SHARE},
    [HD_F_PERIOD] = {"period", HD_T_PERIOD},
    [HD_F_INCOME] = {"income", HD_T_MONEY},
    [HD_F_INCOME_TYPE] = {"income_type", HD_T_ENUM},
    [HD_F_TAX] = {"tax", HD_T_MONEY},
    [HD_F_BENEFIT] = {"benefit", HD_T_MONEY},
    [HD_F_SCHEME] = {"scheme", HD_T_ENUM},
    [HD_F_DEPOSIT] = {"deposit", HD_T_MONEY},
    [HD_F_COMPANY] = {"company", HD_T_TEXT},
    [HD_F_CREDIT_CODE] = {"credit_code", HD_T_CODE},
    [HD_F_ROLE] = {"role", HD_T_ENUM},
    [HD_F_CAPITAL] = {"capital", HD_T_MONEY},
    [HD_F_DATE_OF_DEATH] = {"date_of_death", HD_T_DATE},
};

const char *hd_field_name(hd_fid f)
{
    return (unsigned)f < HD_F__COUNT ? fields[f].name : "?";
}

int hd_field_parse(const char *name)
{
    for (int f = 0; f < HD_F__COUNT; f++)
        if (strcmp(name, fields[f].name) == 0) return f;
    return -1;
}

hd_ftype hd_field_type(hd_fid f) { return fields[f].type; }

/* Roles: 2 required, 1 optional, 0 not in the kind (SPEC §3 table). */
#define R 2
#define O 1
static const unsigned char roles[HD_KIND__COUNT][HD_F__COUNT] = {
    [HD_KIND_APPLICANTS] = {
        [HD_F_APPLICATION_ID] = R, [HD_F_COUNTY_CODE] = R, [HD_F_AREA_TYPE] = R,
        [HD_F_MEMBER_NO] = R, [HD_F_ID_NUMBER] = R, [HD_F_NAME] = R, [HD_F_RELATION] = R,
        [HD_F_ASSISTANCE_TYPE] = O, [HD_F_DECLARED_INCOME] = O, [HD_F_SUBMITTED] = O,
        [HD_F_DISABILITY_GRADE] = O },
    [HD_KIND_DEPOSIT] = {
        [HD_F_ID_NUMBER] = R, [HD_F_BALANCE] = O, [HD_F_OVER_LIMIT] = O, [HD_F_NAME] = O,
        [HD_F_INSTITUTION] = O, [HD_F_ACCOUNT] = O, [HD_F_PRODUCT] = O, [HD_F_AS_OF] = O },
    [HD_KIND_VEHICLE] = {
        [HD_F_ID_NUMBER] = R, [HD_F_NAME] = O, [HD_F_PLATE] = O, [HD_F_VEHICLE_TYPE] = O,
        [HD_F_USE] = O, [HD_F_REGISTERED] = O, [HD_F_STATUS] = O, [HD_F_VALUE] = O },
    [HD_KIND_PROPERTY] = {
        [HD_F_ID_NUMBER] = R, [HD_F_NAME] = O, [HD_F_CERT_NO] = O, [HD_F_REGION_CODE] = O,
        [HD_F_USAGE] = O, [HD_F_AREA] = O, [HD_F_SHARE] = O, [HD_F_REGISTERED] = O,
        [HD_F_STATUS] = O },
    [HD_KIND_INCOME] = {
        [HD_F_ID_NUMBER] = R, [HD_F_INCOME] = R, [HD_F_NAME] = O, [HD_F_PERIOD] = O,
        [HD_F_INCOME_TYPE] = O, [HD_F_TAX] = O },
    [HD_KIND_PENSION] = {
        [HD_F_ID_NUMBER] = R, [HD_F_BENEFIT] = R, [HD_F_NAME] = O, [HD_F_PERIOD] = O,
        [HD_F_STATUS] = O, [HD_F_SCHEME] = O },
    [HD_KIND_FUND] = {
        [HD_F_ID_NUMBER] = R, [HD_F_DEPOSIT] = R, [HD_F_NAME] = O, [HD_F_PERIOD] = O,
        [HD_F_STATUS] = O },
    [HD_KIND_BUSINESS] = {
        [HD_F_ID_NUMBER] = R, [HD_F_NAME] = O, [HD_F_COMPANY] = O, [HD_F_CREDIT_CODE] = O,
        [HD_F_ROLE] = O, [HD_F_CAPITAL] = O, [HD_F_STATUS] = O },
    [HD_KIND_DEATH] = {
        [HD_F_ID_NUMBER] = R, [HD_F_DATE_OF_DEATH] = R, [HD_F_NAME] = O },
};
#undef R
#undef O

int hd_field_role(hd_kind k, hd_fid f)
{
    if ((unsigned)k >= HD_KIND__COUNT || (unsigned)f >= HD_F__COUNT) return 0;
    return roles[k][f];
}

static const char *const v_area[] = {"urban", "rural", NULL};
static const char *const v_assist[] = {"dibao", "tekun", "bianyuan", "linshi", NULL};
static const char *const v_relation[] = {"self", "spouse", "child", "parent", "sibling",
                                         "grandparent", "grandchild", "other", NULL};
static const char *const v_grade[] = {"1", "2", "3", "4", NULL};
static const char *const v_yesno[] = {"yes", "no", NULL};
static const char *const v_product[] = {"demand", "time", "wealth", "fund", "securities",
                                        "insurance", "other", NULL};
static const char *const v_vtype[] = {"car", "truck", "bus", "motorcycle", "tricycle",
                                      "agricultural", "disability", "other", NULL};
static const char *const v_vstatus[] = {"normal", "scrapped", "deregistered", "seized",
                                        "other", NULL};
static const char *const v_usage[] = {"residential", "commercial", "office", "industrial",
                                      "parking", "other", NULL};
static const char *const v_pstatus[] = {"valid", "mortgaged", "sealed", "cancelled", NULL};
static const char *const v_itype[] = {"wage", "business", "labour", "rent", "interest",
                                      "other", NULL};
static const char *const v_penstatus[] = {"active", "suspended", "stopped", NULL};
static const char *const v_scheme[] = {"employee", "resident", NULL};
static const char *const v_fstatus[] = {"active", "sealed", "closed", NULL};
static const char *const v_role[] = {"legal_rep", "shareholder", "executive", "owner", NULL};
static const char *const v_bstatus[] = {"active", "revoked", "cancelled", NULL};

const char *const *hd_field_values(hd_kind k, hd_fid f)
{
    switch (f) {
    case HD_F_AREA_TYPE: return v_area;
    case HD_F_ASSISTANCE_TYPE: return v_assist;
    case HD_F_RELATION: return v_relation;
    case HD_F_DISABILITY_GRADE: return v_grade;
    case HD_F_OVER_LIMIT: return v_yesno;
    case HD_F_PRODUCT: return v_product;
    case HD_F_VEHICLE_TYPE: return v_vtype;
    case HD_F_USAGE: return v_usage;
    case HD_F_INCOME_TYPE: return v_itype;
    case HD_F_SCHEME: return v_scheme;
    case HD_F_ROLE: return v_role;
    case HD_F_STATUS:
        switch (k) {
        case HD_KIND_VEHICLE: return v_vstatus;
        case HD_KIND_PROPERTY: return v_pstatus;
        case HD_KIND_PENSION: return v_penstatus;
        case HD_KIND_FUND: return v_fstatus;
        case HD_KIND_BUSINESS: return v_bstatus;
        default: return NULL;
        }
    default: return NULL;
    }
}

/* Chinese labels of the canonical values, index for index (the words a
 * county clerk writes and reads; the descriptors in formats/ map them, and
 * other spellings, to the codes). One table for every report that shows a
 * value to a clerk (results.xlsx). */
static const char *const z_area[] = {"城镇", "农村", NULL};
static const char *const z_assist[] = {"低保", "特困", "低保边缘", "临时救助", NULL};
static const char *const z_relation[] = {"本人", "配偶", "子女", "父母", "兄弟姐妹",
                                         "（外）祖父母", "（外）孙子女", "其他", NULL};
static const char *const z_grade[] = {"一级", "二级", "三级", "四级", NULL};
static const char *const z_yesno[] = {"是", "否", NULL};
static const char *const z_product[] = {"活期", "定期", "理财", "基金", "证券",
                                        "保险", "其他", NULL};
static const char *const z_vtype[] = {"小型汽车", "货车", "客车", "摩托车", "三轮汽车",
                                      "农用车", "残疾人专用车", "其他", NULL};
static const char *const z_vstatus[] = {"正常", "报废", "注销", "查封", "其他", NULL};
static const char *const z_usage[] = {"住宅", "商业", "办公", "工业", "车位", "其他", NULL};
static const char *const z_pstatus[] = {"现势", "抵押", "查封", "注销", NULL};
static const char *const z_itype[] = {"工资薪金", "经营所得", "劳务报酬", "财产租赁", "利息股息红利",
                                      "其他", NULL};
static const char *const z_penstatus[] = {"正常发放", "暂停发放", "终止发放", NULL};
static const char *const z_scheme[] = {"城镇职工基本养老保险", "城乡居民基本养老保险", NULL};
static const char *const z_fstatus[] = {"正常", "封存", "销户", NULL};
static const char *const z_role[] = {"法定代表人", "股东", "高级管理人员", "经营者", NULL};
static const char *const z_bstatus[] = {"存续", "吊销", "注销", NULL};

static const char *const *field_labels(hd_kind k, hd_fid f)
{
    const char *const *v = hd_field_values(k, f);
#define L(V, Z) if (v == V) return Z
    L(v_area, z_area); L(v_assist, z_assist); L(v_relation, z_relation); L(v_grade, z_grade);
    L(v_yesno, z_yesno); L(v_product, z_product); L(v_vtype, z_vtype); L(v_vstatus, z_vstatus);
    L(v_usage, z_usage); L(v_pstatus, z_pstatus); L(v_itype, z_itype); L(v_penstatus, z_penstatus);
    L(v_scheme, z_scheme); L(v_fstatus, z_fstatus); L(v_role, z_role); L(v_bstatus, z_bstatus);
#undef L
    return NULL;
}

const char *hd_field_value_label_zh(hd_kind k, hd_fid f, int i)
{
    const char *const *v = hd_field_values(k, f), *const *z = field_labels(k, f);
    if (!v || !z || i < 0) return "";
    for (int j = 0; j <= i; j++)
        if (!v[j]) return "";
    return z[i];
}

static const char *const kind_labels[HD_KIND__COUNT] = {
    "申请", "存款", "车辆", "房产", "收入", "养老金", "住房公积金", "企业", "死亡",
};

const char *hd_kind_label_zh(hd_kind k)
{
    return (unsigned)k < HD_KIND__COUNT ? kind_labels[k] : "";
}

int hd_field_value_index(hd_kind k, hd_fid f, const char *s, size_t n)
{
    const char *const *vals = hd_field_values(k, f);
    if (!vals) return -1;
    for (int i = 0; vals[i]; i++)
        if (strlen(vals[i]) == n && memcmp(vals[i], s, n) == 0) return i;
    return -1;
}
