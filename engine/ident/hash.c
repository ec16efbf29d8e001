/*
 * hash.c — HMAC-SHA256 (RFC 2104 / FIPS 198-1), pseudonym tokens
 * (SPEC §5, §8: "hedui:v2:" member, household and text tokens), HKDF-SHA256
 * (RFC 5869), streaming SHA-256 (FIPS 180-4) and hex, all through OpenSSL 3.
 * See include/hedui/ident.h.
 *
 * No state is kept between calls: every function is reentrant.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include "hedui/ident.h"
#include "hedui/text.h"

void hd_hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ------------------------------------------------------------ HMAC */

void hd_hmac_sha256(const unsigned char *key, size_t key_len,
                    const void *data, size_t n, unsigned char out[32])
{
    static const unsigned char empty[1] = { 0 };
    unsigned int len = 32;
    /* OpenSSL treats a NULL key as "no key"; an empty key is a key. */
    if (key == NULL || key_len == 0) { key = empty; key_len = 0; }
    if (data == NULL) { data = empty; n = 0; }
    if (HMAC(EVP_sha256(), key, (int)key_len, data, n, out, &len) == NULL || len != 32)
        abort();   /* SHA-256 HMAC cannot fail short of memory exhaustion */
}

/*
 * HMAC-SHA256 over the concatenation of up to three parts, without
 * allocating for the usual short inputs; long inputs are streamed through
 * EVP_MAC.
 */
static void hmac_parts(const hd_key *key, const char *const parts[], const size_t lens[],
                       int nparts, unsigned char out[32])
{
    char buf[512];
    size_t total = 0;
    for (int i = 0; i < nparts; i++) total += lens[i];
    if (total <= sizeof buf) {
        size_t k = 0;
        for (int i = 0; i < nparts; i++) { memcpy(buf + k, parts[i], lens[i]); k += lens[i]; }
        hd_hmac_sha256(key->bytes, sizeof key->bytes, buf, k, out);
        return;
    }
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()
    };
    size_t len = 0;
    int ok = ctx && EVP_MAC_init(ctx, key->bytes, sizeof key->bytes, params);
    for (int i = 0; ok && i < nparts; i++)
        ok = EVP_MAC_update(ctx, (const unsigned char *)parts[i], lens[i]);
    ok = ok && EVP_MAC_final(ctx, out, &len, 32) && len == 32;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    if (!ok) abort();
}

void hd_token_member_bytes(const hd_key *key, const hd_id *id, unsigned char out[32])
{
    static const char prefix[] = "hedui:v2:member:";
    const char *parts[2] = { prefix, id->s };
    const size_t lens[2] = { sizeof prefix - 1, strnlen(id->s, 18) };
    hmac_parts(key, parts, lens, 2, out);
}

void hd_token_member(const hd_key *key, const hd_id *id, char out[65])
{
    unsigned char mac[32];
    hd_token_member_bytes(key, id, mac);
    hd_hex(mac, 32, out);
}

void hd_token_household_bytes(const hd_key *key, const char *county_code,
                              const char *application_id, unsigned char out[32])
{
    static const char prefix[] = "hedui:v2:household:";
    const char *parts[4] = { prefix, county_code, ":", application_id };
    const size_t lens[4] = { sizeof prefix - 1, strlen(county_code), 1, strlen(application_id) };
    hmac_parts(key, parts, lens, 4, out);
}

void hd_token_household(const hd_key *key, const char *county_code,
                        const char *application_id, char out[65])
{
    unsigned char mac[32];
    hd_token_household_bytes(key, county_code, application_id, mac);
    hd_hex(mac, 32, out);
}

/* The text of a text token: the Names form, or the bytes as they are when
 * they are not UTF-8. *owned is what the caller frees (may be NULL). */
static const char *text_form(const char *s, size_t n, size_t *out_n, char **owned)
{
    *owned = NULL;
    if (n && !hd_utf8_valid(s, n)) { *out_n = n; return s; }
    *owned = hd_name_fold(s, n, out_n);
    if (!*owned) abort();               /* valid UTF-8: only memory can fail */
    return *owned;
}

