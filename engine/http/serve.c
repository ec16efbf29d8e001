/*
 * serve.c — `hedui serve` (SPEC §11) on libmicrohttpd (HTTP/1.1, keep-alive,
 * a pool of polling threads, idle timeouts) with JSON by Jansson and, when
 * asked, TLS with client certificates by GnuTLS (libmicrohttpd's own TLS
 * library). Every check goes through hd_ix_check: the run's applicant
 * loader and the run's judge.
 *
 * Requests: POST /v1/check {"purpose": "application"|"recheck"|"change",
 * "household": {"county_code", "application_id", "area_type",
 * "assistance_type", "members": [{"id_number", "name", "member_no",
 * "relation", "declared_income"}]}} -> 200 {"receipt", "index", "result"};
 * 400 {"error", "receipt"} for bad JSON or a bad household, 401 without a
 * valid bearer token (or client certificate when the CA is given), 403 for
 * another county, 413 past the body limit, 404/405 otherwise.
 * GET /v1/health -> {"status":"ok","index":...,"as_of":...,"damaged":...}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "hedui/index.h"
#include "hedui/serve.h"
#include "io/file.h"

#define MAX_MEMBERS 100

typedef struct clerk { char id[64]; char county[8]; unsigned char hash[32]; } clerk;

typedef struct ixref { hd_ix *ix; _Atomic int refs; } ixref;

struct hd_server {
    hd_serve_opts o;
    char index_path[4096];
    hd_key key;
    clerk *clerks; size_t nclerks;
    int log_fd;
    pthread_mutex_t mu;            /* cur, and the access log's lines */
    ixref *cur;
    struct MHD_Daemon *d;
    uint16_t port;
    int tls, mtls;
    char *cert, *tkey, *ca;
};

static void slog(const hd_server *s, hd_log_level lv, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void slog(const hd_server *s, hd_log_level lv, const char *event, const char *fmt, ...)
{
    if (!s->o.log) return;
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->o.log(s->o.log_user, lv, event, msg);
}

/* libmicrohttpd's own messages go through hedui's logger (SPEC §8). */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    hd_server *s = cls;
    if (!s->o.log) return;
    char msg[1200];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    s->o.log(s->o.log_user, HD_LOG_WARN, "http", msg);
}

/* ---------------------------------------------------------------- index */

static void ix_release(ixref *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1) {
        hd_ix_close(r->ix);
        free(r);
    }
}

static ixref *ix_acquire(hd_server *s)
{
    pthread_mutex_lock(&s->mu);
    ixref *r = s->cur;
    atomic_fetch_add(&r->refs, 1);
    pthread_mutex_unlock(&s->mu);
    return r;
}

/* The index directory to open: opts->index itself when it holds meta.ini,
 * else its subdirectory with the greatest name (<as_of>-<digest>: the
 * latest as_of; among equal dates, the most recently modified). */
static int resolve_index(const hd_server *s, char *out, size_t cap, hd_error *err)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/meta.ini", s->o.index);
    if (access(p, F_OK) == 0) { snprintf(out, cap, "%s", s->o.index); return HD_OK; }
    DIR *d = opendir(s->o.index);
    if (!d) return hd_fail(err, HD_ENOINPUT, "%s: cannot open: %s", s->o.index, strerror(errno));
    char best[256] = "";
    time_t best_t = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strlen(e->d_name) >= sizeof best) continue;
        char q[4400];
        struct stat sb;
        snprintf(q, sizeof q, "%s/%s/meta.ini", s->o.index, e->d_name);
        if (stat(q, &sb) != 0) continue;
        int c = strncmp(e->d_name, best, 10);
        if (!best[0] || c > 0 || (c == 0 && sb.st_mtime > best_t)) {
            snprintf(best, sizeof best, "%s", e->d_name);
            best_t = sb.st_mtime;
        }
    }
    closedir(d);
    if (!best[0]) return hd_fail(err, HD_ENOINPUT, "%s: no index in this directory", s->o.index);
    snprintf(out, cap, "%s/%s", s->o.index, best);
    return HD_OK;
}

