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

/* A member: 104 bytes (x86-64), fields ordered to leave no holes. At
 * province scale (about 1.3 million) this array is the largest single
 * block of memory after the extracts' matched records (docs/performance.md
 * "Memory at province scale"): add a field only with its cost in mind. */
typedef struct hd_member {
    uint32_t household;        /* its applicant file: households[household].file */
    uint32_t line;             /* applicant row line; UINT32_MAX for a line
                                  beyond 4,294,967,294 */
    const char *name;          /* as submitted, UTF-8; "" when missing */
    const char *member_no;
    int64_t declared_income;   /* fen per month; 0 when unknown/rejected */
    uint32_t *records;         /* its record numbers, ascending (hd_model_record);
                                  in the model's arena, not malloc'd; room for
                                  the next power of two >= max(2, nrecords) */
    unsigned char token[32];   /* member token as the 32 bytes of the HMAC
                                  (usable members; all zero otherwise); the
                                  text form of SPEC §5 is hd_hex(token, 32, out)
                                  or hd_member_token_hex */
    hd_id id;                  /* normalised ID (valid when usable) */
    uint8_t relation;          /* HD_REL_*, HD_REL_OTHER when unknown (a
                                  rejected row without HD_MP_RELATION) */
    uint8_t duplicate;         /* ID in another application of the run */
    uint8_t rejected;          /* hd_reason: HD_R_NONE when usable (joined) */
    uint8_t rejected_field;    /* a rejected row: 1 + the hd_fid of the cell
                                  at fault, 0 when not one cell's */
    uint8_t parsed;            /* a rejected row: what its cells still gave,
                                  HD_MP_ID (id valid) | HD_MP_RELATION */
    uint32_t next_same_id;     /* next usable member with this ID, or HD_NONE */
    uint32_t nrecords;
} hd_member;

/* The population a household was submitted in (SPEC §10): applicants
 * ([job] applicants), current recipients ([job] roster) and the monitored
 * low-income population ([job] monitor). An application (county_code,
 * application_id) is judged once, in the first of these it appears in. */
typedef enum hd_population {
    HD_POP_APPLICANT = 0, HD_POP_RECIPIENT, HD_POP_MONITORED, HD_POP__COUNT
} hd_population;

/* The name of population `pop` as the households.csv column writes it and
 * its Chinese label. Thread-safe.
 * @return "applicant", "recipient", "monitored" / 申请, 在保, 监测 (static
 *         storage); "unknown" / 未知 out of range. */
const char *hd_population_name(int pop);
const char *hd_population_label_zh(int pop);
enum { HD_MP_ID = 1, HD_MP_RELATION = 2 };

/* A household: 64 bytes (x86-64). */
typedef struct hd_household {
    const char *county_code;   /* 6 digits as submitted */
    const char *application_id;
    uint32_t first_member, nmembers;
    uint32_t file;             /* applicant file index of its first row */
    uint8_t assistance_type;   /* HD_ASSIST_* */
    uint8_t area_type;         /* HD_AREA_* */
    uint8_t row_rejected : 1;  /* a member row was quarantined */
    uint8_t population : 2;    /* hd_population (SPEC §10); bit-fields keep
                                  the household at 64 bytes */
    uint8_t flags;             /* HD_HF_* (SPEC §7), set by the batch */
    unsigned char token[32];   /* household token, the 32 bytes of the HMAC
                                  (text: hd_hex or hd_household_token_hex) */
} hd_household;

/* hd_household.flags: what the batch learnt about a household's evidence
 * (SPEC §7); hd_judge raises the finding of the same name. */
enum {
    HD_HF_EVIDENCE_UNREADABLE = 1,  /* a quarantined extract row carries a
                                       member's ID or token */
    HD_HF_ID_SUSPECT = 2,           /* a member's ID ends in 000 in an
                                       applicant file with spreadsheet damage */
    HD_HF_APPLICATION_ID_REUSED = 4,/* a later applicant file reused its id */
    HD_HF_NEAR_MISS = 8             /* SPEC §9: an ID_CHECK extract row is one
                                       typo from a member's ID, same name */
};

/* The lower-case hex text of a member's / household's token (SPEC §5), 64
 * characters + NUL, into out[65]. Reentrant.
 * @return out. */
char *hd_member_token_hex(const hd_member *mb, char out[65]);
char *hd_household_token_hex(const hd_household *h, char out[65]);

typedef struct hd_index hd_index;
typedef struct hd_stored_record hd_stored_record;   /* compact form; model.c */

typedef struct hd_model {
    hd_household *households; uint32_t nhouseholds, caphouseholds;
    hd_member *members;       uint32_t nmembers, capmembers;
    hd_stored_record **stored; uint32_t nrecords, caprecords;   /* use hd_model_record */
    hd_index *by_id;          /* normalised ID -> first member */
    hd_index **token_maps;    /* provider token -> first member, one map per
                                 provider key (hd_model_index_tokens) */
    int ntoken_maps;
    struct hd_arena *arena;   /* owns strings */
} hd_model;

/* Creates an empty model (free with hd_model_free).
 * @return the model, or NULL on out of memory. */
