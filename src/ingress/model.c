/* Building the Ingress model, in two phases. Phase one reads every object
 * once, in input order, into compact structs (below), which a cache keeps
 * from one build to the next: a build reads only the objects that are new
 * to it. Phase two decides the class of each Ingress, sorts ours into age
 * order and walks them in that order: first come, first served, which is
 * how conflicts and default backends are settled. */
#include "ingress/model.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/arena.h"
#include "core/text.h"

#define ANN_CLASS "kubernetes.io/ingress.class"
#define ANN_DEFAULT_CLASS "ingressclass.kubernetes.io/is-default-class"
/* Nesting of "kind: List" objects that is flattened. */
#define MAX_LIST_DEPTH 4

/* ---- a small hash map keyed by up to three strings -------------------
 *
 * Entries live in a dense array in insertion order (iteration is
 * deterministic); the index is an open-addressing table of 16-byte slots
 * (hash, entry number), so probes stay in a few cache lines. */

struct smap_kv {
    const char *k[3]; /* NULL parts are absent; k[0] is never NULL */
    void *v;
};

struct smap_slot {
    uint64_t h;
    uint32_t idx; /* entry number + 1; 0: free */
};

struct smap {
    struct smap_slot *s;
    size_t mask; /* slots - 1 (a power of two), when s != NULL */
    struct smap_kv *kv;
    size_t n, cap; /* entries, and room in kv */
};

static uint64_t hash_parts(const char *a, const char *b, const char *c)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        const unsigned char *p = (const unsigned char *)parts[i];
        if (p) {
            for (; *p; p++)
                h = (h ^ *p) * 0x100000001b3ULL;
        }
        h = (h ^ (uint64_t)(0x100 + i)) * 0x100000001b3ULL;
    }
    /* FNV's low bits cluster for keys that differ only in their last
     * bytes ("svc12", "svc13"): mix before they index the table. */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static bool part_eq(const char *x, const char *y)
{
    if (!x || !y)
        return x == y;
    return strcmp(x, y) == 0;
}

/* The slot holding the key, or the free slot where it would go. */
static struct smap_slot *smap_slot(const struct smap *m, uint64_t h, const char *a, const char *b,
                                   const char *c)
{
    for (size_t i = h & m->mask;; i = (i + 1) & m->mask) {
        struct smap_slot *s = &m->s[i];
        if (!s->idx)
            return s;
        const struct smap_kv *kv = &m->kv[s->idx - 1];
        if (s->h == h && part_eq(kv->k[0], a) && part_eq(kv->k[1], b) && part_eq(kv->k[2], c))
            return s;
    }
}

static void *smap_get(const struct smap *m, const char *a, const char *b, const char *c)
{
    if (!m->n)
        return NULL;
    const struct smap_slot *s = smap_slot(m, hash_parts(a, b, c), a, b, c);
    return s->idx ? m->kv[s->idx - 1].v : NULL;
}

/* Makes room for <n> entries in all. */
static int smap_reserve(struct smap *m, size_t n)
{
    if (n > UINT32_MAX / 4)
        return -ENOMEM;
    if (n > m->cap) {
        struct smap_kv *kv = realloc(m->kv, n * sizeof(*kv));
        if (!kv)
            return -ENOMEM;
        m->kv = kv;
        m->cap = n;
    }
    size_t slots = 16;
    while (slots < n * 2)
        slots *= 2;
    if (m->s && slots <= m->mask + 1)
        return 0;
    struct smap_slot *ns = calloc(slots, sizeof(*ns));
    if (!ns)
        return -ENOMEM;
    for (size_t i = 0; m->s && i <= m->mask; i++) {
        if (!m->s[i].idx)
            continue;
        size_t j = m->s[i].h & (slots - 1);
        while (ns[j].idx)
            j = (j + 1) & (slots - 1);
        ns[j] = m->s[i];
    }
    free(m->s);
    m->s = ns;
    m->mask = slots - 1;
    return 0;
}

/* Sets the value for the key (the key strings must outlive the map; <a> is
 * never NULL). Returns the previous value in *old (NULL if new). */
static int smap_put(struct smap *m, const char *a, const char *b, const char *c, void *v,
                    void **old)
{
    if (m->n + 1 > m->cap || !m->s) {
        if (smap_reserve(m, m->cap ? m->cap * 2 : 16) < 0)
            return -ENOMEM;
    }
    uint64_t h = hash_parts(a, b, c);
    struct smap_slot *s = smap_slot(m, h, a, b, c);
    if (old)
        *old = s->idx ? m->kv[s->idx - 1].v : NULL;
    if (s->idx) {
        m->kv[s->idx - 1].v = v;
        return 0;
    }
    m->kv[m->n] = (struct smap_kv){{a, b, c}, v};
    *s = (struct smap_slot){h, (uint32_t)++m->n};
    return 0;
}

static void smap_fini(struct smap *m)
{
    free(m->s);
    free(m->kv);
    *m = (struct smap){0};
}

/* ---- objects as read -------------------------------------------------------
 *
 * Phase one reads every object once, in input order, into these compact
 * structs in its cache entry's arena (strings copied). A 10,000-Ingress
 * cluster's JSON is ~100 MB of scattered allocations; reading it once, in
 * the order it was allocated, and doing every join (Ingress -> Service ->
 * EndpointSlices) on data that fits in cache is what keeps a full build
 * fast. */

struct xport {               /* a Service port, or an EndpointSlice/Endpoints port */
    const char *name;        /* "" when unnamed */
    int port;                /* 0 when absent or out of range */
    const char *target_name; /* Service: targetPort given as a name, else NULL */
    int target_num;          /* Service: targetPort number (port when absent); 0 when named */
    bool tcp;
};

struct xaddr {
    const char *addr;
    uint8_t family;
    uint8_t ip[16];
};

struct xeps { /* one EndpointSlice, or one subset of an Endpoints object */
    const struct xport *ports;
    uint32_t nports;
    uint32_t nall;             /* endpoints listed, ready or not */
    const struct xaddr *addrs; /* the ready ones */
    uint32_t naddrs;
    struct xeps *next; /* the next slice of the same Service */
};

struct xservice {
    bool external;
    const char *external_name;
    const struct xport *ports;
    uint32_t nports;
};

struct xsecret {
    const char *crt, *key; /* borrowed from the input */
};

struct xclass {
    bool ours, is_default;
};

enum xbackend_kind { XBK_NONE, XBK_SERVICE, XBK_RESOURCE };

struct xbackend {
    enum xbackend_kind kind;
    const char *name;  /* Service name, or "apiGroup/Kind/name" of a resource */
    int num;           /* port.number when valid */
    bool num_bad;      /* port.number given but not in 1-65535 */
    const char *pname; /* port.name, NULL when absent or empty */
};

struct xpath {
    const char *type; /* pathType as written, NULL when absent */
    const char *path; /* NULL when absent */
    struct xbackend be;
};

struct xrule {
    const char *host; /* as written; NULL when absent */
    bool http;        /* has an http section */
    uint32_t p0, np;  /* its paths in xingress.paths */
};

struct xtls {
    const char *secret;
    uint32_t h0, nh; /* its hosts in xingress.tls_hosts */
};

struct xingress {
    const char *ns, *name;
    int64_t created;
    const char *cls;       /* spec.ingressClassName, NULL when absent */
    bool has_ann_class;    /* the legacy annotation is present */
    const char *ann_class; /* its value; NULL when not a string */
    const json_t *annotations;
    bool has_default;
    struct xbackend def;
    struct xrule *rules;
    uint32_t nrules;
    struct xpath *paths;
    uint32_t npaths;
    struct xtls *tls;
    uint32_t ntls;
    const char **tls_hosts; /* NULL entries: not strings */
    uint32_t ntls_hosts;
};

/* One object as read, kept by a struct ingress_model_cache across builds.
 * The entry holds a reference to the JSON object, which keeps its address
 * from being reused (the address is the cache's key) and the strings the
 * model borrows (annotations, Secret data) alive. */
enum xkind {
    XK_NONE,
    XK_BAD_API,
    XK_INGRESS,
    XK_CLASS,
    XK_SERVICE,
    XK_SECRET,
    XK_ENDPOINTS,
    XK_SLICE
};

