/*
 * job.c — the job file (SPEC §2): INI, paths relative to the job file.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "hedui/batch.h"
#include "util/ini.h"
#include "util/path.h"

struct loader {
    hd_job *j;
    int seen_job;
    int previous_line;
    char **seen;                 /* "section\x1fkey" already given */
    int nseen;
};

/* A key given twice (or a section repeated, which repeats its keys) would
 * silently replace the first: a config error instead (SPEC §6). */
static int given_twice(struct loader *L, const char *section, const char *key)
{
    char k[600];
    snprintf(k, sizeof k, "%s\x1f%s", section, key);
    for (int i = 0; i < L->nseen; i++)
        if (!strcmp(L->seen[i], k)) return 1;
    char **n = realloc(L->seen, (size_t)(L->nseen + 1) * sizeof *n);
    if (!n) return 0;
    L->seen = n;
    if ((n[L->nseen] = strdup(k)) != NULL) L->nseen++;
    return 0;
}

#define BAD(...) (hd_fail(err, HD_ECONFIG, __VA_ARGS__), 0)

static int set_path(hd_job *j, char *dst, const char *v, int line, const char *key, hd_error *err)
{
    if (!*v) return BAD("%s:%d: %s is empty", j->path, line, key);
    if (hd_path_join(dst, 4096, j->dir, v) != 0) return BAD("%s:%d: %s is too long", j->path, line, key);
    size_t n = strlen(dst);
    while (n > 1 && dst[n - 1] == '/') dst[--n] = '\0';   /* "out/" names the directory out */
    return 1;
}

