/* The object store both providers feed (src/ingress/objstore.c): objects
 * kept by kind, namespace and name, stale marks swept after a relist, the
 * --default-backend-service, and the rebuild that publishes tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "ingress/objstore.h"

static struct route_table *last;
static int published;

static void publish(void *ctx, struct route_table *t)
{
    (void)ctx;
    published++;
    route_table_unref(last);
    last = t;
}

static json_t *obj(const char *text)
{
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    assert_non_null(o);
    return o;
}

static void put(struct objstore *s, const char *text)
{
    json_t *o = obj(text);
    assert_int_equal(objstore_put(s, o), 0);
    json_decref(o);
}

#define SVC(name, port)                                                                            \
    "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"" name                   \
    "\",\"namespace\":\"ns\"},\"spec\":{\"ports\":[{\"port\":" #port "}]}}"
#define ING(name, host, svc)                                                                       \
    "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":\"" name \
    "\",\"namespace\":\"ns\"},\"spec\":{\"ingressClassName\":\"ferry\",\"rules\":[{\"host\":"      \
    "\"" host                                                                                      \
    "\",\"http\":{\"paths\":[{\"path\":\"/\",\"pathType\":\"Prefix\",\"backend\":{\"service\":"    \
    "{\"name\":\"" svc "\",\"port\":{\"number\":80}}}}]}}]}}"

static const struct route *lookup(const char *host)
{
    return route_lookup(last, host, strlen(host), "/", 1);
}

static void rebuild(struct objstore *s)
{
    struct err e;
    assert_int_equal(objstore_rebuild(s, &e), 1);
}

static void put_replaces_and_delete_removes(void **state)
{
    (void)state;
    struct objstore *s = objstore_new("test", NULL, NULL, publish, NULL);
    put(s, SVC("web", 80));
    put(s, ING("i", "a.example", "web"));
    rebuild(s);
    assert_non_null(lookup("a.example"));
    put(s, ING("i", "b.example", "web")); /* same kind/ns/name: replaced */
    rebuild(s);
    assert_null(lookup("a.example"));
    assert_non_null(lookup("b.example"));
    json_t *i = objstore_get(s, "Ingress", "ns", "i");
    assert_non_null(i);
    objstore_delete(s, "Ingress", i);
    objstore_release(s, i);
    assert_null(objstore_get(s, "Ingress", "ns", "i"));
    rebuild(s);
    assert_null(lookup("b.example"));
    assert_int_equal(published, 3);
    assert_int_equal(objstore_generation(s), 3);
    objstore_free(s);
}

static void sweep_drops_what_a_new_list_did_not_bring_back(void **state)
{
    (void)state;
    struct objstore *s = objstore_new("test", NULL, NULL, publish, NULL);
    put(s, SVC("web", 80));
    put(s, ING("kept", "a.example", "web"));
    put(s, ING("gone", "b.example", "web"));
    objstore_mark(s, "Ingress");
    put(s, ING("kept", "a.example", "web")); /* the list brings this one back */
    assert_int_equal(objstore_sweep(s, "Ingress"), 1);
    assert_int_equal(objstore_sweep(s, "Ingress"), 0);
    rebuild(s);
    assert_non_null(lookup("a.example"));
    assert_null(lookup("b.example"));
    json_t *svc = objstore_get(s, "Service", "ns", "web"); /* other kinds untouched */
    assert_non_null(svc);
    objstore_release(s, svc);
    objstore_free(s);
}

static void default_backend_service_serves_what_no_rule_claims(void **state)
{
    (void)state;
    struct objstore *s = objstore_new("test", NULL, "ns/fallback", publish, NULL);
    put(s, SVC("fallback", 8080));
    put(s, SVC("web", 80));
    put(s, ING("i", "a.example", "web"));
    rebuild(s);
    const struct route *r = lookup("unknown.example");
    assert_non_null(r);
    assert_string_equal(r->backend->service, "fallback");
    assert_int_equal(r->backend->port, 8080);
    assert_string_equal(lookup("a.example")->backend->service, "web");
    /* An Ingress's own spec.defaultBackend wins over the flag. */
    put(s,
        "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\",\"metadata\":{\"name\":"
        "\"d\",\"namespace\":\"ns\"},\"spec\":{\"ingressClassName\":\"ferry\",\"defaultBackend\":"
        "{\"service\":{\"name\":\"web\",\"port\":{\"number\":80}}}}}");
    rebuild(s);
    assert_string_equal(lookup("unknown.example")->backend->service, "web");
    objstore_free(s);
}

static void manifests_and_watched_objects_are_built_together(void **state)
{
    (void)state;
    struct objstore *s = objstore_new("test", NULL, NULL, publish, NULL);
    json_t *arr = json_array();
    json_array_append_new(arr, obj(SVC("web", 80)));
    objstore_replace(s, arr);
    put(s, ING("i", "a.example", "web"));
    rebuild(s);
    assert_int_equal(lookup("a.example")->backend->state, ROUTE_BACKEND_OK);
    objstore_free(s);
}

static int teardown(void **state)
{
    (void)state;
    route_table_unref(last);
    last = NULL;
    published = 0;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(put_replaces_and_delete_removes, teardown),
        cmocka_unit_test_teardown(sweep_drops_what_a_new_list_did_not_bring_back, teardown),
        cmocka_unit_test_teardown(default_backend_service_serves_what_no_rule_claims, teardown),
        cmocka_unit_test_teardown(manifests_and_watched_objects_are_built_together, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
