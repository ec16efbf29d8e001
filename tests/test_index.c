/*
 * test_index.c — `hedui index` and `hedui lookup` (SPEC §11) on a generated
 * province: for every household, lookup and the nightly run give the same
 * verdict, reasons and figures (tests/index_check.py compares the run's
 * audit/households.jsonl with lookup's output; the run is the reference,
 * computed by the batch, not by the index code); the index is the same
 * bytes whatever the thread count and memory budget (spill files); it holds
 * no ID number and no name; a truncated, tampered or foreign index is
 * refused; a damaged source reaches lookup as it reaches the run; the
 * run with `[job] index = yes` writes the same bytes as `hedui index` (and
 * refuses it with --part, 78); roster and monitor households are judged as
 * their population (SPEC §10) as in the run; tokenised sources whose
 * provider is not named like the source, one of them made under the
 * previous master of a key rotation (SPEC §8), are found as the run finds
 * them.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"
#include "hedui/batch.h"
#include "hedui/index.h"

static char prov[4096];

static int shf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shf(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *bin(void) { return getenv("HEDUI_BIN"); }

/* The only directory under dir whose name starts with prefix (a run or an
 * index), into out. */
static void only_dir(const char *dir, const char *prefix, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s", dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL)
        if (!strncmp(e->d_name, prefix, strlen(prefix))) { snprintf(out, cap, "%s/%s", dir, e->d_name); n++; }
    closedir(d);
    ck_assert_int_eq(n, 1);
}

/* Runs the job, builds its index and looks up every applicant file;
 * returns the exit codes of run, index and (the worst) lookup. */
static void run_index_lookup(const char *job, const char *out, int *rc_run, int *rc_index, int *rc_lookup)
{
    *rc_run = shf("cd %s && '%s' -q run --force %s >/dev/null 2>err-run.txt", prov, bin(), job);
    *rc_index = shf("cd %s && '%s' -q index --force %s >/dev/null 2>err-index.txt", prov, bin(), job);
    char idx[4400], outdir[4200];
    snprintf(outdir, sizeof outdir, "%s/%s/index", prov, out);
    only_dir(outdir, "2026-", idx, sizeof idx);
    *rc_lookup = shf("cd %s && rm -f lookup.jsonl && worst=0 && for f in inbox/*.csv; do "
                     "'%s' lookup --index %s --key keys/pseudonym.key \"$f\" >>lookup.jsonl 2>>err-lookup.txt; "
                     "r=$?; [ $r -gt $worst ] && worst=$r; done; exit $worst", prov, bin(), idx);
}

START_TEST(lookup_matches_run)
{
    int a, b, c;
    run_index_lookup("job.ini", "out", &a, &b, &c);
    ck_assert_int_eq(a, 0);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(c, 0);
    char run[4400];
    char outdir[4200];
    snprintf(outdir, sizeof outdir, "%s/out", prov);
    only_dir(outdir, "2026-", run, sizeof run);
    ck_assert_int_eq(shf("python3 tests/index_check.py %s %s/lookup.jsonl", run, prov), 0);
    /* the planted cases reach lookup: some household is not ELIGIBLE, and
     * a name mismatch is found through the keyed names */
    ck_assert_int_eq(shf("grep -q '\"verdict\":\"INELIGIBLE\"' %s/lookup.jsonl", prov), 0);
    ck_assert_int_eq(shf("grep -q '\"verdict\":\"[A-Z]*\",\"reasons\":\\[[^]]*NAME_MISMATCH' %s/lookup.jsonl", prov), 0);
}
END_TEST

START_TEST(index_same_bytes_any_threads_and_memory)
{
    ck_assert_int_eq(shf("cd %s && '%s' -q -j2 index --force job.ini >/dev/null 2>&1", prov, bin()), 0);
    char idx[4400], outdir[4200];
    snprintf(outdir, sizeof outdir, "%s/out/index", prov);
    only_dir(outdir, "2026-", idx, sizeof idx);
    ck_assert_int_eq(shf("rm -rf %s/ix-ref && cp -r %s %s/ix-ref", prov, idx, prov), 0);
    /* 1 MiB at -j1 and -j2: several sorted runs spilled and merged */
    ck_assert_int_eq(shf("cd %s && '%s' -j1 index --force --memory 1 job.ini > idx1.txt 2>&1", prov, bin()), 0);
    ck_assert_int_eq(shf("grep -Eq '[2-9] sorted runs|[1-9][0-9]+ sorted runs' %s/idx1.txt", prov), 0);
    ck_assert_int_eq(shf("diff -r %s/ix-ref %s >/dev/null", prov, idx), 0);
    ck_assert_int_eq(shf("cd %s && '%s' -q -j2 index --force --memory 1 job.ini >/dev/null 2>&1", prov, bin()), 0);
    ck_assert_int_eq(shf("diff -r %s/ix-ref %s >/dev/null", prov, idx), 0);
    /* an index that exists and verifies is kept */
    ck_assert_int_eq(shf("cd %s && '%s' index job.ini 2>/dev/null | grep -q 'exists and verifies'", prov, bin()), 0);
    ck_assert_int_eq(shf("'%s' -q audit verify %s >/dev/null 2>&1", bin(), idx), 0);
}
END_TEST

