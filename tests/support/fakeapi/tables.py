"""Server-side printing: metav1 Table responses for `kubectl get`.

Column sets follow the API server's printers (pkg/printers/internalversion)
for the common kinds, with their priority-0 columns first and the `-o wide`
ones at priority 1; custom resources use the CRD's additionalPrinterColumns
(default: Age). Cells that depend on controllers the fake server does not run
(pod readiness, replica counts) are computed from whatever status the objects
carry.
"""

import datetime
import json
import re

__all__ = ["table_for", "human_duration", "columns_for"]

NAME_DESC = ("Name must be unique within a namespace. Is required when creating resources, "
             "although some resources may allow a client to request the generation of an "
             "appropriate name automatically. Name is primarily intended for creation "
             "idempotence and configuration definition. Cannot be updated. More info: "
             "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
AGE_DESC = ("CreationTimestamp is a timestamp representing the server time when this object "
            "was created. It is not guaranteed to be set in happens-before order across "
            "separate operations. Clients may not set this value. It is represented in "
            "RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for "
            "lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
            "api-conventions.md#metadata")


def parse_time(s):
    if not s:
        return None
    try:
        s = s.replace("Z", "+00:00")
        return datetime.datetime.fromisoformat(s)
    except ValueError:
        return None


def human_duration(seconds):
    """Go's k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    minutes = s // 60
    if minutes < 10:
        sec = s % 60
        return "%dm" % minutes if sec == 0 else "%dm%ds" % (minutes, sec)
    if minutes < 180:
        return "%dm" % minutes
    hours = s // 3600
    if hours < 8:
        m = minutes % 60
        return "%dh" % hours if m == 0 else "%dh%dm" % (hours, m)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        return "%dd" % (hours // 24) if h == 0 else "%dd%dh" % (hours // 24, h)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        return "%dy" % (hours // 24 // 365) if dy == 0 else "%dy%dd" % (hours // 24 // 365, dy)
    return "%dy" % (hours // 24 // 365)


def _age(obj, now):
    t = parse_time((obj.get("metadata") or {}).get("creationTimestamp"))
    if t is None:
        return "<unknown>"
    return human_duration((now - t).total_seconds())


def _g(obj, *path, default=None):
    cur = obj
    for p in path:
        if isinstance(cur, dict):
            cur = cur.get(p)
        elif isinstance(cur, list) and isinstance(p, int) and -len(cur) <= p < len(cur):
            cur = cur[p]
        else:
            return default
        if cur is None:
            return default
    return cur


def _none(s):
    return s if s not in (None, "") else "<none>"


def _join(xs):
    return ",".join(str(x) for x in xs) if xs else "<none>"


def _selector(sel):
    if not sel:
        return "<none>"
    parts = ["%s=%s" % (k, v) for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        op = e.get("operator", "")
        vals = ",".join(e.get("values") or [])
        if op == "In":
            parts.append("%s in (%s)" % (e.get("key"), vals))
        elif op == "NotIn":
            parts.append("%s notin (%s)" % (e.get("key"), vals))
        elif op == "Exists":
            parts.append(e.get("key"))
        elif op == "DoesNotExist":
            parts.append("!" + e.get("key"))
    return ",".join(parts) if parts else "<none>"


def _map_selector(m):
    if not m:
        return "<none>"
    return ",".join("%s=%s" % (k, v) for k, v in sorted(m.items()))


def _containers(obj, path):
    cs = _g(obj, *path) or []
    return (",".join(c.get("name", "") for c in cs) or "<none>",
            ",".join(c.get("image", "") for c in cs) or "<none>")


def _svc_ports(obj):
    ps = _g(obj, "spec", "ports") or []
    out = []
    for p in ps:
        s = "%s/%s" % (p.get("port"), p.get("protocol", "TCP"))
        if p.get("nodePort"):
            s = "%s:%s/%s" % (p.get("port"), p.get("nodePort"), p.get("protocol", "TCP"))
        out.append(s)
    return ",".join(out) or "<none>"


def _svc_external(obj):
    t = _g(obj, "spec", "type", default="ClusterIP")
    ext = _g(obj, "spec", "externalIPs") or []
    if t == "ExternalName":
        return _g(obj, "spec", "externalName", default="<none>")
    if t == "LoadBalancer":
        ing = [i.get("ip") or i.get("hostname") for i in _g(obj, "status", "loadBalancer", "ingress") or []]
        ips = [x for x in ing + ext if x]
        return ",".join(ips) if ips else "<pending>"
    return ",".join(ext) if ext else "<none>"


def _pod_ready(obj):
    cs = _g(obj, "spec", "containers") or []
    st = _g(obj, "status", "containerStatuses") or []
    ready = sum(1 for c in st if c.get("ready"))
    return "%d/%d" % (ready, len(cs))


def _pod_status(obj):
    if _g(obj, "metadata", "deletionTimestamp"):
        return "Terminating"
    return _g(obj, "status", "reason") or _g(obj, "status", "phase") or "Pending"


def _pod_restarts(obj):
    st = _g(obj, "status", "containerStatuses") or []
    return sum(int(c.get("restartCount") or 0) for c in st)


def _endpoints(obj):
    out = []
    for s in _g(obj, "subsets") or []:
        ports = s.get("ports") or []
        for a in s.get("addresses") or []:
            if ports:
                out.extend("%s:%s" % (a.get("ip"), p.get("port")) for p in ports)
            else:
                out.append(a.get("ip"))
    if not out:
        return "<none>"
    if len(out) > 3:
        return ",".join(out[:3]) + " + %d more..." % (len(out) - 3)
    return ",".join(out)


def _slice_endpoints(obj):
    out = []
    for e in _g(obj, "endpoints") or []:
        out.extend(e.get("addresses") or [])
    if not out:
        return "<unset>"
    if len(out) > 3:
        return ",".join(out[:3]) + " + %d more..." % (len(out) - 3)
    return ",".join(out)


def _ingress_hosts(obj):
    hosts = [r.get("host") for r in _g(obj, "spec", "rules") or [] if r.get("host")]
    return ",".join(hosts) if hosts else "*"


def _ingress_address(obj):
    ing = _g(obj, "status", "loadBalancer", "ingress") or []
    return ",".join(i.get("ip") or i.get("hostname") or "" for i in ing)


def _ingress_ports(obj):
    return "80, 443" if _g(obj, "spec", "tls") else "80"


def _job_status(obj):
    for c in _g(obj, "status", "conditions") or []:
        if c.get("status") == "True" and c.get("type") in ("Complete", "Failed", "Suspended"):
            return c["type"]
    return "Running"


def _job_completions(obj):
    comp = _g(obj, "spec", "completions")
    succ = _g(obj, "status", "succeeded", default=0)
    if comp is None:
        return "%d/1 of %d" % (succ, _g(obj, "spec", "parallelism", default=1))
    return "%d/%d" % (succ, comp)


def _node_status(obj):
    st = "Unknown"
    for c in _g(obj, "status", "conditions") or []:
        if c.get("type") == "Ready":
            st = "Ready" if c.get("status") == "True" else "NotReady"
    if _g(obj, "spec", "unschedulable"):
        st += ",SchedulingDisabled"
    return st


def _node_roles(obj):
    roles = sorted(k.split("/", 1)[1] for k in (_g(obj, "metadata", "labels") or {})
                   if k.startswith("node-role.kubernetes.io/") and "/" in k)
    return ",".join(r for r in roles if r) or "<none>"


def _node_addr(obj, typ):
    for a in _g(obj, "status", "addresses") or []:
        if a.get("type") == typ:
            return a.get("address", "")
    return "<none>"


def _pv_claim(obj):
    ref = _g(obj, "spec", "claimRef")
    if not ref:
        return ""
    return "%s/%s" % (ref.get("namespace", ""), ref.get("name", ""))


_ACCESS = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
           "ReadWriteOncePod": "RWOP"}


def _access(modes):
    return ",".join(_ACCESS.get(m, m) for m in modes or [])


def _event_object(obj):
    io = obj.get("involvedObject") or {}
    return "%s/%s" % (str(io.get("kind", "")).lower(), io.get("name", ""))


def _event_last_seen(obj, now):
    t = parse_time(obj.get("lastTimestamp") or obj.get("eventTime")
                   or _g(obj, "metadata", "creationTimestamp"))
    return human_duration((now - t).total_seconds()) if t else "<unknown>"


def C(name, typ, fn, priority=0, fmt="", desc=""):
    return (name, typ, fmt, desc, priority, fn)


_NAME = C("Name", "string", lambda o, now: _g(o, "metadata", "name", default=""), fmt="name",
          desc=NAME_DESC)
_AGE = C("Age", "string", lambda o, now: _age(o, now), desc=AGE_DESC)
_CREATED = C("Created At", "date", lambda o, now: _g(o, "metadata", "creationTimestamp", default=""),
             desc=AGE_DESC)

COLUMNS = {
    ("", "configmaps"): [_NAME, C("Data", "integer", lambda o, n: len(o.get("data") or {})
                                  + len(o.get("binaryData") or {})), _AGE],
    ("", "secrets"): [_NAME, C("Type", "string", lambda o, n: o.get("type", "Opaque")),
                      C("Data", "integer", lambda o, n: len(o.get("data") or {})), _AGE],
    ("", "namespaces"): [_NAME, C("Status", "string",
                                  lambda o, n: _g(o, "status", "phase", default="")), _AGE],
    ("", "services"): [
        _NAME, C("Type", "string", lambda o, n: _g(o, "spec", "type", default="ClusterIP")),
        C("Cluster-IP", "string", lambda o, n: _none(_g(o, "spec", "clusterIP"))),
        C("External-IP", "string", lambda o, n: _svc_external(o)),
        C("Port(s)", "string", lambda o, n: _svc_ports(o)), _AGE,
        C("Selector", "string", lambda o, n: _map_selector(_g(o, "spec", "selector")), 1)],
    ("", "endpoints"): [_NAME, C("Endpoints", "string", lambda o, n: _endpoints(o)), _AGE],
    ("", "pods"): [
        _NAME, C("Ready", "string", lambda o, n: _pod_ready(o)),
        C("Status", "string", lambda o, n: _pod_status(o)),
        C("Restarts", "string", lambda o, n: str(_pod_restarts(o))), _AGE,
        C("IP", "string", lambda o, n: _none(_g(o, "status", "podIP")), 1),
        C("Node", "string", lambda o, n: _none(_g(o, "spec", "nodeName")), 1),
        C("Nominated Node", "string", lambda o, n: _none(_g(o, "status", "nominatedNodeName")), 1),
        C("Readiness Gates", "string", lambda o, n: "<none>", 1)],
    ("", "nodes"): [
        _NAME, C("Status", "string", lambda o, n: _node_status(o)),
        C("Roles", "string", lambda o, n: _node_roles(o)), _AGE,
        C("Version", "string", lambda o, n: _g(o, "status", "nodeInfo", "kubeletVersion", default="")),
        C("Internal-IP", "string", lambda o, n: _node_addr(o, "InternalIP"), 1),
        C("External-IP", "string", lambda o, n: _node_addr(o, "ExternalIP"), 1)],
    ("", "persistentvolumes"): [
        _NAME, C("Capacity", "string", lambda o, n: _g(o, "spec", "capacity", "storage", default="")),
        C("Access Modes", "string", lambda o, n: _access(_g(o, "spec", "accessModes"))),
        C("Reclaim Policy", "string",
          lambda o, n: _g(o, "spec", "persistentVolumeReclaimPolicy", default="")),
        C("Status", "string", lambda o, n: _g(o, "status", "phase", default="")),
        C("Claim", "string", lambda o, n: _pv_claim(o)),
        C("StorageClass", "string", lambda o, n: _g(o, "spec", "storageClassName", default="")),
        C("VolumeAttributesClass", "string",
          lambda o, n: _none(_g(o, "spec", "volumeAttributesClassName"))),
        C("Reason", "string", lambda o, n: _g(o, "status", "reason", default="")), _AGE,
        C("VolumeMode", "string", lambda o, n: _g(o, "spec", "volumeMode", default="Filesystem"), 1)],
    ("", "persistentvolumeclaims"): [
        _NAME, C("Status", "string", lambda o, n: _g(o, "status", "phase", default="Pending")),
        C("Volume", "string", lambda o, n: _g(o, "spec", "volumeName", default="")),
        C("Capacity", "string", lambda o, n: _g(o, "status", "capacity", "storage", default="")),
        C("Access Modes", "string", lambda o, n: _access(_g(o, "status", "accessModes"))),
        C("StorageClass", "string", lambda o, n: _g(o, "spec", "storageClassName", default="")),
        C("VolumeAttributesClass", "string",
          lambda o, n: _none(_g(o, "spec", "volumeAttributesClassName"))), _AGE,
        C("VolumeMode", "string", lambda o, n: _g(o, "spec", "volumeMode", default="Filesystem"), 1)],
    ("", "serviceaccounts"): [_NAME, C("Secrets", "string", lambda o, n: len(o.get("secrets") or [])),
                              _AGE],
    ("", "events"): [
        C("Last Seen", "string", lambda o, n: _event_last_seen(o, n)),
        C("Type", "string", lambda o, n: o.get("type", "")),
        C("Reason", "string", lambda o, n: o.get("reason", "")),
        C("Object", "string", lambda o, n: _event_object(o)),
        C("Message", "string", lambda o, n: (o.get("message") or "").strip()),
        C("Name", "string", lambda o, n: _g(o, "metadata", "name", default=""), 1, "name")],
    ("apps", "deployments"): [
        _NAME, C("Ready", "string", lambda o, n: "%d/%d" % (_g(o, "status", "readyReplicas", default=0),
                                                         _g(o, "spec", "replicas", default=1))),
        C("Up-to-date", "integer", lambda o, n: _g(o, "status", "updatedReplicas", default=0)),
        C("Available", "integer", lambda o, n: _g(o, "status", "availableReplicas", default=0)),
        _AGE,
        C("Containers", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[0], 1),
        C("Images", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[1], 1),
        C("Selector", "string", lambda o, n: _selector(_g(o, "spec", "selector")), 1)],
    ("apps", "statefulsets"): [
        _NAME, C("Ready", "string", lambda o, n: "%d/%d" % (_g(o, "status", "readyReplicas", default=0),
                                                         _g(o, "spec", "replicas", default=1))),
        _AGE,
        C("Containers", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[0], 1),
        C("Images", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[1], 1)],
    ("apps", "daemonsets"): [
        _NAME, C("Desired", "integer", lambda o, n: _g(o, "status", "desiredNumberScheduled", default=0)),
        C("Current", "integer", lambda o, n: _g(o, "status", "currentNumberScheduled", default=0)),
        C("Ready", "integer", lambda o, n: _g(o, "status", "numberReady", default=0)),
        C("Up-to-date", "integer", lambda o, n: _g(o, "status", "updatedNumberScheduled", default=0)),
        C("Available", "integer", lambda o, n: _g(o, "status", "numberAvailable", default=0)),
        C("Node Selector", "string",
          lambda o, n: _map_selector(_g(o, "spec", "template", "spec", "nodeSelector"))), _AGE,
        C("Containers", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[0], 1),
        C("Images", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[1], 1),
        C("Selector", "string", lambda o, n: _selector(_g(o, "spec", "selector")), 1)],
    ("apps", "replicasets"): [
        _NAME, C("Desired", "integer", lambda o, n: _g(o, "spec", "replicas", default=1)),
        C("Current", "integer", lambda o, n: _g(o, "status", "replicas", default=0)),
        C("Ready", "integer", lambda o, n: _g(o, "status", "readyReplicas", default=0)), _AGE,
        C("Containers", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[0], 1),
        C("Images", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[1], 1),
        C("Selector", "string", lambda o, n: _selector(_g(o, "spec", "selector")), 1)],
    ("batch", "jobs"): [
        _NAME, C("Status", "string", lambda o, n: _job_status(o)),
        C("Completions", "string", lambda o, n: _job_completions(o)),
        C("Duration", "string", lambda o, n: ""), _AGE,
        C("Containers", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[0], 1),
        C("Images", "string", lambda o, n: _containers(o, ("spec", "template", "spec", "containers"))[1], 1),
        C("Selector", "string", lambda o, n: _selector(_g(o, "spec", "selector")), 1)],
    ("batch", "cronjobs"): [
        _NAME, C("Schedule", "string", lambda o, n: _g(o, "spec", "schedule", default="")),
        C("Timezone", "string", lambda o, n: _none(_g(o, "spec", "timeZone"))),
        C("Suspend", "boolean", lambda o, n: bool(_g(o, "spec", "suspend", default=False))),
        C("Active", "integer", lambda o, n: len(_g(o, "status", "active") or [])),
        C("Last Schedule", "string", lambda o, n: "<none>"), _AGE],
    ("networking.k8s.io", "ingresses"): [
        _NAME, C("Class", "string", lambda o, n: _none(_g(o, "spec", "ingressClassName"))),
        C("Hosts", "string", lambda o, n: _ingress_hosts(o)),
        C("Address", "string", lambda o, n: _ingress_address(o)),
        C("Ports", "string", lambda o, n: _ingress_ports(o)), _AGE],
    ("networking.k8s.io", "ingressclasses"): [
        _NAME, C("Controller", "string", lambda o, n: _g(o, "spec", "controller", default="")),
        C("Parameters", "string", lambda o, n: "<none>"), _AGE],
    ("discovery.k8s.io", "endpointslices"): [
        _NAME, C("AddressType", "string", lambda o, n: o.get("addressType", "")),
        C("Ports", "string", lambda o, n: ",".join(str(p.get("port")) for p in o.get("ports") or [])
          or "<unset>"),
        C("Endpoints", "string", lambda o, n: _slice_endpoints(o)), _AGE],
    ("storage.k8s.io", "storageclasses"): [
        _NAME, C("Provisioner", "string", lambda o, n: o.get("provisioner", "")),
        C("ReclaimPolicy", "string", lambda o, n: o.get("reclaimPolicy", "Delete")),
        C("VolumeBindingMode", "string", lambda o, n: o.get("volumeBindingMode", "Immediate")),
        C("AllowVolumeExpansion", "string", lambda o, n: "true" if o.get("allowVolumeExpansion") else "false"),
        _AGE],
    ("rbac.authorization.k8s.io", "roles"): [_NAME, _CREATED],
    ("rbac.authorization.k8s.io", "clusterroles"): [_NAME, _CREATED],
    ("rbac.authorization.k8s.io", "rolebindings"): [
        _NAME, C("Role", "string", lambda o, n: "%s/%s" % (_g(o, "roleRef", "kind", default=""),
                                                         _g(o, "roleRef", "name", default=""))), _AGE],
    ("rbac.authorization.k8s.io", "clusterrolebindings"): [
        _NAME, C("Role", "string", lambda o, n: "%s/%s" % (_g(o, "roleRef", "kind", default=""),
                                                         _g(o, "roleRef", "name", default=""))), _AGE],
    ("coordination.k8s.io", "leases"): [
        _NAME, C("Holder", "string", lambda o, n: _g(o, "spec", "holderIdentity", default="")), _AGE],
    ("apiextensions.k8s.io", "customresourcedefinitions"): [_NAME, _CREATED],
}


def _jsonpath_simple(obj, path):
    """The JSONPath subset CRD printer columns use: .a.b, .a[0].b, .a['x.y']."""
    cur = obj
    for m in re.finditer(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]", path or ""):
        if m.group(1) is not None or m.group(3) is not None or m.group(4) is not None:
            key = m.group(1) or m.group(3) or m.group(4)
            cur = cur.get(key) if isinstance(cur, dict) else None
        else:
            i = int(m.group(2))
            cur = cur[i] if isinstance(cur, list) and i < len(cur) else None
        if cur is None:
            return None
    return cur


def _crd_columns(rt):
    cols = [_NAME]
    pcs = rt.printer_columns or [{"name": "Age", "type": "date",
                                  "jsonPath": ".metadata.creationTimestamp"}]
    for pc in pcs:
        path = pc.get("jsonPath", "")
        typ = pc.get("type", "string")

        def fn(o, now, path=path, typ=typ):
            v = _jsonpath_simple(o, path)
            if typ == "date":
                t = parse_time(v) if isinstance(v, str) else None
                return human_duration((now - t).total_seconds()) if t else "<unknown>"
            if v is None:
                return None
            if isinstance(v, (dict, list)):
                return json.dumps(v, separators=(",", ":"))
            return v
        cols.append(C(pc.get("name", ""), typ, fn, pc.get("priority", 0), pc.get("format", ""),
                      pc.get("description", "")))
    return cols


def columns_for(rt):
    if rt.crd_name is not None:
        return _crd_columns(rt)
    return COLUMNS.get(rt.gr) or [_NAME, _AGE]


def table_for(rt, objs, include, list_meta):
    """Builds a Table dict for objs (a list of object dicts). include is
    "None", "Metadata" (default) or "Object"."""
    now = datetime.datetime.now(datetime.timezone.utc)
    cols = columns_for(rt)
    rows = []
    for o in objs:
        cells = [c[5](o, now) for c in cols]
        row = {"cells": cells}
        if include == "Object":
            row["object"] = o
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": o.get("metadata") or {}}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
            "columnDefinitions": [{"name": c[0], "type": "date" if c[1] == "date" else c[1],
                                   "format": c[2], "description": c[3], "priority": c[4]}
                                  for c in cols],
            "rows": rows}
