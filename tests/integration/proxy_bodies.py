#!/usr/bin/env python3
"""ferry ingress serve: large bodies both ways, streamed with bounded
memory. 200 MB up (Content-Length and chunked), 200 MB down
(Content-Length and chunked), both at once on one exchange, and a slow
reader: the proxy's resident memory must stay flat (it holds a few 16 KiB
buffers per exchange, never a body)."""
import hashlib
import os
import socket
import threading
import time

from proxylib import SLOW, TAP, Upstream, backend, ingress, serve, tmpdir, write_manifests

MB = 1 << 20
BLOCK = bytes(range(256)) * 4096  # 1 MiB


def recv_exact_hash(s, n, h, buf=b""):
    """Reads n bytes (first from buf) into hash h; returns leftover."""
    take = min(len(buf), n)
    h.update(buf[:take])
    n -= take
    buf = buf[take:]
    while n:
        d = s.recv(min(n, 1 << 18))
        if not d:
            raise EOFError()
        h.update(d)
        n -= len(d)
    return buf


class ChunkReader:
    """Streams a chunked body from socket s into hash h."""

    def __init__(self, s, buf):
        self.s, self.buf = s, buf

    def need(self):
        d = self.s.recv(1 << 18)
        if not d:
            raise EOFError()
        self.buf += d

    def line(self):
        while b"\r\n" not in self.buf:
            self.need()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read(self, h, sink=None):
        total = 0
        while True:
            size = int(self.line().split(b";")[0], 16)
            if size == 0:
                while self.line():
                    pass
                return total
            left = size
            while left:
                if not self.buf:
                    self.need()
                piece = self.buf[:left]
                self.buf = self.buf[left:]
                h.update(piece)
                if sink:
                    sink(piece)
                left -= len(piece)
            total += size
            while len(self.buf) < 2:
                self.need()
            self.buf = self.buf[2:]


