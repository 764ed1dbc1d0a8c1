/* Compiling an ingress model into a route table (proxy/routes.h): the
 * routes, their backends and endpoints, the hosts, the certificates of
 * spec.tls and the redirect rule of each route; and what builds keep between
 * them (parsed certificates, ExternalName addresses). */
#include "ingress/route_build.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "core/b64.h"
#include "core/log.h"
#include "http/tls.h"

/* ---- what builds keep ------------------------------------------------------ */

/* The addresses an ExternalName resolved to, kept ROUTE_DNS_TTL_S. */
struct dns_addr {
    char addr[INET6_ADDRSTRLEN];
    uint8_t family;
    uint8_t ip[16];
};

struct dns_entry {
    char *name;
    double expires; /* monotonic seconds */
    bool used;      /* by the newest build */
    uint32_t n;     /* 0: the name did not resolve */
    struct dns_addr addr[ROUTE_DNS_MAX_ADDRS];
};

struct route_cache {
    struct tls_cert_cache *certs;
    struct dns_entry *dns; /* few (one per ExternalName host): a plain array */
    size_t ndns, cap_dns;
};

struct route_cache *route_cache_new(void)
{
    struct route_cache *c = calloc(1, sizeof(*c));
    if (c && !(c->certs = tls_cert_cache_new())) {
        free(c);
        return NULL;
    }
    return c;
}

