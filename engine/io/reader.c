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
 *
 * Decoding ahead.  Once a zstd file has handed out AHEAD_START decoded
 * bytes (so: a large file; small files and the header line are read
 * in-line), and only while a core of the caller's budget (hd_cores) is
 * idle, a thread of the reader's own decodes ahead into AHEAD_BLOCKS
 * blocks of AHEAD_BLOCK bytes while the caller parses, so that one large
 * file keeps two cores busy. The budget is what keeps `hedui run -jN` at
 * N busy threads (the run lends only cores no worker uses, batch.c); a
 * reader without a budget never starts a thread. The core is taken when
 * the thread starts (checked on every read past AHEAD_START, so a core
 * freed in the middle of a file is used from then on) and given back
 * when the thread ends. The thread calls the very same read_sync()
 * as before, so the byte stream, the place of every fault and every error
 * message are unchanged; the caller gets the blocks' bytes in order, then
 * the end or the error, sticky as before. From that moment the caller
 * reads the counters (in/out bytes, fault) from its own side (c_*): they
 * are those of the bytes it was handed, never the thread's.
 * Where libzstd reports an error (the byte offset in the message, the
 * bytes read so far) depends on the sizes of the output buffers it was
 * given, which differ between the thread's blocks and the caller's reads.
 * So every read size the caller asks for is logged, and when the thread
 * meets a fault the reader replays: it decodes the file again from its
 * start with the logged sizes, in-line, and goes on in-line from there;
 * a damaged file costs a second decode, and everything the caller sees is
 * exactly what in-line reading gives. Plus AHEAD_BLOCKS x AHEAD_BLOCK
 * bytes of memory per large file being read.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
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

#define AHEAD_START  (1u << 20)      /* decoded bytes handed out in-line first */
#define AHEAD_BLOCK  (256u * 1024)   /* one block decoded ahead */
#define AHEAD_BLOCKS 4

enum { BLK_DATA, BLK_END, BLK_ERROR };

struct ahead_block {
    unsigned char *buf;
    size_t len;
    int kind;                  /* BLK_* */
    uint64_t in_bytes;         /* the file's bytes read when it was made */
    hd_read_fault fault;       /* BLK_ERROR */
    hd_error err;
};

struct hd_cores {
    _Atomic int idle;
};

hd_cores *hd_cores_new(int idle)
{
    hd_cores *c = malloc(sizeof *c);
    if (c) atomic_init(&c->idle, idle > 0 ? idle : 0);
    return c;
}

void hd_cores_give(hd_cores *c)
{
    if (c) atomic_fetch_add(&c->idle, 1);
}

void hd_cores_free(hd_cores *c) { free(c); }

/* Takes an idle core. @return 1, or 0 when none is idle. */
static int cores_take(hd_cores *c)
{
    int n = atomic_load_explicit(&c->idle, memory_order_relaxed);
    while (n > 0)
        if (atomic_compare_exchange_weak(&c->idle, &n, n - 1)) return 1;
    return 0;
}

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

    /* decoding ahead (see the top); the fields above then belong to the
     * thread, the c_* fields to the caller */
    int async;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv_data, cv_space;
    struct ahead_block blk[AHEAD_BLOCKS];
    unsigned head, count;      /* ring of decoded blocks */
    size_t cur;                /* read position in blk[head] */
    int stop;
    uint64_t c_in, c_out;
    hd_read_fault c_fault;
    int no_ahead;              /* never (again) */
    hd_cores *cores;           /* budget to borrow a core from; NULL: never */
    size_t *reqs;              /* every read size asked for, for a replay */
    size_t nreqs, capreqs;
    /* hd_reader_peek: decoded bytes handed back to the next reads */
    unsigned char *pb;
    size_t pb_len, pb_pos;
    int peeked;
    int mem;                   /* the source is the caller's buffer (in) */
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

/* Reads until 4 bytes are in or the file ends. @return 0 or an errno. */
static int sniff(hd_reader *r)
{
    while (r->in_len < 4 && !r->eof) {
        ssize_t n = read(r->fd, r->in + r->in_len, r->in_cap - r->in_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) r->eof = 1;
        r->in_len += (size_t)n;
        r->in_bytes += (uint64_t)n;
    }
    return 0;
}

