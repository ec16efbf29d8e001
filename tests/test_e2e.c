/*
 * test_e2e.c — the nightly batch end to end on a generated province.
 *
 * scripts/gen-province.py writes a province with planted cases and its own
 * ground truth (expected.csv, expected-summary.json), computed from what it
 * planted, not by hedui code; tests/e2e_check.py compares hedui's outputs
 * with it. This suite runs the batch, the checker, the signature checks
 * (hedui's and stock OpenSSL's), tamper detection, determinism across -j,
 * and a damaged source.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "hedui/batch.h"

static char prov[4096];        /* the generated province (one per process) */
static FILE *logf_;
static char logpath[4200];

static void sh(const char *fmt, const char *a, const char *b, int want)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    int rc = system(cmd);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == want, "command failed (%d): %s", rc, cmd);
}

static void log_sink(void *u, hd_log_level lv, const char *event, const char *msg)
{
    (void)u;
    if (logf_) fprintf(logf_, "%d %s %s\n", (int)lv, event, msg);
}

static void province(void)
{
    if (prov[0]) return;
    snprintf(prov, sizeof prov, "/tmp/hedui-e2e-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(prov));
    sh("python3 scripts/gen-province.py %s --households 300 --background-factor 3 --seed 7 >/dev/null 2>&1%s", prov, "", 0);
    char keys[4200];
    snprintf(keys, sizeof keys, "%s/keys", prov);
    rmdir(keys);
    hd_error e;
    ck_assert_int_eq(hd_keygen(keys, &e), HD_OK);
    snprintf(logpath, sizeof logpath, "%s/run.log", prov);
}

/* Flips the lowest bit of the byte at offset `off` of `path` (twice:
 * the file as it was). */
static void flip_bit(const char *path, long off)
{
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
    int c = fgetc(f);
    ck_assert_int_ne(c, EOF);
    ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
    fputc(c ^ 0x01, f);
    ck_assert_int_eq(fclose(f), 0);
}

static int run(const char *job, int threads, int force, hd_run_result *r)
{
    hd_run_opts o = {0};
    o.threads = threads;
    o.force = force;
    o.log = log_sink;
    logf_ = fopen(logpath, "a");
    hd_error e;
    int rc = hd_run(job, &o, r, &e);
    hd_run_result_free(r);            /* the per-county counts are not used here */
    if (rc != HD_OK && rc != HD_EDAMAGED) fprintf(stderr, "hd_run: %s\n", e.message);
    fclose(logf_);
    logf_ = NULL;
    return rc;
}

static const char *job(void)
{
    static char p[4200];
    snprintf(p, sizeof p, "%s/job.ini", prov);
    return p;
}

START_TEST(batch_matches_ground_truth)
{
    province();
    hd_run_result r;
    ck_assert_int_eq(run(job(), 1, 1, &r), HD_OK);
    /* 300 applicant households, and the sample's roster (a tenth) and
     * monitored population (a twentieth), SPEC §10 */
    ck_assert_uint_eq(r.populations[0], 300);
    ck_assert_uint_eq(r.populations[1], 30);
    ck_assert_uint_eq(r.populations[2], 15);
    ck_assert_uint_eq(r.households, 345);
    ck_assert_uint_eq(r.superseded[1], 1);
    ck_assert(r.signed_manifest);
    ck_assert_uint_eq(r.rows, r.rows_ok + r.rows_quarantined);
    sh("python3 tests/e2e_check.py %s %s", r.outdir, prov, 0);
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "python3 tests/e2e_check.py %s %s %s", r.outdir, prov, logpath);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(manifest_verifies_and_detects_tampering)
{
    province();
    hd_run_result r;
    ck_assert_int_eq(run(job(), 2, 0, &r), HD_OK);
    hd_error e;
    ck_assert_msg(hd_audit_verify(r.outdir, NULL, &e) == HD_OK, "%s", e.message);
    /* stock OpenSSL accepts the signature */
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "openssl pkeyutl -verify -pubin -inkey %s/keys/signing.pub.pem -rawin "
             "-in %s/manifest.json -sigfile %s/manifest.sig >/dev/null", prov, r.outdir, r.outdir);
    ck_assert_int_eq(system(cmd), 0);
    /* one changed byte in any listed file is found */
    const char *files[] = { "summary.json", "audit/households.jsonl", "audit/matches.jsonl",
                            "quarantine/applicants.csv", "manifest.json" };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[8400];
        snprintf(p, sizeof p, "%s/%s", r.outdir, files[i]);
        flip_bit(p, 10);
        ck_assert_msg(hd_audit_verify(r.outdir, NULL, &e) != HD_OK, "change in %s not detected", files[i]);
        flip_bit(p, 10);                  /* back as it was */
        ck_assert_msg(hd_audit_verify(r.outdir, NULL, &e) == HD_OK, "%s", e.message);
    }
    /* a rerun on the same inputs finds the directory complete */
    hd_run_result r2;
    ck_assert_int_eq(run(job(), 2, 0, &r2), HD_OK);
    ck_assert(r2.reused);
    ck_assert_str_eq(r2.outdir, r.outdir);
}
END_TEST

