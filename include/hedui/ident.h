/*
 * hedui/ident.h — resident ID numbers (GB 11643-1999), GB/T 2260 division
 * codes, pseudonym tokens (HMAC-SHA256, RFC 2104 via OpenSSL), masking,
 * key files and keys per audience (HKDF-SHA256, RFC 5869), SHA-256 and
 * Ed25519 signatures (OpenSSL EVP).
 *
 * Thread-safety: all functions are reentrant; hd_key is read-only after
 * loading and may be shared between threads.
 */
#ifndef HEDUI_IDENT_H
#define HEDUI_IDENT_H

#include <stddef.h>
#include <stdint.h>
#include "hedui/error.h"
#include "hedui/text.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A normalised resident ID: 18 ASCII characters [0-9]{17}[0-9X] + NUL. */
typedef struct hd_id { char s[19]; } hd_id;

/*
 * Normalises and validates an ID cell (SPEC §3, §6 "IDs"):
 * trims the trim set, makes full-width digits and Ｘ/x ASCII 'X', widens a
 * 15-digit number to 18 (century 19; sequence 996-999 -> century 18, GB
 * 11643-1989) with its check character, then checks: length/characters
 * (HD_R_ID_FORMAT), ISO 7064 MOD 11-2 check character (HD_R_ID_CHECK),
 * birth date real and not after as_of (HD_R_ID_DATE), first two digits a
 * province (11-15, 21-23, 31-37, 41-46, 50-54, 61-65, 71, 81, 82, 83:
 * HD_R_ID_PROVINCE). A cell of the form d[.ddd]E[+-]dd: HD_R_EXCEL_MANGLED.
 * Order of checks: mangled, format, check, date, province.
 *
 * Details (docs/ids.md): s need not be NUL-terminated (s == NULL with n == 0
 * is an empty cell -> HD_R_ID_FORMAT); the full-width small ｘ (U+FF58) is
 * folded like Ｘ; a 15-digit number must be all digits; a birth year before
 * 1800 is impossible (HD_R_ID_DATE: neither edition can encode it);
 * as_of == HD_DATE_NONE skips the "after as_of" test only. An apostrophe
 * or `="..."` wrapper is not removed here (the reader's hd_cell_clean()
 * unwraps `="..."`). No allocation; reentrant.
 * @param s, n   the cell (UTF-8), not trimmed yet
 * @param as_of  the run's verification date (days since 1970-01-01)
 * @param out    receives the 18-character normalised ID
 * @return HD_R_NONE and *out set, or the reason (then *out is undefined).
 */
hd_reason hd_id_normalise(const char *s, size_t n, hd_date as_of, hd_id *out);

/* The ISO 7064 MOD 11-2 check character of 17 ASCII digits (GB 11643-1999
 * §5.4: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, sum mod 11 ->
 * "10X98765432"). The caller guarantees digits.
 * @return the check character, '0'-'9' or 'X'. */
char hd_id_check_char(const char body17[17]);

/*
 * Near misses (SPEC §9): the 18-character IDs that are one substitution or
 * one swap of two adjacent characters away from an ID cell that failed its
 * check character (HD_R_ID_CHECK), and that pass the check themselves.
 * The cell is trimmed and mapped as hd_id_normalise does (full-width
 * digits, x/Ｘ); a cell that is not 17 digits and a digit or X gives none.
 * Because MOD 11-2 needs one residue, each position admits at most one
 * substituted character, so there are at most 18 + 17 candidates: the
 * caller looks each up (a hash probe) instead of comparing the cell with
 * every applicant's ID. Each candidate says what was changed, so that the
 * evidence can name the kind of typo. Returns the count (0..35).
 */
typedef struct hd_id_near {
    hd_id id;                 /* the candidate (passes the check character) */
    uint8_t kind;             /* HD_NEAR_SUBST or HD_NEAR_SWAP */
    uint8_t pos;              /* the position (0..17), the first of a swap */
    char row_char;            /* a substitution: the cell's character at pos */
} hd_id_near;
enum { HD_NEAR_SUBST = 1, HD_NEAR_SWAP = 2, HD_NEAR_MAX = 35 };
/* @return the number of candidates written to out[0..] (0..HD_NEAR_MAX);
 *         0 for a NULL cell or one that is not 17 digits and a digit or X
 *         after trimming and mapping. */
