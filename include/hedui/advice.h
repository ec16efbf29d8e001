/*
 * hedui/advice.h — quarantine reasons in plain words, in a language: the
 * sentence that says what is wrong in a row and what to fix (`hedui check`,
 * the quarantine files and workbooks of a run) and the short label of a
 * reason for a summary line.
 *
 * Privacy: a message names the column by its header and never quotes a
 * cell; of a row it may hold only the one check character the caller
 * passes in hd_advice_extra (SPEC §5 "Logs ... never contain a name, an ID
 * number or a key").
 *
 * Thread-safety: every function is reentrant; labels are static storage.
 */
#ifndef HEDUI_ADVICE_H
#define HEDUI_ADVICE_H

#include <stddef.h>
#include "hedui/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A plain-words sentence for a row reason in a field: what is wrong and
 * what to fix ("the ID number in column 证件号码 has a wrong check
 * character; copy it again from the ID card"). `column` is the column's
 * header or "#N" (may be NULL). Writes at most cap bytes, NUL-terminated. */
void hd_reason_advice(hd_reason r, int field, const char *column, char *out, size_t cap);

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
 * @return the label in static storage, never NULL: "" for HD_R_NONE,
 *         "未知原因" / "unknown reason" for a value out of range. */
const char *hd_reason_label(hd_reason r, hd_lang lang);

#ifdef __cplusplus
}
#endif
#endif
