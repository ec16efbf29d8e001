/*
 * batch.c — `hedui run`: the pipeline of ARCHITECTURE.md.
 *
 *   job -> policy + standards, key, descriptors -> inputs hashed (input
 *   digest names the output directory) -> applicants -> join index ->
 *   extract files scanned by a pool of threads (one file per worker at a
 *   time; the index is read-only) -> per-file results merged in the fixed
 *   order (source order, then file name order) -> rules -> writers ->
 *   manifest + signature -> rename of the temporary directory.
 *
 * Determinism: nothing depends on which thread read which file or when;
 * no clock or host name is written into the outputs.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "batch/internal.h"
#include "register/reg_run.h"
#include "hedui/ident.h"
#include "hedui/index.h"
#include "hedui/verify.h"
#include "io/outdir.h"
#include "report/common.h"
#include "report/ixfile.h"
#include "util/path.h"
#include "util/pool.h"
#include "util/strmap.h"

#define logf_(o, ...) hd_logf((o) ? (o)->log : NULL, (o) ? (o)->log_user : NULL, __VA_ARGS__)

/* ------------------------------------------------------------ extracts */

struct scan_job {
    hd_results *st;
    int source;
    hd_date as_of;
    int pos[HD_F__COUNT];          /* bound columns of the file */
    struct ix_worker *ixk;         /* [job] index = yes: this thread's index writer */
    uint64_t id_hash;              /* this row's ID's hash (prefetch_id), */
    int id_hashed;                 /* when set for this row */
};

/* SPEC §7 "Quarantined evidence reaches its household": the ID cell of a
 * quarantined row read alone; a member's ID (or token) keeps the row
 * quarantined and flags the member's household at the merge. */
static int unreadable_row(struct scan_job *sj, hd_file_result *res, const hd_csv_record *row,
                          hd_reason reason, int bad_field)
{
    int pos = sj->pos[HD_F_ID_NUMBER];
    int token = sj->st->src[sj->source].desc->id_token;
    const char *s = NULL;
    size_t n = 0;
    if (pos >= 0 && (size_t)pos < row->nfields) {
        s = row->fields[pos].p;
        n = row->fields[pos].n;
        hd_cell_clean(&s, &n);
    }
    if (!token && bad_field == HD_F_ID_NUMBER && s &&
        (reason == HD_R_EXCEL_MANGLED || (reason == HD_R_ID_CHECK && n >= 3 && !memcmp(s + n - 3, "000", 3))))
        res->id_damage = 1;
    if (!s || n == 0) return HD_OK;
    const hd_model *m = sj->st->m;
    uint32_t mi = HD_NONE;
    if (token) {
        char t[65];
        if (hd_token_normalise(s, n, t) == HD_R_NONE) {
            /* the provider's tokens under the current, then the previous master (SPEC §8) */
            const hd_provider_keys *pk = &sj->st->providers[sj->st->src[sj->source].provider];
            mi = hd_model_find_token(m, pk->map[0], t);
            if (mi == HD_NONE && pk->map[1] >= 0) mi = hd_model_find_token(m, pk->map[1], t);
        }
    } else {
        hd_id id;
        hd_reason why = hd_id_normalise(s, n, sj->as_of, &id);
        if (why == HD_R_NONE) mi = hd_model_find_id(m, id.s);
        /* SPEC §9: a typo'd ID with a member's name (near.c) */
        else if (why == HD_R_ID_CHECK) return hd_near_miss_row(m, res, row, pos, sj->pos[HD_F_NAME], sj->as_of);
    }
    if (mi == HD_NONE) return HD_OK;
    if (token) mi = hd_model_find_id(m, m->members[mi].id.s);
    res->ledger.rows_quarantined_matched++;
    for (; mi != HD_NONE; mi = m->members[mi].next_same_id) {
        if (res->nunread == res->capunread) {
            uint32_t cap = res->capunread ? res->capunread * 2 : 16;
            struct hd_unread *u = realloc(res->unread, (size_t)cap * sizeof *u);
            if (!u) return HD_ESOFTWARE;
            res->unread = u; res->capunread = cap;
        }
        res->unread[res->nunread++] = (struct hd_unread){ mi, row->line, reason, 0 };
    }
    return HD_OK;
}

/* Seconds on the monotonic clock, for the stage times in the log. */
/* Seconds on clock id: CLOCK_MONOTONIC (wall), CLOCK_THREAD_CPUTIME_ID
 * (the calling thread's CPU) */
static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_s(void) { return clock_s(CLOCK_MONOTONIC); }

static int extract_row(void *user, hd_file_result *res, const hd_csv_record *row,
                       hd_record *rec, hd_reason reason, int bad_field);

/* Every row to the run, then, with [job] index = yes, to the index (the
 * same pass, SPEC §11). */
static int on_extract_row(void *user, hd_file_result *res, const hd_csv_record *row,
                          hd_record *rec, hd_reason reason, int bad_field)
{
    struct scan_job *sj = user;
    int rc = extract_row(user, res, row, rec, reason, bad_field);
    sj->id_hashed = 0;        /* the hash was this row's */
    if (rc == HD_OK && sj->ixk) rc = hd_run_index_row(sj->ixk, res->index, sj->source, sj->pos, row, rec, reason);
    return rc;
}

static int extract_row(void *user, hd_file_result *res, const hd_csv_record *row,
                       hd_record *rec, hd_reason reason, int bad_field)
{
    struct scan_job *sj = user;
    if (reason != HD_R_NONE) return unreadable_row(sj, res, row, reason, bad_field);
    const hd_model *m = sj->st->m;
    const hd_value *idv = &rec->v[HD_F_ID_NUMBER];
    int token = sj->st->src[sj->source].desc->id_token;
    if (!token && idv->n >= 18 && !memcmp(idv->s + 15, "000", 3)) res->ids_000++;
    uint32_t mi;
    if (token) {
        /* the provider's tokens under the current master's key, then,
         * during a rotation, under the previous master's (SPEC §8) */
        const hd_provider_keys *pk = &sj->st->providers[sj->st->src[sj->source].provider];
        int k = 0;
        mi = hd_model_find_token(m, pk->map[0], idv->s);
        if (mi == HD_NONE && pk->map[1] >= 0) { mi = hd_model_find_token(m, pk->map[1], idv->s); k = 1; }
        if (mi != HD_NONE) res->matched_by_key[k]++;
        /* one token is one ID: continue on the ID's chain so that a person
         * in two applications gets the record in both */
        if (mi != HD_NONE) mi = hd_model_find_id(m, m->members[mi].id.s);
    } else {
        mi = sj->id_hashed ? hd_model_find_id_hashed(m, idv->s, sj->id_hash) : hd_model_find_id(m, idv->s);
    }
    /* the newest data date of the file, for the staleness check */
    hd_date t = HD_DATE_NONE;
    if (rec->v[HD_F_AS_OF].present) t = (hd_date)rec->v[HD_F_AS_OF].i;
    if (t != HD_DATE_NONE && t <= sj->as_of && (res->newest == HD_DATE_NONE || t > res->newest))
        res->newest = t;
    if (mi == HD_NONE) { res->ledger.rows_unmatched++; return HD_OK; }
    res->ledger.rows_matched++;
    hd_file_result_division(res, m->members[mi].id.s);
    if (!res->rec_arena && !(res->rec_arena = hd_arena_new())) return HD_ESOFTWARE;
    for (; mi != HD_NONE; mi = m->members[mi].next_same_id) {
        if (res->nrecs == res->caprecs) {
            uint32_t cap = res->caprecs ? res->caprecs * 2 : 256;
            hd_stored_record **r = realloc(res->recs, (size_t)cap * sizeof *r);
            if (!r) return HD_ESOFTWARE;
            res->recs = r; res->caprecs = cap;
        }
        hd_stored_record *sr = hd_model_pack(m, res->rec_arena, rec, (uint16_t)sj->source, res->index, mi);
        if (!sr) return HD_ESOFTWARE;
        res->recs[res->nrecs++] = sr;
    }
    return HD_OK;
}