int hd_id_near_candidates(const char *s, size_t n, hd_id_near out[HD_NEAR_MAX]);

/*
 * 1 if the first six digits are a GB/T 2260 division code, current or
 * historical, in the lists shipped in data/admin-codes (Yunnan county level,
 * 1980-2023; every province's prefectures, NBS 2023). For provinces whose
 * county lists are not shipped, a code whose prefecture (first four digits
 * + "00") or province is known counts as known. See docs/ids.md.
 * The table is generated at build time by scripts/gen-divisions.sh, which
 * also adds 710000, 810000, 820000 and 830000 (HK/Macao/Taiwan). A code
 * that is not six ASCII digits is not known. Binary search; reentrant.
 * @return 1 if known, else 0 (also for NULL).
 */
int hd_division_known(const char code6[6]);

/* Name of a division code. Used for reports.
 * Exact codes only (no prefecture/province fallback); a current list's
 * name (NBS 2023, MCA 2019-04) wins over the last historical name.
 * @return the name (UTF-8, static storage), or NULL when the code is not
 *         in the lists (or is NULL or not six ASCII digits). */
const char *hd_division_name(const char code6[6]);

/* Writes the county-file mask "530102********123X" + NUL into out[19]. */
void hd_id_mask(const hd_id *id, char out[19]);
/* Account number mask: "****" + last 4 characters (all if shorter),
 * counted in UTF-8 characters so that none is split; an empty account
 * gives "". Always NUL-terminated when cap > 0; when the tail does not
 * fit in cap, only the mask ("****", itself cut to cap) is written. */
void hd_account_mask(const char *s, size_t n, char *out, size_t cap);

/* ---------------------------------------------------------------- keys */

/*
 * A key (SPEC §8 "Keys per audience"): the centre's master key, or a key
 * derived from it for one audience.
 *
 *   master key file (pseudonym.key, `hedui keygen DIR`): id= and key=, and
 *     during a rotation previous_id= and previous_key= (the master before);
 *   provider key file (`hedui keygen --provider NAME --key MASTER OUT`):
 *     id=, provider=NAME and key= (the derived provider:NAME key);
 *   derived keys (hd_key_derive) live in memory only: audit, text,
 *     register, index, provider:NAME.
 *
 * A derived key's id is "d" + the first 16 hex digits of
 * HMAC-SHA256(derived key, "hedui:v2:key-id"): it names the key without
 * revealing it, the same key always has the same id, and a provider key
 * file whose id does not fit its key is refused.
 */
typedef struct hd_key {
    char id[64];               /* key id, printable ASCII without spaces */
    unsigned char bytes[32];
    char audience[80];         /* "" for a master key; "audit", "text",
                                  "register", "index" or "provider:NAME" */
    char provider[64];         /* NAME of a provider key, else "" */
    int has_previous;          /* master key file with previous_id/_key */
    char previous_id[64];
    unsigned char previous[32];
} hd_key;

/*
 * Loads a key file: a master key file or a provider key file (above).
 * Refuses a file readable by group or others (HD_ECONFIG, message gives
 * "chmod 600 PATH"), wrong length, bad hex or missing id (HD_ECONFIG).
 * Never puts key material in the message.
 * Also accepted: the lines in any order, CRLF, blank lines and `#`
 * comment lines, upper-case hex; refused (HD_ECONFIG): any other line, a
 * repeated line, an id that is empty, over 63 characters or not
 * printable ASCII without spaces, a file over 4096 bytes or not regular;
 * previous_id= without previous_key= or the other way round, a
 * previous_key that is not 64 hex digits, a previous_id equal to id,
 * previous lines in a provider key file, a provider name outside
 * [A-Za-z0-9._-] or over 63 characters, a provider key file whose id is
 * not its key's id (hand-edited or damaged).
 * @return HD_OK; HD_ENOINPUT (missing, not a regular file or cannot be
 *         read, with the system's reason: SPEC §8), HD_ECONFIG. On failure
 *         *key is wiped. err may be NULL.
 */
