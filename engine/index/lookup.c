/*
 * lookup.c — the index reader: opens and checks an index directory, maps
 * its tables, and judges households against it (`hedui lookup`, `hedui
 * serve`) through the run's own code: the applicants loader
 * (hd_load_applicants) builds the households and members, their records
 * come from the index, and hd_judge_household judges them. No rule lives
 * here.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "batch/stages.h"
#include "report/common.h"
#include "report/ixfile.h"
#include "hedui/verify.h"
#include "util/ini.h"
#include "util/path.h"
#include "util/varint.h"

typedef struct ix_source { char name[128]; char provider[64]; int kind; int id_token; char damage[64]; } ix_source;

/* A provider key of a tokenised source (SPEC §8 "Keys per audience"):
 * under the current master, and under the previous one during a rotation;
 * its MAC set up once at open (copied per check). */
typedef struct ix_pkey { ix_mac *mac; } ix_pkey;

typedef struct ix_map { void *p; size_t n; } ix_map;

struct hd_ix {
    char dir[4096];
    hd_key master, ikey, akey;       /* akey: the audit key of the run's household and member tokens */
    ix_mac *imac;                    /* under ikey, set up once */
    ix_pkey *pk; int npk;            /* one per provider and master (current, previous) */
    char previous_id[64];            /* the previous master's id when built during a rotation */
    char format[64], key_id[64], policy_rel[600], policy_digest[65], digest[65];
    hd_date as_of;
    int have_as_of;
    int damaged;
    int any_token;
    ix_source *src; int nsrc;
    char **files; uint32_t nfiles;
    hd_policy *policy;
    hd_descriptor *app_desc;
    hd_descriptor *pop_desc[HD_POP__COUNT];  /* roster.fmt, monitor.fmt when the job had them */
    hd_descriptor *check_desc;       /* canonical columns: hd_ix_check's rows */
    ix_map tokens, records, unread;
    const hd_ix_slot *slots; uint64_t nslots;
    const uint8_t *blob; uint64_t nblob;
    const hd_ix_unread *un; uint64_t nun;
};

/* ---------------------------------------------------------------- text */

typedef struct sb { char *p; size_t n, cap; int oom; } sb;

