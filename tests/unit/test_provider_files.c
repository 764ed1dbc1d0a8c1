/* The manifests provider (src/ingress/provider_files.c): which files are
 * read and in what order, documents and their lines, errors that name the
 * file and the line, publishing only what changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingress/provider_files.h"

static char dir[64];

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ferry-test-provider.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *name_of(json_t *objs, size_t i)
{
    return json_string_value(
        json_object_get(json_object_get(json_array_get(objs, i), "metadata"), "name"));
}

#define SVC(n) "apiVersion: v1\nkind: Service\nmetadata: {name: " n "}\n"

static void directory_files_are_read_in_name_order(void **state)
{
    (void)state;
    put("b.yaml", SVC("b1") "---\n" SVC("b2"));
    put("a.yml", "---\n" SVC("a") "...\n");
    put("c.json",
        "{\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"c\"}}");
    put(".hidden.yaml", SVC("hidden"));
    put("notes.txt", "not: [yaml");
    char sub[128];
    snprintf(sub, sizeof sub, "%s/sub.yaml", dir);
    assert_int_equal(mkdir(sub, 0755), 0); /* a directory with a YAML name is skipped */
    json_t *objs;
    struct err e;
    assert_int_equal(manifests_read(dir, &objs, NULL, &e), 0);
    assert_int_equal(json_array_size(objs), 4);
    assert_string_equal(name_of(objs, 0), "a");
    assert_string_equal(name_of(objs, 1), "b1");
    assert_string_equal(name_of(objs, 2), "b2");
    assert_string_equal(name_of(objs, 3), "c");
    json_decref(objs);
}

static void empty_documents_are_skipped(void **state)
{
    (void)state;
    put("m.yaml", "# comment\n---\n---   \n" SVC("x") "---\n# only a comment\n---\n");
    char path[128];
    snprintf(path, sizeof path, "%s/m.yaml", dir);
    json_t *objs;
    struct err e;
    assert_int_equal(manifests_read(path, &objs, NULL, &e), 0);
    assert_int_equal(json_array_size(objs), 1);
    json_decref(objs);
}

static void yaml_errors_name_the_file_and_its_line(void **state)
{
    (void)state;
    put("m.yaml", SVC("ok") "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: x\n"
                            "  labels: [a\n");
    char path[128];
    snprintf(path, sizeof path, "%s/m.yaml", dir);
    json_t *objs = (json_t *)1;
    struct err e;
    assert_int_equal(manifests_read(path, &objs, NULL, &e), -1);
    assert_null(objs);
    char want[256];
    snprintf(want, sizeof want, "%s: line 9: ", path);
    assert_true(!strncmp(e.msg, want, strlen(want)));
}

static void objects_need_a_kind_and_an_api_version(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/m.yaml", dir);
    json_t *objs;
    struct err e;
    put("m.yaml", SVC("ok") "---\nmetadata: {name: x}\n");
    assert_int_equal(manifests_read(path, &objs, NULL, &e), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: line 5: object has no kind", path);
    assert_string_equal(e.msg, want);
    put("m.yaml", "kind: Service\nmetadata: {name: x}\n");
    assert_int_equal(manifests_read(path, &objs, NULL, &e), -1);
    snprintf(want, sizeof want, "%s: line 1: Service has no apiVersion", path);
    assert_string_equal(e.msg, want);
    put("m.yaml", SVC("ok") "--- [1, 2]\n");
    assert_int_equal(manifests_read(path, &objs, NULL, &e), -1);
    assert_non_null(strstr(e.msg, "line 4: a document is not a Kubernetes object"));
}

static void a_missing_path_is_an_error(void **state)
{
    (void)state;
    json_t *objs;
    struct err e;
    assert_int_equal(manifests_read("/nonexistent/ferry", &objs, NULL, &e), -1);
    assert_string_equal(e.msg, "/nonexistent/ferry: no such file or directory");
}

static void the_hash_follows_the_contents(void **state)
{
    (void)state;
    json_t *objs;
    unsigned long long h1, h2, h3;
    put("m.yaml", SVC("a"));
    assert_int_equal(manifests_read(dir, &objs, &h1, NULL), 0);
    json_decref(objs);
    assert_int_equal(manifests_read(dir, &objs, &h2, NULL), 0);
    json_decref(objs);
    put("m.yaml", SVC("b"));
    assert_int_equal(manifests_read(dir, &objs, &h3, NULL), 0);
    json_decref(objs);
    assert_true(h1 == h2);
    assert_true(h1 != h3);
}

static int published;
static struct route_table *last;

static void publish(void *ctx, struct route_table *t)
{
    (void)ctx;
    published++;
    route_table_unref(last);
    last = t;
}

static void reload_publishes_only_changes_and_valid_files(void **state)
{
    (void)state;
    put("m.yaml", SVC("web") "spec: {ports: [{port: 80}]}\n---\n"
                             "apiVersion: networking.k8s.io/v1\nkind: Ingress\n"
                             "metadata: {name: i}\nspec:\n  ingressClassName: ferry\n"
                             "  defaultBackend: {service: {name: web, port: {number: 80}}}\n");
    struct objstore *store = objstore_new("manifests", NULL, NULL, publish, NULL);
    struct provider_files *pf = provider_files_new(dir, store);
    struct err e;
    published = 0;
    assert_int_equal(provider_files_reload(pf, &e), 1);
    assert_int_equal(published, 1);
    assert_int_equal(route_table_nroutes(last), 1);
    assert_int_equal(provider_files_reload(pf, &e), 0); /* nothing changed */
    assert_int_equal(published, 1);
    put("x.yaml", "kind: [\n");
    assert_int_equal(provider_files_reload(pf, &e), -1);
    assert_int_equal(published, 1); /* the previous table stays */
    char x[128];
    snprintf(x, sizeof x, "%s/x.yaml", dir);
    unlink(x);
    put("m.yaml", SVC("other"));
    assert_int_equal(provider_files_reload(pf, &e), 1);
    assert_int_equal(published, 2);
    assert_int_equal(route_table_nroutes(last), 0);
    assert_int_equal(provider_files_generation(pf), 2);
    provider_files_free(pf);
    objstore_free(store);
    route_table_unref(last);
    last = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(directory_files_are_read_in_name_order, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_documents_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(yaml_errors_name_the_file_and_its_line, setup, teardown),
        cmocka_unit_test_setup_teardown(objects_need_a_kind_and_an_api_version, setup, teardown),
        cmocka_unit_test(a_missing_path_is_an_error),
        cmocka_unit_test_setup_teardown(the_hash_follows_the_contents, setup, teardown),
        cmocka_unit_test_setup_teardown(reload_publishes_only_changes_and_valid_files, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
