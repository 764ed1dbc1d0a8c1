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
#include "proxy/routes.h"

#include <stdlib.h>
#include <string.h>

#include "http/tls.h"

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

struct route_host {
    struct path_table exact, prefix;
    uint32_t max_depth; /* most segments in a Prefix key */
    /* Bit n (n < 63) set when an Exact key is n bytes long; bit 63 for any
     * longer one. A path of no such length skips the Exact probe, and the
     * walk can stop at the deepest Prefix key. */
    uint64_t exact_lens;
    const struct route *root;     /* Prefix "/" */
    const struct route *fallback; /* no path matched */
};

/* Host tables map a lowercase name to a struct route_host (routing) or a
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
    struct arena arena;           /* holds this struct too */
    struct host_table exact;      /* "foo.com" */
    struct host_table wild;       /* "*.foo.com" under "foo.com" */
    const struct route_host *any; /* rules without a host, or NULL */
    const struct route *deflt;    /* the default backend's route, or NULL */
    struct route_backend *backends;
    uint32_t nbackends;
    uint32_t nroutes;
    struct host_table tls_exact;        /* host -> struct tls_host */
    struct host_table tls_wild;         /* "*.foo.com" under "foo.com" */
    const struct tls_cert *tls_default; /* --default-ssl-certificate, or NULL */
    struct tls_cert **certs;            /* owned: freed with the table */
    uint32_t ncerts, maxcerts;
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

static int path_table_init(struct arena *a, struct path_table *pt, size_t n)
{
    if (n == 0) {
        *pt = (struct path_table){NULL, 0, 0};
        return 0;
    }
    uint32_t cap = capacity_for(n);
    pt->s = arena_calloc(a, cap, sizeof(*pt->s));
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

static const struct route *match_path(const struct route_host *hr, const char *path, size_t n)
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
    const struct route_host *hr = NULL;
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

void route_annotations_sort(struct route_annotation *a, size_t n)
{
    qsort(a, n, sizeof(*a), cmp_annotation);
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

/* ---- building --------------------------------------------------------------- */

struct route_table *route_table_new(size_t size_hint)
{
    struct arena a;
    arena_init(&a, size_hint);
    struct route_table *t = arena_calloc(&a, 1, sizeof(*t));
    if (!t) {
        arena_fini(&a);
        return NULL;
    }
    atomic_init(&t->refs, 1);
    t->arena = a; /* from here on, everything comes from t->arena */
    return t;
}

struct arena *route_table_arena(struct route_table *t)
{
    return &t->arena;
}

void route_table_set_backends(struct route_table *t, struct route_backend *b, uint32_t n)
{
    t->backends = b;
    t->nbackends = n;
}

void route_table_set_nroutes(struct route_table *t, uint32_t n)
{
    t->nroutes = n;
}

void route_table_set_default(struct route_table *t, const struct route *r)
{
    t->deflt = r;
}

struct route_host *route_host_new(struct route_table *t, size_t nexact, size_t nprefix)
{
    struct route_host *h = arena_calloc(&t->arena, 1, sizeof(*h));
    if (!h || path_table_init(&t->arena, &h->exact, nexact) < 0 ||
        path_table_init(&t->arena, &h->prefix, nprefix) < 0)
        return NULL;
    return h;
}

void route_host_add(struct route_host *h, const struct route *r, size_t keylen)
{
    if (r->match == ROUTE_MATCH_EXACT) {
        path_table_put(&h->exact, path_hash(r->path, keylen, NULL), r->path, (uint32_t)keylen, r);
        h->exact_lens |= len_bit(keylen);
    } else if (keylen == 0) {
        if (!h->root)
            h->root = r;
    } else {
        uint32_t depth;
        uint64_t hv = path_hash(r->path, keylen, &depth);
        path_table_put(&h->prefix, hv, r->path, (uint32_t)keylen, r);
        if (depth > h->max_depth)
            h->max_depth = depth;
    }
}

void route_host_set_fallback(struct route_host *h, const struct route *r)
{
    h->fallback = r;
}

static int host_table_init(struct arena *a, struct host_table *ht, size_t n)
{
    uint32_t cap = capacity_for(n);
    if (!(ht->s = arena_calloc(a, cap, sizeof(*ht->s))))
        return -1;
    ht->mask = cap - 1;
    ht->n = 0;
    return 0;
}

int route_table_hosts_init(struct route_table *t, size_t nexact, size_t nwild)
{
    return host_table_init(&t->arena, &t->exact, nexact) < 0 ||
                   host_table_init(&t->arena, &t->wild, nwild) < 0
               ? -1
               : 0;
}

/* "*.parent" goes to <wild> under "parent", any other name to <exact>. */
static void put_name(struct host_table *exact, struct host_table *wild, const char *name,
                     const void *v)
{
    bool w = name[0] == '*';
    const char *key = name + (w ? 2 : 0);
    host_table_put(w ? wild : exact, key, (uint32_t)strlen(key), v);
}

void route_table_add_host(struct route_table *t, const char *name, const struct route_host *h)
{
    if (!*name)
        t->any = h;
    else
        put_name(&t->exact, &t->wild, name, h);
}

int route_table_tls_init(struct route_table *t, size_t nexact, size_t nwild, size_t ncerts)
{
    t->certs = arena_calloc(&t->arena, ncerts ? ncerts : 1, sizeof(*t->certs));
    if (!t->certs || host_table_init(&t->arena, &t->tls_exact, nexact) < 0 ||
        host_table_init(&t->arena, &t->tls_wild, nwild) < 0)
        return -1;
    t->maxcerts = (uint32_t)ncerts;
    return 0;
}

int route_table_add_tls_host(struct route_table *t, const char *name, const struct tls_cert *cert)
{
    struct tls_host *th = arena_alloc(&t->arena, sizeof(*th));
    if (!th)
        return -1;
    th->cert = cert;
    put_name(&t->tls_exact, &t->tls_wild, name, th);
    return 0;
}

int route_table_own_cert(struct route_table *t, struct tls_cert *c)
{
    if (t->ncerts >= t->maxcerts)
        return -1;
    t->certs[t->ncerts++] = c;
    return 0;
}

void route_table_set_default_cert(struct route_table *t, const struct tls_cert *c)
{
    t->tls_default = c;
}

bool route_table_tls_listed(const struct route_table *t, const char *host)
{
    size_t n = strlen(host);
    if (host[0] == '*')
        return n > 2 && host_table_get(&t->tls_wild, host + 2, n - 2);
    return n && host_table_get(&t->tls_exact, host, n);
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
    struct arena a = t->arena; /* the table itself is in the arena */
    arena_fini(&a);
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
