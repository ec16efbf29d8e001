/*
 * hedui/check.h — the library side of `hedui check`: validate a file
 * against its descriptor without a batch, counting its rows and passing
 * each bad row to a callback with a plain-words message (hedui/advice.h),
 * in English or Chinese.
 *
 * Reachable without the command line, so that another program (a web
 * intake, a provider's export job) can embed it.
 *
 * Privacy: no function here ever passes a raw row, a name or an ID number
 * to its callbacks or puts one in an error message (SPEC §5 "Logs ...
 * never contain a name, an ID number or a key").
 *
 * Thread-safety: every function is reentrant; callbacks are called on the
 * caller's thread.
 */
#ifndef HEDUI_CHECK_H
#define HEDUI_CHECK_H

#include <stdint.h>
#include "hedui/error.h"
#include "hedui/text.h"
#include "hedui/advice.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What hd_check_file found in one file. */
typedef struct hd_check_counts {
    uint64_t rows;              /* data rows (header, skipped, blank and
                                   trailer lines are counted apart) */
    uint64_t rows_ok, rows_bad; /* rows = rows_ok + rows_bad */
    uint64_t header_lines, skipped_lines, blank_lines, trailer_lines;
    uint64_t by_reason[HD_R__COUNT];   /* bad rows per reason */
    hd_reason damage;           /* HD_R_NONE, or why the file as a whole is
                                   unusable (HEADER_MISMATCH, TRAILER_COUNT,
                                   READ_ERROR, TRUNCATED, SIZE_CAP), or, for
                                   an extract, QUARANTINE_RATE (more than the
                                   batch's default 5 % of its rows bad) */
    char damage_msg[1024];      /* one line naming file and line, or "" */
} hd_check_counts;

/* Called once per bad row, in file order. `line` is the physical line where
 * the row starts; `field` the canonical field at fault (hd_fid) or -1;
 * `msg` a sentence in plain words that says what is wrong and what to fix,
 * naming the column (never quoting the cell). `msg` is valid only during
 * the call. */
typedef void (*hd_check_bad_fn)(void *user, uint64_t line, hd_reason reason,
                                int field, const char *msg);

/*
 * Validates `file` against the descriptor `fmt_path` exactly as the batch
 * would read it (the same scanner, SPEC §6 "Reading", "Values", "IDs"),
 * without a job, a key or any output: nothing is written.
 *
 * @param fmt_path  format descriptor (SPEC §3)
 * @param file      the file (plain or zstd, recognised by content)
 * @param as_of     date against which ID birth dates are checked
 *                  (HD_DATE_NONE: no "after as_of" test)
 * @param on_bad    called per bad row (may be NULL)
 * @param out       receives the counts (required)
 * @return HD_OK when the file is clean; HD_EDATA when at least one row is
 *         bad or the file is damaged (out->damage); HD_ENOINPUT when the
 *         file or the descriptor does not exist; HD_ECONFIG for a bad
 *         descriptor; HD_ESOFTWARE out of memory. err gets a one-line
 *         summary for every status but HD_OK.
 */
int hd_check_file(const char *fmt_path, const char *file, hd_date as_of,
                  hd_check_bad_fn on_bad, void *user, hd_check_counts *out,
                  hd_error *err);

/*
 * hd_check_file with the messages passed to on_bad in `lang`
 * (hd_reason_advice_ex). For an ID_CHECK row the message says which check
 * character the first 17 digits of the cell call for; for VALUE_UNMAPPED,
 * the values the column accepts (the descriptor's [values] keys of that
 * field and the field's canonical values). The message never holds the
 * line number (the callback has it) nor a cell. hd_check_file is this with
 * HD_LANG_EN.
 * @return as hd_check_file: HD_OK when the file is clean; HD_EDATA (bad
 *         rows or damage); HD_ENOINPUT (file or descriptor missing, or the
 *         file is a directory); HD_ECONFIG (bad descriptor); HD_ESOFTWARE.
 */
int hd_check_file_ex(const char *fmt_path, const char *file, hd_date as_of, hd_lang lang,
                     hd_check_bad_fn on_bad, void *user, hd_check_counts *out,
                     hd_error *err);

#ifdef __cplusplus
}
#endif
#endif
