/*
 * ixbench.c — the instant check's benchmarks (bench/bench.py, SPEC §11
 * targets; docs/performance.md):
 *
 *   ixbench lookup INDEX KEY ROUNDS HOUSEHOLDS.jsonl
 *       hd_ix_check latency of each household of the file (one JSON object
 *       per line as serve's "household"), each ROUNDS times, in process;
 *       prints a JSON line with the count, p50, p90, p99 and max in µs
 *       per number of members (all, and six-member households), and the
 *       six-member checks' p50 and p99 of thread CPU time (the check's own
 *       work, without the waits of a loaded machine)
 *   ixbench load PORT TOKEN BODY CONNECTIONS REQUESTS SECONDS
 *       a keep-alive HTTP/1.1 load on 127.0.0.1:PORT only: CONNECTIONS
 *       threads each send BODY (a file) to POST /v1/check until REQUESTS
 *       in all or SECONDS have passed; prints a JSON line with requests,
 *       failures (status other than 200), seconds, checks/s, p50 and p99 in µs
 *
 * Bounded in requests and time; loopback only by construction.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "hedui/index.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this thread: a check's own work, whatever else the
 * machine runs (the wall clock includes the time the thread waits for a
 * core on a loaded machine) */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    if (!n) return 0;
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static const char *js(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : "";
}

static int bench_lookup(int argc, char **argv)
{
    if (argc != 6) return 2;
    hd_key key;
    hd_error err;
    if (hd_key_load(&key, argv[3], &err)) { fprintf(stderr, "%s\n", err.message); return 1; }
    hd_ix *ix;
    if (hd_ix_open(&ix, argv[2], &key, &err)) { fprintf(stderr, "%s\n", err.message); return 1; }
    int rounds = atoi(argv[4]);
    FILE *f = fopen(argv[5], "r");
    if (!f) return 1;
    double *all = NULL, *six = NULL, *sixcpu = NULL;
    size_t nall = 0, nsix = 0, cap = 0;
    char line[1 << 16];
    while (fgets(line, sizeof line, f)) {
        json_t *h = json_loads(line, 0, NULL);
        if (!h) continue;
        json_t *mem = json_object_get(h, "members");
        size_t nm = json_array_size(mem);
        if (nm == 0 || nm > 100) { json_decref(h); continue; }
        hd_ix_member ms[100];
        for (size_t i = 0; i < nm; i++) {
            json_t *m = json_array_get(mem, i);
            ms[i] = (hd_ix_member){ js(m, "id_number"), js(m, "name"), js(m, "member_no"), js(m, "relation"),
                                    js(m, "declared_income") };
        }
        hd_ix_household hh = { js(h, "county_code"), js(h, "application_id"), js(h, "area_type"),
                               js(h, "assistance_type"), ms, (uint32_t)nm, 0 };
        for (int r = 0; r < rounds; r++) {
            char *out = NULL, tok[65];
            hd_verdict v;
            double c0 = cpu_now(), t0 = now();
            int rc = hd_ix_check(ix, &hh, &out, tok, &v, &err);
            double us = (now() - t0) * 1e6, cus = (cpu_now() - c0) * 1e6;
            free(out);
            if (rc != HD_OK) break;           /* a household with a bad row: not timed */
            if (nall == cap) {
                cap = cap ? cap * 2 : 4096;
                all = realloc(all, cap * sizeof *all);
                six = realloc(six, cap * sizeof *six);
                sixcpu = realloc(sixcpu, cap * sizeof *sixcpu);
                if (!all || !six || !sixcpu) return 1;
            }
            all[nall++] = us;
            if (nm == 6) { sixcpu[nsix] = cus; six[nsix++] = us; }
        }
        json_decref(h);
    }
    fclose(f);
    qsort(all, nall, sizeof *all, cmp_d);
    qsort(six, nsix, sizeof *six, cmp_d);
    qsort(sixcpu, nsix, sizeof *sixcpu, cmp_d);
    printf("{\"checks\":%zu,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f,"
           "\"six_checks\":%zu,\"six_p50_us\":%.1f,\"six_p99_us\":%.1f,\"six_max_us\":%.1f,"
           "\"six_cpu_p50_us\":%.1f,\"six_cpu_p99_us\":%.1f}\n",
           nall, pct(all, nall, .5), pct(all, nall, .9), pct(all, nall, .99), nall ? all[nall - 1] : 0,
           nsix, pct(six, nsix, .5), pct(six, nsix, .99), nsix ? six[nsix - 1] : 0,
           pct(sixcpu, nsix, .5), pct(sixcpu, nsix, .99));
    free(all);
    free(six);
    free(sixcpu);
    hd_ix_close(ix);
    hd_key_wipe(&key);
    return 0;
}

/* ---------------------------------------------------------------- load */

