/* What a restore leaves out, and what it removes from each object: the
 * state the source cluster's API server and controllers wrote, and what
 * the new cluster must allocate for itself. */
#include <string.h>

#include "backup/record.h"
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
    /* The API server keeps default/kubernetes pointing at itself: the old
     * cluster's copy would send the new cluster's pods to the old API
     * server until its reconciler put it back. */
    const char *ns = record_sget(obj, "metadata", "namespace");
    const char *name = record_sget(obj, "metadata", "name");
    if ((!strcmp(dir, "services") || !strcmp(dir, "endpoints") ||
         !strcmp(dir, "endpointslices.discovery.k8s.io")) &&
        ns && !strcmp(ns, "default") && name && !strcmp(name, "kubernetes"))
        return "kept by the API server";
    /* The controller manager publishes the cluster's own CA in every
     * namespace: the old cluster's must not replace it. */
    if (!strcmp(dir, "configmaps") && name && !strcmp(name, "kube-root-ca.crt"))
        return "published by the cluster (its own CA)";
    if (!strcmp(dir, "leases.coordination.k8s.io")) {
        /* A leader election writes holderIdentity and the times; a leader
         * that stops empties holderIdentity (client-go's ReleaseOnCancel,
         * ferry's ingress controller) but the Lease is still its own. */
        const json_t *spec = json_object_get(obj, "spec");
        if ((ns && !strcmp(ns, "kube-node-lease")) || json_object_get(spec, "holderIdentity") ||
            json_object_get(spec, "acquireTime") || json_object_get(spec, "renewTime"))
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

/* Removes <key> from <parent>.<member> (an object), and the member once
 * it is empty. */
static void del_emptied(json_t *parent, const char *member, const char *key)
{
    json_t *o = json_object_get(parent, member);
    json_object_del(o, key);
    if (o && !json_object_size(o))
        json_object_del(parent, member);
}

/* A Job's selector is generated from its uid unless manualSelector: the
 * API server refuses the old cluster's uid in the selector or the pod
 * template (Velero's job action does the same). */
static void clean_job(json_t *spec)
{
    static const char *const uid_labels[] = {"controller-uid", "batch.kubernetes.io/controller-uid",
                                             NULL};
    if (json_is_true(json_object_get(spec, "manualSelector")))
        return;
    json_t *sel = json_object_get(spec, "selector");
    json_t *tmd = json_object_get(json_object_get(spec, "template"), "metadata");
    for (size_t i = 0; uid_labels[i]; i++) {
        del_emptied(sel, "matchLabels", uid_labels[i]);
        del_emptied(tmd, "labels", uid_labels[i]);
    }
    if (sel && !json_object_size(sel))
        json_object_del(spec, "selector");
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
    } else if (!strcmp(dir, "jobs.batch")) {
        clean_job(spec);
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
            return record_sget(ref, "uid", NULL);
    }
    return NULL;
}
