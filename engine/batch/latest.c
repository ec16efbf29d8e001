/*
 * latest.c — `[job] previous = latest` and the `OUTPUT/latest` symlink
 * (SPEC §8 "The previous run"; docs/changes.md).
 *
 * The run directories of an output are OUTPUT/<as_of>-<12 hex>; the name
 * sorts by as_of first. `latest` resolves, among those that verify
 * against their manifest and whose manifest's as_of is before this run's,
 * to one with the greatest as_of and, of those, the one the register
 * recorded last (runs.recorded); when the register cannot say (no
 * register, a run it lacks), the one OUTPUT/latest points to, then the one
 * whose name sorts last (docs/decisions.md). The candidates are tried in
 * that order, so only the directories that fail verification are verified
 * in vain.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "batch/internal.h"
#include "hedui/register.h"
#include "hedui/verify.h"

#define RUN_NAME_LEN 23          /* YYYY-MM-DD-<12 hex> */

/* The as_of of a run directory name, or HD_DATE_NONE when the name is not
 * one of hedui's. */
static hd_date run_name_date(const char *name)
{
    if (strlen(name) != RUN_NAME_LEN || name[10] != '-') return HD_DATE_NONE;
    for (int i = 11; i < RUN_NAME_LEN; i++)
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f'))) return HD_DATE_NONE;
    hd_date d;
    if (hd_parse_date(name, 10, "%Y-%m-%d", &d) != HD_R_NONE) return HD_DATE_NONE;
    return d;
}

/* The as_of written in DIR/manifest.json (already verified), or HD_DATE_NONE. */
static hd_date manifest_as_of(const char *dir)
{
    char p[4400], buf[4096];
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    FILE *f = fopen(p, "rb");
    if (!f) return HD_DATE_NONE;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *k = strstr(buf, "\"as_of\": \"");
    hd_date d;
    if (!k || strlen(k) < 20 || hd_parse_date(k + 10, 10, "%Y-%m-%d", &d) != HD_R_NONE) return HD_DATE_NONE;
    return d;
}

struct cand {
    char *name;
    int64_t recorded;      /* runs.recorded, -1 when the register lacks it */
    int linked;            /* OUTPUT/latest points to it */
};

/* as_of (the name's first 10 characters) newest first, then recorded last
 * first, then the one OUTPUT/latest names, then the name sorting last. */
static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    int c = strncmp(y->name, x->name, 10);
    if (c) return c;
    if (x->recorded != y->recorded) return x->recorded > y->recorded ? -1 : 1;
    if (x->linked != y->linked) return y->linked - x->linked;
    return strcmp(y->name, x->name);
}

int hd_run_resolve_latest(const hd_job *job, char *out, size_t cap, hd_error *err)
{
    out[0] = '\0';
    DIR *d = opendir(job->output);
    if (!d) {
        if (errno == ENOENT) return HD_OK;          /* the first run of this output */
        return hd_fail(err, HD_ENOINPUT, "%s: previous = latest: cannot list: %s", job->output, strerror(errno));
    }
    struct cand *names = NULL;
    size_t n = 0, capn = 0;
    int rc = HD_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        hd_date t = run_name_date(e->d_name);
        if (t == HD_DATE_NONE || t >= job->as_of) continue;
        char p[4400];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", job->output, e->d_name);
        if (lstat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;   /* never a symlink */
        if (n == capn) {
            capn = capn ? capn * 2 : 16;
            struct cand *nn = realloc(names, capn * sizeof *nn);
            if (!nn) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
            names = nn;
        }
        if ((names[n].name = strdup(e->d_name)) == NULL) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
        n++;
    }
    closedir(d);
    if (rc == HD_OK && n) {
        char reg[4400], link[4400], target[256];
        if (job->register_db[0]) snprintf(reg, sizeof reg, "%s", job->register_db);
        else snprintf(reg, sizeof reg, "%s/register.db", job->output);
        snprintf(link, sizeof link, "%s/latest", job->output);
        ssize_t tl = readlink(link, target, sizeof target - 1);
        target[tl > 0 ? tl : 0] = '\0';
        for (size_t i = 0; i < n; i++) {
            names[i].recorded = hd_register_recorded(reg, names[i].name);
            names[i].linked = target[0] && !strcmp(target, names[i].name);
        }
        qsort(names, n, sizeof *names, cmp_cand);
    }
    for (size_t i = 0; rc == HD_OK && i < n; i++) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", job->output, names[i].name);
        hd_error verr;
        if (hd_audit_verify_ex(p, NULL, HD_VERIFY_ALLOW_UNSIGNED, NULL, NULL, NULL, &verr) != HD_OK) continue;
        /* the signed as_of, not only the name's, must be before this run's */
        hd_date t = manifest_as_of(p);
        if (t == HD_DATE_NONE || t != run_name_date(names[i].name)) continue;
        if (strlen(p) >= cap) { rc = hd_fail(err, HD_ECONFIG, "%s: path too long", p); break; }
        snprintf(out, cap, "%s", p);
        break;
    }
    for (size_t i = 0; i < n; i++) free(names[i].name);
    free(names);
    return rc;
}

int hd_run_point_latest(const char *outroot, const char *outdir, hd_date as_of, hd_error *err)
{
    const char *name = strrchr(outdir, '/');
    name = name ? name + 1 : outdir;
    char link[4400], cur[256];
    snprintf(link, sizeof link, "%s/latest", outroot);
    ssize_t n = readlink(link, cur, sizeof cur - 1);
    if (n > 0) {
        cur[n] = '\0';
        const char *base = strrchr(cur, '/');
        hd_date t = run_name_date(base ? base + 1 : cur);
        char target[4400];
        struct stat sb;
        snprintf(target, sizeof target, "%s/%s", outroot, cur);
        /* a later run stays latest (a night run again by hand) */
        if (t != HD_DATE_NONE && t > as_of && stat(target, &sb) == 0) return HD_OK;
    }
    /* a new link under a temporary name (removed by the next run if this
     * one dies here), renamed over the old one: readers see the old link
     * or the new one, never none */
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s/.tmp-latest-%ld", outroot, (long)getpid());
    unlink(tmp);
    if (symlink(name, tmp) != 0)
        return hd_fail(err, HD_EIO, "%s: cannot create the latest link: %s", tmp, strerror(errno));
    if (rename(tmp, link) != 0) {
        int e = errno;
        unlink(tmp);
        return hd_fail(err, HD_EIO, "%s: cannot point it to %s: %s", link, name, strerror(e));
    }
    int dfd = open(outroot, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { fsync(dfd); close(dfd); }
    return HD_OK;
}
