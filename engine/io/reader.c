/*
 * reader.c — the one streaming reader for every input file (hedui/io.h).
 *
 * Design.  A file is sniffed by its first four bytes: the zstd frame magic
 * (28 B5 2F FD) or a skippable-frame magic (0x184D2A50..5F, little-endian)
 * makes it a zstd file, anything else (an empty file included) is plain.
 * A zstd file is fed to ZSTD_decompressStream() until the file ends; the
 * decoder itself walks concatenated frames and skips skippable frames
 * (RFC 8878 §3.1). The decoder's window limit stays at libzstd's default
 * (ZSTD_WINDOWLOG_LIMIT_DEFAULT = 27, 128 MiB): a frame that asks for more
 * (zstd --long=28) is refused with a clean error, never allocated.
 *
 * Errors.  Truncated vs corrupt: ZSTD_decompressStream() returns 0 exactly
 * when a frame has been decoded and flushed completely. If the file ends
 * while the last return value was a nonzero hint, the file ends inside a
 * frame (HD_RF_TRUNCATED). Any error code from libzstd is HD_RF_CORRUPT:
 * bad checksum, corrupt block, and bytes after a good frame that are no
 * frame ("Unknown frame descriptor"). The byte offset in a corrupt-data
 * message is the start of the 4 KiB input slice where libzstd failed (it
 * does not say where exactly); for truncation it is the file size. Decoded bytes produced before an
 * error are handed out first; the error comes with the next call.
 *
 * Memory: one input buffer of ZSTD_DStreamInSize() (~128 KiB) plus the
 * libzstd context (its window, at most 128 MiB for --long=27 frames).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "hedui/io.h"

/* Compressed bytes given to one ZSTD_decompressStream() call: an error is
 * reported at the start of the slice in which libzstd failed. */
#define SLICE 4096

struct hd_reader {
    int fd;
    char *path;
    uint64_t max_bytes;        /* 0 = no cap */
    int is_zstd;
    ZSTD_DCtx *dctx;
    unsigned char *in;         /* input buffer */
    size_t in_cap, in_pos, in_len;
    uint64_t in_bytes;         /* bytes read(2) from the file so far */
    uint64_t out_bytes;        /* decoded bytes handed to the caller */
    uint64_t file_size;
    size_t hint;               /* last ZSTD_decompressStream() result */
    int eof;                   /* read(2) returned 0 */
    int done;                  /* clean end reached */
    hd_read_fault fault;       /* sticky: set on the first failure */
    int pending;               /* an error waits behind returned bytes */
    hd_error pending_err;
};

/* Offset in the file of in[in_pos]: where decoding stands. */
static uint64_t cur_offset(const hd_reader *r)
{
    return r->in_bytes - (r->in_len - r->in_pos);
}

static int set_fault(hd_reader *r, hd_read_fault f, hd_error *err,
                     const char *what, uint64_t off)
{
    r->fault = f;
    if (f == HD_RF_SIZE_CAP)
        hd_fail(&r->pending_err, HD_EIO,
                "%s: byte %llu: decoded size over the cap of %llu bytes",
                r->path, (unsigned long long)off,
                (unsigned long long)r->max_bytes);
    else
        hd_fail(&r->pending_err, HD_EIO, "%s: byte %llu: %s", r->path,
                (unsigned long long)off, what);
    if (err) *err = r->pending_err;
    return -1;
}

