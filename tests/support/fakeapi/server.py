"""The HTTP side: routing, content negotiation, authentication, watches and
fault injection, on http.server's ThreadingHTTPServer (one thread per
connection, HTTP/1.1 keep-alive, chunked transfer for watch streams)."""

import base64
import collections
import itertools
import json
import queue
import random
import re
import select
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import errors, patch as patchmod, protobuf, selection, tables, yamlsub
from .errors import APIError
from .store import encode

__all__ = ["App", "Faults", "make_server"]

JSON = "application/json"
PROTOBUF = "application/vnd.kubernetes.protobuf"
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json", "application/apply-patch+yaml")
MAX_BODY = 3 * 1024 * 1024 + 1024
VERSION_INFO = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.0",
    "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53", "gitTreeState": "clean",
    "buildDate": "2024-12-11T17:59:15Z", "goVersion": "go1.23.3", "compiler": "gc",
    "platform": "linux/amd64",
}
# An empty openapi_v2.Document in protobuf form except for swagger="2.0" and
# info {title, version}: what kubectl needs to validate `kind: List` files.
OPENAPI_V2_PB = (b"\x0a\x032.0" + b"\x12" + bytes([len(b"\x0a\x0aKubernetes\x12\x07v1.32.0")])
                 + b"\x0a\x0aKubernetes\x12\x07v1.32.0")
OPENAPI_V2_JSON = json.dumps({"swagger": "2.0", "info": {"title": "Kubernetes",
                                                         "version": "v1.32.0"},
                              "paths": {}, "definitions": {}}).encode()


class Faults:
    """Fault injection settings; replaced as a whole (POST /_fake/faults)."""

    FIELDS = {
        "error_rate": 0.0,       # share of matching requests answered with error_code
        "error_code": 500,       # 500, 429 (with Retry-After), 503, ...
        "retry_after": 1,        # seconds, for 429/503
        "error_count": None,     # stop after this many injected errors (None: never)
        "error_match": r"^/apis?(/|$)",  # regex on path?query
        "error_methods": None,   # e.g. ["GET"]; None: every method
        "latency_ms": 0,         # added before matching requests are handled
        "latency_match": r"^/apis?(/|$)",
        "watch_drop_after": None,  # cut watch streams after N events
        "watch_drop_mode": "abrupt",  # "abrupt": close the socket; "clean": end the stream
        "hang_match": None,      # regex: matching requests are never answered
        "seed": None,
        "error_reason": None,    # with error_message: a Status with this reason and message
        "error_message": None,   # (e.g. 403 Forbidden as RBAC words it)
        "error_text": None,      # a text/plain body instead of a Status (a proxy's answer)
    }

    def __init__(self, **kw):
        self.lock = threading.Lock()
        self.set(kw)

    def set(self, cfg):
        unknown = set(cfg) - set(self.FIELDS)
        if unknown:
            raise ValueError("unknown fault settings: %s" % ", ".join(sorted(unknown)))
        c = dict(self.FIELDS)
        c.update({k: v for k, v in cfg.items() if v is not None or k in ("error_count",)})
        for k in ("error_match", "latency_match", "hang_match"):
            if c[k] is not None:
                re.compile(c[k])
        with self.lock:
            self.cfg = c
            self.rng = random.Random(c["seed"])
            self.injected = 0
            self._err_re = re.compile(c["error_match"]) if c["error_match"] else None
            self._lat_re = re.compile(c["latency_match"]) if c["latency_match"] else None
            self._hang_re = re.compile(c["hang_match"]) if c["hang_match"] else None

    def snapshot(self):
        with self.lock:
            d = dict(self.cfg)
            d["injected"] = self.injected
            return d

    def hang(self, target):
        return self._hang_re is not None and self._hang_re.search(target) is not None

    def latency(self, target):
        ms = self.cfg["latency_ms"]
        if ms and (self._lat_re is None or self._lat_re.search(target)):
            return ms / 1000.0
        return 0

    def error(self, method, target):
        """The APIError to answer with, or None."""
        c = self.cfg
        if not c["error_rate"]:
            return None
        if self._err_re is not None and not self._err_re.search(target):
            return None
        if c["error_methods"] and method not in c["error_methods"]:
            return None
        with self.lock:
            if c["error_count"] is not None and self.injected >= c["error_count"]:
                return None
            if self.rng.random() >= c["error_rate"]:
                return None
            self.injected += 1
        code = int(c["error_code"])
        ra = int(c["retry_after"])
        if c["error_text"] is not None:
            e = APIError(code, None, c["error_text"])
            e.text = c["error_text"]
            return e
        if c["error_message"] is not None:
            return APIError(code, c["error_reason"] or "", c["error_message"])
        if code == 429:
            return errors.too_many_requests(ra)
        if code == 503:
            return APIError(503, "ServiceUnavailable", "the server is currently unable to "
                            "handle the request (injected fault)",
                            headers={"Retry-After": str(ra)})
        if code == 504:
            return APIError(504, "Timeout", "the server was unable to return a response in the "
                            "time allotted, but may still be processing the request (injected fault)")
        e = errors.internal("injected fault")
        e.code = code
        return e


