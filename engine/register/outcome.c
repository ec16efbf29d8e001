/*
 * outcome.c — `hedui outcome import` and `hedui outcome list` (SPEC §9
 * "Outcomes"): the findings.csv a county clerk filled in comes back, row by
 * row checked against the register, all or nothing per file, appended with
 * who, when and the file's SHA-256, never overwritten. The file itself is
 * kept under OUTPUT/outcomes/<sha256>.csv (.xlsx) with <sha256>.meta beside it (its
 * import sequence, who, when, its name, and the last run recorded when it
 * was imported), which is everything `hedui register rebuild` needs to
 * import it again to the same rows.
 *
 * Reading: a file that starts as a zip archive is a workbook, whose sheet
 * 核查结果 is read (workbook.c); any other file goes to the one CSV reader
 * (engine/text/csv.c) with the encoding found by looking at the bytes:
 * valid UTF-8 (a BOM is dropped) is UTF-8, any other file is read as
 * GB18030 (a superset of GBK). Columns by header name (the workbook's
 * hidden code row, or its Chinese titles); finding_id and outcome are
 * required, until and note optional. A workbook's file is kept as
 * <sha256>.xlsx.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "hedui/io.h"
#include "hedui/register.h"
#include "io/file.h"
#include "register/reg_db.h"
#include "util/path.h"

/* A finding id as written: 32 hex, or `f` + 32 hex (the spreadsheet form);
 * upper case accepted. 0 and id[33] lower-case, or -1. */
static int parse_fid(const char *s, size_t n, char id[33])
{
    hd_cell_clean(&s, &n);
    if (n == 33 && (s[0] == 'f' || s[0] == 'F')) { s++; n--; }
    if (n != 32) return -1;
    for (size_t i = 0; i < 32; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return -1;
        id[i] = c;
    }
    id[32] = '\0';
    return 0;
}

/* until: YYYY-MM-DD or YYYY/M/D (one or two digit month and day). */
static int parse_until(const char *s, size_t n, hd_date *out)
{
    hd_cell_clean(&s, &n);
    *out = HD_DATE_NONE;
    if (n == 0) return 0;
    if (hd_parse_date(s, n, "%Y-%m-%d", out) == HD_R_NONE && n == 10) return 0;
    char buf[16];
    if (n >= sizeof buf) return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    int y, m, d, used = 0;
    if (sscanf(buf, "%4d/%2d/%2d%n", &y, &m, &d, &used) == 3 && (size_t)used == n && n >= 8 &&
        buf[4] == '/' && hd_date_valid(y, m, d)) {
        *out = hd_date_from_ymd(y, m, d);
        return 0;
    }
    return -1;
}

/* An outcome file, whole (io/file.h); at most 256 MiB. */
static int read_all(const char *path, char **buf, size_t *len, hd_error *err)
{
    int rc = hd_file_read(path, (size_t)256 << 20, buf, len, err);
    if (rc == HD_EDATA) return hd_fail(err, HD_EDATA, "%s: too large for an outcome file", path);
    return rc;
}

typedef struct row { int64_t line; char id[33]; hd_verdict_outcome oc; char until[11]; char digest[65]; } row;

typedef struct import_ctx {
    sqlite3 *db;
    const char *dbpath;
    const char *file;             /* as named on the command line (messages) */
    const char *latest_run;       /* digests as of this run ("" none) */
    hd_outcome_bad_fn bad; void *user;
    sqlite3_stmt *q;
    int col_id, col_oc, col_until;
    int have_header;
    int workbook;                 /* an .xlsx file: until may be a serial date */
    char county[64];
    row *rows; size_t nrows, caprows;
    uint64_t nbad;
} import_ctx;

