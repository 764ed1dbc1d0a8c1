/* Operations on API objects: get, paged and streamed list, create, update,
 * patch (JSON merge, JSON, strategic, server-side apply), delete, and watch
 * with resume.
 *
 * Lists and watches stream: a page is split into its items as it arrives
 * (kube/jstream.h) and each item is handed to the caller before the next
 * one is read, so memory is bounded by the largest object, not by the
 * list. Objects are jansson values; an item passed to a callback is
 * borrowed (json_incref it to keep it).
 *
 * All functions block. Failures return KUBE_ESTATUS / KUBE_ECONN (see
 * kube/client.h) or -1, with kubectl's message in <e>. */
#ifndef FERRY_KUBE_API_H
#define FERRY_KUBE_API_H

#include <signal.h>
#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "kube/client.h"
#include "kube/discovery.h"

/* What `kubectl get` asks for: a server-side Table, else plain JSON. */
#define KUBE_ACCEPT_TABLE                                                                          \
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s." \
    "io,application/json"

/* kubectl's default --chunk-size. */
#define KUBE_DEFAULT_PAGE 500

/* Appends the path of a collection or an object: /api/v1/namespaces/NS/
 * configmaps/NAME[/SUB]. <ns> is ignored for cluster-scoped resources and
 * may be NULL (every namespace); <name>, <sub> may be NULL. Segments are
 * escaped. Returns 0 or -ENOMEM. */
int kube_path(const struct kube_resource *r, const char *ns, const char *name, const char *sub,
              struct buf *out);

/* Appends "&key=value" (no "&" when <q> is empty), the value escaped as
 * Go's url.QueryEscape. */
int kube_query_add(struct buf *q, const char *key, const char *value);

/* GET one object; *out is a new reference. <accept> may be NULL (JSON). */
int kube_get(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
             const char *accept, json_t **out, struct err *e);

struct kube_list_opts {
    const char *label_selector, *field_selector; /* NULL or "" for none */
    long limit;         /* page size; 0: KUBE_DEFAULT_PAGE; < 0: one unpaged request */
    const char *accept; /* NULL: JSON; KUBE_ACCEPT_TABLE: Table rows */
    const char *resource_version;
};

struct kube_list_info {
    char kind[128]; /* the list's kind ("ConfigMapList", "Table") */
    char api_version[128];
    char resource_version[64]; /* of the first page */
    json_t *columns;           /* a Table's columnDefinitions, or NULL */
    size_t items;              /* delivered so far */
    size_t pages;
    long long remaining; /* the latest page's remainingItemCount: items in the pages after it;
                          * -1 when the server did not say (selectors, old servers) */
};

/* Called for each item (or Table row, when a Table came), in order. An
 * item of a typed list gets the kind and apiVersion the server leaves out,
 * as kubectl fills them in. Return 0 to go on, -1 to stop (the list then
 * returns -1; set your own error). */
typedef int (*kube_item_fn)(void *arg, json_t *item, const struct kube_list_info *info);

/* Lists <r> in <ns> (NULL: all namespaces), page by page with `limit` and
 * `continue`. A page that fails part way is retried and the items already
 * delivered are skipped. <info> is filled as pages arrive; free it with
 * kube_list_info_fini. */
int kube_list(struct kube_client *c, const struct kube_resource *r, const char *ns,
              const struct kube_list_opts *o, kube_item_fn fn, void *arg,
              struct kube_list_info *info, struct err *e);
void kube_list_info_fini(struct kube_list_info *info);

/* POST <obj> to the collection; PUT it over <name>. *out (may be NULL) is
 * what the server answered. */
int kube_create(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const json_t *obj, json_t **out, struct err *e);
int kube_update(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const char *name, const json_t *obj, json_t **out, struct err *e);

enum kube_patch_type { KUBE_PATCH_MERGE, KUBE_PATCH_JSON, KUBE_PATCH_STRATEGIC, KUBE_PATCH_APPLY };

/* PATCH <name>. For KUBE_PATCH_APPLY <field_manager> is required and
 * <force> takes ownership of conflicting fields. */
int kube_patch(struct kube_client *c, const struct kube_resource *r, const char *ns,
               const char *name, enum kube_patch_type type, const char *patch, size_t len,
               const char *field_manager, int force, json_t **out, struct err *e);

/* The same on a subresource of <name> (<sub>: "status", "scale"; NULL: the
 * object itself, as kube_patch). */
