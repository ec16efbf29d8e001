/*
 * hedui/record.h — canonical fields and canonical records (SPEC §3
 * "Canonical fields by kind").
 *
 * A format descriptor maps a provider's columns onto canonical fields; the
 * reader turns every row into an hd_record whose values are typed and in
 * engine units: money in fen (int64), area in hundredths of m² (int64),
 * shares in basis points, dates as hd_date, periods as YYYYMM / YYYY00,
 * coded values as small integers (the index of the canonical value in
 * hd_field_values()), strings as UTF-8 text.
 *
 * Thread-safety: the tables are constant; records belong to their creator.
 */
#ifndef HEDUI_RECORD_H
#define HEDUI_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "hedui/text.h"
#include "hedui/ident.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hd_kind {
    HD_KIND_APPLICANTS = 0,
    HD_KIND_DEPOSIT,
    HD_KIND_VEHICLE,
    HD_KIND_PROPERTY,
    HD_KIND_INCOME,
    HD_KIND_PENSION,
    HD_KIND_FUND,
    HD_KIND_BUSINESS,
    HD_KIND_DEATH,
    HD_KIND__COUNT
} hd_kind;

/* The name of a kind ("applicants", "deposit", ...) and the kind of a name.
 * @return hd_kind_name: the name in static storage, "?" for a value out of
 *         range; hd_kind_parse: the kind whose name is exactly s, or -1. */
const char *hd_kind_name(hd_kind k);
int hd_kind_parse(const char *s);

/* Canonical fields; one list for every kind (a field name may belong to
 * several kinds, e.g. status: its canonical values then depend on kind). */
typedef enum hd_fid {
    HD_F_ID_NUMBER = 0, HD_F_NAME,
    /* applicants */
    HD_F_APPLICATION_ID, HD_F_COUNTY_CODE, HD_F_AREA_TYPE, HD_F_MEMBER_NO,
    HD_F_RELATION, HD_F_ASSISTANCE_TYPE, HD_F_DECLARED_INCOME, HD_F_SUBMITTED,
    HD_F_DISABILITY_GRADE,
    /* deposit */
    HD_F_BALANCE, HD_F_OVER_LIMIT, HD_F_INSTITUTION, HD_F_ACCOUNT, HD_F_PRODUCT,
    HD_F_AS_OF,
    /* vehicle */
    HD_F_PLATE, HD_F_VEHICLE_TYPE, HD_F_USE, HD_F_REGISTERED, HD_F_STATUS,
    HD_F_VALUE,
    /* property */
    HD_F_CERT_NO, HD_F_REGION_CODE, HD_F_USAGE, HD_F_AREA, HD_F_SHARE,
    /* income, pension, fund */
    HD_F_PERIOD, HD_F_INCOME, HD_F_INCOME_TYPE, HD_F_TAX, HD_F_BENEFIT,
    HD_F_SCHEME, HD_F_DEPOSIT,
    /* business */
    HD_F_COMPANY, HD_F_CREDIT_CODE, HD_F_ROLE, HD_F_CAPITAL,
    /* death */
    HD_F_DATE_OF_DEATH,
    /* applicants (SPEC §10): the date a recipient's assistance began or a
     * household entered monitoring; read and checked, not judged */
    HD_F_SINCE,
    HD_F__COUNT
} hd_fid;

/* The type of a canonical field, which decides its parser and its unit. */
typedef enum hd_ftype {
    HD_T_ID = 1,   /* id_number: hd_id_normalise or hd_token_normalise */
    HD_T_TEXT,     /* free text (name, institution, company...) */
    HD_T_CODE,     /* identifier text where spreadsheet damage matters
                      (account, plate, cert_no): EXCEL_MANGLED checked */
    HD_T_ENUM,     /* canonical value set, mapped via [values] */
    HD_T_MONEY,    /* fen; [units] fen|yuan|wan required */
    HD_T_DATE,     /* hd_date; [units] strptime formats, default %Y-%m-%d|%Y%m%d */
    HD_T_PERIOD,   /* YYYYMM or YYYY00 */
    HD_T_AREA,     /* hundredths of m²; [units] m2 */
    HD_T_SHARE     /* basis points; [units] bp|percent|fraction; empty = 10000 */
} hd_ftype;

/* Name of a field ("id_number", ...), lookup by name, and the field's type.
 * @return hd_field_name: the name in static storage, "?" for a value out
 *         of range; hd_field_parse: the field whose name is exactly `name`,
 *         or -1; hd_field_type: the type of f (f must be a field). */
const char *hd_field_name(hd_fid f);
int hd_field_parse(const char *name);
hd_ftype hd_field_type(hd_fid f);

/* Whether field f belongs to kind k. The deposit kind requires balance OR
 * over_limit (checked by the descriptor loader).
 * @return 2 if f is required in k; 1 if it is optional there; 0 if k has
 *         no such field (or k or f is out of range). */
