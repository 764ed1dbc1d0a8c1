#!/usr/bin/env bash
# TAP tests for `ferry backup` against tests/support/fake-apiserver loaded
# with tests/integration/fixtures/backup (namespaces web, db, tools, other;
# Deployments, a StatefulSet, Services, an Ingress, ConfigMaps, Secrets,
# PVCs bound to zoned PVs, a CRD and its Widgets), into the built-in local
# location (HOME is a temporary directory): the layout of the tarball
# checked with the real tar and by parsing every file, the resource list and
# the record against it, every filter and the cluster-resource rules, 403 on
# one resource, server errors (retried, or recorded), an interrupted backup,
# names already taken, an unreachable location, get from a second cluster,
# describe, logs (no Secret data), download and delete.
#
# Environment: FERRY (the binary). Only 127.0.0.1 is contacted.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FERRY=${FERRY:-$HERE/../../build/ferry}
TMP_PREFIX=ferry-backup
# shellcheck source=../support/fakeapi.sh
. "$HERE/../support/fakeapi.sh"

if [ ! -x "$FERRY" ]; then
    echo "1..0 # SKIP ferry binary not found ($FERRY)"
    exit 0
fi

FIXTURES=$HERE/fixtures/backup
export HOME=$TMP/home FERRY_CONFIG=$TMP/ferry.yaml
mkdir -p "$HOME"
BK=$HOME/.local/share/ferry/backups/backups # the built-in location's backups

# The Secret values of the fixtures, base64 and decoded: never in logs or output.
SECRETS=(cGFzc3dvcmQ9czNjcjN0LVBhNTV3MHJkLWRi s3cr3t-Pa55w0rd-db dG9rLTlmOGU3ZDZjNWI0YQ== tok-9f8e7d6c5b4a)


# fr ARGS...: ferry against the current server. Sets OUT, ERR, RC, LAST.
fr() {
    LAST="$*"
    OUT=$(KUBECONFIG=$KCFG timeout 60 "$FERRY" "$@" 2>"$TMP/fr.err" </dev/null)
    RC=$?
    ERR=$(cat "$TMP/fr.err")
}

# fake METHOD PATH [JSON]: the fake server's control endpoints.
fake() {
    "$PY" -S - "$URL" "$@" >/dev/null 2>&1 <<'PYEOF'
import sys, urllib.request
base, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(base + path, data=body, method=method,
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10).read()
PYEOF
}
faults() { fake POST /_fake/faults "$1"; }
clear_faults() { fake DELETE /_fake/faults; }

# inspect NAME: reads backups/NAME from the location and writes a summary
# to $TMP/NAME.json: the tar members (read with Python's tarfile), each
# parsed as exactly one JSON object, layout problems, the record, the
# resource list and what the tarball says the list should be.
inspect() {
    "$PY" -S - "$BK/$1" "$1" >"$TMP/$1.json" <<'PYEOF'
import gzip, json, os, sys, tarfile
d, name = sys.argv[1:3]
s = {"paths": [], "objs": {}, "problems": [], "files": sorted(os.listdir(d)) if os.path.isdir(d) else []}
rec = os.path.join(d, "velero-backup.json")
s["rec"] = json.load(open(rec)) if os.path.exists(rec) else None
rl = os.path.join(d, name + "-resource-list.json.gz")
s["list"] = json.loads(gzip.open(rl).read()) if os.path.exists(rl) else None
tb = os.path.join(d, name + ".tar.gz")
expect = {}
if os.path.exists(tb):
    with tarfile.open(tb, "r:gz") as t:
        for m in t.getmembers():
            data = t.extractfile(m).read()
            s["paths"].append(m.name)
            if m.name == "metadata/version":
                s["version"] = data.decode()
                continue
            try:
                obj = json.loads(data)  # exactly one value, or it raises
            except ValueError as e:
                s["problems"].append("%s: %s" % (m.name, e)); continue
            if not isinstance(obj, dict):
                s["problems"].append(m.name + ": not an object"); continue
            s["objs"][m.name] = obj
            parts = m.name.split("/")
            md = obj.get("metadata", {})
            av, kind = obj.get("apiVersion", ""), obj.get("kind", "")
            group = av.split("/")[0] if "/" in av else ""
            if parts[0] != "resources" or parts[-1] != md.get("name", "") + ".json":
                s["problems"].append(m.name + ": name")
            res = parts[1]
            if (res.split(".", 1) + [""])[1] != group:
                s["problems"].append(m.name + ": group " + group)
            if md.get("namespace"):
                if parts[2:4] != ["namespaces", md["namespace"]] or len(parts) != 5:
                    s["problems"].append(m.name + ": namespace")
                entry = md["namespace"] + "/" + md["name"]
            else:
                if parts[2] != "cluster" or len(parts) != 4:
                    s["problems"].append(m.name + ": cluster")
                entry = md["name"]
            expect.setdefault(av + "/" + kind, []).append(entry)
s["expect"] = {k: sorted(v) for k, v in expect.items()}
s["names"] = sorted(k for k in s["objs"])
json.dump(s, sys.stdout)
PYEOF
}
# q NAME EXPR: a Python expression over the summary s of backup NAME.
q() {
    "$PY" -S -c '
import json, sys
s = json.load(open(sys.argv[1]))
objs = s["objs"]
def has(p): return any(k.startswith("resources/" + p) for k in objs)
def kinds(): return sorted(set(k.split("/")[1] for k in objs))
def ns(): return sorted(set(k.split("/")[3] for k in objs if k.split("/")[2] == "namespaces"))
def cluster(res): return sorted(k.split("/")[3][:-5] for k in objs if k.split("/")[1] == res and k.split("/")[2] == "cluster")
r = eval(sys.argv[2])
if not r:
    print("# summary: paths=%s problems=%s rec.status=%s" % (s["paths"], s["problems"], (s["rec"] or {}).get("status")))
sys.exit(0 if r else 1)' "$TMP/$1.json" "$2"
}
qc() {  # qc NAME DESCRIPTION EXPR
    local out
    if out=$(q "$1" "$3"); then ok "$2"; else not_ok "$2" "expr: $3" "$out"; fi
}

