/*
 * db.c — the register's database (SPEC §9, docs/register.md): opening it
 * (WAL, mode 0600, a busy timeout), the schema and its forward migrations
 * (PRAGMA user_version), the snapshot a run reads once at its start, the
 * record of a finished run directory, and the rebuild from every run
 * directory and kept outcome file.
 *
 * A run's rows are never built from memory here: the batch writes them into
 * its run directory (register/run.csv, households.csv, findings.csv, listed
 * in the signed manifest) and hd_register_record reads them back from there.
 * The nightly record and `hedui register rebuild` are therefore the same
 * code over the same bytes, which is what makes a rebuilt register hold the
 * same table contents as the nightly one.
 *
 * SQLite result codes map onto hedui's: SQLITE_BUSY/LOCKED -> HD_ETEMPFAIL
 * (75), SQLITE_FULL/IOERR/READONLY/CANTOPEN -> HD_EIO (74), SQLITE_NOTADB/
 * CORRUPT -> HD_ECONFIG (78), a user_version above HD_REGISTER_SCHEMA ->
 * HD_ECONFIG.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>
#include "hedui/batch.h"
#include "hedui/io.h"
#include "hedui/register.h"
#include "hedui/verify.h"
#include "register/reg_db.h"
#include "report/regpart.h"
#include "util/path.h"

/* ------------------------------------------------------------ schema */

/* Version 1. docs/register.md shows these statements exactly as
 * `sqlite3 register.db .schema` prints them (a test compares). */
static const char *const schema_v1[] = {
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE runs (run TEXT PRIMARY KEY, as_of TEXT NOT NULL, input_digest TEXT NOT NULL, "
    "policy_digest TEXT NOT NULL, key_id TEXT NOT NULL, snapshot_digest TEXT NOT NULL, "
    "outcomes_digest TEXT NOT NULL, households INTEGER NOT NULL, findings INTEGER NOT NULL)",
    "CREATE TABLE households (run TEXT NOT NULL REFERENCES runs(run), household TEXT NOT NULL, "
    "county_code TEXT NOT NULL, application_id TEXT NOT NULL, population TEXT NOT NULL, "
    "verdict TEXT NOT NULL, reasons TEXT NOT NULL, standard_fen INTEGER NOT NULL, "
    "household_income_fen INTEGER NOT NULL, income_per_capita_fen INTEGER NOT NULL, "
    "assets_fen INTEGER NOT NULL, assets_per_capita_fen INTEGER NOT NULL, homes INTEGER NOT NULL, "
    "residential_area INTEGER NOT NULL, vehicles INTEGER NOT NULL, businesses INTEGER NOT NULL, "
    "PRIMARY KEY (run, household)) WITHOUT ROWID",
    "CREATE TABLE findings (run TEXT NOT NULL REFERENCES runs(run), finding_id TEXT NOT NULL, "
    "household TEXT NOT NULL, county_code TEXT NOT NULL, application_id TEXT NOT NULL, "
    "member_no TEXT NOT NULL, code TEXT NOT NULL, member TEXT NOT NULL, source TEXT NOT NULL, "
    "strength TEXT NOT NULL, outcome TEXT NOT NULL, state TEXT NOT NULL, "
    "evidence_digest TEXT NOT NULL, PRIMARY KEY (run, finding_id)) WITHOUT ROWID",
    "CREATE INDEX findings_by_id ON findings (finding_id)",
    "CREATE TABLE outcome_files (seq INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, "
    "name TEXT NOT NULL, imported_by TEXT NOT NULL, imported_at TEXT NOT NULL, "
    "county_code TEXT NOT NULL, outcomes INTEGER NOT NULL)",
    "CREATE TABLE outcomes (seq INTEGER NOT NULL REFERENCES outcome_files(seq), "
    "line INTEGER NOT NULL, finding_id TEXT NOT NULL, outcome TEXT NOT NULL, "
    "until TEXT NOT NULL, evidence_digest TEXT NOT NULL, PRIMARY KEY (seq, line))",
    "CREATE INDEX outcomes_by_id ON outcomes (finding_id)",
    NULL
};

/* Version 2: runs.recorded, the order in which runs were recorded (the line
 * of OUTPUT/recorded.log that recorded it; 0 for runs recorded before), so
 * that `previous = latest` takes, of runs with the same as_of, the one
 * recorded last (SPEC §8). */
static const char *const schema_v2[] = {
    "ALTER TABLE runs ADD COLUMN recorded INTEGER NOT NULL DEFAULT 0",
    NULL
};

/* migrations[v] takes a register of version v to v + 1 */
static const char *const *const migrations[] = { schema_v1, schema_v2 };

int hd_reg_status(sqlite3 *db, int src, hd_error *err, const char *what)
{
    int c = src & 0xff;
    const char *m = db ? sqlite3_errmsg(db) : sqlite3_errstr(src);
    switch (c) {
    case SQLITE_BUSY: case SQLITE_LOCKED:
        return hd_fail(err, HD_ETEMPFAIL, "%s: the register is locked by another process (%s); try again when it has finished", what, m);
    case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_READONLY: case SQLITE_CANTOPEN: case SQLITE_PERM:
        return hd_fail(err, HD_EIO, "%s: cannot write the register: %s", what, m);
    case SQLITE_NOTADB: case SQLITE_CORRUPT:
        return hd_fail(err, HD_ECONFIG, "%s: not a hedui register (%s)", what, m);
    case SQLITE_NOMEM:
        return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", what);
    default:
        return hd_fail(err, HD_EIO, "%s: register: %s", what, m);
    }
}

int hd_reg_exec(sqlite3 *db, const char *sql, const char *path, hd_error *err)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? HD_OK : hd_reg_status(db, rc, err, path);
}

