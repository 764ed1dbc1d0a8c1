"""Command line of tests/support/fake-apiserver (see its --help and
docs/internals/fake-apiserver.md)."""

import argparse
import json
import os
import secrets
import shutil
import signal
import ssl
import sys
import tempfile
import threading

from . import certs, resources, yamlsub
from .errors import APIError
from .server import App, Faults, make_server
from .store import Persister, Store

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def parse_listen(s):
    if s.startswith("["):
        host, _, port = s[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = s.rpartition(":")
        if not _:
            host, port = s, "0"
    host = host or "127.0.0.1"
    if host == "localhost":
        host = "127.0.0.1"
    if host not in LOOPBACK:
        raise SystemExit("fake-apiserver: --listen: only 127.0.0.1 and ::1 are allowed, not %s" % host)
    try:
        return host, int(port or 0)
    except ValueError:
        raise SystemExit("fake-apiserver: --listen: bad port %r" % port) from None


def read_manifests(path):
    """Objects from a file or a directory tree of *.yaml, *.yml, *.json
    (sorted by path). `kind: List` documents are expanded."""
    files = []
    if os.path.isdir(path):
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for n in sorted(names):
                if n.endswith((".yaml", ".yml", ".json")):
                    files.append(os.path.join(root, n))
    else:
        files.append(path)
    out = []
    for f in files:
        with open(f, "rb") as fh:
            data = fh.read()
        try:
            if f.endswith(".json"):
                docs = [json.loads(data)]
            else:
                docs = yamlsub.load_all(data)
        except (ValueError, yamlsub.YamlError) as e:
            raise SystemExit("fake-apiserver: %s: %s" % (f, e)) from None
        for d in docs:
            if d is None:
                continue
            if not isinstance(d, dict):
                raise SystemExit("fake-apiserver: %s: a document is not an object" % f)
            if d.get("kind") == "List" or (d.get("kind", "").endswith("List") and "items" in d):
                out.extend((f, x) for x in d.get("items") or [])
            else:
                out.append((f, d))
    return out


def load_manifests(store, path):
    objs = read_manifests(path)
    # namespaces and CRDs first, so that what depends on them can be created
    order = {"Namespace": 0, "CustomResourceDefinition": 1}
    objs.sort(key=lambda fo: order.get(fo[1].get("kind"), 2))
    for f, o in objs:
        rt = store.type_for(o.get("apiVersion", ""), o.get("kind", ""))
        if rt is None:
            raise SystemExit("fake-apiserver: %s: no served resource for apiVersion %r kind %r"
                             % (f, o.get("apiVersion"), o.get("kind")))
        md = dict(o.get("metadata") or {})
        ns = (md.get("namespace") or "default") if rt.namespaced else None
        for k in ("resourceVersion", "uid", "creationTimestamp", "selfLink", "managedFields"):
            md.pop(k, None)
        o = dict(o, metadata=md)
        try:
            store.create(rt, rt.version, ns, o, auto_namespace=True)
        except APIError as e:
            if e.code == 409 and rt.gr == ("", "namespaces"):
                continue
            raise SystemExit("fake-apiserver: %s: %s" % (f, e.message)) from None
    return len(objs)


def build_parser():
    p = argparse.ArgumentParser(
        prog="fake-apiserver",
        description="A fake Kubernetes API server for tests (Python stdlib only). Prints "
                    "'ready <url>' on stdout when it serves; stops on SIGTERM/SIGINT.")
    p.add_argument("--listen", default="127.0.0.1:0",
                   help="HOST:PORT, loopback only; port 0 picks a free port (default 127.0.0.1:0)")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a CA made at startup")
    p.add_argument("--auth", choices=("none", "token", "basic", "cert"), default="none")
    p.add_argument("--token", help="bearer token for --auth token (default: random)")
    p.add_argument("--username", default="admin", help="user for --auth basic (default admin)")
    p.add_argument("--password", help="password for --auth basic (default: random)")
    p.add_argument("--cert-dir", help="keep the CA and certificates here (reused when present); "
                                      "default: a temporary directory removed on exit")
    p.add_argument("--load", action="append", default=[], metavar="DIR",
                   help="preload objects from YAML/JSON manifests (file or directory; repeatable)")
    p.add_argument("--state", metavar="FILE",
                   help="persist objects to FILE (JSON, written atomically); when FILE exists at "
                        "startup it is loaded instead of --load")
    p.add_argument("--write-kubeconfig", metavar="FILE", help="write a kubeconfig for the server")
    p.add_argument("--context-name", default="fake", help="cluster/user/context name (default fake)")
    p.add_argument("--history", type=int, default=10000,
                   help="watch events kept for resuming watches (default 10000); older "
                        "resourceVersions get 410 Gone")
    p.add_argument("--bookmark-interval", type=float, default=1.0,
                   help="seconds between BOOKMARK events on watches that allow them (default 1)")
    p.add_argument("--no-default-namespaces", action="store_true",
                   help="do not create default, kube-system, kube-public, kube-node-lease")
    p.add_argument("--fault-error-rate", type=float, default=0.0,
                   help="share (0..1) of API requests answered with --fault-error-code")
    p.add_argument("--fault-error-code", type=int, default=500)
    p.add_argument("--fault-retry-after", type=int, default=1, help="Retry-After seconds for 429/503")
    p.add_argument("--fault-error-count", type=int, help="inject at most this many errors")
    p.add_argument("--fault-match", help="regex on path?query selecting requests for errors "
                                         "(default: every /api and /apis request)")
    p.add_argument("--fault-latency-ms", type=int, default=0, help="latency added to API requests")
    p.add_argument("--fault-watch-drop-after", type=int,
                   help="cut every watch stream after N events")
    p.add_argument("--fault-watch-drop-mode", choices=("abrupt", "clean"), default="abrupt")
    p.add_argument("--fault-hang-path", help="regex on path?query: matching requests never answer")
    p.add_argument("--fault-seed", type=int, help="seed for the error-rate random draws")
    p.add_argument("--disable-resource", action="append", default=[], metavar="RESOURCE.GROUP",
                   help="do not serve this built-in type (e.g. endpointslices.discovery.k8s.io; "
                        "core types without a group: endpoints), as an old cluster; repeatable")
    p.add_argument("-v", "--verbose", action="store_true", help="log every request on stderr")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    # SIGTERM during startup (loading manifests, making certificates) must
    # also stop cleanly: the handlers go in first.
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    host, port = parse_listen(args.listen)
    if args.auth == "cert" and not args.tls:
        raise SystemExit("fake-apiserver: --auth cert needs --tls")

    try:
        registry = resources.Registry(
            disabled={tuple(reversed((d.split(".", 1) + [""])[:2])) for d in args.disable_resource})
    except ValueError as e:
        raise SystemExit("fake-apiserver: --disable-resource: %s" % e) from None
    store = Store(registry, history_size=args.history)
    if args.state and os.path.exists(args.state):
        with open(args.state, "rb") as f:
            try:
                store.restore(f.read())
            except (ValueError, KeyError) as e:
                raise SystemExit("fake-apiserver: --state %s: %s" % (args.state, e)) from None
    else:
        if not args.no_default_namespaces:
            store.ensure_default_namespaces()
        for d in args.load:
            load_manifests(store, d)

    fcfg = {"error_rate": args.fault_error_rate, "error_code": args.fault_error_code,
            "retry_after": args.fault_retry_after, "error_count": args.fault_error_count,
            "latency_ms": args.fault_latency_ms, "watch_drop_after": args.fault_watch_drop_after,
            "watch_drop_mode": args.fault_watch_drop_mode, "hang_match": args.fault_hang_path,
            "seed": args.fault_seed}
    if args.fault_match:
        fcfg["error_match"] = args.fault_match
    faults = Faults(**fcfg)

    token = args.token or ("fake-" + secrets.token_hex(16))
    password = args.password or ("fake-" + secrets.token_hex(12))
    app = App(registry, store, auth=args.auth, token=token, username=args.username,
              password=password, faults=faults, bookmark_interval=args.bookmark_interval,
              verbose=args.verbose)

    tmp_certs = None
    ctx = None
    paths = {}
    if args.tls:
        cert_dir = args.cert_dir
        if not cert_dir:
            tmp_certs = cert_dir = tempfile.mkdtemp(prefix="fake-apiserver-certs.")
        paths = certs.make_certs(cert_dir, client=True)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(paths["server.crt"], paths["server.key"])
        ctx.set_alpn_protocols(["http/1.1"])
        if args.auth == "cert":
            ctx.load_verify_locations(paths["ca.crt"])
            ctx.verify_mode = ssl.CERT_OPTIONAL

    if stop.is_set():
        if tmp_certs:
            shutil.rmtree(tmp_certs, ignore_errors=True)
        return 0
    try:
        httpd = make_server(host, port, app, ctx)
    except OSError as e:
        raise SystemExit("fake-apiserver: listen %s:%d: %s" % (host, port, e.strerror)) from None
    bound = httpd.server_address[1]
    hostpart = "[%s]" % host if ":" in host else host
    url = "%s://%s:%d" % ("https" if args.tls else "http", hostpart, bound)
    app.server_address = "%s:%d" % (hostpart, bound)

    if args.write_kubeconfig:
        kc = certs.kubeconfig_yaml(
            url, args.context_name, ca=paths.get("ca.crt"),
            # kubectl prompts for a user name when an https cluster comes with no
            # credentials at all, so auth "none" over TLS gets a (never checked) token
            token=token if args.auth == "token" or (args.auth == "none" and args.tls) else None,
            username=args.username if args.auth == "basic" else None,
            password=password if args.auth == "basic" else None,
            client_cert=paths.get("client.crt") if args.auth == "cert" else None,
            client_key=paths.get("client.key") if args.auth == "cert" else None)
        certs.write_kubeconfig(args.write_kubeconfig, kc)

    persister = None
    if args.state:
        persister = Persister(store, args.state)
        persister.save()
        persister.start()

    t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2},
                         name="serve", daemon=True)
    t.start()
    sys.stdout.write("ready %s\n" % url)
    sys.stdout.flush()
    while not stop.wait(1.0):
        pass
    app.stopping.set()
    httpd.shutdown()
    httpd.server_close()
    if persister is not None:
        persister.stop()
    if tmp_certs:
        shutil.rmtree(tmp_certs, ignore_errors=True)
    return 0
