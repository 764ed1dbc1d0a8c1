/* The API provider. See provider_kube.h. */
#include "ingress/provider_kube.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/text.h"
#include "kube/api.h"
#include "kube/discovery.h"

enum { T_INGRESS, T_CLASS, T_SERVICE, T_SLICE, T_SECRET, T_COUNT };

static struct kube_resource resources[T_COUNT] = {
    {.group = "networking.k8s.io",
     .version = "v1",
     .name = "ingresses",
     .singular = "ingress",
     .kind = "Ingress",
     .namespaced = 1},
    {.group = "networking.k8s.io",
     .version = "v1",
     .name = "ingressclasses",
     .singular = "ingressclass",
     .kind = "IngressClass"},
    {.group = "",
     .version = "v1",
     .name = "services",
     .singular = "service",
     .kind = "Service",
     .namespaced = 1},
    {.group = "discovery.k8s.io",
     .version = "v1",
     .name = "endpointslices",
     .singular = "endpointslice",
     .kind = "EndpointSlice",
     .namespaced = 1},
    {.group = "",
     .version = "v1",
     .name = "secrets",
     .singular = "secret",
     .kind = "Secret",
     .namespaced = 1},
};

/* What T_SLICE watches on a cluster that does not serve EndpointSlices
 * (before Kubernetes 1.21): the Service's Endpoints object. */
static struct kube_resource endpoints_res = {.group = "",
                                             .version = "v1",
                                             .name = "endpoints",
                                             .singular = "endpoints",
                                             .kind = "Endpoints",
                                             .namespaced = 1};

static struct kube_resource pod_res = {.group = "",
                                       .version = "v1",
                                       .name = "pods",
                                       .singular = "pod",
                                       .kind = "Pod",
                                       .namespaced = 1};

static struct kube_resource event_res = {.group = "",
                                         .version = "v1",
                                         .name = "events",
                                         .singular = "event",
                                         .kind = "Event",
                                         .namespaced = 1};

struct provider_kube;

struct watcher {
    struct provider_kube *pk;
    int type;
    const struct kube_resource *res; /* resources[type], or endpoints_res */
    pthread_t thread;
    int started;
};

struct provider_kube {
    struct kube_client *c;
    struct objstore *store;
    char *ns, *publish_addresses, *identity, *pod_ns, *pod_name;
    char *publish_service; /* "NS/NAME" (NS "default" when the flag had none) */
    size_t publish_ns_len; /* the NS part's length */
    const struct kube_leader *leader;
    int update_status_on_shutdown;
    struct watcher w[T_COUNT];
    atomic_int stop; /* the watches' cancel flag too */

    pthread_mutex_t mu; /* everything below */
    pthread_cond_t cv;  /* the rebuild thread */
    pthread_cond_t status_cv;
    int status_due; /* the --publish-service changed: a status pass is owed */
    int synced[T_COUNT];
    int dirty;
    double first_dirty, last_build;
    atomic_int ready;
    unsigned builds;  /* tables published; the status thread follows it */
    json_t *served;   /* ["ns/name", ...] of the last model (ours, real Ingresses) */
    json_t *warnings; /* [[ns, name, msg], ...] of the last model */
    json_t *refs;     /* "ns/name" -> true: Secrets the last model names */
    json_t *secrets;  /* "ns/name" -> true: Secrets that exist (names only) */
    json_t *reported; /* "ns/name/msg" -> true: warnings already sent as Events */
    json_t *lb;       /* "ns/name" -> status.loadBalancer.ingress of every Ingress watched
                       * that shows one, whoever wrote it */

    pthread_t rebuild_thread, status_thread;
    int rebuild_started, status_started;
};

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits on <cv> until <until> (monotonic seconds); the caller holds pk->mu. */
static void wait_until(struct provider_kube *pk, pthread_cond_t *cv, double until)
{
    struct timespec ts;
    ts.tv_sec = (time_t)until;
    ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(cv, &pk->mu, &ts);
}

static void mark_dirty(struct provider_kube *pk)
{
    pthread_mutex_lock(&pk->mu);
    if (!pk->dirty) {
        pk->dirty = 1;
        pk->first_dirty = mono_s();
    }
    pthread_cond_signal(&pk->cv);
    pthread_mutex_unlock(&pk->mu);
}

static const char *meta_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

static void ns_name(const json_t *obj, char *dst, size_t n)
{
    const char *ns = meta_str(obj, "namespace"), *name = meta_str(obj, "name");
    snprintf(dst, n, "%s/%s", ns ? ns : "", name ? name : "");
}

/* ---- watches -------------------------------------------------------------- */

/* Deletes every member of <obj> whose name is not in <keep> (NULL-ended). */
static void keep_only(json_t *obj, const char *const *keep)
{
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v)
    {
        const char *const *p = keep;
        while (*p && strcmp(*p, k))
            p++;
        if (!*p)
            json_object_del(obj, k);
    }
}

