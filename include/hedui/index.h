/*
 * hedui/index.h — the instant household check (SPEC §11, 一部手机办低保,
 * AppCheck): an index of every usable row of a job's sources, built at
 * night, and the lookup that judges households against it with the same
 * rules as the nightly run (hd_judge_household, hedui/rules.h).
 *
 * The index directory OUTPUT/index/<as_of>-<12 hex>/ holds
 *   tokens.bin      a fixed-layout table sorted by token: 32-byte keyed
 *                   member token -> (offset, count) into records.bin
 *   records.bin     the records, varint-encoded, grouped by token, in the
 *                   run's record order (source, file, line) within a token
 *   unreadable.bin  sorted keyed tokens of quarantined rows' ID cells
 *                   (token, file, reason, line), for EVIDENCE_UNREADABLE
 *   meta.ini        format, engine, as_of, key ids, digests, the sources
 *                   with their damage
 *   policy/         the policy file and its standards, byte for byte
 *   applicants.fmt  the job's applicants descriptor (lookup's FILE format)
 *   manifest.json, manifest.sig, signing.pub.pem   as a run's
 * No ID number and no name is stored: members are keyed by
 * HMAC-SHA256(index key, "hedui:v2:member:" + ID) (a tokenised source's
 * rows by HMAC-SHA256(index key, "hedui:v2:token:" + its token)), names by
 * HMAC-SHA256(index key, "hedui:v2:text:name:" + the §6 Names form).
 * The index key is derived from the master key (hd_index_key).
 *
 * Thread-safety: an opened hd_ix is read-only and may be shared by many
 * threads; hd_ix_check* are reentrant.
 */
#ifndef HEDUI_INDEX_H
#define HEDUI_INDEX_H

#include <stdint.h>
#include <stdio.h>
#include "hedui/batch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hd_index_opts {
    int threads;                /* worker threads; <= 0: all cores */
    int force;                  /* rebuild an existing index */
    uint64_t memory;            /* bytes of rows held before a spill; 0: 64 MiB */
    hd_log_fn log; void *log_user;
} hd_index_opts;

typedef struct hd_index_result {
    char outdir[4096];          /* the index directory */
    int reused;                 /* existed and verified: nothing rebuilt */
    int damaged;                /* a source is damaged */
    int signed_manifest;
    uint64_t rows, rows_indexed, rows_quarantined, rows_unreadable_ids;
    uint64_t tokens, spills;    /* distinct member tokens; spill files written */
    uint64_t files;
} hd_index_result;

/*
 * The index key: HKDF-SHA256 (RFC 5869) of the master key, salt = the key
 * id, info = "hedui:v2:index" (SPEC §8 "Keys per audience"): hd_key_derive
 * for audience "index" (its id is a derived key's, "d" + 16 hex). Writes
 * *out. @return HD_OK; HD_EUSAGE (master is not a master key);
 * HD_ESOFTWARE (OpenSSL has no HKDF).
 */
int hd_index_key(const hd_key *master, hd_key *out, hd_error *err);

/*
 * `hedui index JOB.ini`: streams every extract of the job's sources once
 * (a pool of threads, one file per worker), keeps at most opts->memory
 * bytes of rows in memory (sorted runs spilled to temporary files beside
 * the output, merged at the end), writes the index directory atomically
 * and signs its manifest when the job has a signing key.
 * @return HD_OK, HD_EDAMAGED (written; a source is damaged), HD_ECONFIG,
 *         HD_ENOINPUT, HD_EIO, HD_ESOFTWARE; HD_EDATA when the index
 *         directory exists but does not verify (never replaced without
 *         opts->force).
 */
int hd_index_build(const char *job_path, const hd_index_opts *opts, hd_index_result *res,
                   hd_error *err);

typedef struct hd_ix hd_ix;

/*
 * Opens an index directory for lookups: verifies its manifest (signature
 * when signing.pub.pem is there, every file's size and SHA-256), refuses
 * an index made under another master key (key id) and a truncated or
 * inconsistent table, loads its policy and applicants descriptor and maps
 * its tables. @return HD_OK; HD_EDATA (65: truncated, tampered,
 * inconsistent); HD_ECONFIG (78: another key, unknown format);
 * HD_ENOINPUT; HD_ESOFTWARE.
 */
int hd_ix_open(hd_ix **out, const char *dir, const hd_key *master, hd_error *err);
void hd_ix_close(hd_ix *ix);

/* The index's as_of, its digest (the 64 hex of its directory name's
 * digest) and whether a source is damaged.
 * @return hd_ix_as_of: the as_of; hd_ix_digest: 64 lower-case hex digits
 *         (valid until hd_ix_close); hd_ix_damaged: 1 if a source of the
 *         index is damaged, else 0. */
hd_date hd_ix_as_of(const hd_ix *ix);
const char *hd_ix_digest(const hd_ix *ix);
int hd_ix_damaged(const hd_ix *ix);

/*
 * `hedui lookup`: reads FILE (applicants format, the index's
 * applicants.fmt; a recipient or monitored population's file in the
 * roster.fmt or monitor.fmt the index copied from the job, if any), judges
 * every household as of `population` (hd_population, SPEC §10: a
 * monitored household under the dibao or tekun section, as the run) with
 * hd_judge_household under
 * the index's policy and as_of, and writes one JSON object per household
 * to out: household (token under the master key, as audit/), county_code,
 * application_id, assistance_type, area_type, population, members, verdict, reasons,
 * the figures of audit/households.jsonl, and evidence (masked ID, source,
 * kind, line, reasons; no name, no free text). DUPLICATE_APPLICATION is
 * not raised (it needs the whole run). @return HD_OK; HD_EDAMAGED (a
 * source or the file is damaged: every household at least REVIEW);
 * HD_ENOINPUT, HD_ECONFIG, HD_ESOFTWARE.
 */
int hd_ix_lookup_file(hd_ix *ix, const char *path, int population, FILE *out, hd_error *err);

/* One household of a check request (hedui serve): its members' cells as a
 * client sends them (text, in the canonical values of the applicants kind:
 * relation "self", area_type "urban", declared_income in yuan). */
typedef struct hd_ix_member {
    const char *id_number, *name, *member_no, *relation, *declared_income;
} hd_ix_member;
typedef struct hd_ix_household {
    const char *county_code, *application_id, *area_type, *assistance_type;
    const hd_ix_member *members; uint32_t nmembers;
    int population;             /* hd_population (SPEC §10): HD_POP_APPLICANT (0), a
                                   recipient (roster) or monitored household */
} hd_ix_household;

/*
 * Judges one household given as cells (the serve path): the cells go
 * through the run's applicants loader with a descriptor of canonical
 * columns and values, so a row is refused for the same reasons as in a
 * file; then as hd_ix_lookup_file. On success *json is the malloc'd JSON
 * object (hd_ix_lookup_file's, without newline), token[65] the household
 * token hex, *verdict the verdict. A member row the run would quarantine
 * is HD_EDATA with "member N: CODE in FIELD" in err (the request is bad).
 * @return HD_OK, HD_EDATA, HD_ESOFTWARE.
 */
int hd_ix_check(hd_ix *ix, const hd_ix_household *hh, char **json, char token[65],
                hd_verdict *verdict, hd_error *err);

#ifdef __cplusplus
}
#endif
#endif
