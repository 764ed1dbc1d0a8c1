"""metav1.Status errors, worded as the real API server words them."""

__all__ = ["APIError", "status_body", "not_found", "already_exists", "conflict",
           "invalid", "bad_request", "method_not_allowed", "gone", "unsupported_media_type",
           "unauthorized", "forbidden", "internal", "too_many_requests"]


def status_body(code, reason, message, details=None, status="Failure"):
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": status,
            "message": message}
    if reason:
        body["reason"] = reason
    if details:
        body["details"] = details
    body["code"] = code
    return body


class APIError(Exception):
    """An error that becomes a Status response. headers: extra HTTP headers."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self):
        return status_body(self.code, self.reason, self.message, self.details)


def _details(name, rt, extra=None):
    d = {}
    if name:
        d["name"] = name
    if rt is not None:
        if rt.group:
            d["group"] = rt.group
        d["kind"] = rt.plural
    if extra:
        d.update(extra)
    return d


def qualified(rt):
    """"configmaps", "deployments.apps": how messages name a resource."""
    return rt.plural + ("." + rt.group if rt.group else "")


def not_found(rt, name):
    return APIError(404, "NotFound", '%s "%s" not found' % (qualified(rt), name),
                    _details(name, rt))


def already_exists(rt, name):
    return APIError(409, "AlreadyExists", '%s "%s" already exists' % (qualified(rt), name),
                    _details(name, rt))


def conflict(rt, name, why=None):
    why = why or ("the object has been modified; please apply your changes to the "
                  "latest version and try again")
    return APIError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": %s' % (qualified(rt), name, why),
                    _details(name, rt))


def invalid(rt, name, causes):
    """causes: list of (field, cause-reason, message) where message is the
    text after the field, e.g. 'Invalid value: "x": must be ...'."""
    kind = rt.kind if rt is not None else "Object"
    msgs = ["%s: %s" % (f, m) if f else m for f, _, m in causes]
    if len(msgs) == 1:
        text = msgs[0]
    else:
        text = "[" + ", ".join(msgs) + "]"
    d = {"name": name, "kind": kind}
    if rt is not None and rt.group:
        d = {"name": name, "group": rt.group, "kind": kind}
    d["causes"] = [{"reason": r, "message": m, "field": f} for f, r, m in causes]
    return APIError(422, "Invalid", '%s "%s" is invalid: %s' % (kind, name, text), d)


def bad_request(message):
    return APIError(400, "BadRequest", message)


def method_not_allowed(message=None):
    return APIError(405, "MethodNotAllowed",
                    message or "the server does not allow this method on the requested resource")


def gone(message):
    return APIError(410, "Expired", message)


def unsupported_media_type(message):
    return APIError(415, "UnsupportedMediaType", message)


def unauthorized():
    return APIError(401, "Unauthorized", "Unauthorized")


def forbidden(message):
    return APIError(403, "Forbidden", message)


def internal(message):
    return APIError(500, "InternalError",
                    "Internal error occurred: %s" % message,
                    {"causes": [{"message": message}]})


def too_many_requests(retry_after):
    return APIError(429, "TooManyRequests", "Too many requests, please try again later.",
                    {"retryAfterSeconds": retry_after},
                    headers={"Retry-After": str(retry_after)})
