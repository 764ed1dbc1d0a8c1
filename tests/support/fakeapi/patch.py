"""Patch application: JSON merge patch (RFC 7386), JSON patch (RFC 6902),
strategic merge patch, and the field-removal part of server-side apply.

Strategic merge patch is merge patch plus: lists whose Go type declares a
merge key are merged element by element on that key (MERGE_KEYS), lists of
strings declared as merge lists are unioned (finalizers), and the directives
kubectl sends are honoured: "$patch": replace|delete|merge (in maps and list
elements), "$retainKeys", "$setElementOrder/<list>" and
"$deleteFromPrimitiveList/<list>". Other lists are replaced atomically.
"""

import copy

__all__ = ["PatchError", "merge_patch", "strategic_merge_patch", "json_patch",
           "apply_patch", "strip_directives"]


class PatchError(ValueError):
    def __init__(self, message, code=422):
        super().__init__(message)
        self.code = code


# list field name -> merge key, from the patchMergeKey tags of k8s.io/api.
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "volumes": "name", "imagePullSecrets": "name", "hostAliases": "ip", "env": "name",
    "volumeMounts": "mountPath", "volumeDevices": "devicePath", "ownerReferences": "uid",
    "conditions": "type", "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name", "schedulingGates": "name", "resizePolicy": "resourceName",
}
PRIMITIVE_MERGE = {"finalizers"}
_DELETE = object()


def _merge_key(field, items):
    if field == "ports":
        # container ports merge on containerPort, service ports on port
        for it in items:
            if isinstance(it, dict):
                if "containerPort" in it:
                    return "containerPort"
                if "port" in it:
                    return "port"
        return "port"
    return MERGE_KEYS.get(field)


