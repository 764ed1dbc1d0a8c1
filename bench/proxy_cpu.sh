#!/usr/bin/env bash
# CPU time per proxied request: ferry ingress serve against nginx, same
# backend (nginx, fixed 13-byte body), same load (wrk, 1 thread, 64
# keep-alive connections), one worker each. On a machine shared with the
# load generator and the backend (or with noisy neighbours), requests/s
# swing with scheduling; the proxy's own CPU time per request is the
# steadier measure of its cost. Reads utime+stime from /proc/PID/stat.
# Also prints the whole machine's busy time per request (/proc/stat: the
# proxy, wrk, the backend and the kernel's packet processing): on a machine
# whose every CPU is busy, requests/s follow that figure, so the ratio of
# the machine figures is the most a requests/s comparison can show there.
# Ends with each proxy's means and nginx's over ferry's. HTTPS:
# bench/proxy_tls.sh.
#
# Usage: bench/proxy_cpu.sh [FERRY-BINARY] [ROUNDS]   (default build/ferry, 2)
# Needs: nginx wrk bc
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$(readlink -f "${1:-$ROOT/build/ferry}")
ROUNDS=${2:-2}
for t in nginx wrk bc; do command -v $t >/dev/null || { echo "missing $t"; exit 2; }; done
BASE=${BENCH_BASE_PORT:-18180}
BE=$((BASE + 1)) NGX=$((BASE + 2)) FRY=$((BASE + 3))
W=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
bench_backend_conf "$W" "$BE"
cat >"$W/nginx.conf" <<C
daemon off; master_process off; worker_processes 1; pid $W/n.pid; error_log $W/n.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream be { server 127.0.0.1:$BE; keepalive 128; }
  server { listen 127.0.0.1:$NGX; location / { proxy_pass http://be; proxy_http_version 1.1;
    proxy_set_header Connection ""; } } }
C
cat >"$W/ferry.yaml" <<M
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench}
spec: {ingressClassName: ferry, defaultBackend: {service: {name: be, port: {number: 80}}}}
$(bench_backend_objects "$BE")
M
nginx -p "$W" -c "$W/backend.conf" & pids+=($!)
nginx -p "$W" -c "$W/nginx.conf" & ngx_pid=$!; pids+=("$ngx_pid")
"$FERRY" ingress serve --manifests "$W/ferry.yaml" --http-listen "127.0.0.1:$FRY" --https-listen "" \
    --workers 1 --access-log off 2>"$W/ferry.err" & ferry_pid=$!; pids+=("$ferry_pid")
for p in $NGX $FRY; do
    for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.05; done
done

hz=$(getconf CLK_TCK)
declare -A sum msum
printf "%-6s %10s %10s %18s %22s\n" proxy "req/s" p99 "CPU us/request" "machine us/request"
for _ in $(seq "$ROUNDS"); do
    for pair in "nginx $ngx_pid $NGX" "ferry $ferry_pid $FRY"; do
        # shellcheck disable=SC2086 # three words, split on purpose
        set -- $pair
        c0=$(bench_cpu_ticks "$2") m0=$(bench_machine_ticks)
        out=$(wrk -t1 -c64 -d5s --latency "http://127.0.0.1:$3/")
        c1=$(bench_cpu_ticks "$2") m1=$(bench_machine_ticks)
        n=$(awk '/requests in/{print $1}' <<<"$out")
        us=$(echo "($c1 - $c0) * 1000000 / $hz / $n" | bc -l)
        mus=$(echo "($m1 - $m0) * 1000000 / $hz / $n" | bc -l)
        sum[$1]=$(echo "${sum[$1]:-0} + $us" | bc -l)
        msum[$1]=$(echo "${msum[$1]:-0} + $mus" | bc -l)
        printf "%-6s %10s %10s %18.2f %22.2f\n" "$1" "$(awk '/Requests\/sec/{print $2}' <<<"$out")" \
            "$(awk '$1=="99%"{print $2}' <<<"$out")" "$us" "$mus"
    done
done
printf "mean CPU us/request over %d rounds: nginx %.2f, ferry %.2f; nginx/ferry %.2f\n" "$ROUNDS" \
    "$(echo "${sum[nginx]} / $ROUNDS" | bc -l)" "$(echo "${sum[ferry]} / $ROUNDS" | bc -l)" \
    "$(echo "${sum[nginx]} / ${sum[ferry]}" | bc -l)"
printf "mean machine us/request: nginx %.2f, ferry %.2f; nginx/ferry %.2f\n" \
    "$(echo "${msum[nginx]} / $ROUNDS" | bc -l)" "$(echo "${msum[ferry]} / $ROUNDS" | bc -l)" \
    "$(echo "${msum[nginx]} / ${msum[ferry]}" | bc -l)"