def handler(s, head, rest):
    line = head.split(b"\r\n", 1)[0].decode()
    method, target, _ = line.split(" ")
    h = head.decode("latin-1").lower()
    if target.startswith("/down/"):
        n = int(target.split("/")[2]) * MB
        if "chunked" in target:
            s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(n // MB):
                s.sendall(b"100000\r\n" + BLOCK + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        else:
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
            for _ in range(n // MB):
                s.sendall(BLOCK)
        return True
    hs = hashlib.sha256()
    if target == "/mirror":
        # streams the request body back as it arrives, as chunks
        s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")

        def sink(piece):
            s.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
        n = ChunkReader(s, rest).read(hs, sink)
        s.sendall(b"0\r\n\r\n")
        return True
    if "transfer-encoding: chunked" in h:
        n = ChunkReader(s, rest).read(hs)
    else:
        n = int(h.split("content-length:")[1].split("\r\n")[0])
        recv_exact_hash(s, n, hs, rest)
    body = ("%d %s" % (n, hs.hexdigest())).encode()
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    return True


class RSSWatch:
    def __init__(self, pid):
        self.pid, self.peak, self.stop_ = pid, 0, False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop_:
            try:
                with open("/proc/%d/status" % self.pid) as f:
                    for line in f:
                        if line.startswith("VmRSS:"):
                            self.peak = max(self.peak, int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.02)

    def stop(self):
        self.stop_ = True
        self.t.join()
        return self.peak


def expected_sha(n_mb):
    h = hashlib.sha256()
    for _ in range(n_mb):
        h.update(BLOCK)
    return h.hexdigest()


def main(t):
    up = Upstream(handler)
    d = tmpdir()
    path = os.path.join(d, "m.yaml")
    write_manifests(path, [ingress("b", "default", default=("up", 80))] + backend("up", [up.addr]))
    px = serve(path, "--upstream-timeout", "30s")
    time.sleep(0.2)
    base = px.rss_kib()
    limit_kib = 24 * 1024  # far below any body here
    sha200 = expected_sha(200)

    def conn():
        return socket.create_connection(("127.0.0.1", px.port), timeout=60 * SLOW)

    def read_head(s):
        buf = b""
        while b"\r\n\r\n" not in buf:
            d_ = s.recv(65536)
            if not d_:
                raise EOFError()
            buf += d_
        head, rest = buf.split(b"\r\n\r\n", 1)
        return head.decode("latin-1"), rest

    def upload(chunked, n_mb):
        s = conn()
        w = RSSWatch(px.p.pid)
        if chunked:
            s.sendall(b"POST /up HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in range(n_mb):
                s.sendall(b"100000\r\n" + BLOCK + b"\r\n")
            s.sendall(b"0\r\n\r\n")
        else:
            s.sendall(b"POST /up HTTP/1.1\r\nHost: b\r\nContent-Length: %d\r\n\r\n" % (n_mb * MB))
            for _ in range(n_mb):
                s.sendall(BLOCK)
        head, rest = read_head(s)
        n = int(head.lower().split("content-length:")[1].split("\r\n")[0])
        while len(rest) < n:
            rest += s.recv(65536)
        s.close()
        return rest.decode(), w.stop()

    def download(chunked, n_mb, slow=False):
        s = conn()
        w = RSSWatch(px.p.pid)
        s.sendall(b"GET /down/%d%s HTTP/1.1\r\nHost: b\r\n\r\n" %
                  (n_mb, b"/chunked" if chunked else b""))
        head, rest = read_head(s)
        h = hashlib.sha256()
        if chunked:
            ChunkReader(s, rest).read(h)
        elif slow:
            h.update(rest)
            left = n_mb * MB - len(rest)
            while left:
                d_ = s.recv(min(left, 1 << 18))
                h.update(d_)
                left -= len(d_)
                time.sleep(0.01)
        else:
            recv_exact_hash(s, n_mb * MB, h, rest)
        s.close()
        return head, h.hexdigest(), w.stop()

    for chunked in (False, True):
        name = "chunked" if chunked else "Content-Length"
        t0 = time.time()
        got, peak = upload(chunked, 200)
        t.eq(got, "%d %s" % (200 * MB, sha200), "200 MB request body (%s) arrives whole" % name)
        t.ok(peak - base < limit_kib, "... with the proxy's RSS flat: +%d KiB (%.1fs)" %
             (peak - base, time.time() - t0), "base %d KiB, peak %d KiB" % (base, peak))
    for chunked in (False, True):
        name = "chunked" if chunked else "Content-Length"
        t0 = time.time()
        head, digest, peak = download(chunked, 200)
        t.eq(digest, sha200, "200 MB response body (%s) arrives whole" % name)
        t.ok(peak - base < limit_kib, "... with the proxy's RSS flat: +%d KiB (%.1fs)" %
             (peak - base, time.time() - t0), "base %d KiB, peak %d KiB" % (base, peak))
    head, digest, peak = download(False, 20, slow=True)
    t.ok(digest == expected_sha(20) and peak - base < limit_kib,
         "a slow reader of 20 MB: back-pressure, RSS +%d KiB" % (peak - base))

    # both ways at once: the upstream streams the body back while it arrives
    s = conn()
    w = RSSWatch(px.p.pid)
    s.sendall(b"POST /mirror HTTP/1.1\r\nHost: b\r\nTransfer-Encoding: chunked\r\n\r\n")
    result = {}

    def reader():
        head, rest = read_head(s)
        h = hashlib.sha256()
        result["n"] = ChunkReader(s, rest).read(h)
        result["sha"] = h.hexdigest()
    th = threading.Thread(target=reader)
    th.start()
    for _ in range(50):
        s.sendall(b"100000\r\n" + BLOCK + b"\r\n")
    s.sendall(b"0\r\n\r\n")
    th.join(60 * SLOW)
    peak = w.stop()
    s.close()
    t.ok(result.get("n") == 50 * MB and result.get("sha") == expected_sha(50) and
         peak - base < limit_kib,
         "50 MB streamed up and back down at the same time (full duplex), RSS +%d KiB"
         % (peak - base), repr(result))
    px.stop()
    up.close()


if __name__ == "__main__":
    TAP().run(main)
