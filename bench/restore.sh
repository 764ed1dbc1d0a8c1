#!/usr/bin/env bash
# Restoring 5,000 objects into an empty cluster: `ferry restore create`
# against `kubectl apply -f` of the same objects, each into a fresh, empty
# tests/support/fake-apiserver, in one run on the same machine.
#
# Usage: bench/restore.sh [FERRY-BINARY]          (default build/ferry)
# Environment: KUBECTL (default: found as scripts/setup finds it),
#              BENCH_OBJECTS (default 5000), BENCH_RUNS (default 3),
#              BENCH_QPS (ferry's --kube-api-qps, default 1000; burst the
#              same), BENCH_WORKERS (ferry's --workers, default 4)
#
# The objects (ConfigMaps, Secrets, Services, Deployments and
# ServiceAccounts in 10 namespaces) are loaded into a source server and
# backed up once with `ferry backup create` into a local location; each run
# then restores that backup into a new empty server, and kubectl applies
# the same objects (one List file) into another. Both must leave the same
# objects behind (checked once). Reported: mean wall time of each, the
# ratio, the requests each sent (from the server's request log), and
# ferry's peak memory (GNU time %M).
# Target (issue 6): ferry at most half of kubectl's time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$(readlink -f "${1:-$ROOT/build/ferry}")
N=${BENCH_OBJECTS:-5000}
RUNS=${BENCH_RUNS:-3}
QPS=${BENCH_QPS:-1000}
WORKERS=${BENCH_WORKERS:-4}
PY=$(python3 -c 'import sys; print(sys.executable)')

die() { echo "bench/restore.sh: $*" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

KUBECTL=${KUBECTL:-$(find_kubectl)} || die "no kubectl found (run scripts/setup)"
[ -x "$FERRY" ] || die "no ferry binary at $FERRY (run make)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-restore.XXXXXX")
server_pid=
stop() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=
}
cleanup() { stop; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$work/home" "$work/load"
export HOME=$work/home FERRY_CONFIG=$work/ferry.yaml

# start ARGS...: a fake API server; sets URL and KUBECONFIG.
start() {
    rm -f "$work/server.out"
    "$PY" "$ROOT/tests/support/fake-apiserver" --write-kubeconfig "$work/kc" "$@" \
        >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    for _ in $(seq 600); do grep -q '^ready ' "$work/server.out" 2>/dev/null && break; sleep 0.1; done
    URL=$(sed -n 's/^ready //p' "$work/server.out")
    [ -n "$URL" ] || die "the fake API server did not start: $(cat "$work/server.err")"
    export KUBECONFIG=$work/kc
}
now() { date +%s%N; }
requests() {
    "$PY" -S -c 'import json,sys,urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1] + "/_fake/requests"))["items"]))' "$URL"
}
# The objects a cluster holds, without what the server or the restore wrote.
snapshot() {
    "$KUBECTL" get cm,secrets,svc,deploy,sa -A -o json | "$PY" -S -c '
import hashlib, json, sys
out = []
for i in json.load(sys.stdin)["items"]:
    m = i["metadata"]
    if m.get("name") == "default" or m.get("name", "").startswith("kube-root"):
        continue
    out.append("%s/%s/%s" % (i["kind"], m.get("namespace"), m["name"]))
print(len(out), hashlib.sha256("\n".join(sorted(out)).encode()).hexdigest()[:16])'
}

# N objects in 10 namespaces: a fifth each of ConfigMaps, Secrets, Services,
# Deployments and ServiceAccounts, about 400 bytes each.
"$PY" -S - "$N" "$work/load/objs.json" <<'EOF'
import json, sys
n = int(sys.argv[1])
def obj(i):
    ns, name = "ns-%d" % (i % 10), "obj-%05d" % i
    meta = {"name": name, "namespace": ns, "labels": {"app": "bench", "idx": str(i)}}
    k = i % 5
    if k == 0:
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                "data": {"key": "value-%d" % i, "other": "x" * 200}}
    if k == 1:
        return {"apiVersion": "v1", "kind": "Secret", "metadata": meta, "type": "Opaque",
                "data": {"token": "dG9rZW4tMTIzNDU2Nzg5MA=="}}
    if k == 2:
        return {"apiVersion": "v1", "kind": "Service", "metadata": meta,
                "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}}
    if k == 3:
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}}}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
nss = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns-%d" % j}} for j in range(10)]
json.dump({"apiVersion": "v1", "kind": "List", "items": nss + [obj(i) for i in range(n)]},
          open(sys.argv[2], "w"))
EOF

# The backup, once.
start --load "$work/load"
"$FERRY" backup-location create bench --provider local --bucket "$work/store" --default >/dev/null
"$FERRY" backup create bench --include-namespaces "$(seq -s, -f 'ns-%g' 0 9)" >/dev/null
stop

ferry_ms=() kubectl_ms=()
for run in $(seq "$RUNS"); do
    start
    t0=$(now)
    /usr/bin/time -f %M -o "$work/ferry.rss" "$FERRY" restore create "run-$run" \
        --from-backup bench --kube-api-qps="$QPS" --kube-api-burst="$QPS" \
        --workers="$WORKERS" >/dev/null
    t1=$(now)
    ferry_ms+=($(( (t1 - t0) / 1000000 )))
    ferry_reqs=$(requests)
    [ "$run" = 1 ] && ferry_snap=$(snapshot)
    stop

    start
    t0=$(now)
    "$KUBECTL" apply -f "$work/load/objs.json" >/dev/null
    t1=$(now)
    kubectl_ms+=($(( (t1 - t0) / 1000000 )))
    kubectl_reqs=$(requests)
    [ "$run" = 1 ] && kubectl_snap=$(snapshot)
    stop
done
[ "$ferry_snap" = "$kubectl_snap" ] ||
    die "the restore and kubectl apply left different objects ($ferry_snap vs $kubectl_snap)"

"$PY" -S - "$N" "$QPS" "$WORKERS" "$ferry_reqs" "$kubectl_reqs" "${ferry_ms[*]}" "${kubectl_ms[*]}" \
    "$(cat "$work/ferry.rss")" <<'EOF'
import sys
n, qps, workers, freq, kreq = sys.argv[1:6]
f = [int(x) / 1000 for x in sys.argv[6].split()]
k = [int(x) / 1000 for x in sys.argv[7].split()]
rss = int(sys.argv[8]) / 1024
fm, km = sum(f) / len(f), sum(k) / len(k)
print()
print("restore %s objects into an empty server (%d runs)" % (n, len(f)))
print("  ferry restore create  %7.3f s  (runs %s; --kube-api-qps=%s --workers=%s; %s requests)"
      % (fm, " ".join("%.2f" % x for x in f), qps, workers, freq))
# The server's request log keeps the last 10,000 requests.
kreq = kreq if int(kreq) < 10000 else ">= 10000"
print("  kubectl apply -f      %7.3f s  (runs %s; %s requests)"
      % (km, " ".join("%.2f" % x for x in k), kreq))
print("  ferry/kubectl time    %.3f   (target <= 0.5)" % (fm / km))
print("  ferry peak memory     %.1f MiB (objects spooled to an unlinked file, not held)" % rss)
EOF
