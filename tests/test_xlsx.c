/*
 * test_xlsx.c — county/<code>/results.xlsx holds the same values as the
 * county CSV files.
 *
 * A small generated province is run with the CLI ($HEDUI_BIN); for two
 * counties, results.xlsx is converted back to CSV by LibreOffice (headless,
 * a fresh user profile per conversion) — a reader that shares no code with
 * libxlsxwriter — and compared with households.csv and members.csv value
 * for value: money in the workbook is yuan, compared exactly as fen / 100
 * written to 2 decimals; text, Chinese labels included, byte for byte.
 *
 * LibreOffice (libreoffice-calc-nogui) is a test dependency installed by
 * scripts/install-deps; without it this suite fails, it does not skip.
 */
#include <dirent.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

#define DISCLAIMER_ZH "本核对结果为推荐意见，仅供社会救助审核确认使用；最终认定以入户调查、民主评议和公示结果为准。"

static char prov[4096];        /* the generated province (one per process) */
static char outdir[4600];      /* its output directory */

static void sh(const char *cmd)
{
    int rc = system(cmd);
    ck_assert_msg(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "command failed (%d): %s", rc, cmd);
}

static void province(void)
{
    if (prov[0]) return;
    const char *bin = getenv("HEDUI_BIN");
    ck_assert_msg(bin && *bin, "HEDUI_BIN is not set (run through make test)");
    snprintf(prov, sizeof prov, "/tmp/hedui-xlsx-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(prov));
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "python3 scripts/gen-province.py %s --households 120 --background-factor 2 >/dev/null 2>&1"
             " && rm -rf %s/keys && %s keygen %s/keys >/dev/null && %s -q run %s/job.ini",
             prov, prov, bin, prov, bin, prov);
    sh(cmd);
    char pat[4200];
    snprintf(pat, sizeof pat, "%s/out/*-*", prov);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_uint_eq(g.gl_pathc, 1);
    snprintf(outdir, sizeof outdir, "%s", g.gl_pathv[0]);
    globfree(&g);
}

/* ---------------------------------------------------------------- CSV */

typedef struct row { char **f; int n; } row;
typedef struct table { row *r; int n; } table;

/* RFC 4180: fields split at commas, quoted fields with "" for a quote. */
static table parse_csv(const char *s)
{
    table t = {0};
    int capr = 0;
    while (*s) {
        row r = {0};
        int capf = 0;
        for (;;) {
            size_t cap = 64, n = 0;
            char *f = malloc(cap);
            ck_assert_ptr_nonnull(f);
            if (*s == '"') {
                s++;
                for (;;) {
                    ck_assert_msg(*s, "unterminated quoted field");
                    if (*s == '"' && s[1] == '"') { s += 2; f[n++] = '"'; }
                    else if (*s == '"') { s++; break; }
                    else f[n++] = *s++;
                    if (n + 1 >= cap) { cap *= 2; f = realloc(f, cap); ck_assert_ptr_nonnull(f); }
                }
            } else {
                while (*s && *s != ',' && *s != '\n' && *s != '\r') {
                    f[n++] = *s++;
                    if (n + 1 >= cap) { cap *= 2; f = realloc(f, cap); ck_assert_ptr_nonnull(f); }
                }
            }
            f[n] = 0;
            if (r.n == capf) { capf = capf ? capf * 2 : 32; r.f = realloc(r.f, (size_t)capf * sizeof *r.f); ck_assert_ptr_nonnull(r.f); }
            r.f[r.n++] = f;
            if (*s == ',') { s++; continue; }
            if (*s == '\r') s++;
            if (*s == '\n') s++;
            break;
        }
        if (t.n == capr) { capr = capr ? capr * 2 : 64; t.r = realloc(t.r, (size_t)capr * sizeof *t.r); ck_assert_ptr_nonnull(t.r); }
        t.r[t.n++] = r;
    }
    return t;
}

static table read_csv(const char *path)
{
    char *s = td_slurp(path, NULL);
    table t = parse_csv(s);
    free(s);
    return t;
}

static void free_table(table *t)
{
    for (int i = 0; i < t->n; i++) {
        for (int j = 0; j < t->r[i].n; j++) free(t->r[i].f[j]);
        free(t->r[i].f);
    }
    free(t->r);
    memset(t, 0, sizeof *t);
}

static int empty_row(const row *r)
{
    for (int i = 0; i < r->n; i++) if (r->f[i][0]) return 0;
    return 1;
}

/* A decimal as LibreOffice writes a cell's value ("640", "-12.5",
 * "1234.56") -> hundredths, exactly; 0 when it is not such a decimal. */