static void sb_put(sb *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) { b->oom = 1; return; }
        b->p = q; b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_str(sb *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_i64(sb *b, int64_t v) { char t[32]; int k = snprintf(t, sizeof t, "%" PRId64, v); sb_put(b, t, (size_t)k); }
static void sb_json(sb *b, const char *s)
{
    sb_put(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s, *run = p;
    for (; *p; p++) {
        if (*p != '"' && *p != '\\' && *p >= 0x20) continue;
        sb_put(b, (const char *)run, (size_t)(p - run));   /* the plain bytes before, in one copy */
        char t[8];
        if (*p == '"' || *p == '\\') { t[0] = '\\'; t[1] = (char)*p; sb_put(b, t, 2); }
        else { snprintf(t, sizeof t, "\\u%04x", *p); sb_put(b, t, 6); }
        run = p + 1;
    }
    sb_put(b, (const char *)run, (size_t)(p - run));
    sb_put(b, "\"", 1);
}

/* ---------------------------------------------------------------- open */

struct meta_ctx { hd_ix *ix; };

static int meta_handler(void *user, const char *section, const char *key, const char *value,
                        int line, hd_error *err)
{
    (void)line; (void)err;
    hd_ix *ix = ((struct meta_ctx *)user)->ix;
    if (!strcmp(section, "index")) {
        if (!strcmp(key, "format")) snprintf(ix->format, sizeof ix->format, "%s", value);
        else if (!strcmp(key, "key_id")) snprintf(ix->key_id, sizeof ix->key_id, "%s", value);
        else if (!strcmp(key, "previous_key_id")) snprintf(ix->previous_id, sizeof ix->previous_id, "%s", value);
        else if (!strcmp(key, "policy")) snprintf(ix->policy_rel, sizeof ix->policy_rel, "%s", value);
        else if (!strcmp(key, "policy_digest")) snprintf(ix->policy_digest, sizeof ix->policy_digest, "%s", value);
        else if (!strcmp(key, "digest")) snprintf(ix->digest, sizeof ix->digest, "%s", value);
        else if (!strcmp(key, "damaged")) ix->damaged = atoi(value) != 0;
        else if (!strcmp(key, "as_of")) {
            int y, m, d;
            if (sscanf(value, "%d-%d-%d", &y, &m, &d) == 3) { ix->as_of = hd_date_from_ymd(y, m, d); ix->have_as_of = 1; }
        } else if (!strcmp(key, "sources")) {
            int n = atoi(value);
            if (n < 0 || n > 4096) return 0;
            ix->src = calloc((size_t)n + 1, sizeof *ix->src);
            if (!ix->src) return 0;
            ix->nsrc = n;
        } else if (!strcmp(key, "files")) {
            long n = atol(value);
            if (n < 0 || n > 10000000) return 0;
            ix->files = calloc((size_t)n + 1, sizeof *ix->files);
            if (!ix->files) return 0;
            ix->nfiles = (uint32_t)n;
        }
        return 1;
    }
    int i;
    if (sscanf(section, "source %d", &i) == 1) {
        if (i < 0 || i >= ix->nsrc) return 0;
        ix_source *s = &ix->src[i];
        if (!strcmp(key, "name")) snprintf(s->name, sizeof s->name, "%s", value);
        else if (!strcmp(key, "provider")) snprintf(s->provider, sizeof s->provider, "%s", value);
        else if (!strcmp(key, "kind")) s->kind = hd_kind_parse(value);
        else if (!strcmp(key, "id_token")) { s->id_token = atoi(value) != 0; ix->any_token |= s->id_token; }
        else if (!strcmp(key, "damage")) snprintf(s->damage, sizeof s->damage, "%s", value);
        return 1;
    }
    if (sscanf(section, "file %d", &i) == 1) {
        if (i < 0 || (uint32_t)i >= ix->nfiles) return 0;
        if (!strcmp(key, "path") && !(ix->files[i] = strdup(value))) return 0;
        return 1;
    }
    return 1;
}

static int map_file(ix_map *m, const char *dir, const char *name, hd_error *err)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return hd_fail(err, errno == ENOENT ? HD_EDATA : HD_EIO, "%s: cannot open: %s", p, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) { close(fd); return hd_fail(err, HD_EIO, "%s: %s", p, strerror(errno)); }
    m->n = (size_t)sb.st_size;
    m->p = NULL;
    if (m->n) {
        m->p = mmap(NULL, m->n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m->p == MAP_FAILED) { m->p = NULL; close(fd); return hd_fail(err, HD_EIO, "%s: cannot map: %s", p, strerror(errno)); }
    }
    close(fd);
    return HD_OK;
}

static int check_table(const ix_map *m, const char *magic, const hd_ix *ix, const char *name, hd_error *err)
{
    if (m->n < sizeof(hd_ix_header))
        return hd_fail(err, HD_EDATA, "%s/%s: truncated (%zu bytes)", ix->dir, name, m->n);
    const hd_ix_header *h = m->p;
    if (memcmp(h->magic, magic, 8) || h->endian != 0x01020304 || h->entry_size != 48)
        return hd_fail(err, HD_ECONFIG, "%s/%s: not a hedui index table of this format or byte order", ix->dir, name);
    if (h->count > (m->n - sizeof *h) / 48 || sizeof *h + h->count * 48 != m->n)
        return hd_fail(err, HD_EDATA, "%s/%s: truncated or padded (%" PRIu64 " entries, %zu bytes)", ix->dir, name, h->count, m->n);
    char hex[65];
    hd_hex(h->digest, 32, hex);
    if (strcmp(hex, ix->digest))
        return hd_fail(err, HD_EDATA, "%s/%s: belongs to another index (digest)", ix->dir, name);
    return HD_OK;
}

/* The descriptor of hd_ix_check's rows: canonical column names and
 * values, declared_income in yuan. Loaded through the one descriptor
 * loader from an anonymous file. */
static const char check_fmt[] =
    "[format]\nkind = applicants\nencoding = utf-8\ndelimiter = comma\nquote = \"\n"
    "header = yes\nid_form = number\n\n[columns]\n"
    "application_id = application_id\ncounty_code = county_code\narea_type = area_type\n"
    "member_no = member_no\nid_number = id_number\nname = name\nrelation = relation\n"
    "assistance_type = assistance_type\ndeclared_income = declared_income\n\n"
    "[units]\ndeclared_income = yuan\n";

static int mem_file(const char *data, size_t n, char path[64])
{
    int fd = memfd_create("hedui-check", MFD_CLOEXEC);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w <= 0) { close(fd); return -1; }
        done += (size_t)w;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

static int load_check_desc(hd_ix *ix, hd_error *err)
{
    char path[64];
    int fd = mem_file(check_fmt, sizeof check_fmt - 1, path);
    if (fd < 0) return hd_fail(err, HD_ESOFTWARE, "cannot create an anonymous file: %s", strerror(errno));
    int rc = hd_descriptor_load(&ix->check_desc, path, err);
    close(fd);
    return rc;
}

/* The index MAC and, for the tokenised sources, one MAC per distinct
 * provider (SPEC §8 provider = NAME, default the source name) and master:
 * the current one, and the previous one when the index was built during a
 * rotation (the run joins a row made under either). Two sources of one
 * provider share its tokens, so a provider is looked up once. */
static int provider_keys(hd_ix *ix, hd_error *err)
{
    if (!(ix->imac = ix_mac_new(&ix->ikey))) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    hd_key masters[2];
    masters[0] = ix->master;
    int nm = ix->previous_id[0] ? 1 + hd_key_previous(&ix->master, &masters[1]) : 1;
    int rc = HD_OK;
    for (int si = 0; si < ix->nsrc && rc == HD_OK; si++) {
        ix_source *src = &ix->src[si];
        if (!src->id_token) continue;
        if (!src->provider[0]) snprintf(src->provider, sizeof src->provider, "%s", src->name);
        int seen = 0;
        for (int sj = 0; sj < si && !seen; sj++)
            seen = ix->src[sj].id_token && !strcmp(ix->src[sj].provider, src->provider);
        if (seen) continue;
        char audience[80];
        snprintf(audience, sizeof audience, "provider:%s", src->provider);
        for (int k = 0; k < nm && rc == HD_OK; k++) {
            hd_key pk;
            if ((rc = hd_key_derive(&masters[k], audience, &pk, err)) != HD_OK) break;
            ix_pkey *n = realloc(ix->pk, (size_t)(ix->npk + 1) * sizeof *n);
            if (n) { ix->pk = n; n[ix->npk].mac = ix_mac_new(&pk); }
            hd_key_wipe(&pk);
            if (!n || !n[ix->npk].mac) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
            ix->npk++;
        }
    }
    hd_key_wipe(&masters[0]);
    if (nm > 1) hd_key_wipe(&masters[1]);
    return rc;
}

int hd_ix_open(hd_ix **out, const char *dir, const hd_key *master, hd_error *err)
{
    *out = NULL;
    hd_ix *ix = calloc(1, sizeof *ix);
    if (!ix) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    snprintf(ix->dir, sizeof ix->dir, "%s", dir);
    ix->master = *master;
    int rc;
    char p[4400];
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        rc = hd_fail(err, HD_ENOINPUT, "%s: no such index directory", dir);
        goto fail;
    }
    /* the manifest first: a truncated or tampered file is refused here */
    snprintf(p, sizeof p, "%s/signing.pub.pem", dir);
    int vflags = access(p, R_OK) == 0 ? 0 : HD_VERIFY_ALLOW_UNSIGNED;
    hd_error verr;
    rc = hd_audit_verify_ex(dir, NULL, vflags, NULL, NULL, NULL, &verr);
    if (rc != HD_OK) {
        rc = hd_fail(err, rc == HD_ENOINPUT ? HD_EDATA : rc, "%s: the index does not verify: %s", dir, verr.message);
        goto fail;
    }
    snprintf(p, sizeof p, "%s/meta.ini", dir);
    struct meta_ctx mc = { ix };
    if ((rc = hd_ini_parse(p, meta_handler, &mc, err)) != HD_OK) {
        if (rc == HD_ENOINPUT) rc = hd_fail(err, HD_EDATA, "%s: not an index (no meta.ini)", dir);
        goto fail;
    }
    if (strcmp(ix->format, IX_FORMAT) || !ix->have_as_of || strlen(ix->digest) != 64 || !ix->src) {
        rc = hd_fail(err, HD_ECONFIG, "%s/meta.ini: not a %s index", dir, IX_FORMAT);
        goto fail;
    }
    if (strcmp(ix->key_id, master->id)) {
        rc = hd_fail(err, HD_ECONFIG, "%s: the index was built under key %s, not under the given key %s", dir,
                     ix->key_id, master->id);
        goto fail;
    }
    if (ix->previous_id[0] && !(master->has_previous && !strcmp(master->previous_id, ix->previous_id))) {
        rc = hd_fail(err, HD_ECONFIG, "%s: the index was built during a key rotation (previous key %s): give the key file "
                     "that holds previous_id=%s, as the run had", dir, ix->previous_id, ix->previous_id);
        goto fail;
    }
    if ((rc = hd_index_key(master, &ix->ikey, err)) != HD_OK) goto fail;
    if ((rc = hd_key_derive(master, "audit", &ix->akey, err)) != HD_OK) goto fail;
    if ((rc = provider_keys(ix, err)) != HD_OK) goto fail;
    snprintf(p, sizeof p, "%s/%s", dir, ix->policy_rel);
    if ((rc = hd_policy_load(&ix->policy, p, err)) != HD_OK) goto fail;
    if (strcmp(ix->policy->digest, ix->policy_digest)) {
        rc = hd_fail(err, HD_EDATA, "%s: the policy differs from the one the index was built for", p);
        goto fail;
    }
    snprintf(p, sizeof p, "%s/applicants.fmt", dir);
    if ((rc = hd_descriptor_load(&ix->app_desc, p, err)) != HD_OK) goto fail;
    for (int pop = HD_POP_RECIPIENT; pop < HD_POP__COUNT; pop++) {
        snprintf(p, sizeof p, "%s/%s.fmt", dir, pop == HD_POP_RECIPIENT ? "roster" : "monitor");
        if (access(p, F_OK) == 0 && (rc = hd_descriptor_load(&ix->pop_desc[pop], p, err)) != HD_OK) goto fail;
    }
    if ((rc = load_check_desc(ix, err)) != HD_OK) goto fail;
    if ((rc = map_file(&ix->tokens, dir, "tokens.bin", err)) ||
        (rc = map_file(&ix->records, dir, "records.bin", err)) ||
        (rc = map_file(&ix->unread, dir, "unreadable.bin", err)))
        goto fail;
    if ((rc = check_table(&ix->tokens, IX_MAGIC_TOKENS, ix, "tokens.bin", err)) ||
        (rc = check_table(&ix->unread, IX_MAGIC_UNREAD, ix, "unreadable.bin", err)))
        goto fail;
    const hd_ix_header *h = ix->tokens.p;
    if (h->payload != ix->records.n) {
        rc = hd_fail(err, HD_EDATA, "%s/records.bin: %zu bytes, the table says %" PRIu64, dir, ix->records.n, h->payload);
        goto fail;
    }
    ix->slots = (const hd_ix_slot *)((const char *)ix->tokens.p + sizeof *h);
    ix->nslots = h->count;
    ix->blob = ix->records.p;
    ix->nblob = ix->records.n;
    for (uint64_t i = 0; i < ix->nslots; i++) {
        const hd_ix_slot *s = &ix->slots[i];
        if (s->off > ix->nblob || s->len > ix->nblob - s->off ||
            (i && memcmp(ix->slots[i - 1].token, s->token, 32) >= 0)) {
            rc = hd_fail(err, HD_EDATA, "%s/tokens.bin: entry %" PRIu64 " is out of order or out of range", dir, i);
            goto fail;
        }
    }
    ix->un = (const hd_ix_unread *)((const char *)ix->unread.p + sizeof *h);
    ix->nun = ((const hd_ix_header *)ix->unread.p)->count;
    *out = ix;
    return HD_OK;
fail:
    hd_ix_close(ix);
    return rc;
}