struct xobj {
    struct xobj *next; /* the cache's list */
    json_t *src;
    unsigned gen; /* the last build that read it */
    enum xkind kind;
    /* The block this entry and its compact form live in (it holds this
     * struct too); unused when the cache's entries share one arena. */
    struct arena arena;
    const char *ns, *name;
    union {
        const char *api; /* XK_BAD_API: the apiVersion */
        struct {
            const char *ctl;   /* spec.controller, NULL when absent */
            struct xclass cls; /* ours is set when the object is registered */
        } ic;                  /* XK_CLASS */
        struct xingress *ing;  /* XK_INGRESS */
        struct xservice svc;   /* XK_SERVICE */
        struct xsecret secret; /* XK_SECRET */
        struct {
            struct xeps *eps; /* XK_ENDPOINTS: the subsets; XK_SLICE: the slice */
            const char *svc;  /* XK_SLICE: its kubernetes.io/service-name */
        } ep;
    } u;
};

struct ingress_model_cache {
    struct xobj *all;
    struct xobj **idx; /* open addressing by src, over the entries of the last sweep */
    size_t mask;       /* slots - 1, when idx != NULL */
    unsigned gen;
    /* ingress_model_build's own cache dies with its model, entries and all,
     * so they share this arena (as one full build's data always did). A
     * cache kept across builds (shared == NULL) gives each entry a block of
     * its own sized to fit, since objects then come and go one by one. */
    struct arena *shared;
};

/* ---- the builder ------------------------------------------------------ */

struct backend_priv {
    uint32_t warned;      /* last Ingress told about this backend's problem, +1 */
    uint32_t next;        /* next backend of the same Service, +1; 0 ends */
    int raw_num;          /* the port as an Ingress first wrote it */
    const char *raw_name; /* NULL when given by number */
};

struct ingress_model_priv {
    struct arena arena;
    /* The cache of ingress_model_build, or NULL when the caller owns it. */
    struct ingress_model_cache *own_cache;
    /* Arrays grown with realloc; their sizes live in the model. */
    size_t cap_ingresses, cap_backends, cap_hosts, cap_paths, cap_tls, cap_warnings;
    struct backend_priv *bpriv; /* parallel to backends */
    struct smap hosts;          /* host name -> index + 1 */
};

struct builder {
    struct ingress_model *m;
    struct ingress_model_priv *p;
    const char *class_name, *controller;
    struct ingress_model_cache *cache;
    struct arena *ra; /* the arena of the object being read */
    bool oom;
    struct smap classes;    /* name -> struct xclass */
    struct smap services;   /* ns, name -> struct xservice */
    struct smap endpoints;  /* ns, name -> struct xeps list (subsets) */
    struct smap slices;     /* ns, name, service -> struct xeps (dedup) */
    struct smap by_svc;     /* ns, service -> struct xeps list */
    struct smap secrets;    /* ns, name -> struct xsecret */
    struct smap raw;        /* ns, name -> index in xing + 1 */
    struct smap backends;   /* ns, service -> first backend index + 1 (chained) */
    struct smap routes;     /* host, kind, key -> path index + 1 */
    struct smap tls;        /* host -> tls index + 1 */
    struct xingress **xing; /* every networking.k8s.io/v1 Ingress, input order */
    size_t nxing, cap_xing;
    struct xingress **order; /* ours, age order: parallel to m->ingresses */
    bool have_default_class;
    struct buf scratch;
    const json_t **tmp; /* read_ingress: each rule's paths */
    size_t cap_tmp;
    void *grown; /* GROW's result */
};

/* <p> reallocated to twice *cap elements of <size> (16 at first); NULL
 * when memory runs out (then <p> and *cap are unchanged). */
static void *grow_block(void *p, size_t *cap, size_t size)
{
    size_t ncap = *cap ? *cap * 2 : 16;
    if (ncap > SIZE_MAX / size)
        return NULL;
    void *np = realloc(p, ncap * size);
    if (np)
        *cap = ncap;
    return np;
}

/* Makes room for element <n> of the array <arr> of capacity <cap>: 0, or
 * -ENOMEM. The new block goes through b->grown so that <arr> is assigned
 * with its own type. */
/* clang-format off */
#define GROW(arr, cap, n)                                                                          \
    ((n) < (cap) ? 0                                                                               \
     : (b->grown = grow_block((arr), &(cap), sizeof(*(arr)))) ? ((arr) = b->grown, 0)              \
     : -ENOMEM)
/* clang-format on */

static const char *str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* An arena copy of a JSON string, NULL when <v> is not a string (or memory
 * ran out: b->oom then says so). */
static const char *xdup(struct builder *b, const json_t *v)
{
    if (!json_is_string(v))
        return NULL;
    const char *s = arena_strndup(b->ra, json_string_value(v), json_string_length(v));
    if (!s)
        b->oom = true;
    return s;
}

static void *xalloc(struct builder *b, size_t n, size_t size)
{
    void *p = arena_calloc(b->ra, n, size);
    if (!p)
        b->oom = true;
    return p;
}

/* Adds a warning about Ingress ns/name. Returns 0 or -ENOMEM. */
__attribute__((format(printf, 4, 5))) static int warn(struct builder *b, const char *ns,
                                                      const char *name, const char *fmt, ...)
{
    struct ingress_model *m = b->m;
    if (GROW(m->warnings, b->p->cap_warnings, m->nwarnings) < 0)
        return -ENOMEM;
    buf_reset(&b->scratch);
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vaddf(&b->scratch, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return -ENOMEM;
    char *msg = arena_strndup(&b->p->arena, buf_str(&b->scratch), b->scratch.len);
    if (!msg)
        return -ENOMEM;
    m->warnings[m->nwarnings++] = (struct ingress_warning){ns, name, msg};
    return 0;
}

static int warn_ing(struct builder *b, uint32_t ing, const char *msg)
{
    const struct ingress_info *in = &b->m->ingresses[ing];
    return warn(b, in->ns, in->name, "%s", msg);
}

/* Formats into the arena; NULL when memory runs out. */
__attribute__((format(printf, 2, 3))) static const char *afmt(struct builder *b, const char *fmt,
                                                              ...)
{
    buf_reset(&b->scratch);
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vaddf(&b->scratch, fmt, ap);
    va_end(ap);
    if (rc < 0)
        return NULL;
    return arena_strndup(&b->p->arena, buf_str(&b->scratch), b->scratch.len);
}

/* ---- phase one: reading objects -------------------------------------------- */

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int port_number(const json_t *v)
{
    if (!json_is_integer(v))
        return 0;
    json_int_t n = json_integer_value(v);
    return n >= 1 && n <= 65535 ? (int)n : 0;
}

/* Finds several members of <obj> in one walk over it: out[i] is the value
 * of keys[i], or NULL. On the ~100 MB of jansson allocations of a large
 * cluster every member touched is a cache miss; a walk touches each member
 * once, where json_object_get per key hashes the key and walks a bucket
 * every time (measured: ~25% less time, ~half the instructions). */
static void fields(const json_t *obj, const char *const *keys, size_t n, const json_t **out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    if (!json_is_object(obj))
        return;
    size_t found = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        for (size_t i = 0; i < n; i++) {
            if (!out[i] && k[0] == keys[i][0] && strcmp(k, keys[i]) == 0) {
                out[i] = v;
                if (++found == n)
                    return;
                break;
            }
        }
    }
}

#define FIELDS(obj, out, ...)                                                                      \
    do {                                                                                           \
        static const char *const keys_[] = {__VA_ARGS__};                                          \
        _Static_assert(sizeof(keys_) / sizeof(keys_[0]) == sizeof(out) / sizeof((out)[0]),         \
                       "one output per key");                                                      \
        fields((obj), keys_, sizeof(keys_) / sizeof(keys_[0]), (out));                             \
    } while (0)

/* A ports array. <service>: Service ports (targetPort read); otherwise
 * EndpointSlice/Endpoints ports. */
