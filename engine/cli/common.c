/*
 * common.c — the common options, the option parser and the one way every
 * command prints an error or a log line (see cli.h).
 *
 * Text logs:  "hedui: warning: <msg>"; errors: "hedui: <msg>".
 * JSON logs:  one object per line {"time","level","event","msg"}.
 * Both go to stderr; stdout is left to each command's own output.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli/cli.h"

cli_opts g_cli = { 0, 0, CLI_PROGRESS_AUTO, 0, "hedui" };
volatile int g_cli_bar_shown = 0;

static FILE *g_err;                     /* the real stderr, once captured */

FILE *cli_stderr(void)
{
    return g_err ? g_err : stderr;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    FILE *err = cli_stderr();
    if (cmd && *cmd) fprintf(err, "hedui: %s (see 'hedui help %s')\n", msg, cmd);
    else fprintf(err, "hedui: %s (see 'hedui help')\n", msg);
    fflush(err);
    return HD_EUSAGE;
}

static const char *level_name(hd_log_level lv)
{
    switch (lv) {
    case HD_LOG_DEBUG: return "debug";
    case HD_LOG_INFO: return "info";
    case HD_LOG_WARN: return "warning";
    default: return "error";
    }
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p == '\r') fputs("\\r", f);
        else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

static void emit(hd_log_level lv, const char *event, const char *msg)
{
    if (lv == HD_LOG_DEBUG) return;
    if (lv == HD_LOG_INFO && g_cli.quiet) return;
    FILE *err = cli_stderr();
    flockfile(err);                      /* one line at a time from any thread */
    if (g_cli_bar_shown) { fputs("\r\033[K", err); g_cli_bar_shown = 0; }
    if (g_cli.log_json) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char t[64];
        strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
        fprintf(err, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"event\":", t,
                ts.tv_nsec / 1000000, level_name(lv));
        json_str(err, event && *event ? event : "message");
        fputs(",\"msg\":", err);
        json_str(err, msg);
        fputs("}\n", err);
    } else if (lv == HD_LOG_ERROR) {
        fprintf(err, "hedui: %s\n", msg);
    } else {
        fprintf(err, "hedui: %s: %s\n", level_name(lv), msg);
    }
    fflush(err);
    funlockfile(err);
}

/* ------------------------------------------------------------ library output */

static pthread_mutex_t lib_mu = PTHREAD_MUTEX_INITIALIZER;
static char lib_line[2048];
static size_t lib_len;

/* One whole line a library printed: through the logger. Called with
 * lib_mu held. */
static void lib_flush(void)
{
    while (lib_len && (lib_line[lib_len - 1] == '\r' || lib_line[lib_len - 1] == ' ')) lib_len--;
    lib_line[lib_len] = '\0';
    if (lib_len && !g_cli.quiet)
        emit(strncmp(lib_line, "[ERROR]", 7) == 0 ? HD_LOG_ERROR : HD_LOG_WARN, "library", lib_line);
    lib_len = 0;
}

static ssize_t lib_write(void *cookie, const char *buf, size_t n)
{
    (void)cookie;
    pthread_mutex_lock(&lib_mu);
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') { lib_flush(); continue; }
        if (lib_len < sizeof lib_line - 1) lib_line[lib_len++] = buf[i];   /* a longer line is cut */
    }
    pthread_mutex_unlock(&lib_mu);
    return (ssize_t)n;
}

void cli_stderr_capture(void)
{
    if (g_err) return;
    int fd = dup(STDERR_FILENO);
    if (fd < 0) return;                                  /* no stderr: nothing to guard */
    FILE *real = fdopen(fd, "w");
    if (!real) { close(fd); return; }
    cookie_io_functions_t io = { .read = NULL, .write = lib_write, .seek = NULL, .close = NULL };
    FILE *lib = fopencookie(NULL, "w", io);
    if (!lib) { fclose(real); return; }
    setvbuf(lib, NULL, _IONBF, 0);
    g_err = real;
    /* libraries print with fprintf(stderr, ...): the stream they see is
     * now the catcher; hedui's own lines go to the real one */
    stderr = lib;
}

