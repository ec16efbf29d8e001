/*
 * file.h — the one whole-file reader, for the small files read whole:
 * policies, standards, manifests read back for signing, part files.
 * (Extracts and applicant lists are streamed by reader.c, never read
 * whole.)
 */
#ifndef HEDUI_IO_FILE_H
#define HEDUI_IO_FILE_H

#include <stddef.h>
#include "hedui/error.h"

/* Reads the file `path` whole into *out (malloc'd, with a NUL after its
 * last byte, which *len does not count; the caller frees). At most max
 * bytes.
 * @return HD_OK; HD_ENOINPUT "PATH: cannot open: reason" or "PATH: read
 * error: reason" (errno is kept: ENOENT for a missing file); HD_EDATA
 * "PATH: larger than MAX bytes"; HD_ESOFTWARE out of memory. On an error
 * *out is NULL. */
int hd_file_read(const char *path, size_t max, char **out, size_t *len, hd_error *err);

#endif
