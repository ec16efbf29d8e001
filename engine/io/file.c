/*
 * file.c — the one whole-file reader (file.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/file.h"

int hd_file_read(const char *path, size_t max, char **out, size_t *len, hd_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        hd_fail(err, HD_ENOINPUT, "%s: cannot open: %s", path, strerror(e));
        errno = e;
        return HD_ENOINPUT;
    }
    size_t cap = 8192, n = 0;
    char *b = malloc(cap + 1);
    if (!b) { fclose(f); return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path); }
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                free(b); fclose(f);
                return hd_fail(err, HD_EDATA, "%s: larger than %zu bytes", path, max);
            }
            char *nb = realloc(b, cap * 2 + 1);
            if (!nb) { free(b); fclose(f); return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path); }
            b = nb; cap *= 2;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    int bad = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (bad) {
        free(b);
        hd_fail(err, HD_ENOINPUT, "%s: read error: %s", path, strerror(bad));
        errno = bad;
        return HD_ENOINPUT;
    }
    if (n > max) { free(b); return hd_fail(err, HD_EDATA, "%s: larger than %zu bytes", path, max); }
    b[n] = '\0';
    *out = b;
    *len = n;
    return HD_OK;
}