static const struct xport *read_ports(struct builder *b, const json_t *arr, bool service,
                                      uint32_t *n)
{
    size_t cnt = json_array_size(arr);
    *n = 0;
    if (!cnt)
        return NULL;
    struct xport *v = xalloc(b, cnt, sizeof(*v));
    if (!v)
        return NULL;
    size_t i;
    const json_t *p;
    json_array_foreach(arr, i, p)
    {
        struct xport *x = &v[i];
        const json_t *f[4];
        FIELDS(p, f, "name", "port", "protocol", "targetPort");
        const char *name = xdup(b, f[0]);
        const char *proto = json_string_value(f[2]);
        x->name = name ? name : "";
        x->port = port_number(f[1]);
        x->tcp = !proto || strcmp(proto, "TCP") == 0;
        if (service) {
            if (json_is_string(f[3])) {
                x->target_name = xdup(b, f[3]);
            } else {
                x->target_num = port_number(f[3]) ? port_number(f[3]) : x->port;
            }
        }
    }
    *n = (uint32_t)cnt;
    return v;
}

/* Parses an address; false for FQDNs and garbage (nothing to connect to). */
static bool read_addr(struct builder *b, const json_t *v, struct xaddr *a)
{
    const char *s = json_string_value(v);
    if (!s)
        return false;
    if (inet_pton(AF_INET, s, a->ip) == 1) {
        a->family = AF_INET;
    } else if (inet_pton(AF_INET6, s, a->ip) == 1) {
        a->family = AF_INET6;
    } else {
        return false;
    }
    a->addr = xdup(b, v);
    return a->addr != NULL;
}

/* <top>: addressType, ports, endpoints of the object. A slice without a
 * Service or of addressType FQDN stays XK_NONE. */
static int read_slice(struct builder *b, struct xobj *o, const json_t *const *top,
                      const json_t *labels)
{
    const char *svc = xdup(b, json_object_get(labels, INGRESS_LABEL_SERVICE_NAME));
    if (!svc || !*svc)
        return 0;
    const char *at = json_string_value(top[0]);
    if (at && strcmp(at, "IPv4") != 0 && strcmp(at, "IPv6") != 0)
        return 0; /* FQDN slices: nothing to connect to */
    struct xeps *x = xalloc(b, 1, sizeof(*x));
    if (!x)
        return -ENOMEM;
    x->ports = read_ports(b, top[1], false, &x->nports);
    const json_t *eps = top[2];
    size_t cnt = json_array_size(eps);
    struct xaddr *addrs = cnt ? xalloc(b, cnt, sizeof(*addrs)) : NULL;
    size_t i;
    const json_t *ep;
    json_array_foreach(eps, i, ep)
    {
        const json_t *f[2];
        FIELDS(ep, f, "addresses", "conditions");
        x->nall++;
        /* Absent or null counts as ready, as the API says. A terminating
         * endpoint is left out even when ready (a Service that publishes
         * not-ready addresses keeps ready true while its pod shuts down). */
        if (json_is_false(json_object_get(f[1], "ready")) ||
            json_is_true(json_object_get(f[1], "terminating")))
            continue;
        /* All addresses of an endpoint are the same pod: the first one is
         * enough (kube-proxy does the same). */
        if (addrs && read_addr(b, json_array_get(f[0], 0), &addrs[x->naddrs]))
            x->naddrs++;
    }
    x->addrs = addrs;
    o->kind = XK_SLICE;
    o->u.ep.eps = x;
    o->u.ep.svc = svc;
    return 0;
}

static int read_endpoints(struct builder *b, struct xobj *o, const json_t *subsets)
{
    struct xeps *head = NULL, **tail = &head;
    size_t i;
    const json_t *ss;
    json_array_foreach(subsets, i, ss)
    {
        struct xeps *x = xalloc(b, 1, sizeof(*x));
        if (!x)
            return -ENOMEM;
        const json_t *f[2];
        FIELDS(ss, f, "ports", "addresses"); /* not notReadyAddresses */
        x->ports = read_ports(b, f[0], false, &x->nports);
        size_t cnt = json_array_size(f[1]);
        struct xaddr *av = cnt ? xalloc(b, cnt, sizeof(*av)) : NULL;
        size_t j;
        const json_t *a;
        json_array_foreach(f[1], j, a)
        {
            x->nall++;
            if (av && read_addr(b, json_object_get(a, "ip"), &av[x->naddrs]))
                x->naddrs++;
        }
        x->addrs = av;
        *tail = x;
        tail = &x->next;
    }
    /* An Endpoints object with no subsets still says "the Service exists and
     * has no endpoints": file an empty subset. */
    if (!head && !(head = xalloc(b, 1, sizeof(*head))))
        return -ENOMEM;
    o->kind = XK_ENDPOINTS;
    o->u.ep.eps = head;
    return 0;
}

static void read_backend(struct builder *b, const json_t *bk, struct xbackend *x)
{
    const json_t *f[2];
    FIELDS(bk, f, "service", "resource");
    if (json_is_object(f[0])) {
        const json_t *sf[2], *pf[2];
        FIELDS(f[0], sf, "name", "port");
        FIELDS(sf[1], pf, "number", "name");
        x->kind = XBK_SERVICE;
        x->name = xdup(b, sf[0]);
        x->num = port_number(pf[0]);
        x->num_bad = pf[0] && !x->num;
        x->pname = xdup(b, pf[1]);
        if (x->pname && !*x->pname)
            x->pname = NULL;
        return;
    }
    if (json_is_object(f[1])) {
        const json_t *rf[3];
        FIELDS(f[1], rf, "apiGroup", "kind", "name");
        const char *g = json_string_value(rf[0]), *k = json_string_value(rf[1]),
                   *n = json_string_value(rf[2]);
        x->kind = XBK_RESOURCE;
        buf_reset(&b->scratch);
        if (buf_addf(&b->scratch, "%s/%s/%s", g ? g : "", k ? k : "", n ? n : "") < 0 ||
            !(x->name = arena_strndup(b->ra, buf_str(&b->scratch), b->scratch.len)))
            b->oom = true;
        return;
    }
    x->kind = XBK_NONE;
}

/* <meta>: creationTimestamp, annotations. */
static int read_ingress(struct builder *b, struct xobj *o, const json_t *spec,
                        const json_t *const *meta)
{
    struct xingress *x = xalloc(b, 1, sizeof(*x));
    if (!x)
        return -ENOMEM;
    x->ns = o->ns;
    x->name = o->name;
    if (text_rfc3339_parse(json_string_value(meta[0]), &x->created) < 0)
        x->created = INT64_MIN;
    if (json_is_object(meta[1])) {
        x->annotations = meta[1];
        const json_t *cls = json_object_get(meta[1], ANN_CLASS);
        x->has_ann_class = cls != NULL;
        x->ann_class = xdup(b, cls);
    }
    const json_t *sf[4];
    FIELDS(spec, sf, "ingressClassName", "defaultBackend", "rules", "tls");
    x->cls = xdup(b, sf[0]);
    if (sf[1]) {
        x->has_default = true;
        read_backend(b, sf[1], &x->def);
    }

    const json_t *rules = sf[2];
    size_t nr = json_array_size(rules), np = 0, i;
    const json_t *r;
    if (nr && !(x->rules = xalloc(b, nr, sizeof(*x->rules))))
        return -ENOMEM;
    if (nr > b->cap_tmp) {
        const json_t **t = realloc(b->tmp, nr * sizeof(*t));
        if (!t)
            return -ENOMEM;
        b->tmp = t;
        b->cap_tmp = nr;
    }
    json_array_foreach(rules, i, r)
    {
        const json_t *rf[2];
        FIELDS(r, rf, "host", "http");
        struct xrule *xr = &x->rules[x->nrules++];
        xr->host = xdup(b, rf[0]);
        xr->http = json_is_object(rf[1]);
        /* Paths are read below, once all are counted; p0 holds the array. */
        const json_t *paths = json_object_get(rf[1], "paths");
        xr->np = (uint32_t)json_array_size(paths);
        xr->p0 = (uint32_t)np;
        np += xr->np;
        b->tmp[i] = paths;
    }
    if (np && !(x->paths = xalloc(b, np, sizeof(*x->paths))))
        return -ENOMEM;
    for (i = 0; i < nr; i++) {
        size_t j;
        const json_t *p;
        json_array_foreach(b->tmp[i], j, p)
        {
            const json_t *pf[3];
            FIELDS(p, pf, "path", "pathType", "backend");
            struct xpath *xp = &x->paths[x->rules[i].p0 + j];
            xp->path = xdup(b, pf[0]);
            xp->type = xdup(b, pf[1]);
            read_backend(b, pf[2], &xp->be);
        }
    }
    x->npaths = (uint32_t)np;

    const json_t *tls = sf[3];
    size_t nt = json_array_size(tls), nh = 0;
    const json_t *t;
    json_array_foreach(tls, i, t)
    {
        nh += json_array_size(json_object_get(t, "hosts"));
    }
    x->tls = nt ? xalloc(b, nt, sizeof(*x->tls)) : NULL;
    x->tls_hosts = nh ? xalloc(b, nh, sizeof(*x->tls_hosts)) : NULL;
    if ((nt && !x->tls) || (nh && !x->tls_hosts))
        return -ENOMEM;
    json_array_foreach(tls, i, t)
    {
        struct xtls *xt = &x->tls[x->ntls++];
        xt->secret = xdup(b, json_object_get(t, "secretName"));
        xt->h0 = x->ntls_hosts;
        size_t j;
        const json_t *h;
        json_array_foreach(json_object_get(t, "hosts"), j, h)
        {
            x->tls_hosts[x->ntls_hosts++] = xdup(b, h);
        }
        xt->nh = x->ntls_hosts - xt->h0;
    }
    o->kind = XK_INGRESS;
    o->u.ing = x;
    return 0;
}