START_TEST(outputs_identical_for_every_j)
{
    province();
    hd_run_result r;
    char copy[4200];
    snprintf(copy, sizeof copy, "%s/first-run", prov);
    ck_assert_int_eq(run(job(), 1, 1, &r), HD_OK);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "rm -rf %s && cp -r %s %s", copy, r.outdir, copy);
    ck_assert_int_eq(system(cmd), 0);
    int js[] = { 2, 8 };
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(run(job(), js[i], 1, &r), HD_OK);
        snprintf(cmd, sizeof cmd, "diff -r %s %s >/dev/null", copy, r.outdir);
        ck_assert_msg(system(cmd) == 0, "outputs differ with -j%d", js[i]);
    }
}
END_TEST

START_TEST(damaged_source_lets_no_household_be_eligible)
{
    province();
    /* a copy of the province whose bank-a file is cut inside a zstd frame */
    char d[4200], cmd[16384];
    snprintf(d, sizeof d, "%s-damaged", prov);
    snprintf(cmd, sizeof cmd, "rm -rf %s && cp -r %s %s && rm -rf %s/out %s/first-run && "
             "f=$(ls %s/extracts/bank-a/*.zst | head -1) && truncate -s -20 \"$f\"",
             d, prov, d, d, d, d);
    ck_assert_int_eq(system(cmd), 0);
    char j[4300];
    snprintf(j, sizeof j, "%s/job.ini", d);
    hd_run_result r;
    ck_assert_int_eq(run(j, 2, 0, &r), HD_EDAMAGED);
    ck_assert(r.damaged);
    ck_assert_uint_eq(r.verdicts[HD_V_ELIGIBLE], 0);
    ck_assert_uint_eq(r.reasons[HD_FD_SOURCE_INCOMPLETE], r.households);
    ck_assert_uint_eq(r.rows, r.rows_ok + r.rows_quarantined);
    hd_error e;
    ck_assert_msg(hd_audit_verify(r.outdir, NULL, &e) == HD_OK, "%s", e.message);
    snprintf(cmd, sizeof cmd, "grep -q '\"damage\": \"TRUNCATED\"' %s/summary.json", r.outdir);
    ck_assert_int_eq(system(cmd), 0);
    /* a rerun over that output rewrites nothing, exits 0 (SPEC §5) and
     * says the source was damaged, as the run that wrote it did */
    hd_run_result r2;
    ck_assert_int_eq(run(j, 2, 0, &r2), HD_OK);
    ck_assert(r2.reused);
    ck_assert(r2.damaged);
    ck_assert_str_eq(r2.outdir, r.outdir);
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    system(cmd);
}
END_TEST

/* [job] matches_compression = zstd: audit/matches.jsonl.zst instead of
 * audit/matches.jsonl, whose bytes decompressed are the plain run's, the
 * same for every -j, listed in the manifest as written and verified. */
