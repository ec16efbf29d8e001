/* path.h — small path helpers. */
#ifndef HEDUI_UTIL_PATH_H
#define HEDUI_UTIL_PATH_H
#include <stddef.h>
#include "hedui/error.h"
/* dst = rel if absolute, else dir/rel. 0 ok, -1 too long. */
int hd_path_join(char *dst, size_t cap, const char *dir, const char *rel);
/* Sorted list of paths matching a glob pattern (directories included: a
 * directory where a file was expected is a file that cannot be read) (malloc'd array of
 * malloc'd strings; *n count). No match is not an error (*n = 0).
 * HD_ENOINPUT on a directory that cannot be listed ("PATTERN: cannot list
 * files: DIR: reason"). Free with hd_path_list_free. */
int hd_path_glob(const char *pattern, char ***out, int *n, hd_error *err);
void hd_path_list_free(char **list, int n);
/* Path of `path` relative to `base` dir when it lies under it, else path. */
const char *hd_path_rel(const char *path, const char *base);
/* mkdir -p with mode. 0 ok, -1 errno set. */
int hd_mkdirs(const char *path, int mode);
/* rm -rf (no symlink following). 0 ok. */
int hd_rmtree(const char *path);
#endif
