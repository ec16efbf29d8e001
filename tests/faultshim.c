/*
 * faultshim.c — an LD_PRELOAD shim for tests/test_faults.c: injects write
 * and read errors into hedui without a special filesystem.
 *
 * Built by the test itself:  cc -shared -fPIC -o SHIM.so tests/faultshim.c -ldl
 *
 *   HEDUI_FAULT_WDIR=PREFIX     writes to files whose path starts with PREFIX
 *   HEDUI_FAULT_WAFTER=N        succeed for the first N bytes (all such files
 *                               together; the write that crosses N is short),
 *   HEDUI_FAULT_WERRNO=E        then fail with errno E (default ENOSPC).
 *                               write, pwrite and pwrite64 alike (SQLite
 *                               writes the register with pwrite64).
 *   HEDUI_FAULT_RPATH=SUFFIX    reads of a file whose path ends with SUFFIX
 *   HEDUI_FAULT_RAFTER=N        fail with EIO from file offset N on.
 *   HEDUI_FAULT_RMPATH=SUBSTR   remove(3) of a path containing SUBSTR fails
 *                               with EPERM (a directory that cannot be removed).
 *   HEDUI_FAULT_FOPEN=SUFFIX    fopen(3)/fopen64 for writing of a path ending with SUFFIX fails with
 *                               ENOSPC (libxlsxwriter opens its workbook so, and
 *                               then prints an "[ERROR]" line on stderr).
 *   HEDUI_FAULT_TMPDIR=PREFIX   one stdio write (libxlsxwriter's
 *   HEDUI_FAULT_TMPNTH=N        __fprintf_chk, fputs, fputc, fwrite) to an
 *                               unlinked temporary file under PREFIX, the Nth
 *                               (default 1), fails with
 *                               ENOSPC and sets the stream's error flag, as a
 *                               disk full for a moment would; every other
 *                               write succeeds (writes from inside glibc's
 *                               stdio do not pass through write() above).
 *
 * The path of a descriptor is readlink(/proc/self/fd/N).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static unsigned long long written;      /* bytes written under WDIR so far */

static int fd_path(int fd, char *buf, size_t cap)
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, cap - 1);
    if (n < 0) return -1;
    buf[n] = 0;
    return 0;
}

static unsigned long long env_ull(const char *name, unsigned long long dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoull(s, NULL, 10) : dflt;
}

/* How many of n bytes to fd may be written: n, fewer (the write that
 * crosses WAFTER), or -1 (fail with WERRNO). */
static long long allowed(int fd, size_t n, int *match)
{
    *match = 0;
    const char *dir = getenv("HEDUI_FAULT_WDIR");
    char path[PATH_MAX];
    if (!dir || !*dir || fd <= 2 || fd_path(fd, path, sizeof path) != 0 ||
        strncmp(path, dir, strlen(dir)) != 0)
        return (long long)n;
    *match = 1;
    unsigned long long after = env_ull("HEDUI_FAULT_WAFTER", 0);
    unsigned long long done = __atomic_load_n(&written, __ATOMIC_SEQ_CST);
    if (done >= after) {
        errno = (int)env_ull("HEDUI_FAULT_WERRNO", ENOSPC);
        return -1;
    }
    if (n > after - done) n = (size_t)(after - done);
    return (long long)n;
}

static ssize_t counted(ssize_t w, int match)
{
    if (w > 0 && match) __atomic_add_fetch(&written, (unsigned long long)w, __ATOMIC_SEQ_CST);
    return w;
}

ssize_t write(int fd, const void *p, size_t n)
{
    if (!real_write) real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    int match;
    long long k = allowed(fd, n, &match);
    if (k < 0) return -1;
    return counted(real_write(fd, p, (size_t)k), match);
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real) real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    int match;
    long long k = allowed(fd, n, &match);
    if (k < 0) return -1;
    return counted(real(fd, p, (size_t)k, off), match);
}

ssize_t pwrite64(int fd, const void *p, size_t n, off64_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off64_t);
    if (!real) real = (ssize_t (*)(int, const void *, size_t, off64_t))dlsym(RTLD_NEXT, "pwrite64");
    int match;
    long long k = allowed(fd, n, &match);
    if (k < 0) return -1;
    return counted(real(fd, p, (size_t)k, off), match);
}

