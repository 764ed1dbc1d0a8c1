/* The command groups, one file each under src/cmd. */
#ifndef FERRY_CMD_CMDS_H
#define FERRY_CMD_CMDS_H

#include "core/cli.h"

extern const struct cli_cmd cmd_api_resources, cmd_config, cmd_ctx, cmd_get, cmd_ns;
extern const struct cli_cmd cmd_echo, cmd_ingress;
extern const struct cli_cmd cmd_backup_location;
extern const struct cli_cmd cmd_backup;
extern const struct cli_cmd cmd_restore;

struct backup_scope;
/* The flags a backup and a restore share (--include-namespaces,
 * --exclude-namespaces, --include-resources, --exclude-resources,
 * --include-cluster-resources, -l), as a scope (src/cmd/backup.c). */
void cmd_backup_scope(const struct cli_ctx *c, struct backup_scope *s);

struct kube_overrides;
/* The connection flags (--kubeconfig, --context, --server, --token, ...)
 * as kube_overrides; strings point into the context (src/cmd/get.c). */
void cmd_kube_overrides(const struct cli_ctx *c, struct kube_overrides *o);
/* A client for those flags and --kube-api-qps/--kube-api-burst; NULL after
 * printing kubectl's message (src/cmd/get.c). */
struct kube_client *cmd_kube_client(const struct cli_ctx *c);
/* The same for overrides the caller adjusted; NULL with <e> filled. */
struct err;
struct kube_client *cmd_kube_connect(const struct cli_ctx *c, const struct kube_overrides *o,
                                     struct err *e);

#endif
