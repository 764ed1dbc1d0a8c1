/* Backups of a cluster's API objects into a storage location, in Velero's
 * layout (docs/internals/backup.md), and the commands that read them back.
 *
 * In the location, under backups/<name>/:
 *   <name>.tar.gz                  metadata/version and one JSON file per object
 *   <name>-logs.gz                 logfmt lines, as Velero's backup logs
 *   <name>-resource-list.json.gz   {"apps/v1/Deployment": ["ns/name", ...], ...}
 *   velero-backup.json             the velero.io/v1 Backup, written last
 *
 * Every function blocks (network, storage). The command functions print
 * their output and errors and return the exit status. */
#ifndef FERRY_BACKUP_BACKUP_H
#define FERRY_BACKUP_BACKUP_H

#include <signal.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct kube_client;
struct storage;
struct location;

#define BACKUP_PREFIX "backups/"
#define BACKUP_RECORD "velero-backup.json"

/* Object keys: "backups/<name>/<name><suffix>" (suffix
 * ".tar.gz", "-logs.gz", "-resource-list.json.gz") or, with <file>,
 * "backups/<name>/<file>". Writes a NUL-terminated string into <dst>. */
void backup_key(char *dst, size_t n, const char *name, const char *suffix);
void backup_file_key(char *dst, size_t n, const char *name, const char *file);

/* Velero's names are DNS-1123 subdomains; anything else would make odd
 * object keys. 0, or -1 with kubectl's wording in <e>, which names <kind>
 * ("backup", "restore"). */
int backup_name_valid(const char *kind, const char *name, struct err *e);

/* What a backup or a restore covers, as the user gave it. */
struct backup_scope {
    const char *const *include_ns, *const *exclude_ns; /* "*" allowed */
    size_t n_include_ns, n_exclude_ns;
    const char *const *include_res, *const *exclude_res; /* as kubectl names them; "*" */
    size_t n_include_res, n_exclude_res;
    int include_cluster;  /* 1, 0, or -1 when not given */
    const char *selector; /* label selector; NULL or "" for none */
};

struct backup_opts {
    const char *name;
    struct backup_scope scope;
    long long ttl_ms;                    /* time to live */
    int progress;                        /* one updating progress line on stderr */
    int wait;                            /* print the outcome in detail once done */
    const volatile sig_atomic_t *cancel; /* a signal number once the user asked to stop */
};

/* The location named <location> (NULL or "": the default one) and its
 * store, checked, so that a location that cannot be reached fails at once
 * with its own message. NULL with <e> set; otherwise release both with
 * backup_store_close. */
struct storage *backup_store_open(const char *location, struct location *loc, struct err *e);
void backup_store_close(struct storage *s, struct location *loc);
/* backup_store_open for a command on the <kind> ("backup", "restore")
 * named <name>, whose name is checked first (backup_name_valid). NULL,
 * with "error: ..." printed, when either fails. */
struct storage *backup_store_open_named(const char *kind, const char *name, const char *location,
                                        struct location *loc);

/* Appends <v> to <b> as logrus writes a logfmt value: bare when it holds
 * only [A-Za-z0-9-._/@^+], quoted and escaped otherwise. */
void backup_log_value(struct buf *b, const char *v);

/* The command functions below take the --storage-location value as
 * <location>. */

/* ferry backup create: checks the location, refuses an existing name,
 * discovers the cluster's resources (a cluster that cannot be reached
 * fails here: nothing written, the name still free), backs up, and writes
 * the Backup record last with the phase it ended in. Returns the exit
 * status: 0 when Completed, 1 otherwise. */
int backup_cmd_create(struct kube_client *k, const char *location, const struct backup_opts *o);

/* ferry backup get [NAME...] [-o json|yaml]. */
int backup_cmd_get(const char *location, const char *const *names, size_t n, const char *output);
/* ferry backup describe NAME [--details]. */
int backup_cmd_describe(const char *location, const char *name, int details);
/* ferry backup logs NAME: the logs, uncompressed, on stdout. */
int backup_cmd_logs(const char *location, const char *name);
/* ferry backup download NAME [-o FILE] [--force]: the tarball, written
 * atomically; <file> NULL: ./NAME-data.tar.gz. An existing file is
 * replaced only with <force>. */
int backup_cmd_download(const char *location, const char *name, const char *file, int force);
/* ferry backup delete NAME... | --all: every object under backups/NAME/ of
 * each. <all>: every backup of the location; exactly one of <all> and
 * names. <confirmed>: --confirm given; otherwise a terminal is asked and
 * anything else refused. A name that is missing is an error; the others
 * are still deleted. */
int backup_cmd_delete(const char *location, const char *const *names, size_t n, int all,
                      int confirmed);

#endif
