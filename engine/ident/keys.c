/*
 * keys.c — key files (the centre's master key, providers' keys), keys per
 * audience (SPEC §8: HKDF-SHA256 from the master), `hedui keygen`, and
 * Ed25519 signatures over raw messages (RFC 8032 via OpenSSL 3 EVP).
 * See include/hedui/ident.h and docs/ids.md.
 *
 * Rules kept everywhere in this file:
 *   - a secret file (pseudonym.key, signing.pem) readable or writable by
 *     group or others is refused, and the message says how to fix it
 *     ("chmod 600 PATH");
 *   - no message ever contains key material or the text of a key file;
 *   - buffers that held key material are wiped with OPENSSL_cleanse;
 *   - new files are created with open(O_CREAT|O_EXCL), never overwritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include "hedui/ident.h"

/* Largest key file we read: two short lines; anything bigger is not one. */
#define KEYFILE_MAX 4096

/*
 * Opens a secret file read-only and refuses it unless it is a regular file
 * with no group/other permission bits. Returns the fd or -1 with *err set
 * (HD_ENOINPUT: missing, not a regular file or cannot be opened, with the
 * system's reason (SPEC §8); HD_ECONFIG: group/other mode bits).
 */
static int open_secret(const char *path, const char *what, hd_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        hd_fail(err, HD_ENOINPUT, "%s: cannot open %s: %s", path, what, strerror(e));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        hd_fail(err, HD_ENOINPUT, "%s: cannot stat %s: %s", path, what, strerror(e));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        hd_fail(err, HD_ENOINPUT, "%s: cannot read %s: not a regular file", path, what);
        return -1;
    }
    if (st.st_mode & 077) {
        close(fd);
        hd_fail(err, HD_ECONFIG,
                "%s: %s is accessible by group or others (mode %04o); "
                "refusing to use it; fix with: chmod 600 %s",
                path, what, (unsigned)(st.st_mode & 07777), path);
        return -1;
    }
    return fd;
}

/* ------------------------------------------------------------ pseudonym.key */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* A provider name: 1-63 of [A-Za-z0-9._-] (the characters of a source
 * name, SPEC §2). */
