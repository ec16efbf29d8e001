/* test_io.c — Check suite for the streaming reader (hedui/io.h).
 *
 * Expected values come from testdata/zstd/MANIFEST.csv (SHA-256 and length
 * of the decoded bytes, or an error), never from the code under test. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hedui/io.h"
#include <zstd.h>
#include "testutil.h"

/* Splits one CSV line (RFC 4180 quotes, no newlines inside) into at most
 * max fields, in place. Returns the field count. */
static int split_csv_line(char *line, char **f, int max)
{
    int n = 0;
    char *p = line, *w;
    while (n < max) {
        f[n++] = w = p;
        if (*p == '"') {
            p++;
            for (;;) {
                if (*p == '"' && p[1] == '"') { *w++ = '"'; p += 2; }
                else if (*p == '"') { p++; break; }
                else if (*p == 0) break;
                else *w++ = *p++;
            }
            while (*p && *p != ',') p++;
        } else {
            while (*p && *p != ',') *w++ = *p++;
        }
        int more = *p == ',';
        *w = 0;
        if (!more) break;
        p++;
    }
    return n;
}

static void hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

typedef struct {
    int rc;              /* 0 = clean end, -1 = error */
    uint64_t bytes;
    char sha[65];
    hd_read_fault fault;
    hd_error err;
    uint64_t in_bytes;
} drain_result;

/* Reads a whole file through the reader with a given buffer size; with
 * cores given, the reader may decode ahead on one of them. */
static drain_result drain_cores(const char *path, size_t bufsize, uint64_t cap,
                                hd_cores *cores)
{
    drain_result d;
    memset(&d, 0, sizeof d);
    hd_reader *r = NULL;
    int st = hd_reader_open(&r, path, cap, &d.err);
    ck_assert_msg(st == HD_OK, "open %s: %s", path, d.err.message);
    hd_reader_use_cores(r, cores);
    unsigned char *buf = malloc(bufsize);
    ck_assert(buf != NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ck_assert(ctx != NULL);
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (;;) {
        ssize_t n = hd_reader_read(r, buf, bufsize, &d.err);
        if (n < 0) { d.rc = -1; break; }
        if (n == 0) { d.rc = 0; break; }
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        d.bytes += (uint64_t)n;
    }
    unsigned char md[32];
    EVP_DigestFinal_ex(ctx, md, NULL);
    EVP_MD_CTX_free(ctx);
    hex(md, 32, d.sha);
    d.fault = hd_reader_fault(r);
    if (d.rc == 0) ck_assert_uint_eq(hd_reader_out_bytes(r), d.bytes);
    d.in_bytes = hd_reader_in_bytes(r);
    free(buf);
    hd_reader_close(r);
    return d;
}

static drain_result drain(const char *path, size_t bufsize, uint64_t cap)
{
    return drain_cores(path, bufsize, cap, NULL);
}

#define MAXROWS 40
typedef struct { char *f[9]; } mrow;
static char *manifest_text;
static mrow rows[MAXROWS];
static int nrows;

static void load_manifest(void)
{
    if (manifest_text) return;
    size_t len;
    manifest_text = td_slurp(td_path("zstd/MANIFEST.csv"), &len);
    char *save = NULL;
    int first = 1;
    for (char *l = strtok_r(manifest_text, "\n", &save); l;
         l = strtok_r(NULL, "\n", &save)) {
        if (first) { first = 0; continue; }
        size_t ll = strlen(l);
        if (ll && l[ll - 1] == '\r') l[ll - 1] = 0;
        ck_assert(nrows < MAXROWS);
        int n = split_csv_line(l, rows[nrows].f, 9);
        ck_assert_int_eq(n, 9);
        nrows++;
    }
}

/* Every row of MANIFEST.csv, one test per row (loop test). Two rows are
 * decided differently from the zstd CLI on purpose (SPEC §3: a file is
 * recognised by its content): not_zstd.csv.zst has no zstd magic, so it is
 * read as the plain text it is; zero_bytes.zst is an empty plain file. */
START_TEST(manifest_row)
{
    load_manifest();
    ck_assert_int_eq(nrows, 18);
    const mrow *m = &rows[_i];
    char rel[256];
    snprintf(rel, sizeof rel, "zstd/%s", m->f[0]);
    const char *file = m->f[0], *expected = m->f[4];
    size_t sizes[] = { 1, 7, 4096, 1 << 20 };
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        if (sizes[k] == 1 && atoll(m->f[1]) > 100000) continue; /* slow */
        drain_result d = drain(td_path(rel), sizes[k], 0);
        if (strcmp(file, "not_zstd.csv.zst") == 0) {
            ck_assert_int_eq(d.rc, 0);
            ck_assert_str_eq(d.sha, m->f[2]);       /* the file itself */
            ck_assert_uint_eq(d.bytes, (uint64_t)atoll(m->f[1]));
        } else if (strcmp(file, "zero_bytes.zst") == 0) {
            ck_assert_int_eq(d.rc, 0);
            ck_assert_uint_eq(d.bytes, 0);
        } else if (strcmp(expected, "ok") == 0) {
            ck_assert_msg(d.rc == 0, "%s: %s", file, d.err.message);
            ck_assert_str_eq(d.sha, m->f[5]);
            ck_assert_uint_eq(d.bytes, (uint64_t)atoll(m->f[6]));
        } else {
            ck_assert_msg(strncmp(expected, "error", 5) == 0, "%s", expected);
            ck_assert_msg(d.rc == -1, "%s decoded without error", file);
            ck_assert_int_eq(d.err.status, HD_EIO);
            ck_assert_msg(strstr(d.err.message, file) != NULL, "%s", d.err.message);
            ck_assert_msg(strstr(d.err.message, ": byte ") != NULL, "%s", d.err.message);
            if (strcmp(file, "truncated.csv.zst") == 0)
                ck_assert_int_eq(d.fault, HD_RF_TRUNCATED);
            else
                ck_assert_int_eq(d.fault, HD_RF_CORRUPT);
            if (strcmp(expected, "error after output") == 0) {
                /* the note gives the SHA-256 of what is decoded first */
                ck_assert_uint_eq(d.bytes, 472);
                ck_assert_str_eq(d.sha, "4d1838b4b36b8a21bfa07cb5870445ace1e947ec24ffcd84313d658f1a409721");
            }
            if (strcmp(file, "long28_stdin.csv.zst") == 0)
                ck_assert_ptr_nonnull(strstr(d.err.message, "memory"));
        }
    }
}
END_TEST

