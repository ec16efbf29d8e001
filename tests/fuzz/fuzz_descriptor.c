/* fuzz_descriptor — hd_descriptor_load over the input written to a file.
 * A descriptor that loads is also bound against a header made of its own
 * column names and used to map one row of fixed cells. */
#include "fuzz_common.h"
#include "hedui/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write("d.fmt", data, size);
    hd_descriptor *d = NULL;
    hd_error err;
    hd_error_clear(&err);
    int st = hd_descriptor_load(&d, path, &err);
    FZ_ASSERT(memchr(err.message, 0, sizeof err.message) != NULL);
    if (st != HD_OK) { FZ_ASSERT(d == NULL || st == HD_OK); return 0; }
    FZ_ASSERT(d != NULL);

    /* header = the mapped names; one data row of plausible cells */
    hd_field hf[HD_F__COUNT], rf[HD_F__COUNT];
    size_t n = 0;
    static const char *cells[] = { "530102199001011234", "100.00", "2024-01-01", "x", "" };
    for (int f = 0; f < HD_F__COUNT && n < HD_F__COUNT; f++) {
        if (!d->col_name[f]) continue;
        hf[n].p = d->col_name[f];
        hf[n].n = strlen(d->col_name[f]);
        rf[n].p = cells[n % 5];
        rf[n].n = strlen(cells[n % 5]);
        n++;
    }
    hd_csv_record hdr = { .line = 1, .lines = 1, .nfields = n, .fields = hf, .raw = "", .raw_len = 0 };
    int pos[HD_F__COUNT], nf = 0;
    hd_reason br = hd_descriptor_bind(d, d->header ? &hdr : NULL, pos, &nf, &err);
    if (br == HD_R_NONE) {
        hd_csv_record row = { .line = 2, .lines = 1, .nfields = n, .fields = rf, .raw = "", .raw_len = 0 };
        hd_row_ctx ctx;
        hd_record *rec = calloc(1, sizeof *rec);
        int bad = -1;
        (void)hd_row_map(d, pos, nf, &row, hd_date_from_ymd(2026, 11, 28), &ctx, rec, &bad);
        free(rec);
    }
    hd_descriptor_free(d);
    return 0;
}
