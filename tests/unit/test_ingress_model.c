/* The Ingress model: class selection, merging, default backends, backend
 * resolution to endpoints, TLS and warnings. Manifests are YAML, read with
 * yaml_load as `ferry ingress serve --manifests` reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/yaml.h"
#include "ingress/model.h"

static struct ingress_model *model_opts(const char *yaml, const struct ingress_opts *opts)
{
    json_t *docs = NULL;
    struct err e = {{0}};
    if (yaml_load(yaml, strlen(yaml), &docs, &e) != 0)
        fail_msg("yaml: %s", e.msg);
    struct ingress_model *m = ingress_model_build(docs, opts, &e);
    json_decref(docs);
    if (!m)
        fail_msg("model: %s", e.msg);
    return m;
}

static struct ingress_model *model_of(const char *yaml)
{
    return model_opts(yaml, NULL);
}

/* The Ingress named <name> among the model's, or NULL. */
static const struct ingress_info *ingress_named(const struct ingress_model *m, const char *name)
{
    for (size_t i = 0; i < m->ningresses; i++) {
        if (strcmp(m->ingresses[i].name, name) == 0)
            return &m->ingresses[i];
    }
    return NULL;
}

/* The backend of the path <path> of host <host> (matching kind <type>). */
static const struct ingress_path *path_of(const struct ingress_model *m, const char *host,
                                          const char *path)
{
    int32_t h = ingress_model_host(m, host);
    for (size_t i = 0; h >= 0 && i < m->npaths; i++) {
        if (m->paths[i].host == (uint32_t)h && strcmp(m->paths[i].path, path) == 0)
            return &m->paths[i];
    }
    return NULL;
}

static const struct ingress_backend *backend_of(const struct ingress_model *m, const char *host,
                                                const char *path)
{
    const struct ingress_path *p = path_of(m, host, path);
    assert_non_null(p);
    return &m->backends[p->backend];
}

/* True when a warning about <ns>/<name> contains <text>. */
static bool warned(const struct ingress_model *m, const char *ns, const char *name,
                   const char *text)
{
    for (size_t i = 0; i < m->nwarnings; i++) {
        const struct ingress_warning *w = &m->warnings[i];
        if (strcmp(w->ns, ns) == 0 && strcmp(w->name, name) == 0 && strstr(w->msg, text))
            return true;
    }
    return false;
}

static void print_warnings(const struct ingress_model *m)
{
    for (size_t i = 0; i < m->nwarnings; i++)
        print_message("# warning: %s/%s: %s\n", m->warnings[i].ns, m->warnings[i].name,
                      m->warnings[i].msg);
}

/* An Ingress with one path to service "web" port 80; <meta> and <spec_extra>
 * are spliced in (YAML, already indented). */
#define ING(name, meta, spec_extra)                                                                \
    "---\n"                                                                                        \
    "apiVersion: networking.k8s.io/v1\n"                                                           \
    "kind: Ingress\n"                                                                              \
    "metadata:\n"                                                                                  \
    "  name: " name "\n"                                                                           \
    "  namespace: default\n" meta "spec:\n" spec_extra "  rules:\n"                                \
    "  - host: " name ".example\n"                                                                 \
    "    http:\n"                                                                                  \
    "      paths:\n"                                                                               \
    "      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n"

#define CLASS(name, controller, dflt)                                                              \
    "---\n"                                                                                        \
    "apiVersion: networking.k8s.io/v1\n"                                                           \
    "kind: IngressClass\n"                                                                         \
    "metadata:\n"                                                                                  \
    "  name: " name "\n"                                                                           \
    "  annotations: {ingressclass.kubernetes.io/is-default-class: \"" dflt "\"}\n"                 \
    "spec:\n"                                                                                      \
    "  controller: " controller "\n"

/* ---- class selection ---------------------------------------------------- */

static void class_name_naming_our_ingressclass_is_ours(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(CLASS("fast", INGRESS_CONTROLLER_DEFAULT, "false")
                                           ING("a", "", "  ingressClassName: fast\n"));
    assert_int_equal(m->ningresses, 1);
    assert_int_equal(m->ingresses[0].why, INGRESS_CLASS_BY_CLASS_OBJECT);
    assert_int_equal(m->nignored, 0);
    ingress_model_free(m);
}

static void class_name_naming_another_controllers_class_is_not_ours(void **state)
{
    (void)state;
    /* Even when the class is called like ours: the object decides. */
    struct ingress_model *m = model_of(CLASS("ferry", "k8s.io/ingress-nginx", "false")
                                           ING("a", "", "  ingressClassName: ferry\n"));
    assert_int_equal(m->ningresses, 0);
    assert_int_equal(m->nignored, 1);
    ingress_model_free(m);
}

static void class_name_without_object_matches_our_class_name(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(ING("a", "", "  ingressClassName: ferry\n")
                                           ING("b", "", "  ingressClassName: nginx\n"));
    assert_int_equal(m->ningresses, 1);
    assert_string_equal(m->ingresses[0].name, "a");
    assert_int_equal(m->ingresses[0].why, INGRESS_CLASS_BY_NAME);
    ingress_model_free(m);
}

static void conformance_invalid_class_name_is_not_ours(void **state)
{
    (void)state;
    /* ingress-controller-conformance features/ingress_class.feature */
    struct ingress_model *m = model_of(CLASS("ferry", INGRESS_CONTROLLER_DEFAULT, "true") ING(
        "test-ingress-class", "", "  ingressClassName: some-invalid-class-name\n"));
    assert_int_equal(m->ningresses, 0);
    ingress_model_free(m);
}

static void legacy_annotation_selects_by_class_name(void **state)
{
    (void)state;
    struct ingress_model *m =
        model_of(ING("a", "  annotations: {kubernetes.io/ingress.class: ferry}\n", "")
                     ING("b", "  annotations: {kubernetes.io/ingress.class: nginx}\n", ""));
    assert_int_equal(m->ningresses, 1);
    assert_string_equal(m->ingresses[0].name, "a");
    assert_int_equal(m->ingresses[0].why, INGRESS_CLASS_BY_ANNOTATION);
    ingress_model_free(m);
}

static void class_name_takes_precedence_over_annotation(void **state)
{
    (void)state;
    struct ingress_model *m =
        model_of(ING("a", "  annotations: {kubernetes.io/ingress.class: ferry}\n",
                     "  ingressClassName: nginx\n")
                     ING("b", "  annotations: {kubernetes.io/ingress.class: nginx}\n",
                         "  ingressClassName: ferry\n"));
    assert_int_equal(m->ningresses, 1);
    assert_string_equal(m->ingresses[0].name, "b");
    ingress_model_free(m);
}

static void no_class_is_ours_when_our_class_is_default(void **state)
{
    (void)state;
    struct ingress_model *m =
        model_of(CLASS("fast", INGRESS_CONTROLLER_DEFAULT, "true") ING("a", "", ""));
    assert_int_equal(m->ningresses, 1);
    assert_int_equal(m->ingresses[0].why, INGRESS_CLASS_BY_DEFAULT);
    ingress_model_free(m);
}

static void no_class_is_not_ours_otherwise(void **state)
{
    (void)state;
    /* No class at all; a default class of someone else; ours but not default. */
    static const char *const cases[] = {
        ING("a", "", ""),
        CLASS("nginx", "k8s.io/ingress-nginx", "true") ING("a", "", ""),
        CLASS("fast", INGRESS_CONTROLLER_DEFAULT, "false") ING("a", "", ""),
        CLASS("fast", INGRESS_CONTROLLER_DEFAULT, "True") ING("a", "", ""),
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ingress_model *m = model_of(cases[i]);
        assert_int_equal(m->ningresses, 0);
        assert_int_equal(m->nignored, 1);
        ingress_model_free(m);
    }
}

static void class_options_are_honoured(void **state)
{
    (void)state;
    struct ingress_opts o = {.class_name = "edge", .controller = "example.com/edge"};
    struct ingress_model *m = model_opts(
        CLASS("internal", "example.com/edge", "false") ING("a", "", "  ingressClassName: edge\n")
            ING("b", "", "  ingressClassName: internal\n")
                ING("c", "", "  ingressClassName: ferry\n")
                    ING("d", "  annotations: {kubernetes.io/ingress.class: edge}\n", ""),
        &o);
    assert_int_equal(m->ningresses, 3);
    assert_non_null(ingress_named(m, "a"));
    assert_non_null(ingress_named(m, "b"));
    assert_null(ingress_named(m, "c"));
    assert_non_null(ingress_named(m, "d"));
    ingress_model_free(m);
}

/* ---- merging and conflicts ------------------------------------------------ */

static const char CONFLICT[] =
    "apiVersion: networking.k8s.io/v1\n"
    "kind: Ingress\n"
    "metadata: {name: newer, namespace: a, creationTimestamp: '2024-03-01T00:00:00Z'}\n"
    "spec:\n"
    "  ingressClassName: ferry\n"
    "  rules:\n"
    "  - host: shop.example\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /cart, pathType: Prefix, backend: {service: {name: new-cart, port: {number: "
    "80}}}}\n"
    "      - {path: /cart, pathType: Exact, backend: {service: {name: new-exact, port: {number: "
    "80}}}}\n"
    "      - {path: /new, pathType: Prefix, backend: {service: {name: new-only, port: {number: "
    "80}}}}\n"
    "---\n"
    "apiVersion: networking.k8s.io/v1\n"
    "kind: Ingress\n"
    "metadata: {name: older, namespace: z, creationTimestamp: '2024-01-01T00:00:00Z'}\n"
    "spec:\n"
    "  ingressClassName: ferry\n"
    "  rules:\n"
    "  - host: SHOP.example\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /cart/, pathType: Prefix, backend: {service: {name: old-cart, port: {number: "
    "80}}}}\n"
    "      - {path: /old, pathType: ImplementationSpecific, backend: {service: {name: old-only, "
    "port: {number: 80}}}}\n";

static void rules_merge_per_host_across_ingresses(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(CONFLICT);
    assert_int_equal(m->ningresses, 2);
    assert_int_equal(m->nhosts, 1);
    assert_string_equal(m->hosts[0].name, "shop.example");
    assert_string_equal(backend_of(m, "shop.example", "/new")->service, "new-only");
    assert_string_equal(backend_of(m, "shop.example", "/old")->service, "old-only");
    ingress_model_free(m);
}

static void conflict_goes_to_the_oldest_ingress(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(CONFLICT);
    /* Age order, not input or namespace order. */
    assert_string_equal(m->ingresses[0].name, "older");
    assert_string_equal(m->ingresses[1].name, "newer");
    /* "/cart/" and "/cart" are the same Prefix rule. */
    assert_string_equal(backend_of(m, "shop.example", "/cart/")->service, "old-cart");
    size_t prefixes = 0;
    for (size_t i = 0; i < m->npaths; i++) {
        if (m->paths[i].type == INGRESS_PATH_PREFIX && m->paths[i].keylen == 5 &&
            memcmp(m->paths[i].key, "/cart", 5) == 0)
            prefixes++;
    }
    assert_int_equal(prefixes, 1);
    assert_true(
        warned(m, "a", "newer", "Prefix path \"/cart\" is already defined by ingress \"z/older\""));
    ingress_model_free(m);
}

static void same_path_other_type_is_no_conflict(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(CONFLICT);
    const struct ingress_path *exact = NULL;
    for (size_t i = 0; i < m->npaths; i++) {
        if (m->paths[i].type == INGRESS_PATH_EXACT)
            exact = &m->paths[i];
    }
    assert_non_null(exact);
    assert_string_equal(exact->path, "/cart");
    assert_string_equal(m->backends[exact->backend].service, "new-exact");
    ingress_model_free(m);
}

static void equal_ages_are_ordered_by_namespace_then_name(void **state)
{
    (void)state;
    /* Manifests have no creationTimestamp: all equal. */
    struct ingress_model *m = model_of(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        "metadata: {name: b, namespace: x}\n"
        "spec: {ingressClassName: ferry, rules: [{http: {paths: [{path: /, pathType: Prefix, "
        "backend: {service: {name: xb, port: {number: 80}}}}]}}]}\n"
        "---\n"
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        "metadata: {name: a, namespace: x}\n"
        "spec: {ingressClassName: ferry, rules: [{http: {paths: [{path: /, pathType: Prefix, "
        "backend: {service: {name: xa, port: {number: 80}}}}]}}]}\n"
        "---\n"
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        "metadata: {name: z, namespace: w}\n"
        "spec: {ingressClassName: ferry, rules: [{http: {paths: [{path: /, pathType: Prefix, "
        "backend: {service: {name: wz, port: {number: 80}}}}]}}]}\n");
    assert_string_equal(m->ingresses[0].ns, "w");
    assert_string_equal(m->ingresses[1].name, "a");
    assert_string_equal(m->ingresses[2].name, "b");
    assert_int_equal(m->npaths, 1);
    assert_string_equal(backend_of(m, "", "/")->service, "wz");
    assert_string_equal(backend_of(m, "", "/")->ns, "w");
    assert_true(warned(m, "x", "a", "already defined by ingress \"w/z\""));
    assert_true(warned(m, "x", "b", "already defined by ingress \"w/z\""));
    ingress_model_free(m);
}

static void creation_timestamps_compare_as_times(void **state)
{
    (void)state;
    /* An offset and fractions; a missing timestamp sorts first. */
    struct ingress_model *m = model_of(
        ING("t1", "  creationTimestamp: '2024-01-01T10:00:00Z'\n", "  ingressClassName: ferry\n")
            ING("t0", "  creationTimestamp: '2024-01-01T11:30:00.5+02:00'\n",
                "  ingressClassName: ferry\n") ING("none", "", "  ingressClassName: ferry\n")
                ING("t2", "  creationTimestamp: '2024-01-02T00:00:00Z'\n",
                    "  ingressClassName: ferry\n"));
    assert_string_equal(m->ingresses[0].name, "none");
    assert_string_equal(m->ingresses[1].name, "t0");
    assert_string_equal(m->ingresses[2].name, "t1");
    assert_string_equal(m->ingresses[3].name, "t2");
    assert_true(m->ingresses[1].created == 1704101400);
    ingress_model_free(m);
}