static int provider_name_ok(const char *p, size_t n)
{
    if (n == 0 || n > 63) return 0;
    for (size_t i = 0; i < n; i++)
        if (!(p[i] == '-' || p[i] == '_' || p[i] == '.' || (p[i] >= '0' && p[i] <= '9') ||
              (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
            return 0;
    return 1;
}

/* An id= or previous_id= value into dst[64]. */
static int parse_id(char dst[64], const char *v, size_t n, const char *path, unsigned line,
                    const char *what, hd_error *err)
{
    if (n == 0 || n >= 64)
        return hd_fail(err, HD_ECONFIG, "%s:%u: %s must be 1 to 63 printable characters",
                       path, line, what);
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0x21 || v[i] > 0x7e)
            return hd_fail(err, HD_ECONFIG, "%s:%u: %s must be printable ASCII without spaces",
                           path, line, what);
    memcpy(dst, v, n);
    dst[n] = '\0';
    return HD_OK;
}

/* A key= or previous_key= value (64 hex digits) into dst[32]. */
static int parse_hex32(unsigned char dst[32], const char *v, size_t n, const char *path,
                       unsigned line, const char *what, hd_error *err)
{
    if (n != 64)
        return hd_fail(err, HD_ECONFIG,
                       "%s:%u: %s must be 64 hex digits (32 bytes), found %zu characters",
                       path, line, what, n);
    for (size_t i = 0; i < 32; i++) {
        int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return hd_fail(err, HD_ECONFIG,
                           "%s:%u: %s contains a character that is not a hex digit",
                           path, line, what);
        dst[i] = (unsigned char)(hi << 4 | lo);
    }
    return HD_OK;
}

static void derived_id(const unsigned char key[32], char id[64]);

/* Parses the file text into key; returns HD_OK or HD_ECONFIG with a
 * message that names the line but never quotes it. */
static int parse_keyfile(hd_key *key, const char *path, const char *text, size_t n,
                         hd_error *err)
{
    static const char *const names[] = { "id", "key", "provider", "previous_id", "previous_key" };
    int have[5] = { 0 };
    size_t pos = 0;
    unsigned line = 0;
    while (pos < n) {
        size_t end = pos;
        while (end < n && text[end] != '\n') end++;
        const char *l = text + pos;
        size_t len = end - pos;
        pos = end < n ? end + 1 : end;
        line++;
        while (len && (l[len - 1] == '\r' || l[len - 1] == ' ' || l[len - 1] == '\t')) len--;
        while (len && (l[0] == ' ' || l[0] == '\t')) { l++; len--; }
        if (len == 0 || l[0] == '#') continue;
        int which = -1;
        size_t nl = 0;
        for (int i = 0; i < 5; i++) {
            size_t k = strlen(names[i]);
            if (len > k && memcmp(l, names[i], k) == 0 && l[k] == '=') { which = i; nl = k + 1; }
        }
        if (which < 0)
            return hd_fail(err, HD_ECONFIG,
                           "%s:%u: unexpected line (want id=..., key=..., and optionally "
                           "provider=... or previous_id=... and previous_key=...)", path, line);
        if (have[which])
            return hd_fail(err, HD_ECONFIG, "%s:%u: second %s= line", path, line, names[which]);
        have[which] = 1;
        const char *v = l + nl;
        size_t vn = len - nl;
        int rc = HD_OK;
        switch (which) {
        case 0: rc = parse_id(key->id, v, vn, path, line, "key id", err); break;
        case 1: rc = parse_hex32(key->bytes, v, vn, path, line, "key", err); break;
        case 2:
            if (!provider_name_ok(v, vn))
                return hd_fail(err, HD_ECONFIG,
                               "%s:%u: provider must be 1 to 63 letters, digits, '-', '_' or '.'",
                               path, line);
            memcpy(key->provider, v, vn);
            key->provider[vn] = '\0';
            break;
        case 3: rc = parse_id(key->previous_id, v, vn, path, line, "previous_id", err); break;
        case 4: rc = parse_hex32(key->previous, v, vn, path, line, "previous_key", err); break;
        }
        if (rc != HD_OK) return rc;
    }
    if (!have[0]) return hd_fail(err, HD_ECONFIG, "%s: no id= line (key id missing)", path);
    if (!have[1]) return hd_fail(err, HD_ECONFIG, "%s: no key= line", path);
    if (have[3] != have[4])
        return hd_fail(err, HD_ECONFIG, "%s: %s= without %s= (a rotation needs both lines of the previous key)",
                       path, have[3] ? "previous_id" : "previous_key", have[3] ? "previous_key" : "previous_id");
    if (have[2] && have[3])
        return hd_fail(err, HD_ECONFIG,
                       "%s: a provider key file holds no previous key (the centre gives the provider a new file)",
                       path);
    if (have[3] && strcmp(key->previous_id, key->id) == 0)
        return hd_fail(err, HD_ECONFIG, "%s: previous_id is the same as id (a new master key needs a new id)",
                       path);
    key->has_previous = have[3];
    if (have[2]) {
        char want[64];
        derived_id(key->bytes, want);
        if (strcmp(want, key->id) != 0)
            return hd_fail(err, HD_ECONFIG,
                           "%s: the key id does not belong to this key (edited or damaged file?); "
                           "ask the centre for a new provider key file", path);
        snprintf(key->audience, sizeof key->audience, "provider:%s", key->provider);
    }
    return HD_OK;
}

int hd_key_load(hd_key *key, const char *path, hd_error *err)
{
    hd_error local;
    if (err == NULL) err = &local;
    memset(key, 0, sizeof *key);
    int fd = open_secret(path, "key file", err);
    if (fd < 0) return err->status;

    char buf[KEYFILE_MAX + 1];
    size_t n = 0;
    int rc = HD_OK;
    for (;;) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r == 0) break;
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = hd_fail(err, HD_ENOINPUT, "%s: read error: %s", path, strerror(errno));
            break;
        }
        n += (size_t)r;
        if (n == sizeof buf) {
            rc = hd_fail(err, HD_ECONFIG, "%s: too large for a key file (over %d bytes)",
                         path, KEYFILE_MAX);
            break;
        }
    }
    close(fd);
    if (rc == HD_OK) rc = parse_keyfile(key, path, buf, n, err);
    OPENSSL_cleanse(buf, sizeof buf);
    if (rc != HD_OK) hd_key_wipe(key);
    return rc;
}

