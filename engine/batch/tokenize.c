/*
 * tokenize.c — `hedui tokenize` (SPEC §1, §6 "tokenize", §8): a data
 * provider rewrites an extract so that it carries member tokens instead of
 * ID numbers and no names, and sends that instead of raw IDs. The tokens are
 * made with the provider's own key (a provider key file of `hedui keygen
 * --provider`), never the centre's master key, so they are unlinkable to
 * the tokens of auditor files.
 *
 * The input is read by the one scanner (hd_scan_file), so a row is judged
 * exactly as the batch would judge it. A row whose ID is usable is written
 * with the token in place of the ID cell; a row whose ID is rejected, or
 * whose fields cannot be told apart, goes to OUT.rejects.csv as `line,reason`
 * only. A row with a usable ID but another bad cell is written as it is:
 * the centre's batch quarantines it with the same reason, so nothing read
 * is dropped silently and the ledger stays whole.
 *
 * Only mapped columns are written (by canonical field name): unmapped
 * columns may hold personal data (a contact name, a phone number, a
 * spouse's ID) that the engine never reads and the provider need not send.
 *
 * OUT is a zstd stream (level 3, content checksums) built in memory blocks
 * and written through the one output writer (report/out.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include "batch/internal.h"
#include "hedui/tokenize.h"
#include "report/out.h"
#include "util/arena.h"

typedef struct tok_ctx {
    const hd_descriptor *d;
    const hd_key *key;                   /* the provider key (its id and name) */
    hd_tokener *tk;                      /* keyed once for every row */
    int pos[HD_F__COUNT];
    hd_fid cols[HD_F__COUNT]; int ncols;
    ZSTD_CCtx *z;
    hd_out *out, *rej;
    char *row; size_t nrow, caprow;      /* one CSV row before compression */
    char *zbuf; size_t zcap;
    hd_tokenize_result *res;
    int failed;                          /* HD_ESOFTWARE on zstd/alloc failure */
} tok_ctx;

static int grow(tok_ctx *t, size_t more)
{
    if (t->nrow + more <= t->caprow) return 0;
    size_t cap = t->caprow ? t->caprow : 4096;
    while (cap < t->nrow + more) cap *= 2;
    char *p = realloc(t->row, cap);
    if (!p) return -1;
    t->row = p; t->caprow = cap;
    return 0;
}

/* RFC 4180 quoting, the same rule as hd_out_csv, into the row buffer. */
static int put_cell(tok_ctx *t, const char *s, size_t n, int first)
{
    if (grow(t, 2 * n + 3) != 0) return -1;
    if (!first) t->row[t->nrow++] = ',';
    int q = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') { q = 1; break; }
    if (!q) { memcpy(t->row + t->nrow, s, n); t->nrow += n; return 0; }
    t->row[t->nrow++] = '"';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') t->row[t->nrow++] = '"';
        t->row[t->nrow++] = s[i];
    }
    t->row[t->nrow++] = '"';
    return 0;
}

/* Compresses t->row (then empties it); mode ZSTD_e_end finishes the frame. */
static int flush_row(tok_ctx *t, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = { t->row, t->nrow, 0 };
    for (;;) {
        ZSTD_outBuffer o = { t->zbuf, t->zcap, 0 };
        size_t left = ZSTD_compressStream2(t->z, &o, &in, mode);
        if (ZSTD_isError(left)) return -1;
        if (o.pos) hd_out_write(t->out, t->zbuf, o.pos);
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) break;
    }
    t->nrow = 0;
    return 0;
}

static int end_row(tok_ctx *t)
{
    if (grow(t, 1) != 0) return -1;
    t->row[t->nrow++] = '\n';
    return t->nrow >= (1 << 16) ? flush_row(t, ZSTD_e_continue) : 0;
}

static int on_row(void *user, hd_file_result *res, const hd_csv_record *row,
                  hd_record *rec, hd_reason reason, int bad_field)
{
    (void)bad_field;
    tok_ctx *t = user;
    if (res->nq >= 1024) {               /* keep memory flat: we keep no raw rows */
        hd_arena_free(res->arena);
        res->arena = NULL;
        res->nq = 0;
    }
    hd_value *idv = &rec->v[HD_F_ID_NUMBER];
    if (!idv->present || idv->n != 18) {
        if (reason == HD_R_NONE) reason = HD_R_ID_FORMAT;   /* cannot happen */
        t->res->rows_rejected++;
        t->res->by_reason[reason]++;
        hd_out_printf(t->rej, "%llu,%s\n", (unsigned long long)row->line, hd_reason_name(reason));
        return HD_OK;
    }
    hd_id id;
    memcpy(id.s, idv->s, 18);
    id.s[18] = 0;
    unsigned char mac[32];
    char token[65];
    hd_tokener_member(t->tk, &id, mac);
    hd_hex(mac, 32, token);
    memset(&id, 0, sizeof id);
    for (int i = 0; i < t->ncols; i++) {
        hd_fid f = t->cols[i];
        int rc;
        if (f == HD_F_ID_NUMBER) rc = put_cell(t, token, 64, i == 0);
        else rc = put_cell(t, row->fields[t->pos[f]].p, row->fields[t->pos[f]].n, i == 0);
        if (rc != 0) { t->failed = 1; return HD_ESOFTWARE; }
    }
    if (end_row(t) != 0) { t->failed = 1; return HD_ESOFTWARE; }
    t->res->rows_written++;
    if (reason != HD_R_NONE) t->res->rows_other_faults++;
    return HD_OK;
}

