"""Helpers for the proxy integration tests (Python stdlib only).

Not a test itself (not executable): the proxy_*.py and echo.py tests import
it. Everything listens on 127.0.0.1 with ports the kernel picks (port 0; the
real port is read from the process's log line), every process started is
killed at exit, every temporary directory removed.
"""
import atexit
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FERRY = os.environ.get("FERRY") or os.path.join(ROOT, "build", "ferry")
# Under sanitizers everything is slower: timing assertions scale with this.
SLOW = 3.0 if "asan" in FERRY or "ubsan" in FERRY else 1.0

_procs = []
_dirs = []
_ferries = []  # Proc objects, checked for sanitizer reports at the end


def _cleanup():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(5)
            except Exception:
                pass
    for d in _dirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def _on_signal(signo, frame):
    _cleanup()
    os._exit(1)


signal.signal(signal.SIGTERM, _on_signal)


def tmpdir():
    d = tempfile.mkdtemp(prefix="ferry-proxy-test.")
    _dirs.append(d)
    return d


class TAP:
    """TAP output: ok()/skip() as tests run, done() prints the plan."""

    def __init__(self):
        self.n = 0
        self.failed = 0
        self.start = time.time()

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name), flush=True)
            if diag is not None:
                for line in str(diag).splitlines()[:40]:
                    print("# " + line, flush=True)
        return cond

    def eq(self, got, want, name):
        return self.ok(got == want, name, "got:  %r\nwant: %r" % (got, want))

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def done(self):
        # Every ferry started is stopped (SIGTERM: leaks are reported at
        # exit) and its stderr checked for sanitizer reports.
        reports = []
        for p in _ferries:
            p.stop()
            err = p.stderr()
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                           "WARNING: ThreadSanitizer"):
                if marker in err:
                    reports.append("%s:\n%s" % (" ".join(p.args), err[err.index(marker) - 200:][:3000]))
                    break
        self.ok(not reports, "no sanitizer report from any ferry process (%d run)" % len(_ferries),
                "\n".join(reports))
        print("1..%d" % self.n, flush=True)
        print("# %.1fs" % (time.time() - self.start), flush=True)
        _cleanup()
        sys.exit(1 if self.failed else 0)

    def run(self, fn):
        """Runs fn(self); an exception fails the file with its traceback."""
        try:
            fn(self)
        except Exception:
            import traceback
            self.ok(False, "no exception", traceback.format_exc())
        self.done()


class Proc:
    """A ferry process whose stderr goes to a file; .addr after ready()."""

    def __init__(self, args, pattern, env=None, stdout=None):
        self.dir = tmpdir()
        self.errpath = os.path.join(self.dir, "stderr")
        self.outpath = os.path.join(self.dir, "stdout")
        self.err = open(self.errpath, "wb")
        self.out = open(self.outpath, "wb") if stdout is None else stdout
        e = dict(os.environ)
        e.update(env or {})
        self.args = args
        self.p = subprocess.Popen([FERRY] + args, stdout=self.out, stderr=self.err,
                                  stdin=subprocess.DEVNULL, env=e)
        _procs.append(self.p)
        _ferries.append(self)
        self.addr = None
        self.port = None
        deadline = time.time() + 20 * SLOW
        rx = re.compile(pattern)
        while time.time() < deadline:
            m = rx.search(self.stderr())
            if m:
                self.addr = m.group(1)
                self.port = int(self.addr.rsplit(":", 1)[1])
                return
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("%s did not start:\n%s" % (" ".join(args), self.stderr()))

    def stderr(self):
        with open(self.errpath, "r", errors="replace") as f:
            return f.read()

    def stdout(self):
        with open(self.outpath, "r", errors="replace") as f:
            return f.read()

    def rss_kib(self):
        with open("/proc/%d/status" % self.p.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def signal(self, s):
        self.p.send_signal(s)

    def wait(self, timeout):
        return self.p.wait(timeout)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10 * SLOW)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


def echo(service="", pod="", namespace="", workers=1):
    args = ["echo", "--listen", "127.0.0.1:0", "--workers", str(workers)]
    if service:
        args += ["--service", service]
    if pod:
        args += ["--pod", pod]
    if namespace:
        args += ["--namespace", namespace]
    return Proc(args, r"echo: listening on (\S+)")


