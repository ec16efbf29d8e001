/*
 * test_keys.c — keys per audience (SPEC §8) end to end on a generated
 * province: a provider tokenises its extract with its own key and the run
 * joins it as it joins raw IDs; no token under audit/ is one a provider key
 * can make; the run refuses a provider key, tokenize the master key; an
 * extract tokenised with another provider's key joins nothing and is named
 * in a warning; a two-night rotation joins providers on the old and the new
 * master and counts rows per key id; a sole trader's business name reaches
 * matches.jsonl as a text token; no applicant name or ID number anywhere
 * under audit/ of the demo.
 *
 * Expected values come from tests/keys_check.py and tests/audit_scan.py
 * (HKDF, HMAC and the Names form in Python, not hedui code) or from the
 * raw-ID run of the same province.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"
#include "hedui/batch.h"
#include "hedui/ident.h"

static char prov[4096];          /* one generated province per process */
static char raw_out[4200];       /* the raw-ID run's output directory */
static char logbuf[1 << 16];
static size_t loglen;

static int shf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shf(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

static const char *bin(void)
{
    const char *b = getenv("HEDUI_BIN");
    ck_assert_msg(b && *b, "HEDUI_BIN is not set (run through make test)");
    return b;
}

static void log_sink(void *u, hd_log_level lv, const char *event, const char *msg)
{
    (void)u;
    if (lv < HD_LOG_WARN) return;
    int n = snprintf(logbuf + loglen, sizeof logbuf - loglen, "%s %s\n", event, msg);
    if (n > 0 && (size_t)n < sizeof logbuf - loglen) loglen += (size_t)n;
}

static int run(const char *job, hd_run_result *r, hd_error *e)
{
    hd_run_opts o = {0};
    o.threads = 2;
    o.log = log_sink;
    loglen = 0;
    logbuf[0] = 0;
    int rc = hd_run(job, &o, r, e);
    hd_run_result_free(r);            /* the per-county counts are not used here */
    return rc;
}

/* A 120-household province with keys/pseudonym.key (master A), and the
 * raw-ID run of it. */
static void province(void)
{
    if (prov[0]) return;
    snprintf(prov, sizeof prov, "/tmp/hedui-keys-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(prov));
    ck_assert_int_eq(shf("python3 scripts/gen-province.py %s --households 120 --background-factor 3 --seed 11 >/dev/null 2>&1", prov), 0);
    ck_assert_int_eq(shf("rm -rf %s/keys && '%s' keygen %s/keys >/dev/null", prov, bin(), prov), 0);
    char job[4200];
    snprintf(job, sizeof job, "%s/job.ini", prov);
    hd_run_result r;
    hd_error e;
    int rc = run(job, &r, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    snprintf(raw_out, sizeof raw_out, "%s", r.outdir);
}

/* Provider key file keys/NAME.key made from MASTER (a path under prov). */
static void provider_key(const char *name, const char *master)
{
    ck_assert_int_eq(shf("rm -f %s/keys/%s.key && '%s' keygen --provider %s --key %s/%s %s/keys/%s.key >/dev/null",
                         prov, name, bin(), name, prov, master, prov, name), 0);
}

/* Tokenises every file of extracts/SRC with keys/KEY.key into tok-DIR/,
 * descriptor tok-DIR/desc.fmt. */
static void tokenise(const char *src, const char *fmt, const char *key, const char *dir)
{
    ck_assert_int_eq(shf("cd %s && rm -rf tok-%s && mkdir tok-%s && for f in extracts/%s/*; do "
                         "b=$(basename \"$f\"); '%s' -q tokenize --as-of 2026-11-28 --key keys/%s.key "
                         "--format formats/%s \"$f\" tok-%s/\"${b%%%%.*}\".tok.csv.zst >/dev/null 2>&1; "
                         "[ $? -le 65 ] || exit 1; done && "
                         "cp \"$(ls tok-%s/*.fmt | head -1)\" tok-%s/desc.fmt && rm -f tok-%s/*.tok.csv.zst.fmt",
                         prov, dir, dir, src, bin(), key, fmt, dir, dir, dir, dir), 0);
}

/* Writes JOB (in prov) from job.ini: [job] key = KEYFILE, and each given
 * source reading tok-DIR/ (with provider = PROVIDER when not NULL). */
static void job_with(const char *job, const char *keyfile, const char *src1, const char *dir1,
                     const char *prov1, const char *src2, const char *dir2)
{
    char py[4000];
    snprintf(py, sizeof py,
             "import re,sys\n"
             "t=open('%s/job.ini',encoding='utf-8').read()\n"
             "t=re.sub(r'(?m)^key *=.*$','key = %s',t)\n"
             "def tok(t,src,d,pv):\n"
             "  if not src: return t\n"
             "  h='[source \"'+src+'\"]'\n"
             "  i=t.index(h); j=t.find('\\n[',i+1); j=len(t) if j<0 else j\n"
             "  body=h+'\\nformat = '+d+'/desc.fmt\\nfiles  = '+d+'/*.tok.csv.zst\\n'+('provider = '+pv+'\\n' if pv else '')\n"
             "  return t[:i]+body+t[j:]\n"
             "t=tok(t,'%s','tok-%s','%s')\n"
             "t=tok(t,'%s','tok-%s','')\n"
             "open('%s/%s','w',encoding='utf-8').write(t)\n",
             prov, keyfile, src1 ? src1 : "", dir1 ? dir1 : "", prov1 ? prov1 : "",
             src2 ? src2 : "", dir2 ? dir2 : "", prov, job);
    char path[4300];
    snprintf(path, sizeof path, "%s/mkjob.py", prov);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(py, f);
    fclose(f);
    ck_assert_int_eq(shf("python3 %s", path), 0);
}

static const char *jobpath(const char *name)
{
    static char p[4300];
    snprintf(p, sizeof p, "%s/%s", prov, name);
    return p;
}

START_TEST(tokenised_join_equals_raw_join)
{
    province();
    provider_key("bank-a", "keys/pseudonym.key");
    tokenise("bank-a", "deposit-bank-a.fmt", "bank-a", "a");
    job_with("job-tok.ini", "keys/pseudonym.key", "bank-a", "a", NULL, NULL, NULL);
    hd_run_result r;
    hd_error e;
    int rc = run(jobpath("job-tok.ini"), &r, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    ck_assert_str_ne(r.outdir, raw_out);
    ck_assert_int_eq(shf("python3 tests/keys_check.py same-join %s %s bank-a", raw_out, r.outdir), 0);
    /* every matched row by the provider key of the current master */
    hd_key a;
    ck_assert_int_eq(hd_key_load_provider(&a, jobpath("keys/bank-a.key"), &e), HD_OK);
    ck_assert_int_eq(shf("python3 tests/keys_check.py by-key %s bank-a %s=matched", r.outdir, a.id), 0);
    /* the manifest names the keys: master, audit, text, provider:bank-a */
    ck_assert_int_eq(shf("grep -q '{\"audience\": \"provider:bank-a\", \"id\": \"%s\"' %s/manifest.json", a.id, r.outdir), 0);
    ck_assert_int_eq(shf("grep -q '{\"audience\": \"audit\", \"id\": \"d' %s/manifest.json", r.outdir), 0);
    ck_assert_int_eq(shf("grep -q '{\"audience\": \"text\", \"id\": \"d' %s/manifest.json", r.outdir), 0);
    ck_assert_msg(hd_audit_verify(r.outdir, NULL, &e) == HD_OK, "%s", e.message);
    /* no token under audit/ is one the provider key makes */
    ck_assert_int_eq(shf("python3 tests/keys_check.py no-provider-tokens %s %s %s/keys/bank-a.key %s/keys/pseudonym.key",
                         r.outdir, prov, prov, prov), 0);
    ck_assert_int_eq(shf("python3 tests/keys_check.py no-provider-tokens %s %s %s/keys/bank-a.key %s/keys/pseudonym.key",
                         raw_out, prov, prov, prov), 0);
    /* the provider's own file is what that key makes: the check can find */
    ck_assert_int_eq(shf("cd %s && zstd -dc tok-a/*.tok.csv.zst | grep -c '^[0-9a-f]\\{64\\},' >/dev/null", prov), 0);
    hd_key_wipe(&a);
}
END_TEST

START_TEST(wrong_keys_refused_or_named)
{
    province();
    hd_run_result r;
    hd_error e;
    /* a provider key file as the run's key: 78, saying which file it needs */
    provider_key("bank-a", "keys/pseudonym.key");
    job_with("job-pk.ini", "keys/bank-a.key", NULL, NULL, NULL, NULL, NULL);
    ck_assert_int_eq(run(jobpath("job-pk.ini"), &r, &e), HD_ECONFIG);
    ck_assert_msg(strstr(e.message, "provider key file") && strstr(e.message, "master key") &&
                  strstr(e.message, "pseudonym.key"), "%s", e.message);
    ck_assert_int_eq(shf("'%s' -q run %s 2>/dev/null", bin(), jobpath("job-pk.ini")), 78);
    /* the master key to tokenize: 78 */
    ck_assert_int_eq(shf("cd %s && '%s' -q tokenize --key keys/pseudonym.key --format formats/deposit-bank-a.fmt "
                         "\"$(ls extracts/bank-a/* | head -1)\" x.tok 2>/dev/null", prov, bin()), 78);
    /* a previous key of the wrong length: 78 */
    ck_assert_int_eq(shf("cd %s/keys && { cat pseudonym.key; echo previous_id=kold; "
                         "echo previous_key=0123456789abcdef; } > short.key && chmod 600 short.key", prov), 0);
    job_with("job-short.ini", "keys/short.key", NULL, NULL, NULL, NULL, NULL);
    ck_assert_int_eq(run(jobpath("job-short.ini"), &r, &e), HD_ECONFIG);
    ck_assert_msg(strstr(e.message, "previous_key must be 64 hex"), "%s", e.message);
    ck_assert_int_eq(shf("'%s' -q run %s 2>/dev/null", bin(), jobpath("job-short.ini")), 78);

    /* provider = on a source of raw IDs: 78, naming the line */
    ck_assert_int_eq(shf("cd %s && sed 's|^\\[source \"bank-a\"\\]$|&\\nprovider = bank-a|' job.ini > job-pn.ini && "
                         "grep -q '^provider = bank-a$' job-pn.ini", prov), 0);
    ck_assert_int_eq(run(jobpath("job-pn.ini"), &r, &e), HD_ECONFIG);
    ck_assert_msg(strstr(e.message, "provider is only for a tokenised source"), "%s", e.message);
    ck_assert_int_eq(shf("cd %s && sed 's|^provider = bank-a$|provider = bank a/x|' job-pn.ini > job-pn2.ini", prov), 0);
    ck_assert_int_eq(run(jobpath("job-pn2.ini"), &r, &e), HD_ECONFIG);
    ck_assert_msg(strstr(e.message, "job-pn2.ini:") && strstr(e.message, "provider must be"), "%s", e.message);

    /* bank-a's extract tokenised with bank-b's key: nothing joins, and a
     * warning names the file and its share of unmatched rows */
    provider_key("bank-b", "keys/pseudonym.key");
    tokenise("bank-a", "deposit-bank-a.fmt", "bank-b", "ab");
    job_with("job-wrong.ini", "keys/pseudonym.key", "bank-a", "ab", NULL, NULL, NULL);
    int rc = run(jobpath("job-wrong.ini"), &r, &e);
    ck_assert_msg(rc == HD_OK || rc == HD_EDAMAGED, "%s", e.message);
    ck_assert_int_eq(shf("python3 -c 'import json,sys; s=json.load(open(\"%s/summary.json\")); "
                         "x=[x for x in s[\"sources\"] if x[\"name\"]==\"bank-a\"][0]; "
                         "sys.exit(0 if x[\"rows_matched\"]==0 and x[\"rows\"]>0 else 1)'", r.outdir), 0);
    ck_assert_msg(strstr(logbuf, "tokens_unmatched tok-ab/") && strstr(logbuf, "no row joins: 100.00 %") &&
                  strstr(logbuf, "provider bank-a"), "%s", logbuf);
    /* the same files with provider = bank-b in the job: they join */
    job_with("job-right.ini", "keys/pseudonym.key", "bank-a", "ab", "bank-b", NULL, NULL);
    rc = run(jobpath("job-right.ini"), &r, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    ck_assert_ptr_null(strstr(logbuf, "tokens_unmatched"));
    ck_assert_int_eq(shf("python3 tests/keys_check.py same-join %s %s bank-a", raw_out, r.outdir), 0);
}
END_TEST

/* Night 1: master A, bank-a tokenises with its key from A. Night 2: the
 * key file holds master B with A as previous; bank-a is still on A,
 * bank-b already on B; both join, and the summary counts rows per key id. */
START_TEST(rotation_two_nights)
{
    province();
    hd_run_result r1, r2;
    hd_error e;
    provider_key("bank-a", "keys/pseudonym.key");
    tokenise("bank-a", "deposit-bank-a.fmt", "bank-a", "a");
    job_with("night1.ini", "keys/pseudonym.key", "bank-a", "a", NULL, NULL, NULL);
    int rc = run(jobpath("night1.ini"), &r1, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    /* the rotated key file: B, previous A */
    ck_assert_int_eq(shf("cd %s && rm -rf keysB && '%s' keygen keysB >/dev/null && "
                         "{ cat keysB/pseudonym.key; sed -n 's/^id=/previous_id=/p; s/^key=/previous_key=/p' keys/pseudonym.key; } "
                         "> keys/rotated.key && chmod 600 keys/rotated.key", prov, bin()), 0);
    provider_key("bank-b", "keys/rotated.key");
    tokenise("bank-b", "deposit-bank-b.fmt", "bank-b", "b");
    job_with("night2.ini", "keys/rotated.key", "bank-a", "a", NULL, "bank-b", "b");
    rc = run(jobpath("night2.ini"), &r2, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    ck_assert_int_eq(shf("python3 tests/keys_check.py same-join %s %s bank-a", r1.outdir, r2.outdir), 1);   /* new audit tokens */
    /* the key ids, each derived independently of the run */
    hd_key A, B, rot, pa, pb, aB, bA;
    ck_assert_int_eq(hd_key_load_master(&A, jobpath("keys/pseudonym.key"), &e), HD_OK);
    ck_assert_int_eq(hd_key_load_master(&B, jobpath("keysB/pseudonym.key"), &e), HD_OK);
    ck_assert_int_eq(hd_key_load_master(&rot, jobpath("keys/rotated.key"), &e), HD_OK);
    ck_assert_int_eq(rot.has_previous, 1);
    ck_assert_int_eq(hd_key_load_provider(&pa, jobpath("keys/bank-a.key"), &e), HD_OK);
    ck_assert_int_eq(hd_key_load_provider(&pb, jobpath("keys/bank-b.key"), &e), HD_OK);
    ck_assert_int_eq(hd_key_derive(&B, "provider:bank-a", &aB, &e), HD_OK);
    ck_assert_int_eq(hd_key_derive(&A, "provider:bank-b", &bA, &e), HD_OK);
    ck_assert_str_ne(aB.id, pa.id);
    ck_assert_int_eq(shf("python3 tests/keys_check.py by-key %s bank-a %s=0 %s=matched", r2.outdir, aB.id, pa.id), 0);
    ck_assert_int_eq(shf("python3 tests/keys_check.py by-key %s bank-b %s=matched %s=0", r2.outdir, pb.id, bA.id), 0);
    /* both joined as raw IDs do: verdicts and figures as the raw run (the
     * household tokens aside: the audit key changed with the master) */
    ck_assert_int_eq(shf("python3 -c 'import json,sys\n"
                         "def f(p):\n"
                         "  r=[json.loads(l) for l in open(p+\"/audit/households.jsonl\")]\n"
                         "  [x.pop(\"household\") for x in r]; return r\n"
                         "s=[json.load(open(p+\"/summary.json\"))[\"sources\"] for p in sys.argv[1:]]\n"
                         "m=[{x[\"name\"]:x[\"rows_matched\"] for x in y} for y in s]\n"
                         "sys.exit(0 if f(sys.argv[1])==f(sys.argv[2]) and m[0]==m[1] and m[0][\"bank-a\"]>0 and m[0][\"bank-b\"]>0 else 1)' %s %s",
                         raw_out, r2.outdir), 0);
    /* the audit tokens are the new master's; the manifest names both */
    ck_assert_int_eq(shf("python3 tests/keys_check.py no-provider-tokens %s %s %s/keys/bank-a.key %s/keysB/pseudonym.key",
                         r2.outdir, prov, prov, prov), 0);
    ck_assert_int_eq(shf("grep -q '{\"audience\": \"previous master\", \"id\": \"%s\"}' %s/manifest.json", A.id, r2.outdir), 0);
    ck_assert_int_eq(shf("grep -q '\"id\": \"%s\", \"master\": \"%s\"' %s/manifest.json", pa.id, A.id, r2.outdir), 0);
    ck_assert_msg(hd_audit_verify(r2.outdir, NULL, &e) == HD_OK, "%s", e.message);
    /* the key file without its previous lines: bank-a (still on A) joins nothing */
    ck_assert_int_eq(shf("cd %s && grep -v '^previous' keys/rotated.key > keys/bonly.key && chmod 600 keys/bonly.key", prov), 0);
    job_with("night2b.ini", "keys/bonly.key", "bank-a", "a", NULL, "bank-b", "b");
    rc = run(jobpath("night2b.ini"), &r2, &e);
    ck_assert_msg(rc == HD_OK || rc == HD_EDAMAGED, "%s", e.message);
    ck_assert_int_eq(shf("python3 tests/keys_check.py by-key %s bank-a %s=0", r2.outdir, aB.id), 0);
    ck_assert_ptr_nonnull(strstr(logbuf, "tokens_unmatched tok-a/"));
    hd_key_wipe(&A); hd_key_wipe(&B); hd_key_wipe(&rot); hd_key_wipe(&pa); hd_key_wipe(&pb);
    hd_key_wipe(&aB); hd_key_wipe(&bA);
}
END_TEST

/* A sole-trader business named after its owner, an applicant member: its
 * record reaches matches.jsonl with the name's text token, never the text. */
START_TEST(sole_trader_name_is_a_token)
{
    province();
    /* the first member of the first applicant file */
    ck_assert_int_eq(shf("cd %s && mkdir -p extracts-extra && python3 -c 'import csv,glob\n"
                         "r=next(csv.DictReader(open(sorted(glob.glob(\"inbox/*.csv\"))[0],encoding=\"utf-8-sig\")))\n"
                         "n=r[\"姓名\"].strip()\n"
                         "open(\"extracts-extra/market.csv\",\"w\",encoding=\"utf-8\").write(\"证件号码,姓名,企业名称,统一社会信用代码,任职类型,注册资本,登记状态\\n\"+r[\"身份证号码\"].strip()+\",\"+n+\",某某农资店（\"+n+\"）,91530102MA6K0L0X1A,经营者,3,存续\\n\")\n"
                         "open(\"sole.txt\",\"w\",encoding=\"utf-8\").write(\"某某农资店（\"+n+\"）\")' && "
                         "sed 's|^\\[source \"business\"\\]$|[source \"market\"]\\nformat = formats/business.fmt\\nfiles  = extracts-extra/market.csv\\n\\n[source \"business\"]|' job.ini > job-sole.ini && "
                         "grep -q 'source \"market\"' job-sole.ini", prov), 0);
    hd_run_result r;
    hd_error e;
    int rc = run(jobpath("job-sole.ini"), &r, &e);
    ck_assert_msg(rc == HD_OK, "%s", e.message);
    ck_assert_int_eq(shf("cd %s && python3 tests/keys_check.py text-token %s %s/keys/pseudonym.key market company \"$(cat %s/sole.txt)\"",
                         getenv("PWD") ? getenv("PWD") : ".", r.outdir, prov, prov), 0);
    ck_assert_int_eq(shf("python3 tests/audit_scan.py %s %s", r.outdir, prov), 0);
}
END_TEST

/* The auditor guide's shell recipes (OpenSSL and coreutils only) on a v2
 * bundle: signature and files, a changed byte caught, the centre's token
 * recipe giving the tokens of audit/. */
START_TEST(auditor_guide_recipes)
{
    province();
    ck_assert_int_eq(shf("python3 tests/keys_check.py recipes %s %s docs/auditor-guide.md", raw_out, prov), 0);
}
END_TEST

/* The demo: no applicant name or ID number in any file under audit/; the
 * scan finds them when they are there (a county file copied in). */
START_TEST(demo_audit_holds_no_name)
{
    char d[4200];
    snprintf(d, sizeof d, "/tmp/hedui-keys-demo-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(d));
    ck_assert_int_eq(shf("cd %s && '%s' demo -q --households 200 demo >/dev/null 2>&1", d, bin()), 0);
    ck_assert_int_eq(shf("python3 tests/audit_scan.py %s/demo/out/[0-9]*/ %s/demo", d, d), 0);
    ck_assert_int_eq(shf("mkdir -p %s/fake/audit && cp %s/demo/out/[0-9]*/county/*/members.csv %s/fake/audit/ 2>/dev/null; "
                         "python3 tests/audit_scan.py %s/fake %s/demo >/dev/null", d, d, d, d, d), 1);
    shf("rm -rf %s", d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("audiences");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, tokenised_join_equals_raw_join);
    tcase_add_test(tc, wrong_keys_refused_or_named);
    tcase_add_test(tc, rotation_two_nights);
    tcase_add_test(tc, sole_trader_name_is_a_token);
    tcase_add_test(tc, demo_audit_holds_no_name);
    tcase_add_test(tc, auditor_guide_recipes);
    suite_add_tcase(s, tc);
    /* one province for all tests: run them in this process */
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (prov[0] && failed == 0) shf("rm -rf %s", prov);
    return failed ? 1 : 0;
}
