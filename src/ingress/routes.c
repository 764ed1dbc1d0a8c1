/* The route table. Everything of one table lives in one arena, the table
 * header included, so building is a run of bump allocations and freeing is
 * a walk over a few chunks.
 *
 * Path keys are hashed segment by segment: a path is cut before every '/'
 * that is not its first byte ("/aaa/bbb" is "/aaa" + "/bbb"), and the hash
 * of a path is a chain, h(k) = seg(h(k-1), segment k). A prefix of the
 * request path that ends at a '/' is therefore hashed for free while the
 * request path is walked once, and Exact and Prefix tables are probed with
 * the same chain values. */
#include "ingress/routes.h"

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
#include "ingress/iarena.h"

#define SEED 0x243f6a8885a308d3ULL
#define K1 0x9e3779b97f4a7c15ULL
#define K2 0xd6e8feb86659fd93ULL

struct path_slot {
    uint64_t h;
    const char *key; /* NULL: free */
    uint32_t len;
    const struct route *r;
};

struct path_table {
    struct path_slot *s;
    uint32_t mask, n;
};

struct host_routes {
    struct path_table exact, prefix;
    uint32_t max_depth; /* most segments in a Prefix key */
    /* Bit n (n < 63) set when an Exact key is n bytes long; bit 63 for any
     * longer one. A path of no such length skips the Exact probe, and the
     * walk can stop at the deepest Prefix key. */
    uint64_t exact_lens;
    const struct route *root;     /* Prefix "/" */
    const struct route *fallback; /* no path matched */
};

/* Host tables map a lowercase name to a struct host_routes (routing) or a
 * struct tls_host (certificates). */
struct host_slot {
    uint64_t h;
    const char *name; /* lowercase; NULL: free */
    uint32_t len;
    const void *v;
};

/* A host named in some spec.tls; cert is NULL when its Secret is missing
 * or unusable (the host then gets the default certificate). */
struct tls_host {
    const struct tls_cert *cert;
};

struct host_table {
    struct host_slot *s;
    uint32_t mask, n;
};

struct route_table {
    _Atomic unsigned long refs;
    struct iarena arena;           /* holds this struct too */
    struct host_table exact;       /* "foo.com" */
    struct host_table wild;        /* "*.foo.com" under "foo.com" */
    const struct host_routes *any; /* rules without a host, or NULL */
    const struct route *deflt;     /* the default backend's route, or NULL */
    struct route_backend *backends;
    uint32_t nbackends;
    uint32_t nroutes;
    struct host_table tls_exact;        /* host -> struct tls_host */
    struct host_table tls_wild;         /* "*.foo.com" under "foo.com" */
    const struct tls_cert *tls_default; /* --default-ssl-certificate, or NULL */
    struct tls_cert **certs;            /* owned: freed with the table */
    uint32_t ncerts;
};

/* ---- hashing ------------------------------------------------------------ */

static inline uint64_t load8(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

static inline uint64_t load4(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, 4);
    return w;
}

static inline uint64_t fmix(uint64_t h)
{
    h ^= h >> 32;
    h *= K2;
    h ^= h >> 29;
    return h;
}

/* Word-at-a-time hash of <n> bytes chained onto <h>. <fold> is OR-ed into
 * every word: 0x20 bytes make ASCII letters case-insensitive (and merge a
 * few non-letters, which only costs a compare). Reads only inside p[0, n). */
static inline uint64_t hash_bytes(uint64_t h, const unsigned char *p, size_t n, uint64_t fold)
{
    h ^= (uint64_t)n * K1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        h = fmix((h ^ (load8(p + i) | fold)) * K1);
    size_t r = n - i;
    uint64_t w;
    if (r == 0)
        return h;
    if (n >= 8) {
        w = load8(p + n - 8); /* overlaps bytes already hashed; n fixes the shift */
    } else if (r >= 4) {
        w = (load4(p) << 32) | load4(p + r - 4);
    } else {
        w = ((uint64_t)p[0] << 16) | ((uint64_t)p[r >> 1] << 8) | p[r - 1];
    }
    return fmix((h ^ (w | fold)) * K1);
}

