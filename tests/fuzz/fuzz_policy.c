/* fuzz_policy — hd_policy_load. The input is split at the first
 * "\n%%standards%%\n": before it the policy file, after it standards.csv
 * (written beside the policy; empty when the marker is absent). A policy
 * that loads is asked for a few standards. */
#include "fuzz_common.h"
#include "hedui/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char marker[] = "\n%%standards%%\n";
    size_t cut = fz_find(data, size, marker);
    size_t rest = cut < size ? cut + strlen(marker) : size;
    const char *path = fz_write("p.policy", data, cut);
    fz_write("standards.csv", data + rest, size - rest);
    hd_policy *p = NULL;
    hd_error err;
    hd_error_clear(&err);
    int st = hd_policy_load(&p, path, &err);
    FZ_ASSERT(memchr(err.message, 0, sizeof err.message) != NULL);
    if (st != HD_OK) return 0;
    static const char *codes[] = { "530102", "530100", "530000", "110101", "53010", "abcdef" };
    for (int i = 0; i < 6; i++) {
        int64_t fen;
        (void)hd_standard_lookup(p, codes[i], 2026, i & 1, &fen);
        (void)hd_standard_lookup(p, codes[i], -1, 1, &fen);
    }
    hd_policy_free(p);
    return 0;
}
