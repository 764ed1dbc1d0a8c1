"""The object store: objects by resource, one global resourceVersion counter,
a bounded event history for watches, and persistence.

Concurrency: one lock (self.lock) guards everything; every mutation takes
it, assigns the next resourceVersion, stores the object together with its
JSON encoding (so lists and watches only join bytes), appends the event to
the history and hands it to the registered watchers' queues. Stored object
dicts are never mutated after they are stored: a change builds a new dict
(json.loads of the stored bytes is the cheap deep copy).
"""

import base64
import bisect
import collections
import ipaddress
import json
import os
import queue
import random
import tempfile
import threading
import time
import uuid

from . import errors, resources, validation
from .errors import APIError

__all__ = ["Store", "Entry", "Event", "Watcher", "encode", "now_rfc3339"]

META_ORDER = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
              "generation", "creationTimestamp", "deletionTimestamp",
              "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
              "finalizers", "managedFields")
SERVER_META = ("uid", "creationTimestamp", "generation", "deletionTimestamp",
               "deletionGracePeriodSeconds")
# Delete answers the object for these (registry stores with ReturnDeletedObject).
RETURN_DELETED = {("", "pods"), ("", "services"), ("", "namespaces")}
DEFAULT_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
_GEN_CHARS = "bcdfghjklmnpqrstvwxz2456789"


_now_cache = [0, ""]


def now_rfc3339():
    t = int(time.time())
    if t != _now_cache[0]:
        _now_cache[1] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        _now_cache[0] = t
    return _now_cache[1]


def jcopy(v):
    """Deep copy of a JSON-shaped value (dicts, lists, scalars); several times
    faster than copy.deepcopy."""
    if isinstance(v, dict):
        return {k: jcopy(x) if isinstance(x, (dict, list)) else x for k, x in v.items()}
    if isinstance(v, list):
        return [jcopy(x) if isinstance(x, (dict, list)) else x for x in v]
    return v


