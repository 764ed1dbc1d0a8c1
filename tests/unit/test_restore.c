/* The restore's rules (src/backup/restore_*.c): priorities, what is never
 * restored, cleaning, mappings, label selectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "backup/backup.h"
#include "backup/record.h"
#include "backup/restore_int.h"
#include "backup/tarball.h"
#include "storage/location.h"
#include "storage/storage.h"

static json_t *obj(const char *text)
{
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    if (!o)
        fail_msg("bad test JSON: %s", je.text);
    return o;
}

static const char *str(const json_t *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    const json_t *v = o;
    for (char *s = buf, *tok; (tok = strsep(&s, "."));)
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(tok)) : json_object_get(v, tok);
    return json_string_value(v);
}

static void maps_init(struct restore_maps *m, const char *ns, const char *zone, const char *region,
                      const char *sc)
{
    memset(m, 0, sizeof *m);
    struct err e;
    const char *const *none = NULL;
    assert_int_equal(restore_mapping_parse(&m->ns, ns ? &ns : none, ns != NULL, "ns", &e), 0);
    assert_int_equal(restore_mapping_parse(&m->zone, zone ? &zone : none, zone != NULL, "z", &e),
                     0);
    assert_int_equal(
        restore_mapping_parse(&m->region, region ? &region : none, region != NULL, "r", &e), 0);
    assert_int_equal(
        restore_mapping_parse(&m->storage_class, sc ? &sc : none, sc != NULL, "sc", &e), 0);
}

static void maps_fini(struct restore_maps *m)
{
    restore_mapping_fini(&m->ns);
    restore_mapping_fini(&m->zone);
    restore_mapping_fini(&m->region);
    restore_mapping_fini(&m->storage_class);
}

/* ---- priorities ---- */

static void default_priorities_put_crds_first_and_unlisted_together(void **state)
{
    (void)state;
    struct restore_prio p;
    struct err e;
    assert_int_equal(restore_prio_parse(&p, NULL, 0, &e), 0);
    int crd = restore_prio_rank(&p, "customresourcedefinitions.apiextensions.k8s.io");
    int ns = restore_prio_rank(&p, "namespaces");
    int pv = restore_prio_rank(&p, "persistentvolumes");
    int pvc = restore_prio_rank(&p, "persistentvolumeclaims");
    int sec = restore_prio_rank(&p, "secrets");
    int pods = restore_prio_rank(&p, "pods");
    int rs = restore_prio_rank(&p, "replicasets.apps");
    int deploy = restore_prio_rank(&p, "deployments.apps");
    int ing = restore_prio_rank(&p, "ingresses.networking.k8s.io");
    int clusters = restore_prio_rank(&p, "clusters.cluster.x-k8s.io");
    assert_int_equal(crd, 0);
    assert_true(crd < ns && ns < pv && pv < pvc && pvc < sec && sec < pods && pods < rs);
    assert_true(rs < deploy);
    assert_int_equal(deploy, ing);
    assert_true(clusters > deploy);
    /* "pods" names the core pods, not podtemplates. */
    assert_int_equal(restore_prio_rank(&p, "podtemplates"), deploy);
    restore_prio_fini(&p);
}

static void priorities_flag_has_low_part_after_dash(void **state)
{
    (void)state;
    struct restore_prio p;
    struct err e;
    const char *items[] = {"configmaps,secrets", "-", "deployments.apps"};
    assert_int_equal(restore_prio_parse(&p, items, 3, &e), 0);
    assert_int_equal(restore_prio_rank(&p, "configmaps"), 0);
    assert_int_equal(restore_prio_rank(&p, "secrets"), 1);
    assert_int_equal(restore_prio_rank(&p, "services"), 2);
    assert_int_equal(restore_prio_rank(&p, "deployments.apps"), 3);
    restore_prio_fini(&p);
    const char *twice[] = {"a,-,b,-"};
    assert_int_equal(restore_prio_parse(&p, twice, 1, &e), -1);
    assert_non_null(strstr(e.msg, "only once"));
}

