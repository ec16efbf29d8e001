/*
 * internal.h — what the batch's parts share: the per-file result (ledger,
 * damage, quarantine, matched records) and the scanner that reads one file.
 */
#ifndef HEDUI_BATCH_INTERNAL_H
#define HEDUI_BATCH_INTERNAL_H

#include <stdatomic.h>
#include "hedui/batch.h"
#include "model/stored.h"
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
    /* SPEC §7: quarantined rows whose ID cell is a member's (line order) */
    struct hd_unread { uint32_t member; uint64_t line; hd_reason reason; } *unread;
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

void hd_file_result_free(hd_file_result *r);
int hd_file_result_quarantine(hd_file_result *r, uint64_t line, hd_reason why, int field,
                              const char *raw, size_t raw_len);
void hd_file_result_division(hd_file_result *r, const char *id18);

/* Called for every data row by the scanner: reason is HD_R_NONE for a
 * usable row (rec filled). Returns 0 to go on, or an hd status to stop. */
typedef int (*hd_row_fn)(void *user, hd_file_result *res, const hd_csv_record *row,
                         hd_record *rec, hd_reason reason, int bad_field);

typedef struct hd_scan_shared {   /* shared between workers */
    _Atomic uint64_t bytes_done;     /* progress */
    _Atomic uint64_t rows_done;
    hd_cores *cores;                 /* idle cores readers may decode ahead on */
} hd_scan_shared;

/*
 * Reads one file through the descriptor: header binding, skip/blank/trailer
 * accounting, row mapping, quarantine of bad rows (fn is called for every
 * data row); damage (read error, header, trailer) recorded in res.
 * pos_out (may be NULL) receives the bound column positions before the
 * first data row is passed to fn. Returns
 * HD_OK (damage is not an error), or the status fn returned.
 */
int hd_scan_file(const hd_descriptor *d, hd_date as_of, hd_file_result *res,
                 hd_row_fn fn, void *user, hd_scan_shared *shared,
                 int pos_out[HD_F__COUNT]);

/* SPEC §7 "Files that are not what they claim": judges the first bytes
 * t[0..n) of the file `path` as decoded (n = 64 KiB unless the file is
 * shorter; zstd: whether it was compressed): NOT_ZSTD, NOT_CSV or
 * WRONG_ENCODING with a message in Chinese and English (what the file
 * looks like, how to save it) into msg, or HD_R_NONE. */
hd_reason hd_sniff(const char *path, int zstd, const unsigned char *t, size_t n,
                   hd_encoding enc, char *msg, size_t cap);

/* Applicant files -> households and members of m (SPEC §6 "Applicants").
 * results[i] receives file i's ledger and quarantine. A row whose county
 * has no standard in `policy` is quarantined (COUNTY_UNKNOWN). */
int hd_load_applicants(hd_model *m, const hd_descriptor *d, char **files, int nfiles,
                       hd_date as_of, const hd_key *key, const hd_policy *policy,
                       hd_file_result *results, hd_error *err);

/* What loading the populations counts (SPEC §10): `taken` maps county_code
 * \x1f application_id -> the population that judges it (shared by the
 * loads of one run, applicants first); superseded[p] counts applications
 * of population p skipped because an earlier population holds them. */
typedef struct hd_load_tally {
    struct hd_strmap *taken;
    uint64_t superseded[HD_POP__COUNT];
} hd_load_tally;

/* hd_load_applicants for one population: its households carry
 * `population`; with a tally, an application already taken by another
 * population is not laid out (its usable rows count in the file's
 * rows_superseded) and this population's applications are added to
 * tally->taken. */