struct pool {
    hd_results *st;
    _Atomic uint32_t next;
    const uint32_t *list;      /* the extract files' result indices */
    uint32_t count;
    int *source_of;            /* per result */
    uint32_t *sched;           /* results in the order workers take them:
                                  largest file first, so that no worker is
                                  left with one big file at the end */
    hd_scan_shared shared;
    int rc;
    pthread_mutex_t mu;
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    struct ix_worker *ixk = hd_run_index_worker(p->st);
    if (p->st->ixw && !ixk) {
        pthread_mutex_lock(&p->mu);
        if (p->rc == HD_OK) p->rc = HD_ESOFTWARE;
        pthread_mutex_unlock(&p->mu);
    }
    for (;;) {
        uint32_t i = atomic_fetch_add(&p->next, 1);
        if (i >= p->count) break;
        uint32_t r = p->sched ? p->sched[i] : p->list[i];
        struct scan_job sj = { .st = p->st, .source = p->source_of[r], .as_of = p->st->job->as_of, .ixk = ixk };
        for (int f = 0; f < HD_F__COUNT; f++) sj.pos[f] = -1;
        hd_file_result *res = &p->st->results[r];
        int rc = hd_scan_file(p->st->src[sj.source].desc, sj.as_of, res, on_extract_row, &sj,
                              &p->shared, sj.pos);
        if (res->id_damage) res->ledger.ids_suspect = res->ids_000;
        if (rc != HD_OK) {
            pthread_mutex_lock(&p->mu);
            if (p->rc == HD_OK) p->rc = rc;
            pthread_mutex_unlock(&p->mu);
        }
    }
    hd_cores_give(p->shared.cores);     /* no file left for this worker */
    if (hd_run_index_done(ixk) != HD_OK) {
        pthread_mutex_lock(&p->mu);
        if (p->rc == HD_OK) p->rc = HD_ESOFTWARE;
        pthread_mutex_unlock(&p->mu);
    }
    return NULL;
}

struct progress_ctx { struct pool *p; uint64_t total; int done; pthread_mutex_t mu; pthread_cond_t cv; };

static void *progress_thread(void *arg)
{
    struct progress_ctx *pc = arg;
    const hd_run_opts *o = pc->p->st->opts;
    pthread_mutex_lock(&pc->mu);
    while (!pc->done) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 200 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&pc->cv, &pc->mu, &ts);
        if (pc->done) break;
        o->progress(o->progress_user, atomic_load(&pc->p->shared.bytes_done), pc->total,
                    atomic_load(&pc->p->shared.rows_done));
    }
    pthread_mutex_unlock(&pc->mu);
    return NULL;
}

/* A row's ID is known: its part of the join index is fetched while the
 * row's other cells are read (extract_row probes it after them, with the
 * hash worked out here). */
static void prefetch_id(void *user, const char *id18)
{
    struct scan_job *sj = user;
    sj->id_hash = hd_model_prefetch_id(sj->st->m, id18);
    sj->id_hashed = 1;
}

/* Scans the extract files results[list[0..count)) (all of a run's, or a
 * part's share) into their results. */
