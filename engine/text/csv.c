/*
 * csv.c — the one CSV reader (RFC 4180) of hedui/text.h.
 *
 * Design.  Bytes come from a hd_reader and are first made UTF-8: a UTF-8
 * file is used as it is (no copy, no iconv); a GBK or GB18030 file is
 * decoded into the text buffer before any byte is looked at, because a GBK
 * trail byte can be 0x7C '|' or 0x5C and must never split a field: ASCII
 * and the two-byte characters through glibc's own table (gb.c, built from
 * iconv), the rest (GB18030 four-byte characters) by iconv. iconv's EINVAL (a character cut at the buffer edge) keeps the
 * tail for the next read; each byte iconv rejects (EILSEQ, or a cut
 * character at the end of the file) becomes 0xFF followed by the byte
 * itself when it is not ASCII (so the quarantine can show it, SPEC §7), a byte that never
 * occurs in UTF-8, so the record it lands in fails hd_utf8_valid() and
 * gets fault ENCODING. Nothing is ever silently replaced.
 *
 * Tokenising. The usual record (no quote byte, whole in the text already
 * read) is found and split in one pass, a block at a time: each block
 * gives a bit mask of its delimiters, its line ends and quotes, and its
 * NUL and non-ASCII bytes (32 bytes with SSE2, the x86_64 baseline; a portable scalar
 * loop gives the same masks, chosen at compile time: HD_CSV_SCALAR or no
 * SSE2; tests/test_csv_scalar.c checks that both read alike). Fields point
 * straight into the text buffer, and a record without a NUL or non-ASCII
 * byte needs no encoding check. Any other record (a quote byte, or the
 * text read so far ends inside it) goes, from the start of the field
 * where that was seen, the general way in two passes:
 *  1. find the record end: memchr for '\n' and the quote byte; inside
 *     quotes memchr for the next quote. The scan state survives refills,
 *     so a record may straddle buffer edges.
 *  2. split: without quotes, fields point straight into the text buffer
 *     (the same block masks); with quotes a small state machine copies
 *     the unquoted field text into a field buffer.
 * Buffers grow to the longest record seen (at most max_line + a read
 * chunk) and are reused: no allocation per record. A record longer than
 * max_line is cut: its first max_line bytes are kept in a side buffer and
 * the rest is scanned and thrown away as it arrives.
 *
 * Line ends: LF ends a record (outside quotes); a CR just before it is
 * dropped, so CRLF, LF and mixed files read the same. A lone CR is data.
 *
 * Faults, first found wins: TRUNCATED, LINE_TOO_LONG, UNBALANCED_QUOTE,
 * ENCODING, NUL_BYTE, BAD_QUOTE.
 */
#include <assert.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#if defined(__SSE2__) && !defined(HD_CSV_SCALAR)
#define CSV_SSE2 1
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "hedui/text.h"
#include "text/gb.h"

#define TEXT_CHUNK  (256 * 1024)   /* decoded bytes asked for per refill */
#define FIRST_CHUNK (64 * 1024)    /* ... at first: doubled up to TEXT_CHUNK
                                      while refills come back at least half
                                      full, so a small file never gets a
                                      256 KiB buffer */
#define RAW_CHUNK   (64 * 1024)    /* undecoded bytes per read (iconv) */
#define DEFAULT_MAX_LINE (1024 * 1024)

enum { S_START, S_UNQ, S_QUOTED, S_QQ };   /* scan / split states */

/* A copy of a record that outlives the text buffer (trailer look-ahead). */
typedef struct held {
    hd_csv_record rec;
    char *text;
    size_t text_cap;
    hd_field *fields;
    size_t fields_cap;
} held;

struct hd_csv {
    int bom_checked;              /* iconv path: leading BOM bytes looked for */
    hd_reader *r;
    hd_encoding enc;
    char delim;
    int quote;
    unsigned skip;
    int trailer;
    size_t max_line;

    /* decoded UTF-8 text: [rs, end) not yet returned; sp = scan position */
    char *buf;
    size_t cap, rs, sp, end;
    int st;                 /* scan state at sp */
    int saw_quote;          /* the current record has a quote byte */
    uint64_t nl_in;         /* newlines inside quotes in the current record */
    int eof;                /* no more text will come */

    /* iconv (GBK / GB18030) and glibc's two-byte table (gb.c) */
    iconv_t cd;
    const uint32_t *gbtab;
    char *raw;
    size_t raw_pos, raw_len;
    int raw_eof;

    /* reader failure: sticky */
    int failed;
    hd_error fail_err;

