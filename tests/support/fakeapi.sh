# Sourced by the integration tests that run tests/support/fake-apiserver:
# a work directory, TAP counters, and starting/stopping servers. Before
# sourcing, set TMP_PREFIX (the work directory's name); afterwards TMP,
# PIDS, PY, SERVER, n and failed exist and everything started is stopped
# and removed on exit.
#   ok NAME / not_ok NAME DETAILS...       TAP lines (details as '#' lines)
#   check NAME COMMAND...                  ok when COMMAND succeeds, else not ok
#                                          with the test's last call: $CHECK_TOOL
#                                          (default ferry) $LAST, RC, OUT, ERR
#   out_is TEXT / err_is TEXT              the last call succeeded with stdout
#                                          TEXT / failed with stderr TEXT
#   err_has TEXT                           the last call failed, TEXT in ERR
#   launch NAME ARGS...                    a server in the background; its
#                                          files are $TMP/NAME.{kc,out,err}
#   await NAME                             waits (15 s) for its "ready <url>";
#                                          sets URL and KCFG; fails if none
#   start_server NAME ARGS...              launch + await
#   stop_server NAME                       SIGTERM; its exit status (124 when
#                                          it did not stop within 10 s)

SERVER=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/fake-apiserver
# The interpreter itself, not a version-manager shim in front of it (pyenv's
# costs a quarter of a second a call).
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || PY=python3
PY=${PY:-python3}

n=0 failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/${TMP_PREFIX:-ferry-fakeapi}.XXXXXX")
PIDS=()

cleanup() {
    local p i alive
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for i in $(seq 20); do
        alive=0
        for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift
    local l
    for l in "$@"; do printf '%s\n' "$l" | head -n 40 | sed 's/^/#   /'; done
}

check() {
    local name=$1; shift
    if "$@"; then ok "$name"; else
        not_ok "$name" "check: $*" "${CHECK_TOOL:-ferry} $LAST (exit $RC)" "stdout: $OUT" \
            "stderr: $ERR"
    fi
}
out_is() { [ "$RC" = 0 ] && [ "$OUT" = "$1" ]; }
err_is() { [ "$RC" != 0 ] && [ "$ERR" = "$1" ]; }
err_has() { [ "$RC" != 0 ] && printf '%s\n' "$ERR" | grep -qF -- "$1"; }

launch() {
    local name=$1; shift
    rm -f "$TMP/$name.out"
    local run=("$PY" "$SERVER")
    [ "$name" = main ] && run=("$SERVER") # once through its #! line, as users run it
    ( exec "${run[@]}" --write-kubeconfig "$TMP/$name.kc" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" ) &
    PIDS+=("$!")
    eval "${name}_PID=$!"
}

await() {
    local name=$1 pid i
    eval "pid=\$${name}_PID"
    for i in $(seq 300); do
        grep -q '^ready ' "$TMP/$name.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    URL=$(sed -n 's/^ready //p' "$TMP/$name.out")
    KCFG=$TMP/$name.kc
    [ -n "$URL" ]
}

start_server() {
    launch "$@"
    await "$1"
}

stop_server() {
    local name=$1 pid i
    eval "pid=\$${name}_PID"
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then return 124; fi
    wait "$pid"
}
