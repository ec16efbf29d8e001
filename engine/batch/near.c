/*
 * near.c — the near-miss pass of SPEC §9: an extract row quarantined
 * because its ID fails the check character (ID_CHECK) is compared with
 * the applicant members' IDs one substitution or one swap of two adjacent
 * characters away from it, and with their names (SPEC §6 Names).
 *
 * Cost: no work per applicant. MOD 11-2 leaves each position at most one
 * character that makes a typo'd ID valid again, so a row has at most 35
 * candidate IDs (hd_id_near_candidates: about 170 additions and 17 check
 * characters); those that are valid IDs (birth date, province) are each
 * looked up in the model's ID hash like any extract row's ID; only a candidate that is a member's ID costs a name
 * comparison. It runs only for ID_CHECK rows, inside the scan, on the
 * scanning thread (docs/performance.md, "Near misses").
 */
#include <stdlib.h>
#include <string.h>
#include "batch/internal.h"
#include "hedui/ident.h"
#include "hedui/rules.h"
#include "hedui/text.h"

int hd_near_miss_row(const hd_model *m, hd_file_result *res, const hd_csv_record *row,
                     int idpos, int namepos, hd_date as_of)
{
    if (idpos < 0 || namepos < 0 || (size_t)idpos >= row->nfields || (size_t)namepos >= row->nfields)
        return HD_OK;                  /* no name to compare: no near miss */
    const char *s = row->fields[idpos].p, *name = row->fields[namepos].p;
    size_t n = row->fields[idpos].n, nn = row->fields[namepos].n;
    hd_cell_clean(&s, &n);
    hd_cell_clean(&name, &nn);
    if (n == 0 || nn == 0) return HD_OK;
    hd_id_near c[HD_NEAR_MAX];
    int k = hd_id_near_candidates(s, n, c);
    int counted = 0;
    for (int i = 0; i < k; i++) {
        /* only a valid ID can be a member's: a candidate whose birth date
         * or province is impossible is not looked up (cheaper than the
         * probe, a cache miss in the ID hash) */
        hd_id valid;
        if (hd_id_normalise(c[i].id.s, 18, as_of, &valid) != HD_R_NONE) continue;
        for (uint32_t mi = hd_model_find_id(m, c[i].id.s); mi != HD_NONE; mi = m->members[mi].next_same_id) {
            const hd_member *mb = &m->members[mi];
            if (!hd_names_equal(name, nn, mb->name, strlen(mb->name))) continue;
            if (res->nunread == res->capunread) {
                uint32_t cap = res->capunread ? res->capunread * 2 : 16;
                struct hd_unread *u = realloc(res->unread, (size_t)cap * sizeof *u);
                if (!u) return HD_ESOFTWARE;
                res->unread = u; res->capunread = cap;
            }
            /* a substitution: the row's own character there */
            int ch = c[i].kind == HD_NEAR_SUBST ? (c[i].row_char == 'X' ? 10 : c[i].row_char - '0') : 0;
            res->unread[res->nunread++] = (struct hd_unread){ mi, row->line, HD_R_ID_CHECK,
                                                             hd_unread_near(c[i].kind, c[i].pos, ch) };
            counted = 1;
        }
    }
    if (counted) res->ledger.rows_quarantined_matched++;
    return HD_OK;
}
