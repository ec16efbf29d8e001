/*
 * ixwriter.c — the index writer (SPEC §11): every usable row of every source
 * keyed by member token under the index key, sorted, in a memory-mappable
 * table; built by streaming with bounded memory. Two callers feed it the
 * rows of one scan: `hedui index JOB.ini` (hd_index_build, batch/index.c,
 * its own pool of threads) and `hedui run` with `[job] index = yes`
 * (hd_run_index_begin / hd_run_index_end below, called by batch.c: the
 * run's scan hands each row to the writer too, so the extracts are read
 * once). The layout and the record codec are in ixfile.h; the reader is
 * index/lookup.c.
 *
 *   inputs hashed (the index digest names the directory) -> each scanning
 *   thread takes a writer worker that keeps rows in a buffer of at most
 *   memory / threads bytes, sorts it by (token, file, line) and spills it
 *   to a run file when full -> the sources' damage decided as the run does
 *   -> the runs merged (a heap over the open runs) into tokens.bin,
 *   records.bin, unreadable.bin -> meta.ini, policy/, applicants.fmt (and
 *   roster.fmt, monitor.fmt) -> manifest + signature -> rename.
 *
 * Determinism: the sort key is total (token, file ordinal, line, kind of
 * entry), so the files are byte-identical whatever the thread count and
 * the memory budget.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "report/common.h"
#include "report/report.h"
#include "report/ixfile.h"
#include "hedui/verify.h"
#include "util/path.h"
#include "util/pool.h"
#include "util/varint.h"

/* ------------------------------------------------------------ entries */

enum { E_RECORD = 0, E_UNREAD = 1 };

typedef struct ent {
    uint64_t key;                  /* the token's first 8 bytes, big-endian: most
                                      comparisons end here */
    unsigned char tok[32];
    uint32_t file;
    uint32_t type;                 /* E_RECORD, or E_UNREAD | reason << 8 */
    uint64_t line;
    uint64_t off;                  /* into the worker's payload buffer */
    uint32_t len;
} ent;

static int ent_cmp(const ent *a, const ent *b)
{
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    int c = memcmp(a->tok + 8, b->tok + 8, 24);
    if (c) return c;
    if (a->file != b->file) return a->file < b->file ? -1 : 1;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    return 0;
}

static int ent_pcmp(const void *a, const void *b)
{
    return ent_cmp(*(const ent *const *)a, *(const ent *const *)b);
}

static uint64_t tok_key(const unsigned char *t)
{
    uint64_t k = 0;
    for (int i = 0; i < 8; i++) k = k << 8 | t[i];
    return k;
}

/* a run file entry: tok, file, type, line, len, payload */
#define RUN_HEAD (32 + 4 + 4 + 8 + 4)

typedef struct ix_writer ix_writer;

struct ix_worker {
    ix_writer *b;
    ix_mac *mac;
    ent *e; size_t ne, cape;
    ent **ord;                     /* e sorted (by pointer: entries are 56 bytes) */
    uint8_t *pay; size_t npay, cappay;
    uint64_t rows;                 /* rows indexed */
    int sorted;
};

struct ix_writer {
    hd_key ikey;
    hd_index_opts opts;
    hd_date as_of;
    int nsources;
    int *id_token;                 /* per source */
    uint32_t first;                /* the caller's result index of extract file 0 */
    uint32_t nfiles;
    int *source_of;                /* per file ordinal */
    char **paths;                  /* per file ordinal (the caller's strings) */
    hd_input *inputs; uint32_t ninputs;   /* the index's inputs, for its manifest */
    unsigned char digest[32];
    char dhex[65];
    char outdir[4096], root[4200], tmp[4400], spilldir[4200];
    int reused;                    /* the index exists and verifies: rows are not kept */
    _Atomic uint32_t nspills;
    pthread_mutex_t mu;
    char **runs; uint32_t nruns, capruns;
    struct ix_worker **ws; int nws, capws;
    size_t budget;                 /* per worker */
    /* after ix_writer_prepare: what the manifest needs (pointers into the
     * caller's job and policy, which outlive the writer) */
    int prepared, damaged;
    hd_results ms;
    /* hd_run_index_end: ix_writer_complete on a thread of its own */
    pthread_t th;
    int th_started, th_rc;
    hd_error th_err;
    hd_index_result th_res;
};

#define logf_(o, ...) hd_logf((o) ? (o)->log : NULL, (o) ? (o)->log_user : NULL, __VA_ARGS__)

static int wput(uint8_t *p, size_t n, FILE *f) { return fwrite(p, 1, n, f) == n ? 0 : -1; }

/* Sorts the worker's buffer and writes it as one run file. */
static int sort_buffer(ix_worker *w)
{
    ent **o = realloc(w->ord, (w->ne + 1) * sizeof *o);
    if (!o) return HD_ESOFTWARE;
    w->ord = o;
    for (size_t i = 0; i < w->ne; i++) o[i] = &w->e[i];
    if (w->ne > 1) qsort(o, w->ne, sizeof *o, ent_pcmp);
    w->sorted = 1;
    return HD_OK;
}

