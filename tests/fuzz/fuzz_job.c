/* fuzz_job — hd_job_load over the input written to a file. */
#include "fuzz_common.h"
#include "hedui/batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write("job.ini", data, size);
    hd_job *j = NULL;
    hd_error err;
    hd_error_clear(&err);
    int st = hd_job_load(&j, path, hd_date_from_ymd(2026, 11, 28), &err);
    FZ_ASSERT(memchr(err.message, 0, sizeof err.message) != NULL);
    if (st != HD_OK) return 0;
    FZ_ASSERT(j != NULL && j->nsources >= 0);
    for (int i = 0; i < j->nsources; i++) {
        FZ_ASSERT(memchr(j->sources[i].name, 0, sizeof j->sources[i].name) != NULL);
        FZ_ASSERT(memchr(j->sources[i].files_glob, 0, sizeof j->sources[i].files_glob) != NULL);
    }
    hd_job_free(j);
    return 0;
}
