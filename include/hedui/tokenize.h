/*
 * hedui/tokenize.h — the library side of `hedui tokenize`: pseudonymise an
 * extract at the provider's site (SPEC §6 "tokenize"), so that the centre
 * receives member tokens instead of ID numbers.
 *
 * Reachable without the command line, so that another program (a
 * provider's export job) can embed it.
 *
 * Privacy: no raw row, name or ID number is ever put in an error message
 * or in the rejects file (SPEC §5 "Logs ... never contain a name, an ID
 * number or a key"); names are never written to the output.
 *
 * Thread-safety: the function is reentrant.
 */
#ifndef HEDUI_TOKENIZE_H
#define HEDUI_TOKENIZE_H

#include <stdint.h>
#include "hedui/error.h"
#include "hedui/text.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif
