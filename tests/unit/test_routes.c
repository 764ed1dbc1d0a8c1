/* Route matching. The "table_*" tests are the rows, in order, of the
 * examples table of https://kubernetes.io/docs/concepts/services-networking/ingress/
 * ("Examples" under "Path types"); "conformance_*" tests are scenarios of
 * kubernetes-sigs/ingress-controller-conformance (features/path_rules,
 * host_rules, default_backend). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/yaml.h"
#include "ingress/model.h"
#include "ingress/route_build.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static struct ingress_model *model_of(const char *yaml)
{
    json_t *docs = NULL;
    struct err e = {{0}};
    if (yaml_load(yaml, strlen(yaml), &docs, &e) != 0)
        fail_msg("yaml: %s", e.msg);
    struct ingress_model *m = ingress_model_build(docs, NULL, &e);
    json_decref(docs);
    assert_non_null(m);
    return m;
}

static struct route_table *table_of(const char *yaml)
{
    struct ingress_model *m = model_of(yaml);
    struct err e = {{0}};
    struct route_table *t = route_table_build(m, &e);
    assert_non_null(t);
    ingress_model_free(m);
    return t;
}

/* The service a request goes to, or "-" for no route. */
static const char *route_to(const struct route_table *t, const char *host, const char *path)
{
    const struct route *r =
        route_lookup(t, host, host ? strlen(host) : 0, path, path ? strlen(path) : 0);
    return r ? r->backend->service : "-";
}

#define ASSERT_ROUTE(t, host, path, svc) assert_string_equal(route_to(t, host, path), svc)

struct rule {
    const char *type, *path, *svc;
};

/* One Ingress with one host (NULL: no host) and the given paths. */
static struct route_table *table_of_rules(const char *host, const struct rule *rules, size_t n,
                                          const char *default_svc)
{
    struct buf y = BUF_INIT;
    assert_int_equal(buf_adds(&y, "apiVersion: networking.k8s.io/v1\n"
                                  "kind: Ingress\n"
                                  "metadata: {name: t, namespace: default}\n"
                                  "spec:\n"
                                  "  ingressClassName: ferry\n"),
                     0);
    if (default_svc)
        assert_int_equal(buf_addf(&y,
                                  "  defaultBackend:\n"
                                  "    service: {name: %s, port: {number: 80}}\n",
                                  default_svc),
                         0);
    assert_int_equal(buf_adds(&y, "  rules:\n  - http:\n      paths:\n"), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(buf_addf(&y,
                                  "      - path: \"%s\"\n"
                                  "        pathType: %s\n"
                                  "        backend:\n"
                                  "          service: {name: %s, port: {number: 80}}\n",
                                  rules[i].path, rules[i].type, rules[i].svc),
                         0);
    }
    if (host)
        assert_int_equal(buf_addf(&y, "    host: \"%s\"\n", host), 0);
    struct route_table *t = table_of(buf_str(&y));
    buf_fini(&y);
    return t;
}

#define RULES(...) ((const struct rule[]){__VA_ARGS__})
#define NRULES(...) (sizeof(RULES(__VA_ARGS__)) / sizeof(struct rule))
#define TABLE(...) table_of_rules(NULL, RULES(__VA_ARGS__), NRULES(__VA_ARGS__), NULL)

/* ---- the Kubernetes examples table -------------------------------------- */

static void table_prefix_root_matches_all_paths(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/", "root"});
    ASSERT_ROUTE(t, "x", "/", "root");
    ASSERT_ROUTE(t, "x", "/foo", "root");
    ASSERT_ROUTE(t, "x", "/foo/", "root");
    ASSERT_ROUTE(t, "x", "/aaa/bbb/ccc", "root");
    ASSERT_ROUTE(t, "x", "//", "root");
    ASSERT_ROUTE(t, "x", "", "root");
    ASSERT_ROUTE(t, "x", "*", "root");
    route_table_unref(t);
}

static void table_exact_foo_matches_foo(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Exact", "/foo", "foo"});
    ASSERT_ROUTE(t, "x", "/foo", "foo");
    route_table_unref(t);
}

static void table_exact_foo_does_not_match_bar(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Exact", "/foo", "foo"});
    ASSERT_ROUTE(t, "x", "/bar", "-");
    route_table_unref(t);
}

static void table_exact_foo_does_not_match_foo_slash(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Exact", "/foo", "foo"});
    ASSERT_ROUTE(t, "x", "/foo/", "-");
    route_table_unref(t);
}

static void table_exact_foo_slash_does_not_match_foo(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Exact", "/foo/", "foo"});
    ASSERT_ROUTE(t, "x", "/foo", "-");
    ASSERT_ROUTE(t, "x", "/foo/", "foo");
    route_table_unref(t);
}

static void table_prefix_foo_matches_foo_and_foo_slash(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/foo", "foo"});
    ASSERT_ROUTE(t, "x", "/foo", "foo");
    ASSERT_ROUTE(t, "x", "/foo/", "foo");
    route_table_unref(t);
}

static void table_prefix_foo_slash_matches_foo_and_foo_slash(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/foo/", "foo"});
    ASSERT_ROUTE(t, "x", "/foo", "foo");
    ASSERT_ROUTE(t, "x", "/foo/", "foo");
    route_table_unref(t);
}

static void table_prefix_aaa_bb_does_not_match_aaa_bbb(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/aaa/bb", "bb"});
    ASSERT_ROUTE(t, "x", "/aaa/bbb", "-");
    route_table_unref(t);
}

static void table_prefix_aaa_bbb_matches_aaa_bbb(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/aaa/bbb", "bbb"});
    ASSERT_ROUTE(t, "x", "/aaa/bbb", "bbb");
    route_table_unref(t);
}

