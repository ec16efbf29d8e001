/* test_csv_scalar.c — the CSV reader's two block scanners read alike.
 *
 * engine/text/csv.c finds delimiters, line ends and quotes a block at a
 * time with SSE2, or with a portable byte loop when built with
 * HD_CSV_SCALAR (or without SSE2). This suite compiles csv.c a second
 * time here with HD_CSV_SCALAR (its entry points renamed *_scalar) and
 * reads the same files with both: every record must come out the same
 * (fields, raw text, line, lines, fault, blank, trailer). The inputs are
 * the tricky ones: quotes, doubled quotes, ="..." cells, stray quotes,
 * CRLF and lone CR, newlines inside quotes, NUL and invalid bytes, a
 * record longer than max_line, empty fields on block edges, and files of
 * several hundred KiB so that records straddle the reader's refills.
 * A few records are also checked against fields worked out by hand. */
#define HD_CSV_SCALAR 1
#define hd_csv_open hd_csv_open_scalar
#define hd_csv_close hd_csv_close_scalar
#define hd_csv_next hd_csv_next_scalar
#define hd_csv_skipped_lines hd_csv_skipped_lines_scalar
#include "../engine/text/csv.c"
#undef hd_csv_open
#undef hd_csv_close
#undef hd_csv_next
#undef hd_csv_skipped_lines

#include <stdio.h>
#include <unistd.h>

#include "hedui/io.h"
#include "testutil.h"

/* the library's (SSE2 on x86_64) entry points */
int hd_csv_open(hd_csv **out, hd_reader *r, const hd_csv_opts *opts, hd_error *err);
int hd_csv_next(hd_csv *c, hd_csv_record *rec, hd_error *err);
void hd_csv_close(hd_csv *c);

typedef struct {
    int (*open)(hd_csv **, hd_reader *, const hd_csv_opts *, hd_error *);
    int (*next)(hd_csv *, hd_csv_record *, hd_error *);
    void (*close)(hd_csv *);
} impl;

static const impl simd = { hd_csv_open, hd_csv_next, hd_csv_close };
static const impl scalar = { hd_csv_open_scalar, hd_csv_next_scalar, hd_csv_close_scalar };

/* Appends one record's description to a growing text: every field with
 * its length, the raw text, and the record's numbers. */
static void describe(char **out, size_t *len, size_t *cap, const hd_csv_record *r)
{
    size_t need = r->raw_len + 128;
    for (size_t i = 0; i < r->nfields; i++) need += r->fields[i].n + 24;
    if (*len + need > *cap) {
        while (*len + need > *cap) *cap = *cap ? *cap * 2 : 1 << 16;
        *out = realloc(*out, *cap);
        ck_assert(*out != NULL);
    }
    char *w = *out + *len;
    w += sprintf(w, "L%llu+%llu F%d B%d T%d N%zu R%zu:", (unsigned long long)r->line,
                 (unsigned long long)r->lines, (int)r->fault, r->blank, r->is_trailer,
                 r->nfields, r->raw_len);
    memcpy(w, r->raw, r->raw_len);
    w += r->raw_len;
    for (size_t i = 0; i < r->nfields; i++) {
        w += sprintf(w, "|%zu:", r->fields[i].n);
        memcpy(w, r->fields[i].p, r->fields[i].n);
        w += r->fields[i].n;
    }
    *w++ = '\n';
    *len = (size_t)(w - *out);
}

/* Reads a file with one implementation into a description of every record. */
static char *read_with(const impl *im, const char *path, const hd_csv_opts *o, size_t *len, size_t *nrec)
{
    hd_reader *r;
    hd_csv *c;
    hd_error e;
    ck_assert_msg(hd_reader_open(&r, path, 0, &e) == HD_OK, "%s", e.message);
    ck_assert_msg(im->open(&c, r, o, &e) == HD_OK, "%s", e.message);
    char *out = NULL;
    size_t cap = 0;
    *len = 0;
    *nrec = 0;
    hd_csv_record rec;
    int rc;
    while ((rc = im->next(c, &rec, &e)) == 1) {
        describe(&out, len, &cap, &rec);
        (*nrec)++;
    }
    ck_assert_int_eq(rc, 0);
    im->close(c);
    hd_reader_close(r);
    return out;
}

static char *write_tmp(const char *data, size_t n)
{
    char *path = strdup("/tmp/hedui-csv-scalar-XXXXXX");
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    ck_assert(write(fd, data, n) == (ssize_t)n);
    close(fd);
    return path;
}

