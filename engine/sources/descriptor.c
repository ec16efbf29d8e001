/*
 * descriptor.c — format descriptors (SPEC §3 "Format descriptors", §6).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "hedui/source.h"
#include "util/ini.h"

void hd_descriptor_free(hd_descriptor *d)
{
    if (!d) return;
    for (int f = 0; f < HD_F__COUNT; f++) { free(d->col_name[f]); free(d->formats[f]); }
    for (int i = 0; i < d->nvalues; i++) free(d->values[i].from);
    free(d->values);
    free(d->vby);
    free(d);
}

static int parse_char(const char *v, int allow_none, int *out)
{
    if (!strcmp(v, "comma")) { *out = ','; return 1; }
    if (!strcmp(v, "tab")) { *out = '\t'; return 1; }
    if (!strcmp(v, "pipe")) { *out = '|'; return 1; }
    if (!strcmp(v, "semicolon")) { *out = ';'; return 1; }
    if (allow_none && !strcmp(v, "none")) { *out = -1; return 1; }
    if (strlen(v) == 1 && (unsigned char)v[0] < 0x80 && v[0] != '\n' && v[0] != '\r') {
        *out = (unsigned char)v[0];
        return 1;
    }
    return 0;
}

static int parse_yesno(const char *v, int *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1")) { *out = 1; return 1; }
    if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0")) { *out = 0; return 1; }
    return 0;
}

static int parse_uint(const char *v, uint64_t max, uint64_t *out)
{
    if (!*v) return 0;
    uint64_t x = 0;
    for (const char *p = v; *p; p++) {
        if (!isdigit((unsigned char)*p)) return 0;
        if (x > (max - (uint64_t)(*p - '0')) / 10) return 0;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    *out = x;
    return 1;
}

struct loader { hd_descriptor *d; int kind_seen; int mapped_line[HD_F__COUNT]; };

/* Date formats: alternatives separated by '|', each with %Y once and, for
 * a date, %m and %d once; no other conversion than %%, and no empty one. */
static int formats_ok(const char *v, int is_date)
{
    if (!*v) return 0;
    for (const char *p = v; ; ) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        int y = 0, m = 0, dd = 0;
        if (n == 0) return 0;
        for (size_t i = 0; i < n; i++) {
            if (p[i] != '%') continue;
            if (i + 1 >= n) return 0;
            char c = p[++i];
            if (c == 'Y') y++;
            else if (c == 'm') m++;
            else if (c == 'd') dd++;
            else if (c != '%') return 0;
        }
        if (y != 1 || m > 1 || dd > 1 || (is_date && (m != 1 || dd != 1)) || (dd && !m)) return 0;
        if (!end) return 1;
        p = end + 1;
    }
}

#define BAD(...) (hd_fail(err, HD_ECONFIG, __VA_ARGS__), 0)

