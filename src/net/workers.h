/* Worker threads, one loop each.
 *
 *   struct workers *ws = workers_start(n, serve, ctx, WORKERS_PIN_CPUS, &e);
 *   ...                      (main thread: its own loop, signals)
 *   workers_stop(ws);        (every loop_run returns)
 *   rc = workers_join(ws);   (threads joined, loops freed)
 *
 * Each thread gets its own loop, created before the thread starts (so
 * workers_stop is valid at once), and calls fn(w) on that thread. fn sets up
 * its watchers, calls loop_run(w->loop), cleans up and returns. Worker
 * threads start with every asynchronous signal blocked, so SIGTERM and
 * friends reach the main thread's sigwatch and never a worker. */
#ifndef FERRY_NET_WORKERS_H
#define FERRY_NET_WORKERS_H

#include <pthread.h>

#include "core/err.h"
#include "net/loop.h"

struct worker;
typedef int (*worker_fn)(struct worker *w);

struct worker {
    unsigned id;       /* 0 .. n-1 */
    struct loop *loop; /* this worker's loop */
    void *arg;         /* workers_start's <arg> */
    int cpu;           /* the CPU it is pinned to, or -1 */
    int rc;            /* what fn returned */
    pthread_t thread;  /* for the starter and joiner; a worker uses pthread_self */
    worker_fn fn;
};

struct workers {
    unsigned n;
    struct worker *w; /* n workers; read-only for callers */
};

/* Pin worker i to the i-th CPU (modulo) of the process's affinity mask.
 * Pinning failures are logged and ignored. */
#define WORKERS_PIN_CPUS 0x1u

/* Starts <n> (>= 1) threads. Returns NULL with <e> filled (and nothing left
 * running) if a loop or a thread cannot be created. */
struct workers *workers_start(unsigned n, worker_fn fn, void *arg, unsigned flags, struct err *e);
/* loop_stop on every worker's loop. Any thread, and signal handlers. */
void workers_stop(struct workers *ws);
/* Waits for every thread, frees the loops and <ws>. Returns the first
 * non-zero fn result, or 0. NULL is ignored (returns 0). */
int workers_join(struct workers *ws);

#endif
