/* Discovery documents and kubectl's resolution of resource arguments
 * (kube/discovery.c). Expected resolutions are what kubectl 1.32 resolves
 * against a server with the same resources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kube/discovery.h"

#define RES(name, singular, kind, scope, shorts, cats)                                             \
    "{\"resource\":\"" name "\",\"responseKind\":{\"kind\":\"" kind "\"},\"scope\":\"" scope       \
    "\",\"singularResource\":\"" singular "\",\"verbs\":[\"get\",\"list\",\"watch\"],"             \
    "\"shortNames\":" shorts ",\"categories\":" cats ",\"subresources\":[{\"subresource\":"        \
    "\"status\",\"verbs\":[\"get\"]}]}"

static const char CORE[] =
    "{\"kind\":\"APIGroupDiscoveryList\",\"items\":[{\"metadata\":{\"name\":\"\"},\"versions\":[{"
    "\"version\":\"v1\",\"resources\":[" RES(
        "configmaps", "configmap", "ConfigMap", "Namespaced", "[\"cm\"]",
        "[]") "," RES("events", "event", "Event", "Namespaced", "[\"ev\"]",
                      "[]") "," RES("namespaces", "namespace", "Namespace", "Cluster", "[\"ns\"]",
                                    "[]") "," RES("pods", "pod", "Pod", "Namespaced", "[\"po\"]",
                                                  "[\"all\"]") "]}]}]}";

static const char GROUPS[] =
    "{\"kind\":\"APIGroupDiscoveryList\",\"items\":["
    "{\"metadata\":{\"name\":\"apps\"},\"versions\":["
    "{\"version\":\"v1\",\"resources\":[" RES(
        "deployments", "deployment", "Deployment", "Namespaced", "[\"deploy\"]",
        "[\"all\"]") "]},"
                     "{\"version\":\"v1beta1\",\"resources\":[" RES("deployments", "deployment", "Deployment", "Namespaced", "[\"deploy\"]", "[\"all\"]") "," RES(
                         "controllerrevisions", "controllerrevision", "ControllerRevision",
                         "Namespaced", "[]",
                         "[]") "]}]},"
                               "{\"metadata\":{\"name\":\"events.k8s.io\"},\"versions\":[{"
                               "\"version\":\"v1\",\"resources\":[" RES(
                                   "events", "event", "Event", "Namespaced", "[\"ev\"]",
                                   "[]") "]}]},"
                                         "{\"metadata\":{\"name\":\"storage.k8s.io\"},\"versions\":"
                                         "[{\"version\":\"v1\",\"resources\":[" RES(
                                             "storageclasses", "storageclass", "StorageClass",
                                             "Cluster", "[\"sc\"]",
                                             "[]") "]}]},"
                                                   "{\"metadata\":{\"name\":\"autoscaling\"},"
                                                   "\"versions\":["
                                                   "{\"version\":\"v2\",\"resources\":[" RES(
                                                       "horizontalpodautoscalers",
                                                       "horizontalpodautoscaler",
                                                       "HorizontalPodAutoscaler", "Namespaced",
                                                       "[\"hpa\"]",
                                                       "[\"all\"]") "]},"
                                                                    "{\"version\":\"v1\","
                                                                    "\"resources\":[" RES(
                                                                        "horizontalpodautoscalers",
                                                                        "horizontalpodautoscaler",
                                                                        "HorizontalPodAutoscaler",
                                                                        "Namespaced", "[\"hpa\"]",
                                                                        "[\"all\"]") "]}]},"
                                                                                     "{\"metadata\""
                                                                                     ":{\"name\":"
                                                                                     "\"example."
                                                                                     "com\"},"
                                                                                     "\"versions\":"
                                                                                     "[{"
                                                                                     "\"version\":"
                                                                                     "\"v1\","
                                                                                     "\"resources\""
                                                                                     ":[" RES(
                                                                                         "widgets",
                                                                                         "widget",
                                                                                         "Widget",
                                                                                         "Namespace"
                                                                                         "d",
                                                                                         "[\"wg\","
                                                                                         "\"cm2\"]",
                                                                                         "[\"all\","
                                                                                         "\"toys\""
                                                                                         "]") "," RES("deployments",
                                                                                                      "deployment",
                                                                                                      "Deployment",
                                                                                                      "Namespaced",
                                                                                                      "[]",
                                                                                                      "[]") "]}]}"
                                                                                                            "]}";

static int setup(void **state)
{
    struct kube_discovery *d = malloc(sizeof *d);
    kube_discovery_init(d);
    struct err e;
    json_t *core = json_loads(CORE, 0, NULL);
    json_t *groups = json_loads(GROUPS, 0, NULL);
    assert_non_null(core);
    assert_non_null(groups);
    assert_int_equal(kube_discovery_add_aggregated(d, core, &e), 0);
    assert_int_equal(kube_discovery_add_aggregated(d, groups, &e), 0);
    json_decref(core);
    json_decref(groups);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    kube_discovery_fini(*state);
    free(*state);
    return 0;
}

/* Resolves <arg> and checks "group/version/resource". */
static void resolves(void **state, const char *arg, const char *want)
{
    struct err e;
    const struct kube_resource *r = kube_resolve(*state, arg, &e);
    if (!r)
        fail_msg("%s: %s", arg, e.msg);
    char got[512];
    snprintf(got, sizeof got, "%s/%s/%s", r->group, r->version, r->name);
    if (strcmp(got, want))
        fail_msg("%s resolved to %s, want %s", arg, got, want);
}