    /* output of the current record */
    hd_field *fields;
    size_t fields_cap;
    char *fbuf;
    size_t fbuf_cap;
    char *longbuf;          /* max_line bytes, allocated at the first long record */
    size_t chunk;           /* bytes asked for by the next refill */
    int short_read;         /* the last refill got less than its room */

    uint64_t line;
    uint64_t skipped;
    int started;

    /* trailer look-ahead: two slots, one holds, one was just returned */
    held slot[2];
    int hold;               /* index of the holding slot */
    int have_held;
};

/* ------------------------------------------------------------ buffers */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int oom(hd_csv *c, hd_error *err)
{
    c->failed = 1;
    hd_fail(&c->fail_err, HD_ESOFTWARE, "out of memory reading CSV");
    if (err) *err = c->fail_err;
    return -1;
}

/* The buffer a LINE_TOO_LONG record keeps its first max_line bytes in,
 * allocated at the first such record (1 MiB by default, which most files
 * never need). @return 0, or -1 out of memory. */
static int long_buf(hd_csv *c)
{
    if (!c->longbuf) c->longbuf = malloc(c->max_line);
    return c->longbuf ? 0 : -1;
}

/* Makes room for at least `want` more bytes after end: moves [rs, end)
 * to the front, grows the buffer if that is not enough. */
static int make_room(hd_csv *c, size_t want)
{
    if (c->rs > 0) {
        memmove(c->buf, c->buf + c->rs, c->end - c->rs);
        c->end -= c->rs;
        c->sp -= c->rs;
        c->rs = 0;
    }
    if (c->cap - c->end < want)
        return grow((void **)&c->buf, &c->cap, c->end + want, 1);
    return 0;
}

/* Reader failed: remember its error. */
static int reader_failed(hd_csv *c, const hd_error *e, hd_error *err)
{
    c->failed = 1;
    c->fail_err = *e;
    if (err) *err = *e;
    return -1;
}

/* Length of the run of ASCII bytes at p (at most n), 8 bytes at a time. */
static size_t ascii_run(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & 0x8080808080808080ull) break;
        i += 8;
    }
    while (i < n && p[i] < 0x80) i++;
    return i;
}

/* Length of the run of non-ASCII characters at p (at most n): a lead byte
 * (>= 0x80) and its trail bytes (one; in GB18030 three when the second is
 * a digit), until a byte < 0x80 stands where a character begins. Only a
 * guess at where iconv's work ends: iconv itself judges every byte. */
static size_t mb_run(const unsigned char *p, size_t n, int gb18030)
{
    size_t i = 0;
    while (i < n && p[i] >= 0x80)
        i += (gb18030 && i + 1 < n && p[i + 1] >= 0x30 && p[i + 1] <= 0x39) ? 4 : 2;
    return i < n ? i : n;
}

/* Decodes from p[0..n) into o[0..room) what needs no iconv call: ASCII
 * bytes, and pairs glibc's table (gb.c) decodes or rejects (a rejected
 * first byte becomes 0xFF and itself, as an EILSEQ from iconv does).
 * Stops at a pair the table leaves to iconv, at a first byte that is the
 * last of p, or when o is nearly full. *used = bytes of p consumed;
 * returns the bytes written. */
static size_t gb_decode(const uint32_t *tab, const unsigned char *p, size_t n,
                        unsigned char *o, size_t room, size_t *used)
{
    size_t i = 0, w = 0;
    while (i < n && w + 4 <= room) {
        if (p[i] < 0x80) {
            /* ASCII: 8 bytes copied at a time, then only as many kept as
             * were ASCII (the rest is written over next) */
            while (i + 8 <= n && w + 8 <= room) {
                uint64_t x;
                memcpy(&x, p + i, 8);
                memcpy(o + w, &x, 8);
                uint64_t hi = x & 0x8080808080808080ull;
                if (hi) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                    size_t k = (size_t)__builtin_ctzll(hi) >> 3;
#else
                    size_t k = (size_t)__builtin_clzll(hi) >> 3;
#endif
                    i += k;
                    w += k;
                    break;
                }
                i += 8;
                w += 8;
            }
            if (i < n && p[i] < 0x80 && w < room) o[w++] = p[i++];
            continue;
        }
        if (i + 1 >= n) break;
        uint32_t v = tab[(size_t)(p[i] - 0x80) * 256 + p[i + 1]];
        if (v == HD_GB_ICONV) break;
        if (v == HD_GB_REJECT) {
            o[w++] = 0xFF;
            o[w++] = p[i++];
            continue;
        }
        o[w] = (unsigned char)v;                  /* up to 3 bytes, 4 written */
        o[w + 1] = (unsigned char)(v >> 8);
        o[w + 2] = (unsigned char)(v >> 16);
        w += v >> 24;
        i += 2;
    }
    *used = i;
    return w;
}

