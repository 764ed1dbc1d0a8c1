/* `ferry ingress serve` and `ferry echo` from start to stop: the proxy or
 * the echo server on its workers, the main thread watching signals (and the
 * manifests), until SIGTERM or SIGINT. */
#ifndef FERRY_PROXY_SERVE_H
#define FERRY_PROXY_SERVE_H

#include <stdint.h>

#include "core/err.h"
#include "ingress/model.h"
#include "proxy/echo.h"
#include "proxy/proxy.h"

/* The CPUs this process may run on (the default number of workers). */
unsigned serve_ncpus(void);

/* Serves <cfg> with routes from the manifests at <path>, watched for
 * changes; SIGHUP re-reads them. The first SIGTERM/SIGINT stops accepting
 * and lets requests in flight finish within <grace_ms>; a second one, or
 * the end of the grace period, stops at once. Returns 0 after a clean stop,
 * 1 when a worker failed (logged), or -1 with <e> filled when it could not
 * start. */
int serve_ingress(const struct proxy_config *cfg, const char *path, const struct ingress_opts *opts,
                  uint64_t grace_ms, struct err *e);

/* Serves the echo server until SIGTERM/SIGINT. Same return values. */
int serve_echo(const struct echo_config *cfg, struct err *e);

#endif
