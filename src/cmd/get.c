/* ferry get and ferry api-resources: kubectl's, against the cluster of the
 * current context. Flags in, kube/commands.c does the rest. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmds.h"
#include "core/cli.h"
#include "kube/client.h"
#include "kube/commands.h"

static const char *opt(const struct cli_ctx *c, const char *name)
{
    return cli_isset(c, name) ? cli_str(c, name) : NULL;
}

void cmd_kube_overrides(const struct cli_ctx *c, struct kube_overrides *o)
{
    memset(o, 0, sizeof *o);
    o->kubeconfig = opt(c, "kubeconfig");
    o->context = opt(c, "context");
    o->cluster = opt(c, "cluster");
    o->user = opt(c, "user");
    o->namespace_ = opt(c, "namespace");
    o->server = opt(c, "server");
    o->certificate_authority = opt(c, "certificate-authority");
    o->tls_server_name = opt(c, "tls-server-name");
    o->token = opt(c, "token");
    o->client_certificate = opt(c, "client-certificate");
    o->client_key = opt(c, "client-key");
    o->username = opt(c, "username");
    o->password = opt(c, "password");
    o->request_timeout = opt(c, "request-timeout");
    o->insecure =
        cli_isset(c, "insecure-skip-tls-verify") ? cli_bool(c, "insecure-skip-tls-verify") : -1;
}

struct kube_client *cmd_kube_connect(const struct cli_ctx *c, const struct kube_overrides *o,
                                     struct err *e)
{
    return kube_connect(o, opt(c, "kube-api-qps"), opt(c, "kube-api-burst"), e);
}

struct kube_client *cmd_kube_client(const struct cli_ctx *c)
{
    struct kube_overrides o;
    struct err e;
    cmd_kube_overrides(c, &o);
    struct kube_client *k = cmd_kube_connect(c, &o, &e);
    if (!k)
        kube_fail(&e);
    return k;
}

/* ---- get ---- */

static int run_get(struct cli_ctx *c)
{
    struct kube_get_opts o = {
        .args = (const char *const *)c->argv,
        .nargs = (size_t)c->argc,
        .output = cli_str(c, "output"),
        .selector = cli_str(c, "selector"),
        .field_selector = cli_str(c, "field-selector"),
        .all_namespaces = cli_bool(c, "all-namespaces"),
        .chunk_size = strtol(cli_str(c, "chunk-size"), NULL, 10),
        .no_headers = cli_bool(c, "no-headers"),
        .ignore_not_found = cli_bool(c, "ignore-not-found"),
        .show_kind = cli_bool(c, "show-kind"),
        .allow_missing = cli_bool(c, "allow-missing-template-keys"),
        .watch = cli_bool(c, "watch"),
        .watch_only = cli_bool(c, "watch-only"),
        .output_watch_events = cli_bool(c, "output-watch-events"),
    };
    struct kube_client *k = cmd_kube_client(c);
    if (!k)
        return 1;
    int rc = kube_cmd_get(k, &o);
    kube_client_free(k);
    return rc;
}

static const struct cli_flag get_flags[] = {
    {"all-namespaces", 'A', CLI_BOOL, "false",
     "If present, list the requested object(s) across all namespaces"},
    {"allow-missing-template-keys", 0, CLI_BOOL, "true",
     "If true, ignore any errors in templates when a field or map key is missing in the template"},
    {"chunk-size", 0, CLI_INT, "500",
     "Return large lists in chunks rather than all at once. Pass 0 to disable"},
    {"field-selector", 0, CLI_STRING, "",
     "Selector (field query) to filter on, supports '=', '==', and '!='"},
    {"ignore-not-found", 0, CLI_BOOL, "false",
     "If the requested object does not exist the command will return exit code 0"},
    {"no-headers", 0, CLI_BOOL, "false",
     "When using the default or custom-column output format, "
     "don't print headers"},
    {"output", 'o', CLI_STRING, "",
     "Output format. One of: (json, yaml, name, wide, jsonpath=...)"},
    {"output-watch-events", 0, CLI_BOOL, "false",
     "Output watch event objects when --watch or --watch-only is used"},
    {"selector", 'l', CLI_STRING, "", "Selector (label query) to filter on"},
    {"show-kind", 0, CLI_BOOL, "false",
     "If present, list the resource type for the requested object(s)"},
    {"watch", 'w', CLI_BOOL, "false",
     "After listing/getting the requested object, watch for changes"},
    {"watch-only", 0, CLI_BOOL, "false",
     "Watch for changes to the requested object(s), without listing/getting first"},
    {NULL, 0, 0, NULL, NULL},
};

