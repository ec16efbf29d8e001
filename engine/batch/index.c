/*
 * index.c — `hedui index JOB.ini` (SPEC §11, hd_index_build): the index of
 * a night without a run. The pipeline's own stages (the job, policy, key
 * and descriptors loaded, the inputs hashed, the extracts scanned on a pool
 * of threads, the sources' damage decided exactly as the run decides it)
 * feed the index writer (report/ixwriter.c), which `hedui run` with
 * `[job] index = yes` feeds from its own scan instead.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "batch/stages.h"
#include "report/common.h"
#include "report/ixfile.h"
#include "util/path.h"
#include "util/pool.h"

#define logf_(o, ...) hd_logf((o) ? (o)->log : NULL, (o) ? (o)->log_user : NULL, __VA_ARGS__)

static int nthreads(const hd_index_opts *o)
{
    return hd_pool_threads(o ? o->threads : 0, 64);
}

typedef struct build {
    hd_results st;               /* job, policy, key, sources, inputs */
    ix_writer *w;
    hd_file_result *res;           /* per file ordinal */
    uint32_t nfiles;
    _Atomic uint32_t next;
    _Atomic int rc;
} build;

struct scan_ctx { build *b; ix_worker *k; int source; uint32_t ordinal; int pos[HD_F__COUNT]; };

static int on_row(void *user, hd_file_result *res, const hd_csv_record *row,
                  hd_record *rec, hd_reason reason, int bad_field)
{
    (void)bad_field;
    struct scan_ctx *c = user;
    if (reason == HD_R_NONE) {
        /* the newest data date of the file, for the staleness check (as the run) */
        hd_date t = HD_DATE_NONE;
        if (rec->v[HD_F_AS_OF].present) t = (hd_date)rec->v[HD_F_AS_OF].i;
        if (t != HD_DATE_NONE && t <= c->b->st.job->as_of && (res->newest == HD_DATE_NONE || t > res->newest))
            res->newest = t;
        res->ledger.rows_matched++;        /* "matched": kept in the index */
    }
    return ix_worker_row(c->k, c->ordinal, c->source, c->pos, row, rec, reason);
}

static void *scan_worker(void *arg)
{
    build *b = arg;
    struct scan_ctx c = { .b = b, .k = ix_writer_worker(b->w) };
    int rc = c.k ? HD_OK : HD_ESOFTWARE;
    for (;;) {
        uint32_t i = atomic_fetch_add(&b->next, 1);
        if (i >= b->nfiles || rc) break;
        c.source = b->res[i].source;
        c.ordinal = i;
        for (int f = 0; f < HD_F__COUNT; f++) c.pos[f] = -1;
        rc = hd_scan_file(b->st.src[c.source].desc, b->st.job->as_of, &b->res[i], on_row, &c, NULL, c.pos);
    }
    if (!rc) rc = ix_worker_done(c.k);
    if (rc) {                      /* the first failure is kept */
        int none = 0;
        atomic_compare_exchange_strong(&b->rc, &none, rc);
    }
    return NULL;
}


static void free_build(build *b)
{
    hd_results *st = &b->st;
    ix_writer_free(b->w);
    if (st->src) {
        for (int i = 0; i < st->job->nsources; i++) {
            hd_descriptor_free(st->src[i].desc);
            hd_path_list_free(st->src[i].files, st->src[i].nfiles);
        }
        free(st->src);
    }
    for (uint32_t i = 0; i < b->nfiles; i++) hd_file_result_free(&b->res[i]);
    free(b->res);
    for (uint32_t i = 0; i < st->ninputs; i++) free(st->inputs[i].path);
    free(st->inputs);
    hd_policy_free(st->policy);
    hd_key_wipe(&st->key);
    hd_job_free(st->job);
}

