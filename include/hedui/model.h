/*
 * hedui/model.h — applicant households and members, their matched extract
 * records, and the join index (XXH3 over the normalised ID, or the token).
 *
 * Shapes: households and members are arrays indexed by uint32; a
 * household's members are members[first_member .. first_member+nmembers).
 * Matched extract records are numbered 0 .. hd_model_nrecords(m) - 1 in
 * the fixed order (source order of the job, file order, line order) so
 * that every output is byte-identical whatever the thread count; each
 * member lists the numbers of its records (member.records).
 *
 * Records are stored compactly (present fields only, varint-encoded, in
 * the model's arena; 30 to 80 bytes for a typical row instead of the
 * 1,304 of an hd_record) and are not reachable as hd_record structs:
 * hd_model_record expands one into a caller's hd_record, hd_model_findings
 * and hd_model_set_findings read and write its evidence bits.
 *
 * Memory: the model owns every string it points to and every stored
 * record (an arena freed by hd_model_free). Thread-safety: after loading,
 * the index and the household/member arrays are read-only and may be
 * probed by many threads; reading records (hd_model_record,
 * hd_model_findings) is safe from many threads while nobody adds records
 * or sets findings.
 */
#ifndef HEDUI_MODEL_H
#define HEDUI_MODEL_H

#include <stdint.h>
#include "hedui/record.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HD_NONE UINT32_MAX

typedef struct hd_member {    /* 152 bytes: fields ordered to leave no holes */
    uint32_t household;
    uint32_t file;             /* applicant file index */
    uint64_t line;             /* applicant row line */
    hd_id id;                  /* normalised ID (valid when usable) */
    char token[65];            /* member token (usable members) */
    uint8_t relation;          /* HD_REL_*, HD_REL_OTHER when unknown */
    uint8_t duplicate;         /* ID in another application of the run */
    hd_reason rejected;        /* HD_R_NONE when usable (joined) */
    uint32_t next_same_id;     /* next usable member with this ID, or HD_NONE */
    const char *name;          /* as submitted, UTF-8; "" when missing */
    const char *member_no;
    int64_t declared_income;   /* fen per month; 0 when unknown/rejected */
    uint32_t *records;         /* its record numbers, ascending (hd_model_record);
                                  in the model's arena, not malloc'd */
    uint32_t nrecords, caprecords;
} hd_member;

typedef struct hd_household {
    const char *county_code;   /* 6 digits as submitted */
    const char *application_id;
    uint8_t assistance_type;   /* HD_ASSIST_* */
    uint8_t area_type;         /* HD_AREA_* */
    uint32_t first_member, nmembers;
    uint32_t file;             /* applicant file index of its first row */
    uint8_t row_rejected;      /* a member row was quarantined */
    char token[65];            /* household token */
} hd_household;

typedef struct hd_index hd_index;
typedef struct hd_stored_record hd_stored_record;   /* compact form; model.c */

typedef struct hd_model {
    hd_household *households; uint32_t nhouseholds, caphouseholds;
    hd_member *members;       uint32_t nmembers, capmembers;
    hd_stored_record **stored; uint32_t nrecords, caprecords;   /* use hd_model_record */
    hd_index *by_id;          /* normalised ID -> first member */
    hd_index *by_token;       /* member token -> first member */
    struct hd_arena *arena;   /* owns strings */
} hd_model;

/* Creates an empty model. NULL on out of memory. */
hd_model *hd_model_new(void);
void hd_model_free(hd_model *m);

/* Copies n bytes of s (plus NUL) into the model's arena. */
const char *hd_model_strdup(hd_model *m, const char *s, size_t n);

/* Builds both join indexes over the usable members (call once, after all
 * applicants are loaded); also sets member.duplicate for IDs found in two
 * or more different households. HD_ESOFTWARE on out of memory. */
int hd_model_index(hd_model *m, hd_error *err);

/* First usable member with this normalised ID / token (64 hex), or
 * HD_NONE; follow members[i].next_same_id for the others. Thread-safe. */
uint32_t hd_model_find_id(const hd_model *m, const char *id18);
uint32_t hd_model_find_token(const hd_model *m, const char *token64);

/* Appends a copy of rec as record number hd_model_nrecords(m) and to its
 * member's list; rec->member must be set. Only present fields are kept;
 * text is kept for the string fields (HD_T_ID, HD_T_TEXT, HD_T_CODE) only,
 * so an integer field reads back with s = NULL. Not thread-safe: the batch
 * calls it (or its per-file form) while merging, in the fixed order.
 * HD_ESOFTWARE on out of memory or a member out of range. */
int hd_model_add_record(hd_model *m, const hd_record *rec, hd_error *err);

/* Number of matched records. */
uint32_t hd_model_nrecords(const hd_model *m);

/* Expands record i (< hd_model_nrecords) into *out: every field, absent
 * ones with present = 0, i = 0, s = NULL; strings point into the model
 * (its arena or its members' id, token and name; valid until
 * hd_model_free, NUL-terminated); out->findings as last set.
 * Changing *out changes nothing in the model. Costs about one memset of an
 * hd_record (1,304 bytes). */
void hd_model_record(const hd_model *m, uint32_t i, hd_record *out);

/* The finding bits (1u << hd_finding) record i is evidence of, without
 * expanding it; and setting them (the rules do, per household). */
uint32_t hd_model_findings(const hd_model *m, uint32_t i);
void hd_model_set_findings(hd_model *m, uint32_t i, uint32_t bits);

/* Replaces record i by a copy of rec (rec->member must be unchanged); the
 * old copy's bytes stay in the arena until hd_model_free. For tools and
 * tests that amend a record. HD_ESOFTWARE when i or the member is wrong or
 * on out of memory. */
int hd_model_replace_record(hd_model *m, uint32_t i, const hd_record *rec, hd_error *err);

#ifdef __cplusplus
}
#endif
#endif