/* Drops what routing never reads before an object is kept: managedFields
 * and kubectl's last-applied-configuration annotation (a copy of the whole
 * object) are most of an object's size in a real cluster, and every route
 * carries its Ingress's annotations. Services, EndpointSlices and
 * Endpoints, the bulk of a cluster's objects, keep only what the model
 * reads (model.c read_fields); Ingresses keep their bookkeeping (uid and
 * resourceVersion for Events, creationTimestamp for the order of default
 * backends, status). <kind> is the watched kind. The object is the
 * watch's and not read again after the event (the watch took its
 * resourceVersion first): trimmed in place, before the store copies it. */
static void trim(json_t *obj, const char *kind)
{
    static const char *const name_ns[] = {"name", "namespace", NULL};
    static const char *const svc_top[] = {"kind", "apiVersion", "metadata", "spec", NULL};
    static const char *const svc_spec[] = {"type", "externalName", "ports", NULL};
    static const char *const slice_top[] = {"kind",  "apiVersion", "metadata", "addressType",
                                            "ports", "endpoints",  NULL};
    static const char *const slice_meta[] = {"name", "namespace", "labels", NULL};
    static const char *const slice_labels[] = {INGRESS_LABEL_SERVICE_NAME, NULL};
    static const char *const slice_ep[] = {"addresses", "conditions", NULL};
    static const char *const eps_top[] = {"kind", "apiVersion", "metadata", "subsets", NULL};
    json_t *meta = json_object_get(obj, "metadata");
    json_object_del(meta, "managedFields");
    json_object_del(meta, "ownerReferences");
    json_object_del(json_object_get(meta, "annotations"),
                    "kubectl.kubernetes.io/last-applied-configuration");
    size_t i;
    json_t *ep;
    if (!strcmp(kind, "Service")) {
        keep_only(obj, svc_top);
        keep_only(meta, name_ns);
        keep_only(json_object_get(obj, "spec"), svc_spec);
    } else if (!strcmp(kind, "EndpointSlice")) {
        keep_only(obj, slice_top);
        keep_only(meta, slice_meta);
        keep_only(json_object_get(meta, "labels"), slice_labels);
        json_array_foreach(json_object_get(obj, "endpoints"), i, ep)
        {
            keep_only(ep, slice_ep);
        }
    } else if (!strcmp(kind, "Endpoints")) {
        keep_only(obj, eps_top);
        keep_only(meta, name_ns);
        json_t *sub;
        json_array_foreach(json_object_get(obj, "subsets"), i, sub)
        {
            size_t j;
            json_array_foreach(json_object_get(sub, "addresses"), j, ep)
            {
                json_object_del(ep, "targetRef");
            }
            json_array_foreach(json_object_get(sub, "notReadyAddresses"), j, ep)
            {
                json_object_del(ep, "targetRef");
            }
        }
    }
}

/* A Secret event: its name is remembered, its data only when a served
 * Ingress names it (the rest of the cluster's Secrets never stay in
 * memory). Returns 1 when the store changed. */
static int secret_event(struct provider_kube *pk, const char *type, json_t *obj)
{
    char key[512];
    ns_name(obj, key, sizeof key);
    pthread_mutex_lock(&pk->mu);
    int deleted = !strcmp(type, "DELETED");
    if (deleted)
        json_object_del(pk->secrets, key);
    else
        json_object_set_new(pk->secrets, key, json_true());
    int wanted = json_object_get(pk->refs, key) != NULL;
    pthread_mutex_unlock(&pk->mu);
    trim(obj, "Secret");
    if (deleted || !wanted) {
        json_t *had =
            objstore_get(pk->store, "Secret", meta_str(obj, "namespace"), meta_str(obj, "name"));
        objstore_release(pk->store, had);
        objstore_delete(pk->store, "Secret", obj);
        return had != NULL;
    }
    return objstore_put(pk->store, obj) == 0;
}

/* Whether an update leaves routing as it was. An Ingress: only its status
 * or bookkeeping changed (our own status writes, another controller's);
 * such updates are stored (status is compared with them) but rebuild
 * nothing. Anything else is compared whole, after trim: a Service or an
 * EndpointSlice whose resourceVersion, labels or topology moved. */
static int same_routing(struct provider_kube *pk, const char *kind, const json_t *obj)
{
    json_t *old = objstore_get(pk->store, kind, meta_str(obj, "namespace"), meta_str(obj, "name"));
    if (!old)
        return 0;
    int same;
    if (!strcmp(kind, "Ingress")) {
        const json_t *om = json_object_get(old, "metadata"), *nm = json_object_get(obj, "metadata");
        const json_t *oa = json_object_get(om, "annotations"),
                     *na = json_object_get(nm, "annotations");
        same = json_equal(json_object_get(old, "spec"), json_object_get(obj, "spec")) &&
               (oa == na || (oa && na && json_equal(oa, na)));
    } else {
        same = json_equal(old, obj);
    }
    objstore_release(pk->store, old);
    return same;
}

