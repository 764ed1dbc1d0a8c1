#!/usr/bin/env python3
"""ferry ingress serve as an Ingress controller, against
tests/support/fake-apiserver driven by the real kubectl: objects created,
changed and deleted are served; only ready, non-terminating endpoints get
traffic; zero failed requests (wrk) and an upgraded connection kept open
through 100 changes; dropped watches, 410 relists and an API server restart
converge; /readyz is 503 before the first sync and 200 after; status
written (and cleared, also where an earlier leader wrote it) by the Lease
holder only, from --publish-status-address or --publish-service, handed
over when it stops, cleared by the last replica stopping
(--update-status-on-shutdown);
an invalid Ingress gets an Event while the rest keeps serving;
--default-backend-service, --watch-namespace, --in-cluster; `kubectl apply
-f deploy/` works; core v1 Endpoints where EndpointSlices are not served.

Environment: FERRY, KUBECTL (skipped without it). Only 127.0.0.1."""
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from proxylib import (FERRY, ROOT, SLOW, TAP, Conn, Proc, Upstream, echo, request, tmpdir, _procs)

KUBECTL = os.environ.get("KUBECTL") or shutil.which("kubectl")
SERVER = os.path.join(ROOT, "tests", "support", "fake-apiserver")


class FakeAPI:
    """The fake API server on a fixed port, so that it can be stopped and
    started again where the controller expects it."""

    def __init__(self, port, state, *flags):
        self.port, self.state, self.flags = port, state, list(flags)
        self.url = "http://127.0.0.1:%d" % port
        self.start()

    def start(self):
        d = tmpdir()
        self.out = os.path.join(d, "out")
        self.p = subprocess.Popen([sys.executable, SERVER, "--listen", "127.0.0.1:%d" % self.port,
                                   "--state", self.state] + self.flags,
                                  stdout=open(self.out, "w"), stderr=subprocess.DEVNULL,
                                  stdin=subprocess.DEVNULL)
        _procs.append(self.p)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.out) as f:
                if f.read().startswith("ready "):
                    return
            if self.p.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("the fake API server did not start")

    def stop(self):
        self.p.terminate()
        self.p.wait(15)

    def call(self, method, path, body=None, ctype="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": ctype})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def kubeconfig(path, port):
    with open(path, "w") as f:
        f.write("apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n"
                "    server: http://127.0.0.1:%d\ncontexts:\n- name: fake\n  context:\n"
                "    cluster: fake\n    user: fake\ncurrent-context: fake\nusers:\n"
                "- name: fake\n  user: {}\n" % port)


def kubectl(kc, *args, stdin=None):
    p = subprocess.run([KUBECTL, "--kubeconfig", kc] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def apply(kc, objs):
    rc, out, err = kubectl(kc, "apply", "-f", "-",
                           stdin="".join("---\n" + json.dumps(o) + "\n" for o in objs))
    if rc != 0:
        raise RuntimeError("kubectl apply: " + err)


# ---- objects ---------------------------------------------------------------

def ing(name, host, svc, ns="default", path="/", path_type="Prefix", cls="ferry"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"ingressClassName": cls, "rules": [{"host": host, "http": {"paths": [
                {"path": path, "pathType": path_type,
                 "backend": {"service": {"name": svc, "port": {"number": 80}}}}]}}]}}


def svc(name, ns="default"):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}


def slice_(name, svc_name, eps, ns="default"):
    """eps: [(addr "ip:port", ready, terminating)], one port per slice."""
    port = int(eps[0][0].rsplit(":", 1)[1]) if eps else 8080
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name, "namespace": ns,
                         "labels": {"kubernetes.io/service-name": svc_name}},
            "addressType": "IPv4", "ports": [{"port": port, "protocol": "TCP"}],
            "endpoints": [{"addresses": [a.rsplit(":", 1)[0]],
                           "conditions": {"ready": r, "serving": True, "terminating": t}}
                          for a, r, t in eps]}


def endpoints(name, ready, not_ready=(), ns="default"):
    """A core v1 Endpoints object: one subset per address "ip:port"."""
    def subset(addr, key):
        ip, port = addr.rsplit(":", 1)
        return {key: [{"ip": ip}], "ports": [{"port": int(port), "protocol": "TCP"}]}
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns},
            "subsets": [subset(a, "addresses") for a in ready] +
                       [subset(a, "notReadyAddresses") for a in not_ready]}


def backend(name, addr):
    return [svc(name), slice_(name + "-x", name, [(addr, True, False)])]


