/*
 * test_register.c — the register (SPEC §9, docs/register.md) end to end on
 * a generated province (scripts/gen-province.py, synthetic people):
 *
 *   - three nights: night 1 raises findings; clerks' outcome files are
 *     imported (false_positive, explained with until, confirmed, disputed,
 *     false_positive on a never-suppressed code); night 2 with unchanged
 *     evidence suppresses exactly the false_positive/explained ones; night 3
 *     with one changed balance raises that one again and drops the expired
 *     one. Verdicts, summary counts and the manifest's outcomes digest are
 *     asserted against values worked out here from what was imported;
 *   - outcome import errors (FILE:LINE: CODE per bad row, all or nothing,
 *     a file imported twice refused), the GBK file, the list;
 *   - `register rebuild` gives the same table contents; `.schema` equals
 *     docs/register.md; no name and no ID number anywhere in the register;
 *   - a newer schema (78), a locked register (75) and a full disk (74),
 *     the run directory standing and recorded by the next run;
 *   - strength = lead: an ineligible finding on lead evidence alone is review.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include <openssl/evp.h>
#include "testutil.h"
#include "hedui/batch.h"
#include "hedui/register.h"

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

static const char *bin(void)
{
    const char *b = getenv("HEDUI_BIN");
    return b && *b ? b : "build/hedui";
}

static void province(void)
{
    snprintf(prov, sizeof prov, "/tmp/hedui-register-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(prov));
    ck_assert_int_eq(shf("python3 scripts/gen-province.py %s --households 300 --background-factor 3 --seed 7 >/dev/null 2>&1", prov), 0);
    char keys[4200];
    snprintf(keys, sizeof keys, "%s/keys", prov);
    rmdir(keys);
    hd_error e;
    ck_assert_int_eq(hd_keygen(keys, &e), HD_OK);
}

/* job-<tag>.ini: the province's job with another as_of (and extra lines). */
static const char *job(const char *tag, const char *as_of, const char *extra)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/job-%s.ini", prov, tag);
    ck_assert_int_eq(shf("sed 's/^as_of .*/as_of = %s/' %s/job.ini > %s && printf '%%s' '%s' >> %s",
                         as_of, prov, path, extra ? extra : "", path), 0);
    return path;
}

static int run(const char *jobpath, hd_run_result *r, hd_error *e)
{
    hd_run_opts o = { 0 };
    o.threads = 2;
    int rc = hd_run(jobpath, &o, r, e);
    hd_run_result_free(r);            /* the per-county counts are not used here */
    if (rc != HD_OK && rc != HD_EDAMAGED) fprintf(stderr, "hd_run: %s\n", e->message);
    return rc;
}

/* First column of the first row of a query on db ("" when no row). */
static char *q1(const char *db, const char *sql)
{
    static char out[4096];
    sqlite3 *d;
    ck_assert_int_eq(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *s;
    ck_assert_msg(sqlite3_prepare_v2(d, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(d));
    out[0] = 0;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(d);
    return out;
}

/* Column `col` (0-based) of application `app`'s row in the run directory's
 * households.csv of county cc: county_code, application_id,
 * assistance_type, area_type, members, verdict (5), verdict_zh, reasons (7). */
static void column_of(const char *outdir, const char *cc, const char *app, int col, char *out, size_t cap)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/county/%s/households.csv", outdir, cc);
    char *b = td_slurp(p, NULL);
    char key[128];
    snprintf(key, sizeof key, "\n%s,%s,", cc, app);
    char *l = strstr(b, key);
    ck_assert_msg(l != NULL, "%s not in %s", app, p);
    l++;
    for (int i = 0; i < col; i++) l = strchr(l, ',') + 1;
    size_t n = strcspn(l, ",\n");
    snprintf(out, cap, "%.*s", (int)n, l);
    free(b);
}

/* The verdict of application `app` in the run directory's households.csv of county cc. */
static void verdict_of(const char *outdir, const char *cc, const char *app, char *out, size_t cap)
{
    column_of(outdir, cc, app, 5, out, cap);
}

/* The number after "KEY": in summary.json's "suppressed" object (0 when absent). */
static long suppressed_count(const char *outdir, const char *code)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/summary.json", outdir);
    char *b = td_slurp(p, NULL);
    char *s = strstr(b, "\"suppressed\": {");
    ck_assert_ptr_nonnull(s);
    char *end = strchr(s, '}');
    char key[64];
    snprintf(key, sizeof key, "\"%s\": ", code);
    char *k = strstr(s, key);
    long v = k && k < end ? strtol(k + strlen(key), NULL, 10) : 0;
    free(b);
    return v;
}

static long summary_total_suppressed(const char *outdir)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/summary.json", outdir);
    char *b = td_slurp(p, NULL);
    char *s = strstr(b, "\"suppressed\": {");
    ck_assert_ptr_nonnull(s);
    char *end = strchr(s, '}');
    long total = 0;
    for (char *c = s + strlen("\"suppressed\": {"); c < end; c++)
        if (*c == ':') total += strtol(c + 1, NULL, 10);
    free(b);
    return total;
}

static long verdict_total(const char *outdir, const char *v)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/summary.json", outdir);
    char *b = td_slurp(p, NULL);
    char *s = strstr(b, "\"verdicts\": {");
    ck_assert_ptr_nonnull(s);
    char key[64];
    snprintf(key, sizeof key, "\"%s\": ", v);
    char *k = strstr(s, key);
    ck_assert_ptr_nonnull(k);
    long n = strtol(k + strlen(key), NULL, 10);
    free(b);
    return n;
}

static void manifest_value(const char *outdir, const char *key, char out[65])
{
    char p[4400];
    snprintf(p, sizeof p, "%s/manifest.json", outdir);
    char *b = td_slurp(p, NULL);
    char k[64];
    snprintf(k, sizeof k, "\"%s\": \"", key);
    char *s = strstr(b, k);
    ck_assert_msg(s != NULL, "%s not in manifest", key);
    snprintf(out, 65, "%.64s", s + strlen(k));
    free(b);
}

static void sha256_hex(const char *s, size_t n, char out[65])
{
    unsigned char d[32];
    unsigned int len = 32;
    EVP_Digest(s, n, d, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

/* A finding of night 1 (single finding of its household, so that its
 * household's verdict is decided by it alone). */
typedef struct pick { char id[33], cc[16], app[64]; } pick;

static void pick_one(const char *db, const char *run, const char *code, int nth, const char *evidence_like,
                     pick *p)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "SELECT finding_id || '|' || county_code || '|' || application_id FROM findings f WHERE run = '%s' "
             "AND code = '%s' AND (SELECT count(*) FROM findings g WHERE g.run = f.run AND g.household = f.household) = 1 "
             "%s ORDER BY finding_id LIMIT 1 OFFSET %d", run, code, evidence_like ? evidence_like : "", nth);
    char *r = q1(db, sql);
    ck_assert_msg(*r, "no single %s finding", code);
    ck_assert_int_eq(sscanf(r, "%32[0-9a-f]|%15[^|]|%63s", p->id, p->cc, p->app), 3);
}

