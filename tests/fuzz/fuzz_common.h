/* fuzz_common.h — helpers shared by the libFuzzer targets (header-only).
 *
 * Every target that needs a file writes the input into a private temporary
 * directory (under /dev/shm when it exists, else $TMPDIR or /tmp), created
 * once per process and removed at exit. Nothing here is used outside
 * tests/fuzz. */
#ifndef HEDUI_FUZZ_COMMON_H
#define HEDUI_FUZZ_COMMON_H
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HD_REPO_ROOT
#define HD_REPO_ROOT "."
#endif

static char fz_dir[256];
static char fz_made[8][300];
static int fz_nmade;

static inline void fz_cleanup(void)
{
    for (int i = 0; i < fz_nmade; i++) unlink(fz_made[i]);
    if (fz_dir[0]) rmdir(fz_dir);
}

/* The process's temporary directory (created on first use). */
static inline const char *fz_tmpdir(void)
{
    if (fz_dir[0]) return fz_dir;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    snprintf(fz_dir, sizeof fz_dir, "%s/hedui-fuzz-XXXXXX", base);
    if (!mkdtemp(fz_dir)) { perror("mkdtemp"); abort(); }
    atexit(fz_cleanup);
    return fz_dir;
}

/* Path of file `name` in the temporary directory (static buffer per name
 * slot; at most 8 distinct names per target). */
static inline const char *fz_path(const char *name)
{
    static char buf[8][300];
    for (int i = 0; i < fz_nmade; i++)
        if (!strcmp(strrchr(fz_made[i], '/') + 1, name)) return fz_made[i];
    if (fz_nmade == 8) abort();
    snprintf(buf[fz_nmade], sizeof buf[0], "%s/%s", fz_tmpdir(), name);
    memcpy(fz_made[fz_nmade], buf[fz_nmade], sizeof buf[0]);
    return fz_made[fz_nmade++];
}

/* Writes data[0..n) to the temporary file `name`; returns its path. */
static inline const char *fz_write(const char *name, const void *data, size_t n)
{
    const char *p = fz_path(name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror(p); abort(); }
    const char *d = data;
    while (n > 0) {
        ssize_t w = write(fd, d, n);
        if (w <= 0) { perror(p); abort(); }
        d += w; n -= (size_t)w;
    }
    close(fd);
    return p;
}

/* Finds `marker` in data; returns its offset or n when absent. */
static inline size_t fz_find(const uint8_t *data, size_t n, const char *marker)
{
    size_t m = strlen(marker);
    if (m == 0 || n < m) return n;
    for (size_t i = 0; i + m <= n; i++)
        if (data[i] == (uint8_t)marker[0] && !memcmp(data + i, marker, m)) return i;
    return n;
}

/* Reads every byte of [p, p+n) so that ASan sees a bad pointer. */
static inline unsigned fz_touch(const void *p, size_t n)
{
    const volatile unsigned char *q = p;
    unsigned s = 0;
    for (size_t i = 0; i < n; i++) s += q[i];
    return s;
}

#define FZ_ASSERT(c) do { if (!(c)) { fprintf(stderr, "%s:%d: invariant failed: %s\n", \
                                      __FILE__, __LINE__, #c); abort(); } } while (0)
#endif