enum { T_KIND, T_API, T_META, T_SPEC, T_ITEMS, T_DATA, T_SUBSETS, T_ADDRTYPE, T_PORTS, T_EPS, T_N };
enum { M_NAME, M_NS, M_CREATED, M_ANN, M_LABELS, M_N };

/* Fills <o> from the object: see read_object. Returns 0 or -ENOMEM. */
static int read_fields(struct builder *b, struct xobj *o, const json_t *const *top,
                       const char *kind, const char *api)
{
    bool ingress = strcmp(kind, "Ingress") == 0;
    bool v1 = strcmp(api, "v1") == 0;
    if (!ingress &&
        !(strcmp(kind, "IngressClass") == 0 && starts_with(api, "networking.k8s.io/")) &&
        !(v1 && (strcmp(kind, "Service") == 0 || strcmp(kind, "Endpoints") == 0 ||
                 strcmp(kind, "Secret") == 0)) &&
        !(strcmp(kind, "EndpointSlice") == 0 && starts_with(api, "discovery.k8s.io/")))
        return 0;
    const json_t *meta[M_N];
    FIELDS(top[T_META], meta, "name", "namespace", "creationTimestamp", "annotations", "labels");
    const char *jname = json_string_value(meta[M_NAME]);
    if (!jname || !*jname)
        return 0;
    o->name = xdup(b, meta[M_NAME]);
    o->ns = xdup(b, meta[M_NS]);
    if (!o->ns || !*o->ns)
        o->ns = "default";
    if (!o->name)
        return -ENOMEM;
    int rc = 0;
    if (ingress) {
        if (strcmp(api, "networking.k8s.io/v1") != 0) {
            o->kind = XK_BAD_API;
            o->u.api = arena_strdup(b->ra, api);
            rc = o->u.api ? 0 : -ENOMEM;
        } else {
            rc = read_ingress(b, o, top[T_SPEC], meta + M_CREATED);
        }
    } else if (kind[0] == 'I') { /* IngressClass */
        const char *d = str_of(meta[M_ANN], ANN_DEFAULT_CLASS);
        o->kind = XK_CLASS;
        o->u.ic.ctl = xdup(b, json_object_get(top[T_SPEC], "controller"));
        o->u.ic.cls.is_default = d && strcmp(d, "true") == 0;
    } else if (kind[0] == 'S' && kind[2] == 'r') { /* Service */
        struct xservice *sv = &o->u.svc;
        const json_t *sf[3];
        FIELDS(top[T_SPEC], sf, "type", "externalName", "ports");
        const char *type = json_string_value(sf[0]);
        o->kind = XK_SERVICE;
        sv->external = type && strcmp(type, "ExternalName") == 0;
        if (sv->external)
            sv->external_name = xdup(b, sf[1]);
        sv->ports = read_ports(b, sf[2], true, &sv->nports);
    } else if (kind[0] == 'S') { /* Secret */
        o->kind = XK_SECRET;
        o->u.secret.crt = str_of(top[T_DATA], "tls.crt");
        o->u.secret.key = str_of(top[T_DATA], "tls.key");
    } else if (kind[0] == 'E' && kind[8] == 's') { /* Endpoints */
        rc = read_endpoints(b, o, top[T_SUBSETS]);
    } else { /* EndpointSlice */
        rc = read_slice(b, o, top + T_ADDRTYPE, meta[M_LABELS]);
    }
    return rc < 0 || b->oom ? -ENOMEM : 0;
}

/* Reads one object (<top>: its members, <kind> and <api> present) into a
 * new entry in b->ra; kinds the model does not read are XK_NONE. Returns
 * the entry, or NULL when memory runs out. */
static struct xobj *read_object(struct builder *b, const json_t *const *top, const char *kind,
                                const char *api)
{
    struct xobj *o = xalloc(b, 1, sizeof(*o));
    return o && read_fields(b, o, top, kind, api) == 0 ? o : NULL;
}

/* Exactly as many bytes as reading the object takes: read it once into a
 * scratch arena to learn the size, then again into a block of that size.
 * Reading one object twice costs microseconds; slack in 30,000 long-lived
 * blocks would cost megabytes. */
static struct xobj *read_object_sized(struct builder *b, const json_t *const *top, const char *kind,
                                      const char *api)
{
    struct arena a;
    arena_init(&a, 4096);
    /* <b> points at the local arena only while an object is read into it;
     * every way out leaves it NULL or pointing at the entry's arena. */
    // cppcheck-suppress autoVariables
    b->ra = &a;
    size_t size = read_object(b, top, kind, api) ? a.used : 0;
    arena_fini(&a);
    b->ra = NULL;
    if (!size)
        return NULL;
    arena_init(&a, size);
    b->ra = &a;
    struct xobj *o = read_object(b, top, kind, api);
    if (!o) {
        arena_fini(&a);
        b->ra = NULL;
        return NULL;
    }
    o->arena = a; /* from now on the arena's state lives in the entry */
    b->ra = &o->arena;
    return o;
}

/* Puts an object read now or by an earlier build into the maps of this
 * build, in input order: of two objects with the same kind, namespace and
 * name, the later one wins. Returns 0 or -ENOMEM. */
static int register_object(struct builder *b, struct xobj *o)
{
    void *old;
    switch (o->kind) {
    case XK_NONE:
        return 0;
    case XK_BAD_API:
        return warn(b, o->ns, o->name,
                    "apiVersion %s is not supported; only networking.k8s.io/v1 Ingresses are read",
                    o->u.api);
    case XK_INGRESS:
        if (GROW(b->xing, b->cap_xing, b->nxing) < 0 ||
            smap_put(&b->raw, o->ns, o->name, NULL, (void *)(uintptr_t)(b->nxing + 1), &old) < 0)
            return -ENOMEM;
        if (old)
            b->xing[(uintptr_t)old - 1] = o->u.ing; /* the later one wins */
        else
            b->xing[b->nxing++] = o->u.ing;
        return 0;
    case XK_CLASS:
        o->u.ic.cls.ours = o->u.ic.ctl && strcmp(o->u.ic.ctl, b->controller) == 0;
        return smap_put(&b->classes, o->name, NULL, NULL, &o->u.ic.cls, NULL);
    case XK_SERVICE:
        return smap_put(&b->services, o->ns, o->name, NULL, &o->u.svc, NULL);
    case XK_SECRET:
        return smap_put(&b->secrets, o->ns, o->name, NULL, &o->u.secret, NULL);
    case XK_ENDPOINTS:
        return smap_put(&b->endpoints, o->ns, o->name, NULL, o->u.ep.eps, NULL);
    case XK_SLICE:
        return smap_put(&b->slices, o->ns, o->name, o->u.ep.svc, o->u.ep.eps, NULL);
    }
    return 0;
}

static size_t cache_slot(const struct ingress_model_cache *c, const json_t *src)
{
    uint64_t h = (uint64_t)(uintptr_t)src * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 32) & c->mask;
}

/* The entry of an earlier build for exactly this JSON object, or NULL. */
static struct xobj *cache_find(const struct ingress_model_cache *c, const json_t *src)
{
    if (!c->idx)
        return NULL;
    for (size_t i = cache_slot(c, src);; i = (i + 1) & c->mask) {
        if (!c->idx[i] || c->idx[i]->src == src)
            return c->idx[i];
    }
}

