/* The object operations of kube/api.c against tests/support/fake-apiserver
 * (started here on 127.0.0.1, plain HTTP): create, get, update, merge patch,
 * server-side apply, delete with each propagation policy, streamed paged
 * lists, watches, and the client-side rate limit. The tests skip when the
 * server (or python3) is not there; run from the repository root, as
 * tests/run does, or set FAKE_APISERVER. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "kube/api.h"
#include "kube/client.h"
#include "kube/commands.h"
#include "kube/discovery.h"
#include "kube/leader.h"
#include "kube/restcfg.h"

static pid_t server_pid;
static char tmpdir[64];
static char kc_path[128];
static int have_server;

static int start_server(void **state)
{
    (void)state;
    const char *srv = getenv("FAKE_APISERVER");
    if (!srv)
        srv = "tests/support/fake-apiserver";
    if (access(srv, X_OK) != 0)
        return 0;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ferry-kapi.XXXXXX");
    if (!mkdtemp(tmpdir))
        return 0;
    snprintf(kc_path, sizeof kc_path, "%s/kc", tmpdir);
    int pfd[2];
    if (pipe(pfd) < 0)
        return 0;
    server_pid = fork();
    if (server_pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        execlp("python3", "python3", srv, "--write-kubeconfig", kc_path, "--bookmark-interval",
               "0.2", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    FILE *f = fdopen(pfd[0], "r");
    char line[256] = "";
    if (f && fgets(line, sizeof line, f) && !strncmp(line, "ready ", 6))
        have_server = 1;
    if (f)
        fclose(f);
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
    }
    if (*tmpdir) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
            return -1;
    }
    return 0;
}

struct fx {
    struct kube_client *c;
    const struct kube_discovery *d;
    const struct kube_resource *cm, *dep, *ns;
};

static struct kube_client *client_with(double qps, int burst)
{
    struct kube_overrides o;
    memset(&o, 0, sizeof o);
    o.insecure = -1;
    o.kubeconfig = kc_path;
    struct err e;
    char q[32], b[32];
    snprintf(q, sizeof q, "%g", qps);
    snprintf(b, sizeof b, "%d", burst);
    struct kube_client *c = kube_connect(&o, q, b, &e);
    if (!c)
        fail_msg("connect: %s", e.msg);
    return c;
}

static int setup(void **state)
{
    if (!have_server)
        return 0;
    struct fx *f = calloc(1, sizeof *f);
    f->c = client_with(0, 1);
    struct err e;
    f->d = kube_discover(f->c, &e);
    if (!f->d)
        fail_msg("discovery: %s", e.msg);
    f->cm = kube_resolve(f->d, "configmaps", &e);
    f->dep = kube_resolve(f->d, "deployments", &e);
    f->ns = kube_resolve(f->d, "namespaces", &e);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f) {
        kube_client_free(f->c);
        free(f);
    }
    return 0;
}

#define NEED_SERVER()                                                                              \
    do {                                                                                           \
        if (!have_server)                                                                          \
            skip();                                                                                \
    } while (0)

static json_t *cm_obj(const char *name, const char *k, const char *v)
{
    return json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                     "metadata", "name", name, "data", k, v);
}

static const char *meta_str(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

static void create_get_update_patch_delete(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    struct err e;
    json_t *in = cm_obj("crud", "a", "1"), *out = NULL;
    assert_int_equal(kube_create(f->c, f->cm, "default", in, &out, &e), 0);
    assert_non_null(meta_str(out, "uid"));
    char rv[64];
    snprintf(rv, sizeof rv, "%s", meta_str(out, "resourceVersion"));
    json_decref(out);
    assert_int_equal(kube_create(f->c, f->cm, "default", in, NULL, &e), KUBE_ESTATUS);
    assert_string_equal(e.msg, "Error from server (AlreadyExists): configmaps \"crud\" already "
                               "exists");

    assert_int_equal(kube_get(f->c, f->cm, "default", "crud", NULL, &out, &e), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(out, "data"), "a")), "1");
    /* update with the current resourceVersion */
    json_object_set_new(json_object_get(out, "data"), "a", json_string("2"));
    json_t *upd = NULL;
    assert_int_equal(kube_update(f->c, f->cm, "default", "crud", out, &upd, &e), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(upd, "data"), "a")), "2");
    json_decref(upd);
    /* again with the now stale one: Conflict */
    assert_int_equal(kube_update(f->c, f->cm, "default", "crud", out, NULL, &e), KUBE_ESTATUS);
    assert_string_equal(e.msg, "Error from server (Conflict): Operation cannot be fulfilled on "
                               "configmaps \"crud\": the object has been modified; please apply "
                               "your changes to the latest version and try again");
    json_decref(out);

    const char *patch = "{\"data\":{\"b\":\"3\",\"a\":null}}";
    assert_int_equal(kube_patch(f->c, f->cm, "default", "crud", KUBE_PATCH_MERGE, patch,
                                strlen(patch), NULL, 0, &out, &e),
                     0);
    json_t *data = json_object_get(out, "data");
    assert_null(json_object_get(data, "a"));
    assert_string_equal(json_string_value(json_object_get(data, "b")), "3");
    json_decref(out);

    assert_int_equal(kube_delete(f->c, f->cm, "default", "crud", NULL, &out, &e), 0);
    json_decref(out);
    assert_int_equal(kube_get(f->c, f->cm, "default", "crud", NULL, &out, &e), KUBE_ESTATUS);
    assert_string_equal(e.msg, "Error from server (NotFound): configmaps \"crud\" not found");
    json_decref(in);
}