static const char *money_unit(hd_money_unit u)
{
    return u == HD_MONEY_FEN ? "fen" : u == HD_MONEY_WAN ? "wan" : "yuan";
}

static const char *share_unit(hd_share_unit u)
{
    return u == HD_SHARE_PERCENT ? "percent" : u == HD_SHARE_FRACTION ? "fraction" : "bp";
}

static int write_fmt(const tok_ctx *t, const char *path, const char *out_name, hd_error *err)
{
    const hd_descriptor *d = t->d;
    hd_out *o = NULL;
    int rc = hd_out_open(&o, path, err);
    if (rc != HD_OK) return rc;
    const char *base = strrchr(out_name, '/');
    base = base ? base + 1 : out_name;
    hd_out_printf(o, "; Written by hedui tokenize %s: reads %s (member tokens, no names).\n"
                     "; Tokens of provider %s, provider key id %s: in the centre's job, the\n"
                     "; source that reads this file sets provider = %s (or is named %s).\n",
                  HD_ENGINE_VERSION, base, t->key->provider, t->key->id, t->key->provider,
                  t->key->provider);
    hd_out_printf(o, "[format]\nkind      = %s\nencoding  = utf-8\ndelimiter = comma\n"
                     "quote     = \"\nheader    = yes\nskip      = 0\ntrailer   = none\n"
                     "id_form   = token\n", hd_kind_name(d->kind));
    if (d->status_letters) hd_out_str(o, "status_letters = yes\n");
    size_t ml = d->csv.max_line ? d->csv.max_line : (size_t)1 << 20;
    ml = 2 * ml + 128;
    if (ml > ((size_t)1 << 30)) ml = (size_t)1 << 30;
    hd_out_printf(o, "max_line  = %zu\n", ml);
    hd_out_str(o, "\n[columns]\n");
    for (int i = 0; i < t->ncols; i++)
        hd_out_printf(o, "%s = %s\n", hd_field_name(t->cols[i]), hd_field_name(t->cols[i]));
    int units = 0;
    for (int i = 0; i < t->ncols; i++) {
        hd_fid f = t->cols[i];
        const char *u = NULL;
        switch (hd_field_type(f)) {
        case HD_T_MONEY: u = money_unit(d->money[f]); break;
        case HD_T_DATE: case HD_T_PERIOD: u = d->formats[f]; break;
        case HD_T_AREA: u = "m2"; break;
        case HD_T_SHARE: u = share_unit(d->share); break;
        default: break;
        }
        if (!u) continue;
        if (!units++) hd_out_str(o, "\n[units]\n");
        hd_out_printf(o, "%s = %s\n", hd_field_name(f), u);
    }
    int values = 0;
    for (int i = 0; i < d->nvalues; i++) {
        const hd_vmap *m = &d->values[i];
        int kept = 0;
        for (int k = 0; k < t->ncols; k++) if (t->cols[k] == (hd_fid)m->field) kept = 1;
        if (!kept) continue;
        const char *const *vals = hd_field_values(d->kind, (hd_fid)m->field);
        if (!vals) continue;
        if (!values++) hd_out_str(o, "\n[values]\n");
        hd_out_printf(o, "%s.%s = %s\n", hd_field_name((hd_fid)m->field), m->from, vals[m->to]);
    }
    return hd_out_close(o, err);
}