static inline uint64_t seg_hash(uint64_t h, const unsigned char *p, size_t n)
{
    return hash_bytes(h, p, n, 0);
}

/* The chain hash of a whole key, and its number of segments. */
static uint64_t path_hash(const char *key, size_t n, uint32_t *depth)
{
    const unsigned char *p = (const unsigned char *)key;
    uint64_t h = SEED;
    uint32_t d = 0;
    size_t start = 0;
    for (;;) {
        const unsigned char *slash =
            n > start + 1 ? memchr(p + start + 1, '/', n - start - 1) : NULL;
        size_t end = slash ? (size_t)(slash - p) : n;
        h = seg_hash(h, p + start, end - start);
        d++;
        if (!slash)
            break;
        start = end;
    }
    if (depth)
        *depth = d;
    return h;
}

static const uint64_t FOLD = 0x2020202020202020ULL;

static inline uint64_t host_hash(const char *h, size_t n)
{
    return hash_bytes(SEED, (const unsigned char *)h, n, FOLD);
}

/* ---- tables --------------------------------------------------------------- */

static uint32_t capacity_for(size_t n)
{
    uint32_t cap = 2;
    while (cap < n * 2)
        cap *= 2;
    return cap;
}

static int path_table_init(struct iarena *a, struct path_table *pt, size_t n)
{
    if (n == 0) {
        *pt = (struct path_table){NULL, 0, 0};
        return 0;
    }
    uint32_t cap = capacity_for(n);
    pt->s = iarena_calloc(a, cap, sizeof(*pt->s));
    if (!pt->s)
        return -1;
    pt->mask = cap - 1;
    pt->n = 0;
    return 0;
}

static void path_table_put(struct path_table *pt, uint64_t h, const char *key, uint32_t len,
                           const struct route *r)
{
    for (uint32_t i = (uint32_t)h & pt->mask;; i = (i + 1) & pt->mask) {
        struct path_slot *s = &pt->s[i];
        if (!s->key) {
            *s = (struct path_slot){h, key, len, r};
            pt->n++;
            return;
        }
        if (s->h == h && s->len == len && memcmp(s->key, key, len) == 0)
            return; /* the model already dropped duplicates; keep the first */
    }
}

static inline const struct route *path_table_get(const struct path_table *pt, uint64_t h,
                                                 const char *key, size_t len)
{
    for (uint32_t i = (uint32_t)h & pt->mask;; i = (i + 1) & pt->mask) {
        const struct path_slot *s = &pt->s[i];
        if (!s->key)
            return NULL;
        if (s->h == h && s->len == len && memcmp(s->key, key, len) == 0)
            return s->r;
    }
}

static void host_table_put(struct host_table *ht, const char *name, uint32_t len, const void *v)
{
    uint64_t h = host_hash(name, len);
    for (uint32_t i = (uint32_t)h & ht->mask;; i = (i + 1) & ht->mask) {
        struct host_slot *s = &ht->s[i];
        if (!s->name) {
            *s = (struct host_slot){h, name, len, v};
            ht->n++;
            return;
        }
    }
}

static inline bool host_eq(const char *lower, const char *h, size_t n)
{
    if (memcmp(lower, h, n) == 0)
        return true; /* the usual, lowercase Host header */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + ('a' - 'A'));
        if ((unsigned char)lower[i] != c)
            return false;
    }
    return true;
}

static inline const void *host_table_get(const struct host_table *ht, const char *h, size_t n)
{
    if (!ht->n)
        return NULL;
    uint64_t hv = host_hash(h, n);
    for (uint32_t i = (uint32_t)hv & ht->mask;; i = (i + 1) & ht->mask) {
        const struct host_slot *s = &ht->s[i];
        if (!s->name)
            return NULL;
        if (s->h == hv && s->len == n && host_eq(s->name, h, n))
            return s->v;
    }
}

/* The entry for host <h> (<n> > 0 bytes): its exact one, else the wildcard
 * one of its parent when <h> is one non-empty label followed by ".parent". */
