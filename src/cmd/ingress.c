/* ferry ingress serve: the proxy, fed by the manifests provider or, as an
 * Ingress controller, by the Kubernetes API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmds.h"
#include "core/cli.h"
#include "kube/client.h"
#include "kube/commands.h"
#include "kube/leader.h"
#include "ingress/serve.h"
#include "proxy/serve.h"

static const struct cli_flag serve_flags[] = {
    {"access-log", 0, CLI_STRING, "on", "One line per request on standard output: on or off"},
    {"client-body-timeout", 0, CLI_STRING, "60s",
     "Longest wait between two reads of a request body"},
    {"client-header-timeout", 0, CLI_STRING, "60s",
     "Longest time from the first byte of a request to the end of its head (408)"},
    {"controller", 0, CLI_STRING, INGRESS_CONTROLLER_DEFAULT,
     "The spec.controller of the IngressClasses that are ferry's"},
    {"default-backend-service", 0, CLI_STRING, "",
     "NS/NAME: the Service for requests no Ingress rule matches (an Ingress defaultBackend "
     "wins)"},
    {"default-ssl-certificate", 0, CLI_STRING, "",
     "NS/NAME: the kubernetes.io/tls Secret served for names no Ingress's spec.tls covers "
     "(default: a self-signed certificate made at start)"},
    {"election-id", 0, CLI_STRING, "ferry-ingress-controller-leader",
     "Name of the Lease that elects the replica writing Ingress status"},
    {"election-namespace", 0, CLI_STRING, "",
     "Namespace of that Lease (default: $POD_NAMESPACE, else \"default\")"},
    {"http-listen", 0, CLI_STRING, ":80", "Address for plain HTTP, e.g. :80 or 127.0.0.1:8080"},
    {"https-listen", 0, CLI_STRING, ":443",
     "Address for HTTPS, e.g. :443 or 127.0.0.1:8443 (none when empty)"},
    {"in-cluster", 0, CLI_BOOL, "false",
     "Reach the API with the pod's service account (KUBERNETES_SERVICE_HOST/PORT)"},
    {"ingress-class", 0, CLI_STRING, INGRESS_CLASS_DEFAULT,
     "The ingress class served (ingressClassName or the kubernetes.io/ingress.class annotation)"},
    {"keepalive-requests", 0, CLI_INT, "0", "Requests per client connection (0: no limit)"},
    {"keepalive-timeout", 0, CLI_STRING, "75s", "How long an idle client connection is kept"},
    {"lease-duration", 0, CLI_STRING, "15s",
     "How long a leader's Lease holds without renewal before another replica takes it"},
    {"lease-renew-deadline", 0, CLI_STRING, "10s",
     "How long the leader keeps trying to renew before it steps down"},
    {"lease-retry-period", 0, CLI_STRING, "2s", "Time between two election attempts"},
    {"manifests", 0, CLI_STRING, "",
     "File or directory of YAML/JSON manifests (Ingress, IngressClass, Service, Endpoints, "
     "EndpointSlice, Secret), watched for changes"},
    {"max-connections", 0, CLI_INT, "16384", "Client connections per worker"},
    {"max-header-bytes", 0, CLI_INT, "32768", "Largest request header section (431 beyond)"},
    {"max-headers", 0, CLI_INT, "100", "Most request header fields (431 beyond)"},
    {"max-request-line", 0, CLI_INT, "8192", "Longest request line (414 beyond)"},
    {"metrics-listen", 0, CLI_STRING, "",
     "Address for /healthz and /readyz, e.g. :10254 (none when empty)"},
    {"publish-service", 0, CLI_STRING, "",
     "NS/NAME: the Service whose load balancer addresses go into the Ingresses' status"},
    {"publish-status-address", 0, CLI_STRING, "",
     "ADDR[,ADDR...]: the addresses written into the Ingresses' status instead"},
    {"send-timeout", 0, CLI_STRING, "60s", "Longest wait for a client to take response bytes"},
    {"shutdown-grace-period", 0, CLI_STRING, "30s",
     "On SIGTERM/SIGINT: how long requests in flight may take to finish"},
    {"tunnel-timeout", 0, CLI_STRING, "1h", "Idle timeout of upgraded (WebSocket) connections"},
    {"update-status-on-shutdown", 0, CLI_BOOL, "true",
     "When the leader stops and no other replica runs (not a rolling update), clear the "
     "addresses it wrote into the Ingresses' status"},
    {"upstream-connect-timeout", 0, CLI_STRING, "5s", "Longest wait for an upstream connection"},
    {"upstream-keepalive", 0, CLI_INT, "320",
     "Idle upstream connections kept per endpoint and worker"},
    {"upstream-keepalive-timeout", 0, CLI_STRING, "60s",
     "How long an idle upstream connection is kept"},
    {"upstream-timeout", 0, CLI_STRING, "60s",
     "Longest wait between two reads from, or writes to, an upstream (504)"},
    {"upstream-tries", 0, CLI_INT, "3", "Endpoints tried when connections cannot be made"},
    {"use-forwarded-headers", 0, CLI_BOOL, "false",
     "Trust the clients' X-Forwarded-For (appended to), X-Forwarded-Proto, -Host and -Port "
     "(passed on), as behind another proxy; otherwise they are replaced"},
    {"watch-namespace", 0, CLI_STRING, "", "Watch only this namespace (default: all)"},
    {"workers", 0, CLI_INT, "0", "Worker threads, each with its own listener (0: one per CPU)"},
    {NULL, 0, 0, NULL, NULL},
};

static int get_ms(const struct cli_ctx *c, const char *name, uint32_t *ms)
{
    uint64_t v = 0;
    if (proxy_parse_duration(cli_str(c, name), &v) < 0 || v > UINT32_MAX)
        return cli_usage_error(c, "invalid argument \"%s\" for \"--%s\" flag: not a duration",
                               cli_str(c, name), name);
    *ms = (uint32_t)v;
    return 0;
}

static int get_uint(const struct cli_ctx *c, const char *name, uint32_t min, uint32_t *v)
{
    long x = strtol(cli_str(c, name), NULL, 0);
    if (x < (long)min || x > 1000000000L)
        return cli_usage_error(c, "invalid argument \"%s\" for \"--%s\" flag: must be at least %u",
                               cli_str(c, name), name, min);
    *v = (uint32_t)x;
    return 0;
}

/* The API client for controller mode: kubectl's connection flags, or the
 * pod's service account with --in-cluster. Requests other than watches give
 * up after 10 s unless --request-timeout says otherwise, so that a hung API
 * server cannot stall leader election or status writes. */
