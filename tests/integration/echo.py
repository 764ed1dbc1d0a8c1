#!/usr/bin/env python3
"""ferry echo: the conformance echo server's JSON shape, Go's header
canonicalisation and key order, bodies dropped with keep-alive and
pipelining intact, 100-continue, HEAD, HTTP/1.0, the environment."""
import json
import os
import subprocess

from proxylib import FERRY, TAP, Conn, Proc, echo, raw


def main(t):
    e = echo(service="svc", pod="pod-1", namespace="ns")
    c = Conn(e.port)
    c.send(b"GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: Example.COM:8080\r\nx-foo: 1\r\n"
           b"accept-encoding: gzip\r\nX-FOO: 2\r\nX-Odd: caf\xc3\xa9 \xff<>&\r\n\r\n")
    r = c.response()
    pairs = json.loads(r.body, object_pairs_hook=lambda p: p)
    t.eq([k for k, _ in pairs], ["path", "host", "method", "proto", "headers", "namespace",
                                 "service", "pod"], "the keys, in the conformance echo's order")
    j = json.loads(r.body)
    t.eq((j["path"], j["host"], j["method"], j["proto"], j["namespace"], j["service"], j["pod"]),
         ("/a/b?x=1&y=%20", "Example.COM:8080", "GET", "HTTP/1.1", "ns", "svc", "pod-1"),
         "path (with the query), host, method, proto, namespace, service, pod")
    t.eq(list(j["headers"].items()),
         [("Accept-Encoding", ["gzip"]), ("X-Foo", ["1", "2"]), ("X-Odd", ["caf\u00e9 \ufffd<>&"])],
         "headers: Go's canonical names, sorted, repeated fields as one list, invalid UTF-8 as "
         "U+FFFD, Host left out")
    t.ok(b"\\u003c\\u003e\\u0026" in r.body, "HTML characters escaped as Go's encoding/json does")
    t.eq((r.header("content-type"), bool(r.header("date")), r.header("x-content-type-options")),
         ("application/json", True, "nosniff"), "Content-Type, Date, X-Content-Type-Options")

    c.send(b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloPUT /c HTTP/1.1\r\n"
           b"Host: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
           b"HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n")
    rs = [c.response(), c.response(), c.response("HEAD"), c.response()]
    t.eq([(r.status, json.loads(r.body)["path"] if r.body else r.header("content-length") != "0")
          for r in rs], [(200, "/p"), (200, "/c"), (200, True), (200, "/after")],
         "bodies (Content-Length, chunked) dropped, pipelining and HEAD framed right")
    c.close()

    c = Conn(e.port)
    c.send(b"POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
    r = c.response(skip_interim=False)
    t.eq(r.status, 100, "Expect: 100-continue is answered")
    c.send(b"abc")
    t.eq(json.loads(c.response().body)["method"], "POST", "then the request is answered")
    c.close()

    out = raw(e.port, b"GET /old HTTP/1.0\r\n\r\n")
    t.ok(b'"proto":"HTTP/1.0"' in out and b'"host":""' in out, "HTTP/1.0, no Host", out)
    out = raw(e.port, b"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n")
    t.ok(out.startswith(b"HTTP/1.1 400 ") and b"Connection: close" in out,
         "a malformed request: 400 and close", out)
    e.stop()

    env = dict(os.environ, NAMESPACE="env-ns", SERVICE_NAME="env-svc", POD_NAME="env-pod")
    p = Proc(["echo", "--listen", "127.0.0.1:0"], r"echo: listening on (\S+)", env=env)
    c = Conn(p.port)
    c.send(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    j = json.loads(c.response().body)
    t.eq((j["namespace"], j["service"], j["pod"]), ("env-ns", "env-svc", "env-pod"),
         "NAMESPACE, SERVICE_NAME and POD_NAME are the defaults")
    c.close()
    p.stop()
    r = subprocess.run([FERRY, "echo", "--listen", "nonsense"], capture_output=True, text=True)
    t.ok(r.returncode == 1 and r.stderr.startswith("error: "), "a bad address: error, exit 1",
         r.stderr)


if __name__ == "__main__":
    TAP().run(main)