int hd_field_role(hd_kind k, hd_fid f);

/* NULL-terminated list of canonical values of an enum field in a kind
 * (e.g. status in vehicle: normal, scrapped, deregistered, seized, other);
 * the code stored in a record is the index in this list.
 * @return the list (static storage), or NULL if f is not an enum there. */
const char *const *hd_field_values(hd_kind k, hd_fid f);
/* Index of value s[0..n) in that list (exact bytes, no trimming).
 * @return the index, or -1 when s is not in the list or f has none. */
int hd_field_value_index(hd_kind k, hd_fid f, const char *s, size_t n);

/*
 * The Chinese label of canonical value i of an enum field in a kind, as a
 * county clerk writes it (self -> 本人, dibao -> 低保, urban -> 城镇).
 * @return static UTF-8 text; "" when f is not an enum there or i is out of
 * range.
 */
const char *hd_field_value_label_zh(hd_kind k, hd_fid f, int i);
/*
 * The Chinese name of a kind (deposit -> 存款).
 * @return static UTF-8 text; "" for an unknown kind.
 */
const char *hd_kind_label_zh(hd_kind k);

/* Canonical value codes used by the rules (indexes in hd_field_values). */
enum { HD_AREA_URBAN = 0, HD_AREA_RURAL = 1 };
enum { HD_ASSIST_DIBAO = 0, HD_ASSIST_TEKUN, HD_ASSIST_BIANYUAN, HD_ASSIST_LINSHI, HD_ASSIST__COUNT };
enum { HD_REL_SELF = 0, HD_REL_SPOUSE, HD_REL_CHILD, HD_REL_PARENT, HD_REL_SIBLING,
       HD_REL_GRANDPARENT, HD_REL_GRANDCHILD, HD_REL_OTHER };
enum { HD_YES = 0, HD_NO = 1 };                              /* over_limit */
enum { HD_VT_CAR = 0, HD_VT_TRUCK, HD_VT_BUS, HD_VT_MOTORCYCLE, HD_VT_TRICYCLE,
       HD_VT_AGRICULTURAL, HD_VT_DISABILITY, HD_VT_OTHER, HD_VT__COUNT };
enum { HD_VS_NORMAL = 0, HD_VS_SCRAPPED, HD_VS_DEREGISTERED, HD_VS_SEIZED, HD_VS_OTHER };
enum { HD_US_RESIDENTIAL = 0, HD_US_COMMERCIAL, HD_US_OFFICE, HD_US_INDUSTRIAL,
       HD_US_PARKING, HD_US_OTHER, HD_US__COUNT };
enum { HD_PS_VALID = 0, HD_PS_MORTGAGED, HD_PS_SEALED, HD_PS_CANCELLED };
enum { HD_PEN_ACTIVE = 0, HD_PEN_SUSPENDED, HD_PEN_STOPPED };
enum { HD_SCHEME_EMPLOYEE = 0, HD_SCHEME_RESIDENT, HD_SCHEME__COUNT };
enum { HD_FUND_ACTIVE = 0, HD_FUND_SEALED, HD_FUND_CLOSED };
enum { HD_ROLE_LEGAL_REP = 0, HD_ROLE_SHAREHOLDER, HD_ROLE_EXECUTIVE, HD_ROLE_OWNER };
enum { HD_BS_ACTIVE = 0, HD_BS_REVOKED, HD_BS_CANCELLED };

/* One typed value. `present` is 0 for an unknown (empty or absent) cell. */
typedef struct hd_value {
    uint8_t present;
    int64_t i;          /* money fen, area 0.01 m², share bp, date, period,
                           enum code, disability grade */
    const char *s;      /* text (HD_T_TEXT, HD_T_CODE, HD_T_ID as normalised
                           ID or token); NUL-terminated; owner: see record */
    uint32_t n;         /* length of s */
} hd_value;

/*
 * A canonical record: the row being read, and what a reader of the model
 * gets. While a row is being read, the string values point into the
 * reader's buffers. A matched extract row is kept in the model in a compact
 * stored form (hd_model_add_record, hedui/model.h: present fields only)
 * and expanded back into an hd_record by hd_model_record, its strings then
 * pointing into the model. 1,304 bytes: a scratch or stack object, not a
 * storage format.
 */
typedef struct hd_record {
    uint8_t kind;        /* hd_kind */
    uint16_t source;     /* source index in the job (extracts) */
    uint32_t file;       /* input file index in the run */
    uint64_t line;       /* physical line where the row starts */
    uint32_t member;     /* matched member index (extracts) */
    uint32_t findings;   /* bit (1u << hd_finding) for each finding this
                            record is evidence of; set by the rules */
    hd_value v[HD_F__COUNT];
} hd_record;

#ifdef __cplusplus
}
#endif
#endif