void hd_token_text(const hd_key *key, const char *field, const char *s, size_t n, char out[65])
{
    static const char prefix[] = "hedui:v2:text:";
    char *owned;
    size_t tn;
    const char *t = text_form(s, n, &tn, &owned);
    const char *parts[4] = { prefix, field, ":", t };
    const size_t lens[4] = { sizeof prefix - 1, strlen(field), 1, tn };
    unsigned char mac[32];
    hmac_parts(key, parts, lens, 4, mac);
    free(owned);
    hd_hex(mac, 32, out);
}

/* ------------------------------------------------------------ HKDF */

int hd_hkdf_sha256(const unsigned char *ikm, size_t ikm_len,
                   const unsigned char *salt, size_t salt_len,
                   const unsigned char *info, size_t info_len,
                   unsigned char *out, size_t out_len)
{
    if (out_len == 0 || out_len > 255 * 32) return HD_EUSAGE;
    static unsigned char empty[1];
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);                  /* the context keeps its own reference */
    if (!ctx) return HD_ESOFTWARE;
    char digest[] = "SHA256";
    OSSL_PARAM params[5], *p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)(ikm_len ? ikm : empty), ikm_len);
    /* no salt: RFC 5869 uses HashLen zeros, which is what OpenSSL does
     * when the parameter is absent */
    if (salt_len) *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
    if (info_len) *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(ctx, out, out_len, params) == 1;
    EVP_KDF_CTX_free(ctx);
    return ok ? HD_OK : HD_ESOFTWARE;
}

/* ------------------------------------------------------------ token maker */

struct hd_tokener { EVP_MAC_CTX *ctx; };

hd_tokener *hd_tokener_new(const hd_key *key)
{
    hd_tokener *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    t->ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    EVP_MAC_free(mac);                  /* the context keeps its own reference */
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end()
    };
    if (!t->ctx || !EVP_MAC_init(t->ctx, key->bytes, sizeof key->bytes, params)) {
        EVP_MAC_CTX_free(t->ctx);
        free(t);
        return NULL;
    }
    return t;
}

/* HMAC of the parts under the object's key: a NULL key re-initialises the
 * keyed state (OpenSSL's HMAC keeps the key's pads). */
static void tokener_parts(hd_tokener *t, const char *const parts[], const size_t lens[],
                          int nparts, unsigned char out[32])
{
    size_t len = 0;
    int ok = EVP_MAC_init(t->ctx, NULL, 0, NULL);
    for (int i = 0; ok && i < nparts; i++)
        ok = EVP_MAC_update(t->ctx, (const unsigned char *)parts[i], lens[i]);
    ok = ok && EVP_MAC_final(t->ctx, out, &len, 32) && len == 32;
    if (!ok) abort();   /* as hd_hmac_sha256: cannot fail short of OpenSSL being unusable */
}

void hd_tokener_member(hd_tokener *t, const hd_id *id, unsigned char out[32])
{
    static const char prefix[] = "hedui:v2:member:";
    const char *parts[2] = { prefix, id->s };
    const size_t lens[2] = { sizeof prefix - 1, strnlen(id->s, 18) };
    tokener_parts(t, parts, lens, 2, out);
}

void hd_tokener_household(hd_tokener *t, const char *county_code,
                          const char *application_id, unsigned char out[32])
{
    static const char prefix[] = "hedui:v2:household:";
    const char *parts[4] = { prefix, county_code, ":", application_id };
    const size_t lens[4] = { sizeof prefix - 1, strlen(county_code), 1, strlen(application_id) };
    tokener_parts(t, parts, lens, 4, out);
}

void hd_tokener_text(hd_tokener *t, const char *field, const char *s, size_t n,
                     unsigned char out[32])
{
    static const char prefix[] = "hedui:v2:text:";
    char *owned;
    size_t tn;
    const char *x = text_form(s, n, &tn, &owned);
    const char *parts[4] = { prefix, field, ":", x };
    const size_t lens[4] = { sizeof prefix - 1, strlen(field), 1, tn };
    tokener_parts(t, parts, lens, 4, out);
    free(owned);
}

