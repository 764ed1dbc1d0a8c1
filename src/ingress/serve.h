/* `ferry ingress serve` from start to stop: the proxy on its workers, its
 * routes from the manifests or the API, the main thread watching signals
 * (and the manifests), until SIGTERM or SIGINT. */
#ifndef FERRY_INGRESS_SERVE_H
#define FERRY_INGRESS_SERVE_H

#include <stdint.h>

#include "core/err.h"
#include "ingress/model.h"
#include "ingress/provider_kube.h"
#include "kube/leader.h"
#include "proxy/proxy.h"

/* Where routes come from, and what runs beside the proxy. */
struct serve_ingress_src {
    const char *manifests; /* a file or directory, watched; SIGHUP re-reads it */
    /* Otherwise the API (controller mode): the client, the provider's
     * options and the election of the status writer (NULL: none, this
     * process writes status). The client must outlive serve_ingress. */
    struct kube_client *kube;
    const struct provider_kube_opts *kube_opts;
    const struct kube_leader_opts *election;
    const char *default_backend; /* "NS/NAME" or NULL */
    const char *health_listen;   /* /healthz and /readyz, or NULL */
};

/* Serves <cfg> with routes from <src>. The first SIGTERM/SIGINT stops accepting
 * and lets requests in flight finish within <grace_ms>; a second one, or
 * the end of the grace period, stops at once. Returns 0 after a clean stop,
 * 1 when a worker failed (logged), or -1 with <e> filled when it could not
 * start. */
int serve_ingress(const struct proxy_config *cfg, const struct serve_ingress_src *src,
                  const struct ingress_opts *opts, uint64_t grace_ms, struct err *e);

#endif
