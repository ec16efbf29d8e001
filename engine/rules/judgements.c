/*
 * judgements.c — the judgement store (judgements.h).
 */
#include <stdlib.h>
#include <string.h>
#include "rules/judgements.h"
#include "util/varint.h"

_Static_assert(HD_FD__COUNT <= 32, "hd_judged.findings holds every finding");

static uint8_t *jput(uint8_t *p, int64_t v) { return hd_varint_put(p, hd_zigzag(v)); }
static int64_t jget(const uint8_t **pp) { return hd_unzigzag(hd_varint_get(pp)); }

int hd_judgements_init(hd_judgements *js, uint32_t n, hd_error *err)
{
    memset(js, 0, sizeof *js);
    js->kept = calloc((size_t)n + 1, sizeof *js->kept);
    js->figures_at = calloc((size_t)n + 1, sizeof *js->figures_at);
    if (!js->kept || !js->figures_at) {
        hd_judgements_free(js);
        return hd_fail(err, HD_ESOFTWARE, "out of memory");
    }
    js->n = n;
    return HD_OK;
}

int hd_judgements_keep(hd_judgements *js, uint32_t h, const hd_judgement *j, hd_error *err)
{
    enum { MAX = 9 * 10 };             /* nine varints of at most 10 bytes */
    if (h >= js->n) return hd_fail(err, HD_ESOFTWARE, "judgement store: household %u of %u", h, js->n);
    if (js->capfigures - js->nfigures < MAX) {
        size_t cap = js->capfigures ? js->capfigures * 2 : 65536;
        uint8_t *p = realloc(js->figures, cap);
        if (!p) return hd_fail(err, HD_ESOFTWARE, "out of memory");
        js->figures = p; js->capfigures = cap;
    }
    if (js->nfigures > UINT32_MAX)
        return hd_fail(err, HD_ESOFTWARE, "too many households for the judgement store");
    js->kept[h].findings = j->findings;
    js->kept[h].verdict = (uint8_t)j->verdict;
    js->figures_at[h] = (uint32_t)js->nfigures;
    uint8_t *p = js->figures + js->nfigures;
    p = jput(p, j->standard_fen);
    p = jput(p, j->household_income_fen);
    p = jput(p, j->income_per_capita_fen);
    p = jput(p, j->assets_fen);
    p = jput(p, j->assets_per_capita_fen);
    p = jput(p, j->homes);
    p = jput(p, j->residential_area);
    p = jput(p, j->vehicles);
    p = jput(p, j->businesses);
    js->nfigures = (size_t)(p - js->figures);
    if (h + 1 == js->n && js->nfigures < js->capfigures) {
        /* the last one: give back the doubling's spare room */
        uint8_t *q = realloc(js->figures, js->nfigures ? js->nfigures : 1);
        if (q) { js->figures = q; js->capfigures = js->nfigures ? js->nfigures : 1; }
    }
    return HD_OK;
}

void hd_judgements_get(const hd_judgements *js, uint32_t h, hd_judgement *out)
{
    const uint8_t *p = js->figures + js->figures_at[h];
    out->findings = js->kept[h].findings;
    out->verdict = (hd_verdict)js->kept[h].verdict;
    out->standard_fen = jget(&p);
    out->household_income_fen = jget(&p);
    out->income_per_capita_fen = jget(&p);
    out->assets_fen = jget(&p);
    out->assets_per_capita_fen = jget(&p);
    out->homes = (int32_t)jget(&p);
    out->residential_area = jget(&p);
    out->vehicles = (int32_t)jget(&p);
    out->businesses = (int32_t)jget(&p);
}

void hd_judgements_free(hd_judgements *js)
{
    if (!js) return;
    free(js->kept);
    free(js->figures);
    free(js->figures_at);
    memset(js, 0, sizeof *js);
}
