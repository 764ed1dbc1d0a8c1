#!/usr/bin/env bash
# Listing 20,000 ConfigMaps: `ferry get configmaps -A -o json` against
# `kubectl get configmaps -A -o json --chunk-size=500`, both reading pages of
# 500 from tests/support/fake-apiserver, in one run on the same machine.
#
# Usage: bench/list.sh [FERRY-BINARY]          (default build/ferry)
# Environment: KUBECTL (default: found as scripts/setup finds it),
#              BENCH_OBJECTS (default 20000), BENCH_RUNS (default 5),
#              BENCH_TLS=1 (serve HTTPS; default plain HTTP),
#              BENCH_OUT (JSON results, default build/bench)
#
# Reported: mean wall time of each (hyperfine), the ratio, peak RSS of one run
# of each (GNU time %M), and the server's share: the same 40 pages fetched
# with one plain curl (one connection, the continue tokens collected first).
# Both outputs are compared byte for byte first.
# Targets (issue 4): ferry at most half of kubectl's time and a tenth of its
# peak memory.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$(readlink -f "${1:-$ROOT/build/ferry}")
N=${BENCH_OBJECTS:-20000}
RUNS=${BENCH_RUNS:-5}
OUTDIR=${BENCH_OUT:-$ROOT/build/bench}
PY=$(python3 -c 'import sys; print(sys.executable)')

die() { echo "bench/list.sh: $*" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

KUBECTL=${KUBECTL:-$(find_kubectl)} || die "no kubectl found (run scripts/setup)"
[ -x "$FERRY" ] || die "no ferry binary at $FERRY (run make)"
command -v hyperfine >/dev/null || die "hyperfine missing (run scripts/setup)"
command -v curl >/dev/null || die "curl missing"
[ -x /usr/bin/time ] || die "/usr/bin/time missing"

bench_workdir list
mkdir -p "$OUTDIR"

# 20,000 ConfigMaps of about 300 bytes each in 10 namespaces.
"$PY" -S - "$N" "$work/load/cms.json" <<'EOF'
import json, sys
n = int(sys.argv[1])
items = [{"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "cm-%05d" % i, "namespace": "ns-%d" % (i % 10),
                       "labels": {"app": "bench", "idx": str(i)}},
          "data": {"key": "value-%d" % i, "other": "x" * 100}} for i in range(n)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[2], "w"))
EOF
tls=()
[ "${BENCH_TLS:-0}" = 1 ] && tls=(--tls)
"$PY" "$ROOT/tests/support/fake-apiserver" "${tls[@]}" --load "$work/load" \
    --write-kubeconfig "$work/kc" >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
for i in $(seq 600); do grep -q '^ready ' "$work/server.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^ready //p' "$work/server.out")
[ -n "$URL" ] || die "the fake API server did not start: $(cat "$work/server.err")"
export KUBECONFIG=$work/kc

ferry_cmd="$FERRY get configmaps -A -o json"
kubectl_cmd="$KUBECTL get configmaps -A -o json --chunk-size=500"

# Same bytes first.
$ferry_cmd >"$work/ferry.json"
$kubectl_cmd >"$work/kubectl.json"
cmp -s "$work/ferry.json" "$work/kubectl.json" ||
    die "ferry and kubectl print different JSON (see diff of $work/*.json)"

# The pages' URLs, for curl: the continue tokens collected once.
"$PY" -S - "$URL" "$work/urls" <<'EOF'
import json, ssl, sys, urllib.parse, urllib.request
base, out = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
urls, cont = [], ""
while True:
    u = base + "/api/v1/configmaps?limit=500" + ("&continue=" + urllib.parse.quote(cont) if cont else "")
    urls.append(u)
    d = json.load(urllib.request.urlopen(u, context=ctx))
    cont = d["metadata"].get("continue", "")
    if not cont:
        break
open(out, "w").write("".join("url = \"%s\"\noutput = \"/dev/null\"\n" % u for u in urls))
print(len(urls), "pages")
EOF
curl_cmd="curl -sk --config $work/urls"

hyperfine --warmup 1 --runs "$RUNS" --export-json "$OUTDIR/list.json" \
    -n ferry "$ferry_cmd >/dev/null" \
    -n kubectl "$kubectl_cmd >/dev/null" \
    -n curl "$curl_cmd"

peak() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
ferry_kib=$(peak $ferry_cmd)
kubectl_kib=$(peak $kubectl_cmd)

"$PY" -S - "$OUTDIR/list.json" "$ferry_kib" "$kubectl_kib" "$N" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
fk, kk, n = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
f, k, c = r["ferry"]["mean"], r["kubectl"]["mean"], r["curl"]["mean"]
print()
print("list %s ConfigMaps, pages of 500, -o json" % n)
cpu = lambda x: r[x]["user"] + r[x]["system"]
print("  ferry    %7.3f s  (+- %.3f)   cpu %6.3f s   peak %7.1f MiB" % (f, r["ferry"]["stddev"] or 0, cpu("ferry"), fk / 1024))
print("  kubectl  %7.3f s  (+- %.3f)   cpu %6.3f s   peak %7.1f MiB" % (k, r["kubectl"]["stddev"] or 0, cpu("kubectl"), kk / 1024))
print("  curl     %7.3f s  (the same pages, one connection: the server's share)" % c)
print("  ferry/kubectl time   %.3f   (target <= 0.5)" % (f / k))
print("  ferry/kubectl cpu    %.3f   (kubectl's wall time includes client-go's 5 QPS throttling)" % (cpu("ferry") / cpu("kubectl")))
print("  ferry/kubectl memory %.3f   (target <= 0.1)" % (fk / kk))
print("  server's share of ferry's time: %.0f%%" % (100 * min(c, f) / f))
EOF
