/*
 * hedui/error.h — the one error type of hedui, status codes and reason codes.
 *
 * Every library function that can fail returns an `int` status (HD_OK on
 * success, otherwise one of the HD_E* values, which are the process exit
 * codes of SPEC §1, taken from sysexits.h) and fills a caller-owned
 * `hd_error` with a one-line message that names the file, the line or byte
 * offset, and the cause. Messages never contain a name, an ID number or key
 * material (SPEC §5 "Logs ... never contain a name, an ID number or a key").
 *
 * Thread-safety: an hd_error belongs to one thread; the functions here keep
 * no global state.
 */
#ifndef HEDUI_ERROR_H
#define HEDUI_ERROR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes = process exit codes (SPEC §1; sysexits.h). */
enum {
    HD_OK = 0,
    HD_EDAMAGED = 3,    /* batch completed, at least one source damaged */
    HD_EUSAGE = 2,      /* command-line usage */
    HD_EDATA = 65,      /* EX_DATAERR: input rejected */
    HD_ENOINPUT = 66,   /* EX_NOINPUT: an input file is missing/unreadable */
    HD_ESOFTWARE = 70,  /* EX_SOFTWARE: internal error, out of memory */
    HD_EIO = 74,        /* EX_IOERR: read/write error, disk full */
    HD_ETEMPFAIL = 75,  /* EX_TEMPFAIL: output locked by another run */
    HD_ECONFIG = 78     /* EX_CONFIG: bad job, descriptor, policy or key */
};

/* The one error type. `status` is one of the codes above; `message` is a
 * NUL-terminated single line without a trailing newline. */
typedef struct hd_error {
    int status;
    char message[1024];
} hd_error;

/* Sets *e (if e is not NULL) to status and the formatted message (line
 * breaks made spaces), so that callers can write
 * `return hd_fail(err, HD_EIO, "%s: %s", path, strerror(errno));`.
 * @return status, unchanged. */
int hd_fail(hd_error *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Resets *e to HD_OK with an empty message. */
void hd_error_clear(hd_error *e);

/*
 * When several errors apply, which one the process reports (SPEC §8): the
 * first of 2, 78, 66, 75, 65, 74, 3 (HD_ESOFTWARE, an internal failure,
 * before all of them). Copies *e into *acc when acc holds no error yet or e
 * comes before it in that order; an HD_OK e changes nothing.
 * @return acc->status after the call.
 */
int hd_error_keep_first(hd_error *acc, const hd_error *e);

/*
 * Row reason codes (SPEC §6): why a row was quarantined, or (for
 * HEADER_MISMATCH, TRAILER_COUNT, TRUNCATED, READ_ERROR, QUARANTINE_RATE,
 * NO_FILES, STALE) why a source is damaged. Stable names, printed in
 * capitals by hd_reason_name(); never renumber — only append.
 */
typedef enum hd_reason {
    HD_R_NONE = 0,
    HD_R_FIELD_COUNT,      /* field count differs from header / fields = N */
    HD_R_ENCODING,         /* bytes invalid in the declared encoding */
    HD_R_MISSING,          /* empty required field */
    HD_R_AMOUNT,           /* money does not parse */
    HD_R_DATE,             /* date does not parse / impossible */
    HD_R_AREA,             /* area does not parse */
    HD_R_SHARE,            /* share does not parse or above the whole */
    HD_R_PERIOD,           /* period does not parse */
    HD_R_VALUE_UNMAPPED,   /* code neither canonical nor mapped in [values] */
    HD_R_EXCEL_MANGLED,    /* 5.30102E+17 in an ID/account/plate/cert field */
    HD_R_ID_FORMAT,        /* ID length or characters; token not 64 hex */
    HD_R_ID_CHECK,         /* ISO 7064 MOD 11-2 check character wrong */
    HD_R_ID_DATE,          /* birth date impossible or after as_of */
    HD_R_ID_PROVINCE,      /* first two digits are no province */
    HD_R_TRUNCATED,        /* unfinished last row of a cut zstd frame */
    HD_R_APPLICANT_INCONSISTENT, /* county/area/type differ from first row */
    HD_R_APPLICATION_ID_REUSED,  /* application id used by an earlier file */
    HD_R_LINE_TOO_LONG,    /* a record longer than max_line bytes */
    HD_R_NUL_BYTE,         /* a NUL byte inside a row */
    HD_R_UNBALANCED_QUOTE, /* a quoted field runs to the end of the file */
    HD_R_BAD_QUOTE,        /* a stray quote inside an unquoted field, or
                              text after a closing quote */
    /* source damage */
    HD_R_HEADER_MISMATCH,
    HD_R_TRAILER_COUNT,
    HD_R_READ_ERROR,       /* cannot open / read / decompress to its end */
    HD_R_QUARANTINE_RATE,  /* more than max_quarantine_pct quarantined */
    HD_R_NO_FILES,         /* the source's glob matched no file */
    HD_R_STALE,            /* newest as_of older than max_age_days */
    HD_R_SIZE_CAP,         /* decompressed size over the per-file cap */
    /* applicant rows (docs/decisions.md) */
    HD_R_COUNTY_UNKNOWN,   /* county_code not 6 digits, or no standard for it */
    HD_R_DUPLICATE_MEMBER, /* the same ID twice in one application */
    /* evidence completeness (SPEC §7; docs/reasons.md) */
    HD_R_NO_SOURCE,        /* a required kind has no [source] in the job */
    HD_R_TOO_FEW_ROWS,     /* fewer data rows than the source's min_rows */
    HD_R_ROWS_DROPPED,     /* rows fell by more than max_rows_drop_pct
                              against the previous run */
    HD_R_RECORD_OVERRUN,   /* a record ran past max_line or to the end of
                              the file inside a quote (LINE_TOO_LONG,
                              UNBALANCED_QUOTE in an extract) */
    HD_R_NOT_CSV,          /* UTF-16/UTF-32 BOM, ZIP or OLE signature */
    HD_R_WRONG_ENCODING,   /* the text is in another encoding than declared */
    HD_R_NOT_ZSTD,         /* a name ending in .zst without zstd magic */
    HD_R__COUNT
} hd_reason;

/* The stable name of a reason: "FIELD_COUNT", ...; "NONE" for HD_R_NONE.
 * @return the name in static storage, never NULL; "UNKNOWN" for a value
 *         out of range. */
const char *hd_reason_name(hd_reason r);

#ifdef __cplusplus
}
#endif
#endif
