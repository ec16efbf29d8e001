/*
 * outdir.c — the output directory, published atomically (outdir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io/outdir.h"
#include "util/path.h"

/* Removes what killed runs left (.tmp-* and .old-* directories). Called
 * with the lock held, so no live run owns them. */
static void clear_stale(const char *outroot)
{
    DIR *d = opendir(outroot);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, ".tmp-", 5) && strncmp(e->d_name, ".old-", 5)) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", outroot, e->d_name);
        hd_rmtree(p);
    }
    closedir(d);
}

int hd_outdir_lock(const char *outroot, int *fd_out, hd_error *err)
{
    *fd_out = -1;
    /* a symbolic link whose target is gone: say so, not "cannot create lock" */
    struct stat ls, ts;
    char trimmed[4200];
    snprintf(trimmed, sizeof trimmed, "%s", outroot);
    for (size_t n = strlen(trimmed); n > 1 && trimmed[n - 1] == '/'; n--) trimmed[n - 1] = 0;
    if (lstat(trimmed, &ls) == 0 && S_ISLNK(ls.st_mode) && stat(trimmed, &ts) != 0) {
        char target[4096];
        ssize_t n = readlink(trimmed, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        return hd_fail(err, HD_EIO, "%s: the output directory is a symbolic link to %s, which does not exist: "
                       "create the target directory or point [job] output elsewhere", trimmed, target);
    }
    if (hd_mkdirs(outroot, 0700) != 0)
        return hd_fail(err, HD_EIO, "%s: cannot create output directory: %s", outroot, strerror(errno));
    char lock[4200];
    snprintf(lock, sizeof lock, "%s/.hedui.lock", outroot);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return hd_fail(err, HD_EIO, "%s: cannot create lock: %s", lock, strerror(errno));
    /* flock is released by the kernel when a run dies, so a lock left by a
     * killed run never blocks the next one */
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return hd_fail(err, HD_ETEMPFAIL, "%s: another hedui run is using this output directory; try again when it has finished", outroot);
    }
    *fd_out = fd;
    clear_stale(outroot);
    return HD_OK;
}

void hd_outdir_unlock(int fd)
{
    if (fd >= 0) close(fd);
}

int hd_outdir_begin(const char *outroot, const char *tag, char *tmp, size_t cap, hd_error *err)
{
    snprintf(tmp, cap, "%s/.tmp-%s-%ld", outroot, tag, (long)getpid());
    hd_rmtree(tmp);
    if (mkdir(tmp, 0700) != 0)
        return hd_fail(err, HD_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    return HD_OK;
}

/* The replaced output at path could not be removed (errno): 74 naming it. */
static void left_behind(const char *path, hd_error *e)
{
    hd_fail(e, HD_EIO, "%s: cannot remove the output directory --force replaced (it holds personal data; "
            "remove it by hand, or the next run on this output removes it): %s", path, strerror(errno));
}

/* Moves tmp into place as final (see hd_outdir_publish). */
static int swap_in(const char *outroot, const char *tag, const char *tmp, const char *final,
                   hd_error *leftover, hd_error *err)
{
    /* replace atomically: renameat2(RENAME_EXCHANGE) swaps the new
     * directory with the old one in one step, so a reader (or a kill)
     * sees the old complete output or the new one, never none; where
     * the filesystem cannot exchange, the old one is moved aside first */
    struct stat sb;
    int exists = stat(final, &sb) == 0;
    if (exists && renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_EXCHANGE) == 0) {
        /* tmp now holds the old output */
        if (hd_rmtree(tmp) != 0) left_behind(tmp, leftover);
        return HD_OK;
    }
    char old[4300];
    int moved = 0;
    if (exists) {
        snprintf(old, sizeof old, "%s/.old-%s-%ld", outroot, tag, (long)getpid());
        if (rename(final, old) != 0)
            return hd_fail(err, HD_EIO, "%s: cannot replace: %s", final, strerror(errno));
        moved = 1;
    }
    if (rename(tmp, final) != 0)
        return hd_fail(err, HD_EIO, "%s: cannot rename into place: %s", final, strerror(errno));
    if (moved && hd_rmtree(old) != 0) left_behind(old, leftover);
    return HD_OK;
}

int hd_outdir_publish(const char *outroot, const char *tag, const char *tmp, const char *final,
                      hd_error *leftover, hd_error *err)
{
    hd_error_clear(leftover);
    /* everything on disk before the rename publishes it: one syncfs
     * for the directory instead of an fsync per file */
    int rc = HD_OK;
    int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (tfd < 0 || syncfs(tfd) != 0)
        rc = hd_fail(err, HD_EIO, "%s: cannot sync outputs to disk: %s", tmp, strerror(errno));
    if (tfd >= 0) close(tfd);
    if (rc == HD_OK) rc = swap_in(outroot, tag, tmp, final, leftover, err);
    if (rc != HD_OK) {
        hd_rmtree(tmp);
        return rc;
    }
    int dfd = open(outroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    return HD_OK;
}