# --- servers -------------------------------------------------------------------
# Server c: 1,234 ConfigMaps in one namespace, three pages of 500.
mkdir -p "$TMP/bulk"
"$PY" -S -c '
import json, sys
items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bulk"}}]
items += [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-%04d" % i, "namespace": "bulk"},
           "data": {"i": str(i)}} for i in range(1234)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"))
' "$TMP/bulk/cms.json"
launch a --load "$FIXTURES"
launch b --context-name other-cluster
launch c --load "$TMP/bulk"
if ! await a || ! await b || ! await c; then
    echo "Bail out! the fake API servers did not start: $(cat "$TMP/a.err" "$TMP/b.err" "$TMP/c.err")"
    exit 1
fi
await c
C_URL=$URL C_KC=$KCFG
await a
A_URL=$URL A_KC=$KCFG
await b
B_KC=$KCFG
URL=$A_URL KCFG=$A_KC

###########################################################################
# A whole-cluster backup.
fr backup create full --wait
check "create: Completed, Velero's lines" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -qx "Backup request \"full\" submitted successfully." && printf "%s\n" "$OUT" | grep -q "^Backup completed with status: Completed\."'
check "create: quiet on stderr when it is not a terminal" eval '[ -z "$ERR" ]'
check "the location holds the four files of Velero's layout" eval '[ "$(ls "$BK/full" | tr "\n" " ")" = "full-logs.gz full-resource-list.json.gz full.tar.gz velero-backup.json " ]'
check "the real tar reads the tarball" eval 'tar -tzf "$BK/full/full.tar.gz" >"$TMP/full.tar.txt" && grep -qx "metadata/version" "$TMP/full.tar.txt"'
check "tar lists a namespaced object at resources/<plural>.<group>/namespaces/<ns>/<name>.json" \
    grep -qx "resources/deployments.apps/namespaces/web/web.json" "$TMP/full.tar.txt"
check "core objects at resources/<plural>/..., cluster-scoped at .../cluster/<name>.json" \
    eval 'grep -qx "resources/secrets/namespaces/db/db-credentials.json" "$TMP/full.tar.txt" && grep -qx "resources/persistentvolumes/cluster/pv-postgres.json" "$TMP/full.tar.txt" && grep -qx "resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.example.com.json" "$TMP/full.tar.txt"'
inspect full
qc full "every file is one JSON object whose path matches its kind, namespace and name" 's["problems"] == [] and len(objs) == 31'
qc full "metadata/version is Velero's format version" 's["version"] == "1.1.0\n"'
qc full "objects are as the API returned them, kind and apiVersion filled in" \
    'objs["resources/widgets.example.com/namespaces/web/banner.json"]["spec"] == {"color": "blue", "size": 3} and objs["resources/widgets.example.com/namespaces/web/banner.json"]["apiVersion"] == "example.com/v1" and objs["resources/persistentvolumes/cluster/pv-postgres.json"]["spec"]["csi"]["volumeHandle"] == "projects/p/zones/us-central1-a/disks/d"'