/* Walks the input (List objects flattened), reading what the cache does
 * not know and registering everything. */
static int read_objects(struct builder *b, const json_t *arr, int depth)
{
    struct ingress_model_cache *c = b->cache;
    size_t i;
    json_t *obj;
    json_array_foreach(arr, i, obj)
    {
        struct xobj *o = cache_find(c, obj);
        if (!o) {
            const json_t *top[T_N];
            FIELDS(obj, top, "kind", "apiVersion", "metadata", "spec", "items", "data", "subsets",
                   "addressType", "ports", "endpoints");
            const char *kind = json_string_value(top[T_KIND]);
            const char *api = json_string_value(top[T_API]);
            if (!kind)
                continue;
            if (ends_with(kind, "List") && json_is_array(top[T_ITEMS])) {
                if (depth < MAX_LIST_DEPTH && read_objects(b, top[T_ITEMS], depth + 1) < 0)
                    return -ENOMEM;
                continue;
            }
            if (!api)
                continue;
            b->ra = c->shared;
            o = c->shared ? read_object(b, top, kind, api) : read_object_sized(b, top, kind, api);
            if (!o)
                return -ENOMEM;
            o->src = json_incref(obj);
            o->next = c->all;
            c->all = o;
        }
        o->gen = c->gen;
        if (register_object(b, o) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* Groups EndpointSlices by their kubernetes.io/service-name label (the third
 * key part in b->slices). A slice read twice (same namespace, name and
 * label) counts once: the last one. The chains (xeps.next) live in cached
 * entries: every build links them afresh, and only through b->by_svc. */
static int group_slices(struct builder *b)
{
    if (smap_reserve(&b->by_svc, b->slices.n) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < b->slices.n; i++) {
        const struct smap_kv *e = &b->slices.kv[i];
        struct xeps *x = e->v;
        x->next = smap_get(&b->by_svc, e->k[0], e->k[2], NULL);
        if (smap_put(&b->by_svc, e->k[0], e->k[2], NULL, x, NULL) < 0)
            return -ENOMEM;
    }
    return 0;
}

/* ---- class selection ---------------------------------------------------- */

static void find_default_class(struct builder *b)
{
    for (size_t i = 0; i < b->classes.n; i++) {
        const struct xclass *c = b->classes.kv[i].v;
        if (c->ours && c->is_default)
            b->have_default_class = true;
    }
}

/* Returns true when the Ingress is ours, with the reason in *why (the rules
 * are in model.h). */
static bool ingress_is_ours(const struct builder *b, const struct xingress *x,
                            enum ingress_class_reason *why)
{
    if (x->cls && *x->cls) {
        const struct xclass *c = smap_get(&b->classes, x->cls, NULL, NULL);
        if (c) {
            *why = INGRESS_CLASS_BY_CLASS_OBJECT;
            return c->ours;
        }
        *why = INGRESS_CLASS_BY_NAME;
        return strcmp(x->cls, b->class_name) == 0;
    }
    if (x->has_ann_class) {
        *why = INGRESS_CLASS_BY_ANNOTATION;
        return x->ann_class && strcmp(x->ann_class, b->class_name) == 0;
    }
    *why = INGRESS_CLASS_BY_DEFAULT;
    return b->have_default_class;
}

static int cmp_xingress(const void *pa, const void *pb)
{
    const struct xingress *a = *(const struct xingress *const *)pa;
    const struct xingress *b = *(const struct xingress *const *)pb;
    if (a->created != b->created)
        return a->created < b->created ? -1 : 1;
    int c = strcmp(a->ns, b->ns);
    return c ? c : strcmp(a->name, b->name);
}

/* ---- endpoints ------------------------------------------------------------ */

/* The pod port for Service port <sp> in an EndpointSlice's (or Endpoints
 * subset's) ports, as ingress-nginx picks it: the TCP entry named like the
 * Service port (that is how Kubernetes names them; "" when unnamed); else,
 * for an unnamed Service port, the first TCP entry; else the entry whose
 * number is the numeric targetPort, or whose name is the named targetPort
 * (hand-written objects). A slice without ports gets the numeric
 * targetPort. 0: this slice does not serve the port. */
static int pick_port(const struct xeps *x, const struct xport *sp)
{
    if (!x->nports)
        return sp->target_num;
    for (uint32_t i = 0; i < x->nports; i++) {
        const struct xport *p = &x->ports[i];
        if (p->tcp && p->port && strcmp(p->name, sp->name) == 0)
            return p->port;
    }
    for (uint32_t i = 0; i < x->nports; i++) {
        const struct xport *p = &x->ports[i];
        if (!p->tcp || !p->port)
            continue;
        if (!*sp->name || p->port == sp->target_num ||
            (sp->target_name && strcmp(p->name, sp->target_name) == 0))
            return p->port;
    }
    return 0;
}

static int cmp_endpoint(const void *pa, const void *pb)
{
    const struct ingress_endpoint *a = pa, *b = pb;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    int c = memcmp(a->ip, b->ip, sizeof(a->ip));
    if (c)
        return c;
    return (int)a->port - (int)b->port;
}

/* Fills the backend's endpoints from the Service's EndpointSlices, or from
 * its Endpoints object when no slice names the Service. */
static int collect_endpoints(struct builder *b, struct ingress_backend *be, const struct xport *sp)
{
    const struct xeps *list = smap_get(&b->by_svc, be->ns, be->service, NULL);
    if (!list) {
        list = smap_get(&b->endpoints, be->ns, be->service, NULL);
        if (!list) {
            be->problem =
                afmt(b, "service \"%s/%s\" has no EndpointSlice or Endpoints", be->ns, be->service);
            return be->problem ? 0 : -ENOMEM;
        }
    }
    size_t n = 0;
    for (const struct xeps *x = list; x; x = x->next)
        n += x->naddrs;
    struct ingress_endpoint *v = n ? arena_alloc(&b->p->arena, n * sizeof(*v)) : NULL;
    if (n && !v)
        return -ENOMEM;
    bool unresolved = false;
    size_t k = 0;
    for (const struct xeps *x = list; x; x = x->next) {
        int port = pick_port(x, sp);
        if (!port) {
            unresolved |= x->nall > 0;
            continue;
        }
        for (uint32_t i = 0; i < x->naddrs; i++) {
            const struct xaddr *a = &x->addrs[i];
            struct ingress_endpoint *ep = &v[k++];
            ep->addr = a->addr;
            ep->port = (uint16_t)port;
            ep->family = a->family;
            memcpy(ep->ip, a->ip, sizeof(ep->ip));
        }
    }
    if (k > 1) {
        qsort(v, k, sizeof(*v), cmp_endpoint);
        size_t u = 1;
        for (size_t i = 1; i < k; i++) {
            if (cmp_endpoint(&v[i], &v[u - 1]) != 0)
                v[u++] = v[i];
        }
        k = u;
    }
    be->endpoints = k ? v : NULL;
    be->nendpoints = k;
    if (unresolved && !k) {
        be->problem = afmt(b,
                           "service \"%s/%s\" port %s: targetPort \"%s\" matches no port of its "
                           "endpoints",
                           be->ns, be->service, *sp->name ? sp->name : "(unnamed)",
                           sp->target_name ? sp->target_name : "");
        if (!be->problem)
            return -ENOMEM;
    }
    return 0;
}

/* ---- backends ------------------------------------------------------------- */

/* A new backend for <ns>/<service>, chained to the others of that Service;
 * <raw_num>/<raw_name> are the port as the Ingress wrote it. Returns its
 * index, or -1 when memory runs out. */
static int32_t new_backend(struct builder *b, const char *ns, const char *service, int raw_num,
                           const char *raw_name)
{
    struct ingress_model *m = b->m;
    size_t cap = b->p->cap_backends;
    if (GROW(m->backends, b->p->cap_backends, m->nbackends) < 0)
        return -1;
    if (cap != b->p->cap_backends) {
        void *np = realloc(b->p->bpriv, b->p->cap_backends * sizeof(*b->p->bpriv));
        if (!np)
            return -1;
        b->p->bpriv = np;
    }
    uint32_t idx = (uint32_t)m->nbackends;
    void *head;
    if (smap_put(&b->backends, ns, service, NULL, (void *)(uintptr_t)(idx + 1), &head) < 0)
        return -1;
    m->backends[idx] = (struct ingress_backend){.ns = ns, .service = service, .port_name = ""};
    b->p->bpriv[idx] = (struct backend_priv){
        .warned = 0,
        .next = (uint32_t)(uintptr_t)head,
        .raw_num = raw_num,
        .raw_name = raw_name,
    };
    m->nbackends++;
    return (int32_t)idx;
}

/* Tells Ingress <ing> about the backend's problem, once per Ingress.
 * Returns <idx>, or -2 when memory runs out. */
static int32_t report(struct builder *b, uint32_t ing, int32_t idx)
{
    const struct ingress_backend *be = &b->m->backends[idx];
    struct backend_priv *bp = &b->p->bpriv[idx];
    if (!be->problem || bp->warned == ing + 1)
        return idx;
    bp->warned = ing + 1;
    return warn_ing(b, ing, be->problem) < 0 ? -2 : idx;
}

static int32_t resolve_resource(struct builder *b, uint32_t ing, const char *id)
{
    const char *ns = b->m->ingresses[ing].ns;
    for (uint32_t i = (uint32_t)(uintptr_t)smap_get(&b->backends, ns, id, NULL); i;
         i = b->p->bpriv[i - 1].next) {
        if (b->m->backends[i - 1].state == INGRESS_BACKEND_RESOURCE)
            return report(b, ing, (int32_t)i - 1);
    }
    int32_t idx = new_backend(b, ns, id, 0, NULL);
    if (idx < 0)
        return -2;
    b->m->backends[idx].state = INGRESS_BACKEND_RESOURCE;
    b->m->backends[idx].problem = afmt(b, "resource backend %s is not supported", id);
    if (!b->m->backends[idx].problem)
        return -2;
    return report(b, ing, idx);
}

/* Resolves spec.defaultBackend or a path's backend of Ingress <ing>. Returns
 * the backend index, -1 when the backend is unusable (a warning says why;
 * the caller skips it), -2 when memory runs out.
 * Backends are shared: first by the port as written (the common case costs
 * one map probe), then by the resolved Service port, so a port named in one
 * Ingress and numbered in another is one backend. */
static int32_t resolve_backend(struct builder *b, uint32_t ing, const struct xbackend *x)
{
    struct ingress_info *in = &b->m->ingresses[ing];
    if (x->kind == XBK_RESOURCE)
        return resolve_resource(b, ing, x->name);
    if (x->kind == XBK_NONE)
        return warn_ing(b, ing, "backend has neither service nor resource; ignored") < 0 ? -2 : -1;
    const char *name = x->name;
    if (!name || !*name)
        return warn_ing(b, ing, "backend service has no name; ignored") < 0 ? -2 : -1;
    if (x->num_bad) {
        return warn(b, in->ns, in->name,
                    "service \"%s/%s\": port number is not in 1-65535; backend ignored", in->ns,
                    name) < 0
                   ? -2
                   : -1;
    }
    int want_num = x->num;
    const char *want_name = x->pname;
    if (want_num && want_name) {
        if (warn(b, in->ns, in->name,
                 "service \"%s/%s\": port has both number and name; using the number", in->ns,
                 name) < 0)
            return -2;
        want_name = NULL;
    }

    uint32_t head = (uint32_t)(uintptr_t)smap_get(&b->backends, in->ns, name, NULL);
    for (uint32_t i = head; i; i = b->p->bpriv[i - 1].next) {
        const struct backend_priv *bp = &b->p->bpriv[i - 1];
        if (b->m->backends[i - 1].state != INGRESS_BACKEND_RESOURCE && bp->raw_num == want_num &&
            part_eq(bp->raw_name, want_name))
            return report(b, ing, (int32_t)i - 1);
    }

    /* The Service port, when both Service and port exist. */
    const struct xservice *so = smap_get(&b->services, in->ns, name, NULL);
    const struct xport *sp = NULL;
    for (uint32_t i = 0; so && i < so->nports && !sp; i++) {
        const struct xport *p = &so->ports[i];
        if (want_name ? strcmp(p->name, want_name) == 0 : want_num && p->port == want_num)
            sp = p;
    }
    if (sp) {
        for (uint32_t k = head; k; k = b->p->bpriv[k - 1].next) {
            const struct ingress_backend *ob = &b->m->backends[k - 1];
            if ((ob->state == INGRESS_BACKEND_OK || ob->state == INGRESS_BACKEND_EXTERNAL_NAME) &&
                ob->port == sp->port)
                return report(b, ing, (int32_t)k - 1);
        }
    }

    int32_t idx = new_backend(b, in->ns, name, want_num, want_name);
    if (idx < 0)
        return -2;
    struct ingress_backend *be = &b->m->backends[idx];
    be->port = (uint16_t)want_num;
    if (!want_num && !want_name) {
        be->state = INGRESS_BACKEND_NO_PORT;
        be->problem = afmt(b, "service \"%s/%s\": the backend gives no port", in->ns, name);
    } else if (!so) {
        be->state = INGRESS_BACKEND_NO_SERVICE;
        be->problem = afmt(b, "service \"%s/%s\" not found", in->ns, name);
    } else if (so->external && (sp || want_num)) {
        /* ExternalName: the proxy resolves the name; ports are optional. */
        be->state = INGRESS_BACKEND_EXTERNAL_NAME;
        be->external_name = so->external_name && *so->external_name ? so->external_name : NULL;
        if (sp) {
            be->port = (uint16_t)sp->port;
            be->port_name = sp->name;
        }
        if (!be->external_name) {
            be->problem =
                afmt(b, "service \"%s/%s\" is ExternalName but has no externalName", in->ns, name);
            if (!be->problem)
                return -2;
        }
        return report(b, ing, idx);
    } else if (!sp) {
        be->state = INGRESS_BACKEND_NO_PORT;
        be->problem =
            want_name
                ? afmt(b, "service \"%s/%s\" has no port named \"%s\"", in->ns, name, want_name)
                : afmt(b, "service \"%s/%s\" has no port %d", in->ns, name, want_num);
    } else {
        be->state = INGRESS_BACKEND_OK;
        be->port = (uint16_t)sp->port;
        be->port_name = sp->name;
        if (collect_endpoints(b, be, sp) < 0)
            return -2;
        return report(b, ing, idx);
    }
    if (!be->problem)
        return -2;
    return report(b, ing, idx);
}

/* ---- hosts, paths, TLS ---------------------------------------------------- */

/* Lowercases and checks a rule host. Returns it (an arena copy when it had
 * to be lowercased), "" for no host, or NULL when invalid (*oom tells memory
 * from validity). */
static const char *clean_host(struct builder *b, const char *h, bool *oom)
{
    *oom = false;
    if (!h || !*h)
        return "";
    size_t n = strlen(h);
    size_t start = 0;
    if (n >= 2 && h[0] == '*' && h[1] == '.')
        start = 2;
    if (start == n || n > 253)
        return NULL;
    bool label_start = true, upper = false;
    for (size_t i = start; i < n; i++) {
        char ch = h[i];
        if (ch >= 'A' && ch <= 'Z') {
            upper = true;
            ch = (char)(ch - 'A' + 'a');
        }
        if (ch == '.') {
            if (label_start)
                return NULL; /* empty label */
            label_start = true;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return NULL;
        label_start = false;
    }
    if (label_start)
        return NULL; /* trailing dot */
    if (!upper)
        return h;
    char *c = arena_strndup(&b->p->arena, h, n);
    if (!c) {
        *oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (c[i] >= 'A' && c[i] <= 'Z')
            c[i] = (char)(c[i] - 'A' + 'a');
    }
    return c;
}

static int32_t host_index(struct builder *b, const char *name)
{
    struct ingress_model *m = b->m;
    uintptr_t v = (uintptr_t)smap_get(&b->p->hosts, name, NULL, NULL);
    if (v)
        return (int32_t)(v - 1);
    if (GROW(m->hosts, b->p->cap_hosts, m->nhosts) < 0)
        return -1;
    if (smap_put(&b->p->hosts, name, NULL, NULL, (void *)(uintptr_t)(m->nhosts + 1), NULL) < 0)
        return -1;
    m->hosts[m->nhosts] = (struct ingress_host){name, -1};
    return (int32_t)m->nhosts++;
}

static int add_paths(struct builder *b, uint32_t ing, const char *host, const struct xpath *xp,
                     uint32_t np)
{
    struct ingress_model *m = b->m;
    struct ingress_info *in = &m->ingresses[ing];
    int32_t h = host_index(b, host);
    if (h < 0)
        return -ENOMEM;
    if (m->hosts[h].fallback_ingress < 0 && in->default_backend >= 0)
        m->hosts[h].fallback_ingress = (int32_t)ing;
    for (uint32_t i = 0; i < np; i++) {
        const char *ts = xp[i].type;
        enum ingress_path_type t;
        if (!ts) {
            if (warn(b, in->ns, in->name,
                     "host \"%s\": path %u has no pathType; using ImplementationSpecific", host,
                     (unsigned)i) < 0)
                return -ENOMEM;
            t = INGRESS_PATH_IMPLEMENTATION_SPECIFIC;
        } else if (strcmp(ts, "Exact") == 0) {
            t = INGRESS_PATH_EXACT;
        } else if (strcmp(ts, "Prefix") == 0) {
            t = INGRESS_PATH_PREFIX;
        } else if (strcmp(ts, "ImplementationSpecific") == 0) {
            t = INGRESS_PATH_IMPLEMENTATION_SPECIFIC;
        } else {
            if (warn(b, in->ns, in->name, "host \"%s\": unknown pathType \"%s\"; path ignored",
                     host, ts) < 0)
                return -ENOMEM;
            continue;
        }
        const char *path = xp[i].path;
        if ((!path || !*path) && t == INGRESS_PATH_IMPLEMENTATION_SPECIFIC)
            path = "/";
        if (!path || path[0] != '/') {
            if (warn(b, in->ns, in->name,
                     "host \"%s\": path \"%s\" does not start with '/'; path ignored", host,
                     path ? path : "") < 0)
                return -ENOMEM;
            continue;
        }
        int32_t be = resolve_backend(b, ing, &xp[i].be);
        if (be == -2)
            return -ENOMEM;
        if (be < 0)
            continue;
        size_t keylen = strlen(path);
        if (t != INGRESS_PATH_EXACT) {
            while (keylen > 0 && path[keylen - 1] == '/')
                keylen--;
        }
        const char *key = path;
        if (keylen != strlen(path) && !(key = arena_strndup(&b->p->arena, path, keylen)))
            return -ENOMEM;
        const char *kind = t == INGRESS_PATH_EXACT ? "E" : "P";
        uintptr_t prev = (uintptr_t)smap_get(&b->routes, host, kind, key);
        if (prev) {
            const struct ingress_path *pp = &m->paths[prev - 1];
            const struct ingress_info *owner = &m->ingresses[pp->ingress];
            if (warn(b, in->ns, in->name,
                     "host \"%s\": %s path \"%s\" is already defined by ingress \"%s/%s\"; "
                     "ignored",
                     *host ? host : "*", ingress_path_type_name(t), path, owner->ns,
                     owner->name) < 0)
                return -ENOMEM;
            continue;
        }
        if (GROW(m->paths, b->p->cap_paths, m->npaths) < 0)
            return -ENOMEM;
        if (smap_put(&b->routes, host, kind, key, (void *)(uintptr_t)(m->npaths + 1), NULL) < 0)
            return -ENOMEM;
        m->paths[m->npaths++] = (struct ingress_path){
            .host = (uint32_t)h,
            .ingress = ing,
            .backend = (uint32_t)be,
            .type = t,
            .path = path,
            .key = key,
            .keylen = keylen,
        };
    }
    return 0;
}

static int add_tls_host(struct builder *b, uint32_t ing, const char *host, const char *secret,
                        const struct xsecret *so)
{
    struct ingress_model *m = b->m;
    if (smap_get(&b->tls, host, NULL, NULL))
        return 0; /* an older Ingress already gave this host a certificate */
    if (GROW(m->tls, b->p->cap_tls, m->ntls) < 0)
        return -ENOMEM;
    if (smap_put(&b->tls, host, NULL, NULL, (void *)(uintptr_t)(m->ntls + 1), NULL) < 0)
        return -ENOMEM;
    m->tls[m->ntls++] = (struct ingress_tls){
        .host = host,
        .ingress = ing,
        .secret_ns = m->ingresses[ing].ns,
        .secret_name = secret,
        .found = so != NULL,
        .crt_b64 = so ? so->crt : NULL,
        .key_b64 = so ? so->key : NULL,
    };
    return 0;
}

static int add_tls(struct builder *b, uint32_t ing, const struct xingress *x)
{
    const struct ingress_info *in = &b->m->ingresses[ing];
    for (uint32_t i = 0; i < x->ntls; i++) {
        const struct xtls *t = &x->tls[i];
        if (!t->secret || !*t->secret)
            continue; /* the controller's default certificate */
        const struct xsecret *so = smap_get(&b->secrets, in->ns, t->secret, NULL);
        if (!so) {
            if (warn(b, in->ns, in->name, "TLS secret \"%s/%s\" not found", in->ns, t->secret) < 0)
                return -ENOMEM;
        } else if (!so->crt || !so->key) {
            if (warn(b, in->ns, in->name, "TLS secret \"%s/%s\" lacks tls.crt or tls.key", in->ns,
                     t->secret) < 0)
                return -ENOMEM;
        }
        bool oom;
        if (t->nh == 0) {
            /* No hosts: the certificate covers every host of the Ingress's
             * rules ("" for its rules without a host). */
            for (uint32_t j = 0; j < x->nrules; j++) {
                const char *h = clean_host(b, x->rules[j].host, &oom);
                if (oom)
                    return -ENOMEM;
                if (h && add_tls_host(b, ing, h, t->secret, so) < 0)
                    return -ENOMEM;
            }
            continue;
        }
        for (uint32_t j = t->h0; j < t->h0 + t->nh; j++) {
            const char *raw = x->tls_hosts[j];
            const char *h = clean_host(b, raw, &oom);
            if (oom)
                return -ENOMEM;
            if (!h || !*h) {
                if (warn(b, in->ns, in->name, "TLS host \"%s\" is not a valid host name; ignored",
                         raw ? raw : "") < 0)
                    return -ENOMEM;
                continue;
            }
            if (add_tls_host(b, ing, h, t->secret, so) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

/* Annotation values must be strings (kubectl refuses others); a manifest
 * that gives `10` for "10" gets a warning, and the route table renders the
 * value as JSON text. */
static int check_annotations(struct builder *b, uint32_t ing)
{
    const struct ingress_info *in = &b->m->ingresses[ing];
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)in->annotations, k, v)
    {
        if (!json_is_string(v)) {
            if (warn(b, in->ns, in->name, "annotation \"%s\" is not a string", k) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

static int process_ingress(struct builder *b, uint32_t ing, const struct xingress *x)
{
    struct ingress_model *m = b->m;
    struct ingress_info *in = &m->ingresses[ing];
    if (check_annotations(b, ing) < 0)
        return -ENOMEM;
    if (x->has_default) {
        int32_t be = resolve_backend(b, ing, &x->def);
        if (be == -2)
            return -ENOMEM;
        in->default_backend = be;
        if (be >= 0 && m->default_ingress < 0)
            m->default_ingress = (int32_t)ing;
    }
    for (uint32_t i = 0; i < x->nrules; i++) {
        const struct xrule *r = &x->rules[i];
        bool oom;
        const char *host = clean_host(b, r->host, &oom);
        if (oom)
            return -ENOMEM;
        if (!host) {
            if (warn(b, in->ns, in->name, "host \"%s\" is not a valid host name; rule ignored",
                     r->host) < 0)
                return -ENOMEM;
            continue;
        }
        if (!r->http)
            continue; /* a host without paths routes nothing */
        if (add_paths(b, ing, host, &x->paths[r->p0], r->np) < 0)
            return -ENOMEM;
    }
    return add_tls(b, ing, x);
}

/* The --default-ssl-certificate Secret, "NS/NAME" (a bare NAME is in
 * "default"). Whether it is usable is the route table's to say. */
static int find_default_tls(struct builder *b, const struct ingress_opts *opts)
{
    const char *full = opts->default_ssl_certificate, *slash = strchr(full, '/');
    struct ingress_tls *t = &b->m->default_tls;
    t->host = "";
    t->secret_ns = slash ? arena_strndup(&b->p->arena, full, (size_t)(slash - full)) : "default";
    t->secret_name = arena_strdup(&b->p->arena, slash ? slash + 1 : full);
    if (!t->secret_ns || !t->secret_name)
        return -ENOMEM;
    const struct xsecret *so = smap_get(&b->secrets, t->secret_ns, t->secret_name, NULL);
    t->found = so != NULL;
    t->crt_b64 = so ? so->crt : NULL;
    t->key_b64 = so ? so->key : NULL;
    return 0;
}

static void builder_fini(struct builder *b)
{
    smap_fini(&b->classes);
    smap_fini(&b->services);
    smap_fini(&b->endpoints);
    smap_fini(&b->slices);
    smap_fini(&b->by_svc);
    smap_fini(&b->secrets);
    smap_fini(&b->raw);
    smap_fini(&b->backends);
    smap_fini(&b->routes);
    smap_fini(&b->tls);
    free(b->xing);
    free(b->order);
    free(b->tmp);
    buf_fini(&b->scratch);
}

struct ingress_model_cache *ingress_model_cache_new(void)
{
    return calloc(1, sizeof(struct ingress_model_cache));
}

static void xobj_free(const struct ingress_model_cache *c, struct xobj *o)
{
    json_decref(o->src);
    if (!c->shared) {
        struct arena a = o->arena; /* the entry itself is in the arena */
        arena_fini(&a);
    }
}

void ingress_model_cache_free(struct ingress_model_cache *c)
{
    if (!c)
        return;
    for (struct xobj *o = c->all, *next; o; o = next) {
        next = o->next;
        xobj_free(c, o);
    }
    if (c->shared)
        arena_fini(c->shared);
    free(c->shared);
    free(c->idx);
    free(c);
}

void ingress_model_cache_sweep(struct ingress_model_cache *c)
{
    size_t n = 0;
    for (struct xobj **pp = &c->all, *o; (o = *pp);) {
        if (o->gen != c->gen) {
            *pp = o->next;
            xobj_free(c, o);
        } else {
            n++;
            pp = &o->next;
        }
    }
    size_t slots = 16;
    while (slots < n * 2)
        slots *= 2;
    struct xobj **idx = calloc(slots, sizeof(*idx));
    free(c->idx);
    c->idx = idx;
    if (!idx)
        return; /* the next build reads everything again */
    c->mask = slots - 1;
    for (struct xobj *o = c->all; o; o = o->next) {
        size_t i = cache_slot(c, o->src);
        while (idx[i])
            i = (i + 1) & c->mask;
        idx[i] = o;
    }
}

struct ingress_model *ingress_model_build(json_t *objects, const struct ingress_opts *opts,
                                          struct err *e)
{
    struct ingress_model_cache *c = ingress_model_cache_new();
    if (c && (c->shared = malloc(sizeof(*c->shared))))
        arena_init(c->shared, 64 << 10);
    if (!c || !c->shared) {
        ingress_model_cache_free(c);
        err_set(e, "ingress model: out of memory");
        return NULL;
    }
    struct ingress_model *m = ingress_model_build_cached(objects, opts, c, e);
    if (!m) {
        ingress_model_cache_free(c);
        return NULL;
    }
    m->priv->own_cache = c;
    return m;
}

struct ingress_model *ingress_model_build_cached(json_t *objects, const struct ingress_opts *opts,
                                                 struct ingress_model_cache *cache, struct err *e)
{
    if (!json_is_array(objects)) {
        err_set(e, "ingress model: the objects must be a JSON array");
        return NULL;
    }
    struct ingress_model *m = calloc(1, sizeof(*m));
    struct ingress_model_priv *p = calloc(1, sizeof(*p));
    if (!m || !p) {
        free(m);
        free(p);
        err_set(e, "ingress model: out of memory");
        return NULL;
    }
    m->priv = p;
    m->default_ingress = -1;
    arena_init(&p->arena, 64 << 10);
    cache->gen++;

    struct builder b = {.m = m, .p = p, .cache = cache};
    buf_init(&b.scratch, 1 << 16);
    b.class_name = opts && opts->class_name ? opts->class_name : INGRESS_CLASS_DEFAULT;
    b.controller = opts && opts->controller ? opts->controller : INGRESS_CONTROLLER_DEFAULT;

    if (read_objects(&b, objects, 0) < 0 || b.oom || group_slices(&b) < 0)
        goto fail;
    find_default_class(&b);

    b.order = malloc((b.nxing ? b.nxing : 1) * sizeof(*b.order));
    if (!b.order)
        goto fail;
    size_t n = 0;
    for (size_t i = 0; i < b.nxing; i++) {
        enum ingress_class_reason why;
        if (ingress_is_ours(&b, b.xing[i], &why))
            b.order[n++] = b.xing[i];
        else
            m->nignored++;
    }
    if (n > 1)
        qsort(b.order, n, sizeof(*b.order), cmp_xingress);
    m->ingresses = calloc(n ? n : 1, sizeof(*m->ingresses));
    if (!m->ingresses)
        goto fail;
    p->cap_ingresses = n ? n : 1;
    for (size_t i = 0; i < n; i++) {
        const struct xingress *x = b.order[i];
        enum ingress_class_reason why;
        ingress_is_ours(&b, x, &why);
        m->ingresses[i] = (struct ingress_info){
            .ns = x->ns,
            .name = x->name,
            .created = x->created,
            .why = why,
            .annotations = x->annotations,
            .default_backend = -1,
        };
    }
    m->ningresses = n;
    /* Sizes known now: no rehashing while the maps fill. */
    size_t npaths = 0, nrules = 0;
    for (size_t i = 0; i < n; i++) {
        npaths += b.order[i]->npaths + 1;
        nrules += b.order[i]->nrules;
    }
    if (smap_reserve(&b.routes, npaths) < 0 || smap_reserve(&p->hosts, nrules + 1) < 0 ||
        smap_reserve(&b.backends, npaths) < 0)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (process_ingress(&b, (uint32_t)i, b.order[i]) < 0 || b.oom)
            goto fail;
    }
    if (opts && opts->default_ssl_certificate && find_default_tls(&b, opts) < 0)
        goto fail;
    builder_fini(&b);
    return m;
fail:
    builder_fini(&b);
    ingress_model_free(m);
    err_set(e, "ingress model: out of memory");
    return NULL;
}

void ingress_model_free(struct ingress_model *m)
{
    if (!m)
        return;
    struct ingress_model_priv *p = m->priv;
    free(m->ingresses);
    free(m->backends);
    free(m->hosts);
    free(m->paths);
    free(m->tls);
    free(m->warnings);
    if (p) {
        free(p->bpriv);
        smap_fini(&p->hosts);
        arena_fini(&p->arena);
        ingress_model_cache_free(p->own_cache);
        free(p);
    }
    free(m);
}

int32_t ingress_model_host(const struct ingress_model *m, const char *name)
{
    uintptr_t v = (uintptr_t)smap_get(&m->priv->hosts, name, NULL, NULL);
    return (int32_t)v - 1;
}

int32_t ingress_model_fallback(const struct ingress_model *m, int32_t host, int32_t *ingress)
{
    int32_t ing = host >= 0 && (size_t)host < m->nhosts ? m->hosts[host].fallback_ingress : -1;
    if (ing < 0)
        ing = m->default_ingress;
    if (ingress)
        *ingress = ing;
    return ing >= 0 ? m->ingresses[ing].default_backend : -1;
}

const char *ingress_path_type_name(enum ingress_path_type t)
{
    switch (t) {
    case INGRESS_PATH_EXACT:
        return "Exact";
    case INGRESS_PATH_PREFIX:
        return "Prefix";
    case INGRESS_PATH_IMPLEMENTATION_SPECIFIC:
        return "ImplementationSpecific";
    }
    return "?";
}

const char *ingress_backend_state_name(enum ingress_backend_state s)
{
    switch (s) {
    case INGRESS_BACKEND_OK:
        return "ok";
    case INGRESS_BACKEND_NO_SERVICE:
        return "no-service";
    case INGRESS_BACKEND_NO_PORT:
        return "no-port";
    case INGRESS_BACKEND_EXTERNAL_NAME:
        return "external-name";
    case INGRESS_BACKEND_RESOURCE:
        return "resource";
    }
    return "?";
}