ssize_t read(int fd, void *p, size_t n)
{
    if (!real_read) real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    const char *suf = getenv("HEDUI_FAULT_RPATH");
    char path[PATH_MAX];
    if (!suf || !*suf || fd_path(fd, path, sizeof path) != 0) return real_read(fd, p, n);
    size_t pl = strlen(path), sl = strlen(suf);
    if (pl < sl || strcmp(path + pl - sl, suf) != 0) return real_read(fd, p, n);
    off_t pos = lseek(fd, 0, SEEK_CUR);
    unsigned long long after = env_ull("HEDUI_FAULT_RAFTER", 0);
    if (pos < 0 || (unsigned long long)pos >= after) { errno = EIO; return -1; }
    if (n > after - (unsigned long long)pos) n = (size_t)(after - (unsigned long long)pos);
    return real_read(fd, p, n);
}

int remove(const char *p)
{
    static int (*real_remove)(const char *);
    if (!real_remove) real_remove = (int (*)(const char *))dlsym(RTLD_NEXT, "remove");
    const char *sub = getenv("HEDUI_FAULT_RMPATH");
    if (sub && *sub && strstr(p, sub)) { errno = EPERM; return -1; }
    return real_remove(p);
}

static int fopen_fails(const char *p, const char *mode)
{
    const char *suf = getenv("HEDUI_FAULT_FOPEN");
    size_t pl = strlen(p), sl = suf ? strlen(suf) : 0;
    return sl && pl >= sl && strcmp(p + pl - sl, suf) == 0 && strchr(mode, 'w') != NULL;
}

FILE *fopen(const char *p, const char *mode)
{
    static FILE *(*real_fopen)(const char *, const char *);
    if (!real_fopen) real_fopen = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen");
    if (fopen_fails(p, mode)) { errno = ENOSPC; return NULL; }
    return real_fopen(p, mode);
}

/* minizip (libxlsxwriter's zip writer) opens with fopen64 */
FILE *fopen64(const char *p, const char *mode)
{
    static FILE *(*real_fopen64)(const char *, const char *);
    if (!real_fopen64) real_fopen64 = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, "fopen64");
    if (fopen_fails(p, mode)) { errno = ENOSPC; return NULL; }
    return real_fopen64(p, mode);
}

/* HEDUI_FAULT_TMPDIR: whether this stdio write to f is the one to fail;
 * when it is, f's error flag and errno (ENOSPC) are set as a failed write
 * sets them, and the caller returns its failure value */
static int tmp_write_fails(FILE *f)
{
    static unsigned long long seen;
    const char *dir = getenv("HEDUI_FAULT_TMPDIR");
    char path[PATH_MAX];
    int fd = f ? fileno(f) : -1;
    if (!dir || !*dir || fd <= 2 || fd_path(fd, path, sizeof path) != 0 ||
        strncmp(path, dir, strlen(dir)) != 0 || !strstr(path, " (deleted)") ||
        __atomic_add_fetch(&seen, 1, __ATOMIC_SEQ_CST) != env_ull("HEDUI_FAULT_TMPNTH", 1))
        return 0;
    f->_flags |= _IO_ERR_SEEN;
    errno = ENOSPC;
    return 1;
}

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
    (void)flag;
    if (tmp_write_fails(f)) return -1;
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

int fputs(const char *str, FILE *f)
{
    static int (*real)(const char *, FILE *);
    if (!real) real = (int (*)(const char *, FILE *))dlsym(RTLD_NEXT, "fputs");
    if (tmp_write_fails(f)) return EOF;
    return real(str, f);
}

int fputc(int c, FILE *f)
{
    static int (*real)(int, FILE *);
    if (!real) real = (int (*)(int, FILE *))dlsym(RTLD_NEXT, "fputc");
    if (tmp_write_fails(f)) return EOF;
    return real(c, f);
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    static size_t (*real)(const void *, size_t, size_t, FILE *);
    if (!real) real = (size_t (*)(const void *, size_t, size_t, FILE *))dlsym(RTLD_NEXT, "fwrite");
    if (tmp_write_fails(f)) return 0;
    return real(p, size, n, f);
}
