/*
 * verify.c — `hedui audit verify` (SPEC §1, §5): an auditor checks that an
 * output directory is exactly what the signed manifest says it is.
 *
 *   1. manifest.sig is a raw 64-byte Ed25519 signature over the exact bytes
 *      of manifest.json (the same check as `openssl pkeyutl -verify -pubin
 *      -rawin`), under the auditor's public key or the bundle's own
 *      signing.pub.pem (integrity only: whoever altered the bundle could
 *      have replaced that key too);
 *   2. every entry of the manifest's "files" array has its size and SHA-256;
 *   3. nothing else lies in the directory but manifest.json, manifest.sig
 *      and signing.pub.pem.
 *
 * The manifest is read by a small strict JSON scanner for its one shape
 * (an object of scalars and arrays of flat objects); anything else is a
 * malformed manifest. All checks run; every failure is reported.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "hedui/batch.h"
#include "hedui/ident.h"
#include "hedui/verify.h"
#include "util/strmap.h"

#define MANIFEST_MAX ((size_t)64 << 20)

typedef struct vctx {
    const char *dir;
    void (*on_fail)(void *, const char *);
    void *user;
    hd_verify_result *res;
    hd_error first;
    int oom;
} vctx;

static void failf(vctx *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failf(vctx *v, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *p = msg; *p; p++) if (*p == '\n' || *p == '\r') *p = ' ';
    if (v->first.status == HD_OK) hd_fail(&v->first, HD_EDATA, "%s", msg);
    v->res->failures++;
    if (v->on_fail) v->on_fail(v->user, msg);
}

/* ------------------------------------------------------------ JSON scan */

typedef struct entry { char *path; uint64_t bytes; char sha[65]; int have_bytes, have_sha; } entry;

typedef struct jscan {
    const char *p, *end;
    char format[64];
    int have_files;
    entry *files; size_t nfiles, capfiles;
    int oom;
} jscan;

static void ws(jscan *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) j->p++;
}

static int lit(jscan *j, char c)
{
    ws(j);
    if (j->p < j->end && *j->p == c) { j->p++; return 1; }
    return 0;
}

/* A JSON string into out (cap bytes; longer strings are cut, still parsed).
 * Escapes are decoded for the simple ones; \uXXXX becomes '?' (no key or
 * value the verifier needs contains one). Raw control characters: error. */
static int str(jscan *j, char *out, size_t cap)
{
    ws(j);
    if (j->p >= j->end || *j->p != '"') return 0;
    j->p++;
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p++;
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (j->p >= j->end) return 0;
            char e = *j->p++;
            switch (e) {
            case '"': case '\\': case '/': c = (unsigned char)e; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u':
                for (int i = 0; i < 4; i++) {
                    if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p) return 0;
                    j->p++;
                }
                c = '?';
                break;
            default: return 0;
            }
        }
        if (n + 1 < cap) out[n++] = (char)c;
    }
    if (j->p >= j->end) return 0;
    j->p++;
    if (cap) out[n] = 0;
    return 1;
}

static int uint_(jscan *j, uint64_t *v)
{
    ws(j);
    const char *s = j->p;
    uint64_t x = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        if (x > (UINT64_MAX - 9) / 10) return 0;
        x = x * 10 + (uint64_t)(*j->p - '0');
        j->p++;
    }
    if (j->p == s || (j->p - s > 1 && *s == '0')) return 0;
    *v = x;
    return 1;
}

/* A flat object {"path": ..., "bytes": N, "sha256": "..."} (other scalar
 * keys allowed). keep: add to files. */
/* Skips the value of a key the manifest format does not know: a string of
 * at most cap - 1 bytes or a whole number. @return 0 on anything else. */
static int skip_value(jscan *j, size_t cap)
{
    char skip[4096];
    uint64_t u;
    if (cap > sizeof skip) cap = sizeof skip;
    ws(j);
    if (j->p < j->end && *j->p == '"') return str(j, skip, cap);
    return uint_(j, &u);
}

