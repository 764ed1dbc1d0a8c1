/* ferry: one program for the people who run Kubernetes clusters. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmds.h"
#include "core/cli.h"
#include "core/log.h"

static const struct cli_flag global_flags[] = {
    {"certificate-authority", 0, CLI_STRING, "",
     "Path to a cert file for the certificate authority"},
    {"client-certificate", 0, CLI_STRING, "", "Path to a client certificate file for TLS"},
    {"client-key", 0, CLI_STRING, "", "Path to a client key file for TLS"},
    {"cluster", 0, CLI_STRING, "", "The name of the kubeconfig cluster to use"},
    {"context", 0, CLI_STRING, "", "The name of the kubeconfig context to use"},
    {"insecure-skip-tls-verify", 0, CLI_BOOL, "false",
     "If true, the server's certificate will not be checked for validity. This will make your "
     "HTTPS connections insecure"},
    {"kube-api-burst", 0, CLI_INT, "100", "Requests allowed at once above --kube-api-qps"},
    {"kube-api-qps", 0, CLI_STRING, "50",
     "Requests per second to the API server, client-side (0: no limit)"},
    {"kubeconfig", 0, CLI_STRING, "", "Path to the kubeconfig file to use"},
    {"namespace", 'n', CLI_STRING, "", "If present, the namespace scope for this request"},
    {"password", 0, CLI_STRING, "", "Password for basic authentication to the API server"},
    {"request-timeout", 0, CLI_STRING, "0",
     "The length of time to wait before giving up on a single server request. Non-zero values "
     "should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't "
     "timeout requests."},
    {"server", 's', CLI_STRING, "", "The address and port of the Kubernetes API server"},
    {"tls-server-name", 0, CLI_STRING, "",
     "Server name to use for server certificate validation. If it is not provided, the hostname "
     "used to contact the server is used"},
    {"token", 0, CLI_STRING, "", "Bearer token for authentication to the API server"},
    {"user", 0, CLI_STRING, "", "The name of the kubeconfig user to use"},
    {"username", 0, CLI_STRING, "", "Username for basic authentication to the API server"},
    {"v", 'v', CLI_INT, "0", "number for the log level verbosity"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd *const root_subs[] = {
    &cmd_api_resources, &cmd_backup,  &cmd_backup_location,
    &cmd_config,        &cmd_ctx,     &cmd_echo,
    &cmd_get,           &cmd_ingress, &cmd_ns,
    &cmd_restore,       NULL};

static const struct cli_cmd root = {
    "ferry",
    "ferry moves, protects and serves Kubernetes clusters",
    "<command> [flags]",
    "ferry: back up and restore clusters, manage kubeconfig files, and be the cluster's ingress.",
    NULL,
    global_flags,
    root_subs,
    NULL,
    NULL,
};

int main(int argc, char **argv)
{
    /* The verbosity must be known before any command logs, so it is read
     * ahead of the full parse. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, "--v=", 4) || !strncmp(a, "-v=", 3))
            log_set_verbosity(atoi(strchr(a, '=') + 1));
        else if ((!strcmp(a, "-v") || !strcmp(a, "--v")) && i + 1 < argc)
            log_set_verbosity(atoi(argv[i + 1]));
    }
    return cli_main(&root, argc, argv);
}
