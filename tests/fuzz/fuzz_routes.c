/* libFuzzer target for the Ingress model and the route table
 * (src/ingress/model.c, routes.c).
 *
 * Input: a YAML stream of manifests, optionally followed by a NUL byte and
 * lookups, each "host" NUL "path" NUL. The manifests go through yaml_load,
 * ingress_model_build and route_table_build; then every lookup (the
 * fuzzer's, plus variants of every rule's host and path) is answered by
 * route_lookup and by a slow reference matcher written from the rules in
 * routes.h, straight over the model's arrays, and the two must agree. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/yaml.h"
#include "ingress/model.h"
#include "ingress/route_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a lookup answered, comparable across model and table. */
struct answer {
    bool found;
    const char *ns, *service; /* the backend */
    uint16_t port;
    int state;
    const char *path; /* "" for a default backend */
    int match;
    const char *ing_ns, *ing_name;
};

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The host part the rules are matched against, lowercased, into <out>. */
static size_t ref_host(const char *h, size_t n, char *out)
{
    size_t len = n;
    if (n && h[0] == '[') {
        const char *rb = memchr(h, ']', n);
        len = rb ? (size_t)(rb - h) + 1 : n;
    } else {
        const char *colon = memchr(h, ':', n);
        if (colon)
            len = (size_t)(colon - h);
        if (len && h[len - 1] == '.')
            len--;
    }
    for (size_t i = 0; i < len; i++)
        out[i] = lower(h[i]);
    return len;
}

static int32_t find_host(const struct ingress_model *m, const char *h, size_t n)
{
    for (size_t i = 0; i < m->nhosts; i++) {
        const char *name = m->hosts[i].name;
        if (strlen(name) == n && memcmp(name, h, n) == 0)
            return (int32_t)i;
    }
    return -1;
}

static struct answer from_model(const struct ingress_model *m, const struct ingress_path *p,
                                int32_t backend, int32_t ing)
{
    const struct ingress_backend *b = &m->backends[backend];
    const struct ingress_info *in = &m->ingresses[ing];
    struct answer a = {true, b->ns,  b->service, b->port, (int)b->state, p ? p->path : "",
                       0,    in->ns, in->name};
    a.match = !p                              ? ROUTE_MATCH_DEFAULT
              : p->type == INGRESS_PATH_EXACT ? ROUTE_MATCH_EXACT
                                              : ROUTE_MATCH_PREFIX;
    return a;
}

static struct answer reference(const struct ingress_model *m, const char *host, size_t hostlen,
                               const char *path, size_t pathlen)
{
    char *h = malloc(hostlen + 1);
    size_t n = ref_host(host, hostlen, h);
    int32_t hi = -1;
    if (n) {
        /* exact names (a Host header "*.a" is not the rule "*.a") */
        hi = memchr(h, '*', n) == h ? -1 : find_host(m, h, n);
        if (hi >= 0 && m->hosts[hi].name[0] == '*')
            hi = -1;
        if (hi < 0) {
            const char *dot = memchr(h, '.', n);
            if (dot && dot > h && (size_t)(dot - h) + 1 < n) {
                size_t rest = n - (size_t)(dot - h) - 1;
                char *w = malloc(rest + 3);
                w[0] = '*';
                w[1] = '.';
                memcpy(w + 2, dot + 1, rest);
                hi = find_host(m, w, rest + 2);
                free(w);
            }
        }
    }
    free(h);
    if (hi < 0)
        hi = find_host(m, "", 0);
    struct answer none = {0};
    if (hi < 0) {
        int32_t ing;
        int32_t be = ingress_model_fallback(m, -1, &ing);
        return be >= 0 ? from_model(m, NULL, be, ing) : none;
    }
    const struct ingress_path *best = NULL;
    for (size_t i = 0; i < m->npaths; i++) {
        const struct ingress_path *p = &m->paths[i];
        if (p->host != (uint32_t)hi)
            continue;
        if (p->type == INGRESS_PATH_EXACT) {
            if (p->keylen == pathlen && memcmp(p->key, path, pathlen) == 0)
                return from_model(m, p, (int32_t)p->backend, (int32_t)p->ingress);
            continue;
        }
        bool match =
            p->keylen == 0 || (pathlen >= p->keylen && memcmp(p->key, path, p->keylen) == 0 &&
                               (pathlen == p->keylen || path[p->keylen] == '/'));
        if (match && (!best || p->keylen > best->keylen))
            best = p;
    }
    if (best)
        return from_model(m, best, (int32_t)best->backend, (int32_t)best->ingress);
    int32_t ing;
    int32_t be = ingress_model_fallback(m, hi, &ing);
    return be >= 0 ? from_model(m, NULL, be, ing) : none;
}

static struct answer from_table(const struct route *r)
{
    struct answer a = {0};
    if (!r)
        return a;
    a.found = true;
    a.ns = r->backend->ns;
    a.service = r->backend->service;
    a.port = r->backend->port;
    a.state = (int)r->backend->state;
    a.path = r->path;
    a.match = (int)r->match;
    a.ing_ns = r->ingress_ns;
    a.ing_name = r->ingress_name;
    return a;
}