static int spill(ix_worker *w)
{
    ix_writer *b = w->b;
    if (w->ne == 0) return HD_OK;
    if (sort_buffer(w)) return HD_ESOFTWARE;
    uint32_t k = atomic_fetch_add(&b->nspills, 1);
    char path[4400];
    snprintf(path, sizeof path, "%s/run-%06u", b->spilldir, k);
    FILE *f = fopen(path, "wbx");
    if (!f) return HD_EIO;
    static __thread char vbuf[1 << 16];
    setvbuf(f, vbuf, _IOFBF, sizeof vbuf);
    int bad = 0;
    for (size_t i = 0; i < w->ne && !bad; i++) {
        const ent *e = w->ord[i];
        uint8_t h[RUN_HEAD];
        memcpy(h, e->tok, 32);
        memcpy(h + 32, &e->file, 4);
        memcpy(h + 36, &e->type, 4);
        memcpy(h + 40, &e->line, 8);
        memcpy(h + 48, &e->len, 4);
        bad = wput(h, sizeof h, f) || (e->len && wput(w->pay + e->off, e->len, f));
    }
    if (fclose(f) != 0) bad = 1;
    if (bad) return HD_EIO;
    pthread_mutex_lock(&b->mu);
    if (b->nruns == b->capruns) {
        uint32_t cap = b->capruns ? b->capruns * 2 : 16;
        char **r = realloc(b->runs, cap * sizeof *r);
        if (!r) { pthread_mutex_unlock(&b->mu); return HD_ESOFTWARE; }
        b->runs = r; b->capruns = cap;
    }
    b->runs[b->nruns] = strdup(path);
    int ok = b->runs[b->nruns] != NULL;
    if (ok) b->nruns++;
    pthread_mutex_unlock(&b->mu);
    w->ne = 0;
    w->npay = 0;
    w->sorted = 0;
    return ok ? HD_OK : HD_ESOFTWARE;
}

static int add_entry(ix_worker *w, const unsigned char tok[32], uint32_t file, uint32_t type, uint64_t line,
                     const uint8_t *pay, size_t len)
{
    if ((w->ne + 1) * (sizeof(ent) + sizeof(ent *)) + w->npay + len > w->b->budget && w->ne) {
        int rc = spill(w);
        if (rc) return rc;
    }
    if (w->ne == w->cape) {
        size_t cap = w->cape ? w->cape * 2 : w->b->budget / sizeof(ent) / 4 + 16;
        ent *e = realloc(w->e, cap * sizeof *e);
        if (!e) return HD_ESOFTWARE;
        w->e = e; w->cape = cap;
    }
    if (w->npay + len > w->cappay) {
        size_t cap = w->cappay ? w->cappay : w->b->budget;
        while (cap < w->npay + len) cap *= 2;
        uint8_t *p = realloc(w->pay, cap);
        if (!p) return HD_ESOFTWARE;
        w->pay = p; w->cappay = cap;
    }
    ent *e = &w->e[w->ne++];
    memcpy(e->tok, tok, 32);
    e->key = tok_key(tok);
    e->file = file;
    e->type = type;
    e->line = line;
    e->off = w->npay;
    e->len = (uint32_t)len;
    if (len) memcpy(w->pay + w->npay, pay, len);
    w->npay += len;
    return HD_OK;
}

/* One row of extract file `result` (the caller's result index) of source
 * `source`: a usable row (reason HD_R_NONE, rec filled; its name cell is
 * replaced by its keyed token) or the ID cell of a quarantined one, read
 * at pos[HD_F_ID_NUMBER]. */
int ix_worker_row(ix_worker *w, uint32_t result, int source, const int *pos, const hd_csv_record *row,
                  hd_record *rec, hd_reason reason)
{
    if (!w) return HD_OK;
    ix_writer *b = w->b;
    uint32_t ordinal = result - b->first;
    int token_form = b->id_token[source];
    unsigned char tok[32];
    if (reason != HD_R_NONE) {
        /* SPEC §7: the ID cell of a quarantined row, read alone at its
         * column's position, whatever the row's first fault */
        int p = pos[HD_F_ID_NUMBER];
        if (p < 0 || (size_t)p >= row->nfields) return HD_OK;
        const char *s = row->fields[p].p;
        size_t n = row->fields[p].n;
        hd_cell_clean(&s, &n);
        if (token_form) {
            char t[65];
            if (hd_token_normalise(s, n, t) != HD_R_NONE) return HD_OK;
            ix_token_token(w->mac, t, tok);
        } else {
            hd_id id;
            if (hd_id_normalise(s, n, b->as_of, &id) != HD_R_NONE) return HD_OK;
            ix_token_id(w->mac, id.s, tok);
        }
        return add_entry(w, tok, ordinal, E_UNREAD | ((uint32_t)reason << 8), row->line, NULL, 0);
    }
    const hd_value *idv = &rec->v[HD_F_ID_NUMBER];
    if (token_form) ix_token_token(w->mac, idv->s, tok);
    else ix_token_id(w->mac, idv->s, tok);
    char name_tok[65];
    hd_value *nv = &rec->v[HD_F_NAME];
    if (nv->present && nv->n) {
        if (ix_token_name(w->mac, nv->s, nv->n, name_tok)) return HD_ESOFTWARE;
        nv->s = name_tok;
        nv->n = 32;
    }
    rec->source = (uint16_t)source;
    rec->file = ordinal;
    rec->line = row->line;
    uint8_t buf[8192], *p = buf;
    size_t max = ix_encode_max(rec);
    if (max > sizeof buf && !(p = malloc(max))) return HD_ESOFTWARE;
    size_t n = ix_encode(rec, p);
    w->rows++;
    int rc = add_entry(w, tok, ordinal, E_RECORD, row->line, p, n);
    if (p != buf) free(p);
    return rc;
}