class App:
    """Everything a request handler needs: registry, store, auth settings,
    faults, request log."""

    def __init__(self, registry, store, auth="none", token=None, username=None, password=None,
                 faults=None, bookmark_interval=1.0, verbose=False, server_address=""):
        self.registry = registry
        self.store = store
        self.auth = auth
        self.token = token
        self.username = username
        self.password = password
        self.faults = faults or Faults()
        self.bookmark_interval = bookmark_interval
        self.verbose = verbose
        self.server_address = server_address
        self.stopping = threading.Event()
        self.requests = collections.deque(maxlen=10000)
        self.request_count = 0
        self.request_seq = itertools.count()  # arrival order (next() is atomic)

    def log(self, msg):
        if self.verbose:
            sys.stderr.write("fake-apiserver: %s\n" % msg)
            sys.stderr.flush()


def _media(ct):
    if not ct:
        return "", {}
    parts = [p.strip() for p in ct.split(";")]
    params = {}
    for p in parts[1:]:
        if "=" in p:
            k, v = p.split("=", 1)
            params[k.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def negotiate(accept):
    """("json"|"table"|"partial", meta version) or None when nothing we
    produce is acceptable."""
    if not accept:
        return ("json", None)
    for part in accept.split(","):
        media, params = _media(part)
        if media not in ("application/json", "*/*", "application/*"):
            continue
        as_ = params.get("as")
        if as_ is None:
            return ("json", None)
        if params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            if as_ == "Table":
                return ("table", params["v"])
            if as_ in ("PartialObjectMetadata", "PartialObjectMetadataList"):
                return ("partial", params["v"])
    return None


def discovery_format(accept):
    for part in (accept or "").split(","):
        media, params = _media(part)
        if media != "application/json":
            continue
        if params.get("as") == "APIGroupDiscoveryList" and params.get("g") == "apidiscovery.k8s.io":
            if params.get("v") in ("v2", "v2beta1"):
                return params["v"]
        elif "as" not in params:
            return None
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "fake-apiserver"
    sys_version = ""
    timeout = 300  # idle keep-alive connections are closed after this

    # -- plumbing ------------------------------------------------------------
    def log_message(self, fmt, *args):
        app = self.server.app
        if app.verbose:
            app.log("%s %s" % (self.address_string(), fmt % args))

    def log_request(self, code="-", size="-"):
        pass

    def send_response(self, code, message=None):
        self._code = code
        super().send_response(code, message)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_OPTIONS(self):
        self._dispatch("OPTIONS")

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks = []
            total = 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise APIError(413, "RequestEntityTooLarge", "the request is too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        n = self.headers.get("Content-Length")
        if not n:
            return b""
        n = int(n)
        if n > MAX_BODY:
            self.close_connection = True
            raise APIError(413, "RequestEntityTooLarge", "the request is too large")
        return self.rfile.read(n) if n else b""

    def _send(self, code, body, ctype=JSON, headers=None):
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_obj(self, code, obj, headers=None):
        self._send(code, encode(obj) + b"\n", JSON, headers)

    def _send_error(self, e):
        if getattr(e, "text", None) is not None:
            return self._send(e.code, e.text.encode(), "text/plain; charset=utf-8", e.headers)
        self._send_obj(e.code, e.body(), e.headers)

    def _send_text(self, code, text):
        self._send(code, text.encode(), "text/plain; charset=utf-8")

    # -- dispatch ------------------------------------------------------------------
    def _dispatch(self, method):
        app = self.server.app
        self._code = None
        self._fault = None
        self._user = None
        t0 = time.monotonic()
        seq = next(app.request_seq)
        split = urllib.parse.urlsplit(self.path)
        path = split.path
        target = path + ("?" + split.query if split.query else "")
        try:
            try:
                body = self._read_body()
            except ValueError:
                self.close_connection = True
                raise errors.bad_request("malformed request body framing") from None
            query = {}
            for k, v in urllib.parse.parse_qsl(split.query, keep_blank_values=True):
                query.setdefault(k, v)
            if path.startswith("/_fake/"):
                self._control(method, path, query, body)
                return
            self._inject(method, target)
            if not self._public(path):
                self._authenticate()
            self._route(method, path, query, body)
        except APIError as e:
            if self._code is None:
                self._send_error(e)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # a bug here must not kill the connection silently
            traceback.print_exc(file=sys.stderr)
            if self._code is None:
                self._send_error(errors.internal("fake-apiserver: %s: %s" % (type(e).__name__, e)))
            else:
                self.close_connection = True
        finally:
            app.request_count += 1
            app.requests.append({
                "seq": seq, "method": method, "path": path, "query": split.query,
                "code": self._code, "contentType": self.headers.get("Content-Type"),
                "accept": self.headers.get("Accept"), "userAgent": self.headers.get("User-Agent"),
                "user": self._user, "fault": self._fault,
                "ms": round((time.monotonic() - t0) * 1000, 3)})
            if app.verbose:
                app.log("%s %s -> %s%s" % (method, target, self._code,
                                           " (fault: %s)" % self._fault if self._fault else ""))

    @staticmethod
    def _public(path):
        return path in ("/version", "/version/", "/healthz", "/livez", "/readyz") or \
            path.startswith(("/healthz/", "/livez/", "/readyz/"))

    def _inject(self, method, target):
        app = self.server.app
        f = app.faults
        if f.hang(target):
            self._fault = "hang"
            self.close_connection = True
            while not app.stopping.wait(1.0):
                pass
            raise BrokenPipeError()
        lat = f.latency(target)
        if lat:
            self._fault = "latency"
            time.sleep(lat)
        e = f.error(method, target)
        if e is not None:
            self._fault = "error %d" % e.code
            raise e

    def _authenticate(self):
        app = self.server.app
        mode = app.auth
        if mode == "none":
            self._user = "anonymous"
            return
        hdr = self.headers.get("Authorization") or ""
        if mode == "token":
            if hdr.startswith("Bearer ") and hdr[7:].strip() == app.token:
                self._user = "token"
                return
        elif mode == "basic":
            if hdr.startswith("Basic "):
                try:
                    user, _, pw = base64.b64decode(hdr[6:].strip()).decode("utf-8").partition(":")
                except ValueError:
                    user = pw = None
                if user == app.username and pw == app.password:
                    self._user = user
                    return
        elif mode == "cert":
            cert = None
            try:
                cert = self.connection.getpeercert()
            except (AttributeError, ValueError):
                cert = None
            if cert:
                cn = ""
                for rdn in cert.get("subject", ()):
                    for k, v in rdn:
                        if k == "commonName":
                            cn = v
                self._user = cn or "cert"
                return
        raise errors.unauthorized()

    # -- /_fake control endpoints ----------------------------------------------------
    def _control(self, method, path, query, body):
        app = self.server.app
        if path == "/_fake/faults":
            if method == "GET":
                return self._send_obj(200, app.faults.snapshot())
            if method in ("POST", "PUT"):
                try:
                    cfg = json.loads(body or b"{}")
                    if not isinstance(cfg, dict):
                        raise ValueError("the body must be a JSON object")
                    app.faults.set(cfg)
                except (ValueError, re.error) as e:
                    return self._send_obj(400, {"error": str(e)})
                return self._send_obj(200, app.faults.snapshot())
            if method == "DELETE":
                app.faults.set({})
                return self._send_obj(200, app.faults.snapshot())
        elif path == "/_fake/requests":
            if method == "GET":
                # Logged as they end; listed as they arrived: a response
                # can reach the client (which then sends its next request)
                # before the handler's thread logs it.
                items = sorted(app.requests, key=lambda r: r["seq"])
                return self._send_obj(200, {"items": items})
            if method == "DELETE":
                app.requests.clear()
                return self._send_obj(200, {"items": []})
        elif path == "/_fake/compact" and method == "POST":
            app.store.compact()
            return self._send_obj(200, {"resourceVersion": str(app.store.rv)})
        elif path == "/_fake/stats" and method == "GET":
            st = app.store
            return self._send_obj(200, {"resourceVersion": str(st.rv), "objects": st.count(),
                                        "watchers": st.watcher_count(),
                                        "historyFloor": str(st.floor),
                                        "requests": app.request_count})
        self._send_obj(404, {"error": "unknown control endpoint %s %s" % (method, path)})

    # -- routing -----------------------------------------------------------------
    def _route(self, method, path, query, body):
        app = self.server.app
        reg = app.registry
        if path in ("/healthz", "/livez", "/readyz") or \
                path.startswith(("/healthz/", "/livez/", "/readyz/")):
            return self._send_text(200, "ok")
        if path in ("/version", "/version/"):
            return self._send_obj(200, VERSION_INFO)
        if path.startswith("/openapi/"):
            return self._openapi(method, path)
        segs = [s for s in path.split("/")]
        if segs and segs[0] == "":
            segs = segs[1:]
        if segs and segs[-1] == "" and len(segs) > 1:
            segs = segs[:-1]
        if not segs or segs[0] not in ("api", "apis"):
            return self._page_not_found()
        accept = self.headers.get("Accept")
        if segs[0] == "api":
            if len(segs) == 1:
                self._need_get(method)
                fmt = discovery_format(accept)
                if fmt:
                    return self._send_aggregated(reg.aggregated(True, "apidiscovery.k8s.io/" + fmt), fmt)
                return self._send(200, reg.api_versions(app.server_address))
            if segs[1] != "v1":
                return self._page_not_found()
            group, version, rest = "", "v1", segs[2:]
        else:
            if len(segs) == 1:
                self._need_get(method)
                fmt = discovery_format(accept)
                if fmt:
                    return self._send_aggregated(reg.aggregated(False, "apidiscovery.k8s.io/" + fmt), fmt)
                return self._send(200, reg.api_group_list())
            group = segs[1]
            if len(segs) == 2:
                self._need_get(method)
                doc = reg.api_group_doc(group)
                if doc is None:
                    return self._page_not_found()
                return self._send(200, doc)
            version, rest = segs[2], segs[3:]
        if not rest:
            self._need_get(method)
            doc = reg.resource_list(group, version)
            if doc is None:
                return self._page_not_found()
            return self._send(200, doc)
        watch_path = False
        if rest[0] == "watch":
            watch_path = True
            rest = rest[1:]
            if not rest:
                raise self._not_found_resource()
        ns = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            nrt = reg.get(group, version, rest[2])
            if nrt is not None and nrt.namespaced:
                ns = rest[1]
                rest = rest[2:]
        if len(rest) > 3:
            raise self._not_found_resource()
        rt = reg.get(group, version, rest[0])
        if rt is None:
            if reg.group_versions(group) is None or version not in reg.group_versions(group):
                return self._page_not_found()
            raise self._not_found_resource()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if rt.namespaced and ns is None and name is not None:
            raise self._not_found_resource()
        if name == "":
            raise self._not_found_resource()
        if sub is not None and sub not in rt.subresources:
            raise self._not_found_resource()
        if ns is not None and not ns:
            raise self._not_found_resource()
        self._resource(method, rt, version, ns, name, sub, query, body, watch_path)

    def _need_get(self, method):
        if method not in ("GET", "HEAD"):
            raise errors.method_not_allowed()

    def _page_not_found(self):
        self._send_text(404, "404 page not found\n")

    @staticmethod
    def _not_found_resource():
        return APIError(404, "NotFound", "the server could not find the requested resource", {})

    def _send_aggregated(self, body, fmt):
        self._send(200, body, "application/json;g=apidiscovery.k8s.io;v=%s;as=APIGroupDiscoveryList"
                   % fmt)

    def _openapi(self, method, path):
        self._need_get(method)
        reg = self.server.app.registry
        if path in ("/openapi/v2", "/openapi/v2/"):
            accept = self.headers.get("Accept") or ""
            if "protobuf" in accept and "json" not in accept.split("protobuf")[0]:
                return self._send(200, OPENAPI_V2_PB,
                                  "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            return self._send(200, OPENAPI_V2_JSON)
        if path in ("/openapi/v3", "/openapi/v3/"):
            return self._send(200, reg.openapi_root())
        m = re.match(r"^/openapi/v3/(?:api/(v1)|apis/([^/]+)/([^/]+))/?$", path)
        if m:
            group, version = (m.group(2) or ""), (m.group(1) or m.group(3))
            doc = reg.openapi_gv_doc(group, version)
            if doc is not None:
                return self._send(200, doc)
        self._page_not_found()

    # -- resources -----------------------------------------------------------------
    def _resource(self, method, rt, version, ns, name, sub, q, body, watch_path):
        app = self.server.app
        verbs = rt.verbs
        dry = self._dry_run(q)
        if method in ("GET", "HEAD"):
            if name is None:
                if watch_path or q.get("watch") in ("1", "true", "True"):
                    self._check_verb(rt, "watch")
                    return self._watch(rt, version, ns, None, q)
                self._check_verb(rt, "list")
                return self._list(rt, version, ns, q)
            if watch_path or q.get("watch") in ("1", "true", "True"):
                return self._watch(rt, version, ns, name, q)
            self._check_verb(rt, "get")
            e = app.store.get(rt, ns, name)
            if sub == "scale":
                return self._send_obj(200, app.store.scale_of(rt, e))
            return self._respond_entry(200, rt, version, e)
        if method == "POST":
            if name is not None:
                raise errors.method_not_allowed()
            self._check_verb(rt, "create")
            if rt.namespaced and ns is None:
                raise errors.method_not_allowed()
            obj = self._decode(body)
            e = app.store.create(rt, version, ns, obj, dry_run=dry)
            return self._respond_entry(201, rt, version, e)
        if method == "PUT":
            if name is None:
                raise errors.method_not_allowed()
            self._check_verb(rt, "update")
            obj = self._decode(body)
            if sub == "scale":
                reps = (obj.get("spec") or {}).get("replicas") if isinstance(obj, dict) else None
                if not isinstance(reps, int):
                    raise errors.bad_request("spec.replicas must be an integer")
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                e = app.store.update_scale(rt, ns, name, reps, rv, dry)
                return self._send_obj(200, app.store.scale_of(rt, e))
            e, created = app.store.update(rt, version, ns, name, obj,
                                          None if sub == "finalize" else sub, dry)
            return self._respond_entry(201 if created else 200, rt, version, e)
        if method == "PATCH":
            if name is None:
                raise errors.method_not_allowed()
            self._check_verb(rt, "patch")
            return self._patch(rt, version, ns, name, sub, q, body, dry)
        if method == "DELETE":
            opts = self._delete_options(q, body)
            if opts.get("dryRun"):
                dry = True
            if name is None:
                self._check_verb(rt, "deletecollection")
                return self._delete_collection(rt, version, ns, q, opts, dry)
            self._check_verb(rt, "delete")
            e, gone = app.store.delete(rt, ns, name, opts, dry)
            if gone and rt.gr not in _RETURN_OBJ:
                d = {"name": name}
                if rt.group:
                    d["group"] = rt.group
                d["kind"] = rt.plural
                d["uid"] = e.obj["metadata"].get("uid")
                return self._send_obj(200, {"kind": "Status", "apiVersion": "v1",
                                            "metadata": {}, "status": "Success", "details": d})
            return self._respond_entry(200, rt, version, e)
        raise errors.method_not_allowed()

    @staticmethod
    def _check_verb(rt, verb):
        if verb not in rt.verbs:
            raise errors.method_not_allowed()

    @staticmethod
    def _dry_run(q):
        v = q.get("dryRun")
        if v is None or v == "":
            return False
        if v != "All":
            raise errors.bad_request("Invalid dryRun value: %s" % v)
        return True

    def _decode(self, body, allow_empty=False):
        media, _ = _media(self.headers.get("Content-Type"))
        if not body:
            if allow_empty:
                return None
            raise errors.bad_request("the body of the request was empty")
        if media in ("application/json", ""):
            try:
                return json.loads(body)
            except ValueError as e:
                raise errors.bad_request("couldn't get version/kind; json parse error: %s" % e) from None
        if media == "application/yaml":
            try:
                return yamlsub.load(body)
            except (yamlsub.YamlError, UnicodeDecodeError) as e:
                raise errors.bad_request(str(e)) from None
        if media == PROTOBUF:
            try:
                return protobuf.decode(body)
            except protobuf.ProtobufError as e:
                raise errors.unsupported_media_type(str(e)) from None
        raise errors.unsupported_media_type(
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json, application/yaml, application/vnd.kubernetes.protobuf")

    # -- output --------------------------------------------------------------------
    def _fmt(self):
        f = negotiate(self.headers.get("Accept"))
        if f is None:
            raise APIError(406, "NotAcceptable",
                           "only the following media types are accepted: application/json, "
                           "application/yaml, application/vnd.kubernetes.protobuf")
        return f

    @staticmethod
    def _versioned(rt, version, e):
        """The stored bytes, with apiVersion rewritten when a CRD version other
        than the storage version was asked for."""
        if rt.crd_name is None or version == rt.storage_version:
            return e.raw, e.obj
        o = json.loads(e.raw)
        o["apiVersion"] = rt.api_version(version)
        return encode(o), o

    def _respond_entry(self, code, rt, version, e):
        kind, mv = self._fmt()
        raw, obj = self._versioned(rt, version, e)
        if kind == "table":
            return self._send_table(code, rt, [obj], {"resourceVersion": obj["metadata"].get(
                "resourceVersion", "")}, mv)
        if kind == "partial":
            return self._send_obj(code, {"kind": "PartialObjectMetadata",
                                         "apiVersion": "meta.k8s.io/" + mv,
                                         "metadata": obj.get("metadata") or {}})
        self._send(code, raw + b"\n")

    def _send_table(self, code, rt, objs, list_meta, mv):
        include = self._include
        t = tables.table_for(rt, objs, include, list_meta)
        t["apiVersion"] = "meta.k8s.io/" + mv
        self._send(code, encode(t) + b"\n", JSON)

    @property
    def _include(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        return (q.get("includeObject") or ["Metadata"])[0]

    # -- list ------------------------------------------------------------------------
    def _matcher(self, rt, q, name=None):
        try:
            lreqs = selection.parse_labels(q.get("labelSelector"))
            freqs = selection.parse_fields(q.get("fieldSelector"))
        except selection.SelectorError as e:
            raise errors.bad_request(str(e)) from None
        for path, _, _ in freqs:
            if path not in rt.field_selectors:
                gv = rt.api_version()
                raise errors.bad_request(
                    'Unable to find "%s, Resource=%s" that match label selector "%s", field '
                    'selector "%s": field label not supported: %s'
                    % (gv if rt.group else "/" + gv, rt.plural, q.get("labelSelector", ""),
                       q.get("fieldSelector", ""), path))
        if name is not None:
            freqs = freqs + [("metadata.name", "=", name)]
        if not lreqs and not freqs:
            return None

        def match(e, lreqs=lreqs, freqs=freqs):
            o = e.obj
            m = o["metadata"]
            if lreqs and not selection.match_labels(lreqs, m.get("labels")):
                return False
            return not freqs or selection.match_fields(freqs, o)
        return match

    def _list(self, rt, version, ns, q):
        app = self.server.app
        fmt, mv = self._fmt()
        match = self._matcher(rt, q)
        try:
            limit = int(q.get("limit") or 0)
        except ValueError:
            raise errors.bad_request("limit must be an integer") from None
        if limit < 0:
            limit = 0
        entries, list_rv, token, remaining = app.store.list(
            rt, ns, None, None, limit, q.get("continue") or "", match)
        meta = {"resourceVersion": str(list_rv)}
        if token:
            meta["continue"] = token
            if remaining is not None:
                meta["remainingItemCount"] = remaining
        if fmt == "table":
            objs = [self._versioned(rt, version, e)[1] for e in entries]
            return self._send_table(200, rt, objs, meta, mv)
        if fmt == "partial":
            items = [{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/" + mv,
                      "metadata": e.obj["metadata"]} for e in entries]
            return self._send_obj(200, {"kind": "PartialObjectMetadataList",
                                        "apiVersion": "meta.k8s.io/" + mv, "metadata": meta,
                                        "items": items})
        head = ('{"kind":"%s","apiVersion":"%s","metadata":%s,"items":['
                % (rt.list_kind, rt.api_version(version),
                   json.dumps(meta, separators=(",", ":")))).encode()
        if rt.crd_name is None or version == rt.storage_version:
            items = b",".join(e.raw for e in entries)
        else:
            items = b",".join(self._versioned(rt, version, e)[0] for e in entries)
        self._send(200, head + items + b"]}\n")

    # -- patch ------------------------------------------------------------------------
    def _patch(self, rt, version, ns, name, sub, q, body, dry):
        app = self.server.app
        media, _ = _media(self.headers.get("Content-Type"))
        is_cr = rt.crd_name is not None
        allowed = [t for t in PATCH_TYPES
                   if not (is_cr and t == "application/strategic-merge-patch+json")]
        if media not in allowed:
            raise errors.unsupported_media_type(
                "the body of the request was in an unknown format - accepted media types "
                "include: " + ", ".join(allowed))
        if not body:
            raise errors.bad_request("the body of the request was empty")
        try:
            if media == "application/apply-patch+yaml":
                try:
                    pobj = json.loads(body)
                except ValueError:
                    pobj = yamlsub.load(body)
            else:
                pobj = json.loads(body)
        except (ValueError, yamlsub.YamlError) as e:
            raise errors.bad_request("error decoding patch: %s" % e) from None
        if sub == "scale":
            return self._patch_scale(rt, ns, name, media, pobj, dry)
        apply_info = None
        if media == "application/apply-patch+yaml":
            manager = q.get("fieldManager")
            if not manager:
                raise errors.bad_request("PATCH /apply requires fieldManager")
            if not isinstance(pobj, dict):
                raise errors.bad_request("the applied configuration must be an object")
            av, kind = pobj.get("apiVersion"), pobj.get("kind")
            if av != rt.api_version(version) or kind != rt.kind:
                raise errors.bad_request(
                    "the API version in the data (%s) and kind (%s) do not match the endpoint "
                    "(%s, %s)" % (av, kind, rt.api_version(version), rt.kind))
            apply_info = (manager, pobj)

        def fn(cur):
            try:
                if media == "application/merge-patch+json":
                    if not isinstance(pobj, dict):
                        raise errors.bad_request("merge patch must be a JSON object")
                    return patchmod.merge_patch(cur, pobj)
                if media == "application/strategic-merge-patch+json":
                    if not isinstance(pobj, dict):
                        raise errors.bad_request("strategic merge patch must be a JSON object")
                    return patchmod.strategic_merge_patch(cur, pobj)
                if media == "application/json-patch+json":
                    return patchmod.json_patch(cur, pobj)
                if cur is None:
                    return patchmod.strip_directives(copy_json(pobj))
                prev = None
                e = app.store.lookup(rt, ns, name)
                if e is not None and e.applied:
                    prev = e.applied.get(apply_info[0])
                return patchmod.apply_patch(cur, pobj, prev, merge_lists=not is_cr)
            except patchmod.PatchError as pe:
                if pe.code == 400:
                    raise errors.bad_request(str(pe)) from None
                raise APIError(422, "Invalid", str(pe)) from None
        e, created = app.store.patch(rt, version, ns, name, fn, dry, sub, apply_info)
        return self._respond_entry(201 if created else 200, rt, version, e)

    def _patch_scale(self, rt, ns, name, media, pobj, dry):
        app = self.server.app
        cur = app.store.scale_of(rt, app.store.get(rt, ns, name))
        try:
            if media == "application/json-patch+json":
                new = patchmod.json_patch(cur, pobj)
            else:
                new = patchmod.merge_patch(cur, pobj)
        except patchmod.PatchError as pe:
            raise APIError(422, "Invalid", str(pe)) from None
        reps = (new.get("spec") or {}).get("replicas")
        if not isinstance(reps, int):
            raise errors.bad_request("spec.replicas must be an integer")
        e = app.store.update_scale(rt, ns, name, reps, None, dry)
        return self._send_obj(200, app.store.scale_of(rt, e))

    # -- delete ------------------------------------------------------------------------
    def _delete_options(self, q, body):
        opts = {}
        if body:
            obj = self._decode(body)
            if isinstance(obj, dict):
                opts.update(obj)
        for k in ("propagationPolicy", "gracePeriodSeconds", "orphanDependents"):
            if k in q:
                opts[k] = q[k]
        if opts.get("orphanDependents") in ("true", "false"):
            opts["orphanDependents"] = opts["orphanDependents"] == "true"
        pp = opts.get("propagationPolicy")
        if pp is not None and pp not in ("Orphan", "Background", "Foreground"):
            raise errors.invalid(None, "", [("propagationPolicy", "FieldValueNotSupported",
                                             'Unsupported value: "%s": supported values: '
                                             '"Foreground", "Background", "Orphan", "nil"' % pp)])
        if "dryRun" in q:
            opts["dryRun"] = [q["dryRun"]]
        dr = opts.get("dryRun")
        if dr and dr != ["All"]:
            raise errors.bad_request("Invalid dryRun value: %s" % dr)
        return opts

    def _delete_collection(self, rt, version, ns, q, opts, dry):
        app = self.server.app
        match = self._matcher(rt, q)
        entries, _, _, _ = app.store.list(rt, ns, None, None, 0, "", match)
        out = []
        for e in entries:
            m = e.obj["metadata"]
            try:
                de, _ = app.store.delete(rt, m.get("namespace", ""), m["name"], opts, dry)
                out.append(de.obj)
            except APIError as err:
                if err.code != 404:
                    raise
        self._send_obj(200, {"kind": rt.list_kind, "apiVersion": rt.api_version(version),
                             "metadata": {"resourceVersion": str(app.store.rv)}, "items": out})

    # -- watch ------------------------------------------------------------------------
    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _watch(self, rt, version, ns, name, q):
        app = self.server.app
        fmt, mv = self._fmt()
        match = self._matcher(rt, q, name)
        rv = q.get("resourceVersion", "")
        send_initial = q.get("sendInitialEvents") == "true"
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1", "True")
        if send_initial and not bookmarks:
            raise errors.invalid(None, "", [("allowWatchBookmarks", "FieldValueForbidden",
                                             "Forbidden: allowWatchBookmarks required when using "
                                             "sendInitialEvents")])
        timeout = None
        if q.get("timeoutSeconds"):
            try:
                timeout = float(q["timeoutSeconds"])
            except ValueError:
                raise errors.bad_request("timeoutSeconds must be a number") from None
        try:
            entries, past, w, cur_rv = app.store.start_watch(
                rt, rv, send_initial or rv in ("", "0"))
        except APIError as e:
            if e.code != 410:
                raise
            self._start_stream(fmt, mv)
            self._chunk(b'{"type":"ERROR","object":' + encode(e.body()) + b"}\n")
            self._chunk(b"")
            return
        drop_after = app.faults.cfg.get("watch_drop_after")
        drop_mode = app.faults.cfg.get("watch_drop_mode")
        sent = 0
        api_version = rt.api_version(version)
        include = self._include

        def obj_bytes(e):
            raw, obj = self._versioned(rt, version, e)
            if fmt == "table":
                t = tables.table_for(rt, [obj], include, {"resourceVersion": obj["metadata"].get(
                    "resourceVersion", "")})
                t["apiVersion"] = "meta.k8s.io/" + mv
                return encode(t)
            if fmt == "partial":
                return encode({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/" + mv,
                               "metadata": obj["metadata"]})
            return raw

        def emit(typ, e):
            nonlocal sent
            self._chunk(b'{"type":"%s","object":%s}\n' % (typ.encode(), obj_bytes(e)))
            sent += 1
            if drop_after is not None and sent >= drop_after:
                raise _Drop()

        def bookmark(rv_now, initial_end=False):
            md = {"resourceVersion": str(rv_now), "creationTimestamp": None}
            if initial_end:
                md["annotations"] = {"k8s.io/initial-events-end": "true"}
            self._chunk(b'{"type":"BOOKMARK","object":' + encode(
                {"kind": rt.kind, "apiVersion": api_version, "metadata": md}) + b"}\n")

        def ok(e):
            o = e.obj
            if ns is not None and rt.namespaced and o["metadata"].get("namespace") != ns:
                return False
            return match is None or match(e)

        def process(ev):
            if ev.type == "MODIFIED":
                now_ok = ok(ev.entry)
                was_ok = ok(ev.old) if ev.old is not None else False
                if now_ok and was_ok:
                    emit("MODIFIED", ev.entry)
                elif now_ok:
                    emit("ADDED", ev.entry)
                elif was_ok:
                    emit("DELETED", ev.entry)
            elif ok(ev.entry):
                emit(ev.type, ev.entry)

        try:
            self._start_stream(fmt, mv)
            for e in entries:
                if ok(e):
                    emit("ADDED", e)
            for ev in past:
                process(ev)
            if send_initial:
                bookmark(cur_rv, True)
            deadline = time.monotonic() + timeout if timeout else None
            last_bm = time.monotonic()
            interval = app.bookmark_interval
            while not app.stopping.is_set():
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    break
                wait = 0.5
                if deadline is not None:
                    wait = min(wait, deadline - now)
                if bookmarks:
                    wait = min(wait, max(0.0, last_bm + interval - now))
                try:
                    ev = w.q.get(timeout=max(wait, 0.001))
                except queue.Empty:
                    if self._peer_gone():
                        break
                    if bookmarks and time.monotonic() - last_bm >= interval:
                        rv_now = app.store.quiet_rv(w)
                        if rv_now is not None:
                            bookmark(rv_now)
                            last_bm = time.monotonic()
                    continue
                process(ev)
            self._chunk(b"")
            self.close_connection = True
        except _Drop:
            self.close_connection = True
            if drop_mode == "clean":
                try:
                    self._chunk(b"")
                except OSError:
                    pass
            else:
                try:
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout, OSError):
            self.close_connection = True
        finally:
            app.store.stop_watch(w)

    def _peer_gone(self):
        """True when the client closed a watch connection. A watching client
        sends nothing more, so anything readable (EOF, a TLS close_notify)
        means it is gone; idle dead watches are found without writing."""
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(r)

    def _start_stream(self, fmt, mv):
        self.send_response(200)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        ctype = JSON
        if fmt == "table":
            ctype = "application/json;as=Table;v=%s;g=meta.k8s.io" % mv
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()


class _Drop(Exception):
    pass


_RETURN_OBJ = {("", "pods"), ("", "services"), ("", "namespaces")}


def copy_json(v):
    return json.loads(json.dumps(v))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stopping must not wait for idle keep-alive connections
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, app, ssl_ctx=None, family=socket.AF_INET):
        self.address_family = family
        self.app = app
        self.ssl_ctx = ssl_ctx
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # TLS handshakes happen here, in the connection's own thread, so a
        # slow or broken client never stalls the accept loop.
        if self.ssl_ctx is not None:
            try:
                request.settimeout(30)
                request = self.ssl_ctx.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError):
                try:
                    request.close()
                except OSError:
                    pass
                return
        self.RequestHandlerClass(request, client_address, self)

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, ssl.SSLError, socket.timeout)):
            return
        super().handle_error(request, client_address)


def make_server(host, port, app, ssl_ctx=None):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return Server((host, port), app, ssl_ctx, family)
