/*
 * out.h — the one writer for every output file: a buffered file that
 * remembers its first error (ENOSPC, EIO, EFBIG...) and reports it, with
 * the path, at hd_out_close; plus the one CSV field writer (RFC 4180
 * quoting) and the one JSON string writer. Files are created 0600 inside
 * the run's private temporary directory.
 *
 * Not thread-safe: one writer per thread (separate writers in separate
 * threads are fine: no global state).
 */
#ifndef HEDUI_REPORT_OUT_H
#define HEDUI_REPORT_OUT_H
#include <stddef.h>
#include <stdint.h>
#include "hedui/error.h"

typedef struct hd_out hd_out;

/* Creates (truncates) path. HD_EIO with "PATH: cannot create: ..." */
int hd_out_open(hd_out **out, const char *path, hd_error *err);
/* The same, but everything written goes into path as one zstd frame
 * (compression level `level`, content checksum, single-threaded so that
 * the bytes do not depend on the thread count), ended at hd_out_close.
 * HD_EIO as hd_out_open; HD_ESOFTWARE when zstd cannot be set up. */
int hd_out_open_zstd(hd_out **out, const char *path, int level, hd_error *err);
void hd_out_write(hd_out *o, const void *p, size_t n);
void hd_out_str(hd_out *o, const char *s);
void hd_out_printf(hd_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hd_out_i64(hd_out *o, int64_t v);
/* A CSV field (quoted when it holds a comma, quote, CR or LF, or starts
 * with a character a spreadsheet would evaluate: = + - @ — defused with a
 * leading apostrophe inside quotes is NOT done: values are written as
 * they are, quoted when needed). `sep` written before it unless first. */
void hd_out_csv(hd_out *o, const char *s, size_t n, int first);
void hd_out_csv_str(hd_out *o, const char *s, int first);
void hd_out_csv_i64(hd_out *o, int64_t v, int first);
/* A JSON string with quotes; invalid UTF-8 bytes written as \u00XX of
 * the byte value is not possible in JSON: they are written as U+FFFD. */
void hd_out_json(hd_out *o, const char *s, size_t n);
void hd_out_json_str(hd_out *o, const char *s);
/* Flushes and closes; frees o. HD_EIO naming the path on any write error
 * since open. Durability is the caller's: the batch calls syncfs once for
 * the whole output directory before the rename that publishes it. */
int hd_out_close(hd_out *o, hd_error *err);
/* Closes without reporting (error paths). */
void hd_out_abort(hd_out *o);
#endif