int hd_key_load(hd_key *key, const char *path, hd_error *err);

/*
 * hd_key_load, and refuses a provider key file (HD_ECONFIG, the message
 * says that the centre's master key file, pseudonym.key of `hedui keygen
 * DIR`, is needed and that a provider key file is only for `hedui
 * tokenize`). For `hedui run` and every centre-side tool (the register,
 * the index). @return as hd_key_load.
 */
int hd_key_load_master(hd_key *key, const char *path, hd_error *err);

/*
 * hd_key_load, and refuses a master key file (HD_ECONFIG: a data provider
 * never holds the master key; the message says to ask the centre for a
 * provider key file). For `hedui tokenize`. @return as hd_key_load.
 */
int hd_key_load_provider(hd_key *key, const char *path, hd_error *err);

/*
 * HKDF-SHA256 (RFC 5869: extract then expand) through OpenSSL's EVP_KDF
 * "HKDF": out_len bytes of output keying material from ikm, salt and info.
 * salt may be NULL with salt_len 0 (RFC 5869: a string of HashLen zeros),
 * info NULL with info_len 0.
 * @return HD_OK; HD_EUSAGE when out_len is 0 or over 255 * 32 (RFC 5869
 *         §2.3); HD_ESOFTWARE when OpenSSL has no HKDF. Reentrant.
 */
int hd_hkdf_sha256(const unsigned char *ikm, size_t ikm_len,
                   const unsigned char *salt, size_t salt_len,
                   const unsigned char *info, size_t info_len,
                   unsigned char *out, size_t out_len);

/*
 * The key of one audience (SPEC §8): HKDF-SHA256 with ikm = the master's
 * 32 bytes, salt = the master's key id (its ASCII bytes, no NUL), info =
 * "hedui:v2:" + audience, 32 bytes. Audiences: "audit" (member and
 * household tokens of auditor files), "text" (text tokens of auditor
 * files), "register" (finding ids, §9), "index" (§11) and "provider:NAME"
 * (NAME: 1-63 of [A-Za-z0-9._-], a data provider's tokens).
 * *out receives the derived key: bytes, id (see hd_key), audience, and for
 * a provider audience provider = NAME; no previous.
 * Example (the register's finding ids):
 *     hd_key master, reg;
 *     hd_key_load_master(&master, job->key, err);
 *     hd_key_derive(&master, "register", &reg, err);
 *     ... HMAC with reg.bytes; record reg.id with the findings ...
 *     hd_key_wipe(&reg); hd_key_wipe(&master);
 * To derive under the previous master of a rotation: hd_key_previous().
 * @return HD_OK; HD_EUSAGE (master is not a master key, or an unknown
 *         audience); HD_ESOFTWARE (OpenSSL). err may be NULL. Reentrant.
 */
int hd_key_derive(const hd_key *master, const char *audience, hd_key *out, hd_error *err);

/*
 * The previous master of a key file in rotation (previous_id=,
 * previous_key=) as a master key of its own in *out (no previous).
 * @return 1 and *out set when master has a previous key; 0 (and *out
 *         wiped) when it has none.
 */
int hd_key_previous(const hd_key *master, hd_key *out);

/* Wipes key material (OPENSSL_cleanse). */
void hd_key_wipe(hd_key *key);

/*
 * keygen DIR: writes DIR/pseudonym.key (mode 0600, random 32 bytes from
 * RAND_bytes, key id "k" + 12 hex of fresh randomness or of the date),
 * DIR/signing.pem (Ed25519 private, PKCS#8 PEM, 0600) and
 * DIR/signing.pub.pem (public, SubjectPublicKeyInfo PEM, 0644).
 * Refuses to overwrite existing files (HD_ECONFIG).
 * DIR itself is created (mode 0700) when missing, but not its parents.
 * Files are created with open(O_CREAT|O_EXCL) and their mode set exactly
 * (umask notwithstanding); the key id is "k" + 12 hex of RAND_bytes.
 * On any failure the files this call created are removed again.
 * @return HD_OK; HD_ECONFIG (a file exists); HD_EIO (cannot create or
 *         write); HD_ESOFTWARE (RNG or key generation failed); HD_EUSAGE
 *         (path too long). err may be NULL.
 */
