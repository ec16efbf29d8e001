/*
 * keys.c — the pseudonymisation key file, `hedui keygen`, and Ed25519
 * signatures over raw messages (RFC 8032 via OpenSSL 3 EVP).
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

/* Parses the file text into key; returns HD_OK or HD_ECONFIG with a
 * message that names the line but never quotes it. */
static int parse_keyfile(hd_key *key, const char *path, const char *text, size_t n,
                         hd_error *err)
{
    int have_id = 0, have_key = 0;
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
        if (len >= 3 && memcmp(l, "id=", 3) == 0) {
            if (have_id)
                return hd_fail(err, HD_ECONFIG, "%s:%u: second id= line", path, line);
            size_t idlen = len - 3;
            if (idlen == 0 || idlen >= sizeof key->id)
                return hd_fail(err, HD_ECONFIG,
                               "%s:%u: key id must be 1 to %zu printable characters",
                               path, line, sizeof key->id - 1);
            for (size_t i = 0; i < idlen; i++)
                if (l[3 + i] < 0x21 || l[3 + i] > 0x7e)
                    return hd_fail(err, HD_ECONFIG,
                                   "%s:%u: key id must be printable ASCII without spaces",
                                   path, line);
            memcpy(key->id, l + 3, idlen);
            key->id[idlen] = '\0';
            have_id = 1;
        } else if (len >= 4 && memcmp(l, "key=", 4) == 0) {
            if (have_key)
                return hd_fail(err, HD_ECONFIG, "%s:%u: second key= line", path, line);
            size_t hl = len - 4;
            if (hl != 64)
                return hd_fail(err, HD_ECONFIG,
                               "%s:%u: key must be 64 hex digits (32 bytes), found %zu characters",
                               path, line, hl);
            for (size_t i = 0; i < 32; i++) {
                int hi = hexval(l[4 + 2 * i]), lo = hexval(l[5 + 2 * i]);
                if (hi < 0 || lo < 0)
                    return hd_fail(err, HD_ECONFIG,
                                   "%s:%u: key contains a character that is not a hex digit",
                                   path, line);
                key->bytes[i] = (unsigned char)(hi << 4 | lo);
            }
            have_key = 1;
        } else {
            return hd_fail(err, HD_ECONFIG,
                           "%s:%u: unexpected line (want id=... and key=...)", path, line);
        }
    }
    if (!have_id) return hd_fail(err, HD_ECONFIG, "%s: no id= line (key id missing)", path);
    if (!have_key) return hd_fail(err, HD_ECONFIG, "%s: no key= line", path);
    return HD_OK;
}

int hd_key_load(hd_key *key, const char *path, hd_error *err)
{
    hd_error local;
    if (err == NULL) err = &local;
    memset(key, 0, sizeof *key);
    int fd = open_secret(path, "pseudonym key file", err);
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
