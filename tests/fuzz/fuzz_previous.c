/* fuzz_previous — the previous-run reader of the change report
 * (hd_changes_read_households: one county/<code>/households.csv of an
 * earlier output, as `[job] previous` reads it) over the input. */
#include "fuzz_common.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write("households.csv", data, size);
    uint32_t n = 0;
    hd_error err;
    hd_error_clear(&err);
    int st = hd_changes_read_households(path, &n, &err);
    FZ_ASSERT(memchr(err.message, 0, sizeof err.message) != NULL);
    FZ_ASSERT(st == HD_OK || st == HD_ECONFIG || st == HD_ESOFTWARE);
    if (st != HD_OK) FZ_ASSERT(n == 0 && err.message[0] != '\0');
    /* never more households than lines */
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) lines += data[i] == '\n';
    FZ_ASSERT(n <= lines);
    return 0;
}
