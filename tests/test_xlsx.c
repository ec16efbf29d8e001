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
 * Row 1 of each sheet (hidden) holds the CSV codes of its columns; the
 * canonical codes are in trailing hidden machine columns, and the clerk's
 * columns hold Chinese labels: no canonical English code is left there.
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

/* ---------------------------------------------------------------- sheets */

/* Each (workbook, sheet) is converted once. */
typedef struct cached { char path[4800]; int sheet; table t; } cached;
static cached cache[16];
static int ncache;

static const table *sheet_of(const char *code, int sheet)
{
    char p[4800];
    snprintf(p, sizeof p, "%s/county/%s/results.xlsx", outdir, code);
    for (int i = 0; i < ncache; i++)
        if (cache[i].sheet == sheet && !strcmp(cache[i].path, p)) return &cache[i].t;
    ck_assert_int_lt(ncache, (int)(sizeof cache / sizeof *cache));
    cached *c = &cache[ncache++];
    snprintf(c->path, sizeof c->path, "%s", p);
    c->sheet = sheet;
    c->t = sheet_csv(p, sheet);
    return &c->t;
}

/* Row 0 holds the CSV codes (hidden), row 1 the Chinese titles. */
static int col_of(const table *x, const char *code)
{
    for (int k = 0; k < x->r[0].n; k++)
        if (!strcmp(x->r[0].f[k], code)) return k;
    ck_abort_msg("no column %s in the sheet", code);
    return -1;
}

/* The columns for machines: the canonical codes of the CSV files. */
static const char *const machine_cols[] = { "assistance_type", "area_type", "verdict", "reasons",
                                            "relation", "row_status", "findings", "evidence" };
static int is_machine(const char *code)
{
    for (size_t i = 0; i < sizeof machine_cols / sizeof *machine_cols; i++)
        if (!strcmp(code, machine_cols[i])) return 1;
    return 0;
}

/* The Chinese a clerk writes for a canonical value (docs/county-guide.md,
 * formats/applicants.fmt), worked out here, not by hedui. */
static const char *zh_of(const char *v)
{
    static const char *const map[][2] = {
        {"dibao", "低保"}, {"tekun", "特困"}, {"bianyuan", "低保边缘"}, {"linshi", "临时救助"},
        {"urban", "城镇"}, {"rural", "农村"},
        {"self", "本人"}, {"spouse", "配偶"}, {"child", "子女"}, {"parent", "父母"}, {"sibling", "兄弟姐妹"},
        {"grandparent", "（外）祖父母"}, {"grandchild", "（外）孙子女"}, {"other", "其他"},
        {"ELIGIBLE", "符合"}, {"REVIEW", "需人工复核"}, {"INELIGIBLE", "不符合"}, {"", ""},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i][0], v)) return map[i][1];
    ck_abort_msg("no Chinese label known for \"%s\"", v);
    return NULL;
}

/* "A；\nB" (the sheet's list of labels) as "A;B" (the CSV's). */
static void semicolons(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    while (*in && n + 1 < cap) {
        if (!strncmp(in, "；\n", strlen("；\n"))) { out[n++] = ';'; in += strlen("；\n"); }
        else out[n++] = *in++;
    }
    out[n] = 0;
}

/* The name of a county code in data/admin-codes/yunnan_nbs_2023.csv. */
static void county_name(const char *code, char *out, size_t cap)
{
    char *s = td_slurp("data/admin-codes/yunnan_nbs_2023.csv", NULL);
    char needle[16];
    snprintf(needle, sizeof needle, "\n%s,", code);
    const char *p = strstr(s, needle);
    ck_assert_msg(p != NULL, "county %s not in data/admin-codes", code);
    p += strlen(needle);
    size_t k = strcspn(p, ",\n");
    snprintf(out, cap, "%.*s", (int)k, p);
    free(s);
}

/* The disclaimer rows below the data: one empty row, then the sentence. */
static void disclaimer_after(const table *x, int data_end, const char *what)
{
    ck_assert_msg(x->n >= data_end + 3, "%s: no disclaimer rows", what);
    ck_assert_msg(empty_row(&x->r[data_end]), "%s: row %d after the data is not empty", what, data_end + 1);
    ck_assert_str_eq(x->r[data_end + 1].f[0], DISCLAIMER_ZH);
    ck_assert_msg(strstr(x->r[data_end + 2].f[0], "recommendations only") != NULL, "%s: no English disclaimer", what);
}

