/* ferry config: kubectl config, same flags, output and files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmds.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/output.h"
#include "core/json.h"
#include "core/strv.h"
#include "core/table.h"
#include "kubeconfig/kcfg.h"
#include "kubeconfig/ops.h"

static int paths_from(const struct cli_ctx *c, struct kcfg_paths *p)
{
    struct err e;
    if (kcfg_paths_init(p, cli_str(c, "kubeconfig"), &e) < 0) {
        cli_fail("%s", e.msg);
        return -1;
    }
    return 0;
}

/* Go prints a []string as [a b]. */
static void go_list(const struct cli_ctx *c, struct buf *b)
{
    buf_addc(b, '[');
    for (int i = 0; i < c->argc; i++)
        buf_addf(b, "%s%s", i ? " " : "", c->argv[i]);
    buf_addc(b, ']');
}

/* kubectl prints the command's help, then the error. */
static void put(const struct buf *b)
{
    if (b->len)
        fwrite(b->p, 1, b->len, stdout);
}

static int help_error(const struct cli_ctx *c, const char *fmt)
{
    struct buf b = BUF_INIT;
    go_list(c, &b);
    cli_help(c);
    int rc = cli_fail(fmt, buf_str(&b));
    buf_fini(&b);
    return rc;
}

static const char *opt(const struct cli_ctx *c, const char *name)
{
    return cli_isset(c, name) ? cli_str(c, name) : NULL;
}

static int opt_bool(const struct cli_ctx *c, const char *name)
{
    return cli_isset(c, name) ? cli_bool(c, name) : -1;
}

static int finish(struct kcfg_paths *p, int rc, struct err *e, const char *fmt, const char *a)
{
    kcfg_paths_fini(p);
    if (rc == KCFG_OP_USAGE || rc < 0)
        return cli_fail("%s", e->msg);
    printf(fmt, a);
    return 0;
}

/* ---- view ---- */

static int run_view(struct cli_ctx *c)
{
    struct kcfg_paths p;
    struct kcfg cfg;
    struct err e;
    struct buf out = BUF_INIT;
    if (c->argc) {
        struct buf b = BUF_INIT;
        go_list(c, &b);
        int rc = cli_usage_error(c, "unexpected arguments: %s", buf_str(&b));
        buf_fini(&b);
        return rc;
    }
    const char *format = cli_str(c, "output");
    if (!*format)
        format = "yaml";
    if (paths_from(c, &p) < 0)
        return 1;
    if (!cli_bool(c, "merge") && !p.explicit_path) {
        kcfg_paths_fini(&p);
        return cli_fail("if merge==false a precise file must be specified");
    }
    int rc = kcfg_load(&cfg, &p, &e);
    kcfg_paths_fini(&p);
    if (rc < 0)
        return cli_fail("%s", e.msg);
    if (cli_bool(c, "minify")) {
        const char *ctx = cli_str(c, "context");
        if (*ctx) {
            free(cfg.current_context);
            cfg.current_context = strdup(ctx);
        }
        if (kcfg_minify(&cfg, &e) < 0)
            goto out;
    }
    if (cli_bool(c, "flatten")) {
        if (kcfg_flatten(&cfg, &e) < 0)
            goto out;
    } else if (!cli_bool(c, "raw")) {
        kcfg_redact(&cfg);
    }
    json_t *v1 = kcfg_to_v1(&cfg);
    struct buf msg = BUF_INIT;
    if (!strcmp(format, "name"))
        rc = buf_adds(&out, "config/<unknown>\n");
    else
        rc = output_print(format, v1, cli_bool(c, "allow-missing-template-keys"), &out, &msg);
    json_decref(v1);
    if (rc == 0)
        put(&out);
    else
        output_fail(&msg);
    buf_fini(&msg);
    buf_fini(&out);
    kcfg_fini(&cfg);
    return rc < 0 ? 1 : 0;
out:
    buf_fini(&out);
    kcfg_fini(&cfg);
    return cli_fail("%s", e.msg);
}

