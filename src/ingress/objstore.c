/* The object store and the rebuild both providers share. See objstore.h. */
#include "ingress/objstore.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"

struct objstore {
    pthread_mutex_t mu;       /* fixed, objs, stale */
    pthread_mutex_t build_mu; /* one rebuild at a time: tables go out in snapshot order */
    char *label, *class_name, *controller, *default_cert;
    char *dflt_ns, *dflt_name; /* --default-backend-service, or NULL */
    provider_publish_fn publish;
    void *ctx;
    struct objstore_hooks hooks;
    json_t *fixed; /* array (manifests), or NULL */
    json_t *objs;  /* "Kind/namespace/name" -> object */
    json_t *stale; /* keys of objs marked by objstore_mark */
    /* Each object's compact form, kept across rebuilds (build_mu; swept
     * under mu too, as it drops references to objects). */
    struct ingress_model_cache *cache;
    struct route_cache *rcache; /* certificates, ExternalName answers (build_mu) */
    unsigned generation;
};

struct objstore *objstore_new(const char *label, const struct ingress_opts *opts,
                              const char *default_backend, provider_publish_fn publish, void *ctx)
{
    struct objstore *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->build_mu, NULL);
    s->publish = publish;
    s->ctx = ctx;
    s->label = strdup(label);
    s->class_name = strdup(opts && opts->class_name ? opts->class_name : INGRESS_CLASS_DEFAULT);
    s->controller =
        strdup(opts && opts->controller ? opts->controller : INGRESS_CONTROLLER_DEFAULT);
    s->default_cert = opts && opts->default_ssl_certificate && *opts->default_ssl_certificate
                          ? strdup(opts->default_ssl_certificate)
                          : NULL;
    s->objs = json_object();
    s->stale = json_object();
    s->cache = ingress_model_cache_new();
    s->rcache = route_cache_new();
    int ok = s->label && s->class_name && s->controller && s->objs && s->stale && s->cache &&
             s->rcache &&
             (s->default_cert ||
              !(opts && opts->default_ssl_certificate && *opts->default_ssl_certificate));
    if (ok && default_backend && *default_backend) {
        const char *slash = strchr(default_backend, '/');
        s->dflt_ns =
            slash ? strndup(default_backend, (size_t)(slash - default_backend)) : strdup("default");
        s->dflt_name = strdup(slash ? slash + 1 : default_backend);
        ok = s->dflt_ns && s->dflt_name;
    }
    if (!ok) {
        objstore_free(s);
        return NULL;
    }
    return s;
}

void objstore_set_hooks(struct objstore *s, const struct objstore_hooks *h)
{
    s->hooks = *h;
}

void objstore_free(struct objstore *s)
{
    if (!s)
        return;
    json_decref(s->fixed);
    json_decref(s->objs);
    json_decref(s->stale);
    ingress_model_cache_free(s->cache);
    route_cache_free(s->rcache);
    free(s->label);
    free(s->class_name);
    free(s->controller);
    free(s->default_cert);
    free(s->dflt_ns);
    free(s->dflt_name);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->build_mu);
    free(s);
}

void objstore_replace(struct objstore *s, json_t *objects)
{
    pthread_mutex_lock(&s->mu);
    json_decref(s->fixed);
    s->fixed = objects;
    pthread_mutex_unlock(&s->mu);
}

void objstore_release(struct objstore *s, json_t *obj)
{
    if (!obj)
        return;
    pthread_mutex_lock(&s->mu);
    json_decref(obj);
    pthread_mutex_unlock(&s->mu);
}

static const char *meta_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

