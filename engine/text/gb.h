/*
 * gb.h — the two-byte table of GBK / GB18030 taken from glibc iconv (gb.c),
 * used by the CSV reader (csv.c).
 */
#ifndef HEDUI_TEXT_GB_H
#define HEDUI_TEXT_GB_H
#include <stdint.h>

/* Table entries, indexed [(first byte - 0x80) * 256 + second byte]: the
 * UTF-8 bytes of the pair in bits 0..23 (first byte lowest) and their
 * number (1..3) in bits 24..31; or one of these. */
#define HD_GB_REJECT 0u            /* iconv rejects the pair at its first byte (EILSEQ) */
#define HD_GB_ICONV  0xFF000000u   /* anything else: the run goes to iconv */

/* The table of glibc's "GB18030" (gb18030 != 0) or "GBK", built on first
 * use (thread-safe); NULL when iconv cannot open the encoding. */
const uint32_t *hd_gb_table(int gb18030);

#endif
