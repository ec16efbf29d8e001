/*
 * advice.c — what a quarantine reason means to the person who must fix
 * the file, in English and in Chinese (hd_reason_advice_ex), and its short
 * Chinese or English label (hd_reason_label). Used by `hedui check`, the
 * quarantine files, the county workbooks and report.html: one wording
 * everywhere.
 *
 * Messages say what to fix in plain words and name the column, never the
 * cell: the cell may be an ID number or a name (SPEC §5).
 */
#include <stdio.h>
#include <string.h>
#include "hedui/source.h"
#include "hedui/advice.h"

/* The advice on a whole file (its header, trailer, size, form or
 * encoding), which names no column; 0 for a reason of one row. */
static int en_advice_file(hd_reason r, char *out, size_t cap)
{
    switch (r) {
    case HD_R_HEADER_MISMATCH:
        snprintf(out, cap, "the header line does not match the descriptor (a mapped column is missing, "
                 "a name repeats or the line cannot be read); export the file with the agreed header "
                 "or correct [columns] in the descriptor");
        return 1;
    case HD_R_TRAILER_COUNT:
        snprintf(out, cap, "the trailer line is missing or its row count disagrees with the rows in the file; "
                 "the file is probably incomplete: export and send it again");
        return 1;
    case HD_R_READ_ERROR:
        snprintf(out, cap, "the file cannot be read to its end (open, read or decompression error); send the file again");
        return 1;
    case HD_R_QUARANTINE_RATE:
        snprintf(out, cap, "more bad rows than the batch accepts (default 5 %%): the batch would treat the "
                 "whole source as damaged; correct the rows listed above and send the file again");
        return 1;
    case HD_R_SIZE_CAP:
        snprintf(out, cap, "the file is larger, decompressed, than the descriptor's max_bytes; "
                 "make sure it is the right file, or split it");
        return 1;
    case HD_R_NOT_CSV:
        snprintf(out, cap, "the file is not CSV text (a workbook renamed .csv, or UTF-16 \"Unicode text\"); "
                 "in Excel use Save As, \"CSV UTF-8 (Comma delimited)\", and send it again");
        return 1;
    case HD_R_WRONG_ENCODING:
        snprintf(out, cap, "the text is in another encoding than the descriptor declares (e.g. GBK declared UTF-8); "
                 "save it as \"CSV UTF-8 (Comma delimited)\", or correct encoding in the descriptor");
        return 1;
    case HD_R_NOT_ZSTD:
        snprintf(out, cap, "the name ends in .zst but the file is not zstd-compressed; compress it with zstd, "
                 "or drop .zst from its name");
        return 1;
    case HD_R_RECORD_OVERRUN:
        snprintf(out, cap, "a record never ends (an unclosed quote or a line over max_line) and swallowed the rows "
                 "after it; close the quote and export the file again");
        return 1;
    default:
        return 0;
    }
}

