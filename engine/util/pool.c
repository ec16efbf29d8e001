/*
 * pool.c — the one thread pool (pool.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "util/pool.h"

int hd_pool_threads(int requested, int max)
{
    int nt = requested > 0 ? requested : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (nt < 1) nt = 1;
    if (nt > max) nt = max;
    return nt;
}

void hd_pool_run(int nt, void *(*fn)(void *), void *arg)
{
    pthread_t *th = nt > 1 ? calloc((size_t)nt - 1, sizeof *th) : NULL;
    int started = 0;
    for (int i = 0; th && i < nt - 1; i++)
        if (pthread_create(&th[started], NULL, fn, arg) == 0) started++;
    fn(arg);                               /* this thread works too */
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    free(th);
}