/* ---- never restored ---- */

static void nodes_events_and_controller_leases_are_never_restored(void **state)
{
    (void)state;
    json_t *o = obj("{}");
    assert_non_null(restore_never_reason("nodes", o));
    assert_non_null(restore_never_reason("events", o));
    assert_non_null(restore_never_reason("events.events.k8s.io", o));
    assert_non_null(restore_never_reason("restores.velero.io", o));
    assert_non_null(restore_never_reason("schedules.ferry.dev", o));
    assert_null(restore_never_reason("configmaps", o));
    json_decref(o);
    o = obj("{\"metadata\":{\"namespace\":\"kube-system\",\"name\":\"kube-scheduler\"},"
            "\"spec\":{\"holderIdentity\":\"node-1_abc\"}}");
    assert_non_null(restore_never_reason("leases.coordination.k8s.io", o));
    json_decref(o);
    o = obj("{\"metadata\":{\"namespace\":\"app\",\"name\":\"mine\"},\"spec\":{}}");
    assert_null(restore_never_reason("leases.coordination.k8s.io", o));
    json_decref(o);
    o = obj("{\"metadata\":{\"name\":\"web-abc\",\"labels\":{\"endpointslice.kubernetes.io/"
            "managed-by\":\"endpointslice-controller.k8s.io\"}}}");
    assert_non_null(restore_never_reason("endpointslices.discovery.k8s.io", o));
    json_decref(o);
}

/* A leader that stops gives its Lease up (client-go's ReleaseOnCancel, and
 * ferry's ingress controller) by emptying holderIdentity: still a
 * controller's Lease, never restored. */
static void released_leader_leases_are_never_restored(void **state)
{
    (void)state;
    json_t *o = obj("{\"metadata\":{\"namespace\":\"ferry-system\",\"name\":"
                    "\"ferry-ingress-controller-leader\"},\"spec\":{\"holderIdentity\":\"\","
                    "\"leaseDurationSeconds\":1,\"renewTime\":\"2026-11-28T10:00:00.000000Z\","
                    "\"leaseTransitions\":3}}");
    assert_non_null(restore_never_reason("leases.coordination.k8s.io", o));
    json_decref(o);
    o = obj("{\"metadata\":{\"namespace\":\"app\",\"name\":\"lock\"},\"spec\":{"
            "\"acquireTime\":\"2026-11-28T10:00:00.000000Z\"}}");
    assert_non_null(restore_never_reason("leases.coordination.k8s.io", o));
    json_decref(o);
}

/* default/kubernetes (Service, Endpoints, EndpointSlice) is the API
 * server's own: restored, it would point the new cluster's pods at the old
 * cluster's API server until the reconciler undoes it. */
static void the_api_servers_own_service_is_never_restored(void **state)
{
    (void)state;
    json_t *o = obj("{\"metadata\":{\"namespace\":\"default\",\"name\":\"kubernetes\"}}");
    assert_non_null(restore_never_reason("services", o));
    assert_non_null(restore_never_reason("endpoints", o));
    assert_non_null(restore_never_reason("endpointslices.discovery.k8s.io", o));
    assert_null(restore_never_reason("configmaps", o));
    json_decref(o);
    o = obj("{\"metadata\":{\"namespace\":\"web\",\"name\":\"kubernetes\"}}");
    assert_null(restore_never_reason("services", o));
    json_decref(o);
}

/* Every namespace has a kube-root-ca.crt ConfigMap that the controller
 * manager publishes with the cluster's own CA: the old cluster's would
 * warn in every namespace, and with the update policy replace the new CA. */
static void the_published_root_ca_is_never_restored(void **state)
{
    (void)state;
    json_t *o = obj("{\"metadata\":{\"namespace\":\"web\",\"name\":\"kube-root-ca.crt\"}}");
    assert_non_null(restore_never_reason("configmaps", o));
    assert_null(restore_never_reason("secrets", o));
    json_decref(o);
}