static void table_prefix_ignores_trailing_slash_of_rule(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/aaa/bbb/", "bbb"});
    ASSERT_ROUTE(t, "x", "/aaa/bbb", "bbb");
    route_table_unref(t);
}

static void table_prefix_matches_trailing_slash_of_request(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/aaa/bbb", "bbb"});
    ASSERT_ROUTE(t, "x", "/aaa/bbb/", "bbb");
    route_table_unref(t);
}

static void table_prefix_matches_subpath(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/aaa/bbb", "bbb"});
    ASSERT_ROUTE(t, "x", "/aaa/bbb/ccc", "bbb");
    route_table_unref(t);
}

static void table_prefix_does_not_match_string_prefix(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/aaa/bbb", "bbb"});
    ASSERT_ROUTE(t, "x", "/aaa/bbbxyz", "-");
    route_table_unref(t);
}

static void table_prefix_root_and_aaa_match_aaa_prefix(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/", "root"}, {"Prefix", "/aaa", "aaa"});
    ASSERT_ROUTE(t, "x", "/aaa/ccc", "aaa");
    route_table_unref(t);
}

static void table_prefix_three_rules_match_longest(void **state)
{
    (void)state;
    struct route_table *t =
        TABLE({"Prefix", "/", "root"}, {"Prefix", "/aaa", "aaa"}, {"Prefix", "/aaa/bbb", "bbb"});
    ASSERT_ROUTE(t, "x", "/aaa/bbb", "bbb");
    route_table_unref(t);
}

static void table_prefix_three_rules_fall_back_to_root(void **state)
{
    (void)state;
    struct route_table *t =
        TABLE({"Prefix", "/", "root"}, {"Prefix", "/aaa", "aaa"}, {"Prefix", "/aaa/bbb", "bbb"});
    ASSERT_ROUTE(t, "x", "/ccc", "root");
    route_table_unref(t);
}

static void table_prefix_no_match_uses_default_backend(void **state)
{
    (void)state;
    struct route_table *t = table_of_rules(NULL, RULES({"Prefix", "/aaa", "aaa"}), 1, "dflt");
    ASSERT_ROUTE(t, "x", "/ccc", "dflt");
    const struct route *r = route_lookup(t, "x", 1, "/ccc", 4);
    assert_int_equal(r->match, ROUTE_MATCH_DEFAULT);
    route_table_unref(t);
    t = TABLE({"Prefix", "/aaa", "aaa"});
    ASSERT_ROUTE(t, "x", "/ccc", "-");
    route_table_unref(t);
}

static void table_mixed_prefers_exact(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/foo", "prefix"}, {"Exact", "/foo", "exact"});
    ASSERT_ROUTE(t, "x", "/foo", "exact");
    ASSERT_ROUTE(t, "x", "/foo/", "prefix");
    route_table_unref(t);
    /* The order of the rules does not matter. */
    t = TABLE({"Exact", "/foo", "exact"}, {"Prefix", "/foo", "prefix"});
    ASSERT_ROUTE(t, "x", "/foo", "exact");
    route_table_unref(t);
}

/* ingress-controller-conformance features/path_rules.feature, its manifest
 * and every scenario. */
static const char PATH_RULES[] =
    "apiVersion: networking.k8s.io/v1\n"
    "kind: Ingress\n"
    "metadata: {name: path-rules}\n"
    "spec:\n"
    "  ingressClassName: ferry\n"
    "  rules:\n"
    "  - host: exact-path-rules\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /foo, pathType: Exact, backend: {service: {name: foo-exact, port: {number: "
    "8080}}}}\n"
    "  - host: prefix-path-rules\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /foo, pathType: Prefix, backend: {service: {name: foo-prefix, port: {number: "
    "8080}}}}\n"
    "      - {path: /aaa/bbb, pathType: Prefix, backend: {service: {name: aaa-slash-bbb-prefix, "
    "port: {number: 8080}}}}\n"
    "      - {path: /aaa, pathType: Prefix, backend: {service: {name: aaa-prefix, port: {number: "
    "8080}}}}\n"
    "  - host: mixed-path-rules\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /foo, pathType: Prefix, backend: {service: {name: foo-prefix, port: {number: "
    "8080}}}}\n"
    "      - {path: /foo, pathType: Exact, backend: {service: {name: foo-exact, port: {number: "
    "8080}}}}\n"
    "  - host: trailing-slash-path-rules\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /aaa/bbb/, pathType: Prefix, backend: {service: {name: "
    "aaa-slash-bbb-slash-prefix, port: {number: 8080}}}}\n"
    "      - {path: /foo/, pathType: Exact, backend: {service: {name: foo-slash-exact, port: "
    "{number: 8080}}}}\n";

static void conformance_path_rules(void **state)
{
    (void)state;
    struct route_table *t = table_of(PATH_RULES);
    ASSERT_ROUTE(t, "exact-path-rules", "/foo", "foo-exact");
    ASSERT_ROUTE(t, "exact-path-rules", "/foo/", "-");
    ASSERT_ROUTE(t, "exact-path-rules", "/FOO", "-");
    ASSERT_ROUTE(t, "exact-path-rules", "/bar", "-");
    ASSERT_ROUTE(t, "prefix-path-rules", "/foo", "foo-prefix");
    ASSERT_ROUTE(t, "prefix-path-rules", "/foo/", "foo-prefix");
    ASSERT_ROUTE(t, "prefix-path-rules", "/FOO", "-");
    ASSERT_ROUTE(t, "prefix-path-rules", "/aaa/bbb", "aaa-slash-bbb-prefix");
    ASSERT_ROUTE(t, "prefix-path-rules", "/aaa/bbb/ccc", "aaa-slash-bbb-prefix");
    ASSERT_ROUTE(t, "prefix-path-rules", "/aaa/ccc", "aaa-prefix");
    ASSERT_ROUTE(t, "prefix-path-rules", "/aaaccc", "-");
    ASSERT_ROUTE(t, "mixed-path-rules", "/foo", "foo-exact");
    ASSERT_ROUTE(t, "trailing-slash-path-rules", "/aaa/bbb", "aaa-slash-bbb-slash-prefix");
    ASSERT_ROUTE(t, "trailing-slash-path-rules", "/aaa/bbb/", "aaa-slash-bbb-slash-prefix");
    ASSERT_ROUTE(t, "trailing-slash-path-rules", "/foo", "-");
    route_table_unref(t);
}

/* ---- paths beyond the table ------------------------------------------------ */

static void exact_match_beats_longer_written_prefix(void **state)
{
    (void)state;
    /* Both cover all of "/foo"; Exact is the more specific rule. */
    struct route_table *t = TABLE({"Prefix", "/foo/", "prefix"}, {"Exact", "/foo", "exact"});
    ASSERT_ROUTE(t, "x", "/foo", "exact");
    ASSERT_ROUTE(t, "x", "/foo/x", "prefix");
    route_table_unref(t);
}

static void longer_prefix_beats_shorter_exact_elsewhere(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Exact", "/a", "exact"}, {"Prefix", "/a/b", "prefix"});
    ASSERT_ROUTE(t, "x", "/a/b/c", "prefix");
    ASSERT_ROUTE(t, "x", "/a", "exact");
    ASSERT_ROUTE(t, "x", "/a/", "-");
    route_table_unref(t);
}

static void paths_are_case_sensitive(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/foo", "prefix"}, {"Exact", "/bar", "exact"});
    ASSERT_ROUTE(t, "x", "/FOO", "-");
    ASSERT_ROUTE(t, "x", "/Bar", "-");
    route_table_unref(t);
}

static void paths_are_not_percent_decoded(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/foo", "foo"}, {"Prefix", "/a%20b", "enc"});
    ASSERT_ROUTE(t, "x", "/%66oo", "-");
    ASSERT_ROUTE(t, "x", "/foo%2Fbar", "-");
    ASSERT_ROUTE(t, "x", "/a%20b/c", "enc");
    ASSERT_ROUTE(t, "x", "/a b", "-");
    route_table_unref(t);
}

static void implementation_specific_is_prefix(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"ImplementationSpecific", "/foo", "impl"});
    ASSERT_ROUTE(t, "x", "/foo", "impl");
    ASSERT_ROUTE(t, "x", "/foo/bar", "impl");
    ASSERT_ROUTE(t, "x", "/foobar", "-");
    const struct route *r = route_lookup(t, "x", 1, "/foo", 4);
    assert_int_equal(r->match, ROUTE_MATCH_PREFIX);
    route_table_unref(t);
}

static void double_slashes_are_segments(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/a//b", "ab"}, {"Prefix", "/a", "a"});
    ASSERT_ROUTE(t, "x", "/a//b", "ab");
    ASSERT_ROUTE(t, "x", "/a//b/c", "ab");
    ASSERT_ROUTE(t, "x", "/a/b", "a");
    ASSERT_ROUTE(t, "x", "/a//bc", "a");
    route_table_unref(t);
}

static void longest_of_many_prefixes_wins(void **state)
{
    (void)state;
    struct rule rules[40];
    char paths[40][128], svcs[40][16];
    /* /s/s/s/... at every depth 1..40 */
    for (int i = 0; i < 40; i++) {
        snprintf(paths[i], sizeof(paths[i]), "%s/s", i ? paths[i - 1] : "");
        snprintf(svcs[i], sizeof(svcs[i]), "d%d", i + 1);
        rules[i] = (struct rule){"Prefix", paths[i], svcs[i]};
    }
    struct route_table *t = table_of_rules("h", rules, 40, NULL);
    char req[512] = "";
    for (int i = 0; i < 60; i++) {
        strcat(req, "/s");
        char want[16];
        snprintf(want, sizeof(want), "d%d", i < 40 ? i + 1 : 40);
        ASSERT_ROUTE(t, "h", req, want);
    }
    ASSERT_ROUTE(t, "h", "/s/s/x/s", "d2");
    ASSERT_ROUTE(t, "h", "/t", "-");
    route_table_unref(t);
}