/*
 * iconv from raw into the text buffer; rejected bytes become 0xFF.
 * Bytes below 0x80 where a character begins are ASCII in GBK and GB18030
 * alike and decode to themselves, so runs of them are copied without
 * iconv; iconv gets only the runs of multi-byte characters. If such a run
 * was cut short (iconv says EINVAL before the end of the raw bytes), iconv
 * is called again on everything left, so the text is the same byte for
 * byte as one iconv call over the whole input would give.
 */
static int fill_iconv(hd_csv *c, hd_error *err)
{
    const int gb18030 = c->enc == HD_ENC_GB18030;
    for (;;) {
        size_t produced_total = 0;
        int need_room = 0;
        while (c->raw_pos < c->raw_len && c->end < c->cap) {
            const unsigned char *rp = (const unsigned char *)c->raw + c->raw_pos;
            size_t avail = c->raw_len - c->raw_pos, room = c->cap - c->end;
            if (c->gbtab) {
                size_t used, made = gb_decode(c->gbtab, rp, avail, (unsigned char *)c->buf + c->end,
                                              room, &used);
                if (used) {
                    c->end += made;
                    c->raw_pos += used;
                    produced_total += made;
                    continue;
                }
            }
            size_t k = ascii_run(rp, avail < room ? avail : room);
            if (k) {
                memcpy(c->buf + c->end, rp, k);
                c->end += k;
                c->raw_pos += k;
                produced_total += k;
                continue;
            }
            size_t seg = mb_run(rp, avail, gb18030);
            char *in = c->raw + c->raw_pos;
            size_t inleft = seg;
            char *out = c->buf + c->end;
            size_t outleft = room;
            size_t rc = iconv(c->cd, &in, &inleft, &out, &outleft);
            int e = errno;
            if (rc == (size_t)-1 && e == EINVAL && seg < avail) {
                inleft = c->raw_len - (size_t)(in - c->raw);
                rc = iconv(c->cd, &in, &inleft, &out, &outleft);
                e = errno;
            }
            size_t produced = (size_t)(out - (c->buf + c->end));
            c->end += produced;
            produced_total += produced;
            c->raw_pos = (size_t)(in - c->raw);
            if (rc != (size_t)-1) continue;
            if (e == EILSEQ) {
                /* 0xFF, then the rejected byte itself when it is not
                 * ASCII, so the quarantine can show its own value
                 * (SPEC §7); neither byte can be a delimiter, quote or
                 * line end */
                if (c->end + 2 > c->cap) break;
                unsigned char b = (unsigned char)c->raw[c->raw_pos];
                c->buf[c->end++] = (char)0xFF;
                if (b >= 0x80) { c->buf[c->end++] = (char)b; produced_total++; }
                c->raw_pos++;
                produced_total++;
            } else if (e == EINVAL && c->raw_eof) {
                /* a character cut by the end of the file: each of its
                 * bytes marked as above */
                if (c->end + 2 * (c->raw_len - c->raw_pos) > c->cap) break;
                while (c->raw_pos < c->raw_len) {
                    unsigned char b = (unsigned char)c->raw[c->raw_pos++];
                    c->buf[c->end++] = (char)0xFF;
                    if (b >= 0x80) { c->buf[c->end++] = (char)b; produced_total++; }
                    produced_total++;
                }
            } else {
                need_room = e == E2BIG;     /* the caller makes room */
                break;                      /* EINVAL: read more */
            }
        }
        if (produced_total > 0 || need_room || c->end >= c->cap) return 1;
        if (c->raw_eof) return 0;
        /* keep an incomplete tail, read more raw bytes */
        if (c->raw_pos > 0) {
            memmove(c->raw, c->raw + c->raw_pos, c->raw_len - c->raw_pos);
            c->raw_len -= c->raw_pos;
            c->raw_pos = 0;
        }
        hd_error e2;
        ssize_t n = hd_reader_read(c->r, c->raw + c->raw_len,
                                   RAW_CHUNK - c->raw_len, &e2);
        if (n < 0) {
            /* flush what is left as rejected bytes of a cut record */
            if (c->raw_len > c->raw_pos && c->end < c->cap) {
                c->buf[c->end++] = (char)0xFF;
                c->raw_pos = c->raw_len;
            }
            return reader_failed(c, &e2, err);
        }
        if (n == 0) c->raw_eof = 1;
        c->raw_len += (size_t)n;
        if (!c->bom_checked && (c->raw_len >= 4 || c->raw_eof)) {
            /* SPEC §6: a BOM at the start of a file is dropped, whatever the
             * declared encoding (a UTF-8 BOM written by a tool in front of
             * GBK text would otherwise decode as two bad characters) */
            c->bom_checked = 1;
            if (c->raw_len >= 3 && !memcmp(c->raw, "\xEF\xBB\xBF", 3)) c->raw_pos = 3;
            else if (c->raw_len >= 4 && !memcmp(c->raw, "\x84\x31\x95\x33", 4)) c->raw_pos = 4;
        }
    }
}

