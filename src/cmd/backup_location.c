/* ferry backup-location: where backups live. Flags in; storage/location_cmd.c
 * does the rest. */
#include "cmd/cmds.h"
#include "core/cli.h"
#include "storage/location_cmd.h"

static const char *opt(const struct cli_ctx *c, const char *name)
{
    return cli_isset(c, name) ? cli_str(c, name) : NULL;
}

/* NAME is the only argument, when there is one. */
static int opts_from(struct cli_ctx *c, struct location_cmd_opts *o, int need_name)
{
    if (c->argc > 1 || (need_name && c->argc != 1))
        return cli_usage_error(c,
                               need_name ? "%s requires exactly one argument: NAME"
                                         : "%s takes at most one argument: NAME",
                               c->path);
    *o = (struct location_cmd_opts){.name = c->argc ? c->argv[0] : NULL, .is_default = -1};
    return 0;
}

static void common(const struct cli_ctx *c, struct location_cmd_opts *o)
{
    o->config = cli_list(c, "config", &o->nconfig);
    o->credential = opt(c, "credential");
    o->is_default = cli_isset(c, "default") ? cli_bool(c, "default") : -1;
}

static int run_create(struct cli_ctx *c)
{
    struct location_cmd_opts o;
    if (opts_from(c, &o, 1))
        return 1;
    common(c, &o);
    o.provider = opt(c, "provider");
    o.bucket = opt(c, "bucket");
    o.prefix = opt(c, "prefix");
    return location_cmd_create(&o);
}

static int run_set(struct cli_ctx *c)
{
    struct location_cmd_opts o;
    if (opts_from(c, &o, 1))
        return 1;
    common(c, &o);
    return location_cmd_set(&o);
}

static int run_get(struct cli_ctx *c)
{
    struct location_cmd_opts o;
    if (opts_from(c, &o, 0))
        return 1;
    o.output = cli_str(c, "output");
    return location_cmd_get(&o);
}

static int run_delete(struct cli_ctx *c)
{
    struct location_cmd_opts o;
    if (opts_from(c, &o, 1))
        return 1;
    o.confirm = cli_bool(c, "confirm");
    return location_cmd_delete(&o);
}

#define CONFIG_FLAG                                                                                \
    {                                                                                              \
        "config", 0, CLI_STRINGS, "",                                                              \
            "Provider settings as key=value pairs: region, s3Url, s3ForcePathStyle, profile, "     \
            "insecureSkipTLSVerify, caCert, multipartPartSize (an empty value removes a key)"      \
    }
#define CREDENTIAL_FLAG                                                                            \
    {                                                                                              \
        "credential", 0, CLI_STRING, "",                                                           \
            "AWS shared-credentials file ([default] aws_access_key_id=..., "                       \
            "aws_secret_access_key=...)"                                                           \
    }

static const struct cli_flag create_flags[] = {
    {"bucket", 0, CLI_STRING, "", "The bucket; for provider local, the directory"},
    CONFIG_FLAG,
    CREDENTIAL_FLAG,
    {"default", 0, CLI_BOOL, "false", "Make this the default location"},
    {"prefix", 0, CLI_STRING, "", "A path inside the bucket where backups are kept"},
    {"provider", 0, CLI_STRING, "", "local, s3 or gcs"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_flag set_flags[] = {
    CONFIG_FLAG,
    CREDENTIAL_FLAG,
    {"default", 0, CLI_BOOL, "false",
     "Make this the default location (--default=false: no longer the default)"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_flag get_flags[] = {
    {"output", 'o', CLI_STRING, "", "Output format. One of: json, yaml, jsonpath=..."},
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_flag delete_flags[] = {
    {"confirm", 0, CLI_BOOL, "false", "Delete without asking"},
    {NULL, 0, 0, NULL, NULL},
};

static const struct cli_cmd create_cmd = {
    "create",
    "Create a backup storage location",
    "NAME --provider local|s3|gcs --bucket BUCKET [--prefix P] [--config k=v,...] "
    "[--credential FILE] [--default] [flags]",
    "Adds a location to ferry's config file ($FERRY_CONFIG, default ~/.config/ferry/config.yaml).\n"
    "Nothing is contacted: commands that use the location check it.",
    "  ferry backup-location create local --provider local --bucket ~/backups --default\n"
    "  ferry backup-location create prod --provider s3 --bucket b --prefix cluster1 \\\n"
    "      --config region=eu-west-1 --credential ~/.aws/credentials-velero\n"
    "  ferry backup-location create minio --provider s3 --bucket b \\\n"
    "      --config s3Url=http://127.0.0.1:9000,s3ForcePathStyle=true --credential creds\n"
    "  ferry backup-location create gcs --provider gcs --bucket b --credential hmac-keys",
    create_flags,
    NULL,
    run_create,
    NULL,
};

static const struct cli_cmd get_cmd = {
    "get",
    "Display backup storage locations",
    "[NAME] [-o json|yaml|jsonpath=...] [flags]",
    NULL,
    NULL,
    get_flags,
    NULL,
    run_get,
    NULL,
};

static const struct cli_cmd set_cmd = {
    "set",
    "Change a backup storage location",
    "NAME [--default] [--credential FILE] [--config k=v,...] [flags]",
    NULL,
    "  ferry backup-location set prod --default\n"
    "  ferry backup-location set prod --config region=eu-west-3,s3Url=",
    set_flags,
    NULL,
    run_set,
    NULL,
};

static const struct cli_cmd delete_cmd = {
    "delete",
    "Delete a backup storage location (the backups in it stay)",
    "NAME [--confirm] [flags]",
    NULL,
    NULL,
    delete_flags,
    NULL,
    run_delete,
    NULL,
};

static const struct cli_cmd *const subs[] = {&create_cmd, &delete_cmd, &get_cmd, &set_cmd, NULL};

const struct cli_cmd cmd_backup_location = {
    "backup-location",
    "Work with backup storage locations",
    "<command> [flags]",
    "Backup storage locations say where backups are kept: a local directory, an S3 bucket\n"
    "(or any S3-compatible store) or a GCS bucket. With none configured, backups go to\n"
    "~/.local/share/ferry/backups.",
    NULL,
    NULL,
    subs,
    NULL,
    NULL,
};
