/*
 * register.c — `hedui outcome import --register DB --by NAME FILE...`,
 * `hedui outcome list --register DB [FINDING_ID]` and `hedui register
 * rebuild [--register DB] OUTPUT` (SPEC §9; include/hedui/register.h).
 * import prints FILE:LINE: CODE: message for every bad row on stderr and a
 * result line per run on stdout; exit 0 when every file was imported, 65
 * when any was refused (the others are imported).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli/cli.h"
#include "hedui/register.h"

enum { OPT_REGISTER = 1, OPT_BY };
struct opts { const char *db, *by; };

static int on_opt(void *user, int id, const char *arg)
{
    struct opts *o = user;
    if (id == OPT_REGISTER) o->db = arg;
    else if (id == OPT_BY) o->by = arg;
    return 0;
}

static void on_bad(void *user, const char *file, uint64_t line, const char *code, const char *msg)
{
    uint64_t *n = user;
    (*n)++;
    if (line) cli_log(HD_LOG_ERROR, "outcome_bad_row", "%s:%llu: %s: %s", file, (unsigned long long)line, code, msg);
}

int cmd_outcome(int argc, char **argv)
{
    static const cli_optdef defs[] = { { "--register", 1, OPT_REGISTER }, { "--by", 1, OPT_BY }, { NULL, 0, 0 } };
    struct opts o = { 0 };
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("outcome", argc, argv, defs, on_opt, &o, pos, &npos);
    const char *sub = npos ? pos[0] : NULL;
    if (rc == 0 && !sub) rc = cli_usage("outcome", "missing 'import' or 'list'");
    if (rc == 0 && strcmp(sub, "import") && strcmp(sub, "list")) rc = cli_usage("outcome", "unknown outcome command '%s' (import, list)", sub);
    if (rc == 0 && !o.db) rc = cli_usage("outcome", "missing --register DB");
    if (rc == 0 && !strcmp(sub, "import") && !o.by) rc = cli_usage("outcome", "missing --by NAME (who imports)");
    if (rc == 0 && !strcmp(sub, "import") && npos < 2) rc = cli_usage("outcome", "missing FILE");
    if (rc == 0 && !strcmp(sub, "list") && npos > 2) rc = cli_usage("outcome", "outcome list takes at most one finding id");
    if (rc) { free(pos); return rc; }
    hd_error err;
    hd_error_clear(&err);
    if (!strcmp(sub, "list")) {
        rc = hd_outcome_list(o.db, npos == 2 ? pos[1] : NULL, stdout, &err);
        free(pos);
        return rc ? (rc == HD_EUSAGE ? cli_usage("outcome", "%s", err.message) : cli_fail(&err)) : HD_OK;
    }
    uint64_t bad = 0, imported = 0;
    rc = hd_outcome_import(o.db, o.by, pos + 1, npos - 1, (int64_t)time(NULL), on_bad, &bad, &imported, &err);
    free(pos);
    if (rc == HD_EUSAGE) return cli_usage("outcome", "%s", err.message);
    if (rc != HD_OK) {
        cli_fail(&err);
        if (rc != HD_EDATA) return rc;
    }
    if (!g_cli.quiet) printf("%llu outcomes imported into %s%s\n", (unsigned long long)imported, o.db,
                             rc ? " (some files refused: nothing of them stored)" : "");
    return rc;
}

static void on_log(void *user, const char *msg)
{
    (void)user;
    cli_log(HD_LOG_WARN, "register_skipped", "%s", msg);
}

int cmd_register(int argc, char **argv)
{
    static const cli_optdef defs[] = { { "--register", 1, OPT_REGISTER }, { NULL, 0, 0 } };
    struct opts o = { 0 };
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("register", argc, argv, defs, on_opt, &o, pos, &npos);
    if (rc == 0 && (npos == 0 || strcmp(pos[0], "rebuild")))
        rc = npos ? cli_usage("register", "unknown register command '%s' (register rebuild OUTPUT)", pos[0])
                  : cli_usage("register", "missing 'rebuild OUTPUT'");
    if (rc == 0 && npos != 2) rc = cli_usage("register", npos < 2 ? "missing OUTPUT" : "register rebuild takes one OUTPUT");
    if (rc) { free(pos); return rc; }
    const char *out = pos[1];
    free(pos);
    hd_error err;
    hd_error_clear(&err);
    rc = hd_register_rebuild(out, o.db, on_log, NULL, &err);
    if (rc) return cli_fail(&err);
    if (!g_cli.quiet) printf("register rebuilt: %s\n", o.db ? o.db : "OUTPUT/register.db");
    return HD_OK;
}