static int entry_obj(jscan *j, int keep)
{
    if (!lit(j, '{')) return 0;
    entry e;
    memset(&e, 0, sizeof e);
    char path[4096] = "";
    int have_path = 0;
    if (!lit(j, '}')) {
        do {
            char k[64];
            if (!str(j, k, sizeof k) || !lit(j, ':')) return 0;
            if (!strcmp(k, "path")) {
                if (have_path || !str(j, path, sizeof path)) return 0;
                have_path = 1;
            } else if (!strcmp(k, "bytes")) {
                if (e.have_bytes || !uint_(j, &e.bytes)) return 0;
                e.have_bytes = 1;
            } else if (!strcmp(k, "sha256")) {
                char h[80];
                if (e.have_sha || !str(j, h, sizeof h) || strlen(h) != 64) return 0;
                for (int i = 0; i < 64; i++)
                    if (!strchr("0123456789abcdef", h[i])) return 0;
                memcpy(e.sha, h, 65);
                e.have_sha = 1;
            } else if (!skip_value(j, 256)) {
                return 0;
            }
        } while (lit(j, ','));
        if (!lit(j, '}')) return 0;
    }
    if (!have_path || !e.have_bytes || !e.have_sha) return 0;
    if (!keep) return 1;
    if (j->nfiles == j->capfiles) {
        size_t cap = j->capfiles ? j->capfiles * 2 : 64;
        entry *f = realloc(j->files, cap * sizeof *f);
        if (!f) { j->oom = 1; return 0; }
        j->files = f; j->capfiles = cap;
    }
    e.path = strdup(path);
    if (!e.path) { j->oom = 1; return 0; }
    j->files[j->nfiles++] = e;
    return 1;
}

static int array(jscan *j, int keep)
{
    if (!lit(j, '[')) return 0;
    if (lit(j, ']')) return 1;
    do {
        if (!entry_obj(j, keep)) return 0;
    } while (lit(j, ','));
    return lit(j, ']');
}

/* "keys" (hedui-manifest/2): an array of flat objects of strings. */
static int keys_array(jscan *j)
{
    if (!lit(j, '[')) return 0;
    if (lit(j, ']')) return 1;
    do {
        if (!lit(j, '{')) return 0;
        if (!lit(j, '}')) {
            do {
                char k[64], v[256];
                if (!str(j, k, sizeof k) || !lit(j, ':') || !str(j, v, sizeof v)) return 0;
            } while (lit(j, ','));
            if (!lit(j, '}')) return 0;
        }
    } while (lit(j, ','));
    return lit(j, ']');
}

static int manifest(jscan *j)
{
    if (!lit(j, '{')) return 0;
    int have_inputs = 0, have_keys = 0;
    do {
        char k[64];
        if (!str(j, k, sizeof k) || !lit(j, ':')) return 0;
        if (!strcmp(k, "format")) {
            if (!str(j, j->format, sizeof j->format)) return 0;
        } else if (!strcmp(k, "files")) {
            if (j->have_files || !array(j, 1)) return 0;
            j->have_files = 1;
        } else if (!strcmp(k, "inputs")) {
            if (have_inputs || !array(j, 0)) return 0;
            have_inputs = 1;
        } else if (!strcmp(k, "keys")) {
            if (have_keys || !keys_array(j)) return 0;
            have_keys = 1;
        } else if (!skip_value(j, 4096)) {
            return 0;
        }
    } while (lit(j, ','));
    if (!lit(j, '}')) return 0;
    ws(j);
    return j->p == j->end;
}

/* ------------------------------------------------------------ checks */

static int path_ok(const char *p)
{
    if (!*p || *p == '/') return 0;
    for (const char *c = p; *c; c++)
        if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-", *c)) return 0;
    /* no empty, "." or ".." component */
    const char *s = p;
    for (;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) return 0;
        if (!e) break;
        s = e + 1;
    }
    return 1;
}

