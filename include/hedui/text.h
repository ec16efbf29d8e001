/*
 * hedui/text.h — the one CSV reader (RFC 4180), encodings, trimming and the
 * value parsers for money, dates, periods, areas and shares (SPEC §3, §6).
 *
 * Units (SPEC preamble): money in integer fen (int64), area in hundredths
 * of a square metre (int64), shares in basis points (10000 = whole, int32),
 * dates as hd_date (days since 1970-01-01, proleptic Gregorian, int32),
 * periods as int32 YYYYMM, or YYYY00 for a whole year. Never floating point.
 *
 * Thread-safety: a hd_csv belongs to one thread; parsers are pure functions.
 */
#ifndef HEDUI_TEXT_H
#define HEDUI_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include "hedui/error.h"
#include "hedui/io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- dates */

typedef int32_t hd_date;               /* days since 1970-01-01 */
#define HD_DATE_NONE INT32_MIN         /* unknown date (empty cell) */

/* Whether y-m-d is a real Gregorian date (years 1..9999).
 * @return 1 if it is, else 0. */
int hd_date_valid(int y, int m, int d);
/* The date of a valid y-m-d (not checked: see hd_date_valid).
 * @return its days since 1970-01-01 (negative before 1970). */
hd_date hd_date_from_ymd(int y, int m, int d);
void hd_date_to_ymd(hd_date t, int *y, int *m, int *d);
/* Writes "YYYY-MM-DD" and a NUL into out (>= 11 bytes). */
void hd_date_format(hd_date t, char out[11]);

/* ---------------------------------------------------------------- values */

/* The trim set of SPEC §6: ASCII space, tab, CR, U+00A0, U+200B, U+FEFF,
 * U+3000, removed at both ends of UTF-8 text. Adjusts *s and *n in place
 * (no copy). */
void hd_trim(const char **s, size_t *n);

/* A cell `="..."` (spreadsheet forced text) -> its inner text, then
 * trimmed; any other cell -> trimmed. In place, no copy. SPEC §6. */
void hd_cell_clean(const char **s, size_t *n);

/* Whether the (clean) cell has the form d[.ddd]E[+-]dd (either case): the
 * spreadsheet damage EXCEL_MANGLED of SPEC §6. One digit before the
 * optional point, at least one after it, one or more exponent digits.
 * @return 1 if it has, else 0. */
int hd_is_excel_mangled(const char *s, size_t n);

typedef enum hd_money_unit { HD_MONEY_FEN = 1, HD_MONEY_YUAN, HD_MONEY_WAN } hd_money_unit;

/*
 * Money (SPEC §6): optional sign (+/-), ASCII or full-width digits with
 * optional comma groups of three, optional decimal part: yuan 0-2 decimals,
 * wan 0-6, fen none. Currency signs, inner spaces, parentheses, misplaced
 * commas, full-width comma/point: error. Input is a clean cell (non-empty).
 * Comma groups: the first group 1-3 digits, every later one exactly 3,
 * only before the point. At least one digit before a point; a point needs
 * at least one digit after it ("1." and ".5" are errors).
 * @return HD_R_NONE and *fen set, or HD_R_AMOUNT (also on int64 overflow).
 */
hd_reason hd_parse_money(const char *s, size_t n, hd_money_unit unit, int64_t *fen);

/* Area in m² with up to 2 decimals -> hundredths of m². Digits and comma
 * groups as for money; no sign.
 * @return HD_R_NONE and *centi_m2 set, or HD_R_AREA (also for a negative
 *         area or int64 overflow). */
hd_reason hd_parse_area(const char *s, size_t n, int64_t *centi_m2);

typedef enum hd_share_unit { HD_SHARE_BP = 1, HD_SHARE_PERCENT, HD_SHARE_FRACTION } hd_share_unit;
/* Share: bp integer 0..10000; percent "50%" or "50", 0-100, up to 4
 * decimals; fraction 0-1 up to 4 decimals (SPEC §6). Result in basis
 * points. Percent decimals finer than a basis point (3rd and 4th, e.g.
 * "33.3333" for a third) are rounded half up to the basis point; a value
 * above the whole, or a fraction/bp that is not a whole number of basis
 * points: HD_R_SHARE. No sign, no comma groups; bp takes no decimals;
 * '%' only for percent.
 * @return HD_R_NONE and *bp set (0..10000), or HD_R_SHARE. */
