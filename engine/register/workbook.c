/*
 * workbook.c — the one reader of a returned workbook (SPEC §9 "Outcomes"):
 * the rows of one named sheet of an .xlsx file (Office Open XML,
 * ECMA-376), for `hedui outcome import` of the 核查结果 sheet of
 * results.xlsx as a clerk saved it.
 *
 * Debian has no C library that reads xlsx (libxlsxwriter only writes), so
 * this reads the container with minizip (libminizip-dev, the zip library
 * libxlsxwriter itself uses) and its XML with expat (libexpat1-dev):
 * xl/workbook.xml names the sheet and its relationship id,
 * xl/_rels/workbook.xml.rels gives its part, xl/sharedStrings.xml holds
 * the strings cells refer to. Cells are given as text: shared and inline
 * strings, and the value of every other cell as written (a number's
 * digits, a formula's cached result, a boolean 0/1); dates typed into a
 * cell are numbers (serial days) and the caller converts them. A row is
 * numbered as the spreadsheet shows it (its r attribute), so FILE:LINE
 * names the row a clerk sees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <expat.h>
#include <minizip/unzip.h>
#include "register/reg_db.h"

#define MAX_PART ((size_t)256 << 20)    /* 256 MiB uncompressed: refused beyond */

/* The uncompressed bytes of part `name`, NUL-ended; NULL when absent,
 * too large or damaged (*why says which). */
static char *read_part(unzFile z, const char *name, size_t *len, const char **why)
{
    *why = "missing";
    if (unzLocateFile(z, name, 1) != UNZ_OK) return NULL;
    unz_file_info64 info;
    if (unzGetCurrentFileInfo64(z, &info, NULL, 0, NULL, 0, NULL, 0) != UNZ_OK) { *why = "damaged"; return NULL; }
    if (info.uncompressed_size > MAX_PART) { *why = "too large"; return NULL; }
    size_t n = (size_t)info.uncompressed_size;
    char *b = malloc(n + 1);
    if (!b) { *why = "out of memory"; return NULL; }
    if (unzOpenCurrentFile(z) != UNZ_OK) { free(b); *why = "damaged"; return NULL; }
    size_t got = 0;
    for (;;) {
        int r = unzReadCurrentFile(z, b + got, (unsigned)(n - got < 65536 ? n - got : 65536));
        if (r < 0) { unzCloseCurrentFile(z); free(b); *why = "damaged"; return NULL; }
        if (r == 0) break;
        got += (size_t)r;
        if (got == n) break;
    }
    /* a CRC error shows when the file is closed */
    if (unzCloseCurrentFile(z) != UNZ_OK || got != n) { free(b); *why = "damaged"; return NULL; }
    b[n] = '\0';
    *len = n;
    return b;
}

/* The local part of an XML name ("x:row" -> "row"). */
static const char *local(const char *name)
{
    const char *c = strrchr(name, ':');
    return c ? c + 1 : name;
}

static const char *attr(const char **a, const char *name)
{
    for (int i = 0; a[i]; i += 2)
        if (!strcmp(local(a[i]), name)) return a[i + 1];
    return NULL;
}

/* ------------------------------------------------------------ text buffer */

typedef struct sbuf { char *p; size_t n, cap; int oom; } sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { b->oom = 1; return; }
        b->p = p; b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* ------------------------------------------------------------ workbook.xml, rels */

typedef struct find_ctx {
    const char *want;              /* sheet name, or relationship id */
    int rels;
    char found[512];
} find_ctx;

static void find_start(void *u, const char *el, const char **a)
{
    find_ctx *c = u;
    if (c->found[0]) return;
    if (!c->rels && !strcmp(local(el), "sheet")) {
        const char *n = attr(a, "name"), *id = attr(a, "id");
        if (n && id && !strcmp(n, c->want)) snprintf(c->found, sizeof c->found, "%s", id);
    } else if (c->rels && !strcmp(local(el), "Relationship")) {
        const char *id = attr(a, "Id"), *t = attr(a, "Target");
        if (id && t && !strcmp(id, c->want)) snprintf(c->found, sizeof c->found, "%s", t);
    }
}

static int find_in(const char *xml, size_t n, const char *want, int rels, char *out, size_t cap)
{
    find_ctx c = { want, rels, "" };
    XML_Parser p = XML_ParserCreate(NULL);
    if (!p) return -1;
    XML_SetUserData(p, &c);
    XML_SetElementHandler(p, find_start, NULL);
    int ok = XML_Parse(p, xml, (int)n, 1) == XML_STATUS_OK;
    XML_ParserFree(p);
    if (!ok || !c.found[0]) return -1;
    snprintf(out, cap, "%s", c.found);
    return 0;
}

/* ------------------------------------------------------------ sharedStrings.xml */

typedef struct sst_ctx {
    char **s; size_t n, cap;
    sbuf cur;
    int in_si, in_t, in_rph;
    int oom;
} sst_ctx;

