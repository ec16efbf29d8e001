/* fuzz_csv — the CSV reader (hd_csv over hd_reader) with options taken from
 * the first 5 input bytes, the rest being the file (in /dev/shm):
 *   [0] encoding (utf-8 / gbk / gb18030)   [1] delimiter   [2] quote
 *   [3] bit 0 trailer, bits 1-2 skip       [4] max_line (small, 1..4096)
 * Invariants checked: every field and the raw text are readable; a record
 * without a fault has valid UTF-8 fields; a long record keeps at most
 * max_line bytes; lines only go forward (blank
 * records excepted with a trailer, as text.h says); after -1 the error is sticky. */
#include <iconv.h>
#include "fuzz_common.h"
#include "hedui/text.h"

/* One GBK and one GB18030 converter held open for the whole process, so
 * glibc keeps its gconv modules loaded: without them every hd_csv_open of
 * those encodings dlopen()s a module and the matching close unloads it
 * again (a third of the time went to mapping and unmapping it). The
 * reader under test still opens and closes its own converter each time. */
static iconv_t keep_gbk, keep_gb18030;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    keep_gbk = iconv_open("UTF-8", "GBK");
    keep_gb18030 = iconv_open("UTF-8", "GB18030");
    if (keep_gbk == (iconv_t)-1 || keep_gb18030 == (iconv_t)-1) {
        perror("fuzz_csv: iconv_open");
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5) return 0;
    static const char delims[] = { ',', '\t', '|', ';', ' ', 'a', '\\', ':' };
    static const int quotes[] = { '"', '\'', -1, '|' };
    static const size_t max_lines[] = { 1, 2, 3, 8, 16, 64, 255, 4096 };
    hd_csv_opts o;
    memset(&o, 0, sizeof o);
    o.encoding = (hd_encoding)(HD_ENC_UTF8 + data[0] % 3);
    o.delimiter = delims[data[1] % 8];
    o.quote = quotes[(data[1] >> 3) % 4];
    if (data[2] & 0x80) o.quote = data[2] & 0x7f;   /* any ASCII byte, even '\n' */
    o.trailer = data[3] & 1;
    o.skip = (data[3] >> 1) & 3;
    o.max_line = (data[4] & 0x80) ? max_lines[data[4] % 8] : (size_t)(data[4] & 0x7f) * 7 + 1;
    o.path = "fuzz.csv";
    uint64_t cap = (data[3] & 0x08) ? 1 + (data[3] >> 4) * 37u : 0;
    const char *path = fz_write("in.csv", data + 5, size - 5);

    hd_error err;
    hd_reader *r = NULL;
    if (hd_reader_open(&r, path, cap, &err) != HD_OK) abort();
    hd_csv *c = NULL;
    if (hd_csv_open(&c, r, &o, &err) != HD_OK) { hd_reader_close(r); return 0; }
    hd_csv_record rec;
    uint64_t last_line = 0;
    int rc;
    while ((rc = hd_csv_next(c, &rec, &err)) == 1) {
        FZ_ASSERT(rec.line >= 1 && rec.lines >= 1);
        /* with a trailer, blank records are not held back and may come
         * before the record that precedes them (text.h) */
        if (!o.trailer || !rec.blank) {
            FZ_ASSERT(rec.line > last_line);
            last_line = rec.line;
        }
        FZ_ASSERT((int)rec.fault >= 0 && rec.fault < HD_R__COUNT);
        fz_touch(rec.raw, rec.raw_len);
        for (size_t i = 0; i < rec.nfields; i++) {
            fz_touch(rec.fields[i].p, rec.fields[i].n);
            if (rec.fault == HD_R_NONE) FZ_ASSERT(hd_utf8_valid(rec.fields[i].p, rec.fields[i].n));
        }
        if (rec.fault == HD_R_LINE_TOO_LONG) FZ_ASSERT(rec.raw_len <= o.max_line);
        if (rec.blank) FZ_ASSERT(rec.fault == HD_R_NONE);
    }
    if (rc < 0) FZ_ASSERT(hd_csv_next(c, &rec, &err) == -1);
    (void)hd_csv_skipped_lines(c);
    hd_csv_close(c);
    hd_reader_close(r);
    return 0;
}