static void very_long_paths_are_fine(void **state)
{
    (void)state;
    struct route_table *t = TABLE({"Prefix", "/a", "a"}, {"Exact", "/a/b", "ab"});
    size_t n = 100000;
    char *p = malloc(n + 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = i % 2 ? 'a' : '/';
    p[n] = 0;
    assert_string_equal(route_to(t, "x", p), "a");
    memset(p, '/', n);
    assert_string_equal(route_to(t, "x", p), "-");
    free(p);
    route_table_unref(t);
}

/* ---- hosts ----------------------------------------------------------------- */

static const char HOSTS[] =
    "apiVersion: networking.k8s.io/v1\n"
    "kind: Ingress\n"
    "metadata: {name: hosts, namespace: default}\n"
    "spec:\n"
    "  ingressClassName: ferry\n"
    "  rules:\n"
    "  - host: \"*.foo.com\"\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /, pathType: Prefix, backend: {service: {name: wildcard-foo-com, port: "
    "{number: 8080}}}}\n"
    "  - host: foo.bar.com\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /, pathType: Prefix, backend: {service: {name: foo-bar-com, port: {name: "
    "http}}}}\n"
    "  - host: exact.foo.com\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /x, pathType: Prefix, backend: {service: {name: exact-foo-com, port: "
    "{number: 80}}}}\n";

static void conformance_host_rule_matches(void **state)
{
    (void)state;
    struct route_table *t = table_of(HOSTS);
    ASSERT_ROUTE(t, "foo.bar.com", "/", "foo-bar-com");
    ASSERT_ROUTE(t, "subdomain.bar.com", "/", "-");
    route_table_unref(t);
}

static void conformance_wildcard_covers_one_label(void **state)
{
    (void)state;
    struct route_table *t = table_of(HOSTS);
    ASSERT_ROUTE(t, "bar.foo.com", "/", "wildcard-foo-com");
    ASSERT_ROUTE(t, "baz.bar.foo.com", "/", "-");
    ASSERT_ROUTE(t, "foo.com", "/", "-");
    ASSERT_ROUTE(t, ".foo.com", "/", "-");
    route_table_unref(t);
}

static void exact_host_beats_wildcard(void **state)
{
    (void)state;
    struct route_table *t = table_of(HOSTS);
    ASSERT_ROUTE(t, "exact.foo.com", "/x", "exact-foo-com");
    /* No fall-through to the wildcard when the exact host's paths miss. */
    ASSERT_ROUTE(t, "exact.foo.com", "/y", "-");
    ASSERT_ROUTE(t, "other.foo.com", "/y", "wildcard-foo-com");
    route_table_unref(t);
}

static void host_match_is_case_insensitive(void **state)
{
    (void)state;
    struct route_table *t = table_of(HOSTS);
    ASSERT_ROUTE(t, "FOO.Bar.COM", "/", "foo-bar-com");
    ASSERT_ROUTE(t, "BAR.FOO.COM", "/", "wildcard-foo-com");
    ASSERT_ROUTE(t, "Exact.Foo.Com", "/x", "exact-foo-com");
    route_table_unref(t);
}

static void host_port_and_trailing_dot_are_ignored(void **state)
{
    (void)state;
    struct route_table *t = table_of(HOSTS);
    ASSERT_ROUTE(t, "foo.bar.com:8080", "/", "foo-bar-com");
    ASSERT_ROUTE(t, "foo.bar.com:", "/", "foo-bar-com");
    ASSERT_ROUTE(t, "foo.bar.com.", "/", "foo-bar-com");
    ASSERT_ROUTE(t, "foo.bar.com.:443", "/", "foo-bar-com");
    ASSERT_ROUTE(t, "bar.foo.com:80", "/", "wildcard-foo-com");
    ASSERT_ROUTE(t, "foo.bar.co", "/", "-");
    ASSERT_ROUTE(t, "foo.bar.comm", "/", "-");
    ASSERT_ROUTE(t, "[::1]:80", "/", "-");
    route_table_unref(t);
}

static const char HOSTLESS[] =
    "apiVersion: networking.k8s.io/v1\n"
    "kind: Ingress\n"
    "metadata: {name: mixed, namespace: default}\n"
    "spec:\n"
    "  ingressClassName: ferry\n"
    "  rules:\n"
    "  - host: a.example\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /a, pathType: Prefix, backend: {service: {name: host-a, port: {number: "
    "80}}}}\n"
    "  - http:\n"
    "      paths:\n"
    "      - {path: /, pathType: Prefix, backend: {service: {name: any-host, port: {number: "
    "80}}}}\n";

static void rules_without_host_serve_other_hosts(void **state)
{
    (void)state;
    struct route_table *t = table_of(HOSTLESS);
    ASSERT_ROUTE(t, "a.example", "/a/1", "host-a");
    ASSERT_ROUTE(t, "b.example", "/a/1", "any-host");
    ASSERT_ROUTE(t, "10.0.0.1:80", "/", "any-host");
    ASSERT_ROUTE(t, NULL, "/", "any-host");
    ASSERT_ROUTE(t, "", "/", "any-host");
    /* A host with rules does not fall through to the host-less ones. */
    ASSERT_ROUTE(t, "a.example", "/b", "-");
    route_table_unref(t);
}

/* ---- default backends ---------------------------------------------------- */

static const char DEFAULT_ONLY[] = "apiVersion: networking.k8s.io/v1\n"
                                   "kind: Ingress\n"
                                   "metadata: {name: default-backend, namespace: ns1}\n"
                                   "spec:\n"
                                   "  ingressClassName: ferry\n"
                                   "  defaultBackend:\n"
                                   "    service: {name: echo-service, port: {number: 8080}}\n";

static void conformance_default_backend_serves_everything(void **state)
{
    (void)state;
    struct route_table *t = table_of(DEFAULT_ONLY);
    static const char *const hosts[] = {"my-host", "some-host", "", NULL};
    static const char *const paths[] = {"/", "/sub-path", "/resource", ""};
    for (int h = 0; h < 4; h++) {
        for (int p = 0; p < 4; p++) {
            const char *host = hosts[h];
            const struct route *r =
                route_lookup(t, host, host ? strlen(host) : 0, paths[p], strlen(paths[p]));
            assert_non_null(r);
            assert_string_equal(r->backend->service, "echo-service");
            assert_string_equal(r->backend->ns, "ns1");
            assert_int_equal(r->backend->port, 8080);
            assert_int_equal(r->match, ROUTE_MATCH_DEFAULT);
            assert_string_equal(r->ingress_name, "default-backend");
        }
    }
    route_table_unref(t);
}

static void host_fallback_is_its_ingress_default_backend(void **state)
{
    (void)state;
    struct route_table *t =
        table_of("apiVersion: networking.k8s.io/v1\n"
                 "kind: Ingress\n"
                 "metadata: {name: old, namespace: d, creationTimestamp: '2020-01-01T00:00:00Z'}\n"
                 "spec:\n"
                 "  ingressClassName: ferry\n"
                 "  defaultBackend: {service: {name: global, port: {number: 80}}}\n"
                 "---\n"
                 "apiVersion: networking.k8s.io/v1\n"
                 "kind: Ingress\n"
                 "metadata: {name: new, namespace: d, creationTimestamp: '2021-01-01T00:00:00Z'}\n"
                 "spec:\n"
                 "  ingressClassName: ferry\n"
                 "  defaultBackend: {service: {name: b-default, port: {number: 80}}}\n"
                 "  rules:\n"
                 "  - host: b.example\n"
                 "    http:\n"
                 "      paths:\n"
                 "      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: "
                 "{number: 80}}}}\n");
    ASSERT_ROUTE(t, "b.example", "/api", "api");
    ASSERT_ROUTE(t, "b.example", "/web", "b-default");
    ASSERT_ROUTE(t, "c.example", "/web", "global");
    route_table_unref(t);
}

static void empty_table_has_no_route(void **state)
{
    (void)state;
    struct route_table *t = table_of("kind: ConfigMap\napiVersion: v1\nmetadata: {name: x}\n");
    ASSERT_ROUTE(t, "x", "/", "-");
    ASSERT_ROUTE(t, NULL, NULL, "-");
    assert_int_equal(route_table_nroutes(t), 0);
    assert_int_equal(route_table_nbackends(t), 0);
    route_table_unref(t);
}

/* ---- route contents ------------------------------------------------------- */

static const char FULL[] =
    "apiVersion: networking.k8s.io/v1\n"
    "kind: Ingress\n"
    "metadata:\n"
    "  name: web\n"
    "  namespace: shop\n"
    "  annotations:\n"
    "    nginx.ingress.kubernetes.io/rewrite-target: /\n"
    "    a.example/flag: \"true\"\n"
    "    z.example/number: 10\n"
    "spec:\n"
    "  ingressClassName: ferry\n"
    "  rules:\n"
    "  - host: shop.example\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /cart, pathType: Prefix, backend: {service: {name: cart, port: {name: "
    "http}}}}\n"
    "      - {path: /pay, pathType: Exact, backend: {service: {name: cart, port: {number: "
    "80}}}}\n"
    "      - {path: /v6, pathType: Exact, backend: {service: {name: v6, port: {number: "
    "80}}}}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: cart, namespace: shop}\n"
    "spec:\n"
    "  ports: [{name: http, port: 80, targetPort: 8080}]\n"
    "---\n"
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata: {name: cart-1, namespace: shop, labels: {kubernetes.io/service-name: cart}}\n"
    "addressType: IPv4\n"
    "ports: [{name: http, port: 8080, protocol: TCP}]\n"
    "endpoints:\n"
    "- addresses: [10.0.0.2]\n"
    "- addresses: [10.0.0.1]\n"
    "  conditions: {ready: true}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: v6, namespace: shop}\n"
    "spec:\n"
    "  ports: [{port: 80, targetPort: 9090}]\n"
    "---\n"
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata: {name: v6-1, namespace: shop, labels: {kubernetes.io/service-name: v6}}\n"
    "addressType: IPv6\n"
    "ports: [{port: 9090}]\n"
    "endpoints:\n"
    "- addresses: ['fd00::1']\n";

static void route_carries_backend_endpoints_and_source(void **state)
{
    (void)state;
    struct route_table *t = table_of(FULL);
    const struct route *r = route_lookup(t, "shop.example", 12, "/cart/items", 11);
    assert_non_null(r);
    assert_int_equal(r->match, ROUTE_MATCH_PREFIX);
    assert_string_equal(r->host, "shop.example");
    assert_string_equal(r->path, "/cart");
    assert_string_equal(r->ingress_ns, "shop");
    assert_string_equal(r->ingress_name, "web");
    const struct route_backend *b = r->backend;
    assert_int_equal(b->state, ROUTE_BACKEND_OK);
    assert_string_equal(b->ns, "shop");
    assert_string_equal(b->service, "cart");
    assert_string_equal(b->port_name, "http");
    assert_int_equal(b->port, 80);
    assert_int_equal(b->nendpoints, 2);
    assert_string_equal(b->endpoints[0].hostport, "10.0.0.1:8080");
    assert_string_equal(b->endpoints[1].hostport, "10.0.0.2:8080");
    assert_string_equal(b->endpoints[0].addr, "10.0.0.1");
    assert_int_equal(b->endpoints[0].port, 8080);
    assert_memory_equal(b->endpoints[0].ip, "\x0a\x00\x00\x01", 4);

    const struct route *v6 = route_lookup(t, "shop.example", 12, "/v6", 3);
    assert_non_null(v6);
    assert_int_equal(v6->backend->nendpoints, 1);
    assert_string_equal(v6->backend->endpoints[0].hostport, "[fd00::1]:9090");
    route_table_unref(t);
}

static void backends_are_shared_and_indexed_densely(void **state)
{
    (void)state;
    struct route_table *t = table_of(FULL);
    const struct route *cart = route_lookup(t, "shop.example", 12, "/cart", 5);
    const struct route *pay = route_lookup(t, "shop.example", 12, "/pay", 4);
    const struct route *v6 = route_lookup(t, "shop.example", 12, "/v6", 3);
    /* Port by name and by number resolve to the same Service port. */
    assert_ptr_equal(cart->backend, pay->backend);
    assert_int_not_equal(cart->backend->index, v6->backend->index);
    assert_int_equal(route_table_nbackends(t), 2);
    for (uint32_t i = 0; i < route_table_nbackends(t); i++)
        assert_int_equal(route_table_backend(t, i)->index, i);
    assert_null(route_table_backend(t, 2));
    route_table_unref(t);
}

static void annotations_are_kept_per_route(void **state)
{
    (void)state;
    struct route_table *t = table_of(FULL);
    const struct route *r = route_lookup(t, "shop.example", 12, "/pay", 4);
    assert_int_equal(r->nannotations, 3);
    assert_string_equal(route_annotation(r, "nginx.ingress.kubernetes.io/rewrite-target"), "/");
    assert_string_equal(route_annotation(r, "a.example/flag"), "true");
    assert_string_equal(route_annotation(r, "z.example/number"), "10");
    assert_null(route_annotation(r, "missing"));
    assert_string_equal(r->annotations[0].key, "a.example/flag");
    route_table_unref(t);
}

/* ---- publishing ------------------------------------------------------------ */

struct worker {
    struct route_slot slot;
    _Atomic int stop;
    long lookups, swaps;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct route_table *cur = NULL;
    while (!atomic_load(&w->stop) || atomic_load(&w->slot.next)) {
        struct route_table *nt = route_slot_take(&w->slot);
        if (nt) {
            route_table_unref(cur);
            cur = nt;
            w->swaps++;
        }
        if (!cur)
            continue;
        /* A "request": holds its own reference while it routes. */
        struct route_table *req = route_table_ref(cur);
        const struct route *r = route_lookup(req, "shop.example", 12, "/cart/x", 7);
        assert_non_null(r);
        assert_string_equal(r->backend->service, "cart");
        w->lookups++;
        route_table_unref(req);
    }
    route_table_unref(cur);
    return NULL;
}

static void publish_swaps_tables_under_load(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(FULL);
    struct worker w[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int n = 0; n < 300; n++) {
        struct route_table *t = route_table_build(m, NULL);
        assert_non_null(t);
        for (int i = 0; i < 2; i++)
            route_slot_put(&w[i].slot, route_table_ref(t));
        route_table_unref(t);
    }
    for (int i = 0; i < 2; i++) {
        atomic_store(&w[i].stop, 1);
        pthread_join(th[i], NULL);
        route_slot_fini(&w[i].slot);
        assert_true(w[i].swaps >= 1);
    }
    ingress_model_free(m);
}

static void slot_put_replaces_untaken_table(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(FULL);
    struct route_slot s = ROUTE_SLOT_INIT;
    struct route_table *a = route_table_build(m, NULL);
    struct route_table *b = route_table_build(m, NULL);
    assert_null(route_slot_take(&s));
    route_slot_put(&s, a); /* a is freed by the next put (ASan checks) */
    route_slot_put(&s, b);
    struct route_table *got = route_slot_take(&s);
    assert_ptr_equal(got, b);
    assert_null(route_slot_take(&s));
    route_table_unref(got);
    route_slot_fini(&s);
    ingress_model_free(m);
}

/* ---- scale ----------------------------------------------------------------- */

/* CPU time of this thread: the build is single-threaded, and the machines
 * the tests run on are shared, so wall time would measure the neighbours. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 10,000 Ingresses in 100 namespaces: each has its own host with an Exact
 * and two Prefix paths; every tenth also takes a path on a shared host and
 * every hundredth a wildcard host. Services and EndpointSlices for all. */
static json_t *many_ingresses(int n)
{
    json_t *objs = json_array();
    char host[64], ns[32], name[32], svc[32], path[64], wild[64];
    for (int i = 0; i < n; i++) {
        snprintf(ns, sizeof(ns), "ns%d", i % 100);
        snprintf(name, sizeof(name), "ing%d", i);
        snprintf(svc, sizeof(svc), "svc%d", i);
        snprintf(host, sizeof(host), "h%d.example.com", i);
        json_t *paths =
            json_pack("[{s:s,s:s,s:{s:{s:s,s:{s:i}}}},{s:s,s:s,s:{s:{s:s,s:{s:i}}}},"
                      "{s:s,s:s,s:{s:{s:s,s:{s:s}}}}]",
                      "path", "/", "pathType", "Prefix", "backend", "service", "name", svc, "port",
                      "number", 80, "path", "/api/v1", "pathType", "Prefix", "backend", "service",
                      "name", svc, "port", "number", 80, "path", "/exact", "pathType", "Exact",
                      "backend", "service", "name", svc, "port", "name", "http");
        json_t *rules = json_pack("[{s:s,s:{s:o}}]", "host", host, "http", "paths", paths);
        if (i % 10 == 0) {
            snprintf(path, sizeof(path), "/t%d", i);
            json_array_append_new(rules, json_pack("{s:s,s:{s:[{s:s,s:s,s:{s:{s:s,s:{s:i}}}}]}}",
                                                   "host", "shared.example.com", "http", "paths",
                                                   "path", path, "pathType", "Prefix", "backend",
                                                   "service", "name", svc, "port", "number", 80));
        }
        if (i % 100 == 0) {
            snprintf(wild, sizeof(wild), "*.w%d.example.com", i);
            json_array_append_new(rules, json_pack("{s:s,s:{s:[{s:s,s:s,s:{s:{s:s,s:{s:i}}}}]}}",
                                                   "host", wild, "http", "paths", "path", "/",
                                                   "pathType", "Prefix", "backend", "service",
                                                   "name", svc, "port", "number", 80));
        }
        json_array_append_new(objs, json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:{s:s,s:o}}", "apiVersion",
                                              "networking.k8s.io/v1", "kind", "Ingress", "metadata",
                                              "name", name, "namespace", ns, "creationTimestamp",
                                              "2024-01-01T00:00:00Z", "spec", "ingressClassName",
                                              "ferry", "rules", rules));
        json_array_append_new(objs, json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:[{s:s,s:i,s:i}]}}",
                                              "apiVersion", "v1", "kind", "Service", "metadata",
                                              "name", svc, "namespace", ns, "spec", "ports", "name",
                                              "http", "port", 80, "targetPort", 8080));
        char ip[32];
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