static void server_side_apply_creates_then_prunes(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    struct err e;
    json_t *out = NULL;
    const char *a1 =
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"ssa\"},"
        "\"data\":{\"x\":\"1\",\"y\":\"2\"}}";
    assert_int_equal(kube_patch(f->c, f->cm, "default", "ssa", KUBE_PATCH_APPLY, a1, strlen(a1),
                                "ferry-test", 1, &out, &e),
                     0);
    assert_int_equal(json_object_size(json_object_get(out, "data")), 2);
    json_decref(out);
    const char *a2 = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  x: \"9\"\n";
    assert_int_equal(kube_patch(f->c, f->cm, "default", "ssa", KUBE_PATCH_APPLY, a2, strlen(a2),
                                "ferry-test", 0, &out, &e),
                     0);
    {
        json_t *data = json_object_get(out, "data");
        assert_int_equal(json_object_size(data), 1);
        assert_string_equal(json_string_value(json_object_get(data, "x")), "9");
    }
    json_decref(out);
    /* Server-side apply needs a field manager. */
    assert_int_equal(kube_patch(f->c, f->cm, "default", "ssa", KUBE_PATCH_APPLY, a2, strlen(a2),
                                NULL, 0, NULL, &e),
                     KUBE_ESTATUS);
    assert_non_null(strstr(e.msg, "Error from server (BadRequest)"));
}

/* An owner and a dependent; deleting the owner with <policy>. */
static int dependent_survives(struct fx *f, const char *policy)
{
    struct err e;
    json_t *owner = cm_obj("owner", "k", "v"), *created = NULL;
    assert_int_equal(kube_create(f->c, f->cm, "default", owner, &created, &e), 0);
    json_t *dep = cm_obj("dependent", "k", "v");
    json_object_set_new(json_object_get(dep, "metadata"), "ownerReferences",
                        json_pack("[{s:s,s:s,s:s,s:s}]", "apiVersion", "v1", "kind", "ConfigMap",
                                  "name", "owner", "uid", meta_str(created, "uid")));
    assert_int_equal(kube_create(f->c, f->cm, "default", dep, NULL, &e), 0);
    assert_int_equal(kube_delete(f->c, f->cm, "default", "owner", policy, NULL, &e), 0);
    json_t *left = NULL;
    int rc = kube_get(f->c, f->cm, "default", "dependent", NULL, &left, &e);
    int survives = rc == 0;
    if (survives) {
        /* Orphaned: the reference to the owner is gone. */
        assert_null(json_object_get(json_object_get(left, "metadata"), "ownerReferences"));
        assert_int_equal(kube_delete(f->c, f->cm, "default", "dependent", NULL, NULL, &e), 0);
    }
    json_decref(left);
    json_decref(owner);
    json_decref(created);
    json_decref(dep);
    return survives;
}

static void delete_follows_the_propagation_policy(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    assert_false(dependent_survives(f, "Background"));
    assert_false(dependent_survives(f, "Foreground"));
    assert_true(dependent_survives(f, "Orphan"));
}

struct counter {
    int n;
    int stop_at;
    char first[64], last[64];
};

static int count_item(void *arg, json_t *item, const struct kube_list_info *info)
{
    (void)info;
    struct counter *c = arg;
    const char *name = meta_str(item, "name");
    if (!c->n)
        snprintf(c->first, sizeof c->first, "%s", name);
    snprintf(c->last, sizeof c->last, "%s", name);
    c->n++;
    /* Items of a typed list get their kind, as kubectl fills it in. */
    assert_string_equal(json_string_value(json_object_get(item, "kind")), "ConfigMap");
    return c->stop_at && c->n >= c->stop_at ? -1 : 0;
}