static void bad_row(import_ctx *x, uint64_t line, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void bad_row(import_ctx *x, uint64_t line, const char *code, const char *fmt, ...)
{
    char m[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    x->nbad++;
    if (x->bad) x->bad(x->user, x->file, line, code, m);
}

/* The column whose header cell is `name` or, where a clerk deleted the
 * workbook's hidden code row, its Chinese title `zh` (report/xlsx.c). */
static int header_col(const hd_field *f, size_t nf, const char *name, const char *zh)
{
    for (size_t i = 0; i < nf; i++) {
        const char *s = f[i].p;
        size_t n = f[i].n;
        hd_trim(&s, &n);
        if ((n == strlen(name) && !memcmp(s, name, n)) || (zh && n == strlen(zh) && !memcmp(s, zh, n))) return (int)i;
    }
    return -1;
}

/* A date typed into a workbook cell is a number of days since 1899-12-30
 * (the 1900 date system with its leap-year bug, as Excel and LibreOffice
 * write it): "46022" -> 2025-12-31. -1 when the cell is not such a
 * number (whole, optionally ".0…"). */
static int serial_date(const char *s, size_t n, hd_date *out)
{
    hd_cell_clean(&s, &n);
    size_t i = 0;
    long v = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9' && i < 7; i++) v = v * 10 + (s[i] - '0');
    if (i == 0) return -1;
    if (i < n && s[i] == '.') for (i++; i < n && s[i] == '0'; i++) {}
    if (i != n || v < 1 || v > 2958465) return -1;
    *out = hd_date_from_ymd(1899, 12, 30) + (hd_date)v;
    return 0;
}

/* One row of the file: the header, a row to check, or a blank. Returns 1
 * to stop reading (a header that names no finding_id/outcome column), 0 to
 * go on, or an hd status. */
static int check_row(import_ctx *x, uint64_t line, const hd_field *f, size_t nf, hd_reason fault, hd_error *err)
{
    if (!x->have_header) {
        x->have_header = 1;
        x->col_id = header_col(f, nf, "finding_id", "线索编号");
        x->col_oc = header_col(f, nf, "outcome", "核查结果");
        x->col_until = header_col(f, nf, "until", "截止日期");
        if (x->col_id < 0 || x->col_oc < 0) {
            bad_row(x, line, "HEADER_MISMATCH", "the header must name the columns finding_id and outcome (the header of findings.csv)");
            return 1;
        }
        return 0;
    }
    if (fault != HD_R_NONE) {
        bad_row(x, line, hd_reason_name(fault), "the row cannot be read (save the file again as CSV UTF-8)");
        return 0;
    }
    if ((size_t)x->col_id < nf) {
        /* the workbook's title row under its code row */
        const char *t = f[x->col_id].p;
        size_t tn = f[x->col_id].n;
        hd_trim(&t, &tn);
        if (tn == strlen("线索编号") && !memcmp(t, "线索编号", tn)) return 0;
    }
    if (!x->workbook && ((size_t)x->col_id >= nf || (size_t)x->col_oc >= nf)) {
        bad_row(x, line, "FIELD_COUNT", "%zu fields: finding_id or outcome is missing", nf);
        return 0;
    }
    /* a workbook leaves out a row's empty cells at its end */
    const char *os = (size_t)x->col_oc < nf ? f[x->col_oc].p : "";
    size_t on = (size_t)x->col_oc < nf ? f[x->col_oc].n : 0;
    hd_cell_clean(&os, &on);
    if (on == 0) return 0;                     /* not decided yet (or a blank row) */
    if ((size_t)x->col_id >= nf) {
        bad_row(x, line, "FIELD_COUNT", "%zu fields: finding_id is missing", nf);
        return 0;
    }
    row w;
    memset(&w, 0, sizeof w);
    w.line = (int64_t)line;
    if (parse_fid(f[x->col_id].p, f[x->col_id].n, w.id) != 0) {
        bad_row(x, line, "UNKNOWN_FINDING", "finding_id is not f followed by 32 hex digits");
        return 0;
    }
    w.oc = hd_outcome_parse(os, on);
    if (w.oc == HD_OC_NONE) {
        bad_row(x, line, "UNKNOWN_OUTCOME", "outcome '%.*s' is none of confirmed, false_positive, explained, disputed (属实, 误报, 已说明, 有异议)",
                (int)(on > 60 ? 60 : on), os);
        return 0;
    }
    if (x->col_until >= 0 && (size_t)x->col_until < nf) {
        hd_date u;
        if (parse_until(f[x->col_until].p, f[x->col_until].n, &u) != 0 &&
            !(x->workbook && serial_date(f[x->col_until].p, f[x->col_until].n, &u) == 0)) {
            bad_row(x, line, "DATE", "until is not a date YYYY-MM-DD or YYYY/M/D");
            return 0;
        }
        if (u != HD_DATE_NONE) hd_date_format(u, w.until);
    }
    /* the finding as the latest run recorded before this import saw it */
    sqlite3_reset(x->q);
    sqlite3_bind_text(x->q, 1, w.id, -1, SQLITE_STATIC);
    sqlite3_bind_text(x->q, 2, x->latest_run, -1, SQLITE_STATIC);
    int s = sqlite3_step(x->q);
    if (s == SQLITE_DONE) {
        bad_row(x, line, "UNKNOWN_FINDING", "finding f%s is not in the register", w.id);
        return 0;
    }
    if (s != SQLITE_ROW) return hd_reg_status(x->db, s, err, x->dbpath);
    const char *cc = (const char *)sqlite3_column_text(x->q, 0);
    snprintf(w.digest, sizeof w.digest, "%s", (const char *)sqlite3_column_text(x->q, 1));
    if (!x->county[0]) snprintf(x->county, sizeof x->county, "%s", cc);
    else if (strcmp(x->county, cc)) {
        bad_row(x, line, "OTHER_COUNTY", "finding f%s is of county %s, this file's findings are of county %s", w.id, cc, x->county);
        return 0;
    }
    if (x->nrows == x->caprows) {
        size_t cap = x->caprows ? x->caprows * 2 : 64;
        row *nr = realloc(x->rows, cap * sizeof *nr);
        if (!nr) return hd_fail(err, HD_ESOFTWARE, "out of memory");
        x->rows = nr; x->caprows = cap;
    }
    x->rows[x->nrows++] = w;
    return 0;
}

/* Checks every row of the CSV file at path; fills x->rows with the good
 * ones. HD_OK (bad rows counted in x->nbad) or an error that stops the file. */
static int check_csv(import_ctx *x, const char *path, int gb18030, hd_error *err)
{
    hd_reader *rd;
    int rc = hd_reader_open(&rd, path, 0, err);
    if (rc) return rc;
    hd_csv *c;
    hd_csv_opts o = { .encoding = gb18030 ? HD_ENC_GB18030 : HD_ENC_UTF8, .delimiter = ',', .quote = '"', .path = x->file };
    rc = hd_csv_open(&c, rd, &o, err);
    if (rc) { hd_reader_close(rd); return rc; }
    hd_csv_record r;
    int got;
    while ((got = hd_csv_next(c, &r, err)) == 1) {
        if (r.blank) continue;
        int k = check_row(x, r.line, r.fields, r.nfields, r.fault, err);
        if (k == 1) break;
        if (k) { rc = k; break; }
    }
    if (got < 0 && rc == HD_OK) rc = err->status ? err->status : HD_EIO;
    if (rc == HD_OK && !x->have_header) bad_row(x, 1, "HEADER_MISMATCH", "the file is empty");
    hd_csv_close(c);
    hd_reader_close(rd);
    return rc;
}

struct wb_ctx { import_ctx *x; hd_error *err; int rc; };

static int wb_row(void *user, uint64_t line, const hd_field *f, size_t n)
{
    struct wb_ctx *w = user;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) if (f[i].n) k++;
    if (k == 0) return 0;                       /* a blank row */
    int r = check_row(w->x, line, f, n, HD_R_NONE, w->err);
    if (r > 1 || r < 0) w->rc = r;
    return r != 0;
}

/* The same for the sheet 核查结果 of a workbook (results.xlsx as a clerk
 * saved it); a file that is no such workbook is one bad row (line 1). */
static int check_workbook(import_ctx *x, const char *path, hd_error *err)
{
    struct wb_ctx w = { x, err, HD_OK };
    char why[600];
    x->workbook = 1;
    if (hd_workbook_rows(path, "核查结果", wb_row, &w, why, sizeof why) != 0) {
        if (!strcmp(why, "out of memory")) return hd_fail(err, HD_ESOFTWARE, "out of memory");
        bad_row(x, 1, "NOT_WORKBOOK", "%s (give results.xlsx with its sheet 核查结果, or findings.csv)", why);
        return HD_OK;
    }
    if (w.rc == HD_OK && !x->have_header) bad_row(x, 1, "HEADER_MISMATCH", "the sheet 核查结果 is empty");
    return w.rc;
}

/* Stores the checked rows as import number seq. */
static int store(import_ctx *x, int64_t seq, const char *sha, const char *name, const char *by,
                 const char *at, hd_error *err)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(x->db, "INSERT INTO outcome_files VALUES (?1,?2,?3,?4,?5,?6,?7)", -1, &s, NULL);
    if (rc != SQLITE_OK) return hd_reg_status(x->db, rc, err, x->dbpath);
    sqlite3_bind_int64(s, 1, seq);
    sqlite3_bind_text(s, 2, sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, by, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, at, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, x->county, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, (int64_t)x->nrows);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return hd_reg_status(x->db, rc, err, x->dbpath);
    rc = sqlite3_prepare_v2(x->db, "INSERT INTO outcomes VALUES (?1,?2,?3,?4,?5,?6)", -1, &s, NULL);
    if (rc != SQLITE_OK) return hd_reg_status(x->db, rc, err, x->dbpath);
    for (size_t i = 0; i < x->nrows; i++) {
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, seq);
        sqlite3_bind_int64(s, 2, x->rows[i].line);
        sqlite3_bind_text(s, 3, x->rows[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, hd_outcome_name(x->rows[i].oc), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, x->rows[i].until, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, x->rows[i].digest, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) { sqlite3_finalize(s); return hd_reg_status(x->db, rc, err, x->dbpath); }
    }
    sqlite3_finalize(s);
    return HD_OK;
}