static void ten_thousand_ingresses_build_fast_and_route_right(void **state)
{
    (void)state;
    const int n = 10000;
    json_t *objs = many_ingresses(n);
    assert_non_null(objs);
    double best = 1e9, best_model = 0, best_table = 0;
    struct route_table *t = NULL;
    for (int round = 0; round < 3; round++) {
        double t0 = cpu_ms();
        struct ingress_model *m = ingress_model_build(objs, NULL, NULL);
        assert_non_null(m);
        double t1 = cpu_ms();
        struct route_table *nt = route_table_build(m, NULL);
        assert_non_null(nt);
        double t2 = cpu_ms();
        if (t2 - t0 < best) {
            best = t2 - t0;
            best_model = t1 - t0;
            best_table = t2 - t1;
        }
        assert_int_equal(m->ningresses, n);
        assert_int_equal(m->nwarnings, 0);
        ingress_model_free(m);
        route_table_unref(t);
        t = nt;
    }
    print_message("# 10000 Ingresses: model %.1f ms + table %.1f ms (CPU), table %zu KiB\n",
                  best_model, best_table, route_table_memory(t) >> 10);
    /* The table itself is the 100 ms budget's small part; the model reads
     * ~100 MB of jansson allocations (see docs/internals/ingress.md). The
     * bounds leave room for a loaded machine. */
    assert_true(best_table < (SANITIZED ? 500 : 50));
    assert_true(best < (SANITIZED ? 5000 : 200));

    char host[64], path[64], want[32];
    for (int i = 0; i < n; i++) {
        snprintf(host, sizeof(host), "H%d.Example.com:443", i);
        snprintf(want, sizeof(want), "svc%d", i);
        const struct route *r = route_lookup(t, host, strlen(host), "/api/v1/users", 13);
        assert_non_null(r);
        assert_string_equal(r->backend->service, want);
        assert_string_equal(r->path, "/api/v1");
        assert_int_equal(r->backend->nendpoints, 1);
        assert_string_equal(route_to(t, host, "/exact"), want);
        assert_string_equal(route_lookup(t, host, strlen(host), "/exact", 6)->path, "/exact");
        assert_string_equal(route_lookup(t, host, strlen(host), "/api/v2", 7)->path, "/");
        if (i % 10 == 0) {
            snprintf(path, sizeof(path), "/t%d/x", i);
            assert_string_equal(route_to(t, "shared.example.com", path), want);
        }
        if (i % 100 == 0) {
            snprintf(host, sizeof(host), "any.w%d.example.com", i);
            assert_string_equal(route_to(t, host, "/z"), want);
        }
    }
    assert_string_equal(route_to(t, "shared.example.com", "/t5"), "-");
    assert_string_equal(route_to(t, "h10000.example.com", "/"), "-");
    route_table_unref(t);
    json_decref(objs);
}

