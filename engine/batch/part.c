/*
 * part.c — part files for the scale-out of SPEC §12: `hedui run --part K/N`
 * writes what its scan found, `hedui merge` reads the N parts back into the
 * run's per-file results, and batch.c goes on from there exactly as after a
 * whole scan (the merge in the fixed file order, the rules, the writers):
 * so the merged run directory is the one `hedui run` writes, byte for byte.
 *
 * A part file is a short text head (readable with `head`), then a binary
 * body in this machine's byte order (the head's layout digest says which
 * build and byte order wrote it; a part from another build is refused):
 *
 *   hedui-part/1            layout <sha>      engine <version>  as_of <date>
 *   key_id <id>             set <sha>         job <sha>         policy <sha>
 *   part <K>                parts <N>         files <count>     (blank line)
 *   per file: u32 result index, str relative path, str SHA-256, u64 size,
 *             the fields of PART_FIELDS, divisions, quarantined rows,
 *             unreadable rows of members, matched records (stored images)
 *
 * str is u32 length + bytes. The part's own SHA-256 is in the sidecar
 * part-K-of-N.sha256, in sha256sum's form, so `sha256sum -c` checks it too.
 *
 * A new per-file field of hd_file_result that is plain data (a counter,
 * a date, a fixed array): one line in PART_FIELDS (new counters of
 * hd_ledger need nothing: the ledger travels whole). Its name and size
 * enter the layout digest, so parts of an older build are refused.
 *
 * Privacy: a matched record's ID number and name that are the member's
 * own are stored as references to the member (engine/model/model.c), so a
 * part holds no ID number that the run directory's restricted files do not
 * (quarantined rows are kept raw, as quarantine/<source>.csv keeps them).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "batch/internal.h"
#include "io/file.h"
#include "util/path.h"

/* The plain-data fields of a per-file result that a part carries: as they
 * are in memory (PART_FIELD), or a NUL-terminated char array as its text
 * (PART_TEXT). The one place to add a new one. */
#define PART_FIELD(f) { #f, offsetof(hd_file_result, f), sizeof(((hd_file_result *)0)->f), 0 }
#define PART_TEXT(f) { #f, offsetof(hd_file_result, f), sizeof(((hd_file_result *)0)->f), 1 }
static const struct part_field { const char *name; size_t off, size; int text; } part_fields[] = {
    PART_FIELD(ledger),
    PART_FIELD(damage),
    PART_TEXT(damage_msg),
    PART_FIELD(newest),
    PART_FIELD(bytes_in),
    PART_FIELD(bytes_out),
    PART_FIELD(ids_000),
    PART_FIELD(id_damage),
    PART_TEXT(county),
    PART_FIELD(matched_by_key),
};
#define NPART_FIELDS (sizeof part_fields / sizeof *part_fields)

/* ------------------------------------------------------------ assignment */

