#!/usr/bin/env bash
# TAP tests for `ferry restore`: the migration of issue 6. Two fake API
# servers, "us" (tests/integration/fixtures/backup plus controller-owned
# ReplicaSets and Pods, NodePort and fixed-IP Services, a ServiceAccount
# with a RoleBinding, Endpoints, an Event, a controller Lease and the API
# server's default/kubernetes Service and Endpoints, a kube-root-ca.crt)
# and "eu"
# (empty), in one kubeconfig whose context the real kubectl switches. A
# backup made with `ferry backup create` on "us" into an s3 location on
# moto_server (a local directory when moto_server is missing) is listed
# from "eu" and restored there with zone and region mappings; kubectl then
# checks every object as cleaned and mapped. Then: a second restore with
# the none policy (changes nothing, warns), update (brings a changed
# object back), namespace mappings, dry runs (table and -o yaml, no record
# written), progress on a terminal, --resource-priorities (the order of the
# creates in the server's request log), --restore-volumes with storage-class
# mappings, a server that fails some creates (PartiallyFailed, the rest
# restored, errors listed), a missing backup, a backup without its record,
# a corrupt tarball (nothing created), and get/describe/logs (no Secret
# data).
#
# Environment: FERRY (the binary), KUBECTL (the real kubectl; skipped
# without it). Only 127.0.0.1 is contacted.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FERRY=${FERRY:-$HERE/../../build/ferry}
TMP_PREFIX=ferry-restore
# shellcheck source=../support/fakeapi.sh
. "$HERE/../support/fakeapi.sh"

if [ ! -x "$FERRY" ]; then
    echo "1..0 # SKIP ferry binary not found ($FERRY)"
    exit 0
fi
if [ -z "${KUBECTL:-}" ] || [ ! -x "$KUBECTL" ]; then
    echo "1..0 # SKIP KUBECTL (the real kubectl) not set"
    exit 0
fi

export HOME=$TMP/home FERRY_CONFIG=$TMP/ferry.yaml KUBECONFIG=$TMP/kubeconfig
mkdir -p "$HOME"
SECRETS=(cGFzc3dvcmQ9czNjcjN0LVBhNTV3MHJkLWRi s3cr3t-Pa55w0rd-db dG9rLTlmOGU3ZDZjNWI0YQ== tok-9f8e7d6c5b4a)
MAPS=(--zone-mappings us-central1-a=europe-west1-b --region-mappings us-central1=europe-west1)

fr() { # ferry against the current context. Sets OUT, ERR, RC, LAST.
    LAST="$*"
    OUT=$(timeout 60 "$FERRY" "$@" 2>"$TMP/fr.err" </dev/null)
    RC=$?
    ERR=$(cat "$TMP/fr.err")
}
kc() { "$KUBECTL" --request-timeout=20s "$@"; }
has() { printf '%s\n' "$OUT" | grep -qF -- "$1"; }
# jq-like checks with Python: kj 'EXPR' KUBECTL-ARGS... (d = the JSON object)
kj() {
    local expr=$1; shift
    kc get "$@" -o json 2>/dev/null |
        "$PY" -S -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if eval(sys.argv[1]) else 1)' "$expr"
}
fake() { # fake BASE METHOD PATH [JSON]: the control endpoints of a server
    "$PY" -S - "$@" 2>/dev/null <<'PYEOF'
import sys, urllib.request
base, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(base + path, data=body, method=method,
                             headers={"Content-Type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PYEOF
}
posts() { # the number of create requests a server got
    fake "$1" GET /_fake/requests |
        "$PY" -S -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin)["items"] if r["method"] == "POST"))'
}

start_server us --context-name us --load "$HERE/fixtures/backup" || { echo "1..0 # SKIP no fake server"; exit 0; }
US=$URL
start_server eu --context-name eu
EU=$URL
start_server flaky --context-name flaky
FLAKY=$URL
KUBECONFIG=$TMP/us.kc:$TMP/eu.kc:$TMP/flaky.kc "$KUBECTL" config view --flatten >"$TMP/kubeconfig"
kc config use-context us >/dev/null