void hd_ix_close(hd_ix *ix)
{
    if (!ix) return;
    if (ix->tokens.p) munmap(ix->tokens.p, ix->tokens.n);
    if (ix->records.p) munmap(ix->records.p, ix->records.n);
    if (ix->unread.p) munmap(ix->unread.p, ix->unread.n);
    for (uint32_t i = 0; ix->files && i < ix->nfiles; i++) free(ix->files[i]);
    free(ix->files);
    free(ix->src);
    hd_policy_free(ix->policy);
    hd_descriptor_free(ix->app_desc);
    for (int pop = 0; pop < HD_POP__COUNT; pop++) hd_descriptor_free(ix->pop_desc[pop]);
    ix_mac_free(ix->imac);
    for (int i = 0; i < ix->npk; i++) ix_mac_free(ix->pk[i].mac);
    free(ix->pk);
    hd_descriptor_free(ix->check_desc);
    hd_key_wipe(&ix->master);
    hd_key_wipe(&ix->ikey);
    hd_key_wipe(&ix->akey);
    free(ix);
}

hd_date hd_ix_as_of(const hd_ix *ix) { return ix->as_of; }
const char *hd_ix_digest(const hd_ix *ix) { return ix->digest; }
int hd_ix_damaged(const hd_ix *ix) { return ix->damaged; }

