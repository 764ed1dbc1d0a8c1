#!/usr/bin/env python3
"""ferry ingress serve: HTTP/1.1 through raw sockets. Smuggling and limit
cases (the parser's verdicts: 400/414/431/501/505 and the connection
closed, nothing reaching the upstream), pipelining, chunked bodies both
ways, Expect: 100-continue, WebSocket upgrade, HEAD/204/304, HTTP/1.0
keep-alive, close-delimited responses; X-Forwarded-* replaced, or trusted
with --use-forwarded-headers."""
import base64
import hashlib
import json
import os
import re
import socket
import time

from proxylib import (TAP, Conn, Upstream, backend, ingress, raw, read_body, reply, request,
                      serve, sha, tmpdir, write_manifests)


def handler(s, head, rest):
    line = head.split(b"\r\n", 1)[0].decode()
    method, target, _ = line.split(" ")
    path = target.split("?")[0]
    h = head.decode("latin-1").lower()
    if path == "/ws":
        key = [l.split(":", 1)[1].strip() for l in head.decode().split("\r\n")
               if l.lower().startswith("sec-websocket-key:")][0]
        acc = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        ok = "\r\nupgrade: websocket" in h and "\r\nconnection: upgrade" in h
        s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nX-Ok: %d\r\n\r\n"
                   % (acc, ok)).encode())
        buf = rest
        if buf:
            s.sendall(buf)
        while True:
            d = s.recv(65536)
            if not d:
                s.sendall(b"bye")
                s.shutdown(socket.SHUT_WR)
                return False
            s.sendall(d)
    body, rest = read_body(s, head, rest)
    if path == "/body":
        info = {"len": len(body), "sha": sha(body), "expect": "\r\nexpect:" in h,
                "te": "\r\ntransfer-encoding: chunked" in h}
        return reply(s, 200, json.dumps(info).encode()), rest
    if path == "/chunked":
        s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"5\r\nhello\r\n1;ext=1\r\n,\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
        return True, rest
    if path == "/close":
        s.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
        s.shutdown(socket.SHUT_WR)
        return False
    if path == "/204":
        s.sendall(b"HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n")
        return True, rest
    if path == "/304":
        s.sendall(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n")
        return True, rest
    if path == "/fwd":  # the X-Forwarded-* and X-Real-IP fields received, in order
        got = [l.split(":", 1) for l in head.decode("latin-1").split("\r\n")[1:] if l]
        fwd = [[k.strip(), v.strip()] for k, v in got if k.lower().startswith(("x-forwarded",
                                                                               "x-real-ip"))]
        return reply(s, 200, json.dumps(fwd).encode()), rest
    if path == "/many":
        return reply(s, 200, b"many", headers=[("X-H%d" % i, "v" * 200) for i in range(40)]), rest
    if path == "/head":  # the head received, as received
        return reply(s, 200, head), rest
    if path.startswith("/hop"):  # end-to-end fields among hop-by-hop ones
        first = "Keep-Alive: timeout=5\r\n" if path == "/hop-first" else ""
        last = "Proxy-Connection: keep-alive\r\n" if path == "/hop" else "X-Last:z\r\n"
        s.sendall(("HTTP/1.1 200 OK\r\n" + first + "X-A: 1\r\n"
                   "Connection: keep-alive, X-Private\r\nX-B:  two words  \r\n"
                   "Keep-Alive: timeout=5\r\nX-Private: secret\r\nContent-Length: 2\r\n"
                   "X-C: 3\r\nX-D:\r\nTE: trailers\r\nUpgrade: h2c\r\n" + last +
                   "\r\nok").encode())
        return True, rest
    if path == "/big":
        return reply(s, 200, b"b" * 300000), rest
    if method == "HEAD":
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n")
        return True, rest
    return reply(s, 200, ("%s %s" % (method, target)).encode()), rest


def main(t):
    up = Upstream(handler)
    d = tmpdir()
    path = os.path.join(d, "m.yaml")
    write_manifests(path, [ingress("all", "default", default=("up", 80))] +
                    backend("up", [up.addr]))
    px = serve(path, "--max-request-line", "256", "--max-header-bytes", "1024",
               "--max-headers", "12", "--upstream-timeout", "5s")
    P = px.port

    # ---- smuggling and malformed requests: refused, closed, never forwarded ----
    cases = [
        ("CL and TE together", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("TE and CL together", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
         b"Content-Length: 3\r\n\r\n0\r\n\r\n", 400),
        ("TE chunked not last", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, "
         b"identity\r\n\r\n", 400),
        ("TE xchunked", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n", 400),
        ("TE chunked twice", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n", 400),
        ("TE gzip, chunked", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked"
         b"\r\n\r\n", 501),
        ("TE in HTTP/1.0", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("differing Content-Lengths", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
         b"Content-Length: 6\r\n\r\nhello!", 400),
        ("signed Content-Length", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
         400),
        ("space before colon", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello",
         400),
        ("obs-fold", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", 400),
        ("bare LF", b"GET / HTTP/1.1\nHost: a\n\n", 400),
        ("bare CR", b"GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400),
        ("NUL in a value", b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400),
        ("no Host in HTTP/1.1", b"GET / HTTP/1.1\r\nX: y\r\n\r\n", 400),
        ("two Hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("two spaces after the method", b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("fragment in the target", b"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("HTTP/2.0 request line", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("bad chunk size", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5 \r\nhello\r\n0\r\n\r\n", 400),
        ("chunk without CRLF", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5\r\nhelloXX0\r\n\r\n", 400),
        ("Content-Length in trailers", b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
         b"\r\n\r\n0\r\nContent-Length: 5\r\n\r\n", 400),
    ]
    for name, data, status in cases:
        before = up.requests
        out = raw(P, data)
        first = out.split(b"\r\n", 1)[0]
        ok = first.startswith(b"HTTP/1.1 %d " % status) and out.count(b"HTTP/1.1 ") == 1
        head_only = status != 400 or b"chunk" not in name.encode() and b"trailers" not in \
            name.encode()
        t.ok(ok and b"Connection: close" in out and (not head_only or up.requests == before),
             "%s: %d, connection closed, nothing forwarded" % (name, status), repr(out[:300]))

    # ---- limits ----
    def status_of(data):
        out = raw(P, data)
        return int(out.split(b" ", 2)[1]) if out.startswith(b"HTTP/1.1 ") else out

    line = lambda n: b"GET /" + b"a" * (n - len("GET / HTTP/1.1\r\n")) + b" HTTP/1.1\r\n"
    t.eq(status_of(line(256) + b"Host: a\r\nConnection: close\r\n\r\n"), 200,
         "a request line of exactly --max-request-line is served")
    t.eq(status_of(line(257) + b"Host: a\r\n\r\n"), 414, "one byte more: 414")

    def fields(total):  # a header section of <total> bytes, final CRLF included
        base = b"Host: a\r\nConnection: close\r\n"
        pad = total - len(base) - len(b"X-Pad: \r\n") - 2
        return base + b"X-Pad: " + b"p" * pad + b"\r\n\r\n"

    t.eq(status_of(b"GET / HTTP/1.1\r\n" + fields(1024)), 200,
         "a header section of exactly --max-header-bytes is served")
    t.eq(status_of(b"GET / HTTP/1.1\r\n" + fields(1025)), 431, "one byte more: 431")
    many = lambda n: b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n" + b"".join(
        b"X-%d: v\r\n" % i for i in range(n - 2)) + b"\r\n"
    t.eq(status_of(many(12)), 200, "--max-headers fields are served")
    t.eq(status_of(many(13)), 431, "one field more: 431")

    r = request(P, "/many", host="a")
    t.ok(r.status == 200 and len([k for k, v in r.headers if k.startswith("X-H")]) == 40,
         "response heads have their own limits: 40 fields pass with --max-headers 12", repr(r))

    # ---- pipelining ----
    c = Conn(P)
    c.send(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /body HTTP/1.1\r\nHost: a\r\n"
           b"Content-Length: 5\r\n\r\nhelloGET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
           b"HEAD /4 HTTP/1.1\r\nHost: a\r\n\r\nGET /5 HTTP/1.1\r\nHost: a\r\n\r\n")
    rs = [c.response(), c.response(), c.response(), c.response("HEAD"), c.response()]
    t.eq([r.status for r in rs], [200] * 5, "pipelining: five requests in one packet, five answers")
    t.eq([rs[0].body, json.loads(rs[1].body)["sha"], rs[2].body, rs[3].header("content-length"),
          rs[3].body, rs[4].body],
         [b"GET /1", sha(b"hello"), b"GET /3", "42", b"", b"GET /5"],
         "pipelining: in order, bodies and HEAD framed right")
    c.send(b"GET /6 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /7 HTTP/1.1\r\nHost: a\r\n\r\n")
    r = c.response()
    t.ok(r.body == b"GET /6" and r.header("connection") == "close" and c.closed() and
         c.buf == b"", "Connection: close ends the pipeline after that response", repr(c.buf))
    c.close()

    # ---- chunked both ways ----
    c = Conn(P)
    c.send(b"POST /body HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5;name=v\r\nhello\r\n")
    time.sleep(0.05)
    c.send(b"6\r\n world\r\n0\r\nX-T: 1\r\n\r\n")
    r = c.response()
    j = json.loads(r.body) if r.status == 200 else {}
    t.ok(j.get("sha") == sha(b"hello world") and j.get("te"),
         "chunked request body (in two parts, extensions, trailers) arrives chunked and whole",
         repr(r))
    c.send(b"GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n")
    r = c.response()
    t.ok(r.status == 200 and r.header("transfer-encoding") == "chunked" and
         r.body == b"hello, world", "chunked response to an HTTP/1.1 client stays chunked", repr(r))
    c.send(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n")
    t.eq(c.response().body, b"GET /1", "and the connection goes on")
    c.close()
    out = raw(P, b"GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    t.ok(out.endswith(b"\r\n\r\nhello, world") and b"chunked" not in out.lower() and
         b"Connection: close" in out, "chunked response to an HTTP/1.0 client: decoded, then close",
         repr(out))

    # ---- 100-continue ----
    c = Conn(P)
    c.send(b"POST /body HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    r = c.response(skip_interim=False)
    t.eq((r.status, r.version), (100, "HTTP/1.1"), "Expect: 100-continue gets 100 Continue")
    c.send(b"hello")
    r = c.response()
    j = json.loads(r.body) if r.status == 200 else {}
    t.ok(j.get("sha") == sha(b"hello") and j.get("expect") is False,
         "then the body goes through (Expect answered here, not forwarded)", repr(r))
    c.close()
    d2 = tmpdir()
    c = Conn(P)
    c.send(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: the-unexpected\r\n\r\n")
    r = c.response()
    t.ok(r.status == 417 and c.closed(), "another expectation: 417 and closed", repr(r))
    c.close()

    # ---- HEAD, 204, 304, HTTP/1.0 keep-alive, close-delimited ----
    c = Conn(P)
    c.send(b"GET /204 HTTP/1.1\r\nHost: a\r\n\r\nGET /304 HTTP/1.1\r\nHost: a\r\n\r\n"
           b"GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
    r1, r2, r3 = c.response(), c.response(), c.response()
    t.ok(r1.status == 204 and r1.header("x-a") == "b" and r2.status == 304 and
         r2.header("content-length") == "100" and r2.header("etag") == '"x"' and
         r3.body == b"GET /after", "204 and 304 carry no body; the next response is intact",
         repr((r1, r2, r3)))
    c.close()
    c = Conn(P)
    c.send(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    r = c.response()
    c.send(b"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    r2 = c.response()
    t.ok(r.header("connection") == "keep-alive" and r2.body == b"GET /b",
         "HTTP/1.0 keep-alive", repr((r, r2)))
    c.close()
    c = Conn(P)
    c.send(b"GET /close HTTP/1.1\r\nHost: a\r\n\r\n")
    r = c.response()
    c.send(b"GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
    r2 = c.response()
    t.ok(r.body == b"until the end" and r.header("transfer-encoding") == "chunked" and
         r.header("connection") is None and r2.body == b"GET /after",
         "close-delimited response: re-framed as chunked, the client connection stays",
         repr((r, r2)))
    c.close()
    c = Conn(P)
    c.send(b"GET /close HTTP/1.0\r\nHost: a\r\n\r\n")
    r = c.response()
    t.ok(r.body == b"until the end" and r.header("connection") == "close" and c.closed(),
         "... to an HTTP/1.0 client: forwarded to its end, then the connection closes", repr(r))
    c.close()

    # ---- WebSocket ----
    c = Conn(P)
    c.send(b"GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    r = c.response()
    t.ok(r.status == 101 and r.header("upgrade") == "websocket" and
         r.header("connection").lower() == "upgrade" and r.header("x-ok") == "1" and
         r.header("sec-websocket-accept") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
         "WebSocket: upgrade forwarded, 101 comes back", repr(r))
    got = b""
    for msg in (b"\x81\x05hello", b"x" * 100000):
        c.send(msg)
        want = len(got) + len(msg)
        while len(c.buf) < want:
            c._fill()
        got = c.buf
    t.eq(got, b"\x81\x05hello" + b"x" * 100000, "WebSocket: bytes tunnelled both ways")
    c.s.shutdown(socket.SHUT_WR)
    rest = b""
    try:
        while True:
            d_ = c.s.recv(65536)
            if not d_:
                break
            rest += d_
    except OSError:
        pass
    t.eq(rest, b"bye", "WebSocket: half-close passes through; the upstream's last bytes arrive")
    c.close()

    # ---- X-Forwarded-*: replaced by default, trusted on request ----
    spoof = (b"GET /fwd HTTP/1.1\r\nHost: f.example\r\nX-Forwarded-For: 203.0.113.7\r\n"
             b"X-Forwarded-For: 198.51.100.1, 10.0.0.2\r\nX-Forwarded-Proto: https\r\n"
             b"X-Forwarded-Host: public.example\r\nX-Forwarded-Port: 443\r\n"
             b"X-Real-IP: 6.6.6.6\r\n\r\n")
    ours = [["X-Forwarded-Proto", "http"], ["X-Forwarded-Host", "f.example"],
            ["X-Forwarded-Port", str(P)], ["X-Real-IP", "127.0.0.1"]]
    c = Conn(P)
    c.send(spoof)
    r = c.response()
    t.eq(json.loads(r.body) if r.status == 200 else r.status,
         [["X-Forwarded-For", "127.0.0.1"]] + ours,
         "by default a client's X-Forwarded-For is replaced by its address (no spoofing), and "
         "X-Forwarded-Proto/Host/Port and X-Real-IP are ours")
    c.close()
    px2 = serve(path, "--use-forwarded-headers", "--https-listen", "")
    c = Conn(px2.port)
    c.send(spoof)
    r = c.response()
    t.eq(json.loads(r.body) if r.status == 200 else r.status,
         [["X-Forwarded-For", "203.0.113.7, 198.51.100.1, 10.0.0.2, 127.0.0.1"],
          ["X-Forwarded-Proto", "https"], ["X-Forwarded-Host", "public.example"],
          ["X-Forwarded-Port", "443"], ["X-Real-IP", "127.0.0.1"]],
         "--use-forwarded-headers: X-Forwarded-For appended to, the client's "
         "X-Forwarded-Proto/Host/Port passed on")
    c.send(b"GET /fwd HTTP/1.1\r\nHost: f.example\r\n\r\n")
    r = c.response()
    t.eq(json.loads(r.body) if r.status == 200 else r.status,
         [["X-Forwarded-For", "127.0.0.1"], ["X-Forwarded-Proto", "http"],
          ["X-Forwarded-Host", "f.example"], ["X-Forwarded-Port", str(px2.port)],
          ["X-Real-IP", "127.0.0.1"]],
         "--use-forwarded-headers, a client that sends none: ours")
    c.close()
    px2.stop()

    # ---- response fields: hop-by-hop ones dropped, the others as sent ----
    c = Conn(px.port)
    for p, want in (("/hop", ["X-A: 1", "X-B:  two words  ", "X-C: 3", "X-D:"]),
                    ("/hop-first", ["X-A: 1", "X-B:  two words  ", "X-C: 3", "X-D:",
                                    "X-Last:z"]),
                    ("/hop-last", ["X-A: 1", "X-B:  two words  ", "X-C: 3", "X-D:",
                                   "X-Last:z"])):
        c.send(("GET %s HTTP/1.1\r\nHost: h.example\r\n\r\n" % p).encode())
        c.s.settimeout(5)
        head = b""
        while b"\r\n\r\n" not in head:
            k = c.s.recv(65536)
            if not k:
                break
            head += k
        head, _, body = head.partition(b"\r\n\r\n")
        while len(body) < 2:
            body += c.s.recv(65536)
        lines = head.decode("latin-1").split("\r\n")
        t.eq((lines[0], lines[1:], body),
             ("HTTP/1.1 200 OK", want + ["Content-Length: 2"], b"ok"),
             "response %s: hop-by-hop fields (and those named in Connection) dropped, "
             "the others passed on byte for byte, framing regenerated" % p)
    c.close()

    # ---- request fields: the same, pipelined (the second head starts inside
    # the buffer) ----
    c = Conn(px.port)
    one = b"GET /head HTTP/1.1\r\nHost: q.example\r\nX-A:1\r\nTE: trailers\r\n\r\n"
    two = (b"GET /head?2 HTTP/1.1\r\nConnection: X-Private\r\nHost: q.example\r\n"
           b"X-B:  two  \r\nX-Forwarded-For: 6.6.6.6\r\nX-C: 3\r\nExpect: 100-continue\r\n"
           b"X-D:\r\nX-Private: secret\r\n\r\n")
    c.send(one + two)
    got = []
    for _ in range(2):
        r = c.response()
        lines = r.body.decode("latin-1").split("\r\n") if r.status == 200 else [str(r.status)]
        got.append([l for l in lines[1:] if l and not l.lower().startswith(("x-forwarded",
                                                                           "x-real-ip",
                                                                           "x-request-id"))])
    c.close()
    t.eq(got, [["Host: q.example", "X-A:1"],
               ["Host: q.example", "X-B:  two  ", "X-C: 3", "X-D:"]],
         "request fields: hop-by-hop ones, those named in Connection, Expect and the "
         "client's X-Forwarded-* dropped, the others passed on byte for byte, also "
         "for a pipelined request")

    # ---- the access log ----
    log = os.path.join(d, "access.log")
    with open(log, "w") as out:
        px3 = serve(path, "--https-listen", "", access_log="on", stdout=out)
    c = Conn(px3.port)
    c.send(b"GET /small?q=1 HTTP/1.1\r\nHost: a.example\r\nX-Request-ID: rid-1\r\n\r\n")
    small = c.response()
    c.send(b"HEAD /h HTTP/1.1\r\nHost: a.example\r\n\r\n")
    c.response("HEAD")
    c.send(b'GET /q"uote\x01 HTTP/1.1\r\nHost: a.example\r\n\r\n')
    c.response()
    c.close()
    # A body larger than what the sockets hold, to a client with a small
    # window that waits before reading: it leaves in many writes, some cut
    # short, and the log counts every byte once.
    s = socket.create_connection(("127.0.0.1", px3.port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    s.sendall(b"GET /big HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n")
    time.sleep(0.2)  # the proxy fills what the sockets hold and waits
    got = b""
    while True:
        k = s.recv(8192)
        if not k:
            break
        got += k
    s.close()
    t.ok(got.endswith(b"b" * 300000), "access log: the slow client gets the whole 300,000 bytes")
    c = Conn(px3.port)
    c.send(b"GET / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 1\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n")
    c.response()
    c.close()
    px3.stop()
    lines = open(log).read().splitlines()
    pat = (r'^127\.0\.0\.1 - \[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] "(.*)" (\d{3}) (\d+) '
           r'(\S+) (\d+\.\d{3}) (\S+)$')
    got = [re.match(pat, l) for l in lines]
    t.ok(len(lines) == 5 and all(got), "access log: one line per request, in the documented form",
         "\n".join(lines))
    if len(lines) == 5 and all(got):
        rows = [m.groups() for m in got]
        t.eq([(r[0], r[1], r[2], r[3]) for r in rows],
             [("GET /small?q=1 HTTP/1.1", "200", str(len(small.body)), up.addr),
              ("HEAD /h HTTP/1.1", "200", "0", up.addr),
              ("GET /q\\x22uote\\x01 HTTP/1.1", "400", rows[2][2], "-"),
              ("GET /big HTTP/1.1", "200", "300000", up.addr),
              ("GET / HTTP/1.1", "400", rows[4][2], "-")],
             "access log: request line (escaped), status, body bytes sent, upstream")
        t.eq(rows[0][5], "rid-1", "access log: the client's X-Request-ID")
        t.ok(re.fullmatch(r"[0-9a-f]{32}", rows[1][5]) is not None,
             "access log: the generated X-Request-ID", rows[1][5])

    # ---- nothing leaked ----
    px.stop()
    t.eq(px.p.returncode, 0, "serve exits 0 on SIGTERM")
    up.close()


if __name__ == "__main__":
    TAP().run(main)