/* With a route cache (the object store's builds), an ExternalName backend
 * gets the addresses its name resolves to, at the backend's port; without
 * one it has none. "localhost" resolves from /etc/hosts, no DNS needed. */
static void external_names_resolve_when_built_with_a_cache(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: v1\nkind: Service\nmetadata: {name: ext}\n"
        "spec: {type: ExternalName, externalName: localhost, ports: [{port: 8443}]}\n---\n"
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i}\n"
        "spec: {ingressClassName: ferry, defaultBackend: {service: {name: ext, port: {number: "
        "8443}}}}\n");
    struct err e = {{0}};
    struct route_table *plain = route_table_build(m, &e);
    assert_non_null(plain);
    assert_int_equal(route_lookup(plain, "x", 1, "/", 1)->backend->nendpoints, 0);
    struct route_cache *c = route_cache_new();
    assert_non_null(c);
    struct route_table *t = route_table_build_cached(m, c, &e);
    assert_non_null(t);
    const struct route_backend *be = route_lookup(t, "x", 1, "/", 1)->backend;
    assert_int_equal(be->state, ROUTE_BACKEND_EXTERNAL_NAME);
    assert_string_equal(be->external_name, "localhost");
    assert_true(be->nendpoints >= 1);
    int v4 = 0;
    for (uint32_t i = 0; i < be->nendpoints; i++) {
        assert_int_equal(be->endpoints[i].port, 8443);
        v4 |= strcmp(be->endpoints[i].hostport, "127.0.0.1:8443") == 0;
    }
    assert_true(v4);
    route_table_unref(t);
    route_table_unref(plain);
    route_cache_free(c);
    ingress_model_free(m);
}