/* Both implementations read data alike; returns the number of records. */
static size_t same_reading(const char *data, size_t n, const hd_csv_opts *opts)
{
    char *path = write_tmp(data, n);
    hd_csv_opts o = *opts;
    o.path = path;
    size_t la, lb, na, nb;
    char *a = read_with(&simd, path, &o, &la, &na);
    char *b = read_with(&scalar, path, &o, &lb, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_uint_eq(la, lb);
    ck_assert_msg(la == 0 || memcmp(a, b, la) == 0, "SSE2 and scalar readings differ");
    unlink(path);
    free(path);
    free(a);
    free(b);
    return na;
}

static hd_csv_opts opts_of(char delim, int quote)
{
    hd_csv_opts o;
    memset(&o, 0, sizeof o);
    o.encoding = HD_ENC_UTF8;
    o.delimiter = delim;
    o.quote = quote;
    return o;
}

/* Random records built from tricky pieces, about `bytes` long. */
static char *tricky(uint32_t seed, size_t bytes, char delim, size_t *n)
{
    static const char *const pieces[] = {
        "a", "bc", "530102199001011234", "\"", "\"\"", "=\"", "\n", "\r\n", "\r", " ", "中文",
        "\xF0\xA0\xAE\xB7", "\xFF", "\xE4\xB8", "", "x y z 0123456789", "0", "\t", "|", ",", ";",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\xC3\xA9",
    };
    const size_t np = sizeof pieces / sizeof *pieces;
    size_t cap = bytes + 4096, len = 0;
    char *d = malloc(cap);
    ck_assert(d != NULL);
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
    while (len < bytes) {
        size_t nf = 1 + RND() % 9;
        for (size_t k = 0; k < nf && len + 600 < cap; k++) {
            if (k) d[len++] = delim;
            int quoted = RND() % 5 == 0;
            if (quoted) d[len++] = '"';
            size_t nparts = RND() % 4;
            for (size_t j = 0; j < nparts; j++) {
                /* mostly plain text: quotes and line ends now and then */
                const char *p = pieces[RND() % 8 == 0 ? RND() % np : (RND() % 2 ? 0 : 10)];
                size_t pl = p[0] == 0 ? 0 : strlen(p);
                if (p == pieces[13] || p == pieces[12]) pl = strlen(p);
                memcpy(d + len, p, pl);
                len += pl;
            }
            if (RND() % 50 == 0) d[len++] = 0;          /* a NUL byte */
            if (quoted && RND() % 8) d[len++] = '"';
        }
        if (RND() % 3 == 0) d[len++] = '\r';
        d[len++] = '\n';
    }
#undef RND
    *n = len;
    return d;
}

START_TEST(simd_and_scalar_read_alike)
{
    static const struct { char delim; int quote; } dialects[] = {
        {',', '"'}, {'|', '"'}, {'\t', -1}, {';', '"'}, {',', -1},
    };
    for (size_t di = 0; di < sizeof dialects / sizeof *dialects; di++) {
        size_t n;
        char *d = tricky(20261205u + (uint32_t)di, 700 * 1024, dialects[di].delim, &n);
        hd_csv_opts o = opts_of(dialects[di].delim, dialects[di].quote);
        ck_assert_uint_gt(same_reading(d, n, &o), 10000);
        o.max_line = 200;                           /* long records cut */
        same_reading(d, n, &o);
        o.max_line = 0;
        o.trailer = 1;
        o.skip = 2;
        same_reading(d, n, &o);
        free(d);
    }
}
END_TEST

/* Records of every length around the block edges, plain and quoted. */
START_TEST(block_edges_read_alike)
{
    size_t cap = 1 << 21, len = 0;
    char *d = malloc(cap);
    ck_assert(d != NULL);
    for (int rep = 0; rep < 40; rep++)
        for (size_t l = 0; l < 100; l++) {
            for (size_t i = 0; i < l; i++) d[len++] = i % 7 == 6 ? ',' : (char)('a' + i % 26);
            if (rep % 3 == 1 && l > 3) { d[len - 2] = '"'; }
            if (rep % 4 == 2) d[len++] = '\r';
            d[len++] = '\n';
        }
    hd_csv_opts o = opts_of(',', '"');
    same_reading(d, len, &o);
    free(d);
}
END_TEST

/* Fields worked out by hand, read with the scalar build. */
START_TEST(scalar_by_hand)
{
    const char data[] = "a,b,,d\r\n"
                        "530102199001011234,\xE5\xBC\xA0,\"1,234.50\",x\n"
                        "x,=\"007\",\"q\"\"q\"\n"
                        ",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\n";
    char *path = write_tmp(data, sizeof data - 1);
    hd_csv_opts o = opts_of(',', '"');
    o.path = path;
    hd_reader *r;
    hd_csv *c;
    hd_error e;
    ck_assert(hd_reader_open(&r, path, 0, &e) == HD_OK);
    ck_assert(hd_csv_open_scalar(&c, r, &o, &e) == HD_OK);
    hd_csv_record rec;
    ck_assert_int_eq(hd_csv_next_scalar(c, &rec, &e), 1);
    ck_assert_uint_eq(rec.nfields, 4);
    ck_assert_uint_eq(rec.fields[2].n, 0);
    ck_assert(rec.fields[3].n == 1 && rec.fields[3].p[0] == 'd');
    ck_assert_uint_eq(rec.raw_len, 6);
    ck_assert_int_eq(hd_csv_next_scalar(c, &rec, &e), 1);
    ck_assert_uint_eq(rec.nfields, 4);
    ck_assert(rec.fields[2].n == 8 && !memcmp(rec.fields[2].p, "1,234.50", 8));
    ck_assert_int_eq(rec.fault, HD_R_NONE);
    ck_assert_int_eq(hd_csv_next_scalar(c, &rec, &e), 1);
    ck_assert_uint_eq(rec.nfields, 3);
    ck_assert(rec.fields[1].n == 3 && !memcmp(rec.fields[1].p, "007", 3));
    ck_assert(rec.fields[2].n == 3 && !memcmp(rec.fields[2].p, "q\"q", 3));
    ck_assert_int_eq(hd_csv_next_scalar(c, &rec, &e), 1);
    ck_assert_uint_eq(rec.nfields, 37);
    ck_assert_uint_eq(rec.line, 4);
    ck_assert_int_eq(rec.blank, 1);
    ck_assert_int_eq(hd_csv_next_scalar(c, &rec, &e), 0);
    hd_csv_close_scalar(c);
    hd_reader_close(r);
    unlink(path);
    free(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("csv_scalar");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, simd_and_scalar_read_alike);
    tcase_add_test(tc, block_edges_read_alike);
    tcase_add_test(tc, scalar_by_hand);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? 1 : 0;
}
