#!/usr/bin/env python3
"""ferry ingress serve: slow clients timed out (header, body, keep-alive
idle, a client that does not read), the per-worker connection limit,
graceful stop on SIGTERM (requests in flight finish, new connections are
refused) and the grace period."""
import os
import signal
import socket
import threading
import time

from proxylib import (SLOW, TAP, Conn, Upstream, backend, ingress, read_body, reply, request,
                      serve, tmpdir, write_manifests)


def handler(s, head, rest):
    target = head.split(b" ")[1]
    body, rest = read_body(s, head, rest)
    if target.startswith(b"/sleep/"):
        time.sleep(float(target.split(b"/")[2]))
    if target == b"/big":
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (256 << 20))
        try:
            for _ in range(256):
                s.sendall(b"z" * (1 << 20))
        except OSError:
            pass
        return False
    return reply(s, 200, b"done " + target), rest


def elapsed(fn):
    t0 = time.time()
    r = fn()
    return r, time.time() - t0


def main(t):
    up = Upstream(handler)
    d = tmpdir()
    path = os.path.join(d, "m.yaml")
    write_manifests(path, [ingress("t", "default", default=("up", 80))] + backend("up", [up.addr]))
    px = serve(path, "--client-header-timeout", "1s", "--client-body-timeout", "1s",
               "--keepalive-timeout", "1s", "--send-timeout", "1s", "--max-connections", "20",
               "--upstream-timeout", "20s")
    P = px.port
    hi = 3.5 * SLOW

    c = Conn(P)
    c.send(b"GET / HTTP/1.1\r\nHost: a\r\n")
    r, dt = elapsed(c.response)
    t.ok(r.status == 408 and 0.9 < dt < hi and c.closed(),
         "a head that does not end: 408 after --client-header-timeout, closed", "%r %.2fs" % (r, dt))
    c.close()
    c = Conn(P)
    c.send(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab")
    r, dt = elapsed(c.response)
    t.ok(r.status == 408 and 0.9 < dt < hi and c.closed(),
         "a body that stops coming: 408 after --client-body-timeout, closed", "%r %.2fs" % (r, dt))
    c.close()
    c = Conn(P)
    c.send(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
    c.response()
    closed, dt = elapsed(lambda: c.closed(wait=5))
    t.ok(closed and 0.8 < dt < hi, "an idle keep-alive connection: closed after "
         "--keepalive-timeout", "%.2fs" % dt)
    c.close()
    c = Conn(P)
    ok, dt = elapsed(lambda: c.closed(wait=5))
    t.ok(ok and 0.8 < dt < hi, "a connection that never sends: closed after the header timeout",
         "%.2fs" % dt)
    c.close()

    # a client that stops reading a large response
    s = socket.create_connection(("127.0.0.1", P))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /big HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(3 * SLOW)  # blocked for longer than --send-timeout
    s.settimeout(5 * SLOW)
    got = 0
    try:
        while True:
            d_ = s.recv(1 << 20)
            if not d_:
                break
            got += len(d_)
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    t.ok(got < (16 << 20), "a client that does not read: reset after --send-timeout "
         "(%d KiB of 256 MiB received)" % (got >> 10))

    # connection limit (one worker, 20)
    held = []
    for _ in range(20):
        c = Conn(P)
        c.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        c.response()
        held.append(c)
    extra = Conn(P)
    t.ok(extra.closed(wait=2), "--max-connections: the connection over the limit is closed")
    extra.close()
    for c in held:
        c.close()
    time.sleep(0.3)
    t.eq(request(P, "/again").status, 200, "below the limit again: served")
    px.stop()

    # graceful stop
    px = serve(path, "--shutdown-grace-period", "10s", "--upstream-timeout", "20s")
    P = px.port
    res = {}

    def slow_request():
        c = Conn(P, timeout=30)
        c.send(b"GET /sleep/2 HTTP/1.1\r\nHost: a\r\n\r\n")
        r = c.response()
        res["r"] = r
        res["closed"] = c.closed()
    th = threading.Thread(target=slow_request)
    th.start()
    idle = Conn(P)
    idle.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    idle.response()
    time.sleep(0.5)
    t0 = time.time()
    px.signal(signal.SIGTERM)
    time.sleep(0.3)
    refused = False
    try:
        s = socket.create_connection(("127.0.0.1", P), timeout=2)
        s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        refused = s.recv(100) == b""
        s.close()
    except OSError:
        refused = True
    t.ok(refused, "after SIGTERM: new connections are refused")
    t.ok(idle.closed(wait=2), "after SIGTERM: idle keep-alive connections are closed")
    th.join(30)
    r = res.get("r")
    t.ok(r is not None and r.status == 200 and r.body == b"done /sleep/2" and
         r.header("connection") == "close" and res.get("closed"),
         "the request in flight finishes (with Connection: close)", repr(res))
    rc = px.wait(20)
    t.ok(rc == 0 and time.time() - t0 < 10, "then serve exits 0 without waiting for the grace "
         "period", "rc %s after %.1fs" % (rc, time.time() - t0))

    px = serve(path, "--shutdown-grace-period", "1s", "--upstream-timeout", "20s")
    P = px.port
    c = Conn(P, timeout=30)
    c.send(b"GET /sleep/6 HTTP/1.1\r\nHost: a\r\n\r\n")
    time.sleep(0.3)
    t0 = time.time()
    px.signal(signal.SIGTERM)
    rc = px.wait(20)
    dt = time.time() - t0
    t.ok(rc == 0 and 0.9 < dt < 4 * SLOW, "a request longer than --shutdown-grace-period is cut "
         "at its end", "rc %s after %.1fs" % (rc, dt))
    c.close()
    up.close()


if __name__ == "__main__":
    TAP().run(main)