static int prepare_lookup(import_ctx *x, hd_error *err)
{
    /* runs are named <as_of>-<digest>: name order is as_of order */
    int rc = sqlite3_prepare_v2(x->db,
        "SELECT county_code, evidence_digest FROM findings WHERE finding_id = ?1 AND run <= ?2 "
        "ORDER BY run DESC LIMIT 1", -1, &x->q, NULL);
    return rc == SQLITE_OK ? HD_OK : hd_reg_status(x->db, rc, err, x->dbpath);
}

static int text_query(sqlite3 *db, const char *sql, const char *arg, char *out, size_t cap)
{
    sqlite3_stmt *s;
    out[0] = '\0';
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK) return rc;
    if (arg) sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(s, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) rc = SQLITE_OK;
    sqlite3_finalize(s);
    return rc;
}

static int write_file(const char *path, const void *p, size_t n, hd_error *err)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return hd_fail(err, HD_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    const char *b = p;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, b + off, n - off);
        if (w < 0) { if (errno == EINTR) continue; int e = errno; close(fd); unlink(tmp); return hd_fail(err, HD_EIO, "%s: cannot write: %s", tmp, strerror(e)); }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) { unlink(tmp); return hd_fail(err, HD_EIO, "%s: cannot write: %s", tmp, strerror(errno)); }
    if (rename(tmp, path) != 0) { unlink(tmp); return hd_fail(err, HD_EIO, "%s: cannot rename: %s", path, strerror(errno)); }
    return HD_OK;
}

