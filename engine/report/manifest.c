/*
 * manifest.c — manifest.json and manifest.sig (SPEC §5): the SHA-256 of
 * every input and every output, the policy digest, the key id and the
 * engine version; the raw 64-byte Ed25519 signature over the exact bytes of
 * manifest.json, so that stock OpenSSL checks it:
 *   openssl pkeyutl -verify -pubin -inkey signing.pub.pem -rawin \
 *           -in manifest.json -sigfile manifest.sig
 * The format (one entry per line) is read back by report/verify.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "io/file.h"
#include "report/common.h"
#include "report/report.h"
#include "report/out.h"
#include "report/regpart.h"

static char **g_list;          /* nftw has no user pointer: guarded by g_mu */
static size_t g_n, g_cap, g_root;
static int g_oom;
#include <pthread.h>
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static int collect(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)ftw;
    if (flag != FTW_F) return 0;
    if (g_n == g_cap) {
        size_t cap = g_cap ? g_cap * 2 : 64;
        char **l = realloc(g_list, cap * sizeof *l);
        if (!l) { g_oom = 1; return 1; }
        g_list = l; g_cap = cap;
    }
    g_list[g_n] = strdup(p + g_root);
    if (!g_list[g_n]) { g_oom = 1; return 1; }
    g_n++;
    return 0;
}

/* "keys" (SPEC §8): the id of every key the run used: the master (and the
 * previous master during a rotation), then each derived key by audience,
 * "master" naming the master key it was derived from. Ids only: a key id
 * tells which key, never the key. */
static void key_line(hd_out *o, const char *audience, const char *id, const char *master, int *first)
{
    hd_out_str(o, *first ? "\n    {\"audience\": " : ",\n    {\"audience\": ");
    *first = 0;
    hd_out_json_str(o, audience);
    hd_out_str(o, ", \"id\": ");
    hd_out_json_str(o, id);
    if (master) {
        hd_out_str(o, ", \"master\": ");
        hd_out_json_str(o, master);
    }
    hd_out_str(o, "}");
}

static void keys_json(hd_out *o, const hd_results *st)
{
    int first = 1;
    hd_out_str(o, ",\n  \"keys\": [");
    key_line(o, "master", st->key.id, NULL, &first);
    if (st->key.has_previous) key_line(o, "previous master", st->key.previous_id, NULL, &first);
    key_line(o, st->audit_key.audience, st->audit_key.id, st->key.id, &first);
    key_line(o, st->text_key.audience, st->text_key.id, st->key.id, &first);
    if (st->reg) {                /* the register's finding ids (SPEC §9) */
        hd_key rk;
        if (hd_key_derive(&st->key, "register", &rk, NULL) == HD_OK)
            key_line(o, rk.audience, rk.id, st->key.id, &first);
        hd_key_wipe(&rk);
    }
    for (int p = 0; p < st->nproviders; p++) {
        char audience[80];
        snprintf(audience, sizeof audience, "provider:%s", st->providers[p].name);
        key_line(o, audience, st->providers[p].id[0], st->key.id, &first);
        if (st->providers[p].id[1][0])
            key_line(o, audience, st->providers[p].id[1], st->key.previous_id, &first);
    }
    hd_out_str(o, "\n  ]");
}

int hd_write_manifest(const hd_results *st, const char *dir, int *signed_out, hd_error *err)
{
    *signed_out = 0;
    pthread_mutex_lock(&g_mu);
    g_list = NULL; g_n = g_cap = 0; g_oom = 0;
    g_root = strlen(dir) + 1;
    int fr = nftw(dir, collect, 16, FTW_PHYS);
    char **list = g_list;
    size_t n = g_n;
    int oom = g_oom;
    pthread_mutex_unlock(&g_mu);
    int rc = HD_OK;
    if (fr != 0 || oom) rc = hd_fail(err, oom ? HD_ESOFTWARE : HD_EIO, "%s: cannot list outputs", dir);
    if (!rc) qsort(list, n, sizeof *list, hd_report_cmp_str);
    char path[4400];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    hd_out *o = NULL;
    if (!rc) rc = hd_out_open(&o, path, err);
    if (!rc) {
        hd_report_head_json(o, st, "hedui-manifest/2");
        keys_json(o, st);
        if (st->reg)      /* the register's snapshot and the outcomes applied (SPEC §9) */
            hd_out_printf(o, ",\n  \"register_snapshot\": \"%s\",\n  \"outcomes_applied\": \"%s\"",
                          st->reg->snapshot_digest, st->reg->outcomes_digest);
        hd_out_str(o, ",\n  \"inputs\": [\n");
        uint32_t last = 0;
        for (uint32_t i = 0; i < st->ninputs; i++)
            if (strlen(st->inputs[i].sha256) == 64) last = i;
        for (uint32_t i = 0; i < st->ninputs; i++) {
            /* an extract that could not be read has no digest: its damage
             * is in summary.json, which is listed below */
            if (strlen(st->inputs[i].sha256) != 64) continue;
            hd_out_str(o, "    {\"path\": ");
            hd_out_json_str(o, st->inputs[i].rel);
            hd_out_printf(o, ", \"bytes\": %" PRIu64 ", \"sha256\": \"%s\"}%s\n", st->inputs[i].bytes,
                          st->inputs[i].sha256, i < last ? "," : "");
        }
        hd_out_str(o, "  ],\n  \"files\": [\n");
        for (size_t i = 0; !rc && i < n; i++) {
            char full[4400], hex[65];
            snprintf(full, sizeof full, "%s/%s", dir, list[i]);
            rc = hd_sha256_file(full, hex, err);
            struct stat sb;
            if (!rc && stat(full, &sb) != 0) rc = hd_fail(err, HD_EIO, "%s: %s", full, strerror(errno));
            if (rc) break;
            hd_out_str(o, "    {\"path\": ");
            hd_out_json_str(o, list[i]);
            hd_out_printf(o, ", \"bytes\": %" PRIu64 ", \"sha256\": \"%s\"}%s\n", (uint64_t)sb.st_size, hex,
                          i + 1 < n ? "," : "");
        }
        hd_out_str(o, "  ]\n}\n");
        if (rc) hd_out_abort(o);
        else rc = hd_out_close(o, err);
    }
    for (size_t i = 0; i < n; i++) free(list[i]);
    free(list);
    if (rc || !*st->job->signing_key) return rc;

    /* sign the exact bytes written */
    char *buf = NULL;
    size_t len = 0;
    hd_error re;
    if (hd_file_read(path, (size_t)1 << 30, &buf, &len, &re) != HD_OK)
        return hd_fail(err, HD_EIO, "%s: cannot read back: %s", path, re.message);
    unsigned char sig[64];
    rc = hd_ed25519_sign_file(st->job->signing_key, buf, len, sig, err);
    free(buf);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/manifest.sig", dir);
    if ((rc = hd_out_open(&o, path, err)) != HD_OK) return rc;
    hd_out_write(o, sig, sizeof sig);
    if ((rc = hd_out_close(o, err)) != HD_OK) return rc;
    snprintf(path, sizeof path, "%s/signing.pub.pem", dir);
    if ((rc = hd_ed25519_write_public(st->job->signing_key, path, err)) != HD_OK) return rc;
    *signed_out = 1;
    return HD_OK;
}
