/* The client's pure parts: kubectl's error wording (kube/client.c), request
 * timeouts and connection settings (kube/restcfg.c), exec credential
 * documents (kube/exec.c), paths and selector encoding (kube/api.c), ages
 * (kube/print.c). Expected texts are kubectl 1.32's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "kube/api.h"
#include "kube/client.h"
#include "kube/exec.h"
#include "kube/print.h"
#include "kube/restcfg.h"

/* ---- API errors ---- */

static const char *status_msg(long code, const char *ctype, const char *body, const char *method,
                              const char *res, const char *name, char *reason)
{
    static struct err e;
    assert_int_equal(
        kube_status_error(code, ctype, body, strlen(body), method, res, name, reason, 64, &e),
        KUBE_ESTATUS);
    return e.msg;
}

static void status_body_gives_reason_and_message(void **state)
{
    (void)state;
    char reason[64];
    assert_string_equal(
        status_msg(404, "application/json",
                   "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
                   "\"Failure\",\"message\":\"configmaps \\\"x\\\" not found\",\"reason\":"
                   "\"NotFound\",\"code\":404}",
                   "GET", "configmaps", "x", reason),
        "Error from server (NotFound): configmaps \"x\" not found");
    assert_string_equal(reason, "NotFound");
    assert_string_equal(status_msg(403, "application/json",
                                   "{\"kind\":\"Status\",\"message\":\"deployments.apps is "
                                   "forbidden: User \\\"x\\\" cannot list resource\",\"reason\":"
                                   "\"Forbidden\"}",
                                   "GET", "deployments.apps", NULL, reason),
                        "Error from server (Forbidden): deployments.apps is forbidden: User \"x\" "
                        "cannot list resource");
    assert_string_equal(status_msg(500, "application/json",
                                   "{\"kind\":\"Status\",\"message\":\"boom\"}", "GET", NULL, NULL,
                                   reason),
                        "Error from server: boom");
}

static void unauthorized_reads_as_kubectl(void **state)
{
    (void)state;
    char reason[64];
    assert_string_equal(status_msg(401, "application/json",
                                   "{\"kind\":\"Status\",\"message\":\"Unauthorized\",\"reason\":"
                                   "\"Unauthorized\",\"code\":401}",
                                   "GET", "configmaps", NULL, reason),
                        "You must be logged in to the server (Unauthorized)");
    /* Not "raw": the command layer adds "error: ". */
    assert_false(kube_msg_is_raw("You must be logged in to the server (Unauthorized)"));
    assert_string_equal(status_msg(401, "text/plain", "", "GET", NULL, NULL, reason),
                        "You must be logged in to the server (the server has asked for the "
                        "client to provide credentials)");
}

static void bodies_that_are_not_status_get_generic_messages(void **state)
{
    (void)state;
    char reason[64];
    assert_string_equal(
        status_msg(404, "text/plain", "404 page not found\n", "GET", "configmaps", "x", reason),
        "Error from server (NotFound): the server could not find the requested "
        "resource (get configmaps x)");
    assert_string_equal(status_msg(409, "", "", "POST", "configmaps", NULL, reason),
                        "Error from server (AlreadyExists): the server reported a conflict (post "
                        "configmaps)");
    assert_string_equal(status_msg(502, "text/html; charset=utf-8", " <b>bad \"gw\"</b>\n", "GET",
                                   "pods", NULL, reason),
                        "Error from server (InternalError): an error on the server (\"<b>bad "
                        "\\\"gw\\\"</b>\") has prevented the request from succeeding (get pods)");
    assert_string_equal(
        status_msg(503, "application/json", "{\"not\":\"status\"}", "GET", NULL, NULL, reason),
        "Error from server (ServiceUnavailable): the server is currently unable "
        "to handle the request");
    assert_string_equal(status_msg(500, "application/json", "[1]", "GET", NULL, NULL, reason),
                        "Error from server (InternalError): an error on the server (\"unknown\") "
                        "has prevented the request from succeeding");
    assert_string_equal(status_msg(418, "text/plain", "teapot", "DELETE", "pods", "p", reason),
                        "Error from server (Unknown): the server responded with the status code "
                        "418 but did not return more information (delete pods p)");
    assert_string_equal(status_msg(429, "", "", "GET", NULL, NULL, reason),
                        "Error from server (TooManyRequests): the server has received too many "
                        "requests and has asked us to try again later");
}