static void only_a_controller_reference_makes_an_object_owned(void **state)
{
    (void)state;
    json_t *o = obj("{\"metadata\":{\"ownerReferences\":[{\"kind\":\"ConfigMap\",\"uid\":"
                    "\"u-cm\"},{\"kind\":\"ReplicaSet\",\"uid\":\"u-rs\",\"controller\":true}]}}");
    assert_string_equal(restore_controller_uid(o), "u-rs");
    json_decref(o);
    o = obj("{\"metadata\":{\"ownerReferences\":[{\"kind\":\"Deployment\",\"uid\":\"u-d\","
            "\"controller\":false}]}}");
    assert_null(restore_controller_uid(o));
    json_decref(o);
    o = obj("{\"metadata\":{\"name\":\"bare\"}}");
    assert_null(restore_controller_uid(o));
    json_decref(o);
}

/* ---- cleaning ---- */

static void clean_drops_server_fields_and_status(void **state)
{
    (void)state;
    json_t *o = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\","
                    "\"namespace\":\"n\",\"uid\":\"u\",\"resourceVersion\":\"5\","
                    "\"creationTimestamp\":\"t\",\"managedFields\":[],\"selfLink\":\"/x\","
                    "\"generation\":3,\"deletionTimestamp\":\"t\",\"labels\":{\"k\":\"v\"}},"
                    "\"data\":{\"x\":\"y\"},\"status\":{}}");
    restore_clean(o, "configmaps", 0);
    json_t *want =
        obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
            "\"a\",\"namespace\":\"n\",\"labels\":{\"k\":\"v\"}},\"data\":{\"x\":\"y\"}}");
    assert_true(json_equal(o, want));
    json_decref(o);
    json_decref(want);
}

static void services_lose_cluster_ips_but_headless_keeps_none(void **state)
{
    (void)state;
    json_t *o = obj("{\"metadata\":{},\"spec\":{\"clusterIP\":\"10.0.0.7\",\"clusterIPs\":"
                    "[\"10.0.0.7\"],\"ports\":[{\"port\":80}]}}");
    restore_clean(o, "services", 0);
    assert_null(json_object_get(json_object_get(o, "spec"), "clusterIP"));
    assert_null(json_object_get(json_object_get(o, "spec"), "clusterIPs"));
    json_decref(o);
    o = obj("{\"metadata\":{},\"spec\":{\"clusterIP\":\"None\",\"clusterIPs\":[\"None\"]}}");
    restore_clean(o, "services", 0);
    assert_string_equal(str(o, "spec.clusterIP"), "None");
    assert_string_equal(str(o, "spec.clusterIPs.0"), "None");
    json_decref(o);
}

static void auto_assigned_nodeports_are_dropped_unless_preserved(void **state)
{
    (void)state;
    const char *text =
        "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":"
        "\"{\\\"spec\\\":{\\\"ports\\\":[{\\\"port\\\":443,\\\"nodePort\\\":30443}]}}\"}},"
        "\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80,\"nodePort\":31234},"
        "{\"port\":443,\"nodePort\":30443}]}}";
    json_t *o = obj(text);
    restore_clean(o, "services", 0);
    json_t *ports = json_object_get(json_object_get(o, "spec"), "ports");
    assert_null(json_object_get(json_array_get(ports, 0), "nodePort"));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ports, 1), "nodePort")),
                     30443);
    json_decref(o);
    o = obj(text);
    restore_clean(o, "services", 1);
    ports = json_object_get(json_object_get(o, "spec"), "ports");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(ports, 0), "nodePort")),
                     31234);
    json_decref(o);
}