int hd_reader_open(hd_reader **out, const char *path, uint64_t max_bytes,
                   hd_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return hd_fail(err, HD_ENOINPUT, "%s: cannot open: %s", path,
                       strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return hd_fail(err, HD_ENOINPUT, "%s: cannot open: %s", path,
                       strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return hd_fail(err, HD_ENOINPUT, "%s: cannot open: %s", path,
                       strerror(EISDIR));
    }
    hd_reader *r = calloc(1, sizeof *r);
    if (!r) {
        close(fd);
        return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
    }
    r->fd = fd;
    r->max_bytes = max_bytes;
    r->file_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    r->path = strdup(path);
    r->in_cap = ZSTD_DStreamInSize();
    if (r->in_cap < 65536) r->in_cap = 65536;
    r->in = malloc(r->in_cap);
    if (!r->path || !r->in) {
        hd_reader_close(r);
        return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
    }
    /* Sniff: read until 4 bytes are in or the file ends. */
    while (r->in_len < 4 && !r->eof) {
        ssize_t n = read(fd, r->in + r->in_len, r->in_cap - r->in_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            hd_reader_close(r);
            return hd_fail(err, HD_ENOINPUT, "%s: cannot read: %s", path,
                           strerror(e));
        }
        if (n == 0) r->eof = 1;
        r->in_len += (size_t)n;
        r->in_bytes += (uint64_t)n;
    }
    if (r->in_len >= 4) {
        const unsigned char *b = r->in;
        uint32_t magic = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                         (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        if (magic == ZSTD_MAGICNUMBER ||
            (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START)
            r->is_zstd = 1;
    }
    if (r->is_zstd) {
        r->dctx = ZSTD_createDCtx();
        if (!r->dctx) {
            hd_reader_close(r);
            return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
        }
        /* windowLogMax stays at the library default (27): refuse larger. */
    }
    *out = r;
    return HD_OK;
}

/* Refills the input buffer (everything before in_pos is consumed).
 * @return 0, or -1 with the fault set (HD_RF_IO). */
static int refill(hd_reader *r, hd_error *err)
{
    if (r->in_pos < r->in_len && r->in_pos > 0) {
        memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
        r->in_len -= r->in_pos;
        r->in_pos = 0;
    } else if (r->in_pos == r->in_len) {
        r->in_pos = r->in_len = 0;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->in + r->in_len, r->in_cap - r->in_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            char what[256];
            snprintf(what, sizeof what, "read: %s", strerror(errno));
            return set_fault(r, HD_RF_IO, err, what, r->in_bytes);
        }
        if (n == 0) r->eof = 1;
        r->in_len += (size_t)n;
        r->in_bytes += (uint64_t)n;
        return 0;
    }
}

/* Plain file: hand out buffered bytes, then read(2) straight into buf. */
static ssize_t read_plain(hd_reader *r, unsigned char *buf, size_t cap,
                          hd_error *err)
{
    if (r->in_pos < r->in_len) {
        size_t n = r->in_len - r->in_pos;
        if (n > cap) n = cap;
        memcpy(buf, r->in + r->in_pos, n);
        r->in_pos += n;
        return (ssize_t)n;
    }
    if (r->eof) return 0;
    for (;;) {
        ssize_t n = read(r->fd, buf, cap);
        if (n < 0) {
            if (errno == EINTR) continue;
            char what[256];
            snprintf(what, sizeof what, "read: %s", strerror(errno));
            return set_fault(r, HD_RF_IO, err, what, r->in_bytes);
        }
        if (n == 0) r->eof = 1;
        r->in_bytes += (uint64_t)n;
        r->in_pos = r->in_len = 0;
        return n;
    }
}

static int zstd_fault(hd_reader *r, size_t ret, hd_error *err)
{
    char what[256];
    if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge)
        snprintf(what, sizeof what,
                 "zstd: %s (window over 128 MiB, as made by zstd --long=28 "
                 "or more; not accepted)", ZSTD_getErrorName(ret));
    else
        snprintf(what, sizeof what, "zstd: %s", ZSTD_getErrorName(ret));
    return set_fault(r, HD_RF_CORRUPT, err, what, cur_offset(r));
}

/* zstd file: decode into buf until it is full, the file ends, or an error.
 * Bytes decoded before an error are returned; the error waits. */
static ssize_t read_zstd(hd_reader *r, unsigned char *buf, size_t cap,
                         hd_error *err)
{
    ZSTD_outBuffer out = { buf, cap, 0 };
    hd_error tmp;
    while (out.pos < out.size) {
        if (r->in_pos == r->in_len && !r->eof) {
            if (refill(r, &tmp) != 0) break;
            continue;
        }
        /* Input goes in slices so that an error can be placed: libzstd
         * does not move in.pos when it fails. */
        size_t end = r->in_len - r->in_pos > SLICE ? r->in_pos + SLICE : r->in_len;
        ZSTD_inBuffer in = { r->in, end, r->in_pos };
        size_t before = out.pos, in_before = in.pos;
        size_t ret = ZSTD_decompressStream(r->dctx, &out, &in);
        r->in_pos = in.pos;
        if (ZSTD_isError(ret)) {
            zstd_fault(r, ret, &tmp);
            break;
        }
        /* A call that neither consumed nor produced only says how much a
         * next frame header would need: it does not change where we are. */
        if (in.pos != in_before || out.pos != before) r->hint = ret;
        if (r->in_pos == r->in_len && r->eof && out.pos == before &&
            in.pos == in_before) {
            /* No input left and nothing more came out: the end. */
            if (r->hint != 0)
                set_fault(r, HD_RF_TRUNCATED, &tmp,
                          "zstd: truncated: the file ends inside a frame",
                          cur_offset(r));
            else
                r->done = 1;
            break;
        }
    }
    if (r->fault != HD_RF_NONE) {
        if (out.pos > 0) { r->pending = 1; return (ssize_t)out.pos; }
        if (err) *err = r->pending_err;
        return -1;
    }
    return (ssize_t)out.pos;
}

ssize_t hd_reader_read(hd_reader *r, void *buf, size_t cap, hd_error *err)
{
    if (r->fault != HD_RF_NONE) {
        r->pending = 0;
        if (err) *err = r->pending_err;
        return -1;
    }
    if (r->done || cap == 0) return 0;
    /* The cap: ask for at most one byte more than still allowed. */
    size_t want = cap;
    if (r->max_bytes) {
        uint64_t left = r->max_bytes > r->out_bytes ? r->max_bytes - r->out_bytes : 0;
        if (left + 1 < want) want = (size_t)left + 1;
    }
    if (want > SSIZE_MAX) want = SSIZE_MAX;
    ssize_t n = r->is_zstd ? read_zstd(r, buf, want, err)
                           : read_plain(r, buf, want, err);
    if (n > 0 && r->max_bytes && r->out_bytes + (uint64_t)n > r->max_bytes) {
        /* Hand out the bytes up to the cap first, the error next time, so
         * that what a caller gets does not depend on its buffer size and
         * every whole record within the cap counts (SPEC §6 "Damage":
         * rows read before the damage still count). */
        uint64_t left = r->max_bytes - r->out_bytes;
        set_fault(r, HD_RF_SIZE_CAP, NULL, "", cur_offset(r));
        if (left > 0) {
            r->pending = 1;
            r->out_bytes += left;
            return (ssize_t)left;
        }
        r->pending = 0;
        if (err) *err = r->pending_err;
        return -1;
    }
    if (n > 0) r->out_bytes += (uint64_t)n;
    if (n == 0 && !r->is_zstd) r->done = 1;
    return n;
}

int hd_reader_is_zstd(const hd_reader *r) { return r->is_zstd; }
hd_read_fault hd_reader_fault(const hd_reader *r) { return r->fault; }
uint64_t hd_reader_in_bytes(const hd_reader *r) { return r->in_bytes; }
uint64_t hd_reader_out_bytes(const hd_reader *r) { return r->out_bytes; }
uint64_t hd_reader_file_size(const hd_reader *r) { return r->file_size; }

void hd_reader_close(hd_reader *r)
{
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    free(r->in);
    free(r->path);
    free(r);
}
