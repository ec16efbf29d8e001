/*
 * check.c — `hedui check [--format FMT] [--as-of YYYY-MM-DD] [--lang zh|en]
 * FILE...` (SPEC §1): validates files against a descriptor without a batch.
 *
 * stdout: `FILE:LINE: CODE: message` per bad row (in Chinese the message
 * starts 第LINE行：), a damage line when the file cannot be read whole, a
 * count line per file and one line per reason with its count. Never a
 * cell. The language: --lang, else LC_ALL, LC_MESSAGES, LANG (the first
 * that is set and not empty) starting with "zh" -> Chinese, else English.
 * Exit: 0 all clean; 65 a bad row or damage; 66 a missing file; 78 a bad
 * descriptor (the most serious one wins: 78 > 66 > 74 > 65).
 *
 * Without --format, FILE.fmt is used, else the file name with its
 * extensions taken off one by one plus ".fmt" (bank-a.csv.zst ->
 * bank-a.csv.fmt, bank-a.fmt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "hedui/check.h"

typedef struct opts { const char *fmt; const char *as_of; const char *lang; } opts;
enum { OPT_FORMAT = 1, OPT_AS_OF, OPT_LANG };

static int on_opt(void *user, int id, const char *arg)
{
    opts *o = user;
    if (id == OPT_FORMAT) o->fmt = arg;
    else if (id == OPT_AS_OF) o->as_of = arg;
    else if (id == OPT_LANG) o->lang = arg;
    return 0;
}

typedef struct bad_ctx { const char *file; hd_lang lang; } bad_ctx;

static void on_bad(void *user, uint64_t line, hd_reason reason, int field, const char *msg)
{
    (void)field;
    const bad_ctx *b = user;
    if (b->lang == HD_LANG_ZH)
        printf("%s:%llu: %s: 第%llu行：%s\n", b->file, (unsigned long long)line, hd_reason_name(reason),
               (unsigned long long)line, msg);
    else
        printf("%s:%llu: %s: %s\n", b->file, (unsigned long long)line, hd_reason_name(reason), msg);
}

/* The language from the environment: the first of LC_ALL, LC_MESSAGES,
 * LANG that is set and not empty; "zh..." is Chinese. */
static hd_lang env_lang(void)
{
    static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
    for (size_t i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return !strncmp(v, "zh", 2) ? HD_LANG_ZH : HD_LANG_EN;
    }
    return HD_LANG_EN;
}

/* The damage line: English as the scanner wrote it; Chinese with the
 * location and code kept, the advice in Chinese and the scanner's detail
 * after it. */
static void print_damage(const char *file, const hd_check_counts *c, hd_lang lang)
{
    const char *code = hd_reason_name(c->damage);
    size_t flen = strlen(file);
    int located = !strncmp(c->damage_msg, file, flen) && strstr(c->damage_msg, code);
    if (lang != HD_LANG_ZH) {
        if (located) printf("%s\n", c->damage_msg);
        else printf("%s: %s: %s\n", file, code, c->damage_msg);
        return;
    }
    char advice[1024];
    hd_reason_advice_ex(c->damage, -1, NULL, HD_LANG_ZH, NULL, advice, sizeof advice);
    if (c->damage == HD_R_QUARANTINE_RATE) {
        printf("%s: %s: %llu行中有%llu行有错，%s\n", file, code, (unsigned long long)c->rows,
               (unsigned long long)c->rows_bad, advice);
        return;
    }
    /* "FILE[:LINE]: CODE: detail" -> keep "FILE[:LINE]: CODE: " */
    const char *detail = c->damage_msg;
    char where[64] = "";
    if (located) {
        const char *p = c->damage_msg + flen;
        unsigned long long line = 0;
        int n = 0;
        if (sscanf(p, ":%llu:%n", &line, &n) == 1 && n > 0) snprintf(where, sizeof where, "%llu", line);
        const char *k = strstr(c->damage_msg, code);
        detail = k + strlen(code);
        if (*detail == ':') detail++;
        while (*detail == ' ') detail++;
    }
    if (where[0])
        printf("%s:%s: %s: 第%s行：%s%s%s%s\n", file, where, code, where, advice,
               *detail ? "（详情：" : "", detail, *detail ? "）" : "");
    else
        printf("%s: %s: %s%s%s%s\n", file, code, advice,
               *detail ? "（详情：" : "", detail, *detail ? "）" : "");
}

/* One line per reason with its count, most frequent first. */
static void print_reasons(const hd_check_counts *c, hd_lang lang)
{
    int order[HD_R__COUNT], n = 0;
    for (int k = 1; k < HD_R__COUNT; k++) if (c->by_reason[k]) order[n++] = k;
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && c->by_reason[order[k]] > c->by_reason[order[k - 1]]; k--) {
            int t = order[k]; order[k] = order[k - 1]; order[k - 1] = t;
        }
    for (int i = 0; i < n; i++) {
        unsigned long long v = (unsigned long long)c->by_reason[order[i]];
        const char *label = hd_reason_label((hd_reason)order[i], lang);
        if (lang == HD_LANG_ZH) printf("  %s：%llu行\n", label, v);
        else printf("  %s: %llu row%s\n", label, v, v == 1 ? "" : "s");
    }
}

