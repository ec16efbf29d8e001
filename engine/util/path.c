/* path.c — small path helpers; see path.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/path.h"

int hd_path_join(char *dst, size_t cap, const char *dir, const char *rel)
{
    int n = rel[0] == '/' ? snprintf(dst, cap, "%s", rel) : snprintf(dst, cap, "%s/%s", dir, rel);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* glob(3)'s error callback has no user pointer: the directory that could
 * not be listed and the system's reason are kept per thread. */
static _Thread_local char glob_err_path[1024];
static _Thread_local int glob_err_no;

static int on_glob_error(const char *epath, int eerrno)
{
    snprintf(glob_err_path, sizeof glob_err_path, "%s", epath);
    glob_err_no = eerrno;
    return 1;                                   /* stop: GLOB_ERR */
}

int hd_path_glob(const char *pattern, char ***out, int *n, hd_error *err)
{
    glob_t g;
    *out = NULL; *n = 0;
    glob_err_path[0] = '\0';
    glob_err_no = 0;
    int r = glob(pattern, GLOB_ERR, on_glob_error, &g);
    if (r == GLOB_NOMATCH) { globfree(&g); return HD_OK; }
    if (r == GLOB_NOSPACE) { globfree(&g); return hd_fail(err, HD_ESOFTWARE, "%s: out of memory", pattern); }
    if (r != 0) {
        globfree(&g);
        /* reading, never writing: 66 with the directory and the reason */
        if (glob_err_no)
            return hd_fail(err, HD_ENOINPUT, "%s: cannot list files: %s: %s", pattern,
                           glob_err_path, strerror(glob_err_no));
        return hd_fail(err, HD_ENOINPUT, "%s: cannot list files", pattern);
    }
    char **list = calloc(g.gl_pathc ? g.gl_pathc : 1, sizeof *list);
    int k = 0;
    for (size_t i = 0; list && i < g.gl_pathc; i++) {
        list[k] = strdup(g.gl_pathv[i]);
        if (!list[k]) { hd_path_list_free(list, k); list = NULL; break; }
        k++;
    }
    globfree(&g);
    if (!list) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    qsort(list, (size_t)k, sizeof *list, cmp);
    *out = list; *n = k;
    return HD_OK;
}

void hd_path_list_free(char **list, int n)
{
    if (!list) return;
    for (int i = 0; i < n; i++) free(list[i]);
    free(list);
}

const char *hd_path_rel(const char *path, const char *base)
{
    size_t n = strlen(base);
    while (n > 1 && base[n - 1] == '/') n--;
    if (n == 1 && base[0] == '.' && strncmp(path, "./", 2) == 0) return path + 2;
    if (strncmp(path, base, n) == 0 && path[n] == '/') {
        path += n + 1;
        while (*path == '/') path++;
    }
    while (strncmp(path, "./", 2) == 0) path += 2;
    return path;
}

int hd_mkdirs(const char *path, int mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) { errno = ENAMETOOLONG; return -1; }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST) return -1;
    return 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

int hd_rmtree(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
