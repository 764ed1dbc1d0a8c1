/* The route table: an immutable, refcounted snapshot of the routing
 * configuration that workers read without locks. The configuration layer
 * compiles it (src/ingress/route_build.c builds one from an ingress model)
 * through the builder calls at the end of this file; nothing here knows
 * where routes come from.
 *
 * Matching (networking.k8s.io/v1; docs/internals/ingress.md has the tables):
 *  - Host: the Host header (or :authority) without its ":port" and without
 *    one trailing '.', compared case-insensitively. An exact host rule wins;
 *    else a wildcard rule "*.parent" when the host is exactly one non-empty
 *    label followed by ".parent"; else the rules without a host. The first of
 *    those three that exists is the host's rule set: a request never falls
 *    through from a host's rules to the wildcard's or the host-less ones.
 *  - Path: byte-exact and case-sensitive on the path as given (no
 *    percent-decoding, no dot-segment removal: see route_lookup). An Exact
 *    rule matching the whole path wins. Else the longest Prefix rule whose
 *    key (the rule path without trailing '/') is the request path or is
 *    followed in it by '/': "/foo" matches "/foo", "/foo/", "/foo/bar", not
 *    "/foobar"; "/" matches everything. ImplementationSpecific is Prefix.
 *  - Nothing matched: the host's fallback default backend, else the table's
 *    default backend (spec.defaultBackend of the oldest Ingress having one),
 *    else no route (NULL; the proxy answers 404).
 *
 * Cost of a lookup: one hash probe per host table tried (at most three), then
 * one pass over the request path hashing each segment once, with one hash
 * probe per '/' up to the depth of the deepest Prefix rule of the host, and
 * one for Exact. Nothing depends on the number of rules, hosts or Ingresses.
 *
 * Publishing (DESIGN.md: "an atomic pointer swap"). A refcount alone cannot
 * make "load the global pointer, then take a reference" safe: the table can
 * be freed between the two. So each worker owns a route_slot, and the rule is
 *   - the controller builds a table, then for every worker
 *     route_slot_put(&w->slot, route_table_ref(t)), then route_table_unref(t);
 *   - a worker, between events (never in the middle of a request), calls
 *     nt = route_slot_take(&slot); if nt is not NULL it unrefs its current
 *     table and makes nt current;
 *   - a request takes route_table_ref(current) when it starts routing and
 *     drops it with route_table_unref when it ends (or the worker keeps it
 *     until the request is done some other way).
 * The current table of a worker is only touched by that worker, so the
 * request path has no locks and no atomic read-modify-write beyond the
 * refcount; an old table is freed by whichever thread drops the last
 * reference, after the last request that used it. */
#ifndef FERRY_PROXY_ROUTES_H
#define FERRY_PROXY_ROUTES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

struct route_endpoint {
    const char *addr;     /* "10.1.2.3", "fd00::1" */
    const char *hostport; /* "10.1.2.3:8080", "[fd00::1]:8080" */
    uint16_t port;
    uint8_t family; /* AF_INET or AF_INET6 */
    uint8_t ip[16]; /* network byte order; first 4 bytes for AF_INET */
};

enum route_backend_state {
    ROUTE_BACKEND_OK,
    ROUTE_BACKEND_NO_SERVICE,    /* the Service does not exist: 503 */
    ROUTE_BACKEND_NO_PORT,       /* it has no such port: 503 */
    ROUTE_BACKEND_EXTERNAL_NAME, /* proxied to the name's addresses */
    ROUTE_BACKEND_RESOURCE,      /* a resource backend: 503 */
};

struct route_backend {
    const char *ns, *service; /* for RESOURCE, service is "apiGroup/Kind/name" */
    const char *port_name;    /* "" when unnamed */
    uint16_t port;            /* the Service port */
    enum route_backend_state state;
    const char *external_name; /* EXTERNAL_NAME only */
    /* Dense in [0, route_table_nbackends(t)): index a per-worker array of
     * round-robin counters with it. Valid for this table only. */
    uint32_t index;
    uint32_t nendpoints; /* ready endpoints only; 0: answer 503 */
    const struct route_endpoint *endpoints;
};

struct route_annotation {
    const char *key, *value; /* non-string values are rendered as JSON text */
};

enum route_match {
    ROUTE_MATCH_EXACT,
    ROUTE_MATCH_PREFIX,
    ROUTE_MATCH_DEFAULT, /* a defaultBackend: nothing else matched */
};

struct route {
    const struct route_backend *backend; /* never NULL */
    enum route_match match;              /* ImplementationSpecific rules are Prefix */
    const char *host;                    /* the rule's host ("" for none or a default backend) */
    const char *path;                    /* the rule's path as written; "" for a default backend */
    const char *ingress_ns, *ingress_name; /* the Ingress the rule comes from */
    uint32_t nannotations;                 /* that Ingress's annotations, sorted by key */
    const struct route_annotation *annotations;
    /* Requests over plain HTTP get a 308 to https: the host has a spec.tls
     * entry (in any Ingress) and the Ingress does not say ssl-redirect
     * "false", or the Ingress says force-ssl-redirect "true" (ferry.dev/ or
     * nginx.ingress.kubernetes.io/ annotations, ferry's first). */
    uint8_t ssl_redirect;
};

struct route_table;

/* Adds a reference; returns <t>. Safe from any thread holding a reference. */
struct route_table *route_table_ref(struct route_table *t);
/* Drops a reference; the last one frees the table. <t> may be NULL. */
void route_table_unref(struct route_table *t);