static void raw_messages_are_the_ones_kubectl_prints_bare(void **state)
{
    (void)state;
    assert_true(kube_msg_is_raw("Error from server (NotFound): x"));
    assert_true(kube_msg_is_raw("The connection to the server h:1 was refused - ..."));
    assert_true(kube_msg_is_raw("Unable to connect to the server: EOF"));
    assert_true(kube_msg_is_raw("Error in configuration: context was not found"));
    assert_false(kube_msg_is_raw("the server doesn't have a resource type \"x\""));
}

/* ---- --request-timeout ---- */

static void timeouts_parse_as_kubectl(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        long ms;
    } good[] = {{"0", 0},       {"5", 5000},        {"1s", 1000},   {"500ms", 500},
                {"2m", 120000}, {"1h30m", 5400000}, {"1.5s", 1500}, {"", 0}};
    struct err e;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        long ms = -1;
        assert_int_equal(kube_parse_timeout(good[i].in, &ms, &e), 0);
        assert_int_equal(ms, good[i].ms);
    }
    static const char *const bad[] = {"abc", "1x", "s", "-1", "1s2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long ms;
        assert_int_equal(kube_parse_timeout(bad[i], &ms, &e), -1);
        assert_string_equal(e.msg, "Invalid timeout value. Timeout must be a single integer in "
                                   "seconds, or an integer followed by a corresponding time unit "
                                   "(e.g. 1s | 2m | 3h)");
    }
}

/* ---- paths and selectors ---- */

static void selectors_are_query_escaped_as_go_does(void **state)
{
    (void)state;
    struct buf q = BUF_INIT;
    kube_query_add(&q, "labelSelector", "app in (web, db),!canary,tier!=x");
    kube_query_add(&q, "fieldSelector", "metadata.name=a/b~c");
    kube_query_add(&q, "limit", "500");
    assert_string_equal(buf_str(&q),
                        "labelSelector=app+in+%28web%2C+db%29%2C%21canary%2Ctier%21%3Dx"
                        "&fieldSelector=metadata.name%3Da%2Fb~c&limit=500");
    buf_fini(&q);
}

static void paths_for_core_groups_namespaces_and_names(void **state)
{
    (void)state;
    char *verbs[] = {NULL};
    struct kube_resource cm = {"",    "v1",  "configmaps", "configmap", "ConfigMap", 1,
                               verbs, verbs, verbs,        1,           0,           0};
    struct kube_resource dep = {
        "apps", "v1", "deployments", "deployment", "Deployment", 1, verbs, verbs, verbs, 1, 0, 0};
    struct kube_resource ns = {"",    "v1",  "namespaces", "namespace", "Namespace", 0,
                               verbs, verbs, verbs,        1,           0,           0};
    struct buf b = BUF_INIT;
    kube_path(&cm, "demo", "a b", NULL, &b);
    assert_string_equal(buf_str(&b), "/api/v1/namespaces/demo/configmaps/a%20b");
    buf_reset(&b);
    kube_path(&dep, NULL, NULL, NULL, &b);
    assert_string_equal(buf_str(&b), "/apis/apps/v1/deployments");
    buf_reset(&b);
    kube_path(&dep, "x", "web", "scale", &b);
    assert_string_equal(buf_str(&b), "/apis/apps/v1/namespaces/x/deployments/web/scale");
    buf_reset(&b);
    kube_path(&ns, "ignored", "kube-system", NULL, &b);
    assert_string_equal(buf_str(&b), "/api/v1/namespaces/kube-system");
    buf_fini(&b);
}

/* ---- ages ---- */