static int on_format(hd_descriptor *d, struct loader *L, const char *key, const char *v,
                     int line, hd_error *err)
{
    uint64_t u;
    int b, c;
    if (!strcmp(key, "kind")) {
        int k = hd_kind_parse(v);
        if (k < 0) return BAD("%s:%d: unknown kind '%s' (applicants, deposit, vehicle, property, income, pension, fund, business, death)", d->path, line, v);
        d->kind = (hd_kind)k; L->kind_seen = 1;
    } else if (!strcmp(key, "encoding")) {
        if (!strcasecmp(v, "utf-8") || !strcasecmp(v, "utf8")) d->csv.encoding = HD_ENC_UTF8;
        else if (!strcasecmp(v, "gbk") || !strcasecmp(v, "cp936")) d->csv.encoding = HD_ENC_GBK;
        else if (!strcasecmp(v, "gb18030")) d->csv.encoding = HD_ENC_GB18030;
        else return BAD("%s:%d: unknown encoding '%s' (utf-8, gbk, gb18030)", d->path, line, v);
    } else if (!strcmp(key, "delimiter")) {
        if (!parse_char(v, 0, &c)) return BAD("%s:%d: delimiter must be one character or comma, tab, pipe, semicolon", d->path, line);
        d->csv.delimiter = (char)c;
    } else if (!strcmp(key, "quote")) {
        if (!parse_char(v, 1, &c)) return BAD("%s:%d: quote must be one character or none", d->path, line);
        d->csv.quote = c;
    } else if (!strcmp(key, "header")) {
        if (!parse_yesno(v, &b)) return BAD("%s:%d: header must be yes or no", d->path, line);
        d->header = b;
    } else if (!strcmp(key, "fields")) {
        if (!parse_uint(v, 100000, &u) || u == 0) return BAD("%s:%d: fields must be a positive whole number", d->path, line);
        d->fields = (int)u;
    } else if (!strcmp(key, "skip")) {
        if (!parse_uint(v, 1000000, &u)) return BAD("%s:%d: skip must be a whole number", d->path, line);
        d->csv.skip = (unsigned)u;
    } else if (!strcmp(key, "trailer")) {
        if (!strcmp(v, "none")) d->csv.trailer = 0;
        else if (!strcmp(v, "count")) d->csv.trailer = 1;
        else return BAD("%s:%d: trailer must be none or count", d->path, line);
    } else if (!strcmp(key, "id_form")) {
        if (!strcmp(v, "number")) d->id_token = 0;
        else if (!strcmp(v, "token")) d->id_token = 1;
        else return BAD("%s:%d: id_form must be number or token", d->path, line);
    } else if (!strcmp(key, "status_letters")) {
        if (!parse_yesno(v, &b)) return BAD("%s:%d: status_letters must be yes or no", d->path, line);
        d->status_letters = b;
    } else if (!strcmp(key, "max_line")) {
        if (!parse_uint(v, (uint64_t)1 << 30, &u) || u < 64) return BAD("%s:%d: max_line must be a number of bytes from 64 to 1073741824", d->path, line);
        d->csv.max_line = (size_t)u;
    } else if (!strcmp(key, "max_bytes")) {
        if (!parse_uint(v, UINT64_MAX, &u)) return BAD("%s:%d: max_bytes must be a number of bytes (0 = no cap)", d->path, line);
        d->max_bytes = u;
    } else {
        return BAD("%s:%d: unknown key '%s' in [format]", d->path, line, key);
    }
    return 1;
}

static int field_in_kind(hd_descriptor *d, const char *name, int line, hd_error *err)
{
    int f = hd_field_parse(name);
    if (f < 0 || !hd_field_role(d->kind, (hd_fid)f)) {
        hd_fail(err, HD_ECONFIG, "%s:%d: '%s' is not a canonical field of kind %s", d->path, line, name, hd_kind_name(d->kind));
        return -1;
    }
    return f;
}