hd_reason hd_parse_share(const char *s, size_t n, hd_share_unit unit, int32_t *bp);

/*
 * Date against a list of strptime-style formats separated by '|'
 * (supported conversions: %Y %m %d and literal characters; the whole cell
 * must match). NULL formats = the default "%Y-%m-%d|%Y%m%d".
 * %Y takes exactly 4 digits, %m and %d 1 or 2 (greedy, as strptime);
 * a format must hold %Y, %m and %d to give a date; %% is a literal '%'.
 * @return HD_R_NONE and *out, or HD_R_DATE.
 */
hd_reason hd_parse_date(const char *s, size_t n, const char *formats, hd_date *out);

/* Period: YYYY, YYYY-MM or YYYYMM (formats NULL), or per formats as for
 * dates where a format without %d gives a month and one without %m a year.
 * @return HD_R_NONE and *period = YYYYMM (YYYY00 for a year), or HD_R_PERIOD. */
hd_reason hd_parse_period(const char *s, size_t n, const char *formats, int32_t *period);

/*
 * The same parsers with the format list looked at once instead of per cell:
 * hd_ymd_mask(formats, period) gives a nonzero mask when every alternative
 * of `formats` (NULL: the default) is one of %Y-%m-%d and %Y%m%d (dates) or
 * %Y, %Y-%m and %Y%m (periods), else 0. hd_parse_date_mask() and
 * hd_parse_period_mask() with that mask and the same formats give exactly
 * what hd_parse_date() and hd_parse_period() give: a cell of one of those
 * shapes is decided by its shape (no other of them can match it), any
 * other cell, or mask 0, goes to the general parser.
 * @return hd_ymd_mask: the mask, or 0 when a format is none of those;
 *         hd_parse_date_mask and hd_parse_period_mask: what hd_parse_date
 *         and hd_parse_period return (HD_R_NONE with *out / *period set, or
 *         HD_R_DATE / HD_R_PERIOD).
 */
unsigned hd_ymd_mask(const char *formats, int period);
hd_reason hd_parse_date_mask(const char *s, size_t n, unsigned mask, const char *formats,
                             hd_date *out);
hd_reason hd_parse_period_mask(const char *s, size_t n, unsigned mask, const char *formats,
                               int32_t *period);

/*
 * The Names form of SPEC §6 "Names": Unicode NFKC (utf8proc) of s[0..n)
 * with the trim set (space, tab, CR, U+00A0, U+200B, U+FEFF, U+3000) and
 * the separator dots of minority names (U+00B7, U+2022, U+2027, U+30FB,
 * U+FF0E, U+FF65, '.') removed wherever they stand. Used for NAME_MISMATCH
 * and for the text tokens of auditor files (SPEC §8).
 * @return a malloc'd, NUL-terminated string (the caller frees it) and its
 *         length in *out_n; NULL when s is not valid UTF-8 or memory runs
 *         out. s may be NULL when n is 0. Reentrant.
 */
char *hd_name_fold(const char *s, size_t n, size_t *out_n);

/* Whether s[0..n) is valid UTF-8 (no overlongs, no surrogates).
 * @return 1 if it is, else 0. */
int hd_utf8_valid(const char *s, size_t n);

/* The checks the CSV reader makes on a UTF-8 record, in one pass.
 * @readable  bytes from s that may be read (bytes past n are read 16 at a
 *            time when it allows, never judged); n or less: only s[0..n).
 * @return HD_R_ENCODING if s[0..n) is not valid UTF-8 (as hd_utf8_valid),
 *         else HD_R_NUL_BYTE if it holds a 0 byte, else HD_R_NONE. */
hd_reason hd_utf8_check(const char *s, size_t n, size_t readable);

/* ---------------------------------------------------------------- CSV */

typedef enum hd_encoding { HD_ENC_UTF8 = 1, HD_ENC_GBK, HD_ENC_GB18030 } hd_encoding;

typedef struct hd_csv_opts {
    hd_encoding encoding;  /* GBK = glibc iconv "GBK" (CP936); GB18030 = glibc's */
    char delimiter;        /* one ASCII byte */
    int quote;             /* ASCII quote byte, or -1 for none */
    unsigned skip;         /* physical lines to drop before the first record */
    int trailer;           /* 1: the last non-empty record is the trailer */
    size_t max_line;       /* max bytes of one record (decoded UTF-8, line
                              end excluded); 0 = 1 MiB */
    const char *path;      /* for messages only; not opened here */
} hd_csv_opts;