static void later_duplicate_object_wins(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(ING(
        "a", "", "  ingressClassName: ferry\n") "---\n"
                                                "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
                                                "metadata: {name: a, namespace: default}\n"
                                                "spec: {ingressClassName: ferry, rules: [{host: "
                                                "a.example, http: {paths: [{path: /v2, "
                                                "pathType: Prefix, backend: {service: {name: web, "
                                                "port: {number: 80}}}}]}}]}\n");
    assert_int_equal(m->ningresses, 1);
    assert_int_equal(m->npaths, 1);
    assert_string_equal(m->paths[0].path, "/v2");
    ingress_model_free(m);
}

/* ---- default backends ------------------------------------------------------ */

static void oldest_default_backend_wins(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        "metadata: {name: new, namespace: d, creationTimestamp: '2024-02-01T00:00:00Z'}\n"
        "spec: {ingressClassName: ferry, defaultBackend: {service: {name: new-default, port: "
        "{number: 80}}}}\n"
        "---\n"
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        "metadata: {name: old, namespace: d, creationTimestamp: '2024-01-01T00:00:00Z'}\n"
        "spec: {ingressClassName: ferry, defaultBackend: {service: {name: old-default, port: "
        "{number: 80}}}}\n");
    assert_int_equal(m->default_ingress, 0);
    assert_string_equal(m->ingresses[m->default_ingress].name, "old");
    int32_t ing;
    int32_t be = ingress_model_fallback(m, -1, &ing);
    assert_int_equal(ing, 0);
    assert_string_equal(m->backends[be].service, "old-default");
    ingress_model_free(m);
}

static void no_default_backend_means_none(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(ING("a", "", "  ingressClassName: ferry\n"));
    assert_int_equal(m->default_ingress, -1);
    assert_int_equal(ingress_model_fallback(m, -1, NULL), -1);
    assert_int_equal(ingress_model_fallback(m, 0, NULL), -1);
    ingress_model_free(m);
}

/* ---- backends and endpoints ---------------------------------------------- */

static const char SLICES[] =
    "apiVersion: networking.k8s.io/v1\n"
    "kind: Ingress\n"
    "metadata: {name: app, namespace: prod}\n"
    "spec:\n"
    "  ingressClassName: ferry\n"
    "  rules:\n"
    "  - host: app.example\n"
    "    http:\n"
    "      paths:\n"
    "      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}\n"
    "      - {path: /admin, pathType: Prefix, backend: {service: {name: web, port: {number: "
    "9000}}}}\n"
    "      - {path: /old, pathType: Prefix, backend: {service: {name: legacy, port: {number: "
    "80}}}}\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: web, namespace: prod}\n"
    "spec:\n"
    "  ports:\n"
    "  - {name: http, port: 80, targetPort: web-http}\n"
    "  - {name: admin, port: 9000, targetPort: 9090}\n"
    "---\n"
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata: {name: web-abc, namespace: prod, labels: {kubernetes.io/service-name: web}}\n"
    "addressType: IPv4\n"
    "ports: [{name: http, port: 8080, protocol: TCP}, {name: admin, port: 9090}]\n"
    "endpoints:\n"
    "- addresses: [10.1.0.3]\n"
    "  conditions: {ready: true, serving: true, terminating: false}\n"
    "- addresses: [10.1.0.1, 10.1.0.100]\n"
    "- addresses: [10.1.0.9]\n"
    "  conditions: {ready: false, serving: true, terminating: true}\n"
    "- addresses: [10.1.0.8]\n"
    "  conditions: {ready: false}\n"
    "- addresses: [10.1.0.7]\n" /* ready, as with publishNotReadyAddresses, but terminating */
    "  conditions: {ready: true, serving: true, terminating: true}\n"
    "---\n"
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata: {name: web-def, namespace: prod, labels: {kubernetes.io/service-name: web}}\n"
    "addressType: IPv6\n"
    "ports: [{name: http, port: 8080}, {name: admin, port: 9090}]\n"
    "endpoints:\n"
    "- addresses: ['fd00::2']\n"
    "- addresses: [10.1.0.3]\n"
    "---\n"
    "apiVersion: discovery.k8s.io/v1\n"
    "kind: EndpointSlice\n"
    "metadata: {name: web-other, namespace: staging, labels: {kubernetes.io/service-name: "
    "web}}\n"
    "addressType: IPv4\n"
    "ports: [{name: http, port: 8080}]\n"
    "endpoints: [{addresses: [10.9.9.9]}]\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Endpoints\n"
    "metadata: {name: web, namespace: prod}\n"
    "subsets: [{addresses: [{ip: 10.7.7.7}], ports: [{name: http, port: 8080}]}]\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Service\n"
    "metadata: {name: legacy, namespace: prod}\n"
    "spec:\n"
    "  ports: [{port: 80, targetPort: 8000}]\n"
    "---\n"
    "apiVersion: v1\n"
    "kind: Endpoints\n"
    "metadata: {name: legacy, namespace: prod}\n"
    "subsets:\n"
    "- addresses: [{ip: 10.2.0.2}, {ip: 10.2.0.1}]\n"
    "  notReadyAddresses: [{ip: 10.2.0.9}]\n"
    "  ports: [{port: 8000}]\n"
    "- addresses: [{ip: 10.2.0.5}]\n"
    "  ports: [{port: 8001, protocol: UDP}]\n";

static void endpoint_slices_give_ready_endpoints(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(SLICES);
    print_warnings(m);
    assert_int_equal(m->nwarnings, 0);
    const struct ingress_backend *b = backend_of(m, "app.example", "/");
    assert_int_equal(b->state, INGRESS_BACKEND_OK);
    assert_string_equal(b->port_name, "http");
    assert_int_equal(b->port, 80);
    assert_null(b->problem);
    /* Ready true or absent; not ready (even serving) excluded; the first
     * address of each endpoint; duplicates across slices merged; slices of
     * another namespace ignored; the Endpoints object ignored when slices
     * exist. Sorted: IPv4 first. */
    assert_int_equal(b->nendpoints, 3);
    assert_string_equal(b->endpoints[0].addr, "10.1.0.1");
    assert_string_equal(b->endpoints[1].addr, "10.1.0.3");
    assert_string_equal(b->endpoints[2].addr, "fd00::2");
    assert_int_equal(b->endpoints[2].family, AF_INET6);
    for (size_t i = 0; i < b->nendpoints; i++)
        assert_int_equal(b->endpoints[i].port, 8080);
    ingress_model_free(m);
}