void cli_stderr_release(void)
{
    if (!g_err) return;
    FILE *lib = stderr;
    fflush(lib);
    pthread_mutex_lock(&lib_mu);
    if (lib_len) lib_flush();
    pthread_mutex_unlock(&lib_mu);
    fflush(g_err);
    stderr = g_err;
    g_err = NULL;
    fclose(lib);
}

int cli_fail(const hd_error *e)
{
    emit(HD_LOG_ERROR, "error", e->message[0] ? e->message : "failed");
    return e->status ? e->status : HD_ESOFTWARE;
}

void cli_log(hd_log_level lv, const char *event, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emit(lv, event, msg);
}

void cli_log_sink(void *user, hd_log_level lv, const char *event, const char *msg)
{
    (void)user;
    emit(lv, event, msg);
}

hd_date cli_today(void)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    return hd_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int cli_parse_date(const char *s, hd_date *out)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3) return -1;
    if (s[4] != '-' || s[7] != '-' || !hd_date_valid(y, m, d)) return -1;
    *out = hd_date_from_ymd(y, m, d);
    return 0;
}

static int common_opt(const char *cmd, const char *name, const char *arg)
{
    if (!strcmp(name, "-j") || !strcmp(name, "--jobs")) {
        char *end;
        errno = 0;
        long n = strtol(arg, &end, 10);
        if (errno || *end || end == arg || n < 1 || n > 4096)
            return cli_usage(cmd, "-j takes a number of threads from 1 to 4096, not '%s'", arg);
        g_cli.threads = (int)n;
    } else if (!strcmp(name, "--progress")) {
        if (!strcmp(arg, "auto")) g_cli.progress = CLI_PROGRESS_AUTO;
        else if (!strcmp(arg, "always")) g_cli.progress = CLI_PROGRESS_ALWAYS;
        else if (!strcmp(arg, "never")) g_cli.progress = CLI_PROGRESS_NEVER;
        else return cli_usage(cmd, "--progress takes auto, always or never, not '%s'", arg);
    } else if (!strcmp(name, "--log-format")) {
        if (!strcmp(arg, "text")) g_cli.log_json = 0;
        else if (!strcmp(arg, "json")) g_cli.log_json = 1;
        else return cli_usage(cmd, "--log-format takes text or json, not '%s'", arg);
    }
    return 0;
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_optdef *defs,
              cli_opt_fn fn, void *user, char **pos, int *npos)
{
    static const char *const common_arg[] = { "-j", "--jobs", "--progress", "--log-format", NULL };
    *npos = 0;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') { pos[(*npos)++] = a; continue; }
        if (!strcmp(a, "--")) { only_pos = 1; continue; }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) { g_cli.quiet = 1; continue; }
        /* split --name=value; -jN */
        char name[128];
        const char *val = NULL;
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        if (eq) {
            size_t n = (size_t)(eq - a);
            if (n >= sizeof name) return cli_usage(cmd, "unknown option '%.40s...'", a);
            memcpy(name, a, n);
            name[n] = 0;
            val = eq + 1;
        } else if (a[1] == 'j' && a[2]) {
            strcpy(name, "-j");
            val = a + 2;
        } else {
            snprintf(name, sizeof name, "%s", a);
        }
        int is_common = 0;
        for (int k = 0; common_arg[k]; k++) if (!strcmp(name, common_arg[k])) is_common = 1;
        const cli_optdef *def = NULL;
        for (int k = 0; defs && defs[k].name; k++) if (!strcmp(name, defs[k].name)) def = &defs[k];
        if (!is_common && !def) return cli_usage(cmd, "unknown option '%s'", name);
        int has_arg = is_common || def->has_arg;
        if (has_arg && !val) {
            if (i + 1 >= argc) return cli_usage(cmd, "option %s needs a value", name);
            val = argv[++i];
        } else if (!has_arg && val) {
            return cli_usage(cmd, "option %s takes no value", name);
        }
        if (is_common) {
            int rc = common_opt(cmd, name, val);
            if (rc) return rc;
        } else if (fn) {
            int rc = fn(user, def->id, val);
            if (rc) return rc;
        }
    }
    return 0;
}
