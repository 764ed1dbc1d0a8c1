#!/usr/bin/env python3
"""ferry ingress serve: upstreams that are down, slow, resetting or broken;
retries on another endpoint; keep-alive connection reuse; interim (1xx)
responses forwarded to HTTP/1.1 clients."""
import os
import socket
import struct
import threading
import time

from proxylib import (SLOW, TAP, Conn, Upstream, backend, ingress, read_body, reply, request,
                      serve, tmpdir, write_manifests)


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there: connections are refused
    return "127.0.0.1:%d" % port


def blackhole():
    """A listener whose backlog is full: new connections hang (SYNs
    dropped), which is what an unreachable endpoint looks like."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    fillers = []
    for _ in range(4):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(ls.getsockname())
        except BlockingIOError:
            pass
        fillers.append(c)
    time.sleep(0.2)
    return ls, fillers, "127.0.0.1:%d" % ls.getsockname()[1]


def rst(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def main(t):
    ok = Upstream(lambda s, h, r: reply(s, 200, b"ok:" + h.split(b" ")[1]))
    slow = Upstream(lambda s, h, r: (time.sleep(3 * SLOW), reply(s, 200, b"late"))[1])

    def resetter(s, head, rest):
        rst(s)
        return False

    def midway(s, head, rest):
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        time.sleep(0.1)
        rst(s)
        return False

    def garbage(s, head, rest):
        s.sendall(b"HTTP/1.1 2000 Whatever\r\n\r\n")
        return False

    # Serves the first request of each connection; on the second, reads it
    # and closes without answering: a pooled connection the upstream dropped.
    seen = {}

    def stale(s, head, rest):
        n = seen.get(s.fileno(), 0) + 1
        seen[s.fileno()] = n
        read_body(s, head, rest)
        if n > 1:
            seen.pop(s.fileno())
            s.close()
            return False
        return reply(s, 200, b"fresh:" + head.split(b" ")[1])

    def hints(s, head, rest):
        # an upstream's own 100 (ferry answers Expect itself), then 103
        s.sendall(b"HTTP/1.1 100 Continue\r\n\r\n"
                  b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n")
        time.sleep(0.3)  # under --upstream-timeout (1s) even with sanitizers
        return reply(s, 200, b"final")

    reset_up, midway_up, garbage_up, stale_up = (Upstream(resetter), Upstream(midway),
                                                  Upstream(garbage), Upstream(stale))
    hints_up = Upstream(hints)
    bh_sock, bh_fillers, bh = blackhole()
    down = closed_port()

    objs = [ingress("u", "default", [("u.example", [
        ("/down", "Prefix", "down", 80), ("/slow", "Prefix", "slow", 80),
        ("/reset", "Prefix", "reset", 80), ("/midway", "Prefix", "midway", 80),
        ("/garbage", "Prefix", "garbage", 80), ("/retry", "Prefix", "retry", 80),
        ("/hole", "Prefix", "hole", 80), ("/hole-retry", "Prefix", "hole-retry", 80),
        ("/stale", "Prefix", "stale", 80), ("/ok", "Prefix", "ok", 80),
        ("/hints", "Prefix", "hints", 80)])])]
    objs += backend("down", [down]) + backend("slow", [slow.addr])
    objs += backend("reset", [reset_up.addr]) + backend("midway", [midway_up.addr])
    objs += backend("garbage", [garbage_up.addr]) + backend("hole", [bh])
    objs += backend("retry", [down, closed_port(), ok.addr])
    objs += backend("hole-retry", [bh, ok.addr]) + backend("stale", [stale_up.addr])
    objs += backend("ok", [ok.addr]) + backend("hints", [hints_up.addr])
    d = tmpdir()
    path = os.path.join(d, "m.yaml")
    write_manifests(path, objs)
    px = serve(path, "--upstream-timeout", "1s", "--upstream-connect-timeout", "500ms",
               "--upstream-tries", "3")

    def get(p, **kw):
        return request(px.port, p, host="u.example", **kw)

    r = get("/down")
    t.eq(r.status, 502, "502 when the only endpoint refuses connections")
    t0 = time.time()
    r = get("/slow")
    dt = time.time() - t0
    t.ok(r.status == 504 and 0.9 < dt < 2.5 * SLOW, "504 after --upstream-timeout (1s)",
         "%r in %.2fs" % (r, dt))
    t.eq(get("/reset").status, 502, "502 when the upstream resets before answering")
    c = Conn(px.port)
    c.send(b"GET /midway HTTP/1.1\r\nHost: u.example\r\n\r\n")
    try:
        r = c.response()
        truncated = False
    except EOFError:
        truncated = True
    t.ok(truncated, "a response cut short by a reset: the client connection is closed "
         "(never a complete-looking response)")
    c.close()
    t.eq(get("/garbage").status, 502, "502 when the upstream sends no valid HTTP")
    rs = [get("/retry/%d" % i) for i in range(6)]
    t.eq([(r.status, r.body) for r in rs], [(200, b"ok:/retry/%d" % i) for i in range(6)],
         "endpoints that refuse are skipped: every request succeeds on another one")
    r = get("/retry", method="POST", body=b"x")
    t.eq(r.status, 200, "... for non-idempotent requests too (nothing was sent)")
    t0 = time.time()
    r = get("/hole")
    dt = time.time() - t0
    t.ok(r.status == 504 and 0.4 < dt < 2 * SLOW,
         "an endpoint that does not answer connects: 504 after --upstream-connect-timeout",
         "%r in %.2fs" % (r, dt))
    r = get("/hole-retry")
    t.ok(r.status == 200 or r.body.startswith(b"ok:"),
         "connect timeout on one endpoint: the request goes to the next", repr(r))

    # keep-alive pool
    before = ok.connections
    for i in range(20):
        get("/ok/%d" % i)
    t.ok(ok.connections - before <= 1, "20 requests from 20 client connections: at most one new "
         "upstream connection, kept alive", ok.connections - before)

    # a pooled connection the upstream dropped
    c = Conn(px.port)
    c.send(b"GET /stale/1 HTTP/1.1\r\nHost: u.example\r\n\r\n")
    r1 = c.response()
    c.send(b"GET /stale/2 HTTP/1.1\r\nHost: u.example\r\n\r\n")
    r2 = c.response()
    t.ok(r1.body == b"fresh:/stale/1" and r2.body == b"fresh:/stale/2",
         "GET on a pooled connection the upstream closed: retried on a new one", repr((r1, r2)))
    c.send(b"POST /stale/3 HTTP/1.1\r\nHost: u.example\r\nContent-Length: 1\r\n\r\nx")
    r3 = c.response()
    t.eq(r3.status, 502, "POST on a pooled connection the upstream closed: 502, not replayed")
    c.close()

    # 103 Early Hints: forwarded to HTTP/1.1 clients before the final response
    c = Conn(px.port)
    c.send(b"GET /hints HTTP/1.1\r\nHost: u.example\r\n\r\n")
    r1 = c.response(skip_interim=False)
    t.ok(r1.status == 103 and r1.header("link") == "</style.css>; rel=preload" and
         b"200" not in c.buf,
         "103 Early Hints with its Link header reaches an HTTP/1.1 client at once, before the "
         "final response exists (the upstream's own 100 is not passed on)", repr((r1, c.buf)))
    r2 = c.response(skip_interim=False)
    t.eq((r2.status, r2.body), (200, b"final"), "then the final response")
    c.send(b"GET /hints/again HTTP/1.1\r\nHost: u.example\r\n\r\n")
    got = [c.response(skip_interim=False) for _ in range(2)]
    t.eq([(r.status, r.body) for r in got], [(103, b""), (200, b"final")],
         "and again on the same (kept-alive) connection")
    c.close()
    c = Conn(px.port)
    c.send(b"GET /hints HTTP/1.0\r\nHost: u.example\r\n\r\n")
    r = c.response(skip_interim=False)
    t.eq((r.status, r.body), (200, b"final"), "an HTTP/1.0 client gets no interim response")
    c.close()

    px.stop()
    t.eq(px.p.returncode, 0, "serve exits 0")
    for u in (ok, slow, reset_up, midway_up, garbage_up, stale_up, hints_up):
        u.close()
    bh_sock.close()
    for f in bh_fillers:
        f.close()


if __name__ == "__main__":
    TAP().run(main)