int hd_keygen(const char *dir, hd_error *err);

/*
 * keygen --provider NAME --key MASTER OUT (SPEC §8): writes the provider
 * key file OUT (mode 0600, created with O_EXCL: never overwritten) holding
 * the key derived from the master key file for audience "provider:NAME"
 * (of the current master, key=, not of a previous one): lines
 * "id=<derived key id>", "provider=NAME", "key=<64 hex>" after comment
 * lines naming the provider and the master's key id. The centre hands it
 * to that data provider for `hedui tokenize`. If id_out is not NULL it
 * receives the derived key's id.
 * @return HD_OK; HD_ENOINPUT/HD_EIO (master unreadable); HD_ECONFIG
 *         (master is not a master key file or is unusable, OUT exists);
 *         HD_EUSAGE (bad NAME); HD_EIO (cannot write OUT: nothing left
 *         behind). err may be NULL.
 */
int hd_keygen_provider(const char *master_path, const char *provider, const char *out_path,
                       char id_out[64], hd_error *err);

/* HMAC-SHA256(key, data) into out[32] (RFC 2104 / FIPS 198-1, OpenSSL
 * HMAC()). A key longer than 64 bytes is hashed first, as RFC 2104 says;
 * key may be NULL when key_len is 0, data NULL when n is 0. Cannot fail
 * short of OpenSSL being unusable, in which case the process aborts. */
void hd_hmac_sha256(const unsigned char *key, size_t key_len,
                    const void *data, size_t n, unsigned char out[32]);

/* Member token = lower-case hex HMAC-SHA256(key, "hedui:v2:member:" + ID),
 * written with NUL into out[65] (SPEC §5, §8). key is a derived key: the
 * "audit" key for auditor files, a "provider:NAME" key for a provider's
 * tokenised extract. */
void hd_token_member(const hd_key *key, const hd_id *id, char out[65]);
/* Household token = HMAC-SHA256(key, "hedui:v2:household:" + county_code
 * + ":" + application_id), lower-case hex + NUL in out[65]; key: the
 * "audit" key. */
void hd_token_household(const hd_key *key, const char *county_code,
                        const char *application_id, char out[65]);

/*
 * Text token of an auditor file (SPEC §8 "Auditor files carry no free
 * text"): lower-case hex HMAC-SHA256(key, "hedui:v2:text:" + field + ":" +
 * the text in the §6 Names form (hd_name_fold: NFKC, trim set and name
 * separator dots removed; text that is not UTF-8 is taken as its bytes)),
 * with NUL into out[65]. key: the "text" key. field: the canonical field
 * name ("company", "institution", ...). Aborts only when memory runs out.
 */
void hd_token_text(const hd_key *key, const char *field, const char *s, size_t n,
                   char out[65]);

/* The same tokens as their 32 bytes (the HMAC itself, before hex): what
 * the model keeps per member and household (half the size of the text). */
void hd_token_member_bytes(const hd_key *key, const hd_id *id, unsigned char out[32]);
void hd_token_household_bytes(const hd_key *key, const char *county_code,
                              const char *application_id, unsigned char out[32]);

/* A keyed token maker: the same tokens as hd_token_member_bytes() and
 * hd_token_household_bytes(), for many members under one key. The HMAC
 * state is keyed once (OpenSSL EVP_MAC "HMAC" with SHA-256) and re-initialised
 * with the same key for each token, so a token costs its own SHA-256 blocks,
 * not an algorithm fetch, a context and the key schedule as the one-shot
 * functions do (measured: OpenSSL's locks and context set-up were most of the
 * applicant loader's HMAC time at 1.29 million members).
 * Ownership: hd_tokener_new() returns an object the caller frees with
 * hd_tokener_free(), which wipes the keyed state; NULL when out of memory or
 * when OpenSSL has no HMAC. Thread-safety: one object per thread (each call
 * changes its state); the key is only read. Inputs longer than 512 bytes are
 * fine (streamed). */