START_TEST(matches_compressed_with_zstd)
{
    province();
    hd_run_result plain;
    ck_assert_int_eq(run(job(), 2, 1, &plain), HD_OK);
    char d[4200], cmd[16384];
    snprintf(d, sizeof d, "%s-zst", prov);
    /* the same inputs at the same relative paths, the job with the option */
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir %s && cd %s && cp -r inbox roster monitor extracts formats policy keys %s/ && "
             "sed 's/^\\[job\\]$/[job]\\nmatches_compression = zstd/' job.ini > %s/job.ini && "
             "grep -q '^matches_compression = zstd$' %s/job.ini", d, d, prov, d, d, d);
    ck_assert_int_eq(system(cmd), 0);
    char j[4300];
    snprintf(j, sizeof j, "%s/job.ini", d);
    hd_run_result r1, r2;
    ck_assert_int_eq(run(j, 1, 1, &r1), HD_OK);
    snprintf(cmd, sizeof cmd, "rm -rf %s/first && cp -r %s %s/first", d, r1.outdir, d);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_int_eq(run(j, 2, 1, &r2), HD_OK);
    snprintf(cmd, sizeof cmd, "diff -r %s/first %s >/dev/null", d, r2.outdir);
    ck_assert_msg(system(cmd) == 0, "compressed outputs differ between -j1 and -j2");
    char p[8400];
    snprintf(p, sizeof p, "%s/audit/matches.jsonl", r2.outdir);
    ck_assert_msg(access(p, F_OK) != 0, "audit/matches.jsonl written beside the .zst");
    snprintf(cmd, sizeof cmd, "zstd -q -t %s/audit/matches.jsonl.zst && "
             "zstd -q -dc %s/audit/matches.jsonl.zst | cmp -s - %s/audit/matches.jsonl",
             r2.outdir, r2.outdir, plain.outdir);
    ck_assert_msg(system(cmd) == 0, "matches.jsonl.zst does not decompress to the plain run's matches.jsonl");
    snprintf(cmd, sizeof cmd, "grep -q '\"path\": \"audit/matches.jsonl.zst\"' %s/manifest.json", r2.outdir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "grep -q 'audit/matches.jsonl.zst' %s/audit/report.html", r2.outdir);
    ck_assert_msg(system(cmd) == 0, "report.html does not name audit/matches.jsonl.zst");
    hd_error e;
    ck_assert_msg(hd_audit_verify(r2.outdir, NULL, &e) == HD_OK, "%s", e.message);
    /* a changed byte of the compressed file is found */
    snprintf(p, sizeof p, "%s/audit/matches.jsonl.zst", r2.outdir);
    flip_bit(p, 20);
    ck_assert(hd_audit_verify(r2.outdir, NULL, &e) != HD_OK);
    /* anything else than none or zstd is a config error */
    snprintf(cmd, sizeof cmd, "sed -i 's/^matches_compression = zstd$/matches_compression = gzip/' %s", j);
    ck_assert_int_eq(system(cmd), 0);
    hd_job *jb = NULL;
    ck_assert_int_eq(hd_job_load(&jb, j, 0, &e), HD_ECONFIG);
    ck_assert_msg(strstr(e.message, "matches_compression") != NULL, "%s", e.message);
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    system(cmd);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e2e");
    TCase *tc = tcase_create("province");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, batch_matches_ground_truth);
    tcase_add_test(tc, manifest_verifies_and_detects_tampering);
    tcase_add_test(tc, outputs_identical_for_every_j);
    tcase_add_test(tc, damaged_source_lets_no_household_be_eligible);
    tcase_add_test(tc, matches_compressed_with_zstd);
    suite_add_tcase(s, tc);
    /* one province for all tests: run them in this process */
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (prov[0] && failed == 0) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf %s", prov);
        system(cmd);
    }
    return failed ? 1 : 0;
}