/* A worker for one scanning thread (NULL when the index is reused: rows
 * are not kept). */
ix_worker *ix_writer_worker(ix_writer *b)
{
    if (!b || b->reused) return NULL;
    ix_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->b = b;
    if (!(w->mac = ix_mac_new(&b->ikey))) { free(w); return NULL; }
    pthread_mutex_lock(&b->mu);
    int ok = 1;
    if (b->nws == b->capws) {
        int cap = b->capws ? b->capws * 2 : 8;
        ix_worker **n = realloc(b->ws, (size_t)cap * sizeof *n);
        if (n) { b->ws = n; b->capws = cap; } else ok = 0;
    }
    if (ok) b->ws[b->nws++] = w;
    pthread_mutex_unlock(&b->mu);
    if (!ok) { ix_mac_free(w->mac); free(w); return NULL; }
    return w;
}

/* The thread is done: its last buffer sorted there (merged from memory). */
int ix_worker_done(ix_worker *w)
{
    if (!w) return HD_OK;
    ix_mac_free(w->mac);
    w->mac = NULL;
    return w->ne && !w->sorted ? sort_buffer(w) : HD_OK;
}

/* ------------------------------------------------------------ merge */

typedef struct cursor {
    FILE *f;
    ix_worker *w; size_t i;     /* a memory run: w->ord[i] */
    uint8_t head[RUN_HEAD];
    ent e;
    uint8_t *pay; size_t cap;
    int done;
} cursor;

static int cur_next(cursor *c)
{
    if (c->w) {
        if (c->i == c->w->ne) { c->done = 1; return 0; }
        c->e = *c->w->ord[c->i++];
        c->pay = c->w->pay + c->e.off;
        return 0;
    }
    size_t n = fread(c->head, 1, RUN_HEAD, c->f);
    if (n == 0 && feof(c->f)) { c->done = 1; return 0; }
    if (n != RUN_HEAD) return -1;
    memcpy(c->e.tok, c->head, 32);
    c->e.key = tok_key(c->e.tok);
    memcpy(&c->e.file, c->head + 32, 4);
    memcpy(&c->e.type, c->head + 36, 4);
    memcpy(&c->e.line, c->head + 40, 8);
    memcpy(&c->e.len, c->head + 48, 4);
    if (c->e.len > c->cap) {
        uint8_t *p = realloc(c->pay, c->e.len);
        if (!p) return -1;
        c->pay = p; c->cap = c->e.len;
    }
    if (c->e.len && fread(c->pay, 1, c->e.len, c->f) != c->e.len) return -1;
    return 0;
}

static int heap_less(cursor **h, uint32_t a, uint32_t b) { return ent_cmp(&h[a]->e, &h[b]->e) < 0; }

static void sift_down(cursor **h, uint32_t n, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && heap_less(h, l, m)) m = l;
        if (r < n && heap_less(h, r, m)) m = r;
        if (m == i) return;
        cursor *t = h[i]; h[i] = h[m]; h[m] = t;
        i = m;
    }
}

static int write_header(FILE *f, const char *magic, uint64_t count, uint64_t payload, const unsigned char digest[32])
{
    hd_ix_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, magic, 8);
    h.endian = 0x01020304;
    h.entry_size = 48;
    h.count = count;
    h.payload = payload;
    memcpy(h.digest, digest, 32);
    return fseek(f, 0, SEEK_SET) == 0 && fwrite(&h, sizeof h, 1, f) == 1 ? 0 : -1;
}