static void iso_time(int64_t now, char out[32])
{
    time_t t = (time_t)now;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One file, inside no transaction. kept_dir NULL: rebuild (seq, by, at,
 * latest_run given; nothing copied). */
static int import_one(sqlite3 *db, const char *dbpath, const char *file, const char *by, const char *at,
                      const char *kept_dir, int64_t force_seq, const char *force_latest,
                      hd_outcome_bad_fn bad, void *user, uint64_t *imported, hd_error *err)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_all(file, &buf, &len, err);
    if (rc) return rc;
    unsigned char d[32];
    char sha[65];
    hd_sha256 *h = hd_sha256_new();
    if (!h) { free(buf); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
    hd_sha256_update(h, buf, len);
    hd_sha256_final(h, d);
    hd_hex(d, 32, sha);
    size_t skip = len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0;
    /* a workbook is a zip archive (its local file header's signature) */
    int xlsx = len >= 4 && !memcmp(buf, "PK\x03\x04", 4);
    int gb = !xlsx && !hd_utf8_valid(buf + skip, len - skip);
    import_ctx x;
    memset(&x, 0, sizeof x);
    x.db = db; x.dbpath = dbpath; x.file = file; x.bad = bad; x.user = user;
    char latest[256];
    rc = hd_reg_exec(db, "BEGIN IMMEDIATE", dbpath, err);
    if (rc) { free(buf); return rc; }
    char when[64];
    int src = text_query(db, "SELECT imported_at || ' by ' || imported_by FROM outcome_files WHERE sha256 = ?1", sha, when, sizeof when);
    if (src != SQLITE_OK) rc = hd_reg_status(db, src, err, dbpath);
    else if (when[0]) {
        rc = hd_fail(err, HD_EDATA, "%s: already imported (%s; SHA-256 %s): refused, nothing stored", file, when, sha);
        if (bad) bad(user, file, 0, "ALREADY_IMPORTED", err->message);
    }
    if (!rc) {
        if (force_latest) snprintf(latest, sizeof latest, "%s", force_latest);
        else if ((src = text_query(db, "SELECT coalesce(max(run), '') FROM runs", NULL, latest, sizeof latest)) != SQLITE_OK)
            rc = hd_reg_status(db, src, err, dbpath);
    }
    x.latest_run = latest;
    if (!rc) rc = prepare_lookup(&x, err);
    if (!rc) rc = xlsx ? check_workbook(&x, file, err) : check_csv(&x, file, gb, err);
    sqlite3_finalize(x.q);
    if (!rc && x.nbad)
        rc = hd_fail(err, HD_EDATA, "%s: %llu bad rows: nothing of this file was stored", file, (unsigned long long)x.nbad);
    int64_t seq = force_seq;
    char seqs[32];
    if (!rc && seq <= 0) {
        if ((src = text_query(db, "SELECT coalesce(max(seq), 0) + 1 FROM outcome_files", NULL, seqs, sizeof seqs)) != SQLITE_OK)
            rc = hd_reg_status(db, src, err, dbpath);
        seq = strtoll(seqs, NULL, 10);
    }
    const char *name = strrchr(file, '/');
    name = name ? name + 1 : file;
    char keptp[4400] = "", metap[4400] = "";
    if (!rc && kept_dir) {
        if (hd_mkdirs(kept_dir, 0700) != 0) rc = hd_fail(err, HD_EIO, "%s: cannot create: %s", kept_dir, strerror(errno));
        snprintf(keptp, sizeof keptp, "%s/%s.%s", kept_dir, sha, xlsx ? "xlsx" : "csv");
        snprintf(metap, sizeof metap, "%s/%s.meta", kept_dir, sha);
        if (!rc) rc = write_file(keptp, buf, len, err);
        char meta[2048];
        int mn = snprintf(meta, sizeof meta, "seq=%lld\nby=%s\nat=%s\nname=%s\nlatest_run=%s\n",
                          (long long)seq, by, at, name, latest);
        if (!rc) rc = write_file(metap, meta, (size_t)mn, err);
    }
    if (!rc) rc = store(&x, seq, sha, name, by, at, err);
    if (!rc) rc = hd_reg_exec(db, "COMMIT", dbpath, err);
    if (rc) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        if (keptp[0]) unlink(keptp);
        if (metap[0]) unlink(metap);
    } else if (imported) *imported += x.nrows;
    free(x.rows);
    free(buf);
    return rc;
}