START_TEST(index_holds_no_id_and_no_name)
{
    ck_assert_int_eq(shf("cd %s && '%s' -q index job.ini >/dev/null 2>&1", prov, bin()), 0);
    char idx[4400], outdir[4200];
    snprintf(outdir, sizeof outdir, "%s/out/index", prov);
    only_dir(outdir, "2026-", idx, sizeof idx);
    /* every applicant ID and every name of two characters or more */
    ck_assert_int_eq(shf("cd %s && tail -q -n +2 inbox/*.csv | cut -d, -f5 | grep -E '^[0-9]{17}[0-9X]$' | sort -u > ids.txt "
                         "&& tail -q -n +2 inbox/*.csv | cut -d, -f6 | grep -E '^..+$' | sort -u > names.txt "
                         "&& [ $(wc -l < ids.txt) -gt 100 ] && [ $(wc -l < names.txt) -gt 100 ]", prov), 0);
    ck_assert_int_eq(shf("cd %s && ! cat %s/*.bin %s/meta.ini | grep -a -q -F -f ids.txt", prov, idx, idx), 0);
    ck_assert_int_eq(shf("cd %s && ! cat %s/*.bin %s/meta.ini | grep -a -q -F -f names.txt", prov, idx, idx), 0);
    /* the extracts do hold them: the search can find what it looks for */
    ck_assert_int_eq(shf("cd %s && zstdcat extracts/*/*.zst | grep -a -q -F -f ids.txt", prov), 0);
    ck_assert_int_eq(shf("cd %s && zstdcat extracts/*/*.zst | grep -a -q -F -f names.txt", prov), 0);
}
END_TEST

START_TEST(bad_index_refused)
{
    ck_assert_int_eq(shf("cd %s && '%s' -q index job.ini >/dev/null 2>&1", prov, bin()), 0);
    char idx[4400], outdir[4200];
    snprintf(outdir, sizeof outdir, "%s/out/index", prov);
    only_dir(outdir, "2026-", idx, sizeof idx);
    const char *look = "cd %s && '%s' lookup --index %s --key %s inbox/530102.csv >/dev/null 2>err.txt";
    /* truncated table: 65 */
    ck_assert_int_eq(shf("rm -rf %s/bad && cp -r %s %s/bad && truncate -s -48 %s/bad/tokens.bin", prov, idx, prov, prov), 0);
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/bad", prov);
    ck_assert_int_eq(shf(look, prov, bin(), bad, "keys/pseudonym.key"), 65);
    /* one flipped byte of records.bin: 65 */
    ck_assert_int_eq(shf("rm -rf %s/bad && cp -r %s %s/bad && printf 'Z' | dd of=%s/bad/records.bin bs=1 seek=100 conv=notrunc 2>/dev/null",
                         prov, idx, prov, prov), 0);
    ck_assert_int_eq(shf(look, prov, bin(), bad, "keys/pseudonym.key"), 65);
    /* a missing table: 65 */
    ck_assert_int_eq(shf("rm -rf %s/bad && cp -r %s %s/bad && rm %s/bad/unreadable.bin", prov, idx, prov, prov), 0);
    ck_assert_int_eq(shf(look, prov, bin(), bad, "keys/pseudonym.key"), 65);
    /* another centre's key: 78 */
    ck_assert_int_eq(shf("rm -rf %s/k2 && '%s' keygen %s/k2 >/dev/null", prov, bin(), prov), 0);
    ck_assert_int_eq(shf(look, prov, bin(), idx, "k2/pseudonym.key"), 78);
    ck_assert_int_eq(shf("grep -q 'another key\\|not under the given key' %s/err.txt", prov), 0);
    /* not an index at all */
    ck_assert_int_eq(shf(look, prov, bin(), prov, "keys/pseudonym.key") != 0, 1);
    /* the index directory itself altered: `hedui index` refuses to replace
     * it without --force with 65, as the run does for its output (nothing
     * failed to write), and leaves it as it is; --force rebuilds it */
    ck_assert_int_eq(shf("printf 'Z' | dd of=%s/records.bin bs=1 seek=100 conv=notrunc 2>/dev/null && "
                         "sha256sum %s/records.bin > %s/tampered.sha", idx, idx, prov), 0);
    ck_assert_int_eq(shf("cd %s && '%s' -q index job.ini >/dev/null 2>err-ix.txt", prov, bin()), 65);
    ck_assert_int_eq(shf("grep -q 'does not verify' %s/err-ix.txt && sha256sum -c --quiet %s/tampered.sha", prov, prov), 0);
    ck_assert_int_eq(shf("cd %s && '%s' -q index --force job.ini >/dev/null 2>&1 && '%s' -q audit verify %s >/dev/null 2>&1",
                         prov, bin(), bin(), idx), 0);
}
END_TEST