static inline const void *host_match(const struct host_table *exact, const struct host_table *wild,
                                     const char *h, size_t n)
{
    const void *v = host_table_get(exact, h, n);
    if (!v && wild->n) {
        const char *dot = memchr(h, '.', n);
        if (dot && dot > h && (size_t)(dot - h) + 1 < n) {
            size_t off = (size_t)(dot - h) + 1;
            v = host_table_get(wild, h + off, n - off);
        }
    }
    return v;
}

/* ---- lookup --------------------------------------------------------------- */

/* The host without ":port" and one trailing '.'. */
static size_t host_len(const char *h, size_t n)
{
    if (n && h[0] == '[') {
        const char *rb = memchr(h, ']', n);
        return rb ? (size_t)(rb - h) + 1 : n;
    }
    const char *colon = memchr(h, ':', n);
    if (colon)
        n = (size_t)(colon - h);
    if (n && h[n - 1] == '.')
        n--;
    return n;
}

static inline uint64_t len_bit(size_t n)
{
    return (uint64_t)1 << (n < 63 ? n : 63);
}

static const struct route *match_path(const struct host_routes *hr, const char *path, size_t n)
{
    const unsigned char *p = (const unsigned char *)path;
    const struct route *best = hr->root;
    if (n == 0)
        return best;
    const bool want_exact = (hr->exact_lens & len_bit(n)) != 0;
    const uint32_t max_depth = hr->prefix.n ? hr->max_depth : 0;
    if (!want_exact && !max_depth)
        return best;
    uint64_t h = SEED;
    uint32_t depth = 0;
    size_t start = 0;
    for (;;) {
        /* Segments are short: a plain loop beats a memchr call. */
        size_t end = start + 1;
        while (end < n && p[end] != '/')
            end++;
        h = seg_hash(h, p + start, end - start);
        depth++;
        if (depth <= max_depth) {
            const struct route *r = path_table_get(&hr->prefix, h, path, end);
            if (r)
                best = r; /* later boundaries are longer */
        }
        if (end >= n)
            break;
        if (depth >= max_depth && !want_exact)
            return best; /* no deeper rule exists */
        start = end;
    }
    if (want_exact) {
        const struct route *r = path_table_get(&hr->exact, h, path, n);
        if (r)
            return r; /* covers the whole path: nothing is longer */
    }
    return best;
}

const struct route *route_lookup(const struct route_table *t, const char *host, size_t hostlen,
                                 const char *path, size_t pathlen)
{
    const struct host_routes *hr = NULL;
    size_t n = host ? host_len(host, hostlen) : 0;
    if (n)
        hr = host_match(&t->exact, &t->wild, host, n);
    if (!hr)
        hr = t->any;
    if (!hr)
        return t->deflt;
    const struct route *r = match_path(hr, path ? path : "", path ? pathlen : 0);
    return r ? r : hr->fallback;
}

const struct tls_cert *route_cert(const struct route_table *t, const char *name)
{
    size_t n = name ? strlen(name) : 0;
    const struct tls_host *th = n ? host_match(&t->tls_exact, &t->tls_wild, name, n) : NULL;
    return th && th->cert ? th->cert : t->tls_default;
}

static int cmp_annotation(const void *pa, const void *pb)
{
    const struct route_annotation *a = pa, *b = pb;
    return strcmp(a->key, b->key);
}

const char *route_annotation(const struct route *r, const char *key)
{
    if (!r || !r->nannotations)
        return NULL;
    struct route_annotation k = {key, NULL};
    const struct route_annotation *a =
        bsearch(&k, r->annotations, r->nannotations, sizeof(k), cmp_annotation);
    return a ? a->value : NULL;
}

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
    struct iarena *a;
    struct route_cache *cache; /* NULL: nothing kept between builds */
    const struct ingress_model *m;
    struct route_table *t;
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
    re->addr = iarena_strdup(b->a, addr);
    int n =
        snprintf(hp, sizeof(hp), family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, (unsigned)port);
    re->hostport = n > 0 && (size_t)n < sizeof(hp) ? iarena_strdup(b->a, hp) : NULL;
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
    struct route_endpoint *eps = iarena_alloc(b->a, d->n * sizeof(*eps));
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