static void named_target_port_resolves_through_slice_port_names(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(SLICES);
    /* targetPort "web-http" is the pod's port name; the slice names its
     * ports after the Service ports ("http") and gives the number. */
    assert_int_equal(backend_of(m, "app.example", "/")->endpoints[0].port, 8080);
    const struct ingress_backend *admin = backend_of(m, "app.example", "/admin");
    assert_string_equal(admin->port_name, "admin");
    assert_int_equal(admin->port, 9000);
    assert_int_equal(admin->nendpoints, 3);
    assert_int_equal(admin->endpoints[0].port, 9090);
    ingress_model_free(m);
}

static void endpoints_are_used_without_slices(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(SLICES);
    const struct ingress_backend *b = backend_of(m, "app.example", "/old");
    assert_int_equal(b->state, INGRESS_BACKEND_OK);
    /* addresses only (not notReadyAddresses); the UDP-only subset skipped. */
    assert_int_equal(b->nendpoints, 2);
    assert_string_equal(b->endpoints[0].addr, "10.2.0.1");
    assert_string_equal(b->endpoints[1].addr, "10.2.0.2");
    assert_int_equal(b->endpoints[0].port, 8000);
    ingress_model_free(m);
}

static void backends_are_shared(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: a, namespace: ns1}\n"
        "spec:\n  ingressClassName: ferry\n  rules:\n  - http:\n      paths:\n"
        "      - {path: /a, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}\n"
        "      - {path: /b, pathType: Prefix, backend: {service: {name: s, port: {name: http}}}}\n"
        "      - {path: /c, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}\n"
        "      - {path: /d, pathType: Prefix, backend: {service: {name: s, port: {number: 81}}}}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns1}\n"
        "spec: {ports: [{name: http, port: 80}, {name: alt, port: 81}]}\n"
        "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
        "metadata: {name: s-1, namespace: ns1, labels: {kubernetes.io/service-name: s}}\n"
        "ports: [{name: http, port: 80}, {name: alt, port: 81}]\n"
        "endpoints: [{addresses: [10.0.0.1]}]\n");
    assert_int_equal(m->nbackends, 2);
    assert_int_equal(path_of(m, "", "/a")->backend, path_of(m, "", "/b")->backend);
    assert_int_equal(path_of(m, "", "/a")->backend, path_of(m, "", "/c")->backend);
    assert_int_not_equal(path_of(m, "", "/a")->backend, path_of(m, "", "/d")->backend);
    /* targetPort absent: the port itself. */
    assert_int_equal(backend_of(m, "", "/d")->endpoints[0].port, 81);
    ingress_model_free(m);
}

static void missing_service_is_a_warning(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: shop, namespace: "
        "prod}\n"
        "spec:\n  ingressClassName: ferry\n  rules:\n  - http:\n      paths:\n"
        "      - {path: /a, pathType: Prefix, backend: {service: {name: gone, port: {number: "
        "80}}}}\n"
        "      - {path: /b, pathType: Prefix, backend: {service: {name: gone, port: {number: "
        "80}}}}\n");
    const struct ingress_backend *b = backend_of(m, "", "/a");
    assert_int_equal(b->state, INGRESS_BACKEND_NO_SERVICE);
    assert_int_equal(b->nendpoints, 0);
    assert_int_equal(b->port, 80);
    /* The path stays (the proxy answers 503), and the warning comes once. */
    assert_non_null(path_of(m, "", "/b"));
    assert_int_equal(m->nwarnings, 1);
    assert_string_equal(m->warnings[0].ns, "prod");
    assert_string_equal(m->warnings[0].name, "shop");
    assert_string_equal(m->warnings[0].msg, "service \"prod/gone\" not found");
    ingress_model_free(m);
}

static void bad_ports_are_warnings(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: ns1}\n"
        "spec:\n  ingressClassName: ferry\n  rules:\n  - http:\n      paths:\n"
        "      - {path: /num, pathType: Prefix, backend: {service: {name: s, port: {number: "
        "81}}}}\n"
        "      - {path: /name, pathType: Prefix, backend: {service: {name: s, port: {name: "
        "grpc}}}}\n"
        "      - {path: /none, pathType: Prefix, backend: {service: {name: s}}}\n"
        "      - {path: /range, pathType: Prefix, backend: {service: {name: s, port: {number: "
        "70000}}}}\n"
        "      - {path: /named-target, pathType: Prefix, backend: {service: {name: t, port: "
        "{number: 80}}}}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns1}\n"
        "spec: {ports: [{name: http, port: 80}]}\n"
        "---\napiVersion: v1\nkind: Service\nmetadata: {name: t, namespace: ns1}\n"
        "spec: {ports: [{name: http, port: 80, targetPort: metrics}]}\n"
        "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
        "metadata: {name: t-1, namespace: ns1, labels: {kubernetes.io/service-name: t}}\n"
        "ports: [{name: other, port: 9}]\n"
        "endpoints: [{addresses: [10.0.0.1]}]\n");
    print_warnings(m);
    assert_int_equal(backend_of(m, "", "/num")->state, INGRESS_BACKEND_NO_PORT);
    assert_true(warned(m, "ns1", "i", "service \"ns1/s\" has no port 81"));
    assert_int_equal(backend_of(m, "", "/name")->state, INGRESS_BACKEND_NO_PORT);
    assert_true(warned(m, "ns1", "i", "service \"ns1/s\" has no port named \"grpc\""));
    assert_int_equal(backend_of(m, "", "/none")->state, INGRESS_BACKEND_NO_PORT);
    assert_true(warned(m, "ns1", "i", "the backend gives no port"));
    assert_null(path_of(m, "", "/range"));
    assert_true(warned(m, "ns1", "i", "port number is not in 1-65535"));
    const struct ingress_backend *t = backend_of(m, "", "/named-target");
    assert_int_equal(t->state, INGRESS_BACKEND_OK);
    assert_int_equal(t->nendpoints, 0);
    assert_true(warned(m, "ns1", "i", "targetPort \"metrics\" matches no port"));
    ingress_model_free(m);
}

static void service_without_endpoints_objects_is_a_warning(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        ING("a", "", "  ingressClassName: ferry\n") "---\napiVersion: v1\nkind: Service\n"
                                                    "metadata: {name: web, namespace: default}\n"
                                                    "spec: {ports: [{port: 80}]}\n");
    const struct ingress_backend *b = backend_of(m, "a.example", "/");
    assert_int_equal(b->state, INGRESS_BACKEND_OK);
    assert_int_equal(b->nendpoints, 0);
    assert_true(warned(m, "default", "a", "has no EndpointSlice or Endpoints"));
    ingress_model_free(m);
}

static void resource_backends_are_reported(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
        "metadata: {name: ingress-resource-backend, namespace: default}\n"
        "spec:\n"
        "  ingressClassName: ferry\n"
        "  defaultBackend:\n"
        "    resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static-assets}\n"
        "  rules:\n"
        "  - http:\n"
        "      paths:\n"
        "      - path: /icons\n"
        "        pathType: ImplementationSpecific\n"
        "        backend:\n"
        "          resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: "
        "icon-assets}\n");
    const struct ingress_backend *b = backend_of(m, "", "/icons");
    assert_int_equal(b->state, INGRESS_BACKEND_RESOURCE);
    assert_string_equal(b->service, "k8s.example.com/StorageBucket/icon-assets");
    assert_true(warned(m, "default", "ingress-resource-backend",
                       "resource backend k8s.example.com/StorageBucket/static-assets is not "
                       "supported"));
    assert_true(warned(m, "default", "ingress-resource-backend",
                       "resource backend k8s.example.com/StorageBucket/icon-assets"));
    ingress_model_free(m);
}

static void external_name_services_keep_the_name(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        ING("a", "", "  ingressClassName: ferry\n") "---\napiVersion: v1\nkind: Service\n"
                                                    "metadata: {name: web, namespace: default}\n"
                                                    "spec: {type: ExternalName, externalName: "
                                                    "api.example.net}\n");
    const struct ingress_backend *b = backend_of(m, "a.example", "/");
    assert_int_equal(b->state, INGRESS_BACKEND_EXTERNAL_NAME);
    assert_string_equal(b->external_name, "api.example.net");
    assert_int_equal(b->port, 80);
    assert_int_equal(b->nendpoints, 0);
    assert_int_equal(m->nwarnings, 0);
    ingress_model_free(m);
}

/* ---- paths and hosts -------------------------------------------------------- */

static void invalid_paths_and_hosts_are_warnings(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: ns1}\n"
        "spec:\n  ingressClassName: ferry\n  rules:\n"
        "  - host: 'bad host'\n    http: {paths: [{path: /, pathType: Prefix, backend: "
        "{service: {name: s, port: {number: 80}}}}]}\n"
        "  - host: 'a.*.example'\n    http: {paths: [{path: /, pathType: Prefix, backend: "
        "{service: {name: s, port: {number: 80}}}}]}\n"
        "  - host: ok.example\n    http:\n      paths:\n"
        "      - {path: rel, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}\n"
        "      - {path: /x, pathType: Regex, backend: {service: {name: s, port: {number: 80}}}}\n"
        "      - {pathType: Exact, backend: {service: {name: s, port: {number: 80}}}}\n"
        "      - {pathType: ImplementationSpecific, backend: {service: {name: s, port: {number: "
        "80}}}}\n"
        "      - {path: /nt, backend: {service: {name: s, port: {number: 80}}}}\n"
        "      - {path: /nb, pathType: Prefix}\n");
    print_warnings(m);
    assert_true(warned(m, "ns1", "i", "host \"bad host\" is not a valid host name"));
    assert_true(warned(m, "ns1", "i", "host \"a.*.example\" is not a valid host name"));
    assert_true(warned(m, "ns1", "i", "path \"rel\" does not start with '/'"));
    assert_true(warned(m, "ns1", "i", "unknown pathType \"Regex\""));
    assert_true(warned(m, "ns1", "i", "path \"\" does not start with '/'"));
    assert_true(warned(m, "ns1", "i", "has no pathType"));
    assert_true(warned(m, "ns1", "i", "backend has neither service nor resource"));
    assert_int_equal(m->nhosts, 1);
    assert_int_equal(m->npaths, 2);
    const struct ingress_path *p = path_of(m, "ok.example", "/");
    assert_non_null(p);
    assert_int_equal(p->type, INGRESS_PATH_IMPLEMENTATION_SPECIFIC);
    assert_int_equal(p->keylen, 0);
    assert_int_equal(path_of(m, "ok.example", "/nt")->type, INGRESS_PATH_IMPLEMENTATION_SPECIFIC);
    ingress_model_free(m);
}

static void hosts_are_lowercased_wildcards_kept(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: ns1}\n"
        "spec:\n  ingressClassName: ferry\n  rules:\n"
        "  - host: '*.Foo.COM'\n    http: {paths: [{path: /, pathType: Prefix, backend: "
        "{service: {name: s, port: {number: 80}}}}]}\n"
        "  - host: Bar.foo.com\n    http: {paths: [{path: /, pathType: Prefix, backend: "
        "{service: {name: s, port: {number: 80}}}}]}\n"
        "  - host: only-tls.example\n");
    assert_int_equal(m->nhosts, 2);
    assert_true(ingress_model_host(m, "*.foo.com") >= 0);
    assert_true(ingress_model_host(m, "bar.foo.com") >= 0);
    assert_int_equal(ingress_model_host(m, "only-tls.example"), -1);
    ingress_model_free(m);
}

static void prefix_keys_drop_trailing_slashes(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: ns1}\n"
        "spec:\n  ingressClassName: ferry\n  rules:\n  - http:\n      paths:\n"
        "      - {path: /aaa/bbb/, pathType: Prefix, backend: {service: {name: s, port: {number: "
        "80}}}}\n"
        "      - {path: /foo/, pathType: Exact, backend: {service: {name: s, port: {number: "
        "80}}}}\n"
        "      - {path: //, pathType: Prefix, backend: {service: {name: s, port: {number: "
        "80}}}}\n");
    const struct ingress_path *p = path_of(m, "", "/aaa/bbb/");
    assert_int_equal(p->keylen, 8);
    assert_memory_equal(p->key, "/aaa/bbb", 8);
    p = path_of(m, "", "/foo/");
    assert_int_equal(p->keylen, 5);
    assert_int_equal(path_of(m, "", "//")->keylen, 0);
    ingress_model_free(m);
}

/* ---- TLS -------------------------------------------------------------------- */

static const char TLS[] =
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
    "metadata: {name: tls, namespace: web, creationTimestamp: '2024-01-01T00:00:00Z'}\n"
    "spec:\n"
    "  ingressClassName: ferry\n"
    "  tls:\n"
    "  - hosts: [Foo.Bar.com, '*.wild.example']\n"
    "    secretName: conformance-tls\n"
    "  - secretName: all-hosts\n"
    "  - hosts: [missing.example]\n"
    "    secretName: nope\n"
    "  rules:\n"
    "  - host: foo.bar.com\n"
    "    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: "
    "80}}}}]}\n"
    "  - host: other.example\n"
    "    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: s, port: {number: "
    "80}}}}]}\n"
    "---\n"
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
    "metadata: {name: late, namespace: web, creationTimestamp: '2024-06-01T00:00:00Z'}\n"
    "spec:\n"
    "  ingressClassName: ferry\n"
    "  tls: [{hosts: [foo.bar.com], secretName: all-hosts}]\n"
    "---\n"
    "apiVersion: v1\nkind: Secret\nmetadata: {name: conformance-tls, namespace: web}\n"
    "type: kubernetes.io/tls\n"
    "data: {tls.crt: Q0VSVA==, tls.key: S0VZ}\n"
    "---\n"
    "apiVersion: v1\nkind: Secret\nmetadata: {name: all-hosts, namespace: web}\n"
    "type: kubernetes.io/tls\n"
    "data: {tls.crt: QUxM}\n";

static const struct ingress_tls *tls_of(const struct ingress_model *m, const char *host)
{
    for (size_t i = 0; i < m->ntls; i++) {
        if (strcmp(m->tls[i].host, host) == 0)
            return &m->tls[i];
    }
    return NULL;
}

static void tls_records_secret_per_host(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(TLS);
    print_warnings(m);
    const struct ingress_tls *t = tls_of(m, "foo.bar.com");
    assert_non_null(t);
    assert_string_equal(t->secret_ns, "web");
    assert_string_equal(t->secret_name, "conformance-tls");
    assert_true(t->found);
    assert_string_equal(t->crt_b64, "Q0VSVA==");
    assert_string_equal(t->key_b64, "S0VZ");
    assert_string_equal(m->ingresses[t->ingress].name, "tls");
    t = tls_of(m, "*.wild.example");
    assert_non_null(t);
    assert_string_equal(t->secret_name, "conformance-tls");
    ingress_model_free(m);
}

static void tls_without_hosts_covers_the_rule_hosts(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(TLS);
    const struct ingress_tls *t = tls_of(m, "other.example");
    assert_non_null(t);
    assert_string_equal(t->secret_name, "all-hosts");
    assert_null(t->key_b64);
    assert_true(warned(m, "web", "tls", "TLS secret \"web/all-hosts\" lacks tls.crt or tls.key"));
    ingress_model_free(m);
}

static void tls_missing_secret_is_a_warning(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(TLS);
    const struct ingress_tls *t = tls_of(m, "missing.example");
    assert_non_null(t);
    assert_false(t->found);
    assert_null(t->crt_b64);
    assert_true(warned(m, "web", "tls", "TLS secret \"web/nope\" not found"));
    ingress_model_free(m);
}

/* ---- input shapes ------------------------------------------------------------- */

static void lists_are_flattened_and_other_kinds_ignored(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: networking.k8s.io/v1\n  kind: Ingress\n  metadata: {name: a}\n"
        "  spec: {ingressClassName: ferry, defaultBackend: {service: {name: s, port: {number: "
        "80}}}}\n"
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n"
        "- apiVersion: v1\n  kind: ServiceList\n  items:\n"
        "  - apiVersion: v1\n    kind: Service\n    metadata: {name: s}\n"
        "    spec: {ports: [{port: 80}]}\n"
        "---\n"
        "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: old}\n"
        "spec: {backend: {serviceName: s, servicePort: 80}}\n"
        "---\n"
        "just a string\n"
        "---\n"
        "[1, 2]\n");
    print_warnings(m);
    assert_int_equal(m->ningresses, 1);
    assert_string_equal(m->ingresses[0].ns, "default");
    int32_t be = ingress_model_fallback(m, -1, NULL);
    assert_true(be >= 0);
    assert_int_equal(m->backends[be].state, INGRESS_BACKEND_OK);
    assert_true(
        warned(m, "default", "old", "apiVersion networking.k8s.io/v1beta1 is not supported"));
    ingress_model_free(m);
}

static void annotations_stay_available(void **state)
{
    (void)state;
    struct ingress_model *m = model_of(
        ING("a", "  annotations: {nginx.ingress.kubernetes.io/ssl-redirect: 'false', x/n: 3}\n",
            "  ingressClassName: ferry\n"));
    const json_t *ann = m->ingresses[0].annotations;
    assert_non_null(ann);
    assert_string_equal(
        json_string_value(json_object_get(ann, "nginx.ingress.kubernetes.io/ssl-redirect")),
        "false");
    assert_true(warned(m, "default", "a", "annotation \"x/n\" is not a string"));
    ingress_model_free(m);
}

static void not_an_array_is_an_error(void **state)
{
    (void)state;
    struct err e = {{0}};
    json_t *obj = json_object();
    assert_null(ingress_model_build(obj, NULL, &e));
    assert_string_equal(e.msg, "ingress model: the objects must be a JSON array");
    json_decref(obj);
    json_t *empty = json_array();
    struct ingress_model *m = ingress_model_build(empty, NULL, &e);
    assert_non_null(m);
    assert_int_equal(m->ningresses + m->npaths + m->nwarnings, 0);
    ingress_model_free(m);
    json_decref(empty);
    ingress_model_free(NULL);
}

static void model_outlives_callers_reference(void **state)
{
    (void)state;
    json_t *docs;
    const char *y = ING("a", "", "  ingressClassName: ferry\n");
    assert_int_equal(yaml_load(y, strlen(y), &docs, NULL), 0);
    struct ingress_model *m = ingress_model_build(docs, NULL, NULL);
    json_decref(docs); /* the model holds its own reference */
    assert_string_equal(m->paths[0].path, "/");
    assert_string_equal(m->ingresses[0].name, "a");
    ingress_model_free(m);
}

/* ---- incremental builds ----------------------------------------------------
 *
 * A build through a cache kept across builds (what the object store does)
 * must give exactly the model a fresh build gives, whatever sequence of
 * adds, updates and deletes came before. The objects are random over a
 * small space of names, so that every join (Ingress -> Service -> slices,
 * class, Secret) is made, broken and remade many times. */

static unsigned long rnd_state;

static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned)(rnd_state >> 33) % n;
}

static const char *const NSS[] = {"a", "b"};
static const char *const KINDS[] = {"Ingress",   "Service", "EndpointSlice",
                                    "Endpoints", "Secret",  "IngressClass"};

static json_t *rnd_backend(void)
{
    json_t *port = rnd(3) ? json_pack("{s:i}", "number", 80 + (int)rnd(2))
                          : json_pack("{s:s}", "name", rnd(2) ? "http" : "web");
    return json_pack("{s:{s:s#,s:o}}", "service", "name", &"s0s1s2"[2 * rnd(3)], (size_t)2, "port",
                     port);
}

static json_t *rnd_ingress(const char *ns, const char *name)
{
    static const char *const types[] = {"Prefix", "Exact", "ImplementationSpecific", "Bogus"};
    static const char *const hosts[] = {"h0.example", "H1.example", "*.w.example", "", "bad..h"};
    static const char *const paths[] = {"/", "/a", "/a/", "/a/b", "", "x"};
    json_t *rules = json_array(), *spec = json_object();
    for (unsigned i = rnd(3); i > 0; i--) {
        json_t *ps = json_array();
        for (unsigned j = rnd(3) + 1; j > 0; j--)
            json_array_append_new(ps, json_pack("{s:s,s:s,s:o}", "path", paths[rnd(6)], "pathType",
                                                types[rnd(4)], "backend", rnd_backend()));
        const char *h = hosts[rnd(5)];
        json_array_append_new(rules, *h ? json_pack("{s:s,s:{s:o}}", "host", h, "http", "paths", ps)
                                        : json_pack("{s:{s:o}}", "http", "paths", ps));
    }
    json_object_set_new(spec, "rules", rules);
    if (!rnd(3))
        json_object_set_new(spec, "defaultBackend", rnd_backend());
    if (!rnd(3))
        json_object_set_new(
            spec, "tls",
            json_pack("[{s:[s],s:s}]", "hosts", hosts[rnd(3)], "secretName", rnd(2) ? "t0" : "t1"));
    unsigned cls = rnd(4);
    if (cls < 2)
        json_object_set_new(spec, "ingressClassName", json_string(cls ? "ferry" : "c1"));
    json_t *meta = json_pack("{s:s,s:s,s:s}", "name", name, "namespace", ns, "creationTimestamp",
                             rnd(2) ? "2024-01-01T00:00:00Z" : "2023-06-01T00:00:00Z");
    if (cls == 2)
        json_object_set_new(meta, "annotations",
                            json_pack("{s:s,s:i}", "kubernetes.io/ingress.class",
                                      rnd(2) ? "ferry" : "nginx", "x", 10));
    return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion",
                     rnd(8) ? "networking.k8s.io/v1" : "extensions/v1beta1", "kind", "Ingress",
                     "metadata", meta, "spec", spec);
}

