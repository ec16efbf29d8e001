/*
 * hedui/register.h — the register (低收入人口数据库, SPEC §9): the state that
 * outlives a night. An SQLite database (WAL journal, mode 0600) at
 * `[job] register` (default OUTPUT/register.db) holding the runs, the
 * households each judged, the findings with their finding ids and evidence
 * digests, and the outcomes county clerks returned. Schema: docs/register.md
 * (versioned with PRAGMA user_version, migrated forward by hedui only). It
 * holds no name and no ID number: tokens, application ids, county codes,
 * figures, codes, digests.
 *
 * The flow of a night: hd_register_snapshot_load() reads the register once
 * at the start of a run (every outcome, and the findings of runs with an
 * earlier as_of); the snapshot's SHA-256 enters the run's input digest and
 * manifest; the rules use it for suppression; once the run directory is in
 * place, hd_register_record() records what the run wrote under
 * OUTPUT/<run>/register/ in one transaction. hd_register_rebuild() does the
 * same for every run directory and every kept outcome file, so that a lost
 * or damaged register comes back with the same table contents.
 *
 * Errors: HD_ECONFIG (a register of a newer schema than this hedui knows,
 * or a file that is no SQLite database), HD_ETEMPFAIL (locked by another
 * process), HD_EIO (cannot be written: disk full, read-only), HD_EDATA
 * (outcome files with bad rows), HD_ENOINPUT (a missing file).
 *
 * Thread-safety: every function opens its own connection; a snapshot is
 * read-only after loading and may be shared between threads.
 */
#ifndef HEDUI_REGISTER_H
#define HEDUI_REGISTER_H

#include <stdio.h>
#include <stdint.h>
#include "hedui/error.h"
#include "hedui/ident.h"
#include "hedui/text.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schema version this hedui writes (PRAGMA user_version). */
#define HD_REGISTER_SCHEMA 2

/* Outcomes a clerk can give to a finding (SPEC §9). */
typedef enum hd_verdict_outcome {
    HD_OC_NONE = 0,
    HD_OC_CONFIRMED,        /* 属实 */
    HD_OC_FALSE_POSITIVE,   /* 误报 */
    HD_OC_EXPLAINED,        /* 已说明 */
    HD_OC_DISPUTED          /* 有异议 */
} hd_verdict_outcome;

/* The English word of an outcome ("confirmed", ...) and the Chinese word.
 * @return the word in static storage; "" for HD_OC_NONE or a value out of
 *         range. */
const char *hd_outcome_name(hd_verdict_outcome o);
const char *hd_outcome_label_zh(hd_verdict_outcome o);
/* The outcome written as `s` (English word or Chinese word, trimmed).
 * @return the outcome, or HD_OC_NONE when s is NULL or none of them. */
hd_verdict_outcome hd_outcome_parse(const char *s, size_t n);

/* One outcome as the snapshot holds it: the latest for its finding. */
typedef struct hd_register_outcome {
    char finding_id[33];        /* 32 lower-case hex */
    hd_verdict_outcome outcome;
    hd_date until;              /* HD_DATE_NONE when empty */
    hd_date imported;           /* the day it was imported (UTC) */
    char evidence_digest[65];   /* of the finding when it was imported */
    int64_t file_seq, line;     /* which import, which line of its file */
} hd_register_outcome;

typedef struct hd_register_snapshot hd_register_snapshot;

/*
 * Reads the register at `path` once (SPEC §9 "The snapshot"): every
 * outcome (the latest per finding id is kept) and, for every finding id
 * recorded by a run with an as_of before `as_of`, the as_of of the first
 * and last such run. A register that does not exist gives an empty
 * snapshot (nothing is created). The digest is the SHA-256 of the canonical
 * serialisation of docs/register.md ("The snapshot").
 * @return HD_OK and *out (hd_register_snapshot_free); HD_ECONFIG (newer
 *         schema, not a database); HD_ETEMPFAIL (locked); HD_EIO;
 *         HD_ESOFTWARE (no memory).
 */
int hd_register_snapshot_load(const char *path, hd_date as_of, hd_register_snapshot **out,
                              hd_error *err);
void hd_register_snapshot_free(hd_register_snapshot *s);
/* The snapshot's SHA-256.
 * @return 64 lower-case hex + NUL, held in s (valid until it is freed). */
const char *hd_register_snapshot_digest(const hd_register_snapshot *s);
/* The latest outcome of finding_id (32 lower-case hex). Thread-safe.
 * @return the outcome, held in s; NULL when s is NULL or holds none. */
const hd_register_outcome *hd_register_snapshot_outcome(const hd_register_snapshot *s,
                                                        const char *finding_id);
/* The first earlier run that had finding_id. Thread-safe.
 * @return its as_of, or HD_DATE_NONE when no earlier run had it (or s is
 *         NULL). */
hd_date hd_register_snapshot_first_seen(const hd_register_snapshot *s, const char *finding_id);
/* @return hd_register_snapshot_outcomes: the number of outcomes held (one
 *         per finding id); hd_register_snapshot_findings: the number of
 *         finding ids of earlier runs held. */
uint64_t hd_register_snapshot_outcomes(const hd_register_snapshot *s);
uint64_t hd_register_snapshot_findings(const hd_register_snapshot *s);

