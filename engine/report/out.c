/* out.c — the one output writer; see out.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>
#include "report/out.h"

struct hd_out {
    int fd;
    int err;            /* first errno */
    size_t used;
    ZSTD_CCtx *zc;      /* NULL: written as it is; else zstd-compressed */
    char *zbuf;         /* compressed bytes on their way to fd */
    size_t zcap;
    char path[4096];
    char buf[1 << 16];
};

int hd_out_open(hd_out **out, const char *path, hd_error *err)
{
    *out = NULL;
    hd_out *o = malloc(sizeof *o);
    if (!o) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (o->fd < 0) {
        int e = errno;
        free(o);
        return hd_fail(err, HD_EIO, "%s: cannot create: %s", path, strerror(e));
    }
    o->err = 0;
    o->used = 0;
    o->zc = NULL;
    o->zbuf = NULL;
    o->zcap = 0;
    snprintf(o->path, sizeof o->path, "%s", path);
    *out = o;
    return HD_OK;
}

int hd_out_open_zstd(hd_out **out, const char *path, int level, hd_error *err)
{
    int rc = hd_out_open(out, path, err);
    if (rc) return rc;
    hd_out *o = *out;
    o->zcap = ZSTD_CStreamOutSize();
    o->zbuf = malloc(o->zcap);
    o->zc = ZSTD_createCCtx();
    /* nbWorkers stays 0: zstd's multi-threaded mode writes other bytes
     * than its single-threaded one, and outputs must not depend on -j */
    if (!o->zbuf || !o->zc ||
        ZSTD_isError(ZSTD_CCtx_setParameter(o->zc, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(o->zc, ZSTD_c_checksumFlag, 1))) {
        hd_out_abort(o);
        *out = NULL;
        return hd_fail(err, HD_ESOFTWARE, "%s: cannot set up zstd compression (out of memory)", path);
    }
    return HD_OK;
}

static void write_all(hd_out *o, const char *p, size_t n)
{
    size_t off = 0;
    while (off < n && !o->err) {
        ssize_t w = write(o->fd, p + off, n - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            o->err = errno;
        } else if (w == 0) {
            o->err = EIO;
        } else {
            off += (size_t)w;
        }
    }
}

/* Compresses the buffer (and with ZSTD_e_end the frame's end) to fd. */
static void compress(hd_out *o, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { o->buf, o->used, 0 };
    for (;;) {
        ZSTD_outBuffer zo = { o->zbuf, o->zcap, 0 };
        size_t left = ZSTD_compressStream2(o->zc, &zo, &in, mode);
        if (ZSTD_isError(left)) { if (!o->err) o->err = ENOMEM; return; }
        write_all(o, o->zbuf, zo.pos);
        if (o->err) return;
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) return;
    }
}

static void flush(hd_out *o)
{
    if (o->zc) compress(o, ZSTD_e_continue);
    else write_all(o, o->buf, o->used);
    o->used = 0;
}

void hd_out_write(hd_out *o, const void *p, size_t n)
{
    if (n <= sizeof o->buf - o->used) {          /* the usual case */
        memcpy(o->buf + o->used, p, n);
        o->used += n;
        return;
    }
    if (o->err) return;
    const char *s = p;
    while (n) {
        if (o->used == sizeof o->buf) flush(o);
        if (o->err) return;
        size_t k = sizeof o->buf - o->used;
        if (k > n) k = n;
        memcpy(o->buf + o->used, s, k);
        o->used += k; s += k; n -= k;
    }
}

void hd_out_str(hd_out *o, const char *s) { hd_out_write(o, s, strlen(s)); }

void hd_out_printf(hd_out *o, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) { o->err = EINVAL; return; }
    if ((size_t)n >= sizeof tmp) {
        char *big = malloc((size_t)n + 1);
        if (!big) { o->err = ENOMEM; return; }
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        hd_out_write(o, big, (size_t)n);
        free(big);
        return;
    }
    hd_out_write(o, tmp, (size_t)n);
}

void hd_out_i64(hd_out *o, int64_t v)
{
    char b[24], *e = b + sizeof b, *q = e;          /* the digits of "%" PRId64 */
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do { *--q = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) *--q = '-';
    hd_out_write(o, q, (size_t)(e - q));
}

void hd_out_csv(hd_out *o, const char *s, size_t n, int first)
{
    if (!first) hd_out_write(o, ",", 1);
    int q = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') { q = 1; break; }
    if (!q) { hd_out_write(o, s, n); return; }
    hd_out_write(o, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') {
            hd_out_write(o, s + start, i - start + 1);
            hd_out_write(o, "\"", 1);
            start = i + 1;
        }
    }
    hd_out_write(o, s + start, n - start);
    hd_out_write(o, "\"", 1);
}

void hd_out_csv_str(hd_out *o, const char *s, int first) { hd_out_csv(o, s ? s : "", s ? strlen(s) : 0, first); }

void hd_out_csv_i64(hd_out *o, int64_t v, int first)
{
    if (!first) hd_out_write(o, ",", 1);
    hd_out_i64(o, v);
}

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    unsigned cp = c & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

void hd_out_json(hd_out *o, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    hd_out_write(o, "\"", 1);
    /* runs of bytes written as they are (printable ASCII but " and \\,
     * valid UTF-8) go out in one piece; the rest one escape at a time */
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') { i++; continue; }
        size_t l = c >= 0x80 ? utf8_len(p + i, n - i) : 0;
        if (l) { i += l; continue; }
        hd_out_write(o, p + run, i - run);
        if (c == '"' || c == '\\') { char e[2] = {'\\', (char)c}; hd_out_write(o, e, 2); }
        else if (c == '\n') hd_out_write(o, "\\n", 2);
        else if (c == '\r') hd_out_write(o, "\\r", 2);
        else if (c == '\t') hd_out_write(o, "\\t", 2);
        else if (c < 0x20 || c == 0x7f) hd_out_printf(o, "\\u%04x", c);
        else hd_out_write(o, "\\ufffd", 6);
        run = ++i;
    }
    hd_out_write(o, p + run, n - run);
    hd_out_write(o, "\"", 1);
}

void hd_out_json_str(hd_out *o, const char *s) { hd_out_json(o, s ? s : "", s ? strlen(s) : 0); }

int hd_out_close(hd_out *o, hd_error *err)
{
    if (!o) return HD_OK;
    if (o->zc) { if (!o->err) compress(o, ZSTD_e_end); o->used = 0; }
    else flush(o);
    /* no fsync per file: the batch syncs the whole temporary directory
     * once (syncfs) before renaming it into place */
    if (close(o->fd) != 0 && !o->err) o->err = errno;
    int e = o->err;
    int rc = HD_OK;
    if (e) rc = hd_fail(err, HD_EIO, "%s: cannot write: %s", o->path, strerror(e));
    ZSTD_freeCCtx(o->zc);
    free(o->zbuf);
    free(o);
    return rc;
}

void hd_out_abort(hd_out *o)
{
    if (!o) return;
    close(o->fd);
    ZSTD_freeCCtx(o->zc);
    free(o->zbuf);
    free(o);
}