/* One random object of <kind> named <name> in <ns>. */
static json_t *rnd_object(const char *kind, const char *ns, const char *name)
{
    if (!strcmp(kind, "Ingress"))
        return rnd_ingress(ns, name);
    if (!strcmp(kind, "Service")) {
        if (!rnd(5))
            return json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s,s:[{s:i}]}}", "apiVersion", "v1",
                             "kind", "Service", "metadata", "name", name, "namespace", ns, "spec",
                             "type", "ExternalName", "externalName", "ext.example", "ports", "port",
                             80);
        return json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:[{s:s,s:i,s:i},{s:s,s:i,s:s}]}}", "apiVersion",
                         "v1", "kind", "Service", "metadata", "name", name, "namespace", ns, "spec",
                         "ports", "name", "http", "port", 80, "targetPort", 8080 + (int)rnd(2),
                         "name", "web", "port", 81, "targetPort", "web-port");
    }
    if (!strcmp(kind, "EndpointSlice")) {
        json_t *eps = json_array();
        for (unsigned i = rnd(4); i > 0; i--)
            json_array_append_new(eps, json_pack("{s:[s],s:{s:b}}", "addresses",
                                                 rnd(2) ? "10.0.0.1" : "fd00::2", "conditions",
                                                 "ready", (int)rnd(3)));
        char svc[4] = {'s', (char)('0' + rnd(3)), 0};
        return json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:s,s:[{s:s,s:i},{s:s,s:i}],s:o}",
                         "apiVersion", "discovery.k8s.io/v1", "kind", "EndpointSlice", "metadata",
                         "name", name, "namespace", ns, "labels", "kubernetes.io/service-name", svc,
                         "addressType", rnd(6) ? "IPv4" : "FQDN", "ports", "name", "http", "port",
                         8080, "name", "web-port", "port", 9090, "endpoints", eps);
    }
    if (!strcmp(kind, "Endpoints"))
        return json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:[{s:s}],s:[{s:i}]}]}", "apiVersion", "v1",
                         "kind", "Endpoints", "metadata", "name", name, "namespace", ns, "subsets",
                         "addresses", "ip", rnd(2) ? "10.1.0.1" : "10.1.0.2", "ports", "port",
                         7000 + (int)rnd(2));
    if (!strcmp(kind, "Secret"))
        return rnd(4) ? json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:s,s:s}}", "apiVersion", "v1", "kind",
                                  "Secret", "metadata", "name", name, "namespace", ns, "data",
                                  "tls.crt", rnd(2) ? "Y3J0MQ==" : "Y3J0Mg==", "tls.key", "a2V5")
                      : json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Secret",
                                  "metadata", "name", name, "namespace", ns);
    return json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion", "networking.k8s.io/v1",
                     "kind", "IngressClass", "metadata", "name", name, "annotations",
                     "ingressclass.kubernetes.io/is-default-class", rnd(2) ? "true" : "false",
                     "spec", "controller", rnd(2) ? INGRESS_CONTROLLER_DEFAULT : "other/ctl");
}

static void dump_tls(struct buf *b, const struct ingress_tls *t)
{
    buf_addf(b, "tls %s %u %s/%s %d %s %s\n", t->host, t->ingress, t->secret_ns ? t->secret_ns : "",
             t->secret_name ? t->secret_name : "", t->found, t->crt_b64 ? t->crt_b64 : "-",
             t->key_b64 ? t->key_b64 : "-");
}

/* Everything the model says, as text. */
static void dump_model(struct buf *b, const struct ingress_model *m)
{
    buf_reset(b);
    for (size_t i = 0; i < m->ningresses; i++) {
        const struct ingress_info *in = &m->ingresses[i];
        char *ann = in->annotations ? json_dumps(in->annotations, JSON_SORT_KEYS) : NULL;
        buf_addf(b, "ing %s/%s %lld %d %d %s\n", in->ns, in->name, (long long)in->created,
                 (int)in->why, in->default_backend, ann ? ann : "-");
        free(ann);
    }
    for (size_t i = 0; i < m->nbackends; i++) {
        const struct ingress_backend *be = &m->backends[i];
        buf_addf(b, "be %s/%s %s %u %d %s %s:", be->ns, be->service, be->port_name, be->port,
                 (int)be->state, be->external_name ? be->external_name : "-",
                 be->problem ? be->problem : "-");
        for (size_t j = 0; j < be->nendpoints; j++)
            buf_addf(b, " %s:%u", be->endpoints[j].addr, be->endpoints[j].port);
        buf_addc(b, '\n');
    }
    for (size_t i = 0; i < m->nhosts; i++)
        buf_addf(b, "host %s %d\n", m->hosts[i].name, m->hosts[i].fallback_ingress);
    for (size_t i = 0; i < m->npaths; i++) {
        const struct ingress_path *p = &m->paths[i];
        buf_addf(b, "path %u %u %u %d %s %.*s\n", p->host, p->ingress, p->backend, (int)p->type,
                 p->path, (int)p->keylen, p->key);
    }
    for (size_t i = 0; i < m->ntls; i++)
        dump_tls(b, &m->tls[i]);
    dump_tls(b, &m->default_tls);
    for (size_t i = 0; i < m->nwarnings; i++)
        buf_addf(b, "warn %s/%s %s\n", m->warnings[i].ns, m->warnings[i].name, m->warnings[i].msg);
    buf_addf(b, "default %d ignored %zu\n", m->default_ingress, m->nignored);
}

