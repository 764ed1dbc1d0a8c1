"""Label and field selectors, with the grammar of k8s.io/apimachinery.

Label selectors: comma-separated requirements `k`, `!k`, `k=v`, `k==v`,
`k!=v`, `k in (a,b)`, `k notin (a,b)`, `k>n`, `k<n`.
Field selectors: `path=v`, `path==v`, `path!=v` (values may escape `\\,`,
`\\=` and `\\\\`); which paths are allowed depends on the resource.
"""

import re

__all__ = ["SelectorError", "parse_labels", "parse_fields", "match_labels", "match_fields",
           "field_value"]


class SelectorError(ValueError):
    pass


_SPECIAL = set(" \t,=!()<>")
_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                     r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VAL_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _tokens(s):
    toks = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c in " \t":
            i += 1
        elif c in ",()<>":
            toks.append(c)
            i += 1
        elif c == "=":
            if s.startswith("==", i):
                toks.append("==")
                i += 2
            else:
                toks.append("=")
                i += 1
        elif c == "!":
            if s.startswith("!=", i):
                toks.append("!=")
                i += 2
            else:
                toks.append("!")
                i += 1
        else:
            j = i
            while j < n and s[j] not in _SPECIAL:
                j += 1
            word = s[i:j]
            toks.append(("id", word))
            i = j
    return toks


def parse_labels(s):
    """Returns a list of (key, op, values) requirements. Raises SelectorError."""
    if s is None or s.strip() == "":
        return []
    toks = _tokens(s)
    reqs = []
    i = 0

    def ident(what):
        nonlocal i
        if i >= len(toks) or not isinstance(toks[i], tuple):
            found = "" if i >= len(toks) else toks[i]
            raise SelectorError("unable to parse requirement: found '%s', expected: %s"
                                % (found, what))
        v = toks[i][1]
        i += 1
        return v

    while True:
        neg = False
        if i < len(toks) and toks[i] == "!":
            neg = True
            i += 1
        key = ident("identifier")
        if neg:
            op, vals = "!", ()
        elif i >= len(toks) or toks[i] == ",":
            op, vals = "exists", ()
        else:
            t = toks[i]
            i += 1
            if t in ("=", "==", "!="):
                op = "!=" if t == "!=" else "="
                if i < len(toks) and isinstance(toks[i], tuple):
                    vals = (toks[i][1],)
                    i += 1
                else:
                    vals = ("",)
            elif t in ("<", ">"):
                v = ident("integer value")
                try:
                    int(v)
                except ValueError:
                    raise SelectorError("unable to parse requirement: for 'Gt', 'Lt' operators, "
                                        "the value must be an integer") from None
                op, vals = t, (v,)
            elif isinstance(t, tuple) and t[1] in ("in", "notin"):
                op = t[1]
                if i >= len(toks) or toks[i] != "(":
                    raise SelectorError("unable to parse requirement: found '%s', expected: '('"
                                        % (toks[i] if i < len(toks) else ""))
                i += 1
                vals = []
                while True:
                    if i < len(toks) and isinstance(toks[i], tuple):
                        vals.append(toks[i][1])
                        i += 1
                    else:
                        vals.append("")
                    if i < len(toks) and toks[i] == ",":
                        i += 1
                        continue
                    if i < len(toks) and toks[i] == ")":
                        i += 1
                        break
                    raise SelectorError("unable to parse requirement: found '%s', expected: ',', ')'"
                                        % (toks[i] if i < len(toks) else ""))
                vals = tuple(v for v in vals if v != "" or len(vals) == 1)
            else:
                raise SelectorError("unable to parse requirement: found '%s', expected: "
                                    "in, notin, =, ==, !=, gt, lt" % (t[1] if isinstance(t, tuple) else t))
        if not _KEY_RE.match(key) or len(key.split("/")[-1]) > 63:
            raise SelectorError('unable to parse requirement: <nil>: Invalid value: "%s": name part '
                                "must consist of alphanumeric characters, '-', '_' or '.', and "
                                "must start and end with an alphanumeric character" % key)
        for v in vals:
            if op not in ("<", ">") and (len(v) > 63 or not _VAL_RE.match(v)):
                raise SelectorError('unable to parse requirement: values[0][%s]: Invalid value: '
                                    '"%s": a valid label must be an empty string or consist of '
                                    "alphanumeric characters, '-', '_' or '.', and must start "
                                    "and end with an alphanumeric character" % (key, v))
        reqs.append((key, op, frozenset(vals) if op in ("in", "notin") else vals))
        if i >= len(toks):
            break
        if toks[i] != ",":
            raise SelectorError("unable to parse requirement: found '%s', expected: ','"
                                % (toks[i][1] if isinstance(toks[i], tuple) else toks[i]))
        i += 1
    return reqs


def match_labels(reqs, labels):
    if not reqs:
        return True
    labels = labels or {}
    for key, op, vals in reqs:
        has = key in labels
        if op == "exists":
            if not has:
                return False
        elif op == "!":
            if has:
                return False
        elif op == "=":
            if not has or labels[key] != vals[0]:
                return False
        elif op == "!=":
            if has and labels[key] == vals[0]:
                return False
        elif op == "in":
            if not has or labels[key] not in vals:
                return False
        elif op == "notin":
            if has and labels[key] in vals:
                return False
        elif op in ("<", ">"):
            if not has:
                return False
            try:
                lv = int(labels[key])
            except ValueError:
                return False
            if op == ">" and not lv > int(vals[0]):
                return False
            if op == "<" and not lv < int(vals[0]):
                return False
    return True


def _split_unescaped(s, sep):
    parts = []
    cur = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i:i + 2])
            i += 2
            continue
        if c == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(v):
    out = []
    i = 0
    while i < len(v):
        if v[i] == "\\" and i + 1 < len(v):
            if v[i + 1] not in "\\,=":
                raise SelectorError("invalid field selector: invalid escape sequence: \\%s" % v[i + 1])
            out.append(v[i + 1])
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def parse_fields(s):
    """Returns a list of (path, op, value) with op "=" or "!="."""
    if s is None or s.strip() == "":
        return []
    reqs = []
    for part in _split_unescaped(s, ","):
        part = part.strip()
        if not part:
            continue
        m = None
        for op in ("!=", "==", "="):
            k = _find_unescaped(part, op)
            if k >= 0:
                m = (part[:k].strip(), "!=" if op == "!=" else "=", part[k + len(op):].strip())
                break
        if m is None:
            raise SelectorError("invalid field selector: '%s'" % part)
        reqs.append((m[0], m[1], _unescape(m[2])))
    return reqs


def _find_unescaped(s, op):
    i = 0
    while i < len(s):
        if s[i] == "\\":
            i += 2
            continue
        if s.startswith(op, i):
            return i
        i += 1
    return -1


def field_value(obj, path):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(p)
        if cur is None:
            return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    if isinstance(cur, (dict, list)):
        return ""
    return str(cur)


def match_fields(reqs, obj):
    for path, op, val in reqs:
        if path == "source":
            got = field_value(obj, "source.component")
        else:
            got = field_value(obj, path)
        if (got == val) != (op == "="):
            return False
    return True
