/* test_text.c — Check suite for the CSV reader, encodings and value parsers
 * (hedui/text.h).
 *
 * Expected values come from the fixtures' own expected files (csv/ JSON,
 * gb18030/ *-utf8.txt and samples/MANIFEST.csv) or were worked out by hand
 * in the tables below, never from the code under test. */
#include <errno.h>
#include <iconv.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "hedui/io.h"
#include "hedui/text.h"
#include "testutil.h"

/* ================================================================ helpers */

/* A record copied out of the reader (its pointers die on the next call). */
typedef struct {
    size_t n;
    char **f;
    size_t *fl;
    char *raw;
    size_t raw_len;
    uint64_t line, lines;
    hd_reason fault;
    int blank, is_trailer;
} crec;

typedef struct {
    crec *r;
    size_t n;
    int rc;          /* last return of hd_csv_next: 0 or -1 */
    hd_error err;
    uint64_t skipped;
} cfile;

static char *dupn(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    ck_assert(s != NULL);
    memcpy(s, p, n);
    s[n] = 0;
    return s;
}

static hd_csv_opts default_opts(void)
{
    hd_csv_opts o;
    memset(&o, 0, sizeof o);
    o.encoding = HD_ENC_UTF8;
    o.delimiter = ',';
    o.quote = '"';
    return o;
}

/* Reads every record of a file (plain or zstd). */
static cfile read_all(const char *path, const hd_csv_opts *opts)
{
    cfile cf;
    memset(&cf, 0, sizeof cf);
    hd_reader *r;
    hd_csv *c;
    hd_error e;
    ck_assert_msg(hd_reader_open(&r, path, 0, &e) == HD_OK, "%s", e.message);
    hd_csv_opts o = *opts;
    o.path = path;
    ck_assert_msg(hd_csv_open(&c, r, &o, &e) == HD_OK, "%s", e.message);
    size_t cap = 0;
    hd_csv_record rec;
    int rc;
    while ((rc = hd_csv_next(c, &rec, &cf.err)) == 1) {
        if (cf.n == cap) {
            cap = cap ? cap * 2 : 16;
            cf.r = realloc(cf.r, cap * sizeof *cf.r);
            ck_assert(cf.r != NULL);
        }
        crec *x = &cf.r[cf.n++];
        x->n = rec.nfields;
        x->f = calloc(rec.nfields + 1, sizeof *x->f);
        x->fl = calloc(rec.nfields + 1, sizeof *x->fl);
        for (size_t i = 0; i < rec.nfields; i++) {
            x->f[i] = dupn(rec.fields[i].p, rec.fields[i].n);
            x->fl[i] = rec.fields[i].n;
        }
        x->raw = dupn(rec.raw, rec.raw_len);
        x->raw_len = rec.raw_len;
        x->line = rec.line;
        x->lines = rec.lines;
        x->fault = rec.fault;
        x->blank = rec.blank;
        x->is_trailer = rec.is_trailer;
    }
    cf.rc = rc;
    cf.skipped = hd_csv_skipped_lines(c);
    hd_csv_close(c);
    hd_reader_close(r);
    return cf;
}

static void free_cfile(cfile *cf)
{
    for (size_t i = 0; i < cf->n; i++) {
        for (size_t k = 0; k < cf->r[i].n; k++) free(cf->r[i].f[k]);
        free(cf->r[i].f);
        free(cf->r[i].fl);
        free(cf->r[i].raw);
    }
    free(cf->r);
    memset(cf, 0, sizeof *cf);
}

/* Writes bytes to a temporary file; returns its path (static buffer per
 * call site is not needed: caller frees). */
static char *write_tmp(const void *data, size_t n)
{
    char *path = strdup("/tmp/hedui-test-XXXXXX");
    int fd = mkstemp(path);
    ck_assert(fd >= 0);
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    close(fd);
    return path;
}

static cfile read_bytes(const char *data, size_t n, const hd_csv_opts *o)
{
    char *p = write_tmp(data, n);
    cfile cf = read_all(p, o);
    unlink(p);
    free(p);
    return cf;
}

static cfile read_str(const char *s, const hd_csv_opts *o)
{
    return read_bytes(s, strlen(s), o);
}

