#!/usr/bin/env python3
"""ferry ingress serve --https-listen: certificates by SNI from the Secrets of
spec.tls (exact, wildcard, default: self-signed or --default-ssl-certificate),
a Secret rotated live, bad Secrets falling back to the default alone, SSL
redirects, X-Forwarded-Proto, TLS 1.2/1.3 only, ALPN http/1.1, session
resumption across workers. Checked with the openssl and curl command-line
tools and Python's ssl module; test certificates are made with openssl."""
import base64
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time

from proxylib import (SLOW, TAP, Conn, Upstream, backend, echo, ingress, read_body, reply,
                      request, serve, sha, tmpdir, write_manifests)

MB = 1 << 20
BLOCK = bytes(range(256)) * 4096  # 1 MiB


def bulk(s, head, rest):
    """/up: answers the SHA-256 of the request body; /down/N: N MiB with a
    Content-Length, /chunked/N: N MiB chunked; /ws: 101, then echoes bytes."""
    target = head.split(b" ", 2)[1].decode()
    if target == "/up":
        body, rest = read_body(s, head, rest)
        return reply(s, 200, sha(body).encode()), rest
    if target.startswith("/down/"):
        s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (int(target[6:]) * MB))
        for _ in range(int(target[6:])):
            s.sendall(BLOCK)
        return True
    if target.startswith("/chunked/"):
        s.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(int(target[9:])):
            s.sendall(b"100000\r\n" + BLOCK + b"\r\n")
        s.sendall(b"0\r\n\r\n")
        return True
    s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\n\r\n" + rest)
    while True:
        d = s.recv(1 << 16)
        if not d:
            return False
        s.sendall(d)


def sh(*args, input=b"", timeout=15):
    return subprocess.run(list(args), input=input, capture_output=True, timeout=timeout * SLOW)


class Certs:
    """A CA, an intermediate, and leaf certificates made with openssl."""

    def __init__(self, d):
        self.d = d
        self.serial = 1000
        self.path("ca")
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", self.path("ca.key"), "-out", self.path("ca.pem"), "-days", "2",
           "-subj", "/CN=ferry test CA")
        self.ca = self.path("ca.pem")
        # An intermediate CA, for a Secret that carries a chain.
        ext = self.write("inter.ext", "basicConstraints=critical,CA:TRUE\n"
                                      "keyUsage=critical,keyCertSign,cRLSign\n")
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", self.path("inter.key"), "-out", self.path("inter.csr"),
           "-subj", "/CN=ferry test intermediate")
        self.sign("inter", "ca", ext)

    def path(self, name):
        return os.path.join(self.d, name)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return self.path(name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def sign(self, name, issuer, ext):
        self.serial += 1
        sh("openssl", "x509", "-req", "-in", self.path(name + ".csr"),
           "-CA", self.path(issuer + ".pem"), "-CAkey", self.path(issuer + ".key"),
           "-set_serial", str(self.serial), "-days", "2", "-extfile", ext,
           "-out", self.path(name + ".pem"))
        return self.serial

    def leaf(self, name, host, key="rsa", issuer="ca"):
        """Makes name.pem/name.key for <host>; returns the serial."""
        newkey = (["rsa:2048"] if key == "rsa" else
                  ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"])
        sh("openssl", "req", "-newkey", *newkey, "-nodes", "-keyout", self.path(name + ".key"),
           "-out", self.path(name + ".csr"), "-subj", "/CN=" + host)
        ext = self.write(name + ".ext", "subjectAltName=DNS:%s\n" % host)
        return self.sign(name, issuer, ext)


def secret(name, crt, key, ns="default"):
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
            "metadata": {"name": name, "namespace": ns},
            "data": {"tls.crt": base64.b64encode(crt).decode(),
                     "tls.key": base64.b64encode(key).decode()}}


def presented(port, name, *extra):
    """(subject CN, serial as int) of the certificate the server presents to
    `openssl s_client -servername <name>` (no SNI when name is None), and
    s_client's output."""
    sni = ["-servername", name] if name else ["-noservername"]
    p = sh("openssl", "s_client", "-connect", "127.0.0.1:%d" % port, *sni, *extra)
    out = p.stdout.decode(errors="replace")
    m = re.search(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S)
    if not m:
        return None, None, out
    x = sh("openssl", "x509", "-noout", "-subject", "-serial", input=m.group(0).encode())
    text = x.stdout.decode()
    cn = re.search(r"CN ?= ?([^,\n]+)", text)
    serial = re.search(r"serial=([0-9A-Fa-f]+)", text)
    return (cn.group(1).strip() if cn else None,
            int(serial.group(1), 16) if serial else None, out)


def curl(port, host, path="/", cacert=None):
    """(status, JSON or body) of `curl --resolve host:port:127.0.0.1 https://host:port/path`."""
    args = ["curl", "-sS", "--max-time", "10", "-o", "-", "-w", "\n%{http_code}",
            "--resolve", "%s:%d:127.0.0.1" % (host, port), "https://%s:%d%s" % (host, port, path)]
    args += ["--cacert", cacert] if cacert else ["-k"]
    p = sh(*args)
    body, _, code = p.stdout.decode(errors="replace").rpartition("\n")
    return int(code or 0), body, p.stderr.decode(errors="replace")


class TLSConn(Conn):
    """proxylib's strict HTTP/1.1 client over TLS, verifying against <ca>
    (None: no verification)."""

    def __init__(self, port, host, ca, timeout=10):
        ctx = ssl.create_default_context(cafile=ca)
        if ca is None:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout * SLOW)
        self.s = ctx.wrap_socket(raw, server_hostname=host)
        self.buf = b""
        self.eof = False

    def get(self, host, path="/"):
        self.send("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host))
        return self.response()


class RecordConn(Conn):
    """TLS through memory BIOs: send_records() makes each piece its own TLS
    record and sends them all in one TCP write, so they arrive together."""

    def __init__(self, port, host):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10 * SLOW)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname=host)
        self.buf = b""
        self.eof = False
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.s.sendall(self.out.read())
                self._feed()
        self.s.sendall(self.out.read())

    def _feed(self):
        d = self.s.recv(1 << 16)
        if not d:
            self.eof = True
            raise EOFError("connection closed")
        self.inc.write(d)

    def send_records(self, pieces):
        for p in pieces:
            self.tls.write(p)
        self.s.sendall(self.out.read())

    def _fill(self):
        while True:
            try:
                self.buf += self.tls.read(1 << 16)
                return
            except ssl.SSLWantReadError:
                self._feed()