def merge_patch(target, patch):
    """RFC 7386. Returns a new value; inputs are not modified."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            out[k] = merge_patch(out.get(k), v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def strip_directives(v):
    if isinstance(v, dict):
        return {k: strip_directives(x) for k, x in v.items()
                if not (k.startswith("$patch") or k.startswith("$retainKeys")
                        or k.startswith("$setElementOrder/")
                        or k.startswith("$deleteFromPrimitiveList/"))}
    if isinstance(v, list):
        return [strip_directives(x) for x in v
                if not (isinstance(x, dict) and x.get("$patch") == "delete")]
    return v


def strategic_merge_patch(target, patch, merge_lists=True):
    """merge_lists=False degrades to merge patch semantics for lists (used
    for custom resources, whose lists are atomic here)."""
    res = _smp(target, patch, merge_lists)
    return {} if res is _DELETE else res


def _smp(orig, patch, ml):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return _DELETE
    if directive == "replace":
        return strip_directives(patch)
    if directive not in (None, "merge"):
        raise PatchError('unknown patch type "%s" found' % directive, 400)
    out = dict(orig) if isinstance(orig, dict) else {}
    orders = {}
    for k, v in patch.items():
        if k in ("$patch", "$retainKeys"):
            continue
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            cur = out.get(field)
            if isinstance(cur, list) and isinstance(v, list):
                out[field] = [x for x in cur if x not in v]
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            sub = _smp(out.get(k), v, ml)
            if sub is _DELETE:
                out.pop(k, None)
            else:
                out[k] = sub
        elif isinstance(v, list):
            out[k] = _merge_list(k, out.get(k), v, ml) if ml else strip_directives(v)
        else:
            out[k] = v
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        keep = set(retain)
        for k in list(out):
            if k not in keep and k not in patch:
                out.pop(k)
    for field, order in orders.items():
        if isinstance(out.get(field), list) and isinstance(order, list):
            out[field] = _reorder(field, out[field], order)
    return out


def _merge_list(field, orig, patch, ml):
    orig = orig if isinstance(orig, list) else []
    if field in PRIMITIVE_MERGE and all(not isinstance(x, dict) for x in patch):
        out = list(orig)
        for x in patch:
            if x not in out:
                out.append(x)
        return out
    key = _merge_key(field, patch + orig)
    if key is None or not all(isinstance(x, dict) for x in patch):
        return strip_directives(patch)
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return strip_directives([x for x in patch if x.get("$patch") != "replace"])
    out = [copy.deepcopy(x) for x in orig]
    for item in patch:
        d = item.get("$patch")
        kv = item.get(key)
        idx = next((i for i, o in enumerate(out) if isinstance(o, dict) and o.get(key) == kv
                    and key in o), None)
        if d == "delete":
            if idx is not None:
                out.pop(idx)
            continue
        if idx is None:
            out.append(strip_directives(item))
        else:
            merged = _smp(out[idx], item, ml)
            if merged is _DELETE:
                out.pop(idx)
            else:
                out[idx] = merged
    return out


def _reorder(field, items, order):
    if all(not isinstance(x, dict) for x in order):
        rank = {x: i for i, x in enumerate(order) if isinstance(x, (str, int, float, bool))}
        return sorted(items, key=lambda x: rank.get(x, len(rank)))
    key = _merge_key(field, order + items)
    if key is None:
        return items
    rank = {}
    for i, o in enumerate(order):
        if isinstance(o, dict) and key in o:
            rank[_hashable(o[key])] = i
    indexed = list(enumerate(items))
    indexed.sort(key=lambda p: (rank.get(_hashable(p[1].get(key)) if isinstance(p[1], dict)
                                         else None, len(rank) + p[0]), p[0]))
    return [x for _, x in indexed]


def _hashable(v):
    return v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)


# -- JSON patch ------------------------------------------------------------

def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError('invalid JSON pointer "%s"' % path, 400)
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc, parts, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict):
            if p not in cur:
                raise PatchError("doc is missing path: \"%s\": missing value" % path)
            cur = cur[p]
        elif isinstance(cur, list):
            try:
                cur = cur[int(p)]
            except (ValueError, IndexError):
                raise PatchError("doc is missing path: \"%s\": missing value" % path) from None
        else:
            raise PatchError("doc is missing path: \"%s\": missing value" % path)
    return cur


def _get(doc, path):
    parts = _pointer(path)
    if not parts:
        return doc
    par = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(par, dict):
        if last not in par:
            raise PatchError("doc is missing path: \"%s\": missing value" % path)
        return par[last]
    if isinstance(par, list):
        try:
            return par[int(last)]
        except (ValueError, IndexError):
            raise PatchError("doc is missing path: \"%s\": missing value" % path) from None
    raise PatchError("doc is missing path: \"%s\": missing value" % path)


def _add(doc, path, value):
    parts = _pointer(path)
    if not parts:
        return value
    par = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(par, dict):
        par[last] = value
    elif isinstance(par, list):
        if last == "-":
            par.append(value)
        else:
            try:
                i = int(last)
            except ValueError:
                raise PatchError("add operation: invalid index \"%s\"" % last) from None
            if i < 0 or i > len(par):
                raise PatchError("add operation does not apply: doc is missing path: \"%s\": "
                                 "missing value" % path)
            par.insert(i, value)
    else:
        raise PatchError("add operation does not apply: doc is missing path: \"%s\": "
                         "missing value" % path)
    return doc


def _remove(doc, path):
    parts = _pointer(path)
    if not parts:
        raise PatchError("remove operation does not apply: cannot remove the whole document")
    par = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(par, dict):
        if last not in par:
            raise PatchError("remove operation does not apply: doc is missing path: \"%s\": "
                             "missing value" % path)
        return par.pop(last)
    if isinstance(par, list):
        try:
            return par.pop(int(last))
        except (ValueError, IndexError):
            raise PatchError("remove operation does not apply: doc is missing path: \"%s\": "
                             "missing value" % path) from None
    raise PatchError("remove operation does not apply: doc is missing path: \"%s\": "
                     "missing value" % path)


def json_patch(doc, ops):
    if not isinstance(ops, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch", 400)
    doc = copy.deepcopy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise PatchError("Unexpected kind: unknown", 400)
        kind = op["op"]
        path = op.get("path")
        if not isinstance(path, str):
            raise PatchError("%s operation missing path" % kind, 400)
        if kind == "add":
            if "value" not in op:
                raise PatchError("add operation missing value", 400)
            doc = _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            if "value" not in op:
                raise PatchError("replace operation missing value", 400)
            _get(doc, path)
            parts = _pointer(path)
            if not parts:
                doc = copy.deepcopy(op["value"])
            else:
                par = _parent(doc, parts, path)
                if isinstance(par, list):
                    par[int(parts[-1])] = copy.deepcopy(op["value"])
                else:
                    par[parts[-1]] = copy.deepcopy(op["value"])
        elif kind == "move":
            frm = op.get("from")
            if not isinstance(frm, str):
                raise PatchError("move operation missing from", 400)
            v = _remove(doc, frm)
            doc = _add(doc, path, v)
        elif kind == "copy":
            frm = op.get("from")
            if not isinstance(frm, str):
                raise PatchError("copy operation missing from", 400)
            doc = _add(doc, path, copy.deepcopy(_get(doc, frm)))
        elif kind == "test":
            try:
                got = _get(doc, path)
            except PatchError:
                got = None
            if got != op.get("value"):
                raise PatchError("testing value %s failed: test failed" % path)
        else:
            raise PatchError("Unexpected kind: %s" % kind, 400)
    return doc


# -- server-side apply ---------------------------------------------------------

def _removals(prev, new, ml, field=None):
    """A patch that, on top of `new`, removes what `prev` (this manager's last
    applied configuration) set and `new` no longer sets."""
    if isinstance(prev, dict) and isinstance(new, dict):
        out = {}
        for k, v in new.items():
            if isinstance(v, dict):
                out[k] = _removals(prev.get(k), v, ml, k)
            elif isinstance(v, list):
                out[k] = _removals(prev.get(k), v, ml, k)
            else:
                out[k] = v
        for k in prev:
            if k not in new:
                out[k] = None
        return out
    if isinstance(new, list):
        if not ml:
            return new
        key = _merge_key(field, [x for x in new + (prev if isinstance(prev, list) else [])])
        if key is None or not all(isinstance(x, dict) for x in new):
            return new
        out = []
        prev_items = {}
        if isinstance(prev, list):
            for x in prev:
                if isinstance(x, dict) and key in x:
                    prev_items[_hashable(x[key])] = x
        for x in new:
            out.append(_removals(prev_items.get(_hashable(x.get(key))), x, ml, None))
        new_keys = {_hashable(x.get(key)) for x in new}
        for k, x in prev_items.items():
            if k not in new_keys:
                out.append({key: x[key], "$patch": "delete"})
        return out
    return new


def apply_patch(live, applied, prev_applied, merge_lists=True):
    """Server-side apply, simplified: the applied configuration is merged into
    the live object (strategic merge rules), and fields this manager applied
    last time but no longer applies are removed. Ownership conflicts with
    other managers are not detected."""
    patch = _removals(prev_applied or {}, applied, merge_lists)
    return strategic_merge_patch(live or {}, patch, merge_lists)