static int copy_backends(struct build *b)
{
    const struct ingress_model *m = b->m;
    struct route_table *t = b->t;
    t->backends = iarena_calloc(b->a, m->nbackends, sizeof(*t->backends));
    if (!t->backends && m->nbackends)
        return -1;
    for (size_t i = 0; i < m->nbackends; i++) {
        const struct ingress_backend *mb = &m->backends[i];
        struct route_backend *rb = &t->backends[i];
        rb->ns = iarena_strdup(b->a, mb->ns);
        rb->service = iarena_strdup(b->a, mb->service);
        rb->port_name = iarena_strdup(b->a, mb->port_name);
        rb->external_name = mb->external_name ? iarena_strdup(b->a, mb->external_name) : NULL;
        if (!rb->ns || !rb->service || !rb->port_name || (mb->external_name && !rb->external_name))
            return -1;
        rb->port = mb->port;
        rb->state = (enum route_backend_state)mb->state;
        rb->index = (uint32_t)i;
        uint64_t h = hash_bytes(SEED, (const unsigned char *)mb->ns, strlen(mb->ns), 0);
        h = hash_bytes(h, (const unsigned char *)mb->service, strlen(mb->service), 0);
        rb->key_hash = hash_bytes(h, (const unsigned char *)&mb->port, sizeof(mb->port), 0);
        if (rb->external_name && b->cache) {
            if (resolve_external(b, rb) < 0)
                return -1;
            continue;
        }
        if (!mb->nendpoints)
            continue;
        struct route_endpoint *eps = iarena_alloc(b->a, mb->nendpoints * sizeof(*eps));
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
    t->nbackends = (uint32_t)m->nbackends;
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
    struct route_annotation *v = iarena_alloc(b->a, n * sizeof(*v));
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
        v[k].key = iarena_strdup(b->a, key);
        v[k].value = iarena_strdup(b->a, s);
        free(dump);
        if (!v[k].key || !v[k].value)
            return -1;
        k++;
    }
    qsort(v, k, sizeof(*v), cmp_annotation);
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
        b->ing_ns[ing] = iarena_strdup(b->a, in->ns);
        b->ing_name[ing] = iarena_strdup(b->a, in->name);
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
        .backend = &b->t->backends[be],
        .match = ROUTE_MATCH_DEFAULT,
        .path_type = INGRESS_PATH_PREFIX,
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
    struct host_routes *hrs = iarena_calloc(b->a, nh, sizeof(*hrs));
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
        struct host_routes *hr = &hrs[h];
        size_t ne = 0, np = 0;
        for (uint32_t k = first[h]; k < first[h + 1]; k++) {
            const struct ingress_path *mp = &m->paths[order[k]];
            if (mp->type == INGRESS_PATH_EXACT)
                ne++;
            else if (mp->keylen)
                np++;
        }
        if (path_table_init(b->a, &hr->exact, ne) < 0 || path_table_init(b->a, &hr->prefix, np) < 0)
            goto out;
        for (uint32_t k = first[h]; k < first[h + 1]; k++) {
            uint32_t pi = order[k];
            const struct ingress_path *mp = &m->paths[pi];
            struct route *r = &b->routes[pi];
            if (mp->type == INGRESS_PATH_EXACT) {
                path_table_put(&hr->exact, path_hash(mp->key, mp->keylen, NULL), r->path,
                               (uint32_t)mp->keylen, r);
                hr->exact_lens |= len_bit(mp->keylen);
            } else if (mp->keylen == 0) {
                if (!hr->root)
                    hr->root = r;
            } else {
                uint32_t depth;
                uint64_t hv = path_hash(mp->key, mp->keylen, &depth);
                path_table_put(&hr->prefix, hv, r->path, (uint32_t)mp->keylen, r);
                if (depth > hr->max_depth)
                    hr->max_depth = depth;
            }
        }
        int32_t fing;
        ingress_model_fallback(m, (int32_t)h, &fing);
        hr->fallback = default_route(b, fing);
        if (fing >= 0 && !hr->fallback && m->ingresses[fing].default_backend >= 0)
            goto out; /* out of memory */
        if (!*mh->name)
            t->any = hr;
        else if (mh->name[0] == '*')
            nwild++;
        else
            nexact++;
    }
    t->exact.s = iarena_calloc(b->a, capacity_for(nexact), sizeof(*t->exact.s));
    t->wild.s = iarena_calloc(b->a, capacity_for(nwild), sizeof(*t->wild.s));
    if (!t->exact.s || !t->wild.s)
        goto out;
    t->exact.mask = capacity_for(nexact) - 1;
    t->wild.mask = capacity_for(nwild) - 1;
    for (size_t h = 0; h < nh; h++) {
        const char *name = m->hosts[h].name;
        if (!*name)
            continue;
        bool wild = name[0] == '*';
        const char *key = b->host_name[h] + (wild ? 2 : 0);
        host_table_put(wild ? &t->wild : &t->exact, key, (uint32_t)strlen(key), &hrs[h]);
    }
    rc = 0;