static int scan_extracts(hd_results *st, const uint32_t *list, uint32_t count, int *source_of,
                         hd_error *err)
{
    struct pool p;
    memset(&p, 0, sizeof p);
    p.st = st; p.list = list; p.count = count; p.source_of = source_of;
    atomic_init(&p.next, 0);
    atomic_init(&p.shared.bytes_done, 0);
    atomic_init(&p.shared.rows_done, 0);
    pthread_mutex_init(&p.mu, NULL);
    int nt = hd_pool_threads(st->opts ? st->opts->threads : 0, 256);
    int nreq = nt;
    if ((uint32_t)nt > count) nt = count ? (int)count : 1;
    /* -jN means at most N busy threads. Decoding ahead (engine/io/reader.c)
     * runs only on a core no worker uses: the cores asked for beyond the
     * number of files, then each worker's core once it has no file left;
     * so never at -j1, and a single large file at -j2 is decoded on one
     * core while it is parsed on the other. Outputs never depend on it. */
    p.shared.cores = hd_cores_new(nreq > nt ? nreq - nt : 0);
    p.shared.id_known = prefetch_id;
    struct progress_ctx pc = { .p = &p };
    pthread_t prog;
    int have_prog = 0;
    if (st->opts && st->opts->progress) {
        for (uint32_t i = 0; i < count; i++) {
            struct stat sb;
            if (stat(st->results[list[i]].path, &sb) == 0) pc.total += (uint64_t)sb.st_size;
        }
        pthread_mutex_init(&pc.mu, NULL);
        pthread_cond_init(&pc.cv, NULL);
        have_prog = pthread_create(&prog, NULL, progress_thread, &pc) == 0;
    }
    /* largest first (ties by result index): the merge is by result index,
     * so the schedule never changes the outputs */
    struct sz { uint64_t size; uint32_t r; } *sz = calloc(count + 1, sizeof *sz);
    p.sched = calloc(count + 1, sizeof *p.sched);
    if (sz && p.sched) {
        for (uint32_t i = 0; i < count; i++) {
            struct stat sb;
            sz[i].r = list[i];
            sz[i].size = stat(st->results[list[i]].path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        }
        for (uint32_t i = 1; i < count; i++) {          /* insertion sort: files are few */
            struct sz x = sz[i];
            uint32_t j = i;
            while (j > 0 && (sz[j - 1].size < x.size || (sz[j - 1].size == x.size && sz[j - 1].r > x.r))) {
                sz[j] = sz[j - 1];
                j--;
            }
            sz[j] = x;
        }
        for (uint32_t i = 0; i < count; i++) p.sched[i] = sz[i].r;
    } else {
        free(p.sched);
        p.sched = NULL;
    }
    free(sz);
    hd_pool_run(nt, worker, &p);
    if (have_prog) {
        pthread_mutex_lock(&pc.mu);
        pc.done = 1;
        pthread_cond_signal(&pc.cv);
        pthread_mutex_unlock(&pc.mu);
        pthread_join(prog, NULL);
        st->opts->progress(st->opts->progress_user, pc.total, pc.total, atomic_load(&p.shared.rows_done));
    }
    pthread_mutex_destroy(&p.mu);
    free(p.sched);
    hd_cores_free(p.shared.cores);
    if (p.rc != HD_OK) return hd_fail(err, p.rc, "out of memory while reading extracts");
    return HD_OK;
}

/* ------------------------------------------------------------ inputs */


struct hash_pool { hd_results *st; _Atomic uint32_t next; int rc; hd_error err; pthread_mutex_t mu; };

static void *hash_worker(void *arg)
{
    struct hash_pool *hp = arg;
    for (;;) {
        uint32_t i = atomic_fetch_add(&hp->next, 1);
        if (i >= hp->st->ninputs) break;
        hd_input *in = &hp->st->inputs[i];
        if (in->skip) continue;          /* hashed by a part, not here */
        hd_error e;
        struct stat sb;
        int rc = hd_sha256_file(in->path, in->sha256, &e);
        if (rc == HD_OK && stat(in->path, &sb) == 0) in->bytes = (uint64_t)sb.st_size;
        if (rc != HD_OK && in->extract) {
            /* an extract that cannot be read damages its source when it is
             * scanned; its digest says so instead of stopping the run */
            snprintf(in->sha256, sizeof in->sha256, "unreadable");
            rc = HD_OK;
        }
        if (rc != HD_OK) {
            pthread_mutex_lock(&hp->mu);
            if (hp->rc == HD_OK) { hp->rc = rc; hp->err = e; }
            pthread_mutex_unlock(&hp->mu);
        }
    }
    return NULL;
}

/* SHA-256 of every input not marked skip, on `threads` threads (0: the
 * run's -j, else the cores); shared with the index builder (internal.h). */
int hd_run_hash_inputs(hd_results *st, int threads, hd_error *err)
{
    struct hash_pool hp;
    memset(&hp, 0, sizeof hp);
    hp.st = st;
    atomic_init(&hp.next, 0);
    pthread_mutex_init(&hp.mu, NULL);
    hd_pool_run(hd_pool_threads(threads > 0 ? threads : st->opts ? st->opts->threads : 0, 64), hash_worker, &hp);
    pthread_mutex_destroy(&hp.mu);
    if (hp.rc != HD_OK) { if (err) *err = hp.err; return hp.rc; }
    return HD_OK;
}

/* The input digest over the engine version, as_of, key id, policy digest
 * and each input's relative path and SHA-256, in order. */
static int digest_inputs(hd_results *st, hd_error *err)
{
    hd_sha256 *h = hd_sha256_new();
    if (!h) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    char date[11];
    hd_date_format(st->job->as_of, date);
    char head[512];
    /* the key ids: the master's, and the previous master's during a
     * rotation (it changes which tokenised rows join) */
    int n = snprintf(head, sizeof head, "hedui-input/2\n%s\n%s\n%s%s%s\n%s\n", HD_ENGINE_VERSION, date,
                     st->key.id, st->key.has_previous ? " previous " : "",
                     st->key.has_previous ? st->key.previous_id : "", st->policy->digest);
    /* the register's snapshot (SPEC §9): a new outcome, a new run directory */
    if (st->reg) n += snprintf(head + n, sizeof head - (size_t)n, "snapshot\t%s\n",
                               hd_register_snapshot_digest(st->reg->snap));
    hd_sha256_update(h, head, (size_t)n);
    hd_inputs_digest_update(h, st->inputs, st->ninputs);
    unsigned char d[32];
    hd_sha256_final(h, d);
    hd_hex(d, 32, st->input_digest);
    return HD_OK;
}

/* ------------------------------------------------------------ merge */

/* Adds the division counts of one file to the run's (first seen, first
 * listed; sorted after the merge). @return HD_OK or HD_ESOFTWARE. */
static int merge_divisions(hd_results *st, const hd_file_result *r, hd_error *err)
{
    for (uint32_t i = 0; i < r->ndiv; i++) {
        uint32_t j = 0;
        while (j < st->ndiv && strcmp(st->div[j].code, r->div[i].code)) j++;
        if (j == st->ndiv) {
            hd_divcount *d = realloc(st->div, (st->ndiv + 1) * sizeof *d);
            if (!d) return hd_fail(err, HD_ESOFTWARE, "out of memory");
            st->div = d;
            st->div[st->ndiv] = r->div[i];
            st->div[st->ndiv].n = 0;
            st->ndiv++;
        }
        st->div[j].n += r->div[i].n;
    }
    return HD_OK;
}

static int cmp_div(const void *a, const void *b)
{
    return strcmp(((const hd_divcount *)a)->code, ((const hd_divcount *)b)->code);
}

/* A descriptor that is missing: the message also names the job line that
 * points to it, so that the operator knows which line to fix. */
static void named_by_job(const hd_job *job, int line, const char *what, int rc, hd_error *err)
{
    if (rc != HD_ENOINPUT || line <= 0) return;
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%s", err->message);
    hd_fail(err, rc, "%s (named by %s:%d, %s)", msg, job->path, line, what);
}

/* ------------------------------------------------------------ providers */

/* Source s is tokenised: finds or adds its provider (SPEC §8 provider =
 * NAME) and builds the token maps of its keys, derived from the current
 * master and, during a rotation, from the previous one. */
static int provider_maps(hd_results *st, int s, hd_error *err)
{
    const char *name = st->job->sources[s].provider;
    for (int p = 0; p < st->nproviders; p++)
        if (!strcmp(st->providers[p].name, name)) { st->src[s].provider = p; return HD_OK; }
    hd_provider_keys *np = realloc(st->providers, (size_t)(st->nproviders + 1) * sizeof *np);
    if (!np) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    st->providers = np;
    hd_provider_keys *pk = &np[st->nproviders];
    memset(pk, 0, sizeof *pk);
    snprintf(pk->name, sizeof pk->name, "%s", name);
    pk->map[0] = pk->map[1] = -1;
    char audience[80];
    snprintf(audience, sizeof audience, "provider:%s", name);
    hd_key masters[2], dk;
    int nm = 1 + hd_key_previous(&st->key, &masters[1]);
    masters[0] = st->key;
    int rc = HD_OK;
    for (int k = 0; rc == HD_OK && k < nm; k++) {
        rc = hd_key_derive(&masters[k], audience, &dk, err);
        if (rc == HD_OK) {
            snprintf(pk->id[k], sizeof pk->id[k], "%s", dk.id);
            rc = hd_model_index_tokens(st->m, &dk, &pk->map[k], err);
        }
        hd_key_wipe(&dk);
    }
    hd_key_wipe(&masters[0]);
    hd_key_wipe(&masters[1]);
    if (rc != HD_OK) return rc;
    st->src[s].provider = st->nproviders++;
    return HD_OK;
}

/* ------------------------------------------------------------ run */

static void free_state(hd_results *st)
{
    hd_run_index_free(st);          /* first: its thread reads the job and the policy */
    if (st->src) {
        for (int i = 0; i < st->job->nsources; i++) {
            hd_descriptor_free(st->src[i].desc);
            hd_path_list_free(st->src[i].files, st->src[i].nfiles);
        }
        free(st->src);
    }
    for (uint32_t i = 0; st->results && i < st->nresults; i++) hd_file_result_free(&st->results[i]);
    free(st->results);
    hd_path_list_free(st->app_files, st->napp_files);
    hd_descriptor_free(st->app_desc);
    for (int p = 1; p < HD_POP__COUNT; p++) hd_descriptor_free(st->pop_desc[p]);
    hd_strmap_free(st->tally.taken);
    for (uint32_t i = 0; i < st->ninputs; i++) free(st->inputs[i].path);
    free(st->inputs);
    hd_judgements_free(&st->judgements);
    free(st->div);
    free(st->counties);
    free(st->order);
    free(st->county_first);
    free(st->member_findings);
    free(st->changes);
    hd_previous_free(st->prev);
    free(st->recheck);
    free(st->discovery);
    free(st->recheck_first);
    free(st->discovery_first);
    hd_reg_free(st);
    hd_model_free(st->m);
    hd_policy_free(st->policy);
    hd_key_wipe(&st->key);
    hd_key_wipe(&st->audit_key);
    hd_key_wipe(&st->text_key);
    free(st->providers);
    hd_job_free(st->job);
}

hd_date hd_run_today(void)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    return hd_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* What run_job does: the whole batch, one part's scan, the merge of the
 * parts, or the members file of the parts (SPEC §12; engine/batch/part.c,
 * members.c). */
enum { MODE_RUN = 0, MODE_PART, MODE_MERGE, MODE_PREPARE };

/* The households and members of every population into st->m: from the
 * applicant files, or for a part from the members file that `hedui run
 * --prepare` wrote for its inputs (SPEC §12; engine/batch/members.c). */
static int load_populations(hd_results *st, int mode, const char *set_digest, int tokens, int *found,
                            hd_error *err)
{
    const hd_job *job = st->job;
    *found = 0;
    int rc = mode == MODE_PART ? hd_members_read(st, set_digest, found, err) : HD_OK;
    if (rc != HD_OK || *found) return rc;
    st->m = hd_model_new();
    if (!st->m) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    /* the populations in their order (SPEC §10): an application is judged
     * in the first one it appears in */
    st->tally.taken = hd_strmap_new();
    if (!st->tally.taken) rc = hd_fail(err, HD_ESOFTWARE, "out of memory");
    for (int p = 0, at = 0; rc == HD_OK && p < HD_POP__COUNT; at += st->npop_files[p], p++) {
        if (!st->npop_files[p]) continue;
        rc = hd_load_population(st->m, st->pop_desc[p], st->app_files + at, st->npop_files[p], job->as_of,
                                tokens ? &st->audit_key : NULL, st->policy, st->results + at, p, &st->tally,
                                hd_pool_threads(st->opts ? st->opts->threads : 0, 64), err);
        if (rc == HD_OK && st->tally.superseded[p])
            logf_(st->opts, HD_LOG_INFO, "applications_superseded",
                  "%" PRIu64 " application(s) of the %s population also appear in an earlier population and are judged there",
                  st->tally.superseded[p], hd_population_name(p));
    }
    /* the applications taken are only asked while the populations load:
     * the map (about 100 bytes a household) goes before the join index comes */
    hd_strmap_free(st->tally.taken);
    st->tally.taken = NULL;
    if (rc == HD_OK && mode == MODE_PREPARE) {
        char path[4400];
        rc = hd_members_write(st, set_digest, path, sizeof path, err);
        if (rc == HD_OK)
            logf_(st->opts, HD_LOG_INFO, "members_written", "%u households, %u members written to %s for the parts",
                  st->m->nhouseholds, st->m->nmembers, path);
    }
    return rc;
}

/* Applicants -> households and members (load_populations), the join
 * index (and the token index when an extract is tokenised); an applicant
 * file that cannot be read to its end flags every household, one rejected
 * whole is counted. --prepare stops after the members file. */
static int load_applicants(hd_results *st, int mode, const char *set_digest, hd_error *err)
{
    const hd_job *job = st->job;
    /* a part's file carries no token */
    int found;
    int rc = load_populations(st, mode, set_digest, mode == MODE_RUN || mode == MODE_MERGE, &found, err);
    if (rc != HD_OK) return rc;
    /* said by --prepare too (its summary counts them), not only by the merge */
    for (int i = 0; i < st->napp_files; i++) {
        hd_file_result *r = &st->results[i];
        if (r->damage != HD_R_NONE) {
            /* SPEC §7: an applicant file that cannot be read, decoded or
             * bound is rejected whole; only its county hears of it
             * (county/<code>/rejected_files.csv), the run exits 3 */
            st->rejected_files++;
            logf_(st->opts, HD_LOG_ERROR, "applicants_rejected", "county %s: %s", r->county, r->damage_msg);
        }
        if (r->ledger.ids_suspect)
            logf_(st->opts, HD_LOG_WARN, "ids_suspect", "%s: %lu IDs ending in 000 in a file with spreadsheet damage (ID_SUSPECT)",
                  hd_path_rel(r->path, job->dir), (unsigned long)r->ledger.ids_suspect);
    }
    if (mode == MODE_PREPARE) return HD_OK;   /* --prepare joins nothing */
    rc = hd_model_index(st->m, err);
    /* token indexes (48 bytes a member each) only for the providers of
     * tokenised extracts: one per provider key, current and previous */
    for (int i = 0; rc == HD_OK && i < job->nsources; i++)
        if (st->src[i].desc && st->src[i].desc->id_token) rc = provider_maps(st, i, err);
    if (rc != HD_OK) return rc;
    if (found)
        logf_(st->opts, HD_LOG_INFO, "members_read", "%u households, %u members read from the members file of --prepare",
              st->m->nhouseholds, st->m->nmembers);
    else
        logf_(st->opts, HD_LOG_INFO, "applicants_loaded", "%u households, %u members from %d applicant files",
              st->m->nhouseholds, st->m->nmembers, st->napp_files);
    return HD_OK;
}

/* [job] index = yes on a run that is not redone: `hedui index JOB.ini`. */
static int run_index_alone(hd_results *st, hd_run_result *res, hd_error *err)
{
    hd_index_opts o;
    memset(&o, 0, sizeof o);
    o.threads = st->opts ? st->opts->threads : 0;
    o.log = st->opts ? st->opts->log : NULL;
    o.log_user = st->opts ? st->opts->log_user : NULL;
    hd_index_result ir;
    int rc = hd_index_build(st->job->path, &o, &ir, err);
    if (rc == HD_EDAMAGED) rc = HD_OK;   /* the run's own damage said so */
    if (rc == HD_OK) snprintf(res->index_dir, sizeof res->index_dir, "%s", ir.outdir);
    return rc;
}

/* ------------------------------------------------------------ the run in steps
 *
 * run_job is the data path, one step a function: load the configuration
 * -> lay out the per-file results -> list and hash the inputs -> lock the
 * output or reuse a complete one -> load the applicants -> scan the
 * extracts -> merge in the fixed order -> judge -> publish -> record in
 * the register. A part (`--part K/N`) stops after the scan with its part
 * file; a merge reads the parts' results instead of scanning; --prepare
 * stops after the applicants with the members file.
 */

typedef struct run_ctx {
    int mode, part, nparts;
    int *source_of;                /* result -> source, -1 for applicant files */
    uint32_t *scan, nscan;         /* the extract results this process scans */
    uint32_t first;                /* the first extract result */
    char set_digest[65];           /* a part's or a merge's set digest */
    int lockfd;
    double t_scan;
    hd_run_result *res;
} run_ctx;

/* SPEC §7 "Dates that cannot be right": as_of after today is refused
 * (unless asked for), long before today is warned about. */
static int check_as_of(const hd_results *st, hd_error *err)
{
    const hd_job *job = st->job;
    hd_date now = hd_run_today();
    char d1[11], d2[11];
    hd_date_format(job->as_of, d1);
    hd_date_format(now, d2);
    if (job->as_of > now && !(st->opts && st->opts->allow_future_as_of))
        return hd_fail(err, HD_ECONFIG, "%s: as_of %s is after today (%s): a typo? "
                       "(give --allow-future-as-of to run on a future date on purpose)", job->path, d1, d2);
    if (job->as_of < now - 62)
        logf_(st->opts, HD_LOG_WARN, "as_of_old", "as_of %s is more than 62 days before today (%s)", d1, d2);
    return HD_OK;
}

/* The policy, the keys and the signing key; errors kept in *cfg. */
static void load_policy_and_keys(hd_results *st, hd_error *cfg)
{
    const hd_job *job = st->job;
    hd_error e1;
    if (hd_policy_load(&st->policy, job->policy, &e1) != HD_OK) hd_error_keep_first(cfg, &e1);
    if (hd_key_load_master(&st->key, job->key, &e1) != HD_OK) hd_error_keep_first(cfg, &e1);
    else {
        st->have_key = 1;
        if (hd_key_derive(&st->key, "audit", &st->audit_key, &e1) != HD_OK ||
            hd_key_derive(&st->key, "text", &st->text_key, &e1) != HD_OK) hd_error_keep_first(cfg, &e1);
    }
    if (*job->signing_key && access(job->signing_key, R_OK) != 0) {
        hd_fail(&e1, HD_ENOINPUT, "%s: signing key cannot be read: %s", job->signing_key, strerror(errno));
        hd_error_keep_first(cfg, &e1);
    }
}

/* The descriptors of the populations (applicants, roster, monitor);
 * errors kept in *cfg. */
static void load_population_descriptors(hd_results *st, hd_error *cfg)
{
    const hd_job *job = st->job;
    hd_error e1;
    int rc;
    if ((rc = hd_descriptor_load(&st->app_desc, job->applicants_format, &e1)) != HD_OK) {
        named_by_job(job, job->applicants_format_line, "applicants_format in [job]", rc, &e1);
        hd_error_keep_first(cfg, &e1);
    } else if (st->app_desc->kind != HD_KIND_APPLICANTS) {
        hd_fail(&e1, HD_ECONFIG, "%s: applicants_format must be of kind applicants", job->applicants_format);
        hd_error_keep_first(cfg, &e1);
    }
    st->pop_desc[HD_POP_APPLICANT] = st->app_desc;
    const char *pop_format[HD_POP__COUNT] = { NULL, job->roster_format, job->monitor_format };
    const char *pop_glob[HD_POP__COUNT] = { job->applicants_glob, job->roster_glob, job->monitor_glob };
    for (int p = 1; p < HD_POP__COUNT; p++) {
        if (!*pop_glob[p]) continue;
        if (hd_descriptor_load(&st->pop_desc[p], pop_format[p], &e1) != HD_OK) {
            hd_error_keep_first(cfg, &e1);
        } else if (st->pop_desc[p]->kind != HD_KIND_APPLICANTS) {
            hd_fail(&e1, HD_ECONFIG, "%s: %s must be of kind applicants", pop_format[p],
                    p == HD_POP_RECIPIENT ? "roster_format" : "monitor_format");
            hd_error_keep_first(cfg, &e1);
        }
    }
}

/* The descriptor of every [source]; errors kept in *cfg. */
static int load_source_descriptors(hd_results *st, hd_error *cfg, hd_error *err)
{
    const hd_job *job = st->job;
    hd_error e1;
    st->src = calloc((size_t)job->nsources + 1, sizeof *st->src);
    if (!st->src) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    for (int i = 0; i < job->nsources; i++) {
        int rc;
        if ((rc = hd_descriptor_load(&st->src[i].desc, job->sources[i].format_path, &e1)) != HD_OK) {
            char what[200];
            snprintf(what, sizeof what, "format of [source \"%s\"]", job->sources[i].name);
            named_by_job(job, job->sources[i].format_line, what, rc, &e1);
            hd_error_keep_first(cfg, &e1);
        } else if (st->src[i].desc->kind == HD_KIND_APPLICANTS) {
            hd_fail(&e1, HD_ECONFIG, "%s: source \"%s\" cannot be of kind applicants",
                    job->path, job->sources[i].name);
            hd_error_keep_first(cfg, &e1);
        }
        st->src[i].provider = -1;
        if (!st->src[i].desc) continue;         /* its descriptor's error is kept above */
        if (!st->src[i].desc->id_token && job->sources[i].provider_line) {
            hd_fail(&e1, HD_ECONFIG, "%s:%d: provider is only for a tokenised source, and %s has id_form = number: remove provider, or give the descriptor of the tokenised files (id_form = token)",
                    job->path, job->sources[i].provider_line, job->sources[i].format_path);
            hd_error_keep_first(cfg, &e1);
        }
        if (st->src[i].desc->id_token && !*job->sources[i].provider) {
            hd_fail(&e1, HD_ECONFIG, "%s:%d: source \"%s\" is tokenised (id_form = token) and its name is too long to name its provider: set provider = NAME",
                    job->path, job->sources[i].line, job->sources[i].name);
            hd_error_keep_first(cfg, &e1);
        }
    }
    return HD_OK;
}

/* The files of every population and source (their globs); errors kept in
 * *cfg; a source whose directory cannot be listed is damaged. */
static int list_files(hd_results *st, hd_error *cfg, hd_error *err)
{
    const hd_job *job = st->job;
    const char *pop_glob[HD_POP__COUNT] = { job->applicants_glob, job->roster_glob, job->monitor_glob };
    hd_error e1;
    for (int p = 0; p < HD_POP__COUNT; p++) {
        if (!*pop_glob[p]) continue;
        char **files = NULL;
        int nfiles = 0;
        if (hd_path_glob(pop_glob[p], &files, &nfiles, &e1) != HD_OK) { hd_error_keep_first(cfg, &e1); continue; }
        if (nfiles == 0) {
            hd_path_list_free(files, nfiles);
            hd_fail(&e1, HD_ENOINPUT, "%s: no %s file matches", pop_glob[p],
                    p == HD_POP_APPLICANT ? "applicant" : p == HD_POP_RECIPIENT ? "roster" : "monitor");
            hd_error_keep_first(cfg, &e1);
            continue;
        }
        char **all = realloc(st->app_files, (size_t)(st->napp_files + nfiles) * sizeof *all);
        if (!all) { hd_path_list_free(files, nfiles); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
        st->app_files = all;
        memcpy(all + st->napp_files, files, (size_t)nfiles * sizeof *all);
        free(files);                      /* the strings moved to app_files */
        st->napp_files += nfiles;
        st->npop_files[p] = nfiles;
    }
    uint32_t nres = (uint32_t)st->napp_files;
    for (int i = 0; i < job->nsources; i++) {
        if (hd_path_glob(job->sources[i].files_glob, &st->src[i].files, &st->src[i].nfiles, &e1) != HD_OK) {
            if (e1.status != HD_ENOINPUT) {
                hd_error_keep_first(cfg, &e1);
            } else {
                /* SPEC §8: a directory that cannot be listed damages its
                 * source like a glob that matches nothing */
                char m[1200];
                snprintf(m, sizeof m, "%s: READ_ERROR: %s", job->sources[i].name, e1.message);
                hd_run_source_damage(st, i, HD_R_READ_ERROR, m);
            }
        }
        st->src[i].first_result = nres;
        nres += (uint32_t)st->src[i].nfiles;
    }
    st->nresults = nres;
    return HD_OK;
}

/* Step 1: the job, the policy, the keys, the descriptors and the files.
 * The configuration is read whole before the run stops on it, so that
 * when several errors apply the exit code is the first of SPEC §8's
 * order (78 before 66), whichever file was read first. */
static int step_config(hd_results *st, int mode, const char *job_path, hd_error *err)
{
    int rc;
    if ((rc = hd_job_load(&st->job, job_path, hd_run_today(), err)) != HD_OK) return rc;
    if ((rc = check_as_of(st, err)) != HD_OK) return rc;
    hd_error cfg;
    hd_error_clear(&cfg);
    load_policy_and_keys(st, &cfg);
    load_population_descriptors(st, &cfg);
    if ((rc = load_source_descriptors(st, &cfg, err)) != HD_OK) return rc;
    if (st->job->index && mode != MODE_RUN) {
        /* SPEC §11: the index is written by a whole run's scan; a part
         * sees a share of the extracts, a merge none */
        hd_error e1;
        hd_fail(&e1, HD_ECONFIG, "%s: index = yes is for a whole run (hedui run without --part or --prepare; not hedui merge): "
                "remove it for the parts, and build the index with `hedui index %s` after the merge",
                st->job->path, st->job->path);
        hd_error_keep_first(&cfg, &e1);
    }
    if ((rc = list_files(st, &cfg, err)) != HD_OK) return rc;
    if (cfg.status != HD_OK) { *err = cfg; return cfg.status; }
    hd_job *job = st->job;
    if (job->previous_latest) {
        if ((rc = hd_run_resolve_latest(job, job->previous, sizeof job->previous, err)) != HD_OK) return rc;
        char d[11];
        hd_date_format(job->as_of, d);
        if (*job->previous)
            logf_(st->opts, HD_LOG_INFO, "previous_latest", "previous = latest: %s", job->previous);
        else
            logf_(st->opts, HD_LOG_INFO, "previous_none", "previous = latest: no run under %s verifies with an as_of before %s; no change report",
                  job->output, d);
    }
    return HD_OK;
}

/* Step 2: one per-file result for every applicant file, then every
 * extract file in source order. */
static int step_layout(hd_results *st, run_ctx *rx, hd_error *err)
{
    uint32_t nres = st->nresults;
    st->results = calloc(nres + 1, sizeof *st->results);
    rx->source_of = calloc(nres + 1, sizeof *rx->source_of);
    if (!st->results || !rx->source_of) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    for (int i = 0, p = 0, left = st->npop_files[0]; i < st->napp_files; i++, left--) {
        while (left == 0) left = st->npop_files[++p];
        st->results[i].path = st->app_files[i];
        st->results[i].source = -1;
        st->results[i].population = p;
        st->results[i].index = (uint32_t)i;
        rx->source_of[i] = -1;
    }
    for (int s = 0; s < st->job->nsources; s++)
        for (int f = 0; f < st->src[s].nfiles; f++) {
            uint32_t r = st->src[s].first_result + (uint32_t)f;
            st->results[r].path = st->src[s].files[f];
            st->results[r].source = s;
            st->results[r].index = r;
            rx->source_of[r] = s;
        }
    rx->first = (uint32_t)st->napp_files;
    return HD_OK;
}

/* The inputs of the manifest, in their order: the job, the policy and
 * its standards, the descriptors, the previous output's manifest, then
 * every applicant and extract file. */
static int list_inputs(hd_results *st, hd_error *err)
{
    const hd_job *job = st->job;
    int rc = hd_results_add_input(st, job->path, 0, err);
    if (rc == HD_OK) rc = hd_results_add_input(st, job->policy, 0, err);
    if (rc == HD_OK) rc = hd_results_add_input(st, st->policy->standards_path, 0, err);
    if (rc == HD_OK) rc = hd_results_add_input(st, job->applicants_format, 0, err);
    if (rc == HD_OK && *job->roster_glob) rc = hd_results_add_input(st, job->roster_format, 0, err);
    if (rc == HD_OK && *job->monitor_glob) rc = hd_results_add_input(st, job->monitor_format, 0, err);
    for (int s = 0; rc == HD_OK && s < job->nsources; s++) rc = hd_results_add_input(st, job->sources[s].format_path, 0, err);
    /* the change report depends on the previous output: its manifest (which
     * holds the digest of every file read from it) is an input */
    char prev_manifest[4200];
    snprintf(prev_manifest, sizeof prev_manifest, "%s/manifest.json", job->previous);
    if (rc == HD_OK && *job->previous) rc = hd_results_add_input(st, prev_manifest, 0, err);
    for (uint32_t r = 0; rc == HD_OK && r < st->nresults; r++)
        rc = hd_results_add_input(st, st->results[r].path, st->results[r].source >= 0, err);
    return rc;
}

/* The extract files this process scans: all of them, a part's share, or
 * none (a merge reads the parts' results instead); the others' inputs
 * are not hashed here. */
static int choose_scan(hd_results *st, run_ctx *rx, hd_error *err)
{
    uint32_t first = rx->first, nres = st->nresults;
    rx->scan = calloc(nres - first + 1, sizeof *rx->scan);
    if (!rx->scan) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    if (rx->mode == MODE_RUN) {
        for (uint32_t r = first; r < nres; r++) rx->scan[rx->nscan++] = r;
        return HD_OK;
    }
    int *part_of = calloc(nres - first + 1, sizeof *part_of);
    if (!part_of) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    hd_part_assign(st, first, nres - first, rx->mode == MODE_PART ? rx->nparts : 1, part_of);
    for (uint32_t r = first; r < nres; r++) {
        int mine = rx->mode == MODE_PART && part_of[r - first] == rx->part;
        if (mine) rx->scan[rx->nscan++] = r;
        for (uint32_t i = 0; i < st->ninputs; i++)
            if (!strcmp(st->inputs[i].path, st->results[r].path)) { st->inputs[i].skip = !mine; break; }
    }
    free(part_of);
    return HD_OK;
}

/* Step 3: the inputs, the register's snapshot (read once, before the
 * input digest that it enters), their digests. */
static int step_hash(hd_results *st, run_ctx *rx, hd_error *err)
{
    int rc = list_inputs(st, err);
    if (rc == HD_OK) rc = choose_scan(st, rx, err);
    if (rc == HD_OK) rc = hd_reg_begin(st, err);
    if (rc == HD_OK) rc = hd_run_hash_inputs(st, 0, err);
    if (rc == HD_OK && rx->mode != MODE_RUN) rc = hd_part_set_digest(st, rx->set_digest, err);
    if (rc == HD_OK && rx->mode == MODE_RUN) rc = digest_inputs(st, err);
    return rc;
}

/* A merge: the parts name the run's directory (their files' digests
 * enter the input digest), and their records need the applicants: the
 * lock and the applicants come first. */
static int merge_parts(hd_results *st, run_ctx *rx, hd_error *err)
{
    int rc = hd_outdir_lock(st->job->output, &rx->lockfd, err);
    if (rc == HD_OK) rc = load_applicants(st, MODE_MERGE, rx->set_digest, err);
    double t_parts = mono_s();
    if (rc == HD_OK) rc = hd_part_load_all(st, rx->set_digest, rx->nparts, err);
    if (rc == HD_OK)
        logf_(st->opts, HD_LOG_INFO, "parts_read", "the parts' results of %u extract files read in %.1f s",
              st->nresults - rx->first, mono_s() - t_parts);
    if (rc == HD_OK) rc = digest_inputs(st, err);
    return rc;
}

/* A reused output exits 0 (SPEC §5), but says what the run that wrote it
 * said: its summary.json (which the manifest has just verified) tells
 * whether a source was damaged and which applicant files were rejected
 * whole (res->damaged, res->rejected_files, and a warning each). */
static void reused_says(const hd_results *st, hd_run_result *res)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/summary.json", res->outdir);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) {
        logf_(st->opts, HD_LOG_WARN, "summary_unread", "%s: cannot be read back (%s): whether a source was damaged "
              "is in the file itself", path, je.text);
        return;
    }
    res->damaged = json_is_true(json_object_get(root, "damaged"));
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(root, "files"), i, f)
        if (json_is_true(json_object_get(f, "rejected"))) res->rejected_files++;
    json_decref(root);
    if (res->damaged)
        logf_(st->opts, HD_LOG_WARN, "source_damaged", "%s was written with at least one source damaged or missing: "
              "every household in it is at least REVIEW (SOURCE_INCOMPLETE)", res->outdir);
    if (res->rejected_files)
        logf_(st->opts, HD_LOG_WARN, "applicants_rejected", "%s was written with %u applicant files rejected whole: "
              "see county/<code>/rejected_files.csv", res->outdir, res->rejected_files);
}

