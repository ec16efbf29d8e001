/*
 * results.c — what belongs to the finished run itself (results.h): the
 * output order every writer follows, and freeing a per-file result.
 */
#include <stdlib.h>
#include <string.h>
#include "report/common.h"
#include "report/results.h"
#include "util/arena.h"
#include "util/path.h"

void hd_file_result_free(hd_file_result *r)
{
    if (!r) return;
    free(r->q);
    free(r->recs);
    free(r->div);
    free(r->unread);
    hd_arena_free(r->arena);
    hd_arena_free(r->rec_arena);
    memset(r, 0, sizeof *r);
}

int hd_results_order(hd_results *st, hd_error *err)
{
    const hd_model *m = st->m;
    char **counties = malloc(((size_t)m->nhouseholds + 1) * sizeof *counties);
    uint32_t *order = malloc(((size_t)m->nhouseholds + 1) * sizeof *order);
    uint32_t *rank = malloc(((size_t)m->nhouseholds + 1) * sizeof *rank);
    uint32_t *start = NULL;
    if (!counties || !order || !rank) goto oom;
    uint32_t nc = 0;
    for (uint32_t h = 0; h < m->nhouseholds; h++) counties[nc++] = (char *)m->households[h].county_code;
    qsort(counties, nc, sizeof *counties, hd_report_cmp_str);
    uint32_t u = 0;
    for (uint32_t i = 0; i < nc; i++)
        if (u == 0 || strcmp(counties[u - 1], counties[i])) counties[u++] = counties[i];
    nc = u;
    start = calloc(nc + 2, sizeof *start);
    if (!start) goto oom;
    /* counting sort by county rank keeps household order within a county */
    for (uint32_t h = 0; h < m->nhouseholds; h++) {
        const char *key = m->households[h].county_code;
        char **hit = bsearch(&key, counties, nc, sizeof *counties, hd_report_cmp_str);
        rank[h] = (uint32_t)(hit - counties);
        start[rank[h] + 1]++;
    }
    for (uint32_t c = 0; c < nc; c++) start[c + 1] += start[c];
    uint32_t *fill = rank;              /* reuse: rank[h] -> position */
    uint32_t *cursor = malloc((nc + 1) * sizeof *cursor);
    if (!cursor) goto oom;
    memcpy(cursor, start, (nc + 1) * sizeof *cursor);
    for (uint32_t h = 0; h < m->nhouseholds; h++) order[cursor[fill[h]]++] = h;
    free(cursor);
    free(rank);
    st->counties = counties;
    st->ncounties = nc;
    st->order = order;
    st->county_first = start;
    return HD_OK;
oom:
    free(counties); free(order); free(rank); free(start);
    return hd_fail(err, HD_ESOFTWARE, "out of memory");
}

int hd_results_member_findings(hd_results *st, hd_error *err)
{
    const hd_model *m = st->m;
    uint32_t *bits = malloc(((size_t)m->nmembers + 1) * sizeof *bits);
    if (!bits) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    for (uint32_t i = 0; i < m->nmembers; i++) bits[i] = hd_report_records_findings(m, &m->members[i]);
    free(st->member_findings);
    st->member_findings = bits;
    return HD_OK;
}

/* One input of the run (or the index) by path, once: a path already listed
 * is not added again. HD_ESOFTWARE on out of memory. */
int hd_results_add_input(hd_results *st, const char *path, int extract, hd_error *err)
{
    for (uint32_t i = 0; i < st->ninputs; i++)
        if (!strcmp(st->inputs[i].path, path)) return HD_OK;
    hd_input *n = realloc(st->inputs, (st->ninputs + 1) * sizeof *n);
    if (!n) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    st->inputs = n;
    hd_input *in = &n[st->ninputs];
    memset(in, 0, sizeof *in);
    in->path = strdup(path);
    if (!in->path) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    in->rel = hd_path_rel(in->path, st->job->dir);
    in->extract = extract;
    st->ninputs++;
    return HD_OK;
}

void hd_inputs_digest_update(hd_sha256 *h, const hd_input *in, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        hd_sha256_update(h, in[i].rel, strlen(in[i].rel));
        hd_sha256_update(h, "\t", 1);
        hd_sha256_update(h, in[i].sha256, strlen(in[i].sha256));
        hd_sha256_update(h, "\n", 1);
    }
}

uint64_t hd_ledger_by_reason_total(const hd_ledger *l)
{
    uint64_t n = 0;
    for (int k = 0; k < HD_R__COUNT; k++) n += l->by_reason[k];
    return n;
}