const struct cli_cmd cmd_get = {
    "get",
    "Display one or many resources",
    "[(-o|--output=)json|yaml|name|wide|jsonpath=...] (TYPE[.VERSION][.GROUP] [NAME | -l label] | "
    "TYPE[.VERSION][.GROUP]/NAME ...) [flags]",
    "Display one or many resources, as kubectl get does: any resource the server serves, by its\n"
    "plural, singular, short name or kind, optionally with its group and version. Lists are read\n"
    "page by page (--chunk-size) and printed as they arrive.",
    "  ferry get pods\n  ferry get deploy -A\n  ferry get configmaps -n kube-system -o json\n"
    "  ferry get cm -l app=web -o name\n  ferry get deployment.v1.apps web -o yaml",
    get_flags,
    NULL,
    run_get,
    NULL,
};

/* ---- api-resources ---- */

static int run_api_resources(struct cli_ctx *c)
{
    if (c->argc)
        return cli_usage_error(c, "unexpected arguments: %s", c->argv[0]);
    int namespaced = -1;
    if (cli_isset(c, "namespaced"))
        namespaced = cli_bool(c, "namespaced");
    size_t nverbs;
    const char *const *verbs = cli_list(c, "verbs", &nverbs);
    struct kube_api_resources_opts o = {
        .output = cli_str(c, "output"),
        .api_group = cli_str(c, "api-group"),
        .api_group_set = cli_isset(c, "api-group"),
        .namespaced = namespaced,
        .no_headers = cli_bool(c, "no-headers"),
        .sort_by = cli_str(c, "sort-by"),
        .verbs = verbs,
        .nverbs = nverbs,
        .categories = cli_str(c, "categories"),
    };
    struct kube_client *k = cmd_kube_client(c);
    if (!k)
        return 1;
    int rc = kube_cmd_api_resources(k, &o);
    kube_client_free(k);
    return rc;
}

static const struct cli_flag api_resources_flags[] = {
    {"api-group", 0, CLI_STRING, "", "Limit to resources in the specified API group"},
    {"categories", 0, CLI_STRING, "", "Limit to resources that belong to the specified categories"},
    {"namespaced", 0, CLI_BOOL, "true",
     "If false, non-namespaced resources will be returned, otherwise returning namespaced "
     "resources by default"},
    {"no-headers", 0, CLI_BOOL, "false",
     "When using the default or custom-column output format, "
     "don't print headers"},
    {"output", 'o', CLI_STRING, "", "Output format. One of: (wide, name)"},
    {"sort-by", 0, CLI_STRING, "",
     "If non-empty, sort list of resources using specified field. One of (name, kind)"},
    {"verbs", 0, CLI_STRINGS, "", "Limit to resources that support the specified verbs"},
    {NULL, 0, 0, NULL, NULL},
};

const struct cli_cmd cmd_api_resources = {
    "api-resources",
    "Print the supported API resources on the server",
    "[flags]",
    "Print the supported API resources on the server, as kubectl api-resources does.",
    "  ferry api-resources\n  ferry api-resources -o wide\n  ferry api-resources "
    "--namespaced=false\n"
    "  ferry api-resources --api-group=apps -o name",
    api_resources_flags,
    NULL,
    run_api_resources,
    NULL,
};