static int user_version(sqlite3 *db, int *v)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) { *v = sqlite3_column_int(s, 0); rc = SQLITE_OK; }
    sqlite3_finalize(s);
    return rc;
}

int hd_reg_open(sqlite3 **out, const char *path, int create, hd_error *err)
{
    *out = NULL;
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (!exists && !create) return hd_fail(err, HD_ENOINPUT, "%s: no register", path);
    if (exists && !S_ISREG(sb.st_mode)) return hd_fail(err, HD_ECONFIG, "%s: the register is not a file", path);
    if (!exists) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *sl = strrchr(dir, '/');
        if (sl && sl != dir) { *sl = '\0'; if (hd_mkdirs(dir, 0700) != 0)
            return hd_fail(err, HD_EIO, "%s: cannot create directory: %s", dir, strerror(errno)); }
        /* created 0600 before SQLite opens it, whatever the umask */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) return hd_fail(err, HD_EIO, "%s: cannot create the register: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
    }
    sqlite3 *db = NULL;
    int flags = create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE;
    int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int r = hd_reg_status(db, rc, err, path);
        sqlite3_close(db);
        return r;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_extended_result_codes(db, 0);
    int v = 0;
    rc = user_version(db, &v);
    if (rc != SQLITE_OK) { int r = hd_reg_status(db, rc, err, path); sqlite3_close(db); return r; }
    if (v > HD_REGISTER_SCHEMA) {
        sqlite3_close(db);
        return hd_fail(err, HD_ECONFIG, "%s: the register has schema version %d, newer than this hedui's %d: use the hedui that wrote it, or a newer one",
                       path, v, HD_REGISTER_SCHEMA);
    }
    /* a new register: 16 KiB pages (set before WAL fixes the page size):
     * the record step's CPU is about 15 % lower than with SQLite's default
     * 4 KiB (fewer, fuller pages to allocate, search and write;
     * docs/performance.md "The register write"). An existing register
     * keeps its page size; `register rebuild` writes a new one. */
    if (v == 0 && (rc = hd_reg_exec(db, "PRAGMA page_size=16384", path, err)) != HD_OK) { sqlite3_close(db); return rc; }
    /* WAL: readers (a snapshot) never wait for the writer */
    if ((rc = hd_reg_exec(db, "PRAGMA journal_mode=WAL", path, err)) != HD_OK) { sqlite3_close(db); return rc; }
    if ((rc = hd_reg_exec(db, "PRAGMA foreign_keys=ON", path, err)) != HD_OK) { sqlite3_close(db); return rc; }
    /* WAL with synchronous=NORMAL: a commit survives a crash of hedui, and
     * the database stays consistent on power loss (the last transaction may
     * be lost; the run directory and `register rebuild` restore it) */
    if ((rc = hd_reg_exec(db, "PRAGMA synchronous=NORMAL", path, err)) != HD_OK) { sqlite3_close(db); return rc; }
    if ((rc = hd_reg_exec(db, "PRAGMA cache_size=-65536", path, err)) != HD_OK) { sqlite3_close(db); return rc; }
    if (v < HD_REGISTER_SCHEMA) {
        if ((rc = hd_reg_exec(db, "BEGIN IMMEDIATE", path, err)) != HD_OK) { sqlite3_close(db); return rc; }
        /* another process may have migrated it meanwhile */
        int v2 = 0;
        int src = user_version(db, &v2);
        if (src != SQLITE_OK) rc = hd_reg_status(db, src, err, path);
        for (int k = v2; rc == HD_OK && k < HD_REGISTER_SCHEMA; k++)
            for (const char *const *q = migrations[k]; rc == HD_OK && *q; q++) rc = hd_reg_exec(db, *q, path, err);
        if (rc == HD_OK) {
            char pv[64];
            snprintf(pv, sizeof pv, "PRAGMA user_version=%d", HD_REGISTER_SCHEMA);
            rc = hd_reg_exec(db, pv, path, err);
        }
        if (rc == HD_OK) rc = hd_reg_exec(db, "COMMIT", path, err);
        if (rc != HD_OK) { sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL); sqlite3_close(db); return rc; }
    }
    chmod(path, 0600);
    *out = db;
    return HD_OK;
}

