#!/usr/bin/env bash
# TAP tests for ferry's Kubernetes API client (src/kube) through `ferry get`,
# `ferry api-resources` and `ferry ns`, against tests/support/fake-apiserver:
# every authentication mode (token, tokenFile, basic, client certificates from
# files and data, exec plugins v1 and v1beta1 with their caching and errors,
# in-cluster service accounts), TLS settings (CA file/data, insecure,
# tls-server-name, proxy-url), paging across many pages, selectors, retries on
# 429/500, the client-side rate limit, timeouts, kubectl's error messages,
# and watches that resume after a dropped stream and after 410 Gone.
#
# Environment: FERRY (the binary). Only 127.0.0.1 is contacted.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
FERRY=${FERRY:-$HERE/../../build/ferry}
TMP_PREFIX=ferry-kube
# shellcheck source=../support/fakeapi.sh
. "$HERE/../support/fakeapi.sh"

if [ ! -x "$FERRY" ]; then
    echo "1..0 # SKIP ferry binary not found ($FERRY)"
    exit 0
fi



# fr ARGS...: ferry with KUBECONFIG=$KCFG. Sets OUT, ERR, RC, LAST, MS (elapsed).
fr() {
    LAST="$*"
    local t0 t1
    t0=$(date +%s%N)
    OUT=$(KUBECONFIG=$KCFG HOME=$TMP/home timeout 60 "$FERRY" "$@" 2>"$TMP/fr.err" </dev/null)
    RC=$?
    t1=$(date +%s%N)
    MS=$(( (t1 - t0) / 1000000 ))
    ERR=$(cat "$TMP/fr.err")
}
lines() { printf '%s\n' "$OUT" | grep -c .; }

# fake METHOD PATH [JSON]: the server at $URL, no credentials (the /_fake
# endpoints and, on the main server, the API). Sets OUT and RC.
fake() {
    OUT=$("$PY" -S - "$URL" "$@" 2>"$TMP/fake.err" <<'PYEOF'
import ssl, sys, urllib.request, urllib.error
base, method, path = sys.argv[1:4]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
req = urllib.request.Request(base + path, data=body, method=method,
                             headers={"Content-Type": "application/json"})
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
try:
    print(urllib.request.urlopen(req, context=ctx, timeout=10).read().decode())
except urllib.error.HTTPError as e:
    print(e.read().decode()); sys.exit(1)
PYEOF
    )
    RC=$?
}
faults() { fake POST /_fake/faults "$1"; }
clear_faults() { fake DELETE /_fake/faults; }
mkcm() {  # NS NAME [LABELS-JSON]
    fake POST "/api/v1/namespaces/$1/configmaps" \
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"$2\",\"labels\":${3:-{\}}},\"data\":{\"k\":\"v\"}}" >/dev/null
}
# Python expression over the request log: r = list of requests since the
# last clear_requests.
requests_py() {
    fake GET /_fake/requests
    printf '%s' "$OUT" | "$PY" -S -c 'import json,sys; r=json.load(sys.stdin)["items"]; sys.exit(0 if eval(sys.argv[1]) else 1)' "$1"
}
clear_requests() { fake DELETE /_fake/requests >/dev/null; }

# --- servers -------------------------------------------------------------------
# Objects for the main server: 1,234 ConfigMaps in "pages", a few labelled.
mkdir -p "$TMP/load"
"$PY" -S -c '
import json, sys
items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in ("pages", "demo", "w")]
items += [{"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "cm-%04d" % i, "namespace": "pages",
                        "labels": {"tier": "gold" if i % 100 == 7 else "plain"}},
           "data": {"i": str(i)}} for i in range(1234)]
items += [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "demo"},
           "spec": {"replicas": 2}}]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"))
' "$TMP/load/objects.json"
CERTS=$TMP/certs
launch main --tls --cert-dir "$CERTS" --load "$TMP/load" --bookmark-interval 0.3
if ! await main; then
    echo "Bail out! the fake API server did not start: $(cat "$TMP/main.err")"
    exit 1