typedef struct hd_field { const char *p; size_t n; } hd_field;
/* A field that is a whole decimal integer: an optional leading '-', then
 * ASCII digits only (how hedui's own CSV files write fen and counts).
 * @return 1 and *out set, or 0 (empty, any other byte, int64 overflow). */
int hd_field_i64(const hd_field *f, int64_t *out);

/*
 * One record. All pointers point into the reader's buffers and stay valid
 * only until the next hd_csv_next() call.
 * Fields are UTF-8 (decoded from the declared encoding), quotes removed,
 * doubled quotes undone; NOT trimmed.
 * A record ends at an LF outside quotes; a CR just before it is dropped
 * (CRLF, LF and mixed files read alike); a lone CR is data.
 */
typedef struct hd_csv_record {
    uint64_t line;        /* physical line (1-based) where the record starts */
    uint64_t lines;       /* physical lines the record spans (>= 1) */
    size_t nfields;
    hd_field *fields;
    const char *raw;      /* the record's text as decoded (UTF-8 where valid;
                             invalid bytes of a UTF-8 file kept as they were;
                             in GBK/GB18030 each byte iconv rejects is 0xFF,
                             which never occurs in UTF-8, followed by the
                             byte itself when it is >= 0x80), without the line
                             end; truncated to max_line for long rows (then
                             nfields = 0) */
    size_t raw_len;
    hd_reason fault;      /* HD_R_NONE, or a row-level fault found while
                             tokenising: HD_R_ENCODING, HD_R_NUL_BYTE,
                             HD_R_LINE_TOO_LONG, HD_R_UNBALANCED_QUOTE,
                             HD_R_BAD_QUOTE, HD_R_TRUNCATED; when several
                             apply, the first in this order: TRUNCATED,
                             LINE_TOO_LONG, UNBALANCED_QUOTE, ENCODING,
                             NUL_BYTE, BAD_QUOTE. The fields of a faulty
                             record are still split as well as possible */
    int blank;            /* 1: empty line or only delimiters and white
                             space (every field empty after hd_trim; never
                             set on a faulty record): skipped by callers,
                             counted apart */
    int is_trailer;       /* 1: this is the trailer (opts.trailer): the
                             last non-blank record of an input that ended
                             cleanly. Found with one record of look-ahead;
                             blank records are not held back, so with
                             opts.trailer a blank record may come before
                             the non-blank record that precedes it */
} hd_csv_record;

typedef struct hd_csv hd_csv;

/*
 * Wraps a reader (not owned: the caller closes it after hd_csv_close).
 * Drops a leading BOM (UTF-8 EF BB BF; GB18030 84 31 95 33) and the first
 * opts.skip physical lines (counted in hd_csv_skipped_lines(); LF-counted,
 * quotes ignored), both on the first hd_csv_next().
 * Memory: the reader's buffers grow to the longest record (at most about
 * max_line + 256 KiB) and are reused; nothing is allocated per record.
 * @return HD_OK and *out (free with hd_csv_close), HD_ECONFIG (iconv
 *         cannot open the encoding, unknown encoding, delimiter not one
 *         ASCII byte or equal to the quote) or HD_ESOFTWARE (no memory).
 */
int hd_csv_open(hd_csv **out, hd_reader *r, const hd_csv_opts *opts, hd_error *err);

/*
 * Next record.
 * @return 1 and *rec filled; 0 at end of input; -1 when the reader failed
 *         (err set, message names file and byte offset). After a truncated
 *         zstd file (HD_RF_TRUNCATED) the unfinished last record, if any, is
 *         first returned with fault HD_R_TRUNCATED, and -1 comes next.
 *         After any other read error the unfinished record is dropped.
 *         Errors are sticky: later calls return -1 again.
 * A record longer than max_line is returned with fault HD_R_LINE_TOO_LONG
 * after the rest of it has been skipped without buffering it.
 */
int hd_csv_next(hd_csv *c, hd_csv_record *rec, hd_error *err);

/* @return the physical lines dropped so far by opts.skip (at most
 *         opts.skip; fewer when the input ended first). */
uint64_t hd_csv_skipped_lines(const hd_csv *c);
/* Frees the CSV reader (NULL is allowed); the hd_reader is not closed. */
void hd_csv_close(hd_csv *c);

#ifdef __cplusplus
}
#endif
#endif