/* The CSV column's code in the sheet: money in yuan, area in m². */
static int sheet_code(const char *csv, char *want, size_t cap)
{
    size_t l = strlen(csv);
    if (l > 4 && !strcmp(csv + l - 4, "_fen")) { snprintf(want, cap, "%.*s_yuan", (int)(l - 4), csv); return 1; }
    if (!strcmp(csv, "residential_area")) { snprintf(want, cap, "residential_area_m2"); return 1; }
    snprintf(want, cap, "%s", csv);
    return 0;
}

static void compare_households(const char *code)
{
    char p[4800];
    snprintf(p, sizeof p, "%s/county/%s/households.csv", outdir, code);
    table c = read_csv(p);
    const table *x = sheet_of(code, 1);
    ck_assert_int_ge(c.n, 2);
    int ncol = c.r[0].n;
    ck_assert_int_eq(ncol, 18);
    ck_assert_int_ge(x->n, 2 + (c.n - 1) + 3);
    /* every CSV column is in the sheet under its code (hidden row 1) */
    int xc[18], numeric[18];
    for (int k = 0; k < ncol; k++) {
        char want[64];
        numeric[k] = sheet_code(c.r[0].f[k], want, sizeof want);
        xc[k] = col_of(x, want);
    }
    /* the clerk's columns come first, the machine columns trail */
    int first_machine = col_of(x, "assistance_type");
    for (int k = 0; k < x->r[0].n; k++)
        ck_assert_msg(is_machine(x->r[0].f[k]) == (k >= first_machine), "户: column %s is %s the machine columns",
                      x->r[0].f[k], k >= first_machine ? "among" : "before");
    static const char *const titles[][2] = {
        {"county_code", "区县代码"}, {"county_name", "区县"}, {"application_id", "申请编号"},
        {"assistance_type_zh", "救助类型"}, {"area_type_zh", "城乡类别"}, {"members", "家庭人数"},
        {"verdict_zh", "推荐核对结论"}, {"reasons_zh", "原因"}, {"standard_yuan", "适用保障标准（元/月）"},
        {"household_income_yuan", "家庭月收入（元）"}, {"assets_yuan", "家庭金融资产（元）"} };
    for (size_t i = 0; i < sizeof titles / sizeof *titles; i++)
        ck_assert_str_eq(x->r[1].f[col_of(x, titles[i][0])], titles[i][1]);
    int cas = col_of(x, "assistance_type_zh"), car = col_of(x, "area_type_zh"), cname = col_of(x, "county_name");
    char name[128];
    county_name(code, name, sizeof name);
    /* the data, value for value */
    for (int i = 1; i < c.n; i++) {
        const row *cr = &c.r[i], *xr = &x->r[i + 1];
        ck_assert_int_eq(cr->n, ncol);
        ck_assert_int_eq(xr->n, x->r[0].n);
        for (int k = 0; k < ncol; k++) {
            const char *got = xr->f[xc[k]], *csv = cr->f[k];
            if (numeric[k]) {
                int64_t h;
                ck_assert_msg(hundredths(got, &h), "%s row %d %s: \"%s\" is not a decimal of at most 2 places",
                              code, i, c.r[0].f[k], got);
                char g[64], w[64], *end;
                long long fen = strtoll(csv, &end, 10);
                ck_assert_msg(*csv && !*end, "%s row %d %s: CSV value \"%s\"", code, i, c.r[0].f[k], csv);
                two_decimals(h, g, sizeof g);
                two_decimals(fen, w, sizeof w);
                ck_assert_msg(!strcmp(g, w), "%s row %d %s: sheet %s, CSV %s", code, i, c.r[0].f[k], g, w);
            } else if (!strcmp(c.r[0].f[k], "reasons_zh")) {
                char flat[4096];
                semicolons(got, flat, sizeof flat);
                ck_assert_msg(!strcmp(flat, csv), "%s row %d reasons_zh: sheet \"%s\", CSV \"%s\"", code, i, got, csv);
            } else {
                ck_assert_msg(!strcmp(got, csv), "%s row %d %s: sheet \"%s\", CSV \"%s\"", code, i, c.r[0].f[k], got, csv);
            }
        }
        /* the clerk's words for the codes */
        ck_assert_str_eq(xr->f[cas], zh_of(cr->f[2]));
        ck_assert_str_eq(xr->f[car], zh_of(cr->f[3]));
        ck_assert_str_eq(xr->f[cname], name);
        ck_assert_str_eq(xr->f[col_of(x, "verdict_zh")], zh_of(cr->f[5]));
    }
    disclaimer_after(x, c.n + 1, "户");
    free_table(&c);
}