/* Appends decoded text after end.
 * @return 1 text added, 0 end of input, -1 reader failure or no memory. */
static int fill(hd_csv *c, hd_error *err)
{
    if (c->failed) {
        if (err) *err = c->fail_err;
        return -1;
    }
    if (c->eof) return 0;
    /* after a short refill the end is probably near: 4 KiB of room will
     * do, so the refill that finds it grows nothing */
    if (make_room(c, c->short_read ? 4096 : c->chunk) != 0)
        return oom(c, err);
    size_t before = c->end, room = c->cap - c->end;
    int rc;
    if (c->enc == HD_ENC_UTF8) {
        hd_error e2;
        ssize_t n = hd_reader_read(c->r, c->buf + c->end, c->cap - c->end, &e2);
        if (n < 0) return reader_failed(c, &e2, err);
        c->end += (size_t)n;
        rc = n > 0;
    } else {
        rc = fill_iconv(c, err);
    }
    if (rc == 0) c->eof = 1;
    c->short_read = c->end - before < room;
    if (c->end - before >= c->chunk / 2 && c->chunk < TEXT_CHUNK) c->chunk *= 2;
    return rc;
}

/* ------------------------------------------------------------ open */

int hd_csv_open(hd_csv **out, hd_reader *r, const hd_csv_opts *o, hd_error *err)
{
    *out = NULL;
    const char *path = o->path ? o->path : "(input)";
    unsigned char d = (unsigned char)o->delimiter;
    if (d == 0 || d >= 0x80 || d == '\n' || d == '\r' || (int)d == o->quote)
        return hd_fail(err, HD_ECONFIG, "%s: delimiter must be one ASCII "
                       "character other than the quote and a line end", path);
    if (o->quote != -1 && (o->quote <= 0 || o->quote >= 0x80 ||
                           o->quote == '\n' || o->quote == '\r'))
        return hd_fail(err, HD_ECONFIG, "%s: quote must be one ASCII character "
                       "or none", path);
    hd_csv *c = calloc(1, sizeof *c);
    if (!c) return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
    c->r = r;
    c->enc = o->encoding;
    c->delim = o->delimiter;
    c->quote = o->quote;
    c->skip = o->skip;
    c->trailer = o->trailer;
    c->max_line = o->max_line ? o->max_line : DEFAULT_MAX_LINE;
    c->chunk = FIRST_CHUNK;
    /* a plain input known to be small (one household's rows in memory, a
     * small file) gets a buffer of its size and 4 KiB more, for the read
     * that finds the end, not 64 KiB (issue 15); a file that grows
     * meanwhile is still read whole, the buffer growing as for any file */
    uint64_t size = hd_reader_file_size(r);
    if (size > 0 && !hd_reader_is_zstd(r) && c->enc == HD_ENC_UTF8 && size + 4096 < FIRST_CHUNK)
        c->chunk = ((size_t)size + 4096 + 4095) & ~(size_t)4095;
    c->cd = (iconv_t)-1;
    if (c->enc == HD_ENC_GBK || c->enc == HD_ENC_GB18030) {
        const char *name = c->enc == HD_ENC_GBK ? "GBK" : "GB18030";
        c->cd = iconv_open("UTF-8", name);
        c->gbtab = hd_gb_table(c->enc == HD_ENC_GB18030);
        if (c->cd == (iconv_t)-1) {
            free(c);
            return hd_fail(err, HD_ECONFIG, "%s: iconv cannot decode %s: %s",
                           path, name, strerror(errno));
        }
        c->raw = malloc(RAW_CHUNK);
        if (!c->raw) { hd_csv_close(c); return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path); }
    } else if (c->enc != HD_ENC_UTF8) {
        free(c);
        return hd_fail(err, HD_ECONFIG, "%s: unknown encoding %d", path, (int)o->encoding);
    }
    if (grow((void **)&c->fields, &c->fields_cap, 16, sizeof(hd_field))) {
        hd_csv_close(c);
        return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
    }
    *out = c;
    return HD_OK;
}