static int hundredths(const char *s, int64_t *out)
{
    int neg = 0;
    if (*s == '-') { neg = 1; s++; }
    if (*s < '0' || *s > '9') return 0;
    int64_t v = 0;
    while (*s >= '0' && *s <= '9') v = v * 10 + (*s++ - '0');
    int dec = 0;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9' && dec < 2) { v = v * 10 + (*s++ - '0'); dec++; }
        if (dec == 0) return 0;
    }
    if (*s) return 0;                 /* more than 2 decimals, exponent, text */
    for (; dec < 2; dec++) v *= 10;
    *out = neg ? -v : v;
    return 1;
}

static void two_decimals(int64_t h, char *out, size_t cap)
{
    uint64_t a = h < 0 ? (uint64_t)(-(h + 1)) + 1 : (uint64_t)h;
    snprintf(out, cap, "%s%" PRIu64 ".%02" PRIu64, h < 0 ? "-" : "", a / 100, a % 100);
}

/* ---------------------------------------------------------------- LibreOffice */

static void need_libreoffice(void)
{
    int rc = system("command -v libreoffice >/dev/null 2>&1");
    ck_assert_msg(rc == 0, "LibreOffice is missing (libreoffice-calc-nogui): test_xlsx reads results.xlsx back "
                  "with it; run scripts/install-deps as root (or make test) to install it");
}

/* Sheet `sheet` (1-based) of xlsx as CSV, UTF-8, values not as shown. */
static table sheet_csv(const char *xlsx, int sheet)
{
    char profile[] = "/tmp/lo-profile-XXXXXX", out[] = "/tmp/lo-out-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(profile));
    ck_assert_ptr_nonnull(mkdtemp(out));
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "libreoffice -env:UserInstallation=file://%s --headless --convert-to "
             "'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,%d' "
             "--outdir %s %s >%s/log 2>&1", profile, sheet, out, xlsx, out);
    sh(cmd);
    char pat[200];
    snprintf(pat, sizeof pat, "%s/*.csv", out);
    glob_t g;
    ck_assert_msg(glob(pat, 0, NULL, &g) == 0 && g.gl_pathc == 1, "LibreOffice wrote no CSV for %s (see %s/log)", xlsx, out);
    table t = read_csv(g.gl_pathv[0]);
    globfree(&g);
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", profile, out);
    sh(cmd);
    return t;
}

/* Rows of a members.csv with evidence. */
static int evidence_rows(const char *members_csv)
{
    table c = read_csv(members_csv);
    int with = 0;
    for (int r = 1; r < c.n; r++) if (c.r[r].n == 9 && c.r[r].f[8][0]) with++;
    free_table(&c);
    return with;
}

/* The two counties compared: the first, and the other one with the most
 * members with evidence (commas, quotes and long cells in the sheet). */
static void counties(char first[64], char other[64])
{
    char pat[4700];
    snprintf(pat, sizeof pat, "%s/county/*/members.csv", outdir);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_uint_ge(g.gl_pathc, 2);
    size_t skip = strlen(outdir) + strlen("/county/"), best = 1;
    int most = -1;
    for (size_t i = 1; i < g.gl_pathc; i++) {
        int n = evidence_rows(g.gl_pathv[i]);
        if (n > most) { most = n; best = i; }
    }
    ck_assert_msg(most > 0, "no member with evidence in the generated province");
    const char *a = g.gl_pathv[0], *b = g.gl_pathv[best];
    snprintf(first, 64, "%.*s", (int)(strchr(a + skip, '/') - (a + skip)), a + skip);
    snprintf(other, 64, "%.*s", (int)(strchr(b + skip, '/') - (b + skip)), b + skip);
    globfree(&g);
}

/* The disclaimer rows below the data: one empty row, then the sentence. */
static void disclaimer_after(const table *x, int data_end, const char *what)
{
    ck_assert_msg(x->n >= data_end + 3, "%s: no disclaimer rows", what);
    ck_assert_msg(empty_row(&x->r[data_end]), "%s: row %d after the data is not empty", what, data_end + 1);
    ck_assert_str_eq(x->r[data_end + 1].f[0], DISCLAIMER_ZH);
    ck_assert_msg(strstr(x->r[data_end + 2].f[0], "recommendations only") != NULL, "%s: no English disclaimer", what);
}