/* ---------------------------------------------------------------- judge */

static const hd_ix_slot *find_slot(const hd_ix *ix, const unsigned char tok[32])
{
    uint64_t lo = 0, hi = ix->nslots;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        int c = memcmp(ix->slots[mid].token, tok, 32);
        if (c == 0) return &ix->slots[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return NULL;
}

typedef struct pending { uint32_t file; uint64_t line; uint32_t member; const uint8_t *p; uint32_t len; } pending;

static int pending_cmp(const void *a_, const void *b_)
{
    const pending *a = a_, *b = b_;
    if (a->file != b->file) return a->file < b->file ? -1 : 1;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    if (a->member != b->member) return a->member < b->member ? -1 : 1;
    return 0;
}

static int collect(const hd_ix *ix, const hd_ix_slot *s, uint32_t member, pending **pv, uint32_t *np, uint32_t *cap)
{
    const uint8_t *p = ix->blob + s->off, *end = p + s->len;
    for (uint32_t k = 0; k < s->count; k++) {
        if (p >= end) return -1;
        uint64_t len = hd_varint_get(&p);
        if (len > (uint64_t)(end - p)) return -1;
        const uint8_t *q = p;
        hd_varint_get(&q);                        /* kind */
        hd_varint_get(&q);                        /* source */
        uint64_t file = hd_varint_get(&q), line = hd_varint_get(&q);
        if (*np == *cap) {
            uint32_t c = *cap ? *cap * 2 : 64;
            pending *n = realloc(*pv, c * sizeof *n);
            if (!n) return -1;
            *pv = n; *cap = c;
        }
        (*pv)[(*np)++] = (pending){ (uint32_t)file, line, member, p, (uint32_t)len };
        p += len;
    }
    return 0;
}

/* Unreadable (quarantined) rows of a token: [first, first + n). */
static uint64_t find_unread(const hd_ix *ix, const unsigned char tok[32], uint64_t *n)
{
    uint64_t lo = 0, hi = ix->nun;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (memcmp(ix->un[mid].token, tok, 32) < 0) lo = mid + 1; else hi = mid;
    }
    uint64_t e = lo;
    while (e < ix->nun && memcmp(ix->un[e].token, tok, 32) == 0) e++;
    *n = e - lo;
    return lo;
}