/* ---- set-cluster, set-credentials, set-context ---- */

static int run_set_cluster(struct cli_ctx *c)
{
    if (c->argc != 1)
        return help_error(c, "Unexpected args: %s");
    struct kcfg_cluster_opts o = {
        .server = opt(c, "server"),
        .certificate_authority = opt(c, "certificate-authority"),
        .tls_server_name = opt(c, "tls-server-name"),
        .proxy_url = opt(c, "proxy-url"),
        .insecure_skip_tls_verify = opt_bool(c, "insecure-skip-tls-verify"),
        .embed_certs = opt_bool(c, "embed-certs"),
    };
    struct kcfg_paths p;
    struct err e;
    if (paths_from(c, &p) < 0)
        return 1;
    int rc = kcfg_op_set_cluster(&p, c->argv[0], &o, &e);
    return finish(&p, rc, &e, "Cluster \"%s\" set.\n", c->argv[0]);
}

static struct kcfg_list list_of(const struct cli_ctx *c, const char *name)
{
    struct kcfg_list l;
    l.v = cli_list(c, name, &l.n);
    return l;
}

static int run_set_credentials(struct cli_ctx *c)
{
    if (c->argc != 1)
        return help_error(c, "unexpected args: %s");
    struct kcfg_credential_opts o = {
        .client_certificate = opt(c, "client-certificate"),
        .client_key = opt(c, "client-key"),
        .token = opt(c, "token"),
        .username = opt(c, "username"),
        .password = opt(c, "password"),
        .auth_provider = opt(c, "auth-provider"),
        .exec_command = opt(c, "exec-command"),
        .exec_api_version = opt(c, "exec-api-version"),
        .exec_interactive_mode = opt(c, "exec-interactive-mode"),
        .exec_provide_cluster_info = opt_bool(c, "exec-provide-cluster-info"),
        .embed_certs = opt_bool(c, "embed-certs"),
        .auth_provider_args = list_of(c, "auth-provider-arg"),
        .exec_args = list_of(c, "exec-arg"),
        .exec_env = list_of(c, "exec-env"),
    };
    struct kcfg_paths p;
    struct err e;
    if (paths_from(c, &p) < 0)
        return 1;
    int rc = kcfg_op_set_credentials(&p, c->argv[0], &o, &e);
    if (rc == KCFG_OP_USAGE)
        cli_help(c);
    return finish(&p, rc, &e, "User \"%s\" set.\n", c->argv[0]);
}

static int run_set_context(struct cli_ctx *c)
{
    if (c->argc > 1)
        return help_error(c, "Unexpected args: %s");
    struct kcfg_context_opts o = {
        .cluster = opt(c, "cluster"),
        .user = opt(c, "user"),
        .namespace_ = opt(c, "namespace"),
        .current = cli_bool(c, "current"),
    };
    struct kcfg_paths p;
    struct err e;
    char *name = NULL;
    int created = 0;
    if (paths_from(c, &p) < 0)
        return 1;
    int rc = kcfg_op_set_context(&p, c->argc ? c->argv[0] : "", &o, &name, &created, &e);
    rc = finish(&p, rc, &e, created ? "Context \"%s\" created.\n" : "Context \"%s\" modified.\n",
                name);
    free(name);
    return rc;
}

/* ---- use-context, current-context ---- */

static int run_use_context(struct cli_ctx *c)
{
    if (c->argc != 1)
        return help_error(c, "Unexpected args: %s");
    struct kcfg_paths p;
    struct err e;
    if (paths_from(c, &p) < 0)
        return 1;
    int rc = kcfg_op_use_context(&p, c->argv[0], &e);
    return finish(&p, rc, &e, "Switched to context \"%s\".\n", c->argv[0]);
}