static void compare_households(const char *code)
{
    char p[4800];
    snprintf(p, sizeof p, "%s/county/%s/households.csv", outdir, code);
    table c = read_csv(p);
    snprintf(p, sizeof p, "%s/county/%s/results.xlsx", outdir, code);
    table x = sheet_csv(p, 1);
    ck_assert_int_ge(c.n, 2);
    int ncol = c.r[0].n;
    ck_assert_int_eq(ncol, 19);
    ck_assert_int_ge(x.n, 2 + (c.n - 1) + 3);
    /* row 1: Chinese titles; row 2: the CSV's column codes, money in yuan */
    static const char *const zh[19] = {
        "区县代码", "申请编号", "救助类型", "城乡类别", "家庭人数", "推荐结论代码", "推荐核对结论",
        "原因代码", "原因", "适用保障标准（元/月）", "家庭月收入（元）", "人均月收入（元）",
        "家庭金融资产（元）", "人均金融资产（元）", "住房套数", "住房面积（平方米）", "机动车辆数", "企业数", "人群" };
    int money[19] = {0}, area[19] = {0};
    for (int k = 0; k < ncol; k++) {
        ck_assert_int_eq(x.r[0].n, ncol);
        ck_assert_str_eq(x.r[0].f[k], zh[k]);
        const char *csv = c.r[0].f[k];
        char want[64];
        size_t l = strlen(csv);
        if (l > 4 && !strcmp(csv + l - 4, "_fen")) {
            snprintf(want, sizeof want, "%.*s_yuan", (int)(l - 4), csv);
            money[k] = 1;
        } else if (!strcmp(csv, "residential_area")) {
            snprintf(want, sizeof want, "residential_area_m2");
            area[k] = 1;
        } else {
            snprintf(want, sizeof want, "%s", csv);
        }
        ck_assert_str_eq(x.r[1].f[k], want);
    }
    ck_assert_int_eq(money[9] + money[10] + money[11] + money[12] + money[13], 5);
    ck_assert(area[15]);
    /* the data, value for value */
    for (int i = 1; i < c.n; i++) {
        const row *cr = &c.r[i], *xr = &x.r[i + 1];
        ck_assert_int_eq(cr->n, ncol);
        ck_assert_int_eq(xr->n, ncol);
        for (int k = 0; k < ncol; k++) {
            if (money[k] || area[k]) {
                int64_t h;
                ck_assert_msg(hundredths(xr->f[k], &h), "%s row %d %s: \"%s\" is not a decimal of at most 2 places",
                              code, i, c.r[0].f[k], xr->f[k]);
                char got[64], want[64], *end;
                long long fen = strtoll(cr->f[k], &end, 10);
                ck_assert_msg(*cr->f[k] && !*end, "%s row %d %s: CSV value \"%s\"", code, i, c.r[0].f[k], cr->f[k]);
                two_decimals(h, got, sizeof got);
                two_decimals(fen, want, sizeof want);
                ck_assert_msg(!strcmp(got, want), "%s row %d %s: sheet %s, CSV %s (%s)",
                              code, i, c.r[0].f[k], got, want, cr->f[k]);
            } else {
                ck_assert_msg(!strcmp(xr->f[k], cr->f[k]), "%s row %d %s: sheet \"%s\", CSV \"%s\"",
                              code, i, c.r[0].f[k], xr->f[k], cr->f[k]);
            }
        }
    }
    disclaimer_after(&x, c.n + 1, "户");
    free_table(&c);
    free_table(&x);
}

static void compare_members(const char *code)
{
    char p[4800];
    snprintf(p, sizeof p, "%s/county/%s/members.csv", outdir, code);
    table c = read_csv(p);
    snprintf(p, sizeof p, "%s/county/%s/results.xlsx", outdir, code);
    table x = sheet_csv(p, 2);
    ck_assert_int_ge(c.n, 2);
    int ncol = c.r[0].n;
    ck_assert_int_eq(ncol, 9);
    ck_assert_int_ge(x.n, 2 + (c.n - 1) + 3);
    ck_assert_str_eq(x.r[0].f[0], "区县代码");
    ck_assert_str_eq(x.r[0].f[8], "证据");
    for (int i = 0; i < c.n; i++) {          /* row 0 of the CSV is row 2 of the sheet */
        const row *cr = &c.r[i], *xr = &x.r[i + 1];
        ck_assert_int_eq(xr->n, ncol);
        for (int k = 0; k < ncol; k++)
            ck_assert_msg(!strcmp(xr->f[k], cr->f[k]), "%s members row %d %s: sheet \"%s\", CSV \"%s\"",
                          code, i, c.r[0].f[k], xr->f[k], cr->f[k]);
    }
    disclaimer_after(&x, c.n + 1, "成员");
    free_table(&c);
    free_table(&x);
}

START_TEST(households_sheet_equals_households_csv)
{
    need_libreoffice();
    province();
    char a[64], b[64];
    counties(a, b);
    compare_households(a);
    compare_households(b);
}
END_TEST

START_TEST(members_sheet_equals_members_csv)
{
    need_libreoffice();
    province();
    char a[64], b[64];
    counties(a, b);
    compare_members(a);
    compare_members(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xlsx");
    TCase *tc = tcase_create("county workbook");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, households_sheet_equals_households_csv);
    tcase_add_test(tc, members_sheet_equals_members_csv);
    suite_add_tcase(s, tc);
    /* one province for all tests: run them in this process */
    setenv("CK_FORK", "no", 1);
    int rc = td_run(s);
    if (prov[0] && rc == 0) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf %s", prov);
        if (system(cmd) != 0) fprintf(stderr, "test_xlsx: cannot remove %s\n", prov);
    }
    return rc;
}