/* ------------------------------------------------------------ snapshot */

struct seen { char id[33]; hd_date first, last; };

struct hd_register_snapshot {
    hd_register_outcome *oc; uint64_t noc;     /* latest per finding, sorted by id */
    struct seen *seen; uint64_t nseen;         /* sorted by id */
    char digest[65];
};

static int cmp_oc(const void *a, const void *b)
{
    const hd_register_outcome *x = a, *y = b;
    int c = strcmp(x->finding_id, y->finding_id);
    if (c) return c;
    if (x->file_seq != y->file_seq) return x->file_seq < y->file_seq ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static hd_date text_date(const unsigned char *s)
{
    hd_date d = HD_DATE_NONE;
    if (s && *s) hd_parse_date((const char *)s, strlen((const char *)s), "%Y-%m-%d", &d);
    return d;
}

int hd_register_snapshot_load(const char *path, hd_date as_of, hd_register_snapshot **out, hd_error *err)
{
    *out = NULL;
    hd_register_snapshot *s = calloc(1, sizeof *s);
    if (!s) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    hd_sha256 *h = hd_sha256_new();
    if (!h) { free(s); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
    hd_sha256_update(h, "hedui-snapshot/1\n", 17);
    struct stat sb;
    int rc = HD_OK;
    sqlite3 *db = NULL;
    if (stat(path, &sb) == 0) {
        rc = hd_reg_open(&db, path, 0, err);
        if (rc == HD_OK) rc = hd_reg_exec(db, "BEGIN", path, err);
        sqlite3_stmt *q = NULL;
        uint64_t cap = 0;
        /* every outcome in import order: its line goes into the digest */
        if (rc == HD_OK) {
            int src = sqlite3_prepare_v2(db,
                "SELECT o.seq, o.line, o.finding_id, o.outcome, o.until, o.evidence_digest, substr(f.imported_at, 1, 10) "
                "FROM outcomes o JOIN outcome_files f ON f.seq = o.seq ORDER BY o.seq, o.line", -1, &q, NULL);
            if (src != SQLITE_OK) rc = hd_reg_status(db, src, err, path);
        }
        while (rc == HD_OK) {
            int src = sqlite3_step(q);
            if (src == SQLITE_DONE) break;
            if (src != SQLITE_ROW) { rc = hd_reg_status(db, src, err, path); break; }
            if (s->noc == cap) {
                cap = cap ? cap * 2 : 256;
                hd_register_outcome *n = realloc(s->oc, cap * sizeof *n);
                if (!n) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
                s->oc = n;
            }
            hd_register_outcome *o = &s->oc[s->noc++];
            memset(o, 0, sizeof *o);
            o->file_seq = sqlite3_column_int64(q, 0);
            o->line = sqlite3_column_int64(q, 1);
            snprintf(o->finding_id, sizeof o->finding_id, "%s", (const char *)sqlite3_column_text(q, 2));
            const char *w = (const char *)sqlite3_column_text(q, 3);
            o->outcome = hd_outcome_parse(w, strlen(w));
            o->until = text_date(sqlite3_column_text(q, 4));
            snprintf(o->evidence_digest, sizeof o->evidence_digest, "%s", (const char *)sqlite3_column_text(q, 5));
            o->imported = text_date(sqlite3_column_text(q, 6));
            char line[512];
            int n = snprintf(line, sizeof line, "O\t%lld\t%lld\t%s\t%s\t%s\t%s\t%s\n",
                             (long long)o->file_seq, (long long)o->line, o->finding_id, w,
                             (const char *)sqlite3_column_text(q, 4), o->evidence_digest,
                             (const char *)sqlite3_column_text(q, 6));
            hd_sha256_update(h, line, (size_t)n);
        }
        sqlite3_finalize(q);
        q = NULL;
        /* findings of earlier runs: first and last as_of per finding id */
        char d[11];
        hd_date_format(as_of, d);
        if (rc == HD_OK) {
            int src = sqlite3_prepare_v2(db,
                "SELECT f.finding_id, min(r.as_of), max(r.as_of) FROM findings f JOIN runs r ON r.run = f.run "
                "WHERE r.as_of < ?1 GROUP BY f.finding_id ORDER BY f.finding_id", -1, &q, NULL);
            if (src != SQLITE_OK) rc = hd_reg_status(db, src, err, path);
            else sqlite3_bind_text(q, 1, d, -1, SQLITE_STATIC);
        }
        cap = 0;
        while (rc == HD_OK) {
            int src = sqlite3_step(q);
            if (src == SQLITE_DONE) break;
            if (src != SQLITE_ROW) { rc = hd_reg_status(db, src, err, path); break; }
            if (s->nseen == cap) {
                cap = cap ? cap * 2 : 1024;
                struct seen *n = realloc(s->seen, cap * sizeof *n);
                if (!n) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
                s->seen = n;
            }
            struct seen *e = &s->seen[s->nseen++];
            snprintf(e->id, sizeof e->id, "%s", (const char *)sqlite3_column_text(q, 0));
            e->first = text_date(sqlite3_column_text(q, 1));
            e->last = text_date(sqlite3_column_text(q, 2));
            char line[128];
            int n = snprintf(line, sizeof line, "F\t%s\t%s\t%s\n", e->id,
                             (const char *)sqlite3_column_text(q, 1), (const char *)sqlite3_column_text(q, 2));
            hd_sha256_update(h, line, (size_t)n);
        }
        sqlite3_finalize(q);
        if (db) { sqlite3_exec(db, "COMMIT", NULL, NULL, NULL); sqlite3_close(db); }
    }
    unsigned char dg[32];
    hd_sha256_final(h, dg);
    hd_hex(dg, 32, s->digest);
    if (rc != HD_OK) { hd_register_snapshot_free(s); return rc; }
    /* keep the latest outcome of each finding */
    if (s->noc) qsort(s->oc, s->noc, sizeof *s->oc, cmp_oc);
    uint64_t k = 0;
    for (uint64_t i = 0; i < s->noc; i++) {
        if (k && !strcmp(s->oc[k - 1].finding_id, s->oc[i].finding_id)) s->oc[k - 1] = s->oc[i];
        else s->oc[k++] = s->oc[i];
    }
    s->noc = k;
    *out = s;
    return HD_OK;
}

void hd_register_snapshot_free(hd_register_snapshot *s)
{
    if (!s) return;
    free(s->oc);
    free(s->seen);
    free(s);
}

const char *hd_register_snapshot_digest(const hd_register_snapshot *s) { return s->digest; }
uint64_t hd_register_snapshot_outcomes(const hd_register_snapshot *s) { return s->noc; }
uint64_t hd_register_snapshot_findings(const hd_register_snapshot *s) { return s->nseen; }

static int cmp_id_oc(const void *k, const void *e) { return strcmp(k, ((const hd_register_outcome *)e)->finding_id); }
static int cmp_id_seen(const void *k, const void *e) { return strcmp(k, ((const struct seen *)e)->id); }

const hd_register_outcome *hd_register_snapshot_outcome(const hd_register_snapshot *s, const char *id)
{
    if (!s || !s->noc) return NULL;
    return bsearch(id, s->oc, s->noc, sizeof *s->oc, cmp_id_oc);
}

hd_date hd_register_snapshot_first_seen(const hd_register_snapshot *s, const char *id)
{
    if (!s || !s->nseen) return HD_DATE_NONE;
    const struct seen *e = bsearch(id, s->seen, s->nseen, sizeof *s->seen, cmp_id_seen);
    return e ? e->first : HD_DATE_NONE;
}

/* ------------------------------------------------------------ record */

/* Reads one CSV of the run directory's register/: the header must be
 * `header` exactly; fn gets every row's fields. */
typedef int (*row_fn)(void *user, const hd_csv_record *r, hd_error *err);

int hd_reg_read_csv(const char *path, const char *header, size_t nfields, row_fn fn, void *user, hd_error *err)
{
    hd_reader *rd;
    int rc = hd_reader_open(&rd, path, 0, err);
    if (rc) return rc == HD_ENOINPUT ? hd_fail(err, HD_EDATA, "%s: missing", path) : rc;
    hd_csv *c;
    hd_csv_opts o = { .encoding = HD_ENC_UTF8, .delimiter = ',', .quote = '"', .path = path };
    rc = hd_csv_open(&c, rd, &o, err);
    if (rc) { hd_reader_close(rd); return rc; }
    hd_csv_record r;
    int first = 1, got;
    while ((got = hd_csv_next(c, &r, err)) == 1) {
        if (r.blank) continue;
        if (r.fault != HD_R_NONE || r.nfields != nfields) {
            rc = hd_fail(err, HD_EDATA, "%s:%llu: %s: a row of %zu fields, %zu expected", path,
                         (unsigned long long)r.line, hd_reason_name(r.fault), r.nfields, nfields);
            break;
        }
        if (first) {
            first = 0;
            if (r.raw_len != strlen(header) || memcmp(r.raw, header, r.raw_len)) {
                rc = hd_fail(err, HD_EDATA, "%s:1: not the header of a hedui register file", path);
                break;
            }
            continue;
        }
        if ((rc = fn(user, &r, err)) != HD_OK) break;
    }
    if (got < 0 && rc == HD_OK) rc = err->status ? err->status : HD_EIO;
    hd_csv_close(c);
    hd_reader_close(rd);
    return rc;
}

struct rec_ctx {
    sqlite3 *db;
    sqlite3_stmt *st;
    const char *path;
    const char *run;          /* the run's name, bound first in households and findings */
    uint32_t intcols;         /* bit i: field i goes to an INTEGER column */
    char runname[256];
    uint64_t n;
};

/* A row of register/run.csv: its fields bound as they are; its first
 * field, the run's name, kept for the check that it describes this run. */
static int bind_row(void *user, const hd_csv_record *r, hd_error *err)
{
    struct rec_ctx *x = user;
    sqlite3_reset(x->st);
    for (size_t i = 0; i < r->nfields; i++)
        sqlite3_bind_text(x->st, (int)i + 1, r->fields[i].p, (int)r->fields[i].n, SQLITE_STATIC);   /* stepped before the next row */
    if (r->nfields)
        snprintf(x->runname, sizeof x->runname, "%.*s", (int)r->fields[0].n, r->fields[0].p);
    int rc = sqlite3_step(x->st);
    if (rc != SQLITE_DONE) return hd_reg_status(x->db, rc, err, x->path);
    x->n++;
    return HD_OK;
}


/* A row of register/households.csv or register/findings.csv: the run,
 * then its fields. In an INTEGER column (x->intcols) a whole decimal
 * number (hd_field_i64) is bound as an integer (what the column's affinity would make of
 * its text, without SQLite parsing it); anything else is bound as text.
 * The files are written in the order of the tables' keys (household token,
 * finding id), so the inserts append to the B-trees (docs/performance.md,
 * "The register write"); a file in another order gives the same rows, more
 * slowly. */
static int insert_row(void *user, const hd_csv_record *r, hd_error *err)
{
    struct rec_ctx *x = user;
    sqlite3_reset(x->st);
    sqlite3_bind_text(x->st, 1, x->run, -1, SQLITE_STATIC);
    for (size_t i = 0; i < r->nfields; i++) {
        int64_t v;
        if ((x->intcols >> i & 1) && hd_field_i64(&r->fields[i], &v)) sqlite3_bind_int64(x->st, (int)i + 2, v);
        else sqlite3_bind_text(x->st, (int)i + 2, r->fields[i].p, (int)r->fields[i].n, SQLITE_STATIC);   /* stepped before the next row */
    }
    int rc = sqlite3_step(x->st);
    if (rc != SQLITE_DONE) return hd_reg_status(x->db, rc, err, x->path);
    x->n++;
    return HD_OK;
}

static int prep(struct rec_ctx *x, const char *sql, hd_error *err)
{
    sqlite3_finalize(x->st);
    x->st = NULL;
    int rc = sqlite3_prepare_v2(x->db, sql, -1, &x->st, NULL);
    return rc == SQLITE_OK ? HD_OK : hd_reg_status(x->db, rc, err, x->path);
}

/* Inside a transaction: the run of run_dir, replacing an earlier record;
 * `recorded` is its place in the recording order (OUTPUT/recorded.log). */
static int record_in(sqlite3 *db, const char *path, const char *run_dir, int64_t recorded, hd_error *err)
{
    struct rec_ctx x = { .db = db, .path = path };
    char f[4400];
    const char *base = strrchr(run_dir, '/');
    base = base ? base + 1 : run_dir;
    int rc = prep(&x, "DELETE FROM findings WHERE run = ?1", err);
    if (!rc) { sqlite3_bind_text(x.st, 1, base, -1, SQLITE_STATIC); if (sqlite3_step(x.st) != SQLITE_DONE) rc = hd_reg_status(db, sqlite3_errcode(db), err, path); }
    if (!rc) rc = prep(&x, "DELETE FROM households WHERE run = ?1", err);
    if (!rc) { sqlite3_bind_text(x.st, 1, base, -1, SQLITE_STATIC); if (sqlite3_step(x.st) != SQLITE_DONE) rc = hd_reg_status(db, sqlite3_errcode(db), err, path); }
    if (!rc) rc = prep(&x, "DELETE FROM runs WHERE run = ?1", err);
    if (!rc) { sqlite3_bind_text(x.st, 1, base, -1, SQLITE_STATIC); if (sqlite3_step(x.st) != SQLITE_DONE) rc = hd_reg_status(db, sqlite3_errcode(db), err, path); }
    if (!rc) rc = prep(&x, "INSERT INTO runs (run, as_of, input_digest, policy_digest, key_id, snapshot_digest, "
                           "outcomes_digest, households, findings) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)", err);
    snprintf(f, sizeof f, "%s/register/run.csv", run_dir);
    if (!rc) rc = hd_reg_read_csv(f, HD_REG_RUN_HEADER, 9, bind_row, &x, err);
    if (!rc && (x.n != 1 || strcmp(x.runname, base)))
        rc = hd_fail(err, HD_EDATA, "%s: does not describe run %s", f, base);
    if (!rc) rc = prep(&x, "UPDATE runs SET recorded = ?2 WHERE run = ?1", err);
    if (!rc) {
        sqlite3_bind_text(x.st, 1, base, -1, SQLITE_STATIC);
        sqlite3_bind_int64(x.st, 2, recorded);
        if (sqlite3_step(x.st) != SQLITE_DONE) rc = hd_reg_status(db, sqlite3_errcode(db), err, path);
    }
    x.run = base;
    if (!rc) rc = prep(&x, "INSERT INTO households VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)", err);
    snprintf(f, sizeof f, "%s/register/households.csv", run_dir);
    x.intcols = 0x7fc0;       /* standard_fen .. businesses */
    if (!rc) rc = hd_reg_read_csv(f, HD_REG_HH_HEADER, 15, insert_row, &x, err);
    if (!rc) rc = prep(&x, "INSERT INTO findings VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)", err);
    snprintf(f, sizeof f, "%s/register/findings.csv", run_dir);
    x.intcols = 0;
    if (!rc) rc = hd_reg_read_csv(f, HD_REG_FD_HEADER, 12, insert_row, &x, err);
    sqlite3_finalize(x.st);
    return rc;
}

int hd_reg_set_meta(sqlite3 *db, const char *path, const char *key, const char *value, hd_error *err)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta VALUES (?1, ?2)", -1, &s, NULL);
    if (rc != SQLITE_OK) return hd_reg_status(db, rc, err, path);
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? HD_OK : hd_reg_status(db, rc, err, path);
}

/* ------------------------------------------------------------ recording order */

/* OUTPUT/recorded.log: one line per recording, the run directory's name,
 * appended (and synced) before the register's transaction. A run's place in
 * the recording order is the number of its last line, which `register
 * rebuild` reads back, so a rebuilt register holds the same `recorded`. A
 * line whose transaction then failed is harmless: the run is recorded again
 * (a new line) by the next run that finds it missing. */
#define RECORDED_LOG "recorded.log"

/* Appends `name` to OUTPUT/recorded.log. @return its line number (>= 1), or
 * -1 with err set (HD_EIO: writing the register's order). */
static int64_t order_append(const char *output_root, const char *name, hd_error *err)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/%s", output_root, RECORDED_LOG);
    int fd = open(p, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) { hd_fail(err, HD_EIO, "%s: cannot open: %s", p, strerror(errno)); return -1; }
    int64_t lines = 0;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++) lines += buf[i] == '\n';
    char line[300];
    int len = snprintf(line, sizeof line, "%s\n", name);
    if (n < 0 || write(fd, line, (size_t)len) != len || fsync(fd) != 0) {
        int e = errno;
        close(fd);
        hd_fail(err, HD_EIO, "%s: cannot write: %s", p, strerror(e));
        return -1;
    }
    if (close(fd) != 0) { hd_fail(err, HD_EIO, "%s: cannot write: %s", p, strerror(errno)); return -1; }
    return lines + 1;
}

