/* Signals as loop events, through signalfd.
 *
 * sigwatch_start blocks the signals in the calling thread and reads them from
 * a signalfd on the loop, so the callback runs as an ordinary callback (it
 * may do anything, unlike a signal handler). Call it on the main thread
 * before starting other threads, or start those with workers_start (which
 * blocks every asynchronous signal in its threads): a signal sent to the
 * process goes to any thread that does not block it. */
#ifndef FERRY_NET_SIGWATCH_H
#define FERRY_NET_SIGWATCH_H

#include <signal.h>

#include "net/loop.h"

struct sigwatch;
typedef void (*sigwatch_cb)(struct loop *loop, struct sigwatch *sw, int signo);

struct sigwatch {
    struct io io;
    sigwatch_cb cb;
    sigset_t set; /* watched */
    sigset_t old; /* the thread's mask before */
};

/* Watches the <n> signals of <signals> (e.g. SIGTERM, SIGINT, SIGHUP).
 * Returns 0 or -errno. */
int sigwatch_start(struct loop *loop, struct sigwatch *sw, const int *signals, unsigned n,
                   sigwatch_cb cb);
/* Stops watching and restores the thread's signal mask: a watched signal
 * that arrives afterwards has its default effect again. */
void sigwatch_stop(struct loop *loop, struct sigwatch *sw);

#endif
