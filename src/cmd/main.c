/* ferry: one program for the people who run Kubernetes clusters. */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmds.h"
#include "core/cli.h"
#include "core/log.h"

static const struct cli_flag global_flags[] = {
    {"cluster", 0, CLI_STRING, "", "The name of the kubeconfig cluster to use"},
    {"context", 0, CLI_STRING, "", "The name of the kubeconfig context to use"},
    {"kubeconfig", 0, CLI_STRING, "", "Path to the kubeconfig file to use"},
    {"namespace", 'n', CLI_STRING, "", "If present, the namespace scope for this request"},
    {"user", 0, CLI_STRING, "", "The name of the kubeconfig user to use"},
    {"v", 'v', CLI_INT, "0", "number for the log level verbosity"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd *const root_subs[] = {&cmd_config, &cmd_ctx, &cmd_ns, NULL};

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
