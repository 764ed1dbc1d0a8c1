#!/usr/bin/env bash
# TAP tests for `ferry backup-location create|get|set|delete`: the locations
# kept in ferry's config file ($FERRY_CONFIG, here in a temporary directory).
# Nothing is contacted: these commands work offline.
#
# Environment: FERRY (the binary).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FERRY=${FERRY:-$HERE/../../build/ferry}

n=0 failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bsl.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {  # name, details...
    n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift
    local l
    for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}

# Runs ferry; sets OUT, ERR, RC.
fr() {
    OUT=$("$FERRY" "$@" 2>"$TMP/err" </dev/null); RC=$?
    ERR=$(cat "$TMP/err")
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

if [ ! -x "$FERRY" ]; then
    echo "1..0 # SKIP ferry binary not found ($FERRY)"
    exit 0
fi

W=$TMP/w
mkdir -p "$W/home"
export HOME=$W/home FERRY_CONFIG=$W/conf/config.yaml
cd "$W" || exit 1
printf '[default]\naws_access_key_id=AKID\naws_secret_access_key=s3cr3t\n' >creds

# --- nothing configured -----------------------------------------------------------
fr backup-location get
expect "get with no config shows the built-in local location" 0 \
    "$(printf 'NAME      PROVIDER   BUCKET/PREFIX                  DEFAULT\ndefault   local      ~/.local/share/ferry/backups   true (built-in)')"
[ ! -e "$FERRY_CONFIG" ] && ok "get writes no file" || not_ok "get writes no file"

# --- create -----------------------------------------------------------------------
fr backup-location create prod --provider s3 --bucket velero --prefix /cluster-a/ \
    --config region=eu-west-1,s3Url=http://127.0.0.1:9000 --config s3ForcePathStyle=true \
    --credential creds --default
expect "create s3" 0 'Backup storage location "prod" configured successfully.'
mode=$(stat -c %a "$FERRY_CONFIG" 2>/dev/null)
[ "$mode" = 600 ] && ok "a new config file has mode 0600" || not_ok "a new config file has mode 0600" "mode $mode"
want="apiVersion: ferry.dev/v1
backupStorageLocations:
- bucket: velero
  config:
    region: eu-west-1
    s3ForcePathStyle: \"true\"
    s3Url: http://127.0.0.1:9000
  credential: $W/creds
  default: true
  name: prod
  prefix: cluster-a
  provider: s3
kind: Config"
[ "$(cat "$FERRY_CONFIG")" = "$want" ] && ok "the file holds the location, prefix trimmed, credential absolute" ||
    not_ok "the file holds the location, prefix trimmed, credential absolute" \
        "$(diff <(printf '%s\n' "$want") "$FERRY_CONFIG")"
grep -q s3cr3t "$FERRY_CONFIG" && not_ok "the secret is not copied into the config" ||
    ok "the secret is not copied into the config"

fr backup-location create local --provider local --bucket "$W/backups"
expect "create local" 0 'Backup storage location "local" configured successfully.'
fr backup-location create gcs1 --provider gcs --bucket gb
expect "create gcs" 0 'Backup storage location "gcs1" configured successfully.'
[ -z "$(ls -A "$W/conf" | grep -v '^config.yaml$')" ] && ok "no temporary file is left beside the config" ||
    not_ok "no temporary file is left beside the config" "$(ls -A "$W/conf")"
[ ! -e "$W/backups" ] && ok "create contacts nothing (the local directory is made on first write)" ||
    not_ok "create contacts nothing (the local directory is made on first write)"

# --- get --------------------------------------------------------------------------
fr backup-location get
# the column widths depend on $W: compare with runs of blanks squeezed
OUT=$(printf '%s\n' "$OUT" | tr -s ' ' | sed 's/ *$//')
expect "get lists every location" 0 "$(printf 'NAME PROVIDER BUCKET/PREFIX DEFAULT\nprod s3 velero/cluster-a true\nlocal local %s/backups\ngcs1 gcs gb' "$W")" ""
fr backup-location get prod
expect "get NAME" 0 "$(printf 'NAME   PROVIDER   BUCKET/PREFIX      DEFAULT\nprod   s3         velero/cluster-a   true')"
fr backup-location get prod -o json
expect "get NAME -o json" 0 "{
    \"name\": \"prod\",
    \"provider\": \"s3\",
    \"bucket\": \"velero\",
    \"prefix\": \"cluster-a\",
    \"config\": {
        \"region\": \"eu-west-1\",
        \"s3ForcePathStyle\": \"true\",
        \"s3Url\": \"http://127.0.0.1:9000\"
    },
    \"credential\": \"$W/creds\",
    \"default\": true
}"
fr backup-location get gcs1 -o yaml
expect "get NAME -o yaml" 0 "bucket: gb
name: gcs1
provider: gcs"
fr backup-location get -o jsonpath='{.backupStorageLocations[*].name}'
expect "get -o jsonpath over every location" 0 "prod local gcs1"