static struct kube_client *connect_api(const struct cli_ctx *c, struct err *e)
{
    struct kube_overrides o;
    cmd_kube_overrides(c, &o);
    o.in_cluster = cli_bool(c, "in-cluster");
    if (!o.request_timeout)
        o.request_timeout = "10s";
    return cmd_kube_connect(c, &o, e);
}

static int run_serve(struct cli_ctx *c)
{
    struct proxy_config cfg;
    memset(&cfg, 0, sizeof cfg);
    const char *manifests = cli_str(c, "manifests");
    int api = cli_bool(c, "in-cluster") || cli_isset(c, "kubeconfig") || cli_isset(c, "context") ||
              cli_isset(c, "server");
    if (!*manifests && !api)
        return cli_usage_error(c, "one of --manifests, --kubeconfig, --context or --in-cluster "
                                  "is required");
    if (*manifests && api)
        return cli_usage_error(c, "--manifests cannot be combined with a connection to the API");
    int alog = cli_parse_bool(cli_str(c, "access-log"));
    if (!strcmp(cli_str(c, "access-log"), "on"))
        alog = 1;
    else if (!strcmp(cli_str(c, "access-log"), "off"))
        alog = 0;
    if (alog < 0)
        return cli_usage_error(c, "invalid argument \"%s\" for \"--access-log\" flag: on or off",
                               cli_str(c, "access-log"));
    uint32_t workers = 0, grace = 0;
    if (get_uint(c, "workers", 0, &workers) ||
        get_uint(c, "max-connections", 1, &cfg.max_connections) ||
        get_uint(c, "max-header-bytes", 64, &cfg.limits.max_header_bytes) ||
        get_uint(c, "max-headers", 1, &cfg.limits.max_headers) ||
        get_uint(c, "max-request-line", 16, &cfg.limits.max_start_line) ||
        get_uint(c, "keepalive-requests", 0, &cfg.keepalive_requests) ||
        get_uint(c, "upstream-keepalive", 0, &cfg.upstream_keepalive) ||
        get_uint(c, "upstream-tries", 1, &cfg.upstream_tries) ||
        get_ms(c, "client-header-timeout", &cfg.client_header_timeout_ms) ||
        get_ms(c, "client-body-timeout", &cfg.client_body_timeout_ms) ||
        get_ms(c, "keepalive-timeout", &cfg.keepalive_timeout_ms) ||
        get_ms(c, "send-timeout", &cfg.send_timeout_ms) ||
        get_ms(c, "tunnel-timeout", &cfg.tunnel_timeout_ms) ||
        get_ms(c, "upstream-connect-timeout", &cfg.upstream_connect_timeout_ms) ||
        get_ms(c, "upstream-timeout", &cfg.upstream_timeout_ms) ||
        get_ms(c, "upstream-keepalive-timeout", &cfg.upstream_keepalive_timeout_ms) ||
        get_ms(c, "shutdown-grace-period", &grace))
        return 1;
    uint32_t lease = 0, renew = 0, retry = 0;
    if (get_ms(c, "lease-duration", &lease) || get_ms(c, "lease-renew-deadline", &renew) ||
        get_ms(c, "lease-retry-period", &retry))
        return 1;
    if (renew >= lease || retry >= renew)
        return cli_usage_error(c, "--lease-duration must be longer than --lease-renew-deadline, "
                                  "which must be longer than --lease-retry-period");
    cfg.listen = cli_str(c, "http-listen");
    cfg.https_listen = cli_str(c, "https-listen");
    cfg.workers = workers ? workers : serve_ncpus();
    cfg.access_log = alog;
    cfg.use_forwarded_headers = cli_bool(c, "use-forwarded-headers");
    struct ingress_opts opts = {
        .class_name = cli_str(c, "ingress-class"),
        .controller = cli_str(c, "controller"),
        .default_ssl_certificate =
            *cli_str(c, "default-ssl-certificate") ? cli_str(c, "default-ssl-certificate") : NULL};
    struct serve_ingress_src src = {.manifests = *manifests ? manifests : NULL,
                                    .default_backend = cli_str(c, "default-backend-service"),
                                    .health_listen = cli_str(c, "metrics-listen")};
    struct err e;
    struct kube_client *kc = NULL;
    char id[300];
    kube_leader_identity(id, sizeof id);
    struct provider_kube_opts ko = {.watch_namespace = cli_str(c, "watch-namespace"),
                                    .publish_service = cli_str(c, "publish-service"),
                                    .publish_addresses = cli_str(c, "publish-status-address"),
                                    .identity = id,
                                    .pod_name = getenv("POD_NAME"),
                                    .pod_namespace = getenv("POD_NAMESPACE"),
                                    .update_status_on_shutdown =
                                        cli_bool(c, "update-status-on-shutdown")};
    struct kube_leader_opts lo = {.ns = kube_leader_namespace(cli_str(c, "election-namespace")),
                                  .name = cli_str(c, "election-id"),
                                  .identity = id,
                                  .lease_ms = lease,
                                  .renew_deadline_ms = renew,
                                  .retry_ms = retry};
    if (api) {
        if (!(kc = connect_api(c, &e)))
            return kube_fail(&e);
        src.kube = kc;
        src.kube_opts = &ko;
        src.election = &lo;
    }
    int rc = serve_ingress(&cfg, &src, &opts, grace, &e);
    kube_client_free(kc);
    return rc < 0 ? cli_fail("%s", e.msg) : rc;
}