static void compare_members(const char *code)
{
    char p[4800];
    snprintf(p, sizeof p, "%s/county/%s/members.csv", outdir, code);
    table c = read_csv(p);
    const table *x = sheet_of(code, 2);
    ck_assert_int_ge(c.n, 2);
    int ncol = c.r[0].n;
    ck_assert_int_eq(ncol, 9);
    ck_assert_int_ge(x->n, 2 + (c.n - 1) + 3);
    ck_assert_str_eq(x->r[1].f[0], "区县代码");
    ck_assert_str_eq(x->r[1].f[col_of(x, "evidence_zh")], "证据");
    ck_assert_str_eq(x->r[1].f[col_of(x, "relation_zh")], "与申请人关系");
    int xc[9];
    for (int k = 0; k < ncol; k++) xc[k] = col_of(x, c.r[0].f[k]);
    int rel = col_of(x, "relation_zh"), st = col_of(x, "row_status_zh"), fz = col_of(x, "findings_zh"),
        ez = col_of(x, "evidence_zh");
    for (int i = 1; i < c.n; i++) {
        const row *cr = &c.r[i], *xr = &x->r[i + 1];
        for (int k = 0; k < ncol; k++)
            ck_assert_msg(!strcmp(xr->f[xc[k]], cr->f[k]), "%s members row %d %s: sheet \"%s\", CSV \"%s\"",
                          code, i, c.r[0].f[k], xr->f[xc[k]], cr->f[k]);
        ck_assert_str_eq(xr->f[rel], zh_of(cr->f[5]));
        if (!strcmp(cr->f[6], "ok")) ck_assert_str_eq(xr->f[st], "正常");
        else ck_assert_msg(!strncmp(xr->f[st], "第", strlen("第")) && strstr(xr->f[st], "行：") != NULL,
                           "%s members row %d: status \"%s\" names no line", code, i, xr->f[st]);
        ck_assert_msg(!cr->f[7][0] == !xr->f[fz][0], "%s members row %d: findings_zh \"%s\"", code, i, xr->f[fz]);
        ck_assert_msg(!cr->f[8][0] == !xr->f[ez][0], "%s members row %d: evidence_zh \"%s\"", code, i, xr->f[ez]);
    }
    disclaimer_after(x, c.n + 1, "成员");
    free_table(&c);
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

/* Counties whose members.csv has a rejected row (at most n). */
static int rejected_counties(char out[][64], int n)
{
    char pat[4700];
    snprintf(pat, sizeof pat, "%s/county/*/members.csv", outdir);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    int k = 0;
    size_t skip = strlen(outdir) + strlen("/county/");
    for (size_t i = 0; i < g.gl_pathc && k < n; i++) {
        table c = read_csv(g.gl_pathv[i]);
        int bad = 0;
        for (int r = 1; r < c.n; r++) if (c.r[r].n == 9 && strcmp(c.r[r].f[6], "ok")) bad = 1;
        free_table(&c);
        if (bad) {
            const char *a = g.gl_pathv[i] + skip;
            snprintf(out[k++], 64, "%.*s", (int)(strchr(a, '/') - a), a);
        }
    }
    globfree(&g);
    return k;
}

/* A rejected member row keeps what its other cells say: the relation the
 * clerk wrote (read here from the inbox line the status names), the masked
 * ID when the ID was not the fault, and a status naming the line, the
 * column by its header and the reason in Chinese. */
START_TEST(rejected_rows_keep_what_parsed)
{
    need_libreoffice();
    province();
    char codes[6][64];
    int n = rejected_counties(codes, 3);
    ck_assert_msg(n >= 2, "the generated province has rejected rows in only %d counties", n);
    int checked = 0, with_id = 0;
    for (int i = 0; i < n; i++) {
        const table *x = sheet_of(codes[i], 2);
        char p[4800];
        snprintf(p, sizeof p, "%s/inbox/%s.csv", prov, codes[i]);
        table in = read_csv(p);
        int crel = -1, cid = -1;
        for (int k = 0; k < in.r[0].n; k++) {
            if (!strcmp(in.r[0].f[k], "与申请人关系")) crel = k;
            if (!strcmp(in.r[0].f[k], "身份证号码")) cid = k;
        }
        ck_assert(crel >= 0 && cid >= 0);
        int st = col_of(x, "row_status_zh"), rs = col_of(x, "row_status"), rel = col_of(x, "relation_zh"),
            idm = col_of(x, "id_number_masked");
        for (int r = 2; r < x->n; r++) {
            if (x->r[r].n <= rs || !x->r[r].f[rs][0] || !strcmp(x->r[r].f[rs], "ok")) continue;
            const char *status = x->r[r].f[st], *reason = x->r[r].f[rs];
            unsigned line = 0;
            ck_assert_msg(sscanf(status, "第%u行", &line) == 1 && line >= 2, "status \"%s\" names no line", status);
            /* the inbox is one physical line per row here (no quoted line breaks) */
            ck_assert_int_le((int)line, in.n);
            const row *src = &in.r[line - 1];
            ck_assert_int_gt(src->n, crel);
            const char *wrote = src->f[crel];
            const char *want = !strcmp(wrote, "外祖父母") || !strcmp(wrote, "祖父母") ? "（外）祖父母"
                             : !strcmp(wrote, "外孙子女") || !strcmp(wrote, "孙子女") ? "（外）孙子女" : wrote;
            ck_assert_msg(!strcmp(x->r[r].f[rel], want), "%s line %u (%s): relation \"%s\", the clerk wrote \"%s\"",
                          codes[i], line, reason, x->r[r].f[rel], wrote);
            /* a Chinese reason that names the column */
            int names_col = 0;
            for (int k = 0; k < in.r[0].n; k++)
                if (strstr(status, in.r[0].f[k])) names_col = 1;
            ck_assert_msg(names_col, "%s line %u: status \"%s\" names no column of the inbox header", codes[i], line, status);
            for (const char *q = status; *q; q++)
                ck_assert_msg(!((*q >= 'A' && *q <= 'Z') && q[1] >= 'A' && q[1] <= 'Z'),
                              "status \"%s\" holds a code", status);
            if (strncmp(reason, "ID_", 3) != 0 && strcmp(reason, "EXCEL_MANGLED") != 0) {
                const char *id = src->f[cid];
                char m[32];
                snprintf(m, sizeof m, "%.6s********%s", id, id + strlen(id) - 4);
                ck_assert_msg(!strcmp(x->r[r].f[idm], m), "%s line %u (%s): masked ID \"%s\", want %s",
                              codes[i], line, reason, x->r[r].f[idm], m);
                with_id++;
            }
            checked++;
        }
        free_table(&in);
    }
    ck_assert_int_ge(checked, 2);
    ck_assert_int_ge(with_id, 1);
}
END_TEST

/* A clerk's reading needs no English: every cell of the first two sheets,
 * outside the hidden code row, the machine columns and the English
 * disclaimer, holds no canonical code (an upper-case code such as REVIEW
 * or DATE, or a canonical value such as dibao, self, ok). The source and
 * file an evidence cites ("（来源 fund，extracts/fund/… 第3行）") are names
 * the operator chose, not codes, and are left out. */
static const char *const lower_codes[] = {
    "urban", "rural", "dibao", "tekun", "bianyuan", "linshi", "self", "spouse", "child", "parent", "sibling",
    "grandparent", "grandchild", "other", "yes", "no", "demand", "time", "wealth", "fund", "securities",
    "insurance", "car", "truck", "bus", "motorcycle", "tricycle", "agricultural", "disability", "normal",
    "scrapped", "deregistered", "seized", "residential", "commercial", "office", "industrial", "parking",
    "valid", "mortgaged", "sealed", "cancelled", "wage", "business", "labour", "rent", "interest", "active",
    "suspended", "stopped", "employee", "resident", "closed", "legal_rep", "shareholder", "executive", "owner",
    "revoked", "ok", "applicants", "deposit", "vehicle", "property", "income", "pension", "death",
    "balance_yuan", "institution", "account", "product", "status", "period", "type", "plate" };

static void no_codes(const char *cell, const char *where)
{
    char buf[16384];
    snprintf(buf, sizeof buf, "%s", cell);
    /* leave out the cited sources and files */
    for (char *o; (o = strstr(buf, "（来源 ")) != NULL;) {
        char *e = strstr(o, "）");
        ck_assert_msg(e != NULL, "%s: unclosed source citation", where);
        memmove(o, e + strlen("）"), strlen(e + strlen("）")) + 1);
    }
    for (char *q = buf; *q;) {
        if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || *q == '_' || (*q >= '0' && *q <= '9'))) { q++; continue; }
        char *e = q;
        int upper = 1, digits = 0;
        while ((*e >= 'A' && *e <= 'Z') || (*e >= 'a' && *e <= 'z') || *e == '_' || (*e >= '0' && *e <= '9')) {
            if (*e >= 'a' && *e <= 'z') upper = 0;
            if (*e >= '0' && *e <= '9') digits = 1;
            e++;
        }
        char w[256];
        snprintf(w, sizeof w, "%.*s", (int)(e - q), q);
        ck_assert_msg(!(upper && !digits && strlen(w) >= 2), "%s: code \"%s\" in \"%s\"", where, w, cell);
        for (size_t i = 0; i < sizeof lower_codes / sizeof *lower_codes; i++)
            ck_assert_msg(strcmp(w, lower_codes[i]) != 0, "%s: canonical value \"%s\" in \"%s\"", where, w, cell);
        q = e;
    }
}