static void does_not_resolve(void **state, const char *arg, const char *msg)
{
    struct err e;
    const struct kube_resource *r = kube_resolve(*state, arg, &e);
    if (r)
        fail_msg("%s resolved to %s", arg, r->name);
    assert_string_equal(e.msg, msg);
}

static void subresources_are_not_resources(void **state)
{
    const struct kube_discovery *d = *state;
    for (size_t i = 0; i < d->n; i++)
        assert_null(strchr(d->res[i].name, '/'));
    /* 4 core, 3 apps (two versions), 1 events, 1 storage, 2 autoscaling, 2 example */
    assert_int_equal(d->n, 13);
}

static void plural_singular_short_and_kind(void **state)
{
    resolves(state, "configmaps", "/v1/configmaps");
    resolves(state, "configmap", "/v1/configmaps");
    resolves(state, "cm", "/v1/configmaps");
    resolves(state, "ConfigMap", "/v1/configmaps");
    resolves(state, "CONFIGMAPS", "/v1/configmaps");
    resolves(state, "deploy", "apps/v1/deployments");
    resolves(state, "Deployment", "apps/v1/deployments");
}

static void group_and_version_forms(void **state)
{
    resolves(state, "deployments.apps", "apps/v1/deployments");
    resolves(state, "deployment.apps", "apps/v1/deployments");
    resolves(state, "deployment.v1.apps", "apps/v1/deployments");
    resolves(state, "deployments.v1beta1.apps", "apps/v1beta1/deployments");
    resolves(state, "Deployment.v1beta1.apps", "apps/v1beta1/deployments");
    resolves(state, "deployments.example.com", "example.com/v1/deployments");
    resolves(state, "deploy.apps", "apps/v1/deployments");
    resolves(state, "hpa", "autoscaling/v2/horizontalpodautoscalers");
    resolves(state, "hpa.v1.autoscaling", "autoscaling/v1/horizontalpodautoscalers");
}

static void partial_group_matches_by_prefix(void **state)
{
    resolves(state, "storageclass.storage", "storage.k8s.io/v1/storageclasses");
    resolves(state, "sc.storage", "storage.k8s.io/v1/storageclasses");
    resolves(state, "hpa.autoscal", "autoscaling/v2/horizontalpodautoscalers");
}

static void earlier_group_wins_a_shared_name(void **state)
{
    /* events: core before events.k8s.io; deployments: apps before example.com */
    resolves(state, "events", "/v1/events");
    resolves(state, "ev", "/v1/events");
    resolves(state, "events.events.k8s.io", "events.k8s.io/v1/events");
    resolves(state, "deployments", "apps/v1/deployments");
}

