/*
 * regwrite.c — the register write alone (SPEC §9 "register write under
 * 5 % of the run"; docs/performance.md "The register write"):
 *
 *   regwrite RUN_DIR DB ROUNDS [FROM_DB]
 *       records the finished run directory RUN_DIR into a new register DB
 *       (removed first, with its -wal and -shm) ROUNDS times with
 *       hd_register_record, the call `hedui run` makes after the rename;
 *       prints one JSON line with the wall and CPU seconds of each round.
 *       With FROM_DB, DB starts each round as a copy of FROM_DB (a register
 *       that may hold the run already: `hedui run --force` replaces it).
 *
 * What it leaves out of the run's record step: nothing (the run calls
 * exactly this); what it adds: nothing but the unlink of the old register.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hedui/register.h"

static double now(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cp FROM TO (the register file alone: FROM's WAL must be checkpointed,
 * as a register is after every record) */
static int copy(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = a ? fopen(to, "wb") : NULL;
    char buf[1 << 16];
    size_t n;
    int rc = a && b ? 0 : -1;
    while (!rc && (n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n) rc = -1;
    if (a && ferror(a)) rc = -1;
    if (a) fclose(a);
    if (b && fclose(b) != 0) rc = -1;
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) { fprintf(stderr, "usage: regwrite RUN_DIR DB ROUNDS [FROM_DB]\n"); return 2; }
    int rounds = atoi(argv[3]);
    printf("{\"run_dir\": \"%s\", \"rounds\": [", argv[1]);
    for (int i = 0; i < rounds; i++) {
        char p[4200];
        unlink(argv[2]);
        snprintf(p, sizeof p, "%s-wal", argv[2]); unlink(p);
        snprintf(p, sizeof p, "%s-shm", argv[2]); unlink(p);
        if (argc == 5 && copy(argv[4], argv[2]) != 0) {
            printf("]}\n");
            fprintf(stderr, "regwrite: cannot copy %s\n", argv[4]);
            return 1;
        }
        hd_error e;
        double w = now(CLOCK_MONOTONIC), c = now(CLOCK_PROCESS_CPUTIME_ID);
        int rc = hd_register_record(argv[2], argv[1], NULL, &e);
        w = now(CLOCK_MONOTONIC) - w; c = now(CLOCK_PROCESS_CPUTIME_ID) - c;
        if (rc) { fprintf(stderr, "regwrite: %s\n", e.message); return 1; }
        printf("%s{\"wall_s\": %.3f, \"cpu_s\": %.3f}", i ? ", " : "", w, c);
        fflush(stdout);
    }
    printf("]}\n");
    return 0;
}
