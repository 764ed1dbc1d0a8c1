/* ferry restore create|get|describe|logs: flags in, src/backup/restore*.c
 * does the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup/restore.h"
#include "cmd/cmds.h"
#include "core/cli.h"
#include "kube/client.h"

#define STORAGE_LOCATION_FLAG                                                                      \
    {                                                                                              \
        "storage-location", 0, CLI_STRING, "",                                                     \
            "Location of the backup and the restore's records (default: the default location)"     \
    }

/* ---- create ---- */

static int mappings(const struct cli_ctx *c, const char *flag, struct restore_mapping *m)
{
    size_t n;
    const char *const *v = cli_list(c, flag, &n);
    char name[64];
    struct err e;
    snprintf(name, sizeof name, "--%s", flag);
    return restore_mapping_parse(m, v, n, name, &e) < 0 ? (cli_fail("%s", e.msg), -1) : 0;
}

static int run_create(struct cli_ctx *c)
{
    if (c->argc > 1)
        return cli_usage_error(c, "at most one restore name may be given");
    if (!*cli_str(c, "from-backup"))
        return cli_usage_error(c, "--from-backup is required");
    const char *policy = cli_str(c, "existing-resource-policy");
    if (*policy && strcmp(policy, "none") && strcmp(policy, "update"))
        return cli_usage_error(c, "invalid existing-resource-policy \"%s\": none or update",
                               policy);
    const char *output = cli_str(c, "output");
    if (*output && strcmp(output, "yaml") && strcmp(output, "json"))
        return cli_usage_error(c, "invalid output format \"%s\": yaml or json", output);
    if (*output && !cli_bool(c, "dry-run"))
        return cli_usage_error(c, "-o is only for --dry-run");
    int workers = atoi(cli_str(c, "workers"));
    if (workers < 1 || workers > RESTORE_MAX_WORKERS)
        return cli_usage_error(c, "--workers must be between 1 and %d", RESTORE_MAX_WORKERS);
    struct restore_opts o = {
        .name = c->argc ? c->argv[0] : NULL,
        .backup = cli_str(c, "from-backup"),
        .preserve_nodeports = cli_bool(c, "preserve-nodeports"),
        .restore_volumes = cli_bool(c, "restore-volumes"),
        .policy = !strcmp(policy, "update") ? RESTORE_POLICY_UPDATE : RESTORE_POLICY_NONE,
        .dry_run = cli_bool(c, "dry-run"),
        .output = output,
        .wait = cli_bool(c, "wait"),
        .workers = workers,
    };
    cmd_backup_scope(c, &o.scope);
    size_t nprio;
    const char *const *prio = cli_list(c, "resource-priorities", &nprio);
    struct err e;
    int rc = 1;
    if (restore_prio_parse(&o.prio, nprio ? prio : NULL, nprio, &e) < 0) {
        cli_fail("%s", e.msg);
        goto out;
    }
    if (mappings(c, "namespace-mappings", &o.maps.ns) ||
        mappings(c, "zone-mappings", &o.maps.zone) ||
        mappings(c, "region-mappings", &o.maps.region) ||
        mappings(c, "storage-class-mappings", &o.maps.storage_class))
        goto out;
    struct kube_client *k = cmd_kube_client(c);
    if (k) {
        rc = restore_create(k, cli_str(c, "storage-location"), &o, isatty(STDERR_FILENO), stdout);
        kube_client_free(k);
    }
out:
    restore_opts_fini(&o);
    return rc;
}

