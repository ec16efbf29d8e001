/*
 * hedui/batch.h — the job file (SPEC §2) and the nightly batch (`hedui run`).
 *
 * The batch: job -> policy + standards -> applicant files -> households and
 * members -> join index; every extract file streamed once through a pool of
 * worker threads (one file per worker at a time), per-file results merged
 * in the fixed order of the job (source order, then file name order), so
 * that outputs are byte-identical whatever the thread count; then the
 * rules, the writers, the manifest and its signature, and an atomic rename
 * of the output directory (SPEC §5).
 *
 * Thread-safety: hd_run is reentrant but takes an exclusive lock on the
 * output directory: a second run on it fails with HD_ETEMPFAIL. It does
 * not change the process's umask: it creates its files 0600 and its
 * directories 0700 itself (`hedui` also sets umask 077 at its start).
 */
#ifndef HEDUI_BATCH_H
#define HEDUI_BATCH_H

#include "hedui/source.h"
#include "hedui/rules.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HD_ENGINE_VERSION "0.1.0"

typedef struct hd_source_cfg {
    char name[128];
    char format_path[4096];     /* resolved against the job file */
    char files_glob[4096];      /* resolved against the job file */
    int line;                   /* line of the section in the job file */
    int lead;                   /* strength = lead (SPEC §9): its evidence
                                   alone never makes a household ineligible */
    int format_line;            /* line of its `format` key (messages) */
    int64_t min_rows;           /* min_rows = N (SPEC §7; default 1): fewer
                                   data rows over all its files damages it */
    /* provider = NAME (SPEC §8): whose provider key tokenised the source's
     * extracts (id_form = token): the run joins them through the tokens of
     * the key derived for "provider:NAME". Default: the source name. */
    char provider[64];
    int provider_line;          /* line of provider = in the job file, 0 if not given */
} hd_source_cfg;

typedef struct hd_job {
    char path[4096];
    char dir[4096];             /* directory of the job file */
    char name[128];
    hd_date as_of;
    char applicants_glob[4096];
    char applicants_format[4096];
    char policy[4096];
    char key[4096];
    char signing_key[4096];     /* "" when not given */
    char output[4096];
    /* [job] previous: an earlier output directory (OUTPUT/<as_of>-<digest>)
     * to compare with (the change report, county/<code>/changes.csv;
     * docs/changes.md); resolved against the job file, "" when not given.
     * hd_job_load checks that it holds a hedui manifest.json. */
    char previous[4096];
    /* [job] previous = latest: previous is "" after hd_job_load and is
     * chosen by hd_run among the run directories of output (SPEC §8) */
    int previous_latest;
    /* [job] matches_compression = none | zstd (default none): with zstd,
     * audit/matches.jsonl is written as audit/matches.jsonl.zst, one zstd
     * frame (level 3, with a checksum) of the same bytes */
    int matches_zstd;
    int index;                  /* [job] index = yes: the run writes the index
                                   of SPEC §11 in its own pass */
    /* [job] roster / monitor (SPEC §10): globs of the current recipients'
     * and the monitored population's lists, read with roster_format /
     * monitor_format (default: applicants_format); "" when not given */
    char roster_glob[4096], roster_format[4096];
    char monitor_glob[4096], monitor_format[4096];
    /* [job] register: the register database (SPEC §9), resolved against
     * the job file; "" = OUTPUT/register.db */
    char register_db[4096];
    hd_source_cfg *sources; int nsources;
    int applicants_format_line; /* line of [job] applicants_format (messages) */
} hd_job;

/*
 * Loads a job file (INI, SPEC §2). Paths are resolved against the job
 * file's directory. as_of defaults to `today`.
 * @return HD_OK and *out (free with hd_job_free); HD_ENOINPUT (missing or
 *         unreadable file); HD_ECONFIG "PATH:LINE: reason" (also when
 *         `previous` is not a directory holding a hedui manifest.json);
 *         HD_ESOFTWARE out of memory. *out is NULL on failure.
 */
int hd_job_load(hd_job **out, const char *path, hd_date today, hd_error *err);
void hd_job_free(hd_job *j);

typedef enum hd_log_level { HD_LOG_DEBUG = 0, HD_LOG_INFO, HD_LOG_WARN, HD_LOG_ERROR } hd_log_level;
/* A log sink: `event` is a stable word (e.g. "source_damaged"), `msg` a
 * line without personal data. Called from the thread that runs hd_run. */
typedef void (*hd_log_fn)(void *user, hd_log_level level, const char *event, const char *msg);

typedef struct hd_run_opts {
    int threads;                /* worker threads; <= 0: all cores */
    int force;                  /* rebuild an existing complete output */
    int allow_future_as_of;     /* accept an as_of after today (SPEC §7) */
    hd_log_fn log; void *log_user;
    /* progress: bytes of extracts read so far of total (may be NULL) */
    void (*progress)(void *user, uint64_t done, uint64_t total, uint64_t rows);
    void *progress_user;
} hd_run_opts;

/* One county's populations and lists (SPEC §10), for the stdout summary. */
typedef struct hd_run_county {
    char code[40];              /* county code as submitted (cut at 39 bytes) */
    uint64_t households[3];     /* by hd_population */
    uint64_t recheck;           /* recipient households in recheck.csv */
    uint64_t discovery;         /* households in discovery.csv */
} hd_run_county;

