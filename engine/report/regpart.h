/*
 * regpart.h — the register's part of the finished run (SPEC §9): every
 * finding of every household with its finding id, evidence digest,
 * strength and suppression, as register/findings.c worked them out before
 * the writers ran; and the writers of the files made from it
 * (county/<code>/findings.csv, register/{run,households,findings}.csv,
 * audit/findings.jsonl, the findings sheet, summary.json's "suppressed").
 * Data and readers only: nothing here reaches the register database, so the
 * writers (report/) read it without calling into register/.
 * Thread-safe for reading.
 */
#ifndef HEDUI_REPORT_REGPART_H
#define HEDUI_REPORT_REGPART_H
#include "hedui/register.h"
#include "report/out.h"
#include "report/results.h"

typedef struct hd_reg_finding {
    const hd_register_outcome *by; /* the suppressing outcome */
    uint32_t household;
    uint32_t member;               /* HD_NONE: household-level */
    uint32_t record;               /* first evidence record, HD_NONE */
    hd_date first_seen;            /* as_of of the run that first raised this
                                      id (the snapshot), HD_DATE_NONE: new */
    uint16_t source;               /* UINT16_MAX: none */
    uint8_t code;                  /* hd_finding */
    uint8_t lead;                  /* 1: would not be raised without lead evidence */
    uint8_t outcome;               /* hd_outcome after strength */
    uint8_t suppressed;
    /* the finding id and the evidence digest as bytes (80 bytes a finding
     * where their hex took 128): hd_reg_finding_hex writes them as text */
    unsigned char id[16];
    unsigned char digest[32];
} hd_reg_finding;

typedef struct hd_reg_state {
    char path[4096];               /* the register file */
    hd_register_snapshot *snap;    /* owned by register/; read there only */
    char snapshot_digest[65];      /* its digest, for the files and the manifest */
    unsigned char key[32];         /* the register key */
    hd_reg_finding *f; uint32_t nf, capf;
    uint32_t *first;               /* per household: its findings are f[first[h] .. first[h+1]) */
    uint64_t suppressed[HD_FD__COUNT];
    /* (record, finding) for every evidence record of a suppressed finding,
     * sorted by record then finding: what members.csv shows apart */
    struct hd_reg_sup { uint32_t record, finding; } *sup; uint32_t nsup, capsup;
    char outcomes_digest[65];      /* SHA-256 of the outcomes applied */
} hd_reg_state;

/* The headers (without "\n") of the run directory's register/ files, which
 * `hedui register rebuild` reads back (register/db.c). */
#define HD_REG_RUN_HEADER "run,as_of,input_digest,policy_digest,key_id,snapshot_digest,outcomes_digest,households,findings"
#define HD_REG_HH_HEADER "household,county_code,application_id,population,verdict,reasons,standard_fen," \
    "household_income_fen,income_per_capita_fen,assets_fen,assets_per_capita_fen,homes,residential_area,vehicles,businesses"
#define HD_REG_FD_HEADER "finding_id,household,county_code,application_id,member_no,code,member,source,strength,outcome,state,evidence_digest"

/* county/<code>/findings.csv of county c. @return HD_OK, HD_EIO. */
int hd_reg_write_county(const hd_results *st, const char *dir, uint32_t c, hd_error *err);
/* register/run.csv, register/households.csv, register/findings.csv and
 * audit/findings.jsonl. @return HD_OK, HD_EIO. */
int hd_reg_write_run(const hd_results *st, const char *dir, hd_error *err);
/* `  "suppressed": {CODE: n, ...},\n` for summary.json. */
void hd_reg_summary_json(const hd_results *st, hd_out *o);
/* The 核查结果 rows of county c, one callback per row (the workbook). */
typedef void (*hd_reg_row_fn)(void *user, uint32_t row, const char *const cells[13]);
void hd_reg_county_rows(const hd_results *st, uint32_t c, hd_reg_row_fn fn, void *user);
/* @return the 13 column names of findings.csv and the findings sheet. */
const char *const *hd_reg_county_header(void);
/* The suppressed finding of code `code` that record `record` is evidence
 * of, or NULL; and the member-level one (DUPLICATE_APPLICATION) of member
 * `member`. Reentrant; NULL without a register state. */
const hd_reg_finding *hd_reg_record_suppressed(const hd_results *st, uint32_t record, int code);
const hd_reg_finding *hd_reg_member_suppressed(const hd_results *st, uint32_t member, int code);
/* The finding id (32 lower-case hex + NUL) and the evidence digest (64 +
 * NUL) of f as the files write them; NULL leaves one out. */
void hd_reg_finding_hex(const hd_reg_finding *f, char id[33], char digest[65]);
/* "suppressed CODE (false_positive 2026-11-29 until 2026-12-31)" into out. */
void hd_reg_suppressed_text(const hd_reg_finding *f, char *out, size_t cap);
#endif
