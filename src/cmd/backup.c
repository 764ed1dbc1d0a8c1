/* ferry backup create|get|describe|logs|download|delete: flags in,
 * src/backup does the rest. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backup/backup.h"
#include "cmd/cmds.h"
#include "core/cli.h"
#include "core/text.h"
#include "kube/client.h"

/* The signal that asked a running backup to stop. A handler can only set
 * a flag, so this one piece of state is process-wide. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int signo)
{
    stop_signal = signo;
}

#define STORAGE_LOCATION_FLAG                                                                      \
    {                                                                                              \
        "storage-location", 0, CLI_STRING, "",                                                     \
            "Location of the backup (default: the default backup storage location)"                \
    }

/* ---- create ---- */

void cmd_backup_scope(const struct cli_ctx *c, struct backup_scope *s)
{
    s->include_ns = cli_list(c, "include-namespaces", &s->n_include_ns);
    s->exclude_ns = cli_list(c, "exclude-namespaces", &s->n_exclude_ns);
    s->include_res = cli_list(c, "include-resources", &s->n_include_res);
    s->exclude_res = cli_list(c, "exclude-resources", &s->n_exclude_res);
    s->include_cluster =
        cli_isset(c, "include-cluster-resources") ? cli_bool(c, "include-cluster-resources") : -1;
    s->selector = cli_str(c, "selector");
}

static int run_create(struct cli_ctx *c)
{
    if (c->argc != 1)
        return cli_usage_error(c, "a backup name is required, and only one");
    struct backup_opts o = {
        .name = c->argv[0],
        .progress = isatty(STDERR_FILENO),
        .wait = cli_bool(c, "wait"),
        .cancel = &stop_signal,
    };
    cmd_backup_scope(c, &o.scope);
    double ttl;
    if (text_go_duration(cli_str(c, "ttl"), &ttl) < 0 || ttl < 0)
        return cli_usage_error(c,
                               "invalid argument \"%s\" for \"--ttl\" flag: time: invalid "
                               "duration \"%s\"",
                               cli_str(c, "ttl"), cli_str(c, "ttl"));
    o.ttl_ms = (long long)ttl;
    struct kube_client *k = cmd_kube_client(c);
    if (!k)
        return 1;
    /* Ctrl-C or a TERM stops the backup, which is then recorded as Failed;
     * a second one kills at once (SA_RESETHAND). */
    struct sigaction sa = {.sa_handler = on_signal, .sa_flags = SA_RESETHAND}, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = backup_cmd_create(k, cli_str(c, "storage-location"), &o);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    kube_client_free(k);
    return rc;
}

