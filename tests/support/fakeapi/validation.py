"""Object validation with the API server's wording (k8s.io/apimachinery
pkg/util/validation and apimachinery/pkg/api/validation). Every function
returns a list of causes (field, reason, message) for errors.invalid()."""

import re

__all__ = ["validate_name", "validate_meta", "validate_data_keys", "DNS1123_SUBDOMAIN_RE"]

_SUB = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_1035 = r"[a-z]([-a-z0-9]*[a-z0-9])?"
_QNAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LVAL = r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
_CFGKEY = r"[-._a-zA-Z0-9]+"

DNS1123_SUBDOMAIN_RE = re.compile("^" + _SUB + "$")
_LABEL_RE = re.compile("^" + _LABEL + "$")
_1035_RE = re.compile("^" + _1035 + "$")
_QNAME_RE = re.compile("^" + _QNAME + "$")
_LVAL_RE = re.compile("^" + _LVAL + "$")
_CFGKEY_RE = re.compile("^" + _CFGKEY + "$")

MSG_SUB = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
           "'-' or '.', and must start and end with an alphanumeric character (e.g. "
           "'example.com', regex used for validation is '%s')" % _SUB)
MSG_LABEL = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
             "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
             "'123-abc', regex used for validation is '%s')" % _LABEL)
MSG_1035 = ("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
            "with an alphabetic character, and end with an alphanumeric character (e.g. "
            "'my-name',  or 'abc-123', regex used for validation is '%s')" % _1035)
MSG_QNAME = ("name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
             "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
             "'123-abc', regex used for validation is '%s')" % _QNAME)
MSG_LVAL = ("a valid label must be an empty string or consist of alphanumeric characters, '-', "
            "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',"
            "  or 'my_value',  or '12345', regex used for validation is '%s')" % _LVAL)
MSG_CFGKEY = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "
              "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '%s')"
              % _CFGKEY)


def _q(v):
    """Go's %q for a string, close enough for error messages."""
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _inv(field, value, msg):
    return (field, "FieldValueInvalid", "Invalid value: %s: %s" % (_q(value), msg))


def name_errors(rule, name):
    """Messages (without field) for a name under a naming rule."""
    if rule == "path":
        errs = []
        if name in (".", ".."):
            errs.append("may not be '%s'" % name)
        for ch in ("/", "%"):
            if ch in name:
                errs.append("may not contain '%s'" % ch)
        return errs
    if rule == "label":
        errs = []
        if len(name) > 63:
            errs.append("must be no more than 63 characters")
        if not _LABEL_RE.match(name):
            errs.append(MSG_LABEL)
        return errs
    if rule == "dns1035":
        errs = []
        if len(name) > 63:
            errs.append("must be no more than 63 characters")
        if not _1035_RE.match(name):
            errs.append(MSG_1035)
        return errs
    errs = []
    if len(name) > 253:
        errs.append("must be no more than 253 characters")
    if not DNS1123_SUBDOMAIN_RE.match(name):
        errs.append(MSG_SUB)
    return errs


def validate_name(rule, name, field="metadata.name"):
    return [_inv(field, name, m) for m in name_errors(rule, name)]


def _qualified_name_errors(key):
    errs = []
    parts = key.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            if len(prefix) > 253:
                errs.append("prefix part must be no more than 253 characters")
            if not DNS1123_SUBDOMAIN_RE.match(prefix):
                errs.append("prefix part " + MSG_SUB)
    else:
        return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and "
                "must start and end with an alphanumeric character (e.g. 'MyName',  or "
                "'my.name',  or '123-abc', regex used for validation is '%s') with an optional "
                "DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" % _QNAME]
    if not name:
        errs.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errs.append("name part must be no more than 63 characters")
        if not _QNAME_RE.match(name):
            errs.append(MSG_QNAME)
    return errs


def validate_meta(meta):
    errs = []
    labels = meta.get("labels")
    if labels is not None and not isinstance(labels, dict):
        errs.append(("metadata.labels", "FieldValueInvalid", "Invalid value: must be a map"))
        labels = {}
    for k, v in (labels or {}).items():
        for m in _qualified_name_errors(k):
            errs.append(_inv("metadata.labels", k, m))
        if not isinstance(v, str):
            errs.append(("metadata.labels", "FieldValueInvalid",
                         "Invalid value: label values must be strings"))
            continue
        if len(v) > 63:
            errs.append(_inv("metadata.labels", v, "must be no more than 63 characters"))
        if not _LVAL_RE.match(v):
            errs.append(_inv("metadata.labels", v, MSG_LVAL))
    ann = meta.get("annotations")
    if ann is not None and not isinstance(ann, dict):
        errs.append(("metadata.annotations", "FieldValueInvalid", "Invalid value: must be a map"))
        ann = {}
    total = 0
    for k, v in (ann or {}).items():
        for m in _qualified_name_errors(k.lower()):
            errs.append(_inv("metadata.annotations", k, m))
        total += len(k) + len(v if isinstance(v, str) else str(v))
    if total > 256 * 1024:
        errs.append(("metadata.annotations", "FieldValueTooLong",
                     "Too long: must have at most 262144 bytes"))
    return errs


def validate_data_keys(obj, fields=("data", "binaryData")):
    errs = []
    seen = set()
    for f in fields:
        d = obj.get(f)
        if d is None:
            continue
        if not isinstance(d, dict):
            errs.append((f, "FieldValueInvalid", "Invalid value: must be a map"))
            continue
        for k in d:
            if len(k) > 253:
                errs.append(_inv("%s[%s]" % (f, k), k, "must be no more than 253 characters"))
            if not _CFGKEY_RE.match(k):
                errs.append(_inv("%s[%s]" % (f, k), k, MSG_CFGKEY))
            if k in seen and f == "binaryData":
                errs.append(_inv("%s[%s]" % (f, k), k, "duplicate of key present in data"))
            seen.add(k)
    return errs