int kube_patch_sub(struct kube_client *c, const struct kube_resource *r, const char *ns,
                   const char *name, const char *sub, enum kube_patch_type type, const char *patch,
                   size_t len, const char *field_manager, int force, json_t **out, struct err *e);

/* DELETE <name> with a propagation policy (NULL: the server's default;
 * "Background", "Foreground", "Orphan"). */
int kube_delete(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const char *name, const char *propagation, json_t **out, struct err *e);

/* ---- watch ---- */

enum kube_watch_start {
    KUBE_WATCH_FROM_RV,     /* from resource_version (NULL or "": the server's current objects
                             * first, as ADDED events) */
    KUBE_WATCH_LIST,        /* list first (paged), each object an ADDED event, then watch
                             * from the list's resourceVersion */
    KUBE_WATCH_LIST_SILENT, /* the same, delivering nothing from the list (--watch-only) */
};

struct kube_watch_opts {
    const char *label_selector, *field_selector;
    enum kube_watch_start start;
    const char *resource_version; /* KUBE_WATCH_FROM_RV only */
    long page_size;               /* for the lists (0: KUBE_DEFAULT_PAGE) */
    int bookmarks;                /* ask for BOOKMARK events (passed to the callback) */
    long stream_timeout_s;        /* server-side timeoutSeconds per stream (0: 300) */
    /* Consecutive failed reconnects before giving up (0: 10; < 0: never, for
     * controllers that must outlive any API outage). */
    long max_failures;
    long backoff_ms, backoff_max_ms; /* reconnect backoff (0: 100 ms, 5 s) */
    const char *accept;              /* NULL: JSON; KUBE_ACCEPT_TABLE: Table events */
    const atomic_int *cancel;        /* stops the watch when set (kube_cancelled) */
    long deadline_ms;                /* stop (cleanly, returning 0) after this long; 0: never */
    /* KUBE_WATCH_LIST: a SYNCED event (obj NULL) once the list is delivered,
     * so that a cache knows when it holds every object. */
    int synced_event;
};

/* Event types given to the callback: "ADDED", "MODIFIED", "DELETED",
 * "BOOKMARK" and, after a 410 Gone relist, "RESYNC" (with obj NULL) before
 * the events that bring the caller's view up to date; "SYNCED" (obj NULL)
 * after the first list when asked for (synced_event). */
typedef int (*kube_event_fn)(void *arg, const char *type, json_t *obj);

/* Watches <r> in <ns> (NULL: all namespaces) until the callback returns
 * non-zero (1: stop, returns 0; -1: error, returns -1), the deadline or
 * cancel flag, or too many failed reconnects.
 *
 * Resume: each event's resourceVersion is remembered; when a stream ends
 * (server timeout, dropped connection, a 5xx) the watch reconnects from it
 * with exponential backoff and jitter, so no event is lost or repeated.
 * When the server no longer has that resourceVersion (410 Gone, as an
 * ERROR event or an HTTP status), the objects are listed again and the
 * differences from what was seen (kept as name -> resourceVersion, one
 * entry per live object) are delivered as ADDED, MODIFIED and DELETED
 * events after a RESYNC, then the watch resumes from the list's
 * resourceVersion. Other ERROR events fail the watch with their message.
 * <stats> (may be NULL) counts reconnects and relists. */
struct kube_watch_stats {
    long streams, relists, events;
};
int kube_watch(struct kube_client *c, const struct kube_resource *r, const char *ns,
               const struct kube_watch_opts *o, kube_event_fn fn, void *arg,
               struct kube_watch_stats *stats, struct err *e);

/* ---- the watch stream decoder (exposed for tests and fuzzing) ---- */

/* Decodes newline-delimited watch events ({"type":T,"object":O}) from
 * bytes arriving in pieces of any size. Each complete event goes to <fn>
 * (type, object borrowed). Returns 0, or -1 with <e> set on malformed
 * input or when the callback returns non-zero (its value in *cb_rc). */
struct kube_watch_decoder;
struct kube_watch_decoder *kube_watch_decoder_new(kube_event_fn fn, void *arg);
void kube_watch_decoder_free(struct kube_watch_decoder *d);
int kube_watch_decoder_feed(struct kube_watch_decoder *d, const char *p, size_t n, int *cb_rc,
                            struct err *e);
/* 0 when the stream ended between events, -1 (with <e>) otherwise. */
int kube_watch_decoder_finish(struct kube_watch_decoder *d, struct err *e);
void kube_watch_decoder_reset(struct kube_watch_decoder *d);

#endif
