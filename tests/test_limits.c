/* test_limits.c — Check suite for the input limits and faults of issue 3,
 * each with its reason code, through the public path every file takes:
 * hd_descriptor_load -> hd_reader_open -> hd_csv_open -> hd_descriptor_bind
 * -> hd_row_map (include/hedui/text.h, source.h, io.h).
 *
 * Expected values are worked out by hand from the bytes written here (line
 * numbers, counts, decoded text), never taken from the code under test.
 * The zstd inputs are made with libzstd's streaming API so that where a
 * block ends is known exactly (ZSTD_e_flush ends a block). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <zstd.h>

#include "hedui/source.h"
#include "testutil.h"

/* ------------------------------------------------------------ helpers */

static char dir[256];

static void setup(void)
{
    snprintf(dir, sizeof dir, "%s/hedui-limits-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    ck_assert(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", dir);
}

static const char *path_of(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static const char *write_file(const char *name, const void *p, size_t n)
{
    const char *path = path_of(name);
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

/* A death-register descriptor (kind death: id_number and date_of_death
 * required, name optional); `extra` goes into [format]. */
static hd_descriptor *death_desc(const char *encoding, const char *extra)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[format]\nkind = death\nencoding = %s\ndelimiter = comma\nquote = \"\n"
             "header = yes\n%s\n[columns]\nid_number = id\nname = name\ndate_of_death = dod\n",
             encoding, extra ? extra : "");
    const char *p = write_file("death.fmt", text, strlen(text));
    hd_descriptor *d = NULL;
    hd_error err;
    int st = hd_descriptor_load(&d, p, &err);
    ck_assert_msg(st == HD_OK, "descriptor: %s", err.message);
    return d;
}

#define MAXROWS 600
typedef struct scan_out {
    int nrows;                        /* data rows (blank ones not counted) */
    uint64_t line[MAXROWS];
    hd_reason why[MAXROWS];
    char name[MAXROWS][32];           /* name cell as mapped (cut) */
    size_t name_len[MAXROWS];
    hd_date dod[MAXROWS];
    int saw_ufffd;                    /* U+FFFD in any raw text */
    int saw_ff;                       /* 0xFF byte in any raw text */
    int header_seen;
    int rc;                           /* last hd_csv_next result: 0 or -1 */
    int rc_again;                     /* one more call after it */
    hd_read_fault fault;
    size_t max_raw_len;
} scan_out;

/* Reads `path` through descriptor d the way the batch does. */
static scan_out *scan(const hd_descriptor *d, const char *path)
{
    scan_out *o = calloc(1, sizeof *o);
    ck_assert(o != NULL);
    hd_error err;
    hd_reader *r = NULL;
    ck_assert_int_eq(hd_reader_open(&r, path, d->max_bytes, &err), HD_OK);
    hd_csv_opts opts = d->csv;
    opts.path = path;
    hd_csv *c = NULL;
    ck_assert_int_eq(hd_csv_open(&c, r, &opts, &err), HD_OK);
    int pos[HD_F__COUNT], nf = 0;
    hd_row_ctx ctx;
    hd_record rec;
    hd_csv_record row;
    int rc;
    while ((rc = hd_csv_next(c, &row, &err)) == 1) {
        if (row.raw_len > o->max_raw_len) o->max_raw_len = row.raw_len;
        if (row.raw_len >= 3 && memmem(row.raw, row.raw_len, "\xEF\xBF\xBD", 3)) o->saw_ufffd = 1;
        if (memchr(row.raw, 0xFF, row.raw_len)) o->saw_ff = 1;
        if (!o->header_seen) {
            ck_assert_int_eq(hd_descriptor_bind(d, &row, pos, &nf, &err), HD_R_NONE);
            o->header_seen = 1;
            continue;
        }
        if (row.blank) continue;
        ck_assert_int_lt(o->nrows, MAXROWS);
        int k = o->nrows++;
        memset(&rec, 0, sizeof rec);
        int bad = -1;
        o->line[k] = row.line;
        o->why[k] = hd_row_map(d, pos, nf, &row, hd_date_from_ymd(2026, 11, 28), &ctx, &rec, &bad);
        o->dod[k] = HD_DATE_NONE;
        if (o->why[k] == HD_R_NONE) {
            hd_value *v = &rec.v[HD_F_NAME];
            o->name_len[k] = v->n;
            memcpy(o->name[k], v->s, v->n < 31 ? v->n : 31);
            o->dod[k] = (hd_date)rec.v[HD_F_DATE_OF_DEATH].i;
        }
    }
    o->rc = rc;
    o->rc_again = hd_csv_next(c, &row, &err);
    o->fault = hd_reader_fault(r);
    hd_csv_close(c);
    hd_reader_close(r);
    return o;
}