int hd_load_population(hd_model *m, const hd_descriptor *d, char **files, int nfiles,
                       hd_date as_of, const hd_key *key, const hd_policy *policy,
                       hd_file_result *results, int population, hd_load_tally *tally,
                       hd_error *err);


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
/* "ELIGIBLE_NOW", ... and the Chinese label; static storage. */
const char *hd_trigger_name(int t);
const char *hd_trigger_label_zh(int t);

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
    int provider;                  /* index in hd_run_state.providers for a
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

/* What the writers keep of a household's judgement besides its figures:
 * 4 bytes instead of the 72 of an hd_judgement (docs/performance.md,
 * "Memory at province scale"). */
typedef struct hd_judged {
    uint16_t findings;             /* hd_judgement.findings */
    uint8_t verdict;               /* hd_verdict */
    uint8_t unused;
} hd_judged;

typedef struct hd_run_state {
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
    hd_judged *judg;               /* per household: verdict and findings */
    /* per household, the figures of its hd_judgement (standard, income,
     * assets, homes, ...) as zigzag LEB128 varints, about 20 bytes instead
     * of 64: household h's start at figures[figures_at[h]]; read with
     * hd_run_judgement */
    uint8_t *figures; size_t nfigures, capfigures;
    uint32_t *figures_at;
    int damaged;                   /* a source damaged: SOURCE_INCOMPLETE */
    int rejected_files;            /* applicant files rejected whole (exit 3) */
    uint32_t kinds_missing;        /* required kinds without a source (bits) */
    hd_input *inputs; uint32_t ninputs;
    char input_digest[65];
    struct ix_writer *ixw;         /* [job] index = yes: the index writer the
                                      scan feeds (index/build.c), else NULL */
    hd_divcount *div; uint32_t ndiv;
    const hd_run_opts *opts;
    /* set by hd_write_reports before any file is written, for every writer:
     * the county codes sorted, and the households in output order (by
     * county, then household index); county c's households are
     * order[county_first[c] .. county_first[c + 1]) */
    char **counties; uint32_t ncounties;
    uint32_t *order;
    uint32_t *county_first;
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
    /* the register (SPEC §9; engine/register/reg_run.h): snapshot,
     * findings with their ids, suppression */
    struct hd_reg_state *reg;
} hd_run_state;

/* Keeps household h's judgement (h = the number of households kept so
 * far: call in household order). HD_ESOFTWARE on out of memory or beyond
 * 4 GiB of figures. */
int hd_run_keep_judgement(hd_run_state *st, uint32_t h, const hd_judgement *j, hd_error *err);
/* The judgement of household h, as kept, into *out. Reentrant. */
void hd_run_judgement(const hd_run_state *st, uint32_t h, hd_judgement *out);

/* Writes every output file of SPEC §5 except manifest.json/.sig into dir
 * (which exists), on up to opts->threads threads (one file or one county's
 * file per task; exactly one thread at -j1). HD_EIO naming the file on a
 * write error: the first failing file in the fixed order of the writers. */
int hd_write_reports(hd_run_state *st, const char *dir, hd_error *err);
/* audit/report.html (report/html.c): the auditor's self-contained page;
 * needs the change report computed. HD_EIO naming it. */
int hd_write_html(hd_run_state *st, const char *dir, hd_error *err);
/* county/<code>/results.xlsx of county c (report/xlsx.c); needs the
 * change report computed. Workbooks of different county directories may
 * be written at the same time. HD_EIO naming the file. */
int hd_write_xlsx_county(hd_run_state *st, const char *dir, uint32_t c, hd_error *err);
/* The change report ([job] previous; docs/changes.md): verifies the
 * previous output, reads its county/CODE/households.csv, fills
 * st->have_previous, st->changes (output order) and st->nchanges. Needs
 * st->order. Without previous: have_previous = 0. HD_ECONFIG when the
 * previous output does not verify or cannot be read. */
int hd_compute_changes(hd_run_state *st, hd_error *err);
/* Reads one county/<code>/households.csv of a previous run exactly as the
 * change report does (the previous-run reader; tests/fuzz/fuzz_previous.c):
 * *households = the households kept (the first of a repeated county code and
 * application id). @return HD_OK, HD_ECONFIG "previous: PATH:LINE: reason",
 * HD_ESOFTWARE. */