int hd_serve_reload(hd_server *s, hd_error *err)
{
    char dir[4096];
    int rc = resolve_index(s, dir, sizeof dir, err);
    if (rc) return rc;
    hd_ix *ix = NULL;
    if ((rc = hd_ix_open(&ix, dir, &s->key, err)) != HD_OK) return rc;
    ixref *r = calloc(1, sizeof *r);
    if (!r) { hd_ix_close(ix); return hd_fail(err, HD_ESOFTWARE, "out of memory"); }
    r->ix = ix;
    atomic_init(&r->refs, 1);              /* the server's own reference */
    pthread_mutex_lock(&s->mu);
    ixref *old = s->cur;
    s->cur = r;
    snprintf(s->index_path, sizeof s->index_path, "%s", dir);
    pthread_mutex_unlock(&s->mu);
    ix_release(old);
    slog(s, HD_LOG_INFO, "index_loaded", "serving index %s", dir);
    return HD_OK;
}

/* ---------------------------------------------------------------- config */

static int load_tokens(hd_server *s, hd_error *err)
{
    FILE *f = fopen(s->o.tokens, "r");
    if (!f) return hd_fail(err, errno == ENOENT ? HD_ENOINPUT : HD_ECONFIG, "%s: cannot open: %s", s->o.tokens, strerror(errno));
    char line[1024];
    int ln = 0, rc = HD_OK;
    while (rc == HD_OK && fgets(line, sizeof line, f)) {
        ln++;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || !*p) continue;
        char id[256], county[256], hex[256], extra[8];
        int n = sscanf(p, "%255s %255s %255s %7s", id, county, hex, extra);
        int ok = n == 3 && strlen(id) < sizeof s->clerks->id && strlen(hex) == 64 &&
                 (!strcmp(county, "*") || (strlen(county) == 6 && strspn(county, "0123456789") == 6));
        unsigned char h[32];
        for (int i = 0; ok && i < 32; i++) {
            unsigned v;
            if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
                !strchr("0123456789abcdefABCDEF", hex[2 * i + 1])) ok = 0;
            h[i] = (unsigned char)v;
        }
        if (!ok) { rc = hd_fail(err, HD_ECONFIG, "%s:%d: expected \"<clerk id> <county code or *> <SHA-256 hex of the token>\"", s->o.tokens, ln); break; }
        clerk *c = realloc(s->clerks, (s->nclerks + 1) * sizeof *c);
        if (!c) { rc = hd_fail(err, HD_ESOFTWARE, "out of memory"); break; }
        s->clerks = c;
        c = &c[s->nclerks++];
        snprintf(c->id, sizeof c->id, "%s", id);
        snprintf(c->county, sizeof c->county, "%s", county);
        memcpy(c->hash, h, 32);
    }
    fclose(f);
    if (rc == HD_OK && s->nclerks == 0) rc = hd_fail(err, HD_ECONFIG, "%s: no clerk", s->o.tokens);
    return rc;
}

/* A TLS certificate, key or CA file, whole (io/file.h); at most 1 MiB. */
static char *slurp(const char *path, hd_error *err, int *rc)
{
    char *b;
    size_t n;
    *rc = hd_file_read(path, (size_t)1 << 20, &b, &n, err);
    if (*rc == HD_EDATA) *rc = hd_fail(err, HD_ECONFIG, "%s: larger than 1 MiB", path);
    return *rc == HD_OK ? b : NULL;
}

/* ADDR:PORT -> sockaddr; *loopback = 1 for 127.0.0.0/8 and ::1. */
static int parse_listen(const char *a, struct sockaddr_storage *ss, socklen_t *len, int *loopback, hd_error *err)
{
    char host[256];
    const char *colon = strrchr(a, ':');
    if (!colon || colon == a || (size_t)(colon - a) >= sizeof host)
        return hd_fail(err, HD_ECONFIG, "--listen %s: expected ADDR:PORT", a);
    memcpy(host, a, (size_t)(colon - a));
    host[colon - a] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535) return hd_fail(err, HD_ECONFIG, "--listen %s: bad port", a);
    memset(ss, 0, sizeof *ss);
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1) return hd_fail(err, HD_ECONFIG, "--listen %s: bad IPv6 address", a);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        *len = sizeof *s6;
        *loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
        return HD_OK;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        return hd_fail(err, HD_ECONFIG, "--listen %s: not an IPv4 address or [IPv6] address", a);
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    *len = sizeof *s4;
    *loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    return HD_OK;
}

