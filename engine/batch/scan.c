/*
 * scan.c — reads one input file through its descriptor (SPEC §6
 * "Reading"): the one path every applicant list and extract takes.
 */
#include <assert.h>
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "batch/internal.h"

int hd_file_result_quarantine(hd_file_result *r, uint64_t line, hd_reason why, int field,
                              const char *raw, size_t raw_len)
{
    if (r->nq == r->capq) {
        uint32_t cap = r->capq ? r->capq * 2 : 64;
        hd_qrow *q = realloc(r->q, (size_t)cap * sizeof *q);
        if (!q) return HD_ESOFTWARE;
        r->q = q; r->capq = cap;
    }
    if (!r->arena && !(r->arena = hd_arena_new())) return HD_ESOFTWARE;
    if (raw_len > 65536) raw_len = 65536;       /* enough to see the fault */
    const char *copy = hd_arena_strndup(r->arena, raw ? raw : "", raw ? raw_len : 0);
    if (!copy) return HD_ESOFTWARE;
    r->q[r->nq++] = (hd_qrow){ line, why, field, copy, (uint32_t)raw_len };
    r->ledger.by_reason[why]++;
    return HD_OK;
}

void hd_file_result_division(hd_file_result *r, const char *id18)
{
    if (hd_division_known(id18)) return;
    for (uint32_t i = 0; i < r->ndiv; i++)
        if (memcmp(r->div[i].code, id18, 6) == 0) { r->div[i].n++; return; }
    hd_divcount *d = realloc(r->div, (r->ndiv + 1) * sizeof *d);
    if (!d) return;
    r->div = d;
    memcpy(d[r->ndiv].code, id18, 6);
    d[r->ndiv].code[6] = 0;
    d[r->ndiv].n = 1;
    r->ndiv++;
}

static int parse_count(const hd_csv_record *t, uint64_t *n)
{
    if (t->nfields == 0) return 0;
    const char *s = t->fields[t->nfields - 1].p;
    size_t len = t->fields[t->nfields - 1].n;
    hd_trim(&s, &len);
    if (len == 0 || len > 18) return 0;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    *n = x;
    return 1;
}

static void damage(hd_file_result *res, hd_reason why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void damage(hd_file_result *res, hd_reason why, const char *fmt, ...)
{
    if (res->damage != HD_R_NONE) return;          /* the first cause stands */
    res->damage = why;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->damage_msg, sizeof res->damage_msg, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ sniff */

enum { SNIFF_BYTES = 64 * 1024 };

/* 1 when s[0..n) is valid UTF-8, a character cut by the end of the
 * sample allowed. */
static int sample_utf8(const char *s, size_t n)
{
    size_t cut = n;
    /* drop an incomplete last character: at most 3 bytes back */
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char c = (unsigned char)s[n - back];
        if ((c & 0xC0) == 0x80) continue;
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        if (need > back) cut = n - back;
        break;
    }
    return hd_utf8_valid(s, cut);
}

/* 1 when s[0..n) decodes as GB18030 (glibc iconv), a character cut by the
 * end of the sample allowed. */
static int sample_gb18030(const char *s, size_t n)
{
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) return 0;
    char out[4096];
    char *in = (char *)s;
    size_t inleft = n;
    int ok = 1;
    while (inleft > 0) {
        char *o = out;
        size_t oleft = sizeof out;
        size_t rc = iconv(cd, &in, &inleft, &o, &oleft);
        if (rc != (size_t)-1) break;
        if (errno == E2BIG) continue;
        if (errno == EINVAL && inleft <= 4) break;     /* cut by the sample */
        ok = 0;
        break;
    }
    iconv_close(cd);
    return ok;
}

/* Counts bytes >= 0x80 of s[0..n). */
static size_t non_ascii(const unsigned char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += s[i] >= 0x80;
    return k;
}

/* Non-ASCII bytes of a valid UTF-8 start after which its encoding is
 * taken as shown (about 20 Chinese characters): the sniff then stops
 * decoding, and later bad bytes stay row-level ENCODING (SPEC §7 "bad
 * bytes past a good start"). */
enum { SNIFF_ENOUGH = 64 };

/* The encoding verdict on text[0..n) (n < SNIFF_BYTES and not at the end
 * of the file: `final` 0). Returns 1 decided (*why set), 0 undecided. */
