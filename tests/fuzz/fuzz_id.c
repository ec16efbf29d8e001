/* fuzz_id — hd_id_normalise (with an as_of and without) and
 * hd_token_normalise over the whole input. On success the normalised ID
 * is 17 digits + a correct check character and the token 64 lower-case
 * hex digits; the masks are computed too. */
#include "fuzz_common.h"
#include "hedui/ident.h"

static void check_id(const hd_id *id)
{
    FZ_ASSERT(strlen(id->s) == 18);
    for (int i = 0; i < 17; i++) FZ_ASSERT(id->s[i] >= '0' && id->s[i] <= '9');
    FZ_ASSERT(hd_id_check_char(id->s) == id->s[17]);
    char mask[19];
    hd_id_mask(id, mask);
    FZ_ASSERT(strlen(mask) == 18);
    (void)hd_division_known(id->s);
    (void)hd_division_name(id->s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    hd_id id;
    if (hd_id_normalise(s, size, hd_date_from_ymd(2026, 11, 28), &id) == HD_R_NONE) check_id(&id);
    if (hd_id_normalise(s, size, HD_DATE_NONE, &id) == HD_R_NONE) check_id(&id);
    char tok[65];
    if (hd_token_normalise(s, size, tok) == HD_R_NONE) {
        FZ_ASSERT(strlen(tok) == 64);
        for (int i = 0; i < 64; i++)
            FZ_ASSERT((tok[i] >= '0' && tok[i] <= '9') || (tok[i] >= 'a' && tok[i] <= 'f'));
    }
    char am[32];
    hd_account_mask(s, size, am, sizeof am);
    FZ_ASSERT(memchr(am, 0, sizeof am) != NULL);
    hd_account_mask(s, size, am, 3);
    FZ_ASSERT(memchr(am, 0, 3) != NULL);
    (void)hd_is_excel_mangled(s, size);
    return 0;
}
