/*
 * gb.c — the two-byte table of GBK and GB18030 text, taken from glibc
 * iconv (issue 17: decoding without an iconv call per character run).
 *
 * The validity rule stays glibc's: the table is built, once per process
 * and encoding, by asking iconv itself about every pair of a byte >= 0x80
 * and any byte (128 x 256 pairs). A pair iconv decodes completely (both
 * bytes consumed, at most 3 bytes of UTF-8 out) is stored with its UTF-8
 * bytes; a pair iconv rejects at its first byte (EILSEQ, nothing consumed)
 * is stored as rejected; anything else -- a GB18030 four-byte start (the
 * second byte a digit: iconv wants more), a single-byte character such as
 * GBK's 0x80 (the euro sign) before a non-ASCII byte, more than 3 bytes
 * out -- is stored as "ask iconv", and csv.c hands that character run to
 * iconv as before. glibc's GBK and GB18030 decoders are stateless, so the
 * text is the same, byte for byte, as iconv's over the whole input; the
 * differential test of tests/test_text.c checks it over every two- and
 * four-byte sequence.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <string.h>

#include "text/gb.h"

static uint32_t tab_gbk[128 * 256], tab_gb18030[128 * 256];
static int ok_gbk, ok_gb18030;
static pthread_once_t once_gbk = PTHREAD_ONCE_INIT, once_gb18030 = PTHREAD_ONCE_INIT;

static int build(uint32_t *tab, const char *name)
{
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1) return 0;
    for (unsigned lead = 0x80; lead <= 0xFF; lead++) {
        for (unsigned trail = 0; trail <= 0xFF; trail++) {
            unsigned char in2[2] = { (unsigned char)lead, (unsigned char)trail };
            char out[16];
            char *ip = (char *)in2, *op = out;
            size_t il = 2, ol = sizeof out;
            size_t rc = iconv(cd, &ip, &il, &op, &ol);
            int e = errno;
            if (rc == (size_t)-1) iconv(cd, NULL, NULL, NULL, NULL);   /* initial state again */
            size_t used = 2 - il, made = sizeof out - ol;
            uint32_t v;
            if (rc != (size_t)-1 && used == 2 && made >= 1 && made <= 3) {
                v = (uint32_t)made << 24;
                for (size_t k = 0; k < made; k++) v |= (uint32_t)(unsigned char)out[k] << (8 * k);
            } else if (rc == (size_t)-1 && e == EILSEQ && used == 0 && made == 0) {
                v = HD_GB_REJECT;
            } else {
                v = HD_GB_ICONV;
            }
            tab[(lead - 0x80) * 256 + trail] = v;
        }
    }
    iconv_close(cd);
    return 1;
}

static void build_gbk(void) { ok_gbk = build(tab_gbk, "GBK"); }
static void build_gb18030(void) { ok_gb18030 = build(tab_gb18030, "GB18030"); }

const uint32_t *hd_gb_table(int gb18030)
{
    if (gb18030) {
        pthread_once(&once_gb18030, build_gb18030);
        return ok_gb18030 ? tab_gb18030 : NULL;
    }
    pthread_once(&once_gbk, build_gbk);
    return ok_gbk ? tab_gbk : NULL;
}