static int encoding_verdict(const char *text, size_t n, hd_encoding enc, int final, hd_reason *why)
{
    *why = HD_R_NONE;
    if (enc == HD_ENC_UTF8) {
        size_t off = n >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0;
        if (!sample_utf8(text + off, n - off)) {
            if (sample_gb18030(text + off, n - off)) *why = HD_R_WRONG_ENCODING;
            return 1;
        }
        return final || non_ascii((const unsigned char *)text + off, n - off) >= SNIFF_ENOUGH;
    }
    size_t off = n >= 4 && !memcmp(text, "\x84\x31\x95\x33", 4) ? 4 : 0;
    if (!sample_utf8(text + off, n - off)) return 1;          /* not UTF-8: as declared */
    size_t na = non_ascii((const unsigned char *)text + off, n - off);
    if (na >= SNIFF_ENOUGH || (final && na > 0)) { *why = HD_R_WRONG_ENCODING; return 1; }
    return final;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

hd_reason hd_sniff(const char *path, int zstd, const unsigned char *t, size_t ntext,
                   hd_encoding enc, char *msg, size_t cap)
{
    hd_reason why = HD_R_NONE, enc_why = HD_R_NONE;
    if (!t) t = (const unsigned char *)"";     /* an empty file: no bytes peeked */
    /* growing prefixes: a start that shows its encoding decides, so bad
     * bytes past a good start stay row-level ENCODING */
    for (size_t k = ntext < 4096 ? ntext : 4096;; k = k * 2 < ntext ? k * 2 : ntext)
        if (encoding_verdict((const char *)t, k, enc, k == ntext, &enc_why) || k == ntext) break;
    const char *looks = NULL;
    if (ends_with(path, ".zst") && !zstd) {
        why = HD_R_NOT_ZSTD;
        snprintf(msg, cap, "%s: NOT_ZSTD: 文件名以 .zst 结尾，但不是 zstd 压缩文件；请用 zstd 压缩后发送，或去掉文件名中的 .zst / "
                 "the name ends in .zst but the file has no zstd magic; compress it with zstd, or drop .zst from its name",
                 path);
    } else if (ntext >= 4 && ((t[0] == 0xFF && t[1] == 0xFE && t[2] == 0 && t[3] == 0) ||
                              (t[0] == 0 && t[1] == 0 && t[2] == 0xFE && t[3] == 0xFF))) {
        looks = "UTF-32 text (UTF-32 文本)";
    } else if (ntext >= 2 && ((t[0] == 0xFF && t[1] == 0xFE) || (t[0] == 0xFE && t[1] == 0xFF))) {
        looks = "UTF-16 \"Unicode text\" (UTF-16 “Unicode 文本”)";
    } else if (ntext >= 4 && !memcmp(t, "PK\x03\x04", 4)) {
        looks = "a ZIP archive, e.g. an .xlsx workbook renamed .csv (ZIP 压缩包，如改了扩展名的 .xlsx 工作簿)";
    } else if (ntext >= 8 && !memcmp(t, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8)) {
        looks = "an OLE file, e.g. an .xls workbook renamed .csv (OLE 文件，如改了扩展名的 .xls 工作簿)";
    } else if (enc_why == HD_R_WRONG_ENCODING && enc == HD_ENC_UTF8) {
        why = HD_R_WRONG_ENCODING;
        snprintf(msg, cap, "%s: WRONG_ENCODING: 格式说明写的是 UTF-8，文件却是 GBK/GB18030 编码；请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”，"
                 "或把格式说明的 encoding 改为 gbk / the descriptor says UTF-8 but the text is GBK/GB18030; save it as "
                 "\"CSV UTF-8 (Comma delimited)\", or set encoding = gbk", path);
    } else if (enc_why == HD_R_WRONG_ENCODING) {
        why = HD_R_WRONG_ENCODING;
        snprintf(msg, cap, "%s: WRONG_ENCODING: 格式说明写的是 GBK/GB18030，文件却是 UTF-8 编码；请按格式说明的编码重新导出，"
                 "或把格式说明的 encoding 改为 utf-8 / the descriptor says GBK/GB18030 but the text is UTF-8; export it "
                 "again in the declared encoding, or set encoding = utf-8", path);
    }
    if (looks) {
        why = HD_R_NOT_CSV;
        snprintf(msg, cap, "%s: NOT_CSV: 这不是 CSV 文本文件，看起来是 %s；请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”后重新提交 / "
                 "the file is not CSV text, it looks like %s; in Excel use Save As, \"CSV UTF-8 (Comma delimited)\"",
                 path, looks, looks);
    }
    return why;
}

/* Opens the file (or res->mem, the file's bytes in memory), sniffs its
 * first 64 KiB (SPEC §7: a file that is not what it claims is damaged as
 * a whole; its first bytes, decoded once, are then read by the CSV
 * reader) and opens the CSV reader on it.
 * HD_OK with *cp set: read on; HD_OK with *cp NULL: the file is damaged
 * (recorded in res) and closed; HD_ESOFTWARE. */
static int open_file(const hd_descriptor *d, hd_file_result *res, hd_scan_shared *shared,
                     hd_reader **rdp, hd_csv **cp)
{
    hd_error err;
    hd_error_clear(&err);
    *cp = NULL;
    *rdp = NULL;
    hd_reader *rd = NULL;
    int orc = res->mem ? hd_reader_open_mem(&rd, res->path, res->mem, res->mem_len, d->max_bytes, &err)
                       : hd_reader_open(&rd, res->path, d->max_bytes, &err);
    if (orc == HD_ESOFTWARE && res->mem) return HD_ESOFTWARE;
    if (orc != HD_OK) {
        damage(res, HD_R_READ_ERROR, "%s", err.message);
        return HD_OK;
    }
    if (shared) hd_reader_use_cores(rd, shared->cores);
    const unsigned char *head;
    size_t nhead;
    if (hd_reader_peek(rd, SNIFF_BYTES, &head, &nhead) != 0) { hd_reader_close(rd); return HD_ESOFTWARE; }
    char smsg[1024];
    hd_reason sn = hd_sniff(res->path, hd_reader_is_zstd(rd), head, nhead, d->csv.encoding, smsg, sizeof smsg);
    if (sn != HD_R_NONE) {
        damage(res, sn, "%s", smsg);
        res->bytes_in = hd_reader_in_bytes(rd);
        res->bytes_out = hd_reader_out_bytes(rd);
        hd_reader_close(rd);
        return HD_OK;
    }
    hd_csv_opts o = d->csv;
    o.path = res->path;
    if (hd_csv_open(cp, rd, &o, &err) != HD_OK) {
        *cp = NULL;
        hd_reader_close(rd);
        damage(res, HD_R_READ_ERROR, "%s", err.message);
        return HD_OK;
    }
    *rdp = rd;
    return HD_OK;
}

typedef struct scan_state {       /* one file's reading, row to row */
    const hd_descriptor *d;
    hd_file_result *res;
    const hd_scan_shared *shared; /* NULL: a file read alone */
    int pos[HD_F__COUNT];         /* the bound columns */
    int nfields;
    int bound;                    /* the header (or the first row) is bound */
    int have_trailer;
    uint64_t trailer_count;
} scan_state;

/* Before the columns are bound: the header line (or, without one, the
 * first row) binds them. 0: the row is used up; 1: it is a data row;
 * -1: the file is damaged (recorded), stop. */
static int bind_columns(scan_state *s, const hd_csv_record *row, int pos_out[HD_F__COUNT])
{
    const hd_descriptor *d = s->d;
    hd_file_result *res = s->res;
    if (row->blank && d->header) { res->ledger.blank_lines++; return 0; }
    hd_error berr;
    hd_error_clear(&berr);
    hd_reason br = hd_descriptor_bind(d, d->header ? row : NULL, s->pos, &s->nfields, &berr);
    if (d->header) res->ledger.header_lines++;
    if (br == HD_R_NONE && d->header && row->fault != HD_R_NONE) {
        br = HD_R_HEADER_MISMATCH;
        snprintf(berr.message, sizeof berr.message, "header line is unreadable (%s)", hd_reason_name(row->fault));
    }
    if (br != HD_R_NONE) {
        damage(res, br, "%s:%lu: %s: %s", res->path, (unsigned long)row->line,
               hd_reason_name(br), berr.message);
        return -1;
    }
    s->bound = 1;
    if (pos_out) memcpy(pos_out, s->pos, sizeof s->pos);
    return d->header ? 0 : 1;
}

/* A row after the header: trailer, blank, or a data row mapped and
 * counted (a bad one quarantined) and passed to fn. @return HD_OK, or
 * what stops the scan. */
static inline int data_row(scan_state *s, const hd_csv_record *row, hd_date as_of, hd_row_ctx *ctx,
                           hd_record *rec, hd_row_fn fn, void *user)
{
    hd_file_result *res = s->res;
    if (row->is_trailer) {
        res->ledger.trailer_lines++;
        s->have_trailer = 1;
        if (!parse_count(row, &s->trailer_count))
            damage(res, HD_R_TRAILER_COUNT, "%s:%lu: TRAILER_COUNT: the last line carries no row count",
                   res->path, (unsigned long)row->line);
        return HD_OK;
    }
    if (row->blank) { res->ledger.blank_lines++; return HD_OK; }
    res->ledger.rows++;
    int bad = -1;
    hd_reason why = s->shared && s->shared->id_known
                    ? hd_row_map_id(s->d, s->pos, s->nfields, row, as_of, ctx, rec, &bad,
                                    s->shared->id_known, user)
                    : hd_row_map(s->d, s->pos, s->nfields, row, as_of, ctx, rec, &bad);
    if (why == HD_R_NONE) res->ledger.rows_ok++;
    else {
        /* SPEC §7: a runaway record in an extract swallowed rows that
         * could be anyone's: its source is damaged */
        if (res->source >= 0 && (why == HD_R_LINE_TOO_LONG || why == HD_R_UNBALANCED_QUOTE))
            damage(res, HD_R_RECORD_OVERRUN, "%s:%lu: RECORD_OVERRUN: a record runs %s; the rows it swallowed could be anyone's",
                   res->path, (unsigned long)row->line,
                   why == HD_R_LINE_TOO_LONG ? "past max_line" : "to the end of the file inside a quote");
        res->ledger.rows_quarantined++;
        if (hd_file_result_quarantine(res, row->line, why, bad, row->raw, row->raw_len) != HD_OK)
            return HD_ESOFTWARE;
    }
    return fn(user, res, row, rec, why, bad);
}

/* After the last row: an empty file, a missing or wrong trailer. */
static void end_checks(const scan_state *s)
{
    const hd_descriptor *d = s->d;
    hd_file_result *res = s->res;
    if (!s->bound && res->damage == HD_R_NONE && d->header)
        damage(res, HD_R_HEADER_MISMATCH, "%s:1: HEADER_MISMATCH: the file is empty (no header line)", res->path);
    if (d->csv.trailer && res->damage == HD_R_NONE) {
        if (!s->have_trailer)
            damage(res, HD_R_TRAILER_COUNT, "%s: TRAILER_COUNT: no trailer line", res->path);
        else if (s->trailer_count != res->ledger.rows)
            damage(res, HD_R_TRAILER_COUNT, "%s: TRAILER_COUNT: trailer says %lu rows, file has %lu",
                   res->path, (unsigned long)s->trailer_count, (unsigned long)res->ledger.rows);
    }
}

int hd_scan_file(const hd_descriptor *d, hd_date as_of, hd_file_result *res,
                 hd_row_fn fn, void *user, hd_scan_shared *shared,
                 int pos_out[HD_F__COUNT])
{
    res->newest = HD_DATE_NONE;
    hd_reader *rd = NULL;
    hd_csv *c = NULL;
    int rc = open_file(d, res, shared, &rd, &c);
    if (rc != HD_OK || !c) return rc;
    hd_record *rec = calloc(1, sizeof *rec);
    if (!rec) { hd_csv_close(c); hd_reader_close(rd); return HD_ESOFTWARE; }
    hd_row_ctx ctx;
    scan_state s = { .d = d, .res = res, .shared = shared };
    uint64_t last_bytes = 0;
    hd_csv_record row;
    hd_error err;
    hd_error_clear(&err);
    for (;;) {
        int r = hd_csv_next(c, &row, &err);
        if (r < 0) {
            hd_reason why = hd_reader_fault(rd) == HD_RF_TRUNCATED ? HD_R_TRUNCATED :
                            hd_reader_fault(rd) == HD_RF_SIZE_CAP ? HD_R_SIZE_CAP : HD_R_READ_ERROR;
            damage(res, why, "%s", err.message);
            break;
        }
        if (r == 0) break;
        if (shared) {
            /* progress in steps of 256 KiB read, not per row: one atomic
             * add per row on a line every worker writes cost -j2 its
             * scaling (issue 17) */
            uint64_t now = hd_reader_in_bytes(rd);
            if (now - last_bytes >= 256 * 1024) {
                atomic_fetch_add(&shared->bytes_done, now - last_bytes);
                last_bytes = now;
            }
        }
        if (!s.bound) {
            int b = bind_columns(&s, &row, pos_out);
            if (b < 0) break;
            if (b == 0) continue;
        }
        if ((rc = data_row(&s, &row, as_of, &ctx, rec, fn, user)) != HD_OK) break;
    }
    res->ledger.skipped_lines = hd_csv_skipped_lines(c);
    if (rc == HD_OK) end_checks(&s);
    /* SPEC §5: every row read is used or quarantined, and every quarantined
     * row has its one reason (the merge, the summary and part files rely
     * on it) */
    assert(res->ledger.rows == res->ledger.rows_ok + res->ledger.rows_quarantined);
    assert(hd_ledger_by_reason_total(&res->ledger) == res->ledger.rows_quarantined);
    res->bytes_in = hd_reader_in_bytes(rd);
    res->bytes_out = hd_reader_out_bytes(rd);
    if (shared) {
        atomic_fetch_add(&shared->bytes_done, res->bytes_in - last_bytes);
        atomic_fetch_add(&shared->rows_done, res->ledger.rows);
    }
    free(rec);
    hd_csv_close(c);
    hd_reader_close(rd);
    return rc;
}