#define HDR "id,name,dod\n"
#define ID1 "11010519491231002X"     /* GB 11643-1999 Annex A example */
#define ID2 "350303199002033073"
#define ROW1 ID1 ",a,2020-01-01\n"
#define ROW2 ID2 ",b,2020-01-02\n"

static long peak_rss_kb(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

/* ------------------------------------------------------------ LINE_TOO_LONG */

/* A 50 MB line with max_line = 1 MiB: quarantined LINE_TOO_LONG, its text
 * cut to 1 MiB, the rows around it read normally, and the process's peak
 * RSS grows by well under 64 MB (the line is skipped, not buffered). */
START_TEST(line_too_long_50mb)
{
    hd_descriptor *d = death_desc("utf-8", "max_line = 1048576");
    const char *path = path_of("long.csv");
    FILE *f = fopen(path, "wb");
    ck_assert(f != NULL);
    fputs(HDR ROW1 ID2 ",", f);
    static char chunk[1 << 20];
    memset(chunk, 'x', sizeof chunk);
    for (int i = 0; i < 50; i++) ck_assert_uint_eq(fwrite(chunk, 1, sizeof chunk, f), sizeof chunk);
    fputs(",2020-01-02\n" ROW2, f);
    ck_assert_int_eq(fclose(f), 0);

    long before = peak_rss_kb();
    scan_out *o = scan(d, path);
    long after = peak_rss_kb();
    ck_assert_int_eq(o->nrows, 3);
    ck_assert_uint_eq(o->line[0], 2); ck_assert_int_eq(o->why[0], HD_R_NONE);
    ck_assert_uint_eq(o->line[1], 3); ck_assert_int_eq(o->why[1], HD_R_LINE_TOO_LONG);
    ck_assert_uint_eq(o->line[2], 4); ck_assert_int_eq(o->why[2], HD_R_NONE);
    ck_assert_uint_le(o->max_raw_len, 1048576);
    ck_assert_int_eq(o->rc, 0);
    /* under valgrind (make memcheck) the RSS is valgrind's own */
    if (!getenv("HEDUI_MEMCHECK"))
        ck_assert_msg(after - before < 64 * 1024, "peak RSS grew by %ld KiB reading a 50 MB line",
                      after - before);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* The same limit at the small end: max_line = 64 (the descriptor's least),
 * a 65-byte record is too long, a 64-byte one is not. */
START_TEST(line_too_long_boundary)
{
    hd_descriptor *d = death_desc("utf-8", "max_line = 64");
    /* ID1 (18) + ',' + name + ',' + 10-char date = 30 + name */
    char data[512], name34[35], name35[36];
    memset(name34, 'n', 34); name34[34] = 0;
    memset(name35, 'n', 35); name35[35] = 0;
    snprintf(data, sizeof data, HDR ID1 ",%s,2020-01-01\n" ID1 ",%s,2020-01-01\n", name34, name35);
    scan_out *o = scan(d, write_file("b.csv", data, strlen(data)));
    ck_assert_int_eq(o->nrows, 2);
    ck_assert_int_eq(o->why[0], HD_R_NONE);          /* 64 bytes */
    ck_assert_uint_eq(o->name_len[0], 34);
    ck_assert_int_eq(o->why[1], HD_R_LINE_TOO_LONG); /* 65 bytes */
    ck_assert_uint_eq(o->line[1], 3);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* ------------------------------------------------------------ FIELD_COUNT */

START_TEST(field_count)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    const char data[] = HDR ROW1 ID2 ",b\n" ID2 ",b,2020-01-02,extra\n" ROW2 ",\n";
    scan_out *o = scan(d, write_file("fc.csv", data, sizeof data - 1));
    /* the last line "," is made only of delimiters: blank, not a row */
    ck_assert_int_eq(o->nrows, 4);
    ck_assert_int_eq(o->why[0], HD_R_NONE);
    ck_assert_uint_eq(o->line[1], 3); ck_assert_int_eq(o->why[1], HD_R_FIELD_COUNT);
    ck_assert_uint_eq(o->line[2], 4); ck_assert_int_eq(o->why[2], HD_R_FIELD_COUNT);
    ck_assert_uint_eq(o->line[3], 5); ck_assert_int_eq(o->why[3], HD_R_NONE);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* ------------------------------------------------------------ UNBALANCED_QUOTE */

START_TEST(unbalanced_quote_to_eof)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    const char data[] = HDR ROW1 ID2 ",\"b,2020-01-02\n" ROW1 ROW2;
    scan_out *o = scan(d, write_file("uq.csv", data, sizeof data - 1));
    /* the open quote on line 3 swallows lines 4 and 5: one record */
    ck_assert_int_eq(o->nrows, 2);
    ck_assert_int_eq(o->why[0], HD_R_NONE);
    ck_assert_uint_eq(o->line[1], 3);
    ck_assert_int_eq(o->why[1], HD_R_UNBALANCED_QUOTE);
    ck_assert_int_eq(o->rc, 0);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* A stray quote inside an unquoted field, text after a closing quote. */
START_TEST(bad_quote)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    const char data[] = HDR ID1 ",a\"b,2020-01-01\n" ID1 ",\"a\"b,2020-01-01\n" ROW2;
    scan_out *o = scan(d, write_file("bq.csv", data, sizeof data - 1));
    ck_assert_int_eq(o->nrows, 3);
    ck_assert_int_eq(o->why[0], HD_R_BAD_QUOTE);
    ck_assert_int_eq(o->why[1], HD_R_BAD_QUOTE);
    ck_assert_int_eq(o->why[2], HD_R_NONE);
    ck_assert_uint_eq(o->line[2], 4);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* ------------------------------------------------------------ NUL_BYTE */

START_TEST(nul_byte)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    const char data[] = HDR ID1 ",a\0b,2020-01-01\n" ROW2 "\0\n";
    scan_out *o = scan(d, write_file("nul.csv", data, sizeof data - 1));
    ck_assert_int_eq(o->nrows, 3);
    ck_assert_int_eq(o->why[0], HD_R_NUL_BYTE);
    ck_assert_int_eq(o->why[1], HD_R_NONE);
    ck_assert_uint_eq(o->line[2], 4);
    ck_assert_int_eq(o->why[2], HD_R_NUL_BYTE);       /* a line of one NUL is not blank */
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* ------------------------------------------------------------ ENCODING */

/* UTF-8: a lone continuation byte, an overlong '/', a surrogate, a cut
 * 3-byte sequence at the end of a cell; never replaced by U+FFFD. */
START_TEST(encoding_utf8)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    const char data[] = HDR
        ID1 ",\xe5\xbc\xa0\xe4\xb8\x89,2020-01-01\n"     /* 张三: good */
        ID1 ",a\x80,2020-01-01\n"
        ID1 ",\xc0\xaf,2020-01-01\n"
        ID1 ",\xed\xa0\x80,2020-01-01\n"
        ID1 ",\xe5\xbc,2020-01-01\n"
        "\xff" ID1 ",a,2020-01-01\n";                  /* bad byte in the ID */
    scan_out *o = scan(d, write_file("u8.csv", data, sizeof data - 1));
    ck_assert_int_eq(o->nrows, 6);
    ck_assert_int_eq(o->why[0], HD_R_NONE);
    ck_assert_uint_eq(o->name_len[0], 6);
    ck_assert(memcmp(o->name[0], "\xe5\xbc\xa0\xe4\xb8\x89", 6) == 0);
    for (int i = 1; i < 6; i++) {
        ck_assert_int_eq(o->why[i], HD_R_ENCODING);
        ck_assert_uint_eq(o->line[i], (uint64_t)i + 2);
    }
    ck_assert_int_eq(o->saw_ufffd, 0);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* GBK (CP936): 张三 = D5 C5 C8 FD decodes to UTF-8; D5 FF (bad trail),
 * a lone FF, 81 followed by ',' are invalid: ENCODING, each rejected byte
 * kept as 0xFF in the raw text (text.h), never U+FFFD. */
START_TEST(encoding_gbk)
{
    hd_descriptor *d = death_desc("gbk", NULL);
    const char data[] = HDR
        ID1 ",\xd5\xc5\xc8\xfd,2020-01-01\n"
        ID1 ",\xd5\xff,2020-01-01\n"
        ID1 ",a\xff,2020-01-01\n"
        ID1 ",\x81,2020-01-01\n"
        ROW2;
    scan_out *o = scan(d, write_file("gbk.csv", data, sizeof data - 1));
    ck_assert_int_eq(o->nrows, 5);
    ck_assert_int_eq(o->why[0], HD_R_NONE);
    ck_assert_uint_eq(o->name_len[0], 6);
    ck_assert(memcmp(o->name[0], "\xe5\xbc\xa0\xe4\xb8\x89", 6) == 0);
    ck_assert_int_eq(o->why[1], HD_R_ENCODING);
    ck_assert_int_eq(o->why[2], HD_R_ENCODING);
    ck_assert_int_eq(o->why[3], HD_R_ENCODING);
    ck_assert_int_eq(o->why[4], HD_R_NONE);
    ck_assert_uint_eq(o->line[4], 6);
    ck_assert_int_eq(o->saw_ff, 1);
    ck_assert_int_eq(o->saw_ufffd, 0);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* GB18030: the four-byte 81 30 81 30 is U+0080 (C2 80 in UTF-8); 81 30 81
 * cut by ',' and a lone FF are invalid; a character cut by the end of the
 * file (81 30 at EOF, no line end) is invalid too. */
START_TEST(encoding_gb18030)
{
    hd_descriptor *d = death_desc("gb18030", NULL);
    const char data[] = HDR
        ID1 ",\xd5\xc5\x81\x30\x81\x30,2020-01-01\n"
        ID1 ",\x81\x30\x81,2020-01-01\n"
        ID1 ",\xff,2020-01-01\n"
        ROW2
        ID1 ",a,2020-01-01\x81\x30";
    scan_out *o = scan(d, write_file("gb.csv", data, sizeof data - 1));
    ck_assert_int_eq(o->nrows, 5);
    ck_assert_int_eq(o->why[0], HD_R_NONE);
    ck_assert_uint_eq(o->name_len[0], 5);
    ck_assert(memcmp(o->name[0], "\xe5\xbc\xa0\xc2\x80", 5) == 0);
    ck_assert_int_eq(o->why[1], HD_R_ENCODING);
    ck_assert_int_eq(o->why[2], HD_R_ENCODING);
    ck_assert_int_eq(o->why[3], HD_R_NONE);
    ck_assert_int_eq(o->why[4], HD_R_ENCODING);
    ck_assert_uint_eq(o->line[4], 6);
    ck_assert_int_eq(o->saw_ufffd, 0);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* ------------------------------------------------------------ line ends */

/* LF, CRLF, a CRLF inside quotes, a lone CR inside a cell and a last line
 * without a line end, all in one file: every row read, right line numbers. */
START_TEST(mixed_line_ends)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    const char data[] = "id,name,dod\r\n"            /* 1 */
        ID1 ",a,2020-01-01\n"                          /* 2 */
        ID2 ",\"b\r\nc\",2020-01-02\r\n"               /* 3-4 */
        ID1 ",x\ry,2020-01-03\r\n"                     /* 5 */
        "\r\n"                                         /* 6: blank */
        ID2 ",e,2020-01-04";                           /* 7, no line end */
    scan_out *o = scan(d, write_file("le.csv", data, sizeof data - 1));
    ck_assert_int_eq(o->nrows, 4);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(o->why[i], HD_R_NONE);
    ck_assert_uint_eq(o->line[0], 2);
    ck_assert_uint_eq(o->line[1], 3);
    ck_assert_uint_eq(o->line[2], 5);
    ck_assert_uint_eq(o->line[3], 7);
    ck_assert_uint_eq(o->name_len[0], 1);
    ck_assert(o->name[1][0] == 'b' && o->name[1][o->name_len[1] - 1] == 'c');
    ck_assert_uint_eq(o->name_len[2], 3);
    ck_assert(memcmp(o->name[2], "x\ry", 3) == 0);
    ck_assert_int_eq(o->dod[0], hd_date_from_ymd(2020, 1, 1));
    ck_assert_int_eq(o->dod[2], hd_date_from_ymd(2020, 1, 3));   /* no CR left on the date */
    ck_assert_int_eq(o->dod[3], hd_date_from_ymd(2020, 1, 4));
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* ------------------------------------------------------------ empty files */

START_TEST(empty_file)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    scan_out *o = scan(d, write_file("empty.csv", "", 0));
    ck_assert_int_eq(o->header_seen, 0);
    ck_assert_int_eq(o->nrows, 0);
    ck_assert_int_eq(o->rc, 0);
    ck_assert_int_eq(o->rc_again, 0);
    ck_assert_int_eq(o->fault, HD_RF_NONE);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

START_TEST(header_only)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    scan_out *o = scan(d, write_file("h.csv", HDR, strlen(HDR)));
    ck_assert_int_eq(o->header_seen, 1);
    ck_assert_int_eq(o->nrows, 0);
    ck_assert_int_eq(o->rc, 0);
    free(o);
    /* the same with a BOM and no line end */
    o = scan(d, write_file("h2.csv", "\xef\xbb\xbfid,name,dod", 14));
    ck_assert_int_eq(o->header_seen, 1);
    ck_assert_int_eq(o->nrows, 0);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

/* ------------------------------------------------------------ size cap */

/* 1000 rows "1234,6789\n" of 10 bytes = 10 000 bytes, max_bytes = 4096
 * from the descriptor (only the tokenizer is asked here): the
 * first 409 rows (4090 bytes) are whole, the 410th is cut by the cap and
 * dropped, then -1 with HD_RF_SIZE_CAP. Plain and zstd alike. */
static void size_cap_case(int zstd)
{
    const char fmt[] = "[format]\nkind = death\nencoding = utf-8\ndelimiter = comma\n"
                       "header = no\nfields = 2\nmax_bytes = 4096\n"
                       "[columns]\nid_number = #1\ndate_of_death = #2\n";
    const char *fp = write_file("cap.fmt", fmt, sizeof fmt - 1);
    hd_descriptor *d = NULL;
    hd_error err;
    ck_assert_int_eq(hd_descriptor_load(&d, fp, &err), HD_OK);
    ck_assert_uint_eq(d->max_bytes, 4096);
    char *data = malloc(10000);
    for (int i = 0; i < 1000; i++) memcpy(data + 10 * i, "1234,6789\n", 10);
    const char *path;
    if (zstd) {
        size_t bound = ZSTD_compressBound(10000);
        char *z = malloc(bound);
        size_t zn = ZSTD_compress(z, bound, data, 10000, 3);
        ck_assert(!ZSTD_isError(zn));
        ck_assert_uint_lt(zn, 4096);       /* the cap is on decoded bytes */
        path = write_file("cap.csv.zst", z, zn);
        free(z);
    } else {
        path = write_file("cap.csv", data, 10000);
    }
    free(data);
    hd_reader *r = NULL;
    ck_assert_int_eq(hd_reader_open(&r, path, d->max_bytes, &err), HD_OK);
    hd_csv_opts o = d->csv;
    hd_csv *c = NULL;
    ck_assert_int_eq(hd_csv_open(&c, r, &o, &err), HD_OK);
    hd_csv_record row;
    int rc, n = 0, pos[HD_F__COUNT], nf;
    ck_assert_int_eq(hd_descriptor_bind(d, NULL, pos, &nf, &err), HD_R_NONE);
    ck_assert_int_eq(nf, 2);
    while ((rc = hd_csv_next(c, &row, &err)) == 1) {
        ck_assert_int_eq(row.fault, HD_R_NONE);
        ck_assert_uint_eq(row.line, (uint64_t)n + 1);
        n++;
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(n, 409);
    ck_assert_int_eq(hd_reader_fault(r), HD_RF_SIZE_CAP);
    ck_assert_int_eq(err.status, HD_EIO);
    ck_assert_int_eq(hd_csv_next(c, &row, &err), -1);     /* sticky */
    hd_csv_close(c);
    hd_reader_close(r);
    hd_descriptor_free(d);
}

START_TEST(size_cap_plain) { size_cap_case(0); }
END_TEST
START_TEST(size_cap_zstd) { size_cap_case(1); }
END_TEST

/* ------------------------------------------------------------ truncated zstd */

/* One frame, two blocks: the first block (ended by ZSTD_e_flush) holds
 * "id,name,dod\n" ROW1 ROW2 + the first 5 bytes of a third row; the file
 * is cut 3 bytes into the second block. Decoded: the header, two whole
 * rows, then the 5-byte unfinished row with fault TRUNCATED, then -1 with
 * HD_RF_TRUNCATED. */
START_TEST(truncated_zstd)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    const char part1[] = HDR ROW1 ROW2 "11010";
    const char part2[] = "519491231002X,c,2020-01-03\n";
    ZSTD_CCtx *z = ZSTD_createCCtx();
    ck_assert(z != NULL);
    ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
    char out[4096];
    ZSTD_outBuffer ob = { out, sizeof out, 0 };
    ZSTD_inBuffer ib = { part1, sizeof part1 - 1, 0 };
    size_t rem = ZSTD_compressStream2(z, &ob, &ib, ZSTD_e_flush);
    ck_assert(!ZSTD_isError(rem) && rem == 0 && ib.pos == ib.size);
    size_t first_block_end = ob.pos;
    ZSTD_inBuffer ib2 = { part2, sizeof part2 - 1, 0 };
    rem = ZSTD_compressStream2(z, &ob, &ib2, ZSTD_e_end);
    ck_assert(!ZSTD_isError(rem) && rem == 0);
    ck_assert_uint_gt(ob.pos, first_block_end + 3);
    ZSTD_freeCCtx(z);
    const char *path = write_file("t.csv.zst", out, first_block_end + 3);

    hd_error err;
    hd_reader *r = NULL;
    ck_assert_int_eq(hd_reader_open(&r, path, 0, &err), HD_OK);
    ck_assert_int_eq(hd_reader_is_zstd(r), 1);
    hd_csv_opts o = d->csv;
    hd_csv *c = NULL;
    ck_assert_int_eq(hd_csv_open(&c, r, &o, &err), HD_OK);
    hd_csv_record row;
    ck_assert_int_eq(hd_csv_next(c, &row, &err), 1);     /* header */
    ck_assert_uint_eq(row.line, 1);
    ck_assert_int_eq(hd_csv_next(c, &row, &err), 1);
    ck_assert_uint_eq(row.line, 2); ck_assert_int_eq(row.fault, HD_R_NONE);
    ck_assert_int_eq(hd_csv_next(c, &row, &err), 1);
    ck_assert_uint_eq(row.line, 3); ck_assert_int_eq(row.fault, HD_R_NONE);
    ck_assert_int_eq(hd_csv_next(c, &row, &err), 1);
    ck_assert_uint_eq(row.line, 4);
    ck_assert_int_eq(row.fault, HD_R_TRUNCATED);
    ck_assert_uint_eq(row.raw_len, 5);
    ck_assert(memcmp(row.raw, "11010", 5) == 0);
    /* hd_row_map reports the tokenizer fault first */
    int pos[HD_F__COUNT], nf;
    hd_csv_record hdr = { .line = 1, .lines = 1, .nfields = 3,
                          .fields = (hd_field[]){ { "id", 2 }, { "name", 4 }, { "dod", 3 } } };
    ck_assert_int_eq(hd_descriptor_bind(d, &hdr, pos, &nf, &err), HD_R_NONE);
    hd_row_ctx ctx; hd_record rec; int bad;
    ck_assert_int_eq(hd_row_map(d, pos, nf, &row, HD_DATE_NONE, &ctx, &rec, &bad), HD_R_TRUNCATED);
    ck_assert_int_eq(hd_csv_next(c, &row, &err), -1);
    ck_assert_int_eq(hd_reader_fault(r), HD_RF_TRUNCATED);
    ck_assert_int_eq(err.status, HD_EIO);
    ck_assert_int_eq(hd_csv_next(c, &row, &err), -1);
    hd_csv_close(c);
    hd_reader_close(r);
    hd_descriptor_free(d);
}
END_TEST

/* A zstd file cut exactly between two frames cannot be told from a whole
 * one (SPEC §6): it reads cleanly, which is why trailer = count exists. */
START_TEST(zstd_cut_between_frames)
{
    hd_descriptor *d = death_desc("utf-8", NULL);
    const char a[] = HDR ROW1;
    char out[1024];
    size_t n = ZSTD_compress(out, sizeof out, a, sizeof a - 1, 3);
    ck_assert(!ZSTD_isError(n));
    scan_out *o = scan(d, write_file("f.csv.zst", out, n));
    ck_assert_int_eq(o->nrows, 1);
    ck_assert_int_eq(o->why[0], HD_R_NONE);
    ck_assert_int_eq(o->rc, 0);
    ck_assert_int_eq(o->fault, HD_RF_NONE);
    free(o);
    hd_descriptor_free(d);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("limits");
    TCase *t = tcase_create("limits");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 300);
    tcase_add_test(t, line_too_long_50mb);
    tcase_add_test(t, line_too_long_boundary);
    tcase_add_test(t, field_count);
    tcase_add_test(t, unbalanced_quote_to_eof);
    tcase_add_test(t, bad_quote);
    tcase_add_test(t, nul_byte);
    tcase_add_test(t, encoding_utf8);
    tcase_add_test(t, encoding_gbk);
    tcase_add_test(t, encoding_gb18030);
    tcase_add_test(t, mixed_line_ends);
    tcase_add_test(t, empty_file);
    tcase_add_test(t, header_only);
    tcase_add_test(t, size_cap_plain);
    tcase_add_test(t, size_cap_zstd);
    tcase_add_test(t, truncated_zstd);
    tcase_add_test(t, zstd_cut_between_frames);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return td_run(suite());
}
