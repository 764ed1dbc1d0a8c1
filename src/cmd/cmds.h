/* The command groups, one file each under src/cmd. */
#ifndef FERRY_CMD_CMDS_H
#define FERRY_CMD_CMDS_H

#include "core/cli.h"

extern const struct cli_cmd cmd_config, cmd_ctx, cmd_ns;

#endif
