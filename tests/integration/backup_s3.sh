#!/usr/bin/env bash
# TAP tests for `ferry backup` into S3 (and GCS's S3-compatible code path)
# against moto_server on 127.0.0.1: a backup from one fake cluster listed
# from another at once, a tarball larger than one multipart part (uploaded
# in parts, read back byte for byte), logs, describe, download and delete.
# Skipped when moto_server is not installed.
#
# Environment: FERRY (the binary). Only 127.0.0.1 is contacted.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FERRY=${FERRY:-$HERE/../../build/ferry}
TMP_PREFIX=ferry-backup-s3
# shellcheck source=../support/fakeapi.sh
. "$HERE/../support/fakeapi.sh"

if [ ! -x "$FERRY" ]; then
    echo "1..0 # SKIP ferry binary not found ($FERRY)"
    exit 0
fi
MOTO=$(command -v moto_server) || { echo "1..0 # SKIP moto_server not installed"; exit 0; }

export HOME=$TMP/home FERRY_CONFIG=$TMP/ferry.yaml
mkdir -p "$HOME"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
cat >"$TMP/credentials" <<'EOF'
[default]
aws_access_key_id = AKIAFERRYTEST
aws_secret_access_key = ferry-test-secret
EOF

fr() {
    LAST="$*"
    OUT=$(KUBECONFIG=$KCFG timeout 120 "$FERRY" "$@" 2>"$TMP/fr.err" </dev/null)
    RC=$?
    ERR=$(cat "$TMP/fr.err")
}

# moto on a free port; its buckets are made with a plain PUT.
PORT=$("$PY" -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$MOTO" -H 127.0.0.1 -p "$PORT" >"$TMP/moto.log" 2>&1 &
PIDS+=("$!")
S3=http://127.0.0.1:$PORT
for _ in $(seq 100); do curl -s -o /dev/null "$S3/" && break; sleep 0.1; done
curl -s -f -X PUT "$S3/ferry-backups" >/dev/null && curl -s -f -X PUT "$S3/ferry-gcs" >/dev/null ||
    { echo "Bail out! moto_server did not start: $(tail -5 "$TMP/moto.log")"; exit 1; }

# A cluster with the realistic fixtures and twelve big ConfigMaps of random
# (incompressible) data: a tarball of about 6.5 MiB, more than one 5 MiB part.
mkdir -p "$TMP/load"
cp "$HERE"/fixtures/backup/*.yaml "$TMP/load/"
"$PY" -S -c '
import base64, json, os, sys
items = [{"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "blob-%02d" % i, "namespace": "tools"},
          "data": {"blob": base64.b64encode(os.urandom(540000)).decode()}} for i in range(12)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"))
' "$TMP/load/blobs.json"
launch a --load "$TMP/load"
launch b --context-name second
if ! await a || ! await b; then
    echo "Bail out! the fake API servers did not start: $(cat "$TMP/a.err" "$TMP/b.err")"
    exit 1
fi
await a; A_KC=$KCFG
await b; B_KC=$KCFG
KCFG=$A_KC

"$FERRY" backup-location create aws --provider s3 --bucket ferry-backups --prefix team/prod \
    --config "region=us-east-1,s3Url=$S3,s3ForcePathStyle=true,multipartPartSize=5242880" \
    --credential "$TMP/credentials" --default >/dev/null 2>"$TMP/loc.err" ||
    { echo "Bail out! backup-location create failed: $(cat "$TMP/loc.err")"; exit 1; }
"$FERRY" backup-location create gcs --provider gcs --bucket ferry-gcs \
    --config "s3Url=$S3" --credential "$TMP/credentials" >/dev/null 2>>"$TMP/loc.err"

fr backup create big --wait
check "create into s3: Completed" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -q "^Backup completed with status: Completed\."'
ETAG=$(curl -s -I "$S3/ferry-backups/team/prod/backups/big/big.tar.gz" | tr -d '\r' | sed -n 's/^[Ee][Tt]ag: //p')
check "the tarball went up in parts (a multipart ETag)" eval 'printf "%s" "$ETAG" | grep -q -- "-2\"$"'
curl -s -o "$TMP/direct.tar.gz" "$S3/ferry-backups/team/prod/backups/big/big.tar.gz"
check "the object is a tarball the real tar reads, with every object" \
    eval 'tar -tzf "$TMP/direct.tar.gz" >"$TMP/list.txt" && grep -qx "resources/configmaps/namespaces/tools/blob-11.json" "$TMP/list.txt" && grep -qx "resources/persistentvolumes/cluster/pv-web-data.json" "$TMP/list.txt" && [ "$(grep -c "^resources/" "$TMP/list.txt")" = 43 ]'
check "the record and the other files are under the location's prefix" \
    eval 'curl -s "$S3/ferry-backups?list-type=2&prefix=team/prod/backups/big/" | grep -o "<Key>[^<]*</Key>" | tr "\n" " " | grep -qx "<Key>team/prod/backups/big/big-logs.gz</Key> <Key>team/prod/backups/big/big-resource-list.json.gz</Key> <Key>team/prod/backups/big/big.tar.gz</Key> <Key>team/prod/backups/big/velero-backup.json</Key> "'

KCFG=$B_KC fr backup get
check "get from a second cluster lists it at once" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | sed -n 2p | grep -q "^big    Completed   0        0   .*   aws                <none>$"'
fr backup describe big --details
check "describe --details reads the resource list from s3" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -qx "    - tools/blob-07" && printf "%s\n" "$OUT" | grep -qx "Items backed up:              43"'
fr backup logs big
check "logs from s3" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -q "msg=\"Backed up 16 items\" backup=velero/big resource=configmaps$"'
cd "$TMP" || exit 1
fr backup download big
check "download: the object byte for byte" eval '[ "$RC" = 0 ] && cmp -s "$TMP/big-data.tar.gz" "$TMP/direct.tar.gz"'
fr backup create big
check "an existing name in s3 is refused" eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "backup \"big\" already exists in location \"aws\""'

fr backup create small --include-namespaces web --storage-location gcs
check "gcs (S3-compatible XML API, path style): Completed" eval '[ "$RC" = 0 ]'
fr backup get --storage-location gcs
check "… listed from that location only" eval '[ "$RC" = 0 ] && [ "$(printf "%s\n" "$OUT" | grep -c .)" = 2 ] && printf "%s\n" "$OUT" | grep -q "^small   Completed .*   gcs   "'

fr backup delete big --confirm
check "delete removes every object of the backup from s3" \
    eval '[ "$RC" = 0 ] && ! curl -s "$S3/ferry-backups?list-type=2&prefix=team/prod/backups/big/" | grep -q "<Key>"'
fr backup get
check "… get lists nothing" eval '[ "$RC" = 0 ] && [ -z "$OUT" ]'

echo "1..$n"
[ "$failed" = 0 ]