qc full "Secrets are backed up with their data (a restore needs it)" \
    'objs["resources/secrets/namespaces/db/db-credentials.json"]["data"]["credentials"] == "cGFzc3dvcmQ9czNjcjN0LVBhNTV3MHJkLWRi"'
qc full "nodes and events.k8s.io events are never taken; the CR's CRD is" \
    'not has("nodes") and not has("events.events.k8s.io") and cluster("customresourcedefinitions.apiextensions.k8s.io") == ["widgets.example.com"]'
qc full "the resource list is exactly what the tarball holds, sorted" 's["list"] == s["expect"] and s["list"]["v1/ConfigMap"] == ["db/postgres-config", "other/other-config", "tools/tools-settings", "web/web-config"]'
qc full "the record: velero.io/v1 Backup, Completed, counts, formatVersion, TTL, location" \
    's["rec"]["kind"] == "Backup" and s["rec"]["apiVersion"] == "velero.io/v1" and s["rec"]["metadata"]["namespace"] == "velero" and s["rec"]["metadata"]["labels"]["velero.io/storage-location"] == "default" and s["rec"]["status"]["phase"] == "Completed" and s["rec"]["status"]["version"] == 1 and s["rec"]["status"]["formatVersion"] == "1.1.0" and s["rec"]["status"]["progress"] == {"totalItems": 31, "itemsBackedUp": 31} and s["rec"]["spec"]["ttl"] == "720h0m0s" and s["rec"]["spec"]["includedNamespaces"] == ["*"] and "expiration" in s["rec"]["status"]'

fr backup logs full
check "logs: Velero-like logfmt lines, one per resource listed" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -q "^time=\"[0-9T:-]*Z\" level=info msg=\"Backed up 2 items\" backup=velero/full resource=secrets$"'
LOGS_FULL=$OUT

fr backup get
check "get: Velero's columns, one row" eval '[ "$RC" = 0 ] && [ "$(printf "%s\n" "$OUT" | head -1)" = "NAME   STATUS      ERRORS   WARNINGS   CREATED                         EXPIRES   STORAGE LOCATION   SELECTOR" ] && printf "%s\n" "$OUT" | sed -n 2p | grep -Eq "^full   Completed   0        0          [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} \+0000 UTC   (29|30)d       default            <none>$"'
fr backup get full -o json
check "get NAME -o json: the Backup object" eval '[ "$RC" = 0 ] && printf "%s" "$OUT" | "$PY" -S -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"kind\"] == \"Backup\" and d[\"status\"][\"phase\"] == \"Completed\" else 1)"'
fr backup get -o yaml
check "get -o yaml: a BackupList" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -qx "kind: BackupList" && printf "%s\n" "$OUT" | grep -qx "    name: full"'
KCFG=$B_KC fr backup get full
check "get from a second cluster (another kubeconfig) lists it at once" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -q "^full   Completed"'

fr backup describe full --details
check "describe --details: phase, counts and the resource list per type" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -qx "Phase:  Completed" && printf "%s\n" "$OUT" | grep -qx "Items backed up:              31" && printf "%s\n" "$OUT" | grep -A2 -x "  example.com/v1/Widget:" | grep -qx "    - web/banner"'
fr backup describe full
check "describe without --details does not list resources" eval '[ "$RC" = 0 ] && ! printf "%s\n" "$OUT" | grep -q "web/banner"'