int hd_changes_read_households(const char *path, uint32_t *households, hd_error *err);
/* county/<code>/changes.csv of county c (header only when none changed;
 * the counties of county/unknown/ share one file, written for the first
 * of them). Nothing without previous. HD_EIO on a write error. */
int hd_write_changes(hd_run_state *st, const char *dir, uint32_t c, hd_error *err);
/* The previous run's income per capita and findings of household h
 * (same county_code and application_id); 0 when it has none or there is
 * no previous run. */
int hd_previous_household(const hd_run_state *st, uint32_t h, int64_t *income_pc, uint32_t *findings);
/* The one place where the status of a finding is asked of the register's
 * snapshot (SPEC §9, §10): 1 (known) when the snapshot holds finding
 * `f` of household h, under the same finding id(s), from an earlier run,
 * with *first_seen the as_of of the earliest run holding it; 0 (new)
 * otherwise, *first_seen = this run's as_of. Without a register every
 * finding is new. */
int hd_finding_known(const hd_run_state *st, uint32_t h, int f, hd_date *first_seen);
/* Re-check and discovery lists (SPEC §10) into st->recheck / discovery;
 * needs st->order and hd_compute_changes (the previous run). Major
 * changes read the previous run's summary.json and audit/matches.jsonl
 * (or .zst). HD_ECONFIG when they cannot be read. */
int hd_compute_lists(hd_run_state *st, hd_error *err);
/* Counts of the populations and lists of county c (UINT32_MAX: every
 * county), for summary.json, the stdout summary, report.html and the
 * workbooks; households are counted once per list. */
typedef struct hd_list_counts {
    uint64_t households[HD_POP__COUNT];
    uint64_t recheck_households, recheck_rows, recheck_new, recheck_known;
    uint64_t discovery_households, discovery_rows, triggers[HD_TRIG__COUNT];
} hd_list_counts;
void hd_list_counts_of(const hd_run_state *st, uint32_t c, hd_list_counts *out);
/* county/<code>/recheck.csv (job with a roster) and discovery.csv (job
 * with a roster or a monitor) of county c; the counties of
 * county/unknown/ share one file. HD_EIO on a write error. */
int hd_write_lists(hd_run_state *st, const char *dir, uint32_t c, hd_error *err);
/* `[job] previous = latest` (batch/latest.c, SPEC §8): the run directory
 * OUTPUT/<as_of>-<digest> that verifies, whose manifest's as_of is before
 * job->as_of, with the greatest as_of and of those the name that sorts
 * last, into out; "" when there is none (or no OUTPUT yet). HD_ENOINPUT
 * when OUTPUT cannot be listed. */
int hd_run_resolve_latest(const hd_job *job, char *out, size_t cap, hd_error *err);

/* `[job] index = yes` (SPEC §11; index/build.c): begin once the inputs
 * are hashed, before the scan (st->ixw set, or NULL and dir filled when
 * the index exists and verifies); hd_run_index_row for each row
 * the scan reads; end once the sources' damage is decided (meta.ini
 * written; the merge and the manifest go on on a thread of their own
 * while the run judges); join before the run returns (the index in place,
 * its directory into out). hd_run_index_free (free_state, first: the
 * thread reads the job and the policy) waits for it on any other path. */
int hd_run_index_begin(hd_run_state *st, char *dir, size_t cap, hd_error *err);
struct ix_worker *hd_run_index_worker(hd_run_state *st);
int hd_run_index_row(struct ix_worker *k, uint32_t result, int source, const int *pos,
                     const hd_csv_record *row, hd_record *rec, hd_reason reason);
int hd_run_index_done(struct ix_worker *k);
int hd_run_index_end(hd_run_state *st, hd_error *err);
int hd_run_index_join(hd_run_state *st, char *out, size_t cap, hd_error *err);
void hd_run_index_free(hd_run_state *st);
/* Points OUTPUT/latest at the run directory outdir (a relative symlink,
 * replaced atomically by rename), unless it points to an existing run
 * whose as_of is later than as_of. HD_EIO naming the link. */
