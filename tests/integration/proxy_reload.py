#!/usr/bin/env python3
"""ferry ingress serve --manifests DIR: changes are served within a second,
under load with zero failed requests (wrk), without dropping a connection;
an invalid file is reported (file, line, what) and the previous
configuration keeps serving; files added and removed count."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from proxylib import (SLOW, TAP, Conn, backend, echo, ingress, request, serve, tmpdir,
                      write_manifests)


def route(d, svc, host="r.example"):
    write_manifests(os.path.join(d, "ingress.yaml"),
                    [ingress("r", "default", [(host, [("/", "Prefix", svc, 80)])])])


def served_by(port, host="r.example"):
    r = request(port, "/", host=host)
    return r.json()["service"] if r.status == 200 else r.status


def wait_for(port, want, host="r.example", limit=3.0):
    t0 = time.time()
    while time.time() - t0 < limit * SLOW:
        if served_by(port, host) == want:
            return time.time() - t0
        time.sleep(0.01)
    return None


def main(t):
    a, b = echo(service="a", pod="a-0"), echo(service="b", pod="b-0")
    d = tmpdir()
    write_manifests(os.path.join(d, "services.yaml"),
                    backend("a", [a.addr]) + backend("b", [b.addr]))
    route(d, "a")
    px = serve(d, workers=2)
    P = px.port
    t.eq(served_by(P), "a", "the directory's files are served")

    keep = Conn(P)
    keep.send(b"GET / HTTP/1.1\r\nHost: r.example\r\n\r\n")
    t.eq(keep.response().json()["service"], "a", "a keep-alive connection before the changes")

    # ---- changes under load ----
    wrk = shutil.which("wrk")
    if not wrk:
        t.skip("changes under load: zero failed requests", "wrk is not installed")
    else:
        stop = threading.Event()
        flips = []

        def flipper():
            time.sleep(1.0)
            svc = "b"
            while not stop.is_set():
                route(d, svc)
                flips.append(svc)
                svc = "a" if svc == "b" else "b"
                stop.wait(0.4)
        th = threading.Thread(target=flipper)
        th.start()
        out = subprocess.run([wrk, "-t2", "-c16", "-d5s", "-H", "Host: r.example",
                              "http://127.0.0.1:%d/" % P], capture_output=True, text=True,
                             timeout=60).stdout
        stop.set()
        th.join()
        m = re.search(r"(\d+) requests in", out)
        n = int(m.group(1)) if m else 0
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errs = re.search(r"Socket errors: (.*)", out)
        t.ok(n > 1000 and not bad and not errs and len(flips) >= 5,
             "%d configuration changes under load (%d requests): zero non-2xx, zero socket "
             "errors" % (len(flips), n), out)
    route(d, "b")
    dt = wait_for(P, "b")
    t.ok(dt is not None and dt < 1.0, "a change is served within a second (%s s)" %
         ("%.3f" % dt if dt is not None else "never"))
    keep.send(b"GET / HTTP/1.1\r\nHost: r.example\r\n\r\n")
    r = keep.response()
    t.eq(r.json()["service"], "b", "the connection opened before the changes still works, "
         "on the new routes")

    # ---- an invalid file keeps the previous configuration ----
    with open(os.path.join(d, "ingress.yaml"), "w") as f:
        f.write("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: r\n"
                "spec:\n  rules: [\n")
    time.sleep(0.8 * SLOW)
    err = px.stderr()
    t.ok(re.search(r"ingress\.yaml: line \d+: .*still serving the previous configuration", err),
         "a YAML error is reported with the file and the line", err[-600:])
    t.eq(served_by(P), "b", "and the previous configuration keeps serving")
    with open(os.path.join(d, "ingress.yaml"), "w") as f:
        f.write("---\napiVersion: v1\nkind: Service\nmetadata: {name: x}\n---\n"
                "metadata: {name: nokind}\n")
    time.sleep(0.8 * SLOW)
    t.ok(re.search(r"ingress\.yaml: line 6: object has no kind", px.stderr()),
         "a document without kind is reported with its line", px.stderr()[-600:])
    t.eq(served_by(P), "b", "still the previous configuration")
    route(d, "a")
    t.ok(wait_for(P, "a") is not None, "a valid file again: served")

    # ---- files added and removed ----
    write_manifests(os.path.join(d, "more.yaml"),
                    [ingress("n", "default", [("new.example", [("/", "Prefix", "b", 80)])])])
    t.ok(wait_for(P, "b", host="new.example") is not None, "a file added to the directory")
    write_manifests(os.path.join(d, ".hidden.yaml"),
                    [ingress("h", "default", [("hidden.example", [("/", "Prefix", "b", 80)])])])
    with open(os.path.join(d, "notes.txt"), "w") as f:
        f.write("not yaml: [")
    time.sleep(0.6 * SLOW)
    t.eq(served_by(P, "hidden.example"), 404, "hidden files and other names are not read")
    os.unlink(os.path.join(d, "more.yaml"))
    t.ok(wait_for(P, 404, host="new.example") is not None, "a file removed: its routes go")
    write_manifests(os.path.join(d, "more.yaml"),
                    [ingress("n", "default", [("new.example", [("/", "Prefix", "a", 80)])])])
    px.signal(signal.SIGHUP)
    t.ok(wait_for(P, "a", host="new.example") is not None, "SIGHUP (or the watch) reloads")
    px.stop()
    t.eq(px.p.returncode, 0, "serve exits 0")

    # ---- a file, not a directory; an invalid file at start ----
    f = os.path.join(d, "services.yaml")
    px = serve(f)
    t.eq(request(px.port, "/", host="r.example").status, 404, "--manifests FILE: served")
    px.stop()
    bad = os.path.join(tmpdir(), "bad.yaml")
    with open(bad, "w") as fh:
        fh.write("kind: Service\napiVersion: v1\nmetadata: {name: [}\n")
    p = subprocess.run([os.environ.get("FERRY", "build/ferry"), "ingress", "serve",
                        "--manifests", bad, "--http-listen", "127.0.0.1:0"],
                       capture_output=True, text=True, timeout=20)
    t.ok(p.returncode == 1 and re.search(r"^error: .*bad\.yaml: line \d+: did not find", p.stderr, re.M),
         "an invalid file at start: exit 1, file and line", p.stderr)


if __name__ == "__main__":
    TAP().run(main)
