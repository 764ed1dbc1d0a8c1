/* The pure parts of src/backup: Go's duration text, label selectors to and
 * from metav1.LabelSelector (as kubectl/apimachinery print them), backup
 * names, the namespace rules, and gzip files through the run-time loaded
 * libarchive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "backup/backup.h"
#include "backup/filter.h"
#include "backup/record.h"
#include "core/archive_load.h"
#include "core/dl.h"

static void duration_is_go_text(void **state)
{
    (void)state;
    char s[64];
    static const struct {
        long long ms;
        const char *want;
    } cases[] = {
        {0, "0s"},
        {500, "500ms"},
        {1500, "1.5s"},
        {60000, "1m0s"},
        {90000, "1m30s"},
        {86400000, "24h0m0s"},
        {2592000000LL, "720h0m0s"},
        {3723250, "1h2m3.25s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        record_duration(cases[i].ms, s, sizeof s);
        assert_string_equal(s, cases[i].want);
    }
}

static void selector_round_trips_sorted_by_key(void **state)
{
    (void)state;
    struct err e;
    json_t *sel = record_selector_parse("tier notin (b, a),app=web,!gone,env", &e);
    assert_non_null(sel);
    char *dump = json_dumps(sel, JSON_COMPACT);
    assert_string_equal(dump, "{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":"
                              "\"tier\",\"operator\":\"NotIn\",\"values\":[\"a\",\"b\"]},{\"key\":"
                              "\"gone\",\"operator\":\"DoesNotExist\"},{\"key\":\"env\","
                              "\"operator\":\"Exists\"}]}");
    free(dump);
    char text[256];
    record_selector_format(sel, text, sizeof text);
    assert_string_equal(text, "app=web,env,!gone,tier notin (a,b)");
    json_decref(sel);
}

static void selector_not_equal_and_empty(void **state)
{
    (void)state;
    struct err e;
    json_t *sel = record_selector_parse("a!=x", &e);
    char text[64];
    record_selector_format(sel, text, sizeof text);
    assert_string_equal(text, "a notin (x)");
    json_decref(sel);
    record_selector_format(NULL, text, sizeof text);
    assert_string_equal(text, "<none>");
    assert_null(record_selector_parse("a in b", &e));
}

/* Blanks around operators and values are what kubectl (and the server)
 * accept; set values are a sorted set, as metav1.ParseToLabelSelector
 * lists them. */