static void sha256_hex(const void *d, size_t n, char out[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    ck_assert(EVP_Digest(d, n, md, &len, EVP_sha256(), NULL) == 1);
    for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", md[i]);
}

/* The decoded text of a file re-joined from its records' raw text. */
static char *rejoin(const cfile *cf, const char *eol, size_t *len)
{
    size_t total = 1;
    for (size_t i = 0; i < cf->n; i++) total += cf->r[i].raw_len + strlen(eol);
    char *s = malloc(total), *w = s;
    for (size_t i = 0; i < cf->n; i++) {
        memcpy(w, cf->r[i].raw, cf->r[i].raw_len);
        w += cf->r[i].raw_len;
        memcpy(w, eol, strlen(eol));
        w += strlen(eol);
    }
    *w = 0;
    *len = (size_t)(w - s);
    return s;
}

/* ================================================================ JSON */
/* Just enough JSON for the expected files: arrays, objects, strings. The
 * result is a list of rows; an object row keeps its keys too. */

typedef struct { size_t n; char **v; char **k; } jrow;
typedef struct { size_t n; jrow *rows; } jdoc;

static void jws(const char **p) { while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t') (*p)++; }

static void put_utf8(char **w, unsigned cp)
{
    unsigned char *o = (unsigned char *)*w;
    if (cp < 0x80) *o++ = (unsigned char)cp;
    else if (cp < 0x800) { *o++ = (unsigned char)(0xC0 | cp >> 6); *o++ = (unsigned char)(0x80 | (cp & 63)); }
    else if (cp < 0x10000) { *o++ = (unsigned char)(0xE0 | cp >> 12); *o++ = (unsigned char)(0x80 | (cp >> 6 & 63)); *o++ = (unsigned char)(0x80 | (cp & 63)); }
    else { *o++ = (unsigned char)(0xF0 | cp >> 18); *o++ = (unsigned char)(0x80 | (cp >> 12 & 63)); *o++ = (unsigned char)(0x80 | (cp >> 6 & 63)); *o++ = (unsigned char)(0x80 | (cp & 63)); }
    *w = (char *)o;
}

static char *jstring(const char **p)
{
    jws(p);
    ck_assert_int_eq(**p, '"');
    (*p)++;
    char *s = malloc(strlen(*p) + 1), *w = s;
    while (**p != '"') {
        ck_assert(**p != 0);
        if (**p == '\\') {
            (*p)++;
            char e = *(*p)++;
            switch (e) {
            case 'n': *w++ = '\n'; break;
            case 'r': *w++ = '\r'; break;
            case 't': *w++ = '\t'; break;
            case 'b': *w++ = '\b'; break;
            case 'f': *w++ = '\f'; break;
            case 'u': {
                unsigned cp = (unsigned)strtoul((char[5]){ (*p)[0], (*p)[1], (*p)[2], (*p)[3], 0 }, NULL, 16);
                *p += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && (*p)[0] == '\\' && (*p)[1] == 'u') {
                    unsigned lo = (unsigned)strtoul((char[5]){ (*p)[2], (*p)[3], (*p)[4], (*p)[5], 0 }, NULL, 16);
                    *p += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                put_utf8(&w, cp);
                break;
            }
            default: *w++ = e; break;
            }
        } else {
            *w++ = *(*p)++;
        }
    }
    (*p)++;
    *w = 0;
    return s;
}

static jrow jvalue_row(const char **p)
{
    jrow r = { 0, NULL, NULL };
    jws(p);
    char open = **p, close = open == '[' ? ']' : '}';
    ck_assert(open == '[' || open == '{');
    (*p)++;
    r.v = calloc(64, sizeof(char *));
    r.k = calloc(64, sizeof(char *));
    for (;;) {
        jws(p);
        if (**p == close) { (*p)++; break; }
        if (**p == ',') { (*p)++; continue; }
        ck_assert(r.n < 64);
        if (open == '{') {
            r.k[r.n] = jstring(p);
            jws(p);
            ck_assert_int_eq(**p, ':');
            (*p)++;
        }
        r.v[r.n++] = jstring(p);
    }
    return r;
}

static jdoc jparse(const char *text)
{
    jdoc d = { 0, calloc(64, sizeof(jrow)) };
    const char *p = text;
    jws(&p);
    if (*p == '{') {                       /* bare object: one row */
        d.rows[d.n++] = jvalue_row(&p);
        return d;
    }
    ck_assert_int_eq(*p, '[');
    p++;
    for (;;) {
        jws(&p);
        if (*p == ']') break;
        if (*p == ',') { p++; continue; }
        ck_assert(d.n < 64);
        d.rows[d.n++] = jvalue_row(&p);
    }
    return d;
}

static void jfree(jdoc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        for (size_t k = 0; k < d->rows[i].n; k++) { free(d->rows[i].v[k]); free(d->rows[i].k[k]); }
        free(d->rows[i].v);
        free(d->rows[i].k);
    }
    free(d->rows);
}

/* ================================================================ CSV suites */

/* Compares a parsed file to its JSON. header: the first record is the
 * header and the JSON rows are objects keyed by it. */
static void check_against_json(const char *csv_rel, const char *json_rel, int header)
{
    cfile cf = read_all(td_path(csv_rel), &(hd_csv_opts){ .encoding = HD_ENC_UTF8, .delimiter = ',', .quote = '"' });
    size_t jl;
    char *jt = td_slurp(td_path(json_rel), &jl);
    jdoc d = jparse(jt);
    ck_assert_int_eq(cf.rc, 0);
    size_t first = header ? 1 : 0;
    ck_assert_msg(cf.n == d.n + first, "%s: %zu records, JSON has %zu rows", csv_rel, cf.n, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const crec *x = &cf.r[i + first];
        const jrow *j = &d.rows[i];
        ck_assert_msg(x->fault == HD_R_NONE, "%s record %zu: %s", csv_rel, i, hd_reason_name(x->fault));
        ck_assert_uint_eq(x->n, j->n);
        for (size_t k = 0; k < j->n; k++) {
            if (header) ck_assert_str_eq(cf.r[0].f[k], j->k[k]);
            ck_assert_msg(strcmp(x->f[k], j->v[k]) == 0, "%s row %zu field %zu: got [%s] want [%s]",
                          csv_rel, i, k, x->f[k], j->v[k]);
        }
    }
    jfree(&d);
    free(jt);
    free_cfile(&cf);
}

static const char *const spectrum[] = {
    "comma_in_quotes", "empty", "empty_crlf", "escaped_quotes", "json",
    "newlines", "newlines_crlf", "quotes_and_newlines", "simple",
    "simple_crlf", "utf8",
};

START_TEST(csv_spectrum)
{
    char c[256], j[256];
    snprintf(c, sizeof c, "csv/csv-spectrum/csvs/%s.csv", spectrum[_i]);
    snprintf(j, sizeof j, "csv/csv-spectrum/json/%s.json", spectrum[_i]);
    check_against_json(c, j, 1);
}
END_TEST

/* location_coordinates: upstream JSON is an erratum (csv/SOURCES.md); the
 * corrected values are those SOURCES.md gives. The field holds a bare '"'
 * inside an unquoted field, which this strict RFC 4180 reader flags as
 * BAD_QUOTE while still returning the text as written. */
START_TEST(csv_spectrum_location)
{
    cfile cf = read_all(td_path("csv/csv-spectrum/csvs/location_coordinates.csv"), &(hd_csv_opts){ .encoding = HD_ENC_UTF8, .delimiter = ',', .quote = '"' });
    ck_assert_int_eq(cf.rc, 0);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_uint_eq(cf.r[0].n, 4);
    ck_assert_str_eq(cf.r[0].f[0], "Contact Phone Number");
    ck_assert_str_eq(cf.r[0].f[3], "Counties");
    ck_assert_uint_eq(cf.r[1].n, 4);
    ck_assert_str_eq(cf.r[1].f[0], "2095257564");
    ck_assert_str_eq(cf.r[1].f[1], "37\xEF\xBF\xBD" "36'37.8\"N 121\xEF\xBF\xBD" "2'17.9\"W");
    ck_assert_str_eq(cf.r[1].f[2], "Modesto");
    ck_assert_str_eq(cf.r[1].f[3], "Stanislaus");
    ck_assert_int_eq(cf.r[1].fault, HD_R_BAD_QUOTE);
    free_cfile(&cf);
}
END_TEST

static const char *const testdata_rows[] = {
    "quotes-with-escaped-quote", "trailing-newline-one-field", "simple-lf",
    "quotes-with-newline", "leading-space", "trailing-newline",
    "quotes-with-comma", "utf8", "quotes-with-space", "quotes-empty",
    "trailing-space", "all-empty", "simple-crlf", "empty-field",
    "one-column", "empty-one-column",
};

START_TEST(csv_test_data)
{
    char c[256], j[256];
    snprintf(c, sizeof c, "csv/csv-test-data/csv/%s.csv", testdata_rows[_i]);
    snprintf(j, sizeof j, "csv/csv-test-data/json/%s.json", testdata_rows[_i]);
    check_against_json(c, j, 0);
}
END_TEST

START_TEST(csv_test_data_header)
{
    check_against_json("csv/csv-test-data/csv/header-simple.csv", "csv/csv-test-data/json/header-simple.json", 1);
    check_against_json("csv/csv-test-data/csv/header-no-rows.csv", "csv/csv-test-data/json/header-no-rows.json", 1);
}
END_TEST

START_TEST(csv_test_data_bad)
{
    hd_csv_opts o = default_opts();
    cfile cf = read_all(td_path("csv/csv-test-data/csv/bad-missing-quote.csv"), &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_int_eq(cf.r[1].fault, HD_R_UNBALANCED_QUOTE);
    ck_assert_int_eq(cf.r[1].line, 2);
    free_cfile(&cf);

    cf = read_all(td_path("csv/csv-test-data/csv/bad-quotes-with-unescaped-quote.csv"), &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);
    ck_assert_int_eq(cf.r[1].fault, HD_R_BAD_QUOTE);
    free_cfile(&cf);

    cf = read_all(td_path("csv/csv-test-data/csv/bad-unescaped-quote.csv"), &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_int_eq(cf.r[1].fault, HD_R_BAD_QUOTE);
    free_cfile(&cf);

    /* ragged rows: the reader returns them; the field count is the
     * caller's check (FIELD_COUNT) */
    cf = read_all(td_path("csv/csv-test-data/csv/bad-header-less-fields.csv"), &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_uint_eq(cf.r[0].n, 3);
    ck_assert_uint_eq(cf.r[1].n, 2);
    free_cfile(&cf);
    cf = read_all(td_path("csv/csv-test-data/csv/bad-header-more-fields.csv"), &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_uint_eq(cf.r[1].n, 4);
    free_cfile(&cf);
    cf = read_all(td_path("csv/csv-test-data/csv/bad-header-no-header.csv"), &o);
    ck_assert_uint_eq(cf.n, 0);
    ck_assert_int_eq(cf.rc, 0);
    free_cfile(&cf);
    cf = read_all(td_path("csv/csv-test-data/csv/bad-header-wrong-header.csv"), &o);
    ck_assert_uint_eq(cf.n, 1);
    ck_assert_str_eq(cf.r[0].f[0], "qux");
    ck_assert_str_ne(cf.r[0].f[0], "foo");
    free_cfile(&cf);
}
END_TEST

/* ================================================================ encodings */

static void check_cjk(const char *in_rel, const char *utf8_rel, hd_encoding enc)
{
    hd_csv_opts o = default_opts();
    o.encoding = enc;
    o.quote = -1;
    cfile cf = read_all(td_path(in_rel), &o);
    ck_assert_int_eq(cf.rc, 0);
    for (size_t i = 0; i < cf.n; i++)
        ck_assert_msg(cf.r[i].fault == HD_R_NONE, "%s line %zu", in_rel, i + 1);
    size_t got_len, want_len;
    char *got = rejoin(&cf, "\n", &got_len);
    char *want = td_slurp(td_path(utf8_rel), &want_len);
    ck_assert_uint_eq(got_len, want_len);
    ck_assert(memcmp(got, want, want_len) == 0);
    free(got);
    free(want);
    free_cfile(&cf);
}

START_TEST(cjk_gbk)
{
    check_cjk("gb18030/python-cjkencodings/gbk.txt", "gb18030/python-cjkencodings/gbk-utf8.txt", HD_ENC_GBK);
}
END_TEST

START_TEST(cjk_gb18030)
{
    check_cjk("gb18030/python-cjkencodings/gb18030.txt", "gb18030/python-cjkencodings/gb18030-utf8.txt", HD_ENC_GB18030);
}
END_TEST

START_TEST(cjk_gb2312_as_gbk)
{
    /* GBK is a superset of GB 2312 */
    check_cjk("gb18030/python-cjkencodings/gb2312.txt", "gb18030/python-cjkencodings/gb2312-utf8.txt", HD_ENC_GBK);
    check_cjk("gb18030/python-cjkencodings/gb2312.txt", "gb18030/python-cjkencodings/gb2312-utf8.txt", HD_ENC_GB18030);
}
END_TEST

/* gb18030/samples/MANIFEST.csv, "ok" rows: SHA-256 of the UTF-8 text. */
static const struct { const char *file; hd_encoding enc; const char *sha; size_t rows; } samples_ok[] = {
    { "gb18030/samples/households.utf8.csv", HD_ENC_UTF8, "4d1838b4b36b8a21bfa07cb5870445ace1e947ec24ffcd84313d658f1a409721", 9 },
    { "gb18030/samples/households.utf8-bom.csv", HD_ENC_UTF8, "4d1838b4b36b8a21bfa07cb5870445ace1e947ec24ffcd84313d658f1a409721", 9 },
    { "gb18030/samples/households.gb18030.csv", HD_ENC_GB18030, "4d1838b4b36b8a21bfa07cb5870445ace1e947ec24ffcd84313d658f1a409721", 9 },
    { "gb18030/samples/households.gbk.csv", HD_ENC_GBK, "bf5caa3f89830d60592865a882609e2b652f8eb20bc488c1d9a8535ad6572dbe", 7 },
    { "gb18030/samples/households.gbk.csv", HD_ENC_GB18030, "bf5caa3f89830d60592865a882609e2b652f8eb20bc488c1d9a8535ad6572dbe", 7 },
    { "gb18030/samples/households_gbk_subset.utf8.csv", HD_ENC_UTF8, "bf5caa3f89830d60592865a882609e2b652f8eb20bc488c1d9a8535ad6572dbe", 7 },
    /* zstd/MANIFEST.csv: GB18030 bytes inside zstd */
    { "zstd/households.gb18030.csv.zst", HD_ENC_GB18030, "4d1838b4b36b8a21bfa07cb5870445ace1e947ec24ffcd84313d658f1a409721", 9 },
};

START_TEST(samples_ok_rows)
{
    hd_csv_opts o = default_opts();
    o.encoding = samples_ok[_i].enc;
    cfile cf = read_all(td_path(samples_ok[_i].file), &o);
    ck_assert_int_eq(cf.rc, 0);
    ck_assert_uint_eq(cf.n, samples_ok[_i].rows);
    for (size_t i = 0; i < cf.n; i++) {
        ck_assert_int_eq(cf.r[i].fault, HD_R_NONE);
        ck_assert_uint_eq(cf.r[i].n, 3);
        ck_assert_uint_eq(cf.r[i].line, i + 1);
    }
    ck_assert_str_eq(cf.r[0].f[0], "id");     /* BOM dropped */
    size_t len;
    char *text = rejoin(&cf, "\r\n", &len);
    char sha[65];
    sha256_hex(text, len, sha);
    ck_assert_str_eq(sha, samples_ok[_i].sha);
    free(text);
    free_cfile(&cf);
}
END_TEST

/* The first record with a fault, or NULL. */
static const crec *first_fault(const cfile *cf)
{
    for (size_t i = 0; i < cf->n; i++)
        if (cf->r[i].fault != HD_R_NONE) return &cf->r[i];
    return NULL;
}

START_TEST(samples_error_rows)
{
    hd_csv_opts o = default_opts();
    /* households.gb18030.csv read as GBK: error at byte 282 (FE9F, 䶮),
     * which is in line 7; 9534B235 (𠮷, line 8) fails too */
    o.encoding = HD_ENC_GBK;
    cfile cf = read_all(td_path("gb18030/samples/households.gb18030.csv"), &o);
    const crec *x = first_fault(&cf);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->fault, HD_R_ENCODING);
    ck_assert_uint_eq(x->line, 7);
    ck_assert_int_eq(cf.r[7].fault, HD_R_ENCODING);
    ck_assert_int_eq(cf.r[8].fault, HD_R_NONE);
    free_cfile(&cf);

    /* truncated multi-byte sequence at the end of the file */
    o.encoding = HD_ENC_GB18030;
    cf = read_all(td_path("gb18030/samples/bad_truncated.gb18030.csv"), &o);
    x = first_fault(&cf);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->fault, HD_R_ENCODING);
    ck_assert_uint_eq(x->line, 9);
    ck_assert_uint_eq(cf.n, 9);
    free_cfile(&cf);

    /* invalid UTF-8 in the last line */
    o.encoding = HD_ENC_UTF8;
    cf = read_all(td_path("gb18030/samples/bad_mixed_utf8_then_gbk.csv"), &o);
    x = first_fault(&cf);
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->fault, HD_R_ENCODING);
    ck_assert_uint_eq(x->line, 10);
    ck_assert_uint_eq(cf.n, 10);
    free_cfile(&cf);

    /* 0x80: euro sign in glibc GBK (CP936), an error in GB18030 */
    o.encoding = HD_ENC_GBK;
    cf = read_all(td_path("gb18030/samples/cp936_euro.csv"), &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_int_eq(cf.r[1].fault, HD_R_NONE);
    ck_assert_ptr_nonnull(strstr(cf.r[1].raw, "\xE2\x82\xAC"));
    free_cfile(&cf);
    o.encoding = HD_ENC_GB18030;
    cf = read_all(td_path("gb18030/samples/cp936_euro.csv"), &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_int_eq(cf.r[1].fault, HD_R_ENCODING);
    free_cfile(&cf);
}
END_TEST

START_TEST(gbk_trail_bytes_are_not_delimiters)
{
    /* 亅 = GBK 81 7C ('|' as trail byte), 乗 = GBK 81 5C ('\' as trail) */
    hd_csv_opts o = default_opts();
    o.encoding = HD_ENC_GBK;
    o.delimiter = '|';
    cfile cf = read_str("\x81\x7C|\x81\x5C|a\r\nb|\x81\x7C\x81\x7C|c\n", &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_uint_eq(cf.r[0].n, 3);
    ck_assert_str_eq(cf.r[0].f[0], "亅");
    ck_assert_str_eq(cf.r[0].f[1], "乗");
    ck_assert_str_eq(cf.r[0].f[2], "a");
    ck_assert_str_eq(cf.r[1].f[1], "亅亅");
    ck_assert_int_eq(cf.r[1].fault, HD_R_NONE);
    free_cfile(&cf);
    /* a bad GBK byte is an ENCODING fault in its own record only */
    o.delimiter = ',';
    cf = read_str("a,b\n\xFF,c\nd,\x81\n", &o);
    ck_assert_uint_eq(cf.n, 3);
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);
    ck_assert_int_eq(cf.r[1].fault, HD_R_ENCODING);
    ck_assert_uint_eq(cf.r[1].n, 2);
    ck_assert_int_eq(cf.r[2].fault, HD_R_ENCODING);   /* 81 0A: bad trail */
    ck_assert_uint_eq(cf.r[2].line, 3);
    free_cfile(&cf);
    /* GB18030 BOM 84 31 95 33 is dropped */
    o.encoding = HD_ENC_GB18030;
    cf = read_str("\x84\x31\x95\x33id,x\n1,2\n", &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_str_eq(cf.r[0].f[0], "id");
    free_cfile(&cf);
}
END_TEST

/* The GBK / GB18030 decoding (glibc's two-byte table in engine/text/gb.c,
 * iconv for the rest) against glibc iconv itself over every two-byte
 * sequence (first byte 0x80..0xFF, second 0x00..0xFF) and every GB18030
 * four-byte sequence (byte, digit, byte, digit; under valgrind every 25th
 * first byte), each followed by TAB LF: the expected text is one iconv call
 * over the whole input, each byte it rejects written as 0xFF and the byte
 * (csv.c's rule), a character cut by the end the same. The reader's
 * records joined by LF must be that text, byte for byte. */
static size_t iconv_reference(const char *enc, const unsigned char *in, size_t n, unsigned char *out)
{
    iconv_t cd = iconv_open("UTF-8", enc);
    ck_assert(cd != (iconv_t)-1);
    char *ip = (char *)in, *op = (char *)out;
    size_t il = n, ol = 4 * n + 16;
    while (il > 0) {
        if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1) break;
        ck_assert(errno == EILSEQ || errno == EINVAL);
        int cut = errno == EINVAL;
        do {
            unsigned char b = (unsigned char)*ip++;
            il--;
            *op++ = (char)0xFF;
            ol--;
            if (b >= 0x80) { *op++ = (char)b; ol--; }
        } while (cut && il > 0);
    }
    iconv_close(cd);
    return (size_t)(op - (char *)out);
}

static void gb_differential(hd_encoding enc, const unsigned char *in, size_t n)
{
    const char *name = enc == HD_ENC_GBK ? "GBK" : "GB18030";
    unsigned char *want = malloc(4 * n + 16);
    ck_assert(want != NULL);
    size_t wn = iconv_reference(name, in, n, want);
    hd_csv_opts o = default_opts();
    o.encoding = enc;
    o.delimiter = '\t';
    o.quote = -1;
    char *path = write_tmp(in, n);
    o.path = path;
    hd_reader *r;
    hd_csv *c;
    hd_error e;
    ck_assert_msg(hd_reader_open(&r, path, 0, &e) == HD_OK, "%s", e.message);
    ck_assert_msg(hd_csv_open(&c, r, &o, &e) == HD_OK, "%s", e.message);
    hd_csv_record rec;
    size_t at = 0, i = 0;
    int rc;
    while ((rc = hd_csv_next(c, &rec, &e)) == 1) {
        i++;
        ck_assert_msg(at + rec.raw_len + 1 <= wn && memcmp(want + at, rec.raw, rec.raw_len) == 0 &&
                      want[at + rec.raw_len] == '\n',
                      "%s: record %zu differs from iconv's text at byte %zu", name, i, at);
        at += rec.raw_len + 1;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(at, wn);
    hd_csv_close(c);
    hd_reader_close(r);
    unlink(path);
    free(path);
    free(want);
}

START_TEST(gb_decoding_equals_iconv_every_sequence)
{
    /* every two-byte sequence with a first byte >= 0x80 */
    size_t n2 = 128 * 256 * 4;
    unsigned char *b = malloc(n2), *w = b;
    ck_assert(b != NULL);
    for (unsigned l = 0x80; l <= 0xFF; l++)
        for (unsigned t = 0; t <= 0xFF; t++) {
            *w++ = (unsigned char)l; *w++ = (unsigned char)t; *w++ = '\t'; *w++ = '\n';
        }
    gb_differential(HD_ENC_GBK, b, n2);
    gb_differential(HD_ENC_GB18030, b, n2);
    free(b);
    /* every GB18030 four-byte sequence: 0x81..0xFE, digit, 0x81..0xFE, digit */
    unsigned step = getenv("HEDUI_MEMCHECK") ? 25 : 1;
    size_t n4 = (size_t)126 * 10 * 126 * 10 * 6;
    b = malloc(n4);
    ck_assert(b != NULL);
    w = b;
    for (unsigned b1 = 0x81; b1 <= 0xFE; b1 += step)
        for (unsigned b2 = '0'; b2 <= '9'; b2++)
            for (unsigned b3 = 0x81; b3 <= 0xFE; b3++)
                for (unsigned b4 = '0'; b4 <= '9'; b4++) {
                    *w++ = (unsigned char)b1; *w++ = (unsigned char)b2;
                    *w++ = (unsigned char)b3; *w++ = (unsigned char)b4;
                    *w++ = '\t'; *w++ = '\n';
                }
    gb_differential(HD_ENC_GB18030, b, (size_t)(w - b));
    free(b);
}
END_TEST

START_TEST(gbk_large_stream)
{
    /* many records across buffer edges: 中 = D6 D0; 200000 records */
    hd_csv_opts o = default_opts();
    o.encoding = HD_ENC_GB18030;
    size_t nrec = 200000;
    const char *one = "\xD6\xD0\xCE\xC4,\x81\x7C\r\n";   /* 中文,亅 */
    size_t ol = strlen(one);
    char *data = malloc(nrec * ol);
    for (size_t i = 0; i < nrec; i++) memcpy(data + i * ol, one, ol);
    cfile cf = read_bytes(data, nrec * ol, &o);
    ck_assert_uint_eq(cf.n, nrec);
    for (size_t i = 0; i < nrec; i++) {
        ck_assert_int_eq(cf.r[i].fault, HD_R_NONE);
        ck_assert_str_eq(cf.r[i].f[0], "中文");
        ck_assert_str_eq(cf.r[i].f[1], "亅");
    }
    ck_assert_uint_eq(cf.r[nrec - 1].line, nrec);
    free(data);
    free_cfile(&cf);
}
END_TEST

/* ================================================================ options */

START_TEST(mixed_line_ends)
{
    hd_csv_opts o = default_opts();
    cfile cf = read_str("a,b\r\nc,d\ne,\"f\r\ng\"\r\nh,i", &o);
    ck_assert_uint_eq(cf.n, 4);
    ck_assert_str_eq(cf.r[0].f[1], "b");
    ck_assert_str_eq(cf.r[0].raw, "a,b");
    ck_assert_str_eq(cf.r[1].f[1], "d");
    ck_assert_str_eq(cf.r[2].f[1], "f\r\ng");
    ck_assert_uint_eq(cf.r[2].line, 3);
    ck_assert_uint_eq(cf.r[2].lines, 2);
    ck_assert_uint_eq(cf.r[3].line, 5);
    ck_assert_str_eq(cf.r[3].f[1], "i");
    for (int i = 0; i < 4; i++) ck_assert_int_eq(cf.r[i].fault, HD_R_NONE);
    free_cfile(&cf);
}
END_TEST

START_TEST(nul_byte)
{
    hd_csv_opts o = default_opts();
    cfile cf = read_bytes("a,b\nc,d\0e\nf,g\n", 14, &o);
    ck_assert_uint_eq(cf.n, 3);
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);
    ck_assert_int_eq(cf.r[1].fault, HD_R_NUL_BYTE);
    ck_assert_uint_eq(cf.r[1].raw_len, 5);
    ck_assert_int_eq(cf.r[2].fault, HD_R_NONE);
    free_cfile(&cf);
}
END_TEST

START_TEST(utf8_invalid)
{
    hd_csv_opts o = default_opts();
    /* overlong, surrogate, lone continuation, cut sequence at EOF */
    cfile cf = read_str("ok,\xC3\xA9\n\xC0\xAF\n\xED\xA0\x80\n\x80\nx,\xE4\xB8", &o);
    ck_assert_uint_eq(cf.n, 5);
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);
    for (int i = 1; i < 5; i++) ck_assert_int_eq(cf.r[i].fault, HD_R_ENCODING);
    ck_assert_uint_eq(cf.r[1].raw_len, 2);          /* kept as it was */
    free_cfile(&cf);
}
END_TEST

START_TEST(bad_quotes)
{
    hd_csv_opts o = default_opts();
    cfile cf = read_str("\"a\"b,c\na\"b,c\n\"a\"\"b\",\"\"\n\"x\",\"y\"\n", &o);
    ck_assert_uint_eq(cf.n, 4);
    ck_assert_int_eq(cf.r[0].fault, HD_R_BAD_QUOTE);   /* text after closing quote */
    ck_assert_int_eq(cf.r[1].fault, HD_R_BAD_QUOTE);   /* quote in unquoted field */
    ck_assert_int_eq(cf.r[2].fault, HD_R_NONE);
    ck_assert_str_eq(cf.r[2].f[0], "a\"b");
    ck_assert_str_eq(cf.r[2].f[1], "");
    ck_assert_int_eq(cf.r[3].fault, HD_R_NONE);
    ck_assert_int_eq(cf.r[3].blank, 0);
    free_cfile(&cf);
    /* quote = none: quotes are data */
    o.quote = -1;
    cf = read_str("\"a,b\"\nc\"\n", &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_uint_eq(cf.r[0].n, 2);
    ck_assert_str_eq(cf.r[0].f[0], "\"a");
    ck_assert_str_eq(cf.r[0].f[1], "b\"");
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);
    ck_assert_int_eq(cf.r[1].fault, HD_R_NONE);
    free_cfile(&cf);
    /* unbalanced quote runs to EOF over several lines */
    o.quote = '"';
    cf = read_str("h\n1,\"abc\n2,def\n3\n", &o);
    ck_assert_uint_eq(cf.n, 2);
    ck_assert_int_eq(cf.r[1].fault, HD_R_UNBALANCED_QUOTE);
    ck_assert_uint_eq(cf.r[1].line, 2);
    ck_assert_uint_eq(cf.r[1].lines, 4);
    free_cfile(&cf);
}
END_TEST

/* ="..." written without surrounding quotes is forced text (SPEC §6): the
 * quoted part is read as a quoted field; '=' elsewhere is data */
START_TEST(excel_forced_text_unquoted)
{
    hd_csv_opts o = default_opts();
    cfile cf = read_str("1,=\"0123\"\n=\"a,b\",c\n=\"a\"\"b\",x\n=\"l1\nl2\",y\nx=\"y\",z\n=,q\n", &o);
    ck_assert_uint_eq(cf.n, 6);
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);
    ck_assert_str_eq(cf.r[0].f[1], "0123");
    ck_assert_int_eq(cf.r[1].fault, HD_R_NONE);
    ck_assert_uint_eq(cf.r[1].n, 2);
    ck_assert_str_eq(cf.r[1].f[0], "a,b");               /* the delimiter is inside */
    ck_assert_str_eq(cf.r[2].f[0], "a\"b");             /* doubled quote undone */
    ck_assert_int_eq(cf.r[3].fault, HD_R_NONE);
    ck_assert_str_eq(cf.r[3].f[0], "l1\nl2");           /* newline inside: one record */
    ck_assert_uint_eq(cf.r[3].lines, 2);
    ck_assert_int_eq(cf.r[4].fault, HD_R_BAD_QUOTE);     /* '=' not at the field start */
    ck_assert_int_eq(cf.r[5].fault, HD_R_NONE);          /* '=' alone is data */
    ck_assert_str_eq(cf.r[5].f[0], "=");
    free_cfile(&cf);
}
END_TEST

/* A BOM is dropped whatever the declared encoding (SPEC §6). */
START_TEST(bom_before_gbk_text)
{
    hd_csv_opts o = default_opts();
    o.encoding = HD_ENC_GBK;
    /* UTF-8 BOM, then GBK 张三 (D5 C5 C8 FD) */
    cfile cf = read_str("\xEF\xBB\xBF" "\xD5\xC5\xC8\xFD,1\n", &o);
    ck_assert_uint_eq(cf.n, 1);
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);
    ck_assert_str_eq(cf.r[0].f[0], "\xE5\xBC\xA0\xE4\xB8\x89");
    free_cfile(&cf);
    /* the GB18030 BOM in front of GBK text */
    cf = read_str("\x84\x31\x95\x33" "\xD5\xC5,2\n", &o);
    ck_assert_uint_eq(cf.n, 1);
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);
    ck_assert_str_eq(cf.r[0].f[0], "\xE5\xBC\xA0");
    free_cfile(&cf);
}
END_TEST

