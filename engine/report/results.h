/*
 * results.h — a finished run, as a value: what `hedui run` (and a merge of
 * parts, and the index builder) knows once every household is judged.
 *
 * The pipeline (engine/batch/) builds it step by step; once the judge and
 * the register's suppression are done, nothing changes it again: the
 * writers (report/), the register's record and the index only read it,
 * and none of them calls back into the pipeline. Read by several threads at
 * once (the writers run in parallel): every reader takes it const.
 *
 * What it holds: the job's identity (job, policy, keys and key ids), the
 * model (households, members, matched records), the judgements, the
 * per-file results (ledger, damage, quarantine), the sources, the inputs
 * with their digests, the output order (counties, households by county),
 * the change report and the re-check and discovery lists, and the
 * register's findings (ids, strength, suppression).
 */
#ifndef HEDUI_REPORT_RESULTS_H
#define HEDUI_REPORT_RESULTS_H

#include "hedui/batch.h"
#include "model/stored.h"
#include "rules/judgements.h"
#include "util/arena.h"

typedef struct hd_qrow {          /* one quarantined row */
    uint64_t line;
    hd_reason reason;
    int field;                    /* hd_fid at fault, or -1 */
    const char *raw; uint32_t raw_len;   /* the row as read (restricted) */
} hd_qrow;

typedef struct hd_divcount { char code[7]; uint64_t n; } hd_divcount;

typedef struct hd_ledger {
    uint64_t rows, rows_ok, rows_quarantined, rows_matched, rows_unmatched;
    uint64_t rows_quarantined_matched;   /* SPEC §7: quarantined rows whose ID
                                            cell alone is a member's */
    uint64_t ids_suspect;                /* SPEC §7: usable IDs ending 000 in
                                            a file with spreadsheet damage */
    uint64_t header_lines, skipped_lines, blank_lines, trailer_lines;
    /* population files (SPEC §10): usable rows of applications judged in
     * an earlier population (part of rows_ok) */
    uint64_t rows_superseded;
    uint64_t by_reason[HD_R__COUNT];
} hd_ledger;

typedef struct hd_file_result {
    const char *path;             /* as globbed (owned by the run) */
    /* the file's bytes when they are already in memory (one household of
     * an instant check, index/lookup.c): hd_scan_file reads them through
     * the same reader (hd_reader_open_mem), path only names them; NULL:
     * the file at path. Not owned. */
    const void *mem;
    size_t mem_len;
    int source;                   /* -1 for applicant files */
    int population;               /* hd_population of a population file */
    uint32_t index;               /* file index in the run */
    hd_ledger ledger;
    hd_reason damage;             /* HD_R_NONE or why the source is damaged */
    char damage_msg[1024];
    hd_qrow *q; uint32_t nq, capq;
    /* matched records in the model's stored form, packed into rec_arena
     * (owned until hd_model_adopt takes it at the merge), in line order */
    hd_stored_record **recs; uint32_t nrecs, caprecs;
    struct hd_arena *rec_arena;
    hd_divcount *div; uint32_t ndiv;
    /* SPEC §7: quarantined rows whose ID cell is a member's (line order);
     * SPEC §9 near misses too: an ID_CHECK row one typo from a member's ID
     * with the member's name, near != 0 (hd_unread_near) */
    struct hd_unread { uint32_t member; uint64_t line; hd_reason reason; uint16_t near; } *unread;
    uint32_t nunread, capunread;
    uint64_t ids_000;             /* usable IDs ending in 000 */
    int id_damage;                /* an ID cell EXCEL_MANGLED, or ID_CHECK
                                     ending in 000 */
    char county[16];              /* applicant file rejected whole: its county */
    hd_date newest;               /* newest data date seen, HD_DATE_NONE */
    /* a tokenised extract (SPEC §8 rotation): matched rows by the provider
     * key that made their token, [0] current master's, [1] previous's */
    uint64_t matched_by_key[2];
    uint64_t bytes_in, bytes_out;
    struct hd_arena *arena;
} hd_file_result;

/* A near miss's typo in hd_unread.near: kind (HD_NEAR_SUBST, HD_NEAR_SWAP)
 * in bits 12-13, position in bits 4-8, and for a substitution the row's
 * character there (0-9, 10 for X) in bits 0-3; 0 for an unreadable row. */