static int load_merged(const struct cli_ctx *c, struct kcfg *cfg)
{
    struct kcfg_paths p;
    struct err e;
    if (paths_from(c, &p) < 0)
        return -1;
    int rc = kcfg_load(cfg, &p, &e);
    kcfg_paths_fini(&p);
    if (rc < 0) {
        cli_fail("%s", e.msg);
        return -1;
    }
    return 0;
}

static int run_current_context(struct cli_ctx *c)
{
    struct kcfg cfg;
    if (load_merged(c, &cfg) < 0)
        return 1;
    int rc = 0;
    if (!*cfg.current_context)
        rc = cli_fail("current-context is not set");
    else
        printf("%s\n", cfg.current_context);
    kcfg_fini(&cfg);
    return rc;
}

/* ---- get-contexts, get-clusters, get-users ---- */

static int run_get_contexts(struct cli_ctx *c)
{
    const char *format = cli_str(c, "output");
    int name_only = !strcmp(format, "name");
    if (*format && !name_only)
        return cli_fail("--output %s is not available in kubectl config get-contexts; resetting "
                        "to default output format",
                        format);
    struct kcfg cfg;
    if (load_merged(c, &cfg) < 0)
        return 1;
    json_t *ctxs = cfg.entries[KCFG_CONTEXTS];
    size_t n = 0;
    const char **names;
    struct buf errs = BUF_INIT;
    int nerr = 0;
    if (c->argc == 0) {
        names = json_sorted_keys(ctxs, &n);
    } else {
        names = calloc((size_t)c->argc + 1, sizeof *names);
        for (int i = 0; names && i < c->argc; i++) {
            if (json_object_get(ctxs, c->argv[i]))
                names[n++] = c->argv[i];
            else {
                buf_addf(&errs, "context %s not found\n", c->argv[i]);
                nerr++;
            }
        }
        if (names)
            qsort(names, n, sizeof *names, strv_cmp);
    }
    struct table *t = table_new();
    struct buf out = BUF_INIT;
    if (!names || !t) {
        kcfg_fini(&cfg);
        return cli_fail("out of memory");
    }
    if (!cli_bool(c, "no-headers") && !name_only) {
        static const char *const head[] = {"CURRENT", "NAME", "CLUSTER", "AUTHINFO", "NAMESPACE"};
        for (size_t i = 0; i < 5; i++)
            table_add(t, head[i]);
        table_end_row(t);
    }
    for (size_t i = 0; i < n; i++) {
        json_t *ctx = json_object_get(ctxs, names[i]);
        if (name_only) {
            buf_addf(&out, "%s\n", names[i]);
            continue;
        }
        const char *ns = json_string_value(json_object_get(ctx, "namespace"));
        table_add(t, strcmp(cfg.current_context, names[i]) ? " " : "*");
        table_add(t, names[i]);
        table_add(t, json_string_value(json_object_get(ctx, "cluster")));
        table_add(t, json_string_value(json_object_get(ctx, "user")));
        table_add(t, ns ? ns : "");
        table_end_row(t);
    }
    table_render(t, &out);
    put(&out);
    fflush(stdout);
    if (nerr == 1)
        fprintf(stderr, "error: %s", buf_str(&errs));
    else if (nerr > 1)
        fputs(buf_str(&errs), stderr);
    table_free(t);
    buf_fini(&out);
    buf_fini(&errs);
    free(names);
    kcfg_fini(&cfg);
    return nerr ? 1 : 0;
}

static int print_names(const struct cli_ctx *c, enum kcfg_kind kind)
{
    struct kcfg cfg;
    if (load_merged(c, &cfg) < 0)
        return 1;
    size_t n;
    const char **names = json_sorted_keys(cfg.entries[kind], &n);
    printf("NAME\n");
    for (size_t i = 0; names && i < n; i++)
        printf("%s\n", names[i]);
    free(names);
    kcfg_fini(&cfg);
    return 0;
}

static int run_get_clusters(struct cli_ctx *c)
{
    return print_names(c, KCFG_CLUSTERS);
}

static int run_get_users(struct cli_ctx *c)
{
    return print_names(c, KCFG_USERS);
}

