/* Compiling an ingress model (ingress/model.h) into the proxy's route
 * table (proxy/routes.h, which has the matching rules): one route per model
 * path, one per defaultBackend, each with its Ingress's name and annotations
 * and its redirect rule; the backends with their ready endpoints; and the
 * certificates of spec.tls and --default-ssl-certificate. */
#ifndef FERRY_INGRESS_ROUTE_BUILD_H
#define FERRY_INGRESS_ROUTE_BUILD_H

#include "core/err.h"
#include "ingress/model.h"
#include "proxy/routes.h"

/* Compiles <m> into a new table with one reference (the caller's). The table
 * copies everything it needs: <m> may be freed right after. Returns NULL with
 * <e> filled when memory runs out. */
struct route_table *route_table_build(const struct ingress_model *m, struct err *e);

/* What builds keep between them: the parsed certificates (by Secret and
 * bytes, see tls_cert_cache in http/tls.h) and the addresses of ExternalName
 * Services. Not thread-safe: builds through one cache are serialized. */
struct route_cache;

/* An ExternalName is resolved again by the first build after this long. */
#define ROUTE_DNS_TTL_S 30
/* Addresses kept per ExternalName (getaddrinfo's first ones). */
#define ROUTE_DNS_MAX_ADDRS 8

struct route_cache *route_cache_new(void);
void route_cache_free(struct route_cache *c);

/* As route_table_build, with <c> (may be NULL: nothing kept, ExternalName
 * backends get no endpoints): a certificate whose Secret has not changed
 * is not parsed again, and ExternalName backends get the addresses their
 * name resolves to (getaddrinfo, which blocks: from the cache when resolved
 * less than ROUTE_DNS_TTL_S ago), at the backend's port; a name that does
 * not resolve leaves the backend without endpoints (503) and is tried again
 * after the TTL. Afterwards <c> keeps only what this table uses. */
struct route_table *route_table_build_cached(const struct ingress_model *m, struct route_cache *c,
                                             struct err *e);

#endif
