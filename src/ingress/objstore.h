/* The object store both providers feed: the Kubernetes objects known now,
 * and the step from them to a published route table.
 *
 *   manifests provider:  objstore_replace(s, objects)  (every file, re-read)
 *   API provider:        objstore_put / objstore_delete per watch event
 *   then:                objstore_rebuild(s, &e)       (model, table, publish)
 *
 * Objects are kept by kind, namespace and name; the array given to
 * objstore_replace is kept as it is (manifests may hold List objects and
 * repeat names: the model reads them in order). Objects in the store are
 * shared read-only between threads, and every reference to one is dropped
 * under the store's lock (objstore_release): jansson's reference counts do
 * not order a free after another thread's reads, the lock does.
 *
 * A rebuild takes a snapshot of the objects under the store's lock and
 * builds outside it, so watch threads keep adding events meanwhile. The
 * model's warnings are logged with the store's label; the model hook sees
 * every model built (the API provider learns from it which Ingresses it
 * serves, and turns new warnings into Kubernetes Events). Thread-safe;
 * rebuilds are serialized, so tables are published in the order of the
 * snapshots; a rebuild blocks for the build. Rebuilds are incremental: the
 * store keeps each object's compact form and the parsed certificates from
 * one rebuild to the next (ingress_model_cache, route_cache), so a rebuild
 * reads only the objects that changed (about 40 ms at 10,000 Ingresses, of
 * which the merge and the table are most; the first one reads everything,
 * about 100 ms). */
#ifndef FERRY_INGRESS_OBJSTORE_H
#define FERRY_INGRESS_OBJSTORE_H

#include <jansson.h>

#include "core/err.h"
#include "ingress/model.h"
#include "ingress/route_build.h"

/* Receives each new table; the caller's reference moves to the callee. */
typedef void (*provider_publish_fn)(void *ctx, struct route_table *t);

/* The name of the Ingress that stands for --default-backend-service: not a
 * valid object name, so no real Ingress can be it. */
#define OBJSTORE_DEFAULT_BACKEND_INGRESS "ferry default backend"

struct objstore_hooks {
    /* Called during a rebuild, after the model is built and before the
     * table is published; <m> is valid during the call only. May be NULL. */
    void (*model)(void *arg, const struct ingress_model *m);
    void *arg;
};

struct objstore;

/* <label> prefixes the log lines ("manifests", "kube"). <default_backend>
 * ("NS/NAME" or NULL) is the Service that serves requests no Ingress
 * claims (its first port), unless an Ingress has a spec.defaultBackend.
 * Strings are copied. Returns NULL when memory runs out. */
struct objstore *objstore_new(const char *label, const struct ingress_opts *opts,
                              const char *default_backend, provider_publish_fn publish, void *ctx);
void objstore_set_hooks(struct objstore *s, const struct objstore_hooks *h);
void objstore_free(struct objstore *s);

/* Replaces the fixed part of the store by <objects> (a JSON array; the
 * reference moves to the store). */
void objstore_replace(struct objstore *s, json_t *objects);

/* Adds or replaces a copy of <obj> under its kind, namespace and name
 * (<obj> stays the caller's). Returns 0, or -1 when the object has no kind
 * or name or memory runs out. */
int objstore_put(struct objstore *s, json_t *obj);
/* Removes the object of <kind> named like <obj>'s metadata. */
void objstore_delete(struct objstore *s, const char *kind, const json_t *obj);
/* Marks every object of <kind> stale; objstore_put clears the mark, and
 * objstore_sweep removes what is still marked and returns how many. A
 * provider that lists a kind again (after losing its watch) drops with it
 * what vanished meanwhile. */
void objstore_mark(struct objstore *s, const char *kind);
size_t objstore_sweep(struct objstore *s, const char *kind);
/* A new reference to the object of <kind> <ns>/<name>, or NULL: read it,
 * never change it, and give it back with objstore_release. */
json_t *objstore_get(struct objstore *s, const char *kind, const char *ns, const char *name);
/* Drops a reference taken from the store. NULL is ignored. */
void objstore_release(struct objstore *s, json_t *obj);

/* Builds the model and the route table from the objects and publishes the
 * table. Returns 1 when a table was published, or -1 with <e> filled (out
 * of memory; nothing published). */
int objstore_rebuild(struct objstore *s, struct err *e);
/* Tables published so far. */
unsigned objstore_generation(struct objstore *s);

#endif
