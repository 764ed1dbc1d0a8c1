#!/usr/bin/env bash
# TAP tests for tests/support/fake-apiserver, driven by the REAL kubectl, so
# that ferry is never tested only against our own idea of the Kubernetes API.
# Every check asserts what kubectl printed or what the server stored.
#
# Environment: KUBECTL (a real kubectl >= 1.32; the whole file is skipped
# without it). FERRY is not needed. Runs from any directory.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
KUBECTL=${KUBECTL:-}

if [ -z "$KUBECTL" ]; then
    echo "1..0 # SKIP KUBECTL is not set (a real kubectl >= 1.32 is needed)"
    exit 0
fi

TMP_PREFIX=ferry-fakeapi
# shellcheck source=../support/fakeapi.sh
. "$HERE/../support/fakeapi.sh"

# check (fakeapi.sh) reports the last kc call on failure.
CHECK_TOOL=kubectl

# kc ARGS...: the real kubectl against KCFG. Sets OUT, ERR, RC, LAST.
kc() {
    LAST="$*"
    OUT=$(KUBECONFIG=$KCFG HOME=$TMP/home timeout 30 "$KUBECTL" --request-timeout=20s "$@" \
        2>"$TMP/kc.err" </dev/null)
    RC=$?
    ERR=$(cat "$TMP/kc.err")
}

# Assertions on the last kc call (out_is, err_is: fakeapi.sh).
out_has() { [ "$RC" = 0 ] && printf '%s\n' "$OUT" | grep -qF -- "$1"; }
# py EXPR: evaluates a Python expression with d = the JSON in OUT (or, for
# watch streams, evs = the list of JSON lines); true when it is truthy.
py() {
    [ "$RC" = 0 ] || return 1
    printf '%s' "$OUT" | "$PY" -S -c '
import json, sys
text = sys.stdin.read()
try:
    d = json.loads(text)
except ValueError:
    d = None
if d is None:
    evs = [json.loads(l) for l in text.splitlines() if l.startswith("{")]
else:
    evs = [d] if isinstance(d, dict) and "type" in d and "object" in d else []
sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
}
# The /_fake control endpoints need no credentials; they are called with
# python3 (cheaper than a kubectl process). Sets OUT and RC like kc.
fake() {  # method path [json]
    LAST="fake $*"
    OUT=$("$PY" -S - "$URL_FAKE" "$@" 2>"$TMP/kc.err" <<'PYEOF'
import ssl, sys, urllib.request
base, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(base + path, data=body, method=method,
                             headers={"Content-Type": "application/json"})
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
print(urllib.request.urlopen(req, context=ctx, timeout=10).read().decode())
PYEOF
    )
    RC=$?
    ERR=$(cat "$TMP/kc.err")
}
fake_post() { fake POST "$@"; }
# Waits (up to 5 s) until the server counts at least N open watches.
wait_watchers() {
    local i
    for i in $(seq 100); do
        fake GET /_fake/stats
        py "d[\"watchers\"] >= $1" && return 0
        sleep 0.05
    done
    return 1
}
# Squeezes runs of blanks so table output can be matched line by line.
squeeze() { printf '%s\n' "$OUT" | tr -s ' ' | sed 's/ $//'; }
lines_are() { [ "$RC" = 0 ] && [ "$(printf '%s\n' "$OUT" | sort | tr '\n' ' ')" = "$1" ]; }

###########################################################################
# The main server: TLS, no authentication.
CERTS=$TMP/certs  # one CA for every TLS server: made once, reused by --cert-dir
if start_server main --tls --cert-dir "$CERTS" --bookmark-interval 0.3; then
    ok "server starts, prints 'ready <url>' and writes a kubeconfig"
else
    not_ok "server starts, prints 'ready <url>' and writes a kubeconfig" "$(cat "$TMP/main.err")"
    echo "Bail out! the fake API server did not start"
    exit 1
fi
# The other servers start now, in the background, while the main tests run.
# One of them preloads these manifests (YAML subset and JSON):
mkdir -p "$TMP/manifests/sub"
cat >"$TMP/manifests/a.yaml" <<'EOF'
# comment
apiVersion: v1
kind: Namespace
metadata:
  name: loaded
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: yaml-cm
  namespace: loaded
  labels: {app: "demo", tier: 'web'}
  annotations:
    quoted: "tab\there"