def serve(manifests, *flags, workers=1, access_log="off", stdout=None):
    """.port is the HTTP port; .https_port the HTTPS one (127.0.0.1, port 0
    unless flags say otherwise; None when flags turn HTTPS off)."""
    flags = list(flags)
    if "--https-listen" not in flags:
        flags += ["--https-listen", "127.0.0.1:0"]
    https = flags[flags.index("--https-listen") + 1] != ""
    args = ["ingress", "serve", "--manifests", manifests, "--http-listen", "127.0.0.1:0",
            "--workers", str(workers), "--access-log", access_log] + flags
    p = Proc(args, r"serving HTTP on (\S+)", stdout=stdout)
    p.https_port = None
    deadline = time.time() + 5 * SLOW
    while https and time.time() < deadline:  # logged right after the HTTP line
        m = re.search(r"serving HTTPS on \S+:(\d+)", p.stderr())
        if m:
            p.https_port = int(m.group(1))
            break
        time.sleep(0.01)
    return p


# ---- manifests ------------------------------------------------------------

def ingress(name, ns="default", rules=None, default=None, cls="ferry", annotations=None,
            created=None, tls=None):
    """rules: [(host, [(path, pathType, service, port), ...]), ...]"""
    spec = {}
    if cls is not None:
        spec["ingressClassName"] = cls
    if default:
        spec["defaultBackend"] = {"service": {"name": default[0], "port": {"number": default[1]}}}
    if rules:
        spec["rules"] = []
        for host, paths in rules:
            r = {"http": {"paths": [
                {"path": p, "pathType": t,
                 "backend": {"service": {"name": s, "port": {"number": port}}}}
                for p, t, s, port in paths]}}
            if host:
                r["host"] = host
            spec["rules"].append(r)
    if tls:
        spec["tls"] = tls
    meta = {"name": name, "namespace": ns}
    if annotations:
        meta["annotations"] = annotations
    if created:
        meta["creationTimestamp"] = created
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
            "spec": spec}


def service(name, ns="default", port=80):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"ports": [{"port": port, "targetPort": port}]}}


def endpoints(name, ns="default", addrs=()):
    """addrs: ["127.0.0.1:9001", ...]; all on the same port per subset."""
    subsets = []
    for a in addrs:
        ip, port = a.rsplit(":", 1)
        subsets.append({"addresses": [{"ip": ip}], "ports": [{"port": int(port)}]})
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": name, "namespace": ns},
            "subsets": subsets}


def backend(name, addrs, ns="default", port=80):
    """A Service and its Endpoints."""
    return [service(name, ns, port), endpoints(name, ns, addrs)]


def write_manifests(path, objs):
    """Writes objects as YAML documents (JSON is YAML), atomically."""
    text = "".join("---\n" + json.dumps(o, indent=1) + "\n" for o in objs)
    tmp = path + ".tmp~"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


# ---- HTTP -----------------------------------------------------------------

class Response:
    def __init__(self, status, reason, headers, body, version):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body
        self.version = version

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<%d %r %r>" % (self.status, self.headers, self.body[:200])