static int kept_dir_of(sqlite3 *db, const char *dbpath, char *out, size_t cap)
{
    char root[4096];
    if (text_query(db, "SELECT value FROM meta WHERE key = 'output'", NULL, root, sizeof root) != SQLITE_OK || !root[0]) {
        snprintf(root, sizeof root, "%s", dbpath);
        char *sl = strrchr(root, '/');
        if (sl) *sl = '\0'; else snprintf(root, sizeof root, ".");
    }
    snprintf(out, cap, "%s/outcomes", root);
    return 0;
}

int hd_outcome_import(const char *dbpath, const char *by, char *const *files, int nfiles, int64_t now,
                      hd_outcome_bad_fn bad, void *user, uint64_t *imported, hd_error *err)
{
    if (imported) *imported = 0;
    if (!by || !*by || strchr(by, '\n')) return hd_fail(err, HD_EUSAGE, "--by must name who imports, on one line");
    sqlite3 *db;
    int rc = hd_reg_open(&db, dbpath, 0, err);
    if (rc == HD_ENOINPUT) return hd_fail(err, HD_ECONFIG, "%s: no register (a run writes it first)", dbpath);
    if (rc) return rc;
    char kept[4200], at[32];
    kept_dir_of(db, dbpath, kept, sizeof kept);
    iso_time(now, at);
    int worst = HD_OK;
    hd_error first;
    hd_error_clear(&first);
    for (int i = 0; i < nfiles; i++) {
        hd_error e;
        hd_error_clear(&e);
        int r = import_one(db, dbpath, files[i], by, at, kept, 0, NULL, bad, user, imported, &e);
        if (r == HD_OK) continue;
        if (r != HD_EDATA) { worst = r; first = e; break; }     /* not the file's fault: stop */
        if (worst == HD_OK) { worst = r; first = e; }
    }
    sqlite3_close(db);
    if (worst && err) *err = first;
    return worst;
}