###########################################################################
# "us": what the fixtures lack, made as a cluster's controllers would.
DEPLOY_UID=$(kc get deploy web -n web -o jsonpath='{.metadata.uid}')
kc create -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d9c7b
  namespace: web
  labels: {app: web}
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: "$DEPLOY_UID", controller: true}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "nginx:1.27"}]}
EOF
RS_UID=$(kc get rs web-5d9c7b -n web -o jsonpath='{.metadata.uid}')
kc create -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: web-5d9c7b-x2k4p
  namespace: web
  labels: {app: web}
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: web-5d9c7b, uid: "$RS_UID", controller: true}
spec:
  nodeName: gke-us-node-1
  containers: [{name: web, image: "nginx:1.27"}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: web}
spec:
  nodeName: gke-us-node-1
  containers: [{name: sh, image: "busybox:1.36"}]
---
apiVersion: v1
kind: Service
metadata: {name: web-np, namespace: web}
spec:
  type: NodePort
  clusterIP: 10.96.200.5
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 31999}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: web}
subsets: [{addresses: [{ip: 10.8.0.5}], ports: [{name: http, port: 8080}]}]
---
apiVersion: v1
kind: Event
metadata: {name: web.17a2b, namespace: web}
involvedObject: {kind: Deployment, name: web, namespace: web}
reason: ScalingReplicaSet
message: Scaled up replica set web-5d9c7b to 2
type: Normal
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: web-controller, namespace: web}
spec: {holderIdentity: web-controller-7f9, leaseDurationSeconds: 15}
---
apiVersion: v1
kind: Service
metadata: {name: kubernetes, namespace: default}
spec:
  clusterIP: 10.96.0.1
  ports: [{name: https, port: 443, targetPort: 6443}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: kubernetes, namespace: default}
subsets: [{addresses: [{ip: 10.128.0.2}], ports: [{name: https, port: 6443}]}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: kube-root-ca.crt, namespace: web}
data: {ca.crt: "the us cluster's CA"}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: web-sa, namespace: web}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: config-reader, namespace: web}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: web-sa-reads, namespace: web}
subjects: [{kind: ServiceAccount, name: web-sa, namespace: web}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: config-reader}
EOF
# A node port the user chose (kubectl apply records it) survives a restore.
kc apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Service
metadata: {name: web-fixed, namespace: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: 32001}]
EOF