/* After the first bytes are in: a zstd magic makes a zstd reader, with
 * its decoder (and, for a file, the read-size log of a replay).
 * @return 0, or -1 out of memory. */
static int start_decoder(hd_reader *r)
{
    if (r->in_len >= 4) {
        const unsigned char *b = r->in;
        uint32_t magic = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                         (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        if (magic == ZSTD_MAGICNUMBER ||
            (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START)
            r->is_zstd = 1;
    }
    if (!r->is_zstd) return 0;
    r->dctx = ZSTD_createDCtx();
    if (!r->dctx) return -1;
    /* windowLogMax stays at the library default (27): refuse larger. */
    if (!r->mem) {
        r->capreqs = 64;
        r->reqs = malloc(r->capreqs * sizeof *r->reqs);   /* NULL: no thread */
    }
    return 0;
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
    /* a file smaller than that is read 64 KiB at a time: it needs no
     * bigger buffer (and a file that grows meanwhile is still read whole) */
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < r->in_cap) r->in_cap = 65536;
    r->in = malloc(r->in_cap);
    if (!r->path || !r->in) {
        hd_reader_close(r);
        return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
    }
    /* Sniff: read until 4 bytes are in or the file ends. */
    int e = sniff(r);
    if (e) {
        hd_reader_close(r);
        return hd_fail(err, HD_ENOINPUT, "%s: cannot read: %s", path,
                       strerror(e));
    }
    if (start_decoder(r) != 0) {
        hd_reader_close(r);
        return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
    }
    *out = r;
    return HD_OK;
}

int hd_reader_open_mem(hd_reader **out, const char *name, const void *data, size_t len,
                       uint64_t max_bytes, hd_error *err)
{
    *out = NULL;
    hd_reader *r = calloc(1, sizeof *r);
    if (!r) return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", name);
    r->fd = -1;
    r->mem = 1;
    r->no_ahead = 1;
    r->max_bytes = max_bytes;
    r->path = strdup(name);
    /* the whole input is in the buffer already, as if read(2) had
     * returned it and then 0: refill() is never called (it only runs
     * before the end of input), so the caller's bytes are never written */
    r->in = (unsigned char *)(uintptr_t)data;
    r->in_cap = r->in_len = len;
    r->in_bytes = r->file_size = len;
    r->eof = 1;
    if (!r->path || start_decoder(r) != 0) {
        hd_reader_close(r);
        return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", name);
    }
    *out = r;
    return HD_OK;
}

/* One read(2) of at most cap bytes into buf, retried on EINTR; the bytes
 * counted in in_bytes, eof set at the end. @return the bytes read, or -1
 * with the fault set (HD_RF_IO). */
static ssize_t read_fd(hd_reader *r, void *buf, size_t cap, hd_error *err)
{
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
        return n;
    }
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
    ssize_t n = read_fd(r, r->in + r->in_len, r->in_cap - r->in_len, err);
    if (n < 0) return -1;
    r->in_len += (size_t)n;
    return 0;
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
    ssize_t n = read_fd(r, buf, cap, err);
    if (n >= 0) r->in_pos = r->in_len = 0;
    return n;
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

static ssize_t read_sync(hd_reader *r, void *buf, size_t cap, hd_error *err)
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

/* The decoding thread: read_sync() into free blocks until the end, an
 * error, or stop. */
static void *ahead_main(void *arg)
{
    hd_reader *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->count == AHEAD_BLOCKS && !r->stop)
            pthread_cond_wait(&r->cv_space, &r->mu);
        int stop = r->stop;
        unsigned idx = (r->head + r->count) % AHEAD_BLOCKS;
        pthread_mutex_unlock(&r->mu);
        if (stop) break;
        struct ahead_block *b = &r->blk[idx];
        hd_error e;
        hd_error_clear(&e);
        ssize_t n = read_sync(r, b->buf, AHEAD_BLOCK, &e);
        b->len = n > 0 ? (size_t)n : 0;
        b->kind = n > 0 ? BLK_DATA : n == 0 ? BLK_END : BLK_ERROR;
        b->in_bytes = r->in_bytes;
        b->fault = r->fault;
        b->err = e;
        pthread_mutex_lock(&r->mu);
        r->count++;
        pthread_cond_signal(&r->cv_data);
        pthread_mutex_unlock(&r->mu);
        if (n <= 0) break;
    }
    hd_cores_give(r->cores);        /* this thread's work is done */
    return NULL;
}

