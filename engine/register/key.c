/*
 * key.c — the register key (SPEC §8 "Keys per audience"): HKDF-SHA256
 * (RFC 5869) over the master key with salt = the key id and info =
 * "hedui:v2:register", through OpenSSL's EVP_KDF.
 *
 * The ONE place the register derives its key. When engine/ident gains the
 * shared derivation of every audience's key, this function becomes a
 * one-line call to it (same inputs, same 32 bytes).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include "hedui/register.h"

void hd_register_key(const hd_key *master, unsigned char out[32])
{
    static const char info[] = "hedui:v2:register";
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (!ctx) abort();               /* OpenSSL without HKDF: unusable */
    OSSL_PARAM p[5], *q = p;
    *q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master->bytes, sizeof master->bytes);
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)master->id, strlen(master->id));
    *q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, sizeof info - 1);
    *q = OSSL_PARAM_construct_end();
    if (EVP_KDF_derive(ctx, out, 32, p) != 1) abort();
    EVP_KDF_CTX_free(ctx);
}

void hd_finding_id(const unsigned char regkey[32], const char *household_token, const char *code,
                   const char *member_token, const char *source, const char *record_key, char out[33])
{
    const char *parts[5] = { household_token, code, member_token, source, record_key };
    size_t n = strlen("hedui:v2:finding:");
    for (int i = 0; i < 5; i++) n += (parts[i] && *parts[i] ? strlen(parts[i]) : 1) + (i < 4);
    char stackbuf[1024];
    char *b = n <= sizeof stackbuf ? stackbuf : malloc(n);
    if (!b) abort();
    size_t k = 0;
    memcpy(b, "hedui:v2:finding:", 17); k = 17;
    for (int i = 0; i < 5; i++) {
        const char *s = parts[i] && *parts[i] ? parts[i] : "-";
        size_t l = strlen(s);
        memcpy(b + k, s, l); k += l;
        if (i < 4) b[k++] = ':';
    }
    unsigned char mac[32];
    hd_hmac_sha256(regkey, 32, b, k, mac);
    if (b != stackbuf) free(b);
    char hex[65];
    hd_hex(mac, 32, hex);
    memcpy(out, hex, 32);
    out[32] = '\0';
}
