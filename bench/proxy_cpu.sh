#!/usr/bin/env bash
# CPU time per proxied request: ferry ingress serve against nginx, same
# backend (nginx, fixed 13-byte body), same load (wrk, 1 thread, 64
# keep-alive connections), one worker each. On a machine shared with the
# load generator and the backend (or with noisy neighbours), requests/s
# swing with scheduling; the proxy's own CPU time per request is the
# steadier measure of its cost. Reads utime+stime from /proc/PID/stat.
# Also prints the whole machine's busy time per request (/proc/stat: the
# proxy, wrk, the backend and the kernel's packet processing): on a machine
# whose every CPU is busy, requests/s follow that figure.
#
# A third row, "forward", is bench/forward.c: a forwarder that moves bytes
# and does no HTTP work at all, so its cost is what the kernel alone costs
# a proxy. nginx's machine time per request over forward's is about the
# most any proxy's requests/s can show against nginx's on this machine and
# load; nginx/ferry beside it says how close ferry comes to that floor.
#
# The rounds alternate nginx, ferry, forward. Ends with each one's medians
# and the ratios. HTTPS: bench/proxy_tls.sh.
#
# Usage: bench/proxy_cpu.sh [FERRY-BINARY] [ROUNDS]   (default build/ferry, 3)
# Needs: nginx wrk bc cc
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$(readlink -f "${1:-$ROOT/build/ferry}")
ROUNDS=${2:-3}
for t in nginx wrk bc cc; do command -v $t >/dev/null || { echo "missing $t"; exit 2; }; done
BASE=${BENCH_BASE_PORT:-18180}
BE=$((BASE + 1)) NGX=$((BASE + 2)) FRY=$((BASE + 3)) FWD=$((BASE + 4))
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
cc -O2 -std=c11 -D_GNU_SOURCE "$ROOT/bench/forward.c" -o "$W/forward"
"$W/forward" "$FWD" "$BE" & fwd_pid=$!; pids+=("$fwd_pid")
for p in $NGX $FRY $FWD; do
    for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$p/" && break; sleep 0.05; done
done

hz=$(getconf CLK_TCK)
declare -A cpu mach rps
printf "%-8s %10s %10s %18s %22s\n" proxy "req/s" p99 "CPU us/request" "machine us/request"
for _ in $(seq "$ROUNDS"); do
    for row in "nginx $ngx_pid $NGX" "ferry $ferry_pid $FRY" "forward $fwd_pid $FWD"; do
        # shellcheck disable=SC2086 # three words, split on purpose
        set -- $row
        c0=$(bench_cpu_ticks "$2") m0=$(bench_machine_ticks)
        out=$(wrk -t1 -c64 -d5s --latency "http://127.0.0.1:$3/")
        c1=$(bench_cpu_ticks "$2") m1=$(bench_machine_ticks)
        n=$(awk '/requests in/{print $1}' <<<"$out")
        r=$(awk '/Requests\/sec/{print $2}' <<<"$out")
        us=$(echo "($c1 - $c0) * 1000000 / $hz / $n" | bc -l)
        mus=$(echo "($m1 - $m0) * 1000000 / $hz / $n" | bc -l)
        cpu[$1]+=" $us" mach[$1]+=" $mus" rps[$1]+=" $r"
        printf "%-8s %10s %10s %18.2f %22.2f\n" "$1" "$r" "$(awk '$1=="99%"{print $2}' <<<"$out")" \
            "$us" "$mus"
    done
done
# Medians, not means: a round the host disturbs moves a mean, not a median.
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{v[NR] = $1}
    END {printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
row() { # LABEL ARRAY: the three medians, and nginx's over ferry's and over forward's
    local -n a=$2
    local n f w
    n=$(median "${a[nginx]}") f=$(median "${a[ferry]}") w=$(median "${a[forward]}")
    printf "  %-19s nginx %.2f, ferry %.2f, forward %.2f; nginx/ferry %.2f, nginx/forward %.2f\n" \
        "$1" "$n" "$f" "$w" "$(echo "$n / $f" | bc -l)" "$(echo "$n / $w" | bc -l)"
}
printf "medians over %d rounds:\n" "$ROUNDS"
row "CPU us/request:" cpu
row "machine us/request:" mach
n=$(median "${rps[nginx]}") f=$(median "${rps[ferry]}") w=$(median "${rps[forward]}")
printf "  %-19s nginx %.0f, ferry %.0f, forward %.0f\n" "req/s:" "$n" "$f" "$w"
printf "  %-19s ferry %.2f, forward %.2f (the floor); ferry/forward %.2f\n" "req/s over nginx's:" \
    "$(echo "$f / $n" | bc -l)" "$(echo "$w / $n" | bc -l)" "$(echo "$f / $w" | bc -l)"
