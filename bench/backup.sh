#!/usr/bin/env bash
# Backing up 20,000 objects of 10 resource types: `ferry backup create`
# (every page streamed into a tar.gz in the local location) against
# `kubectl get <the 10 types> -A -o json --chunk-size=500` (listing the same
# objects), both reading pages of 500 from tests/support/fake-apiserver, in
# one run on the same machine.
#
# Usage: bench/backup.sh [FERRY-BINARY]        (default build/ferry)
# Environment: KUBECTL (default: found as scripts/setup finds it),
#              BENCH_OBJECTS (default 20000), BENCH_RUNS (default 5),
#              BENCH_OUT (JSON results, default build/bench)
#
# Reported: mean wall time of each (hyperfine), the ratio, peak RSS of one
# run of each (GNU time %M), the size of the tarball.
# Targets (issue 5): ferry within 1.2x of kubectl's time, peak memory
# <= 64 MiB.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$(readlink -f "${1:-$ROOT/build/ferry}")
N=${BENCH_OBJECTS:-20000}
RUNS=${BENCH_RUNS:-5}
OUTDIR=${BENCH_OUT:-$ROOT/build/bench}
PY=$(python3 -c 'import sys; print(sys.executable)')

die() { echo "bench/backup.sh: $*" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
KUBECTL=${KUBECTL:-$(find_kubectl)} || die "no kubectl found (run scripts/setup)"
[ -x "$FERRY" ] || die "no ferry binary at $FERRY (run make)"
command -v hyperfine >/dev/null || die "hyperfine missing (run scripts/setup)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing"

bench_workdir backup
mkdir -p "$OUTDIR"
export FERRY_CONFIG=$work/ferry.yaml

TYPES=configmaps,secrets,services,serviceaccounts,deployments.apps,statefulsets.apps,jobs.batch,roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,ingresses.networking.k8s.io

# N objects, N/10 of each type, in 10 namespaces, a few hundred bytes each.
"$PY" -S - "$N" "$work/load/objects.json" <<'EOF'
import json, sys
n = int(sys.argv[1]) // 10
meta = lambda kind, i: {"name": "%s-%05d" % (kind.lower(), i), "namespace": "ns-%d" % (i % 10),
                        "labels": {"app": "bench", "idx": str(i)}}
pod = {"metadata": {"labels": {"app": "bench"}},
       "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]}}
def obj(kind, i):
    o = {"kind": kind, "metadata": meta(kind, i)}
    if kind == "ConfigMap": o.update(apiVersion="v1", data={"key": "value-%d" % i, "other": "x" * 100})
    if kind == "Secret": o.update(apiVersion="v1", data={"token": "dG9rZW4tdG9rZW4t" * 4})
    if kind == "Service": o.update(apiVersion="v1", spec={"selector": {"app": "bench"}, "ports": [{"port": 80}]})
    if kind == "ServiceAccount": o.update(apiVersion="v1")
    if kind == "Deployment": o.update(apiVersion="apps/v1", spec={"replicas": 1, "selector": {"matchLabels": {"app": "bench"}}, "template": pod})
    if kind == "StatefulSet": o.update(apiVersion="apps/v1", spec={"serviceName": "s", "selector": {"matchLabels": {"app": "bench"}}, "template": pod})
    if kind == "Job": o.update(apiVersion="batch/v1", spec={"template": dict(pod, spec=dict(pod["spec"], restartPolicy="Never"))})
    if kind == "Role": o.update(apiVersion="rbac.authorization.k8s.io/v1", rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}])
    if kind == "RoleBinding": o.update(apiVersion="rbac.authorization.k8s.io/v1", roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}, subjects=[{"kind": "ServiceAccount", "name": "default"}])
    if kind == "Ingress": o.update(apiVersion="networking.k8s.io/v1", spec={"rules": [{"host": "h%d.example.com" % i, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "s", "port": {"number": 80}}}}]}}]})
    return o
kinds = ["ConfigMap", "Secret", "Service", "ServiceAccount", "Deployment", "StatefulSet", "Job", "Role", "RoleBinding", "Ingress"]
items = [obj(k, i) for k in kinds for i in range(n)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[2], "w"))
EOF
"$PY" "$ROOT/tests/support/fake-apiserver" --load "$work/load" \
    --write-kubeconfig "$work/kc" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for i in $(seq 900); do
    grep -q '^ready ' "$work/server.out" 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q '^ready ' "$work/server.out" || die "the fake API server did not start: $(cat "$work/server.err")"
export KUBECONFIG=$work/kc

BK=$HOME/.local/share/ferry/backups/backups
ferry_cmd="$FERRY backup create bench --include-resources $TYPES"
kubectl_cmd="$KUBECTL get $TYPES -A -o json --chunk-size=500"

# One run each first: both see every object.
$ferry_cmd >/dev/null
got=$(tar -tzf "$BK/bench/bench.tar.gz" | grep -c '^resources/.*/ns-')
[ "$got" = "$N" ] || die "the backup holds $got objects, not $N"
tarball=$(stat -c %s "$BK/bench/bench.tar.gz")
$kubectl_cmd | "$PY" -S -c 'import json,sys; n=len(json.load(sys.stdin)["items"]); sys.exit(0 if n >= int(sys.argv[1]) else "kubectl listed %d objects" % n)' "$N"

hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUTDIR/backup.json" \
    --prepare "rm -rf $BK/bench" \
    -n ferry "$ferry_cmd >/dev/null" \
    -n kubectl "$kubectl_cmd >/dev/null"

peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rm -rf "$BK/bench"
ferry_kib=$(peak $ferry_cmd)
kubectl_kib=$(peak $kubectl_cmd)

"$PY" -S - "$OUTDIR/backup.json" "$ferry_kib" "$kubectl_kib" "$N" "$tarball" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
fk, kk, n, tb = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
f, k = r["ferry"]["mean"], r["kubectl"]["mean"]
cpu = lambda x: r[x]["user"] + r[x]["system"]
print()
print("back up %s objects of 10 types (pages of 500) vs listing them with kubectl -o json" % n)
print("  ferry backup  %7.3f s  (+- %.3f)   cpu %6.3f s   peak %7.1f MiB   tarball %.1f MiB" % (f, r["ferry"]["stddev"] or 0, cpu("ferry"), fk / 1024, tb / 1048576))
print("  kubectl get   %7.3f s  (+- %.3f)   cpu %6.3f s   peak %7.1f MiB" % (k, r["kubectl"]["stddev"] or 0, cpu("kubectl"), kk / 1024))
print("  ferry/kubectl time   %.3f   (target <= 1.2)" % (f / k))
print("  ferry peak memory    %.1f MiB (target <= 64)" % (fk / 1024))
EOF