static bool same(const struct answer *a, const struct answer *b)
{
    if (a->found != b->found)
        return false;
    if (!a->found)
        return true;
    return strcmp(a->ns, b->ns) == 0 && strcmp(a->service, b->service) == 0 && a->port == b->port &&
           a->state == b->state && strcmp(a->path, b->path) == 0 && a->match == b->match &&
           strcmp(a->ing_ns, b->ing_ns) == 0 && strcmp(a->ing_name, b->ing_name) == 0;
}

static void check(const struct ingress_model *m, const struct route_table *t, const char *host,
                  size_t hostlen, const char *path, size_t pathlen)
{
    const struct route *r = route_lookup(t, host, hostlen, path, pathlen);
    struct answer got = from_table(r), want = reference(m, host, hostlen, path, pathlen);
    if (!same(&got, &want)) {
        fprintf(stderr,
                "lookup host=\"%.*s\" path=\"%.*s\": table %s/%s path \"%s\", "
                "reference %s/%s path \"%s\"\n",
                (int)hostlen, host, (int)pathlen, path, got.found ? got.ns : "-",
                got.found ? got.service : "-", got.found ? got.path : "-",
                want.found ? want.ns : "-", want.found ? want.service : "-",
                want.found ? want.path : "-");
        abort();
    }
    if (r) {
        /* Everything reachable must be readable. */
        for (uint32_t i = 0; i < r->backend->nendpoints; i++) {
            if (!r->backend->endpoints[i].hostport[0])
                abort();
        }
        for (uint32_t i = 0; i < r->nannotations; i++) {
            if (route_annotation(r, r->annotations[i].key) == NULL)
                abort();
        }
        if (r->backend != route_table_backend(t, r->backend->index))
            abort();
    }
}

/* Lookups built from a rule: its host (a wildcard's with a label put in,
 * upper-cased, with a port) and its path with variations. */
static void check_rule(const struct ingress_model *m, const struct route_table *t,
                       const struct ingress_path *p)
{
    char host[300], path[600];
    const char *name = m->hosts[p->host].name;
    int hn = snprintf(host, sizeof(host), "%s%s", name[0] == '*' ? "X" : "",
                      name[0] == '*' ? name + 1 : name);
    if (hn < 0 || (size_t)hn >= sizeof(host))
        return;
    size_t pl = strlen(p->path);
    if (pl > 256)
        return;
    static const char *const tails[] = {"", "/", "/x", "x", "//"};
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        int n = snprintf(path, sizeof(path), "%s%s", p->path, tails[i]);
        check(m, t, host, (size_t)hn, path, (size_t)n);
        n = snprintf(path, sizeof(path), "%.*s%s", (int)p->keylen, p->key, tails[i]);
        check(m, t, host, (size_t)hn, path, (size_t)n);
    }
    check(m, t, host, (size_t)hn, p->path, pl / 2);
    char port[310];
    int n = snprintf(port, sizeof(port), "%s.:8443", host);
    for (int i = 0; i < n; i++)
        port[i] =
            (char)(i % 2 ? port[i] : (port[i] >= 'a' && port[i] <= 'z' ? port[i] - 32 : port[i]));
    check(m, t, port, (size_t)n, p->path, pl);
    check(m, t, "", 0, p->path, pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nul = memchr(in, '\0', size);
    size_t ylen = nul ? (size_t)(nul - in) : size;
    json_t *docs = NULL;
    if (yaml_load(in, ylen, &docs, NULL) != 0)
        return 0;
    struct ingress_model *m = ingress_model_build(docs, NULL, NULL);
    json_decref(docs);
    if (!m)
        abort(); /* only out of memory may fail */
    struct route_table *t = route_table_build(m, NULL);
    if (!t)
        abort();
    for (size_t i = 0; i < m->npaths && i < 64; i++)
        check_rule(m, t, &m->paths[i]);
    check(m, t, "nothing.example", 15, "/", 1);
    check(m, t, NULL, 0, NULL, 0);
    if (nul) {
        const char *p = nul + 1, *end = in + size;
        while (p < end) {
            const char *h = p;
            const char *hz = memchr(h, '\0', (size_t)(end - h));
            size_t hl = hz ? (size_t)(hz - h) : (size_t)(end - h);
            const char *q = hz ? hz + 1 : end;
            const char *qz = q < end ? memchr(q, '\0', (size_t)(end - q)) : NULL;
            size_t ql = q < end ? (qz ? (size_t)(qz - q) : (size_t)(end - q)) : 0;
            check(m, t, h, hl, q, ql);
            p = qz ? qz + 1 : end;
        }
    }
    /* A second reference, then both dropped in either order. */
    struct route_table *t2 = route_table_ref(t);
    ingress_model_free(m);
    route_table_unref(t);
    route_table_unref(t2);
    return 0;
}
