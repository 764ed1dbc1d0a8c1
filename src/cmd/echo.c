/* ferry echo: the backend of the demo, the tests and the benchmarks. */
#include <stdlib.h>

#include "cmd/cmds.h"
#include "core/cli.h"
#include "proxy/serve.h"

static const struct cli_flag echo_flags[] = {
    {"listen", 0, CLI_STRING, ":8080", "Address to listen on, e.g. 127.0.0.1:9001"},
    {"pod", 0, CLI_STRING, "", "Reported as \"pod\" (default: $POD_NAME)"},
    {"service", 0, CLI_STRING, "", "Reported as \"service\" (default: $SERVICE_NAME)"},
    {"workers", 0, CLI_INT, "1", "Worker threads"},
    {NULL, 0, 0, NULL, NULL},
};

/* The flag, else the environment variable, else "". */
static const char *flag_or_env(const struct cli_ctx *c, const char *flag, const char *env)
{
    if (cli_isset(c, flag))
        return cli_str(c, flag);
    const char *v = getenv(env);
    return v ? v : "";
}

static int run_echo(struct cli_ctx *c)
{
    long workers = strtol(cli_str(c, "workers"), NULL, 0);
    if (workers < 1 || workers > 1024)
        return cli_usage_error(c, "invalid argument \"%s\" for \"--workers\" flag",
                               cli_str(c, "workers"));
    struct echo_config cfg = {
        cli_str(c, "listen"),
        (unsigned)workers,
        flag_or_env(c, "namespace", "NAMESPACE"),
        flag_or_env(c, "service", "SERVICE_NAME"),
        flag_or_env(c, "pod", "POD_NAME"),
    };
    struct err e;
    int rc = serve_echo(&cfg, &e);
    return rc < 0 ? cli_fail("%s", e.msg) : rc;
}

const struct cli_cmd cmd_echo = {
    "echo",
    "Answer every HTTP request with a JSON description of it",
    "[--listen ADDR] [--service S --pod P --namespace N]",
    "A small HTTP/1.1 backend for demos, tests and benchmarks. Every request gets a 200 with\n"
    "{path, host, method, proto, headers, namespace, service, pod} as JSON, the shape of the\n"
    "Ingress conformance suite's echo server. Request bodies are read and dropped.",
    "  ferry echo --listen 127.0.0.1:9001 --service shop --pod shop-1 --namespace demo",
    echo_flags,
    NULL,
    run_echo,
    NULL,
};
