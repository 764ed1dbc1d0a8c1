#!/usr/bin/env bash
# A change that cannot be written must leave the kubeconfig as it was: no
# half-written file, no temporary file, no stale lock, and an error that says
# what failed. Cases kubectl can meet too are compared with its message.
set -u
FERRY=${FERRY:-build/ferry}
FIXTURE=$PWD/tests/integration/fixtures/many-contexts.yaml
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-wf.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() {  # name, condition-command..., diagnostics via $why
    local name=$1; shift
    if "$@"; then ok "$name"; else fail "$name" "${why:-}"; fi
}
# Only the kubeconfig itself is left in <dir>: no temp file, no lock.
only_kc() { [ "$(cd "$1" && ls -A)" = kc ]; }

echo "1..9"

# 1-3: the file system refuses the bytes halfway (file size limit; root
# is not exempt from it).
d=$work/fsize; mkdir "$d"; cp "$FIXTURE" "$d/kc"
before=$(sha256sum <"$d/kc")
err=$( (trap '' XFSZ; ulimit -f 8; exec "$FERRY" config set-cluster new \
        --server=https://127.0.0.1:6443 --kubeconfig "$d/kc") 2>&1 >/dev/null)
rc=$?
why="exit $rc, stderr: $err"
check "a write that fails halfway exits 1 with the reason" \
    [ "$rc" -eq 1 -a "$err" = "error: write $d/kc: file too large" ]
why="sha256 now $(sha256sum <"$d/kc")"
check "the kubeconfig keeps its old bytes" [ "$(sha256sum <"$d/kc")" = "$before" ]
why="left: $(ls -A "$d")"
check "no temporary file or lock is left behind" only_kc "$d"

# 4: a path through a regular file, as kubectl words it.
echo x >"$work/plain"
err=$("$FERRY" config set-cluster a --server=https://127.0.0.1 --kubeconfig "$work/plain/kc" 2>&1)
want="error: error loading config file \"$work/plain/kc\": open $work/plain/kc: not a directory"
why="got: $err"
check "a path through a file is refused with kubectl's message" [ "$err" = "$want" ]

# 5-6: a directory given as the kubeconfig.
mkdir "$work/dir"
err=$("$FERRY" config view --kubeconfig "$work/dir" 2>&1)
rc=$?
why="exit $rc: $err"
check "a directory as kubeconfig is an error naming it" \
    [ "$rc" -eq 1 -a "$err" = "error: error loading config file \"$work/dir\": read $work/dir: is a directory" ]
err=$("$FERRY" config use-context x --kubeconfig "$work/dir" 2>&1)
why="left: $(ls -A "$work/dir")"
check "and nothing is written into it" [ -z "$(ls -A "$work/dir")" ]

# 7-9: permissions, checked as an unprivileged user (root passes them).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
elif [ "$(id -u)" -ne 0 ]; then
    as_nobody() { "$@"; }
else
    as_nobody=
fi
if declare -F as_nobody >/dev/null; then
    d=$work/ro; mkdir "$d"; cp "$FIXTURE" "$d/kc"; chmod 0644 "$d/kc"; chmod 0555 "$d"
    chmod 0755 "$work"
    before=$(sha256sum <"$d/kc")
    err=$(as_nobody "$FERRY" config use-context dev-us-west-2 --kubeconfig "$d/kc" 2>&1)
    rc=$?
    why="exit $rc: $err"
    check "a directory the user cannot write: kubectl's lock error" \
        [ "$rc" -eq 1 -a "$err" = "error: open $d/kc.lock: permission denied" ]
    why="sha256 now $(sha256sum <"$d/kc")"
    check "and the file is unchanged" [ "$(sha256sum <"$d/kc")" = "$before" ]
    chmod 0755 "$d"; chmod 0600 "$d/kc"
    err=$(as_nobody "$FERRY" config view --kubeconfig "$d/kc" 2>&1)
    why="got: $err"
    check "an unreadable kubeconfig names the file and the reason" \
        [ "$err" = "error: error loading config file \"$d/kc\": open $d/kc: permission denied" ]
else
    for t in 7 8 9; do skip "permission case $t" "running as root without setpriv"; done
fi

exit $failed