START_TEST(no_english_codes_for_the_clerk)
{
    need_libreoffice();
    province();
    char list[8][64];
    counties(list[0], list[1]);
    int n = 2 + rejected_counties(list + 2, 3);
    int cells = 0;
    for (int i = 0; i < n; i++)
        for (int sheet = 1; sheet <= 2; sheet++) {
            const table *x = sheet_of(list[i], sheet);
            for (int r = 1; r < x->n; r++)
                for (int k = 0; k < x->r[r].n && k < x->r[0].n; k++) {
                    if (is_machine(x->r[0].f[k])) continue;
                    if (k == 0 && strstr(x->r[r].f[k], "recommendations only")) continue;
                    char where[160];
                    snprintf(where, sizeof where, "%s sheet %d row %d column %s", list[i], sheet, r + 1, x->r[0].f[k]);
                    no_codes(x->r[r].f[k], where);
                    cells++;
                }
        }
    ck_assert_int_gt(cells, 200);
}
END_TEST

/* Unzips one member of a workbook with python3's zipfile. */
static char *unzip(const char *xlsx, const char *member)
{
    char cmd[16384], out[] = "/tmp/xlsx-part-XXXXXX";
    int fd = mkstemp(out);
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "python3 -c 'import sys,zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "
             "'%s' '%s' > %s", xlsx, member, out);
    sh(cmd);
    char *s = td_slurp(out, NULL);
    unlink(out);
    return s;
}