static void pv_claim_ref_keeps_name_but_not_uid(void **state)
{
    (void)state;
    json_t *o = obj("{\"metadata\":{},\"spec\":{\"claimRef\":{\"kind\":\"PersistentVolumeClaim\","
                    "\"namespace\":\"db\",\"name\":\"data\",\"uid\":\"u1\",\"resourceVersion\":"
                    "\"9\"}},\"status\":{\"phase\":\"Bound\"}}");
    restore_clean(o, "persistentvolumes", 0);
    json_t *want =
        obj("{\"metadata\":{},\"spec\":{\"claimRef\":{\"kind\":\"PersistentVolumeClaim\","
            "\"namespace\":\"db\",\"name\":\"data\"}}}");
    assert_true(json_equal(o, want));
    json_decref(o);
    json_decref(want);
}

/* ---- mappings ---- */

/* The API server generates a Job's selector from the Job's new uid and
 * refuses one that names another (the old cluster's) uid: the restored
 * Job loses the old controller-uid labels, as Velero's job action does. A
 * manual selector is the user's and stays. */
static void jobs_lose_the_old_controller_uid(void **state)
{
    (void)state;
    json_t *o =
        obj("{\"metadata\":{\"name\":\"migrate\"},\"spec\":{\"selector\":{"
            "\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":\"u1\"}},"
            "\"template\":{\"metadata\":{\"labels\":{\"batch.kubernetes.io/controller-uid\":"
            "\"u1\",\"controller-uid\":\"u1\",\"job-name\":\"migrate\",\"app\":\"m\"}}}}}");
    restore_clean(o, "jobs.batch", 0);
    json_t *want = obj("{\"metadata\":{\"name\":\"migrate\"},\"spec\":{\"template\":{"
                       "\"metadata\":{\"labels\":{\"job-name\":\"migrate\",\"app\":\"m\"}}}}}");
    assert_true(json_equal(o, want));
    json_decref(o);
    json_decref(want);
    o = obj("{\"metadata\":{},\"spec\":{\"manualSelector\":true,\"selector\":{\"matchLabels\":{"
            "\"controller-uid\":\"mine\"}},\"template\":{\"metadata\":{\"labels\":{"
            "\"controller-uid\":\"mine\"}}}}}");
    want = json_deep_copy(o);
    restore_clean(o, "jobs.batch", 0);
    assert_true(json_equal(o, want));
    json_decref(o);
    json_decref(want);
}

static void mapping_flags_take_either_separator(void **state)
{
    (void)state;
    struct restore_mapping m = {0};
    struct err e;
    const char *items[] = {"a:b", "c=d"};
    assert_int_equal(restore_mapping_parse(&m, items, 2, "--namespace-mappings", &e), 0);
    assert_string_equal(restore_mapping_get(&m, "a"), "b");
    assert_string_equal(restore_mapping_get(&m, "c"), "d");
    assert_null(restore_mapping_get(&m, "b"));
    restore_mapping_fini(&m);
    const char *bad[] = {"nope"};
    assert_int_equal(restore_mapping_parse(&m, bad, 1, "--zone-mappings", &e), -1);
    assert_string_equal(e.msg, "invalid --zone-mappings item \"nope\": expected old:new");
    restore_mapping_fini(&m);
}

static void region_mapping_moves_zones_of_the_region_unless_a_zone_mapping_says(void **state)
{
    (void)state;
    struct restore_maps m;
    maps_init(&m, NULL, "us-central1-a=europe-west1-b", "us-central1=europe-west1", NULL);
    char dst[64];
    assert_string_equal(restore_map_zone(&m, "us-central1-a", dst, sizeof dst), "europe-west1-b");
    assert_string_equal(restore_map_zone(&m, "us-central1-c", dst, sizeof dst), "europe-west1-c");
    assert_null(restore_map_zone(&m, "us-central10-a", dst, sizeof dst));
    assert_null(restore_map_zone(&m, "asia-east1-a", dst, sizeof dst));
    assert_string_equal(restore_map_region(&m, "us-central1"), "europe-west1");
    maps_fini(&m);
    /* AWS zones have no dash before the letter. */
    maps_init(&m, NULL, NULL, "us-east-1=eu-west-1", NULL);
    assert_string_equal(restore_map_zone(&m, "us-east-1b", dst, sizeof dst), "eu-west-1b");
    maps_fini(&m);
}