/* The route for a request, or NULL for "no route" (answer 404).
 * <host>: the Host header value (a ":port" suffix and a trailing '.' are
 *   ignored; "[v6]:port" works); hostlen 0 selects the host-less rules.
 * <path>: the request path without the query string, matched as raw bytes:
 *   no percent-decoding, no dot-segment removal (as ingress-nginx routes on
 *   the raw path). The HTTP layer must reject or normalize paths before the
 *   lookup if routes carry access rules; see docs/internals/ingress.md.
 * Never allocates, never blocks; the result lives as long as the table. */
const struct route *route_lookup(const struct route_table *t, const char *host, size_t hostlen,
                                 const char *path, size_t pathlen);

struct tls_cert;

/* The certificate to present for the SNI name <name> (NUL-terminated, any
 * case, NULL when the client sent none): the spec.tls entry for exactly
 * that host; else the one for "*.parent" when <name> is one label followed
 * by ".parent"; else the --default-ssl-certificate Secret's; else NULL (the
 * server's own default). A host whose Secret is missing or unusable gets
 * the default (the problem was logged when the table was built). Lives as
 * long as the table; never allocates. */
const struct tls_cert *route_cert(const struct route_table *t, const char *name);

/* The value of annotation <key> of a route's Ingress, or NULL. */
const char *route_annotation(const struct route *r, const char *key);
/* Sorts a route's annotations into the order route_annotation searches. */
void route_annotations_sort(struct route_annotation *a, size_t n);

uint32_t route_table_nbackends(const struct route_table *t);
const struct route_backend *route_table_backend(const struct route_table *t, uint32_t index);
uint32_t route_table_nroutes(const struct route_table *t);
/* Bytes held by the table (for metrics). */
size_t route_table_memory(const struct route_table *t);

/* One worker's mailbox for new tables; zero-initialize it (or ROUTE_SLOT_INIT). */
struct route_slot {
    _Atomic(struct route_table *) next;
};

/* clang-format off */
#define ROUTE_SLOT_INIT {NULL}
/* clang-format on */

/* Publishes <t> (the caller's reference moves into the slot). A table put
 * earlier and not yet taken is unreferenced. Safe from any thread. */
void route_slot_put(struct route_slot *s, struct route_table *t);
/* The table put since the last take (the caller now owns its reference), or
 * NULL. For the worker that owns the slot. */
struct route_table *route_slot_take(struct route_slot *s);
/* Unreferences a table left in the slot (at worker exit). */
void route_slot_fini(struct route_slot *s);

/* ---- building ---------------------------------------------------------------
 * A table is built once, by one thread, then published and never changed.
 * Everything a route, backend or name points to must live as long as the
 * table: allocate it from route_table_arena. On failure, route_table_unref
 * frees the partial table (and the certificates it owns). */

/* A new empty table with one reference (NULL: out of memory). <size_hint>:
 * the bytes the build is expected to take, for the arena's first chunk. */
struct route_table *route_table_new(size_t size_hint);
struct arena *route_table_arena(struct route_table *t);
/* The backends, indexed by route_backend.index (which must be 0..n-1). */
void route_table_set_backends(struct route_table *t, struct route_backend *b, uint32_t n);
/* How many routes the table holds (for route_table_nroutes). */
void route_table_set_nroutes(struct route_table *t, uint32_t n);
/* The route when no host's rules apply (a defaultBackend), or NULL. */
void route_table_set_default(struct route_table *t, const struct route *r);

/* One host's rules, sized for <nexact> Exact and <nprefix> Prefix keys. */
struct route_host;
struct route_host *route_host_new(struct route_table *t, size_t nexact, size_t nprefix);
/* Adds <r> (ROUTE_MATCH_EXACT or _PREFIX) for the first <keylen> bytes of
 * r->path: the whole path for Exact, the path without a trailing '/' for
 * Prefix (keylen 0: the root, matching everything). A key already present
 * keeps its first route. */
void route_host_add(struct route_host *h, const struct route *r, size_t keylen);
/* The route when none of the host's paths matches, or NULL. */
void route_host_set_fallback(struct route_host *h, const struct route *r);
/* Sizes the host tables, then names each host once: "" for the rules
 * without a host, "*.parent" for a wildcard, else a lowercase name. */
int route_table_hosts_init(struct route_table *t, size_t nexact, size_t nwild);
void route_table_add_host(struct route_table *t, const char *name, const struct route_host *h);

/* Sizes the certificate tables (names as for hosts; <ncerts>: at most that
 * many route_table_own_cert calls). <cert> may be NULL for a name whose
 * Secret is unusable: it then gets the default certificate. */
int route_table_tls_init(struct route_table *t, size_t nexact, size_t nwild, size_t ncerts);
int route_table_add_tls_host(struct route_table *t, const char *name, const struct tls_cert *cert);
/* The table takes over the caller's reference to <c> and drops it when
 * freed. Returns 0, or -1 when <ncerts> are taken already (the reference
 * stays the caller's). */
int route_table_own_cert(struct route_table *t, struct tls_cert *c);
void route_table_set_default_cert(struct route_table *t, const struct tls_cert *c);
/* Whether a certificate name was added for exactly <host> (a rule's host:
 * "*.parent" looks for the wildcard name). */
bool route_table_tls_listed(const struct route_table *t, const char *host);

#endif