static const struct cli_flag create_flags[] = {
    {"dry-run", 0, CLI_BOOL, "false",
     "Print what would be done to each object (create, update, skip) and change nothing"},
    {"exclude-namespaces", 0, CLI_STRINGS, "", "Namespaces to exclude from the restore"},
    {"exclude-resources", 0, CLI_STRINGS, "",
     "Resources to exclude from the restore, formatted as resource.group, such as "
     "storageclasses.storage.k8s.io"},
    {"existing-resource-policy", 0, CLI_STRING, "none",
     "What to do with an object that already exists and differs: none (leave it, warn) or "
     "update (replace it with the backup's version)"},
    {"from-backup", 0, CLI_STRING, "", "Backup to restore from"},
    {"include-cluster-resources", 0, CLI_BOOL, "false",
     "Include cluster-scoped resources (default: all of them when no namespace filter is "
     "given, otherwise the PVs and CRDs the chosen namespaces use)"},
    {"include-namespaces", 0, CLI_STRINGS, "",
     "Namespaces to include in the restore (use '*' for all namespaces)"},
    {"include-resources", 0, CLI_STRINGS, "",
     "Resources to include in the restore, formatted as resource.group, such as "
     "storageclasses.storage.k8s.io (use '*' for all resources)"},
    {"namespace-mappings", 0, CLI_STRINGS, "",
     "Namespace mappings from name in the backup to desired restored name in the form "
     "src1:dst1,src2:dst2,..."},
    {"output", 'o', CLI_STRING, "",
     "With --dry-run: print the objects as they would be sent (yaml, json)"},
    {"preserve-nodeports", 0, CLI_BOOL, "false",
     "Keep the node ports Services had, including those the cluster assigned"},
    {"region-mappings", 0, CLI_STRINGS, "",
     "Region mappings old=new,...: regions, and the zones inside them, of volumes and "
     "topology labels"},
    {"resource-priorities", 0, CLI_STRINGS, "",
     "Order of restore: resources first in this list come first; those after '-' come last "
     "(default: Velero's)"},
    {"restore-volumes", 0, CLI_BOOL, "false",
     "Restore PersistentVolumes whose reclaim policy is Delete (by default the new cluster "
     "provisions fresh volumes for their claims)"},
    {"selector", 'l', CLI_STRING, "", "Only restore resources matching this label selector"},
    {"storage-class-mappings", 0, CLI_STRINGS, "",
     "Storage class mappings old:new,... for PVs, PVCs and StatefulSet claim templates"},
    STORAGE_LOCATION_FLAG,
    {"wait", 0, CLI_BOOL, "false",
     "Show progress on a terminal, and the outcome with every error and warning"},
    {"workers", 0, CLI_INT, "4", "Objects restored at once inside a priority group"},
    {"zone-mappings", 0, CLI_STRINGS, "",
     "Zone mappings old=new,... for PersistentVolume node affinity, volume handles, topology "
     "labels and StorageClass allowedTopologies"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd create_cmd = {
    "create",
    "Create a restore",
    "[NAME] --from-backup BACKUP [flags]",
    "Recreate a backup's objects in the current context's cluster, possibly in other\n"
    "namespaces, zones, regions and storage classes. Objects are cleaned of what the old\n"
    "cluster wrote, created in Velero's priority order (CRDs first), and never deleted.\n"
    "NAME defaults to <backup>-<YYYYMMDDhhmmss>. The record goes next to the backup.",
    "  ferry restore create --from-backup us-cluster --wait\n"
    "  ferry restore create --from-backup us-cluster --zone-mappings us-central1-a=europe-west1-b "
    "\\\n      --region-mappings us-central1=europe-west1\n"
    "  ferry restore create --from-backup shop --namespace-mappings shop:shop-test --dry-run",
    create_flags,
    NULL,
    run_create,
    NULL,
};

/* ---- get, describe, logs ---- */

static int run_get(struct cli_ctx *c)
{
    if (c->argc > 1)
        return cli_usage_error(c, "at most one restore name may be given");
    return restore_cmd_get(cli_str(c, "storage-location"), c->argc ? c->argv[0] : NULL,
                           cli_str(c, "output"), stdout);
}

static int run_named(struct cli_ctx *c, int (*fn)(const char *, const char *, FILE *))
{
    if (c->argc != 1)
        return cli_usage_error(c, "a restore name is required, and only one");
    return fn(cli_str(c, "storage-location"), c->argv[0], stdout);
}

static int run_describe(struct cli_ctx *c)
{
    return run_named(c, restore_cmd_describe);
}

static int run_logs(struct cli_ctx *c)
{
    return run_named(c, restore_cmd_logs);
}

static const struct cli_flag get_flags[] = {
    {"output", 'o', CLI_STRING, "", "Output format. One of: table, json, yaml"},
    STORAGE_LOCATION_FLAG,
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_flag named_flags[] = {
    STORAGE_LOCATION_FLAG,
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd get_cmd = {
    "get",
    "Get restores",
    "[NAME] [flags]",
    "List the restores recorded in the storage location, or show one.",
    "  ferry restore get\n  ferry restore get us-cluster-20261128101500 -o yaml",
    get_flags,
    NULL,
    run_get,
    NULL,
};

static const struct cli_cmd describe_cmd = {
    "describe",
    "Describe a restore",
    "NAME [flags]",
    "The restore's settings, phase, counts, and its errors and warnings per namespace.",
    "  ferry restore describe us-cluster-20261128101500",
    named_flags,
    NULL,
    run_describe,
    NULL,
};

static const struct cli_cmd logs_cmd = {
    "logs",
    "Get restore logs",
    "NAME [flags]",
    "The restore's log, one line per event.",
    "  ferry restore logs us-cluster-20261128101500",
    named_flags,
    NULL,
    run_logs,
    NULL,
};

static const struct cli_cmd *const subs[] = {&create_cmd, &describe_cmd, &get_cmd, &logs_cmd, NULL};

const struct cli_cmd cmd_restore = {
    "restore",
    "Work with restores",
    "<command> [flags]",
    "Restore a backup into the current context's cluster, and read the records of restores.",
    NULL,
    NULL,
    subs,
    NULL,
    NULL,
};