/* An output that exists and verifies is reused: nothing is rewritten; the
 * register records it when it lacks it, OUTPUT/latest points to it. */
static int reuse_output(hd_results *st, run_ctx *rx, hd_error *err)
{
    hd_run_result *res = rx->res;
    const hd_job *job = st->job;
    res->reused = 1;
    logf_(st->opts, HD_LOG_INFO, "output_exists", "%s exists and verifies; nothing rewritten (use --force to rebuild)", res->outdir);
    int rc = HD_OK;
    /* a complete run the register lacks (it could not be written then)
     * is recorded now */
    const char *base = strrchr(res->outdir, '/');
    if (!hd_register_has_run(st->reg->path, base ? base + 1 : res->outdir)) {
        rc = hd_register_record(st->reg->path, res->outdir, job->output, err);
        if (rc == HD_OK) logf_(st->opts, HD_LOG_INFO, "register_recorded", "%s recorded in the register %s", res->outdir, st->reg->path);
    }
    /* complete: OUTPUT/latest points to it, as after a new run */
    if (rc == HD_OK) rc = hd_run_point_latest(job->output, res->outdir, job->as_of, err);
    /* index = yes and no scan to feed it: the index builds alone
     * (nothing is rebuilt when it exists and verifies) */
    if (rc == HD_OK && job->index) rc = run_index_alone(st, res, err);
    if (rc == HD_OK) reused_says(st, res);
    return rc;
}

