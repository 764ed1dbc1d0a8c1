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

#include <jansson.h>

#include "core/err.h"

#define LOCATION_DEFAULT_NAME "default"
/* The directory of the built-in location; "~" is the user's home. */
#define LOCATION_BUILTIN_DIR "~/.local/share/ferry/backups"

struct location_kv {
    char *key, *value;
};

struct location {
    char *name;
    char *provider; /* "local", "s3", "gcs" */
    char *bucket;   /* the bucket; for local, the directory */
    char *prefix;   /* "" or a path inside the bucket, without leading or trailing '/' */
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
 * line and problem when it cannot be parsed; the set is then empty
 * (location_set_fini may still be called). */
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

/* ---- for `ferry backup-location` and the backends ---- */

/* Sets config key <key> (replacing its value). 0 or -ENOMEM. */
int location_config_set(struct location *l, const char *key, const char *value);

/* Checks name (lower-case letters, digits, '-', '.'; at most 63),
 * provider, bucket; strips leading and trailing '/' from the prefix in
 * place. -1 with a message naming the location otherwise. */
int location_validate(struct location *l, struct err *e);

/* The location named <name> in <ls>, or NULL. */
struct location *location_set_find(const struct location_set *ls, const char *name);
/* Appends <l>, whose strings now belong to <ls> (<l> is zeroed). 0 or
 * -ENOMEM. */
int location_set_add(struct location_set *ls, struct location *l);
/* Removes the location named <name>: 0, or -ENOENT. */
int location_set_remove(struct location_set *ls, const char *name);

/* The location as it appears in the config file (a new object). */
json_t *location_to_json(const struct location *l);

/* <p> with a leading "~" or "~/" replaced by $HOME, as a new string
 * (NULL when out of memory). */
char *location_path(const char *p);

#endif