typedef struct hd_tokener hd_tokener;
/* @return a new object, or NULL (out of memory, or OpenSSL has no HMAC). */
hd_tokener *hd_tokener_new(const hd_key *key);
void hd_tokener_member(hd_tokener *t, const hd_id *id, unsigned char out[32]);
void hd_tokener_household(hd_tokener *t, const char *county_code,
                          const char *application_id, unsigned char out[32]);
/* The text token of hd_token_text() under the object's key, 32 bytes. */
void hd_tokener_text(hd_tokener *t, const char *field, const char *s, size_t n,
                     unsigned char out[32]);
void hd_tokener_free(hd_tokener *t);

/* A token cell: 64 hex digits (upper case lowered) -> out[65]. Trims first
 * (the trim set of SPEC §6).
 * @return HD_R_NONE and out set, or HD_R_ID_FORMAT (NULL, not 64 hex
 *         digits after trimming). */
hd_reason hd_token_normalise(const char *s, size_t n, char out[65]);

/* ---------------------------------------------------------------- hashes */

typedef struct hd_sha256 hd_sha256;   /* streaming SHA-256 (EVP) */
/* A new context. hd_sha256_update() and hd_sha256_final() ignore a NULL
 * context. One context per thread.
 * @return the context (hd_sha256_final frees it), or NULL when out of
 *         memory or OpenSSL has no SHA-256. */
hd_sha256 *hd_sha256_new(void);
void hd_sha256_update(hd_sha256 *h, const void *p, size_t n);
/* Finishes into out[32] and frees h. */
void hd_sha256_final(hd_sha256 *h, unsigned char out[32]);
/* SHA-256 of a whole file as 64 lower-case hex + NUL.
 * @return HD_OK; HD_ENOINPUT when the file cannot be opened or read (with
 *         the system's reason; reading is never 74, SPEC §8); HD_ESOFTWARE
 *         out of memory. */
int hd_sha256_file(const char *path, char hex[65], hd_error *err);
/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hd_hex(const unsigned char *p, size_t n, char *out);

/* Ed25519 over the exact bytes msg[0..n): raw 64-byte signature (RFC 8032,
 * pure Ed25519, as `openssl pkeyutl -sign -rawin` makes it).
 * Key: PEM private key file (checked 0600 like the pseudonym key);
 * an encrypted key is refused, never prompted for.
 * @return HD_OK; HD_ENOINPUT (missing, unreadable or not a regular file),
 *         HD_ECONFIG (mode, not an unencrypted Ed25519 PEM key),
 *         HD_ESOFTWARE (OpenSSL failed). err may be NULL. */
int hd_ed25519_sign_file(const char *key_pem, const void *msg, size_t n,
                         unsigned char sig[64], hd_error *err);
/* Writes the public key of key_pem as PEM (SubjectPublicKeyInfo) to a new
 * file out_pem, mode 0644 (never overwritten; removed again on failure).
 * @return HD_OK; HD_ENOINPUT (key_pem missing, unreadable or not a regular
 *         file); HD_ECONFIG (key_pem's mode or not an unencrypted Ed25519
 *         PEM key, or out_pem exists); HD_EIO (cannot create or write
 *         out_pem); HD_ESOFTWARE (OpenSSL failed). err may be NULL. */
int hd_ed25519_write_public(const char *key_pem, const char *out_pem, hd_error *err);
/* Verifies the raw 64-byte Ed25519 signature sig over msg[0..n) under the
 * public key file pub_pem (PEM, SubjectPublicKeyInfo).
 * @return HD_OK when the signature is valid; HD_EDATA when it is not;
 *         HD_ECONFIG when pub_pem is not a PEM Ed25519 public key;
 *         HD_ENOINPUT when pub_pem cannot be opened; HD_ESOFTWARE (OpenSSL
 *         failed). err may be NULL. */
int hd_ed25519_verify_file(const char *pub_pem, const void *msg, size_t n,
                           const unsigned char sig[64], hd_error *err);

#ifdef __cplusplus
}
#endif
#endif
