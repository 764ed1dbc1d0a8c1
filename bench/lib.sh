# shellcheck shell=bash
# Helpers the bench scripts share (sourced, not run).

# The real kubectl client. The Cloud SDK's kubectl is a dispatcher that asks
# the current context's server for its version before each command: measure
# the versioned client beside it instead.
find_kubectl() {
    local k real m v
    k=$(command -v kubectl 2>/dev/null) || return 1
    v=$("$k" version --client -o json 2>/dev/null) || v=
    case $v in
        *dispatcher*|'') ;;
        *) printf '%s\n' "$k"; return 0 ;;
    esac
    real=$(readlink -f "$k")
    for m in 32 33 34; do
        [ -x "${real%/*}/kubectl.1.$m" ] && { printf '%s\n' "${real%/*}/kubectl.1.$m"; return 0; }
    done
    return 1
}

# bench_backend_conf DIR PORT: DIR/backend.conf, the proxies' backend: nginx,
# one worker, a fixed 13-byte body on 127.0.0.1:PORT.
bench_backend_conf() {
    cat >"$1/backend.conf" <<C
daemon off; master_process off; worker_processes 1; pid $1/b.pid; error_log $1/b.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$2 reuseport; location / { return 200 "hello, world\n"; } } }
C
}

# bench_backend_objects PORT: the Service "be" and its Endpoints at
# 127.0.0.1:PORT, as manifests for `ferry ingress serve --manifests`.
bench_backend_objects() {
    cat <<M
---
apiVersion: v1
kind: Service
metadata: {name: be}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: be}
subsets: [{addresses: [{ip: 127.0.0.1}], ports: [{port: $1}]}]
M
}

# bench_cpu_ticks PID: the process's utime + stime, in clock ticks.
bench_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# bench_machine_ticks: the busy time of all CPUs (user, nice, system, irq,
# softirq; not idle, iowait or steal), in clock ticks. Loopback packets are
# processed in softirq time, which no process is charged for.
bench_machine_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }

# bench_workdir NAME: $work, a new directory whose home/ is $HOME and whose
# load/ is empty, removed on exit after the process $server_pid (when set)
# is stopped.
bench_workdir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-$1.XXXXXX")
    server_pid=
    trap bench_cleanup EXIT
    mkdir -p "$work/home" "$work/load"
    export HOME=$work/home
}
bench_cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