static int find_fmt(const char *file, char *out, size_t cap)
{
    if (snprintf(out, cap, "%s.fmt", file) < (int)cap && access(out, F_OK) == 0) return 0;
    char base[4096];
    if (snprintf(base, sizeof base, "%s", file) >= (int)sizeof base) return -1;
    for (;;) {
        char *slash = strrchr(base, '/');
        char *dot = strrchr(slash ? slash + 1 : base, '.');
        if (!dot || dot == (slash ? slash + 1 : base)) return -1;
        *dot = 0;
        if (snprintf(out, cap, "%s.fmt", base) < (int)cap && access(out, F_OK) == 0) return 0;
    }
}

static int rank(int rc)
{
    switch (rc) {
    case HD_OK: return 0;
    case HD_EDATA: return 1;
    case HD_EIO: return 2;
    case HD_ENOINPUT: return 3;
    case HD_ECONFIG: return 4;
    default: return 5;
    }
}

int cmd_check(int argc, char **argv)
{
    static const cli_optdef defs[] = {
        { "--format", 1, OPT_FORMAT }, { "--as-of", 1, OPT_AS_OF }, { "--lang", 1, OPT_LANG },
        { NULL, 0, 0 }
    };
    opts o = { NULL, NULL, NULL };
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("check", argc, argv, defs, on_opt, &o, pos, &npos);
    hd_date as_of = cli_today();
    if (rc == 0 && npos == 0) rc = cli_usage("check", "missing FILE");
    if (rc == 0 && o.as_of && cli_parse_date(o.as_of, &as_of) != 0)
        rc = cli_usage("check", "--as-of takes a date YYYY-MM-DD, not '%s'", o.as_of);
    hd_lang lang = env_lang();
    if (rc == 0 && o.lang) {
        if (!strcmp(o.lang, "zh")) lang = HD_LANG_ZH;
        else if (!strcmp(o.lang, "en")) lang = HD_LANG_EN;
        else rc = cli_usage("check", "--lang takes zh or en, not '%s'", o.lang);
    }
    if (rc) { free(pos); return rc; }

    int worst = HD_OK;
    uint64_t tot_rows = 0, tot_bad = 0, damaged = 0;
    int checked = 0;
    for (int i = 0; i < npos; i++) {
        const char *file = pos[i];
        char fmt[4200];
        if (o.fmt) snprintf(fmt, sizeof fmt, "%s", o.fmt);
        else if (find_fmt(file, fmt, sizeof fmt) != 0) {
            free(pos);
            return cli_usage("check", "no descriptor found for %s (looked for %s.fmt and the name without "
                             "its extensions + .fmt): give --format FMT", file, file);
        }
        hd_check_counts c;
        hd_error err;
        hd_error_clear(&err);
        bad_ctx bc = { file, lang };
        int r = hd_check_file_ex(fmt, file, as_of, lang, on_bad, &bc, &c, &err);
        if (r != HD_OK && r != HD_EDATA) {
            fflush(stdout);
            cli_fail(&err);
        } else {
            checked++;
            if (c.damage != HD_R_NONE) {
                damaged++;
                print_damage(file, &c, lang);
            }
            if (lang == HD_LANG_ZH) {
                printf("%s: 共%llu行，正确%llu行，有错%llu行%s\n", file, (unsigned long long)c.rows,
                       (unsigned long long)c.rows_ok, (unsigned long long)c.rows_bad,
                       c.damage != HD_R_NONE ? "；文件已损坏" : "");
            } else {
                char reasons[1024] = "";
                size_t off = 0;
                for (int k = 1; k < HD_R__COUNT; k++)
                    if (c.by_reason[k] && off < sizeof reasons)
                        off += (size_t)snprintf(reasons + off, sizeof reasons - off, "%s%s %llu",
                                                off ? ", " : "", hd_reason_name((hd_reason)k),
                                                (unsigned long long)c.by_reason[k]);
                printf("%s: %llu rows, %llu ok, %llu bad%s%s%s%s\n", file, (unsigned long long)c.rows,
                       (unsigned long long)c.rows_ok, (unsigned long long)c.rows_bad,
                       off ? " (" : "", reasons, off ? ")" : "",
                       c.damage != HD_R_NONE ? "; the file is damaged" : "");
            }
            print_reasons(&c, lang);
            tot_rows += c.rows;
            tot_bad += c.rows_bad;
        }
        if (rank(r) > rank(worst)) worst = r;
    }
    if (checked > 1 && lang == HD_LANG_ZH)
        printf("合计：%d个文件，共%llu行，有错%llu行，损坏的文件%llu个\n", checked,
               (unsigned long long)tot_rows, (unsigned long long)tot_bad, (unsigned long long)damaged);
    else if (checked > 1)
        printf("total: %d files, %llu rows, %llu bad, %llu damaged\n", checked,
               (unsigned long long)tot_rows, (unsigned long long)tot_bad, (unsigned long long)damaged);
    fflush(stdout);
    free(pos);
    return worst;
}