static void en_advice(hd_reason r, int field, const char *column, char *out, size_t cap)
{
    char col[512];
    const char *fname = (field >= 0 && field < HD_F__COUNT) ? hd_field_name((hd_fid)field) : NULL;
    if (fname && column && *column)
        snprintf(col, sizeof col, "%s (column %s)", fname, column);
    else if (fname)
        snprintf(col, sizeof col, "%s", fname);
    else
        snprintf(col, sizeof col, "a field");
    const char *what;
    if (en_advice_file(r, out, cap)) return;
    switch (r) {
    case HD_R_FIELD_COUNT:
        snprintf(out, cap, "the row has a different number of fields than the header "
                 "(or fields = N); look for a missing or extra delimiter, or a delimiter inside an unquoted cell");
        return;
    case HD_R_ENCODING:
        snprintf(out, cap, "the row holds bytes that are not valid in the file's declared encoding; "
                 "export the file again in that encoding or correct encoding in the descriptor");
        return;
    case HD_R_LINE_TOO_LONG:
        snprintf(out, cap, "the row is longer than max_line; look for a missing closing quote above it");
        return;
    case HD_R_NUL_BYTE:
        snprintf(out, cap, "the row contains a NUL byte; the file is probably damaged or not text");
        return;
    case HD_R_UNBALANCED_QUOTE:
        snprintf(out, cap, "a quoted cell starting here is never closed; add the missing closing quote");
        return;
    case HD_R_BAD_QUOTE:
        snprintf(out, cap, "a quote stands inside an unquoted cell or text follows a closing quote; "
                 "quote the whole cell and double any quote inside it");
        return;
    case HD_R_TRUNCATED:
        snprintf(out, cap, "the file ends in the middle of this row (cut compressed file); send the file again");
        return;
    case HD_R_MISSING:
        if (field == HD_F_BALANCE)
            snprintf(out, cap, "%s is empty and so is over_limit; fill in the balance", col);
        else
            snprintf(out, cap, "%s is required but empty; fill it in", col);
        return;
    case HD_R_AMOUNT:
        what = "is not an amount of money: write digits with an optional sign, comma groups of three "
               "and the decimals the unit allows, without currency signs, spaces or parentheses";
        break;
    case HD_R_DATE:
        what = "is not a date in the descriptor's format (default YYYY-MM-DD or YYYYMMDD), or no such day exists";
        break;
    case HD_R_AREA:
        what = "is not an area: write square metres with at most 2 decimals";
        break;
    case HD_R_SHARE:
        what = "is not a share, or is above the whole: write it in the unit of the descriptor "
               "(bp 0-10000, percent 0-100, fraction 0-1)";
        break;
    case HD_R_PERIOD:
        what = "is not a period: write YYYY, YYYY-MM or YYYYMM";
        break;
    case HD_R_VALUE_UNMAPPED:
        what = "holds a code that is neither canonical nor mapped in the descriptor's [values]; "
               "correct the cell or add the code to [values]";
        break;
    case HD_R_EXCEL_MANGLED:
        what = "was turned into scientific notation (like 5.3E+17) by a spreadsheet; "
               "export the column as text and send the file again";
        break;
    case HD_R_ID_FORMAT:
        what = "does not have the form of an ID number (18 characters: 17 digits and a digit or X; "
               "or 15 digits), or of a 64-hex-digit token; correct the number";
        break;
    case HD_R_ID_CHECK:
        what = "has a wrong check character (the last one): a digit was probably mistyped; "
               "copy the number again from the ID card";
        break;
    case HD_R_ID_DATE:
        what = "encodes a birth date that does not exist or lies after the verification date; "
               "copy the number again from the ID card";
        break;
    case HD_R_ID_PROVINCE:
        what = "does not start with a province code; copy the number again from the ID card";
        break;
    case HD_R_APPLICANT_INCONSISTENT:
        what = "differs from the first row of the same application (county_code, area_type and "
               "assistance_type must agree); correct it";
        break;
    case HD_R_DUPLICATE_MEMBER:
        what = "repeats a member already listed in the same application; remove the repeated row";
        break;
    case HD_R_COUNTY_UNKNOWN:
        what = "is not a six-digit county code with a 低保 standard in the policy; use the GB/T 2260 code of the county";
        break;
    case HD_R_APPLICATION_ID_REUSED:
        what = "is an application id already used in another file of the same county; give it a new id";
        break;
    default:
        snprintf(out, cap, "%s: the row cannot be used (%s)", col, hd_reason_name(r));
        return;
    }
    snprintf(out, cap, "%s %s", col, what);
}

void hd_reason_advice(hd_reason r, int field, const char *column, char *out, size_t cap)
{
    en_advice(r, field, column, out, cap);
}