void hd_key_wipe(hd_key *key)
{
    if (key) OPENSSL_cleanse(key, sizeof *key);
}

int hd_key_load_master(hd_key *key, const char *path, hd_error *err)
{
    int rc = hd_key_load(key, path, err);
    if (rc != HD_OK) return rc;
    if (key->provider[0]) {
        char name[64];
        snprintf(name, sizeof name, "%s", key->provider);
        hd_key_wipe(key);
        return hd_fail(err, HD_ECONFIG,
                       "%s: this is a provider key file (for provider %s), which only `hedui tokenize` "
                       "takes; the centre's run needs the master key file, the pseudonym.key written "
                       "by `hedui keygen DIR` ([job] key)", path, name);
    }
    return HD_OK;
}

int hd_key_load_provider(hd_key *key, const char *path, hd_error *err)
{
    int rc = hd_key_load(key, path, err);
    if (rc != HD_OK) return rc;
    if (!key->provider[0]) {
        hd_key_wipe(key);
        return hd_fail(err, HD_ECONFIG,
                       "%s: this is the centre's master key file, which a data provider never holds; "
                       "`hedui tokenize` takes a provider key file: the centre makes one with "
                       "`hedui keygen --provider NAME --key MASTER OUT`", path);
    }
    return HD_OK;
}

/* The id of a derived key: "d" + 16 hex of HMAC(key, "hedui:v2:key-id"). */
static void derived_id(const unsigned char key[32], char id[64])
{
    static const char label[] = "hedui:v2:key-id";
    unsigned char mac[32];
    char hex[65];
    hd_hmac_sha256(key, 32, label, sizeof label - 1, mac);
    hd_hex(mac, 8, hex);
    snprintf(id, 64, "d%s", hex);
}

int hd_key_derive(const hd_key *master, const char *audience, hd_key *out, hd_error *err)
{
    memset(out, 0, sizeof *out);
    if (master->audience[0] || master->provider[0])
        return hd_fail(err, HD_EUSAGE, "key %s is not a master key: keys are derived from the master only",
                       master->id);
    int provider = strncmp(audience, "provider:", 9) == 0;
    if (provider ? !provider_name_ok(audience + 9, strlen(audience + 9))
                 : strcmp(audience, "audit") && strcmp(audience, "text") &&
                   strcmp(audience, "register") && strcmp(audience, "index"))
        return hd_fail(err, HD_EUSAGE,
                       "unknown key audience '%.80s' (audit, text, register, index or provider:NAME)",
                       audience);
    char info[96];
    int n = snprintf(info, sizeof info, "hedui:v2:%s", audience);
    int rc = hd_hkdf_sha256(master->bytes, sizeof master->bytes,
                            (const unsigned char *)master->id, strlen(master->id),
                            (const unsigned char *)info, (size_t)n, out->bytes, sizeof out->bytes);
    if (rc != HD_OK) {
        hd_key_wipe(out);
        return hd_fail(err, HD_ESOFTWARE, "HKDF-SHA256 is not available from OpenSSL");
    }
    derived_id(out->bytes, out->id);
    snprintf(out->audience, sizeof out->audience, "%s", audience);
    if (provider) snprintf(out->provider, sizeof out->provider, "%s", audience + 9);
    return HD_OK;
}

