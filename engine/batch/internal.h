/*
 * internal.h — what only the files of engine/batch/ share: the
 * OUTPUT/latest link (latest.c) and the parts of a
 * scale-out (part.c). The stages the index also runs are in stages.h; the
 * finished run in report/results.h; its writers in report/report.h.
 */
#ifndef HEDUI_BATCH_INTERNAL_H
#define HEDUI_BATCH_INTERNAL_H

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

/* Reads the parts of the run into st: every extract result's ledger,
 * damage, quarantine, records, divisions, newest date and sizes, and its
 * input's SHA-256 and size. nparts 0: the N of the part files found (one
 * N only). Needs st->m loaded (records are checked against its members).
 * HD_ENOINPUT when a part is missing; HD_EDATA naming the part when one is
 * damaged (its SHA-256 or its form), of another job, policy, key, date
 * or build, or when the parts do not cover every extract exactly once. */
int hd_part_load_all(hd_results *st, const char *set_digest, int nparts, hd_error *err);

#endif