static const struct cli_flag create_flags[] = {
    {"exclude-namespaces", 0, CLI_STRINGS, "", "Namespaces to exclude from the backup"},
    {"exclude-resources", 0, CLI_STRINGS, "",
     "Resources to exclude from the backup, formatted as resource.group, such as "
     "storageclasses.storage.k8s.io"},
    {"include-cluster-resources", 0, CLI_BOOL, "false",
     "Include cluster-scoped resources in the backup (default: all of them when no namespace "
     "filter is given, otherwise those the chosen namespaces use; unless false, the CRDs of the "
     "custom resources backed up)"},
    {"include-namespaces", 0, CLI_STRINGS, "",
     "Namespaces to include in the backup (use '*' for all namespaces)"},
    {"include-resources", 0, CLI_STRINGS, "",
     "Resources to include in the backup, formatted as resource.group, such as "
     "storageclasses.storage.k8s.io (use '*' for all resources)"},
    {"selector", 'l', CLI_STRING, "", "Only back up resources matching this label selector"},
    STORAGE_LOCATION_FLAG,
    {"ttl", 0, CLI_STRING, "720h0m0s", "How long before the backup can be garbage collected"},
    {"wait", 0, CLI_BOOL, "false", "Wait for the operation to complete and print its outcome"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd create_cmd = {
    "create",
    "Create a backup",
    "NAME [flags]",
    "Back up the API objects of the current context's cluster into a storage location, in\n"
    "Velero's format. Every listable resource is read page by page and streamed into the\n"
    "tarball; the Backup record is written last, so a backup that did not finish never shows\n"
    "as Completed. Ctrl-C stops it and records it as Failed.",
    "  ferry backup create all\n"
    "  ferry backup create web --include-namespaces web,web-db --wait\n"
    "  ferry backup create cms --include-resources deploy,svc,cm -l app=cms --ttl 24h",
    create_flags,
    NULL,
    run_create,
    NULL,
};

/* ---- get ---- */

static int run_get(struct cli_ctx *c)
{
    return backup_cmd_get(cli_str(c, "storage-location"), (const char *const *)c->argv,
                          (size_t)c->argc, cli_str(c, "output"));
}

static const struct cli_flag get_flags[] = {
    {"output", 'o', CLI_STRING, "table", "Output display format. One of: table, json, yaml"},
    STORAGE_LOCATION_FLAG,
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd get_cmd = {
    "get",
    "Get backups",
    "[NAME...] [flags]",
    "List the backups of a storage location, read from the location itself: a backup made\n"
    "from any cluster is listed at once. A backup whose record is missing (interrupted, or\n"
    "being written right now) is listed as Failed.",
    "  ferry backup get\n  ferry backup get web -o yaml",
    get_flags,
    NULL,
    run_get,
    NULL,
};

/* ---- describe, logs, download, delete ---- */

static int one_name(struct cli_ctx *c)
{
    if (c->argc != 1)
        return cli_usage_error(c, "a backup name is required, and only one"), -1;
    return 0;
}

static int run_describe(struct cli_ctx *c)
{
    if (one_name(c) < 0)
        return 1;
    return backup_cmd_describe(cli_str(c, "storage-location"), c->argv[0], cli_bool(c, "details"));
}

static const struct cli_flag describe_flags[] = {
    {"details", 0, CLI_BOOL, "false", "Display additional detail: the resources backed up"},
    STORAGE_LOCATION_FLAG,
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd describe_cmd = {
    "describe",
    "Describe a backup",
    "NAME [flags]",
    NULL,
    "  ferry backup describe web --details",
    describe_flags,
    NULL,
    run_describe,
    NULL,
};

static int run_logs(struct cli_ctx *c)
{
    if (one_name(c) < 0)
        return 1;
    return backup_cmd_logs(cli_str(c, "storage-location"), c->argv[0]);
}

static const struct cli_flag location_only_flags[] = {
    STORAGE_LOCATION_FLAG,
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd logs_cmd = {
    "logs", "Get backup logs", "NAME [flags]", NULL, "  ferry backup logs web", location_only_flags,
    NULL,   run_logs,          NULL,
};

static int run_download(struct cli_ctx *c)
{
    if (one_name(c) < 0)
        return 1;
    return backup_cmd_download(cli_str(c, "storage-location"), c->argv[0], cli_str(c, "output"),
                               cli_bool(c, "force"));
}

static const struct cli_flag download_flags[] = {
    {"force", 0, CLI_BOOL, "false", "Replace the file if it exists"},
    {"output", 'o', CLI_STRING, "",
     "Path to the output file. Defaults to <NAME>-data.tar.gz in the current directory"},
    STORAGE_LOCATION_FLAG,
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd download_cmd = {
    "download",
    "Download the tarball of a backup",
    "NAME [flags]",
    "Download the tarball of a backup; the file appears whole or not at all.",
    "  ferry backup download web\n  ferry backup download web -o /tmp/web.tar.gz",
    download_flags,
    NULL,
    run_download,
    NULL,
};

static int run_delete(struct cli_ctx *c)
{
    return backup_cmd_delete(cli_str(c, "storage-location"), (const char *const *)c->argv,
                             (size_t)c->argc, cli_bool(c, "all"), cli_bool(c, "confirm"));
}

static const struct cli_flag delete_flags[] = {
    {"all", 0, CLI_BOOL, "false", "Delete all backups"},
    {"confirm", 0, CLI_BOOL, "false", "Confirm deletion"},
    STORAGE_LOCATION_FLAG,
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd delete_cmd = {
    "delete",
    "Delete backups",
    "NAME... | --all [flags]",
    "Delete every object of the backups named, or of every backup with --all, from the\n"
    "storage location. Without --confirm the question is asked on a terminal, and the\n"
    "deletion refused elsewhere. A name that is not found is an error; the others are\n"
    "still deleted.",
    "  ferry backup delete web --confirm\n"
    "  ferry backup delete web db --confirm\n"
    "  ferry backup delete --all --confirm",
    delete_flags,
    NULL,
    run_delete,
    NULL,
};

static const struct cli_cmd *const backup_subs[] = {
    &create_cmd, &delete_cmd, &describe_cmd, &download_cmd, &get_cmd, &logs_cmd, NULL};

const struct cli_cmd cmd_backup = {
    "backup",
    "Work with backups",
    "<command> [flags]",
    "Back up a cluster's API objects to a storage location (see `ferry backup-location`), in\n"
    "Velero's format, and list, inspect, download and delete the backups.",
    NULL,
    NULL,
    backup_subs,
    NULL,
    NULL,
};