static struct route route_of(const struct route_backend *be, enum route_match match,
                             const char *host, const char *path)
{
    return (struct route){.backend = be,
                          .match = match,
                          .host = host,
                          .path = path,
                          .ingress_ns = "n",
                          .ingress_name = "i"};
}

/* The proxy's builder API alone, with no ingress model: what src/ingress
 * drives, and what another configuration source would. */
static void builder_api_without_a_model(void **state)
{
    (void)state;
    struct route_table *t = route_table_new(0);
    assert_non_null(t);
    struct arena *a = route_table_arena(t);
    struct route_backend *be = arena_calloc(a, 2, sizeof(*be));
    struct route *r = arena_calloc(a, 6, sizeof(*r));
    assert_non_null(be);
    assert_non_null(r);
    be[0] = (struct route_backend){.ns = "n", .service = "one", .port_name = "", .index = 0};
    be[1] = (struct route_backend){.ns = "n", .service = "two", .port_name = "", .index = 1};
    route_table_set_backends(t, be, 2);
    r[0] = route_of(&be[0], ROUTE_MATCH_EXACT, "a.example", "/x");
    r[1] = route_of(&be[1], ROUTE_MATCH_PREFIX, "a.example", "/p/");
    r[2] = route_of(&be[0], ROUTE_MATCH_PREFIX, "*.w.example", "/");
    r[3] = route_of(&be[1], ROUTE_MATCH_PREFIX, "", "/any");
    r[4] = route_of(&be[1], ROUTE_MATCH_DEFAULT, "", "");
    r[5] = route_of(&be[0], ROUTE_MATCH_DEFAULT, "", "");
    struct route_host *h = route_host_new(t, 1, 1), *w = route_host_new(t, 0, 0),
                      *any = route_host_new(t, 0, 1);
    assert_non_null(h);
    assert_non_null(w);
    assert_non_null(any);
    route_host_add(h, &r[0], 2);
    route_host_add(h, &r[1], 2); /* "/p/" is the key "/p" */
    route_host_set_fallback(h, &r[5]);
    route_host_add(w, &r[2], 0); /* the root */
    route_host_add(any, &r[3], 4);
    assert_int_equal(route_table_hosts_init(t, 1, 1), 0);
    route_table_add_host(t, "a.example", h);
    route_table_add_host(t, "*.w.example", w);
    route_table_add_host(t, "", any);
    route_table_set_default(t, &r[4]);
    route_table_set_nroutes(t, 6);

    assert_ptr_equal(route_lookup(t, "a.example", 9, "/x", 2), &r[0]);
    assert_ptr_equal(route_lookup(t, "A.Example:8080", 14, "/p/q", 4), &r[1]);
    assert_ptr_equal(route_lookup(t, "a.example", 9, "/pq", 3), &r[5]); /* the fallback */
    assert_ptr_equal(route_lookup(t, "b.w.example", 11, "/z", 2), &r[2]);
    assert_ptr_equal(route_lookup(t, "c.b.w.example", 13, "/any/1", 6), &r[3]);
    assert_ptr_equal(route_lookup(t, "other", 5, "/none", 5), NULL); /* host-less rules */
    assert_ptr_equal(route_lookup(t, NULL, 0, "/any", 4), &r[3]);
    assert_int_equal(route_table_nroutes(t), 6);
    assert_ptr_equal(route_table_backend(t, 1), &be[1]);

    /* Certificates: names as hosts are; a name without a usable
     * certificate gets the default; the count is a hard limit. */
    assert_int_equal(route_table_tls_init(t, 1, 1, 0), 0);
    assert_int_equal(route_table_add_tls_host(t, "a.example", NULL), 0);
    assert_int_equal(route_table_add_tls_host(t, "*.w.example", NULL), 0);
    assert_true(route_table_tls_listed(t, "a.example"));
    assert_true(route_table_tls_listed(t, "*.w.example"));
    assert_false(route_table_tls_listed(t, "b.w.example"));
    assert_false(route_table_tls_listed(t, ""));
    assert_null(route_cert(t, "a.example"));
    assert_int_equal(route_table_own_cert(t, NULL), -1);
    route_table_unref(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builder_api_without_a_model),
        cmocka_unit_test(table_prefix_root_matches_all_paths),
        cmocka_unit_test(table_exact_foo_matches_foo),
        cmocka_unit_test(table_exact_foo_does_not_match_bar),
        cmocka_unit_test(table_exact_foo_does_not_match_foo_slash),
        cmocka_unit_test(table_exact_foo_slash_does_not_match_foo),
        cmocka_unit_test(table_prefix_foo_matches_foo_and_foo_slash),
        cmocka_unit_test(table_prefix_foo_slash_matches_foo_and_foo_slash),
        cmocka_unit_test(table_prefix_aaa_bb_does_not_match_aaa_bbb),
        cmocka_unit_test(table_prefix_aaa_bbb_matches_aaa_bbb),
        cmocka_unit_test(table_prefix_ignores_trailing_slash_of_rule),
        cmocka_unit_test(table_prefix_matches_trailing_slash_of_request),
        cmocka_unit_test(table_prefix_matches_subpath),
        cmocka_unit_test(table_prefix_does_not_match_string_prefix),
        cmocka_unit_test(table_prefix_root_and_aaa_match_aaa_prefix),
        cmocka_unit_test(table_prefix_three_rules_match_longest),
        cmocka_unit_test(table_prefix_three_rules_fall_back_to_root),
        cmocka_unit_test(table_prefix_no_match_uses_default_backend),
        cmocka_unit_test(table_mixed_prefers_exact),
        cmocka_unit_test(conformance_path_rules),
        cmocka_unit_test(exact_match_beats_longer_written_prefix),
        cmocka_unit_test(longer_prefix_beats_shorter_exact_elsewhere),
        cmocka_unit_test(paths_are_case_sensitive),
        cmocka_unit_test(paths_are_not_percent_decoded),
        cmocka_unit_test(implementation_specific_is_prefix),
        cmocka_unit_test(double_slashes_are_segments),
        cmocka_unit_test(longest_of_many_prefixes_wins),
        cmocka_unit_test(very_long_paths_are_fine),
        cmocka_unit_test(conformance_host_rule_matches),
        cmocka_unit_test(conformance_wildcard_covers_one_label),
        cmocka_unit_test(exact_host_beats_wildcard),
        cmocka_unit_test(host_match_is_case_insensitive),
        cmocka_unit_test(host_port_and_trailing_dot_are_ignored),
        cmocka_unit_test(rules_without_host_serve_other_hosts),
        cmocka_unit_test(conformance_default_backend_serves_everything),
        cmocka_unit_test(host_fallback_is_its_ingress_default_backend),
        cmocka_unit_test(empty_table_has_no_route),
        cmocka_unit_test(route_carries_backend_endpoints_and_source),
        cmocka_unit_test(backends_are_shared_and_indexed_densely),
        cmocka_unit_test(annotations_are_kept_per_route),
        cmocka_unit_test(publish_swaps_tables_under_load),
        cmocka_unit_test(slot_put_replaces_untaken_table),
        cmocka_unit_test(ten_thousand_ingresses_build_fast_and_route_right),
        cmocka_unit_test(external_names_resolve_when_built_with_a_cache),
    };
    return cmocka_run_group_tests_name("routes", tests, NULL, NULL);
}
