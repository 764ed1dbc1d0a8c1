/* What `ferry backup-location create|get|set|delete` do. src/cmd maps
 * flags onto these options; each function prints its output and errors
 * ("error: ..." on stderr) and returns the exit status. None contacts a
 * backend: a location is checked when a command uses it. */
#ifndef FERRY_STORAGE_LOCATION_CMD_H
#define FERRY_STORAGE_LOCATION_CMD_H

#include <stddef.h>

struct location_cmd_opts {
    const char *config_path; /* NULL: $FERRY_CONFIG or the default */
    const char *name;
    const char *provider, *bucket, *prefix; /* NULL when not given */
    const char *const *config;              /* "key=value" items */
    size_t nconfig;
    const char *credential; /* NULL when not given */
    int is_default;         /* -1 when not given */
    const char *output;     /* get: "", "json", "yaml" */
    int confirm;            /* delete: --confirm */
};

int location_cmd_create(const struct location_cmd_opts *o);
int location_cmd_get(const struct location_cmd_opts *o);
int location_cmd_set(const struct location_cmd_opts *o);
int location_cmd_delete(const struct location_cmd_opts *o);

#endif
