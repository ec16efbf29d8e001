/*
 * hedui/verify.h — the detailed form of `hedui audit verify` (SPEC §1, §5):
 * check an output directory's signature, every listed file's size and
 * digest and that nothing else lies in it, passing every failure to a
 * callback.
 *
 * Reachable without the command line, so that another program can embed
 * it; the run, the index and the register use it to trust a previous run.
 *
 * Privacy: it reads no row; the messages passed to on_fail or put in err
 * name files of the directory and what is wrong with them, never a name or
 * an ID number (SPEC §5 "Logs ... never contain a name, an ID number or a
 * key").
 *
 * Thread-safety: the function is reentrant; on_fail is called on the
 * caller's thread.
 */
#ifndef HEDUI_VERIFY_H
#define HEDUI_VERIFY_H

#include <stdint.h>
#include "hedui/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of hd_audit_verify_ex. */
enum {
    HD_VERIFY_ALLOW_UNSIGNED = 1   /* no manifest.sig is not a failure
                                      (checks sizes and digests only) */
};

typedef struct hd_verify_result {
    int signature_checked;      /* 1: manifest.sig verified good */
    int own_key;                /* 1: the bundle's own signing.pub.pem used */
    uint64_t files_listed, files_ok;
    uint64_t failures;          /* lines passed to on_fail */
} hd_verify_result;

/*
 * Verifies an output directory in full (SPEC §1 "audit verify", §5):
 * the Ed25519 signature manifest.sig over the exact bytes of manifest.json
 * under pub_pem (NULL: DIR/signing.pub.pem, which proves integrity, not
 * origin: res->own_key tells), then for every entry of "files" its size
 * and SHA-256, then that DIR holds no regular file (or anything that is not
 * a regular file or a directory) beyond the listed ones and manifest.json,
 * manifest.sig and signing.pub.pem. Listed paths must be relative, made of
 * [A-Za-z0-9._/-], with no "." or ".." component; a listed file that is a
 * symbolic link fails.
 *
 * @param on_fail  called once per failure with a one-line message (may be
 *                 NULL); all checks run even after a failure
 * @param res      receives the counts (may be NULL)
 * @return HD_OK when everything holds; HD_EDATA with the first failure in
 *         err (also when manifest.json is not a regular file or is too
 *         large); HD_ENOINPUT when DIR or manifest.json is missing; HD_ECONFIG
 *         when pub_pem is not an Ed25519 public key (or is missing:
 *         HD_ENOINPUT); HD_ESOFTWARE out of memory.
 */
int hd_audit_verify_ex(const char *dir, const char *pub_pem, int flags,
                       void (*on_fail)(void *user, const char *msg), void *user,
                       hd_verify_result *res, hd_error *err);

#ifdef __cplusplus
}
#endif
#endif
