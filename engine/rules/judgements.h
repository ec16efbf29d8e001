/*
 * judgements.h — the judgement store: every household's hd_judgement of a
 * run, kept small (docs/performance.md, "Memory at province scale").
 *
 * What every writer reads often (verdict and findings) stays in a plain
 * array of 4-byte hd_judged; the figures of the judgement (standard,
 * income, assets, homes, ...) are packed as zigzag LEB128 varints, about 20
 * bytes a household instead of 64, and unpacked on demand by
 * hd_judgements_get. Households are kept in index order, once each.
 *
 * Thread-safety: filled by one thread; once filled, any number of threads
 * may read it at the same time (hd_judgements_get is reentrant).
 */
#ifndef HEDUI_RULES_JUDGEMENTS_H
#define HEDUI_RULES_JUDGEMENTS_H

#include <stddef.h>
#include <stdint.h>
#include "hedui/rules.h"

/* What the writers keep of a household's judgement besides its figures:
 * 8 bytes instead of the 72 of an hd_judgement (docs/performance.md,
 * "Memory at province scale"). */
typedef struct hd_judged {
    uint32_t findings;             /* hd_judgement.findings */
    uint8_t verdict;               /* hd_verdict */
} hd_judged;

typedef struct hd_judgements {
    uint32_t n;                    /* households the store is for */
    hd_judged *kept;               /* [n]: verdict and findings; the register's
                                      suppression may lower them in place */
    uint8_t *figures; size_t nfigures, capfigures;
    uint32_t *figures_at;          /* [n]: household h's figures start at
                                      figures[figures_at[h]] */
} hd_judgements;

/* Makes *js a store for n households (all ELIGIBLE, no findings, until
 * kept). @return HD_OK or HD_ESOFTWARE (out of memory). */
int hd_judgements_init(hd_judgements *js, uint32_t n, hd_error *err);

/* Keeps household h's judgement; h is the number of households kept so
 * far (call in household order). @return HD_OK, or HD_ESOFTWARE on out of
 * memory or beyond 4 GiB of figures. */
int hd_judgements_keep(hd_judgements *js, uint32_t h, const hd_judgement *j, hd_error *err);

/* The judgement of household h, as kept (verdict and findings as they are
 * now in kept[h]), into *out. Reentrant. */
void hd_judgements_get(const hd_judgements *js, uint32_t h, hd_judgement *out);

/* Frees what the store holds; *js is zeroed. NULL-safe. */
void hd_judgements_free(hd_judgements *js);

#endif