int hd_run_point_latest(const char *outroot, const char *outdir, hd_date as_of, hd_error *err);
/* ------------------------------------------------------------ part.c
 * Scale-out (SPEC §12): `hedui run --part K/N` scans a share of the
 * extract files into one part file; `hedui merge` reads the N parts back
 * into the run's per-file results and goes on as `hedui run` does. */

/* Deterministic, size-balanced assignment of the extract files
 * results[first .. first+count) to nparts parts: largest first (ties by
 * result index) to the part with the fewest bytes so far (ties: lowest
 * part). part_of[i] receives the part of results[first + i]. A file that
 * cannot be stat()ed counts as 0 bytes. */
void hd_part_assign(const hd_run_state *st, uint32_t first, uint32_t count, int nparts,
                    int *part_of);

/* The digest that names the parts directory and that every part and the
 * merge must agree on: as the input digest, but over the extracts' paths
 * only (each part hashes only the files it reads). Needs every
 * non-extract input hashed. */
int hd_part_set_digest(const hd_run_state *st, char out[65], hd_error *err);

/* OUTPUT/parts/<as_of>-<12 hex of the set digest> into out. */
void hd_part_dir(const hd_run_state *st, const char *set_digest, char *out, size_t cap);

/* Writes part k of n: the results of the extract files list[0..count)
 * (scanned), their inputs' SHA-256 and sizes, atomically (temporary
 * name, fsync, rename) as DIR/part-K-of-N, mode 0600, with its SHA-256 in
 * DIR/part-K-of-N.sha256 (sha256sum format). path_out (cap bytes)
 * receives the part's path. HD_EIO naming the file. */
int hd_part_write(hd_run_state *st, const char *set_digest, int k, int n, const uint32_t *list,
                  uint32_t count, char *path_out, size_t cap, hd_error *err);

/* Reads the parts of the run into st: every extract result's ledger,
 * damage, quarantine, records, divisions, newest date and sizes, and its
 * input's SHA-256 and size. nparts 0: the N of the part files found (one
 * N only). Needs st->m loaded (records are checked against its members).
 * HD_ENOINPUT when a part is missing; HD_EDATA naming the part when one is
 * damaged (its SHA-256 or its form), of another job, policy, key, date
 * or build, or when the parts do not cover every extract exactly once. */
int hd_part_load_all(hd_run_state *st, const char *set_digest, int nparts, hd_error *err);

/* Writes manifest.json (and manifest.sig when a signing key is given)
 * listing every file under dir. *signed_out = 1 when signed. */
int hd_write_manifest(hd_run_state *st, const char *dir, int *signed_out, hd_error *err);
/* batch.c: SHA-256 (and size) of every input of st not marked skip, on
 * `threads` threads (0: the run's -j, else the cores); an extract that
 * cannot be read gets the digest "unreadable" (its source is damaged when
 * it is scanned). Used by the run and the index builder. */
int hd_run_hash_inputs(hd_run_state *st, int threads, hd_error *err);

/* damage.c — the damage rules of SPEC §4 and §7, shared by the run and the
 * index builder. hd_run_source_damage gives source s its first damage and
 * marks the run damaged; hd_run_previous_rows reads each source's rows of
 * the previous run ([job] previous; -1 where none); hd_run_source_decide
 * applies every per-source rule to the final per-file results; and
 * hd_run_kinds_decide marks required kinds without a source (NO_SOURCE). */
void hd_run_source_damage(hd_run_state *st, int s, hd_reason why, const char *msg);
void hd_run_previous_rows(hd_run_state *st);
void hd_run_source_decide(hd_run_state *st, int s, hd_file_result *results);
void hd_run_kinds_decide(hd_run_state *st);

#endif