/* Cuts a possibly truncated UTF-8 string back to its last whole character. */
static void utf8_whole(char *out, size_t cap)
{
    size_t len = strnlen(out, cap);
    if (len == 0 || len + 1 < cap) return;          /* not filled to the brim */
    size_t i = len;
    while (i > 0 && ((unsigned char)out[i - 1] & 0xC0) == 0x80) i--;
    if (i == 0) { out[0] = 0; return; }
    unsigned char lead = (unsigned char)out[i - 1];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (len - (i - 1) < need) out[i - 1] = 0;
}

/* The column as a county clerk sees it: its header; "#N" -> 第N列; else
 * the canonical field's name. */
static const char *zh_col(int field, const char *column, char *buf, size_t cap)
{
    if (column && column[0] == '#' && column[1]) {
        snprintf(buf, cap, "第%s列", column + 1);
        return buf;
    }
    if (column && *column) return column;
    if (field >= 0 && field < HD_F__COUNT) {
        snprintf(buf, cap, "字段 %s ", hd_field_name((hd_fid)field));
        return buf;
    }
    return "某一列";
}

/* The advice on a whole file (its header, trailer, size, form or
 * encoding), which names no column; 0 for a reason of one row. */
static int zh_advice_file(hd_reason r, char *out, size_t cap)
{
    switch (r) {
    case HD_R_HEADER_MISMATCH:
        snprintf(out, cap, "表头与格式说明不符（缺少列、列名重复或表头无法读取）："
                 "请按规定的表头重新导出，或改正格式说明的 [columns]");
        return 1;
    case HD_R_TRAILER_COUNT:
        snprintf(out, cap, "文件末尾的合计行缺失，或合计行数与实际行数不符：文件可能不完整，请重新导出并发送");
        return 1;
    case HD_R_READ_ERROR:
        snprintf(out, cap, "文件无法读到结尾（无法打开、读取或解压）：请重新发送文件");
        return 1;
    case HD_R_QUARANTINE_RATE:
        snprintf(out, cap, "有错的行超过了批处理允许的比例（默认 5%%）：批处理会把整个数据源当作损坏，"
                 "请改正上面列出的行后重新提交");
        return 1;
    case HD_R_SIZE_CAP:
        snprintf(out, cap, "文件解压后超过了格式说明规定的大小上限（max_bytes）：请确认文件是否正确，或拆分成几个文件");
        return 1;
    case HD_R_NOT_CSV:
        snprintf(out, cap, "这不是 CSV 文本文件（可能是改了扩展名的 Excel 工作簿，或 UTF-16 的“Unicode 文本”）："
                 "请在 Excel 中用“另存为”，选择“CSV UTF-8（逗号分隔）”后重新提交");
        return 1;
    case HD_R_WRONG_ENCODING:
        snprintf(out, cap, "文件的编码与格式说明不符（如格式说明写 UTF-8，文件却是 GBK）："
                 "请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）”，或改正格式说明的 encoding");
        return 1;
    case HD_R_NOT_ZSTD:
        snprintf(out, cap, "文件名以 .zst 结尾，但文件不是 zstd 压缩文件：请用 zstd 压缩后发送，或去掉文件名中的 .zst");
        return 1;
    case HD_R_RECORD_OVERRUN:
        snprintf(out, cap, "有一条记录没有结束（缺少结束引号或超过最大行长），吞掉了后面的行：请补上结束引号后重新导出");
        return 1;
    default:
        return 0;
    }
}