static int make_key(char *dst, size_t n, const char *kind, const char *ns, const char *name)
{
    int k = snprintf(dst, n, "%s/%s/%s", kind, ns ? ns : "", name);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int obj_key(char *dst, size_t n, const char *kind, const json_t *obj)
{
    const char *name = meta_str(obj, "name");
    if (!kind || !name)
        return -1;
    return make_key(dst, n, kind, meta_str(obj, "namespace"), name);
}

int objstore_put(struct objstore *s, json_t *obj)
{
    char key[512];
    if (obj_key(key, sizeof key, json_string_value(json_object_get(obj, "kind")), obj) < 0)
        return -1;
    json_t *copy = json_deep_copy(obj);
    if (!copy)
        return -1;
    pthread_mutex_lock(&s->mu);
    int rc = json_object_set_new(s->objs, key, copy);
    json_object_del(s->stale, key);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void objstore_delete(struct objstore *s, const char *kind, const json_t *obj)
{
    char key[512];
    if (obj_key(key, sizeof key, kind, obj) < 0)
        return;
    pthread_mutex_lock(&s->mu);
    json_object_del(s->objs, key);
    json_object_del(s->stale, key);
    pthread_mutex_unlock(&s->mu);
}

/* Calls <fn> for every key of <kind> in objs (under the lock). */
static void each_of_kind(struct objstore *s, const char *kind,
                         void (*fn)(struct objstore *, const char *))
{
    size_t klen = strlen(kind);
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(s->objs, tmp, key, v)
    {
        if (!strncmp(key, kind, klen) && key[klen] == '/')
            fn(s, key);
    }
}

static void mark_one(struct objstore *s, const char *key)
{
    json_object_set_new(s->stale, key, json_true());
}

void objstore_mark(struct objstore *s, const char *kind)
{
    pthread_mutex_lock(&s->mu);
    each_of_kind(s, kind, mark_one);
    pthread_mutex_unlock(&s->mu);
}

size_t objstore_sweep(struct objstore *s, const char *kind)
{
    size_t klen = strlen(kind), n = 0;
    const char *key;
    json_t *v;
    void *tmp;
    pthread_mutex_lock(&s->mu);
    json_object_foreach_safe(s->stale, tmp, key, v)
    {
        if (!strncmp(key, kind, klen) && key[klen] == '/') {
            json_object_del(s->objs, key);
            json_object_del(s->stale, key);
            n++;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return n;
}

json_t *objstore_get(struct objstore *s, const char *kind, const char *ns, const char *name)
{
    char key[512];
    if (make_key(key, sizeof key, kind, ns, name) < 0)
        return NULL;
    pthread_mutex_lock(&s->mu);
    json_t *o = json_incref(json_object_get(s->objs, key));
    pthread_mutex_unlock(&s->mu);
    return o;
}

/* The first port of the default backend's Service (under the lock): from
 * the watched objects, else from the manifests (where a Service without a
 * namespace is in "default"). 0 when unknown. */
static long default_backend_port(struct objstore *s)
{
    char key[512];
    const json_t *svc = NULL;
    if (make_key(key, sizeof key, "Service", s->dflt_ns, s->dflt_name) == 0)
        svc = json_object_get(s->objs, key);
    size_t i;
    const json_t *o;
    json_array_foreach(s->fixed, i, o)
    {
        const char *kind = json_string_value(json_object_get(o, "kind"));
        const char *ns = meta_str(o, "namespace");
        const char *name = meta_str(o, "name");
        if (!svc && kind && !strcmp(kind, "Service") && name && !strcmp(name, s->dflt_name) &&
            !strcmp(ns ? ns : "default", s->dflt_ns))
            svc = o;
    }
    json_t *port = json_array_get(json_object_get(json_object_get(svc, "spec"), "ports"), 0);
    return (long)json_integer_value(json_object_get(port, "port"));
}

/* --default-backend-service as an Ingress of our class with only a
 * defaultBackend, created last of all: the model takes the oldest
 * defaultBackend, so any real Ingress's one wins. A Service that does not
 * exist (yet) gets port 80 and the model's "not found" warning: 503. */
static json_t *default_backend_ingress(struct objstore *s)
{
    long port = default_backend_port(s);
    return json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:{s:s}},s:{s:{s:{s:s,s:{s:I}}}}}", "apiVersion",
                     "networking.k8s.io/v1", "kind", "Ingress", "metadata", "name",
                     OBJSTORE_DEFAULT_BACKEND_INGRESS, "namespace", s->dflt_ns, "creationTimestamp",
                     "9999-12-31T23:59:59Z", "annotations", "kubernetes.io/ingress.class",
                     s->class_name, "spec", "defaultBackend", "service", "name", s->dflt_name,
                     "port", "number", (json_int_t)(port > 0 ? port : 80));
}

/* Every object, in one new array (the manifests first, in file order). */
static json_t *snapshot(struct objstore *s)
{
    json_t *all = json_array();
    if (!all)
        return NULL;
    pthread_mutex_lock(&s->mu);
    int bad = s->fixed && json_array_extend(all, s->fixed) < 0;
    const char *key;
    json_t *v;
    json_object_foreach(s->objs, key, v)
    {
        if (!bad && json_array_append(all, v) < 0)
            bad = 1;
    }
    if (!bad && s->dflt_name && json_array_append_new(all, default_backend_ingress(s)) < 0)
        bad = 1;
    pthread_mutex_unlock(&s->mu);
    if (bad) {
        json_decref(all);
        return NULL;
    }
    return all;
}

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int objstore_rebuild(struct objstore *s, struct err *e)
{
    pthread_mutex_lock(&s->build_mu);
    double t0 = mono_ms();
    int rc = -1;
    struct ingress_model *m = NULL;
    json_t *objects = snapshot(s);
    if (!objects) {
        err_set(e, "out of memory");
        goto out;
    }
    struct ingress_opts opts = {.class_name = s->class_name,
                                .controller = s->controller,
                                .default_ssl_certificate = s->default_cert};
    if (!(m = ingress_model_build_cached(objects, &opts, s->cache, e)))
        goto out;
    for (size_t i = 0; i < m->nwarnings; i++)
        LOG_WARN("%s: ingress \"%s/%s\": %s", s->label, m->warnings[i].ns, m->warnings[i].name,
                 m->warnings[i].msg);
    if (s->hooks.model)
        s->hooks.model(s->hooks.arg, m);
    struct route_table *t = route_table_build_cached(m, s->rcache, e);
    if (!t)
        goto out;
    s->generation++;
    LOG_INFO("%s: %zu ingresses (%zu of other classes), %u routes, %u backends; built in %.1f ms",
             s->label, m->ningresses, m->nignored, route_table_nroutes(t), route_table_nbackends(t),
             mono_ms() - t0);
    s->publish(s->ctx, t);
    rc = 1;
out:
    ingress_model_free(m);
    pthread_mutex_lock(&s->mu);
    ingress_model_cache_sweep(s->cache);
    json_decref(objects);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_unlock(&s->build_mu);
    return rc;
}

unsigned objstore_generation(struct objstore *s)
{
    pthread_mutex_lock(&s->build_mu);
    unsigned g = s->generation;
    pthread_mutex_unlock(&s->build_mu);
    return g;
}
