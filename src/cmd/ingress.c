/* ferry ingress serve: the proxy, fed by the manifests provider. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmds.h"
#include "core/cli.h"
#include "proxy/serve.h"

static const struct cli_flag serve_flags[] = {
    {"access-log", 0, CLI_STRING, "on", "One line per request on standard output: on or off"},
    {"client-body-timeout", 0, CLI_STRING, "60s",
     "Longest wait between two reads of a request body"},
    {"client-header-timeout", 0, CLI_STRING, "60s",
     "Longest time from the first byte of a request to the end of its head (408)"},
    {"controller", 0, CLI_STRING, INGRESS_CONTROLLER_DEFAULT,
     "The spec.controller of the IngressClasses that are ferry's"},
    {"http-listen", 0, CLI_STRING, ":80", "Address for plain HTTP, e.g. :80 or 127.0.0.1:8080"},
    {"ingress-class", 0, CLI_STRING, INGRESS_CLASS_DEFAULT,
     "The ingress class served (ingressClassName or the kubernetes.io/ingress.class annotation)"},
    {"keepalive-requests", 0, CLI_INT, "0", "Requests per client connection (0: no limit)"},
    {"keepalive-timeout", 0, CLI_STRING, "75s", "How long an idle client connection is kept"},
    {"manifests", 0, CLI_STRING, "",
     "File or directory of YAML/JSON manifests (Ingress, IngressClass, Service, Endpoints, "
     "EndpointSlice, Secret), watched for changes"},
    {"max-connections", 0, CLI_INT, "16384", "Client connections per worker"},
    {"max-header-bytes", 0, CLI_INT, "32768", "Largest request header section (431 beyond)"},
    {"max-headers", 0, CLI_INT, "100", "Most request header fields (431 beyond)"},
    {"max-request-line", 0, CLI_INT, "8192", "Longest request line (414 beyond)"},
    {"send-timeout", 0, CLI_STRING, "60s", "Longest wait for a client to take response bytes"},
    {"shutdown-grace-period", 0, CLI_STRING, "30s",
     "On SIGTERM/SIGINT: how long requests in flight may take to finish"},
    {"tunnel-timeout", 0, CLI_STRING, "1h", "Idle timeout of upgraded (WebSocket) connections"},
    {"upstream-connect-timeout", 0, CLI_STRING, "5s", "Longest wait for an upstream connection"},
    {"upstream-keepalive", 0, CLI_INT, "320",
     "Idle upstream connections kept per endpoint and worker"},
    {"upstream-keepalive-timeout", 0, CLI_STRING, "60s",
     "How long an idle upstream connection is kept"},
    {"upstream-timeout", 0, CLI_STRING, "60s",
     "Longest wait between two reads from, or writes to, an upstream (504)"},
    {"upstream-tries", 0, CLI_INT, "3", "Endpoints tried when connections cannot be made"},
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

static int run_serve(struct cli_ctx *c)
{
    struct proxy_config cfg;
    memset(&cfg, 0, sizeof cfg);
    const char *manifests = cli_str(c, "manifests");
    if (!*manifests)
        return cli_usage_error(c, "--manifests is required (reading the Kubernetes API is not "
                                  "supported yet)");
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
    cfg.listen = cli_str(c, "http-listen");
    cfg.workers = workers ? workers : serve_ncpus();
    cfg.access_log = alog;
    struct ingress_opts opts = {cli_str(c, "ingress-class"), cli_str(c, "controller")};
    struct err e;
    int rc = serve_ingress(&cfg, manifests, &opts, grace, &e);
    return rc < 0 ? cli_fail("%s", e.msg) : rc;
}

static const struct cli_cmd cmd_ingress_serve = {
    "serve",
    "Run the Ingress controller and HTTP proxy",
    "--manifests PATH [--http-listen ADDR] [--workers N] [flags]",
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
    "SIGTERM or SIGINT stops accepting connections and lets requests in flight finish within\n"
    "--shutdown-grace-period; a second signal stops at once.",
    "  ferry ingress serve --manifests examples/demo/ --http-listen 127.0.0.1:8080\n"
    "  ferry ingress serve --manifests ingress.yaml --workers 4 --access-log off",
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