data:
  literal: |
    line one
    line two
  folded: >-
    folded
    text
  number: "0755"
  empty: ""
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata:
    name: from-list
    namespace: loaded
  stringData:
    password: hunter2
EOF
cat >"$TMP/manifests/sub/svc.json" <<'EOF'
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "json-svc", "namespace": "loaded"},
 "spec": {"ports": [{"port": 8080}]}}
EOF
launch loaded --load "$TMP/manifests"
for mode in token basic cert; do
    launch "auth_$mode" --tls --cert-dir "$CERTS" --auth "$mode"
done
st_args=(--tls --auth token --token fixed-token --cert-dir "$CERTS" --state "$TMP/state.json")
launch st "${st_args[@]}"
URL_FAKE=$URL  # /_fake calls go to the main server
check "the URL is https on 127.0.0.1 and the kubeconfig carries it with CA data" \
    eval '[[ $URL == https://127.0.0.1:* ]] && grep -qF "server: $URL" "$KCFG" &&
          grep -q "certificate-authority-data: " "$KCFG"'

kc version -o json
check "kubectl version reads the server's /version (v1.32.0)" \
    py 'd["serverVersion"]["gitVersion"] == "v1.32.0" and d["serverVersion"]["major"] == "1"'

kc api-resources --no-headers
missing=
for want in "configmaps cm v1 true ConfigMap" "namespaces ns v1 false Namespace" \
    "secrets v1 true Secret" "services svc v1 true Service" "endpoints ep v1 true Endpoints" \
    "pods po v1 true Pod" "persistentvolumes pv v1 false PersistentVolume" \
    "persistentvolumeclaims pvc v1 true PersistentVolumeClaim" \
    "serviceaccounts sa v1 true ServiceAccount" "events ev v1 true Event" \
    "deployments deploy apps/v1 true Deployment" "statefulsets sts apps/v1 true StatefulSet" \
    "daemonsets ds apps/v1 true DaemonSet" "replicasets rs apps/v1 true ReplicaSet" \
    "jobs batch/v1 true Job" "cronjobs cj batch/v1 true CronJob" \
    "ingresses ing networking.k8s.io/v1 true Ingress" \
    "ingressclasses networking.k8s.io/v1 false IngressClass" \
    "endpointslices discovery.k8s.io/v1 true EndpointSlice" \
    "storageclasses sc storage.k8s.io/v1 false StorageClass" \
    "roles rbac.authorization.k8s.io/v1 true Role" \
    "rolebindings rbac.authorization.k8s.io/v1 true RoleBinding" \
    "clusterroles rbac.authorization.k8s.io/v1 false ClusterRole" \
    "clusterrolebindings rbac.authorization.k8s.io/v1 false ClusterRoleBinding" \
    "leases coordination.k8s.io/v1 true Lease" \
    "customresourcedefinitions crd,crds apiextensions.k8s.io/v1 false CustomResourceDefinition"; do
    squeeze | grep -qxF "$want" || missing="$missing; $want"
done
check "api-resources lists every built-in resource with short names, scope and kind" \
    eval '[ "$RC" = 0 ] && [ -z "$missing" ]'
[ -n "$missing" ] && echo "#   missing:$missing"

kc api-resources -o wide --no-headers
check "api-resources -o wide: verbs (namespaces have no deletecollection) and categories" \
    eval 'squeeze | grep -qx "namespaces ns v1 false Namespace create,delete,get,list,patch,update,watch" &&
          squeeze | grep -qx "configmaps cm v1 true ConfigMap create,delete,deletecollection,get,list,patch,update,watch" &&
          squeeze | grep -qx "deployments deploy apps/v1 true Deployment create,delete,deletecollection,get,list,patch,update,watch all"'

kc get --raw /apis/apps/v1
check "legacy discovery: /apis/apps/v1 lists deployments and deployments/scale (autoscaling/v1 Scale)" \
    py 'any(r["name"] == "deployments" and r["namespaced"] and r["singularName"] == "deployment" for r in d["resources"]) and any(r["name"] == "deployments/scale" and r.get("kind") == "Scale" for r in d["resources"])'

kc create namespace demo
check "create namespace (protobuf body) is accepted" out_is "namespace/demo created"
kc get namespace demo -o jsonpath='{.status.phase} {.metadata.labels.kubernetes\.io/metadata\.name} {.spec.finalizers[0]}'
check "the namespace is Active with its metadata.name label and the kubernetes finalizer" \
    out_is "Active demo kubernetes"