/* Step 4: the output directory's name (as_of and the input digest); the
 * lock; a complete output of the same inputs is reused (rx->res->reused),
 * one that fails its own manifest is never overwritten without --force. */
static int step_lock_or_reuse(hd_results *st, run_ctx *rx, hd_error *err)
{
    const hd_job *job = st->job;
    hd_run_result *res = rx->res;
    int rc;
    if (rx->mode == MODE_MERGE && (rc = merge_parts(st, rx, err)) != HD_OK) return rc;
    char date[11];
    hd_date_format(job->as_of, date);
    snprintf(res->outdir, sizeof res->outdir, "%s/%s-%.12s", job->output, date, st->input_digest);
    if (rx->mode == MODE_RUN && (rc = hd_outdir_lock(job->output, &rx->lockfd, err)) != HD_OK) return rc;
    struct stat sb;
    if (rx->mode == MODE_PART || rx->mode == MODE_PREPARE || stat(res->outdir, &sb) != 0 ||
        (st->opts && st->opts->force))
        return HD_OK;
    hd_error verr;
    int vflags = *job->signing_key ? 0 : HD_VERIFY_ALLOW_UNSIGNED;
    if (hd_audit_verify_ex(res->outdir, NULL, vflags, NULL, NULL, NULL, &verr) == HD_OK)
        return reuse_output(st, rx, err);
    /* a complete-looking output that fails its own manifest may be
     * evidence of tampering: never overwrite it without --force. 65, as
     * `hedui audit verify` gives for it: nothing failed to write (74
     * would send the operator to the disk; docs/decisions.md) */
    return hd_fail(err, HD_EDATA, "%s exists but does not verify (%s); check it with hedui audit verify, keep it if it "
                   "may be evidence, then rerun with --force to replace it", res->outdir, verr.message);
}

