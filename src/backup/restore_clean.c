/* What a restore leaves out, and what it removes from each object: the
 * state the source cluster's API server and controllers wrote, and what
 * the new cluster must allocate for itself. */
#include <string.h>

#include "backup/restore_int.h"

/* Never restored: cluster state that is only meaningful where it was made
 * (nodes, their leases, events, volume attachments), and the records of
 * Velero and ferry, which would otherwise come back as stale copies. */
static const char *const NEVER[] = {
    "nodes",
    "events",
    "events.events.k8s.io",
    "csinodes.storage.k8s.io",
    "volumeattachments.storage.k8s.io",
    "backups.velero.io",
    "restores.velero.io",
    "resticrepositories.velero.io",
    "backuprepositories.velero.io",
    "podvolumebackups.velero.io",
    "podvolumerestores.velero.io",
    "datauploads.velero.io",
    "datadownloads.velero.io",
    NULL,
};

static const char *str_at(const json_t *obj, const char *a, const char *b)
{
    const json_t *v = json_object_get(obj, a);
    if (b)
        v = json_object_get(v, b);
    return json_string_value(v);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

const char *restore_never_reason(const char *dir, const json_t *obj)
{
    for (size_t i = 0; NEVER[i]; i++)
        if (!strcmp(dir, NEVER[i]))
            return "never restored";
    if (ends_with(dir, ".ferry.dev"))
        return "ferry record";
    if (!strcmp(dir, "leases.coordination.k8s.io")) {
        const json_t *md = json_object_get(obj, "metadata");
        const char *ns = json_string_value(json_object_get(md, "namespace"));
        const char *holder = str_at(json_object_get(obj, "spec"), "holderIdentity", NULL);
        if ((ns && !strcmp(ns, "kube-node-lease")) || (holder && *holder))
            return "lease of a controller";
    }
    if (!strcmp(dir, "endpointslices.discovery.k8s.io")) {
        const json_t *labels = json_object_get(json_object_get(obj, "metadata"), "labels");
        const char *by =
            json_string_value(json_object_get(labels, "endpointslice.kubernetes.io/managed-by"));
        if (by && !strcmp(by, "endpointslice-controller.k8s.io"))
            return "managed by the EndpointSlice controller";
    }
    return NULL;
}

/* Node ports the user wrote in the object's last-applied-configuration
 * (kubectl apply): those were chosen, not allocated, and survive. */
static int nodeport_chosen(const json_t *obj, json_int_t port)
{
    const json_t *ann = json_object_get(json_object_get(obj, "metadata"), "annotations");
    const char *last =
        json_string_value(json_object_get(ann, "kubectl.kubernetes.io/last-applied-configuration"));
    if (!last)
        return 0;
    json_t *applied = json_loads(last, 0, NULL);
    int found = 0;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(json_object_get(applied, "spec"), "ports"), i, p)
    {
        if (json_integer_value(json_object_get(p, "nodePort")) == port)
            found = 1;
    }
    json_decref(applied);
    return found;
}

static void clean_service(json_t *obj, int preserve_nodeports)
{
    json_t *spec = json_object_get(obj, "spec");
    const char *ip = json_string_value(json_object_get(spec, "clusterIP"));
    /* A headless Service's "None" is what makes it headless, not an
     * allocation. */
    if (!ip || strcmp(ip, "None")) {
        json_object_del(spec, "clusterIP");
        json_object_del(spec, "clusterIPs");
    }
    if (preserve_nodeports)
        return;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(spec, "ports"), i, p)
    {
        json_int_t np = json_integer_value(json_object_get(p, "nodePort"));
        if (np && !nodeport_chosen(obj, np))
            json_object_del(p, "nodePort");
    }
    json_int_t hc = json_integer_value(json_object_get(spec, "healthCheckNodePort"));
    if (hc && !nodeport_chosen(obj, hc))
        json_object_del(spec, "healthCheckNodePort");
}

void restore_clean(json_t *obj, const char *dir, int preserve_nodeports)
{
    static const char *const meta[] = {
        "uid",      "resourceVersion", "creationTimestamp", "managedFields",
        "selfLink", "generation",      "deletionTimestamp", "deletionGracePeriodSeconds",
        NULL};
    json_t *md = json_object_get(obj, "metadata");
    for (size_t i = 0; meta[i]; i++)
        json_object_del(md, meta[i]);
    json_object_del(obj, "status");
    json_t *spec = json_object_get(obj, "spec");
    if (!strcmp(dir, "services")) {
        clean_service(obj, preserve_nodeports);
    } else if (!strcmp(dir, "pods")) {
        /* The old cluster's node: the scheduler picks one in the new. */
        json_object_del(spec, "nodeName");
    } else if (!strcmp(dir, "persistentvolumes")) {
        /* The claim is matched by namespace and name; its uid is the old
         * PVC's, which the new cluster never had. */
        json_t *ref = json_object_get(spec, "claimRef");
        json_object_del(ref, "uid");
        json_object_del(ref, "resourceVersion");
    } else if (!strcmp(dir, "persistentvolumeclaims")) {
        json_t *ann = json_object_get(md, "annotations");
        json_object_del(ann, "pv.kubernetes.io/bind-completed");
        json_object_del(ann, "pv.kubernetes.io/bound-by-controller");
        json_object_del(ann, "volume.kubernetes.io/selected-node");
        if (ann && !json_object_size(ann))
            json_object_del(md, "annotations");
    }
}

const char *restore_controller_uid(const json_t *obj)
{
    size_t i;
    const json_t *ref;
    json_array_foreach(json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i, ref)
    {
        if (json_is_true(json_object_get(ref, "controller")))
            return str_at(ref, "uid", NULL);
    }
    return NULL;
}
