/* Leader election on a Lease. See leader.h. */
#include "kube/leader.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "kube/api.h"

struct kube_leader {
    struct kube_client *c;
    char *ns, *name, *identity;
    long lease_ms, renew_deadline_ms, retry_ms;
    void (*changed)(void *arg, int leader);
    void *arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    volatile sig_atomic_t stop;
    atomic_int leader;
    /* The last Lease record seen (holder and renewTime) and when, by our
     * monotonic clock, it was first seen: a holder is alive while its record
     * keeps changing. */
    char observed[600];
    double observed_at;
};

static struct kube_resource lease_res = {.group = "coordination.k8s.io",
                                         .version = "v1",
                                         .name = "leases",
                                         .singular = "lease",
                                         .kind = "Lease",
                                         .namespaced = 1};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* metav1.MicroTime: RFC 3339 with microseconds, UTC. */
static void micro_now(char *dst, size_t n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(dst, n, "%.20s.%06dZ", base, (int)(ts.tv_nsec / 1000) % 1000000);
}

static int is_reason(const struct err *e, const char *reason)
{
    char want[64];
    snprintf(want, sizeof want, "(%s)", reason);
    return strstr(e->msg, want) != NULL;
}

/* One try, as client-go's tryAcquireOrRenew. Returns 1 when we hold the
 * Lease afterwards, 0 when another holder is alive, -1 on an API error. */
static int try_acquire_or_renew(struct kube_leader *l, struct err *e)
{
    char now[40];
    micro_now(now, sizeof now);
    json_int_t secs = (json_int_t)((l->lease_ms + 999) / 1000);
    json_t *lease = NULL;
    if (kube_get(l->c, &lease_res, l->ns, l->name, NULL, &lease, e) < 0) {
        if (!is_reason(e, "NotFound"))
            return -1;
        json_t *obj = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:I,s:s,s:s,s:i}}", "apiVersion",
                                "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
                                l->name, "namespace", l->ns, "spec", "holderIdentity", l->identity,
                                "leaseDurationSeconds", secs, "acquireTime", now, "renewTime", now,
                                "leaseTransitions", 0);
        int rc = obj ? kube_create(l->c, &lease_res, l->ns, obj, NULL, e) : -1;
        json_decref(obj);
        return rc < 0 ? (is_reason(e, "AlreadyExists") ? 0 : -1) : 1;
    }
    json_t *spec = json_object_get(lease, "spec");
    if (!json_is_object(spec)) {
        spec = json_object();
        json_object_set_new(lease, "spec", spec);
    }
    const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
    const char *renew = json_string_value(json_object_get(spec, "renewTime"));
    char record[sizeof l->observed];
    snprintf(record, sizeof record, "%s|%s", holder ? holder : "", renew ? renew : "");
    double t = mono_s();
    if (strcmp(record, l->observed)) {
        snprintf(l->observed, sizeof l->observed, "%s", record);
        l->observed_at = t;
    }
    long dur = (long)json_integer_value(json_object_get(spec, "leaseDurationSeconds"));
    int mine = holder && !strcmp(holder, l->identity);
    if (holder && *holder && !mine && l->observed_at + (double)dur > t) {
        json_decref(lease);
        return 0;
    }
    json_object_set_new(spec, "holderIdentity", json_string(l->identity));
    json_object_set_new(spec, "leaseDurationSeconds", json_integer(secs));
    json_object_set_new(spec, "renewTime", json_string(now));
    if (!mine) {
        json_object_set_new(spec, "acquireTime", json_string(now));
        json_int_t tr = json_integer_value(json_object_get(spec, "leaseTransitions"));
        json_object_set_new(spec, "leaseTransitions", json_integer(tr + 1));
    }
    int rc = kube_update(l->c, &lease_res, l->ns, l->name, lease, NULL, e);
    json_decref(lease);
    if (rc < 0)
        return is_reason(e, "Conflict") ? 0 : -1;
    snprintf(l->observed, sizeof l->observed, "%s|%s", l->identity, now);
    l->observed_at = t;
    return 1;
}