START_TEST(sniff_flags)
{
    hd_reader *r;
    hd_error e;
    ck_assert_int_eq(hd_reader_open(&r, td_path("zstd/multi_frame.csv.zst"), 0, &e), HD_OK);
    ck_assert_int_eq(hd_reader_is_zstd(r), 1);
    ck_assert_uint_eq(hd_reader_file_size(r), 487);
    hd_reader_close(r);
    ck_assert_int_eq(hd_reader_open(&r, td_path("zstd/skippable_only.zst"), 0, &e), HD_OK);
    ck_assert_int_eq(hd_reader_is_zstd(r), 1);
    hd_reader_close(r);
    ck_assert_int_eq(hd_reader_open(&r, td_path("zstd/not_zstd.csv.zst"), 0, &e), HD_OK);
    ck_assert_int_eq(hd_reader_is_zstd(r), 0);
    hd_reader_close(r);
    hd_reader_close(NULL);
}
END_TEST

START_TEST(open_missing)
{
    hd_reader *r = (hd_reader *)1;
    hd_error e;
    int st = hd_reader_open(&r, "/nonexistent/dir/x.csv.zst", 0, &e);
    ck_assert_int_eq(st, HD_ENOINPUT);
    ck_assert_ptr_null(r);
    ck_assert_str_eq(e.message, "/nonexistent/dir/x.csv.zst: cannot open: No such file or directory");
    st = hd_reader_open(&r, td_path("zstd"), 0, &e);
    ck_assert_int_eq(st, HD_ENOINPUT);
}
END_TEST