void hd_csv_close(hd_csv *c)
{
    if (!c) return;
    if (c->cd != (iconv_t)-1) iconv_close(c->cd);
    free(c->raw);
    free(c->buf);
    free(c->fields);
    free(c->fbuf);
    free(c->longbuf);
    for (int i = 0; i < 2; i++) {
        free(c->slot[i].text);
        free(c->slot[i].fields);
    }
    free(c);
}

uint64_t hd_csv_skipped_lines(const hd_csv *c) { return c->skipped; }

/* Drops a BOM and the first `skip` physical lines. */
static int start(hd_csv *c, hd_error *err)
{
    while (c->end - c->rs < 3 && fill(c, err) > 0) {}
    if (c->failed) return -1;
    if (c->end - c->rs >= 3 && memcmp(c->buf + c->rs, "\xEF\xBB\xBF", 3) == 0)
        c->rs += 3;
    while (c->skipped < c->skip) {
        char *nl = memchr(c->buf + c->rs, '\n', c->end - c->rs);
        if (nl) {
            c->rs = (size_t)(nl - c->buf) + 1;
            c->skipped++;
            continue;
        }
        int partial = c->rs < c->end;
        c->sp = c->rs = c->end;      /* the line so far is dropped */
        int rc = fill(c, err);
        if (rc < 0) return -1;
        if (rc == 0) {
            /* the file ends: a last line without a line end still counts */
            if (partial) c->skipped++;
            break;
        }
    }
    c->sp = c->rs;
    c->line = 1 + c->skipped;
    c->started = 1;
    return 0;
}

/* ------------------------------------------------------------ scanning */

/* One block of up to 32 bytes of text, a bit per byte (bit k = byte k):
 * the delimiter; a line end or the quote byte (where a plain record
 * stops). */
enum { BLOCK = 32 };
typedef struct blockmask {
    uint32_t dl, stop;
} blockmask;

/* The masks of p[0..n), n <= BLOCK, one byte at a time: the portable way,
 * and the tail of the text on every build. quote < 0: none. */
static inline blockmask block_bytes(const char *p, size_t n, char dl, int quote)
{
    blockmask m = { 0, 0 };
    for (size_t k = 0; k < n; k++) {
        unsigned char b = (unsigned char)p[k];
        m.dl |= (uint32_t)(b == (unsigned char)dl) << k;
        m.stop |= (uint32_t)(b == '\n' || (int)b == quote) << k;
    }
    return m;
}

#ifdef CSV_SSE2
/* The same masks of 32 bytes at p with SSE2 (two 16-byte loads). qv is
 * the quote byte in every lane, or '\n' when there is no quote. */
static inline blockmask block32(const char *p, __m128i dv, __m128i nv, __m128i qv)
{
    __m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
#define MASK2(x, y) ((uint32_t)_mm_movemask_epi8(x) | (uint32_t)_mm_movemask_epi8(y) << 16)
    blockmask m;
    m.dl = MASK2(_mm_cmpeq_epi8(a, dv), _mm_cmpeq_epi8(b, dv));
    m.stop = MASK2(_mm_or_si128(_mm_cmpeq_epi8(a, nv), _mm_cmpeq_epi8(a, qv)),
                   _mm_or_si128(_mm_cmpeq_epi8(b, nv), _mm_cmpeq_epi8(b, qv)));
#undef MASK2
    return m;
}
#define BLOCK_VARS(c)                                                   \
    const __m128i dv_ = _mm_set1_epi8((c)->delim), nv_ = _mm_set1_epi8('\n'), \
                  qv_ = _mm_set1_epi8((c)->quote >= 0 ? (char)(c)->quote : '\n')
#define BLOCK_AT(c, p, n) ((n) == BLOCK ? block32((p), dv_, nv_, qv_) : block_bytes((p), (n), (c)->delim, (c)->quote))
#else
#define BLOCK_VARS(c) (void)0
#define BLOCK_AT(c, p, n) block_bytes((p), (n), (c)->delim, (c)->quote)
#endif

static int grow_fields(hd_csv *c, size_t nf);

static inline int push_field(hd_csv *c, size_t *nf, const char *p, size_t n)
{
    if (__builtin_expect(*nf == c->fields_cap, 0) && grow_fields(c, *nf)) return -1;
    c->fields[*nf].p = p;
    c->fields[*nf].n = n;
    (*nf)++;
    return 0;
}