static void resource_name_beats_a_short_name(void **state)
{
    /* "cm2" is only a short name; a resource spelled like a short name of
     * another would keep its own meaning. */
    resolves(state, "cm2", "example.com/v1/widgets");
    resolves(state, "wg", "example.com/v1/widgets");
    resolves(state, "Widget.example.com", "example.com/v1/widgets");
}

static void unknown_types_get_kubectls_message(void **state)
{
    does_not_resolve(state, "foo", "the server doesn't have a resource type \"foo\"");
    does_not_resolve(state, "Foo.bar", "the server doesn't have a resource type \"Foo\"");
    does_not_resolve(state, "deployments.v2.apps",
                     "the server doesn't have a resource type \"deployments\"");
    does_not_resolve(state, "pods.apps", "the server doesn't have a resource type \"pods\"");
}

static void categories_expand_in_discovery_order(void **state)
{
    size_t n;
    const struct kube_resource **all = kube_category(*state, "all", &n);
    assert_int_equal(n, 4);
    assert_string_equal(all[0]->name, "pods");
    assert_string_equal(all[1]->name, "deployments");
    assert_string_equal(all[1]->version, "v1");
    assert_string_equal(all[2]->name, "horizontalpodautoscalers");
    assert_string_equal(all[2]->version, "v2");
    assert_string_equal(all[3]->name, "widgets");
    free(all);
    assert_null(kube_category(*state, "nothing", &n));
    assert_int_equal(n, 0);
}

static void names_verbs_and_scope(void **state)
{
    struct err e;
    const struct kube_resource *r = kube_resolve(*state, "sc", &e);
    char q[128];
    kube_resource_qualified(r, q, sizeof q);
    assert_string_equal(q, "storageclasses.storage.k8s.io");
    kube_resource_gv(r, q, sizeof q);
    assert_string_equal(q, "storage.k8s.io/v1");
    assert_false(r->namespaced);
    assert_true(kube_resource_has_verb(r, "list"));
    assert_false(kube_resource_has_verb(r, "delete"));
    r = kube_resolve(*state, "cm", &e);
    kube_resource_qualified(r, q, sizeof q);
    assert_string_equal(q, "configmaps");
    assert_true(r->namespaced);
    assert_true(r->preferred);
}

static void legacy_documents_give_the_same_model(void **state)
{
    (void)state;
    struct kube_discovery d;
    kube_discovery_init(&d);
    struct err e;
    json_t *v1 = json_loads("{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
                            "{\"name\":\"configmaps\",\"singularName\":\"\",\"namespaced\":true,"
                            "\"kind\":\"ConfigMap\",\"verbs\":[\"get\"],\"shortNames\":[\"cm\"]},"
                            "{\"name\":\"pods/log\",\"namespaced\":true,\"kind\":\"Pod\"}]}",
                            0, NULL);
    assert_int_equal(kube_discovery_add_legacy(&d, "", "v1", 0, 0, v1, &e), 0);
    assert_int_equal(d.n, 1);
    /* No singularName: the kind in lower case stands for it. */
    assert_string_equal(d.res[0].singular, "configmap");
    const struct kube_resource *r = kube_resolve(&d, "configmap", &e);
    assert_non_null(r);
    assert_string_equal(r->name, "configmaps");
    json_decref(v1);
    kube_discovery_fini(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(subresources_are_not_resources, setup, teardown),
        cmocka_unit_test_setup_teardown(plural_singular_short_and_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(group_and_version_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(partial_group_matches_by_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(earlier_group_wins_a_shared_name, setup, teardown),
        cmocka_unit_test_setup_teardown(resource_name_beats_a_short_name, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_types_get_kubectls_message, setup, teardown),
        cmocka_unit_test_setup_teardown(categories_expand_in_discovery_order, setup, teardown),
        cmocka_unit_test_setup_teardown(names_verbs_and_scope, setup, teardown),
        cmocka_unit_test(legacy_documents_give_the_same_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