/* The line number of run `name`'s last line in OUTPUT/recorded.log, 0 when
 * it has none (or there is no log). */
static int64_t order_of(const char *output_root, const char *name)
{
    char p[4300], line[512];
    snprintf(p, sizeof p, "%s/%s", output_root, RECORDED_LOG);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    int64_t k = 0, at = 0;
    while (fgets(line, sizeof line, f)) {
        k++;
        line[strcspn(line, "\n")] = '\0';
        if (!strcmp(line, name)) at = k;
    }
    fclose(f);
    return at;
}

int64_t hd_register_recorded(const char *path, const char *run)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return -1;
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) { sqlite3_close(db); return -1; }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *s;
    int64_t at = -1;
    /* a register of version 1 has no column recorded: -1 (prepare fails) */
    if (sqlite3_prepare_v2(db, "SELECT recorded FROM runs WHERE run = ?1", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, run, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) at = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return at;
}

int hd_register_record(const char *path, const char *run_dir, const char *output_root, hd_error *err)
{
    const char *base = strrchr(run_dir, '/');
    base = base ? base + 1 : run_dir;
    int64_t recorded = output_root ? order_append(output_root, base, err) : 0;
    if (recorded < 0) return err->status;
    sqlite3 *db;
    int rc = hd_reg_open(&db, path, 1, err);
    if (rc) return rc;
    rc = hd_reg_exec(db, "BEGIN IMMEDIATE", path, err);
    if (!rc) rc = record_in(db, path, run_dir, recorded, err);
    if (!rc && output_root) {
        char abs[4096];
        if (!realpath(output_root, abs)) snprintf(abs, sizeof abs, "%s", output_root);
        rc = hd_reg_set_meta(db, path, "output", abs, err);
    }
    if (!rc) rc = hd_reg_exec(db, "COMMIT", path, err);
    if (rc) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (sqlite3_close(db) != SQLITE_OK && !rc) rc = hd_fail(err, HD_EIO, "%s: cannot close the register", path);
    return rc;
}