/* ---- delete-*, rename-context ---- */

static int delete_entry(struct cli_ctx *c, enum kcfg_kind kind, const char *what)
{
    struct kcfg_paths p;
    struct err e;
    const char *file = NULL;
    int was_current = 0;
    if (paths_from(c, &p) < 0)
        return 1;
    int rc = kcfg_op_delete(&p, kind, c->argv[0], &file, &was_current, &e);
    if (rc == 0) {
        if (was_current)
            fputs("warning: this removed your active context, use \"kubectl config use-context\" "
                  "to select a different one\n",
                  stderr);
        printf("deleted %s %s from %s\n", what, c->argv[0], file);
    }
    kcfg_paths_fini(&p);
    return rc < 0 ? cli_fail("%s", e.msg) : 0;
}

static int run_delete_context(struct cli_ctx *c)
{
    if (c->argc != 1) {
        /* kubectl prints the help and succeeds */
        cli_help(c);
        return 0;
    }
    return delete_entry(c, KCFG_CONTEXTS, "context");
}

static int run_delete_cluster(struct cli_ctx *c)
{
    if (c->argc != 1) {
        /* kubectl prints the help and succeeds */
        cli_help(c);
        return 0;
    }
    return delete_entry(c, KCFG_CLUSTERS, "cluster");
}

static int run_delete_user(struct cli_ctx *c)
{
    if (c->argc != 1)
        return cli_usage_error(c, "user to delete is required");
    return delete_entry(c, KCFG_USERS, "user");
}

static int run_rename_context(struct cli_ctx *c)
{
    if (c->argc != 2)
        return help_error(c, "Unexpected args: %s");
    struct kcfg_paths p;
    struct err e;
    if (paths_from(c, &p) < 0)
        return 1;
    int rc = kcfg_op_rename_context(&p, c->argv[0], c->argv[1], &e);
    kcfg_paths_fini(&p);
    if (rc < 0)
        return cli_fail("%s", e.msg);
    printf("Context \"%s\" renamed to \"%s\".\n", c->argv[0], c->argv[1]);
    return 0;
}

/* ---- set, unset ---- */

static int run_set(struct cli_ctx *c)
{
    if (c->argc != 2)
        return help_error(c, "Unexpected args: %s");
    if (!*c->argv[1])
        return cli_fail("you cannot use set to unset a property");
    if (!*c->argv[0])
        return cli_fail("you must specify a property");
    struct kcfg_paths p;
    struct err e;
    if (paths_from(c, &p) < 0)
        return 1;
    int rc = kcfg_op_set_property(&p, c->argv[0], c->argv[1], 0, cli_bool(c, "set-raw-bytes"), &e);
    return finish(&p, rc, &e, "Property \"%s\" set.\n", c->argv[0]);
}

static int run_unset(struct cli_ctx *c)
{
    if (c->argc != 1)
        return help_error(c, "Unexpected args: %s");
    if (!*c->argv[0])
        return cli_fail("you must specify a property");
    struct kcfg_paths p;
    struct err e;
    if (paths_from(c, &p) < 0)
        return 1;
    int rc = kcfg_op_set_property(&p, c->argv[0], "", 1, 1, &e);
    return finish(&p, rc, &e, "Property \"%s\" unset.\n", c->argv[0]);
}

/* ---- the command table ---- */

#define END                                                                                        \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL                                                                     \
    }

static const struct cli_flag view_flags[] = {
    {"allow-missing-template-keys", 0, CLI_BOOL, "true",
     "If true, ignore any errors in templates when a field or map key is missing in the template"},
    {"flatten", 0, CLI_BOOL, "false",
     "Flatten the resulting kubeconfig file into self-contained output"},
    {"merge", 0, CLI_BOOL, "true", "Merge the full hierarchy of kubeconfig files"},
    {"minify", 0, CLI_BOOL, "false",
     "Remove all information not used by current-context from the output"},
    {"output", 'o', CLI_STRING, "", "Output format: yaml, json, jsonpath=TEMPLATE"},
    {"raw", 0, CLI_BOOL, "false", "Display raw byte data and sensitive data"},
    {"show-managed-fields", 0, CLI_BOOL, "false", "Accepted for kubectl compatibility"},
    {"template", 0, CLI_STRING, "", "Template string (with -o jsonpath)"},
    END,
};

