/*
 * main.c — `hedui`: the command word, the common options before it,
 * --version and help (SPEC §1). Each command lives in its own file.
 *
 * Exit codes are the library's status codes (include/hedui/error.h,
 * sysexits.h): 0, 2 usage, 3 damaged source, 65 data, 66 no input,
 * 70 internal, 74 I/O, 75 output locked, 78 configuration.
 */
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"

typedef struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *usage;
    const char *help;
} command;

static const char common_help[] =
    "Common options (anywhere on the line):\n"
    "  -j N                    worker threads (default: all cores)\n"
    "  -q, --quiet             no summary, no progress, no info messages\n"
    "  --progress=auto|always|never\n"
    "                          progress bar on stderr (auto: when stderr is a terminal)\n"
    "  --log-format=text|json  messages on stderr as text or one JSON object per line\n";

/* The exit codes, said the same way in docs/operator-guide.md and
 * docs/hedui.1 (tests/test_docs.sh compares them). One code a line; a
 * line that starts with spaces continues the one above. */
static const char exit_help[] =
    "Exit codes:\n"
    "  0   success\n"
    "  2   usage error\n"
    "  3   the batch completed, but a source was damaged or incomplete\n"
    "  65  input rejected, or an existing output or index directory of the same inputs does not verify\n"
    "      (not replaced without --force)\n"
    "  66  a job, descriptor, policy, standards or key file is missing or cannot be read,\n"
    "      or no applicant file matches (the message gives the path and the reason)\n"
    "  70  internal error or out of memory\n"
    "  74  an output cannot be written (disk full, not writable, or --force cannot remove\n"
    "      the directory it replaced)\n"
    "  75  the output directory, or the register, is locked by another run\n"
    "  78  bad job, descriptor, policy or key\n"
    "  When several apply: the first of 2, 78, 66, 75, 65, 74, 3.\n";

/* Operations of `hedui run` (SPEC §8), said the same way in
 * docs/operator-guide.md and docs/hedui.1 (tests/test_docs.sh compares
 * every "  - " item, continuation lines indented by four spaces). */
#define RUN_FACTS \
    "\nOperations:\n" \
    "  - previous = latest: the newest earlier run under the output that verifies (its as_of\n" \
    "    before this run's; of the same as_of, the one the register recorded last, else the one\n" \
    "    OUTPUT/latest names, else the name that sorts last); none: no change report, a log\n" \
    "    line says so.\n" \
    "  - A complete run points OUTPUT/latest to its directory (a symlink replaced atomically),\n" \
    "    unless it points to a run with a later as_of.\n" \
    "  - --force that cannot remove the directory it replaced exits 74 naming it (it holds\n" \
    "    personal data).\n" \
    "  - Only hedui writes to stderr: lines of libraries (libxlsxwriter's [ERROR] lines\n" \
    "    included) pass through its logger, so --log-format=json gives one JSON object per\n" \
    "    line, always, and -q silences them.\n" \
    "  - summary.json totals count applicant files and extract files apart (totals.applicants,\n" \
    "    totals.extracts), each with its own invariant.\n"

