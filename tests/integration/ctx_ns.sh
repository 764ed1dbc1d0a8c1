#!/usr/bin/env bash
# TAP tests for `ferry ctx` and `ferry ns`, the kubectx/kubens conveniences
# that have no kubectl equivalent. Where they change a kubeconfig, the file
# must be byte-identical to what kubectl's own command writes
# (`config use-context`, `config set-context --current --namespace`), so those
# checks run the real kubectl on a copy (KUBECTL; skipped when there is none).
#
# `ferry ns` without arguments lists the namespaces of the cluster: those
# checks use tests/support/fake-apiserver on 127.0.0.1.
#
# Environment: FERRY (the binary), KUBECTL (optional).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FIX=$HERE/fixtures
FERRY=${FERRY:-$HERE/../../build/ferry}
KUBECTL=${KUBECTL:-}

n=0 failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferry-ctx.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {  # name, details...
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift
    local l
    for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# A fresh work dir with HOME inside it; kubeconfig files copied in.
# Sets W; exports HOME, XDG_STATE_HOME, KUBECONFIG (colon list of copies).
fresh() {  # fixture...
    W=$TMP/w$n
    rm -rf "$W"; mkdir -p "$W/home"
    export HOME=$W/home XDG_STATE_HOME=$W/state
    local f list=
    for f in "$@"; do
        cp "$FIX/$f" "$W/$f"; chmod 600 "$W/$f"
        list=${list:+$list:}$W/$f
    done
    export KUBECONFIG=$list
}

# Runs ferry; sets OUT, ERR, RC.
fr() {
    OUT=$("$FERRY" "$@" 2>"$TMP/err" </dev/null); RC=$?
    ERR=$(cat "$TMP/err")
}

# Compares the kubeconfig files in $W with what kubectl makes of the same
# starting files. The kubectl commands run in a copy made at the same path
# (paths end up in files), with the same KUBECONFIG; ferry's results are put
# back afterwards. Usage:
#   same_as_kubectl NAME FIXTURE... -- KUBECTL-ARGS... [-- KUBECTL-ARGS...]
same_as_kubectl() {
    local name=$1 got=$TMP/got.$n fixtures=() f cmd=() d=
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do fixtures+=("$1"); shift; done
    if [ -z "$KUBECTL" ]; then skip "$name" "no kubectl"; return; fi
    rm -rf "$got"; cp -a "$W" "$got"
    rm -rf "$W"; mkdir -p "$W/home"
    for f in "${fixtures[@]}"; do cp "$FIX/$f" "$W/$f"; chmod 600 "$W/$f"; done
    shift
    while [ $# -gt 0 ]; do
        cmd=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do cmd+=("$1"); shift; done
        [ $# -gt 0 ] && shift
        "$KUBECTL" "${cmd[@]}" >/dev/null 2>&1 </dev/null
    done
    for f in "${fixtures[@]}"; do
        if ! cmp -s "$W/$f" "$got/$f"; then
            d+=$(diff -u --label "kubectl $f" --label "ferry $f" "$W/$f" "$got/$f")$'\n'
        fi
    done
    rm -rf "$W"; mv "$got" "$W"
    if [ -z "$d" ]; then ok "$name"; else not_ok "$name" "$d"; fi
}

expect() {  # name, want-rc, want-stdout, [want-stderr]
    local name=$1 d=()
    [ "$RC" = "$2" ] || d+=("exit status $RC, want $2")
    [ "$OUT" = "$3" ] || d+=("stdout: $(printf '%q' "$OUT")" "  want: $(printf '%q' "$3")")
    if [ $# -ge 4 ] && [ "$ERR" != "$4" ]; then
        d+=("stderr: $(printf '%q' "$ERR")" "  want: $(printf '%q' "$4")")
    fi
    if [ ${#d[@]} -eq 0 ]; then ok "$name"; else not_ok "$name" "${d[@]}"; fi
}

current_context() { sed -n 's/^current-context: *//p' "$1"; }

if [ ! -x "$FERRY" ]; then
    echo "1..0 # SKIP ferry binary not found ($FERRY)"
    exit 0
fi

# --- ferry ctx: listing -------------------------------------------------------
fresh basic.yaml
fr ctx
if [ "$RC" -ne 0 ]; then
    not_ok "ctx lists contexts" "exit status $RC" "$ERR"
else
    # One line per context, sorted; the current one marked with '*' somewhere
    # on its line, the others not; no colour codes when stdout is not a tty.
    names=$(printf '%s\n' "$OUT" | sed 's/^[* ]*//; s/[* ]*$//')
    marked=$(printf '%s\n' "$OUT" | grep -c '\*')
    marked_name=$(printf '%s\n' "$OUT" | grep '\*' | sed 's/^[* ]*//; s/[* ]*$//')
    d=()
    [ "$names" = $'dev\ndev-bob\nprod' ] || d+=("names: $(printf '%q' "$names")")
    [ "$marked" = 1 ] && [ "$marked_name" = dev ] || d+=("marked lines: $marked ($marked_name), want 1 (dev)")
    case $OUT in *$'\e'*) d+=("colour escape in output that is not a terminal") ;; esac
    if [ ${#d[@]} -eq 0 ]; then ok "ctx lists contexts, current marked, no colour"; else
        not_ok "ctx lists contexts, current marked, no colour" "${d[@]}" "output:" "$OUT"; fi
fi

fresh many-contexts.yaml
fr ctx
lines=$(printf '%s\n' "$OUT" | grep -c .)
[ "$RC" -eq 0 ] && [ "$lines" -eq 20 ] && ok "ctx lists 20 contexts" ||
    not_ok "ctx lists 20 contexts" "exit $RC, $lines lines" "$OUT"

fresh merge-nocurrent.yaml
fr ctx
[ "$RC" -eq 0 ] && [ "$(printf '%s\n' "$OUT" | grep -c '\*')" -eq 0 ] &&
    [ "$(printf '%s\n' "$OUT" | sed 's/^[* ]*//')" = ctx-c ] &&
    ok "ctx with no current context marks nothing" ||
    not_ok "ctx with no current context marks nothing" "exit $RC" "$OUT" "$ERR"

# --- ferry ctx NAME -------------------------------------------------------------
fresh basic.yaml
fr ctx prod
expect "ctx NAME switches" 0 'Switched to context "prod".'
[ "$(current_context "$W/basic.yaml")" = prod ] && ok "ctx NAME writes current-context" ||
    not_ok "ctx NAME writes current-context" "$(cat "$W/basic.yaml")"
same_as_kubectl "ctx NAME writes what kubectl use-context writes" basic.yaml -- config use-context prod
[ -f "$W/state/ferry/previous-context" ] &&
    [ "$(cat "$W/state/ferry/previous-context")" = dev ] &&
    ok "ctx NAME remembers the previous context in \$XDG_STATE_HOME/ferry/previous-context" ||
    not_ok "ctx NAME remembers the previous context in \$XDG_STATE_HOME/ferry/previous-context" \
        "$(ls -la "$W/state/ferry" 2>&1; cat "$W/state/ferry/previous-context" 2>&1)"

fr ctx -
expect "ctx - returns to the previous context" 0 'Switched to context "dev".'
[ "$(current_context "$W/basic.yaml")" = dev ] && ok "ctx - writes current-context" ||
    not_ok "ctx - writes current-context" "$(cat "$W/basic.yaml")"
fr ctx -
expect "ctx - twice toggles back" 0 'Switched to context "prod".'

fresh basic.yaml
unset XDG_STATE_HOME
fr ctx dev-bob
[ "$RC" -eq 0 ] && [ "$(cat "$HOME/.local/state/ferry/previous-context" 2>/dev/null)" = dev ] &&
    ok "state file defaults to ~/.local/state/ferry/previous-context" ||
    not_ok "state file defaults to ~/.local/state/ferry/previous-context" "exit $RC" "$ERR" \
        "$(find "$HOME" -type f 2>&1)"
fr ctx -
expect "ctx - with the default state dir" 0 'Switched to context "dev".'
export XDG_STATE_HOME=$W/state

fresh basic.yaml
cp "$W/basic.yaml" "$TMP/before"
fr ctx nope
expect "ctx unknown name fails like kubectl" 1 "" 'error: no context exists with the name: "nope"'
cmp -s "$W/basic.yaml" "$TMP/before" && ok "ctx unknown name leaves the file alone" ||
    not_ok "ctx unknown name leaves the file alone" "$(diff "$TMP/before" "$W/basic.yaml")"

fresh basic.yaml
fr ctx -
[ "$RC" -eq 1 ] && [ -z "$OUT" ] && [ "${ERR#error: }" != "$ERR" ] &&
    ok "ctx - with no previous context is an error" ||
    not_ok "ctx - with no previous context is an error" "exit $RC" "stdout: $OUT" "stderr: $ERR"

# --kubeconfig is honoured as by kubectl, and the state is shared across files
fresh basic.yaml
kc=$W/basic.yaml
unset KUBECONFIG
fr ctx --kubeconfig "$kc" prod
expect "ctx --kubeconfig FILE NAME" 0 'Switched to context "prod".'
[ "$(current_context "$kc")" = prod ] && [ ! -e "$HOME/.kube/config" ] &&
    ok "ctx --kubeconfig writes that file only" || not_ok "ctx --kubeconfig writes that file only" \
        "$(current_context "$kc")" "$(ls -la "$HOME/.kube" 2>&1)"

# Merged KUBECONFIG: the switch is written where kubectl writes it.
fresh merge-nocurrent.yaml merge-a.yaml merge-b.yaml
fr ctx ctx-b
expect "ctx NAME with a KUBECONFIG list" 0 'Switched to context "ctx-b".'
same_as_kubectl "ctx NAME with a KUBECONFIG list writes the files kubectl writes" \
    merge-nocurrent.yaml merge-a.yaml merge-b.yaml -- config use-context ctx-b

# ~/.kube/config by default
fresh
mkdir -p "$HOME/.kube" && cp "$FIX/basic.yaml" "$HOME/.kube/config"
unset KUBECONFIG
fr ctx prod
[ "$RC" -eq 0 ] && [ "$(current_context "$HOME/.kube/config")" = prod ] &&
    ok "ctx uses ~/.kube/config by default" || not_ok "ctx uses ~/.kube/config by default" "exit $RC" "$ERR"

# --- ferry ns ---------------------------------------------------------------------
fresh basic.yaml
fr ns kube-system
expect "ns NAME sets the current context's namespace" 0 'Context "dev" modified.'
same_as_kubectl "ns NAME writes what kubectl set-context --current --namespace writes" basic.yaml -- \
    config set-context --current --namespace=kube-system
fr ns default
expect "ns NAME again" 0 'Context "dev" modified.'
fr ns -
expect "ns - returns to the previous namespace" 0 'Context "dev" modified.'
grep -q '^    namespace: kube-system$' "$W/basic.yaml" &&
    ok "ns - wrote the previous namespace back" ||
    not_ok "ns - wrote the previous namespace back" "$(cat "$W/basic.yaml")"

fresh basic.yaml
fr ctx prod
fr ns team-a
expect "ns NAME on a context without a namespace" 0 'Context "prod" modified.'
same_as_kubectl "ctx + ns match kubectl use-context + set-context --current" basic.yaml -- \
    config use-context prod -- config set-context --current --namespace=team-a
fr ns -
[ "$RC" -eq 0 ] && ! grep -A3 '^- context:' "$W/basic.yaml" | grep -q 'namespace: team-a' &&
    ok "ns - back to no namespace" || not_ok "ns - back to no namespace" "exit $RC" "$ERR" "$(cat "$W/basic.yaml")"

fresh merge-nocurrent.yaml
fr ns x
[ "$RC" -eq 1 ] && [ "${ERR#error: }" != "$ERR" ] && ok "ns with no current context is an error" ||
    not_ok "ns with no current context is an error" "exit $RC" "stdout: $OUT" "stderr: $ERR"

fresh merge-a.yaml merge-b.yaml
fr ctx ctx-b
fr ns from-ferry
expect "ns NAME with a KUBECONFIG list" 0 'Context "ctx-b" modified.'
same_as_kubectl "ctx + ns on a KUBECONFIG list write the files kubectl writes" \
    merge-a.yaml merge-b.yaml -- config use-context ctx-b -- \
    config set-context --current --namespace=from-ferry

# --- ferry ns (no argument): the cluster's namespaces --------------------------------
# Listed from the cluster (tests/support/fake-apiserver), sorted, the current
# one marked like ctx marks the current context.
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
fresh
( exec "$PY" "$HERE/../support/fake-apiserver" --write-kubeconfig "$W/fake.kc" \
    >"$TMP/fake.out" 2>"$TMP/fake.err" ) &
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null; rm -rf "$TMP"' EXIT
for i in $(seq 200); do grep -q '^ready ' "$TMP/fake.out" 2>/dev/null && break; sleep 0.05; done
export KUBECONFIG=$W/fake.kc
fr ns
expect "ns lists the cluster's namespaces, the current one marked" 0 \
    "$(printf '* default\n  kube-node-lease\n  kube-public\n  kube-system')"
fr ns kube-system
fr ns
expect "ns after ns NAME marks the new namespace" 0 \
    "$(printf '  default\n  kube-node-lease\n  kube-public\n* kube-system')"
fr ns not-in-cluster
fr ns
expect "ns shows a current namespace the cluster does not have, marked, in its place" 0 \
    "$(printf '  default\n  kube-node-lease\n  kube-public\n  kube-system\n* not-in-cluster')"
kill "$fake_pid" 2>/dev/null; wait "$fake_pid" 2>/dev/null
fr ns
[ "$RC" = 1 ] && [ "$OUT" = "* not-in-cluster" ] &&
    printf '%s' "$ERR" | grep -q '^warning: showing the current namespace only; cannot list the cluster.s: The connection to the server 127.0.0.1:[0-9]* was refused' &&
    ok "ns with the cluster unreachable: the current namespace, a warning, exit 1" ||
    not_ok "ns with the cluster unreachable: the current namespace, a warning, exit 1" \
        "exit $RC" "stdout: $OUT" "stderr: $ERR"

echo "1..$n"
[ "$failed" -eq 0 ]