/*
 * The one-pass way (see the top of the file): a record from rs that has
 * no quote byte and ends in the text read so far. Its fields are pushed
 * as their delimiters are found (the CR of a CRLF left to the caller).
 * @return 1 found: *eol = index of its '\n', *nfp fields;
 *         0 not that kind of record: c->sp and c->st say where find_end()
 *         goes on, at the start of the field where a quote byte or the end
 *         of the text was met;
 *         -1 out of memory.
 */
static int scan_plain(hd_csv *c, size_t *eol, size_t *nfp)
{
    BLOCK_VARS(c);
    const char *b = c->buf;
    size_t i = c->rs, e = c->end, f = c->rs, nf = 0;
    while (i < e) {
        /* room for a field per byte of the block and the last one */
        if (__builtin_expect(nf + BLOCK + 1 > c->fields_cap, 0) && grow_fields(c, nf + BLOCK))
            return -1;
        hd_field *out = c->fields;
        size_t k = e - i < BLOCK ? e - i : BLOCK;
        blockmask m = BLOCK_AT(c, b + i, k);
        uint32_t d = m.stop ? m.dl & ((m.stop & -m.stop) - 1) : m.dl;
        while (d) {
            size_t at = i + (size_t)__builtin_ctz(d);
            out[nf].p = b + f;
            out[nf].n = at - f;
            nf++;
            f = at + 1;
            d &= d - 1;
        }
        if (m.stop) {
            size_t at = i + (size_t)__builtin_ctz(m.stop);
            if (b[at] != '\n') break;                 /* a quote byte */
            out[nf].p = b + f;
            out[nf].n = at - f;
            *eol = at;
            *nfp = nf + 1;
            return 1;
        }
        i += k;
    }
    c->sp = f;
    c->st = S_START;
    return 0;
}

/* Advances the record-end scan from sp. @return the index of the '\n'
 * that ends the record, or -1 when the text so far holds no end. */
static long find_end(hd_csv *c)
{
    const char *b = c->buf;
    size_t i = c->sp, e = c->end;
    int st = c->st, q = c->quote;
    char dl = c->delim;
    while (i < e) {
        if (st == S_START || st == S_UNQ) {
            const char *nl = memchr(b + i, '\n', e - i);
            size_t lim = nl ? (size_t)(nl - b) : e;
            const char *qp = q >= 0 ? memchr(b + i, q, lim - i) : NULL;
            if (!qp) {
                if (lim > i) st = b[lim - 1] == dl ? S_START : S_UNQ;
                if (nl) { c->sp = lim; c->st = st; return (long)lim; }
                i = e;
                break;
            }
            size_t qi = (size_t)(qp - b);
            /* ="...": '=' at the start of a field, then the quote */
            int eq = qi > i && b[qi - 1] == '=' &&
                     (qi - 1 == i ? st == S_START : b[qi - 2] == dl);
            if (qi > i) st = b[qi - 1] == dl ? S_START : S_UNQ;
            c->saw_quote = 1;
            st = st == S_START || eq ? S_QUOTED : S_UNQ;  /* else a stray quote */
            i = qi + 1;
        } else if (st == S_QUOTED) {
            const char *qp = memchr(b + i, q, e - i);
            size_t lim = qp ? (size_t)(qp - b) : e;
            for (const char *p = b + i; (p = memchr(p, '\n', (size_t)(b + lim - p))); p++)
                c->nl_in++;
            if (!qp) { i = e; break; }
            st = S_QQ;
            i = lim + 1;
        } else {                                    /* S_QQ */
            char ch = b[i];
            if (ch == '\n') { c->sp = i; c->st = st; return (long)i; }
            st = ch == q ? S_QUOTED : ch == dl ? S_START : S_UNQ;
            i++;
        }
    }
    c->sp = i;
    c->st = st;
    return -1;
}

static int grow_fields(hd_csv *c, size_t nf)
{
    return grow((void **)&c->fields, &c->fields_cap, nf + 1, sizeof(hd_field));
}

/* Splits rec->raw into fields. Sets *bad (stray quote) and *open (a quoted
 * field still open at the end). @return 0, or -1 out of memory. */