/* A part: its scanned results into its part file; HD_EDAMAGED when a file
 * it read is damaged. */
static int write_part(hd_results *st, run_ctx *rx, hd_error *err)
{
    hd_run_result *res = rx->res;
    int rc = hd_part_write(st, rx->set_digest, rx->part, rx->nparts, rx->scan, rx->nscan,
                           res->outdir, sizeof res->outdir, err);
    if (rc != HD_OK) return rc;
    logf_(st->opts, HD_LOG_INFO, "part_written", "part %d of %d: %u extract files read and written in %.1f s",
          rx->part, rx->nparts, rx->nscan, mono_s() - rx->t_scan);
    res->files = rx->nscan;
    for (uint32_t i = 0; i < rx->nscan; i++) {
        hd_file_result *r = &st->results[rx->scan[i]];
        res->rows += r->ledger.rows; res->rows_ok += r->ledger.rows_ok;
        res->rows_quarantined += r->ledger.rows_quarantined;
        res->rows_matched += r->ledger.rows_matched; res->rows_unmatched += r->ledger.rows_unmatched;
        if (r->damage != HD_R_NONE) {
            st->damaged = 1;
            logf_(st->opts, HD_LOG_ERROR, "source_damaged", "%s", hd_path_rel(r->damage_msg, st->job->dir));
        }
    }
    res->damaged = st->damaged;
    res->households = st->m->nhouseholds;
    res->members = st->m->nmembers;
    if (st->damaged)
        return hd_fail(err, HD_EDAMAGED, "part %d of %d written, but a file it read is damaged: the merge will flag every household (SOURCE_INCOMPLETE)",
                       rx->part, rx->nparts);
    return HD_OK;
}

/* Step 6: the extracts this process reads (none for a merge); a part
 * writes its part file. */
static int step_scan(hd_results *st, run_ctx *rx, hd_error *err)
{
    rx->t_scan = mono_s();
    int rc = scan_extracts(st, rx->scan, rx->nscan, rx->source_of, err);
    if (rc == HD_OK && rx->mode == MODE_PART) rc = write_part(st, rx, err);
    return rc;
}

/* The records of one source's files move into the model, in file order;
 * what the files say of the households reaches them. */
