/*
 * test_evidence.c — SPEC §7 "Evidence completeness" through the whole
 * batch (hedui run) on a generated province: no household may come out
 * ELIGIBLE (符合) on missing, empty or unreadable evidence. Each case is
 * one of issue 9's bullets; expected verdicts, reason codes and exit
 * statuses are worked out by hand from SPEC §4, §6 and §7.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "testutil.h"

static char prov[4096];
static const char *HDR = "申请编号,区县代码,城乡类别,成员序号,身份证号码,姓名,与申请人关系,救助类型,申报月收入,申请日期,残疾等级\n";

/* GB 11643 check character, written here independently of engine/ident. */
static char check_char(const char *body17)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int s = 0;
    for (int i = 0; i < 17; i++) s += (body17[i] - '0') * w[i];
    return "10X98765432"[s % 11];
}

static void make_id(const char *body17, char out[19])
{
    memcpy(out, body17, 17);
    out[17] = check_char(body17);
    out[18] = 0;
}

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static int shf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shf(const char *fmt, ...)
{
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return sh(cmd);
}

static void province(void)
{
    if (prov[0]) return;
    snprintf(prov, sizeof prov, "/tmp/hedui-evid-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(prov));
    ck_assert_int_eq(shf("python3 scripts/gen-province.py %s --households 100 --background-factor 2 "
                         ">/dev/null 2>&1 && rmdir %s/keys && '%s' keygen %s/keys >/dev/null",
                         prov, prov, getenv("HEDUI_BIN"), prov), 0);
}

/* A fresh copy of the province named `name`. */
static const char *copy(const char *name)
{
    static char d[4300];
    snprintf(d, sizeof d, "%s-%s", prov, name);
    ck_assert_int_eq(shf("rm -rf %s && cp -r %s %s && rm -rf %s/out", d, prov, d, d), 0);
    return d;
}

static void write_file(const char *d, const char *rel, const char *text, size_t n)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/%s", d, rel);
    FILE *f = fopen(p, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", p);
    ck_assert_int_eq(fwrite(text, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* Appends n bytes to the zstd file d/rel (decompressed, appended,
 * compressed again), so that one bad row stays under max_quarantine_pct. */
static void append_zst(const char *d, const char *rel, const char *text, size_t n)
{
    char p[4400];
    ck_assert_int_eq(shf("zstd -q -dc %s/%s > %s/plain.tmp", d, rel, d), 0);
    snprintf(p, sizeof p, "%s/plain.tmp", d);
    FILE *f = fopen(p, "ab");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(text, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(shf("zstd -q -f %s/plain.tmp -o %s/%s && rm %s/plain.tmp", d, d, rel, d), 0);
}

/* Runs the batch (extra options in opts); returns its exit status; stdout
 * to d/stdout.txt. */
static int run_opts(const char *d, const char *opts)
{
    return shf("'%s' run --progress=never %s %s/job.ini >%s/stdout.txt 2>%s/err.txt",
               getenv("HEDUI_BIN"), opts, d, d, d);
}

static int run(const char *d) { return run_opts(d, ""); }

/* The households.csv line of application `app` in `county`, into out. */
static void household(const char *d, const char *county, const char *app, char *out, size_t cap)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "grep -h '^%s,%s,' %s/out/[0-9]*/county/%s/households.csv", county, app, d, county);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    out[0] = 0;
    ck_assert_msg(fgets(out, (int)cap, p) != NULL, "no household %s in county %s", app, county);
    pclose(p);
}

/* Number of households whose verdict is ELIGIBLE over every county. */
static int eligible(const char *d)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cat %s/out/[0-9]*/county/*/households.csv | grep -c ',ELIGIBLE,'", d);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    int n = -1;
    ck_assert_int_eq(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

static int grep_out(const char *d, const char *pattern, const char *rel)
{
    return shf("grep -q -- '%s' %s/out/[0-9]*/%s", pattern, d, rel) == 0;
}

/* bullet 1: a missing [source "vehicle"] section */
START_TEST(required_kind_without_source_damages_the_run)
{
    province();
    const char *d = copy("nokind");
    ck_assert_int_eq(shf("sed -i '/^\\[source \"vehicle\"\\]/,/^$/d' %s/job.ini && ! grep -q vehicle %s/job.ini", d, d), 0);
    ck_assert_int_eq(run(d), 3);
    ck_assert_int_eq(eligible(d), 0);
    /* P17-car (a K33 car): no vehicle evidence, so REVIEW, not ELIGIBLE */
    ck_assert_int_eq(shf("grep -hv '^county_code,' %s/out/[0-9]*/county/*/households.csv | grep -qv SOURCE_INCOMPLETE", d), 1);
    ck_assert(grep_out(d, "\"vehicle\": {\"sources\": \\[\\], \"files\": 0, \"rows\": 0, \"rows_matched\": 0, "
                          "\"required\": true, \"checked\": false, \"damaged\": true, \"damage\": \"NO_SOURCE\"}", "summary.json"));
    ck_assert(grep_out(d, "\"deposit\": {\"sources\": \\[\"bank-a\", \"bank-b\", \"rcc\"\\]", "summary.json"));
    ck_assert_int_eq(shf("grep -q 'not checked: vehicle (required: NO_SOURCE)' %s/stdout.txt", d), 0);
    ck_assert(grep_out(d, "NO_SOURCE", "audit/report.html"));
    /* a policy that does not require vehicles: the same job runs clean */
    const char *d2 = copy("nokind-ok");
    ck_assert_int_eq(shf("sed -i '/^\\[source \"vehicle\"\\]/,/^$/d' %s/job.ini && "
                         "sed -i 's/^\\[policy\\]$/[policy]\\nrequired_kinds = deposit, property, income, pension, fund, business, death/' "
                         "%s/policy/yunnan.policy", d2, d2), 0);
    ck_assert_int_eq(run(d2), 0);
    ck_assert(eligible(d2) > 0);
}
END_TEST

/* bullet 2: a vehicle extract that holds only its header row */
START_TEST(header_only_extract_damages_its_source)
{
    province();
    const char *d = copy("empty");
    ck_assert_int_eq(shf("cd %s/extracts/vehicle && for f in *.zst; do zstd -dc $f | head -1 > h.csv && "
                         "zstd -q -f h.csv -o $f && rm h.csv; done", d), 0);
    ck_assert_int_eq(run(d), 3);
    ck_assert_int_eq(eligible(d), 0);
    ck_assert(grep_out(d, "\"name\": \"vehicle\", \"kind\": \"vehicle\".*\"damage\": \"TOO_FEW_ROWS\"", "summary.json"));
    /* min_rows = 0 accepts an empty extract on purpose */
    const char *d2 = copy("empty-ok");
    ck_assert_int_eq(shf("cd %s/extracts/vehicle && for f in *.zst; do zstd -dc $f | head -1 > h.csv && "
                         "zstd -q -f h.csv -o $f && rm h.csv; done && "
                         "sed -i 's|^files  = extracts/vehicle/\\*.csv.zst$|&\\nmin_rows = 0|' %s/job.ini && grep -q min_rows %s/job.ini",
                         d2, d2, d2), 0);
    ck_assert_int_eq(run(d2), 0);
}
END_TEST

/* SPEC §7: a source that shrank by more than max_rows_drop_pct against
 * the previous run ([job] previous) */
START_TEST(shrunken_source_against_the_previous_run)
{
    province();
    const char *d0 = copy("prev");
    ck_assert_int_eq(run(d0), 0);
    char prevdir[4400];
    snprintf(prevdir, sizeof prevdir, "%s", d0);
    const char *d = copy("dropped");
    /* keep the header and the first 5 data rows of each vehicle file:
     * far below half of what the previous run read */
    ck_assert_int_eq(shf("cd %s/extracts/vehicle && for f in *.zst; do zstd -dc $f | head -6 > h.csv && "
                         "zstd -q -f h.csv -o $f && rm h.csv; done", d), 0);
    ck_assert_int_eq(shf("p=$(ls -d %s/out/2026-*) && sed -i \"s|^\\[job\\]$|[job]\\nprevious = $p|\" %s/job.ini && grep -q '^previous = /' %s/job.ini", prevdir, d, d), 0);
    ck_assert_int_eq(run(d), 3);
    ck_assert_int_eq(eligible(d), 0);
    ck_assert(grep_out(d, "\"name\": \"vehicle\", \"kind\": \"vehicle\".*\"damage\": \"ROWS_DROPPED\"", "summary.json"));
    /* the same rows against a policy that allows the drop */
    ck_assert_int_eq(shf("sed -i 's/^\\[policy\\]$/[policy]\\nmax_rows_drop_pct = 100/' %s/policy/yunnan.policy && rm -rf %s/out", d, d), 0);
    ck_assert_int_eq(run(d), 0);
}
END_TEST

/* bullet 3: one unreadable optional cell on a member's car row */
START_TEST(quarantined_row_of_a_member_reaches_the_household)
{
    province();
    const char *d = copy("unread");
    char id[19], in[1024], veh[1024], line[4096];
    make_id("53010219700101041", id);
    snprintf(in, sizeof in, "%sU1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n", HDR, id);
    write_file(d, "inbox/zz.csv", in, strlen(in));
    snprintf(veh, sizeof veh, "%s,测试甲,云A00001,K33,2019-05-32,A\n", id);
    ck_assert_int_eq(shf("ls %s/extracts/vehicle/ | head -1 > %s/vf.txt", d, d), 0);
    char vf[256], rel[300], path[4400];
    snprintf(path, sizeof path, "%s/vf.txt", d);
    char *name = td_slurp(path, NULL);
    snprintf(vf, sizeof vf, "%s", name);
    free(name);
    vf[strcspn(vf, "\n")] = 0;
    snprintf(rel, sizeof rel, "extracts/vehicle/%s", vf);
    append_zst(d, rel, veh, strlen(veh));
    ck_assert_int_eq(run(d), 0);
    household(d, "530102", "U1", line, sizeof line);
    ck_assert_msg(strstr(line, ",1,REVIEW,") && strstr(line, ",EVIDENCE_UNREADABLE,"), "%s", line);
    ck_assert(grep_out(d, "\"source\": \"vehicle\".*\"rows_quarantined_matched\": 1,", "summary.json"));
    /* the member's evidence: source, file, line, reason */
    ck_assert(grep_out(d, "^530102,U1,1,.*EVIDENCE_UNREADABLE: vehicle extracts/vehicle/[^ ]*:[0-9]* DATE", "county/530102/members.csv"));
}
END_TEST

/* bullet 4: spreadsheet-damaged IDs (…000 that still passes the check) */
START_TEST(spreadsheet_zeroed_id_is_suspect)
{
    province();
    const char *d = copy("suspect");
    /* an ID ending in 000 with a right check character: vary the birth
     * day and sequence until the check character is 0 */
    char id[19] = "", other[19], in[2048], line[4096];
    for (int day = 1; day <= 28 && !id[0]; day++)
        for (int q = 0; q <= 9 && !id[0]; q++) {
            /* 6 area + 8 birth date + sequence q00 */
            char b17[18];
            snprintf(b17, sizeof b17, "530102198003%02d%d00", day, q);
            if (check_char(b17) == '0') make_id(b17, id);
        }
    ck_assert_msg(id[0] && !strcmp(id + 15, "000"), "no ID ending 000 found");
    make_id("53010219700101051", other);
    /* a second application whose ID a spreadsheet turned into 5.30102E+17 */
    snprintf(in, sizeof in, "%sS1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n"
                            "S2,530102,城镇,1,5.30102E+17,测试乙,本人,低保,0,2026-11-03,\n", HDR, id);
    write_file(d, "inbox/zz.csv", in, strlen(in));
    ck_assert_int_eq(run(d), 0);
    household(d, "530102", "S1", line, sizeof line);
    ck_assert_msg(strstr(line, ",1,REVIEW,") && strstr(line, ",ID_SUSPECT,"), "%s", line);
    ck_assert(grep_out(d, "\"path\": \"inbox/zz.csv\", \"source\": \"applicants\", \"rows\": 2, \"rows_ok\": 1, "
                          "\"rows_quarantined\": 1, \"ids_suspect\": 1,", "summary.json"));
    /* without the damage in the file the same ID is not suspect */
    const char *d2 = copy("suspect-ok");
    snprintf(in, sizeof in, "%sS1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n", HDR, id);
    write_file(d2, "inbox/zz.csv", in, strlen(in));
    ck_assert_int_eq(run(d2), 0);
    household(d2, "530102", "S1", line, sizeof line);
    ck_assert_msg(strstr(line, ",1,ELIGIBLE,"), "%s", line);
}
END_TEST

/* bullet 6: an application id reused in a second file that sorts first */
START_TEST(reused_application_id_reaches_both_sides)
{
    province();
    const char *d = copy("reuse");
    char a[19], b[19], c[19], in[2048], line[4096];
    make_id("53010219700101061", a);
    make_id("53010219700101062", b);
    make_id("53010219700101063", c);
    /* za.csv sorts before zb.csv: it keeps R1 (two members) */
    snprintf(in, sizeof in, "%sR1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n"
                            "R1,530102,城镇,2,%s,测试乙,配偶,低保,0,2026-11-03,\n", HDR, a, b);
    write_file(d, "inbox/za.csv", in, strlen(in));
    snprintf(in, sizeof in, "%sR1,530102,城镇,1,%s,测试丙,本人,低保,0,2026-11-03,\n", HDR, c);
    write_file(d, "inbox/zb.csv", in, strlen(in));
    ck_assert_int_eq(run(d), 0);
    household(d, "530102", "R1", line, sizeof line);
    ck_assert_msg(strstr(line, ",2,REVIEW,") && strstr(line, ",APPLICATION_ID_REUSED,"), "%s", line);
    ck_assert(grep_out(d, "^inbox/zb.csv,2,APPLICATION_ID_REUSED,", "quarantine/applicants.csv"));
}
END_TEST

/* The applicant files are read on the run's threads and laid out in file
 * order: ids reused across files, quarantined rows before the reuse and a
 * member twice in one application come out the same at -j1 and -j4, byte
 * for byte, with the quarantine in line order. */
START_TEST(applicant_files_on_threads_same_as_one)
{
    province();
    char a[19], b[19], c[19], e[19], bad[19], in[4096];
    make_id("53010219700101061", a);
    make_id("53010219700101062", b);
    make_id("53010219700101063", c);
    make_id("53010219700101064", e);
    make_id("53010219700101065", bad);
    bad[17] = bad[17] == '1' ? '2' : '1';      /* a wrong check character */
    char dirs[2][4300];
    const char *opts[2] = { "-j1", "-j4" };
    for (int k = 0; k < 2; k++) {
        snprintf(dirs[k], sizeof dirs[k], "%s", copy(k ? "threads4" : "threads1"));
        const char *d = dirs[k];
        /* za keeps R1 (two members) and R2 */
        snprintf(in, sizeof in, "%sR1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n"
                                "R1,530102,城镇,2,%s,测试乙,配偶,低保,0,2026-11-03,\n"
                                "R2,530102,城镇,1,%s,测试丙,本人,低保,0,2026-11-03,\n", HDR, a, b, c);
        write_file(d, "inbox/za.csv", in, strlen(in));
        /* zb: an unreadable ID of R1 (line 2), R1 again (3: reused), R3
         * (4) and the same member of R3 twice (5) */
        snprintf(in, sizeof in, "%sR1,530102,城镇,1,%s,测试丁,本人,低保,0,2026-11-03,\n"
                                "R1,530102,城镇,2,%s,测试戊,子女,低保,0,2026-11-03,\n"
                                "R3,530102,城镇,1,%s,测试己,本人,低保,0,2026-11-03,\n"
                                "R3,530102,城镇,2,%s,测试己,本人,低保,0,2026-11-03,\n", HDR, bad, e, e, e);
        write_file(d, "inbox/zb.csv", in, strlen(in));
        /* zc: R2 again (line 2: reused) */
        snprintf(in, sizeof in, "%sR2,530102,城镇,1,%s,测试庚,本人,低保,0,2026-11-03,\n", HDR, e);
        write_file(d, "inbox/zc.csv", in, strlen(in));
        ck_assert_int_eq(run_opts(d, opts[k]), 0);
    }
    const char *d = dirs[1];
    /* the register (out/register.db) records when each run was made */
    ck_assert_int_eq(shf("diff -r -x register.db %s/out %s/out >/dev/null", dirs[0], dirs[1]), 0);
    ck_assert_int_eq(shf("grep -h '^inbox/z[bc].csv,' %s/out/[0-9]*/quarantine/applicants.csv | cut -d, -f1-3 > %s/q.txt", d, d), 0);
    static const char want[] = "inbox/zb.csv,2,ID_CHECK\n"
                               "inbox/zb.csv,3,APPLICATION_ID_REUSED\n"
                               "inbox/zb.csv,5,DUPLICATE_MEMBER\n"
                               "inbox/zc.csv,2,APPLICATION_ID_REUSED\n";
    write_file(d, "want.txt", want, sizeof want - 1);
    ck_assert_int_eq(shf("cmp -s %s/q.txt %s/want.txt", d, d), 0);
    char line[4096];
    household(d, "530102", "R2", line, sizeof line);
    ck_assert_msg(strstr(line, ",1,REVIEW,") && strstr(line, ",APPLICATION_ID_REUSED,"), "%s", line);
    /* R3's second row is a member too, rejected (DUPLICATE_MEMBER) */
    household(d, "530102", "R3", line, sizeof line);
    ck_assert_msg(strstr(line, ",2,REVIEW,") && strstr(line, ",APPLICANT_ROW_REJECTED,"), "%s", line);
}
END_TEST

/* A later file that reuses an application id and is then rejected whole
 * (damaged after its rows were read: SIZE_CAP) still tells the earlier
 * household of the reuse, at any -j (as one thread reading it would). */
START_TEST(reuse_in_a_file_damaged_later_still_flags)
{
    province();
    const char *d = copy("reuse-damaged");
    char a[19], b[19], in[4096];
    make_id("53010219700101061", a);
    make_id("53010219700101062", b);
    snprintf(in, sizeof in, "%sR1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n", HDR, a);
    write_file(d, "inbox/za.csv", in, strlen(in));
    /* zb: R1 again on line 2, then 2 MB of rows: over a 1 MB cap */
    ck_assert_int_eq(shf("cd %s && { printf '%%s' '%s'; printf 'R1,530102,城镇,1,%s,测试乙,本人,低保,0,2026-11-03,\\n';"
                         " for i in $(seq 1 30000); do echo 'R9,530102,城镇,1,%s,测试丙,本人,低保,0,2026-11-03,'; done; } > inbox/zb.csv"
                         " && sed -i 's/^trailer .*/&\\nmax_bytes = 1000000/' formats/applicants.fmt"
                         " && grep -q '^max_bytes = 1000000' formats/applicants.fmt", d, HDR, b, b), 0);
    ck_assert_int_eq(run_opts(d, "-j4"), 3);
    ck_assert(grep_out(d, "^inbox/zb.csv,SIZE_CAP,", "county/530102/rejected_files.csv"));
    char line[4096];
    household(d, "530102", "R1", line, sizeof line);
    ck_assert_msg(strstr(line, ",APPLICATION_ID_REUSED,"), "%s", line);
}
END_TEST

/* A faulty row whose application id is "N1" and two NUL bytes (found by
 * fuzz_applicants under UBSan): it belongs to no application (its id is not
 * text), so it is quarantined and the file's households go to review; it
 * never becomes a second "N1" that the layout takes for the first. */
START_TEST(nul_in_application_id_is_no_application)
{
    province();
    const char *d = copy("nul");
    char id1[19], id2[19], in[2048], line[4096];
    make_id("53010219700101051", id1);
    make_id("53010219710101062", id2);
    int n = snprintf(in, sizeof in, "%sN1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n", HDR, id1);
    memcpy(in + n, "N1\0\0", 4);
    n += 4;
    n += snprintf(in + n, sizeof in - (size_t)n, ",530102,城镇,2,%s,测试乙,配偶,低保,0,2026-11-03,\n", id2);
    write_file(d, "inbox/zz.csv", in, (size_t)n);
    ck_assert_int_eq(run(d), 0);
    household(d, "530102", "N1", line, sizeof line);
    ck_assert_msg(strstr(line, ",1,REVIEW,") && strstr(line, "APPLICANT_ROW_REJECTED"), "%s", line);
    ck_assert(grep_out(d, "^inbox/zz.csv,3,NUL_BYTE,", "quarantine/applicants.csv"));
}
END_TEST

/* bullet 7: one county's list saved as GBK, UTF-16 or a renamed workbook */
START_TEST(unreadable_applicant_file_harms_only_its_county)
{
    province();
    const char *d = copy("gbk");
    /* 530102.csv re-encoded as GBK under a UTF-8 descriptor */
    ck_assert_int_eq(shf("cd %s/inbox && iconv -f UTF-8 -t GBK 530102.csv > x && mv x 530102.csv", d), 0);
    ck_assert_int_eq(run(d), 3);
    ck_assert(grep_out(d, "^inbox/530102.csv,WRONG_ENCODING,", "county/530102/rejected_files.csv"));
    ck_assert(grep_out(d, "CSV UTF-8", "county/530102/rejected_files.csv"));
    ck_assert(grep_out(d, "\"damaged\": false", "summary.json"));
    ck_assert_int_eq(shf("! grep -q SOURCE_INCOMPLETE %s/out/[0-9]*/county/*/households.csv", d), 0);
    ck_assert(eligible(d) > 0);
    ck_assert_int_eq(shf("grep -q '^Rejected   1 applicant files' %s/stdout.txt", d), 0);
    /* a rerun over that output rewrites nothing, exits 0 (SPEC §5) and
     * says what the run that wrote it said */
    ck_assert_int_eq(run(d), 0);
    ck_assert_int_eq(shf("grep -q 'already exists and verifies' %s/stdout.txt && "
                         "grep -q '^Rejected   1 applicant files' %s/stdout.txt && "
                         "grep -q 'with 1 applicant files rejected whole' %s/err.txt", d, d, d), 0);

    /* a workbook renamed .csv (ZIP signature) named by its county code */
    const char *d2 = copy("zip");
    static const char zip[] = "PK\x03\x04\x14\x00\x06\x00 not really a workbook";
    write_file(d2, "inbox/530103.csv", zip, sizeof zip - 1);
    ck_assert_int_eq(run(d2), 3);
    ck_assert(grep_out(d2, "^inbox/530103.csv,NOT_CSV,", "county/530103/rejected_files.csv"));
    ck_assert_int_eq(shf("! grep -q SOURCE_INCOMPLETE %s/out/[0-9]*/county/*/households.csv", d2), 0);
    /* hedui check says the same */
    ck_assert_int_eq(shf("'%s' check --format %s/formats/applicants.fmt %s/inbox/530103.csv > %s/check.txt 2>&1",
                         getenv("HEDUI_BIN"), d2, d2, d2), 65);
    ck_assert_int_eq(shf("grep -q NOT_CSV %s/check.txt && grep -q 'CSV UTF-8' %s/check.txt", d2, d2), 0);

    /* a file whose header disagrees: rejected whole, county of its rows */
    const char *d3 = copy("header");
    char id[19], in[1024];
    make_id("53010219700101071", id);
    snprintf(in, sizeof in, "申请编号,区县,城乡类别,成员序号,身份证号码,姓名,与申请人关系,救助类型,申报月收入,申请日期,残疾等级\n"
                            "H1,530102,城镇,1,%s,测试甲,本人,低保,0,2026-11-03,\n", id);
    write_file(d3, "inbox/zz.csv", in, strlen(in));
    ck_assert_int_eq(run(d3), 3);
    ck_assert(grep_out(d3, "^inbox/zz.csv,HEADER_MISMATCH,", "county/unknown/rejected_files.csv") ||
              grep_out(d3, "^inbox/zz.csv,HEADER_MISMATCH,", "county/530102/rejected_files.csv"));
}
END_TEST

/* a .zst name without zstd; a runaway quote; an extract glob with no file */
START_TEST(extract_not_what_it_claims_damages_its_source)
{
    province();
    const char *d = copy("notzstd");
    ck_assert_int_eq(shf("cd %s/extracts/death && for f in *.zst; do zstd -dc $f > x && mv x $f; done", d), 0);
    ck_assert_int_eq(run(d), 3);
    ck_assert_int_eq(eligible(d), 0);
    ck_assert(grep_out(d, "\"name\": \"death\", \"kind\": \"death\".*\"damage\": \"NOT_ZSTD\"", "summary.json"));

    const char *d2 = copy("overrun");
    char id[19], veh[1024];
    make_id("53010219700101081", id);
    snprintf(veh, sizeof veh, "SFZMHM,SYR,HPHM,CLLX,CCDJRQ,ZT\n%s,测试甲,\"云A00001,K33,2019-05-02,A\n", id);
    write_file(d2, "extracts/vehicle/zz.csv", veh, strlen(veh));
    ck_assert_int_eq(shf("zstd -q --rm -f %s/extracts/vehicle/zz.csv", d2), 0);
    ck_assert_int_eq(run(d2), 3);
    ck_assert_int_eq(eligible(d2), 0);
    ck_assert(grep_out(d2, "\"name\": \"vehicle\", \"kind\": \"vehicle\".*\"damage\": \"RECORD_OVERRUN\"", "summary.json"));

    const char *d3 = copy("nofiles");
    ck_assert_int_eq(shf("rm -f %s/extracts/fund/*", d3), 0);
    ck_assert_int_eq(run(d3), 3);
    ck_assert_int_eq(eligible(d3), 0);
}
END_TEST

/* bullet 8: an as_of in the future is a typo until said otherwise */
START_TEST(future_as_of_is_a_config_error)
{
    province();
    const char *d = copy("future");
    ck_assert_int_eq(shf("sed -i 's/^as_of .*/as_of      = 2099-11-28/' %s/job.ini", d), 0);
    ck_assert_int_eq(run(d), 78);
    ck_assert_int_eq(shf("grep -q 'allow-future-as-of' %s/err.txt", d), 0);
    ck_assert_int_eq(shf("ls %s/out/2099-* >/dev/null 2>&1", d), 2);
    int rc = run_opts(d, "--allow-future-as-of");
    ck_assert_msg(rc == 0 || rc == 3, "exit %d", rc);
    ck_assert_int_eq(shf("ls -d %s/out/2099-11-28-* >/dev/null", d), 0);
}
END_TEST

/* Reverses the quarantine's escapes (SPEC §7): \xHH, \\, \r, \n. */
static size_t unescape(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\' || i + 1 >= n) { out[k++] = s[i]; continue; }
        char c = s[++i];
        if (c == '\\') out[k++] = '\\';
        else if (c == 'r') out[k++] = '\r';
        else if (c == 'n') out[k++] = '\n';
        else if (c == 'x' && i + 2 < n) {
            /* two hex digits read by hand: s is not NUL-terminated, so
             * sscanf would scan past the slice (valgrind, make memcheck) */
            char hex[3] = { s[i + 1], s[i + 2], 0 }, *end;
            unsigned long v = strtoul(hex, &end, 16);
            ck_assert_msg(*end == 0 && isxdigit((unsigned char)hex[0]),
                          "bad escape \\x%s", hex);
            out[k++] = (char)v;
            i += 2;
        } else ck_abort_msg("bad escape \\%c", c);
    }
    return k;
}

/* bullet 9: quarantine rows keep their bytes */
START_TEST(quarantine_rows_read_back_to_their_bytes)
{
    province();
    const char *d = copy("qbytes");
    char id[19], veh[2048];
    make_id("53010219700101091", id);
    /* UTF-8 file: an invalid byte 0xC3 0x28, a backslash, CR LF inside a
     * quoted cell, and a bad date (the row's fault) */
    char row[1024];
    int rn = snprintf(row, sizeof row, "%s,\xC3\x28名\\x,\"云A\r\n00002\",K33,2019-02-30,A", id);
    int n = snprintf(veh, sizeof veh, "SFZMHM,SYR,HPHM,CLLX,CCDJRQ,ZT\n%s\n", row);
    write_file(d, "extracts/vehicle/zz.csv", veh, (size_t)n);
    ck_assert_int_eq(shf("zstd -q --rm -f %s/extracts/vehicle/zz.csv", d), 0);   /* its own file: damaged by rate, no matter */
    /* GBK file (bank-a): the lead byte 0x81 before a comma is invalid;
     * the name 甲 is BC D7 in GBK */
    char gbk[1024];
    int gn = snprintf(gbk, sizeof gbk, "%s,\xBC\xD7\x81,ABC,6222000011112222999,ABC,\"100.00\",20261031\n", id);
    append_zst(d, "extracts/bank-a/part-1.csv.zst", gbk, (size_t)gn);
    int rc = run(d);
    ck_assert_msg(rc == 0 || rc == 3, "exit %d", rc);
    /* the vehicle row, read back from quarantine/vehicle.csv */
    char path[4400];
    snprintf(path, sizeof path, "%s/q.txt", d);
    ck_assert_int_eq(shf("cat %s/out/[0-9]*/quarantine/vehicle.csv > %s", d, path), 0);
    size_t len;
    char *q = td_slurp(path, &len);
    char *at = strstr(q, "extracts/vehicle/zz.csv.zst,2,");
    ck_assert_ptr_nonnull(at);
    char *open = strchr(at, '"');                 /* the raw cell is quoted (it holds commas) */
    ck_assert_ptr_nonnull(open);
    char cell[2048];
    size_t cn = 0;
    for (char *c = open + 1; *c; c++) {           /* CSV: "" is one quote */
        if (*c == '"') { if (c[1] == '"') { cell[cn++] = '"'; c++; continue; } break; }
        cell[cn++] = *c;
    }
    ck_assert_msg(memchr(cell, '\r', cn) == NULL && memchr(cell, '\n', cn) == NULL, "CR/LF written raw");
    char back[2048];
    size_t bn = unescape(cell, cn, back);
    ck_assert_msg(bn == (size_t)rn && memcmp(back, row, (size_t)rn) == 0, "read back %.*s", (int)bn, back);
    free(q);
    /* the GBK row: the invalid byte keeps its own value */
    ck_assert(grep_out(d, "\\\\x81", "quarantine/bank-a.csv"));
    ck_assert_int_eq(shf("! grep -q '\\\\xFF' %s/out/[0-9]*/quarantine/bank-a.csv", d), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("evidence");
    TCase *tc = tcase_create("evidence");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, required_kind_without_source_damages_the_run);
    tcase_add_test(tc, header_only_extract_damages_its_source);
    tcase_add_test(tc, shrunken_source_against_the_previous_run);
    tcase_add_test(tc, quarantined_row_of_a_member_reaches_the_household);
    tcase_add_test(tc, spreadsheet_zeroed_id_is_suspect);
    tcase_add_test(tc, reused_application_id_reaches_both_sides);
    tcase_add_test(tc, nul_in_application_id_is_no_application);
    tcase_add_test(tc, applicant_files_on_threads_same_as_one);
    tcase_add_test(tc, reuse_in_a_file_damaged_later_still_flags);
    tcase_add_test(tc, unreadable_applicant_file_harms_only_its_county);
    tcase_add_test(tc, extract_not_what_it_claims_damages_its_source);
    tcase_add_test(tc, future_as_of_is_a_config_error);
    tcase_add_test(tc, quarantine_rows_read_back_to_their_bytes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (prov[0] && !failed) {
        char cmd[4400];
        snprintf(cmd, sizeof cmd, "rm -rf %s %s-*", prov, prov);
        system(cmd);
    }
    return failed ? 1 : 0;
}