static void selector_takes_blanks_as_kubectl_does(void **state)
{
    (void)state;
    static const struct {
        const char *text, *json;
    } cases[] = {
        {"app = web", "{\"matchLabels\":{\"app\":\"web\"}}"},
        {" app == web ", "{\"matchLabels\":{\"app\":\"web\"}}"},
        {"app in (web, db)",
         "{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[\"db\","
         "\"web\"]}]}"},
        {"! app", "{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"DoesNotExist\"}]}"},
        {"tier notin (x)",
         "{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"NotIn\",\"values\":[\"x\"]}]}"},
        {"app != web , tier",
         "{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[\"web\"]},"
         "{\"key\":\"tier\",\"operator\":\"Exists\"}]}"},
        {"example.com/app=in", "{\"matchLabels\":{\"example.com/app\":\"in\"}}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct err e = {{0}};
        json_t *sel = record_selector_parse(cases[i].text, &e);
        if (!sel)
            fail_msg("%s: %s", cases[i].text, e.msg);
        char *dump = json_dumps(sel, JSON_COMPACT);
        assert_string_equal(dump, cases[i].json);
        free(dump);
        json_decref(sel);
    }
}

/* apimachinery's parser messages, behind metav1's "couldn't parse the
 * selector string". */
static void selector_errors_are_kubectls(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"a b", "couldn't parse the selector string \"a b\": unable to parse requirement: found "
                "'b', expected: in, notin, =, ==, !=, gt, lt"},
        {"a in b", "couldn't parse the selector string \"a in b\": unable to parse requirement: "
                   "found 'b' expected: '('"},
        {"a in (x", "couldn't parse the selector string \"a in (x\": unable to parse "
                    "requirement: found '', expected: ',' or ')'"},
        {"a=b c", "couldn't parse the selector string \"a=b c\": found 'c', expected: ',' or "
                  "'end of string'"},
        {"a,", "couldn't parse the selector string \"a,\": found '', expected: identifier after "
               "','"},
        {"a=b$", "couldn't parse the selector string \"a=b$\": unable to parse requirement: "
                 "values[0][a]: Invalid value: \"b$\": a valid label must be an empty string or "
                 "consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                 "with an alphanumeric character"},
        {"a>1", "couldn't parse the selector string \"a>1\": \"gt\" isn't a valid label "
                "selector operator"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct err e = {{0}};
        assert_null(record_selector_parse(cases[i].text, &e));
        assert_string_equal(e.msg, cases[i].msg);
    }
}

static void names_are_dns_subdomains(void **state)
{
    (void)state;
    struct err e;
    assert_int_equal(backup_name_valid("backup", "nightly-2026.11.28", &e), 0);
    assert_int_equal(backup_name_valid("backup", "Nightly", &e), -1);
    assert_int_equal(backup_name_valid("backup", "-x", &e), -1);
    assert_int_equal(backup_name_valid("backup", "a/b", &e), -1);
    assert_int_equal(backup_name_valid("backup", "", &e), -1);
    assert_int_equal(backup_name_valid("restore", "../x", &e), -1);
    assert_non_null(strstr(e.msg, "invalid restore name \"../x\": a lowercase RFC 1123"));
}

static void excludes_win_over_includes(void **state)
{
    (void)state;
    const char *inc[] = {"*"}, *exc[] = {"kube-system"}, *web[] = {"web"};
    struct filter f = {.inc_ns = inc, .n_inc_ns = 1, .exc_ns = exc, .n_exc_ns = 1};
    assert_true(filter_namespace(&f, "web"));
    assert_false(filter_namespace(&f, "kube-system"));
    struct filter g = {.inc_ns = web, .n_inc_ns = 1};
    assert_true(filter_namespace(&g, "web"));
    assert_false(filter_namespace(&g, "db"));
    struct filter all = {0};
    assert_true(filter_namespace(&all, "anything"));
}

/* --include-resources widgets takes the CRDs (only those of the custom
 * resources backed up: related_only) unless cluster resources are off or
 * CRDs are excluded; other cluster-scoped types follow the resource rules. */
static void crds_come_with_included_custom_resources(void **state)
{
    (void)state;
    char *verbs[] = {"list", NULL};
    struct kube_resource widgets = {
        .group = "example.com", .name = "widgets", .namespaced = 1, .verbs = verbs};
    struct kube_resource crds = {
        .group = "apiextensions.k8s.io", .name = "customresourcedefinitions", .verbs = verbs};
    struct kube_resource pvs = {.group = "", .name = "persistentvolumes", .verbs = verbs};
    const struct kube_resource *inc[] = {&widgets}, *exc[] = {&crds};
    int related;
    for (int cluster = -1; cluster <= 1; cluster++) {
        for (int all_ns = 0; all_ns <= 1; all_ns++) {
            struct filter f = {
                .inc_res = inc, .n_inc_res = 1, .include_cluster = cluster, .all_ns = all_ns};
            assert_int_equal(filter_resource(&f, &widgets, &related), 1);
            assert_int_equal(filter_resource(&f, &crds, &related), cluster != 0);
            if (cluster != 0)
                assert_true(related);
            assert_int_equal(filter_resource(&f, &pvs, &related), 0);
            f.exc_res = exc;
            f.n_exc_res = 1;
            assert_int_equal(filter_resource(&f, &crds, &related), 0);
        }
    }
}

static void dl_load_names_the_missing_symbol(void **state)
{
    (void)state;
    void (*fn)(void);
    struct dl_sym syms[] = {DL_SYM(fn, "archive_no_such_function")};
    char failure[256];
    assert_int_equal(dl_load("libarchive.so.13", syms, 1, failure, sizeof failure), -1);
    assert_string_equal(failure, "libarchive.so.13 has no archive_no_such_function");
    assert_int_equal(dl_load("libnosuch.so.0", syms, 1, failure, sizeof failure), -1);
    assert_non_null(strstr(failure, "libnosuch.so.0"));
    struct err e;
    assert_int_equal(archive_load(&e), 0);
    assert_non_null(archive_fn.write_new);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(duration_is_go_text),
        cmocka_unit_test(selector_round_trips_sorted_by_key),
        cmocka_unit_test(selector_not_equal_and_empty),
        cmocka_unit_test(selector_takes_blanks_as_kubectl_does),
        cmocka_unit_test(selector_errors_are_kubectls),
        cmocka_unit_test(names_are_dns_subdomains),
        cmocka_unit_test(excludes_win_over_includes),
        cmocka_unit_test(crds_come_with_included_custom_resources),
        cmocka_unit_test(dl_load_names_the_missing_symbol),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