# --- errors -----------------------------------------------------------------------
cp "$FERRY_CONFIG" "$TMP/before"
fr backup-location create prod --provider s3 --bucket x
expect "create a duplicate name fails" 1 "" 'error: backup storage location "prod" already exists'
fr backup-location create x --provider ftp --bucket b
expect "create with an unknown provider fails" 1 "" \
    'error: backup storage location "x": unknown provider "ftp" (local, s3 or gcs)'
fr backup-location create x --provider s3
expect "create without a bucket fails" 1 "" 'error: backup storage location "x": a bucket is required'
fr backup-location create x --bucket b
expect "create without a provider fails" 1 "" \
    'error: backup storage location "x": a provider is required (local, s3 or gcs)'
fr backup-location create Bad_Name --provider s3 --bucket b
expect "create with an invalid name fails" 1 "" \
    "error: invalid backup storage location name \"Bad_Name\": use lower-case letters, digits, '-' and '.' (at most 63)"
fr backup-location create x --provider s3 --bucket b --config region
expect "create with a --config item without '=' fails" 1 "" \
    'error: invalid --config item "region": want key=value'
fr backup-location create x --provider s3 --bucket b --credential nope
expect "create with a missing credential file fails" 1 "" 'error: credential file nope: cannot be read'
fr backup-location create
[ "$RC" = 1 ] && printf '%s' "$ERR" | grep -q 'requires exactly one argument' &&
    ok "create without NAME fails" || not_ok "create without NAME fails" "$RC" "$ERR"
fr backup-location get nope
expect "get an unknown name fails, naming the known ones" 1 "" \
    'error: backup storage location "nope" not found (locations: "prod", "local", "gcs1")'
fr backup-location set nope --default
expect "set an unknown name fails" 1 "" \
    'error: backup storage location "nope" not found (locations: "prod", "local", "gcs1")'
fr backup-location delete local
expect "delete without --confirm and no terminal refuses" 1 "" \
    'error: not deleting backup storage location "local" without confirmation: pass --confirm'
cmp -s "$TMP/before" "$FERRY_CONFIG" && ok "failed commands leave the file unchanged" ||
    not_ok "failed commands leave the file unchanged" "$(diff "$TMP/before" "$FERRY_CONFIG")"

# --- set: default switching, config changes -----------------------------------------
fr backup-location set local --default
expect "set --default" 0 'Backup storage location "local" configured successfully.'
defaults=$(grep -c 'default: true' "$FERRY_CONFIG")
fr backup-location get local -o jsonpath='{.default}'
[ "$defaults" = 1 ] && [ "$OUT" = true ] && ok "only the new default is marked" ||
    not_ok "only the new default is marked" "$(cat "$FERRY_CONFIG")"
fr backup-location set local --default=false
fr backup-location get -o jsonpath='{.backupStorageLocations[*].default}'
expect "set --default=false leaves no default" 0 ""
fr backup-location set prod --config s3Url=,region=us-west-2
fr backup-location get prod -o jsonpath='{.config}'
expect "set --config changes a key and removes an emptied one" 0 \
    '{"region":"us-west-2","s3ForcePathStyle":"true"}'
chmod 640 "$FERRY_CONFIG"
fr backup-location set gcs1 --credential creds
mode=$(stat -c %a "$FERRY_CONFIG")
[ "$RC" = 0 ] && [ "$mode" = 640 ] && ok "a rewrite keeps the file's mode" ||
    not_ok "a rewrite keeps the file's mode" "rc $RC mode $mode $ERR"

# --- other settings survive -----------------------------------------------------------
printf 'someSetting: {keep: me}\n' >>"$FERRY_CONFIG"
fr backup-location delete gcs1 --confirm
expect "delete --confirm" 0 'Backup storage location "gcs1" deleted successfully.'
grep -q '^someSetting:' "$FERRY_CONFIG" && grep -q '^  keep: me$' "$FERRY_CONFIG" &&
    ok "unknown top-level settings are kept on rewrite" ||
    not_ok "unknown top-level settings are kept on rewrite" "$(cat "$FERRY_CONFIG")"
fr backup-location get gcs1
[ "$RC" = 1 ] && ok "a deleted location is gone" || not_ok "a deleted location is gone" "$OUT"

# --- a broken file ------------------------------------------------------------------
printf 'backupStorageLocations:\n- name: a\n  bucket: [\n' >"$TMP/bad.yaml"
FERRY_CONFIG=$TMP/bad.yaml fr backup-location get
[ "$RC" = 1 ] && printf '%s' "$ERR" | grep -q "^error: $TMP/bad.yaml: yaml: line [0-9]" &&
    ok "a parse error names the file and the line" ||
    not_ok "a parse error names the file and the line" "rc $RC" "$ERR"

echo "1..$n"
[ "$failed" -eq 0 ]