START_TEST(size_cap)
{
    /* 5 MB CSV compressed to 488 KB: a 1 MiB cap must stop it. */
    drain_result d = drain(td_path("zstd/households_5mb_T2.csv.zst"), 65536, 1 << 20);
    ck_assert_int_eq(d.rc, -1);
    ck_assert_int_eq(d.fault, HD_RF_SIZE_CAP);
    ck_assert_int_eq(d.err.status, HD_EIO);
    ck_assert_uint_le(d.bytes, 1 << 20);
    ck_assert_ptr_nonnull(strstr(d.err.message, "households_5mb_T2.csv.zst"));
    /* exactly at the cap is fine (472 bytes decoded) */
    d = drain(td_path("zstd/nocheck_stdin.csv.zst"), 100, 472);
    ck_assert_int_eq(d.rc, 0);
    ck_assert_uint_eq(d.bytes, 472);
    d = drain(td_path("zstd/nocheck_stdin.csv.zst"), 100, 471);
    ck_assert_int_eq(d.rc, -1);
    ck_assert_int_eq(d.fault, HD_RF_SIZE_CAP);
    /* plain files obey the cap too */
    d = drain(td_path("zstd/not_zstd.csv.zst"), 4096, 100);
    ck_assert_int_eq(d.rc, -1);
    ck_assert_int_eq(d.fault, HD_RF_SIZE_CAP);
}
END_TEST

START_TEST(error_is_sticky)
{
    hd_reader *r;
    hd_error e;
    char buf[4096];
    ck_assert_int_eq(hd_reader_open(&r, td_path("zstd/truncated.csv.zst"), 0, &e), HD_OK);
    ssize_t n;
    while ((n = hd_reader_read(r, buf, sizeof buf, &e)) > 0) {}
    ck_assert_int_eq(n, -1);
    ck_assert_int_eq(hd_reader_read(r, buf, sizeof buf, &e), -1);
    ck_assert_int_eq(hd_reader_fault(r), HD_RF_TRUNCATED);
    ck_assert_uint_eq(hd_reader_in_bytes(r), 345);
    hd_reader_close(r);
}
END_TEST

/* Writes the first `len` bytes of src to dst, byte `flip` (if below len)
 * inverted. */
static void damaged_copy(const char *src, const char *dst, size_t len, size_t flip)
{
    size_t n;
    char *t = td_slurp(src, &n);
    ck_assert(t != NULL && len <= n);
    if (flip < len) t[flip] = (char)~t[flip];
    FILE *f = fopen(dst, "wb");
    ck_assert(f != NULL);
    ck_assert_uint_eq(fwrite(t, 1, len, f), len);
    fclose(f);
    free(t);
}

/* Decoding ahead on a borrowed core gives exactly what in-line decoding
 * gives: bytes, counters, fault and message, on a whole file, a truncated
 * one, a corrupt one and a size cap past the first MiB; a reader whose
 * budget has no idle core decodes in-line. */
START_TEST(ahead_same_as_inline)
{
    const char *whole = td_path("zstd/households_5mb_T2.csv.zst");
    char trunc[] = "/tmp/hedui-test-io-XXXXXX", corrupt[] = "/tmp/hedui-test-io-XXXXXX";
    int fd1 = mkstemp(trunc), fd2 = mkstemp(corrupt);
    ck_assert(fd1 >= 0 && fd2 >= 0);
    close(fd1);
    close(fd2);
    size_t n;
    free(td_slurp(whole, &n));
    damaged_copy(whole, trunc, n * 3 / 4, n);
    damaged_copy(whole, corrupt, n, n * 3 / 4);
    struct { const char *path; uint64_t cap; } cases[] = {
        { whole, 0 }, { trunc, 0 }, { corrupt, 0 }, { whole, 3u << 20 },
    };
    size_t sizes[] = { 4096, 65536, 1 << 20 };
    hd_cores *none = hd_cores_new(0);
    ck_assert_ptr_nonnull(none);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
            hd_cores *one = hd_cores_new(1);
            ck_assert_ptr_nonnull(one);
            drain_result a = drain(cases[c].path, sizes[k], cases[c].cap);
            drain_result b = drain_cores(cases[c].path, sizes[k], cases[c].cap, one);
            drain_result z = drain_cores(cases[c].path, sizes[k], cases[c].cap, none);
            const drain_result *o[2] = { &b, &z };
            for (int i = 0; i < 2; i++) {
                ck_assert_int_eq(o[i]->rc, a.rc);
                ck_assert_uint_eq(o[i]->bytes, a.bytes);
                ck_assert_str_eq(o[i]->sha, a.sha);
                ck_assert_int_eq(o[i]->fault, a.fault);
                ck_assert_uint_eq(o[i]->in_bytes, a.in_bytes);
                if (a.rc != 0) ck_assert_str_eq(o[i]->err.message, a.err.message);
            }
            if (c == 0) ck_assert_int_eq(a.rc, 0);
            else ck_assert_int_eq(a.rc, -1);
            hd_cores_free(one);
        }
    hd_cores_free(none);
    unlink(trunc);
    unlink(corrupt);
}
END_TEST

