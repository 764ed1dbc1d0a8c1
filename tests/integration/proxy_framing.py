#!/usr/bin/env python3
"""ferry ingress serve: a response whose body ends when the upstream closes
(no Content-Length, no Transfer-Encoding: RFC 9112 6.3 rule 8). An
HTTP/1.1 client gets it re-framed as chunked and keeps its connection; an
HTTP/1.0 client gets the raw bytes and a close. Responses without a body
(HEAD, 304) are not touched."""
import os
import socket
import struct
import time

from proxylib import SLOW, TAP, Conn, Upstream, backend, ingress, serve, tmpdir, write_manifests

BIG = os.urandom(3 * 1024 * 1024 + 12345)  # several MB, an odd size
BODIES = {"/big": BIG, "/small": b"small body", "/empty": b""}


def handler(s, head, rest):
    """Answers without framing and closes; the body in 64 KiB writes with
    short pauses, so the proxy sees it in several reads."""
    method, target = head.split(b" ", 2)[:2]
    path = target.decode()
    if path == "/304":
        s.sendall(b"HTTP/1.1 304 Not Modified\r\nETag: \"e\"\r\n\r\n")
        return True, rest
    if path == "/reset":
        s.sendall(b"HTTP/1.1 200 OK\r\n\r\n" + b"r" * 1000)
        time.sleep(0.2)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        return False
    body = BODIES.get(path, b"")
    s.sendall(b"HTTP/1.1 200 OK\r\nX-Path: " + target + b"\r\n\r\n")
    if method != b"HEAD":
        for i in range(0, len(body), 65536):
            s.sendall(body[i:i + 65536])
            if i % (16 * 65536) == 0:
                time.sleep(0.005)
    s.shutdown(socket.SHUT_WR)
    return False


def read_head(c):
    status = c._line()
    headers = {}
    while True:
        line = c._line()
        if not line:
            break
        k, v = line.decode("latin-1").split(":", 1)
        headers[k.strip().lower()] = v.strip()
    return status, headers


def read_chunked(c):
    """The body of a chunked response, checked strictly: every chunk is
    "<hex>\\r\\n<data>\\r\\n", the last "0\\r\\n\\r\\n" (no trailers).
    Returns (body, number of data chunks)."""
    parts = []
    while True:
        line = c._line()
        size = int(line, 16)  # no extensions expected from us
        if size == 0:
            if c._take(2) != b"\r\n":
                raise ValueError("last chunk not followed by CRLF")
            return b"".join(parts), len(parts)
        parts.append(c._take(size))
        if c._take(2) != b"\r\n":
            raise ValueError("chunk data not followed by CRLF")