static const struct cli_flag set_cluster_flags[] = {
    {"certificate-authority", 0, CLI_STRING, "",
     "Path to certificate-authority file for the cluster entry in kubeconfig"},
    {"embed-certs", 0, CLI_BOOL, "false", "embed-certs for the cluster entry in kubeconfig"},
    {"insecure-skip-tls-verify", 0, CLI_BOOL, "false",
     "insecure-skip-tls-verify for the cluster entry in kubeconfig"},
    {"proxy-url", 0, CLI_STRING, "", "proxy-url for the cluster entry in kubeconfig"},
    {"server", 0, CLI_STRING, "", "server for the cluster entry in kubeconfig"},
    {"tls-server-name", 0, CLI_STRING, "", "tls-server-name for the cluster entry in kubeconfig"},
    END,
};

static const struct cli_flag set_credentials_flags[] = {
    {"auth-provider", 0, CLI_STRING, "", "Auth provider for the user entry in kubeconfig"},
    {"auth-provider-arg", 0, CLI_STRINGS, "", "'key=value' arguments for the auth provider"},
    {"client-certificate", 0, CLI_STRING, "",
     "Path to client-certificate file for the user entry in kubeconfig"},
    {"client-key", 0, CLI_STRING, "", "Path to client-key file for the user entry in kubeconfig"},
    {"embed-certs", 0, CLI_BOOL, "false", "Embed client cert/key for the user entry in kubeconfig"},
    {"exec-api-version", 0, CLI_STRING, "",
     "API version of the exec credential plugin for the user entry in kubeconfig"},
    {"exec-arg", 0, CLI_STRINGS, "",
     "New arguments for the exec credential plugin command for the user entry in kubeconfig"},
    {"exec-command", 0, CLI_STRING, "",
     "Command for the exec credential plugin for the user entry in kubeconfig"},
    {"exec-env", 0, CLI_ARRAY, "", "'key=value' environment values for the exec credential plugin"},
    {"exec-interactive-mode", 0, CLI_STRING, "",
     "InteractiveMode of the exec credentials plugin (IfAvailable, Never, Always)"},
    {"exec-provide-cluster-info", 0, CLI_BOOL, "false",
     "ProvideClusterInfo of the exec credentials plugin"},
    {"password", 0, CLI_STRING, "", "password for the user entry in kubeconfig"},
    {"token", 0, CLI_STRING, "", "token for the user entry in kubeconfig"},
    {"username", 0, CLI_STRING, "", "username for the user entry in kubeconfig"},
    END,
};

static const struct cli_flag set_context_flags[] = {
    {"current", 0, CLI_BOOL, "false", "Modify the current context"},
    END,
};

static const struct cli_flag get_contexts_flags[] = {
    {"no-headers", 0, CLI_BOOL, "false",
     "When using the default output format, don't print headers"},
    {"output", 'o', CLI_STRING, "", "Output format. One of: (name)"},
    END,
};

static const struct cli_flag set_flags[] = {
    {"set-raw-bytes", 0, CLI_BOOL, "false",
     "When writing a []byte PROPERTY_VALUE, write the given string directly without base64 "
     "decoding"},
    END,
};

#define VERB(var, nm, sum, use, fl, fn)                                                            \
    static const struct cli_cmd var = {nm, sum, use, NULL, NULL, fl, NULL, fn, NULL}

VERB(cmd_view, "view", "Display merged kubeconfig settings or a specified kubeconfig file",
     "[--minify] [--flatten] [--raw] [-o yaml|json|jsonpath=TEMPLATE]", view_flags, run_view);