static void incremental_builds_equal_full_builds(void **state)
{
    (void)state;
    struct ingress_opts opts = {.default_ssl_certificate = "a/t0"};
    struct ingress_model_cache *c = ingress_model_cache_new();
    json_t *objs = json_object(); /* "kind/ns/name" -> object */
    struct buf want, got;
    buf_init(&want, 1 << 20);
    buf_init(&got, 1 << 20);
    assert_non_null(c);
    rnd_state = 8;
    size_t reused = 0;
    for (int step = 0; step < 400; step++) {
        /* A few changes per build, as a burst of watch events gives. */
        for (unsigned k = rnd(3) + 1; k > 0; k--) {
            const char *kind = KINDS[rnd(6)], *ns = NSS[rnd(2)];
            char name[8], key[64];
            snprintf(name, sizeof name, "%c%u", kind[0] == 'S' ? 's' : 'o', rnd(3));
            if (!strcmp(kind, "Secret"))
                name[0] = 't', name[1] = (char)('0' + rnd(2));
            snprintf(key, sizeof key, "%s/%s/%s", kind, ns, name);
            if (rnd(4) == 0)
                json_object_del(objs, key);
            else
                json_object_set_new(objs, key, rnd_object(kind, ns, name));
        }
        json_t *arr = json_array();
        const char *key;
        json_t *v;
        json_object_foreach(objs, key, v)
        {
            json_array_append(arr, v);
        }
        if (step % 7 == 0) /* a List, and a later duplicate that wins */
            json_array_append_new(arr,
                                  json_pack("{s:s,s:s,s:[o]}", "apiVersion", "v1", "kind", "List",
                                            "items", rnd_object("Ingress", "a", "o0")));
        json_t *copy = json_deep_copy(arr);
        struct err e = {{0}};
        struct ingress_model *full = ingress_model_build(copy, &opts, &e);
        struct ingress_model *inc = ingress_model_build_cached(arr, &opts, c, &e);
        assert_non_null(full);
        assert_non_null(inc);
        dump_model(&want, full);
        dump_model(&got, inc);
        if (strcmp(buf_str(&want), buf_str(&got)) != 0)
            fail_msg("step %d: incremental build differs\n--- full\n%s--- incremental\n%s", step,
                     buf_str(&want), buf_str(&got));
        reused += full->ningresses;
        ingress_model_free(full);
        ingress_model_free(inc);
        ingress_model_cache_sweep(c);
        json_decref(copy);
        json_decref(arr);
    }
    assert_true(reused > 400); /* the models were not all empty */
    buf_fini(&want);
    buf_fini(&got);
    json_decref(objs);
    ingress_model_cache_free(c);
}

/* An object the cache has read is not read again: a build after the
 * object's JSON was (wrongly) modified in place still sees the old value,
 * which shows the second build took it from the cache. A new json_t for
 * the same object is read. */
static void cached_objects_are_not_read_again(void **state)
{
    (void)state;
    json_t *svc = json_pack("{s:s,s:s,s:{s:s},s:{s:[{s:i}]}}", "apiVersion", "v1", "kind",
                            "Service", "metadata", "name", "web", "spec", "ports", "port", 80);
    json_t *ing = rnd_ingress("default", "i");
    json_object_set_new(
        json_object_get(ing, "spec"), "defaultBackend",
        json_pack("{s:{s:s,s:{s:i}}}", "service", "name", "web", "port", "number", 80));
    json_object_set_new(ing, "apiVersion", json_string("networking.k8s.io/v1"));
    json_object_set_new(json_object_get(ing, "spec"), "ingressClassName", json_string("ferry"));
    json_t *arr = json_pack("[O,O]", svc, ing);
    struct ingress_model_cache *c = ingress_model_cache_new();
    struct err e = {{0}};
    struct ingress_model *m = ingress_model_build_cached(arr, NULL, c, &e);
    assert_int_equal(m->backends[m->ingresses[0].default_backend].state, INGRESS_BACKEND_OK);
    ingress_model_free(m);
    ingress_model_cache_sweep(c);

    json_object_set_new(json_object_get(svc, "metadata"), "name", json_string("gone"));
    m = ingress_model_build_cached(arr, NULL, c, &e);
    assert_int_equal(m->backends[m->ingresses[0].default_backend].state, INGRESS_BACKEND_OK);
    ingress_model_free(m);
    ingress_model_cache_sweep(c);

    json_array_set_new(arr, 0, json_deep_copy(svc));
    m = ingress_model_build_cached(arr, NULL, c, &e);
    assert_int_equal(m->backends[m->ingresses[0].default_backend].state,
                     INGRESS_BACKEND_NO_SERVICE);
    ingress_model_free(m);
    ingress_model_cache_free(c);
    json_decref(arr);
    json_decref(svc);
    json_decref(ing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(class_name_naming_our_ingressclass_is_ours),
        cmocka_unit_test(class_name_naming_another_controllers_class_is_not_ours),
        cmocka_unit_test(class_name_without_object_matches_our_class_name),
        cmocka_unit_test(conformance_invalid_class_name_is_not_ours),
        cmocka_unit_test(legacy_annotation_selects_by_class_name),
        cmocka_unit_test(class_name_takes_precedence_over_annotation),
        cmocka_unit_test(no_class_is_ours_when_our_class_is_default),
        cmocka_unit_test(no_class_is_not_ours_otherwise),
        cmocka_unit_test(class_options_are_honoured),
        cmocka_unit_test(rules_merge_per_host_across_ingresses),
        cmocka_unit_test(conflict_goes_to_the_oldest_ingress),
        cmocka_unit_test(same_path_other_type_is_no_conflict),
        cmocka_unit_test(equal_ages_are_ordered_by_namespace_then_name),
        cmocka_unit_test(creation_timestamps_compare_as_times),
        cmocka_unit_test(later_duplicate_object_wins),
        cmocka_unit_test(oldest_default_backend_wins),
        cmocka_unit_test(no_default_backend_means_none),
        cmocka_unit_test(endpoint_slices_give_ready_endpoints),
        cmocka_unit_test(named_target_port_resolves_through_slice_port_names),
        cmocka_unit_test(endpoints_are_used_without_slices),
        cmocka_unit_test(backends_are_shared),
        cmocka_unit_test(missing_service_is_a_warning),
        cmocka_unit_test(bad_ports_are_warnings),
        cmocka_unit_test(service_without_endpoints_objects_is_a_warning),
        cmocka_unit_test(resource_backends_are_reported),
        cmocka_unit_test(external_name_services_keep_the_name),
        cmocka_unit_test(invalid_paths_and_hosts_are_warnings),
        cmocka_unit_test(hosts_are_lowercased_wildcards_kept),
        cmocka_unit_test(prefix_keys_drop_trailing_slashes),
        cmocka_unit_test(tls_records_secret_per_host),
        cmocka_unit_test(tls_without_hosts_covers_the_rule_hosts),
        cmocka_unit_test(tls_missing_secret_is_a_warning),
        cmocka_unit_test(lists_are_flattened_and_other_kinds_ignored),
        cmocka_unit_test(annotations_stay_available),
        cmocka_unit_test(not_an_array_is_an_error),
        cmocka_unit_test(model_outlives_callers_reference),
        cmocka_unit_test(incremental_builds_equal_full_builds),
        cmocka_unit_test(cached_objects_are_not_read_again),
    };
    return cmocka_run_group_tests_name("ingress_model", tests, NULL, NULL);
}