void route_cache_free(struct route_cache *c)
{
    if (!c)
        return;
    tls_cert_cache_free(c->certs);
    for (size_t i = 0; i < c->ndns; i++)
        free(c->dns[i].name);
    free(c->dns);
    free(c);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fills <d> with the addresses of <name> (TCP; duplicates dropped). Blocks
 * for the resolver. */
static void dns_resolve(struct dns_entry *d)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    d->n = 0;
    d->expires = mono_s() + ROUTE_DNS_TTL_S;
    int rc = getaddrinfo(d->name, NULL, &hints, &res);
    if (rc != 0) {
        LOG_WARN("routes: ExternalName \"%s\" does not resolve: %s; answering 503 for it", d->name,
                 gai_strerror(rc));
        return;
    }
    for (const struct addrinfo *ai = res; ai && d->n < ROUTE_DNS_MAX_ADDRS; ai = ai->ai_next) {
        struct dns_addr a = {.family = (uint8_t)ai->ai_family};
        if (ai->ai_family == AF_INET)
            memcpy(a.ip, &((const struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
        else if (ai->ai_family == AF_INET6)
            memcpy(a.ip, &((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
        else
            continue;
        bool dup = false;
        for (uint32_t i = 0; i < d->n && !dup; i++)
            dup = d->addr[i].family == a.family && !memcmp(d->addr[i].ip, a.ip, 16);
        if (dup || !inet_ntop(a.family, a.ip, a.addr, sizeof(a.addr)))
            continue;
        d->addr[d->n++] = a;
    }
    freeaddrinfo(res);
}

/* The answer for <name>: cached, or resolved now when unknown or older than
 * ROUTE_DNS_TTL_S. NULL when memory runs out. */
static const struct dns_entry *dns_lookup(struct route_cache *c, const char *name)
{
    struct dns_entry *d = NULL;
    for (size_t i = 0; i < c->ndns && !d; i++) {
        if (!strcmp(c->dns[i].name, name))
            d = &c->dns[i];
    }
    if (!d) {
        if (c->ndns == c->cap_dns) {
            size_t cap = c->cap_dns ? c->cap_dns * 2 : 8;
            struct dns_entry *v = realloc(c->dns, cap * sizeof(*v));
            if (!v)
                return NULL;
            c->dns = v;
            c->cap_dns = cap;
        }
        d = &c->dns[c->ndns];
        *d = (struct dns_entry){.name = strdup(name)};
        if (!d->name)
            return NULL;
        c->ndns++;
    }
    if (mono_s() >= d->expires) /* a new entry has expired at 0 */
        dns_resolve(d);
    d->used = true;
    return d;
}

/* Keeps what the newest build used. */
static void cache_sweep(struct route_cache *c)
{
    tls_cert_cache_sweep(c->certs);
    size_t k = 0;
    for (size_t i = 0; i < c->ndns; i++) {
        if (!c->dns[i].used) {
            free(c->dns[i].name);
            continue;
        }
        c->dns[i].used = false;
        c->dns[k++] = c->dns[i];
    }
    c->ndns = k;
}

/* ---- build ---------------------------------------------------------------- */

struct build {
    struct arena *a;
    struct route_cache *cache; /* NULL: nothing kept between builds */
    const struct ingress_model *m;
    struct route_table *t;
    struct route_backend *backends;
    struct route *routes; /* one per model path, then default routes */
    uint32_t nroutes;
    struct route_annotation **ann; /* per Ingress, built on first use */
    uint32_t *nann;
    const char **ing_ns, **ing_name; /* per Ingress, copied on first use */
    const char **host_name;          /* per host */
    const struct route **defroute;   /* per Ingress, built on first use */
};

/* One endpoint in the arena. Returns 0 or -1 (out of memory). */
static int copy_endpoint(struct build *b, struct route_endpoint *re, const char *addr,
                         uint8_t family, const uint8_t *ip, uint16_t port)
{
    char hp[64];
    re->addr = arena_strdup(b->a, addr);
    int n =
        snprintf(hp, sizeof(hp), family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, (unsigned)port);
    re->hostport = n > 0 && (size_t)n < sizeof(hp) ? arena_strdup(b->a, hp) : NULL;
    if (!re->addr || !re->hostport)
        return -1;
    re->port = port;
    re->family = family;
    memcpy(re->ip, ip, sizeof(re->ip));
    return 0;
}

/* An ExternalName backend's endpoints: the name's addresses, at the
 * backend's port. Returns 0 or -1 (out of memory). */
static int resolve_external(struct build *b, struct route_backend *rb)
{
    const struct dns_entry *d = dns_lookup(b->cache, rb->external_name);
    if (!d)
        return -1;
    if (!d->n || !rb->port)
        return 0;
    struct route_endpoint *eps = arena_alloc(b->a, d->n * sizeof(*eps));
    if (!eps)
        return -1;
    for (uint32_t j = 0; j < d->n; j++) {
        if (copy_endpoint(b, &eps[j], d->addr[j].addr, d->addr[j].family, d->addr[j].ip, rb->port) <
            0)
            return -1;
    }
    rb->endpoints = eps;
    rb->nendpoints = d->n;
    return 0;
}

static enum route_backend_state backend_state(enum ingress_backend_state s)
{
    switch (s) {
    case INGRESS_BACKEND_OK:
        return ROUTE_BACKEND_OK;
    case INGRESS_BACKEND_NO_SERVICE:
        return ROUTE_BACKEND_NO_SERVICE;
    case INGRESS_BACKEND_NO_PORT:
        return ROUTE_BACKEND_NO_PORT;
    case INGRESS_BACKEND_EXTERNAL_NAME:
        return ROUTE_BACKEND_EXTERNAL_NAME;
    case INGRESS_BACKEND_RESOURCE:
        break;
    }
    return ROUTE_BACKEND_RESOURCE;
}

static int copy_backends(struct build *b)
{
    const struct ingress_model *m = b->m;
    b->backends = arena_calloc(b->a, m->nbackends, sizeof(*b->backends));
    if (!b->backends && m->nbackends)
        return -1;
    for (size_t i = 0; i < m->nbackends; i++) {
        const struct ingress_backend *mb = &m->backends[i];
        struct route_backend *rb = &b->backends[i];
        rb->ns = arena_strdup(b->a, mb->ns);
        rb->service = arena_strdup(b->a, mb->service);
        rb->port_name = arena_strdup(b->a, mb->port_name);
        rb->external_name = mb->external_name ? arena_strdup(b->a, mb->external_name) : NULL;
        if (!rb->ns || !rb->service || !rb->port_name || (mb->external_name && !rb->external_name))
            return -1;
        rb->port = mb->port;
        rb->state = backend_state(mb->state);
        rb->index = (uint32_t)i;
        if (rb->external_name && b->cache) {
            if (resolve_external(b, rb) < 0)
                return -1;
            continue;
        }
        if (!mb->nendpoints)
            continue;
        struct route_endpoint *eps = arena_alloc(b->a, mb->nendpoints * sizeof(*eps));
        if (!eps)
            return -1;
        for (size_t j = 0; j < mb->nendpoints; j++) {
            const struct ingress_endpoint *me = &mb->endpoints[j];
            if (copy_endpoint(b, &eps[j], me->addr, me->family, me->ip, me->port) < 0)
                return -1;
        }
        rb->endpoints = eps;
        rb->nendpoints = (uint32_t)mb->nendpoints;
    }
    route_table_set_backends(b->t, b->backends, (uint32_t)m->nbackends);
    return 0;
}

/* The Ingress's annotations as a sorted array in the arena. */
static int annotations_of(struct build *b, uint32_t ing)
{
    if (b->ann[ing] || b->nann[ing] == UINT32_MAX)
        return 0;
    const json_t *obj = b->m->ingresses[ing].annotations;
    size_t n = json_object_size(obj);
    if (n == 0) {
        b->nann[ing] = UINT32_MAX; /* none; marks "done" */
        return 0;
    }
    struct route_annotation *v = arena_alloc(b->a, n * sizeof(*v));
    if (!v)
        return -1;
    size_t k = 0;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        const char *s;
        char *dump = NULL;
        if (json_is_string(val)) {
            s = json_string_value(val);
        } else {
            dump = json_dumps(val, JSON_ENCODE_ANY | JSON_COMPACT);
            if (!dump)
                return -1;
            s = dump;
        }
        v[k].key = arena_strdup(b->a, key);
        v[k].value = arena_strdup(b->a, s);
        free(dump);
        if (!v[k].key || !v[k].value)
            return -1;
        k++;
    }
    route_annotations_sort(v, k);
    b->ann[ing] = v;
    b->nann[ing] = (uint32_t)k;
    return 0;
}

static int fill_route(struct build *b, struct route *r, uint32_t ing)
{
    const struct ingress_info *in = &b->m->ingresses[ing];
    if (annotations_of(b, ing) < 0)
        return -1;
    if (!b->ing_ns[ing]) {
        b->ing_ns[ing] = arena_strdup(b->a, in->ns);
        b->ing_name[ing] = arena_strdup(b->a, in->name);
        if (!b->ing_ns[ing] || !b->ing_name[ing])
            return -1;
    }
    r->ingress_ns = b->ing_ns[ing];
    r->ingress_name = b->ing_name[ing];
    r->annotations = b->ann[ing];
    r->nannotations = b->nann[ing] == UINT32_MAX ? 0 : b->nann[ing];
    return 0;
}

/* The route for Ingress <ing>'s defaultBackend, made once. */
static const struct route *default_route(struct build *b, int32_t ing)
{
    if (ing < 0)
        return NULL;
    if (b->defroute[ing])
        return b->defroute[ing];
    int32_t be = b->m->ingresses[ing].default_backend;
    if (be < 0)
        return NULL;
    struct route *r = &b->routes[b->nroutes];
    *r = (struct route){
        .backend = &b->backends[be],
        .match = ROUTE_MATCH_DEFAULT,
        .host = "",
        .path = "",
    };
    if (fill_route(b, r, (uint32_t)ing) < 0)
        return NULL;
    b->nroutes++;
    b->defroute[ing] = r;
    return r;
}

static int build_hosts(struct build *b)
{
    const struct ingress_model *m = b->m;
    struct route_table *t = b->t;
    size_t nh = m->nhosts;
    if (nh == 0)
        return 0;
    /* Counting sort of paths by host. */
    uint32_t *first = calloc(nh + 1, sizeof(*first));
    uint32_t *order = malloc((m->npaths ? m->npaths : 1) * sizeof(*order));
    const struct route_host **hrs = calloc(nh, sizeof(*hrs));
    size_t nexact = 0, nwild = 0;
    int rc = -1;
    if (!first || !order || !hrs)
        goto out;
    for (size_t i = 0; i < m->npaths; i++)
        first[m->paths[i].host + 1]++;
    for (size_t h = 0; h < nh; h++)
        first[h + 1] += first[h];
    {
        uint32_t *fill = calloc(nh, sizeof(*fill));
        if (!fill)
            goto out;
        for (size_t i = 0; i < m->npaths; i++) {
            uint32_t h = m->paths[i].host;
            order[first[h] + fill[h]++] = (uint32_t)i;
        }
        free(fill);
    }
    for (size_t h = 0; h < nh; h++) {
        const struct ingress_host *mh = &m->hosts[h];
        size_t ne = 0, np = 0;
        for (uint32_t k = first[h]; k < first[h + 1]; k++) {
            const struct ingress_path *mp = &m->paths[order[k]];
            if (mp->type == INGRESS_PATH_EXACT)
                ne++;
            else if (mp->keylen)
                np++;
        }
        struct route_host *hr = route_host_new(t, ne, np);
        if (!hr)
            goto out;
        /* The route's path is the path as written; its key (mp->key) is
         * the first keylen bytes of it. */
        for (uint32_t k = first[h]; k < first[h + 1]; k++) {
            uint32_t pi = order[k];
            route_host_add(hr, &b->routes[pi], m->paths[pi].keylen);
        }
        int32_t fing;
        ingress_model_fallback(m, (int32_t)h, &fing);
        const struct route *fb = default_route(b, fing);
        if (fing >= 0 && !fb && m->ingresses[fing].default_backend >= 0)
            goto out; /* out of memory */
        route_host_set_fallback(hr, fb);
        hrs[h] = hr;
        if (mh->name[0] == '*')
            nwild++;
        else if (mh->name[0])
            nexact++;
    }
    if (route_table_hosts_init(t, nexact, nwild) < 0)
        goto out;
    for (size_t h = 0; h < nh; h++)
        route_table_add_host(t, b->host_name[h], hrs[h]);
    rc = 0;
out:
    free(first);
    free(order);
    free(hrs);
    return rc;
}

/* Decodes and parses one Secret's certificate, or takes it from the cache
 * when the Secret's bytes are those parsed before. Returns a reference, or
 * NULL (logged, naming the Secret and what is wrong, never its data) when
 * it cannot be used. */
static struct tls_cert *load_cert(struct build *b, const struct ingress_tls *mt)
{
    struct iovec id[4] = {
        {(void *)mt->secret_ns, strlen(mt->secret_ns)},
        {(void *)mt->secret_name, strlen(mt->secret_name)},
        {(void *)mt->crt_b64, mt->crt_b64 ? strlen(mt->crt_b64) : 0},
        {(void *)mt->key_b64, mt->key_b64 ? strlen(mt->key_b64) : 0},
    };
    bool cacheable = b->cache && mt->found && mt->crt_b64 && mt->key_b64;
    struct tls_cert *cached = cacheable ? tls_cert_cache_get(b->cache->certs, id, 4) : NULL;
    if (cached)
        return cached;
    const char *what = NULL;
    struct err e;
    unsigned char *crt = NULL, *key = NULL;
    size_t crtlen = 0, keylen = 0;
    struct tls_cert *c = NULL;
    if (!mt->found)
        what = "the Secret does not exist";
    else if (!mt->crt_b64 || !mt->key_b64)
        what = "the Secret lacks tls.crt or tls.key";
    else if (b64_decode(mt->crt_b64, &crt, &crtlen, &e) < 0)
        what = "tls.crt is not valid base64";
    else if (b64_decode(mt->key_b64, &key, &keylen, &e) < 0)
        what = "tls.key is not valid base64";
    else if (!(c = tls_cert_parse((const char *)crt, crtlen, (const char *)key, keylen, &e)))
        what = e.msg;
    if (key)
        explicit_bzero(key, keylen); /* private key bytes do not linger in the heap */
    free(key);
    free(crt);
    if (what)
        LOG_WARN("tls: secret \"%s/%s\" (host \"%s\"): %s; serving the default certificate",
                 mt->secret_ns, mt->secret_name, *mt->host ? mt->host : "<default>", what);
    /* Not kept (out of memory) only costs the next build a parse. */
    if (c && cacheable)
        (void)tls_cert_cache_put(b->cache->certs, id, 4, c);
    return c;
}

/* The certificates of spec.tls and --default-ssl-certificate. Hosts that
 * share a Secret are next to each other in the model (one spec.tls entry)
 * and share one parsed certificate. */
static int build_certs(struct build *b)
{
    const struct ingress_model *m = b->m;
    struct route_table *t = b->t;
    size_t nexact = 0, nwild = 0;
    for (size_t i = 0; i < m->ntls; i++) {
        if (m->tls[i].host[0] == '*')
            nwild++;
        else if (m->tls[i].host[0])
            nexact++;
    }
    if (route_table_tls_init(t, nexact, nwild, m->ntls + 1) < 0)
        return -1;
    struct tls_cert *cert = NULL; /* of the previous entry */
    for (size_t i = 0; i < m->ntls; i++) {
        const struct ingress_tls *mt = &m->tls[i], *prev = i ? &m->tls[i - 1] : NULL;
        if (!mt->host[0])
            continue; /* no SNI name is "": such clients get the default */
        if (!(prev && prev->host[0] && prev->found == mt->found && prev->crt_b64 == mt->crt_b64 &&
              prev->key_b64 == mt->key_b64 && prev->secret_name == mt->secret_name)) {
            if ((cert = load_cert(b, mt)) && route_table_own_cert(t, cert) < 0) {
                tls_cert_unref(cert);
                return -1;
            }
        }
        const char *name = arena_strdup(b->a, mt->host);
        if (!name || route_table_add_tls_host(t, name, cert) < 0)
            return -1;
    }
    if (m->default_tls.secret_name) {
        struct tls_cert *c = load_cert(b, &m->default_tls);
        if (c && route_table_own_cert(t, c) < 0) {
            tls_cert_unref(c);
            return -1;
        }
        route_table_set_default_cert(t, c);
    }
    return 0;
}

static bool ann_is(const struct route *r, const char *name, const char *value)
{
    char key[96];
    const char *v;
    snprintf(key, sizeof key, "ferry.dev/%s", name);
    if (!(v = route_annotation(r, key))) {
        snprintf(key, sizeof key, "nginx.ingress.kubernetes.io/%s", name);
        v = route_annotation(r, key);
    }
    return v && strcmp(v, value) == 0;
}

/* Compiles the redirect rule of each route (struct route.ssl_redirect):
 * decided once here, a flag on the request path. */
static void build_redirects(struct build *b)
{
    for (uint32_t i = 0; i < b->nroutes; i++) {
        struct route *r = &b->routes[i];
        bool tls = route_table_tls_listed(b->t, r->host);
        r->ssl_redirect =
            (tls && !ann_is(r, "ssl-redirect", "false")) || ann_is(r, "force-ssl-redirect", "true");
    }
}

static void build_fini(struct build *b)
{
    free(b->ann);
    free(b->nann);
    free(b->defroute);
    free(b->ing_ns);
    free(b->ing_name);
    free(b->host_name);
}

struct route_table *route_table_build(const struct ingress_model *m, struct err *e)
{
    return route_table_build_cached(m, NULL, e);
}

struct route_table *route_table_build_cached(const struct ingress_model *m,
                                             struct route_cache *cache, struct err *e)
{
    /* A first chunk in proportion to the configuration keeps chunks few. */
    struct route_table *t =
        route_table_new(4096 + m->npaths * 160 + m->nbackends * 96 + m->nhosts * 96);
    struct build b = {.cache = cache, .m = m, .t = t};
    if (!t)
        goto fail;
    struct arena *a = b.a = route_table_arena(t);
    size_t maxroutes = m->npaths + m->ningresses;
    b.routes = arena_calloc(a, maxroutes ? maxroutes : 1, sizeof(*b.routes));
    b.ann = calloc(m->ningresses + 1, sizeof(*b.ann));
    b.nann = calloc(m->ningresses + 1, sizeof(*b.nann));
    b.defroute = calloc(m->ningresses + 1, sizeof(*b.defroute));
    b.ing_ns = calloc(m->ningresses + 1, sizeof(*b.ing_ns));
    b.ing_name = calloc(m->ningresses + 1, sizeof(*b.ing_name));
    b.host_name = calloc(m->nhosts + 1, sizeof(*b.host_name));
    if (!b.routes || !b.ann || !b.nann || !b.defroute || !b.ing_ns || !b.ing_name || !b.host_name)
        goto fail;
    for (size_t h = 0; h < m->nhosts; h++) {
        if (!(b.host_name[h] = arena_strdup(a, m->hosts[h].name)))
            goto fail;
    }
    if (copy_backends(&b) < 0)
        goto fail;
    for (size_t i = 0; i < m->npaths; i++) {
        const struct ingress_path *mp = &m->paths[i];
        struct route *r = &b.routes[i];
        *r = (struct route){
            .backend = &b.backends[mp->backend],
            .match = mp->type == INGRESS_PATH_EXACT ? ROUTE_MATCH_EXACT : ROUTE_MATCH_PREFIX,
            .host = b.host_name[mp->host],
            .path = arena_strdup(a, mp->path),
        };
        if (!r->path || fill_route(&b, r, mp->ingress) < 0)
            goto fail;
    }
    b.nroutes = (uint32_t)m->npaths;
    const struct route *deflt = default_route(&b, m->default_ingress);
    if (m->default_ingress >= 0 && !deflt)
        goto fail;
    route_table_set_default(t, deflt);
    if (build_hosts(&b) < 0 || build_certs(&b) < 0)
        goto fail;
    build_redirects(&b);
    route_table_set_nroutes(t, b.nroutes);
    build_fini(&b);
    if (cache)
        cache_sweep(cache);
    return t;
fail:
    build_fini(&b);
    route_table_unref(t);
    err_set(e, "route table: out of memory");
    return NULL;
}