int hd_key_previous(const hd_key *master, hd_key *out)
{
    memset(out, 0, sizeof *out);
    if (!master->has_previous) return 0;
    memcpy(out->id, master->previous_id, sizeof out->id);
    memcpy(out->bytes, master->previous, sizeof out->bytes);
    return 1;
}

/* ------------------------------------------------------------ keygen */

/* Writes all of p[0..n) to fd; 0 or errno. */
static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Creates path exclusively with exactly `mode` (umask notwithstanding). */
static int create_new(const char *path, mode_t mode, hd_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        int e = errno;
        hd_fail(err, e == EEXIST ? HD_ECONFIG : HD_EIO, "%s: %s%s", path,
                e == EEXIST ? "already exists; refusing to overwrite a key" : "cannot create: ",
                e == EEXIST ? "" : strerror(e));
        return -1;
    }
    if (fchmod(fd, mode) != 0) {
        int e = errno;
        close(fd);
        unlink(path);
        hd_fail(err, HD_EIO, "%s: cannot set mode: %s", path, strerror(e));
        return -1;
    }
    return fd;
}

/* Writes a PEM (private when priv, else public) of pkey to fd through a
 * memory BIO, so that no FILE buffer keeps a copy of the private key. */
static int write_pem(int fd, EVP_PKEY *pkey, int priv, const char *path, hd_error *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path);
    int ok = priv ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
                  : PEM_write_bio_PUBKEY(bio, pkey);
    int rc = HD_OK;
    if (!ok) {
        rc = hd_fail(err, HD_ESOFTWARE, "%s: cannot encode the key as PEM", path);
    } else {
        char *data = NULL;
        long len = BIO_get_mem_data(bio, &data);
        int e = len > 0 ? write_all(fd, data, (size_t)len) : EIO;
        if (e == 0 && fsync(fd) != 0) e = errno;
        if (e) rc = hd_fail(err, HD_EIO, "%s: write error: %s", path, strerror(e));
        if (len > 0) OPENSSL_cleanse(data, (size_t)len);
    }
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