START_TEST(blank_records)
{
    hd_csv_opts o = default_opts();
    cfile cf = read_str("\n,,,\n \t, \xE3\x80\x80,\xC2\xA0\r\n\"\",\"\"\na,,\n,\" x\"\n", &o);
    ck_assert_uint_eq(cf.n, 6);
    ck_assert_int_eq(cf.r[0].blank, 1);
    ck_assert_int_eq(cf.r[1].blank, 1);
    ck_assert_uint_eq(cf.r[1].n, 4);
    ck_assert_int_eq(cf.r[2].blank, 1);
    ck_assert_int_eq(cf.r[3].blank, 1);
    ck_assert_int_eq(cf.r[4].blank, 0);
    ck_assert_int_eq(cf.r[5].blank, 0);
    free_cfile(&cf);
}
END_TEST

START_TEST(skip_and_bom)
{
    hd_csv_opts o = default_opts();
    o.skip = 2;
    cfile cf = read_str("\xEF\xBB\xBF" "export 2024\n\"not, a\nheader\n", &o);
    /* skip counts physical lines, quotes or not */
    ck_assert_uint_eq(cf.skipped, 2);
    ck_assert_uint_eq(cf.n, 1);
    ck_assert_str_eq(cf.r[0].f[0], "header");
    ck_assert_uint_eq(cf.r[0].line, 3);
    free_cfile(&cf);
    o.skip = 5;
    cf = read_str("a\nb\n", &o);
    ck_assert_uint_eq(cf.n, 0);
    ck_assert_uint_eq(cf.skipped, 2);
    ck_assert_int_eq(cf.rc, 0);
    free_cfile(&cf);
    o.skip = 0;
    cf = read_str("\xEF\xBB\xBFid,name\n", &o);
    ck_assert_str_eq(cf.r[0].f[0], "id");
    free_cfile(&cf);
}
END_TEST

