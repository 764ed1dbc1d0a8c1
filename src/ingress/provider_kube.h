/* The API provider: the controller mode of `ferry ingress serve`.
 *
 *   struct provider_kube *pk = provider_kube_start(client, store, &opts, &e);
 *   provider_kube_ready(pk);     (1 once every type was listed and served)
 *   provider_kube_stop(pk);
 *
 * One thread per type lists and watches (kube_watch, KUBE_WATCH_LIST,
 * never giving up) Ingresses, IngressClasses, Services, EndpointSlices (or,
 * when discovery says the API server does not serve discovery.k8s.io/v1,
 * core v1 Endpoints: clusters before 1.21) and Secrets (in <watch_namespace>, or everywhere;
 * IngressClasses are cluster objects) into the object store (ingress/objstore.h) that the manifests
 * provider feeds too, so both build routes with the same code. A watch that
 * ends for good (the API refused it, the first list failed) is started
 * again with backoff; its list then replaces what the store held of that
 * type. Secrets: every Secret event is seen, but only the Secrets that a
 * served Ingress's spec.tls (or the default certificate) names are kept;
 * one named later is fetched then.
 *
 * Rebuilds: events only mark the store dirty; a rebuild thread builds
 * PROVIDER_KUBE_COALESCE_MS after the first event of a burst, and at most
 * once every PROVIDER_KUBE_MIN_INTERVAL_MS, so a burst of a thousand events
 * costs a few builds, and a lone change is served within tens of
 * milliseconds plus the build. Nothing is published before every type has
 * been listed once (a half-listed cluster would route to nothing); readiness
 * follows that first table. During an API outage the watches retry with
 * backoff and the last table keeps serving.
 *
 * Status and events (only while <leader> says so, when given): the
 * status.loadBalancer.ingress of every served Ingress is set from
 * <publish_addresses> or the <publish_service>'s load balancer status (else
 * its externalIPs, else its clusterIP), with a merge patch of the status
 * subresource, after each build, within a second of gaining leadership and
 * every PROVIDER_KUBE_RESYNC_MS. Ingresses not served (any more: their
 * class changed, or the controller's) that show exactly those addresses
 * are cleared, whichever replica wrote them. With update_status_on_shutdown
 * the leader's stop clears them all when no other replica of its pod's
 * labels runs. Each new
 * warning of the model (an invalid path, a missing Service, ...) becomes a
 * core/v1 Event of type Warning, reason "InvalidIngress", on its Ingress. */
#ifndef FERRY_INGRESS_PROVIDER_KUBE_H
#define FERRY_INGRESS_PROVIDER_KUBE_H

#include "core/err.h"
#include "ingress/objstore.h"
#include "kube/client.h"
#include "kube/leader.h"

#define PROVIDER_KUBE_COALESCE_MS 10
#define PROVIDER_KUBE_MIN_INTERVAL_MS 50
#define PROVIDER_KUBE_RESYNC_MS 10000
#define PROVIDER_KUBE_COMPONENT "ferry-ingress-controller"

struct provider_kube_opts {
    const char *watch_namespace;   /* NULL or "": every namespace */
    const char *publish_service;   /* "NS/NAME", or NULL */
    const char *publish_addresses; /* "ADDR[,ADDR...]" (IPs or host names), or NULL */
    const char *identity;          /* reportingInstance of the Events */
    /* This replica's pod (the downward API's POD_NAME, POD_NAMESPACE; NULL
     * or "": not a pod, namespace "default"), whose labels find the other
     * replicas on shutdown. */
    const char *pod_name, *pod_namespace;
    /* On stop, the leader clears the status it wrote unless other replicas
     * run (a rolling update), as ingress-nginx's --update-status-on-shutdown. */
    int update_status_on_shutdown;
    /* Status and Events are written only while this says we lead; NULL:
     * always (a single replica). Must outlive the provider. */
    const struct kube_leader *leader;
};

struct provider_kube;

/* Starts the threads. <c> and <store> must outlive the provider; strings
 * are copied. Returns NULL with <e> filled. */
struct provider_kube *provider_kube_start(struct kube_client *c, struct objstore *store,
                                          const struct provider_kube_opts *o, struct err *e);
/* 1 once every type was listed and the resulting table published. */
int provider_kube_ready(const struct provider_kube *pk);
/* Stops the threads (within about a second) and frees. NULL is ignored. */
void provider_kube_stop(struct provider_kube *pk);

#endif