static void paged_list_streams_every_item(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    struct err e;
    json_t *nsobj = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace",
                              "metadata", "name", "many");
    assert_int_equal(kube_create(f->c, f->ns, NULL, nsobj, NULL, &e), 0);
    json_decref(nsobj);
    for (int i = 0; i < 57; i++) {
        char name[32];
        snprintf(name, sizeof name, "item-%03d", i);
        json_t *o = cm_obj(name, "i", name);
        assert_int_equal(kube_create(f->c, f->cm, "many", o, NULL, &e), 0);
        json_decref(o);
    }
    struct counter c = {0};
    struct kube_list_opts lo = {.limit = 10};
    struct kube_list_info info;
    assert_int_equal(kube_list(f->c, f->cm, "many", &lo, count_item, &c, &info, &e), 0);
    assert_int_equal(c.n, 57);
    assert_int_equal(info.pages, 6);
    assert_int_equal(info.items, 57);
    assert_string_equal(c.first, "item-000");
    assert_string_equal(c.last, "item-056");
    assert_string_equal(info.kind, "ConfigMapList");
    assert_true(atol(info.resource_version) > 0);
    kube_list_info_fini(&info);

    /* A consumer can stop the list. */
    struct counter s = {.stop_at = 15};
    assert_int_equal(kube_list(f->c, f->cm, "many", &lo, count_item, &s, &info, &e), -1);
    assert_int_equal(s.n, 15);
    kube_list_info_fini(&info);

    /* Table rows, with the columns. */
    struct kube_list_opts to = {.limit = 25, .accept = KUBE_ACCEPT_TABLE};
    struct counter t = {0};
    assert_int_equal(kube_list(f->c, f->cm, "many", &to, NULL, &t, &info, &e), 0);
    assert_non_null(info.columns);
    assert_string_equal(info.kind, "Table");
    assert_int_equal(info.items, 57);
    kube_list_info_fini(&info);
}

struct evlog {
    char text[4096];
    int n;
    int stop_after;
};

static int log_event(void *arg, const char *type, json_t *obj)
{
    struct evlog *l = arg;
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof l->text - len, "%s %s;", type,
             obj ? meta_str(obj, "name") ? meta_str(obj, "name") : "-" : "-");
    l->n++;
    return l->stop_after && l->n >= l->stop_after ? 1 : 0;
}

static void watch_from_a_resource_version_sees_later_changes(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    struct err e;
    json_t *o = cm_obj("watched", "k", "1"), *created = NULL;
    assert_int_equal(kube_create(f->c, f->cm, "default", o, &created, &e), 0);
    char rv[64];
    snprintf(rv, sizeof rv, "%s", meta_str(created, "resourceVersion"));
    const char *p = "{\"data\":{\"k\":\"2\"}}";
    assert_int_equal(kube_patch(f->c, f->cm, "default", "watched", KUBE_PATCH_MERGE, p, strlen(p),
                                NULL, 0, NULL, &e),
                     0);
    assert_int_equal(kube_delete(f->c, f->cm, "default", "watched", NULL, NULL, &e), 0);
    struct evlog l = {.stop_after = 2};
    struct kube_watch_opts wo = {
        .field_selector = "metadata.name=watched", .resource_version = rv, .deadline_ms = 10000};
    struct kube_watch_stats st = {0};
    assert_int_equal(kube_watch(f->c, f->cm, "default", &wo, log_event, &l, &st, &e), 0);
    assert_string_equal(l.text, "MODIFIED watched;DELETED watched;");
    assert_int_equal(st.streams, 1);
    json_decref(o);
    json_decref(created);
}