def main(t):
    up = Upstream(handler)
    objs = [ingress("f", "default", [("f.example", [("/", "Prefix", "up", 80)])])]
    objs += backend("up", [up.addr])
    d = tmpdir()
    path = os.path.join(d, "m.yaml")
    write_manifests(path, objs)
    px = serve(path, "--upstream-timeout", "5s")

    def get(c, p, version="1.1", method="GET", extra=""):
        c.send("%s %s HTTP/%s\r\nHost: f.example\r\n%s\r\n" % (method, p, version, extra))

    # ---- HTTP/1.1: chunked, and the connection stays ----
    c = Conn(px.port)
    before = up.connections
    get(c, "/big")
    status, h = read_head(c)
    t.ok(status.startswith(b"HTTP/1.1 200") and h.get("transfer-encoding") == "chunked" and
         "content-length" not in h and h.get("connection") != "close",
         "HTTP/1.1 client: a close-delimited response comes with Transfer-Encoding: chunked",
         repr((status, h)))
    body, nchunks = read_chunked(c)
    t.ok(body == BIG and nchunks > 1, "the exact %d body bytes, in several chunks" % len(BIG),
         "%d bytes, %d chunks, equal: %s" % (len(body), nchunks, body == BIG))
    get(c, "/small")
    status, h = read_head(c)
    body, _ = read_chunked(c)
    t.ok(h.get("x-path") == "/small" and body == b"small body",
         "a second request on the same client connection is answered", repr((status, h, body)))
    get(c, "/empty")
    status, h = read_head(c)
    raw_end = c._take(5)
    t.ok(h.get("transfer-encoding") == "chunked" and raw_end == b"0\r\n\r\n",
         "an empty close-delimited body: the last chunk only", repr((h, raw_end)))
    get(c, "/small")
    status, h = read_head(c)
    body, _ = read_chunked(c)
    t.ok(body == b"small body", "... and the connection still serves requests", repr(body))
    t.ok(up.connections - before == 4,
         "each closed upstream connection was dropped, not pooled (one per response)",
         up.connections - before)
    c.close()

    # pipelined: the second request waits in our buffer for the first's end
    c = Conn(px.port)
    get(c, "/small")
    get(c, "/big")
    _, h1 = read_head(c)
    b1, _ = read_chunked(c)
    _, h2 = read_head(c)
    b2, _ = read_chunked(c)
    t.ok(h1.get("x-path") == "/small" and b1 == b"small body" and h2.get("x-path") == "/big" and
         b2 == BIG, "two pipelined requests with close-delimited responses: both answered, "
         "in order", repr((h1, len(b1), h2, len(b2))))
    c.close()

    # a client that asked for close still gets chunks (the end is explicit)
    c = Conn(px.port)
    get(c, "/small", extra="Connection: close\r\n")
    _, h = read_head(c)
    body, _ = read_chunked(c)
    t.ok(h.get("transfer-encoding") == "chunked" and h.get("connection") == "close" and
         body == b"small body" and c.closed(), "HTTP/1.1 with Connection: close: chunked, "
         "then closed", repr((h, body)))
    c.close()

    # a reset in the middle: no last chunk, the connection is closed
    c = Conn(px.port)
    get(c, "/reset")
    _, h = read_head(c)
    try:
        read_chunked(c)
        complete = True
    except EOFError:
        complete = False
    t.ok(h.get("transfer-encoding") == "chunked" and not complete,
         "a body cut by an upstream reset gets no last chunk: the client sees it incomplete",
         repr(h))
    c.close()

    # ---- HTTP/1.0: raw bytes, then close ----
    for extra, what in (("", ""), ("Connection: keep-alive\r\n", " (even one asking keep-alive)")):
        c = Conn(px.port)
        get(c, "/big", version="1.0", extra=extra)
        status, h = read_head(c)
        t0 = time.time()
        try:
            while True:
                c._fill()
        except EOFError:
            pass
        body = c.buf
        t.ok("transfer-encoding" not in h and "content-length" not in h and
             h.get("connection") == "close" and body == BIG and time.time() - t0 < 10 * SLOW,
             "HTTP/1.0 client%s: the raw body, then the connection closes" % what,
             repr((status, h, len(body))))
        c.close()

    # ---- no body: nothing changes ----
    c = Conn(px.port)
    get(c, "/small", method="HEAD")
    status, h = read_head(c)
    t.ok(status.startswith(b"HTTP/1.1 200") and "transfer-encoding" not in h and
         h.get("connection") != "close", "HEAD: no Transfer-Encoding added, no body", repr(h))
    get(c, "/304")
    status, h = read_head(c)
    t.ok(status.startswith(b"HTTP/1.1 304") and "transfer-encoding" not in h,
         "304: no Transfer-Encoding added, no body", repr((status, h)))
    get(c, "/small")
    _, h = read_head(c)
    body, _ = read_chunked(c)
    t.ok(body == b"small body" and c.buf == b"",
         "after them the connection carries the next response intact", repr((h, body, c.buf)))
    c.close()

    px.stop()
    t.eq(px.p.returncode, 0, "serve exits 0")
    up.close()


if __name__ == "__main__":
    TAP().run(main)