static const command commands[] = {
    { "run", cmd_run, "hedui run [--force] [--allow-future-as-of] [--part K/N | --prepare] JOB.ini",
      "Runs the nightly batch: applicants x sources -> verdicts, county reports, audit files,\n"
      "signed manifest, in OUTPUT/<as_of>-<digest>/. An existing complete output that verifies\n"
      "is kept as it is; --force rebuilds it. Exit 3 when a source was damaged or missing, or\n"
      "an applicant file was rejected. An as_of after today is a config error (78) unless\n"
      "--allow-future-as-of is given.\n"
      "--part K/N: scan only part K (0 to N-1) of N of the extract files (a fixed share,\n"
      "balanced by size) into OUTPUT/parts/<as_of>-<digest>/part-K-of-N (mode 0600, its\n"
      "SHA-256 in part-K-of-N.sha256) for 'hedui merge'; exit 3 when a file it read is\n"
      "damaged (the part is written). Parts may run at once, on several machines.\n"
      "--prepare: load the applicant, roster and monitor files once into\n"
      "OUTPUT/parts/<as_of>-<digest>/members (mode 0600, + .sha256), which every --part of\n"
      "the same inputs then reads instead of loading them itself (the same part, less CPU);\n"
      "run it before the parts. Without it each part loads them.\n" RUN_FACTS },
    { "merge", cmd_merge, "hedui merge [--force] [--allow-future-as-of] [--parts N] JOB.ini",
      "Writes the run directory from the N parts of 'hedui run --part K/N': the same bytes\n"
      "as 'hedui run JOB.ini' for every N. --parts N: the split to merge (default: the N of\n"
      "the part files present). Exit 66 when a part is missing, 65 when one is damaged (its\n"
      "SHA-256) or of another job, policy or input, 75 when another run or merge holds the\n"
      "output directory, 3 as for run; --force and --allow-future-as-of as for run.\n" },
    { "check", cmd_check, "hedui check [--format FMT] [--as-of YYYY-MM-DD] [--lang zh|en] FILE...",
      "Validates files against a format descriptor without running a batch. Prints\n"
      "FILE:LINE: CODE: message for every bad row, a count per file and one line per reason;\n"
      "exit 0 when clean, 65 otherwise. Without --format, FILE.fmt or the name without\n"
      "extensions + .fmt is used. --as-of: the date ID birth dates are checked against\n"
      "(default today). --lang: messages in Chinese (zh) or English (en); default zh when\n"
      "LC_ALL, else LC_MESSAGES, else LANG starts with \"zh\".\n" },
    { "keygen", cmd_keygen, "hedui keygen DIR | hedui keygen --provider NAME --key MASTER OUT",
      "keygen DIR: writes the centre's master key (DIR/pseudonym.key, 0600) and an Ed25519\n"
      "signing key pair (DIR/signing.pem 0600, DIR/signing.pub.pem 0644).\n"
      "keygen --provider NAME --key MASTER OUT: writes the provider key file OUT (0600) for the\n"
      "data provider NAME, derived from the master key file MASTER (HKDF-SHA256, audience\n"
      "provider:NAME); hand it to that provider for 'hedui tokenize'. Never overwrites a key.\n" },
    { "tokenize", cmd_tokenize, "hedui tokenize --key PROVIDER-KEY --format FMT [--as-of YYYY-MM-DD] IN OUT",
      "Rewrites an extract so that its ID column holds member tokens and names are dropped:\n"
      "OUT (zstd CSV), OUT.fmt (the descriptor that reads it, id_form = token) and\n"
      "OUT.rejects.csv (line,reason of rows whose ID was rejected). Exit 65 if any was.\n"
      "--key takes the provider key file the centre made ('hedui keygen --provider'); the\n"
      "centre's master key is refused (78).\n" },
    { "audit", cmd_audit, "hedui audit verify [--pubkey PEM] DIR",
      "Checks manifest.sig against the public key (--pubkey, else the bundle's own\n"
      "signing.pub.pem, which proves integrity but not origin) and the size and SHA-256 of\n"
      "every listed file; any unlisted file fails too. Exit 0 only if all hold.\n" },
    { "demo", cmd_demo, "hedui demo [--households N] [DIR]",
      "Generates a sample province (real Yunnan division codes and standards, synthetic people)\n"
      "in DIR (default ./hedui-demo), makes keys, and runs the batch on it. The last line\n"
      "printed is the audit verify command for the run, ready to paste.\n" },
    { "index", cmd_index, "hedui index [--force] [--memory MIB] JOB.ini",
      "Builds the index of the job's sources for instant household checks (SPEC 11) in\n"
      "OUTPUT/index/<as_of>-<digest>/: every usable row keyed by member token under the\n"
      "index key, sorted and memory-mappable; names as keyed tokens, no ID numbers; the\n"
      "sources' damage, the policy and as_of; a signed manifest. --memory: MiB of rows held\n"
      "before a sorted run is spilled to disk (default 64). Exit 3 when a source was damaged.\n"
      "[job] index = yes makes `hedui run` write the same index in its own pass instead.\n" },
    { "lookup", cmd_lookup, "hedui lookup --index DIR --key KEY [--population P] FILE",
      "Judges the households of FILE (the job's applicants format) against an index with the\n"
      "index's policy and as_of, through the nightly run's rules; prints one JSON object per\n"
      "household (county_code, application_id, population, verdict, reasons, figures, masked\n"
      "evidence). --population recipient or monitored: FILE is a roster or monitor file, read\n"
      "in the job's roster_format or monitor_format and judged as that population, as the run\n"
      "does (a monitored household under the dibao or tekun section); default applicant.\n"
      "During a key rotation give the key file with the previous master the index names.\n"
      "Exit 3 when a source of the index is damaged, 65 for a truncated or tampered index,\n"
      "78 for an index built under another key.\n" },
    { "serve", cmd_serve, "hedui serve --index DIR --key KEY --listen ADDR:PORT --tokens FILE --access-log FILE [--tls-cert F --tls-key F [--client-ca F]] [--body-limit BYTES] [--timeout S]",
      "Answers instant household checks over HTTP/1.1 + JSON: POST /v1/check (a household and a\n"
      "purpose: application, recheck or change), GET /v1/health. Bearer tokens per clerk from\n"
      "FILE (\"<clerk> <county or *> <sha256 hex of the token>\"), limited to the clerk's county.\n"
      "Without TLS it listens on loopback addresses only. Every check is appended to the access\n"
      "log (time, client, clerk, purpose, household token, verdict, receipt id; never an ID or a\n"
      "name). SIGHUP switches to the newest index in DIR without dropping requests; SIGTERM\n"
      "stops. A truncated or tampered index is refused (65), another key's index too (78).\n" },
    { "outcome", cmd_outcome, "hedui outcome import --register DB --by NAME FILE... | outcome list --register DB [FINDING_ID]",
      "import: reads the findings.csv files county clerks returned (UTF-8, with or without BOM,\n"
      "GBK or GB18030), or results.xlsx workbooks (the sheet 核查结果, LINE = its row number;\n"
      "outcome confirmed, false_positive, explained or disputed, or 属实, 误报,\n"
      "已说明, 有异议; until YYYY-MM-DD or YYYY/M/D) and appends their outcomes to the register\n"
      "with who (--by), when and the file's SHA-256. All or nothing per file: a bad row (unknown\n"
      "finding id or outcome word, bad date, a finding of another county) is printed as\n"
      "FILE:LINE: CODE: message and nothing of its file is stored (exit 65); a file imported\n"
      "before is refused. Imported files are kept under OUTPUT/outcomes/<sha256>.csv (.xlsx).\n"
      "list: every outcome in import order (of one finding when FINDING_ID is given).\n" },
    { "register", cmd_register, "hedui register rebuild [--register DB] OUTPUT",
      "Rebuilds the register (default OUTPUT/register.db) from every run directory under OUTPUT\n"
      "that verifies and every outcome file kept under OUTPUT/outcomes/, in as_of then import\n"
      "order, to the same table contents as the nightly writes. Built beside, then renamed.\n" },
    { "help", cmd_help, "hedui help [COMMAND]", "Lists the commands, or shows one command's usage.\n" },
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

const char *cli_usage_text(const char *cmd)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, cmd)) return commands[i].usage;
    return NULL;
}

