/*
 * reg_db.h — what the register's files share inside the engine (db.c,
 * outcome.c, findings.c): the connection, SQLite status mapping, the run
 * directory's register/ files and their headers.
 */
#ifndef HEDUI_REGISTER_REG_DB_H
#define HEDUI_REGISTER_REG_DB_H
#include <sqlite3.h>
#include "hedui/register.h"
#include "hedui/text.h"

/* Opens (create: creating, mode 0600) and migrates the register; WAL,
 * foreign keys on, 2 s busy timeout. HD_ECONFIG newer schema / not a
 * database, HD_ETEMPFAIL locked, HD_EIO, HD_ENOINPUT (!create, missing). */
int hd_reg_open(sqlite3 **out, const char *path, int create, hd_error *err);
/* An SQLite result code as an hedui status, with err set. */
int hd_reg_status(sqlite3 *db, int sqlite_rc, hd_error *err, const char *what);
int hd_reg_exec(sqlite3 *db, const char *sql, const char *path, hd_error *err);
int hd_reg_set_meta(sqlite3 *db, const char *path, const char *key, const char *value, hd_error *err);
/* Reads a register/ CSV of a run directory (header checked exactly). */
int hd_reg_read_csv(const char *path, const char *header, size_t nfields,
                    int (*fn)(void *user, const hd_csv_record *r, hd_error *err), void *user,
                    hd_error *err);
/* Inside a transaction of db: imports every file kept under
 * output_root/outcomes/ in the order of their .meta seq (rebuild). */
int hd_reg_import_kept(sqlite3 *db, const char *path, const char *output_root, hd_error *err);
/* workbook.c: calls fn for every row of sheet `sheet` of the .xlsx file at
 * path, in order, with the row number the spreadsheet shows and its cells
 * as text by column (empty cells ""; valid until fn returns); fn returns
 * nonzero to stop. 0, or -1 with why set (not a workbook, no such sheet,
 * damaged XML or zip, out of memory). */
typedef int (*hd_wb_row_fn)(void *user, uint64_t line, const hd_field *f, size_t n);
int hd_workbook_rows(const char *path, const char *sheet, hd_wb_row_fn fn, void *user, char *why, size_t cap);
#endif
