/*
 * internal.h — what only the files of engine/batch/ share: the
 * OUTPUT/latest link (latest.c) and the parts of a
 * scale-out (part.c). The stages the index also runs are in stages.h; the
 * finished run in report/results.h; its writers in report/report.h.
 */
#ifndef HEDUI_BATCH_INTERNAL_H
#define HEDUI_BATCH_INTERNAL_H

#include <stdio.h>
#include "batch/stages.h"
#include "report/report.h"

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
void hd_part_assign(const hd_results *st, uint32_t first, uint32_t count, int nparts,
                    int *part_of);

/* The digest that names the parts directory and that every part and the
 * merge must agree on: as the input digest, but over the extracts' paths
 * only (each part hashes only the files it reads). Needs every
 * non-extract input hashed. */
int hd_part_set_digest(const hd_results *st, char out[65], hd_error *err);

/* OUTPUT/parts/<as_of>-<12 hex of the set digest> into out. */
void hd_part_dir(const hd_results *st, const char *set_digest, char *out, size_t cap);

/* Writes part k of n: the results of the extract files list[0..count)
 * (scanned), their inputs' SHA-256 and sizes, atomically (temporary
 * name, fsync, rename) as DIR/part-K-of-N, mode 0600, with its SHA-256 in
 * DIR/part-K-of-N.sha256 (sha256sum format). path_out (cap bytes)
 * receives the part's path. HD_EIO naming the file. */
int hd_part_write(hd_results *st, const char *set_digest, int k, int n, const uint32_t *list,
                  uint32_t count, char *path_out, size_t cap, hd_error *err);

/* A file of the parts directory being written: DIR/NAME under a
 * temporary name unique across machines, mode 0600, its SHA-256 summed as
 * it is written (hd_part_put); hd_part_commit flushes, fsyncs, writes the
 * digest to DIR/NAME.sha256 (sha256sum format) and renames it into
 * place. HD_EIO naming the file; the temporary file is removed. */
typedef struct hd_part_out {
    FILE *f;
    struct hd_sha256 *h;
    int bad;
    char dir[4200], name[64], path[4300], tmp[4500];
} hd_part_out;
int hd_part_open(const char *dir, const char *name, hd_part_out *o, hd_error *err);
void hd_part_put(hd_part_out *o, const void *p, size_t n);
int hd_part_commit(hd_part_out *o, hd_error *err);

/* The head lines every file of the parts directory carries: this build's
 * layout and version, as_of, key id, set digest, job and policy digests. */
void hd_part_head(const hd_results *st, const char *set_digest, char *out, size_t cap);

/* Reads path whole into *buf (*len bytes, malloc'd) and checks it against
 * path.sha256. `what` names the file in messages ("part 1 of 4");
 * `missing` says what to do when it is absent (HD_ENOINPUT). HD_EDATA
 * when the digest is missing or differs. */
int hd_part_read_verified(const char *path, const char *what, const char *missing, uint8_t **buf,
                          size_t *len, hd_error *err);

/* Checks the head of a file read whole (buf, len): its first line is
 * `magic`, and its hd_part_head lines are this run's. The head's text
 * goes to head (cap bytes), *body to where the body starts. HD_EDATA
 * naming path and `what` otherwise. */
int hd_part_check_head(const hd_results *st, const char *path, const char *what, const uint8_t *buf,
                       size_t len, const char *magic, const char *set_digest, char *head, size_t cap,
                       const uint8_t **body, hd_error *err);
/* The value of the head line "key <value>" into out; 0 when absent. */
int hd_part_head_value(const char *head, const char *key, char *out, size_t cap);

/* Reads the parts of the run into st: every extract result's ledger,
 * damage, quarantine, records, divisions, newest date and sizes, and its
 * input's SHA-256 and size. nparts 0: the N of the part files found (one
 * N only). Needs st->m loaded (records are checked against its members).
 * HD_ENOINPUT when a part is missing; HD_EDATA naming the part when one is
 * damaged (its SHA-256 or its form), of another job, policy, key, date
 * or build, or when the parts do not cover every extract exactly once. */
int hd_part_load_all(hd_results *st, const char *set_digest, int nparts, hd_error *err);

/* ------------------------------------------------------------ members.c
 * The members file (`hedui run --prepare`): the households and members
 * loaded once, for the parts of the same inputs. */

/* Writes st->m's households and members (loaded, before the join index)
 * as DIR/members with its DIR/members.sha256 (hd_part_open); path_out
 * (cap bytes) receives its path. HD_EIO naming the file. */
int hd_members_write(const hd_results *st, const char *set_digest, char *path_out, size_t cap, hd_error *err);

/* Reads DIR/members into a new st->m (*found = 1), households and members
 * as hd_members_write found them; *found = 0 and HD_OK when there is no
 * such file. HD_EDATA naming the file when it is damaged (digest, size or
 * form) or foreign (another build, job, policy, key, date or inputs). */
int hd_members_read(hd_results *st, const char *set_digest, int *found, hd_error *err);

#endif