static void json_reasons(sb *b, uint32_t bits)
{
    const char *names[HD_FD__COUNT];
    int n = 0;
    for (int f = 0; f < HD_FD__COUNT; f++)
        if (bits & (1u << f)) names[n++] = hd_finding_name((hd_finding)f);
    for (int i = 1; i < n; i++)                   /* by name, as the run's reports */
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j]; names[j] = names[j - 1]; names[j - 1] = t;
        }
    sb_str(b, "[");
    for (int i = 0; i < n; i++) { if (i) sb_str(b, ","); sb_json(b, names[i]); }
    sb_str(b, "]");
}

static void json_record(sb *b, const hd_ix *ix, const hd_model *m, const hd_record *r)
{
    char buf[64];
    hd_id_mask(&m->members[r->member].id, buf);
    sb_str(b, "{\"member\":");
    sb_json(b, buf);
    sb_str(b, ",\"source\":");
    sb_json(b, r->source < ix->nsrc ? ix->src[r->source].name : "");
    sb_str(b, ",\"file\":");
    sb_json(b, r->file < ix->nfiles && ix->files[r->file] ? ix->files[r->file] : "");
    sb_str(b, ",\"line\":");
    sb_i64(b, (int64_t)r->line);
    sb_str(b, ",\"kind\":");
    sb_json(b, hd_kind_name((hd_kind)r->kind));
    sb_str(b, ",\"fields\":{");
    int first = 1;
    for (int f = 0; f < HD_F__COUNT; f++) {
        const hd_value *v = &r->v[f];
        hd_ftype t = hd_field_type((hd_fid)f);
        /* masked: no ID, no name, no free text, no account/plate/cert number */
        if (!v->present || t == HD_T_ID || t == HD_T_TEXT || t == HD_T_CODE) continue;
        if (!hd_field_role((hd_kind)r->kind, (hd_fid)f)) continue;
        if (!first) sb_str(b, ",");
        first = 0;
        sb_json(b, hd_field_name((hd_fid)f));
        sb_str(b, ":");
        const char *x = hd_report_scalar_json((hd_kind)r->kind, (hd_fid)f, v, buf);
        if (x) sb_json(b, x);
        else sb_i64(b, v->i);
    }
    sb_str(b, "},\"reasons\":");
    json_reasons(b, r->findings);
    sb_str(b, "}");
}

/* The JSON answer for household h (judged as j, unread rows whose ID is a
 * member's, its records from first_rec on) into b. */