static int split(hd_csv *c, hd_csv_record *rec, int *bad, int *open)
{
    const char *s = rec->raw;
    size_t n = rec->raw_len, nf = 0;
    *bad = *open = 0;
    if (!c->saw_quote) {
        /* fields point into the text; delimiters found a block at a time */
        BLOCK_VARS(c);
        size_t f = 0;
        for (size_t i = 0; i < n; i += BLOCK) {
            size_t k = n - i < BLOCK ? n - i : BLOCK;
            uint32_t d = BLOCK_AT(c, s + i, k).dl;
            while (d) {
                size_t at = i + (size_t)__builtin_ctz(d);
                if (push_field(c, &nf, s + f, at - f)) return -1;
                f = at + 1;
                d &= d - 1;
            }
        }
        if (push_field(c, &nf, s + f, n - f)) return -1;
        rec->nfields = nf;
        rec->fields = c->fields;
        return 0;
    }
    if (grow((void **)&c->fbuf, &c->fbuf_cap, n + 1, 1)) return -1;
    /* The same state machine as find_end (S_START, S_UNQ, S_QUOTED, S_QQ),
     * run a span at a time: memchr finds the next quote inside a quoted
     * field and the next delimiter outside, and the text between is copied
     * in one piece. */
    char *w = c->fbuf;
    const char q = (char)c->quote, dl = c->delim;
    size_t i = 0;
    for (;;) {                                      /* S_START */
        char *f = w;
        int quoted = 0;
        if (i < n && s[i] == q) { quoted = 1; i++; }
        else if (i + 1 < n && s[i] == '=' && s[i + 1] == q) {
            /* ="..." without surrounding quotes (the spreadsheet way of
             * forcing text, SPEC §6): read as the quoted text inside */
            quoted = 1;
            i += 2;
        }
        if (quoted) {
            for (;;) {                              /* S_QUOTED */
                const char *qp = memchr(s + i, q, n - i);
                size_t k = qp ? (size_t)(qp - s) : n;
                memcpy(w, s + i, k - i);
                w += k - i;
                if (!qp) { *open = 1; break; }      /* still open at the end */
                i = k + 1;                          /* S_QQ */
                if (i < n && s[i] == q) { *w++ = q; i++; continue; }
                break;
            }
            if (*open || i >= n || s[i] == dl) {
                if (push_field(c, &nf, f, (size_t)(w - f))) return -1;
                if (*open || i >= n) break;
                i++;
                continue;
            }
            *bad = 1;               /* text after the closing quote: S_UNQ */
        }
        /* S_UNQ up to the delimiter; a quote in it is a stray one */
        const char *dp = memchr(s + i, dl, n - i);
        size_t k = dp ? (size_t)(dp - s) : n;
        if (memchr(s + i, q, k - i)) *bad = 1;
        memcpy(w, s + i, k - i);
        w += k - i;
        if (push_field(c, &nf, f, (size_t)(w - f))) return -1;
        if (!dp) break;
        i = k + 1;
    }
    rec->nfields = nf;
    rec->fields = c->fields;
    return 0;
}

/* 1 if every field is empty after trimming. */
static int is_blank(const hd_csv_record *rec)
{
    for (size_t i = 0; i < rec->nfields; i++) {
        const char *p = rec->fields[i].p;
        size_t n = rec->fields[i].n;
        hd_trim(&p, &n);
        if (n) return 0;
    }
    return 1;
}

/* The fields of a record scan_plain() found: its last field ends where
 * rec->raw_len does (without the CR of a CRLF). */
static void plain_fields(hd_csv *c, hd_csv_record *rec, size_t nf)
{
    hd_field *last = &c->fields[nf - 1];
    last->n = (size_t)(rec->raw + rec->raw_len - last->p);
    rec->fields = c->fields;
    rec->nfields = nf;
}

