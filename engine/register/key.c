/*
 * key.c — the register key (SPEC §8 "Keys per audience"): HKDF-SHA256
 * (RFC 5869) over the master key with salt = the key id and info =
 * "hedui:v2:register", through OpenSSL's EVP_KDF.
 *
 * The one place the register derives its key, through the shared
 * derivation of every audience's key (hd_key_derive, engine/ident/keys.c).
 */
#include <stdlib.h>
#include <string.h>
#include "hedui/register.h"

void hd_register_key(const hd_key *master, unsigned char out[32])
{
    hd_key k;
    if (hd_key_derive(master, "register", &k, NULL) != HD_OK) abort();   /* OpenSSL without HKDF: unusable */
    memcpy(out, k.bytes, 32);
    hd_key_wipe(&k);
}

void hd_finding_id_bytes(const unsigned char regkey[32], const char *household_token, const char *code,
                         const char *member_token, const char *source, const char *record_key,
                         unsigned char out[16])
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
    memcpy(out, mac, 16);
}

void hd_finding_id(const unsigned char regkey[32], const char *household_token, const char *code,
                   const char *member_token, const char *source, const char *record_key, char out[33])
{
    unsigned char id[16];
    hd_finding_id_bytes(regkey, household_token, code, member_token, source, record_key, id);
    hd_hex(id, 16, out);
}