static void list_commands(FILE *f)
{
    fprintf(f, "hedui %s - household economic status verification (居民家庭经济状况核对)\n\n"
               "Usage:\n", HD_ENGINE_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %s\n", commands[i].usage);
    fprintf(f, "  hedui --version\n\n%s\n%s\n'hedui help COMMAND' shows one command.\n", common_help, exit_help);
}

int cmd_help(int argc, char **argv)
{
    int npos = 0;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return HD_ESOFTWARE;
    int rc = cli_parse("help", argc, argv, NULL, NULL, NULL, pos, &npos);
    if (rc == 0 && npos > 1) rc = cli_usage("help", "help takes at most one command");
    if (rc) { free(pos); return rc; }
    if (npos == 0) { free(pos); list_commands(stdout); return HD_OK; }
    const char *name = pos[0];
    free(pos);
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(commands[i].name, name)) {
            printf("Usage: %s\n\n%s\n%s", commands[i].usage, commands[i].help, common_help);
            return HD_OK;
        }
    return cli_usage("", "unknown command '%s'", name);
}

static int hedui_main(int argc, char **argv);

int main(int argc, char **argv)
{
    /* only hedui writes to stderr: library lines through the logger */
    cli_stderr_capture();
    int rc = hedui_main(argc, argv);
    cli_stderr_release();
    return rc;
}

static int hedui_main(int argc, char **argv)
{
    g_cli.argv0 = argv[0];
    /* OpenBSD's habit: whatever the library or a library under it creates
     * is the operator's only (outputs, the register, the index, keys);
     * set here, once, not by the library, which is reentrant */
    umask(077);
    /* a file-size limit (ulimit -f) must be a write error (EFBIG, exit 74)
     * with a message, not a silent death; a closed pipe likewise (EPIPE) */
    signal(SIGXFSZ, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    /* common options before the command word */
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--version")) { printf("hedui %s\n", HD_ENGINE_VERSION); return HD_OK; }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { list_commands(stdout); return HD_OK; }
        int takes = !strcmp(a, "-j") || !strcmp(a, "--jobs") || !strcmp(a, "--progress") ||
                    !strcmp(a, "--log-format");
        int n = takes && i + 1 < argc ? 2 : 1;
        char *sub[3] = { "hedui", argv[i], n == 2 ? argv[i + 1] : NULL };
        char *pos[3];
        int npos = 0;
        int rc = cli_parse("", n + 1, sub, NULL, NULL, NULL, pos, &npos);
        if (rc) return rc;
        i += n - 1;
    }
    if (i >= argc) return cli_usage("", "missing command");
    const char *cmd = argv[i];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) cmd = "help";
    for (size_t k = 0; k < NCOMMANDS; k++)
        if (!strcmp(commands[k].name, cmd)) {
            if (argc - i > 1 && (!strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h"))) {
                char *h[] = { "help", (char *)cmd, NULL };
                return cmd_help(2, h);
            }
            return commands[k].fn(argc - i, argv + i);
        }
    return cli_usage("", "unknown command '%s'", cmd);
}