static int merge_source(hd_results *st, int s, hd_error *err)
{
    const hd_job *job = st->job;
    hd_source_state *ss = &st->src[s];
    for (int f = 0; f < ss->nfiles; f++) {
        hd_file_result *r = &st->results[ss->first_result + (uint32_t)f];
        /* SPEC §7: quarantined rows about a member reach the household */
        for (uint32_t u = 0; u < r->nunread; u++)
            st->m->households[st->m->members[r->unread[u].member].household].flags |=
                r->unread[u].near ? HD_HF_NEAR_MISS : HD_HF_EVIDENCE_UNREADABLE;
        if (r->ledger.ids_suspect)
            logf_(st->opts, HD_LOG_WARN, "ids_suspect", "%s: %lu IDs ending in 000 in a file with spreadsheet damage",
                  hd_path_rel(r->path, job->dir), (unsigned long)r->ledger.ids_suspect);
    }
    for (int f = 0; f < ss->nfiles; f++) {
        hd_file_result *r = &st->results[ss->first_result + (uint32_t)f];
        /* the file's packed records move into the model as they are */
        int rc = hd_model_adopt(st->m, r->rec_arena, r->recs, r->nrecs, err);
        r->rec_arena = NULL;
        free(r->recs); r->recs = NULL; r->nrecs = r->caprecs = 0;
        if (rc != HD_OK) return rc;
        if (ss->provider >= 0 && r->ledger.rows_ok > 0 && r->ledger.rows_matched == 0) {
            /* tokens of another key join nothing: say so, as it looks
             * like "no applicant has an account there" otherwise */
            const hd_provider_keys *pk = &st->providers[ss->provider];
            logf_(st->opts, HD_LOG_WARN, "tokens_unmatched",
                  "%s: no row joins: 100.00 %% of its %lu usable rows (source %s) match no applicant "
                  "under provider %s's key %s%s%s%s; was it tokenised with another provider's key, or "
                  "with a key of another master?", hd_path_rel(r->path, job->dir),
                  (unsigned long)r->ledger.rows_ok, job->sources[s].name, pk->name, pk->id[0],
                  pk->id[1][0] ? " (or " : "", pk->id[1], pk->id[1][0] ? ", of the previous master)" : "");
        }
    }
    hd_run_source_decide(st, s, st->results);
    if (ss->damage != HD_R_NONE)
        logf_(st->opts, HD_LOG_ERROR, "source_damaged", "source %s is damaged: %s", job->sources[s].name, ss->damage_msg);
    return HD_OK;
}

/* Step 7: the per-file results merged in the fixed order (source order,
 * then file name order); the damage rules. */
static int step_merge(hd_results *st, run_ctx *rx, hd_error *err)
{
    const hd_job *job = st->job;
    int rc;
    for (uint32_t i = 0; i < st->nresults; i++)
        if ((rc = merge_divisions(st, &st->results[i], err)) != HD_OK) return rc;
    if (st->ndiv) qsort(st->div, st->ndiv, sizeof *st->div, cmp_div);
    hd_run_previous_rows(st);
    for (int s = 0; s < job->nsources; s++)
        if ((rc = merge_source(st, s, err)) != HD_OK) return rc;
    /* SPEC §7 "Required kinds": a kind the policy requires and the job has
     * no source of damages the run */
    hd_run_kinds_decide(st);
    if (st->ixw && (rc = hd_run_index_end(st, err)) != HD_OK) return rc;
    for (int k = HD_KIND_APPLICANTS + 1; k < HD_KIND__COUNT; k++)
        if (st->kinds_missing & (1u << k))
            logf_(st->opts, HD_LOG_ERROR, "source_damaged", "NO_SOURCE: the policy requires kind %s and the job has no [source] of it",
                  hd_kind_name((hd_kind)k));
    logf_(st->opts, HD_LOG_INFO, "extracts_scanned", "%u extract files read and merged in %.1f s",
          st->nresults - rx->first, mono_s() - rx->t_scan);
    return HD_OK;
}

/* Step 8: every household judged; the register's findings, strength and
 * suppression (SPEC §9); then the rest of the finished run, before any
 * file is written: the output order, the change report (the workbooks
 * and report.html show it) and re-check and discovery (SPEC §10). */
static int step_judge(hd_results *st, hd_error *err)
{
    double t_rules = mono_s();
    int rc = hd_judgements_init(&st->judgements, st->m->nhouseholds, err);
    for (uint32_t h = 0; rc == HD_OK && h < st->m->nhouseholds; h++) {
        hd_error jerr;
        hd_judgement j;
        int unjudged;
        if ((rc = hd_judge_household(st->policy, st->m, h, st->job->as_of, st->damaged, &j, &unjudged, &jerr)) != HD_OK) {
            if (err) *err = jerr;
            return rc;
        }
        if (unjudged)
            logf_(st->opts, HD_LOG_WARN, "household_unjudged", "a household of county %s could not be judged (%s): set to REVIEW",
                  st->m->households[h].county_code, jerr.message);
        rc = hd_judgements_keep(&st->judgements, h, &j, err);
    }
    if (rc == HD_OK) rc = hd_reg_judge(st, err);
    if (rc == HD_OK)
        logf_(st->opts, HD_LOG_INFO, "households_judged", "%u households judged in %.1f s",
              st->m->nhouseholds, mono_s() - t_rules);
    if (rc == HD_OK) rc = hd_results_order(st, err);
    if (rc == HD_OK) rc = hd_compute_changes(st, err);
    if (rc == HD_OK) rc = hd_compute_lists(st, err);
    if (rc == HD_OK) rc = hd_results_member_findings(st, err);
    return rc;
}

/* "results.xlsx 30.12, matches.jsonl 3.20, ...": the writers by their CPU
 * seconds, the largest first; those under 0.005 s left out ("none" when
 * every one is). */
static void writer_times_text(const hd_writer_times *wt, char *out, size_t cap)
{
    int k[HD_WRITER_KINDS], n = 0;
    for (int i = 0; i < HD_WRITER_KINDS; i++)
        if (wt->cpu[i] >= 0.005) k[n++] = i;
    for (int a = 1; a < n; a++)                       /* insertion sort, descending */
        for (int b = a; b > 0 && wt->cpu[k[b]] > wt->cpu[k[b - 1]]; b--) { int x = k[b]; k[b] = k[b - 1]; k[b - 1] = x; }
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used < cap; i++) {
        int w = snprintf(out + used, cap - used, "%s%s %.2f", i ? ", " : "", hd_writer_name(k[i]), wt->cpu[k[i]]);
        if (w < 0) break;
        used += (size_t)w;
    }
    if (!n) snprintf(out, cap, "none");
}

/* Step 9: the writers and the manifest into a private temporary
 * directory, published by one rename (io/outdir.h); OUTPUT/latest. */
static int step_publish(const hd_results *st, run_ctx *rx, hd_error *err)
{
    const hd_job *job = st->job;
    hd_run_result *res = rx->res;
    char tmp[4200], tag[16];
    snprintf(tag, sizeof tag, "%.12s", st->input_digest);
    int rc = hd_outdir_begin(job->output, tag, tmp, sizeof tmp, err);
    if (rc != HD_OK) return rc;
    int signed_ = 0;
    double t_out = mono_s();
    hd_writer_times wt;
    rc = hd_write_reports(st, tmp, &wt, err);
    if (rc == HD_OK) {
        char by[512];
        writer_times_text(&wt, by, sizeof by);
        logf_(st->opts, HD_LOG_INFO, "outputs_written", "outputs written in %.1f s; CPU seconds by writer: %s",
              mono_s() - t_out, by);
    }
    double t_man = mono_s();
    if (rc == HD_OK) rc = hd_write_manifest(st, tmp, &signed_, err);
    if (rc == HD_OK)
        logf_(st->opts, HD_LOG_INFO, "manifest_written", signed_ ? "manifest hashed and signed in %.1f s"
              : "manifest hashed in %.1f s, not signed (no signing_key in the job)", mono_s() - t_man);
    if (rc != HD_OK) { hd_rmtree(tmp); return rc; }
    hd_error leftover;                  /* the replaced output that could not be removed */
    if ((rc = hd_outdir_publish(job->output, tag, tmp, res->outdir, &leftover, err)) != HD_OK) return rc;
    /* the run is complete: OUTPUT/latest points to it (SPEC §8) */
    if ((rc = hd_run_point_latest(job->output, res->outdir, job->as_of, err)) != HD_OK) return rc;
    /* nothing left behind: the directory --force replaced holds personal
     * data; when it stays, the run says where and fails (SPEC §8) */
    if (leftover.status != HD_OK) { *err = leftover; return leftover.status; }
    res->signed_manifest = signed_;
    if (!signed_)
        logf_(st->opts, HD_LOG_WARN, "manifest_unsigned", "no signing_key in the job: manifest.json is not signed");
    return HD_OK;
}

/* The per-county counts of the result (allocation failure: none). */
static void result_counties(const hd_results *st, hd_run_result *res)
{
    res->counties = calloc((size_t)st->ncounties + 1, sizeof *res->counties);
    if (!res->counties) return;
    res->ncounties = st->ncounties;
    for (uint32_t c = 0; c < st->ncounties; c++) {
        hd_list_counts cc;
        hd_list_counts_of(st, c, &cc);
        hd_run_county *rc_ = &res->counties[c];
        snprintf(rc_->code, sizeof rc_->code, "%s", st->counties[c]);
        for (int p = 0; p < HD_POP__COUNT; p++) rc_->households[p] = cc.households[p];
        rc_->recheck = cc.recheck_households;
        rc_->discovery = cc.discovery_households;
    }
}