static const struct cli_cmd cmd_ingress_serve = {
    "serve",
    "Run the Ingress controller and HTTP proxy",
    "(--manifests PATH | --kubeconfig FILE | --in-cluster) [--http-listen ADDR] [flags]",
    "Serves HTTP, routing requests by the Ingress objects of the ingress class "
    "(networking.k8s.io/v1\n"
    "matching: exact and wildcard hosts, Exact and Prefix paths, default backends) to the ready\n"
    "endpoints of their Services, round robin, over kept-alive connections.\n"
    "\n"
    "--manifests reads Ingress, IngressClass, Service, Endpoints, EndpointSlice and Secret "
    "objects\n"
    "from a file or a directory of YAML/JSON files and watches them: a change is served within a\n"
    "second, without a reload and without dropping a connection; an invalid file is reported and\n"
    "the previous configuration keeps serving. SIGHUP re-reads the files.\n"
    "\n"
    "--kubeconfig/--context (or --in-cluster, in a pod) make it an Ingress controller: it\n"
    "lists and watches Ingresses, IngressClasses, Services, EndpointSlices (Endpoints where\n"
    "they are not served) and referenced Secrets, serves each change within milliseconds,\n"
    "keeps serving through API outages, reports invalid Ingresses as Events, and writes\n"
    "status.loadBalancer of its Ingresses (--publish-service or --publish-status-address)\n"
    "while it holds the Lease --election-id, clearing it where it is no longer ours and,\n"
    "when the last replica stops, everywhere (--update-status-on-shutdown); every replica\n"
    "serves. /readyz (--metrics-listen) is 200 once everything was served.\n"
    "\n"
    "SIGTERM or SIGINT stops accepting connections and lets requests in flight finish within\n"
    "--shutdown-grace-period; a second signal stops at once.",
    "  ferry ingress serve --manifests examples/demo/ --http-listen 127.0.0.1:8080\n"
    "  ferry ingress serve --manifests ingress.yaml --workers 4 --access-log off\n"
    "  ferry ingress serve --kubeconfig ~/.kube/config --publish-status-address 192.0.2.10\n"
    "  ferry ingress serve --in-cluster --publish-service ferry-system/ferry-ingress "
    "--metrics-listen :10254",
    serve_flags,
    NULL,
    run_serve,
    NULL,
};

static const struct cli_cmd *const ingress_subs[] = {&cmd_ingress_serve, NULL};

const struct cli_cmd cmd_ingress = {
    "ingress",
    "Be the cluster's ingress: the HTTP proxy and Ingress controller",
    "<command> [flags]",
    NULL,
    NULL,
    NULL,
    ingress_subs,
    NULL,
    NULL,
};
