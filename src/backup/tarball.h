/* The gzip streams of a backup, written straight into object storage.
 *
 * A tarball (`<name>.tar.gz`) is written entry by entry through libarchive
 * (pax restricted format, gzip filter) whose output goes to a storage
 * writer as it is produced: nothing is kept in memory beyond libarchive's
 * block and the entry being written, nothing touches the local disk. The
 * small gzip files (logs, resource list) are one-entry "raw" archives, so
 * the same library writes and reads every compressed file and zlib is not
 * linked. */
#ifndef FERRY_BACKUP_TARBALL_H
#define FERRY_BACKUP_TARBALL_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct storage;
struct storage_writer;

/* Velero's tarball content version (metadata/version, and status.formatVersion
 * of the Backup record). */
#define TARBALL_FORMAT_VERSION "1.1.0"

struct tarball;

/* Starts a tar.gz at <key> in <s>. NULL with <e> set on failure. */
struct tarball *tarball_begin(struct storage *s, const char *key, struct err *e);
/* Adds a regular file <path> with <n> bytes of <data>. */
int tarball_add(struct tarball *t, const char *path, const void *data, size_t n, struct err *e);
/* Finishes the archive and commits the object; frees <t> either way. */
int tarball_commit(struct tarball *t, struct err *e);
/* Discards the object (nothing is left in storage) and frees <t>; NULL is
 * allowed. */
void tarball_abort(struct tarball *t);

/* Writes <data> gzip-compressed as the object <key>. */
int tarball_put_gz(struct storage *s, const char *key, const void *data, size_t n, struct err *e);
/* Reads the gzip object <key> (at most <max> bytes compressed, and as much
 * uncompressed) and appends its content to <out>. STORAGE_ENOTFOUND when it
 * does not exist. */
int tarball_get_gz(struct storage *s, const char *key, size_t max, struct buf *out, struct err *e);

#endif