static void zh_advice(hd_reason r, int field, const char *column, const hd_advice_extra *x,
                      char *out, size_t cap)
{
    char cb[256];
    const char *c = zh_col(field, column, cb, sizeof cb);
    if (zh_advice_file(r, out, cap)) return;
    switch (r) {
    case HD_R_ID_CHECK:
        if (x && x->id_check)
            snprintf(out, cap, "%s校验位错误，应为 %c（由前17位算出）：请对照身份证核对；"
                     "若身份证上最后一位不是 %c，则是前17位中有数字录错，请重新录入整个号码",
                     c, x->id_check, x->id_check);
        else
            snprintf(out, cap, "%s校验位错误（最后一位与前17位不符）：可能有一位数字录错，请对照身份证重新录入", c);
        return;
    case HD_R_ID_DATE:
        snprintf(out, cap, "%s中的出生日期不存在或晚于核对日期：请对照身份证重新录入", c);
        return;
    case HD_R_ID_FORMAT:
        snprintf(out, cap, "%s位数或字符不对：应为18位数字，最后一位可为X（旧的15位号码也可以；"
                 "用 hedui tokenize 转换过的文件应为64位十六进制代号），请对照身份证改正", c);
        return;
    case HD_R_ID_PROVINCE:
        snprintf(out, cap, "%s前两位不是省份代码：请对照身份证重新录入", c);
        return;
    case HD_R_EXCEL_MANGLED:
        snprintf(out, cap, "%s：表格软件把号码变成了科学计数法（如 5.30102E+17），后几位已丢失："
                 "请把该列设为文本后重新填写", c);
        return;
    case HD_R_MISSING:
        if (field == HD_F_BALANCE)
            snprintf(out, cap, "%s为空，超限标记（over_limit）也为空：请填写余额", c);
        else
            snprintf(out, cap, "%s为空：这一项必须填写，请补上", c);
        return;
    case HD_R_AMOUNT:
        snprintf(out, cap, "%s不是金额：只写数字，可带正负号、千位分隔逗号和单位允许的小数位，"
                 "不要写“元”、货币符号、空格或括号", c);
        return;
    case HD_R_DATE:
        snprintf(out, cap, "%s不是日期或该日期不存在：请按格式说明规定的格式填写（默认 2026-11-03 或 20261103）", c);
        return;
    case HD_R_AREA:
        snprintf(out, cap, "%s不是面积：请写平方米数，最多两位小数，不要写单位", c);
        return;
    case HD_R_SHARE:
        snprintf(out, cap, "%s不是份额或超过了整体：请按格式说明的单位填写"
                 "（bp 为 0-10000，percent 为 0-100，fraction 为 0-1）", c);
        return;
    case HD_R_PERIOD:
        snprintf(out, cap, "%s不是所属期：请写 YYYY、YYYY-MM 或 YYYYMM（如 2026-10）", c);
        return;
    case HD_R_VALUE_UNMAPPED:
        if (x && x->allowed && *x->allowed)
            snprintf(out, cap, "%s的值不在允许范围内：允许的值为 %s；请改正，"
                     "或在格式说明的 [values] 中加上这个值", c, x->allowed);
        else
            snprintf(out, cap, "%s的值不在允许范围内（既不是标准值，格式说明的 [values] 中也没有）："
                     "请改正，或在 [values] 中加上这个值", c);
        return;
    case HD_R_FIELD_COUNT:
        snprintf(out, cap, "这一行的列数与表头不一致：请检查是否多了或少了分隔符（逗号），"
                 "或者没有加引号的单元格里含有分隔符");
        return;
    case HD_R_ENCODING:
        snprintf(out, cap, "这一行含有不符合文件编码的字节（乱码）：请按格式说明中的编码重新导出文件"
                 "（如“CSV UTF-8”），或改正格式说明的 encoding");
        return;
    case HD_R_BAD_QUOTE:
        snprintf(out, cap, "没有加引号的单元格里出现了引号，或结束引号后面还有文字："
                 "请给整个单元格加上引号，单元格内的引号写两遍");
        return;
    case HD_R_UNBALANCED_QUOTE:
        snprintf(out, cap, "从这一行开始的带引号单元格没有结束引号：请补上缺少的结束引号");
        return;
    case HD_R_NUL_BYTE:
        snprintf(out, cap, "这一行含有空字节（NUL）：文件可能已损坏或不是文本文件，请重新导出");
        return;
    case HD_R_LINE_TOO_LONG:
        snprintf(out, cap, "这一行超过了最大行长（max_line）：请检查上面是否缺少结束引号");
        return;
    case HD_R_TRUNCATED:
        snprintf(out, cap, "文件在这一行中间中断了（压缩文件不完整）：请重新发送文件");
        return;
    case HD_R_APPLICANT_INCONSISTENT:
        snprintf(out, cap, "%s与同一申请第一行填写的不一致（同一申请的区县代码、城乡类别、救助类型必须相同）："
                 "请改正", c);
        return;
    case HD_R_APPLICATION_ID_REUSED:
        snprintf(out, cap, "%s已在本区县的另一个文件中用过：请给这个申请换一个新编号", c);
        return;
    case HD_R_DUPLICATE_MEMBER:
        snprintf(out, cap, "同一申请中重复列出了同一个成员（%s相同）：请删除重复的行", c);
        return;
    case HD_R_COUNTY_UNKNOWN:
        snprintf(out, cap, "%s不是六位区县代码，或政策中没有该区县的低保标准："
                 "请填写本区县的 GB/T 2260 行政区划代码（如 530102）", c);
        return;
    default:
        snprintf(out, cap, "%s：这一行无法使用（%s）", c, hd_reason_name(r));
        return;
    }
}