static inline uint16_t hd_unread_near(int kind, int pos, int ch)
{
    return (uint16_t)(kind << 12 | pos << 4 | ch);
}

/* Frees what a per-file result holds; *r is zeroed. NULL-safe. */
void hd_file_result_free(hd_file_result *r);

/* What loading the populations counts (SPEC §10): `taken` maps county_code
 * \x1f application_id -> the household that judges it, whose `population`
 * says which population took it (shared by the loads of one run,
 * applicants first; freed, NULL, once every population is loaded);
 * superseded[p] counts applications of population p skipped because an
 * earlier population holds them. */
typedef struct hd_load_tally {
    struct hd_strmap *taken;
    uint64_t superseded[HD_POP__COUNT];
} hd_load_tally;

/* One household's change against the previous run's output (the change
 * report, 重大变化报告; [job] previous). Filled by report/changes.c. */
typedef struct hd_change {
    uint32_t household;            /* index in this run's model */
    uint32_t appeared, gone;       /* finding bits new / no longer found */
    uint8_t verdict_before;        /* hd_verdict in the previous run */
    int64_t income_before, income_after;   /* household monthly income, fen */
    int64_t assets_before, assets_after;   /* financial assets, fen */
    uint8_t income_changed;        /* |after - before| above change_income_pct */
    uint8_t assets_changed;        /* |after - before| above change_assets_yuan */
} hd_change;

/* Re-check and discovery (SPEC §10; report/lists.c, docs/county-guide.md). */
typedef enum hd_trigger {
    HD_TRIG_ELIGIBLE_NOW = 0,      /* monitored, ELIGIBLE under dibao (tekun) */
    HD_TRIG_MEMBER_DECEASED_NEW,   /* a member's death record, none before */
    HD_TRIG_PENSION_STOPPED,       /* active then, stopped or absent now */
    HD_TRIG_INCOME_DROP,           /* income per capita down > discovery_income_drop_pct */
    HD_TRIG__COUNT
} hd_trigger;

typedef struct hd_recheck_row {    /* one reason of a recipient not ELIGIBLE */
    uint32_t household;
    uint8_t finding;               /* hd_finding */
    uint8_t known;                 /* 1: the snapshot holds it from an earlier run */
    hd_date first_seen;            /* as_of of the earliest run with it */
} hd_recheck_row;

typedef struct hd_discovery_row {
    uint32_t household;
    uint8_t trigger;               /* hd_trigger */
    int64_t income_pc;             /* this run's income per capita, fen */
} hd_discovery_row;

struct hd_previous;                /* the previous run's households (changes.c) */
void hd_previous_free(struct hd_previous *p);

/* Everything one run knows; shared by batch.c and the writers. */
typedef struct hd_input {          /* an input file for the manifest */
    char *path;                    /* as opened */
    const char *rel;               /* relative to the job directory */
    char sha256[65];               /* or "unreadable" for an extract that
                                      could not be read (its source is damaged) */
    uint64_t bytes;
    int extract;
    int skip;                      /* not hashed by this process: another
                                      part's file, or every extract of a
                                      merge (the parts carry their digests) */
} hd_input;

typedef struct hd_source_state {
    hd_descriptor *desc;
    char **files; int nfiles;
    uint32_t first_result;         /* index of its first file in results */
    hd_reason damage;              /* HD_R_NONE or the first cause */
    char damage_msg[1024];
    int64_t prev_rows;             /* rows in the previous run, -1: none */
    int provider;                  /* index in hd_results.providers for a
                                      tokenised source (id_form = token), else -1 */
} hd_source_state;

/* The keys of one provider of tokenised extracts (SPEC §8): derived from
 * the current master ([0]) and, during a rotation, the previous one ([1]);
 * only their ids and token maps are kept, never the keys. */
typedef struct hd_provider_keys {
    char name[64];
    char id[2][64];                /* derived key ids; id[1] "" without previous */
    int map[2];                    /* token maps in the model, -1 none */
} hd_provider_keys;