/* Reads all of path through a reader, peeking `peek` bytes first (0: no
 * peek), in reads of 1,000 bytes; returns the bytes (malloc'd), *n, and
 * the fault at the end. */
static unsigned char *read_all(const char *path, size_t peek, size_t *n, hd_read_fault *fault)
{
    hd_reader *r = NULL;
    hd_error e;
    ck_assert_int_eq(hd_reader_open(&r, path, 0, &e), HD_OK);
    size_t cap = 1 << 20, got = 0;
    unsigned char *b = malloc(cap);
    ck_assert_ptr_nonnull(b);
    if (peek) {
        const unsigned char *p;
        size_t pn;
        ck_assert_int_eq(hd_reader_peek(r, peek, &p, &pn), 0);
        ck_assert_int_eq(hd_reader_peek(r, peek, &p, &pn), -1);    /* once only */
        ck_assert_uint_le(pn, peek);
        unsigned char *copy = malloc(pn + 1);
        ck_assert_ptr_nonnull(copy);
        if (pn) memcpy(copy, p, pn);     /* an empty file peeks nothing (p may be NULL) */
        /* what was peeked is what the reads give first */
        size_t k = 0;
        while (k < pn) {
            ssize_t m = hd_reader_read(r, b + k, 1000, &e);
            ck_assert_int_gt(m, 0);
            k += (size_t)m;
        }
        ck_assert_uint_eq(k, pn);
        ck_assert(memcmp(copy, b, pn) == 0);
        free(copy);
        got = pn;
    }
    for (;;) {
        ck_assert_uint_lt(got + 1000, cap);
        ssize_t m = hd_reader_read(r, b + got, 1000, &e);
        if (m <= 0) break;
        got += (size_t)m;
    }
    *fault = hd_reader_fault(r);
    hd_reader_close(r);
    *n = got;
    return b;
}

/* hd_reader_peek (SPEC §7 sniffing): the bytes a peek decodes come back
 * first, then the stream goes on as if there had been no peek; the same
 * for a plain file, a zstd file and a zstd file cut inside a frame. */
START_TEST(peek_then_read)
{
    size_t plain_n = 300000;
    char *plain = malloc(plain_n);
    ck_assert_ptr_nonnull(plain);
    for (size_t i = 0; i < plain_n; i++) plain[i] = (char)('a' + (i * 7919 % 26));
    size_t zcap = ZSTD_compressBound(plain_n);
    char *z = malloc(zcap);
    size_t zn = ZSTD_compress(z, zcap, plain, plain_n, 3);
    ck_assert(!ZSTD_isError(zn));
    char paths[3][64] = { "/tmp/hedui-peek-p-XXXXXX", "/tmp/hedui-peek-z-XXXXXX", "/tmp/hedui-peek-t-XXXXXX" };
    const char *data[3] = { plain, z, z };
    size_t lens[3] = { plain_n, zn, zn / 2 };
    for (int c = 0; c < 3; c++) {
        int fd = mkstemp(paths[c]);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, data[c], lens[c]), (ssize_t)lens[c]);
        close(fd);
        size_t n0, n1, n2;
        hd_read_fault f0, f1, f2;
        unsigned char *a = read_all(paths[c], 0, &n0, &f0);
        unsigned char *b = read_all(paths[c], 65536, &n1, &f1);
        unsigned char *d = read_all(paths[c], 7, &n2, &f2);
        ck_assert_uint_eq(n0, n1);
        ck_assert_uint_eq(n0, n2);
        ck_assert(memcmp(a, b, n0) == 0 && memcmp(a, d, n0) == 0);
        ck_assert_int_eq(f0, f1);
        ck_assert_int_eq(f0, f2);
        if (c < 2) { ck_assert_uint_eq(n0, plain_n); ck_assert(memcmp(a, plain, plain_n) == 0); }
        else ck_assert_int_eq(f0, HD_RF_TRUNCATED);
        free(a); free(b); free(d);
        unlink(paths[c]);
    }
    free(plain);
    free(z);
}
END_TEST