def served_by(port, host):
    try:
        r = request(port, "/", host=host)
    except OSError:
        return "error"
    return r.json()["service"] if r.status == 200 else r.status


def wait_for(port, host, want, limit=10.0):
    t0 = time.time()
    while time.time() - t0 < limit * SLOW:
        if served_by(port, host) == want:
            return time.time() - t0
        time.sleep(0.02)
    return None


def wait_until(fn, limit=15.0):
    t0 = time.time()
    while time.time() - t0 < limit * SLOW:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return None


def http_status(addr, path):
    try:
        with urllib.request.urlopen("http://%s%s" % (addr, path), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return None


def controller(kc, pod, *flags, env=None):
    """kc: a kubeconfig file, or None for --in-cluster (with <env>)."""
    conn = ["--kubeconfig", kc] if kc else ["--in-cluster"]
    args = ["ingress", "serve"] + conn + ["--http-listen", "127.0.0.1:0",
            "--https-listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--workers", "2", "--access-log", "off",
            "--request-timeout", "3s", "--election-namespace", "default",
            "--lease-duration", "3s", "--lease-renew-deadline", "2s",
            "--lease-retry-period", "500ms"] + list(flags)
    p = Proc(args, r"serving HTTP on (\S+)", env=dict(env or {}, POD_NAME=pod))
    m = wait_until(lambda: re.search(r"health endpoints on (\S+)", p.stderr()), 5)
    p.health = m.group(1) if m else None
    m = wait_until(lambda: re.search(r"serving HTTPS on \S+:(\d+)", p.stderr()), 5)
    p.https = int(m.group(1)) if m else None
    return p


def make_cert(d, name, org):
    """A self-signed certificate for <name> whose subject carries O=<org>:
    the PEM bytes of the certificate and of its key."""
    crt, key = os.path.join(d, name + org + ".crt"), os.path.join(d, name + org + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                    "/CN=%s/O=%s" % (name, org), "-addext", "subjectAltName=DNS:" + name,
                    "-keyout", key, "-out", crt], check=True, capture_output=True, timeout=30)
    with open(crt, "rb") as f, open(key, "rb") as g:
        return f.read(), g.read()


def tls_secret(name, crt, key, ns="default"):
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": ns},
            "data": {"tls.crt": base64.b64encode(crt).decode(),
                     "tls.key": base64.b64encode(key).decode()}}


def presented_subject(port, name):
    """The subject of the certificate served for SNI <name>, or ""."""
    try:
        r = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port,
                            "-servername", name], input=b"", capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return ""
    m = re.search(rb"^subject=(.*)$", r.stdout, re.M)
    return m.group(1).decode() if m else ""


def lb_status(api, name, ns="default"):
    code, obj = api.call("GET", "/apis/networking.k8s.io/v1/namespaces/%s/ingresses/%s" % (ns, name))
    if code != 200:
        return None
    return [e.get("ip") or e.get("hostname")
            for e in (obj.get("status") or {}).get("loadBalancer", {}).get("ingress") or []]


def lease_holder(api):
    code, obj = api.call("GET", "/apis/coordination.k8s.io/v1/namespaces/default/leases/"
                                "ferry-ingress-controller-leader")
    return obj.get("spec", {}).get("holderIdentity") if code == 200 else None