/* One record, no trailer logic. @return 1, 0 (end) or -1. */
static int parse_one(hd_csv *c, hd_csv_record *rec, hd_error *err)
{
    if (!c->started && start(c, err) != 0) return -1;
    if (c->failed && c->rs == c->end) {
        if (err) *err = c->fail_err;
        return -1;
    }
    c->sp = c->rs;
    c->st = S_START;
    c->saw_quote = 0;
    c->nl_in = 0;
    int is_long = 0, truncated = 0, at_eof = 0;
    size_t eol, nplain = 0;
    int plain = scan_plain(c, &eol, &nplain);
    if (plain < 0) return oom(c, err);
    for (; !plain;) {
        long pos = find_end(c);
        if (pos >= 0) { eol = (size_t)pos; break; }
        if (!is_long && c->end - c->rs > c->max_line + 1) {
            is_long = 1;
            if (long_buf(c)) return oom(c, err);
            memcpy(c->longbuf, c->buf + c->rs, c->max_line);
        }
        if (is_long) c->rs = c->sp;               /* forget the scanned text */
        int rc = fill(c, err);
        if (rc > 0) continue;
        if (c->rs == c->end && !is_long) {
            if (rc < 0) return -1;
            return 0;
        }
        if (rc < 0) {
            if (hd_reader_fault(c->r) != HD_RF_TRUNCATED) return -1;
            truncated = 1;
        }
        eol = c->end;
        at_eof = 1;
        break;
    }

    memset(rec, 0, sizeof *rec);
    rec->line = c->line;
    rec->lines = 1 + c->nl_in;
    c->line += rec->lines;
    int bad = 0, open = 0;
    if (is_long) {
        rec->raw = c->longbuf;
        rec->raw_len = c->max_line;
        rec->fields = c->fields;
        rec->nfields = 0;
        rec->fault = HD_R_LINE_TOO_LONG;
    } else {
        size_t len = eol - c->rs;
        if (len && c->buf[c->rs + len - 1] == '\r' && c->st != S_QUOTED) len--;
        rec->raw = c->buf + c->rs;
        rec->raw_len = len;
        if (len > c->max_line) {
            if (long_buf(c)) return oom(c, err);
            memcpy(c->longbuf, rec->raw, c->max_line);
            rec->raw = c->longbuf;
            rec->raw_len = c->max_line;
            rec->fields = c->fields;
            rec->fault = HD_R_LINE_TOO_LONG;
        } else {
            if (plain) plain_fields(c, rec, nplain);
            else if (split(c, rec, &bad, &open)) return oom(c, err);
            if (open) rec->fault = HD_R_UNBALANCED_QUOTE;
            else {
                /* ENCODING, then NUL_BYTE: one pass over UTF-8; iconv writes
                 * only valid UTF-8, and 0xFF for every byte it rejects */
                hd_reason f = c->enc == HD_ENC_UTF8 ? hd_utf8_check(rec->raw, rec->raw_len, c->end - c->rs)
                            : memchr(rec->raw, 0xFF, rec->raw_len) ? HD_R_ENCODING
                            : memchr(rec->raw, 0, rec->raw_len) ? HD_R_NUL_BYTE : HD_R_NONE;
                rec->fault = f != HD_R_NONE ? f : bad ? HD_R_BAD_QUOTE : HD_R_NONE;
            }
        }
    }
    if (truncated) rec->fault = HD_R_TRUNCATED;
    if (rec->fault == HD_R_NONE) rec->blank = is_blank(rec);
    /* what every caller relies on: the record within max_line, its fields
     * within the field array, the returned text not past the buffer */
    assert(rec->raw_len <= c->max_line);
    assert(rec->nfields <= c->fields_cap);
    assert(rec->raw == c->longbuf || eol <= c->end);
    c->rs = at_eof ? c->end : eol + 1;
    c->sp = c->rs;
    return 1;
}

/* Copies a record into a slot so that it survives the next parse. */
static int hold_copy(held *h, const hd_csv_record *rec)
{
    size_t total = rec->raw_len + 1;
    for (size_t i = 0; i < rec->nfields; i++) total += rec->fields[i].n;
    if (grow((void **)&h->text, &h->text_cap, total, 1) ||
        grow((void **)&h->fields, &h->fields_cap, rec->nfields + 1, sizeof(hd_field)))
        return -1;
    h->rec = *rec;
    char *w = h->text;
    memcpy(w, rec->raw, rec->raw_len);
    h->rec.raw = w;
    w += rec->raw_len;
    for (size_t i = 0; i < rec->nfields; i++) {
        memcpy(w, rec->fields[i].p, rec->fields[i].n);
        h->fields[i].p = w;
        h->fields[i].n = rec->fields[i].n;
        w += rec->fields[i].n;
    }
    h->rec.fields = h->fields;
    return 0;
}

int hd_csv_next(hd_csv *c, hd_csv_record *rec, hd_error *err)
{
    if (!c->trailer) return parse_one(c, rec, err);
    for (;;) {
        hd_csv_record cur;
        int rc = parse_one(c, &cur, err);
        if (rc == 1 && cur.blank) {             /* blanks are not held */
            *rec = cur;
            return 1;
        }
        if (rc == 1) {
            if (!c->have_held) {
                if (hold_copy(&c->slot[c->hold], &cur)) return oom(c, err);
                c->have_held = 1;
                continue;
            }
            int out = c->hold;
            c->hold ^= 1;
            if (hold_copy(&c->slot[c->hold], &cur)) return oom(c, err);
            *rec = c->slot[out].rec;
            return 1;
        }
        if (!c->have_held) return rc;
        /* end of input: the held record is the trailer, unless the input
         * ended in an error (then the trailer is unknown) */
        c->have_held = 0;
        *rec = c->slot[c->hold].rec;
        rec->is_trailer = rc == 0;
        return 1;
    }
}