/* The same reader over a memory buffer (hd_reader_open_mem): what a file
 * holding those bytes gives, byte for byte, with the same counters, fault
 * and message (the name standing for the path), and the caller's buffer
 * left unchanged: a clean zstd file (472 bytes decoded), a truncated one
 * (HD_RF_TRUNCATED at byte 345), a plain one, a cap. */
static void mem_drain(const char *name, const char *data, size_t len, uint64_t cap, size_t bufsize,
                      unsigned char **out, size_t *n, hd_read_fault *f, hd_error *e, uint64_t *in)
{
    hd_reader *r;
    ck_assert_int_eq(hd_reader_open_mem(&r, name, data, len, cap, e), HD_OK);
    const unsigned char *pk;
    size_t npk;
    ck_assert_int_eq(hd_reader_peek(r, 7, &pk, &npk), 0);
    size_t got = 0, capo = 1 << 16;
    unsigned char *o = malloc(capo);
    ssize_t k;
    for (;;) {
        if (capo - got < bufsize) { capo *= 2; o = realloc(o, capo); ck_assert_ptr_nonnull(o); }
        k = hd_reader_read(r, o + got, bufsize, e);
        if (k <= 0) break;
        got += (size_t)k;
    }
    *f = hd_reader_fault(r);
    *in = hd_reader_in_bytes(r);
    *out = o;
    *n = got;
    hd_reader_close(r);
}

START_TEST(memory_same_as_file)
{
    const char *files[] = { "zstd/nocheck_stdin.csv.zst", "zstd/truncated.csv.zst", "zstd/not_zstd.csv.zst" };
    for (int i = 0; i < 3; i++) {
        const char *path = td_path(files[i]);
        size_t len;
        char *data = td_slurp(path, &len);
        ck_assert_ptr_nonnull(data);
        char *copy = malloc(len ? len : 1);
        memcpy(copy, data, len);
        for (int c = 0; c < 2; c++) {
            uint64_t cap = c ? 100 : 0;
            drain_result fd = drain(path, 100, cap);
            size_t nm;
            hd_read_fault fm;
            unsigned char *b;
            hd_error e;
            hd_error_clear(&e);
            uint64_t in;
            mem_drain(path, data, len, cap, 100, &b, &nm, &fm, &e, &in);
            unsigned char md[32];
            char sha[65];
            EVP_Digest(b, nm, md, NULL, EVP_sha256(), NULL);
            hex(md, 32, sha);
            ck_assert_uint_eq(nm, fd.bytes);
            ck_assert_str_eq(sha, fd.sha);
            ck_assert_int_eq(fm, fd.fault);
            ck_assert_uint_eq(in, fd.in_bytes);
            if (fm != HD_RF_NONE) ck_assert_str_eq(e.message, fd.err.message);
            if (i == 0 && !c) { ck_assert_uint_eq(nm, 472); ck_assert_int_eq(fm, HD_RF_NONE); }
            if (i == 1 && !c) { ck_assert_int_eq(fm, HD_RF_TRUNCATED); ck_assert_uint_eq(in, 345); }
            if (i == 0 && c) { ck_assert_int_eq(fm, HD_RF_SIZE_CAP); ck_assert_uint_eq(nm, 100); }
            free(b);
        }
        ck_assert(memcmp(copy, data, len) == 0);
        free(copy);
        free(data);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, manifest_row, 0, 18);
    tcase_add_test(tc, sniff_flags);
    tcase_add_test(tc, open_missing);
    tcase_add_test(tc, size_cap);
    tcase_add_test(tc, error_is_sticky);
    tcase_add_test(tc, ahead_same_as_inline);
    tcase_add_test(tc, peek_then_read);
    tcase_add_test(tc, memory_same_as_file);
    suite_add_tcase(s, tc);
    int rc = td_run(s);
    free(manifest_text);
    return rc;
}
