/* The Ingress model: Kubernetes objects in, routing configuration out.
 *
 * ingress_model_build takes every object the provider knows (Ingress
 * networking.k8s.io/v1, IngressClass, Service v1, Endpoints v1,
 * EndpointSlice discovery.k8s.io/v1, Secret v1; anything else is ignored),
 * keeps the Ingresses that belong to our class, resolves their backends to
 * ready endpoints and merges their rules per host, oldest Ingress first. The
 * result is plain read-only arrays; route_table_build (ingress/routes.h)
 * compiles them into the lookup structure the proxy uses.
 *
 * Nothing here is fatal for a single object: problems a user should fix (a
 * missing Service, a bad port, a path shadowed by an older Ingress) become
 * warnings naming the Ingress. Only running out of memory, or input that is
 * not a JSON array, fails the build.
 *
 * The rules (class selection, conflicts, default backends, endpoint
 * selection) are written out in docs/internals/ingress.md; the comments
 * below are the short form. */
#ifndef FERRY_INGRESS_MODEL_H
#define FERRY_INGRESS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

/* The class name ferry answers to (`--ingress-class`), and the value of
 * IngressClass spec.controller that marks a class as ferry's. */
#define INGRESS_CLASS_DEFAULT "ferry"
#define INGRESS_CONTROLLER_DEFAULT "ferry.dev/ingress-controller"
/* The label that ties an EndpointSlice to its Service. */
#define INGRESS_LABEL_SERVICE_NAME "kubernetes.io/service-name"

struct ingress_opts {
    const char *class_name; /* NULL: INGRESS_CLASS_DEFAULT */
    const char *controller; /* NULL: INGRESS_CONTROLLER_DEFAULT */
    /* "NS/NAME" of the Secret served for names no spec.tls covers
     * (--default-ssl-certificate), or NULL. */
    const char *default_ssl_certificate;
};

/* Why an Ingress was taken as ours (the first rule that applies decides):
 *  1. spec.ingressClassName is set (non-empty): ours iff an IngressClass of
 *     that name exists and its spec.controller is ours (BY_CLASS_OBJECT), or
 *     no IngressClass of that name exists and the name equals our class name
 *     (BY_NAME: lets --manifests run without IngressClass objects). The
 *     legacy annotation is then ignored.
 *  2. the annotation kubernetes.io/ingress.class is present: ours iff its
 *     value equals our class name (BY_ANNOTATION).
 *  3. neither: ours iff some IngressClass whose controller is ours carries
 *     ingressclass.kubernetes.io/is-default-class: "true" (BY_DEFAULT). */
enum ingress_class_reason {
    INGRESS_CLASS_BY_CLASS_OBJECT,
    INGRESS_CLASS_BY_NAME,
    INGRESS_CLASS_BY_ANNOTATION,
    INGRESS_CLASS_BY_DEFAULT,
};

/* As written in the Ingress. ImplementationSpecific is matched as Prefix. */
enum ingress_path_type {
    INGRESS_PATH_EXACT,
    INGRESS_PATH_PREFIX,
    INGRESS_PATH_IMPLEMENTATION_SPECIFIC,
};

enum ingress_backend_state {
    INGRESS_BACKEND_OK,            /* Service and port found (endpoints may be 0) */
    INGRESS_BACKEND_NO_SERVICE,    /* the Service does not exist */
    INGRESS_BACKEND_NO_PORT,       /* the Service has no such port */
    INGRESS_BACKEND_EXTERNAL_NAME, /* type ExternalName: external_name:port */
    INGRESS_BACKEND_RESOURCE,      /* a resource backend: not supported */
};

/* One ready address of a backend. */
struct ingress_endpoint {
    const char *addr; /* "10.1.2.3", "fd00::1" */
    uint16_t port;    /* the pod's port (the Service's resolved targetPort) */
    uint8_t family;   /* AF_INET or AF_INET6 */
    uint8_t ip[16];   /* network byte order; the first 4 bytes for AF_INET */
};

/* A Service port as the Ingresses reference it. Backends are shared: every
 * reference to the same namespace/service/port is one backend. */
struct ingress_backend {
    const char *ns;        /* the Ingress's namespace (backends never cross it) */
    const char *service;   /* Service name; for RESOURCE "apiGroup/Kind/name" */
    const char *port_name; /* the Service port's name, "" when unnamed or unresolved */
    uint16_t port;         /* the Service port's number; when unresolved, the number the
                              Ingress gave (0 if it gave a name) */
    enum ingress_backend_state state;
    const char *external_name; /* EXTERNAL_NAME only, else NULL */
    /* Why there is nothing to send to (service missing, no EndpointSlice or
     * Endpoints, a named targetPort that resolves nowhere), NULL if nothing
     * is wrong. Endpoints that exist but are not ready are not a problem. */
    const char *problem;
    size_t nendpoints; /* sorted by family, address, port; no duplicates */
    const struct ingress_endpoint *endpoints;
};

/* An Ingress that is ours. The model's array is in age order: oldest
 * creationTimestamp first, then namespace, then name (byte order). */
struct ingress_info {
    const char *ns, *name;
    int64_t created; /* Unix seconds; INT64_MIN when absent/unparsable (sorts first) */
    enum ingress_class_reason why;
    /* metadata.annotations (a JSON object) or NULL; borrowed from the input,
     * valid while the model lives. */
    const json_t *annotations;
    int32_t default_backend; /* spec.defaultBackend: index into backends, or -1 */
};