static void json_household(sb *b, const hd_ix *ix, const hd_model *m, uint32_t h,
                           const hd_judgement *j, uint64_t unread, uint32_t first_rec)
{
    const hd_household *hh = &m->households[h];
    char tok[65];
    sb_str(b, "{\"household\":");
    sb_json(b, hd_household_token_hex(hh, tok));
    sb_str(b, ",\"county_code\":");
    sb_json(b, hh->county_code);
    sb_str(b, ",\"application_id\":");
    sb_json(b, hh->application_id);
    sb_str(b, ",\"assistance_type\":");
    sb_json(b, hd_field_values(HD_KIND_APPLICANTS, HD_F_ASSISTANCE_TYPE)[hh->assistance_type]);
    sb_str(b, ",\"area_type\":");
    sb_json(b, hd_field_values(HD_KIND_APPLICANTS, HD_F_AREA_TYPE)[hh->area_type]);
    sb_str(b, ",\"population\":");
    sb_json(b, hd_population_name(hh->population));
    sb_str(b, ",\"members\":");
    sb_i64(b, hh->nmembers);
    sb_str(b, ",\"verdict\":");
    sb_json(b, hd_verdict_name(j->verdict));
    sb_str(b, ",\"reasons\":");
    json_reasons(b, j->findings);
    sb_str(b, ",\"standard_fen\":");          sb_i64(b, j->standard_fen);
    sb_str(b, ",\"household_income_fen\":");  sb_i64(b, j->household_income_fen);
    sb_str(b, ",\"income_per_capita_fen\":"); sb_i64(b, j->income_per_capita_fen);
    sb_str(b, ",\"assets_fen\":");            sb_i64(b, j->assets_fen);
    sb_str(b, ",\"assets_per_capita_fen\":"); sb_i64(b, j->assets_per_capita_fen);
    sb_str(b, ",\"homes\":");                 sb_i64(b, j->homes);
    sb_str(b, ",\"residential_area\":");      sb_i64(b, j->residential_area);
    sb_str(b, ",\"vehicles\":");              sb_i64(b, j->vehicles);
    sb_str(b, ",\"businesses\":");            sb_i64(b, j->businesses);
    sb_str(b, ",\"unreadable_rows\":");       sb_i64(b, (int64_t)unread);
    sb_str(b, ",\"as_of\":");
    char date[11];
    hd_date_format(ix->as_of, date);
    sb_json(b, date);
    sb_str(b, ",\"evidence\":[");
    int firstev = 1;
    for (uint32_t r = first_rec; r < hd_model_nrecords(m); r++) {
        if (!hd_model_findings(m, r)) continue;
        hd_record rec;
        hd_model_record(m, r, &rec);
        if (!firstev) sb_str(b, ",");
        firstev = 0;
        json_record(b, ix, m, &rec);
    }
    sb_str(b, "]}");
}

/*
 * Judges every household of m (loaded by hd_load_applicants): their
 * records from the index, then hd_judge_household. emit(user, h, json,
 * verdict) per household in order.
 */
typedef int (*emit_fn)(void *user, const hd_model *m, uint32_t h, const char *json, hd_verdict v);