int hd_index_build(const char *job_path, const hd_index_opts *opts, hd_index_result *res, hd_error *err)
{
    build bb, *b = &bb;
    memset(b, 0, sizeof *b);
    memset(res, 0, sizeof *res);
    hd_results *st = &b->st;
    hd_error_clear(err);
    umask(077);
    int rc;
    if ((rc = hd_job_load(&st->job, job_path, hd_run_today(), err)) != HD_OK) return rc;
    hd_job *job = st->job;
    /* previous = latest, resolved as the run resolves it: ROWS_DROPPED
     * damages a source here exactly when it does in the run */
    if (job->previous_latest && (rc = hd_run_resolve_latest(job, job->previous, sizeof job->previous, err)) != HD_OK) goto out;
    if ((rc = hd_policy_load(&st->policy, job->policy, err)) != HD_OK) goto out;
    if ((rc = hd_key_load_master(&st->key, job->key, err)) != HD_OK) goto out;
    st->have_key = 1;
    if (*job->signing_key && access(job->signing_key, R_OK) != 0) {
        rc = hd_fail(err, errno == ENOENT ? HD_ENOINPUT : HD_ECONFIG, "%s: signing key cannot be read: %s",
                     job->signing_key, strerror(errno));
        goto out;
    }
    {   /* the populations' descriptors are copied for lookup: they must load */
        const char *fmts[3] = { job->applicants_format, *job->roster_glob ? job->roster_format : NULL,
                                *job->monitor_glob ? job->monitor_format : NULL };
        for (int p = 0; p < 3; p++) {
            if (!fmts[p]) continue;
            hd_descriptor *ad = NULL;
            if ((rc = hd_descriptor_load(&ad, fmts[p], err)) != HD_OK) goto out;
            int kind = ad->kind;
            hd_descriptor_free(ad);
            if (kind != HD_KIND_APPLICANTS) {
                rc = hd_fail(err, HD_ECONFIG, "%s: %s must be of kind applicants", fmts[p],
                             p == 0 ? "applicants_format" : p == 1 ? "roster_format" : "monitor_format");
                goto out;
            }
        }
    }
    st->src = calloc((size_t)job->nsources + 1, sizeof *st->src);
    if (!st->src) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); goto out; }
    for (int i = 0; i < job->nsources; i++) {
        if ((rc = hd_descriptor_load(&st->src[i].desc, job->sources[i].format_path, err)) != HD_OK) goto out;
        if (st->src[i].desc->kind == HD_KIND_APPLICANTS) {
            rc = hd_fail(err, HD_ECONFIG, "%s: source \"%s\" cannot be of kind applicants", job->path, job->sources[i].name);
            goto out;
        }
        if (st->src[i].desc->id_token && !*job->sources[i].provider) {
            rc = hd_fail(err, HD_ECONFIG, "%s:%d: source \"%s\" is tokenised (id_form = token) and its name is too long to name its provider: set provider = NAME",
                         job->path, job->sources[i].line, job->sources[i].name);
            goto out;
        }
    }
    for (int i = 0; i < job->nsources; i++) {
        if ((rc = hd_path_glob(job->sources[i].files_glob, &st->src[i].files, &st->src[i].nfiles, err)) != HD_OK) goto out;
        st->src[i].first_result = b->nfiles;
        b->nfiles += (uint32_t)st->src[i].nfiles;
    }
    b->res = calloc(b->nfiles + 1, sizeof *b->res);
    if (!b->res) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); goto out; }
    for (int s = 0; s < job->nsources; s++)
        for (int f = 0; f < st->src[s].nfiles; f++) {
            uint32_t r = st->src[s].first_result + (uint32_t)f;
            b->res[r].path = st->src[s].files[f];
            b->res[r].source = s;
            b->res[r].index = r;
        }
    /* inputs (the writer takes its own list from them): policy, standards,
     * descriptors, extracts */
    rc = hd_results_add_input(st, job->policy, 0, err);
    if (!rc) rc = hd_results_add_input(st, st->policy->standards_path, 0, err);
    if (!rc) rc = hd_results_add_input(st, job->applicants_format, 0, err);
    if (!rc && *job->roster_glob) rc = hd_results_add_input(st, job->roster_format, 0, err);
    if (!rc && *job->monitor_glob) rc = hd_results_add_input(st, job->monitor_format, 0, err);
    for (int s = 0; !rc && s < job->nsources; s++) rc = hd_results_add_input(st, job->sources[s].format_path, 0, err);
    for (uint32_t r = 0; !rc && r < b->nfiles; r++) rc = hd_results_add_input(st, b->res[r].path, 1, err);
    if (!rc) rc = hd_run_hash_inputs(st, nthreads(opts), err);
    if (!rc) rc = ix_writer_new(&b->w, st, 0, opts, res, err);
    if (rc) goto out;
    if (res->reused) {
        logf_(opts, HD_LOG_INFO, "index_exists", "%s exists and verifies; nothing rebuilt (use --force to rebuild)", res->outdir);
        goto out;
    }

    /* scan */
    int nt = nthreads(opts);
    if ((uint32_t)nt > b->nfiles) nt = b->nfiles ? (int)b->nfiles : 1;
    hd_pool_run(nt, scan_worker, b);
    if (b->rc) {
        rc = hd_fail(err, b->rc, b->rc == HD_EIO ? "%s: cannot write a spill file: %s" : "%s: out of memory while indexing (%s)",
                     job->output, strerror(errno));
        goto out;
    }
    /* the sources' damage exactly as the run decides it (batch/damage.c) */
    hd_run_previous_rows(st);
    for (int s = 0; s < job->nsources; s++) hd_run_source_decide(st, s, b->res);
    hd_run_kinds_decide(st);
    for (int s = 0; s < job->nsources; s++)
        if (st->src[s].damage != HD_R_NONE)
            logf_(opts, HD_LOG_ERROR, "source_damaged", "source %s is damaged: %s", job->sources[s].name, st->src[s].damage_msg);
    if ((rc = ix_writer_finish(b->w, st, res, err)) != HD_OK) goto out;
    for (uint32_t i = 0; i < b->nfiles; i++) {
        res->rows += b->res[i].ledger.rows;
        res->rows_quarantined += b->res[i].ledger.rows_quarantined;
    }
    rc = st->damaged ? HD_EDAMAGED : HD_OK;
    if (st->damaged) hd_fail(err, HD_EDAMAGED, "the index is written, but at least one source is damaged: every household it judges is at least REVIEW (SOURCE_INCOMPLETE)");
out:
    free_build(b);
    return rc;
}
