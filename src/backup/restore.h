/* Restores: a backup's objects recreated in the cluster of the current
 * context, possibly in other namespaces, zones, regions and storage
 * classes (docs/internals/restore.md).
 *
 * The backup is read from its storage location (Velero's layout), its
 * tarball extracted to a private temporary directory (so memory stays
 * bounded whatever its size, and a corrupt tarball fails before anything
 * is created), then its objects are filtered, cleaned, mapped and created
 * group by group in priority order, concurrently inside a group. The
 * record of the restore (the Restore object, logs and results, as Velero
 * writes them) goes to restores/<name>/ in the same location. */
#ifndef FERRY_BACKUP_RESTORE_H
#define FERRY_BACKUP_RESTORE_H

#include <stddef.h>
#include <stdio.h>

#include "backup/backup.h"
#include "core/err.h"
#include "core/strv.h"

struct kube_client;

/* old -> new pairs of a --*-mappings flag. */
struct restore_pair {
    char *from, *to;
};
struct restore_mapping {
    struct restore_pair *v;
    size_t n;
};

/* Parses "old:new" or "old=new" items (either separator) into <m>, which
 * must be zeroed. <flag> names the flag in errors. Returns 0 or -1. */
int restore_mapping_parse(struct restore_mapping *m, const char *const *items, size_t n,
                          const char *flag, struct err *e);
/* The new value for <from>, or NULL. */
const char *restore_mapping_get(const struct restore_mapping *m, const char *from);
void restore_mapping_fini(struct restore_mapping *m);

struct restore_maps {
    struct restore_mapping ns, zone, region, storage_class;
};

/* Resource priorities: high entries in order, then everything not listed,
 * then the low entries. */
struct restore_prio {
    struct strv high, low;
};

/* Parses Velero's --restore-resource-priorities list ("a,b,-,c": the
 * entries after "-" are low priorities). <items> NULL: the defaults. */
int restore_prio_parse(struct restore_prio *p, const char *const *items, size_t n, struct err *e);
void restore_prio_fini(struct restore_prio *p);

enum restore_policy { RESTORE_POLICY_NONE, RESTORE_POLICY_UPDATE };

#define RESTORE_MAX_WORKERS 64

struct restore_opts {
    const char *name;   /* NULL: <backup>-<YYYYMMDDhhmmss> */
    const char *backup; /* required */
    struct backup_scope scope;
    struct restore_maps maps;
    struct restore_prio prio;
    int preserve_nodeports;
    int restore_volumes; /* restore PVs whose reclaim policy is Delete */
    enum restore_policy policy;
    int dry_run;
    const char *output; /* dry run: "" (table), "yaml", "json" */
    int wait;           /* print progress (on a terminal) and the outcome */
    int workers;        /* concurrent requests inside a priority group (0: 4; at most
                         * RESTORE_MAX_WORKERS) */
};

/* Frees the mappings and priorities of <o> (not <o> itself). */
void restore_opts_fini(struct restore_opts *o);

/* Runs a restore of <o> from the storage location named <location> (NULL
 * or "": the default one) into the cluster of <k>. Prints what
 * the user sees to <out> (the dry-run table or objects, the outcome) and
 * progress to stderr when <tty>. Returns the exit status: 0 when the
 * restore Completed (or the dry run ran), 1 otherwise, with the reason on
 * stderr. */
int restore_create(struct kube_client *k, const char *location, const struct restore_opts *o,
                   int tty, FILE *out);

/* `ferry restore get [NAME]`: the restores of <location> as a table (NAME
 * BACKUP STATUS STARTED COMPLETED ERRORS WARNINGS CREATED SELECTOR), or
 * the Restore objects with -o json|yaml. Returns the exit status. */
int restore_cmd_get(const char *location, const char *name, const char *output, FILE *out);
/* `ferry restore describe NAME`: spec, phase, counts, and the errors and
 * warnings per namespace. */
int restore_cmd_describe(const char *location, const char *name, FILE *out);
/* `ferry restore logs NAME`: the restore's log, uncompressed. */
int restore_cmd_logs(const char *location, const char *name, FILE *out);

struct storage;
struct location;
/* Deletes the records of every restore made from <backup>, as deleting a
 * backup does in Velero, printing a line for each. 0, or -1 with <e>. */
int restore_delete_for_backup(struct storage *s, const struct location *loc, const char *backup,
                              struct err *e);

#endif
