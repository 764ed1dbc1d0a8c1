#!/usr/bin/env bash
# ferry config vs kubectl config, on the same realistic kubeconfig (20
# contexts, clusters and users, embedded CA and client certificates).
#
# Usage: bench/config.sh [FERRY-BINARY]        (default build/ferry)
# Environment: KUBECTL (default: found as scripts/setup finds it),
#              BENCH_OUT (JSON results, default build/bench), BENCH_RUNS (default 30)
#
# For each command: hyperfine (warmup, then BENCH_RUNS runs of each program,
# one JSON export), the ratio of the mean times kubectl/ferry, and the peak RSS
# of one run of each (GNU time, %M). Takes well under two minutes.
# Targets (DESIGN.md): ferry >= 20x faster than kubectl, <= 5 MiB peak.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
FERRY=$(readlink -f "${1:-$ROOT/build/ferry}")
RUNS=${BENCH_RUNS:-30}
OUTDIR=${BENCH_OUT:-$ROOT/build/bench}
FIXTURE=$ROOT/tests/integration/fixtures/many-contexts.yaml

die() { echo "bench/config.sh: $*" >&2; exit 1; }

# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

KUBECTL=${KUBECTL:-$(find_kubectl)} || die "no kubectl found (run scripts/setup)"
[ -x "$FERRY" ] || die "no ferry binary at $FERRY (run make)"
command -v hyperfine >/dev/null || die "hyperfine missing (run scripts/setup)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (run scripts/setup)"

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUTDIR" "$work/home"
export HOME=$work/home
unset KUBECONFIG
# Each program gets its own copy: use-context rewrites the file.
cp "$FIXTURE" "$work/kubectl.yaml"
cp "$FIXTURE" "$work/ferry.yaml"
chmod 600 "$work"/*.yaml

# Both must agree before timing means anything.
a=$("$KUBECTL" config view --minify --kubeconfig "$work/kubectl.yaml") || die "kubectl failed"
b=$("$FERRY" config view --minify --kubeconfig "$work/ferry.yaml") || die "ferry config view failed"
[ "$a" = "$b" ] || echo "warning: ferry and kubectl print different 'config view --minify' output" >&2

peak_kib() {  # command... -> max RSS in KiB over 3 runs
    local i m max=0
    for i in 1 2 3; do
        /usr/bin/time -f '%M' -o "$work/rss" "$@" >/dev/null 2>&1 || true
        m=$(tail -n 1 "$work/rss")
        [ "$m" -gt "$max" ] && max=$m
    done
    echo "$max"
}

mean_ms() {  # json-file index -> mean in ms
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]; print("%.2f %.2f" % (r["mean"]*1000, (r["stddev"] or 0)*1000))' "$1" "$2"
}

rows=()
bench() {  # label, slug, shell-mode, kubectl-cmd, ferry-cmd, rss-kubectl-argv..., --, rss-ferry-argv...
    local label=$1 slug=$2 shell=$3 kcmd=$4 fcmd=$5 json
    shift 5
    local kargv=() fargv=()
    while [ "$1" != -- ]; do kargv+=("$1"); shift; done
    shift
    fargv=("$@")
    json=$OUTDIR/config-$slug.json
    local opts=(--warmup 3 --runs "$RUNS" --style basic --export-json "$json")
    [ "$shell" = none ] && opts+=(-N)
    echo "== $label"
    hyperfine "${opts[@]}" -n kubectl "$kcmd" -n ferry "$fcmd" | grep -E '^ *(Time|Range|Benchmark)' || true
    local k f kr fr
    read -r k ks < <(mean_ms "$json" 0)
    read -r f fs < <(mean_ms "$json" 1)
    kr=$(peak_kib "${kargv[@]}")
    fr=$(peak_kib "${fargv[@]}")
    rows+=("$(printf '%-26s %9s ±%6s %9s ±%6s %8.1fx %9.1f %9.1f' "$label" "$k" "$ks" "$f" "$fs" \
        "$(awk "BEGIN{print $k/$f}")" "$(awk "BEGIN{print $kr/1024}")" "$(awk "BEGIN{print $fr/1024}")")")
}

K=$KUBECTL F=$FERRY KK=$work/kubectl.yaml FK=$work/ferry.yaml
echo "kubectl: $K ($("$K" version --client 2>/dev/null | head -n 1))"
echo "ferry:   $F"
echo "file:    20 contexts, embedded certs, $(wc -c <"$FIXTURE") bytes; $RUNS runs each after 3 warmups"
echo

bench "config view --minify" view-minify none \
    "$K config view --minify --kubeconfig $KK" "$F config view --minify --kubeconfig $FK" \
    "$K" config view --minify --kubeconfig "$KK" -- "$F" config view --minify --kubeconfig "$FK"

bench "config get-contexts" get-contexts none \
    "$K config get-contexts --kubeconfig $KK" "$F config get-contexts --kubeconfig $FK" \
    "$K" config get-contexts --kubeconfig "$KK" -- "$F" config get-contexts --kubeconfig "$FK"

# Alternating between two contexts, so that every run really rewrites the
# file: one timed run is two switches (hyperfine subtracts the shell's cost).
bench "config use-context (x2)" use-context sh \
    "$K config use-context prod-us-east-1 --kubeconfig $KK >/dev/null && $K config use-context qa-eu-west-1 --kubeconfig $KK >/dev/null" \
    "$F config use-context prod-us-east-1 --kubeconfig $FK >/dev/null && $F config use-context qa-eu-west-1 --kubeconfig $FK >/dev/null" \
    "$K" config use-context staging-ap-south-1 --kubeconfig "$KK" -- \
    "$F" config use-context staging-ap-south-1 --kubeconfig "$FK"

cmp -s "$KK" "$FK" || echo "warning: the files written by kubectl and ferry differ" >&2

echo
printf '%-26s %17s %17s %9s %9s %9s\n' "command" "kubectl ms" "ferry ms" "ratio" "k MiB" "f MiB"
printf '%s\n' "${rows[@]}"
echo
echo "ratio = kubectl mean / ferry mean (target >= 20x); MiB = peak RSS (target ferry <= 5)"
echo "JSON: $OUTDIR/config-{view-minify,get-contexts,use-context}.json"