START_TEST(damaged_source_reaches_lookup)
{
    /* bank-b's glob matches nothing: the run and the index are damaged
     * (NO_FILES), exit 3, and lookup agrees with the run household by
     * household (every one at least REVIEW with SOURCE_INCOMPLETE) */
    ck_assert_int_eq(shf("cd %s && sed -e 's|extracts/bank-b/\\*.csv.zst|extracts/bank-b/none-*.csv.zst|' "
                         "-e 's|^output .*|output = out-damaged/|' job.ini > job-damaged.ini && "
                         "grep -q none- job-damaged.ini", prov), 0);
    int a, b, c;
    run_index_lookup("job-damaged.ini", "out-damaged", &a, &b, &c);
    ck_assert_int_eq(a, 3);
    ck_assert_int_eq(b, 3);
    ck_assert_int_eq(c, 3);
    char run[4400], outdir[4200];
    snprintf(outdir, sizeof outdir, "%s/out-damaged", prov);
    only_dir(outdir, "2026-", run, sizeof run);
    ck_assert_int_eq(shf("python3 tests/index_check.py %s %s/lookup.jsonl", run, prov), 0);
    ck_assert_int_eq(shf("! grep -v SOURCE_INCOMPLETE %s/lookup.jsonl | grep -q .", prov), 0);
}
END_TEST


/* Looks up every file of DIR (inbox, roster or monitor) of the province
 * against the only index under OUT/index with KEY, as population POP;
 * compares with the only run under OUT (tests/index_check.py). */
static int lookup_pop(const char *out, const char *dir, const char *key, const char *pop)
{
    char idx[4400], outdir[4200], run[4400];
    snprintf(outdir, sizeof outdir, "%s/%s/index", prov, out);
    only_dir(outdir, "2026-", idx, sizeof idx);
    snprintf(outdir, sizeof outdir, "%s/%s", prov, out);
    only_dir(outdir, "2026-", run, sizeof run);
    int rc = shf("cd %s && rm -f lookup-%s.jsonl && worst=0 && for f in %s/*.csv; do "
                 "'%s' lookup --index %s --key %s --population %s \"$f\" >>lookup-%s.jsonl 2>>err-lookup.txt; "
                 "r=$?; [ $r -gt $worst ] && worst=$r; done; exit $worst", prov, pop, dir, bin(), idx, key, pop, pop);
    if (rc) return 100 + rc;
    return shf("python3 tests/index_check.py %s %s/lookup-%s.jsonl %s", run, prov, pop, pop);
}