/* What the caller learns of the run (hd_run_result), read off the
 * finished run. */
static void fill_result(const hd_results *st, hd_run_result *res)
{
    res->damaged = st->damaged;
    res->households = st->m->nhouseholds;
    res->members = st->m->nmembers;
    for (uint32_t h = 0; h < st->m->nhouseholds; h++) {
        res->verdicts[st->judgements.kept[h].verdict]++;
        for (int f = 0; f < HD_FD__COUNT; f++)
            if (st->judgements.kept[h].findings & (1u << f)) res->reasons[f]++;
    }
    for (uint32_t i = 0; i < st->nresults; i++) {
        const hd_ledger *l = &st->results[i].ledger;
        if (st->results[i].source < 0) {
            res->app_files++;
            res->app_rows += l->rows; res->app_rows_ok += l->rows_ok; res->app_rows_quarantined += l->rows_quarantined;
            continue;
        }
        res->files++;
        res->rows += l->rows; res->rows_ok += l->rows_ok; res->rows_quarantined += l->rows_quarantined;
        res->rows_matched += l->rows_matched; res->rows_unmatched += l->rows_unmatched;
    }
    hd_list_counts lc;
    hd_list_counts_of(st, UINT32_MAX, &lc);
    for (int p = 0; p < HD_POP__COUNT; p++) {
        res->populations[p] = lc.households[p];
        res->superseded[p] = st->tally.superseded[p];
    }
    res->recheck_households = lc.recheck_households;
    res->recheck_rows = lc.recheck_rows;
    res->discovery_households = lc.discovery_households;
    for (int t = 0; t < HD_TRIG__COUNT && t < 4; t++) res->discovery_triggers[t] = lc.triggers[t];
    res->lists = st->npop_files[HD_POP_RECIPIENT] || st->npop_files[HD_POP_MONITORED];
    result_counties(st, res);
    res->rejected_files = (uint32_t)st->rejected_files;
    for (int k = HD_KIND_APPLICANTS + 1; k < HD_KIND__COUNT; k++) {
        for (int s = 0; s < st->job->nsources; s++)
            if (st->src[s].desc->kind == (hd_kind)k) {
                res->kinds_checked |= 1u << k;
                if (st->src[s].damage != HD_R_NONE) res->kinds_damaged |= 1u << k;
            }
    }
    res->kinds_required = st->policy->required_kinds;
    for (int f = 0; f < HD_FD__COUNT; f++) res->suppressed += st->reg->suppressed[f];
}

/* Step 10: the register, once the run directory stands (SPEC §9): a
 * register that cannot be written fails the run (74, 75, 78), the
 * directory stays, and the next run or `hedui register rebuild` records
 * it. Then, with [job] index = yes, the index joined in place; then the
 * run's status: HD_EDAMAGED for a damaged source or a rejected applicant
 * file. */
static int step_record(hd_results *st, run_ctx *rx, hd_error *err)
{
    hd_run_result *res = rx->res;
    /* the outputs are published and the register reads the run back from
     * them: the model and the judgements go before SQLite's page cache comes
     * (the run's peak memory is then the writers', not the register's) */
    hd_model_free(st->m);
    st->m = NULL;
    hd_judgements_free(&st->judgements);
    free(st->member_findings);
    st->member_findings = NULL;
    double t_reg = mono_s(), c_reg = clock_s(CLOCK_THREAD_CPUTIME_ID);
    int rc = hd_register_record(st->reg->path, res->outdir, st->job->output, err);
    if (rc != HD_OK) {
        logf_(st->opts, HD_LOG_ERROR, "register_failed", "%s stands, but the register was not written: %s", res->outdir, err ? err->message : "");
        return rc;
    }
    /* its CPU beside the wall: the record is one thread's work */
    logf_(st->opts, HD_LOG_INFO, "register_recorded", "register %s written in %.2f s (%.2f s CPU)", st->reg->path,
          mono_s() - t_reg, clock_s(CLOCK_THREAD_CPUTIME_ID) - c_reg);
    /* [job] index = yes: the index, merged meanwhile, in place */
    if ((rc = hd_run_index_join(st, res->index_dir, sizeof res->index_dir, err)) != HD_OK) return rc;
    if (st->damaged)
        return hd_fail(err, HD_EDAMAGED, "the batch completed, but at least one source is damaged or missing: every household is at least REVIEW (SOURCE_INCOMPLETE)");
    if (st->rejected_files)
        return hd_fail(err, HD_EDAMAGED, "the batch completed, but %d applicant files were rejected whole: see county/<code>/rejected_files.csv", st->rejected_files);
    return HD_OK;
}

/* --prepare: where the members file went, and what it holds. */
static void fill_prepared(const hd_results *st, const run_ctx *rx, hd_run_result *res)
{
    char dir[4200];
    hd_part_dir(st, rx->set_digest, dir, sizeof dir);
    snprintf(res->outdir, sizeof res->outdir, "%s/members", dir);
    res->households = st->m->nhouseholds;
    res->members = st->m->nmembers;
    res->rejected_files = (uint32_t)st->rejected_files;
}

static int run_job(const char *job_path, const hd_run_opts *opts, int mode, int part, int nparts,
                   hd_run_result *res, hd_error *err)
{
    hd_results st;
    memset(&st, 0, sizeof st);
    memset(res, 0, sizeof *res);
    st.opts = opts;
    run_ctx rx = { .mode = mode, .part = part, .nparts = nparts, .lockfd = -1, .res = res };
    hd_error_clear(err);

    int rc = step_config(&st, mode, job_path, err);
    if (rc == HD_OK) rc = step_layout(&st, &rx, err);
    if (rc == HD_OK) rc = step_hash(&st, &rx, err);
    if (rc == HD_OK) rc = step_lock_or_reuse(&st, &rx, err);
    if (rc == HD_OK && !res->reused) {
        /* [job] index = yes: the scan below feeds the index writer too */
        if (mode == MODE_RUN && st.job->index)
            rc = hd_run_index_begin(&st, res->index_dir, sizeof res->index_dir, err);
        /* applicants (a merge has loaded them) */
        if (rc == HD_OK && mode != MODE_MERGE) rc = load_applicants(&st, mode, rx.set_digest, err);
        if (rc == HD_OK && mode == MODE_PREPARE) fill_prepared(&st, &rx, res);
        if (rc == HD_OK && mode != MODE_PREPARE) rc = step_scan(&st, &rx, err);
        if (rc == HD_OK && mode != MODE_PART && mode != MODE_PREPARE) {
            rc = step_merge(&st, &rx, err);
            /* every row is joined: the join indexes leave the peak */
            if (rc == HD_OK) hd_model_index_release(st.m);
            if (rc == HD_OK) rc = step_judge(&st, err);
            if (rc == HD_OK) rc = step_publish(&st, &rx, err);
            if (rc == HD_OK) fill_result(&st, res);
            if (rc == HD_OK) rc = step_record(&st, &rx, err);
        }
    }
    hd_outdir_unlock(rx.lockfd);
    free(rx.source_of);
    free(rx.scan);
    free_state(&st);
    return rc;
}

int hd_run(const char *job_path, const hd_run_opts *opts, hd_run_result *res, hd_error *err)
{
    return run_job(job_path, opts, MODE_RUN, 0, 0, res, err);
}

int hd_run_part(const char *job_path, int part, int nparts, const hd_run_opts *opts,
                hd_run_result *res, hd_error *err)
{
    if (nparts < 1 || part < 0 || part >= nparts) {
        memset(res, 0, sizeof *res);
        return hd_fail(err, HD_EUSAGE, "part %d of %d: K must be 0 to N-1 and N at least 1", part, nparts);
    }
    return run_job(job_path, opts, MODE_PART, part, nparts, res, err);
}

int hd_run_prepare(const char *job_path, const hd_run_opts *opts, hd_run_result *res, hd_error *err)
{
    return run_job(job_path, opts, MODE_PREPARE, 0, 0, res, err);
}

int hd_merge(const char *job_path, int nparts, const hd_run_opts *opts, hd_run_result *res,
             hd_error *err)
{
    if (nparts < 0) {
        memset(res, 0, sizeof *res);
        return hd_fail(err, HD_EUSAGE, "--parts %d: N must be at least 1", nparts);
    }
    return run_job(job_path, opts, MODE_MERGE, 0, nparts, res, err);
}

void hd_run_result_free(hd_run_result *res)
{
    if (!res) return;
    free(res->counties);
    res->counties = NULL;
    res->ncounties = 0;
}