void hd_tokener_free(hd_tokener *t)
{
    if (!t) return;
    EVP_MAC_CTX_free(t->ctx);           /* OpenSSL cleanses the keyed state */
    free(t);
}

hd_reason hd_token_normalise(const char *s, size_t n, char out[65])
{
    if (s == NULL) return HD_R_ID_FORMAT;
    /* trim set of SPEC §6 (same as hd_id_normalise) */
    for (;;) {
        const unsigned char *p = (const unsigned char *)s;
        if (n >= 1 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r')) { s += 1; n -= 1; }
        else if (n >= 2 && p[0] == 0xC2 && p[1] == 0xA0) { s += 2; n -= 2; }
        else if (n >= 3 && ((p[0] == 0xE2 && p[1] == 0x80 && p[2] == 0x8B)
                            || (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
                            || (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80))) { s += 3; n -= 3; }
        else break;
    }
    for (;;) {
        const unsigned char *p = (const unsigned char *)s;
        if (n >= 1 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r')) n -= 1;
        else if (n >= 2 && p[n - 2] == 0xC2 && p[n - 1] == 0xA0) n -= 2;
        else if (n >= 3 && ((p[n - 3] == 0xE2 && p[n - 2] == 0x80 && p[n - 1] == 0x8B)
                            || (p[n - 3] == 0xEF && p[n - 2] == 0xBB && p[n - 1] == 0xBF)
                            || (p[n - 3] == 0xE3 && p[n - 2] == 0x80 && p[n - 1] == 0x80))) n -= 3;
        else break;
    }
    if (n != 64) return HD_R_ID_FORMAT;
    for (size_t i = 0; i < 64; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') out[i] = c;
        else if (c >= 'a' && c <= 'f') out[i] = c;
        else if (c >= 'A' && c <= 'F') out[i] = (char)(c - 'A' + 'a');
        else return HD_R_ID_FORMAT;
    }
    out[64] = '\0';
    return HD_R_NONE;
}

/* ------------------------------------------------------------ SHA-256 */

struct hd_sha256 {
    EVP_MD_CTX *ctx;
};

hd_sha256 *hd_sha256_new(void)
{
    hd_sha256 *h = malloc(sizeof *h);
    if (h == NULL) return NULL;
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || !EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(h->ctx);
        free(h);
        return NULL;
    }
    return h;
}

void hd_sha256_update(hd_sha256 *h, const void *p, size_t n)
{
    if (h == NULL || n == 0) return;
    if (!EVP_DigestUpdate(h->ctx, p, n)) abort();
}

void hd_sha256_final(hd_sha256 *h, unsigned char out[32])
{
    if (h == NULL) return;
    unsigned int len = 0;
    if (!EVP_DigestFinal_ex(h->ctx, out, &len) || len != 32) abort();
    EVP_MD_CTX_free(h->ctx);
    free(h);
}

int hd_sha256_file(const char *path, char hex[65], hd_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return hd_fail(err, HD_ENOINPUT, "%s: cannot open: %s", path, strerror(e));
    }
    hd_sha256 *h = hd_sha256_new();
    if (h == NULL) {
        close(fd);
        return hd_fail(err, HD_ESOFTWARE, "%s: cannot start SHA-256: out of memory", path);
    }
    unsigned char buf[1 << 16];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r == 0) break;
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            unsigned char junk[32];
            hd_sha256_final(h, junk);
            close(fd);
            return hd_fail(err, HD_ENOINPUT, "%s: read error: %s", path, strerror(e));
        }
        hd_sha256_update(h, buf, (size_t)r);
    }
    close(fd);
    unsigned char md[32];
    hd_sha256_final(h, md);
    hd_hex(md, 32, hex);
    return HD_OK;
}
