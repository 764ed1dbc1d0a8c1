#!/usr/bin/env python3
"""Memory per idle keep-alive connection of `ferry ingress serve`.

Starts a `ferry echo` backend and a one-worker proxy in front of it, opens N
client connections (in batches of 200), sends one request on each and reads
its answer, then leaves them all open and idle. Reports the proxy's
resident memory (VmRSS) before and after, per connection, once the
buffer-pool trim (every 5 s) has run. Kernel socket memory is not in RSS
and not counted (it is the same for every proxy).

Usage: bench/idle_conns.py [FERRY] [N]      (default build/ferry, 10000)
Target (DESIGN.md): <= 16 KiB per idle keep-alive connection at 10,000.
"""
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
os.environ["FERRY"] = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                                      os.path.join(ROOT, "build", "ferry"))
import proxylib as L  # noqa: E402

N = int(sys.argv[2]) if len(sys.argv) > 2 else 10000


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    n = min(N, hard - 100)
    be = L.echo(service="idle", pod="idle-0")
    d = L.tmpdir()
    path = os.path.join(d, "m.yaml")
    L.write_manifests(path, [L.ingress("idle", default=("idle", 80))] +
                      L.backend("idle", [be.addr]))
    px = L.serve(path, "--keepalive-timeout", "10m", "--max-connections", str(n + 100))
    req = b"GET / HTTP/1.1\r\nHost: idle.example\r\n\r\n"
    warm = L.Conn(px.port)
    for _ in range(100):
        warm.send(req)
        warm.response()
    warm.close()
    time.sleep(6)  # let the trim timer run once
    base = px.rss_kib()
    socks = []
    t0 = time.time()
    for start in range(0, n, 200):
        batch = []
        for _ in range(min(200, n - start)):
            s = socket.create_connection(("127.0.0.1", px.port))
            s.sendall(req)
            batch.append(s)
        for s in batch:
            got = b""
            while b"\r\n\r\n" not in got or not got.rstrip().endswith(b"}"):
                got += s.recv(65536)
        socks += batch
    t1 = time.time()
    time.sleep(6)
    after = px.rss_kib()
    per = (after - base) * 1024 / n
    print("idle keep-alive connections: %d (opened and used in %.1fs)" % (n, t1 - t0))
    print("proxy VmRSS: %d KiB before, %d KiB after: %.0f bytes (%.2f KiB) per idle connection"
          % (base, after, per, per / 1024))
    print("target <= 16 KiB per connection: %s" % ("met" if per <= 16384 else "NOT met"))
    for s in socks:
        s.close()
    px.stop()
    be.stop()


if __name__ == "__main__":
    main()