int hd_keygen(const char *dir, hd_error *err)
{
    hd_error local;
    if (err == NULL) err = &local;
    char kpath[4096], ppath[4096], pubpath[4096];
    if ((size_t)snprintf(kpath, sizeof kpath, "%s/pseudonym.key", dir) >= sizeof kpath
        || (size_t)snprintf(ppath, sizeof ppath, "%s/signing.pem", dir) >= sizeof ppath
        || (size_t)snprintf(pubpath, sizeof pubpath, "%s/signing.pub.pem", dir) >= sizeof pubpath)
        return hd_fail(err, HD_EUSAGE, "%s: directory path too long", dir);

    /* The directory: created 0700 when missing (one level). */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return hd_fail(err, HD_EIO, "%s: cannot create directory: %s", dir, strerror(errno));

    /* Refuse before writing anything when any target exists. */
    const char *paths[3] = { kpath, ppath, pubpath };
    for (int i = 0; i < 3; i++) {
        struct stat st;
        if (lstat(paths[i], &st) == 0)
            return hd_fail(err, HD_ECONFIG, "%s: already exists; refusing to overwrite a key",
                           paths[i]);
    }

    unsigned char secret[32], idrand[6];
    if (RAND_bytes(secret, sizeof secret) != 1 || RAND_bytes(idrand, sizeof idrand) != 1) {
        OPENSSL_cleanse(secret, sizeof secret);
        ERR_clear_error();
        return hd_fail(err, HD_ESOFTWARE, "keygen: the random number generator failed");
    }

    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (pkey == NULL) {
        OPENSSL_cleanse(secret, sizeof secret);
        ERR_clear_error();
        return hd_fail(err, HD_ESOFTWARE, "keygen: cannot generate an Ed25519 key");
    }

    int rc = HD_OK, made = 0;
    /* pseudonym.key */
    char text[4 + 12 + 1 + 4 + 64 + 2 + 8];
    char idhex[13], keyhex[65];
    hd_hex(idrand, sizeof idrand, idhex);
    hd_hex(secret, sizeof secret, keyhex);
    int tl = snprintf(text, sizeof text, "id=k%s\nkey=%s\n", idhex, keyhex);
    OPENSSL_cleanse(keyhex, sizeof keyhex);
    OPENSSL_cleanse(secret, sizeof secret);

    int fd = create_new(kpath, 0600, err);
    if (fd < 0) rc = err->status;
    else {
        made = 1;
        int e = write_all(fd, text, (size_t)tl);
        if (e == 0 && fsync(fd) != 0) e = errno;
        if (close(fd) != 0 && e == 0) e = errno;
        if (e) rc = hd_fail(err, HD_EIO, "%s: write error: %s", kpath, strerror(e));
    }
    OPENSSL_cleanse(text, sizeof text);

    /* signing.pem: PKCS#8 "PRIVATE KEY", 0600 */
    if (rc == HD_OK) {
        fd = create_new(ppath, 0600, err);
        if (fd < 0) rc = err->status;
        else {
            made = 2;
            rc = write_pem(fd, pkey, 1, ppath, err);
            if (close(fd) != 0 && rc == HD_OK)
                rc = hd_fail(err, HD_EIO, "%s: write error: %s", ppath, strerror(errno));
        }
    }
    /* signing.pub.pem: SubjectPublicKeyInfo "PUBLIC KEY", 0644 */
    if (rc == HD_OK) {
        fd = create_new(pubpath, 0644, err);
        if (fd < 0) rc = err->status;
        else {
            made = 3;
            rc = write_pem(fd, pkey, 0, pubpath, err);
            if (close(fd) != 0 && rc == HD_OK)
                rc = hd_fail(err, HD_EIO, "%s: write error: %s", pubpath, strerror(errno));
        }
    }
    EVP_PKEY_free(pkey);

    if (rc != HD_OK) {           /* leave nothing half-made */
        if (made >= 3) unlink(pubpath);
        if (made >= 2) unlink(ppath);
        if (made >= 1) unlink(kpath);
    }
    return rc;
}

int hd_keygen_provider(const char *master_path, const char *provider, const char *out_path,
                       char id_out[64], hd_error *err)
{
    hd_error local;
    if (err == NULL) err = &local;
    if (!provider_name_ok(provider, strlen(provider)))
        return hd_fail(err, HD_EUSAGE,
                       "--provider: '%.80s' is not a provider name (1 to 63 letters, digits, '-', '_' or '.')",
                       provider);
    struct stat st;
    if (lstat(out_path, &st) == 0)
        return hd_fail(err, HD_ECONFIG, "%s: already exists; refusing to overwrite a key", out_path);
    hd_key master, pk;
    int rc = hd_key_load_master(&master, master_path, err);
    if (rc != HD_OK) return rc;
    char audience[80];
    snprintf(audience, sizeof audience, "provider:%s", provider);
    rc = hd_key_derive(&master, audience, &pk, err);
    if (rc != HD_OK) { hd_key_wipe(&master); return rc; }
    char keyhex[65], text[600];
    hd_hex(pk.bytes, sizeof pk.bytes, keyhex);
    int tl = snprintf(text, sizeof text,
                      "# hedui provider key for %s (hedui keygen --provider), derived from the\n"
                      "# centre's master key %s. Keep it secret (mode 0600); use it only with\n"
                      "# hedui tokenize --key THIS-FILE.\n"
                      "id=%s\nprovider=%s\nkey=%s\n",
                      provider, master.id, pk.id, provider, keyhex);
    OPENSSL_cleanse(keyhex, sizeof keyhex);
    if (id_out) snprintf(id_out, 64, "%s", pk.id);
    hd_key_wipe(&pk);
    hd_key_wipe(&master);
    int fd = create_new(out_path, 0600, err);
    if (fd < 0) { OPENSSL_cleanse(text, sizeof text); return err->status; }
    int e = write_all(fd, text, (size_t)tl);
    if (e == 0 && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && e == 0) e = errno;
    OPENSSL_cleanse(text, sizeof text);
    if (e) {
        unlink(out_path);
        return hd_fail(err, HD_EIO, "%s: write error: %s", out_path, strerror(e));
    }
    return HD_OK;
}