/* Starts decoding ahead; stays in-line when it cannot. */
static void ahead_start(hd_reader *r)
{
    for (int i = 0; i < AHEAD_BLOCKS; i++) {
        r->blk[i].buf = malloc(AHEAD_BLOCK);
        if (!r->blk[i].buf) goto fail;
    }
    r->c_in = r->in_bytes;
    r->c_out = r->out_bytes;
    r->c_fault = HD_RF_NONE;
    r->head = r->count = 0;
    r->cur = 0;
    r->stop = 0;
    if (pthread_mutex_init(&r->mu, NULL) != 0) goto fail;
    if (pthread_cond_init(&r->cv_data, NULL) != 0) { pthread_mutex_destroy(&r->mu); goto fail; }
    if (pthread_cond_init(&r->cv_space, NULL) != 0) {
        pthread_cond_destroy(&r->cv_data);
        pthread_mutex_destroy(&r->mu);
        goto fail;
    }
    r->async = 1;
    if (pthread_create(&r->thread, NULL, ahead_main, r) != 0) {
        r->async = 0;
        pthread_cond_destroy(&r->cv_space);
        pthread_cond_destroy(&r->cv_data);
        pthread_mutex_destroy(&r->mu);
        goto fail;
    }
    return;
fail:
    for (int i = 0; i < AHEAD_BLOCKS; i++) { free(r->blk[i].buf); r->blk[i].buf = NULL; }
    r->no_ahead = 1;
    hd_cores_give(r->cores);        /* the core taken for the thread */
}

static void ahead_stop(hd_reader *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_signal(&r->cv_space);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv_space);
    pthread_cond_destroy(&r->cv_data);
    pthread_mutex_destroy(&r->mu);
    for (int i = 0; i < AHEAD_BLOCKS; i++) { free(r->blk[i].buf); r->blk[i].buf = NULL; }
    r->async = 0;
}

/* The thread met a fault: decode again from the start with the caller's
 * logged read sizes (all but the last, which the caller is making now),
 * in-line, so that the fault comes where in-line reading puts it.
 * @return 0, or -1 when the file cannot be read again (the thread's fault
 * then stands). */
static int replay(hd_reader *r)
{
    ahead_stop(r);
    r->no_ahead = 1;
    if (lseek(r->fd, 0, SEEK_SET) != 0) return -1;
    ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
    r->in_pos = r->in_len = 0;
    r->in_bytes = r->out_bytes = 0;
    r->hint = 0;
    r->eof = r->done = r->pending = 0;
    r->fault = HD_RF_NONE;
    if (sniff(r) != 0) return -1;
    size_t big = 0;
    for (size_t i = 0; i + 1 < r->nreqs; i++) if (r->reqs[i] > big) big = r->reqs[i];
    unsigned char *scratch = malloc(big ? big : 1);
    if (!scratch) return -1;
    for (size_t i = 0; i + 1 < r->nreqs; i++) {
        hd_error e;
        if (read_sync(r, scratch, r->reqs[i], &e) < 0) break;
    }
    free(scratch);
    return 0;
}

/* The caller's side: fills buf from the blocks in order, as read_sync()
 * would have (full unless the end or an error comes; bytes before an
 * error first, the error next time). */
static ssize_t read_ahead(hd_reader *r, unsigned char *buf, size_t cap, hd_error *err)
{
    size_t got = 0;
    while (got < cap) {
        pthread_mutex_lock(&r->mu);
        while (r->count == 0) pthread_cond_wait(&r->cv_data, &r->mu);
        struct ahead_block *b = &r->blk[r->head];
        pthread_mutex_unlock(&r->mu);
        if (b->kind != BLK_DATA) {          /* sticky: never taken off */
            r->c_in = b->in_bytes;
            if (got) break;
            if (b->kind == BLK_END) return 0;
            if (r->reqs) {
                hd_read_fault f = b->fault;
                hd_error e2 = b->err;
                if (replay(r) == 0) return read_sync(r, buf, cap, err);
                r->fault = f;                   /* could not replay */
                r->pending_err = e2;
                if (err) *err = e2;
                return -1;
            }
            r->c_fault = b->fault;
            if (err) *err = b->err;
            return -1;
        }
        size_t k = b->len - r->cur;
        if (k > cap - got) k = cap - got;
        memcpy(buf + got, b->buf + r->cur, k);
        got += k;
        r->cur += k;
        r->c_in = b->in_bytes;
        if (r->cur == b->len) {
            r->cur = 0;
            pthread_mutex_lock(&r->mu);
            r->head = (r->head + 1) % AHEAD_BLOCKS;
            r->count--;
            pthread_cond_signal(&r->cv_space);
            pthread_mutex_unlock(&r->mu);
        }
    }
    r->c_out += got;
    return (ssize_t)got;
}