###########################################################################
# The storage location: s3 on moto_server, else a local directory.
if command -v moto_server >/dev/null 2>&1 && "$PY" -c 'import boto3' 2>/dev/null; then
    MOTO_PORT=$("$PY" -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    (exec moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$TMP/moto.log" 2>&1) &
    PIDS+=("$!")
    for _ in $(seq 150); do
        curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$MOTO_PORT/" && break
        sleep 0.1
    done
    curl -s --max-time 10 -X PUT "http://127.0.0.1:$MOTO_PORT/backups" >/dev/null
    export AWS_ACCESS_KEY_ID=AKIAFERRYTEST AWS_SECRET_ACCESS_KEY=ferry-test-secret
    "$FERRY" backup-location create default --provider s3 --bucket backups --prefix ferry \
        --config "region=us-east-1,s3Url=http://127.0.0.1:$MOTO_PORT,s3ForcePathStyle=true" \
        --default >/dev/null
    # s3obj put|get KEY [FILE]: the bucket as another tool sees it (boto3,
    # which moto_server comes with).
    s3obj() {
        "$PY" - "$MOTO_PORT" "$@" <<'PYEOF'
import sys, boto3
port, op, key = sys.argv[1:4]
s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:%s" % port, region_name="us-east-1")
if op == "put":
    s3.put_object(Bucket="backups", Key="ferry/" + key, Body=open(sys.argv[4], "rb").read())
else:
    sys.stdout.buffer.write(s3.get_object(Bucket="backups", Key="ferry/" + key)["Body"].read())
PYEOF
    }
    put_object() { s3obj put "$1" "$2"; }
    get_object() { s3obj get "$1"; }
    WHERE="s3 on moto_server"
else
    "$FERRY" backup-location create default --provider local --bucket "$TMP/store" --default >/dev/null
    put_object() { mkdir -p "$(dirname "$TMP/store/$1")" && cp "$2" "$TMP/store/$1"; }
    get_object() { cat "$TMP/store/$1"; }
    WHERE="a local directory (no moto_server)"
fi

###########################################################################
# 1-2. Back up on "us", list from "eu".
fr backup create us-cluster --exclude-namespaces kube-system,kube-public --wait
check "backup create us-cluster on \"us\" into $WHERE" eval '[ "$RC" = 0 ] && has "Completed"'
# A zonal StorageClass, in a backup of its own (us-cluster, with namespaces
# excluded, takes only the cluster objects they use).
kc create -f - >/dev/null <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: zonal}
provisioner: pd.csi.storage.gke.io
parameters: {type: pd-ssd, zone: us-central1-a}
allowedTopologies:
- matchLabelExpressions:
  - key: topology.gke.io/zone
    values: [us-central1-a, us-central1-c]
EOF
fr backup create classes --include-resources storageclasses
kc config use-context eu >/dev/null
fr backup get
check "backup get against \"eu\" lists us-cluster as Completed at once" \
    eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -q "^us-cluster *Completed "'

# 3. Dry run first: a table, nothing created, no record.
before=$(posts "$EU")
fr restore create dry1 --from-backup us-cluster "${MAPS[@]}" --dry-run
check "dry run: one row per object, KIND NAMESPACE NAME ACTION" \
    eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | head -1 | grep -q "^KIND *NAMESPACE *NAME *ACTION$" && printf "%s\n" "$OUT" | grep -q "^Deployment *web *web *create$" && printf "%s\n" "$OUT" | grep -q "^ReplicaSet *web *web-5d9c7b *skip (owned by a controller" && printf "%s\n" "$OUT" | grep -q "^Event *web *web.17a2b *skip (never restored)$" && printf "%s\n" "$OUT" | grep -q "^PersistentVolume *<none> *pv-postgres *skip (reclaim policy Delete)$"'
fr restore create dry2 --from-backup us-cluster "${MAPS[@]}" --dry-run -o yaml --include-resources pv
check "dry run -o yaml: the PersistentVolumes as they would be sent, mapped and cleaned" \
    eval '[ "$RC" = 0 ] && has "pdName: web-data-disk" && has "- europe-west1-b" && ! has "us-central1" && ! has "uid:" && ! has "status:" && ! has "pv-postgres"'
fr restore get
check "a dry run touches nothing and writes no record" \
    eval '[ "$(posts "$EU")" = "$before" ] && [ "$RC" = 0 ] && [ -z "$OUT" ]'

# 3. The restore.
fr restore create --from-backup us-cluster "${MAPS[@]}" --wait
NAME=$(printf '%s\n' "$OUT" | sed -n 's/^Restore request "\(.*\)" submitted successfully.$/\1/p')
check "restore create --wait on \"eu\": Completed, named <backup>-<timestamp>, the PV warning shown" \
    eval '[ "$RC" = 0 ] && has "Restore completed with status: Completed." && [[ "$NAME" =~ ^us-cluster-[0-9]{14}$ ]] && has "persistent volume pv-postgres not restored"'

# 4. kubectl on "eu".
check "every object is there: Deployment, StatefulSet, Services, Ingress, ConfigMaps, Secrets, SA, RBAC, CRD, Widgets, PVCs, the PV" \
    eval 'kc get deploy/web svc/web svc/web-np svc/web-fixed ingress/web cm/web-config secret/web-tls pvc/web-data sa/web-sa role/config-reader rolebinding/web-sa-reads widget/banner pod/debug -n web >/dev/null && kc get statefulset/postgres svc/postgres secret/db-credentials cm/postgres-config pvc/data-postgres-0 -n db >/dev/null && kc get crd/widgets.example.com pv/pv-web-data >/dev/null && kc get widget/gadget cm/tools-settings job/migrate -n tools >/dev/null'
check "Secret data restored as it was" \
    kj 'd["data"]["credentials"] == "cGFzc3dvcmQ9czNjcjN0LVBhNTV3MHJkLWRi"' secret db-credentials -n db
check "objects are labelled with the backup and the restore, and cleaned (new uid, no status)" \
    kj 'all(i["metadata"]["labels"]["ferry.dev/backup-name"] == "us-cluster" and i["metadata"]["labels"]["ferry.dev/restore-name"] == "'"$NAME"'" and not i.get("status") for i in d["items"]) and d["items"][0]["metadata"]["uid"] != "'"$DEPLOY_UID"'"' deploy -n web
check "no duplicated controller-owned objects: no ReplicaSet, only the Pod without owner" \
    eval '[ -z "$(kc get rs -n web -o name)" ] && [ "$(kc get pods -n web -o name)" = "pod/debug" ]'
check "a restored Pod loses the old cluster's node" kj '"nodeName" not in d["spec"]' pod debug -n web
check "never restored: Endpoints of a Service with a selector, Events, controller Leases" \
    eval '[ -z "$(kc get endpoints,events,leases -n web -o name 2>/dev/null)" ]'
check "never restored: the API server's own default/kubernetes Service and Endpoints (the old cluster's address)" \
    eval '[ -z "$(kc get services,endpoints -n default -o name 2>/dev/null)" ]'
check "never restored: kube-root-ca.crt (the old cluster's CA; the new cluster publishes its own)" \
    eval '! kc get cm kube-root-ca.crt -n web >/dev/null 2>&1'
check "Services: cluster IPs allocated anew, headless keeps None" \
    eval 'kj "d[\"spec\"][\"clusterIP\"] != \"10.96.200.5\"" svc web-np -n web && kj "d[\"spec\"][\"clusterIP\"] == \"None\"" svc postgres -n db'
check "Services: an auto-assigned node port is dropped, a chosen one kept" \
    eval 'kj "d[\"spec\"][\"ports\"][0][\"nodePort\"] != 31999" svc web-np -n web && kj "d[\"spec\"][\"ports\"][0][\"nodePort\"] == 32001" svc web-fixed -n web'
check "PV in europe-west1-b: labels and node affinity mapped, claimRef without uid" \
    kj 'd["metadata"]["labels"]["topology.kubernetes.io/zone"] == "europe-west1-b" and d["metadata"]["labels"]["topology.kubernetes.io/region"] == "europe-west1" and d["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] == ["europe-west1-b"] and "uid" not in d["spec"]["claimRef"] and d["spec"]["claimRef"]["namespace"] == "web"' pv pv-web-data
check "a Delete-policy PV is left for the new cluster to provision; its claim loses volumeName" \
    eval '! kc get pv pv-postgres >/dev/null 2>&1 && kj "\"volumeName\" not in d[\"spec\"]" pvc data-postgres-0 -n db && kj "d[\"spec\"][\"volumeName\"] == \"pv-web-data\"" pvc web-data -n web'
check "the CRD came first and its Widgets were created once it was Established" \
    kj 'd["spec"]["color"] == "blue"' widget banner -n web

fr restore get
check "restore get lists it, Completed, 1 warning" \
    eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | head -1 | grep -q "^NAME *BACKUP *STATUS *STARTED *COMPLETED *ERRORS *WARNINGS *CREATED *SELECTOR$" && printf "%s\n" "$OUT" | grep -q "^$NAME *us-cluster *Completed .* 0 *1 "'
fr restore logs "$NAME"
LOGS=$OUT
check "restore logs: one line per object, logfmt" \
    eval '[ "$RC" = 0 ] && has "msg=\"created deployments.apps web/web\"" && has "restore=velero/$NAME"'
leak=0
fr restore describe "$NAME"
for s in "${SECRETS[@]}"; do printf '%s\n%s' "$LOGS" "$OUT" | grep -qF -- "$s" && leak=1; done
check "describe and logs never show Secret data" eval '[ "$leak" = 0 ]'
check "the Restore record and results are next to the backup (Velero's shapes)" \
    eval 'get_object "restores/$NAME/velero-restore.json" | grep -q "\"kind\": \"Restore\"" && get_object "restores/$NAME/restore-$NAME-results.gz" | gzip -dc | grep -q "\"warnings\": *{\"cluster\""'

# 4b. Again, with the none policy: nothing changes, a changed object warns.
kc patch cm web-config -n web --type merge -p '{"data":{"LISTEN":":9999"}}' >/dev/null
before=$(posts "$EU")
fr restore create again --from-backup us-cluster "${MAPS[@]}" --wait
check "second restore (none): Completed, the changed ConfigMap left alone with a warning" \
    eval '[ "$RC" = 0 ] && has "web: could not restore, ConfigMap \"web-config\" already exists" && kj "d[\"data\"][\"LISTEN\"] == \":9999\"" cm web-config -n web'
check "… and no object was updated (nothing but failed creates)" \
    eval '[ "$(kc get deploy web -n web -o jsonpath="{.metadata.labels.ferry\.dev/restore-name}")" = "$NAME" ]'
fr restore describe again
check "describe shows the warning under its namespace" \
    eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -q "^    web:  could not restore, ConfigMap \"web-config\" already exists"'
fr restore create upd --from-backup us-cluster "${MAPS[@]}" --existing-resource-policy update --include-namespaces web --dry-run
check "dry run with update: update for the changed object, skip (exists, identical) for the others" \
    eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -q "^ConfigMap *web *web-config *update$" && printf "%s\n" "$OUT" | grep -q "^Secret *web *web-tls *skip (exists, identical)$"'
fr restore create upd --from-backup us-cluster "${MAPS[@]}" --existing-resource-policy update
check "update brings the changed object back" \
    eval '[ "$RC" = 0 ] && kj "d[\"data\"][\"LISTEN\"] == \":8080\" and d[\"metadata\"][\"labels\"][\"ferry.dev/restore-name\"] == \"upd\"" cm web-config -n web'
fr restore create upd --from-backup us-cluster
check "a restore name already taken is refused" eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "restore \"upd\" already exists"'

# Namespace mappings: objects move, RoleBinding subjects follow.
fr restore create moved --from-backup us-cluster --include-namespaces web --namespace-mappings web:web-copy
check "--namespace-mappings web:web-copy: objects and RoleBinding subjects in web-copy" \
    eval '[ "$RC" = 0 ] && kc get cm web-config -n web-copy >/dev/null && kj "d[\"subjects\"][0][\"namespace\"] == \"web-copy\"" rolebinding web-sa-reads -n web-copy && kj "d[\"metadata\"][\"labels\"][\"ferry.dev/restore-name\"] == \"moved\"" ns web-copy'
fr restore create moved-again --from-backup us-cluster --include-namespaces web --namespace-mappings web:web-copy --wait
check "… restored again: the moved Namespace (labelled with its new name by the server) is identical, no warning" \
    eval '[ "$RC" = 0 ] && has "Restore completed with status: Completed." && ! has "Namespace \"web-copy\" already exists" && kj "d[\"metadata\"][\"labels\"][\"kubernetes.io/metadata.name\"] == \"web-copy\"" ns web-copy'
fr restore create --from-backup us-cluster --include-namespaces web --namespace-mappings web:web-copy --include-resources pv --existing-resource-policy update --dry-run -o json
check "… and the PV claimed from the moved namespace follows it (claimRef)" \
    eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | "$PY" -S -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"metadata\"][\"name\"] == \"pv-web-data\" and d[\"spec\"][\"claimRef\"] == {\"apiVersion\": \"v1\", \"kind\": \"PersistentVolumeClaim\", \"namespace\": \"web-copy\", \"name\": \"web-data\"} else 1)"'
check "--include-namespaces leaves the other namespaces and their cluster objects out" \
    eval '! kc get ns db-copy >/dev/null 2>&1 && [ -z "$(kc get cm -n web-copy -o name | grep postgres)" ]'

# --include-cluster-resources: with namespaces chosen, unset takes only the
# cluster objects they use, true all of them; false none (Namespaces aside).
rows() { # the cluster-scoped objects a dry run selects
    printf '%s\n' "$OUT" | grep -v "skip (cluster resource not used" |
        awk '$2 == "<none>" {print $1 "/" $3}' | sort | tr '\n' ' '
}
fr restore create --from-backup us-cluster --include-namespaces db --dry-run
unset_rows=$(rows)
fr restore create --from-backup us-cluster --include-namespaces db --include-cluster-resources=true --dry-run
true_rows=$(rows)
fr restore create --from-backup us-cluster --include-cluster-resources=false --dry-run
false_rows=$(rows)
check "--include-cluster-resources: unset with --include-namespaces db, the db PV and Namespace only; true, every PV and the CRD; false, Namespaces only" \
    eval '[ "$unset_rows" = "Namespace/db PersistentVolume/pv-postgres " ] && [[ "$true_rows" == *CustomResourceDefinition/widgets.example.com* ]] && [[ "$true_rows" == *PersistentVolume/pv-web-data* ]] && [[ "$true_rows" == *PersistentVolume/pv-postgres* ]] && [ -z "$(printf "%s\n" $false_rows | grep -v "^Namespace/")" ] && [[ "$false_rows" == *Namespace/web* ]]'

# --wait on a terminal (script(1) gives it one): a progress line, then the phase.
if command -v script >/dev/null 2>&1; then
    LAST="restore create tty --wait (on a terminal)"
    OUT=$(timeout 60 script -qec "'$FERRY' restore create tty --from-backup us-cluster \
        --include-namespaces tools --namespace-mappings tools:tools-tty --wait" /dev/null </dev/null)
    RC=$? ERR=
    check "--wait on a terminal shows progress, then the phase" \
        eval '[ "$RC" = 0 ] && printf "%s" "$OUT" | tr -d "\r" | grep -qE "Restoring items: 1 of ([0-9]+)Restoring items: 2 of \1.*Restoring items: \1 of \1" && has "Restore completed with status: Completed."'
else
    ok "--wait on a terminal shows progress # SKIP no script(1)"
fi

# --resource-priorities: the groups come in the order given, the rest after.
fake "$EU" DELETE /_fake/requests >/dev/null
fr restore create ordered --from-backup us-cluster --include-namespaces db \
    --namespace-mappings db:db-order --resource-priorities secrets,configmaps
order=$(fake "$EU" GET /_fake/requests | "$PY" -S -c '
import json, sys
seen = []
for r in json.load(sys.stdin)["items"]:
    p = r["path"]
    if r["method"] == "POST" and "/namespaces/db-order/" in p:
        kind = p.rsplit("/", 1)[1]
        if kind not in seen:
            seen.append(kind)
print(",".join(seen))')
check "--resource-priorities secrets,configmaps: Secrets, then ConfigMaps, then the rest" \
    eval '[ "$RC" = 0 ] && [[ "$order" == secrets,configmaps,* ]] && [[ "$order" == *statefulsets* ]]'
[[ "$order" == secrets,configmaps,*statefulsets* ]] || echo "# the kinds POSTed, in order: $order"

###########################################################################
# Failures.
kc config use-context flaky >/dev/null
fake "$FLAKY" POST /_fake/faults '{"error_rate":1,"error_code":500,"error_match":"^/api/v1/namespaces/web/configmaps$","error_methods":["POST"]}' >/dev/null
fr restore create broken-api --from-backup us-cluster "${MAPS[@]}" --wait
check "500 on some creates: PartiallyFailed, exit 1, each failed object with the API's message" \
    eval '[ "$RC" = 1 ] && has "Restore completed with status: PartiallyFailed." && has "web: error restoring configmaps web/web-config: Error from server (InternalError): Internal error occurred: injected fault"'
fake "$FLAKY" DELETE /_fake/faults >/dev/null
check "… and the rest is restored" \
    eval 'kc get deploy web -n web >/dev/null && kc get cm postgres-config -n db >/dev/null && ! kc get cm web-config -n web >/dev/null 2>&1'
fr restore get broken-api
check "restore get shows PartiallyFailed with its error count" \
    eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -q "^broken-api *us-cluster *PartiallyFailed .* 1 *1 "'

fr restore create --from-backup classes "${MAPS[@]}"
check "StorageClass allowedTopologies and zone parameter mapped (a zone mapping, and a region mapping for the other zone)" \
    eval '[ "$RC" = 0 ] && kj "d[\"allowedTopologies\"][0][\"matchLabelExpressions\"][0][\"values\"] == [\"europe-west1-b\", \"europe-west1-c\"] and d[\"parameters\"][\"zone\"] == \"europe-west1-b\"" storageclass zonal'

# --restore-volumes brings back a Delete-policy PV, mapped; storage classes too.
fr restore create vols --from-backup us-cluster "${MAPS[@]}" --include-resources pv \
    --restore-volumes --storage-class-mappings standard-rwo:premium-rwo
check "--restore-volumes restores the CSI volume in europe-west1-b, with --storage-class-mappings" \
    eval '[ "$RC" = 0 ] && kj "d[\"spec\"][\"csi\"][\"volumeHandle\"] == \"projects/p/zones/europe-west1-b/disks/d\" and d[\"spec\"][\"storageClassName\"] == \"premium-rwo\" and d[\"spec\"][\"nodeAffinity\"][\"required\"][\"nodeSelectorTerms\"][0][\"matchExpressions\"][0][\"values\"] == [\"europe-west1-b\"]" pv pv-postgres'

for cmd in describe logs get; do
    fr restore $cmd ../nope
    check "restore $cmd: a name that is not a restore name is refused as such" \
        eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "^error: invalid restore name \"../nope\": a lowercase RFC 1123 subdomain"'
done
fr restore create --from-backup ../nope
check "restore create --from-backup: likewise for the backup's name" \
    eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "^error: invalid backup name \"../nope\""'
fr restore create --from-backup nope
check "a backup that does not exist: a clear error" \
    eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "backup \"nope\" not found in location \"default\""'

head -c 5000 /dev/urandom | gzip >"$TMP/corrupt.tar.gz"
printf '\037\213garbage' >>"$TMP/corrupt.tar.gz"
# A backup without its record (interrupted): `backup get` lists it as
# Failed, and restore says so rather than "not found".
put_object backups/cut/cut.tar.gz "$TMP/corrupt.tar.gz"
fr restore create --from-backup cut
check "a backup without its record: refused as incomplete, not as missing" \
    eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "backup \"cut\" is incomplete: no velero-backup.json" && ! printf "%s\n" "$ERR" | grep -q "not found"'

# A corrupt tarball next to a Completed record: nothing is created.
get_object backups/us-cluster/velero-backup.json | sed 's/us-cluster/corrupt/g' >"$TMP/rec.json"
put_object backups/corrupt/velero-backup.json "$TMP/rec.json"
put_object backups/corrupt/corrupt.tar.gz "$TMP/corrupt.tar.gz"
fake "$FLAKY" DELETE /_fake/requests >/dev/null
fr restore create from-corrupt --from-backup corrupt
check "a corrupt tarball: a clear error, nothing created" \
    eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "backup \"corrupt\": the tarball is corrupt" && [ "$(posts "$FLAKY")" = 0 ]'
fr restore describe from-corrupt
check "… and the restore is recorded as Failed, the reason also in its errors" \
    eval '[ "$RC" = 0 ] && has "Phase:                       Failed" && has "Failure reason:  backup \"corrupt\": the tarball is corrupt" && has "  Velero:     backup \"corrupt\": the tarball is corrupt"'

# Deleting a backup deletes the restores made from it, as in Velero, and
# only those.
fr restore get
before=$(printf '%s\n' "$OUT" | awk '$2 == "classes"' | wc -l)
others=$(printf '%s\n' "$OUT" | awk '$2 == "us-cluster"' | wc -l)
fr backup delete classes --confirm
check "backup delete: the restores of that backup go too (with a line each)" \
    eval '[ "$RC" = 0 ] && [ "$before" -ge 1 ] && [ "$(printf "%s\n" "$OUT" | grep -c "^Restore \"classes-.*\" of backup \"classes\" deleted.$")" = "$before" ]'
fr restore get
check "… and the restores of other backups stay" \
    eval '[ "$(printf "%s\n" "$OUT" | awk "\$2 == \"classes\"" | wc -l)" = 0 ] && [ "$(printf "%s\n" "$OUT" | awk "\$2 == \"us-cluster\"" | wc -l)" = "$others" ] && [ "$others" -ge 1 ]'

echo "1..$n"
[ "$failed" = 0 ]