def ws_handler(s, head, rest):
    """An upstream that upgrades /ws and then echoes bytes."""
    key = [l.split(":", 1)[1].strip() for l in head.decode().split("\r\n")
           if l.lower().startswith("sec-websocket-key:")]
    acc = base64.b64encode(hashlib.sha1(
        (key[0] if key else "").encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + acc + b"\r\n\r\n" + rest)
    while True:
        d = s.recv(65536)
        if not d:
            return False
        s.sendall(d)


def deployed_pod(t, items):
    """The Deployment's container, as deploy/ writes it: its ports agree with
    its listen flags and the Service's targets, and its command line serves
    as the pod's user with every capability dropped and no privilege
    escalation, in a network namespace of its own with the pod's sysctls
    (without them, ports below 1024 are refused to that user)."""
    dep, svc_ = items
    spec = dep["spec"]["template"]["spec"]
    ctr = spec["containers"][0]
    sc = ctr.get("securityContext", {})
    caps = sc.get("capabilities", {})
    t.ok(sc.get("allowPrivilegeEscalation") is False and caps.get("drop") == ["ALL"] and
         not caps.get("add") and sc.get("readOnlyRootFilesystem") is True and
         spec["securityContext"].get("runAsNonRoot") is True,
         "deploy/: no capabilities, no privilege escalation, read-only root, non-root",
         json.dumps(sc))
    listen = {m.group(1): int(m.group(2)) for a in ctr["args"]
              for m in [re.match(r"--(http|https|metrics)-listen=.*:(\d+)$", a)] if m}
    ports = {p["name"]: p["containerPort"] for p in ctr["ports"]}
    t.eq(ports, listen, "deploy/: the container's named ports are the ports it listens on")
    t.eq(sorted(p["targetPort"] for p in svc_["spec"]["ports"]), ["http", "https"],
         "deploy/: the Service sends 80 and 443 to them")
    # ferry names its own ports in HTTPS redirects and X-Forwarded-Port: they
    # must be the ones clients reach through the Service.
    t.eq({p["targetPort"]: p["port"] for p in svc_["spec"]["ports"]},
         {"http": listen.get("http"), "https": listen.get("https")},
         "deploy/: the pod listens on the Service's own ports (redirects name them)")
    tools = [shutil.which(x) for x in ("unshare", "setpriv", "ip", "curl")]
    if os.geteuid() != 0 or not all(tools):
        t.skip("deploy/'s command line serves unprivileged",
               "needs root and unshare, setpriv, ip, curl to make a pod-like sandbox")
        return
    # The pod's flags, with the manifests provider in place of the cluster.
    d = tmpdir()
    os.chmod(d, 0o755)
    shutil.copy(FERRY, os.path.join(d, "ferry"))
    with open(os.path.join(d, "m.yaml"), "w") as f:
        f.write("".join("---\n" + json.dumps(o) + "\n"
                        for o in [ing("web", "pod.example", "web"), svc("web")]))
    os.chmod(os.path.join(d, "m.yaml"), 0o644)
    args = [a for a in ctr["args"] if a != "--in-cluster" and not a.startswith("--publish-")]
    args += ["--manifests", os.path.join(d, "m.yaml")]
    uid = spec["securityContext"]["runAsUser"]
    gid = spec["securityContext"]["runAsGroup"]
    # The pod's sysctls apply to its network namespace, as the runtime sets them.
    sysctls = "".join("echo %s > /proc/sys/%s && " % (x["value"], x["name"].replace(".", "/"))
                      for x in spec["securityContext"].get("sysctls", []))
    script = (sysctls + 'ip link set lo up && '
              'setpriv --reuid %d --regid %d --clear-groups --no-new-privs --inh-caps=-all '
              '--bounding-set=-all "$@" >/dev/null 2>"$LOGF" & '
              'for i in $(seq 100); do '
              '  s=$(curl -s -o /dev/null -w "%%{http_code}" http://127.0.0.1:%d/readyz) && '
              '  [ "$s" = 200 ] && break; sleep 0.1; done; '
              'echo "readyz $s"; '
              'echo "http $(curl -s -o /dev/null -w "%%{http_code}" -H "Host: pod.example" '
              'http://127.0.0.1:%d/)"; '
              'echo "https $(curl -sk -o /dev/null -w "%%{http_code}" https://127.0.0.1:%d/)"; '
              'echo "uid $(ps -o uid= -p $! | tr -d " ")"; kill $!; wait'
              % (uid, gid, listen["metrics"], listen["http"], listen["https"]))
    p = subprocess.run(["unshare", "--net", "sh", "-c", script, "sh",
                        os.path.join(d, "ferry"), "ingress", "serve"] + args,
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, LOGF=os.path.join(d, "log")))
    with open(os.path.join(d, "log")) as f:
        log = f.read()
    got = dict(line.split(" ", 1) for line in p.stdout.split("\n") if " " in line)
    # http 503: the route is served; its Service has no endpoints here.
    t.eq(got, {"readyz": "200", "http": "503", "https": "404", "uid": str(uid)},
         "deploy/'s command line serves as uid %d with no capabilities" % uid)
    if got.get("readyz") != "200":
        print("# " + log[-1500:].replace("\n", "\n# "), flush=True)
    # Without the sysctl a low port is refused, and the error says what to do.
    p = subprocess.run(["unshare", "--net", "setpriv", "--reuid", str(uid), "--regid", str(gid),
                        "--clear-groups", "--no-new-privs", "--inh-caps=-all",
                        "--bounding-set=-all", os.path.join(d, "ferry"), "ingress", "serve",
                        "--manifests", os.path.join(d, "m.yaml"), "--http-listen", ":80",
                        "--https-listen", ""], capture_output=True, text=True, timeout=30)
    t.ok(p.returncode != 0 and "bind: permission denied" in p.stderr and
         "net.ipv4.ip_unprivileged_port_start" in p.stderr,
         "a refused low port: exits, naming the capability, the sysctl and the other way",
         p.stderr[-500:])