kc create configmap cfg -n demo --from-literal=a=1 "--from-literal=b=two words"
check "create configmap --from-literal (protobuf body) is accepted" out_is "configmap/cfg created"
kc get configmap cfg -n demo -o json
check "the configmap holds the literal data and server fields (uid, resourceVersion, creationTimestamp)" \
    py 'd["data"] == {"a": "1", "b": "two words"} and len(d["metadata"]["uid"]) == 36 and d["metadata"]["resourceVersion"].isdigit() and d["metadata"]["creationTimestamp"].endswith("Z") and d["metadata"]["namespace"] == "demo"'

# Every protobuf generator: the stored object must be what the client meant,
# i.e. what the client-side dry run prints, plus what the server adds.
cmp_generator() {  # name, create args...
    local name=$1; shift
    kc create --dry-run=client -o json -n demo "$@"
    local dry=$OUT
    kc create -o json -n demo "$@"
    if [ "$RC" != 0 ]; then
        not_ok "protobuf create $name stores what the client sent" "stderr: $ERR"
        return
    fi
    local diff
    if diff=$(DRY=$dry "$PY" -S -c '
import json, os, sys
a = json.loads(os.environ["DRY"]); b = json.loads(sys.stdin.read())
def strip(o, server):
    m = o.setdefault("metadata", {})
    m.setdefault("namespace", "demo")
    for k in ("uid", "resourceVersion", "creationTimestamp", "generation"):
        m.pop(k, None)
    if server and o["kind"] == "Service":
        s = o["spec"]
        assert s["clusterIP"] and s["clusterIPs"] == [s["clusterIP"]], "no cluster IP allocated"
        for k in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy", "sessionAffinity"):
            s.pop(k, None)
    return o
x, y = strip(a, False), strip(b, True)
if x["kind"] == "Secret":
    x.setdefault("type", "Opaque")  # the server defaults the type
if x != y:
    print("dry run: " + json.dumps(x, sort_keys=True)); print("stored:  " + json.dumps(y, sort_keys=True))
    sys.exit(1)' 2>&1 <<<"$OUT"); then
        ok "protobuf create $name stores what the client sent"
    else
        not_ok "protobuf create $name stores what the client sent" "$diff"
    fi
}
cmp_generator "secret generic" secret generic s1 --from-literal=user=admin --from-literal=pw=s3cr3t
cmp_generator "serviceaccount" serviceaccount robot
cmp_generator "service clusterip" service clusterip api --tcp=80:8080 --tcp=443:8443
cmp_generator "deployment" deployment dep --image=nginx:1 --image=busybox --replicas=3 --port=80
cmp_generator "job" job once --image=busybox -- echo hello
cmp_generator "cronjob" cronjob tick --image=busybox --schedule="*/5 * * * *" -- date
cmp_generator "ingress" ingress ing --class=ferry "--rule=foo.example/api*=api:80,tls=foo-cert" --default-backend=api:80
cmp_generator "role" role reader --verb=get,list,watch --resource=pods,configmaps
cmp_generator "rolebinding" rolebinding readers --role=reader --user=alice --serviceaccount=demo:robot

kc get secret s1 -n demo -o jsonpath='{.data.pw}'
check "secret data is stored base64-encoded" out_is "$(printf s3cr3t | base64)"

# --- kubectl apply, client side -------------------------------------------------
cat >"$TMP/app.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: app
        image: nginx:1.25
        ports:
        - containerPort: 80
      - name: sidecar
        image: busybox:1
        args: ["sleep", "infinity"]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: demo
data:
  mode: blue
  script: |
    #!/bin/sh
    echo hello
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
EOF
kc apply -f "$TMP/app.yaml"
check "apply -f (new objects, validation on) creates them" \
    lines_are "configmap/app-config created deployment.apps/web created service/web created "
kc apply -f "$TMP/app.yaml"
check "apply -f again reports every object unchanged" \
    lines_are "configmap/app-config unchanged deployment.apps/web unchanged service/web unchanged "
sed -i 's/nginx:1.25/nginx:1.27/; s/mode: blue/mode: green/' "$TMP/app.yaml"
kc apply -f "$TMP/app.yaml"
check "apply -f of a changed file configures only the changed objects" \
    lines_are "configmap/app-config configured deployment.apps/web configured service/web unchanged "
kc get deployment web -n demo -o jsonpath='{.spec.template.spec.containers[*].image} {.metadata.generation}'
check "the strategic merge patch changed the image, kept the sidecar and bumped generation" \
    out_is "nginx:1.27 busybox:1 2"
kc get configmap app-config -n demo -o jsonpath='{.data.mode}|{.data.script}'
check "apply stored the literal block scalar and the new value" \
    out_is "$(printf 'green|#!/bin/sh\necho hello\n')"
kc get service web -n demo -o json
check "the service got a cluster IP, TCP protocol and its ports" \
    py 'd["spec"]["clusterIP"].startswith("10.96.") and d["spec"]["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 8080}] and d["spec"]["type"] == "ClusterIP"'

kc get deployment web -n demo -o yaml
check "get -o yaml shows kind, name, namespace, quoted resourceVersion and uid" \
    eval 'out_has "kind: Deployment" && out_has "  name: web" && out_has "  namespace: demo" &&
          printf "%s\n" "$OUT" | grep -Eq "^  resourceVersion: \"[0-9]+\"$" &&
          printf "%s\n" "$OUT" | grep -Eq "^  uid: [0-9a-f-]{36}$" && out_has "kubectl.kubernetes.io/last-applied-configuration"'
kc get deployments -n demo
check "get prints the server-side table (READY, UP-TO-DATE, AVAILABLE)" \
    eval 'squeeze | head -1 | grep -qx "NAME READY UP-TO-DATE AVAILABLE AGE" && squeeze | grep -q "^web 0/2 0 0 "'

# --- paging, selectors, label, patch --------------------------------------------
kc create namespace pages
{
    for i in $(seq -w 1 25); do
        printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p-%s\n  namespace: pages\ndata:\n  i: "%s"\n' "$i" "$i"
    done
} >"$TMP/pages.yaml"
kc apply -f "$TMP/pages.yaml"
check "apply -f of 25 objects in one file" eval '[ "$RC" = 0 ] && [ "$(printf "%s\n" "$OUT" | grep -c " created$")" = 25 ]'
kc get configmaps -n pages --chunk-size=2 -o name -v=6
pages=$(printf '%s\n' "$ERR" | grep -c 'GET .*/namespaces/pages/configmaps?.*limit=2.* 200 OK')
check "get --chunk-size=2 returns all 25 objects, in 13 requests with continue tokens" \
    eval '[ "$RC" = 0 ] && [ "$(printf "%s\n" "$OUT" | grep -c "^configmap/p-")" = 25 ] &&
          [ "$(printf "%s\n" "$OUT" | sort -u | wc -l)" = 25 ] && [ "$pages" = 13 ] &&
          printf "%s\n" "$ERR" | grep -q "continue="'
kc get configmaps -n pages
check "get (table) lists them with a DATA column" \
    eval 'squeeze | head -1 | grep -qx "NAME DATA AGE" && [ "$(squeeze | grep -c "^p-[0-9]* 1 ")" = 25 ]'

kc label configmap p-01 p-02 p-03 -n pages tier=front
check "label sets a label on several objects" \
    lines_are "configmap/p-01 labeled configmap/p-02 labeled configmap/p-03 labeled "
kc label configmap p-04 -n pages tier=back
sel() { kc get configmaps -n pages -o name -l "$1"; }
sel tier=front
check "-l tier=front" lines_are "configmap/p-01 configmap/p-02 configmap/p-03 "
sel 'tier==back'
check "-l tier==back" lines_are "configmap/p-04 "
sel 'tier in (front,back)'
check "-l 'tier in (front,back)'" lines_are "configmap/p-01 configmap/p-02 configmap/p-03 configmap/p-04 "
sel 'tier notin (front)'
check "-l 'tier notin (front)' (includes unlabeled objects)" \
    eval '[ "$RC" = 0 ] && [ "$(printf "%s\n" "$OUT" | wc -l)" = 22 ] && ! out_has "p-01"'
sel 'tier!=front,tier'
check "-l 'tier!=front,tier'" lines_are "configmap/p-04 "
sel '!tier'
check "-l '!tier'" eval '[ "$RC" = 0 ] && [ "$(printf "%s\n" "$OUT" | wc -l)" = 21 ] && ! out_has "p-04"'
kc get configmaps -n pages -o name --field-selector metadata.name=p-07
check "--field-selector metadata.name=p-07" lines_are "configmap/p-07 "
kc get configmaps -A -o name --field-selector metadata.namespace=pages,metadata.name!=p-07
check "--field-selector metadata.namespace=pages,metadata.name!=p-07 (all namespaces)" \
    eval '[ "$RC" = 0 ] && [ "$(printf "%s\n" "$OUT" | wc -l)" = 24 ]'
kc get configmaps -n pages --field-selector spec.foo=bar
check "an unsupported field selector is a 400 BadRequest" \
    err_has "field label not supported: spec.foo"
kc label configmap p-01 -n pages tier-
kc get configmap p-01 -n pages -o jsonpath='{.metadata.labels}'
check "label key- removes the label" eval '[ "$RC" = 0 ] && [ -z "$OUT" ]'

kc patch configmap cfg -n demo --type=merge -p '{"data":{"c":"3","a":null},"metadata":{"annotations":{"note":"x"}}}'
check "patch --type=merge" out_is "configmap/cfg patched"
kc get configmap cfg -n demo -o json
check "the merge patch added, removed and annotated" \
    py 'd["data"] == {"b": "two words", "c": "3"} and d["metadata"]["annotations"] == {"note": "x"}'
kc patch configmap cfg -n demo --type=json -p '[{"op":"replace","path":"/data/c","value":"4"},{"op":"add","path":"/data/d","value":"5"}]'
kc get configmap cfg -n demo -o jsonpath='{.data.c}{.data.d}'
check "patch --type=json" out_is "45"
kc patch deployment web -n demo -p '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:2"}]}}}}'
kc get deployment web -n demo -o jsonpath='{range .spec.template.spec.containers[*]}{.name}={.image} {end}'
check "strategic merge patch (kubectl patch default) merges containers by name" \
    out_is "app=nginx:1.27 sidecar=busybox:2 "
kc scale deployment web -n demo --replicas=5
check "scale (the scale subresource)" out_is "deployment.apps/web scaled"
kc get deployment web -n demo -o jsonpath='{.spec.replicas}'
check "the scale subresource changed spec.replicas" out_is "5"

# --- errors ------------------------------------------------------------------------
kc get configmap nope -n demo
check "a missing object is a 404 NotFound with the real message" \
    err_is 'Error from server (NotFound): configmaps "nope" not found'
kc get deployment nope -n demo
check "404 names group resources as plural.group" \
    err_is 'Error from server (NotFound): deployments.apps "nope" not found'
kc create configmap cfg -n demo
check "create of an existing object is a 409 AlreadyExists" \
    err_is 'error: failed to create configmap: configmaps "cfg" already exists'
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: demo\n' >"$TMP/cfg.yaml"
kc create -f "$TMP/cfg.yaml"
check "create -f of an existing object is a 409 AlreadyExists" \
    err_is "Error from server (AlreadyExists): error when creating \"$TMP/cfg.yaml\": configmaps \"cfg\" already exists"
kc get configmap cfg -n demo -o json
printf '%s' "$OUT" >"$TMP/stale.json"
kc annotate configmap cfg -n demo touched=yes
kc replace -f "$TMP/stale.json"
check "replace with a stale resourceVersion is a 409 Conflict with the real message" \
    err_has 'Error from server (Conflict): error when replacing "'"$TMP"'/stale.json": Operation cannot be fulfilled on configmaps "cfg": the object has been modified; please apply your changes to the latest version and try again'
kc create configmap Bad_Name -n demo
check "an invalid name is a 422 Invalid (RFC 1123 subdomain)" \
    err_has 'ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters'
kc create namespace Bad.NS
check "an invalid namespace name is a 422 Invalid (RFC 1123 label)" \
    err_has 'Namespace "Bad.NS" is invalid: metadata.name: Invalid value: "Bad.NS": a lowercase RFC 1123 label must consist of'
kc create configmap lost -n nowhere
check "create in a missing namespace is a 404 for the namespace" \
    err_has 'namespaces "nowhere" not found'

# --- watch ------------------------------------------------------------------------
kc create namespace watched
( KUBECONFIG=$KCFG HOME=$TMP/home exec timeout 20 "$KUBECTL" get configmaps -n watched -w \
    --output-watch-events >"$TMP/watch.out" 2>"$TMP/watch.err" </dev/null ) &
wpid=$!
wait_watchers 1
kc create configmap w1 -n watched --from-literal=k=v
kc label configmap w1 -n watched seen=yes
kc delete configmap w1 -n watched
for i in $(seq 100); do grep -q DELETED "$TMP/watch.out" 2>/dev/null && break; sleep 0.1; done
kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
OUT=$(cat "$TMP/watch.out"); ERR=$(cat "$TMP/watch.err"); RC=0; LAST="get configmaps -n watched -w --output-watch-events"
check "get -w receives ADDED, MODIFIED and DELETED events in order" \
    eval '[ "$(squeeze | cut -d" " -f1-3 | tr "\n" "|")" = "EVENT NAME DATA|ADDED w1 1|MODIFIED w1 1|DELETED w1 1|" ]'

kc get configmap cfg -n demo -o jsonpath='{.metadata.resourceVersion}'
rv0=$OUT
kc patch configmap cfg -n demo --type=merge -p '{"data":{"e":"1"}}'
kc patch configmap cfg -n demo --type=merge -p '{"data":{"e":"2"}}'
kc get --raw "/api/v1/namespaces/demo/configmaps?watch=1&resourceVersion=$rv0&timeoutSeconds=0.5"
check "a watch from a resourceVersion replays the later events, in order" \
    py '[(e["type"], e["object"]["metadata"]["name"], e["object"]["data"]["e"]) for e in evs] == [("MODIFIED", "cfg", "1"), ("MODIFIED", "cfg", "2")] and int(evs[0]["object"]["metadata"]["resourceVersion"]) < int(evs[1]["object"]["metadata"]["resourceVersion"])'
kc get --raw "/api/v1/namespaces/demo/configmaps?watch=true&resourceVersion=$rv0&allowWatchBookmarks=true&timeoutSeconds=1.5"
check "allowWatchBookmarks brings BOOKMARK events carrying a resourceVersion" \
    py 'any(e["type"] == "BOOKMARK" and int(e["object"]["metadata"]["resourceVersion"]) > int("'"$rv0"'") and e["object"]["kind"] == "ConfigMap" for e in evs)'
kc get --raw "/api/v1/namespaces/demo/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=0.5"
check "sendInitialEvents: ADDED for each object, then the initial-events-end bookmark" \
    py '"BOOKMARK" in (t := [e["type"] for e in evs]) and set(t[:(k := t.index("BOOKMARK"))]) == {"ADDED"} and evs[k]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"] == "true" and "cfg" in [e["object"]["metadata"]["name"] for e in evs[:k]]'
fake_post /_fake/compact '{}'
kc get --raw "/api/v1/namespaces/demo/configmaps?watch=1&resourceVersion=$rv0"
check "after compaction, a watch from an old resourceVersion gets a 410 Expired ERROR event" \
    py 'len(evs) == 1 and evs[0]["type"] == "ERROR" and evs[0]["object"]["code"] == 410 and evs[0]["object"]["reason"] == "Expired" and evs[0]["object"]["message"].startswith("too old resource version: '"$rv0"' (")'

# --- delete, server-side apply ------------------------------------------------------
kc delete configmap cfg -n demo
check "delete" out_is 'configmap "cfg" deleted'
kc get configmap cfg -n demo
check "a deleted object is gone" err_is 'Error from server (NotFound): configmaps "cfg" not found'
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: demo\ndata:\n  a: "1"\n  b: "2"\n' >"$TMP/ssa.yaml"
kc apply --server-side -f "$TMP/ssa.yaml"
check "apply --server-side creates" out_is "configmap/ssa serverside-applied"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: demo\ndata:\n  a: "10"\n' >"$TMP/ssa.yaml"
kc apply --server-side -f "$TMP/ssa.yaml"
kc get configmap ssa -n demo -o json
check "apply --server-side again updates and drops the field no longer applied" \
    py 'd["data"] == {"a": "10"}'

# --- custom resources ------------------------------------------------------------------
cat >"$TMP/crd.yaml" <<'EOF'
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
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    additionalPrinterColumns:
    - name: Size
      type: string
      jsonPath: .spec.size
EOF
printf 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: demo\nspec:\n  size: big\n' >"$TMP/widget.yaml"
kc get widgets -n demo
check "before the CRD, the resource type is unknown" err_has 'the server doesn'"'"'t have a resource type "widgets"'
kc apply -f "$TMP/crd.yaml"
check "apply a CustomResourceDefinition" out_is "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"
kc get crd widgets.example.com -o jsonpath='{.status.conditions[?(@.type=="Established")].status} {.status.acceptedNames.kind}'
check "the CRD is Established with its accepted names" out_is "True Widget"
kc api-resources --api-group=example.com --no-headers
check "the new resource appears in discovery" eval 'squeeze | grep -qx "widgets wg example.com/v1 true Widget"'
kc apply -f "$TMP/widget.yaml"
check "apply a custom resource" out_is "widget.example.com/w1 created"
kc get wg -n demo
check "get by short name prints the CRD's printer columns (and no AGE it did not ask for)" \
    eval '[ "$(squeeze | tr "\n" "|")" = "NAME SIZE|w1 big|" ]'
kc patch widget w1 -n demo --type=merge -p '{"spec":{"size":"small"}}'
kc get widget w1 -n demo -o jsonpath='{.spec.size} {.metadata.generation}'
check "patch --type=merge on a custom resource bumps its generation" out_is "small 2"
kc patch widget w1 -n demo -p '{"spec":{"size":"x"}}'
check "strategic merge patch on a custom resource is refused (415, with the accepted types)" \
    err_has 'application/strategic-merge-patch+json is not supported by example.com/v1, Kind=Widget: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml'
kc delete crd widgets.example.com
check "delete the CRD" out_is 'customresourcedefinition.apiextensions.k8s.io "widgets.example.com" deleted'
kc get --raw /apis/example.com/v1/namespaces/demo/widgets
check "the custom resources and their API are gone with the CRD" eval '[ "$RC" != 0 ]'

# --- namespace deletion ------------------------------------------------------------------
kc delete namespace pages
check "delete namespace" out_is 'namespace "pages" deleted'
kc get --raw /api/v1/namespaces/pages/configmaps
check "the namespace's objects are deleted with it" py 'd["items"] == []'
kc get namespace pages
check "the namespace is gone" err_is 'Error from server (NotFound): namespaces "pages" not found'

# --- fault injection -----------------------------------------------------------------
fake_post /_fake/faults '{"error_rate":1,"error_code":500,"error_count":1,"error_match":"/configmaps"}'
kc get configmaps -n demo
check "an injected 500 reaches kubectl as InternalError" \
    err_has 'Error from server (InternalError): Internal error occurred: injected fault'
kc get configmap app-config -n demo -o name
check "error_count limits the injected errors" out_is "configmap/app-config"
fake_post /_fake/faults '{"error_rate":1,"error_code":429,"error_count":1,"retry_after":1,"error_match":"/configmaps/app-config"}'
kc get configmap app-config -n demo -o name
k429=$OUT
fake GET /_fake/faults
check "kubectl retries an injected 429 (Retry-After) and then succeeds" \
    eval '[ "$k429" = configmap/app-config ] && py "d[\"injected\"] == 1"'
fake_post /_fake/faults '{"latency_ms":400,"latency_match":"/configmaps/app-config"}'
t0=$(date +%s%N)
kc get configmap app-config -n demo -o name
t1=$(date +%s%N)
check "injected latency delays the answer" eval '[ "$OUT" = configmap/app-config ] && [ $(( (t1 - t0) / 1000000 )) -ge 400 ]'
fake_post /_fake/faults '{"hang_match":"hangme"}'
t0=$(date +%s%N)
kc get configmap hangme -n demo --request-timeout=1s
t1=$(date +%s%N)
check "a hanging path is never answered (kubectl times out)" \
    eval '[ "$RC" != 0 ] && [ $(( (t1 - t0) / 1000000 )) -lt 10000 ] && printf "%s" "$ERR" | grep -qiE "timeout|deadline exceeded"'
fake_post /_fake/faults '{"watch_drop_after":2}'
kc get --raw "/api/v1/namespaces/demo/configmaps?watch=1&resourceVersion=0"
check "a watch is cut after watch_drop_after events" \
    eval '[ "$RC" != 0 ] && [ "$RC" != 124 ] && [ "$(printf "%s\n" "$OUT" | grep -c "\"type\":\"ADDED\"")" = 2 ]'
fake DELETE /_fake/faults
kc get configmap app-config -n demo -o name
check "DELETE /_fake/faults clears the faults" out_is "configmap/app-config"

###########################################################################
# Authentication modes, each over TLS.
for mode in token basic cert; do
    if ! await "auth_$mode"; then
        not_ok "auth=$mode: server starts" "$(cat "$TMP/auth_$mode.err")"
        continue
    fi
    kc get namespace default -o name
    check "auth=$mode: the kubeconfig's credentials are accepted" out_is "namespace/default"
    kc create configmap hello --from-literal=x=y
    check "auth=$mode: create configmap (protobuf) over TLS" out_is "configmap/hello created"
    kc apply -f "$TMP/cfg.yaml" -n demo
    check "auth=$mode: apply -f into a missing namespace is refused with 404" \
        err_has 'namespaces "demo" not found'
    case $mode in
        token) bad=(--token=wrong-token) ;;
        basic) bad=(--username=admin --password=wrong) ;;
        cert) bad=(--token=not-a-certificate) ;;
    esac
    OUT=$(KUBECONFIG=/dev/null HOME=$TMP/home timeout 30 "$KUBECTL" --server="$URL" \
        --insecure-skip-tls-verify "${bad[@]}" get namespaces 2>"$TMP/kc.err" </dev/null)
    RC=$? ERR=$(cat "$TMP/kc.err") LAST="get namespaces with wrong credentials"
    check "auth=$mode: wrong credentials get 401 Unauthorized" \
        err_is "error: You must be logged in to the server (Unauthorized)"
    stop_server "auth_$mode"