static int read_all(const char *path, size_t max, char **out, size_t *len, hd_error *err)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        /* a symbolic link where a manifest should be is rejected (data);
         * any other failure to read an input is 66 (SPEC §8) */
        return hd_fail(err, e == ELOOP ? HD_EDATA : HD_ENOINPUT, "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return hd_fail(err, HD_EDATA, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return hd_fail(err, HD_EDATA, "%s: %lld bytes, larger than a manifest can be", path, (long long)st.st_size);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *b = malloc(cap);
    if (!b) { close(fd); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
    for (;;) {
        if (n == cap) {                          /* grew while reading */
            close(fd);
            free(b);
            return hd_fail(err, HD_EDATA, "%s: changed while being read", path);
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            free(b);
            return hd_fail(err, HD_ENOINPUT, "%s: cannot read: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    *out = b;
    *len = n;
    return HD_OK;
}

static const char *const own_files[] = { "manifest.json", "manifest.sig", "signing.pub.pem" };

static void walk(vctx *v, hd_strmap *listed, const char *rel)
{
    char full[8192];
    snprintf(full, sizeof full, "%s%s%s", v->dir, *rel ? "/" : "", rel);
    DIR *dd = opendir(full);
    if (!dd) { failf(v, "%s: cannot list: %s", full, strerror(errno)); return; }
    struct dirent *de;
    char **names = NULL;
    size_t nn = 0, cap = 0;
    while ((de = readdir(dd))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (nn == cap) {
            cap = cap ? cap * 2 : 32;
            char **t = realloc(names, cap * sizeof *t);
            if (!t) { v->oom = 1; break; }
            names = t;
        }
        if (!(names[nn] = strdup(de->d_name))) { v->oom = 1; break; }
        nn++;
    }
    closedir(dd);
    /* sorted, so that the report is the same on every file system */
    for (size_t i = 1; i < nn; i++)
        for (size_t k = i; k > 0 && strcmp(names[k - 1], names[k]) > 0; k--) {
            char *t = names[k]; names[k] = names[k - 1]; names[k - 1] = t;
        }
    for (size_t i = 0; i < nn; i++) {
        char r[4096];
        if (snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", names[i]) >= (int)sizeof r) {
            failf(v, "%s/%s...: path too long", v->dir, rel);
            continue;
        }
        char f[8192];
        snprintf(f, sizeof f, "%s/%s", v->dir, r);
        struct stat st;
        if (lstat(f, &st) != 0) { failf(v, "%s: cannot stat: %s", r, strerror(errno)); continue; }
        if (S_ISDIR(st.st_mode)) {
            /* a directory holds listed files; an empty one is something the
             * manifest does not account for */
            DIR *sub = opendir(f);
            int entries = 0;
            struct dirent *se;
            while (sub && (se = readdir(sub)) != NULL)
                if (strcmp(se->d_name, ".") && strcmp(se->d_name, "..")) entries++;
            if (sub) closedir(sub);
            if (!entries) failf(v, "%s: an empty directory, not in the manifest", r);
            else walk(v, listed, r);
            continue;
        }
        int own = 0;
        if (!*rel)
            for (size_t k = 0; k < sizeof own_files / sizeof *own_files; k++)
                if (!strcmp(r, own_files[k])) own = 1;
        if (!S_ISREG(st.st_mode)) {
            if (hd_strmap_get(listed, r, strlen(r)) == UINT32_MAX)
                failf(v, "%s: not a regular file, and not listed in the manifest", r);
            continue;                               /* listed: reported already */
        }
        if (!own && hd_strmap_get(listed, r, strlen(r)) == UINT32_MAX)
            failf(v, "%s: not listed in the manifest", r);
    }
    for (size_t i = 0; i < nn; i++) free(names[i]);
    free(names);
}

int hd_audit_verify_ex(const char *dir, const char *pub_pem, int flags,
                       void (*on_fail)(void *user, const char *msg), void *user,
                       hd_verify_result *res, hd_error *err)
{
    hd_verify_result local;
    if (!res) res = &local;
    memset(res, 0, sizeof *res);
    vctx v = { dir, on_fail, user, res, { 0, "" }, 0 };

    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return hd_fail(err, HD_ENOINPUT, "%s: no such directory", dir);
    char mpath[4200], spath[4200], own_pub[4200];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", dir);
    snprintf(spath, sizeof spath, "%s/manifest.sig", dir);
    snprintf(own_pub, sizeof own_pub, "%s/signing.pub.pem", dir);
    char *m = NULL;
    size_t mlen = 0;
    int rc = read_all(mpath, MANIFEST_MAX, &m, &mlen, err);
    if (rc != HD_OK) {
        if (rc == HD_ENOINPUT) hd_fail(err, HD_ENOINPUT, "%s: no manifest.json: not an output directory of hedui run", dir);
        return rc;
    }

    /* 1. the signature */
    char *sig = NULL;
    size_t slen = 0;
    hd_error e2;
    hd_error_clear(&e2);
    int src = read_all(spath, 4096, &sig, &slen, &e2);
    if (src == HD_ENOINPUT) {
        if (!(flags & HD_VERIFY_ALLOW_UNSIGNED))
            failf(&v, "manifest.sig: missing: the bundle is unsigned, so nothing proves its manifest");
    } else if (src != HD_OK) {
        failf(&v, "%s", e2.message);
    } else if (slen != 64) {
        failf(&v, "manifest.sig: %zu bytes; an Ed25519 signature has 64", slen);
    } else {
        const char *key = pub_pem;
        if (!key) { key = own_pub; res->own_key = 1; }
        int vr = hd_ed25519_verify_file(key, m, mlen, (const unsigned char *)sig, &e2);
        if (vr == HD_OK) res->signature_checked = 1;
        else if (vr == HD_EDATA)
            failf(&v, "manifest.sig: the signature does not match manifest.json under %s", key);
        else if (pub_pem) {                      /* the auditor's key is unusable */
            free(sig);
            free(m);
            return hd_fail(err, vr, "%s", e2.message);
        } else
            failf(&v, "signing.pub.pem: %s (give the public key with --pubkey)", e2.message);
    }
    free(sig);

    /* 2. the listed files */
    jscan j;
    memset(&j, 0, sizeof j);
    j.p = m;
    j.end = m + mlen;
    int ok = manifest(&j);
    hd_strmap *listed = NULL;
    if (j.oom) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); goto out; }
    if (!ok || !j.have_files) {
        failf(&v, "manifest.json: malformed (not the hedui-manifest layout near byte %ld)", (long)(j.p - m));
        goto finish;
    }
    /* /2 (keys per audience, SPEC §8) adds "keys"; /1 bundles stay verifiable */
    if (strcmp(j.format, "hedui-manifest/2") != 0 && strcmp(j.format, "hedui-manifest/1") != 0) {
        failf(&v, "manifest.json: format is not hedui-manifest/2 (or /1)");
        goto finish;
    }
    listed = hd_strmap_new();
    if (!listed) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); goto out; }
    res->files_listed = j.nfiles;
    for (size_t i = 0; i < j.nfiles; i++) {
        entry *e = &j.files[i];
        if (!path_ok(e->path)) { failf(&v, "manifest.json: unsafe or malformed path in entry %zu", i + 1); continue; }
        if (hd_strmap_get(listed, e->path, strlen(e->path)) != UINT32_MAX) {
            failf(&v, "%s: listed twice in the manifest", e->path);
            continue;
        }
        if (hd_strmap_put(listed, e->path, strlen(e->path), (uint32_t)i) != 0) {
            rc = hd_fail(err, HD_ESOFTWARE, "out of memory");
            goto out;
        }
        char f[8192];
        snprintf(f, sizeof f, "%s/%s", dir, e->path);
        struct stat fs;
        if (lstat(f, &fs) != 0) { failf(&v, "%s: listed in the manifest but missing", e->path); continue; }
        if (!S_ISREG(fs.st_mode)) { failf(&v, "%s: not a regular file", e->path); continue; }
        if ((uint64_t)fs.st_size != e->bytes) {
            failf(&v, "%s: size %llu bytes, manifest says %llu", e->path,
                  (unsigned long long)fs.st_size, (unsigned long long)e->bytes);
            continue;
        }
        char hex[65];
        hd_error he;
        if (hd_sha256_file(f, hex, &he) != HD_OK) { failf(&v, "%s", he.message); continue; }
        if (strcmp(hex, e->sha) != 0) { failf(&v, "%s: SHA-256 differs from the manifest", e->path); continue; }
        res->files_ok++;
    }

    /* 3. nothing unlisted */
    walk(&v, listed, "");
    if (v.oom) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); goto out; }

finish:
    if (v.first.status != HD_OK) rc = hd_fail(err, HD_EDATA, "%s", v.first.message);
    else { rc = HD_OK; hd_error_clear(err); }
out:
    for (size_t i = 0; i < j.nfiles; i++) free(j.files[i].path);
    free(j.files);
    hd_strmap_free(listed);
    free(m);
    return rc;
}

int hd_audit_verify(const char *dir, const char *pub_pem, hd_error *err)
{
    return hd_audit_verify_ex(dir, pub_pem, 0, NULL, NULL, NULL, err);
}