static int merge_runs(ix_writer *b, const char *dir, const unsigned char digest[32], hd_index_result *res,
                      hd_error *err)
{
    char pt[4400], pr[4400], pu[4400];
    snprintf(pt, sizeof pt, "%s/tokens.bin", dir);
    snprintf(pr, sizeof pr, "%s/records.bin", dir);
    snprintf(pu, sizeof pu, "%s/unreadable.bin", dir);
    FILE *ft = fopen(pt, "wb"), *fr = fopen(pr, "wb"), *fu = fopen(pu, "wb");
    uint32_t nc = b->nruns + (uint32_t)b->nws;
    cursor *cs = calloc(nc + 1, sizeof *cs);
    cursor **heap = calloc(nc + 1, sizeof *heap);
    int rc = HD_OK;
    if (!ft || !fr || !fu) rc = hd_fail(err, HD_EIO, "%s: cannot create the index files: %s", dir, strerror(errno));
    else if (!cs || !heap) rc = hd_fail(err, HD_ESOFTWARE, "out of memory");
    unsigned char zero[64] = {0};
    if (!rc && (fwrite(zero, 64, 1, ft) != 1 || fwrite(zero, 64, 1, fu) != 1))
        rc = hd_fail(err, HD_EIO, "%s: cannot write: %s", pt, strerror(errno));
    uint32_t nh = 0;
    for (uint32_t i = 0; !rc && i < b->nruns; i++) {
        cs[i].f = fopen(b->runs[i], "rb");
        if (!cs[i].f || cur_next(&cs[i]))
            rc = hd_fail(err, HD_EIO, "%s: cannot read a spill file back: %s", b->runs[i], strerror(errno));
        else if (!cs[i].done) heap[nh++] = &cs[i];
    }
    for (uint32_t i = 0; !rc && i < (uint32_t)b->nws; i++) {
        if (!b->ws[i]->ne) continue;
        cursor *c = &cs[b->nruns + i];
        c->w = b->ws[i];
        cur_next(c);
        if (!c->done) heap[nh++] = c;
    }
    for (uint32_t i = nh / 2; !rc && i-- > 0;) sift_down(heap, nh, i);
    hd_ix_slot slot;
    int have = 0;
    uint64_t off = 0, ntok = 0, nun = 0;
    uint8_t lenbuf[10];
    while (!rc && nh) {
        cursor *c = heap[0];
        const ent *e = &c->e;
        if ((e->type & 0xff) == E_RECORD) {
            if (!have || memcmp(slot.token, e->tok, 32)) {
                if (have && fwrite(&slot, sizeof slot, 1, ft) != 1) { rc = HD_EIO; break; }
                memset(&slot, 0, sizeof slot);
                memcpy(slot.token, e->tok, 32);
                slot.off = off;
                have = 1;
                ntok++;
            }
            size_t ln = (size_t)(hd_varint_put(lenbuf, e->len) - lenbuf);
            if (fwrite(lenbuf, 1, ln, fr) != ln || fwrite(c->pay, 1, e->len, fr) != e->len) { rc = HD_EIO; break; }
            off += ln + e->len;
            slot.count++;
            slot.len += (uint32_t)(ln + e->len);
        } else {
            hd_ix_unread u;
            memset(&u, 0, sizeof u);
            memcpy(u.token, e->tok, 32);
            u.file = e->file;
            u.reason = e->type >> 8;
            u.line = e->line;
            if (fwrite(&u, sizeof u, 1, fu) != 1) { rc = HD_EIO; break; }
            nun++;
        }
        if (cur_next(c)) { rc = hd_fail(err, HD_EIO, "a spill file cannot be read back"); break; }
        if (c->done) heap[0] = heap[--nh];
        if (nh) sift_down(heap, nh, 0);
    }
    if (rc == HD_EIO && err && !err->message[0]) hd_fail(err, HD_EIO, "%s: cannot write the index: %s", dir, strerror(errno));
    if (!rc && have && fwrite(&slot, sizeof slot, 1, ft) != 1) rc = hd_fail(err, HD_EIO, "%s: %s", pt, strerror(errno));
    if (!rc && (write_header(ft, IX_MAGIC_TOKENS, ntok, off, digest) ||
                write_header(fu, IX_MAGIC_UNREAD, nun, 0, digest)))
        rc = hd_fail(err, HD_EIO, "%s: cannot write the index header: %s", dir, strerror(errno));
    if (ft && fclose(ft) && !rc) rc = hd_fail(err, HD_EIO, "%s: %s", pt, strerror(errno));
    if (fr && fclose(fr) && !rc) rc = hd_fail(err, HD_EIO, "%s: %s", pr, strerror(errno));
    if (fu && fclose(fu) && !rc) rc = hd_fail(err, HD_EIO, "%s: %s", pu, strerror(errno));
    for (uint32_t i = 0; cs && i < b->nruns; i++) {
        if (cs[i].f) fclose(cs[i].f);
        free(cs[i].pay);
        unlink(b->runs[i]);
    }
    free(cs);
    free(heap);
    res->tokens = ntok;
    res->rows_unreadable_ids = nun;
    return rc;
}

/* ------------------------------------------------------------ files */

static int copy_file(const char *from, const char *to, hd_error *err)
{
    FILE *a = fopen(from, "rb");
    if (!a) return hd_fail(err, errno == ENOENT ? HD_ENOINPUT : HD_EIO, "%s: %s", from, strerror(errno));
    FILE *b = fopen(to, "wb");
    if (!b) { fclose(a); return hd_fail(err, HD_EIO, "%s: %s", to, strerror(errno)); }
    char buf[65536];
    size_t n;
    int bad = 0;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n) { bad = 1; break; }
    if (ferror(a)) bad = 1;
    fclose(a);
    if (fclose(b)) bad = 1;
    return bad ? hd_fail(err, HD_EIO, "%s: cannot copy to %s", from, to) : HD_OK;
}

