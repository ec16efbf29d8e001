/*
 * outdir.h — the output directory, published atomically (SPEC §8).
 *
 * A run owns OUTPUT while it holds OUTPUT/.hedui.lock (flock: the kernel
 * releases it when the process dies, so a killed run never blocks the
 * next). It writes into a private OUTPUT/.tmp-TAG-PID directory and, when
 * every file is there, makes it the final directory in one step: a reader
 * (or a kill) sees the old complete output or the new one, never none and
 * never half of one. What killed runs left (.tmp-*, .old-*) is removed by
 * the next run that holds the lock.
 *
 * Files are created by the callers; the process's umask (077 for `hedui`,
 * set by the CLI) decides their mode. None of these functions is
 * thread-safe with respect to the same OUTPUT.
 */
#ifndef HEDUI_IO_OUTDIR_H
#define HEDUI_IO_OUTDIR_H

#include <stddef.h>
#include "hedui/error.h"

/* Creates OUTPUT (mode 0700) when missing and takes its lock into *fd
 * (release with hd_outdir_unlock), then removes what killed runs left.
 * @return HD_OK; HD_EIO when OUTPUT is a dangling symbolic link or cannot
 * be created, or the lock file cannot; HD_ETEMPFAIL when another run holds
 * the lock. */
int hd_outdir_lock(const char *outroot, int *fd, hd_error *err);

/* Releases the lock taken by hd_outdir_lock (fd < 0: nothing). */
void hd_outdir_unlock(int fd);

/* Makes the private temporary directory OUTPUT/.tmp-TAG-PID (mode 0700),
 * empty, into tmp (cap bytes). @return HD_OK or HD_EIO naming it. */
int hd_outdir_begin(const char *outroot, const char *tag, char *tmp, size_t cap, hd_error *err);

/* Publishes tmp as final: syncs the files to disk (one syncfs), swaps tmp
 * with an existing final (renameat2 RENAME_EXCHANGE; where the filesystem
 * cannot, the old one is first moved to OUTPUT/.old-TAG-PID) or renames
 * it into place, removes the old one and syncs OUTPUT. On an error, tmp is
 * removed. @return HD_OK or HD_EIO naming the directory. A replaced
 * output that cannot be removed is not an error of the publication: it is
 * named in *leftover (HD_EIO), which the caller reports (it holds personal
 * data). */
int hd_outdir_publish(const char *outroot, const char *tag, const char *tmp, const char *final,
                      hd_error *leftover, hd_error *err);

#endif