static void pv_node_affinity_labels_and_disk_handles_move_zone(void **state)
{
    (void)state;
    struct restore_maps m;
    maps_init(&m, "shop:shop2", "us-central1-a=europe-west1-b", "us-central1=europe-west1",
              "standard:premium-rwo");
    json_t *o = obj(
        "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":\"pv1\","
        "\"labels\":{\"topology.kubernetes.io/zone\":\"us-central1-a\","
        "\"topology.kubernetes.io/region\":\"us-central1\","
        "\"failure-domain.beta.kubernetes.io/zone\":\"us-central1-a\","
        "\"failure-domain.beta.kubernetes.io/region\":\"us-central1\",\"app\":\"us-central1-a\"}},"
        "\"spec\":{\"storageClassName\":\"standard\",\"claimRef\":{\"namespace\":\"shop\","
        "\"name\":\"data\"},\"csi\":{\"driver\":\"pd.csi.storage.gke.io\",\"volumeHandle\":"
        "\"projects/p1/zones/us-central1-a/disks/d1\"},\"nodeAffinity\":{\"required\":{"
        "\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"topology.gke.io/zone\","
        "\"operator\":\"In\",\"values\":[\"us-central1-a\"]},{\"key\":\"other\",\"operator\":"
        "\"In\",\"values\":[\"us-central1-a\"]}]}]}}}}");
    assert_int_equal(restore_map_object(o, "persistentvolumes", &m), 0);
    json_t *labels = json_object_get(json_object_get(o, "metadata"), "labels");
    assert_string_equal(json_string_value(json_object_get(labels, "topology.kubernetes.io/zone")),
                        "europe-west1-b");
    assert_string_equal(json_string_value(json_object_get(labels, "topology.kubernetes.io/region")),
                        "europe-west1");
    assert_string_equal(
        json_string_value(json_object_get(labels, "failure-domain.beta.kubernetes.io/zone")),
        "europe-west1-b");
    assert_string_equal(
        json_string_value(json_object_get(labels, "failure-domain.beta.kubernetes.io/region")),
        "europe-west1");
    assert_string_equal(json_string_value(json_object_get(labels, "app")), "us-central1-a");
    assert_string_equal(str(o, "spec.storageClassName"), "premium-rwo");
    assert_string_equal(str(o, "spec.claimRef.namespace"), "shop2");
    assert_string_equal(str(o, "spec.csi.volumeHandle"),
                        "projects/p1/zones/europe-west1-b/disks/d1");
    json_t *exprs = json_object_get(
        json_array_get(json_object_get(json_object_get(json_object_get(json_object_get(o, "spec"),
                                                                       "nodeAffinity"),
                                                       "required"),
                                       "nodeSelectorTerms"),
                       0),
        "matchExpressions");
    assert_string_equal(str(json_array_get(exprs, 0), "values.0"), "europe-west1-b");
    assert_string_equal(str(json_array_get(exprs, 1), "values.0"), "us-central1-a");
    json_decref(o);
    maps_fini(&m);
}

