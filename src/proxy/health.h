/* The health endpoints of `ferry ingress serve --metrics-listen`:
 * GET /healthz answers 200 while the process runs, GET /readyz 200 once
 * <ready> says so and 503 before (Kubernetes probes, load balancers).
 *
 * A plain thread, apart from the proxy's workers: probes are a few requests
 * a second and must answer even when every worker is saturated. One
 * connection at a time, closed after the answer; a client that sends
 * nothing for a second is dropped. */
#ifndef FERRY_PROXY_HEALTH_H
#define FERRY_PROXY_HEALTH_H

#include "core/err.h"

/* Returns 1 when ready. Called from the health thread. */
typedef int (*health_ready_fn)(void *arg);

struct health;

/* Listens on <addr> (net_addr_parse syntax, port 0 picks one) and starts
 * the thread. Returns NULL with <e> filled (bind errors). */
struct health *health_start(const char *addr, health_ready_fn ready, void *arg, struct err *e);
/* "127.0.0.1:10254": the address listened on. */
const char *health_address(const struct health *h);
/* Stops the thread (within 200 ms) and frees. NULL is ignored. */
void health_stop(struct health *h);

#endif