/* ---------------------------------------------------------------- requests */

typedef struct req {
    char *body; size_t n, cap;
    int too_big;
    int is_check;
} req;

static void receipt_id(char out[33])
{
    unsigned char r[16];
    if (RAND_bytes(r, sizeof r) != 1) memset(r, 0, sizeof r);
    hd_hex(r, 16, out);
}

static void now_iso(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static void client_ip(struct MHD_Connection *c, char out[64])
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    strcpy(out, "unknown");
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, 64);
    else if (sa->sa_family == AF_INET6) inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, 64);
}

/* One line of the access log: one write() of the whole line on an
 * O_APPEND descriptor. Only codes, tokens and ids made here: the clerk id,
 * the purpose (one of three words), the household token, the verdict. */
static void access_log(hd_server *s, const char *client, const char *clerk, const char *purpose,
                       const char *household, const char *verdict, int status, const char *receipt)
{
    char t[32], line[1024];
    now_iso(t);
    json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:i, s:s}", "time", t, "client", client,
                          "clerk", clerk, "purpose", purpose, "household", household, "verdict", verdict,
                          "status", status, "receipt", receipt);
    char *js = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!js) return;
    int n = snprintf(line, sizeof line, "%s\n", js);
    free(js);
    if (n <= 0 || (size_t)n >= sizeof line) return;
    pthread_mutex_lock(&s->mu);
    ssize_t w = write(s->log_fd, line, (size_t)n);
    pthread_mutex_unlock(&s->mu);
    if (w != n) slog(s, HD_LOG_ERROR, "access_log", "%s: cannot append: %s", s->o.access_log, strerror(errno));
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *json)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_error(hd_server *s, struct MHD_Connection *c, unsigned status, const char *msg,
                                   const char *clerk, const char *purpose)
{
    char rid[33], ip[64];
    receipt_id(rid);
    client_ip(c, ip);
    access_log(s, ip, clerk, purpose, NULL, NULL, (int)status, rid);
    json_t *o = json_pack("{s:s, s:s}", "error", msg, "receipt", rid);
    char *js = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    enum MHD_Result r = reply(c, status, js ? js : "{\"error\":\"out of memory\"}");
    free(js);
    return r;
}

/* The clerk of a valid bearer token, or NULL. */
static const clerk *authenticate(const hd_server *s, struct MHD_Connection *c)
{
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7)) return NULL;
    const char *t = h + 7;
    while (*t == ' ') t++;
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t')) n--;
    if (!n || n > 4096) return NULL;
    unsigned char d[32];
    hd_sha256 *sh = hd_sha256_new();
    if (!sh) return NULL;
    hd_sha256_update(sh, t, n);
    hd_sha256_final(sh, d);
    const clerk *found = NULL;
    for (size_t i = 0; i < s->nclerks; i++)       /* every entry, in constant time each */
        if (CRYPTO_memcmp(d, s->clerks[i].hash, 32) == 0) found = &s->clerks[i];
    return found;
}

/* With --client-ca: the client's certificate chain verifies against it. */
static int client_cert_ok(const hd_server *s, struct MHD_Connection *c)
{
    if (!s->mtls) return 1;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (!ci || !ci->tls_session) return 0;
    gnutls_session_t ts = (gnutls_session_t)ci->tls_session;
    unsigned int n = 0;
    if (!gnutls_certificate_get_peers(ts, &n) || n == 0) return 0;
    unsigned int status = 0;
    return gnutls_certificate_verify_peers2(ts, &status) == 0 && status == 0;
}

static const char *jstr(json_t *o, const char *k, char *buf, size_t cap, int *bad)
{
    json_t *v = json_object_get(o, k);
    if (!v || json_is_null(v)) return "";
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) { snprintf(buf, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); return buf; }
    if (json_is_real(v)) { snprintf(buf, cap, "%.2f", json_real_value(v)); return buf; }
    *bad = 1;
    return "";
}

