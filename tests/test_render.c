/*
 * test_render.c — Chinese shows as Chinese, not as boxes, where auditors
 * and clerks read it: audit/report.html in headless Chromium and
 * county/<code>/results.xlsx through LibreOffice, each printed to PDF and
 * rasterised by pdftoppm (poppler-utils).
 *
 * How a box is told from a character: each file is rendered twice, once
 * with the machine's fonts and once with a fontconfig that offers DejaVu
 * only (no CJK font: every Chinese character becomes the missing-glyph
 * box). The area of a Chinese label on page 1 (located by pdftotext -bbox
 * in the first rendering) must differ between the two renderings: on a
 * machine without a CJK font both renderings are the same boxes and the
 * test fails. The PDF of the first rendering must also embed a font that
 * fontconfig offers for Chinese (fc-match :lang=zh).
 *
 * The pictures are kept for a reader: build/screenshots/report-page1.png
 * and build/screenshots/results-xlsx-page1.png (and test_html keeps the
 * report's first screen). The fonts (fonts-wqy-microhei), Chromium,
 * LibreOffice and poppler-utils are installed by scripts/install-deps;
 * without them the suite fails, it does not skip.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

static char prov[4096];
static char outdir[4600];
static char shots[4096];       /* build/screenshots, absolute */

static void sh(const char *cmd)
{
    int rc = system(cmd);
    ck_assert_msg(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "command failed (%d): %s", rc, cmd);
}

static char *run_read(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    ck_assert(b != NULL);
    size_t k;
    while ((k = fread(b + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (cap - n < 4096) { cap *= 2; b = realloc(b, cap); ck_assert(b != NULL); }
    }
    b[n] = 0;
    int rc = pclose(p);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "command failed (%d): %s", rc, cmd);
    return b;
}

static void need(const char *tool, const char *pkg)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", tool);
    ck_assert_msg(system(cmd) == 0, "%s is missing (%s): run scripts/install-deps as root (or make test)", tool, pkg);
}

static void province(void)
{
    if (prov[0]) return;
    need("chromium", "chromium");
    need("libreoffice", "libreoffice-calc-nogui");
    need("pdftoppm", "poppler-utils");
    need("pdftotext", "poppler-utils");
    need("pdffonts", "poppler-utils");
    need("fc-match", "fontconfig");
    const char *bin = getenv("HEDUI_BIN");
    ck_assert_msg(bin && *bin, "HEDUI_BIN is not set (run through make test)");
    snprintf(prov, sizeof prov, "/tmp/hedui-render-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(prov));
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "python3 scripts/gen-province.py '%s' --households 120 --background-factor 2 >/dev/null 2>&1"
             " && rm -rf '%s/keys' && '%s' keygen '%s/keys' >/dev/null && '%s' -q run '%s/job.ini'",
             prov, prov, bin, prov, bin, prov);
    sh(cmd);
    char pat[4200];
    snprintf(pat, sizeof pat, "%s/out/*-*", prov);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_uint_eq(g.gl_pathc, 1);
    snprintf(outdir, sizeof outdir, "%s", g.gl_pathv[0]);
    globfree(&g);
    /* a fontconfig with DejaVu only: the rendering of missing glyphs */
    snprintf(cmd, sizeof cmd, "%s/nocjk.conf", prov);
    FILE *f = fopen(cmd, "w");
    ck_assert(f != NULL);
    fprintf(f, "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n<fontconfig>\n"
               "  <dir>/usr/share/fonts/truetype/dejavu</dir>\n  <cachedir>%s/fc-cache</cachedir>\n</fontconfig>\n", prov);
    fclose(f);
    sh("mkdir -p build/screenshots");
    ck_assert_ptr_nonnull(realpath("build/screenshots", shots));
}

/* Environment prefix: the machine's fonts (nocjk 0) or DejaVu only. */
static const char *fonts_env(int nocjk)
{
    static char env[4400];
    if (!nocjk) return "";
    snprintf(env, sizeof env, "FONTCONFIG_FILE='%s/nocjk.conf' ", prov);
    return env;
}