void hd_reason_advice_ex(hd_reason r, int field, const char *column, hd_lang lang,
                         const hd_advice_extra *x, char *out, size_t cap)
{
    if (!out || cap == 0) return;
    if (lang == HD_LANG_ZH) zh_advice(r, field, column, x, out, cap);
    else en_advice(r, field, column, out, cap);
    utf8_whole(out, cap);
}

const char *hd_reason_label(hd_reason r, hd_lang lang)
{
    static const char *const zh[HD_R__COUNT] = {
        [HD_R_NONE] = "",
        [HD_R_FIELD_COUNT] = "列数与表头不一致",
        [HD_R_ENCODING] = "含有不符合文件编码的字节",
        [HD_R_MISSING] = "必填项为空",
        [HD_R_AMOUNT] = "金额写法不对",
        [HD_R_DATE] = "日期写法不对或日期不存在",
        [HD_R_AREA] = "面积写法不对",
        [HD_R_SHARE] = "份额写法不对或超过整体",
        [HD_R_PERIOD] = "所属期写法不对",
        [HD_R_VALUE_UNMAPPED] = "取值不在允许范围内",
        [HD_R_EXCEL_MANGLED] = "号码被表格软件变成了科学计数法",
        [HD_R_ID_FORMAT] = "身份证号码位数或字符不对",
        [HD_R_ID_CHECK] = "身份证号码校验位错误",
        [HD_R_ID_DATE] = "身份证号码中的出生日期不存在或晚于核对日期",
        [HD_R_ID_PROVINCE] = "身份证号码前两位不是省份代码",
        [HD_R_TRUNCATED] = "文件在行中间中断",
        [HD_R_APPLICANT_INCONSISTENT] = "与同一申请第一行不一致",
        [HD_R_APPLICATION_ID_REUSED] = "申请编号在另一个文件中用过",
        [HD_R_LINE_TOO_LONG] = "行过长",
        [HD_R_NUL_BYTE] = "含有空字节",
        [HD_R_UNBALANCED_QUOTE] = "引号没有结束",
        [HD_R_BAD_QUOTE] = "引号位置不对",
        [HD_R_HEADER_MISMATCH] = "表头与格式说明不符",
        [HD_R_TRAILER_COUNT] = "合计行缺失或行数不符",
        [HD_R_READ_ERROR] = "文件无法读到结尾",
        [HD_R_QUARANTINE_RATE] = "有错的行超过允许比例",
        [HD_R_NO_FILES] = "没有找到文件",
        [HD_R_STALE] = "数据过旧",
        [HD_R_SIZE_CAP] = "文件超过大小上限",
        [HD_R_COUNTY_UNKNOWN] = "区县代码不对或没有低保标准",
        [HD_R_DUPLICATE_MEMBER] = "同一申请中成员重复",
        [HD_R_NO_SOURCE] = "缺少必需类别的数据源",
        [HD_R_TOO_FEW_ROWS] = "数据行数少于规定的最少行数",
        [HD_R_ROWS_DROPPED] = "数据行数比上次核对大幅减少",
        [HD_R_RECORD_OVERRUN] = "一条记录吞掉了后面的行",
        [HD_R_NOT_CSV] = "不是 CSV 文本文件",
        [HD_R_WRONG_ENCODING] = "文件编码与格式说明不符",
        [HD_R_NOT_ZSTD] = "文件名以 .zst 结尾但不是 zstd 压缩文件",
    };
    static const char *const en[HD_R__COUNT] = {
        [HD_R_NONE] = "",
        [HD_R_FIELD_COUNT] = "wrong number of fields",
        [HD_R_ENCODING] = "bytes invalid in the file's encoding",
        [HD_R_MISSING] = "required cell empty",
        [HD_R_AMOUNT] = "not an amount of money",
        [HD_R_DATE] = "not a date, or no such day",
        [HD_R_AREA] = "not an area",
        [HD_R_SHARE] = "not a share, or above the whole",
        [HD_R_PERIOD] = "not a period",
        [HD_R_VALUE_UNMAPPED] = "value not allowed in the column",
        [HD_R_EXCEL_MANGLED] = "number turned into scientific notation by a spreadsheet",
        [HD_R_ID_FORMAT] = "ID number of the wrong length or characters",
        [HD_R_ID_CHECK] = "wrong ID check character",
        [HD_R_ID_DATE] = "ID birth date impossible or after the verification date",
        [HD_R_ID_PROVINCE] = "ID number does not start with a province code",
        [HD_R_TRUNCATED] = "file ends inside a row",
        [HD_R_APPLICANT_INCONSISTENT] = "differs from the application's first row",
        [HD_R_APPLICATION_ID_REUSED] = "application id used in another file",
        [HD_R_LINE_TOO_LONG] = "row too long",
        [HD_R_NUL_BYTE] = "NUL byte in the row",
        [HD_R_UNBALANCED_QUOTE] = "quote never closed",
        [HD_R_BAD_QUOTE] = "stray quote",
        [HD_R_HEADER_MISMATCH] = "header does not match the descriptor",
        [HD_R_TRAILER_COUNT] = "trailer missing or count wrong",
        [HD_R_READ_ERROR] = "file cannot be read to its end",
        [HD_R_QUARANTINE_RATE] = "too many bad rows",
        [HD_R_NO_FILES] = "no file found",
        [HD_R_STALE] = "data too old",
        [HD_R_SIZE_CAP] = "file over the size cap",
        [HD_R_COUNTY_UNKNOWN] = "county code not six digits or without a standard",
        [HD_R_DUPLICATE_MEMBER] = "member repeated in an application",
        [HD_R_NO_SOURCE] = "no source for a required kind",
        [HD_R_TOO_FEW_ROWS] = "fewer data rows than min_rows",
        [HD_R_ROWS_DROPPED] = "data rows fell sharply against the previous run",
        [HD_R_RECORD_OVERRUN] = "a record swallowed the rows after it",
        [HD_R_NOT_CSV] = "not a CSV text file",
        [HD_R_WRONG_ENCODING] = "text in another encoding than declared",
        [HD_R_NOT_ZSTD] = "name ends in .zst but the file is not zstd",
    };
    if ((int)r < 0 || r >= HD_R__COUNT) return lang == HD_LANG_ZH ? "未知原因" : "unknown reason";
    const char *s = lang == HD_LANG_ZH ? zh[r] : en[r];
    return s ? s : hd_reason_name(r);
}