done

###########################################################################
# --state: objects survive a restart; SIGTERM stops cleanly.
await st
kc create configmap keep --from-literal=k=v
kc get configmap keep -o jsonpath='{.metadata.uid} {.metadata.resourceVersion}'
before=$OUT
stop_server st
st_rc=$?
check "SIGTERM stops the server with exit status 0" eval '[ "$st_rc" = 0 ]'
check "the state file is JSON holding the objects" \
    eval '"$PY" -S -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(o[\"metadata\"][\"name\"] == \"keep\" for o in d[\"objects\"]) else 1)" "$TMP/state.json"'
start_server st "${st_args[@]}"
kc get configmap keep -o jsonpath='{.metadata.uid} {.metadata.resourceVersion} {.data.k}'
check "after a restart with --state the object is back with its uid and resourceVersion" \
    out_is "$before v"
kc create configmap later
kc get configmap later -o jsonpath='{.metadata.resourceVersion}'
check "resourceVersions keep increasing after the restart" \
    eval '[ "$RC" = 0 ] && [ "$OUT" -gt "${before#* }" ]'
stop_server st

###########################################################################
# --load: YAML (the supported subset) and JSON manifests.
if await loaded; then
    kc get configmap yaml-cm -n loaded -o json
    check "--load: YAML block/flow maps, quoted and block scalars come through" \
        py 'd["data"] == {"literal": "line one\nline two\n", "folded": "folded text", "number": "0755", "empty": ""} and d["metadata"]["labels"] == {"app": "demo", "tier": "web"} and d["metadata"]["annotations"]["quoted"] == "tab\there"'
    kc get secret from-list -n loaded -o jsonpath='{.data.password}'
    check "--load: kind List items are loaded (stringData folded into data)" \
        out_is "$(printf hunter2 | base64)"
    kc get service json-svc -n loaded -o jsonpath='{.spec.ports[0].port}'
    check "--load: JSON files in subdirectories are loaded" out_is "8080"
    stop_server loaded