typedef struct hd_results {
    hd_job *job;
    hd_policy *policy;
    hd_key key;                    /* the centre's master key (key file) */
    int have_key;
    /* keys per audience (SPEC §8), derived from key: member and household
     * tokens of auditor files, text tokens of auditor files */
    hd_key audit_key, text_key;
    hd_provider_keys *providers; int nproviders;
    hd_descriptor *app_desc;
    /* the population files (SPEC §10): applicants, then roster, then
     * monitor; results[0 .. napp_files) are theirs, npop_files[p] of
     * population p in that order; pop_desc[p] reads them (pop_desc[0] is
     * app_desc; NULL for a population the job does not give) */
    char **app_files; int napp_files;
    int npop_files[HD_POP__COUNT];
    hd_descriptor *pop_desc[HD_POP__COUNT];
    hd_load_tally tally;
    hd_source_state *src;          /* job->nsources */
    hd_model *m;
    hd_file_result *results;       /* applicant files, then each source's files */
    uint32_t nresults;
    hd_judgements judgements;      /* per household, its judgement
                                      (rules/judgements.h) */
    int damaged;                   /* a source damaged: SOURCE_INCOMPLETE */
    int rejected_files;            /* applicant files rejected whole (exit 3) */
    uint32_t kinds_missing;        /* required kinds without a source (bits) */
    hd_input *inputs; uint32_t ninputs;
    char input_digest[65];
    struct ix_writer *ixw;         /* [job] index = yes: the index writer the
                                      scan feeds (report/ixwriter.c), else NULL */
    hd_divcount *div; uint32_t ndiv;
    const hd_run_opts *opts;
    /* set by hd_write_reports before any file is written, for every writer:
     * the county codes sorted, and the households in output order (by
     * county, then household index); county c's households are
     * order[county_first[c] .. county_first[c + 1]) */
    char **counties; uint32_t ncounties;
    uint32_t *order;
    uint32_t *county_first;
    /* per member, the findings of its records ORed (hd_results_member_findings,
     * once the judgements are final): the writers ask it instead of walking
     * every member's records each; NULL: each asks the records */
    uint32_t *member_findings;
    /* the change report: have_previous when [job] previous is set; changes
     * in output order, only households present in both runs with at least
     * one change */
    int have_previous;
    hd_change *changes; uint32_t nchanges;
    struct hd_previous *prev;      /* the previous run's households, kept by
                                      hd_compute_changes for the lists */
    /* re-check and discovery (hd_compute_lists): rows in output order,
     * county c's in [recheck_first[c], recheck_first[c + 1]) etc. */
    hd_recheck_row *recheck; uint32_t nrecheck;
    hd_discovery_row *discovery; uint32_t ndiscovery;
    uint32_t *recheck_first, *discovery_first;
    int lists_changes;             /* major changes were looked for */
    /* the register (SPEC §9; report/regpart.h, filled by register/findings.c): snapshot,
     * findings with their ids, suppression */
    struct hd_reg_state *reg;
} hd_results;

/* The name of hd_results before issue 12, while branches that use it land;
 * new code says hd_results. */
typedef hd_results hd_run_state;

/* Sorts the counties and the households into output order (by county
 * code, then household index): fills r->counties, r->ncounties, r->order
 * and r->county_first. Every writer reads this order. @return HD_OK or
 * HD_ESOFTWARE (out of memory). */
int hd_results_order(hd_results *r, hd_error *err);
/* Fills r->member_findings from the records' findings (the judgements must
 * be final: nothing sets a record's findings after). @return HD_OK or
 * HD_ESOFTWARE (out of memory). */
int hd_results_member_findings(hd_results *r, hd_error *err);

/* Adds path to st->inputs unless listed (extract: an extract file);
 * @return HD_OK, or HD_ESOFTWARE on out of memory. */
int hd_results_add_input(hd_results *st, const char *path, int extract, hd_error *err);

/* @return the rows of a ledger counted by reason (the quarantined rows,
 * each under its one reason). */
uint64_t hd_ledger_by_reason_total(const hd_ledger *l);

/* Feeds "REL\tSHA256\n" of each of the n inputs, in order, to h: the
 * inputs' part of the run's input digest and of the index digest. */
void hd_inputs_digest_update(hd_sha256 *h, const hd_input *in, uint32_t n);

#endif
