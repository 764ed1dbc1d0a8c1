#!/usr/bin/env bash
# Differential tests: `ferry get` / `ferry api-resources` and the client's
# error messages against the REAL kubectl, both talking to the same
# tests/support/fake-apiserver. Compared per command: stdout bytes, stderr
# (kubectl's klog lines "E1128 ..." left out: kubectl logs its discovery
# retries there before the message both print), exit status.
#
# Environment: FERRY, KUBECTL (skipped without it). Only 127.0.0.1.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FERRY=${FERRY:-$HERE/../../build/ferry}
KUBECTL=${KUBECTL:-}

if [ -z "$KUBECTL" ]; then
    echo "1..0 # SKIP KUBECTL is not set"
    exit 0
fi
if [ ! -x "$FERRY" ]; then
    echo "1..0 # SKIP ferry binary not found ($FERRY)"
    exit 0
fi

TMP_PREFIX=ferry-kdiff
# shellcheck source=../support/fakeapi.sh
. "$HERE/../support/fakeapi.sh"

# run TOOL OUTPREFIX ARGS...
run() {
    local tool=$1 pre=$2; shift 2
    KUBECONFIG=$KCFG HOME=$TMP/home timeout 60 "$tool" "$@" >"$pre.out" 2>"$pre.err.raw" </dev/null
    echo $? >"$pre.rc"
    grep -v '^[EIW][0-9]\{4\} ' "$pre.err.raw" >"$pre.err"
}
# same NAME [--mask-age] ARGS...: kubectl and ferry agree on stdout, stderr, status.
same() {
    local name=$1 mask=0; shift
    if [ "$1" = --mask-age ]; then mask=1; shift; fi
    run "$KUBECTL" "$TMP/k" "$@"
    run "$FERRY" "$TMP/f" "$@"
    if [ "$mask" = 1 ]; then  # an AGE column (last, or before -o wide's) may tick between the runs
        for f in "$TMP/k.out" "$TMP/f.out"; do
            sed -E -i 's/(^|[[:space:]])[0-9]+[smhdy]([0-9]+[smh])?([[:space:]]|$)/\1AGE\3/g' "$f"
        done
    fi
    local d=()
    cmp -s "$TMP/k.out" "$TMP/f.out" ||
        d+=("stdout differs:" "$(diff -u --label kubectl --label ferry "$TMP/k.out" "$TMP/f.out" | head -30)")
    cmp -s "$TMP/k.err" "$TMP/f.err" ||
        d+=("stderr differs:" "$(diff -u --label kubectl --label ferry "$TMP/k.err" "$TMP/f.err" | head -20)")
    [ "$(cat "$TMP/k.rc")" = "$(cat "$TMP/f.rc")" ] ||
        d+=("exit status: kubectl $(cat "$TMP/k.rc"), ferry $(cat "$TMP/f.rc")")
    if [ ${#d[@]} -eq 0 ]; then ok "$name: $*"; else not_ok "$name: $*" "${d[@]}"; fi
}

# --- objects: core and grouped resources, cluster-scoped ones, a CRD -----------
mkdir -p "$TMP/load"
cat >"$TMP/load/objects.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: demo
  labels: {app: web, tier: front}
  annotations:
    note: "a <note> & more"
data:
  greeting: "hello\nworld"
  long: "a long string that goes on and on and on past the eighty column mark where go-yaml folds plain scalars"
  num: "0755"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: other
  namespace: demo
  labels: {app: db}
data: {}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: sys-config
  namespace: kube-system
data:
  x: "1"
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  namespace: demo
type: Opaque
stringData:
  password: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wg]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: demo
spec:
  size: 12
  ratio: 0.5
  tags: [a, b]
EOF
if ! start_server main --tls --load "$TMP/load"; then
    echo "Bail out! the fake API server did not start: $(cat "$TMP/main.err")"
    exit 1
fi
MAIN_KC=$KCFG MAIN_URL=$URL

# --- get -------------------------------------------------------------------------------
same "list -o json" get configmaps -n demo -o json
same "list -o yaml" get configmaps -n demo -o yaml
same "list -o name" get configmaps -n demo -o name
same "all namespaces -o json" get configmaps -A -o json
same "all namespaces -o yaml" get cm --all-namespaces -o yaml
same "one object -o json" get configmap app-config -n demo -o json
same "one object -o yaml" get configmap app-config -n demo -o yaml
same "two objects: a List" get configmap app-config other -n demo -o json
same "TYPE/NAME" get cm/app-config -n demo -o yaml
same "label selector" get cm -n demo -l app=web -o name
same "set-based selector" get cm -A -l 'app in (web,db)' -o json
same "field selector" get cm -A --field-selector metadata.namespace=kube-system -o name
same "secrets" get secrets -n demo -o yaml
same "grouped resource" get deployments -n demo -o json
same "grouped resource, name" get deploy -n demo -o name
same "version.group" get deployment.v1.apps web -n demo -o yaml
same "services (defaulted fields)" get svc -n demo -o json
same "cluster-scoped" get clusterroles -o yaml
same "namespaces -o name" get namespaces -o name
same "custom resource by short name" get wg -n demo -o json
same "custom resource, yaml" get widgets.example.com -n demo -o yaml
same "jsonpath over a list" get cm -n demo -o 'jsonpath={.items[*].metadata.name}'
same "jsonpath over one object" get cm app-config -n demo -o 'jsonpath={.data.greeting}'
same "empty list -o json" get cm -n nothing-here -o json
same "empty list -o yaml" get cm -n nothing-here -o yaml
same "empty list -o name" get cm -n nothing-here -o name
same "empty list, table" get cm -n nothing-here
same "empty list, all namespaces" get secrets -A -n default --field-selector metadata.name=none
same "table" --mask-age get configmaps -n demo
same "table, all namespaces" --mask-age get configmaps -A
same "table, wide" --mask-age get deployments -n demo -o wide
same "table, cluster-scoped" --mask-age get namespaces
same "table, one object" --mask-age get service web -n demo
same "table, no headers" --mask-age get cm -n demo --no-headers
same "table, custom resource" --mask-age get wg -n demo
same "unknown output format" get cm -n demo -o bogus
same "several types, json" get cm,deploy,svc -n demo -o json
same "several types, tables" --mask-age get cm,deploy -n demo
same "the 'all' category" --mask-age get all -n demo
same "TYPE/NAME of several types" --mask-age get cm/app-config deploy/web -n demo
same "TYPE/NAME of several types, yaml" get cm/app-config deploy/web -n demo -o yaml
same "--show-kind" --mask-age get cm -n demo --show-kind

# --- api-resources --------------------------------------------------------------
same "api-resources" api-resources
same "api-resources wide" api-resources -o wide
same "api-resources name" api-resources -o name
same "api-resources cluster-scoped" api-resources --namespaced=false
same "api-resources namespaced" api-resources --namespaced=true -o name
same "api-resources one group" api-resources --api-group=apps
same "api-resources core group" api-resources --api-group= -o name
same "api-resources by verbs" api-resources --verbs=list,watch,deletecollection -o name
same "api-resources sorted by kind" api-resources --sort-by=kind
same "api-resources sorted by name" api-resources --sort-by=name --no-headers
same "api-resources category" api-resources --categories=all

# --- errors ----------------------------------------------------------------------
same "NotFound" get configmap nope -n demo
same "NotFound, json" get configmap nope -n demo -o json
same "found and not found, json" get configmap app-config nope -n demo -o json
same "two not found, name" get configmap nope1 nope2 -n demo -o name
same "a name with --all-namespaces" get configmap app-config -A
same "unknown resource type" get nosuchthing
same "unknown resource type with a group" get things.example.com
same "bad field selector" get cm --field-selector spec.x=y
same "missing context" --context ghost get cm
same "bad request timeout" --request-timeout=xyz get cm
same "connection refused" --server https://127.0.0.1:1 get cm
same "connection refused, plain HTTP" --server http://127.0.0.1:1 get cm -o name
same "unsupported scheme" --server ftp://127.0.0.1:1 get cm
same "connection refused, api-resources" --server https://127.0.0.1:1 api-resources
"$PY" -S - "$MAIN_URL" '{"error_rate":1,"error_code":403,"error_match":"/secrets","error_reason":"Forbidden","error_message":"secrets is forbidden: User \"jane\" cannot list resource \"secrets\" in API group \"\" in the namespace \"demo\""}' <<'EOF'
import ssl, sys, urllib.request
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_fake/faults", data=sys.argv[2].encode(), method="POST"), context=ctx).read()
EOF
same "Forbidden" get secrets -n demo

if start_server tok --tls --auth token --token right-token; then
    same "Unauthorized (wrong token)" --token wrong-token get cm
    same "Unauthorized, api-resources" --token wrong-token api-resources
fi
KCFG=$MAIN_KC

echo "1..$n"
[ "$failed" -eq 0 ]