/*
 * The register key (SPEC §8 "Keys per audience": HKDF-SHA256, RFC 5869,
 * salt = the key id, info = "hedui:v2:register") from the master key.
 * Used for finding ids and the keyed parts of evidence digests.
 */
void hd_register_key(const hd_key *master, unsigned char out[32]);

/*
 * A finding id (SPEC §9): the first 32 hex digits of HMAC-SHA256(register
 * key, "hedui:v2:finding:" + household token + ":" + code + ":" + member
 * token + ":" + source + ":" + record key), NULL parts written "-".
 * out: 32 lower-case hex + NUL.
 */
void hd_finding_id(const unsigned char regkey[32], const char *household_token, const char *code,
                   const char *member_token, const char *source, const char *record_key,
                   char out[33]);
/* The same finding id as its 16 bytes (the hex above is their text, so
 * the order of the bytes is the order of the hex): what a run holds, 16
 * bytes a finding instead of 33. */
void hd_finding_id_bytes(const unsigned char regkey[32], const char *household_token, const char *code,
                         const char *member_token, const char *source, const char *record_key,
                         unsigned char out[16]);

/*
 * Records the run directory `run_dir` (OUTPUT/<as_of>-<digest>, complete)
 * in the register at `path`: its register/run.csv, register/households.csv
 * and register/findings.csv, in one transaction; creates the register
 * (mode 0600, WAL) or migrates it forward first. A run already recorded is
 * replaced by the same rows. `output_root` is remembered in the register
 * (where `hedui outcome import` keeps the files it imports); the run's name
 * is first appended to output_root/recorded.log, whose line number is the
 * run's runs.recorded (the recording order, docs/register.md).
 * @return HD_OK; HD_EIO (cannot write: the run directory still stands and
 *         `hedui register rebuild` restores the register); HD_ETEMPFAIL;
 *         HD_ECONFIG (newer schema); HD_EDATA (run_dir/register/ damaged).
 */
int hd_register_record(const char *path, const char *run_dir, const char *output_root,
                       hd_error *err);
/* Whether the register at path holds the run named `run` (the directory
 * name).
 * @return 1 when it does; 0 when not, or when there is no register or it
 *         cannot be read. */
int hd_register_has_run(const char *path, const char *run);
/* The place of run `run` in the register's recording order (runs.recorded:
 * the line of OUTPUT/recorded.log that recorded it last, 0 for a run
 * recorded before the register had the column).
 * @return that line number, or -1 when the register does not exist, cannot
 *         be read, has no such column or lacks the run. */
int64_t hd_register_recorded(const char *path, const char *run);

/*
 * `hedui register rebuild OUTPUT`: writes a new register at `path` (NULL:
 * OUTPUT/register.db) from every run directory under output_root that
 * verifies (hd_audit_verify, unsigned allowed), in as_of then name order,
 * and every outcome file kept under OUTPUT/outcomes/, in import order. The
 * new database is built beside the old one and renamed over it.
 * log (may be NULL) gets one line per run directory skipped.
 * @return HD_OK; HD_ENOINPUT (no such directory); HD_EIO; HD_ETEMPFAIL;
 *         HD_EDATA (a kept outcome file no longer imports).
 */
int hd_register_rebuild(const char *output_root, const char *path,
                        void (*log)(void *user, const char *msg), void *log_user, hd_error *err);

/* One bad row of an outcome file. */
typedef void (*hd_outcome_bad_fn)(void *user, const char *file, uint64_t line, const char *code,
                                  const char *msg);

/*
 * `hedui outcome import`: imports outcome files (a findings.csv a clerk
 * filled: UTF-8, UTF-8 with BOM, GBK or GB18030; columns by header name,
 * finding_id and outcome required, until and note optional) into the
 * register at db. Each file is all-or-nothing: one bad row (unknown finding
 * id, unknown outcome word, bad date, a finding of another county than the
 * file's first, a row that cannot be read) and nothing of it is stored;
 * every bad row is passed to bad(). Rows with an empty outcome are skipped.
 * A file whose SHA-256 was imported before is refused (HD_EDATA). A good
 * file is copied to OUTPUT/outcomes/<sha256>.csv (OUTPUT as the register
 * remembers it, else the register's directory) with <sha256>.meta beside
 * it, then its outcomes are appended with `by`, the time and the file's
 * SHA-256. `now` is the import time (seconds since the epoch).
 * *imported gets the number of outcomes stored over all files.
 * @return HD_OK (every file imported); HD_EDATA (some file refused: the
 *         others are imported); HD_ENOINPUT; HD_EIO; HD_ETEMPFAIL;
 *         HD_ECONFIG (no register, newer schema).
 */
int hd_outcome_import(const char *db, const char *by, char *const *files, int nfiles, int64_t now,
                      hd_outcome_bad_fn bad, void *user, uint64_t *imported, hd_error *err);

/*
 * `hedui outcome list`: writes to out one line per outcome (finding_id,
 * outcome, until, imported_at, by, file sha256), tab-separated with a
 * header, in import order; only those of finding_id when it is not NULL.
 * @return HD_OK; HD_ENOINPUT (no register); HD_ECONFIG; HD_EIO.
 */
int hd_outcome_list(const char *db, const char *finding_id, FILE *out, hd_error *err);

#ifdef __cplusplus
}
#endif
#endif
