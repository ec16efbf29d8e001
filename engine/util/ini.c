/* ini.c — inih with line numbers; see ini.h. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <ini.h>
#include "util/ini.h"

struct ctx {
    FILE *f;
    int line;
    const char *path;
    hd_ini_handler h;
    void *user;
    hd_error *err;
    int failed;
    int read_errno;              /* a read error ends the stream early */
};

static char *read_line(char *buf, int size, void *stream)
{
    struct ctx *c = stream;
    errno = 0;
    char *r = fgets(buf, size, c->f);
    if (r) c->line++;
    else if (ferror(c->f)) c->read_errno = errno ? errno : EIO;
    return r;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
    struct ctx *c = user;
    if (c->failed) return 0;
    if (!c->h(c->user, section, name, value ? value : "", c->line, c->err)) {
        c->failed = 1;
        return 0;
    }
    return 1;
}

/* inih's options are process-wide variables: set once, the same for every
 * file (SPEC §6 "Config files": no continuation lines; the first error
 * ends the parse). */
static pthread_once_t options_once = PTHREAD_ONCE_INIT;

static void set_options(void)
{
    ini_allow_multiline = 0;
    ini_stop_on_first_error = 1;
}

int hd_ini_stream(hd_ini_reader reader, void *stream, hd_ini_raw_handler handler, void *user)
{
    pthread_once(&options_once, set_options);
    return ini_parse_stream(reader, stream, handler, user);
}

int hd_ini_parse(const char *path, hd_ini_handler h, void *user, hd_error *err)
{
    struct ctx c = {0};
    c.f = fopen(path, "r");
    if (!c.f) return hd_fail(err, HD_ENOINPUT, "%s: cannot open: %s", path, strerror(errno));
    c.path = path; c.h = h; c.user = user; c.err = err;
    hd_error_clear(err);
    int r = hd_ini_stream(read_line, &c, on_key, &c);
    fclose(c.f);
    /* a file that opens but cannot be read (a directory, an I/O error) is
     * an input that cannot be read: 66 with the reason (SPEC §8) */
    if (c.read_errno && !c.failed)
        return hd_fail(err, HD_ENOINPUT, "%s: cannot read: %s", path, strerror(c.read_errno));
    if (c.failed) {
        if (err && err->status == HD_OK) hd_fail(err, HD_ECONFIG, "%s:%d: rejected", path, c.line);
        return err ? err->status : HD_ECONFIG;
    }
    if (r > 0) return hd_fail(err, HD_ECONFIG, "%s:%d: syntax error (expected [section] or key = value)", path, r);
    if (r < 0) return hd_fail(err, HD_ECONFIG, "%s: cannot parse", path);
    return HD_OK;
}

int hd_ini_section_arg(const char *section, const char *word, char *out, size_t cap)
{
    size_t wn = strlen(word);
    if (strncmp(section, word, wn) != 0) return 0;
    const char *p = section + wn;
    if (*p != ' ' && *p != '\t' && *p != '"') return 0;
    while (*p == ' ' || *p == '\t') p++;
    size_t n = strlen(p);
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') { p++; n -= 2; }
    if (n == 0 || n >= cap) return 0;
    memcpy(out, p, n);
    out[n] = 0;
    return 1;
}
