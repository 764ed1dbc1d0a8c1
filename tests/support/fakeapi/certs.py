"""Test certificates made with the openssl command line, and kubeconfig files.

One ECDSA P-256 CA signs a server certificate (SANs 127.0.0.1, ::1,
localhost) and, for client-certificate auth, a client certificate
(CN=fake-admin, O=system:masters). P-256 keys are generated in milliseconds,
where RSA would cost the test suite seconds.
"""

import base64
import json
import os
import re
import subprocess

from .store import write_atomic

__all__ = ["make_certs", "kubeconfig_yaml"]


def _run(args, cwd):
    p = subprocess.run(["openssl"] + args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], p.stderr.decode(errors="replace").strip()))


def _ext(path, text):
    with open(path, "w") as f:
        f.write(text)


def make_certs(d, client=True):
    """Creates (or reuses, when present) ca.crt/ca.key, server.crt/server.key
    and client.crt/client.key in directory d. Returns a dict of paths."""
    os.makedirs(d, exist_ok=True)
    paths = {n: os.path.join(d, n) for n in (
        "ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key")}
    if all(os.path.exists(p) for p in paths.values()):
        return paths
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(["req", "-x509"] + curve + ["-keyout", "ca.key", "-out", "ca.crt", "-days", "3650",
          "-subj", "/CN=fake-apiserver-ca",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"], d)
    for who, subj, ext in (
            ("server", "/CN=fake-apiserver",
             "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
             "extendedKeyUsage=serverAuth\n"
             "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"),
            ("client", "/O=system:masters/CN=fake-admin",
             "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
             "extendedKeyUsage=clientAuth\n")):
        if who == "client" and not client:
            continue
        _run(["req", "-new"] + curve + ["-keyout", who + ".key", "-out", who + ".csr",
                                        "-subj", subj], d)
        _ext(os.path.join(d, who + ".ext"), ext)
        _run(["x509", "-req", "-in", who + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
              "-CAcreateserial", "-out", who + ".crt", "-days", "3650", "-sha256",
              "-extfile", who + ".ext"], d)
    for p in paths.values():
        if os.path.exists(p) and p.endswith(".key"):
            os.chmod(p, 0o600)
    return paths


_PLAIN = re.compile(r"^[A-Za-z_/][-A-Za-z0-9_./:@]*$")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"}


def _s(v):
    if _PLAIN.match(v) and v.lower() not in _RESERVED:
        return v
    return json.dumps(v)


def _b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode("ascii")


def kubeconfig_yaml(server, name, ca=None, token=None, username=None, password=None,
                    client_cert=None, client_key=None):
    lines = ["apiVersion: v1", "clusters:", "- cluster:"]
    if ca:
        lines.append("    certificate-authority-data: " + _b64file(ca))
    lines += ["    server: " + _s(server), "  name: " + _s(name),
              "contexts:", "- context:", "    cluster: " + _s(name), "    user: " + _s(name),
              "  name: " + _s(name), "current-context: " + _s(name), "kind: Config",
              "preferences: {}", "users:", "- name: " + _s(name)]
    user = []
    if client_cert:
        user.append("    client-certificate-data: " + _b64file(client_cert))
        user.append("    client-key-data: " + _b64file(client_key))
    if token:
        user.append("    token: " + _s(token))
    if username is not None:
        user.append("    password: " + _s(password or ""))
        user.append("    username: " + _s(username))
    if user:
        lines.append("  user:")
        lines += user
    else:
        lines.append("  user: {}")
    return "\n".join(lines) + "\n"


def write_kubeconfig(path, text):
    write_atomic(path, text.encode("utf-8"), 0o600)
