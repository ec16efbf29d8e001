/*
 * hedui/tools.h — the library side of the small commands: `hedui check`
 * (validate a file against its descriptor without a batch), `hedui
 * tokenize` (pseudonymise an extract at the provider's site, SPEC §6
 * "tokenize") and the detailed form of `hedui audit verify` (SPEC §5).
 *
 * Everything here is reachable without the command line, so that another
 * program (a web intake, a provider's export job) can embed it.
 *
 * Privacy: no function here ever passes a raw row, a name or an ID number
 * to its callbacks or puts one in an error message (SPEC §5 "Logs ...
 * never contain a name, an ID number or a key").
 *
 * Thread-safety: every function is reentrant; callbacks are called on the
 * caller's thread.
 */
#ifndef HEDUI_TOOLS_H
#define HEDUI_TOOLS_H

#include <stdint.h>
#include "hedui/error.h"
#include "hedui/text.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- check */

/* What hd_check_file found in one file. */
typedef struct hd_check_counts {
    uint64_t rows;              /* data rows (header, skipped, blank and
                                   trailer lines are counted apart) */
    uint64_t rows_ok, rows_bad; /* rows = rows_ok + rows_bad */
    uint64_t header_lines, skipped_lines, blank_lines, trailer_lines;
    uint64_t by_reason[HD_R__COUNT];   /* bad rows per reason */
    hd_reason damage;           /* HD_R_NONE, or why the file as a whole is
                                   unusable (HEADER_MISMATCH, TRAILER_COUNT,
                                   READ_ERROR, TRUNCATED, SIZE_CAP) */
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

/* A plain-words sentence for a row reason in a field: what is wrong and
 * what to fix ("the ID number in column 证件号码 has a wrong check
 * character; copy it again from the ID card"). `column` is the column's
 * header or "#N" (may be NULL). Writes at most cap bytes, NUL-terminated. */
void hd_reason_advice(hd_reason r, int field, const char *column, char *out, size_t cap);

/* --------------------------------------------------- check, in a language */

/* The language of the plain-words messages (`hedui check --lang`). */
typedef enum hd_lang { HD_LANG_EN = 0, HD_LANG_ZH = 1 } hd_lang;

/* What the library may add to a message beyond the reason and the column.
 * Neither member is ever a cell: for ID_CHECK the library works out the
 * check character itself from the row's cleaned ID cell (inside
 * hd_check_file_ex) and passes only that one character. */
typedef struct hd_advice_extra {
    char id_check;          /* ID_CHECK: the check character ('0'-'9' or
                               'X') the first 17 digits call for, or 0 */
    const char *allowed;    /* VALUE_UNMAPPED: the values the column
                               accepts, joined by the language's list
                               separator ("、" / ", "), or NULL */
} hd_advice_extra;

/*
 * hd_reason_advice in a language, with extras (x may be NULL). English
 * (HD_LANG_EN) is exactly hd_reason_advice's wording (x is not used), plus
 * a sentence for the damage codes (HEADER_MISMATCH, TRAILER_COUNT,
 * READ_ERROR, QUARANTINE_RATE, SIZE_CAP). Chinese (HD_LANG_ZH) is worded
 * for a county clerk: "身份证号码校验位错误，应为 X：…" — the column by its
 * header ("#N" becomes 第N列), what is wrong, then after "：" what to fix;
 * for ID_CHECK with x->id_check the right check character; for
 * VALUE_UNMAPPED with x->allowed the allowed values. Never a cell.
 * Writes at most cap bytes, NUL-terminated (UTF-8 is not cut mid-character
 * when cap is at least 256).
 */
void hd_reason_advice_ex(hd_reason r, int field, const char *column, hd_lang lang,
                         const hd_advice_extra *x, char *out, size_t cap);

/* A short label of a reason for a summary line, in a language:
 * ID_CHECK -> "身份证号码校验位错误" / "wrong ID check character".
 * Static storage; never NULL (HD_R_NONE: "" ). */
const char *hd_reason_label(hd_reason r, hd_lang lang);

/*
 * hd_check_file with the messages passed to on_bad in `lang`
 * (hd_reason_advice_ex). For an ID_CHECK row the message says which check
 * character the first 17 digits of the cell call for; for VALUE_UNMAPPED,
 * the values the column accepts (the descriptor's [values] keys of that
 * field and the field's canonical values). The message never holds the
 * line number (the callback has it) nor a cell. hd_check_file is this with
 * HD_LANG_EN.
 */
int hd_check_file_ex(const char *fmt_path, const char *file, hd_date as_of, hd_lang lang,
                     hd_check_bad_fn on_bad, void *user, hd_check_counts *out,
                     hd_error *err);

/* ------------------------------------------------------------- tokenize */

typedef struct hd_tokenize_result {
    uint64_t rows;              /* data rows read */
    uint64_t rows_written;      /* rows in OUT */
    uint64_t rows_rejected;     /* rows in OUT.rejects.csv */
    uint64_t by_reason[HD_R__COUNT];   /* rejected rows per reason */
    uint64_t rows_other_faults; /* rows written whose other fields do not
                                   parse (the batch will quarantine them) */
    char out_fmt[4096];         /* path of the descriptor written */
    char rejects[4096];         /* path of the rejects file written */
} hd_tokenize_result;

/*
 * Tokenizes an extract (SPEC §1, §6 "tokenize"): reads `in` through the
 * descriptor `fmt_path` (whose id_form must be number) and writes
 *
 *   OUT              zstd (level 3, with checksums) UTF-8 CSV: a header row
 *                    of canonical field names, then one row per usable row
 *                    holding the original cells of every mapped column in
 *                    [columns] order except `name`, the ID cell replaced by
 *                    the member token HMAC-SHA256(provider key, "hedui:v2:member:" +
 *                    normalised ID) in lower-case hex. Unmapped columns are
 *                    dropped (they may hold personal data the engine never
 *                    reads; see docs/commands.md).
 *   OUT.fmt          the descriptor that reads OUT: same kind, [units],
 *                    [values] and status_letters; utf-8, comma, header yes,
 *                    trailer none, id_form = token.
 *   OUT.rejects.csv  `line,reason` (header row included) for every row whose
 *                    ID cannot be tokenized: rejected ID (ID_FORMAT,
 *                    ID_CHECK, ID_DATE, ID_PROVINCE, EXCEL_MANGLED, MISSING)
 *                    or a row whose fields cannot be told apart (FIELD_COUNT,
 *                    ENCODING, quoting faults, TRUNCATED). Never the raw ID.
 *
 * The three files are written under temporary names and renamed only when
 * the whole input was read; an input that is damaged (unreadable, cut,
 * header or trailer disagreeing) leaves none of them.
 *
 * @param key_path  the provider key file the centre made for this provider
 *                  (`hedui keygen --provider NAME --key MASTER OUT`, SPEC
 *                  §8); tokens are HMAC-SHA256(its key, "hedui:v2:member:"
 *                  + normalised ID). The centre's master key is refused
 *                  (HD_ECONFIG): a provider never holds it.
 * @param as_of     date for the ID birth-date check (normally today)
 * @param res       receives the counts (required)
 * @return HD_OK (no row rejected); HD_EDATA (rows rejected: the outputs are
 *         complete; or the input is damaged: no outputs); HD_ENOINPUT
 *         (input, key or descriptor missing); HD_ECONFIG (bad descriptor,
 *         id_form = token already, bad key, a master key); HD_EIO (cannot write);
 *         HD_ESOFTWARE. err names the cause in one line.
 */
int hd_tokenize_file(const char *key_path, const char *fmt_path, const char *in,
                     const char *out, hd_date as_of, hd_tokenize_result *res,
                     hd_error *err);

/* ---------------------------------------------------------- audit verify */

/* Flags of hd_audit_verify_ex. */
enum {
    HD_VERIFY_ALLOW_UNSIGNED = 1   /* no manifest.sig is not a failure
                                      (checks sizes and digests only) */
};

typedef struct hd_verify_result {
    int signature_checked;      /* 1: manifest.sig verified good */
    int own_key;                /* 1: the bundle's own signing.pub.pem used */
    uint64_t files_listed, files_ok;
    uint64_t failures;          /* lines passed to on_fail */
} hd_verify_result;

/*
 * Verifies an output directory in full (SPEC §1 "audit verify", §5):
 * the Ed25519 signature manifest.sig over the exact bytes of manifest.json
 * under pub_pem (NULL: DIR/signing.pub.pem, which proves integrity, not
 * origin: res->own_key tells), then for every entry of "files" its size
 * and SHA-256, then that DIR holds no regular file (or anything that is not
 * a regular file or a directory) beyond the listed ones and manifest.json,
 * manifest.sig and signing.pub.pem. Listed paths must be relative, made of
 * [A-Za-z0-9._/-], with no "." or ".." component; a listed file that is a
 * symbolic link fails.
 *
 * @param on_fail  called once per failure with a one-line message (may be
 *                 NULL); all checks run even after a failure
 * @param res      receives the counts (may be NULL)
 * @return HD_OK when everything holds; HD_EDATA with the first failure in
 *         err; HD_ENOINPUT when DIR or manifest.json is missing; HD_ECONFIG
 *         when pub_pem is not an Ed25519 public key (or is missing:
 *         HD_ENOINPUT); HD_ESOFTWARE out of memory.
 */
int hd_audit_verify_ex(const char *dir, const char *pub_pem, int flags,
                       void (*on_fail)(void *user, const char *msg), void *user,
                       hd_verify_result *res, hd_error *err);

#ifdef __cplusplus
}
#endif
#endif