static void watch_with_list_first_and_a_deadline(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    struct err e;
    struct evlog l = {0};
    struct kube_watch_opts wo = {
        .start = KUBE_WATCH_LIST, .page_size = 20, .bookmarks = 1, .deadline_ms = 700};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(kube_watch(f->c, f->cm, "many", &wo, log_event, &l, NULL, &e), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    assert_true(secs >= 0.6 && secs < 5);
    assert_non_null(strstr(l.text, "ADDED item-000;"));
    assert_non_null(strstr(l.text, "ADDED item-056;"));
    /* Bookmarks come every 0.2 s and were asked for. */
    assert_non_null(strstr(l.text, "BOOKMARK -;"));
}

static void synced_event_follows_the_first_list(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    struct err e;
    struct evlog l = {.stop_after = 58}; /* 57 objects, then SYNCED */
    struct kube_watch_opts wo = {
        .start = KUBE_WATCH_LIST, .page_size = 20, .synced_event = 1, .deadline_ms = 5000};
    assert_int_equal(kube_watch(f->c, f->cm, "many", &wo, log_event, &l, NULL, &e), 0);
    size_t n = strlen(l.text);
    assert_true(n > 24);
    assert_string_equal(l.text + n - 24, "ADDED item-056;SYNCED -;");
}

static void status_subresource_patch_changes_only_status(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    struct err e;
    const struct kube_resource *ing = kube_resolve(f->d, "ingresses", &e);
    assert_non_null(ing);
    json_t *o = json_pack("{s:s,s:s,s:{s:s},s:{s:s}}", "apiVersion", "networking.k8s.io/v1", "kind",
                          "Ingress", "metadata", "name", "st", "spec", "ingressClassName", "ferry");
    assert_int_equal(kube_create(f->c, ing, "default", o, NULL, &e), 0);
    const char *p = "{\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"10.1.2.3\"}]}},"
                    "\"spec\":{\"ingressClassName\":\"other\"}}";
    json_t *out = NULL;
    assert_int_equal(kube_patch_sub(f->c, ing, "default", "st", "status", KUBE_PATCH_MERGE, p,
                                    strlen(p), NULL, 0, &out, &e),
                     0);
    json_t *got = NULL;
    assert_int_equal(kube_get(f->c, ing, "default", "st", NULL, &got, &e), 0);
    json_t *lb =
        json_object_get(json_object_get(json_object_get(got, "status"), "loadBalancer"), "ingress");
    assert_string_equal(json_string_value(json_object_get(json_array_get(lb, 0), "ip")),
                        "10.1.2.3");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(got, "spec"), "ingressClassName")),
        "ferry");
    json_decref(o);
    json_decref(out);
    json_decref(got);
}

static void wait_leading(struct kube_leader *l, int want)
{
    for (int i = 0; i < 100 && kube_leader_is_leader(l) != want; i++)
        usleep(50000);
    assert_int_equal(kube_leader_is_leader(l), want);
}

static void one_leader_and_a_hand_over_on_stop(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    struct err e;
    struct kube_leader_opts o = {.ns = "default",
                                 .name = "unit-election",
                                 .identity = "one",
                                 .lease_ms = 3000,
                                 .renew_deadline_ms = 2000,
                                 .retry_ms = 100};
    struct kube_leader *a = kube_leader_start(f->c, &o, &e);
    assert_non_null(a);
    wait_leading(a, 1);
    o.identity = "two";
    struct kube_leader *b = kube_leader_start(f->c, &o, &e);
    assert_non_null(b);
    usleep(600000); /* several tries: the holder renews, the other waits */
    assert_int_equal(kube_leader_is_leader(a), 1);
    assert_int_equal(kube_leader_is_leader(b), 0);
    kube_leader_stop(a); /* releases: b takes over well before the 3 s lease */
    wait_leading(b, 1);
    const struct kube_resource *lr = kube_resolve(f->d, "leases", &e);
    json_t *lease = NULL;
    assert_int_equal(kube_get(f->c, lr, "default", "unit-election", NULL, &lease, &e), 0);
    json_t *spec = json_object_get(lease, "spec");
    assert_string_equal(json_string_value(json_object_get(spec, "holderIdentity")), "two");
    assert_int_equal(json_integer_value(json_object_get(spec, "leaseTransitions")), 1);
    json_decref(lease);
    kube_leader_stop(b);
}

static void rate_limit_spaces_requests(void **state)
{
    NEED_SERVER();
    struct fx *f = *state;
    struct kube_client *slow = client_with(20, 1);
    struct timespec t0, t1;
    struct err e;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 11; i++) {
        json_t *out = NULL;
        assert_int_equal(kube_get(slow, f->ns, NULL, "default", NULL, &out, &e), 0);
        json_decref(out);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* 11 requests at 20/s with a burst of 1: at least 10 gaps of 50 ms. */
    assert_true(secs >= 0.48);
    struct kube_stats st;
    kube_client_stats(slow, &st);
    assert_int_equal(st.requests, 11);
    assert_int_equal(st.connects, 1); /* one connection, reused */
    /* How much of the spacing was spent waiting depends on how fast the
     * server answered (on a busy machine a request alone can take 50 ms),
     * so only the wall-clock bound above is certain; the limiter must not
     * claim more waiting than there was time. */
    assert_true(st.throttled_ms <= (long)(secs * 1000) + 10);
    kube_client_free(slow);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_get_update_patch_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(server_side_apply_creates_then_prunes, setup, teardown),
        cmocka_unit_test_setup_teardown(delete_follows_the_propagation_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(paged_list_streams_every_item, setup, teardown),
        cmocka_unit_test_setup_teardown(watch_from_a_resource_version_sees_later_changes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(watch_with_list_first_and_a_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(synced_event_follows_the_first_list, setup, teardown),
        cmocka_unit_test_setup_teardown(status_subresource_patch_changes_only_status, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(one_leader_and_a_hand_over_on_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(rate_limit_spaces_requests, setup, teardown),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
