/*
 * hedui/serve.h — `hedui serve` (SPEC §11): the instant household check
 * over HTTP/1.1 + JSON on libmicrohttpd. POST /v1/check judges one
 * household against the index (hd_ix_check, hedui/index.h), GET /v1/health
 * says which index is served. Bearer tokens per clerk (kept as SHA-256),
 * limited to the clerk's county; optional TLS with client certificates;
 * without TLS only loopback addresses are accepted. An append-only JSON
 * lines access log with a receipt id per check, never an ID or a name.
 *
 * Thread-safety: requests are answered on libmicrohttpd's thread pool;
 * hd_serve_reload may be called from any thread (a request keeps the index
 * it started with until it ends).
 */
#ifndef HEDUI_SERVE_H
#define HEDUI_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include "hedui/batch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hd_serve_opts {
    const char *index;          /* an index directory, or a directory of them
                                   (OUTPUT/index): the newest one is served */
    const char *key;            /* the master key file */
    const char *listen;         /* ADDR:PORT, [ADDR6]:PORT; port 0 = any free */
    const char *tokens;         /* "<clerk> <county|*> <sha256 hex>" lines */
    const char *access_log;     /* appended to, created 0600 */
    const char *tls_cert, *tls_key, *client_ca;   /* PEM files or NULL */
    size_t body_limit;          /* bytes; 0: 65536 */
    unsigned timeout_s;         /* idle connection timeout; 0: 10 */
    unsigned threads;           /* 0: 2 */
    hd_log_fn log; void *log_user;
} hd_serve_opts;

typedef struct hd_server hd_server;

/*
 * Loads the key, the tokens file and the index, opens the access log and
 * starts listening. @return HD_OK; HD_ECONFIG (78: bad address, a
 * non-loopback address without TLS, bad tokens file, TLS files, an index
 * of another key); HD_EDATA (65: a truncated or tampered index);
 * HD_ENOINPUT (66); HD_EIO (cannot bind or open the log).
 */
int hd_serve_start(hd_server **out, const hd_serve_opts *opts, hd_error *err);

/* The port listened on.
 * @return the port (the one the system chose when the address gave 0). */
uint16_t hd_serve_port(const hd_server *s);

/*
 * Opens the index again (the newest one when opts->index is a directory of
 * indexes) and serves it for requests that start from now on; requests
 * under way finish with the old one. A new index that cannot be opened
 * leaves the old one served. @return HD_OK or hd_ix_open's error.
 */
int hd_serve_reload(hd_server *s, hd_error *err);

/* Stops listening, waits for requests under way, frees everything. */
void hd_serve_stop(hd_server *s);

#ifdef __cplusplus
}
#endif
#endif
