/*
 * pool.h — the one thread pool of hedui: how many threads -jN means, and
 * running one worker function on that many threads. The workers share
 * their work through arg (an atomic counter of the next item, as a rule);
 * outputs never depend on which thread did what.
 */
#ifndef HEDUI_POOL_H
#define HEDUI_POOL_H

/* The number of threads for -jN: requested when > 0, else the cores
 * online; at least 1, at most max. */
int hd_pool_threads(int requested, int max);

/* Runs fn(arg) on nt threads, the calling thread being one of them, and
 * returns when every one has returned. Threads that cannot be started are
 * done without: fn always runs at least once, here. */
void hd_pool_run(int nt, void *(*fn)(void *), void *arg);

#endif