static int handler(void *user, const char *section, const char *key, const char *v,
                   int line, hd_error *err)
{
    struct loader *L = user;
    hd_job *j = L->j;
    char name[128];
    if (given_twice(L, section, key))
        return BAD("%s:%d: '%s' is given twice in [%s] (a repeated section or key would replace the first)",
                   j->path, line, key, section);
    if (!strcmp(section, "job")) {
        L->seen_job = 1;
        if (!strcmp(key, "name")) {
            if (strlen(v) >= sizeof j->name) return BAD("%s:%d: name is too long", j->path, line);
            strcpy(j->name, v);
        } else if (!strcmp(key, "as_of")) {
            hd_date t;
            if (hd_parse_date(v, strlen(v), "%Y-%m-%d", &t) != HD_R_NONE)
                return BAD("%s:%d: as_of must be a date YYYY-MM-DD", j->path, line);
            j->as_of = t;
        } else if (!strcmp(key, "applicants")) return set_path(j, j->applicants_glob, v, line, key, err);
        else if (!strcmp(key, "applicants_format")) {
            j->applicants_format_line = line;
            return set_path(j, j->applicants_format, v, line, key, err);
        }
        else if (!strcmp(key, "roster")) return set_path(j, j->roster_glob, v, line, key, err);
        else if (!strcmp(key, "roster_format")) return set_path(j, j->roster_format, v, line, key, err);
        else if (!strcmp(key, "monitor")) return set_path(j, j->monitor_glob, v, line, key, err);
        else if (!strcmp(key, "monitor_format")) return set_path(j, j->monitor_format, v, line, key, err);
        else if (!strcmp(key, "policy")) return set_path(j, j->policy, v, line, key, err);
        else if (!strcmp(key, "key")) return set_path(j, j->key, v, line, key, err);
        else if (!strcmp(key, "signing_key")) return set_path(j, j->signing_key, v, line, key, err);
        else if (!strcmp(key, "output")) return set_path(j, j->output, v, line, key, err);
        else if (!strcmp(key, "matches_compression")) {
            if (!strcmp(v, "zstd")) j->matches_zstd = 1;
            else if (!strcmp(v, "none")) j->matches_zstd = 0;
            else return BAD("%s:%d: matches_compression must be none or zstd", j->path, line);
        }
        else if (!strcmp(key, "index")) {
            /* SPEC §11: the run writes the index in its own pass */
            if (!strcmp(v, "yes")) j->index = 1;
            else if (!strcmp(v, "no")) j->index = 0;
            else return BAD("%s:%d: index must be yes or no", j->path, line);
        }
        else if (!strcmp(key, "register")) return set_path(j, j->register_db, v, line, key, err);
        else if (!strcmp(key, "previous")) {
            L->previous_line = line;
            /* `latest`: the newest earlier run of output, chosen by hd_run */
            if (!strcmp(v, "latest")) { j->previous_latest = 1; return 1; }
            return set_path(j, j->previous, v, line, key, err);
        }
        else return BAD("%s:%d: unknown key '%s' in [job]", j->path, line, key);
        return 1;
    }
    if (hd_ini_section_arg(section, "source", name, sizeof name)) {
        hd_source_cfg *s = NULL;
        for (int i = 0; i < j->nsources; i++)
            if (!strcmp(j->sources[i].name, name)) s = &j->sources[i];
        if (!s) {
            for (const char *p = name; *p; p++)
                if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
                      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
                    return BAD("%s:%d: source name '%s': use letters, digits, '-', '_' and '.' only (it names output files)", j->path, line, name);
            if (!strcmp(name, "applicants") || !strcmp(name, "roster") || !strcmp(name, "monitor"))
                return BAD("%s:%d: '%s' is reserved (it names the quarantine file of a population)", j->path, line, name);
            hd_source_cfg *ns = realloc(j->sources, (size_t)(j->nsources + 1) * sizeof *ns);
            if (!ns) return (hd_fail(err, HD_ESOFTWARE, "out of memory"), 0);
            j->sources = ns;
            s = &ns[j->nsources++];
            memset(s, 0, sizeof *s);
            strcpy(s->name, name);
            s->line = line;
            s->min_rows = 1;
        }
        if (!strcmp(key, "format")) {
            s->format_line = line;
            return set_path(j, s->format_path, v, line, key, err);
        }
        if (!strcmp(key, "files")) return set_path(j, s->files_glob, v, line, key, err);
        if (!strcmp(key, "strength")) {
            if (!strcmp(v, "lead")) s->lead = 1;
            else if (!strcmp(v, "verified")) s->lead = 0;
            else return BAD("%s:%d: strength must be verified or lead", j->path, line);
            return 1;
        }
        if (!strcmp(key, "min_rows")) {
            char *end = NULL;
            long long x = strtoll(v, &end, 10);
            if (!*v || *end || x < 0 || x > (long long)1e15 || *v == '+' || *v == '-' || *v == ' ')
                return BAD("%s:%d: min_rows must be a whole number of rows (0 or more)", j->path, line);
            s->min_rows = x;
            return 1;
        }
        if (!strcmp(key, "provider")) {
            size_t n = strlen(v);
            int ok = n > 0 && n < sizeof s->provider;
            for (const char *p = v; ok && *p; p++)
                ok = *p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
                     (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z');
            if (!ok)
                return BAD("%s:%d: provider must be 1 to 63 letters, digits, '-', '_' or '.' (the NAME of hedui keygen --provider NAME)",
                           j->path, line);
            strcpy(s->provider, v);
            s->provider_line = line;
            return 1;
        }
        return BAD("%s:%d: unknown key '%s' in [source \"%s\"]", j->path, line, key, name);
    }
    return BAD("%s:%d: unknown section [%s] (job, source \"NAME\")", j->path, line, section);
}

/* [job] previous must be an earlier output directory: a directory holding
 * a manifest.json that says it is a hedui manifest (docs/changes.md). */
static int check_previous(const hd_job *j, int line, hd_error *err)
{
    struct stat sb;
    if (stat(j->previous, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return hd_fail(err, HD_ECONFIG, "%s:%d: previous: %s is not a directory (give an earlier output directory, OUTPUT/<as_of>-<digest>)",
                       j->path, line, j->previous);
    char mf[4200];
    snprintf(mf, sizeof mf, "%s/manifest.json", j->previous);
    FILE *f = fopen(mf, "rb");
    char head[256] = "";
    size_t n = 0;
    int opened = f != NULL;
    if (f) { n = fread(head, 1, sizeof head - 1, f); fclose(f); }
    head[n] = '\0';
    if (!opened || !strstr(head, "\"format\": \"hedui-manifest/"))
        return hd_fail(err, HD_ECONFIG, "%s:%d: previous: %s is not a hedui output directory (no hedui manifest.json; give OUTPUT/<as_of>-<digest>, not OUTPUT)",
                       j->path, line, j->previous);
    return HD_OK;
}

int hd_job_load(hd_job **out, const char *path, hd_date today, hd_error *err)
{
    *out = NULL;
    hd_job *j = calloc(1, sizeof *j);
    if (!j) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    snprintf(j->path, sizeof j->path, "%s", path);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(j->dir, sizeof j->dir, "%s", dirname(tmp));
    j->as_of = today;
    snprintf(j->name, sizeof j->name, "hedui");
    struct loader L = { .j = j };
    int rc = hd_ini_parse(path, handler, &L, err);
    for (int i = 0; i < L.nseen; i++) free(L.seen[i]);
    free(L.seen);
    if (rc != HD_OK) { hd_job_free(j); return rc; }
    const char *missing = !L.seen_job ? "[job]" : !*j->applicants_glob ? "applicants" :
                          !*j->applicants_format ? "applicants_format" : !*j->policy ? "policy" :
                          !*j->key ? "key" : !*j->output ? "output" : NULL;
    if (missing) { hd_job_free(j); return hd_fail(err, HD_ECONFIG, "%s: %s is missing", path, missing); }
    /* SPEC §10: a population's format defaults to the applicants' */
    if (*j->roster_format && !*j->roster_glob) missing = "roster (roster_format is given)";
    if (*j->monitor_format && !*j->monitor_glob) missing = "monitor (monitor_format is given)";
    if (missing) { hd_job_free(j); return hd_fail(err, HD_ECONFIG, "%s: %s is missing", path, missing); }
    if (*j->roster_glob && !*j->roster_format) strcpy(j->roster_format, j->applicants_format);
    if (*j->monitor_glob && !*j->monitor_format) strcpy(j->monitor_format, j->applicants_format);
    if (*j->previous && check_previous(j, L.previous_line, err) != HD_OK) { hd_job_free(j); return HD_ECONFIG; }
    for (int i = 0; i < j->nsources; i++) {
        if (!*j->sources[i].format_path || !*j->sources[i].files_glob) {
            hd_fail(err, HD_ECONFIG, "%s:%d: source \"%s\" needs format and files", path,
                    j->sources[i].line, j->sources[i].name);
            hd_job_free(j);
            return HD_ECONFIG;
        }
        /* default provider: the source name, when it can name one (a
         * tokenised source with a longer name is refused by the run) */
        if (!*j->sources[i].provider && strlen(j->sources[i].name) < sizeof j->sources[i].provider)
            strcpy(j->sources[i].provider, j->sources[i].name);
    }
    *out = j;
    return HD_OK;
}

void hd_job_free(hd_job *j)
{
    if (!j) return;
    free(j->sources);
    free(j);
}
