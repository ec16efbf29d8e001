/* fuzz_verify — the manifest/bundle reader of `hedui audit verify`
 * (hd_audit_verify_ex) over a bundle whose manifest.json is the input.
 *
 * The bundle (under the private temporary directory) holds two fixed files,
 * summary.json and county/530102/households.csv, and the bundle's own
 * signing.pub.pem (made once with hd_keygen). The input up to a line
 * "--sig--" is manifest.json; what follows, when present, is manifest.sig
 * (so the signature path is read too: any 64 bytes, almost never valid).
 * Run unsigned-allowed (as the change report reads a previous run) and
 * signed-required on alternate inputs. */
#include "fuzz_common.h"
#include "hedui/ident.h"
#include "hedui/verify.h"
#include "util/path.h"

static char bundle[400], keys[400];

static void cleanup(void)
{
    if (bundle[0]) hd_rmtree(bundle);
    if (keys[0]) hd_rmtree(keys);
}

static void put(const char *rel, const void *data, size_t n)
{
    char p[800];
    snprintf(p, sizeof p, "%s/%s", bundle, rel);
    FILE *f = fopen(p, "wb");
    if (!f) { perror(p); abort(); }
    if (n && fwrite(data, 1, n, f) != n) abort();
    fclose(f);
}

static void setup(void)
{
    if (bundle[0]) return;
    snprintf(bundle, sizeof bundle, "%s/bundle", fz_tmpdir());
    snprintf(keys, sizeof keys, "%s/keys", fz_tmpdir());
    atexit(cleanup);
    char d[800];
    snprintf(d, sizeof d, "%s/county/530102", bundle);
    if (hd_mkdirs(d, 0700) != 0) abort();
    static const char hh[] = "county_code,application_id\n530102,A1\n";
    static const char sm[] = "{\"households\": 1}\n";
    put("county/530102/households.csv", hh, sizeof hh - 1);
    put("summary.json", sm, sizeof sm - 1);
    hd_error err;
    if (hd_keygen(keys, &err) != HD_OK) { fprintf(stderr, "%s\n", err.message); abort(); }
    char pub[800], cmd_src[900];
    snprintf(pub, sizeof pub, "%s/signing.pub.pem", keys);
    snprintf(cmd_src, sizeof cmd_src, "%s/signing.pub.pem", bundle);
    FILE *in = fopen(pub, "rb"), *out = fopen(cmd_src, "wb");
    if (!in || !out) abort();
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

static void count_fail(void *user, const char *msg)
{
    FZ_ASSERT(msg != NULL && strlen(msg) < 1024);
    (*(unsigned long *)user)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    size_t cut = fz_find(data, size, "\n--sig--\n");
    put("manifest.json", data, cut);
    char sig[800];
    snprintf(sig, sizeof sig, "%s/manifest.sig", bundle);
    unlink(sig);
    if (cut < size) put("manifest.sig", data + cut + 9, size - cut - 9);
    hd_verify_result res;
    hd_error err;
    hd_error_clear(&err);
    unsigned long fails = 0;
    int flags = (size & 1) ? 0 : HD_VERIFY_ALLOW_UNSIGNED;
    int st = hd_audit_verify_ex(bundle, NULL, flags, count_fail, &fails, &res, &err);
    FZ_ASSERT(memchr(err.message, 0, sizeof err.message) != NULL);
    FZ_ASSERT(st == HD_OK || st == HD_EDATA || st == HD_ENOINPUT || st == HD_ECONFIG || st == HD_ESOFTWARE);
    FZ_ASSERT(res.files_ok <= res.files_listed);
    FZ_ASSERT(res.failures == fails);
    /* success means every listed file held and nothing failed */
    if (st == HD_OK) FZ_ASSERT(fails == 0 && res.files_ok == res.files_listed);
    return 0;
}