static void sst_start(void *u, const char *el, const char **a)
{
    (void)a;
    sst_ctx *c = u;
    const char *l = local(el);
    if (!strcmp(l, "si")) { c->in_si = 1; c->cur.n = 0; if (c->cur.p) c->cur.p[0] = '\0'; }
    else if (!strcmp(l, "rPh")) c->in_rph = 1;      /* phonetic runs are not the text */
    else if (!strcmp(l, "t") && c->in_si && !c->in_rph) c->in_t = 1;
}

static void sst_end(void *u, const char *el)
{
    sst_ctx *c = u;
    const char *l = local(el);
    if (!strcmp(l, "t")) c->in_t = 0;
    else if (!strcmp(l, "rPh")) c->in_rph = 0;
    else if (!strcmp(l, "si")) {
        c->in_si = 0;
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 256;
            char **s = realloc(c->s, cap * sizeof *s);
            if (!s) { c->oom = 1; return; }
            c->s = s; c->cap = cap;
        }
        char *t = strdup(c->cur.p ? c->cur.p : "");
        if (!t) { c->oom = 1; return; }
        c->s[c->n++] = t;
    }
}

static void sst_text(void *u, const char *s, int len)
{
    sst_ctx *c = u;
    if (c->in_t) sb_add(&c->cur, s, (size_t)len);
}

/* ------------------------------------------------------------ the sheet */

typedef struct cell { uint32_t col; char *text; } cell;

typedef struct sheet_ctx {
    char **sst; size_t nsst;
    hd_wb_row_fn fn; void *user;
    uint64_t row, next_row;        /* the current row's number; the next one's without r */
    uint32_t next_col;
    cell *cells; size_t ncells, capcells;
    int in_cell, in_v, in_is_t;
    char type[16];
    sbuf v;
    int stop, oom, bad_index;
    XML_Parser p;
} sheet_ctx;

/* "BC12" -> 54 (0-based column), or UINT32_MAX. */
static uint32_t ref_col(const char *r)
{
    uint32_t c = 0;
    int k = 0;
    for (; r[k] >= 'A' && r[k] <= 'Z' && k < 4; k++) c = c * 26 + (uint32_t)(r[k] - 'A' + 1);
    return k ? c - 1 : UINT32_MAX;
}

static void emit_row(sheet_ctx *c)
{
    if (c->stop) return;
    uint32_t ncols = 0;
    for (size_t i = 0; i < c->ncells; i++) if (c->cells[i].col + 1 > ncols) ncols = c->cells[i].col + 1;
    if (ncols > 16384) ncols = 16384;
    hd_field *f = calloc(ncols ? ncols : 1, sizeof *f);
    if (!f) { c->oom = 1; c->stop = 1; return; }
    for (uint32_t k = 0; k < ncols; k++) f[k].p = "";
    for (size_t i = 0; i < c->ncells; i++)
        if (c->cells[i].col < ncols) { f[c->cells[i].col].p = c->cells[i].text; f[c->cells[i].col].n = strlen(c->cells[i].text); }
    if (c->fn(c->user, c->row, f, ncols) != 0) c->stop = 1;
    free(f);
}

static void clear_cells(sheet_ctx *c)
{
    for (size_t i = 0; i < c->ncells; i++) free(c->cells[i].text);
    c->ncells = 0;
}

static void sheet_start(void *u, const char *el, const char **a)
{
    sheet_ctx *c = u;
    const char *l = local(el);
    if (c->stop) return;
    if (!strcmp(l, "row")) {
        const char *r = attr(a, "r");
        c->row = r ? strtoull(r, NULL, 10) : c->next_row;
        c->next_row = c->row + 1;
        c->next_col = 0;
        clear_cells(c);
    } else if (!strcmp(l, "c")) {
        c->in_cell = 1;
        const char *r = attr(a, "r"), *t = attr(a, "t");
        uint32_t col = r ? ref_col(r) : c->next_col;
        if (col == UINT32_MAX) col = c->next_col;
        c->next_col = col + 1;
        snprintf(c->type, sizeof c->type, "%s", t ? t : "n");
        c->v.n = 0;
        if (c->v.p) c->v.p[0] = '\0';
        if (c->ncells == c->capcells) {
            size_t cap = c->capcells ? c->capcells * 2 : 32;
            cell *nc = realloc(c->cells, cap * sizeof *nc);
            if (!nc) { c->oom = 1; c->stop = 1; return; }
            c->cells = nc; c->capcells = cap;
        }
        c->cells[c->ncells].col = col;
        c->cells[c->ncells].text = NULL;
    } else if (c->in_cell && !strcmp(l, "v")) {
        c->in_v = 1;
    } else if (c->in_cell && !strcmp(l, "t")) {
        c->in_is_t = 1;                      /* <is><t> of an inline string */
    }
}