/* A4 landscape at a readable scale (the clerk's columns on page 1, not a
 * whole sheet squeezed to one page width), machine columns hidden and out
 * of the print area, widths from content (an empty reasons column stays
 * narrow), and the members count centred so it cannot run into the
 * verdict beside it. */
START_TEST(print_layout)
{
    province();
    char a[64], b[64];
    counties(a, b);
    char x[4800];
    snprintf(x, sizeof x, "%s/county/%s/results.xlsx", outdir, b);
    char *s1 = unzip(x, "xl/worksheets/sheet1.xml"), *wb = unzip(x, "xl/workbook.xml"), *sty = unzip(x, "xl/styles.xml");
    const char *ps = strstr(s1, "<pageSetup ");
    ck_assert_ptr_nonnull(ps);
    ck_assert_ptr_nonnull(strstr(ps, "paperSize=\"9\""));
    ck_assert_ptr_nonnull(strstr(ps, "orientation=\"landscape\""));
    ck_assert_ptr_null(strstr(s1, "fitToPage"));
    const char *sc = strstr(ps, "scale=\"");
    int scale = sc && sc < strchr(ps, '>') ? atoi(sc + 7) : 100;
    ck_assert_msg(scale >= 70, "the 户 sheet prints at %d %%", scale);
    ck_assert_msg(strstr(s1, "<colBreaks") != NULL, "no page break after the clerk's first-page columns");
    /* the print area ends before the machine columns: 户 has 17 clerk columns (A:Q) */
    ck_assert_msg(strstr(wb, "'户'!$A$2:$Q$") != NULL, "print area of 户: %s", strstr(wb, "Print_Area"));
    /* columns 18..21 (the machine columns) hidden; column 8 (原因) width */
    for (int c = 18; c <= 21; c++) {
        char needle[64];
        snprintf(needle, sizeof needle, "<col min=\"%d\" max=\"%d\"", c, c);
        const char *col = strstr(s1, needle);
        ck_assert_msg(col != NULL, "no width for column %d", c);
        const char *end = strchr(col, '>');
        const char *h = strstr(col, "hidden=\"1\"");
        ck_assert_msg(h && h < end, "machine column %d is not hidden", c);
    }
    /* the members count: centred (style of cell F3) */
    const char *f3 = strstr(s1, "<c r=\"F3\"");
    ck_assert_ptr_nonnull(f3);
    const char *sa = strstr(f3, " s=\"");
    ck_assert_msg(sa && sa < strchr(f3, '>'), "F3 has no style");
    int style = atoi(sa + 4);
    const char *xfs = strstr(sty, "<cellXfs");
    ck_assert_ptr_nonnull(xfs);
    const char *xf = xfs;
    for (int i = 0; i <= style; i++) { xf = strstr(xf + 1, "<xf "); ck_assert_ptr_nonnull(xf); }
    const char *xend = strstr(xf, "</xf>"), *next = strstr(xf + 1, "<xf ");
    ck_assert_msg(xend && (!next || xend < next) && strstr(xf, "horizontal=\"center\"") &&
                  strstr(xf, "horizontal=\"center\"") < xend, "the members count is not centred");
    free(s1); free(wb); free(sty);
    /* an empty reasons column stays narrow: a county where every household is ELIGIBLE */
    char pat[4700];
    snprintf(pat, sizeof pat, "%s/county/*/households.csv", outdir);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    int found = 0;
    for (size_t i = 0; i < g.gl_pathc && !found; i++) {
        table c = read_csv(g.gl_pathv[i]);
        int all = c.n > 1;
        for (int r = 1; r < c.n; r++) if (c.r[r].f[7][0]) all = 0;
        free_table(&c);
        if (!all) continue;
        found = 1;
        snprintf(x, sizeof x, "%.*sresults.xlsx", (int)(strlen(g.gl_pathv[i]) - strlen("households.csv")), g.gl_pathv[i]);
        char *s = unzip(x, "xl/worksheets/sheet1.xml");
        const char *col = strstr(s, "<col min=\"8\" max=\"8\"");
        ck_assert_ptr_nonnull(col);
        const char *w = strstr(col, "width=\"");
        ck_assert_ptr_nonnull(w);
        double width = atof(w + 7);
        ck_assert_msg(width < 10, "the empty reasons column is %.1f wide", width);
        free(s);
    }
    globfree(&g);
    ck_assert_msg(found, "no county with only ELIGIBLE households");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xlsx");
    TCase *tc = tcase_create("county workbook");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, households_sheet_equals_households_csv);
    tcase_add_test(tc, members_sheet_equals_members_csv);
    tcase_add_test(tc, rejected_rows_keep_what_parsed);
    tcase_add_test(tc, no_english_codes_for_the_clerk);
    tcase_add_test(tc, print_layout);
    suite_add_tcase(s, tc);
    /* one province for all tests: run them in this process */
    setenv("CK_FORK", "no", 1);
    int rc = td_run(s);
    for (int i = 0; i < ncache; i++) free_table(&cache[i].t);
    if (prov[0] && rc == 0) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf %s", prov);
        if (system(cmd) != 0) fprintf(stderr, "test_xlsx: cannot remove %s\n", prov);
    }
    return rc;
}