START_TEST(trailer)
{
    hd_csv_opts o = default_opts();
    o.trailer = 1;
    cfile cf = read_str("h,v\n1,a\n2,b\nEOF,2\n\n,,\n", &o);
    ck_assert_int_eq(cf.rc, 0);
    /* blank records are not held back, so they may come before the
     * record that precedes them */
    size_t nonblank = 0, trailers = 0;
    const crec *t = NULL;
    for (size_t i = 0; i < cf.n; i++) {
        if (cf.r[i].blank) continue;
        nonblank++;
        if (cf.r[i].is_trailer) { trailers++; t = &cf.r[i]; }
    }
    ck_assert_uint_eq(cf.n, 6);
    ck_assert_uint_eq(nonblank, 4);
    ck_assert_uint_eq(trailers, 1);
    ck_assert_str_eq(t->f[0], "EOF");
    ck_assert_str_eq(t->f[1], "2");
    ck_assert_uint_eq(t->line, 4);
    ck_assert_ptr_eq(t, &cf.r[cf.n - 1]);
    /* order of the non-blank records is kept */
    ck_assert_str_eq(cf.r[0].f[0], "h");
    ck_assert_str_eq(cf.r[1].f[0], "1");
    ck_assert_str_eq(cf.r[2].f[0], "2");
    free_cfile(&cf);
    /* only a trailer */
    cf = read_str("T,0", &o);
    ck_assert_uint_eq(cf.n, 1);
    ck_assert_int_eq(cf.r[0].is_trailer, 1);
    free_cfile(&cf);
    cf = read_str("", &o);
    ck_assert_uint_eq(cf.n, 0);
    free_cfile(&cf);
    /* without the option nothing is a trailer */
    o.trailer = 0;
    cf = read_str("a\nb\n", &o);
    ck_assert_int_eq(cf.r[1].is_trailer, 0);
    free_cfile(&cf);
}
END_TEST