static void sheet_end(void *u, const char *el)
{
    sheet_ctx *c = u;
    const char *l = local(el);
    if (c->stop) return;
    if (!strcmp(l, "v")) c->in_v = 0;
    else if (!strcmp(l, "t")) c->in_is_t = 0;
    else if (!strcmp(l, "c") && c->in_cell) {
        c->in_cell = 0;
        const char *text = c->v.p ? c->v.p : "";
        if (!strcmp(c->type, "s")) {
            char *end;
            unsigned long long i = strtoull(text, &end, 10);
            if (end == text || *end || i >= c->nsst) { c->bad_index = 1; c->stop = 1; return; }
            text = c->sst[i];
        }
        char *t = strdup(text);
        if (!t) { c->oom = 1; c->stop = 1; return; }
        c->cells[c->ncells++].text = t;
    } else if (!strcmp(l, "row")) {
        emit_row(c);
        clear_cells(c);
    }
}

static void sheet_text(void *u, const char *s, int len)
{
    sheet_ctx *c = u;
    if (c->in_v || c->in_is_t) sb_add(&c->v, s, (size_t)len);
}

int hd_workbook_rows(const char *path, const char *sheet, hd_wb_row_fn fn, void *user, char *why, size_t cap)
{
    unzFile z = unzOpen64(path);
    if (!z) { snprintf(why, cap, "not a workbook (.xlsx): not a zip archive"); return -1; }
    int rc = -1;
    size_t n = 0;
    const char *pw = NULL;
    char *wb = NULL, *rels = NULL, *sst = NULL, *ws = NULL;
    char rid[512], target[512], part[1100];
    sst_ctx s;
    memset(&s, 0, sizeof s);
    if (!(wb = read_part(z, "xl/workbook.xml", &n, &pw))) { snprintf(why, cap, "not a workbook (.xlsx): xl/workbook.xml %s", pw); goto out; }
    if (find_in(wb, n, sheet, 0, rid, sizeof rid) != 0) { snprintf(why, cap, "the workbook has no sheet %s", sheet); goto out; }
    if (!(rels = read_part(z, "xl/_rels/workbook.xml.rels", &n, &pw)) || find_in(rels, n, rid, 1, target, sizeof target) != 0) {
        snprintf(why, cap, "the workbook's sheet %s has no part (xl/_rels/workbook.xml.rels %s)", sheet, rels ? "lacks it" : pw);
        goto out;
    }
    /* a target is relative to xl/, or absolute from the archive's root */
    if (target[0] == '/') snprintf(part, sizeof part, "%s", target + 1);
    else snprintf(part, sizeof part, "xl/%s", target);
    if ((sst = read_part(z, "xl/sharedStrings.xml", &n, &pw)) != NULL) {
        XML_Parser p = XML_ParserCreate(NULL);
        if (!p) { snprintf(why, cap, "out of memory"); goto out; }
        XML_SetUserData(p, &s);
        XML_SetElementHandler(p, sst_start, sst_end);
        XML_SetCharacterDataHandler(p, sst_text);
        int ok = XML_Parse(p, sst, (int)n, 1) == XML_STATUS_OK;
        if (!ok) snprintf(why, cap, "xl/sharedStrings.xml: %s at line %lu", XML_ErrorString(XML_GetErrorCode(p)),
                          (unsigned long)XML_GetCurrentLineNumber(p));
        XML_ParserFree(p);
        if (!ok) goto out;
        if (s.oom || s.cur.oom) { snprintf(why, cap, "out of memory"); goto out; }
    } else if (strcmp(pw, "missing")) {
        snprintf(why, cap, "xl/sharedStrings.xml %s", pw);
        goto out;
    }
    if (!(ws = read_part(z, part, &n, &pw))) { snprintf(why, cap, "%s %s", part, pw); goto out; }
    if (n > (size_t)INT32_MAX) { snprintf(why, cap, "%s too large", part); goto out; }
    sheet_ctx c;
    memset(&c, 0, sizeof c);
    c.sst = s.s; c.nsst = s.n; c.fn = fn; c.user = user; c.next_row = 1;
    XML_Parser p = XML_ParserCreate(NULL);
    if (!p) { snprintf(why, cap, "out of memory"); goto out; }
    c.p = p;
    XML_SetUserData(p, &c);
    XML_SetElementHandler(p, sheet_start, sheet_end);
    XML_SetCharacterDataHandler(p, sheet_text);
    int ok = XML_Parse(p, ws, (int)n, 1) == XML_STATUS_OK;
    if (!ok && !c.stop)
        snprintf(why, cap, "%s: %s at line %lu", part, XML_ErrorString(XML_GetErrorCode(p)), (unsigned long)XML_GetCurrentLineNumber(p));
    else if (c.oom || c.v.oom) { ok = 0; snprintf(why, cap, "out of memory"); }
    else if (c.bad_index) { ok = 0; snprintf(why, cap, "%s: row %llu refers to a shared string that is not there", part, (unsigned long long)c.row); }
    else ok = 1;
    XML_ParserFree(p);
    clear_cells(&c);
    free(c.cells);
    free(c.v.p);
    if (ok) rc = 0;
out:
    for (size_t i = 0; i < s.n; i++) free(s.s[i]);
    free(s.s);
    free(s.cur.p);
    free(wb); free(rels); free(sst); free(ws);
    unzClose(z);
    return rc;
}