def main(t):
    if not shutil.which("openssl") or not shutil.which("curl"):
        t.skip("TLS tests", "openssl or curl is not installed")
        return
    d = tmpdir()
    c = Certs(d)
    c.leaf("a", "a.example.com", "rsa")
    c.leaf("b", "b.example.com", "ec", issuer="inter")  # served with its chain
    c.leaf("w", "*.wild.example.com", "rsa")
    c.leaf("c", "c.example.com", "rsa")  # paired below with a's key: mismatched
    c.leaf("dflt", "my default", "ec")
    a2_serial = c.leaf("a2", "a.example.com", "ec")  # a's rotated certificate

    ea, eb, ew = echo(service="a", pod="a-0"), echo(service="b", pod="b-0"), \
        echo(service="w", pod="w-0")
    up = Upstream(bulk)

    def objects(a_cert="a"):
        objs = backend("a", [ea.addr]) + backend("b", [eb.addr]) + backend("w", [ew.addr])
        objs += backend("bulk", [up.addr])
        objs += [
            secret("a-tls", c.read(a_cert + ".pem"), c.read(a_cert + ".key")),
            secret("b-tls", c.read("b.pem") + c.read("inter.pem"), c.read("b.key")),
            secret("w-tls", c.read("w.pem"), c.read("w.key")),
            secret("c-tls", c.read("c.pem"), c.read("a.key")),
            secret("m-tls", b"not a certificate", b"-----BEGIN PRIVATE KEY-----\nAAAA\n"),
            secret("default-cert", c.read("dflt.pem"), c.read("dflt.key"), ns="ferry"),
        ]

        def ing(name, host, svc, tls=None, ann=None):
            return ingress(name, rules=[(host, [("/", "Prefix", svc, 80)])], annotations=ann,
                           tls=[{"hosts": [host], "secretName": tls}] if tls else None)
        objs += [
            ing("a", "a.example.com", "a", "a-tls"),
            ing("b", "b.example.com", "b", "b-tls", {"ferry.dev/ssl-redirect": "false"}),
            ing("b2", "b2.example.com", "b", "b-tls",
                {"nginx.ingress.kubernetes.io/ssl-redirect": "false"}),
            ing("w", "*.wild.example.com", "w", "w-tls"),
            ing("c", "c.example.com", "a", "c-tls"),
            ing("m", "m.example.com", "a", "m-tls"),
            ing("f", "f.example.com", "a", None,
                {"nginx.ingress.kubernetes.io/force-ssl-redirect": "true"}),
            ing("f2", "f2.example.com", "a", None, {"ferry.dev/force-ssl-redirect": "true"}),
            ing("p", "p.example.com", "a"),
            ing("bulk", "bulk.example.com", "bulk", "a-tls"),
        ]
        return objs

    md = tmpdir()
    mf = os.path.join(md, "all.yaml")
    write_manifests(mf, objects())
    px = serve(mf, "--client-header-timeout", "2s", workers=2)
    P, S = px.port, px.https_port
    t.ok(S is not None, "the HTTPS listener is logged", px.stderr())

    # ---- certificates by SNI ----
    for name, want in [("a.example.com", "a.example.com"), ("b.example.com", "b.example.com"),
                       ("B.Example.COM", "b.example.com"),
                       ("x.wild.example.com", "*.wild.example.com"),
                       ("unknown.example.com", "ferry default certificate"),
                       ("a.b.wild.example.com", "ferry default certificate"),
                       ("wild.example.com", "ferry default certificate"),
                       (None, "ferry default certificate")]:
        cn, _, out = presented(S, name)
        t.eq(cn, want, "SNI %s: the certificate of %s" % (name, want))
    for host, svc in [("a.example.com", "a"), ("b.example.com", "b"),
                      ("x.wild.example.com", "w")]:
        code, body, err = curl(S, host, "/hello", cacert=c.ca)
        t.ok(code == 200 and '"service":"%s"' % svc in body.replace(" ", ""),
             "curl --cacert verifies %s (chain included for b) and reaches %s" % (host, svc),
             "%s %s %s" % (code, body[:300], err))
    _, _, out = presented(S, "b.example.com", "-showcerts")
    t.eq(out.count("BEGIN CERTIFICATE"), 2, "b's Secret chain (leaf + intermediate) is sent")

    # ---- bodies and tunnels through TLS ----
    upload = os.path.join(d, "upload")
    with open(upload, "wb") as f:
        for i in range(16):
            f.write(BLOCK[i:] + BLOCK[:i])
    with open(upload, "rb") as f:
        want = sha(f.read())
    p = sh("curl", "-sS", "-k", "--max-time", "30", "--resolve", "bulk.example.com:%d:127.0.0.1" % S,
           "--data-binary", "@" + upload, "https://bulk.example.com:%d/up" % S, timeout=40)
    t.eq(p.stdout.decode(), want, "16 MiB uploaded over TLS arrive whole")
    for path in ("/down/32", "/chunked/32"):
        p = sh("curl", "-sS", "-k", "--max-time", "30", "--resolve",
               "bulk.example.com:%d:127.0.0.1" % S, "https://bulk.example.com:%d%s" % (S, path),
               timeout=40)
        t.eq((len(p.stdout), sha(p.stdout)), (32 * MB, sha(BLOCK * 32)),
             "32 MiB downloaded over TLS (%s) arrive whole" % path.split("/")[1])
    ws = TLSConn(S, "bulk.example.com", None)
    ws.send("GET /ws HTTP/1.1\r\nHost: bulk.example.com\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\n\r\n")
    r = ws.response()
    got = b""
    if r.status == 101:
        ws.send(b"ping through TLS" * 1000)
        while len(got) < 16000:
            got += ws.s.recv(1 << 16)
    t.eq((r.status, got == b"ping through TLS" * 1000), (101, True),
         "an upgraded connection tunnels both ways over TLS")
    ws.close()

    # ---- pipelined requests arriving together: none left unread ----
    reqs = [b"GET /p%d HTTP/1.1\r\nHost: a.example.com\r\n\r\n" % i for i in range(3)]
    rc = RecordConn(S, "a.example.com")
    rc.send_records([b"".join(reqs)])
    got = [json.loads(rc.response().body)["path"] for _ in reqs]
    rc.send_records(reqs)
    got += [json.loads(rc.response().body)["path"] for _ in reqs]
    t.eq(got, ["/p0", "/p1", "/p2"] * 2,
         "three pipelined requests in one TLS record, then in three records of one TCP "
         "segment: all answered in order")
    rc.close()

    # ---- bad Secrets: the default certificate for that host alone ----
    t.eq(presented(S, "c.example.com")[0], "ferry default certificate",
         "a key that does not match its certificate: the default certificate")
    t.eq(presented(S, "m.example.com")[0], "ferry default certificate",
         "a malformed Secret: the default certificate")
    log = px.stderr()
    t.ok('secret "default/c-tls"' in log and "does not match" in log,
         "the mismatched Secret is logged with its name and what is wrong", log)
    t.ok('secret "default/m-tls"' in log and "no PEM certificate" in log,
         "the malformed Secret is logged with its name and what is wrong", log)
    key_lines = [l for l in c.read("a.key").decode().splitlines() if "-----" not in l]
    t.ok("PRIVATE KEY" not in log and not any(l in log for l in key_lines[:3]),
         "no key material in the log")
    t.eq(curl(S, "a.example.com", cacert=c.ca)[0], 200, "other hosts are unaffected")

    # ---- X-Forwarded-* over TLS ----
    code, body, _ = curl(S, "a.example.com", cacert=c.ca)
    h = json.loads(body)["headers"] if code == 200 else {}
    t.eq((h.get("X-Forwarded-Proto"), h.get("X-Forwarded-Port")), (["https"], [str(S)]),
         "X-Forwarded-Proto: https and X-Forwarded-Port: the HTTPS port")
    r = request(P, "/", host="p.example.com")
    t.eq(r.json()["headers"].get("X-Forwarded-Proto") if r.status == 200 else r.status,
         ["http"], "X-Forwarded-Proto: http on plain HTTP")

    # ---- redirects ----
    r = request(P, "/some/path?q=1&r=2", host="a.example.com")
    t.eq((r.status, r.header("Location")),
         (308, "https://a.example.com:%d/some/path?q=1&r=2" % S),
         "plain HTTP to a host with TLS: 308 to https, path and query kept")
    t.ok(b"308 Permanent Redirect" in r.body and r.header("Content-Type") == "text/html",
         "the 308 has a small HTML body", repr(r))
    r = request(P, "/x", host="a.example.com:%d" % P)
    t.eq(r.header("Location"), "https://a.example.com:%d/x" % S,
         "the Host port is replaced by the HTTPS port")
    t.eq(request(P, "/", host="b.example.com").status, 200,
         "ferry.dev/ssl-redirect: \"false\" serves plain HTTP")
    t.eq(request(P, "/", host="b2.example.com").status, 200,
         "nginx.ingress.kubernetes.io/ssl-redirect: \"false\" serves plain HTTP")
    r = request(P, "/f", host="f.example.com")
    t.eq((r.status, r.header("Location")), (308, "https://f.example.com:%d/f" % S),
         "nginx.ingress.kubernetes.io/force-ssl-redirect: \"true\" without TLS: 308")
    t.eq(request(P, "/", host="f2.example.com").status, 308,
         "ferry.dev/force-ssl-redirect: \"true\": 308")
    t.eq(request(P, "/", host="p.example.com").status, 200, "no TLS, no annotation: served")
    t.eq(curl(S, "f.example.com")[0], 200, "over HTTPS nothing is redirected")
    r = request(P, "/", host="a.example.com", method="HEAD")
    t.eq((r.status, r.body), (308, b""), "HEAD gets the 308 without a body")

    # ---- clients that do not speak TLS, or nothing ----
    def closed_after(data):
        s = socket.create_connection(("127.0.0.1", S), timeout=10 * SLOW)
        t0 = time.time()
        s.sendall(data)
        try:
            while s.recv(4096):
                pass
        except OSError:
            pass
        s.close()
        return time.time() - t0
    took = closed_after(b"")
    t.ok(1.5 < took < 5 * SLOW, "a client that never starts its handshake is closed after "
         "--client-header-timeout (%.1fs)" % took)
    took = closed_after(b"GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n")
    t.ok(took < 1.5, "plain HTTP on the HTTPS port: closed at once (%.2fs)" % took)
    t.eq(curl(S, "a.example.com", cacert=c.ca)[0], 200, "and the listener still serves")

    # ---- protocol versions, ALPN ----
    p = sh("openssl", "s_client", "-connect", "127.0.0.1:%d" % S, "-servername",
           "a.example.com", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    t.ok(p.returncode != 0 and "alert protocol version" in p.stderr.decode(errors="replace"),
         "TLS 1.1 is refused (protocol_version alert)", p.stderr.decode(errors="replace")[-500:])
    for flag, ver in [("-tls1_2", "TLSv1.2"), ("-tls1_3", "TLSv1.3")]:
        out = presented(S, "a.example.com", flag)[2]
        t.ok(re.search(r"New, %s, Cipher is (ECDHE|TLS_)" % ver, out) is not None,
             "%s works, with a forward-secret cipher" % ver, out[-800:])
    out = presented(S, "a.example.com", "-alpn", "h2,http/1.1")[2]
    t.ok("ALPN protocol: http/1.1" in out, "ALPN h2,http/1.1: http/1.1 (no h2 yet)", out[-500:])

    # ---- session resumption, across two workers ----
    for flag in ("-tls1_2", "-tls1_3"):
        sess = os.path.join(d, "sess" + flag)
        req = b"GET / HTTP/1.1\r\nHost: a.example.com\r\nConnection: close\r\n\r\n"
        base = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % S, "-servername",
                "a.example.com", "-ign_eof", flag]
        sh(*base, "-sess_out", sess, input=req)
        reused = 0
        for _ in range(8):
            out = sh(*base, "-sess_in", sess, input=req).stdout.decode(errors="replace")
            reused += "Reused, " in out
        t.eq(reused, 8, "%s: 8 resumed handshakes of 8 (tickets shared by both workers)" % flag)
    # TLS 1.3 tickets are for one use: each resumption brings the next one,
    # so a client that keeps its newest session resumes every time.
    sess = os.path.join(d, "sess-chain")
    sh(*base, "-sess_out", sess, input=req)
    chain = []
    for _ in range(6):
        out = sh(*base, "-msg", "-sess_in", sess, "-sess_out", sess + ".n",
                 input=req).stdout.decode(errors="replace")
        if os.path.exists(sess + ".n"):  # written only when a new ticket came
            os.replace(sess + ".n", sess)
        chain.append(("Reused, " in out, out.count(", NewSessionTicket")))
    t.eq(chain, [(True, 1)] * 6, "TLS 1.3: every resumption is resumed and brings one new ticket")

    # ---- a Secret rotated live ----
    keep = TLSConn(S, "a.example.com", c.ca)
    t.eq(keep.get("a.example.com").status, 200, "a keep-alive TLS connection before the rotation")
    write_manifests(mf, objects(a_cert="a2"))
    t0, serial = time.time(), None
    while time.time() - t0 < 3 * SLOW:
        serial = presented(S, "a.example.com")[1]
        if serial == a2_serial:
            break
        time.sleep(0.05)
    took = time.time() - t0
    t.ok(serial == a2_serial and took < 2.5 * SLOW,
         "the rotated certificate is presented within ~2 s (%.2fs)" % took,
         "serial %r, want %r" % (serial, a2_serial))
    r = keep.get("a.example.com", "/after")
    t.eq((r.status, r.json()["path"] if r.status == 200 else None), (200, "/after"),
         "the connection opened before the rotation keeps working")
    keep.close()

    # ---- --default-ssl-certificate ----
    px2 = serve(mf, "--default-ssl-certificate", "ferry/default-cert")
    for name in ("unknown.example.com", "c.example.com", None):
        t.eq(presented(px2.https_port, name)[0], "my default",
             "--default-ssl-certificate for %s" % (name or "no SNI"))
    t.eq(presented(px2.https_port, "a.example.com")[0], "a.example.com",
         "hosts with their own Secret keep it")
    px2.stop()

    # ---- HTTPS off ----
    px3 = serve(mf, "--https-listen", "")
    t.ok(px3.https_port is None and "serving HTTPS" not in px3.stderr(),
         "--https-listen \"\" serves no HTTPS")
    t.eq(request(px3.port, "/", host="a.example.com").status, 200,
         "without HTTPS nothing is redirected")
    px3.stop()


if __name__ == "__main__":
    TAP().run(main)