/* One line value of meta.ini: no newline, no leading/trailing space. */
static void ini_val(FILE *f, const char *k, const char *v)
{
    fprintf(f, "%s = ", k);
    for (const char *p = v; *p; p++) fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
    fputc('\n', f);
}

static int write_meta(const ix_writer *b, const hd_results *st, const char *dir, const char *policy_rel,
                      hd_error *err)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/meta.ini", dir);
    FILE *f = fopen(p, "w");
    if (!f) return hd_fail(err, HD_EIO, "%s: %s", p, strerror(errno));
    char date[11];
    hd_date_format(st->job->as_of, date);
    fprintf(f, "; hedui index (SPEC §11): what lookup and serve need besides the tables\n[index]\n");
    ini_val(f, "format", IX_FORMAT);
    ini_val(f, "engine", HD_ENGINE_VERSION);
    ini_val(f, "job", st->job->name);
    ini_val(f, "as_of", date);
    ini_val(f, "key_id", st->key.id);
    ini_val(f, "index_key_id", b->ikey.id);
    /* during a rotation, lookup derives the providers' keys from both
     * masters, as the run joins tokenised rows made under either (SPEC §8) */
    if (st->key.has_previous) ini_val(f, "previous_key_id", st->key.previous_id);
    ini_val(f, "policy", policy_rel);
    ini_val(f, "policy_digest", st->policy->digest);
    ini_val(f, "digest", b->dhex);
    fprintf(f, "damaged = %d\nsources = %d\nfiles = %u\n", st->damaged, st->job->nsources, b->nfiles);
    for (int s = 0; s < st->job->nsources; s++) {
        const hd_source_state *ss = &st->src[s];
        fprintf(f, "\n[source %d]\n", s);
        ini_val(f, "name", st->job->sources[s].name);
        ini_val(f, "kind", hd_kind_name(ss->desc->kind));
        fprintf(f, "id_token = %d\n", ss->desc->id_token);
        if (ss->desc->id_token) ini_val(f, "provider", st->job->sources[s].provider);
        ini_val(f, "damage", ss->damage == HD_R_NONE ? "" : hd_reason_name(ss->damage));
        ini_val(f, "damage_msg", ss->damage_msg);
    }
    for (uint32_t i = 0; i < b->nfiles; i++) {
        fprintf(f, "\n[file %u]\nsource = %d\n", i, b->source_of[i]);
        ini_val(f, "path", hd_path_rel(b->paths[i], st->job->dir));
    }
    return fclose(f) ? hd_fail(err, HD_EIO, "%s: %s", p, strerror(errno)) : HD_OK;
}

/* ------------------------------------------------------------ writer */

static int nthreads(const hd_index_opts *o)
{
    return hd_pool_threads(o ? o->threads : 0, 64);
}

/* The index's inputs, in its order: policy, standards, the populations'
 * descriptors, each source's descriptor, the extract files; their digests
 * taken from st->inputs (hashed by the caller: the run hashes more). */
static int index_input(ix_writer *b, const hd_results *st, const char *path, hd_error *err)
{
    for (uint32_t i = 0; i < b->ninputs; i++)
        if (!strcmp(b->inputs[i].path, path)) return HD_OK;
    const hd_input *from = NULL;
    for (uint32_t i = 0; i < st->ninputs && !from; i++)
        if (!strcmp(st->inputs[i].path, path)) from = &st->inputs[i];
    if (!from) return hd_fail(err, HD_ESOFTWARE, "%s: not among the hashed inputs", path);
    hd_input *n = realloc(b->inputs, (b->ninputs + 1) * sizeof *n);
    if (!n) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    b->inputs = n;
    hd_input *in = &n[b->ninputs];
    *in = *from;
    if (!(in->path = strdup(path))) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    in->rel = hd_path_rel(in->path, st->job->dir);
    b->ninputs++;
    return HD_OK;
}

/* The index digest: engine version, key id (and the previous master's
 * during a rotation), policy digest, as_of and the sources' input digest
 * (the index's inputs: relative path and SHA-256, in order). */
static void index_digest(ix_writer *b, const hd_results *st)
{
    hd_sha256 *h = hd_sha256_new(), *s = hd_sha256_new();
    hd_inputs_digest_update(s, b->inputs, b->ninputs);
    unsigned char sd[32];
    char shex[65];
    hd_sha256_final(s, sd);
    hd_hex(sd, 32, shex);
    char date[11], head[600];
    hd_date_format(st->job->as_of, date);
    int n = snprintf(head, sizeof head, "hedui-index/1\n%s\n%s%s%s\n%s\n%s\n%s\n", HD_ENGINE_VERSION, st->key.id,
                     st->key.has_previous ? " previous " : "", st->key.has_previous ? st->key.previous_id : "",
                     st->policy->digest, date, shex);
    hd_sha256_update(h, head, (size_t)n);
    hd_sha256_final(h, b->digest);
    hd_hex(b->digest, 32, b->dhex);
}