/* Remembers the status.loadBalancer.ingress an Ingress event shows, so that
 * status passes find the Ingresses showing our addresses without being
 * ours (any more): a previous leader's writes included. */
static void note_lb(struct provider_kube *pk, const char *type, const json_t *obj)
{
    char key[512];
    ns_name(obj, key, sizeof key);
    json_t *lb =
        json_object_get(json_object_get(json_object_get(obj, "status"), "loadBalancer"), "ingress");
    pthread_mutex_lock(&pk->mu);
    if (strcmp(type, "DELETED") && json_array_size(lb))
        json_object_set_new(pk->lb, key, json_deep_copy(lb));
    else
        json_object_del(pk->lb, key);
    pthread_mutex_unlock(&pk->mu);
}

/* A change of the --publish-service owes the Ingresses a status pass,
 * whether or not routing changed (its addresses are not routing). */
static void note_publish_service(struct provider_kube *pk, const json_t *obj)
{
    if (!pk->publish_service)
        return;
    char key[512];
    ns_name(obj, key, sizeof key);
    if (strcmp(key, pk->publish_service))
        return;
    pthread_mutex_lock(&pk->mu);
    pk->status_due = 1;
    pthread_cond_signal(&pk->status_cv);
    pthread_mutex_unlock(&pk->mu);
}

static int on_event(void *arg, const char *type, json_t *obj)
{
    struct watcher *w = arg;
    struct provider_kube *pk = w->pk;
    const char *kind = w->res->kind;
    int changed = 0;
    if (!strcmp(type, "SYNCED")) {
        size_t gone = objstore_sweep(pk->store, kind);
        pthread_mutex_lock(&pk->mu);
        pk->synced[w->type] = 1;
        pthread_mutex_unlock(&pk->mu);
        LOG_INFO("kube: %s listed%s", w->res->name, gone ? " (some were deleted)" : "");
        changed = 1;
    } else if (!obj) {
        return 0; /* RESYNC: the differences follow as events */
    } else if (w->type == T_SECRET) {
        changed = secret_event(pk, type, obj);
    } else if (!strcmp(type, "DELETED") || !strcmp(type, "ADDED") || !strcmp(type, "MODIFIED")) {
        if (w->type == T_INGRESS)
            note_lb(pk, type, obj);
        if (w->type == T_SERVICE)
            note_publish_service(pk, obj);
        if (!strcmp(type, "DELETED")) {
            objstore_delete(pk->store, kind, obj);
            changed = 1;
        } else {
            if (!json_object_get(obj, "kind"))
                json_object_set_new(obj, "kind", json_string(kind));
            trim(obj, kind);
            int same = !strcmp(type, "MODIFIED") && same_routing(pk, kind, obj);
            changed = objstore_put(pk->store, obj) == 0 && !same;
        }
    }
    if (changed)
        mark_dirty(pk);
    return 0;
}

