/*
 * cli.h — what the command files of `hedui` share: the common options
 * (-j, -q, --progress, --log-format), one option parser, the one way to
 * print an error or a log line, the progress bar and the run summary.
 *
 * The CLI is a thin client of the library (include/hedui/): every command
 * parses its options, calls one library function and prints its result.
 * Process-wide state lives here only (g_cli), never in the library.
 */
#ifndef HEDUI_CLI_H
#define HEDUI_CLI_H

#include <stdio.h>
#include "hedui/batch.h"

enum { CLI_PROGRESS_AUTO = 0, CLI_PROGRESS_ALWAYS, CLI_PROGRESS_NEVER };

typedef struct cli_opts {
    int threads;        /* -j N; 0 = all cores */
    int quiet;          /* -q */
    int progress;       /* CLI_PROGRESS_* */
    int log_json;       /* --log-format=json */
    const char *argv0;
} cli_opts;

extern cli_opts g_cli;
/* 1 while a progress bar may stand on stderr's last line: a log line
 * first clears it (the bar is redrawn by the next progress call). */
extern volatile int g_cli_bar_shown;

/* One option a command takes besides the common ones. */
typedef struct cli_optdef {
    const char *name;   /* "--force", "--format", "-x" */
    int has_arg;        /* 1: takes a value (--name VALUE or --name=VALUE) */
    int id;             /* passed to the callback */
} cli_optdef;

typedef int (*cli_opt_fn)(void *user, int id, const char *arg);

/*
 * Parses argv[1..argc) of command `cmd`: the common options anywhere, the
 * command's own (defs, NULL-name terminated; may be NULL), "--" ends the
 * options. Positional arguments are collected in order into pos (an array
 * of at least argc pointers the caller provides); *npos gets their count.
 * @return 0, or 2 after printing a usage error (unknown option, missing
 *         value, bad -j/--progress/--log-format, or a callback's non-zero).
 */
int cli_parse(const char *cmd, int argc, char **argv, const cli_optdef *defs,
              cli_opt_fn fn, void *user, char **pos, int *npos);

/* Prints "hedui: <message> (see 'hedui help CMD')" and returns HD_EUSAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints an error line ("hedui: <message>" or a JSON log object) and
 * returns e->status. */
int cli_fail(const hd_error *e);
/* A log line to stderr in the chosen format; info and debug are dropped
 * under -q, debug always (no verbose mode). */
void cli_log(hd_log_level lv, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Adapter for hd_run_opts.log. */
void cli_log_sink(void *user, hd_log_level lv, const char *event, const char *msg);

/* Only hedui writes to stderr (SPEC §8): from here on, what a library
 * prints to stderr (libxlsxwriter's "[ERROR][file:line]: ..." lines) is
 * caught line by line and passed through the logger (event "library",
 * level error for "[ERROR]", else warning; dropped under -q), so that
 * --log-format=json gives one JSON object per line. hedui's own lines go
 * to the real stderr (cli_stderr()). Call once, first thing in main. */
void cli_stderr_capture(void);
/* Passes on a library line left without its newline and puts stderr
 * back; call before exit. */
void cli_stderr_release(void);
/* The real stderr, for hedui's own lines (the progress bar). */
FILE *cli_stderr(void);

/* Today's date (local time) as hd_date. */
hd_date cli_today(void);
/* "YYYY-MM-DD" -> hd_date; 0 ok, -1 not a real date. */
int cli_parse_date(const char *s, hd_date *out);

/* Runs a job the way `hedui run` does: progress bar, hd_run, summary on
 * stdout (unless -q). outdir (4096 bytes, may be NULL) gets the final
 * output directory. @return hd_run's status.
 * flags: CLI_RUN_FORCE (--force), CLI_RUN_ALLOW_FUTURE (--allow-future-as-of) */
enum { CLI_RUN_FORCE = 1, CLI_RUN_ALLOW_FUTURE = 2 };
int cli_run_job(const char *job_path, int flags, char *outdir);

/* Command entry points: argv[0] is the command word. Return exit codes. */
int cmd_run(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_outcome(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_serve(int argc, char **argv);

/* Usage text of a command (NULL if unknown). */
const char *cli_usage_text(const char *cmd);

#endif
