/* Leader election on a coordination.k8s.io/v1 Lease, as client-go's
 * leaderelection package does it, so that ferry replicas and client-go
 * controllers read each other's Leases the same way.
 *
 *   struct kube_leader *l = kube_leader_start(client, &opts, &e);
 *   if (kube_leader_is_leader(l)) ...       (any thread, any time)
 *   kube_leader_stop(l);                    (releases the Lease if held)
 *
 * A thread tries every <retry_ms> to acquire or renew the Lease: it takes
 * it when the Lease is missing, has no holder, or its record has not
 * changed for leaseDurationSeconds by *this process's* clock (the holder's
 * renewTime is not compared with our clock, as in client-go: clocks of two
 * nodes need not agree). The leader renews every <retry_ms> and steps down
 * when it could not renew for <renew_deadline_ms>. Writes are updates with
 * the resourceVersion read, so two candidates never both win. On stop the
 * leader releases the Lease (holder "", duration 1 s) so that another
 * replica takes over at its next try instead of waiting out the lease. */
#ifndef FERRY_KUBE_LEADER_H
#define FERRY_KUBE_LEADER_H

#include <stddef.h>

#include "core/err.h"
#include "kube/client.h"

struct kube_leader_opts {
    const char *ns, *name;  /* the Lease */
    const char *identity;   /* holderIdentity written when leading */
    long lease_ms;          /* leaseDurationSeconds (0: 15 s) */
    long renew_deadline_ms; /* (0: 10 s) */
    long retry_ms;          /* (0: 2 s) */
    /* Called from the election thread when leadership is gained (1) or
     * lost (0); may be NULL. */
    void (*changed)(void *arg, int leader);
    void *arg;
};

struct kube_leader;

/* The defaults a replica in a pod takes: the identity is $POD_NAME (the
 * downward API names the replica in `kubectl get lease` and in Events),
 * else host_pid; the Lease's namespace is <flag> when given, else
 * $POD_NAMESPACE, else "default". */
void kube_leader_identity(char *dst, size_t n);
const char *kube_leader_namespace(const char *flag);

/* Strings are copied; <c> must outlive the election. Returns NULL with <e>
 * filled when the thread cannot start. */
struct kube_leader *kube_leader_start(struct kube_client *c, const struct kube_leader_opts *o,
                                      struct err *e);
/* 1 while this process holds the Lease. */
int kube_leader_is_leader(const struct kube_leader *l);
/* Stops the thread (blocks for at most one request), releases the Lease
 * when held, frees. NULL is ignored. */
void kube_leader_stop(struct kube_leader *l);

#endif
