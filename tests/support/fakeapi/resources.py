"""The resource types the fake server serves, and the discovery and OpenAPI
documents built from them.

Built-in types are a fixed table (BUILTIN). CustomResourceDefinitions add
types at run time (from_crd); the Registry holds both and renders discovery
in the legacy (APIGroupList/APIResourceList) and aggregated
(apidiscovery.k8s.io v2 and v2beta1 APIGroupDiscoveryList) forms.
"""

import base64
import hashlib
import json
import re
import threading

__all__ = ["ResourceType", "Registry", "BUILTIN", "STD_VERBS", "from_crd"]

STD_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NS_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
SUB_VERBS = ("get", "patch", "update")


class ResourceType:
    """One served resource. plural/group identify it; objects of every
    version of one group/plural share one store (CRD versions are not
    converted: only apiVersion changes, as with conversion strategy None)."""

    __slots__ = ("group", "version", "plural", "singular", "kind", "namespaced", "short_names",
                 "categories", "verbs", "subresources", "name_rule", "create_on_update",
                 "top_fields", "field_selectors", "printer_columns", "crd_name", "versions",
                 "storage_version", "has_status", "keep_status_on_create")

    def __init__(self, group, version, plural, kind, namespaced, short_names=(),
                 categories=(), subresources=(), verbs=STD_VERBS, singular=None,
                 name_rule="subdomain", create_on_update=False, top_fields=None,
                 field_selectors=(), printer_columns=None, crd_name=None, versions=None,
                 keep_status_on_create=False):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.singular = singular or kind.lower()
        self.namespaced = namespaced
        self.short_names = tuple(short_names)
        self.categories = tuple(categories)
        self.subresources = tuple(subresources)
        self.verbs = tuple(verbs)
        self.name_rule = name_rule
        self.create_on_update = create_on_update
        self.top_fields = frozenset(top_fields) if top_fields is not None else None
        self.field_selectors = frozenset(("metadata.name", "metadata.namespace")
                                         + tuple(field_selectors))
        self.printer_columns = printer_columns
        self.crd_name = crd_name
        self.versions = tuple(versions or (version,))
        self.storage_version = version
        self.has_status = "status" in self.subresources
        self.keep_status_on_create = keep_status_on_create

    @property
    def gr(self):
        return (self.group, self.plural)

    def api_version(self, version=None):
        v = version or self.version
        return "%s/%s" % (self.group, v) if self.group else v

    @property
    def list_kind(self):
        return self.kind + "List"

    def __repr__(self):
        return "<ResourceType %s>" % "/".join(x for x in (self.group, self.version, self.plural) if x)


def _R(*a, **kw):
    return ResourceType(*a, **kw)


_META = ("kind", "apiVersion", "metadata")
_SPEC = _META + ("spec", "status")