/* A host of the merged configuration. */
struct ingress_host {
    /* Lowercased; "*.foo.com" for a wildcard; "" for rules without a host. */
    const char *name;
    /* The Ingress whose spec.defaultBackend serves requests for this host that
     * match no path: the oldest Ingress that has a rule for the host and a
     * defaultBackend; -1 for none (the model's default_ingress then applies). */
    int32_t fallback_ingress;
};

/* One path that survived merging; at most one per (host, match kind, key). */
struct ingress_path {
    uint32_t host;    /* index into hosts */
    uint32_t ingress; /* index into ingresses */
    uint32_t backend; /* index into backends */
    enum ingress_path_type type;
    const char *path; /* as written ("/" for an empty ImplementationSpecific path) */
    /* What is matched. Exact: the path as written. Prefix (and
     * ImplementationSpecific): the path without trailing '/', so "" for "/". */
    const char *key;
    size_t keylen;
};

/* The certificate for a host, from an Ingress's spec.tls. */
struct ingress_tls {
    const char *host; /* lowercased, as listed in spec.tls[].hosts */
    uint32_t ingress; /* the oldest Ingress naming the host */
    const char *secret_ns, *secret_name;
    int found; /* the Secret exists */
    /* The Secret's data["tls.crt"] and data["tls.key"], still base64; NULL
     * when absent. Never log them. */
    const char *crt_b64, *key_b64;
};

struct ingress_warning {
    const char *ns, *name; /* the Ingress concerned */
    const char *msg;       /* one line, e.g. service "default/web" not found */
};

struct ingress_model_priv;

/* Everything is read-only for users of the model. Indices are uint32_t/int32_t
 * into the arrays named. */
struct ingress_model {
    struct ingress_info *ingresses; /* age order (see above) */
    size_t ningresses;
    struct ingress_backend *backends;
    size_t nbackends;
    struct ingress_host *hosts;
    size_t nhosts;
    /* Ordered by ingress (age order), then document order. */
    struct ingress_path *paths;
    size_t npaths;
    struct ingress_tls *tls;
    size_t ntls;
    /* The --default-ssl-certificate Secret (host ""); secret_name is NULL
     * when none was asked for. */
    struct ingress_tls default_tls;
    struct ingress_warning *warnings;
    size_t nwarnings;
    /* The oldest Ingress with a spec.defaultBackend: serves requests that match
     * no host and whose host has no fallback of its own; -1 for none (the
     * proxy answers 404). */
    int32_t default_ingress;
    size_t nignored; /* Ingresses that are not ours */
    struct ingress_model_priv *priv;
};

/* Builds the model from <objects>, a JSON array of Kubernetes objects (what
 * yaml_load returns; "kind: *List" objects are flattened). Objects with no
 * metadata.namespace are in "default". When two objects have the same kind,
 * namespace and name, the later one wins. <opts> may be NULL.
 * The model keeps references to the objects and borrows strings from them;
 * do not modify <objects> while the model lives.
 * Returns the model (free it with ingress_model_free), or NULL with <e>
 * filled when <objects> is not an array or memory runs out. */
struct ingress_model *ingress_model_build(json_t *objects, const struct ingress_opts *opts,
                                          struct err *e);
void ingress_model_free(struct ingress_model *m);

/* What builds keep of each object between them, so that a build reads only
 * the objects that changed: the compact form of every object read (keyed by
 * the json_t's address; the cache holds a reference to it, so an address
 * is not reused while its entry lives), and the merge of phase two is all a
 * build redoes for the others. An object must not be modified once a build
 * has read it: replace it with a new json_t instead. Not thread-safe: one
 * build at a time. */
struct ingress_model_cache;

struct ingress_model_cache *ingress_model_cache_new(void);
/* Drops every entry and its JSON reference. NULL is ignored. */
void ingress_model_cache_free(struct ingress_model_cache *c);

/* As ingress_model_build, reading objects through <c>. The model borrows
 * from <c>'s entries: free it before the next ingress_model_cache_sweep. */
struct ingress_model *ingress_model_build_cached(json_t *objects, const struct ingress_opts *opts,
                                                 struct ingress_model_cache *c, struct err *e);
/* Forgets the objects the last build did not read and drops the cache's
 * references to them (call it where references to the objects may be
 * dropped). When memory runs out the lookups are lost and the next build
 * reads every object again, which costs time only. */
void ingress_model_cache_sweep(struct ingress_model_cache *c);

/* The index in m->hosts of <name> (lowercase, as stored), or -1. */
int32_t ingress_model_host(const struct ingress_model *m, const char *name);

/* The backend that serves requests for host index <host> that match no path:
 * the host's fallback Ingress's defaultBackend, else the model's default;
 * -1 for none. <host> may be -1 (no host matched). Returns the Ingress index
 * in *ingress when it is not NULL. */
int32_t ingress_model_fallback(const struct ingress_model *m, int32_t host, int32_t *ingress);

/* Names for messages and tests. */
const char *ingress_path_type_name(enum ingress_path_type t);
const char *ingress_backend_state_name(enum ingress_backend_state s);

#endif