void ix_writer_free(ix_writer *b)
{
    if (!b) return;
    if (b->th_started) pthread_join(b->th, NULL);
    hd_key_wipe(&b->ms.key);
    for (uint32_t i = 0; i < b->nruns; i++) { unlink(b->runs[i]); free(b->runs[i]); }
    free(b->runs);
    for (int i = 0; i < b->nws; i++) {
        ix_mac_free(b->ws[i]->mac);
        free(b->ws[i]->e);
        free(b->ws[i]->ord);
        free(b->ws[i]->pay);
        free(b->ws[i]);
    }
    free(b->ws);
    if (b->spilldir[0]) hd_rmtree(b->spilldir);
    if (b->tmp[0]) hd_rmtree(b->tmp);
    for (uint32_t i = 0; i < b->ninputs; i++) free(b->inputs[i].path);
    free(b->inputs);
    free(b->id_token);
    free(b->source_of);
    free(b->paths);
    hd_key_wipe(&b->ikey);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/*
 * A writer for the job of st (job, policy, key, sources' descriptors and
 * files loaded; every input hashed): the extract files are the caller's
 * results first .. first + nfiles, in source order. Decides the index
 * directory; when it exists and verifies (and not opts->force), the writer
 * keeps no row and ix_writer_finish writes nothing (res->reused).
 */
int ix_writer_new(ix_writer **out, const hd_results *st, uint32_t first, const hd_index_opts *opts,
                  hd_index_result *res, hd_error *err)
{
    *out = NULL;
    const hd_job *job = st->job;
    ix_writer *b = calloc(1, sizeof *b);
    if (!b) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    pthread_mutex_init(&b->mu, NULL);
    if (opts) b->opts = *opts;
    b->as_of = job->as_of;
    b->first = first;
    b->nsources = job->nsources;
    int rc = hd_index_key(&st->key, &b->ikey, err);
    for (int s = 0; s < job->nsources; s++) b->nfiles += (uint32_t)st->src[s].nfiles;
    b->id_token = calloc((size_t)job->nsources + 1, sizeof *b->id_token);
    b->source_of = calloc(b->nfiles + 1, sizeof *b->source_of);
    b->paths = calloc(b->nfiles + 1, sizeof *b->paths);
    if (!rc && (!b->id_token || !b->source_of || !b->paths)) rc = hd_fail(err, HD_ESOFTWARE, "out of memory");
    for (int s = 0; !rc && s < job->nsources; s++) {
        b->id_token[s] = st->src[s].desc->id_token;
        for (int f = 0; f < st->src[s].nfiles; f++) {
            uint32_t o = st->src[s].first_result - first + (uint32_t)f;
            b->source_of[o] = s;
            b->paths[o] = st->src[s].files[f];
        }
    }
    /* inputs: policy, standards, the populations' descriptors, sources'
     * descriptors, extracts */
    if (!rc) rc = index_input(b, st, job->policy, err);
    if (!rc) rc = index_input(b, st, st->policy->standards_path, err);
    if (!rc) rc = index_input(b, st, job->applicants_format, err);
    if (!rc && *job->roster_glob) rc = index_input(b, st, job->roster_format, err);
    if (!rc && *job->monitor_glob) rc = index_input(b, st, job->monitor_format, err);
    for (int s = 0; !rc && s < job->nsources; s++) rc = index_input(b, st, job->sources[s].format_path, err);
    for (uint32_t i = 0; !rc && i < b->nfiles; i++) rc = index_input(b, st, b->paths[i], err);
    if (rc) { ix_writer_free(b); return rc; }
    index_digest(b, st);

    char date[11];
    hd_date_format(job->as_of, date);
    snprintf(b->root, sizeof b->root, "%s/index", job->output);
    snprintf(b->outdir, sizeof b->outdir, "%s/%s-%.12s", b->root, date, b->dhex);
    snprintf(res->outdir, sizeof res->outdir, "%s", b->outdir);
    if (hd_mkdirs(b->root, 0700) != 0) {
        rc = hd_fail(err, HD_EIO, "%s: cannot create: %s", b->root, strerror(errno));
        ix_writer_free(b);
        return rc;
    }
    struct stat sb;
    if (stat(b->outdir, &sb) == 0 && !b->opts.force) {
        hd_error verr;
        int vflags = *job->signing_key ? 0 : HD_VERIFY_ALLOW_UNSIGNED;
        if (hd_audit_verify_ex(b->outdir, NULL, vflags, NULL, NULL, NULL, &verr) == HD_OK) {
            b->reused = res->reused = 1;
            *out = b;
            return HD_OK;
        }
        /* 65 as for a run's output: nothing failed to write (SPEC §8) */
        rc = hd_fail(err, HD_EDATA, "%s exists but does not verify (%s); check it with hedui audit verify, "
                     "then rerun with --force to replace it", b->outdir, verr.message);
        ix_writer_free(b);
        return rc;
    }
    snprintf(b->tmp, sizeof b->tmp, "%s/.tmp-%.12s-%ld", b->root, b->dhex, (long)getpid());
    snprintf(b->spilldir, sizeof b->spilldir, "%s/.spill-%.12s-%ld", b->root, b->dhex, (long)getpid());
    hd_rmtree(b->tmp);
    hd_rmtree(b->spilldir);
    if (mkdir(b->tmp, 0700) != 0 || mkdir(b->spilldir, 0700) != 0) {
        rc = hd_fail(err, HD_EIO, "%s: cannot create: %s", b->tmp, strerror(errno));
        ix_writer_free(b);
        return rc;
    }
    uint64_t mem = b->opts.memory ? b->opts.memory : (uint64_t)64 << 20;
    b->budget = (size_t)(mem / (uint64_t)nthreads(&b->opts));
    if (b->budget < 4096) b->budget = 4096;
    *out = b;
    return HD_OK;
}

/*
 * Writes the index once every row went through ix_worker_row and every
 * worker is done, and the sources' damage is decided in st (as the run
 * does, batch/damage.c): ix_writer_prepare (policy and formats, meta.ini:
 * what needs st), then ix_writer_complete (merge, manifest, rename into
 * place). Fills res (tokens, unreadable ids, spills, signed).
 */
static int ix_writer_prepare(ix_writer *b, const hd_results *st, hd_index_result *res, hd_error *err)
{
    const hd_job *job = st->job;
    if (b->reused) {
        snprintf(res->outdir, sizeof res->outdir, "%s", b->outdir);
        res->reused = 1;
        return HD_OK;
    }
    int rc = HD_OK;
    const char *tmp = b->tmp;

    /* the policy, byte for byte, with its standards beside it */
    char pdir[4500], p1[4600], p2[4600];
    snprintf(pdir, sizeof pdir, "%s/policy", tmp);
    const char *pbase = strrchr(job->policy, '/');
    pbase = pbase ? pbase + 1 : job->policy;
    char polrel[600];
    snprintf(polrel, sizeof polrel, "policy/%s", pbase);
    char pol_dir[4096];
    snprintf(pol_dir, sizeof pol_dir, "%s", job->policy);
    char *slash = strrchr(pol_dir, '/');
    if (slash) *slash = 0; else strcpy(pol_dir, ".");
    const char *srel = hd_path_rel(st->policy->standards_path, pol_dir);
    if (srel[0] == '/' || strstr(srel, ".."))
        return hd_fail(err, HD_ECONFIG, "%s: the standards file must lie beside the policy or below it to be copied into the index",
                       job->policy);
    snprintf(p1, sizeof p1, "%s/%s", pdir, pbase);
    snprintf(p2, sizeof p2, "%s/%s", pdir, srel);
    char p2dir[4600];
    snprintf(p2dir, sizeof p2dir, "%s", p2);
    *strrchr(p2dir, '/') = 0;
    if (hd_mkdirs(p2dir, 0700) != 0) return hd_fail(err, HD_EIO, "%s: %s", p2dir, strerror(errno));
    rc = copy_file(job->policy, p1, err);
    if (!rc) rc = copy_file(st->policy->standards_path, p2, err);
    snprintf(p1, sizeof p1, "%s/applicants.fmt", tmp);
    if (!rc) rc = copy_file(job->applicants_format, p1, err);
    /* the populations' formats (SPEC §10), for `lookup --population` */
    if (!rc && *job->roster_glob) {
        snprintf(p1, sizeof p1, "%s/roster.fmt", tmp);
        rc = copy_file(job->roster_format, p1, err);
    }
    if (!rc && *job->monitor_glob) {
        snprintf(p1, sizeof p1, "%s/monitor.fmt", tmp);
        rc = copy_file(job->monitor_format, p1, err);
    }
    if (!rc) rc = write_meta(b, st, tmp, polrel, err);
    if (rc) return rc;
    /* the manifest of the index alone: its inputs and digest, under the
     * job's master key id (not the run's manifest) */
    memset(&b->ms, 0, sizeof b->ms);
    b->ms.job = st->job;
    b->ms.policy = st->policy;
    b->ms.key = st->key;
    b->ms.inputs = b->inputs;
    b->ms.ninputs = b->ninputs;
    memcpy(b->ms.input_digest, b->dhex, 65);
    b->damaged = st->damaged;
    b->prepared = 1;
    return HD_OK;
}

/* The tables merged from the workers' runs, the manifest, the index in
 * place (after ix_writer_prepare; st no longer needed: the run's rules may
 * go on meanwhile). */
static int ix_writer_complete(ix_writer *b, hd_index_result *res, hd_error *err)
{
    int rc = HD_OK;
    const char *tmp = b->tmp;
    for (int i = 0; i < b->nws && !rc; i++) {
        if (b->ws[i]->ne && !b->ws[i]->sorted) rc = sort_buffer(b->ws[i]);
        res->rows_indexed += b->ws[i]->rows;
    }
    if (rc) return hd_fail(err, rc, "out of memory while indexing");
    res->spills = b->nruns;           /* runs written to disk; the last buffers merge from memory */
    if ((rc = merge_runs(b, tmp, b->digest, res, err)) != HD_OK) return rc;
    int signed_ = 0;
    rc = hd_write_manifest(&b->ms, tmp, &signed_, err);
    if (!rc) {
        int tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0 || syncfs(tfd) != 0) rc = hd_fail(err, HD_EIO, "%s: cannot sync: %s", tmp, strerror(errno));
        if (tfd >= 0) close(tfd);
    }
    if (!rc) {
        struct stat sb;
        if (stat(b->outdir, &sb) == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, b->outdir, RENAME_EXCHANGE) == 0) {
            hd_rmtree(tmp);
        } else if (rename(tmp, b->outdir) != 0) {
            rc = hd_fail(err, HD_EIO, "%s: cannot rename into place: %s", b->outdir, strerror(errno));
        }
    }
    if (rc) return rc;
    b->tmp[0] = 0;                    /* in place: not removed by ix_writer_free */
    snprintf(res->outdir, sizeof res->outdir, "%s", b->outdir);
    res->signed_manifest = signed_;
    res->damaged = b->damaged;
    res->files = b->nfiles;
    return HD_OK;
}