/* SPEC §10: a recipient or monitored household is judged as its
 * population (a monitored one under the dibao or tekun section); an
 * applicant when the request names none, -1 when it names another. */
static int population_of(json_t *hh)
{
    json_t *popv = json_object_get(hh, "population");
    if (!popv || json_is_null(popv)) return HD_POP_APPLICANT;
    const char *ps = json_string_value(popv);
    for (int p = 0; ps && p < HD_POP__COUNT; p++)
        if (!strcmp(ps, hd_population_name(p))) return p;
    return -1;
}

static enum MHD_Result do_check(hd_server *s, struct MHD_Connection *c, req *r)
{
    if (!client_cert_ok(s, c)) return reply_error(s, c, MHD_HTTP_UNAUTHORIZED, "a client certificate of the centre's CA is required", NULL, NULL);
    const clerk *k = authenticate(s, c);
    if (!k) return reply_error(s, c, MHD_HTTP_UNAUTHORIZED, "missing or unknown bearer token", NULL, NULL);
    if (r->too_big) {
        char m[128];
        snprintf(m, sizeof m, "the body is over %zu bytes", s->o.body_limit);
        return reply_error(s, c, 413, m, k->id, NULL);
    }
    json_error_t je;
    json_t *root = json_loadb(r->body ? r->body : "", r->n, JSON_REJECT_DUPLICATES, &je);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        return reply_error(s, c, MHD_HTTP_BAD_REQUEST, "the body is not a JSON object", k->id, NULL);
    }
    enum MHD_Result ret;
    char msg[512];
    const char *purpose = json_string_value(json_object_get(root, "purpose"));
    const char *purpose_ok = purpose && (!strcmp(purpose, "application") || !strcmp(purpose, "recheck") ||
                                         !strcmp(purpose, "change")) ? purpose : NULL;
    json_t *hh = json_object_get(root, "household");
    json_t *mem = hh ? json_object_get(hh, "members") : NULL;
    if (!purpose_ok) {
        ret = reply_error(s, c, MHD_HTTP_BAD_REQUEST, "purpose must be application, recheck or change", k->id, NULL);
        goto done;
    }
    if (!json_is_object(hh) || !json_is_array(mem)) {
        ret = reply_error(s, c, MHD_HTTP_BAD_REQUEST, "household with a members array is required", k->id, purpose_ok);
        goto done;
    }
    size_t nm = json_array_size(mem);
    if (nm == 0 || nm > MAX_MEMBERS) {
        snprintf(msg, sizeof msg, "a household has 1 to %d members, not %zu", MAX_MEMBERS, nm);
        ret = reply_error(s, c, MHD_HTTP_BAD_REQUEST, msg, k->id, purpose_ok);
        goto done;
    }
    int bad = 0;
    char b1[32], b2[32], b3[32], b4[32];
    hd_ix_household h;
    h.county_code = jstr(hh, "county_code", b1, sizeof b1, &bad);
    h.application_id = jstr(hh, "application_id", b2, sizeof b2, &bad);
    h.area_type = jstr(hh, "area_type", b3, sizeof b3, &bad);
    h.assistance_type = jstr(hh, "assistance_type", b4, sizeof b4, &bad);
    if (bad || !*h.county_code || !*h.application_id) {
        ret = reply_error(s, c, MHD_HTTP_BAD_REQUEST, "household.county_code and household.application_id are required strings", k->id, purpose_ok);
        goto done;
    }
    h.population = population_of(hh);
    if (h.population < 0) {
        ret = reply_error(s, c, MHD_HTTP_BAD_REQUEST, "household.population must be applicant, recipient or monitored", k->id, purpose_ok);
        goto done;
    }
    if (strcmp(k->county, "*") && strcmp(k->county, h.county_code)) {
        ret = reply_error(s, c, MHD_HTTP_FORBIDDEN, "this clerk checks households of another county", k->id, purpose_ok);
        goto done;
    }
    hd_ix_member ms[MAX_MEMBERS];
    char nb[MAX_MEMBERS][5][32];
    for (size_t i = 0; i < nm; i++) {
        json_t *m = json_array_get(mem, i);
        if (!json_is_object(m)) { bad = 1; break; }
        ms[i].id_number = jstr(m, "id_number", nb[i][0], 32, &bad);
        ms[i].name = jstr(m, "name", nb[i][1], 32, &bad);
        ms[i].member_no = jstr(m, "member_no", nb[i][2], 32, &bad);
        ms[i].relation = jstr(m, "relation", nb[i][3], 32, &bad);
        ms[i].declared_income = jstr(m, "declared_income", nb[i][4], 32, &bad);
        if (!*ms[i].id_number && !bad) {
            snprintf(msg, sizeof msg, "member %zu: id_number is required", i + 1);
            ret = reply_error(s, c, MHD_HTTP_BAD_REQUEST, msg, k->id, purpose_ok);
            goto done;
        }
    }
    if (bad) {
        ret = reply_error(s, c, MHD_HTTP_BAD_REQUEST, "a member is not an object of strings and numbers", k->id, purpose_ok);
        goto done;
    }
    h.members = ms;
    h.nmembers = (uint32_t)nm;
    ixref *ir = ix_acquire(s);
    char *result = NULL, tok[65];
    hd_verdict v;
    hd_error err;
    hd_error_clear(&err);
    int rc = hd_ix_check(ir->ix, &h, &result, tok, &v, &err);
    char digest[65];
    snprintf(digest, sizeof digest, "%s", hd_ix_digest(ir->ix));
    ix_release(ir);
    if (rc == HD_EDATA) {
        ret = reply_error(s, c, MHD_HTTP_BAD_REQUEST, err.message, k->id, purpose_ok);
        goto done;
    }
    if (rc != HD_OK) {
        slog(s, HD_LOG_ERROR, "check_failed", "%s", err.message);
        ret = reply_error(s, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the check failed", k->id, purpose_ok);
        goto done;
    }
    char rid[33], ip[64];
    receipt_id(rid);
    client_ip(c, ip);
    access_log(s, ip, k->id, purpose_ok, tok, hd_verdict_name(v), 200, rid);
    size_t need = strlen(result) + 256;
    char *out = malloc(need);
    if (!out) { free(result); ret = MHD_NO; goto done; }
    snprintf(out, need, "{\"receipt\":\"%s\",\"index\":\"%.12s\",\"purpose\":\"%s\",\"result\":%s}", rid, digest,
             purpose_ok, result);
    free(result);
    ret = reply(c, MHD_HTTP_OK, out);
    free(out);
done:
    json_decref(root);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    hd_server *s = cls;
    req *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r) return MHD_NO;
        *con_cls = r;
        r->is_check = !strcmp(url, "/v1/check") && !strcmp(method, "POST");
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (r->is_check && cl && strtoull(cl, NULL, 10) > s->o.body_limit) r->too_big = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->is_check && !r->too_big) {
            if (r->n + *upload_size > s->o.body_limit) {
                r->too_big = 1;
                free(r->body); r->body = NULL; r->n = r->cap = 0;
            } else {
                if (r->n + *upload_size > r->cap) {
                    size_t cap = r->cap ? r->cap : 4096;
                    while (cap < r->n + *upload_size) cap *= 2;
                    char *b = realloc(r->body, cap);
                    if (!b) return MHD_NO;
                    r->body = b; r->cap = cap;
                }
                memcpy(r->body + r->n, upload, *upload_size);
                r->n += *upload_size;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->is_check) return do_check(s, c, r);
    if (!strcmp(url, "/v1/health") && !strcmp(method, "GET")) {
        ixref *ir = ix_acquire(s);
        char date[11], out[256];
        hd_date_format(hd_ix_as_of(ir->ix), date);
        snprintf(out, sizeof out, "{\"status\":\"ok\",\"index\":\"%.12s\",\"as_of\":\"%s\",\"damaged\":%s}",
                 hd_ix_digest(ir->ix), date, hd_ix_damaged(ir->ix) ? "true" : "false");
        ix_release(ir);
        return reply(c, MHD_HTTP_OK, out);
    }
    if (!strcmp(url, "/v1/check") || !strcmp(url, "/v1/health"))
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "{\"error\":\"method not allowed\"}");
    return reply(c, MHD_HTTP_NOT_FOUND, "{\"error\":\"not found\"}");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls; (void)c; (void)toe;
    req *r = *con_cls;
    if (!r) return;
    free(r->body);
    free(r);
    *con_cls = NULL;
}

