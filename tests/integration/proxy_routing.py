#!/usr/bin/env python3
"""ferry ingress serve: routing through the real binary, checked on what
`ferry echo` backends report. The Ingress spec's path-matching table, the
ingress-controller-conformance features (host rules, path rules, default
backend, ingress class, load balancing), the headers the proxy adds and
removes, path safety, 404/503."""
import os
import re

from proxylib import (TAP, Conn, backend, echo, endpoints, ingress, request, serve, service,
                      tmpdir, write_manifests)

NS = "conf"


def main(t):
    names = ["foo-exact", "foo-prefix", "aaa-slash-bbb-prefix", "aaa-prefix", "foo-slash-exact",
             "aaa-slash-bbb-slash-prefix", "wildcard-foo-com", "foo-bar-com", "echo-service",
             "root", "admin"]
    pods = {n: echo(service=n, pod=n + "-0", namespace=NS) for n in names}
    lb = [echo(service="lb", pod="lb-%d" % i, namespace=NS) for i in range(3)]
    svcs = []
    for n in names:
        svcs += backend(n, [pods[n].addr], ns=NS)
    svcs += backend("lb", [p.addr for p in lb], ns=NS)
    svcs += [service("empty", ns=NS), endpoints("empty", ns=NS, addrs=[])]

    def start(objs, *flags):
        d = tmpdir()
        path = os.path.join(d, "m.yaml")
        write_manifests(path, objs + svcs)
        return serve(path, *flags)

    def get(px, host, path, **kw):
        return request(px.port, path, host=host, **kw)

    def served(r, svc, path=None, name=""):
        ok = r.status == 200
        if ok:
            j = r.json()
            ok = j["service"] == svc and (path is None or j["path"] == path)
        return t.ok(ok, name or "served by %s" % svc, "%r" % r)

    # ---- conformance: path rules and host rules (no default backend) ----
    A = P = "Prefix"
    E = "Exact"
    px = start([
        ingress("path-rules", NS, [
            ("exact-path-rules", [("/foo", E, "foo-exact", 80)]),
            ("prefix-path-rules", [("/foo", P, "foo-prefix", 80),
                                   ("/aaa/bbb", P, "aaa-slash-bbb-prefix", 80),
                                   ("/aaa", P, "aaa-prefix", 80)]),
            ("mixed-path-rules", [("/foo", P, "foo-prefix", 80), ("/foo", E, "foo-exact", 80)]),
            ("trailing-slash-path-rules", [("/aaa/bbb/", P, "aaa-slash-bbb-slash-prefix", 80),
                                           ("/foo/", E, "foo-slash-exact", 80)]),
        ]),
        ingress("host-rules", NS, [
            ("*.foo.com", [("/", P, "wildcard-foo-com", 80)]),
            ("foo.bar.com", [("/", P, "foo-bar-com", 80)]),
        ]),
    ])
    cases = [
        ("exact-path-rules", "/foo", "foo-exact"),
        ("exact-path-rules", "/foo/", 404),
        ("exact-path-rules", "/FOO", 404),
        ("exact-path-rules", "/bar", 404),
        ("prefix-path-rules", "/foo", "foo-prefix"),
        ("prefix-path-rules", "/foo/", "foo-prefix"),
        ("prefix-path-rules", "/FOO", 404),
        ("prefix-path-rules", "/aaa/bbb", "aaa-slash-bbb-prefix"),
        ("prefix-path-rules", "/aaa/bbb/ccc", "aaa-slash-bbb-prefix"),
        ("prefix-path-rules", "/aaa/ccc", "aaa-prefix"),
        ("prefix-path-rules", "/aaaccc", 404),
        ("mixed-path-rules", "/foo", "foo-exact"),
        ("trailing-slash-path-rules", "/aaa/bbb", "aaa-slash-bbb-slash-prefix"),
        ("trailing-slash-path-rules", "/aaa/bbb/", "aaa-slash-bbb-slash-prefix"),
        ("trailing-slash-path-rules", "/foo", 404),
        ("foo.bar.com", "/", "foo-bar-com"),
        ("FOO.Bar.com:8080", "/", "foo-bar-com"),
        ("subdomain.bar.com", "/", 404),
        ("bar.foo.com", "/", "wildcard-foo-com"),
        ("baz.bar.foo.com", "/", 404),
        ("foo.com", "/", 404),
    ]
    for host, path, want in cases:
        r = get(px, host, path)
        name = "conformance: http://%s%s -> %s" % (host, path, want)
        if want == 404:
            t.eq(r.status, 404, name)
        else:
            j = r.json() if r.status == 200 else {}
            t.ok(r.status == 200 and j.get("service") == want and j.get("path") == path and
                 j.get("host") == host, name, repr(r))
    px.stop()

    # ---- conformance: default backend ----
    px = start([ingress("default-backend", NS, default=("echo-service", 80))])
    for method, host, path in [("GET", "my-host", "/"), ("GET", "my-host", "/sub-path"),
                               ("POST", "some-host", "/"), ("PUT", "", "/resource"),
                               ("DELETE", "some-host", "/resource"),
                               ("PATCH", "my-host", "/resource")]:
        r = get(px, host, path, method=method, headers=[("User-Agent", "Go-http-client/1.1")],
                body=b"" if method in ("POST", "PUT", "PATCH") else None)
        j = r.json() if r.status == 200 else {}
        ok = (r.status == 200 and j["service"] == "echo-service" and j["method"] == method and
              j["path"] == path and j["proto"] == "HTTP/1.1" and r.version == "HTTP/1.1" and
              j["headers"].get("User-Agent") == ["Go-http-client/1.1"] and
              all(r.header(h) for h in ("Content-Length", "Content-Type", "Date")))
        t.ok(ok, "conformance: default backend: %s http://%s%s" % (method, host, path), repr(r))
    px.stop()

    # ---- conformance: ingress class ----
    px = start([
        ingress("bad-class", NS, [("ingress-class", [("/", P, "root", 80)])],
                cls="some-invalid-class-name"),
        ingress("annotated-other", NS, [("annotated-other", [("/", P, "root", 80)])], cls=None,
                annotations={"kubernetes.io/ingress.class": "nginx"}),
        ingress("annotated-ours", NS, [("annotated-ours", [("/", P, "root", 80)])], cls=None,
                annotations={"kubernetes.io/ingress.class": "ferry"}),
        ingress("by-object", NS, [("by-object", [("/", P, "root", 80)])], cls="external"),
        {"apiVersion": "networking.k8s.io/v1", "kind": "IngressClass",
         "metadata": {"name": "external"}, "spec": {"controller": "ferry.dev/ingress-controller"}},
        ingress("no-class", NS, [("no-class", [("/", P, "root", 80)])], cls=None),
    ])
    t.eq(get(px, "ingress-class", "/").status, 404, "conformance: an invalid class is not served")
    t.eq(get(px, "annotated-other", "/").status, 404, "class annotation of another controller")
    served(get(px, "annotated-ours", "/"), "root", name="class annotation naming ours is served")
    served(get(px, "by-object", "/"), "root", name="IngressClass whose controller is ours")
    t.eq(get(px, "no-class", "/").status, 404,
         "no class and no default IngressClass: not ours")
    px.stop()

    # ---- the Ingress spec's examples table ----
    rows = [
        ([("/", P, "root")], "/anything", "root"),
        ([("/foo", E, "foo-exact")], "/foo", "foo-exact"),
        ([("/foo", E, "foo-exact")], "/bar", None),
        ([("/foo", E, "foo-exact")], "/foo/", None),
        ([("/foo/", E, "foo-exact")], "/foo", None),
        ([("/foo", P, "foo-prefix")], "/foo", "foo-prefix"),
        ([("/foo", P, "foo-prefix")], "/foo/", "foo-prefix"),
        ([("/foo/", P, "foo-prefix")], "/foo", "foo-prefix"),
        ([("/foo/", P, "foo-prefix")], "/foo/", "foo-prefix"),
        ([("/aaa/bb", P, "aaa-prefix")], "/aaa/bbb", None),
        ([("/aaa/bbb", P, "aaa-prefix")], "/aaa/bbb", "aaa-prefix"),
        ([("/aaa/bbb/", P, "aaa-prefix")], "/aaa/bbb", "aaa-prefix"),
        ([("/aaa/bbb", P, "aaa-prefix")], "/aaa/bbb/", "aaa-prefix"),
        ([("/aaa/bbb", P, "aaa-prefix")], "/aaa/bbb/ccc", "aaa-prefix"),
        ([("/aaa/bbb", P, "aaa-prefix")], "/aaa/bbbxyz", None),
        ([("/", P, "root"), ("/aaa", P, "aaa-prefix")], "/aaa/ccc", "aaa-prefix"),
        ([("/", P, "root"), ("/aaa", P, "aaa-prefix"), ("/aaa/bbb", P, "aaa-slash-bbb-prefix")],
         "/aaa/bbb", "aaa-slash-bbb-prefix"),
        ([("/", P, "root"), ("/aaa", P, "aaa-prefix"), ("/aaa/bbb", P, "aaa-slash-bbb-prefix")],
         "/ccc", "root"),
        ([("/aaa", P, "aaa-prefix")], "/ccc", "default"),
        ([("/foo", P, "foo-prefix"), ("/foo", E, "foo-exact")], "/foo", "foo-exact"),
    ]
    # Each row is a host of its own; the row that uses a default backend
    # gets a proxy of its own (a default backend serves every host).
    def row_ingress(i, paths, default=None):
        return ingress("row%d" % i, NS, [("row%d.example" % i,
                                          [(p, k, s, 80) for p, k, s in paths])], default=default)

    plain = start([row_ingress(i, paths) for i, (paths, _, want) in enumerate(rows)
                   if want != "default"])
    dflt = start([row_ingress(i, paths, ("echo-service", 80))
                  for i, (paths, _, want) in enumerate(rows) if want == "default"])
    for i, (paths, req, want) in enumerate(rows):
        r = get(dflt if want == "default" else plain, "row%d.example" % i, req)
        name = "spec table: %s matches %s: %s" % (
            ", ".join("%s %s" % (k, p) for p, k, s in paths), req,
            {None: "no", "default": "default backend"}.get(want, want))
        if want is None:
            t.eq(r.status, 404, name)
        else:
            served(r, "echo-service" if want == "default" else want, req, name)
    plain.stop()
    dflt.stop()

    # ---- load balancing, headers, path safety, 503, 404 ----
    ext_port = int(pods["admin"].addr.rsplit(":", 1)[1])
    px = start([
        ingress("lb", NS, [("lb.example", [("/", P, "lb", 80)])]),
        ingress("misc", NS, [("misc.example", [("/", P, "root", 80),
                                               ("/admin", E, "admin", 80),
                                               ("/~user", P, "admin", 80),
                                               ("/empty", P, "empty", 80),
                                               ("/gone", P, "no-such-service", 80)])]),
        ingress("hostless", NS, [("", [("/", P, "foo-bar-com", 80)])]),
        ingress("ext", NS, [("ext.example", [("/", P, "ext", ext_port)])]),
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "namespace": NS},
         "spec": {"type": "ExternalName", "externalName": "localhost",
                  "ports": [{"port": ext_port}]}},
    ])
    c = Conn(px.port)
    counts = {}
    for i in range(30):
        c.send("GET /x HTTP/1.1\r\nHost: lb.example\r\n\r\n")
        r = c.response()
        if r.status == 200:
            pod = r.json()["pod"]
            counts[pod] = counts.get(pod, 0) + 1
    c.close()
    t.eq(counts, {"lb-0": 10, "lb-1": 10, "lb-2": 10},
         "load balancing: 30 requests, round robin over 3 ready endpoints")

    r = get(px, "misc.example", "/h?q=1", headers=[
        ("X-Forwarded-For", "203.0.113.7"), ("X-Forwarded-Proto", "https"),
        ("X-Real-IP", "6.6.6.6"), ("X-Forwarded-Host", "evil"), ("X-Forwarded-Port", "1"),
        ("Connection", "keep-alive, X-Private"), ("X-Private", "secret"),
        ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Proxy-Connection", "keep-alive"),
        ("Upgrade", "h2c"), ("X-Custom", "kept")])
    h = r.json()["headers"] if r.status == 200 else {}
    t.eq(h.get("X-Forwarded-For"), ["127.0.0.1"],
         "X-Forwarded-For is the client's address, not the client's field (no spoofing)")
    t.eq((h.get("X-Forwarded-Proto"), h.get("X-Forwarded-Host"), h.get("X-Forwarded-Port"),
          h.get("X-Real-Ip")), (["http"], ["misc.example"], [str(px.port)], ["127.0.0.1"]),
         "X-Forwarded-Proto/Host/Port and X-Real-IP are set, not taken from the client")
    rid = h.get("X-Request-Id", [""])
    t.ok(len(rid) == 1 and re.fullmatch(r"[0-9a-f]{32}", rid[0]),
         "X-Request-ID is generated (32 hex digits)", repr(rid))
    t.eq(sorted(k for k in h if k in ("Connection", "X-Private", "Keep-Alive", "Te",
                                      "Proxy-Connection", "Upgrade")), [],
         "hop-by-hop fields (and those named in Connection) are removed")
    t.eq(h.get("X-Custom"), ["kept"], "end-to-end fields are kept")
    r = get(px, "misc.example", "/", headers=[("X-Request-ID", "abc-123")])
    t.eq(r.json()["headers"].get("X-Request-Id"), ["abc-123"], "a client's X-Request-ID is kept")
    r2 = get(px, "misc.example", "/")
    t.ok(r2.json()["headers"]["X-Request-Id"] != r.json()["headers"].get("X-Request-Id") and
         r2.json()["headers"]["X-Request-Id"] != get(px, "misc.example", "/").json()["headers"][
             "X-Request-Id"], "request ids differ per request")

    for path, want, fwd in [
            ("/%61dmin", "admin", "/admin"), ("//admin", "admin", "/admin"),
            ("/%7euser/x", "admin", "/~user/x"), ("/%7Euser", "admin", "/~user"),
            ("/admin?next=/../x%2F", "admin", "/admin?next=/../x%2F"),
            ("/a%3ab", "root", "/a%3Ab"), ("/x/..", 400, None), ("/x/../admin", 400, None),
            ("/./admin", 400, None), ("/x/%2e%2e/admin", 400, None), ("/x/%2E./admin", 400, None),
            ("/x/..;/admin", 400, None), ("/a%2Fb", 400, None), ("/a%2fb", 400, None),
            ("/a%5Cb", 400, None), ("/a\\b", 400, None), ("/a%00b", 400, None),
            ("/a%zz", 400, None), ("/a%4", 400, None), ("/a/.../b", "root", "/a/.../b"),
            ("/a/.b/c", "root", "/a/.b/c")]:
        r = get(px, "misc.example", path)
        if want == 400:
            t.eq(r.status, 400, "path safety: %s is refused" % path)
        else:
            served(r, want, fwd, "path safety: %s is routed and forwarded as %s" % (path, fwd))

    t.eq(get(px, "misc.example", "/empty/x").status, 503, "503 when a Service has no endpoints")
    t.eq(get(px, "misc.example", "/gone").status, 503, "503 when the Service does not exist")
    r = get(px, "ext.example", "/e")
    served(r, "admin", "/e", "ExternalName \"localhost\": proxied to what the name resolves to")
    t.eq(r.json()["host"] if r.status == 200 else None, "ext.example",
         "ExternalName: the client's Host header is kept")
    served(get(px, "other.example", "/"), "foo-bar-com",
           name="rules without a host take unknown hosts")
    c = Conn(px.port)
    c.send("GET http://misc.example/admin HTTP/1.1\r\nHost: other.example\r\n\r\n")
    r = c.response()
    j = r.json() if r.status == 200 else {}
    t.ok(r.status == 200 and j["service"] == "admin" and j["host"] == "misc.example" and
         j["path"] == "/admin", "absolute-form target: routed by its authority, sent in origin form",
         repr(r))
    c.send("GET /x HTTP/1.0\r\n\r\n")
    r = c.response()
    j = r.json() if r.status == 200 else {}
    t.ok(r.status == 200 and j["service"] == "foo-bar-com" and j["proto"] == "HTTP/1.1",
         "HTTP/1.0 without Host: host-less rules, forwarded as HTTP/1.1", repr(r))
    t.ok(c.closed(), "HTTP/1.0 without keep-alive: connection closed after the response")
    px.stop()
    px = start([ingress("x", NS, [("x.example", [("/", P, "root", 80)])])])
    t.eq(get(px, "y.example", "/").status, 404, "404 when nothing matches and no default backend")
    px.stop()


if __name__ == "__main__":
    TAP().run(main)
