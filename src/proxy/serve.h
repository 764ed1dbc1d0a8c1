/* `ferry echo` from start to stop, and what `ferry ingress serve`
 * (ingress/serve.h) shares with it: the number of workers, the descriptor
 * limit. */
#ifndef FERRY_PROXY_SERVE_H
#define FERRY_PROXY_SERVE_H

#include "core/err.h"
#include "proxy/echo.h"

/* The CPUs this process may run on (the default number of workers). */
unsigned serve_ncpus(void);

/* Lets a worker hold as many connections as the hard limit allows. */
void serve_raise_nofile(void);

/* Serves the echo server until SIGTERM/SIGINT. Returns 0 after a clean
 * stop, 1 when a worker failed (logged), or -1 with <e> filled when it could
 * not start. */
int serve_echo(const struct echo_config *cfg, struct err *e);

#endif
