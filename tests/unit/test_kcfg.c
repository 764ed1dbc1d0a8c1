/* The kubeconfig model below the command line: the canonical entry shape, and re-reading a file
 * that changed in between. Whole-command behaviour is compared with kubectl in
 * tests/integration/config_diff.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kubeconfig/kcfg.h"

static const char cfg_a[] = "apiVersion: v1\n"
                            "kind: Config\n"
                            "clusters:\n"
                            "- name: dev\n"
                            "  cluster:\n"
                            "    server: https://127.0.0.1:6443\n"
                            "    certificate-authority-data: QUJD\n"
                            "current-context: dev\n";

static void write_all(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void reload_sees_changed_bytes(void **state)
{
    (void)state;
    char dir[] = "/tmp/ferry-test-kcfg.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/config", dir);
    struct kcfg c;
    struct err e;

    write_all(path, cfg_a);
    assert_int_equal(kcfg_load_file(&c, path, &e), 0);
    assert_string_equal(c.current_context, "dev");
    json_t *dev = json_object_get(c.entries[KCFG_CLUSTERS], "dev");
    assert_string_equal(json_string_value(json_object_get(dev, "server")),
                        "https://127.0.0.1:6443");
    kcfg_fini(&c);

    /* Same bytes again: the same model, independent of the first copy. */
    assert_int_equal(kcfg_load_file(&c, path, &e), 0);
    json_object_del(c.entries[KCFG_CLUSTERS], "dev");
    kcfg_fini(&c);
    assert_int_equal(kcfg_load_file(&c, path, &e), 0);
    assert_non_null(json_object_get(c.entries[KCFG_CLUSTERS], "dev"));
    kcfg_fini(&c);

    /* Another writer changed the file: its content is what counts. */
    write_all(path, "apiVersion: v1\nkind: Config\ncurrent-context: prod\n");
    assert_int_equal(kcfg_load_file(&c, path, &e), 0);
    assert_string_equal(c.current_context, "prod");
    assert_null(json_object_get(c.entries[KCFG_CLUSTERS], "dev"));
    kcfg_fini(&c);

    /* And a broken file is an error, not the remembered model. */
    write_all(path, "clusters: [\n");
    assert_int_equal(kcfg_load_file(&c, path, &e), -1);
    kcfg_fini(&c);

    unlink(path);
    assert_int_equal(kcfg_load_file(&c, path, &e), 1);
    assert_string_equal(c.current_context, "");
    kcfg_fini(&c);
    rmdir(dir);
}

static void canonical_entry_shape(void **state)
{
    (void)state;
    struct kcfg c;
    struct err e;
    static const char in[] = "users:\n"
                             "- name: u\n"
                             "  user:\n"
                             "    token: t\n"
                             "    client-key-data: \"QUJD\\n\"\n"
                             "    exec:\n"
                             "      command: c\n"
                             "      apiVersion: client.authentication.k8s.io/v1beta1\n";
    assert_int_equal(kcfg_init(&c), 0);
    assert_int_equal(kcfg_parse(&c, in, sizeof in - 1, NULL, &e), 0);
    json_t *u = json_object_get(c.entries[KCFG_USERS], "u");
    /* base64 rewritten without the newline, as Go re-encodes []byte */
    assert_string_equal(json_string_value(json_object_get(u, "client-key-data")), "QUJD");
    /* client-go's defaulting for beta exec plugins */
    json_t *ex = json_object_get(u, "exec");
    assert_string_equal(json_string_value(json_object_get(ex, "interactiveMode")), "IfAvailable");
    /* fields in the v1 struct's order, not the file's */
    const char *first = json_object_iter_key(json_object_iter(u));
    assert_string_equal(first, "client-key-data");
    kcfg_fini(&c);
}

static void type_error_reports_first_key_in_byte_order(void **state)
{
    (void)state;
    struct kcfg c;
    struct err e;
    static const char in[] = "clusters:\n"
                             "- name: x\n"
                             "  cluster:\n"
                             "    server: 443\n"
                             "    insecure-skip-tls-verify: \"yes\"\n";
    assert_int_equal(kcfg_init(&c), 0);
    assert_int_equal(kcfg_parse(&c, in, sizeof in - 1, NULL, &e), -1);
    assert_string_equal(e.msg, "json: cannot unmarshal string into Go struct field "
                               "Cluster.clusters.cluster.insecure-skip-tls-verify of type bool");
    kcfg_fini(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reload_sees_changed_bytes),
        cmocka_unit_test(canonical_entry_shape),
        cmocka_unit_test(type_error_reports_first_key_in_byte_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