START_TEST(max_line)
{
    hd_csv_opts o = default_opts();
    o.max_line = 10;
    cfile cf = read_str("0123456789\n0123456789x,y\nshort\n\"q\n0123456789\",z\nend", &o);
    ck_assert_uint_eq(cf.n, 5);
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);             /* exactly 10 */
    ck_assert_int_eq(cf.r[1].fault, HD_R_LINE_TOO_LONG);
    ck_assert_uint_eq(cf.r[1].raw_len, 10);
    ck_assert_str_eq(cf.r[1].raw, "0123456789");
    ck_assert_uint_eq(cf.r[1].line, 2);
    ck_assert_str_eq(cf.r[2].f[0], "short");
    ck_assert_uint_eq(cf.r[2].line, 3);
    ck_assert_int_eq(cf.r[3].fault, HD_R_LINE_TOO_LONG);    /* quoted, 2 lines */
    ck_assert_uint_eq(cf.r[3].line, 4);
    ck_assert_uint_eq(cf.r[3].lines, 2);
    ck_assert_str_eq(cf.r[4].f[0], "end");
    ck_assert_uint_eq(cf.r[4].line, 6);
    free_cfile(&cf);
    /* CRLF after exactly max_line bytes is not too long */
    cf = read_str("0123456789\r\nab\r\n", &o);
    ck_assert_int_eq(cf.r[0].fault, HD_R_NONE);
    ck_assert_uint_eq(cf.n, 2);
    free_cfile(&cf);
}
END_TEST

START_TEST(max_line_default_huge)
{
    /* a 5 MiB record under the default 1 MiB limit: reported, skipped,
     * and the reader goes on */
    hd_csv_opts o = default_opts();
    size_t big = 5u << 20;
    char *data = malloc(big + 32);
    memcpy(data, "a,b\n", 4);
    memset(data + 4, 'x', big);
    memcpy(data + 4 + big, "\nc,d\n", 5);
    cfile cf = read_bytes(data, big + 9, &o);
    ck_assert_uint_eq(cf.n, 3);
    ck_assert_int_eq(cf.r[1].fault, HD_R_LINE_TOO_LONG);
    ck_assert_uint_eq(cf.r[1].raw_len, 1u << 20);
    ck_assert_str_eq(cf.r[2].f[1], "d");
    ck_assert_uint_eq(cf.r[2].line, 3);
    free(data);
    free_cfile(&cf);
}
END_TEST

START_TEST(truncated_zstd)
{
    /* frame 1 is whole and ends inside a record; frame 2 is cut */
    const char *f1 = "h1,h2\nx,y\npartial,ro", *f2 = "w\nmore,rows\n";
    char out[512];
    size_t n1 = ZSTD_compress(out, sizeof out, f1, strlen(f1), 3);
    ck_assert(!ZSTD_isError(n1));
    size_t n2 = ZSTD_compress(out + n1, sizeof out - n1, f2, strlen(f2), 3);
    ck_assert(!ZSTD_isError(n2));
    char *path = write_tmp(out, n1 + n2 - 5);
    hd_csv_opts o = default_opts();
    cfile cf = read_all(path, &o);
    /* libzstd may hand out part of the cut frame (a raw block streams):
     * then "partial,row" is whole and a piece of "more,rows" is cut */
    ck_assert_msg(cf.n == 3 || cf.n == 4, "%zu records", cf.n);
    for (size_t i = 0; i + 1 < cf.n; i++) ck_assert_int_eq(cf.r[i].fault, HD_R_NONE);
    ck_assert_int_eq(cf.r[cf.n - 1].fault, HD_R_TRUNCATED);
    ck_assert_uint_eq(cf.r[cf.n - 1].line, cf.n);
    if (cf.n == 3) ck_assert_str_eq(cf.r[2].raw, "partial,ro");
    else {
        ck_assert_str_eq(cf.r[2].raw, "partial,row");
        ck_assert_int_eq(strncmp(cf.r[3].raw, "more,rows", cf.r[3].raw_len), 0);
    }
    ck_assert_int_eq(cf.rc, -1);
    ck_assert_int_eq(cf.err.status, HD_EIO);
    ck_assert_ptr_nonnull(strstr(cf.err.message, path));
    free_cfile(&cf);
    /* with a trailer the held record is not the trailer after an error */
    o.trailer = 1;
    cf = read_all(path, &o);
    ck_assert(cf.n == 3 || cf.n == 4);
    for (size_t i = 0; i < cf.n; i++) ck_assert_int_eq(cf.r[i].is_trailer, 0);
    ck_assert_int_eq(cf.r[cf.n - 1].fault, HD_R_TRUNCATED);
    ck_assert_int_eq(cf.rc, -1);
    free_cfile(&cf);
    unlink(path);
    free(path);
    /* fixture: cut inside the only frame: no record, an error */
    o.trailer = 0;
    cf = read_all(td_path("zstd/truncated.csv.zst"), &o);
    ck_assert_int_eq(cf.rc, -1);
    ck_assert_ptr_nonnull(strstr(cf.err.message, "truncated.csv.zst"));
    for (size_t i = 0; i + 1 < cf.n; i++) ck_assert_int_eq(cf.r[i].fault, HD_R_NONE);
    free_cfile(&cf);
    /* corrupt data: error, no TRUNCATED record */
    cf = read_all(td_path("zstd/trailing_garbage.csv.zst"), &o);
    ck_assert_int_eq(cf.rc, -1);
    ck_assert_uint_eq(cf.n, 9);          /* the 472-byte CSV's 9 records */
    for (size_t i = 0; i < cf.n; i++) ck_assert_int_eq(cf.r[i].fault, HD_R_NONE);
    free_cfile(&cf);
}
END_TEST

START_TEST(big_zstd_csv)
{
    /* households_5mb: 30,339 lines incl. header, CRLF (zstd/SOURCES.md) */
    hd_csv_opts o = default_opts();
    cfile cf = read_all(td_path("zstd/households_5mb_T2.csv.zst"), &o);
    ck_assert_int_eq(cf.rc, 0);
    ck_assert_uint_eq(cf.r[cf.n - 1].line + cf.r[cf.n - 1].lines - 1, 30339);
    ck_assert_str_eq(cf.r[0].f[0], "household_id");
    ck_assert_uint_eq(cf.r[0].n, 10);
    for (size_t i = 0; i < cf.n; i++) ck_assert_int_eq(cf.r[i].fault, HD_R_NONE);
    size_t len;
    char *text = rejoin(&cf, "\r\n", &len);
    char sha[65];
    sha256_hex(text, len, sha);
    free(text);
    /* equal to the decompressed file when every record is one line */
    if (cf.n == 30339)
        ck_assert_str_eq(sha, "6bd2dccfd5e400c529f5b7e3baf07ba3401fb4158f907ec6b2afb49a98939120");
    free_cfile(&cf);
}
END_TEST

/* Round trip over buffer edges: random fields (quotes, delimiters, CR, LF,
 * multi-byte UTF-8 inside) written RFC 4180 style, read back unchanged.
 * The expected values are the generated fields, not the reader's output. */
