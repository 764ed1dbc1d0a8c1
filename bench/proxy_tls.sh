#!/usr/bin/env bash
# HTTPS: ferry ingress serve against nginx, the same certificate (EC P-256,
# made here with openssl), the same backend (nginx, 13-byte body), the same
# load (wrk, 1 thread), one worker each. Two loads:
#   keep-alive  64 connections kept open: the cost of TLS records
#   handshake   16 connections, "Connection: close" on every request: one
#               full TLS handshake per request (wrk does not resume sessions)
# Prints requests/s, p99 and the proxy's CPU time per request (utime+stime
# from /proc/PID/stat), the steadier figure on a shared machine.
#
# Usage: bench/proxy_tls.sh [FERRY-BINARY] [ROUNDS] [SECONDS]   (build/ferry, 2, 5)
# Needs: nginx wrk openssl bc curl
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$(readlink -f "${1:-$ROOT/build/ferry}")
ROUNDS=${2:-2}
SECS=${3:-5}
for t in nginx wrk openssl bc curl; do command -v $t >/dev/null || { echo "missing $t"; exit 2; }; done
BASE=${BENCH_BASE_PORT:-18280}
BE=$((BASE + 1)) NGX=$((BASE + 2)) FRY=$((BASE + 3)) FRYH=$((BASE + 4))
W=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/key.pem" \
    -out "$W/crt.pem" -days 2 -subj /CN=bench.example -addext subjectAltName=DNS:bench.example \
    2>/dev/null

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_backend_conf "$W" "$BE"
# nginx as ingress-nginx configures it: TLS 1.2/1.3, tickets, session cache off.
cat >"$W/nginx.conf" <<C
daemon off; master_process off; worker_processes 1; pid $W/n.pid; error_log $W/n.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream be { server 127.0.0.1:$BE; keepalive 128; }
  server { listen 127.0.0.1:$NGX ssl; server_name bench.example;
    ssl_certificate $W/crt.pem; ssl_certificate_key $W/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets on;
    location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
C
b64() { base64 -w0 "$1"; }
cat >"$W/ferry.yaml" <<M
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench}
spec:
  ingressClassName: ferry
  tls: [{hosts: [bench.example], secretName: bench-tls}]
  rules: [{host: bench.example, http: {paths: [{path: /, pathType: Prefix,
    backend: {service: {name: be, port: {number: 80}}}}]}}]
---
apiVersion: v1
kind: Secret
metadata: {name: bench-tls}
type: kubernetes.io/tls
data: {tls.crt: $(b64 "$W/crt.pem"), tls.key: $(b64 "$W/key.pem")}
$(bench_backend_objects "$BE")
M
nginx -p "$W" -c "$W/backend.conf" & pids+=($!)
nginx -p "$W" -c "$W/nginx.conf" & ngx_pid=$!; pids+=("$ngx_pid")
"$FERRY" ingress serve --manifests "$W/ferry.yaml" --http-listen "127.0.0.1:$FRY" \
    --https-listen "127.0.0.1:$FRYH" --default-ssl-certificate default/bench-tls --workers 1 \
    --access-log off 2>"$W/ferry.err" &
ferry_pid=$!; pids+=("$ferry_pid")
for p in $NGX $FRYH; do
    for _ in $(seq 100); do
        curl -fsk -o /dev/null --resolve "bench.example:$p:127.0.0.1" "https://bench.example:$p/" &&
            break
        sleep 0.05
    done
done

hz=$(getconf CLK_TCK)
printf "%-10s %-6s %10s %10s %18s\n" load proxy "req/s" p99 "CPU us/request"
for _ in $(seq "$ROUNDS"); do
    for load in keep-alive handshake; do
        if [ $load = keep-alive ]; then args=(-c64); else args=(-c16 -H "Connection: close"); fi
        for pair in "nginx $ngx_pid $NGX" "ferry $ferry_pid $FRYH"; do
            # shellcheck disable=SC2086 # three words, split on purpose
            set -- $pair
            c0=$(bench_cpu_ticks "$2")
            # wrk sends no SNI to an IP address: nginx answers with its one
            # server, ferry with --default-ssl-certificate, the same certificate.
            out=$(wrk -t1 "${args[@]}" -d"${SECS}s" --latency -H "Host: bench.example" \
                "https://127.0.0.1:$3/")
            c1=$(bench_cpu_ticks "$2")
            n=$(awk '/requests in/{print $1}' <<<"$out")
            printf "%-10s %-6s %10s %10s %18.2f\n" $load "$1" \
                "$(awk '/Requests\/sec/{print $2}' <<<"$out")" "$(awk '$1=="99%"{print $2}' <<<"$out")" \
                "$(echo "($c1 - $c0) * 1000000 / $hz / $n" | bc -l)"
        done
    done
done
