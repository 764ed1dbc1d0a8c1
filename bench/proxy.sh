#!/usr/bin/env bash
# ferry ingress serve beside nginx, HAProxy and h2o, through the shared
# comparison script (../shared/bench/proxy-compare.sh, or $PROXY_COMPARE):
# HTTP/1.1 keep-alive, wrk, one worker each by default, one nginx backend.
# Then the CPU time per request against nginx (bench/proxy_cpu.sh, or with
# -t bench/proxy_tls.sh: steadier than requests/s on a shared machine) and
# the memory of idle keep-alive connections (bench/idle_conns.py).
#
# Usage: bench/proxy.sh [FERRY-BINARY] [proxy-compare.sh options: -d S -c N -r N -w N -t]
# (-t: HTTPS, ferry with the compare script's certificate as its default one)
# Environment: PROXY_COMPARE (the script), IDLE_CONNS (default 10000; 0 skips it)
# Needs: nginx haproxy h2o wrk openssl bc (scripts/setup --bench installs them).
# Targets (DESIGN.md): >= 1.3x nginx's requests/s with p99 no worse than
# nginx's; <= 16 KiB per idle keep-alive connection at 10,000 connections.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$ROOT/build/ferry
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    FERRY=$1
    shift
fi
FERRY=$(readlink -f "$FERRY")
[ -x "$FERRY" ] || { echo "bench/proxy.sh: $FERRY is not built; run make" >&2; exit 1; }
COMPARE=${PROXY_COMPARE:-$ROOT/../shared/bench/proxy-compare.sh}
[ -f "$COMPARE" ] || COMPARE=/work/shared/bench/proxy-compare.sh
[ -f "$COMPARE" ] || { echo "bench/proxy.sh: no proxy-compare.sh (set PROXY_COMPARE)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The command the compare script starts: one manifest that sends
# everything to its backend, then ferry in the foreground.
cat >"$work/run-ferry" <<EOF
#!/usr/bin/env bash
set -e
. "$ROOT/bench/lib.sh"
cat >"$work/bench.yaml" <<M
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench}
spec:
  ingressClassName: ferry
  defaultBackend: {service: {name: be, port: {number: 80}}}
\$(bench_backend_objects "\$BACKEND_PORT")
M
listen=(--http-listen 127.0.0.1:\$PROJECT_PORT --https-listen "")
if [ -n "\${TLS_CERT:-}" ]; then
    # -t: HTTPS on the project's port with the compare script's certificate,
    # as the default certificate (wrk sends no SNI to an IP address).
    cat >>"$work/bench.yaml" <<M
---
apiVersion: v1
kind: Secret
metadata: {name: bench-tls, namespace: default}
type: kubernetes.io/tls
data:
  tls.crt: \$(base64 -w0 "\$TLS_CERT")
  tls.key: \$(base64 -w0 "\$TLS_KEY")
M
    listen=(--http-listen 127.0.0.1:\$((PROJECT_PORT + 100)) --https-listen 127.0.0.1:\$PROJECT_PORT
            --default-ssl-certificate default/bench-tls)
fi
exec "$FERRY" ingress serve --manifests "$work/bench.yaml" "\${listen[@]}" \
    --workers "\${WORKERS:-1}" --access-log off
EOF
chmod +x "$work/run-ferry"

echo "# proxy-compare.sh $* (machine: $(nproc) CPUs, $(uname -r))"
PROJECT_PROXY_CMD="$work/run-ferry" bash "$COMPARE" "$@"

echo
echo "# CPU time per request (bench/proxy_cpu.sh; with -t bench/proxy_tls.sh)"
cpu=proxy_cpu.sh
for a in "$@"; do [ "$a" = -t ] && cpu=proxy_tls.sh; done
bash "$ROOT/bench/$cpu" "$FERRY"

n=${IDLE_CONNS:-10000}
if [ "$n" -gt 0 ]; then
    echo
    python3 "$ROOT/bench/idle_conns.py" "$FERRY" "$n"
fi