VERB(cmd_set_cluster, "set-cluster", "Set a cluster entry in kubeconfig",
     "NAME [--server=server] [--certificate-authority=path/to/certificate/authority] "
     "[--insecure-skip-tls-verify=true] [--tls-server-name=example.com]",
     set_cluster_flags, run_set_cluster);
VERB(cmd_set_credentials, "set-credentials", "Set a user entry in kubeconfig",
     "NAME [--client-certificate=path/to/certfile] [--client-key=path/to/keyfile] "
     "[--token=bearer_token] [--username=basic_user] [--password=basic_password] "
     "[--auth-provider=provider_name] [--auth-provider-arg=key=value] "
     "[--exec-command=exec_command] [--exec-api-version=exec_api_version] [--exec-arg=arg] "
     "[--exec-env=key=value]",
     set_credentials_flags, run_set_credentials);
VERB(cmd_set_context, "set-context", "Set a context entry in kubeconfig",
     "[NAME | --current] [--cluster=cluster_nickname] [--user=user_nickname] "
     "[--namespace=namespace]",
     set_context_flags, run_set_context);
static const struct cli_cmd cmd_use_context = {
    .name = "use-context",
    .alias = "use",
    .summary = "Set the current-context in a kubeconfig file",
    .usage = "CONTEXT_NAME",
    .run = run_use_context,
};
VERB(cmd_current_context, "current-context", "Display the current-context", "", NULL,
     run_current_context);
VERB(cmd_get_contexts, "get-contexts", "Describe one or many contexts", "[(-o|--output=)name)]",
     get_contexts_flags, run_get_contexts);
VERB(cmd_get_clusters, "get-clusters", "Display clusters defined in the kubeconfig", "", NULL,
     run_get_clusters);
VERB(cmd_get_users, "get-users", "Display users defined in the kubeconfig", "", NULL,
     run_get_users);
VERB(cmd_delete_context, "delete-context", "Delete the specified context from the kubeconfig",
     "NAME", NULL, run_delete_context);
VERB(cmd_delete_cluster, "delete-cluster", "Delete the specified cluster from the kubeconfig",
     "NAME", NULL, run_delete_cluster);
VERB(cmd_delete_user, "delete-user", "Delete the specified user from the kubeconfig", "NAME", NULL,
     run_delete_user);
VERB(cmd_rename_context, "rename-context", "Rename a context from the kubeconfig file",
     "CONTEXT_NAME NEW_NAME", NULL, run_rename_context);
VERB(cmd_set, "set", "Set an individual value in a kubeconfig file", "PROPERTY_NAME PROPERTY_VALUE",
     set_flags, run_set);
VERB(cmd_unset, "unset", "Unset an individual value in a kubeconfig file", "PROPERTY_NAME", NULL,
     run_unset);

static const struct cli_cmd *const config_subs[] = {
    &cmd_current_context,
    &cmd_delete_cluster,
    &cmd_delete_context,
    &cmd_delete_user,
    &cmd_get_clusters,
    &cmd_get_contexts,
    &cmd_get_users,
    &cmd_rename_context,
    &cmd_set,
    &cmd_set_cluster,
    &cmd_set_context,
    &cmd_set_credentials,
    &cmd_unset,
    &cmd_use_context,
    &cmd_view,
    NULL,
};

const struct cli_cmd cmd_config = {
    "config",
    "Modify kubeconfig files",
    "SUBCOMMAND",
    "Modify kubeconfig files using subcommands like \"ferry config set current-context "
    "my-context\".\n\nThe loading order follows kubectl's rules:\n"
    "  1. If the --kubeconfig flag is set, then only that file is loaded.\n"
    "  2. If $KUBECONFIG is set, it is a list of paths merged in order; the first file to set\n"
    "     a value or a map key wins, and new entries go to the first file.\n"
    "  3. Otherwise ${HOME}/.kube/config is used.",
    NULL,
    NULL,
    config_subs,
    NULL,
    NULL,
};
