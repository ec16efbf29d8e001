/* error.c — the one error type (see include/hedui/error.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "hedui/error.h"

int hd_fail(hd_error *e, int status, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        e->status = status;
        /* one line: a message never carries a line break */
        for (char *p = e->message; *p; p++)
            if (*p == '\n' || *p == '\r') *p = ' ';
    }
    return status;
}

void hd_error_clear(hd_error *e)
{
    if (e) { e->status = HD_OK; e->message[0] = '\0'; }
}

/* SPEC §8: "When several apply, the first of 2, 78, 66, 75, 65, 74, 3." */
static int status_rank(int status)
{
    switch (status) {
    case HD_ESOFTWARE: return 0;
    case HD_EUSAGE: return 1;
    case HD_ECONFIG: return 2;
    case HD_ENOINPUT: return 3;
    case HD_ETEMPFAIL: return 4;
    case HD_EDATA: return 5;
    case HD_EIO: return 6;
    case HD_EDAMAGED: return 7;
    default: return 8;
    }
}

int hd_error_keep_first(hd_error *acc, const hd_error *e)
{
    if (e->status != HD_OK &&
        (acc->status == HD_OK || status_rank(e->status) < status_rank(acc->status)))
        *acc = *e;
    return acc->status;
}

static const char *const reason_names[HD_R__COUNT] = {
    [HD_R_NONE] = "NONE",
    [HD_R_FIELD_COUNT] = "FIELD_COUNT",
    [HD_R_ENCODING] = "ENCODING",
    [HD_R_MISSING] = "MISSING",
    [HD_R_AMOUNT] = "AMOUNT",
    [HD_R_DATE] = "DATE",
    [HD_R_AREA] = "AREA",
    [HD_R_SHARE] = "SHARE",
    [HD_R_PERIOD] = "PERIOD",
    [HD_R_VALUE_UNMAPPED] = "VALUE_UNMAPPED",
    [HD_R_EXCEL_MANGLED] = "EXCEL_MANGLED",
    [HD_R_ID_FORMAT] = "ID_FORMAT",
    [HD_R_ID_CHECK] = "ID_CHECK",
    [HD_R_ID_DATE] = "ID_DATE",
    [HD_R_ID_PROVINCE] = "ID_PROVINCE",
    [HD_R_TRUNCATED] = "TRUNCATED",
    [HD_R_APPLICANT_INCONSISTENT] = "APPLICANT_INCONSISTENT",
    [HD_R_APPLICATION_ID_REUSED] = "APPLICATION_ID_REUSED",
    [HD_R_LINE_TOO_LONG] = "LINE_TOO_LONG",
    [HD_R_NUL_BYTE] = "NUL_BYTE",
    [HD_R_UNBALANCED_QUOTE] = "UNBALANCED_QUOTE",
    [HD_R_BAD_QUOTE] = "BAD_QUOTE",
    [HD_R_HEADER_MISMATCH] = "HEADER_MISMATCH",
    [HD_R_TRAILER_COUNT] = "TRAILER_COUNT",
    [HD_R_READ_ERROR] = "READ_ERROR",
    [HD_R_QUARANTINE_RATE] = "QUARANTINE_RATE",
    [HD_R_NO_FILES] = "NO_FILES",
    [HD_R_STALE] = "STALE",
    [HD_R_SIZE_CAP] = "SIZE_CAP",
    [HD_R_COUNTY_UNKNOWN] = "COUNTY_UNKNOWN",
    [HD_R_DUPLICATE_MEMBER] = "DUPLICATE_MEMBER",
    [HD_R_NO_SOURCE] = "NO_SOURCE",
    [HD_R_TOO_FEW_ROWS] = "TOO_FEW_ROWS",
    [HD_R_ROWS_DROPPED] = "ROWS_DROPPED",
    [HD_R_RECORD_OVERRUN] = "RECORD_OVERRUN",
    [HD_R_NOT_CSV] = "NOT_CSV",
    [HD_R_WRONG_ENCODING] = "WRONG_ENCODING",
    [HD_R_NOT_ZSTD] = "NOT_ZSTD",
};

const char *hd_reason_name(hd_reason r)
{
    if ((unsigned)r >= HD_R__COUNT || !reason_names[r]) return "UNKNOWN";
    return reason_names[r];
}