static void storage_class_allowed_topologies_and_params_move(void **state)
{
    (void)state;
    struct restore_maps m;
    maps_init(&m, NULL, NULL, "us-central1=europe-west1", NULL);
    json_t *o =
        obj("{\"metadata\":{\"name\":\"regional\"},\"provisioner\":\"pd.csi.storage.gke.io\","
            "\"parameters\":{\"zones\":\"us-central1-a,us-central1-f\"},"
            "\"allowedTopologies\":[{\"matchLabelExpressions\":[{\"key\":"
            "\"topology.gke.io/zone\",\"values\":[\"us-central1-a\",\"us-central1-f\"]}]}]}");
    assert_int_equal(restore_map_object(o, "storageclasses.storage.k8s.io", &m), 0);
    assert_string_equal(str(o, "parameters.zones"), "europe-west1-a,europe-west1-f");
    assert_string_equal(str(o, "allowedTopologies.0.matchLabelExpressions.0.values.1"),
                        "europe-west1-f");
    json_decref(o);
    o = obj("{\"metadata\":{},\"spec\":{\"awsElasticBlockStore\":{\"volumeID\":"
            "\"aws://us-central1-b/vol-1\"},\"gcePersistentDisk\":{\"pdName\":\"x\"}}}");
    assert_int_equal(restore_map_object(o, "persistentvolumes", &m), 0);
    assert_string_equal(str(o, "spec.awsElasticBlockStore.volumeID"), "aws://europe-west1-b/vol-1");
    json_decref(o);
    maps_fini(&m);
}

static void namespace_mapping_moves_objects_and_binding_subjects(void **state)
{
    (void)state;
    struct restore_maps m;
    maps_init(&m, "shop:shop2", NULL, NULL, NULL);
    json_t *o = obj("{\"metadata\":{\"name\":\"rb\",\"namespace\":\"shop\"},\"subjects\":[{"
                    "\"kind\":\"ServiceAccount\",\"name\":\"sa\",\"namespace\":\"shop\"},{"
                    "\"kind\":\"ServiceAccount\",\"name\":\"b\",\"namespace\":\"other\"}]}");
    assert_int_equal(restore_map_object(o, "rolebindings.rbac.authorization.k8s.io", &m), 0);
    assert_string_equal(str(o, "metadata.namespace"), "shop2");
    assert_string_equal(str(o, "subjects.0.namespace"), "shop2");
    assert_string_equal(str(o, "subjects.1.namespace"), "other");
    json_decref(o);
    o = obj("{\"metadata\":{\"name\":\"shop\"}}");
    assert_int_equal(restore_map_object(o, "namespaces", &m), 0);
    assert_string_equal(str(o, "metadata.name"), "shop2");
    json_decref(o);
    maps_fini(&m);
}

/* The API server labels every Namespace kubernetes.io/metadata.name=<name>:
 * a moved Namespace must carry its new name there, or the server's label
 * differs from the backup's and a second restore warns for nothing. */
static void namespace_mapping_renames_the_metadata_name_label(void **state)
{
    (void)state;
    struct restore_maps m;
    maps_init(&m, "shop:shop2", NULL, NULL, NULL);
    json_t *o = obj("{\"metadata\":{\"name\":\"shop\",\"labels\":{"
                    "\"kubernetes.io/metadata.name\":\"shop\",\"team\":\"shop\"}}}");
    assert_int_equal(restore_map_object(o, "namespaces", &m), 0);
    const json_t *labels = json_object_get(json_object_get(o, "metadata"), "labels");
    assert_string_equal(json_string_value(json_object_get(labels, "kubernetes.io/metadata.name")),
                        "shop2");
    assert_string_equal(json_string_value(json_object_get(labels, "team")), "shop");
    json_decref(o);
    maps_fini(&m);
}

/* ---- selectors ---- */

static int matches(const char *selector, const json_t *o)
{
    json_t *sel = record_selector_parse(selector, NULL);
    assert_non_null(sel);
    int rc = restore_selector_match(sel, o);
    json_decref(sel);
    return rc;
}