typedef struct hd_run_result {
    char outdir[4096];          /* final output directory */
    char index_dir[4096];       /* [job] index = yes: the index directory */
    int reused;                 /* 1: existed and verified; nothing rewritten */
    int damaged;                /* at least one source damaged */
    int signed_manifest;        /* manifest.sig written */
    uint64_t households, members;
    uint64_t verdicts[3];       /* by hd_verdict */
    uint64_t reasons[HD_FD__COUNT];
    /* the row ledgers summed, applicant files and extract files apart
     * (summary.json totals, SPEC §8) */
    uint64_t app_files, app_rows, app_rows_ok, app_rows_quarantined;
    uint64_t files, rows, rows_ok, rows_quarantined, rows_matched, rows_unmatched;   /* extracts */
    uint64_t suppressed;        /* findings suppressed by county outcomes (SPEC §9) */
    /* SPEC §10: households per population, applications judged in an
     * earlier population, and the lists; lists = 1 when the job gives a
     * roster or a monitor. counties: per county in code order (malloc'd,
     * free with hd_run_result_free), NULL when the output was reused. */
    uint64_t populations[3], superseded[3];
    uint64_t recheck_households, recheck_rows, discovery_households;
    uint64_t discovery_triggers[4];
    int lists;
    hd_run_county *counties; uint32_t ncounties;
    uint32_t rejected_files;    /* applicant files rejected whole (SPEC §7) */
    /* kinds as bits (1 << hd_kind), SPEC §7: with a source in the job,
     * required by the policy, with a damaged source */
    uint32_t kinds_checked, kinds_required, kinds_damaged;
} hd_run_result;

/* Frees what hd_run allocated in *res (counties) and sets counties to
 * NULL; the other fields stay usable. NULL accepted.
 * @return nothing. */
void hd_run_result_free(hd_run_result *res);

/*
 * Runs the batch of a job file.
 * @return HD_OK, HD_EDAMAGED (completed, a source damaged or an applicant
 *         file rejected whole; an output that existed and verified is
 *         HD_OK, res->damaged and res->rejected_files as its summary.json
 *         says), or an error:
 *         HD_ECONFIG, HD_ENOINPUT, HD_EIO (outputs cannot be written: no
 *         final directory is left), HD_ETEMPFAIL (output locked),
 *         HD_EDATA (an output of the same inputs exists but does not
 *         verify: never replaced without opts->force), HD_ESOFTWARE. *res
 *         is filled as far as the run got.
 */
int hd_run(const char *job_path, const hd_run_opts *opts, hd_run_result *res, hd_error *err);

/*
 * Scale-out (SPEC §12): scans part `part` (0-based) of `nparts` of the
 * job's extract files (a deterministic, size-balanced share: largest file
 * first to the part with the fewest bytes so far) and writes everything
 * the merge needs of them (ledgers, damage, quarantined rows, matched
 * records, their files' SHA-256) atomically to
 * OUTPUT/parts/<as_of>-<12 hex>/part-K-of-N (mode 0600), with its own
 * SHA-256 in part-K-of-N.sha256. res->outdir receives the part's path;
 * res->files and the row counts are the part's. A part with no file is
 * fine. Parts of one job may run at the same time (on several machines
 * sharing the output directory). Loads every applicant (the join needs
 * them): memory as a whole run's applicants plus the part's matched rows.
 * @return HD_OK, HD_EDAMAGED (written, but a file it read is damaged or a
 *         source has no file), HD_EUSAGE (part >= nparts or nparts < 1), or
 *         hd_run's errors.
 */
int hd_run_part(const char *job_path, int part, int nparts, const hd_run_opts *opts,
                hd_run_result *res, hd_error *err);

/*
 * Scale-out (SPEC §12, docs/decisions.md "The members file of the
 * parts"): loads the applicant, roster and monitor files once and writes
 * the households and members laid out of them to
 * OUTPUT/parts/<as_of>-<12 hex>/members (mode 0600, its SHA-256 in
 * members.sha256), which every hd_run_part of the same inputs then reads
 * instead of loading them again: the same part files, less CPU. Scans no
 * extract. res->outdir receives the file's path; res->households and
 * res->members its counts; res->rejected_files the applicant files
 * rejected whole (left out; the merge reports them and exits 3).
 * @return HD_OK, or hd_run's errors (HD_EIO when the file cannot be
 *         written).
 */
int hd_run_prepare(const char *job_path, const hd_run_opts *opts, hd_run_result *res, hd_error *err);

/*
 * Merges the parts written by hd_run_part into the run directory: the
 * same output as hd_run, byte for byte, whatever the number of parts
 * (the parts' per-file results go through the same merge, rules and
 * writers, in the run's file order). nparts 0: the N of the part files
 * present. Takes the output lock like hd_run.
 * @return as hd_run, and HD_ENOINPUT when a part is missing, HD_EDATA
 *         naming the part when one is damaged (SHA-256 or form) or of
 *         another job, policy, key, date or build, or when the parts do
 *         not cover the job's extract files exactly once; HD_ETEMPFAIL
 *         when another run or merge holds the output directory.
 */
int hd_merge(const char *job_path, int nparts, const hd_run_opts *opts, hd_run_result *res,
             hd_error *err);

/*
 * Verifies an output directory (SPEC §1 audit verify): manifest.sig is a
 * valid Ed25519 signature over manifest.json under pub_pem (NULL: the
 * bundle's own signing.pub.pem), and every file listed in manifest.json has
 * the listed SHA-256 and size; hd_audit_verify_ex (hedui/verify.h) with
 * no flag and no callback.
 * @return HD_OK; HD_EDATA with the first failure in err; HD_ENOINPUT (DIR,
 *         manifest.json or pub_pem missing); HD_ECONFIG (pub_pem is not an
 *         Ed25519 public key); HD_ESOFTWARE out of memory.
 */
int hd_audit_verify(const char *dir, const char *pub_pem, hd_error *err);

#ifdef __cplusplus
}
#endif
#endif