/* Gives the Lease up so that a standby takes over at its next try. */
static void release(struct kube_leader *l)
{
    struct err e;
    json_t *lease = NULL;
    if (kube_get(l->c, &lease_res, l->ns, l->name, NULL, &lease, &e) < 0) {
        LOG_WARN("leader election: releasing %s/%s: %s", l->ns, l->name, e.msg);
        return;
    }
    json_t *spec = json_object_get(lease, "spec");
    const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
    if (json_is_object(spec) && holder && !strcmp(holder, l->identity)) {
        char now[40];
        micro_now(now, sizeof now);
        json_object_set_new(spec, "holderIdentity", json_string(""));
        json_object_set_new(spec, "leaseDurationSeconds", json_integer(1));
        json_object_set_new(spec, "renewTime", json_string(now));
        if (kube_update(l->c, &lease_res, l->ns, l->name, lease, NULL, &e) < 0)
            LOG_WARN("leader election: releasing %s/%s: %s", l->ns, l->name, e.msg);
        else
            LOG_INFO("leader election: released lease %s/%s", l->ns, l->name);
    }
    json_decref(lease);
}

static void set_leader(struct kube_leader *l, int v)
{
    atomic_store(&l->leader, v);
    LOG_INFO("leader election: %s lease %s/%s as %s", v ? "acquired" : "lost", l->ns, l->name,
             l->identity);
    if (l->changed)
        l->changed(l->arg, v);
}

/* Sleeps <ms> unless stopped. Returns 1 when stopped. */
static int wait_ms(struct kube_leader *l, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&l->mu);
    while (!l->stop && pthread_cond_timedwait(&l->cv, &l->mu, &ts) == 0)
        ;
    int stop = l->stop;
    pthread_mutex_unlock(&l->mu);
    return stop;
}

static void *run(void *arg)
{
    struct kube_leader *l = arg;
    double last_renew = 0;
    do {
        struct err e;
        e.msg[0] = '\0';
        int r = try_acquire_or_renew(l, &e);
        if (r < 0)
            LOG_WARN("leader election: lease %s/%s: %s", l->ns, l->name, e.msg);
        int leading = atomic_load(&l->leader);
        if (r == 1) {
            last_renew = mono_s();
            if (!leading)
                set_leader(l, 1);
        } else if (leading && (r == 0 || mono_s() - last_renew >= l->renew_deadline_ms / 1e3)) {
            set_leader(l, 0);
        }
    } while (!wait_ms(l, l->retry_ms));
    if (atomic_load(&l->leader)) {
        release(l);
        set_leader(l, 0);
    }
    return NULL;
}

void kube_leader_identity(char *dst, size_t n)
{
    const char *pod = getenv("POD_NAME");
    if (pod && *pod) {
        snprintf(dst, n, "%s", pod);
        return;
    }
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(dst, n, "%s_%ld", host, (long)getpid());
}

const char *kube_leader_namespace(const char *flag)
{
    if (flag && *flag)
        return flag;
    const char *ns = getenv("POD_NAMESPACE");
    return ns && *ns ? ns : "default";
}

static void leader_free(struct kube_leader *l)
{
    free(l->ns);
    free(l->name);
    free(l->identity);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

struct kube_leader *kube_leader_start(struct kube_client *c, const struct kube_leader_opts *o,
                                      struct err *e)
{
    struct kube_leader *l = calloc(1, sizeof *l);
    if (!l) {
        err_set(e, "out of memory");
        return NULL;
    }
    l->c = c;
    l->ns = strdup(o->ns);
    l->name = strdup(o->name);
    l->identity = strdup(o->identity);
    l->lease_ms = o->lease_ms > 0 ? o->lease_ms : 15000;
    l->renew_deadline_ms = o->renew_deadline_ms > 0 ? o->renew_deadline_ms : 10000;
    l->retry_ms = o->retry_ms > 0 ? o->retry_ms : 2000;
    l->changed = o->changed;
    l->arg = o->arg;
    pthread_mutex_init(&l->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (!l->ns || !l->name || !l->identity) {
        err_set(e, "out of memory");
        goto fail;
    }
    if (pthread_create(&l->thread, NULL, run, l) != 0) {
        err_set(e, "leader election: cannot start a thread");
        goto fail;
    }
    return l;
fail:
    leader_free(l);
    return NULL;
}

int kube_leader_is_leader(const struct kube_leader *l)
{
    return atomic_load(&l->leader);
}

void kube_leader_stop(struct kube_leader *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    leader_free(l);
}