fi
MAIN_URL=$URL MAIN_KC=$KCFG
launch token --tls --cert-dir "$CERTS" --auth token --token s3cr3t-token
launch basic --tls --cert-dir "$CERTS" --auth basic --username alice --password wonderland
launch cert --tls --cert-dir "$CERTS" --auth cert
launch plain  # plain HTTP, for the proxy test
CA=$CERTS/ca.crt
[ -f "$CA" ] || CA=$(ls "$CERTS"/*ca*.crt 2>/dev/null | head -1)
PORT=${MAIN_URL##*:}

use_main() { URL=$MAIN_URL KCFG=$MAIN_KC; }

# A kubeconfig for a server, written from parts. Usage:
#   kubeconfig FILE SERVER-URL CLUSTER-YAML-LINES USER-YAML-LINES
kubeconfig() {
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster:
    server: $2
$3
contexts:
- name: x
  context:
    cluster: c
    user: u
current-context: x
users:
- name: u
  user:
$4
EOF
}

###########################################################################
use_main
fr get ns default -o name
check "TLS with the CA from certificate-authority-data, no auth" out_is "namespace/default"

fr get configmaps -n pages -o name
check "a list of 1,234 objects arrives whole, in order (default chunk size 500)" \
    eval '[ "$RC" = 0 ] && [ "$(lines)" = 1234 ] && [ "$(printf "%s\n" "$OUT" | head -1)" = configmap/cm-0000 ] && [ "$(printf "%s\n" "$OUT" | tail -1)" = configmap/cm-1233 ]'

clear_requests
fr get configmaps -n pages -o name --chunk-size=100
names=$OUT
check "--chunk-size=100 reads 13 pages, each with limit=100, the later ones with continue" \
    eval '[ "$(printf "%s\n" "$names" | grep -c .)" = 1234 ] && requests_py "len([x for x in r if x[\"path\"] == \"/api/v1/namespaces/pages/configmaps\"]) == 13 and all(\"limit=100\" in x[\"query\"] for x in r if x[\"path\"].endswith(\"/configmaps\")) and sum(\"continue=\" in x[\"query\"] for x in r) == 12"'
check "paged output has no duplicates" eval '[ "$(printf "%s\n" "$names" | sort -u | grep -c .)" = 1234 ]'

fr get configmaps -n pages -o json --chunk-size=100
check "-o json across pages is one List with every item" \
    eval '[ "$RC" = 0 ] && printf "%s" "$OUT" | "$PY" -S -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d[\"kind\"] == \"List\" and len(d[\"items\"]) == 1234 and d[\"items\"][0][\"kind\"] == \"ConfigMap\" else 1)"'

fr get configmaps -n pages -l tier=gold -o name
check "label selector" eval '[ "$RC" = 0 ] && [ "$(lines)" = 13 ] && [ "$(printf "%s\n" "$OUT" | head -1)" = configmap/cm-0007 ]'
fr get configmaps -n pages -l 'tier in (gold),tier!=plain' -o name
check "set-based label selector is sent escaped" eval '[ "$RC" = 0 ] && [ "$(lines)" = 13 ]'
fr get configmaps -n pages --field-selector metadata.name=cm-0042 -o name
check "field selector" out_is "configmap/cm-0042"
fr get configmaps -n pages --field-selector spec.foo=bar
check "an unsupported field selector is the server's 400, as kubectl prints it (its own prefix too)" \
    err_is 'Error from server (BadRequest): Unable to find "/v1, Resource=configmaps" that match label selector "", field selector "spec.foo=bar": Unable to find "/v1, Resource=configmaps" that match label selector "", field selector "spec.foo=bar": field label not supported: spec.foo'

for arg in deployments deployment deploy Deployment deployments.apps deployment.v1.apps Deployment.v1.apps; do
    fr get "$arg" -n demo -o name
    check "resource type '$arg' resolves to deployments.apps" out_is "deployment.apps/web"
done
fr get cm/cm-0001 -n pages -o name
check "TYPE/NAME" out_is "configmap/cm-0001"
fr get nosuchthing
check "an unknown type: kubectl's message" err_is 'error: the server doesn'"'"'t have a resource type "nosuchthing"'
fr get configmap cm-9999 -n pages
check "a missing object: kubectl's NotFound message" err_is 'Error from server (NotFound): configmaps "cm-9999" not found'
fr get configmaps -n empty
check "an empty list: 'No resources found in empty namespace.' on stderr" \
    eval '[ "$RC" = 0 ] && [ -z "$OUT" ] && [ "$ERR" = "No resources found in empty namespace." ]'

###########################################################################
# Errors as kubectl prints them.
faults '{"error_rate":1,"error_code":403,"error_match":"/deployments","error_reason":"Forbidden","error_message":"deployments.apps is forbidden: User \"x\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"demo\""}'
fr get deployments -n demo
check "403 Status: Error from server (Forbidden): <the server's message>" \
    err_is 'Error from server (Forbidden): deployments.apps is forbidden: User "x" cannot list resource "deployments" in API group "apps" in the namespace "demo"'
faults '{"error_rate":1,"error_code":502,"error_match":"/configmaps","error_text":"upstream broke"}'
fr get configmaps -n demo --kube-api-qps=0
check "a 5xx without a Status: client-go's generic message, after the retries" \
    err_is 'Error from server (InternalError): an error on the server ("upstream broke") has prevented the request from succeeding (get configmaps)'
faults '{"error_rate":1,"error_code":418,"error_match":"/configmaps","error_text":"teapot"}'
fr get configmaps -n demo
check "another status without a Status body" \
    err_is 'Error from server (Unknown): the server responded with the status code 418 but did not return more information (get configmaps)'
clear_faults

fr --server "https://127.0.0.1:1" get configmaps
check "connection refused: kubectl's message" \
    err_is 'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?'
check "connection refused fails within a second or two (few, short retries)" eval '[ "$MS" -lt 3000 ]'
fr --server "ftp://127.0.0.1:1" get configmaps
check "an unsupported scheme" err_is 'Unable to connect to the server: unsupported protocol scheme "ftp"'
fr --context nope get configmaps
check "a context that does not exist" err_is 'Error in configuration: context was not found for specified context: nope'
fr --request-timeout=abc get configmaps
check "a bad --request-timeout" \
    err_is 'error: Invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)'

###########################################################################
# Timeouts, retries, the rate limit.
faults '{"hang_match":"hangme"}'
fr get configmap hangme -n demo --request-timeout=1s
check "--request-timeout: a server that never answers" \
    eval 'err_is "Unable to connect to the server: net/http: request canceled (Client.Timeout exceeded while awaiting headers)" && [ "$MS" -lt 5000 ]'
clear_faults

clear_requests
faults '{"error_rate":1,"error_code":429,"retry_after":1,"error_count":2,"error_match":"/configmaps/cm-0003"}'
fr get configmap cm-0003 -n pages -o name
t429=$MS
check "429 with Retry-After is retried (after the server's delay) until it succeeds" \
    eval '[ "$OUT" = configmap/cm-0003 ] && [ "$t429" -ge 2000 ] && requests_py "[x[\"code\"] for x in r if x[\"path\"].endswith(\"/cm-0003\")] == [429, 429, 200]"'
clear_requests
faults '{"error_rate":1,"error_code":500,"error_count":2,"error_match":"/configmaps/cm-0004"}'
fr get configmap cm-0004 -n pages -o name
check "500 is retried with backoff until it succeeds" \
    eval '[ "$OUT" = configmap/cm-0004 ] && requests_py "[x[\"code\"] for x in r if x[\"path\"].endswith(\"/cm-0004\")] == [500, 500, 200]"'
clear_requests
faults '{"error_rate":1,"error_code":500,"error_match":"/configmaps/cm-0005"}'
fr get configmap cm-0005 -n pages
check "a 500 that persists: 6 attempts, then the server's message" \
    eval 'err_is "Error from server (InternalError): Internal error occurred: injected fault" && requests_py "len([x for x in r if x[\"path\"].endswith(\"/cm-0005\")]) == 6"'
clear_faults
clear_requests
faults '{"error_rate":1,"error_code":500,"error_count":1,"error_match":"continue="}'
fr get configmaps -n pages -o name --chunk-size=300
check "a page that fails is retried, the list stays complete" \
    eval '[ "$RC" = 0 ] && [ "$(lines)" = 1234 ] && [ "$(printf "%s\n" "$OUT" | sort -u | grep -c .)" = 1234 ]'
clear_faults

fr get configmaps -n pages -o name --chunk-size=50 --kube-api-qps=5 --kube-api-burst=1
slow=$MS
check "--kube-api-qps=5 --kube-api-burst=1: 27 requests take at least 5 s" eval '[ "$RC" = 0 ] && [ "$slow" -ge 5000 ]'
fr get configmaps -n pages -o name --chunk-size=50
check "the default limit (50/s, burst 100) does not slow the same 27 requests" eval '[ "$RC" = 0 ] && [ "$MS" -lt 3000 ]'

###########################################################################
# TLS settings.
kubeconfig "$TMP/cafile.kc" "$MAIN_URL" "    certificate-authority: certs/ca.crt" "    token: unused"
mkdir -p "$TMP/certs" 2>/dev/null
KCFG=$TMP/cafile.kc fr get ns default -o name
check "certificate-authority as a file, relative to the kubeconfig" out_is "namespace/default"
kubeconfig "$TMP/noca.kc" "$MAIN_URL" "" "    token: unused"
KCFG=$TMP/noca.kc fr get ns default -o name
check "no CA: the server certificate is refused with kubectl's message" \
    err_is "Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority"
KCFG=$TMP/noca.kc fr --insecure-skip-tls-verify get ns default -o name
check "--insecure-skip-tls-verify" out_is "namespace/default"
KCFG=$TMP/noca.kc fr --certificate-authority "$CA" get ns default -o name
check "--certificate-authority FILE" out_is "namespace/default"
kubeconfig "$TMP/sni.kc" "https://127.0.0.1:$PORT" "    certificate-authority: $CA
    tls-server-name: localhost" "    token: unused"
KCFG=$TMP/sni.kc fr get ns default -o name
check "tls-server-name: the certificate is checked against that name" out_is "namespace/default"
KCFG=$TMP/sni.kc fr --tls-server-name=wrong.example get ns default -o name
check "tls-server-name that the certificate does not carry is refused" \
    err_has "Unable to connect to the server: tls: failed to verify certificate: x509: certificate is not valid for wrong.example"

# proxy-url: a small CONNECT/absolute-URI proxy that logs what it forwards.
cat >"$TMP/proxy.py" <<'EOF'
import socket, sys, threading
log = open(sys.argv[1], "a")
srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(16)
print(srv.getsockname()[1], flush=True)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            b.sendall(d)
    except OSError: pass
    finally:
        for s in (a, b):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
def handle(c):
    head = b""
    while b"\r\n\r\n" not in head:
        d = c.recv(65536)
        if not d: return
        head += d
    line = head.split(b"\r\n", 1)[0].decode()
    log.write(line + "\n"); log.flush()
    method, target, _ = line.split(" ", 2)
    if method == "CONNECT":
        host, port = target.rsplit(":", 1)
        up = socket.create_connection((host, int(port)))
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        rest = head.split(b"\r\n\r\n", 1)[1]
        if rest: up.sendall(rest)
    else:
        hostport = target.split("/")[2]
        host, port = hostport.rsplit(":", 1)
        up = socket.create_connection((host, int(port)))
        path = "/" + target.split("/", 3)[3]
        up.sendall(head.replace(target.encode(), path.encode(), 1))
    threading.Thread(target=pipe, args=(up, c), daemon=True).start()
    pipe(c, up)
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
EOF
( exec "$PY" -S "$TMP/proxy.py" "$TMP/proxy.log" >"$TMP/proxy.port" 2>/dev/null ) &
PIDS+=("$!")
for i in $(seq 100); do [ -s "$TMP/proxy.port" ] && break; sleep 0.05; done
PROXY_PORT=$(cat "$TMP/proxy.port")
kubeconfig "$TMP/proxy.kc" "$MAIN_URL" "    certificate-authority: $CA
    proxy-url: http://127.0.0.1:$PROXY_PORT" "    token: unused"
KCFG=$TMP/proxy.kc fr get ns default -o name
check "proxy-url: HTTPS through the proxy's CONNECT" \
    eval '[ "$OUT" = namespace/default ] && grep -q "^CONNECT 127.0.0.1:$PORT " "$TMP/proxy.log"'

###########################################################################
# Authentication.
if await token; then
    TOKEN_URL=$URL TOKEN_KC=$KCFG
    fr get ns default -o name
    check "auth=token: the kubeconfig's bearer token" out_is "namespace/default"
    fr --token=wrong get ns default -o name
    check "auth=token: a wrong token is kubectl's Unauthorized message (discovery words it from the status code)" \
        err_is "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
    printf 's3cr3t-token\n' >"$TMP/token.txt"
    kubeconfig "$TMP/tokenfile.kc" "$TOKEN_URL" "    certificate-authority: $CA" "    tokenFile: token.txt"
    KCFG=$TMP/tokenfile.kc fr get ns default -o name
    check "auth=token: tokenFile, relative to the kubeconfig, newline trimmed" out_is "namespace/default"
    KCFG=$TMP/tokenfile.kc fr --username a --password b get ns default -o name
    check "token and basic auth together are refused as kubectl refuses them" \
        err_is "error: more than one authentication method found for u; found [token basicAuth], only one is allowed"

    # In-cluster: the service account directory, no kubeconfig.
    mkdir -p "$TMP/sa"
    printf 's3cr3t-token' >"$TMP/sa/token"; cp "$CA" "$TMP/sa/ca.crt"; printf 'pages' >"$TMP/sa/namespace"
    OUT=$(KUBECONFIG=$TMP/none.kc HOME=$TMP/home KUBERNETES_SERVICE_HOST=127.0.0.1 \
        KUBERNETES_SERVICE_PORT=${TOKEN_URL##*:} FERRY_SERVICEACCOUNT_DIR=$TMP/sa \
        timeout 30 "$FERRY" get configmaps 2>"$TMP/fr.err" </dev/null)
    RC=$? ERR=$(cat "$TMP/fr.err") LAST="get configmaps (in cluster)"
    check "in-cluster: token, CA and namespace from the service account directory" \
        eval '[ "$RC" = 0 ] && [ -z "$OUT" ] && [ "$ERR" = "No resources found in pages namespace." ]'
    OUT=$(KUBECONFIG=$TMP/none.kc HOME=$TMP/home KUBERNETES_SERVICE_HOST=127.0.0.1 \
        KUBERNETES_SERVICE_PORT=1 FERRY_SERVICEACCOUNT_DIR=$TMP/nosa \
        timeout 30 "$FERRY" get configmaps 2>"$TMP/fr.err" </dev/null)
    RC=$? ERR=$(cat "$TMP/fr.err") LAST="get configmaps (no service account)"
    check "no kubeconfig and no service account token: localhost:8080, as kubectl" \
        err_is "The connection to the server localhost:8080 was refused - did you specify the right host or port?"

    # Exec plugins.
    cat >"$TMP/plugin.sh" <<'EOF'
#!/bin/sh
# args: LOG TOKEN [API-VERSION] [EXPIRY]
echo "run $* MYVAR=$MYVAR" >>"$1"
printf '%s\n' "$KUBERNETES_EXEC_INFO" >>"$1.info"
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s"%s}}\n' \
    "${3:-client.authentication.k8s.io/v1}" "$2" "${4:+,\"expirationTimestamp\":\"$4\"}"
EOF
    chmod +x "$TMP/plugin.sh"
    exec_kc() {  # FILE TOKEN API-VERSION [EXPIRY] [extra yaml]
        kubeconfig "$1" "$TOKEN_URL" "    certificate-authority: $CA" "    exec:
      apiVersion: $3
      command: ./plugin.sh
      args: [\"$TMP/exec.log\", \"$2\", \"$3\", \"${4:-}\"]
      env:
      - name: MYVAR
        value: from-kubeconfig
      interactiveMode: Never
      provideClusterInfo: true${5:-}"
    }
    rm -f "$TMP/exec.log" "$TMP/exec.log.info"
    exec_kc "$TMP/exec.kc" s3cr3t-token client.authentication.k8s.io/v1
    KCFG=$TMP/exec.kc fr get namespaces -o name --chunk-size=1
    check "exec plugin (v1): its token is used for every request" eval '[ "$RC" = 0 ] && [ "$(lines)" = 4 ]'
    check "exec plugin: run once per process (credentials cached), args and env passed" \
        eval '[ "$(grep -c ^run "$TMP/exec.log")" = 1 ] && grep -q "MYVAR=from-kubeconfig" "$TMP/exec.log"'
    check "exec plugin: KUBERNETES_EXEC_INFO carries the request and the cluster (provideClusterInfo)" \
        eval '"$PY" -S -c "
import json, sys, base64
d = json.loads(open(sys.argv[1]).readline())
c = d[\"spec\"][\"cluster\"]
ok = d[\"kind\"] == \"ExecCredential\" and d[\"apiVersion\"] == \"client.authentication.k8s.io/v1\" and d[\"spec\"][\"interactive\"] is False and c[\"server\"] == sys.argv[2] and base64.b64decode(c[\"certificate-authority-data\"]) == open(sys.argv[3], \"rb\").read() and \"config\" in c
sys.exit(0 if ok else 1)" "$TMP/exec.log.info" "$TOKEN_URL" "$CA"'
    rm -f "$TMP/exec.log"
    exec_kc "$TMP/exec-exp.kc" s3cr3t-token client.authentication.k8s.io/v1beta1 2000-01-01T00:00:00Z
    KCFG=$TMP/exec-exp.kc fr get namespaces -o name --chunk-size=1
    check "exec plugin (v1beta1) with an expired expirationTimestamp runs again for each request" \
        eval '[ "$RC" = 0 ] && [ "$(grep -c ^run "$TMP/exec.log")" -ge 4 ]'
    rm -f "$TMP/exec.log"
    exec_kc "$TMP/exec-bad.kc" not-the-token client.authentication.k8s.io/v1
    KCFG=$TMP/exec-bad.kc fr get ns default
    check "exec plugin whose token is refused: run again once, then Unauthorized" \
        eval 'err_is "error: You must be logged in to the server (the server has asked for the client to provide credentials)" && [ "$(grep -c ^run "$TMP/exec.log")" = 2 ]'
    exec_kc "$TMP/exec-ver.kc" s3cr3t-token client.authentication.k8s.io/v1
    sed -i 's#"client.authentication.k8s.io/v1", ""\]#"client.authentication.k8s.io/v1beta1", ""]#' "$TMP/exec-ver.kc"
    KCFG=$TMP/exec-ver.kc fr get ns default
    check "exec plugin answering another apiVersion: kubectl's message" \
        err_is "Unable to connect to the server: getting credentials: exec plugin is configured to use API version client.authentication.k8s.io/v1, plugin returned version client.authentication.k8s.io/v1beta1"
    exec_kc "$TMP/exec-missing.kc" x client.authentication.k8s.io/v1 "" "
      installHint: install it with your package manager"
    sed -i 's#command: ./plugin.sh#command: no-such-plugin-anywhere#' "$TMP/exec-missing.kc"
    KCFG=$TMP/exec-missing.kc fr get ns default
    check "exec plugin not installed: kubectl's message and the install hint" \
        err_is "Unable to connect to the server: getting credentials: exec: executable no-such-plugin-anywhere not found

It looks like you are trying to use a client-go credential plugin that is not installed.

To learn more about this feature, consult the documentation available at:
      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins

install it with your package manager"
    exec_kc "$TMP/exec-fail.kc" x client.authentication.k8s.io/v1
    sed -i 's#command: ./plugin.sh#command: /bin/false#' "$TMP/exec-fail.kc"
    KCFG=$TMP/exec-fail.kc fr get ns default
    check "exec plugin that fails" \
        err_is "Unable to connect to the server: getting credentials: exec: executable /bin/false failed with exit code 1"
    kubeconfig "$TMP/exec-nomode.kc" "$TOKEN_URL" "    certificate-authority: $CA" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh"
    KCFG=$TMP/exec-nomode.kc fr get ns default
    check "exec v1 without interactiveMode is refused" \
        err_has "interactiveMode must be specified for u to use exec authentication plugin"
else
    not_ok "auth=token server starts" "$(cat "$TMP/token.err")"
fi

if await basic; then
    fr get ns default -o name
    check "auth=basic: user and password from the kubeconfig" out_is "namespace/default"
    fr --password=wrong get ns default -o name
    check "auth=basic: a wrong password is Unauthorized" \
        err_is "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
else
    not_ok "auth=basic server starts" "$(cat "$TMP/basic.err")"
fi

if await cert; then
    CERT_URL=$URL
    fr get ns default -o name
    check "auth=cert: client certificate and key from *-data" out_is "namespace/default"
    "$PY" -S - "$KCFG" "$TMP" <<'EOF'
import base64, re, sys
text = open(sys.argv[1]).read()
for key, name in (("client-certificate-data", "client.crt"), ("client-key-data", "client.key")):
    m = re.search(key + r": (\S+)", text)
    open(sys.argv[2] + "/" + name, "wb").write(base64.b64decode(m.group(1)))
EOF
    kubeconfig "$TMP/certfile.kc" "$CERT_URL" "    certificate-authority: $CA" "    client-certificate: client.crt
    client-key: client.key"
    KCFG=$TMP/certfile.kc fr get ns default -o name
    check "auth=cert: client-certificate and client-key files, relative to the kubeconfig" \
        out_is "namespace/default"
    kubeconfig "$TMP/nocert.kc" "$CERT_URL" "    certificate-authority: $CA" "    token: not-a-cert"
    KCFG=$TMP/nocert.kc fr get ns default -o name
    check "auth=cert: no certificate is Unauthorized" \
        err_is "error: You must be logged in to the server (the server has asked for the client to provide credentials)"
    # An exec plugin that returns the certificate and key.
    cat >"$TMP/certplugin.sh" <<EOF
#!/bin/sh
"$PY" -S -c 'import json; print(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": {"clientCertificateData": open("$TMP/client.crt").read(), "clientKeyData": open("$TMP/client.key").read()}}))'
EOF
    chmod +x "$TMP/certplugin.sh"
    kubeconfig "$TMP/certexec.kc" "$CERT_URL" "    certificate-authority: $CA" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $TMP/certplugin.sh
      interactiveMode: IfAvailable"
    KCFG=$TMP/certexec.kc fr get ns default -o name
    check "auth=cert: an exec plugin's clientCertificateData/clientKeyData" out_is "namespace/default"
else
    not_ok "auth=cert server starts" "$(cat "$TMP/cert.err")"
fi

if await plain; then
    kubeconfig "$TMP/plainproxy.kc" "$URL" "    proxy-url: http://127.0.0.1:$PROXY_PORT" ""
    sed -i '/^  user:$/d; s/^- name: u$/- name: u\n  user: {}/' "$TMP/plainproxy.kc"
    KCFG=$TMP/plainproxy.kc fr get ns default -o name
    check "proxy-url: plain HTTP through the proxy (absolute URI)" \
        eval '[ "$OUT" = namespace/default ] && grep -q "^GET $URL/api" "$TMP/proxy.log"'
fi

# HTTP/2: nginx in front of the plain server, offering h2 by ALPN.
if command -v nginx >/dev/null && [ -n "${URL:-}" ] && [ -f "$CERTS/server.crt" ]; then
    NG_PORT=$("$PY" -S -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$TMP/nginx"
    cat >"$TMP/nginx/nginx.conf" <<EOF
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 127.0.0.1:$NG_PORT ssl http2;
        ssl_certificate $CERTS/server.crt;
        ssl_certificate_key $CERTS/server.key;
        location / { proxy_pass $URL; proxy_http_version 1.1; proxy_buffering off; }
    }
}
EOF
    ( exec nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" 2>"$TMP/nginx/stderr" ) &
    PIDS+=("$!")
    for i in $(seq 100); do
        "$PY" -S -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$NG_PORT" 2>/dev/null && break
        sleep 0.05
    done
    kubeconfig "$TMP/h2.kc" "https://127.0.0.1:$NG_PORT" "    certificate-authority: $CA" "    token: unused"
    KCFG=$TMP/h2.kc fr get namespaces -o name -v=7
    check "HTTP/2 when the server offers it (ALPN), every request on it" \
        eval '[ "$(lines)" = 4 ] && [ "$(printf "%s\n" "$ERR" | grep -c "Response protocol: HTTP/2")" -ge 3 ] && ! printf "%s" "$ERR" | grep -q "Response protocol: HTTP/1"'
else
    n=$((n + 1)); echo "ok $n - HTTP/2 when the server offers it # SKIP no nginx"
fi

###########################################################################
# ferry ns
use_main
fr ns
check "ns lists the cluster's namespaces, the current one marked" \
    out_is "$(printf '* default\n  demo\n  kube-node-lease\n  kube-public\n  kube-system\n  pages\n  w')"
fr ns -n pages
check "ns marks the namespace in use (-n)" eval '[ "$RC" = 0 ] && printf "%s\n" "$OUT" | grep -qx "\* pages" && printf "%s\n" "$OUT" | grep -qx "  default"'
fr --server https://127.0.0.1:1 ns
check "ns with an unreachable cluster: the current namespace, a warning, exit 1" \
    eval '[ "$RC" = 1 ] && [ "$OUT" = "* default" ] && printf "%s" "$ERR" | grep -q "^warning: .*The connection to the server 127.0.0.1:1 was refused"'

###########################################################################
# Watches.
watch_start() {  # OUTFILE ARGS...: ferry get -w in the background; sets WPID
    local out=$1; shift
    ( KUBECONFIG=$MAIN_KC HOME=$TMP/home exec timeout 60 "$FERRY" get configmaps -n w -w \
        --output-watch-events -o name "$@" >"$out" 2>"$out.err" </dev/null ) &
    WPID=$!
    PIDS+=("$WPID")
}
wait_lines() {  # FILE N: waits (10 s at most) for N lines
    local i
    for i in $(seq 200); do
        [ "$(grep -c . "$1" 2>/dev/null)" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}
wait_watchers() {
    local i
    for i in $(seq 100); do
        fake GET /_fake/stats
        printf '%s' "$OUT" | "$PY" -S -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["watchers"] >= int(sys.argv[1]) else 1)' "$1" && return 0
        sleep 0.05
    done
    return 1
}
# -o json output events, one compact line each: "TYPE name".
events_of() {
    "$PY" -S -c '
import json, sys
dec = json.JSONDecoder(); text = open(sys.argv[1]).read(); i = 0
while True:
    while i < len(text) and text[i].isspace(): i += 1
    if i >= len(text): break
    e, i = dec.raw_decode(text, i)
    print(e["type"], e["object"]["metadata"]["name"])' "$1"
}

use_main
mkcm w before
clear_requests
faults '{"watch_drop_after":1}'   # every stream is cut after its first event
( KUBECONFIG=$MAIN_KC HOME=$TMP/home exec timeout 60 "$FERRY" get configmaps -n w -w \
    --output-watch-events -o json --request-timeout=30s >"$TMP/w1.out" 2>"$TMP/w1.err" </dev/null ) &
WPID=$!; PIDS+=("$WPID")
wait_watchers 1
for i in 1 2 3 4; do mkcm w "drop-$i"; sleep 0.3; done
clear_faults
mkcm w after-drops
for i in $(seq 100); do grep -q after-drops "$TMP/w1.out" && break; sleep 0.05; done
got=$(events_of "$TMP/w1.out" | tr '\n' '|')
check "watch: the list first, then every event exactly once across dropped streams" \
    eval '[ "$got" = "ADDED before|ADDED drop-1|ADDED drop-2|ADDED drop-3|ADDED drop-4|ADDED after-drops|" ] || { echo "#   got: $got"; sed "s/^/#   /" "$TMP/w1.err"; false; }'
check "watch: each dropped stream was resumed from the last resourceVersion seen" \
    requests_py '[x["query"].split("resourceVersion=")[1].split("&")[0] for x in r if "watch=true" in x["query"]][:5] == sorted(set([x["query"].split("resourceVersion=")[1].split("&")[0] for x in r if "watch=true" in x["query"]][:5]), key=int) and len([x for x in r if "watch=true" in x["query"]]) >= 5'
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null

# 410 Gone: the resumed watch finds its resourceVersion compacted away.
faults '{"watch_drop_after":1}'
( KUBECONFIG=$MAIN_KC HOME=$TMP/home exec timeout 60 "$FERRY" get configmaps -n w -w -v=2 \
    --output-watch-events -o json --request-timeout=30s >"$TMP/w2.out" 2>"$TMP/w2.err" </dev/null ) &
WPID=$!; PIDS+=("$WPID")
wait_watchers 1
faults '{"watch_drop_after":1,"latency_ms":1500,"latency_match":"watch=true"}'
mkcm w gone-1
sleep 0.5   # the stream is cut after gone-1; the reconnect waits 1.5 s in the server
mkcm w gone-2                 # not seen by the watch ...
fake POST /_fake/compact '{}' # ... and forgotten by the server: the resume gets 410
fake DELETE /api/v1/namespaces/w/configmaps/before
clear_faults
sleep 1.5
mkcm w after-gone
for i in $(seq 150); do grep -q after-gone "$TMP/w2.out" && break; sleep 0.05; done
got=$(events_of "$TMP/w2.out" | sed -n '7,$p' | tr '\n' '|')
check "watch: after 410 Gone the list is read again; the differences arrive as events; the watch resumes" \
    eval '[ "$got" = "ADDED gone-1|ADDED gone-2|DELETED before|ADDED after-gone|" ] && grep -q "is gone, listing again" "$TMP/w2.err" || { echo "#   got: $got"; sed "s/^/#   /" "$TMP/w2.err"; false; }'
kill "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null

fr get configmaps -n w -w -o name --request-timeout=1s
check "watch: --request-timeout ends it cleanly (exit 0), as kubectl" \
    eval '[ "$RC" = 0 ] && [ "$MS" -lt 4000 ] && printf "%s\n" "$OUT" | grep -qx configmap/after-gone'

echo "1..$n"
[ "$failed" -eq 0 ]