START_TEST(run_writes_the_same_index)
{
    /* the run's own pass (index = yes) and `hedui index` on the same job:
     * the same bytes, and lookups on it equal the run for every
     * population */
    ck_assert_int_eq(shf("cd %s && sed -e 's|^output .*|output = out-run/\\nindex = yes|' job.ini > job-ix.ini && "
                         "grep -q '^index = yes' job-ix.ini && grep -q '^roster' job-ix.ini && grep -q '^monitor' job-ix.ini", prov), 0);
    ck_assert_int_eq(shf("cd %s && rm -rf out-run && '%s' -j2 run job-ix.ini >run-ix.txt 2>/dev/null", prov, bin()), 0);
    char idx[4400], outdir[4200];
    snprintf(outdir, sizeof outdir, "%s/out-run/index", prov);
    only_dir(outdir, "2026-", idx, sizeof idx);
    ck_assert_int_eq(shf("grep -q '^Index .*/out-run/index/%s ' %s/run-ix.txt", strrchr(idx, '/') + 1, prov), 0);
    ck_assert_int_eq(shf("rm -rf %s/ix-run && cp -r %s %s/ix-run", prov, idx, prov), 0);
    ck_assert_int_eq(shf("cd %s && '%s' -q -j1 index --force --memory 1 job-ix.ini >/dev/null 2>&1", prov, bin()), 0);
    ck_assert_int_eq(shf("diff -r %s/ix-run %s >/dev/null", prov, idx), 0);
    ck_assert_int_eq(shf("test -s %s/roster.fmt && test -s %s/monitor.fmt", idx, idx), 0);
    /* the index is not part of the run's manifest */
    char run[4400];
    snprintf(outdir, sizeof outdir, "%s/out-run", prov);
    only_dir(outdir, "2026-", run, sizeof run);
    ck_assert_int_eq(shf("! grep -q tokens.bin %s/manifest.json", run), 0);
    ck_assert_int_eq(lookup_pop("out-run", "inbox", "keys/pseudonym.key", "applicant"), 0);
    ck_assert_int_eq(lookup_pop("out-run", "roster", "keys/pseudonym.key", "recipient"), 0);
    ck_assert_int_eq(lookup_pop("out-run", "monitor", "keys/pseudonym.key", "monitored"), 0);
    /* the check can fail: monitored households looked up as applicants
     * are judged under their own assistance type, unlike the run */
    ck_assert_int_eq(shf("(cd %s && for f in monitor/*.csv; do '%s' lookup --index %s --key keys/pseudonym.key \"$f\"; done) "
                         "2>/dev/null | sed 's/\"population\":\"applicant\"/\"population\":\"monitored\"/' > %s/lookup-wrong.jsonl && "
                         "test -s %s/lookup-wrong.jsonl", prov, bin(), idx, prov, prov), 0);
    ck_assert_int_eq(shf("python3 tests/index_check.py %s %s/lookup-wrong.jsonl monitored >/dev/null", run, prov), 1);
    /* a run that is not redone still leaves its index (built alone) */
    ck_assert_int_eq(shf("rm -rf %s", idx), 0);
    ck_assert_int_eq(shf("cd %s && '%s' -q -j2 run job-ix.ini >/dev/null 2>&1", prov, bin()), 0);
    ck_assert_int_eq(shf("diff -r %s/ix-run %s >/dev/null", prov, idx), 0);
    /* with --part or --merge: 78, saying why */
    ck_assert_int_eq(shf("cd %s && '%s' run --part 0/2 job-ix.ini >/dev/null 2>err-part.txt", prov, bin()), 78);
    ck_assert_int_eq(shf("grep -q 'index = yes is for a whole run' %s/err-part.txt", prov), 0);
    ck_assert_int_eq(shf("cd %s && '%s' merge --parts 2 job-ix.ini >/dev/null 2>err-part.txt", prov, bin()), 78);
    ck_assert_int_eq(shf("grep -q 'index = yes is for a whole run' %s/err-part.txt", prov), 0);
}
END_TEST

