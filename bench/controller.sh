#!/usr/bin/env bash
# The Ingress controller at scale: N Ingresses (default 10,000), each with
# its own host, Service and EndpointSlice, in tests/support/fake-apiserver;
# `ferry ingress serve --kubeconfig` in front of one `ferry echo`.
#
# Usage: bench/controller.sh [FERRY-BINARY]          (default build/ferry)
# Environment: BENCH_INGRESSES (default 10000), BENCH_CHANGES (default 100)
#
# Reported: time from start to the first full sync (/readyz 200); then, for
# each change (a merge patch giving one random Ingress a new host, sent
# straight to the API server as `kubectl patch` would send it), the time
# from the API server's answer to the first request for the new host that
# the proxy routes (polled every millisecond): median, p90, p99, max; and
# the controller's RSS after the sync and at the end (VmHWM: peak).
# Targets (issue 8): median < 100 ms, p99 < 250 ms, RSS <= 200 MiB.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$(readlink -f "${1:-$ROOT/build/ferry}")
[ -x "$FERRY" ] || { echo "bench/controller.sh: no ferry binary at $FERRY" >&2; exit 1; }
export FERRY ROOT
export N=${BENCH_INGRESSES:-10000} CHANGES=${BENCH_CHANGES:-100}
exec python3 - <<'PYEOF'
import json, os, random, re, socket, statistics, subprocess, sys, tempfile, time, urllib.request

ROOT, FERRY = os.environ["ROOT"], os.environ["FERRY"]
N, CHANGES = int(os.environ["N"]), int(os.environ["CHANGES"])
tmp = tempfile.mkdtemp(prefix="ferry-bench-controller.")
procs = []


def start(args, pattern, path):
    f = open(path, "w")
    p = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    procs.append(p)
    for _ in range(6000):
        with open(path) as r:
            m = re.search(pattern, r.read())
        if m:
            return p, m.group(1)
        if p.poll() is not None:
            break
        time.sleep(0.01)
    sys.exit("did not start: %s\n%s" % (args, open(path).read()[-2000:]))


def get(port, host):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host).encode())
    data = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
    s.close()
    return int(data.split(b" ", 2)[1]) if data else 0


def rss(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1]) // 1024
    return out


try:
    _, echo_addr = start([FERRY, "echo", "--listen", "127.0.0.1:0"], r"listening on (\S+)",
                         os.path.join(tmp, "echo.log"))
    eip, eport = echo_addr.rsplit(":", 1)
    items = []
    for i in range(N):
        name = "app%05d" % i
        items.append({"apiVersion": "v1", "kind": "Service",
                      "metadata": {"name": name, "namespace": "bench"},
                      "spec": {"ports": [{"port": 80, "targetPort": int(eport)}]}})
        items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                      "metadata": {"name": name + "-x", "namespace": "bench",
                                   "labels": {"kubernetes.io/service-name": name}},
                      "addressType": "IPv4", "ports": [{"port": int(eport)}],
                      "endpoints": [{"addresses": [eip], "conditions": {"ready": True}}]})
        items.append({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                      "metadata": {"name": name, "namespace": "bench"},
                      "spec": {"ingressClassName": "ferry", "rules": [
                          {"host": name + ".bench.example", "http": {"paths": [
                              {"path": "/", "pathType": "Prefix", "backend": {"service": {
                                  "name": name, "port": {"number": 80}}}}]}}]}})
    load = os.path.join(tmp, "load")
    os.mkdir(load)
    with open(os.path.join(load, "objects.json"), "w") as f:
        json.dump({"apiVersion": "v1", "kind": "List", "items": items}, f)
    kc = os.path.join(tmp, "kubeconfig")
    t0 = time.time()
    _, url = start([sys.executable, os.path.join(ROOT, "tests/support/fake-apiserver"),
                    "--load", load, "--write-kubeconfig", kc], r"ready (\S+)",
                   os.path.join(tmp, "api.log"))
    print("fake API server: %d objects loaded in %.1f s" % (len(items), time.time() - t0))
    t0 = time.time()
    log = os.path.join(tmp, "ferry.log")
    ctl, addr = start([FERRY, "ingress", "serve", "--kubeconfig", kc, "--http-listen",
                       "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--workers", "1",
                       "--access-log", "off", "--election-namespace", "bench"],
                      r"serving HTTP on (\S+)", log)
    port = int(addr.rsplit(":", 1)[1])
    health = re.search(r"health endpoints on (\S+)", open(log).read()).group(1)
    while True:
        try:
            if urllib.request.urlopen("http://%s/readyz" % health).status == 200:
                break
        except OSError:
            pass
        time.sleep(0.01)
    sync = time.time() - t0
    if get(port, "app%05d.bench.example" % (N - 1)) != 200:
        sys.exit("ready, but the last Ingress is not served")
    r0 = rss(ctl.pid)
    print("controller: first full sync served in %.2f s; RSS %d MiB" % (sync, r0["VmRSS"]))
    lat = []
    rnd = random.Random(8)
    for j in range(CHANGES):
        name = "app%05d" % rnd.randrange(N)
        host = "changed%03d.bench.example" % j
        body = json.dumps({"spec": {"rules": [{"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": name, "port": {"number": 80}}}}]}}]}}).encode()
        req = urllib.request.Request(
            url + "/apis/networking.k8s.io/v1/namespaces/bench/ingresses/" + name, data=body,
            method="PATCH", headers={"Content-Type": "application/merge-patch+json"})
        urllib.request.urlopen(req).read()
        t1 = time.time()
        while get(port, host) != 200:
            if time.time() - t1 > 10:
                sys.exit("change %d not served after 10 s" % j)
            time.sleep(0.001)
        lat.append((time.time() - t1) * 1000)
        time.sleep(0.1)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(round(p * (len(lat) - 1))))]
    r1 = rss(ctl.pid)
    print("%d changes at %d Ingresses: median %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms"
          % (len(lat), N, statistics.median(lat), q(0.9), q(0.99), lat[-1]))
    print("controller RSS: %d MiB after the changes, peak %d MiB" % (r1["VmRSS"], r1["VmHWM"]))
    builds = [float(x) for x in re.findall(r"built in ([\d.]+) ms", open(log).read())]
    if builds:
        print("builds: %d, median %.1f ms, max %.1f ms (snapshot, model, table)"
              % (len(builds), statistics.median(builds), max(builds)))
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    subprocess.run(["rm", "-rf", tmp])
PYEOF