static int handler(void *user, const char *section, const char *key, const char *v,
                   int line, hd_error *err)
{
    struct loader *L = user;
    hd_descriptor *d = L->d;
    if (!strcmp(section, "format")) return on_format(d, L, key, v, line, err);
    if (!L->kind_seen)
        return BAD("%s:%d: [format] with kind must come first", d->path, line);
    if (!strcmp(section, "columns")) {
        int f = field_in_kind(d, key, line, err);
        if (f < 0) return 0;
        if (d->col_name[f] || d->col_pos[f])
            return BAD("%s:%d: field '%s' mapped twice", d->path, line, key);
        if (!*v) return BAD("%s:%d: field '%s' has no column", d->path, line, key);
        uint64_t u;
        if (v[0] == '#') {
            if (!parse_uint(v + 1, 100000, &u) || u == 0) return BAD("%s:%d: column position must be #1, #2, ...", d->path, line);
            d->col_pos[f] = (int)u;
        } else {
            d->col_name[f] = strdup(v);
            if (!d->col_name[f]) return BAD("%s: out of memory", d->path);
        }
        d->order[d->norder++] = (hd_fid)f;
        L->mapped_line[f] = line;
        return 1;
    }
    if (!strcmp(section, "units")) {
        int f = field_in_kind(d, key, line, err);
        if (f < 0) return 0;
        switch (hd_field_type((hd_fid)f)) {
        case HD_T_MONEY:
            if (!strcmp(v, "fen")) d->money[f] = HD_MONEY_FEN;
            else if (!strcmp(v, "yuan")) d->money[f] = HD_MONEY_YUAN;
            else if (!strcmp(v, "wan")) d->money[f] = HD_MONEY_WAN;
            else return BAD("%s:%d: money unit of '%s' must be fen, yuan or wan", d->path, line, key);
            return 1;
        case HD_T_DATE: case HD_T_PERIOD:
            if (!formats_ok(v, hd_field_type((hd_fid)f) == HD_T_DATE))
                return BAD("%s:%d: date format of '%s' must be strptime-style with %%Y, %%m, %%d (e.g. %%Y%%m%%d or %%Y-%%m-%%d|%%Y/%%m/%%d)",
                           d->path, line, key);
            free(d->formats[f]);
            d->formats[f] = strdup(v);
            return d->formats[f] ? 1 : BAD("%s: out of memory", d->path);
        case HD_T_AREA:
            if (strcmp(v, "m2")) return BAD("%s:%d: area unit must be m2", d->path, line);
            return 1;
        case HD_T_SHARE:
            if (!strcmp(v, "bp")) d->share = HD_SHARE_BP;
            else if (!strcmp(v, "percent")) d->share = HD_SHARE_PERCENT;
            else if (!strcmp(v, "fraction")) d->share = HD_SHARE_FRACTION;
            else return BAD("%s:%d: share unit must be bp, percent or fraction", d->path, line);
            return 1;
        default:
            return BAD("%s:%d: field '%s' takes no unit", d->path, line, key);
        }
    }
    if (!strcmp(section, "values")) {
        const char *dot = strchr(key, '.');
        if (!dot || dot == key || !dot[1]) return BAD("%s:%d: [values] keys are field.code", d->path, line);
        char fname[64];
        size_t fn = (size_t)(dot - key);
        if (fn >= sizeof fname) return BAD("%s:%d: unknown field in [values]", d->path, line);
        memcpy(fname, key, fn); fname[fn] = 0;
        int f = field_in_kind(d, fname, line, err);
        if (f < 0) return 0;
        if (hd_field_type((hd_fid)f) != HD_T_ENUM) return BAD("%s:%d: field '%s' has no canonical values", d->path, line, fname);
        int to = hd_field_value_index(d->kind, (hd_fid)f, v, strlen(v));
        if (to < 0) return BAD("%s:%d: '%s' is not a canonical value of %s", d->path, line, v, fname);
        hd_vmap *nv = realloc(d->values, (size_t)(d->nvalues + 1) * sizeof *nv);
        if (!nv) return BAD("%s: out of memory", d->path);
        d->values = nv;
        const char *from = dot + 1;
        size_t n = strlen(from);
        hd_trim(&from, &n);
        nv[d->nvalues].field = (uint8_t)f;
        nv[d->nvalues].from = strndup(from, n);
        nv[d->nvalues].len = (uint32_t)n;
        nv[d->nvalues].to = to;
        if (!nv[d->nvalues].from) return BAD("%s: out of memory", d->path);
        d->nvalues++;
        return 1;
    }
    return BAD("%s:%d: unknown section [%s] (format, columns, units, values)", d->path, line, section);
}

