/* Backup storage locations: where backups and restore records live, kept
 * in ferry's own config file ($FERRY_CONFIG, default
 * ~/.config/ferry/config.yaml), written atomically.
 *
 * When no location is configured, one built-in location named "default"
 * is used: provider local, directory ~/.local/share/ferry/backups
 * (created when first written), so `ferry backup create` works with no
 * set-up. */
#ifndef FERRY_STORAGE_LOCATION_H
#define FERRY_STORAGE_LOCATION_H

#include <stddef.h>

#include "core/err.h"

#define LOCATION_DEFAULT_NAME "default"

struct location_kv {
    char *key, *value;
};

struct location {
    char *name;
    char *provider;   /* "local", "s3", "gcs" */
    char *bucket;     /* the bucket; for local, the directory */
    char *prefix;     /* "" or a path inside the bucket, without leading or trailing '/' */
    struct location_kv *config; /* --config pairs: region, s3Url, s3ForcePathStyle, ... */
    size_t nconfig;
    char *credential; /* path of an AWS shared-credentials file, or NULL */
    int is_default;
};

struct location_set {
    struct location *v;
    size_t n;
    char *path; /* the config file these came from (or will be written to) */
};

/* Reads the config file at <path> (NULL: $FERRY_CONFIG, else the default
 * path). A missing file gives an empty set. -1 with <e> naming the file,
 * line and problem when it cannot be parsed. */
int location_set_load(struct location_set *ls, const char *path, struct err *e);
/* Writes the set back atomically, keeping the file's other settings. */
int location_set_save(const struct location_set *ls, struct err *e);
void location_set_fini(struct location_set *ls);

/* The location named <name>, or the default one when <name> is NULL or ""
 * (the one marked default, else the only one, else the built-in local
 * location). <out> receives a copy the caller frees with location_fini.
 * -1 with `backup storage location "x" not found` (listing the names that
 * exist) otherwise. */
int location_resolve(const struct location_set *ls, const char *name, struct location *out,
                     struct err *e);

/* The value of config key <key> (NULL when absent). */
const char *location_config(const struct location *l, const char *key);

int location_copy(struct location *dst, const struct location *src);
void location_fini(struct location *l);

#endif