static void nap(struct provider_kube *pk, long ms)
{
    for (; ms > 0 && !atomic_load(&pk->stop); ms -= 50) {
        struct timespec ts = {0, (ms > 50 ? 50 : ms) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* EndpointSlices, or Endpoints where the API server does not serve
 * discovery.k8s.io/v1 (asked once, when discovery first answers). NULL
 * when stopped first. */
static const struct kube_resource *endpoints_source(struct provider_kube *pk)
{
    long backoff = 500;
    while (!atomic_load(&pk->stop)) {
        struct err e;
        const struct kube_discovery *d = kube_discover(pk->c, &e);
        if (d) {
            if (kube_resolve(d, "endpointslices.v1.discovery.k8s.io", &e))
                return &resources[T_SLICE];
            LOG_INFO("kube: the API server does not serve discovery.k8s.io/v1 EndpointSlices; "
                     "watching Endpoints");
            return &endpoints_res;
        }
        LOG_WARN("kube: discovery: %s; trying again in %ld ms", e.msg, backoff);
        nap(pk, backoff);
        backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
    }
    return NULL;
}

static void *watch_main(void *arg)
{
    struct watcher *w = arg;
    struct provider_kube *pk = w->pk;
    if (w->type == T_SLICE && !(w->res = endpoints_source(pk)))
        return NULL;
    const struct kube_resource *r = w->res;
    long backoff = 500;
    while (!atomic_load(&pk->stop)) {
        /* What this list does not bring back was deleted while unwatched. */
        objstore_mark(pk->store, r->kind);
        struct kube_watch_opts o = {
            .start = KUBE_WATCH_LIST, .max_failures = -1, .cancel = &pk->stop, .synced_event = 1};
        struct err e;
        e.msg[0] = '\0';
        double t0 = mono_s();
        int rc = kube_watch(pk->c, r, pk->ns, &o, on_event, w, NULL, &e);
        if (atomic_load(&pk->stop))
            break;
        if (mono_s() - t0 > 60) /* it worked for a while: not a failing loop */
            backoff = 500;
        LOG_WARN("kube: watch of %s %s%s; listing again in %ld ms", r->name,
                 rc < 0 ? "failed: " : "ended", rc < 0 ? e.msg : "", backoff);
        nap(pk, backoff);
        backoff = backoff * 2 > 30000 ? 30000 : backoff * 2;
    }
    return NULL;
}

/* ---- rebuilds ------------------------------------------------------------- */

/* The model hook: what the status thread and the Secret filter need. */
static void on_model(void *arg, const struct ingress_model *m)
{
    struct provider_kube *pk = arg;
    json_t *served = json_array(), *warnings = json_array(), *refs = json_object();
    char key[512];
    for (size_t i = 0; i < m->ningresses; i++) {
        if (strcmp(m->ingresses[i].name, OBJSTORE_DEFAULT_BACKEND_INGRESS)) {
            snprintf(key, sizeof key, "%s/%s", m->ingresses[i].ns, m->ingresses[i].name);
            json_array_append_new(served, json_string(key));
        }
    }
    for (size_t i = 0; i < m->nwarnings; i++)
        json_array_append_new(warnings, json_pack("[sss]", m->warnings[i].ns, m->warnings[i].name,
                                                  m->warnings[i].msg));
    for (size_t i = 0; i < m->ntls; i++) {
        snprintf(key, sizeof key, "%s/%s", m->tls[i].secret_ns, m->tls[i].secret_name);
        json_object_set_new(refs, key, json_true());
    }
    if (m->default_tls.secret_name) {
        snprintf(key, sizeof key, "%s/%s", m->default_tls.secret_ns, m->default_tls.secret_name);
        json_object_set_new(refs, key, json_true());
    }
    pthread_mutex_lock(&pk->mu);
    json_decref(pk->served);
    json_decref(pk->warnings);
    pk->served = served;
    pk->warnings = warnings;
    json_decref(pk->refs);
    pk->refs = refs;
    pthread_mutex_unlock(&pk->mu);
}

/* After a build: fetch the Secrets that became referenced (their events
 * went by while nobody needed them), drop those no longer referenced.
 * Returns 1 when the store changed. */
static int follow_secret_refs(struct provider_kube *pk)
{
    json_t *fetch = json_array(), *drop = json_array();
    pthread_mutex_lock(&pk->mu);
    const char *k;
    json_t *v;
    json_object_foreach(pk->refs, k, v)
    {
        if (json_object_get(pk->secrets, k))
            json_array_append_new(fetch, json_string(k));
    }
    json_object_foreach(pk->secrets, k, v)
    {
        if (!json_object_get(pk->refs, k))
            json_array_append_new(drop, json_string(k));
    }
    pthread_mutex_unlock(&pk->mu);
    int changed = 0;
    size_t i;
    json_t *s;
    json_array_foreach(fetch, i, s)
    {
        char ns[256];
        const char *key = json_string_value(s), *slash = strchr(key, '/');
        snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
        json_t *have = objstore_get(pk->store, "Secret", ns, slash + 1);
        if (have) {
            objstore_release(pk->store, have);
            continue;
        }
        struct err e;
        json_t *obj = NULL;
        if (kube_get(pk->c, &resources[T_SECRET], ns, slash + 1, NULL, &obj, &e) < 0) {
            LOG_WARN("kube: secret %s: %s", key, e.msg);
            continue;
        }
        json_object_set_new(obj, "kind", json_string("Secret"));
        json_object_set_new(obj, "apiVersion", json_string("v1"));
        changed |= objstore_put(pk->store, obj) == 0;
        json_decref(obj);
    }
    json_array_foreach(drop, i, s)
    {
        char ns[256];
        const char *key = json_string_value(s), *slash = strchr(key, '/');
        snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
        json_t *have = objstore_get(pk->store, "Secret", ns, slash + 1);
        if (have) {
            objstore_delete(pk->store, "Secret", have);
            objstore_release(pk->store, have);
            changed = 1;
        }
    }
    json_decref(fetch);
    json_decref(drop);
    return changed;
}

static int all_synced(const struct provider_kube *pk)
{
    for (int t = 0; t < T_COUNT; t++)
        if (!pk->synced[t])
            return 0;
    return 1;
}

static void *rebuild_main(void *arg)
{
    struct provider_kube *pk = arg;
    pthread_mutex_lock(&pk->mu);
    while (!atomic_load(&pk->stop)) {
        if (!pk->dirty || !all_synced(pk)) {
            wait_until(pk, &pk->cv, mono_s() + 0.5);
            continue;
        }
        double now = mono_s();
        double due = pk->first_dirty + PROVIDER_KUBE_COALESCE_MS / 1e3;
        if (due < pk->last_build + PROVIDER_KUBE_MIN_INTERVAL_MS / 1e3)
            due = pk->last_build + PROVIDER_KUBE_MIN_INTERVAL_MS / 1e3;
        if (now < due) {
            wait_until(pk, &pk->cv, due);
            continue;
        }
        pk->dirty = 0;
        pthread_mutex_unlock(&pk->mu);
        struct err e;
        int rc = objstore_rebuild(pk->store, &e);
        if (rc < 0)
            LOG_ERROR("kube: %s; still serving the previous configuration", e.msg);
        int again = follow_secret_refs(pk);
        /* A build allocates and frees tens of MiB at 10,000 Ingresses (the
         * snapshot, the model); give the freed pages back rather than keep
         * the peak resident between changes. After the publish: off the
         * path of the change being served. */
        malloc_trim(0);
        pthread_mutex_lock(&pk->mu);
        pk->last_build = mono_s();
        if (again && !pk->dirty) {
            pk->dirty = 1;
            pk->first_dirty = pk->last_build;
        }
        if (rc > 0) {
            if (!atomic_load(&pk->ready))
                LOG_INFO("kube: first full sync served; ready");
            atomic_store(&pk->ready, 1);
            pk->builds++;
            pthread_cond_signal(&pk->status_cv);
        }
    }
    pthread_mutex_unlock(&pk->mu);
    return NULL;
}

/* ---- status and events ---------------------------------------------------- */

static int cmp_lb(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
    const char *xi = json_string_value(json_object_get(x, "ip"));
    const char *yi = json_string_value(json_object_get(y, "ip"));
    const char *xh = json_string_value(json_object_get(x, "hostname"));
    const char *yh = json_string_value(json_object_get(y, "hostname"));
    int c = strcmp(xi ? xi : "", yi ? yi : "");
    return c ? c : strcmp(xh ? xh : "", yh ? yh : "");
}

static json_t *lb_entry(const char *addr)
{
    unsigned char buf[16];
    int ip = inet_pton(AF_INET, addr, buf) == 1 || inet_pton(AF_INET6, addr, buf) == 1;
    return json_pack("{s:s}", ip ? "ip" : "hostname", addr);
}

/* status.loadBalancer.ingress to write, sorted as ingress-nginx sorts it,
 * or NULL when there is nothing to publish (no source configured, or the
 * publish Service is unreadable). */
static json_t *wanted_status(struct provider_kube *pk)
{
    json_t *out = json_array();
    if (pk->publish_addresses) {
        char *list = strdup(pk->publish_addresses), *save = NULL;
        for (char *a = list ? strtok_r(list, ",", &save) : NULL; a; a = strtok_r(NULL, ",", &save))
            if (*a)
                json_array_append_new(out, lb_entry(a));
        free(list);
    } else if (pk->publish_service) {
        char ns[256];
        snprintf(ns, sizeof ns, "%.*s", (int)pk->publish_ns_len, pk->publish_service);
        struct err e;
        json_t *svc = NULL;
        if (kube_get(pk->c, &resources[T_SERVICE], ns, pk->publish_service + pk->publish_ns_len + 1,
                     NULL, &svc, &e) < 0) {
            LOG_WARN("kube: publish service %s: %s", pk->publish_service, e.msg);
            json_decref(out);
            return NULL;
        }
        json_t *spec = json_object_get(svc, "spec");
        json_t *lb = json_object_get(
            json_object_get(json_object_get(svc, "status"), "loadBalancer"), "ingress");
        size_t i;
        json_t *v;
        json_array_foreach(lb, i, v)
        {
            json_t *ent = json_object();
            json_t *ipv = json_object_get(v, "ip"), *hv = json_object_get(v, "hostname");
            if (json_is_string(ipv))
                json_object_set(ent, "ip", ipv);
            if (json_is_string(hv))
                json_object_set(ent, "hostname", hv);
            json_array_append_new(out, ent);
        }
        if (!json_array_size(out)) {
            json_array_foreach(json_object_get(spec, "externalIPs"), i, v) if (json_is_string(v))
                json_array_append_new(out, lb_entry(json_string_value(v)));
        }
        const char *cip = json_string_value(json_object_get(spec, "clusterIP"));
        if (!json_array_size(out) && cip && *cip && strcmp(cip, "None"))
            json_array_append_new(out, lb_entry(cip));
        json_decref(svc);
    } else {
        json_decref(out);
        return NULL;
    }
    size_t n = json_array_size(out);
    json_t **items = calloc(n ? n : 1, sizeof *items);
    json_t *sorted = json_array();
    if (!items || !sorted) { /* out of memory: better no write than a wrong one */
        free(items);
        json_decref(sorted);
        json_decref(out);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(out, i);
    qsort(items, n, sizeof *items, cmp_lb);
    for (size_t i = 0; i < n; i++)
        json_array_append(sorted, items[i]);
    free(items);
    json_decref(out);
    return sorted;
}

/* Sets status.loadBalancer.ingress of Ingress <key> ("ns/name") to <want>,
 * unless it is that already. With <clear>: empties it, but only when it
 * shows exactly <want> (what we wrote on an Ingress that is no longer ours;
 * another controller's addresses are left alone). */
static void write_status(struct provider_kube *pk, const char *key, const json_t *want, int clear)
{
    char ns[256];
    const char *slash = strchr(key, '/');
    snprintf(ns, sizeof ns, "%.*s", (int)(slash - key), key);
    json_t *ing = objstore_get(pk->store, "Ingress", ns, slash + 1);
    if (!ing)
        return;
    const json_t *have =
        json_object_get(json_object_get(json_object_get(ing, "status"), "loadBalancer"), "ingress");
    int same = have ? json_equal(have, want) : json_array_size(want) == 0;
    objstore_release(pk->store, ing);
    if (clear ? !same || !json_array_size(want) : same)
        return;
    json_t *patch = clear ? json_pack("{s:{s:{s:n}}}", "status", "loadBalancer", "ingress")
                          : json_pack("{s:{s:{s:O}}}", "status", "loadBalancer", "ingress", want);
    char *body = patch ? json_dumps(patch, JSON_COMPACT) : NULL;
    json_decref(patch);
    struct err e;
    if (!body || kube_patch_sub(pk->c, &resources[T_INGRESS], ns, slash + 1, "status",
                                KUBE_PATCH_MERGE, body, strlen(body), NULL, 0, NULL, &e) < 0)
        LOG_WARN("kube: status of ingress %s: %s", key, body ? e.msg : "out of memory");
    else
        LOG_INFO("kube: status of ingress %s: %s", key, body);
    free(body);
}

static void send_event(struct provider_kube *pk, const char *ns, const char *name, const char *msg)
{
    json_t *ing = objstore_get(pk->store, "Ingress", ns, name);
    const char *uid = meta_str(ing, "uid"), *rv = meta_str(ing, "resourceVersion");
    char now[40], gen[300];
    text_rfc3339(time(NULL), now, sizeof now);
    snprintf(gen, sizeof gen, "%s.", name);
    json_t *ev = json_pack(
        "{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s?,s:s?},s:s,s:s,s:s,s:{s:s},s:s,s:s,s:i,"
        "s:s,s:s}",
        "apiVersion", "v1", "kind", "Event", "metadata", "generateName", gen, "namespace", ns,
        "involvedObject", "apiVersion", "networking.k8s.io/v1", "kind", "Ingress", "namespace", ns,
        "name", name, "uid", uid, "resourceVersion", rv, "reason", "InvalidIngress", "message", msg,
        "type", "Warning", "source", "component", PROVIDER_KUBE_COMPONENT, "firstTimestamp", now,
        "lastTimestamp", now, "count", 1, "reportingComponent", PROVIDER_KUBE_COMPONENT,
        "reportingInstance", pk->identity);
    objstore_release(pk->store, ing);
    struct err e;
    if (!ev || kube_create(pk->c, &event_res, ns, ev, NULL, &e) < 0)
        LOG_WARN("kube: event for ingress %s/%s: %s", ns, name, ev ? e.msg : "out of memory");
    json_decref(ev);
}

/* Events for the warnings not reported yet; a warning that goes away and
 * comes back is reported again. */
static void send_events(struct provider_kube *pk, json_t *warnings)
{
    json_t *now = json_object();
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w)
    {
        const char *ns = json_string_value(json_array_get(w, 0));
        const char *name = json_string_value(json_array_get(w, 1));
        const char *msg = json_string_value(json_array_get(w, 2));
        if (!strcmp(name, OBJSTORE_DEFAULT_BACKEND_INGRESS))
            continue;
        char key[1024];
        snprintf(key, sizeof key, "%s/%s/%s", ns, name, msg);
        if (!json_object_get(pk->reported, key))
            send_event(pk, ns, name, msg);
        json_object_set_new(now, key, json_true());
    }
    json_decref(pk->reported);
    pk->reported = now;
}

/* "ns/name" of the Ingresses that show exactly <want> and are not in
 * <except> (may be NULL). */
static json_t *showing(struct provider_kube *pk, const json_t *want, const json_t *except)
{
    json_t *keys = json_array();
    const char *key;
    json_t *v;
    pthread_mutex_lock(&pk->mu);
    json_object_foreach(pk->lb, key, v)
    {
        if (json_equal(v, want) && !json_object_get(except, key))
            json_array_append_new(keys, json_string(key));
    }
    pthread_mutex_unlock(&pk->mu);
    return keys;
}

static void clear_all(struct provider_kube *pk, const json_t *keys, const json_t *want)
{
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        write_status(pk, json_string_value(k), want, 1);
    }
}

/* Writes the status of the served Ingresses and clears it from the others
 * that show our addresses: served earlier by us or by a previous leader
 * (their class changed, or the controller's). */
static void status_pass(struct provider_kube *pk, const json_t *served, const json_t *want)
{
    json_t *mine = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(served, i, s)
    {
        write_status(pk, json_string_value(s), want, 0);
        json_object_set_new(mine, json_string_value(s), json_true());
    }
    json_t *stale = showing(pk, want, mine);
    clear_all(pk, stale, want);
    json_decref(stale);
    json_decref(mine);
}

static void *status_main(void *arg)
{
    struct provider_kube *pk = arg;
    unsigned seen_builds = 0;
    int was_leader = 0;
    double last_pass = 0;
    pthread_mutex_lock(&pk->mu);
    while (!atomic_load(&pk->stop)) {
        wait_until(pk, &pk->status_cv, mono_s() + 1.0);
        int leading = !pk->leader || kube_leader_is_leader(pk->leader);
        int gained = leading && !was_leader;
        was_leader = leading;
        if (!leading || !atomic_load(&pk->ready) || atomic_load(&pk->stop))
            continue;
        if (!gained && !pk->status_due && seen_builds == pk->builds &&
            mono_s() - last_pass < PROVIDER_KUBE_RESYNC_MS / 1e3)
            continue;
        seen_builds = pk->builds;
        pk->status_due = 0;
        last_pass = mono_s();
        json_t *served = json_incref(pk->served), *warnings = json_incref(pk->warnings);
        pthread_mutex_unlock(&pk->mu);
        json_t *want = wanted_status(pk);
        if (want)
            status_pass(pk, served, want);
        json_decref(want);
        send_events(pk, warnings);
        /* Dropped under the lock the rebuild thread replaces them under, so
         * that whichever thread frees them does so after these reads. */
        pthread_mutex_lock(&pk->mu);
        json_decref(served);
        json_decref(warnings);
    }
    pthread_mutex_unlock(&pk->mu);
    return NULL;
}

/* ---- shutdown ------------------------------------------------------------- */

static int count_pod(void *arg, json_t *item, const struct kube_list_info *info)
{
    (void)item;
    (void)info;
    (*(size_t *)arg)++;
    return 0;
}

/* Whether other replicas run beside this pod, as ingress-nginx tells a
 * rolling update (or a scale-down) from the last replica stopping: the
 * pods with our pod's labels, less those that differ between revisions.
 * 0: alone (or not a pod: no POD_NAME); 1: others, or cannot tell. */
static int other_replicas(struct provider_kube *pk)
{
    if (!pk->pod_name)
        return 0;
    struct err e;
    json_t *pod = NULL;
    if (kube_get(pk->c, &pod_res, pk->pod_ns, pk->pod_name, NULL, &pod, &e) < 0) {
        LOG_WARN("kube: cannot tell whether other replicas run (%s); status left as it is", e.msg);
        return 1;
    }
    struct buf sel;
    buf_init(&sel, 4096);
    int bad = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(json_object_get(pod, "metadata"), "labels"), k, v)
    {
        if (json_is_string(v) && strcmp(k, "pod-template-hash") &&
            strcmp(k, "controller-revision-hash") && strcmp(k, "pod-template-generation"))
            bad |= buf_addf(&sel, "%s%s=%s", sel.len ? "," : "", k, json_string_value(v)) < 0;
    }
    json_decref(pod);
    size_t n = 0;
    struct kube_list_info info = {.columns = NULL};
    struct kube_list_opts lo = {.label_selector = buf_str(&sel)};
    int rc = sel.len && !bad ? kube_list(pk->c, &pod_res, pk->pod_ns, &lo, count_pod, &n, &info, &e)
                             : -1;
    if (rc < 0)
        LOG_WARN("kube: cannot tell whether other replicas run (%s); status left as it is",
                 sel.len && !bad ? e.msg : "no labels on our pod");
    kube_list_info_fini(&info);
    buf_fini(&sel);
    return rc < 0 || n > 1;
}

/* --update-status-on-shutdown: the leader stopping as the last replica
 * clears the addresses it wrote, which no longer lead anywhere; during a
 * rolling update the next leader keeps them. Runs after the threads
 * stopped, before the Lease is released. */
static void clear_on_shutdown(struct provider_kube *pk)
{
    if (!pk->update_status_on_shutdown || !atomic_load(&pk->ready) ||
        (pk->leader && !kube_leader_is_leader(pk->leader)))
        return;
    if (other_replicas(pk)) {
        LOG_INFO("kube: other replicas run; Ingress status left for the next leader");
        return;
    }
    json_t *want = wanted_status(pk);
    if (!want)
        return;
    json_t *keys = showing(pk, want, NULL);
    LOG_INFO("kube: last replica stopping: clearing the status of %zu Ingresses",
             json_array_size(keys));
    clear_all(pk, keys, want);
    json_decref(keys);
    json_decref(want);
}

/* ---- lifecycle ------------------------------------------------------------ */

struct provider_kube *provider_kube_start(struct kube_client *c, struct objstore *store,
                                          const struct provider_kube_opts *o, struct err *e)
{
    struct provider_kube *pk = calloc(1, sizeof *pk);
    if (!pk) {
        err_set(e, "out of memory");
        return NULL;
    }
    pk->c = c;
    pk->store = store;
    pk->leader = o->leader;
    pk->update_status_on_shutdown = o->update_status_on_shutdown;
    pthread_mutex_init(&pk->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&pk->cv, &ca);
    pthread_cond_init(&pk->status_cv, &ca);
    pthread_condattr_destroy(&ca);
    pk->ns = o->watch_namespace && *o->watch_namespace ? strdup(o->watch_namespace) : NULL;
    const char *ps = o->publish_service;
    if (ps && *ps) {
        const char *slash = strchr(ps, '/');
        pk->publish_ns_len = slash ? (size_t)(slash - ps) : strlen("default");
        if (asprintf(&pk->publish_service, "%s%s", slash ? "" : "default/", ps) < 0)
            pk->publish_service = NULL;
    }
    pk->publish_addresses =
        o->publish_addresses && *o->publish_addresses ? strdup(o->publish_addresses) : NULL;
    pk->identity = strdup(o->identity ? o->identity : "");
    pk->pod_ns = strdup(o->pod_namespace && *o->pod_namespace ? o->pod_namespace : "default");
    pk->pod_name = o->pod_name && *o->pod_name ? strdup(o->pod_name) : NULL;
    pk->lb = json_object();
    pk->served = json_array();
    pk->warnings = json_array();
    pk->refs = json_object();
    pk->secrets = json_object();
    pk->reported = json_object();
    if (!pk->identity || !pk->pod_ns || (o->pod_name && *o->pod_name && !pk->pod_name) ||
        (ps && *ps && !pk->publish_service) || !pk->served || !pk->warnings || !pk->refs ||
        !pk->secrets || !pk->reported || !pk->lb) {
        err_set(e, "out of memory");
        goto fail;
    }
    struct objstore_hooks h = {on_model, pk};
    objstore_set_hooks(store, &h);
    if (pthread_create(&pk->rebuild_thread, NULL, rebuild_main, pk) != 0)
        goto fail_thread;
    pk->rebuild_started = 1;
    if (pthread_create(&pk->status_thread, NULL, status_main, pk) != 0)
        goto fail_thread;
    pk->status_started = 1;
    for (int t = 0; t < T_COUNT; t++) {
        pk->w[t].pk = pk;
        pk->w[t].type = t;
        pk->w[t].res = &resources[t];
        if (pthread_create(&pk->w[t].thread, NULL, watch_main, &pk->w[t]) != 0)
            goto fail_thread;
        pk->w[t].started = 1;
    }
    return pk;
fail_thread:
    err_set(e, "kube provider: cannot start a thread");
fail:
    provider_kube_stop(pk);
    return NULL;
}

int provider_kube_ready(const struct provider_kube *pk)
{
    return atomic_load(&pk->ready);
}

void provider_kube_stop(struct provider_kube *pk)
{
    if (!pk)
        return;
    pthread_mutex_lock(&pk->mu);
    atomic_store(&pk->stop, 1);
    pthread_cond_signal(&pk->cv);
    pthread_cond_signal(&pk->status_cv);
    pthread_mutex_unlock(&pk->mu);
    for (int t = 0; t < T_COUNT; t++)
        if (pk->w[t].started)
            pthread_join(pk->w[t].thread, NULL);
    if (pk->rebuild_started)
        pthread_join(pk->rebuild_thread, NULL);
    if (pk->status_started)
        pthread_join(pk->status_thread, NULL);
    clear_on_shutdown(pk);
    struct objstore_hooks none = {NULL, NULL};
    objstore_set_hooks(pk->store, &none);
    json_decref(pk->served);
    json_decref(pk->warnings);
    json_decref(pk->refs);
    json_decref(pk->secrets);
    json_decref(pk->reported);
    json_decref(pk->lb);
    free(pk->ns);
    free(pk->pod_ns);
    free(pk->pod_name);
    free(pk->publish_service);
    free(pk->publish_addresses);
    free(pk->identity);
    pthread_cond_destroy(&pk->cv);
    pthread_cond_destroy(&pk->status_cv);
    pthread_mutex_destroy(&pk->mu);
    free(pk);
}