struct load {
    int port;
    char *req; size_t reqlen;
    long max_requests;
    double deadline;
    _Atomic long issued, failures;
    pthread_mutex_t mu;
    double *lat; size_t nlat, cap;
};

static int read_response(int fd, char *buf, size_t cap, int *status)
{
    size_t n = 0;
    long body = -1;
    size_t head = 0;
    for (;;) {
        if (n == cap) return -1;
        ssize_t r = recv(fd, buf + n, cap - n, 0);
        if (r <= 0) return -1;
        n += (size_t)r;
        if (!head) {
            char *e = memmem(buf, n, "\r\n\r\n", 4);
            if (!e) continue;
            head = (size_t)(e - buf) + 4;
            *status = atoi(buf + 9);
            char *cl = strcasestr(buf, "\r\nContent-Length:");
            if (!cl || cl > e) return -1;
            body = atol(cl + 17);
        }
        if (head && n >= head + (size_t)body) return 0;
    }
}

static int connect_local(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);         /* 127.0.0.1 only */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct timeval tv = { 10, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
    return fd;
}

static void *load_worker(void *arg)
{
    struct load *L = arg;
    char *buf = malloc(1 << 20);
    int fd = connect_local(L->port);
    double *mine = malloc(sizeof(double) * 65536);
    size_t nmine = 0;
    while (buf && mine && fd >= 0) {
        if (atomic_fetch_add(&L->issued, 1) >= L->max_requests || now() > L->deadline) break;
        double t0 = now();
        int status = 0;
        if (send(fd, L->req, L->reqlen, MSG_NOSIGNAL) != (ssize_t)L->reqlen || read_response(fd, buf, 1 << 20, &status)) {
            atomic_fetch_add(&L->failures, 1);
            close(fd);
            fd = connect_local(L->port);
            continue;
        }
        if (status != 200) atomic_fetch_add(&L->failures, 1);
        if (nmine < 65536) mine[nmine++] = (now() - t0) * 1e6;
        if (nmine == 65536) {
            pthread_mutex_lock(&L->mu);
            if (L->nlat + nmine > L->cap) {
                L->cap = (L->nlat + nmine) * 2;
                L->lat = realloc(L->lat, L->cap * sizeof *L->lat);
            }
            memcpy(L->lat + L->nlat, mine, nmine * sizeof *mine);
            L->nlat += nmine;
            pthread_mutex_unlock(&L->mu);
            nmine = 0;
        }
    }
    pthread_mutex_lock(&L->mu);
    if (L->nlat + nmine > L->cap) {
        L->cap = (L->nlat + nmine) * 2 + 1;
        L->lat = realloc(L->lat, L->cap * sizeof *L->lat);
    }
    if (L->lat && mine) { memcpy(L->lat + L->nlat, mine, nmine * sizeof *mine); L->nlat += nmine; }
    pthread_mutex_unlock(&L->mu);
    if (fd >= 0) close(fd);
    free(buf);
    free(mine);
    return NULL;
}

static int bench_load(int argc, char **argv)
{
    if (argc != 8) return 2;
    struct load L;
    memset(&L, 0, sizeof L);
    pthread_mutex_init(&L.mu, NULL);
    L.port = atoi(argv[2]);
    FILE *f = fopen(argv[4], "rb");
    if (!f) return 1;
    char body[1 << 16];
    size_t bn = fread(body, 1, sizeof body, f);
    fclose(f);
    int conns = atoi(argv[5]);
    L.max_requests = atol(argv[6]);
    double secs = atof(argv[7]);
    L.req = malloc(bn + 512);
    L.reqlen = (size_t)snprintf(L.req, 512, "POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                                "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", argv[3], bn);
    memcpy(L.req + L.reqlen, body, bn);
    L.reqlen += bn;
    double t0 = now();
    L.deadline = t0 + secs;
    pthread_t th[256];
    if (conns < 1) conns = 1;
    if (conns > 256) conns = 256;
    for (int i = 0; i < conns; i++) pthread_create(&th[i], NULL, load_worker, &L);
    for (int i = 0; i < conns; i++) pthread_join(th[i], NULL);
    double el = now() - t0;
    qsort(L.lat, L.nlat, sizeof *L.lat, cmp_d);
    printf("{\"requests\":%zu,\"failures\":%ld,\"seconds\":%.3f,\"checks_per_s\":%.0f,\"p50_us\":%.1f,\"p99_us\":%.1f}\n",
           L.nlat, atomic_load(&L.failures), el, (double)L.nlat / el, pct(L.lat, L.nlat, .5), pct(L.lat, L.nlat, .99));
    free(L.lat);
    free(L.req);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "lookup")) return bench_lookup(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "load")) return bench_load(argc, argv);
    fprintf(stderr, "usage: ixbench lookup INDEX KEY ROUNDS HOUSEHOLDS.jsonl | "
                    "ixbench load PORT TOKEN BODY CONNECTIONS REQUESTS SECONDS\n");
    return 2;
}