static void ages_read_as_human_duration(void **state)
{
    (void)state;
    static const struct {
        double s;
        const char *want;
    } cases[] = {{-5, "<invalid>"},
                 {-1, "0s"},
                 {0, "0s"},
                 {59, "59s"},
                 {119, "119s"},
                 {120, "2m"},
                 {182, "3m2s"},
                 {599, "9m59s"},
                 {600, "10m"},
                 {10799, "179m"},
                 {10800, "3h"},
                 {4 * 3600 + 120, "4h2m"},
                 {8 * 3600, "8h"},
                 {47 * 3600, "47h"},
                 {48 * 3600, "2d"},
                 {51 * 3600, "2d3h"},
                 {8 * 86400, "8d"},
                 {729 * 86400.0, "729d"},
                 {730 * 86400.0, "2y"},
                 {775 * 86400.0, "2y45d"},
                 {9 * 365 * 86400.0, "9y"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[32];
        kube_human_duration(cases[i].s, got, sizeof got);
        if (strcmp(got, cases[i].want))
            fail_msg("%g s: got %s, want %s", cases[i].s, got, cases[i].want);
    }
    char got[32];
    kube_age("2024-01-01T00:00:00Z", (time_t)1704067200 + 3725, got, sizeof got);
    assert_string_equal(got, "62m");
    kube_age(NULL, 0, got, sizeof got);
    assert_string_equal(got, "<unknown>");
    kube_age("yesterday", 0, got, sizeof got);
    assert_string_equal(got, "<unknown>");
}

/* ---- exec credentials ---- */

static struct kube_exec_cfg exec_cfg(const char *api)
{
    struct kube_exec_cfg x;
    memset(&x, 0, sizeof x);
    x.command = "plugin";
    x.api_version = (char *)api;
    x.interactive_mode = "Never";
    return x;
}

static void exec_info_is_go_json(void **state)
{
    (void)state;
    struct kube_exec_cfg x = exec_cfg("client.authentication.k8s.io/v1beta1");
    struct kube_restcfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.server = "https://h:6443";
    char *info = kube_exec_info(&x, &cfg, 0);
    assert_string_equal(info, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client."
                              "authentication.k8s.io/v1beta1\",\"spec\":{\"interactive\":false}}");
    free(info);
    x.provide_cluster_info = 1;
    cfg.ca_pem = "CA";
    cfg.ca_len = 2;
    cfg.tls_server_name = "n";
    cfg.proxy_url = "http://p";
    info = kube_exec_info(&x, &cfg, 1);
    assert_string_equal(info, "{\"kind\":\"ExecCredential\",\"apiVersion\":\"client."
                              "authentication.k8s.io/v1beta1\",\"spec\":{\"cluster\":{\"server\":"
                              "\"https://h:6443\",\"tls-server-name\":\"n\",\"certificate-"
                              "authority-data\":\"Q0E=\",\"proxy-url\":\"http://p\",\"config\":"
                              "null},\"interactive\":true}}");
    free(info);
}

static void exec_output_is_checked_as_client_go_checks_it(void **state)
{
    (void)state;
    struct kube_exec_cfg x = exec_cfg("client.authentication.k8s.io/v1");
    struct kube_exec_cred c;
    struct err e;
    const char *ok = "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                     "\"ExecCredential\",\"status\":{\"token\":\"t\",\"expirationTimestamp\":"
                     "\"1970-01-01T00:01:40Z\"}}";
    assert_int_equal(kube_exec_parse(&x, ok, strlen(ok), &c, &e), 0);
    assert_string_equal(c.token, "t");
    assert_int_equal(c.expiry, 100);
    kube_exec_cred_fini(&c);
    static const struct {
        const char *out, *msg;
    } bad[] = {
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\"}",
         "exec plugin is configured to use API version client.authentication.k8s.io/v1, plugin "
         "returned version client.authentication.k8s.io/v1beta1"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\"}",
         "exec plugin didn't return a status field"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
         "\"status\":{}}",
         "exec plugin didn't return a token or cert/key pair"},
        {"{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
         "\"status\":{\"clientCertificateData\":\"C\"}}",
         "exec plugin returned only certificate or key, not both"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(kube_exec_parse(&x, bad[i].out, strlen(bad[i].out), &c, &e), -1);
        assert_string_equal(e.msg, bad[i].msg);
    }
    assert_int_equal(kube_exec_parse(&x, "nope", 4, &c, &e), -1);
    assert_non_null(strstr(e.msg, "decoding stdout: couldn't get version/kind; json parse error"));
}

/* ---- connection settings from a kubeconfig ---- */

static char dir[64];

static int mkdir_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/ferry-restcfg.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int rm_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char KC[] = "apiVersion: v1\nkind: Config\n"
                         "clusters:\n"
                         "- name: c1\n  cluster:\n    server: https://127.0.0.1:6443/\n"
                         "    certificate-authority: ca.pem\n    tls-server-name: api.local\n"
                         "- name: c2\n  cluster:\n    server: 127.0.0.1:8443\n"
                         "    insecure-skip-tls-verify: true\n"
                         "contexts:\n"
                         "- name: one\n  context: {cluster: c1, user: u1, namespace: team}\n"
                         "- name: two\n  context: {cluster: c2, user: u2}\n"
                         "current-context: one\n"
                         "users:\n"
                         "- name: u1\n  user:\n    tokenFile: tok\n"
                         "- name: u2\n  user:\n    username: bob\n    password: pw\n";

static int load(struct kube_restcfg *cfg, struct kube_overrides *o, struct err *e)
{
    char kc[256];
    snprintf(kc, sizeof kc, "%s/kc", dir);
    o->kubeconfig = kc;
    return kube_restcfg_load(cfg, o, e);
}

static struct kube_overrides none(void)
{
    struct kube_overrides o;
    memset(&o, 0, sizeof o);
    o.insecure = -1;
    return o;
}

static void kubeconfig_context_cluster_and_user(void **state)
{
    (void)state;
    write_file("kc", KC);
    write_file("ca.pem", "PEM");
    write_file("tok", "t0k\n");
    struct kube_restcfg cfg;
    struct err e;
    struct kube_overrides o = none();
    assert_int_equal(load(&cfg, &o, &e), 0);
    assert_string_equal(cfg.server, "https://127.0.0.1:6443");
    assert_string_equal(cfg.host, "127.0.0.1:6443");
    assert_string_equal(cfg.ca_pem, "PEM");
    assert_string_equal(cfg.tls_server_name, "api.local");
    assert_non_null(strstr(cfg.token_file, "/tok"));
    assert_string_equal(cfg.namespace_, "team");
    assert_false(cfg.namespace_explicit);
    kube_restcfg_fini(&cfg);

    o.context = "two";
    assert_int_equal(load(&cfg, &o, &e), 0);
    /* No scheme, TLS settings present: https, as client-go defaults it. */
    assert_string_equal(cfg.server, "https://127.0.0.1:8443");
    assert_true(cfg.insecure);
    assert_string_equal(cfg.username, "bob");
    assert_string_equal(cfg.namespace_, "default");
    kube_restcfg_fini(&cfg);
}

static void overrides_replace_kubeconfig_fields(void **state)
{
    (void)state;
    write_file("kc", KC);
    write_file("ca.pem", "PEM");
    write_file("tok", "t0k");
    struct kube_restcfg cfg;
    struct err e;
    struct kube_overrides o = none();
    o.server = "http://10.0.0.1:80";
    o.namespace_ = "ns1";
    o.token = "flag-token";
    o.insecure = 1;
    o.request_timeout = "2s";
    assert_int_equal(load(&cfg, &o, &e), 0);
    assert_string_equal(cfg.server, "http://10.0.0.1:80");
    assert_string_equal(cfg.namespace_, "ns1");
    assert_true(cfg.namespace_explicit);
    assert_string_equal(cfg.token, "flag-token");
    assert_null(cfg.token_file);
    assert_true(cfg.insecure);
    assert_null(cfg.ca_pem); /* --insecure-skip-tls-verify drops the CA */
    assert_int_equal(cfg.timeout_ms, 2000);
    kube_restcfg_fini(&cfg);
}

static void configuration_errors_read_as_kubectl(void **state)
{
    (void)state;
    write_file("kc", KC);
    write_file("ca.pem", "PEM");
    write_file("tok", "t0k");
    struct kube_restcfg cfg;
    struct err e;
    struct kube_overrides o = none();
    o.context = "ghost";
    assert_int_equal(load(&cfg, &o, &e), -1);
    assert_string_equal(e.msg, "Error in configuration: context was not found for specified "
                               "context: ghost");
    o = none();
    o.cluster = "nope";
    assert_int_equal(load(&cfg, &o, &e), -1);
    assert_string_equal(e.msg, "no server found for cluster \"nope\"");
    o = none();
    o.user = "nobody";
    assert_int_equal(load(&cfg, &o, &e), -1);
    assert_string_equal(e.msg, "auth info \"nobody\" does not exist");
    o = none();
    o.context = "two";
    o.token = "t";
    assert_int_equal(load(&cfg, &o, &e), -1);
    assert_string_equal(e.msg, "more than one authentication method found for u2; found [token "
                               "basicAuth], only one is allowed");
    o = none();
    o.certificate_authority = "/nonexistent/ca";
    assert_int_equal(load(&cfg, &o, &e), -1);
    assert_string_equal(e.msg, "unable to read certificate-authority /nonexistent/ca for c1 due to "
                               "open /nonexistent/ca: no such file or directory");
}

static void no_kubeconfig_means_localhost_8080_or_in_cluster(void **state)
{
    (void)state;
    struct kube_restcfg cfg;
    struct err e;
    struct kube_overrides o = none();
    char kc[256];
    snprintf(kc, sizeof kc, "%s/missing", dir);
    o.kubeconfig = kc;
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(kube_restcfg_load(&cfg, &o, &e), 0);
    assert_string_equal(cfg.server, "http://localhost:8080");
    assert_string_equal(cfg.host, "localhost:8080");
    kube_restcfg_fini(&cfg);

    write_file("token", " sa-token\n");
    write_file("ca.crt", "SA-CA");
    write_file("namespace", "apps\n");
    setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    setenv("FERRY_SERVICEACCOUNT_DIR", dir, 1);
    assert_int_equal(kube_restcfg_load(&cfg, &o, &e), 0);
    assert_true(cfg.in_cluster);
    assert_string_equal(cfg.server, "https://[fd00::1]:443");
    assert_string_equal(cfg.token, "sa-token");
    assert_string_equal(cfg.ca_pem, "SA-CA");
    assert_string_equal(cfg.namespace_, "apps");
    kube_restcfg_fini(&cfg);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    unsetenv("FERRY_SERVICEACCOUNT_DIR");
}

static void exec_users_are_read_with_their_rules(void **state)
{
    (void)state;
    write_file("kc", "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n"
                     "    server: https://h\n    extensions:\n"
                     "    - name: client.authentication.k8s.io/exec\n      extension: {a: 1}\n"
                     "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
                     "current-context: x\nusers:\n- name: u\n  user:\n    exec:\n"
                     "      apiVersion: client.authentication.k8s.io/v1beta1\n"
                     "      command: bin/plugin\n      args: [--x, \"y\"]\n"
                     "      env: [{name: A, value: b}]\n");
    struct kube_restcfg cfg;
    struct err e;
    struct kube_overrides o = none();
    assert_int_equal(load(&cfg, &o, &e), 0);
    assert_non_null(cfg.exec);
    char want[256];
    snprintf(want, sizeof want, "%s/bin/plugin", dir);
    assert_string_equal(cfg.exec->command, want); /* relative to the kubeconfig */
    assert_int_equal(cfg.exec->nargs, 2);
    assert_string_equal(cfg.exec->args[1], "y");
    assert_string_equal(cfg.exec->env[0], "A=b");
    assert_string_equal(cfg.exec->interactive_mode, "IfAvailable"); /* v1beta1's default */
    assert_non_null(cfg.exec->cluster_config);
    kube_restcfg_fini(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_body_gives_reason_and_message),
        cmocka_unit_test(unauthorized_reads_as_kubectl),
        cmocka_unit_test(bodies_that_are_not_status_get_generic_messages),
        cmocka_unit_test(raw_messages_are_the_ones_kubectl_prints_bare),
        cmocka_unit_test(timeouts_parse_as_kubectl),
        cmocka_unit_test(selectors_are_query_escaped_as_go_does),
        cmocka_unit_test(paths_for_core_groups_namespaces_and_names),
        cmocka_unit_test(ages_read_as_human_duration),
        cmocka_unit_test(exec_info_is_go_json),
        cmocka_unit_test(exec_output_is_checked_as_client_go_checks_it),
        cmocka_unit_test_setup_teardown(kubeconfig_context_cluster_and_user, mkdir_setup,
                                        rm_teardown),
        cmocka_unit_test_setup_teardown(overrides_replace_kubeconfig_fields, mkdir_setup,
                                        rm_teardown),
        cmocka_unit_test_setup_teardown(configuration_errors_read_as_kubectl, mkdir_setup,
                                        rm_teardown),
        cmocka_unit_test_setup_teardown(no_kubeconfig_means_localhost_8080_or_in_cluster,
                                        mkdir_setup, rm_teardown),
        cmocka_unit_test_setup_teardown(exec_users_are_read_with_their_rules, mkdir_setup,
                                        rm_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