def main(t):
    if not KUBECTL:
        t.skip("ingress controller tests", "no kubectl (set KUBECTL)")
        return
    d = tmpdir()
    port = free_port()
    kc = os.path.join(d, "kubeconfig")
    kubeconfig(kc, port)
    a, b, c = echo(service="a", pod="a-0"), echo(service="b", pod="b-0"), echo(service="c")

    # ---- the API is not there yet: serving, not ready ----
    ca = controller(kc, "ctl-a", "--publish-status-address", "10.0.0.1",
                    "--default-backend-service", "default/c")
    P = ca.port
    t.ok(ca.health is not None, "the health endpoints listen (%s)" % ca.health, ca.stderr())
    t.eq(http_status(ca.health, "/healthz"), 200, "/healthz: 200 while the process runs")
    t.eq(http_status(ca.health, "/readyz"), 503, "/readyz: 503 before the first sync "
         "(no API server yet)")
    t.eq(served_by(P, "a.example"), 404, "no routes before the first sync: 404")

    api = FakeAPI(port, os.path.join(d, "state.json"), "--history", "40")
    apply(kc, backend("a", a.addr) + backend("b", b.addr) + [svc("c")] +
          [ing("web", "a.example", "a")])
    dt = wait_for(P, "a.example", "a", 20)
    t.ok(dt is not None, "the API comes up: listed, synced, served (%s s)" %
         ("%.2f" % dt if dt is not None else "never"), ca.stderr()[-2000:])
    t.ok(wait_until(lambda: http_status(ca.health, "/readyz") == 200, 5),
         "/readyz: 200 after the first sync")

    # ---- kubectl changes ----
    apply(kc, [ing("web", "a.example", "b")])
    dt = wait_for(P, "a.example", "b")
    t.ok(dt is not None and dt < 1.0 * SLOW, "an Ingress changed with kubectl apply is served "
         "(%s s)" % ("%.3f" % dt if dt is not None else "never"))
    apply(kc, [ing("two", "two.example", "a")])
    t.ok(wait_for(P, "two.example", "a") is not None, "an Ingress created with kubectl is served")
    rc, _, err = kubectl(kc, "delete", "ingress", "two")
    t.ok(rc == 0 and wait_for(P, "two.example", 503) is not None,
         "an Ingress deleted with kubectl: its host is gone (to the default backend, which has "
         "no endpoint yet: 503)", err)
    apply(kc, [slice_("c-x", "c", [(c.addr, True, False)]), ing("cc", "c.example", "c")])
    t.ok(wait_for(P, "c.example", "c") is not None, "a Service whose EndpointSlice arrives later")
    t.eq(served_by(P, "unknown.example"), "c", "--default-backend-service serves hosts no rule "
         "matches")
    # c's slices: a not-ready and a terminating endpoint (ready, as with
    # publishNotReadyAddresses) besides a ready one
    apply(kc, [slice_("c-x", "c", [(c.addr, True, False)]),
               slice_("c-y", "c", [(a.addr, False, False)]),
               slice_("c-z", "c", [(b.addr, True, True)])])
    time.sleep(0.3 * SLOW)
    got = {served_by(P, "c.example") for _ in range(12)}
    t.eq(got, {"c"}, "only ready, non-terminating endpoints get requests")
    rc, _, err = kubectl(kc, "delete", "endpointslice", "c-x")
    t.ok(rc == 0 and wait_for(P, "c.example", 503) is not None,
         "the last ready endpoint deleted: 503", err)
    # What routing never reads is dropped before an object is kept: an
    # update of only that builds nothing; one that matters does.
    def builds():
        return len(re.findall(r"built in", ca.stderr()))
    time.sleep(0.3 * SLOW)
    n0 = builds()
    sc = svc("c")
    sc["metadata"]["labels"] = {"tier": "web"}
    sc["spec"]["sessionAffinity"] = "ClientIP"
    sy = slice_("c-y", "c", [(a.addr, False, False)])
    sy["endpoints"][0].update({"nodeName": "node-2", "zone": "zone-b"})
    apply(kc, [sc, sy])
    time.sleep(0.5 * SLOW)
    t.eq(builds(), n0, "a Service's labels and session affinity, an endpoint's node and zone "
         "changed: no rebuild")
    apply(kc, [slice_("c-y", "c", [(a.addr, True, False)])])
    t.ok(wait_for(P, "c.example", "a") is not None and builds() > n0,
         "the endpoint turns ready: rebuilt and served")
    apply(kc, [slice_("c-y", "c", [(a.addr, False, False)])])
    t.ok(wait_for(P, "c.example", 503) is not None, "and not ready again: 503")

    # ---- status ----
    t.ok(wait_until(lambda: lb_status(api, "web") == ["10.0.0.1"]),
         "status.loadBalancer.ingress from --publish-status-address", lb_status(api, "web"))
    t.eq(lease_holder(api), "ctl-a", "the only replica holds the Lease")
    apply(kc, [ing("moving", "moving.example", "a")])
    t.ok(wait_until(lambda: lb_status(api, "moving") == ["10.0.0.1"]), "a new Ingress gets it too")
    apply(kc, [ing("moving", "moving.example", "a", cls="other")])
    t.ok(wait_until(lambda: lb_status(api, "moving") == []),
         "an Ingress that moves to another class: the status written is cleared",
         lb_status(api, "moving"))
    # what an earlier leader wrote on Ingresses that are not ours (any more)
    apply(kc, [ing("was-ours", "was.example", "a", cls="other"),
               ing("theirs", "theirs.example", "a", cls="other")])
    st = "/apis/networking.k8s.io/v1/namespaces/default/ingresses/%s/status"
    for name, addr in (("was-ours", "10.0.0.1"), ("theirs", "10.9.9.9")):
        api.call("PATCH", st % name, {"status": {"loadBalancer": {"ingress": [{"ip": addr}]}}},
                 "application/merge-patch+json")
    apply(kc, [ing("nudge", "nudge.example", "a")])  # a build, so a status pass, now
    t.ok(wait_until(lambda: lb_status(api, "was-ours") == []),
         "an Ingress of another class showing our addresses (a previous leader's write): "
         "cleared", lb_status(api, "was-ours"))
    t.eq(lb_status(api, "theirs"), ["10.9.9.9"], "another controller's addresses are left alone")

    # ---- an invalid Ingress: an Event, the rest keeps serving ----
    apply(kc, [ing("bad", "bad.example", "a", path="nope", path_type="Exact")])

    def bad_event():
        rc, out, _ = kubectl(kc, "get", "events", "-o", "json",
                             "--field-selector", "involvedObject.name=bad")
        items = json.loads(out)["items"] if rc == 0 else []
        return [e for e in items if e.get("reason") == "InvalidIngress"
                and e.get("source", {}).get("component") == "ferry-ingress-controller"]
    evs = wait_until(bad_event)
    t.ok(evs and "nope" in evs[0]["message"] and evs[0]["type"] == "Warning",
         "an invalid Ingress gets a Warning Event (InvalidIngress)", evs)
    t.eq(served_by(P, "a.example"), "b", "and the other Ingresses keep serving")

    # ---- TLS from a watched Secret: served by SNI, rotated live, redirect ----
    if shutil.which("openssl") and ca.https:
        crt1, key1 = make_cert(d, "tls.example", "first")
        crt2, key2 = make_cert(d, "tls.example", "second")
        tls_ing = ing("secure", "tls.example", "a")
        tls_ing["spec"]["tls"] = [{"hosts": ["tls.example"], "secretName": "tls-a"}]
        apply(kc, [tls_secret("tls-a", crt1, key1), tls_ing])
        t.ok(wait_until(lambda: "O = first" in presented_subject(ca.https, "tls.example"), 10),
             "spec.tls with a Secret from the API: its certificate is served for the host",
             presented_subject(ca.https, "tls.example"))
        t.ok("O = first" not in presented_subject(ca.https, "other.example"),
             "another name gets the default certificate")
        c1 = Conn(P)
        c1.send(b"GET /x?y=1 HTTP/1.1\r\nHost: tls.example\r\n\r\n")
        r1 = c1.response()
        t.ok(r1.status == 308 and r1.header("location") ==
             "https://tls.example:%d/x?y=1" % ca.https,
             "plain HTTP for the TLS host: 308 to https", repr(r1))
        apply(kc, [tls_secret("tls-a", crt2, key2)])
        t.ok(wait_until(lambda: "O = second" in presented_subject(ca.https, "tls.example"), 10),
             "the Secret rotated with kubectl: the new certificate is served, no restart",
             presented_subject(ca.https, "tls.example"))
    else:
        t.skip("TLS from the API", "no openssl, or no HTTPS listener")

    # ---- 100 changes under load: zero failed requests, connections kept ----
    up = Upstream(ws_handler)
    apply(kc, [svc("ws"), slice_("ws-x", "ws", [(up.addr, True, False)]),
               ing("ws", "ws.example", "ws"), ing("stable", "s.example", "a")])
    t.ok(wait_for(P, "s.example", "a") is not None,
         "the stable route is served")
    ws = Conn(P)
    ws.send(b"GET /ws HTTP/1.1\r\nHost: ws.example\r\nConnection: Upgrade\r\n"
            b"Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
    t.eq(ws.response().status, 101, "an upgraded (WebSocket) connection is open")
    keep = Conn(P)
    keep.send(b"GET / HTTP/1.1\r\nHost: s.example\r\n\r\n")
    t.eq(keep.response().json()["service"], "a", "a keep-alive connection is open")
    wrk = shutil.which("wrk")
    changes = []
    stop = threading.Event()

    def churn():
        time.sleep(0.5)
        i = 0
        while not stop.is_set() and i < 100:
            if i % 3 == 0:  # churn-0..6 created, then replaced
                k = i // 3
                body = ing("churn-%d" % (k % 7), "churn%d.example" % i, "b")
                api.call("PUT" if k >= 7 else "POST",
                         "/apis/networking.k8s.io/v1/namespaces/default/ingresses" +
                         ("/churn-%d" % (k % 7) if k >= 7 else ""), body)
            elif i % 3 == 1:
                api.call("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/stable",
                         {"spec": {"rules": [{"host": "s.example", "http": {"paths": [
                             {"path": "/", "pathType": "Prefix", "backend": {"service": {
                                 "name": "a" if i % 2 else "b", "port": {"number": 80}}}}]}}]}},
                         "application/merge-patch+json")
            else:
                api.call("PUT", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/b-x",
                         slice_("b-x", "b", [(b.addr, True, False), (c.addr, i % 2 == 0, False)]))
            changes.append(i)
            i += 1
            stop.wait(0.05)
    th = threading.Thread(target=churn)
    th.start()
    if wrk:
        out = subprocess.run([wrk, "-t2", "-c8", "-d9s", "-H", "Host: s.example",
                              "http://127.0.0.1:%d/" % P], capture_output=True, text=True,
                             timeout=60).stdout
    th.join()
    if wrk:
        m = re.search(r"(\d+) requests in", out)
        n = int(m.group(1)) if m else 0
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        errs = re.search(r"Socket errors: (.*)", out)
        t.ok(n > 500 and not bad and not errs and len(changes) == 100,
             "%d API changes under wrk load (%d requests): zero non-2xx, zero socket errors" %
             (len(changes), n), out)
    else:
        t.skip("API changes under load", "wrk is not installed")
    ws.send(b"still here")
    t.eq(ws.s.recv(100), b"still here", "the upgraded connection stayed open through the "
         "changes")
    keep.send(b"GET / HTTP/1.1\r\nHost: s.example\r\n\r\n")
    t.ok(keep.response().status == 200, "the keep-alive connection too")
    t.ok(wait_for(P, "churn99.example", "b") is not None, "the last change is served")

    # ---- dropped watches, then 410 relists (history 40) ----
    api.call("PUT", "/_fake/faults", {"watch_drop_after": 2})
    for i in range(30):
        api.call("PUT", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/churn-%d" % (i % 7),
                 ing("churn-%d" % (i % 7), "drop%d.example" % i, "a" if i % 2 else "b"))
    api.call("DELETE", "/_fake/faults")
    t.ok(wait_for(P, "drop29.example", "a") is not None and
         wait_for(P, "drop28.example", "b") is not None,
         "watches cut every 2 events still converge")
    api.call("POST", "/_fake/compact")
    api.call("PUT", "/_fake/faults", {"watch_drop_after": 1})
    api.call("DELETE", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/churn-0")
    apply(kc, [ing("after-compact", "compact.example", "a")])
    api.call("DELETE", "/_fake/faults")
    t.ok(wait_for(P, "compact.example", "a") is not None and
         wait_for(P, "drop28.example", 503) is not None,
         "after 410 Gone: listed again, additions and deletions both seen")
    code, reqs = api.call("GET", "/_fake/requests")
    lists = [r for r in reqs.get("items", reqs) if isinstance(r, dict) and
             r.get("path", "").endswith("/ingresses") and "watch" not in (r.get("query") or "")]
    t.ok(len(lists) >= 2, "the controller listed Ingresses again (%d lists)" % len(lists))

    # ---- the API server goes away and comes back ----
    api.stop()
    time.sleep(1.0)
    t.eq(served_by(P, "a.example"), "b", "API server down: the last configuration keeps serving")
    t.eq(http_status(ca.health, "/healthz"), 200, "and /healthz stays 200")
    time.sleep(1.0)
    api.start()
    apply(kc, [ing("web", "a.example", "a")])
    dt = wait_for(P, "a.example", "a", 20)
    t.ok(dt is not None, "API server back (restarted from its state file): resynced, the new "
         "change is served (%s s)" % ("%.2f" % dt if dt is not None else "never"),
         ca.stderr()[-1500:])

    # ---- two replicas: only the Lease holder writes status ----
    lb = svc("lb")
    lb["spec"]["externalIPs"] = ["192.0.2.7"]
    apply(kc, [lb])
    rc, _, err = kubectl(kc, "create", "namespace", "other")
    apply(kc, [svc("a", "other"), slice_("a-x", "a", [(a.addr, True, False)], "other"),
               ing("elsewhere", "other.example", "a", ns="other")])
    t.ok(rc == 0 and wait_for(P, "other.example", "a") is not None,
         "an Ingress in another namespace is served", err)
    cb = controller(kc, "ctl-b", "--publish-service", "default/lb", "--watch-namespace", "default")
    t.ok(wait_for(cb.port, "a.example", "a") is not None, "a second replica serves too")
    t.eq(served_by(cb.port, "other.example"), 404, "but, with --watch-namespace default, not the "
         "other namespace's Ingress")
    time.sleep(2.0 * SLOW)
    t.eq((lease_holder(api), lb_status(api, "web")), ("ctl-a", ["10.0.0.1"]),
         "the first replica keeps the Lease; the second writes no status")
    ca.stop()
    t.ok(wait_until(lambda: lease_holder(api) == "ctl-b", 10),
         "the leader stops: the second replica takes the Lease", lease_holder(api))
    t.ok(wait_until(lambda: lb_status(api, "web") == ["192.0.2.7"], 10),
         "and writes the status: --publish-service's externalIPs", lb_status(api, "web"))
    api.call("PATCH", "/api/v1/namespaces/default/services/lb/status",
             {"status": {"loadBalancer": {"ingress": [{"hostname": "lb.example.net"},
                                                      {"ip": "203.0.113.9"}]}}},
             "application/merge-patch+json")
    t.ok(wait_until(lambda: lb_status(api, "web") == ["lb.example.net", "203.0.113.9"], 10),
         "the publish Service gets a load balancer address: status follows",
         lb_status(api, "web"))
    t.ok("acquired lease default/ferry-ingress-controller-leader" in cb.stderr(),
         "its log says so")
    cb.stop()
    t.eq(cb.p.returncode, 0, "the controller exits 0 on SIGTERM")
    t.ok("cannot tell whether other replicas run" in cb.stderr() and
         lb_status(api, "web") == ["lb.example.net", "203.0.113.9"],
         "its pod is not found: whether it was the last replica is unknown, status left",
         cb.stderr()[-1500:])

    # ---- --update-status-on-shutdown: cleared by the last replica only ----
    def pod(name, h):
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": name, "namespace": "default",
            "labels": {"app": "ferry-ingress", "pod-template-hash": h}},
            "spec": {"containers": [{"name": "ferry", "image": "ferry"}]}}
    apply(kc, [pod("ctl-c", "new"), pod("ctl-d", "old")])

    def run_and_stop(*flags):
        p = controller(kc, "ctl-c", "--publish-status-address", "10.0.0.3", *flags,
                       env={"POD_NAMESPACE": "default"})
        wrote = wait_until(lambda: lb_status(api, "web") == ["10.0.0.3"], 10)
        p.stop()
        return wrote, p
    wrote, cc = run_and_stop()
    t.ok(wrote and lb_status(api, "web") == ["10.0.0.3"] and
         "other replicas run" in cc.stderr(),
         "the leader stops while another pod of its labels (another revision) runs, as in a "
         "rolling update: status kept for the next leader", cc.stderr()[-1500:])
    rc, _, err = kubectl(kc, "delete", "pod", "ctl-d")
    wrote, cc = run_and_stop("--update-status-on-shutdown=false")
    t.ok(rc == 0 and wrote and lb_status(api, "web") == ["10.0.0.3"],
         "--update-status-on-shutdown=false: the last replica leaves status as it is",
         err + cc.stderr()[-1500:])
    wrote, cc = run_and_stop()
    t.ok(wrote and lb_status(api, "web") == [] and lb_status(api, "theirs") == ["10.9.9.9"],
         "the last replica stops: the addresses it wrote are cleared (only those)",
         cc.stderr()[-1500:])
    t.eq(cc.p.returncode, 0, "and it exits 0")
    api.stop()

    # ---- deploy/ applies to an API server with kubectl ----
    port2 = free_port()
    kc2 = os.path.join(d, "kubeconfig2")
    kubeconfig(kc2, port2)
    api2 = FakeAPI(port2, os.path.join(d, "state2.json"))
    rc, out, err = kubectl(kc2, "apply", "-f", os.path.join(ROOT, "deploy"))
    t.ok(rc == 0, "kubectl apply -f deploy/", out + err)
    rc, out, err = kubectl(kc2, "get", "-n", "ferry-system", "deployment/ferry-ingress",
                           "service/ferry-ingress", "serviceaccount/ferry-ingress",
                           "role/ferry-ingress-leader", "rolebinding/ferry-ingress-leader",
                           "-o", "name")
    rc2, out2, err2 = kubectl(kc2, "get", "ingressclass/ferry", "clusterrole/ferry-ingress",
                              "clusterrolebinding/ferry-ingress", "-o", "name")
    t.ok(rc == 0 and rc2 == 0 and len((out + out2).split()) == 8,
         "the objects exist", out + err + out2 + err2)
    rc, out, _ = kubectl(kc2, "get", "ingressclass", "ferry", "-o", "jsonpath={.spec.controller}")
    t.eq(out, "ferry.dev/ingress-controller", "IngressClass ferry names ferry's controller")
    rc, out, _ = kubectl(kc2, "get", "-n", "ferry-system", "deployment/ferry-ingress",
                         "service/ferry-ingress", "-o", "json")
    deployed_pod(t, json.loads(out)["items"])
    api2.stop()

    # ---- an API server without EndpointSlices (before 1.21): Endpoints ----
    port4 = free_port()
    kc4 = os.path.join(d, "kubeconfig4")
    kubeconfig(kc4, port4)
    api4 = FakeAPI(port4, os.path.join(d, "state4.json"),
                   "--disable-resource", "endpointslices.discovery.k8s.io")
    apply(kc4, [svc("old"), endpoints("old", [a.addr], [b.addr]), ing("old", "old.example", "old")])
    co = controller(kc4, "ctl-old")
    t.ok(wait_for(co.port, "old.example", "a") is not None and
         "does not serve discovery.k8s.io/v1 EndpointSlices; watching Endpoints" in co.stderr(),
         "discovery.k8s.io/v1 not served: the Service's Endpoints are watched and served",
         co.stderr()[-1500:])
    t.eq({served_by(co.port, "old.example") for _ in range(8)}, {"a"},
         "only its ready addresses get requests (notReadyAddresses none)")
    apply(kc4, [endpoints("old", [b.addr], [a.addr])])
    t.ok(wait_for(co.port, "old.example", "b") is not None,
         "an Endpoints change is served", co.stderr()[-1500:])
    co.stop()
    api4.stop()

    # ---- --in-cluster: the service account's token and CA, over TLS ----
    certs, sa, load = tmpdir(), tmpdir(), tmpdir()
    with open(os.path.join(load, "objs.yaml"), "w") as f:
        f.write("".join("---\n" + json.dumps(o) + "\n" for o in
                        backend("a", a.addr) + [ing("web", "ic.example", "a")]))
    port3 = free_port()
    api3 = FakeAPI(port3, os.path.join(d, "state3.json"), "--tls", "--auth", "token",
                   "--token", "sa-token-123", "--cert-dir", certs, "--load", load)
    with open(os.path.join(sa, "token"), "w") as f:
        f.write("sa-token-123\n")
    shutil.copy(os.path.join(certs, "ca.crt"), os.path.join(sa, "ca.crt"))
    ci = controller(None, "ctl-ic", env={"KUBERNETES_SERVICE_HOST": "127.0.0.1",
                                         "KUBERNETES_SERVICE_PORT": str(port3),
                                         "FERRY_SERVICEACCOUNT_DIR": sa})
    t.ok(wait_for(ci.port, "ic.example", "a") is not None,
         "--in-cluster: the service account's token and CA reach the API over TLS",
         ci.stderr()[-1500:])
    ci.stop()
    api3.stop()


if __name__ == "__main__":
    TAP().run(main)