BUILTIN = [
    _R("", "v1", "namespaces", "Namespace", False, ("ns",), subresources=("finalize", "status"),
       verbs=NS_VERBS, name_rule="label", top_fields=_SPEC, field_selectors=("status.phase",),
       keep_status_on_create=True),
    _R("", "v1", "configmaps", "ConfigMap", True, ("cm",),
       top_fields=_META + ("data", "binaryData", "immutable")),
    _R("", "v1", "secrets", "Secret", True,
       top_fields=_META + ("data", "stringData", "type", "immutable"), field_selectors=("type",)),
    _R("", "v1", "services", "Service", True, ("svc",), ("all",), ("status",),
       name_rule="dns1035", top_fields=_SPEC, field_selectors=("spec.clusterIP", "spec.type")),
    _R("", "v1", "endpoints", "Endpoints", True, ("ep",), create_on_update=True,
       singular="endpoints", top_fields=_META + ("subsets",)),
    _R("", "v1", "pods", "Pod", True, ("po",), ("all",), ("status",), top_fields=_SPEC,
       field_selectors=("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                        "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                        "status.podIP", "status.nominatedNodeName"),
       keep_status_on_create=True),
    _R("", "v1", "nodes", "Node", False, ("no",), subresources=("status",), top_fields=_SPEC,
       field_selectors=("spec.unschedulable",), keep_status_on_create=True),
    _R("", "v1", "persistentvolumes", "PersistentVolume", False, ("pv",), subresources=("status",),
       top_fields=_SPEC, field_selectors=("status.phase",), keep_status_on_create=True),
    _R("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",),
       subresources=("status",), top_fields=_SPEC, keep_status_on_create=True),
    _R("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",),
       top_fields=_META + ("secrets", "imagePullSecrets", "automountServiceAccountToken")),
    _R("", "v1", "events", "Event", True, ("ev",), create_on_update=True,
       top_fields=_META + ("involvedObject", "reason", "message", "source", "firstTimestamp",
                           "lastTimestamp", "count", "type", "eventTime", "series", "action",
                           "related", "reportingComponent", "reportingInstance"),
       field_selectors=("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                        "involvedObject.uid", "involvedObject.apiVersion",
                        "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                        "reportingComponent", "source", "type")),
    _R("apps", "v1", "deployments", "Deployment", True, ("deploy",), ("all",),
       ("scale", "status"), top_fields=_SPEC),
    _R("apps", "v1", "statefulsets", "StatefulSet", True, ("sts",), ("all",), ("scale", "status"),
       top_fields=_SPEC),
    _R("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), ("all",), ("status",),
       top_fields=_SPEC),
    _R("apps", "v1", "replicasets", "ReplicaSet", True, ("rs",), ("all",), ("scale", "status"),
       top_fields=_SPEC, field_selectors=("status.replicas",)),
    _R("batch", "v1", "jobs", "Job", True, (), ("all",), ("status",), top_fields=_SPEC,
       field_selectors=("status.successful",)),
    _R("batch", "v1", "cronjobs", "CronJob", True, ("cj",), ("all",), ("status",),
       top_fields=_SPEC),
    _R("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",),
       subresources=("status",), top_fields=_SPEC),
    _R("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False, top_fields=_META + ("spec",)),
    _R("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", True,
       top_fields=_META + ("addressType", "endpoints", "ports")),
    _R("storage.k8s.io", "v1", "storageclasses", "StorageClass", False, ("sc",),
       top_fields=_META + ("provisioner", "parameters", "reclaimPolicy", "mountOptions",
                           "allowVolumeExpansion", "volumeBindingMode", "allowedTopologies")),
    _R("rbac.authorization.k8s.io", "v1", "roles", "Role", True, name_rule="path",
       top_fields=_META + ("rules",)),
    _R("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True, name_rule="path",
       top_fields=_META + ("subjects", "roleRef")),
    _R("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False, name_rule="path",
       top_fields=_META + ("rules", "aggregationRule")),
    _R("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False,
       name_rule="path", top_fields=_META + ("subjects", "roleRef")),
    _R("coordination.k8s.io", "v1", "leases", "Lease", True, create_on_update=True,
       top_fields=_META + ("spec",)),
    _R("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
       False, ("crd", "crds"), ("api-extensions",), ("status",), top_fields=_SPEC),
]

# Scale subresources answer in autoscaling/v1.
SCALE_GVK = {"group": "autoscaling", "version": "v1", "kind": "Scale"}


def from_crd(crd):
    """ResourceTypes (one per served version) for a CustomResourceDefinition
    object, or [] when the object does not describe a servable resource."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group = spec.get("group")
    plural = names.get("plural")
    kind = names.get("kind")
    if not (group and plural and kind):
        return []
    served = [v for v in spec.get("versions") or [] if v.get("served", True) and v.get("name")]
    if not served:
        return []
    storage = next((v["name"] for v in spec.get("versions") or [] if v.get("storage")),
                   served[0]["name"])
    out = []
    for v in served:
        subs = v.get("subresources") or {}
        subresources = tuple(s for s in ("scale", "status") if s in subs)
        cols = v.get("additionalPrinterColumns")
        rt = ResourceType(group, v["name"], plural, kind, spec.get("scope") == "Namespaced",
                          names.get("shortNames") or (), names.get("categories") or (),
                          subresources, singular=names.get("singular") or kind.lower(),
                          printer_columns=cols if cols is not None else [],
                          crd_name=(crd.get("metadata") or {}).get("name"),
                          versions=[x["name"] for x in served])
        rt.storage_version = storage
        out.append(rt)
    return out


def _version_key(v):
    """Kubernetes version priority: GA > beta > alpha, then by number."""
    m = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", v)
    if not m:
        return (0, 0, 0, v)
    major = int(m.group(1))
    stab = {"alpha": 1, "beta": 2, None: 3}[m.group(2)]
    minor = int(m.group(3) or 0)
    return (stab, major, minor, "")


class Registry:
    """Every served resource type, looked up by (group, version, plural) and
    by (group, plural). Thread-safe; discovery documents are cached and
    rebuilt when CRDs change. <disabled>: (group, plural) of built-in types
    not served (an old cluster: absent from discovery, 404 on their paths)."""

    def __init__(self, disabled=()):
        self.lock = threading.Lock()
        unknown = set(disabled) - {rt.gr for rt in BUILTIN}
        if unknown:
            raise ValueError("no built-in resource %s" % ", ".join(
                ".".join(x for x in (p, g) if x) for g, p in sorted(unknown)))
        self.builtin = {(rt.group, rt.version, rt.plural): rt for rt in BUILTIN
                        if rt.gr not in disabled}
        self.custom = {}  # crd name -> [ResourceType]
        self._rebuild()

    def _rebuild(self):
        by_gvr = dict(self.builtin)
        for rts in self.custom.values():
            for rt in rts:
                by_gvr.setdefault((rt.group, rt.version, rt.plural), rt)
        self.by_gvr = by_gvr
        self.by_gr = {}
        for rt in by_gvr.values():
            cur = self.by_gr.get(rt.gr)
            if cur is None or rt.version == rt.storage_version:
                self.by_gr[rt.gr] = rt
        groups = {}
        for rt in by_gvr.values():
            groups.setdefault(rt.group, set()).add(rt.version)
        self.groups = {g: sorted(vs, key=_version_key, reverse=True) for g, vs in groups.items()}
        self._cache = {}

    def set_crd(self, name, rts):
        with self.lock:
            if rts:
                self.custom[name] = rts
            else:
                self.custom.pop(name, None)
            self._rebuild()

    def get(self, group, version, plural):
        return self.by_gvr.get((group, version, plural))

    def by_group_resource(self, group, plural):
        return self.by_gr.get((group, plural))

    def is_crd_resource(self, rt):
        return rt.crd_name is not None

    def group_versions(self, group):
        return self.groups.get(group)

    def all_types(self):
        return list(self.by_gvr.values())

    # -- discovery ---------------------------------------------------------
    def _cached(self, key, build):
        c = self._cache
        v = c.get(key)
        if v is None:
            v = json.dumps(build(), separators=(",", ":")).encode() + b"\n"
            c[key] = v
        return v

    def _ordered_groups(self):
        # core first, then built-in groups in table order, then CRD groups by name
        seen = []
        for rt in BUILTIN:
            if rt.group not in seen:
                seen.append(rt.group)
        extra = sorted(g for g in self.groups if g not in seen)
        return [g for g in seen if g in self.groups] + extra

    def _types_in(self, group, version):
        rts = [rt for (g, v, _), rt in self.by_gvr.items() if g == group and v == version]
        return sorted(rts, key=lambda rt: rt.plural)

    def api_versions(self, server_address):
        return self._cached(("api", server_address), lambda: {
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]})

    def api_group(self, group):
        vs = self.groups.get(group)
        if not vs or group == "":
            return None
        return {"name": group,
                "versions": [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in vs],
                "preferredVersion": {"groupVersion": "%s/%s" % (group, vs[0]), "version": vs[0]}}

    def api_group_list(self):
        def build():
            return {"kind": "APIGroupList", "apiVersion": "v1",
                    "groups": [self.api_group(g) for g in self._ordered_groups() if g]}
        return self._cached("apis", build)

    def api_group_doc(self, group):
        def build():
            d = {"kind": "APIGroup", "apiVersion": "v1"}
            d.update(self.api_group(group))
            return d
        if group not in self.groups or not group:
            return None
        return self._cached(("group", group), build)

    def resource_list(self, group, version):
        rts = self._types_in(group, version)
        if not rts:
            return None

        def build():
            resources = []
            for rt in rts:
                r = {"name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
                     "kind": rt.kind, "verbs": list(rt.verbs)}
                if rt.short_names:
                    r["shortNames"] = list(rt.short_names)
                if rt.categories:
                    r["categories"] = list(rt.categories)
                r["storageVersionHash"] = _svh(rt)
                resources.append(r)
                for sub in rt.subresources:
                    s = {"name": "%s/%s" % (rt.plural, sub), "singularName": "",
                         "namespaced": rt.namespaced, "kind": rt.kind, "verbs": list(SUB_VERBS)}
                    if sub == "scale":
                        s.update(group="autoscaling", version="v1", kind="Scale")
                    if sub == "finalize":
                        s["verbs"] = ["update"]
                    resources.append(s)
            return {"kind": "APIResourceList", "apiVersion": "v1",
                    "groupVersion": "%s/%s" % (group, version) if group else version,
                    "resources": resources}
        return self._cached(("res", group, version), build)

    def aggregated(self, core, api_version):
        """APIGroupDiscoveryList for /api (core=True) or /apis."""
        def build():
            items = []
            groups = [""] if core else [g for g in self._ordered_groups() if g]
            for g in groups:
                versions = []
                for v in self.groups.get(g, []):
                    res = []
                    for rt in self._types_in(g, v):
                        r = {"resource": rt.plural,
                             "responseKind": {"group": g, "version": v, "kind": rt.kind},
                             "scope": "Namespaced" if rt.namespaced else "Cluster",
                             "singularResource": rt.singular, "verbs": list(rt.verbs)}
                        if rt.short_names:
                            r["shortNames"] = list(rt.short_names)
                        if rt.categories:
                            r["categories"] = list(rt.categories)
                        subs = []
                        for sub in rt.subresources:
                            kind = dict(SCALE_GVK) if sub == "scale" else \
                                {"group": g, "version": v, "kind": rt.kind}
                            subs.append({"subresource": sub, "responseKind": kind,
                                         "verbs": ["update"] if sub == "finalize"
                                         else list(SUB_VERBS)})
                        if subs:
                            r["subresources"] = subs
                        res.append(r)
                    versions.append({"version": v, "resources": res, "freshness": "Current"})
                md = {"creationTimestamp": None}
                if g:
                    md = {"name": g, "creationTimestamp": None}
                items.append({"metadata": md, "versions": versions})
            return {"kind": "APIGroupDiscoveryList", "apiVersion": api_version,
                    "metadata": {}, "items": items}
        return self._cached(("agg", core, api_version), build)

    # -- OpenAPI -------------------------------------------------------------
    def openapi_gv_doc(self, group, version):
        """An OpenAPI v3 document for one group/version that declares, for
        each kind, a PATCH operation accepting the fieldValidation query
        parameter. kubectl reads exactly that to decide that the server
        validates fields itself, so it sends ?fieldValidation=Strict instead
        of validating against schemas on the client side. components.schemas
        is empty: kubectl then computes strategic merge patches from its
        compiled-in types, as it does for an older server."""
        rts = self._types_in(group, version)
        if not rts:
            return None

        def build():
            paths = {}
            prefix = "/apis/%s/%s" % (group, version) if group else "/api/v1"
            for rt in rts:
                gvk = {"group": group, "version": version, "kind": rt.kind}
                params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                          for n in ("dryRun", "fieldManager", "fieldValidation")]
                item = prefix + ("/namespaces/{namespace}/" if rt.namespaced else "/") + \
                    rt.plural + "/{name}"
                ops = {}
                for method, action in (("get", "get"), ("put", "put"), ("patch", "patch"),
                                       ("delete", "delete")):
                    op = {"operationId": "%s%s" % (method, rt.kind),
                          "x-kubernetes-action": action,
                          "x-kubernetes-group-version-kind": gvk,
                          "responses": {"200": {"description": "OK"}}}
                    if method in ("put", "patch"):
                        op["parameters"] = params
                    ops[method] = op
                paths[item] = ops
            return {"openapi": "3.0.0",
                    "info": {"title": "Kubernetes", "version": "v1.32.0"},
                    "paths": paths, "components": {"schemas": {}}}
        return self._cached(("oa3", group, version), build)

    def openapi_root(self):
        def build():
            paths = {}
            for g in self._ordered_groups():
                for v in self.groups[g]:
                    key = "api/v1" if not g else "apis/%s/%s" % (g, v)
                    doc = self.openapi_gv_doc(g, v)
                    h = hashlib.sha512(doc).hexdigest().upper()
                    paths[key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (key, h)}
            return {"paths": paths}
        return self._cached("oa3root", build)


def _svh(rt):
    h = hashlib.sha256(("%s/%s/%s" % (rt.group, rt.version, rt.kind)).encode()).digest()
    return base64.b64encode(h[:8]).decode()