/* The evidence column of finding f's row in county/<cc>/findings.csv. */
static char *findings_row(const char *outdir, const pick *f)
{
    char path[4400], key[40];
    snprintf(path, sizeof path, "%s/county/%s/findings.csv", outdir, f->cc);
    char *b = td_slurp(path, NULL);
    snprintf(key, sizeof key, "\nf%s,", f->id);
    char *l = strstr(b, key);
    ck_assert_msg(l != NULL, "f%s not in %s", f->id, path);
    l++;
    size_t n = strcspn(l, "\n");
    char *row = strndup(l, n);
    free(b);
    return row;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* Sorted contents of every table, for comparing two registers. */
static void dump_tables(const char *db, const char *out)
{
    ck_assert_int_eq(shf("sqlite3 -readonly %s \"SELECT * FROM meta ORDER BY key; SELECT * FROM runs ORDER BY run; "
                         "SELECT * FROM households ORDER BY run, household; SELECT * FROM findings ORDER BY run, finding_id; "
                         "SELECT * FROM outcome_files ORDER BY seq; SELECT * FROM outcomes ORDER BY seq, line;\" > %s",
                         db, out), 0);
}

/* 1 when the first fields of a CSV's rows after its header are strictly
 * ascending (bytes; the fields here are lower-case hex, never quoted). */
static int first_fields_ascending(const char *path)
{
    char *text = td_slurp(path, NULL);
    char *line = strchr(text, '\n'), prev[128] = "";
    int ok = line != NULL, rows = 0;
    while (ok && line && line[1]) {
        line++;
        size_t n = strcspn(line, ",\n");
        char cur[128];
        snprintf(cur, sizeof cur, "%.*s", (int)n, line);
        if (rows++ && strcmp(prev, cur) >= 0) ok = 0;
        memcpy(prev, cur, sizeof prev);
        line = strchr(line, '\n');
    }
    free(text);
    return ok && rows > 1;
}

START_TEST(three_nights)
{
    province();
    hd_run_result r1, r2, r3, rr;
    hd_error e;
    char db[4300], out[4300], outdir1[4096], outdir2[4096], outdir3[4096], run1[64], buf[8192];
    snprintf(db, sizeof db, "%s/out/register.db", prov);
    snprintf(out, sizeof out, "%s/out", prov);

    /* night 1 */
    ck_assert_int_eq(run(job("n1", "2026-11-28", NULL), &r1, &e), HD_OK);
    snprintf(outdir1, sizeof outdir1, "%s", r1.outdir);
    snprintf(run1, sizeof run1, "%s", strrchr(r1.outdir, '/') + 1);
    struct stat sb;
    ck_assert_int_eq(stat(db, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 0777, 0600);
    ck_assert_str_eq(q1(db, "PRAGMA journal_mode"), "wal");
    ck_assert_str_eq(q1(db, "PRAGMA user_version"), "2");
    /* the 300 applicant households, and every household of the run with its
     * population (the province also has a roster and a monitor, SPEC §10) */
    snprintf(buf, sizeof buf, "SELECT count(*) FROM households WHERE run = '%s' AND population = 'applicant'", run1);
    ck_assert_str_eq(q1(db, buf), "300");
    snprintf(buf, sizeof buf, "SELECT count(*) FROM households WHERE run = '%s' AND population IN ('recipient', 'monitored')", run1);
    ck_assert_int_eq(strtol(q1(db, buf), NULL, 10) + 300, (long)r1.households);
    ck_assert_int_gt(strtol(q1(db, buf), NULL, 10), 0);
    /* the run's findings in the register are the rows of its register/findings.csv */
    snprintf(buf, sizeof buf, "SELECT count(*) FROM findings WHERE run = '%s'", run1);
    long nf1 = strtol(q1(db, buf), NULL, 10);
    ck_assert_int_gt(nf1, 20);
    char p[4400];
    snprintf(p, sizeof p, "%s/register/findings.csv", outdir1);
    char *fcsv = td_slurp(p, NULL);
    long lines = 0;
    for (char *c = fcsv; *c; c++) lines += *c == '\n';
    ck_assert_int_eq(lines - 1, nf1);
    free(fcsv);
    /* both register files are in the order of the tables' keys (finding id,
     * household token), which the record streams into SQLite */
    ck_assert(first_fields_ascending(p));
    snprintf(p, sizeof p, "%s/register/households.csv", outdir1);
    ck_assert(first_fields_ascending(p));
    ck_assert_int_eq(summary_total_suppressed(outdir1), 0);

    /* what the clerks decide */
    pick fp, ex, ch, conf, disp, arr;
    pick_one(db, run1, "VEHICLE_NON_EXEMPT", 0, NULL, &fp);
    pick_one(db, run1, "INCOME_OVER_STANDARD", 0, NULL, &conf);
    pick_one(db, run1, "BUSINESS_ROLE", 0, NULL, &disp);
    pick_one(db, run1, "APPLICANT_ROW_REJECTED", 0, NULL, &arr);
    /* two single-finding ASSETS households: one whose evidence has a bank-a
     * record (its balance changes on night 3), one other. Finding ids are
     * keyed and every test run makes a new key, so their order is not
     * fixed: look for the bank-a one among them all. */
    snprintf(buf, sizeof buf, "SELECT count(*) FROM findings f WHERE run = '%s' AND code = 'ASSETS_OVER_LIMIT' "
             "AND (SELECT count(*) FROM findings g WHERE g.run = f.run AND g.household = f.household) = 1", run1);
    long nassets = strtol(q1(db, buf), NULL, 10);
    ck_assert_int_ge(nassets, 2);
    int ich = -1;
    for (int i = 0; i < nassets && ich < 0; i++) {
        pick a;
        pick_one(db, run1, "ASSETS_OVER_LIMIT", i, NULL, &a);
        char *row = findings_row(outdir1, &a);
        if (strstr(row, "bank-a extracts/bank-a/")) { ich = i; ch = a; }
        free(row);
    }
    ck_assert_msg(ich >= 0, "none of the %ld single ASSETS_OVER_LIMIT findings has bank-a evidence", nassets);
    pick_one(db, run1, "ASSETS_OVER_LIMIT", ich == 0 ? 1 : 0, NULL, &ex);
    char *chrow = findings_row(outdir1, &ch);
    char *bk = strstr(chrow, "bank-a extracts/bank-a/");
    ck_assert_msg(bk != NULL, "no bank-a evidence for the ASSETS finding to change: %s", chrow);
    char bfile[256];
    long bline = 0;
    ck_assert_int_eq(sscanf(bk, "bank-a %255[^:]:%ld", bfile, &bline), 2);
    free(chrow);
    /* a row as it is in the county file, then the outcome a clerk wrote */
    char v1[32];
    verdict_of(outdir1, fp.cc, fp.app, v1, sizeof v1); ck_assert_str_eq(v1, "INELIGIBLE");
    verdict_of(outdir1, ex.cc, ex.app, v1, sizeof v1); ck_assert_str_eq(v1, "INELIGIBLE");
    verdict_of(outdir1, ch.cc, ch.app, v1, sizeof v1); ck_assert_str_eq(v1, "INELIGIBLE");
    verdict_of(outdir1, arr.cc, arr.app, v1, sizeof v1); ck_assert_str_eq(v1, "REVIEW");
    long elig1 = verdict_total(outdir1, "ELIGIBLE"), inel1 = verdict_total(outdir1, "INELIGIBLE");

    /* one outcome file per finding's county (files are per county); the
     * finding ids as a spreadsheet shows them (f + 32 hex); a GBK file with
     * the Chinese words and the YYYY/M/D date form */
    struct { pick *f; const char *word; const char *until; int gbk; } dec[] = {
        { &fp, "false_positive", "", 0 }, { &ex, "已说明", "2026/11/29", 1 }, { &ch, "误报", "", 0 },
        { &conf, "confirmed", "", 0 }, { &disp, "有异议", "", 1 }, { &arr, "false_positive", "", 0 },
    };
    int ndec = (int)(sizeof dec / sizeof *dec);
    char files[6][4400];
    for (int i = 0; i < ndec; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "finding_id,application_id,code,outcome,note,until\r\n"
                 "f%s,%s,X,%s,checked at home,%s\r\n",
                 dec[i].f->id, dec[i].f->app, dec[i].word, dec[i].until);
        snprintf(files[i], sizeof files[i], "%s/returned-%d.csv", prov, i);
        if (!dec[i].gbk) {
            write_text(files[i], text);
        } else {
            char tmp[4500];
            snprintf(tmp, sizeof tmp, "%s.utf8", files[i]);
            write_text(tmp, text);
            ck_assert_int_eq(shf("iconv -f UTF-8 -t GBK %s > %s", tmp, files[i]), 0);
        }
    }
    /* a file with bad rows stores nothing and names every bad row */
    char badf[4400], other[33];
    snprintf(badf, sizeof badf, "%s/bad.csv", prov);
    snprintf(buf, sizeof buf, "SELECT finding_id FROM findings WHERE run = '%s' AND county_code <> '%s' ORDER BY finding_id LIMIT 1",
             run1, conf.cc);
    snprintf(other, sizeof other, "%s", q1(db, buf));
    ck_assert_int_eq(strlen(other), 32);
    snprintf(buf, sizeof buf,
             "finding_id,outcome,until\n"
             "f%s,confirmed,\n"                  /* line 2: good */
             "f0123456789abcdef0123456789abcdef,confirmed,\n"   /* 3: unknown id */
             "f%s,maybe,\n"                      /* 4: unknown word */
             "f%s,explained,2026-13-45\n"        /* 5: no date */
             "f%s,confirmed,\n",                 /* 6: another county */
             conf.id, conf.id, conf.id, other);
    write_text(badf, buf);
    char errf[4400];
    snprintf(errf, sizeof errf, "%s/import.err", prov);
    ck_assert_int_eq(shf("%s outcome import --register %s --by clerk-7 %s 2>%s >/dev/null", bin(), db, badf, errf), 65);
    char *msg = td_slurp(errf, NULL);
    snprintf(buf, sizeof buf, "%s:3: UNKNOWN_FINDING", badf);   ck_assert_msg(strstr(msg, buf), "%s", msg);
    snprintf(buf, sizeof buf, "%s:4: UNKNOWN_OUTCOME", badf);   ck_assert_msg(strstr(msg, buf), "%s", msg);
    snprintf(buf, sizeof buf, "%s:5: DATE", badf);              ck_assert_msg(strstr(msg, buf), "%s", msg);
    snprintf(buf, sizeof buf, "%s:6: OTHER_COUNTY", badf);      ck_assert_msg(strstr(msg, buf), "%s", msg);
    snprintf(buf, sizeof buf, "%s:2:", badf);                   ck_assert_msg(!strstr(msg, buf), "%s", msg);
    free(msg);
    ck_assert_str_eq(q1(db, "SELECT count(*) FROM outcomes"), "0");
    ck_assert_str_eq(q1(db, "SELECT count(*) FROM outcome_files"), "0");

    /* the good files, in order (seq 1..6, each outcome on line 2) */
    for (int i = 0; i < ndec; i++)
        ck_assert_int_eq(shf("%s outcome import -q --register %s --by clerk-7 %s", bin(), db, files[i]), 0);
    ck_assert_str_eq(q1(db, "SELECT count(*) FROM outcomes"), "6");
    /* the same bytes again: refused */
    ck_assert_int_eq(shf("%s outcome import -q --register %s --by clerk-7 %s 2>%s", bin(), db, files[0], errf), 65);
    msg = td_slurp(errf, NULL);
    ck_assert_msg(strstr(msg, "already imported"), "%s", msg);
    free(msg);
    ck_assert_str_eq(q1(db, "SELECT count(*) FROM outcomes"), "6");
    /* kept under OUTPUT/outcomes/<sha256>.csv */
    char sha[65];
    char *fb = td_slurp(files[0], NULL);
    sha256_hex(fb, strlen(fb), sha);
    free(fb);
    snprintf(p, sizeof p, "%s/outcomes/%s.csv", out, sha);
    ck_assert_int_eq(stat(p, &sb), 0);
    snprintf(buf, sizeof buf, "SELECT outcome || '|' || until FROM outcomes WHERE finding_id = '%s'", ex.id);
    ck_assert_str_eq(q1(db, buf), "explained|2026-11-29");
    /* outcome list: the finding's history */
    snprintf(p, sizeof p, "%s/list.out", prov);
    ck_assert_int_eq(shf("%s outcome list --register %s f%s > %s", bin(), db, fp.id, p), 0);
    msg = td_slurp(p, NULL);
    snprintf(buf, sizeof buf, "f%s\tfalse_positive\t", fp.id);
    ck_assert_msg(strstr(msg, buf) && strstr(msg, "clerk-7") && strstr(msg, sha), "%s", msg);
    free(msg);

    /* a new outcome is a new snapshot: night 1 again gives a new directory without --force */
    ck_assert_int_eq(run(job("n1", "2026-11-28", NULL), &rr, &e), HD_OK);
    ck_assert_int_eq(rr.reused, 0);
    ck_assert_str_ne(rr.outdir, outdir1);

    /* night 2: nothing changed but the date */
    ck_assert_int_eq(run(job("n2", "2026-11-29", NULL), &r2, &e), HD_OK);
    snprintf(outdir2, sizeof outdir2, "%s", r2.outdir);
    char v[32];
    verdict_of(outdir2, fp.cc, fp.app, v, sizeof v);   ck_assert_str_eq(v, "ELIGIBLE");
    verdict_of(outdir2, ex.cc, ex.app, v, sizeof v);   ck_assert_str_eq(v, "ELIGIBLE");
    verdict_of(outdir2, ch.cc, ch.app, v, sizeof v);   ck_assert_str_eq(v, "ELIGIBLE");
    verdict_of(outdir2, conf.cc, conf.app, v, sizeof v); ck_assert_str_eq(v, "INELIGIBLE");
    verdict_of(outdir2, disp.cc, disp.app, v, sizeof v); ck_assert_str_eq(v, "INELIGIBLE");
    verdict_of(outdir2, arr.cc, arr.app, v, sizeof v);   ck_assert_str_eq(v, "REVIEW");
    ck_assert_int_eq(suppressed_count(outdir2, "VEHICLE_NON_EXEMPT"), 1);
    ck_assert_int_eq(suppressed_count(outdir2, "ASSETS_OVER_LIMIT"), 2);
    ck_assert_int_eq(summary_total_suppressed(outdir2), 3);
    ck_assert_uint_eq(r2.suppressed, 3);
    ck_assert_int_eq(verdict_total(outdir2, "ELIGIBLE"), elig1 + 3);
    ck_assert_int_eq(verdict_total(outdir2, "INELIGIBLE"), inel1 - 3);
    /* suppressed rows stand apart in findings.csv with their outcome and date */
    char *row = findings_row(outdir2, &fp);
    ck_assert_msg(strstr(row, ",suppressed,false_positive 20"), "%s", row);
    free(row);
    row = findings_row(outdir2, &ex);
    ck_assert_msg(strstr(row, ",suppressed,explained 20") && strstr(row, "until 2026-11-29"), "%s", row);
    free(row);
    row = findings_row(outdir2, &conf);
    ck_assert_msg(strstr(row, ",raised,"), "%s", row);
    free(row);
    /* the 核查结果 sheet of the county's workbook holds the same rows */
    ck_assert_int_eq(shf("python3 - %s/county/%s/results.xlsx f%s <<'EOF'\n"
                         "import re, sys, zipfile\n"
                         "z = zipfile.ZipFile(sys.argv[1])\n"
                         "wb = z.read('xl/workbook.xml').decode()\n"
                         "names = re.findall(r'<sheet name=\"([^\"]+)\"', wb)\n"
                         "assert names[-1] == '核查结果', names\n"
                         "sheet = z.read('xl/worksheets/sheet%%d.xml' %% len(names)).decode()\n"
                         "assert 'xl/sharedStrings.xml' not in z.namelist()\n"
                         "used = set(re.findall(r'<c [^>]*t=\"inlineStr\"[^>]*><is><t[^>]*>([^<]*)</t></is></c>', sheet))\n"
                         "assert sys.argv[2] in used and 'suppressed' in used and 'finding_id' in used, sorted(used)[:20]\n"
                         "EOF", outdir2, fp.cc, fp.id), 0);
    /* members.csv: the suppressed evidence stands apart, not among the member's findings */
    {
        snprintf(p, sizeof p, "%s/county/%s/members.csv", outdir2, fp.cc);
        char *mcsv = td_slurp(p, NULL);
        char key[128];
        snprintf(key, sizeof key, "\n%s,%s,", fp.cc, fp.app);
        char *l = strstr(mcsv, "[suppressed VEHICLE_NON_EXEMPT (false_positive 20");
        ck_assert_msg(l != NULL && strstr(mcsv, key) != NULL, "no suppressed evidence in %s", p);
        free(mcsv);
        snprintf(p, sizeof p, "%s/audit/findings.jsonl", outdir2);
        char *aud = td_slurp(p, NULL);
        char *a = strstr(aud, fp.id);
        ck_assert_ptr_nonnull(a);
        char *nl = strchr(a, '\n');
        *nl = 0;
        ck_assert_msg(strstr(a, "\"state\":\"suppressed\"") && strstr(a, "\"outcome\":\"false_positive\""), "%s", a);
        ck_assert_ptr_null(strstr(aud, fp.app));        /* no application id in audit/ */
        free(aud);
    }
    /* the manifest's outcomes digest: the three applied outcomes, in the
     * run's output order, each "id TAB seq TAB line TAB outcome TAB until" */
    {
        struct { pick *f; int seq; const char *oc, *until; } ap[3] = {
            { &fp, 1, "false_positive", "" }, { &ex, 2, "explained", "2026-11-29" }, { &ch, 3, "false_positive", "" } };
        /* "in output order" (docs/register.md): the order of
         * audit/findings.jsonl (register/findings.csv is in id order) */
        snprintf(p, sizeof p, "%s/audit/findings.jsonl", outdir2);
        char *f2 = td_slurp(p, NULL);
        char *pos[3];
        for (int i = 0; i < 3; i++) { pos[i] = strstr(f2, ap[i].f->id); ck_assert_ptr_nonnull(pos[i]); }
        char lines3[1024] = "";
        for (int k = 0; k < 3; k++) {
            int best = -1;
            for (int i = 0; i < 3; i++)
                if (pos[i] && (best < 0 || pos[i] < pos[best])) best = i;
            char l[256];
            snprintf(l, sizeof l, "%s\t%d\t2\t%s\t%s\n", ap[best].f->id, ap[best].seq, ap[best].oc, ap[best].until);
            strcat(lines3, l);
            pos[best] = NULL;
        }
        free(f2);
        char want[65], got[65];
        sha256_hex(lines3, strlen(lines3), want);
        manifest_value(outdir2, "outcomes_applied", got);
        ck_assert_str_eq(got, want);
        manifest_value(outdir1, "outcomes_applied", got);
        sha256_hex("", 0, want);
        ck_assert_str_eq(got, want);
    }
    char snap1[65], snap2[65];
    manifest_value(outdir1, "register_snapshot", snap1);
    manifest_value(outdir2, "register_snapshot", snap2);
    ck_assert_str_ne(snap1, snap2);

    /* night 3: one balance of the changed household's evidence is one yuan more */
    ck_assert_int_eq(shf("cd %s && python3 - '%s' %ld <<'EOF'\n"
                         "import csv, io, subprocess, sys\n"
                         "path, line = sys.argv[1], int(sys.argv[2])\n"
                         "raw = subprocess.run(['zstd', '-dc', path], check=True, capture_output=True).stdout.decode('gbk')\n"
                         "rows = raw.split('\\n')\n"
                         "f = next(csv.reader([rows[line - 1]]))\n"
                         "f[5] = '%%.2f' %% (float(f[5].replace(',', '')) + 1)\n"
                         "o = io.StringIO(); csv.writer(o, lineterminator='').writerow(f)\n"
                         "rows[line - 1] = o.getvalue()\n"
                         "subprocess.run(['zstd', '-q', '-f', '-o', path], input='\\n'.join(rows).encode('gbk'), check=True)\n"
                         "EOF", prov, bfile, bline), 0);
    ck_assert_int_eq(run(job("n3", "2026-11-30", NULL), &r3, &e), HD_OK);
    snprintf(outdir3, sizeof outdir3, "%s", r3.outdir);
    verdict_of(outdir3, fp.cc, fp.app, v, sizeof v);   ck_assert_str_eq(v, "ELIGIBLE");
    verdict_of(outdir3, ex.cc, ex.app, v, sizeof v);   ck_assert_str_eq(v, "INELIGIBLE");   /* until passed */
    verdict_of(outdir3, ch.cc, ch.app, v, sizeof v);   ck_assert_str_eq(v, "INELIGIBLE");   /* evidence changed */
    ck_assert_int_eq(suppressed_count(outdir3, "VEHICLE_NON_EXEMPT"), 1);
    ck_assert_int_eq(suppressed_count(outdir3, "ASSETS_OVER_LIMIT"), 0);
    ck_assert_int_eq(summary_total_suppressed(outdir3), 1);
    ck_assert_uint_eq(r3.suppressed, 1);
    ck_assert_int_eq(verdict_total(outdir3, "ELIGIBLE"), elig1 + 1);
    ck_assert_int_eq(verdict_total(outdir3, "INELIGIBLE"), inel1 - 1);
    /* the same finding id, another evidence digest */
    snprintf(buf, sizeof buf, "SELECT count(DISTINCT evidence_digest) FROM findings WHERE finding_id = '%s'", ch.id);
    ck_assert_str_eq(q1(db, buf), "2");
    snprintf(buf, sizeof buf, "SELECT count(DISTINCT evidence_digest) FROM findings WHERE finding_id = '%s'", ex.id);
    ck_assert_str_eq(q1(db, buf), "1");
    snprintf(buf, sizeof buf, "SELECT group_concat(state, ',') FROM (SELECT f.state FROM findings f JOIN runs r ON r.run = f.run "
                              "WHERE finding_id = '%s' AND r.as_of > '2026-11-28' ORDER BY r.as_of)", fp.id);
    ck_assert_str_eq(q1(db, buf), "suppressed,suppressed");

    /* rebuild: the same table contents */
    char reb[4400], d1[4400], d2[4400];
    snprintf(reb, sizeof reb, "%s/rebuilt.db", prov);
    snprintf(d1, sizeof d1, "%s/nightly.txt", prov);
    snprintf(d2, sizeof d2, "%s/rebuilt.txt", prov);
    ck_assert_int_eq(shf("%s register rebuild -q --register %s %s", bin(), reb, out), 0);
    dump_tables(db, d1);
    dump_tables(reb, d2);
    ck_assert_int_eq(shf("cmp -s %s %s", d1, d2), 0);
    ck_assert_int_eq(shf("test $(wc -l < %s) -gt 1000", d1), 0);
    /* in place, over the nightly register: the same again */
    ck_assert_int_eq(shf("%s register rebuild -q %s", bin(), out), 0);
    dump_tables(db, d2);
    ck_assert_int_eq(shf("cmp -s %s %s", d1, d2), 0);

    /* `.schema` is what docs/register.md shows */
    snprintf(p, sizeof p, "%s/schema.txt", prov);
    ck_assert_int_eq(shf("sqlite3 -readonly %s .schema > %s", db, p), 0);
    snprintf(buf, sizeof buf, "%s/doc-schema.txt", prov);
    ck_assert_int_eq(shf("sed -n '/^```sql$/,/^```$/p' docs/register.md | sed '1d;$d' > %s", buf), 0);
    ck_assert_msg(shf("cmp -s %s %s", p, buf) == 0, "sqlite3 .schema differs from docs/register.md");

    /* no name and no ID number in the register: every applicant's and every
     * extract's, searched in the dump and in the database file's bytes */
    ck_assert_int_eq(shf("sqlite3 -readonly %s .dump > %s/dump.sql", db, prov), 0);
    ck_assert_int_eq(shf("cd %s && python3 - <<'EOF'\n"
                         "import csv, glob, io, re, subprocess, sys\n"
                         "dump = open('dump.sql', encoding='utf-8').read()\n"
                         "raw = open('out/register.db', 'rb').read()\n"
                         "ids, names = set(), set()\n"
                         "for f in glob.glob('inbox/*.csv'):\n"
                         "    t = open(f, 'rb').read()\n"
                         "    try: t = t.decode('utf-8-sig')\n"
                         "    except UnicodeDecodeError: t = t.decode('gb18030')\n"
                         "    for row in csv.reader(io.StringIO(t)):\n"
                         "        for c in row:\n"
                         "            c = c.strip()\n"
                         "            if re.fullmatch(r'[0-9]{17}[0-9Xx]|[0-9]{15}', c): ids.add(c)\n"
                         "            elif re.fullmatch(r'[\\u4e00-\\u9fff\\u00b7]{2,5}', c): names.add(c)\n"
                         "assert len(ids) > 500 and len(names) > 100, (len(ids), len(names))\n"
                         "bad = [x for x in ids if x in dump or x.encode() in raw]\n"
                         "bad += [x for x in names if len(x) >= 2 and (('\\'' + x + '\\'') in dump or (',' + x + ',') in dump)]\n"
                         "bad += [x for x in names if len(x) >= 3 and (x.encode() in raw or x.encode('gb18030') in raw)]\n"
                         "sys.exit(1 if bad else 0)\n"
                         "EOF", prov), 0);
}
END_TEST

START_TEST(register_faults)
{
    province();
    hd_run_result r;
    hd_error e;
    char db[4300], p[4400];
    snprintf(db, sizeof db, "%s/out/register.db", prov);
    /* a full disk: 74, the run directory stands, the next run records it */
    char shim[4400];
    snprintf(shim, sizeof shim, "%s/faultshim.so", prov);
    ck_assert_int_eq(shf("cc -shared -fPIC -Wall -Wextra -o %s tests/faultshim.c -ldl", shim), 0);
    const char *j = job("f", "2026-11-28", NULL);
    snprintf(p, sizeof p, "%s/full.err", prov);
    ck_assert_int_eq(shf("cd %s && ASAN_OPTIONS=verify_asan_link_order=0 HEDUI_FAULT_WDIR=%s LD_PRELOAD=%s %s run -q %s 2>%s",
                         prov, db, shim, bin(), j, p), 74);
    char *msg = td_slurp(p, NULL);
    ck_assert_msg(strstr(msg, "register") && strstr(msg, "stands"), "%s", msg);
    free(msg);
    ck_assert_int_eq(run(j, &r, &e), HD_OK);
    ck_assert_int_eq(r.reused, 1);
    const char *rname = strrchr(r.outdir, '/') + 1;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM households WHERE run = '%s' AND population = 'applicant'", rname);
    ck_assert_str_eq(q1(db, sql), "300");

    /* locked by another process: 75; the directory stands; recorded later */
    const char *j2 = job("g", "2026-11-29", NULL);
    sqlite3 *lock;
    ck_assert_int_eq(sqlite3_open(db, &lock), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
    int rc = run(j2, &r, &e);
    ck_assert_int_eq(rc, HD_ETEMPFAIL);
    struct stat sb;
    ck_assert_int_eq(stat(r.outdir, &sb), 0);
    ck_assert_int_eq(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(lock);
    ck_assert_int_eq(run(j2, &r, &e), HD_OK);
    ck_assert_int_eq(r.reused, 1);
    ck_assert_str_eq(q1(db, "SELECT count(*) FROM runs"), "2");

    /* a register of a newer schema: 78, before any work */
    ck_assert_int_eq(shf("sqlite3 %s 'PRAGMA user_version = 3'", db), 0);
    rc = run(job("h", "2026-11-30", NULL), &r, &e);
    ck_assert_int_eq(rc, HD_ECONFIG);
    ck_assert_msg(strstr(e.message, "newer"), "%s", e.message);
    ck_assert_int_eq(shf("%s outcome list --register %s >/dev/null 2>&1", bin(), db), 78);
}
END_TEST

START_TEST(lead_evidence_alone_is_review)
{
    province();
    hd_run_result r, rl;
    hd_error e;
    ck_assert_int_eq(run(job("v", "2026-11-28", NULL), &r, &e), HD_OK);
    char db[4300], sql[1024];
    snprintf(db, sizeof db, "%s/out/register.db", prov);
    const char *run1 = strrchr(r.outdir, '/') + 1;
    pick veh, multi;
    pick_one(db, run1, "VEHICLE_NON_EXEMPT", 0, NULL, &veh);
    /* a household with an ASSETS finding, to see that a verified source keeps it ineligible */
    pick_one(db, run1, "ASSETS_OVER_LIMIT", 0, NULL, &multi);
    /* the vehicle registry becomes a lead source */
    char o[4400];
    snprintf(o, sizeof o, "%s/out-lead", prov);
    const char *j = job("l", "2026-11-28", "");
    ck_assert_int_eq(shf("sed -i 's#^output .*#output = out-lead/#; /^\\[source \"vehicle\"\\]/a strength = lead' %s", j), 0);
    ck_assert_int_eq(run(j, &rl, &e), HD_OK);
    char v[32];
    verdict_of(rl.outdir, veh.cc, veh.app, v, sizeof v);
    ck_assert_str_eq(v, "REVIEW");
    verdict_of(rl.outdir, multi.cc, multi.app, v, sizeof v);
    ck_assert_str_eq(v, "INELIGIBLE");
    char ldb[4400];
    snprintf(ldb, sizeof ldb, "%s/register.db", o);
    snprintf(sql, sizeof sql, "SELECT strength || '|' || outcome FROM findings WHERE finding_id = '%s'", veh.id);
    ck_assert_str_eq(q1(ldb, sql), "lead|review");
    snprintf(sql, sizeof sql, "SELECT strength || '|' || outcome FROM findings WHERE finding_id = '%s'", multi.id);
    ck_assert_str_eq(q1(ldb, sql), "verified|ineligible");
    char *row = findings_row(rl.outdir, &veh);
    ck_assert_msg(strstr(row, ",lead,"), "%s", row);
    free(row);
}
END_TEST

/* A register of version 1 (the schema of docs/register.md before
 * runs.recorded, written here by sqlite3 itself) is taken to version 2 when
 * hedui opens it: its runs keep their rows with recorded 0, and `.schema`
 * then prints exactly what docs/register.md shows. */
START_TEST(migrates_version_1)
{
    char dir[] = "/tmp/hedui-migrate-XXXXXX", root[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_ptr_nonnull(getcwd(root, sizeof root));
    ck_assert_int_eq(shf("cd %s && sed -n '/^```sql$/,/^```$/p' %s/docs/register.md | sed '1d;$d' | "
                         "sed 's/, recorded INTEGER NOT NULL DEFAULT 0)/)/' > v1.sql && grep -c recorded v1.sql | grep -qx 0 && "
                         "sqlite3 r.db < v1.sql && sqlite3 r.db \"PRAGMA user_version = 1; INSERT INTO runs VALUES "
                         "('2026-11-28-aaaaaaaaaaaa', '2026-11-28', 'd', 'p', 'k', 's', 'o', 1, 0)\"", dir, root), 0);
    char db[256];
    snprintf(db, sizeof db, "%s/r.db", dir);
    ck_assert_int_eq(shf("%s outcome list --register %s f00000000000000000000000000000000 >/dev/null 2>&1", bin(), db), 0);
    ck_assert_str_eq(q1(db, "PRAGMA user_version"), "2");
    ck_assert_str_eq(q1(db, "SELECT run || ' ' || recorded FROM runs"), "2026-11-28-aaaaaaaaaaaa 0");
    ck_assert_int_eq(shf("cd %s && sqlite3 -readonly r.db .schema > now.txt && sed -n '/^```sql$/,/^```$/p' "
                         "%s/docs/register.md | sed '1d;$d' | cmp -s - now.txt", dir, root), 0);
    shf("rm -rf %s", dir);
}
END_TEST

/* The reasons column of application `app` in households.csv of county cc. */
static void reasons_of(const char *outdir, const char *cc, const char *app, char *out, size_t cap)
{
    column_of(outdir, cc, app, 7, out, cap);
}

/* rows_quarantined_matched of the death extract in summary.json */
static long death_quarantined_matched(const char *outdir)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/summary.json", outdir);
    char *b = td_slurp(p, NULL);
    char *s = strstr(b, "\"source\": \"death\"");
    ck_assert_ptr_nonnull(s);
    char *k = strstr(s, "\"rows_quarantined_matched\": ");
    ck_assert_ptr_nonnull(k);
    long v = strtol(k + strlen("\"rows_quarantined_matched\": "), NULL, 10);
    free(b);
    return v;
}

/* SPEC §9 near misses: tests/near_plant.py appends to the death extract one
 * row per kind of ID typo (a substitution in the division code, the birth
 * date, the sequence, the check character; an adjacent swap; the same name
 * in another written form) with the member's name, and one with another
 * name; each planted household was ELIGIBLE with no reason (the
 * generator's ground truth, and the run before the plants). */
START_TEST(near_misses)
{
    province();
    hd_run_result r0, r1, r2;
    hd_error e;
    char db[4300], buf[8192];
    snprintf(db, sizeof db, "%s/out/register.db", prov);
    const char *j0 = job("base", "2026-11-28", "");
    ck_assert_int_eq(shf("sed -i 's#^output .*#output = out-base/#' %s", j0), 0);
    ck_assert_int_eq(run(j0, &r0, &e), HD_OK);
    long base_matched = death_quarantined_matched(r0.outdir);

    char plants[4400];
    snprintf(plants, sizeof plants, "%s/plants.txt", prov);
    ck_assert_int_eq(shf("python3 tests/near_plant.py %s > %s", prov, plants), 0);
    struct { char kind[16], cc[16], app[64], expect[16], rowid[24]; } pl[8];
    int np = 0;
    FILE *f = fopen(plants, "r");
    ck_assert_ptr_nonnull(f);
    while (np < 8 && fscanf(f, "%15s %15s %63s %15s %23s", pl[np].kind, pl[np].cc, pl[np].app, pl[np].expect,
                            pl[np].rowid) == 5) np++;
    fclose(f);
    ck_assert_int_eq(np, 7);
    for (int i = 0; i < np; i++) {
        char v[32];
        verdict_of(r0.outdir, pl[i].cc, pl[i].app, v, sizeof v);
        ck_assert_str_eq(v, "ELIGIBLE");
    }

    ck_assert_int_eq(run(job("n1", "2026-11-28", NULL), &r1, &e), HD_OK);
    const char *run1 = strrchr(r1.outdir, '/') + 1;
    int near = 0;
    for (int i = 0; i < np; i++) {
        char v[32], why[256];
        int want = !strcmp(pl[i].expect, "NEAR_MISS");
        near += want;
        verdict_of(r1.outdir, pl[i].cc, pl[i].app, v, sizeof v);
        reasons_of(r1.outdir, pl[i].cc, pl[i].app, why, sizeof why);
        ck_assert_msg(!strcmp(v, want ? "REVIEW" : "ELIGIBLE"), "%s: %s", pl[i].kind, v);
        ck_assert_msg(!strcmp(why, want ? "NEAR_MISS" : ""), "%s: reasons %s", pl[i].kind, why);
        /* the register: one NEAR_MISS finding, always lead, review */
        snprintf(buf, sizeof buf, "SELECT count(*) || '|' || ifnull(min(strength), '') || '|' || ifnull(min(outcome), '') || '|' || ifnull(min(source), '') "
                 "FROM findings WHERE run = '%s' AND county_code = '%s' AND application_id = '%s' AND code = 'NEAR_MISS'",
                 run1, pl[i].cc, pl[i].app);
        ck_assert_str_eq(q1(db, buf), want ? "1|lead|review|death" : "0|||");
        if (!want) continue;
        /* findings.csv: the masked row ID, never the whole of it */
        pick fnd;
        snprintf(buf, sizeof buf, "SELECT finding_id FROM findings WHERE run = '%s' AND application_id = '%s' AND code = 'NEAR_MISS'",
                 run1, pl[i].app);
        snprintf(fnd.id, sizeof fnd.id, "%s", q1(db, buf));
        snprintf(fnd.cc, sizeof fnd.cc, "%s", pl[i].cc);
        snprintf(fnd.app, sizeof fnd.app, "%s", pl[i].app);
        char *row = findings_row(r1.outdir, &fnd);
        char masked[24];
        snprintf(masked, sizeof masked, "%.6s********%.4s", pl[i].rowid, pl[i].rowid + 14);
        ck_assert_msg(strstr(row, "NEAR_MISS: death extracts/death/") && strstr(row, masked) && strstr(row, ",lead,"),
                      "%s: %s", pl[i].kind, row);
        ck_assert_msg(!strstr(row, pl[i].rowid), "%s: the whole ID in %s", pl[i].kind, row);
        free(row);
    }
    ck_assert_int_eq(near, 6);
    /* each near-miss row counts as a quarantined row of a member; the other name does not */
    ck_assert_int_eq(death_quarantined_matched(r1.outdir), base_matched + 6);
    snprintf(buf, sizeof buf, "SELECT count(*) FROM findings WHERE run = '%s' AND code = 'NEAR_MISS'", run1);
    ck_assert_str_eq(q1(db, buf), "6");

    /* the register handles it like any finding, and the clerks return the
     * workbook (results.xlsx, sheet 核查结果; tests/xlsx_fill.py fills it as
     * a spreadsheet stores it: inline strings, a typed date as a serial):
     * false_positive and explained until 2026-12-31 suppress it */
    char fid[3][40], wbk[3][4400], rows[3][32];
    const char *fill[3] = { "false_positive", "已说明@2026-12-31", "maybe" };
    for (int i = 0; i < 3; i++) {
        snprintf(buf, sizeof buf, "SELECT finding_id FROM findings WHERE run = '%s' AND application_id = '%s' AND code = 'NEAR_MISS'",
                 run1, pl[i].app);
        snprintf(fid[i], sizeof fid[i], "%s", q1(db, buf));
        snprintf(wbk[i], sizeof wbk[i], "%s/returned-%d.xlsx", prov, i);
        char rowf[4500];
        snprintf(rowf, sizeof rowf, "%s.row", wbk[i]);
        ck_assert_int_eq(shf("python3 tests/xlsx_fill.py %s/county/%s/results.xlsx %s f%s=%s > %s", r1.outdir, pl[i].cc,
                             wbk[i], fid[i], fill[i], rowf), 0);
        char *rb = td_slurp(rowf, NULL);
        snprintf(rows[i], sizeof rows[i], "%.*s", (int)strcspn(rb, "\n"), rb);
        free(rb);
        ck_assert_int_gt(atoi(rows[i]), 2);         /* under the code and title rows */
    }
    /* a bad row of a workbook: FILE:ROW (the row the spreadsheet shows), nothing stored */
    char errf[4400];
    snprintf(errf, sizeof errf, "%s/wb.err", prov);
    ck_assert_int_eq(shf("%s outcome import --register %s --by clerk-9 %s 2>%s >/dev/null", bin(), db, wbk[2], errf), 65);
    char *msg = td_slurp(errf, NULL);
    snprintf(buf, sizeof buf, "%s:%s: UNKNOWN_OUTCOME", wbk[2], rows[2]);
    ck_assert_msg(strstr(msg, buf), "%s", msg);
    free(msg);
    /* a zip that is no workbook */
    char notwb[4400];
    snprintf(notwb, sizeof notwb, "%s/not.xlsx", prov);
    ck_assert_int_eq(shf("python3 -c \"import zipfile; zipfile.ZipFile('%s', 'w').writestr('a.txt', 'x')\"", notwb), 0);
    ck_assert_int_eq(shf("%s outcome import --register %s --by clerk-9 %s 2>%s >/dev/null", bin(), db, notwb, errf), 65);
    msg = td_slurp(errf, NULL);
    snprintf(buf, sizeof buf, "%s:1: NOT_WORKBOOK", notwb);
    ck_assert_msg(strstr(msg, buf), "%s", msg);
    free(msg);
    ck_assert_str_eq(q1(db, "SELECT count(*) FROM outcomes"), "0");
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(shf("%s outcome import -q --register %s --by clerk-9 %s", bin(), db, wbk[i]), 0);
    snprintf(buf, sizeof buf, "SELECT group_concat(outcome || '|' || until || '|' || line, ';') FROM "
             "(SELECT * FROM outcomes WHERE finding_id IN ('%s', '%s') ORDER BY seq)", fid[0], fid[1]);
    char want[200];
    snprintf(want, sizeof want, "false_positive||%s;explained|2026-12-31|%s", rows[0], rows[1]);
    ck_assert_str_eq(q1(db, buf), want);
    /* kept as <sha256>.xlsx for register rebuild */
    ck_assert_str_eq(q1(db, "SELECT count(*) FROM outcome_files"), "2");
    ck_assert_int_eq(shf("ls %s/out/outcomes/*.xlsx 2>/dev/null | wc -l | grep -qx 2", prov), 0);
    ck_assert_int_eq(run(job("n2", "2026-11-29", NULL), &r2, &e), HD_OK);
    char v[32];
    verdict_of(r2.outdir, pl[0].cc, pl[0].app, v, sizeof v);
    ck_assert_str_eq(v, "ELIGIBLE");
    verdict_of(r2.outdir, pl[1].cc, pl[1].app, v, sizeof v);
    ck_assert_str_eq(v, "ELIGIBLE");
    verdict_of(r2.outdir, pl[2].cc, pl[2].app, v, sizeof v);
    ck_assert_str_eq(v, "REVIEW");
    ck_assert_int_eq(suppressed_count(r2.outdir, "NEAR_MISS"), 2);
    ck_assert_int_eq(summary_total_suppressed(r2.outdir), 2);
    /* register rebuild imports the kept workbooks to the same rows */
    char d1[4400], d2[4400], rb[4400];
    snprintf(d1, sizeof d1, "%s/tables-nightly.txt", prov);
    snprintf(d2, sizeof d2, "%s/tables-rebuilt.txt", prov);
    dump_tables(db, d1);
    snprintf(rb, sizeof rb, "%s/out", prov);
    ck_assert_int_eq(shf("%s register rebuild %s >/dev/null 2>&1", bin(), rb), 0);
    dump_tables(db, d2);
    ck_assert_int_eq(shf("cmp -s %s %s", d1, d2), 0);
}
END_TEST

START_TEST(finding_id_is_the_spec_hmac)
{
    /* HMAC-SHA256(key, "hedui:v2:finding:H:CODE:-:-:-"), first 32 hex, worked
     * out with openssl dgst from the same key bytes */
    unsigned char key[32];
    for (int i = 0; i < 32; i++) key[i] = (unsigned char)i;
    char id[33];
    hd_finding_id(key, "aa", "INCOME_OVER_STANDARD", NULL, NULL, NULL, id);
    char cmd[512], want[80] = "";
    snprintf(cmd, sizeof cmd, "printf '%%s' 'hedui:v2:finding:aa:INCOME_OVER_STANDARD:-:-:-' | "
             "openssl dgst -sha256 -mac HMAC -macopt hexkey:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
             "| sed 's/.*= //' | cut -c1-32");
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(want, sizeof want, f));
    pclose(f);
    want[strcspn(want, "\n")] = 0;
    ck_assert_str_eq(id, want);
    /* the register key: HKDF-SHA256(master, salt = key id, info = hedui:v2:register) */
    hd_key mk;
    memset(&mk, 0, sizeof mk);
    snprintf(mk.id, sizeof mk.id, "k0123");
    for (int i = 0; i < 32; i++) mk.bytes[i] = (unsigned char)(0xa0 + i);
    unsigned char rk[32];
    hd_register_key(&mk, rk);
    char got[65];
    for (int i = 0; i < 32; i++) sprintf(got + 2 * i, "%02x", rk[i]);
    f = popen("openssl kdf -keylen 32 -kdfopt digest:SHA256 "
              "-kdfopt hexkey:a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf "
              "-kdfopt salt:k0123 -kdfopt info:hedui:v2:register HKDF | tr -d ':\\n' | tr 'A-F' 'a-f'", "r");
    ck_assert_ptr_nonnull(f);
    char hk[100] = "";
    ck_assert_ptr_nonnull(fgets(hk, sizeof hk, f));
    pclose(f);
    ck_assert_str_eq(got, hk);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("register");
    TCase *tc = tcase_create("register");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, finding_id_is_the_spec_hmac);
    tcase_add_test(tc, three_nights);
    tcase_add_test(tc, migrates_version_1);
    tcase_add_test(tc, register_faults);
    tcase_add_test(tc, lead_evidence_alone_is_review);
    tcase_add_test(tc, near_misses);
    suite_add_tcase(s, tc);
    return td_run(s);
}