sum_before=$(cat "$BK"/full/* | md5sum)
fr backup create full
check "an existing name is refused, and the backup is untouched" eval 'err_has "backup \"full\" already exists in location \"default\"" && [ -z "$OUT" ] && [ "$(cat "$BK"/full/* | md5sum)" = "$sum_before" ]'
fr backup create Bad_Name
check "an invalid name is refused" err_has 'invalid backup name "Bad_Name"'

###########################################################################
# Filters.
fr backup create only-web --include-namespaces web
inspect only-web
qc only-web "--include-namespaces web: only web's objects" 'ns() == ["web"] and s["problems"] == []'
qc only-web "… its Namespace, the PV its PVC is bound to, the CRD of its Widget; no other cluster objects" \
    'cluster("namespaces") == ["web"] and cluster("persistentvolumes") == ["pv-web-data"] and cluster("customresourcedefinitions.apiextensions.k8s.io") == ["widgets.example.com"] and not has("storageclasses") and not has("clusterroles")'

fr backup create no-other --exclude-namespaces other,tools
inspect no-other
qc no-other "--exclude-namespaces other,tools: every other namespace, only the related cluster objects" \
    'ns() == ["db", "web"] and cluster("persistentvolumes") == ["pv-postgres", "pv-web-data"] and "other" not in cluster("namespaces") and "web" in cluster("namespaces") and not has("storageclasses")'

fr backup create web-nocluster --include-namespaces web --include-cluster-resources=false
inspect web-nocluster
qc web-nocluster "--include-cluster-resources=false: no cluster-scoped object at all" \
    'ns() == ["web"] and not any(k.split("/")[2] == "cluster" for k in objs)'
fr backup get web-nocluster -o json
check "… recorded in the spec" eval 'printf "%s" "$OUT" | grep -q "\"includeClusterResources\": false"'

fr backup create web-cluster --include-namespaces web --include-cluster-resources=true
inspect web-cluster
qc web-cluster "--include-cluster-resources=true: every cluster object, Namespaces still by the namespace filter" \
    'ns() == ["web"] and cluster("persistentvolumes") == ["pv-other", "pv-postgres", "pv-web-data"] and cluster("storageclasses.storage.k8s.io") == ["standard-rwo"] and cluster("namespaces") == ["web"]'

fr backup create some-kinds --include-resources deploy,svc,cm
inspect some-kinds
qc some-kinds "--include-resources with short names: only those types" \
    'kinds() == ["configmaps", "deployments.apps", "services"]'
fr backup create star --include-namespaces '*' --include-resources '*' --exclude-resources secrets,persistentvolumes
inspect star
qc star "'*' and --exclude-resources: everything but those" \
    'not has("secrets") and not has("persistentvolumes/") and has("configmaps") and cluster("storageclasses.storage.k8s.io") == ["standard-rwo"]'
fr backup create widgets --include-resources widgets.example.com --include-namespaces tools
inspect widgets
qc widgets "plural.group names a custom resource; with a namespace filter its CRD comes along" \
    'sorted(objs) == ["resources/customresourcedefinitions.apiextensions.k8s.io/cluster/widgets.example.com.json", "resources/widgets.example.com/namespaces/tools/gadget.json"]'
fr backup create typo --include-resources deploy,nosuchthing
inspect typo
qc typo "an unknown resource name is a warning, the rest is backed up" \
    'kinds() == ["deployments.apps"] and s["rec"]["status"]["warnings"] == 1 and s["rec"]["status"]["phase"] == "Completed"'
fr backup logs typo
check "… the warning names it in the logs" eval 'printf "%s\n" "$OUT" | grep -q "level=warning.*nosuchthing"'

fr backup create labelled -l app=web
inspect labelled
qc labelled "-l app=web: only labelled objects, namespaced and cluster-scoped" \
    'sorted(objs) == sorted(["resources/configmaps/namespaces/web/web-config.json", "resources/secrets/namespaces/web/web-tls.json", "resources/persistentvolumeclaims/namespaces/web/web-data.json", "resources/services/namespaces/web/web.json", "resources/deployments.apps/namespaces/web/web.json", "resources/ingresses.networking.k8s.io/namespaces/web/web.json", "resources/widgets.example.com/namespaces/web/banner.json", "resources/clusterroles.rbac.authorization.k8s.io/cluster/web-reader.json"])'
qc labelled "… the selector recorded as a LabelSelector" 's["rec"]["spec"]["labelSelector"] == {"matchLabels": {"app": "web"}}'
fr backup get labelled
check "… and shown in the SELECTOR column" eval 'printf "%s\n" "$OUT" | sed -n 2p | grep -q "   app=web$"'
fr backup create set-sel -l 'app in (web,postgres),!missing' --ttl 24h
inspect set-sel
qc set-sel "set-based selectors and --ttl" \
    's["rec"]["spec"]["labelSelector"] == {"matchExpressions": [{"key": "app", "operator": "In", "values": ["postgres", "web"]}, {"key": "missing", "operator": "DoesNotExist"}]} and s["rec"]["spec"]["ttl"] == "24h0m0s" and has("statefulsets.apps") and has("deployments.apps")'
fr backup get set-sel
check "… formatted back as Kubernetes does, expiring in 23h" eval 'printf "%s\n" "$OUT" | sed -n 2p | grep -Eq "   (23h|1d) .*   app in \(postgres,web\),!missing$"'

# Selectors with blanks, as kubectl takes them (the server gets the text).
fr backup create sel-spaced -l 'app = web'
inspect sel-spaced
qc sel-spaced "-l 'app = web': the same objects as -l app=web, recorded the same" \
    'sorted(objs) == sorted(json.load(open(sys.argv[1].replace("sel-spaced", "labelled")))["objs"]) and s["rec"]["spec"]["labelSelector"] == {"matchLabels": {"app": "web"}}'
fr backup create sel-in -l 'app in (web, postgres)'
inspect sel-in
qc sel-in "-l 'app in (web, postgres)': both apps' objects, values as a sorted set" \
    'ns() == ["db", "web"] and has("statefulsets.apps") and has("deployments.apps") and s["rec"]["spec"]["labelSelector"] == {"matchExpressions": [{"key": "app", "operator": "In", "values": ["postgres", "web"]}]} and s["rec"]["status"]["phase"] == "Completed"'
fr backup create sel-not -l '!app'
inspect sel-not
qc sel-not "-l '!app': only objects without the label" \
    'len(objs) > 0 and all("app" not in o["metadata"].get("labels", {}) for o in objs.values()) and "resources/configmaps/namespaces/tools/tools-settings.json" in objs and s["rec"]["spec"]["labelSelector"] == {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}'
fr backup create sel-notin -l 'tier notin (x)'
inspect sel-notin
qc sel-notin "-l 'tier notin (x)': no object has tier=x, so all 31 are taken" \
    'len(objs) == 31 and s["rec"]["spec"]["labelSelector"] == {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["x"]}]}'
fr backup get sel-notin
check "… and shown in the SELECTOR column as Kubernetes formats it" eval 'printf "%s\n" "$OUT" | sed -n 2p | grep -q "   tier notin (x)$"'
fr backup create sel-bad -l 'app web'
check "an invalid selector: kubectl's message, nothing written" \
    eval 'err_has "couldn'"'"'t parse the selector string \"app web\": unable to parse requirement: found '"'"'web'"'"', expected: in, notin, =, ==, !=, gt, lt" && [ -z "$OUT" ] && [ ! -e "$BK/sel-bad" ]'

# The CRDs of the custom resources --include-resources names.
fr backup create crs --include-resources widgets
inspect crs
qc crs "--include-resources widgets: the Widgets and their CRD, nothing else" \
    'kinds() == ["customresourcedefinitions.apiextensions.k8s.io", "widgets.example.com"] and cluster("customresourcedefinitions.apiextensions.k8s.io") == ["widgets.example.com"] and s["list"] == s["expect"]'
fr backup create crs-nocluster --include-resources widgets --include-cluster-resources=false
inspect crs-nocluster
qc crs-nocluster "… not with --include-cluster-resources=false" 'kinds() == ["widgets.example.com"]'
fr backup create crs-cluster --include-resources widgets --include-cluster-resources=true
inspect crs-cluster
qc crs-cluster "… with =true, the CRD of the Widgets, not every cluster object" \
    'kinds() == ["customresourcedefinitions.apiextensions.k8s.io", "widgets.example.com"]'
fr backup create crs-excluded --include-resources widgets --exclude-resources crd
inspect crs-excluded
qc crs-excluded "… nor when --exclude-resources names CRDs" 'kinds() == ["widgets.example.com"]'
fr backup create crs-deploy --include-resources deploy
inspect crs-deploy
qc crs-deploy "no custom resource named: no CRD" 'kinds() == ["deployments.apps"]'

###########################################################################
# Failures.
faults '{"error_rate":1,"error_code":403,"error_match":"/secrets","error_reason":"Forbidden","error_message":"secrets is forbidden: User \"backup\" cannot list resource \"secrets\" in API group \"\" at the cluster scope"}'
fr backup create forbidden
clear_faults
inspect forbidden
check "403 on one resource: exit 1, PartiallyFailed on stderr" eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "backup \"forbidden\" partially failed: 1 error"'
qc forbidden "… recorded PartiallyFailed with 1 error; everything else is in the tarball" \
    's["rec"]["status"]["phase"] == "PartiallyFailed" and s["rec"]["status"]["errors"] == 1 and not has("secrets") and has("configmaps") and len(objs) == 29 and s["list"] == s["expect"]'
fr backup logs forbidden
check "… the server's message is in the logs" eval 'printf "%s\n" "$OUT" | grep -q "level=error msg=\"Error listing items\" backup=velero/forbidden error=\"Error from server (Forbidden): secrets is forbidden: .*resource=secrets$"'

faults '{"error_rate":1,"error_code":500,"error_count":2,"error_match":"/configmaps"}'
fr backup create flaky
clear_faults
inspect flaky
qc flaky "500s on a list are retried: Completed with every object" 's["rec"]["status"]["phase"] == "Completed" and len(objs) == 31'

faults '{"error_rate":1,"error_code":500,"error_match":"/apis/apps/v1/deployments"}'
fr backup create broken --kube-api-qps=0
clear_faults
inspect broken
qc broken "a resource that keeps failing after the retries: PartiallyFailed, the rest backed up" \
    's["rec"]["status"]["phase"] == "PartiallyFailed" and not has("deployments.apps") and has("statefulsets.apps")'

# Faults in the middle of a paged list (server c: the later pages carry a
# continue token).
URL=$C_URL KCFG=$C_KC
faults '{"error_rate":1,"error_code":500,"error_count":2,"error_match":"/configmaps\\?.*continue="}'
fr backup create midlist --include-namespaces bulk
clear_faults
inspect midlist
qc midlist "500s on a later page are retried: Completed, all 1,234 ConfigMaps once each" \
    's["rec"]["status"]["phase"] == "Completed" and len(s["list"]["v1/ConfigMap"]) == 1234 and len(set(s["list"]["v1/ConfigMap"])) == 1234 and s["list"] == s["expect"]'
faults '{"error_rate":1,"error_code":500,"error_match":"/configmaps\\?.*continue="}'
fr backup create midlist-broken --include-namespaces bulk --kube-api-qps=0
clear_faults
inspect midlist-broken
qc midlist-broken "a later page that keeps failing: PartiallyFailed, the first page kept and listed" \
    's["rec"]["status"]["phase"] == "PartiallyFailed" and s["rec"]["status"]["errors"] == 1 and len(s["list"]["v1/ConfigMap"]) == 500 and s["list"] == s["expect"]'
URL=$A_URL KCFG=$A_KC

# An interrupted backup: the list is slowed, SIGINT arrives during it.
faults '{"latency_ms":1500,"latency_match":"/api/v1/configmaps"}'
( KUBECONFIG=$KCFG exec "$FERRY" backup create cut >"$TMP/cut.out" 2>"$TMP/cut.err" ) &
CUT=$!
sleep 0.7
kill -INT "$CUT"
wait "$CUT"
RC=$? LAST="backup create cut (SIGINT)" OUT=$(cat "$TMP/cut.out") ERR=$(cat "$TMP/cut.err")
clear_faults
inspect cut
check "SIGINT: exit 1, the reason on stderr" eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "backup \"cut\" failed: interrupted by SIGINT"'
qc cut "… recorded as Failed with the reason; no tarball is left" \
    's["rec"]["status"]["phase"] == "Failed" and s["rec"]["status"]["failureReason"] == "interrupted by SIGINT" and s["files"] == ["cut-logs.gz", "velero-backup.json"]'

# SIGTERM, as a scheduler or a container runtime would stop it.
faults '{"latency_ms":1500,"latency_match":"/api/v1/configmaps"}'
( KUBECONFIG=$KCFG exec "$FERRY" backup create termed >/dev/null 2>"$TMP/termed.err" ) &
CUT=$!
sleep 0.7
kill -TERM "$CUT"
wait "$CUT"
RC=$?
clear_faults
inspect termed
qc termed "SIGTERM: Failed, interrupted by SIGTERM" \
    's["rec"]["status"]["phase"] == "Failed" and s["rec"]["status"]["failureReason"] == "interrupted by SIGTERM" and "termed.tar.gz" not in s["files"]'

# The storage fails part way: files may not grow past 2 KiB (RLIMIT_FSIZE,
# SIGXFSZ ignored so that write(2) fails with EFBIG); the tarball is bigger,
# the logs and the record are not.
( trap '' XFSZ; ulimit -f 2; KUBECONFIG=$KCFG exec "$FERRY" backup create nospace >/dev/null 2>"$TMP/nospace.err" )
RC=$? LAST="backup create nospace (ulimit -f 2)" OUT= ERR=$(cat "$TMP/nospace.err")
inspect nospace
check "a storage failure: exit 1, the reason on stderr" eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "backup \"nospace\" failed: .*too large"'
qc nospace "… recorded as Failed with the storage's message; no tarball, no resource list" \
    's["rec"]["status"]["phase"] == "Failed" and "too large" in s["rec"]["status"]["failureReason"] and s["files"] == ["nospace-logs.gz", "velero-backup.json"]'

# A backup whose record is missing (cut between the tarball and the record).
cp -r "$BK/full" "$BK/halfway"
for f in "$BK"/halfway/full*; do mv "$f" "${f/\/full/\/halfway}"; done
rm "$BK/halfway/velero-backup.json"
fr backup get halfway
check "a backup without its record is listed as Failed" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | sed -n 2p | grep -q "^halfway   Failed "'
fr backup describe halfway
check "… and describe says why" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -q "^Failure reason:  incomplete: no velero-backup.json"'

fr backup describe nosuch
check "describe of a missing backup" err_has 'backup "nosuch" not found in location "default"'

# A location that cannot be reached fails fast (in a config file of its own,
# where it is the only location and so the default).
export AWS_ACCESS_KEY_ID=AKIAFERRYTEST AWS_SECRET_ACCESS_KEY=not-a-real-key
FERRY_CONFIG=$TMP/dead.yaml "$FERRY" backup-location create dead --provider s3 --bucket b \
    --config region=us-east-1,s3Url=http://127.0.0.1:1,s3ForcePathStyle=true >/dev/null 2>&1
t0=$(date +%s%N)
FERRY_CONFIG=$TMP/dead.yaml fr backup create nowhere
t1=$(date +%s%N)
check "an unreachable location: a clear error naming it within seconds, nothing backed up" \
    eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "\"dead\"" && [ $(( (t1 - t0) / 1000000 )) -lt 10000 ] && [ -z "$OUT" ]'
FERRY_CONFIG=$TMP/dead.yaml fr backup get
check "get from it fails the same way" eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "\"dead\""'
fr backup create nowhere --storage-location missing
check "an unknown location is named" err_has 'missing'

# A cluster that cannot be reached: kubectl's message before anything is
# submitted or written; the name stays free.
sed "s#server: .*#server: https://127.0.0.1:1#" "$A_KC" >"$TMP/dead.kc"
KCFG=$TMP/dead.kc fr backup create unreachable
check "an unreachable cluster: exit 1 with kubectl's connection message, nothing submitted" \
    eval '[ "$RC" = 1 ] && [ "$ERR" = "error: The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?" ] && [ -z "$OUT" ]'
check "… nothing written to the location" eval '[ ! -e "$BK/unreachable" ]'
fr backup create unreachable --include-namespaces web
check "… and the name can be used once the cluster answers" eval '[ "$RC" = 0 ] && [ -e "$BK/unreachable/velero-backup.json" ]'
# Ctrl-C during discovery (slowed): nothing had been written, nothing is.
faults '{"latency_ms":1500,"latency_match":"^/apis"}'
( KUBECONFIG=$KCFG exec "$FERRY" backup create early >"$TMP/early.out" 2>"$TMP/early.err" ) &
CUT=$!
sleep 0.7
kill -INT "$CUT"
wait "$CUT"
RC=$? LAST="backup create early (SIGINT)" OUT=$(cat "$TMP/early.out") ERR=$(cat "$TMP/early.err")
clear_faults
check "SIGINT during discovery: exit 1, nothing submitted, nothing written" \
    eval '[ "$RC" = 1 ] && [ "$ERR" = "error: backup \"early\" interrupted by SIGINT before it started; nothing was written" ] && [ -z "$OUT" ] && [ ! -e "$BK/early" ]'
faults '{"error_rate":1,"error_code":500,"error_match":"^/apis$"}'
fr backup create nodiscovery --kube-api-qps=0
clear_faults
check "discovery that keeps failing: exit 1 with the server's message, nothing written" \
    eval '[ "$RC" = 1 ] && printf "%s\n" "$ERR" | grep -q "^error: " && ! printf "%s\n" "$OUT" | grep -q submitted && [ ! -e "$BK/nodiscovery" ]'

###########################################################################
# No Secret data in logs or terminal output.
all_logs=$LOGS_FULL
for b in forbidden labelled cut; do fr backup logs "$b"; all_logs+=$OUT; done
leak=0
for s in "${SECRETS[@]}"; do printf '%s' "$all_logs" | grep -qF -- "$s" && leak=1; done
check "logs never hold Secret values (base64 or decoded)" eval '[ "$leak" = 0 ] && [ -n "$all_logs" ]'
fr backup describe labelled --details
leak=0
for s in "${SECRETS[@]}"; do printf '%s%s' "$OUT" "$ERR" | grep -qF -- "$s" && leak=1; done
check "nor does describe --details" eval '[ "$leak" = 0 ] && printf "%s\n" "$OUT" | grep -qx "    - web/web-tls"'

###########################################################################
# download and delete.
cd "$TMP" || exit 1
fr backup download full
check "download: ./NAME-data.tar.gz, the stored tarball byte for byte" eval '[ "$RC" = 0 ] && cmp -s "$TMP/full-data.tar.gz" "$BK/full/full.tar.gz" && printf "%s\n" "$OUT" | grep -qx "Backup full has been successfully downloaded to $TMP/full-data.tar.gz"'
fr backup download full
check "download refuses to overwrite without --force" eval 'err_has "already exists" && [ -z "$(ls "$TMP" | grep "full-data.tar.gz\.")" ]'
fr backup download full -o "$TMP/x/y.tar.gz"
check "download to a missing directory fails without leaving files, naming the file asked for" eval '[ "$RC" = 1 ] && [ ! -e "$TMP/x" ] && err_has "error: cannot create $TMP/x/y.tar.gz: no such file or directory"'
fr backup describe ../full
check "describe: a name that is not a backup name is refused as such" eval 'err_has "invalid backup name \"../full\""'
fr backup get full ../full
check "get: likewise" eval 'err_has "invalid backup name \"../full\""'
fr backup download nosuch -o "$TMP/n.tgz"
check "download of a missing backup: not found, no file" eval 'err_has "backup \"nosuch\" not found" && [ -z "$(ls "$TMP" | grep "^n.tgz")" ]'

fr backup delete full
check "delete without --confirm is refused when stdin is not a terminal" eval 'err_has "without --confirm" && [ -e "$BK/full/velero-backup.json" ]'
fr backup delete full --confirm
check "delete --confirm removes every object of the backup" eval '[ "$RC" = 0 ] && [ -z "$(ls -A "$BK/full" 2>/dev/null)" ] && [ -e "$BK/only-web/velero-backup.json" ]'
fr backup get full
check "… and it is gone from get" err_has 'backup "full" not found in location "default"'
fr backup delete full --confirm
check "deleting it again: not found" err_has 'backup "full" not found'

fr backup delete
check "delete with neither names nor --all is refused" err_has 'you must specify exactly one of: specific backup name(s), or the --all flag'
fr backup delete only-web --all --confirm
check "… as are names with --all, and nothing is deleted" eval 'err_has "exactly one of" && [ -e "$BK/only-web/velero-backup.json" ]'
fr backup delete sel-in sel-not
check "delete of several names without --confirm is refused" eval 'err_has "refusing to delete 2 backups without --confirm" && [ -e "$BK/sel-in/velero-backup.json" ]'
fr backup delete sel-in sel-not --confirm
check "delete a b --confirm: both gone, the others kept" eval '[ "$RC" = 0 ] && [ -z "$(ls -A "$BK/sel-in" "$BK/sel-not" 2>/dev/null)" ] && [ -e "$BK/sel-spaced/velero-backup.json" ] && [ "$(printf "%s\n" "$OUT" | grep -c "^Backup \"sel-[a-z]*\" deleted from location \"default\"\.$")" = 2 ]'
fr backup delete sel-spaced nosuch sel-notin --confirm
check "a missing name among several: exit 1, named, the others deleted" eval '[ "$RC" = 1 ] && err_has "backup \"nosuch\" not found" && [ -z "$(ls -A "$BK/sel-spaced" "$BK/sel-notin" 2>/dev/null)" ]'
fr backup delete --all
check "delete --all without --confirm is refused" eval 'err_has "refusing to delete every backup of the location without --confirm" && [ -e "$BK/only-web/velero-backup.json" ]'
fr backup delete --all --confirm
check "delete --all --confirm removes every backup, incomplete ones too" eval '[ "$RC" = 0 ] && [ -z "$(find "$BK" -type f 2>/dev/null)" ] && printf "%s\n" "$OUT" | grep -qx "Backup \"halfway\" deleted from location \"default\"."'
fr backup get
check "… get lists nothing" eval '[ "$RC" = 0 ] && [ -z "$OUT" ]'
fr backup delete --all --confirm
check "delete --all with no backup says so" eval '[ "$RC" = 0 ] && [ "$OUT" = "No backups found in location \"default\"." ]'

echo "1..$n"
[ "$failed" = 0 ]