ssize_t hd_reader_read(hd_reader *r, void *buf, size_t cap, hd_error *err)
{
    if (r->pb_pos < r->pb_len && cap > 0) {
        /* what hd_reader_peek decoded comes first; the reads that decoded
         * it are already in the replay log */
        size_t k = r->pb_len - r->pb_pos < cap ? r->pb_len - r->pb_pos : cap;
        memcpy(buf, r->pb + r->pb_pos, k);
        r->pb_pos += k;
        if (r->pb_pos == r->pb_len) { free(r->pb); r->pb = NULL; r->pb_len = r->pb_pos = 0; }
        return (ssize_t)k;
    }
    if (r->cores && r->is_zstd && r->reqs && !r->no_ahead) {
        if (r->nreqs == r->capreqs) {
            size_t nc = r->capreqs * 2;
            size_t *q = realloc(r->reqs, nc * sizeof *q);
            if (!q) {                   /* no log, no replay: no thread */
                if (r->async) {
                    /* the thread goes on; a fault then stays where the
                     * thread met it (offsets may differ by a block) */
                    free(r->reqs);
                    r->reqs = NULL;
                } else {
                    r->no_ahead = 1;
                }
            } else {
                r->reqs = q;
                r->capreqs = nc;
            }
        }
        if (r->reqs && r->nreqs < r->capreqs) r->reqs[r->nreqs++] = cap;
    }
    if (r->async) return cap ? read_ahead(r, buf, cap, err) : 0;
    ssize_t n = read_sync(r, buf, cap, err);
    if (n > 0 && r->cores && r->is_zstd && r->reqs && !r->no_ahead && r->file_size > 0 &&
        r->out_bytes >= AHEAD_START && r->fault == HD_RF_NONE && !r->done &&
        cores_take(r->cores))
        ahead_start(r);
    return n;
}

void hd_reader_use_cores(hd_reader *r, hd_cores *c) { r->cores = c; }

int hd_reader_is_zstd(const hd_reader *r) { return r->is_zstd; }
hd_read_fault hd_reader_fault(const hd_reader *r) { return r->async ? r->c_fault : r->fault; }
uint64_t hd_reader_in_bytes(const hd_reader *r) { return r->async ? r->c_in : r->in_bytes; }
uint64_t hd_reader_out_bytes(const hd_reader *r) { return r->async ? r->c_out : r->out_bytes; }
uint64_t hd_reader_file_size(const hd_reader *r) { return r->file_size; }

int hd_reader_peek(hd_reader *r, size_t n, const unsigned char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (r->peeked || n == 0) return -1;    /* once, before the first read */
    r->peeked = 1;
    /* a buffer holds no more than it has: no larger copy than that */
    if (r->mem && !r->is_zstd && n > r->in_len) n = r->in_len ? r->in_len : 1;
    unsigned char *b = malloc(n);
    if (!b) return -1;
    size_t got = 0;
    while (got < n) {
        hd_error e;
        ssize_t k = hd_reader_read(r, b + got, n - got, &e);
        if (k <= 0) break;                 /* an error is sticky: the next read says it */
        got += (size_t)k;
    }
    r->pb = b;
    r->pb_len = got;
    r->pb_pos = 0;
    if (got == 0) { free(b); r->pb = NULL; }
    *out = r->pb;
    *len = got;
    return 0;
}

void hd_reader_close(hd_reader *r)
{
    if (!r) return;
    free(r->pb);
    if (r->async) ahead_stop(r);
    free(r->reqs);
    if (r->fd >= 0) close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    if (!r->mem) free(r->in);
    free(r->path);
    free(r);
}