START_TEST(round_trip_random)
{
    static const char *const pieces[] = {
        "a", "bc", "123", ",", "\"", "\n", "\r\n", " ", "中", "\xF0\xA0\xAE\xB7", "x y", "",
    };
    const size_t npieces = sizeof pieces / sizeof *pieces;
    uint32_t seed = 12345;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
    size_t nrec = 40000, cap = 1 << 20, len = 0;
    char *data = malloc(cap);
    char ***want = calloc(nrec, sizeof *want);
    size_t *nf = calloc(nrec, sizeof *nf);
    for (size_t i = 0; i < nrec; i++) {
        nf[i] = 1 + RND() % 6;
        want[i] = calloc(nf[i], sizeof **want);
        for (size_t k = 0; k < nf[i]; k++) {
            char f[256];
            size_t fl = 0;
            size_t np = RND() % 5;
            for (size_t j = 0; j < np; j++) {
                const char *pc = pieces[RND() % npieces];
                memcpy(f + fl, pc, strlen(pc));
                fl += strlen(pc);
            }
            if (np == 0 && k == 0 && nf[i] == 1) { memcpy(f, "z", 1); fl = 1; } /* not blank */
            f[fl] = 0;
            want[i][k] = strdup(f);
            int must_quote = strpbrk(f, ",\"\r\n") != NULL || (RND() % 4 == 0);
            if (len + 2 * fl + 8 > cap) { cap *= 2; data = realloc(data, cap); }
            if (k) data[len++] = ',';
            if (must_quote) {
                data[len++] = '"';
                for (size_t j = 0; j < fl; j++) {
                    if (f[j] == '"') data[len++] = '"';
                    data[len++] = f[j];
                }
                data[len++] = '"';
            } else {
                memcpy(data + len, f, fl);
                len += fl;
            }
        }
        if (RND() % 2) data[len++] = '\r';
        data[len++] = '\n';
    }
#undef RND
    hd_csv_opts o = default_opts();
    cfile cf = read_bytes(data, len, &o);
    ck_assert_int_eq(cf.rc, 0);
    ck_assert_uint_eq(cf.n, nrec);
    uint64_t line = 1;
    for (size_t i = 0; i < nrec; i++) {
        ck_assert_int_eq(cf.r[i].fault, HD_R_NONE);
        ck_assert_uint_eq(cf.r[i].line, line);
        uint64_t lines = 1;
        for (size_t k = 0; k < nf[i]; k++)
            for (const char *p = want[i][k]; (p = strchr(p, '\n')); p++) lines++;
        ck_assert_uint_eq(cf.r[i].lines, lines);
        line += lines;
        ck_assert_uint_eq(cf.r[i].n, nf[i]);
        for (size_t k = 0; k < nf[i]; k++) {
            ck_assert_msg(strcmp(cf.r[i].f[k], want[i][k]) == 0, "record %zu field %zu", i, k);
            free(want[i][k]);
        }
        free(want[i]);
    }
    ck_assert_uint_gt(len, 600000);   /* several 256 KiB refills */
    free(want);
    free(nf);
    free(data);
    free_cfile(&cf);
}
END_TEST

START_TEST(open_errors)
{
    hd_reader *r;
    hd_csv *c;
    hd_error e;
    ck_assert_int_eq(hd_reader_open(&r, td_path("csv/csv-test-data/csv/simple-lf.csv"), 0, &e), HD_OK);
    hd_csv_opts o = default_opts();
    o.delimiter = '"';
    ck_assert_int_eq(hd_csv_open(&c, r, &o, &e), HD_ECONFIG);
    o = default_opts();
    o.encoding = (hd_encoding)99;
    ck_assert_int_eq(hd_csv_open(&c, r, &o, &e), HD_ECONFIG);
    hd_reader_close(r);
}
END_TEST

/* ================================================================ values */

START_TEST(trim_and_clean)
{
    static const struct { const char *in, *out; } t[] = {
        { "  abc \t", "abc" },
        { "\xE3\x80\x80" "abc" "\xE3\x80\x80", "abc" },            /* U+3000 */
        { "\xC2\xA0" "a b" "\xC2\xA0", "a b" },                     /* U+00A0 */
        { "\xE2\x80\x8B\xEF\xBB\xBF" "x\r", "x" },                  /* U+200B U+FEFF CR */
        { "\xE3\x80\x80 \xC2\xA0", "" },
        { "", "" },
        { "a\xE3\x80\x80" "b", "a\xE3\x80\x80" "b" },              /* inside: kept */
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        const char *s = t[i].in;
        size_t n = strlen(s);
        hd_trim(&s, &n);
        ck_assert_uint_eq(n, strlen(t[i].out));
        ck_assert(memcmp(s, t[i].out, n) == 0);
    }
    static const struct { const char *in, *out; } c[] = {
        { "=\"0123\"", "0123" },
        { " =\" 0123 \" ", "0123" },
        { "=\"\"", "" },
        { "=0123", "=0123" },
        { "\"0123\"", "\"0123\"" },
        { " x ", "x" },
    };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        const char *s = c[i].in;
        size_t n = strlen(s);
        hd_cell_clean(&s, &n);
        ck_assert_msg(n == strlen(c[i].out) && memcmp(s, c[i].out, n) == 0, "clean %s", c[i].in);
    }
}
END_TEST

START_TEST(excel_mangled)
{
    const char *yes[] = { "5.30102E+17", "5.30102e+17", "5E+17", "1.2E-05", "5.3E17" };
    const char *no[] = { "530102199001011234", "53.0102E+17", "E+17", "5.E+17", "5.3E+", "5.3E+17x", "" , "53010219900101123X" };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) ck_assert_msg(hd_is_excel_mangled(yes[i], strlen(yes[i])), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) ck_assert_msg(!hd_is_excel_mangled(no[i], strlen(no[i])), "%s", no[i]);
}
END_TEST

