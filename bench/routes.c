/* Route table micro benchmark: lookup cost against the number of Ingresses,
 * and the cost of building the model and the table.
 *
 * Build and run (after `make`, which builds build/libferry.a):
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/routes.c build/libferry.a \
 *      $(pkg-config --libs jansson yaml-0.1) -o build/bench-routes
 *   build/bench-routes            # 10, 100, 1000, 10000 Ingresses
 *   build/bench-routes 50000      # other sizes
 *
 * Each Ingress i has its own host h<i>.example.com with four paths
 * (Prefix "/", Prefix "/api/v1", Prefix "/static", Exact "/exact"), a
 * Service and an EndpointSlice; every tenth adds a path to the shared host
 * shared.example.com, every hundredth a wildcard host. Lookups are drawn
 * from a fixed mix (deep prefix, exact, root fallback, shared host, wildcard,
 * unknown host, Host header with port and capitals), over hosts chosen at
 * random ("random": the table does not sit in cache) or always the same
 * host ("hot"). Times are per lookup, best of 5 rounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingress/model.h"
#include "ingress/route_build.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static json_t *backend(const char *svc)
{
    return json_pack("{s:{s:s,s:{s:i}}}", "service", "name", svc, "port", "number", 80);
}

static json_t *path(const char *p, const char *type, const char *svc)
{
    return json_pack("{s:s,s:s,s:o}", "path", p, "pathType", type, "backend", backend(svc));
}

static json_t *objects(int n)
{
    json_t *objs = json_array();
    char host[64], ns[32], name[32], svc[32], p[64], ip[32];
    for (int i = 0; i < n; i++) {
        snprintf(ns, sizeof(ns), "ns%d", i % 100);
        snprintf(name, sizeof(name), "ing%d", i);
        snprintf(svc, sizeof(svc), "svc%d", i);
        snprintf(host, sizeof(host), "h%d.example.com", i);
        json_t *paths =
            json_pack("[o,o,o,o]", path("/", "Prefix", svc), path("/api/v1", "Prefix", svc),
                      path("/static", "Prefix", svc), path("/exact", "Exact", svc));
        json_t *rules = json_pack("[{s:s,s:{s:o}}]", "host", host, "http", "paths", paths);
        if (i % 10 == 0) {
            snprintf(p, sizeof(p), "/t%d", i);
            json_array_append_new(rules, json_pack("{s:s,s:{s:[o]}}", "host", "shared.example.com",
                                                   "http", "paths", path(p, "Prefix", svc)));
        }
        if (i % 100 == 0) {
            snprintf(host, sizeof(host), "*.w%d.example.com", i);
            json_array_append_new(rules, json_pack("{s:s,s:{s:[o]}}", "host", host, "http", "paths",
                                                   path("/", "Prefix", svc)));
        }
        json_array_append_new(objs, json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:o}}", "apiVersion",
                                              "networking.k8s.io/v1", "kind", "Ingress", "metadata",
                                              "name", name, "namespace", ns, "spec",
                                              "ingressClassName", "ferry", "rules", rules));
        json_array_append_new(objs, json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:[{s:s,s:i,s:i}]}}",
                                              "apiVersion", "v1", "kind", "Service", "metadata",
                                              "name", svc, "namespace", ns, "spec", "ports", "name",
                                              "http", "port", 80, "targetPort", 8080));
        snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        json_array_append_new(
            objs,
            json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:s,s:[{s:s,s:i}],s:[{s:[s]}]}", "apiVersion",
                      "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata", "name", svc,
                      "namespace", ns, "labels", "kubernetes.io/service-name", svc, "addressType",
                      "IPv4", "ports", "name", "http", "port", 8080, "endpoints", "addresses", ip));
    }
    return objs;
}

struct req {
    char host[64];
    char path[64];
    size_t hl, pl;
};

static void make_req(struct req *r, int n, int i, unsigned kind)
{
    switch (kind % 8) {
    case 0:
        snprintf(r->host, sizeof(r->host), "h%d.example.com", i);
        snprintf(r->path, sizeof(r->path), "/api/v1/users/12345/orders");
        break;
    case 1:
        snprintf(r->host, sizeof(r->host), "h%d.example.com", i);
        snprintf(r->path, sizeof(r->path), "/exact");
        break;
    case 2:
        snprintf(r->host, sizeof(r->host), "h%d.example.com", i);
        snprintf(r->path, sizeof(r->path), "/index.html");
        break;
    case 3:
        snprintf(r->host, sizeof(r->host), "H%d.Example.COM:8443", i);
        snprintf(r->path, sizeof(r->path), "/static/css/site.css");
        break;
    case 4:
        snprintf(r->host, sizeof(r->host), "shared.example.com");
        snprintf(r->path, sizeof(r->path), "/t%d/page", (i / 10) * 10);
        break;
    case 5:
        snprintf(r->host, sizeof(r->host), "www.w%d.example.com", (i / 100) * 100);
        snprintf(r->path, sizeof(r->path), "/");
        break;
    case 6:
        snprintf(r->host, sizeof(r->host), "unknown%d.example.org", i);
        snprintf(r->path, sizeof(r->path), "/");
        break;
    default:
        snprintf(r->host, sizeof(r->host), "h%d.example.com", i);
        snprintf(r->path, sizeof(r->path), "/api/v1");
        break;
    }
    (void)n;
    r->hl = strlen(r->host);
    r->pl = strlen(r->path);
}

#define NREQ 4096
#define ROUNDS 5

static double bench(const struct route_table *t, const struct req *reqs, long iters,
                    unsigned long *sink)
{
    double best = 1e18;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = now_ns();
        unsigned long s = 0;
        for (long k = 0; k < iters; k++) {
            const struct req *r = &reqs[k & (NREQ - 1)];
            const struct route *rt = route_lookup(t, r->host, r->hl, r->path, r->pl);
            s += rt ? rt->backend->index : 1;
        }
        double ns = (now_ns() - t0) / (double)iters;
        *sink += s;
        if (ns < best)
            best = ns;
    }
    return best;
}

static void run(int n)
{
    json_t *objs = objects(n);
    double best_model = 1e18, best_table = 1e18;
    struct route_table *t = NULL;
    for (int round = 0; round < 3; round++) {
        double t0 = cpu_ms();
        struct ingress_model *m = ingress_model_build(objs, NULL, NULL);
        double t1 = cpu_ms();
        struct route_table *nt = route_table_build(m, NULL);
        double t2 = cpu_ms();
        if (!m || !nt) {
            fprintf(stderr, "build failed\n");
            exit(1);
        }
        if (t1 - t0 < best_model)
            best_model = t1 - t0;
        if (t2 - t1 < best_table)
            best_table = t2 - t1;
        ingress_model_free(m);
        route_table_unref(t);
        t = nt;
    }
    static struct req random_reqs[NREQ], hot_reqs[NREQ];
    srand(42);
    for (int k = 0; k < NREQ; k++) {
        make_req(&random_reqs[k], n, rand() % n, (unsigned)k);
        make_req(&hot_reqs[k], n, 0, (unsigned)k);
    }
    unsigned long sink = 0;
    double r = bench(t, random_reqs, 4000000, &sink);
    double h = bench(t, hot_reqs, 4000000, &sink);
    printf("%8d  %10.1f  %10.1f  %10zu  %12.1f  %9.1f   (%lu)\n", n, best_model, best_table,
           route_table_memory(t) >> 10, r, h, sink % 10);
    route_table_unref(t);
    json_decref(objs);
}

int main(int argc, char **argv)
{
    printf("%8s  %10s  %10s  %10s  %12s  %9s\n", "ingresses", "model ms", "table ms", "table KiB",
           "random ns", "hot ns");
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            run(atoi(argv[i]));
        return 0;
    }
    static const int sizes[] = {10, 100, 1000, 10000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        run(sizes[i]);
    return 0;
}