/* ------------------------------------------------------------ rebuild */

typedef struct kept { int64_t seq; char sha[65]; char by[512], at[64], latest[256]; } kept;

static int cmp_kept(const void *a, const void *b)
{
    const kept *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int hd_reg_import_kept(sqlite3 *db, const char *path, const char *output_root, hd_error *err)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/outcomes", output_root);
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? HD_OK : hd_fail(err, HD_EIO, "%s: %s", dir, strerror(errno));
    kept *k = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = HD_OK;
    while (rc == HD_OK && (e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l != 69 || strcmp(e->d_name + 64, ".meta")) continue;
        char mp[4400];
        snprintf(mp, sizeof mp, "%s/%s", dir, e->d_name);
        FILE *f = fopen(mp, "r");
        if (!f) { rc = hd_fail(err, HD_EIO, "%s: %s", mp, strerror(errno)); break; }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            kept *nk = realloc(k, cap * sizeof *nk);
            if (!nk) { fclose(f); rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
            k = nk;
        }
        kept *w = &k[n];
        memset(w, 0, sizeof *w);
        memcpy(w->sha, e->d_name, 64);
        char line[1024];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = '\0';
            if (!strncmp(line, "seq=", 4)) w->seq = strtoll(line + 4, NULL, 10);
            else if (!strncmp(line, "by=", 3)) snprintf(w->by, sizeof w->by, "%s", line + 3);
            else if (!strncmp(line, "at=", 3)) snprintf(w->at, sizeof w->at, "%s", line + 3);
            else if (!strncmp(line, "latest_run=", 11)) snprintf(w->latest, sizeof w->latest, "%s", line + 11);
        }
        fclose(f);
        if (w->seq <= 0) { rc = hd_fail(err, HD_EDATA, "%s: no seq= line", mp); break; }
        n++;
    }
    closedir(d);
    if (rc == HD_OK && n) qsort(k, n, sizeof *k, cmp_kept);
    /* import_one opens its own transaction: close the caller's around it */
    if (rc == HD_OK && n) rc = hd_reg_exec(db, "COMMIT", path, err);
    for (size_t i = 0; rc == HD_OK && i < n; i++) {
        char fp[4400];
        snprintf(fp, sizeof fp, "%s/%s.csv", dir, k[i].sha);
        if (access(fp, F_OK) != 0) snprintf(fp, sizeof fp, "%s/%s.xlsx", dir, k[i].sha);   /* a workbook */
        rc = import_one(db, path, fp, k[i].by, k[i].at, NULL, k[i].seq, k[i].latest, NULL, NULL, NULL, err);
        if (rc == HD_OK) {
            /* the name it was imported under */
            char mp[4400], nm[1024] = "";
            snprintf(mp, sizeof mp, "%s/%s.meta", dir, k[i].sha);
            FILE *f = fopen(mp, "r");
            char line[1024];
            while (f && fgets(line, sizeof line, f))
                if (!strncmp(line, "name=", 5)) { line[strcspn(line, "\n")] = '\0'; snprintf(nm, sizeof nm, "%s", line + 5); }
            if (f) fclose(f);
            sqlite3_stmt *s;
            if (sqlite3_prepare_v2(db, "UPDATE outcome_files SET name = ?1 WHERE seq = ?2", -1, &s, NULL) == SQLITE_OK) {
                sqlite3_bind_text(s, 1, nm, -1, SQLITE_STATIC);
                sqlite3_bind_int64(s, 2, k[i].seq);
                int r = sqlite3_step(s);
                sqlite3_finalize(s);
                if (r != SQLITE_DONE) rc = hd_reg_status(db, r, err, path);
            }
        }
    }
    if (rc == HD_OK && n) rc = hd_reg_exec(db, "BEGIN IMMEDIATE", path, err);
    free(k);
    return rc;
}