static void selectors_follow_kubectl_syntax(void **state)
{
    (void)state;
    json_t *o = obj("{\"metadata\":{\"labels\":{\"app\":\"web\",\"tier\":\"front\"}}}");
    assert_int_equal(matches("", o), 1);
    assert_int_equal(matches("app=web", o), 1);
    assert_int_equal(matches("app==web,tier", o), 1);
    assert_int_equal(matches("app!=web", o), 0);
    assert_int_equal(matches("app in (api, web)", o), 1);
    assert_int_equal(matches("tier notin (front)", o), 0);
    assert_int_equal(matches("!missing,app", o), 1);
    assert_int_equal(matches("missing", o), 0);
    assert_int_equal(matches("app=api", o), 0);
    json_decref(o);
}

static int collect(void *arg, const char *dir, const char *ns, const char *name, const char *json,
                   size_t len, struct err *e)
{
    (void)json, (void)len, (void)e;
    struct buf *seen = arg;
    return buf_addf(seen, "%s|%s|%s\n", dir, ns ? ns : "-", name);
}

/* Found by tests/fuzz/fuzz_restore_read.c: "namespaces//x.json" came back
 * as a cluster-scoped object and "resources//..." with no resource. */
static void tarball_paths_with_an_empty_part_are_skipped(void **state)
{
    (void)state;
    char dir[] = "/tmp/ferry-test-restore.XXXXXX", key[256];
    assert_non_null(mkdtemp(dir));
    struct location loc = {.name = "t", .provider = "local", .bucket = dir, .prefix = ""};
    struct err e;
    struct storage *s = storage_open(&loc, &e);
    assert_non_null(s);
    backup_key(key, sizeof key, "b", ".tar.gz");
    struct tarball *t = tarball_begin(s, key, &e);
    assert_non_null(t);
    static const char *const paths[] = {
        "metadata/version",
        "resources/pods/namespaces/shop/web.json",
        "resources/pods/namespaces//web.json",
        "resources//namespaces/shop/web.json",
        "resources//cluster/x.json",
        "resources/namespaces/cluster/shop.json",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        assert_int_equal(tarball_add(t, paths[i], "{}", 2, &e), 0);
    assert_int_equal(tarball_commit(t, &e), 0);
    struct buf seen = BUF_INIT;
    assert_int_equal(restore_read_backup(s, "b", collect, &seen, &e), 0);
    assert_string_equal(buf_str(&seen), "pods|shop|web\nnamespaces|-|shop\n");
    buf_fini(&seen);
    assert_int_equal(storage_delete(s, key, &e), 0);
    storage_free(s);
    assert_int_equal(rmdir(dir), 0); /* the delete took the emptied directories */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_priorities_put_crds_first_and_unlisted_together),
        cmocka_unit_test(priorities_flag_has_low_part_after_dash),
        cmocka_unit_test(nodes_events_and_controller_leases_are_never_restored),
        cmocka_unit_test(released_leader_leases_are_never_restored),
        cmocka_unit_test(the_api_servers_own_service_is_never_restored),
        cmocka_unit_test(the_published_root_ca_is_never_restored),
        cmocka_unit_test(only_a_controller_reference_makes_an_object_owned),
        cmocka_unit_test(clean_drops_server_fields_and_status),
        cmocka_unit_test(services_lose_cluster_ips_but_headless_keeps_none),
        cmocka_unit_test(auto_assigned_nodeports_are_dropped_unless_preserved),
        cmocka_unit_test(pv_claim_ref_keeps_name_but_not_uid),
        cmocka_unit_test(jobs_lose_the_old_controller_uid),
        cmocka_unit_test(mapping_flags_take_either_separator),
        cmocka_unit_test(region_mapping_moves_zones_of_the_region_unless_a_zone_mapping_says),
        cmocka_unit_test(pv_node_affinity_labels_and_disk_handles_move_zone),
        cmocka_unit_test(storage_class_allowed_topologies_and_params_move),
        cmocka_unit_test(namespace_mapping_moves_objects_and_binding_subjects),
        cmocka_unit_test(namespace_mapping_renames_the_metadata_name_label),
        cmocka_unit_test(selectors_follow_kubectl_syntax),
        cmocka_unit_test(tarball_paths_with_an_empty_part_are_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