hd_model *hd_model_new(void);
void hd_model_free(hd_model *m);

/* Copies n bytes of s (plus NUL) into the model's arena; s NULL: "".
 * @return the copy (valid until hd_model_free), or NULL on out of memory. */
const char *hd_model_strdup(hd_model *m, const char *s, size_t n);

/* Builds the ID join index over the usable members (call once, after all
 * applicants are loaded; 16 bytes a member); also sets member.duplicate
 * for IDs found in two or more different households that are not of the
 * monitored population (SPEC §10: a monitored household neither raises
 * nor gets DUPLICATE_APPLICATION), and shrinks the
 * member and household arrays to fit.
 * @return HD_OK, or HD_ESOFTWARE on out of memory. */
int hd_model_index(hd_model *m, hd_error *err);

/* Frees the join indexes (the ID index and every token index) once no
 * extract row is left to join, before the households are judged: 16 bytes
 * a member, 48 more per token index, out of the run's peak (the memory
 * target per member of issues 14 and 17, docs/performance.md). hd_model_find_id and
 * hd_model_find_token return HD_NONE after it; the members' next_same_id
 * chains and duplicate marks stay. Not thread-safe. */
void hd_model_index_release(hd_model *m);

/*
 * Builds a token join index for extracts tokenised with `key` (a
 * provider's derived key, SPEC §8; after hd_model_index): each usable
 * member's token HMAC-SHA256(key, "hedui:v2:member:" + ID) and a table over
 * them, 48 bytes a member. Its number goes to *map for
 * hd_model_find_token (0, 1, ... in the order of the calls). The members'
 * own token (the audit token) is not used for any join. Not thread-safe.
 * @return HD_OK; HD_ESOFTWARE on out of memory (*map = -1).
 */
int hd_model_index_tokens(hd_model *m, const hd_key *key, int *map, hd_error *err);

/* First usable member with this normalised ID, or with this token (64
 * hex digits, lower case, as hd_token_normalise gives) in token map `map`;
 * follow members[i].next_same_id for the others. Thread-safe.
 * @return the member's index, or HD_NONE when none has it (also before the
 *         index is built, for a map that does not exist, or a token that
 *         is not 64 lower-case hex digits). */
uint32_t hd_model_find_id(const hd_model *m, const char *id18);
uint32_t hd_model_find_token(const hd_model *m, int map, const char *token64);

/* Asks the cache for the part of the ID index that hd_model_find_id(m,
 * id18) reads first, so that the probe made later (after the rest of the
 * row is read) does not wait on memory: at province scale the index is
 * larger than the caches and most probes miss. Changes no result; nothing
 * before the index is built. Thread-safe.
 * @return the key's hash, for hd_model_find_id_hashed (the probe then does
 *         not hash the ID again). */
uint64_t hd_model_prefetch_id(const hd_model *m, const char *id18);
/* hd_model_find_id(m, id18) with h = hd_model_prefetch_id(m, id18).
 * @return as hd_model_find_id. */
uint32_t hd_model_find_id_hashed(const hd_model *m, const char *id18, uint64_t h);

/* Appends a copy of rec as record number hd_model_nrecords(m) and to its
 * member's list; rec->member must be set. Only present fields are kept;
 * text is kept for the string fields (HD_T_ID, HD_T_TEXT, HD_T_CODE) only,
 * so an integer field reads back with s = NULL. Not thread-safe: the batch
 * calls it (or its per-file form) while merging, in the fixed order.
 * @return HD_OK, or HD_ESOFTWARE on out of memory, a member out of range,
 *         or when the model already holds UINT32_MAX records. */
int hd_model_add_record(hd_model *m, const hd_record *rec, hd_error *err);

/* @return the number of matched records. */
uint32_t hd_model_nrecords(const hd_model *m);

/* Expands record i (< hd_model_nrecords) into *out: every field, absent
 * ones with present = 0, i = 0, s = NULL; strings point into the model
 * (its arena or its members' id and name; valid until hd_model_free,
 * NUL-terminated); out->findings as last set.
 * Changing *out changes nothing in the model. Costs about one memset of an
 * hd_record (1,304 bytes). */
void hd_model_record(const hd_model *m, uint32_t i, hd_record *out);

/* The finding bits (1u << hd_finding) record i (< hd_model_nrecords) is
 * evidence of, without expanding it; and setting them (the rules do, per
 * household).
 * @return hd_model_findings: the bits as last set (rec->findings when the
 *         record was added). */
uint32_t hd_model_findings(const hd_model *m, uint32_t i);
void hd_model_set_findings(hd_model *m, uint32_t i, uint32_t bits);

/* Replaces record i by a copy of rec (rec->member must be unchanged); the
 * old copy's bytes stay in the arena until hd_model_free. For tools and
 * tests that amend a record.
 * @return HD_OK, or HD_ESOFTWARE when i is out of range, rec->member is not
 *         the record's member, or memory runs out. */
int hd_model_replace_record(hd_model *m, uint32_t i, const hd_record *rec, hd_error *err);

#ifdef __cplusplus
}
#endif
#endif