int ix_writer_finish(ix_writer *b, const hd_results *st, hd_index_result *res, hd_error *err)
{
    int rc = ix_writer_prepare(b, st, res, err);
    if (rc == HD_OK && !b->reused) rc = ix_writer_complete(b, res, err);
    return rc;
}

/* ------------------------------------------------------------ hedui run */

/* `[job] index = yes` (SPEC §11): the run's scan feeds a writer. Called
 * once the run's inputs are hashed, before its scan. An index that exists
 * and verifies (and no --force) is kept: st->ixw stays NULL, its directory
 * goes to dir. */
int hd_run_index_begin(hd_results *st, char *dir, size_t cap, hd_error *err)
{
    hd_index_opts o;
    memset(&o, 0, sizeof o);
    o.threads = st->opts ? st->opts->threads : 0;
    o.force = st->opts ? st->opts->force : 0;
    hd_index_result r;
    memset(&r, 0, sizeof r);
    int rc = ix_writer_new(&st->ixw, st, (uint32_t)st->napp_files, &o, &r, err);
    if (rc == HD_OK && r.reused) {
        /* nothing to feed: the scan runs without a writer */
        ix_writer_free(st->ixw);
        st->ixw = NULL;
        snprintf(dir, cap, "%s", r.outdir);
        if (st->opts && st->opts->log) {
            char m[4400];
            snprintf(m, sizeof m, "%s exists and verifies; not rewritten (--force rebuilds it)", r.outdir);
            st->opts->log(st->opts->log_user, HD_LOG_INFO, "index_exists", m);
        }
    }
    return rc;
}

