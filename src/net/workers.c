#include "net/workers.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/file.h"
#include "core/log.h"

static void *thread_main(void *p)
{
    struct worker *w = p;
    w->rc = w->fn(w);
    return NULL;
}

/* The CPU for worker <i>: the i-th (modulo) of those this process may run
 * on, or -1 if the mask cannot be read. */
static int pick_cpu(const cpu_set_t *allowed, unsigned i)
{
    int count = CPU_COUNT(allowed);
    if (count <= 0)
        return -1;
    int want = (int)(i % (unsigned)count);
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, allowed) && want-- == 0)
            return cpu;
    }
    return -1;
}

/* Every signal but those the kernel sends to the thread that faulted. */
static void async_signals(sigset_t *set)
{
    sigfillset(set);
    static const int sync_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS};
    for (size_t i = 0; i < sizeof sync_signals / sizeof sync_signals[0]; i++)
        sigdelset(set, sync_signals[i]);
}

static void join_started(struct workers *ws, unsigned started)
{
    for (unsigned i = 0; i < started; i++)
        loop_stop(ws->w[i].loop);
    for (unsigned i = 0; i < started; i++)
        pthread_join(ws->w[i].thread, NULL);
}

static void free_loops(struct workers *ws)
{
    for (unsigned i = 0; i < ws->n; i++)
        loop_free(ws->w[i].loop);
    free(ws->w);
    free(ws);
}

struct workers *workers_start(unsigned n, worker_fn fn, void *arg, unsigned flags, struct err *e)
{
    char why[128];
    if (n == 0) {
        err_set(e, "workers: need at least one worker");
        return NULL;
    }
    struct workers *ws = calloc(1, sizeof *ws);
    if (!ws || !(ws->w = calloc(n, sizeof *ws->w))) {
        free(ws);
        err_set(e, "workers: out of memory");
        return NULL;
    }
    ws->n = n;
    for (unsigned i = 0; i < n; i++) {
        struct worker *w = &ws->w[i];
        w->id = i;
        w->arg = arg;
        w->fn = fn;
        w->cpu = -1;
        if (!(w->loop = loop_new())) {
            err_set(e, "workers: event loop: %s", file_strerror(errno, why, sizeof why));
            free_loops(ws);
            return NULL;
        }
    }

    cpu_set_t allowed;
    int pin = (flags & WORKERS_PIN_CPUS) && sched_getaffinity(0, sizeof allowed, &allowed) == 0;

    sigset_t all, old;
    async_signals(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old); /* inherited by the new threads */
    unsigned started = 0;
    int r = 0;
    for (; started < n; started++) {
        struct worker *w = &ws->w[started];
        pthread_attr_t attr;
        if ((r = pthread_attr_init(&attr)) != 0)
            break;
        int cpu = pin ? pick_cpu(&allowed, started) : -1;
        if (cpu >= 0) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            if (pthread_attr_setaffinity_np(&attr, sizeof one, &one) == 0)
                w->cpu = cpu;
            else
                LOG_WARN("worker %u: cannot pin to CPU %d", started, cpu);
        }
        r = pthread_create(&w->thread, &attr, thread_main, w);
        pthread_attr_destroy(&attr);
        if (r != 0)
            break;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (started < n) {
        join_started(ws, started);
        free_loops(ws);
        err_set(e, "workers: cannot start thread %u: %s", started,
                file_strerror(r, why, sizeof why));
        return NULL;
    }
    return ws;
}

void workers_stop(struct workers *ws)
{
    for (unsigned i = 0; i < ws->n; i++)
        loop_stop(ws->w[i].loop);
}

int workers_join(struct workers *ws)
{
    if (!ws)
        return 0;
    int rc = 0;
    for (unsigned i = 0; i < ws->n; i++) {
        pthread_join(ws->w[i].thread, NULL);
        if (rc == 0)
            rc = ws->w[i].rc;
    }
    free_loops(ws);
    return rc;
}