int hd_register_has_run(const char *path, const char *run)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return 0;
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) { sqlite3_close(db); return 0; }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *s;
    int has = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM runs WHERE run = ?1", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, run, -1, SQLITE_STATIC);
        has = sqlite3_step(s) == SQLITE_ROW;
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return has;
}

/* ------------------------------------------------------------ rebuild */

static int cmp_runs(const void *a, const void *b)
{
    /* names are <as_of>-<digest>: as_of first, then the name */
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int hd_register_rebuild(const char *output_root, const char *path,
                        void (*log)(void *user, const char *msg), void *log_user, hd_error *err)
{
    char def[4200], tmp[4300];
    if (!path) { snprintf(def, sizeof def, "%s/register.db", output_root); path = def; }
    DIR *d = opendir(output_root);
    if (!d) return hd_fail(err, errno == ENOENT ? HD_ENOINPUT : HD_EIO, "%s: %s", output_root, strerror(errno));
    char **runs = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = HD_OK;
    while ((e = readdir(d)) != NULL) {
        const char *nm = e->d_name;
        /* run directories: YYYY-MM-DD-<12 hex> */
        if (strlen(nm) != 23 || nm[4] != '-' || nm[7] != '-' || nm[10] != '-') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **r = realloc(runs, cap * sizeof *r);
            if (!r) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
            runs = r;
        }
        if (!(runs[n] = strdup(nm))) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
        n++;
    }
    closedir(d);
    if (rc == HD_OK && n) qsort(runs, n, sizeof *runs, cmp_runs);
    snprintf(tmp, sizeof tmp, "%s.rebuild-%ld", path, (long)getpid());
    unlink(tmp);
    char side[4400];
    snprintf(side, sizeof side, "%s-wal", tmp); unlink(side);
    snprintf(side, sizeof side, "%s-shm", tmp); unlink(side);
    sqlite3 *db = NULL;
    if (rc == HD_OK) rc = hd_reg_open(&db, tmp, 1, err);
    if (rc == HD_OK) rc = hd_reg_exec(db, "BEGIN IMMEDIATE", tmp, err);
    for (size_t i = 0; rc == HD_OK && i < n; i++) {
        char dir[4400];
        snprintf(dir, sizeof dir, "%s/%s", output_root, runs[i]);
        hd_error verr;
        char reg[4500];
        snprintf(reg, sizeof reg, "%s/register/run.csv", dir);
        if (access(reg, R_OK) != 0 ||
            hd_audit_verify_ex(dir, NULL, HD_VERIFY_ALLOW_UNSIGNED, NULL, NULL, NULL, &verr) != HD_OK) {
            if (log) {
                char m[1200];
                snprintf(m, sizeof m, "%s: skipped (%s)", dir, access(reg, R_OK) ? "no register/run.csv" : verr.message);
                log(log_user, m);
            }
            continue;
        }
        rc = record_in(db, tmp, dir, order_of(output_root, runs[i]), err);
    }
    if (rc == HD_OK) {
        char abs[4096];
        if (!realpath(output_root, abs)) snprintf(abs, sizeof abs, "%s", output_root);
        rc = hd_reg_set_meta(db, tmp, "output", abs, err);
    }
    if (rc == HD_OK) rc = hd_reg_import_kept(db, tmp, output_root, err);
    if (rc == HD_OK) rc = hd_reg_exec(db, "COMMIT", tmp, err);
    if (rc == HD_OK) rc = hd_reg_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", tmp, err);
    if (db && sqlite3_close(db) != SQLITE_OK && rc == HD_OK) rc = hd_fail(err, HD_EIO, "%s: cannot close", tmp);
    if (rc == HD_OK) {
        /* the old register's WAL must not be replayed onto the new file */
        snprintf(side, sizeof side, "%s-wal", path); unlink(side);
        snprintf(side, sizeof side, "%s-shm", path); unlink(side);
        if (rename(tmp, path) != 0) rc = hd_fail(err, HD_EIO, "%s: cannot rename into place: %s", path, strerror(errno));
    }
    if (rc != HD_OK) unlink(tmp);
    snprintf(side, sizeof side, "%s-wal", tmp); unlink(side);
    snprintf(side, sizeof side, "%s-shm", tmp); unlink(side);
    for (size_t i = 0; i < n; i++) free(runs[i]);
    free(runs);
    return rc;
}