void hd_part_assign(const hd_results *st, uint32_t first, uint32_t count, int nparts,
                    int *part_of)
{
    if (nparts < 1) nparts = 1;
    uint64_t *size = calloc((size_t)count + 1, sizeof *size);
    uint32_t *order = calloc((size_t)count + 1, sizeof *order);
    uint64_t *load = calloc((size_t)nparts, sizeof *load);
    if (!size || !order || !load) {
        /* no memory for the balance: by index, still deterministic */
        for (uint32_t i = 0; i < count; i++) part_of[i] = (int)(i % (uint32_t)nparts);
        free(size); free(order); free(load);
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct stat sb;
        size[i] = stat(st->results[first + i].path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        order[i] = i;
    }
    for (uint32_t i = 1; i < count; i++) {          /* largest first, ties by index */
        uint32_t x = order[i], j = i;
        while (j > 0 && (size[order[j - 1]] < size[x] ||
                         (size[order[j - 1]] == size[x] && order[j - 1] > x))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = x;
    }
    for (uint32_t i = 0; i < count; i++) {
        int best = 0;
        for (int k = 1; k < nparts; k++)
            if (load[k] < load[best]) best = k;
        part_of[order[i]] = best;
        load[best] += size[order[i]] + 1;   /* +1: empty files spread too */
    }
    free(size); free(order); free(load);
}

/* ------------------------------------------------------------ digests */

int hd_part_set_digest(const hd_results *st, char out[65], hd_error *err)
{
    hd_sha256 *h = hd_sha256_new();
    if (!h) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    char date[11], head[512];
    hd_date_format(st->job->as_of, date);
    int n = snprintf(head, sizeof head, "hedui-parts/1\n%s\n%s\n%s\n%s\n", HD_ENGINE_VERSION, date,
                     st->key.id, st->policy->digest);
    hd_sha256_update(h, head, (size_t)n);
    for (uint32_t i = 0; i < st->ninputs; i++) {
        const hd_input *in = &st->inputs[i];
        hd_sha256_update(h, in->rel, strlen(in->rel));
        hd_sha256_update(h, "\t", 1);
        if (in->extract) hd_sha256_update(h, "extract", 7);
        else hd_sha256_update(h, in->sha256, strlen(in->sha256));
        hd_sha256_update(h, "\n", 1);
    }
    unsigned char d[32];
    hd_sha256_final(h, d);
    hd_hex(d, 32, out);
    return HD_OK;
}

/* The build's layout: byte order, the fixed fields' names and sizes, and
 * the reason and field codes a part's numbers refer to. */
static void layout_digest(char out[65])
{
    hd_sha256 *h = hd_sha256_new();
    char line[256];
    uint32_t probe = 0x01020304;
    hd_sha256_update(h, "hedui-part-layout/1\n", 20);
    hd_sha256_update(h, &probe, sizeof probe);
    for (size_t i = 0; i < NPART_FIELDS; i++) {
        int n = snprintf(line, sizeof line, "%s %zu%s\n", part_fields[i].name, part_fields[i].size,
                         part_fields[i].text ? " text" : "");
        hd_sha256_update(h, line, (size_t)n);
    }
    for (int r = 0; r < HD_R__COUNT; r++) {
        int n = snprintf(line, sizeof line, "r %s\n", hd_reason_name((hd_reason)r));
        hd_sha256_update(h, line, (size_t)n);
    }
    for (int f = 0; f < HD_F__COUNT; f++) {
        int n = snprintf(line, sizeof line, "f %s\n", hd_field_name((hd_fid)f));
        hd_sha256_update(h, line, (size_t)n);
    }
    unsigned char d[32];
    hd_sha256_final(h, d);
    hd_hex(d, 32, out);
}

void hd_part_dir(const hd_results *st, const char *set_digest, char *out, size_t cap)
{
    char date[11];
    hd_date_format(st->job->as_of, date);
    snprintf(out, cap, "%s/parts/%s-%.12s", st->job->output, date, set_digest);
}

static const hd_input *input_of(const hd_results *st, const char *path)
{
    for (uint32_t i = 0; i < st->ninputs; i++)
        if (!strcmp(st->inputs[i].path, path)) return &st->inputs[i];
    return NULL;
}

/* ------------------------------------------------------------ writing */

static void put_u32(hd_part_out *w, uint32_t x) { hd_part_put(w, &x, sizeof x); }
static void put_u64(hd_part_out *w, uint64_t x) { hd_part_put(w, &x, sizeof x); }
static void put_str(hd_part_out *w, const char *s, size_t n) { put_u32(w, (uint32_t)n); hd_part_put(w, s, n); }

static void put_result(hd_part_out *w, const hd_results *st, uint32_t r)
{
    const hd_file_result *res = &st->results[r];
    const hd_input *in = input_of(st, res->path);
    put_u32(w, r);
    const char *rel = hd_path_rel(res->path, st->job->dir);
    put_str(w, rel, strlen(rel));
    put_str(w, in ? in->sha256 : "", in ? strlen(in->sha256) : 0);
    put_u64(w, in ? in->bytes : 0);
    for (size_t i = 0; i < NPART_FIELDS; i++) {
        const char *f = (const char *)res + part_fields[i].off;
        if (part_fields[i].text) put_str(w, f, strnlen(f, part_fields[i].size - 1));
        else hd_part_put(w, f, part_fields[i].size);
    }
    put_u32(w, res->ndiv);
    for (uint32_t i = 0; i < res->ndiv; i++) {
        hd_part_put(w, res->div[i].code, sizeof res->div[i].code);
        put_u64(w, res->div[i].n);
    }
    put_u32(w, res->nq);
    for (uint32_t i = 0; i < res->nq; i++) {
        const hd_qrow *q = &res->q[i];
        put_u64(w, q->line);
        put_u32(w, (uint32_t)q->reason);
        put_u32(w, (uint32_t)q->field);
        put_str(w, q->raw, q->raw_len);
    }
    put_u32(w, res->nunread);                 /* SPEC §7: unreadable rows of members */
    for (uint32_t i = 0; i < res->nunread; i++) {
        put_u32(w, res->unread[i].member);
        put_u64(w, res->unread[i].line);
        put_u32(w, (uint32_t)res->unread[i].reason | (uint32_t)res->unread[i].near << 8);
    }
    put_u32(w, res->nrecs);
    for (uint32_t i = 0; i < res->nrecs; i++) {
        size_t n = hd_stored_image_size(res->recs[i]);
        put_u32(w, (uint32_t)n);
        hd_part_put(w, res->recs[i], n);
    }
}

/* Writes data to path atomically: a temporary name, fsync, rename. */
static int write_sidecar(const char *path, const char *tmp, const char *text, hd_error *err)
{
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return hd_fail(err, HD_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    int e = errno;
    if (close(fd) != 0 && ok) { ok = 0; e = errno; }
    if (!ok || rename(tmp, path) != 0) {
        if (ok) e = errno;
        unlink(tmp);
        return hd_fail(err, HD_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    return HD_OK;
}

int hd_part_open(const char *dir, const char *name, hd_part_out *o, hd_error *err)
{
    char host[128] = "";
    memset(o, 0, sizeof *o);
    if (hd_mkdirs(dir, 0700) != 0)
        return hd_fail(err, HD_EIO, "%s: cannot create: %s", dir, strerror(errno));
    /* 0700 also when it was there before (made by hand, or by an older
     * tool); a directory of another owner keeps its mode */
    chmod(dir, 0700);
    gethostname(host, sizeof host - 1);
    for (char *c = host; *c; c++) if (*c == '/') *c = '_';
    snprintf(o->dir, sizeof o->dir, "%s", dir);
    snprintf(o->name, sizeof o->name, "%s", name);
    snprintf(o->path, sizeof o->path, "%s/%s", dir, name);
    /* the temporary name is unique across machines sharing the directory */
    snprintf(o->tmp, sizeof o->tmp, "%s/.%s.tmp-%s-%ld", dir, name, host, (long)getpid());
    /* a new file, never through a link left under that name */
    unlink(o->tmp);
    int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return hd_fail(err, HD_EIO, "%s: cannot create: %s", o->tmp, strerror(errno));
    o->f = fdopen(fd, "wb");
    /* large writes: a members file is hundreds of MB */
    if (o->f) setvbuf(o->f, NULL, _IOFBF, 1 << 20);
    o->h = hd_sha256_new();
    if (!o->f || !o->h) {
        if (o->f) fclose(o->f); else close(fd);
        unlink(o->tmp);
        if (o->h) hd_sha256_final(o->h, (unsigned char[32]){ 0 });
        return hd_fail(err, HD_ESOFTWARE, "out of memory");
    }
    return HD_OK;
}

void hd_part_put(hd_part_out *o, const void *p, size_t n)
{
    if (!n) return;
    if (fwrite(p, 1, n, o->f) != n) o->bad = 1;
    hd_sha256_update(o->h, p, n);
}

int hd_part_commit(hd_part_out *o, hd_error *err)
{
    unsigned char d[32];
    hd_sha256_final(o->h, d);
    int e = 0;
    if (fflush(o->f) != 0 || ferror(o->f) || o->bad) e = errno ? errno : EIO;
    if (!e && fsync(fileno(o->f)) != 0) e = errno;
    if (fclose(o->f) != 0 && !e) e = errno;
    if (e) {
        unlink(o->tmp);
        return hd_fail(err, HD_EIO, "%s: cannot write: %s", o->path, strerror(e));
    }
    char hex[65], text[4600], side[4500], stmp[4700];
    hd_hex(d, 32, hex);
    snprintf(text, sizeof text, "%s  %s\n", hex, o->name);
    snprintf(side, sizeof side, "%s.sha256", o->path);
    snprintf(stmp, sizeof stmp, "%s.sha256", o->tmp);
    /* the sidecar first: a file present is a file whose digest is written */
    int rc = write_sidecar(side, stmp, text, err);
    if (rc == HD_OK && rename(o->tmp, o->path) != 0)
        rc = hd_fail(err, HD_EIO, "%s: cannot rename into place: %s", o->path, strerror(errno));
    if (rc != HD_OK) { unlink(o->tmp); return rc; }
    int dfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    return HD_OK;
}

void hd_part_head(const hd_results *st, const char *set_digest, char *out, size_t cap)
{
    char layout[65], date[11];
    layout_digest(layout);
    hd_date_format(st->job->as_of, date);
    snprintf(out, cap, "layout %s\nengine %s\nas_of %s\nkey_id %s\nset %s\njob %s\npolicy %s\n",
             layout, HD_ENGINE_VERSION, date, st->key.id, set_digest, st->inputs[0].sha256, st->policy->digest);
}

int hd_part_write(hd_results *st, const char *set_digest, int k, int n, const uint32_t *list,
                  uint32_t count, char *path_out, size_t cap, hd_error *err)
{
    char dir[4200], name[64];
    hd_part_dir(st, set_digest, dir, sizeof dir);
    snprintf(name, sizeof name, "part-%d-of-%d", k, n);
    hd_part_out o;
    int rc = hd_part_open(dir, name, &o, err);
    if (rc != HD_OK) return rc;
    snprintf(path_out, cap, "%s", o.path);
    char common[1024], head[1200];
    hd_part_head(st, set_digest, common, sizeof common);
    int hn = snprintf(head, sizeof head, "hedui-part/1\n%spart %d\nparts %d\nfiles %u\n\n", common, k, n, count);
    hd_part_put(&o, head, (size_t)hn);
    for (uint32_t i = 0; i < count; i++) put_result(&o, st, list[i]);
    return hd_part_commit(&o, err);
}

/* ------------------------------------------------------------ reading */

typedef struct pr { const uint8_t *p, *end; int bad; } pr;

static const void *take(pr *r, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) { r->bad = 1; return NULL; }
    const void *q = r->p;
    r->p += n;
    return q;
}
static uint32_t get_u32(pr *r) { uint32_t x = 0; const void *q = take(r, 4); if (q) memcpy(&x, q, 4); return x; }
static uint64_t get_u64(pr *r) { uint64_t x = 0; const void *q = take(r, 8); if (q) memcpy(&x, q, 8); return x; }
static const char *get_str(pr *r, uint32_t *n)
{
    *n = get_u32(r);
    return take(r, *n);
}

/* The value of "key <value>\n" in the head, into out; 0 when absent. */
static int head_value(const char *head, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *l = head; *l; ) {
        const char *e = strchr(l, '\n');
        if (!e) break;
        if ((size_t)(e - l) > kl && !strncmp(l, key, kl) && l[kl] == ' ') {
            size_t n = (size_t)(e - l) - kl - 1;
            if (n >= cap) return 0;
            memcpy(out, l + kl + 1, n);
            out[n] = 0;
            return 1;
        }
        l = e + 1;
    }
    return 0;
}

/* A part file or its .sha256, whole (io/file.h); -1 with errno set. */
static int read_all(const char *path, uint8_t **out, size_t *n)
{
    hd_error e;
    return hd_file_read(path, SIZE_MAX - 1, (char **)out, n, &e) == HD_OK ? 0 : -1;
}

static int covered_here(const uint8_t *covered, uint32_t i) { return covered[i] == 2; }

int hd_part_read_verified(const char *path, const char *what, const char *missing, uint8_t **buf,
                          size_t *len, hd_error *err)
{
    char side[4500];
    snprintf(side, sizeof side, "%s.sha256", path);
    uint8_t *sbuf = NULL;
    size_t slen = 0;
    *buf = NULL;
    /* a FIFO would block the read for ever, a directory reads as nothing */
    struct stat sb;
    if ((stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) || (stat(side, &sb) == 0 && !S_ISREG(sb.st_mode)))
        return hd_fail(err, HD_EDATA, "%s: damaged %s: it or its digest %s is not a regular file", path, what, side);
    if (read_all(path, buf, len) != 0)
        return hd_fail(err, errno == ENOENT ? HD_ENOINPUT : HD_EIO, "%s: %s %s: %s", path, what,
                       errno == ENOENT ? missing : "cannot be read", strerror(errno));
    if (read_all(side, &sbuf, &slen) != 0 || slen < 64) {
        free(*buf); *buf = NULL; free(sbuf);
        return hd_fail(err, HD_EDATA, "%s: damaged %s: its digest %s is missing or unreadable", path, what, side);
    }
    unsigned char d[32];
    char hex[65];
    hd_sha256 *h = hd_sha256_new();
    if (!h) { free(*buf); *buf = NULL; free(sbuf); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
    hd_sha256_update(h, *buf, *len);
    hd_sha256_final(h, d);
    hd_hex(d, 32, hex);
    int same = memcmp(hex, sbuf, 64) == 0;
    free(sbuf);
    if (!same) {
        free(*buf); *buf = NULL;
        return hd_fail(err, HD_EDATA, "%s: damaged %s: its SHA-256 differs from %s (truncated or altered)", path, what, side);
    }
    return HD_OK;
}

int hd_part_check_head(const hd_results *st, const char *path, const char *what, const uint8_t *buf,
                       size_t len, const char *magic, const char *set_digest, char *head, size_t cap,
                       const uint8_t **body, hd_error *err)
{
    const uint8_t *blank = NULL;
    for (size_t i = 0; i + 1 < len && i < 4096; i++)
        if (buf[i] == '\n' && buf[i + 1] == '\n') { blank = buf + i + 2; break; }
    size_t ml = strlen(magic);
    if (!blank || (size_t)(blank - buf) >= cap || len <= ml || memcmp(buf, magic, ml) != 0 || buf[ml] != '\n')
        return hd_fail(err, HD_EDATA, "%s: not a hedui %s", path, what);
    memcpy(head, buf, (size_t)(blank - buf));
    head[blank - buf] = 0;
    char layout[65], date[11], v[256];
    layout_digest(layout);
    hd_date_format(st->job->as_of, date);
    struct { const char *key, *want, *what; } checks[] = {
        { "layout", layout, "written by another build of hedui (its layout differs)" },
        { "engine", HD_ENGINE_VERSION, "written by another version of hedui" },
        { "job", st->inputs[0].sha256, "of another job (the job file's digest differs)" },
        { "policy", st->policy->digest, "of another policy (the policy digest differs)" },
        { "key_id", st->key.id, "of another pseudonymisation key" },
        { "as_of", date, "of another as_of date" },
        { "set", set_digest, "of other inputs (the input digest differs)" },
    };
    for (size_t i = 0; i < sizeof checks / sizeof *checks; i++)
        if (!head_value(head, checks[i].key, v, sizeof v) || strcmp(v, checks[i].want))
            return hd_fail(err, HD_EDATA, "%s: foreign %s: %s", path, what, checks[i].what);
    *body = blank;
    return HD_OK;
}

int hd_part_head_value(const char *head, const char *key, char *out, size_t cap)
{
    return head_value(head, key, out, cap);
}

/* The head of a part: of this build, job, policy, key, date, inputs and
 * split; *body = where the body starts, *nfiles = its file count. */
static int check_part_head(const hd_results *st, const char *path, const uint8_t *buf, size_t len,
                           const char *set_digest, int k, int n, const uint8_t **body,
                           unsigned long *nfiles, hd_error *err)
{
    char head[4200], v[256], want[32];
    int rc = hd_part_check_head(st, path, "part", buf, len, "hedui-part/1", set_digest, head, sizeof head, body, err);
    if (rc != HD_OK) return rc;
    snprintf(want, sizeof want, "%d", k);
    if (!head_value(head, "part", v, sizeof v) || strcmp(v, want))
        return hd_fail(err, HD_EDATA, "%s: foreign part: not the part its name says (part number differs)", path);
    snprintf(want, sizeof want, "%d", n);
    if (!head_value(head, "parts", v, sizeof v) || strcmp(v, want))
        return hd_fail(err, HD_EDATA, "%s: foreign part: not of the split its name says (N differs)", path);
    if (!head_value(head, "files", v, sizeof v)) return hd_fail(err, HD_EDATA, "%s: damaged part: no file count", path);
    *nfiles = strtoul(v, NULL, 10);
    return HD_OK;
}

/* A file's fixed fields and its division counts (r->bad when malformed). */
static void read_fields_and_divisions(pr *r, hd_file_result *res)
{
    for (size_t f = 0; f < NPART_FIELDS && !r->bad; f++) {
        char *to = (char *)res + part_fields[f].off;
        uint32_t tn = (uint32_t)part_fields[f].size;
        const void *q = part_fields[f].text ? get_str(r, &tn) : take(r, tn);
        if (!q || tn >= part_fields[f].size + !part_fields[f].text || (part_fields[f].text && memchr(q, 0, tn))) {
            r->bad = 1;
            return;
        }
        memcpy(to, q, tn);
        if (part_fields[f].text) to[tn] = 0;
    }
    if ((unsigned)res->damage >= HD_R__COUNT) r->bad = 1;
    uint32_t ndiv = get_u32(r);
    if (r->bad || !ndiv) return;
    if (ndiv > (size_t)(r->end - r->p) / 15 || !(res->div = calloc(ndiv, sizeof *res->div))) { r->bad = 1; return; }
    for (uint32_t j = 0; j < ndiv && !r->bad; j++) {
        const void *c = take(r, sizeof res->div[j].code);
        if (c) memcpy(res->div[j].code, c, sizeof res->div[j].code);
        res->div[j].code[6] = 0;
        res->div[j].n = get_u64(r);
    }
    res->ndiv = ndiv;
}

/* A file's quarantined rows, then its unread rows about members. */
static int read_quarantine(const hd_results *st, pr *r, hd_file_result *res, hd_error *err)
{
    uint32_t nq = get_u32(r);
    for (uint32_t j = 0; j < nq && !r->bad; j++) {
        uint64_t line = get_u64(r);
        uint32_t reason = get_u32(r);
        int32_t field = (int32_t)get_u32(r);
        uint32_t qn = 0;
        const char *raw = get_str(r, &qn);
        if (r->bad || reason >= HD_R__COUNT || field < -1 || field >= HD_F__COUNT) { r->bad = 1; break; }
        /* the ledger came whole: the quarantine keeps its by_reason as is */
        uint64_t keep = res->ledger.by_reason[reason];
        if (hd_file_result_quarantine(res, line, (hd_reason)reason, field, raw, qn) != HD_OK)
            return hd_fail(err, HD_ESOFTWARE, "out of memory");
        res->ledger.by_reason[reason] = keep;
    }
    uint32_t nun = get_u32(r);
    if (r->bad) return HD_OK;
    if (nun) {
        if (nun > (size_t)(r->end - r->p) / 16 || !(res->unread = calloc(nun, sizeof *res->unread))) { r->bad = 1; return HD_OK; }
        res->capunread = nun;
    }
    for (uint32_t j = 0; j < nun && !r->bad; j++) {
        uint32_t member = get_u32(r);
        uint64_t line = get_u64(r);
        uint32_t v = get_u32(r), reason = v & 0xff;   /* near miss in the high bits */
        if (r->bad || member >= st->m->nmembers || reason >= HD_R__COUNT || v >> 24) { r->bad = 1; break; }
        res->unread[res->nunread++] = (struct hd_unread){ member, line, (hd_reason)reason, (uint16_t)(v >> 8) };
    }
    return HD_OK;
}

/* A file's matched records, each of this file's source and kind. */
static int read_records(const hd_results *st, pr *r, hd_file_result *res, uint32_t ri, hd_error *err)
{
    uint32_t nrec = get_u32(r);
    if (r->bad) return HD_OK;
    if (nrec) {
        if (nrec > (size_t)(r->end - r->p) / 4 || !(res->recs = calloc(nrec, sizeof *res->recs)) ||
            !(res->rec_arena = hd_arena_new())) return hd_fail(err, HD_ESOFTWARE, "out of memory");
        res->caprecs = nrec;
    }
    for (uint32_t j = 0; j < nrec && !r->bad; j++) {
        uint32_t rn = get_u32(r);
        const void *img = take(r, rn);
        uint32_t src = 0, file = 0;
        unsigned kind = 0;
        hd_stored_record *sr = img ? hd_stored_image_load(res->rec_arena, img, rn, st->m->nmembers,
                                                          &src, &file, &kind) : NULL;
        /* the record of this file's source, of that source's kind */
        if (!sr || (int)src != res->source || file != ri || kind != (unsigned)st->src[res->source].desc->kind) {
            r->bad = 1;
            break;
        }
        res->recs[res->nrecs++] = sr;
    }
    return HD_OK;
}

/* One extract file of a part: which file, its digest, its result. */
static int read_part_file(hd_results *st, const char *path, pr *r, uint8_t *covered, hd_error *err)
{
    uint32_t first = (uint32_t)st->napp_files;
    uint32_t ri = get_u32(r), rl = 0, sl = 0;
    const char *rel = get_str(r, &rl);
    const char *sha = get_str(r, &sl);
    uint64_t bytes = get_u64(r);
    if (r->bad) return HD_OK;
    if (ri < first || ri >= st->nresults)
        return hd_fail(err, HD_EDATA, "%s: foreign part: file %u is not an extract of this job", path, ri);
    hd_file_result *res = &st->results[ri];
    const char *want_rel = hd_path_rel(res->path, st->job->dir);
    if (strlen(want_rel) != rl || memcmp(want_rel, rel, rl))
        return hd_fail(err, HD_EDATA, "%s: foreign part: its file %u is %.*s, the job's is %s", path, ri,
                       (int)(rl > 300 ? 300 : rl), rel, want_rel);
    if (covered[ri - first])
        return hd_fail(err, HD_EDATA, "%s: %s is read by two parts (the parts disagree on the split: "
                       "did an extract change size while they ran?)", path, want_rel);
    covered[ri - first] = 2;          /* this part's; 1 once it is read */
    hd_input *in = (hd_input *)input_of(st, res->path);
    if (!in || sl == 0 || sl >= sizeof in->sha256) return hd_fail(err, HD_EDATA, "%s: damaged part: no digest of %s", path, want_rel);
    memcpy(in->sha256, sha, sl);
    in->sha256[sl] = 0;
    in->bytes = bytes;
    read_fields_and_divisions(r, res);
    if (r->bad) return HD_OK;
    int rc = read_quarantine(st, r, res, err);
    if (rc != HD_OK || r->bad) return rc;
    return read_records(st, r, res, ri, err);
}

/* The row ledger of every file of this part adds up (SPEC §5), as a scan
 * leaves it. */
static int check_ledgers(const hd_results *st, const char *path, const uint8_t *covered, hd_error *err)
{
    uint32_t first = (uint32_t)st->napp_files;
    for (uint32_t ri = first; ri < st->nresults; ri++) {
        const hd_file_result *res = &st->results[ri];
        const hd_ledger *l = &res->ledger;
        uint64_t by_reason = hd_ledger_by_reason_total(l);
        /* (by_reason counts the quarantined rows: scan.c's quarantine is
         * the only place that adds to it) */
        if (covered_here(covered, ri - first) &&
            (l->rows != l->rows_ok + l->rows_quarantined || l->rows_ok != l->rows_matched + l->rows_unmatched ||
             l->rows_quarantined != res->nq || by_reason != res->nq))
            return hd_fail(err, HD_EDATA, "%s: damaged part: the row ledger of %s does not add up", path,
                           hd_path_rel(res->path, st->job->dir));
    }
    return HD_OK;
}

/* Reads the file results of part k of n into st; covered[r - first] is
 * set for every result it holds. */
static int load_part(hd_results *st, const char *dir, const char *set_digest, int k, int n,
                     uint8_t *covered, hd_error *err)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/part-%d-of-%d", dir, k, n);
    uint8_t *buf = NULL;
    size_t len = 0;
    char what[64], missing[96];
    snprintf(what, sizeof what, "part %d of %d", k, n);
    snprintf(missing, sizeof missing, "is missing (run hedui run --part %d/%d for it first)", k, n);
    int rc = hd_part_read_verified(path, what, missing, &buf, &len, err);
    if (rc != HD_OK) return rc;
    const uint8_t *body = NULL;
    unsigned long nfiles = 0;
    rc = check_part_head(st, path, buf, len, set_digest, k, n, &body, &nfiles, err);
    pr r = { body, buf + len, 0 };
    for (unsigned long i = 0; rc == HD_OK && i < nfiles && !r.bad; i++)
        rc = read_part_file(st, path, &r, covered, err);
    if (rc == HD_OK && !r.bad) rc = check_ledgers(st, path, covered, err);
    if (rc == HD_OK && (r.bad || r.p != r.end))
        rc = hd_fail(err, HD_EDATA, "%s: damaged part: its body does not read as a part (%s)", path,
                     r.bad ? "a record is cut or malformed" : "bytes after its last file");
    for (uint32_t i = 0; i + (uint32_t)st->napp_files < st->nresults; i++)
        if (covered[i] == 2) covered[i] = 1;
    free(buf);
    return rc;
}

int hd_part_load_all(hd_results *st, const char *set_digest, int nparts, hd_error *err)
{
    char dir[4200];
    hd_part_dir(st, set_digest, dir, sizeof dir);
    if (nparts == 0) {
        /* the N of the part files present: one split only */
        DIR *d = opendir(dir);
        if (!d)
            return hd_fail(err, HD_ENOINPUT, "%s: no parts of this job (run hedui run --part K/N JOB.ini for every K first): %s",
                           dir, strerror(errno));
        struct dirent *e;
        int other = 0;
        while ((e = readdir(d)) != NULL) {
            int k, n, used = 0;
            if (sscanf(e->d_name, "part-%d-of-%d%n", &k, &n, &used) != 2 || e->d_name[used] || n < 1) continue;
            if (nparts == 0) nparts = n;
            else if (n != nparts) other = n;
        }
        closedir(d);
        if (nparts == 0)
            return hd_fail(err, HD_ENOINPUT, "%s: no part files of this job (run hedui run --part K/N JOB.ini for every K first)", dir);
        if (other)
            return hd_fail(err, HD_EUSAGE, "%s holds parts of two splits (N = %d and %d): give merge --parts N",
                           dir, nparts < other ? nparts : other, nparts < other ? other : nparts);
    }
    uint32_t first = (uint32_t)st->napp_files, count = st->nresults - first;
    uint8_t *covered = calloc((size_t)count + 1, 1);
    if (!covered) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    int rc = HD_OK;
    /* every part present first: a missing part is named before a damaged one */
    for (int k = 0; k < nparts && rc == HD_OK; k++) {
        char path[4400];
        struct stat sb;
        snprintf(path, sizeof path, "%s/part-%d-of-%d", dir, k, nparts);
        if (stat(path, &sb) != 0)
            rc = hd_fail(err, HD_ENOINPUT, "%s: part %d of %d is missing (run hedui run --part %d/%d JOB.ini)",
                         path, k, nparts, k, nparts);
    }
    for (int k = 0; k < nparts && rc == HD_OK; k++)
        rc = load_part(st, dir, set_digest, k, nparts, covered, err);
    for (uint32_t i = 0; i < count && rc == HD_OK; i++)
        if (!covered[i])
            rc = hd_fail(err, HD_EDATA, "%s: no part of %d read %s (the parts disagree on the split: did an extract "
                         "change size while they ran?)", dir, nparts, hd_path_rel(st->results[first + i].path, st->job->dir));
    free(covered);
    return rc;
}