int hd_tokenize_file(const char *key_path, const char *fmt_path, const char *in,
                     const char *out, hd_date as_of, hd_tokenize_result *res,
                     hd_error *err)
{
    memset(res, 0, sizeof *res);
    struct stat st;
    if (stat(in, &st) != 0) {
        int e = errno;
        return hd_fail(err, HD_ENOINPUT,
                       "%s: cannot open: %s", in, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) return hd_fail(err, HD_ENOINPUT, "%s: is a directory, not a file", in);

    char p_out[4096], p_fmt[4096], p_rej[4096], t_out[4200], t_fmt[4200], t_rej[4200];
    if (snprintf(p_out, sizeof p_out, "%s", out) >= (int)sizeof p_out ||
        snprintf(p_fmt, sizeof p_fmt, "%s.fmt", out) >= (int)sizeof p_fmt ||
        snprintf(p_rej, sizeof p_rej, "%s.rejects.csv", out) >= (int)sizeof p_rej)
        return hd_fail(err, HD_EUSAGE, "%s: output path too long", out);
    snprintf(t_out, sizeof t_out, "%s.part", p_out);
    snprintf(t_fmt, sizeof t_fmt, "%s.part", p_fmt);
    snprintf(t_rej, sizeof t_rej, "%s.part", p_rej);
    if (strcmp(in, out) == 0) return hd_fail(err, HD_EUSAGE, "%s: OUT must differ from IN", out);

    hd_key key;
    int rc = hd_key_load_provider(&key, key_path, err);
    if (rc != HD_OK) return rc;
    hd_descriptor *d = NULL;
    rc = hd_descriptor_load(&d, fmt_path, err);
    if (rc != HD_OK) { hd_key_wipe(&key); return rc; }
    if (d->id_token) {
        hd_descriptor_free(d);
        hd_key_wipe(&key);
        return hd_fail(err, HD_ECONFIG, "%s: id_form = token: the extract is already tokenized", fmt_path);
    }

    int renamed = 0;
    tok_ctx t;
    memset(&t, 0, sizeof t);
    t.d = d;
    t.key = &key;
    t.res = res;
    t.tk = hd_tokener_new(&key);
    if (!t.tk) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); goto done; }
    for (int i = 0; i < d->norder; i++)
        if (d->order[i] != HD_F_NAME) t.cols[t.ncols++] = d->order[i];
    t.zcap = ZSTD_CStreamOutSize();
    t.zbuf = malloc(t.zcap);
    t.z = ZSTD_createCCtx();
    if (!t.zbuf || !t.z ||
        ZSTD_isError(ZSTD_CCtx_setParameter(t.z, ZSTD_c_compressionLevel, 3)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(t.z, ZSTD_c_checksumFlag, 1))) {
        rc = hd_fail(err, HD_ESOFTWARE, "zstd: cannot create a compression context");
        goto done;
    }
    if ((rc = hd_out_open(&t.out, t_out, err)) != HD_OK) goto done;
    if ((rc = hd_out_open(&t.rej, t_rej, err)) != HD_OK) goto done;
    hd_out_str(t.rej, "line,reason\n");
    for (int i = 0; i < t.ncols; i++)
        if (put_cell(&t, hd_field_name(t.cols[i]), strlen(hd_field_name(t.cols[i])), i == 0) != 0) {
            rc = hd_fail(err, HD_ESOFTWARE, "out of memory");
            goto done;
        }
    if (end_row(&t) != 0) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); goto done; }

    hd_file_result fr;
    memset(&fr, 0, sizeof fr);
    fr.path = in;
    fr.source = -1;
    rc = hd_scan_file(d, as_of, &fr, on_row, &t, NULL, t.pos);
    res->rows = fr.ledger.rows;
    hd_reason damage = fr.damage;
    char dmsg[1024];
    snprintf(dmsg, sizeof dmsg, "%s", fr.damage_msg);
    hd_file_result_free(&fr);
    if (rc != HD_OK) { rc = hd_fail(err, rc, "%s: out of memory or zstd failure", in); goto done; }
    if (damage != HD_R_NONE) {
        rc = hd_fail(err, HD_EDATA, "%s (nothing written: the input must be read whole)", dmsg);
        goto done;
    }
    if (flush_row(&t, ZSTD_e_end) != 0) { rc = hd_fail(err, HD_ESOFTWARE, "zstd: compression failed"); goto done; }
    rc = hd_out_close(t.out, err);
    t.out = NULL;
    if (rc == HD_OK) rc = hd_out_close(t.rej, err);
    t.rej = NULL;
    if (rc == HD_OK) rc = write_fmt(&t, t_fmt, p_out, err);
    if (rc != HD_OK) goto done;
    if (rename(t_out, p_out) != 0 || rename(t_rej, p_rej) != 0 || rename(t_fmt, p_fmt) != 0) {
        rc = hd_fail(err, HD_EIO, "%s: cannot rename the outputs into place: %s", out, strerror(errno));
        goto done;
    }
    renamed = 1;
    snprintf(res->out_fmt, sizeof res->out_fmt, "%s", p_fmt);
    snprintf(res->rejects, sizeof res->rejects, "%s", p_rej);
    if (res->rows_rejected)
        rc = hd_fail(err, HD_EDATA, "%s: %llu of %llu rows rejected (see %s)", in,
                     (unsigned long long)res->rows_rejected, (unsigned long long)res->rows, p_rej);
    else
        hd_error_clear(err);

done:
    hd_out_abort(t.out);
    hd_out_abort(t.rej);
    if (!renamed) { unlink(t_out); unlink(t_rej); unlink(t_fmt); }
    hd_tokener_free(t.tk);
    ZSTD_freeCCtx(t.z);
    free(t.zbuf);
    free(t.row);
    hd_descriptor_free(d);
    hd_key_wipe(&key);
    return rc;
}
