/*
 * ixfile.c — the index key (HKDF of the master key), the keyed MAC of
 * index tokens and the record codec shared by the writer and the reader.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "hedui/rules.h"
#include "report/ixfile.h"
#include "util/varint.h"

/* The one place the index key comes from (SPEC §8 "Keys per audience":
 * HKDF-SHA256, salt = key id, info = "hedui:v2:index"). */
int hd_index_key(const hd_key *master, hd_key *out, hd_error *err)
{
    return hd_key_derive(master, "index", out, err);
}

struct ix_mac { EVP_MAC_CTX *ctx; };

ix_mac *ix_mac_new(const hd_key *key)
{
    ix_mac *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    m->ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()
    };
    if (!m->ctx || !EVP_MAC_init(m->ctx, key->bytes, sizeof key->bytes, params)) {
        EVP_MAC_CTX_free(m->ctx);
        free(m);
        return NULL;
    }
    return m;
}

ix_mac *ix_mac_dup(const ix_mac *m)
{
    ix_mac *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    if (!(d->ctx = EVP_MAC_CTX_dup(m->ctx))) { free(d); return NULL; }
    return d;
}

void ix_mac_free(ix_mac *m)
{
    if (!m) return;
    EVP_MAC_CTX_free(m->ctx);
    free(m);
}

void ix_mac_run(ix_mac *m, const char *prefix, const char *a, size_t an, unsigned char out[32])
{
    size_t len = 0;
    int ok = EVP_MAC_init(m->ctx, NULL, 0, NULL) &&
             EVP_MAC_update(m->ctx, (const unsigned char *)prefix, strlen(prefix)) &&
             EVP_MAC_update(m->ctx, (const unsigned char *)a, an) &&
             EVP_MAC_final(m->ctx, out, &len, 32) && len == 32;
    if (!ok) abort();   /* as the tokener: only an unusable OpenSSL fails here */
}

void ix_token_id(ix_mac *m, const char *id18, unsigned char out[32])
{
    ix_mac_run(m, "hedui:v2:member:", id18, strnlen(id18, 18), out);
}

void ix_provider_token(ix_mac *m, const hd_id *id, char out[65])
{
    unsigned char t[32];
    ix_mac_run(m, "hedui:v2:member:", id->s, strnlen(id->s, 18), t);
    hd_hex(t, 32, out);
}

void ix_token_token(ix_mac *m, const char *token64, unsigned char out[32])
{
    ix_mac_run(m, "hedui:v2:token:", token64, strnlen(token64, 64), out);
}

int ix_token_name(ix_mac *m, const char *s, size_t n, char out[65])
{
    /* the Names form; text that is not UTF-8 as its bytes (as hd_token_text) */
    size_t k = n;
    char *f = NULL;
    if (!n || hd_utf8_valid(s, n)) {
        if (!(f = hd_name_fold(s, n, &k))) return -1;
    }
    unsigned char t[32];
    ix_mac_run(m, "hedui:v2:text:name:", f ? f : s, k, t);
    free(f);
    hd_hex(t, 16, out);           /* 128 bits: names are only compared for equality */
    return 0;
}

/* ---------------------------------------------------------------- codec */

static int is_str(hd_fid f)
{
    hd_ftype t = hd_field_type(f);
    return t == HD_T_ID || t == HD_T_TEXT || t == HD_T_CODE;
}

size_t ix_encode_max(const hd_record *rec)
{
    size_t n = 4 * 10;
    for (int f = 0; f < HD_F__COUNT; f++)
        if (rec->v[f].present) n += 1 + 10 + (is_str((hd_fid)f) ? rec->v[f].n : 0);
    return n;
}

size_t ix_encode(const hd_record *rec, uint8_t *p0)
{
    uint8_t *p = p0;
    p = hd_varint_put(p, rec->kind);
    p = hd_varint_put(p, rec->source);
    p = hd_varint_put(p, rec->file);
    p = hd_varint_put(p, rec->line);
    for (int f = 0; f < HD_F__COUNT; f++) {
        const hd_value *v = &rec->v[f];
        if (!v->present || f == HD_F_ID_NUMBER) continue;
        *p++ = (uint8_t)f;
        if (is_str((hd_fid)f)) {
            p = hd_varint_put(p, v->n);
            if (v->n) memcpy(p, v->s, v->n);
            p += v->n;
        } else {
            p = hd_varint_put(p, hd_zigzag(v->i));
        }
    }
    return (size_t)(p - p0);
}

int ix_decode(const uint8_t *p, size_t len, hd_record *rec, char *strs, size_t strs_cap)
{
    const uint8_t *end = p + len;
    memset(rec, 0, sizeof *rec);
    /* every varint is at most 10 bytes: reading is bounded by len + 10,
     * and the blob is checked whole by the manifest before it is mapped */
    rec->kind = (uint8_t)hd_varint_get(&p);
    rec->source = (uint16_t)hd_varint_get(&p);
    rec->file = (uint32_t)hd_varint_get(&p);
    rec->line = hd_varint_get(&p);
    size_t used = 0;
    while (p < end) {
        int f = *p++;
        if (f >= HD_F__COUNT || p >= end) return -1;
        hd_value *v = &rec->v[f];
        v->present = 1;
        if (is_str((hd_fid)f)) {
            uint64_t n = hd_varint_get(&p);
            if (n > (uint64_t)(end - p) || used + n + 1 > strs_cap) return -1;
            memcpy(strs + used, p, n);
            strs[used + n] = 0;
            v->s = strs + used;
            v->n = (uint32_t)n;
            used += n + 1;
            p += n;
        } else {
            v->i = hd_unzigzag(hd_varint_get(&p));
        }
    }
    return p == end && rec->kind < HD_KIND__COUNT ? 0 : -1;
}