START_TEST(providers_and_rotation)
{
    /* master A tokenises bank-a for a provider named "centre-bank"; the
     * centre rotates to master B (previous A); bank-b is tokenised under
     * B for provider "bank-b-prov". The run joins both (bank-a through the
     * previous master); lookup with the rotated key finds the same rows. */
    ck_assert_int_eq(shf("cd %s && rm -rf keysB tok-a tok-b && '%s' keygen keysB >/dev/null && "
                         "{ cat keysB/pseudonym.key; sed -n 's/^id=/previous_id=/p; s/^key=/previous_key=/p' keys/pseudonym.key; } "
                         "> keys/rotated.key && chmod 600 keys/rotated.key && "
                         "'%s' keygen --provider centre-bank --key keys/pseudonym.key keys/centre-bank.key >/dev/null && "
                         "'%s' keygen --provider bank-b-prov --key keys/rotated.key keys/bank-b-prov.key >/dev/null",
                         prov, bin(), bin(), bin()), 0);
    ck_assert_int_eq(shf("cd %s && mkdir tok-a tok-b && for s in a b; do "
                         "if [ $s = a ]; then k=centre-bank; fmt=deposit-bank-a.fmt; else k=bank-b-prov; fmt=deposit-bank-b.fmt; fi; "
                         "for f in extracts/bank-$s/*; do b=$(basename \"$f\"); "
                         "'%s' -q tokenize --as-of 2026-11-28 --key keys/$k.key --format formats/$fmt \"$f\" tok-$s/\"${b%%%%.*}\".tok.csv.zst "
                         ">/dev/null 2>&1; [ $? -le 65 ] || exit 1; done; "
                         "cp \"$(ls tok-$s/*.fmt | head -1)\" tok-$s/desc.fmt && rm -f tok-$s/*.tok.csv.zst.fmt; done", prov, bin()), 0);
    ck_assert_int_eq(shf("cd %s && python3 - <<'EOF'\n"
                         "import re\n"
                         "t=open('job.ini',encoding='utf-8').read()\n"
                         "t=re.sub(r'(?m)^key *=.*$','key = keys/rotated.key',t)\n"
                         "t=re.sub(r'(?m)^output *=.*$','output = out-tok/\\nindex = yes',t)\n"
                         "for src,d,pv in (('bank-a','tok-a','centre-bank'),('bank-b','tok-b','bank-b-prov')):\n"
                         "  h='[source \"'+src+'\"]'\n"
                         "  i=t.index(h); j=t.find('\\n[',i+1); j=len(t) if j<0 else j\n"
                         "  t=t[:i]+h+'\\nformat = '+d+'/desc.fmt\\nfiles  = '+d+'/*.tok.csv.zst\\nprovider = '+pv+'\\n'+t[j:]\n"
                         "open('job-tok.ini','w',encoding='utf-8').write(t)\n"
                         "EOF", prov), 0);
    ck_assert_int_eq(shf("cd %s && rm -rf out-tok && '%s' -q -j2 run job-tok.ini >/dev/null 2>err-tok.txt", prov, bin()), 0);
    /* the run joined both tokenised sources, bank-a by the previous master */
    char run[4400], outdir[4200], idx[4400];
    snprintf(outdir, sizeof outdir, "%s/out-tok", prov);
    only_dir(outdir, "2026-", run, sizeof run);
    ck_assert_int_eq(shf("python3 - %s/summary.json <<'EOF'\n"
                         "import json,sys\n"
                         "s={x['name']:x for x in json.load(open(sys.argv[1]))['sources']}\n"
                         "sys.exit(0 if s['bank-a']['rows_matched']>0 and s['bank-b']['rows_matched']>0 else 1)\n"
                         "EOF", run), 0);
    snprintf(outdir, sizeof outdir, "%s/out-tok/index", prov);
    only_dir(outdir, "2026-", idx, sizeof idx);
    ck_assert_int_eq(shf("grep -q '^provider = centre-bank$' %s/meta.ini && grep -q '^previous_key_id = ' %s/meta.ini", idx, idx), 0);
    ck_assert_int_eq(lookup_pop("out-tok", "inbox", "keys/rotated.key", "applicant"), 0);
    /* the key without the previous master: refused (78), not a lookup
     * that silently misses bank-a */
    ck_assert_int_eq(shf("cd %s && { grep -v '^previous_' keys/rotated.key > keys/norot.key; } && chmod 600 keys/norot.key && "
                         "'%s' lookup --index %s --key keys/norot.key inbox/530102.csv >/dev/null 2>err.txt", prov, bin(), idx), 78);
    ck_assert_int_eq(shf("grep -q 'rotation' %s/err.txt", prov), 0);
}
END_TEST

int main(void)
{
    snprintf(prov, sizeof prov, "/tmp/hedui-index-XXXXXX");
    if (!mkdtemp(prov)) return 1;
    if (shf("python3 scripts/gen-province.py %s --households 300 --background-factor 3 --seed 7 >/dev/null 2>&1", prov) ||
        shf("rm -rf %s/keys && '%s' keygen %s/keys >/dev/null", prov, bin(), prov)) {
        fprintf(stderr, "test_index: cannot generate the province\n");
        return 1;
    }
    Suite *s = suite_create("index");
    TCase *t = tcase_create("index");
    tcase_set_timeout(t, 600);
    tcase_add_test(t, lookup_matches_run);
    tcase_add_test(t, index_same_bytes_any_threads_and_memory);
    tcase_add_test(t, index_holds_no_id_and_no_name);
    tcase_add_test(t, bad_index_refused);
    tcase_add_test(t, damaged_source_reaches_lookup);
    tcase_add_test(t, run_writes_the_same_index);
    tcase_add_test(t, providers_and_rotation);
    suite_add_tcase(s, t);
    int rc = td_run(s);
    if (rc == 0 && !getenv("HEDUI_KEEP")) shf("rm -rf %s", prov);
    return rc;
}