int hd_descriptor_load(hd_descriptor **out, const char *path, hd_error *err)
{
    *out = NULL;
    hd_descriptor *d = calloc(1, sizeof *d);
    if (!d) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    snprintf(d->path, sizeof d->path, "%s", path);
    d->csv.encoding = HD_ENC_UTF8;
    d->csv.delimiter = ',';
    d->csv.quote = '"';
    d->header = 1;
    d->share = HD_SHARE_BP;
    for (int f = 0; f < HD_F__COUNT; f++) d->type[f] = hd_field_type((hd_fid)f);
    struct loader L = { .d = d };
    int rc = hd_ini_parse(path, handler, &L, err);
    if (rc != HD_OK) { hd_descriptor_free(d); return rc; }
    if (!L.kind_seen) {
        rc = hd_fail(err, HD_ECONFIG, "%s: [format] kind is missing", path);
        goto bad;
    }
    /* every required field mapped; deposit needs balance or over_limit */
    for (int f = 0; f < HD_F__COUNT; f++) {
        int mapped = d->col_name[f] || d->col_pos[f];
        if (hd_field_role(d->kind, (hd_fid)f) == 2 && !mapped) {
            rc = hd_fail(err, HD_ECONFIG, "%s: required field '%s' of kind %s is not in [columns]",
                           path, hd_field_name((hd_fid)f), hd_kind_name(d->kind));
            goto bad;
        }
        if (mapped && hd_field_type((hd_fid)f) == HD_T_MONEY && !d->money[f]) {
            rc = hd_fail(err, HD_ECONFIG, "%s:%d: money field '%s' has no unit in [units] (fen, yuan or wan)",
                           path, L.mapped_line[f], hd_field_name((hd_fid)f));
            goto bad;
        }
        if (mapped && (d->header ? d->col_pos[f] != 0 : d->col_name[f] != NULL)) {
            rc = hd_fail(err, HD_ECONFIG, "%s:%d: field '%s': with header = %s columns are given %s",
                           path, L.mapped_line[f], hd_field_name((hd_fid)f), d->header ? "yes" : "no",
                           d->header ? "by header name" : "as #N positions");
            goto bad;
        }
        if (!d->header && d->col_pos[f] > d->fields && d->fields) {
            rc = hd_fail(err, HD_ECONFIG, "%s:%d: column #%d is beyond fields = %d",
                           path, L.mapped_line[f], d->col_pos[f], d->fields);
            goto bad;
        }
    }
    if (d->kind == HD_KIND_DEPOSIT && !(d->col_name[HD_F_BALANCE] || d->col_pos[HD_F_BALANCE]) &&
        !(d->col_name[HD_F_OVER_LIMIT] || d->col_pos[HD_F_OVER_LIMIT])) {
        rc = hd_fail(err, HD_ECONFIG, "%s: a deposit descriptor maps balance or over_limit", path);
        goto bad;
    }
    if (!d->header && !d->fields) {
        rc = hd_fail(err, HD_ECONFIG, "%s: header = no requires fields = N in [format]", path);
        goto bad;
    }
    if (d->status_letters && d->kind != HD_KIND_VEHICLE) {
        rc = hd_fail(err, HD_ECONFIG, "%s: status_letters applies to kind vehicle only", path);
        goto bad;
    }
    if (d->csv.quote == d->csv.delimiter) {
        rc = hd_fail(err, HD_ECONFIG, "%s: quote and delimiter are the same character", path);
        goto bad;
    }
    if (d->nvalues > 0) {
        if (d->nvalues > UINT16_MAX) {
            rc = hd_fail(err, HD_ECONFIG, "%s: more than %d [values] entries", path, UINT16_MAX);
            goto bad;
        }
        d->vby = malloc((size_t)d->nvalues * sizeof *d->vby);
        if (!d->vby) { rc = hd_fail(err, HD_ESOFTWARE, "%s: out of memory", path); goto bad; }
        int k = 0;
        for (int f = 0; f < HD_F__COUNT; f++) {
            d->vfirst[f] = (uint16_t)k;
            for (int i = 0; i < d->nvalues; i++)
                if (d->values[i].field == f) d->vby[k++] = d->values[i];
            d->vcount[f] = (uint16_t)(k - d->vfirst[f]);
        }
    }
    for (int f = 0; f < HD_F__COUNT; f++)
        if (d->type[f] == HD_T_DATE || d->type[f] == HD_T_PERIOD)
            d->ymd[f] = (unsigned char)hd_ymd_mask(d->formats[f], d->type[f] == HD_T_PERIOD);
    d->csv.path = d->path;
    *out = d;
    return HD_OK;
bad:
    hd_descriptor_free(d);   /* after the message: it names fields of d */
    return rc;
}

hd_reason hd_descriptor_bind(const hd_descriptor *d, const hd_csv_record *header,
                             int pos[HD_F__COUNT], int *nfields_out, hd_error *err)
{
    for (int f = 0; f < HD_F__COUNT; f++) pos[f] = -1;
    if (!d->header) {
        for (int i = 0; i < d->norder; i++) pos[d->order[i]] = d->col_pos[d->order[i]] - 1;
        *nfields_out = d->fields;
        return HD_R_NONE;
    }
    if (!header) {
        hd_fail(err, HD_EDATA, "no header line");
        return HD_R_HEADER_MISMATCH;
    }
    for (int i = 0; i < d->norder; i++) {
        hd_fid f = d->order[i];
        const char *want = d->col_name[f];
        size_t wn = strlen(want);
        for (size_t c = 0; c < header->nfields; c++) {
            const char *s = header->fields[c].p;
            size_t n = header->fields[c].n;
            hd_trim(&s, &n);
            if (n == wn && memcmp(s, want, n) == 0) {
                if (pos[f] >= 0) {
                    hd_fail(err, HD_EDATA, "header '%s' (field %s) appears twice", want, hd_field_name(f));
                    return HD_R_HEADER_MISMATCH;
                }
                pos[f] = (int)c;
            }
        }
        if (pos[f] < 0) {
            hd_fail(err, HD_EDATA, "header '%s' (field %s) is missing", want, hd_field_name(f));
            return HD_R_HEADER_MISMATCH;
        }
    }
    if (d->fields && (size_t)d->fields != header->nfields) {
        hd_fail(err, HD_EDATA, "header has %zu fields, descriptor says fields = %d", header->nfields, d->fields);
        return HD_R_HEADER_MISMATCH;
    }
    *nfields_out = (int)header->nfields;
    return HD_R_NONE;
}
