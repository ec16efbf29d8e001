/*
 * ini.h — one way to read hedui's INI files (job, descriptors, policy):
 * inih (Debian libinih) with the rules of SPEC §6 "Config files": UTF-8,
 * whole-line comments starting with ';' or '#', inline comments after
 * whitespace + ';', no continuation lines. Adds what inih's Debian build
 * lacks: the line number of every key, so messages say "PATH:LINE: ...".
 * inih is called here only (hd_ini_stream), its process-wide options set
 * once, so loading files is thread-safe.
 */
#ifndef HEDUI_UTIL_INI_H
#define HEDUI_UTIL_INI_H
#include "hedui/error.h"

/* inih's reader (fgets-like: one line into str, NULL at the end) and its
 * handler (per key, 0 = error), for a caller with its own line source. */
typedef char *(*hd_ini_reader)(char *str, int num, void *stream);
typedef int (*hd_ini_raw_handler)(void *user, const char *section, const char *name,
                                  const char *value);

/* The one call of inih: parses the lines reader hands out with SPEC §6's
 * rules (no continuation lines, the first error ends the parse).
 * @return inih's: 0, the line of the first error, or < 0 when out of memory. */
int hd_ini_stream(hd_ini_reader reader, void *stream, hd_ini_raw_handler handler, void *user);

/* Called per key; return 0 to stop with the error the handler set in err. */
typedef int (*hd_ini_handler)(void *user, const char *section, const char *key,
                              const char *value, int line, hd_error *err);

/*
 * Parses path. Missing file: HD_ENOINPUT "PATH: cannot open: ..."; a file
 * that cannot be read (a directory, an I/O error): HD_ENOINPUT "PATH: cannot
 * read: ...";
 * syntax error: HD_ECONFIG "PATH:LINE: syntax error"; a handler failure:
 * its own error (status HD_ECONFIG unless it set another).
 */
int hd_ini_parse(const char *path, hd_ini_handler h, void *user, hd_error *err);

/* Strips one pair of surrounding double quotes: `source "bank-a"` -> the
 * name inside. Returns a pointer into a static-free copy in out (cap). */
int hd_ini_section_arg(const char *section, const char *word, char *out, size_t cap);
#endif
