/* fuzz_zstd — hd_reader over the input written to a file, read to its end
 * with a small buffer and a 1 MiB cap on decoded bytes. The bytes returned
 * never exceed the cap; an error is sticky and names a fault. */
#include "fuzz_common.h"
#include "hedui/io.h"

#define CAP (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write("in.zst", data, size);
    hd_reader *r = NULL;
    hd_error err;
    if (hd_reader_open(&r, path, CAP, &err) != HD_OK) abort();
    FZ_ASSERT(hd_reader_file_size(r) == size);
    size_t bufsz = size > 0 ? 1 + data[size - 1] % 7 * 1000 : 4096;
    char *buf = malloc(bufsz);
    uint64_t total = 0;
    ssize_t n;
    while ((n = hd_reader_read(r, buf, bufsz, &err)) > 0) {
        FZ_ASSERT((size_t)n <= bufsz);
        fz_touch(buf, (size_t)n);
        total += (uint64_t)n;
        FZ_ASSERT(total <= CAP);
    }
    if (n < 0) {
        FZ_ASSERT(hd_reader_fault(r) != HD_RF_NONE);
        FZ_ASSERT(hd_reader_read(r, buf, bufsz, &err) == -1);
    } else {
        FZ_ASSERT(hd_reader_fault(r) == HD_RF_NONE);
        FZ_ASSERT(hd_reader_read(r, buf, bufsz, &err) == 0);
    }
    FZ_ASSERT(hd_reader_out_bytes(r) == total);
    FZ_ASSERT(hd_reader_in_bytes(r) <= size);
    free(buf);
    hd_reader_close(r);
    return 0;
}