static void html_pdf(const char *html, const char *pdf, int nocjk)
{
    char profile[4600], cmd[16384];
    static int n;
    snprintf(profile, sizeof profile, "%s/chromium-%d", prov, ++n);
    ck_assert_int_eq(mkdir(profile, 0700), 0);
    snprintf(cmd, sizeof cmd, "%stimeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync --user-data-dir='%s' "
             "--no-pdf-header-footer --print-to-pdf='%s' 'file://%s' >/dev/null 2>&1", fonts_env(nocjk), profile, pdf, html);
    sh(cmd);
}

static void xlsx_pdf(const char *xlsx, const char *pdf, int nocjk)
{
    char dir[4600], cmd[16384];
    static int n;
    snprintf(dir, sizeof dir, "%s/lo-%d", prov, ++n);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    snprintf(cmd, sizeof cmd, "%stimeout 300 libreoffice -env:UserInstallation='file://%s/profile' --headless "
             "--convert-to pdf --outdir '%s' '%s' >'%s/log' 2>&1 && mv '%s'/*.pdf '%s'",
             fonts_env(nocjk), dir, dir, xlsx, dir, dir, pdf);
    sh(cmd);
}

/* Page 1 of a PDF as an 8-bit grey image at 72 dpi (1 px = 1 pt). */
typedef struct grey { int w, h; unsigned char *px; } grey;

static grey page1(const char *pdf)
{
    char cmd[16384], out[4600];
    snprintf(out, sizeof out, "%s.pgm", pdf);
    snprintf(cmd, sizeof cmd, "pdftoppm -r 72 -gray -f 1 -l 1 -singlefile '%s' '%s'", pdf, pdf);
    sh(cmd);
    size_t len;
    char *b = td_slurp(out, &len);
    grey g = {0};
    int maxv = 0, off = 0;
    ck_assert_msg(sscanf(b, "P5 %d %d %d%n", &g.w, &g.h, &maxv, &off) == 3 && maxv == 255, "%s: not a PGM", out);
    off++;                               /* the one whitespace after maxval */
    ck_assert((size_t)off + (size_t)g.w * (size_t)g.h <= len);
    g.px = malloc((size_t)g.w * (size_t)g.h);
    ck_assert(g.px != NULL);
    memcpy(g.px, b + off, (size_t)g.w * (size_t)g.h);
    free(b);
    return g;
}

/* The box of the first word on page 1 that contains `label` (pt). */
static void word_box(const char *pdf, const char *label, double box[4])
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "pdftotext -bbox -f 1 -l 1 '%s' -", pdf);
    char *x = run_read(cmd);
    char *p = strstr(x, label);
    ck_assert_msg(p != NULL, "%s: no \"%s\" on page 1 (a label drawn as missing-glyph boxes has no text: is a CJK "
                  "font installed? fonts-wqy-microhei, scripts/install-deps)", pdf, label);
    while (p > x && strncmp(p, "<word ", 6)) p--;
    ck_assert_msg(sscanf(p, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"",
                         &box[0], &box[1], &box[2], &box[3]) == 4, "%s: cannot read the box of %s", pdf, label);
    free(x);
}

/* Pixels that differ (by more than a quarter of the range) in the box, and
 * the dark pixels of each rendering there. */
static void compare_box(const grey *a, const grey *b, const double box[4], long *diff, long *ink_a, long *ink_b)
{
    *diff = *ink_a = *ink_b = 0;
    int x0 = (int)box[0], y0 = (int)box[1], x1 = (int)box[2] + 1, y1 = (int)box[3] + 1;
    for (int y = y0; y < y1 && y < a->h && y < b->h; y++)
        for (int x = x0; x < x1 && x < a->w && x < b->w; x++) {
            int pa = a->px[y * a->w + x], pb = b->px[y * b->w + x];
            if (abs(pa - pb) > 64) (*diff)++;
            if (pa < 128) (*ink_a)++;
            if (pb < 128) (*ink_b)++;
        }
}

/* The PDF embeds the font fontconfig offers for Chinese. */
static void embeds_cjk_font(const char *pdf)
{
    char *fam = run_read("fc-match -f '%{family[0]}' :lang=zh-cn");
    char want[256];
    size_t k = 0;
    for (const char *p = fam; *p && k + 1 < sizeof want; p++) if (*p != ' ') want[k++] = *p;
    want[k] = 0;
    free(fam);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "pdffonts '%s'", pdf);
    char *fonts = run_read(cmd);
    ck_assert_msg(k > 0 && strstr(fonts, want) != NULL, "%s embeds no %s (the CJK font fontconfig offers); fonts:\n%s",
                  pdf, want, fonts);
    free(fonts);
}