static int judge_model(hd_ix *ix, hd_model *m, int file_damaged, emit_fn emit, void *user, hd_error *err)
{
    ix_mac *mac = ix_mac_dup(ix->imac);
    ix_mac *pstack[16];
    int npk = ix->npk;
    ix_mac **pmac = npk <= 16 ? pstack : calloc((size_t)npk, sizeof *pmac);
    int rc = mac && pmac ? HD_OK : HD_ESOFTWARE;
    for (int k = 0; pmac && k < npk; k++)
        if (!(pmac[k] = ix_mac_dup(ix->pk[k].mac))) rc = HD_ESOFTWARE;
    if (rc) {
        ix_mac_free(mac);
        for (int k = 0; pmac && k < npk; k++) ix_mac_free(pmac[k]);
        if (pmac != pstack) free(pmac);
        return hd_fail(err, HD_ESOFTWARE, "out of memory");
    }
    pending *pv = NULL;
    uint32_t cap = 0;
    sb b = {0};
    char *strs = NULL;
    size_t strs_cap = 0;
    int damaged = ix->damaged || file_damaged;
    for (uint32_t h = 0; h < m->nhouseholds && rc == HD_OK; h++) {
        hd_household *hh = &m->households[h];
        uint32_t np = 0;
        uint64_t unread = 0;
        for (uint32_t i = 0; i < hh->nmembers; i++) {
            uint32_t mi = hh->first_member + i;
            hd_member *mb = &m->members[mi];
            mb->duplicate = 0;                    /* a code only a whole run can raise */
            if (mb->rejected != HD_R_NONE) continue;
            unsigned char tok[32];
            ix_token_id(mac, mb->id.s, tok);
            const hd_ix_slot *s = find_slot(ix, tok);
            if (s && collect(ix, s, mi, &pv, &np, &cap)) { rc = hd_fail(err, HD_EDATA, "%s: a record is out of range", ix->dir); break; }
            uint64_t nu;
            find_unread(ix, tok, &nu);
            unread += nu;
            {
                for (int k = 0; k < npk; k++) {
                    char t64[65];
                    ix_provider_token(pmac[k], &mb->id, t64);
                    ix_token_token(mac, t64, tok);
                    s = find_slot(ix, tok);
                    if (s && collect(ix, s, mi, &pv, &np, &cap)) { rc = hd_fail(err, HD_EDATA, "%s: a record is out of range", ix->dir); break; }
                    find_unread(ix, tok, &nu);
                    unread += nu;
                }
            }
            /* names are compared in their keyed form: the index holds only that */
            if (mb->name && *mb->name) {
                char nt[65];
                if (ix_token_name(mac, mb->name, strlen(mb->name), nt) ||
                    !(mb->name = hd_model_strdup(m, nt, 32))) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
            }
        }
        if (rc) break;
        /* the run's record order: source and file order, then line */
        if (np > 1) qsort(pv, np, sizeof *pv, pending_cmp);
        uint32_t first_rec = hd_model_nrecords(m);
        for (uint32_t k = 0; k < np && rc == HD_OK; k++) {
            if (strs_cap < (size_t)pv[k].len + HD_F__COUNT + 1) {
                size_t c = (size_t)pv[k].len + HD_F__COUNT + 1024;
                char *n = realloc(strs, c);
                if (!n) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
                strs = n; strs_cap = c;
            }
            hd_record rec;
            if (ix_decode(pv[k].p, pv[k].len, &rec, strs, strs_cap)) { rc = hd_fail(err, HD_EDATA, "%s: a record cannot be read", ix->dir); break; }
            rec.member = pv[k].member;
            hd_member *mb = &m->members[rec.member];
            rec.v[HD_F_ID_NUMBER] = (hd_value){ 1, 0, mb->id.s, 18 };
            rc = hd_model_add_record(m, &rec, err);
        }
        if (rc) break;
        /* SPEC §7: a quarantined row whose ID cell is a member's reaches the
         * household, as in the run (batch.c, unreadable_row) */
        if (unread) hh->flags |= HD_HF_EVIDENCE_UNREADABLE;
        hd_judgement j;
        int unjudged;
        hd_error jerr;
        if ((rc = hd_judge_household(ix->policy, m, h, ix->as_of, damaged, &j, &unjudged, &jerr)) != HD_OK) {
            if (err) *err = jerr;
            break;
        }
        b.n = 0;
        json_household(&b, ix, m, h, &j, unread, first_rec);
        if (b.oom) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
        rc = emit(user, m, h, b.p, j.verdict);
        if (rc) hd_fail(err, rc, "cannot write the result");
    }
    free(pv);
    free(b.p);
    free(strs);
    ix_mac_free(mac);
    for (int k = 0; k < npk; k++) ix_mac_free(pmac[k]);
    if (pmac != pstack) free(pmac);
    return rc;
}

static int emit_file(void *user, const hd_model *m, uint32_t h, const char *json, hd_verdict v)
{
    (void)m; (void)h; (void)v;
    FILE *f = user;
    return fputs(json, f) < 0 || fputc('\n', f) == EOF ? HD_EIO : HD_OK;
}

int hd_ix_lookup_file(hd_ix *ix, const char *path, int population, FILE *out, hd_error *err)
{
    if (population < 0 || population >= HD_POP__COUNT)
        return hd_fail(err, HD_ESOFTWARE, "population %d out of range", population);
    struct stat sb;
    if (stat(path, &sb) != 0) return hd_fail(err, HD_ENOINPUT, "%s: cannot open: %s", path, strerror(errno));
    hd_model *m = hd_model_new();
    if (!m) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    hd_file_result res;
    memset(&res, 0, sizeof res);
    res.path = path;
    res.source = -1;
    char *files[1] = { (char *)path };
    /* a population's file in its own format, as the run reads it (SPEC §10) */
    const hd_descriptor *d = ix->pop_desc[population] ? ix->pop_desc[population] : ix->app_desc;
    int rc = hd_load_population(m, d, files, 1, ix->as_of, &ix->akey, ix->policy, &res, population, NULL, 1, err);
    if (rc == HD_OK) rc = hd_model_index(m, err);
    int fdam = res.damage != HD_R_NONE;
    if (rc == HD_OK) rc = judge_model(ix, m, fdam, emit_file, out, err);
    hd_file_result_free(&res);
    hd_model_free(m);
    if (rc == HD_OK && fflush(out) != 0) rc = hd_fail(err, HD_EIO, "cannot write the results: %s", strerror(errno));
    if (rc == HD_OK && (ix->damaged || fdam)) {
        rc = HD_EDAMAGED;
        hd_fail(err, HD_EDAMAGED, fdam ? "%s: the file could not be read to its end: every household is at least REVIEW"
                                       : "%s: a source of the index is damaged: every household is at least REVIEW (SOURCE_INCOMPLETE)",
                path);
    }
    return rc;
}