else
    not_ok "--load: server starts" "$(cat "$TMP/loaded.err")"
fi
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  anchor: &a 1\n' >"$TMP/bad.yaml"
mkdir -p "$TMP/badload" && cp "$TMP/bad.yaml" "$TMP/badload/"
OUT=$(timeout 20 "$PY" "$SERVER" --load "$TMP/badload" 2>&1 </dev/null); RC=$? ERR=$OUT LAST="fake-apiserver --load badload"
check "--load: unsupported YAML (anchors) is refused with the file and line" \
    eval '[ "$RC" != 0 ] && printf "%s" "$OUT" | grep -q "bad.yaml: yaml: line 5: anchors"'

###########################################################################
KCFG=$TMP/main.kc
( KUBECONFIG=$KCFG HOME=$TMP/home exec timeout 20 "$KUBECTL" get namespaces -w \
    >"$TMP/lastwatch.out" 2>&1 </dev/null ) &
wpid=$!
wait_watchers 1
stop_server main
main_rc=$?
wait "$wpid"
watch_rc=$?
check "SIGTERM stops the server with a watch open: exit status 0, the watch ends cleanly" \
    eval '[ "$main_rc" = 0 ] && [ "$watch_rc" = 0 ]' || echo "#   server exit $main_rc, watch exit $watch_rc: $(cat "$TMP/lastwatch.out")"

echo "1..$n"
[ "$failed" -eq 0 ]