static void *complete_main(void *arg)
{
    ix_writer *b = arg;
    hd_error_clear(&b->th_err);
    b->th_rc = ix_writer_complete(b, &b->th_res, &b->th_err);
    return NULL;
}

/* After the sources' damage is decided: what needs the run's state is
 * written, then the merge and the manifest go on on a thread of their own
 * while the run judges and writes its outputs (on one core when there is
 * no thread to be had). hd_run_index_join waits for it. */
int hd_run_index_end(hd_results *st, hd_error *err)
{
    ix_writer *b = st->ixw;
    int rc = ix_writer_prepare(b, st, &b->th_res, err);
    if (rc != HD_OK) return rc;
    if (pthread_create(&b->th, NULL, complete_main, b) == 0) b->th_started = 1;
    else complete_main(b);
    return HD_OK;
}

/* The index in place: its directory into out (cap bytes). */
int hd_run_index_join(hd_results *st, char *out, size_t cap, hd_error *err)
{
    ix_writer *b = st->ixw;
    if (!b) return HD_OK;
    if (b->th_started) { pthread_join(b->th, NULL); b->th_started = 0; }
    hd_index_result r = b->th_res;
    int rc = b->th_rc;
    if (rc != HD_OK && err) *err = b->th_err;
    ix_writer_free(b);
    st->ixw = NULL;
    if (rc != HD_OK) return rc;
    snprintf(out, cap, "%s", r.outdir);
    if (st->opts && st->opts->log) {
        char m[4400];
        snprintf(m, sizeof m, "index %s%s: %" PRIu64 " tokens, %" PRIu64 " rows", r.outdir,
                 r.reused ? " (exists and verifies)" : "", r.tokens, r.rows_indexed);
        st->opts->log(st->opts->log_user, HD_LOG_INFO, "index_written", m);
    }
    return HD_OK;
}

struct ix_worker *hd_run_index_worker(hd_results *st) { return st->ixw ? ix_writer_worker(st->ixw) : NULL; }

int hd_run_index_row(struct ix_worker *k, uint32_t result, int source, const int *pos,
                     const hd_csv_record *row, hd_record *rec, hd_reason reason)
{
    return ix_worker_row(k, result, source, pos, row, rec, reason);
}

int hd_run_index_done(struct ix_worker *k) { return ix_worker_done(k); }

void hd_run_index_free(hd_results *st)
{
    ix_writer_free(st->ixw);
    st->ixw = NULL;
}