/* The label renders as characters: its area differs from the rendering
 * without a CJK font (boxes), and both renderings have ink there. */
static void not_boxes(const char *what, const char *pdf, const char *tofu_pdf, const char *label)
{
    double box[4];
    word_box(pdf, label, box);
    grey a = page1(pdf), b = page1(tofu_pdf);
    long diff, ia, ib;
    compare_box(&a, &b, box, &diff, &ia, &ib);
    long area = (long)((box[2] - box[0]) * (box[3] - box[1]));
    ck_assert_msg(ia > 20, "%s: \"%s\" has no ink (%ld dark pixels)", what, label, ia);
    ck_assert_msg(ib > 0, "%s: the rendering without a CJK font shows nothing at \"%s\"", what, label);
    ck_assert_msg(diff * 20 > area, "%s: \"%s\" renders like the missing-glyph boxes (%ld of %ld pixels differ): "
                  "is a CJK font installed (fonts-wqy-microhei, scripts/install-deps)?", what, label, diff, area);
    free(a.px);
    free(b.px);
}

START_TEST(report_html_shows_chinese)
{
    province();
    char html[4800], pdf[4800], tofu[4800], cmd[16384];
    snprintf(html, sizeof html, "%s/audit/report.html", outdir);
    snprintf(pdf, sizeof pdf, "%s/report.pdf", prov);
    snprintf(tofu, sizeof tofu, "%s/report-nocjk.pdf", prov);
    html_pdf(html, pdf, 0);
    html_pdf(html, tofu, 1);
    embeds_cjk_font(pdf);
    not_boxes("report.html", pdf, tofu, "居民家庭经济状况核对报告");
    not_boxes("report.html", pdf, tofu, "优先核查的家庭");
    snprintf(cmd, sizeof cmd, "pdftoppm -r 80 -png -f 1 -l 1 -singlefile '%s' '%s/report-page1'", pdf, shots);
    sh(cmd);
}
END_TEST

START_TEST(results_xlsx_shows_chinese)
{
    province();
    /* the county with the most households: a full first page */
    char pat[4700], best[4800] = "";
    snprintf(pat, sizeof pat, "%s/county/*/households.csv", outdir);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    size_t most = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        size_t len;
        char *s = td_slurp(g.gl_pathv[i], &len);
        size_t lines = 0;
        for (size_t k = 0; k < len; k++) lines += s[k] == '\n';
        free(s);
        if (lines > most) {
            most = lines;
            snprintf(best, sizeof best, "%.*sresults.xlsx", (int)(strlen(g.gl_pathv[i]) - strlen("households.csv")), g.gl_pathv[i]);
        }
    }
    globfree(&g);
    ck_assert(best[0]);
    char pdf[4800], tofu[4800], cmd[16384];
    snprintf(pdf, sizeof pdf, "%s/results.pdf", prov);
    snprintf(tofu, sizeof tofu, "%s/results-nocjk.pdf", prov);
    xlsx_pdf(best, pdf, 0);
    xlsx_pdf(best, tofu, 1);
    embeds_cjk_font(pdf);
    not_boxes("results.xlsx", pdf, tofu, "推荐核对结论");
    not_boxes("results.xlsx", pdf, tofu, "申请编号");
    snprintf(cmd, sizeof cmd, "pdftoppm -r 80 -png -f 1 -l 1 -singlefile '%s' '%s/results-xlsx-page1'", pdf, shots);
    sh(cmd);
}
END_TEST

int main(void)
{
    setenv("CK_FORK", "no", 1);    /* one province for both tests */
    Suite *s = suite_create("render");
    TCase *tc = tcase_create("Chinese on screen and paper");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, report_html_shows_chinese);
    tcase_add_test(tc, results_xlsx_shows_chinese);
    suite_add_tcase(s, tc);
    int rc = td_run(s);
    if (prov[0] && rc == 0 && !getenv("HEDUI_KEEP")) {
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", prov);
        if (system(cmd) != 0) fprintf(stderr, "test_render: cannot remove %s\n", prov);
    }
    return rc;
}