out:
    free(first);
    free(order);
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
    t->certs = iarena_calloc(b->a, m->ntls + 1, sizeof(*t->certs));
    struct tls_host *th = iarena_calloc(b->a, m->ntls + 1, sizeof(*th));
    t->tls_exact.s = iarena_calloc(b->a, capacity_for(nexact), sizeof(*t->tls_exact.s));
    t->tls_wild.s = iarena_calloc(b->a, capacity_for(nwild), sizeof(*t->tls_wild.s));
    if (!t->certs || !th || !t->tls_exact.s || !t->tls_wild.s)
        return -1;
    t->tls_exact.mask = capacity_for(nexact) - 1;
    t->tls_wild.mask = capacity_for(nwild) - 1;
    for (size_t i = 0; i < m->ntls; i++) {
        const struct ingress_tls *mt = &m->tls[i], *prev = i ? &m->tls[i - 1] : NULL;
        if (!mt->host[0])
            continue; /* no SNI name is "": such clients get the default */
        if (prev && prev->found == mt->found && prev->crt_b64 == mt->crt_b64 &&
            prev->key_b64 == mt->key_b64 && prev->secret_name == mt->secret_name) {
            th[i].cert = th[i - 1].cert;
        } else if ((th[i].cert = load_cert(b, mt))) {
            t->certs[t->ncerts++] = (struct tls_cert *)th[i].cert;
        }
        bool wild = mt->host[0] == '*';
        const char *key = iarena_strdup(b->a, mt->host + (wild ? 2 : 0));
        if (!key)
            return -1;
        host_table_put(wild ? &t->tls_wild : &t->tls_exact, key, (uint32_t)strlen(key), &th[i]);
    }
    if (m->default_tls.secret_name) {
        struct tls_cert *c = load_cert(b, &m->default_tls);
        if (c)
            t->tls_default = t->certs[t->ncerts++] = c;
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
    struct route_table *t = b->t;
    for (uint32_t i = 0; i < b->nroutes; i++) {
        struct route *r = &b->routes[i];
        size_t n = strlen(r->host);
        bool tls = false;
        if (r->host[0] == '*')
            tls = n > 2 && host_table_get(&t->tls_wild, r->host + 2, n - 2);
        else if (n)
            tls = host_table_get(&t->tls_exact, r->host, n) != NULL;
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
    struct iarena a;
    /* A first chunk in proportion to the configuration keeps chunks few. */
    iarena_init(&a, 4096 + m->npaths * 160 + m->nbackends * 96 + m->nhosts * 96);
    struct route_table *t = iarena_calloc(&a, 1, sizeof(*t));
    struct build b = {.a = &a, .cache = cache, .m = m, .t = t};
    if (!t)
        goto fail;
    atomic_init(&t->refs, 1);
    size_t maxroutes = m->npaths + m->ningresses;
    b.routes = iarena_calloc(&a, maxroutes ? maxroutes : 1, sizeof(*b.routes));
    b.ann = calloc(m->ningresses + 1, sizeof(*b.ann));
    b.nann = calloc(m->ningresses + 1, sizeof(*b.nann));
    b.defroute = calloc(m->ningresses + 1, sizeof(*b.defroute));
    b.ing_ns = calloc(m->ningresses + 1, sizeof(*b.ing_ns));
    b.ing_name = calloc(m->ningresses + 1, sizeof(*b.ing_name));
    b.host_name = calloc(m->nhosts + 1, sizeof(*b.host_name));
    if (!b.routes || !b.ann || !b.nann || !b.defroute || !b.ing_ns || !b.ing_name || !b.host_name)
        goto fail;
    for (size_t h = 0; h < m->nhosts; h++) {
        if (!(b.host_name[h] = iarena_strdup(&a, m->hosts[h].name)))
            goto fail;
    }
    if (copy_backends(&b) < 0)
        goto fail;
    for (size_t i = 0; i < m->npaths; i++) {
        const struct ingress_path *mp = &m->paths[i];
        struct route *r = &b.routes[i];
        *r = (struct route){
            .backend = &t->backends[mp->backend],
            .match = mp->type == INGRESS_PATH_EXACT ? ROUTE_MATCH_EXACT : ROUTE_MATCH_PREFIX,
            .path_type = mp->type,
            .host = b.host_name[mp->host],
            .path = iarena_strdup(&a, mp->path),
        };
        if (!r->path || fill_route(&b, r, mp->ingress) < 0)
            goto fail;
    }
    b.nroutes = (uint32_t)m->npaths;
    t->deflt = default_route(&b, m->default_ingress);
    if (m->default_ingress >= 0 && !t->deflt)
        goto fail;
    if (build_hosts(&b) < 0 || build_certs(&b) < 0)
        goto fail;
    build_redirects(&b);
    t->nroutes = b.nroutes;
    build_fini(&b);
    if (cache)
        cache_sweep(cache);
    t->arena = a;
    return t;
fail:
    build_fini(&b);
    for (uint32_t i = 0; t && i < t->ncerts; i++)
        tls_cert_unref(t->certs[i]);
    iarena_fini(&a);
    err_set(e, "route table: out of memory");
    return NULL;
}

/* ---- lifetime --------------------------------------------------------------- */

struct route_table *route_table_ref(struct route_table *t)
{
    atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void route_table_unref(struct route_table *t)
{
    if (!t)
        return;
    /* acq_rel: every use of the table by other threads happens before the
     * free in the thread that drops the last reference. */
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (uint32_t i = 0; i < t->ncerts; i++)
        tls_cert_unref(t->certs[i]);
    struct iarena a = t->arena; /* the table itself is in the arena */
    iarena_fini(&a);
}

uint32_t route_table_nbackends(const struct route_table *t)
{
    return t->nbackends;
}

const struct route_backend *route_table_backend(const struct route_table *t, uint32_t index)
{
    return index < t->nbackends ? &t->backends[index] : NULL;
}

uint32_t route_table_nroutes(const struct route_table *t)
{
    return t->nroutes;
}

size_t route_table_memory(const struct route_table *t)
{
    return t->arena.used;
}

void route_slot_put(struct route_slot *s, struct route_table *t)
{
    struct route_table *old = atomic_exchange_explicit(&s->next, t, memory_order_acq_rel);
    route_table_unref(old);
}

struct route_table *route_slot_take(struct route_slot *s)
{
    /* Cheap when nothing is pending: a plain load first, no exchange. */
    if (!atomic_load_explicit(&s->next, memory_order_relaxed))
        return NULL;
    return atomic_exchange_explicit(&s->next, NULL, memory_order_acq_rel);
}

void route_slot_fini(struct route_slot *s)
{
    route_table_unref(atomic_exchange_explicit(&s->next, NULL, memory_order_acq_rel));
}