START_TEST(money)
{
    static const struct { const char *s; hd_money_unit u; hd_reason r; int64_t fen; } t[] = {
        { "1,234.5", HD_MONEY_YUAN, HD_R_NONE, 123450 },
        { "1234.56", HD_MONEY_YUAN, HD_R_NONE, 123456 },
        { "0", HD_MONEY_YUAN, HD_R_NONE, 0 },
        { "-12.3", HD_MONEY_YUAN, HD_R_NONE, -1230 },
        { "+7", HD_MONEY_YUAN, HD_R_NONE, 700 },
        { "1,234,567", HD_MONEY_YUAN, HD_R_NONE, 123456700 },
        { "１２", HD_MONEY_YUAN, HD_R_NONE, 1200 },
        { "１,２３４.５", HD_MONEY_YUAN, HD_R_NONE, 123450 },
        { "0.000001", HD_MONEY_WAN, HD_R_NONE, 1 },
        { "1.5", HD_MONEY_WAN, HD_R_NONE, 1500000 },
        { "12", HD_MONEY_WAN, HD_R_NONE, 12000000 },
        { "1,000", HD_MONEY_FEN, HD_R_NONE, 1000 },
        { "-5", HD_MONEY_FEN, HD_R_NONE, -5 },
        { "92233720368547758.07", HD_MONEY_YUAN, HD_R_NONE, INT64_MAX },
        { "1,23", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "12,34", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "1234,567", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { ",123", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "1,,234", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "1,234.", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "1.234", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { ".5", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "¥12", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "12元", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "(12)", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "1 234", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "１，２３４", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },    /* full-width comma */
        { "１２．５", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },      /* full-width point */
        { "--1", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "-", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "1e3", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "12.5", HD_MONEY_FEN, HD_R_AMOUNT, 0 },
        { "0.0000001", HD_MONEY_WAN, HD_R_AMOUNT, 0 },
        { "92233720368547758.08", HD_MONEY_YUAN, HD_R_AMOUNT, 0 },
        { "99999999999999999999", HD_MONEY_FEN, HD_R_AMOUNT, 0 },
        { "10000000000000", HD_MONEY_WAN, HD_R_AMOUNT, 0 },   /* 10^19 fen */
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int64_t v = -999;
        hd_reason r = hd_parse_money(t[i].s, strlen(t[i].s), t[i].u, &v);
        ck_assert_msg(r == t[i].r, "[%s] unit %d: %s", t[i].s, t[i].u, hd_reason_name(r));
        if (r == HD_R_NONE) ck_assert_msg(v == t[i].fen, "[%s] = %lld", t[i].s, (long long)v);
    }
}
END_TEST

START_TEST(area)
{
    static const struct { const char *s; hd_reason r; int64_t v; } t[] = {
        { "89.5", HD_R_NONE, 8950 }, { "120", HD_R_NONE, 12000 },
        { "0.01", HD_R_NONE, 1 }, { "1,200.25", HD_R_NONE, 120025 },
        { "0", HD_R_NONE, 0 },
        { "-5", HD_R_AREA, 0 }, { "1.234", HD_R_AREA, 0 }, { "12m2", HD_R_AREA, 0 },
        { "", HD_R_AREA, 0 }, { "abc", HD_R_AREA, 0 }, { "12 5", HD_R_AREA, 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int64_t v = -1;
        hd_reason r = hd_parse_area(t[i].s, strlen(t[i].s), &v);
        ck_assert_msg(r == t[i].r, "[%s]", t[i].s);
        if (r == HD_R_NONE) ck_assert_int_eq(v, t[i].v);
    }
}
END_TEST

START_TEST(field_i64)
{
    static const struct { const char *s; int ok; int64_t v; } t[] = {
        { "0", 1, 0 }, { "64000", 1, 64000 }, { "-18325", 1, -18325 }, { "007", 1, 7 },
        { "", 0, 0 }, { "-", 0, 0 }, { "1.5", 0, 0 }, { "+5", 0, 0 }, { " 5", 0, 0 }, { "12a", 0, 0 },
        { "9223372036854775808", 0, 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        hd_field f = { t[i].s, strlen(t[i].s) };
        int64_t v = -1;
        ck_assert_msg(hd_field_i64(&f, &v) == t[i].ok, "[%s]", t[i].s);
        if (t[i].ok) ck_assert_int_eq(v, t[i].v);
    }
}
END_TEST

START_TEST(share)
{
    static const struct { const char *s; hd_share_unit u; hd_reason r; int32_t bp; } t[] = {
        { "10000", HD_SHARE_BP, HD_R_NONE, 10000 }, { "5000", HD_SHARE_BP, HD_R_NONE, 5000 },
        { "0", HD_SHARE_BP, HD_R_NONE, 0 },
        { "10001", HD_SHARE_BP, HD_R_SHARE, 0 }, { "50.5", HD_SHARE_BP, HD_R_SHARE, 0 },
        { "-1", HD_SHARE_BP, HD_R_SHARE, 0 },
        { "50%", HD_SHARE_PERCENT, HD_R_NONE, 5000 }, { "50", HD_SHARE_PERCENT, HD_R_NONE, 5000 },
        { "33.33", HD_SHARE_PERCENT, HD_R_NONE, 3333 }, { "100", HD_SHARE_PERCENT, HD_R_NONE, 10000 },
        { "33.3300", HD_SHARE_PERCENT, HD_R_NONE, 3333 },
        { "33.333", HD_SHARE_PERCENT, HD_R_NONE, 3333 },   /* 3333.3 bp, rounded */
        { "33.3333", HD_SHARE_PERCENT, HD_R_NONE, 3333 },  /* a third: 3333.33 bp */
        { "66.6667", HD_SHARE_PERCENT, HD_R_NONE, 3333 + 3334 }, /* 6666.67 bp */
        { "0.005", HD_SHARE_PERCENT, HD_R_NONE, 1 },       /* 0.5 bp rounds up */
        { "0.0049", HD_SHARE_PERCENT, HD_R_NONE, 0 },
        { "99.9999", HD_SHARE_PERCENT, HD_R_NONE, 10000 }, /* 9999.99 bp */
        { "-5", HD_SHARE_PERCENT, HD_R_SHARE, 0 },
        { "100.0001", HD_SHARE_PERCENT, HD_R_SHARE, 0 },   /* above the whole */
        { "100.01", HD_SHARE_PERCENT, HD_R_SHARE, 0 }, { "50%%", HD_SHARE_PERCENT, HD_R_SHARE, 0 },
        { "33.33333", HD_SHARE_PERCENT, HD_R_SHARE, 0 },
        { "0.5", HD_SHARE_FRACTION, HD_R_NONE, 5000 }, { "1", HD_SHARE_FRACTION, HD_R_NONE, 10000 },
        { "0.3333", HD_SHARE_FRACTION, HD_R_NONE, 3333 }, { "0", HD_SHARE_FRACTION, HD_R_NONE, 0 },
        { "0.33333", HD_SHARE_FRACTION, HD_R_SHARE, 0 }, { "1.0001", HD_SHARE_FRACTION, HD_R_SHARE, 0 },
        { "50%", HD_SHARE_FRACTION, HD_R_SHARE, 0 }, { "", HD_SHARE_FRACTION, HD_R_SHARE, 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int32_t v = -1;
        hd_reason r = hd_parse_share(t[i].s, strlen(t[i].s), t[i].u, &v);
        ck_assert_msg(r == t[i].r, "[%s] unit %d", t[i].s, t[i].u);
        if (r == HD_R_NONE) ck_assert_int_eq(v, t[i].bp);
    }
}
END_TEST

START_TEST(dates)
{
    /* days since 1970-01-01 worked out by hand:
     * 2000-03-01 = 30 years (7 leap: 72 76 80 84 88 92 96) = 10957 days
     * to 2000-01-01, + 31 + 29 = 11017. */
    static const struct { const char *s, *f; hd_reason r; hd_date d; } t[] = {
        { "1970-01-01", NULL, HD_R_NONE, 0 },
        { "1969-12-31", NULL, HD_R_NONE, -1 },
        { "2000-01-01", NULL, HD_R_NONE, 10957 },
        { "2000-02-29", NULL, HD_R_NONE, 11016 },
        { "20000301", NULL, HD_R_NONE, 11017 },
        { "2024-2-9", NULL, HD_R_NONE, 19762 },
        { "1900-02-29", NULL, HD_R_DATE, 0 },
        { "2023-02-29", NULL, HD_R_DATE, 0 },
        { "2024-04-31", NULL, HD_R_DATE, 0 },
        { "2024-13-01", NULL, HD_R_DATE, 0 },
        { "2024-00-10", NULL, HD_R_DATE, 0 },
        { "2024-01-01x", NULL, HD_R_DATE, 0 },
        { "2024/01/01", NULL, HD_R_DATE, 0 },
        { "", NULL, HD_R_DATE, 0 },
        { "0000-01-01", NULL, HD_R_DATE, 0 },
        { "2024/01/05", "%Y/%m/%d", HD_R_NONE, 19727 },
        { "2024年1月5日", "%Y年%m月%d日", HD_R_NONE, 19727 },
        { "05.01.2024", "%Y-%m-%d|%d.%m.%Y", HD_R_NONE, 19727 },
        { "2024-01-05", "%d.%m.%Y", HD_R_DATE, 0 },
        { "2024-01", "%Y-%m", HD_R_DATE, 0 },           /* no day: not a date */
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        hd_date d = 12345;
        hd_reason r = hd_parse_date(t[i].s, strlen(t[i].s), t[i].f, &d);
        ck_assert_msg(r == t[i].r, "[%s] %s", t[i].s, hd_reason_name(r));
        if (r == HD_R_NONE) ck_assert_msg(d == t[i].d, "[%s] = %d", t[i].s, d);
    }
    ck_assert(hd_date_valid(2000, 2, 29));
    ck_assert(!hd_date_valid(1900, 2, 29));
    ck_assert(hd_date_valid(9999, 12, 31));
    ck_assert(!hd_date_valid(10000, 1, 1));
    /* round trip across the whole range */
    for (hd_date t0 = hd_date_from_ymd(1, 1, 1); t0 <= hd_date_from_ymd(9999, 12, 31); t0 += 97) {
        int y, m, d;
        hd_date_to_ymd(t0, &y, &m, &d);
        ck_assert(hd_date_valid(y, m, d));
        ck_assert_int_eq(hd_date_from_ymd(y, m, d), t0);
    }
    char buf[11];
    hd_date_format(11016, buf);
    ck_assert_str_eq(buf, "2000-02-29");
    hd_date_format(-1, buf);
    ck_assert_str_eq(buf, "1969-12-31");
    hd_date_format(hd_date_from_ymd(1, 1, 1), buf);
    ck_assert_str_eq(buf, "0001-01-01");
}
END_TEST

START_TEST(periods)
{
    static const struct { const char *s, *f; hd_reason r; int32_t p; } t[] = {
        { "2024", NULL, HD_R_NONE, 202400 },
        { "2024-03", NULL, HD_R_NONE, 202403 },
        { "202403", NULL, HD_R_NONE, 202403 },
        /* SPEC §7: exactly YYYY, YYYY-MM or YYYYMM: a one-digit month
         * may be a cut 2024-11 / 202411, so it is no period */
        { "2024-3", NULL, HD_R_PERIOD, 0 },
        { "20261", NULL, HD_R_PERIOD, 0 },
        { "2026-1", NULL, HD_R_PERIOD, 0 },
        { "2026-01", NULL, HD_R_NONE, 202601 },
        { "202611", NULL, HD_R_NONE, 202611 },
        { "2026", NULL, HD_R_NONE, 202600 },
        { "2026011", NULL, HD_R_PERIOD, 0 },
        { "20261", "%Y%m", HD_R_PERIOD, 0 },
        { "2026-1", "%Y-%m", HD_R_PERIOD, 0 },
        { "2024-13", NULL, HD_R_PERIOD, 0 },
        { "202400", NULL, HD_R_PERIOD, 0 },
        { "24-03", NULL, HD_R_PERIOD, 0 },
        { "2024-03-01", NULL, HD_R_PERIOD, 0 },
        { "", NULL, HD_R_PERIOD, 0 },
        { "2024/03", "%Y/%m", HD_R_NONE, 202403 },
        { "2024年", "%Y年", HD_R_NONE, 202400 },
        { "2024-03-15", "%Y-%m-%d", HD_R_NONE, 202403 },
        { "2024-02-30", "%Y-%m-%d", HD_R_PERIOD, 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int32_t p = -1;
        hd_reason r = hd_parse_period(t[i].s, strlen(t[i].s), t[i].f, &p);
        ck_assert_msg(r == t[i].r, "[%s] %s", t[i].s, hd_reason_name(r));
        if (r == HD_R_NONE) ck_assert_int_eq(p, t[i].p);
    }
}
END_TEST

/* hd_utf8_check against the table of well-formed byte sequences of
 * RFC 3629 section 4, written out here: every sequence of a byte >= 0x80
 * and two more bytes, checked as 3 bytes (with a readable fourth byte,
 * the word-at-a-time path, and without) and as its first 2. Invalid wins
 * over a NUL byte (csv.c: ENCODING, then NUL_BYTE). */
static int rfc3629_valid(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], lo = 0x80, hi = 0xBF;
        size_t k;
        if (c < 0x80) { i++; continue; }
        if (c >= 0xC2 && c <= 0xDF) k = 1;
        else if (c == 0xE0) { k = 2; lo = 0xA0; }
        else if (c >= 0xE1 && c <= 0xEC) k = 2;
        else if (c == 0xED) { k = 2; hi = 0x9F; }
        else if (c >= 0xEE && c <= 0xEF) k = 2;
        else if (c == 0xF0) { k = 3; lo = 0x90; }
        else if (c >= 0xF1 && c <= 0xF3) k = 3;
        else if (c == 0xF4) { k = 3; hi = 0x8F; }
        else return 0;
        if (i + k >= n) return 0;                                /* cut short */
        if (s[i + 1] < lo || s[i + 1] > hi) return 0;
        for (size_t j = 2; j <= k; j++)
            if (s[i + j] < 0x80 || s[i + j] > 0xBF) return 0;
        i += k + 1;
    }
    return 1;
}

START_TEST(utf8_check_every_three_byte_sequence)
{
    unsigned step = getenv("HEDUI_MEMCHECK") ? 13 : 1;
    unsigned char s[4];
    s[3] = 'a';
    for (unsigned b0 = 0x80; b0 <= 0xFF; b0++)
        for (unsigned b1 = 0; b1 <= 0xFF; b1++)
            for (unsigned b2 = 0; b2 <= 0xFF; b2 += step) {
                s[0] = (unsigned char)b0; s[1] = (unsigned char)b1; s[2] = (unsigned char)b2;
                for (size_t n = 2; n <= 3; n++) {
                    int nul = memchr(s, 0, n) != NULL;
                    hd_reason want = !rfc3629_valid(s, n) ? HD_R_ENCODING : nul ? HD_R_NUL_BYTE : HD_R_NONE;
                    if (hd_utf8_check((const char *)s, n, 4) != want || hd_utf8_check((const char *)s, n, n) != want)
                        ck_abort_msg("%02X %02X %02X (%zu bytes): want %d", b0, b1, b2, n, (int)want);
                }
            }
}
END_TEST

START_TEST(utf8_validity)
{
    static const struct { const char *s; size_t n; int ok; } t[] = {
        { "plain ascii text, long enough for words", 39, 1 },
        { "\xE4\xB8\xAD\xE6\x96\x87", 6, 1 },
        { "\xF0\xA0\xAE\xB7", 4, 1 },          /* U+20BB7 */
        { "\xF4\x8F\xBF\xBF", 4, 1 },          /* U+10FFFF */
        { "\xEF\xBF\xBD", 3, 1 },
        { "a\0b", 3, 1 },
        { "\xC0\x80", 2, 0 }, { "\xC1\xBF", 2, 0 },
        { "\xE0\x9F\xBF", 3, 0 },              /* overlong */
        { "\xED\xA0\x80", 3, 0 },              /* surrogate */
        { "\xF0\x8F\xBF\xBF", 4, 0 },          /* overlong */
        { "\xF4\x90\x80\x80", 4, 0 },          /* > U+10FFFF */
        { "\xF5\x80\x80\x80", 4, 0 },
        { "\xFF", 1, 0 }, { "\x80", 1, 0 },
        { "\xE4\xB8", 2, 0 },                  /* cut */
        { "abcdefgh\xE4\xB8", 10, 0 },
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        ck_assert_msg(hd_utf8_valid(t[i].s, t[i].n) == t[i].ok, "case %zu", i);
}
END_TEST

/* hd_utf8_check: the verdicts of hd_utf8_valid and a NUL search, in that
 * order, whatever may be read past the cell. */
START_TEST(utf8_check_one_pass)
{
    static const char *cells[] = {
        "", "abc", "a\0b", "\xe4\xb8\xad\xe6\x96\x87", "\xe4\xb8", "\xed\xa0\x80",
        "\xc0\xaf", "\xf4\x90\x80\x80", "0123456789abcdef0123\xe4\xb8\xad",
        "0123456789abcdef\0", "\xff", "x\0\xff",
    };
    static const size_t lens[] = { 0, 3, 3, 6, 2, 3, 2, 4, 23, 17, 1, 3 };
    char pad[64];
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        hd_reason want = !hd_utf8_valid(cells[i], lens[i]) ? HD_R_ENCODING
                       : memchr(cells[i], 0, lens[i]) ? HD_R_NUL_BYTE : HD_R_NONE;
        ck_assert_int_eq(hd_utf8_check(cells[i], lens[i], lens[i]), want);
        memset(pad, 0, sizeof pad);                 /* bad bytes after the cell */
        memcpy(pad, cells[i], lens[i]);
        pad[lens[i]] = (char)0xFF;
        ck_assert_int_eq(hd_utf8_check(pad, lens[i], sizeof pad), want);
    }
}
END_TEST

/* The mask parsers give what the general ones give, for every format list
 * (known sets, mixed and unknown ones) and cells of every shape. */
START_TEST(ymd_mask_same_as_general)
{
    static const char *df[] = { NULL, "%Y-%m-%d", "%Y%m%d", "%Y%m%d|%Y-%m-%d", "%Y/%m/%d|%Y%m%d" };
    static const char *pf[] = { NULL, "%Y", "%Y-%m", "%Y%m|%Y", "%Y-%m|%Y%m", "%Y-%m-%d", "%Y.%m|%Y" };
    static const char *cells[] = {
        "2026-11-28", "20261128", "2026-02-30", "20260230", "0000-01-01", "2026/11/28",
        "2026-1-2", "2026", "0000", "2026-11", "202611", "2026-13", "202600", "2026.11",
        "20265", "2026-5", "abcd-ef-gh", "12345678", "1-2", "",
    };
    ck_assert_uint_eq(hd_ymd_mask("%Y/%m/%d|%Y%m%d", 0), 0);
    ck_assert_uint_ne(hd_ymd_mask(NULL, 0), 0);
    ck_assert_uint_ne(hd_ymd_mask(NULL, 1), 0);
    for (size_t c = 0; c < sizeof cells / sizeof *cells; c++) {
        size_t n = strlen(cells[c]);
        for (size_t k = 0; k < sizeof df / sizeof *df; k++) {
            hd_date a = 1, b = 2;
            hd_reason ra = hd_parse_date(cells[c], n, df[k], &a);
            hd_reason rb = hd_parse_date_mask(cells[c], n, hd_ymd_mask(df[k], 0), df[k], &b);
            ck_assert_int_eq(ra, rb);
            if (ra == HD_R_NONE) ck_assert_int_eq(a, b);
        }
        for (size_t k = 0; k < sizeof pf / sizeof *pf; k++) {
            int32_t a = 1, b = 2;
            hd_reason ra = hd_parse_period(cells[c], n, pf[k], &a);
            hd_reason rb = hd_parse_period_mask(cells[c], n, hd_ymd_mask(pf[k], 1), pf[k], &b);
            ck_assert_int_eq(ra, rb);
            if (ra == HD_R_NONE) ck_assert_int_eq(a, b);
        }
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("csv");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, csv_spectrum, 0, (int)(sizeof spectrum / sizeof *spectrum));
    tcase_add_test(tc, csv_spectrum_location);
    tcase_add_test(tc, utf8_check_one_pass);
    tcase_add_test(tc, ymd_mask_same_as_general);
    tcase_add_loop_test(tc, csv_test_data, 0, (int)(sizeof testdata_rows / sizeof *testdata_rows));
    tcase_add_test(tc, csv_test_data_header);
    tcase_add_test(tc, csv_test_data_bad);
    tcase_add_test(tc, mixed_line_ends);
    tcase_add_test(tc, nul_byte);
    tcase_add_test(tc, utf8_invalid);
    tcase_add_test(tc, bad_quotes);
    tcase_add_test(tc, blank_records);
    tcase_add_test(tc, excel_forced_text_unquoted);
    tcase_add_test(tc, bom_before_gbk_text);
    tcase_add_test(tc, skip_and_bom);
    tcase_add_test(tc, trailer);
    tcase_add_test(tc, max_line);
    tcase_add_test(tc, max_line_default_huge);
    tcase_add_test(tc, truncated_zstd);
    tcase_add_test(tc, big_zstd_csv);
    tcase_add_test(tc, round_trip_random);
    tcase_add_test(tc, open_errors);
    suite_add_tcase(s, tc);

    TCase *te = tcase_create("encodings");
    tcase_set_timeout(te, 120);
    tcase_add_test(te, cjk_gbk);
    tcase_add_test(te, cjk_gb18030);
    tcase_add_test(te, cjk_gb2312_as_gbk);
    tcase_add_loop_test(te, samples_ok_rows, 0, (int)(sizeof samples_ok / sizeof *samples_ok));
    tcase_add_test(te, samples_error_rows);
    tcase_add_test(te, gbk_trail_bytes_are_not_delimiters);
    tcase_add_test(te, gbk_large_stream);
    tcase_add_test(te, gb_decoding_equals_iconv_every_sequence);
    suite_add_tcase(s, te);

    TCase *tv = tcase_create("values");
    tcase_set_timeout(tv, 60);
    tcase_add_test(tv, trim_and_clean);
    tcase_add_test(tv, excel_mangled);
    tcase_add_test(tv, money);
    tcase_add_test(tv, area);
    tcase_add_test(tv, field_i64);
    tcase_add_test(tv, share);
    tcase_add_test(tv, dates);
    tcase_add_test(tv, periods);
    tcase_add_test(tv, utf8_validity);
    tcase_add_test(tv, utf8_check_every_three_byte_sequence);
    suite_add_tcase(s, tv);
    return td_run(s);
}