/* ---------------------------------------------------------------- check */

static void csv_cell(sb *b, const char *s)
{
    sb_put(b, "\"", 1);
    const char *p = s ? s : "", *run = p;
    for (; *p; p++)
        if (*p == '"') { sb_put(b, run, (size_t)(p - run) + 1); run = p; }   /* the quote doubled */
    sb_put(b, run, (size_t)(p - run));
    sb_put(b, "\"", 1);
}

struct check_out { char *json; char token[65]; hd_verdict verdict; int n; };

static int emit_check(void *user, const hd_model *m, uint32_t h, const char *json, hd_verdict v)
{
    struct check_out *co = user;
    if (co->n++) return HD_OK;
    co->json = strdup(json);
    if (!co->json) return HD_ESOFTWARE;
    hd_household_token_hex(&m->households[h], co->token);
    co->verdict = v;
    return HD_OK;
}

int hd_ix_check(hd_ix *ix, const hd_ix_household *hh, char **json, char token[65],
                hd_verdict *verdict, hd_error *err)
{
    *json = NULL;
    if (hh->nmembers == 0) return hd_fail(err, HD_EDATA, "the household has no member");
    sb b = {0};
    sb_str(&b, "application_id,county_code,area_type,member_no,id_number,name,relation,assistance_type,declared_income\n");
    for (uint32_t i = 0; i < hh->nmembers; i++) {
        const hd_ix_member *mb = &hh->members[i];
        csv_cell(&b, hh->application_id); sb_put(&b, ",", 1);
        csv_cell(&b, hh->county_code); sb_put(&b, ",", 1);
        csv_cell(&b, hh->area_type); sb_put(&b, ",", 1);
        csv_cell(&b, mb->member_no); sb_put(&b, ",", 1);
        csv_cell(&b, mb->id_number); sb_put(&b, ",", 1);
        csv_cell(&b, mb->name); sb_put(&b, ",", 1);
        csv_cell(&b, mb->relation); sb_put(&b, ",", 1);
        csv_cell(&b, hh->assistance_type); sb_put(&b, ",", 1);
        csv_cell(&b, mb->declared_income); sb_put(&b, "\n", 1);
    }
    if (b.oom) { free(b.p); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
    /* the rows are read from memory by the run's own reader and loader */
    static const char request[] = "(request)";
    hd_model *m = hd_model_new();
    hd_file_result res;
    memset(&res, 0, sizeof res);
    res.path = request;
    res.mem = b.p;
    res.mem_len = b.n;
    res.source = -1;
    char *files[1] = { (char *)request };
    int rc = m ? HD_OK : hd_fail(err, HD_ESOFTWARE, "out of memory");
    int pop = hh->population;
    if (rc == HD_OK && (pop < 0 || pop >= HD_POP__COUNT)) rc = hd_fail(err, HD_EDATA, "population %d is not one of SPEC §10's", pop);
    if (rc == HD_OK) rc = hd_load_population(m, ix->check_desc, files, 1, ix->as_of, &ix->akey, ix->policy, &res, pop, NULL, 1, err);
    free(b.p);
    if (rc == HD_OK && res.damage != HD_R_NONE)
        rc = hd_fail(err, HD_EDATA, "the household cannot be read: %s", hd_reason_name(res.damage));
    if (rc == HD_OK && res.nq) {
        /* a member row the run would quarantine: the request is wrong */
        const hd_qrow *q = &res.q[0];
        rc = hd_fail(err, HD_EDATA, "member %lu: %s%s%s", (unsigned long)(q->line - 1), hd_reason_name(q->reason),
                     q->field >= 0 ? " in " : "", q->field >= 0 ? hd_field_name((hd_fid)q->field) : "");
    }
    if (rc == HD_OK && m->nhouseholds != 1) rc = hd_fail(err, HD_EDATA, "the members do not form one household");
    if (rc == HD_OK) rc = hd_model_index(m, err);
    struct check_out co = {0};
    if (rc == HD_OK) rc = judge_model(ix, m, 0, emit_check, &co, err);
    hd_file_result_free(&res);
    hd_model_free(m);
    if (rc != HD_OK) { free(co.json); return rc; }
    *json = co.json;
    memcpy(token, co.token, 65);
    *verdict = co.verdict;
    return HD_OK;
}
