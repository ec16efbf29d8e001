/*
 * reg_run.h — the register's part in a run (SPEC §9): the snapshot read
 * at the start, the findings of every household with their finding ids,
 * evidence digests, strength and suppression, and the files the run writes
 * for the register and for the counties (county/<code>/findings.csv).
 * Called by batch.c and report/reports.c only; reads the finished run.
 */
#ifndef HEDUI_REGISTER_REG_RUN_H
#define HEDUI_REGISTER_REG_RUN_H
#include "report/results.h"
#include "hedui/register.h"
#include "report/out.h"

typedef struct hd_reg_finding {
    uint32_t household;
    uint32_t member;               /* HD_NONE: household-level */
    uint32_t record;               /* first evidence record, HD_NONE */
    uint16_t source;               /* UINT16_MAX: none */
    uint8_t code;                  /* hd_finding */
    uint8_t lead;                  /* 1: would not be raised without lead evidence */
    uint8_t outcome;               /* hd_outcome after strength */
    uint8_t suppressed;
    char id[33];
    char digest[65];
    const hd_register_outcome *by; /* the suppressing outcome */
} hd_reg_finding;

typedef struct hd_reg_state {
    char path[4096];               /* the register file */
    hd_register_snapshot *snap;
    unsigned char key[32];         /* the register key */
    hd_reg_finding *f; uint32_t nf, capf;
    uint32_t *first;               /* per household: its findings are f[first[h] .. first[h+1]) */
    uint64_t suppressed[HD_FD__COUNT];
    /* (record, finding) for every evidence record of a suppressed finding,
     * sorted by record then finding: what members.csv shows apart */
    struct hd_reg_sup { uint32_t record, finding; } *sup; uint32_t nsup, capsup;
    char outcomes_digest[65];      /* SHA-256 of the outcomes applied */
} hd_reg_state;

/* At the start of a run, after the job and the key are loaded: the
 * register's path ([job] register, default OUTPUT/register.db), its key and
 * its snapshot (read once). HD_ECONFIG newer schema, HD_ETEMPFAIL, HD_EIO. */
int hd_reg_begin(hd_results *st, hd_error *err);
/* After every household is judged: findings, strength, suppression; the
 * kept judgements' findings and verdicts are updated. */
int hd_reg_judge(hd_results *st, hd_error *err);
/* county/<code>/findings.csv of county c. */
int hd_reg_write_county(const hd_results *st, const char *dir, uint32_t c, hd_error *err);
/* register/run.csv, register/households.csv, register/findings.csv. */
int hd_reg_write_run(const hd_results *st, const char *dir, hd_error *err);
/* `  "suppressed": {CODE: n, ...},\n` for summary.json. */
void hd_reg_summary_json(const hd_results *st, hd_out *o);
/* The 核查结果 rows of county c, one callback per row (the workbook). */
typedef void (*hd_reg_row_fn)(void *user, uint32_t row, const char *const cells[13]);
void hd_reg_county_rows(const hd_results *st, uint32_t c, hd_reg_row_fn fn, void *user);
const char *const *hd_reg_county_header(void);
void hd_reg_free(hd_results *st);
/* The suppressed finding of code `code` that record `record` is evidence
 * of, or NULL; and the member-level one (DUPLICATE_APPLICATION) of member
 * `member`. Reentrant; NULL without a register state. */
const hd_reg_finding *hd_reg_record_suppressed(const hd_results *st, uint32_t record, int code);
const hd_reg_finding *hd_reg_member_suppressed(const hd_results *st, uint32_t member, int code);
/* "suppressed CODE (false_positive 2026-11-29 until 2026-12-31)" into out. */
void hd_reg_suppressed_text(const hd_reg_finding *f, char *out, size_t cap);
#endif
