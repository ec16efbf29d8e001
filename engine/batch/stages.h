/*
 * stages.h — the stages of the pipeline that the index builder and the
 * instant lookup (engine/index/) run too: the scanner that reads one
 * file into its per-file result, the sniffer, the loading of applicants,
 * the hashing of the inputs and the damage rules. They build a finished
 * run (report/results.h); none of them writes an output.
 */
#ifndef HEDUI_BATCH_STAGES_H
#define HEDUI_BATCH_STAGES_H

#include <stdatomic.h>
#include "hedui/batch.h"
#include "report/results.h"

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
    /* each row's normalised ID as soon as it is read, with the user of
     * hd_scan_file (hd_row_map_id) */
    void (*id_known)(void *user, const char *id18);
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

/* near.c — SPEC §9 near misses: row (quarantined, its ID cell at idpos
 * fails the check character) against the members whose ID is one
 * substitution or one adjacent swap away and whose name equals the cell
 * at namepos; each such member gets an hd_unread with near set, and the
 * row counts once in rows_quarantined_matched. HD_ESOFTWARE on out of
 * memory. */
int hd_near_miss_row(const hd_model *m, hd_file_result *res, const hd_csv_record *row,
                     int idpos, int namepos, hd_date as_of);

/* SPEC §7 "Files that are not what they claim": judges the first bytes
 * t[0..n) of the file `path` as decoded (n = 64 KiB unless the file is
 * shorter; zstd: whether it was compressed): NOT_ZSTD, NOT_CSV or
 * WRONG_ENCODING with a message in Chinese and English (what the file
 * looks like, how to save it) into msg, or HD_R_NONE. */
hd_reason hd_sniff(const char *path, int zstd, const unsigned char *t, size_t n,
                   hd_encoding enc, char *msg, size_t cap);

/* Applicant files -> households and members of m (SPEC §6 "Applicants").
 * results[i] receives file i's ledger and quarantine. A row whose county
 * has no standard in `policy` is quarantined (COUNTY_UNKNOWN). `key` makes
 * the household and member tokens (HMAC); NULL leaves them zero, for a
 * process that writes nothing that carries them (a part, SPEC §12). */
int hd_load_applicants(hd_model *m, const hd_descriptor *d, char **files, int nfiles,
                       hd_date as_of, const hd_key *key, const hd_policy *policy,
                       hd_file_result *results, hd_error *err);

/* hd_load_applicants for one population: its households carry
 * `population`; with a tally, an application already taken by another
 * population is not laid out (its usable rows count in the file's
 * rows_superseded) and this population's applications are added to
 * tally->taken. The files are read on `threads` threads (at most one a
 * file); the model is the same for any number. */
int hd_load_population(hd_model *m, const hd_descriptor *d, char **files, int nfiles,
                       hd_date as_of, const hd_key *key, const hd_policy *policy,
                       hd_file_result *results, int population, hd_load_tally *tally,
                       int threads, hd_error *err);


/* batch.c: SHA-256 (and size) of every input of st not marked skip, on
 * `threads` threads (0: the run's -j, else the cores); an extract that
 * cannot be read gets the digest "unreadable" (its source is damaged when
 * it is scanned). Used by the run and the index builder. */
int hd_run_hash_inputs(hd_results *st, int threads, hd_error *err);

/* damage.c — the damage rules of SPEC §4 and §7, shared by the run and the
 * index builder. hd_run_source_damage gives source s its first damage and
 * marks the run damaged; hd_run_previous_rows reads each source's rows of
 * the previous run ([job] previous; -1 where none); hd_run_source_decide
 * applies every per-source rule to the final per-file results; and
 * hd_run_kinds_decide marks required kinds without a source (NO_SOURCE). */
void hd_run_source_damage(hd_results *st, int s, hd_reason why, const char *msg);
void hd_run_previous_rows(hd_results *st);
void hd_run_source_decide(hd_results *st, int s, hd_file_result *results);
void hd_run_kinds_decide(hd_results *st);

/* `[job] previous = latest` (batch/latest.c, SPEC §8; the index
 * builder resolves it as the run does): the run directory
 * OUTPUT/<as_of>-<digest> that verifies, whose manifest's as_of is before
 * job->as_of, with the greatest as_of and of those the name that sorts
 * last, into out; "" when there is none (or no OUTPUT yet). HD_ENOINPUT
 * when OUTPUT cannot be listed. */
int hd_run_resolve_latest(const hd_job *job, char *out, size_t cap, hd_error *err);

/* The local date today: the as_of a job without one gets. */
hd_date hd_run_today(void);


#endif
