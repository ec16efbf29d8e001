/* fuzz_applicants — the input is written as an applicant CSV and loaded
 * with the repository's formats/applicants.fmt through hd_load_applicants
 * (engine/batch/stages.h) into a model with a fixed test key; the model
 * is then indexed. The row ledger must balance. The descriptor is found
 * at $HEDUI_APPLICANTS_FMT, else HD_REPO_ROOT/formats/applicants.fmt. */
#include "fuzz_common.h"
#include "batch/stages.h"

static hd_descriptor *desc;
static hd_key key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc; (void)argv;
    const char *fmt = getenv("HEDUI_APPLICANTS_FMT");
    char buf[4096];
    if (!fmt) { snprintf(buf, sizeof buf, "%s/formats/applicants.fmt", HD_REPO_ROOT); fmt = buf; }
    hd_error err;
    if (hd_descriptor_load(&desc, fmt, &err) != HD_OK) {
        fprintf(stderr, "fuzz_applicants: %s\n", err.message);
        exit(1);
    }
    snprintf(key.id, sizeof key.id, "kfuzz000000");
    for (int i = 0; i < 32; i++) key.bytes[i] = (unsigned char)i;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write("applicants.csv", data, size);
    hd_model *m = hd_model_new();
    if (!m) abort();
    char *files[1] = { (char *)path };
    hd_file_result res;
    memset(&res, 0, sizeof res);
    res.path = path;
    res.source = -1;
    hd_error err;
    hd_error_clear(&err);
    int st = hd_load_applicants(m, desc, files, 1, hd_date_from_ymd(2026, 11, 28), &key, NULL, &res, &err);
    if (st == HD_OK) {
        hd_ledger *l = &res.ledger;
        FZ_ASSERT(l->rows == l->rows_ok + l->rows_quarantined);
        for (uint32_t h = 0; h < m->nhouseholds; h++) {
            hd_household *hh = &m->households[h];
            FZ_ASSERT(hh->first_member + hh->nmembers <= m->nmembers);
            fz_touch(hh->county_code, strlen(hh->county_code));
            fz_touch(hh->application_id, strlen(hh->application_id));
        }
        for (uint32_t i = 0; i < res.nq; i++) fz_touch(res.q[i].raw, res.q[i].raw_len);
        if (hd_model_index(m, &err) == HD_OK)
            for (uint32_t i = 0; i < m->nmembers; i++)
                if (m->members[i].rejected == HD_R_NONE)
                    FZ_ASSERT(hd_model_find_id(m, m->members[i].id.s) != HD_NONE);
    }
    hd_file_result_free(&res);
    hd_model_free(m);
    return 0;
}