/* ------------------------------------------------------------ Ed25519 */

/* A passphrase callback that refuses: an encrypted key is a config error,
 * never a prompt in a batch job. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

/* Loads an Ed25519 private key from a 0600 PEM file. */
static EVP_PKEY *load_private(const char *path, hd_error *err)
{
    int fd = open_secret(path, "signing key", err);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "r");
    if (f == NULL) {
        close(fd);
        hd_fail(err, HD_ESOFTWARE, "%s: cannot read: %s", path, strerror(errno));
        return NULL;
    }
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
    fclose(f);
    ERR_clear_error();
    if (pkey == NULL) {
        hd_fail(err, HD_ECONFIG, "%s: not an unencrypted PEM private key", path);
        return NULL;
    }
    if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pkey);
        hd_fail(err, HD_ECONFIG, "%s: not an Ed25519 key", path);
        return NULL;
    }
    return pkey;
}

int hd_ed25519_sign_file(const char *key_pem, const void *msg, size_t n,
                         unsigned char sig[64], hd_error *err)
{
    hd_error local;
    if (err == NULL) err = &local;
    EVP_PKEY *pkey = load_private(key_pem, err);
    if (pkey == NULL) return err->status;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t siglen = 64;
    static const unsigned char empty[1] = { 0 };
    int ok = ctx != NULL
          && EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1
          && EVP_DigestSign(ctx, sig, &siglen, n ? msg : empty, n) == 1
          && siglen == 64;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    if (!ok) return hd_fail(err, HD_ESOFTWARE, "%s: Ed25519 signing failed", key_pem);
    return HD_OK;
}

int hd_ed25519_write_public(const char *key_pem, const char *out_pem, hd_error *err)
{
    hd_error local;
    if (err == NULL) err = &local;
    EVP_PKEY *pkey = load_private(key_pem, err);
    if (pkey == NULL) return err->status;
    int fd = create_new(out_pem, 0644, err);
    if (fd < 0) {
        EVP_PKEY_free(pkey);
        return err->status;
    }
    int rc = write_pem(fd, pkey, 0, out_pem, err);
    if (close(fd) != 0 && rc == HD_OK)
        rc = hd_fail(err, HD_EIO, "%s: write error: %s", out_pem, strerror(errno));
    if (rc != HD_OK) unlink(out_pem);
    EVP_PKEY_free(pkey);
    return rc;
}

int hd_ed25519_verify_file(const char *pub_pem, const void *msg, size_t n,
                           const unsigned char sig[64], hd_error *err)
{
    FILE *f = fopen(pub_pem, "re");
    if (f == NULL) {
        int e = errno;
        return hd_fail(err, HD_ENOINPUT, "%s: cannot open public key: %s", pub_pem, strerror(e));
    }
    EVP_PKEY *pkey = PEM_read_PUBKEY(f, NULL, no_passphrase, NULL);
    fclose(f);
    ERR_clear_error();
    if (pkey == NULL)
        return hd_fail(err, HD_ECONFIG, "%s: not a PEM public key", pub_pem);
    if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(pkey);
        return hd_fail(err, HD_ECONFIG, "%s: not an Ed25519 public key", pub_pem);
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    static const unsigned char empty[1] = { 0 };
    int rc;
    if (ctx == NULL || EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1) {
        rc = hd_fail(err, HD_ESOFTWARE, "%s: cannot start Ed25519 verification", pub_pem);
    } else if (EVP_DigestVerify(ctx, sig, 64, n ? msg : empty, n) == 1) {
        rc = HD_OK;
    } else {
        rc = hd_fail(err, HD_EDATA, "signature does not verify with %s", pub_pem);
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    ERR_clear_error();
    return rc;
}