_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def encode(obj):
    """Compact JSON as Go's encoding/json writes it (HTML characters and
    U+2028/U+2029 escaped), as bytes."""
    s = _dumps(obj)
    if "<" in s or ">" in s or "&" in s or "\u2028" in s or "\u2029" in s:
        s = (s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
             .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return s.encode("utf-8")


_OMIT_EMPTY_META = ("labels", "annotations", "ownerReferences", "finalizers", "managedFields")


def canonical(obj):
    """kind, apiVersion, metadata (in ObjectMeta field order), then the rest
    with status last, as the API server orders its output."""
    meta = obj.get("metadata") or {}
    m = {k: meta[k] for k in META_ORDER if k in meta}
    for k, v in meta.items():
        if k not in m:
            m[k] = v
    for k in _OMIT_EMPTY_META:
        if k in m and not m[k]:
            del m[k]  # Go's omitempty: an empty map or list is not written
    out = {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion"), "metadata": m}
    data_kind = obj.get("kind") in ("ConfigMap", "Secret")
    for k, v in obj.items():
        if k not in out and k != "status":
            if data_kind and k in ("data", "binaryData") and v == {}:
                continue
            out[k] = v
    if "status" in obj:
        out["status"] = obj["status"]
    return out


class Entry:
    __slots__ = ("obj", "raw", "applied")

    def __init__(self, obj, raw, applied=None):
        self.obj = obj          # dict; never mutated once stored
        self.raw = raw          # its JSON encoding, bytes
        self.applied = applied  # {field manager: last applied configuration}

    def copy_obj(self):
        return json.loads(self.raw)


class Event:
    __slots__ = ("rv", "type", "gr", "entry", "old")

    def __init__(self, rv, typ, gr, entry, old):
        self.rv = rv
        self.type = typ
        self.gr = gr
        self.entry = entry
        self.old = old


class Watcher:
    __slots__ = ("gr", "q")

    def __init__(self, gr):
        self.gr = gr
        self.q = queue.SimpleQueue()


def _key_of(rt, ns, name):
    return (ns if rt.namespaced else "", name)


def _meta(obj):
    m = obj.get("metadata")
    if m is None:
        m = obj["metadata"] = {}
    return m


def _without(obj, *keys):
    return {k: v for k, v in obj.items() if k not in keys}


def _get_path(obj, path):
    cur = obj
    for p in [x for x in path.strip(".").split(".") if x]:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


def _set_path(obj, path, value):
    parts = [x for x in path.strip(".").split(".") if x]
    cur = obj
    for p in parts[:-1]:
        nxt = cur.get(p)
        if not isinstance(nxt, dict):
            nxt = cur[p] = {}
        cur = nxt
    cur[parts[-1]] = value


class Store:
    def __init__(self, registry, history_size=10000, log=None):
        self.registry = registry
        self.lock = threading.RLock()
        self.rv = 0
        self.objects = {}    # (group, plural) -> {(ns, name): Entry}
        self.keys = {}       # (group, plural) -> sorted [(ns, name)]
        self.history = collections.deque()
        self.history_size = max(1, history_size)
        self.floor = 0       # a watch from a resourceVersion below this is too old
        self.watchers = {}   # (group, plural) -> set(Watcher)
        self.owners = {}     # owner uid -> {((group, plural), key)}
        self.changed = threading.Condition(threading.Lock())
        self.generation_count = 0  # bumped on every commit, for the persister
        self.used_ips = set()
        self.next_ip = 10
        self.next_node_port = 30000
        self.log = log or (lambda msg: None)

    # -- reading ---------------------------------------------------------------
    def _table(self, gr):
        t = self.objects.get(gr)
        if t is None:
            t = self.objects[gr] = {}
            self.keys[gr] = []
        return t

    def get(self, rt, ns, name):
        e = self.objects.get(rt.gr, {}).get(_key_of(rt, ns, name))
        if e is None:
            raise errors.not_found(rt, name)
        return e

    def lookup(self, rt, ns, name):
        return self.objects.get(rt.gr, {}).get(_key_of(rt, ns, name))

    def namespace_exists(self, ns):
        return ("", ns) in self.objects.get(("", "namespaces"), {})

    def count(self):
        return sum(len(t) for t in self.objects.values())

    def list(self, rt, ns, label_reqs, field_reqs, limit, cont, match):
        """Returns (entries, list resourceVersion, continue token or "",
        remainingItemCount or None). match(entry) -> bool filters by the
        selectors; ns None lists every namespace."""
        start_key = None
        list_rv = None
        if cont:
            try:
                pad = "=" * (-len(cont) % 4)
                tok = json.loads(base64.urlsafe_b64decode(cont + pad).decode("utf-8"))
                list_rv = int(tok["rv"])
                start = tok["start"]
                if not isinstance(start, str) or tok.get("v") != "meta.k8s.io/v1":
                    raise ValueError
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                raise errors.bad_request("continue key is not valid: incorrect encoded start "
                                         "resourceVersion (version meta.k8s.io/v1)") from None
            start = start.rstrip("\x00")
            if rt.namespaced and "/" in start:
                start_key = tuple(start.split("/", 1))
            else:
                start_key = ("", start)
        with self.lock:
            if list_rv is not None and list_rv < self.floor:
                raise APIError(410, "Expired",
                               "The provided continue parameter is too old to display a "
                               "consistent list result. You can start a new list without the "
                               "continue parameter, or use the continue token in this response "
                               "to retrieve the remainder of the results. Continuing with the "
                               "provided token results in an inconsistent list - objects that "
                               "were created, modified, or deleted between the time the first "
                               "chunk was returned and now may show up in the list.")
            if list_rv is None:
                list_rv = self.rv
            table = self.objects.get(rt.gr, {})
            keys = self.keys.get(rt.gr, [])
            if ns is not None and rt.namespaced:
                lo = bisect.bisect_left(keys, (ns,))
                hi = bisect.bisect_left(keys, (ns + "\x00",))
            else:
                lo, hi = 0, len(keys)
            if start_key is not None:
                lo = max(lo, bisect.bisect_right(keys, start_key))
            out = []
            next_key = None
            i = lo
            filtered = match is not None
            while i < hi:
                e = table[keys[i]]
                i += 1
                if filtered and not match(e):
                    continue
                out.append(e)
                if limit and len(out) >= limit:
                    if i < hi:
                        next_key = keys[i - 1]
                    break
            remaining = None
            token = ""
            if next_key is not None:
                if filtered:
                    # only hand out a token when something may follow
                    more = any(match(table[keys[j]]) for j in range(i, hi))
                    if not more:
                        next_key = None
                else:
                    remaining = hi - i
            if next_key is not None:
                start = "%s/%s" % next_key if rt.namespaced else next_key[1]
                token = base64.urlsafe_b64encode(json.dumps(
                    {"v": "meta.k8s.io/v1", "rv": list_rv, "start": start + "\x00"},
                    separators=(",", ":")).encode()).decode().rstrip("=")
            return out, list_rv, token, remaining

    # -- committing ----------------------------------------------------------
    def _commit(self, rt, key, obj, etype, old, applied=None):
        """Stores obj (a fresh dict, not shared) under key, or removes key for
        DELETED. Assigns the next resourceVersion. Caller holds the lock."""
        self.rv += 1
        rv = self.rv
        gr = rt.gr
        table = self._table(gr)
        if etype == "DELETED":
            obj = dict(old.obj)
            m = dict(obj["metadata"])
            m["resourceVersion"] = str(rv)
            obj["metadata"] = m
            entry = Entry(obj, encode(obj), None)
            del table[key]
            keys = self.keys[gr]
            i = bisect.bisect_left(keys, key)
            if i < len(keys) and keys[i] == key:
                del keys[i]
        else:
            obj["metadata"]["resourceVersion"] = str(rv)
            obj = canonical(obj)
            entry = Entry(obj, encode(obj), applied if applied is not None
                          else (old.applied if old is not None else None))
            if key not in table:
                bisect.insort(self.keys[gr], key)
            table[key] = entry
        self._index_owners(gr, key, old.obj if old is not None else None,
                           None if etype == "DELETED" else obj)
        ev = Event(rv, etype, gr, entry, old)
        self.history.append(ev)
        while len(self.history) > self.history_size:
            self.floor = self.history.popleft().rv
        for w in self.watchers.get(gr, ()):
            w.q.put(ev)
        self.generation_count += 1
        with self.changed:
            self.changed.notify_all()
        return entry

    def _index_owners(self, gr, key, old, new):
        ref = (gr, key)
        for o in (old,):
            for r in ((o or {}).get("metadata") or {}).get("ownerReferences") or []:
                s = self.owners.get(r.get("uid"))
                if s is not None:
                    s.discard(ref)
                    if not s:
                        del self.owners[r.get("uid")]
        for r in ((new or {}).get("metadata") or {}).get("ownerReferences") or []:
            if isinstance(r, dict) and r.get("uid"):
                self.owners.setdefault(r["uid"], set()).add(ref)

    def compact(self):
        """Forgets the watch history: watches from any older resourceVersion
        now get 410 Gone."""
        with self.lock:
            self.history.clear()
            self.floor = self.rv

    # -- preparing objects -------------------------------------------------------
    def _check_type(self, rt, version, obj):
        want_av = rt.api_version(version)
        av = obj.get("apiVersion")
        kind = obj.get("kind")
        if av is None or av == "":
            obj["apiVersion"] = want_av
        elif av != want_av:
            raise errors.bad_request("the API version in the data (%s) does not match the "
                                     "expected API version (%s)" % (av, want_av))
        if kind is None or kind == "":
            obj["kind"] = rt.kind
        elif kind != rt.kind:
            raise errors.bad_request("the kind in the data (%s) does not match the expected "
                                     "kind (%s) of %s" % (kind, rt.kind, errors.qualified(rt)))
        if not isinstance(obj.get("metadata", {}), dict):
            raise errors.bad_request("metadata must be an object")

    def _validate(self, rt, obj, name, for_update=False):
        causes = []
        meta = obj["metadata"]
        if not name:
            causes.append(("metadata.name", "FieldValueRequired",
                           "Required value: name or generateName is required"))
        else:
            causes += validation.validate_name(rt.name_rule, name)
        causes += validation.validate_meta(meta)
        if rt.gr in (("", "configmaps"), ("", "secrets")):
            causes += validation.validate_data_keys(
                obj, ("data", "binaryData") if rt.plural == "configmaps" else ("data",))
        if rt.gr == ("apiextensions.k8s.io", "customresourcedefinitions"):
            causes += self._crd_causes(obj)
        if causes:
            raise errors.invalid(rt, name, causes)

    @staticmethod
    def _crd_causes(obj):
        spec = obj.get("spec") or {}
        names = spec.get("names") or {}
        causes = []
        group = spec.get("group") or ""
        plural = names.get("plural") or ""
        if not group:
            causes.append(("spec.group", "FieldValueRequired", "Required value"))
        elif "." not in group:
            causes.append(("spec.group", "FieldValueInvalid",
                           'Invalid value: "%s": should be a domain with at least one dot' % group))
        if not plural:
            causes.append(("spec.names.plural", "FieldValueRequired", "Required value"))
        if not names.get("kind"):
            causes.append(("spec.names.kind", "FieldValueRequired", "Required value"))
        if spec.get("scope") not in ("Namespaced", "Cluster"):
            causes.append(("spec.scope", "FieldValueNotSupported",
                           'Unsupported value: "%s": supported values: "Cluster", "Namespaced"'
                           % (spec.get("scope") or "")))
        name = (obj.get("metadata") or {}).get("name") or ""
        if group and plural and name != "%s.%s" % (plural, group):
            causes.append(("metadata.name", "FieldValueInvalid",
                           'Invalid value: "%s": must be spec.names.plural+"."+spec.group'
                           % name))
        versions = spec.get("versions") or []
        if not versions:
            causes.append(("spec.versions", "FieldValueInvalid",
                           "Invalid value: null: must have exactly one version marked as "
                           "storage version"))
        elif sum(1 for v in versions if v.get("storage")) != 1:
            causes.append(("spec.versions", "FieldValueInvalid",
                           "Invalid value: %s: must have exactly one version marked as storage "
                           "version" % json.dumps(versions, separators=(",", ":"))[:200]))
        return causes

    def _prepare(self, rt, version, ns, body, url_name=None):
        """Common checks of an incoming object (create or update). Returns a
        fresh dict."""
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        obj = jcopy(body)
        self._check_type(rt, version, obj)
        obj["apiVersion"] = rt.api_version(rt.storage_version)
        meta = _meta(obj)
        if rt.namespaced:
            bns = meta.get("namespace")
            if bns and ns and bns != ns:
                raise errors.bad_request("the namespace of the provided object does not match "
                                         "the namespace sent on the request")
            meta["namespace"] = ns
        else:
            meta.pop("namespace", None)
        if url_name is not None:
            if meta.get("name") and meta["name"] != url_name:
                raise errors.bad_request("the name of the object (%s) does not match the name "
                                         "on the URL (%s)" % (meta["name"], url_name))
            meta["name"] = url_name
        meta.pop("selfLink", None)
        for k in ("labels", "annotations"):
            if k in meta and meta[k] is None:
                del meta[k]
        if rt.gr == ("", "secrets"):
            self._fold_string_data(rt, obj)
        return obj

    @staticmethod
    def _fold_string_data(rt, obj):
        sd = obj.pop("stringData", None)
        data = obj.get("data")
        if data is not None and not isinstance(data, dict):
            raise errors.bad_request("Secret in version \"v1\" cannot be handled as a Secret: "
                                     "data must be a map")
        for k, v in (data or {}).items():
            if not isinstance(v, str):
                raise errors.bad_request("Secret in version \"v1\" cannot be handled as a "
                                         "Secret: illegal base64 data")
            try:
                base64.b64decode(v, validate=True)
            except ValueError:
                raise errors.bad_request(
                    "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 "
                    "data at input byte 0") from None
        if sd:
            data = dict(data or {})
            for k, v in sd.items():
                data[k] = base64.b64encode(str(v).encode("utf-8")).decode("ascii")
            obj["data"] = data
        if not obj.get("type"):
            obj["type"] = "Opaque"

    def _alloc_ip(self):
        while True:
            ip = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.96.0.0")) + self.next_ip))
            self.next_ip += 1
            if ip not in self.used_ips:
                self.used_ips.add(ip)
                return ip

    def _defaults_on_create(self, rt, obj):
        gr = rt.gr
        if gr == ("", "namespaces"):
            name = obj["metadata"]["name"]
            labels = dict(obj["metadata"].get("labels") or {})
            labels["kubernetes.io/metadata.name"] = name
            obj["metadata"]["labels"] = labels
            spec = obj.get("spec") or {}
            if not spec.get("finalizers"):
                spec = dict(spec, finalizers=["kubernetes"])
            obj["spec"] = spec
            obj["status"] = {"phase": "Active"}
        elif gr == ("", "services"):
            spec = obj.setdefault("spec", {})
            spec.setdefault("type", "ClusterIP")
            if spec.get("type") != "ExternalName":
                ip = spec.get("clusterIP")
                if not ip:
                    ip = self._alloc_ip()
                    spec["clusterIP"] = ip
                elif ip != "None":
                    self.used_ips.add(ip)
                spec.setdefault("clusterIPs", [ip])
                spec.setdefault("ipFamilies", ["IPv4"])  # headless services get them too
                spec.setdefault("ipFamilyPolicy", "SingleStack")
                spec.setdefault("sessionAffinity", "None")
                spec.setdefault("internalTrafficPolicy", "Cluster")
            for p in spec.get("ports") or []:
                if isinstance(p, dict):
                    p.setdefault("protocol", "TCP")
                    if "port" in p:
                        p.setdefault("targetPort", p["port"])
                    if spec.get("type") in ("NodePort", "LoadBalancer") and not p.get("nodePort"):
                        p["nodePort"] = self.next_node_port
                        self.next_node_port += 1
            if not obj.get("status"):
                obj["status"] = {"loadBalancer": {}}
        elif gr == ("", "pods"):
            st = obj.get("status") or {}
            st.setdefault("phase", "Pending")
            obj["status"] = st
        elif gr == ("apiextensions.k8s.io", "customresourcedefinitions"):
            self._crd_status(obj)

    @staticmethod
    def _crd_status(obj):
        spec = obj.get("spec") or {}
        now = now_rfc3339()
        names = dict(spec.get("names") or {})
        names.setdefault("singular", str(names.get("kind", "")).lower())
        names.setdefault("listKind", str(names.get("kind", "")) + "List")
        spec["names"] = names
        storage = [v.get("name") for v in spec.get("versions") or [] if v.get("storage")]
        old = obj.get("status") or {}
        stored = list(old.get("storedVersions") or [])
        for v in storage:
            if v not in stored:
                stored.append(v)
        obj["status"] = {
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now,
                 "reason": "NoConflicts", "message": "no conflicts found"},
                {"type": "Established", "status": "True", "lastTransitionTime": now,
                 "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted"}],
            "acceptedNames": names, "storedVersions": stored}

    # -- create ----------------------------------------------------------------
    def create(self, rt, version, ns, body, dry_run=False, applied=None, auto_namespace=False):
        obj = self._prepare(rt, version, ns, body)
        meta = obj["metadata"]
        if meta.get("resourceVersion"):
            raise errors.internal("resourceVersion should not be set on objects to be created")
        gen_name = meta.get("generateName")
        name = meta.get("name")
        if not name and gen_name:
            name = None
        else:
            name = name or ""
            self._validate(rt, obj, name)
        with self.lock:
            if rt.namespaced and not self.namespace_exists(ns):
                if auto_namespace:
                    self._create_namespace(ns)
                else:
                    raise errors.not_found(self.registry.get("", "v1", "namespaces"), ns)
            table = self._table(rt.gr)
            if name is None:
                for _ in range(100):
                    cand = gen_name + "".join(random.choice(_GEN_CHARS) for _ in range(5))
                    if _key_of(rt, ns, cand) not in table:
                        break
                name = cand
                meta["name"] = name
                self._validate(rt, obj, name)
            key = _key_of(rt, ns, name)
            if key in table:
                raise errors.already_exists(rt, name)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_rfc3339()
            meta["generation"] = 1
            meta.pop("deletionTimestamp", None)
            meta.pop("deletionGracePeriodSeconds", None)
            if rt.has_status and not rt.keep_status_on_create:
                if rt.crd_name is not None:
                    obj.pop("status", None)
                else:
                    obj["status"] = {}
            self._defaults_on_create(rt, obj)
            if dry_run:
                meta["resourceVersion"] = ""
                o = canonical(obj)
                return Entry(o, encode(o))
            entry = self._commit(rt, key, obj, "ADDED", None, applied)
            self._after_change(rt, None, entry)
            return entry

    def _create_namespace(self, ns):
        nsrt = self.registry.get("", "v1", "namespaces")
        obj = {"kind": "Namespace", "apiVersion": "v1", "metadata": {
            "name": ns, "uid": str(uuid.uuid4()), "creationTimestamp": now_rfc3339(),
            "generation": 1}}
        self._defaults_on_create(nsrt, obj)
        self._commit(nsrt, ("", ns), obj, "ADDED", None)

    def ensure_default_namespaces(self):
        with self.lock:
            for ns in DEFAULT_NAMESPACES:
                if not self.namespace_exists(ns):
                    self._create_namespace(ns)

    def _after_change(self, rt, old, new):
        """Side effects of committed changes: CRDs (un)register their types."""
        if rt.gr == ("apiextensions.k8s.io", "customresourcedefinitions"):
            if new is not None and new.obj is not None and not (
                    old is not None and new is old):
                name = new.obj["metadata"]["name"]
                self.registry.set_crd(name, resources.from_crd(new.obj))

    # -- update ------------------------------------------------------------------
    def _merge_update(self, rt, old, new, subresource):
        """The object to store when `new` replaces `old` (an Entry)."""
        if subresource == "status":
            result = old.copy_obj()
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
            return result
        meta = new["metadata"]
        ometa = old.obj["metadata"]
        for k in SERVER_META:
            if k in ometa:
                meta[k] = ometa[k]
            else:
                meta.pop(k, None)
        if "managedFields" not in meta and "managedFields" in ometa:
            meta["managedFields"] = ometa["managedFields"]
        if rt.has_status:
            if "status" in old.obj:
                new["status"] = jcopy(old.obj["status"])
            else:
                new.pop("status", None)
        if rt.gr == ("", "services"):
            spec = new.setdefault("spec", {})
            ospec = old.obj.get("spec") or {}
            for k in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
                if k not in spec and k in ospec:
                    spec[k] = jcopy(ospec[k])
            spec.setdefault("type", ospec.get("type", "ClusterIP"))
            oports = {(p.get("port"), p.get("protocol", "TCP")): p
                      for p in ospec.get("ports") or [] if isinstance(p, dict)}
            for p in spec.get("ports") or []:
                if isinstance(p, dict):
                    p.setdefault("protocol", "TCP")
                    if "port" in p:
                        p.setdefault("targetPort", p["port"])
                    op = oports.get((p.get("port"), p.get("protocol")))
                    if op and op.get("nodePort") and not p.get("nodePort") and \
                            spec.get("type") in ("NodePort", "LoadBalancer"):
                        p["nodePort"] = op["nodePort"]
        if rt.gr == ("", "namespaces"):
            labels = dict(meta.get("labels") or {})
            labels["kubernetes.io/metadata.name"] = meta["name"]
            meta["labels"] = labels
            spec = new.get("spec") or {}
            if "finalizers" not in spec:
                new["spec"] = dict(spec, finalizers=list(
                    (old.obj.get("spec") or {}).get("finalizers") or []))
        if rt.gr == ("apiextensions.k8s.io", "customresourcedefinitions"):
            new["status"] = jcopy(old.obj.get("status") or {})
            self._crd_status(new)
        if rt.gr in (("", "configmaps"), ("", "secrets")) and old.obj.get("immutable"):
            fields = ("data", "binaryData", "immutable") if rt.plural == "configmaps" else \
                ("data", "immutable", "type")
            for f in fields:
                if new.get(f) != old.obj.get(f):
                    raise errors.invalid(rt, meta["name"], [(
                        f, "FieldValueForbidden",
                        "Forbidden: field is immutable when `immutable` is set")])
        oldgen = ometa.get("generation")
        if oldgen is not None:
            if _without(new, "metadata", "status", "kind", "apiVersion") != \
                    _without(old.obj, "metadata", "status", "kind", "apiVersion"):
                meta["generation"] = oldgen + 1
        return new

    def _finish(self, rt, key, old, new, dry_run, applied=None):
        """Commits `new` over `old` unless nothing changed. Returns an Entry."""
        new["metadata"]["resourceVersion"] = old.obj["metadata"].get("resourceVersion")
        candidate = canonical(new)
        if candidate == old.obj:
            if applied is not None and applied != old.applied:
                old.applied = applied
            return old
        if dry_run:
            return Entry(candidate, encode(candidate))
        meta = new["metadata"]
        if meta.get("deletionTimestamp") and not meta.get("finalizers"):
            entry = self._commit(rt, key, None, "DELETED", old)
            self._after_delete(rt, old)
            return entry
        entry = self._commit(rt, key, new, "MODIFIED", old, applied)
        self._after_change(rt, old, entry)
        return entry

    def update(self, rt, version, ns, name, body, subresource=None, dry_run=False):
        obj = self._prepare(rt, version, ns, body, url_name=name)
        rv = obj["metadata"].get("resourceVersion")
        uid = obj["metadata"].get("uid")
        with self.lock:
            key = _key_of(rt, ns, name)
            old = self.objects.get(rt.gr, {}).get(key)
            if old is None:
                if rt.create_on_update and subresource is None:
                    obj["metadata"].pop("resourceVersion", None)
                    return self.create(rt, version, ns, obj, dry_run), True
                raise errors.not_found(rt, name)
            if rv and rv != old.obj["metadata"].get("resourceVersion"):
                raise errors.conflict(rt, name)
            if uid and uid != old.obj["metadata"].get("uid"):
                raise errors.conflict(rt, name, "Precondition failed: UID in precondition: %s, "
                                      "UID in object meta: %s" % (old.obj["metadata"].get("uid"), uid))
            if subresource is None:
                self._validate(rt, obj, name, for_update=True)
            new = self._merge_update(rt, old, obj, subresource)
            return self._finish(rt, key, old, new, dry_run), False

    def patch(self, rt, version, ns, name, fn, dry_run=False, subresource=None, apply_info=None):
        """fn(current dict or None) -> patched dict. apply_info is
        (manager, applied config) for server-side apply, which creates the
        object when it does not exist. Returns (Entry, created)."""
        with self.lock:
            key = _key_of(rt, ns, name)
            old = self.objects.get(rt.gr, {}).get(key)
            if old is None:
                if apply_info is None or subresource is not None:
                    raise errors.not_found(rt, name)
                manager, applied = apply_info
                body = fn(None)
                body.setdefault("metadata", {})["name"] = name
                return self.create(rt, version, ns, body, dry_run,
                                   applied={manager: applied}), True
            cur = old.copy_obj()
            if version != rt.storage_version and rt.crd_name is not None:
                cur["apiVersion"] = rt.api_version(version)
            patched = fn(cur)
            if not isinstance(patched, dict):
                raise errors.bad_request("the patched object is not a JSON object")
            pmeta = patched.get("metadata")
            if not isinstance(pmeta, dict):
                raise errors.bad_request("metadata must be an object")
            if pmeta.get("name") != name:
                raise errors.invalid(rt, name, [("metadata.name", "FieldValueInvalid",
                                                 'Invalid value: "%s": field is immutable'
                                                 % (pmeta.get("name") or ""))])
            prv = pmeta.get("resourceVersion")
            if prv and prv != old.obj["metadata"].get("resourceVersion"):
                raise errors.conflict(rt, name)
            if pmeta.get("uid") and pmeta.get("uid") != old.obj["metadata"].get("uid"):
                raise errors.conflict(rt, name, "Precondition failed: UID in precondition: %s, "
                                      "UID in object meta: %s"
                                      % (old.obj["metadata"].get("uid"), pmeta.get("uid")))
            obj = self._prepare(rt, version, ns, patched, url_name=name)
            if subresource is None:
                self._validate(rt, obj, name, for_update=True)
            new = self._merge_update(rt, old, obj, subresource)
            applied = None
            if apply_info is not None:
                applied = dict(old.applied or {})
                applied[apply_info[0]] = apply_info[1]
            return self._finish(rt, key, old, new, dry_run, applied), False

    def update_scale(self, rt, ns, name, replicas, rv=None, dry_run=False):
        spec_path = ".spec.replicas"
        if rt.crd_name is not None:
            spec_path = self._crd_scale(rt).get("specReplicasPath", ".spec.replicas")
        with self.lock:
            key = _key_of(rt, ns, name)
            old = self.get(rt, ns, name)
            if rv and rv != old.obj["metadata"].get("resourceVersion"):
                raise errors.conflict(rt, name)
            new = old.copy_obj()
            _set_path(new, spec_path, replicas)
            ometa = old.obj["metadata"]
            if ometa.get("generation") is not None:
                if _get_path(old.obj, spec_path) != replicas:
                    new["metadata"]["generation"] = ometa["generation"] + 1
            return self._finish(rt, key, old, new, dry_run)

    def _crd_scale(self, rt):
        crds = self.objects.get(("apiextensions.k8s.io", "customresourcedefinitions"), {})
        e = crds.get(("", rt.crd_name))
        if e is None:
            return {}
        for v in (e.obj.get("spec") or {}).get("versions") or []:
            if v.get("name") == rt.version:
                return ((v.get("subresources") or {}).get("scale")) or {}
        return {}

    def scale_of(self, rt, entry):
        obj = entry.obj
        spec_path, status_path, sel_path = ".spec.replicas", ".status.replicas", None
        if rt.crd_name is not None:
            sc = self._crd_scale(rt)
            spec_path = sc.get("specReplicasPath", spec_path)
            status_path = sc.get("statusReplicasPath", status_path)
            sel_path = sc.get("labelSelectorPath")
        m = obj["metadata"]
        scale = {"kind": "Scale", "apiVersion": "autoscaling/v1",
                 "metadata": {k: m[k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                "creationTimestamp") if k in m},
                 "spec": {}, "status": {"replicas": _get_path(obj, status_path) or 0}}
        reps = _get_path(obj, spec_path)
        if reps is not None:
            scale["spec"]["replicas"] = reps
        if sel_path:
            sel = _get_path(obj, sel_path)
            if sel:
                scale["status"]["selector"] = sel
        else:
            sel = (obj.get("spec") or {}).get("selector") or {}
            ml = sel.get("matchLabels") or {}
            if ml:
                scale["status"]["selector"] = ",".join("%s=%s" % kv for kv in sorted(ml.items()))
        return scale

    # -- delete ------------------------------------------------------------------
    def delete(self, rt, ns, name, opts, dry_run=False):
        """Returns (Entry, deleted_now). opts: the DeleteOptions dict."""
        with self.lock:
            key = _key_of(rt, ns, name)
            old = self.get(rt, ns, name)
            self._check_preconditions(rt, name, old, opts)
            if dry_run:
                return old, True
            return self._delete_locked(rt, key, old, opts)

    @staticmethod
    def _check_preconditions(rt, name, old, opts):
        pre = (opts or {}).get("preconditions") or {}
        m = old.obj["metadata"]
        if pre.get("uid") and pre["uid"] != m.get("uid"):
            raise errors.conflict(rt, name, "Precondition failed: UID in precondition: %s, UID "
                                  "in object meta: %s" % (pre["uid"], m.get("uid")))
        if pre.get("resourceVersion") and pre["resourceVersion"] != m.get("resourceVersion"):
            raise errors.conflict(rt, name, "Precondition failed: ResourceVersion in "
                                  "precondition: %s, ResourceVersion in object meta: %s"
                                  % (pre["resourceVersion"], m.get("resourceVersion")))

    def _delete_locked(self, rt, key, old, opts):
        meta = old.obj["metadata"]
        policy = (opts or {}).get("propagationPolicy")
        if policy is None and (opts or {}).get("orphanDependents") is True:
            policy = "Orphan"
        finalizers = list(meta.get("finalizers") or [])
        if policy == "Foreground" and "foregroundDeletion" not in finalizers and \
                self.owners.get(meta.get("uid")):
            pass  # dependents are removed synchronously below; no finalizer needed
        if finalizers and rt.gr != ("", "namespaces"):
            if meta.get("deletionTimestamp"):
                return old, False
            new = old.copy_obj()
            new["metadata"]["deletionTimestamp"] = now_rfc3339()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            entry = self._commit(rt, key, new, "MODIFIED", old)
            return entry, False
        if rt.gr == ("", "namespaces"):
            self._delete_namespace_contents(key[1])
        self._cascade(meta.get("uid"), policy)
        entry = self._commit(rt, key, None, "DELETED", old)
        self._after_delete(rt, old)
        return entry, True

    def _cascade(self, uid, policy):
        deps = list(self.owners.get(uid) or ())
        for gr, dkey in deps:
            drt = self.registry.by_group_resource(*gr)
            dep = self.objects.get(gr, {}).get(dkey)
            if drt is None or dep is None:
                continue
            if policy == "Orphan":
                new = dep.copy_obj()
                refs = [r for r in new["metadata"].get("ownerReferences") or []
                        if r.get("uid") != uid]
                if refs:
                    new["metadata"]["ownerReferences"] = refs
                else:
                    new["metadata"].pop("ownerReferences", None)
                self._commit(drt, dkey, new, "MODIFIED", dep)
            else:
                refs = dep.obj["metadata"].get("ownerReferences") or []
                if any(r.get("uid") != uid for r in refs):
                    # other owners keep it alive: just drop this reference
                    new = dep.copy_obj()
                    new["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                    self._commit(drt, dkey, new, "MODIFIED", dep)
                else:
                    self._delete_locked(drt, dkey, dep, {"propagationPolicy": policy})

    def _delete_namespace_contents(self, ns):
        for gr in list(self.objects):
            rt = self.registry.by_group_resource(*gr)
            if rt is None or not rt.namespaced:
                continue
            keys = self.keys[gr]
            lo = bisect.bisect_left(keys, (ns,))
            hi = bisect.bisect_left(keys, (ns + "\x00",))
            for key in list(keys[lo:hi]):
                e = self.objects[gr].get(key)
                if e is not None:
                    self._commit(rt, key, None, "DELETED", e)

    def _after_delete(self, rt, old):
        if rt.gr == ("apiextensions.k8s.io", "customresourcedefinitions"):
            spec = old.obj.get("spec") or {}
            gr = (spec.get("group"), (spec.get("names") or {}).get("plural"))
            crt = self.registry.by_group_resource(*gr)
            if crt is not None and gr in self.objects:
                for key in list(self.keys.get(gr, [])):
                    e = self.objects[gr].get(key)
                    if e is not None:
                        self._commit(crt, key, None, "DELETED", e)
            self.registry.set_crd(old.obj["metadata"]["name"], [])

    # -- watch -------------------------------------------------------------------
    def start_watch(self, rt, rv, initial):
        """Registers a watcher. Returns (initial entries, past events, watcher,
        current rv). initial=True: synthetic ADDED events for every current
        object come first. Otherwise events after rv are replayed from the
        history (410 when it no longer reaches back that far)."""
        with self.lock:
            gr = rt.gr
            entries = []
            past = []
            if initial:
                table = self.objects.get(gr, {})
                entries = [table[k] for k in self.keys.get(gr, [])]
            else:
                try:
                    r = int(rv)
                except ValueError:
                    raise errors.bad_request('invalid resource version "%s"' % rv) from None
                if r < self.floor:
                    raise errors.gone("too old resource version: %d (%d)" % (r, self.floor + 1))
                for ev in reversed(self.history):
                    if ev.rv <= r:
                        break
                    if ev.gr == gr:
                        past.append(ev)
                past.reverse()
            w = Watcher(gr)
            self.watchers.setdefault(gr, set()).add(w)
            return entries, past, w, self.rv

    def stop_watch(self, w):
        with self.lock:
            s = self.watchers.get(w.gr)
            if s is not None:
                s.discard(w)

    def watcher_count(self):
        with self.lock:
            return sum(len(s) for s in self.watchers.values())

    def quiet_rv(self, w):
        """The current resourceVersion if every event up to it has reached w's
        queue and been taken out, else None (a bookmark must not overtake
        events still queued)."""
        with self.lock:
            if w.q.empty():
                return self.rv
            return None

    # -- persistence ---------------------------------------------------------------
    def dump(self):
        """The whole state as JSON bytes (objects keep uid, resourceVersion
        and timestamps)."""
        with self.lock:
            rv = self.rv
            crd_gr = ("apiextensions.k8s.io", "customresourcedefinitions")
            order = sorted(self.objects, key=lambda gr: (gr != ("", "namespaces"), gr != crd_gr, gr))
            raws = []
            for gr in order:
                t = self.objects[gr]
                raws.extend(t[k].raw for k in self.keys[gr])
        return (b'{"kind":"FakeAPIServerState","resourceVersion":"%d","objects":[\n' % rv
                + b",\n".join(raws) + b"\n]}\n")

    def restore(self, data):
        """Loads a dump() result into an empty store."""
        doc = json.loads(data)
        objs = doc.get("objects") or []
        with self.lock:
            maxrv = int(doc.get("resourceVersion") or 0)
            pending = []
            for o in objs:
                av, kind = o.get("apiVersion", ""), o.get("kind", "")
                if kind == "CustomResourceDefinition":
                    self.registry.set_crd(o["metadata"]["name"], resources.from_crd(o))
                pending.append(o)
            for o in pending:
                rt = self.type_for(o.get("apiVersion", ""), o.get("kind", ""))
                if rt is None:
                    raise ValueError("state file: no served resource for %s %s"
                                     % (o.get("apiVersion"), o.get("kind")))
                m = o.get("metadata") or {}
                key = _key_of(rt, m.get("namespace", ""), m.get("name", ""))
                obj = canonical(o)
                e = Entry(obj, encode(obj))
                table = self._table(rt.gr)
                if key not in table:
                    bisect.insort(self.keys[rt.gr], key)
                table[key] = e
                self._index_owners(rt.gr, key, None, obj)
                if rt.gr == ("", "services"):
                    ip = (obj.get("spec") or {}).get("clusterIP")
                    if ip:
                        self.used_ips.add(ip)
                try:
                    maxrv = max(maxrv, int(m.get("resourceVersion") or 0))
                except ValueError:
                    pass
            self.rv = maxrv
            self.floor = maxrv

    def type_for(self, api_version, kind):
        if "/" in api_version:
            group, version = api_version.split("/", 1)
        else:
            group, version = "", api_version
        for rt in self.registry.all_types():
            if rt.group == group and rt.version == version and rt.kind == kind:
                return rt
        return None


class Persister(threading.Thread):
    """Writes the store to a file atomically (temporary file in the same
    directory, fsync, rename, fsync of the directory), at most every
    `interval` seconds while changes come in, and once more on stop()."""

    def __init__(self, store, path, interval=0.05):
        super().__init__(name="persister", daemon=True)
        self.store = store
        self.path = path
        self.interval = interval
        self.stopping = False
        self.saved = -1

    def run(self):
        while True:
            with self.store.changed:
                if not self.stopping and self.store.generation_count == self.saved:
                    self.store.changed.wait(1.0)
            if self.stopping:
                return
            if self.store.generation_count != self.saved:
                self.save()
                time.sleep(self.interval)  # changes in the next interval share one write

    def save(self):
        gen = self.store.generation_count
        data = self.store.dump()
        write_atomic(self.path, data)
        self.saved = gen

    def stop(self):
        self.stopping = True
        with self.store.changed:
            self.store.changed.notify_all()
        self.join(5)
        self.save()


def write_atomic(path, data, mode=0o600):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