/* ------------------------------------------------------------ list */

int hd_outcome_list(const char *dbpath, const char *finding_id, FILE *out, hd_error *err)
{
    char id[33] = "";
    if (finding_id && parse_fid(finding_id, strlen(finding_id), id) != 0)
        return hd_fail(err, HD_EUSAGE, "'%s' is not a finding id (f followed by 32 hex digits)", finding_id);
    sqlite3 *db;
    int rc = hd_reg_open(&db, dbpath, 0, err);
    if (rc) return rc;
    sqlite3_stmt *s;
    int src = sqlite3_prepare_v2(db,
        "SELECT o.finding_id, o.outcome, o.until, f.imported_at, f.imported_by, f.sha256, o.line "
        "FROM outcomes o JOIN outcome_files f ON f.seq = o.seq WHERE ?1 = '' OR o.finding_id = ?1 "
        "ORDER BY o.seq, o.line", -1, &s, NULL);
    if (src != SQLITE_OK) { rc = hd_reg_status(db, src, err, dbpath); sqlite3_close(db); return rc; }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    fprintf(out, "finding_id\toutcome\tuntil\timported_at\tby\tfile_sha256\tline\n");
    while ((src = sqlite3_step(s)) == SQLITE_ROW)
        fprintf(out, "f%s\t%s\t%s\t%s\t%s\t%s\t%lld\n", sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
                sqlite3_column_text(s, 2), sqlite3_column_text(s, 3), sqlite3_column_text(s, 4),
                sqlite3_column_text(s, 5), (long long)sqlite3_column_int64(s, 6));
    if (src != SQLITE_DONE) rc = hd_reg_status(db, src, err, dbpath);
    sqlite3_finalize(s);
    sqlite3_close(db);
    if (!rc && (fflush(out) != 0 || ferror(out))) rc = hd_fail(err, HD_EIO, "cannot write the list: %s", strerror(errno));
    return rc;
}
