/*
 * serve.c — `hedui serve --index DIR --key KEY --listen ADDR:PORT --tokens
 * FILE --access-log FILE [--tls-cert F --tls-key F [--client-ca F]]`
 * (SPEC §11). Thin: options -> hd_serve_start; then the main thread waits
 * for signals: SIGHUP opens the newest index (hd_serve_reload), SIGTERM and
 * SIGINT stop after the requests under way.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "hedui/serve.h"

enum { O_INDEX = 1, O_KEY, O_LISTEN, O_TOKENS, O_LOG, O_CERT, O_TKEY, O_CA, O_LIMIT, O_TIMEOUT };

static int on_opt(void *user, int id, const char *arg)
{
    hd_serve_opts *o = user;
    char *end;
    unsigned long v;
    switch (id) {
    case O_INDEX: o->index = arg; break;
    case O_KEY: o->key = arg; break;
    case O_LISTEN: o->listen = arg; break;
    case O_TOKENS: o->tokens = arg; break;
    case O_LOG: o->access_log = arg; break;
    case O_CERT: o->tls_cert = arg; break;
    case O_TKEY: o->tls_key = arg; break;
    case O_CA: o->client_ca = arg; break;
    case O_LIMIT:
    case O_TIMEOUT:
        v = strtoul(arg, &end, 10);
        if (*arg < '0' || *arg > '9' || *end || v < 1 || v > (id == O_LIMIT ? 16ul << 20 : 3600))
            return cli_usage("serve", "%s takes a positive number, not '%s'", id == O_LIMIT ? "--body-limit" : "--timeout", arg);
        if (id == O_LIMIT) o->body_limit = v; else o->timeout_s = (unsigned)v;
        break;
    }
    return 0;
}

int cmd_serve(int argc, char **argv)
{
    static const cli_optdef defs[] = {
        { "--index", 1, O_INDEX }, { "--key", 1, O_KEY }, { "--listen", 1, O_LISTEN },
        { "--tokens", 1, O_TOKENS }, { "--access-log", 1, O_LOG }, { "--tls-cert", 1, O_CERT },
        { "--tls-key", 1, O_TKEY }, { "--client-ca", 1, O_CA }, { "--body-limit", 1, O_LIMIT },
        { "--timeout", 1, O_TIMEOUT }, { NULL, 0, 0 } };
    hd_serve_opts o;
    memset(&o, 0, sizeof o);
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("serve", argc, argv, defs, on_opt, &o, pos, &npos);
    free(pos);
    if (rc == 0 && npos) rc = cli_usage("serve", "serve takes no positional argument");
    if (rc == 0 && !(o.index && o.key && o.listen && o.tokens && o.access_log))
        rc = cli_usage("serve", "--index, --key, --listen, --tokens and --access-log are required");
    if (rc) return rc;
    o.threads = g_cli.threads > 0 ? (unsigned)g_cli.threads : 2;
    o.log = cli_log_sink;
    /* the signals are taken by this thread only: block them before the
     * server's threads start, so that they inherit the mask */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    hd_server *s;
    hd_error err;
    hd_error_clear(&err);
    if ((rc = hd_serve_start(&s, &o, &err)) != HD_OK) return cli_fail(&err);
    cli_log(HD_LOG_INFO, "listening", "listening on port %u (--listen %s)", (unsigned)hd_serve_port(s), o.listen);
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            hd_error_clear(&err);
            if (hd_serve_reload(s, &err) != HD_OK)
                cli_log(HD_LOG_ERROR, "reload_failed", "the index was not switched (%s); the old one is still served", err.message);
            continue;
        }
        break;
    }
    cli_log(HD_LOG_INFO, "stopping", "stopping after the requests under way");
    hd_serve_stop(s);
    return HD_OK;
}