class Conn:
    """A raw HTTP/1.1 client connection that reads responses strictly."""

    def __init__(self, port, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
        self.buf = b""
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.s.sendall(data)

    def _fill(self):
        d = self.s.recv(1 << 16)
        if not d:
            self.eof = True
            raise EOFError("connection closed")
        self.buf += d

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n:
            self._fill()
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def response(self, method="GET", skip_interim=True):
        while True:
            status_line = self._line().decode("latin-1")
            version, status, reason = (status_line.split(" ", 2) + [""])[:3]
            status = int(status)
            headers = []
            while True:
                line = self._line()
                if not line:
                    break
                k, v = line.decode("latin-1").split(":", 1)
                headers.append((k, v.strip()))
            r = Response(status, reason, headers, b"", version)
            if 100 <= status < 200 and status != 101:
                if skip_interim:
                    continue
                return r
            break
        te = r.header("transfer-encoding")
        cl = r.header("content-length")
        if method == "HEAD" or status in (101, 204, 304):
            return r
        if te and te.lower() == "chunked":
            body = []
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body.append(self._take(size))
                self._take(2)
            r.body = b"".join(body)
        elif cl is not None:
            r.body = self._take(int(cl))
        else:
            try:
                while True:
                    self._fill()
            except EOFError:
                pass
            r.body, self.buf = self.buf, b""
        return r

    def closed(self, wait=5):
        """True when the peer closes (EOF or reset) within <wait> seconds."""
        self.s.settimeout(wait * SLOW)
        try:
            while True:
                d = self.s.recv(1 << 16)
                if not d:
                    return True
                self.buf += d
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def request(port, path="/", host="example.test", method="GET", headers=(), body=None,
            timeout=10):
    """One request on a fresh connection; returns a Response."""
    c = Conn(port, timeout)
    try:
        h = ["%s %s HTTP/1.1" % (method, path)]
        if host is not None:
            h.append("Host: %s" % host)
        for k, v in headers:
            h.append("%s: %s" % (k, v))
        if body is not None:
            h.append("Content-Length: %d" % len(body))
        h.append("Connection: close")
        data = ("\r\n".join(h) + "\r\n\r\n").encode()
        if body is not None:
            data += body if isinstance(body, bytes) else body.encode()
        c.send(data)
        return c.response(method)
    finally:
        c.close()


def raw(port, data, timeout=5):
    """Sends <data>, reads until the peer closes or <timeout>; returns bytes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
    try:
        s.sendall(data)
        out = b""
        try:
            while True:
                d = s.recv(1 << 16)
                if not d:
                    break
                out += d
        except (socket.timeout, ConnectionResetError):
            pass
        return out
    finally:
        s.close()


# ---- test upstreams (threads in this process) ---------------------------------

class Upstream:
    """A scripted HTTP upstream on 127.0.0.1:port. <handler>(conn_socket,
    head_bytes, rest_bytes) answers one request; return False to close."""

    def __init__(self, handler, reuse=True):
        self.handler = handler
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(128)
        self.port = self.ls.getsockname()[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.connections = 0
        self.requests = 0
        self.reuse = reuse
        self.stopped = False
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()

    def _accept(self):
        while not self.stopped:
            try:
                s, _ = self.ls.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, s):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = s.recv(1 << 16)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                self.requests += 1
                r = self.handler(s, head + b"\r\n\r\n", buf)
                if isinstance(r, tuple):
                    keep, buf = r
                else:
                    keep, buf = r, b""
                if not keep or not self.reuse:
                    return
        except (OSError, EOFError):
            pass
        finally:
            s.close()

    def close(self):
        self.stopped = True
        self.ls.close()


def read_body(s, head, rest):
    """Reads a request body per <head>'s framing; returns (body, leftover)."""
    h = head.decode("latin-1").lower()
    m = re.search(r"\r\ncontent-length: *(\d+)", h)
    if m:
        n = int(m.group(1))
        while len(rest) < n:
            d = s.recv(1 << 16)
            if not d:
                raise EOFError()
            rest += d
        return rest[:n], rest[n:]
    if "\r\ntransfer-encoding: chunked" in h:
        body = []
        buf = rest

        def need(n):
            nonlocal buf
            while len(buf) < n:
                d = s.recv(1 << 16)
                if not d:
                    raise EOFError()
                buf += d

        while True:
            while b"\r\n" not in buf:
                need(len(buf) + 1)
            line, buf = buf.split(b"\r\n", 1)
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while True:
                    while b"\r\n" not in buf:
                        need(len(buf) + 1)
                    line, buf = buf.split(b"\r\n", 1)
                    if not line:
                        return b"".join(body), buf
            need(size + 2)
            body.append(buf[:size])
            buf = buf[size + 2:]
    return b"", rest


def reply(s, status=200, body=b"", headers=(), keep=True):
    h = ["HTTP/1.1 %d X" % status, "Content-Length: %d" % len(body)]
    h += ["%s: %s" % kv for kv in headers]
    if not keep:
        h.append("Connection: close")
    s.sendall(("\r\n".join(h) + "\r\n\r\n").encode() + body)
    return keep


def sha(b):
    return hashlib.sha256(b).hexdigest()