/* ---------------------------------------------------------------- start */

int hd_serve_start(hd_server **out, const hd_serve_opts *opts, hd_error *err)
{
    *out = NULL;
    hd_server *s = calloc(1, sizeof *s);
    if (!s) return hd_fail(err, HD_ESOFTWARE, "out of memory");
    s->o = *opts;
    s->log_fd = -1;
    if (!s->o.body_limit) s->o.body_limit = 65536;
    if (!s->o.timeout_s) s->o.timeout_s = 10;
    if (!s->o.threads) s->o.threads = 2;
    pthread_mutex_init(&s->mu, NULL);
    int rc;
    struct sockaddr_storage ss;
    socklen_t sl;
    int loopback = 0;
    if ((rc = parse_listen(opts->listen, &ss, &sl, &loopback, err)) != HD_OK) goto fail;
    s->tls = opts->tls_cert || opts->tls_key;
    if (s->tls && !(opts->tls_cert && opts->tls_key)) {
        rc = hd_fail(err, HD_ECONFIG, "--tls-cert and --tls-key go together");
        goto fail;
    }
    if (opts->client_ca && !s->tls) {
        rc = hd_fail(err, HD_ECONFIG, "--client-ca needs --tls-cert and --tls-key");
        goto fail;
    }
    if (!s->tls && !loopback) {
        rc = hd_fail(err, HD_ECONFIG, "--listen %s: without TLS hedui serve listens on a loopback address only (127.0.0.1, [::1]); "
                     "put a TLS proxy in front or give --tls-cert and --tls-key", opts->listen);
        goto fail;
    }
    if (s->tls) {
        if (!(s->cert = slurp(opts->tls_cert, err, &rc))) goto fail;
        if (!(s->tkey = slurp(opts->tls_key, err, &rc))) goto fail;
        if (opts->client_ca && !(s->ca = slurp(opts->client_ca, err, &rc))) goto fail;
        s->mtls = opts->client_ca != NULL;
    }
    if ((rc = hd_key_load_master(&s->key, opts->key, err)) != HD_OK) goto fail;
    if ((rc = load_tokens(s, err)) != HD_OK) goto fail;
    if ((rc = hd_serve_reload(s, err)) != HD_OK) goto fail;
    s->log_fd = open(opts->access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (s->log_fd < 0) {
        rc = hd_fail(err, HD_EIO, "%s: cannot open the access log: %s", opts->access_log, strerror(errno));
        goto fail;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_EPOLL;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    if (s->tls) flags |= MHD_USE_TLS;
    struct MHD_OptionItem tlsopts[4];
    int nt = 0;
    if (s->tls) {
        tlsopts[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert };
        tlsopts[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, s->tkey };
        if (s->ca) tlsopts[nt++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, s->ca };
    }
    tlsopts[nt] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                            MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)s->o.threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)s->o.timeout_s,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_ARRAY, tlsopts,
                            MHD_OPTION_END);
    if (!s->d) {
        rc = hd_fail(err, s->tls ? HD_ECONFIG : HD_EIO, "--listen %s: cannot listen (address in use, or %s)", opts->listen,
                     s->tls ? "the TLS certificate or key cannot be used" : "not allowed");
        goto fail;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
    *out = s;
    return HD_OK;
fail:
    hd_serve_stop(s);
    return rc;
}

uint16_t hd_serve_port(const hd_server *s) { return s->port; }

void hd_serve_stop(hd_server *s)
{
    if (!s) return;
    if (s->d) MHD_stop_daemon(s->d);
    ix_release(s->cur);
    if (s->log_fd >= 0) close(s->log_fd);
    free(s->clerks);
    free(s->cert);
    if (s->tkey) { OPENSSL_cleanse(s->tkey, strlen(s->tkey)); free(s->tkey); }
    free(s->ca);
    hd_key_wipe(&s->key);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
